//! dpkg's `status` database, read as dpkg itself reads it
//! (lib/dpkg/parse.c: `parse_stanza`, `pkg_parse_verify`,
//! `parse_find_set_slot`; lib/dpkg/parsehelp.c: `parseversion`).
//!
//! What dpkg refuses (a malformed line, a duplicate field, two
//! non-coinstallable instances of one package) makes every dpkg command
//! fail on that host; here it becomes a diagnostic at its line, and the
//! rest is still read. An entry that cannot be understood at all (no
//! `Package`, a `Status` that is not three known words) is a gap: a rule
//! that needs a package to be absent cannot pass over it.

use crate::diag::Diagnostic;
use std::collections::HashMap;

/// dpkg's package states (dpkg(1), "Package states"), in its order.
pub const STATES: [&str; 8] = [
    "not-installed",
    "config-files",
    "half-installed",
    "unpacked",
    "half-configured",
    "triggers-awaited",
    "triggers-pending",
    "installed",
];
const WANTS: [&str; 5] = ["unknown", "install", "hold", "deinstall", "purge"];
const ERROR_FLAGS: [&str; 2] = ["ok", "reinstreq"];

/// Whether a package in `state` has files on disk. Only `not-installed`
/// (purged, or never installed) and `config-files` (removed, its
/// configuration files kept) leave none of its programs behind; every
/// other state, even one an upgrade or configuration left unfinished, has
/// them unpacked.
pub fn has_files(state: &str) -> bool {
    !matches!(state, "not-installed" | "config-files")
}

/// One package instance as the database records it after parsing: the
/// last entry for a (name, architecture) slot wins.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Lower case: dpkg's package names are case-insensitive.
    pub name: String,
    /// `Architecture`, empty when missing.
    pub arch: String,
    /// The `Version` as dpkg prints it (`${Version}`): a zero epoch is
    /// dropped and a nonzero one written without leading zeros; empty
    /// when missing.
    pub version: String,
    /// One of [`STATES`].
    pub state: &'static str,
    /// First line of the entry.
    pub line: u32,
}

/// Parses a dpkg `status` file. Every entry is returned, whatever its
/// state, in the order of its slot's first appearance.
pub fn parse_status(text: &str, file: &str) -> (Vec<Entry>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    // (name, arch) -> index in `entries`; name -> its instances' indexes.
    let mut slots: HashMap<(String, String), usize> = HashMap::new();
    let mut sets: HashMap<String, Vec<(usize, bool)>> = HashMap::new();
    for stanza in stanzas(text, file, &mut diags) {
        let Some(entry) = verify(&stanza, file, &mut diags) else {
            continue;
        };
        let multiarch_same = stanza
            .field("Multi-Arch")
            .is_some_and(|m| m.eq_ignore_ascii_case("same"));
        // parse_find_set_slot: among the package's instances that are not
        // `not-installed` (this one included, the one it replaces too),
        // at most one that is not `Multi-Arch: same`, and never a mix.
        let set = sets.entry(entry.name.clone()).or_default();
        if entry.state != "not-installed" {
            let (mut single, mut multi) = (0, 0);
            let others = set
                .iter()
                .filter(|(i, _)| entries[*i].state != "not-installed")
                .map(|(_, same)| *same);
            for same in std::iter::once(multiarch_same).chain(others) {
                if same {
                    multi += 1;
                } else {
                    single += 1;
                }
            }
            if single > 1 || (single > 0 && multi > 0) {
                diags.push(
                    Diagnostic::new(
                        file,
                        format!(
                            "package {}: several instances that cannot be installed together; \
                             dpkg refuses this database (the last entry is used)",
                            entry.name
                        ),
                    )
                    .at(entry.line, None),
                );
            }
        }
        match slots.get(&(entry.name.clone(), entry.arch.clone())) {
            Some(&i) => {
                if let Some(slot) = set.iter_mut().find(|(j, _)| *j == i) {
                    slot.1 = multiarch_same;
                }
                entries[i] = entry;
            }
            None => {
                slots.insert((entry.name.clone(), entry.arch.clone()), entries.len());
                set.push((entries.len(), multiarch_same));
                entries.push(entry);
            }
        }
    }
    diags.sort_by_key(|d| d.line);
    (entries, crate::diag::capped(diags))
}

