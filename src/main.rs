//! The `posture` command line: argument parsing and output, nothing else.

use anyhow::{bail, Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use posture::fleet::export::ExportFormat;
use posture::fleet::render::FleetFormat;
use posture::output::{self, OutputFile};
use posture::policy::{self, Policy, Severity};
use posture::report::explain;
use posture::report::gate::{Gate, Status};
use posture::report::table::{Style, Verbosity};
use posture::report::{self, Format, Report};
use posture::scan::{self, Selector};
use posture::target::Target;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXIT_CODES: &str = "\
Exit codes:
  0  PASSED: no rule at or above --fail-on failed or went unchecked, and the
     score is at least --min-score
  1  FAILED: a rule failed (at or above --fail-on), or the score is below
     --min-score
  2  usage error or bad input (arguments, policy, waivers or report files,
     no policy or no rule selected, a --root that cannot be read or holds no
     operating system)
  3  INCOMPLETE: nothing failed, but a rule at or above --fail-on could not
     be checked (outcome `error`, e.g. a file only root can read); pass
     --allow-errors to accept that

Examples:
  posture scan                                  # this host, built-in policy
  posture explain ssh-root-login-disabled       # one rule: evidence and fix
  posture scan --format json -o report.json     # save the canonical report
  posture scan --fail-on high --min-score 80    # CI gate
  posture scan --waivers waivers.yaml --format sarif -o posture.sarif
  posture report report.json --format html -o report.html";

const AGGREGATE_HELP: &str = "\
Exit codes:
  0  the summary was written (files that are not reports are skipped, with
     a warning each, and counted)
  1  never
  2  usage error, no readable report found, or (with --strict) a file that
     is not a readable report

Examples:
  posture aggregate /srv/reports                       # every *.json and *.json.gz below
  posture aggregate /srv/reports --since 2026-11-01 --host 'web*'
  posture aggregate /srv/reports --severity high --format csv -o rules.csv";

const EXPORT_HELP: &str = "\
The columns are documented in docs/fleet.md, with SQL for DuckDB, Spark and
ClickHouse.

Exit codes:
  0  the file was written (files that are not reports are skipped, with a
     warning each)
  2  usage error, no readable report found, a write error, or (with
     --strict) a file that is not a readable report

Examples:
  posture export /srv/reports --format parquet -o fleet.parquet
  posture export /srv/reports --format ndjson --bulk-index posture -o bulk.ndjson";

const EXPLAIN_HELP: &str = "\
The rule is evaluated alone, whatever the profile, as `posture scan --rule
ID --profile all` would; `posture rules show ID` prints the same without
scanning. The remediation is printed last, exactly as the policy wrote it.

Exit codes:
  0  the rule passed or does not apply
  1  the rule failed
  2  usage error, unknown rule id, or bad input
  3  the rule could not be checked (e.g. a file only root can read)

Examples:
  posture explain ssh-root-login-disabled
  posture explain file-perm-shadow --root /srv/images/golden";

const DIFF_EXIT_CODES: &str = "\
Exit codes:
  0  nothing regressed
  1  a rule that did not fail before fails now
  2  usage error or bad input";

#[derive(Parser)]
#[command(
    name = "posture",
    version,
    about = "Endpoint security posture scanner: collects a host's configuration, checks it against policy rules, reports.",
    after_help = EXIT_CODES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan this host (or a root filesystem) against the policy and report.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// Print the facts collected from this host (or a root filesystem) as JSON.
    Inventory(InventoryArgs),
    /// Render a saved JSON report in another format, optionally with
    /// (other) waivers and a CI gate, without scanning again.
    #[command(after_help = EXIT_CODES)]
    Report(ReportArgs),
    /// Compare two JSON reports of the same target: new failures, fixed,
    /// still failing, rules added and removed, and the score change.
    #[command(after_help = DIFF_EXIT_CODES)]
    Diff(DiffArgs),
    /// Fold many hosts' JSON reports (files or directories, plain or gzip)
    /// into a fleet summary: scores, failing hosts per rule, per-host trend,
    /// and drift between each host's two latest reports.
    #[command(after_help = AGGREGATE_HELP)]
    Aggregate(AggregateArgs),
    /// Write many hosts' JSON reports as flat rows, one per (host, scan,
    /// rule), for DuckDB, Spark, ClickHouse or OpenSearch: Parquet or NDJSON.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
    /// One rule's full story on this host (or a root filesystem): outcome,
    /// evidence with file:line, rationale, the check as written in the
    /// policy, references, and the remediation as plain text to paste.
    #[command(after_help = EXPLAIN_HELP)]
    Explain(ExplainArgs),
    /// List, show and validate policy rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print the JSON Schema of the JSON report, of `posture diff --format
    /// json` or of `posture aggregate --format json`.
    Schema {
        #[arg(value_enum, default_value_t = SchemaKind::Report)]
        kind: SchemaKind,
    },
    /// Print the completion script for SHELL; see README.md for where to
    /// install it (`posture completions bash > ~/.local/share/bash-completion/completions/posture`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page posture(1) to standard output, or write it and a
    /// page per subcommand (posture-scan(1), ...) into DIR.
    Man {
        /// Write posture.1 and posture-SUBCOMMAND.1 into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchemaKind {
    /// The report (`posture scan --format json`).
    Report,
    /// The comparison (`posture diff --format json`).
    Diff,
    /// The fleet summary (`posture aggregate --format json`).
    Fleet,
}

#[derive(Args)]
struct TargetArgs {
    /// Scan the root filesystem at DIR (an unpacked image, a mounted disk)
    /// instead of this host. Needs no privileges; runtime facts (processes,
    /// sockets, loaded modules, runtime sysctl) are then not available.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

#[derive(Args)]
struct PolicyArgs {
    /// Policy file or directory of policy files to use instead of the
    /// built-in policy; repeat to use several. `builtin` names the built-in
    /// policy, so `--policy builtin --policy extra.yaml` adds to it.
    #[arg(long, value_name = "PATH")]
    policy: Vec<String>,
}

#[derive(Args)]
struct ScanArgs {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    policies: PolicyArgs,
    /// Evaluate the rules of this profile; `all` evaluates every rule.
    /// Default: each policy's default profile (`level1-server` for the
    /// built-in policy), or every rule of a policy that declares none.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Evaluate only this rule; repeat for several.
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Do not evaluate this rule; repeat for several.
    #[arg(long = "skip-rule", value_name = "ID")]
    skip_rules: Vec<String>,
    /// Label the target with TAG (`prod`, `dmz`, ...); repeat for several.
    /// Tags are recorded in the report and matched by waiver scopes.
    /// At most 64 tags of at most 1024 bytes each.
    #[arg(long = "tag", value_name = "TAG", value_parser = parse_tag)]
    tags: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
    /// Print how long each fact took to collect, on standard error.
    #[arg(long)]
    timings: bool,
}

#[derive(Args)]
struct ExplainArgs {
    /// The rule id.
    id: String,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    policies: PolicyArgs,
}

#[derive(Args)]
struct ReportArgs {
    /// A report written by `posture scan --format json` (plain or gzip);
    /// `-` reads it from standard input.
    #[arg(value_name = "REPORT.json")]
    report: PathBuf,
    #[command(flatten)]
    output: OutputArgs,
}

/// How a report is written, waived and gated: shared by `scan` and `report`.
#[derive(Args)]
struct OutputArgs {
    /// Report format. Default: the one --output's extension names (.json,
    /// .html or .htm, .sarif, .xml for JUnit, .md, .csv, .txt for the
    /// table; another is an error), else `table`.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to FILE instead of standard output; the terminal
    /// summary is still printed unless --quiet. Checked before the scan;
    /// written atomically, mode 0600 (a replaced file keeps its mode); a
    /// symbolic link at FILE is refused.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Apply the waivers in FILE (see docs/waivers.md): failures they cover
    /// become `waived` and do not fail the run.
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// Count only rules at or above this severity: one that failed fails
    /// the run (exit 1), one that could not be checked makes it INCOMPLETE
    /// (exit 3); `none` counts no rule.
    #[arg(long, value_name = "SEVERITY", default_value = "info", value_parser = parse_fail_on)]
    fail_on: FailOn,
    /// Fail (exit 1) when the score is below N (0-100).
    #[arg(long, value_name = "N", value_parser = parse_score)]
    min_score: Option<f64>,
    /// Let the run pass although rules at or above --fail-on could not be
    /// checked (outcome `error`, e.g. files only root can read); without
    /// it such a run is INCOMPLETE (exit 3).
    #[arg(long)]
    allow_errors: bool,
    /// Terminal summary: only the verdict line.
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// Terminal summary: every failure (not only one screen's worth), the
    /// full story of each failed, unchecked or waived rule (evidence with
    /// file:line, the check, remediation as plain text), every other rule
    /// one line each, and the problems met reading the target.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Clone, Copy)]
struct FailOn(Option<Severity>);

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    if s == "none" {
        return Ok(FailOn(None));
    }
    Severity::ALL
        .iter()
        .find(|sev| sev.as_str() == s)
        .map(|sev| FailOn(Some(*sev)))
        .ok_or_else(|| "expected one of: info, low, medium, high, critical, none".to_string())
}

fn parse_tag(s: &str) -> Result<String, String> {
    let max = posture::report::read::MAX_IDENTITY_BYTES;
    if s.len() > max {
        return Err(format!(
            "a tag is at most {max} bytes; this one is {}",
            s.len()
        ));
    }
    Ok(s.to_string())
}

fn parse_score(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(n) if (0.0..=100.0).contains(&n) => Ok(n),
        _ => Err("expected a number from 0 to 100".into()),
    }
}

#[derive(Args)]
struct DiffArgs {
    /// The earlier JSON report.
    #[arg(value_name = "OLD.json")]
    old: PathBuf,
    /// The later JSON report.
    #[arg(value_name = "NEW.json")]
    new: PathBuf,
    /// Output format. Default: the one --output's extension names (.json,
    /// .md, .txt for the table), else `table`.
    #[arg(long, value_enum)]
    format: Option<DiffFormat>,
    /// Write the comparison to FILE (atomically, mode 0600) instead of
    /// standard output; a symbolic link at FILE is refused.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct AggregateArgs {
    /// Report files, or directories searched recursively for `*.json` and
    /// `*.json.gz`.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format. Default: the one --output's extension names (.json,
    /// .html or .htm, .md, .csv, .txt for the table), else `table`.
    #[arg(long, value_enum)]
    format: Option<FleetFormat>,
    /// Write the summary to FILE (atomically, mode 0600) instead of
    /// standard output; a symbolic link at FILE is refused.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    filters: FleetFilterArgs,
}

/// The report-selecting options `aggregate` and `export` share.
#[derive(Args)]
struct FleetFilterArgs {
    /// Only reports of scans started on or after this date (YYYY-MM-DD) or
    /// time (RFC 3339, UTC).
    #[arg(long, value_name = "WHEN", value_parser = parse_since)]
    since: Option<String>,
    /// Only hosts whose name matches this glob (`web*`), case-insensitive.
    #[arg(long, value_name = "GLOB")]
    host: Option<String>,
    /// Only this rule; repeat for several.
    #[arg(long = "rule", value_name = "ID")]
    rules: Vec<String>,
    /// Only rules at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    severity: Option<Severity>,
    /// Stop at the first file that is not a readable report (exit 2)
    /// instead of skipping it with a warning.
    #[arg(long)]
    strict: bool,
}

impl FleetFilterArgs {
    fn filters(&self) -> Result<posture::fleet::Filters> {
        let host = match &self.host {
            None => None,
            Some(g) => Some((
                g.clone(),
                globset::GlobBuilder::new(g)
                    .case_insensitive(true)
                    .build()
                    .with_context(|| format!("invalid --host glob `{g}`"))?
                    .compile_matcher(),
            )),
        };
        Ok(posture::fleet::Filters {
            since: self.since.clone(),
            host,
            rules: self.rules.clone(),
            severity: self.severity,
        })
    }
}

#[derive(Args)]
struct ExportArgs {
    /// Report files, or directories searched recursively for `*.json` and
    /// `*.json.gz`.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format. Default: the one --output's extension names
    /// (.parquet, .ndjson or .jsonl); needed when --output is a directory.
    #[arg(long, value_enum)]
    format: Option<ExportFormat>,
    /// The file to write (atomically, mode 0600; a symbolic link is
    /// refused); for a directory, `posture-results.parquet` or `.ndjson` in
    /// it.
    #[arg(long, short, value_name = "FILE|DIR")]
    output: PathBuf,
    /// NDJSON only: put an Elasticsearch/OpenSearch `_bulk` action line
    /// for index NAME before each row (`_id`: scan id and rule id), so the
    /// file loads with `curl --data-binary @FILE .../_bulk`.
    #[arg(long, value_name = "NAME")]
    bulk_index: Option<String>,
    #[command(flatten)]
    filters: FleetFilterArgs,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::ALL
        .iter()
        .find(|sev| sev.as_str() == s)
        .copied()
        .ok_or_else(|| "expected one of: info, low, medium, high, critical".to_string())
}

fn parse_since(s: &str) -> Result<String, String> {
    let ok = s.get(..10).is_some_and(|day| {
        posture::waiver::is_date(day) && (s.len() == 10 || s[10..].starts_with('T'))
    });
    if ok {
        Ok(s.to_string())
    } else {
        Err(
            "expected a date YYYY-MM-DD or an RFC 3339 time in UTC such as 2026-11-01T08:00:00Z"
                .into(),
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    /// A summary for the terminal.
    Table,
    /// Versioned JSON (schema/diff.schema.json).
    Json,
    /// Markdown, for pull-request comments and CI job summaries.
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    /// One line per rule.
    Table,
    /// A Markdown catalogue.
    Markdown,
}

#[derive(Args)]
struct InventoryArgs {
    #[command(flatten)]
    target: TargetArgs,
    /// Write the inventory to FILE (atomically, mode 0600) instead of
    /// standard output; a symbolic link at FILE is refused.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// List the rules of the policy.
    List {
        #[command(flatten)]
        policies: PolicyArgs,
        /// Only the rules of this profile.
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// Counts instead of the list: rules by severity, by profile, and
        /// by framework referenced.
        #[arg(long)]
        summary: bool,
        /// `markdown`: a catalogue of the rules by area, with severity,
        /// profiles and references (docs/rules.md is made this way).
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Show one rule in full: what it checks and why, its check and
    /// applies_if as written, references, and the remediation as plain text
    /// (`posture explain ID` adds its outcome and evidence on a target).
    Show {
        /// The rule id.
        id: String,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Validate policy files; every problem is printed as file:line:column.
    Check {
        /// Policy files or directories.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("posture: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => scan_cmd(args),
        Command::Report(args) => report_cmd(args),
        Command::Diff(args) => diff_cmd(args),
        Command::Aggregate(args) => aggregate_cmd(args),
        Command::Export(args) => export_cmd(args),
        Command::Inventory(args) => inventory_cmd(args),
        Command::Explain(args) => explain_cmd(args),
        Command::Rules(cmd) => rules_cmd(cmd),
        Command::Schema { kind } => {
            print(&match kind {
                SchemaKind::Report => report::json::schema(),
                SchemaKind::Diff => posture::diff::Diff::schema(),
                SchemaKind::Fleet => posture::fleet::Fleet::schema(),
            })?;
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "posture", &mut script);
            print(&String::from_utf8_lossy(&script))?;
            Ok(0)
        }
        Command::Man { dir: None } => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut page)?;
            print(&String::from_utf8_lossy(&page))?;
            Ok(0)
        }
        Command::Man { dir: Some(dir) } => {
            clap_mangen::generate_to(Cli::command(), &dir)
                .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
            Ok(0)
        }
    }
}

/// The format to write (the one given, else the one `output`'s extension
/// names, else `default`) and the checked output file: both settled before
/// any work, so that a wrong name fails at once rather than after a scan.
fn destination<T: Copy>(
    format: Option<T>,
    output: Option<&Path>,
    extensions: &[(&str, T)],
    default: T,
) -> Result<(T, Option<OutputFile>)> {
    let format = match (format, output) {
        (Some(f), _) => f,
        (None, Some(path)) => {
            output::format_from_extension(path, extensions).map_err(anyhow::Error::msg)?
        }
        (None, None) => default,
    };
    let file = output
        .map(OutputFile::prepare)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    Ok((format, file))
}

fn open_target(args: &TargetArgs) -> Result<Target> {
    match &args.root {
        None => Ok(Target::live()),
        Some(dir) => {
            let target = Target::root(dir)
                .with_context(|| format!("cannot scan root filesystem {}", dir.display()))?;
            target.check_system().map_err(anyhow::Error::msg)?;
            Ok(target)
        }
    }
}

fn load_policies(args: &PolicyArgs) -> Result<Vec<Policy>> {
    if args.policy.is_empty() {
        return Ok(scan::builtin_policies()?);
    }
    let mut out = Vec::new();
    let mut diagnostics = Vec::new();
    for spec in &args.policy {
        let loaded = if spec == "builtin" {
            scan::builtin_policies()
        } else {
            load_path(Path::new(spec))
        };
        match loaded {
            Ok(p) => out.extend(p),
            Err(e) => diagnostics.extend(e.diagnostics),
        }
    }
    diagnostics.extend(policy::check_together(&out));
    if !diagnostics.is_empty() {
        bail!("invalid policy:\n{}", policy::LoadError { diagnostics });
    }
    Ok(out)
}

fn load_path(path: &Path) -> Result<Vec<Policy>, policy::LoadError> {
    if path.is_dir() {
        policy::load_dir(path)
    } else {
        policy::load_file(path).map(|p| vec![p])
    }
}

/// The terminal's width; when it reports none or 0 (a serial console, some
/// containers), `COLUMNS`, else 80. Not a terminal: `COLUMNS`, else 120.
fn table_width() -> Option<u16> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|c| *c > 0);
    if std::io::stdout().is_terminal() {
        let size = comfy_table::Table::new().width().filter(|w| *w > 0);
        size.or(columns).or(Some(report::table::FALLBACK_WIDTH))
    } else {
        columns.or(Some(120))
    }
}

