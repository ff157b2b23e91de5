//! The per-scan store of facts: each computed at most once, on first use, and
//! shared by every rule. A rule that asks for a fact another thread is
//! computing waits for it instead of computing it again (`OnceLock`).

use super::*;
use crate::diag::Diagnostic;
use crate::target::{FileMeta, FileText, Target, TargetError};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A cache of values computed from a key, each once, holding at most
/// [`MAX_CACHED`] keys: past that (a hostile tree with a million paths to
/// look at), values are computed each time they are asked for, and memory
/// stays bounded.
struct Keyed<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceLock<Arc<V>>>>>,
    limit: usize,
}

/// The most keys a [`Keyed`] cache holds.
const MAX_CACHED: usize = 100_000;

/// The most file texts cached...
const MAX_CACHED_TEXTS: usize = 256;

/// ...each at most this big: at most 256 MiB of cached text in all.
const MAX_CACHED_TEXT_BYTES: u64 = 1 << 20;

impl<K: Eq + Hash, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed::with_limit(MAX_CACHED)
    }
}

impl<K: Eq + Hash, V> Keyed<K, V> {
    fn with_limit(limit: usize) -> Self {
        Keyed {
            cells: Mutex::new(HashMap::new()),
            limit,
        }
    }

    fn get(&self, key: K, compute: impl FnOnce() -> V) -> Arc<V> {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
            match cells.get(&key) {
                Some(cell) => Some(cell.clone()),
                None if cells.len() < self.limit => Some(cells.entry(key).or_default().clone()),
                None => None,
            }
        };
        // Computed outside the map's lock, so facts of other keys proceed.
        match cell {
            Some(cell) => cell.get_or_init(|| Arc::new(compute())).clone(),
            None => Arc::new(compute()),
        }
    }
}

/// Names of the facts `posture inventory` prints and `fact:` probes address.
pub const FACT_NAMES: &[&str] = &[
    "target",
    "os",
    "system",
    "hardware",
    "packages",
    "users",
    "groups",
    "login_defs",
    "services",
    "sysctl",
    "mounts",
    "kernel_modules",
    "sshd",
    "listening",
    "processes",
    "kernel_cmdline",
    "audit_rules",
    "sudoers",
];

/// A parser of a line-oriented file: entries and the problems met.
type Parser<T> = fn(&str, &str) -> (Vec<T>, Vec<Diagnostic>);
/// A parsed key/value file (its diagnostics say whether it was cut), or
/// `None` when it does not exist.
type ConfigResult = Result<Option<Collected<Vec<keyvalue::KvEntry>>>, TargetError>;

