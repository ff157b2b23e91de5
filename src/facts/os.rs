//! Operating system identity (`os-release`) and basic system information.

use crate::diag::Diagnostic;
use crate::facts::{lines, truncated, Collected, FactResult, Source};
use crate::target::{FileType, Target, TargetError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// `/etc/os-release` is the admin-controlled copy (often a link to the
/// vendor file); the vendor file is the fallback the specification names.
const OS_RELEASE_PATHS: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OsInfo {
    /// `ID`; "unknown" when absent.
    pub id: String,
    pub id_like: Vec<String>,
    pub name: Option<String>,
    pub version_id: Option<String>,
    pub version_codename: Option<String>,
    pub pretty_name: Option<String>,
    /// One of debian, rhel, suse, alpine, arch, unknown; from `id` and then
    /// `id_like` (ubuntu→debian, centos/rocky/almalinux/fedora→rhel, ...).
    pub family: String,
    pub source: Option<Source>,
}

impl OsInfo {
    fn unknown() -> OsInfo {
        OsInfo {
            id: "unknown".to_string(),
            id_like: Vec::new(),
            name: None,
            version_id: None,
            version_codename: None,
            pretty_name: None,
            family: "unknown".to_string(),
            source: None,
        }
    }
}

/// Parses `os-release`: shell-style `KEY=value` assignments with optional
/// quoting, as its specification allows. Later assignments win, as in a shell.
pub fn parse_os_release(text: &str, file: &str) -> (OsInfo, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for (lineno, raw) in lines(text) {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            diags.push(
                Diagnostic::new(file, format!("expected KEY=value, found {line:?}"))
                    .at(lineno, None),
            );
            continue;
        };
        if !is_valid_key(key) {
            diags.push(
                Diagnostic::new(file, format!("invalid variable name {key:?}")).at(lineno, None),
            );
            continue;
        }
        match unquote(value.trim()) {
            Ok((value, warning)) => {
                if let Some(warning) = warning {
                    diags.push(Diagnostic::new(file, format!("{key}: {warning}")).at(lineno, None));
                }
                vars.insert(key.to_string(), value);
            }
            Err(message) => {
                diags.push(Diagnostic::new(file, format!("{key}: {message}")).at(lineno, None));
            }
        }
    }

    let non_empty = |key: &str| vars.get(key).filter(|v| !v.is_empty()).cloned();
    let id = non_empty("ID").unwrap_or_else(|| "unknown".to_string());
    let id_like: Vec<String> = vars
        .get("ID_LIKE")
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default();
    let family = family_of(&id, &id_like).to_string();
    let info = OsInfo {
        family,
        name: non_empty("NAME"),
        version_id: non_empty("VERSION_ID"),
        version_codename: non_empty("VERSION_CODENAME"),
        pretty_name: non_empty("PRETTY_NAME"),
        id,
        id_like,
        source: Some(Source::file(file)),
    };
    (info, diags)
}

