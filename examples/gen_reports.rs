//! Generates a fleet of posture JSON reports: the benchmark input of
//! `posture aggregate`, and a realistic data set to try fleet tooling on.
//!
//! Each host gets one report per day for `--scans` days ending 2026-11-23,
//! written to `DIR/<host>/<YYYY-MM-DD>.json` (or `.json.gz`). The reports
//! are built from the crate's own report types and the first `--rules`
//! rules of the built-in policy, so they carry real ids, titles, severities
//! and references, evidence worded as the engine words it, and validate
//! against schema/report.schema.json.
//!
//! Everything follows from `--seed`: the same arguments give the same bytes.
//! Hosts differ in hardening (scores spread from about 30 to 95), in which
//! components they have (about 40% of results `not_applicable`), and in
//! operating system (Debian 12, Ubuntu 24.04, RHEL 9); from one day to the
//! next a few rules start failing or get fixed, and a few results are
//! `error`. Some failures are covered by waivers, a few of them expired.
//!
//! ```text
//! cargo run --release --example gen_reports -- --out /var/tmp/fleet
//! cargo run --release --example gen_reports -- --out /tmp/small --hosts 20 --scans 2 --corrupt 5
//! ```
//!
//! `--corrupt N` adds N unreadable files under `DIR/corrupt/` (truncated
//! JSON, text that is not JSON, a JSON array, a report of schema 9.0.0, an
//! empty file, in turn), for testing how a reader copes.

use clap::Parser;
use flate2::write::GzEncoder;
use flate2::Compression;
use posture::diag::Diagnostic;
use posture::engine::probe;
use posture::engine::{self, compare};
use posture::engine::{Evidence, Observation, Outcome, RuleResult};
use posture::facts::Source;
use posture::policy::{
    Assertion, Check, Condition, Literal, Op, Pattern, Policy, Probe, ProbeCheck, Quantifier, Rule,
    View,
};
use posture::report::{
    self, OsSummary, PolicyInfo, Report, RuleReport, Scan, Selection, TargetInfo, Tool, WaiverRef,
    WaiverState, WaiverStatus,
};
use rayon::prelude::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

#[derive(Parser, Debug)]
#[command(
    name = "gen_reports",
    about = "Write a fleet of realistic posture JSON reports: DIR/<host>/<YYYY-MM-DD>.json[.gz]",
    after_help = "Example: cargo run --release --example gen_reports -- --out /var/tmp/fleet --hosts 2500 --scans 4"
)]
struct Args {
    /// Directory to write into; it must be absent or empty.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of hosts (host-00001, host-00002, ...).
    #[arg(long, value_name = "N", default_value_t = 2500,
          value_parser = clap::value_parser!(u32).range(1..=9_999_999))]
    hosts: u32,
    /// Reports per host, one a day, the last on 2026-11-23.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    scans: u32,
    /// Results per report: the first N rules of the built-in policy.
    #[arg(long, value_name = "N", default_value_t = 400,
          value_parser = clap::value_parser!(u32).range(1..))]
    rules: u32,
    /// Seed of every random choice; the same seed gives the same files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Percentage of reports written gzip-compressed, as `.json.gz`.
    #[arg(long, value_name = "P", default_value_t = 25,
          value_parser = clap::value_parser!(u8).range(0..=100))]
    gzip_share: u8,
    /// Also write N broken files under DIR/corrupt/: truncated JSON, not
    /// JSON, a JSON array, schema version 9.0.0, empty, in turn.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    corrupt: u32,
    /// Percentage of each host's failing rules that have a waiver (one in
    /// eight of those waivers has expired, so its rule stays failed).
    #[arg(long, value_name = "P", default_value_t = 5,
          value_parser = clap::value_parser!(u8).range(0..=100))]
    waived_share: u8,
}

/// 2026-11-23, the day of the last scan, in days since 1970-01-01.
const LAST_DAY: u64 = 20_780;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("gen_reports: error: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Io(msg)) => {
            eprintln!("gen_reports: error: {msg}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    /// The arguments cannot work: exit 2, as for a parse error.
    Usage(String),
    Io(String),
}

fn run(args: &Args) -> Result<(), Failure> {
    let clock = Instant::now();
    let policies = posture::scan::builtin_policies()
        .map_err(|e| Failure::Io(format!("the built-in policy does not load:\n{e}")))?;
    let policy = policies
        .first()
        .ok_or_else(|| Failure::Io("no built-in policy".into()))?;
    let wanted = args.rules as usize;
    if wanted > policy.rules.len() {
        return Err(Failure::Usage(format!(
            "--rules {wanted}: the built-in policy has only {} rules",
            policy.rules.len()
        )));
    }
    check_out_dir(&args.out)?;
    let fleet = Fleet::new(args, policy, wanted);

    let stats = (0..args.hosts)
        .into_par_iter()
        .map(|i| fleet.write_host(i))
        .try_reduce(Stats::default, |a, b| Ok(a.add(b)))
        .map_err(Failure::Io)?;
    let corrupt = fleet.write_corrupt().map_err(Failure::Io)?;

    let secs = clock.elapsed().as_secs_f64();
    let mb = |b: u64| b as f64 / 1_000_000.0;
    let reports = stats.files.max(1) as f64;
    println!(
        "wrote {} reports ({} hosts x {} scans, {} rules, {} gzip) + {} corrupt to {}: \
         {:.1} MB on disk ({:.1} MB of JSON, {:.0} KB per report) in {:.1} s; \
         scores {:.1}-{:.1} (mean {:.1}), not_applicable {:.1}%, waived {:.1} per report",
        stats.files,
        args.hosts,
        args.scans,
        wanted,
        stats.gzipped,
        corrupt.files,
        args.out.display(),
        mb(stats.bytes + corrupt.bytes),
        mb(stats.json_bytes),
        stats.json_bytes as f64 / reports / 1000.0,
        secs,
        stats.min_score,
        stats.max_score,
        stats.score_sum / reports,
        100.0 * stats.not_applicable as f64 / stats.results.max(1) as f64,
        stats.waived as f64 / reports,
    );
    Ok(())
}

/// Files of an earlier run with other parameters would mix with the new
/// ones and skew whatever reads the directory.
fn check_out_dir(dir: &Path) -> Result<(), Failure> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Failure::Usage(format!(
                    "--out {}: the directory is not empty; give a new or empty one",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Io(format!("cannot create {}: {e}", dir.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Err(Failure::Usage(format!(
            "--out {}: not a directory",
            dir.display()
        ))),
        Err(e) => Err(Failure::Io(format!("cannot read {}: {e}", dir.display()))),
    }
}

#[derive(Debug)]
struct Stats {
    files: u64,
    gzipped: u64,
    bytes: u64,
    json_bytes: u64,
    results: u64,
    not_applicable: u64,
    waived: u64,
    score_sum: f64,
    min_score: f64,
    max_score: f64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            files: 0,
            gzipped: 0,
            bytes: 0,
            json_bytes: 0,
            results: 0,
            not_applicable: 0,
            waived: 0,
            score_sum: 0.0,
            min_score: f64::INFINITY,
            max_score: f64::NEG_INFINITY,
        }
    }
}

impl Stats {
    fn add(self, o: Stats) -> Stats {
        Stats {
            files: self.files + o.files,
            gzipped: self.gzipped + o.gzipped,
            bytes: self.bytes + o.bytes,
            json_bytes: self.json_bytes + o.json_bytes,
            results: self.results + o.results,
            not_applicable: self.not_applicable + o.not_applicable,
            waived: self.waived + o.waived,
            score_sum: self.score_sum + o.score_sum,
            min_score: self.min_score.min(o.min_score),
            max_score: self.max_score.max(o.max_score),
        }
    }
}

// ---------------------------------------------------------------------------
// Randomness: splitmix64, keyed by what a choice is about (host, rule, day)
// rather than drawn from one stream, so that a value stays put when other
// parameters change (a host's rule 12 fails whether or not 400 rules are
// generated) and hosts can be generated in parallel in any order.

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0x243f_6a88_85a3_08d3, |h, p| {
        mix(h ^ p.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    })
}

