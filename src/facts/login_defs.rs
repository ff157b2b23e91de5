//! /etc/login.defs as shadow's tools read it (lib/getdef.c, shadow 4.13 in
//! Debian 12; the same reader in RHEL 9's shadow-utils):
//!
//! - each line is read with `fgets` into a 1024-byte buffer, so a longer
//!   line is read as several; trailing whitespace is cut, a line whose first
//!   non-blank character is `#` is a comment, and a line with one field only
//!   is ignored;
//! - the name is the first field; the value starts after the blanks *and
//!   double quotes* that follow it and ends at the next double quote. There
//!   are no inline comments: `PASS_MAX_DAYS 365 # a year` has the value
//!   `365 # a year`;
//! - the last assignment of a name wins;
//! - numbers are read with `strtol(value, &end, 0)` and must use the whole
//!   value: `0x1f` is hex, `027` octal, `365 # a year` is no number at all;
//!   a value that is not a number is a configuration error and the tool
//!   uses its built-in default; booleans are true only for `yes` (any
//!   case).
//!
//! [`KEYS`] lists, for the names rules read, how the tool that uses each one
//! reads it and what it uses when the name is unset or invalid, so a check
//! sees the value the tools act on.

use super::{whole_lines, Collected, FactResult, Source};
use crate::diag::Diagnostic;
use crate::target::Target;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const PATH: &str = "/etc/login.defs";

/// shadow reads lines into a buffer this big, `fgets` style.
const LINE_BUFFER: usize = 1024;

/// One assignment as getdef keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub value: String,
    pub line: u32,
}

/// The assignments of login.defs: the last of each name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoginDefs {
    pub assignments: BTreeMap<String, Assignment>,
    /// Whether the file exists; without it every name has its default.
    pub exists: bool,
}

/// How the tool that reads a name interprets its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `getdef_num`: a `strtol` number that fits an `int`.
    Number,
    /// `getdef_long`: any `strtol` number.
    Long,
    /// `getdef_unum`: a number from 0 to `INT_MAX`.
    Unsigned,
    /// A number used as a file mode or umask, shown as four octal digits.
    Mode,
    /// `getdef_bool`: `yes` (any case) or not.
    Bool,
    /// `getdef_str`: the text as read.
    Text,
}

/// A name a rule reads, how its tool reads it, and what the tool uses when
/// it is unset or invalid (`None`: the tool has no value then).
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Default,
    /// Who reads it, for evidence.
    pub reader: &'static str,
}

