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

pub use cfg::{is_date, load_file, parse, LoadError};

use crate::engine::Outcome;
use crate::report::{summarize, Report, WaiverRef, WaiverState, WaiverStatus};
use globset::GlobMatcher;

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
    matcher: GlobMatcher,
    pub justification: String,
    pub approver: String,
    /// `YYYY-MM-DD`, the last day in force; `None` for `never`.
    pub expires: Option<String>,
    pub scope: Scope,
    /// `file:line`.
    pub location: String,
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
        self.matcher.is_match(id)
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
pub fn apply(report: &mut Report, waivers: &Waivers) {
    clear(report);
    let as_of = as_of(report);
    let hostname = report.target.hostname.clone();
    let tags = report.target.tags.clone();
    let in_scope: Vec<bool> = waivers
        .waivers
        .iter()
        .map(|w| w.scope.matches(hostname.as_deref(), &tags))
        .collect();
    let mut waived_any = vec![false; waivers.waivers.len()];
    for result in &mut report.results {
        if result.outcome != Outcome::Fail {
            continue;
        }
        let mut expired_match = None;
        for (i, w) in waivers.waivers.iter().enumerate() {
            if !in_scope[i] || !w.matches_rule(&result.id) {
                continue;
            }
            if w.is_expired(&as_of) {
                expired_match.get_or_insert(w);
                continue;
            }
            result.outcome = Outcome::Waived;
            result.waiver = Some(w.to_ref(false));
            waived_any[i] = true;
            break;
        }
        if result.outcome == Outcome::Fail {
            result.waiver = expired_match.map(|w| w.to_ref(true));
        }
    }
    report.waivers = waivers
        .waivers
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let rules: Vec<String> = report
                .results
                .iter()
                .filter(|r| in_scope[i] && w.matches_rule(&r.id))
                .map(|r| r.id.clone())
                .collect();
            let status = if w.is_expired(&as_of) {
                WaiverState::Expired
            } else if !in_scope[i] {
                WaiverState::OutOfScope
            } else if rules.is_empty() {
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
            }
        })
        .collect();
    report.summary = summarize(&report.results);
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
