//! Kernel parameters: what the sysctl.d configuration asks for at boot, and
//! what the running kernel has now.
//!
//! Both views use the dotted key form `sysctl(8)` prints
//! (`net.ipv4.conf.all.rp_filter`), so rules compare them without caring how
//! a configuration file spelled the key.

use crate::diag::Diagnostic;
use crate::facts::{whole_lines, Collected, FactError, FactResult, Source};
use crate::target::{FileType, Target, TargetError};
use serde::Serialize;
use std::collections::BTreeMap;

/// Configuration directories in precedence order, as systemd-sysctl and
/// `sysctl --system` search them.
const SYSCTL_DIRS: &[&str] = &[
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];

/// procps applies this after every sysctl.d file.
const SYSCTL_CONF: &str = "/etc/sysctl.conf";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SysctlSetting {
    /// Dotted form: `net.ipv4.ip_forward`.
    pub key: String,
    /// Whitespace runs collapsed to one space, so `"32768\t60999"` from
    /// `/proc/sys` equals `32768 60999` from a file.
    pub value: String,
    pub source: Source,
}

/// The boot-time configuration, resolved the way sysctl.d(5) describes and
/// `systemd-sysctl` implements it (procps `sysctl --system` agrees on the
/// first two points):
///
/// - among assignments of the same key (or of the same glob pattern, taken
///   as a string), the last one applied wins;
/// - a key may be a glob(7) pattern (`net.ipv4.conf.*.rp_filter = 2`) that
///   sets every matching key. Whenever a key has an explicit assignment or
///   exclusion anywhere, whether before or after the glob, no glob applies
///   to it ("keys for which an explicit pattern exists will be excluded from
///   any glob matching"); among the globs matching a key, the last one
///   applied wins;
/// - `-key` without `=` is an exclusion: it keeps globs from setting `key`.
///   As in `systemd-sysctl` (the boot-time applier), it also cancels an
///   earlier explicit assignment of the same key, so the key is not set
///   at all; and `-pattern` cancels an earlier assignment of that same
///   pattern.
///
/// The kernel expands a glob against the keys that exist when
/// `systemd-sysctl` runs; statically, [`ConfiguredSysctl::get`] applies a
/// glob to whatever key is looked up.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfiguredSysctl {
    /// The effective explicit (non-glob) assignment of each key. Explicit
    /// assignments always beat globs, so a key found here has this value;
    /// a key missing here may still be set by a glob: use
    /// [`ConfiguredSysctl::get`].
    pub settings: BTreeMap<String, SysctlSetting>,
    /// Effective glob assignments in the order they apply; `key` is the
    /// pattern in dotted form.
    pub globs: Vec<SysctlSetting>,
    /// Keys whose last explicit line is an exclusion (`-key`), with that
    /// line: no glob sets them, and no file assigns them.
    pub excluded: BTreeMap<String, Source>,
    /// Files in the order they are applied.
    pub files: Vec<String>,
}

impl ConfiguredSysctl {
    /// The configured setting of a concrete key written either way
    /// [`normalize_key`] accepts: its explicit assignment if it has one,
    /// else the last glob assignment matching it, unless an exclusion line
    /// names the key. For a glob match the returned `key` is the pattern.
    pub fn get(&self, key: &str) -> Option<&SysctlSetting> {
        let key = normalize_key(key);
        if let Some(setting) = self.settings.get(&key) {
            return Some(setting);
        }
        if self.excluded.contains_key(&key) || is_glob(&key) {
            return None;
        }
        self.globs
            .iter()
            .rev()
            .find(|glob| key_matches(&glob.key, &key))
    }

    /// Applies one parsed line, in order.
    fn apply(&mut self, entry: SysctlEntry) {
        match entry {
            SysctlEntry::Assign(setting) if is_glob(&setting.key) => {
                // As in systemd-sysctl's ordered map: repeating a pattern's
                // value changes nothing, a new value moves the pattern last.
                if let Some(i) = self.globs.iter().position(|g| g.key == setting.key) {
                    if self.globs[i].value == setting.value {
                        return;
                    }
                    self.globs.remove(i);
                }
                self.globs.push(setting);
            }
            SysctlEntry::Assign(setting) => {
                self.excluded.remove(&setting.key);
                self.settings.insert(setting.key.clone(), setting);
            }
            SysctlEntry::Exclude { key, .. } if is_glob(&key) => {
                self.globs.retain(|g| g.key != key);
            }
            SysctlEntry::Exclude { key, source } => {
                self.settings.remove(&key);
                self.excluded.insert(key, source);
            }
        }
    }
}

/// One meaningful line of a sysctl.d file.
#[derive(Debug, Clone, PartialEq)]
pub enum SysctlEntry {
    /// `key = value` or `-key = value` (the `-` only silences a failure to
    /// write); `key` may be a glob pattern.
    Assign(SysctlSetting),
    /// `-key` with no `=`: keep globs from setting `key`.
    Exclude { key: String, source: Source },
}

