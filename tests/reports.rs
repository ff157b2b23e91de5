//! Reports as their consumers use them: re-rendering a saved report in every
//! format, waivers, the CI gate, `posture diff`, the published schemas, and
//! every kind of bad input to those commands.

#[path = "support/report_schema.rs"]
mod report_schema;
#[path = "support/tree.rs"]
mod tree;

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd.env_remove("NO_COLOR");
    cmd
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> PathBuf {
    manifest().join("tests/fixtures/reports/sample.json")
}

fn sample_text() -> String {
    fs::read_to_string(sample()).unwrap()
}

/// The sample report edited by `f`, written to a temporary file.
fn edited(dir: &Path, name: &str, f: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let mut r: serde_json::Value = serde_json::from_str(&sample_text()).unwrap();
    f(&mut r);
    let path = dir.join(name);
    fs::write(&path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    path
}

fn report(args: &[&str]) -> std::process::Output {
    posture()
        .arg("report")
        .arg(sample())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn schema_files_are_current() {
    for (kind, file) in [
        ("report", "report.schema.json"),
        ("diff", "diff.schema.json"),
    ] {
        let out = posture().args(["schema", kind]).output().unwrap();
        assert!(out.status.success());
        let committed = fs::read_to_string(manifest().join("schema").join(file)).unwrap();
        assert!(
            committed == String::from_utf8_lossy(&out.stdout),
            "schema/{file} is stale; regenerate it with `cargo run -- schema {kind} > schema/{file}`"
        );
    }
}

#[test]
fn sample_report_validates_and_round_trips() {
    let value = report_schema::report_json(sample_text().as_bytes());
    let out = report(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let mut again = report_schema::report_json(&out.stdout);
    // The report is judged again under the command's own gate.
    let verdict = again.as_object_mut().unwrap().remove("verdict").unwrap();
    assert_eq!(verdict["status"], "failed");
    assert_eq!(value, again, "re-rendering JSON changes nothing else");
}

#[test]
fn every_format_renders_a_saved_report() {
    for format in [
        "table", "json", "markdown", "csv", "html", "junit", "sarif", "ohdf",
    ] {
        let out = report(&["--format", format, "--fail-on", "none"]);
        assert_eq!(out.status.code(), Some(0), "{format}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("ssh-root-login-disabled"),
            "{format}:\n{text}"
        );
        assert!(
            out.stderr.is_empty(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn output_file_with_summary_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.md");
    posture()
        .arg("report")
        .arg(sample())
        .args(["--format", "markdown", "--fail-on", "none", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout(predicate::str::contains("failed, worst first:"))
        .stderr(predicate::str::contains("report written to"));
    // The heading shows the verdict: `--fail-on none` passes whatever failed.
    assert!(fs::read_to_string(&file)
        .unwrap()
        .starts_with("## ✅ posture: web01"));
    posture()
        .arg("report")
        .arg(sample())
        .args(["--format", "markdown", "--fail-on", "none", "--quiet", "-o"])
        .arg(&file)
        .assert()
        .success()
        .stdout("");
}

#[test]
fn the_gate_decides_the_exit_code() {
    // The sample: failures at critical, high, medium and low; score 49.2.
    let code = |args: &[&str]| report(args).status.code();
    assert_eq!(code(&[]), Some(1));
    assert_eq!(code(&["--fail-on", "none"]), Some(0));
    assert_eq!(code(&["--fail-on", "critical"]), Some(1));
    assert_eq!(code(&["--fail-on", "none", "--min-score", "49.2"]), Some(0));
    assert_eq!(code(&["--fail-on", "none", "--min-score", "50"]), Some(1));
    let dir = tempfile::tempdir().unwrap();
    // Without its critical and high failures, --fail-on high passes.
    let lesser = edited(dir.path(), "lesser.json", |r| {
        r["results"].as_array_mut().unwrap().retain(|x| {
            x["outcome"] != "fail"
                || !["critical", "high"].contains(&x["severity"].as_str().unwrap())
        });
    });
    posture()
        .arg("report")
        .arg(&lesser)
        .args(["--fail-on", "high", "--format", "json"])
        .assert()
        .code(0);
    posture()
        .arg("report")
        .arg(&lesser)
        .args(["--fail-on", "medium", "--format", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "posture: FAILED: 1 rule(s) at or above medium severity failed",
        ));
    posture()
        .arg("report")
        .arg(sample())
        .args(["--fail-on", "high", "--min-score", "90"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAILED: 3 rule(s) at or above high severity failed; score 49.2 is below the minimum 90",
        ));
}

#[test]
fn bad_gate_arguments_are_usage_errors() {
    for args in [
        &["--fail-on", "severe"][..],
        &["--min-score", "101"],
        &["--min-score", "x"],
        &["--quiet", "--verbose"],
        &["--format", "yaml"],
    ] {
        let out = report(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn bad_reports_are_input_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (dir.path().join("missing.json"), "cannot read"),
        (
            {
                let p = dir.path().join("notjson.json");
                fs::write(&p, "{\n  \"schema_version\": \"2.0.0\",\n  oops\n}").unwrap();
                p
            },
            "not a JSON report: key must be a string at line 3 column 3",
        ),
        (
            {
                let p = dir.path().join("truncated.json");
                let t = sample_text();
                fs::write(&p, &t[..t.len() / 2]).unwrap();
                p
            },
            "not a JSON report: EOF while parsing",
        ),
        (
            edited(dir.path(), "future.json", |r| {
                r["schema_version"] = "3.0.0".into()
            }),
            "report schema version 3.0.0 is not supported: this posture reads 1.x and 2.x",
        ),
        (
            edited(dir.path(), "noversion.json", |r| {
                r.as_object_mut().unwrap().remove("schema_version");
            }),
            "not a posture report: no `schema_version`",
        ),
        (
            edited(dir.path(), "badoutcome.json", |r| {
                r["results"][0]["outcome"] = "maybe".into();
            }),
            "malformed report: unknown variant `maybe`",
        ),
        (
            {
                let p = dir.path().join("latin1.json");
                fs::write(&p, b"{\"schema_version\": \"2.0.0\", \"x\": \"caf\xe9\"}").unwrap();
                p
            },
            "not a JSON report: invalid UTF-8 at byte 37",
        ),
        (dir.path().to_path_buf(), "cannot read"),
        (
            {
                let p = dir.path().join("inventory.json");
                fs::write(&p, "{\"os\": {}}").unwrap();
                p
            },
            "not a posture report",
        ),
    ];
    for (path, message) in cases {
        for cmd in ["report", "diff"] {
            let mut c = posture();
            c.arg(cmd).arg(&path);
            if cmd == "diff" {
                c.arg(sample());
            }
            let out = c.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{cmd} {}: {err}",
                path.display()
            );
            assert!(out.stdout.is_empty());
            assert!(
                err.contains(&path.display().to_string()) && err.contains(message),
                "{cmd} {}: expected {message:?} in:\n{err}",
                path.display()
            );
        }
    }
}

#[test]
fn report_reads_standard_input() {
    posture()
        .args(["report", "-", "--format", "csv", "--fail-on", "none"])
        .write_stdin(sample_text())
        .assert()
        .success()
        .stdout(predicate::str::contains("web01,6f1c2a9e"));
    posture()
        .args(["report", "-"])
        .write_stdin("")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "-: not a JSON report: EOF while parsing",
        ));
}

#[test]
fn reports_of_schema_1_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let old = edited(dir.path(), "v1.json", |r| {
        r["schema_version"] = "1.0.0".into();
        let o = r.as_object_mut().unwrap();
        o.remove("waivers");
        o["target"].as_object_mut().unwrap().remove("tags");
        for x in o["results"].as_array_mut().unwrap() {
            let x = x.as_object_mut().unwrap();
            x.remove("section");
            x.remove("waiver");
            if x["outcome"] == "waived" {
                x.insert("outcome".into(), "fail".into());
            }
        }
        o["summary"]["by_outcome"]
            .as_object_mut()
            .unwrap()
            .remove("waived");
    });
    let out = posture()
        .arg("report")
        .arg(&old)
        .args(["--format", "json", "--fail-on", "none"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Written back out, it is a valid current report.
    report_schema::report_json(&out.stdout);
}

fn scan(root: &Path) -> Command {
    let mut cmd = posture();
    cmd.arg("scan")
        .arg("--root")
        .arg(root)
        .arg("--policy")
        .arg(manifest().join("tests/fixtures/cli/policy.yaml"));
    cmd
}

#[test]
fn waivers_turn_failures_into_waived_and_pass_the_gate() {
    let t = tree::tree(false);
    let dir = tempfile::tempdir().unwrap();
    let waivers = dir.path().join("waivers.yaml");
    fs::write(
        &waivers,
        "waivers:\n  - rule: ssh-no-root\n    justification: Break-glass access.\n    approver: sec@example.com\n    expires: 2999-12-31\n    scope:\n      tags: [lab]\n  - rule: gone-rule\n    justification: x\n    approver: y\n    expires: never\n",
    )
    .unwrap();
    // Out of scope without the tag: the failure stands.
    scan(t.path())
        .arg("--waivers")
        .arg(&waivers)
        .assert()
        .code(1);
    let out = scan(t.path())
        .arg("--waivers")
        .arg(&waivers)
        .args(["--tag", "lab", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = report_schema::report_json(&out.stdout);
    assert_eq!(r["target"]["tags"], serde_json::json!(["lab"]));
    let ssh = &r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "ssh-no-root")
        .unwrap();
    assert_eq!(ssh["outcome"], "waived");
    assert_eq!(ssh["waiver"]["approver"], "sec@example.com");
    assert!(!ssh["evidence"].as_array().unwrap().is_empty());
    assert_eq!(r["waivers"][0]["status"], "applied");
    assert_eq!(r["waivers"][1]["status"], "unmatched");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("waiver at ")
            && err.contains(":8 (gone-rule) is matching no rule evaluated in this scan"),
        "{err}"
    );
}

#[test]
fn an_expired_waiver_fails_the_run_again_and_is_flagged() {
    let t = tree::tree(false);
    let dir = tempfile::tempdir().unwrap();
    let waivers = dir.path().join("waivers.yaml");
    fs::write(
        &waivers,
        "waivers:\n  - rule: ssh-*\n    justification: j\n    approver: a\n    expires: 2020-01-31\n",
    )
    .unwrap();
    scan(t.path())
        .arg("--waivers")
        .arg(&waivers)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("waiver expired 2020-01-31"))
        .stderr(predicate::str::contains(
            "(ssh-*) is expired (since 2020-01-31)",
        ));
}

#[test]
fn malformed_waivers_stop_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = dir.path().join("w.yaml");
    fs::write(
        &waivers,
        "waivers:\n  - rule: a\n    justification: j\n    approver: x\n    expires: tomorrow\n",
    )
    .unwrap();
    for cmd in ["scan", "report"] {
        let mut c = posture();
        c.arg(cmd);
        if cmd == "report" {
            c.arg(sample());
        } else {
            // A root that does not exist: the waivers are read first.
            c.args(["--root", "/nonexistent/posture-root"]);
        }
        c.arg("--waivers")
            .arg(&waivers)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "{}:5:14: `expires` must be a date YYYY-MM-DD or `never`, found `tomorrow`",
                waivers.display()
            )));
    }
    posture()
        .arg("report")
        .arg(sample())
        .args(["--waivers", "/nonexistent/w.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/w.yaml: cannot read"));
}

#[test]
fn report_reapplies_other_waivers() {
    let dir = tempfile::tempdir().unwrap();
    let waivers = dir.path().join("w.yaml");
    fs::write(&waivers, "waivers: []\n").unwrap();
    let out = report(&["--format", "json", "--waivers", waivers.to_str().unwrap()]);
    let r = report_schema::report_json(&out.stdout);
    assert_eq!(r["summary"]["by_outcome"]["waived"], 0);
    assert_eq!(r["summary"]["by_outcome"]["fail"], 7);
    assert_eq!(r["waivers"], serde_json::json!([]));
}

#[test]
fn diff_reports_regressions_with_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let worse = edited(dir.path(), "worse.json", |r| {
        for x in r["results"].as_array_mut().unwrap() {
            if x["id"] == "ssh-empty-passwords-disabled" {
                x["outcome"] = "fail".into();
            }
        }
    });
    posture()
        .arg("diff")
        .arg(sample())
        .arg(sample())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 new failure(s)"));
    posture()
        .arg("diff")
        .arg(sample())
        .arg(&worse)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("New failures (1)"))
        .stdout(predicate::str::contains("REGRESSED"));
    // The other way round it is a fix.
    posture()
        .arg("diff")
        .arg(&worse)
        .arg(sample())
        .assert()
        .code(0);
    let out = posture()
        .arg("diff")
        .arg(sample())
        .arg(&worse)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let d = report_schema::diff_json(&out.stdout);
    assert_eq!(d["new_failures"][0]["id"], "ssh-empty-passwords-disabled");
    assert_eq!(d["new_failures"][0]["before"], "pass");
    posture()
        .arg("diff")
        .arg(sample())
        .arg(&worse)
        .args(["--format", "markdown"])
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("## posture: regressed"));
}

