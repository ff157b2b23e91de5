//! Probes: what each one observes in the facts, as items with their source.

use super::compare;
use crate::diag::Diagnostic;
use crate::facts::walk::Interest;
use crate::facts::{keyvalue, Collected, FactError, FactResult, Facts, Source};
use crate::policy::{Probe, ProbeCheck, Separator, View};
use crate::target::TargetError;
use globset::GlobMatcher;
use serde_json::{json, Value};

/// One thing a probe observed: a value (a scalar, or a record with fields)
/// and where it came from.
#[derive(Debug, Clone)]
pub struct Item {
    pub value: Value,
    pub source: Option<Source>,
    /// Context an auditor needs, such as "OpenSSH default".
    pub note: Option<String>,
}

impl Item {
    fn new(value: Value, source: Option<Source>) -> Item {
        Item {
            value,
            source,
            note: None,
        }
    }
}

/// Why a probe observed nothing it could judge.
#[derive(Debug, Clone)]
pub enum Skip {
    NotApplicable(String),
    Error(String),
}

impl From<FactError> for Skip {
    fn from(e: FactError) -> Skip {
        match e {
            FactError::RuntimeOnly { .. } => Skip::NotApplicable(e.to_string()),
            FactError::Read(e) => Skip::Error(e.to_string()),
        }
    }
}

impl From<TargetError> for Skip {
    fn from(e: TargetError) -> Skip {
        Skip::Error(e.to_string())
    }
}

impl From<&TargetError> for Skip {
    fn from(e: &TargetError) -> Skip {
        Skip::Error(e.to_string())
    }
}

/// At most this many notes are kept per check; the rest are counted.
const MAX_NOTES: usize = 20;

/// What a probe saw, tallied as the items arrive: how many passed `where`,
/// how many met the check's condition, and a few of each kind for the
/// evidence. However many items a probe offers (a line per line of a 16 MiB
/// file, a record per account), a check holds a bounded number of them.
#[derive(Debug)]
pub struct Gathered<'c> {
    /// Items that passed `where`.
    pub seen: usize,
    /// Of those, the ones that met the value condition (all of them for
    /// `exists` and `count`, which compare no value).
    pub matched: usize,
    /// Evidence candidates with whether each met the condition: up to
    /// MAX_OBSERVED offending ones and MAX_OBSERVED others, in item order.
    pub kept: Vec<(Item, bool)>,
    /// How many items the probe offered before `where`.
    pub offered: usize,
    pub notes: Vec<String>,
    /// Input that could not be read in full, so items may be missing: a
    /// verdict that the missing items could change is an error.
    pub gaps: Vec<String>,
    /// Notes and gaps not kept, beyond [`MAX_NOTES`] each.
    pub dropped: usize,
    check: &'c ProbeCheck,
    kept_offending: usize,
    kept_other: usize,
}

impl<'c> Gathered<'c> {
    fn new(check: &'c ProbeCheck) -> Self {
        Gathered {
            seen: 0,
            matched: 0,
            kept: Vec::new(),
            offered: 0,
            notes: Vec::new(),
            gaps: Vec::new(),
            dropped: 0,
            check,
            kept_offending: 0,
            kept_other: 0,
        }
    }

    fn keeps(&self, value: &Value) -> bool {
        self.check
            .filter
            .iter()
            .all(|(field, cond)| compare::holds(cond, &field_value(value, field)))
    }

    /// An item: counted if it passes `where`, judged on the check's
    /// `field`, and kept only as evidence.
    fn push(&mut self, item: Item) {
        self.offered += 1;
        if self.keeps(&item.value) {
            let value = match self.check.field.as_deref() {
                Some(field) => field_value(&item.value, field),
                None => item.value,
            };
            self.tally(value, item.source, item.note);
        }
    }

    /// A record the fact owns, copied only as far as the check reads it.
    fn push_record(&mut self, record: &Value, source: Option<Source>) {
        self.offered += 1;
        if self.keeps(record) {
            let value = match self.check.field.as_deref() {
                Some(field) => field_value(record, field),
                None => record.clone(),
            };
            self.tally(value, source, None);
        }
    }

