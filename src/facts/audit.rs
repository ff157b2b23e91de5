//! Audit rules: what the kernel gets when auditd starts at boot, read from
//! the rules files as `augenrules --load` merges them and `auditctl -R`
//! parses them, each line as auditctl's own parser reads it.
//!
//! The running rules (`auditctl -l`) can only be read over the audit
//! netlink socket, so the files are the source: the view is that of the
//! next boot (a restart of auditd reloads them too, unless `-e 2` locked
//! them), which is what a benchmark asks for.
//! Where the rules come from:
//! - /etc/audit/rules.d exists: augenrules merges its `*.rules` files
//!   (see [`augenrules`]) into /etc/audit/audit.rules and loads that. With
//!   no rules file in it, augenrules writes an audit.rules without rules:
//!   none are loaded, whatever audit.rules held before.
//! - rules.d does not exist: augenrules loads /etc/audit/audit.rules as it
//!   is.
//!
//! Debian 12 and RHEL 9 both run `augenrules --load` from auditd.service.
//! A line auditctl rejects (or the kernel refuses) stops the loading: the
//! rules after it are not loaded, `-e 2` at the end included, unless an
//! earlier `-i` or `-c` line says to go on.

pub mod auditctl;
pub mod augenrules;
mod generated;
pub mod getopt;
pub mod kernel;
pub mod number;
pub mod rule;
pub mod tables;

use crate::diag::Diagnostic;
use crate::facts::accounts::{GroupEntry, PasswdEntry};
use crate::facts::{whole_lines, Collected, FactResult, Source};
use crate::target::{FileType, Target, TargetError};
use auditctl::{Host, Line, Load, Outcome};
use augenrules::{Awk, MergedLine, RULES_DIR, RULES_FILE};
use rule::{Field, KRule, Value};
use serde::Serialize;
use serde_json::json;
use tables::*;

/// The rules and settings the kernel would get.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditRules {
    /// The files read, in the order their lines are loaded.
    pub files: Vec<String>,
    /// The awk augenrules runs with (`mawk`, `gawk`), when rules.d is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awk: Option<String>,
    pub rules: Vec<AuditRule>,
    /// `-e`: 0 disabled, 1 enabled, 2 locked until reboot; `null` when no
    /// line sets it.
    pub enabled: Option<u32>,
    /// `-f`: 0 silent, 1 printk, 2 panic.
    pub failure: Option<u32>,
    /// `-b`.
    pub backlog_limit: Option<u32>,
    /// `--backlog_wait_time`.
    pub backlog_wait_time: Option<u32>,
    /// `-r`.
    pub rate_limit: Option<u32>,
    /// `--loginuid-immutable`.
    pub loginuid_immutable: bool,
    /// The line where loading stops, when one does: nothing after it is
    /// loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<Source>,
}

/// One rule as the kernel holds it, described for policies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRule {
    /// `exit`, `task`, `user`, `exclude` or `filesystem`.
    pub list: String,
    /// `always` or `never`.
    pub action: String,
    /// Added with `-A` (first in its list).
    pub prepend: bool,
    /// The `-F arch=` value (`b64`, `b32`, or a machine name); `null` when
    /// the rule has none (its system calls are then this machine's own), or
    /// more than one, or `arch!=`.
    pub arch: Option<String>,
    /// System call names (numbers when the table has no name), in number
    /// order; `["all"]` for every system call.
    pub syscalls: Vec<String>,
    /// Every field, in order.
    pub fields: Vec<FieldView>,
    /// The normalised text of the fields that narrow which events the rule
    /// matches: all but the key, for a watch its path and permissions, and
    /// for a rule without a path its one `arch=`.
    pub filters: Vec<String>,
    /// The watched path (`-w`, `-F path=`, `-F dir=`), without trailing `/`.
    pub watch: Option<String>,
    /// The accesses a watch records (`r`, `w`, `x`, `a`; all four when it
    /// sets none); for a rule without a path, the letters of its `perm=`.
    pub perms: Vec<String>,
    /// The first key, and all of them.
    pub key: Option<String>,
    pub keys: Vec<String>,
    /// The rule as `auditctl -l` prints it.
    pub text: String,
    /// Earlier `never` rules of the same list that may match some of the
    /// same system calls: the kernel uses the first rule that matches, so
    /// they can keep this rule from recording (`file:line` each). Only
    /// rules without a path are compared.
    pub shadowed_by: Vec<String>,
    pub source: Source,
}

/// A field: `name op value` and its normalised text (`auid!=unset`,
/// `exit=-EACCES`, `uid!=euid` for `-C`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldView {
    pub name: String,
    pub op: String,
    pub value: serde_json::Value,
    pub text: String,
    /// A `-C` comparison of two fields (`value` is the second field).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compare: bool,
}

/// Directories where the `awk` augenrules runs is looked for, in
/// systemd's `PATH` order.
const AWK_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// What the machine and its accounts tell auditctl.
pub struct Env<'a> {
    /// `uname -m` (`x86_64`), or the architecture of a root filesystem.
    pub machine: Option<&'a str>,
    pub users: Result<&'a [PasswdEntry], String>,
    pub groups: Result<&'a [GroupEntry], String>,
}