/// FNV-1a, to key choices by a name (a component's, a rule's).
fn name_key(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct Rng(u64);

impl Rng {
    fn new(parts: &[u64]) -> Rng {
        Rng(key(parts))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in lo..=hi.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

// Streams: the first key part, so that two kinds of choice about the same
// host never share a sequence.
const S_HOST: u64 = 1;
const S_COMPONENT: u64 = 2;
const S_RULE: u64 = 3;
const S_DRIFT: u64 = 4;
const S_EVIDENCE: u64 = 5;
const S_SCAN: u64 = 6;
const S_GZIP: u64 = 7;
const S_CORRUPT: u64 = 8;

// ---------------------------------------------------------------------------
// The fleet: hosts and their operating systems.

struct Os {
    id: &'static str,
    family: &'static str,
    version_id: &'static str,
    pretty_name: &'static str,
    kernel: &'static str,
    manager: &'static str,
    package_db: &'static str,
    /// A package version of the release's style: `{}` is the upstream version.
    version_style: &'static str,
}

const DEBIAN: Os = Os {
    id: "debian",
    family: "debian",
    version_id: "12",
    pretty_name: "Debian GNU/Linux 12 (bookworm)",
    kernel: "6.1.0-27-amd64",
    manager: "dpkg",
    package_db: "/var/lib/dpkg/status",
    version_style: "{}-2+deb12u3",
};
const UBUNTU: Os = Os {
    id: "ubuntu",
    family: "debian",
    version_id: "24.04",
    pretty_name: "Ubuntu 24.04.1 LTS",
    kernel: "6.8.0-48-generic",
    manager: "dpkg",
    package_db: "/var/lib/dpkg/status",
    version_style: "{}-1ubuntu4.2",
};
const RHEL: Os = Os {
    id: "rhel",
    family: "rhel",
    version_id: "9.4",
    pretty_name: "Red Hat Enterprise Linux 9.4 (Plow)",
    kernel: "5.14.0-427.22.1.el9_4.x86_64",
    manager: "rpm",
    package_db: "/var/lib/rpm/rpmdb.sqlite",
    version_style: "{}-4.el9_4",
};

struct Host {
    index: u32,
    name: String,
    os: &'static Os,
    tags: Vec<String>,
    /// The chance that a judged rule passes: the score follows it.
    hardening: f64,
    /// The chance that an optional component (auditd, a desktop, ufw...)
    /// is installed: fewer components, more `not_applicable`.
    richness: f64,
    /// The chance that a rule cannot be checked on the host.
    error_rate: f64,
    /// Seconds after midnight UTC the host's daily scan starts.
    start_secs: u64,
}

struct Fleet<'p> {
    args: &'p Args,
    policy: &'p Policy,
    rules: Vec<&'p Rule>,
    /// Ids of the policy's rules past `--rules`: a scan run with
    /// `--profile all` and these as `--skip-rule` writes exactly our reports.
    skipped: Vec<String>,
}

struct Waiver {
    line: u32,
    justification: &'static str,
    approver: &'static str,
    expires: Option<String>,
    expired: bool,
}

/// What is fixed about one rule on one host across its scans.
struct RuleState {
    /// Why the rule does not apply here; `None` when it does.
    not_applicable: Option<(String, Vec<Evidence>)>,
    /// Failing, as of the scan being generated.
    failing: bool,
    /// Cannot be checked: an unreadable file stays unreadable until
    /// someone looks, so errors persist from day to day.
    errored: bool,
    waiver: Option<Waiver>,
}

const JUSTIFICATIONS: &[&str] = &[
    "Legacy monitoring agent needs it; replacement scheduled in CHG-2291.",
    "Vendor appliance image; the vendor does not support changing it.",
    "Batch jobs of the finance team depend on it until the Q2 migration.",
    "Compensating control: the host is reachable from the bastion only.",
    "Accepted by the risk board, RISK-0412; reviewed every quarter.",
    "Build hosts run untrusted code in VMs only; see SEC-881.",
];
const APPROVERS: &[&str] = &[
    "jane.doe@example.com",
    "sam.lee@example.com",
    "ciso@example.com",
    "r.okafor@example.com",
];
const ROLES: &[&str] = &["web", "db", "app", "batch", "cache"];

impl<'p> Fleet<'p> {
    fn new(args: &'p Args, policy: &'p Policy, wanted: usize) -> Self {
        Fleet {
            args,
            policy,
            rules: policy.rules.iter().take(wanted).collect(),
            skipped: policy.rules[wanted..]
                .iter()
                .map(|r| r.id.clone())
                .collect(),
        }
    }

    fn seed(&self) -> u64 {
        self.args.seed
    }

    fn host(&self, index: u32) -> Host {
        let mut rng = Rng::new(&[self.seed(), S_HOST, u64::from(index)]);
        let os = match rng.range(0, 99) {
            0..=39 => &DEBIAN,
            40..=74 => &UBUNTU,
            _ => &RHEL,
        };
        let prod = rng.chance(0.7);
        let tags = vec![
            if prod { "prod" } else { "staging" }.to_string(),
            if rng.chance(0.55) { "dc1" } else { "dc2" }.to_string(),
            rng.pick(ROLES).to_string(),
        ];
        // Production is looked after a little better.
        let hardening = 0.30 + 0.58 * rng.unit() + if prod { 0.04 } else { 0.0 };
        Host {
            index,
            name: format!("host-{:05}", index + 1),
            os,
            tags,
            hardening,
            richness: 0.05 + 0.35 * rng.unit(),
            error_rate: 0.02 * rng.unit(),
            start_secs: rng.range(3600, 6 * 3600),
        }
    }

    /// Generates and writes every report of host `index`, oldest first.
    fn write_host(&self, index: u32) -> Result<Stats, String> {
        let host = self.host(index);
        let dir = self.args.out.join(&host.name);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut stats = Stats::default();
        let mut states = self.initial_states(&host);
        for scan in 0..self.args.scans {
            if scan > 0 {
                self.drift(&host, scan, &mut states);
            }
            let report = self.report(&host, scan, &states);
            let day = &report.scan.started_at[..10];
            let text = report::json::render(&report);
            let gzip = Rng::new(&[self.seed(), S_GZIP, u64::from(index), u64::from(scan)])
                .chance(f64::from(self.args.gzip_share) / 100.0);
            let path = dir.join(if gzip {
                format!("{day}.json.gz")
            } else {
                format!("{day}.json")
            });
            let bytes = write_file(&path, text.as_bytes(), gzip)?;
            stats.files += 1;
            stats.gzipped += u64::from(gzip);
            stats.bytes += bytes;
            stats.json_bytes += text.len() as u64;
            stats.results += report.results.len() as u64;
            stats.not_applicable += report.count(Outcome::NotApplicable) as u64;
            stats.waived += report.count(Outcome::Waived) as u64;
            stats.score_sum += report.summary.score;
            stats.min_score = stats.min_score.min(report.summary.score);
            stats.max_score = stats.max_score.max(report.summary.score);
        }
        Ok(stats)
    }

    fn initial_states(&self, host: &Host) -> Vec<RuleState> {
        let mut waiver_line = 3;
        self.rules
            .iter()
            .map(|rule| {
                let mut rng = Rng::new(&[
                    self.seed(),
                    S_RULE,
                    u64::from(host.index),
                    name_key(&rule.id),
                ]);
                let not_applicable = self.not_applicable(host, rule, &mut rng);
                let failing = !rng.chance(host.hardening);
                let errored = not_applicable.is_none() && rng.chance(host.error_rate);
                let waiver = (not_applicable.is_none()
                    && failing
                    && !errored
                    && rng.chance(f64::from(self.args.waived_share) / 100.0))
                .then(|| {
                    let line = waiver_line;
                    waiver_line += 5;
                    let (expires, expired) = match rng.range(0, 7) {
                        0 => (
                            Some(format!(
                                "2026-{:02}-{:02}",
                                rng.range(8, 10),
                                rng.range(1, 28)
                            )),
                            true,
                        ),
                        1 => (None, false),
                        _ => (
                            Some(format!(
                                "2027-{:02}-{:02}",
                                rng.range(1, 12),
                                rng.range(1, 28)
                            )),
                            false,
                        ),
                    };
                    Waiver {
                        line,
                        justification: rng.pick(JUSTIFICATIONS),
                        approver: rng.pick(APPROVERS),
                        expires,
                        expired,
                    }
                });
                RuleState {
                    not_applicable,
                    failing,
                    errored,
                    waiver,
                }
            })
            .collect()
    }

    /// Between two scans a few rules change: someone fixes a setting, a
    /// package update or a hand edit breaks another.
    fn drift(&self, host: &Host, scan: u32, states: &mut [RuleState]) {
        let mut rng = Rng::new(&[self.seed(), S_DRIFT, u64::from(host.index), u64::from(scan)]);
        for state in states.iter_mut() {
            if rng.chance(0.012) && state.not_applicable.is_none() {
                state.failing = !state.failing;
            }
        }
    }

    /// Whether `rule` applies to `host`, by its `applies_if` with the
    /// host's operating system and components; a rule without one is
    /// occasionally not applicable for what its probe did not find (a
    /// sysctl this kernel lacks).
    fn not_applicable(
        &self,
        host: &Host,
        rule: &Rule,
        rng: &mut Rng,
    ) -> Option<(String, Vec<Evidence>)> {
        match &rule.applies_if {
            Some(cond) => {
                let mut evidence = Vec::new();
                if self.holds(host, cond, &mut evidence) {
                    None
                } else {
                    let reason = format!(
                        "applies_if not met: {}",
                        posture::engine::summarize(&evidence)
                    );
                    Some((reason, Vec::new()))
                }
            }
            None if rng.chance(0.10) => {
                let leaf = leaves(&rule.check).into_iter().next()?;
                let note = missing_note(&leaf.probe);
                let evidence = vec![Evidence {
                    subject: engine::subject(leaf),
                    expected: engine::expectation(leaf),
                    observed: Vec::new(),
                    observed_count: 0,
                    outcome: Outcome::NotApplicable,
                    note: Some(note.clone()),
                }];
                Some((note, evidence))
            }
            None => None,
        }
    }

    /// Evaluates an `applies_if` on the host, as the engine would, keeping
    /// the evidence of every probe for the `not_applicable` reason.
    fn holds(&self, host: &Host, check: &Check, evidence: &mut Vec<Evidence>) -> bool {
        // Every child is evaluated, as the engine does, so the reason lists
        // all of them whatever decided the outcome.
        let mut children = |c: &[Check]| -> Vec<bool> {
            c.iter().map(|c| self.holds(host, c, evidence)).collect()
        };
        match check {
            Check::All(c) => children(c).into_iter().all(|b| b),
            Check::Any(c) => children(c).into_iter().any(|b| b),
            Check::None(c) => !children(c).into_iter().any(|b| b),
            Check::Not(c) => !self.holds(host, c, evidence),
            Check::Probe(p) => {
                let (ok, ev) = self.condition(host, p);
                evidence.push(ev);
                ok
            }
        }
    }

    /// One probe of an `applies_if`: facts about the target are answered
    /// from the host; any other probe observes a component the host has or
    /// lacks, the same for every rule that asks.
    fn condition(&self, host: &Host, check: &ProbeCheck) -> (bool, Evidence) {
        let fact = match &check.probe {
            Probe::Fact { path } => match path.as_str() {
                "os.family" => Some(json!(host.os.family)),
                "os.id" => Some(json!(host.os.id)),
                "os.version_id" => Some(json!(host.os.version_id)),
                "target.kind" => Some(json!("live")),
                "system.arch" => Some(json!("x86_64")),
                _ => None,
            },
            _ => None,
        };
        let (ok, observed, note) = match fact {
            Some(value) => {
                let matched = match &check.assertion {
                    Assertion::Value(c) => compare::holds(c, &value),
                    Assertion::Exists(want) => *want,
                    Assertion::Count(c) => compare::count_holds(c, 1),
                };
                let obs = Observation {
                    value,
                    source: None,
                    note: None,
                    matched,
                };
                (matched, vec![obs], None)
            }
            None => {
                let present = Rng::new(&[
                    self.seed(),
                    S_COMPONENT,
                    u64::from(host.index),
                    name_key(&probe::describe(&check.probe)),
                ])
                .chance(host.richness);
                let ok = match check.assertion {
                    Assertion::Exists(false) => !present,
                    _ => present,
                };
                if present {
                    // Not keyed by host: a managed fleet runs one version
                    // of a package per release.
                    let mut rng =
                        Rng::new(&[self.seed(), S_COMPONENT, name_key(&engine::subject(check))]);
                    let obs = Observation {
                        value: record(&check.probe, host.os, &mut rng),
                        source: source(&check.probe, host.os, &mut rng),
                        note: None,
                        matched: true,
                    };
                    (ok, vec![obs], None)
                } else {
                    (ok, Vec::new(), Some(missing_note(&check.probe)))
                }
            }
        };
        let evidence = Evidence {
            subject: engine::subject(check),
            expected: engine::expectation(check),
            observed_count: observed.len(),
            observed,
            outcome: if ok { Outcome::Pass } else { Outcome::Fail },
            note,
        };
        (ok, evidence)
    }

    fn report(&self, host: &Host, scan: u32, states: &[RuleState]) -> Report {
        let day = LAST_DAY - u64::from(self.args.scans - 1 - scan);
        let mut rng = Rng::new(&[self.seed(), S_SCAN, u64::from(host.index), u64::from(scan)]);
        let started = day * 86_400 + host.start_secs + rng.range(0, 900);
        let started = SystemTime::UNIX_EPOCH
            + Duration::from_secs(started)
            + Duration::from_millis(rng.range(0, 999));
        let duration_ms = rng.range(700, 4_000);

        let mut results = Vec::with_capacity(self.rules.len());
        let mut waivers = Vec::new();
        for (rule, state) in self.rules.iter().zip(states) {
            let outcome = match (&state.not_applicable, state.errored, state.failing) {
                (Some(_), _, _) => Outcome::NotApplicable,
                (None, true, _) => Outcome::Error,
                (None, false, true) => Outcome::Fail,
                (None, false, false) => Outcome::Pass,
            };
            let (reason, evidence) = match &state.not_applicable {
                Some((reason, evidence)) => (Some(reason.clone()), evidence.clone()),
                None => self.evidence(host, rule, outcome),
            };
            let duration = Duration::from_micros(rng.range(15, 2_500));
            let mut result = report::rule_report(
                self.policy,
                rule,
                RuleResult {
                    outcome,
                    reason,
                    evidence,
                    duration,
                },
            );
            if let Some(w) = &state.waiver {
                self.apply_waiver(rule, w, &mut result, &mut waivers);
            }
            results.push(result);
        }
        let diagnostics = if rng.chance(0.03) {
            vec![Diagnostic::new(
                "/etc/security/limits.conf",
                "malformed line: expected `<domain> <type> <item> <value>`",
            )
            .at(rng.range(20, 60) as u32, None)]
        } else {
            Vec::new()
        };
        let mut report = Report {
            schema_version: report::SCHEMA_VERSION.to_string(),
            tool: Tool {
                name: "posture".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            scan: Scan {
                id: scan_id(
                    self.seed(),
                    u64::from(host.index) * u64::from(self.args.scans) + u64::from(scan),
                ),
                started_at: posture::scan::rfc3339(started),
                finished_at: posture::scan::rfc3339(started + Duration::from_millis(duration_ms)),
                duration_ms,
            },
            target: TargetInfo {
                kind: "live".into(),
                root: None,
                hostname: Some(host.name.clone()),
                tags: host.tags.clone(),
                os: OsSummary {
                    id: host.os.id.into(),
                    family: host.os.family.into(),
                    version_id: Some(host.os.version_id.into()),
                    pretty_name: Some(host.os.pretty_name.into()),
                    kernel: Some(host.os.kernel.into()),
                    arch: Some("x86_64".into()),
                },
            },
            policies: vec![PolicyInfo {
                id: self.policy.id.clone(),
                title: self.policy.title.clone(),
                version: self.policy.version.clone(),
                file: self.policy.file.clone(),
                digest: self.policy.digest.clone(),
                rules: self.policy.rules.len(),
            }],
            selection: Selection {
                profile: Some(posture::policy::ALL_PROFILES.into()),
                rules: Vec::new(),
                skipped_rules: self.skipped.clone(),
            },
            summary: report::summarize(&results),
            results,
            diagnostics,
            waivers,
            verdict: None,
        };
        // As `posture scan` judges it with the default gate.
        report.judge(&report::gate::Gate::default());
        report
    }

    /// Marks a failure waived, or notes the expired waiver on it, as
    /// `posture scan --waivers` does, and lists the waiver with its fate.
    fn apply_waiver(
        &self,
        rule: &Rule,
        w: &Waiver,
        result: &mut RuleReport,
        waivers: &mut Vec<WaiverStatus>,
    ) {
        let failed = result.outcome == Outcome::Fail;
        let status = if w.expired {
            WaiverState::Expired
        } else if failed {
            WaiverState::Applied
        } else {
            WaiverState::NotNeeded
        };
        let location = format!("/etc/posture/waivers.yaml:{}", w.line);
        if failed {
            result.waiver = Some(WaiverRef {
                location: location.clone(),
                justification: w.justification.into(),
                approver: w.approver.into(),
                expires: w.expires.clone(),
                expired: w.expired,
            });
            if !w.expired {
                result.outcome = Outcome::Waived;
            }
        }
        waivers.push(WaiverStatus {
            rule: rule.id.clone(),
            location,
            justification: w.justification.into(),
            approver: w.approver.into(),
            expires: w.expires.clone(),
            status,
            rules: vec![rule.id.clone()],
            rules_count: 1,
        });
    }

    /// The reason and evidence of a judged rule: one or two of its probes,
    /// with values that meet or break the probe's condition as the outcome
    /// needs. Keyed by host and rule, so a rule shows the same lines and
    /// values every day until its outcome changes.
    fn evidence(
        &self,
        host: &Host,
        rule: &Rule,
        outcome: Outcome,
    ) -> (Option<String>, Vec<Evidence>) {
        let mut rng = Rng::new(&[
            self.seed(),
            S_EVIDENCE,
            u64::from(host.index),
            name_key(&rule.id),
        ]);
        let probes = leaves(&rule.check);
        let n = probes.len().min(rng.range(1, 2) as usize);
        // Under `any` a failure is every alternative failing; under the
        // other combinators one failed probe is enough to show.
        let all_fail = matches!(rule.check, Check::Any(_));
        let mut reason = None;
        let evidence = probes[..n]
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let want = match outcome {
                    Outcome::Error if i == 0 => {
                        let r = error_reason(&p.probe, host.os, &mut rng);
                        reason = Some(r.clone());
                        return Evidence {
                            subject: engine::subject(p),
                            expected: engine::expectation(p),
                            observed: Vec::new(),
                            observed_count: 0,
                            outcome: Outcome::Error,
                            note: Some(r),
                        };
                    }
                    Outcome::Fail if i == 0 || all_fail => false,
                    _ => true,
                };
                probe_evidence(p, want, host.os, &mut rng)
            })
            .collect();
        (reason, evidence)
    }

    /// The broken files of `--corrupt`, each kind in turn.
    fn write_corrupt(&self) -> Result<Stats, String> {
        let mut stats = Stats::default();
        if self.args.corrupt == 0 {
            return Ok(stats);
        }
        let dir = self.args.out.join("corrupt");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for i in 0..self.args.corrupt {
            // A host past the fleet, so no real host's history changes.
            let host = self.host(self.args.hosts.saturating_add(i));
            let states = self.initial_states(&host);
            let report = || self.report(&host, self.args.scans - 1, &states);
            let (kind, text): (&str, Vec<u8>) = match i % 5 {
                0 => {
                    let text = report::json::render(&report());
                    let mut rng = Rng::new(&[self.seed(), S_CORRUPT, u64::from(i)]);
                    let cut = text.len() * rng.range(20, 90) as usize / 100;
                    let cut = (0..=cut).rev().find(|c| text.is_char_boundary(*c)).unwrap_or(0);
                    ("truncated", text.as_bytes()[..cut].to_vec())
                }
                1 => (
                    "not-json",
                    b"<html><head><title>502 Bad Gateway</title></head>\n<body>502 Bad Gateway</body></html>\n"
                        .to_vec(),
                ),
                2 => {
                    let json = serde_json::to_string_pretty(&vec![report()]).unwrap_or_default();
                    ("array", json.into_bytes())
                }
                3 => {
                    let mut r = report();
                    r.schema_version = "9.0.0".into();
                    ("schema-9", report::json::render(&r).into_bytes())
                }
                _ => ("empty", Vec::new()),
            };
            let path = dir.join(format!("{:04}-{kind}.json", i + 1));
            stats.bytes += write_file(&path, &text, false)?;
            stats.files += 1;
        }
        Ok(stats)
    }
}

/// Writes `bytes` (gzip-compressed when `gzip`) and returns the size on disk.
fn write_file(path: &Path, bytes: &[u8], gzip: bool) -> Result<u64, String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let data = if gzip {
        let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 8), Compression::default());
        enc.write_all(bytes).map_err(fail)?;
        enc.finish().map_err(fail)?
    } else {
        bytes.to_vec()
    };
    std::fs::write(path, &data).map_err(fail)?;
    Ok(data.len() as u64)
}