/// Reads `/etc/os-release`, else `/usr/lib/os-release`. A tree with neither is
/// still scanned: the OS is "unknown" and a diagnostic says why.
pub fn collect_os(target: &Target) -> FactResult<OsInfo> {
    for path in OS_RELEASE_PATHS {
        if let Some(file) = target.read_text(path)? {
            let (info, mut diags) = parse_os_release(&file.text, &file.path);
            if file.truncated {
                diags.push(truncated(&file.path));
            }
            return Ok(Collected::new(info, diags));
        }
    }
    Ok(Collected::new(
        OsInfo::unknown(),
        vec![Diagnostic::new(
            OS_RELEASE_PATHS[0],
            "neither /etc/os-release nor /usr/lib/os-release exists; the OS is unknown",
        )],
    ))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SystemInfo {
    pub hostname: Option<String>,
    /// The running kernel (`uname -r`); live hosts only.
    pub kernel_release: Option<String>,
    /// The running kernel's build string (`uname -v`); live hosts only.
    pub kernel_version: Option<String>,
    /// Machine architecture as `uname -m` spells it (x86_64, aarch64, ...).
    pub arch: Option<String>,
    /// Kernels installed in the tree (`/boot/vmlinuz-*` names minus the
    /// prefix, and `/usr/lib/modules/*` or `/lib/modules/*` directory names),
    /// sorted, deduplicated.
    pub installed_kernels: Vec<String>,
}

/// On a live host the running kernel is asked; in a root filesystem only what
/// the files say is known, so the kernel fields stay `None` there.
pub fn collect_system(target: &Target) -> FactResult<SystemInfo> {
    let mut diags = Vec::new();
    let info = if target.is_live() {
        let uname = rustix::system::uname();
        let from_uname = |s: &std::ffi::CStr| non_empty(&s.to_string_lossy());
        SystemInfo {
            hostname: match first_line(target, "/proc/sys/kernel/hostname", &mut diags)? {
                Some(v) => Some(v),
                // /proc may be missing in odd sandboxes; the syscall still answers.
                None => from_uname(uname.nodename()),
            },
            kernel_release: match first_line(target, "/proc/sys/kernel/osrelease", &mut diags)? {
                Some(v) => Some(v),
                None => from_uname(uname.release()),
            },
            kernel_version: match first_line(target, "/proc/sys/kernel/version", &mut diags)? {
                Some(v) => Some(v),
                None => from_uname(uname.version()),
            },
            arch: from_uname(uname.machine()),
            installed_kernels: installed_kernels(target)?,
        }
    } else {
        SystemInfo {
            hostname: first_line(target, "/etc/hostname", &mut diags)?,
            kernel_release: None,
            kernel_version: None,
            arch: root_arch(target, &mut diags)?,
            installed_kernels: installed_kernels(target)?,
        }
    };
    Ok(Collected::new(info, diags))
}

/// A root filesystem records its architecture only in its package manager's
/// configuration, in that manager's own spelling.
fn root_arch(target: &Target, diags: &mut Vec<Diagnostic>) -> Result<Option<String>, TargetError> {
    if let Some(arch) = first_line(target, "/var/lib/dpkg/arch", diags)? {
        return Ok(Some(dpkg_arch_to_machine(&arch)));
    }
    if let Some(arch) = first_line(target, "/etc/apk/arch", diags)? {
        return Ok(Some(apk_arch_to_machine(&arch)));
    }
    elf_arch(target)
}

/// The machine a root's own shell is built for, from its ELF header: every
/// Linux root has `/bin/sh`, whatever its package manager.
fn elf_arch(target: &Target) -> Result<Option<String>, TargetError> {
    let header = match target.read_bytes_capped("/bin/sh", 20) {
        Ok(Some((bytes, _))) => bytes,
        Ok(None) | Err(TargetError::NotRegular { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    if header.len() < 20 || &header[..4] != b"\x7fELF" {
        return Ok(None);
    }
    let little_endian = header[5] == 1;
    let machine = if little_endian {
        u16::from_le_bytes([header[18], header[19]])
    } else {
        u16::from_be_bytes([header[18], header[19]])
    };
    let is_64 = header[4] == 2;
    let name = match (machine, is_64) {
        (0x3e, _) => "x86_64",
        (0x03, _) => "i686",
        (0xb7, _) => "aarch64",
        (0x28, _) => "armv7l",
        (0xf3, true) => "riscv64",
        (0x15, true) if little_endian => "ppc64le",
        (0x15, true) => "ppc64",
        (0x16, _) => "s390x",
        (0x102, _) => "loongarch64",
        _ => return Ok(None),
    };
    Ok(Some(name.to_string()))
}

fn dpkg_arch_to_machine(arch: &str) -> String {
    match arch {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "i386" => "i686",
        "armhf" => "armv7l",
        "armel" => "armv5tel",
        "ppc64el" => "ppc64le",
        "powerpc" => "ppc",
        "mips64el" => "mips64",
        "mipsel" => "mips",
        "loong64" => "loongarch64",
        "x32" => "x86_64",
        other => other,
    }
    .to_string()
}

fn apk_arch_to_machine(arch: &str) -> String {
    match arch {
        "x86" => "i686",
        "armhf" => "armv6l",
        "armv7" => "armv7l",
        other => other,
    }
    .to_string()
}

fn installed_kernels(target: &Target) -> Result<Vec<String>, TargetError> {
    let mut kernels = BTreeSet::new();
    for entry in target.read_dir("/boot")?.unwrap_or_default() {
        if entry.file_type == FileType::Directory {
            continue;
        }
        if let Some(release) = entry.name.strip_prefix("vmlinuz-") {
            // Fedora's rescue image is a copy of some kernel, not a release.
            if !release.is_empty() && !release.starts_with("0-rescue-") {
                kernels.insert(release.to_string());
            }
        }
    }
    // On merged-/usr systems both paths are the same directory; the set
    // removes the duplicates.
    for dir in ["/usr/lib/modules", "/lib/modules"] {
        for entry in target.read_dir(dir)?.unwrap_or_default() {
            if entry.name.starts_with('.') {
                continue;
            }
            let is_dir = match entry.file_type {
                FileType::Directory => true,
                FileType::Symlink => target
                    .metadata(&format!("{dir}/{}", entry.name), true)?
                    .is_some_and(|m| m.file_type == FileType::Directory),
                _ => false,
            };
            if is_dir {
                kernels.insert(entry.name);
            }
        }
    }
    Ok(kernels.into_iter().collect())
}

/// The first line of a file that is neither blank nor a comment, trimmed;
/// `None` when the file is missing or has no such line.
fn first_line(
    target: &Target,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<Option<String>, TargetError> {
    let Some(file) = target.read_text(path)? else {
        return Ok(None);
    };
    if file.truncated {
        diags.push(truncated(&file.path));
    }
    let Some((number, line)) = lines(&file.text)
        .map(|(number, line)| (number, line.trim()))
        .find(|(_, line)| !line.is_empty() && !line.starts_with('#'))
    else {
        return Ok(None);
    };
    // Host names, kernel releases and architectures are short; a long line
    // is not one, and would make every report of this root huge.
    if line.len() > MAX_VALUE_BYTES {
        let mut d = Diagnostic::incomplete(
            file.path.as_str(),
            format!(
                "ignored: the value is {} bytes long; at most {MAX_VALUE_BYTES} are read",
                line.len()
            ),
        );
        d.line = Some(number);
        diags.push(d);
        return Ok(None);
    }
    Ok(Some(line.to_string()))
}

/// The longest host name, kernel release or architecture read: the
/// report readers' limit for a host name.
const MAX_VALUE_BYTES: usize = crate::report::read::MAX_IDENTITY_BYTES;

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Removes shell quoting from a value. Returns the value and, when the value
/// is usable but not valid shell, a warning.
fn unquote(value: &str) -> Result<(String, Option<String>), String> {
    let mut out = String::new();
    let mut warning = None;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next() {
                    None => return Err("unterminated double quote".to_string()),
                    Some('"') => break,
                    Some('\\') => match chars.peek() {
                        Some(&next @ ('"' | '\\' | '$' | '`')) => {
                            out.push(next);
                            chars.next();
                        }
                        // Inside double quotes a backslash before any other
                        // character is itself, as in a shell.
                        _ => out.push('\\'),
                    },
                    Some(other) => out.push(other),
                }
            },
            '\'' => loop {
                match chars.next() {
                    None => return Err("unterminated single quote".to_string()),
                    Some('\'') => break,
                    Some(other) => out.push(other),
                }
            },
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            c if c.is_whitespace() => {
                let rest: String = chars.by_ref().collect();
                let rest = rest.trim_start();
                // In a shell, unquoted whitespace followed by `#` starts a
                // comment; anything else would be run as a command. systemd
                // keeps such text, and so does this parser, with a warning.
                if !rest.is_empty() && !rest.starts_with('#') {
                    let (tail, _) = unquote(rest)?;
                    out.push(c);
                    out.push_str(&tail);
                    warning = Some("unquoted whitespace in value; value taken as written".into());
                }
                break;
            }
            other => out.push(other),
        }
    }
    Ok((out, warning))
}

fn family_of(id: &str, id_like: &[String]) -> &'static str {
    std::iter::once(id)
        .chain(id_like.iter().map(String::as_str))
        .find_map(family_of_id)
        .unwrap_or("unknown")
}

fn family_of_id(id: &str) -> Option<&'static str> {
    let id = id.to_ascii_lowercase();
    let family = match id.as_str() {
        "debian" | "ubuntu" | "linuxmint" | "raspbian" | "kali" | "pop" | "elementary"
        | "devuan" | "zorin" | "neon" | "deepin" | "pureos" | "parrot" | "mx" => "debian",
        "rhel" | "centos" | "fedora" | "rocky" | "almalinux" | "ol" | "amzn" | "scientific"
        | "cloudlinux" | "eurolinux" | "circle" | "navylinux" | "virtuozzo" | "miraclelinux" => {
            "rhel"
        }
        "suse" | "sles" | "sled" | "sles_sap" | "sle-micro" | "sl-micro" => "suse",
        "alpine" | "postmarketos" => "alpine",
        "arch" | "archarm" | "manjaro" | "manjaro-arm" | "endeavouros" | "artix" | "garuda"
        | "cachyos" => "arch",
        other if other.starts_with("opensuse") => "suse",
        _ => return None,
    };
    Some(family)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::write;
    use std::fs;
    use std::os::unix::fs::symlink;
    use std::path::Path;

    fn mkdir(root: &Path, path: &str) {
        fs::create_dir_all(root.join(path.trim_start_matches('/'))).unwrap();
    }

    const DEBIAN: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"#;

    #[test]
    fn parses_debian() {
        let (info, diags) = parse_os_release(DEBIAN, "/etc/os-release");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(info.id, "debian");
        assert!(info.id_like.is_empty());
        assert_eq!(info.name.as_deref(), Some("Debian GNU/Linux"));
        assert_eq!(info.version_id.as_deref(), Some("12"));
        assert_eq!(info.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(
            info.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(info.family, "debian");
        assert_eq!(info.source, Some(Source::file("/etc/os-release")));
    }

    #[test]
    fn family_from_id_like() {
        let rocky = "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n";
        let (info, _) = parse_os_release(rocky, "f");
        assert_eq!(info.id, "rocky");
        assert_eq!(info.id_like, vec!["rhel", "centos", "fedora"]);
        assert_eq!(info.family, "rhel");

        let mint = "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n";
        assert_eq!(parse_os_release(mint, "f").0.family, "debian");
        let something = "ID=someubuntuspin\nID_LIKE=ubuntu\n";
        assert_eq!(parse_os_release(something, "f").0.family, "debian");
        let leap = "ID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\n";
        assert_eq!(parse_os_release(leap, "f").0.family, "suse");
        assert_eq!(parse_os_release("ID=alpine\n", "f").0.family, "alpine");
        assert_eq!(parse_os_release("ID=arch\n", "f").0.family, "arch");
        assert_eq!(parse_os_release("ID=fedora\n", "f").0.family, "rhel");
        assert_eq!(
            parse_os_release("ID=amzn\nID_LIKE=\"centos rhel fedora\"\n", "f")
                .0
                .family,
            "rhel"
        );
        assert_eq!(parse_os_release("ID=nixos\n", "f").0.family, "unknown");
    }

    #[test]
    fn quoting_and_escapes() {
        let text = concat!(
            "NAME=\"A \\\"quoted\\\" \\\\ \\$HOME \\`x\\` \\n\"\n",
            "PRETTY_NAME='single $quoted \\ text'\n",
            "VERSION_ID=1\\ 2\n",
            "VERSION_CODENAME=\"con\"'cat'enated\n",
        );
        let (info, diags) = parse_os_release(text, "f");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(info.name.as_deref(), Some("A \"quoted\" \\ $HOME `x` \\n"));
        assert_eq!(info.pretty_name.as_deref(), Some("single $quoted \\ text"));
        assert_eq!(info.version_id.as_deref(), Some("1 2"));
        assert_eq!(info.version_codename.as_deref(), Some("concatenated"));
    }

    #[test]
    fn comments_blank_lines_and_crlf() {
        let text = "# comment\r\n\r\n  ID=ubuntu\r\nVERSION_ID=\"22.04\" # trailing comment\r\n";
        let (info, diags) = parse_os_release(text, "f");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(info.id, "ubuntu");
        assert_eq!(info.version_id.as_deref(), Some("22.04"));
        assert_eq!(info.family, "debian");
    }

    #[test]
    fn malformed_lines_become_diagnostics() {
        let text = "ID=debian\nthis is not an assignment\nBAD KEY=1\n1X=2\nNAME=\"unterminated\nPRETTY_NAME='also\nVERSION_ID=1.0\n";
        let (info, diags) = parse_os_release(text, "/etc/os-release");
        assert_eq!(info.id, "debian");
        assert_eq!(info.version_id.as_deref(), Some("1.0"));
        assert_eq!(info.name, None);
        assert_eq!(info.pretty_name, None);
        let lines: Vec<_> = diags.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![Some(2), Some(3), Some(4), Some(5), Some(6)]);
        assert!(diags.iter().all(|d| d.file == "/etc/os-release"));
        assert!(diags[3].message.contains("unterminated double quote"));
    }

    #[test]
    fn unquoted_whitespace_is_kept_with_warning() {
        let (info, diags) = parse_os_release("NAME=Debian GNU/Linux\n", "f");
        assert_eq!(info.name.as_deref(), Some("Debian GNU/Linux"));
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(1));
    }

    #[test]
    fn missing_and_empty_fields() {
        let (info, diags) = parse_os_release("NAME=\nID=\"\"\n", "f");
        assert!(diags.is_empty());
        assert_eq!(info.id, "unknown");
        assert_eq!(info.name, None);
        assert_eq!(info.family, "unknown");
        let (info, _) = parse_os_release("", "f");
        assert_eq!(info.id, "unknown");
    }

    #[test]
    fn later_assignment_wins() {
        let (info, _) = parse_os_release("ID=a\nID=debian\n", "f");
        assert_eq!(info.id, "debian");
    }

    #[test]
    fn collect_prefers_etc_and_falls_back_to_usr_lib() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "/usr/lib/os-release",
            "ID=fedora\nVERSION_ID=40\n",
        );
        let t = Target::root(dir.path()).unwrap();
        let got = collect_os(&t).unwrap();
        assert_eq!(got.value.id, "fedora");
        assert_eq!(got.value.family, "rhel");
        assert_eq!(got.value.source, Some(Source::file("/usr/lib/os-release")));
        assert!(got.diagnostics.is_empty());

        write(dir.path(), "/etc/os-release", "ID=alpine\n");
        let got = collect_os(&t).unwrap();
        assert_eq!(got.value.id, "alpine");
        assert_eq!(got.value.source, Some(Source::file("/etc/os-release")));
    }

    #[test]
    fn collect_follows_the_usual_symlink() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "/usr/lib/os-release", DEBIAN);
        mkdir(dir.path(), "/etc");
        symlink("../usr/lib/os-release", dir.path().join("etc/os-release")).unwrap();
        let got = collect_os(&Target::root(dir.path()).unwrap()).unwrap();
        assert_eq!(got.value.id, "debian");
        assert_eq!(got.value.source, Some(Source::file("/etc/os-release")));
    }

    #[test]
    fn collect_without_os_release() {
        let dir = tempfile::tempdir().unwrap();
        let got = collect_os(&Target::root(dir.path()).unwrap()).unwrap();
        assert_eq!(got.value, OsInfo::unknown());
        assert_eq!(got.diagnostics.len(), 1);
    }

    #[test]
    fn collect_reports_truncation() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "/etc/os-release", DEBIAN);
        let t = Target::root(dir.path()).unwrap().with_read_cap(40);
        let got = collect_os(&t).unwrap();
        assert!(got
            .diagnostics
            .iter()
            .any(|d| d.message.contains("read limit") && d.line.is_none()));
    }

    #[test]
    fn collect_os_release_that_is_a_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        mkdir(dir.path(), "/etc/os-release");
        assert!(matches!(
            collect_os(&Target::root(dir.path()).unwrap()),
            Err(crate::facts::FactError::Read(
                TargetError::NotRegular { .. }
            ))
        ));
    }

    #[test]
    fn system_info_of_a_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "/etc/hostname",
            "# set by installer\n\n  web01  \r\nother\n",
        );
        write(root, "/var/lib/dpkg/arch", "arm64\ni386\n");
        write(root, "/boot/vmlinuz-6.1.0-13-amd64", "");
        write(root, "/boot/vmlinuz-6.1.0-9-amd64", "");
        write(root, "/boot/vmlinuz-0-rescue-0123456789abcdef", "");
        write(root, "/boot/config-6.1.0-13-amd64", "");
        symlink("vmlinuz-6.1.0-13-amd64", root.join("boot/vmlinuz")).unwrap();
        mkdir(root, "/usr/lib/modules/6.1.0-13-amd64/kernel");
        mkdir(root, "/usr/lib/modules/6.5.0-1-amd64");
        write(root, "/usr/lib/modules/not-a-dir", "");
        mkdir(root, "/lib");
        symlink("../usr/lib/modules", root.join("lib/modules")).unwrap();
        let got = collect_system(&Target::root(root).unwrap()).unwrap();
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        assert_eq!(
            got.value,
            SystemInfo {
                hostname: Some("web01".into()),
                kernel_release: None,
                kernel_version: None,
                arch: Some("aarch64".into()),
                installed_kernels: vec![
                    "6.1.0-13-amd64".into(),
                    "6.1.0-9-amd64".into(),
                    "6.5.0-1-amd64".into()
                ],
            }
        );
    }

    #[test]
    fn system_arch_from_the_shells_elf_header() {
        let dir = tempfile::tempdir().unwrap();
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(18, 0);
        elf.extend_from_slice(&0xb7u16.to_le_bytes());
        elf.extend_from_slice(&[0; 40]);
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/sh"), elf).unwrap();
        let got = collect_system(&Target::root(dir.path()).unwrap()).unwrap();
        assert_eq!(got.value.arch.as_deref(), Some("aarch64"));
        std::fs::write(dir.path().join("bin/sh"), "#!not elf").unwrap();
        let got = collect_system(&Target::root(dir.path()).unwrap()).unwrap();
        assert_eq!(got.value.arch, None);
    }

    #[test]
    fn system_info_of_an_empty_root() {
        let dir = tempfile::tempdir().unwrap();
        let got = collect_system(&Target::root(dir.path()).unwrap()).unwrap();
        assert_eq!(
            got.value,
            SystemInfo {
                hostname: None,
                kernel_release: None,
                kernel_version: None,
                arch: None,
                installed_kernels: vec![],
            }
        );
    }

    #[test]
    fn system_arch_from_alpine() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "/etc/apk/arch", "x86\n");
        mkdir(dir.path(), "/lib/modules/6.6.7-0-lts");
        let got = collect_system(&Target::root(dir.path()).unwrap()).unwrap();
        assert_eq!(got.value.arch.as_deref(), Some("i686"));
        assert_eq!(got.value.installed_kernels, vec!["6.6.7-0-lts".to_string()]);
    }

    #[test]
    fn dpkg_arch_names() {
        assert_eq!(dpkg_arch_to_machine("amd64"), "x86_64");
        assert_eq!(dpkg_arch_to_machine("armhf"), "armv7l");
        assert_eq!(dpkg_arch_to_machine("ppc64el"), "ppc64le");
        assert_eq!(dpkg_arch_to_machine("s390x"), "s390x");
        assert_eq!(dpkg_arch_to_machine("riscv64"), "riscv64");
    }

    #[test]
    fn system_info_of_the_live_host() {
        let got = collect_system(&Target::live()).unwrap();
        assert!(got.value.arch.is_some());
        assert!(got.value.kernel_release.is_some());
        assert!(got.value.hostname.is_some());
    }
}