/// The checks as written of the rules `report` holds, for `--verbose`:
/// from `policies` when the report was made with the same policy files.
fn rule_sources(policies: &[Policy], report: &Report) -> report::table::Sources {
    let same = |p: &Policy| {
        report
            .policies
            .iter()
            .any(|q| q.id == p.id && q.digest == p.digest)
    };
    policies
        .iter()
        .filter(|p| same(p))
        .flat_map(|p| &p.rules)
        .filter(|r| report.results.iter().any(|x| x.id == r.id))
        .map(|r| (r.id.clone(), scan::rule_text(r)))
        .collect()
}

/// Colours only on a terminal, and never when `NO_COLOR` is set
/// (<https://no-color.org>).
fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn scan_cmd(args: ScanArgs) -> Result<u8> {
    let dest = args.output.destination()?;
    let waivers = load_waivers(&args.output)?;
    let target = open_target(&args.target)?;
    let policies = load_policies(&args.policies)?;
    let selector = Selector {
        profile: args.profile.clone(),
        rules: args.rules.clone(),
        skip_rules: args.skip_rules.clone(),
    };
    if args.tags.len() > posture::report::read::MAX_TAGS {
        bail!(
            "{} --tag options; at most {} are kept in a report",
            args.tags.len(),
            posture::report::read::MAX_TAGS
        );
    }
    let (mut report, facts) = scan::run(&target, &policies, &selector)?;
    report.target.tags = args.tags.clone();
    if args.timings {
        print_timings(&report, &facts.timings());
    }
    let sources = if args.output.verbose {
        rule_sources(&policies, &report)
    } else {
        Default::default()
    };
    finish(report, waivers.as_ref(), &args.output, sources, dest)
}

