//! posture's sudoers fact against sudo's own tools, on generated trees.
//!
//! Each case writes a sudoers tree (a main file, an included file, a
//! sudoers.d directory with names sudo reads and names it skips) into a
//! temporary directory, then requires:
//! - `valid` equal to `visudo -c -f MAIN` succeeding;
//! - when `cvtsudoers` can convert the tree (`-f json`, which expands the
//!   includes): the Defaults settings of each binding type (`-d TYPE`),
//!   the aliases and every command of the user specifications (`-s
//!   defaults`) equal to posture's, and, for a valid tree, the global value
//!   of every option equal to the last global setting of it that
//!   cvtsudoers lists (lists folded with `=`, `+=`, `-=`).
//!
//! Skipped when the tools are missing, unless POSTURE_REQUIRE_ORACLES=1.

use posture::facts::sudoers::{
    self, options, BindingKind, Files, Item, Member, ReadOptions, Stat, Sudoers, Text,
};
use posture::target::FileType;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const CASES: u32 = 400;

fn tool(name: &str) -> Option<String> {
    ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| format!("{d}/{name}"))
        .find(|p| Path::new(p).exists())
}

/// The host's files, as sudo sees them (no root remapping).
struct HostFiles;

impl Files for HostFiles {
    fn read(&mut self, path: &str) -> Result<Option<Text>, String> {
        match std::fs::read(path) {
            Ok(b) => Ok(Some(Text {
                text: String::from_utf8_lossy(&b).into_owned(),
                truncated: false,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn stat(&mut self, path: &str) -> Result<Option<Stat>, String> {
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(Stat {
                file_type: if m.is_dir() {
                    FileType::Directory
                } else if m.is_file() {
                    FileType::File
                } else {
                    FileType::Fifo
                },
                uid: m.uid(),
                gid: m.gid(),
                mode: m.mode() & 0o7777,
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn list(&mut self, dir: &str) -> Result<Option<Vec<String>>, String> {
        match std::fs::read_dir(dir) {
            Ok(it) => Ok(Some(
                it.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect(),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

// ------------------------------------------------------------ generator

fn pick(items: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(items)
        .prop_map(str::to_string)
        .boxed()
}

fn negatable(items: &'static [&'static str]) -> BoxedStrategy<String> {
    (pick(&["", "", "", "!", "!!", "!!!"]), pick(items))
        .prop_map(|(n, i)| format!("{n}{i}"))
        .boxed()
}

/// Separators between list items: blanks, none, or a line continuation.
fn sep(item: &'static str) -> BoxedStrategy<String> {
    pick(match item {
        "," => &[", ", ",", " , ", ",\t", ", \\\n    ", " ,\\\n"],
        ":" => &[" : ", ":", " :\\\n  "],
        _ => &[" ", "\t", "  ", " \\\n\t"],
    })
}

fn list(item: BoxedStrategy<String>, max: usize) -> BoxedStrategy<String> {
    prop::collection::vec((item, sep(",")), 1..=max)
        .prop_map(|v| {
            let n = v.len();
            v.into_iter()
                .enumerate()
                .map(|(i, (it, s))| if i + 1 < n { it + &s } else { it })
                .collect()
        })
        .boxed()
}

const USERS: &[&str] = &[
    "root",
    "alice",
    "bob",
    "#1000",
    "%sudo",
    "%#27",
    "%:ad",
    "%:#5",
    "+netg",
    "ALL",
    "ADMINS",
    "\"%sudo users\"",
    "al\\,ice",
    "bo\\x62",
    "\"bob smith\"",
    "u.name",
    "OPS",
];
const HOSTS: &[&str] = &[
    "ALL",
    "web1",
    "10.0.0.0/8",
    "192.168.1.1",
    "10.1.0.0/255.255.0.0",
    "fe80::1",
    "+hostng",
    "SERVERS",
    "db-2.example.com",
    "*.example.com",
];
const RUNAS: &[&str] = &[
    "",
    "",
    "",
    "(ALL)",
    "(ALL:ALL)",
    "(ALL : ALL)",
    "(root)",
    "(:wheel)",
    "()",
    "(:)",
    "(OPS, bob : wheel, #10)",
    "(!root)",
    "(#0)",
    "(OPS)",
    "(: GRP)",
];
const OPTIONS: &[&str] = &[
    "",
    "",
    "",
    "",
    "CWD=/tmp ",
    "CWD=* ",
    "CWD=~ ",
    "CHROOT=/srv ",
    "TIMEOUT=5m ",
    "TIMEOUT=1h30m ",
    "NOTBEFORE=20200101120000Z ",
    "NOTAFTER=20301231235959Z ",
    "ROLE=sysadm_r TYPE=sysadm_t ",
    "CWD=/tmp TIMEOUT=30 ",
];
const TAGS: &[&str] = &[
    "NOPASSWD",
    "PASSWD",
    "NOEXEC",
    "EXEC",
    "SETENV",
    "NOSETENV",
    "LOG_INPUT",
    "NOLOG_INPUT",
    "LOG_OUTPUT",
    "NOLOG_OUTPUT",
    "MAIL",
    "NOMAIL",
    "FOLLOW",
    "NOFOLLOW",
    "INTERCEPT",
    "NOINTERCEPT",
];
const COMMANDS: &[&str] = &[
    "ALL",
    "ALL",
    "/bin/ls",
    "/bin/ls -l *",
    "/usr/bin/",
    "sudoedit /etc/motd",
    "sudoedit",
    "list",
    "^/usr/bin/(a|b)$",
    "/bin/echo a\\,b\\:c\\=d",
    "/bin/echo \\\"x\\\" \\*",
    "/bin/sh \"\"",
    "/usr/bin/passwd ^[a-z]+$",
    "CMDS",
    "SHELLS",
    "/usr/bin/apt-get update",
    "/bin/kill -HUP 1",
    "/opt/a\\ b/run",
    "/bin/x\\#y",
];
const DIGESTS: &[&str] = &[
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 ",
    "sha224:d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f, sha224:d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f ",
    "sha512:z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg== ",
];

fn command() -> BoxedStrategy<String> {
    prop_oneof![
        6 => negatable(COMMANDS),
        1 => (pick(DIGESTS), negatable(&["/bin/true", "ALL", "/usr/bin/"]))
            .prop_map(|(d, c)| d + &c),
    ]
    .boxed()
}

fn cmndspec() -> BoxedStrategy<String> {
    (
        pick(RUNAS),
        pick(OPTIONS),
        prop::collection::vec((pick(TAGS), pick(&[":", ": ", " :"])), 0..3),
        command(),
    )
        .prop_map(|(r, o, tags, c)| {
            let tags: String = tags.into_iter().map(|(t, s)| t + &s + " ").collect();
            let r = if r.is_empty() { r } else { r + " " };
            format!("{r}{o}{tags}{c}")
        })
        .boxed()
}

fn user_spec() -> BoxedStrategy<String> {
    let privilege = (
        list(negatable(HOSTS), 2),
        pick(&[" = ", "=", " =\t"]),
        list(cmndspec(), 3),
    )
        .prop_map(|(h, eq, c)| format!("{h}{eq}{c}"));
    (
        list(negatable(USERS), 3),
        sep(" "),
        prop::collection::vec((privilege, sep(":")), 1..3),
    )
        .prop_map(|(u, s, privs)| {
            let n = privs.len();
            let p: String = privs
                .into_iter()
                .enumerate()
                .map(|(i, (p, s))| if i + 1 < n { p + &s } else { p })
                .collect();
            format!("{u}{s}{p}")
        })
        .boxed()
}

const SETTINGS: &[&str] = &[
    "use_pty",
    "!use_pty",
    "!!use_pty",
    "noexec",
    "!noexec",
    "authenticate",
    "!authenticate",
    "env_reset",
    "!env_reset",
    "ignore_dot",
    "!ignore_dot",
    "requiretty",
    "logfile=/var/log/sudo.log",
    "logfile=\"/var/log/sudo io.log\"",
    "!logfile",
    "secure_path=/usr/sbin:/usr/bin",
    "secure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"",
    "!secure_path",
    "umask=0077",
    "umask=077",
    "umask=0022",
    "!umask",
    "umask=0777",
    "timestamp_timeout=15",
    "timestamp_timeout=2.5",
    "timestamp_timeout=-1",
    "timestamp_timeout=60",
    "!timestamp_timeout",
    "passwd_tries=3",
    "env_keep+=\"A B\"",
    "env_keep-=A",
    "env_keep=\"PATH HOME\"",
    "env_keep += TZ",
    "!env_keep",
    "env_delete+=LD_PRELOAD",
    "lecture=always",
    "!lecture",
    "lecture",
    "syslog=auth",
    "syslog",
    "command_timeout=5m",
    "rlimit_core=\"1,2\"",
    "rlimit_core=infinity",
    "mailsub=\"*** alert ***\"",
    "closefrom=5",
    "runcwd=*",
    "log_output",
    "passprompt=\"pw for %p:\"",
    "badpass_message=\"x \\\"y\\\" z\\\\q\"",
    "exempt_group=adm",
    "secure_path=a\\,b",
    "iolog_dir=/var/log/sudo-io/%{user}",
    // A line continued inside a quoted string.
    "env_keep=\"A \\\n    B\"",
    "env_check+=\"TZ\tLANG\"",
    "passprompt_regex=\"a b\"",
];
/// Settings visudo rejects (and sudo ignores).
const BAD_SETTINGS: &[&str] = &[
    "logfile=relative",
    "umask=999",
    "timestamp_timeout=abc",
    "passwd_tries=-1",
    "lecture=yes",
    "bogus_option",
    "!mailsub",
    "runcwd=x",
    "use_pty=yes",
    "env_keep",
    "passwd_tries+=3",
];
const BINDINGS: &[&str] = &[
    "",
    "",
    "",
    "",
    ":alice",
    ":%sudo,bob",
    ":ADMINS",
    ":!bob",
    "@web1",
    "@SERVERS",
    "@10.0.0.0/8",
    ">root",
    ">OPS",
    ">ALL",
    "!/bin/ls",
    "!CMDS",
    "!sudoedit",
    "!ALL",
    ": alice",
    "@ web1",
];

fn setting(clean: bool) -> BoxedStrategy<String> {
    if clean {
        pick(SETTINGS)
    } else {
        prop_oneof![3 => pick(SETTINGS), 1 => pick(BAD_SETTINGS)].boxed()
    }
}

fn defaults_line(clean: bool) -> BoxedStrategy<String> {
    (
        pick(&["Defaults", "Defaults", "  Defaults", "\tDefaults"]),
        pick(BINDINGS),
        pick(&[" ", "\t", "  "]),
        list(setting(clean), 3),
    )
        .prop_map(|(d, b, s, l)| format!("{d}{b}{s}{l}"))
        .boxed()
}

const ALIASES: &[&str] = &[
    "User_Alias ADMINS = alice, %sudo",
    "User_Alias EVERYONE = ALL, !guest",
    "Runas_Alias OPS = root, bob : GRP = wheel, #10",
    "Host_Alias SERVERS = web1, 10.0.0.0/8, +ng",
    "Cmnd_Alias CMDS = /bin/ls, !/bin/rm, sudoedit /etc/hosts",
    "Cmd_Alias SHELLS = /bin/sh, /bin/bash",
    "Cmnd_Alias ANYTHING = ALL",
    "Cmnd_Alias DIG = sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 /bin/true",
    "User_Alias A1 = x : A2 = y, A1",
];
const INCLUDES: &[&str] = &[
    "@includedir sudoers.d",
    "#includedir sudoers.d",
    "@includedir {ROOT}/etc/sudoers.d",
    "@include sudoers.local",
    "#include sudoers.local",
    "@include \"sudoers.local\"",
    "#include {ROOT}/etc/sudoers.local",
    "@includedir nodir",
    "@include sudoers.%h",
];
const OTHER: &[&str] = &[
    "# a comment",
    "#",
    "  # indented comment",
    "",
    "#Defaults use_pty",
    "#includedir-not",
    "root ALL=(ALL:ALL) ALL # trailing comment",
    "%sudo ALL=(ALL:ALL) ALL",
    "Defaults use_pty # trailing comment",
    "Defaults:#0 use_pty",
    "Defaults:\"bob smith\" !requiretty",
    "Defaults@!web1,SERVERS\tlog_output",
    "Host_Alias H2 = !web1, \\\n  db-2.example.com",
    "Defaults!sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 /bin/true noexec",
];
/// Lines visudo rejects.
const JUNK: &[&str] = &[
    "alice ALL = (",
    "Defaults !use_pty=1",
    "bogus line here",
    "Defaults x=\"\"",
    "User_Alias lower = x",
    "alice ALL = /bin/ls, \\",
    "Defaults:alice",
    "User_Alias ADMINS = bob",
    "@include nothere",
];

/// Fragments that stress the lexer: quotes, escapes, comments, `!` runs,
/// continuations, keywords glued to words.
const SOUP: &[&str] = &[
    " ",
    "\t",
    "  ",
    ",",
    ", ",
    ":",
    " : ",
    "=",
    " = ",
    "+=",
    "-=",
    "!",
    "!!",
    "(",
    ")",
    "\"",
    "\\",
    "\\ ",
    "\\,",
    "\\\n",
    " \\\n ",
    "#",
    "# c",
    "#12",
    "#-1",
    "%",
    "%:",
    "%g",
    "+n",
    "ALL",
    "ALLx",
    "ALL_X",
    "root",
    "alice",
    "web1",
    "10.0.0.1",
    "::1",
    "a:b:c",
    "/bin/ls",
    "/bin/ls -l",
    "/dir/",
    "^/bin/(a|b)$",
    "^x",
    "$",
    "sudoedit",
    "list",
    "NOPASSWD:",
    "NOPASSWD :",
    "PASSWD",
    "EXEC:",
    "Defaults",
    "Defaults:",
    "Defaults!",
    "use_pty",
    "umask",
    "=077",
    "\"a b\"",
    "\"\"",
    "\\x41",
    "\\x4",
    "CMDS",
    "User_Alias",
    "Cmnd_Alias",
    "TIMEOUT=5",
    "CWD=/x",
    "sha256:",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "@include",
    "@includedir",
    "x.y",
    "\r",
];

fn soup_line() -> BoxedStrategy<String> {
    (
        pick(&[
            "",
            "",
            "alice ALL = ",
            "Defaults ",
            "Defaults:alice ",
            "Cmnd_Alias X = ",
            "  ",
        ]),
        prop::collection::vec(pick(SOUP), 1..10),
    )
        .prop_map(|(start, parts)| start + &parts.concat())
        .boxed()
}

fn line(includes: bool, clean: bool) -> BoxedStrategy<String> {
    let mut options = vec![
        (4, user_spec()),
        (4, defaults_line(clean)),
        (2, pick(ALIASES)),
        (2, pick(OTHER)),
    ];
    if includes {
        options.push((2, pick(INCLUDES)));
    }
    if !clean {
        options.push((1, pick(JUNK)));
        options.push((3, soup_line()));
    }
    proptest::strategy::Union::new_weighted(options).boxed()
}

fn file(includes: bool, clean: bool, max: usize) -> BoxedStrategy<String> {
    (
        prop::collection::vec(line(includes, clean), 0..max),
        any::<u8>(),
    )
        .prop_map(|(lines, bits)| {
            let mut text = lines.join("\n");
            // Most files end with a newline; some do not.
            if bits % 5 != 0 {
                text.push('\n');
            }
            if bits % 11 == 0 {
                text = text.replace('\n', "\r\n");
            }
            text
        })
        .boxed()
}

#[derive(Debug, Clone)]
struct Tree {
    main: String,
    local: Option<String>,
    /// `sudoers.HOST`, for `@include sudoers.%h`.
    for_host: Option<String>,
    /// The main file includes itself once at its end: a loop that sudo
    /// ends 144 levels deep (two such lines would make 2^144 reads, for
    /// visudo as well).
    loops: bool,
    dropins: Vec<(String, String)>,
}

fn tree_of(clean: bool) -> BoxedStrategy<Tree> {
    (
        file(true, clean, 10),
        prop::option::of(file(false, clean, 5)),
        prop::option::of(file(false, clean, 3)),
        prop::collection::vec(
            (
                pick(&[
                    "10-a", "20-b", "30.bak", "40~", "README", "5-c", "x.y", "90-z",
                ]),
                file(false, clean, 4),
            ),
            0..4,
        ),
        proptest::bool::weighted(if clean { 0.0 } else { 0.05 }),
    )
        .prop_map(|(main, local, for_host, dropins, loops)| Tree {
            main,
            local,
            for_host,
            dropins,
            loops,
        })
        .boxed()
}

/// Trees without deliberate errors (duplicate aliases and the odd
/// combination still make some invalid), and trees with them.
fn tree() -> impl Strategy<Value = Tree> {
    prop_oneof![3 => tree_of(true), 2 => tree_of(false)]
}

// ----------------------------------------------------- the tools' views

fn run(cmd: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(cmd).args(args).output().expect("run tool");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// cvtsudoers prints some options as bare `"key": value` array elements;
/// make them objects so the output parses.
fn fix_json(text: &str) -> String {
    let re = regex::Regex::new(
        r#"(?m)^(\s*)("(?:runcwd|runchroot|role|type)": (?:"(?:[^"\\]|\\.)*"|[^,\n]*))(,?)$"#,
    )
    .unwrap();
    re.replace_all(text, "$1{ $2 }$3").into_owned()
}

fn json(cvt: &str, args: &[&str]) -> Result<Value, String> {
    let (ok, out, err) = run(cvt, args);
    if !ok {
        return Err(err);
    }
    if out.trim().is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_str(&fix_json(&out)).map_err(|e| format!("{e}: {out}"))
}

// ------------------------------------------------ posture in that shape

fn is_id(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse::<u64>().ok())
        .flatten()
        .filter(|n| *n < u64::from(u32::MAX))
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    User,
    Runas,
    Group,
    Host,
    Cmnd,
}

fn member(m: &Member, ctx: Ctx) -> Value {
    let mut o = Map::new();
    let (k, v): (&str, Value) = match (&m.item, ctx) {
        (Item::All, Ctx::Host) => ("hostname", json!("ALL")),
        (Item::All, Ctx::Cmnd) => ("command", json!("ALL")),
        (Item::All, Ctx::Group) => ("usergroup", json!("ALL")),
        (Item::All, _) => ("username", json!("ALL")),
        (Item::Alias(a), Ctx::User) => ("useralias", json!(a)),
        (Item::Alias(a), Ctx::Runas | Ctx::Group) => ("runasalias", json!(a)),
        (Item::Alias(a), Ctx::Host) => ("hostalias", json!(a)),
        (Item::Alias(a), Ctx::Cmnd) => ("cmndalias", json!(a)),
        (Item::Name(n), Ctx::Host) => ("hostname", json!(n)),
        // cvtsudoers prints runas groups by name, `#gid` included.
        (Item::Name(n), Ctx::Group) => ("usergroup", json!(n)),
        (Item::Name(n), _) => match n.strip_prefix('#').and_then(is_id) {
            Some(id) => ("userid", json!(id)),
            None => ("username", json!(n)),
        },
        (Item::Group(g), _) => {
            if let Some(rest) = g.strip_prefix("%:#").and_then(is_id) {
                ("nonunixgid", json!(rest))
            } else if let Some(rest) = g.strip_prefix("%:") {
                ("nonunixgroup", json!(rest))
            } else if let Some(rest) = g.strip_prefix("%#").and_then(is_id) {
                ("usergid", json!(rest))
            } else {
                ("usergroup", json!(&g[1..]))
            }
        }
        (Item::Netgroup(n), _) => ("netgroup", json!(&n[1..])),
        (Item::Network(a), _) => ("networkaddr", json!(a)),
        (Item::Myself, _) => ("username", json!("")),
        (Item::Command { .. }, _) => ("command", json!(m.item.to_string())),
    };
    o.insert(k.into(), v);
    for d in &m.digests {
        o.insert(d.algorithm.clone(), json!(d.value));
    }
    if m.negated {
        o.insert("negated".into(), json!(true));
    }
    Value::Object(o)
}

fn members(list: &[Member], ctx: Ctx) -> Value {
    Value::Array(list.iter().map(|m| member(m, ctx)).collect())
}

fn binding_ctx(b: BindingKind) -> Ctx {
    match b {
        BindingKind::Host => Ctx::Host,
        BindingKind::Command => Ctx::Cmnd,
        BindingKind::Runas => Ctx::Runas,
        _ => Ctx::User,
    }
}

/// One Defaults setting as cvtsudoers prints it (`None`: it prints
/// nothing, for an unknown option).
fn option_json(name: &str, op: options::Op, value: Option<&str>) -> Option<Value> {
    let def = options::lookup(name)?;
    let mut o = Map::new();
    match (def.kind, value) {
        (options::Kind::List, Some(v)) => {
            let op = match op {
                options::Op::Add => "list_add",
                options::Op::Remove => "list_remove",
                _ => "list_assign",
            };
            let items: Vec<&str> = v.split([' ', '\t']).filter(|s| !s.is_empty()).collect();
            o.insert("operation".into(), json!(op));
            o.insert(name.into(), json!(items));
        }
        (options::Kind::Flag, _) | (_, None) => {
            o.insert(name.into(), json!(op != options::Op::Negate));
        }
        (_, Some(v)) => {
            o.insert(name.into(), json!(v));
        }
    }
    Some(Value::Object(o))
}

/// Defaults of one binding type as (binding, option) pairs.
fn my_defaults(s: &Sudoers, kind: BindingKind) -> Vec<Value> {
    s.defaults
        .iter()
        .filter(|d| d.binding == kind)
        .filter_map(|d| {
            let opt = option_json(&d.name, d.op, d.value.as_deref())?;
            Some(json!([members(&d.members, binding_ctx(kind)), opt]))
        })
        .collect()
}

fn tool_defaults(v: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for d in v["Defaults"].as_array().into_iter().flatten() {
        let binding = d.get("Binding").cloned().unwrap_or(json!([]));
        for o in d["Options"].as_array().into_iter().flatten() {
            out.push(json!([binding, o]));
        }
    }
    out
}

fn my_aliases(s: &Sudoers) -> Value {
    let mut out: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for a in &s.aliases {
        let (key, ctx) = match a.kind {
            sudoers::AliasKind::User => ("User_Aliases", Ctx::User),
            sudoers::AliasKind::Runas => ("Runas_Aliases", Ctx::Runas),
            sudoers::AliasKind::Host => ("Host_Aliases", Ctx::Host),
            sudoers::AliasKind::Cmnd => ("Command_Aliases", Ctx::Cmnd),
        };
        out.entry(key)
            .or_default()
            .insert(a.name.clone(), members(&a.members, ctx));
    }
    json!(out)
}

fn tool_aliases(v: &Value) -> Value {
    let mut out = Map::new();
    for key in [
        "User_Aliases",
        "Runas_Aliases",
        "Host_Aliases",
        "Command_Aliases",
    ] {
        if let Some(a) = v.get(key) {
            out.insert(key.into(), a.clone());
        }
    }
    Value::Object(out)
}

/// One command of posture's user specs: what cvtsudoers prints around
/// the command, the command, and whether its SETENV is only implied.
struct MyCommand {
    around: Value,
    command: Value,
    /// `around` without the tags.
    base: Value,
    /// Each tag as gram.y stores it: unset -1, off 0, on 1, implied 2.
    tags: BTreeMap<&'static str, i8>,
}

fn my_commands(s: &Sudoers) -> Vec<MyCommand> {
    let mut out = Vec::new();
    for spec in &s.user_specs {
        for p in &spec.privileges {
            for cs in &p.commands {
                let mut opts = Map::new();
                let o = &cs.options;
                for (k, v) in [
                    ("runcwd", &o.cwd),
                    ("runchroot", &o.chroot),
                    ("role", &o.role),
                    ("type", &o.r#type),
                ] {
                    if let Some(v) = v {
                        opts.insert(k.into(), json!(v));
                    }
                }
                let base_opts = opts.clone();
                let t = &cs.tags;
                let mut tags = BTreeMap::new();
                for (k, v) in [
                    ("authenticate", t.nopasswd.map(|b| !b)),
                    ("noexec", t.noexec),
                    ("intercept", t.intercept),
                    ("setenv", t.setenv),
                    ("log_input", t.log_input),
                    ("log_output", t.log_output),
                    ("send_mail", t.mail),
                    ("sudoedit_follow", t.follow),
                ] {
                    if let Some(v) = v {
                        opts.insert(k.into(), json!(v));
                    }
                    let stored = match v {
                        None => -1,
                        Some(_) if k == "setenv" && t.setenv_implied => 2,
                        Some(b) => i8::from(b),
                    };
                    tags.insert(k, stored);
                }
                let base = json!({
                    "users": members(&spec.users, Ctx::User),
                    "hosts": members(&p.hosts, Ctx::Host),
                    "runasusers": cs.runas_users.as_deref().map(|l| members(l, Ctx::Runas)),
                    "runasgroups": cs.runas_groups.as_deref().map(|l| members(l, Ctx::Group)),
                    "options": base_opts,
                });
                out.push(MyCommand {
                    base,
                    tags,
                    around: json!({
                        "users": members(&spec.users, Ctx::User),
                        "hosts": members(&p.hosts, Ctx::Host),
                        "runasusers": cs.runas_users.as_deref().map(|l| members(l, Ctx::Runas)),
                        "runasgroups": cs.runas_groups.as_deref().map(|l| members(l, Ctx::Group)),
                        "options": opts,
                    }),
                    command: member(&cs.command, Ctx::Cmnd),
                });
            }
        }
    }
    out
}

/// cvtsudoers prints adjacent commands of a list as one Cmnd_Spec when
/// `cmndspec_continues`: same runas lists, CWD, CHROOT, ROLE and TYPE, no
/// tag set to another value (an implied SETENV does not count); it then
/// prints the first one's runas, options and tags for all. TIMEOUT,
/// NOTBEFORE and NOTAFTER are not compared there, so they are checked
/// through its sudoers output instead (see [`timings`]).
const MERGED_AWAY: &[&str] = &["command_timeout", "notbefore", "notafter"];

/// TIMEOUT, NOTBEFORE and NOTAFTER of every command.
fn timings(s: &Sudoers) -> Vec<(Option<i32>, Option<String>, Option<String>)> {
    s.user_specs
        .iter()
        .flat_map(|u| &u.privileges)
        .flat_map(|p| &p.commands)
        .map(|c| {
            let o = &c.options;
            (o.timeout, o.notbefore.clone(), o.notafter.clone())
        })
        .collect()
}

/// cvtsudoers's Cmnd_Specs: what it prints around the commands, and them.
fn tool_commands(v: &Value) -> Vec<(Value, Vec<Value>)> {
    let mut out = Vec::new();
    for us in v["User_Specs"].as_array().into_iter().flatten() {
        for cs in us["Cmnd_Specs"].as_array().into_iter().flatten() {
            let mut opts = Map::new();
            for key in ["Options", "SELinux_Spec"] {
                for o in cs.get(key).and_then(Value::as_array).into_iter().flatten() {
                    if let Some(o) = o.as_object() {
                        opts.extend(o.clone());
                    }
                }
            }
            opts.retain(|k, _| !MERGED_AWAY.contains(&k.as_str()));
            let around = json!({
                "users": us["User_List"],
                "hosts": us["Host_List"],
                "runasusers": cs.get("runasusers"),
                "runasgroups": cs.get("runasgroups"),
                "options": opts,
            });
            let cmds = cs["Commands"].as_array().cloned().unwrap_or_default();
            out.push((around, cmds));
        }
    }
    out
}

/// posture's commands against cvtsudoers's, grouped as it groups them.
fn compare_commands(mine: &[MyCommand], theirs: &[(Value, Vec<Value>)]) -> Result<(), String> {
    let mut it = mine.iter();
    for (around, cmds) in theirs {
        let mut first: Option<&MyCommand> = None;
        for c in cmds {
            let Some(m) = it.next() else {
                return Err(format!("cvtsudoers has more commands: {c}"));
            };
            if &m.command != c {
                return Err(format!("command {} vs cvtsudoers {c}", m.command));
            }
            match first {
                None => {
                    if &m.around != around {
                        return Err(format!(
                            "{}: posture {} vs cvtsudoers {around}",
                            m.command, m.around
                        ));
                    }
                    first = Some(m);
                }
                Some(f) => {
                    // TAGS_CHANGED: a tag the next command sets (not unset,
                    // not implied) to another value than the first's.
                    let tags_changed = m
                        .tags
                        .iter()
                        .any(|(k, v)| (0..=1).contains(v) && f.tags.get(k) != Some(v));
                    if m.base != f.base || tags_changed {
                        return Err(format!(
                            "{}: posture {} continues {} for cvtsudoers",
                            m.command, m.around, f.around
                        ));
                    }
                }
            }
        }
    }
    match it.next() {
        Some(m) => Err(format!("posture has more commands: {}", m.command)),
        None => Ok(()),
    }
}

/// The last global value cvtsudoers lists for each option, lists folded.
fn tool_global(v: &Value) -> BTreeMap<String, options::Value> {
    let mut out: BTreeMap<String, options::Value> = BTreeMap::new();
    for d in tool_defaults(v) {
        let Some(opt) = d[1].as_object() else {
            continue;
        };
        let op = opt.get("operation").and_then(Value::as_str);
        let Some((name, val)) = opt.iter().find(|(k, _)| *k != "operation") else {
            continue;
        };
        let value = match val {
            Value::Bool(b) => {
                let op = if *b {
                    options::Op::Set
                } else {
                    options::Op::Negate
                };
                options::check(name, op, None)
            }
            Value::String(s) => options::check(name, options::Op::Set, Some(s)),
            Value::Array(items) => {
                let mut words: Vec<String> = items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect();
                // cvtsudoers prints even a `T_SPACE` list (one item per
                // setting: `passprompt_regex`) split at blanks.
                if options::lookup(name).is_some_and(|d| d.whole) {
                    words = vec![words.join(" ")];
                }
                let old = match out.get(name) {
                    Some(options::Value::List(l)) => l.clone(),
                    _ => Vec::new(),
                };
                let new = match op {
                    Some("list_add") => {
                        let mut l = old;
                        for w in words {
                            if !l.contains(&w) {
                                l.push(w);
                            }
                        }
                        l
                    }
                    Some("list_remove") => old.into_iter().filter(|w| !words.contains(w)).collect(),
                    _ => {
                        let mut l: Vec<String> = Vec::new();
                        for w in words {
                            if !l.contains(&w) {
                                l.push(w);
                            }
                        }
                        l
                    }
                };
                out.insert(name.clone(), options::Value::List(new));
                continue;
            }
            _ => continue,
        };
        if let Ok(options::Change::Set(v)) = value {
            out.insert(name.clone(), v);
        }
    }
    out
}

// ---------------------------------------------------------------- tally

static CASES_RUN: AtomicUsize = AtomicUsize::new(0);
static VALID: AtomicUsize = AtomicUsize::new(0);
static CAPPED: AtomicUsize = AtomicUsize::new(0);
static CONVERTED: AtomicUsize = AtomicUsize::new(0);
static DEFAULTS_SEEN: AtomicUsize = AtomicUsize::new(0);
static COMMANDS_SEEN: AtomicUsize = AtomicUsize::new(0);

fn write_tree(root: &Path, host: &str, t: &Tree) {
    let rootp = root.display().to_string();
    let fill = |s: &str| s.replace("{ROOT}", &rootp);
    let etc = root.join("etc");
    std::fs::create_dir_all(etc.join("sudoers.d")).unwrap();
    let mut main = fill(&t.main);
    if t.loops {
        main.push_str("\n@include sudoers\n");
    }
    std::fs::write(etc.join("sudoers"), main).unwrap();
    if let Some(l) = &t.local {
        std::fs::write(etc.join("sudoers.local"), fill(l)).unwrap();
    }
    if let Some(h) = &t.for_host {
        std::fs::write(etc.join(format!("sudoers.{host}")), fill(h)).unwrap();
    }
    for (name, text) in &t.dropins {
        std::fs::write(etc.join("sudoers.d").join(name), fill(text)).unwrap();
    }
}

fn check_case(visudo: &str, cvt: &str, host: &str, t: &Tree) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    write_tree(dir.path(), host, t);
    let main = dir.path().join("etc/sudoers").display().to_string();
    let opts = ReadOptions {
        check_files: false,
        host: Some(host.to_string()),
    };
    let started = std::time::Instant::now();
    let mine = sudoers::read(&main, &mut HostFiles, &opts)
        .map_err(TestCaseError::fail)?
        .expect("main exists");
    if started.elapsed().as_secs() >= 1 {
        eprintln!("SLOW {:?}: {t:?}", started.elapsed());
    }
    let s = &mine.value;
    CASES_RUN.fetch_add(1, Ordering::Relaxed);

    // Past posture's cap on files read (a loop fanning out) the view is
    // incomplete by design: nothing to compare.
    if mine
        .diagnostics
        .iter()
        .any(|d| d.message.contains("sudoers files included"))
    {
        CAPPED.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    let (valid, out, err) = run(visudo, &["-c", "-f", &main]);
    prop_assert_eq!(
        s.valid,
        valid,
        "validity differs; visudo: {}{}\nposture: {:#?}",
        out,
        err,
        mine.diagnostics
    );
    if valid {
        VALID.fetch_add(1, Ordering::Relaxed);
    } else if std::env::var_os("ORACLE_DEBUG").is_some() {
        eprintln!(
            "INVALID: {} :: {}",
            err.lines().next().unwrap_or(""),
            err.lines().nth(1).unwrap_or("")
        );
    }

    let Ok(full) = json(cvt, &["-f", "json", "-s", "defaults", &main]) else {
        // cvtsudoers converts only what parses; visudo already agreed.
        return Ok(());
    };
    CONVERTED.fetch_add(1, Ordering::Relaxed);
    prop_assert_eq!(my_aliases(s), tool_aliases(&full), "aliases differ");
    let (a, b) = (my_commands(s), tool_commands(&full));
    COMMANDS_SEEN.fetch_add(a.len(), Ordering::Relaxed);
    if let Err(e) = compare_commands(&a, &b) {
        return Err(TestCaseError::fail(format!("user specs differ: {e}")));
    }
    let (ok, text, err) = run(cvt, &["-f", "sudoers", "-s", "defaults,aliases", &main]);
    prop_assert!(ok, "cvtsudoers -f sudoers failed: {}", err);
    let again = dir.path().join("cvtsudoers.out");
    std::fs::write(&again, text).unwrap();
    let again = sudoers::read(&again.display().to_string(), &mut HostFiles, &opts)
        .map_err(TestCaseError::fail)?
        .expect("written");
    // Its printer writes a negated group as `%!name`, which does not parse
    // back: compare only what it printed right.
    if !again.diagnostics.iter().any(|d| d.incomplete) {
        prop_assert_eq!(
            timings(s),
            timings(&again.value),
            "TIMEOUT/NOTBEFORE/NOTAFTER differ"
        );
    }

    let mut tool_global_entries = Value::Null;
    for (kind, name) in [
        (BindingKind::Global, "global"),
        (BindingKind::User, "user"),
        (BindingKind::Runas, "runas"),
        (BindingKind::Host, "host"),
        (BindingKind::Command, "command"),
    ] {
        let v = json(
            cvt,
            &["-f", "json", "-s", "aliases,privileges", "-d", name, &main],
        )
        .map_err(TestCaseError::fail)?;
        let theirs = tool_defaults(&v);
        DEFAULTS_SEEN.fetch_add(theirs.len(), Ordering::Relaxed);
        prop_assert_eq!(my_defaults(s, kind), theirs, "{} Defaults differ", name);
        if kind == BindingKind::Global {
            tool_global_entries = v;
        }
    }
    if valid {
        let mine: BTreeMap<String, options::Value> = s
            .global
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
        prop_assert_eq!(
            mine,
            tool_global(&tool_global_entries),
            "effective global Defaults differ"
        );
    }
    Ok(())
}

#[test]
fn sudoers_matches_visudo_and_cvtsudoers() {
    let (Some(visudo), Some(cvt)) = (tool("visudo"), tool("cvtsudoers")) else {
        if std::env::var("POSTURE_REQUIRE_ORACLES").as_deref() == Ok("1") {
            panic!("visudo and cvtsudoers are required (Debian package sudo)");
        }
        eprintln!("skipped: visudo or cvtsudoers not installed (Debian package sudo)");
        return;
    };
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut runner = TestRunner::new(Config {
        cases: std::env::var("POSTURE_ORACLE_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        // Each step runs the tools: keep shrinking short.
        max_shrink_iters: 300,
        ..Config::default()
    });
    let result = runner.run(&tree(), |t| check_case(&visudo, &cvt, &host, &t));
    eprintln!(
        "sudoers oracle: {} cases ({} past posture's file cap; {} valid for visudo, {} converted by cvtsudoers; {} Defaults settings and {} commands compared)",
        CASES_RUN.load(Ordering::Relaxed),
        CAPPED.load(Ordering::Relaxed),
        VALID.load(Ordering::Relaxed),
        CONVERTED.load(Ordering::Relaxed),
        DEFAULTS_SEEN.load(Ordering::Relaxed),
        COMMANDS_SEEN.load(Ordering::Relaxed),
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
