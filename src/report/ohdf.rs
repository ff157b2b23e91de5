//! MITRE's Heimdall Data Format (OHDF): InSpec's `exec --reporter json`
//! output, which Heimdall, the SAF CLI and eMASS tooling read. A posture
//! report loaded into Heimdall shows per-control status, NIST 800-53
//! coverage and waivers next to InSpec and converted scanner results.
//!
//! The mapping, checked against inspecjs (Heimdall's parser) in
//! `tests/consumers/check-ohdf.js`:
//!
//! - One profile per policy: id as `name`, its digest as `sha256`, one
//!   group per section listing its controls. The top level names the
//!   target's OS as `platform`, the host as `platform.target_id`, and
//!   posture's version as `version`; `passthrough.posture` keeps the scan
//!   id, score, tags and waiver states, which OHDF has no place for.
//! - One control per evaluated rule: title, description (`desc` and the
//!   `default` description), rationale, `fix` (the remediation) and `check`
//!   (what each check requires). `impact` comes from the severity
//!   (critical 0.9, high 0.7, medium 0.5, low 0.3, info 0.0); `tags` hold
//!   the NIST 800-53 ids as `nist` (what Heimdall's NIST views read), CIS
//!   ids as `cis` (`benchmark:id`), every other framework under its own
//!   name, and the severity, section and profiles.
//! - One result per check (piece of evidence): `code_desc` is what was
//!   looked at and what was required, `message` what was observed.
//!   Heimdall derives a control's status from its results (any `error` →
//!   profile error, else any `failed` → failed, else any `passed` →
//!   passed), while a rule's checks combine through `all`, `any` and `not`,
//!   so a check's own outcome can differ from its rule's. Such a check is
//!   shown as `skipped`, its own outcome in the skip message, except a
//!   passed check of a failed rule (it cannot change the status); and when
//!   no check carries the rule's outcome, a first result states it. So
//!   Heimdall's status is always posture's outcome.
//! - `not_applicable`: impact 0 (Heimdall's "Not Applicable") and one
//!   skipped result giving the reason. Heimdall shows every impact-0
//!   control as not applicable, so info rules are shown that way too; they
//!   weigh nothing in posture's score either.
//! - `waived`: `waiver_data` with the justification, expiry and approver,
//!   `run: true` (the checks did run; their failed results stay), and
//!   `skipped_due_to_waiver: true`, the one flag Heimdall reads to show a
//!   control as waived (status "Not Applicable", counted apart as waived).
//! - A failure whose waiver expired keeps its `waiver_data`, with
//!   `skipped_due_to_waiver: false` and a message saying the waiver
//!   expired: Heimdall shows it failed, with the lapsed waiver beside it.

use super::{Report, RuleReport};
use crate::engine::{summarize, Evidence, Outcome};
use crate::policy::Severity;
use serde_json::{json, Map, Value};

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&exec_json(report))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize report: {e}\"}}"));
    s.push('\n');
    s
}

fn exec_json(report: &Report) -> Value {
    // Profiles in the order the report lists its policies; a result naming
    // a policy the report does not list still gets one.
    let mut policies: Vec<&str> = report.policies.iter().map(|p| p.id.as_str()).collect();
    for r in &report.results {
        if !policies.contains(&r.policy.as_str()) {
            policies.push(&r.policy);
        }
    }
    let profiles: Vec<Value> = policies.into_iter().map(|p| profile(report, p)).collect();
    let os = &report.target.os;
    let mut platform = Map::new();
    platform.insert("name".into(), os.id.clone().into());
    platform.insert(
        "release".into(),
        os.version_id
            .clone()
            .unwrap_or_else(|| "unknown".into())
            .into(),
    );
    if let Some(h) = &report.target.hostname {
        platform.insert("target_id".into(), h.clone().into());
    }
    json!({
        "platform": platform,
        "profiles": profiles,
        "statistics": { "duration": report.scan.duration_ms as f64 / 1000.0 },
        "version": report.tool.version,
        "passthrough": { "posture": passthrough(report) },
    })
}

