//! The options `Defaults` lines set: their names and types as sudo 1.9.13
//! declares them (`def_data.in`), how a value is checked and stored
//! (`parse_default_entry` and the `store_*` functions of `defaults.c`), and
//! the built-in values of sudo 1.9.13p3 as Debian 12 builds it (`sudo -V`).

use serde::Serialize;

/// How an option's value is read (`T_*` in sudo's `def_data.in`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Flag,
    Int,
    Uint,
    /// Minutes, with an optional fraction (`timestamp_timeout=2.5`).
    TimeSpec,
    Mode,
    Str,
    List,
    LogFacility,
    LogPriority,
    /// One of fixed words; the first is what `!option` selects.
    Tuple(&'static [&'static str]),
    /// `7d8h30m10s` or seconds.
    Timeout,
    Rlimit,
}

/// What a string value must look like (`T_PATH`, `T_CHPATH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRule {
    Any,
    Absolute,
    /// Absolute, `~...` or `*`.
    Chdir,
}

#[derive(Debug, Clone, Copy)]
pub struct OptionDef {
    pub name: &'static str,
    pub kind: Kind,
    /// `T_BOOL`: `!option` is allowed and unsets (or zeroes) the value.
    pub boolean: bool,
    pub path: PathRule,
    /// `T_SPACE`: a list value is one item, not split at blanks.
    pub whole: bool,
}

const fn def(name: &'static str, kind: Kind, boolean: bool) -> OptionDef {
    OptionDef {
        name,
        kind,
        boolean,
        path: PathRule::Any,
        whole: false,
    }
}

const fn path(name: &'static str, boolean: bool, rule: PathRule) -> OptionDef {
    OptionDef {
        name,
        kind: Kind::Str,
        boolean,
        path: rule,
        whole: false,
    }
}

use Kind::*;
use PathRule::{Absolute, Chdir};

const FLAG: Kind = Flag;

