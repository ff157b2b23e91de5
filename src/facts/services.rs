//! systemd units and whether they are enabled, read from the unit files and
//! the symlinks `systemctl enable` creates, so it works on an unpacked root
//! filesystem as well as on a live host.

use super::unit_state::{Lookup, UnitTree, SEARCH_PATH};
use crate::diag::Diagnostic;
use crate::facts::{lines, truncated, Collected, FactResult, Source};
use crate::target::{FileType, Target, TargetError};
use globset::{GlobBuilder, GlobMatcher};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// Where `systemctl enable` puts its links; only links here mean "enabled".
/// Links in vendor directories are part of the unit's static wiring.
const CONFIG_DIR: &str = "/etc/systemd/system";

const PRESET_DIRS: [&str; 5] = [
    "/etc/systemd/system-preset",
    "/run/systemd/system-preset",
    "/usr/local/lib/systemd/system-preset",
    "/usr/lib/systemd/system-preset",
    "/lib/systemd/system-preset",
];

/// Unit types that can have unit files (devices and scopes cannot).
const UNIT_SUFFIXES: [&str; 9] = [
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

/// Dependency directories whose links `systemctl enable` creates.
const LINK_DIR_SUFFIXES: [&str; 3] = [".wants", ".requires", ".upholds"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    /// Full unit name: "ssh.service".
    pub name: String,
    /// Where the unit file was found; for a masked unit, the file the mask
    /// hides, if any.
    pub unit_file: Option<String>,
    /// enabled, disabled, static, masked, indirect or alias, as
    /// `systemctl is-enabled` would say from the files alone.
    pub state: String,
    /// `state == "enabled"`.
    pub enabled: bool,
    /// What the preset files say: "enable", "disable", or `None` when no
    /// preset line matches (systemd then enables) or the unit is static or an
    /// alias. Enablement itself comes from links only.
    pub preset: Option<String>,
    /// Targets whose `.wants`/`.requires` directory in /etc/systemd/system
    /// links to this unit (or, for a template, to one of its instances).
    pub wanted_by: Vec<String>,
    /// Other names of this unit: its `Alias=` entries and alias symlinks.
    pub aliases: Vec<String>,
    /// Live hosts running systemd only: whether the unit has been started.
    pub active: Option<bool>,
    /// The unit file, or the symlink that masks or aliases the unit.
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Services {
    /// Sorted by name.
    pub units: Vec<Service>,
    /// By template name: the unit an instance no link names would be
    /// (`getty@tty9.service` when only tty1 is enabled).
    #[serde(skip)]
    pub unlinked_instances: BTreeMap<String, Service>,
}

impl Services {
    /// A unit by name; "ssh" means "ssh.service". An alias finds the unit it
    /// names.
    pub fn get(&self, name: &str) -> Option<Cow<'_, Service>> {
        let full = full_unit_name(name);
        if let Some(unit) = self.find(&full) {
            return Some(Cow::Borrowed(unit));
        }
        let template = template_of(&full)?;
        let mut unit = self.unlinked_instances.get(&template)?.clone();
        unit.name = full;
        Some(Cow::Owned(unit))
    }

    fn find(&self, name: &str) -> Option<&Service> {
        let name = name.to_string();
        let by_alias = || {
            self.units
                .iter()
                .find(|u| u.state != "alias" && u.aliases.contains(&name))
        };
        match self
            .units
            .binary_search_by(|u| u.name.as_str().cmp(&name))
            .ok()
            .and_then(|i| self.units.get(i))
        {
            Some(unit) if unit.state == "alias" => by_alias().or(Some(unit)),
            Some(unit) => Some(unit),
            None => by_alias(),
        }
    }
}

/// The `[Install]` section of a unit file, which is what enablement depends on.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnitFile {
    pub wanted_by: Vec<String>,
    pub required_by: Vec<String>,
    pub upheld_by: Vec<String>,
    pub alias: Vec<String>,
    pub also: Vec<String>,
    pub default_instance: Option<String>,
    pub has_install_section: bool,
}

impl UnitFile {
    /// What `systemctl enable` would link (install.c's
    /// `install_info_has_rules`); a unit with none of these and no `Also=`
    /// is "static".
    pub fn has_rules(&self) -> bool {
        !(self.wanted_by.is_empty()
            && self.required_by.is_empty()
            && self.upheld_by.is_empty()
            && self.alias.is_empty())
    }
}

/// Parses a unit file's `[Install]` section. Other sections are checked for
/// syntax only.
pub fn parse_unit_file(text: &str, file: &str) -> (UnitFile, Vec<Diagnostic>) {
    let mut unit = UnitFile::default();
    let mut diags = Vec::new();
    parse_install_into(&mut unit, text, file, &mut diags);
    (unit, diags)
}

