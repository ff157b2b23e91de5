//! SARIF 2.1.0, for GitHub code scanning and other SARIF viewers (the VS Code
//! SARIF viewer, Azure DevOps, DefectDojo). One run per report.
//!
//! How the report maps onto SARIF, and why:
//!
//! - **Rules.** `tool.driver.rules` holds a descriptor for every evaluated
//!   rule, passed or not, so the log says what was checked, not only what
//!   failed; a viewer can then tell "passed" from "not checked". Each has
//!   the title as `shortDescription`, the description as `fullDescription`,
//!   rationale and remediation as `help`, and the level its severity gives
//!   (critical and high → `error`, medium → `warning`, low and info →
//!   `note`). `properties` carry GitHub's `security-severity` (critical 9.5,
//!   high 8.0, medium 5.5, low 3.0, so code scanning ranks alerts the way
//!   posture does; info rules have none, as GitHub's scale starts at 0.1),
//!   `tags` (`security`, the section, `framework:control` for every
//!   reference) and `problem.severity`.
//! - **Results.** One per failed rule, and one per waived rule. A result
//!   points at the files of the observations that broke the rule (items that
//!   did not match, in failing checks), with their line when known. Paths are
//!   relative to the `ROOTFS` base, which `originalUriBaseIds` maps to the
//!   scanned root (`file:///` on a live host), so they read the same from
//!   any host and keep alerts stable across runs. A finding about a whole
//!   file (its mode or owner) points at line 1: code scanning requires a
//!   `startLine`.
//! - **No file.** When nothing points at a file (a default value, a runtime
//!   fact), the location names the host as a whole, as image scanners name
//!   the image: a physical location whose path is the host name, plus a
//!   `logicalLocation` (kind `resource`) per failing check. The physical
//!   part is needed: code scanning rejects the whole upload when a result's
//!   location is only logical ("expected a physical location"), and the
//!   validator's GitHub rules reject a result with no location.
//! - **Fingerprints.** `partialFingerprints."postureRule/v1"` is the rule id
//!   and host name, so an alert stays the same alert when the offending line
//!   moves, and `automationDetails.id` (`posture/HOST/`) gives each host its
//!   own code-scanning category: uploads from two hosts do not close each
//!   other's alerts.
//! - **Waivers.** A waived rule is a result with an `external`, `accepted`
//!   suppression carrying the justification, approver, expiry and waiver
//!   location, so the accepted risk stays on record. SARIF viewers show it
//!   as suppressed; GitHub code scanning does not dismiss alerts from
//!   `suppressions` by itself, so there the alert opens until dismissed by
//!   hand or by a tool that reads them (advanced-security/dismiss-alerts).
//!   A rule whose waiver expired is an ordinary failure with
//!   `properties.waiverExpired` and a message that says so.
//! - **Notifications.** Rules that could not be checked, waivers that need
//!   attention (expired, matching no rule) and problems reading the target's
//!   files are `toolExecutionNotifications` of level `warning`, and
//!   `executionSuccessful` stays true: the scan ran to the end. An `error`
//!   notification tells consumers the whole run's results may be incomplete
//!   (SARIF appendix I), and some refuse the log for it, discarding every
//!   sound result over one unreadable file. Each notification names its kind
//!   through `driver.notifications`; a rule error also names its rule
//!   through `associatedRule`.

use super::{Report, RuleReport, WaiverState};
use crate::engine::{summarize, Evidence, Outcome};
use crate::facts::Source;
use crate::policy::Severity;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The base the result paths are relative to.
const ROOT_BASE: &str = "ROOTFS";

/// Code scanning reads at most this many locations per result.
const MAX_LOCATIONS: usize = 10;

/// The kinds of notification, in `driver.notifications`.
const RULE_ERROR: &str = "rule-error";
const WAIVER_EXPIRED: &str = "waiver-expired";
const WAIVER_UNMATCHED: &str = "waiver-unmatched";
const TARGET_FILE: &str = "target-file-problem";

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(&log(report))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize report: {e}\"}}"));
    s.push('\n');
    s
}

