//! CI gating: whether a report should fail the pipeline.
//!
//! By default any failed rule fails the run. `--fail-on SEVERITY` narrows
//! that to failures at or above a severity (`none` turns it off), and
//! `--min-score N` adds a floor on the score. Waived rules never fail a
//! run; errors do not either, since they are shown and counted in the score.

use super::Report;
use crate::engine::Outcome;
use crate::policy::Severity;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gate {
    /// Failures at or above this severity fail the run; `None` ignores
    /// failures.
    pub fail_on: Option<Severity>,
    /// A score below this fails the run.
    pub min_score: Option<f64>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            fail_on: Some(Severity::Info),
            min_score: None,
        }
    }
}

impl Gate {
    /// Why the report fails the gate; empty when it passes.
    pub fn check(&self, report: &Report) -> Vec<String> {
        let mut reasons = Vec::new();
        if let Some(threshold) = self.fail_on {
            let n = report
                .results
                .iter()
                .filter(|r| r.outcome == Outcome::Fail && r.severity >= threshold)
                .count();
            if n > 0 {
                reasons.push(if threshold == Severity::Info {
                    format!("{n} rule(s) failed")
                } else {
                    format!("{n} rule(s) at or above {threshold} severity failed")
                });
            }
        }
        if let Some(min) = self.min_score {
            if report.summary.score < min {
                reasons.push(format!(
                    "score {:.1} is below the minimum {min}",
                    report.summary.score
                ));
            }
        }
        reasons
    }

    /// The process exit code: 1 when the gate fails, else 0.
    pub fn exit_code(&self, report: &Report) -> u8 {
        u8::from(!self.check(report).is_empty())
    }
}
