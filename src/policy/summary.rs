//! Counts that describe a set of rules: how many, how severe, in which
//! profiles, and how well they map to the frameworks auditors use.

use super::{Policy, Rule, Severity};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct RuleSummary {
    pub rules: usize,
    pub by_severity: BTreeMap<Severity, usize>,
    /// Profile → rules in it.
    pub by_profile: BTreeMap<String, usize>,
    /// Framework → rules with at least one reference to it.
    pub by_reference: BTreeMap<String, usize>,
    /// Rules with `applies_if`, so an absent component is not a failure.
    pub with_applicability: usize,
}

/// Counts over `rules`; a rule counts in every profile that holds it,
/// including profiles that extend one of its own.
pub fn summarize<'a>(rules: impl IntoIterator<Item = (&'a Policy, &'a Rule)>) -> RuleSummary {
    let mut s = RuleSummary {
        rules: 0,
        by_severity: BTreeMap::new(),
        by_profile: BTreeMap::new(),
        by_reference: BTreeMap::new(),
        with_applicability: 0,
    };
    for (policy, rule) in rules {
        s.rules += 1;
        *s.by_severity.entry(rule.severity).or_default() += 1;
        for p in policy.profiles_of(rule) {
            *s.by_profile.entry(p.to_string()).or_default() += 1;
        }
        for (framework, ids) in &rule.references {
            if !ids.is_empty() {
                *s.by_reference.entry(framework.clone()).or_default() += 1;
            }
        }
        s.with_applicability += usize::from(rule.applies_if.is_some());
    }
    s
}

impl RuleSummary {
    /// The summary as `posture rules list --summary` prints it.
    pub fn to_text(&self) -> String {
        let pct = |n: usize| 100.0 * n as f64 / self.rules.max(1) as f64;
        let mut out = format!("{} rules\n\nby severity:\n", self.rules);
        for sev in Severity::ALL {
            let n = self.by_severity.get(&sev).copied().unwrap_or(0);
            out.push_str(&format!("  {:<20}{n:>5}\n", sev.as_str()));
        }
        out.push_str("\nby profile:\n");
        for (p, n) in &self.by_profile {
            out.push_str(&format!("  {p:<20}{n:>5}\n"));
        }
        out.push_str("\nwith references to:\n");
        for (f, n) in &self.by_reference {
            out.push_str(&format!("  {f:<20}{n:>5}  ({:.0}%)\n", pct(*n)));
        }
        out.push_str(&format!(
            "\nwith applies_if: {} ({:.0}%)\n",
            self.with_applicability,
            pct(self.with_applicability)
        ));
        out
    }
}