/// The dotted form of a key written either way sysctl.d(5) allows.
///
/// If the first separator is `/` the key is a path below `/proc/sys`, where
/// a `.` is part of a name (`net/ipv4/conf/eth0.100/forwarding`); in dotted
/// form that dot becomes `/`, so the two separators swap. A key whose first
/// separator is `.` is already dotted.
pub fn normalize_key(key: &str) -> String {
    let key = key.trim();
    match key.find(['.', '/']) {
        Some(i) if key.as_bytes().get(i) == Some(&b'/') => key
            .split('/')
            .filter(|part| !part.is_empty())
            .map(|part| part.replace('.', "/"))
            .collect::<Vec<_>>()
            .join("."),
        _ => key.to_string(),
    }
}

/// Parses one sysctl.d / sysctl.conf file: its assignments only (see
/// [`parse_sysctl_entries`] for exclusions too).
pub fn parse_sysctl_conf(text: &str, file: &str) -> (Vec<SysctlSetting>, Vec<Diagnostic>) {
    let (entries, diags) = parse_sysctl_entries(text, file);
    let settings = entries
        .into_iter()
        .filter_map(|entry| match entry {
            SysctlEntry::Assign(setting) => Some(setting),
            SysctlEntry::Exclude { .. } => None,
        })
        .collect();
    (settings, diags)
}

/// Parses one sysctl.d / sysctl.conf file into its assignments and
/// exclusions, in file order.
pub fn parse_sysctl_entries(text: &str, file: &str) -> (Vec<SysctlEntry>, Vec<Diagnostic>) {
    let mut entries = Vec::new();
    let mut diags = crate::diag::Collector::default();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = line_number(idx);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((key, value)) => (key, Some(value)),
            // `-key` alone excludes the key from glob assignments.
            None if line.starts_with('-') => (line, None),
            None => {
                diags.push(
                    Diagnostic::new(file, format!("expected `key = value`, found `{line}`"))
                        .at(line_no, None),
                );
                continue;
            }
        };
        // In an assignment a leading '-' only tells systemd-sysctl not to
        // complain when the key does not exist; the assignment is the same.
        let key = key.trim();
        let key = key.strip_prefix('-').unwrap_or(key).trim();
        if key.is_empty() {
            let what = if value.is_some() {
                "assignment"
            } else {
                "exclusion"
            };
            diags.push(Diagnostic::new(file, format!("{what} without a key")).at(line_no, None));
            continue;
        }
        if key.contains(char::is_whitespace) {
            diags.push(
                Diagnostic::new(file, format!("key `{key}` contains whitespace")).at(line_no, None),
            );
            continue;
        }
        let key = normalize_key(key);
        let source = Source::line(file, line_no);
        entries.push(match value {
            Some(value) => SysctlEntry::Assign(SysctlSetting {
                key,
                value: collapse_whitespace(value),
                source,
            }),
            None => SysctlEntry::Exclude { key, source },
        });
    }
    (entries, diags.finish())
}

/// The settings the boot-time configuration applies, with the file and line
/// each effective value comes from.
pub fn collect_configured(target: &Target) -> FactResult<ConfiguredSysctl> {
    let (candidates, mut diags) = drop_in_files(target, SYSCTL_DIRS, &[".conf"])?;
    // Debian and RHEL ship /etc/sysctl.d/99-sysctl.conf -> ../sysctl.conf
    // so that systemd-sysctl, which applies the configuration at boot,
    // reads sysctl.conf in that link's place: a later file (99-z.conf)
    // overrides it. Without such a link only procps reads it, last.
    let mut files = Vec::with_capacity(candidates.len() + 1);
    let mut linked = false;
    for path in candidates {
        if link_chain_end(target, &path)?.as_deref() == Some(SYSCTL_CONF) {
            linked = true;
            files.push(SYSCTL_CONF.to_string());
        } else {
            files.push(path);
        }
    }
    if !linked {
        if let Some(meta) = target.metadata(SYSCTL_CONF, true)? {
            if meta.file_type == FileType::File {
                files.push(SYSCTL_CONF.to_string());
            }
        }
    }

    let mut configured = ConfiguredSysctl {
        settings: BTreeMap::new(),
        globs: Vec::new(),
        excluded: BTreeMap::new(),
        files: Vec::with_capacity(files.len()),
    };
    for path in files {
        let Some(text) = target.read_text(&path)? else {
            continue;
        };
        let body = whole_lines(&text, &mut diags);
        let (entries, file_diags) = parse_sysctl_entries(body, &text.path);
        diags.extend(file_diags);
        for entry in entries {
            configured.apply(entry);
        }
        configured.files.push(path);
    }
    Ok(Collected::new(configured, diags))
}