/// Every option sudoers 1.9.13 knows, in `def_data.in` order.
pub const OPTIONS: &[OptionDef] = &[
    def("syslog", LogFacility, true),
    def("syslog_goodpri", LogPriority, true),
    def("syslog_badpri", LogPriority, true),
    def("long_otp_prompt", FLAG, false),
    def("ignore_dot", FLAG, false),
    def("mail_always", FLAG, false),
    def("mail_badpass", FLAG, false),
    def("mail_no_user", FLAG, false),
    def("mail_no_host", FLAG, false),
    def("mail_no_perms", FLAG, false),
    def("mail_all_cmnds", FLAG, false),
    def("tty_tickets", FLAG, false),
    def("lecture", Tuple(&["never", "once", "always"]), true),
    path("lecture_file", true, Absolute),
    def("authenticate", FLAG, false),
    def("root_sudo", FLAG, false),
    def("log_host", FLAG, false),
    def("log_year", FLAG, false),
    def("shell_noargs", FLAG, false),
    def("set_home", FLAG, false),
    def("always_set_home", FLAG, false),
    def("path_info", FLAG, false),
    def("fqdn", FLAG, false),
    def("insults", FLAG, false),
    def("requiretty", FLAG, false),
    def("env_editor", FLAG, false),
    def("rootpw", FLAG, false),
    def("runaspw", FLAG, false),
    def("targetpw", FLAG, false),
    def("use_loginclass", FLAG, false),
    def("set_logname", FLAG, false),
    def("stay_setuid", FLAG, false),
    def("preserve_groups", FLAG, false),
    def("loglinelen", Uint, true),
    def("timestamp_timeout", TimeSpec, true),
    def("passwd_timeout", TimeSpec, true),
    def("passwd_tries", Uint, false),
    def("umask", Mode, true),
    path("logfile", true, Absolute),
    path("mailerpath", true, Absolute),
    def("mailerflags", Str, true),
    def("mailto", Str, true),
    def("mailfrom", Str, true),
    def("mailsub", Str, false),
    def("badpass_message", Str, false),
    path("lecture_status_dir", false, Absolute),
    path("timestampdir", false, Absolute),
    def("timestampowner", Str, false),
    def("exempt_group", Str, true),
    def("passprompt", Str, false),
    def("passprompt_override", FLAG, false),
    def("runas_default", Str, false),
    def("secure_path", Str, true),
    path("editor", false, Absolute),
    def("listpw", Tuple(&["never", "any", "all", "always"]), true),
    def("verifypw", Tuple(&["never", "all", "any", "always"]), true),
    def("noexec", FLAG, false),
    def("ignore_local_sudoers", FLAG, false),
    def("closefrom", Int, false),
    def("closefrom_override", FLAG, false),
    def("setenv", FLAG, false),
    def("env_reset", FLAG, false),
    def("env_check", List, true),
    def("env_delete", List, true),
    def("env_keep", List, true),
    def("role", Str, false),
    def("type", Str, false),
    path("env_file", true, Absolute),
    path("restricted_env_file", true, Absolute),
    def("sudoers_locale", Str, false),
    def("visiblepw", FLAG, false),
    def("pwfeedback", FLAG, false),
    def("fast_glob", FLAG, false),
    def("umask_override", FLAG, false),
    def("log_input", FLAG, false),
    def("log_stdin", FLAG, false),
    def("log_ttyin", FLAG, false),
    def("log_output", FLAG, false),
    def("log_stdout", FLAG, false),
    def("log_stderr", FLAG, false),
    def("log_ttyout", FLAG, false),
    def("compress_io", FLAG, false),
    def("use_pty", FLAG, false),
    def("group_plugin", Str, false),
    path("iolog_dir", false, Absolute),
    def("iolog_file", Str, false),
    def("set_utmp", FLAG, false),
    def("utmp_runas", FLAG, false),
    def("privs", Str, false),
    def("limitprivs", Str, false),
    def("exec_background", FLAG, false),
    def("pam_service", Str, false),
    def("pam_login_service", Str, false),
    def("pam_askpass_service", Str, false),
    def("pam_setcred", FLAG, false),
    def("pam_session", FLAG, false),
    def("pam_acct_mgmt", FLAG, false),
    def("maxseq", Str, false),
    def("use_netgroups", FLAG, false),
    def("sudoedit_checkdir", FLAG, false),
    def("sudoedit_follow", FLAG, false),
    def("always_query_group_plugin", FLAG, false),
    def("netgroup_tuple", FLAG, false),
    def("ignore_audit_errors", FLAG, false),
    def("ignore_iolog_errors", FLAG, false),
    def("ignore_logfile_errors", FLAG, false),
    def("match_group_by_gid", FLAG, false),
    def("syslog_maxlen", Uint, false),
    def("iolog_user", Str, true),
    def("iolog_group", Str, true),
    def("iolog_mode", Mode, false),
    def("fdexec", Tuple(&["never", "digest_only", "always"]), true),
    def("ignore_unknown_defaults", FLAG, false),
    def("command_timeout", Timeout, true),
    def("user_command_timeouts", FLAG, false),
    def("iolog_flush", FLAG, false),
    def("syslog_pid", FLAG, false),
    def(
        "timestamp_type",
        Tuple(&["global", "ppid", "tty", "kernel"]),
        false,
    ),
    def("authfail_message", Str, false),
    def("case_insensitive_user", FLAG, false),
    def("case_insensitive_group", FLAG, false),
    def("log_allowed", FLAG, false),
    def("log_denied", FLAG, false),
    def("log_servers", List, true),
    def("log_server_timeout", Timeout, true),
    def("log_server_keepalive", FLAG, false),
    path("log_server_cabundle", true, Absolute),
    path("log_server_peer_cert", true, Absolute),
    path("log_server_peer_key", true, Absolute),
    def("log_server_verify", FLAG, false),
    def("runas_allow_unknown_id", FLAG, false),
    def("runas_check_shell", FLAG, false),
    def("pam_ruser", FLAG, false),
    def("pam_rhost", FLAG, false),
    path("runcwd", true, Chdir),
    path("runchroot", true, Chdir),
    def("log_format", Tuple(&["sudo", "json"]), false),
    def("selinux", FLAG, false),
    path("admin_flag", true, Chdir),
    def("intercept", FLAG, false),
    def("log_subcmds", FLAG, false),
    def("log_exit_status", FLAG, false),
    def("intercept_authenticate", FLAG, false),
    def("intercept_allow_setid", FLAG, false),
    def("rlimit_as", Rlimit, true),
    def("rlimit_core", Rlimit, true),
    def("rlimit_cpu", Rlimit, true),
    def("rlimit_data", Rlimit, true),
    def("rlimit_fsize", Rlimit, true),
    def("rlimit_locks", Rlimit, true),
    def("rlimit_memlock", Rlimit, true),
    def("rlimit_nofile", Rlimit, true),
    def("rlimit_nproc", Rlimit, true),
    def("rlimit_rss", Rlimit, true),
    def("rlimit_stack", Rlimit, true),
    def("noninteractive_auth", FLAG, false),
    def("log_passwords", FLAG, false),
    OptionDef {
        name: "passprompt_regex",
        kind: List,
        boolean: true,
        path: PathRule::Any,
        whole: true,
    },
    def("intercept_type", Tuple(&["dso", "trace"]), false),
    def("intercept_verify", FLAG, false),
    def("apparmor_profile", Str, false),
];

