//! A self-contained HTML page for people who do not read JSON: a security
//! manager opens it from a mail or a file share and sees the score, the
//! counts and the waivers that need attention; a technician expands a rule
//! to see what was found, where, and how to fix it.
//!
//! Decisions:
//! - One file that loads nothing: CSS and script are inline, the charts are
//!   SVG drawn here, fonts are the system's, and a Content-Security-Policy
//!   forbids every fetch. The page looks the same offline, in a mail
//!   client's viewer, or years later, and opening it tells no one.
//! - No links at all, not even to framework references: nothing on the
//!   page makes a request when clicked.
//! - Every row is rendered here. The script only filters and sorts rows
//!   already on the page, so with scripts off nothing is missing; the
//!   controls start hidden then, since they would do nothing.
//! - Rows start failures first, worst severity first: the order to fix them.
//! - Every piece of report text is escaped: evidence holds values read from
//!   the target's files, which whoever controls that host can write.

use super::{Report, RuleReport, WaiverRef, WaiverState, WaiverStatus};
use crate::engine::{Evidence, Outcome};
use crate::policy::Severity;
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(32 * 1024 + report.results.len() * 4096);
    let host = report.target.hostname.as_deref().unwrap_or("unknown host");
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light\">\n\
         <meta name=\"generator\" content=\"{} {}\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>{} posture report: score {:.1}/100</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&report.tool.name),
        escape(&report.tool.version),
        escape(host),
        report.summary.score,
    );
    header(&mut out, report, host);
    out.push_str("<main>\n");
    summary(&mut out, report);
    waivers(&mut out, report);
    results(&mut out, report);
    diagnostics(&mut out, report);
    out.push_str("</main>\n");
    let _ = write!(
        out,
        "<footer>\n<p>Written by {} {} from scan <code>{}</code>. This page loads nothing from the network; \
         filtering and sorting need JavaScript, everything else is here without it.</p>\n</footer>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(&report.tool.name),
        escape(&report.tool.version),
        escape(&report.scan.id),
    );
    out
}

/// Forbids every fetch: the page must be provably offline.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                   img-src data:; base-uri 'none'; form-action 'none'";

/// Text made safe for HTML content and for quoted attribute values.
/// Control characters other than white space are replaced: they are parse
/// errors and would be invisible anyway.
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&#39;"),
            '\n' | '\t' | '\r' => s.push(c),
            c if c.is_control() => s.push('\u{FFFD}'),
            c => s.push(c),
        }
    }
    s
}

fn outcome_label(o: Outcome) -> &'static str {
    match o {
        Outcome::NotApplicable => "not applicable",
        other => other.as_str(),
    }
}

/// Bar fill and the text colour readable on it (contrast at least 4.5:1).
fn outcome_colours(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Fail => ("#c62828", "#ffffff"),
        Outcome::Error => ("#f0a030", "#1c2430"),
        Outcome::Waived => ("#a898d8", "#1c2430"),
        Outcome::Pass => ("#2e7d32", "#ffffff"),
        Outcome::NotApplicable => ("#c5ccd3", "#1c2430"),
    }
}

