//! Audit rules: what the kernel would hold after the next start of auditd,
//! read from the rules files as `augenrules --load` merges them and
//! `auditctl -R` parses them, each line as auditctl's own parser reads it.
//!
//! The running rules (`auditctl -l`) can only be read over the audit
//! netlink socket, so the files are the source: the view is that of the
//! next boot (or restart of auditd), which is what a benchmark asks for.
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
    /// matches: all but `arch=` (when it is the rule's one arch), the key,
    /// and for a watch its path and permissions.
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
        let mut seen = 0;
        loop {
            let Some(meta) = target.metadata(&path, false)? else {
                break;
            };
            let name = path.rsplit('/').next().unwrap_or_default().to_string();
            if name.contains("mawk") {
                return Ok(Some(Awk::Mawk));
            }
            if name.contains("gawk") {
                return Ok(Some(Awk::Gawk));
            }
            match meta.link_target {
                Some(to) if seen < 40 => {
                    seen += 1;
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
            F_ARCH => sole_arch.is_none(),
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
