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
