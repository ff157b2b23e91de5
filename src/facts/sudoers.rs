//! sudoers, read the way sudo 1.9.13 (Debian 12) reads it.
//!
//! `/etc/sudoers` and what it includes, in sudo's order: `@include` and
//! `#include` read a file at the place of the line (relative paths next to
//! the including file, `%h` the short host name), `@includedir` and
//! `#includedir` read the directory's regular files in byte order, skipping
//! names that contain a `.` or end in `~`; nothing else is read, so a
//! `/etc/sudoers.d` that sudoers does not include does not count. Includes
//! nest at most 144 deep (sudo's limit, which is what ends a loop). As sudo
//! does, an include directory or an included directory's file that is not
//! owned by root, or is writable by others (or by a group other than root),
//! is skipped.
//!
//! The parse follows `toke.l` and `gram.y` ([`lex`], [`grammar`]): line
//! continuations, comments (`#` that is not `#include` or a `#uid`),
//! quoting and escapes, aliases, user specifications with the runas lists,
//! options and tags that carry over to later commands of the same list,
//! and Defaults of every binding with every operator. The effective value
//! of an option follows `update_defaults`: global, host, user and runas
//! Defaults apply in file order (the last one wins, lists accumulate), then
//! command Defaults; a setting sudo rejects (unknown option, bad value) is
//! ignored, as sudo ignores it, and reported.
//!
//! A sudoers that `visudo -c` would reject is reported: `valid` is false and
//! a diagnostic says why. A syntax error is an *incomplete* diagnostic:
//! sudo 1.9.13 drops the broken entry and goes on (or refuses to run at
//! all when sudo.conf sets `error_recovery=false`), so what the broken line
//! meant cannot be known and checks it could change are errors.

mod grammar;
mod lex;
pub mod options;

use crate::diag::Diagnostic;
use crate::facts::{Collected, FactResult, Source};
use crate::target::{FileType, Target};
use grammar::{Entry, SyntaxError};
pub use options::{Op, Value};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// The main file.
pub const SUDOERS: &str = "/etc/sudoers";

/// sudo stops nesting includes here (`MAX_SUDOERS_DEPTH` and the stack
/// growth of `push_include` make the 145th level fail).
const MAX_DEPTH: usize = 144;

/// Bounded work on hostile trees: files read in all (sudo has no such
/// limit; beyond it the fact is incomplete).
const MAX_FILES: usize = 1000;

/// Bounded work on hostile trees: members one list expands to, commands
/// all user specs expand to, and steps folding a list option per binding.
const MAX_EXPANDED: usize = 10_000;
const MAX_RULES: usize = 100_000;
const FOLD_BUDGET: usize = 1_000_000;

/// The owner sudo requires of its files (`sudoers_uid`, `sudoers_gid`).
const SUDOERS_UID: u32 = 0;
const SUDOERS_GID: u32 = 0;

/// A member of a user, host, runas or command list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    #[serde(flatten)]
    pub item: Item,
    pub negated: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub digests: Vec<Digest>,
}

