use super::*;
use crate::engine::Outcome;
use crate::report::{Report, WaiverState};

fn report() -> Report {
    crate::report::sample()
}

fn waivers(text: &str) -> Waivers {
    parse(text, "w.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn errors(text: &str) -> Vec<String> {
    match parse(text, "w.yaml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.diagnostics.iter().map(|d| d.to_string()).collect(),
    }
}

fn outcome_of(r: &Report, id: &str) -> Outcome {
    r.results.iter().find(|x| x.id == id).unwrap().outcome
}

const X11: &str = "ssh-x11-forwarding-disabled";

#[test]
fn sample_report_carries_the_waivers_it_was_made_with() {
    let r = report();
    let status: Vec<(&str, WaiverState)> = r
        .waivers
        .iter()
        .map(|w| (w.rule.as_str(), w.status))
        .collect();
    assert_eq!(
        status,
        [
            (X11, WaiverState::Applied),
            ("ssh-max-auth-tries", WaiverState::Expired),
            ("ntp-*", WaiverState::Unmatched),
            ("ssh-empty-passwords-disabled", WaiverState::NotNeeded),
            ("*", WaiverState::OutOfScope),
        ]
    );
    assert_eq!(outcome_of(&r, X11), Outcome::Waived);
    let expired = r
        .results
        .iter()
        .find(|x| x.id == "ssh-max-auth-tries")
        .unwrap();
    assert_eq!(expired.outcome, Outcome::Fail);
    assert!(expired.waiver.as_ref().unwrap().expired);
}

#[test]
fn waived_failure_keeps_evidence_and_leaves_the_score() {
    let mut r = report();
    apply(&mut r, &waivers("waivers: []"));
    assert!(r.waivers.is_empty());
    assert_eq!(outcome_of(&r, X11), Outcome::Fail);
    let failing = r.summary.by_outcome[&Outcome::Fail];
    let score_unwaived = r.summary.score;
    apply(
        &mut r,
        &waivers(
            "waivers:\n  - rule: ssh-x11-*\n    justification: j\n    approver: a\n    expires: never\n",
        ),
    );
    let x11 = r.results.iter().find(|x| x.id == X11).unwrap();
    assert_eq!(x11.outcome, Outcome::Waived);
    assert!(!x11.evidence.is_empty());
    let w = x11.waiver.as_ref().unwrap();
    assert_eq!(
        (w.approver.as_str(), w.expires.as_deref(), w.expired),
        ("a", None, false)
    );
    assert_eq!(w.location, "w.yaml:2");
    assert_eq!(r.summary.by_outcome[&Outcome::Fail], failing - 1);
    assert_eq!(r.summary.by_outcome[&Outcome::Waived], 1);
    // Waived rules leave the score rather than count as passes.
    assert!(r.summary.score > score_unwaived);
    assert!(r.summary.score < 100.0);
}

#[test]
fn waivers_only_touch_failures() {
    let mut r = report();
    apply(
        &mut r,
        &waivers("waivers:\n  - rule: \"*\"\n    justification: j\n    approver: a\n    expires: 2099-01-01\n"),
    );
    for x in &r.results {
        assert_ne!(x.outcome, Outcome::Fail, "{}", x.id);
    }
    assert_eq!(
        outcome_of(&r, "ssh-empty-passwords-disabled"),
        Outcome::Pass
    );
    assert_eq!(outcome_of(&r, "password-max-age-default"), Outcome::Error);
    assert_eq!(
        outcome_of(&r, "audit-log-storage-size"),
        Outcome::NotApplicable
    );
    assert_eq!(r.waivers[0].status, WaiverState::Applied);
}

#[test]
fn expiry_is_judged_on_the_scan_day() {
    // The sample scan ran on 2026-11-23.
    let text = |date: &str| {
        format!("waivers:\n  - rule: {X11}\n    justification: j\n    approver: a\n    expires: {date}\n")
    };
    let mut r = report();
    apply(&mut r, &waivers(&text("2026-11-23")));
    assert_eq!(
        outcome_of(&r, X11),
        Outcome::Waived,
        "in force on its last day"
    );
    apply(&mut r, &waivers(&text("2026-11-22")));
    assert_eq!(outcome_of(&r, X11), Outcome::Fail);
    assert_eq!(r.waivers[0].status, WaiverState::Expired);
    assert!(
        r.results
            .iter()
            .find(|x| x.id == X11)
            .unwrap()
            .waiver
            .as_ref()
            .unwrap()
            .expired
    );
    assert_eq!(r.expired_waivers().count(), 1);
}

#[test]
fn first_waiver_in_force_applies() {
    let mut r = report();
    let w = waivers(&format!(
        "waivers:\n  - rule: {X11}\n    justification: old\n    approver: a\n    expires: 2020-01-01\n  - rule: ssh-*\n    justification: new\n    approver: b\n    expires: never\n"
    ));
    apply(&mut r, &w);
    let x11 = r.results.iter().find(|x| x.id == X11).unwrap();
    assert_eq!(x11.waiver.as_ref().unwrap().justification, "new");
    assert_eq!(r.waivers[0].status, WaiverState::Expired);
    assert_eq!(r.waivers[1].status, WaiverState::Applied);
}

#[test]
fn scope_matches_hostnames_and_tags() {
    let r = report(); // web01, tags prod and dmz
    let scoped = |scope: &str| {
        let mut r = r.clone();
        apply(
            &mut r,
            &waivers(&format!(
                "waivers:\n  - rule: {X11}\n    justification: j\n    approver: a\n    expires: never\n    scope: {scope}\n"
            )),
        );
        r.waivers[0].status
    };
    assert_eq!(scoped("{hostnames: [WEB*]}"), WaiverState::Applied);
    assert_eq!(scoped("{hostnames: [db*]}"), WaiverState::OutOfScope);
    assert_eq!(scoped("{tags: [lab, dmz]}"), WaiverState::Applied);
    assert_eq!(scoped("{tags: [lab]}"), WaiverState::OutOfScope);
    assert_eq!(
        scoped("{hostnames: [web01], tags: [lab]}"),
        WaiverState::OutOfScope
    );
    assert_eq!(
        scoped("{hostnames: [web01], tags: [prod]}"),
        WaiverState::Applied
    );
}

#[test]
fn reapplying_replaces_earlier_waivers() {
    let mut r = report();
    apply(&mut r, &waivers("waivers:\n"));
    assert_eq!(outcome_of(&r, X11), Outcome::Fail);
    assert!(r.results.iter().all(|x| x.waiver.is_none()));
    assert!(r.waivers.is_empty());
    assert_eq!(r.summary.by_outcome[&Outcome::Waived], 0);
}

#[test]
fn malformed_files_name_every_problem_with_its_position() {
    assert_eq!(
        errors(
            "waivers:\n  - rule: a\n    justification: j\n    expires: 2027-02-30\n  - rule: \"[\"\n    justification: \"\"\n    approver: x\n    expires: never\n    scopes: {}\n  - rule: b\n    justification: j\n    approver: x\n    expires: never\n    scope: {}\n    rule: c\n"
        ),
        [
            "w.yaml:2:5: a waiver needs `approver`",
            "w.yaml:4:14: `expires` must be a date YYYY-MM-DD or `never`, found `2027-02-30`",
            "w.yaml:9:5: unknown key `scopes` in a waiver; expected one of: rule, justification, approver, expires, scope",
            "w.yaml:6:20: `justification` must not be empty",
            "w.yaml:5:11: invalid glob `[`: unclosed character class; missing ']'",
            "w.yaml:15:5: duplicate key `rule` in a waiver (first at line 10)",
            "w.yaml:14:12: a scope needs `hostnames` or `tags`; leave `scope` out to cover every host",
        ]
    );
    assert_eq!(
        errors("- rule: a\n"),
        ["w.yaml:1:1: a waivers file must be a mapping, found a list"]
    );
    assert_eq!(
        errors("waiver: []\n"),
        [
            "w.yaml:1:1: unknown key `waiver` in a waivers file; expected one of: waivers",
            "w.yaml:1:1: a waivers file needs a `waivers` list"
        ]
    );
    assert_eq!(
        errors("waivers: {rule: a}\n"),
        ["w.yaml:1:10: `waivers` must be a list, found a mapping"]
    );
    assert_eq!(errors("waivers: [\n").len(), 1);
}

#[test]
fn dates_are_real_calendar_days() {
    use super::cfg::is_date;
    for ok in ["2024-02-29", "2027-12-31", "2000-02-29"] {
        assert!(is_date(ok), "{ok}");
    }
    for bad in [
        "2023-02-29",
        "1900-02-29",
        "2027-13-01",
        "2027-00-10",
        "2027-1-01",
        "27-01-01",
        "2027-01-32",
        "2027/01/01",
        "+027-01-01",
    ] {
        assert!(!is_date(bad), "{bad}");
    }
}

/// The sample report with its results repeated to `n`, as rules
/// `r0000`, `r0001`, ... of alternating outcomes.
fn wide_report(n: usize) -> Report {
    let mut r = report();
    let base = r.results.clone();
    r.results = (0..n)
        .map(|i| {
            let mut x = base[i % base.len()].clone();
            x.id = format!("r{i:04}");
            x.outcome = match i % 4 {
                0 | 1 => Outcome::Fail,
                2 => Outcome::Pass,
                _ => Outcome::Error,
            };
            x.waiver = None;
            x
        })
        .collect();
    r.waivers.clear();
    r
}

fn waiver_yaml(rule: &str, extra: &str) -> String {
    format!(
        "  - rule: \"{rule}\"\n    justification: j\n    approver: a\n    expires: never\n{extra}"
    )
}

#[test]
fn ten_thousand_wildcard_waivers_list_twenty_rules_each() {
    let mut r = wide_report(1000);
    let text: String = std::iter::once("waivers:\n".to_string())
        .chain((0..MAX_WAIVERS).map(|i| waiver_yaml(["*", "r*", "r0*"][i % 3], "")))
        .collect();
    let w = waivers(&text);
    let started = std::time::Instant::now();
    apply(&mut r, &w);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.waivers.len(), MAX_WAIVERS);
    for s in &r.waivers {
        assert_eq!(s.rules_count, 1000);
        assert_eq!(s.rules.len(), crate::report::WAIVER_RULES_LISTED);
        // Failures first: r0000, r0001, r0004, r0005, ...
        assert_eq!(s.rules[..3], ["r0000", "r0001", "r0004"]);
    }
    assert_eq!(r.waivers[0].status, WaiverState::Applied);
    assert_eq!(r.waivers[1].status, WaiverState::NotNeeded);
    assert_eq!(r.summary.by_outcome[&Outcome::Waived], 500);
    // The old list of every match made this 10,000 × 1,000 rule ids.
    let json = crate::report::json::render(&r);
    assert!(json.len() < 12_000_000, "{} bytes", json.len());
}

