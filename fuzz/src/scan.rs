//! A whole scan of a generated root: every built-in rule (`--profile
//! all`) and the inventory, on a tree built from the input (files,
//! symlinks absolute and relative, `..` ones, directories, FIFOs, sparse
//! files, a device). Files outside the root, where an escaping link would
//! land, hold a marker; the marker must never reach the report or the
//! inventory.
//!
//! Layout of one run, in a fresh temporary directory `B`:
//!
//! ```text
//! B/o1/o2/o3/r      the root scanned
//! B/o1/o2/o3/P      for each path P the input names, and common paths,
//! B/o1/o2/P         a marker file at every level above the root (where
//! B/o1/P            `..` climbing out of it would land) and under
//! B/P, B/outside/P  `outside` (a link target may name it: `$OUT`)
//! ```
//!
//! In link targets `$OUT` and `$ROOT` stand for the host paths of
//! `B/outside` and of the root.

use crate::files::{self, Kind};
use posture::policy::{Policy, ALL_PROFILES};
use posture::scan::{self, Selector};
use posture::target::Target;
use std::fs;
use std::os::unix::fs::{symlink, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// Files the built-in rules read, given a marker outside the root even
/// when the input does not name them.
const COMMON: &[&str] = &[
    "etc/passwd",
    "etc/shadow",
    "etc/group",
    "etc/gshadow",
    "etc/os-release",
    "usr/lib/os-release",
    "etc/hostname",
    "etc/ssh/sshd_config",
    "etc/ssh/sshd_config.d/x.conf",
    "etc/sudoers",
    "etc/sudoers.d/x",
    "etc/login.defs",
    "etc/fstab",
    "etc/sysctl.conf",
    "etc/sysctl.d/x.conf",
    "etc/modprobe.d/x.conf",
    "etc/default/grub",
    "boot/grub/grub.cfg",
    "etc/audit/audit.rules",
    "etc/audit/rules.d/x.rules",
    "etc/security/pwquality.conf",
    "etc/pam.d/common-password",
    "etc/systemd/journald.conf",
    "var/lib/dpkg/status",
    "var/lib/rpm/rpmdb.sqlite",
    "lib/apk/db/installed",
    "proc/cmdline",
    "x",
];

/// Sparse files per input: enough to try the read cap, few enough that
/// the fuzzer does not spend its time reading zeros.
const MAX_SPARSE: usize = 2;
const MAX_SPARSE_LEN: u64 = 8 << 30;

/// The report of any generated root stays below this (a scan of a whole
/// real system gives about 1 MiB): every quoted string and every list of
/// evidence is capped.
const MAX_REPORT_BYTES: usize = 8 << 20;

/// The inventory lists what was read, within the read limits (65,536
/// accounts of each kind, 16 MiB per file), so it grows with the input,
/// never past this for an input of the size `files` makes.
const MAX_INVENTORY_BYTES: usize = 64 << 20;

fn policies() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(|| scan::builtin_policies().expect("the built-in policies"))
}

/// A string found nowhere but in the files outside the root: random per
/// process, so no input can carry it.
fn marker() -> &'static str {
    static MARKER: OnceLock<String> = OnceLock::new();
    MARKER.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let word = |salt: u64| {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(salt);
            h.write_u32(std::process::id());
            h.finish()
        };
        format!("OUTSIDE{:016x}{:016x}", word(1), word(2))
    })
}

/// What a marker file holds: the marker in shapes most formats parse.
fn marker_text() -> String {
    let m = marker();
    format!(
        "{m}:x:0:0:{m}:/{m}:/bin/{m}\nID={m}\nPermitRootLogin {m}\n{m} = {m}\n{m} ALL=(ALL) ALL\nPackage: {m}\nStatus: install ok installed\nVersion: 1\n\n-w /{m} -p wa -k {m}\nGRUB_CMDLINE_LINUX=\"{m}\"\n{m}\n"
    )
}

pub fn run(data: &[u8]) {
    let (_base, root) = build(data);
    if let Some(problem) = check(&root) {
        panic!("{problem}");
    }
}

