//! `augenrules`, the script `auditd.service` runs as `augenrules --load`
//! on Debian and RHEL (audit 3.0.9's, /usr/sbin/augenrules): it lists
//! /etc/audit/rules.d with `ls -1v`, keeps the names ending in `.rules`,
//! `cat`s those files in that order, and an awk program drops empty and
//! comment lines, keeps only the last `-e`, bare `-D`, `-f` and `-b` line
//! (written first, second, third and last), and writes the rest in order
//! to /etc/audit/audit.rules, which `auditctl -R` then loads.
//!
//! The awk program writes `\s` in its patterns, which gawk reads as white
//! space and mawk (Debian's default awk) as the letter `s`: on Debian an
//! indented comment is not dropped, and an indented `-e 2` stays where it
//! is. Which awk runs is that of the scanned system.

use crate::facts::Source;
use std::cmp::Ordering;

pub const RULES_DIR: &str = "/etc/audit/rules.d";
pub const RULES_FILE: &str = "/etc/audit/audit.rules";

/// The awk implementation augenrules runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awk {
    /// mawk: `\s` is the letter `s`.
    Mawk,
    /// gawk (and awks whose regular expressions know `\s`): white space.
    Gawk,
}

/// What the `for rules in $(ls -1v DIR | grep "\.rules$")` loop reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Names to `cat` from the rules directory, in order (a name with
    /// white space is cut into words, each read as a name of its own).
    pub names: Vec<String>,
    /// Names whose words the shell would expand as globs, or that hold a
    /// newline: what augenrules reads for them depends on more than the
    /// directory.
    pub unknown: Vec<String>,
}

/// The rules files augenrules reads from a directory listing (all names,
/// hidden ones included).
pub fn listing(entries: &[String]) -> Listing {
    let mut names: Vec<&String> = entries
        .iter()
        .filter(|n| !n.starts_with('.') && n.ends_with(".rules"))
        .collect();
    names.sort_by(|a, b| filevercmp(a, b).then_with(|| a.as_bytes().cmp(b.as_bytes())));
    let mut out = Listing::default();
    for name in names {
        if name.contains('\n') || name.contains(['*', '?', '[']) {
            out.unknown.push(name.clone());
            continue;
        }
        out.names.extend(
            name.split([' ', '\t'])
                .filter(|w| !w.is_empty())
                .map(str::to_string),
        );
    }
    out
}

/// GNU `filevercmp` (gnulib, used by `ls -v`): names compare as Debian
/// versions after their suffixes (`.rules`, `.tar.gz`) are set aside;
/// `.` and `..` and hidden names first.
pub fn filevercmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    match (a[0] == b'.', b[0] == b'.') {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (true, true) => {
            for special in [&b"."[..], &b".."[..]] {
                match (a == special, b == special) {
                    (true, true) => return Ordering::Equal,
                    (true, false) => return Ordering::Less,
                    (false, true) => return Ordering::Greater,
                    _ => {}
                }
            }
        }
        _ => {}
    }
    let (ap, bp) = (prefix_len(a), prefix_len(b));
    let first = verrevcmp(&a[..ap], &b[..bp]);
    if first != Ordering::Equal || (ap == a.len() && bp == b.len()) {
        first
    } else {
        verrevcmp(a, b)
    }
}

/// The length of `s` without its longest suffix matching
/// `(\.[A-Za-z~][A-Za-z0-9~]*)*$`.
fn prefix_len(s: &[u8]) -> usize {
    let n = s.len();
    let mut prefix = 0;
    let mut i = 0;
    while i < n {
        i += 1;
        prefix = i;
        while i + 1 < n && s[i] == b'.' && (s[i + 1].is_ascii_alphabetic() || s[i + 1] == b'~') {
            i += 2;
            while i < n && (s[i].is_ascii_alphanumeric() || s[i] == b'~') {
                i += 1;
            }
        }
    }
    prefix
}

fn order(s: &[u8], pos: usize) -> i32 {
    match s.get(pos) {
        None => -1,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(*c),
        Some(b'~') => -2,
        Some(c) => i32::from(*c) + 256,
    }
}

/// dpkg's version comparison, as gnulib's `verrevcmp` writes it.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0i32;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ac, bc) = (order(a, i), order(b, j));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && j < b.len() && a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = i32::from(a[i]) - i32::from(b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

/// A line of the file augenrules writes, with the line of the rules file
/// it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedLine {
    pub text: String,
    pub source: Source,
}

/// How the awk program treats a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Dropped,
    Enable,
    DeleteAll,
    Failure,
    Backlog,
    Rule,
}

fn classify(line: &str, awk: Awk) -> Class {
    if line.is_empty() {
        return Class::Dropped;
    }
    let blank = |c: char| match awk {
        Awk::Mawk => c == 's',
        Awk::Gawk => matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}'),
    };
    let rest = line.trim_start_matches(blank);
    if rest.starts_with('#') {
        Class::Dropped
    } else if rest.starts_with("-e") {
        Class::Enable
    } else if rest
        .strip_prefix("-D")
        .is_some_and(|r| r.chars().all(blank))
    {
        Class::DeleteAll
    } else if rest.starts_with("-f") {
        Class::Failure
    } else if rest.starts_with("-b") {
        Class::Backlog
    } else {
        Class::Rule
    }
}

