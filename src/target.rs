//! Targets: where files and runtime state come from.
//!
//! Every file access of a scan goes through [`Target`], so the rules about
//! scanning hostile trees live in one place:
//! - inside a root filesystem every path resolves inside that root, symlinks
//!   included: an absolute link `etc/x -> /etc/shadow` means `<root>/etc/shadow`
//!   and `..` stops at the root;
//! - only regular files are read, so a FIFO or a device never blocks or wakes
//!   hardware; each read is capped;
//! - nothing is ever written.
//!
//! Paths given to and returned by a target are always in the target's own
//! namespace (`/etc/passwd`), never host paths.

use serde::Serialize;
use std::collections::VecDeque;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Reads stop here unless a caller asks for another cap: generous for any
/// configuration file, small enough that a hostile multi-gigabyte file costs
/// nothing.
pub const DEFAULT_READ_CAP: u64 = 16 * 1024 * 1024;

/// A chain of symlinks longer than this is treated as a loop, as the kernel does.
const MAX_SYMLINK_HOPS: u32 = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// The running host: files under `/`, runtime state under `/proc`.
    Live,
    /// An unpacked root filesystem: files only, no runtime state.
    Root,
}

/// Why a file could not be read. Each variant becomes the reason of an
/// `error` outcome, so the wording is written for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{path}: permission denied (run as root to read it)")]
    PermissionDenied { path: String },
    #[error("{path}: is a {kind}, not a regular file; not read")]
    NotRegular { path: String, kind: &'static str },
    #[error("{path}: too many levels of symbolic links")]
    SymlinkLoop { path: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{pattern}: matches more than {limit} paths; not expanded")]
    TooManyMatches { pattern: String, limit: usize },
}

/// A glob expands to at most this many paths, counting every candidate of
/// every component: `/*/../*/../*/..` over 40 directories would otherwise
/// make millions.
pub const MAX_GLOB_PATHS: usize = 10_000;

/// A directory listed for a probe or a fact holds at most this many
/// entries; a larger one is an error rather than unbounded memory. (The
/// filesystem walk lists directories its own way and is not limited by it.)
pub const MAX_DIR_ENTRIES: usize = 1_000_000;

/// The text of a file, decoded lossily: configuration parsers must see
/// something even when a file holds stray bytes.
#[derive(Debug, Clone)]
pub struct FileText {
    pub path: String,
    pub text: String,
    /// The file was longer than the read cap; `text` holds the whole lines
    /// of its beginning, never a partial last line.
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    File,
    Directory,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
}

impl FileType {
    fn of(ft: fs::FileType) -> FileType {
        if ft.is_symlink() {
            FileType::Symlink
        } else if ft.is_dir() {
            FileType::Directory
        } else if ft.is_fifo() {
            FileType::Fifo
        } else if ft.is_socket() {
            FileType::Socket
        } else if ft.is_char_device() {
            FileType::CharDevice
        } else if ft.is_block_device() {
            FileType::BlockDevice
        } else {
            FileType::File
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FileType::File => "file",
            FileType::Directory => "directory",
            FileType::Symlink => "symlink",
            FileType::Fifo => "fifo",
            FileType::Socket => "socket",
            FileType::CharDevice => "character device",
            FileType::BlockDevice => "block device",
        }
    }
}

/// What `stat` says about a file, with the mode's permission bits
/// (including setuid, setgid and sticky) only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileMeta {
    pub path: String,
    pub file_type: FileType,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// For a symlink looked at without following it: where it points.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub file_type: FileType,
}

#[derive(Debug, Clone)]
pub struct Target {
    kind: TargetKind,
    root: PathBuf,
    read_cap: u64,
}

impl Target {
    pub fn live() -> Target {
        Target {
            kind: TargetKind::Live,
            root: PathBuf::from("/"),
            read_cap: DEFAULT_READ_CAP,
        }
    }

    /// A root filesystem at `dir`. The directory must exist.
    pub fn root(dir: impl Into<PathBuf>) -> io::Result<Target> {
        let root = fs::canonicalize(dir.into())?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(Target {
            kind: TargetKind::Root,
            root,
            read_cap: DEFAULT_READ_CAP,
        })
    }