impl Member {
    pub fn new(item: Item, negated: bool) -> Member {
        Member {
            item,
            negated,
            digests: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Item {
    All,
    Alias(String),
    /// A user, host or group name as written: `root`, `#0`, `web1`.
    Name(String),
    /// `%group`, `%#gid`, `%:group`, `%:#gid`, prefix included.
    Group(String),
    /// `+netgroup`, prefix included.
    Netgroup(String),
    /// An IP address or network.
    Network(String),
    /// `()`: the invoking user.
    Myself,
    /// A path, regex, `sudoedit` or `list`, with its arguments.
    Command {
        path: String,
        args: Option<String>,
    },
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::All => f.write_str("ALL"),
            Item::Alias(s)
            | Item::Name(s)
            | Item::Group(s)
            | Item::Netgroup(s)
            | Item::Network(s) => f.write_str(s),
            Item::Myself => Ok(()),
            Item::Command { path, args } => match args {
                Some(a) => write!(f, "{path} {a}"),
                None => f.write_str(path),
            },
        }
    }
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.digests {
            write!(f, "{}:{} ", d.algorithm, d.value)?;
        }
        if self.negated {
            f.write_str("!")?;
        }
        write!(f, "{}", self.item)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub algorithm: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasKind {
    User,
    Runas,
    Host,
    Cmnd,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alias {
    pub kind: AliasKind,
    pub name: String,
    pub members: Vec<Member>,
    pub source: Source,
}

/// Whom a Defaults line applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BindingKind {
    /// `Defaults`
    Global,
    /// `Defaults@host`
    Host,
    /// `Defaults:user`
    User,
    /// `Defaults>runas`
    Runas,
    /// `Defaults!command`
    Command,
}

impl BindingKind {
    fn sigil(self) -> &'static str {
        match self {
            BindingKind::Global => "",
            BindingKind::Host => "@",
            BindingKind::User => ":",
            BindingKind::Runas => ">",
            BindingKind::Command => "!",
        }
    }
}

/// One setting of a Defaults line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefaultsEntry {
    pub binding: BindingKind,
    /// The hosts, users, runas users or commands it is bound to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    pub name: String,
    pub op: Op,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub source: Source,
    /// Why sudo ignores the setting (visudo rejects it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl DefaultsEntry {
    /// `Defaults`, `Defaults:alice,%adm`, ...: the line's binding as written.
    pub fn binding_text(&self) -> String {
        let members: Vec<String> = self.members.iter().map(ToString::to_string).collect();
        format!("Defaults{}{}", self.binding.sigil(), members.join(","))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserSpec {
    pub users: Vec<Member>,
    pub privileges: Vec<Privilege>,
    pub source: Source,
}

/// `hosts = commands`, one of the `:`-separated parts of a user spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Privilege {
    pub hosts: Vec<Member>,
    pub commands: Vec<CmndSpec>,
}

/// One command of a user spec, with what applies to it after carry-over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CmndSpec {
    /// `None`: no runas spec (the `runas_default` user); `()` is
    /// [`Item::Myself`].
    pub runas_users: Option<Vec<Member>>,
    pub runas_groups: Option<Vec<Member>>,
    pub options: CmndOptions,
    pub tags: Tags,
    pub command: Member,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CmndOptions {
    pub cwd: Option<String>,
    pub chroot: Option<String>,
    /// Seconds.
    pub timeout: Option<i32>,
    pub notbefore: Option<String>,
    pub notafter: Option<String>,
    pub role: Option<String>,
    pub r#type: Option<String>,
}

/// Tag values: `Some(true)` for `NOPASSWD:` (`nopasswd`), `NOEXEC:`,
/// `INTERCEPT:`, `SETENV:`, `LOG_INPUT:`, `LOG_OUTPUT:`, `MAIL:`,
/// `FOLLOW:`; `Some(false)` for their opposites; `None` when no tag says
/// (the Defaults decide).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tags {
    pub nopasswd: Option<bool>,
    pub noexec: Option<bool>,
    pub intercept: Option<bool>,
    pub setenv: Option<bool>,
    pub log_input: Option<bool>,
    pub log_output: Option<bool>,
    pub mail: Option<bool>,
    pub follow: Option<bool>,
    /// SETENV comes from the command being `ALL`, not from a tag.
    #[serde(skip)]
    pub setenv_implied: bool,
}

/// The sudoers policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sudoers {
    /// The files read, in order.
    pub files: Vec<String>,
    /// Every Defaults setting, in file order.
    pub defaults: Vec<DefaultsEntry>,
    pub aliases: Vec<Alias>,
    pub user_specs: Vec<UserSpec>,
    /// Whether `visudo -c` would accept the files.
    pub valid: bool,
    /// The value each option set by a global Defaults has.
    pub global: BTreeMap<String, Setting>,
}

/// An option's value and the line that gave it (none for sudo's built-in
/// value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub value: Value,
    pub source: Option<Source>,
}

/// The value an option has for the hosts, users, runas users or commands
/// of one binding (`Defaults:alice`), where that binding sets it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Override {
    pub binding: String,
    pub value: Value,
    pub source: Source,
}

impl Sudoers {
    /// The global value of option `name`: the global Defaults in file
    /// order, or sudo's built-in value when none sets it.
    pub fn effective(&self, name: &str) -> Option<Setting> {
        self.global.get(name).cloned().or_else(|| {
            options::builtin(name).map(|value| Setting {
                value,
                source: None,
            })
        })
    }

    /// The value of `name` for each binding (`Defaults@host`,
    /// `Defaults:user`, `Defaults>runas`, `Defaults!cmnd`) that sets it: host,
    /// user and runas ones fold with the global settings in file order (a
    /// later global setting overrides an earlier bound one, as in sudo),
    /// command ones apply after all of them. Bindings written the same way
    /// are one binding. The flag is false when a list option had too many
    /// settings to fold them all (hostile input): bindings are missing.
    pub fn overrides(&self, name: &str) -> (Vec<Override>, bool) {
        let entries: Vec<(&DefaultsEntry, options::Change)> = self
            .defaults
            .iter()
            .filter(|d| d.name == name && d.problem.is_none())
            .filter_map(|d| {
                let change = options::check(&d.name, d.op, d.value.as_deref()).ok()?;
                Some((d, change))
            })
            .collect();
        let is_list = options::lookup(name).is_some_and(|d| d.kind == options::Kind::List);
        let mut globals: Vec<usize> = Vec::new();
        let mut order: Vec<(BindingKind, String)> = Vec::new();
        let mut groups: HashMap<(BindingKind, String), Vec<usize>> = HashMap::new();
        for (k, (d, _)) in entries.iter().enumerate() {
            if d.binding == BindingKind::Global {
                globals.push(k);
                continue;
            }
            let key = (d.binding, d.binding_text());
            groups
                .entry(key.clone())
                .or_insert_with(|| {
                    order.push(key);
                    Vec::new()
                })
                .push(k);
        }
        let global_end = self.global.get(name).map(|s| s.value.clone());
        let mut budget = FOLD_BUDGET;
        let mut complete = true;
        let mut out = Vec::new();
        for key in order {
            let mine = &groups[&key];
            let Some(&last) = mine.last() else { continue };
            let value = if key.0 == BindingKind::Command {
                let mut v = global_end.clone();
                for &k in mine {
                    v = Some(entries[k].1.apply(v.as_ref()));
                }
                v
            } else if !is_list {
                // Every change replaces the value: the last one decides.
                match globals.last() {
                    Some(&g) if g > last => global_end.clone(),
                    _ => Some(entries[last].1.apply(None)),
                }
            } else {
                // A list's value depends on how both interleave.
                let steps = globals.len() + mine.len();
                if steps > budget {
                    complete = false;
                    continue;
                }
                budget -= steps;
                let mut merged: Vec<usize> = globals.iter().chain(mine).copied().collect();
                merged.sort_unstable();
                let mut v: Option<Value> = None;
                for k in merged {
                    v = Some(entries[k].1.apply(v.as_ref()));
                }
                v
            };
            if let Some(value) = value {
                out.push(Override {
                    binding: key.1,
                    value,
                    source: entries[last].0.source.clone(),
                });
            }
        }
        (out, complete)
    }