/// Each result's outcome and covering waiver (location, expired).
type Covered = Vec<(Outcome, Option<(String, bool)>)>;
/// Each waiver's state and every rule it matched.
type Statuses = Vec<(WaiverState, Vec<String>)>;

/// What the waivers should do, computed the slow and obvious way: every
/// waiver against every result, every match listed.
fn reference(r: &Report, w: &Waivers) -> (Covered, Statuses) {
    let as_of = "2026-11-23";
    let host = r.target.hostname.as_deref();
    let results = r
        .results
        .iter()
        .map(|x| {
            if x.outcome != Outcome::Fail {
                return (x.outcome, None);
            }
            let matching: Vec<&Waiver> = w
                .waivers
                .iter()
                .filter(|v| v.scope.matches(host, &r.target.tags) && v.matches_rule(&x.id))
                .collect();
            match matching.iter().find(|v| !v.is_expired(as_of)) {
                Some(v) => (Outcome::Waived, Some((v.location.clone(), false))),
                None => (
                    Outcome::Fail,
                    matching.first().map(|v| (v.location.clone(), true)),
                ),
            }
        })
        .collect::<Vec<_>>();
    let statuses = w
        .waivers
        .iter()
        .map(|v| {
            let in_scope = v.scope.matches(host, &r.target.tags);
            let matched: Vec<String> = r
                .results
                .iter()
                .filter(|x| in_scope && v.matches_rule(&x.id))
                .map(|x| x.id.clone())
                .collect();
            let applied = results
                .iter()
                .any(|(_, by)| by.as_ref() == Some(&(v.location.clone(), false)));
            let state = if v.is_expired(as_of) {
                WaiverState::Expired
            } else if !in_scope {
                WaiverState::OutOfScope
            } else if matched.is_empty() {
                WaiverState::Unmatched
            } else if applied {
                WaiverState::Applied
            } else {
                WaiverState::NotNeeded
            };
            (state, matched)
        })
        .collect();
    (results, statuses)
}

