//! The report: one serde model every renderer reads.
//!
//! `schema_version` follows semantic versioning: a field added is a minor
//! change, a field removed or changed in meaning is a major one. Fields are
//! documented in `docs/report-format.md`.

pub mod json;
pub mod table;

use crate::diag::Diagnostic;
use crate::engine::{Evidence, Outcome, RuleResult};
use crate::policy::{Policy, Rule, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

pub const SCHEMA_VERSION: &str = "1.0.0";

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    pub scan: Scan,
    pub target: TargetInfo,
    pub policies: Vec<PolicyInfo>,
    pub selection: Selection,
    pub summary: Summary,
    pub results: Vec<RuleReport>,
    /// Problems met reading the target's files (malformed lines, truncation).
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Scan {
    pub id: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    /// `live` or `root`.
    pub kind: String,
    /// For a root filesystem: the directory scanned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    pub hostname: Option<String>,
    pub os: OsSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct OsSummary {
    pub id: String,
    pub family: String,
    pub version_id: Option<String>,
    pub pretty_name: Option<String>,
    pub kernel: Option<String>,
    pub arch: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyInfo {
    pub id: String,
    pub title: String,
    pub version: String,
    pub file: String,
    pub digest: String,
    pub rules: usize,
}

/// Which rules of the policies were evaluated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Selection {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_rules: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub total: usize,
    /// Results per outcome; every outcome is present.
    pub by_outcome: BTreeMap<Outcome, usize>,
    /// Results per severity and outcome; every severity and outcome is present.
    pub by_severity: BTreeMap<Severity, BTreeMap<Outcome, usize>>,
    /// 0–100: the severity-weighted share of judged rules that passed.
    /// See [`score`].
    pub score: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub policy: String,
    pub description: String,
    pub rationale: String,
    pub remediation: String,
    pub references: BTreeMap<String, Vec<String>>,
    pub profiles: Vec<String>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub evidence: Vec<Evidence>,
    pub duration_us: u64,
}

/// The score: 100 × Σ weight(passed) / Σ weight(passed, failed, errored),
/// rounded to one decimal, with weights critical 10, high 6, medium 3, low 1,
/// info 0. Not-applicable rules do not count; an error counts as not passed,
/// because a check that could not be made gives no assurance. 100 when no
/// weighted rule was judged.
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
            Outcome::NotApplicable => {}
        }
    }
    if judged == 0 {
        return 100.0;
    }
    (1000.0 * passed as f64 / judged as f64).round() / 10.0
}

pub fn summarize(results: &[RuleReport]) -> Summary {
    let mut by_outcome: BTreeMap<Outcome, usize> = Outcome::ALL.iter().map(|o| (*o, 0)).collect();
    let mut by_severity: BTreeMap<Severity, BTreeMap<Outcome, usize>> = Severity::ALL
        .iter()
        .map(|s| (*s, Outcome::ALL.iter().map(|o| (*o, 0)).collect()))
        .collect();
    for r in results {
        *by_outcome.entry(r.outcome).or_default() += 1;
        *by_severity
            .entry(r.severity)
            .or_default()
            .entry(r.outcome)
            .or_default() += 1;
    }
    Summary {
        total: results.len(),
        by_outcome,
        by_severity,
        score: score(results.iter().map(|r| (r.severity, r.outcome))),
    }
}

pub fn rule_report(policy: &Policy, rule: &Rule, result: RuleResult) -> RuleReport {
    RuleReport {
        id: rule.id.clone(),
        title: rule.title.clone(),
        severity: rule.severity,
        policy: policy.id.clone(),
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
        duration_us: u64::try_from(result.duration.as_micros()).unwrap_or(u64::MAX),
    }
}

impl Report {
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
}

/// Writes `contents` to `path` so that readers see the old file or the
/// whole new one, never a partial report: a temporary file in the same
/// directory, flushed to disk, then renamed over `path`.
pub fn write_atomic(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "output path has no file name",
        )
    })?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

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
