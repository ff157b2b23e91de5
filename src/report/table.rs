//! The terminal summary: counts by outcome and severity, the score, then the
//! failed rules worst first with what was found and how to fix it.
//!
//! `--quiet` keeps only the verdict line; `--verbose` adds the evidence of
//! failures and every other rule. Colour is the caller's decision (a
//! terminal without `NO_COLOR`), so the text is the same in a pipe.

use super::{Report, RuleReport};
use crate::engine::{summarize, Outcome};
use crate::policy::Severity;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, Color, ContentArrangement, Table};
use std::fmt::Write;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// The verdict line only.
    Quiet,
    #[default]
    Normal,
    /// Also the evidence of failures and every other rule.
    Verbose,
}

#[derive(Debug, Clone)]
pub struct Style {
    /// Wrap to this many columns; `None` does not wrap.
    pub width: Option<u16>,
    pub color: bool,
    pub verbosity: Verbosity,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            width: Some(120),
            color: false,
            verbosity: Verbosity::Normal,
        }
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    let report = &report.printable();
    let mut out = String::new();
    if style.verbosity == Verbosity::Quiet {
        let _ = writeln!(out, "{}", verdict_line(report));
        return out;
    }
    let target = match &report.target.root {
        Some(root) => format!("root filesystem {root}"),
        None => "this host".to_string(),
    };
    let os = report
        .target
        .os
        .pretty_name
        .clone()
        .unwrap_or_else(|| report.target.os.id.clone());
    let _ = writeln!(
        out,
        "posture {} scanned {} ({}, {}) against {} in {} ms",
        report.tool.version,
        target,
        report.target.hostname.as_deref().unwrap_or("unknown host"),
        os,
        report.policy_names().join(", "),
        report.scan.duration_ms,
    );
    out.push('\n');

    let mut counts = new_table(style);
    let mut header = vec![Cell::new("severity")];
    header.extend(Outcome::ALL.iter().map(|o| Cell::new(o.as_str())));
    header.push(Cell::new("total"));
    counts.set_header(header);
    for sev in Severity::ALL {
        let Some(row) = report.summary.by_severity.get(&sev) else {
            continue;
        };
        let total: usize = row.values().sum();
        if total == 0 {
            continue;
        }
        let mut cells = vec![severity_cell(sev, style)];
        cells.extend(
            Outcome::ALL
                .iter()
                .map(|o| count_cell(row.get(o).copied().unwrap_or(0), *o, style)),
        );
        cells.push(num(total));
        counts.add_row(cells);
    }
    let mut cells = vec![Cell::new("all")];
    cells.extend(
        Outcome::ALL
            .iter()
            .map(|o| count_cell(report.count(*o), *o, style)),
    );
    cells.push(num(report.summary.total));
    counts.add_row(cells);
    let _ = writeln!(out, "{counts}");

    let verbose = style.verbosity == Verbosity::Verbose;
    let failures = report.failures();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nFailed rules, worst first:");
        let mut t = new_table(style);
        t.set_header(vec!["severity", "rule", "found", "remediation"]);
        for r in failures {
            let mut found = if verbose {
                summarize(&r.evidence)
            } else {
                r.found()
            };
            if let Some(w) = r.waiver.as_ref().filter(|w| w.expired) {
                let _ = write!(
                    found,
                    "\nwaiver expired {} ({})",
                    w.expires.as_deref().unwrap_or("?"),
                    w.location
                );
            }
            t.add_row(vec![
                severity_cell(r.severity, style),
                Cell::new(format!("{}\n{}", r.id, r.title)),
                Cell::new(found),
                Cell::new(&r.remediation),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let errors = of(report, Outcome::Error);
    if !errors.is_empty() {
        let _ = writeln!(out, "\nRules that could not be checked:");
        let mut t = new_table(style);
        t.set_header(vec!["rule", "reason"]);
        for r in errors {
            t.add_row(vec![
                Cell::new(&r.id),
                Cell::new(r.reason.as_deref().unwrap_or("")),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let waived = of(report, Outcome::Waived);
    if !waived.is_empty() {
        let _ = writeln!(out, "\nWaived failures:");
        let mut t = new_table(style);
        t.set_header(vec!["rule", "justification", "approver", "expires"]);
        for r in waived {
            if let Some(w) = &r.waiver {
                t.add_row(vec![
                    Cell::new(&r.id),
                    Cell::new(&w.justification),
                    Cell::new(&w.approver),
                    Cell::new(w.expires.as_deref().unwrap_or("never")),
                ]);
            }
        }
        let _ = writeln!(out, "{t}");
    }
    if verbose {
        for outcome in [Outcome::Pass, Outcome::NotApplicable] {
            let rules = of(report, outcome);
            if rules.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\nRules with outcome {}:", outcome.as_str());
            let mut t = new_table(style);
            t.set_header(vec!["severity", "rule", "title"]);
            for r in rules {
                t.add_row(vec![
                    severity_cell(r.severity, style),
                    Cell::new(&r.id),
                    Cell::new(
                        r.reason
                            .as_deref()
                            .map_or(r.title.clone(), |reason| format!("{}\n{reason}", r.title)),
                    ),
                ]);
            }
            let _ = writeln!(out, "{t}");
        }
    }
    let warnings: Vec<_> = report.waiver_warnings().collect();
    if !warnings.is_empty() {
        let _ = writeln!(out, "\nWaivers needing attention:");
        for w in warnings {
            let _ = writeln!(
                out,
                "  {}: `{}` {}",
                w.location,
                w.rule,
                match w.status {
                    super::WaiverState::Expired =>
                        format!("expired {}", w.expires.as_deref().unwrap_or("?")),
                    _ => "matches no evaluated rule".to_string(),
                }
            );
        }
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(
            out,
            "\n{} problem(s) reading the target's files; see `diagnostics` in the JSON report.",
            report.diagnostics.len()
        );
    }
    let _ = writeln!(out, "\n{}", verdict_line(report));
    out
}

/// One line: the score, the counts that matter, and the gate's verdict.
fn verdict_line(report: &Report) -> String {
    let mut line = format!(
        "score {:.1}/100: {} failed, {} error, {} waived, {} passed, {} not applicable",
        report.summary.score,
        report.count(Outcome::Fail),
        report.count(Outcome::Error),
        report.count(Outcome::Waived),
        report.count(Outcome::Pass),
        report.count(Outcome::NotApplicable),
    );
    if let Some(verdict) = &report.verdict {
        let _ = write!(line, " — {}", verdict.line());
    }
    line
}

fn of(report: &Report, outcome: Outcome) -> Vec<&RuleReport> {
    report
        .results
        .iter()
        .filter(|r| r.outcome == outcome)
        .collect()
}

fn new_table(style: &Style) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    if style.color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    match style.width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic);
            t.set_width(w);
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    t
}

fn severity_cell(sev: Severity, style: &Style) -> Cell {
    let cell = Cell::new(sev.as_str());
    if !style.color {
        return cell;
    }
    cell.fg(match sev {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    })
}

fn count_cell(n: usize, outcome: Outcome, style: &Style) -> Cell {
    let cell = num(n);
    if !style.color || n == 0 {
        return cell;
    }
    cell.fg(match outcome {
        Outcome::Fail => Color::Red,
        Outcome::Error => Color::Yellow,
        Outcome::Waived => Color::Blue,
        Outcome::Pass => Color::Green,
        Outcome::NotApplicable => Color::Grey,
    })
}

fn num(n: usize) -> Cell {
    Cell::new(n).set_alignment(CellAlignment::Right)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn style(verbosity: Verbosity, color: bool) -> Style {
        Style {
            verbosity,
            color,
            ..Style::default()
        }
    }

    /// The sample, judged by the default gate.
    fn judged() -> Report {
        let mut r = sample();
        r.verdict = Some(crate::report::gate::Gate::default().verdict(&r));
        r
    }

    #[test]
    fn snapshots() {
        let r = judged();
        insta::assert_snapshot!("table_normal", render(&r, &style(Verbosity::Normal, false)));
        insta::assert_snapshot!(
            "table_verbose",
            render(&r, &style(Verbosity::Verbose, false))
        );
    }

    #[test]
    fn quiet_is_one_verdict_line() {
        let out = render(&judged(), &style(Verbosity::Quiet, false));
        assert_eq!(
            out,
            "score 49.2/100: 6 failed, 1 error, 1 waived, 4 passed, 1 not applicable — FAILED: 6 rule(s) failed; 1 rule(s) could not be checked\n"
        );
        let mut r = judged();
        r.results.retain(|x| x.outcome != Outcome::Fail);
        r.summary = crate::report::summarize(&r.results);
        r.verdict = Some(crate::report::gate::Gate::default().verdict(&r));
        assert!(render(&r, &style(Verbosity::Quiet, false))
            .ends_with("0 failed, 1 error, 1 waived, 4 passed, 1 not applicable — INCOMPLETE: 1 rule(s) could not be checked\n"));
    }

    #[test]
    fn colour_only_when_asked() {
        let r = sample();
        assert!(!render(&r, &style(Verbosity::Normal, false)).contains('\u{1b}'));
        assert!(render(&r, &style(Verbosity::Normal, true)).contains('\u{1b}'));
    }

    #[test]
    fn verbose_adds_passed_and_not_applicable_rules() {
        let r = sample();
        let normal = render(&r, &style(Verbosity::Normal, false));
        let verbose = render(&r, &style(Verbosity::Verbose, false));
        assert!(!normal.contains("account-root-only-uid-0"));
        assert!(verbose.contains("Rules with outcome pass:"));
        assert!(verbose.contains("account-root-only-uid-0"));
        assert!(verbose.contains("audit-log-storage-size"));
    }

    #[test]
    fn waivers_and_their_warnings_are_shown() {
        let out = render(&sample(), &Style::default());
        assert!(out.contains("Waived failures:"));
        assert!(out.contains("OPS-1432"));
        assert!(out.contains("waiver expired 2026-09-30"));
        assert!(out.contains("`ntp-*` matches no evaluated rule"));
        // Without a gate, no verdict word.
        assert!(out.trim_end().ends_with("1 not applicable"));
    }
}
