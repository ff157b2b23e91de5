//! Each report format checked by the program that consumes it: Microsoft's
//! SARIF validator, MITRE's inspecjs (Heimdall), a JUnit parser, and Debian's
//! Chromium driven by Playwright for the HTML page.
//!
//! The consumers are npm packages pinned in `tests/consumers/package.json`;
//! when `tests/consumers/node_modules` is missing and npm is on the PATH the
//! first test installs them (`npm ci`). Chromium comes from Debian's
//! `chromium` package. A missing consumer skips its test with a message,
//! unless `POSTURE_REQUIRE_CONSUMERS=1` (set by `.ci/run`, which installs
//! them all), where it fails: CI never passes a check it did not run.
//!
//! Each format is checked on two reports: the fixed sample (every outcome,
//! waivers in every state) and a scan of the debootstrap tree at
//! `$POSTURE_DEBIAN_ROOT` with every rule, or of this host when that tree is
//! absent.

#[path = "support/report_schema.rs"]
mod report_schema;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn consumers_dir() -> PathBuf {
    manifest().join("tests/consumers")
}

fn required() -> bool {
    std::env::var("POSTURE_REQUIRE_CONSUMERS").is_ok_and(|v| v == "1")
}

/// Skips (returns false) or, when consumers are required, fails.
fn unavailable(what: &str) -> bool {
    assert!(
        !required(),
        "{what} is not available but POSTURE_REQUIRE_CONSUMERS=1; run .ci/run or install it"
    );
    eprintln!("skipped: {what} is not available (see tests/consumers.rs)");
    false
}

/// Installs the npm packages once; whether they are there.
fn node_modules() -> bool {
    static READY: OnceLock<bool> = OnceLock::new();
    let ready = *READY.get_or_init(|| {
        let dir = consumers_dir();
        if dir.join("node_modules/.package-lock.json").exists() {
            return true;
        }
        let ok = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        ok && dir.join("node_modules/.package-lock.json").exists()
    });
    ready || unavailable("the npm packages of tests/consumers (node and npm)")
}

fn chromium() -> bool {
    Path::new("/usr/bin/chromium").exists() || unavailable("Chromium (/usr/bin/chromium)")
}

fn posture() -> Command {
    Command::new(env!("CARGO_BIN_EXE_posture"))
}

/// Where the rendered files go, kept after the run for a look.
fn out_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("consumers");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The reports every consumer is checked on, as (name, JSON report path).
fn reports() -> &'static [(String, PathBuf)] {
    static REPORTS: OnceLock<Vec<(String, PathBuf)>> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let dir = out_dir();
        let mut out = vec![(
            "sample".to_string(),
            manifest().join("tests/fixtures/reports/sample.json"),
        )];
        let scan = dir.join("scan.json");
        let mut cmd = posture();
        cmd.args([
            "scan",
            "--profile",
            "all",
            "--format",
            "json",
            "--fail-on",
            "none",
            "-q",
            "-o",
        ])
        .arg(&scan);
        let name = match std::env::var_os("POSTURE_DEBIAN_ROOT").map(PathBuf::from) {
            Some(root) if root.join("var/lib/dpkg/status").exists() => {
                cmd.arg("--root").arg(root);
                "debian-root"
            }
            _ => "this-host",
        };
        let status = cmd.status().unwrap();
        assert!(status.success(), "scan for the consumer checks failed");
        report_schema::report_json(&std::fs::read(&scan).unwrap());
        out.push((name.to_string(), scan));
        out.push(("hostile".to_string(), hostile(&dir)));
        out
    })
}