/// Severity rank for sorting: higher is worse, so the column sorts
/// descending (worst first) on its first click.
fn severity_rank(s: Severity) -> usize {
    Severity::ALL.len() - 1 - Severity::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

fn outcome_rank(o: Outcome) -> usize {
    Outcome::ALL
        .iter()
        .position(|x| *x == o)
        .unwrap_or(Outcome::ALL.len())
}

/// `2026-11-23T09:30:45.123Z` as `2026-11-23 09:30:45 UTC`; anything else
/// as given.
fn human_time(t: &str) -> String {
    match (t.get(..10), t.get(10..11), t.get(11..19)) {
        (Some(date), Some("T"), Some(time)) if t.ends_with('Z') => format!("{date} {time} UTC"),
        _ => t.to_string(),
    }
}

fn header(out: &mut String, report: &Report, host: &str) {
    let t = &report.target;
    let _ = writeln!(
        out,
        "<header>\n<h1>Security posture of {}</h1>\n<dl class=\"meta\">",
        escape(host)
    );
    meta(out, "Host", &escape(host));
    let os = &t.os;
    let mut os_text = match (&os.pretty_name, &os.version_id) {
        (Some(p), _) => escape(p),
        (None, Some(v)) => format!("{} {}", escape(&os.id), escape(v)),
        (None, None) => escape(&os.id),
    };
    if let Some(k) = &os.kernel {
        let _ = write!(os_text, ", kernel {}", escape(k));
    }
    if let Some(a) = &os.arch {
        let _ = write!(os_text, " ({})", escape(a));
    }
    meta(out, "Operating system", &os_text);
    let target = match &t.root {
        Some(root) => format!("root filesystem <code>{}</code>", escape(root)),
        None => "this host (live scan)".to_string(),
    };
    meta(out, "Target", &target);
    let tags = if t.tags.is_empty() {
        "none".to_string()
    } else {
        t.tags
            .iter()
            .map(|tag| format!("<span class=\"tag\">{}</span>", escape(tag)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    meta(out, "Tags", &tags);
    meta(
        out,
        "Scanned",
        &format!(
            "<time datetime=\"{}\">{}</time>, in {} ms",
            escape(&report.scan.started_at),
            escape(&human_time(&report.scan.started_at)),
            report.scan.duration_ms
        ),
    );
    let policies = if report.policies.is_empty() {
        "none".to_string()
    } else {
        report
            .policies
            .iter()
            .map(|p| {
                format!(
                    "{} <span class=\"muted\">({} version {})</span>",
                    escape(&p.title),
                    escape(&p.id),
                    escape(&p.version)
                )
            })
            .collect::<Vec<_>>()
            .join("<br>")
    };
    meta(out, "Policies", &policies);
    let sel = &report.selection;
    let mut profile = match &sel.profile {
        Some(p) => escape(p),
        None if !sel.rules.is_empty() => format!("none; {} rules chosen by id", sel.rules.len()),
        None => "none".to_string(),
    };
    if !sel.skipped_rules.is_empty() {
        let _ = write!(profile, "; {} rules skipped", sel.skipped_rules.len());
    }
    meta(out, "Profile", &profile);
    meta(
        out,
        "Scanner",
        &format!(
            "{} {}",
            escape(&report.tool.name),
            escape(&report.tool.version)
        ),
    );
    meta(
        out,
        "Scan id",
        &format!("<code>{}</code>", escape(&report.scan.id)),
    );
    out.push_str("</dl>\n</header>\n");
}

/// One term of the header; `html` is already escaped.
fn meta(out: &mut String, term: &str, html: &str) {
    let _ = writeln!(out, "<div><dt>{term}</dt><dd>{html}</dd></div>");
}

fn summary(out: &mut String, report: &Report) {
    let s = &report.summary;
    let band = if s.score >= 90.0 {
        "good"
    } else if s.score >= 70.0 {
        "fair"
    } else {
        "poor"
    };
    let _ = writeln!(
        out,
        "<section id=\"summary\" aria-labelledby=\"h-summary\">\n<h2 id=\"h-summary\">Summary</h2>\n\
         <div class=\"summary\">\n<div class=\"score band-{band}\">\n\
         <div class=\"score-label\">Score</div>\n\
         <div class=\"score-value\" id=\"score\">{score:.1}<small>/100</small></div>\n\
         <meter min=\"0\" max=\"100\" low=\"70\" high=\"90\" optimum=\"100\" value=\"{score:.1}\">{score:.1} out of 100</meter>\n\
         <p class=\"note\">The severity-weighted share of judged rules that passed. \
         Errors count as not passed; waived and not-applicable rules do not count.</p>\n</div>",
        score = s.score
    );
    if let Some(v) = &report.verdict {
        let _ = writeln!(
            out,
            "<p id=\"verdict\" class=\"verdict v-{}\"><strong>{}</strong>{}</p>",
            v.status.word().to_ascii_lowercase(),
            v.status.word(),
            if v.reasons.is_empty() {
                String::new()
            } else {
                format!(": {}", escape(&v.reasons.join("; ")))
            }
        );
    }
    out.push_str("<ul class=\"counts\">\n");
    for o in Outcome::ALL {
        let _ = writeln!(
            out,
            "<li id=\"count-{k}\" class=\"count o-{k}\"><span class=\"n\">{n}</span> <span class=\"label\">{label}</span></li>",
            k = o.as_str(),
            n = report.count(o),
            label = outcome_label(o),
        );
    }
    let _ = writeln!(
        out,
        "<li id=\"count-total\" class=\"count\"><span class=\"n\">{}</span> <span class=\"label\">rules evaluated</span></li>\n</ul>\n</div>",
        s.total
    );

    out.push_str("<div class=\"charts\">\n");
    let by_severity: Vec<(String, BTreeMap<Outcome, usize>)> = Severity::ALL
        .iter()
        .map(|sev| {
            (
                sev.as_str().to_string(),
                s.by_severity.get(sev).cloned().unwrap_or_default(),
            )
        })
        .collect();
    chart(out, "severity", "Results by severity", &by_severity);
    let mut sections: BTreeMap<&str, BTreeMap<Outcome, usize>> = BTreeMap::new();
    for r in &report.results {
        let name = if r.section.is_empty() {
            "(none)"
        } else {
            r.section.as_str()
        };
        *sections
            .entry(name)
            .or_default()
            .entry(r.outcome)
            .or_default() += 1;
    }
    let by_section: Vec<(String, BTreeMap<Outcome, usize>)> = sections
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    chart(out, "section", "Results by section", &by_section);
    out.push_str("</div>\n<ul class=\"legend\" aria-label=\"Chart colours\">\n");
    for o in Outcome::ALL {
        let (fill, _) = outcome_colours(o);
        let _ = writeln!(
            out,
            "<li><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" rx=\"2\" fill=\"{fill}\"/></svg>{}</li>",
            outcome_label(o)
        );
    }
    out.push_str("</ul>\n</section>\n");
}

const CHART_WIDTH: f64 = 440.0;
const LABEL_WIDTH: f64 = 120.0;
const TOTAL_WIDTH: f64 = 40.0;
const ROW_HEIGHT: f64 = 26.0;
const BAR_HEIGHT: f64 = 18.0;
/// Longer labels are cut, with the full name in the row's tooltip.
const LABEL_CHARS: usize = 16;

/// A horizontal stacked bar chart: one bar per label, one segment per
/// outcome, scaled to the longest bar. The same numbers are in the SVG's
/// `<desc>` for screen readers and in each row's tooltip.
fn chart(out: &mut String, id: &str, title: &str, rows: &[(String, BTreeMap<Outcome, usize>)]) {
    let max = rows
        .iter()
        .map(|(_, c)| c.values().sum::<usize>())
        .max()
        .unwrap_or(0);
    let height = if max == 0 {
        ROW_HEIGHT + 8.0
    } else {
        ROW_HEIGHT * rows.len() as f64 + 8.0
    };
    let describe = |label: &str, counts: &BTreeMap<Outcome, usize>| {
        let parts: Vec<String> = Outcome::ALL
            .iter()
            .filter_map(|o| {
                let n = counts.get(o).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {}", outcome_label(*o)))
            })
            .collect();
        if parts.is_empty() {
            format!("{label}: none")
        } else {
            format!("{label}: {}", parts.join(", "))
        }
    };
    let desc = if max == 0 {
        "No rules were evaluated.".to_string()
    } else {
        rows.iter()
            .map(|(l, c)| describe(l, c))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let _ = writeln!(
        out,
        "<figure>\n<figcaption id=\"chart-{id}-caption\">{title}</figcaption>\n\
         <svg id=\"chart-{id}\" class=\"chart\" viewBox=\"0 0 {CHART_WIDTH} {height}\" width=\"{CHART_WIDTH}\" height=\"{height}\" \
         role=\"img\" aria-labelledby=\"chart-{id}-title chart-{id}-desc\">\n\
         <title id=\"chart-{id}-title\">{title}</title>\n<desc id=\"chart-{id}-desc\">{}</desc>",
        escape(&desc)
    );
    if max == 0 {
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{}\">No rules were evaluated.</text>",
            ROW_HEIGHT / 2.0 + 4.0
        );
    }
    let area = CHART_WIDTH - LABEL_WIDTH - TOTAL_WIDTH;
    for (i, (label, counts)) in rows.iter().enumerate().filter(|_| max > 0) {
        let y = 4.0 + ROW_HEIGHT * i as f64;
        let mid = y + ROW_HEIGHT / 2.0;
        let shown = if label.chars().count() > LABEL_CHARS {
            let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
            format!("{cut}…")
        } else {
            label.clone()
        };
        let _ = writeln!(
            out,
            "<g class=\"row\"><title>{}</title>\n<text x=\"{}\" y=\"{mid}\" dy=\"0.35em\" text-anchor=\"end\">{}</text>",
            escape(&describe(label, counts)),
            LABEL_WIDTH - 8.0,
            escape(&shown)
        );
        let mut x = LABEL_WIDTH;
        let bar_y = mid - BAR_HEIGHT / 2.0;
        for o in Outcome::ALL {
            let n = counts.get(&o).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let w = area * n as f64 / max as f64;
            let (fill, ink) = outcome_colours(o);
            let _ = writeln!(
                out,
                "<rect x=\"{x:.1}\" y=\"{bar_y:.1}\" width=\"{w:.1}\" height=\"{BAR_HEIGHT}\" fill=\"{fill}\" data-outcome=\"{}\"/>",
                o.as_str()
            );
            // A count only where it fits; the tooltip and <desc> have them all.
            if w >= 8.0 + 7.0 * n.to_string().len() as f64 {
                let _ = writeln!(
                    out,
                    "<text x=\"{:.1}\" y=\"{mid}\" dy=\"0.35em\" text-anchor=\"middle\" fill=\"{ink}\" class=\"seg\">{n}</text>",
                    x + w / 2.0
                );
            }
            x += w;
        }
        let total: usize = counts.values().sum();
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{mid}\" dy=\"0.35em\" class=\"total\">{total}</text></g>",
            x + 6.0
        );
    }
    out.push_str("</svg>\n</figure>\n");
}

fn waiver_state_label(s: WaiverState) -> &'static str {
    match s {
        WaiverState::Applied => "applied",
        WaiverState::NotNeeded => "not needed",
        WaiverState::Expired => "expired",
        WaiverState::OutOfScope => "out of scope",
        WaiverState::Unmatched => "unmatched",
    }
}

/// The rules a waiver matched, with how many the list leaves out.
fn rule_list(w: &WaiverStatus) -> String {
    let mut list = w
        .rules
        .iter()
        .map(|r| format!("<code>{}</code>", escape(r)))
        .collect::<Vec<_>>()
        .join(", ");
    if w.rules_not_listed() > 0 {
        let _ = write!(list, " and {} more", w.rules_not_listed());
    }
    list
}

fn waivers(out: &mut String, report: &Report) {
    out.push_str(
        "<section id=\"waivers\" aria-labelledby=\"h-waivers\">\n<h2 id=\"h-waivers\">Waivers</h2>\n",
    );
    let mut attention: Vec<String> = Vec::new();
    for w in report.waiver_warnings() {
        let what = match w.status {
            WaiverState::Expired => {
                let rules = if w.rules.is_empty() {
                    String::new()
                } else {
                    format!("; what it covered counts again: {}", rule_list(w))
                };
                format!(
                    "<strong>Expired</strong> on {}{rules}",
                    escape(w.expires.as_deref().unwrap_or("an unknown date"))
                )
            }
            _ => "<strong>Unmatched</strong>: it names no rule evaluated in this scan; correct or remove it".to_string(),
        };
        attention.push(format!(
            "<li class=\"waiver-warning\" data-status=\"{}\"><span class=\"badge w-{}\">{}</span> <code>{}</code> \
             ({}, approved by {}): {what}.</li>",
            w.status.as_str(),
            w.status.as_str(),
            waiver_state_label(w.status),
            escape(&w.rule),
            escape(&w.location),
            escape(&w.approver),
        ));
    }
    // A rule can carry an expired waiver the waivers list does not explain
    // (a report edited by hand, or written before the list existed).
    for r in report.expired_waivers() {
        let listed = report
            .waiver_warnings()
            .any(|w| w.status == WaiverState::Expired && w.rules.contains(&r.id));
        if let (false, Some(w)) = (listed, &r.waiver) {
            attention.push(format!(
                "<li class=\"waiver-warning\" data-status=\"expired\"><span class=\"badge w-expired\">expired</span> \
                 <code>{}</code> ({}, approved by {}): <strong>Expired</strong> on {}; the failure counts again.</li>",
                escape(&r.id),
                escape(&w.location),
                escape(&w.approver),
                escape(w.expires.as_deref().unwrap_or("an unknown date")),
            ));
        }
    }
    if !attention.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"attention\" id=\"waiver-warnings\">\n<h3>⚠ {} waiver{} need{} attention</h3>\n<ul>\n{}\n</ul>\n</div>",
            attention.len(),
            if attention.len() == 1 { "" } else { "s" },
            if attention.len() == 1 { "s" } else { "" },
            attention.join("\n")
        );
    }
    if report.waivers.is_empty() {
        out.push_str("<p>No waivers file was read for this scan.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<div class=\"scroll\">\n<table class=\"waivers\" id=\"waiver-list\">\n<thead><tr><th scope=\"col\">Waiver</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Rules it matched</th><th scope=\"col\">Justification</th>\
         <th scope=\"col\">Approver</th><th scope=\"col\">Expires</th><th scope=\"col\">Defined at</th></tr></thead>\n<tbody>\n",
    );
    for w in &report.waivers {
        let rules = if w.rules.is_empty() {
            "none".to_string()
        } else {
            rule_list(w)
        };
        let _ = writeln!(
            out,
            "<tr class=\"waiver{}\" data-status=\"{}\"><td><code>{}</code></td><td><span class=\"badge w-{}\">{}</span></td>\
             <td>{rules}</td><td>{}</td><td>{}</td><td class=\"date\">{}</td><td><code>{}</code></td></tr>",
            if w.status.is_warning() { " warn" } else { "" },
            w.status.as_str(),
            escape(&w.rule),
            w.status.as_str(),
            waiver_state_label(w.status),
            escape(&w.justification),
            escape(&w.approver),
            escape(w.expires.as_deref().unwrap_or("never")),
            escape(&w.location),
        );
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
}

fn results(out: &mut String, report: &Report) {
    let total = report.results.len();
    let _ = writeln!(
        out,
        "<section id=\"rules\" aria-labelledby=\"h-results\">\n<h2 id=\"h-results\">Results</h2>\n\
         <div id=\"controls\" class=\"controls\" hidden>\n\
         <label>Filter<input id=\"filter\" type=\"search\" placeholder=\"rule id, title or section\" autocomplete=\"off\" spellcheck=\"false\"></label>"
    );
    out.push_str("<label>Outcome<select id=\"filter-outcome\">\n<option value=\"\">all</option>\n");
    for o in Outcome::ALL {
        let _ = writeln!(
            out,
            "<option value=\"{}\">{} ({})</option>",
            o.as_str(),
            outcome_label(o),
            report.count(o)
        );
    }
    out.push_str(
        "</select></label>\n<label>Severity<select id=\"filter-severity\">\n<option value=\"\">all</option>\n",
    );
    for s in Severity::ALL {
        let n = report.results.iter().filter(|r| r.severity == s).count();
        let _ = writeln!(out, "<option value=\"{s}\">{s} ({n})</option>");
    }
    let _ = writeln!(
        out,
        "</select></label>\n<button type=\"button\" id=\"expand-all\" aria-pressed=\"false\">Expand all</button>\n</div>\n\
         <p class=\"shown\">Showing <span id=\"shown-count\">{total}</span> of {total} rules; \
         failures first, worst severity first. Select a rule for its evidence and remediation.</p>"
    );
    let mut rows: Vec<&RuleReport> = report.results.iter().collect();
    rows.sort_by(|a, b| {
        outcome_rank(a.outcome)
            .cmp(&outcome_rank(b.outcome))
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.id.cmp(&b.id))
    });
    out.push_str(
        "<table id=\"results\">\n<thead><tr><th scope=\"col\" class=\"sev\" data-sort=\"severity\" data-sort-first=\"descending\">Severity</th>\
         <th scope=\"col\" data-sort=\"id\">Rule</th><th scope=\"col\" class=\"section\" data-sort=\"section\">Section</th>\
         <th scope=\"col\" class=\"outcome\" data-sort=\"outcome\">Outcome</th></tr></thead>\n<tbody>\n",
    );
    for r in rows {
        row(out, r);
    }
    out.push_str("</tbody>\n</table>\n");
    if total == 0 {
        out.push_str("<p>No rules were evaluated.</p>\n");
    }
    out.push_str("<p id=\"no-match\" hidden>No rule matches these filters.</p>\n</section>\n");
}

fn row(out: &mut String, r: &RuleReport) {
    let o = r.outcome.as_str();
    let expired = r.waiver.as_ref().filter(|w| w.expired);
    let _ = write!(
        out,
        "<tr class=\"result o-{o}\" data-id=\"{id}\" data-outcome=\"{o}\" data-severity=\"{sev}\" data-section=\"{section}\" \
         data-severity-rank=\"{sr}\" data-outcome-rank=\"{or}\">\n\
         <td class=\"sev\"><span class=\"sev sev-{sev}\">{sev}</span></td>\n\
         <td class=\"rule\"><details><summary><code class=\"rule-id\">{id}</code> <span class=\"title\">{title}</span></summary>\n\
         <div class=\"detail\">\n",
        id = escape(&r.id),
        sev = r.severity.as_str(),
        section = escape(&r.section),
        sr = severity_rank(r.severity),
        or = outcome_rank(r.outcome),
        title = escape(&r.title),
    );
    if let Some(w) = &r.waiver {
        waiver_box(out, w);
    }
    detail_text(out, "Description", &r.description);
    detail_text(out, "Rationale", &r.rationale);
    if let Some(reason) = &r.reason {
        let _ = writeln!(
            out,
            "<h4>Why {}</h4>\n<p class=\"reason\">{}</p>",
            outcome_label(r.outcome),
            escape(reason)
        );
    }
    out.push_str("<h4>Evidence</h4>\n");
    if r.evidence.is_empty() {
        out.push_str("<p class=\"muted\">No evidence recorded.</p>\n");
    } else {
        out.push_str("<ol class=\"evidence\">\n");
        for e in &r.evidence {
            evidence(out, e);
        }
        out.push_str("</ol>\n");
    }
    if !r.remediation.trim().is_empty() {
        let _ = writeln!(
            out,
            "<h4>Remediation</h4>\n<pre>{}</pre>",
            escape(r.remediation.trim_end())
        );
    }
    if !r.references.is_empty() {
        out.push_str("<h4>References</h4>\n<dl class=\"refs\">\n");
        for (framework, ids) in &r.references {
            let _ = writeln!(
                out,
                "<div><dt>{}</dt><dd>{}</dd></div>",
                escape(framework),
                escape(&ids.join(", "))
            );
        }
        out.push_str("</dl>\n");
    }
    let _ = writeln!(
        out,
        "<p class=\"small\"><strong>Profiles:</strong> {} · <strong>Policy:</strong> {} · <strong>Checked in</strong> {} µs</p>",
        if r.profiles.is_empty() {
            "none".to_string()
        } else {
            escape(&r.profiles.join(", "))
        },
        escape(&r.policy),
        r.duration_us
    );
    let _ = write!(
        out,
        "</div>\n</details></td>\n<td class=\"section\">{}</td>\n<td class=\"outcome\"><span class=\"badge o-{o}\">{}</span>",
        escape(&r.section),
        outcome_label(r.outcome)
    );
    match (&r.waiver, expired) {
        (Some(w), Some(_)) => {
            let _ = write!(
                out,
                " <span class=\"badge flag\">⚠ waiver expired {}</span>",
                escape(w.expires.as_deref().unwrap_or(""))
            );
        }
        (Some(w), None) if r.outcome == Outcome::Waived => {
            let until = match &w.expires {
                Some(date) => format!("until {}", escape(date)),
                None => "no expiry".to_string(),
            };
            let _ = write!(out, " <span class=\"until\">{until}</span>");
        }
        _ => {}
    }
    out.push_str("</td>\n</tr>\n");
}

fn detail_text(out: &mut String, heading: &str, text: &str) {
    if !text.trim().is_empty() {
        let _ = writeln!(out, "<h4>{heading}</h4>\n<p>{}</p>", escape(text.trim()));
    }
}

fn waiver_box(out: &mut String, w: &WaiverRef) {
    let head = if w.expired {
        format!(
            "<strong>⚠ Waiver expired on {}</strong>: it no longer applies, so this failure counts.",
            escape(w.expires.as_deref().unwrap_or("an unknown date"))
        )
    } else {
        "<strong>Waived</strong>: the failure is an accepted risk.".to_string()
    };
    let _ = writeln!(
        out,
        "<div class=\"waiver-box{}\">\n<p>{head}</p>\n<dl>\n\
         <div><dt>Justification</dt><dd>{}</dd></div>\n<div><dt>Approver</dt><dd>{}</dd></div>\n\
         <div><dt>Expires</dt><dd>{}</dd></div>\n<div><dt>Defined at</dt><dd><code>{}</code></dd></div>\n</dl>\n</div>",
        if w.expired { " expired" } else { "" },
        escape(&w.justification),
        escape(&w.approver),
        escape(w.expires.as_deref().unwrap_or("never")),
        escape(&w.location),
    );
}

fn evidence(out: &mut String, e: &Evidence) {
    let o = e.outcome.as_str();
    let _ = writeln!(
        out,
        "<li class=\"ev\"><span class=\"badge o-{o}\">{}</span> <code>{}</code>\n<div>expected <code>{}</code></div>",
        outcome_label(e.outcome),
        escape(&e.subject),
        escape(&e.expected)
    );
    let unlisted = e.observed_count.saturating_sub(e.observed.len());
    if e.observed.is_empty() {
        if unlisted > 0 {
            let _ = writeln!(
                out,
                "<div class=\"muted\">{unlisted} observed, none listed</div>"
            );
        } else if e.note.is_none() {
            out.push_str("<div class=\"muted\">nothing observed</div>\n");
        }
    } else {
        out.push_str("<ul class=\"observed\">\n");
        for ob in &e.observed {
            // JSON text, so `"0644"` and `0644` stay distinguishable.
            let value = serde_json::to_string(&ob.value).unwrap_or_default();
            let _ = write!(
                out,
                "<li class=\"{}\"><span class=\"mark\" title=\"{}\">{}</span> <code>{}</code>",
                if ob.matched { "ok" } else { "bad" },
                if ob.matched {
                    "meets the condition"
                } else {
                    "does not meet the condition"
                },
                if ob.matched { "✓" } else { "✗" },
                escape(&value)
            );
            if let Some(src) = &ob.source {
                let _ = write!(
                    out,
                    " at <code class=\"src\">{}</code>",
                    escape(&src.to_string())
                );
            }
            if let Some(note) = &ob.note {
                let _ = write!(out, " <span class=\"muted\">({})</span>", escape(note));
            }
            out.push_str("</li>\n");
        }
        if unlisted > 0 {
            let _ = writeln!(
                out,
                "<li class=\"muted\">and {unlisted} more not listed</li>"
            );
        }
        out.push_str("</ul>\n");
    }
    if let Some(note) = &e.note {
        let _ = writeln!(out, "<div class=\"note\">{}</div>", escape(note));
    }
    out.push_str("</li>\n");
}

fn diagnostics(out: &mut String, report: &Report) {
    if report.diagnostics.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"diagnostics\" aria-labelledby=\"h-diagnostics\">\n\
         <h2 id=\"h-diagnostics\">Problems reading the target (<span id=\"diagnostic-count\">{}</span>)</h2>\n\
         <p>These files were malformed or cut short; rules that read them may be incomplete.</p>\n<ul>",
        report.diagnostics.len()
    );
    for d in &report.diagnostics {
        let _ = writeln!(
            out,
            "<li class=\"diagnostic\"><code>{}</code></li>",
            escape(&d.to_string())
        );
    }
    out.push_str("</ul>\n</section>\n");
}

