//! A compact Markdown summary for CI job summaries (`$GITHUB_STEP_SUMMARY`)
//! and pull-request comments: the verdict, counts, then failures worst
//! first. Only the worst failures carry what was found and the fix, clipped;
//! the rest are one line each, folded in `<details>`, so a full baseline
//! scan stays well under the 65,536 characters a GitHub comment may hold.
//! The HTML and JSON reports have everything.

use super::gate::Status;
use super::{Report, RuleReport, WaiverState};
use crate::engine::Outcome;
use crate::policy::Severity;
use std::fmt::Write;

/// Failures listed with evidence and remediation; the rest are folded.
const SHOWN_FAILURES: usize = 10;

/// Evidence and remediation longer than this are clipped.
const MAX_CELL: usize = 300;

pub fn render(report: &Report) -> String {
    let report = &report.printable();
    let mut out = String::new();
    let failed = report.count(Outcome::Fail);
    let host = report.target.hostname.as_deref().unwrap_or("unknown host");
    let mark = match report.verdict.as_ref().map(|v| v.status) {
        Some(Status::Passed) => "✅",
        Some(Status::Failed) => "❌",
        Some(Status::Incomplete) => "⚠️",
        None if failed == 0 => "✅",
        None => "❌",
    };
    let _ = writeln!(
        out,
        "## {mark} posture: {} — score {:.1}/100\n",
        cell(host),
        report.summary.score
    );
    if let Some(v) = &report.verdict {
        let _ = writeln!(out, "**{}**\n", cell(&v.line()));
    }
    let _ = writeln!(
        out,
        "{} from {} ({}), scanned {}.\n",
        count(report.summary.total, "rule"),
        report.policy_names().join(", "),
        report
            .selection
            .profile
            .as_deref()
            .map_or("no profile".to_string(), |p| format!("profile `{p}`")),
        report.scan.started_at
    );

    let _ = write!(out, "| Severity |");
    for o in Outcome::ALL {
        let _ = write!(out, " {} |", o.as_str());
    }
    let _ = writeln!(out, "\n|---|{}", "---:|".repeat(Outcome::ALL.len()));
    for sev in Severity::ALL {
        let Some(row) = report.summary.by_severity.get(&sev) else {
            continue;
        };
        if row.values().sum::<usize>() == 0 {
            continue;
        }
        let _ = write!(out, "| {sev} |");
        for o in Outcome::ALL {
            let _ = write!(out, " {} |", row.get(&o).copied().unwrap_or(0));
        }
        out.push('\n');
    }
    let _ = write!(out, "| **all** |");
    for o in Outcome::ALL {
        let _ = write!(out, " **{}** |", report.count(o));
    }
    out.push_str("\n\n");

    let failures = report.failures();
    if !failures.is_empty() {
        let _ = writeln!(out, "### Failed rules\n");
        failure_table(&mut out, &failures[..failures.len().min(SHOWN_FAILURES)]);
        if failures.len() > SHOWN_FAILURES {
            let _ = writeln!(
                out,
                "<details><summary>{} more failed {}</summary>\n",
                failures.len() - SHOWN_FAILURES,
                if failures.len() - SHOWN_FAILURES == 1 {
                    "rule"
                } else {
                    "rules"
                }
            );
            let _ = writeln!(out, "| Severity | Rule |\n|---|---|");
            for r in &failures[SHOWN_FAILURES..] {
                let _ = writeln!(out, "| {} | `{}` {} |", r.severity, r.id, cell(&r.title));
            }
            let _ = writeln!(out, "\n</details>\n");
        }
    }
    let errors: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{} not checked</summary>\n",
            count(errors.len(), "rule")
        );
        let _ = writeln!(out, "| Rule | Reason |\n|---|---|");
        for r in errors {
            let _ = writeln!(
                out,
                "| `{}` | {} |",
                r.id,
                cell(r.reason.as_deref().unwrap_or(""))
            );
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    let waived: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Waived)
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n",
            count(waived.len(), "waived failure")
        );
        let _ = writeln!(
            out,
            "| Rule | Justification | Approver | Expires |\n|---|---|---|---|"
        );
        for r in waived {
            if let Some(w) = &r.waiver {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    r.id,
                    cell(&w.justification),
                    cell(&w.approver),
                    w.expires.as_deref().unwrap_or("never")
                );
            }
        }
        let _ = writeln!(out, "\n</details>\n");
    }
    let warnings: Vec<_> = report.waiver_warnings().collect();
    if !warnings.is_empty() {
        let _ = writeln!(out, "### Waivers needing attention\n");
        for w in warnings {
            let what = match w.status {
                WaiverState::Expired => {
                    format!("expired {}", w.expires.as_deref().unwrap_or("?"))
                }
                _ => "matches no evaluated rule".into(),
            };
            let _ = writeln!(
                out,
                "- ⚠️ `{}` ({}): {what}",
                cell(&w.rule),
                cell(&w.location)
            );
        }
        out.push('\n');
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(
            out,
            "_{} problem(s) reading the target's files; see `diagnostics` in the JSON report._\n",
            report.diagnostics.len()
        );
    }
    out
}