/// The lines augenrules writes from the contents of the rules files (in
/// the order read), as `auditctl -R` will read them. Files are joined as
/// `cat` joins them: a file that does not end with a newline runs into the
/// next one.
pub fn merge(files: &[(String, String)], awk: Awk) -> Vec<MergedLine> {
    let mut records: Vec<MergedLine> = Vec::new();
    let mut open: Option<MergedLine> = None;
    for (path, text) in files {
        let mut lineno: u32 = 0;
        let mut rest = text.as_str();
        while !rest.is_empty() {
            lineno = lineno.saturating_add(1);
            let (piece, ended, next) = match rest.find('\n') {
                Some(at) => (&rest[..at], true, &rest[at + 1..]),
                None => (rest, false, ""),
            };
            match open.as_mut() {
                Some(line) => line.text.push_str(piece),
                None => {
                    open = Some(MergedLine {
                        text: piece.to_string(),
                        source: Source::line(path.clone(), lineno),
                    })
                }
            }
            if ended {
                records.extend(open.take());
            }
            rest = next;
        }
    }
    records.extend(open.take());

    let header = |source: &Source| MergedLine {
        text: String::new(),
        source: source.clone(),
    };
    let mut slots: [Option<MergedLine>; 4] = [None, None, None, None];
    let mut rules = Vec::new();
    for record in records {
        match classify(&record.text, awk) {
            Class::Dropped => {}
            Class::DeleteAll => slots[0] = Some(record),
            Class::Backlog => slots[1] = Some(record),
            Class::Failure => slots[2] = Some(record),
            Class::Enable => slots[3] = Some(record),
            Class::Rule => rules.push(record),
        }
    }
    let [delete, backlog, failure, enable] = slots;
    let none = Source::file(RULES_DIR);
    let mut out = Vec::with_capacity(rules.len() + 4);
    for slot in [delete, backlog, failure] {
        out.push(slot.unwrap_or_else(|| header(&none)));
    }
    out.extend(rules);
    out.push(enable.unwrap_or_else(|| header(&none)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[&str]) -> Vec<String> {
        listing(&entries.iter().map(|s| s.to_string()).collect::<Vec<_>>()).names
    }

    #[test]
    fn version_order_and_suffix() {
        assert_eq!(
            names(&[
                "99-finalize.rules",
                "10-base.rules",
                "9-early.rules",
                "audit.rules",
                ".hidden.rules",
                "50-x.rules.bak",
                "50-x.rule",
                "README",
                "100-late.rules",
                "010-zero.rules",
            ]),
            // 10 and 010 are the same number: what follows decides.
            [
                "9-early.rules",
                "10-base.rules",
                "010-zero.rules",
                "99-finalize.rules",
                "100-late.rules",
                "audit.rules"
            ]
        );
    }

    #[test]
    fn names_with_blanks_are_cut_into_words() {
        let l = listing(&["50 perm mod.rules".into(), "a*.rules".into()]);
        assert_eq!(l.names, ["50", "perm", "mod.rules"]);
        assert_eq!(l.unknown, ["a*.rules"]);
    }

    #[test]
    fn filevercmp_matches_gnulib_examples() {
        let mut v = vec![
            "a.tar.gz",
            "a-1.tar.gz",
            "a-1.10.tar.gz",
            "a-1.2.tar.gz",
            "a",
            "a~",
            "~",
            ".",
            "..",
            ".a",
        ];
        v.sort_by(|a, b| filevercmp(a, b).then_with(|| a.cmp(b)));
        assert_eq!(
            v,
            [
                ".",
                "..",
                ".a",
                "~",
                "a~",
                "a",
                "a.tar.gz",
                "a-1.tar.gz",
                "a-1.2.tar.gz",
                "a-1.10.tar.gz"
            ]
        );
    }

    fn texts(lines: &[MergedLine]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn control_lines_move_and_the_last_wins() {
        let files = vec![
            (
                "/r/10.rules".to_string(),
                "-D\n-b 320\n-e 1\n# c\n\n-w /a\n".to_string(),
            ),
            (
                "/r/20.rules".to_string(),
                "-b 8192\n-f 1\n-D -k x\n-e 2\n-w /b\n".to_string(),
            ),
        ];
        let merged = merge(&files, Awk::Mawk);
        assert_eq!(
            texts(&merged),
            ["-D", "-b 8192", "-f 1", "-w /a", "-D -k x", "-w /b", "-e 2"]
        );
        assert_eq!(merged[1].source, Source::line("/r/20.rules", 1));
    }

    #[test]
    fn mawk_reads_backslash_s_as_the_letter_s() {
        let files = vec![(
            "/r/a.rules".to_string(),
            " # c\n\t# c\n -e 2\nss# c\n -D \n".to_string(),
        )];
        assert_eq!(
            texts(&merge(&files, Awk::Mawk)),
            ["", "", "", " # c", "\t# c", " -e 2", " -D ", ""]
        );
        assert_eq!(
            texts(&merge(&files, Awk::Gawk)),
            [" -D ", "", "", "ss# c", " -e 2"]
        );
    }

    #[test]
    fn a_file_without_final_newline_runs_into_the_next() {
        let files = vec![
            ("/r/a.rules".to_string(), "-w /a\n-w /b -p wa".to_string()),
            ("/r/b.rules".to_string(), "-k x\n-w /c\n".to_string()),
        ];
        let merged = merge(&files, Awk::Gawk);
        assert_eq!(texts(&merged)[3..6], ["-w /a", "-w /b -p wa-k x", "-w /c"]);
        assert_eq!(merged[4].source, Source::line("/r/a.rules", 2));
    }
}
