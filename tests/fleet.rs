//! `posture aggregate` end to end: reading a tree of reports, its output
//! formats and schema, filters, skipped files and its exit codes.

#[path = "support/report_schema.rs"]
mod report_schema;

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::Path;

fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

fn sample() -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reports/sample.json");
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// `hosts` hosts with two daily reports each.
fn tree(hosts: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for h in 0..hosts {
        for day in [20, 21] {
            let mut r = sample();
            r["target"]["hostname"] = format!("host{h:02}").into();
            r["scan"]["id"] = format!("host{h:02}-{day}").into();
            r["scan"]["started_at"] = format!("2026-11-{day}T06:00:00.000Z").into();
            let path = dir.path().join(format!("host{h:02}/2026-11-{day}.json"));
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, serde_json::to_string(&r).unwrap()).unwrap();
        }
    }
    dir
}

#[test]
fn aggregates_a_tree_into_every_format() {
    let t = tree(3);
    let out = posture()
        .args(["aggregate", "--format", "json"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = report_schema::fleet_json(&out.stdout);
    assert_eq!(f["summary"]["hosts"], 3);
    assert_eq!(f["summary"]["reports"], 6);
    assert_eq!(f["hosts"][0]["trend"].as_array().unwrap().len(), 2);
    for format in ["table", "markdown", "csv", "html"] {
        posture()
            .args(["aggregate", "--format", format])
            .arg(t.path())
            .assert()
            .success()
            .stdout(predicate::str::contains("ssh-root-login-disabled"));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fleet.html");
    posture()
        .args(["aggregate", "--format", "html", "-o"])
        .arg(&file)
        .arg(t.path())
        .assert()
        .success()
        .stdout("");
    assert!(fs::read_to_string(&file)
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
}

#[test]
fn filters_and_their_errors() {
    let t = tree(3);
    let out = posture()
        .args([
            "aggregate",
            "--format",
            "json",
            "--host",
            "HOST0[01]",
            "--since",
            "2026-11-21",
        ])
        .args(["--severity", "high", "--rule", "ssh-root-login-disabled"])
        .arg(t.path())
        .output()
        .unwrap();
    let f = report_schema::fleet_json(&out.stdout);
    assert_eq!(
        (
            f["summary"]["hosts"].as_u64(),
            f["summary"]["reports"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(f["rules"].as_array().unwrap().len(), 1);
    for bad in [
        &["--since", "yesterday"][..],
        &["--since", "2026-13-01"],
        &["--severity", "severe"],
        &["--host", "[web"],
        &["--format", "parquet"],
    ] {
        posture()
            .arg("aggregate")
            .args(bad)
            .arg(t.path())
            .assert()
            .code(2)
            .stdout("");
    }
}

#[test]
fn bad_files_warn_unless_strict_and_nothing_found_is_an_error() {
    let t = tree(1);
    fs::write(
        t.path().join("host00/bad.json"),
        "{\"schema_version\": \"9.0.0\"}",
    )
    .unwrap();
    posture()
        .arg("aggregate")
        .arg(t.path())
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "bad.json: report schema version 9.0.0 is not supported",
        ))
        .stderr(predicate::str::contains(
            "1 file(s) skipped, 2 report(s) aggregated",
        ));
    posture()
        .args(["aggregate", "--strict"])
        .arg(t.path())
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "bad.json: report schema version 9.0.0",
        ));
    let empty = tempfile::tempdir().unwrap();
    posture()
        .arg("aggregate")
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no report found under"));
    posture()
        .args(["aggregate", "/nonexistent/reports"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "skipped /nonexistent/reports: cannot read",
        ))
        .stderr(predicate::str::contains(
            "no report could be read under /nonexistent/reports",
        ));
    // One missing path among good ones is only a warning.
    posture()
        .args(["aggregate", "/nonexistent/reports"])
        .arg(t.path())
        .assert()
        .success();
}

#[test]
fn aggregate_and_export_agree_on_copies_and_reused_scan_ids() {
    let t = tree(2);
    // host00's first report copied; host01's first report reusing
    // host00's scan id under another host name.
    let d = t.path();
    fs::copy(d.join("host00/2026-11-20.json"), d.join("copy.json")).unwrap();
    let mut forged: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("host01/2026-11-20.json")).unwrap())
            .unwrap();
    forged["scan"]["id"] = "host00-20".into();
    fs::write(d.join("host01/2026-11-20.json"), forged.to_string()).unwrap();
    let out = posture()
        .args(["aggregate", "--format", "json"])
        .arg(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let f = report_schema::fleet_json(&out.stdout);
    assert_eq!(
        (
            &f["summary"]["reports"],
            &f["summary"]["duplicates"],
            &f["summary"]["conflicts"]
        ),
        (&4.into(), &1.into(), &1.into())
    );
    // Reports are read in parallel: which of the two reports with other
    // contents comes second, and is named, varies from run to run.
    assert!(
        ["copy.json", "2026-11-20.json"]
            .iter()
            .any(|f| err.contains(&format!(
                "{f}: scan id host00-20 was read before in a report with another host"
            ))),
        "{err}"
    );
    let table = posture().arg("aggregate").arg(d).output().unwrap();
    assert!(String::from_utf8_lossy(&table.stdout)
        .contains("4 report(s), 0 file(s) skipped, 1 duplicate(s) ignored, 1 reusing another report's scan id"));
    let out_file = d.join("out.ndjson");
    let export = posture()
        .args(["export", "--format", "ndjson", "-o"])
        .arg(&out_file)
        .arg(d.join("host00"))
        .arg(d.join("host01"))
        .arg(d.join("copy.json"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&export.stderr);
    assert_eq!(export.status.code(), Some(0), "{err}");
    assert!(
        err.contains("from 4 report(s) written to")
            && err
                .contains("; 1 duplicate report(s) ignored; 1 report(s) reusing another's scan id"),
        "{err}"
    );
}