/// The tree of `data` in a fresh temporary directory (removed when the
/// first value is dropped), with the markers around it, and the root.
pub fn build(data: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let base = tempfile::Builder::new()
        .prefix("posture-fuzz-")
        .tempdir_in(scratch())
        .expect("a temporary directory");
    let b = base.path();
    let levels = [
        b.join("o1/o2/o3"),
        b.join("o1/o2"),
        b.join("o1"),
        b.to_path_buf(),
    ];
    let root = levels[0].join("r");
    let outside = b.join("outside");
    fs::create_dir_all(&root).expect("create the root");
    fs::create_dir_all(&outside).expect("create the outside directory");
    let entries = files::decode(data, "/etc/ssh/sshd_config");
    let out_s = outside.to_string_lossy().into_owned();
    let root_s = root.to_string_lossy().into_owned();

    // The markers first: the tree's own links must not be followed while
    // they are written.
    let mut marked: Vec<PathBuf> = COMMON.iter().map(PathBuf::from).collect();
    for e in &entries {
        marked.push(relative(&e.path));
        if let Kind::Link(to) = &e.kind {
            let to = to.replace("$OUT", &out_s).replace("$ROOT", &root_s);
            marked.push(relative(&to));
            // Where the link leads if `..` is not stopped at the root.
            let naive = lexical(
                &root
                    .join(relative(&e.path))
                    .parent()
                    .unwrap_or(&root)
                    .join(&to),
            );
            if let Ok(rest) = naive.strip_prefix(b) {
                write_marker(b, rest, &root);
            }
        }
    }
    for rel in &marked {
        for dir in levels.iter().chain([&outside]) {
            write_marker(dir, rel, &root);
        }
    }

    let mut sparse = 0;
    for e in &entries {
        let rel = relative(&e.path);
        if rel.as_os_str().is_empty() {
            continue;
        }
        let Some(host) = make_parents(&root, &rel) else {
            continue;
        };
        let _ = match &e.kind {
            Kind::File(bytes) => write_new(&host, bytes, e.mode.unwrap_or(0o644)),
            Kind::Dir => fs::create_dir(&host)
                .and_then(|()| fs::set_permissions(&host, mode(e.mode.unwrap_or(0o755)))),
            Kind::Link(to) => symlink(to.replace("$OUT", &out_s).replace("$ROOT", &root_s), &host),
            Kind::Fifo => rustix::fs::mkfifoat(rustix::fs::CWD, &host, 0o644.into())
                .map_err(std::io::Error::from),
            Kind::Sparse(len) if sparse < MAX_SPARSE => {
                sparse += 1;
                fs::File::create_new(&host).and_then(|f| f.set_len((*len).min(MAX_SPARSE_LEN)))
            }
            Kind::Sparse(_) => Ok(()),
            Kind::CharDevice if rustix::process::geteuid().is_root() => rustix::fs::mknodat(
                rustix::fs::CWD,
                &host,
                rustix::fs::FileType::CharacterDevice,
                0o644.into(),
                rustix::fs::makedev(1, 5),
            )
            .map_err(std::io::Error::from),
            // Root reads a mode-000 file anyway; as another user it is
            // unreadable.
            Kind::CharDevice | Kind::Unreadable => write_new(&host, b"unreadable\n", 0),
        };
    }

    (base, root)
}

/// Scans `root` and says what is wrong with the report or the inventory:
/// too large, or holding the marker.
pub fn check(root: &Path) -> Option<String> {
    let target = Target::root(root).expect("the root");
    let selector = Selector {
        profile: Some(ALL_PROFILES.to_string()),
        ..Selector::default()
    };
    let (report, facts) = scan::run(&target, policies(), &selector).expect("select every rule");
    let json = posture::report::json::render(&report);
    let inventory = facts.inventory().to_string();
    if std::env::var_os("POSTURE_FUZZ_VERBOSE").is_some() {
        eprintln!(
            "report: {} bytes, {} results, {} diagnostics; inventory: {} bytes",
            json.len(),
            report.results.len(),
            report.diagnostics.len(),
            inventory.len()
        );
    }
    for (what, text, max) in [
        ("report", &json, MAX_REPORT_BYTES),
        ("inventory", &inventory, MAX_INVENTORY_BYTES),
    ] {
        if text.len() > max {
            return Some(format!(
                "the {what} is {} bytes, more than {max}",
                text.len()
            ));
        }
    }
    let m = marker();
    for (what, text) in [("report", &json), ("inventory", &inventory)] {
        if let Some(at) = text.find(m) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(300)
                .map_or(0, |(i, _)| i);
            let to = (at + m.len() + 300).min(text.len());
            let to = (to..=text.len())
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(text.len());
            return Some(format!(
                "a file outside the root reached the {what}:\n...{}...",
                &text[from..to]
            ));
        }
    }
    None
}

/// Where the trees are built: tmpfs when there is one.
fn scratch() -> &'static Path {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        Path::new("/tmp")
    }
}

fn mode(bits: u32) -> fs::Permissions {
    fs::Permissions::from_mode(bits & 0o7777)
}

/// `path` as a relative path with `.` and `..` resolved lexically (an
/// absolute path is taken from the root).
fn relative(path: &str) -> PathBuf {
    PathBuf::from(files::normalize(path).trim_start_matches('/'))
}

/// `path` with `.` and `..` resolved lexically.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// Creates the directories of `rel` under `dir`; `None` when one of them
/// exists but is not a directory (a link made by the input must never be
/// followed while the tree is built: it could lead out of it).
fn make_parents(dir: &Path, rel: &Path) -> Option<PathBuf> {
    let mut at = dir.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    let (last, parents) = parts.split_last()?;
    for part in parents {
        at.push(part);
        match fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => return None,
            Err(_) => fs::create_dir(&at).ok()?,
        }
    }
    at.push(last);
    Some(at)
}

/// A new file (never through an existing link or over a file).
fn write_new(path: &Path, bytes: &[u8], bits: u32) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(bits & 0o7777)
        .open(path)?;
    f.write_all(bytes)?;
    // The umask may have taken bits away.
    f.set_permissions(mode(bits))
}

/// A marker file at `dir/rel`, unless something is already there or it
/// would be inside the root.
fn write_marker(dir: &Path, rel: &Path, root: &Path) {
    if rel.as_os_str().is_empty() || lexical(&dir.join(rel)).starts_with(root) {
        return;
    }
    if let Some(host) = make_parents(dir, rel) {
        let _ = write_new(&host, marker_text().as_bytes(), 0o644);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check sees a leak: scanned from one level up, the markers next
    /// to the root are inside, and must show.
    #[test]
    fn a_scan_that_reads_outside_is_caught() {
        let (_base, root) = build(b"@@ l /etc/passwd -> ../../../etc/passwd\n");
        assert_eq!(check(&root), None);
        let above = root.parent().unwrap();
        let found = check(above).expect("the marker next to the root");
        assert!(found.contains(marker()), "{found}");
    }
}
