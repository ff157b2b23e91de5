use super::*;
use crate::report::{sample, summarize, Report};
use std::path::Path;

/// The sample report as `host`'s scan at `day` (`2026-11-DD`), with the
/// given rules' outcomes changed.
fn scan_of(host: &str, day: u32, changes: &[(&str, Outcome)]) -> Report {
    let mut r = sample();
    r.target.hostname = Some(host.into());
    r.scan.id = format!("{host}-{day}");
    r.scan.started_at = format!("2026-11-{day:02}T08:00:00.000Z");
    for (id, o) in changes {
        r.results.iter_mut().find(|x| x.id == *id).unwrap().outcome = *o;
    }
    r.summary = summarize(&r.results);
    r
}

fn write(dir: &Path, name: &str, r: &Report) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, crate::report::json::render(r)).unwrap();
}

fn run(dir: &Path, filters: &Filters) -> (Fleet, Vec<String>) {
    let warnings = Mutex::new(Vec::new());
    let warn = |w: Warning| {
        let line = match w {
            Warning::Skipped { file, reason } => format!("{file}: {reason}"),
            Warning::Note { file, note } => format!("note {file}: {note}"),
        };
        warnings.lock().unwrap().push(line)
    };
    let fleet = aggregate(&[dir.to_path_buf()], filters, false, &warn).unwrap();
    let mut w = warnings.into_inner().unwrap();
    w.sort();
    (fleet, w)
}

const ROOT: &str = "ssh-root-login-disabled";
const EMPTY: &str = "ssh-empty-passwords-disabled";

/// Three hosts: web01 scanned twice (fixes root login, breaks empty
/// passwords), web02 once, db01 once with root login fixed.
fn fleet_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "web01/2026-11-20.json", &scan_of("web01", 20, &[]));
    write(
        d,
        "web01/2026-11-21.json",
        &scan_of(
            "web01",
            21,
            &[(ROOT, Outcome::Pass), (EMPTY, Outcome::Fail)],
        ),
    );
    write(d, "web02/2026-11-21.json", &scan_of("web02", 21, &[]));
    write(
        d,
        "db/db01.json",
        &scan_of("db01", 19, &[(ROOT, Outcome::Pass)]),
    );
    dir
}

#[test]
fn summarizes_hosts_rules_trend_and_drift() {
    let dir = fleet_dir();
    let (f, warnings) = run(dir.path(), &Filters::default());
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        (f.summary.hosts, f.summary.reports, f.summary.skipped),
        (3, 4, 0)
    );
    let root = f.rules.iter().find(|r| r.id == ROOT).unwrap();
    assert_eq!((root.hosts, root.failing, root.fail_rate), (3, 1, 0.333));
    let empty = f.rules.iter().find(|r| r.id == EMPTY).unwrap();
    assert_eq!(empty.failing, 1);
    // Worst severity first, then most failing.
    assert_eq!(f.rules[0].severity, Severity::Critical);
    let x11 = f
        .rules
        .iter()
        .find(|r| r.id == "ssh-x11-forwarding-disabled")
        .unwrap();
    assert_eq!(x11.waived, 3);
    let web01 = f.hosts.iter().find(|h| h.hostname == "web01").unwrap();
    assert_eq!(web01.trend.len(), 2);
    assert_eq!(web01.scanned_at, "2026-11-21T08:00:00.000Z");
    assert!(web01.score_change.is_some());
    assert_eq!(web01.tags, ["prod", "dmz"]);
    assert!(f
        .hosts
        .iter()
        .find(|h| h.hostname == "web02")
        .unwrap()
        .score_change
        .is_none());
    // Lowest score first.
    assert!(f.hosts.windows(2).all(|w| w[0].score <= w[1].score));
    let drift: Vec<(&str, &str, DriftKind)> = f
        .drift
        .iter()
        .map(|d| (d.hostname.as_str(), d.rule.as_str(), d.change))
        .collect();
    assert_eq!(
        drift,
        [
            ("web01", EMPTY, DriftKind::StartedFailing),
            ("web01", ROOT, DriftKind::StoppedFailing)
        ]
    );
    assert_eq!(f.drift[0].since, "2026-11-20T08:00:00.000Z");
    let s = f.summary.score.as_ref().unwrap();
    assert!(s.min <= s.median && s.median <= s.max);
    let latest_results: usize = f.summary.by_outcome.values().sum();
    assert_eq!(latest_results, 3 * 13);
}

