//! What `systemctl is-enabled UNIT` answers from the unit files alone,
//! following systemd's src/shared/install.c: `unit_file_search` (the first
//! search directory with the name wins; an instance falls back to its
//! template; drop-ins add to `[Install]`), `install_info_traverse` (alias
//! and linked-file symlinks are followed), `unit_file_lookup_state` and
//! `find_symlinks_in_scope` (links in `*.wants`, `*.requires`, `*.upholds`
//! and alias links, in /etc for "enabled", in /run for "enabled-runtime").

use super::services::{parse_install_into, UnitFile};
use crate::diag::Diagnostic;
use crate::facts::truncated;
use crate::target::{FileType, Target, TargetError};
use std::collections::BTreeMap;

/// The system unit search path, highest precedence first (without the
/// control, attached, transient and generator directories, which only a
/// running systemd fills).
///
/// /lib comes before /usr/lib: a split-/usr system's systemd (Debian 12's
/// 252) has /lib/systemd/system as its own unit directory. On merged-/usr
/// systems they are one directory.
pub const SEARCH_PATH: [&str; 5] = [
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
];
const PERSISTENT_CONFIG: &str = "/etc/systemd/system";
/// install.c follows at most this many symlinks.
const FOLLOW_MAX: usize = 64;

/// A unit's state and where it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// enabled, enabled-runtime, linked, linked-runtime, alias, masked,
    /// masked-runtime, static, indirect or disabled.
    pub state: &'static str,
    /// The first entry for the name in the search path (a file, a mask, a
    /// symlink).
    pub entry: String,
    /// The file the name resolves to (for a mask: the mask itself).
    pub path: String,
    /// The unit the name resolves to (differs for an alias).
    pub unit: String,
    pub install: UnitFile,
}

enum Mode {
    Regular(UnitFile),
    /// A symlink to /dev/null (possibly through other symlinks), or an
    /// empty file.
    Masked,
    /// A symlink to another file: an alias, or a unit file linked in from
    /// elsewhere. Followed by name when the names differ.
    Symlink(String),
}

struct Dir {
    /// Entries by name, with their link targets made absolute.
    entries: BTreeMap<String, (FileType, Option<String>)>,
    /// Names of the symlinks in each `*.wants`, `*.requires`, `*.upholds`
    /// subdirectory.
    link_dirs: Vec<(String, Vec<String>)>,
}

/// The unit directories of a target, listed once.
pub struct UnitTree<'t> {
    target: &'t Target,
    dirs: Vec<(&'static str, Dir)>,
}