pub struct Facts<'t> {
    target: &'t Target,
    os: OnceLock<FactResult<os::OsInfo>>,
    system: OnceLock<FactResult<os::SystemInfo>>,
    hardware: OnceLock<FactResult<Value>>,
    packages: OnceLock<FactResult<packages::Packages>>,
    passwd: OnceLock<FactResult<Vec<accounts::PasswdEntry>>>,
    shadow: OnceLock<FactResult<Option<Vec<accounts::ShadowEntry>>>>,
    group: OnceLock<FactResult<Vec<accounts::GroupEntry>>>,
    gshadow: OnceLock<FactResult<Option<Vec<accounts::GshadowEntry>>>>,
    login_defs: OnceLock<FactResult<login_defs::LoginDefs>>,
    login_homes: OnceLock<FactResult<Vec<String>>>,
    services: OnceLock<FactResult<services::Services>>,
    sysctl_configured: OnceLock<FactResult<sysctl::ConfiguredSysctl>>,
    mounts_runtime: OnceLock<FactResult<Vec<mounts::Mount>>>,
    fstab: OnceLock<FactResult<Vec<mounts::Mount>>>,
    modprobe: OnceLock<FactResult<modules::ModprobeConfig>>,
    modules_loaded: OnceLock<FactResult<Vec<modules::LoadedModule>>>,
    sshd: OnceLock<FactResult<Option<sshd::SshdConfig>>>,
    listening: OnceLock<FactResult<Vec<net::Socket>>>,
    processes: OnceLock<FactResult<Vec<processes::Process>>>,
    walk: OnceLock<FactResult<walk::Walk>>,
    kernel_cmdline_runtime: OnceLock<FactResult<cmdline::Cmdline>>,
    kernel_cmdline_configured: OnceLock<FactResult<Vec<cmdline::Cmdline>>>,
    audit_rules: OnceLock<FactResult<audit::AuditRules>>,
    sudoers: OnceLock<FactResult<Option<sudoers::Sudoers>>>,
    /// What the walk records: what the scan's rules ask of it (all when
    /// nobody said).
    walk_interests: BTreeSet<walk::Interest>,
    sysctl_runtime: Keyed<String, Result<Option<sysctl::SysctlSetting>, FactError>>,
    file_meta: Keyed<(String, bool), Result<Option<FileMeta>, TargetError>>,
    file_text: Keyed<String, Result<Option<FileText>, TargetError>>,
    globs: Keyed<String, Result<Collected<Vec<String>>, FactError>>,
    config: Keyed<(String, u8, bool), ConfigResult>,
    json: Keyed<String, Result<Collected<Value>, FactError>>,
    diagnostics: Mutex<crate::diag::Smallest>,
    timings: Mutex<Vec<(String, Duration)>>,
}

impl<'t> Facts<'t> {
    pub fn new(target: &'t Target) -> Facts<'t> {
        Facts {
            target,
            os: OnceLock::new(),
            system: OnceLock::new(),
            hardware: OnceLock::new(),
            packages: OnceLock::new(),
            passwd: OnceLock::new(),
            shadow: OnceLock::new(),
            group: OnceLock::new(),
            gshadow: OnceLock::new(),
            login_defs: OnceLock::new(),
            login_homes: OnceLock::new(),
            services: OnceLock::new(),
            sysctl_configured: OnceLock::new(),
            mounts_runtime: OnceLock::new(),
            fstab: OnceLock::new(),
            modprobe: OnceLock::new(),
            modules_loaded: OnceLock::new(),
            sshd: OnceLock::new(),
            listening: OnceLock::new(),
            processes: OnceLock::new(),
            walk: OnceLock::new(),
            kernel_cmdline_runtime: OnceLock::new(),
            kernel_cmdline_configured: OnceLock::new(),
            audit_rules: OnceLock::new(),
            sudoers: OnceLock::new(),
            walk_interests: BTreeSet::new(),
            sysctl_runtime: Keyed::default(),
            file_meta: Keyed::default(),
            // Texts are up to 16 MiB each: a few hundred at most are kept.
            file_text: Keyed::with_limit(MAX_CACHED_TEXTS),
            globs: Keyed::default(),
            config: Keyed::default(),
            json: Keyed::default(),
            diagnostics: Mutex::new(crate::diag::Smallest::default()),
            timings: Mutex::new(Vec::new()),
        }
    }

    /// Limits the filesystem walk to what the rules of the scan need.
    pub fn with_walk_interests(mut self, interests: BTreeSet<walk::Interest>) -> Self {
        self.walk_interests = interests;
        self
    }

    /// The one filesystem walk of the scan.
    pub fn walk(&self) -> &FactResult<walk::Walk> {
        self.once(&self.walk, "walk", || {
            let interests = if self.walk_interests.is_empty() {
                walk::Interest::ALL.iter().copied().collect()
            } else {
                self.walk_interests.clone()
            };
            let mut spec = walk::WalkSpec {
                interests,
                known_uids: HashSet::new(),
                known_gids: HashSet::new(),
            };
            // Ownership is judged against the target's own accounts.
            if spec.interests.contains(&walk::Interest::Unowned) {
                spec.known_uids = fact_ref(self.passwd())?.iter().map(|u| u.uid).collect();
            }
            if spec.interests.contains(&walk::Interest::Ungrouped) {
                spec.known_gids = fact_ref(self.group())?.iter().map(|g| g.gid).collect();
            }
            walk::walk(self.target, &spec)
        })
    }

    pub fn target(&self) -> &'t Target {
        self.target
    }