fn passthrough(report: &Report) -> Value {
    let waivers: Vec<Value> = report
        .waivers
        .iter()
        .map(|w| {
            without_nulls(json!({
                "rule": w.rule,
                "location": w.location,
                "status": w.status.as_str(),
                "expires": w.expires,
                "needs_attention": w.status.is_warning(),
            }))
        })
        .collect();
    without_nulls(json!({
        "schema_version": report.schema_version,
        "scan_id": report.scan.id,
        "started_at": report.scan.started_at,
        "finished_at": report.scan.finished_at,
        "score": report.summary.score,
        "hostname": report.target.hostname,
        "target_kind": report.target.kind,
        "root": report.target.root,
        "tags": report.target.tags,
        "os": report.target.os.pretty_name,
        "profile": report.selection.profile,
        "waivers": waivers,
    }))
}

fn profile(report: &Report, policy: &str) -> Value {
    let rules: Vec<&RuleReport> = report
        .results
        .iter()
        .filter(|r| r.policy == policy)
        .collect();
    let info = report.policies.iter().find(|p| p.id == policy);
    // Sections in the order their first rule appears.
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in &rules {
        let section = if r.section.is_empty() {
            "other"
        } else {
            r.section.as_str()
        };
        match groups.iter_mut().find(|(s, _)| *s == section) {
            Some((_, ids)) => ids.push(&r.id),
            None => groups.push((section, vec![&r.id])),
        }
    }
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(section, ids)| json!({ "id": section, "title": section, "controls": ids }))
        .collect();
    let source = info.map(|p| p.file.as_str());
    let controls: Vec<Value> = rules.iter().map(|r| control(report, r, source)).collect();
    without_nulls(json!({
        "name": policy,
        "version": info.map(|p| p.version.as_str()),
        "title": info.map_or(policy, |p| p.title.as_str()),
        "maintainer": "posture",
        "summary": info.map(|p| format!("{} rules, {} evaluated", p.rules, rules.len())),
        "sha256": info.map_or("", |p| p.digest.as_str()),
        "supports": [],
        "attributes": [],
        "groups": groups,
        "status": "loaded",
        "controls": controls,
    }))
}

fn control(report: &Report, r: &RuleReport, source: Option<&str>) -> Value {
    let mut descriptions = vec![json!({ "label": "default", "data": r.description.trim() })];
    if !r.rationale.trim().is_empty() {
        descriptions.push(json!({ "label": "rationale", "data": r.rationale.trim() }));
    }
    if !r.remediation.trim().is_empty() {
        descriptions.push(json!({ "label": "fix", "data": r.remediation.trim() }));
    }
    let check: Vec<String> = r
        .evidence
        .iter()
        .map(|e| format!("{}: expected {}", e.subject, e.expected))
        .collect();
    if !check.is_empty() {
        descriptions.push(json!({ "label": "check", "data": check.join("\n") }));
    }
    let impact = if r.outcome == Outcome::NotApplicable {
        0.0
    } else {
        impact(r.severity)
    };
    let code = serde_json::to_string_pretty(&json!({
        "rule": r.id,
        "policy": r.policy,
        "severity": r.severity.as_str(),
        "checks": r.evidence.iter().map(|e| json!({ "subject": e.subject, "expected": e.expected })).collect::<Vec<_>>(),
    }))
    .unwrap_or_default();
    let mut c = Map::new();
    c.insert("id".into(), r.id.clone().into());
    c.insert("title".into(), r.title.trim().into());
    c.insert("desc".into(), r.description.trim().into());
    c.insert("descriptions".into(), Value::Array(descriptions));
    c.insert("impact".into(), json!(impact));
    c.insert("refs".into(), json!([]));
    c.insert("tags".into(), tags(r));
    c.insert("code".into(), code.into());
    c.insert("source_location".into(), json!({ "ref": source }));
    c.insert(
        "results".into(),
        Value::Array(results(r, &report.scan.started_at)),
    );
    if let Some(w) = &r.waiver {
        let waived = r.outcome == Outcome::Waived && !w.expired;
        let message = if w.expired {
            format!(
                "Waiver expired on {} ({}, approved by {}): the failure counts again.",
                w.expires.as_deref().unwrap_or("an unknown date"),
                w.location,
                w.approver
            )
        } else {
            format!("Approved by {} ({}).", w.approver, w.location)
        };
        c.insert(
            "waiver_data".into(),
            without_nulls(json!({
                "justification": w.justification,
                "expiration_date": w.expires,
                "run": true,
                "skipped_due_to_waiver": waived,
                "message": message,
            })),
        );
    }
    Value::Object(c)
}

