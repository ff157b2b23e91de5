//! The command line's conventions: the format from the output file's name,
//! output paths checked before any work, report files private and written
//! atomically, completions, the man page, and "did you mean".

#[path = "support/tree.rs"]
mod tree;

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports/sample.json")
}

fn policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli/policy.yaml")
}

/// `posture report sample.json -o FILE` (any exit code), and FILE's text.
fn render_to(file: &Path, extra: &[&str]) -> String {
    posture()
        .arg("report")
        .arg(sample())
        .args(["--fail-on", "none", "-q", "-o"])
        .arg(file)
        .args(extra)
        .assert()
        .success();
    fs::read_to_string(file).unwrap()
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_output_extension_picks_the_format() {
    let dir = tempfile::tempdir().unwrap();
    type Check = fn(&str) -> bool;
    let cases: [(&str, Check); 9] = [
        ("r.json", |t| {
            serde_json::from_str::<serde_json::Value>(t).unwrap()["schema_version"].is_string()
        }),
        ("r.html", |t| t.starts_with("<!DOCTYPE html>")),
        ("r.HTM", |t| t.starts_with("<!DOCTYPE html>")),
        ("r.sarif", |t| {
            serde_json::from_str::<serde_json::Value>(t).unwrap()["version"] == "2.1.0"
        }),
        ("r.xml", |t| {
            t.starts_with("<?xml") && t.contains("<testsuites")
        }),
        ("r.md", |t| t.starts_with('#') || t.starts_with("**")),
        ("r.csv", |t| t.lines().next().unwrap().contains(',')),
        ("r.txt", |t| t.contains("score ") && !t.starts_with('{')),
        // --format wins over the name.
        ("forced.txt", |t| t.starts_with('{')),
    ];
    for (name, check) in cases {
        let file = dir.path().join(name);
        let extra: &[&str] = if name == "forced.txt" {
            &["--format", "json"]
        } else {
            &[]
        };
        let text = render_to(&file, extra);
        assert!(check(&text), "{name}: {}", &text[..text.len().min(200)]);
    }
}

#[test]
fn an_unknown_extension_is_a_usage_error_before_any_scan() {
    // The root does not exist: had the scan started, that would be the error.
    for (name, hint) in [
        ("r.pdf", "`.pdf`"),
        ("report", "without extension"),
        ("r.json.gz", "gzip"),
    ] {
        posture()
            .args(["scan", "--root", "/nonexistent/posture-root", "-o", name])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(hint))
            .stderr(predicate::str::contains(
                ".json, .html, .htm, .sarif, .xml, .md, .csv, .txt",
            ))
            .stderr(predicate::str::contains("nonexistent").not());
    }
    posture()
        .arg("diff")
        .arg(sample())
        .arg(sample())
        .args(["-o", "d.html"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".json, .md, .txt"));
}

#[test]
fn an_unwritable_output_fails_before_scanning() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "x").unwrap();
    for (out, says) in [
        // Not even root creates files in /proc.
        (
            PathBuf::from("/proc/r.json"),
            "cannot create a file in /proc",
        ),
        (dir.path().join("missing/r.json"), "does not exist"),
        (file.join("r.json"), "is not a directory"),
        (dir.path().to_path_buf(), "is a directory"),
    ] {
        posture()
            .args([
                "scan",
                "--root",
                "/nonexistent/posture-root",
                "--format",
                "json",
                "-o",
            ])
            .arg(&out)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(says))
            .stderr(predicate::str::contains("nonexistent").not());
    }
    posture()
        .args([
            "inventory",
            "--root",
            "/nonexistent/posture-root",
            "-o",
            "/proc/i.json",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot create a file in /proc"));
}

#[test]
fn report_files_are_private_and_replaced_files_keep_their_mode() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new.json");
    render_to(&new, &[]);
    assert_eq!(mode(&new), 0o600);

    let old = dir.path().join("old.html");
    fs::write(&old, "old").unwrap();
    fs::set_permissions(&old, fs::Permissions::from_mode(0o644)).unwrap();
    render_to(&old, &[]);
    assert_eq!(mode(&old), 0o644);
    assert!(fs::read_to_string(&old).unwrap().starts_with("<!DOCTYPE"));

    // A scan writes the same way, and leaves no temporary file.
    let t = tree::tree(true);
    let scanned = dir.path().join("scan.sarif");
    posture()
        .args(["scan", "--root"])
        .arg(t.path())
        .arg("--policy")
        .arg(policy())
        .arg("-o")
        .arg(&scanned)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("report written to"));
    assert_eq!(mode(&scanned), 0o600);
    assert!(fs::read_to_string(&scanned).unwrap().contains("\"2.1.0\""));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
}

