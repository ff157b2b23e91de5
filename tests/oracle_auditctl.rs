//! posture's reading of audit rules files against auditctl's own.
//!
//! auditctl has no mode that parses a rules file without the kernel: `-R`
//! needs the audit netlink socket and sends each rule as it goes. So the
//! real auditctl runs with an LD_PRELOAD stub of the few libaudit calls
//! that talk to the kernel (compiled here from C): the stub accepts every
//! request and prints it, rule structures byte for byte. Everything else,
//! line splitting, getopt, field parsing, name tables, is auditctl's. The
//! same files go through posture's parser with a kernel that accepts
//! everything too; the requests, the lines auditctl reports as errors and
//! where it stops or dies must be the same.
//!
//! Generated files mix the CIS rules, every option and field, and the
//! mistakes real files hold (tabs, CRLF, trailing comments, bad names).
//! Skipped when auditctl or a C compiler is missing, unless
//! POSTURE_REQUIRE_ORACLES=1. POSTURE_ORACLE_CASES sets the number of
//! files (default 600), POSTURE_ORACLE_SEED the generator's seed.

#[path = "support/oracle.rs"]
mod oracle;

use oracle::Gen;
use posture::facts::accounts::{parse_group, parse_passwd, GroupEntry, PasswdEntry};
use posture::facts::audit::auditctl::{self, Host, Kernel, Line, Outcome, Refusal, Setting};
use posture::facts::audit::rule::{KRule, Value};
use posture::facts::audit::tables::{is_string_field, Machine};
use posture::facts::Source;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/netlink.h>

static FILE *out(void) {
  static FILE *f;
  if (!f) { f = fopen(getenv("SHIM_OUT"), "w"); setvbuf(f, NULL, _IOLBF, 0); }
  return f;
}
int audit_can_control(void) { return 1; }
int audit_open(void) { return open("/dev/null", O_RDONLY); }
void audit_close(int fd) { (void)fd; }
int audit_is_enabled(int fd) { (void)fd; errno = 0; return 1; }
uint32_t audit_get_features(void) { return 0xffffffffu; }
void set_aumessage_mode(int mode, int debug) {
  void (*real)(int, int) = (void (*)(int, int))dlsym(RTLD_NEXT, "set_aumessage_mode");
  (void)mode;
  if (real) real(0, debug);
}
static void dump(const char *op, struct audit_rule_data *r, int flags, int action) {
  FILE *f = out();
  fprintf(f, "%s %d %d S=", op, flags, action);
  int all = 1;
  for (int i = 0; i < AUDIT_BITMASK_SIZE; i++) if (r->mask[i] != ~0u) all = 0;
  if (all) fprintf(f, "all");
  else { int first = 1; for (int n = 0; n < AUDIT_BITMASK_SIZE * 32; n++) if (r->mask[n / 32] & (1u << (n % 32))) { fprintf(f, first ? "%d" : ",%d", n); first = 0; } }
  unsigned off = 0;
  for (unsigned i = 0; i < r->field_count; i++) {
    unsigned fld = r->fields[i];
    fprintf(f, " %u:%x:", fld, r->fieldflags[i]);
    switch (fld) {
      case AUDIT_SUBJ_USER: case AUDIT_SUBJ_ROLE: case AUDIT_SUBJ_TYPE: case AUDIT_SUBJ_SEN: case AUDIT_SUBJ_CLR:
      case AUDIT_OBJ_USER: case AUDIT_OBJ_ROLE: case AUDIT_OBJ_TYPE: case AUDIT_OBJ_LEV_LOW: case AUDIT_OBJ_LEV_HIGH:
      case AUDIT_WATCH: case AUDIT_DIR: case AUDIT_FILTERKEY: case AUDIT_EXE:
        fputc('"', f);
        for (unsigned j = 0; j < r->values[i]; j++) { unsigned char c = r->buf[off + j]; if (c < 33 || c > 126 || c == '"' || c == '\\') fprintf(f, "\\x%02x", c); else fputc(c, f); }
        fputc('"', f);
        off += r->values[i];
        break;
      default: fprintf(f, "%u", r->values[i]);
    }
  }
  fprintf(f, "\n");
}
int audit_add_rule_data(int fd, struct audit_rule_data *r, int flags, int action) { dump("ADD", r, flags, action); return 1; }
int audit_delete_rule_data(int fd, struct audit_rule_data *r, int flags, int action) { dump("DEL", r, flags, action); return 1; }
int audit_set_enabled(int fd, uint32_t v) { fprintf(out(), "SET enabled %u\n", v); return 1; }
int audit_set_failure(int fd, uint32_t v) { fprintf(out(), "SET failure %u\n", v); return 1; }
int audit_set_backlog_limit(int fd, uint32_t v) { fprintf(out(), "SET backlog %u\n", v); return 1; }
int audit_set_rate_limit(int fd, uint32_t v) { fprintf(out(), "SET rate %u\n", v); return 1; }
int audit_set_backlog_wait_time(int fd, uint32_t v) { fprintf(out(), "SET backlog_wait %u\n", v); return 1; }
int audit_set_loginuid_immutable(int fd) { fprintf(out(), "LOGINUID_IMMUTABLE\n"); return 1; }
int audit_request_status(int fd) { return 1; }
int audit_request_features(int fd) { return 1; }
int audit_trim_subtrees(int fd) { fprintf(out(), "OTHER trim\n"); return 1; }
int audit_make_equivalent(int fd, const char *a, const char *b) { fprintf(out(), "OTHER make_equiv\n"); return 1; }
int audit_log_user_message(int fd, int type, const char *m, const char *h, const char *a, const char *t, int r) { fprintf(out(), "OTHER message\n"); return 1; }
int audit_reset_lost(int fd) { fprintf(out(), "OTHER reset-lost\n"); return 0; }
int audit_reset_backlog_wait_time_actual(int fd) { fprintf(out(), "OTHER reset_backlog_wait_time_actual\n"); return 0; }
int audit_request_rules_list_data(int fd) { fprintf(out(), "OTHER list\n"); return 1; }
struct fake_reply { int type; int len; struct nlmsghdr *nlh; };
int audit_get_reply(int fd, void *rep, int block, int peek) {
  static struct nlmsghdr h;
  struct fake_reply *r = rep;
  h.nlmsg_seq = 1; h.nlmsg_type = NLMSG_DONE;
  r->type = NLMSG_DONE; r->len = 0; r->nlh = &h;
  return 1;
}
"#;