    /// Why a root filesystem cannot be scanned, before any rule runs: a
    /// directory that cannot be listed, or one that holds no operating
    /// system (no `/etc`, no `os-release` in `/etc` or `/usr/lib`), such as
    /// an image mountpoint with nothing mounted, `/proc` or `/dev`. Scanned
    /// anyway, each would give a report about a host that is not there.
    pub fn check_system(&self) -> Result<(), String> {
        let dir = self.root.display();
        if let Err(e) = self.read_dir("/") {
            return Err(format!("cannot list {dir}: {e}"));
        }
        let etc = self.metadata("/etc", true).map_err(|e| e.to_string())?;
        if !etc.is_some_and(|m| m.file_type == FileType::Directory) {
            return Err(format!(
                "{dir} holds no operating system: it has no /etc (is the image mounted there?)"
            ));
        }
        for release in ["/etc/os-release", "/usr/lib/os-release"] {
            match self.metadata(release, true) {
                Ok(Some(m)) if m.file_type == FileType::File => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(format!("cannot read {dir}: {e}")),
            }
        }
        Err(format!(
            "{dir} holds no operating system: neither /etc/os-release nor /usr/lib/os-release exists"
        ))
    }

    /// A live target whose `/` is `dir`: runtime facts are read from
    /// `dir/proc`. For testing runtime facts against captured files.
    pub fn simulated_live(dir: impl Into<PathBuf>) -> io::Result<Target> {
        let mut t = Target::root(dir)?;
        t.kind = TargetKind::Live;
        Ok(t)
    }

    /// The most bytes [`Target::read_text`] reads of one file.
    pub fn read_cap(&self) -> u64 {
        self.read_cap
    }

    pub fn with_read_cap(mut self, cap: u64) -> Target {
        self.read_cap = cap;
        self
    }

    pub fn kind(&self) -> TargetKind {
        self.kind
    }

    pub fn is_live(&self) -> bool {
        self.kind == TargetKind::Live
    }

    /// The host directory the target's `/` is, for messages.
    pub fn root_dir(&self) -> &Path {
        &self.root
    }

