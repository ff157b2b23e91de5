//! CI gating: the verdict a pipeline acts on.
//!
//! By default any failed rule fails the run. `--fail-on SEVERITY` narrows
//! that to failures at or above a severity (`none` turns it off), and
//! `--min-score N` adds a floor on the score. Waived rules never fail a
//! run. A rule at or above the threshold that could not be checked
//! (`error`) makes the verdict `incomplete`: a gate that checked less than
//! it was asked to does not pass, unless `--allow-errors` says the caller
//! accepts that.

use super::Report;
use crate::engine::Outcome;
use crate::policy::Severity;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
/// The gate a verdict was judged by.
pub struct Gate {
    /// Failures (and errors) at or above this severity count; `null`
    /// (`--fail-on none`) ignores failures and errors.
    pub fail_on: Option<Severity>,
    /// A score below this fails the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<f64>,
    /// Rules that could not be checked do not keep the run from passing.
    #[serde(default)]
    pub allow_errors: bool,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            fail_on: Some(Severity::Info),
            min_score: None,
            allow_errors: false,
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
/// What the run says to a pipeline.
pub enum Status {
    /// Nothing at or above the threshold failed or went unchecked, and the
    /// score is at least the minimum. Exit code 0.
    Passed,
    /// A rule at or above the threshold failed, or the score is below the
    /// minimum. Exit code 1.
    Failed,
    /// Nothing failed, but a rule at or above the threshold could not be
    /// checked (`error`), so passing cannot be claimed. Exit code 3.
    Incomplete,
}

impl Status {
    /// The word the terminal, Markdown and HTML summaries show.
    pub fn word(self) -> &'static str {
        match self {
            Status::Passed => "PASSED",
            Status::Failed => "FAILED",
            Status::Incomplete => "INCOMPLETE",
        }
    }

