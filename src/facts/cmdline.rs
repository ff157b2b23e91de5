//! The kernel command line: the one the running kernel was booted with and
//! the ones the target's boot configurations give the kernel, split into
//! parameters as the kernel splits them.
//!
//! **The kernel's view** (lib/cmdline.c `next_arg`, kernel/params.c
//! `parse_args` and `parameq`): parameters are separated by whitespace
//! (`isspace`, which in the kernel's ctype table includes byte 0xA0); a
//! double quote starts or ends a quoted stretch in which whitespace does
//! not separate, and quotes around a whole parameter or around its value
//! are removed; `name=value` splits at the first `=`; a bare `--` ends the
//! kernel's own parameters (the rest goes to init); in names, `-` and `_`
//! are the same character. Each instance of a parameter is applied in
//! order, so the last one wins: [`Cmdline::last`]. (A few parameters
//! accumulate instead, such as the comma-separated `iommu=`;
//! [`Cmdline::instances`] gives them all.)
//!
//! **Configurations read** (`configured`), each one a command line:
//! - GRUB, the default and the recovery entry that grub-mkconfig's 10_linux
//!   writes: /etc/default/grub and then /etc/default/grub.d/*.cfg in the
//!   shell's glob order (bytewise, as dash sorts; /usr/sbin/grub-mkconfig),
//!   evaluated as the shell sources them ([`super::shell`]). The default
//!   entry gets `GRUB_CMDLINE_LINUX GRUB_CMDLINE_LINUX_DEFAULT`, the
//!   recovery entry `single GRUB_CMDLINE_LINUX` (`recovery` on Ubuntu) and
//!   exists unless `GRUB_DISABLE_RECOVERY` is `true`. The text is then
//!   split as GRUB's script lexer and `linux` command do ([`super::grub`]).
//!   Not modelled: the `init=` entries (the default entry's parameters plus
//!   `init=`), Xen entries, and parameters 10_linux itself puts before the
//!   configured ones (`BOOT_IMAGE=`, `root=`, `ro`, btrfs `rootflags=`),
//!   which the configured ones override.
//! - Boot Loader Specification entries (/boot/loader/entries/*.conf, and
//!   /efi and /boot/efi/loader/entries for systemd-boot): their `options`.
//!   RHEL 8 and 9 and Fedora boot these through GRUB's blscfg command
//!   (`GRUB_ENABLE_BLSCFG=true`): grubby and kernel-install write the
//!   command line of each installed kernel there, and grub-mkconfig leaves
//!   them alone, so on those systems they, not /etc/default/grub, are what
//!   boots. blscfg replaces `$NAME` with GRUB's environment: grubenv
//!   (`kernelopts` on RHEL 8), overridden for `tuned_params` and
//!   `tuned_initrd` by tuned's /etc/grub.d/00_tuned, which sets them from
//!   /etc/tuned/bootcmdline. A variable defined nowhere makes the entry
//!   unknown.
//! - /etc/kernel/cmdline (else /usr/lib/kernel/cmdline): what
//!   kernel-install writes into new entries and unified kernel images.
//!
//! A configuration that cannot be evaluated (see [`super::shell`] and
//! [`super::grub`]) is left out with an incomplete diagnostic, so checks
//! that need it are errors, never guesses. Not read: the generated
//! grub.cfg, a kernel's built-in command line (CONFIG_CMDLINE) and
//! bootconfig.

use super::grub;
use super::shell::{Origin, Shell, Traced, Var};
use crate::diag::Diagnostic;
use crate::facts::{whole_lines, Collected, FactError, FactResult, Source};
use crate::target::{FileType, Target, TargetError};
use serde::Serialize;
use serde_json::{json, Value};

/// One parameter as the kernel sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KernelParam {
    pub name: String,
    /// `None` for a bare `name` with no `=`.
    pub value: Option<String>,
    pub source: Source,
}

/// A command line some boot path gives the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cmdline {
    /// What boots with it: `running kernel`, `GRUB default entry`, ...
    pub config: String,
    /// The file that defines it.
    pub file: String,
    /// The kernel's parameters in order, up to a `--`.
    pub params: Vec<KernelParam>,
    /// What follows `--`, which the kernel passes to init.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_args: Option<String>,
}