    /// Where `path` (in the target's namespace) is on the host, with every
    /// symlink resolved inside the root; the last component is followed only
    /// if `follow_last`. `None` when some component does not exist.
    fn host_path(&self, path: &str, follow_last: bool) -> Result<Option<PathBuf>, TargetError> {
        if self.root == Path::new("/") {
            // The kernel's own resolution is right for `/`, and cheaper.
            return Ok(Some(PathBuf::from(absolute(path))));
        }
        let mut pending: VecDeque<String> = components(path).collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop_front() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            let mut candidate = self.root.clone();
            candidate.extend(resolved.iter());
            candidate.push(&part);
            let meta = match fs::symlink_metadata(&candidate) {
                Ok(m) => m,
                Err(e) if is_missing(&e) => return Ok(None),
                Err(e) => return Err(io_error(path, &e)),
            };
            let is_last = pending.is_empty();
            if meta.file_type().is_symlink() && (follow_last || !is_last) {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(TargetError::SymlinkLoop {
                        path: path.to_string(),
                    });
                }
                let link = fs::read_link(&candidate).map_err(|e| io_error(path, &e))?;
                let link = link.to_string_lossy();
                if link.starts_with('/') {
                    resolved.clear();
                }
                for part in components(&link).collect::<Vec<_>>().into_iter().rev() {
                    pending.push_front(part);
                }
            } else {
                resolved.push(part);
            }
        }
        let mut host = self.root.clone();
        host.extend(resolved.iter());
        Ok(Some(host))
    }

    /// Metadata of `path`, following a final symlink if `follow`.
    pub fn metadata(&self, path: &str, follow: bool) -> Result<Option<FileMeta>, TargetError> {
        let Some(host) = self.host_path(path, follow)? else {
            return Ok(None);
        };
        let meta = if follow {
            fs::metadata(&host)
        } else {
            fs::symlink_metadata(&host)
        };
        let meta = match meta {
            Ok(m) => m,
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => return Err(io_error(path, &e)),
        };
        let file_type = FileType::of(meta.file_type());
        let link_target = if file_type == FileType::Symlink {
            fs::read_link(&host)
                .ok()
                .map(|t| t.to_string_lossy().into_owned())
        } else {
            None
        };
        Ok(Some(FileMeta {
            path: absolute(path),
            file_type,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            size: meta.size(),
            link_target,
        }))
    }

    pub fn exists(&self, path: &str) -> Result<bool, TargetError> {
        Ok(self.metadata(path, true)?.is_some())
    }

    /// Where a symlink points, as written in the link; `None` if `path` does
    /// not exist or is not a symlink.
    pub fn read_link(&self, path: &str) -> Result<Option<String>, TargetError> {
        Ok(self.metadata(path, false)?.and_then(|m| m.link_target))
    }

    /// The text of a regular file, up to the target's read cap. `None` when
    /// the file does not exist.
    pub fn read_text(&self, path: &str) -> Result<Option<FileText>, TargetError> {
        self.read_text_capped(path, self.read_cap)
    }

    pub fn read_text_capped(&self, path: &str, cap: u64) -> Result<Option<FileText>, TargetError> {
        let Some((mut bytes, truncated)) = self.read_bytes_capped(path, cap)? else {
            return Ok(None);
        };
        if truncated {
            // Cut in two, the last line could read as a different, wrong
            // value (`PASS_MAX_DAYS 9` from `PASS_MAX_DAYS 99999`): a cut
            // file yields only its whole lines.
            let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            bytes.truncate(keep);
        }
        let text = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Ok(Some(FileText {
            path: absolute(path),
            text,
            truncated,
        }))
    }

    /// The first `cap` bytes of a regular file, and whether there was more.
    pub fn read_bytes_capped(
        &self,
        path: &str,
        cap: u64,
    ) -> Result<Option<(Vec<u8>, bool)>, TargetError> {
        let Some(host) = self.host_path(path, true)? else {
            return Ok(None);
        };
        // Refuse special files before opening them: opening a device can have
        // side effects (a tape rewinds) and reading a FIFO can block forever.
        match fs::metadata(&host) {
            Ok(m) if !m.file_type().is_file() => {
                return Err(TargetError::NotRegular {
                    path: absolute(path),
                    kind: FileType::of(m.file_type()).name(),
                })
            }
            Ok(_) => {}
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => return Err(io_error(path, &e)),
        }
        let mut opts = fs::OpenOptions::new();
        opts.read(true);
        let mut flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        if self.root != Path::new("/") {
            // The path was resolved link by link; a link swapped in since
            // then must not be followed out of the root.
            flags |= rustix::fs::OFlags::NOFOLLOW;
        }
        opts.custom_flags(flags.bits() as i32);
        let file = match opts.open(&host) {
            Ok(f) => f,
            Err(e) if is_missing(&e) => return Ok(None),
            Err(e) => return Err(io_error(path, &e)),
        };
        // The file may have been replaced between the check and the open.
        let meta = file.metadata().map_err(|e| io_error(path, &e))?;
        if !meta.file_type().is_file() {
            return Err(TargetError::NotRegular {
                path: absolute(path),
                kind: FileType::of(meta.file_type()).name(),
            });
        }
        let mut bytes = Vec::new();
        file.take(cap.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(path, &e))?;
        let truncated = bytes.len() as u64 > cap;
        if truncated {
            bytes.truncate(cap as usize);
        }
        Ok(Some((bytes, truncated)))
    }

    /// Entries of a directory, sorted by name. `None` when it does not exist.
    pub fn read_dir(&self, path: &str) -> Result<Option<Vec<DirEntry>>, TargetError> {
        let Some(host) = self.host_path(path, true)? else {
            return Ok(None);
        };
        let iter = match fs::read_dir(&host) {
            Ok(it) => it,
            Err(e)
                if is_missing(&e)
                    || e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error()) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(io_error(path, &e)),
        };
        let mut entries = Vec::new();
        for entry in iter {
            if entries.len() == MAX_DIR_ENTRIES {
                return Err(TargetError::TooManyMatches {
                    pattern: absolute(path),
                    limit: MAX_DIR_ENTRIES,
                });
            }
            let entry = entry.map_err(|e| io_error(path, &e))?;
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            entries.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                file_type: FileType::of(file_type),
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(entries))
    }

    /// Paths matching a glob (`*`, `?`, `[...]` within one component),
    /// sorted lexically, as shells and sshd's `Include` order them.
    pub fn glob(&self, pattern: &str) -> Result<Vec<String>, TargetError> {
        let too_many = || TargetError::TooManyMatches {
            pattern: crate::diag::cut(pattern, 256),
            limit: MAX_GLOB_PATHS,
        };
        let mut found = vec![String::new()];
        let mut candidates = 0usize;
        for part in components(pattern) {
            candidates += found.len();
            if candidates > MAX_GLOB_PATHS {
                return Err(too_many());
            }
            let mut next = Vec::new();
            if !has_glob_chars(&part) {
                for base in found {
                    next.push(format!("{base}/{part}"));
                }
            } else {
                let Ok(matcher) = globset::GlobBuilder::new(&part)
                    .literal_separator(true)
                    .build()
                    .map(|g| g.compile_matcher())
                else {
                    return Ok(Vec::new());
                };
                // Like a shell, a wildcard does not match hidden names; a
                // pattern that starts with a literal `.` does.
                let hidden_ok = part.starts_with('.') || part.starts_with("{.");
                for base in found {
                    let dir = if base.is_empty() { "/" } else { base.as_str() };
                    for entry in self.read_dir(dir)?.unwrap_or_default() {
                        if (hidden_ok || !entry.name.starts_with('.'))
                            && matcher.is_match(&entry.name)
                        {
                            if next.len() >= MAX_GLOB_PATHS {
                                return Err(too_many());
                            }
                            next.push(format!("{base}/{}", entry.name));
                        }
                    }
                }
            }
            found = next;
        }
        let mut out = Vec::new();
        for path in found {
            if self.metadata(&path, false)?.is_some() {
                out.push(if path.is_empty() { "/".into() } else { path });
            }
        }
        out.sort();
        Ok(out)
    }
}