fn log(report: &Report) -> Value {
    // Rule ids are unique within a policy; should two policies share one,
    // the first descriptor serves both.
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for r in &report.results {
        if !index.contains_key(r.id.as_str()) {
            index.insert(&r.id, rules.len());
            rules.push(descriptor(r));
        }
    }
    let host = host(report);
    let results: Vec<Value> = report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Fail | Outcome::Waived))
        .map(|r| result(r, index.get(r.id.as_str()).copied().unwrap_or(0), &host))
        .collect();

    let mut run = Map::new();
    run.insert(
        "tool".into(),
        json!({
            "driver": {
                "name": "posture",
                "fullName": format!("posture {}", report.tool.version),
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "rules": rules,
                "notifications": notification_descriptors(),
            }
        }),
    );
    run.insert(
        "automationDetails".into(),
        json!({ "id": format!("posture/{host}/") }),
    );
    if let Some(base) = root_uri(report) {
        run.insert(
            "originalUriBaseIds".into(),
            json!({
                ROOT_BASE: {
                    "uri": base,
                    "description": { "text": "The root of the filesystem scanned." },
                }
            }),
        );
    }
    let mut invocation = json!({
        "executionSuccessful": true,
        "startTimeUtc": report.scan.started_at,
        "endTimeUtc": report.scan.finished_at,
        "toolExecutionNotifications": notifications(report, &index),
    });
    // The gate's verdict is the exit code a pipeline saw.
    if let Some(v) = &report.verdict {
        invocation["exitCode"] = json!(v.status.exit_code());
        invocation["exitCodeDescription"] = json!(v.line());
    }
    run.insert("invocations".into(), json!([invocation]));
    run.insert("results".into(), Value::Array(results));
    run.insert("properties".into(), run_properties(report));

    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [Value::Object(run)],
    })
}

fn descriptor(r: &RuleReport) -> Value {
    let mut tags = vec!["security".to_string()];
    if !r.section.is_empty() {
        tags.push(r.section.clone());
    }
    for (framework, ids) in &r.references {
        tags.extend(ids.iter().map(|id| format!("{framework}:{id}")));
    }
    let mut properties = Map::new();
    if let Some(s) = security_severity(r.severity) {
        properties.insert("security-severity".into(), s.into());
    }
    properties.insert("tags".into(), json!(tags));
    properties.insert("precision".into(), "high".into());
    properties.insert(
        "problem.severity".into(),
        problem_severity(r.severity).into(),
    );
    properties.insert("severity".into(), r.severity.as_str().into());
    properties.insert("policy".into(), r.policy.clone().into());
    properties.insert("profiles".into(), json!(r.profiles));
    json!({
        "id": r.id,
        "name": pascal_case(&r.id),
        "shortDescription": { "text": sentence(&r.title) },
        "fullDescription": { "text": sentence(&r.description) },
        "help": {
            "text": help_text(r),
            "markdown": help_markdown(r),
        },
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": properties,
    })
}