/// A version-4 UUID whose last 48 bits are a bijection of `serial` (host
/// and scan), so ids are unique in any fleet below 2^48 reports; the other
/// bits are drawn from the seed and `serial`.
fn scan_id(seed: u64, serial: u64) -> String {
    const MASK: u64 = (1 << 48) - 1;
    let mut node = (serial ^ key(&[seed])) & MASK;
    node = node.wrapping_mul(0x5851_f42d_4c95_7f2d | 1) & MASK;
    node ^= node >> 23;
    node = node.wrapping_mul(0x1405_7b7e_f767_814f | 1) & MASK;
    node ^= node >> 19;
    let mut rng = Rng::new(&[seed, S_SCAN, serial, u64::MAX]);
    let (hi, mid) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0x0fff,
        0x8000 | (mid & 0x3fff),
        node
    )
}

// ---------------------------------------------------------------------------
// Evidence, in the engine's words: subject and expectation as
// `engine::eval_probe` writes them, values that really meet (or break) the
// probe's condition by `engine::compare`, and the file and line a value of
// that probe is read from.

fn leaves(check: &Check) -> Vec<&ProbeCheck> {
    fn visit<'a>(c: &'a Check, out: &mut Vec<&'a ProbeCheck>) {
        match c {
            Check::All(cs) | Check::Any(cs) | Check::None(cs) => {
                cs.iter().for_each(|c| visit(c, out))
            }
            Check::Not(c) => visit(c, out),
            Check::Probe(p) => out.push(p),
        }
    }
    let mut out = Vec::new();
    visit(check, &mut out);
    out
}

