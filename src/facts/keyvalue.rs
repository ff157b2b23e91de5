//! Generic `key value` / `key = value` configuration files.
//!
//! One parser covers login.defs (`KEY value`), pwquality.conf (`key = value`),
//! systemd INI files such as journald.conf (`[Journal]` + `Key=value`) and the
//! shell-like `/etc/default/*` files (`KEY="value"`). Every occurrence is kept,
//! in file order, so that evidence can point at each line; [`lookup`] applies
//! the "last one wins" rule those programs use.

use crate::diag::Diagnostic;
use serde::Serialize;

/// How a key is separated from its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Separator {
    /// `KEY value` (login.defs).
    Whitespace,
    /// `key=value` or `key = value` (pwquality.conf, systemd, /etc/default).
    Equals,
    /// Per line: `=` when the first thing after the key is `=`, else whitespace.
    #[default]
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct KvOptions {
    pub separator: Separator,
    /// Store keys lowercased, for formats whose readers ignore key case.
    pub case_insensitive_keys: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KvEntry {
    /// The `[Section]` the entry sits in; None before any section header.
    pub section: Option<String>,
    pub key: String,
    pub value: String,
    pub line: u32,
}

/// Parses `text` (read from `file`) into entries in file order. Malformed lines
/// are reported and skipped.
pub fn parse(text: &str, file: &str, opts: &KvOptions) -> (Vec<KvEntry>, Vec<Diagnostic>) {
    let mut entries = Vec::new();
    let mut diags = crate::diag::Collector::default();
    let mut section: Option<String> = None;

    for (index, raw) in text.lines().enumerate() {
        let line_no = line_number(index);
        let line = raw.strip_suffix('\r').unwrap_or(raw).trim();
        // `;` is only a comment marker at the start of a line: systemd and
        // pwquality allow it there, but it is ordinary text inside values.
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }

        if let Some(header) = line.strip_prefix('[') {
            match header.strip_suffix(']') {
                Some(name) if !name.trim().is_empty() => {
                    section = Some(name.trim().to_string());
                }
                Some(_) => {
                    diags.push(
                        Diagnostic::new(file, "empty section name in `[]` header")
                            .at(line_no, None),
                    );
                }
                None => {
                    diags.push(
                        Diagnostic::new(file, format!("section header `{line}` is missing `]`"))
                            .at(line_no, None),
                    );
                }
            }
            continue;
        }

        let (key, rest) = split_key(line, opts.separator);
        if key.is_empty() {
            diags.push(
                Diagnostic::new(file, format!("line `{line}` has a value but no key"))
                    .at(line_no, None),
            );
            continue;
        }
        let value = match clean_value(rest) {
            Ok(value) => value,
            Err(message) => {
                diags.push(Diagnostic::new(file, message).at(line_no, None));
                continue;
            }
        };
        let key = if opts.case_insensitive_keys {
            key.to_lowercase()
        } else {
            key.to_string()
        };
        entries.push(KvEntry {
            section: section.clone(),
            key,
            value,
            line: line_no,
        });
    }
    (entries, diags.finish())
}

/// Effective value of `key` (in `section` if Some): the last occurrence wins,
/// which is how login.defs, pwquality and systemd read them.
///
/// `section: None` means "outside any section", not "in any section", so a key
/// that appears under two different headers is never confused. Section names
/// are always compared exactly (systemd treats them case-sensitively).
pub fn lookup<'a>(
    entries: &'a [KvEntry],
    section: Option<&str>,
    key: &str,
    case_insensitive: bool,
) -> Option<&'a KvEntry> {
    entries.iter().rev().find(|entry| {
        entry.section.as_deref() == section
            && if case_insensitive {
                entry.key.eq_ignore_ascii_case(key)
            } else {
                entry.key == key
            }
    })
}