fn result(r: &RuleReport, rule_index: usize, host: &str) -> Value {
    let failing = failing_evidence(r);
    let summary = if failing.is_empty() {
        summarize(&r.evidence)
    } else {
        summarize(&failing)
    };
    let mut text = r.title.trim().to_string();
    if !summary.is_empty() {
        text.push_str(": ");
        text.push_str(&summary);
    }
    let expired = r.waiver.as_ref().filter(|w| w.expired);
    if let Some(w) = expired {
        text = format!(
            "{}. The waiver for this rule expired on {} ({})",
            text.trim_end_matches('.'),
            w.expires.as_deref().unwrap_or("an unknown date"),
            w.location
        );
    }

    let mut out = Map::new();
    out.insert("ruleId".into(), r.id.clone().into());
    out.insert("ruleIndex".into(), rule_index.into());
    out.insert("level".into(), level(r.severity).into());
    out.insert("message".into(), json!({ "text": sentence(&text) }));
    let mut locations: Vec<Value> = offending_sources(&failing)
        .into_iter()
        .filter_map(|s| location(s, Some(1)))
        .take(MAX_LOCATIONS)
        .collect();
    if locations.is_empty() {
        locations.push(host_location(host, &failing));
    }
    out.insert("locations".into(), Value::Array(locations));
    out.insert(
        "partialFingerprints".into(),
        json!({ "postureRule/v1": format!("{}:{host}", r.id) }),
    );
    if r.outcome == Outcome::Waived {
        if let Some(w) = &r.waiver {
            let mut props = Map::new();
            props.insert("approver".into(), w.approver.clone().into());
            if let Some(e) = &w.expires {
                props.insert("expires".into(), e.clone().into());
            }
            props.insert("location".into(), w.location.clone().into());
            out.insert(
                "suppressions".into(),
                json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": w.justification,
                    "properties": props,
                }]),
            );
        }
    }
    let mut props = Map::new();
    props.insert("outcome".into(), r.outcome.as_str().into());
    props.insert("severity".into(), r.severity.as_str().into());
    props.insert("policy".into(), r.policy.clone().into());
    if let Some(w) = expired {
        props.insert("waiverExpired".into(), true.into());
        props.insert(
            "waiver".into(),
            without_nulls(json!({
                "location": w.location,
                "justification": w.justification,
                "approver": w.approver,
                "expires": w.expires,
            })),
        );
    }
    out.insert("properties".into(), Value::Object(props));
    Value::Object(out)
}

/// The checks that failed; a rule can fail with none (a `not` of a check
/// that held), then the message summarizes all of them.
fn failing_evidence(r: &RuleReport) -> Vec<Evidence> {
    r.evidence
        .iter()
        .filter(|e| e.outcome == Outcome::Fail)
        .cloned()
        .collect()
}

/// The distinct files (and lines) of the observations that broke the rule:
/// items that did not match; failing that, every item a failing check saw.
fn offending_sources(failing: &[Evidence]) -> Vec<&Source> {
    let sourced = |only_unmatched: bool| -> Vec<&Source> {
        let mut seen: Vec<&Source> = Vec::new();
        for o in failing.iter().flat_map(|e| &e.observed) {
            if only_unmatched && o.matched {
                continue;
            }
            if let Some(s) = &o.source {
                if !seen.iter().any(|t| t.file == s.file && t.line == s.line) {
                    seen.push(s);
                }
            }
        }
        seen
    };
    let unmatched = sourced(true);
    if unmatched.is_empty() {
        sourced(false)
    } else {
        unmatched
    }
}

/// A file location. `whole_file` is the line a finding about the whole file
/// points at: line 1 for results, none for notifications.
fn location(source: &Source, whole_file: Option<u32>) -> Option<Value> {
    let path = source.file.trim_start_matches('/');
    if path.is_empty() {
        return None;
    }
    let mut physical = Map::new();
    physical.insert(
        "artifactLocation".into(),
        json!({ "uri": encode_path(path), "uriBaseId": ROOT_BASE }),
    );
    if let Some(line) = source.line.filter(|l| *l > 0).or(whole_file) {
        physical.insert("region".into(), json!({ "startLine": line }));
    }
    Some(json!({ "physicalLocation": physical }))
}

/// The host as a whole, for a result no file explains.
fn host_location(host: &str, failing: &[Evidence]) -> Value {
    // SARIF requires the items of logicalLocations to be unique; two
    // checks may look at the same subject.
    let mut subjects: Vec<&str> = Vec::new();
    for e in failing {
        if !subjects.contains(&e.subject.as_str()) {
            subjects.push(&e.subject);
        }
    }
    let logical: Vec<Value> = subjects
        .into_iter()
        .map(|subject| json!({ "kind": "resource", "name": subject }))
        .collect();
    let mut loc = Map::new();
    loc.insert(
        "physicalLocation".into(),
        json!({
            "artifactLocation": { "uri": encode_path(host) },
            "region": { "startLine": 1 },
        }),
    );
    if !logical.is_empty() {
        loc.insert("logicalLocations".into(), Value::Array(logical));
    }
    Value::Object(loc)
}