/// Runtime value of one key from /proc/sys (live only): Ok(None) if the key does not exist.
pub fn read_runtime(target: &Target, key: &str) -> Result<Option<SysctlSetting>, FactError> {
    if !target.is_live() {
        return Err(FactError::RuntimeOnly {
            what: "runtime sysctl",
        });
    }
    read_proc_sys(target, key)
}

/// [`read_runtime`] without the liveness check, so tests can use a fixture tree.
fn read_proc_sys(target: &Target, key: &str) -> Result<Option<SysctlSetting>, FactError> {
    let key = normalize_key(key);
    let Some(path) = proc_sys_path(&key) else {
        return Ok(None);
    };
    match target.read_text(&path) {
        Ok(Some(text)) => Ok(Some(SysctlSetting {
            key,
            value: collapse_whitespace(&text.text),
            source: Source::file(path),
        })),
        Ok(None) => Ok(None),
        // A directory such as `net.ipv4` is a key prefix, not a setting.
        Err(TargetError::NotRegular { .. }) => Ok(None),
        Err(e) => Err(FactError::Read(e)),
    }
}

/// Whether a dotted key is a glob(7) pattern, as systemd-sysctl decides it.
fn is_glob(key: &str) -> bool {
    key.contains(['*', '?', '['])
}