impl<'t> UnitTree<'t> {
    pub fn read(target: &'t Target) -> Result<Self, TargetError> {
        let mut dirs = Vec::new();
        for dir in SEARCH_PATH {
            let mut entries = BTreeMap::new();
            let mut link_dirs = Vec::new();
            for entry in target.read_dir(dir)?.unwrap_or_default() {
                let path = format!("{dir}/{}", entry.name);
                let dest = match entry.file_type {
                    FileType::Symlink => target.read_link(&path)?.map(|l| absolute(dir, &l)),
                    _ => None,
                };
                let suffix = entry.name.rfind('.').map(|i| &entry.name[i..]);
                if entry.file_type == FileType::Directory
                    && matches!(suffix, Some(".wants" | ".requires" | ".upholds"))
                {
                    let links = target
                        .read_dir(&path)?
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|e| e.file_type == FileType::Symlink)
                        .map(|e| e.name)
                        .collect();
                    link_dirs.push((path.clone(), links));
                }
                entries.insert(entry.name, (entry.file_type, dest));
            }
            dirs.push((dir, Dir { entries, link_dirs }));
        }
        Ok(UnitTree { target, dirs })
    }

    /// Every name that has an entry in a search directory or a link in
    /// one of their `.wants`-style directories.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .dirs
            .iter()
            .flat_map(|(_, d)| {
                d.entries
                    .iter()
                    .filter(|(_, (t, _))| *t != FileType::Directory)
                    .map(|(n, _)| n.clone())
                    .chain(d.link_dirs.iter().flat_map(|(_, l)| l.iter().cloned()))
            })
            .filter(|n| is_unit_name(n))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The first search-path entry named `name`.
    pub fn entry(&self, name: &str) -> Option<String> {
        self.dirs
            .iter()
            .find(|(_, d)| d.entries.contains_key(name))
            .map(|(dir, _)| format!("{dir}/{name}"))
    }

    /// `systemctl is-enabled NAME`: `Ok(None)` when there is no such unit,
    /// `Ok(Some(Err(why)))` when systemctl fails on it (a bad alias, a
    /// severed link).
    pub fn lookup(
        &self,
        name: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Result<Option<Result<Lookup, String>>, TargetError> {
        let Some((entry, mut mode)) = self.search(name, diags)? else {
            return Ok(None);
        };
        let mut path = entry.clone();
        let mut unit = name.to_string();
        let mut hops = 0;
        // install_info_traverse with SEARCH_FOLLOW_CONFIG_SYMLINKS.
        while let Mode::Symlink(dest) = &mode {
            let dest = dest.clone();
            hops += 1;
            if hops > FOLLOW_MAX {
                return Ok(Some(Err("too many levels of symbolic links".into())));
            }
            let base = basename(&dest).to_string();
            if base == unit {
                match self.load(&dest, diags)? {
                    Some(Ok(m)) => {
                        path = dest;
                        mode = m;
                    }
                    Some(Err(why)) => return Ok(Some(Err(why))),
                    None => return Ok(Some(Err(format!("{dest} does not exist")))),
                }
                continue;
            }
            // An alias to another name: look that name up afresh, with the
            // instance carried over to a template.
            let next = match (instance_of(&unit), template_parts(&base)) {
                (Some(instance), Some((prefix, suffix))) => {
                    format!("{prefix}@{instance}{suffix}")
                }
                _ => base,
            };
            if next == unit {
                match self.load(&dest, diags)? {
                    Some(Ok(m)) => {
                        path = dest;
                        mode = m;
                        continue;
                    }
                    Some(Err(why)) => return Ok(Some(Err(why))),
                    None => return Ok(Some(Err(format!("{dest} does not exist")))),
                }
            }
            unit = next;
            match self.search(&unit, diags)? {
                Some((p, m)) => {
                    path = p;
                    mode = m;
                }
                None => return Ok(Some(Err("link has been severed".into()))),
            }
        }
        let (state, install) = match mode {
            Mode::Masked if path.starts_with("/run/") => ("masked-runtime", UnitFile::default()),
            Mode::Masked => ("masked", UnitFile::default()),
            Mode::Regular(install) => {
                let state = if name != basename(&path) && instance_of(&unit).is_none() {
                    "alias"
                } else if let Some(state) = self.find_in_scope(&unit, &path, &install, true) {
                    state
                } else if self.find_in_scope(&unit, &path, &install, false).is_some() {
                    "indirect"
                } else if install.has_rules() {
                    "disabled"
                } else if !install.also.is_empty() {
                    "indirect"
                } else {
                    "static"
                };
                (state, install)
            }
            Mode::Symlink(_) => unreachable!("followed above"),
        };
        Ok(Some(Ok(Lookup {
            state,
            entry,
            path,
            unit,
            install,
        })))
    }

    /// `unit_file_search`: the first search directory with `name` (or, for
    /// an instance, with its template), then the drop-ins.
    fn search(
        &self,
        name: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Result<Option<(String, Mode)>, TargetError> {
        let template = template_parts(name).map(|(p, s)| format!("{p}@{s}"));
        let candidates = std::iter::once(name.to_string()).chain(template.clone());
        for candidate in candidates {
            for (dir, _) in &self.dirs {
                let path = format!("{dir}/{candidate}");
                match self.load(&path, diags)? {
                    None => continue,
                    Some(Err(why)) => {
                        diags.push(Diagnostic::new(&path, why));
                        return Ok(None);
                    }
                    Some(Ok(Mode::Regular(mut install))) => {
                        self.drop_ins(name, template.as_deref(), &mut install, diags)?;
                        if instance_of(name).is_some() {
                            // DefaultInstance= is ignored when loading an instance.
                            install.default_instance = None;
                        }
                        return Ok(Some((path, Mode::Regular(install))));
                    }
                    Some(Ok(mode)) => return Ok(Some((path, mode))),
                }
            }
        }
        Ok(None)
    }

    /// `*.conf` files in `NAME.d` (and `TEMPLATE.d`) of every search
    /// directory, the first directory's file of each name winning, read
    /// in name order.
    fn drop_ins(
        &self,
        name: &str,
        template: Option<&str>,
        install: &mut UnitFile,
        diags: &mut Vec<Diagnostic>,
    ) -> Result<(), TargetError> {
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        for unit in std::iter::once(name).chain(template) {
            for (dir, _) in &self.dirs {
                let dropin_dir = format!("{dir}/{unit}.d");
                for e in self.target.read_dir(&dropin_dir)?.unwrap_or_default() {
                    if e.name.ends_with(".conf") {
                        files
                            .entry(e.name.clone())
                            .or_insert(format!("{dropin_dir}/{}", e.name));
                    }
                }
            }
        }
        for path in files.values() {
            let file = match self.target.read_text(path) {
                Ok(Some(f)) => f,
                // A link to /dev/null (outside a root) or gone: nothing.
                Ok(None) | Err(TargetError::NotRegular { .. }) => continue,
                Err(e) => return Err(e),
            };
            parse_install_into(install, &file.text, &file.path, diags);
            if file.truncated {
                diags.push(truncated(&file.path));
            }
        }
        Ok(())
    }

    /// `unit_file_load_or_readlink` on one path: `None` when nothing is
    /// there.
    fn load(
        &self,
        path: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Result<Option<Result<Mode, String>>, TargetError> {
        let Some(meta) = self.target.metadata(path, false)? else {
            return Ok(None);
        };
        match meta.file_type {
            FileType::Symlink => {
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
                let dest = absolute(dir, meta.link_target.as_deref().unwrap_or_default());
                // systemd chases the whole chain (within the root, where
                // /dev is not mounted) and calls a mask what ends at
                // /dev/null; a link to an empty file is followed instead.
                if self.ends_at_dev_null(&dest)? {
                    return Ok(Some(Ok(Mode::Masked)));
                }
                if let Err(why) = valid_alias(name, basename(&dest)) {
                    return Ok(Some(Err(why)));
                }
                Ok(Some(Ok(Mode::Symlink(dest))))
            }
            FileType::File if meta.size == 0 => Ok(Some(Ok(Mode::Masked))),
            FileType::File => {
                let mut install = UnitFile::default();
                if let Some(file) = self.target.read_text(path)? {
                    parse_install_into(&mut install, &file.text, &file.path, diags);
                    if file.truncated {
                        diags.push(truncated(&file.path));
                    }
                }
                Ok(Some(Ok(Mode::Regular(install))))
            }
            FileType::CharDevice => Ok(Some(Ok(Mode::Masked))),
            other => Ok(Some(Err(format!("is a {}, not a unit file", other.name())))),
        }
    }

    fn ends_at_dev_null(&self, dest: &str) -> Result<bool, TargetError> {
        let mut dest = dest.to_string();
        for _ in 0..FOLLOW_MAX {
            if dest == "/dev/null" {
                return Ok(true);
            }
            match self.target.metadata(&dest, false)? {
                Some(m) if m.file_type == FileType::Symlink => {
                    let dir = dest.rsplit_once('/').map_or("", |(d, _)| d).to_string();
                    dest = absolute(&dir, m.link_target.as_deref().unwrap_or_default());
                }
                _ => return Ok(false),
            }
        }
        Ok(false)
    }

    /// `find_symlinks_in_scope`.
    fn find_in_scope(
        &self,
        name: &str,
        path: &str,
        install: &UnitFile,
        match_name: bool,
    ) -> Option<&'static str> {
        let (mut same_name_config, mut same_name_runtime) = (false, false);
        let (mut in_runtime, mut at_all) = (false, false);
        let mut ignore_same_name = false;
        for (dir, listing) in &self.dirs {
            let mut same_name = false;
            let found = find_symlinks(
                dir,
                listing,
                name,
                install,
                match_name,
                ignore_same_name,
                &mut same_name,
            );
            let runtime = dir.starts_with("/run/");
            if found {
                if *dir == PERSISTENT_CONFIG {
                    return Some("enabled");
                }
                if runtime {
                    in_runtime = true;
                } else {
                    at_all = true;
                }
            } else if same_name {
                if *dir == PERSISTENT_CONFIG {
                    same_name_config = true;
                } else if runtime {
                    same_name_runtime = true;
                }
            }
            if !ignore_same_name && under(path, dir) {
                ignore_same_name = true;
            }
        }
        if in_runtime {
            Some("enabled-runtime")
        } else if at_all && instance_of(name).is_some() {
            // An instance linked from vendor directories is statically
            // enabled; for other names such links are only aliases.
            Some("static")
        } else if same_name_config {
            Some("linked")
        } else if same_name_runtime {
            Some("linked-runtime")
        } else {
            None
        }
    }
}

/// `find_symlinks`: the `.wants`-style directories by link name, then the
/// directory itself by link target.
fn find_symlinks(
    config: &str,
    listing: &Dir,
    name: &str,
    install: &UnitFile,
    match_name: bool,
    ignore_same_name: bool,
    same_name: &mut bool,
) -> bool {
    let known = |link: &str| {
        link == name
            || install.alias.iter().any(|a| a == link)
            || install.default_instance.as_deref().is_some_and(|instance| {
                template_parts(name).is_none()
                    && name.contains("@.")
                    && name.replacen("@.", &format!("@{instance}."), 1) == link
            })
    };
    let mut hit = |found_path: bool, found_dest: bool, same: bool, link: &str| -> bool {
        if same {
            *same_name = true;
            false
        } else if found_path || found_dest {
            !match_name || known(link)
        } else {
            false
        }
    };
    for (_, links) in &listing.link_dirs {
        for link in links {
            let found_path = link == name;
            let found_dest = !found_path && template_of(link).as_deref() == Some(name);
            // A link in a subdirectory is never the same-name link.
            if hit(found_path, found_dest, false, link) {
                return true;
            }
        }
    }
    for (link, (file_type, dest)) in &listing.entries {
        if *file_type != FileType::Symlink {
            continue;
        }
        let found_dest = dest.as_deref().is_some_and(|d| basename(d) == name);
        let found_path = !ignore_same_name && link == name;
        let same = found_path && found_dest;
        let _ = config;
        if hit(found_path, found_dest, same, link) {
            return true;
        }
    }
    false
}

/// `unit_validate_alias_symlink_or_warn`: an alias keeps the unit type,
/// and a template stays a template.
fn valid_alias(src: &str, dst: &str) -> Result<(), String> {
    let suffix = |n: &str| n.rfind('.').map(|i| n[i..].to_string());
    if !is_unit_name(src) || !is_unit_name(dst) || suffix(src) != suffix(dst) {
        return Err(format!("symlink to {dst} has an incompatible suffix"));
    }
    let kind = |n: &str| {
        if template_parts(n).is_some() {
            2
        } else if n.contains("@.") {
            1
        } else {
            0
        }
    };
    match (kind(src), kind(dst)) {
        (a, b) if a == b => Ok(()),
        (2, 1) => Ok(()),
        _ => Err(format!("symlink to {dst} is not the same kind of unit")),
    }
}

fn is_unit_name(name: &str) -> bool {
    const SUFFIXES: [&str; 9] = [
        ".service",
        ".socket",
        ".timer",
        ".path",
        ".target",
        ".mount",
        ".automount",
        ".swap",
        ".slice",
    ];
    !name.starts_with('.')
        && SUFFIXES
            .iter()
            .any(|s| name.len() > s.len() && name.ends_with(s))
}

/// `getty@tty1.service` -> ("getty", ".service"); `None` unless an
/// instance with a non-empty instance part.
fn template_parts(name: &str) -> Option<(&str, &str)> {
    let (prefix, rest) = name.split_once('@')?;
    let dot = rest.rfind('.')?;
    let (instance, suffix) = rest.split_at(dot);
    (!prefix.is_empty() && !instance.is_empty()).then_some((prefix, suffix))
}

fn template_of(name: &str) -> Option<String> {
    template_parts(name).map(|(p, s)| format!("{p}@{s}"))
}

fn instance_of(name: &str) -> Option<&str> {
    let (_, rest) = name.split_once('@')?;
    let dot = rest.rfind('.')?;
    Some(&rest[..dot]).filter(|i| !i.is_empty())
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn under(path: &str, dir: &str) -> bool {
    path.strip_prefix(dir)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// A link target made absolute against the link's directory, with `.`
/// and `..` resolved as text.
pub(crate) fn absolute(dir: &str, link: &str) -> String {
    let joined = if link.starts_with('/') {
        link.to_string()
    } else {
        format!("{dir}/{link}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}
