//! JUnit XML, for the test-report views of CI systems (GitLab's test
//! report, Jenkins' JUnit plugin, GitHub test-reporter actions): a failed
//! rule shows up where a failed test would, with its evidence and fix.
//!
//! The mapping:
//!
//! - `<testsuites>` is the scan, with the totals every reader checks
//!   (`tests`, `failures`, `errors`, `skipped`) and the scan's time.
//! - One `<testsuite>` per policy, named by its id, with the host, score,
//!   scan id and policy version as `<properties>`, and the host name and
//!   start time as the `hostname` and `timestamp` attributes.
//! - One `<testcase>` per evaluated rule, named `{title} [{id}]` so the id
//!   can be searched for, with `classname` `{policy}.{section}`: readers
//!   group test cases by class, so rules group by area (`ssh`, `pam`, ...).
//!   `time` is the rule's evaluation time.
//! - `fail` → `<failure>`: the one-line evidence summary as `message` (what
//!   list views show), the severity as `type`, and the whole evidence and
//!   the remediation as the text (what detail views show).
//! - `error` → `<error>`, with the reason as `message`: readers count it
//!   apart from failures, as the rule was not judged.
//! - `not_applicable` → `<skipped>` with the reason.
//! - `waived` → `<skipped>` whose message starts `waived:` and gives the
//!   justification, approver and expiry, with the evidence as its text: a
//!   waived failure is accepted, not hidden.
//! - A failure whose waiver expired stays a `<failure>`, its message
//!   beginning `waiver expired <date>:` so it is not mistaken for a new one.

use super::{Report, RuleReport};
use crate::engine::{compare, Outcome};
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write;
use std::time::Duration;

pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new("posture");
    junit.set_time(Duration::from_millis(report.scan.duration_ms));

    // Suites in the order the report lists its policies; a result naming a
    // policy the report does not list still gets a suite.
    let mut policies: Vec<&str> = report.policies.iter().map(|p| p.id.as_str()).collect();
    for r in &report.results {
        if !policies.contains(&r.policy.as_str()) {
            policies.push(&r.policy);
        }
    }
    for policy in policies {
        let rules: Vec<&RuleReport> = report
            .results
            .iter()
            .filter(|r| r.policy == policy)
            .collect();
        let mut suite = TestSuite::new(policy);
        let micros: u64 = rules.iter().map(|r| r.duration_us).sum();
        suite.set_time(Duration::from_micros(micros));
        let host = report.target.hostname.as_deref().unwrap_or("");
        if !host.is_empty() {
            suite.extra.insert("hostname".into(), host.into());
        }
        suite
            .extra
            .insert("timestamp".into(), report.scan.started_at.as_str().into());
        suite.add_property(Property::new("host", host));
        suite.add_property(Property::new(
            "score",
            format!("{:.1}", report.summary.score),
        ));
        suite.add_property(Property::new("scan_id", report.scan.id.as_str()));
        if let Some(v) = &report.verdict {
            suite.add_property(Property::new("verdict", v.line()));
        }
        if let Some(p) = report.policies.iter().find(|p| p.id == policy) {
            suite.add_property(Property::new("policy_version", p.version.as_str()));
            suite.add_property(Property::new("policy_digest", p.digest.as_str()));
        }
        if let Some(profile) = &report.selection.profile {
            suite.add_property(Property::new("profile", profile.as_str()));
        }
        suite.add_test_cases(rules.into_iter().map(test_case));
        junit.add_test_suite(suite);
    }
    let xml = junit
        .to_string()
        .unwrap_or_else(|e| format!("<!-- cannot write the JUnit report: {e} -->\n"));
    xml_chars(&xml)
}

/// `text` with every character XML 1.0 forbids, even escaped, replaced by
/// U+FFFD. Evidence holds whatever the target's files hold (control
/// characters, U+FFFE), and one such character makes the whole file
/// unreadable to every JUnit reader. Markup itself never contains them, so
/// the whole document can be cleaned at once.
fn xml_chars(text: &str) -> String {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if text.chars().all(allowed) {
        return text.to_string();
    }
    text.chars()
        .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
        .collect()
}