/// Whether the glob pattern `pattern` matches the concrete key `key`, both
/// dotted: as glob(7) matches /proc/sys paths, component by component, a
/// wildcard never spanning a separator.
fn key_matches(pattern: &str, key: &str) -> bool {
    let mut pattern_parts = pattern.split('.');
    let mut key_parts = key.split('.');
    loop {
        match (pattern_parts.next(), key_parts.next()) {
            (None, None) => return true,
            (Some(p), Some(k)) => {
                // In dotted form a '/' stands for a '.' of the name.
                let p: Vec<char> = p.chars().map(|c| if c == '/' { '.' } else { c }).collect();
                let k: Vec<char> = k.chars().map(|c| if c == '/' { '.' } else { c }).collect();
                if !name_matches(&p, &k) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// fnmatch(3) of one path component without flags: `*`, `?`, bracket
/// expressions (`[a-z]`, `[!0-9]`, `[^x]`, no character classes) and `\`
/// escapes. A `[` without its closing `]` is literal; as glob(3) does, a
/// leading `.` of the name is matched only by a literal `.`.
fn name_matches(pattern: &[char], name: &[char]) -> bool {
    if name.first() == Some(&'.') && pattern.first() != Some(&'.') {
        return false;
    }
    let (mut p, mut n) = (0, 0);
    // Where to resume after the last `*`: pattern after it, name position.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p + 1, n));
                p += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match bracket(&pattern[p..], name[n]) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                None => (name[n] == '[').then_some(1),
            },
            Some('\\') if p + 1 < pattern.len() => (pattern[p + 1] == name[n]).then_some(2),
            Some(&c) => (c == name[n]).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(len), _) => {
                p += len;
                n += 1;
            }
            (None, Some((after, from))) => {
                p = after;
                n = from + 1;
                star = Some((after, from + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Matches `c` against the bracket expression at the start of `pattern`:
/// `Some((matched, length of the expression))`, or `None` if it has no
/// closing `]`.
fn bracket(pattern: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pattern.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let lo = *pattern.get(i)?;
        if lo == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if let (Some('-'), Some(&hi)) = (pattern.get(i + 1), pattern.get(i + 2)) {
            if hi != ']' {
                matched |= lo <= c && c <= hi;
                i += 3;
                continue;
            }
        }
        matched |= lo == c;
        i += 1;
    }
}

/// `/proc/sys/...` for a dotted key, or `None` for a key that cannot name a
/// single setting (empty components, `..`, wildcards), so a policy value
/// never walks out of /proc/sys.
fn proc_sys_path(key: &str) -> Option<String> {
    if key.is_empty() || key.contains(['*', '?', '[', '\0']) {
        return None;
    }
    let mut path = String::from("/proc/sys");
    for part in key.split('.') {
        let part = part.replace('/', ".");
        if part.is_empty() || part == "." || part == ".." {
            return None;
        }
        path.push('/');
        path.push_str(&part);
    }
    Some(path)
}

/// Configuration files of a systemd-style drop-in directory set, in the order
/// they apply, following the rules of systemd's conf-files (shared by
/// sysctl.d, modprobe.d, tmpfiles.d, ...):
/// - a file name found in an earlier directory hides the same name in later
///   ones, so /etc overrides /usr/lib;
/// - a winner that is a symlink to /dev/null masks the name entirely;
/// - the survivors are applied in byte order of their file names, whatever
///   directory they are in;
/// - hidden files and non-files are not configuration.
///
/// Dangling symlinks are skipped with a diagnostic.
pub(crate) fn drop_in_files(
    target: &Target,
    dirs: &[&str],
    suffixes: &[&str],
) -> Result<(Vec<String>, Vec<Diagnostic>), TargetError> {
    let mut winners: BTreeMap<String, String> = BTreeMap::new();
    for dir in dirs {
        let Some(entries) = target.read_dir(dir)? else {
            continue;
        };
        for entry in entries {
            if entry.name.starts_with('.')
                || !suffixes.iter().any(|s| entry.name.ends_with(s))
                || !matches!(entry.file_type, FileType::File | FileType::Symlink)
            {
                continue;
            }
            winners
                .entry(entry.name.clone())
                .or_insert_with(|| format!("{}/{}", dir.trim_end_matches('/'), entry.name));
        }
    }
    let mut files = Vec::with_capacity(winners.len());
    let mut diags = Vec::new();
    for path in winners.into_values() {
        // Checked on the link text: inside a root filesystem /dev/null is
        // usually absent, yet the link still masks.
        if link_chain_end(target, &path)?.as_deref() == Some("/dev/null") {
            continue;
        }
        let meta = match target.metadata(&path, true) {
            Ok(meta) => meta,
            // A link loop: systemd-sysctl and kmod cannot read it either
            // and go on, but what it was meant to say is unknown.
            Err(TargetError::SymlinkLoop { .. }) => {
                diags.push(Diagnostic::incomplete(
                    &path,
                    "symlink loop; the file cannot be read",
                ));
                continue;
            }
            Err(e) => return Err(e),
        };
        match meta {
            None => diags.push(Diagnostic::new(&path, "symlink to a missing file; ignored")),
            Some(meta) if meta.file_type == FileType::File => files.push(path),
            // A live host's /dev/null (reached through a chain of links)
            // masks as well; anything else is no configuration.
            Some(_) => {}
        }
    }
    Ok((files, diags))
}

/// Where a chain of symlinks starting at `path` ends (at most 40 hops, as
/// the kernel allows); `None` if `path` is not a symlink.
fn link_chain_end(target: &Target, path: &str) -> Result<Option<String>, TargetError> {
    let mut end = None;
    let mut current = path.to_string();
    for _ in 0..40 {
        match resolved_link(target, &current)? {
            Some(next) => {
                current = next.clone();
                end = Some(next);
            }
            None => break,
        }
    }
    Ok(end)
}

/// Where a symlink at `path` points, as an absolute path with `.` and `..`
/// applied lexically; `None` if `path` is not a symlink.
fn resolved_link(target: &Target, path: &str) -> Result<Option<String>, TargetError> {
    let Some(link) = target.read_link(path)? else {
        return Ok(None);
    };
    let base = if link.starts_with('/') {
        String::new()
    } else {
        path.rsplit_once('/')
            .map(|(dir, _)| dir)
            .unwrap_or("")
            .to_string()
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(link.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    Ok(Some(format!("/{}", parts.join("/"))))
}

fn collapse_whitespace(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::{link, write};
    use std::fs;

    #[test]
    fn normalize_dotted_key_is_unchanged() {
        assert_eq!(normalize_key("net.ipv4.ip_forward"), "net.ipv4.ip_forward");
        assert_eq!(
            normalize_key("  kernel.randomize_va_space "),
            "kernel.randomize_va_space"
        );
        assert_eq!(
            normalize_key("net.ipv4.conf.eth0/100.forwarding"),
            "net.ipv4.conf.eth0/100.forwarding"
        );
    }

    #[test]
    fn normalize_slashed_key_swaps_separators() {
        assert_eq!(normalize_key("net/ipv4/ip_forward"), "net.ipv4.ip_forward");
        assert_eq!(
            normalize_key("net/ipv4/conf/eth0.100/forwarding"),
            "net.ipv4.conf.eth0/100.forwarding"
        );
        assert_eq!(
            normalize_key("/kernel//dmesg_restrict/"),
            "kernel.dmesg_restrict"
        );
        assert_eq!(normalize_key("kernel"), "kernel");
        assert_eq!(normalize_key(""), "");
    }

    #[test]
    fn parse_assignments_comments_and_crlf() {
        let text = "# comment\n; also comment\n\n net.ipv4.ip_forward = 0\r\nkernel/kptr_restrict=2\n\
                    -net.ipv6.conf.all.disable_ipv6 =1\nnet.ipv4.ip_local_port_range = 32768 \t 60999\n";
        let (settings, diags) = parse_sysctl_conf(text, "/etc/sysctl.d/10-a.conf");
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<(&str, &str, Option<u32>)> = settings
            .iter()
            .map(|s| (s.key.as_str(), s.value.as_str(), s.source.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("net.ipv4.ip_forward", "0", Some(4)),
                ("kernel.kptr_restrict", "2", Some(5)),
                ("net.ipv6.conf.all.disable_ipv6", "1", Some(6)),
                ("net.ipv4.ip_local_port_range", "32768 60999", Some(7)),
            ]
        );
        assert_eq!(settings[0].source.file, "/etc/sysctl.d/10-a.conf");
    }

    #[test]
    fn parse_reports_bad_lines_and_continues() {
        let text = "no equals sign\n= 1\nnet ipv4 = 1\n- = 3\nkernel.x = \nkernel.y = a = b\n";
        let (settings, diags) = parse_sysctl_conf(text, "f.conf");
        let lines: Vec<Option<u32>> = diags.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![Some(1), Some(2), Some(3), Some(4)]);
        assert!(diags.iter().all(|d| d.file == "f.conf"));
        assert_eq!(settings.len(), 2);
        assert_eq!(settings[0].value, "");
        // Only the first '=' separates; the rest belongs to the value.
        assert_eq!(settings[1].value, "a = b");
    }

    #[test]
    fn parse_inline_hash_is_part_of_the_value() {
        let (settings, _) = parse_sysctl_conf("kernel.x = 1 # not a comment\n", "f");
        assert_eq!(settings[0].value, "1 # not a comment");
    }

    #[test]
    fn parse_odd_input_does_not_panic() {
        for text in [
            "", "\r\n", "=", "-", "\u{feff}", "é=ü", "a=\r", "\0=\0", "===",
        ] {
            let _ = parse_sysctl_conf(text, "f");
        }
    }

    #[test]
    fn parse_exclusions_and_globs() {
        let text = "-net.ipv4.conf.all.rp_filter\n  - net/ipv4/conf/eth0.100/rp_filter \n\
                    net.ipv4.conf.*.rp_filter = 2\n-net.ipv4.conf.*.log_martians\n-\n- a b\n";
        let (entries, diags) = parse_sysctl_entries(text, "f");
        assert_eq!(
            entries,
            vec![
                SysctlEntry::Exclude {
                    key: "net.ipv4.conf.all.rp_filter".into(),
                    source: Source::line("f", 1),
                },
                SysctlEntry::Exclude {
                    key: "net.ipv4.conf.eth0/100.rp_filter".into(),
                    source: Source::line("f", 2),
                },
                SysctlEntry::Assign(SysctlSetting {
                    key: "net.ipv4.conf.*.rp_filter".into(),
                    value: "2".into(),
                    source: Source::line("f", 3),
                }),
                SysctlEntry::Exclude {
                    key: "net.ipv4.conf.*.log_martians".into(),
                    source: Source::line("f", 4),
                },
            ]
        );
        let got: Vec<(Option<u32>, &str)> =
            diags.iter().map(|d| (d.line, d.message.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (Some(5), "exclusion without a key"),
                (Some(6), "key `a b` contains whitespace"),
            ]
        );
        // parse_sysctl_conf keeps only the assignments.
        let (settings, _) = parse_sysctl_conf(text, "f");
        assert_eq!(settings.len(), 1);
        assert_eq!(settings[0].key, "net.ipv4.conf.*.rp_filter");
    }

    #[test]
    fn glob_keys_match_component_by_component() {
        let yes = [
            ("net.ipv4.conf.*.rp_filter", "net.ipv4.conf.all.rp_filter"),
            (
                "net.ipv4.conf.*.rp_filter",
                "net.ipv4.conf.default.rp_filter",
            ),
            (
                "net.ipv4.conf.*.rp_filter",
                "net.ipv4.conf.eth0/100.rp_filter",
            ),
            (
                "net.ipv4.conf.eth0/*.rp_filter",
                "net.ipv4.conf.eth0/100.rp_filter",
            ),
            ("net.ipv*.conf.*.*", "net.ipv6.conf.all.forwarding"),
            (
                "net.ipv?.conf.all.forwarding",
                "net.ipv4.conf.all.forwarding",
            ),
            (
                "net.ipv[46].conf.all.forwarding",
                "net.ipv6.conf.all.forwarding",
            ),
            (
                "net.ipv[0-9].conf.all.forwarding",
                "net.ipv4.conf.all.forwarding",
            ),
            (
                "net.ipv[!6].conf.all.forwarding",
                "net.ipv4.conf.all.forwarding",
            ),
            (
                "net.ipv[^6].conf.all.forwarding",
                "net.ipv4.conf.all.forwarding",
            ),
            ("kernel.a[]]", "kernel.a]"),
            ("kernel.a[]b", "kernel.a[]b"),
            ("kernel.a[b", "kernel.a[b"),
            ("kernel.\\*x", "kernel.*x"),
            ("kernel.*a*b*", "kernel.xaxxbx"),
            ("kernel.**", "kernel.x"),
            ("kernel.*", "kernel."),
        ];
        for (pattern, key) in yes {
            assert!(key_matches(pattern, key), "{pattern} should match {key}");
        }
        let no = [
            ("net.ipv4.conf.*.rp_filter", "net.ipv4.rp_filter"),
            ("net.ipv4.conf.*.rp_filter", "net.ipv4.conf.all.rp_filter.x"),
            ("net.ipv4.conf.*", "net.ipv4.conf.all.rp_filter"),
            ("net.*", "net.ipv4.conf.all.rp_filter"),
            ("net.ipv4.conf.*.rp_filter", "net.ipv6.conf.all.rp_filter"),
            (
                "net.ipv[!4].conf.all.forwarding",
                "net.ipv4.conf.all.forwarding",
            ),
            (
                "net.ipv[0-3].conf.all.forwarding",
                "net.ipv4.conf.all.forwarding",
            ),
            ("kernel.\\*x", "kernel.yx"),
            ("kernel.*a*b", "kernel.xaxxbx"),
            ("kernel.?", "kernel."),
            ("kernel.*", "kernel./hidden"),
        ];
        for (pattern, key) in no {
            assert!(
                !key_matches(pattern, key),
                "{pattern} should not match {key}"
            );
        }
        assert!(key_matches("kernel./hidden", "kernel./hidden"));
    }

    /// The configured view of one file's text.
    fn configured(text: &str) -> ConfiguredSysctl {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "/etc/sysctl.d/50-test.conf", text);
        let got = collect_configured(&Target::root(dir.path()).unwrap()).unwrap();
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        got.value
    }

    fn value<'a>(c: &'a ConfiguredSysctl, key: &str) -> Option<(&'a str, u32)> {
        c.get(key)
            .map(|s| (s.value.as_str(), s.source.line.unwrap()))
    }

    #[test]
    fn glob_sets_every_matching_key_without_explicit_assignment() {
        let c = configured("net.ipv4.conf.*.rp_filter = 0\n");
        assert_eq!(value(&c, "net.ipv4.conf.all.rp_filter"), Some(("0", 1)));
        assert_eq!(value(&c, "net/ipv4/conf/default/rp_filter"), Some(("0", 1)));
        assert_eq!(
            value(&c, "net.ipv4.conf.eth0/100.rp_filter"),
            Some(("0", 1))
        );
        assert_eq!(value(&c, "net.ipv6.conf.all.rp_filter"), None);
        // The pattern itself is no key.
        assert_eq!(value(&c, "net.ipv4.conf.*.rp_filter"), None);
        assert_eq!(
            c.get("net.ipv4.conf.all.rp_filter").unwrap().key,
            "net.ipv4.conf.*.rp_filter"
        );
        assert!(c.settings.is_empty());
    }

    #[test]
    fn explicit_assignment_beats_glob_before_or_after_it() {
        let c = configured(
            "net.ipv4.conf.all.rp_filter = 1\nnet.ipv4.conf.*.rp_filter = 0\n\
             net.ipv4.conf.default.rp_filter = 1\n",
        );
        assert_eq!(value(&c, "net.ipv4.conf.all.rp_filter"), Some(("1", 1)));
        assert_eq!(value(&c, "net.ipv4.conf.default.rp_filter"), Some(("1", 3)));
        assert_eq!(value(&c, "net.ipv4.conf.eth0.rp_filter"), Some(("0", 2)));
    }

    #[test]
    fn among_globs_the_last_applied_wins() {
        let c = configured(
            "net.ipv4.conf.*.rp_filter = 1\nnet.ipv4.conf.e*.rp_filter = 2\n\
             net.ipv4.conf.*.log_martians = 1\nnet.ipv4.conf.a*.log_martians = 0\n\
             net.ipv4.conf.*.log_martians = 1\n\
             net.ipv4.conf.*.forwarding = 1\nnet.ipv4.conf.e*.forwarding = 0\n\
             net.ipv4.conf.*.forwarding = 2\n",
        );
        assert_eq!(value(&c, "net.ipv4.conf.all.rp_filter"), Some(("1", 1)));
        assert_eq!(value(&c, "net.ipv4.conf.eth0.rp_filter"), Some(("2", 2)));
        // Repeating a pattern with the same value keeps its place...
        assert_eq!(value(&c, "net.ipv4.conf.all.log_martians"), Some(("0", 4)));
        assert_eq!(value(&c, "net.ipv4.conf.eth0.log_martians"), Some(("1", 3)));
        // ...a new value moves it last.
        assert_eq!(value(&c, "net.ipv4.conf.eth0.forwarding"), Some(("2", 8)));
    }

    #[test]
    fn exclusions_keep_globs_off_a_key() {
        // systemd's own /usr/lib/sysctl.d/50-default.conf.
        let c = configured(
            "net.ipv4.conf.default.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\n\
             -net.ipv4.conf.all.rp_filter\n",
        );
        assert_eq!(value(&c, "net.ipv4.conf.default.rp_filter"), Some(("2", 1)));
        assert_eq!(value(&c, "net.ipv4.conf.eth0.rp_filter"), Some(("2", 2)));
        assert_eq!(value(&c, "net.ipv4.conf.all.rp_filter"), None);
        assert_eq!(
            c.excluded.get("net.ipv4.conf.all.rp_filter"),
            Some(&Source::line("/etc/sysctl.d/50-test.conf", 3))
        );
        // An exclusion before the glob works the same.
        let c = configured("-net/ipv4/conf/all/rp_filter\nnet.ipv4.conf.*.rp_filter = 0\n");
        assert_eq!(value(&c, "net.ipv4.conf.all.rp_filter"), None);
        assert_eq!(value(&c, "net.ipv4.conf.lo.rp_filter"), Some(("0", 2)));
    }

    #[test]
    fn exclusion_cancels_an_earlier_assignment_and_a_later_one_restores_it() {
        let c = configured(
            "kernel.a = 1\n-kernel.a\nkernel.* = 9\n\
             -kernel.b\nkernel.b = 2\n\
             kernel.c* = 3\n-kernel.c*\n",
        );
        assert_eq!(value(&c, "kernel.a"), None);
        assert!(!c.settings.contains_key("kernel.a"));
        assert_eq!(value(&c, "kernel.b"), Some(("2", 5)));
        assert!(!c.excluded.contains_key("kernel.b"));
        // `-pattern` drops the earlier assignment of that same pattern only.
        assert_eq!(value(&c, "kernel.cc"), Some(("9", 3)));
        assert_eq!(c.globs.len(), 1);
    }

    #[test]
    fn globs_apply_across_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            "/usr/lib/sysctl.d/50-default.conf",
            "net.ipv4.conf.default.rp_filter = 2\nnet.ipv4.conf.*.rp_filter = 2\n\
             -net.ipv4.conf.all.rp_filter\n",
        );
        write(
            r,
            "/etc/sysctl.d/99-lab.conf",
            "net.ipv4.conf.*.rp_filter = 0\n",
        );
        write(r, "/etc/sysctl.conf", "net.ipv4.conf.all.rp_filter = 1\n");
        let got = collect_configured(&Target::root(r).unwrap()).unwrap();
        let c = &got.value;
        assert_eq!(value(c, "net.ipv4.conf.all.rp_filter"), Some(("1", 1)));
        assert_eq!(value(c, "net.ipv4.conf.default.rp_filter"), Some(("2", 1)));
        let eth0 = c.get("net.ipv4.conf.eth0.rp_filter").unwrap();
        assert_eq!(eth0.value, "0");
        assert_eq!(eth0.source, Source::line("/etc/sysctl.d/99-lab.conf", 1));
    }

    #[test]
    fn configured_precedence_masking_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            "/usr/lib/sysctl.d/10-default.conf",
            "kernel.a = usr\nkernel.b = usr\n",
        );
        write(r, "/etc/sysctl.d/10-default.conf", "kernel.a = etc\n");
        write(r, "/usr/lib/sysctl.d/50-masked.conf", "kernel.c = masked\n");
        link(r, "/etc/sysctl.d/50-masked.conf", "/dev/null");
        write(r, "/run/sysctl.d/20-run.conf", "kernel.d = run\n");
        write(
            r,
            "/lib/sysctl.d/05-lib.conf",
            "kernel.d = lib\nkernel.e = lib\n",
        );
        write(
            r,
            "/usr/local/lib/sysctl.d/30-local.conf",
            "kernel.e = local\n",
        );
        write(r, "/etc/sysctl.d/.hidden.conf", "kernel.h = hidden\n");
        write(r, "/etc/sysctl.d/notes.txt", "kernel.t = txt\n");
        fs::create_dir_all(r.join("etc/sysctl.d/dir.conf")).unwrap();
        write(r, "/etc/sysctl.conf", "kernel.e = sysctl.conf\n");
        link(r, "/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf");
        link(r, "/etc/sysctl.d/60-dangling.conf", "/nowhere.conf");

        let t = Target::root(r).unwrap();
        let got = collect_configured(&t).unwrap();
        assert_eq!(
            got.value.files,
            vec![
                "/lib/sysctl.d/05-lib.conf",
                "/etc/sysctl.d/10-default.conf",
                "/run/sysctl.d/20-run.conf",
                "/usr/local/lib/sysctl.d/30-local.conf",
                "/etc/sysctl.conf",
            ]
        );
        let value = |k: &str| got.value.settings.get(k).map(|s| s.value.as_str());
        assert_eq!(value("kernel.a"), Some("etc"));
        assert_eq!(
            value("kernel.b"),
            None,
            "the /usr/lib file is overridden whole"
        );
        assert_eq!(value("kernel.c"), None);
        assert_eq!(value("kernel.d"), Some("run"));
        assert_eq!(value("kernel.e"), Some("sysctl.conf"));
        assert_eq!(value("kernel.h"), None);
        assert_eq!(value("kernel.t"), None);
        assert_eq!(
            got.value.settings["kernel.e"].source,
            Source::line("/etc/sysctl.conf", 1)
        );
        assert_eq!(got.diagnostics.len(), 1, "{:?}", got.diagnostics);
        assert_eq!(got.diagnostics[0].file, "/etc/sysctl.d/60-dangling.conf");
    }

    #[test]
    fn sysctl_conf_is_read_where_its_link_sorts() {
        // Found by tests/oracle_sysctl.rs: systemd-sysctl reads
        // sysctl.conf through 99-sysctl.conf, so 99-zz.conf comes after it;
        // a chain of links ending at /dev/null masks; a loop is a gap.
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "/etc/sysctl.conf", "kernel.a = conf\n");
        link(
            r,
            "/usr/lib/sysctl.d/99-sysctl.conf",
            "../../../etc/sysctl.conf",
        );
        link(
            r,
            "/etc/sysctl.d/50-chain.conf",
            "../../usr/lib/sysctl.d/99-sysctl.conf",
        );
        write(r, "/etc/sysctl.d/99-zz.conf", "kernel.a = zz\n");
        write(r, "/usr/lib/sysctl.d/60-masked.conf", "kernel.b = 1\n");
        link(
            r,
            "/run/sysctl.d/60-masked.conf",
            "../../run/sysctl.d/null.conf",
        );
        link(r, "/run/sysctl.d/null.conf", "/dev/null");
        link(r, "/etc/sysctl.d/70-loop.conf", "70-loop.conf");
        let got = collect_configured(&Target::root(r).unwrap()).unwrap();
        assert_eq!(
            got.value.files,
            vec![
                "/etc/sysctl.conf",
                "/etc/sysctl.conf",
                "/etc/sysctl.d/99-zz.conf"
            ]
        );
        assert_eq!(got.value.settings["kernel.a"].value, "zz");
        assert!(!got.value.settings.contains_key("kernel.b"));
        assert_eq!(got.diagnostics.len(), 1, "{:?}", got.diagnostics);
        assert!(got.diagnostics[0].incomplete);
        assert_eq!(got.diagnostics[0].file, "/etc/sysctl.d/70-loop.conf");
    }

    #[test]
    fn configured_empty_tree() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::root(dir.path()).unwrap();
        let got = collect_configured(&t).unwrap();
        assert!(got.value.settings.is_empty());
        assert!(got.value.files.is_empty());
        assert!(got.diagnostics.is_empty());
    }

    #[test]
    fn configured_truncated_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "/etc/sysctl.conf",
            "kernel.a = 1\nkernel.b = 2\n",
        );
        let t = Target::root(dir.path()).unwrap().with_read_cap(14);
        let got = collect_configured(&t).unwrap();
        assert_eq!(got.value.settings.len(), 1);
        assert_eq!(got.diagnostics.len(), 1);
        assert!(got.diagnostics[0].message.contains("read limit"));
    }

    #[test]
    fn runtime_needs_a_live_target() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::root(dir.path()).unwrap();
        assert_eq!(
            read_runtime(&t, "net.ipv4.ip_forward"),
            Err(FactError::RuntimeOnly {
                what: "runtime sysctl"
            })
        );
    }

    #[test]
    fn runtime_reads_proc_sys() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "/proc/sys/net/ipv4/ip_forward", "1\n");
        write(
            r,
            "/proc/sys/net/ipv4/ip_local_port_range",
            "32768\t60999\n",
        );
        write(r, "/proc/sys/net/ipv4/conf/eth0.100/forwarding", "0\n");
        let t = Target::root(r).unwrap();
        let s = read_proc_sys(&t, "net.ipv4.ip_forward").unwrap().unwrap();
        assert_eq!(s.key, "net.ipv4.ip_forward");
        assert_eq!(s.value, "1");
        assert_eq!(s.source, Source::file("/proc/sys/net/ipv4/ip_forward"));
        let s = read_proc_sys(&t, "net/ipv4/ip_local_port_range")
            .unwrap()
            .unwrap();
        assert_eq!(s.key, "net.ipv4.ip_local_port_range");
        assert_eq!(s.value, "32768 60999");
        let s = read_proc_sys(&t, "net.ipv4.conf.eth0/100.forwarding")
            .unwrap()
            .unwrap();
        assert_eq!(s.value, "0");
        assert_eq!(read_proc_sys(&t, "net.ipv4.nope").unwrap(), None);
        assert_eq!(
            read_proc_sys(&t, "net.ipv4").unwrap(),
            None,
            "a directory is no key"
        );
    }

    #[test]
    fn runtime_rejects_keys_that_escape() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "/proc/secret", "x\n");
        write(dir.path(), "/proc/sys/kernel/x", "1\n");
        let t = Target::root(dir.path()).unwrap();
        for key in [
            "",
            "..secret",
            "kernel..x",
            ".kernel.x",
            "kernel.x.",
            "//.secret",
            "kernel.*",
            "a./.b",
        ] {
            assert_eq!(read_proc_sys(&t, key).unwrap(), None, "{key}");
        }
        assert_eq!(proc_sys_path("a.//.b"), None);
    }
}