/// The option named `name`, if sudoers knows it.
pub fn lookup(name: &str) -> Option<&'static OptionDef> {
    OPTIONS.iter().find(|d| d.name == name)
}

/// A value an option holds, as rules compare it: flags are booleans, an
/// option turned off with `!` (or never set, when it has no built-in value)
/// is `false`, numbers are numbers (`timestamp_timeout` in minutes,
/// timeouts in seconds), modes are four octal digits, lists are lists.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Number(f64),
    Text(String),
    List(Vec<String>),
}

/// The operator of one `Defaults` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// `option` or `option=value`.
    Set,
    /// `!option`.
    Negate,
    /// `option+=value`.
    Add,
    /// `option-=value`.
    Remove,
}

/// What a valid setting does to the option's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Replace the value.
    Set(Value),
    /// Add these items to a list (sudo keeps each item once).
    Add(Vec<String>),
    /// Remove these items from a list.
    Remove(Vec<String>),
}

impl Change {
    /// The value after this change, starting from `old`.
    pub fn apply(&self, old: Option<&Value>) -> Value {
        let list = || match old {
            Some(Value::List(items)) => items.clone(),
            _ => Vec::new(),
        };
        match self {
            Change::Set(v) => v.clone(),
            Change::Add(items) => {
                let mut out = list();
                for item in items {
                    if !out.contains(item) {
                        out.push(item.clone());
                    }
                }
                Value::List(out)
            }
            Change::Remove(items) => {
                let mut out = list();
                out.retain(|i| !items.contains(i));
                Value::List(out)
            }
        }
    }
}