fn test_case(r: &RuleReport) -> TestCase {
    let status = match r.outcome {
        Outcome::Pass => TestCaseStatus::success(),
        Outcome::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let mut message = one_line(&r.found());
            if let Some(w) = r.waiver.as_ref().filter(|w| w.expired) {
                message = format!(
                    "waiver expired {} ({}): {message}",
                    w.expires.as_deref().unwrap_or("(no date)"),
                    w.location
                );
            }
            s.set_message(message)
                .set_type(r.severity.as_str())
                .set_description(details(r));
            s
        }
        Outcome::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(one_line(r.reason.as_deref().unwrap_or("not checked")))
                .set_type("error")
                .set_description(details(r));
            s
        }
        Outcome::NotApplicable => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(one_line(&format!(
                "not applicable: {}",
                r.reason.as_deref().unwrap_or("no reason given")
            )));
            s
        }
        Outcome::Waived => {
            let mut s = TestCaseStatus::skipped();
            let message = match &r.waiver {
                Some(w) => format!(
                    "waived: {} ({}, expires {})",
                    w.justification,
                    w.approver,
                    w.expires.as_deref().unwrap_or("never")
                ),
                None => "waived".into(),
            };
            s.set_message(one_line(&message))
                .set_type("waived")
                .set_description(details(r));
            s
        }
    };
    let mut case = TestCase::new(format!("{} [{}]", r.title.trim(), r.id), status);
    case.set_classname(if r.section.is_empty() {
        r.policy.clone()
    } else {
        format!("{}.{}", r.policy, r.section)
    });
    case.set_time(Duration::from_micros(r.duration_us));
    case
}

