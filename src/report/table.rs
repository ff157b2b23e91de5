//! The terminal summary a technician reads after a scan, made to fit one
//! screen: the verdict and score on the first line and again on the last,
//! counts by severity, then the failures worst first, one line each
//! (severity, rule id, what was found against what was expected), capped so
//! that the whole summary stays within [`SCREEN_LINES`] lines whatever the
//! width. Rules that could not be checked, waived ones and problems reading
//! the target get a line or two each. A wider terminal shows more of each
//! line, never more lines.
//!
//! `--quiet` keeps only the verdict line; `--verbose` lists every failure
//! and every other rule, then tells each failed, unchecked or waived rule's
//! full story ([`super::explain`]). Colour is the caller's decision (a
//! terminal without `NO_COLOR`), so the text is the same in a pipe.

use super::explain::{self, Mode};
use super::gate::Status;
use super::{Report, RuleReport};
use crate::engine::{Evidence, Outcome};
use crate::policy::source::RuleText;
use crate::policy::Severity;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

/// The most lines the default summary takes, so it fits one screen.
pub const SCREEN_LINES: usize = 50;

/// The width used when a terminal reports none (`0x0`, as some serial
/// consoles and containers do).
pub const FALLBACK_WIDTH: u16 = 80;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// The verdict line only.
    Quiet,
    #[default]
    Normal,
    /// Every rule, and the full story of each failed, unchecked or waived one.
    Verbose,
}

/// Each rule's `check` and `applies_if` as written, by rule id.
pub type Sources = BTreeMap<String, RuleText>;

#[derive(Debug, Clone)]
pub struct Style {
    /// Cut lines to this many columns; `None` does not cut.
    pub width: Option<u16>,
    pub color: bool,
    pub verbosity: Verbosity,
    /// The checks `--verbose` shows; a rule without one shows none.
    pub sources: Arc<Sources>,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            width: Some(120),
            color: false,
            verbosity: Verbosity::Normal,
            sources: Arc::default(),
        }
    }
}

impl Style {
    fn columns(&self) -> usize {
        match self.width {
            Some(0) => usize::from(FALLBACK_WIDTH),
            Some(w) => usize::from(w),
            None => usize::MAX,
        }
    }

