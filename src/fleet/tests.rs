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
    let warn = |f: &str, r: &str| warnings.lock().unwrap().push(format!("{f}: {r}"));
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
    let err = aggregate(&[d.to_path_buf()], &Filters::default(), true, &|_, _| {}).unwrap_err();
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