/// Builds the stub; `None` when there is no compiler or kernel header.
fn build_shim(dir: &Path) -> Option<PathBuf> {
    let cc = oracle::find("cc").or_else(|| oracle::find("gcc"))?;
    let src = dir.join("shim.c");
    std::fs::write(&src, SHIM).ok()?;
    let lib = dir.join("shim.so");
    let ok = Command::new(cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(&lib)
        .arg(&src)
        .arg("-ldl")
        .status()
        .ok()?
        .success();
    ok.then_some(lib)
}

/// What auditctl did with a file: its kernel requests, the lines it
/// reported as errors, and whether it died.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    requests: Vec<String>,
    error_lines: Vec<u32>,
    died: bool,
}

fn run_auditctl(auditctl: &Path, shim: &Path, dir: &Path, text: &str) -> Run {
    let rules = dir.join("case.rules");
    let out = dir.join("case.out");
    std::fs::write(&rules, text).unwrap();
    std::fs::write(&out, "").unwrap();
    let res = Command::new(auditctl)
        .arg("-R")
        .arg(&rules)
        .env("LD_PRELOAD", shim)
        .env("SHIM_OUT", &out)
        .env_remove("POSIXLY_CORRECT")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&res.stderr);
    let error_lines = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("There was an error in line "))
        .filter_map(|l| l.split(' ').next()?.parse().ok())
        .collect();
    let requests = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    // A crash, or `--signal` making auditctl exit.
    let died = res.status.code().is_none()
        || stderr.contains("Failed sending signal")
        || stderr.contains("is an unsupported signal");
    Run {
        requests,
        error_lines,
        died,
    }
}

/// A kernel that accepts everything and writes requests as the stub does.
#[derive(Default)]
struct Recorder {
    requests: Vec<String>,
}

fn render(op: &str, rule: &KRule) -> String {
    let mut s = format!("{op} {} {} S=", rule.flags as i32, rule.action as i32);
    if rule.all_syscalls() {
        s.push_str("all");
    } else {
        let nrs: Vec<String> = rule.syscalls().map(|n| n.to_string()).collect();
        s.push_str(&nrs.join(","));
    }
    for f in &rule.fields {
        let _ = write!(s, " {}:{:x}:", f.field, f.op);
        match &f.value {
            Value::Num(n) => {
                let _ = write!(s, "{n}");
            }
            Value::Str(t) => {
                s.push('"');
                for b in t.bytes() {
                    if !(33..=126).contains(&b) || b == b'"' || b == b'\\' {
                        let _ = write!(s, "\\x{b:02x}");
                    } else {
                        s.push(b as char);
                    }
                }
                s.push('"');
            }
        }
    }
    assert!(rule
        .fields
        .iter()
        .all(|f| is_string_field(f.field) == matches!(f.value, Value::Str(_))));
    s
}