pub fn has_glob_chars(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// The normal components of a path; `..` is kept for the resolver to apply.
fn components(path: &str) -> impl Iterator<Item = String> + '_ {
    path.split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .map(str::to_string)
}

fn absolute(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

fn is_missing(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
        || e.raw_os_error() == Some(rustix::io::Errno::NOTDIR.raw_os_error())
}

fn io_error(path: &str, e: &io::Error) -> TargetError {
    let path = absolute(path);
    if e.kind() == io::ErrorKind::PermissionDenied {
        TargetError::PermissionDenied { path }
    } else if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
        TargetError::SymlinkLoop { path }
    } else {
        TargetError::Io {
            path,
            message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, Target) {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc/ssh/sshd_config.d")).unwrap();
        fs::write(dir.path().join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        fs::write(dir.path().join("etc/ssh/sshd_config.d/b.conf"), "b").unwrap();
        fs::write(dir.path().join("etc/ssh/sshd_config.d/a.conf"), "a").unwrap();
        fs::write(dir.path().join("etc/ssh/sshd_config.d/.hidden.conf"), "h").unwrap();
        let target = Target::root(dir.path()).unwrap();
        (dir, target)
    }

    #[test]
    fn absolute_symlink_resolves_inside_root() {
        let (dir, t) = tree();
        symlink("/etc/passwd", dir.path().join("etc/link")).unwrap();
        let text = t.read_text("/etc/link").unwrap().unwrap();
        assert_eq!(text.text, "root:x:0:0::/root:/bin/sh\n");
        assert_eq!(text.path, "/etc/link");
    }

    #[test]
    fn dotdot_cannot_climb_out() {
        let (dir, t) = tree();
        symlink("../../../../../../etc/passwd", dir.path().join("etc/up")).unwrap();
        // Resolves to <root>/etc/passwd, never the host's.
        let text = t.read_text("/etc/up").unwrap().unwrap();
        assert!(text.text.starts_with("root:x:0:0::/root:/bin/sh"));
        assert_eq!(
            t.read_text("/../../etc/passwd").unwrap().unwrap().text,
            text.text
        );
    }

    #[test]
    fn link_to_missing_host_file_is_missing() {
        let (dir, t) = tree();
        symlink("/proc/self/environ", dir.path().join("etc/env")).unwrap();
        assert!(t.read_text("/etc/env").unwrap().is_none());
    }

    #[test]
    fn symlink_loop_is_an_error() {
        let (dir, t) = tree();
        symlink("/etc/l2", dir.path().join("etc/l1")).unwrap();
        symlink("/etc/l1", dir.path().join("etc/l2")).unwrap();
        assert!(matches!(
            t.read_text("/etc/l1"),
            Err(TargetError::SymlinkLoop { .. })
        ));
    }

    #[test]
    fn fifo_is_refused_without_blocking() {
        let (dir, t) = tree();
        rustix::fs::mkfifoat(rustix::fs::CWD, dir.path().join("etc/fifo"), 0o644.into()).unwrap();
        let err = t.read_text("/etc/fifo").unwrap_err();
        assert_eq!(
            err,
            TargetError::NotRegular {
                path: "/etc/fifo".into(),
                kind: "fifo"
            }
        );
    }

    #[test]
    fn reads_are_capped() {
        let (dir, t) = tree();
        let f = fs::File::create(dir.path().join("etc/huge")).unwrap();
        f.set_len(1 << 30).unwrap();
        let t = t.with_read_cap(1024);
        let text = t.read_text("/etc/huge").unwrap().unwrap();
        assert!(text.truncated);
        // No newline in the first 1024 bytes: no whole line to give.
        assert_eq!(text.text, "");
        fs::write(dir.path().join("etc/defs"), "A 1\nPASS_MAX_DAYS 99999\n").unwrap();
        let text = t.with_read_cap(9).read_text("/etc/defs").unwrap().unwrap();
        assert!(text.truncated);
        assert_eq!(text.text, "A 1\n", "the partial line `PASS_MAX` is dropped");
    }

    #[test]
    fn metadata_without_following() {
        let (dir, t) = tree();
        symlink("/etc/passwd", dir.path().join("etc/link")).unwrap();
        let m = t.metadata("/etc/link", false).unwrap().unwrap();
        assert_eq!(m.file_type, FileType::Symlink);
        assert_eq!(m.link_target.as_deref(), Some("/etc/passwd"));
        let m = t.metadata("/etc/link", true).unwrap().unwrap();
        assert_eq!(m.file_type, FileType::File);
        assert!(t.metadata("/etc/nope", true).unwrap().is_none());
        assert!(t.metadata("/etc/passwd/below", true).unwrap().is_none());
    }

    #[test]
    fn glob_sorts_and_skips_hidden() {
        let (_dir, t) = tree();
        assert_eq!(
            t.glob("/etc/ssh/sshd_config.d/*.conf").unwrap(),
            vec![
                "/etc/ssh/sshd_config.d/a.conf".to_string(),
                "/etc/ssh/sshd_config.d/b.conf".to_string()
            ]
        );
        assert!(t.glob("/etc/none/*.conf").unwrap().is_empty());
        assert_eq!(
            t.glob("/etc/passwd").unwrap(),
            vec!["/etc/passwd".to_string()]
        );
    }

    #[test]
    fn glob_matches_hidden_names_only_when_the_pattern_starts_with_a_dot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home/a")).unwrap();
        for f in [".bashrc", ".netrc", "notes"] {
            std::fs::write(dir.path().join("home/a").join(f), "x").unwrap();
        }
        let t = Target::root(dir.path()).unwrap();
        assert_eq!(t.glob("/home/a/*").unwrap(), ["/home/a/notes"]);
        assert_eq!(
            t.glob("/home/a/.*").unwrap(),
            ["/home/a/.bashrc", "/home/a/.netrc"]
        );
        assert_eq!(
            t.glob("/home/a/{.netrc,notes}").unwrap(),
            ["/home/a/.netrc", "/home/a/notes"]
        );
        assert_eq!(t.glob("/home/*/.netrc").unwrap(), ["/home/a/.netrc"]);
    }
}