/// The sample with text a hostile host could put in its files (markup,
/// control characters, non-characters) in titles, evidence and paths.
fn hostile(dir: &Path) -> PathBuf {
    let nasty = "<script>alert(1)</script> \"quoted\" & 'single' ]]> \u{1}\u{7}\u{1b}[31mred\u{1b}[0m \u{FFFE} \u{0} é";
    let mut r = report_value(&manifest().join("tests/fixtures/reports/sample.json"));
    for x in r["results"].as_array_mut().unwrap() {
        x["title"] = format!("{} {nasty}", x["title"].as_str().unwrap()).into();
        for e in x["evidence"].as_array_mut().unwrap() {
            e["subject"] = nasty.into();
            for o in e["observed"].as_array_mut().unwrap() {
                o["value"] = nasty.into();
                if o.get("source").is_some() {
                    o["source"]["file"] = format!("/etc/{nasty}").into();
                }
            }
        }
    }
    r["target"]["hostname"] = format!("web01{nasty}").into();
    let path = dir.join("hostile-report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
    path
}

/// Renders `report` in `format` to a file beside it.
fn render(report: &Path, name: &str, format: &str, ext: &str) -> PathBuf {
    let out = out_dir().join(format!("{name}.{ext}"));
    let status = posture()
        .arg("report")
        .arg(report)
        .args(["--format", format, "--fail-on", "none", "-q", "-o"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "posture report --format {format} failed");
    out
}

fn report_value(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn count(report: &serde_json::Value, outcome: &str) -> u64 {
    report["summary"]["by_outcome"][outcome].as_u64().unwrap()
}

/// Runs a check script under node; panics with its output when it fails.
fn node(script: &str, args: &[&std::ffi::OsStr]) {
    let out = Command::new("node")
        .arg(consumers_dir().join(script))
        .args(args)
        .current_dir(consumers_dir())
        .output()
        .expect("node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
    eprint!("{text}");
}

#[test]
fn html_works_in_headless_chromium() {
    if !node_modules() || !chromium() {
        return;
    }
    for (name, report) in reports() {
        let html = render(report, name, "html", "html");
        let rows = report_value(report)["results"].as_array().unwrap().len();
        node(
            "check-html.js",
            &[html.as_os_str(), rows.to_string().as_ref()],
        );
    }
}

#[test]
fn sarif_passes_microsofts_validator_without_errors() {
    if !node_modules() {
        return;
    }
    let multitool = consumers_dir().join("node_modules/.bin/sarif-multitool");
    for (name, report) in reports() {
        let sarif = render(report, name, "sarif", "sarif");
        let log = sarif.with_extension("validation.sarif");
        let out = Command::new(&multitool)
            .arg("validate")
            .arg(&sarif)
            .arg("-o")
            .arg(&log)
            .args(["--log", "ForceOverwrite"])
            .output()
            .expect("sarif-multitool");
        assert!(
            out.status.success() && log.exists(),
            "sarif-multitool failed on {name}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let findings = report_value(&log)["runs"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        // A finding without `level` is a warning (SARIF §3.27.10).
        let errors: Vec<String> = findings
            .iter()
            .filter(|f| f["level"] == "error")
            .map(|f| format!("{}: {}", f["ruleId"], f["message"]))
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: validator errors:\n{}",
            errors.join("\n")
        );
        for f in &findings {
            eprintln!(
                "{name}: validator {}: {}",
                f["level"].as_str().unwrap_or("warning"),
                f["ruleId"]
            );
        }
        // One result per failed or waived rule.
        let posture = report_value(report);
        let results = report_value(&sarif)["runs"][0]["results"]
            .as_array()
            .unwrap()
            .len() as u64;
        assert_eq!(
            results,
            count(&posture, "fail") + count(&posture, "waived"),
            "{name}"
        );
    }
}

#[test]
fn junit_reads_with_the_right_counts() {
    if !node_modules() {
        return;
    }
    for (name, report) in reports() {
        let xml = render(report, name, "junit", "xml");
        let r = report_value(report);
        let n = |v: u64| v.to_string();
        node(
            "check-junit.js",
            &[
                xml.as_os_str(),
                n(r["summary"]["total"].as_u64().unwrap()).as_ref(),
                n(count(&r, "fail")).as_ref(),
                n(count(&r, "not_applicable") + count(&r, "waived")).as_ref(),
                n(count(&r, "error")).as_ref(),
            ],
        );
    }
}

#[test]
fn ohdf_reads_in_inspecjs_with_every_control() {
    if !node_modules() {
        return;
    }
    for (name, report) in reports() {
        let hdf = render(report, name, "ohdf", "hdf.json");
        node("check-ohdf.js", &[hdf.as_os_str(), report.as_os_str()]);
    }
}
