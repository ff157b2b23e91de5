//! Fleet views: many hosts' JSON reports folded into one summary.
//!
//! `posture aggregate` reads report files in parallel and streams them: each
//! report is reduced to its host, time, score (recomputed from its results)
//! and a (rule index, outcome) pair per result as soon as it is parsed, and
//! only the two most recent reports of each host are kept (for drift),
//! with one score point per report for the trend. Memory therefore grows
//! with hosts and rules, not with the bytes read; the bounds on what one
//! report may hold are in [`read`]. A file that is not a readable report is skipped with a warning
//! naming it, and counted; with `strict` it stops the run. A report read
//! twice counts once ([`seen`] says when two files are the same report).

pub mod export;
pub mod read;
pub mod render;
pub mod seen;

use crate::engine::Outcome;
use crate::policy::Severity;
use globset::GlobMatcher;
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Mutex, RwLock};

/// Semantic, like the report's: additive changes are minor. 1.1.0 added
/// `summary.conflicts` and `summary.summaries_recomputed`.
pub const FLEET_SCHEMA_VERSION: &str = "1.1.0";

/// What reading tells its caller about one file, as it is met.
#[derive(Debug, Clone, Copy)]
pub enum Warning<'a> {
    /// The file is not a readable report: skipped (and counted).
    Skipped { file: &'a str, reason: &'a str },
    /// The file was read and counted, but the user should know this (a
    /// stored summary that disagreed with the results, a reused scan id).
    Note { file: &'a str, note: &'a str },
}

/// Which reports and rules count.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Only reports whose scan started at or after this RFC 3339 time or
    /// `YYYY-MM-DD` date.
    pub since: Option<String>,
    /// Only hosts whose name matches this glob (case-insensitive).
    pub host: Option<(String, GlobMatcher)>,
    /// Only these rules (all when empty).
    pub rules: Vec<String>,
    /// Only rules at or above this severity.
    pub severity: Option<Severity>,
}

impl Filters {
    fn keeps_report(&self, host: &str, started_at: &str) -> bool {
        self.since
            .as_deref()
            .is_none_or(|since| started_at >= since)
            && self
                .host
                .as_ref()
                .is_none_or(|(_, glob)| glob.is_match(host))
    }

    fn keeps_rule(&self, id: &str, severity: Severity) -> bool {
        (self.rules.is_empty() || self.rules.iter().any(|r| r == id))
            && self.severity.is_none_or(|min| severity >= min)
    }
}