impl Cmdline {
    /// Every instance of the parameter `name`, in order.
    pub fn instances<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a KernelParam> + 'a {
        let name = name.to_string();
        self.params.iter().filter(move |p| parameq(&p.name, &name))
    }

    /// The instance of `name` that takes effect: the last.
    pub fn last(&self, name: &str) -> Option<&KernelParam> {
        self.instances(name).last()
    }
}

/// kernel/params.c `parameq`: names are equal when they differ only in
/// `-` versus `_`.
pub fn parameq(a: &str, b: &str) -> bool {
    let dash = |c: u8| if c == b'-' { b'_' } else { c };
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| dash(x) == dash(y))
}

/// lib/kstrtox.c `kstrtobool`: `1 y Y t T on` are true, `0 n N f F off`
/// false (only the first one or two characters are read); anything else
/// is rejected, and a parameter handler that uses it then keeps the value
/// it had.
pub fn kstrtobool(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    match b.first()? {
        b'y' | b'Y' | b't' | b'T' | b'1' => Some(true),
        b'n' | b'N' | b'f' | b'F' | b'0' => Some(false),
        b'o' | b'O' => match b.get(1)? {
            b'n' | b'N' => Some(true),
            b'f' | b'F' => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The boolean a parameter sets, as kernel handlers that use kstrtobool
/// apply it: the last instance kstrtobool accepts (a rejected one leaves
/// the value as it was). A bare name is `true` for a module parameter
/// (`module.param`: `param_set_bool` reads no value as "1") and rejected
/// otherwise (an `early_param` handler passes no value to kstrtobool).
pub fn last_bool<'a>(cmdline: &'a Cmdline, name: &str) -> Option<(bool, &'a KernelParam)> {
    cmdline
        .instances(name)
        .filter_map(|p| bool_of(p).map(|b| (b, p)))
        .last()
}

fn bool_of(p: &KernelParam) -> Option<bool> {
    match &p.value {
        Some(v) => kstrtobool(v),
        None => p.name.contains('.').then_some(true),
    }
}

/// What a `kernel_param` probe reports for one command line: the
/// parameter's effective value (`last`) or every value in order, as text
/// (`""` for a bare name) or, with `as_bool`, as kstrtobool reads it;
/// `null` when absent. The source is the instance that gave the value.
pub fn param_value(
    cmdline: &Cmdline,
    name: &str,
    all: bool,
    as_bool: bool,
) -> (Value, Option<Source>) {
    let text = |p: &KernelParam| json!(p.value.clone().unwrap_or_default());
    match (all, as_bool) {
        (false, false) => match cmdline.last(name) {
            Some(p) => (text(p), Some(p.source.clone())),
            None => (Value::Null, None),
        },
        (false, true) => match last_bool(cmdline, name) {
            Some((b, p)) => (json!(b), Some(p.source.clone())),
            None => (Value::Null, None),
        },
        (true, _) => {
            let found: Vec<(Value, &KernelParam)> = cmdline
                .instances(name)
                .filter_map(|p| {
                    if as_bool {
                        bool_of(p).map(|b| (json!(b), p))
                    } else {
                        Some((text(p), p))
                    }
                })
                .collect();
            match found.last() {
                Some((_, p)) => (
                    Value::Array(found.iter().map(|(v, _)| v.clone()).collect()),
                    Some(p.source.clone()),
                ),
                None => (Value::Null, None),
            }
        }
    }
}

/// `isspace` of the kernel's lib/ctype.c: 0xA0 is a space in its table.
fn kernel_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0xa0)
}

/// One token of `parse_args`: the parameter, its value, and where the
/// token started (for its origin).
struct Token {
    name: Vec<u8>,
    value: Option<Vec<u8>>,
    start: usize,
}