/// Splits a trimmed, non-comment line into the key and the raw value text.
fn split_key(line: &str, separator: Separator) -> (&str, &str) {
    let use_equals = match separator {
        Separator::Equals => true,
        Separator::Whitespace => false,
        Separator::Auto => {
            // The key ends at the first whitespace or `=`; `KEY a=b` must stay
            // a whitespace pair even though the line contains `=`.
            let key_end = line
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(line.len());
            line[key_end..].trim_start().starts_with('=')
        }
    };
    if use_equals {
        match line.split_once('=') {
            Some((key, value)) => (key.trim(), value),
            None => (line, ""),
        }
    } else {
        match line.split_once(char::is_whitespace) {
            Some((key, value)) => (key, value),
            None => (line, ""),
        }
    }
}

/// Trims, strips one pair of surrounding quotes, and drops an inline `#`
/// comment from unquoted values.
fn clean_value(raw: &str) -> Result<String, String> {
    let value = raw.trim();
    let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return Ok(strip_inline_comment(value).to_string());
    };
    let inner = &value[1..];
    let Some(close) = inner.find(quote) else {
        return Err(format!("unterminated {quote} quote in value `{value}`"));
    };
    let after = inner[close + 1..].trim_start();
    if after.is_empty()
        || (after.starts_with('#') && inner[close + 1..].starts_with(char::is_whitespace))
    {
        Ok(inner[..close].to_string())
    } else {
        // Something like `"a" b`: not a single quoted string, so keep the text
        // as written rather than guess at shell concatenation rules.
        Ok(strip_inline_comment(value).to_string())
    }
}