/// The fleet summary (`posture aggregate --format json`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Fleet {
    pub schema_version: String,
    /// The filters applied, as given.
    pub filters: FilterInfo,
    pub summary: FleetSummary,
    /// Per rule, over each host's latest report: worst severity first, then
    /// most failing hosts.
    pub rules: Vec<RuleStat>,
    /// Per host: its latest report and the trend of its score; lowest
    /// score first.
    pub hosts: Vec<HostStat>,
    /// Rules that started or stopped failing between the two most recent
    /// reports of each host; latest first.
    pub drift: Vec<Drift>,
    /// Files that were not readable reports, at most 1000 (all are counted
    /// in `summary.skipped`).
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct FilterInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct FleetSummary {
    /// Hosts with at least one report kept.
    pub hosts: usize,
    /// Reports read and kept by the filters, each counted once.
    pub reports: usize,
    /// Files that held a report already read: the same scan id, host,
    /// time, tags and results (see `docs/fleet.md`).
    pub duplicates: usize,
    /// Reports counted although another report with other contents had
    /// the same scan id (each is named in a warning).
    #[serde(default)]
    pub conflicts: usize,
    /// Reports whose stored summary disagreed with their results; every
    /// score here is recomputed from the results.
    #[serde(default)]
    pub summaries_recomputed: usize,
    /// Files that were not readable reports.
    pub skipped: usize,
    /// Statistics of the hosts' latest scores (absent with no host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<ScoreStats>,
    /// Results per outcome, over the hosts' latest reports.
    pub by_outcome: BTreeMap<Outcome, usize>,
    /// Results per severity and outcome, over the hosts' latest reports.
    pub by_severity: BTreeMap<Severity, BTreeMap<Outcome, usize>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ScoreStats {
    pub mean: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RuleStat {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// Hosts whose latest report evaluated the rule.
    pub hosts: usize,
    /// Of those, hosts where it failed.
    pub failing: usize,
    /// `failing / hosts`, 0 to 1.
    pub fail_rate: f64,
    /// Hosts where its failure is waived.
    pub waived: usize,
    /// Hosts where it could not be checked.
    pub error: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct HostStat {
    pub hostname: String,
    pub tags: Vec<String>,
    /// The latest report's scan start (RFC 3339).
    pub scanned_at: String,
    pub scan_id: String,
    pub score: f64,
    /// Rules failing in the latest report.
    pub failed: usize,
    /// Latest score minus the previous report's; absent with one report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_change: Option<f64>,
    /// One point per report of the host, oldest first.
    pub trend: Vec<TrendPoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct TrendPoint {
    pub scanned_at: String,
    pub scan_id: String,
    pub score: f64,
    pub failed: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Drift {
    pub hostname: String,
    pub rule: String,
    pub severity: Severity,
    pub change: DriftKind,
    /// The earlier report's scan start.
    pub since: String,
    /// The later report's scan start: when the change was seen.
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// Not failing before, failing now.
    StartedFailing,
    /// Failing before, not failing now.
    StoppedFailing,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// A file aggregation could not use, with `strict`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct StrictError {
    pub file: String,
    pub reason: String,
}

/// At most this many skipped files are listed (all are counted).
const MAX_SKIPPED_LISTED: usize = 1000;

/// At most this many distinct rule ids are summarized: a rule costs its
/// id, title and counters once, and a rule index per result kept.
pub const MAX_FLEET_RULES: usize = 1_000_000;

/// Rule titles are kept up to this many bytes (cut at a character).
const MAX_TITLE_BYTES: usize = 1024;

/// Outcome codes of a host's results.
fn code(o: Outcome) -> u8 {
    match o {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        Outcome::NotApplicable => 2,
        Outcome::Error => 3,
        Outcome::Waived => 4,
    }
}

fn outcome(code: u8) -> Outcome {
    match code {
        0 => Outcome::Pass,
        1 => Outcome::Fail,
        2 => Outcome::NotApplicable,
        3 => Outcome::Error,
        _ => Outcome::Waived,
    }
}

/// Rule ids seen so far, each with a small index, its title and severity.
#[derive(Default)]
struct Rules {
    index: HashMap<String, u32>,
    meta: Vec<(String, String, Severity)>,
}

/// One report reduced to what aggregation keeps.
struct ScanState {
    scanned_at: String,
    scan_id: String,
    identity: seen::Identity,
    score: f64,
    tags: Vec<String>,
    /// (rule index, outcome code) of each result, by rule index: as many
    /// entries as the report has results, however many rules the fleet has.
    outcomes: Vec<(u32, u8)>,
}

impl ScanState {
    fn key(&self) -> (&str, &str, seen::Identity) {
        (&self.scanned_at, &self.scan_id, self.identity)
    }

    fn failed(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|(_, c)| *c == code(Outcome::Fail))
            .count()
    }
}

#[derive(Default)]
struct HostState {
    trend: Vec<TrendPoint>,
    latest: Option<ScanState>,
    previous: Option<ScanState>,
}

impl HostState {
    fn add(&mut self, scan: ScanState) {
        self.trend.push(TrendPoint {
            scanned_at: scan.scanned_at.clone(),
            scan_id: scan.scan_id.clone(),
            score: scan.score,
            failed: scan.failed(),
        });
        self.keep(scan);
    }

    /// Keeps `scan` if it is among the two most recent.
    fn keep(&mut self, scan: ScanState) {
        match &self.latest {
            // The same report twice: [`seen`] lets only one through.
            Some(l) if scan.key() == l.key() => {}
            Some(l) if scan.key() < l.key() => {
                if self.previous.as_ref().is_none_or(|p| scan.key() > p.key()) {
                    self.previous = Some(scan);
                }
            }
            _ => self.previous = self.latest.replace(scan),
        }
    }

    fn merge(&mut self, other: HostState) {
        self.trend.extend(other.trend);
        for scan in [other.latest, other.previous].into_iter().flatten() {
            self.keep(scan);
        }
    }
}

#[derive(Default)]
struct Acc {
    hosts: HashMap<String, HostState>,
    counts: seen::Counts,
}

impl Acc {
    fn merge(mut self, other: Acc) -> Acc {
        if self.hosts.len() < other.hosts.len() {
            return other.merge(self);
        }
        self.counts.add(other.counts);
        for (name, state) in other.hosts {
            self.hosts.entry(name).or_default().merge(state);
        }
        self
    }
}

/// Reads every report under `paths` and folds them into a [`Fleet`].
/// `warn` is called for each skipped file and each note as it is met. With
/// `strict`, the first file that is not a readable report is an error.
pub fn aggregate(
    paths: &[PathBuf],
    filters: &Filters,
    strict: bool,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<Fleet, StrictError> {
    let rules = RwLock::new(Rules::default());
    let seen = seen::Seen::default();
    let skipped = Mutex::new((0usize, Vec::<Skipped>::new()));
    let skip = |file: String, reason: String| -> Result<(), StrictError> {
        if strict {
            return Err(StrictError { file, reason });
        }
        warn(Warning::Skipped {
            file: &file,
            reason: &reason,
        });
        let mut s = skipped.lock().unwrap_or_else(|e| e.into_inner());
        s.0 += 1;
        if s.1.len() < MAX_SKIPPED_LISTED {
            s.1.push(Skipped { file, reason });
        }
        Ok(())
    };
    let acc = read::files(paths)
        .par_bridge()
        .try_fold(Acc::default, |mut acc, item| {
            let path = match item {
                Ok(p) => p,
                Err((p, reason)) => {
                    skip(p.display().to_string(), reason)?;
                    return Ok(acc);
                }
            };
            let cx = Cx {
                path: &path,
                filters,
                rules: &rules,
                seen: &seen,
                warn,
            };
            match read::read(&path).and_then(|bytes| cx.reduce(&bytes, &mut acc)) {
                Ok(()) => Ok(acc),
                Err(reason) => {
                    skip(path.display().to_string(), reason)?;
                    Ok(acc)
                }
            }
        })
        .try_reduce(Acc::default, |a, b| Ok(a.merge(b)))?;
    let rules = rules.into_inner().unwrap_or_else(|e| e.into_inner());
    let (skipped_count, mut skipped_list) = skipped.into_inner().unwrap_or_else(|e| e.into_inner());
    skipped_list.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(summarize(acc, &rules, filters, skipped_count, skipped_list))
}

/// What folding one report needs besides the report.
struct Cx<'a> {
    path: &'a std::path::Path,
    filters: &'a Filters,
    rules: &'a RwLock<Rules>,
    seen: &'a seen::Seen,
    warn: &'a (dyn Fn(Warning) + Sync),
}

impl Cx<'_> {
    /// Parses one report and adds it to `acc`, unless the filters drop it
    /// or it was read before.
    fn reduce(&self, bytes: &[u8], acc: &mut Acc) -> Result<(), String> {
        let read = read::digest(bytes)?;
        let hostname = read.host(self.path);
        let d = &read.digest;
        if !self.filters.keeps_report(&hostname, &d.scan.started_at) {
            return Ok(());
        }
        // Before the report is counted: past the rule limit it is skipped.
        let outcomes = self.outcomes(&d.results)?;
        let admitted = seen::admit(
            &read,
            &hostname,
            self.path,
            self.filters,
            self.seen,
            self.warn,
            &mut acc.counts,
        );
        if !admitted {
            return Ok(());
        }
        acc.hosts.entry(hostname).or_default().add(ScanState {
            scanned_at: d.scan.started_at.to_string(),
            scan_id: d.scan.id.to_string(),
            identity: read.identity,
            score: read.score,
            tags: d.target.tags.clone(),
            outcomes,
        });
        Ok(())
    }

    /// The results as (rule index, outcome code), by rule index, indexing
    /// rules not seen before.
    fn outcomes(&self, results: &[read::ResultPart]) -> Result<Vec<(u32, u8)>, String> {
        let mut outcomes = Vec::with_capacity(results.len());
        let mut unknown = Vec::new();
        {
            let known = self.rules.read().unwrap_or_else(|e| e.into_inner());
            for r in results {
                match known.index.get(&*r.id) {
                    Some(&i) => outcomes.push((i, code(r.outcome))),
                    None => unknown.push(r),
                }
            }
        }
        if !unknown.is_empty() {
            let mut known = self.rules.write().unwrap_or_else(|e| e.into_inner());
            for r in unknown {
                let i = match known.index.get(&*r.id) {
                    Some(&i) => i,
                    None => {
                        if known.meta.len() >= MAX_FLEET_RULES {
                            return Err(format!(
                                "not read: the reports read so far name {MAX_FLEET_RULES} distinct rules, the most posture summarizes"
                            ));
                        }
                        let i = known.meta.len() as u32;
                        known.index.insert(r.id.to_string(), i);
                        known.meta.push((
                            r.id.to_string(),
                            cut(&r.title, MAX_TITLE_BYTES),
                            r.severity,
                        ));
                        i
                    }
                };
                outcomes.push((i, code(r.outcome)));
            }
        }
        // By rule index. Every result of one rule went to the same list
        // above, in report order: of a rule listed twice, the last counts.
        outcomes.reverse();
        outcomes.sort_by_key(|(i, _)| *i);
        outcomes.dedup_by_key(|(i, _)| *i);
        Ok(outcomes)
    }
}

/// `text` cut to at most `max` bytes at a character boundary, with `…`.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn summarize(
    acc: Acc,
    rules: &Rules,
    filters: &Filters,
    skipped_count: usize,
    skipped: Vec<Skipped>,
) -> Fleet {
    let kept: Vec<bool> = rules
        .meta
        .iter()
        .map(|(id, _, sev)| filters.keeps_rule(id, *sev))
        .collect();
    let mut stats: Vec<RuleStat> = rules
        .meta
        .iter()
        .map(|(id, title, severity)| RuleStat {
            id: id.clone(),
            title: title.clone(),
            severity: *severity,
            hosts: 0,
            failing: 0,
            fail_rate: 0.0,
            waived: 0,
            error: 0,
        })
        .collect();
    let mut by_outcome: BTreeMap<Outcome, usize> = Outcome::ALL.iter().map(|o| (*o, 0)).collect();
    let mut by_severity: BTreeMap<Severity, BTreeMap<Outcome, usize>> = Severity::ALL
        .iter()
        .map(|s| (*s, Outcome::ALL.iter().map(|o| (*o, 0)).collect()))
        .collect();
    let mut hosts = Vec::with_capacity(acc.hosts.len());
    let mut drift = Vec::new();
    let fail = code(Outcome::Fail);
    for (hostname, mut state) in acc.hosts {
        let Some(latest) = state.latest.take() else {
            continue;
        };
        for &(i, c) in &latest.outcomes {
            let i = i as usize;
            if !kept[i] {
                continue;
            }
            let stat = &mut stats[i];
            let o = outcome(c);
            stat.hosts += 1;
            match o {
                Outcome::Fail => stat.failing += 1,
                Outcome::Waived => stat.waived += 1,
                Outcome::Error => stat.error += 1,
                _ => {}
            }
            *by_outcome.entry(o).or_default() += 1;
            *by_severity
                .entry(stat.severity)
                .or_default()
                .entry(o)
                .or_default() += 1;
        }
        if let Some(prev) = &state.previous {
            // Both lists are by rule index: walk them together.
            let (mut a, mut b) = (
                prev.outcomes.iter().peekable(),
                latest.outcomes.iter().peekable(),
            );
            while let (Some(&&(i, before)), Some(&&(j, now))) = (a.peek(), b.peek()) {
                if i < j {
                    a.next();
                    continue;
                }
                if j < i {
                    b.next();
                    continue;
                }
                a.next();
                b.next();
                let i = i as usize;
                if !kept[i] || (before == fail) == (now == fail) {
                    continue;
                }
                let (id, _, severity) = &rules.meta[i];
                drift.push(Drift {
                    hostname: hostname.clone(),
                    rule: id.clone(),
                    severity: *severity,
                    change: if now == fail {
                        DriftKind::StartedFailing
                    } else {
                        DriftKind::StoppedFailing
                    },
                    since: prev.scanned_at.clone(),
                    at: latest.scanned_at.clone(),
                });
            }
        }
        state.trend.sort_by(|a, b| {
            (&a.scanned_at, &a.scan_id)
                .cmp(&(&b.scanned_at, &b.scan_id))
                .then(a.score.total_cmp(&b.score))
                .then(a.failed.cmp(&b.failed))
        });
        hosts.push(HostStat {
            failed: latest
                .outcomes
                .iter()
                .filter(|(i, c)| kept[*i as usize] && *c == fail)
                .count(),
            score_change: state
                .previous
                .as_ref()
                .map(|p| ((latest.score - p.score) * 10.0).round() / 10.0),
            hostname,
            tags: latest.tags,
            scanned_at: latest.scanned_at,
            scan_id: latest.scan_id,
            score: latest.score,
            trend: state.trend,
        });
    }
    for s in &mut stats {
        s.fail_rate = if s.hosts == 0 {
            0.0
        } else {
            (s.failing as f64 / s.hosts as f64 * 1000.0).round() / 1000.0
        };
    }
    let mut stats: Vec<RuleStat> = stats
        .into_iter()
        .enumerate()
        .filter(|(i, s)| kept[*i] && s.hosts > 0)
        .map(|(_, s)| s)
        .collect();
    stats.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.failing.cmp(&a.failing))
            .then_with(|| a.id.cmp(&b.id))
    });
    hosts.sort_by(|a, b| {
        a.score
            .total_cmp(&b.score)
            .then_with(|| a.hostname.cmp(&b.hostname))
    });
    drift.sort_by(|a, b| {
        b.at.cmp(&a.at)
            .then_with(|| a.hostname.cmp(&b.hostname))
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    let score = score_stats(hosts.iter().map(|h| h.score).collect());
    Fleet {
        schema_version: FLEET_SCHEMA_VERSION.into(),
        filters: FilterInfo {
            since: filters.since.clone(),
            host: filters.host.as_ref().map(|(g, _)| g.clone()),
            rules: filters.rules.clone(),
            severity: filters.severity,
        },
        summary: FleetSummary {
            hosts: hosts.len(),
            reports: acc.counts.reports,
            duplicates: acc.counts.duplicates,
            conflicts: acc.counts.conflicts,
            summaries_recomputed: acc.counts.recomputed,
            skipped: skipped_count,
            score,
            by_outcome,
            by_severity,
        },
        rules: stats,
        hosts,
        drift,
        skipped,
    }
}

fn score_stats(mut scores: Vec<f64>) -> Option<ScoreStats> {
    if scores.is_empty() {
        return None;
    }
    scores.sort_by(f64::total_cmp);
    let n = scores.len();
    let median = if n % 2 == 1 {
        scores[n / 2]
    } else {
        (scores[n / 2 - 1] + scores[n / 2]) / 2.0
    };
    let round = |x: f64| (x * 10.0).round() / 10.0;
    Some(ScoreStats {
        mean: round(scores.iter().sum::<f64>() / n as f64),
        median: round(median),
        min: scores[0],
        max: scores[n - 1],
    })
}

impl Fleet {
    /// The JSON Schema of the JSON output (`schema/fleet.schema.json`).
    pub fn schema() -> String {
        let mut schema = schemars::schema_for!(Fleet);
        schema.insert("x-schema-version".into(), FLEET_SCHEMA_VERSION.into());
        let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
        s.push('\n');
        s
    }
}

#[cfg(test)]
mod tests;