/// lib/cmdline.c `next_arg` on `s[pos..]`: the token and where the next
/// one starts (spaces after it skipped).
fn next_arg(s: &[u8], pos: usize) -> (Token, usize) {
    let mut start = pos;
    let mut in_quote = false;
    let mut quoted = false;
    if s.get(start) == Some(&b'"') {
        start += 1;
        in_quote = true;
        quoted = true;
    }
    let mut i = 0;
    let mut equals = 0;
    while start + i < s.len() {
        let c = s[start + i];
        if kernel_space(c) && !in_quote {
            break;
        }
        // As in the kernel, an `=` at the token's first byte leaves
        // `equals` at 0, so a later `=` splits instead.
        if equals == 0 && c == b'=' {
            equals = i;
        }
        if c == b'"' {
            in_quote = !in_quote;
        }
        i += 1;
    }
    let end = start + i;
    // The kernel writes NULs into the buffer; the lengths below follow them.
    let mut last_cut = end;
    if quoted && i > 0 && s[end - 1] == b'"' {
        last_cut = end - 1;
    }
    let token = if equals == 0 {
        Token {
            name: s[start..last_cut].to_vec(),
            value: None,
            start,
        }
    } else {
        let name = s[start..start + equals].to_vec();
        let mut v_start = start + equals + 1;
        let mut v_end = last_cut;
        if s.get(v_start) == Some(&b'"') && v_start < end {
            v_start += 1;
            if s[end - 1] == b'"' {
                v_end = v_end.min(end - 1);
            }
        }
        Token {
            name,
            value: Some(s[v_start..v_end.max(v_start)].to_vec()),
            start,
        }
    };
    let mut next = end;
    if next < s.len() {
        next += 1;
    }
    while next < s.len() && kernel_space(s[next]) {
        next += 1;
    }
    (token, next)
}

/// The kernel's parameters of `text`, up to a bare `--`, and what follows
/// it. `source` turns a byte's origin into a [`Source`].
pub fn parse_kernel(
    text: &Traced,
    source: &dyn Fn(Origin) -> Source,
) -> (Vec<KernelParam>, Option<String>) {
    let s = &text.bytes;
    let mut pos = 0;
    while pos < s.len() && kernel_space(s[pos]) {
        pos += 1;
    }
    let mut params = Vec::new();
    while pos < s.len() {
        let (tok, next) = next_arg(s, pos);
        if tok.value.is_none() && tok.name == b"--" {
            let rest = String::from_utf8_lossy(&s[next..]).into_owned();
            return (params, Some(rest));
        }
        params.push(KernelParam {
            name: String::from_utf8_lossy(&tok.name).into_owned(),
            value: tok.value.map(|v| String::from_utf8_lossy(&v).into_owned()),
            source: source(text.origins[tok.start.min(s.len() - 1)]),
        });
        pos = next;
    }
    (params, None)
}

/// The parameters of a command line given as plain text (one file, line 1).
pub fn parse_text(file: &str, text: &str) -> (Vec<KernelParam>, Option<String>) {
    let traced = Traced::new(text, Origin { file: 0, line: 1 });
    parse_kernel(&traced, &|_| Source::line(file, 1))
}

/// The running kernel's command line (/proc/cmdline).
pub fn collect_runtime(target: &Target) -> FactResult<Cmdline> {
    if !target.is_live() {
        return Err(FactError::RuntimeOnly {
            what: "the running kernel's command line",
        });
    }
    const PROC: &str = "/proc/cmdline";
    let Some(text) = target.read_text(PROC)? else {
        return Err(FactError::Read(TargetError::Io {
            path: PROC.into(),
            message: "does not exist; is /proc mounted?".into(),
        }));
    };
    let mut diags = Vec::new();
    let body = whole_lines(&text, &mut diags);
    let (params, init_args) = parse_text(PROC, body);
    Ok(Collected::new(
        Cmdline {
            config: "running kernel".into(),
            file: PROC.into(),
            params,
            init_args,
        },
        diags,
    ))
}

/// Files read for the configured command lines, so origins can name them.
#[derive(Default)]
struct Files {
    paths: Vec<String>,
}

impl Files {
    fn add(&mut self, path: &str) -> u16 {
        if let Some(i) = self.paths.iter().position(|p| p == path) {
            return i as u16;
        }
        self.paths.push(path.to_string());
        (self.paths.len() - 1) as u16
    }

    fn source(&self, o: Origin) -> Source {
        let file = self.paths.get(o.file as usize).cloned().unwrap_or_default();
        if o.line == 0 {
            Source::file(file)
        } else {
            Source::line(file, o.line)
        }
    }
}