/// Scans the one rule and tells its story; exits as `scan --rule ID` would.
fn explain_cmd(args: ExplainArgs) -> Result<u8> {
    let policies = load_policies(&args.policies)?;
    let selector = Selector {
        profile: Some(policy::ALL_PROFILES.to_string()),
        rules: vec![args.id.clone()],
        ..Selector::default()
    };
    selector.select(&policies)?;
    let target = open_target(&args.target)?;
    let (mut report, _) = scan::run(&target, &policies, &selector)?;
    let verdict = report.judge(&Gate::default()).clone();
    let shown = report.printable();
    let Some(rule) = shown.results.iter().find(|r| r.id == args.id) else {
        bail!("rule `{}` was not evaluated", args.id);
    };
    let text = policies
        .iter()
        .flat_map(|p| &p.rules)
        .find(|r| r.id == args.id)
        .map(scan::rule_text);
    print(&explain::render(rule, explain::Mode::Result, text.as_ref()))?;
    Ok(verdict.status.exit_code())
}

/// What could not be read, one line each on standard error, with the hint
/// that explains most of it.
fn print_diagnostics(diagnostics: &[posture::diag::Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "posture: {} problem(s) reading the target's files:",
        diagnostics.len()
    );
    for d in diagnostics {
        let _ = writeln!(err, "  {}", report::printable(&d.to_string()));
    }
    let denied = diagnostics
        .iter()
        .any(|d| d.message.contains("ermission denied"));
    if denied && !rustix::process::geteuid().is_root() {
        let _ = writeln!(
            err,
            "posture: run as root to read what permissions kept from this user"
        );
    }
}