    fn paint(&self, text: &str, color: Option<&str>) -> String {
        match color {
            Some(code) if self.color => format!("\u{1b}[{code}m{text}\u{1b}[0m"),
            _ => text.to_string(),
        }
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    let report = &report.printable();
    if style.verbosity == Verbosity::Quiet {
        return format!("{}\n", verdict_line(report));
    }
    let verbose = style.verbosity == Verbosity::Verbose;
    let w = style.columns();
    let mut head = Vec::new();
    header(report, style, &mut head);
    head.push(String::new());
    counts(report, style, &mut head);

    let mut tail = Vec::new();
    not_checked(report, style, &mut tail);
    waived(report, style, &mut tail);
    waiver_warnings(report, style, &mut tail);
    diagnostics(report, style, &mut tail);
    let mut bottom = vec![String::new()];
    bottom.extend(
        wrap_reasons(&last_line(report), w)
            .into_iter()
            .map(|l| color_verdict(report, &l, style)),
    );

    let failures = report.failures();
    let mut middle = Vec::new();
    if !failures.is_empty() {
        middle.push(String::new());
        middle.push(format!(
            "{} failed, worst first:",
            plural(failures.len(), "rule")
        ));
        let fixed = head.len() + middle.len() + usize::from(!tail.is_empty()) + tail.len();
        let room = SCREEN_LINES.saturating_sub(fixed + bottom.len());
        let shown = if verbose || failures.len() <= room {
            failures.len()
        } else {
            // The line that says how many more takes one of the rows.
            room.saturating_sub(1).max(1)
        };
        rows(&failures[..shown], style, &mut middle, |r| {
            let mut text = String::new();
            if let Some(w) = r.waiver.as_ref().filter(|w| w.expired) {
                let _ = write!(
                    text,
                    "[waiver expired {}] ",
                    w.expires.as_deref().unwrap_or("?")
                );
            }
            text.push_str(&brief(r));
            text
        });
        if shown < failures.len() {
            middle.push(fit(
                &format!(
                    "and {} more (posture scan --verbose, or the HTML report)",
                    failures.len() - shown
                ),
                w,
            ));
        }
    }

    let mut out = String::new();
    for line in head.iter().chain(&middle) {
        let _ = writeln!(out, "{line}");
    }
    if !tail.is_empty() {
        out.push('\n');
        for line in &tail {
            let _ = writeln!(out, "{line}");
        }
    }
    if verbose {
        everything_else(report, style, &mut out);
    }
    for line in &bottom {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The first line (verdict, score, host) and the second (what was scanned,
/// against what, how fast).
fn header(report: &Report, style: &Style, out: &mut Vec<String>) {
    let w = style.columns();
    let os = report
        .target
        .os
        .pretty_name
        .clone()
        .unwrap_or_else(|| report.target.os.id.clone());
    let host = report.target.hostname.as_deref().unwrap_or("unknown host");
    let mut first = format!("score {:.1}/100  {host} ({os})", report.summary.score);
    if let Some(v) = &report.verdict {
        first = format!("{}  {first}", v.status.word());
    }
    out.push(color_verdict(report, &fit(&first, w), style));
    let target = match &report.target.root {
        Some(root) => format!("root filesystem {root}"),
        None => "this host".to_string(),
    };
    let profile = report
        .selection
        .profile
        .as_deref()
        .map_or(String::new(), |p| format!(", profile {p}"));
    out.push(fit(
        &format!(
            "{}{profile}: {} rules in {} ms by posture {}; {target}",
            report.policy_names().join(", "),
            report.summary.total,
            report.scan.duration_ms,
            report.tool.version,
        ),
        w,
    ));
}

/// Rules by severity and outcome, without borders; severities no rule has
/// are left out.
fn counts(report: &Report, style: &Style, out: &mut Vec<String>) {
    let mut header = format!("{:<8}", "severity");
    for o in Outcome::ALL {
        let _ = write!(header, "  {}", o.as_str());
    }
    header.push_str("  total");
    out.push(fit(&header, style.columns()));
    let w = style.columns();
    let row = |label: &str, color: Option<&str>, get: &dyn Fn(Outcome) -> usize, total: usize| {
        let (mut plain, mut painted) = (label.to_string(), style.paint(label, color));
        for o in Outcome::ALL {
            let n = get(o);
            let cell = format!("  {n:>width$}", width = o.as_str().len());
            let color = (n > 0).then(|| outcome_color(o)).flatten();
            plain.push_str(&cell);
            painted.push_str(&style.paint(&cell, color));
        }
        let _ = write!(plain, "  {total:>5}");
        let _ = write!(painted, "  {total:>5}");
        // Too narrow for the table: cut, without colour that could be cut too.
        if plain.chars().count() > w {
            fit(&plain, w)
        } else {
            painted
        }
    };
    for sev in Severity::ALL {
        let Some(counts) = report.summary.by_severity.get(&sev) else {
            continue;
        };
        let total: usize = counts.values().sum();
        if total == 0 {
            continue;
        }
        out.push(row(
            &format!("{:<8}", sev.as_str()),
            severity_color(sev),
            &|o| counts.get(&o).copied().unwrap_or(0),
            total,
        ));
    }
    out.push(row(
        &format!("{:<8}", "all"),
        None,
        &|o| report.count(o),
        report.summary.total,
    ));
}

/// One line per rule: severity, id (never cut), then `text`, cut to the
/// width. Ids line up while the longest leaves room for the text.
fn rows(
    rules: &[&RuleReport],
    style: &Style,
    out: &mut Vec<String>,
    text: impl Fn(&RuleReport) -> String,
) {
    let w = style.columns();
    let longest = rules
        .iter()
        .map(|r| r.id.chars().count())
        .max()
        .unwrap_or(0);
    // A third of the width: the ids of the built-in policy are up to 49
    // characters, and at 80 columns the text needs the rest.
    let id_width = longest.min(w / 3);
    for r in rules {
        let sev = format!("{:<8}", r.severity.as_str());
        let id = format!("{:<id_width$}", r.id);
        let used = sev.len() + 1 + id.chars().count() + 1;
        let rest = fit(&text(r), w.saturating_sub(used).max(1));
        out.push(format!(
            "{} {id} {rest}",
            style.paint(&sev, severity_color(r.severity))
        ));
    }
}

/// What broke the rule, on one line: the value the first failed check
/// found (or, when it found nothing, the end of its note, which says what
/// is missing) and what it expected, then what it looked at. The id says
/// what the rule is about, so the subject comes last, where a narrow
/// terminal cuts.
pub fn brief(rule: &RuleReport) -> String {
    let failed: Vec<&Evidence> = rule
        .evidence
        .iter()
        .filter(|e| e.outcome == Outcome::Fail)
        .collect();
    let Some(e) = failed.first().copied().or(rule.evidence.first()) else {
        return rule.title.clone();
    };
    match e.observed.first() {
        Some(o) => {
            let mut v = crate::engine::human::value(&o.value);
            let more = e.observed_count.saturating_sub(1);
            if more > 0 {
                let _ = write!(v, " and {more} more");
            }
            format!("found {v}, expected {} ({})", e.expected, e.subject)
        }
        None => {
            // Notes run from how the value was looked for to what is
            // missing; the end is what the technician needs.
            let missing = e.note.as_deref().map_or("found nothing", |n| {
                let last = n.rsplit("; ").next().unwrap_or(n);
                match last.find(" (") {
                    Some(i) if last.ends_with(')') => &last[..i],
                    _ => last,
                }
            });
            format!("{missing}; expected {} ({})", e.expected, e.subject)
        }
    }
}

/// Rules that could not be checked: how many, which, and the commonest
/// reason (usually one cause, such as running without root).
fn not_checked(report: &Report, style: &Style, out: &mut Vec<String>) {
    let errors = of(report, Outcome::Error);
    if errors.is_empty() {
        return;
    }
    let w = style.columns();
    if style.verbosity == Verbosity::Verbose {
        out.push(format!(
            "{} could not be checked:",
            plural(errors.len(), "rule")
        ));
        rows(&errors, style, out, |r| {
            r.reason.clone().unwrap_or_default()
        });
        return;
    }
    let ids: Vec<&str> = errors.iter().map(|r| r.id.as_str()).collect();
    out.push(style.paint(
        &fit(
            &format!(
                "{} could not be checked (error): {}",
                plural(errors.len(), "rule"),
                ids.join(", ")
            ),
            w,
        ),
        outcome_color(Outcome::Error),
    ));
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &errors {
        *reasons
            .entry(r.reason.as_deref().unwrap_or(""))
            .or_default() += 1;
    }
    if let Some((reason, n)) = reasons.iter().max_by_key(|(_, n)| **n) {
        let line = if errors.len() == 1 {
            format!("  {reason}")
        } else {
            format!("  {n} of them: {reason}")
        };
        out.push(fit(&line, w));
    }
}

fn waived(report: &Report, style: &Style, out: &mut Vec<String>) {
    let waived = of(report, Outcome::Waived);
    if waived.is_empty() {
        return;
    }
    if style.verbosity == Verbosity::Verbose {
        out.push(format!("{}:", plural(waived.len(), "waived failure")));
        rows(&waived, style, out, |r| match &r.waiver {
            Some(w) => format!(
                "{} ({}, until {})",
                w.justification,
                w.approver,
                w.expires.as_deref().unwrap_or("never")
            ),
            None => String::new(),
        });
        return;
    }
    let ids: Vec<&str> = waived.iter().map(|r| r.id.as_str()).collect();
    out.push(fit(
        &format!(
            "{} (accepted risks): {}",
            plural(waived.len(), "waived failure"),
            ids.join(", ")
        ),
        style.columns(),
    ));
}

/// At most this many waiver warnings in the default summary.
const WARNINGS_SHOWN: usize = 3;

fn waiver_warnings(report: &Report, style: &Style, out: &mut Vec<String>) {
    let warnings: Vec<_> = report.waiver_warnings().collect();
    let shown = if style.verbosity == Verbosity::Verbose || warnings.len() <= WARNINGS_SHOWN {
        warnings.len()
    } else {
        WARNINGS_SHOWN - 1
    };
    for w in &warnings[..shown] {
        let what = match w.status {
            super::WaiverState::Expired => {
                format!("expired {}", w.expires.as_deref().unwrap_or("?"))
            }
            _ => "matches no evaluated rule".to_string(),
        };
        out.push(fit(
            &format!("waiver `{}` ({}) {what}", w.rule, w.location),
            style.columns(),
        ));
    }
    if shown < warnings.len() {
        out.push(format!(
            "and {} more waivers needing attention (posture scan --verbose)",
            warnings.len() - shown
        ));
    }
}

fn diagnostics(report: &Report, style: &Style, out: &mut Vec<String>) {
    let n = report.diagnostics.len();
    if n == 0 {
        return;
    }
    if style.verbosity == Verbosity::Verbose {
        out.push(format!(
            "{} reading the target's files:",
            plural(n, "problem")
        ));
        for d in &report.diagnostics {
            out.push(format!("  {d}"));
        }
        return;
    }
    out.push(fit(
        &format!(
            "{} reading the target's files (posture scan --verbose lists them)",
            plural(n, "problem")
        ),
        style.columns(),
    ));
}

/// `--verbose`: the story of every failed, unchecked and waived rule, then
/// the rules that passed or did not apply, one line each.
fn everything_else(report: &Report, style: &Style, out: &mut String) {
    let rule_line = "─".repeat(style.columns().min(80));
    let mut told: Vec<&RuleReport> = report.failures();
    told.extend(of(report, Outcome::Error));
    told.extend(of(report, Outcome::Waived));
    for r in told {
        let _ = writeln!(out, "\n{rule_line}");
        out.push_str(&explain::render(r, Mode::Result, style.sources.get(&r.id)));
    }
    for (outcome, label) in [
        (Outcome::Pass, "passed"),
        (Outcome::NotApplicable, "not applicable"),
    ] {
        let rules = of(report, outcome);
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{rule_line}\n{} {label}:",
            plural(rules.len(), "rule")
        );
        let mut lines = Vec::new();
        rows(&rules, style, &mut lines, |r| match &r.reason {
            Some(reason) => reason.clone(),
            None => r.title.clone(),
        });
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
    }
}

/// One line for `--quiet` and scripts: the score, the counts that matter,
/// and the gate's verdict.
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

/// The summary's last line: the verdict with its reasons, and the score.
fn last_line(report: &Report) -> String {
    match &report.verdict {
        Some(v) => format!("{} — score {:.1}/100", v.line(), report.summary.score),
        None => format!(
            "score {:.1}/100: {} failed, {} not checked",
            report.summary.score,
            report.count(Outcome::Fail),
            report.count(Outcome::Error)
        ),
    }
}

/// `line` on as few lines of `width` as its `; `-separated parts allow
/// (a verdict with several reasons), never cutting a reason.
fn wrap_reasons(line: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in line.split("; ") {
        match out.last_mut() {
            Some(last) if last.chars().count() + 2 + part.chars().count() <= width => {
                last.push_str("; ");
                last.push_str(part);
            }
            Some(last) => {
                last.push(';');
                out.push(format!("  {part}"));
            }
            None => out.push(part.to_string()),
        }
    }
    out
}

fn color_verdict(report: &Report, line: &str, style: &Style) -> String {
    let Some(v) = &report.verdict else {
        return line.to_string();
    };
    let word = v.status.word();
    match line.strip_prefix(word) {
        Some(rest) => {
            let color = match v.status {
                Status::Passed => "1;32",
                Status::Failed => "1;31",
                Status::Incomplete => "1;33",
            };
            format!("{}{rest}", style.paint(word, Some(color)))
        }
        None => line.to_string(),
    }
}

/// `text` within `width` characters, its end replaced by `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn of(report: &Report, outcome: Outcome) -> Vec<&RuleReport> {
    report
        .results
        .iter()
        .filter(|r| r.outcome == outcome)
        .collect()
}

/// `1 rule`, `2 rules`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn severity_color(sev: Severity) -> Option<&'static str> {
    Some(match sev {
        Severity::Critical => "35",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "90",
    })
}

fn outcome_color(outcome: Outcome) -> Option<&'static str> {
    Some(match outcome {
        Outcome::Fail => "31",
        Outcome::Error => "33",
        Outcome::Waived => "34",
        Outcome::Pass => "32",
        Outcome::NotApplicable => "90",
    })
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

