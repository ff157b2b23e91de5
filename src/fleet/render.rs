//! The fleet summary as text: a terminal table, JSON, Markdown, CSV (one
//! row per rule) and a self-contained HTML page.
//!
//! Long lists are cut in the table and Markdown (the worst rules and hosts,
//! the latest drift); JSON, CSV and HTML have everything.

use super::{DriftKind, Fleet};
use crate::engine::Outcome;
use crate::report::html::escape;
use crate::report::printable;
use std::fmt::Write;

/// Rows of each list in the table and Markdown.
const SHOWN: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FleetFormat {
    /// A summary for the terminal: the worst rules, hosts and latest drift.
    Table,
    /// Everything, as versioned JSON (schema/fleet.schema.json).
    Json,
    /// A self-contained page with every rule, host and drift.
    Html,
    /// One row per rule.
    Csv,
    /// A compact summary for CI job summaries and pull-request comments.
    Markdown,
}

impl FleetFormat {
    pub fn render(self, fleet: &Fleet) -> String {
        match self {
            FleetFormat::Table => table(fleet),
            FleetFormat::Json => json(fleet),
            FleetFormat::Html => html(fleet),
            FleetFormat::Csv => csv(fleet),
            FleetFormat::Markdown => markdown(fleet),
        }
    }
}

pub fn json(fleet: &Fleet) -> String {
    let mut s = serde_json::to_string_pretty(fleet)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize the fleet summary: {e}\"}}"));
    s.push('\n');
    s
}

fn headline(fleet: &Fleet) -> String {
    let s = &fleet.summary;
    let mut line = format!(
        "{} host(s), {} report(s), {} file(s) skipped",
        s.hosts, s.reports, s.skipped
    );
    if s.duplicates > 0 {
        let _ = write!(line, ", {} duplicate(s) ignored", s.duplicates);
    }
    if s.conflicts > 0 {
        let _ = write!(line, ", {} reusing another report's scan id", s.conflicts);
    }
    if s.summaries_recomputed > 0 {
        let _ = write!(
            line,
            ", {} with a summary recomputed from the results",
            s.summaries_recomputed
        );
    }
    if let Some(score) = &s.score {
        let _ = write!(
            line,
            "; latest scores: mean {:.1}, median {:.1}, min {:.1}, max {:.1}",
            score.mean, score.median, score.min, score.max
        );
    }
    line
}

fn outcome_counts(fleet: &Fleet) -> String {
    Outcome::ALL
        .iter()
        .map(|o| {
            format!(
                "{} {}",
                fleet.summary.by_outcome.get(o).copied().unwrap_or(0),
                o.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn drift_word(kind: DriftKind) -> &'static str {
    match kind {
        DriftKind::StartedFailing => "started failing",
        DriftKind::StoppedFailing => "stopped failing",
    }
}

fn new_table(header: Vec<&str>) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .force_no_tty()
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(120)
        .set_header(header);
    t
}

pub fn table(fleet: &Fleet) -> String {
    let p = |s: &str| printable(s).into_owned();
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(fleet));
    let _ = writeln!(
        out,
        "results in the latest reports: {}",
        outcome_counts(fleet)
    );
    if !fleet.rules.is_empty() {
        let mut t = new_table(vec!["severity", "rule", "failing hosts", "rate", "waived"]);
        for r in fleet.rules.iter().filter(|r| r.failing > 0).take(SHOWN) {
            t.add_row(vec![
                r.severity.as_str().to_string(),
                format!("{}\n{}", p(&r.id), p(&r.title)),
                format!("{} of {}", r.failing, r.hosts),
                format!("{:.1}%", r.fail_rate * 100.0),
                r.waived.to_string(),
            ]);
        }
        let _ = writeln!(out, "\nMost failed rules, worst severity first:\n{t}");
    }
    if !fleet.hosts.is_empty() {
        let mut t = new_table(vec!["host", "score", "change", "failed", "scanned"]);
        for h in fleet.hosts.iter().take(SHOWN) {
            t.add_row(vec![
                p(&h.hostname),
                format!("{:.1}", h.score),
                h.score_change.map_or(String::new(), |c| format!("{c:+.1}")),
                h.failed.to_string(),
                p(&h.scanned_at),
            ]);
        }
        let _ = writeln!(out, "\nLowest-scoring hosts:\n{t}");
    }
    if !fleet.drift.is_empty() {
        let mut t = new_table(vec!["when", "host", "rule", "change"]);
        for d in fleet.drift.iter().take(SHOWN) {
            t.add_row(vec![
                p(&d.at),
                p(&d.hostname),
                p(&d.rule),
                drift_word(d.change).to_string(),
            ]);
        }
        let _ = writeln!(
            out,
            "\nDrift between each host's two latest reports ({} change(s), latest first):\n{t}",
            fleet.drift.len()
        );
    }
    if fleet.summary.skipped > 0 {
        let _ = writeln!(
            out,
            "\n{} file(s) skipped; see `skipped` in the JSON output.",
            fleet.summary.skipped
        );
    }
    out
}

pub fn markdown(fleet: &Fleet) -> String {
    use crate::report::markdown::cell;
    let mut out = String::new();
    let _ = writeln!(out, "## posture fleet summary\n\n{}.\n", headline(fleet));
    let _ = writeln!(
        out,
        "Results in the latest reports: {}.\n",
        outcome_counts(fleet)
    );
    let failing: Vec<_> = fleet.rules.iter().filter(|r| r.failing > 0).collect();
    if !failing.is_empty() {
        let _ = writeln!(
            out,
            "### Most failed rules\n\n| Severity | Rule | Failing hosts | Rate |\n|---|---|---:|---:|"
        );
        for r in failing.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "| {} | `{}` {} | {} of {} | {:.1}% |",
                r.severity,
                cell(&r.id),
                cell(&r.title),
                r.failing,
                r.hosts,
                r.fail_rate * 100.0
            );
        }
        out.push('\n');
    }
    if !fleet.hosts.is_empty() {
        let _ = writeln!(
            out,
            "### Lowest-scoring hosts\n\n| Host | Score | Change | Failed |\n|---|---:|---:|---:|"
        );
        for h in fleet.hosts.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "| {} | {:.1} | {} | {} |",
                cell(&h.hostname),
                h.score,
                h.score_change.map_or(String::new(), |c| format!("{c:+.1}")),
                h.failed
            );
        }
        out.push('\n');
    }
    if !fleet.drift.is_empty() {
        let _ = writeln!(
            out,
            "### Drift ({} change(s))\n\n| When | Host | Rule | Change |\n|---|---|---|---|",
            fleet.drift.len()
        );
        for d in fleet.drift.iter().take(SHOWN) {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} |",
                cell(&d.at),
                cell(&d.hostname),
                cell(&d.rule),
                drift_word(d.change)
            );
        }
        out.push('\n');
    }
    out
}