fn report_cmd(args: ReportArgs) -> Result<u8> {
    let dest = args.output.destination()?;
    let waivers = load_waivers(&args.output)?;
    let report = read_report(&args.report)?;
    if report.results.is_empty() {
        bail!(
            "{}: the report holds no results; a scan that checked nothing cannot pass",
            args.report.display()
        );
    }
    // The built-in policy gives the checks when the report was made with it.
    let sources = match args.output.verbose {
        true => rule_sources(&scan::builtin_policies().unwrap_or_default(), &report),
        false => Default::default(),
    };
    finish(report, waivers.as_ref(), &args.output, sources, dest)
}

impl OutputArgs {
    fn destination(&self) -> Result<(Format, Option<OutputFile>)> {
        destination(
            self.format,
            self.output.as_deref(),
            output::REPORT_EXTENSIONS,
            Format::Table,
        )
    }
}

/// Reads a JSON report from `path`, or from standard input for `-`, within
/// the bounds of `posture::report::read`; what the reader noticed (a stored
/// summary that disagreed with the results) goes to standard error.
fn read_report(path: &Path) -> Result<Report> {
    let loaded = report::read::load(path).map_err(anyhow::Error::msg)?;
    for note in &loaded.notes {
        eprintln!("posture: warning: {}: {note}", path.display());
    }
    Ok(loaded.report)
}