/// What a probe notes when it finds nothing, as `engine::probe` words it.
fn missing_note(p: &Probe) -> String {
    match p {
        Probe::Package { name } => format!("{name} is not installed"),
        Probe::Service { name } => format!("no unit named {name}"),
        Probe::File { path, .. } | Probe::FileContent { path, .. } => {
            format!("{} does not exist", concrete(path))
        }
        Probe::Config { path, key, .. } => format!("{key} is not set in {}", concrete(path)),
        Probe::Sshd { keyword, .. } => format!("{keyword} is not set and has no default"),
        Probe::Sysctl { key, .. } => format!("{key} does not exist in this kernel"),
        Probe::Mount { mountpoint, .. } => format!("{mountpoint} is not a separate mount"),
        Probe::KernelModule { name } => format!("{name} is not available in this kernel"),
        Probe::User { name } => format!("no user {name}"),
        Probe::Group { name } => format!("no group {name}"),
        Probe::Listening { .. } => "no listening sockets".into(),
        Probe::Process { name } => format!("no process {name}"),
        Probe::Fact { path } => format!("{path} is unknown"),
        Probe::Walk { .. } => "nothing found".into(),
        Probe::LoginDefs { key } => format!("{key}: not set; shadow's tools use the default"),
        Probe::KernelParam { .. } => {
            "no boot configuration found (GRUB defaults, boot loader entries, /etc/kernel/cmdline)"
                .into()
        }
        Probe::AuditRule { .. } => "no rule is loaded from /etc/audit/rules.d/50-cis.rules".into(),
        Probe::SudoDefault { name, .. } => format!(
            "{name} is not set by a global Defaults, and its built-in value depends on the host"
        ),
        Probe::SudoRule { command } => format!("no sudoers rule for {command}"),
    }
}