/// `pkg_parse_verify` and the field parsers for the fields read here.
fn verify(stanza: &Stanza, file: &str, diags: &mut Vec<Diagnostic>) -> Option<Entry> {
    let at = |message: String| Diagnostic::new(file, message).at(stanza.line, None);
    let gap = |message: String| Diagnostic::incomplete(file, message).at(stanza.line, None);
    let Some(name) = stanza.field("Package").filter(|n| !n.is_empty()) else {
        diags.push(gap("entry has no Package field; skipped".into()));
        return None;
    };
    if let Some(why) = illegal_name(name) {
        diags.push(at(format!("package name {name:?} {why}; dpkg refuses it")));
    }
    let name = name.to_ascii_lowercase();
    // A missing Status is dpkg's blank package: `unknown ok not-installed`.
    let status = stanza.field("Status").unwrap_or("unknown ok not-installed");
    let words: Vec<&str> = status.split_ascii_whitespace().collect();
    let state = match words.as_slice() {
        [want, flag, state]
            if WANTS.contains(want) && ERROR_FLAGS.contains(flag) && STATES.contains(state) =>
        {
            STATES.iter().copied().find(|s| s == state)?
        }
        _ => {
            diags.push(gap(format!(
                "package {name}: Status {status:?} is not \"want flag state\" with known words; \
                 skipped"
            )));
            return None;
        }
    };
    let version = match stanza.field("Version") {
        Some(v) => match parse_version(v) {
            Ok(v) => v,
            Err(why) => {
                diags.push(at(format!(
                    "package {name}: Version {v:?}: {why}; dpkg refuses it"
                )));
                v.trim().to_string()
            }
        },
        None => String::new(),
    };
    if version.is_empty() && !matches!(state, "not-installed" | "half-installed") {
        diags.push(at(format!(
            "package {name} is {state} but has no Version; dpkg refuses it"
        )));
    }
    let arch = stanza.field("Architecture").unwrap_or("").to_string();
    let multiarch_same = stanza
        .field("Multi-Arch")
        .is_some_and(|m| m.eq_ignore_ascii_case("same"));
    if multiarch_same && (arch.is_empty() || arch == "all") {
        diags.push(at(format!(
            "package {name}: Multi-Arch: same needs a specific Architecture; dpkg refuses it"
        )));
    }
    let index = STATES.iter().position(|s| *s == state).unwrap_or(0);
    let awaited = stanza
        .field("Triggers-Awaited")
        .is_some_and(|v| !v.is_empty());
    let pending = stanza
        .field("Triggers-Pending")
        .is_some_and(|v| !v.is_empty());
    // Triggers-Awaited only between config-files and triggers-pending,
    // Triggers-Pending only in the two trigger states; each trigger state
    // needs its field.
    let trigger_problem = if awaited && (index <= 1 || index >= 6) {
        Some("has awaited triggers")
    } else if state == "triggers-awaited" && !awaited {
        Some("awaits no trigger")
    } else if pending && !matches!(state, "triggers-pending" | "triggers-awaited") {
        Some("has pending triggers")
    } else if state == "triggers-pending" && !pending {
        Some("has no pending trigger")
    } else {
        None
    };
    if let Some(problem) = trigger_problem {
        diags.push(at(format!(
            "package {name} is {state} but {problem}; dpkg refuses it"
        )));
    }
    if stanza.field("Config-Version").is_some() && matches!(state, "installed" | "not-installed") {
        diags.push(at(format!(
            "package {name} is {state} but has a Config-Version; dpkg refuses it"
        )));
    }
    Some(Entry {
        name,
        arch,
        version,
        state,
        line: stanza.line,
    })
}

/// Why dpkg's `pkg_name_is_illegal` rejects `name`, if it does.
fn illegal_name(name: &str) -> Option<&'static str> {
    let first = name.bytes().next()?;
    if !first.is_ascii_alphanumeric() {
        return Some("must start with an alphanumeric character");
    }
    if name
        .bytes()
        .any(|c| !c.is_ascii_alphanumeric() && !b"-+._".contains(&c))
    {
        return Some("has a character other than letters, digits and -+._");
    }
    None
}