fn load_waivers(args: &OutputArgs) -> Result<Option<posture::waiver::Waivers>> {
    match &args.waivers {
        None => Ok(None),
        Some(path) => posture::waiver::load_file(path)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("invalid waivers file:\n{e}")),
    }
}

/// Applies waivers, writes the report, and returns the gate's exit code.
fn finish(
    mut report: Report,
    waivers: Option<&posture::waiver::Waivers>,
    args: &OutputArgs,
    sources: report::table::Sources,
    (format, out): (Format, Option<OutputFile>),
) -> Result<u8> {
    if let Some(w) = waivers {
        posture::waiver::apply(&mut report, w);
        for w in report.waiver_warnings() {
            eprintln!(
                "posture: warning: waiver at {} ({}) is {}",
                w.location,
                w.rule,
                match w.status {
                    report::WaiverState::Expired => format!(
                        "expired (since {}); the failures it named count again",
                        w.expires.as_deref().unwrap_or("?")
                    ),
                    _ => "matching no rule evaluated in this scan".to_string(),
                }
            );
        }
    }
    let gate = Gate {
        fail_on: args.fail_on.0,
        min_score: args.min_score,
        allow_errors: args.allow_errors,
    };
    let verdict = report.judge(&gate).clone();
    let style = Style {
        width: table_width(),
        color: use_color(),
        verbosity: if args.quiet {
            Verbosity::Quiet
        } else if args.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        },
        sources: std::sync::Arc::new(sources),
    };
    match &out {
        Some(out) => {
            let path = out.path();
            // A file gets no colour, whatever standard output is.
            let rendered = match format {
                Format::Table => report::table::render(
                    &report,
                    &Style {
                        color: false,
                        width: Some(120),
                        ..style.clone()
                    },
                ),
                other => other.render(&report),
            };
            out.write(rendered.as_bytes())
                .with_context(|| format!("cannot write report to {}", path.display()))?;
            if format != Format::Table && !args.quiet {
                print(&report::table::render(&report, &style))?;
            }
            eprintln!("report written to {}", path.display());
        }
        None => print(&match format {
            Format::Table => report::table::render(&report, &style),
            other => other.render(&report),
        })?,
    }
    if format != Format::Table && verdict.status != Status::Passed {
        eprintln!("posture: {}", verdict.line());
    }
    Ok(verdict.status.exit_code())
}

