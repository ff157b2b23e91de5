//! Comparing two reports: what regressed, what was fixed, what changed.
//!
//! Rules are matched by id. A *new failure* is a rule in both reports that
//! fails now and did not before (a waiver that expired counts); it is the
//! one thing that makes `posture diff` exit 1. Rules only in one report are
//! listed as added or removed with their outcome, since a policy change is
//! not a regression of the host.

use crate::engine::Outcome;
use crate::policy::Severity;
use crate::report::Report;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Semantic, like the report's: additive changes are minor.
pub const DIFF_SCHEMA_VERSION: &str = "1.0.0";

/// The comparison of two reports (`posture diff --format json`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Diff {
    pub schema_version: String,
    pub old: Side,
    pub new: Side,
    /// New score minus old score.
    pub score_change: f64,
    /// In both reports; fails now, did not fail before.
    pub new_failures: Vec<Change>,
    /// Failed before; passes or is not applicable now.
    pub fixed: Vec<Change>,
    /// Fails in both.
    pub still_failing: Vec<Change>,
    /// Other outcome changes of rules in both (to or from `error` or
    /// `waived`, between `pass` and `not_applicable`).
    pub changed: Vec<Change>,
    /// Only in the new report.
    pub added: Vec<Change>,
    /// Only in the old report.
    pub removed: Vec<Change>,
    /// Why the two reports may not be comparable (other host, other policy
    /// version, other profile).
    pub warnings: Vec<String>,
}

/// One report of the two.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Side {
    pub scan_id: String,
    pub started_at: String,
    pub hostname: Option<String>,
    pub score: f64,
    /// `id version` of each policy.
    pub policies: Vec<String>,
}

/// A rule and its outcome in each report (`None`: not in that report).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub before: Option<Outcome>,
    pub after: Option<Outcome>,
}

impl Diff {
    pub fn new(old: &Report, new: &Report) -> Diff {
        let before: BTreeMap<&str, _> = old.results.iter().map(|r| (r.id.as_str(), r)).collect();
        let after: BTreeMap<&str, _> = new.results.iter().map(|r| (r.id.as_str(), r)).collect();
        let mut d = Diff {
            schema_version: DIFF_SCHEMA_VERSION.into(),
            old: side(old),
            new: side(new),
            score_change: ((new.summary.score - old.summary.score) * 10.0).round() / 10.0,
            new_failures: Vec::new(),
            fixed: Vec::new(),
            still_failing: Vec::new(),
            changed: Vec::new(),
            added: Vec::new(),
            removed: Vec::new(),
            warnings: warnings(old, new),
        };
        for (id, a) in &after {
            let change = |b: Option<Outcome>| Change {
                id: id.to_string(),
                title: a.title.clone(),
                severity: a.severity,
                before: b,
                after: Some(a.outcome),
            };
            let Some(b) = before.get(id) else {
                d.added.push(change(None));
                continue;
            };
            let list = match (b.outcome, a.outcome) {
                (Outcome::Fail, Outcome::Fail) => &mut d.still_failing,
                (_, Outcome::Fail) => &mut d.new_failures,
                (Outcome::Fail, Outcome::Pass | Outcome::NotApplicable) => &mut d.fixed,
                (x, y) if x != y => &mut d.changed,
                _ => continue,
            };
            list.push(change(Some(b.outcome)));
        }
        for (id, b) in &before {
            if !after.contains_key(id) {
                d.removed.push(Change {
                    id: id.to_string(),
                    title: b.title.clone(),
                    severity: b.severity,
                    before: Some(b.outcome),
                    after: None,
                });
            }
        }
        for list in d.lists_mut() {
            list.sort_by(|x, y| y.severity.cmp(&x.severity).then_with(|| x.id.cmp(&y.id)));
        }
        d
    }

    /// Whether a rule fails now that did not before.
    pub fn regressed(&self) -> bool {
        !self.new_failures.is_empty()
    }

    fn lists_mut(&mut self) -> [&mut Vec<Change>; 6] {
        [
            &mut self.new_failures,
            &mut self.fixed,
            &mut self.still_failing,
            &mut self.changed,
            &mut self.added,
            &mut self.removed,
        ]
    }