/// Adds a unit file's or drop-in's `[Install]` settings to `unit`, as
/// systemd reads the unit file and then its drop-ins: list settings
/// accumulate, an empty value clears the list.
pub(crate) fn parse_install_into(
    unit: &mut UnitFile,
    text: &str,
    file: &str,
    diags: &mut Vec<Diagnostic>,
) {
    // `None` before the first header; an unreadable header selects a section
    // whose keys are ignored, so one typo yields one diagnostic.
    let mut section: Option<String> = None;
    for (lineno, line) in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with('[') {
            match line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                Some(name) if !name.is_empty() && !name.contains(['[', ']']) => {
                    unit.has_install_section |= name == "Install";
                    section = Some(name.to_string());
                }
                _ => {
                    diags.push(
                        Diagnostic::new(file, format!("invalid section header {line:?}"))
                            .at(lineno, None),
                    );
                    section = Some(String::new());
                }
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            diags.push(
                Diagnostic::new(file, format!("expected Key=value, found {line:?}"))
                    .at(lineno, None),
            );
            continue;
        };
        let Some(section) = &section else {
            diags.push(Diagnostic::new(file, "assignment outside of any section").at(lineno, None));
            continue;
        };
        if section != "Install" {
            continue;
        }
        let value = value.trim();
        let list = match key.trim() {
            "WantedBy" => &mut unit.wanted_by,
            "RequiredBy" => &mut unit.required_by,
            "UpheldBy" => &mut unit.upheld_by,
            "Alias" => &mut unit.alias,
            "Also" => &mut unit.also,
            "DefaultInstance" => {
                unit.default_instance = Some(value.to_string()).filter(|v| !v.is_empty());
                continue;
            }
            _ => continue,
        };
        if value.is_empty() {
            list.clear();
        } else {
            list.extend(value.split_whitespace().map(str::to_string));
        }
    }
}

/// Parses a preset file: `enable PATTERN` / `disable PATTERN` lines, first
/// match wins. Returns `(enable, pattern)` pairs in file order; patterns that
/// are not valid globs are dropped with a diagnostic.
pub fn parse_preset(text: &str, file: &str) -> (Vec<(bool, String)>, Vec<Diagnostic>) {
    let mut rules = Vec::new();
    let mut diags = Vec::new();
    for (lineno, line) in lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        let mut words = line.split_whitespace();
        // `enable` may list instances after the pattern; they do not change
        // whether the unit is enabled, so they are not kept.
        let (verb, pattern) = (words.next(), words.next());
        let enable = match verb {
            Some("enable") => true,
            Some("disable") => false,
            Some("ignore") => {
                // An "ignore" match would stop the search with no answer,
                // which an (enable, pattern) pair cannot express.
                diags.push(
                    Diagnostic::new(file, "\"ignore\" presets are not supported; line skipped")
                        .at(lineno, None),
                );
                continue;
            }
            _ => {
                diags.push(
                    Diagnostic::new(
                        file,
                        format!(
                            "expected \"enable PATTERN\" or \"disable PATTERN\", found {line:?}"
                        ),
                    )
                    .at(lineno, None),
                );
                continue;
            }
        };
        let Some(pattern) = pattern else {
            diags.push(Diagnostic::new(file, "missing unit name pattern").at(lineno, None));
            continue;
        };
        if let Err(e) = compile_glob(pattern) {
            diags.push(
                Diagnostic::new(file, format!("invalid pattern {pattern:?}: {e}")).at(lineno, None),
            );
            continue;
        }
        rules.push((enable, pattern.to_string()));
    }
    (rules, diags)
}