fn tags(r: &RuleReport) -> Value {
    let mut t = Map::new();
    let mut cis = Vec::new();
    for (framework, ids) in &r.references {
        if framework == "nist-800-53" {
            t.insert("nist".into(), json!(ids));
        } else if framework.starts_with("cis") {
            cis.extend(ids.iter().map(|id| format!("{framework}:{id}")));
        } else {
            t.insert(framework.clone(), json!(ids));
        }
    }
    if !cis.is_empty() {
        t.insert("cis".into(), json!(cis));
    }
    t.insert("severity".into(), r.severity.as_str().into());
    t.insert("section".into(), r.section.clone().into());
    t.insert("profiles".into(), json!(r.profiles));
    Value::Object(t)
}

fn impact(s: Severity) -> f64 {
    match s {
        Severity::Critical => 0.9,
        Severity::High => 0.7,
        Severity::Medium => 0.5,
        Severity::Low => 0.3,
        Severity::Info => 0.0,
    }
}

/// One result per check, their statuses reconciled with the rule's outcome
/// (see the module documentation).
fn results(r: &RuleReport, start: &str) -> Vec<Value> {
    let n = r.evidence.len().max(1) as f64;
    let run_time = r.duration_us as f64 / 1_000_000.0 / n;
    let carries = |o: Outcome| match r.outcome {
        Outcome::Pass => o == Outcome::Pass,
        Outcome::Fail | Outcome::Waived => o == Outcome::Fail,
        Outcome::Error => o == Outcome::Error,
        Outcome::NotApplicable => false,
    };
    let mut out = Vec::new();
    if r.outcome == Outcome::NotApplicable {
        out.push(without_nulls(json!({
            "status": "skipped",
            "code_desc": format!("{}: applies to this target", r.id),
            "skip_message": format!(
                "Not applicable: {}",
                r.reason.as_deref().unwrap_or("no reason given")
            ),
            "start_time": start,
        })));
    } else if !r.evidence.iter().any(|e| carries(e.outcome)) {
        let summary = summarize(&r.evidence);
        let (status, message) = match r.outcome {
            Outcome::Pass => (
                "passed",
                format!("The rule's checks combine to pass: {summary}"),
            ),
            Outcome::Error => (
                "error",
                format!(
                    "Not checked: {}",
                    r.reason.as_deref().unwrap_or("no reason given")
                ),
            ),
            _ => (
                "failed",
                format!("The rule's checks combine to fail: {summary}"),
            ),
        };
        out.push(json!({
            "status": status,
            "code_desc": format!("{}: {}", r.id, r.title.trim()),
            "message": message,
            "start_time": start,
            "run_time": 0.0,
        }));
    }
    for e in &r.evidence {
        let own = status(e.outcome);
        let status = if carries(e.outcome) {
            own
        } else {
            match (r.outcome, e.outcome) {
                // Neither changes what Heimdall derives: a failed result
                // outranks a passed one, an error outranks both.
                (Outcome::Fail | Outcome::Waived, Outcome::Pass) => own,
                (Outcome::Error, Outcome::Pass | Outcome::Fail) => own,
                _ => "skipped",
            }
        };
        let mut res = Map::new();
        res.insert("status".into(), status.into());
        res.insert(
            "code_desc".into(),
            format!("{}: expected {}", e.subject, e.expected).into(),
        );
        let observed = observed(e);
        if status == "skipped" {
            let why = if own == "skipped" {
                observed
            } else {
                format!(
                    "This check {} on its own; the rule's checks combine to {}. {observed}",
                    own,
                    r.outcome.as_str()
                )
            };
            res.insert("skip_message".into(), why.into());
        } else {
            res.insert("message".into(), observed.into());
        }
        res.insert("start_time".into(), start.into());
        res.insert("run_time".into(), json!(run_time));
        out.push(Value::Object(res));
    }
    out
}