/// At most this many files of a drop-in or entry directory are read.
const MAX_FILES: usize = 1000;

/// What reading a configuration file gave.
enum Read {
    Text(String),
    Missing,
}

struct Collector<'t> {
    target: &'t Target,
    files: Files,
    diags: Vec<Diagnostic>,
    lines: Vec<Cmdline>,
}

impl Collector<'_> {
    /// A file's text; an unreadable or cut file is an incomplete diagnostic
    /// and `None`, so the configuration using it is left out.
    fn read(&mut self, path: &str, what: &str) -> Option<Read> {
        match self.target.read_text(path) {
            Ok(Some(t)) => {
                if t.truncated {
                    self.diags.push(super::truncated(path));
                    return None;
                }
                Some(Read::Text(t.text))
            }
            Ok(None) => Some(Read::Missing),
            Err(e) => {
                self.diags.push(Diagnostic::incomplete(
                    path,
                    format!("{e}; {what} cannot be known"),
                ));
                None
            }
        }
    }

    fn glob(&mut self, pattern: &str, what: &str) -> Option<Vec<String>> {
        match self.target.glob(pattern) {
            Ok(mut paths) => {
                if paths.len() > MAX_FILES {
                    self.diags.push(Diagnostic::incomplete(
                        pattern,
                        format!("more than {MAX_FILES} files; {what} cannot be known"),
                    ));
                    return None;
                }
                paths.sort();
                Some(paths)
            }
            Err(e) => {
                self.diags.push(Diagnostic::incomplete(
                    pattern,
                    format!("{e}; {what} cannot be known"),
                ));
                None
            }
        }
    }

    fn unknown(&mut self, file: &str, config: &str, why: &str) {
        self.diags.push(Diagnostic::incomplete(
            file,
            format!("the {config}'s kernel command line cannot be known: {why}"),
        ));
    }

    /// Adds a command line GRUB passes: `text` split by GRUB's lexer,
    /// joined by its `linux` command, split by the kernel.
    fn add_grub(&mut self, config: &str, file: &str, text: &Traced) {
        match grub::script_args(text) {
            Ok(args) => {
                let line = grub::loader_cmdline(&args);
                let (params, init_args) = parse_kernel(&line, &|o| self.files.source(o));
                self.lines.push(Cmdline {
                    config: config.into(),
                    file: file.into(),
                    params,
                    init_args,
                });
            }
            Err(why) => self.unknown(file, config, &why),
        }
    }

    fn grub_defaults(&mut self) {
        const MAIN: &str = "/etc/default/grub";
        const DROPINS: &str = "/etc/default/grub.d/*.cfg";
        let what = "the GRUB configuration";
        let mut sources: Vec<String> = Vec::new();
        // grub-mkconfig: `if test -f /etc/default/grub`, then each
        // `grub.d/*.cfg` for which `[ -e ]` holds.
        match self.target.metadata(MAIN, true) {
            Ok(Some(m)) if m.file_type == FileType::File => sources.push(MAIN.into()),
            Ok(_) => {}
            Err(e) => {
                return self.diags.push(Diagnostic::incomplete(
                    MAIN,
                    format!("{e}; {what} cannot be known"),
                ))
            }
        }
        let Some(dropins) = self.glob(DROPINS, what) else {
            return;
        };
        sources.extend(dropins);
        if sources.is_empty() {
            return;
        }
        let mut shell = Shell::new(&[
            "GRUB_CMDLINE_LINUX",
            "GRUB_CMDLINE_LINUX_DEFAULT",
            "GRUB_DISABLE_RECOVERY",
        ]);
        for path in &sources {
            let text = match self.read(path, what) {
                Some(Read::Text(t)) => t,
                Some(Read::Missing) => continue,
                None => return,
            };
            let idx = self.files.add(path);
            shell.source(idx, path, &text);
        }
        let main = sources[0].clone();
        let linux = shell.get("GRUB_CMDLINE_LINUX");
        let default = shell.get("GRUB_CMDLINE_LINUX_DEFAULT");
        let from_10_linux = Origin {
            file: self.files.add("/etc/grub.d/10_linux"),
            line: 0,
        };
        let value = |v: &Var| -> Result<Traced, String> {
            match v {
                Var::Set(t) => Ok(t.clone()),
                Var::Unset => Ok(Traced::default()),
                Var::Unknown(why) => Err(why.clone()),
            }
        };
        match (value(&linux), value(&default)) {
            (Ok(l), Ok(d)) => {
                let mut text = l;
                text.push(b' ', from_10_linux);
                text.extend(&d);
                self.add_grub("GRUB default entry", &main, &text);
            }
            (Err(why), _) | (_, Err(why)) => self.unknown(&main, "GRUB default entry", &why),
        }
        let recovery =
            !matches!(shell.get("GRUB_DISABLE_RECOVERY"), Var::Set(t) if t.bytes == b"true");
        if recovery {
            match value(&linux) {
                Ok(l) => self.add_grub("GRUB recovery entry", &main, &l),
                Err(why) => self.unknown(&main, "GRUB recovery entry", &why),
            }
        }
    }

    /// GRUB's environment as blscfg sees it: grubenv, then what tuned's
    /// 00_tuned sets in grub.cfg. `Err` says why a variable is unknown.
    fn grub_env(&mut self) -> Vec<(String, Result<Traced, String>)> {
        let mut env: Vec<(String, Result<Traced, String>)> = Vec::new();
        for path in ["/boot/grub2/grubenv", "/boot/grub/grubenv"] {
            match self.read(path, "GRUB's saved environment") {
                Some(Read::Text(text)) => {
                    let idx = self.files.add(path);
                    for (name, value, line) in grub::parse_env(&text) {
                        env.push((name, Ok(Traced::new(&value, Origin { file: idx, line }))));
                    }
                    break;
                }
                Some(Read::Missing) => continue,
                None => break,
            }
        }
        const TUNED: &str = "/etc/grub.d/00_tuned";
        let runs = matches!(
            self.target.metadata(TUNED, true),
            Ok(Some(m)) if m.file_type == FileType::File && m.mode & 0o111 != 0
        );
        if runs {
            const BOOTCMDLINE: &str = "/etc/tuned/bootcmdline";
            let mut shell = Shell::new(&["TUNED_BOOT_CMDLINE", "TUNED_BOOT_INITRD_ADD"]);
            let vars = match self.read(BOOTCMDLINE, "tuned's kernel parameters") {
                Some(Read::Text(text)) => {
                    let idx = self.files.add(BOOTCMDLINE);
                    shell.source(idx, BOOTCMDLINE, &text);
                    Some(shell)
                }
                _ => None,
            };
            for (grub_name, tuned_name) in [
                ("tuned_params", "TUNED_BOOT_CMDLINE"),
                ("tuned_initrd", "TUNED_BOOT_INITRD_ADD"),
            ] {
                // 00_tuned writes `set NAME="VALUE"`: GRUB reads the value
                // in double quotes, where `$`, `\` and `"` are special.
                let value = match vars.as_ref().map(|s| s.get(tuned_name)) {
                    None => Err(format!(
                        "{BOOTCMDLINE}, which {TUNED} reads, cannot be read"
                    )),
                    Some(Var::Unknown(why)) => Err(why),
                    Some(Var::Unset) => Ok(Traced::default()),
                    Some(Var::Set(t)) if t.bytes.iter().any(|b| b"$\\\"".contains(b)) => {
                        Err(format!("{tuned_name} holds characters GRUB would expand"))
                    }
                    Some(Var::Set(t)) => Ok(t),
                };
                env.push((grub_name.to_string(), value));
            }
        }
        env
    }

    fn bls_entries(&mut self) {
        let what = "the boot loader entries";
        let mut entries = Vec::new();
        for dir in [
            "/boot/loader/entries",
            "/efi/loader/entries",
            "/boot/efi/loader/entries",
        ] {
            let Some(found) = self.glob(&format!("{dir}/*.conf"), what) else {
                return;
            };
            entries.extend(found);
        }
        if entries.is_empty() {
            return;
        }
        let env = self.grub_env();
        for path in entries {
            let text = match self.read(&path, "a boot loader entry") {
                Some(Read::Text(t)) => t,
                Some(Read::Missing) => continue,
                None => continue,
            };
            let idx = self.files.add(&path);
            let options = grub::bls_options(&text, idx).unwrap_or_default();
            let lookup = |name: &str| -> Option<Traced> {
                env.iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, v)| v.as_ref().ok().cloned())
            };
            let expanded = if options.bytes.contains(&b'$') {
                match grub::expand_bls_variables(&options, &lookup) {
                    Ok(t) => t,
                    Err(why) => {
                        let why = env
                            .iter()
                            .rev()
                            .find_map(|(n, v)| match v {
                                Err(e) if why.contains(&format!("${n} ")) => {
                                    Some(format!("${n}: {e}"))
                                }
                                _ => None,
                            })
                            .unwrap_or(why);
                        self.unknown(&path, "boot loader entry", &why);
                        continue;
                    }
                }
            } else {
                options
            };
            self.add_grub("boot loader entry", &path, &expanded);
        }
    }

    fn kernel_install(&mut self) {
        for path in ["/etc/kernel/cmdline", "/usr/lib/kernel/cmdline"] {
            match self.read(path, "kernel-install's command line") {
                Some(Read::Text(text)) => {
                    let idx = self.files.add(path);
                    // kernel-install reads the whole file, newlines as spaces.
                    let mut traced = Traced::default();
                    for (lineno, line) in text.split('\n').enumerate() {
                        let origin = Origin {
                            file: idx,
                            line: lineno as u32 + 1,
                        };
                        traced.push_str(line, origin);
                        traced.push(b'\n', origin);
                    }
                    let (params, init_args) = parse_kernel(&traced, &|o| self.files.source(o));
                    self.lines.push(Cmdline {
                        config: "kernel-install".into(),
                        file: path.into(),
                        params,
                        init_args,
                    });
                    return;
                }
                Some(Read::Missing) => continue,
                None => return,
            }
        }
    }
}

