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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn any_failure_fails_by_default() {
        let r = sample();
        assert_eq!(Gate::default().check(&r), ["6 rule(s) failed"]);
        assert_eq!(Gate::default().exit_code(&r), 1);
    }

    #[test]
    fn fail_on_counts_failures_at_or_above_the_severity() {
        let r = sample();
        let at = |sev| Gate {
            fail_on: Some(sev),
            min_score: None,
        };
        // The sample fails 1 critical, 2 high, 1 medium and 2 low rules;
        // its medium waived rule never counts.
        assert_eq!(
            at(Severity::Critical).check(&r),
            ["1 rule(s) at or above critical severity failed"]
        );
        assert_eq!(
            at(Severity::High).check(&r),
            ["3 rule(s) at or above high severity failed"]
        );
        assert_eq!(
            at(Severity::Medium).check(&r),
            ["4 rule(s) at or above medium severity failed"]
        );
        let mut fixed = r.clone();
        fixed
            .results
            .retain(|x| x.severity < Severity::High || x.outcome != Outcome::Fail);
        assert!(at(Severity::High).check(&fixed).is_empty());
        assert_eq!(at(Severity::High).exit_code(&fixed), 0);
    }

    #[test]
    fn min_score_and_none() {
        let r = sample(); // score 49.2
        let gate = |min| Gate {
            fail_on: None,
            min_score: Some(min),
        };
        assert!(gate(49.2).check(&r).is_empty());
        assert_eq!(gate(80.0).check(&r), ["score 49.2 is below the minimum 80"]);
        let none = Gate {
            fail_on: None,
            min_score: None,
        };
        assert_eq!(none.exit_code(&r), 0);
        let both = Gate {
            fail_on: Some(Severity::Critical),
            min_score: Some(50.0),
        };
        assert_eq!(both.check(&r).len(), 2);
    }
}
