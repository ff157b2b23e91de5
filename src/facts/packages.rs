//! Installed packages, from the package managers' own databases.
//!
//! dpkg and apk keep plain-text databases, parsed here. rpm's SQLite
//! database is read by [`super::rpm`]; its older Berkeley DB form is not
//! read: the manager is still reported, with a diagnostic, so rules about
//! rpm packages do not silently pass.

use crate::diag::Diagnostic;
use crate::facts::{lines, Collected, FactResult, Source};
use crate::target::Target;
use serde::Serialize;
use std::cmp::Ordering;

const DPKG_STATUS: &str = "/var/lib/dpkg/status";
const APK_INSTALLED: &str = "/lib/apk/db/installed";
const RPM_DATABASES: [&str; 3] = [
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    "/var/lib/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages",
];
/// rpm databases larger than this are not read (a full RHEL server's is
/// tens of MiB).
const RPM_READ_LIMIT: u64 = 512 << 20;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Package {
    pub name: String,
    /// As the database writes it, epoch and revision included.
    pub version: String,
    pub arch: Option<String>,
    /// "dpkg", "apk" or "rpm".
    pub manager: String,
    /// dpkg's state (`installed`, or `half-installed`, `unpacked`,
    /// `half-configured`, `triggers-awaited`, `triggers-pending` when an
    /// operation was left unfinished); apk and rpm list only `installed`
    /// packages.
    pub state: String,
    /// The database file and the first line of the package's entry.
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Packages {
    /// Package managers whose database exists in the target.
    pub managers: Vec<String>,
    /// Those of `managers` whose database could not be read (an rpm
    /// Berkeley DB, a corrupt file): their packages are missing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
    /// Sorted by name, then architecture.
    pub packages: Vec<Package>,
}

impl Packages {
    /// The installed package `name`, or `name:arch` for one architecture of a
    /// multi-arch package (`name:any` means any architecture).
    pub fn get(&self, name: &str) -> Option<&Package> {
        let (name, arch) = match name.split_once(':') {
            Some((name, "any")) => (name, None),
            Some((name, arch)) => (name, Some(arch)),
            None => (name, None),
        };
        let start = self.packages.partition_point(|p| p.name.as_str() < name);
        self.packages
            .get(start..)?
            .iter()
            .take_while(|p| p.name == name)
            .find(|p| arch.is_none() || p.arch.as_deref() == arch)
    }
}

/// Packages with files on disk, from a dpkg `status` file (see
/// [`super::dpkg`]): every state but `not-installed` and `config-files`,
/// so a package whose installation, upgrade or configuration was left
/// unfinished still counts as present.
pub fn parse_dpkg_status(text: &str, file: &str) -> (Vec<Package>, Vec<Diagnostic>) {
    let (entries, diags) = super::dpkg::parse_status(text, file);
    let packages = entries
        .into_iter()
        .filter(|e| super::dpkg::has_files(e.state))
        .map(|e| Package {
            name: e.name,
            version: e.version,
            arch: Some(e.arch).filter(|a| !a.is_empty()),
            manager: "dpkg".to_string(),
            state: e.state.to_string(),
            source: Source::line(file, e.line),
        })
        .collect();
    (packages, diags)
}

/// Installed packages from apk's `installed` database: stanzas of
/// single-letter `K:value` lines, `P` the name, `V` the version, `A` the
/// architecture. Every entry in that file is installed.
pub fn parse_apk_installed(text: &str, file: &str) -> (Vec<Package>, Vec<Diagnostic>) {
    struct Entry {
        line: u32,
        name: Option<String>,
        version: Option<String>,
        arch: Option<String>,
    }
    fn finish(entry: Entry, file: &str, packages: &mut Vec<Package>, diags: &mut Vec<Diagnostic>) {
        let Some(name) = entry.name.filter(|n| !n.is_empty()) else {
            diags.push(
                Diagnostic::new(file, "entry has no P: (name) line; skipped").at(entry.line, None),
            );
            return;
        };
        let version = entry.version.filter(|v| !v.is_empty()).unwrap_or_else(|| {
            diags.push(
                Diagnostic::new(file, format!("package {name} has no V: (version) line"))
                    .at(entry.line, None),
            );
            String::new()
        });
        packages.push(Package {
            name,
            version,
            arch: entry.arch.filter(|a| !a.is_empty()),
            manager: "apk".to_string(),
            state: "installed".to_string(),
            source: Source::line(file, entry.line),
        });
    }

    let mut diags = Vec::new();
    let mut packages = Vec::new();
    let mut current: Option<Entry> = None;
    for (lineno, line) in lines(text) {
        if line.trim().is_empty() {
            if let Some(entry) = current.take() {
                finish(entry, file, &mut packages, &mut diags);
            }
            continue;
        }
        let mut chars = line.chars();
        let (Some(key), Some(':')) = (chars.next(), chars.next()) else {
            diags.push(
                Diagnostic::new(file, format!("expected K:value, found {line:?}")).at(lineno, None),
            );
            continue;
        };
        let value = chars.as_str().trim().to_string();
        let entry = current.get_or_insert(Entry {
            line: lineno,
            name: None,
            version: None,
            arch: None,
        });
        match key {
            'P' => entry.name = Some(value),
            'V' => entry.version = Some(value),
            'A' => entry.arch = Some(value),
            _ => {}
        }
    }
    if let Some(entry) = current.take() {
        finish(entry, file, &mut packages, &mut diags);
    }
    (packages, diags)
}

/// Compares two Debian version strings as dpkg does (Debian policy 5.6.12):
/// epoch numerically, then upstream version and revision with `~` before
/// everything (even the end), letters before other characters, and digit
/// runs compared as numbers. Total: malformed versions compare too.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (epoch_a, upstream_a, revision_a) = split_version(a);
    let (epoch_b, upstream_b, revision_b) = split_version(b);
    compare_numbers(epoch_a, epoch_b)
        .then_with(|| compare_fragment(upstream_a, upstream_b))
        .then_with(|| compare_fragment(revision_a, revision_b))
}

