//! Local account databases: /etc/passwd, /etc/shadow, /etc/group, /etc/gshadow.
//!
//! Password hashes are secrets: the shadow parsers classify them (set, locked,
//! empty, no login; which algorithm) and then drop them, so no hash can leak
//! into an inventory or a report.

use crate::diag::Diagnostic;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
    pub line: u32,
}

impl PasswdEntry {
    /// Whether the account's shell lets someone log in: an empty shell means
    /// `/bin/sh`; `nologin`, `false`, `sync`, `shutdown` and `halt` do not.
    pub fn has_login_shell(&self) -> bool {
        let base = self.shell.rsplit('/').next().unwrap_or("");
        !matches!(base, "nologin" | "false" | "sync" | "shutdown" | "halt")
    }
}

/// What the password field allows, without the hash itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordState {
    /// A usable password hash.
    Set,
    /// A hash disabled with a leading `!` (`usermod -L`); unlocking restores it.
    Locked,
    /// Empty field: no password is needed at all.
    Empty,
    /// No usable hash (`*`, `!`, `!!`, `!*`, `*LK*`...): password login is impossible.
    NoLogin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShadowEntry {
    pub name: String,
    pub password_state: PasswordState,
    /// e.g. "yescrypt", "sha512", "sha256", "md5", "bcrypt", "des", "unknown";
    /// None when there is no hash.
    pub hash_algorithm: Option<String>,
    /// Days since 1970-01-01 of the last change; 0 forces a change at next login.
    pub last_change: Option<i64>,
    pub min_days: Option<i64>,
    pub max_days: Option<i64>,
    pub warn_days: Option<i64>,
    pub inactive_days: Option<i64>,
    /// Days since 1970-01-01 on which the account expires.
    pub expire_date: Option<i64>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GshadowEntry {
    pub name: String,
    pub password_state: PasswordState,
    pub admins: Vec<String>,
    pub members: Vec<String>,
    pub line: u32,
}

/// Parses passwd(5): `name:password:uid:gid:gecos:home:shell`.
pub fn parse_passwd(text: &str, file: &str) -> (Vec<PasswdEntry>, Vec<Diagnostic>) {
    parse_records(text, file, 7, |fields, line, file| {
        let uid = parse_id(fields[2], "uid", line, file)?;
        let gid = parse_id(fields[3], "gid", line, file)?;
        Ok(PasswdEntry {
            name: fields[0].to_string(),
            uid,
            gid,
            gecos: fields[4].to_string(),
            home: fields[5].to_string(),
            shell: fields[6].to_string(),
            line,
        })
    })
}

/// Parses shadow(5): `name:hash:last:min:max:warn:inactive:expire:reserved`.
pub fn parse_shadow(text: &str, file: &str) -> (Vec<ShadowEntry>, Vec<Diagnostic>) {
    parse_records(text, file, 9, |fields, line, file| {
        let (password_state, hash_algorithm) = classify_password(fields[1]);
        let day = |index: usize, what: &str| parse_days(fields[index], what, line, file);
        Ok(ShadowEntry {
            name: fields[0].to_string(),
            password_state,
            hash_algorithm,
            last_change: day(2, "last change")?,
            min_days: day(3, "minimum age")?,
            max_days: day(4, "maximum age")?,
            warn_days: day(5, "warning period")?,
            inactive_days: day(6, "inactivity period")?,
            expire_date: day(7, "expiration date")?,
            line,
        })
    })
}

/// Parses group(5): `name:password:gid:member,member`.
pub fn parse_group(text: &str, file: &str) -> (Vec<GroupEntry>, Vec<Diagnostic>) {
    parse_records(text, file, 4, |fields, line, file| {
        Ok(GroupEntry {
            name: fields[0].to_string(),
            gid: parse_id(fields[2], "gid", line, file)?,
            members: split_list(fields[3]),
            line,
        })
    })
}

/// Parses gshadow(5): `name:password:admin,admin:member,member`.
pub fn parse_gshadow(text: &str, file: &str) -> (Vec<GshadowEntry>, Vec<Diagnostic>) {
    parse_records(text, file, 4, |fields, line, _file| {
        Ok(GshadowEntry {
            name: fields[0].to_string(),
            password_state: classify_password(fields[1]).0,
            admins: split_list(fields[2]),
            members: split_list(fields[3]),
            line,
        })
    })
}

/// Shared line handling for the colon-separated databases: skips blanks and
/// comments, checks the field count and the name, sets NIS entries aside, and
/// hands well-formed lines to `build`.
fn parse_records<T>(
    text: &str,
    file: &str,
    field_count: usize,
    build: impl Fn(&[&str], u32, &str) -> Result<T, Diagnostic>,
) -> (Vec<T>, Vec<Diagnostic>) {
    let mut records = Vec::new();
    let mut diags = crate::diag::Collector::default();
    for (index, raw) in text.lines().enumerate() {
        if records.len() == MAX_RECORDS {
            // Enough for any real host; what follows is not read, so the
            // checks that list every account cannot pass on it.
            diags.push(Diagnostic::incomplete(
                file,
                format!("more than {MAX_RECORDS} entries; the rest are not read"),
            ));
            break;
        }
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let content = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = content.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // NIS compat (`+`, `+name`, `-@netgroup`) lines pull accounts from a
        // directory service; they describe no local account, but an auditor
        // should know they are there (a bare `+` once granted passwordless
        // logins on some systems).
        if content.starts_with('+') || content.starts_with('-') {
            diags.push(
                Diagnostic::new(
                    file,
                    format!(
                        "NIS compat entry `{}` is not a local account",
                        nis_label(content)
                    ),
                )
                .at(line, None),
            );
            continue;
        }
        let fields: Vec<&str> = content.split(':').collect();
        if fields.len() != field_count {
            diags.push(
                Diagnostic::new(
                    file,
                    format!(
                        "expected {field_count} colon-separated fields, found {}",
                        fields.len()
                    ),
                )
                .at(line, None),
            );
            continue;
        }
        if fields[0].is_empty() {
            diags.push(Diagnostic::new(file, "empty name field").at(line, None));
            continue;
        }
        match build(&fields, line, file) {
            Ok(record) => records.push(record),
            Err(diag) => diags.push(diag),
        }
    }
    (records, diags.finish())
}

/// At most this many entries of an account database are read.
pub const MAX_RECORDS: usize = 65_536;

/// Only the name part of a NIS line is echoed, since the rest may hold a hash.
fn nis_label(content: &str) -> &str {
    content.split(':').next().unwrap_or(content)
}

fn parse_id(field: &str, what: &str, line: u32, file: &str) -> Result<u32, Diagnostic> {
    // Plain digits only: `str::parse` would also take `+5`, which no account
    // tool writes and which likely means a corrupted line.
    if !field.is_empty() && field.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(id) = field.parse::<u32>() {
            return Ok(id);
        }
    }
    Err(Diagnostic::new(file, format!("invalid {what} `{field}`")).at(line, None))
}