#[test]
fn grouped_matching_agrees_with_matching_every_waiver() {
    // A seeded generator: rule patterns (ids, globs, repeats), expiry and
    // scope vary; the grouped apply must give what the reference gives.
    let mut seed: u64 = 0x5eed_ba5e;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let patterns = [
        "r0001",
        "r0002",
        "r0003",
        "r001?",
        "r00[0-2]*",
        "r*",
        "*",
        "r{0001,0005}",
        "x*",
        "r0007",
    ];
    let mut cases = 0;
    for _ in 0..300 {
        let mut r = wide_report(1 + next(40) as usize);
        let n = 1 + next(12) as usize;
        let text: String = std::iter::once("waivers:\n".to_string())
            .chain((0..n).map(|_| {
                let rule = patterns[next(patterns.len() as u64) as usize];
                let expires = ["never", "2026-11-22", "2026-11-23", "2027-01-01"][next(4) as usize];
                let scope = ["", "    scope: {tags: [lab]}\n", "    scope: {hostnames: [WEB*]}\n"][next(3) as usize];
                format!("  - rule: \"{rule}\"\n    justification: j\n    approver: a\n    expires: {expires}\n{scope}")
            }))
            .collect();
        let w = waivers(&text);
        let (want_results, want_status) = reference(&r, &w);
        apply(&mut r, &w);
        for (x, (outcome, by)) in r.results.iter().zip(&want_results) {
            assert_eq!(x.outcome, *outcome, "{}\n{text}", x.id);
            let got = x.waiver.as_ref().map(|v| (v.location.clone(), v.expired));
            assert_eq!(&got, by, "{}\n{text}", x.id);
        }
        for (s, (state, matched)) in r.waivers.iter().zip(&want_status) {
            assert_eq!(s.status, *state, "{}\n{text}", s.location);
            assert_eq!(s.rules_count, matched.len(), "{}\n{text}", s.location);
            // Failures first (waived now, or still failing), then the
            // others, each in report order.
            let failed = |id: &String| {
                r.results
                    .iter()
                    .any(|x| &x.id == id && matches!(x.outcome, Outcome::Fail | Outcome::Waived))
            };
            let failed_first: Vec<&String> = matched
                .iter()
                .filter(|id| failed(id))
                .chain(matched.iter().filter(|id| !failed(id)))
                .take(crate::report::WAIVER_RULES_LISTED)
                .collect();
            assert_eq!(
                s.rules.iter().collect::<Vec<_>>(),
                failed_first,
                "{}\n{text}",
                s.location
            );
        }
        cases += 1;
    }
    assert_eq!(cases, 300);
}