/// `file:///ROOT/`, the scanned root as an absolute URI ending in a slash;
/// `None` when the report's root is not an absolute path.
fn root_uri(report: &Report) -> Option<String> {
    let root = report.target.root.as_deref().unwrap_or("/");
    if !root.starts_with('/') {
        return None;
    }
    let trimmed = root.trim_end_matches('/');
    Some(format!("file://{}/", encode_path(trimmed)))
}

fn notification_descriptors() -> Value {
    let d = |id: &str, name: &str, short: &str, full: &str| {
        json!({
            "id": id,
            "name": name,
            "shortDescription": { "text": short },
            "fullDescription": { "text": full },
            "help": { "text": full },
            "defaultConfiguration": { "level": "warning" },
        })
    };
    json!([
        d(
            RULE_ERROR,
            "RuleError",
            "A rule could not be checked.",
            "The data a rule needs was unreadable or malformed, so the rule was neither passed nor failed; the message gives the reason. Fix the file named, or check the rule by hand.",
        ),
        d(
            WAIVER_EXPIRED,
            "WaiverExpired",
            "A waiver has passed its expiry date.",
            "The waiver no longer applies: the failures it matched count as failures again. Renew the waiver with a new expiry date, or fix the failures and remove it.",
        ),
        d(
            WAIVER_UNMATCHED,
            "WaiverUnmatched",
            "A waiver matches no evaluated rule.",
            "The waiver names a rule id or pattern that matches no rule evaluated in this scan: the rule may have been renamed or removed, or left out of the selected profile. Correct or remove the waiver.",
        ),
        d(
            TARGET_FILE,
            "TargetFileProblem",
            "A file of the target could not be read in full.",
            "A configuration file of the scanned target had malformed lines or was cut short; rules that read it may have seen less than the host applies.",
        ),
    ])
}

fn notification_ref(id: &str) -> Value {
    let index = [RULE_ERROR, WAIVER_EXPIRED, WAIVER_UNMATCHED, TARGET_FILE]
        .iter()
        .position(|d| *d == id)
        .unwrap_or(0);
    json!({ "id": id, "index": index })
}

fn notifications(report: &Report, index: &BTreeMap<&str, usize>) -> Vec<Value> {
    let mut out = Vec::new();
    for r in report
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Error)
    {
        let reason = r.reason.as_deref().unwrap_or("no reason given");
        out.push(json!({
            "level": "warning",
            "message": { "text": sentence(&format!("Rule {} could not be checked: {reason}", r.id)) },
            "descriptor": notification_ref(RULE_ERROR),
            "associatedRule": { "id": r.id, "index": index.get(r.id.as_str()).copied().unwrap_or(0) },
        }));
    }
    for w in report.waiver_warnings() {
        let (kind, text) = match w.status {
            WaiverState::Expired => (
                WAIVER_EXPIRED,
                format!(
                    "The waiver for {} at {} expired on {}; the failures it matched are failures again",
                    w.rule,
                    w.location,
                    w.expires.as_deref().unwrap_or("an unknown date")
                ),
            ),
            _ => (
                WAIVER_UNMATCHED,
                format!(
                    "The waiver for {} at {} matches no evaluated rule",
                    w.rule, w.location
                ),
            ),
        };
        out.push(json!({
            "level": "warning",
            "message": { "text": sentence(&text) },
            "descriptor": notification_ref(kind),
            "properties": without_nulls(json!({
                "rule": w.rule,
                "location": w.location,
                "approver": w.approver,
                "expires": w.expires,
                "status": w.status.as_str(),
                "rules": w.rules,
                "rulesCount": w.rules_count,
            })),
        }));
    }
    for d in &report.diagnostics {
        let mut n = Map::new();
        n.insert("level".into(), "warning".into());
        n.insert(
            "message".into(),
            json!({ "text": sentence(&d.to_string()) }),
        );
        n.insert("descriptor".into(), notification_ref(TARGET_FILE));
        let source = Source {
            file: d.file.clone(),
            line: d.line,
        };
        if let Some(loc) = location(&source, None) {
            n.insert("locations".into(), json!([loc]));
        }
        out.push(Value::Object(n));
    }
    out
}