    /// Judges one item (already reduced to the check's field).
    fn tally(&mut self, value: Value, source: Option<Source>, note: Option<String>) {
        self.seen += 1;
        let met = match &self.check.assertion {
            crate::policy::Assertion::Value(cond) => compare::holds(cond, &value),
            _ => true,
        };
        if met {
            self.matched += 1;
        }
        let offending = super::offending(self.check, met);
        let room = if offending {
            &mut self.kept_offending
        } else {
            &mut self.kept_other
        };
        if *room < super::MAX_OBSERVED {
            *room += 1;
            self.kept.push((
                Item {
                    value,
                    source,
                    note,
                },
                met,
            ));
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(note.into());
        } else {
            self.dropped += 1;
        }
    }

    /// The value of a fact the probe lists items from; what its input
    /// lacks becomes a gap.
    fn listed<'f, T>(&mut self, fact: &'f FactResult<T>) -> Result<&'f T, Skip> {
        let c = fact.as_ref().map_err(|e| Skip::from(e.clone()))?;
        self.note_gaps(&c.diagnostics);
        Ok(&c.value)
    }

    fn note_gaps(&mut self, diagnostics: &[Diagnostic]) {
        for d in diagnostics.iter().filter(|d| d.incomplete) {
            self.gap(d.to_string());
        }
    }

    fn gap(&mut self, gap: String) {
        if self.gaps.contains(&gap) {
            return;
        }
        if self.gaps.len() < MAX_NOTES {
            self.gaps.push(gap);
        } else {
            self.dropped += 1;
        }
    }
}

/// The value of a fact the probe reads one effective value from: input
/// left unread could hold the assignment that wins, so any gap is an error.
fn exact<T>(fact: &FactResult<T>) -> Result<&T, Skip> {
    whole(fact.as_ref().map_err(|e| Skip::from(e.clone()))?)
}

fn whole<T>(c: &Collected<T>) -> Result<&T, Skip> {
    match c.diagnostics.iter().find(|d| d.incomplete) {
        Some(d) => Err(Skip::Error(format!(
            "the effective value cannot be known: {d}"
        ))),
        None => Ok(&c.value),
    }
}

/// Fields that exist only on a live host; asking for them elsewhere makes a
/// check not applicable rather than false.
const RUNTIME_FIELDS: &[(&str, &str)] = &[("service", "active"), ("kernel_module", "loaded")];

/// Fields that come from /etc/shadow or /etc/gshadow rather than passwd/group.
const SHADOW_FIELDS: &[&str] = &[
    "password_state",
    "hash_algorithm",
    "last_change",
    "min_days",
    "max_days",
    "warn_days",
    "inactive_days",
    "expire_date",
    "admins",
];

pub fn probe_key(p: &Probe) -> &'static str {
    match p {
        Probe::File { .. } => "file",
        Probe::FileContent { .. } => "file_content",
        Probe::Config { .. } => "config",
        Probe::Sshd { .. } => "sshd",
        Probe::Sysctl { .. } => "sysctl",
        Probe::Package { .. } => "package",
        Probe::Service { .. } => "service",
        Probe::KernelModule { .. } => "kernel_module",
        Probe::Mount { .. } => "mount",
        Probe::User { .. } => "user",
        Probe::Group { .. } => "group",
        Probe::Listening { .. } => "listening",
        Probe::Process { .. } => "process",
        Probe::Fact { .. } => "fact",
        Probe::Walk { .. } => "walk",
        Probe::LoginDefs { .. } => "login_defs",
        Probe::KernelParam { .. } => "kernel_param",
        Probe::AuditRule { .. } => "audit_rule",
        Probe::SudoDefault { .. } => "sudo_default",
        Probe::SudoRule { .. } => "sudo_rule",
    }
}

