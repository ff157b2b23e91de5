//! `auditctl -R FILE` on each line of a rules file, as audit 3.0.9's
//! `src/auditctl.c` (`fileopt`, `setopt`, `handle_request`) and
//! `lib/libaudit.c` (`audit_rule_fieldpair_data` and friends) do it,
//! checked against the real auditctl with a stub of the kernel interface
//! (tests/oracle_auditctl.rs).
//!
//! A line is read in chunks of at most 6143 bytes and up to a NUL; it is
//! blank when it holds only spaces; it is split on spaces only (a tab is
//! part of a word), `\ ` keeping a space inside a word; a first word
//! starting with `#` makes it a comment; only `len/3 + 1` words are kept.
//! The words are parsed with GNU getopt; options that talk to the kernel
//! (`-e`, `-b`, `-D`, ...) act as they are met; a rule (`-a`, `-A`, `-w`,
//! `-d`, `-W`) is sent at the end. A line that fails stops the loading of
//! the file, unless an earlier `-i` or `-c` line asked to go on.

use super::getopt::{Getopt, Got, LongOpt};
use super::number::{is_negative_number, starts_with_digit, strtol, strtoul};
use super::rule::{Field, KRule, Value};
use super::tables::*;
use crate::facts::Source;

/// The bytes `fgets` reads at most per call (`LINE_SIZE - 1`).
const CHUNK: usize = 6143;
/// `PATH_MAX` and `NAME_MAX` of Linux.
const PATH_MAX: usize = 4096;
/// The address families the kernel headers auditctl was built with know.
const AF_MAX: u64 = 46;
const NAME_MAX: usize = 255;

const OPTSTRING: &str = "hicslDvtC:e:f:r:b:a:A:d:S:F:m:R:w:W:k:p:q:";
const LONG_OPTS: &[LongOpt] = &[
    LongOpt {
        name: "loginuid-immutable",
        has_arg: false,
        val: 1,
    },
    LongOpt {
        name: "backlog_wait_time",
        has_arg: true,
        val: 2,
    },
    LongOpt {
        name: "reset-lost",
        has_arg: false,
        val: 3,
    },
    LongOpt {
        name: "reset_backlog_wait_time_actual",
        has_arg: false,
        val: 4,
    },
    LongOpt {
        name: "signal",
        has_arg: true,
        val: 5,
    },
];

/// What the machine auditctl runs on answers: its architecture, its users
/// and groups, its files. `Err` means the answer cannot be known (a file
/// that could not be read), which makes the outcome of the line unknown.
pub trait Host {
    fn machine(&self) -> Option<Machine>;
    fn uid(&self, name: &str) -> Result<Option<u32>, String>;
    fn gid(&self, name: &str) -> Result<Option<u32>, String>;
    /// Whether `path` exists and is a directory (following symlinks).
    fn is_dir(&self, path: &str) -> Result<bool, String>;
}

/// A kernel setting a rules line can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Enabled,
    Failure,
    BacklogLimit,
    RateLimit,
    BacklogWaitTime,
}

/// Why the kernel did not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The kernel refuses (an error for the line).
    Refused(String),
    /// Whether it would refuse depends on something posture could not read.
    Unknown(String),
}

/// The kernel side of auditctl: each call is one netlink request.
pub trait Kernel {
    fn set(&mut self, setting: Setting, value: u32) -> Result<(), Refusal>;
    fn loginuid_immutable(&mut self) -> Result<(), Refusal>;
    /// `-D` (with `-k KEY`: only rules whose key contains KEY).
    fn delete_all(&mut self, key: &str) -> Result<(), Refusal>;
    fn add(&mut self, rule: KRule, source: &Source) -> Result<(), Refusal>;
    fn delete(&mut self, rule: &KRule) -> Result<(), Refusal>;
    /// A request that changes nothing posture looks at (`-t`, `-m`, `-q`,
    /// `--reset-lost`, ...).
    fn other(&mut self, what: &'static str) -> Result<(), Refusal>;
}

/// How one line ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done, whatever it did.
    Ok,
    /// auditctl reports an error for the line.
    Error(String),
    /// auditctl drops the line without error (`possible` is deprecated).
    Ignored(String),
    /// auditctl dies on this line (a crash, or `--signal`): nothing after
    /// it is read, `-i` or not.
    Fatal(String),
    /// What auditctl would do depends on something posture could not read.
    Unknown(String),
}

/// A line of the rules file, with where it came from.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    pub text: &'a str,
    pub source: Source,
}

/// What happened to one line that was not blank or a comment.
#[derive(Debug, Clone)]
pub struct LineReport {
    pub source: Source,
    /// auditctl's own line number (each chunk of a long line counts).
    pub lineno: u32,
    pub outcome: Outcome,
}

/// The result of loading a file.
#[derive(Debug, Clone, Default)]
pub struct Load {
    pub lines: Vec<LineReport>,
    /// The line where loading stopped, and why: nothing after it was read.
    pub stopped: Option<LineReport>,
}