#[test]
fn filters_by_time_host_rule_and_severity() {
    let dir = fleet_dir();
    let since = Filters {
        since: Some("2026-11-21".into()),
        ..Filters::default()
    };
    let (f, _) = run(dir.path(), &since);
    assert_eq!((f.summary.hosts, f.summary.reports), (2, 2));
    assert!(f.drift.is_empty(), "one report per host left");
    let glob = globset::GlobBuilder::new("WEB*")
        .case_insensitive(true)
        .build()
        .unwrap()
        .compile_matcher();
    let (f, _) = run(
        dir.path(),
        &Filters {
            host: Some(("WEB*".into(), glob)),
            ..Filters::default()
        },
    );
    assert_eq!(f.summary.hosts, 2);
    let (f, _) = run(
        dir.path(),
        &Filters {
            rules: vec![ROOT.into()],
            ..Filters::default()
        },
    );
    assert_eq!(f.rules.len(), 1);
    assert!(f.drift.iter().all(|d| d.rule == ROOT));
    assert_eq!(f.summary.by_outcome.values().sum::<usize>(), 3);
    let (f, _) = run(
        dir.path(),
        &Filters {
            severity: Some(Severity::High),
            ..Filters::default()
        },
    );
    assert!(f.rules.iter().all(|r| r.severity >= Severity::High));
    assert!(f.drift.iter().all(|d| d.severity >= Severity::High));
}

#[test]
fn bad_files_are_skipped_named_and_counted() {
    let dir = fleet_dir();
    let d = dir.path();
    std::fs::write(d.join("junk.json"), "not json").unwrap();
    std::fs::write(d.join("empty.json"), "").unwrap();
    std::fs::write(d.join("array.json"), "[1, 2]").unwrap();
    let cut = crate::report::json::render(&sample());
    std::fs::write(d.join("cut.json"), &cut[..cut.len() / 2]).unwrap();
    let future = cut.replace(
        "\"schema_version\": \"2.0.0\"",
        "\"schema_version\": \"3.1.0\"",
    );
    std::fs::write(d.join("future.json"), future).unwrap();
    let newer_minor = scan_of("web03", 22, &[]);
    let text = crate::report::json::render(&newer_minor).replace(
        "\"schema_version\": \"2.0.0\"",
        "\"schema_version\": \"2.7.0\", \"new_field\": [1]",
    );
    std::fs::write(d.join("newer-minor.json"), text).unwrap();
    std::fs::write(d.join("notes.txt"), "not a report name").unwrap();
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(crate::report::json::render(&scan_of("web04", 22, &[])).as_bytes())
            .unwrap();
        e.finish().unwrap()
    };
    std::fs::write(d.join("web04.json.gz"), &gz).unwrap();
    std::fs::write(d.join("broken.json.gz"), &gz[..gz.len() / 2]).unwrap();
    let (f, warnings) = run(d, &Filters::default());
    assert_eq!(f.summary.skipped, 6, "{warnings:?}");
    assert_eq!(
        f.summary.hosts, 5,
        "web03 (newer minor) and web04 (gzip) are read"
    );
    let reason = |name: &str| {
        warnings
            .iter()
            .find(|w| w.contains(name))
            .unwrap_or_else(|| panic!("no warning for {name}: {warnings:?}"))
            .clone()
    };
    assert!(reason("junk.json").contains("not JSON"));
    assert!(reason("array.json").contains("not a posture report"));
    assert!(reason("cut.json").contains("not JSON"));
    assert!(reason("future.json").contains("report schema version 3.1.0 is not supported"));
    assert!(reason("broken.json.gz").contains("gzip"));
    assert_eq!(f.skipped.len(), 6);
    // Strict stops at one of them.
    let err = aggregate(&[d.to_path_buf()], &Filters::default(), true, &|_| {}).unwrap_err();
    assert!(err.to_string().contains(".json"), "{err}");
}

#[test]
fn the_same_report_twice_counts_once() {
    let dir = fleet_dir();
    let d = dir.path();
    std::fs::copy(d.join("web02/2026-11-21.json"), d.join("copy.json")).unwrap();
    let (f, _) = run(d, &Filters::default());
    assert_eq!((f.summary.reports, f.summary.duplicates), (4, 1));
    let web02 = f.hosts.iter().find(|h| h.hostname == "web02").unwrap();
    assert_eq!(web02.trend.len(), 1);
    assert!(web02.score_change.is_none());
}