/// `[epoch:]upstream[-revision]`; the revision follows the last hyphen.
fn split_version(version: &str) -> (&str, &str, &str) {
    let version = version.trim();
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|c| c.is_ascii_digit()) => (epoch, rest),
        _ => ("", version),
    };
    let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
    (epoch, upstream, revision)
}

/// Digit strings of any length compared as numbers, without overflow.
fn compare_numbers(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// dpkg's character weight in the non-digit parts; the end of the string
/// weighs like a digit (0), so only `~` sorts before it.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(b'~') => -1,
        Some(c) => i32::from(c) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn compare_fragment(a: &str, b: &str) -> Ordering {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let wa = weight(a.get(i).copied());
            let wb = weight(b.get(j).copied());
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first_diff == Ordering::Equal {
                first_diff = a.get(i).cmp(&b.get(j));
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// Reads every package database found in the target. A target with none is
/// not an error (a minimal container may have no package manager), but it
/// gets a diagnostic.
pub fn collect(target: &Target) -> FactResult<Packages> {
    let mut managers = Vec::new();
    let mut unread = Vec::new();
    let mut packages = Vec::new();
    let mut diags = Vec::new();
    let databases: [(&str, &str, Parser); 2] = [
        ("dpkg", DPKG_STATUS, parse_dpkg_status),
        ("apk", APK_INSTALLED, parse_apk_installed),
    ];
    for (manager, path, parse) in databases {
        if let Some(file) = target.read_text(path)? {
            let (found, found_diags) = parse(&file.text, &file.path);
            managers.push(manager.to_string());
            packages.extend(found);
            diags.extend(found_diags);
            if file.truncated {
                diags.push(Diagnostic::incomplete(
                    &file.path,
                    "file is larger than the read limit; packages listed after that point are missing",
                ));
            }
        }
    }
    for path in RPM_DATABASES {
        if target.metadata(path, true)?.is_none() {
            continue;
        }
        managers.push("rpm".to_string());
        let unreadable = |why: &str| {
            Err(Diagnostic::new(
                path,
                format!("{why}; rpm packages are not listed"),
            ))
        };
        let read = if !path.ends_with(".sqlite") {
            unreadable("the Berkeley DB form of the rpm database is not read")
        } else {
            match target.read_bytes_capped(path, RPM_READ_LIMIT)? {
                Some((bytes, false)) => super::rpm::parse_sqlite(&bytes, path),
                Some((_, true)) => unreadable("the rpm database is larger than the read limit"),
                None => unreadable("the rpm database disappeared while it was read"),
            }
        };
        match read {
            Ok((found, found_diags)) => {
                packages.extend(found);
                diags.extend(found_diags);
            }
            Err(d) => {
                diags.push(d);
                unread.push("rpm".to_string());
            }
        }
        break;
    }
    if managers.is_empty() {
        diags.push(Diagnostic::new(
            DPKG_STATUS,
            "no package database found (dpkg, apk or rpm); no packages are listed",
        ));
    }
    packages.sort_by(|a, b| {
        (&a.name, &a.arch, &a.version, &a.manager).cmp(&(&b.name, &b.arch, &b.version, &b.manager))
    });
    Ok(Collected::new(
        Packages {
            managers,
            unread,
            packages,
        },
        diags,
    ))
}

type Parser = fn(&str, &str) -> (Vec<Package>, Vec<Diagnostic>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::write;
    use std::fs;

    const STATUS: &str = "\
Package: openssh-server
Status: install ok installed
Priority: optional
Section: net
Architecture: amd64
Multi-Arch: foreign
Version: 1:9.2p1-2+deb12u2
Depends: libc6 (>= 2.36),
 libcom-err2 (>= 1.43.9)
Description: secure shell (SSH) server
 This is the portable version of OpenSSH.
 .
 More text.

Package: telnetd
Status: deinstall ok config-files
Architecture: amd64
Version: 0.17-44

Package: libc6
Status: hold ok installed
Multi-Arch: same
Architecture: i386
Version: 2.36-9+deb12u4

Package: libc6
Status: install ok installed
Multi-Arch: same
Architecture: amd64
Version: 2.36-9+deb12u4

Package: rsh-server
Status: purge ok not-installed
Architecture: amd64

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
";

    #[test]
    fn dpkg_status_lists_packages_with_files() {
        let (pkgs, diags) = parse_dpkg_status(STATUS, "/var/lib/dpkg/status");
        assert!(diags.is_empty(), "{diags:?}");
        let names: Vec<_> = pkgs
            .iter()
            .map(|p| format!("{}:{}", p.name, p.arch.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            names,
            vec![
                "openssh-server:amd64",
                "libc6:i386",
                "libc6:amd64",
                "tzdata:all"
            ]
        );
        let ssh = &pkgs[0];
        assert_eq!(ssh.version, "1:9.2p1-2+deb12u2");
        assert_eq!(ssh.manager, "dpkg");
        assert_eq!(ssh.source, Source::line("/var/lib/dpkg/status", 1));
        assert_eq!(pkgs[1].source.line, Some(20));
        assert_eq!(pkgs[1].state, "installed");
    }

    #[test]
    fn dpkg_unfinished_operations_leave_packages_present() {
        // The held-out false pass: these states have files on disk.
        let text = "\
Package: telnetd
Status: install ok triggers-pending
Architecture: amd64
Version: 0.17-44
Triggers-Pending: /usr/share/man

Package: rsh-server
Status: install reinstreq half-configured
Architecture: amd64
Version: 0.17-24

Package: nis
Status: install reinstreq half-installed
Architecture: amd64

Package: talkd
Status: deinstall ok config-files
Architecture: amd64
Version: 0.17-17
";
        let (pkgs, diags) = parse_dpkg_status(text, "s");
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<_> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.state.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("telnetd", "triggers-pending", "0.17-44"),
                ("rsh-server", "half-configured", "0.17-24"),
                ("nis", "half-installed", ""),
            ]
        );
    }

    #[test]
    fn dpkg_status_crlf_and_case_insensitive_fields() {
        let text = "package: curl\r\nstatus: install ok installed\r\nversion: 7.88.1-10\r\n\r\n";
        let (pkgs, diags) = parse_dpkg_status(text, "s");
        // The "\r" line is white space, not empty: for dpkg it continues
        // the Version value with nothing.
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].name, "curl");
        assert_eq!(pkgs[0].version, "7.88.1-10");
        assert_eq!(pkgs[0].arch, None);
    }

    #[test]
    fn dpkg_status_malformed_entries() {
        let text = "\
 stray continuation
Package: a
Status: install ok
Version: 1

Status: install ok installed
Version: 2

Package: b
this line has no colon
Status: install ok installed

Package: c
Version: 3

Package: d
Status: install ok installed
Version: 4
";
        let (pkgs, diags) = parse_dpkg_status(text, "s");
        // b is kept (installed, no version); d is fine.
        let names: Vec<_> = pkgs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["b", "d"]);
        assert_eq!(pkgs[0].version, "");
        let lines: Vec<_> = diags.iter().map(|d| d.line.unwrap()).collect();
        // stray continuation, malformed Status (a), no Package, b without
        // Version, bad line in b; c has no Status, so dpkg takes it as
        // not-installed.
        assert_eq!(lines, vec![1, 2, 6, 9, 10]);
        let gaps: Vec<_> = diags
            .iter()
            .filter(|d| d.incomplete)
            .map(|d| d.line.unwrap())
            .collect();
        assert_eq!(gaps, vec![2, 6]);
        assert!(diags.iter().all(|d| d.file == "s"));
    }

    #[test]
    fn dpkg_status_empty() {
        assert_eq!(parse_dpkg_status("", "s"), (vec![], vec![]));
        assert_eq!(parse_dpkg_status("\n\n\n", "s"), (vec![], vec![]));
    }

    const APK: &str = "\
C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
T:the musl c library
F:lib
R:libc.musl-x86_64.so.1