/// A short description of what the probe looks at, for evidence.
pub fn describe(p: &Probe) -> String {
    match p {
        Probe::File { path, follow } => {
            if *follow {
                format!("file {path}")
            } else {
                format!("file {path} (not following links)")
            }
        }
        Probe::FileContent { path, line } => match line {
            Some(re) => format!("lines of {path} matching /{}/", re.as_str()),
            None => format!("lines of {path}"),
        },
        Probe::Config {
            path, key, section, ..
        } => match section {
            Some(s) => format!("{path} [{s}] {key}"),
            None => format!("{path} {key}"),
        },
        Probe::Sshd {
            keyword,
            include_match,
        } => {
            if *include_match {
                format!("sshd {keyword} (global and Match blocks)")
            } else {
                format!("sshd {keyword}")
            }
        }
        Probe::Sysctl { key, from, .. } => match from {
            View::Runtime => format!("sysctl {key}"),
            View::Configured => format!("sysctl {key} (configured)"),
        },
        Probe::Package { name } => format!("package {name}"),
        Probe::Service { name } => format!("service {name}"),
        Probe::KernelModule { name } => format!("kernel module {name}"),
        Probe::Mount {
            mountpoint, from, ..
        } => match from {
            View::Runtime => format!("mount {mountpoint}"),
            View::Configured => format!("mount {mountpoint} (configured)"),
        },
        Probe::User { name } => format!("users {name}"),
        Probe::Group { name } => format!("groups {name}"),
        Probe::Listening { port } => match port {
            Some(p) => format!("listening sockets on port {p}"),
            None => "listening sockets".to_string(),
        },
        Probe::Process { name } => format!("processes {name}"),
        Probe::Fact { path } => format!("fact {path}"),
        Probe::Walk { kind } => format!("files that are {}", kind.replace('_', " ")),
        Probe::LoginDefs { key } => format!("login.defs {key}"),
        Probe::KernelParam {
            name,
            from,
            fallback,
            as_bool,
            all,
        } => {
            let mut s = format!("kernel parameter {name}");
            if *all {
                s.push_str(" (every instance)");
            }
            if *as_bool {
                s.push_str(" as a boolean");
            }
            match (from, fallback) {
                (View::Configured, _) => s.push_str(" in the boot configuration"),
                (View::Runtime, true) => {
                    s.push_str(" of the running kernel (else the boot configuration)")
                }
                (View::Runtime, false) => s.push_str(" of the running kernel"),
            }
            s
        }
        Probe::AuditRule { list } => match list {
            Some(l) => format!("audit rules of the {l} list"),
            None => "audit rules".to_string(),
        },
        Probe::SudoDefault { name, overrides } => {
            if *overrides {
                format!("sudoers {name} (global and per host, user, runas, command)")
            } else {
                format!("sudoers {name} (global)")
            }
        }
        Probe::SudoRule { command } => format!("sudoers rules for commands matching {command}"),
    }
}

fn matcher(pattern: &str) -> Option<GlobMatcher> {
    globset::Glob::new(pattern)
        .ok()
        .map(|g| g.compile_matcher())
}

/// The fields a check reads from its items (`field` and `where`).
fn fields_used(check: &ProbeCheck) -> impl Iterator<Item = &str> {
    check
        .field
        .iter()
        .map(String::as_str)
        .chain(check.filter.iter().map(|(f, _)| f.as_str()))
}