fn status(o: Outcome) -> &'static str {
    match o {
        Outcome::Pass => "passed",
        Outcome::Fail | Outcome::Waived => "failed",
        Outcome::Error => "error",
        Outcome::NotApplicable => "skipped",
    }
}

/// What the check saw: the evidence summary without the parts `code_desc`
/// already gives.
fn observed(e: &Evidence) -> String {
    let one = summarize(std::slice::from_ref(e));
    let without_subject = one
        .strip_prefix(&format!("{}: ", e.subject))
        .unwrap_or(&one);
    let without_expected = without_subject
        .strip_suffix(&format!("; expected {}", e.expected))
        .unwrap_or(without_subject);
    if e.observed.is_empty() {
        // The note: why nothing was observed, or what was not found.
        return without_expected.to_string();
    }
    let mut s = format!("Observed: {without_expected}");
    if e.observed_count > e.observed.len().min(3) {
        s.push_str(&format!(" ({} items in all)", e.observed_count));
    }
    s
}

/// An object without its absent (null) members.
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn parsed(report: &Report) -> Value {
        serde_json::from_str(&render(report)).unwrap()
    }

    fn control<'a>(v: &'a Value, id: &str) -> &'a Value {
        v["profiles"][0]["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()
    }

    fn statuses(c: &Value) -> Vec<&str> {
        c["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample()));
    }

    #[test]
    fn top_level_and_profile() {
        let v = parsed(&sample());
        assert_eq!(v["platform"]["name"], "debian");
        assert_eq!(v["platform"]["release"], "12");
        assert_eq!(v["platform"]["target_id"], "web01");
        assert_eq!(v["statistics"]["duration"], 0.088);
        assert_eq!(v["passthrough"]["posture"]["score"], 49.2);
        let p = &v["profiles"][0];
        assert_eq!(p["name"], "linux-baseline");
        assert_eq!(p["sha256"], "0".repeat(64));
        assert_eq!(p["status"], "loaded");
        assert_eq!(p["controls"].as_array().unwrap().len(), 13);
        let ssh = p["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == "ssh")
            .unwrap();
        assert_eq!(ssh["controls"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn control_fields() {
        let v = parsed(&sample());
        let c = control(&v, "ssh-root-login-disabled");
        assert_eq!(c["impact"], 0.7);
        assert_eq!(c["tags"]["nist"], json!(["AC-6(2)", "IA-2(5)"]));
        assert_eq!(c["tags"]["anssi"], json!(["R33"]));
        assert!(c["tags"]["cis"]
            .as_array()
            .unwrap()
            .contains(&json!("cis-debian12:5.1.20")));
        assert_eq!(c["tags"]["severity"], "high");
        let labels: Vec<&str> = c["descriptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["label"].as_str().unwrap())
            .collect();
        assert_eq!(labels, ["default", "rationale", "fix", "check"]);
        assert_eq!(statuses(c), ["failed"]);
        let r = &c["results"][0];
        assert_eq!(
            r["code_desc"],
            "sshd permitrootlogin (global and Match blocks): expected in [\"no\", \"prohibit-password\"]"
        );
        assert_eq!(r["message"], "Observed: \"yes\" at /etc/ssh/sshd_config:3");
        assert_eq!(r["start_time"], "2026-11-23T09:30:45.123Z");
    }

    #[test]
    fn statuses_follow_the_rules_outcome() {
        let v = parsed(&sample());
        assert_eq!(
            statuses(control(&v, "file-perm-shadow")),
            ["failed", "passed", "passed"]
        );
        assert_eq!(statuses(control(&v, "password-max-age-default")), ["error"]);
        // A passing check of a failed rule stays passed: it cannot hide
        // the failure.
        assert_eq!(
            statuses(control(&v, "sysctl-kernel-sysrq-disabled")),
            ["failed", "passed", "failed"]
        );
        let na = control(&v, "audit-log-storage-size");
        assert_eq!(na["impact"], 0.0);
        assert_eq!(statuses(na), ["skipped"]);
        assert!(na["results"][0]["skip_message"]
            .as_str()
            .unwrap()
            .starts_with("Not applicable: applies_if not met"));
    }

    #[test]
    fn reconciled_when_no_check_carries_the_outcome() {
        let mut report = sample();
        // A `not` rule: its only check held, so the rule failed.
        let r = report
            .results
            .iter_mut()
            .find(|r| r.id == "account-root-only-uid-0")
            .unwrap();
        r.outcome = Outcome::Fail;
        let v = parsed(&report);
        assert_eq!(
            statuses(control(&v, "account-root-only-uid-0")),
            ["failed", "passed"]
        );
        // And the other way round: a check that failed in a passing rule.
        let r = report
            .results
            .iter_mut()
            .find(|r| r.id == "ssh-root-login-disabled")
            .unwrap();
        r.outcome = Outcome::Pass;
        let v = parsed(&report);
        let c = control(&v, "ssh-root-login-disabled");
        assert_eq!(statuses(c), ["passed", "skipped"]);
        assert!(c["results"][1]["skip_message"]
            .as_str()
            .unwrap()
            .starts_with("This check failed on its own; the rule's checks combine to pass."));
    }

    #[test]
    fn waivers() {
        let v = parsed(&sample());
        let waived = control(&v, "ssh-x11-forwarding-disabled");
        assert_eq!(statuses(waived), ["failed", "failed"]);
        let w = &waived["waiver_data"];
        assert_eq!(w["skipped_due_to_waiver"], true);
        assert_eq!(w["run"], true);
        assert_eq!(w["expiration_date"], "2027-06-30");
        assert!(w["justification"].as_str().unwrap().contains("OPS-1432"));
        assert!(w["message"]
            .as_str()
            .unwrap()
            .contains("jane.doe@example.com"));

        let expired = control(&v, "ssh-max-auth-tries");
        assert_eq!(statuses(expired), ["failed"]);
        let w = &expired["waiver_data"];
        assert_eq!(w["skipped_due_to_waiver"], false);
        assert!(w["message"]
            .as_str()
            .unwrap()
            .starts_with("Waiver expired on 2026-09-30"));
        assert!(control(&v, "ssh-root-login-disabled")
            .get("waiver_data")
            .is_none());
    }

    #[test]
    fn missing_data_does_not_panic() {
        let mut report = sample();
        report.policies.clear();
        report.target.hostname = None;
        report.target.os.version_id = None;
        for r in &mut report.results {
            r.evidence.clear();
            r.section.clear();
        }
        let v = parsed(&report);
        assert_eq!(v["platform"]["release"], "unknown");
        assert!(v["platform"].get("target_id").is_none());
        let p = &v["profiles"][0];
        assert_eq!(p["name"], "linux-baseline");
        assert_eq!(p["sha256"], "");
        assert_eq!(p["groups"][0]["id"], "other");
        // Every control still has a result that carries its outcome.
        for c in p["controls"].as_array().unwrap() {
            assert!(!c["results"].as_array().unwrap().is_empty());
        }
    }
}