impl Kernel for Recorder {
    fn set(&mut self, setting: Setting, value: u32) -> Result<(), Refusal> {
        let name = match setting {
            Setting::Enabled => "enabled",
            Setting::Failure => "failure",
            Setting::BacklogLimit => "backlog",
            Setting::RateLimit => "rate",
            Setting::BacklogWaitTime => "backlog_wait",
        };
        self.requests.push(format!("SET {name} {value}"));
        Ok(())
    }
    fn loginuid_immutable(&mut self) -> Result<(), Refusal> {
        self.requests.push("LOGINUID_IMMUTABLE".into());
        Ok(())
    }
    fn delete_all(&mut self, _key: &str) -> Result<(), Refusal> {
        self.requests.push("OTHER list".into());
        Ok(())
    }
    fn add(&mut self, rule: KRule, _source: &Source) -> Result<(), Refusal> {
        self.requests.push(render("ADD", &rule));
        Ok(())
    }
    fn delete(&mut self, rule: &KRule) -> Result<(), Refusal> {
        self.requests.push(render("DEL", rule));
        Ok(())
    }
    fn other(&mut self, what: &'static str) -> Result<(), Refusal> {
        if what != "status" {
            self.requests.push(format!("OTHER {what}"));
        }
        Ok(())
    }
}

/// This machine, its accounts and files, as auditctl sees them.
struct ThisHost {
    machine: Option<Machine>,
    users: Vec<PasswdEntry>,
    groups: Vec<GroupEntry>,
}

impl Host for ThisHost {
    fn machine(&self) -> Option<Machine> {
        self.machine
    }
    fn uid(&self, name: &str) -> Result<Option<u32>, String> {
        Ok(self.users.iter().find(|u| u.name == name).map(|u| u.uid))
    }
    fn gid(&self, name: &str) -> Result<Option<u32>, String> {
        Ok(self.groups.iter().find(|g| g.name == name).map(|g| g.gid))
    }
    fn is_dir(&self, path: &str) -> Result<bool, String> {
        Ok(std::fs::metadata(path).is_ok_and(|m| m.is_dir()))
    }
}

fn posture_run(host: &ThisHost, text: &str) -> Run {
    let mut kernel = Recorder::default();
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    // A final newline ends the last line; it does not start another.
    let n = if text.ends_with('\n') {
        lines.len() - 1
    } else {
        lines.len()
    };
    let load = auditctl::load(
        lines[..n].iter().enumerate().map(|(i, t)| Line {
            text: t,
            source: Source::line("case.rules", i as u32 + 1),
        }),
        host,
        &mut kernel,
    );
    let error_lines = load
        .lines
        .iter()
        .filter(|l| matches!(l.outcome, Outcome::Error(_)))
        .map(|l| l.lineno)
        .collect();
    let died = load
        .stopped
        .as_ref()
        .is_some_and(|s| matches!(s.outcome, Outcome::Fatal(_)));
    Run {
        requests: kernel.requests,
        error_lines,
        died,
    }
}