fn aggregate_cmd(args: AggregateArgs) -> Result<u8> {
    let (format, out) = destination(
        args.format,
        args.output.as_deref(),
        output::FLEET_EXTENSIONS,
        FleetFormat::Table,
    )?;
    let filters = args.filters.filters()?;
    let fleet = posture::fleet::aggregate(&args.paths, &filters, args.filters.strict, &warn_fleet)
        .map_err(|e| anyhow::anyhow!("{e} (--strict stops at the first such file)"))?;
    if fleet.summary.reports == 0 {
        bail!(no_reports(&args.paths, fleet.summary.skipped));
    }
    let text = format.render(&fleet);
    match &out {
        Some(out) => out
            .write(text.as_bytes())
            .with_context(|| format!("cannot write the summary to {}", out.path().display()))?,
        None => print(&text)?,
    }
    if fleet.summary.skipped > 0 {
        eprintln!(
            "posture: {} file(s) skipped, {} report(s) aggregated",
            fleet.summary.skipped, fleet.summary.reports
        );
    }
    Ok(0)
}

fn warn_fleet(warning: posture::fleet::Warning) {
    use posture::fleet::Warning;
    match warning {
        Warning::Skipped { file, reason } => {
            eprintln!("posture: warning: skipped {file}: {reason}")
        }
        Warning::Note { file, note } => eprintln!("posture: warning: {file}: {note}"),
    }
}