fn run_properties(report: &Report) -> Value {
    let counts: Map<String, Value> = Outcome::ALL
        .iter()
        .map(|o| (o.as_str().to_string(), report.count(*o).into()))
        .collect();
    let mut p = Map::new();
    p.insert("score".into(), json!(report.summary.score));
    if let Some(h) = &report.target.hostname {
        p.insert("hostname".into(), h.clone().into());
    }
    p.insert("scanId".into(), report.scan.id.clone().into());
    p.insert("targetKind".into(), report.target.kind.clone().into());
    if let Some(root) = &report.target.root {
        p.insert("root".into(), root.clone().into());
    }
    if !report.target.tags.is_empty() {
        p.insert("tags".into(), json!(report.target.tags));
    }
    p.insert(
        "policies".into(),
        report
            .policies
            .iter()
            .map(|pol| json!({ "id": pol.id, "version": pol.version, "digest": pol.digest }))
            .collect(),
    );
    p.insert("outcomes".into(), Value::Object(counts));
    Value::Object(p)
}

/// An object without its absent (null) members.
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.into_iter().filter(|(_, v)| !v.is_null()).collect()),
        other => other,
    }
}

fn host(report: &Report) -> String {
    report
        .target
        .hostname
        .clone()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "recommendation",
    }
}

/// GitHub's scale: 9.0 and up critical, 7.0 high, 4.0 medium, 0.1 low.
fn security_severity(s: Severity) -> Option<&'static str> {
    match s {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("3.0"),
        Severity::Info => None,
    }
}

fn help_text(r: &RuleReport) -> String {
    let mut s = format!(
        "{}\n\nRationale: {}\n\nRemediation:\n{}",
        r.description.trim(),
        r.rationale.trim(),
        r.remediation.trim()
    );
    let refs = references(r);
    if !refs.is_empty() {
        s.push_str("\n\nReferences: ");
        s.push_str(&refs);
    }
    s
}

fn help_markdown(r: &RuleReport) -> String {
    let mut s = format!(
        "{}\n\n**Rationale.** {}\n\n**Remediation.**\n\n{}",
        r.description.trim(),
        r.rationale.trim(),
        r.remediation.trim()
    );
    let refs = references(r);
    if !refs.is_empty() {
        s.push_str("\n\n**References.** ");
        s.push_str(&refs);
    }
    s
}

