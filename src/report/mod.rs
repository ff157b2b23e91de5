//! The report: one serde model every renderer reads.
//!
//! `schema_version` follows semantic versioning: a field or value added is
//! a minor change, a field removed or changed in meaning is a major one.
//! `schema/report.schema.json` is generated from these types (a test keeps
//! it current), so the doc comments here are the field documentation.

pub mod csv;
pub mod explain;
pub mod gate;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod ohdf;
pub mod read;
pub mod sarif;
pub mod table;

use crate::diag::Diagnostic;
use crate::engine::{Evidence, Outcome, RuleResult};
use crate::policy::{Policy, Rule, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// 2.0.0 added the `waived` outcome (a new value of a closed set, hence a
/// major version), `waiver` and `section` on results, `target.tags` and the
/// `waivers` list. 2.1.0 added `verdict` and `incomplete` on diagnostics.
/// 2.2.0 added `rules_count` on waivers, whose `rules` list became the first
/// [`WAIVER_RULES_LISTED`] matches.
pub const SCHEMA_VERSION: &str = "2.2.0";

/// The major schema versions this build reads: 1.x reports lack only
/// fields that 2.0 added, which read as empty.
pub const READABLE_MAJORS: [u64; 2] = [1, 2];

/// The formats a report can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A summary for the terminal.
    Table,
    /// The full report, as versioned JSON (schema/report.schema.json).
    Json,
    /// JUnit XML for CI test-report views (GitLab, Jenkins, GitHub
    /// test-reporter actions): one test case per rule.
    Junit,
    /// SARIF 2.1.0 for GitHub code scanning and SARIF viewers: one result
    /// per failed or waived rule.
    Sarif,
    /// A self-contained page to open in a browser or send by mail: summary,
    /// charts, waivers, and every rule with its evidence; loads nothing.
    Html,
    /// A compact summary for CI job summaries and pull-request comments.
    Markdown,
    /// One row per result.
    Csv,
    /// MITRE's Heimdall Data Format (InSpec exec JSON): one control per
    /// rule, for Heimdall and the SAF CLI.
    Ohdf,
}