fn no_reports(paths: &[PathBuf], skipped: usize) -> String {
    format!(
        "no report {} under {}; reports are *.json or *.json.gz files written by `posture scan --format json`",
        if skipped == 0 { "found" } else { "could be read" },
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn export_cmd(args: ExportArgs) -> Result<u8> {
    use posture::fleet::export::{export, ExportError};
    // A directory gets a file named after the format, which must be given.
    let in_dir = std::fs::symlink_metadata(&args.output).is_ok_and(|m| m.is_dir());
    let format = match (args.format, in_dir) {
        (Some(f), _) => f,
        (None, true) => bail!(
            "--format is needed when --output is a directory ({})",
            args.output.display()
        ),
        (None, false) => output::format_from_extension(&args.output, output::EXPORT_EXTENSIONS)
            .map_err(anyhow::Error::msg)?,
    };
    if args.bulk_index.is_some() && format != ExportFormat::Ndjson {
        bail!("--bulk-index applies to --format ndjson only");
    }
    let path = if in_dir {
        args.output
            .join(format!("posture-results.{}", format.extension()))
    } else {
        args.output.clone()
    };
    let out = OutputFile::prepare(&path).map_err(anyhow::Error::msg)?;
    let filters = args.filters.filters()?;
    // Written beside the destination, then renamed: readers never see a
    // half-written file, and a failed export leaves none behind.
    let mut pending = out
        .create()
        .with_context(|| format!("cannot write {}", path.display()))?;
    let result = export(
        &args.paths,
        &filters,
        format,
        args.bulk_index.as_deref(),
        args.filters.strict,
        pending.file(),
        &warn_fleet,
    );
    let done = match result {
        Ok(done) if done.counts.reports > 0 => done,
        Ok(done) => bail!(no_reports(&args.paths, done.skipped_count)),
        Err(e) => {
            return Err(match e {
                ExportError::Strict(e) => {
                    anyhow::anyhow!("{e} (--strict stops at the first such file)")
                }
                ExportError::Write(e) => anyhow::anyhow!("{}: {e}", path.display()),
            });
        }
    };
    pending
        .commit()
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "posture: {} row(s) from {} report(s) written to {}{}",
        done.rows,
        done.counts.reports,
        path.display(),
        [
            (done.skipped_count, "file(s) skipped"),
            (done.counts.duplicates, "duplicate report(s) ignored"),
            (done.counts.conflicts, "report(s) reusing another's scan id",),
            (
                done.counts.recomputed,
                "summary(ies) recomputed from the results",
            ),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("; {n} {what}"))
        .collect::<String>()
    );
    Ok(0)
}

/// The extensions of `posture diff -o`.
const DIFF_EXTENSIONS: &[(&str, DiffFormat)] = &[
    ("json", DiffFormat::Json),
    ("md", DiffFormat::Markdown),
    ("txt", DiffFormat::Table),
];

fn diff_cmd(args: DiffArgs) -> Result<u8> {
    let (format, out) = destination(
        args.format,
        args.output.as_deref(),
        DIFF_EXTENSIONS,
        DiffFormat::Table,
    )?;
    let old = read_report(&args.old)?;
    let new = read_report(&args.new)?;
    let diff = posture::diff::Diff::new(&old, &new);
    let text = match format {
        DiffFormat::Table => diff.to_text(),
        DiffFormat::Json => diff.to_json(),
        DiffFormat::Markdown => diff.to_markdown(),
    };
    match &out {
        Some(out) => out
            .write(text.as_bytes())
            .with_context(|| format!("cannot write comparison to {}", out.path().display()))?,
        None => print(&text)?,
    }
    Ok(u8::from(diff.regressed()))
}

fn print_timings(report: &Report, facts: &[(String, std::time::Duration)]) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "facts (time to collect):");
    for (name, d) in facts {
        let _ = writeln!(err, "  {:>9.3} ms  {name}", d.as_secs_f64() * 1000.0);
    }
    let mut rules: Vec<_> = report.results.iter().collect();
    rules.sort_by(|a, b| {
        b.duration_us
            .cmp(&a.duration_us)
            .then_with(|| a.id.cmp(&b.id))
    });
    let _ = writeln!(err, "slowest rules (including facts they waited for):");
    for r in rules.iter().take(10) {
        let _ = writeln!(err, "  {:>9.3} ms  {}", r.duration_us as f64 / 1000.0, r.id);
    }
}