    /// Every command of every user spec, aliases expanded. The flag is
    /// false when the expansion passed [`MAX_RULES`] (hostile input):
    /// commands are missing.
    pub fn rules(&self) -> (Vec<Rule>, bool) {
        let mut out = Vec::new();
        let mut complete = true;
        for spec in &self.user_specs {
            let users = self.expand(&spec.users, AliasKind::User, &mut complete);
            let all_users = users
                .iter()
                .rev()
                .find(|(m, _)| m.item == Item::All)
                .is_some_and(|(m, _)| !m.negated);
            let users: Vec<String> = users.iter().map(|(m, _)| m.to_string()).collect();
            for p in &spec.privileges {
                let hosts = self.names(&p.hosts, AliasKind::Host, &mut complete);
                for cs in &p.commands {
                    let runas_users = cs
                        .runas_users
                        .as_ref()
                        .map(|l| self.names(l, AliasKind::Runas, &mut complete));
                    let runas_groups = cs
                        .runas_groups
                        .as_ref()
                        .map(|l| self.names(l, AliasKind::Runas, &mut complete));
                    let commands = self.expand(
                        std::slice::from_ref(&cs.command),
                        AliasKind::Cmnd,
                        &mut complete,
                    );
                    for (cmd, alias) in commands {
                        if out.len() >= MAX_RULES {
                            return (out, false);
                        }
                        out.push(Rule {
                            users: users.clone(),
                            all_users,
                            hosts: hosts.clone(),
                            runas_users: runas_users.clone(),
                            runas_groups: runas_groups.clone(),
                            command: cmd.item.to_string(),
                            negated: cmd.negated,
                            alias,
                            tags: cs.tags.clone(),
                            options: cs.options.clone(),
                            source: spec.source.clone(),
                        });
                    }
                }
            }
        }
        (out, complete)
    }

    fn names(&self, list: &[Member], kind: AliasKind, complete: &mut bool) -> Vec<String> {
        self.expand(list, kind, complete)
            .iter()
            .map(|(m, _)| m.to_string())
            .collect()
    }

    /// `list` with the aliases of `kind` replaced by their members (a
    /// negated alias negates its members, which keeps sudo's matching:
    /// the last member that matches decides), each with the outermost
    /// alias it came from. An undefined alias, or one met again inside
    /// itself, stays as written. Past [`MAX_EXPANDED`] members the rest is
    /// left out and `complete` cleared.
    fn expand(
        &self,
        list: &[Member],
        kind: AliasKind,
        complete: &mut bool,
    ) -> Vec<(Member, Option<String>)> {
        struct Walk<'s> {
            s: &'s Sudoers,
            kind: AliasKind,
            stack: Vec<String>,
            out: Vec<(Member, Option<String>)>,
            complete: bool,
        }
        impl Walk<'_> {
            fn list(&mut self, list: &[Member], negate: bool, via: Option<&str>) {
                for m in list {
                    if self.out.len() >= MAX_EXPANDED {
                        self.complete = false;
                        return;
                    }
                    let negated = m.negated != negate;
                    if let Item::Alias(name) = &m.item {
                        let found = self
                            .s
                            .aliases
                            .iter()
                            .find(|a| a.kind == self.kind && &a.name == name);
                        if let Some(a) = found {
                            if !self.stack.contains(name) {
                                self.stack.push(name.clone());
                                self.list(&a.members, negated, Some(via.unwrap_or(name)));
                                self.stack.pop();
                                continue;
                            }
                        }
                    }
                    let mut m = m.clone();
                    m.negated = negated;
                    self.out.push((m, via.map(str::to_string)));
                }
            }
        }
        let mut w = Walk {
            s: self,
            kind,
            stack: Vec::new(),
            out: Vec::new(),
            complete: true,
        };
        w.list(list, false, None);
        *complete &= w.complete;
        w.out
    }
}