fn references(r: &RuleReport) -> String {
    r.references
        .iter()
        .map(|(framework, ids)| format!("{framework} {}", ids.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `ssh-root-login-disabled` → `SshRootLoginDisabled`: SARIF's convention
/// for a rule's `name`.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// One line ending in a period: SARIF viewers show messages as sentences.
fn sentence(text: &str) -> String {
    let mut s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return "(none).".into();
    }
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

/// A path as a URI reference: every byte outside the unreserved set, `/`
/// and a few safe sub-delimiters percent-encoded. `:` is encoded too, so a
/// first segment is never taken for a scheme.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn parsed(report: &Report) -> Value {
        serde_json::from_str(&render(report)).unwrap()
    }

    fn result_for<'a>(log: &'a Value, id: &str) -> Option<&'a Value> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == id)
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample()));
    }

    #[test]
    fn header_and_driver() {
        let log = parsed(&sample());
        assert_eq!(log["$schema"], SCHEMA);
        assert_eq!(log["version"], "2.1.0");
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "posture");
        assert_eq!(driver["version"], "0.1.0");
        assert_eq!(driver["semanticVersion"], "0.1.0");
        // Every evaluated rule is described, results or not.
        assert_eq!(driver["rules"].as_array().unwrap().len(), 13);
    }

    #[test]
    fn descriptors_carry_severity_and_references() {
        let log = parsed(&sample());
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        let root = rules
            .iter()
            .find(|r| r["id"] == "account-root-only-uid-0")
            .unwrap();
        assert_eq!(root["name"], "AccountRootOnlyUid0");
        assert_eq!(root["defaultConfiguration"]["level"], "error");
        assert_eq!(root["properties"]["security-severity"], "9.5");
        let tags = root["properties"]["tags"].as_array().unwrap();
        assert!(tags.contains(&json!("security")));
        assert!(tags.contains(&json!("accounts")));
        assert!(tags.contains(&json!("nist-800-53:AC-6")));
        assert!(tags.contains(&json!("cis-debian12:5.4.2.1")));
        let banner = rules
            .iter()
            .find(|r| r["id"] == "ssh-banner-configured")
            .unwrap();
        assert_eq!(banner["defaultConfiguration"]["level"], "note");
        assert_eq!(banner["properties"]["security-severity"], "3.0");
    }

    #[test]
    fn results_are_failures_and_waivers_only() {
        let log = parsed(&sample());
        let results = log["runs"][0]["results"].as_array().unwrap();
        // 6 failed + 1 waived.
        assert_eq!(results.len(), 7);
        assert!(result_for(&log, "account-root-only-uid-0").is_none());
        assert!(result_for(&log, "password-max-age-default").is_none());
        assert!(result_for(&log, "audit-log-storage-size").is_none());
        for r in results {
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(
                log["runs"][0]["tool"]["driver"]["rules"][index]["id"],
                r["ruleId"]
            );
        }
    }

    #[test]
    fn locations_point_at_offending_lines_under_the_root() {
        let log = parsed(&sample());
        let run = &log["runs"][0];
        assert_eq!(
            run["originalUriBaseIds"]["ROOTFS"]["uri"],
            "file:///srv/images/web01/"
        );
        let empty = result_for(&log, "account-no-empty-passwords").unwrap();
        let locations = empty["locations"].as_array().unwrap();
        // Only the unmatched observation (line 3), not the accounts that pass.
        assert_eq!(locations.len(), 1);
        let physical = &locations[0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "etc/shadow");
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "ROOTFS");
        assert_eq!(physical["region"]["startLine"], 3);
        // A finding about a whole file points at its first line.
        let shadow = result_for(&log, "file-perm-shadow").unwrap();
        assert_eq!(
            shadow["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
    }

    #[test]
    fn no_file_points_at_the_host() {
        let log = parsed(&sample());
        let banner = result_for(&log, "ssh-banner-configured").unwrap();
        let locations = banner["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let loc = &locations[0];
        assert_eq!(loc["physicalLocation"]["artifactLocation"]["uri"], "web01");
        assert!(loc["physicalLocation"]["artifactLocation"]
            .get("uriBaseId")
            .is_none());
        assert_eq!(
            loc["logicalLocations"],
            json!([{ "kind": "resource", "name": "sshd banner (global and Match blocks)" }])
        );
        assert!(banner["message"]["text"]
            .as_str()
            .unwrap()
            .contains("OpenSSH default"));
        // Two failing checks, no file: one logical location each.
        let sysrq = result_for(&log, "sysctl-kernel-sysrq-disabled").unwrap();
        assert_eq!(
            sysrq["locations"][0]["logicalLocations"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn logical_locations_are_unique() {
        let mut r = sample();
        let banner = r
            .results
            .iter_mut()
            .find(|x| x.id == "ssh-banner-configured")
            .unwrap();
        let twice = banner.evidence[0].clone();
        banner.evidence.push(twice);
        let log = parsed(&r);
        let banner = result_for(&log, "ssh-banner-configured").unwrap();
        assert_eq!(
            banner["locations"][0]["logicalLocations"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn fingerprint_is_rule_and_host() {
        let log = parsed(&sample());
        let r = result_for(&log, "ssh-root-login-disabled").unwrap();
        assert_eq!(
            r["partialFingerprints"]["postureRule/v1"],
            "ssh-root-login-disabled:web01"
        );
        assert_eq!(log["runs"][0]["automationDetails"]["id"], "posture/web01/");
    }

    #[test]
    fn waived_rule_is_a_suppressed_result() {
        let log = parsed(&sample());
        let r = result_for(&log, "ssh-x11-forwarding-disabled").unwrap();
        let s = &r["suppressions"][0];
        assert_eq!(s["kind"], "external");
        assert_eq!(s["status"], "accepted");
        assert!(s["justification"].as_str().unwrap().contains("OPS-1432"));
        assert_eq!(s["properties"]["approver"], "jane.doe@example.com");
        assert_eq!(s["properties"]["expires"], "2027-06-30");
        assert_eq!(
            s["properties"]["location"],
            "tests/fixtures/reports/waivers.yaml:3"
        );
    }

    #[test]
    fn expired_waiver_is_flagged_on_the_result_and_notified() {
        let log = parsed(&sample());
        let r = result_for(&log, "ssh-max-auth-tries").unwrap();
        assert!(r.get("suppressions").is_none());
        assert_eq!(r["properties"]["waiverExpired"], true);
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("expired on 2026-09-30"));
        let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        let kinds: Vec<&str> = notes
            .iter()
            .map(|n| n["descriptor"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, [RULE_ERROR, WAIVER_EXPIRED, WAIVER_UNMATCHED]);
        assert!(notes.iter().all(|n| n["level"] == "warning"));
        assert_eq!(notes[0]["associatedRule"]["id"], "password-max-age-default");
        assert_eq!(
            log["runs"][0]["invocations"][0]["executionSuccessful"],
            true
        );
    }

    #[test]
    fn run_properties_and_live_root() {
        let mut report = sample();
        let log = parsed(&report);
        let p = &log["runs"][0]["properties"];
        assert_eq!(p["score"], 49.2);
        assert_eq!(p["hostname"], "web01");
        assert_eq!(p["scanId"], "6f1c2a9e-4b7d-4e0a-9c3f-2d8e5b1a7c40");

        report.target.kind = "live".into();
        report.target.root = None;
        report.target.hostname = None;
        let log = parsed(&report);
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"]["ROOTFS"]["uri"],
            "file:///"
        );
        assert_eq!(
            result_for(&log, "ssh-root-login-disabled").unwrap()["partialFingerprints"]
                ["postureRule/v1"],
            "ssh-root-login-disabled:unknown-host"
        );
    }

    #[test]
    fn odd_paths_are_encoded_and_odd_input_does_not_panic() {
        assert_eq!(encode_path("etc/a b#c:d%"), "etc/a%20b%23c%3Ad%25");
        assert_eq!(encode_path("srv/é"), "srv/%C3%A9");
        let mut report = sample();
        report.target.root = Some("relative/dir".into());
        for r in &mut report.results {
            r.evidence.clear();
            r.title.clear();
            r.references.clear();
        }
        let log = parsed(&report);
        assert!(log["runs"][0].get("originalUriBaseIds").is_none());
        assert_eq!(
            result_for(&log, "ssh-banner-configured").unwrap()["message"]["text"],
            "(none)."
        );
    }

    #[test]
    fn target_file_problems_are_notified() {
        let mut report = sample();
        report.diagnostics = vec![
            crate::diag::Diagnostic::new("/etc/ssh/sshd_config", "unknown keyword Foo")
                .at(12, Some(3)),
            crate::diag::Diagnostic::new("/etc/login.defs", "truncated"),
        ];
        let log = parsed(&report);
        let notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        let problems: Vec<&Value> = notes
            .iter()
            .filter(|n| n["descriptor"]["id"] == TARGET_FILE)
            .collect();
        assert_eq!(problems.len(), 2);
        assert_eq!(
            problems[0]["message"]["text"],
            "/etc/ssh/sshd_config:12:3: unknown keyword Foo."
        );
        let physical = &problems[0]["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], "etc/ssh/sshd_config");
        assert_eq!(physical["region"]["startLine"], 12);
        // No line: no region, rather than an invented one.
        assert!(problems[1]["locations"][0]["physicalLocation"]
            .get("region")
            .is_none());
        // An unmatched waiver with no expiry has no `expires` member.
        let unmatched = notes
            .iter()
            .find(|n| n["descriptor"]["id"] == WAIVER_UNMATCHED)
            .unwrap();
        assert!(unmatched["properties"].get("expires").is_none());
    }

    #[test]
    fn pascal_case_names() {
        assert_eq!(pascal_case("ssh-max-auth-tries"), "SshMaxAuthTries");
        assert_eq!(pascal_case("a..b_c"), "ABC");
        assert_eq!(pascal_case(""), "");
    }
}