/// Every check with all it observed, then the remediation and waiver.
fn details(r: &RuleReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({}, {})", r.title.trim(), r.id, r.severity);
    if let Some(reason) = &r.reason {
        let _ = writeln!(out, "Reason: {}", reason.trim());
    }
    for e in &r.evidence {
        let _ = writeln!(out, "\nCheck: {}", e.subject);
        let _ = writeln!(out, "  expected: {}", e.expected);
        let _ = writeln!(out, "  outcome: {}", e.outcome.as_str());
        if let Some(note) = &e.note {
            let _ = writeln!(out, "  note: {note}");
        }
        for o in &e.observed {
            let value = compare::text(&o.value).unwrap_or_else(|| "null".into());
            let _ = write!(out, "  {} {value:?}", if o.matched { "ok " } else { "BAD" });
            if let Some(s) = &o.source {
                let _ = write!(out, " at {s}");
            }
            if let Some(n) = &o.note {
                let _ = write!(out, " ({n})");
            }
            out.push('\n');
        }
        if e.observed_count > e.observed.len() {
            let _ = writeln!(
                out,
                "  ... {} more not listed",
                e.observed_count - e.observed.len()
            );
        }
    }
    if let Some(w) = &r.waiver {
        let _ = writeln!(
            out,
            "\nWaiver ({}): {}\n  approver: {}\n  expires: {}{}",
            w.location,
            w.justification.trim(),
            w.approver,
            w.expires.as_deref().unwrap_or("never"),
            if w.expired { " (EXPIRED)" } else { "" }
        );
    }
    if matches!(r.outcome, Outcome::Fail | Outcome::Waived) {
        let _ = writeln!(out, "\nRemediation:\n{}", r.remediation.trim());
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    /// The element that opens with `<testcase name="{title} [{id}]"`, up to
    /// its end.
    fn case<'a>(xml: &'a str, id: &str) -> &'a str {
        let marker = format!(" [{id}]\"");
        let at = xml.find(&marker).expect("test case present");
        let start = xml[..at].rfind("<testcase").unwrap_or(0);
        let rest = &xml[start..];
        let open_end = rest.find('>').unwrap_or(rest.len());
        if rest[..open_end].ends_with('/') {
            return &rest[..open_end + 1];
        }
        let end = rest.find("</testcase>").map_or(rest.len(), |e| e + 11);
        &rest[..end]
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample()));
    }

    #[test]
    fn totals_count_outcomes() {
        let xml = render(&sample());
        // 13 rules: 6 failed, 1 error, 1 not applicable + 1 waived skipped.
        assert!(xml.contains(
            r#"<testsuites name="posture" tests="13" skipped="2" failures="6" errors="1""#
        ));
        assert!(xml.contains(
            r#"<testsuite name="linux-baseline" tests="13" skipped="2" errors="1" failures="6""#
        ));
        assert!(xml.contains(r#"hostname="web01""#));
        assert!(xml.contains(r#"<property name="score" value="49.2"/>"#));
        assert!(xml.contains(
            r#"<property name="scan_id" value="6f1c2a9e-4b7d-4e0a-9c3f-2d8e5b1a7c40"/>"#
        ));
    }

    #[test]
    fn names_and_classnames() {
        let xml = render(&sample());
        let c = case(&xml, "ssh-root-login-disabled");
        assert!(c.contains(
            r#"name="SSH does not allow root to log in with a password [ssh-root-login-disabled]""#
        ));
        assert!(c.contains(r#"classname="linux-baseline.ssh""#));
        // quick-junit writes milliseconds.
        assert!(c.contains(r#"time="0.000""#));
    }

    #[test]
    fn failure_has_summary_type_and_details() {
        let xml = render(&sample());
        let c = case(&xml, "ssh-root-login-disabled");
        assert!(c.contains(r#"<failure message="sshd permitrootlogin (global and Match blocks): &quot;yes&quot; at /etc/ssh/sshd_config:3; expected in [&quot;no&quot;, &quot;prohibit-password&quot;]" type="high">"#));
        assert!(c.contains("BAD &quot;yes&quot; at /etc/ssh/sshd_config:3"));
        assert!(c.contains("Remediation:\nSet `PermitRootLogin no`"));
    }

    #[test]
    fn error_skipped_and_waived() {
        let xml = render(&sample());
        let c = case(&xml, "password-max-age-default");
        assert!(c.contains(r#"<error message="/etc/login.defs: is a directory, not a regular file; not read" type="error">"#));
        let c = case(&xml, "audit-log-storage-size");
        assert!(
            c.contains(r#"<skipped message="not applicable: applies_if not met: package auditd"#)
        );
        let c = case(&xml, "ssh-x11-forwarding-disabled");
        assert!(c.contains(r#"<skipped message="waived: Operators forward X11 to run the vendor&apos;s GUI installer; tracked in OPS-1432. (jane.doe@example.com, expires 2027-06-30)" type="waived">"#));
        let c = case(&xml, "account-root-only-uid-0");
        assert!(!c.contains("<failure") && !c.contains("<skipped") && !c.contains("<error"));
    }

    #[test]
    fn expired_waiver_is_still_a_failure() {
        let xml = render(&sample());
        let c = case(&xml, "ssh-max-auth-tries");
        assert!(c.contains(r#"<failure message="waiver expired 2026-09-30 (tests/fixtures/reports/waivers.yaml:10): sshd maxauthtries"#));
        assert!(c.contains("expires: 2026-09-30 (EXPIRED)"));
    }

    #[test]
    fn characters_xml_forbids_are_replaced() {
        let mut r = sample();
        r.results[1].title = "a\u{1}b\u{FFFE}c\u{0}".into();
        r.results[1].evidence[0].subject = "bell\u{7} vt\u{b}".into();
        let xml = render(&r);
        // quick-junit drops some control characters itself; whatever is
        // left that XML forbids becomes U+FFFD.
        assert!(xml.contains("b\u{FFFD}c"), "{xml}");
        assert!(!xml.chars().any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{FFFE}' | '\u{FFFF}')));
        assert_eq!(xml_chars("tab\there\nok é 😀"), "tab\there\nok é 😀");
    }

    #[test]
    fn unknown_policy_gets_its_own_suite_and_odd_text_is_escaped() {
        let mut report = sample();
        report.results[0].policy = "local".into();
        report.results[0].section.clear();
        report.results[1].title = "a <b> & \"c\"\u{1b}[0m".into();
        let xml = render(&report);
        assert!(xml.contains(r#"<testsuite name="local" tests="1""#));
        assert!(xml.contains(r#"classname="local""#));
        assert!(xml.contains("a &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(!xml.contains('\u{1b}'));
    }
}