    fn sections(&self) -> [(&'static str, &Vec<Change>); 6] {
        [
            ("New failures", &self.new_failures),
            ("Fixed", &self.fixed),
            ("Still failing", &self.still_failing),
            ("Other changes", &self.changed),
            ("Rules added", &self.added),
            ("Rules removed", &self.removed),
        ]
    }

    fn headline(&self) -> String {
        format!(
            "score {:.1} → {:.1} ({:+.1}); {} new failure(s), {} fixed, {} still failing, {} other change(s), {} rule(s) added, {} removed",
            self.old.score,
            self.new.score,
            self.score_change,
            self.new_failures.len(),
            self.fixed.len(),
            self.still_failing.len(),
            self.changed.len(),
            self.added.len(),
            self.removed.len()
        )
    }

    /// The JSON Schema of `to_json`'s output (`schema/diff.schema.json`).
    pub fn schema() -> String {
        let mut schema = schemars::schema_for!(Diff);
        schema.insert("x-schema-version".into(), DIFF_SCHEMA_VERSION.into());
        let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize comparison: {e}\"}}"));
        s.push('\n');
        s
    }

    /// A copy whose text is safe to print; see [`Report::printable`].
    fn printable(&self) -> Diff {
        let mut d = self.clone();
        let clean = |s: &mut String| *s = crate::report::printable(s).into_owned();
        for list in d.lists_mut() {
            for c in list {
                clean(&mut c.id);
                clean(&mut c.title);
            }
        }
        for s in [&mut d.old, &mut d.new] {
            if let Some(h) = &mut s.hostname {
                clean(h);
            }
            clean(&mut s.started_at);
        }
        d.warnings.iter_mut().for_each(clean);
        d
    }

    pub fn to_text(&self) -> String {
        self.printable().text()
    }

    pub fn to_markdown(&self) -> String {
        self.printable().markdown()
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "comparing {} ({}) with {} ({})",
            self.old.started_at,
            self.old.hostname.as_deref().unwrap_or("unknown host"),
            self.new.started_at,
            self.new.hostname.as_deref().unwrap_or("unknown host"),
        );
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        for (title, list) in self.sections() {
            if list.is_empty() {
                continue;
            }
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
                .force_no_tty()
                .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
                .set_width(120)
                .set_header(vec!["severity", "rule", "before", "after"]);
            for c in list {
                t.add_row(vec![
                    c.severity.as_str().to_string(),
                    format!("{}\n{}", c.id, c.title),
                    outcome(c.before).to_string(),
                    outcome(c.after).to_string(),
                ]);
            }
            let _ = writeln!(out, "\n{title} ({}):\n{t}", list.len());
        }
        let _ = writeln!(
            out,
            "\n{}{}",
            self.headline(),
            if self.regressed() {
                " — REGRESSED"
            } else {
                ""
            }
        );
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## posture: {}\n",
            if self.regressed() {
                "regressed"
            } else {
                "no regression"
            }
        );
        let _ = writeln!(out, "{}\n", self.headline());
        for w in &self.warnings {
            let _ = writeln!(out, "> **Warning:** {w}\n");
        }
        for (title, list) in self.sections() {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "### {title} ({})\n", list.len());
            let _ = writeln!(
                out,
                "| Severity | Rule | Before | After |\n|---|---|---|---|"
            );
            for c in list {
                let _ = writeln!(
                    out,
                    "| {} | `{}` {} | {} | {} |",
                    c.severity,
                    c.id,
                    crate::report::markdown::cell(&c.title),
                    outcome(c.before),
                    outcome(c.after)
                );
            }
            out.push('\n');
        }
        out
    }
}

fn outcome(o: Option<Outcome>) -> &'static str {
    o.map_or("—", Outcome::as_str)
}

fn side(r: &Report) -> Side {
    Side {
        scan_id: r.scan.id.clone(),
        started_at: r.scan.started_at.clone(),
        hostname: r.target.hostname.clone(),
        score: r.summary.score,
        policies: r.policy_names(),
    }
}