#[test]
fn renders_every_format() {
    let dir = fleet_dir();
    let (f, _) = run(dir.path(), &Filters::default());
    for format in [
        render::FleetFormat::Table,
        render::FleetFormat::Json,
        render::FleetFormat::Html,
        render::FleetFormat::Csv,
        render::FleetFormat::Markdown,
    ] {
        let text = format.render(&f);
        assert!(text.contains(ROOT), "{format:?}");
    }
    let back: Fleet = serde_json::from_str(&render::json(&f)).unwrap();
    assert_eq!(back.summary.hosts, 3);
    let csv = render::csv(&f);
    assert_eq!(csv.lines().count(), f.rules.len() + 1);
    insta::assert_snapshot!("fleet_table", render::table(&f));
    insta::assert_snapshot!("fleet_markdown", render::markdown(&f));
}

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    e.finish().unwrap()
}

fn export_counts(dir: &Path) -> (export::Exported, Vec<String>) {
    let warnings = Mutex::new(Vec::new());
    let warn = |w: Warning| {
        if let Warning::Note { file, note } = w {
            warnings
                .lock()
                .unwrap()
                .push(format!("note {file}: {note}"));
        }
    };
    let done = export::export(
        &[dir.to_path_buf()],
        &Filters::default(),
        export::ExportFormat::Ndjson,
        None,
        false,
        Vec::new(),
        &warn,
    )
    .unwrap();
    (done, warnings.into_inner().unwrap())
}

#[test]
fn aggregate_and_export_count_the_same_reports() {
    // 300 files: 100 reports that all reuse one scan id, each claiming its
    // own host (forged, or edited copies); a plain and a gzipped copy of
    // each of 50 honest reports; and 50 honest reports once.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..100 {
        let mut r = scan_of(&format!("forged{i:03}"), 20, &[]);
        r.scan.id = "6f1c2a9e-4b7d-4e0a-9c3f-2d8e5b1a7c40".into();
        write(d, &format!("forged/{i:03}.json"), &r);
    }
    for i in 0..100 {
        let text = crate::report::json::render(&scan_of(&format!("host{i:03}"), 21, &[]));
        write_text(d, &format!("a/{i:03}.json"), &text);
        if i < 50 {
            std::fs::create_dir_all(d.join("b")).unwrap();
            std::fs::write(d.join(format!("b/{i:03}.json.gz")), gzip(&text)).unwrap();
        }
    }
    let (f, warnings) = run(d, &Filters::default());
    let (done, notes) = export_counts(d);
    let fleet_counts = (f.summary.reports, f.summary.duplicates, f.summary.conflicts);
    assert_eq!(fleet_counts, (200, 50, 99));
    assert_eq!(
        (
            done.counts.reports,
            done.counts.duplicates,
            done.counts.conflicts
        ),
        fleet_counts
    );
    assert_eq!(f.summary.hosts, 200, "every forged host is its own host");
    // Each conflict is named, whichever copy came first.
    for w in [&warnings, &notes] {
        let conflicts: Vec<&String> = w.iter().filter(|w| w.contains("was read before")).collect();
        assert_eq!(conflicts.len(), 99, "{w:?}");
        assert!(
            conflicts.iter().all(|c| c.contains("/forged/")),
            "{conflicts:?}"
        );
    }
    // Exact copies only: the same report under another host name is not one.
    let mut r = scan_of("host000", 21, &[]);
    r.target.hostname = Some("elsewhere".into());
    write(d, "c/renamed.json", &r);
    let (f, _) = run(d, &Filters::default());
    assert_eq!((f.summary.reports, f.summary.conflicts), (201, 100));
    assert_eq!(export_counts(d).0.counts.reports, 201);
}