/// `fileopt`: every line in order, until one fails and no `-i`/`-c` is in
/// force.
pub fn load<'a>(
    lines: impl IntoIterator<Item = Line<'a>>,
    host: &dyn Host,
    kernel: &mut dyn Kernel,
) -> Load {
    let mut out = Load::default();
    let mut globals = Globals::default();
    let mut lineno: u32 = 0;
    for line in lines {
        let text = line.text.split('\0').next().unwrap_or("");
        for chunk in chunks(text) {
            lineno = lineno.saturating_add(1);
            let Some(words) = words(chunk) else {
                continue;
            };
            let outcome = run_line(words, host, kernel, &mut globals, &line.source);
            let report = LineReport {
                source: line.source.clone(),
                lineno,
                outcome: outcome.clone(),
            };
            let stop = match &outcome {
                Outcome::Ok | Outcome::Ignored(_) => false,
                Outcome::Error(_) => !globals.ignore,
                Outcome::Fatal(_) | Outcome::Unknown(_) => true,
            };
            out.lines.push(report.clone());
            if stop {
                out.stopped = Some(report);
                return out;
            }
        }
    }
    out
}

/// `fgets` pieces of at most [`CHUNK`] bytes (a longer line is read as
/// several lines). Cut on a character boundary: text is already decoded.
fn chunks(text: &str) -> Vec<&str> {
    if text.len() <= CHUNK {
        return vec![text];
    }
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > CHUNK {
        let mut cut = CHUNK;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    out.push(rest);
    out
}

/// The words of a line, or `None` for a blank or comment line.
fn words(line: &str) -> Option<Vec<String>> {
    if line.bytes().all(|b| b == b' ') {
        return None;
    }
    // Only `strlen/3 + 1` words fit auditctl's array.
    let max = line.len() / 3 + 1;
    let marked = preprocess(line);
    let mut words: Vec<&[u8]> = marked
        .split(|b| *b == b' ')
        .filter(|w| !w.is_empty())
        .collect();
    if words.first().is_some_and(|w| w[0] == b'#') {
        return None;
    }
    words.truncate(max);
    let mut out = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        // The first word is not post-processed (as in fileopt).
        let bytes = if i == 0 { w.to_vec() } else { postprocess(w) };
        out.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Some(out)
}

/// `\ ` and `\\` become two marker bytes, so splitting on spaces keeps an
/// escaped space inside its word.
fn preprocess(line: &str) -> Vec<u8> {
    let mut buf = line.as_bytes().to_vec();
    let mut escaped = false;
    for i in 0..buf.len() {
        if buf[i] == b'\\' && !escaped {
            escaped = true;
        } else if escaped {
            if buf[i] == b' ' {
                buf[i] = 0x07;
                buf[i - 1] = 0x07;
            } else if buf[i] == b'\\' {
                buf[i] = 0x04;
                buf[i - 1] = 0x04;
            }
            escaped = false;
        }
    }
    buf
}

fn postprocess(word: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(word.len());
    let mut i = 0;
    while i < word.len() {
        match word[i] {
            0x07 => {
                out.push(b' ');
                i += 2;
            }
            0x04 => {
                out.push(b'\\');
                i += 2;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// What survives from one line to the next: `-i` and `-c`.
#[derive(Debug, Default)]
struct Globals {
    ignore: bool,
}

/// `setopt`'s return value: a rule to send, a reply to wait for, done,
/// an error, or a deprecated line to drop.
enum Status {
    Send,
    Reply,
    Done,
    Error(String),
    Deprecated(String),
}

/// Why a step of a line cannot go on.
enum Stop {
    Error(String),
    Fatal(String),
    Unknown(String),
}

impl From<Refusal> for Stop {
    fn from(r: Refusal) -> Stop {
        match r {
            Refusal::Refused(e) => Stop::Error(e),
            Refusal::Unknown(e) => Stop::Unknown(e),
        }
    }
}

/// The per-line state `reset_vars` clears.
struct State {
    add: u32,
    del: u32,
    action: Option<u32>,
    multiple: u32,
    exclude: bool,
    syscall_added: bool,
    perm_added: bool,
    exe_added: bool,
    fs_added: bool,
    elf: u32,
    key: String,
    list_requested: bool,
    rule: KRule,
}

impl State {
    fn new() -> State {
        State {
            add: FILTER_UNSET,
            del: FILTER_UNSET,
            action: None,
            multiple: 0,
            exclude: false,
            syscall_added: false,
            perm_added: false,
            exe_added: false,
            fs_added: false,
            elf: 0,
            key: String::new(),
            list_requested: false,
            rule: KRule::default(),
        }
    }

    /// The list `-F`, `-C` and the key use: that of `-a`/`-A`, else `-d`.
    fn flags(&self, unset: u32) -> u32 {
        if self.add != FILTER_UNSET {
            self.add & FILTER_MASK
        } else if self.del != FILTER_UNSET {
            self.del & FILTER_MASK
        } else {
            unset
        }
    }
}

fn run_line(
    words: Vec<String>,
    host: &dyn Host,
    kernel: &mut dyn Kernel,
    globals: &mut Globals,
    source: &Source,
) -> Outcome {
    let mut state = State::new();
    let status = match setopt(words, &mut state, host, kernel, globals) {
        Ok(s) => s,
        Err(Stop::Error(e)) => Status::Error(e),
        Err(Stop::Fatal(e)) => return Outcome::Fatal(e),
        Err(Stop::Unknown(e)) => return Outcome::Unknown(e),
    };
    match status {
        Status::Deprecated(why) => Outcome::Ignored(why),
        Status::Error(e) => Outcome::Error(e),
        Status::Done => Outcome::Ok,
        Status::Reply if state.syscall_added => Outcome::Error("no list specified".into()),
        Status::Reply => Outcome::Ok,
        Status::Send => send(state, kernel, source),
    }
}

/// `handle_request` for a rule: a rule without `-S` (other than on the
/// task list) covers every system call.
fn send(mut state: State, kernel: &mut dyn Kernel, source: &Source) -> Outcome {
    let action = state.action.unwrap_or(ACTION_ALWAYS);
    let result = if state.add != FILTER_UNSET {
        if state.add & FILTER_MASK != FILTER_TASK && !state.syscall_added {
            state.rule.set_all_syscalls();
        }
        state.rule.flags = state.add;
        state.rule.action = action;
        kernel.add(state.rule, source)
    } else if state.del != FILTER_UNSET {
        if state.del & FILTER_MASK != FILTER_TASK && !state.syscall_added {
            state.rule.set_all_syscalls();
        }
        state.rule.flags = state.del;
        state.rule.action = action;
        kernel.delete(&state.rule)
    } else {
        return Outcome::Fatal("auditctl prints its usage and exits".into());
    };
    match result {
        Ok(()) => Outcome::Ok,
        Err(Refusal::Refused(e)) => Outcome::Error(e),
        Err(Refusal::Unknown(e)) => Outcome::Unknown(e),
    }
}

fn setopt(
    words: Vec<String>,
    st: &mut State,
    host: &dyn Host,
    kernel: &mut dyn Kernel,
    globals: &mut Globals,
) -> Result<Status, Stop> {
    let mut argv = Vec::with_capacity(words.len() + 1);
    argv.push("auditctl".to_string());
    argv.extend(words);
    let mut count = argv.len();
    let mut g = Getopt::new(argv, OPTSTRING, LONG_OPTS);
    let mut status = Status::Reply;
    while !matches!(status, Status::Error(_) | Status::Done) {
        let Some(got) = g.next() else { break };
        let (c, arg) = match got {
            Got::Opt(c, arg) => (c, arg),
            Got::Bad => {
                status = Status::Error("invalid option".into());
                break;
            }
        };
        let arg = arg.unwrap_or_default();
        match c {
            // Long options.
            1 => {
                kernel.loginuid_immutable()?;
                return Ok(Status::Done);
            }
            2 => {
                status = set_number(kernel, Setting::BacklogWaitTime, &arg, status)?;
                continue;
            }
            3 => {
                kernel.other("reset-lost")?;
                return Ok(Status::Done);
            }
            4 => {
                kernel.other("reset_backlog_wait_time_actual")?;
                return Ok(Status::Done);
            }
            5 => {
                return Err(Stop::Fatal(
                    "--signal signals auditd, and auditctl exits if that fails".into(),
                ))
            }
            _ => {}
        }
        let Ok(c) = u8::try_from(c).map(char::from) else {
            status = Status::Error("invalid option".into());
            break;
        };
        match c {
            'h' => status = Status::Error("-h prints the usage".into()),
            'i' => {
                globals.ignore = true;
                status = Status::Done;
            }
            'c' => {
                globals.ignore = true;
                status = Status::Done;
            }
            's' => {
                if count > 3 {
                    status = Status::Error("too many options for status command".into());
                } else if g.optind == 2 && count == 3 {
                    if g.argv[2] == "-i" {
                        count -= 1;
                        kernel.other("status")?;
                        status = Status::Done;
                    } else {
                        status = Status::Error("only -i can follow -s".into());
                    }
                } else {
                    kernel.other("status")?;
                    status = Status::Done;
                }
            }
            'e' => match arg.as_str() {
                "0" | "1" | "2" => {
                    match kernel.set(Setting::Enabled, u32::from(arg.as_bytes()[0] - b'0')) {
                        Ok(()) => {}
                        Err(Refusal::Refused(e)) => status = Status::Error(e),
                        Err(Refusal::Unknown(e)) => return Err(Stop::Unknown(e)),
                    }
                }
                _ => status = Status::Error(format!("enable must be 0, 1 or 2, not `{arg}`")),
            },
            'f' => match arg.as_str() {
                "0" | "1" | "2" => {
                    kernel.set(Setting::Failure, u32::from(arg.as_bytes()[0] - b'0'))?;
                }
                _ => status = Status::Error(format!("failure must be 0, 1 or 2, not `{arg}`")),
            },
            'r' => status = set_number(kernel, Setting::RateLimit, &arg, status)?,
            'b' => status = set_number(kernel, Setting::BacklogLimit, &arg, status)?,
            'l' => {
                let next = g.argv.get(g.optind).map(String::as_str);
                if count > 4 {
                    status = Status::Error("wrong number of options for list request".into());
                } else if count == 3 && next.is_none() {
                    return Err(Stop::Fatal("auditctl crashes on this -l".into()));
                } else if (count == 3 && next != Some("-i")) || (count == 4 && next != Some("-k")) {
                    status = Status::Error("only -k or -i can follow -l".into());
                } else {
                    count -= match count {
                        3 => 1,
                        4 => 2,
                        _ => 0,
                    };
                    st.list_requested = true;
                    kernel.other("list")?;
                    status = Status::Done;
                }
            }
            'a' | 'A' => {
                if arg.contains("task") && st.syscall_added {
                    status = Status::Error("syscall auditing requested for the task list".into());
                } else {
                    match rule_setup(
                        &arg,
                        &mut st.add,
                        &mut st.action,
                        &mut st.multiple,
                        &mut st.exclude,
                    ) {
                        Setup::Ok => {
                            if c == 'A' {
                                st.add |= FILTER_PREPEND;
                            }
                            status = Status::Send;
                        }
                        Setup::Deprecated => {
                            return Ok(Status::Deprecated("`possible` is deprecated".into()))
                        }
                        Setup::Multiple => {
                            status = Status::Error("only one -a, -A or -d per line".into())
                        }
                        Setup::Bad => status = Status::Error(format!("bad list,action `{arg}`")),
                    }
                }
            }
            'd' => match rule_setup(
                &arg,
                &mut st.del,
                &mut st.action,
                &mut st.multiple,
                &mut st.exclude,
            ) {
                Setup::Ok => status = Status::Send,
                Setup::Deprecated => {
                    return Ok(Status::Deprecated("`possible` is deprecated".into()))
                }
                Setup::Multiple => status = Status::Error("only one -a, -A or -d per line".into()),
                Setup::Bad => status = Status::Error(format!("bad list,action `{arg}`")),
            },
            'S' => {
                let list = |l: u32| l & (FILTER_MASK | FILTER_UNSET);
                let on = |want: u32| list(st.add) == want || list(st.del) == want;
                if on(FILTER_TASK) {
                    return Ok(Status::Error("syscall auditing on the task list".into()));
                } else if on(FILTER_USER) {
                    return Ok(Status::Error("syscall auditing on the user list".into()));
                } else if on(FILTER_FS) {
                    return Ok(Status::Error(
                        "syscall auditing on the filesystem list".into(),
                    ));
                } else if st.exclude {
                    return Ok(Status::Error("syscall auditing on the exclude list".into()));
                }
                if st.elf == 0 {
                    let Some(machine) = host.machine() else {
                        return Err(Stop::Unknown(
                            "the machine type is unknown: the system call table cannot be chosen"
                                .into(),
                        ));
                    };
                    match machine.elf() {
                        Some(elf) => st.elf = elf,
                        None => return Ok(Status::Error("unknown machine type".into())),
                    }
                }
                match parse_syscalls(&arg, st.elf, &mut st.rule)? {
                    Ok(()) => st.syscall_added = true,
                    Err(e) => status = Status::Error(e),
                }
            }
            'F' => {
                let flags = if st.add != FILTER_UNSET || st.del != FILTER_UNSET {
                    st.flags(FILTER_UNSET)
                } else if g.optind < count
                    && arg.contains("arch=")
                    && g.argv.get(g.optind).map(String::as_str) == Some("-t")
                {
                    FILTER_UNSET
                } else {
                    status = Status::Error("a list must be given before a field".into());
                    continue;
                };
                if let Some(key) = arg.strip_prefix("key=") {
                    if let Err(e) = append_key(&mut st.key, key) {
                        status = Status::Error(e);
                    }
                    continue;
                }
                match field_pair(st, &arg, flags, host)? {
                    Ok(()) => {
                        let last = st.rule.fields.last().map(|f| f.field);
                        if last == Some(F_PERM) {
                            st.perm_added = true;
                        }
                        if last == Some(F_EXE) {
                            st.exe_added = true;
                        }
                    }
                    Err(e) => status = Status::Error(e),
                }
            }
            'C' => {
                let flags = st.flags(FILTER_UNSET);
                match compare_pair(&mut st.rule, &arg, flags) {
                    Ok(()) => {}
                    Err(e) => status = Status::Error(e),
                }
            }
            'm' => {
                if count > 3 {
                    status = Status::Error("-m takes one word and must be alone".into());
                } else if arg.bytes().any(|b| b < 32) {
                    return Ok(Status::Error("illegal character in the message".into()));
                } else {
                    kernel.other("message")?;
                    return Ok(Status::Done);
                }
            }
            'R' => status = Status::Error("nested rule files are not supported".into()),
            'D' => {
                if count > 4 || count == 3 {
                    status = Status::Error("wrong number of options for -D".into());
                    continue;
                }
                if count == 4 {
                    match g.argv.get(g.optind).map(String::as_str) {
                        Some("-k") => {
                            let key = g.argv[3].clone();
                            st.key.push_str(&key);
                            count -= 2;
                        }
                        Some(_) => {
                            status = Status::Error("only -k can follow -D".into());
                            continue;
                        }
                        None => return Err(Stop::Fatal("auditctl crashes on this -D".into())),
                    }
                }
                let key = std::mem::take(&mut st.key);
                match kernel.delete_all(&key) {
                    Ok(()) => {
                        kernel.other("list")?;
                        status = Status::Done;
                    }
                    Err(Refusal::Refused(e)) => status = Status::Error(e),
                    Err(Refusal::Unknown(e)) => return Err(Stop::Unknown(e)),
                }
            }
            'w' => {
                if st.add != FILTER_UNSET || st.del != FILTER_UNSET {
                    status = Status::Error("a watch cannot be given with a syscall rule".into());
                } else {
                    st.add = FILTER_EXIT;
                    st.action = Some(ACTION_ALWAYS);
                    st.syscall_added = true;
                    match setup_watch(st, &arg, host)? {
                        Ok(()) => status = Status::Send,
                        Err(e) => status = Status::Error(e),
                    }
                }
            }
            'W' => {
                st.del = FILTER_EXIT;
                st.action = Some(ACTION_ALWAYS);
                st.syscall_added = true;
                match setup_watch(st, &arg, host)? {
                    Ok(()) => status = Status::Send,
                    Err(e) => status = Status::Error(e),
                }
            }
            'k' => {
                let watch_or_syscall =
                    st.syscall_added || st.perm_added || st.exe_added || st.fs_added;
                if !watch_or_syscall || (st.add == FILTER_UNSET && st.del == FILTER_UNSET) {
                    status = Status::Error("a key needs a watch or syscall before it".into());
                } else if let Err(e) = append_key(&mut st.key, &arg) {
                    status = Status::Error(e);
                }
            }
            'p' => {
                if st.add == FILTER_UNSET && st.del == FILTER_UNSET {
                    status = Status::Error("permissions need a watch before them".into());
                } else {
                    match setup_perms(&mut st.rule, &arg) {
                        Ok(()) => {
                            st.perm_added = true;
                            status = Status::Send;
                        }
                        Err(e) => status = Status::Error(e),
                    }
                }
            }
            'q' => {
                if st.syscall_added {
                    status = Status::Error("-q cannot be given with a syscall".into());
                } else {
                    let parts: Vec<&str> = arg.split(',').collect();
                    if parts.len() != 2 || parts[1].is_empty() {
                        status = Status::Error("-q takes MOUNT,SUBTREE".into());
                    } else {
                        kernel.other("make_equiv")?;
                        return Ok(Status::Done);
                    }
                }
            }
            't' => {
                kernel.other("trim")?;
                return Ok(Status::Done);
            }
            'v' => status = Status::Done,
            _ => status = Status::Error(format!("invalid option -{c}")),
        }
    }
    // A word that is not an option, where auditctl notices it.
    if g.optind == 1 {
        status = Status::Error("no option given".into());
    } else if g.optind < count && !matches!(status, Status::Error(_)) {
        status = Status::Error("a parameter was passed without an option".into());
    }
    if !st.key.is_empty() && !st.list_requested {
        let flags = st.flags(0);
        let pair = format!("key={}", st.key);
        if let Err(e) = field_pair(st, &pair, flags, host)? {
            status = Status::Error(e);
        }
    }
    Ok(status)
}

/// `-b`, `-r`, `--backlog_wait_time`: a number that must start with a digit.
fn set_number(
    kernel: &mut dyn Kernel,
    setting: Setting,
    arg: &str,
    status: Status,
) -> Result<Status, Stop> {
    if !starts_with_digit(arg) {
        return Ok(Status::Error(format!("`{arg}` is not a number")));
    }
    let (value, overflow) = strtoul(arg, 0);
    if overflow {
        return Err(Stop::Error(format!("`{arg}` is out of range")));
    }
    kernel.set(setting, value as u32)?;
    Ok(status)
}

fn append_key(key: &mut String, add: &str) -> Result<(), String> {
    let sep = usize::from(!key.is_empty());
    if add.len() + key.len() + sep > MAX_KEY_LEN {
        return Err("the key is longer than 256 characters".into());
    }
    if !key.is_empty() {
        key.push(KEY_SEPARATOR);
    }
    key.push_str(add);
    Ok(())
}

enum Setup {
    Ok,
    Deprecated,
    Multiple,
    Bad,
}

/// `audit_rule_setup`: `list,action` in either order, once per line.
fn rule_setup(
    opt: &str,
    filter: &mut u32,
    action: &mut Option<u32>,
    multiple: &mut u32,
    exclude: &mut bool,
) -> Setup {
    *multiple += 1;
    if *multiple != 1 {
        return Setup::Multiple;
    }
    let Some((first, second)) = opt.split_once(',') else {
        return Setup::Bad;
    };
    if second.contains(',') {
        return Setup::Bad;
    }
    let act = |s: &str| match s {
        "always" => Some(Some(ACTION_ALWAYS)),
        "never" => Some(Some(ACTION_NEVER)),
        "possible" => Some(None),
        _ => None,
    };
    let mut set_list = |s: &str, filter: &mut u32| match list_by_name(s) {
        Some(l) => {
            if l == FILTER_EXCLUDE {
                *exclude = true;
            }
            *filter = l;
            true
        }
        None => false,
    };
    match act(first) {
        Some(Some(a)) => *action = Some(a),
        Some(None) => {}
        None => {
            if !set_list(first, filter) {
                return Setup::Bad;
            }
        }
    }
    if *filter == FILTER_UNSET {
        if !set_list(second, filter) {
            return Setup::Bad;
        }
    } else {
        match act(second) {
            Some(Some(a)) => *action = Some(a),
            Some(None) => return Setup::Deprecated,
            None => return Setup::Bad,
        }
    }
    if *filter == FILTER_UNSET || action.is_none() {
        return Setup::Bad;
    }
    Setup::Ok
}

/// `_audit_parse_syscall`: a name, a number, `all`, or a comma list of
/// them (empty items are skipped).
fn parse_syscalls(arg: &str, elf: u32, rule: &mut KRule) -> Result<Result<(), String>, Stop> {
    if arg.contains(',') {
        for name in arg.split(',').filter(|s| !s.is_empty()) {
            if let Err(e) = syscall_by_name_data(rule, name, elf)? {
                return Ok(Err(e));
            }
        }
        return Ok(Ok(()));
    }
    syscall_by_name_data(rule, arg, elf)
}

/// `audit_rule_syscallbyname_data`.
fn syscall_by_name_data(
    rule: &mut KRule,
    name: &str,
    elf: u32,
) -> Result<Result<(), String>, Stop> {
    if name == "all" {
        rule.set_all_syscalls();
        return Ok(Ok(()));
    }
    let Some(machine) = Machine::from_elf(elf) else {
        return Ok(Err(format!("unknown machine type 0x{elf:x}")));
    };
    let Some(table) = machine.syscalls() else {
        return Err(Stop::Unknown(format!(
            "posture does not have the {} system call table",
            machine.name()
        )));
    };
    let nr = match syscall_by_name(table, name) {
        Some(nr) => i64::from(nr),
        None if starts_with_digit(name) => i64::from(strtol(name, 0).0 as i32),
        None => -1,
    };
    if nr < 0 || nr / 32 >= BITMASK_WORDS as i64 {
        return Ok(Err(format!("unknown system call `{name}`")));
    }
    let nr = nr as u32;
    rule.mask[(nr / 32) as usize] |= 1 << (nr % 32);
    Ok(Ok(()))
}

/// `check_path` and `audit_setup_watch_name`: `-w PATH` / `-W PATH`.
fn setup_watch(st: &mut State, path: &str, host: &dyn Host) -> Result<Result<(), String>, Stop> {
    if path.len() >= PATH_MAX {
        return Ok(Err("the watched path is too long".into()));
    }
    if !path.starts_with('/') {
        return Ok(Err("the watched path must start with /".into()));
    }
    let trimmed = path.trim_end_matches('/');
    let base = match trimmed.rsplit_once('/') {
        Some((_, b)) => b,
        None => "/",
    };
    if base.len() > NAME_MAX {
        return Ok(Err("the base name of the watched path is too long".into()));
    }
    let mut path = path.to_string();
    if path.len() > 2 && path.ends_with('/') {
        while path.len() > 1 && path.ends_with('/') {
            path.pop();
        }
    }
    let field = if host.is_dir(&path).map_err(Stop::Unknown)? {
        F_DIR
    } else {
        F_WATCH
    };
    if !st.rule.fields.is_empty() {
        return Ok(Err("a watch must come before any field".into()));
    }
    st.rule = KRule::default();
    st.rule.set_all_syscalls();
    st.rule.fields.push(Field {
        field,
        op: OP_EQ,
        value: Value::Str(path),
    });
    st.rule.fields.push(Field {
        field: F_PERM,
        op: OP_EQ,
        value: Value::Num(PERM_READ | PERM_WRITE | PERM_EXEC | PERM_ATTR),
    });
    st.perm_added = true;
    Ok(Ok(()))
}

fn perm_bits(letters: &str) -> Result<u32, String> {
    if letters.len() > 4 {
        return Err(format!("permissions `{letters}` are too long"));
    }
    let mut bits = 0;
    for c in letters.chars() {
        bits |= match c.to_ascii_lowercase() {
            'r' => PERM_READ,
            'w' => PERM_WRITE,
            'x' => PERM_EXEC,
            'a' => PERM_ATTR,
            other => return Err(format!("permission `{other}` is not r, w, x or a")),
        };
    }
    Ok(bits)
}

/// `-p`: sets every `perm` field of the rule, or adds one.
fn setup_perms(rule: &mut KRule, letters: &str) -> Result<(), String> {
    let bits = perm_bits(letters)?;
    if rule.fields.is_empty() {
        return Err("permissions must come after the watch or path".into());
    }
    let mut done = false;
    for f in rule.fields.iter_mut().filter(|f| f.field == F_PERM) {
        f.value = Value::Num(bits);
        done = true;
    }
    if !done {
        if rule.fields.len() >= MAX_FIELDS - 1 {
            return Err("too many fields".into());
        }
        rule.fields.push(Field {
            field: F_PERM,
            op: OP_EQ,
            value: Value::Num(bits),
        });
    }
    Ok(())
}

/// `name OP value` split at the first operator auditctl looks for, in its
/// order: `!=`, `>=`, `<=`, `&=`, `=`, `>`, `<`, `&`.
fn split_pair(pair: &str) -> Option<(&str, u32, &str)> {
    const OPS: &[(&str, u32)] = &[
        ("!=", OP_NE),
        (">=", OP_GE),
        ("<=", OP_LE),
        ("&=", OP_BIT_TEST),
        ("=", OP_EQ),
        (">", OP_GT),
        ("<", OP_LT),
        ("&", OP_BIT_MASK),
    ];
    OPS.iter().find_map(|(sym, op)| {
        pair.find(sym)
            .map(|at| (&pair[..at], *op, &pair[at + sym.len()..]))
    })
}

/// `audit_rule_fieldpair_data`: one `-F name OP value`.
fn field_pair(
    st: &mut State,
    pair: &str,
    flags: u32,
    host: &dyn Host,
) -> Result<Result<(), String>, Stop> {
    macro_rules! bail {
        ($($t:tt)*) => { return Ok(Err(format!($($t)*))) };
    }
    if st.rule.fields.len() >= MAX_FIELDS - 1 {
        bail!("too many fields");
    }
    let Some((name, op, v)) = split_pair(pair) else {
        bail!("-F {pair}: no operator");
    };
    if name.is_empty() {
        bail!("-F {pair}: no field name before the operator");
    }
    if v.is_empty() {
        bail!("-F {pair}: no value after the operator");
    }
    let Some(field) = field_by_name(name) else {
        bail!("-F {pair}: unknown field `{name}`");
    };
    if flags == FILTER_EXCLUDE
        && !matches!(
            field,
            F_PID | F_UID | F_GID | F_LOGINUID | F_MSGTYPE | F_SUBJ_USER..=F_SUBJ_CLR | F_EXE
        )
    {
        bail!("-F {pair}: only msgtype, uid, gid, auid, pid, exe and subj_* fields go on the exclude list");
    }
    let num = |v: &str| -> u32 {
        if starts_with_digit(v) {
            strtoul(v, 0).0 as u32
        } else {
            strtol(v, 0).0 as u32
        }
    };
    let value = match field {
        F_UID | F_EUID | F_SUID | F_FSUID | F_LOGINUID | F_OBJ_UID => {
            if starts_with_digit(v) || is_negative_number(v) {
                Value::Num(num(v))
            } else if v == "unset" {
                Value::Num(u32::MAX)
            } else {
                match host.uid(v).map_err(Stop::Unknown)? {
                    Some(uid) => Value::Num(uid),
                    None => bail!("-F {pair}: unknown user `{v}`"),
                }
            }
        }
        F_GID | F_EGID | F_SGID | F_FSGID | F_OBJ_GID => {
            if starts_with_digit(v) {
                Value::Num(strtol(v, 0).0 as u32)
            } else {
                match host.gid(v).map_err(Stop::Unknown)? {
                    Some(gid) => Value::Num(gid),
                    None => bail!("-F {pair}: unknown group `{v}`"),
                }
            }
        }
        F_EXIT => {
            if flags != FILTER_EXIT {
                bail!("-F {pair}: exit is only valid on the exit list");
            }
            if starts_with_digit(v) || is_negative_number(v) {
                Value::Num(strtol(v, 0).0 as u32)
            } else {
                match errno_by_name(v) {
                    0 => bail!("-F {pair}: unknown errno `{v}`"),
                    n => Value::Num(n as u32),
                }
            }
        }
        F_MSGTYPE => {
            if flags != FILTER_EXCLUDE && flags != FILTER_USER {
                bail!("-F {pair}: msgtype is only valid on the exclude and user lists");
            }
            if starts_with_digit(v) {
                Value::Num(strtol(v, 0).0 as u32)
            } else {
                match msg_type_by_name(v) {
                    Some(t) if t > 0 => Value::Num(t),
                    _ => bail!("-F {pair}: unknown message type `{v}`"),
                }
            }
        }
        F_OBJ_USER..=F_OBJ_LEV_HIGH
        | F_WATCH
        | F_DIR
        | F_SUBJ_USER..=F_SUBJ_CLR
        | F_FILTERKEY
        | F_EXE => {
            let object = matches!(field, F_OBJ_USER..=F_OBJ_LEV_HIGH | F_WATCH | F_DIR);
            if object && flags != FILTER_EXIT {
                bail!("-F {pair}: {name} is only valid on the exit list");
            }
            if field == F_WATCH || field == F_DIR {
                st.perm_added = true;
            }
            if field == F_EXE {
                if op != OP_EQ && op != OP_NE {
                    bail!("-F {pair}: exe only takes = or !=");
                }
                st.exe_added = true;
            }
            if field == F_FILTERKEY
                && !(st.syscall_added || st.perm_added || st.exe_added || st.fs_added)
            {
                bail!("-F {pair}: a key needs a watch or syscall before it");
            }
            if field == F_FILTERKEY && v.len() > MAX_KEY_LEN {
                bail!("-F {pair}: the key is longer than 256 characters");
            }
            if v.len() > PATH_MAX {
                bail!("-F {pair}: the value is too long");
            }
            Value::Str(v.to_string())
        }
        F_ARCH => {
            if st.syscall_added {
                bail!("-F {pair}: arch must come before -S");
            }
            if op != OP_EQ && op != OP_NE {
                bail!("-F {pair}: arch only takes = or !=");
            }
            let elf = match arch_elf(v, host)? {
                Ok(elf) => elf,
                Err(e) => bail!("-F {pair}: {e}"),
            };
            st.elf = elf;
            Value::Num(elf)
        }
        F_PERM => {
            if flags != FILTER_EXIT {
                bail!("-F {pair}: perm is only valid on the exit list");
            }
            if op != OP_EQ {
                bail!("-F {pair}: perm only takes =");
            }
            match perm_bits(v) {
                Ok(bits) => Value::Num(bits),
                Err(e) => bail!("-F {pair}: {e}"),
            }
        }
        F_FILETYPE => {
            if flags != FILTER_EXIT {
                bail!("-F {pair}: filetype is only valid on the exit list");
            }
            match file_type_by_name(v) {
                Some(t) => Value::Num(t),
                None => bail!("-F {pair}: unknown file type `{v}`"),
            }
        }
        F_FSTYPE => {
            if flags != FILTER_FS {
                bail!("-F {pair}: fstype is only valid on the filesystem list");
            }
            if op != OP_EQ && op != OP_NE {
                bail!("-F {pair}: fstype only takes = or !=");
            }
            let t = if starts_with_digit(v) {
                Some(strtoul(v, 0).0 as u32)
            } else {
                fs_type_by_name(v)
            };
            match t {
                Some(t) => {
                    st.fs_added = true;
                    Value::Num(t)
                }
                None => bail!("-F {pair}: unknown filesystem type `{v}`"),
            }
        }
        F_ARG0..=F_ARG3 => {
            if starts_with_digit(v) || is_negative_number(v) {
                Value::Num(num(v))
            } else {
                bail!("-F {pair}: {name} takes a number");
            }
        }
        F_SADDR_FAM => {
            // Read whatever the text is; only values below AF_MAX pass.
            let (n, _) = strtoul(v, 0);
            if n >= AF_MAX {
                bail!("-F {pair}: the value is too large for saddr_fam");
            }
            Value::Num(n as u32)
        }
        F_SESSIONID => {
            if !matches!(flags, FILTER_EXCLUDE | FILTER_USER | FILTER_EXIT) {
                bail!("-F {pair}: sessionid is only valid on the exclude, user and exit lists");
            }
            if starts_with_digit(v) || is_negative_number(v) {
                Value::Num(num(v))
            } else if v == "unset" {
                Value::Num(u32::MAX)
            } else {
                // libaudit leaves the value at 0.
                Value::Num(0)
            }
        }
        _ => {
            if matches!(field, F_DEVMAJOR | F_DEVMINOR | F_INODE | F_SUCCESS)
                && flags != FILTER_EXIT
            {
                bail!("-F {pair}: {name} is only valid on the exit list");
            }
            if field == F_INODE && op != OP_EQ && op != OP_NE {
                bail!("-F {pair}: inode only takes = or !=");
            }
            if field == F_PPID && flags != FILTER_EXIT {
                bail!("-F {pair}: ppid is only valid on the exit list");
            }
            if !starts_with_digit(v) {
                bail!("-F {pair}: {name} takes a number");
            }
            if field == F_INODE {
                Value::Num(strtoul(v, 0).0 as u32)
            } else {
                Value::Num(strtol(v, 0).0 as u32)
            }
        }
    };
    st.rule.fields.push(Field { field, op, value });
    Ok(Ok(()))
}

/// The `arch=` value: `b64`/`b32` (this machine's pair), a machine name,
/// or an ELF number.
fn arch_elf(v: &str, host: &dyn Host) -> Result<Result<u32, String>, Stop> {
    // libaudit keeps the number in an `unsigned int`: it is truncated.
    if starts_with_digit(v) {
        let (elf, overflow) = strtoul(v, 0);
        return Ok(match (overflow, Machine::from_elf(elf as u32)) {
            (false, Some(_)) => Ok(elf as u32),
            _ => Err(format!("unknown architecture `{v}`")),
        });
    }
    let bits = if v.eq_ignore_ascii_case("b64") {
        Some(64)
    } else if v.eq_ignore_ascii_case("b32") {
        Some(32)
    } else {
        None
    };
    let machine = match bits {
        Some(_) => match host.machine() {
            Some(m) => m,
            None => {
                return Err(Stop::Unknown(format!(
                    "the machine type is unknown: `arch={v}` cannot be resolved"
                )))
            }
        },
        None => match Machine::from_name(v) {
            Some(m) => m,
            None => {
                let (elf, overflow) = strtoul(v, 16);
                match (overflow, Machine::from_elf(elf as u32)) {
                    (false, Some(m)) => m,
                    _ => return Ok(Err(format!("unknown architecture `{v}`"))),
                }
            }
        },
    };
    let machine = if bits == Some(32) {
        machine.compat32()
    } else {
        machine
    };
    let fits = match machine {
        Machine::X86 | Machine::Ppc | Machine::S390 | Machine::Arm => bits != Some(64),
        Machine::Ia64 => bits != Some(32),
        Machine::Aarch64 => bits.is_none_or(|b| b == 64),
        Machine::X86_64 | Machine::Ppc64 | Machine::Ppc64le | Machine::S390x => true,
        Machine::Alpha => false,
    };
    if !fits {
        return Ok(Err(format!("`arch={v}` does not fit this machine")));
    }
    Ok(machine
        .elf()
        .ok_or_else(|| format!("unknown architecture `{v}`")))
}

/// `audit_rule_interfield_comp_data`: `-C field OP field`.
fn compare_pair(rule: &mut KRule, pair: &str, flags: u32) -> Result<(), String> {
    if rule.fields.len() >= MAX_FIELDS - 1 {
        return Err("too many fields".into());
    }
    let (a, op, b) = if let Some((a, b)) = pair.split_once("!=") {
        (a, OP_NE, b)
    } else if let Some((a, b)) = pair.split_once('=') {
        (a, OP_EQ, b)
    } else {
        return Err(format!("-C {pair}: only = and != compare fields"));
    };
    if a.is_empty() || b.is_empty() {
        return Err(format!("-C {pair}: a field is missing"));
    }
    let Some(fa) = field_by_name(a) else {
        return Err(format!("-C {pair}: unknown field `{a}`"));
    };
    let Some(fb) = field_by_name(b) else {
        return Err(format!("-C {pair}: unknown field `{b}`"));
    };
    if flags != FILTER_EXIT {
        return Err(format!(
            "-C {pair}: comparisons are only valid on the exit list"
        ));
    }
    let Some(compare) = compare_of(fa, fb) else {
        return Err(format!("-C {pair}: {a} and {b} cannot be compared"));
    };
    rule.fields.push(Field {
        field: F_FIELD_COMPARE,
        op,
        value: Value::Num(compare),
    });
    Ok(())
}
