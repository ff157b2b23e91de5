use super::*;

fn sample_text() -> String {
    include_str!("../../../tests/fixtures/reports/sample.json").to_string()
}

#[test]
fn shape_allows_reports_and_counts_every_value() {
    check_shape(sample_text().as_bytes()).unwrap();
    // Brackets and quotes inside strings are text, not structure.
    let nested_in_text = format!("[\"{}\\\"{}\"]", "[".repeat(100), "{".repeat(100));
    check_shape(nested_in_text.as_bytes()).unwrap();
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    check_shape(deep(MAX_DEPTH).as_bytes()).unwrap();
    let e = check_shape(format!("{{\n\"a\": {}}}", deep(MAX_DEPTH)).as_bytes()).unwrap_err();
    assert!(
        e.contains("nested deeper than 64 levels at line 2 column 69"),
        "{e}"
    );
    // MAX_VALUES values pass, one more does not, whatever their kind.
    let values = |n: usize, item: &str| {
        let mut s = String::with_capacity(n * (item.len() + 1) + 2);
        s.push('[');
        for i in 0..n - 1 {
            if i > 0 {
                s.push(',');
            }
            s.push_str(item);
        }
        s.push(']');
        s
    };
    for item in ["-1.5e3", "[]", "{}", "\"\"", "null"] {
        check_shape(values(MAX_VALUES, item).as_bytes()).unwrap();
        let e = check_shape(values(MAX_VALUES + 1, item).as_bytes()).unwrap_err();
        assert!(e.contains("more than 2097152 JSON values"), "{item}: {e}");
    }
    // Keys count too.
    let keys: String = (0..MAX_VALUES / 2 + 1)
        .map(|i| format!("\"k{i}\":0"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(check_shape(format!("{{{keys}}}").as_bytes()).is_err());
}

#[test]
fn a_summary_that_disagrees_is_recomputed_and_noted() {
    let honest = parse(&sample_text()).unwrap();
    assert!(honest.notes.is_empty(), "{:?}", honest.notes);
    let mut v: serde_json::Value = serde_json::from_str(&sample_text()).unwrap();
    // The summary claims a clean host; the results say otherwise.
    v["summary"]["by_outcome"]["fail"] = 0.into();
    v["summary"]["by_outcome"]["pass"] = 12.into();
    v["summary"]["score"] = 100.0.into();
    let forged = parse(&v.to_string()).unwrap();
    assert_eq!(forged.report.summary.score, honest.report.summary.score);
    assert_eq!(
        forged.report.summary.by_outcome,
        honest.report.summary.by_outcome
    );
    let failed = honest.report.summary.by_outcome[&Outcome::Fail];
    assert_eq!(
        forged.notes,
        [format!(
            "the stored summary disagrees with the results, which give {failed} fail, not 0, 4 pass, not 12, score {:.1}, not 100.0; the summary was recomputed from the results",
            honest.report.summary.score
        )]
    );
    // Counts by severity alone are noticed too.
    let mut v: serde_json::Value = serde_json::from_str(&sample_text()).unwrap();
    v["summary"]["by_severity"]["info"]["pass"] = 7.into();
    assert_eq!(parse(&v.to_string()).unwrap().notes.len(), 1);
}

#[test]
fn results_are_bounded_in_number_and_id_length() {
    let ids: Vec<String> = (0..MAX_RESULTS).map(|i| format!("r{i}")).collect();
    check_results(ids.iter().map(String::as_str)).unwrap();
    let more: Vec<&str> = vec!["r"; MAX_RESULTS + 1];
    let e = check_results(more.into_iter()).unwrap_err();
    assert_eq!(e, "50001 results; reports hold at most 50000");
    let long = "x".repeat(MAX_RULE_ID_BYTES + 1);
    let e = check_results(["ok", long.as_str()].into_iter()).unwrap_err();
    assert_eq!(
        e,
        "results[1].id is 257 bytes long; rule ids are at most 256"
    );
    let mut v: serde_json::Value = serde_json::from_str(&sample_text()).unwrap();
    v["results"][2]["id"] = long.into();
    let e = parse(&v.to_string()).unwrap_err();
    assert!(e.starts_with("not a posture report: results[2].id"), "{e}");
}

#[test]
fn waivers_of_older_reports_get_their_count() {
    let r = parse(&sample_text()).unwrap().report;
    assert!(!r.waivers.is_empty());
    for w in &r.waivers {
        assert_eq!(w.rules_count, w.rules.len(), "{}", w.rule);
    }
}

#[test]
fn a_file_over_the_limit_is_refused_by_its_size_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.json");
    // Sparse: no disk is used, and reading it would take seconds.
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(MAX_REPORT_BYTES + 1).unwrap();
    let started = std::time::Instant::now();
    let e = bytes(&path).unwrap_err();
    assert_eq!(
        e,
        "the file is 268435457 bytes; reports are at most 256 MiB (docs/report-format.md)"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    let e = load(&path).unwrap_err();
    assert!(
        e.starts_with(&format!("{}: the file is", path.display())),
        "{e}"
    );
    let e = bytes(dir.path()).unwrap_err();
    assert_eq!(e, "cannot read: is a directory");
}

#[test]
fn gzip_reports_read_like_plain_ones() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(sample_text().as_bytes()).unwrap();
    std::fs::write(&path, e.finish().unwrap()).unwrap();
    assert_eq!(load(&path).unwrap().report.results.len(), 13);
}

/// An edit of a report, as a JSON value.
type Edit<'a> = &'a dyn Fn(&mut serde_json::Value);

#[test]
fn identity_strings_and_tags_are_bounded() {
    let edited = |f: Edit| {
        let mut v: serde_json::Value = serde_json::from_str(&sample_text()).unwrap();
        f(&mut v);
        parse(&v.to_string()).map(|_| ())
    };
    edited(&|v| v["target"]["root"] = format!("/{}", "r".repeat(MAX_ROOT_BYTES - 1)).into())
        .unwrap();
    edited(&|v| v["target"]["hostname"] = "h".repeat(MAX_IDENTITY_BYTES).into()).unwrap();
    let cases: [(Edit, &str); 4] = [
        (
            &|v| v["target"]["hostname"] = "h".repeat(MAX_IDENTITY_BYTES + 1).into(),
            "not a posture report: target.hostname is 1025 bytes long; the limit is 1024",
        ),
        (
            &|v| v["target"]["root"] = "r".repeat(MAX_ROOT_BYTES + 1).into(),
            "not a posture report: target.root is 4097 bytes long; the limit is 4096",
        ),
        (
            &|v| v["scan"]["id"] = "i".repeat(MAX_IDENTITY_BYTES + 1).into(),
            "not a posture report: scan.id is 1025 bytes long; the limit is 1024",
        ),
        (
            &|v| v["target"]["tags"] = (0..=MAX_TAGS).map(|i| format!("t{i}")).collect(),
            "not a posture report: more than 64 tags; the limit is 64",
        ),
    ];
    for (edit, message) in cases {
        assert_eq!(edited(edit).unwrap_err(), message);
    }
}