/// Writes to standard output; a closed pipe (`posture ... | head`) is not an error.
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn inventory_cmd(args: InventoryArgs) -> Result<u8> {
    let out = args
        .output
        .as_deref()
        .map(OutputFile::prepare)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let target = open_target(&args.target)?;
    let facts = posture::facts::Facts::new(&target);
    let mut inventory = facts.inventory();
    let diagnostics = facts.diagnostics();
    inventory["diagnostics"] = serde_json::to_value(&diagnostics)?;
    let mut text = serde_json::to_string_pretty(&inventory)?;
    text.push('\n');
    match &out {
        Some(out) => out
            .write(text.as_bytes())
            .with_context(|| format!("cannot write inventory to {}", out.path().display()))?,
        None => print(&text)?,
    }
    // After the JSON, so that a reader of the terminal sees it last.
    print_diagnostics(&diagnostics);
    Ok(0)
}

fn rules_cmd(cmd: RulesCommand) -> Result<u8> {
    match cmd {
        RulesCommand::List {
            policies,
            profile,
            summary,
            format,
        } => {
            let policies = load_policies(&policies)?;
            // A listing is a catalogue: every rule unless a profile is named.
            let selector = Selector {
                profile: Some(profile.unwrap_or_else(|| policy::ALL_PROFILES.to_string())),
                ..Selector::default()
            };
            let selected = selector.select(&policies)?;
            if summary {
                print(&policy::summary::summarize(selected.iter().copied()).to_text())?;
                return Ok(0);
            }
            if format == ListFormat::Markdown {
                print(&policy::catalog::markdown(&selected))?;
                return Ok(0);
            }
            let mut t = comfy_table::Table::new();
            t.load_preset(comfy_table::presets::NOTHING);
            t.set_header(vec!["id", "severity", "title"]);
            for (_, r) in &selected {
                t.add_row(vec![r.id.as_str(), r.severity.as_str(), r.title.as_str()]);
            }
            print(&format!("{t}\n{} rules\n", selected.len()))?;
            Ok(0)
        }
        RulesCommand::Show { id, policies } => {
            let policies = load_policies(&policies)?;
            let Some((p, r)) = policies.iter().find_map(|p| p.rule(&id).map(|r| (p, r))) else {
                let known = policies
                    .iter()
                    .flat_map(|p| p.rules.iter().map(|r| r.id.as_str()));
                bail!(scan::unknown_rule(&id, known));
            };
            let definition = report::rule_report(
                p,
                r,
                posture::engine::RuleResult {
                    outcome: posture::engine::Outcome::NotApplicable,
                    reason: None,
                    evidence: Vec::new(),
                    duration: std::time::Duration::ZERO,
                },
            );
            print(&explain::render(
                &definition.printable(),
                explain::Mode::Definition,
                Some(&scan::rule_text(r)),
            ))?;
            Ok(0)
        }
        RulesCommand::Check { paths } => {
            let mut loaded = Vec::new();
            let mut diagnostics = Vec::new();
            for path in &paths {
                match load_path(path) {
                    Ok(p) => loaded.extend(p),
                    Err(e) => diagnostics.extend(e.diagnostics),
                }
            }
            diagnostics.extend(policy::check_together(&loaded));
            if diagnostics.is_empty() && loaded.iter().all(|p| p.rules.is_empty()) {
                bail!(
                    "no rules in {}; a policy needs at least one rule to check anything",
                    paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if diagnostics.is_empty() {
                let rules: usize = loaded.iter().map(|p| p.rules.len()).sum();
                print(&format!("ok: {} policies, {rules} rules\n", loaded.len()))?;
                Ok(0)
            } else {
                for d in &diagnostics {
                    eprintln!("{d}");
                }
                eprintln!("{} problem(s) found", diagnostics.len());
                Ok(2)
            }
        }
    }
}
