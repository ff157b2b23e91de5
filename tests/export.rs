//! `posture export` end to end: the Parquet and NDJSON files load unchanged
//! in DuckDB and in Apache Spark, whose per-rule failure counts agree with
//! `posture aggregate`'s.
//!
//! DuckDB and PySpark come from PyPI into `tests/consumers/.venv` (made by
//! `.ci/run` from `tests/consumers/requirements.txt`); Spark needs Java. A
//! missing engine skips its check, unless `POSTURE_REQUIRE_CONSUMERS=1`.

#[path = "support/report_schema.rs"]
mod report_schema;

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};

fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sample() -> serde_json::Value {
    let text = fs::read_to_string(manifest().join("tests/fixtures/reports/sample.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Six hosts, two or three daily reports each (15 in all), outcomes varying by host and
/// day so that per-rule counts differ from rule to rule; one gzipped report,
/// one copy of a report, one file that is not a report.
fn fleet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let outcomes = ["pass", "fail", "not_applicable", "error", "waived"];
    for h in 0..6usize {
        for day in 0..(2 + h % 2) {
            let mut r = sample();
            r["target"]["hostname"] = format!("host{h}").into();
            r["scan"]["id"] = format!("scan-{h}-{day}").into();
            r["scan"]["started_at"] = format!("2026-11-{:02}T0{h}:00:00.000Z", 20 + day).into();
            for (i, x) in r["results"].as_array_mut().unwrap().iter_mut().enumerate() {
                let o = outcomes[(i * 7 + h * 3 + day * 5) % outcomes.len()];
                x["outcome"] = o.into();
                if o != "waived" && x["outcome"] != "fail" {
                    x.as_object_mut().unwrap().remove("waiver");
                }
            }
            let path = dir.path().join(format!("host{h}/day{day}.json"));
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, serde_json::to_string_pretty(&r).unwrap()).unwrap();
        }
    }
    let copy = dir.path().join("copies");
    fs::create_dir_all(&copy).unwrap();
    fs::copy(dir.path().join("host0/day1.json"), copy.join("again.json")).unwrap();
    fs::write(
        dir.path().join("copies/notes.json"),
        "{\"not\": \"a report\"}",
    )
    .unwrap();
    dir
}

struct Outputs {
    _reports: tempfile::TempDir,
    _dir: tempfile::TempDir,
    parquet: PathBuf,
    ndjson: PathBuf,
    fleet: PathBuf,
}

fn outputs() -> Outputs {
    let reports = fleet();
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name);
    for (format, file) in [("parquet", "rows.parquet"), ("ndjson", "rows.ndjson")] {
        let o = posture()
            .args(["export", "--format", format, "-o"])
            .arg(out(file))
            .arg(reports.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(
            err.contains("from 15 report(s)")
                && err.contains("1 file(s) skipped; 1 duplicate report(s) ignored"),
            "{err}"
        );
    }
    let o = posture()
        .args(["aggregate", "--format", "json", "-o"])
        .arg(out("fleet.json"))
        .arg(reports.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    report_schema::fleet_json(&fs::read(out("fleet.json")).unwrap());
    Outputs {
        _reports: reports,
        parquet: out("rows.parquet"),
        ndjson: out("rows.ndjson"),
        fleet: out("fleet.json"),
        _dir: dir,
    }
}

fn required() -> bool {
    std::env::var("POSTURE_REQUIRE_CONSUMERS").is_ok_and(|v| v == "1")
}

/// The venv's Python if it can import `module`.
fn python_with(module: &str) -> Option<PathBuf> {
    let python = manifest().join("tests/consumers/.venv/bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(
        !required(),
        "Python module {module} is not in tests/consumers/.venv but POSTURE_REQUIRE_CONSUMERS=1; run .ci/run"
    );
    eprintln!("skipped: {module} is not installed in tests/consumers/.venv (see .ci/run)");
    None
}

fn run_check(python: &Path, script: &str, args: &[&Path]) {
    let out = std::process::Command::new(python)
        .arg(manifest().join("tests/consumers").join(script))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
    eprint!("{text}");
}

#[test]
fn ndjson_rows_are_flat_and_bulk_loadable() {
    let o = outputs();
    let text = fs::read_to_string(&o.ndjson).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 15 * 13);
    let first = rows[0].as_object().unwrap();
    let names: Vec<&str> = first.keys().map(String::as_str).collect();
    let documented: Vec<&str> = posture::fleet::export::COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .collect();
    assert_eq!(names, documented);
    assert!(rows
        .iter()
        .all(|r| r["references"].is_array() && r["host"].is_string()));
    // With --bulk-index, every row follows its _bulk action line.
    let dir = tempfile::tempdir().unwrap();
    let bulk = dir.path().join("bulk.ndjson");
    posture()
        .args([
            "export",
            "--format",
            "ndjson",
            "--bulk-index",
            "posture",
            "-o",
        ])
        .arg(&bulk)
        .arg(manifest().join("tests/fixtures/reports/sample.json"))
        .assert()
        .success();
    let lines: Vec<serde_json::Value> = fs::read_to_string(&bulk)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 26);
    assert_eq!(lines[0]["index"]["_index"], "posture");
    assert_eq!(
        lines[0]["index"]["_id"],
        format!(
            "{}/{}",
            lines[1]["scan_id"].as_str().unwrap(),
            lines[1]["rule_id"].as_str().unwrap()
        )
    );
    posture()
        .args(["export", "--format", "parquet", "--bulk-index", "x", "-o"])
        .arg(dir.path().join("x.parquet"))
        .arg(manifest().join("tests/fixtures/reports/sample.json"))
        .assert()
        .code(2);
    assert!(!dir.path().join("x.parquet").exists());
}

#[test]
fn duckdb_loads_both_files_and_agrees_with_aggregate() {
    let Some(python) = python_with("duckdb") else {
        return;
    };
    let o = outputs();
    run_check(
        &python,
        "check_duckdb.py",
        &[&o.parquet, &o.ndjson, &o.fleet],
    );
}

#[test]
fn spark_loads_parquet_and_agrees_with_aggregate() {
    let Some(python) = python_with("pyspark") else {
        return;
    };
    let o = outputs();
    run_check(&python, "check_spark.py", &[&o.parquet, &o.fleet]);
}

#[test]
fn export_errors_leave_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = dir.path().join("rows.parquet");
    posture()
        .args(["export", "--format", "parquet", "-o"])
        .arg(&out)
        .arg(empty.path())
        .assert()
        .code(2);
    let bad = dir.path().join("bad.json");
    fs::write(&bad, "[]").unwrap();
    posture()
        .args(["export", "--format", "ndjson", "--strict", "-o"])
        .arg(&out)
        .arg(&bad)
        .assert()
        .code(2);
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only bad.json"
    );
    // A directory as output gets a default file name in it.
    posture()
        .args(["export", "--format", "ndjson", "-o"])
        .arg(dir.path())
        .arg(manifest().join("tests/fixtures/reports/sample.json"))
        .assert()
        .success();
    assert!(dir.path().join("posture-results.ndjson").exists());
}