const STYLE: &str = r#"
:root{color-scheme:light;--fg:#1c2430;--muted:#4f5b6b;--line:#d5dbe3;--panel:#f4f6f9}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
header,main,footer{max-width:74rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.6rem;margin:1.2rem 0 .75rem;overflow-wrap:anywhere}
h2{font-size:1.25rem;margin:2rem 0 .75rem;padding-bottom:.25rem;border-bottom:2px solid var(--line)}
h3{font-size:1.05rem;margin:0 0 .5rem}
h4{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:.9rem 0 .2rem}
p{margin:.3rem 0}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.88em;overflow-wrap:anywhere}
pre{background:var(--panel);border:1px solid var(--line);border-radius:4px;padding:.5rem .75rem;white-space:pre-wrap;margin:.2rem 0}
.muted{color:var(--muted)}
.small{font-size:.88rem;color:var(--muted);margin-top:.8rem}
.meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(14rem,1fr));gap:.5rem 1.5rem;margin:0}
.meta div{min-width:0}
.meta dt{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.meta dd{margin:0;overflow-wrap:anywhere}
.tag{display:inline-block;border:1px solid #b8c2ce;background:var(--panel);border-radius:1em;padding:0 .55em;font-size:.88em}
.summary{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
.score{flex:0 1 16rem}
.score-label{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.score-value{font-size:3.4rem;font-weight:700;line-height:1.05}
.score-value small{font-size:1.1rem;font-weight:400;color:var(--muted)}
.band-good .score-value{color:#1b5e20}
.band-fair .score-value{color:#7a3d00}
.band-poor .score-value{color:#a31515}
.verdict{margin:.4rem 0 0;font-size:1.05rem}
.v-passed strong{color:#1b5e20}
.v-failed strong{color:#a31515}
.v-incomplete strong{color:#7a3d00}
meter{width:100%;height:1rem}
.note{font-size:.85rem;color:var(--muted)}
.counts{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.5rem;flex:1 1 20rem;align-content:flex-start}
.count{border:1px solid var(--line);border-left:6px solid #8a96a3;border-radius:4px;padding:.35rem .8rem;min-width:7.5rem}
.count .n{display:block;font-size:1.6rem;font-weight:700;line-height:1.15}
.count.o-fail{border-left-color:#c62828}
.count.o-error{border-left-color:#f0a030}
.count.o-waived{border-left-color:#a898d8}
.count.o-pass{border-left-color:#2e7d32}
.count.o-not_applicable{border-left-color:#c5ccd3}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,24rem),1fr));gap:1rem 2rem;margin-top:1.25rem}
figure{margin:0;min-width:0}
figcaption{font-weight:600;margin-bottom:.25rem}
.chart{display:block;width:100%;max-width:440px;height:auto}
.chart text{font:12px system-ui,sans-serif}
.chart text.seg{font-size:11px;font-weight:600}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1.2rem;margin:.6rem 0 0;font-size:.9rem}
.legend svg{vertical-align:-1px;margin-right:.35rem}
.badge{display:inline-block;padding:0 .55em;border-radius:.8em;border:1px solid;font-size:.85em;font-weight:600;white-space:nowrap;line-height:1.5}
.badge.o-fail,.badge.w-expired,.badge.flag{color:#8e1616;background:#fdecec;border-color:#e4a3a3}
.badge.o-error,.badge.w-unmatched{color:#7a3d00;background:#fff1e0;border-color:#f0bf86}
.badge.o-waived,.badge.w-applied{color:#45347f;background:#f0ecfa;border-color:#bfb1e6}
.badge.o-pass{color:#1b5e20;background:#e9f5ea;border-color:#a5d2a8}
.badge.o-not_applicable,.badge.w-not_needed,.badge.w-out_of_scope{color:#3f4b55;background:#eef1f3;border-color:#c3cbd1}
.badge.flag{margin-top:.2rem}
.sev{white-space:nowrap;font-weight:600}
span.sev::before{content:"";display:inline-block;width:.6em;height:.6em;border-radius:2px;margin-right:.4em;background:currentColor}
.sev-critical{color:#7b0f0f}
.sev-high{color:#b3261e}
.sev-medium{color:#8a4b00}
.sev-low{color:#2f5380}
.sev-info{color:#4f5b6b}
.attention{border:2px solid #c62828;background:#fff6f6;border-radius:6px;padding:.75rem 1rem;margin-bottom:1rem}
.attention h3{color:#8e1616}
.attention ul{margin:0;padding-left:1.2rem}
.attention li{margin:.25rem 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.45rem .5rem;border-bottom:1px solid var(--line)}
thead th{background:var(--panel);font-size:.85rem;white-space:nowrap}
table.waivers{font-size:.9rem}
td.date{white-space:nowrap}
tr.waiver.warn td:first-child{box-shadow:inset 4px 0 #c62828}
#results thead th{position:sticky;top:0;z-index:1}
#results th.sev{width:7.5rem}
#results th.section{width:10rem}
#results th.outcome{width:11rem}
tr.result.o-fail td:first-child{box-shadow:inset 4px 0 #c62828}
tr.result.o-error td:first-child{box-shadow:inset 4px 0 #f0a030}
tr.result.o-waived td:first-child{box-shadow:inset 4px 0 #a898d8}
th button.sort{font:inherit;font-weight:700;background:none;border:0;padding:0;margin:0;cursor:pointer;color:inherit;display:block;width:100%;text-align:left}
th button.sort::after{content:" \2195";color:var(--muted);font-weight:400}
th[aria-sort=ascending] button.sort::after{content:" \25B2"}
th[aria-sort=descending] button.sort::after{content:" \25BC"}
summary{cursor:pointer}
summary .rule-id{font-weight:700}
.detail{margin:.3rem 0 .4rem .25rem;padding-left:.8rem;border-left:3px solid var(--line)}
.evidence{padding-left:1.3rem;margin:.2rem 0}
.evidence>li{margin-bottom:.55rem}
.observed{list-style:none;padding-left:.3rem;margin:.15rem 0}
.observed .ok .mark{color:#1b5e20;font-weight:700}
.observed .bad .mark{color:#a31515;font-weight:700}
.refs{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:0 1rem}
.refs div{display:contents}
.refs dt{font-weight:600}
.refs dd{margin:0}
.waiver-box{border:1px solid #bfb1e6;background:#f7f5fd;border-radius:4px;padding:.4rem .75rem;margin:.4rem 0}
.waiver-box.expired{border:2px solid #c62828;background:#fff6f6;color:#5f0f0f}
.waiver-box dl{margin:.2rem 0;display:grid;grid-template-columns:max-content 1fr;gap:.1rem .75rem}
.waiver-box dl div{display:contents}
.waiver-box dt{font-weight:600}
.waiver-box dd{margin:0;overflow-wrap:anywhere}
.until{font-size:.85em;color:var(--muted);white-space:nowrap}
.controls{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:.5rem 0}
.controls label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted);gap:.1rem}
.controls input,.controls select,.controls button{font:inherit;font-size:.95rem;padding:.3rem .5rem;border:1px solid #8a96a3;border-radius:4px;background:#fff;color:var(--fg)}
.controls button{cursor:pointer}
#filter{width:18rem;max-width:100%}
.shown{color:var(--muted);font-size:.9rem}
footer{margin-top:2.5rem;padding-bottom:2rem;color:var(--muted);font-size:.85rem;border-top:1px solid var(--line)}
@media (max-width:40rem){
  body{font-size:14px}
  .score-value{font-size:2.8rem}
}
/* A narrow screen, and paper, give each rule a card whose details span the
   full width. */
@media (max-width:40rem),print{
  #results thead tr{display:flex;flex-wrap:wrap;gap:.25rem .75rem}
  #results thead th{border:0;padding:.2rem 0;width:auto!important;background:none}
  #results,#results thead,#results tbody{display:block}
  #results tr.result{display:flex;flex-wrap:wrap;align-items:baseline;border-top:1px solid var(--line);padding:.4rem 0}
  #results td{border:0;padding:.1rem .5rem .1rem 0}
  #results td.rule{order:5;flex:1 1 100%}
  #results td.section{color:var(--muted)}
  tr.result td:first-child{box-shadow:none!important}
}
@media print{
  body{font-size:10pt}
  header,main,footer{max-width:none;padding:0}
  *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
  .controls,#no-match{display:none!important}
  #results thead{display:none}
  summary{list-style:none}
  summary::-webkit-details-marker{display:none}
  h2,h3,h4{break-after:avoid}
  .evidence>li,.waiver-box,.count,figure{break-inside:avoid}
}
@media print{details::details-content{display:block;content-visibility:visible}}
"#;

/// Filtering and sorting of rows already on the page; without it the page
/// is complete, only static.
const SCRIPT: &str = r#"
(function () {
  "use strict";
  var table = document.getElementById("results");
  if (!table || !table.tBodies.length) return;
  var body = table.tBodies[0];
  var filter = document.getElementById("filter");
  var byOutcome = document.getElementById("filter-outcome");
  var bySeverity = document.getElementById("filter-severity");
  var shown = document.getElementById("shown-count");
  var noMatch = document.getElementById("no-match");
  var controls = document.getElementById("controls");
  var expand = document.getElementById("expand-all");
  var items = Array.prototype.filter.call(body.rows, function (r) {
    return r.classList.contains("result");
  }).map(function (r, i) {
    var title = r.querySelector(".title");
    return {
      row: r,
      index: i,
      text: [r.getAttribute("data-id"), title ? title.textContent : "", r.getAttribute("data-section")].join(" ").toLowerCase()
    };
  });

  function apply() {
    var q = filter.value.trim().toLowerCase();
    var o = byOutcome.value, s = bySeverity.value, n = 0;
    items.forEach(function (it) {
      var r = it.row;
      var ok = (q === "" || it.text.indexOf(q) !== -1) &&
        (o === "" || r.getAttribute("data-outcome") === o) &&
        (s === "" || r.getAttribute("data-severity") === s);
      r.hidden = !ok;
      if (ok) n += 1;
    });
    shown.textContent = String(n);
    noMatch.hidden = n !== 0 || items.length === 0;
  }

  function key(r, column) {
    if (column === "severity") return Number(r.getAttribute("data-severity-rank"));
    if (column === "outcome") return Number(r.getAttribute("data-outcome-rank"));
    return r.getAttribute("data-" + column) || "";
  }

  var headers = Array.prototype.slice.call(table.querySelectorAll("th[data-sort]"));
  var current = null, direction = 1;
  function sortBy(th) {
    var column = th.getAttribute("data-sort");
    if (column === current) {
      direction = -direction;
    } else {
      current = column;
      direction = th.getAttribute("data-sort-first") === "descending" ? -1 : 1;
    }
    var sorted = items.slice().sort(function (a, b) {
      var ka = key(a.row, column), kb = key(b.row, column);
      var c = ka < kb ? -1 : ka > kb ? 1 : 0;
      return direction * c || a.index - b.index;
    });
    var fragment = document.createDocumentFragment();
    sorted.forEach(function (it) { fragment.appendChild(it.row); });
    body.appendChild(fragment);
    headers.forEach(function (h) {
      if (h === th) h.setAttribute("aria-sort", direction === 1 ? "ascending" : "descending");
      else h.removeAttribute("aria-sort");
    });
  }
  headers.forEach(function (th) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = th.textContent;
    th.textContent = "";
    th.appendChild(button);
    th.addEventListener("click", function () { sortBy(th); });
  });

  filter.addEventListener("input", apply);
  byOutcome.addEventListener("change", apply);
  bySeverity.addEventListener("change", apply);
  expand.addEventListener("click", function () {
    var open = expand.getAttribute("aria-pressed") !== "true";
    Array.prototype.forEach.call(table.querySelectorAll("details"), function (d) { d.open = open; });
    expand.setAttribute("aria-pressed", String(open));
    expand.textContent = open ? "Collapse all" : "Expand all";
  });

  // Printing shows every detail; those opened only for it close again.
  var openedForPrint = [];
  window.addEventListener("beforeprint", function () {
    openedForPrint = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) {
      return !d.open;
    });
    openedForPrint.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    openedForPrint.forEach(function (d) { d.open = false; });
    openedForPrint = [];
  });

  controls.hidden = false;
  apply();
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    /// The text of the element after `marker`, up to the next tag.
    fn text_after<'a>(html: &'a str, marker: &str) -> &'a str {
        let start = html
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} missing"))
            + marker.len();
        let rest = &html[start..];
        &rest[..rest.find('<').unwrap()]
    }

    #[test]
    fn sample_snapshot() {
        insta::assert_snapshot!(render(&sample()));
    }

    #[test]
    fn escape_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert(1)</script> "&'"#),
            "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&amp;&#39;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\n"), "a\u{FFFD}b\u{FFFD}c\n");
        assert_eq!(escape("plain — ü"), "plain — ü");
    }

    #[test]
    fn a_cut_waiver_rule_list_says_how_many_more() {
        let mut report = sample();
        let w = report.waivers.first_mut().expect("the sample has waivers");
        w.rules = (0..20).map(|i| format!("r{i}")).collect();
        w.rules_count = 25;
        let html = render(&report);
        let list = &html[html.find("id=\"waiver-list\"").unwrap()..];
        assert!(list.contains("<code>r19</code> and 5 more</td>"));
    }

    #[test]
    fn every_result_is_one_row() {
        let report = sample();
        let html = render(&report);
        assert_eq!(
            html.matches("<tr class=\"result ").count(),
            report.results.len()
        );
        for r in &report.results {
            let attr = format!(" data-id=\"{}\"", r.id);
            assert_eq!(html.matches(&attr).count(), 1, "{}", r.id);
        }
    }

    #[test]
    fn rows_start_with_failures_worst_first() {
        let report = sample();
        let html = render(&report);
        let ids: Vec<&str> = html
            .split("<tr class=\"result ")
            .skip(1)
            .filter_map(|row| row.split("data-id=\"").nth(1)?.split('"').next())
            .collect();
        let expected: Vec<&str> = report.failures().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(&ids[..expected.len()], &expected[..]);
    }

    #[test]
    fn report_text_is_escaped() {
        let mut report = sample();
        let hostile = r#"<script>alert(1)</script> "&'"#;
        report.target.hostname = Some(hostile.into());
        report.target.tags.push(hostile.into());
        let r = &mut report.results[0];
        r.id = format!("x{hostile}");
        r.title = hostile.into();
        r.section = hostile.into();
        r.remediation = hostile.into();
        r.references.insert(hostile.into(), vec![hostile.into()]);
        r.evidence[0].subject = hostile.into();
        r.evidence[0].expected = hostile.into();
        r.evidence[0].observed[0].value = serde_json::Value::String(hostile.into());
        r.evidence[0].note = Some(hostile.into());
        report.waivers[0].justification = hostile.into();
        report.waivers[2].rule = hostile.into();
        report
            .diagnostics
            .push(crate::diag::Diagnostic::new(hostile, hostile));
        let html = render(&report);
        // Only the page's own script element.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(!html.contains("alert(1)</script>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;&amp;&#39;"));
        assert!(!html.contains("\"&'"));
    }

    /// Every `src=` and `href=` is data: or in-page, and nothing in the
    /// page's own CSS or script names a URL.
    #[test]
    fn nothing_is_loaded_from_the_network() {
        let html = render(&sample());
        assert!(html.contains(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        )));
        assert!(CSP.starts_with("default-src 'none';"));
        for attr in ["src=", "href=", "action=", "srcset=", "xlink:href="] {
            for (i, _) in html.match_indices(attr) {
                let value = &html[i + attr.len()..];
                assert!(
                    value.starts_with("\"data:") || value.starts_with("\"#"),
                    "{attr}{}",
                    &value[..value.len().min(60)]
                );
            }
        }
        assert!(!html.contains("http://") && !html.contains("https://"));
        for own in [STYLE, SCRIPT] {
            for bad in [
                "://",
                "url(",
                "@import",
                "fetch(",
                "XMLHttpRequest",
                "import(",
            ] {
                assert!(!own.contains(bad), "{bad}");
            }
        }
    }

    #[test]
    fn expired_and_unmatched_waivers_are_flagged() {
        let html = render(&sample());
        let attention = &html[html.find("id=\"waiver-warnings\"").unwrap()..];
        let attention = &attention[..attention.find("</div>").unwrap()];
        assert!(attention.contains("2 waivers need attention"));
        assert!(attention.contains("data-status=\"expired\""));
        assert!(attention.contains("<code>ssh-max-auth-tries</code>"));
        assert!(attention.contains("Expired</strong> on 2026-09-30"));
        assert!(attention.contains("data-status=\"unmatched\""));
        assert!(attention.contains("<code>ntp-*</code>"));
        // The expired waiver is flagged on its rule's row and in its detail.
        let row = &html[html.find("data-id=\"ssh-max-auth-tries\"").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("class=\"waiver-box expired\""));
        assert!(row.contains("Waiver expired on 2026-09-30"));
        assert!(row.contains("<span class=\"badge flag\">⚠ waiver expired 2026-09-30</span>"));
        // Every waiver is listed with its status.
        for state in [
            "applied",
            "expired",
            "unmatched",
            "not_needed",
            "out_of_scope",
        ] {
            assert!(
                html.contains(&format!("data-status=\"{state}\"><td>")),
                "{state}"
            );
        }
    }

    #[test]
    fn summary_counts_match_the_report() {
        let report = sample();
        let html = render(&report);
        for o in Outcome::ALL {
            let block = &html[html.find(&format!("id=\"count-{}\"", o.as_str())).unwrap()..];
            let n: usize = text_after(block, "class=\"n\">").parse().unwrap();
            assert_eq!(n, report.count(o), "{}", o.as_str());
        }
        let total = &html[html.find("id=\"count-total\"").unwrap()..];
        assert_eq!(
            text_after(total, "class=\"n\">"),
            report.summary.total.to_string()
        );
        assert_eq!(
            text_after(&html, "id=\"score\">"),
            format!("{:.1}", report.summary.score)
        );
        assert!(html.contains(&format!("id=\"shown-count\">{}<", report.results.len())));
        // The severity chart says the same in words.
        assert!(html.contains(
            "<desc id=\"chart-severity-desc\">critical: 1 fail, 2 pass; high: 2 fail, 1 pass; \
             medium: 1 fail, 1 error, 1 waived, 1 pass; low: 2 fail, 1 not applicable; info: none</desc>"
        ));
    }

    #[test]
    fn empty_report_and_diagnostics_render() {
        let mut report = sample();
        report.results.clear();
        report.summary = super::super::summarize(&report.results);
        report.waivers.clear();
        report.diagnostics.push(
            crate::diag::Diagnostic::new("/etc/ssh/sshd_config", "line too long").at(7, Some(1)),
        );
        let html = render(&report);
        assert!(html.contains("No rules were evaluated."));
        assert!(html.contains("No waivers file was read"));
        assert!(html.contains("id=\"diagnostic-count\">1<"));
        assert!(html.contains("<code>/etc/ssh/sshd_config:7:1: line too long</code>"));
        assert!(!html.contains("NaN") && !html.contains("inf\""));
    }
}