const SYSCALLS: &[&str] = &[
    "chmod",
    "fchmod",
    "fchmodat",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "open",
    "openat",
    "creat",
    "truncate",
    "ftruncate",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "adjtimex",
    "settimeofday",
    "clock_settime",
    "sethostname",
    "setdomainname",
    "mount",
    "umount2",
    "init_module",
    "finit_module",
    "delete_module",
    "create_module",
    "query_module",
    "execve",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "all",
    "ALL",
    "OPEN",
    "90",
    "0x5a",
    "15",
    "2047",
    "2048",
    "socketcall",
    "chown32",
    "stime",
    "bogus",
    "",
    "umount",
    "mmap2",
    "4294967296",
];
const ARCHES: &[&str] = &[
    "b64",
    "b32",
    "B64",
    "x86_64",
    "i386",
    "i686",
    "aarch64",
    "arm",
    "armv7l",
    "ppc64le",
    "s390x",
    "c000003e",
    "0xc000003e",
    "0x40000003",
    "1073741827",
    "bogus",
    "0x1c000003e",
];
const FIELDS: &[&str] = &[
    "auid",
    "AUID",
    "loginuid",
    "uid",
    "euid",
    "suid",
    "fsuid",
    "obj_uid",
    "gid",
    "egid",
    "sgid",
    "fsgid",
    "obj_gid",
    "pid",
    "ppid",
    "pers",
    "exit",
    "success",
    "perm",
    "path",
    "dir",
    "filetype",
    "a0",
    "a1",
    "a2",
    "a3",
    "key",
    "KEY",
    "exe",
    "subj_user",
    "subj_type",
    "obj_type",
    "obj_lev_low",
    "msgtype",
    "sessionid",
    "devmajor",
    "devminor",
    "inode",
    "saddr_fam",
    "fstype",
    "field_compare",
    "arch",
    "nosuch",
    "",
];
const OPS: &[&str] = &["=", "!=", ">=", "<=", ">", "<", "&", "&=", "==", "=>"];
const VALUES: &[&str] = &[
    "1000",
    "0",
    "-1",
    "unset",
    "UNSET",
    "4294967295",
    "0x3e8",
    "0100",
    "1000x",
    "root",
    "daemon",
    "nosuchuser",
    "adm",
    "-EACCES",
    "-EPERM",
    "EACCES",
    "-13",
    "-eacces",
    "-EFOO",
    "-",
    "1",
    "x",
    "wa",
    "rwxa",
    "WX",
    "rwxaw",
    "z",
    "file",
    "dir",
    "FILE",
    "/etc/passwd",
    "/usr/bin/su",
    "/etc/sudoers.d/",
    "relative",
    "CWD",
    "cwd",
    "USER_LOGIN",
    "UNKNOWN[1300]",
    "debugfs",
    "99999999999",
    "-0x10",
    "",
    "b64",
    "key=x",
];
const PATHS: &[&str] = &[
    "/etc/passwd",
    "/etc/audit/",
    "/etc/audit///",
    "/etc",
    "/",
    "//",
    "/nonexistent/x",
    "/var/log/sudo.log",
    "relative",
    "/etc/pass\\ wd",
    "/etc/sudoers.d",
    "/tmp/\\\\x",
];
const COMPARES: &[&str] = &[
    "euid!=uid",
    "uid!=euid",
    "uid=euid",
    "euid!=auid",
    "egid!=fsgid",
    "obj_uid!=uid",
    "pid!=uid",
    "euid<uid",
    "uid!=uid",
    "!=uid",
    "euid!=",
];
const LISTS: &[&str] = &[
    "always,exit",
    "exit,always",
    "never,exit",
    "exit,never",
    "always,task",
    "task,always",
    "always,user",
    "always,exclude",
    "exclude,always",
    "always,filesystem",
    "ALWAYS,exit",
    "always,EXIT",
    "exit,possible",
    "possible,exit",
    "always,bogus",
    "always,exit,x",
    "always",
    "always,always",
];

fn option(g: &mut Gen, line: &mut Vec<String>) {
    match g.below(14) {
        0..=2 => {
            line.push("-F".into());
            let mut pair = format!("{}{}{}", g.pick(FIELDS), g.pick(OPS), g.pick(VALUES));
            if g.chance(10) {
                pair = format!("arch={}", g.pick(ARCHES));
            }
            line.push(pair);
        }
        3 => {
            line.push("-F".into());
            line.push(format!("arch={}", g.pick(ARCHES)));
        }
        4 | 5 => {
            line.push("-S".into());
            let n = 1 + g.below(3);
            let names: Vec<&str> = (0..n).map(|_| g.pick(SYSCALLS)).collect();
            line.push(names.join(if g.chance(80) { "," } else { ",," }));
        }
        6 => {
            line.push("-k".into());
            line.push(g.pick(&["perm_mod", "identity", "x", "-w", "a\\ b"]).into());
        }
        7 => {
            line.push("-p".into());
            line.push(g.pick(&["wa", "rwxa", "x", "WA", "wz", "rwxaw"]).into());
        }
        8 => {
            line.push("-C".into());
            line.push(g.pick(COMPARES).into());
        }
        9 => {
            line.push("-w".into());
            line.push(g.pick(PATHS).into());
        }
        10 => line.push(
            g.pick(&[
                "-i", "-c", "-D", "-l", "-s", "-v", "-t", "--", "-", "foo", "#", "-x",
            ])
            .into(),
        ),
        11 => {
            line.push(g.pick(&["-a", "-A", "-d"]).into());
            line.push(g.pick(LISTS).into());
        }
        12 => line.push(format!("-F key={}", g.pick(&["k", "", "a\\ b"]))),
        _ => {
            line.push("-e".into());
            line.push(g.pick(&["0", "1", "2", "3"]).into());
        }
    }
}