/// Runs `posture report` under a pseudo-terminal (util-linux `script`), so
/// colour decisions can be seen. None when `script` is not installed.
fn on_a_terminal(no_color: Option<&str>, extra: &str) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("posture");
    let cmd = format!(
        "{} report {} --fail-on none {extra}",
        bin.display(),
        sample().display()
    );
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]);
    c.env_remove("NO_COLOR");
    if let Some(v) = no_color {
        c.env("NO_COLOR", v);
    }
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let piped = report(&["--fail-on", "none"]);
    assert!(!piped.stdout.contains(&0x1b), "no escape codes in a pipe");
    let Some(tty) = on_a_terminal(None, "") else {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    assert!(tty.contains("\u{1b}["), "colour on a terminal:\n{tty}");
    let plain = on_a_terminal(Some("1"), "").unwrap();
    assert!(
        !plain.contains("\u{1b}["),
        "NO_COLOR=1 turns colour off:\n{plain}"
    );
    assert!(plain.contains("failed, worst first:"));
    // A file written from a terminal session has no colour either.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.txt");
    on_a_terminal(None, &format!("-o {}", file.display())).unwrap();
    let written = fs::read_to_string(&file).unwrap();
    assert!(written.contains("failed, worst first:") && !written.contains('\u{1b}'));
}