/// dpkg's `parseversion`, returning the version as dpkg prints it.
pub fn parse_version(text: &str) -> Result<String, &'static str> {
    let blank = |c: char| c == ' ' || c == '\t';
    let text = text.trim_start_matches(blank);
    if text.is_empty() {
        return Err("version string is empty");
    }
    let end = text.find(blank).unwrap_or(text.len());
    if !text[end..].trim_start_matches(blank).is_empty() {
        return Err("version string has embedded spaces");
    }
    let text = &text[..end];
    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) => {
            // strtol: optional sign, then digits, all of it up to the colon.
            let digits = epoch.strip_prefix('+').unwrap_or(epoch);
            if epoch.is_empty() {
                return Err("epoch in version is empty");
            }
            if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return Err(if epoch.starts_with('-') && epoch.len() > 1 {
                    "epoch in version is negative"
                } else {
                    "epoch in version is not number"
                });
            }
            let digits = digits.trim_start_matches('0');
            // A zero epoch is not printed.
            if !digits.is_empty()
                && (digits.len() > 10
                    || digits.parse::<u64>().unwrap_or(u64::MAX) > i32::MAX as u64)
            {
                return Err("epoch in version is too big");
            }
            if rest.is_empty() {
                return Err("nothing after colon in version number");
            }
            (digits, rest)
        }
        None => ("", text),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => return Err("revision number is empty"),
        Some((upstream, revision)) => (upstream, revision),
        None => (rest, ""),
    };
    let Some(first) = upstream.bytes().next() else {
        return Err("version number is empty");
    };
    if !first.is_ascii_digit() {
        return Err("version number does not start with digit");
    }
    if upstream
        .bytes()
        .any(|c| !c.is_ascii_alphanumeric() && !b".-+~:".contains(&c))
    {
        return Err("invalid character in version number");
    }
    if revision
        .bytes()
        .any(|c| !c.is_ascii_alphanumeric() && !b".+~".contains(&c))
    {
        return Err("invalid character in revision number");
    }
    // dpkg's `vdew_nonambig`: a zero epoch is printed only when the rest
    // has a colon, which would otherwise read as one.
    Ok(if epoch.is_empty() && rest.contains(':') {
        format!("0:{rest}")
    } else if epoch.is_empty() {
        rest.to_string()
    } else {
        format!("{epoch}:{rest}")
    })
}

/// One deb822 paragraph: its first line and its fields in order.
pub(crate) struct Stanza {
    pub line: u32,
    pub fields: Vec<(String, String)>,
}