    /// Problems met while parsing the target's files, sorted.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.diagnostics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .to_vec()
    }

    /// How long each fact took to compute, slowest first.
    pub fn timings(&self) -> Vec<(String, Duration)> {
        let mut t = self
            .timings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        t.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        t
    }

    fn note(&self, diags: &[Diagnostic]) {
        if !diags.is_empty() {
            let mut kept = self.diagnostics.lock().unwrap_or_else(|e| e.into_inner());
            for d in diags {
                kept.insert(d.clone());
            }
        }
    }

    /// Computes a whole fact once, recording its time and diagnostics.
    fn once<'a, T>(
        &self,
        cell: &'a OnceLock<FactResult<T>>,
        name: &str,
        compute: impl FnOnce() -> FactResult<T>,
    ) -> &'a FactResult<T> {
        cell.get_or_init(|| {
            let start = Instant::now();
            let mut result = compute();
            if let Ok(c) = &mut result {
                c.diagnostics = crate::diag::capped(std::mem::take(&mut c.diagnostics));
                self.note(&c.diagnostics);
            }
            self.timings
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((name.to_string(), start.elapsed()));
            result
        })
    }

    pub fn os(&self) -> &FactResult<os::OsInfo> {
        self.once(&self.os, "os", || os::collect_os(self.target))
    }

    pub fn system(&self) -> &FactResult<os::SystemInfo> {
        self.once(&self.system, "system", || os::collect_system(self.target))
    }

    pub fn hardware(&self) -> &FactResult<Value> {
        self.once(&self.hardware, "hardware", || {
            super::hardware::collect(self.target)
        })
    }

    pub fn packages(&self) -> &FactResult<packages::Packages> {
        self.once(&self.packages, "packages", || {
            packages::collect(self.target)
        })
    }

    pub fn passwd(&self) -> &FactResult<Vec<accounts::PasswdEntry>> {
        self.once(&self.passwd, "passwd", || {
            self.parse_required("/etc/passwd", accounts::parse_passwd)
        })
    }

    /// `None` when the target has no shadow file.
    pub fn shadow(&self) -> &FactResult<Option<Vec<accounts::ShadowEntry>>> {
        self.once(&self.shadow, "shadow", || {
            self.parse_optional("/etc/shadow", accounts::parse_shadow)
        })
    }

    pub fn group(&self) -> &FactResult<Vec<accounts::GroupEntry>> {
        self.once(&self.group, "group", || {
            self.parse_required("/etc/group", accounts::parse_group)
        })
    }

    pub fn gshadow(&self) -> &FactResult<Option<Vec<accounts::GshadowEntry>>> {
        self.once(&self.gshadow, "gshadow", || {
            self.parse_optional("/etc/gshadow", accounts::parse_gshadow)
        })
    }

    /// /etc/login.defs as shadow's tools read it.
    pub fn login_defs(&self) -> &FactResult<login_defs::LoginDefs> {
        self.once(&self.login_defs, "login_defs", || {
            login_defs::collect(self.target)
        })
    }

    pub fn services(&self) -> &FactResult<services::Services> {
        self.once(&self.services, "services", || {
            services::collect(self.target)
        })
    }

    pub fn sysctl_configured(&self) -> &FactResult<sysctl::ConfiguredSysctl> {
        self.once(&self.sysctl_configured, "sysctl.configured", || {
            sysctl::collect_configured(self.target)
        })
    }

    pub fn sysctl_runtime(
        &self,
        key: &str,
    ) -> Arc<Result<Option<sysctl::SysctlSetting>, FactError>> {
        self.sysctl_runtime.get(sysctl::normalize_key(key), || {
            sysctl::read_runtime(self.target, key)
        })
    }

    pub fn mounts_runtime(&self) -> &FactResult<Vec<mounts::Mount>> {
        self.once(&self.mounts_runtime, "mounts.runtime", || {
            mounts::collect_runtime(self.target)
        })
    }

    pub fn fstab(&self) -> &FactResult<Vec<mounts::Mount>> {
        self.once(&self.fstab, "mounts.configured", || {
            mounts::collect_fstab(self.target)
        })
    }

    pub fn modprobe(&self) -> &FactResult<modules::ModprobeConfig> {
        self.once(&self.modprobe, "kernel_modules.configured", || {
            modules::collect_config(self.target)
        })
    }

    pub fn modules_loaded(&self) -> &FactResult<Vec<modules::LoadedModule>> {
        self.once(&self.modules_loaded, "kernel_modules.loaded", || {
            modules::collect_loaded(self.target)
        })
    }

    /// `None` when the target has no `/etc/ssh/sshd_config`.
    pub fn sshd(&self) -> &FactResult<Option<sshd::SshdConfig>> {
        self.once(&self.sshd, "sshd", || {
            const MAIN: &str = "/etc/ssh/sshd_config";
            let Some(main) = self.target.read_text(MAIN)? else {
                return Ok(Collected::new(None, Vec::new()));
            };
            let mut cut = Vec::new();
            // The parser stops at its budget of files and bytes; reading
            // stops there too, so a glob of many large files is not read
            // only to be dropped. One file past either limit is returned,
            // for the parser to say what was left out.
            let (mut files, mut bytes) = (0usize, 0u64);
            let mut read_glob = |pattern: &str| -> Vec<sshd::IncludedFile> {
                let paths = match self.target.glob(pattern) {
                    Ok(p) => p,
                    Err(e) => {
                        return vec![sshd::IncludedFile {
                            path: pattern.to_string(),
                            content: Err(e.to_string()),
                        }]
                    }
                };
                let room = (sshd::MAX_INCLUDED_FILES + 1).saturating_sub(files);
                paths
                    .into_iter()
                    .take(room)
                    .map(|path| {
                        files += 1;
                        let budget = (sshd::MAX_INCLUDED_BYTES + 1)
                            .saturating_sub(bytes)
                            .min(self.target.read_cap());
                        if budget == 0 {
                            let content = Err(format!(
                                "not read: the included files already hold {} MiB",
                                sshd::MAX_INCLUDED_BYTES >> 20
                            ));
                            return sshd::IncludedFile { path, content };
                        }
                        let content = match self.target.read_text_capped(&path, budget) {
                            Ok(Some(t)) => {
                                // What was read counts, whole lines kept or not.
                                bytes += if t.truncated {
                                    budget
                                } else {
                                    t.text.len() as u64
                                };
                                if t.truncated {
                                    cut.push(truncated(&path));
                                }
                                Ok(t.text)
                            }
                            Ok(None) => Err("file vanished while reading".to_string()),
                            Err(e) => Err(e.to_string()),
                        };
                        sshd::IncludedFile { path, content }
                    })
                    .collect()
            };
            let mut diags = Vec::new();
            let body = whole_lines(&main, &mut diags);
            let (config, parse_diags) = sshd::parse(MAIN, body, &mut read_glob);
            diags.extend(parse_diags);
            diags.extend(cut);
            Ok(Collected::new(Some(config), diags))
        })
    }

    /// The running kernel's command line (live hosts only).
    pub fn kernel_cmdline_runtime(&self) -> &FactResult<cmdline::Cmdline> {
        self.once(
            &self.kernel_cmdline_runtime,
            "kernel_cmdline.runtime",
            || cmdline::collect_runtime(self.target),
        )
    }

    /// The command lines the boot configurations give the kernel.
    pub fn kernel_cmdline_configured(&self) -> &FactResult<Vec<cmdline::Cmdline>> {
        self.once(
            &self.kernel_cmdline_configured,
            "kernel_cmdline.configured",
            || cmdline::collect_configured(self.target),
        )
    }

    /// The audit rules the kernel gets at boot.
    pub fn audit_rules(&self) -> &FactResult<audit::AuditRules> {
        self.once(&self.audit_rules, "audit_rules", || {
            let system = self.system().as_ref().map_err(Clone::clone)?;
            let unread = |e: &FactError| e.to_string();
            let users = fact_ref(self.passwd());
            let groups = fact_ref(self.group());
            let env = audit::Env {
                machine: system.value.arch.as_deref(),
                users: users.as_ref().map(|v| v.as_slice()).map_err(unread),
                groups: groups.as_ref().map(|v| v.as_slice()).map_err(unread),
            };
            audit::collect(self.target, &env)
        })
    }

    /// `None` when the target has no `/etc/sudoers`.
    pub fn sudoers(&self) -> &FactResult<Option<sudoers::Sudoers>> {
        self.once(&self.sudoers, "sudoers", || sudoers::collect(self.target))
    }

    pub fn listening(&self) -> &FactResult<Vec<net::Socket>> {
        self.once(&self.listening, "listening", || net::collect(self.target))
    }

    pub fn processes(&self) -> &FactResult<Vec<processes::Process>> {
        self.once(&self.processes, "processes", || {
            let mut procs = processes::collect(self.target)?;
            // The kernel knows uids; names come from the target's passwd.
            if let Ok(users) = fact_ref(self.passwd()) {
                for p in &mut procs.value {
                    p.user = p
                        .uid
                        .and_then(|uid| users.iter().find(|u| u.uid == uid))
                        .map(|u| u.name.clone());
                }
            }
            Ok(procs)
        })
    }

    pub fn file_meta(
        &self,
        path: &str,
        follow: bool,
    ) -> Arc<Result<Option<FileMeta>, TargetError>> {
        self.file_meta.get((path.to_string(), follow), || {
            self.target.metadata(path, follow)
        })
    }

    /// A file's text. Small ones are cached for the other rules that read
    /// them; one larger than [`MAX_CACHED_TEXT_BYTES`] is read each time it
    /// is asked for, so the cache stays small.
    pub fn file_text(&self, path: &str) -> Arc<Result<Option<FileText>, TargetError>> {
        let read = || {
            let text = self.target.read_text(path);
            if let Ok(Some(t)) = &text {
                if t.truncated {
                    self.note(&[truncated(path)]);
                }
            }
            text
        };
        let big =
            matches!(&*self.file_meta(path, true), Ok(Some(m)) if m.size > MAX_CACHED_TEXT_BYTES);
        if big {
            return Arc::new(read());
        }
        self.file_text.get(path.to_string(), read)
    }

    /// The paths a probe's path argument names: itself, or a glob's
    /// matches. `~/` stands for every login home, so an unreadable passwd
    /// is an error here, and a cut one leaves an incomplete diagnostic.
    pub fn paths(&self, pattern: &str) -> Arc<Result<Collected<Vec<String>>, FactError>> {
        if let Some(rest) = pattern.strip_prefix("~/") {
            return self.globs.get(pattern.to_string(), || {
                let homes = self.login_homes().as_ref().map_err(Clone::clone)?;
                let mut out = Vec::new();
                for home in &homes.value {
                    let expanded = format!("{}/{rest}", home.trim_end_matches('/'));
                    match &*self.paths(&expanded) {
                        Ok(paths) => out.extend(paths.value.iter().cloned()),
                        Err(e) => return Err(e.clone()),
                    }
                }
                Ok(Collected::new(out, homes.diagnostics.clone()))
            });
        }
        if !crate::target::has_glob_chars(pattern) {
            return Arc::new(Ok(Collected::new(vec![pattern.to_string()], Vec::new())));
        }
        self.globs.get(pattern.to_string(), || {
            Ok(Collected::new(self.target.glob(pattern)?, Vec::new()))
        })
    }

    /// The home directories `~/` stands for in paths: those of accounts
    /// with a login shell, in passwd order, each once; `/` and relative
    /// homes are left out, as no user's files live there. The incomplete
    /// diagnostics of passwd come along.
    pub fn login_homes(&self) -> &FactResult<Vec<String>> {
        self.once(&self.login_homes, "login_homes", || {
            let passwd = self.passwd().as_ref().map_err(Clone::clone)?;
            let mut seen = HashSet::new();
            let mut homes: Vec<String> = Vec::new();
            for u in &passwd.value {
                let home = u.home.trim_end_matches('/');
                if u.has_login_shell()
                    && home.starts_with('/')
                    && !crate::target::has_glob_chars(home)
                    && seen.insert(home)
                {
                    homes.push(home.to_string());
                }
            }
            Ok(Collected::new(homes, incomplete(&passwd.diagnostics)))
        })
    }

    /// A key/value configuration file, parsed; `None` when it does not exist.
    pub fn config(&self, path: &str, options: &keyvalue::KvOptions) -> Arc<ConfigResult> {
        let sep = match options.separator {
            keyvalue::Separator::Whitespace => 0,
            keyvalue::Separator::Equals => 1,
            keyvalue::Separator::Auto => 2,
        };
        self.config.get(
            (path.to_string(), sep, options.case_insensitive_keys),
            || {
                let text = self.file_text(path);
                match &*text {
                    Ok(Some(t)) => {
                        let mut diags = Vec::new();
                        let body = whole_lines(t, &mut diags);
                        let (entries, parse_diags) = keyvalue::parse(body, path, options);
                        diags.extend(parse_diags);
                        self.note(&diags);
                        Ok(Some(Collected::new(entries, diags)))
                    }
                    Ok(None) => Ok(None),
                    Err(e) => Err(e.clone()),
                }
            },
        )
    }

    fn parse_required<T>(&self, path: &str, parse: Parser<T>) -> FactResult<Vec<T>> {
        Ok(self
            .parse_optional(path, parse)?
            .map_value(|v| v.unwrap_or_default()))
    }

    fn parse_optional<T>(&self, path: &str, parse: Parser<T>) -> FactResult<Option<Vec<T>>> {
        let Some(text) = self.target.read_text(path)? else {
            return Ok(Collected::new(None, Vec::new()));
        };
        let mut diags = Vec::new();
        let (value, parse_diags) = parse(whole_lines(&text, &mut diags), path);
        diags.extend(parse_diags);
        Ok(Collected::new(Some(value), diags))
    }

    /// Users: passwd entries with their shadow fields (when shadow could be read).
    fn users_json(&self) -> Result<Value, FactError> {
        let mut out = Vec::new();
        self.each_user(|u| out.push(u))?;
        Ok(Value::Array(out))
    }

    /// Each user's record, one at a time: a probe over 65,536 accounts
    /// holds one record at a time rather than all of them.
    pub fn each_user(&self, mut f: impl FnMut(Value)) -> Result<(), FactError> {
        let passwd = fact_ref(self.passwd())?;
        let shadow = match self.shadow() {
            Ok(c) => c.value.as_ref(),
            Err(_) => None,
        };
        let gids: Option<HashSet<u32>> = fact_ref(self.group())
            .ok()
            .map(|g| g.iter().map(|g| g.gid).collect());
        // The first entry of a name is the one the tools find.
        let mut shadow_of: HashMap<&str, &accounts::ShadowEntry> = HashMap::new();
        for s in shadow.into_iter().flatten() {
            shadow_of.entry(s.name.as_str()).or_insert(s);
        }
        let (mut uids, mut names) = (HashMap::new(), HashMap::new());
        for p in passwd {
            *uids.entry(p.uid).or_insert(0usize) += 1;
            *names.entry(p.name.as_str()).or_insert(0usize) += 1;
        }
        for p in passwd {
            let home = match &*self.file_meta(&p.home, true) {
                Ok(Some(m)) if p.home.starts_with('/') => json!({
                    "exists": true,
                    "mode": format!("{:04o}", m.mode),
                    "uid": m.uid,
                    "gid": m.gid,
                }),
                Ok(_) => json!({ "exists": false, "mode": null, "uid": null, "gid": null }),
                Err(_) => json!({ "exists": null, "mode": null, "uid": null, "gid": null }),
            };
            let mut user = json!({
                "name": p.name, "uid": p.uid, "gid": p.gid, "gecos": p.gecos,
                "home": p.home, "shell": p.shell, "line": p.line,
                "login_shell": p.has_login_shell(),
                "duplicate_uid": uids[&p.uid] > 1,
                "duplicate_name": names[p.name.as_str()] > 1,
                "group_exists": gids.as_ref().map(|g| g.contains(&p.gid)),
                "home_exists": home["exists"], "home_mode": home["mode"],
                "home_uid": home["uid"], "home_gid": home["gid"],
                "home_owned": home["uid"].as_u64().map(|uid| uid == u64::from(p.uid)),
            });
            if let Some(s) = shadow_of.get(p.name.as_str()) {
                if let (Value::Object(u), Ok(Value::Object(sh))) =
                    (&mut user, serde_json::to_value(s))
                {
                    for (k, v) in sh {
                        match k.as_str() {
                            "name" => {}
                            // Evidence about shadow fields cites this line.
                            "line" => {
                                u.insert("shadow_line".into(), v);
                            }
                            _ => {
                                u.insert(k, v);
                            }
                        }
                    }
                }
            }
            f(user);
        }
        Ok(())
    }

    fn groups_json(&self) -> Result<Value, FactError> {
        let mut out = Vec::new();
        self.each_group(|g| out.push(g))?;
        Ok(Value::Array(out))
    }

    /// Each group's record, one at a time (see [`Facts::each_user`]).
    pub fn each_group(&self, mut f: impl FnMut(Value)) -> Result<(), FactError> {
        let groups = fact_ref(self.group())?;
        let gshadow = match self.gshadow() {
            Ok(c) => c.value.as_ref(),
            Err(_) => None,
        };
        let (mut gids, mut names) = (HashMap::new(), HashMap::new());
        for g in groups {
            *gids.entry(g.gid).or_insert(0usize) += 1;
            *names.entry(g.name.as_str()).or_insert(0usize) += 1;
        }
        let mut gshadow_of: HashMap<&str, &accounts::GshadowEntry> = HashMap::new();
        for s in gshadow.into_iter().flatten() {
            gshadow_of.entry(s.name.as_str()).or_insert(s);
        }
        for g in groups {
            let mut group = json!({
                "name": g.name, "gid": g.gid, "members": g.members, "line": g.line,
                "duplicate_gid": gids[&g.gid] > 1,
                "duplicate_name": names[g.name.as_str()] > 1,
            });
            if let Some(s) = gshadow_of.get(g.name.as_str()) {
                group["password_state"] =
                    serde_json::to_value(s.password_state).unwrap_or(Value::Null);
                group["admins"] = json!(s.admins);
                group["gshadow_line"] = json!(s.line);
            }
            f(group);
        }
        Ok(())
    }

    /// A fact as JSON, for `fact:` probes and `posture inventory`, with the
    /// incomplete diagnostics of the facts it was built from.
    pub fn json(&self, name: &str) -> Arc<Result<Collected<Value>, FactError>> {
        self.json.get(name.to_string(), || self.compute_json(name))
    }

    fn compute_json(&self, name: &str) -> Result<Collected<Value>, FactError> {
        fn to<T: serde::Serialize>(r: &FactResult<T>) -> Result<Collected<Value>, FactError> {
            let c = r.as_ref().map_err(Clone::clone)?;
            Ok(Collected::new(
                serde_json::to_value(&c.value).unwrap_or(Value::Null),
                incomplete(&c.diagnostics),
            ))
        }
        /// `{key: value, ...}` of the parts, with all their gaps.
        fn object(parts: Vec<(&str, Collected<Value>)>) -> Collected<Value> {
            let mut map = serde_json::Map::new();
            let mut gaps = Vec::new();
            for (key, part) in parts {
                map.insert(key.to_string(), part.value);
                gaps.extend(part.diagnostics);
            }
            Collected::new(Value::Object(map), gaps)
        }
        let null = || Collected::new(Value::Null, Vec::new());
        match name {
            "target" => Ok(Collected::new(
                json!({
                    "kind": self.target.kind(),
                    "root": self.target.root_dir().display().to_string(),
                }),
                Vec::new(),
            )),
            "os" => to(self.os()),
            "system" => to(self.system()),
            "hardware" => to(self.hardware()),
            "packages" => to(self.packages()),
            "users" => {
                let mut gaps = to(self.passwd())?.diagnostics;
                gaps.extend(to(self.shadow()).map(|c| c.diagnostics).unwrap_or_default());
                Ok(Collected::new(self.users_json()?, gaps))
            }
            "groups" => {
                let mut gaps = to(self.group())?.diagnostics;
                gaps.extend(
                    to(self.gshadow())
                        .map(|c| c.diagnostics)
                        .unwrap_or_default(),
                );
                Ok(Collected::new(self.groups_json()?, gaps))
            }
            "login_defs" => {
                let defs = to(self.login_defs())?;
                let effective = fact_ref(self.login_defs()).map(|d| {
                    login_defs::KEYS
                        .iter()
                        .map(|k| (k.name.to_string(), d.effective(k.name).value))
                        .collect::<serde_json::Map<_, _>>()
                })?;
                Ok(object(vec![
                    (
                        "effective",
                        Collected::new(Value::Object(effective), Vec::new()),
                    ),
                    ("file", defs),
                ]))
            }
            "services" => to(self.services()),
            "sysctl" => Ok(object(vec![("configured", to(self.sysctl_configured())?)])),
            "mounts" => Ok(object(vec![
                (
                    "runtime",
                    to(self.mounts_runtime()).unwrap_or_else(|_| null()),
                ),
                ("configured", to(self.fstab())?),
            ])),
            "kernel_modules" => Ok(object(vec![
                (
                    "loaded",
                    to(self.modules_loaded()).unwrap_or_else(|_| null()),
                ),
                ("configured", to(self.modprobe())?),
            ])),
            "sshd" => to(self.sshd()),
            "listening" => to(self.listening()),
            "processes" => to(self.processes()),
            "kernel_cmdline" => Ok(object(vec![
                (
                    "runtime",
                    to(self.kernel_cmdline_runtime()).unwrap_or_else(|_| null()),
                ),
                ("configured", to(self.kernel_cmdline_configured())?),
            ])),
            "audit_rules" => to(self.audit_rules()),
            "sudoers" => to(self.sudoers()),
            _ => Ok(null()),
        }
    }

    /// Every fact, for `posture inventory`; a fact that could not be
    /// collected shows `{"unavailable": reason}` or `{"error": reason}`.
    pub fn inventory(&self) -> Value {
        let mut map = serde_json::Map::new();
        for name in FACT_NAMES {
            let value = match &*self.json(name) {
                Ok(v) => v.value.clone(),
                Err(FactError::RuntimeOnly { what }) => {
                    json!({ "unavailable": format!("{what} exists only on a live host") })
                }
                Err(e) => json!({ "error": e.to_string() }),
            };
            map.insert(name.to_string(), value);
        }
        Value::Object(map)
    }
}

/// The diagnostics that say part of a fact's input was not read.
pub fn incomplete(diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| d.incomplete)
        .cloned()
        .collect()
}

/// The value of a fact, or its error.
pub fn fact_ref<T>(r: &FactResult<T>) -> Result<&T, FactError> {
    r.as_ref().map(|c| &c.value).map_err(Clone::clone)
}

impl<T> Collected<T> {
    pub fn map_value<U>(self, f: impl FnOnce(T) -> U) -> Collected<U> {
        Collected {
            value: f(self.value),
            diagnostics: self.diagnostics,
        }
    }
}