C:Q1def=
P:busybox
V:1.36.1-r15
A:x86_64
";

    #[test]
    fn apk_installed() {
        let (pkgs, diags) = parse_apk_installed(APK, "/lib/apk/db/installed");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[0].name, "musl");
        assert_eq!(pkgs[0].version, "1.2.4-r2");
        assert_eq!(pkgs[0].arch.as_deref(), Some("x86_64"));
        assert_eq!(pkgs[0].manager, "apk");
        assert_eq!(pkgs[0].source, Source::line("/lib/apk/db/installed", 1));
        assert_eq!(pkgs[1].name, "busybox");
        assert_eq!(pkgs[1].source.line, Some(10));
    }

    #[test]
    fn apk_installed_malformed() {
        let text = "P:a\r\nV:1\r\ngarbage\r\n\r\nV:2\r\nA:x86\r\n\r\nP:b\r\n";
        let (pkgs, diags) = parse_apk_installed(text, "f");
        assert_eq!(pkgs.len(), 2);
        assert_eq!(pkgs[0].name, "a");
        assert_eq!(pkgs[0].version, "1");
        assert_eq!(pkgs[1].name, "b");
        assert_eq!(pkgs[1].version, "");
        let lines: Vec<_> = diags.iter().map(|d| d.line.unwrap()).collect();
        assert_eq!(lines, vec![3, 5, 8]);
    }

    #[test]
    fn version_table() {
        use Ordering::*;
        // Each row checked against `dpkg --compare-versions`.
        let table = [
            ("1.0~rc1", "1.0", Less),
            ("1:0.9", "2.0", Greater),
            ("1.0-1", "1.0-1ubuntu1", Less),
            ("2.30", "2.4", Greater),
            ("1.0a", "1.0", Greater),
            ("1.0+b1", "1.0", Greater),
            ("1.0", "1.0", Equal),
            ("1.0", "1.00", Equal),
            ("0:1.0", "1.0", Equal),
            ("1.0-1", "1.0-01", Equal),
            ("1.0", "1.0-0", Equal),
            ("1.2.3", "1.2.10", Less),
            ("7.6p1-4", "7.6-4", Greater),
            ("2:1.0", "1:9.9", Greater),
            ("10:1", "9:1", Greater),
            ("1.0+dfsg-1", "1.0-1", Greater),
            ("1.0.0", "1.0", Greater),
            ("1.0-1~bpo11+1", "1.0-1", Less),
            ("1.0-1.1", "1.0-1+b1", Greater),
            ("1.0~~", "1.0~~a", Less),
            ("1.0~~a", "1.0~", Less),
            ("1.0~", "1.0", Less),
            ("1.0", "1.0a", Less),
            ("1.0a", "1.0+", Less),
            ("1.0-rc1-2", "1.0-rc1-10", Less),
            ("6.1.0-9-amd64", "6.1.0-13-amd64", Less),
            ("9.2p1-2+deb12u2", "9.2p1-2+deb12u10", Less),
            ("1:9.2p1-2+deb12u2", "9.2p1-2+deb12u3", Greater),
            ("2.36-9+deb12u4", "2.36-9+deb12u4", Equal),
            ("1.2.4-r2", "1.2.4-r10", Less),
            ("1.0-1+deb12u1", "1.0-1+deb12u1~1", Greater),
            ("0.9.8zh-1", "0.9.8zg-1", Greater),
        ];
        for (a, b, want) in table {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn version_comparison_is_total_on_junk() {
        let junk = [
            "",
            ":",
            "::",
            "-",
            "--",
            "a:b",
            "1:",
            ":1",
            "~",
            "é1.0",
            "1.0-",
            "99999999999999999999999:1",
            "\u{0}",
        ];
        for a in junk {
            for b in junk {
                let _ = compare_versions(a, b);
            }
        }
        assert_eq!(
            compare_versions("99999999999999999999999:1", "9:1"),
            Ordering::Greater
        );
    }

    fn packages(list: &[(&str, Option<&str>)]) -> Packages {
        let mut packages: Vec<Package> = list
            .iter()
            .map(|(name, arch)| Package {
                name: name.to_string(),
                version: "1".into(),
                arch: arch.map(str::to_string),
                manager: "dpkg".into(),
                state: "installed".into(),
                source: Source::file("s"),
            })
            .collect();
        packages.sort_by(|a, b| (&a.name, &a.arch).cmp(&(&b.name, &b.arch)));
        Packages {
            managers: vec!["dpkg".into()],
            unread: Vec::new(),
            packages,
        }
    }

    #[test]
    fn get_by_name_and_arch() {
        let p = packages(&[
            ("libc6", Some("i386")),
            ("libc6", Some("amd64")),
            ("a", None),
            ("zsh", Some("amd64")),
        ]);
        assert_eq!(p.get("libc6").unwrap().arch.as_deref(), Some("amd64"));
        assert_eq!(p.get("libc6:i386").unwrap().arch.as_deref(), Some("i386"));
        assert_eq!(p.get("libc6:any").unwrap().arch.as_deref(), Some("amd64"));
        assert!(p.get("libc6:arm64").is_none());
        assert!(p.get("a").is_some());
        assert!(p.get("zsh").is_some());
        assert!(p.get("libc").is_none());
        assert!(p.get("").is_none());
        assert!(p.get("zzz").is_none());
    }

    #[test]
    fn collect_dpkg_root() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), DPKG_STATUS, STATUS);
        let got = collect(&Target::root(dir.path()).unwrap()).unwrap();
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        assert_eq!(got.value.managers, vec!["dpkg"]);
        let names: Vec<_> = got
            .value
            .packages
            .iter()
            .map(|p| format!("{}:{}", p.name, p.arch.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            names,
            vec![
                "libc6:amd64",
                "libc6:i386",
                "openssh-server:amd64",
                "tzdata:all"
            ]
        );
        assert_eq!(
            got.value.get("openssh-server").unwrap().version,
            "1:9.2p1-2+deb12u2"
        );
        assert!(got.value.get("telnetd").is_none());
    }

    #[test]
    fn collect_apk_root() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), APK_INSTALLED, APK);
        let got = collect(&Target::root(dir.path()).unwrap()).unwrap();
        assert!(got.diagnostics.is_empty());
        assert_eq!(got.value.managers, vec!["apk"]);
        let names: Vec<_> = got.value.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["busybox", "musl"]);
    }

    #[test]
    fn collect_rpm_sqlite_and_berkeley_db() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = crate::facts::rpm::tests::database(&[crate::facts::rpm::tests::package(
            "openssh-server",
            "8.7p1",
            "38.el9",
            None,
        )]);
        let path = dir.path().join("usr/lib/sysimage/rpm/rpmdb.sqlite");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        let got = collect(&Target::root(dir.path()).unwrap()).unwrap();
        assert_eq!(got.value.managers, vec!["rpm"]);
        assert_eq!(got.value.packages.len(), 1);
        assert_eq!(got.value.packages[0].name, "openssh-server");
        assert_eq!(got.value.packages[0].version, "8.7p1-38.el9");
        assert_eq!(got.value.packages[0].manager, "rpm");
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "/var/lib/rpm/Packages", "\0\0\0\0");
        let got = collect(&Target::root(dir.path()).unwrap()).unwrap();
        assert_eq!(got.value.managers, vec!["rpm"]);
        assert!(got.value.packages.is_empty());
        assert!(got.diagnostics[0].message.contains("Berkeley DB"));
        assert_eq!(got.value.unread, vec!["rpm"]);
    }

    #[test]
    fn collect_empty_root() {
        let dir = tempfile::tempdir().unwrap();
        let got = collect(&Target::root(dir.path()).unwrap()).unwrap();
        assert!(got.value.managers.is_empty());
        assert!(got.value.packages.is_empty());
        assert_eq!(got.diagnostics.len(), 1);
    }

    #[test]
    fn collect_reports_truncation() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), DPKG_STATUS, STATUS);
        let got = collect(&Target::root(dir.path()).unwrap().with_read_cap(100)).unwrap();
        assert!(got
            .diagnostics
            .iter()
            .any(|d| d.file == DPKG_STATUS && d.message.contains("read limit")));
    }

    #[test]
    fn collect_unreadable_database_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("var/lib/dpkg/status")).unwrap();
        assert!(matches!(
            collect(&Target::root(dir.path()).unwrap()),
            Err(crate::facts::FactError::Read(_))
        ));
    }
}