    /// The process exit code of a scan or report with this verdict.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Passed => 0,
            Status::Failed => 1,
            Status::Incomplete => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
/// The report's verdict under the gate it was checked with.
pub struct Verdict {
    /// `passed`, `failed` or `incomplete` (exit codes 0, 1 and 3).
    pub status: Status,
    /// Why the run failed or is incomplete, failures first; errors that
    /// `allow_errors` accepted are listed too. Empty when nothing is wrong.
    pub reasons: Vec<String>,
    /// The gate applied.
    pub gate: Gate,
}

impl Gate {
    /// The verdict on `report`.
    pub fn verdict(&self, report: &Report) -> Verdict {
        let at_or_above = |outcome: Outcome| match self.fail_on {
            Some(threshold) => report
                .results
                .iter()
                .filter(|r| r.outcome == outcome && r.severity >= threshold)
                .count(),
            None => 0,
        };
        let scope = match self.fail_on {
            Some(Severity::Info) | None => String::new(),
            Some(threshold) => format!(" at or above {threshold} severity"),
        };
        let mut failures = Vec::new();
        let failed = at_or_above(Outcome::Fail);
        if failed > 0 {
            failures.push(format!("{failed} rule(s){scope} failed"));
        }
        if let Some(min) = self.min_score {
            if report.summary.score < min {
                failures.push(format!(
                    "score {:.1} is below the minimum {min}",
                    report.summary.score
                ));
            }
        }
        let errors = at_or_above(Outcome::Error);
        let unchecked = (errors > 0).then(|| {
            if self.allow_errors {
                format!("{errors} rule(s){scope} could not be checked (allowed by --allow-errors)")
            } else {
                format!("{errors} rule(s){scope} could not be checked")
            }
        });
        let status = if !failures.is_empty() {
            Status::Failed
        } else if errors > 0 && !self.allow_errors {
            Status::Incomplete
        } else {
            Status::Passed
        };
        Verdict {
            status,
            reasons: failures.into_iter().chain(unchecked).collect(),
            gate: *self,
        }
    }
}

impl Verdict {
    /// `PASSED`, or `FAILED: reason; reason`, for one line of text.
    pub fn line(&self) -> String {
        if self.reasons.is_empty() {
            self.status.word().to_string()
        } else {
            format!("{}: {}", self.status.word(), self.reasons.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn gate(fail_on: Option<Severity>, min_score: Option<f64>) -> Gate {
        Gate {
            fail_on,
            min_score,
            allow_errors: false,
        }
    }

    #[test]
    fn any_failure_fails_by_default() {
        let r = sample();
        let v = Gate::default().verdict(&r);
        assert_eq!(v.status, Status::Failed);
        assert_eq!(
            v.reasons,
            ["6 rule(s) failed", "1 rule(s) could not be checked"]
        );
        assert_eq!(v.status.exit_code(), 1);
    }

    #[test]
    fn fail_on_counts_failures_at_or_above_the_severity() {
        let r = sample();
        let at = |sev| gate(Some(sev), None).verdict(&r);
        // The sample fails 1 critical, 2 high, 1 medium and 2 low rules;
        // its medium waived rule never counts; its one error is medium.
        assert_eq!(
            at(Severity::Critical).reasons,
            ["1 rule(s) at or above critical severity failed"]
        );
        assert_eq!(
            at(Severity::High).reasons,
            ["3 rule(s) at or above high severity failed"]
        );
        assert_eq!(
            at(Severity::Medium).reasons,
            [
                "4 rule(s) at or above medium severity failed",
                "1 rule(s) at or above medium severity could not be checked"
            ]
        );
        let mut fixed = r.clone();
        fixed
            .results
            .retain(|x| x.severity < Severity::High || x.outcome != Outcome::Fail);
        let v = at_fixed(&fixed, Severity::High);
        assert_eq!(v.status, Status::Passed);
        assert!(v.reasons.is_empty());
        assert_eq!(v.status.exit_code(), 0);
    }

    fn at_fixed(r: &Report, sev: Severity) -> Verdict {
        gate(Some(sev), None).verdict(r)
    }

    #[test]
    fn an_unchecked_rule_at_the_threshold_makes_the_run_incomplete() {
        let mut r = sample();
        r.results.retain(|x| x.outcome != Outcome::Fail);
        let v = Gate::default().verdict(&r);
        assert_eq!(v.status, Status::Incomplete);
        assert_eq!(v.reasons, ["1 rule(s) could not be checked"]);
        assert_eq!(v.status.exit_code(), 3);
        assert_eq!(v.line(), "INCOMPLETE: 1 rule(s) could not be checked");
        // The error is medium: a high threshold does not see it.
        assert_eq!(at_fixed(&r, Severity::High).status, Status::Passed);
        // Only when asked for does an unchecked rule let the run pass.
        let allowed = Gate {
            allow_errors: true,
            ..Gate::default()
        }
        .verdict(&r);
        assert_eq!(allowed.status, Status::Passed);
        assert_eq!(
            allowed.reasons,
            ["1 rule(s) could not be checked (allowed by --allow-errors)"]
        );
        assert_eq!(
            allowed.line(),
            "PASSED: 1 rule(s) could not be checked (allowed by --allow-errors)"
        );
        // `--fail-on none` looks at neither failures nor errors.
        assert_eq!(gate(None, None).verdict(&r).status, Status::Passed);
    }

    #[test]
    fn min_score_and_none() {
        let r = sample(); // score 49.2
        assert!(gate(None, Some(49.2)).verdict(&r).reasons.is_empty());
        assert_eq!(
            gate(None, Some(80.0)).verdict(&r).reasons,
            ["score 49.2 is below the minimum 80"]
        );
        assert_eq!(gate(None, None).verdict(&r).status.exit_code(), 0);
        let both = gate(Some(Severity::Critical), Some(50.0)).verdict(&r);
        assert_eq!(both.reasons.len(), 2);
        assert_eq!(both.status, Status::Failed);
    }
}