fn error_reason(p: &Probe, os: &Os, rng: &mut Rng) -> String {
    if let Probe::Package { .. } = p {
        return format!(
            "the {} package database cannot be read; cannot tell what is installed",
            os.manager
        );
    }
    let file = source(p, os, rng).map_or_else(|| "/proc/self/status".into(), |s| s.file);
    match rng.range(0, 2) {
        0 => format!("{file}: permission denied (os error 13)"),
        1 => format!("{file}: is a directory, not a regular file; not read"),
        _ => format!("{file}: line {}: invalid UTF-8; not read", rng.range(2, 80)),
    }
}

/// A path of the target for a path pattern: the first brace alternative,
/// a plausible name for a glob.
fn concrete(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '{' => {
                let mut first = true;
                for c in chars.by_ref() {
                    match c {
                        '}' => break,
                        ',' => first = false,
                        c if first => out.push(c),
                        _ => {}
                    }
                }
            }
            '*' => out.push_str("50-local"),
            '?' => out.push('0'),
            c => out.push(c),
        }
    }
    match out.strip_prefix("~/") {
        Some(rest) => format!("/home/admin/{rest}"),
        None => out,
    }
}

/// Where a value of this probe is read.
fn source(p: &Probe, os: &Os, rng: &mut Rng) -> Option<Source> {
    let line = rng.range(2, 140) as u32;
    Some(match p {
        Probe::File { path, .. } => Source::file(concrete(path)),
        Probe::FileContent { path, .. } | Probe::Config { path, .. } => {
            Source::line(concrete(path), line)
        }
        Probe::Sshd { .. } => {
            if rng.chance(0.7) {
                Source::line("/etc/ssh/sshd_config", line)
            } else {
                Source::line("/etc/ssh/sshd_config.d/50-cloud-init.conf", line % 12 + 1)
            }
        }
        Probe::Sysctl { key, from, .. } => match from {
            View::Runtime => Source::file(format!("/proc/sys/{}", key.replace('.', "/"))),
            View::Configured => Source::line("/etc/sysctl.d/99-hardening.conf", line % 40 + 1),
        },
        Probe::Package { .. } => {
            if os.manager == "rpm" {
                Source::file(os.package_db)
            } else {
                Source::line(os.package_db, line * 97)
            }
        }
        Probe::Service { name } => Source::file(format!("/usr/lib/systemd/system/{name}")),
        Probe::KernelModule { name } => {
            Source::line(format!("/etc/modprobe.d/{name}.conf"), line % 3 + 1)
        }
        Probe::Mount { from, .. } => match from {
            View::Runtime => Source::line("/proc/self/mountinfo", line % 40 + 1),
            View::Configured => Source::line("/etc/fstab", line % 20 + 1),
        },
        Probe::User { .. } => Source::line("/etc/passwd", line % 40 + 1),
        Probe::Group { .. } => Source::line("/etc/group", line % 60 + 1),
        Probe::Listening { .. } => Source::line("/proc/net/tcp", line % 30 + 1),
        Probe::Process { .. } => Source::file(format!("/proc/{}/status", rng.range(300, 90_000))),
        Probe::Walk { .. } => Source::file(rng.pick(WALK_FINDS).to_string()),
        Probe::LoginDefs { .. } => Source::line("/etc/login.defs", line % 300 + 1),
        Probe::AuditRule { .. } => Source::line("/etc/audit/rules.d/50-cis.rules", line % 60 + 1),
        Probe::Fact { .. } => return None,
        Probe::KernelParam { from, fallback, .. } => match (from, fallback) {
            (View::Runtime, false) => Source::line("/proc/cmdline", 1),
            _ => Source::line("/etc/default/grub.d/60-hardening.cfg", line % 6 + 1),
        },
        Probe::SudoDefault { .. } | Probe::SudoRule { .. } => {
            if rng.chance(0.6) {
                Source::line("/etc/sudoers", line % 40 + 1)
            } else {
                Source::line("/etc/sudoers.d/50-local", line % 8 + 1)
            }
        }
    })
}