/// Checks one setting as `parse_default_entry` does and says what it
/// changes, or why sudo rejects it (visudo reports it; sudo ignores it).
pub fn check(name: &str, op: Op, value: Option<&str>) -> Result<Change, String> {
    let Some(def) = lookup(name) else {
        return Err(format!("unknown defaults entry \"{name}\""));
    };
    let negated = op == Op::Negate;
    if value.is_none() {
        let allowed = match def.kind {
            Flag | LogFacility => true,
            Tuple(_) if def.boolean => true,
            _ => def.boolean && negated,
        };
        if !allowed {
            return Err(format!("no value specified for \"{name}\""));
        }
    }
    if matches!(op, Op::Add | Op::Remove) && def.kind != List {
        let sign = if op == Op::Add { '+' } else { '-' };
        return Err(format!("invalid operator \"{sign}=\" for \"{name}\""));
    }
    let invalid = || {
        format!(
            "value \"{}\" is invalid for option \"{name}\"",
            value.unwrap_or_default()
        )
    };
    let change = match (def.kind, value) {
        (Flag, Some(_)) => return Err(format!("option \"{name}\" does not take a value")),
        (Flag, None) => Change::Set(Value::Bool(!negated)),
        (LogFacility, None) if negated => Change::Set(Value::Bool(false)),
        (LogFacility, v) => {
            let v = v.unwrap_or("authpriv");
            if !FACILITIES.contains(&v) {
                return Err(invalid());
            }
            Change::Set(Value::Text(v.to_string()))
        }
        (LogPriority, None) => Change::Set(Value::Bool(false)),
        (LogPriority, Some(v)) => {
            if !PRIORITIES.contains(&v) {
                return Err(invalid());
            }
            Change::Set(Value::Text(v.to_string()))
        }
        (Str, None) => Change::Set(Value::Bool(false)),
        (Str, Some(v)) => {
            check_path(def, v)?;
            Change::Set(Value::Text(v.to_string()))
        }
        (Int, None) | (Uint, None) | (Timeout, None) => Change::Set(Value::Int(0)),
        (Int, Some(v)) => Change::Set(Value::Int(
            strtonum(v, i64::from(i32::MIN), i64::from(i32::MAX)).ok_or_else(invalid)?,
        )),
        (Uint, Some(v)) => Change::Set(Value::Int(
            strtonum(v, 0, i64::from(u32::MAX)).ok_or_else(invalid)?,
        )),
        (TimeSpec, None) => Change::Set(Value::Number(0.0)),
        (TimeSpec, Some(v)) => Change::Set(Value::Number(timespec_minutes(v).ok_or_else(invalid)?)),
        (Mode, None) => Change::Set(Value::Text("0777".into())),
        (Mode, Some(v)) => Change::Set(Value::Text(format!(
            "{:04o}",
            strtomode(v).ok_or_else(invalid)?
        ))),
        (List, None) => Change::Set(Value::List(Vec::new())),
        (List, Some(v)) => {
            let items: Vec<String> = if def.whole {
                vec![v.to_string()]
            } else {
                v.split([' ', '\t'])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            match op {
                Op::Add => Change::Add(items),
                Op::Remove => Change::Remove(items),
                // `=` replaces the list: sudo empties it, then adds.
                _ => Change::Set(Change::Add(items).apply(None)),
            }
        }
        (Tuple(words), None) => Change::Set(Value::Text(
            words[usize::from(!negated).min(words.len() - 1)].to_string(),
        )),
        (Tuple(words), Some(v)) => {
            if !words.contains(&v) {
                return Err(invalid());
            }
            Change::Set(Value::Text(v.to_string()))
        }
        (Timeout, Some(v)) => {
            Change::Set(Value::Int(i64::from(parse_timeout(v).ok_or_else(invalid)?)))
        }
        (Rlimit, None) => Change::Set(Value::Bool(false)),
        (Rlimit, Some(v)) => {
            if !valid_rlimit(v) {
                return Err(invalid());
            }
            Change::Set(Value::Text(v.to_string()))
        }
    };
    Ok(change)
}

/// `valid_path` of defaults.c.
fn check_path(def: &OptionDef, v: &str) -> Result<(), String> {
    const PATH_MAX: usize = 4096;
    if def.path == PathRule::Any {
        return Ok(());
    }
    if v.len() >= PATH_MAX {
        return Err(format!("path name for \"{}\" too long", def.name));
    }
    let ok = match def.path {
        PathRule::Chdir => v.starts_with('/') || v.starts_with('~') || v == "*",
        _ => v.starts_with('/'),
    };
    if ok {
        Ok(())
    } else if def.path == PathRule::Chdir {
        Err(format!(
            "values for \"{}\" must start with a '/', '~', or '*'",
            def.name
        ))
    } else {
        Err(format!("values for \"{}\" must start with a '/'", def.name))
    }
}

const FACILITIES: &[&str] = &[
    "authpriv", "auth", "daemon", "user", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

const PRIORITIES: &[&str] = &[
    "alert", "crit", "debug", "emerg", "err", "info", "notice", "warning", "none",
];

/// Leading blanks as C's `isspace` sees them.
fn skip_space(s: &str) -> &str {
    s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c'])
}

/// `sudo_strtonum`: optional blanks and sign, decimal digits, nothing after.
fn strtonum(s: &str, min: i64, max: i64) -> Option<i64> {
    let s = skip_space(s);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut n: i64 = 0;
    for b in digits.bytes() {
        n = n.checked_mul(10)?.checked_add(i64::from(b - b'0'))?;
    }
    let n = if neg { -n } else { n };
    (min..=max).contains(&n).then_some(n)
}

/// C's `strtol` in a base: blanks, sign, digits; the value and the rest.
fn strtol(s: &str, radix: u32) -> Option<(i64, &str)> {
    let t = skip_space(s);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = rest
        .char_indices()
        .find(|(_, c)| !c.is_digit(radix))
        .map_or(rest.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    // Saturates like strtol; callers reject what is out of their range.
    let mut n: i64 = 0;
    for c in rest[..end].chars() {
        n = n
            .saturating_mul(i64::from(radix))
            .saturating_add(i64::from(c.to_digit(radix).unwrap_or(0)));
    }
    Some((if neg { -n } else { n }, &rest[end..]))
}

/// `sudo_strtomode`: octal, whole string, 0 to 0777.
fn strtomode(s: &str) -> Option<u32> {
    let (n, rest) = strtol(s, 8)?;
    (rest.is_empty() && (0..=0o777).contains(&n)).then_some(n as u32)
}

/// `store_timespec`: minutes with an optional sign and fraction (at most
/// nine fractional digits are read), as a number of minutes.
fn timespec_minutes(s: &str) -> Option<f64> {
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    if !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut secs: i64 = 0;
    for b in int.bytes() {
        secs = secs
            .checked_mul(10)?
            .checked_add(i64::from(b - b'0') * 60)?;
    }
    let mut nanos: i64 = 0;
    if let Some(frac) = frac {
        let mut unit = 100_000_000i64;
        for b in frac.bytes() {
            if unit == 0 {
                break;
            }
            if !b.is_ascii_digit() {
                return None;
            }
            nanos += unit * i64::from(b - b'0') * 60;
            unit /= 10;
        }
    }
    let minutes = (secs as f64 + nanos as f64 / 1e9) / 60.0;
    Some(if neg { -minutes } else { minutes })
}

/// `parse_timeout`: `[Nd][Nh][Nm][Ns]` or plain seconds, at most `INT_MAX`.
pub fn parse_timeout(s: &str) -> Option<i32> {
    const UNITS: &[u8] = b"dhms";
    let max = i64::from(i32::MAX);
    let mut rest = s;
    let mut total: i64 = 0;
    let mut idx = 0;
    loop {
        let (mut n, after) = strtol(rest, 10)?;
        if !(0..=max).contains(&n) {
            return None;
        }
        rest = after;
        if let Some(c) = rest.chars().next() {
            let c = c.to_ascii_lowercase();
            rest = &rest[c.len_utf8()..];
            while UNITS.get(idx).map(|u| char::from(*u)) != Some(c) {
                idx += 1;
                if idx >= UNITS.len() {
                    return None;
                }
            }
            let mul = match c {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                _ => 1,
            };
            if n > max / mul {
                return None;
            }
            n *= mul;
            if n > max - total {
                return None;
            }
        }
        total += n;
        if total > max {
            return None;
        }
        if rest.is_empty() {
            return Some(total as i32);
        }
    }
}

/// `store_rlimit`: `default`, `user`, or a soft and an optional hard limit,
/// each a number or `infinity` (visudo does not compare them).
fn valid_rlimit(v: &str) -> bool {
    if v == "default" || v == "user" {
        return true;
    }
    let limit = |s: &str| {
        s == "infinity"
            || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && s.parse::<u64>().is_ok())
    };
    match v.split_once(',') {
        None => limit(v),
        Some((soft, hard)) => limit(soft) && limit(hard),
    }
}

/// The value sudo 1.9.13p3 as built by Debian 12 gives an option that no
/// `Defaults` line sets (what `sudo -V` prints for an empty sudoers), for
/// the options whose built-in value does not depend on the host.
pub fn builtin(name: &str) -> Option<Value> {
    const ON: &[&str] = &[
        "mail_no_user",
        "authenticate",
        "root_sudo",
        "path_info",
        "fqdn",
        "env_editor",
        "set_logname",
        "env_reset",
        "compress_io",
        "set_utmp",
        "pam_setcred",
        "pam_session",
        "pam_acct_mgmt",
        "use_netgroups",
        "sudoedit_checkdir",
        "ignore_audit_errors",
        "ignore_logfile_errors",
        "case_insensitive_user",
        "case_insensitive_group",
        "log_allowed",
        "log_denied",
        "log_server_keepalive",
        "log_server_verify",
        "pam_ruser",
        "selinux",
        "intercept_allow_setid",
        "log_passwords",
        "intercept_verify",
    ];
    let text = |s: &str| Some(Value::Text(s.to_string()));
    let def = lookup(name)?;
    if def.kind == Flag {
        return Some(Value::Bool(ON.contains(&name)));
    }
    match name {
        "timestamp_timeout" => Some(Value::Number(15.0)),
        "passwd_timeout" => Some(Value::Number(0.0)),
        "passwd_tries" => Some(Value::Int(3)),
        "loglinelen" => Some(Value::Int(80)),
        "closefrom" => Some(Value::Int(3)),
        "syslog_maxlen" => Some(Value::Int(960)),
        "log_server_timeout" => Some(Value::Int(30)),
        "umask" => text("0022"),
        "iolog_mode" => text("0600"),
        "syslog" => text("authpriv"),
        "syslog_goodpri" => text("notice"),
        "syslog_badpri" => text("alert"),
        "runas_default" => text("root"),
        "mailerpath" => text("/usr/sbin/sendmail"),
        "mailerflags" => text("-t"),
        "mailto" => text("root"),
        "editor" => text("/usr/bin/editor"),
        "timestampdir" => text("/run/sudo/ts"),
        "iolog_dir" => text("/var/log/sudo-io"),
        "iolog_file" => text("%{seq}"),
        "pam_service" => text("sudo"),
        "pam_login_service" => text("sudo-i"),
        "sudoers_locale" => text("C"),
        "listpw" => text("any"),
        "verifypw" => text("all"),
        "fdexec" => text("digest_only"),
        "timestamp_type" => text("tty"),
        "log_format" => text("sudo"),
        "intercept_type" => text("trace"),
        "logfile"
        | "secure_path"
        | "exempt_group"
        | "lecture_file"
        | "mailfrom"
        | "env_file"
        | "restricted_env_file" => Some(Value::Bool(false)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(name: &str, v: &str) -> Result<Change, String> {
        check(name, Op::Set, Some(v))
    }

    #[test]
    fn flags_take_no_value_and_negate() {
        assert_eq!(
            check("use_pty", Op::Set, None),
            Ok(Change::Set(Value::Bool(true)))
        );
        assert_eq!(
            check("use_pty", Op::Negate, None),
            Ok(Change::Set(Value::Bool(false)))
        );
        assert!(set("use_pty", "yes")
            .unwrap_err()
            .contains("does not take a value"));
        assert!(check("bogus", Op::Set, None)
            .unwrap_err()
            .contains("unknown"));
    }

    #[test]
    fn strings_need_a_value_unless_negated_and_boolean() {
        assert_eq!(
            check("secure_path", Op::Negate, None),
            Ok(Change::Set(Value::Bool(false)))
        );
        assert!(check("secure_path", Op::Set, None).is_err());
        assert!(check("mailsub", Op::Negate, None).is_err());
        assert!(set("logfile", "relative").is_err());
        assert!(set("logfile", "/var/log/sudo.log").is_ok());
        assert!(set("runcwd", "*").is_ok());
        assert!(set("runcwd", "~x").is_ok());
        assert!(set("runcwd", "x").is_err());
    }

    #[test]
    fn numbers_modes_and_times() {
        assert_eq!(
            set("timestamp_timeout", "2.5"),
            Ok(Change::Set(Value::Number(2.5)))
        );
        assert_eq!(
            set("timestamp_timeout", "-1"),
            Ok(Change::Set(Value::Number(-1.0)))
        );
        assert_eq!(
            set("timestamp_timeout", "-"),
            Ok(Change::Set(Value::Number(0.0)))
        );
        assert!(set("timestamp_timeout", "abc").is_err());
        assert!(set("timestamp_timeout", "1.2.3").is_err());
        assert_eq!(
            set("umask", "077"),
            Ok(Change::Set(Value::Text("0077".into())))
        );
        assert_eq!(
            set("umask", "+7"),
            Ok(Change::Set(Value::Text("0007".into())))
        );
        assert!(set("umask", "999").is_err());
        assert!(set("umask", "01000").is_err());
        assert_eq!(
            check("umask", Op::Negate, None),
            Ok(Change::Set(Value::Text("0777".into())))
        );
        assert_eq!(set("passwd_tries", "+3"), Ok(Change::Set(Value::Int(3))));
        assert!(set("passwd_tries", "-1").is_err());
        assert!(check("loglinelen", Op::Set, None).is_err());
        assert!(check("closefrom", Op::Negate, None).is_err());
        assert_eq!(parse_timeout("1h30"), Some(3630));
        assert_eq!(
            parse_timeout("7d8h30m10s"),
            Some(7 * 86400 + 8 * 3600 + 1810)
        );
        assert_eq!(parse_timeout("30s10m"), None);
        assert_eq!(parse_timeout("x"), None);
    }

    #[test]
    fn lists_split_and_fold() {
        let assign = set("env_keep", "A B").unwrap();
        let list = assign.apply(None);
        assert_eq!(list, Value::List(vec!["A".into(), "B".into()]));
        let add = check("env_keep", Op::Add, Some("B C")).unwrap();
        let list = add.apply(Some(&list));
        assert_eq!(list, Value::List(vec!["A".into(), "B".into(), "C".into()]));
        let rm = check("env_keep", Op::Remove, Some("A")).unwrap();
        assert_eq!(
            rm.apply(Some(&list)),
            Value::List(vec!["B".into(), "C".into()])
        );
        assert!(check("use_pty", Op::Add, Some("x")).is_err());
        assert!(check("env_keep", Op::Set, None).is_err());
    }

    #[test]
    fn tuples_rlimits_and_syslog() {
        assert!(set("lecture", "yes").is_err());
        assert!(set("lecture", "always").is_ok());
        assert!(check("lecture", Op::Set, None).is_ok());
        assert!(set("rlimit_core", "1,2").is_ok());
        assert!(set("rlimit_core", "7,5").is_ok());
        assert!(set("rlimit_core", "7,").is_err());
        assert!(set("rlimit_core", "5,user").is_err());
        assert!(set("rlimit_core", "5,infinity").is_ok());
        assert!(check("syslog", Op::Set, None).is_ok());
        assert!(set("syslog", "mail").is_err());
        assert!(check("syslog_goodpri", Op::Negate, None).is_ok());
    }
}