/// One command a user spec allows or denies, as the `sudo_rule` probe
/// yields it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// The user list, User_Aliases expanded, `!` before negated members.
    pub users: Vec<String>,
    /// The user list matches any user it does not exclude after its
    /// last `ALL` (sudo: the last member that matches decides).
    pub all_users: bool,
    pub hosts: Vec<String>,
    pub runas_users: Option<Vec<String>>,
    pub runas_groups: Option<Vec<String>>,
    /// The command with its arguments, Cmnd_Aliases expanded: `ALL`,
    /// `/usr/bin/apt-get update`, `sudoedit /etc/motd`.
    pub command: String,
    /// `!command`: the entry denies it.
    pub negated: bool,
    /// The Cmnd_Alias the command came from.
    pub alias: Option<String>,
    pub tags: Tags,
    pub options: CmndOptions,
    pub source: Source,
}

/// What the reader needs of the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub file_type: FileType,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// A text file, and whether the read limit cut it.
pub struct Text {
    pub text: String,
    pub truncated: bool,
}

/// Where sudoers files come from: a [`Target`], or a test's directory.
pub trait Files {
    /// `None` when the file does not exist; `Err` when it cannot be read.
    fn read(&mut self, path: &str) -> Result<Option<Text>, String>;
    /// `stat` (symlinks followed); `None` when nothing is there.
    fn stat(&mut self, path: &str) -> Result<Option<Stat>, String>;
    /// The names in a directory; `None` when it does not exist.
    fn list(&mut self, dir: &str) -> Result<Option<Vec<String>>, String>;
}

/// How the files are checked.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Check files as sudo's `open_sudoers` does (owner root, not writable
    /// by others): sudo skips an included directory's insecure file.
    /// `visudo` and `cvtsudoers` do not check files, only directories.
    pub check_files: bool,
    /// The short host name, for `%h` in include paths.
    pub host: Option<String>,
}

/// Reads `main` and what it includes. `None` when `main` does not exist;
/// `Err` when it cannot be read.
pub fn read(
    main: &str,
    files: &mut dyn Files,
    opts: &ReadOptions,
) -> Result<Option<Collected<Sudoers>>, String> {
    Ok(files
        .read(main)?
        .map(|text| read_from(main, &text, files, opts)))
}

/// [`read`], given the text of `main`.
pub fn read_from(
    main: &str,
    text: &Text,
    files: &mut dyn Files,
    opts: &ReadOptions,
) -> Collected<Sudoers> {
    let mut r = Reader {
        files,
        opts,
        out: Sudoers {
            valid: true,
            ..Sudoers::default()
        },
        diags: Vec::new(),
        opened: 1,
        aliases: HashSet::new(),
    };
    if opts.check_files {
        if let Ok(Some(st)) = r.files.stat(main) {
            if let Some(why) = insecure(&st, FileType::File) {
                r.diags.push(Diagnostic::new(
                    main,
                    format!("{why}: sudo refuses to run until this is fixed"),
                ));
            }
        }
    }
    r.file(main, text, 0);
    r.finish();
    Collected::new(r.out, r.diags)
}

/// Why sudo's `sudo_secure_file`/`sudo_secure_dir` rejects a path.
fn insecure(st: &Stat, want: FileType) -> Option<String> {
    if st.file_type != want {
        return Some(format!("is not a {}", want.name()));
    }
    if st.uid != SUDOERS_UID {
        return Some(format!(
            "is owned by uid {}, should be {SUDOERS_UID}",
            st.uid
        ));
    }
    if st.mode & 0o002 != 0 {
        return Some("is world writable".into());
    }
    if st.mode & 0o020 != 0 && st.gid != SUDOERS_GID {
        return Some(format!(
            "is owned by gid {}, should be {SUDOERS_GID}",
            st.gid
        ));
    }
    None
}

struct Reader<'f> {
    files: &'f mut dyn Files,
    opts: &'f ReadOptions,
    out: Sudoers,
    diags: Vec<Diagnostic>,
    opened: usize,
    aliases: HashSet<(AliasKind, String)>,
}