pub fn collect(target: &Target, env: &Env) -> FactResult<AuditRules> {
    let mut diags = Vec::new();
    let mut out = AuditRules::default();
    let host = TargetHost { target, env };
    let lines: Vec<MergedLine> = match target.read_dir(RULES_DIR)? {
        Some(entries) => {
            let names: Vec<String> = entries.into_iter().map(|e| e.name).collect();
            let listing = augenrules::listing(&names);
            for name in &listing.unknown {
                diags.push(Diagnostic::incomplete(
                    format!("{RULES_DIR}/{name}"),
                    "augenrules reads this name through the shell, which expands it as a glob or splits it at a newline: what it loads cannot be told",
                ));
            }
            let mut files = Vec::new();
            for name in &listing.names {
                let path = format!("{RULES_DIR}/{name}");
                match target.metadata(&path, true)? {
                    None => continue,
                    Some(m) if m.file_type == FileType::Directory => continue,
                    Some(m) if m.file_type != FileType::File => {
                        diags.push(Diagnostic::incomplete(
                            &path,
                            format!(
                                "is a {}: what `cat` reads from it cannot be told",
                                m.file_type.name()
                            ),
                        ));
                        continue;
                    }
                    Some(_) => {}
                }
                let Some(text) = target.read_text(&path)? else {
                    continue;
                };
                let body = whole_lines(&text, &mut diags).to_string();
                out.files.push(path.clone());
                files.push((path, body));
            }
            match awk_flavor(target)? {
                Some(awk) => {
                    out.awk = Some(awk_name(awk).into());
                    augenrules::merge(&files, awk)
                }
                None => {
                    let mawk = augenrules::merge(&files, Awk::Mawk);
                    let gawk = augenrules::merge(&files, Awk::Gawk);
                    if mawk != gawk {
                        let files = TargetFiles { target };
                        undecided(&host, &files, &mut out, &mut diags, &mawk, &gawk);
                        return Ok(Collected::new(out, diags));
                    }
                    mawk
                }
            }
        }
        None => match target.read_text(RULES_FILE)? {
            Some(text) => {
                let body = whole_lines(&text, &mut diags);
                out.files.push(RULES_FILE.into());
                crate::facts::lines(body)
                    .map(|(n, t)| MergedLine {
                        text: t.to_string(),
                        source: Source::line(RULES_FILE, n),
                    })
                    .collect()
            }
            None => Vec::new(),
        },
    };
    let files = TargetFiles { target };
    evaluate(&lines, &host, &files, &mut out, &mut diags);
    Ok(Collected::new(out, diags))
}

/// The loaded rules when the awk augenrules would run is unknown and the
/// two kinds merge the files differently: only what both would load.
pub fn undecided(
    host: &dyn Host,
    files: &dyn kernel::Files,
    out: &mut AuditRules,
    diags: &mut Vec<Diagnostic>,
    mawk: &[MergedLine],
    gawk: &[MergedLine],
) {
    let (a, load_a) = run(mawk, host, files);
    let (b, load_b) = run(gawk, host, files);
    let differ = mawk
        .iter()
        .zip(gawk)
        .find(|(x, y)| x != y)
        .map_or_else(|| Source::file(RULES_DIR), |(x, _)| x.source.clone());
    diags.push(
        Diagnostic::incomplete(
            &differ.file,
            "the awk augenrules runs with cannot be told (no mawk or gawk found), and mawk and gawk merge these rules differently: only what both would load is used",
        )
        .at_opt(differ.line),
    );
    report(&load_a, diags);
    let mut common = kernel::State::default();
    for l in &a.rules {
        if b.rules.iter().any(|m| kernel::same_rule(&m.rule, &l.rule)) {
            common.rules.push(l.clone());
        }
    }
    let same = |x: Option<u32>, y: Option<u32>| if x == y { x } else { None };
    common.enabled = same(a.enabled, b.enabled);
    common.failure = same(a.failure, b.failure);
    common.backlog_limit = same(a.backlog_limit, b.backlog_limit);
    common.rate_limit = same(a.rate_limit, b.rate_limit);
    common.backlog_wait_time = same(a.backlog_wait_time, b.backlog_wait_time);
    common.loginuid_immutable = a.loginuid_immutable && b.loginuid_immutable;
    let load = if load_a.stopped.is_some() {
        load_a
    } else {
        load_b
    };
    fill(out, common, &load, host.machine());
}

/// Loads merged lines into a fresh kernel: what a boot would hold.
pub fn run(
    lines: &[MergedLine],
    host: &dyn Host,
    files: &dyn kernel::Files,
) -> (kernel::State, Load) {
    let mut model = kernel::Model::new(files);
    let load = auditctl::load(
        lines.iter().map(|l| Line {
            text: &l.text,
            source: l.source.clone(),
        }),
        host,
        &mut model,
    );
    (model.state, load)
}

/// The fact from merged lines: the pure core of [`collect`].
pub fn evaluate(
    lines: &[MergedLine],
    host: &dyn Host,
    files: &dyn kernel::Files,
    out: &mut AuditRules,
    diags: &mut Vec<Diagnostic>,
) {
    let (state, load) = run(lines, host, files);
    report(&load, diags);
    fill(out, state, &load, host.machine());
}

/// Diagnostics for the lines auditctl rejects or drops, and where loading
/// stops.
fn report(load: &Load, diags: &mut Vec<Diagnostic>) {
    let stopped = load.stopped.as_ref().map(|r| r.lineno);
    for line in &load.lines {
        let stop = stopped == Some(line.lineno);
        let (message, incomplete) = match &line.outcome {
            Outcome::Ok => continue,
            Outcome::Ignored(why) => (format!("auditctl ignores this line: {why}"), false),
            Outcome::Error(why) if stop => (
                format!("auditctl rejects this line ({why}) and stops loading: no rule after it is loaded"),
                false,
            ),
            Outcome::Error(why) => (
                format!("auditctl rejects this line ({why}); an earlier -i or -c line makes it go on"),
                false,
            ),
            Outcome::Fatal(why) => (
                format!("auditctl exits on this line ({why}): no rule after it is loaded"),
                false,
            ),
            Outcome::Unknown(why) => (
                format!("what auditctl does with this line cannot be told ({why}): the rules after it are not counted"),
                true,
            ),
        };
        let d = Diagnostic {
            incomplete,
            ..Diagnostic::new(&line.source.file, message)
        };
        diags.push(d.at_opt(line.source.line));
    }
}