impl Format {
    /// The report in this format; `Table` with the default style (no
    /// colour, 120 columns).
    pub fn render(self, report: &Report) -> String {
        match self {
            Format::Table => table::render(report, &table::Style::default()),
            Format::Json => json::render(report),
            Format::Markdown => markdown::render(report),
            Format::Csv => csv::render(report),
            Format::Html => html::render(report),
            Format::Junit => junit::render(report),
            Format::Sarif => sarif::render(report),
            Format::Ohdf => ohdf::render(report),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// A posture scan report.
pub struct Report {
    /// The version of this format: `MAJOR.MINOR.PATCH`. Readers accept any
    /// report of the major version they know.
    pub schema_version: String,
    /// The program that wrote the report.
    pub tool: Tool,
    /// When the scan ran.
    pub scan: Scan,
    /// What was scanned.
    pub target: TargetInfo,
    /// The policies loaded, whether or not all their rules were selected.
    pub policies: Vec<PolicyInfo>,
    /// Which rules of the policies were evaluated.
    pub selection: Selection,
    /// Counts and the score.
    pub summary: Summary,
    /// One entry per evaluated rule, in policy order.
    pub results: Vec<RuleReport>,
    /// Problems met reading the target's files (malformed lines, truncation).
    pub diagnostics: Vec<Diagnostic>,
    /// Every waiver read with `--waivers`, and what became of it.
    #[serde(default)]
    pub waivers: Vec<WaiverStatus>,
    /// The verdict under the CI gate the report was written with
    /// (`--fail-on`, `--min-score`, `--allow-errors`); `posture report`
    /// judges it again under its own options. Absent in reports before 2.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<gate::Verdict>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// The program that wrote the report.
pub struct Tool {
    /// `posture`.
    pub name: String,
    /// Its version (semantic versioning).
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// When the scan ran.
pub struct Scan {
    /// A random UUID, unique to this scan.
    pub id: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// RFC 3339, UTC.
    pub finished_at: String,
    /// Wall-clock time of the scan, in milliseconds.
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// What was scanned.
pub struct TargetInfo {
    /// `live` (the host posture ran on) or `root` (a root filesystem).
    pub kind: String,
    /// For a root filesystem: the directory scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// The target's host name, when known.
    pub hostname: Option<String>,
    /// Labels given with `--tag` (`prod`, `dmz`, ...): waiver scopes match
    /// them, and fleet reports group by them.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The target's operating system.
    pub os: OsSummary,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// The target's operating system, from `os-release` and the kernel.
pub struct OsSummary {
    /// `os-release` `ID` (`debian`, `rhel`, ...), or `unknown`.
    pub id: String,
    /// `debian`, `rhel`, `suse`, `alpine`, ... or `unknown`.
    pub family: String,
    /// `os-release` `VERSION_ID` (`12`, `9.4`, ...).
    pub version_id: Option<String>,
    /// `os-release` `PRETTY_NAME`.
    pub pretty_name: Option<String>,
    /// The running kernel's release; unknown for a root filesystem.
    pub kernel: Option<String>,
    /// The machine architecture (`x86_64`, `aarch64`, ...).
    pub arch: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// A policy the scan loaded.
pub struct PolicyInfo {
    /// The policy's id, which results name in `policy`.
    pub id: String,
    pub title: String,
    /// The policy's own version.
    pub version: String,
    /// Where it was loaded from (`builtin:rules/...` for the built-in one).
    pub file: String,
    /// SHA-256 of the policy's files, to tell two versions apart.
    pub digest: String,
    /// How many rules it has (selected or not).
    pub rules: usize,
}

/// Which rules of the policies were evaluated.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct Selection {
    /// The profile the rules were selected by (`all` for every rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Rules named with `--rule`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// Rules named with `--skip-rule`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_rules: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// Counts over `results`.
pub struct Summary {
    /// How many rules were evaluated.
    pub total: usize,
    /// Results per outcome; every outcome is present.
    pub by_outcome: BTreeMap<Outcome, usize>,
    /// Results per severity and outcome; every severity and outcome is present.
    pub by_severity: BTreeMap<Severity, BTreeMap<Outcome, usize>>,
    /// 0–100: the severity-weighted share of judged rules that passed
    /// (weights critical 10, high 6, medium 3, low 1, info 0). Errors count
    /// as not passed; not-applicable and waived rules do not count.
    pub score: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// One evaluated rule.
pub struct RuleReport {
    /// The rule's id, unique across the policies.
    pub id: String,
    /// What the rule requires, as a statement of the good state.
    pub title: String,
    pub severity: Severity,
    /// The id of the policy that holds the rule.
    pub policy: String,
    /// The area of the policy the rule belongs to (`ssh`, `pam`, ...): the
    /// name of the rule file that defines it.
    #[serde(default)]
    pub section: String,
    /// What the rule checks.
    pub description: String,
    /// Why it matters.
    pub rationale: String,
    /// How to bring the host into line.
    pub remediation: String,
    /// Framework (`cis-debian12`, `nist-800-53`, ...) → its control ids.
    pub references: BTreeMap<String, Vec<String>>,
    /// Every profile that holds the rule.
    pub profiles: Vec<String>,
    /// The result of the rule on this target.
    pub outcome: Outcome,
    /// Why the rule is `not_applicable` or `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What each check looked at and found; kept when the rule is waived.
    pub evidence: Vec<Evidence>,
    /// The waiver that covers this failure: in force when `outcome` is
    /// `waived`; `expired` (and the rule still `fail`) when its date passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<WaiverRef>,
    /// Time spent evaluating the rule, including facts it waited for.
    pub duration_us: u64,
}

/// The waiver that matched a rule.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WaiverRef {
    /// Where the waiver is defined: `file:line`.
    pub location: String,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who accepted the risk.
    pub approver: String,
    /// `YYYY-MM-DD`, the last day the waiver is in force; absent for a
    /// waiver that never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The expiry date has passed: the waiver no longer applies.
    pub expired: bool,
}

/// A waiver from the waivers file and what it did in this scan.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct WaiverStatus {
    /// The rule id or glob it names.
    pub rule: String,
    /// Where the waiver is defined: `file:line`.
    pub location: String,
    /// Why the risk is accepted.
    pub justification: String,
    /// Who accepted the risk.
    pub approver: String,
    /// `YYYY-MM-DD`; absent for a waiver that never expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// What the waiver did in this scan.
    pub status: WaiverState,
    /// The evaluated rules it matched (none when out of scope), at most
    /// 20: the failures it waived (or, expired, no longer waives) first,
    /// then the others, each in report order.
    pub rules: Vec<String>,
    /// How many evaluated rules it matched in all (more than `rules` lists
    /// when the list was cut). Absent in reports before 2.2, whose `rules`
    /// listed every match.
    #[serde(default)]
    pub rules_count: usize,
}

impl WaiverStatus {
    /// How many matched rules `rules` does not list.
    pub fn rules_not_listed(&self) -> usize {
        self.rules_count.saturating_sub(self.rules.len())
    }
}

/// At most this many rule ids are listed per waiver in
/// [`WaiverStatus::rules`]: a waiver `*` matches every rule, and ten
/// thousand of them must not list every rule each.
pub const WAIVER_RULES_LISTED: usize = 20;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum WaiverState {
    /// It waived at least one failed rule.
    Applied,
    /// It matched rules, none of which failed.
    NotNeeded,
    /// Its expiry date has passed; failures it matched stay failures.
    Expired,
    /// The target's host name and tags are outside its scope.
    OutOfScope,
    /// It matches no rule evaluated in this scan.
    Unmatched,
}

impl WaiverState {
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Applied => "applied",
            WaiverState::NotNeeded => "not_needed",
            WaiverState::Expired => "expired",
            WaiverState::OutOfScope => "out_of_scope",
            WaiverState::Unmatched => "unmatched",
        }
    }

    /// Whether the waivers file needs attention for this waiver.
    pub fn is_warning(self) -> bool {
        matches!(self, WaiverState::Expired | WaiverState::Unmatched)
    }
}

/// The score: 100 × Σ weight(passed) / Σ weight(passed, failed, errored),
/// rounded to one decimal, with weights critical 10, high 6, medium 3, low 1,
/// info 0. Not-applicable rules do not count; an error counts as not passed,
/// because a check that could not be made gives no assurance. A waived rule
/// does not count either: it is an accepted risk, shown beside the score,
/// not a pass. 100 when no weighted rule was judged.
pub fn score<'a>(results: impl Iterator<Item = (Severity, Outcome)> + 'a) -> f64 {
    let (mut passed, mut judged) = (0u64, 0u64);
    for (sev, outcome) in results {
        let w = u64::from(sev.weight());
        match outcome {
            Outcome::Pass => {
                passed += w;
                judged += w;
            }
            Outcome::Fail | Outcome::Error => judged += w,
            Outcome::NotApplicable | Outcome::Waived => {}
        }
    }
    if judged == 0 {
        return 100.0;
    }
    (1000.0 * passed as f64 / judged as f64).round() / 10.0
}

pub fn summarize(results: &[RuleReport]) -> Summary {
    summarize_outcomes(results.iter().map(|r| (r.severity, r.outcome)))
}

/// The summary of results given as (severity, outcome) pairs.
pub fn summarize_outcomes(results: impl Iterator<Item = (Severity, Outcome)> + Clone) -> Summary {
    let mut by_outcome: BTreeMap<Outcome, usize> = Outcome::ALL.iter().map(|o| (*o, 0)).collect();
    let mut by_severity: BTreeMap<Severity, BTreeMap<Outcome, usize>> = Severity::ALL
        .iter()
        .map(|s| (*s, Outcome::ALL.iter().map(|o| (*o, 0)).collect()))
        .collect();
    let mut total = 0;
    for (severity, outcome) in results.clone() {
        total += 1;
        *by_outcome.entry(outcome).or_default() += 1;
        *by_severity
            .entry(severity)
            .or_default()
            .entry(outcome)
            .or_default() += 1;
    }
    Summary {
        total,
        by_outcome,
        by_severity,
        score: score(results),
    }
}

pub fn rule_report(policy: &Policy, rule: &Rule, result: RuleResult) -> RuleReport {
    RuleReport {
        id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        policy: policy.id.clone(),
        section: rule.area().to_string(),
        description: rule.description.clone(),
        rationale: rule.rationale.clone(),
        remediation: rule.remediation.clone(),
        references: rule.references.clone(),
        profiles: policy
            .profiles_of(rule)
            .into_iter()
            .map(String::from)
            .collect(),
        outcome: result.outcome,
        reason: result.reason,
        evidence: result.evidence,
        waiver: None,
        duration_us: u64::try_from(result.duration.as_micros()).unwrap_or(u64::MAX),
    }
}

impl RuleReport {
    /// A copy with its control characters written out, as
    /// [`Report::printable`] does for a whole report.
    pub fn printable(&self) -> RuleReport {
        let Ok(mut value) = serde_json::to_value(self) else {
            return self.clone();
        };
        printable_value(&mut value);
        serde_json::from_value(value).unwrap_or_else(|_| self.clone())
    }

    /// One line on what broke the rule: the summary of its failed checks,
    /// or of all of them when none failed on its own (a `not` of a check
    /// that held).
    pub fn found(&self) -> String {
        found(&self.evidence)
    }
}

/// See [`RuleReport::found`].
pub fn found(evidence: &[Evidence]) -> String {
    let failed: Vec<Evidence> = evidence
        .iter()
        .filter(|e| e.outcome == Outcome::Fail)
        .cloned()
        .collect();
    crate::engine::summarize(if failed.is_empty() { evidence } else { &failed })
}

/// The fixed sample report of `tests/fixtures/reports/`, for the renderers'
/// snapshot tests.
#[cfg(test)]
pub(crate) fn sample() -> Report {
    Report::from_json(include_str!("../../tests/fixtures/reports/sample.json"))
        .expect("the sample report reads")
}

impl Report {
    /// Judges the report under `gate` and records the verdict in it.
    pub fn judge(&mut self, gate: &gate::Gate) -> &gate::Verdict {
        self.verdict.insert(gate.verdict(self))
    }

    /// `id version` of each policy, in report order.
    pub fn policy_names(&self) -> Vec<String> {
        self.policies
            .iter()
            .map(|p| format!("{} {}", p.id, p.version))
            .collect()
    }

    /// Failed rules, worst first, then by id: the order a technician fixes them.
    pub fn failures(&self) -> Vec<&RuleReport> {
        let mut f: Vec<&RuleReport> = self
            .results
            .iter()
            .filter(|r| r.outcome == Outcome::Fail)
            .collect();
        f.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
        f
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.summary.by_outcome.get(&outcome).copied().unwrap_or(0)
    }

    /// Rules that failed although a waiver named them, because it expired.
    pub fn expired_waivers(&self) -> impl Iterator<Item = &RuleReport> {
        self.results
            .iter()
            .filter(|r| r.waiver.as_ref().is_some_and(|w| w.expired))
    }

    /// Waivers that need attention: expired, or matching no rule.
    pub fn waiver_warnings(&self) -> impl Iterator<Item = &WaiverStatus> {
        self.waivers.iter().filter(|w| w.status.is_warning())
    }

    /// A copy fit for a terminal or a Markdown page: every string has its
    /// control characters other than newline and tab written out as
    /// `\u{1b}`. Report text comes from the target's files, and an escape
    /// sequence in one of them must not move the cursor, retitle the window
    /// or recolour the terminal of whoever reads the summary.
    pub fn printable(&self) -> Report {
        let Ok(mut value) = serde_json::to_value(self) else {
            return self.clone();
        };
        printable_value(&mut value);
        serde_json::from_value(value).unwrap_or_else(|_| self.clone())
    }

    /// Reads a JSON report, accepting any schema version with the major
    /// version this build knows, within the bounds of [`read`]; the summary
    /// is recomputed from the results. Errors name the line and column.
    pub fn from_json(text: &str) -> Result<Report, String> {
        read::parse(text).map(|loaded| loaded.report)
    }
}

fn printable_value(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(clean) = printable(s) {
                *s = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(printable_value),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut item) in old {
                printable_value(&mut item);
                map.insert(printable(&k).into_owned(), item);
            }
        }
        _ => {}
    }
}

/// `text` with control characters other than newline and tab written out
/// as `\u{..}`; see [`Report::printable`].
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_writes_out_control_characters() {
        assert_eq!(printable("plain\ttext\n"), "plain\ttext\n");
        assert_eq!(printable("\u{1b}[31mred\u{7}"), "\\u{1b}[31mred\\u{7}");
        let mut r =
            Report::from_json(include_str!("../../tests/fixtures/reports/sample.json")).unwrap();
        r.results[0].title = "a\u{1b}]0;owned\u{7}".into();
        r.results[0]
            .references
            .insert("x\u{1b}".into(), vec!["\u{9b}1m".into()]);
        let p = r.printable();
        assert_eq!(p.results[0].title, "a\\u{1b}]0;owned\\u{7}");
        assert!(p.results[0].references.contains_key("x\\u{1b}"));
        assert_eq!(p.results[0].references["x\\u{1b}"], ["\\u{9b}1m"]);
        assert_eq!(p.results[1].title, r.results[1].title);
    }

    #[test]
    fn score_weights_severity_and_ignores_not_applicable() {
        use Outcome::*;
        use Severity::*;
        assert_eq!(score([(High, Pass), (Low, Fail)].into_iter()), 85.7);
        assert_eq!(score([(Critical, Fail), (Low, Pass)].into_iter()), 9.1);
        assert_eq!(score([(High, NotApplicable)].into_iter()), 100.0);
        assert_eq!(score([(Info, Fail)].into_iter()), 100.0);
        assert_eq!(score([(Medium, Error), (Medium, Pass)].into_iter()), 50.0);
    }
}
