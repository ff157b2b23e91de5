//! Waivers: failures a named person has accepted, until a date.
//!
//! A waivers file (`--waivers FILE`, format in `docs/waivers.md`) lists rule
//! ids or globs, each with a justification, an approver, an expiry date and
//! optionally a scope of host names and tags. Waivers are applied to a
//! finished [`Report`]: a failed rule that an in-force waiver covers becomes
//! `waived` and keeps its evidence. Nothing else changes: a waiver never
//! hides a pass, an error or a not-applicable result. Expired waivers stop
//! applying and are flagged on the rule; waivers that match no evaluated
//! rule are listed, so a waivers file cannot silently rot.

mod cfg;

pub use cfg::{
    is_date, load_file, parse, LoadError, MAX_BYTES, MAX_GLOBS, MAX_PATTERN_BYTES,
    MAX_SCOPE_ENTRIES, MAX_TEXT_BYTES, MAX_WAIVERS,
};

use crate::engine::Outcome;
use crate::report::{summarize, Report, WaiverRef, WaiverState, WaiverStatus, WAIVER_RULES_LISTED};
use globset::GlobMatcher;
use std::collections::HashMap;

/// The waivers of one file, in file order.
#[derive(Debug, Clone)]
pub struct Waivers {
    pub file: String,
    pub waivers: Vec<Waiver>,
}

#[derive(Debug, Clone)]
pub struct Waiver {
    /// The rule id or glob, as written.
    pub rule: String,
    matcher: RulePattern,
    pub justification: String,
    pub approver: String,
    /// `YYYY-MM-DD`, the last day in force; `None` for `never`.
    pub expires: Option<String>,
    pub scope: Scope,
    /// `file:line`.
    pub location: String,
}

/// A waiver's `rule`: a plain rule id is compared as text, which costs no
/// compiled glob and lets [`apply`] find every waiver naming a rule with
/// one lookup.
#[derive(Debug, Clone)]
enum RulePattern {
    Id,
    Glob(GlobMatcher),
}

/// Which targets a waiver covers. Within a list any entry may match; when
/// both lists are given, both must match. Empty lists match every target.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub hostnames: Vec<(String, GlobMatcher)>,
    pub tags: Vec<String>,
}

impl Scope {
    pub fn matches(&self, hostname: Option<&str>, tags: &[String]) -> bool {
        let host_ok = self.hostnames.is_empty()
            || hostname.is_some_and(|h| self.hostnames.iter().any(|(_, m)| m.is_match(h)));
        let tag_ok = self.tags.is_empty() || self.tags.iter().any(|t| tags.contains(t));
        host_ok && tag_ok
    }
}

impl Waiver {
    pub fn matches_rule(&self, id: &str) -> bool {
        match &self.matcher {
            RulePattern::Id => self.rule == id,
            RulePattern::Glob(m) => m.is_match(id),
        }
    }

    /// Expired once `as_of` (`YYYY-MM-DD`) is after the expiry date.
    pub fn is_expired(&self, as_of: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e < as_of)
    }

    fn to_ref(&self, expired: bool) -> WaiverRef {
        WaiverRef {
            location: self.location.clone(),
            justification: self.justification.clone(),
            approver: self.approver.clone(),
            expires: self.expires.clone(),
            expired,
        }
    }
}