/// Lists every unit the search path names (files, masks, aliases, and
/// instances linked from `.wants`-style directories) with the state
/// `systemctl is-enabled` gives it ([`super::unit_state`]). A name systemctl
/// fails on (an alias of the wrong type, a link to a missing unit) gets a
/// diagnostic and no entry; directories that cannot be listed are errors.
pub fn collect(target: &Target) -> FactResult<Services> {
    let mut diags = Vec::new();
    let tree = UnitTree::read(target)?;
    let links = read_links(target)?;
    let presets = read_presets(target, &mut diags)?;
    let runtime = runtime_dir(target, &mut diags)?;
    let mut found: BTreeMap<String, Lookup> = BTreeMap::new();
    for name in tree.names() {
        match tree.lookup(&name, &mut diags)? {
            Some(Ok(lookup)) => {
                found.insert(name, lookup);
            }
            Some(Err(why)) => diags.push(Diagnostic::new(
                tree.entry(&name).unwrap_or_else(|| name.clone()),
                format!("systemctl cannot tell this unit's state: {why}; it is left out"),
            )),
            None => {}
        }
    }
    // Alias names, by the unit they resolve to.
    let mut alias_links: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, lookup) in &found {
        if lookup.state == "alias" {
            alias_links
                .entry(lookup.unit.as_str())
                .or_default()
                .insert(name.as_str());
        }
    }
    let service = |name: &str, lookup: &Lookup| -> Result<Service, TargetError> {
        let aliases = if lookup.state == "alias" {
            Vec::new()
        } else {
            // A declared alias whose name is already an alias of another
            // unit (several targets declare ctrl-alt-del.target) belongs to
            // that unit, so each alias finds one unit.
            let declared = lookup.install.alias.iter().map(String::as_str).filter(|a| {
                !found
                    .get(*a)
                    .is_some_and(|f| f.state == "alias" && f.unit != name)
            });
            names(declared.chain(alias_links.get(name).into_iter().flatten().copied()))
        };
        let masked = lookup.state.starts_with("masked");
        Ok(Service {
            name: name.to_string(),
            unit_file: if masked {
                hidden_file(target, &lookup.entry, name)?
            } else {
                Some(lookup.path.clone())
            },
            state: lookup.state.to_string(),
            enabled: lookup.state.starts_with("enabled"),
            // Presets decide what to enable; a unit with nothing to enable
            // has no preset, as systemctl shows it.
            preset: match lookup.state {
                "static" | "alias" => None,
                _ => preset_for(&presets, name),
            },
            wanted_by: links
                .get(name)
                .map(|t| t.iter().cloned().collect())
                .unwrap_or_default(),
            aliases,
            // An alias runs as the unit it names.
            active: is_active(target, runtime, &lookup.unit)?,
            source: Source::file(&lookup.entry),
        })
    };
    let mut units = Vec::new();
    let mut unlinked_instances = BTreeMap::new();
    for (name, lookup) in &found {
        units.push(service(name, lookup)?);
        // What an instance of this template that no link names would be:
        // a `/` cannot be in a file name, so no file or link matches it.
        if name.contains("@.") && template_of(name).is_none() && lookup.state != "alias" {
            let probe = name.replacen("@.", "@/.", 1);
            if let Some(Ok(instance)) = tree.lookup(&probe, &mut Vec::new())? {
                unlinked_instances.insert(name.clone(), service(name, &instance)?);
            }
        }
    }
    Ok(Collected::new(
        Services {
            units,
            unlinked_instances,
        },
        diags,
    ))
}