pub const CSV_HEADER: [&str; 8] = [
    "rule_id",
    "title",
    "severity",
    "hosts",
    "failing",
    "fail_rate",
    "waived",
    "error",
];

pub fn csv(fleet: &Fleet) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(CSV_HEADER);
    for r in &fleet.rules {
        let _ = w.write_record([
            r.id.as_str(),
            r.title.as_str(),
            r.severity.as_str(),
            &r.hosts.to_string(),
            &r.failing.to_string(),
            &format!("{:.3}", r.fail_rate),
            &r.waived.to_string(),
            &r.error.to_string(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

const HTML_STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1b1f24}\
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #d8dee4;padding:.3rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f5f7}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.92em}\
.critical{color:#8b1a89}.high{color:#b3261e}.medium{color:#8a5300}.low{color:#0b6e8a}.info{color:#57606a}";

pub fn html(fleet: &Fleet) -> String {
    let e = escape;
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">\
<title>posture fleet summary</title><style>{HTML_STYLE}</style></head><body>\n\
<h1>Fleet summary</h1>\n<p>{}.</p>\n<p>Results in the latest reports: {}.</p>\n",
        e(&headline(fleet)),
        e(&outcome_counts(fleet))
    );
    let _ = write!(
        out,
        "<h2>Rules ({})</h2>\n<table id=\"rules\"><thead><tr><th>Severity</th><th>Rule</th><th>Failing hosts</th><th>Rate</th><th>Waived</th><th>Error</th></tr></thead><tbody>\n",
        fleet.rules.len()
    );
    for r in &fleet.rules {
        let _ = writeln!(
            out,
            "<tr><td class=\"{sev}\">{sev}</td><td><code>{}</code> {}</td><td class=\"n\">{} of {}</td><td class=\"n\">{:.1}%</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            e(&r.id),
            e(&r.title),
            r.failing,
            r.hosts,
            r.fail_rate * 100.0,
            r.waived,
            r.error,
            sev = r.severity.as_str()
        );
    }
    let _ = write!(
        out,
        "</tbody></table>\n<h2>Hosts ({})</h2>\n<table id=\"hosts\"><thead><tr><th>Host</th><th>Tags</th><th>Score</th><th>Change</th><th>Failed</th><th>Scanned</th><th>Trend</th></tr></thead><tbody>\n",
        fleet.hosts.len()
    );
    for h in &fleet.hosts {
        let trend = h
            .trend
            .iter()
            .map(|t| format!("{:.1}", t.score))
            .collect::<Vec<_>>()
            .join(" → ");
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{:.1}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            e(&h.hostname),
            e(&h.tags.join(", ")),
            h.score,
            h.score_change.map_or(String::new(), |c| format!("{c:+.1}")),
            h.failed,
            e(&h.scanned_at),
            e(&trend)
        );
    }
    let _ = write!(
        out,
        "</tbody></table>\n<h2>Drift ({})</h2>\n<table id=\"drift\"><thead><tr><th>When</th><th>Since</th><th>Host</th><th>Rule</th><th>Change</th></tr></thead><tbody>\n",
        fleet.drift.len()
    );
    for d in &fleet.drift {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\"><code>{}</code></td><td>{}</td></tr>",
            e(&d.at),
            e(&d.since),
            e(&d.hostname),
            d.severity.as_str(),
            e(&d.rule),
            drift_word(d.change)
        );
    }
    out.push_str("</tbody></table>\n");
    if !fleet.skipped.is_empty() {
        let _ = write!(
            out,
            "<h2>Skipped files ({})</h2>\n<table id=\"skipped\"><thead><tr><th>File</th><th>Reason</th></tr></thead><tbody>\n",
            fleet.summary.skipped
        );
        for s in &fleet.skipped {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                e(&s.file),
                e(&s.reason)
            );
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</body></html>\n");
    out
}