impl Reader<'_> {
    /// A problem that makes `visudo -c` fail.
    fn reject(&mut self, d: Diagnostic) {
        self.out.valid = false;
        self.diags.push(d);
    }

    /// A syntax error: visudo fails, and what the entry meant is unknown.
    fn syntax(&mut self, file: &str, e: &SyntaxError) {
        self.out.valid = false;
        self.diags.push(
            Diagnostic::incomplete(
                file,
                format!(
                    "{}; sudo skips this entry (or refuses to run, with error_recovery=false)",
                    e.message
                ),
            )
            .at(e.line, Some(e.column)),
        );
    }

    fn file(&mut self, path: &str, text: &Text, depth: usize) {
        self.out.files.push(path.to_string());
        if text.truncated {
            self.diags.push(crate::facts::truncated(path));
        }
        let tokens = lex::tokens(&text.text);
        let (entries, errors) = grammar::entries(&tokens);
        for e in &errors {
            self.syntax(path, e);
        }
        for entry in entries {
            match entry {
                Entry::Include {
                    path: target,
                    dir,
                    line,
                } => self.include(path, &target, dir, line, depth),
                Entry::Alias {
                    kind,
                    name,
                    members,
                    line,
                    column,
                } => {
                    if !self.aliases.insert((kind, name.clone())) {
                        let e = SyntaxError {
                            message: format!("Alias \"{name}\" already defined"),
                            line,
                            column,
                        };
                        self.syntax(path, &e);
                        continue;
                    }
                    self.out.aliases.push(Alias {
                        kind,
                        name,
                        members,
                        source: Source::line(path, line),
                    });
                }
                Entry::Defaults {
                    binding,
                    members,
                    settings,
                    line,
                } => {
                    for s in settings {
                        let problem = options::check(&s.name, s.op, s.value.as_deref()).err();
                        if let Some(p) = &problem {
                            self.reject(
                                Diagnostic::new(path, format!("{p}; sudo ignores this setting"))
                                    .at(s.line, Some(s.column)),
                            );
                        }
                        self.out.defaults.push(DefaultsEntry {
                            binding,
                            members: members.clone(),
                            name: s.name,
                            op: s.op,
                            value: s.value,
                            source: Source::line(path, line),
                            problem,
                        });
                    }
                }
                Entry::UserSpec {
                    users,
                    privileges,
                    line,
                } => self.out.user_specs.push(UserSpec {
                    users,
                    privileges,
                    source: Source::line(path, line),
                }),
            }
        }
    }

    /// `expand_include` and `push_include`.
    fn include(&mut self, from: &str, written: &str, dir: bool, line: u32, depth: usize) {
        let at = |msg: String| Diagnostic::new(from, msg).at(line, None);
        let gap = |msg: String| Diagnostic::incomplete(from, msg).at(line, None);
        let mut p = written;
        if p.len() > 1 && p.starts_with('"') && p.ends_with('"') {
            p = &p[1..p.len() - 1];
        }
        if p.is_empty() {
            self.syntax(
                from,
                &SyntaxError {
                    message: "empty include path".into(),
                    line,
                    column: 1,
                },
            );
            return;
        }
        let mut path = p.to_string();
        if path.contains("%h") {
            match &self.opts.host {
                Some(h) => path = path.replace("%h", h),
                None => {
                    self.diags.push(gap(format!(
                        "`{written}` names the host (%h), whose name is unknown; not read"
                    )));
                    return;
                }
            }
        }
        if !path.starts_with('/') {
            if let Some(slash) = from.rfind('/') {
                path = format!("{}{path}", &from[..=slash]);
            }
        }
        if depth >= MAX_DEPTH {
            self.out.valid = false;
            self.diags.push(gap(format!(
                "{path}: too many levels of includes (an include loop?); sudo stops here"
            )));
            return;
        }
        if dir {
            self.include_dir(&path, depth, &at, &gap);
        } else {
            self.include_file(&path, depth, &at, &gap);
        }
    }

    /// Whether one more file may be read; past the cap, the rest is a gap.
    fn may_open(&mut self, path: &str, gap: &dyn Fn(String) -> Diagnostic) -> bool {
        if self.opened >= MAX_FILES {
            self.diags.push(gap(format!(
                "{path}: more than {MAX_FILES} sudoers files included; not read"
            )));
            return false;
        }
        self.opened += 1;
        true
    }

    fn include_file(
        &mut self,
        path: &str,
        depth: usize,
        at: &dyn Fn(String) -> Diagnostic,
        gap: &dyn Fn(String) -> Diagnostic,
    ) {
        match self.files.stat(path) {
            Err(e) => return self.diags.push(gap(format!("{path}: {e}"))),
            Ok(None) => {
                return self.reject(at(format!(
                    "{path}: included file does not exist; sudo goes on without it"
                )))
            }
            Ok(Some(st)) => {
                if st.file_type != FileType::File {
                    return self.reject(at(format!("{path} is not a regular file; not read")));
                }
                if self.opts.check_files {
                    if let Some(why) = insecure(&st, FileType::File) {
                        return self.diags.push(at(format!("{path} {why}; sudo skips it")));
                    }
                }
            }
        }
        if !self.may_open(path, gap) {
            return;
        }
        match self.files.read(path) {
            Ok(Some(text)) => self.file(path, &text, depth + 1),
            Ok(None) => self.reject(at(format!("{path}: included file does not exist"))),
            Err(e) => self.diags.push(gap(format!("{path}: {e}"))),
        }
    }

    fn include_dir(
        &mut self,
        path: &str,
        depth: usize,
        at: &dyn Fn(String) -> Diagnostic,
        gap: &dyn Fn(String) -> Diagnostic,
    ) {
        match self.files.stat(path) {
            Err(e) => return self.diags.push(gap(format!("{path}: {e}"))),
            // A missing include directory is not an error.
            Ok(None) => return,
            Ok(Some(st)) => {
                if let Some(why) = insecure(&st, FileType::Directory) {
                    return self.diags.push(at(format!("{path} {why}; sudo skips it")));
                }
            }
        }
        let names = match self.files.list(path) {
            Ok(Some(n)) => n,
            Ok(None) => return,
            Err(e) => return self.diags.push(gap(format!("{path}: {e}"))),
        };
        let mut paths: Vec<String> = names
            .into_iter()
            .filter(|n| !n.is_empty() && !n.ends_with('~') && !n.contains('.'))
            .map(|n| format!("{}/{n}", path.trim_end_matches('/')))
            .collect();
        // sudo sorts with strcmp: byte order.
        paths.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for file in paths {
            match self.files.stat(&file) {
                Err(e) => {
                    self.diags.push(gap(format!("{file}: {e}")));
                    continue;
                }
                Ok(Some(st)) if st.file_type == FileType::File => {
                    if self.opts.check_files {
                        if let Some(why) = insecure(&st, FileType::File) {
                            self.diags.push(at(format!("{file} {why}; sudo skips it")));
                            continue;
                        }
                    }
                }
                // Not a regular file: sudo passes over it.
                _ => continue,
            }
            if !self.may_open(&file, gap) {
                return;
            }
            match self.files.read(&file) {
                Ok(Some(text)) => self.file(&file, &text, depth + 1),
                Ok(None) => {}
                Err(e) => self.diags.push(gap(format!("{file}: {e}"))),
            }
        }
    }

    /// The global values, and warnings visudo prints without failing.
    fn finish(&mut self) {
        let mut global: BTreeMap<String, Setting> = BTreeMap::new();
        for d in &self.out.defaults {
            if d.binding != BindingKind::Global || d.problem.is_some() {
                continue;
            }
            let Ok(change) = options::check(&d.name, d.op, d.value.as_deref()) else {
                continue;
            };
            let old = global.get(&d.name).map(|s| &s.value);
            let value = change.apply(old);
            global.insert(
                d.name.clone(),
                Setting {
                    value,
                    source: Some(d.source.clone()),
                },
            );
        }
        self.out.global = global;
        let defined: HashMap<(AliasKind, &str), &Source> = self
            .out
            .aliases
            .iter()
            .map(|a| ((a.kind, a.name.as_str()), &a.source))
            .collect();
        let mut warnings = Vec::new();
        let mut check = |list: &[Member], kind: AliasKind, source: &Source| {
            for m in list {
                if let Item::Alias(name) = &m.item {
                    if !defined.contains_key(&(kind, name.as_str())) {
                        warnings.push(
                            Diagnostic::new(
                                &source.file,
                                format!("{kind:?}_Alias \"{name}\" referenced but not defined"),
                            )
                            .at(source.line.unwrap_or(1), None),
                        );
                    }
                }
            }
        };
        for spec in &self.out.user_specs {
            check(&spec.users, AliasKind::User, &spec.source);
            for p in &spec.privileges {
                check(&p.hosts, AliasKind::Host, &spec.source);
                for c in &p.commands {
                    check(
                        std::slice::from_ref(&c.command),
                        AliasKind::Cmnd,
                        &spec.source,
                    );
                    for l in c.runas_users.iter().chain(&c.runas_groups) {
                        check(l, AliasKind::Runas, &spec.source);
                    }
                }
            }
        }
        self.diags.extend(warnings);
    }
}