const WALK_FINDS: &[&str] = &[
    "/var/tmp/cache.db",
    "/opt/vendor/bin/agent",
    "/srv/share/upload",
    "/usr/local/bin/backup.sh",
    "/home/admin/.cache",
];

/// What a probe observes of a thing when the check asks only whether it is
/// there: the record the engine's probe would list.
fn record(p: &Probe, os: &Os, rng: &mut Rng) -> Value {
    match p {
        Probe::Package { name } => json!({
            "name": name,
            "version": os.version_style.replace("{}", &format!("{}.{}.{}", rng.range(1, 9), rng.range(0, 20), rng.range(0, 9))),
            "arch": if os.manager == "rpm" { "x86_64" } else { "amd64" },
            "manager": os.manager,
        }),
        Probe::Service { name } => {
            json!({ "name": name, "state": "enabled", "enabled": true, "active": true })
        }
        Probe::File { path, .. } => {
            json!({ "path": concrete(path), "type": "file", "mode": "0644", "uid": 0, "gid": 0 })
        }
        Probe::KernelModule { name } => {
            json!({ "name": name, "loaded": false, "blacklisted": true, "install": "/bin/false", "disabled": true })
        }
        Probe::Mount { mountpoint, .. } => {
            json!({ "mountpoint": mountpoint, "device": "/dev/mapper/vg0-lv", "fstype": "ext4", "options": ["rw", "nosuid", "nodev"] })
        }
        Probe::Listening { port } => {
            json!({ "port": port.unwrap_or(22), "address": "0.0.0.0", "protocol": "tcp" })
        }
        Probe::Walk { .. } => json!(rng.pick(WALK_FINDS)),
        Probe::AuditRule { .. } => json!({
            "list": "exit", "action": "always", "watch": "/etc/passwd", "perms": ["w", "a"],
            "filters": [], "keys": ["identity"], "text": "-w /etc/passwd -p wa -k identity",
        }),
        Probe::FileContent { line, .. } => json!(line_text(line.as_ref())),
        other => json!(probe::describe(other)),
    }
}

