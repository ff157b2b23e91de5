//! The terminal summary: counts by outcome and severity, the score, then the
//! failed rules worst first with what was found and how to fix it.

use super::Report;
use crate::engine::{summarize, Outcome};
use crate::policy::Severity;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use std::fmt::Write;

pub fn render(report: &Report, width: Option<u16>) -> String {
    let mut out = String::new();
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
        report
            .policies
            .iter()
            .map(|p| format!("{} {}", p.id, p.version))
            .collect::<Vec<_>>()
            .join(", "),
        report.scan.duration_ms,
    );
    out.push('\n');

    let mut counts = new_table(width);
    let mut header = vec![Cell::new("severity")];
    header.extend(Outcome::ALL.iter().map(|o| Cell::new(o.as_str())));
    header.push(Cell::new("total"));
    counts.set_header(header);
    for sev in Severity::ALL {
        let row = &report.summary.by_severity[&sev];
        let total: usize = row.values().sum();
        if total == 0 {
            continue;
        }
        let mut cells = vec![Cell::new(sev.as_str())];
        cells.extend(Outcome::ALL.iter().map(|o| num(row[o])));
        cells.push(num(total));
        counts.add_row(cells);
    }
    let mut cells = vec![Cell::new("all")];
    cells.extend(Outcome::ALL.iter().map(|o| num(report.count(*o))));
    cells.push(num(report.summary.total));
    counts.add_row(cells);
    let _ = writeln!(out, "{counts}");
    let _ = writeln!(out, "score: {:.1} / 100", report.summary.score);

    let failures = report.failures();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nFailed rules, worst first:");
        let mut t = new_table(width);
        t.set_header(vec!["severity", "rule", "found", "remediation"]);
        for r in failures {
            let found = summarize(
                &r.evidence
                    .iter()
                    .filter(|e| e.outcome == Outcome::Fail)
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            t.add_row(vec![
                Cell::new(r.severity.as_str()),
                Cell::new(format!("{}\n{}", r.id, r.title)),
                Cell::new(found),
                Cell::new(&r.remediation),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let errors: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Error)
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "\nRules that could not be checked:");
        let mut t = new_table(width);
        t.set_header(vec!["rule", "reason"]);
        for r in errors {
            t.add_row(vec![
                Cell::new(&r.id),
                Cell::new(r.reason.as_deref().unwrap_or("")),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(
            out,
            "\n{} problem(s) reading the target's files; see `diagnostics` in the JSON report.",
            report.diagnostics.len()
        );
    }
    out
}

fn new_table(width: Option<u16>) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    match width {
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

fn num(n: usize) -> Cell {
    Cell::new(n).set_alignment(CellAlignment::Right)
}