    /// The sample with `n` more failures, judged.
    fn many_failures(n: usize) -> Report {
        let mut r = sample();
        let failed = r.failures()[0].clone();
        for i in 0..n {
            let mut x = failed.clone();
            x.id = format!("extra-rule-with-a-long-identifier-{i:03}");
            x.severity = Severity::ALL[i % 4];
            r.results.push(x);
        }
        r.summary = crate::report::summarize(&r.results);
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
    fn verdict_and_score_come_first_and_last() {
        let out = render(&judged(), &style(Verbosity::Normal, false));
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines[0].starts_with("FAILED  score 49.2/100  web01"),
            "{out}"
        );
        assert_eq!(
            *lines.last().unwrap(),
            "FAILED: 6 rule(s) failed; 1 rule(s) could not be checked — score 49.2/100"
        );
        // Narrower, the verdict breaks between its reasons, never inside one.
        let narrow = Style {
            width: Some(60),
            ..Style::default()
        };
        let out = render(&judged(), &narrow);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[lines.len() - 2], "FAILED: 6 rule(s) failed;");
        assert_eq!(
            lines[lines.len() - 1],
            "  1 rule(s) could not be checked — score 49.2/100"
        );
    }

    #[test]
    fn a_long_failure_list_fits_one_screen_at_any_width() {
        let r = many_failures(200);
        let mut by_width = Vec::new();
        for width in [0, 40, 80, 120, 300] {
            let s = Style {
                width: Some(width),
                ..Style::default()
            };
            let out = render(&r, &s);
            let columns = if width == 0 { 80 } else { usize::from(width) };
            assert!(out.lines().count() <= SCREEN_LINES, "{out}");
            assert!(
                out.lines().all(|l| l.chars().count() <= columns.max(60)),
                "width {width}:\n{out}"
            );
            let shown = out.lines().filter(|l| l.contains(" extra-rule-")).count()
                + out
                    .lines()
                    .filter(|l| l.contains(" account-no-empty"))
                    .count();
            let more = format!(
                "and {} more (posture scan --verbose, or the HTML report)",
                206 - shown
            );
            assert!(out.contains(&more[..more.len().min(columns - 1)]), "{out}");
            assert!(shown >= 25, "{out}");
            by_width.push(out.lines().count());
        }
        assert!(by_width.windows(2).all(|w| w[0] == w[1]), "{by_width:?}");
    }

    #[test]
    fn rule_ids_are_never_cut() {
        let r = many_failures(10);
        let out = render(
            &r,
            &Style {
                width: Some(40),
                ..Style::default()
            },
        );
        for i in 0..10 {
            assert!(
                out.contains(&format!("extra-rule-with-a-long-identifier-{i:03} ")),
                "{out}"
            );
        }
    }

    #[test]
    fn colour_only_when_asked() {
        let r = judged();
        assert!(!render(&r, &style(Verbosity::Normal, false)).contains('\u{1b}'));
        assert!(render(&r, &style(Verbosity::Normal, true)).contains('\u{1b}'));
        assert!(!render(&r, &style(Verbosity::Verbose, false)).contains('\u{1b}'));
    }

    #[test]
    fn verbose_adds_every_rule_and_the_stories() {
        let r = sample();
        let normal = render(&r, &style(Verbosity::Normal, false));
        let verbose = render(&r, &style(Verbosity::Verbose, false));
        assert!(!normal.contains("account-root-only-uid-0"));
        assert!(verbose.contains("\n4 rules passed:\n"));
        assert!(verbose.contains("account-root-only-uid-0"));
        assert!(verbose.contains("audit-log-storage-size"));
        // Each failure's remediation, as the policy wrote it.
        for f in r.failures() {
            assert!(verbose.contains(&format!("\nRemediation:\n{}", f.remediation)));
        }
    }

    #[test]
    fn waivers_and_their_warnings_are_shown() {
        let out = render(&sample(), &Style::default());
        assert!(out.contains("1 waived failure (accepted risks): ssh-x11-forwarding-disabled"));
        assert!(out.contains("[waiver expired 2026-09-30]"));
        assert!(out.contains(
            "waiver `ntp-*` (tests/fixtures/reports/waivers.yaml:14) matches no evaluated rule"
        ));
        // Without a gate, no verdict word.
        assert!(out.starts_with("score 49.2/100"));
    }

    #[test]
    fn records_are_read_as_fields_not_json() {
        let mut r = sample();
        let f = r
            .results
            .iter_mut()
            .find(|x| x.id == "file-perm-shadow")
            .unwrap();
        f.evidence[0].observed[0].value =
            serde_json::json!({"path": "/etc/shadow", "mode": "0644"});
        let out = render(&r, &style(Verbosity::Verbose, false));
        assert!(out.contains("found path=/etc/shadow mode=0644"), "{out}");
        assert!(!out.contains("\\\""), "{out}");
    }
}