/// For a masked unit: the unit file in a lower directory that the mask
/// hides, if any.
fn hidden_file(target: &Target, mask: &str, name: &str) -> Result<Option<String>, TargetError> {
    let below = SEARCH_PATH
        .iter()
        .skip_while(|dir| !mask.starts_with(&format!("{dir}/")))
        .skip(1);
    for dir in below {
        let path = format!("{dir}/{name}");
        if target
            .metadata(&path, true)?
            .is_some_and(|m| m.file_type == FileType::File && m.size > 0)
        {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// Links in the `*.wants`, `*.requires` and `*.upholds` directories of
/// /etc/systemd/system: unit name → targets that pull it in. A link to an
/// instance also counts for its template.
fn read_links(target: &Target) -> Result<BTreeMap<String, BTreeSet<String>>, TargetError> {
    let mut links: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for dir in target.read_dir(CONFIG_DIR)?.unwrap_or_default() {
        if !matches!(dir.file_type, FileType::Directory | FileType::Symlink) {
            continue;
        }
        let Some(owner) = LINK_DIR_SUFFIXES
            .iter()
            .find_map(|suffix| dir.name.strip_suffix(suffix))
            .filter(|owner| !owner.is_empty())
        else {
            continue;
        };
        let path = format!("{CONFIG_DIR}/{}", dir.name);
        for entry in target.read_dir(&path)?.unwrap_or_default() {
            if !matches!(entry.file_type, FileType::Symlink | FileType::File)
                || !is_unit_name(&entry.name)
            {
                continue;
            }
            if let Some(template) = template_of(&entry.name) {
                links.entry(template).or_default().insert(owner.to_string());
            }
            links
                .entry(entry.name)
                .or_default()
                .insert(owner.to_string());
        }
    }
    Ok(links)
}

/// Preset rules in evaluation order: files sorted by name, a file in a
/// higher directory replacing the same-named file below it.
fn read_presets(
    target: &Target,
    diags: &mut Vec<Diagnostic>,
) -> Result<Vec<(bool, GlobMatcher)>, TargetError> {
    let mut files: BTreeMap<String, (&str, String)> = BTreeMap::new();
    for dir in PRESET_DIRS {
        for entry in target.read_dir(dir)?.unwrap_or_default() {
            if entry.name.ends_with(".preset")
                && matches!(entry.file_type, FileType::File | FileType::Symlink)
            {
                let path = format!("{dir}/{}", entry.name);
                files.entry(entry.name).or_insert((dir, path));
            }
        }
    }
    let mut rules = Vec::new();
    for (dir, path) in files.values() {
        // A link to /dev/null hides the lower file and adds nothing.
        if target
            .read_link(path)?
            .is_some_and(|link| is_dev_null(dir, &link))
        {
            continue;
        }
        let file = match target.read_text(path) {
            Ok(Some(file)) => file,
            Ok(None) => continue,
            Err(TargetError::NotRegular { path, kind }) => {
                diags.push(Diagnostic::new(
                    &path,
                    format!("is a {kind}, not a preset file; ignored"),
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        let (found, found_diags) = parse_preset(&file.text, &file.path);
        diags.extend(found_diags);
        if file.truncated {
            diags.push(truncated(&file.path));
        }
        rules.extend(
            found
                .into_iter()
                .filter_map(|(enable, pattern)| Some((enable, compile_glob(&pattern).ok()?))),
        );
    }
    Ok(rules)
}

fn preset_for(rules: &[(bool, GlobMatcher)], name: &str) -> Option<String> {
    rules
        .iter()
        .find(|(_, glob)| glob.is_match(name))
        .map(|(enable, _)| if *enable { "enable" } else { "disable" }.to_string())
}

/// Whether unit activity can be known: `Some(dir)` on a live host booted
/// with systemd. A host without systemd as init has no systemd runtime state,
/// so activity there is unknown rather than "not running".
fn runtime_dir(
    target: &Target,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<&'static str>, TargetError> {
    if !target.is_live() {
        return Ok(None);
    }
    if target.metadata("/run/systemd/system", true)?.is_none() {
        diags.push(Diagnostic::new(
            "/run/systemd/system",
            "systemd is not running on this host; whether units are active is unknown",
        ));
        return Ok(None);
    }
    Ok(Some("/run/systemd/units"))
}

/// systemd links `invocation:<unit>` for every unit it has started.
fn is_active(
    target: &Target,
    runtime: Option<&str>,
    name: &str,
) -> Result<Option<bool>, TargetError> {
    let Some(dir) = runtime else {
        return Ok(None);
    };
    Ok(Some(
        target
            .metadata(&format!("{dir}/invocation:{name}"), false)?
            .is_some(),
    ))
}

fn compile_glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    // fnmatch(3) without FNM_NOESCAPE semantics aside, unit names have no
    // slashes, so matching the whole name is all that is needed.
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
}

fn is_unit_name(name: &str) -> bool {
    !name.starts_with('.')
        && UNIT_SUFFIXES
            .iter()
            .any(|suffix| name.len() > suffix.len() && name.ends_with(suffix))
}

/// `ssh` → `ssh.service`; names with a unit type suffix are kept.
fn full_unit_name(name: &str) -> String {
    if is_unit_name(name) {
        name.to_string()
    } else {
        format!("{name}.service")
    }
}

/// `getty@tty1.service` → `getty@.service`; `None` for anything that is not
/// an instance name.
fn template_of(name: &str) -> Option<String> {
    let (prefix, rest) = name.split_once('@')?;
    let dot = rest.rfind('.')?;
    let (instance, suffix) = rest.split_at(dot);
    (!prefix.is_empty() && !instance.is_empty()).then(|| format!("{prefix}@{suffix}"))
}

/// Whether a symlink in `dir` pointing at `link` points at /dev/null, the
/// way `systemctl mask` writes it or any relative spelling of it.
fn is_dev_null(dir: &str, link: &str) -> bool {
    super::unit_state::absolute(dir, link) == "/dev/null"
}

fn names<'a>(iter: impl Iterator<Item = &'a str>) -> Vec<String> {
    iter.map(str::to_string)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Lines joined across trailing backslashes, as systemd reads unit files:
/// the backslash becomes a space, and comment lines inside a continued line
/// are skipped. Each logical line carries the number of its first line.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (lineno, line) in lines(text) {
        let is_comment = line.trim_start().starts_with(['#', ';']);
        match pending.take() {
            Some((start, mut acc)) => {
                if is_comment {
                    pending = Some((start, acc));
                    continue;
                }
                acc.push(' ');
                match line.strip_suffix('\\') {
                    Some(head) => {
                        acc.push_str(head);
                        pending = Some((start, acc));
                    }
                    None => {
                        acc.push_str(line);
                        out.push((start, acc));
                    }
                }
            }
            None => match line.strip_suffix('\\') {
                Some(head) if !is_comment => pending = Some((lineno, head.to_string())),
                _ => out.push((lineno, line.to_string())),
            },
        }
    }
    out.extend(pending);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::{link, write};
    use std::fs;
    use std::path::Path;

    #[test]
    fn unit_file_install_section() {
        let text = "\
[Unit]
Description=OpenBSD Secure Shell server
WantedBy=not-in-install.target

[Service]
ExecStart=/usr/sbin/sshd -D

[Install]
WantedBy=multi-user.target
Alias=sshd.service
WantedBy=graphical.target   other.target
";
        let (unit, diags) = parse_unit_file(text, "ssh.service");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            unit,
            UnitFile {
                wanted_by: vec![
                    "multi-user.target".into(),
                    "graphical.target".into(),
                    "other.target".into()
                ],
                alias: vec!["sshd.service".into()],
                has_install_section: true,
                ..UnitFile::default()
            }
        );
    }

    #[test]
    fn unit_file_reset_comments_continuations_crlf() {
        let text = "[Install]\r\n\
# WantedBy=commented.target\r\n\
; RequiredBy=commented.target\r\n\
WantedBy=a.target\r\n\
WantedBy=\r\n\
WantedBy=b.target \\\r\n\
# a comment inside the continuation\r\n\
  c.target\r\n\
RequiredBy=d.target\r\n\
Also=e.socket\r\n\
Alias=f.service\r\n";
        let (unit, diags) = parse_unit_file(text, "x");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(unit.wanted_by, vec!["b.target", "c.target"]);
        assert_eq!(unit.required_by, vec!["d.target"]);
        assert_eq!(unit.also, vec!["e.socket"]);
        assert_eq!(unit.alias, vec!["f.service"]);
    }

    #[test]
    fn unit_file_without_install() {
        let (unit, diags) =
            parse_unit_file("[Unit]\nDescription=x\n[Service]\nType=oneshot\n", "x");
        assert!(diags.is_empty());
        assert_eq!(unit, UnitFile::default());
        assert!(!unit.has_rules());
        let (unit, _) = parse_unit_file("[Install]\n", "x");
        assert!(unit.has_install_section);
        assert!(!unit.has_rules());
    }

    #[test]
    fn unit_file_malformed_lines() {
        let text = "Orphan=1\n[Unit\nDescription=x\nWantedBy=ignored.target\n[Install]\njunk line\nWantedBy=a.target\n[Install]]\n";
        let (unit, diags) = parse_unit_file(text, "/lib/systemd/system/x.service");
        assert_eq!(unit.wanted_by, vec!["a.target"]);
        let lines: Vec<_> = diags.iter().map(|d| d.line.unwrap()).collect();
        assert_eq!(lines, vec![1, 2, 6, 8]);
        assert!(diags
            .iter()
            .all(|d| d.file == "/lib/systemd/system/x.service"));
    }

    #[test]
    fn unit_file_continuation_at_end_of_file() {
        let (unit, diags) = parse_unit_file("[Install]\nWantedBy=a.target \\", "x");
        assert!(diags.is_empty());
        assert_eq!(unit.wanted_by, vec!["a.target"]);
    }

    #[test]
    fn logical_line_numbers() {
        let got = logical_lines("a\\\nb\nc\n# d \\\ne");
        assert_eq!(
            got,
            vec![
                (1, "a b".to_string()),
                (3, "c".to_string()),
                (4, "# d \\".to_string()),
                (5, "e".to_string())
            ]
        );
    }

    #[test]
    fn preset_lines() {
        let text = "\
# comment
; comment
enable ssh.service
enable getty@.service tty1 tty2\r
disable *
frobnicate x.service
enable
ignore y.service
disable [bad
";
        let (rules, diags) = parse_preset(text, "90-default.preset");
        assert_eq!(
            rules,
            vec![
                (true, "ssh.service".to_string()),
                (true, "getty@.service".to_string()),
                (false, "*".to_string())
            ]
        );
        let lines: Vec<_> = diags.iter().map(|d| d.line.unwrap()).collect();
        assert_eq!(lines, vec![6, 7, 8, 9]);
    }

    #[test]
    fn names_and_templates() {
        assert_eq!(
            template_of("getty@tty1.service").as_deref(),
            Some("getty@.service")
        );
        assert_eq!(
            template_of("systemd-fsck@dev-disk-by\\x2duuid-1.service").as_deref(),
            Some("systemd-fsck@.service")
        );
        assert_eq!(template_of("getty@.service"), None);
        assert_eq!(template_of("ssh.service"), None);
        assert_eq!(template_of("@x.service"), None);
        assert_eq!(full_unit_name("ssh"), "ssh.service");
        assert_eq!(full_unit_name("cron.timer"), "cron.timer");
        assert_eq!(
            full_unit_name("org.example.thing"),
            "org.example.thing.service"
        );
        assert!(!is_unit_name(".service"));
        assert!(!is_unit_name("README"));
        assert!(is_dev_null("/etc/systemd/system", "/dev/null"));
        assert!(is_dev_null("/etc/systemd/system", "../../../dev/null"));
        assert!(is_dev_null(
            "/etc/systemd/system",
            "../../../../../dev/./null"
        ));
        assert!(!is_dev_null("/etc/systemd/system", "dev/null"));
    }

    const INSTALL_MULTI_USER: &str = "[Unit]\nDescription=x\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n";

    /// A Debian-like tree: vendor units in both /lib and /usr/lib.
    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        // Enabled through an absolute wants link, with an alias link.
        write(
            r,
            "/lib/systemd/system/ssh.service",
            "[Service]\nExecStart=/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n",
        );
        link(
            r,
            "/etc/systemd/system/multi-user.target.wants/ssh.service",
            "/lib/systemd/system/ssh.service",
        );
        link(
            r,
            "/etc/systemd/system/sshd.service",
            "/lib/systemd/system/ssh.service",
        );
        // Enabled through a relative link.
        write(
            r,
            "/usr/lib/systemd/system/cron.service",
            INSTALL_MULTI_USER,
        );
        link(
            r,
            "/etc/systemd/system/multi-user.target.wants/cron.service",
            "../../../../usr/lib/systemd/system/cron.service",
        );
        // Installable but not linked.
        write(
            r,
            "/usr/lib/systemd/system/telnet.socket",
            "[Socket]\nListenStream=23\n[Install]\nWantedBy=sockets.target\n",
        );
        // Masked: the /etc link hides the vendor file.
        write(
            r,
            "/usr/lib/systemd/system/rsync.service",
            INSTALL_MULTI_USER,
        );
        link(r, "/etc/systemd/system/rsync.service", "/dev/null");
        link(
            r,
            "/etc/systemd/system/multi-user.target.wants/rsync.service",
            "/usr/lib/systemd/system/rsync.service",
        );
        // Static: no [Install] section.
        write(
            r,
            "/usr/lib/systemd/system/systemd-journald.service",
            "[Service]\nExecStart=/lib/systemd/systemd-journald\n",
        );
        // Template enabled through an instance.
        write(
            r,
            "/usr/lib/systemd/system/getty@.service",
            "[Service]\nExecStart=-/sbin/agetty %I\n[Install]\nWantedBy=getty.target\n",
        );
        link(
            r,
            "/etc/systemd/system/getty.target.wants/getty@tty1.service",
            "/usr/lib/systemd/system/getty@.service",
        );
        // Indirect: only Also=.
        write(
            r,
            "/usr/lib/systemd/system/cups.service",
            "[Service]\nExecStart=/usr/sbin/cupsd\n[Install]\nAlso=cups.socket\n",
        );
        // An administrator's copy overrides the vendor file.
        write(
            r,
            "/usr/lib/systemd/system/nginx.service",
            INSTALL_MULTI_USER,
        );
        write(
            r,
            "/etc/systemd/system/nginx.service",
            "[Service]\nExecStart=/usr/sbin/nginx\n",
        );
        // A vendor alias link.
        write(
            r,
            "/usr/lib/systemd/system/graphical.target",
            "[Unit]\nDescription=Graphical Interface\n",
        );
        link(
            r,
            "/usr/lib/systemd/system/default.target",
            "graphical.target",
        );
        // A timer enabled with RequiredBy-style link.
        write(
            r,
            "/usr/lib/systemd/system/apt-daily.timer",
            "[Timer]\nOnCalendar=daily\n[Install]\nRequiredBy=timers.target\n",
        );
        link(
            r,
            "/etc/systemd/system/timers.target.requires/apt-daily.timer",
            "/usr/lib/systemd/system/apt-daily.timer",
        );
        // A higher-precedence copy of a unit: /lib comes before /usr/lib.
        write(r, "/lib/systemd/system/cron.service", "[Service]\n");
        // Noise that must be ignored.
        write(r, "/usr/lib/systemd/system/README", "not a unit");
        write(
            r,
            "/usr/lib/systemd/system/cron.service.d/override.conf",
            "[Service]\n",
        );
        link(
            r,
            "/etc/systemd/system/gone.service",
            "/opt/gone/gone.service",
        );
        // Presets: /etc's 50-local.preset replaces /usr/lib's.
        write(
            r,
            "/usr/lib/systemd/system-preset/50-local.preset",
            "disable telnet.socket\nenable cups.service\n",
        );
        write(
            r,
            "/etc/systemd/system-preset/50-local.preset",
            "enable telnet.*\n",
        );
        write(
            r,
            "/usr/lib/systemd/system-preset/90-default.preset",
            "enable ssh.service\nenable getty@.service\ndisable *\n",
        );
        dir
    }

    fn state(services: &Services, name: &str) -> String {
        services
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .state
            .clone()
    }

    #[test]
    fn collect_states() {
        let dir = tree();
        let got = collect(&Target::root(dir.path()).unwrap()).unwrap();
        let s = &got.value;
        assert_eq!(state(s, "ssh"), "enabled");
        assert_eq!(state(s, "cron"), "enabled");
        assert_eq!(state(s, "telnet.socket"), "disabled");
        assert_eq!(state(s, "rsync"), "masked");
        assert_eq!(state(s, "systemd-journald"), "static");
        // Only an instance is linked and the template has no
        // DefaultInstance=: systemctl calls the template indirect.
        assert_eq!(state(s, "getty@.service"), "indirect");
        assert_eq!(state(s, "getty@tty1.service"), "enabled");
        assert_eq!(state(s, "cups"), "indirect");
        assert_eq!(state(s, "nginx"), "static");
        assert_eq!(state(s, "graphical.target"), "static");
        assert_eq!(state(s, "apt-daily.timer"), "enabled");
        assert!(s.get("gone").is_none());
        assert!(s.get("README").is_none());

        let names: Vec<_> = s.units.iter().map(|u| u.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(
            names,
            vec![
                "apt-daily.timer",
                "cron.service",
                "cups.service",
                "default.target",
                "getty@.service",
                "getty@tty1.service",
                "graphical.target",
                "nginx.service",
                "rsync.service",
                "ssh.service",
                "sshd.service",
                "systemd-journald.service",
                "telnet.socket",
            ]
        );
        assert!(s.units.iter().all(|u| u.enabled == (u.state == "enabled")));
        assert!(s.units.iter().all(|u| u.active.is_none()));
        assert_eq!(got.diagnostics.len(), 1, "{:?}", got.diagnostics);
        assert_eq!(got.diagnostics[0].file, "/etc/systemd/system/gone.service");
    }

    #[test]
    fn collect_details() {
        let dir = tree();
        let s = collect(&Target::root(dir.path()).unwrap()).unwrap().value;

        let ssh = s.get("ssh.service").unwrap();
        assert_eq!(
            ssh.unit_file.as_deref(),
            Some("/lib/systemd/system/ssh.service")
        );
        assert_eq!(ssh.source, Source::file("/lib/systemd/system/ssh.service"));
        assert_eq!(ssh.wanted_by, vec!["multi-user.target"]);
        assert_eq!(ssh.aliases, vec!["sshd.service"]);
        assert_eq!(ssh.preset.as_deref(), Some("enable"));
        // The alias finds the unit it names.
        assert_eq!(s.get("sshd").unwrap().name, "ssh.service");
        assert_eq!(s.get("default.target").unwrap().name, "graphical.target");
        let alias = s.units.iter().find(|u| u.name == "sshd.service").unwrap();
        assert_eq!(alias.state, "alias");
        assert_eq!(
            alias.source,
            Source::file("/etc/systemd/system/sshd.service")
        );

        let rsync = s.get("rsync").unwrap();
        assert_eq!(
            rsync.source,
            Source::file("/etc/systemd/system/rsync.service")
        );
        assert_eq!(
            rsync.unit_file.as_deref(),
            Some("/usr/lib/systemd/system/rsync.service")
        );
        assert!(!rsync.enabled);

        // Debian 12's systemd searches /lib before /usr/lib.
        let cron = s.get("cron").unwrap();
        assert_eq!(
            cron.unit_file.as_deref(),
            Some("/lib/systemd/system/cron.service")
        );
        assert_eq!(cron.preset.as_deref(), Some("disable"));

        let nginx = s.get("nginx").unwrap();
        assert_eq!(
            nginx.unit_file.as_deref(),
            Some("/etc/systemd/system/nginx.service")
        );

        let getty = s.get("getty@.service").unwrap();
        assert_eq!(getty.wanted_by, vec!["getty.target"]);
        let tty1 = s.get("getty@tty1.service").unwrap();
        assert_eq!(
            tty1.unit_file.as_deref(),
            Some("/usr/lib/systemd/system/getty@.service")
        );
        assert_eq!(tty1.wanted_by, vec!["getty.target"]);
        assert_eq!(tty1.preset.as_deref(), Some("disable"));

        assert_eq!(
            s.get("apt-daily.timer").unwrap().wanted_by,
            vec!["timers.target"]
        );
        // /etc's 50-local.preset replaced /usr/lib's: telnet enabled, cups
        // falls through to 90-default.
        assert_eq!(
            s.get("telnet.socket").unwrap().preset.as_deref(),
            Some("enable")
        );
        assert_eq!(s.get("cups").unwrap().preset.as_deref(), Some("disable"));
        // Static units and aliases have no preset even under "disable *".
        assert_eq!(s.get("systemd-journald").unwrap().preset, None);
        assert_eq!(alias.preset, None);
        assert_eq!(rsync.preset.as_deref(), Some("disable"));
    }

    #[test]
    fn masked_template_masks_its_instances() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            "/usr/lib/systemd/system/serial-getty@.service",
            "[Install]\nWantedBy=getty.target\n",
        );
        link(
            r,
            "/etc/systemd/system/serial-getty@.service",
            "../../../dev/null",
        );
        link(
            r,
            "/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service",
            "/usr/lib/systemd/system/serial-getty@.service",
        );
        let s = collect(&Target::root(r).unwrap()).unwrap().value;
        assert_eq!(state(&s, "serial-getty@.service"), "masked");
        assert_eq!(state(&s, "serial-getty@ttyS0.service"), "masked");
        assert!(!s.get("serial-getty@ttyS0").unwrap().enabled);
    }

    #[test]
    fn alias_link_alone_enables() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            "/usr/lib/systemd/system/gdm.service",
            "[Install]\nAlias=display-manager.service\n",
        );
        let s = collect(&Target::root(r).unwrap()).unwrap().value;
        assert_eq!(state(&s, "gdm"), "disabled");
        // A declared alias finds the unit even when it is not linked.
        assert_eq!(s.get("display-manager").unwrap().name, "gdm.service");

        link(
            r,
            "/etc/systemd/system/display-manager.service",
            "/usr/lib/systemd/system/gdm.service",
        );
        let s = collect(&Target::root(r).unwrap()).unwrap().value;
        assert_eq!(state(&s, "gdm"), "enabled");
        assert_eq!(s.get("display-manager").unwrap().name, "gdm.service");
    }

    #[test]
    fn shared_declared_alias_goes_to_the_linked_unit() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let install = "[Install]\nAlias=ctrl-alt-del.target\n";
        write(r, "/usr/lib/systemd/system/exit.target", install);
        write(r, "/usr/lib/systemd/system/reboot.target", install);
        link(
            r,
            "/usr/lib/systemd/system/ctrl-alt-del.target",
            "reboot.target",
        );
        let s = collect(&Target::root(r).unwrap()).unwrap().value;
        assert_eq!(s.get("ctrl-alt-del.target").unwrap().name, "reboot.target");
        assert!(s.get("exit.target").unwrap().aliases.is_empty());
        assert_eq!(
            s.get("reboot.target").unwrap().aliases,
            vec!["ctrl-alt-del.target"]
        );
        // A vendor alias link does not enable.
        assert_eq!(state(&s, "reboot.target"), "disabled");
    }

    #[test]
    fn dangling_link_hides_the_lower_file() {
        // `systemctl is-enabled foo` fails here ("No such file or
        // directory"): the link is the unit's entry, and it leads nowhere.
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        link(r, "/etc/systemd/system/foo.service", "/nowhere/foo.service");
        write(r, "/usr/lib/systemd/system/foo.service", "[Service]\n");
        let got = collect(&Target::root(r).unwrap()).unwrap();
        assert!(got.value.get("foo").is_none());
        assert_eq!(got.diagnostics.len(), 1, "{:?}", got.diagnostics);
    }

    #[test]
    fn unit_file_diagnostics_and_fifo_units_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            "/usr/lib/systemd/system/bad.service",
            "[Install\nWantedBy=x.target\n",
        );
        fs::create_dir_all(r.join("etc/systemd/system")).unwrap();
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            r.join("etc/systemd/system/fifo.service"),
            0o644.into(),
        )
        .unwrap();
        let got = collect(&Target::root(r).unwrap()).unwrap();
        assert_eq!(state(&got.value, "bad"), "static");
        assert!(got.value.get("fifo").is_none());
        let files: Vec<_> = got.diagnostics.iter().map(|d| d.file.as_str()).collect();
        assert_eq!(
            files,
            vec![
                "/usr/lib/systemd/system/bad.service",
                "/etc/systemd/system/fifo.service"
            ]
        );
        assert_eq!(got.diagnostics[0].line, Some(1));
    }

    #[test]
    fn preset_masked_by_dev_null() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "/usr/lib/systemd/system/a.service", INSTALL_MULTI_USER);
        write(
            r,
            "/usr/lib/systemd/system-preset/90-default.preset",
            "enable *\n",
        );
        link(
            r,
            "/etc/systemd/system-preset/90-default.preset",
            "/dev/null",
        );
        let got = collect(&Target::root(r).unwrap()).unwrap();
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        assert_eq!(got.value.get("a").unwrap().preset, None);
    }

    #[test]
    fn truncated_unit_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "/usr/lib/systemd/system/a.service", INSTALL_MULTI_USER);
        let got = collect(&Target::root(r).unwrap().with_read_cap(20)).unwrap();
        // The [Install] section was cut off, so the unit looks static.
        assert_eq!(state(&got.value, "a"), "static");
        assert_eq!(got.diagnostics.len(), 1);
        assert!(got.diagnostics[0].message.contains("read limit"));
    }

    #[test]
    fn empty_tree() {
        let dir = tempfile::tempdir().unwrap();
        let got = collect(&Target::root(dir.path()).unwrap()).unwrap();
        assert!(got.value.units.is_empty());
        assert!(got.diagnostics.is_empty());
        assert!(got.value.get("ssh").is_none());
    }

    #[test]
    fn live_host_does_not_fail() {
        let got = collect(&Target::live()).unwrap();
        let booted = Path::new("/run/systemd/system").exists();
        assert!(got.value.units.iter().all(|u| u.active.is_some() == booted));
    }
}