fn cis_rule(g: &mut Gen) -> String {
    let arch = g.pick(&["b64", "b32"]);
    match g.below(6) {
        0 => format!(
            "-a always,exit -F arch={arch} -S {} -F auid>=1000 -F auid!=unset -k perm_mod",
            g.pick(&["chmod,fchmod,fchmodat", "chown,fchown,lchown,fchownat", "setxattr,lsetxattr"])
        ),
        1 => format!(
            "-a always,exit -F arch={arch} -S creat,open,openat,truncate,ftruncate -F exit={} -F auid>=1000 -F auid!=unset -k access",
            g.pick(&["-EACCES", "-EPERM"])
        ),
        2 => format!("-w {} -p wa -k {}", g.pick(PATHS), g.pick(&["identity", "scope"])),
        3 => format!(
            "-a always,exit -F path={} -F perm=x -F auid>=1000 -F auid!=unset -k privileged",
            g.pick(&["/usr/bin/su", "/usr/bin/sudo", "/usr/bin/passwd"])
        ),
        4 => format!("-a always,exit -F arch={arch} -C euid!=uid -F auid!=unset -S execve -k user_emulation"),
        _ => g
            .pick(&[
                "-D", "-b 8192", "-b 0x2000", "-b -1", "-f 1", "-f 3", "-e 2", "-e2", "-r 100",
                "--backlog_wait_time 60000", "--backlog=5", "--loginuid-immutable", "--loginuid",
                "--re", "--reset-lost", "-D -k foo", "-D -kfoo", "-m hello", "-q /a,/b",
            ])
            .into(),
    }
}

fn line(g: &mut Gen) -> String {
    let mut text = if g.chance(40) {
        cis_rule(g)
    } else {
        let mut words = Vec::new();
        let n = 1 + g.below(6);
        if g.chance(80) {
            words.push(g.pick(&["-a", "-A", "-w", "-d", "-W"]).to_string());
            words.push(if words[0] == "-w" || words[0] == "-W" {
                g.pick(PATHS).to_string()
            } else {
                g.pick(LISTS).to_string()
            });
        }
        for _ in 0..n {
            option(g, &mut words);
        }
        words.join(" ")
    };
    // The mistakes real files hold.
    match g.below(30) {
        0 => text = format!("  {text}"),
        1 => text = format!("\t{text}"),
        2 => text.push('\r'),
        3 => text = text.replacen(' ', "\t", 1),
        4 => text.push_str(" # comment"),
        5 => text = format!("# {text}"),
        6 => text = "   ".into(),
        7 => text = "\t# indented comment".into(),
        8 => text = String::new(),
        9 => text = text.replace(' ', "  "),
        10 => text.push_str(&" -k x".repeat(1 + g.below(8))),
        11 => text = format!("{text}{}", " ".repeat(6100)),
        _ => {}
    }
    text
}

#[test]
fn auditctl_reads_rules_files_as_posture_does() {
    let Some(auditctl) = oracle::find("auditctl") else {
        return oracle::skip("auditctl is not installed (Debian package auditd)");
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(shim) = build_shim(dir.path()) else {
        return oracle::skip("cannot build the libaudit stub (needs cc and linux/audit.h)");
    };
    let machine = rustix::system::uname()
        .machine()
        .to_str()
        .ok()
        .and_then(Machine::from_name);
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let host = ThisHost {
        machine,
        users: parse_passwd(&read("/etc/passwd"), "/etc/passwd").0,
        groups: parse_group(&read("/etc/group"), "/etc/group").0,
    };
    let cases: usize = std::env::var("POSTURE_ORACLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let seed = std::env::var("POSTURE_ORACLE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_a0d1_7c71_0001);
    let mut g = Gen(seed);
    let mut failures = Vec::new();
    for case in 0..cases {
        let n = 1 + g.below(6);
        let mut text = String::new();
        for _ in 0..n {
            text.push_str(&line(&mut g));
            text.push('\n');
        }
        if g.chance(10) {
            text.pop();
        }
        let want = run_auditctl(&auditctl, &shim, dir.path(), &text);
        let got = posture_run(&host, &text);
        if want != got {
            failures.push(format!(
                "case {case}:\n{text:?}\nauditctl: {want:#?}\nposture: {got:#?}"
            ));
        }
    }
    println!("{cases} generated rules files compared with auditctl");
    assert!(
        failures.is_empty(),
        "{} of {cases} files read differently:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