fn fill(out: &mut AuditRules, state: kernel::State, load: &Load, machine: Option<Machine>) {
    out.enabled = state.enabled;
    out.failure = state.failure;
    out.backlog_limit = state.backlog_limit;
    out.backlog_wait_time = state.backlog_wait_time;
    out.rate_limit = state.rate_limit;
    out.loginuid_immutable = state.loginuid_immutable;
    out.stopped_at = load.stopped.as_ref().map(|r| r.source.clone());
    let views: Vec<AuditRule> = state
        .rules
        .iter()
        .map(|l| describe(&l.rule, l.source.clone(), machine))
        .collect();
    out.rules = views;
    for i in 0..state.rules.len() {
        let rule = &state.rules[i].rule;
        if rule.action != ACTION_ALWAYS || !is_syscall_rule(rule) {
            continue;
        }
        out.rules[i].shadowed_by = state.rules[..i]
            .iter()
            .filter(|n| {
                n.rule.action == ACTION_NEVER
                    && n.rule.list() == rule.list()
                    && is_syscall_rule(&n.rule)
                    && may_overlap(&n.rule, rule)
            })
            .map(|n| n.source.to_string())
            .collect();
    }
}

trait AtOpt {
    fn at_opt(self, line: Option<u32>) -> Self;
}

impl AtOpt for Diagnostic {
    fn at_opt(self, line: Option<u32>) -> Diagnostic {
        match line {
            Some(l) => self.at(l, None),
            None => self,
        }
    }
}

fn awk_name(awk: Awk) -> &'static str {
    match awk {
        Awk::Mawk => "mawk",
        Awk::Gawk => "gawk",
    }
}

/// The awk augenrules would run: the first `awk` on systemd's `PATH`,
/// its symlinks followed (Debian's alternatives, RHEL's `awk -> gawk`).
fn awk_flavor(target: &Target) -> Result<Option<Awk>, TargetError> {
    for dir in AWK_PATH {
        let mut path = format!("{dir}/awk");
        let mut hops = 0;
        while let Some(meta) = target.metadata(&path, false)? {
            let name = path.rsplit('/').next().unwrap_or_default().to_string();
            if name.contains("mawk") {
                return Ok(Some(Awk::Mawk));
            }
            if name.contains("gawk") {
                return Ok(Some(Awk::Gawk));
            }
            match meta.link_target {
                Some(to) if hops < 40 => {
                    hops += 1;
                    path = if to.starts_with('/') {
                        to
                    } else {
                        let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
                        format!("{parent}/{to}")
                    };
                }
                _ => return Ok(None),
            }
        }
    }
    Ok(None)
}

/// auditctl's view of the target: its machine, accounts and files.
struct TargetHost<'a> {
    target: &'a Target,
    env: &'a Env<'a>,
}

impl Host for TargetHost<'_> {
    fn machine(&self) -> Option<Machine> {
        self.env.machine.and_then(Machine::from_name)
    }

    fn uid(&self, name: &str) -> Result<Option<u32>, String> {
        let users = self.env.users.as_ref().map_err(Clone::clone)?;
        Ok(users.iter().find(|u| u.name == name).map(|u| u.uid))
    }

    fn gid(&self, name: &str) -> Result<Option<u32>, String> {
        let groups = self.env.groups.as_ref().map_err(Clone::clone)?;
        Ok(groups.iter().find(|g| g.name == name).map(|g| g.gid))
    }

    fn is_dir(&self, path: &str) -> Result<bool, String> {
        match self.target.metadata(path, true) {
            Ok(m) => Ok(m.is_some_and(|m| m.file_type == FileType::Directory)),
            Err(e) => Err(e.to_string()),
        }
    }
}

struct TargetFiles<'a> {
    target: &'a Target,
}