/// Applies `waivers` to `report`, replacing any waivers applied before, and
/// recomputes the summary. Expiry is judged on the day the scan started, so
/// re-rendering an old report gives the same answer as on the day.
///
/// Waivers that name the same rule or glob are matched once, as a group,
/// and plain rule ids by lookup: the work is one lookup plus one match per
/// distinct glob for each result, and memory holds at most
/// [`WAIVER_RULES_LISTED`] rule ids per group, whatever the number of
/// waivers and rules.
pub fn apply(report: &mut Report, waivers: &Waivers) {
    clear(report);
    let as_of = as_of(report);
    let all = &waivers.waivers;
    let in_scope: Vec<bool> = all
        .iter()
        .map(|w| {
            w.scope
                .matches(report.target.hostname.as_deref(), &report.target.tags)
        })
        .collect();
    let expired: Vec<bool> = all.iter().map(|w| w.is_expired(&as_of)).collect();
    // One group per distinct `rule`, with the first in-scope waiver of the
    // group in force and the first expired one, in file order.
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of_text: HashMap<&str, usize> = HashMap::new();
    let mut group_of: Vec<usize> = Vec::with_capacity(all.len());
    for (i, w) in all.iter().enumerate() {
        let g = *group_of_text.entry(w.rule.as_str()).or_insert_with(|| {
            groups.push(Group::new(i));
            groups.len() - 1
        });
        group_of.push(g);
        if in_scope[i] {
            let slot = if expired[i] {
                &mut groups[g].first_expired
            } else {
                &mut groups[g].first_in_force
            };
            slot.get_or_insert(i);
        }
    }
    let by_id: HashMap<&str, usize> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| matches!(all[g.waiver].matcher, RulePattern::Id))
        .map(|(n, g)| (all[g.waiver].rule.as_str(), n))
        .collect();
    let globs: Vec<(usize, &GlobMatcher)> = groups
        .iter()
        .enumerate()
        .filter_map(|(n, g)| match &all[g.waiver].matcher {
            RulePattern::Glob(m) => Some((n, m)),
            RulePattern::Id => None,
        })
        .collect();
    let mut waived_any = vec![false; all.len()];
    for (at, result) in report.results.iter_mut().enumerate() {
        let failed = result.outcome == Outcome::Fail;
        let (mut in_force, mut expired_match) = (None::<usize>, None::<usize>);
        let mut visit = |g: &mut Group| {
            g.matched(at, failed);
            if failed {
                in_force = min(in_force, g.first_in_force);
                expired_match = min(expired_match, g.first_expired);
            }
        };
        if let Some(&g) = by_id.get(result.id.as_str()) {
            visit(&mut groups[g]);
        }
        for (g, m) in &globs {
            if m.is_match(&result.id) {
                visit(&mut groups[*g]);
            }
        }
        if let Some(i) = in_force {
            result.outcome = Outcome::Waived;
            result.waiver = Some(all[i].to_ref(false));
            waived_any[i] = true;
        } else if let Some(i) = expired_match {
            result.waiver = Some(all[i].to_ref(true));
        }
    }
    report.waivers = all
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let g = &groups[group_of[i]];
            let (rules, rules_count) = if in_scope[i] {
                (
                    g.listed().map(|at| report.results[at].id.clone()).collect(),
                    g.count,
                )
            } else {
                (Vec::new(), 0)
            };
            let status = if expired[i] {
                WaiverState::Expired
            } else if !in_scope[i] {
                WaiverState::OutOfScope
            } else if rules_count == 0 {
                // In scope, so no evaluated rule matched.
                WaiverState::Unmatched
            } else if waived_any[i] {
                WaiverState::Applied
            } else {
                WaiverState::NotNeeded
            };
            WaiverStatus {
                rule: w.rule.clone(),
                location: w.location.clone(),
                justification: w.justification.clone(),
                approver: w.approver.clone(),
                expires: w.expires.clone(),
                status,
                rules,
                rules_count,
            }
        })
        .collect();
    report.summary = summarize(&report.results);
}

/// The waivers that share one `rule`, and the results it matched.
struct Group {
    /// The first waiver of the group, whose pattern the group matches by.
    waiver: usize,
    first_in_force: Option<usize>,
    first_expired: Option<usize>,
    /// How many results the pattern matched.
    count: usize,
    /// The first matched results that failed, then the first others, by
    /// index, each at most [`WAIVER_RULES_LISTED`].
    failed: Vec<usize>,
    others: Vec<usize>,
}

impl Group {
    fn new(waiver: usize) -> Group {
        Group {
            waiver,
            first_in_force: None,
            first_expired: None,
            count: 0,
            failed: Vec::new(),
            others: Vec::new(),
        }
    }

    fn matched(&mut self, result: usize, failed: bool) {
        self.count += 1;
        let list = if failed {
            &mut self.failed
        } else {
            &mut self.others
        };
        if list.len() < WAIVER_RULES_LISTED {
            list.push(result);
        }
    }

    /// The results listed for the group's waivers: failures first.
    fn listed(&self) -> impl Iterator<Item = usize> + '_ {
        self.failed
            .iter()
            .chain(&self.others)
            .copied()
            .take(WAIVER_RULES_LISTED)
    }
}

/// The smaller of two waiver indices, the earlier in file order.
fn min(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Undoes waivers applied to `report` before.
fn clear(report: &mut Report) {
    for r in &mut report.results {
        if r.outcome == Outcome::Waived {
            r.outcome = Outcome::Fail;
        }
        r.waiver = None;
    }
    report.waivers.clear();
}

/// The day waivers are judged on: the scan's start date, or today when the
/// report does not give one.
fn as_of(report: &Report) -> String {
    match report.scan.started_at.get(..10) {
        Some(day) if cfg::is_date(day) => day.to_string(),
        _ => crate::scan::rfc3339(std::time::SystemTime::now())[..10].to_string(),
    }
}

#[cfg(test)]
mod tests;