#[test]
fn a_symlink_at_the_output_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("elsewhere");
    fs::write(&target, "keep me").unwrap();
    let link = dir.path().join("r.json");
    symlink(&target, &link).unwrap();
    posture()
        .arg("report")
        .arg(sample())
        .args(["-q", "-o"])
        .arg(&link)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a symbolic link"));
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
}

#[test]
fn diff_aggregate_and_export_follow_the_extension_too() {
    let dir = tempfile::tempdir().unwrap();
    let md = dir.path().join("d.md");
    posture()
        .arg("diff")
        .arg(sample())
        .arg(sample())
        .arg("-o")
        .arg(&md)
        .assert()
        .code(0);
    assert!(!fs::read_to_string(&md).unwrap().starts_with('{'));
    let csv = dir.path().join("fleet.csv");
    posture()
        .arg("aggregate")
        .arg(sample())
        .arg("-o")
        .arg(&csv)
        .assert()
        .code(0);
    assert!(fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .contains(','));
    assert_eq!(mode(&csv), 0o600);
    let rows = dir.path().join("rows.jsonl");
    posture()
        .arg("export")
        .arg(sample())
        .arg("-o")
        .arg(&rows)
        .assert()
        .code(0);
    let first = fs::read_to_string(&rows).unwrap();
    serde_json::from_str::<serde_json::Value>(first.lines().next().unwrap()).unwrap();
    assert_eq!(mode(&rows), 0o600);
    posture()
        .arg("export")
        .arg(sample())
        .arg("-o")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format is needed"));
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef posture"),
        ("fish", "complete -c posture"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = posture().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}");
        assert!(
            script.contains("scan") && script.contains("--fail-on"),
            "{shell}"
        );
    }
    posture().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn the_man_page_names_every_subcommand() {
    let out = posture().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH posture 1"), "{page}");
    for sub in [
        "scan",
        "inventory",
        "report",
        "diff",
        "aggregate",
        "export",
        "rules",
        "schema",
        "completions",
    ] {
        assert!(page.contains(&format!("posture\\-{sub}(1)")), "{sub}");
    }
    assert!(page.contains("Exit codes"));
    let dir = tempfile::tempdir().unwrap();
    posture()
        .args(["man", "--dir"])
        .arg(dir.path())
        .assert()
        .code(0);
    for page in ["posture.1", "posture-scan.1", "posture-rules-show.1"] {
        assert!(dir.path().join(page).is_file(), "{page}");
    }
}

#[test]
fn near_miss_rule_ids_get_did_you_mean() {
    let hint = "did you mean `ssh-root-login-disabled`?";
    posture()
        .args(["rules", "show", "ssh-root-login-disable"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(hint));
    for flag in ["--rule", "--skip-rule"] {
        posture()
            .args(["scan", "--root", "/", flag, "ssh-rot-login-disabled"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(hint));
    }
    posture()
        .args(["rules", "show", "zzzz"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`posture rules list` shows the rules",
        ));
}

#[test]
fn inventory_and_verbose_scan_say_what_could_not_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::write(root.join("etc/os-release"), "ID=debian\nVERSION_ID=12\n").unwrap();
    fs::write(root.join("etc/passwd"), "root:x:0:0::/root:/bin/bash\n").unwrap();
    let says = "/var/lib/dpkg/status: no package database found";
    posture()
        .args(["inventory", "--root"])
        .arg(root)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "problem(s) reading the target's files",
        ))
        .stderr(predicate::str::contains(says));
    // The verbose summary lists them, once.
    posture()
        .args(["scan", "--verbose", "--fail-on", "none", "--root"])
        .arg(root)
        .arg("--policy")
        .arg(policy())
        .assert()
        .stdout(predicate::str::contains(says))
        .stderr(predicate::str::contains(says).not());
    posture()
        .args(["scan", "--fail-on", "none", "--root"])
        .arg(root)
        .arg("--policy")
        .arg(policy())
        .assert()
        .stderr(predicate::str::contains(says).not());
}