impl kernel::Files for TargetFiles<'_> {
    fn kind(&self, path: &str) -> Result<Option<bool>, String> {
        match self.target.metadata(path, true) {
            Ok(m) => Ok(m.map(|m| m.file_type == FileType::Directory)),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// A rule the kernel matches by system call, not by path.
fn is_syscall_rule(rule: &KRule) -> bool {
    rule.list() == FILTER_EXIT
        && !rule
            .fields
            .iter()
            .any(|f| matches!(f.field, F_WATCH | F_DIR | F_INODE))
}

fn perm_letters(bits: u32) -> Vec<String> {
    [
        (PERM_READ, "r"),
        (PERM_WRITE, "w"),
        (PERM_EXEC, "x"),
        (PERM_ATTR, "a"),
    ]
    .iter()
    .filter(|(b, _)| bits & b != 0)
    .map(|(_, l)| (*l).to_string())
    .collect()
}

/// A field's value as `auditctl -l` writes it, and as JSON.
fn field_value(f: &Field, machine: Option<Machine>) -> (String, serde_json::Value) {
    let n = match &f.value {
        Value::Str(s) => return (s.clone(), json!(s)),
        Value::Num(n) => *n,
    };
    let named = |s: String| (s.clone(), json!(s));
    match f.field {
        _ if is_uid_field(f.field) && n == u32::MAX => named("unset".into()),
        F_EXIT => {
            let signed = n as i32;
            match errno_name(signed.unsigned_abs()) {
                Some(name) if signed < 0 => named(format!("-{name}")),
                _ => (signed.to_string(), json!(signed)),
            }
        }
        F_ARCH => named(arch_name(n, machine)),
        F_PERM => named(perm_letters(n).concat()),
        F_FILETYPE => file_type_name(n).map_or((n.to_string(), json!(n)), |t| named(t.into())),
        F_FSTYPE => fs_type_name(n).map_or((n.to_string(), json!(n)), |t| named(t.into())),
        F_MSGTYPE => msg_type_name(n).map_or((n.to_string(), json!(n)), |t| named(t.into())),
        F_ARG0..=F_ARG3 => (format!("0x{n:X}"), json!(n)),
        _ => (n.to_string(), json!(n)),
    }
}

fn view(f: &Field, machine: Option<Machine>) -> FieldView {
    let op = op_symbol(f.op).to_string();
    if f.field == F_FIELD_COMPARE {
        let (a, b) = f.num().and_then(compare_fields).map_or_else(
            || ("?".to_string(), "?".to_string()),
            |(a, b)| (field_name(a), field_name(b)),
        );
        return FieldView {
            text: format!("{a}{op}{b}"),
            name: a,
            op,
            value: json!(b),
            compare: true,
        };
    }
    let name = field_name(f.field);
    let (text, value) = field_value(f, machine);
    FieldView {
        text: format!("{name}{op}{text}"),
        name,
        op,
        value,
        compare: false,
    }
}

/// The record a policy sees for a loaded rule.
pub fn describe(rule: &KRule, source: Source, machine: Option<Machine>) -> AuditRule {
    let arches: Vec<&Field> = rule.fields_of(F_ARCH).collect();
    let sole_arch = match arches.as_slice() {
        [f] if f.op == OP_EQ => f.num(),
        _ => None,
    };
    let table_machine = match arches.last() {
        Some(f) => f.num().and_then(Machine::from_elf),
        None => machine,
    };
    let syscalls: Vec<String> = if rule.all_syscalls() {
        vec!["all".into()]
    } else {
        let table = table_machine.and_then(Machine::syscalls);
        rule.syscalls()
            .map(|nr| {
                table
                    .and_then(|t| syscall_name(t, nr))
                    .map_or_else(|| nr.to_string(), str::to_string)
            })
            .collect()
    };
    let watch_field = rule
        .fields
        .iter()
        .find(|f| matches!(f.field, F_WATCH | F_DIR));
    let watch = watch_field.and_then(Field::text).map(|p| {
        let t = p.trim_end_matches('/');
        if t.is_empty() {
            "/".to_string()
        } else {
            t.to_string()
        }
    });
    let perm_bits = rule.fields_of(F_PERM).last().and_then(Field::num);
    let perms = match (watch.is_some(), perm_bits) {
        (_, Some(bits)) => perm_letters(bits),
        (true, None) => perm_letters(15),
        (false, None) => Vec::new(),
    };
    let fields: Vec<FieldView> = rule.fields.iter().map(|f| view(f, machine)).collect();
    let filters = rule
        .fields
        .iter()
        .zip(&fields)
        .filter(|(f, _)| match f.field {
            F_FILTERKEY => false,
            // A watch limited to one arch misses the other's accesses.
            F_ARCH => sole_arch.is_none() || watch.is_some(),
            F_WATCH | F_DIR => false,
            F_PERM => watch.is_none(),
            _ => true,
        })
        .map(|(_, v)| v.text.clone())
        .collect();
    let keys = rule.keys();
    let action = if rule.action == ACTION_ALWAYS {
        "always"
    } else {
        "never"
    };
    let list = list_name(rule.list());
    AuditRule {
        list: list.into(),
        action: action.into(),
        prepend: rule.prepend(),
        arch: sole_arch.map(|elf| arch_name(elf, machine)),
        text: rule_text(rule, list, action, &fields, &syscalls, &keys),
        syscalls,
        fields,
        filters,
        watch,
        perms,
        key: keys.first().cloned(),
        keys,
        shadowed_by: Vec::new(),
        source,
    }
}

/// The rule as `auditctl -l` prints it: a plain watch as `-w`, anything
/// else as `-a`, the arch first, then `-S`, the other fields, the keys.
fn rule_text(
    rule: &KRule,
    list: &str,
    action: &str,
    fields: &[FieldView],
    syscalls: &[String],
    keys: &[String],
) -> String {
    let kinds: Vec<u32> = rule.fields.iter().map(|f| f.field).collect();
    let plain_watch = rule.list() == FILTER_EXIT
        && rule.action == ACTION_ALWAYS
        && rule.all_syscalls()
        && matches!(kinds.first(), Some(&F_WATCH | &F_DIR))
        && kinds
            .iter()
            .skip(1)
            .all(|k| matches!(*k, F_PERM | F_FILTERKEY))
        && rule.fields[0].op == OP_EQ;
    let mut out = String::new();
    let keys_text: String = keys.iter().map(|k| format!(" -k {k}")).collect();
    if plain_watch {
        out.push_str(&format!("-w {}", rule.fields[0].text().unwrap_or_default()));
        if let Some(p) = fields.iter().find(|f| f.name == "perm") {
            out.push_str(&format!(" -p {}", p.value.as_str().unwrap_or_default()));
        }
        out.push_str(&keys_text);
        return out;
    }
    out.push_str(&format!("-a {action},{list}"));
    for f in fields.iter().filter(|f| f.name == "arch" && !f.compare) {
        out.push_str(&format!(" -F {}", f.text));
    }
    if !rule.all_syscalls() && rule.list() != FILTER_TASK {
        out.push_str(&format!(" -S {}", syscalls.join(",")));
    }
    for f in fields
        .iter()
        .filter(|f| f.name != "arch" && f.name != "key" || f.compare)
    {
        let flag = if f.compare { "-C" } else { "-F" };
        out.push_str(&format!(" {flag} {}", f.text));
    }
    out.push_str(
        &keys
            .iter()
            .map(|k| format!(" -F key={k}"))
            .collect::<String>(),
    );
    out
}

/// The values of a field that satisfy every condition a rule puts on it,
/// as sorted disjoint ranges of u32.
#[derive(Debug, Clone)]
enum Allowed {
    Numbers(Vec<(u64, u64)>),
    Text {
        equal: Option<String>,
        not: Vec<String>,
        empty: bool,
    },
    /// A condition posture does not reason about (bit tests, `-C`).
    Anything,
}

fn numbers_of(op: u32, v: u64) -> Option<Vec<(u64, u64)>> {
    let max = u64::from(u32::MAX);
    let ranges = match op {
        OP_EQ => vec![(v, v)],
        OP_NE => [(0, v.wrapping_sub(1)), (v + 1, max)]
            .into_iter()
            .filter(|(a, b)| a <= b && *b <= max)
            .collect(),
        OP_LT if v == 0 => Vec::new(),
        OP_LT => vec![(0, v - 1)],
        OP_LE => vec![(0, v)],
        OP_GT if v == max => Vec::new(),
        OP_GT => vec![(v + 1, max)],
        OP_GE => vec![(v, max)],
        _ => return None,
    };
    Some(ranges)
}

fn intersect(a: &[(u64, u64)], b: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    for (a0, a1) in a {
        for (b0, b1) in b {
            let (lo, hi) = (*a0.max(b0), *a1.min(b1));
            if lo <= hi {
                out.push((lo, hi));
            }
        }
    }
    out
}

impl Allowed {
    fn nothing(&self) -> bool {
        match self {
            Allowed::Numbers(r) => r.is_empty(),
            Allowed::Text { empty, .. } => *empty,
            Allowed::Anything => false,
        }
    }

    fn and(self, other: Allowed) -> Allowed {
        match (self, other) {
            (Allowed::Anything, x) | (x, Allowed::Anything) => x,
            (Allowed::Numbers(a), Allowed::Numbers(b)) => Allowed::Numbers(intersect(&a, &b)),
            (
                Allowed::Text {
                    equal: e1,
                    not: n1,
                    empty: x1,
                },
                Allowed::Text {
                    equal: e2,
                    not: n2,
                    empty: x2,
                },
            ) => {
                let mut not = n1;
                not.extend(n2);
                let empty = x1 || x2 || matches!((&e1, &e2), (Some(a), Some(b)) if a != b);
                let equal = e1.or(e2);
                let empty = empty || equal.as_ref().is_some_and(|e| not.contains(e));
                Allowed::Text { equal, not, empty }
            }
            _ => Allowed::Anything,
        }
    }
}

/// What one field condition allows of the field's values.
fn allowed(f: &Field) -> Allowed {
    match &f.value {
        Value::Str(s) => match f.op {
            OP_EQ => Allowed::Text {
                equal: Some(s.clone()),
                not: Vec::new(),
                empty: false,
            },
            OP_NE => Allowed::Text {
                equal: None,
                not: vec![s.clone()],
                empty: false,
            },
            _ => Allowed::Anything,
        },
        Value::Num(n) => {
            // The kernel tests `success` as "succeeded" or "failed".
            let v = if f.field == F_SUCCESS {
                u64::from(*n != 0)
            } else {
                u64::from(*n)
            };
            match (f.field, f.op) {
                (F_FIELD_COMPARE, _) => Allowed::Anything,
                (F_SUCCESS, OP_EQ | OP_NE) => {
                    numbers_of(f.op, v).map_or(Allowed::Anything, Allowed::Numbers)
                }
                (F_SUCCESS, _) => Allowed::Anything,
                _ => numbers_of(f.op, v).map_or(Allowed::Anything, Allowed::Numbers),
            }
        }
    }
}

/// Whether some system call could match both rules: their masks share a
/// call, and no field has conditions in the two rules that no value meets.
fn may_overlap(a: &KRule, b: &KRule) -> bool {
    if !a.mask.iter().zip(&b.mask).any(|(x, y)| x & y != 0) {
        return false;
    }
    let mut kinds: Vec<u32> = a.fields.iter().chain(&b.fields).map(|f| f.field).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        if kind == F_FILTERKEY {
            continue;
        }
        let both = a
            .fields
            .iter()
            .chain(&b.fields)
            .filter(|f| f.field == kind)
            .map(allowed)
            .fold(Allowed::Anything, Allowed::and);
        if both.nothing() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x86_64, two users and groups, and a few files.
    struct Fake {
        machine: Option<Machine>,
        passwd_readable: bool,
    }

    const DIRS: &[&str] = &[
        "/",
        "/etc",
        "/etc/audit",
        "/etc/sudoers.d",
        "/var",
        "/var/log",
        "/var/run",
        "/usr",
        "/usr/bin",
        "/usr/sbin",
        "/etc/apparmor.d",
    ];
    const FILES: &[&str] = &[
        "/etc/passwd",
        "/etc/shadow",
        "/usr/bin/su",
        "/etc/localtime",
    ];

    impl Host for Fake {
        fn machine(&self) -> Option<Machine> {
            self.machine
        }
        fn uid(&self, name: &str) -> Result<Option<u32>, String> {
            if !self.passwd_readable {
                return Err("/etc/passwd: permission denied".into());
            }
            Ok([("root", 0), ("alice", 1000)]
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, u)| *u))
        }
        fn gid(&self, name: &str) -> Result<Option<u32>, String> {
            Ok([("root", 0), ("adm", 4)]
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, g)| *g))
        }
        fn is_dir(&self, path: &str) -> Result<bool, String> {
            Ok(DIRS.contains(&path))
        }
    }

    impl kernel::Files for Fake {
        fn kind(&self, path: &str) -> Result<Option<bool>, String> {
            let path = match path.trim_end_matches('/') {
                "" => "/",
                p => p,
            };
            Ok(if DIRS.contains(&path) {
                Some(true)
            } else if FILES.contains(&path) {
                Some(false)
            } else {
                None
            })
        }
    }

    const X86: Fake = Fake {
        machine: Some(Machine::X86_64),
        passwd_readable: true,
    };

    fn load_with(host: &Fake, files: &[(&str, &str)], awk: Awk) -> (AuditRules, Vec<Diagnostic>) {
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let lines = augenrules::merge(&files, awk);
        let mut out = AuditRules::default();
        let mut diags = Vec::new();
        evaluate(&lines, host, host, &mut out, &mut diags);
        (out, diags)
    }

    fn load(text: &str) -> (AuditRules, Vec<Diagnostic>) {
        load_with(&X86, &[("/etc/audit/rules.d/50.rules", text)], Awk::Mawk)
    }

    fn rules(text: &str) -> Vec<AuditRule> {
        load(text).0.rules
    }

    fn one(text: &str) -> AuditRule {
        let r = rules(text);
        assert_eq!(r.len(), 1, "{text}: {r:#?}");
        r.into_iter().next().unwrap()
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_cis_rule_becomes_a_record() {
        let r = one("-a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -k perm_mod\n");
        assert_eq!((r.list.as_str(), r.action.as_str()), ("exit", "always"));
        assert_eq!(r.arch.as_deref(), Some("b64"));
        assert_eq!(r.syscalls, strs(&["chmod", "fchmod", "fchmodat"]));
        assert_eq!(r.filters, strs(&["auid>=1000", "auid!=unset"]));
        assert_eq!(r.key.as_deref(), Some("perm_mod"));
        assert_eq!(
            r.text,
            "-a always,exit -F arch=b64 -S chmod,fchmod,fchmodat -F auid>=1000 -F auid!=unset -F key=perm_mod"
        );
        assert_eq!(r.source, Source::line("/etc/audit/rules.d/50.rules", 1));
        assert!(r.shadowed_by.is_empty() && r.watch.is_none() && r.perms.is_empty());
        assert_eq!(r.fields[1].name, "auid");
        assert_eq!(r.fields[1].value, json!(1000));
        assert_eq!(r.fields[2].value, json!("unset"));
    }

    #[test]
    fn spellings_auditctl_treats_alike() {
        let base = one("-a always,exit -F arch=b64 -S chmod,fchmod -F auid!=unset -k k\n");
        for text in [
            "-a exit,always -F arch=b64 -S chmod,fchmod -F auid!=unset -k k",
            "-a always,exit -F arch=b64 -S chmod -S fchmod -F auid!=-1 -k k",
            "-a always,exit -F arch=x86_64 -S fchmod,chmod -F auid!=4294967295 -F key=k",
            "-a always,exit -F arch=B64 -S 90,91 -F loginuid!=unset -k k",
            "-a always,exit -F arch=0xc000003e -S ,chmod,,FCHMOD, -F AUID!=unset -k k",
            "-a  always,exit   -F arch=b64 -S chmod,fchmod -F auid!=unset -k k  ",
            "-a always,exit -F arch=b64 -S chmod,fchmod -Fauid!=unset -kk",
        ] {
            let r = one(&format!("{text}\n"));
            assert_eq!(
                (&r.arch, &r.syscalls, &r.filters, &r.keys),
                (&base.arch, &base.syscalls, &base.filters, &base.keys),
                "{text}"
            );
        }
    }

    #[test]
    fn exit_values_and_success() {
        let f = |t: &str| one(&format!("-a always,exit -F arch=b64 -S open {t}\n")).filters;
        assert_eq!(f("-F exit=-EACCES"), strs(&["exit=-EACCES"]));
        assert_eq!(f("-F exit=-13"), strs(&["exit=-EACCES"]));
        assert_eq!(f("-F exit=-eacces"), strs(&["exit=-EACCES"]));
        assert_eq!(f("-F exit=EACCES"), strs(&["exit=13"]));
        assert_eq!(f("-F exit=-EWOULDBLOCK"), strs(&["exit=-EAGAIN"]));
        assert_eq!(f("-F success=1"), strs(&["success=1"]));
        assert_eq!(f("-F success=0x1 -F a0=0"), strs(&["success=1", "a0=0x0"]));
        assert_eq!(f("-F auid>=0100"), strs(&["auid>=64"]));
        assert_eq!(f("-F auid=alice -F gid=adm"), strs(&["auid=1000", "gid=4"]));
    }

    #[test]
    fn arches_and_their_system_calls() {
        let r = one("-a always,exit -F arch=b32 -S chmod,chown -k x\n");
        assert_eq!(r.arch.as_deref(), Some("b32"));
        // Numbered as i386 numbers them.
        assert_eq!(r.syscalls, strs(&["chmod", "chown"]));
        assert_eq!(r.fields[0].text, "arch=b32");
        assert_eq!(
            one("-a always,exit -F arch=i686 -S chmod\n")
                .arch
                .as_deref(),
            Some("b32")
        );
        assert_eq!(
            one("-a always,exit -F arch=aarch64 -S fchmodat\n")
                .arch
                .as_deref(),
            Some("aarch64")
        );
        // No arch: this machine's calls, and any arch matches.
        let r = one("-a always,exit -S chmod\n");
        assert_eq!((r.arch, r.syscalls), (None, strs(&["chmod"])));
        // `arch!=` and two arches narrow the rule: they are filters.
        let r = one("-a always,exit -F arch!=b32 -S chmod\n");
        assert_eq!((r.arch.as_deref(), r.filters), (None, strs(&["arch!=b32"])));
        let r = one("-a always,exit -F arch=b64 -F arch=b32 -S chmod\n");
        assert_eq!(r.filters, strs(&["arch=b64", "arch=b32"]));
        assert_eq!(
            one("-a always,exit -F arch=b64 -S all\n").syscalls,
            strs(&["all"])
        );
        assert_eq!(
            one("-a always,exit -F arch=b64 -F auid>=1000\n").syscalls,
            strs(&["all"])
        );
    }

    #[test]
    fn watches() {
        let r = one("-w /etc/sudoers.d/ -p aw -k scope\n");
        assert_eq!(r.watch.as_deref(), Some("/etc/sudoers.d"));
        assert_eq!(r.perms, strs(&["w", "a"]));
        assert!(r.filters.is_empty());
        assert_eq!(r.syscalls, strs(&["all"]));
        assert_eq!(r.text, "-w /etc/sudoers.d -p wa -k scope");
        assert_eq!(one("-w /etc/passwd\n").perms, strs(&["r", "w", "x", "a"]));
        let r = one(
            "-a always,exit -F path=/usr/bin/su -F perm=x -F auid>=1000 -F auid!=unset -k priv\n",
        );
        assert_eq!(r.watch.as_deref(), Some("/usr/bin/su"));
        assert_eq!(r.perms, strs(&["x"]));
        assert_eq!(r.filters, strs(&["auid>=1000", "auid!=unset"]));
        // `-p` after a path sets its permissions; a later `-p` wins.
        assert_eq!(
            one("-a always,exit -F dir=/etc/audit/ -p r -p wa\n").perms,
            strs(&["w", "a"])
        );
        // An arch narrows a watch: a filter there.
        assert_eq!(
            one("-a always,exit -F arch=b64 -F path=/etc/shadow -F perm=wa\n").filters,
            strs(&["arch=b64"])
        );
        // On a syscall rule, perm narrows the calls: a filter.
        assert_eq!(
            one("-a always,exit -S all -F perm=wa\n").filters,
            strs(&["perm=wa"])
        );
        let r = one("-w /etc/passwd -k a -F key=b -k c\n");
        assert_eq!(r.keys, strs(&["a", "b", "c"]));
        assert_eq!(r.text, "-w /etc/passwd -p rwxa -k a -k b -k c");
    }

    #[test]
    fn comparisons() {
        for c in ["euid!=uid", "uid!=euid"] {
            let r = one(&format!(
                "-a always,exit -F arch=b64 -C {c} -F auid!=unset -S execve -k emu\n"
            ));
            assert_eq!(r.filters, strs(&["uid!=euid", "auid!=unset"]));
            assert!(r.fields[1].compare);
        }
    }

    #[test]
    fn comments_blank_lines_and_words_auditctl_ignores() {
        let (a, diags) = load("# comment\n\n   \n  # indented\n-w /etc/passwd -p wa\n");
        assert_eq!(a.rules.len(), 1);
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn a_rejected_line_stops_the_load() {
        let (a, diags) =
            load("-w /etc/passwd -p wa\n-w /etc/shadow -p wz\n-w /etc/group -p wa\n-e 2\n");
        assert_eq!(a.rules.len(), 1);
        assert_eq!(a.enabled, None);
        assert_eq!(
            a.stopped_at,
            Some(Source::line("/etc/audit/rules.d/50.rules", 2))
        );
        assert!(diags[0].message.contains("stops loading"), "{diags:?}");
        assert!(!diags[0].incomplete);
        // `-i` (or `-c`) on an earlier line goes on.
        let (a, _) = load("-i\n-w /etc/passwd -p wa\n-w /etc/shadow -p wz\n-w /etc/shadow -p wa\n");
        assert_eq!(a.rules.len(), 2);
        assert_eq!(a.stopped_at, None);
    }

    #[test]
    fn lines_auditctl_rejects() {
        for bad in [
            "-w /etc/passwd -p wa\r",
            "\t# a comment indented with a tab (mawk keeps it)",
            "\r",
            "-w /etc/passwd\t-p wa",
            "-w /etc/passwd -p wa # trailing comment",
            "-a always,exit -S open -F arch=b64",
            "-a always,exit -F arch=b64 -S chmod -k x -k",
            "-a always,exit -F arch=b64 -S nosuchcall",
            "-a always,exit -F arch=b64 -S open -F exit=-EFOO",
            "-a always,exit -F arch=b64 -S open -F success=yes",
            "-a always,exit -F arch=b64 -S open -F auid>=nosuchuser",
            "-a always,task -S open",
            "-a always,EXIT -S open",
            "-w relative -p wa",
            "-w /etc/passwd -a always,exit",
            "-F arch=b64 -a always,exit -S open",
            "-a always,exit -k x -S open",
            "-b -1",
            "-h",
            "foo",
        ] {
            let (a, diags) = load(&format!("{bad}\n-w /etc/group -p wa\n"));
            assert!(a.rules.is_empty(), "{bad:?} was accepted: {:?}", a.rules);
            assert!(a.stopped_at.is_some(), "{bad:?}");
            assert!(!diags.is_empty() && !diags[0].incomplete, "{bad:?}");
        }
    }

    #[test]
    fn lines_auditctl_accepts_oddly() {
        // Words after -i are left unread, without error.
        let (a, _) = load("-w /etc/passwd -i\n-w /etc/group\n");
        assert_eq!(a.rules.len(), 1);
        assert_eq!(a.rules[0].watch.as_deref(), Some("/etc/group"));
        // `possible` is deprecated: the line is dropped, loading goes on.
        let (a, diags) = load("-a exit,possible -S open\n-w /etc/group\n");
        assert_eq!(a.rules.len(), 1);
        assert!(diags[0].message.contains("ignores"));
        // An escaped space stays in the path.
        assert_eq!(
            one("-w /etc/a\\ b -p wa\n").watch.as_deref(),
            Some("/etc/a b")
        );
        // Only len/3 + 1 words are read: the last `-k` here has no value.
        let (a, _) = load("-w /a -k 1 -k 2 -k 3\n");
        assert!(a.rules.is_empty());
    }

    #[test]
    fn control_lines_and_their_order() {
        let (a, _) = load_with(
            &X86,
            &[
                ("/r/10.rules", "-D\n-b 320\n-f 1\n-e 2\n"),
                ("/r/20.rules", "-b 8192\n--backlog_wait_time 60000\n--loginuid-immutable\n-w /etc/passwd -p wa\n"),
            ],
            Awk::Mawk,
        );
        assert_eq!(a.rules.len(), 1);
        assert_eq!(
            (
                a.enabled,
                a.backlog_limit,
                a.failure,
                a.backlog_wait_time,
                a.loginuid_immutable
            ),
            (Some(2), Some(8192), Some(1), Some(60000), true)
        );
        // mawk leaves an indented `-e 2` in place: what follows is refused.
        let (a, diags) = load_with(
            &X86,
            &[("/r/10.rules", " -e 2\n-w /etc/passwd -p wa\n")],
            Awk::Mawk,
        );
        assert_eq!((a.enabled, a.rules.len()), (Some(2), 0));
        assert!(diags[0].message.contains("locked"), "{diags:?}");
        let (a, _) = load_with(
            &X86,
            &[("/r/10.rules", " -e 2\n-w /etc/passwd -p wa\n")],
            Awk::Gawk,
        );
        assert_eq!((a.enabled, a.rules.len()), (Some(2), 1));
        // `-e 3` is moved to the end: the rules before it are loaded.
        let (a, diags) = load("-e 3\n-w /etc/passwd -p wa\n");
        assert_eq!((a.rules.len(), a.enabled), (1, None));
        assert!(diags[0].message.contains("enable must be"), "{diags:?}");
        // A rule file augenrules ignores holds nothing the kernel gets.
        let names = augenrules::listing(&strs(&["50-x.rules.disabled", "50-y.rules"])).names;
        assert_eq!(names, strs(&["50-y.rules"]));
    }

    #[test]
    fn the_kernel_refuses() {
        // The same rule twice: `Rule exists`, which stops the load.
        let (a, diags) = load("-w /etc/passwd -p wa\n-w /etc/passwd -p wa\n-w /etc/shadow -p wa\n");
        assert_eq!(a.rules.len(), 1);
        assert!(diags[0].message.contains("Rule exists"));
        // A watch whose directory does not exist.
        let (a, diags) = load("-w /etc/sysconfig/network -p wa\n-w /etc/shadow -p wa\n");
        assert!(a.rules.is_empty());
        assert!(diags[0].message.contains("does not exist"));
        // `-F path=` ending in `/`, and two keys.
        assert!(rules("-a always,exit -F path=/etc/audit/ -F perm=wa\n").is_empty());
        assert!(rules("-a always,exit -S open -F KEY=a -k b\n").is_empty());
        // -W removes only an identical watch.
        let (a, diags) = load("-w /etc/passwd -p wa -k id\n-W /etc/passwd -p wa\n");
        assert_eq!(a.rules.len(), 1);
        assert!(diags[0].message.contains("No rule matches"));
        assert!(rules("-w /etc/passwd -p wa -k id\n-W /etc/passwd -p wa -k id\n").is_empty());
        // -D -k removes the rules whose key holds it.
        let r = rules("-w /etc/passwd -k identity\n-w /etc/shadow -k other\n-D -k ident\n");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].key.as_deref(), Some("other"));
    }

    #[test]
    fn earlier_never_rules_shadow() {
        let always = "-a always,exit -F arch=b64 -S chmod -F auid>=1000 -F auid!=unset -k p";
        let shadow = |never: &str| {
            let r = rules(&format!("{never}\n{always}\n"));
            assert_eq!(r.len(), 2, "{never}");
            r[1].shadowed_by.clone()
        };
        assert_eq!(
            shadow("-a never,exit -F arch=b64 -S chmod,chown"),
            strs(&["/etc/audit/rules.d/50.rules:1"])
        );
        assert_eq!(shadow("-a exit,never -S all").len(), 1);
        assert_eq!(
            shadow("-a never,exit -F arch=b64 -S chmod -F exe=/usr/bin/x").len(),
            1
        );
        // Provably disjoint: another arch, other calls, unset auid, root.
        assert!(shadow("-a never,exit -F arch=b32 -S chmod").is_empty());
        assert!(shadow("-a never,exit -F arch=b64 -S chown").is_empty());
        assert!(shadow("-a never,exit -F arch=b64 -S chmod -F auid=unset").is_empty());
        assert!(shadow("-a never,exit -F arch=b64 -S chmod -F auid<1000").is_empty());
        // A later never rule does not matter; an `-A` one comes first.
        let r = rules(&format!("{always}\n-a never,exit -F arch=b64 -S chmod\n"));
        assert!(r[0].shadowed_by.is_empty());
        let r = rules(&format!("{always}\n-A never,exit -F arch=b64 -S chmod\n"));
        assert_eq!(r[1].shadowed_by, strs(&["/etc/audit/rules.d/50.rules:2"]));
    }

    #[test]
    fn what_cannot_be_known_is_incomplete() {
        let unknown = Fake {
            machine: None,
            passwd_readable: true,
        };
        let (a, diags) = load_with(
            &unknown,
            &[(
                "/r/a.rules",
                "-w /etc/passwd -p wa\n-a always,exit -F arch=b64 -S chmod\n-w /etc/shadow\n",
            )],
            Awk::Mawk,
        );
        assert_eq!(a.rules.len(), 1);
        assert!(diags.iter().any(|d| d.incomplete), "{diags:?}");
        let no_passwd = Fake {
            machine: Some(Machine::X86_64),
            passwd_readable: false,
        };
        let (_, diags) = load_with(
            &no_passwd,
            &[("/r/a.rules", "-a always,exit -S open -F auid=alice\n")],
            Awk::Mawk,
        );
        assert!(diags.iter().any(|d| d.incomplete));
        // Numbers and `unset` need no account database.
        let (a, diags) = load_with(
            &no_passwd,
            &[(
                "/r/a.rules",
                "-a always,exit -S open -F auid>=1000 -F auid!=unset\n",
            )],
            Awk::Mawk,
        );
        assert_eq!((a.rules.len(), diags.len()), (1, 0));
    }

    #[test]
    fn undecided_awk_keeps_what_both_load() {
        let files = vec![(
            "/r/a.rules".to_string(),
            "-w /etc/passwd -p wa\n\t# tab comment\n-w /etc/shadow -p wa\n".to_string(),
        )];
        let mawk = augenrules::merge(&files, Awk::Mawk);
        let gawk = augenrules::merge(&files, Awk::Gawk);
        let mut out = AuditRules::default();
        let mut diags = Vec::new();
        undecided(&X86, &X86, &mut out, &mut diags, &mawk, &gawk);
        assert_eq!(out.rules.len(), 1);
        assert!(diags[0].incomplete);
    }
}