/// What a tool uses for an unset or invalid name.
#[derive(Debug, Clone, Copy)]
pub enum Default {
    None,
    Number(i64),
    Text(&'static str),
    /// HOME_MODE: `0777 & ~UMASK`.
    ModeFromUmask,
    /// ENCRYPT_METHOD: MD5 when MD5_CRYPT_ENAB is yes, else DES; an unknown
    /// method is DES (lib/salt.c).
    CryptMethod,
}

/// The names the built-in rules read, with their readers' defaults from
/// shadow 4.13 (useradd.c, login.c, salt.c, getdef.h).
pub const KEYS: &[Key] = &[
    key(
        "PASS_MAX_DAYS",
        Kind::Number,
        Default::Number(-1),
        "useradd",
    ),
    key(
        "PASS_MIN_DAYS",
        Kind::Number,
        Default::Number(-1),
        "useradd",
    ),
    key(
        "PASS_WARN_AGE",
        Kind::Number,
        Default::Number(-1),
        "useradd",
    ),
    key(
        "ENCRYPT_METHOD",
        Kind::Text,
        Default::CryptMethod,
        "chpasswd, newusers",
    ),
    key(
        "MD5_CRYPT_ENAB",
        Kind::Bool,
        Default::Text("no"),
        "chpasswd, newusers",
    ),
    key(
        "SHA_CRYPT_MIN_ROUNDS",
        Kind::Long,
        Default::Number(5000),
        "chpasswd, newusers",
    ),
    key(
        "SHA_CRYPT_MAX_ROUNDS",
        Kind::Long,
        Default::Number(5000),
        "chpasswd, newusers",
    ),
    key(
        "YESCRYPT_COST_FACTOR",
        Kind::Unsigned,
        Default::Number(5),
        "chpasswd, newusers",
    ),
    key(
        "UMASK",
        Kind::Mode,
        Default::Number(0o022),
        "useradd, pam_umask",
    ),
    key("HOME_MODE", Kind::Mode, Default::ModeFromUmask, "useradd"),
    key("CREATE_HOME", Kind::Bool, Default::Text("no"), "useradd"),
    key("LOGIN_RETRIES", Kind::Unsigned, Default::Number(3), "login"),
    key(
        "LOGIN_TIMEOUT",
        Kind::Unsigned,
        Default::Number(60),
        "login",
    ),
    key("FAIL_DELAY", Kind::Unsigned, Default::Number(1), "login"),
    key("LOG_UNKFAIL_ENAB", Kind::Bool, Default::Text("no"), "login"),
    key("ENV_PATH", Kind::Text, Default::None, "login"),
    key("ENV_SUPATH", Kind::Text, Default::None, "login, su"),
];

const fn key(name: &'static str, kind: Kind, default: Default, reader: &'static str) -> Key {
    Key {
        name,
        kind,
        default,
        reader,
    }
}

pub fn find_key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// How a name outside [`KEYS`] is read: as text, with no default.
const OTHER: Key = key("", Kind::Text, Default::None, "shadow's tools");

/// Parses login.defs text as getdef's `def_load` does.
pub fn parse(text: &str) -> LoginDefs {
    let mut assignments = BTreeMap::new();
    for (lineno, line) in super::lines(text) {
        // fgets hands a long line over in buffer-sized pieces, each parsed
        // as a line of its own.
        for piece in buffer_pieces(line) {
            // C's isspace: blank, \t, \n, \v, \f, \r.
            let piece = piece.trim_end_matches([' ', '\t', '\n', '\u{b}', '\u{c}', '\r']);
            let name_start = piece.trim_start_matches([' ', '\t']);
            if name_start.is_empty() || name_start.starts_with('#') {
                continue;
            }
            let Some(end) = name_start.find([' ', '\t']) else {
                continue;
            };
            let name = &name_start[..end];
            let rest = name_start[end + 1..].trim_start_matches([' ', '\t', '"']);
            let value = rest.split('"').next().unwrap_or("");
            assignments.insert(
                name.to_string(),
                Assignment {
                    value: value.to_string(),
                    line: lineno,
                },
            );
        }
    }
    LoginDefs {
        assignments,
        exists: true,
    }
}

/// A line as `fgets(buf, 1024, fp)` returns it: pieces of at most 1023
/// bytes (the newline, already removed here, ends the last one).
fn buffer_pieces(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    if bytes.len() < LINE_BUFFER {
        return vec![line];
    }
    bytes
        .chunks(LINE_BUFFER - 1)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect()
}

/// `strtol(text, &end, 0)` that must consume all of `text`, as shadow's
/// `getlong`; `None` when it does not or the number overflows.
pub fn strtol(text: &str) -> Option<i64> {
    let s = text.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}');
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = if let Some(hex) = s.strip_prefix("0x").or(s.strip_prefix("0X")) {
        (16, hex)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() {
        // `0` alone, or `0x` with nothing after (strtol then reads the `0`
        // and stops at the `x`, which leaves text unread).
        return (s == "0").then_some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i64::from_str_radix(digits, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// The value a tool uses for `key`, as JSON, with where it came from and a
/// note when it is a default.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub value: Value,
    pub source: Option<Source>,
    pub note: Option<String>,
}

impl LoginDefs {
    /// The value the tool that reads `name` uses.
    pub fn effective(&self, name: &str) -> Effective {
        let key = find_key(name).unwrap_or(&OTHER);
        let set = self.assignments.get(name);
        let read = set.and_then(|a| self.interpret(key, &a.value));
        match (set, read) {
            (Some(a), Some(value)) => Effective {
                value,
                source: Some(Source::line(PATH, a.line)),
                note: None,
            },
            (Some(a), None) => Effective {
                value: self.default_value(key),
                source: Some(Source::line(PATH, a.line)),
                note: Some(format!(
                    "`{}` is not a valid value for {name}; {} use the default",
                    a.value, key.reader
                )),
            },
            (None, _) => Effective {
                value: self.default_value(key),
                source: None,
                note: Some(format!("not set; {} use the default", key.reader)),
            },
        }
    }

    fn interpret(&self, key: &Key, value: &str) -> Option<Value> {
        let int_max = i64::from(i32::MAX);
        match key.kind {
            Kind::Number => strtol(value)
                .filter(|n| (i64::from(i32::MIN)..=int_max).contains(n))
                .map(Value::from),
            Kind::Long => strtol(value).map(Value::from),
            Kind::Unsigned => strtol(value)
                .filter(|n| (0..=int_max).contains(n))
                .map(Value::from),
            Kind::Mode => strtol(value)
                .filter(|n| (0..=int_max).contains(n))
                .map(|n| json!(format!("{:04o}", n & 0o7777))),
            Kind::Bool => Some(json!(if value.eq_ignore_ascii_case("yes") {
                "yes"
            } else {
                "no"
            })),
            Kind::Text => match key.default {
                Default::CryptMethod => {
                    const METHODS: &[&str] =
                        &["DES", "MD5", "SHA256", "SHA512", "BCRYPT", "YESCRYPT"];
                    METHODS.contains(&value).then(|| json!(value))
                }
                _ => Some(json!(value)),
            },
        }
    }

    fn default_value(&self, key: &Key) -> Value {
        match key.default {
            Default::None => Value::Null,
            Default::Number(n) if key.kind == Kind::Mode => json!(format!("{n:04o}")),
            Default::Number(n) => json!(n),
            Default::Text(t) => json!(t),
            Default::ModeFromUmask => {
                let umask = self
                    .effective("UMASK")
                    .value
                    .as_str()
                    .and_then(crate::policy::parse_mode)
                    .unwrap_or(0o022);
                json!(format!("{:04o}", 0o777 & !umask))
            }
            Default::CryptMethod => {
                let md5 = self
                    .assignments
                    .get("MD5_CRYPT_ENAB")
                    .is_some_and(|a| a.value.eq_ignore_ascii_case("yes"));
                json!(if md5 { "MD5" } else { "DES" })
            }
        }
    }
}

/// Reads /etc/login.defs; a missing file gives every name its default.
pub fn collect(target: &Target) -> FactResult<LoginDefs> {
    let Some(text) = target.read_text(PATH)? else {
        return Ok(Collected::new(LoginDefs::default(), Vec::new()));
    };
    let mut diags: Vec<Diagnostic> = Vec::new();
    let defs = parse(whole_lines(&text, &mut diags));
    for key in KEYS {
        if let Some(a) = defs.assignments.get(key.name) {
            if defs.interpret(key, &a.value).is_none() {
                diags.push(
                    Diagnostic::new(
                        PATH,
                        format!(
                            "{} `{}` is not a valid value; {} use the default",
                            key.name, a.value, key.reader
                        ),
                    )
                    .at(a.line, None),
                );
            }
        }
    }
    Ok(Collected::new(defs, diags))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, name: &str) -> Effective {
        parse(text).effective(name)
    }

    #[test]
    fn inline_comments_are_part_of_the_value_so_the_default_applies() {
        let e = value("PASS_MAX_DAYS 365 # one year\n", "PASS_MAX_DAYS");
        assert_eq!(e.value, json!(-1));
        assert!(e
            .note
            .unwrap()
            .contains("`365 # one year` is not a valid value"));
        assert_eq!(e.source, Some(Source::line(PATH, 1)));
        assert_eq!(
            value("CREATE_HOME yes # always\n", "CREATE_HOME").value,
            json!("no")
        );
        assert_eq!(
            value("ENCRYPT_METHOD SHA512 # strong\n", "ENCRYPT_METHOD").value,
            json!("DES")
        );
    }

    #[test]
    fn the_last_assignment_wins_and_quotes_end_the_value() {
        let text = "PASS_MAX_DAYS 99999\n  PASS_MAX_DAYS\t\"90\" trailing\n";
        let e = value(text, "PASS_MAX_DAYS");
        assert_eq!(
            (e.value, e.source),
            (json!(90), Some(Source::line(PATH, 2)))
        );
        assert_eq!(
            value("CREATE_HOME YeS\n", "CREATE_HOME").value,
            json!("yes")
        );
        // Only one field: not an assignment.
        assert_eq!(value("PASS_MAX_DAYS\n", "PASS_MAX_DAYS").source, None);
        // A `#` after blanks is a comment, one inside a name is not.
        assert_eq!(
            value("  # PASS_MIN_DAYS 7\n", "PASS_MIN_DAYS").value,
            json!(-1)
        );
    }

    #[test]
    fn numbers_are_strtol_base_zero_over_the_whole_value() {
        assert_eq!(strtol("365"), Some(365));
        assert_eq!(strtol("0x1f"), Some(31));
        assert_eq!(strtol("027"), Some(23));
        assert_eq!(strtol("-1"), Some(-1));
        assert_eq!(strtol("0"), Some(0));
        for bad in ["", "9a", "08", "0x", "1 2", "365 # x", "1e3"] {
            assert_eq!(strtol(bad), None, "{bad}");
        }
        assert_eq!(value("UMASK 027\n", "UMASK").value, json!("0027"));
        // Without the leading zero, 77 is decimal: mode 0115.
        assert_eq!(value("UMASK 77\n", "UMASK").value, json!("0115"));
        assert_eq!(value("PASS_MIN_DAYS 07\n", "PASS_MIN_DAYS").value, json!(7));
        assert_eq!(
            value("YESCRYPT_COST_FACTOR -3\n", "YESCRYPT_COST_FACTOR").value,
            json!(5)
        );
    }

    #[test]
    fn defaults_follow_the_tools() {
        let e = value("", "PASS_MAX_DAYS");
        assert_eq!((e.value, e.source), (json!(-1), None));
        assert_eq!(value("UMASK 027\n", "HOME_MODE").value, json!("0750"));
        assert_eq!(value("", "HOME_MODE").value, json!("0755"));
        assert_eq!(
            value("MD5_CRYPT_ENAB yes\n", "ENCRYPT_METHOD").value,
            json!("MD5")
        );
        assert_eq!(value("", "ENV_PATH").value, Value::Null);
    }

    #[test]
    fn long_lines_are_read_in_buffer_sized_pieces() {
        let mut text = format!("ENV_PATH {}", "x".repeat(1100));
        text.push('\n');
        // The second piece starts with x's: a one-field line, ignored.
        let e = value(&text, "ENV_PATH");
        assert_eq!(e.value.as_str().unwrap().len(), 1023 - "ENV_PATH ".len());
        // A name that starts a second piece is an assignment of its own.
        let text = format!("{}PASS_MAX_DAYS 9\n", " ".repeat(1023));
        assert_eq!(value(&text, "PASS_MAX_DAYS").value, json!(9));
    }
}