fn warnings(old: &Report, new: &Report) -> Vec<String> {
    let mut w = Vec::new();
    if old.target.hostname != new.target.hostname {
        w.push(format!(
            "the reports are of different hosts ({} and {})",
            old.target.hostname.as_deref().unwrap_or("unknown"),
            new.target.hostname.as_deref().unwrap_or("unknown")
        ));
    }
    if old.policy_names() != new.policy_names() {
        w.push(format!(
            "the policies differ ({} and {})",
            old.policy_names().join(", "),
            new.policy_names().join(", ")
        ));
    }
    if old.selection.profile != new.selection.profile {
        w.push(format!(
            "the profiles differ ({} and {})",
            old.selection.profile.as_deref().unwrap_or("none"),
            new.selection.profile.as_deref().unwrap_or("none")
        ));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{sample, summarize};

    fn set(r: &mut Report, id: &str, outcome: Outcome) {
        r.results.iter_mut().find(|x| x.id == id).unwrap().outcome = outcome;
        r.summary = summarize(&r.results);
    }

    /// The sample a week later: /etc/shadow fixed, empty SSH passwords
    /// allowed, the waiver's failure failing again, one rule gone and one
    /// rule new.
    fn later() -> (Report, Report) {
        let old = sample();
        let mut new = old.clone();
        new.scan.id = "later".into();
        new.scan.started_at = "2026-11-30T09:00:00.000Z".into();
        set(&mut new, "file-perm-shadow", Outcome::Pass);
        set(&mut new, "ssh-empty-passwords-disabled", Outcome::Fail);
        set(&mut new, "ssh-x11-forwarding-disabled", Outcome::Fail);
        set(&mut new, "password-max-age-default", Outcome::Pass);
        new.results
            .retain(|x| x.id != "sysctl-kernel-sysrq-disabled");
        let mut added = new.results[0].clone();
        added.id = "account-new-rule".into();
        added.outcome = Outcome::Fail;
        new.results.push(added);
        new.summary = summarize(&new.results);
        (old, new)
    }

    fn ids(list: &[Change]) -> Vec<&str> {
        list.iter().map(|c| c.id.as_str()).collect()
    }

    #[test]
    fn classifies_every_change() {
        let (old, new) = later();
        let d = Diff::new(&old, &new);
        assert_eq!(
            ids(&d.new_failures),
            [
                "ssh-empty-passwords-disabled",
                "ssh-x11-forwarding-disabled"
            ]
        );
        assert_eq!(d.new_failures[1].before, Some(Outcome::Waived));
        assert_eq!(ids(&d.fixed), ["file-perm-shadow"]);
        assert_eq!(
            ids(&d.still_failing),
            [
                "account-no-empty-passwords",
                "ssh-root-login-disabled",
                "ssh-max-auth-tries",
                "ssh-banner-configured"
            ]
        );
        assert_eq!(ids(&d.changed), ["password-max-age-default"]);
        assert_eq!(ids(&d.added), ["account-new-rule"]);
        assert_eq!(ids(&d.removed), ["sysctl-kernel-sysrq-disabled"]);
        assert!(d.regressed());
        assert_eq!(
            d.score_change,
            ((new.summary.score - old.summary.score) * 10.0).round() / 10.0
        );
        assert!(d.warnings.is_empty());
    }

    #[test]
    fn identical_reports_do_not_regress() {
        let d = Diff::new(&sample(), &sample());
        assert!(!d.regressed());
        assert_eq!(d.score_change, 0.0);
        assert!(d.still_failing.len() == 6 && d.fixed.is_empty() && d.changed.is_empty());
    }

    #[test]
    fn fixes_alone_do_not_regress() {
        let old = sample();
        let mut new = old.clone();
        set(&mut new, "ssh-root-login-disabled", Outcome::Pass);
        let d = Diff::new(&old, &new);
        assert!(!d.regressed());
        assert!(d.score_change > 0.0);
    }

    #[test]
    fn warns_when_reports_are_not_comparable() {
        let old = sample();
        let mut new = old.clone();
        new.target.hostname = Some("db02".into());
        new.policies[0].version = "0.2.0".into();
        let d = Diff::new(&old, &new);
        assert_eq!(d.warnings.len(), 2, "{:?}", d.warnings);
        assert!(d
            .to_text()
            .contains("warning: the reports are of different hosts (web01 and db02)"));
    }

    #[test]
    fn renders() {
        let (old, new) = later();
        let d = Diff::new(&old, &new);
        insta::assert_snapshot!("diff_text", d.to_text());
        insta::assert_snapshot!("diff_markdown", d.to_markdown());
        let back: Diff = serde_json::from_str(&d.to_json()).unwrap();
        assert_eq!(ids(&back.new_failures), ids(&d.new_failures));
    }
}