/// A line a `file_content` probe could list: the pattern's words, or what
/// its first group captures of them, as the engine lists it.
fn line_text(pattern: Option<&Pattern>) -> String {
    let Some(p) = pattern else {
        return "# Managed by configuration management; local changes are overwritten.".into();
    };
    let words = pattern_words(p.as_str());
    let captured = p.compiled().ok().and_then(|re| {
        re.captures(&words)
            .and_then(|c| c.get(1).or_else(|| c.get(0)))
            .map(|m| m.as_str().to_string())
    });
    captured.unwrap_or(words)
}

/// Whether the probe's values are text read from a file, which the
/// engine reports as strings even when they read as numbers.
fn textual(p: &Probe) -> bool {
    matches!(
        p,
        Probe::Sshd { .. }
            | Probe::Config { .. }
            | Probe::FileContent { .. }
            | Probe::Sysctl { .. }
    )
}

fn literal_value(l: &Literal, text: bool) -> Value {
    match l {
        Literal::Null => Value::Null,
        Literal::Bool(b) => json!(b),
        Literal::Number(_, t) if text => json!(t),
        Literal::Number(n, _) => number_value(*n),
        Literal::Str(s) => json!(s),
        Literal::List(items) => {
            Value::Array(items.iter().map(|i| literal_value(i, text)).collect())
        }
    }
}

fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