/// The files a content probe reads. A glob (or `~/`) names files to read,
/// so directories it matches (a `locks/` beside drop-ins) are passed over;
/// a plain path naming a directory stays an error when it is read.
fn readable_paths(facts: &Facts, pattern: &str, out: &mut Gathered) -> Result<Vec<String>, Skip> {
    let paths = facts.paths(pattern);
    let paths = out.listed(&paths)?;
    if !crate::target::has_glob_chars(pattern) && !pattern.starts_with("~/") {
        return Ok(paths.clone());
    }
    let mut out = Vec::with_capacity(paths.len());
    for p in paths {
        let is_dir = matches!(
            &*facts.file_meta(p, true),
            Ok(Some(m)) if m.file_type == crate::target::FileType::Directory
        );
        if !is_dir {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub fn gather<'c>(check: &'c ProbeCheck, facts: &Facts) -> Result<Gathered<'c>, Skip> {
    let key = probe_key(&check.probe);
    let live = facts.target().is_live();
    for field in fields_used(check) {
        if !live && RUNTIME_FIELDS.contains(&(key, field)) {
            return Err(Skip::NotApplicable(format!(
                "`{field}` of a {key} exists only on a live host"
            )));
        }
    }
    let mut out = Gathered::new(check);
    match &check.probe {
        Probe::File { path, follow } => {
            // Names come from the target's accounts: a check that reads
            // them cannot be judged without them.
            let uses = |field: &str| fields_used(check).any(|f| f == field);
            let users = if uses("owner") {
                out.listed(facts.passwd())?.as_slice()
            } else {
                crate::facts::fact_ref(facts.passwd()).map_or(&[][..], Vec::as_slice)
            };
            let groups = if uses("group") {
                out.listed(facts.group())?.as_slice()
            } else {
                crate::facts::fact_ref(facts.group()).map_or(&[][..], Vec::as_slice)
            };
            let owner = |uid: u32| -> Value {
                users
                    .iter()
                    .find(|u| u.uid == uid)
                    .map_or(Value::Null, |u| json!(u.name))
            };
            let group = |gid: u32| -> Value {
                groups
                    .iter()
                    .find(|g| g.gid == gid)
                    .map_or(Value::Null, |g| json!(g.name))
            };
            let paths = facts.paths(path);
            let paths = out.listed(&paths)?.clone();
            for p in &paths {
                match &*facts.file_meta(p, *follow) {
                    Ok(Some(m)) => out.push(Item::new(
                        json!({
                            "path": m.path,
                            "type": m.file_type.name(),
                            "mode": format!("{:04o}", m.mode),
                            "uid": m.uid,
                            "gid": m.gid,
                            "owner": owner(m.uid),
                            "group": group(m.gid),
                            "size": m.size,
                            "link_target": m.link_target,
                        }),
                        Some(Source::file(p.clone())),
                    )),
                    Ok(None) => out.note(format!("{p} does not exist")),
                    Err(e) => return Err(e.into()),
                }
            }
            if paths.is_empty() {
                out.note(format!("nothing matches {path}"));
            }
        }
        Probe::FileContent { path, line } => {
            let paths = readable_paths(facts, path, &mut out)?;
            let paths = &paths;
            if paths.is_empty() {
                out.note(format!("nothing matches {path}"));
            }
            for p in paths {
                let text = facts.file_text(p);
                let text = match &*text {
                    Ok(Some(t)) => t,
                    Ok(None) => {
                        out.note(format!("{p} does not exist"));
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                if text.truncated {
                    out.gap(format!(
                        "{p}: file is larger than the read limit; only its beginning was read"
                    ));
                }
                for (i, raw) in text.text.lines().enumerate() {
                    let l = raw.strip_suffix('\r').unwrap_or(raw);
                    let value = match line {
                        None => Some(l.to_string()),
                        Some(re) => re.compiled().ok().and_then(|re| re.captures(l)).map(|c| {
                            c.get(1)
                                .or_else(|| c.get(0))
                                .map_or(String::new(), |m| m.as_str().to_string())
                        }),
                    };
                    if let Some(v) = value {
                        out.push(Item::new(
                            Value::String(v),
                            Some(Source::line(p.clone(), i as u32 + 1)),
                        ));
                    }
                }
            }
        }
        Probe::Config {
            path,
            key,
            section,
            separator,
            ignore_case,
        } => {
            let opts = keyvalue::KvOptions {
                separator: match separator {
                    Separator::Whitespace => keyvalue::Separator::Whitespace,
                    Separator::Equals => keyvalue::Separator::Equals,
                    Separator::Auto => keyvalue::Separator::Auto,
                },
                case_insensitive_keys: *ignore_case,
            };
            let paths = readable_paths(facts, path, &mut out)?;
            let paths = &paths;
            // Later files override earlier ones, as drop-in directories do.
            let mut found = None;
            for p in paths {
                match &*facts.config(p, &opts) {
                    Ok(Some(parsed)) => {
                        let entries = whole(parsed)?;
                        if let Some(e) =
                            keyvalue::lookup(entries, section.as_deref(), key, *ignore_case)
                        {
                            found = Some(Item::new(
                                Value::String(e.value.clone()),
                                Some(Source::line(p.clone(), e.line)),
                            ));
                        }
                    }
                    Ok(None) => out.note(format!("{p} does not exist")),
                    Err(e) => return Err(e.into()),
                }
            }
            match found {
                Some(item) => out.push(item),
                None if !paths.is_empty() => out.note(format!("{key} is not set")),
                None => out.note(format!("nothing matches {path}")),
            }
        }
        Probe::Sshd {
            keyword,
            include_match,
        } => {
            let sshd = exact(facts.sshd())?;
            let Some(cfg) = sshd else {
                out.note("/etc/ssh/sshd_config does not exist");
                return Ok(out);
            };
            if let Some(v) = cfg.get(keyword) {
                let mut item = Item::new(Value::String(v.value.clone()), v.source.clone());
                if v.source.is_none() {
                    item.note = Some("OpenSSH default".into());
                }
                out.push(item);
            } else {
                out.note(format!("{keyword} is not set and has no default"));
            }
            if *include_match {
                let name = crate::facts::sshd::canonical_keyword(keyword);
                for block in &cfg.match_blocks {
                    if let Some(v) = block.settings.get(&name) {
                        let mut item = Item::new(Value::String(v.value.clone()), v.source.clone());
                        item.note = Some(format!("Match {}", block.criteria));
                        out.push(item);
                    }
                }
            }
        }
        Probe::Sysctl {
            key,
            from,
            fallback,
        } => {
            let configured = |out: &mut Gathered| -> Result<(), Skip> {
                let c = exact(facts.sysctl_configured())?;
                match c.get(key) {
                    Some(s) => out.push(Item::new(json!(s.value), Some(s.source.clone()))),
                    None => out.note(format!(
                        "{key} is not set in any sysctl configuration file \
                         (the kernel's built-in default is not assumed)"
                    )),
                }
                Ok(())
            };
            match from {
                View::Configured => configured(&mut out)?,
                View::Runtime => match &*facts.sysctl_runtime(key) {
                    Ok(Some(s)) => out.push(Item::new(json!(s.value), Some(s.source.clone()))),
                    Ok(None) => out.note(format!("{key} does not exist in this kernel")),
                    Err(FactError::RuntimeOnly { .. }) if *fallback => {
                        out.note("runtime value unavailable; configured value used");
                        configured(&mut out)?;
                    }
                    Err(e) => return Err(e.clone().into()),
                },
            }
        }
        Probe::Package { name } => {
            let pkgs = out.listed(facts.packages())?;
            // One database read is enough to answer; an unreadable one
            // beside it (rare) is in the report's diagnostics.
            let readable = pkgs.managers.iter().any(|m| !pkgs.unread.contains(m));
            if !readable {
                return Err(Skip::Error(if pkgs.managers.is_empty() {
                    "no package database found (dpkg, apk, rpm); cannot tell what is installed"
                        .into()
                } else {
                    format!(
                        "the {} package database cannot be read; cannot tell what is installed",
                        pkgs.unread.join(", ")
                    )
                }));
            }
            match pkgs.get(name) {
                Some(p) => out.push(Item::new(
                    json!({ "name": p.name, "version": p.version, "arch": p.arch, "manager": p.manager, "state": p.state }),
                    Some(p.source.clone()),
                )),
                None => out.note(format!("{name} is not installed")),
            }
        }
        Probe::Service { name } => {
            let services = exact(facts.services())?;
            match services.get(name) {
                Some(s) => out.push(Item::new(
                    serde_json::to_value(&*s).unwrap_or(Value::Null),
                    Some(s.source.clone()),
                )),
                None => out.note(format!("no unit named {name}")),
            }
        }
        Probe::KernelModule { name } => {
            let config = exact(facts.modprobe())?;
            let loaded = if live {
                let mods = exact(facts.modules_loaded())?;
                json!(mods.iter().any(|m| &m.name == name))
            } else {
                Value::Null
            };
            let install = config.install.get(name);
            let blacklisted = config.blacklisted.get(name);
            let source = install
                .map(|(_, s)| s.clone())
                .or_else(|| blacklisted.cloned());
            out.push(Item::new(
                json!({
                    "name": name,
                    "loaded": loaded,
                    "blacklisted": blacklisted.is_some(),
                    "install": install.map(|(cmd, _)| cmd),
                    "disabled": install.is_some_and(|(cmd, _)| crate::facts::modules::install_disables(cmd)),
                }),
                source,
            ));
        }
        Probe::Mount {
            mountpoint,
            from,
            fallback,
        } => {
            let find = |mounts: &[crate::facts::mounts::Mount], out: &mut Gathered| {
                // The last mount on a point is the one visible there.
                match mounts
                    .iter()
                    .rev()
                    .find(|m| same_mountpoint(&m.mountpoint, mountpoint))
                {
                    Some(m) => out.push(Item::new(
                        json!({ "mountpoint": m.mountpoint, "device": m.device, "fstype": m.fstype, "options": m.options }),
                        Some(m.source.clone()),
                    )),
                    None => out.note(format!("{mountpoint} is not a separate mount")),
                }
            };
            let runtime = match from {
                View::Runtime => facts.mounts_runtime(),
                View::Configured => facts.fstab(),
            };
            match runtime {
                Err(FactError::RuntimeOnly { .. }) if *fallback => {
                    out.note("runtime mounts unavailable; /etc/fstab used");
                    find(exact(facts.fstab())?, &mut out);
                }
                other => find(exact(other)?, &mut out),
            }
        }
        Probe::User { name } | Probe::Group { name } => {
            let is_user = matches!(check.probe, Probe::User { .. });
            if fields_used(check).any(|f| SHADOW_FIELDS.contains(&f)) {
                let (result, file) = if is_user {
                    (
                        facts.shadow().as_ref().map(|c| c.value.is_some()),
                        "/etc/shadow",
                    )
                } else {
                    (
                        facts.gshadow().as_ref().map(|c| c.value.is_some()),
                        "/etc/gshadow",
                    )
                };
                match result {
                    Err(e) => return Err(e.clone().into()),
                    Ok(false) => {
                        return Err(Skip::Error(format!(
                            "{file} does not exist; password fields cannot be checked"
                        )))
                    }
                    Ok(true) => {}
                }
            }
            // Records are built one at a time; what the files lacked
            // comes along as gaps.
            if is_user {
                out.listed(facts.passwd())?;
                if let Ok(shadow) = facts.shadow() {
                    out.note_gaps(&shadow.diagnostics);
                }
            } else {
                out.listed(facts.group())?;
                if let Ok(gshadow) = facts.gshadow() {
                    out.note_gaps(&gshadow.diagnostics);
                }
            }
            // Evidence cites the file the compared value comes from.
            let shadow = check
                .field
                .as_deref()
                .is_some_and(|f| SHADOW_FIELDS.contains(&f));
            let (file, line_key) = match (is_user, shadow) {
                (true, false) => ("/etc/passwd", "line"),
                (true, true) => ("/etc/shadow", "shadow_line"),
                (false, false) => ("/etc/group", "line"),
                (false, true) => ("/etc/gshadow", "gshadow_line"),
            };
            let m = matcher(name);
            let mut visit = |record: Value| {
                let rname = record["name"].as_str().unwrap_or("");
                if m.as_ref().is_some_and(|m| m.is_match(rname)) {
                    let line = record
                        .get(line_key)
                        .and_then(Value::as_u64)
                        .map(|l| l as u32);
                    let source = Source {
                        file: file.into(),
                        line,
                    };
                    out.push_record(&record, Some(source));
                }
            };
            let all = if is_user {
                facts.each_user(&mut visit)
            } else {
                facts.each_group(&mut visit)
            };
            all.map_err(Skip::from)?;
        }
        Probe::Listening { port } => {
            let sockets = out.listed(facts.listening())?;
            for s in sockets.iter().filter(|s| port.is_none_or(|p| s.port == p)) {
                out.push(Item::new(
                    serde_json::to_value(s).unwrap_or(Value::Null),
                    Some(s.source.clone()),
                ));
            }
        }
        Probe::Process { name } => {
            let procs = out.listed(facts.processes())?;
            let m = matcher(name);
            for p in procs
                .iter()
                .filter(|p| m.as_ref().is_some_and(|m| m.is_match(&p.name)))
            {
                out.push(Item::new(
                    serde_json::to_value(p).unwrap_or(Value::Null),
                    Some(Source::file(format!("/proc/{}", p.pid))),
                ));
            }
        }
        Probe::Walk { kind } => {
            let walk = out.listed(facts.walk())?;
            for e in walk.matching(interest(kind)) {
                out.push(Item::new(
                    json!({
                        "path": e.path, "type": e.file_type.name(), "mode": format!("{:04o}", e.mode),
                        "uid": e.uid, "gid": e.gid, "size": e.size,
                    }),
                    Some(Source::file(e.path.clone())),
                ));
            }
        }
        Probe::LoginDefs { key } => {
            let defs = exact(facts.login_defs())?;
            let e = defs.effective(key);
            if e.value.is_null() {
                out.note(e.note.unwrap_or_else(|| format!("{key} is not set")));
            } else {
                let mut item = Item::new(e.value, e.source);
                item.note = e.note;
                out.push(item);
            }
        }
        Probe::KernelParam {
            name,
            from,
            fallback,
            as_bool,
            all,
        } => {
            let push = |out: &mut Gathered, line: &crate::facts::cmdline::Cmdline| {
                let (value, source) =
                    crate::facts::cmdline::param_value(line, name, *all, *as_bool);
                let absent = value.is_null();
                let mut item = Item::new(value, source.or_else(|| Some(Source::file(&line.file))));
                item.note = Some(if absent {
                    format!("{}: not set", line.config)
                } else {
                    line.config.clone()
                });
                out.push(item);
            };
            let configured = |out: &mut Gathered| -> Result<(), Skip> {
                let lines = out.listed(facts.kernel_cmdline_configured())?;
                if lines.is_empty() {
                    out.note(
                        "no boot configuration found (GRUB defaults, boot loader entries, /etc/kernel/cmdline)"
                            ,
                    );
                }
                for line in lines {
                    push(out, line);
                }
                Ok(())
            };
            match from {
                View::Configured => configured(&mut out)?,
                View::Runtime => match facts.kernel_cmdline_runtime() {
                    Err(FactError::RuntimeOnly { .. }) if *fallback => {
                        out.note("no running kernel; the boot configuration's command lines used");
                        configured(&mut out)?;
                    }
                    other => push(&mut out, exact(other)?),
                },
            }
        }
        Probe::AuditRule { list } => {
            let audit = out.listed(facts.audit_rules())?;
            if let Some(at) = &audit.stopped_at {
                out.note(format!("loading stops at {at}: no rule after it is loaded"));
            }
            let before = out.offered;
            for rule in audit
                .rules
                .iter()
                .filter(|r| list.as_ref().is_none_or(|l| &r.list == l))
            {
                let mut record = serde_json::to_value(rule).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut record {
                    map.remove("source");
                }
                out.push(Item::new(record, Some(rule.source.clone())));
            }
            if out.offered == before {
                out.note(if audit.files.is_empty() {
                    "no audit rules file".to_string()
                } else {
                    format!("no rule is loaded from {}", audit.files.join(", "))
                });
            }
        }
        Probe::SudoDefault { name, overrides } => {
            let Some(sudoers) = exact(facts.sudoers())? else {
                out.note(format!("{} does not exist", crate::facts::sudoers::SUDOERS));
                return Ok(out);
            };
            let value =
                |v: &crate::facts::sudoers::Value| serde_json::to_value(v).unwrap_or(Value::Null);
            match sudoers.effective(name) {
                Some(s) => {
                    let mut item = Item::new(value(&s.value), s.source.clone());
                    item.note = Some(match s.source {
                        Some(_) => "global Defaults".into(),
                        None => "sudo's built-in value (1.9.13, Debian 12 build)".into(),
                    });
                    out.push(item);
                }
                None => out.note(format!(
                    "{name} is not set by a global Defaults, and its built-in value depends on the host"
                )),
            }
            if *overrides {
                let (overrides, complete) = sudoers.overrides(name);
                if !complete {
                    return Err(Skip::Error(format!(
                        "sudoers sets {name} for too many bindings to fold them all"
                    )));
                }
                for o in overrides {
                    let mut item = Item::new(value(&o.value), Some(o.source));
                    item.note = Some(o.binding);
                    out.push(item);
                }
            }
            if !sudoers.valid {
                out.note("visudo -c would reject this sudoers (see the diagnostics)");
            }
        }
        Probe::SudoRule { command } => {
            let Some(sudoers) = out.listed(facts.sudoers())? else {
                out.note(format!("{} does not exist", crate::facts::sudoers::SUDOERS));
                return Ok(out);
            };
            let m = matcher(command);
            let (rules, complete) = sudoers.rules();
            if !complete {
                out.gap(
                    "sudoers: the user specifications expand to too many commands; not all were listed"
                        .into(),
                );
            }
            for r in rules {
                if !m.as_ref().is_some_and(|m| m.is_match(&r.command)) {
                    continue;
                }
                let t = &r.tags;
                let o = &r.options;
                out.push(Item::new(
                    json!({
                        "users": r.users, "all_users": r.all_users, "hosts": r.hosts,
                        "runas_users": r.runas_users, "runas_groups": r.runas_groups,
                        "command": r.command, "negated": r.negated, "alias": r.alias,
                        "nopasswd": t.nopasswd, "noexec": t.noexec, "intercept": t.intercept,
                        "setenv": t.setenv, "log_input": t.log_input, "log_output": t.log_output,
                        "mail": t.mail, "follow": t.follow,
                        "cwd": o.cwd, "chroot": o.chroot, "timeout": o.timeout,
                        "notbefore": o.notbefore, "notafter": o.notafter,
                        "role": o.role, "type": o.r#type,
                    }),
                    Some(r.source.clone()),
                ));
            }
        }
        Probe::Fact { path } => {
            let mut parts = path.split('.');
            let name = parts.next().unwrap_or("");
            if !crate::facts::FACT_NAMES.contains(&name) {
                return Err(Skip::Error(format!(
                    "no fact named `{name}`; facts: {}",
                    crate::facts::FACT_NAMES.join(", ")
                )));
            }
            let root = facts.json(name);
            let rest: Vec<&str> = parts.collect();
            // A list may lack items the unread input held; one value may
            // be the wrong one.
            let listed =
                matches!(&*root, Ok(c) if matches!(lookup(&c.value, &rest), Some(Value::Array(_))));
            let root = if listed {
                out.listed(&root)?
            } else {
                exact(&root)?
            };
            match lookup(root, &rest) {
                Some(Value::Array(items)) => {
                    for v in items {
                        out.push_record(v, None);
                    }
                }
                Some(Value::Null) | None => out.note(format!("{path} is not known")),
                Some(v) => out.push(Item::new(v.clone(), None)),
            }
        }
    }
    Ok(out)
}

/// A field of a record, by dotted path; `null` when absent.
pub fn field_value(value: &Value, field: &str) -> Value {
    let parts: Vec<&str> = field.split('.').collect();
    lookup(value, &parts).cloned().unwrap_or(Value::Null)
}

/// The value at a dotted path inside a JSON value.
pub fn lookup<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, part| match v {
        Value::Object(map) => map.get(*part),
        Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// `/var/tmp/` and `/var/tmp` name the same mount point.
fn same_mountpoint(a: &str, b: &str) -> bool {
    let trim = |p: &str| match p.trim_end_matches('/') {
        "" => "/".to_string(),
        t => t.to_string(),
    };
    trim(a) == trim(b)
}

/// The walk interest a `walk` probe's kind names (validated at load).
pub fn interest(kind: &str) -> Interest {
    match kind {
        "world_writable" => Interest::WorldWritable,
        "world_writable_no_sticky" => Interest::WorldWritableNoSticky,
        "unowned" => Interest::Unowned,
        "ungrouped" => Interest::Ungrouped,
        "setuid" => Interest::Setuid,
        _ => Interest::Setgid,
    }
}
