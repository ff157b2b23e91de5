//! One rule's full story, for `posture explain`, `posture rules show` and
//! `posture scan --verbose`: title, outcome, the evidence with file:line,
//! description, rationale, the check as written in the policy, references,
//! and the remediation.
//!
//! Nothing here is wrapped or framed: long lines are left to the terminal,
//! and the remediation is printed last, byte for byte as the policy wrote
//! it, so its commands can be copied and pasted as they are.

use super::{RuleReport, WaiverRef};
use crate::engine::{human, Evidence, Outcome};
use crate::policy::source::RuleText;
use std::fmt::Write;

/// Whether the rule was evaluated: `rules show` has no outcome to tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The rule's result on a target: outcome, reason, evidence, waiver.
    Result,
    /// The rule alone, as the policy defines it.
    Definition,
}

/// The story of `rule`; `text` adds its check as written. `rule` must come
/// from a [`super::Report::printable`] report (or a policy): this prints its
/// strings as they are.
pub fn render(rule: &RuleReport, mode: Mode, text: Option<&RuleText>) -> String {
    let mut out = String::new();
    match mode {
        Mode::Result => {
            let _ = writeln!(
                out,
                "{} ({}): {}",
                rule.id,
                rule.severity,
                rule.outcome.as_str().to_uppercase()
            );
        }
        Mode::Definition => {
            let _ = writeln!(out, "{} ({})", rule.id, rule.severity);
        }
    }
    let _ = writeln!(out, "{}", rule.title);
    if mode == Mode::Result {
        if let Some(reason) = &rule.reason {
            let why = match rule.outcome {
                Outcome::Error => "Could not be checked",
                _ => "Not applicable",
            };
            let _ = writeln!(out, "\n{why}: {reason}");
        }
        if let Some(w) = &rule.waiver {
            let _ = writeln!(out, "\n{}", waiver_line(w));
        }
        if !rule.evidence.is_empty() {
            let _ = writeln!(out, "\nEvidence:");
            for e in &rule.evidence {
                evidence(&mut out, e);
            }
        }
    }
    for (label, body) in [
        ("What it checks", &rule.description),
        ("Rationale", &rule.rationale),
    ] {
        if !body.trim().is_empty() {
            let _ = writeln!(out, "\n{label}:\n{}", body.trim_end());
        }
    }
    if let Some(t) = text {
        let _ = writeln!(out, "\nCheck, as written in {}:", t.location);
        match (&t.applies_if, &t.check) {
            (None, None) => {
                let _ = writeln!(out, "(the policy file cannot be read any more)");
            }
            (applies_if, check) => {
                for part in [applies_if, check].into_iter().flatten() {
                    out.push_str(&super::printable(part));
                }
            }
        }
    }
    if !rule.references.is_empty() {
        let _ = writeln!(out, "\nReferences:");
        for (framework, ids) in &rule.references {
            let _ = writeln!(out, "  {framework}: {}", ids.join(", "));
        }
    }
    out.push('\n');
    if !rule.profiles.is_empty() {
        let _ = writeln!(out, "Profiles: {}", rule.profiles.join(", "));
    }
    let _ = writeln!(out, "Policy: {} (section {})", rule.policy, rule.section);
    if !rule.remediation.trim().is_empty() {
        let _ = writeln!(out, "\nRemediation:");
        out.push_str(&rule.remediation);
        if !rule.remediation.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// What one check saw: what it required, each value found with where it
/// was read, and its note.
fn evidence(out: &mut String, e: &Evidence) {
    let _ = writeln!(out, "  {}: {}", e.outcome.as_str(), e.subject);
    let _ = writeln!(out, "    expected {}", e.expected);
    if e.observed.is_empty() {
        let _ = writeln!(out, "    found nothing");
    }
    for o in &e.observed {
        let mut line = format!("    found {}", human::value(&o.value));
        if let Some(s) = &o.source {
            let _ = write!(line, " at {s}");
        }
        if let Some(n) = &o.note {
            let _ = write!(line, " ({n})");
        }
        let _ = writeln!(out, "{line}");
    }
    let unlisted = e.observed_count.saturating_sub(e.observed.len());
    if unlisted > 0 {
        let _ = writeln!(out, "    and {unlisted} more not listed");
    }
    if let Some(n) = &e.note {
        let _ = writeln!(out, "    note: {n}");
    }
}

fn waiver_line(w: &WaiverRef) -> String {
    let until = match &w.expires {
        Some(d) if w.expired => format!("expired {d}, so the failure counts"),
        Some(d) => format!("until {d}"),
        None => "without expiry".to_string(),
    };
    format!(
        "Waiver at {}, approved by {}, {until}:\n{}",
        w.location, w.approver, w.justification
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn rule(id: &str) -> RuleReport {
        sample()
            .printable()
            .results
            .into_iter()
            .find(|r| r.id == id)
            .unwrap()
    }

    #[test]
    fn remediation_is_last_and_byte_for_byte() {
        let r = rule("ssh-max-auth-tries");
        let out = render(&r, Mode::Result, None);
        let remediation = r.remediation.trim_end_matches('\n');
        assert!(
            out.ends_with(&format!("\nRemediation:\n{remediation}\n")),
            "{out}"
        );
    }

    #[test]
    fn a_definition_has_no_outcome_or_evidence() {
        let r = rule("ssh-max-auth-tries");
        let out = render(&r, Mode::Definition, None);
        assert!(out.starts_with("ssh-max-auth-tries (medium)\n"), "{out}");
        assert!(!out.contains("Evidence:") && !out.contains("FAIL"));
    }

    #[test]
    fn the_check_is_shown_as_written() {
        let text = RuleText {
            location: "p.yaml:3".into(),
            applies_if: Some("applies_if:\n  package: x\n".into()),
            check: Some("check:\n  sshd: MaxAuthTries\n  le: 4\n".into()),
        };
        let out = render(&rule("ssh-max-auth-tries"), Mode::Result, Some(&text));
        assert!(out.contains(
            "\nCheck, as written in p.yaml:3:\napplies_if:\n  package: x\ncheck:\n  sshd: MaxAuthTries\n  le: 4\n"
        ));
    }
}