/// The words of a pattern, as a line of a file it could match:
/// `^\s*password\s+\S+\s+pam_pwquality\.so` gives `password pam_pwquality.so`.
fn pattern_words(pattern: &str) -> String {
    let mut words = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('s' | 'S' | 'b' | 'd' | 'w' | 'W' | 'B' | 'D') | None => words.push(' '),
                Some(e) => words.push(e),
            },
            '[' => {
                for c in chars.by_ref() {
                    if c == ']' {
                        break;
                    }
                }
                words.push(' ');
            }
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
            }
            '(' => {
                if chars.peek() == Some(&'?') {
                    chars.next();
                    while chars
                        .peek()
                        .is_some_and(|c| !c.is_alphanumeric() && *c != '(')
                    {
                        chars.next();
                    }
                }
                words.push(' ');
            }
            '^' | '$' | '*' | '+' | '?' | '|' | ')' => words.push(' '),
            c => words.push(c),
        }
    }
    words
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Values to try for a condition, the operand first: the first that meets
/// the condition is what a compliant host shows, the others what a
/// non-compliant one might.
fn candidates(cond: &Condition, text: bool) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let operands: Vec<&Literal> = match &cond.operand {
        Literal::List(items) if !matches!(cond.op, Op::Equals | Op::NotEquals) => {
            items.iter().collect()
        }
        l => vec![l],
    };
    for l in &operands {
        out.push(literal_value(l, text));
    }
    let num = |n: f64| {
        if text {
            json!(number_value(n).to_string())
        } else {
            number_value(n)
        }
    };
    match &cond.op {
        Op::ModeAtMost(bits) => {
            for m in [*bits, bits & 0o640, bits | 0o044, bits | 0o022, 0o777] {
                out.push(json!(format!("{m:04o}")));
            }
        }
        Op::ModeHas(bits) => {
            for m in [bits | 0o755, 0o755, 0o777] {
                out.push(json!(format!("{m:04o}")));
            }
        }
        Op::Matches(p) | Op::NotMatches(p) => {
            let words = pattern_words(p.as_str());
            out.push(json!(format!("# {words}")));
            out.push(json!(words));
        }
        Op::VersionLt | Op::VersionLe | Op::VersionGt | Op::VersionGe => {
            out.extend([json!("0.9.1"), json!("99.1")]);
        }
        Op::Contains | Op::NotContains => {
            if let Some(t) = compare::text(&literal_value(&cond.operand, true)) {
                out.push(json!(format!("defaults,{t}")));
            }
            out.push(json!("defaults"));
        }
        _ => {}
    }
    for l in &operands {
        let n = match l {
            Literal::Number(n, _) => Some(*n),
            Literal::Str(s) => s.parse::<f64>().ok(),
            _ => None,
        };
        if let Some(n) = n {
            out.extend([num(n - 1.0), num(n + 1.0), num(n * 2.0 + 1.0), num(0.0)]);
        }
        if let Literal::Bool(b) = l {
            out.push(json!(!b));
        }
    }
    for s in [
        "yes", "no", "none", "1", "0", "root", "disabled", "enabled", "",
    ] {
        out.push(if text {
            json!(s)
        } else {
            s.parse::<i64>().map_or_else(|_| json!(s), |n| json!(n))
        });
    }
    out
}

/// A value that meets `cond` when `want`, breaks it otherwise: the first
/// candidate that does for a pass (the operand itself, usually), one of the
/// first few for a failure.
fn value_for(cond: &Condition, want: bool, text: bool, rng: &mut Rng) -> Option<Value> {
    let fits: Vec<Value> = candidates(cond, text)
        .into_iter()
        .filter(|v| compare::holds(cond, v) == want)
        .collect();
    if fits.is_empty() {
        return None;
    }
    let i = if want {
        0
    } else {
        rng.range(0, fits.len().min(3) as u64 - 1) as usize
    };
    fits.into_iter().nth(i)
}

fn probe_evidence(check: &ProbeCheck, pass: bool, os: &Os, rng: &mut Rng) -> Evidence {
    let text = textual(&check.probe);
    let many = matches!(
        check.probe,
        Probe::FileContent { .. }
            | Probe::User { .. }
            | Probe::Group { .. }
            | Probe::Walk { .. }
            | Probe::AuditRule { .. }
            | Probe::Listening { .. }
            | Probe::Process { .. }
    ) || matches!(
        check.probe,
        Probe::Sshd {
            include_match: true,
            ..
        }
    ) || matches!(&check.probe, Probe::File { path, .. } if path.contains('*'));
    let count = if many { rng.range(1, 2) as usize } else { 1 };
    let observe = |value: Value, matched: bool, rng: &mut Rng| {
        // sshd falls back on OpenSSH's compiled-in default when no file sets the keyword.
        let default = matches!(check.probe, Probe::Sshd { .. }) && rng.chance(0.25);
        Observation {
            value,
            source: if default {
                None
            } else {
                source(&check.probe, os, rng)
            },
            note: default.then(|| "OpenSSH default".to_string()),
            matched,
        }
    };
    let nothing = |outcome: Outcome| Evidence {
        subject: engine::subject(check),
        expected: engine::expectation(check),
        observed: Vec::new(),
        observed_count: 0,
        outcome,
        note: Some(missing_note(&check.probe)),
    };
    let outcome = if pass { Outcome::Pass } else { Outcome::Fail };
    let observed: Vec<Observation> = match &check.assertion {
        Assertion::Exists(want) => {
            if pass != *want {
                return nothing(outcome);
            }
            (0..count)
                .map(|_| {
                    let v = record(&check.probe, os, rng);
                    observe(v, true, rng)
                })
                .collect()
        }
        Assertion::Count(cond) => {
            let Some(k) = (0..=3).find(|k| compare::count_holds(cond, *k) == pass) else {
                return nothing(outcome);
            };
            if k == 0 {
                return nothing(outcome);
            }
            (0..k)
                .map(|_| {
                    let v = record(&check.probe, os, rng);
                    observe(v, true, rng)
                })
                .collect()
        }
        Assertion::Value(cond) => {
            // Which items meet the condition, offending ones first, for the
            // quantifier to give the outcome wanted.
            let pattern: Vec<bool> = match (check.quantifier, pass) {
                (Quantifier::All, true) => vec![true; count],
                (Quantifier::All, false) => [false, true][..count].to_vec(),
                (Quantifier::Any, true) => [true, false][..count].to_vec(),
                (Quantifier::Any, false) => vec![false; count],
                (Quantifier::None, true) => vec![false; count],
                (Quantifier::None, false) => [true, false][..count].to_vec(),
            };
            let mut observed = Vec::with_capacity(count);
            for m in pattern {
                match value_for(cond, m, text, rng) {
                    Some(v) => observed.push(observe(v, m, rng)),
                    None => return nothing(outcome),
                }
            }
            observed
        }
    };
    Evidence {
        subject: engine::subject(check),
        expected: engine::expectation(check),
        observed_count: observed.len(),
        observed,
        outcome,
        note: None,
    }
}