fn failure_table(out: &mut String, rules: &[&RuleReport]) {
    let _ = writeln!(
        out,
        "| Severity | Rule | Found | Remediation |\n|---|---|---|---|"
    );
    for r in rules {
        let mut found = r.found();
        if let Some(w) = r.waiver.as_ref().filter(|w| w.expired) {
            let _ = write!(
                found,
                " ⚠️ waiver expired {}",
                w.expires.as_deref().unwrap_or("?")
            );
        }
        let _ = writeln!(
            out,
            "| {} | `{}` {} | {} | {} |",
            r.severity,
            r.id,
            cell(&r.title),
            cell(&clip(&found)),
            cell(&clip(&r.remediation))
        );
    }
    out.push('\n');
}

/// Text fit for one table cell: one line, with the pipes that would end the
/// cell and the angle brackets that would open HTML escaped. Other Markdown
/// is left alone: rule texts use backticks for commands on purpose.
pub fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `text`, cut at a word boundary to about `MAX_CELL` characters.
fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_CELL {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_CELL).collect();
    let end = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end())
}

/// `1 rule`, `2 rules`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample()));
    }

    #[test]
    fn lists_failures_worst_first_and_flags_waivers() {
        let md = render(&sample());
        assert!(md.starts_with("## ❌ posture: web01 — score 49.2/100"));
        let critical = md.find("`account-no-empty-passwords`").unwrap();
        let low = md.find("`ssh-banner-configured`").unwrap();
        assert!(critical < low);
        assert!(md.contains("⚠️ waiver expired 2026-09-30"));
        assert!(md.contains(
            "`ntp-*` (tests/fixtures/reports/waivers.yaml:14): matches no evaluated rule"
        ));
        assert!(md.contains("<summary>1 waived failure</summary>"));
    }

    #[test]
    fn long_failure_lists_are_folded() {
        let mut r = sample();
        let failed = r
            .results
            .iter()
            .find(|x| x.outcome == Outcome::Fail)
            .unwrap()
            .clone();
        for i in 0..40 {
            let mut x = failed.clone();
            x.id = format!("extra-{i:02}");
            r.results.push(x);
        }
        r.summary = super::super::summarize(&r.results);
        let md = render(&r);
        assert!(
            md.contains("<details><summary>36 more failed rules</summary>"),
            "{md}"
        );
        // Folded failures are one line each, without evidence.
        assert!(md.contains("| critical | `extra-39` No account has an empty password |"));
        assert_eq!(md.matches("expected not_equals").count(), 10);
    }

    #[test]
    fn long_texts_are_clipped_at_a_word() {
        let long = "word ".repeat(100);
        let c = clip(&long);
        assert!(
            c.ends_with("word…") && c.chars().count() <= MAX_CELL + 1,
            "{c}"
        );
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn cells_stay_on_one_line_and_escape_markup() {
        assert_eq!(cell("a | b\nc `d` <e>"), "a \\| b c `d` &lt;e&gt;");
    }
}