/// The command lines the target's boot configurations give the kernel.
pub fn collect_configured(target: &Target) -> FactResult<Vec<Cmdline>> {
    let mut c = Collector {
        target,
        files: Files::default(),
        diags: Vec::new(),
        lines: Vec::new(),
    };
    c.grub_defaults();
    c.bls_entries();
    c.kernel_install();
    Ok(Collected::new(c.lines, c.diags))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::write;
    use std::os::unix::fs::PermissionsExt;

    fn tree(files: &[(&str, &str)]) -> (tempfile::TempDir, Target) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            write(dir.path(), path, text);
        }
        let target = Target::root(dir.path()).unwrap();
        (dir, target)
    }

    fn params(text: &str) -> Vec<(String, Option<String>)> {
        parse_text("/proc/cmdline", text)
            .0
            .into_iter()
            .map(|p| (p.name, p.value))
            .collect()
    }

    fn p(name: &str, value: Option<&str>) -> (String, Option<String>) {
        (name.to_string(), value.map(str::to_string))
    }

    #[test]
    fn the_kernel_splits_on_whitespace_outside_double_quotes() {
        assert_eq!(
            params("  BOOT_IMAGE=/vmlinuz ro\tquiet\n"),
            [
                p("BOOT_IMAGE", Some("/vmlinuz")),
                p("ro", None),
                p("quiet", None)
            ]
        );
        // quotes group a value and are removed around it
        assert_eq!(
            params("a=\"b c\" \"d=e f\" \"g h\" i=j\"k l\"m"),
            [
                p("a", Some("b c")),
                p("d", Some("e f")),
                p("g h", None),
                p("i", Some("j\"k l\"m")),
            ]
        );
        // the value splits at the first `=`; an `=` first in a token does not split
        assert_eq!(
            params("a=b=c =x=y ="),
            [p("a", Some("b=c")), p("=x", Some("y")), p("=", None)]
        );
        // an unclosed quote runs to the end
        assert_eq!(params("a=\"b c"), [p("a", Some("b c"))]);
        assert_eq!(params("a=\""), [p("a", Some(""))]);
        // 0xA0 is a space in the kernel's ctype table
        assert_eq!(
            parse_kernel(
                &Traced {
                    bytes: b"a\xa0b".to_vec(),
                    origins: vec![Origin { file: 0, line: 1 }; 3]
                },
                &|_| Source::file("x")
            )
            .0
            .len(),
            2
        );
    }

    #[test]
    fn a_bare_double_dash_ends_the_kernels_parameters() {
        let (ps, rest) = parse_text("/proc/cmdline", "quiet -- single audit=0");
        assert_eq!(ps.len(), 1);
        assert_eq!(rest.as_deref(), Some("single audit=0"));
        let (ps, rest) = parse_text("/proc/cmdline", "a --=x \"--\" b");
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[1].name, "--");
        assert_eq!(rest.as_deref(), Some("b"));
    }

    #[test]
    fn the_last_instance_wins_and_dashes_equal_underscores() {
        let (params, _) = parse_text(
            "/proc/cmdline",
            "init_on_alloc=1 pti=on init-on-alloc=0 pti=off page-alloc.shuffle",
        );
        let c = Cmdline {
            config: "running kernel".into(),
            file: "/proc/cmdline".into(),
            params,
            init_args: None,
        };
        assert_eq!(c.last("init_on_alloc").unwrap().value.as_deref(), Some("0"));
        assert_eq!(c.last("pti").unwrap().value.as_deref(), Some("off"));
        assert_eq!(c.instances("init-on_alloc").count(), 2);
        assert!(c.last("init_on_free").is_none());
        assert!(!parameq("pti", "PTI"));
        // a bare module parameter is true; a bare early parameter is no boolean
        assert!(last_bool(&c, "page_alloc.shuffle").unwrap().0);
        assert!(!last_bool(&c, "init_on_alloc").unwrap().0);
        let (v, _) = param_value(&c, "init_on_alloc", true, false);
        assert_eq!(v, json!(["1", "0"]));
        let (v, _) = param_value(&c, "nosmt", false, false);
        assert_eq!(v, Value::Null);
    }

    #[test]
    fn kstrtobool_reads_one_or_two_characters() {
        for t in ["1", "y", "Y", "t", "T", "on", "ON", "yes", "true"] {
            assert_eq!(kstrtobool(t), Some(true), "{t}");
        }
        for f in ["0", "n", "N", "f", "F", "off", "Off", "no", "false"] {
            assert_eq!(kstrtobool(f), Some(false), "{f}");
        }
        for x in ["", "2", "o", "ox", "enable", "-1"] {
            assert_eq!(kstrtobool(x), None, "{x}");
        }
        // a rejected value leaves the earlier one in effect
        let (params, _) = parse_text(
            "/proc/cmdline",
            "init_on_alloc=1 init_on_alloc=maybe init_on_alloc",
        );
        let c = Cmdline {
            config: String::new(),
            file: String::new(),
            params,
            init_args: None,
        };
        assert!(last_bool(&c, "init_on_alloc").unwrap().0);
    }

    fn configured(files: &[(&str, &str)]) -> Collected<Vec<Cmdline>> {
        let (_dir, target) = tree(files);
        collect_configured(&target).unwrap()
    }

    fn value(c: &Cmdline, name: &str) -> Option<String> {
        c.last(name).map(|p| p.value.clone().unwrap_or_default())
    }

    #[test]
    fn grub_default_entry_appends_the_default_options_after_the_linux_ones() {
        let got = configured(&[
            (
                "etc/default/grub",
                "GRUB_CMDLINE_LINUX=\"pti=on audit=1\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet pti=off\"\n",
            ),
            (
                "etc/default/grub.d/50-x.cfg",
                "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX 'slab_nomerge' a=\\\"b c\\\"\"\n",
            ),
        ]);
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        let [default, recovery] = got.value.as_slice() else {
            panic!("{:?}", got.value)
        };
        assert_eq!(default.config, "GRUB default entry");
        assert_eq!(value(default, "pti").as_deref(), Some("off"));
        assert_eq!(
            default.last("pti").unwrap().source,
            Source::line("/etc/default/grub", 2)
        );
        assert_eq!(value(default, "a").as_deref(), Some("b c"));
        assert_eq!(
            default.last("slab_nomerge").unwrap().source,
            Source::line("/etc/default/grub.d/50-x.cfg", 1)
        );
        // recovery entries get GRUB_CMDLINE_LINUX only
        assert_eq!(recovery.config, "GRUB recovery entry");
        assert_eq!(value(recovery, "pti").as_deref(), Some("on"));
        assert_eq!(value(recovery, "quiet"), None);
    }

    #[test]
    fn grub_recovery_entries_can_be_disabled() {
        let got = configured(&[(
            "etc/default/grub.d/x.cfg",
            "GRUB_DISABLE_RECOVERY=true\nGRUB_CMDLINE_LINUX_DEFAULT=quiet\n",
        )]);
        assert_eq!(got.value.len(), 1);
        assert_eq!(got.value[0].file, "/etc/default/grub.d/x.cfg");
    }

    #[test]
    fn what_cannot_be_evaluated_is_left_out_as_incomplete() {
        let got = configured(&[
            (
                "etc/default/grub",
                "GRUB_CMDLINE_LINUX_DEFAULT=quiet\nif [ -e /x ]; then GRUB_CMDLINE_LINUX=audit=0; fi\n",
            ),
            ("etc/kernel/cmdline", "audit=1\n"),
        ]);
        assert_eq!(got.value.len(), 1);
        assert_eq!(got.value[0].config, "kernel-install");
        assert!(got.diagnostics.iter().all(|d| d.incomplete));
        assert_eq!(got.diagnostics.len(), 2);
        // a GRUB variable in the options
        let got = configured(&[(
            "etc/default/grub",
            "GRUB_CMDLINE_LINUX=\"quiet \\$x\"\nGRUB_DISABLE_RECOVERY=true\n",
        )]);
        assert!(got.value.is_empty());
        assert_eq!(got.diagnostics.len(), 1);
    }

    #[test]
    fn bls_entries_expand_grub_environment_variables() {
        let got = configured(&[
            (
                "boot/loader/entries/a.conf",
                "title RHEL\nlinux /vmlinuz\noptions root=/dev/x ro audit=1 $tuned_params\n",
            ),
            (
                "boot/loader/entries/b.conf",
                "title RHEL 8\noptions $kernelopts $tuned_params\n",
            ),
            (
                "boot/grub2/grubenv",
                "# GRUB Environment Block\nkernelopts=root=/dev/x ro audit=0\ntuned_params=\n###",
            ),
        ]);
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        assert_eq!(got.value.len(), 2);
        assert_eq!(value(&got.value[0], "audit").as_deref(), Some("1"));
        assert_eq!(value(&got.value[1], "audit").as_deref(), Some("0"));
        assert_eq!(
            got.value[1].last("audit").unwrap().source,
            Source::line("/boot/grub2/grubenv", 2)
        );
        // tuned's 00_tuned sets tuned_params in grub.cfg, after grubenv
        let (dir, target) = tree(&[
            (
                "boot/loader/entries/a.conf",
                "options root=/dev/x ro $tuned_params\n",
            ),
            (
                "etc/tuned/bootcmdline",
                "TUNED_BOOT_CMDLINE=\"nohz=on mitigations=off\"\n",
            ),
            ("etc/grub.d/00_tuned", "#!/bin/sh\n"),
        ]);
        std::fs::set_permissions(
            dir.path().join("etc/grub.d/00_tuned"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let got = collect_configured(&target).unwrap();
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        assert_eq!(value(&got.value[0], "mitigations").as_deref(), Some("off"));
        // without tuned and grubenv, the variable is unknown
        let got = configured(&[(
            "boot/loader/entries/a.conf",
            "options root=/dev/x ro $tuned_params\n",
        )]);
        assert!(got.value.is_empty());
        assert!(got.diagnostics[0].incomplete);
    }

    #[test]
    fn kernel_install_reads_its_whole_file() {
        let got = configured(&[("etc/kernel/cmdline", "root=/dev/x\naudit=1\n")]);
        assert_eq!(value(&got.value[0], "audit").as_deref(), Some("1"));
        assert_eq!(
            got.value[0].last("audit").unwrap().source,
            Source::line("/etc/kernel/cmdline", 2)
        );
    }
}