#[test]
fn waivers_files_are_bounded() {
    let many = |n: usize, rule: &dyn Fn(usize) -> String| -> String {
        std::iter::once("waivers:\n".to_string())
            .chain((0..n).map(|i| waiver_yaml(&rule(i), "")))
            .collect()
    };
    // Waivers: at most MAX_WAIVERS, the one past the limit is named.
    let e = errors(&many(MAX_WAIVERS + 1, &|_| "*".into()));
    assert_eq!(
        e,
        ["w.yaml:40002:5: more than 10000 waivers; a waivers file holds at most 10000 (docs/waivers.md)"]
    );
    // Plain rule ids compile no glob; distinct globs are counted once each.
    assert_eq!(
        waivers(&many(MAX_WAIVERS, &|i| format!("r{i}")))
            .waivers
            .len(),
        MAX_WAIVERS
    );
    assert_eq!(
        waivers(&many(MAX_GLOBS, &|i| format!("r{i}*")))
            .waivers
            .len(),
        MAX_GLOBS
    );
    let e = errors(&many(MAX_GLOBS + 5, &|i| format!("r{i}*")));
    assert_eq!(
        e,
        ["w.yaml:4002:11: more than 1000 distinct globs (rule globs and host names); a waivers file holds at most 1000 (docs/waivers.md)"]
    );
    // Text lengths and scope sizes.
    let long = "x".repeat(MAX_TEXT_BYTES + 1);
    let e = errors(&format!(
        "waivers:\n  - rule: \"{}\"\n    justification: {long}\n    approver: a\n    expires: never\n",
        "r".repeat(MAX_PATTERN_BYTES + 1)
    ));
    assert_eq!(
        e,
        [
            "w.yaml:2:11: `rule` is 257 bytes long; the limit is 256",
            "w.yaml:3:20: `justification` is 4097 bytes long; the limit is 4096"
        ]
    );
    let hosts: Vec<String> = (0..=MAX_SCOPE_ENTRIES).map(|i| format!("h{i}")).collect();
    let e = errors(&format!(
        "waivers:\n{}",
        waiver_yaml(
            "*",
            &format!("    scope: {{hostnames: [{}]}}\n", hosts.join(", "))
        )
    ));
    assert_eq!(e.len(), 1);
    assert!(
        e[0].contains("more than 64 `hostnames`; a scope lists at most 64"),
        "{e:?}"
    );
}

#[test]
fn a_waivers_file_over_the_size_limit_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(MAX_BYTES + 1).unwrap();
    let e = load_file(&path).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: the file is 4194305 bytes; a waivers file is at most 4 MiB (docs/waivers.md)",
            path.display()
        )
    );
}