/// `#` starts a comment only after whitespace, so values such as `a#b` or URL
/// fragments survive.
fn strip_inline_comment(value: &str) -> &str {
    let mut previous_is_space = false;
    for (index, c) in value.char_indices() {
        if c == '#' && previous_is_space {
            return value[..index].trim_end();
        }
        previous_is_space = c.is_whitespace();
    }
    value
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(separator: Separator, case_insensitive_keys: bool) -> KvOptions {
        KvOptions {
            separator,
            case_insensitive_keys,
        }
    }

    fn pairs(entries: &[KvEntry]) -> Vec<(&str, &str)> {
        entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect()
    }

    #[test]
    fn empty_input_gives_nothing() {
        let (entries, diags) = parse("", "f", &KvOptions::default());
        assert!(entries.is_empty());
        assert!(diags.is_empty());
        let (entries, diags) = parse("\n\n   \n\t\n", "f", &KvOptions::default());
        assert!(entries.is_empty());
        assert!(diags.is_empty());
    }

    #[test]
    fn login_defs_whitespace_pairs() {
        let text = "#\n# login.defs\n#\nPASS_MAX_DAYS\t99999\nPASS_MIN_DAYS   0\nUMASK  022\nENCRYPT_METHOD SHA512\n";
        let (entries, diags) = parse(text, "/etc/login.defs", &opts(Separator::Whitespace, false));
        assert!(diags.is_empty());
        assert_eq!(
            pairs(&entries),
            vec![
                ("PASS_MAX_DAYS", "99999"),
                ("PASS_MIN_DAYS", "0"),
                ("UMASK", "022"),
                ("ENCRYPT_METHOD", "SHA512"),
            ]
        );
        assert_eq!(entries[0].line, 4);
        assert_eq!(entries[3].line, 7);
        assert_eq!(entries[0].section, None);
    }

    #[test]
    fn whitespace_value_keeps_inner_spaces_and_equals() {
        let (entries, _) = parse(
            "ENV_PATH PATH=/usr/bin:/bin\nMOTD_FILE  a b  c \n",
            "f",
            &opts(Separator::Whitespace, false),
        );
        assert_eq!(
            pairs(&entries),
            vec![("ENV_PATH", "PATH=/usr/bin:/bin"), ("MOTD_FILE", "a b  c")]
        );
    }

    #[test]
    fn pwquality_equals_with_spaces() {
        let text = "# Configuration for systemwide password quality limits\n\
                    # minlen = 8\n\
                    minlen = 14\n\
                    dcredit=-1\n\
                    enforce_for_root\n\
                    badwords =\n";
        let (entries, diags) = parse(text, "pwquality.conf", &opts(Separator::Equals, false));
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            pairs(&entries),
            vec![
                ("minlen", "14"),
                ("dcredit", "-1"),
                ("enforce_for_root", ""),
                ("badwords", ""),
            ]
        );
    }

    #[test]
    fn equals_mode_splits_at_first_equals_only() {
        let (entries, _) = parse("a = b=c\n", "f", &opts(Separator::Equals, false));
        assert_eq!(pairs(&entries), vec![("a", "b=c")]);
    }

    #[test]
    fn systemd_sections() {
        let text = "[Journal]\r\nStorage=persistent\r\n;Compress=yes\r\n\r\n[Other]\r\nStorage=volatile\r\n";
        let (entries, diags) = parse(text, "journald.conf", &opts(Separator::Equals, false));
        assert!(diags.is_empty());
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].section.as_deref(), Some("Journal"));
        assert_eq!(entries[0].value, "persistent");
        assert_eq!(entries[0].line, 2);
        assert_eq!(entries[1].section.as_deref(), Some("Other"));
        assert_eq!(
            lookup(&entries, Some("Journal"), "Storage", false).map(|e| e.value.as_str()),
            Some("persistent")
        );
        assert_eq!(
            lookup(&entries, Some("Other"), "Storage", false).map(|e| e.value.as_str()),
            Some("volatile")
        );
        assert!(lookup(&entries, None, "Storage", false).is_none());
        assert!(lookup(&entries, Some("journal"), "Storage", false).is_none());
    }

    #[test]
    fn default_file_quotes() {
        let text = "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet splash\"\nGRUB_TIMEOUT='5'\nEMPTY=\"\"\nX=\"a # not a comment\"\n";
        let (entries, diags) = parse(text, "/etc/default/grub", &KvOptions::default());
        assert!(diags.is_empty());
        assert_eq!(
            pairs(&entries),
            vec![
                ("GRUB_CMDLINE_LINUX_DEFAULT", "quiet splash"),
                ("GRUB_TIMEOUT", "5"),
                ("EMPTY", ""),
                ("X", "a # not a comment"),
            ]
        );
    }

    #[test]
    fn quoted_value_followed_by_comment() {
        let (entries, diags) = parse("A=\"x y\"   # why\n", "f", &KvOptions::default());
        assert!(diags.is_empty());
        assert_eq!(pairs(&entries), vec![("A", "x y")]);
    }

    #[test]
    fn mismatched_quotes_are_not_stripped() {
        let (entries, diags) = parse(
            "A=\"x' \nB='x\" y'\nC=\"a\" b\n",
            "f",
            &KvOptions::default(),
        );
        // `"x'` never closes its double quote.
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(1));
        assert!(diags[0].message.contains("unterminated"));
        assert_eq!(pairs(&entries), vec![("B", "x\" y"), ("C", "\"a\" b")]);
    }

    #[test]
    fn inline_comments_need_preceding_whitespace() {
        let text = "UMASK 027 # tightened\nURL http://x/#frag\nHASH a#b\n";
        let (entries, _) = parse(text, "f", &opts(Separator::Whitespace, false));
        assert_eq!(
            pairs(&entries),
            vec![("UMASK", "027"), ("URL", "http://x/#frag"), ("HASH", "a#b")]
        );
    }

    #[test]
    fn semicolon_only_comments_at_line_start() {
        let text = "  ; comment\nkey = a;b ; c\n";
        let (entries, _) = parse(text, "f", &opts(Separator::Equals, false));
        assert_eq!(pairs(&entries), vec![("key", "a;b ; c")]);
        assert_eq!(entries[0].line, 2);
    }

    #[test]
    fn indented_comment_lines_are_ignored() {
        let (entries, diags) = parse("   # KEY value\n\t#X=1\n", "f", &KvOptions::default());
        assert!(entries.is_empty());
        assert!(diags.is_empty());
    }

    #[test]
    fn auto_separator_per_line() {
        let text = "KEY value=with-equals\nkey2 = v2\nkey3=v3\nKEY4 \"a=b\"\nLONELY\n";
        let (entries, diags) = parse(text, "f", &KvOptions::default());
        assert!(diags.is_empty());
        assert_eq!(
            pairs(&entries),
            vec![
                ("KEY", "value=with-equals"),
                ("key2", "v2"),
                ("key3", "v3"),
                ("KEY4", "a=b"),
                ("LONELY", ""),
            ]
        );
    }

    #[test]
    fn key_without_value() {
        let (entries, diags) = parse("FLAG\nOTHER=\n", "f", &KvOptions::default());
        assert!(diags.is_empty());
        assert_eq!(pairs(&entries), vec![("FLAG", ""), ("OTHER", "")]);
    }

    #[test]
    fn missing_key_is_reported_and_skipped() {
        let (entries, diags) = parse("=value\nok=1\n", "cfg", &opts(Separator::Equals, false));
        assert_eq!(pairs(&entries), vec![("ok", "1")]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].file, "cfg");
        assert_eq!(diags[0].line, Some(1));
    }

    #[test]
    fn bad_section_headers_are_reported() {
        let text = "[Journal\nA=1\n[]\nB=2\n[ Good ]\nC=3\n";
        let (entries, diags) = parse(text, "f", &opts(Separator::Equals, false));
        assert_eq!(diags.len(), 2);
        assert_eq!(diags[0].line, Some(1));
        assert_eq!(diags[1].line, Some(3));
        // Broken headers do not change the current section.
        assert_eq!(entries[0].section, None);
        assert_eq!(entries[1].section, None);
        assert_eq!(entries[2].section.as_deref(), Some("Good"));
    }

    #[test]
    fn duplicates_are_kept_and_last_wins() {
        let text = "PASS_MAX_DAYS 99999\nPASS_MAX_DAYS 90\nPASS_MIN_DAYS 1\n";
        let (entries, _) = parse(text, "f", &opts(Separator::Whitespace, false));
        assert_eq!(entries.len(), 3);
        let found = lookup(&entries, None, "PASS_MAX_DAYS", false).unwrap();
        assert_eq!(found.value, "90");
        assert_eq!(found.line, 2);
        assert!(lookup(&entries, None, "pass_max_days", false).is_none());
        assert_eq!(
            lookup(&entries, None, "pass_max_days", true).map(|e| e.line),
            Some(2)
        );
        assert!(lookup(&entries, None, "MISSING", true).is_none());
    }

    #[test]
    fn case_insensitive_keys_are_lowercased() {
        let (entries, _) = parse(
            "MinLen = 12\nminlen = 14\n",
            "f",
            &opts(Separator::Equals, true),
        );
        assert_eq!(pairs(&entries), vec![("minlen", "12"), ("minlen", "14")]);
        assert_eq!(lookup(&entries, None, "MINLEN", true).unwrap().value, "14");
    }

    #[test]
    fn crlf_is_stripped() {
        let (entries, _) = parse("A=1\r\nB 2\r\n", "f", &KvOptions::default());
        assert_eq!(pairs(&entries), vec![("A", "1"), ("B", "2")]);
    }

    #[test]
    fn unicode_values_do_not_panic() {
        let (entries, diags) = parse("k = é # ü\n\"ä\n'\n", "f", &KvOptions::default());
        assert_eq!(entries[0].value, "é");
        // The lone quote lines are keys, not values, so they are kept as keys.
        assert_eq!(entries.len(), 3);
        assert!(diags.is_empty());
    }

    #[test]
    fn serializes_to_json() {
        let (entries, _) = parse("[S]\nk=v\n", "f", &KvOptions::default());
        let json = serde_json::to_string(&entries).unwrap();
        assert_eq!(json, r#"[{"section":"S","key":"k","value":"v","line":2}]"#);
        let json = serde_json::to_string(&KvOptions::default()).unwrap();
        assert_eq!(
            json,
            r#"{"separator":"auto","case_insensitive_keys":false}"#
        );
    }
}