/// The files of a [`Target`].
struct TargetFiles<'t>(&'t Target);

impl Files for TargetFiles<'_> {
    fn read(&mut self, path: &str) -> Result<Option<Text>, String> {
        match self.0.read_text(path) {
            Ok(Some(t)) => Ok(Some(Text {
                text: t.text,
                truncated: t.truncated,
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn stat(&mut self, path: &str) -> Result<Option<Stat>, String> {
        match self.0.metadata(path, true) {
            Ok(Some(m)) => Ok(Some(Stat {
                file_type: m.file_type,
                uid: m.uid,
                gid: m.gid,
                mode: m.mode,
            })),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn list(&mut self, dir: &str) -> Result<Option<Vec<String>>, String> {
        match self.0.read_dir(dir) {
            Ok(Some(entries)) => Ok(Some(entries.into_iter().map(|e| e.name).collect())),
            Ok(None) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The short host name `%h` stands for: the kernel's on a live host,
/// `/etc/hostname` in a root filesystem.
fn host_name(target: &Target) -> Option<String> {
    let file = if target.is_live() {
        "/proc/sys/kernel/hostname"
    } else {
        "/etc/hostname"
    };
    let text = target.read_text(file).ok()??;
    let name = text.text.lines().next()?.trim();
    let short = name.split('.').next()?;
    (!short.is_empty()).then(|| short.to_string())
}

/// `/etc/sudoers` and what it includes; `None` when there is no sudoers.
pub fn collect(target: &Target) -> FactResult<Option<Sudoers>> {
    let Some(main) = target.read_text(SUDOERS)? else {
        return Ok(Collected::new(None, Vec::new()));
    };
    let opts = ReadOptions {
        check_files: true,
        host: host_name(target),
    };
    let text = Text {
        text: main.text,
        truncated: main.truncated,
    };
    let c = read_from(SUDOERS, &text, &mut TargetFiles(target), &opts);
    Ok(Collected::new(Some(c.value), c.diagnostics))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::{link, write};
    use std::os::unix::fs::PermissionsExt;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            write(dir.path(), path, text);
        }
        dir
    }

    fn parse(files: &[(&str, &str)]) -> (Sudoers, Vec<Diagnostic>) {
        let dir = tree(files);
        let target = Target::root(dir.path()).unwrap();
        let c = collect(&target).unwrap();
        (c.value.unwrap(), c.diagnostics)
    }

    fn value(s: &Sudoers, name: &str) -> Option<Value> {
        s.effective(name).map(|s| s.value)
    }

    #[test]
    fn sudoers_d_counts_only_when_included() {
        let files = [
            ("/etc/sudoers", "root ALL=(ALL) ALL\n"),
            ("/etc/sudoers.d/10-pty", "Defaults use_pty\n"),
        ];
        let (s, _) = parse(&files);
        assert_eq!(value(&s, "use_pty"), Some(Value::Bool(false)));
        assert_eq!(s.files, ["/etc/sudoers"]);
        let files = [
            (
                "/etc/sudoers",
                "root ALL=(ALL) ALL\n#includedir /etc/sudoers.d\n",
            ),
            ("/etc/sudoers.d/10-pty", "Defaults use_pty\n"),
        ];
        let (s, _) = parse(&files);
        assert_eq!(value(&s, "use_pty"), Some(Value::Bool(true)));
    }

    #[test]
    fn includedir_skips_dotted_and_backup_names() {
        let files = [
            (
                "/etc/sudoers",
                "Defaults use_pty\n@includedir /etc/sudoers.d\n",
            ),
            ("/etc/sudoers.d/10-pty.bak", "Defaults !use_pty\n"),
            ("/etc/sudoers.d/20-pty~", "Defaults !use_pty\n"),
            ("/etc/sudoers.d/05-a", "Defaults logfile=/a\n"),
            ("/etc/sudoers.d/5-b", "Defaults logfile=/b\n"),
        ];
        let (s, _) = parse(&files);
        assert_eq!(value(&s, "use_pty"), Some(Value::Bool(true)));
        // Byte order: 05-a, then 5-b.
        assert_eq!(value(&s, "logfile"), Some(Value::Text("/b".into())));
    }

    #[test]
    fn include_follows_relative_files_and_hostnames() {
        let files = [
            (
                "/etc/sudoers",
                "@include sudoers.local\n#include /etc/sudoers.%h\n",
            ),
            ("/etc/sudoers.local", "Defaults use_pty\n"),
            ("/etc/sudoers.web1", "Defaults logfile=/var/log/sudo.log\n"),
            ("/etc/hostname", "web1.example.com\n"),
        ];
        let (s, d) = parse(&files);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(value(&s, "use_pty"), Some(Value::Bool(true)));
        assert_eq!(
            value(&s, "logfile"),
            Some(Value::Text("/var/log/sudo.log".into()))
        );
    }

    #[test]
    fn last_global_setting_wins() {
        let (s, _) = parse(&[("/etc/sudoers", "Defaults use_pty\nDefaults !use_pty\n")]);
        assert_eq!(value(&s, "use_pty"), Some(Value::Bool(false)));
        let src = s.effective("use_pty").unwrap().source.unwrap();
        assert_eq!(src.line, Some(2));
    }

    #[test]
    fn overrides_fold_with_later_global_settings() {
        let text = "Defaults:alice !use_pty\nDefaults use_pty\nDefaults:bob !use_pty\nDefaults!/bin/sh !use_pty\nDefaults use_pty\n";
        let (s, _) = parse(&[("/etc/sudoers", text)]);
        let (o, complete) = s.overrides("use_pty");
        assert!(complete);
        let got: Vec<(String, Value)> = o.into_iter().map(|o| (o.binding, o.value)).collect();
        assert_eq!(
            got,
            [
                ("Defaults:alice".to_string(), Value::Bool(true)),
                ("Defaults:bob".to_string(), Value::Bool(true)),
                ("Defaults!/bin/sh".to_string(), Value::Bool(false)),
            ]
        );
    }

    #[test]
    fn invalid_settings_are_ignored_and_reported() {
        let (s, d) = parse(&[(
            "/etc/sudoers",
            "Defaults umask=0077\nDefaults umask=999, bogus\n",
        )]);
        assert_eq!(value(&s, "umask"), Some(Value::Text("0077".into())));
        assert!(!s.valid);
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|d| !d.incomplete));
    }

    #[test]
    fn syntax_errors_are_gaps() {
        let (s, d) = parse(&[("/etc/sudoers", "Defaults use_pty\nalice ALL = (\n")]);
        assert!(!s.valid);
        assert!(d[0].incomplete);
        assert_eq!(d[0].line, Some(2));
        assert_eq!(value(&s, "use_pty"), Some(Value::Bool(true)));
    }

    #[test]
    fn include_loops_end_at_sudo_depth() {
        let (s, d) = parse(&[("/etc/sudoers", "Defaults use_pty\n@include /etc/sudoers\n")]);
        assert!(!s.valid);
        assert!(d
            .iter()
            .any(|d| d.incomplete && d.message.contains("too many levels")));
        assert_eq!(s.files.len(), MAX_DEPTH + 1);
    }

    #[test]
    fn include_fan_out_is_capped() {
        let (_, d) = parse(&[(
            "/etc/sudoers",
            "@include /etc/sudoers\n@include /etc/sudoers\n",
        )]);
        assert!(d
            .iter()
            .any(|d| d.incomplete && d.message.contains("more than")));
    }

    #[test]
    fn missing_include_is_reported_not_a_gap() {
        let (s, d) = parse(&[("/etc/sudoers", "@include /etc/nothere\nDefaults use_pty\n")]);
        assert!(!s.valid);
        assert!(!d[0].incomplete);
        assert_eq!(value(&s, "use_pty"), Some(Value::Bool(true)));
    }

    #[test]
    fn insecure_includedir_files_are_skipped() {
        let dir = tree(&[
            ("/etc/sudoers", "@includedir /etc/sudoers.d\n"),
            ("/etc/sudoers.d/10-pty", "Defaults use_pty\n"),
        ]);
        let p = dir.path().join("etc/sudoers.d/10-pty");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        let target = Target::root(dir.path()).unwrap();
        let c = collect(&target).unwrap();
        let s = c.value.unwrap();
        if rustix::process::geteuid().is_root() {
            assert_eq!(value(&s, "use_pty"), Some(Value::Bool(false)));
            assert!(c
                .diagnostics
                .iter()
                .any(|d| d.message.contains("world writable")));
        }
    }

    #[test]
    fn symlinked_includedir_files_are_read() {
        let dir = tree(&[
            ("/etc/sudoers", "@includedir /etc/sudoers.d\n"),
            ("/usr/share/sudo/pty", "Defaults use_pty\n"),
        ]);
        link(dir.path(), "/etc/sudoers.d/10-pty", "/usr/share/sudo/pty");
        let target = Target::root(dir.path()).unwrap();
        let s = collect(&target).unwrap().value.unwrap();
        if rustix::process::geteuid().is_root() {
            assert_eq!(value(&s, "use_pty"), Some(Value::Bool(true)));
        }
    }

    #[test]
    fn rules_expand_aliases_and_carry_tags() {
        let text = "User_Alias EVERYONE = ALL, !guest\nCmnd_Alias ANY = ALL\nEVERYONE ALL = NOPASSWD: /bin/ls, ANY\n%adm ALL = (root) /bin/cat\n";
        let (s, _) = parse(&[("/etc/sudoers", text)]);
        let (r, complete) = s.rules();
        assert!(complete);
        assert_eq!(r.len(), 3);
        assert!(r[0].all_users);
        assert_eq!(r[0].users, ["ALL", "!guest"]);
        assert_eq!(r[1].command, "ALL");
        assert_eq!(r[1].alias.as_deref(), Some("ANY"));
        assert_eq!(r[1].tags.nopasswd, Some(true));
        assert!(!r[2].all_users);
        assert_eq!(r[2].runas_users.as_deref(), Some(&["root".to_string()][..]));
    }

    #[test]
    fn alias_bombs_stay_bounded() {
        // Each alias names the next one four times: 4^30 commands.
        let mut text = String::new();
        for i in 0..30 {
            let n = i + 1;
            text += &format!("Cmnd_Alias C{i} = C{n}, C{n}, C{n}, C{n}\n");
        }
        text += "Cmnd_Alias C30 = /bin/ls\nalice ALL = C0\n";
        let (s, _) = parse(&[("/etc/sudoers", &text)]);
        let (rules, complete) = s.rules();
        assert!(!complete);
        assert!(rules.len() <= MAX_EXPANDED);
    }

    #[test]
    fn many_bindings_fold_in_bounded_time() {
        let mut text = String::new();
        for i in 0..3000 {
            text +=
                &format!("Defaults:u{i} !use_pty, env_keep+=X\nDefaults use_pty, env_keep+=G\n");
        }
        let (s, _) = parse(&[("/etc/sudoers", &text)]);
        let (o, complete) = s.overrides("use_pty");
        assert!(complete);
        assert!(o.iter().all(|o| o.value == Value::Bool(true)));
        assert_eq!(o.len(), 3000);
        let (_, complete) = s.overrides("env_keep");
        assert!(!complete);
    }

    #[test]
    fn missing_sudoers_is_none() {
        let dir = tree(&[("/etc/hostname", "x\n")]);
        let target = Target::root(dir.path()).unwrap();
        assert!(collect(&target).unwrap().value.is_none());
    }
}