impl Stanza {
    /// Field names are case-insensitive.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// C's `isspace` in the C locale, which dpkg's parser uses: unlike
/// `char::is_ascii_whitespace` it includes the vertical tab.
fn c_isspace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// Splits deb822 text into paragraphs as `parse_stanza` does: a field
/// name runs to white space or `:`, a line starting with white space
/// continues the previous value, and an empty line ends the paragraph.
/// Lines dpkg refuses are diagnosed and skipped.
fn stanzas(text: &str, file: &str, diags: &mut Vec<Diagnostic>) -> Vec<Stanza> {
    let mut out = Vec::new();
    let mut current: Option<Stanza> = None;
    let mut seen: Vec<String> = Vec::new();
    let refuse = |line: u32, message: String| {
        Diagnostic::new(file, format!("{message}; dpkg refuses this database")).at(line, None)
    };
    let body = text.strip_suffix('\n');
    if body.is_none() && !text.is_empty() {
        let last = u32::try_from(text.split('\n').count()).unwrap_or(u32::MAX);
        diags.push(refuse(last, "the last line has no final newline".into()));
    }
    for (idx, line) in body.unwrap_or(text).split('\n').enumerate() {
        let lineno = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        if line.is_empty() {
            out.extend(current.take());
            seen.clear();
            continue;
        }
        // A line of only white space is not a paragraph break for dpkg:
        // within an entry it continues the value (adding nothing), before
        // one it is a field with no name, which dpkg refuses.
        if line.starts_with(c_isspace) {
            match current.as_mut().and_then(|s| s.fields.last_mut()) {
                Some((_, value)) if !line.chars().all(c_isspace) => {
                    value.push('\n');
                    value.push_str(line.trim_matches(c_isspace));
                }
                Some(_) => {}
                None => diags.push(refuse(lineno, "continuation line without a field".into())),
            }
            continue;
        }
        let name_end = line
            .find(|c: char| c_isspace(c) || c == ':')
            .unwrap_or(line.len());
        let (name, rest) = line.split_at(name_end);
        let Some(value) = rest
            .trim_start_matches(|c: char| c_isspace(c))
            .strip_prefix(':')
        else {
            diags.push(refuse(
                lineno,
                format!("expected Field: value, found {line:?}"),
            ));
            continue;
        };
        if name.is_empty() || name.starts_with('-') {
            diags.push(refuse(lineno, format!("bad field name {name:?}")));
            continue;
        }
        let key = name.to_ascii_lowercase();
        if seen.contains(&key) {
            diags.push(refuse(lineno, format!("second {name} field in one entry")));
            continue;
        }
        if name.len() < 2 {
            diags.push(refuse(lineno, format!("field name {name:?} is too short")));
        }
        seen.push(key);
        current
            .get_or_insert_with(|| Stanza {
                line: lineno,
                fields: Vec::new(),
            })
            .fields
            .push((name.to_string(), value.trim_matches(c_isspace).to_string()));
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(text: &str) -> Vec<(String, String, &'static str, String)> {
        let (entries, _) = parse_status(text, "s");
        entries
            .into_iter()
            .map(|e| (e.name, e.arch, e.state, e.version))
            .collect()
    }

    #[test]
    fn every_state_is_kept() {
        let mut text = String::new();
        for (i, state) in STATES.iter().enumerate() {
            let triggers = match *state {
                "triggers-pending" => "Triggers-Pending: ldconfig\n",
                "triggers-awaited" => "Triggers-Awaited: libc-bin\n",
                _ => "",
            };
            text.push_str(&format!(
                "Package: p{i}\nStatus: install ok {state}\nArchitecture: amd64\nVersion: 1.{i}\n{triggers}\n"
            ));
        }
        let (got, diags) = parse_status(&text, "s");
        assert!(diags.is_empty(), "{diags:?}");
        let states: Vec<_> = got.iter().map(|e| e.state).collect();
        assert_eq!(states, STATES);
        let present: Vec<_> = STATES.iter().filter(|s| has_files(s)).collect();
        assert_eq!(present.len(), 6);
    }

    #[test]
    fn versions_as_dpkg_prints_them() {
        for (raw, printed) in [
            ("1.0", "1.0"),
            ("0:1.0", "1.0"),
            ("00:1.0-0", "1.0-0"),
            ("01:2~rc1-1", "1:2~rc1-1"),
            (" 1:9.2p1-2+deb12u2\t", "1:9.2p1-2+deb12u2"),
            ("1:1.0-1-2", "1:1.0-1-2"),
            ("00:1:2-1", "0:1:2-1"),
            ("0:1:2", "0:1:2"),
        ] {
            assert_eq!(parse_version(raw), Ok(printed.to_string()), "{raw}");
        }
        for bad in [
            "",
            "1.0 2",
            ":1.0",
            "a:1.0",
            "1:",
            "1.0-",
            "-1",
            "a1.0",
            "1.0_1",
            "1.0-1_1",
            "99999999999:1",
            "2.0:1",
        ] {
            assert!(parse_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn later_entry_for_a_slot_wins() {
        let text = "\
Package: foo
Status: install ok not-installed
Architecture: amd64

Package: FOO
Status: install ok installed
Architecture: amd64
Version: 2

Package: libz
Multi-Arch: same
Status: install ok installed
Architecture: i386
Version: 1

Package: libz
Multi-Arch: same
Status: install ok unpacked
Architecture: i386
Version: 1.1
";
        let (got, diags) = parse_status(text, "s");
        assert_eq!(
            got.iter()
                .map(|e| (e.name.as_str(), e.state, e.line))
                .collect::<Vec<_>>(),
            vec![("foo", "installed", 5), ("libz", "unpacked", 16)]
        );
        // FOO is an illegal name only for its case? dpkg accepts it.
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn non_coinstallable_instances_are_diagnosed() {
        let text = "\
Package: foo
Status: install ok installed
Architecture: amd64
Version: 1

Package: foo
Status: install ok installed
Architecture: amd64
Version: 2
";
        let (got, diags) = parse_status(text, "s");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].version, "2");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(6));
        assert!(!diags[0].incomplete);
    }

    #[test]
    fn lines_dpkg_refuses() {
        let text = "Package: a\n \t\nStatus: install ok installed\n# comment\nVersion: 1\nversion: 2\nX: 1\n-Y: 2\nZ";
        let (got, diags) = parse_status(text, "s");
        assert_eq!(
            entries(text),
            vec![("a".into(), "".into(), "installed", "1".into())]
        );
        assert_eq!(got.len(), 1);
        let lines: Vec<_> = diags.iter().map(|d| d.line.unwrap()).collect();
        // Line 2 (white space only) continues the Package value, as in dpkg.
        assert_eq!(lines, vec![4, 6, 7, 8, 9, 9], "{diags:?}");
    }

    #[test]
    fn white_space_line_before_an_entry_is_refused() {
        let (got, diags) = parse_status("Package: a\nVersion: 1\n\n\r\nPackage: b\n", "s");
        assert_eq!(got.len(), 2);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(4));
    }

    #[test]
    fn unreadable_entries_are_gaps() {
        let text = "Status: install ok installed\nVersion: 1\n\nPackage: b\nStatus: install ok broken\n\nPackage: c\nStatus: install ok\n";
        let (got, diags) = parse_status(text, "s");
        assert!(got.is_empty());
        assert_eq!(diags.len(), 3);
        assert!(diags.iter().all(|d| d.incomplete));
    }

    #[test]
    fn missing_status_is_not_installed() {
        assert_eq!(
            entries("Package: a\nVersion: 1\n"),
            vec![("a".into(), "".into(), "not-installed", "1".into())]
        );
    }

    #[test]
    fn continuation_lines_and_odd_spacing() {
        let text = "Description: x\n y\n .\n z\nPackage : a\nStatus:install  ok\tinstalled\nVersion:\t1.0 \nArchitecture: all\n";
        let (got, diags) = parse_status(text, "s");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(got[0].name, "a");
        assert_eq!(got[0].state, "installed");
        assert_eq!(got[0].version, "1.0");
        assert_eq!(got[0].arch, "all");
    }
}