#[test]
fn quiet_and_verbose() {
    let quiet = report(&["--quiet"]);
    assert_eq!(quiet.status.code(), Some(1));
    let text = String::from_utf8(quiet.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with(
        "score 49.2/100: 6 failed, 1 error, 1 waived, 4 passed, 1 not applicable — FAILED"
    ));
    let verbose = String::from_utf8(report(&["-v"]).stdout).unwrap();
    let normal = String::from_utf8(report(&[]).stdout).unwrap();
    assert!(verbose.contains("rules passed:") && !normal.contains("rules passed:"));
}

#[test]
fn waivers_doc_example_loads_and_its_errors_are_real() {
    let doc = fs::read_to_string(manifest().join("docs/waivers.md")).unwrap();
    let example = doc
        .split("```yaml waivers\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("a ```yaml waivers block in docs/waivers.md");
    let w = posture::waiver::parse(example, "example").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(w.waivers.len(), 2);
    let documented = doc
        .split("```text\n")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the error example");
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("waivers.yaml"),
        fs::read_to_string(manifest().join("tests/fixtures/reports/bad-waivers.yaml")).unwrap(),
    )
    .unwrap();
    let out = posture()
        .current_dir(dir.path())
        .args(["report"])
        .arg(sample())
        .args(["--waivers", "waivers.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), documented);
}

#[test]
fn text_from_the_target_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let nasty = edited(dir.path(), "nasty.json", |r| {
        r["results"][1]["title"] = "\u{1b}]0;owned\u{7}\u{1b}[2J title".into();
        r["results"][1]["evidence"][0]["observed"][0]["value"] = "\u{1b}[31mred".into();
        r["target"]["hostname"] = "web\u{1b}[1m01".into();
    });
    for format in ["table", "markdown"] {
        for verbose in [false, true] {
            let out = posture()
                .arg("report")
                .arg(&nasty)
                .args(["--format", format, "--fail-on", "none"])
                .args(verbose.then_some("--verbose"))
                .output()
                .unwrap();
            assert!(out.status.success());
            assert!(
                !out.stdout.contains(&0x1b),
                "{format}: raw escape in output"
            );
            let text = String::from_utf8(out.stdout).unwrap();
            // The one-screen summary shows no titles, only what was found.
            let shown = if format == "table" && !verbose {
                "found \"\\u{1b}[31mred\""
            } else {
                "\\u{1b}]0;owned\\u{7}"
            };
            assert!(text.contains(shown), "{format}:\n{text}");
        }
    }
    let out = posture()
        .arg("diff")
        .arg(sample())
        .arg(&nasty)
        .output()
        .unwrap();
    assert!(!out.stdout.contains(&0x1b), "diff: raw escape in output");
}