fn parse_days(field: &str, what: &str, line: u32, file: &str) -> Result<Option<i64>, Diagnostic> {
    if field.is_empty() {
        return Ok(None);
    }
    let digits = field.strip_prefix('-').unwrap_or(field);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(days) = field.parse::<i64>() {
            return Ok(Some(days));
        }
    }
    Err(Diagnostic::new(
        file,
        format!("invalid {what} `{field}`, expected a number of days"),
    )
    .at(line, None))
}

fn split_list(field: &str) -> Vec<String> {
    field
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// Classifies a password field and names the hash algorithm, if any.
fn classify_password(field: &str) -> (PasswordState, Option<String>) {
    if field.is_empty() {
        return (PasswordState::Empty, None);
    }
    let unlocked = field.trim_start_matches('!');
    // crypt(3) never produces a string starting with `*`, so `*`, `*LK*`,
    // `!*` and a bare `!`/`!!` cannot match any password.
    if unlocked.is_empty() || unlocked.starts_with('*') {
        return (PasswordState::NoLogin, None);
    }
    let state = if unlocked.len() < field.len() {
        PasswordState::Locked
    } else {
        PasswordState::Set
    };
    (state, Some(hash_algorithm(unlocked).to_string()))
}

fn hash_algorithm(hash: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("$y$", "yescrypt"),
        ("$gy$", "gost-yescrypt"),
        ("$7$", "scrypt"),
        ("$2a$", "bcrypt"),
        ("$2b$", "bcrypt"),
        ("$2x$", "bcrypt"),
        ("$2y$", "bcrypt"),
        ("$6$", "sha512"),
        ("$5$", "sha256"),
        ("$sha1$", "sha1"),
        ("$md5", "sun-md5"),
        ("$1$", "md5"),
        ("$3$", "nt"),
    ];
    if let Some((_, name)) = PREFIXES.iter().find(|(prefix, _)| hash.starts_with(prefix)) {
        return name;
    }
    let crypt_alphabet = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
    };
    if hash.len() == 13 && crypt_alphabet(hash) {
        return "des";
    }
    if hash.len() == 20 && hash.starts_with('_') && crypt_alphabet(&hash[1..]) {
        return "bsdi-des";
    }
    "unknown"
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA512: &str = "$6$rounds=5000$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijk";
    const YESCRYPT: &str =
        "$y$j9T$abcdefghijklmnopqrstuv$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg";

    #[test]
    fn passwd_basic() {
        let text = "root:x:0:0:root:/root:/bin/bash\n\
                    daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                    alice:x:1000:1000:Alice Liddell,,,:/home/alice:/bin/zsh\n";
        let (entries, diags) = parse_passwd(text, "/etc/passwd");
        assert!(diags.is_empty());
        assert_eq!(entries.len(), 3);
        assert_eq!(
            entries[0],
            PasswdEntry {
                name: "root".into(),
                uid: 0,
                gid: 0,
                gecos: "root".into(),
                home: "/root".into(),
                shell: "/bin/bash".into(),
                line: 1,
            }
        );
        assert_eq!(entries[2].gecos, "Alice Liddell,,,");
        assert_eq!(entries[2].uid, 1000);
        assert_eq!(entries[2].line, 3);
    }

    #[test]
    fn passwd_empty_fields_are_kept() {
        let (entries, diags) = parse_passwd("nobody::65534:65534:::\n", "p");
        assert!(diags.is_empty());
        assert_eq!(entries[0].gecos, "");
        assert_eq!(entries[0].home, "");
        assert_eq!(entries[0].shell, "");
        assert_eq!(entries[0].uid, 65534);
    }

    #[test]
    fn empty_input() {
        assert_eq!(parse_passwd("", "p"), (vec![], vec![]));
        assert_eq!(parse_shadow("", "s"), (vec![], vec![]));
        assert_eq!(parse_group("", "g"), (vec![], vec![]));
        assert_eq!(parse_gshadow("", "gs"), (vec![], vec![]));
    }

    #[test]
    fn comments_blank_lines_and_crlf() {
        let text = "# local users\r\n\r\n   \r\nroot:x:0:0:root:/root:/bin/bash\r\n  # indented comment\r\n";
        let (entries, diags) = parse_passwd(text, "p");
        assert!(diags.is_empty());
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].shell, "/bin/bash");
        assert_eq!(entries[0].line, 4);
    }

    #[test]
    fn passwd_malformed_lines_are_reported_and_skipped() {
        let text = "short:x:1:1\n\
                    toolong:x:1:1:a:b:c:d\n\
                    baduid:x:abc:1::/:/bin/sh\n\
                    badgid:x:1:-1::/:/bin/sh\n\
                    plus:x:+5:1::/:/bin/sh\n\
                    huge:x:4294967296:1::/:/bin/sh\n\
                    :x:1:1::/:/bin/sh\n\
                    ok:x:4294967295:1::/:/bin/sh\n";
        let (entries, diags) = parse_passwd(text, "/etc/passwd");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].name, "ok");
        assert_eq!(entries[0].uid, u32::MAX);
        let lines: Vec<_> = diags.iter().map(|d| d.line).collect();
        assert_eq!(
            lines,
            vec![
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                Some(6),
                Some(7)
            ]
        );
        assert!(diags.iter().all(|d| d.file == "/etc/passwd"));
        assert!(diags[0].message.contains("expected 7"));
        assert!(diags[2].message.contains("uid"));
        assert!(diags[3].message.contains("gid"));
    }

    #[test]
    fn duplicates_are_all_kept_in_order() {
        let text = "root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/root:/bin/sh\nroot:x:5:5::/:/bin/sh\n";
        let (entries, diags) = parse_passwd(text, "p");
        assert!(diags.is_empty());
        let names: Vec<_> = entries.iter().map(|e| (e.name.as_str(), e.uid)).collect();
        assert_eq!(names, vec![("root", 0), ("toor", 0), ("root", 5)]);
    }

    #[test]
    fn nis_entries_are_set_aside() {
        let text = "root:x:0:0::/root:/bin/sh\n+::::::\n+alice\n-@badguys:x:::::\n";
        let (entries, diags) = parse_passwd(text, "p");
        assert_eq!(entries.len(), 1);
        assert_eq!(diags.len(), 3);
        assert!(diags[0].message.contains("NIS compat entry `+`"));
        assert!(diags[2].message.contains("`-@badguys`"));
        assert_eq!(diags[1].line, Some(3));

        let (entries, diags) = parse_shadow(&format!("+alice:{SHA512}:::::::\n"), "s");
        assert!(entries.is_empty());
        assert_eq!(diags.len(), 1);
        assert!(
            !diags[0].message.contains("$6$"),
            "hash leaked: {}",
            diags[0].message
        );
    }

    #[test]
    fn password_states() {
        let cases = [
            ("", PasswordState::Empty, None),
            ("*", PasswordState::NoLogin, None),
            ("!", PasswordState::NoLogin, None),
            ("!!", PasswordState::NoLogin, None),
            ("!*", PasswordState::NoLogin, None),
            ("*LK*", PasswordState::NoLogin, None),
            (SHA512, PasswordState::Set, Some("sha512")),
            (YESCRYPT, PasswordState::Set, Some("yescrypt")),
            ("!$y$j9T$salt$hash", PasswordState::Locked, Some("yescrypt")),
            ("!!$6$salt$hash", PasswordState::Locked, Some("sha512")),
            ("x", PasswordState::Set, Some("unknown")),
        ];
        for (field, state, algorithm) in cases {
            assert_eq!(
                classify_password(field),
                (state, algorithm.map(str::to_string)),
                "field {field:?}"
            );
        }
    }

    #[test]
    fn hash_algorithms() {
        let cases = [
            ("$y$j9T$s$h", "yescrypt"),
            ("$gy$j9T$s$h", "gost-yescrypt"),
            ("$7$CU..../....salt$hash", "scrypt"),
            ("$2a$10$abcdefghijklmnopqrstuu", "bcrypt"),
            ("$2b$12$abcdefghijklmnopqrstuu", "bcrypt"),
            ("$2y$12$abcdefghijklmnopqrstuu", "bcrypt"),
            ("$6$salt$hash", "sha512"),
            ("$5$salt$hash", "sha256"),
            ("$1$salt$hash", "md5"),
            ("$sha1$40000$salt$hash", "sha1"),
            ("$md5,rounds=904$salt$hash", "sun-md5"),
            ("abJnggxhB/yWI", "des"),
            ("_J9..CCCCXBrJUJV154M", "bsdi-des"),
            ("abJnggxhB/yW!", "unknown"),
            ("$9$whatever", "unknown"),
            ("é", "unknown"),
        ];
        for (hash, expected) in cases {
            assert_eq!(hash_algorithm(hash), expected, "hash {hash:?}");
        }
    }

    #[test]
    fn shadow_basic() {
        let text = format!(
            "root:{SHA512}:19500:0:99999:7:::\n\
             daemon:*:19500:0:99999:7:::\n\
             alice:!{YESCRYPT}:19000:1:90:14:30:20000:\n\
             guest::0::::::\n"
        );
        let (entries, diags) = parse_shadow(&text, "/etc/shadow");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[0],
            ShadowEntry {
                name: "root".into(),
                password_state: PasswordState::Set,
                hash_algorithm: Some("sha512".into()),
                last_change: Some(19500),
                min_days: Some(0),
                max_days: Some(99999),
                warn_days: Some(7),
                inactive_days: None,
                expire_date: None,
                line: 1,
            }
        );
        assert_eq!(entries[1].password_state, PasswordState::NoLogin);
        assert_eq!(entries[1].hash_algorithm, None);
        assert_eq!(entries[2].password_state, PasswordState::Locked);
        assert_eq!(entries[2].hash_algorithm.as_deref(), Some("yescrypt"));
        assert_eq!(entries[2].inactive_days, Some(30));
        assert_eq!(entries[2].expire_date, Some(20000));
        assert_eq!(entries[3].password_state, PasswordState::Empty);
        assert_eq!(entries[3].last_change, Some(0));
        assert_eq!(entries[3].max_days, None);
    }

    #[test]
    fn shadow_accepts_negative_days() {
        let (entries, diags) = parse_shadow("a:*:-1:-1:-1:-1:-1:-1:\n", "s");
        assert!(diags.is_empty());
        assert_eq!(entries[0].max_days, Some(-1));
        assert_eq!(entries[0].expire_date, Some(-1));
    }

    #[test]
    fn shadow_malformed_lines() {
        let text = format!(
            "root:{SHA512}:19500:0:99999:7::\n\
             bob:*:soon:0:99999:7:::\n\
             carol:*:1:2:3:4:5:6:7:8\n\
             dave:*:1:--2::::::\n\
             erin:*:1:99999999999999999999:::::\n\
             ok:*:::::::\n"
        );
        let (entries, diags) = parse_shadow(&text, "/etc/shadow");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].name, "ok");
        assert_eq!(diags.len(), 5);
        assert_eq!(diags[0].line, Some(1));
        assert!(diags[1].message.contains("last change"));
        assert_eq!(diags[2].line, Some(3));
        assert_eq!(diags[3].line, Some(4));
        assert_eq!(diags[4].line, Some(5));
        for diag in &diags {
            assert!(
                !diag.message.contains("$6$"),
                "hash leaked: {}",
                diag.message
            );
        }
    }

    #[test]
    fn shadow_json_never_contains_the_hash() {
        let (entries, _) = parse_shadow(&format!("root:{SHA512}:1:0:99999:7:::\n"), "s");
        let json = serde_json::to_string(&entries).unwrap();
        assert!(!json.contains("saltsalt"));
        assert!(json.contains(r#""password_state":"set""#));
        assert!(json.contains(r#""hash_algorithm":"sha512""#));
        assert!(json.contains(r#""inactive_days":null"#));
    }

    #[test]
    fn group_basic() {
        let text = "root:x:0:\nsudo:x:27:alice,bob\nweird:x:5:alice,,bob,\n";
        let (entries, diags) = parse_group(text, "/etc/group");
        assert!(diags.is_empty());
        assert_eq!(
            entries[1],
            GroupEntry {
                name: "sudo".into(),
                gid: 27,
                members: vec!["alice".into(), "bob".into()],
                line: 2,
            }
        );
        assert!(entries[0].members.is_empty());
        assert_eq!(entries[2].members, vec!["alice", "bob"]);
    }

    #[test]
    fn group_malformed() {
        let text = "nogid:x::\nbad:x:12a:\nshort:x:1\n";
        let (entries, diags) = parse_group(text, "g");
        assert!(entries.is_empty());
        assert_eq!(diags.len(), 3);
        assert!(diags[0].message.contains("gid"));
        assert!(diags[2].message.contains("expected 4"));
    }

    #[test]
    fn gshadow_basic() {
        let text = "root:*::\nsudo:!::alice,bob\nadm:$6$s$h:carol:carol,dave\nopen:::\n";
        let (entries, diags) = parse_gshadow(text, "/etc/gshadow");
        assert!(diags.is_empty());
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].password_state, PasswordState::NoLogin);
        assert_eq!(entries[1].members, vec!["alice", "bob"]);
        assert!(entries[1].admins.is_empty());
        assert_eq!(
            entries[2],
            GshadowEntry {
                name: "adm".into(),
                password_state: PasswordState::Set,
                admins: vec!["carol".into()],
                members: vec!["carol".into(), "dave".into()],
                line: 3,
            }
        );
        assert_eq!(entries[3].password_state, PasswordState::Empty);
    }

    #[test]
    fn gshadow_malformed() {
        let (entries, diags) = parse_gshadow("a:!:\n:!::\nb:!:::\n", "gs");
        assert!(entries.is_empty());
        assert_eq!(diags.len(), 3);
        assert!(diags[1].message.contains("empty name"));
    }

    #[test]
    fn non_ascii_content_does_not_panic() {
        let (entries, diags) = parse_passwd(
            "jürgen:x:1001:1001:Jürgen Groß:/home/jürgen:/bin/sh\nü\n",
            "p",
        );
        assert_eq!(entries[0].name, "jürgen");
        assert_eq!(diags.len(), 1);
    }
}