fn write_text(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_summary_that_disagrees_with_the_results_is_recomputed() {
    let dir = fleet_dir();
    let d = dir.path();
    let honest = scan_of("web09", 22, &[]);
    let mut forged = serde_json::to_value(&honest).unwrap();
    forged["summary"]["score"] = 100.0.into();
    forged["summary"]["by_outcome"]["fail"] = 0.into();
    write_text(d, "web09.json", &forged.to_string());
    let (f, warnings) = run(d, &Filters::default());
    let web09 = f.hosts.iter().find(|h| h.hostname == "web09").unwrap();
    assert_eq!(web09.score, honest.summary.score);
    assert_eq!(f.summary.summaries_recomputed, 1);
    assert!(
        warnings.iter().any(|w| w.starts_with("note ")
            && w.contains("web09.json: the stored summary disagrees with the results")),
        "{warnings:?}"
    );
    let (done, notes) = export_counts(d);
    assert_eq!(done.counts.recomputed, 1);
    assert_eq!(notes.len(), 1);
}

#[test]
fn directories_are_searched_to_a_bounded_depth_without_following_links() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut deep = d.to_path_buf();
    for level in 1..=read::MAX_DIR_DEPTH + 3 {
        deep.push(format!("l{level}"));
        std::fs::create_dir(&deep).unwrap();
        if level == read::MAX_DIR_DEPTH || level == read::MAX_DIR_DEPTH + 2 {
            write(&deep, "r.json", &scan_of(&format!("deep{level}"), 20, &[]));
        }
    }
    // Links are not followed: a loop to the top, one to itself, one to a
    // report elsewhere.
    std::os::unix::fs::symlink(d, d.join("l1/loop")).unwrap();
    std::os::unix::fs::symlink(d.join("self.json"), d.join("self.json")).unwrap();
    let other = tempfile::tempdir().unwrap();
    write(other.path(), "x.json", &scan_of("linked", 20, &[]));
    std::os::unix::fs::symlink(other.path().join("x.json"), d.join("linked.json")).unwrap();
    // A wide directory is listed as it is read, not held whole.
    for i in 0..3000 {
        std::fs::write(d.join(format!("n{i:04}.txt")), "").unwrap();
    }
    let (f, warnings) = run(d, &Filters::default());
    let hosts: Vec<&str> = f.hosts.iter().map(|h| h.hostname.as_str()).collect();
    assert_eq!(hosts, [format!("deep{}", read::MAX_DIR_DEPTH)]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].ends_with(&format!(
            "/l{}: not searched: deeper than 32 directory levels below the path given",
            read::MAX_DIR_DEPTH + 1
        )),
        "{warnings:?}"
    );
}

#[test]
fn hostile_reports_are_skipped_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = serde_json::to_value(scan_of("web01", 20, &[])).unwrap();
    let other = serde_json::to_value(scan_of("web02", 20, &[])).unwrap();
    let deep_text = other.to_string().replacen(
        "\"evidence\":[",
        &format!("\"evidence\":[{}{},", "[".repeat(100), "]".repeat(100)),
        1,
    );
    write_text(d, "deep.json", &deep_text);
    let mut long_id = good.clone();
    long_id["scan"]["id"] = "x".repeat(read::MAX_IDENTITY_BYTES + 1).into();
    write_text(d, "long-id.json", &long_id.to_string());
    let mut tags = good.clone();
    tags["target"]["tags"] = (0..=read::MAX_TAGS).map(|i| format!("t{i}")).collect();
    write_text(d, "tags.json", &tags.to_string());
    let mut many = good.clone();
    many["results"] = (0..=crate::report::read::MAX_RESULTS)
        .map(|i| serde_json::json!({"id": format!("r{i}"), "title": "", "severity": "low", "outcome": "pass"}))
        .collect();
    write_text(d, "many.json", &many.to_string());
    write_text(d, "good.json", &good.to_string());
    let (f, warnings) = run(d, &Filters::default());
    assert_eq!(f.summary.skipped, 3, "{warnings:?}");
    let reason = |name: &str| warnings.iter().find(|w| w.contains(name)).unwrap().clone();
    assert!(reason("long-id.json").contains("scan.id is 1025 bytes long; the limit is 1024"));
    assert!(reason("tags.json").contains("more than 64 tags; the limit is 64"));
    assert!(reason("many.json").contains("more than 50000 results; the limit is 50000"));
    // Deep JSON in evidence costs aggregation nothing (it skips evidence):
    // the report counts in both, and export says it left evidence out.
    assert_eq!(f.summary.reports, 2);
    let (done, notes) = export_counts(d);
    assert_eq!(done.counts.reports, 2);
    assert_eq!(done.skipped_count, 3);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("deep.json: references and evidence not exported: JSON nested deeper than 64 levels at line 1"),
        "{notes:?}"
    );
}