#[test]
fn oversized_reports_are_refused_by_size_naming_the_file_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.json");
    // Sparse: its size is known without a byte being read or stored.
    fs::File::create(&huge)
        .unwrap()
        .set_len(256 * 1024 * 1024 + 1)
        .unwrap();
    for cmd in ["report", "diff"] {
        let mut c = posture();
        c.arg(cmd).arg(&huge);
        if cmd == "diff" {
            c.arg(sample());
        }
        let started = std::time::Instant::now();
        c.assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "{}: the file is 268435457 bytes; reports are at most 256 MiB",
                huge.display()
            )));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
    // Standard input has no size: reading stops one byte past the limit.
    use std::io::Write;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("posture"))
        .args(["report", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let chunk = vec![b' '; 1 << 20];
        let mut sent = 0usize;
        // Until posture stops reading (a broken pipe) or well past the limit.
        while sent < 300 << 20 && stdin.write_all(&chunk).is_ok() {
            sent += chunk.len();
        }
        sent
    });
    let out = child.wait_with_output().unwrap();
    let sent = writer.join().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("-: more than 268435456 bytes; reports are at most 256 MiB"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(sent < 300 << 20, "posture read on past the limit");
}

#[test]
fn a_summary_that_disagrees_with_the_results_is_recomputed_and_said() {
    let dir = tempfile::tempdir().unwrap();
    // The summary of a clean host on results that fail (the real case: "76
    // failed" above "FAILED: 33440 rule(s) failed").
    let forged = edited(dir.path(), "forged.json", |r| {
        r["summary"]["by_outcome"]["fail"] = 0.into();
        r["summary"]["by_outcome"]["pass"] = 10.into();
        r["summary"]["score"] = 100.0.into();
    });
    let out = posture()
        .arg("report")
        .arg(&forged)
        .args(["--format", "json", "--min-score", "90"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "posture: warning: {}: the stored summary disagrees with the results, which give 6 fail, not 0, 4 pass, not 10, score 49.2, not 100.0; the summary was recomputed from the results",
            forged.display()
        )),
        "{err}"
    );
    let written = report_schema::report_json(&out.stdout);
    assert_eq!(written["summary"]["by_outcome"]["fail"], 6);
    assert_eq!(written["summary"]["score"], 49.2);
    assert!(written["verdict"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r
            .as_str()
            .unwrap()
            .contains("score 49.2 is below the minimum 90")));
    // diff compares the results' scores too.
    let out = posture()
        .arg("diff")
        .arg(sample())
        .arg(&forged)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let diff: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diff["score_change"], 0.0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the stored summary disagrees"));
    // An honest report says nothing.
    posture()
        .arg("report")
        .arg(sample())
        .args(["--fail-on", "none", "-q"])
        .assert()
        .success()
        .stderr("");
}

#[test]
fn reports_too_deep_or_too_many_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = sample_text();
    let deep = dir.path().join("deep.json");
    fs::write(
        &deep,
        text.replacen(
            "\"diagnostics\": []",
            &format!("\"diagnostics\": [{}{}]", "[".repeat(70), "]".repeat(70)),
            1,
        ),
    )
    .unwrap();
    let wide = dir.path().join("wide.json");
    let values = vec!["[]"; 2 * 1024 * 1024].join(",");
    fs::write(
        &wide,
        text.replacen(
            "\"diagnostics\": []",
            &format!("\"diagnostics\": [], \"extra\": [{values}]"),
            1,
        ),
    )
    .unwrap();
    for (path, message) in [
        (
            &deep,
            "not a posture report: JSON nested deeper than 64 levels at line",
        ),
        (
            &wide,
            "not a posture report: more than 2097152 JSON values (at line",
        ),
    ] {
        posture()
            .arg("report")
            .arg(path)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(format!(
                "{}: {message}",
                path.display()
            )));
    }
}
