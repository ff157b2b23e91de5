//! One walk of the whole filesystem per scan, for the rules that look at
//! every file: world-writable files and directories, files whose owner or
//! group is not a known account, setuid and setgid programs.
//!
//! The walk lists directories in parallel (one rayon task per directory,
//! stolen between threads), looks at every entry with `lstat` semantics and
//! keeps only the entries some rule asked about, so memory grows with the
//! findings, not with the disk. It never follows a symlink, never reads a
//! file and opens nothing but directories, with `O_NOFOLLOW|O_DIRECTORY`;
//! each directory opened is checked to be the one its parent listed (same
//! device and inode), so a directory swapped for a symlink while the walk
//! runs (in /tmp, say) is not followed.
//!
//! Where the walk stops:
//! - root filesystem target: at the root directory's device, like
//!   `find -xdev`;
//! - live host: at pseudo filesystems (proc, sysfs, cgroup...), network and
//!   FUSE filesystems and squashfs images, from the mount table; local
//!   filesystems such as `/home` or a tmpfs `/tmp` are walked. `/proc` and
//!   `/sys` are never walked, and of `/dev` only `/dev/shm`. Without a mount
//!   table the walk stays on the root's device.
//!
//! Mount points not descended into are listed in [`Walk::skipped`].

use crate::diag::Diagnostic;
use crate::facts::mounts::collect_runtime;
use crate::facts::{Collected, FactError, FactResult};
use crate::target::{FileType, Target, TargetError};
use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Directories nested deeper than this below the root are not listed.
pub const MAX_DEPTH: u32 = 256;

/// Filesystem types a live walk does not enter: kernel pseudo filesystems
/// (nothing on disk, and reading some has side effects), network
/// filesystems (slow, possibly hanging, and another host's files) and
/// read-only images. Every `fuse.*` type is skipped as well.
const SKIPPED_FSTYPES: &[&str] = &[
    // Pseudo filesystems.
    "proc",
    "sysfs",
    "securityfs",
    "selinuxfs",
    "smackfs",
    "cgroup",
    "cgroup2",
    "pstore",
    "bpf",
    "debugfs",
    "tracefs",
    "configfs",
    "fusectl",
    "mqueue",
    "hugetlbfs",
    "devpts",
    "devtmpfs",
    "autofs",
    "binfmt_misc",
    "efivarfs",
    "rpc_pipefs",
    "nfsd",
    "nsfs",
    // Read-only images (snaps).
    "squashfs",
    // Network and shared filesystems.
    "nfs",
    "nfs3",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "ceph",
    "glusterfs",
    "lustre",
    "gpfs",
    "beegfs",
    "9p",
    "virtiofs",
    "vboxsf",
    "afs",
    "ncpfs",
    "davfs",
    "fuse",
];

/// What a walk looks for; each entry found is recorded once with the set of reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Interest {
    /// Anything but a symlink with the `o+w` bit, directories included.
    WorldWritable,
    /// A directory with `o+w` and without the sticky bit.
    WorldWritableNoSticky,
    /// Owner not in [`WalkSpec::known_uids`] (symlinks included).
    Unowned,
    /// Group not in [`WalkSpec::known_gids`] (symlinks included).
    Ungrouped,
    /// A regular file with the setuid bit.
    Setuid,
    /// A regular file with the setgid bit.
    Setgid,
}

impl Interest {
    pub const ALL: [Interest; 6] = [
        Interest::WorldWritable,
        Interest::WorldWritableNoSticky,
        Interest::Unowned,
        Interest::Ungrouped,
        Interest::Setuid,
        Interest::Setgid,
    ];
}

/// An entry some interest matched, as `lstat` saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WalkEntry {
    /// In the target's namespace, e.g. `/usr/bin/passwd`.
    pub path: String,
    pub file_type: FileType,
    /// Permission bits, setuid, setgid and sticky included (`& 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Sorted, without duplicates.
    pub reasons: Vec<Interest>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Walk {
    /// Sorted by path.
    pub entries: Vec<WalkEntry>,
    /// Entries looked at, the root directory included.
    pub scanned: u64,
    /// Directories that could not be listed (permission denied, vanished,
    /// replaced while the walk ran).
    pub unreadable: u64,
    /// Mount points not descended into (and `/dev` on a live host, of which
    /// only `/dev/shm` is walked), sorted.
    pub skipped: Vec<String>,
}

impl Walk {
    /// The entries recorded for `interest`, in path order.
    pub fn matching(&self, interest: Interest) -> impl Iterator<Item = &WalkEntry> {
        self.entries
            .iter()
            .filter(move |e| e.reasons.contains(&interest))
    }
}

/// What to look for. Entries matching no interest are counted, not kept.
#[derive(Debug, Clone, Default)]
pub struct WalkSpec {
    pub interests: BTreeSet<Interest>,
    pub known_uids: HashSet<u32>,
    pub known_gids: HashSet<u32>,
}

/// Walks the target's whole filesystem once, recording the entries that
/// match `spec`. Directories that cannot be listed are counted, with one
/// summary diagnostic; only a root directory that cannot be looked at at
/// all is an error.
pub fn walk(target: &Target, spec: &WalkSpec) -> FactResult<Walk> {
    let root = target.root_dir().to_path_buf();
    let root_stat = rustix::fs::stat(&root).map_err(|e| root_error(e, &root))?;
    let root_fields = Fields::of(&root_stat);
    let mut diagnostics = Vec::new();

    let mut pruned: HashMap<Vec<u8>, Vec<Vec<u8>>> = HashMap::new();
    let mut same_dev = Some(root_fields.dev);
    let live = target.is_live();
    if live {
        for always in ["/proc", "/sys"] {
            add_pruned(&mut pruned, always);
        }
        match collect_runtime(target) {
            Ok(mounts) if !mounts.value.is_empty() => {
                same_dev = None;
                for m in mounts.value.iter().filter(|m| is_skipped_fstype(&m.fstype)) {
                    add_pruned(&mut pruned, &m.mountpoint);
                }
            }
            Ok(_) => diagnostics.push(no_mount_table("it is empty or missing")),
            Err(e) => diagnostics.push(no_mount_table(&e.to_string())),
        }
    }

    let ctx = Ctx {
        want: Wants::of(spec),
        spec,
        host_prefix: if root == Path::new("/") {
            Vec::new()
        } else {
            root.as_os_str().as_bytes().to_vec()
        },
        same_dev,
        pruned,
        dev_only_shm: live,
        slots: (0..rayon::current_num_threads().max(1))
            .map(|_| Mutex::new(Local::default()))
            .collect(),
    };

    let mut first = Local {
        scanned: 1,
        ..Local::default()
    };
    let root_type = file_type_of(root_stat.st_mode);
    let root_reasons = ctx.reasons(root_type, &root_fields);
    if !root_reasons.is_empty() {
        first
            .entries
            .push(walk_entry(b"/", root_type, &root_fields, root_reasons));
    }
    ctx.merge(first);
    let root_job = DirJob {
        rel: b"/".to_vec(),
        depth: 0,
        dev: root_fields.dev,
        ino: root_fields.ino,
    };
    rayon::scope(|s| visit(s, &ctx, root_job));

    let mut all = Local::default();
    for slot in ctx.slots {
        all.merge(slot.into_inner().unwrap_or_else(|e| e.into_inner()));
    }
    all.entries.sort_by(|a, b| a.path.cmp(&b.path));
    all.skipped.sort();
    all.skipped.dedup();
    if all.unreadable > 0 {
        diagnostics.push(Diagnostic::incomplete(
            "/",
            format!(
                "{} could not be read; whole-disk rules may miss files in them",
                count_dirs(all.unreadable)
            ),
        ));
    }
    if all.dropped > 0 {
        diagnostics.push(Diagnostic::incomplete(
            "/",
            format!(
                "more than {MAX_RECORDED} files of interest; {} more were found and not kept",
                all.dropped
            ),
        ));
    }
    if all.too_deep > 0 {
        diagnostics.push(Diagnostic::incomplete(
            "/",
            format!(
                "{} nested deeper than {MAX_DEPTH} levels not descended into; whole-disk rules may miss files in them",
                count_dirs(all.too_deep)
            ),
        ));
    }
    Ok(Collected::new(
        Walk {
            entries: all.entries,
            scanned: all.scanned,
            unreadable: all.unreadable,
            skipped: all.skipped,
        },
        diagnostics,
    ))
}

fn count_dirs(n: u64) -> String {
    if n == 1 {
        "1 directory".to_string()
    } else {
        format!("{n} directories")
    }
}

fn no_mount_table(why: &str) -> Diagnostic {
    Diagnostic::new(
        "/proc/self/mounts",
        format!(
            "mount table unavailable ({why}); the filesystem walk stays on the root filesystem"
        ),
    )
}

fn root_error(e: Errno, root: &Path) -> FactError {
    let path = "/".to_string();
    FactError::Read(if e == Errno::ACCESS || e == Errno::PERM {
        TargetError::PermissionDenied { path }
    } else {
        TargetError::Io {
            path,
            message: format!("{}: {e}", root.display()),
        }
    })
}

/// Whether a live walk stays out of a filesystem of this type.
fn is_skipped_fstype(fstype: &str) -> bool {
    fstype.starts_with("fuse.") || SKIPPED_FSTYPES.contains(&fstype)
}

/// Records `mountpoint` (a target path) as a directory not to enter, keyed
/// by its parent so that a directory listing looks its names up once.
fn add_pruned(pruned: &mut HashMap<Vec<u8>, Vec<Vec<u8>>>, mountpoint: &str) {
    let trimmed = mountpoint.trim_end_matches('/');
    let Some((parent, name)) = trimmed.rsplit_once('/') else {
        return;
    };
    if name.is_empty() || name == "." || name == ".." {
        return;
    }
    let parent = if parent.is_empty() { "/" } else { parent };
    let names = pruned.entry(parent.as_bytes().to_vec()).or_default();
    if !names.iter().any(|n| n == name.as_bytes()) {
        names.push(name.as_bytes().to_vec());
    }
}

/// The interests of a spec, as flags.
#[derive(Debug, Clone, Copy)]
struct Wants {
    world_writable: bool,
    no_sticky: bool,
    unowned: bool,
    ungrouped: bool,
    setuid: bool,
    setgid: bool,
}

impl Wants {
    fn of(spec: &WalkSpec) -> Wants {
        let has = |i| spec.interests.contains(&i);
        Wants {
            world_writable: has(Interest::WorldWritable),
            no_sticky: has(Interest::WorldWritableNoSticky),
            unowned: has(Interest::Unowned),
            ungrouped: has(Interest::Ungrouped),
            setuid: has(Interest::Setuid),
            setgid: has(Interest::Setgid),
        }
    }
}

/// What a walk keeps of `stat`, in fixed-width types.
#[derive(Debug, Clone, Copy)]
struct Fields {
    dev: u64,
    ino: u64,
    /// Permission bits only (`& 0o7777`).
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
}

impl Fields {
    // The widths of `stat`'s fields differ between architectures.
    #[allow(clippy::unnecessary_cast)]
    fn of(st: &rustix::fs::Stat) -> Fields {
        Fields {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            mode: (st.st_mode as u32) & 0o7777,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
            size: u64::try_from(st.st_size).unwrap_or(0),
        }
    }
}

fn file_type_of(st_mode: rustix::fs::RawMode) -> FileType {
    from_rustix(rustix::fs::FileType::from_raw_mode(st_mode))
}

fn from_rustix(ft: rustix::fs::FileType) -> FileType {
    use rustix::fs::FileType as R;
    match ft {
        R::Directory => FileType::Directory,
        R::Symlink => FileType::Symlink,
        R::Fifo => FileType::Fifo,
        R::Socket => FileType::Socket,
        R::CharacterDevice => FileType::CharDevice,
        R::BlockDevice => FileType::BlockDevice,
        _ => FileType::File,
    }
}

/// A directory to list: its target path and what its parent's listing
/// said it is.
#[derive(Debug)]
struct DirJob {
    rel: Vec<u8>,
    depth: u32,
    dev: u64,
    ino: u64,
}

/// What one task found, merged into its thread's slot when it ends.
#[derive(Debug, Default)]
struct Local {
    entries: Vec<WalkEntry>,
    scanned: u64,
    unreadable: u64,
    too_deep: u64,
    /// Entries found beyond [`MAX_RECORDED`], not kept.
    dropped: u64,
    skipped: Vec<String>,
}

/// The walk keeps at most this many entries (about 150 bytes each); a tree
/// with more files of interest (a million world-writable files) has every
/// further one counted, not kept, and an incomplete diagnostic.
pub const MAX_RECORDED: usize = 200_000;

impl Local {
    fn merge(&mut self, other: Local) {
        let room = MAX_RECORDED.saturating_sub(self.entries.len());
        self.dropped += other.dropped + other.entries.len().saturating_sub(room) as u64;
        self.entries.extend(other.entries.into_iter().take(room));
        self.scanned += other.scanned;
        self.unreadable += other.unreadable;
        self.too_deep += other.too_deep;
        self.skipped.extend(other.skipped);
    }
}

struct Ctx<'a> {
    spec: &'a WalkSpec,
    want: Wants,
    /// The root directory's host path, empty for `/`.
    host_prefix: Vec<u8>,
    /// Stay on this device (root targets, live hosts without mount table).
    same_dev: Option<u64>,
    /// Directory (target path) -> names in it not to enter.
    pruned: HashMap<Vec<u8>, Vec<Vec<u8>>>,
    /// Of `/dev`, look only at `/dev/shm` (live hosts).
    dev_only_shm: bool,
    /// One accumulator per rayon thread, so merging rarely contends.
    slots: Vec<Mutex<Local>>,
}

impl Ctx<'_> {
    fn merge(&self, local: Local) {
        let index = rayon::current_thread_index().unwrap_or(0) % self.slots.len().max(1);
        if let Some(slot) = self.slots.get(index) {
            slot.lock().unwrap_or_else(|e| e.into_inner()).merge(local);
        }
    }

    fn host_path(&self, rel: &[u8]) -> PathBuf {
        let mut bytes = Vec::with_capacity(self.host_prefix.len() + rel.len());
        bytes.extend_from_slice(&self.host_prefix);
        bytes.extend_from_slice(rel);
        PathBuf::from(OsStr::from_bytes(&bytes))
    }

    /// Whether an entry of this `d_type` must be looked at with `lstat`.
    fn needs_stat(&self, ft: rustix::fs::FileType) -> bool {
        use rustix::fs::FileType as R;
        let w = &self.want;
        match ft {
            R::Directory | R::Unknown => true,
            _ if w.unowned || w.ungrouped => true,
            R::Symlink => false,
            R::RegularFile => w.world_writable || w.setuid || w.setgid,
            _ => w.world_writable,
        }
    }

    fn reasons(&self, ft: FileType, f: &Fields) -> Vec<Interest> {
        let w = &self.want;
        let mut reasons = Vec::new();
        let world_writable = ft != FileType::Symlink && f.mode & 0o002 != 0;
        if w.world_writable && world_writable {
            reasons.push(Interest::WorldWritable);
        }
        if w.no_sticky && world_writable && ft == FileType::Directory && f.mode & 0o1000 == 0 {
            reasons.push(Interest::WorldWritableNoSticky);
        }
        if w.unowned && !self.spec.known_uids.contains(&f.uid) {
            reasons.push(Interest::Unowned);
        }
        if w.ungrouped && !self.spec.known_gids.contains(&f.gid) {
            reasons.push(Interest::Ungrouped);
        }
        if w.setuid && ft == FileType::File && f.mode & 0o4000 != 0 {
            reasons.push(Interest::Setuid);
        }
        if w.setgid && ft == FileType::File && f.mode & 0o2000 != 0 {
            reasons.push(Interest::Setgid);
        }
        reasons
    }
}

fn visit<'s>(scope: &rayon::Scope<'s>, ctx: &'s Ctx<'_>, job: DirJob) {
    let (local, subdirs) = list_dir(ctx, &job);
    drop(job);
    for sub in subdirs {
        scope.spawn(move |s| visit(s, ctx, sub));
    }
    ctx.merge(local);
}

fn child_path(parent: &[u8], name: &[u8]) -> Vec<u8> {
    let mut rel = Vec::with_capacity(parent.len() + 1 + name.len());
    rel.extend_from_slice(parent);
    if parent != b"/" {
        rel.push(b'/');
    }
    rel.extend_from_slice(name);
    rel
}

fn lossy(rel: &[u8]) -> String {
    String::from_utf8_lossy(rel).into_owned()
}

fn walk_entry(rel: &[u8], file_type: FileType, f: &Fields, reasons: Vec<Interest>) -> WalkEntry {
    WalkEntry {
        path: lossy(rel),
        file_type,
        mode: f.mode,
        uid: f.uid,
        gid: f.gid,
        size: f.size,
        reasons,
    }
}

/// Opens a directory without following a symlink in its last component,
/// and checks it is the directory its parent listed.
fn open_dir(ctx: &Ctx<'_>, job: &DirJob) -> Result<rustix::fs::Dir, Errno> {
    let fd = rustix::fs::open(
        ctx.host_path(&job.rel),
        OFlags::RDONLY
            | OFlags::DIRECTORY
            | OFlags::NOFOLLOW
            | OFlags::CLOEXEC
            | OFlags::NOCTTY
            | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    let opened = Fields::of(&rustix::fs::fstat(&fd)?);
    if opened.dev != job.dev || opened.ino != job.ino {
        // Replaced since its parent was listed, or reached through a
        // component swapped for a symlink.
        return Err(Errno::STALE);
    }
    rustix::fs::Dir::new(fd)
}

/// Lists one directory: the entries it holds that match, and the
/// subdirectories to list next.
fn list_dir(ctx: &Ctx<'_>, job: &DirJob) -> (Local, Vec<DirJob>) {
    let mut local = Local::default();
    let mut subdirs = Vec::new();
    let mut dir = match open_dir(ctx, job) {
        Ok(dir) => dir,
        Err(_) => {
            local.unreadable += 1;
            return (local, subdirs);
        }
    };
    let pruned_here = ctx.pruned.get(&job.rel);
    let only_shm = ctx.dev_only_shm && job.rel == b"/dev";
    if only_shm {
        local.skipped.push("/dev".to_string());
    }
    let mut incomplete = false;
    while let Some(item) = dir.read() {
        let entry = match item {
            Ok(entry) => entry,
            Err(_) => {
                incomplete = true;
                break;
            }
        };
        let name = entry.file_name().to_bytes();
        if name == b"." || name == b".." || (only_shm && name != b"shm") {
            continue;
        }
        local.scanned += 1;
        if pruned_here.is_some_and(|names| names.iter().any(|n| n == name)) {
            // Not even looked at: `stat` of a dead network mount hangs.
            local.skipped.push(lossy(&child_path(&job.rel, name)));
            continue;
        }
        if !ctx.needs_stat(entry.file_type()) {
            continue;
        }
        let Ok(fd) = dir.fd() else {
            incomplete = true;
            break;
        };
        let st = match rustix::fs::statat(
            fd,
            entry.file_name(),
            AtFlags::SYMLINK_NOFOLLOW | AtFlags::NO_AUTOMOUNT,
        ) {
            Ok(st) => st,
            // Removed since the listing: nothing to report.
            Err(Errno::NOENT) => continue,
            Err(_) => {
                incomplete = true;
                continue;
            }
        };
        let fields = Fields::of(&st);
        let file_type = file_type_of(st.st_mode);
        let reasons = ctx.reasons(file_type, &fields);
        if file_type == FileType::Directory {
            let rel = child_path(&job.rel, name);
            if !reasons.is_empty() {
                local
                    .entries
                    .push(walk_entry(&rel, file_type, &fields, reasons));
            }
            if ctx.same_dev.is_some_and(|dev| dev != fields.dev) {
                local.skipped.push(lossy(&rel));
            } else if job.depth >= MAX_DEPTH {
                local.too_deep += 1;
            } else {
                subdirs.push(DirJob {
                    rel,
                    depth: job.depth + 1,
                    dev: fields.dev,
                    ino: fields.ino,
                });
            }
        } else if !reasons.is_empty() {
            let rel = child_path(&job.rel, name);
            local
                .entries
                .push(walk_entry(&rel, file_type, &fields, reasons));
        }
    }
    if incomplete {
        local.unreadable += 1;
    }
    (local, subdirs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::{link, write};
    use std::fs;
    use std::os::unix::fs::{lchown, MetadataExt, PermissionsExt};
    use std::time::Instant;

    fn is_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    fn chmod(root: &Path, path: &str, mode: u32) {
        let host = root.join(path.trim_start_matches('/'));
        fs::set_permissions(host, fs::Permissions::from_mode(mode)).unwrap();
    }

    fn mkdir(root: &Path, path: &str, mode: u32) {
        fs::create_dir_all(root.join(path.trim_start_matches('/'))).unwrap();
        chmod(root, path, mode);
    }

    fn file(root: &Path, path: &str, mode: u32) {
        write(root, path, "x");
        chmod(root, path, mode);
    }

    /// Known accounts: whoever owns the test tree.
    fn spec(root: &Path, interests: &[Interest]) -> WalkSpec {
        let meta = fs::metadata(root).unwrap();
        WalkSpec {
            interests: interests.iter().copied().collect(),
            known_uids: [0, meta.uid()].into_iter().collect(),
            known_gids: [0, meta.gid()].into_iter().collect(),
        }
    }

    fn summary(walk: &Walk) -> Vec<(&str, Vec<Interest>)> {
        walk.entries
            .iter()
            .map(|e| (e.path.as_str(), e.reasons.clone()))
            .collect()
    }

    /// The tree of the main test; returns whether the unowned file exists.
    fn build_tree(r: &Path) -> bool {
        file(r, "/etc/passwd", 0o644);
        file(r, "/data/shared.txt", 0o666);
        mkdir(r, "/data/tmp", 0o1777);
        mkdir(r, "/data/open", 0o777);
        file(r, "/data/open/inside", 0o600);
        file(r, "/usr/bin/passwd", 0o4755);
        file(r, "/usr/bin/wall", 0o2755);
        file(r, "/usr/bin/bad", 0o6777);
        link(r, "/etc/shadow-link", "/etc/shadow");
        link(r, "/escape", "/");
        link(r, "/loop/a", "b");
        link(r, "/loop/b", "a");
        link(r, "/loop/self", ".");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            r.join("data/fifo"),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o666),
            0,
        )
        .unwrap();
        chmod(r, "/data/fifo", 0o666);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            r.join("data/private-fifo"),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        chmod(r, "/data/private-fifo", 0o600);
        if is_root() {
            file(r, "/srv/orphan", 0o644);
            lchown(r.join("srv/orphan"), Some(4242), Some(4343)).unwrap();
            lchown(r.join("escape"), Some(4242), None).unwrap();
        }
        is_root()
    }

    #[test]
    fn records_each_interest_once_with_its_reasons() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let root = build_tree(r);
        let t = Target::root(r).unwrap();
        let got = walk(&t, &spec(r, &Interest::ALL)).unwrap();
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        let w = got.value;
        use Interest::*;
        let mut expected = vec![
            ("/data/fifo", vec![WorldWritable]),
            ("/data/open", vec![WorldWritable, WorldWritableNoSticky]),
            ("/data/shared.txt", vec![WorldWritable]),
            ("/data/tmp", vec![WorldWritable]),
            ("/usr/bin/bad", vec![WorldWritable, Setuid, Setgid]),
            ("/usr/bin/passwd", vec![Setuid]),
            ("/usr/bin/wall", vec![Setgid]),
        ];
        if root {
            expected.insert(0, ("/escape", vec![Unowned]));
            expected.push(("/srv/orphan", vec![Unowned, Ungrouped]));
            expected.sort();
        }
        assert_eq!(summary(&w), expected);
        assert_eq!(w.unreadable, 0);
        assert!(w.skipped.is_empty());
        // "/", its 5 children (etc data usr escape loop), etc's 2, data's 5,
        // open's 1, usr's 1, bin's 3, loop's 3; as root also srv and orphan.
        assert_eq!(w.scanned, if root { 23 } else { 21 });

        let bad = w.matching(Setuid).next().unwrap();
        assert_eq!(bad.path, "/usr/bin/bad");
        assert_eq!(bad.file_type, FileType::File);
        assert_eq!(bad.mode, 0o6777);
        assert_eq!(bad.size, 1);
        let fifo = w.entries.iter().find(|e| e.path == "/data/fifo").unwrap();
        assert_eq!(fifo.file_type, FileType::Fifo);
        assert_eq!(
            w.matching(WorldWritableNoSticky)
                .map(|e| e.path.as_str())
                .collect::<Vec<_>>(),
            ["/data/open"]
        );
        let tmp = w.entries.iter().find(|e| e.path == "/data/tmp").unwrap();
        assert_eq!((tmp.file_type, tmp.mode), (FileType::Directory, 0o1777));
        if root {
            let orphan = w.matching(Unowned).last().unwrap();
            assert_eq!((orphan.uid, orphan.gid), (4242, 4343));
        }
        assert_eq!(
            serde_json::to_value(WorldWritableNoSticky).unwrap(),
            "world_writable_no_sticky"
        );
    }

    #[test]
    fn records_only_requested_interests() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        build_tree(r);
        let t = Target::root(r).unwrap();
        let got = walk(&t, &spec(r, &[Interest::Setuid])).unwrap().value;
        assert_eq!(
            summary(&got),
            vec![
                ("/usr/bin/bad", vec![Interest::Setuid]),
                ("/usr/bin/passwd", vec![Interest::Setuid]),
            ]
        );
        let none = walk(&t, &spec(r, &[])).unwrap().value;
        assert!(none.entries.is_empty());
        assert!(none.scanned > 0);
    }

    #[test]
    fn the_root_directory_itself_is_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        chmod(r, "/", 0o777);
        let t = Target::root(r).unwrap();
        let got = walk(&t, &spec(r, &Interest::ALL)).unwrap().value;
        assert_eq!(
            summary(&got),
            vec![(
                "/",
                vec![Interest::WorldWritable, Interest::WorldWritableNoSticky]
            )]
        );
        assert_eq!(got.scanned, 1);
        chmod(r, "/", 0o700);
    }

    #[test]
    fn simulated_live_skips_pseudo_network_and_fuse_mounts() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            "/proc/self/mounts",
            "/dev/sda1 / ext4 rw 0 0\n\
             proc /proc proc rw 0 0\n\
             sysfs /sys sysfs rw 0 0\n\
             server:/export /mnt/nfs nfs4 rw 0 0\n\
             sshfs#me@host: /mnt/ssh fuse.sshfs rw 0 0\n\
             /dev/loop0 /snap/core/1 squashfs ro 0 0\n\
             tmpfs /tmp tmpfs rw 0 0\n\
             tmpfs /dev/shm tmpfs rw 0 0\n",
        );
        for path in [
            "/proc/1/environ",
            "/sys/kernel/x",
            "/mnt/nfs/share/x",
            "/mnt/ssh/x",
            "/snap/core/1/x",
            "/dev/fake-null",
            "/dev/shm/seg",
            "/tmp/x",
            "/mnt/local/x",
        ] {
            file(r, path, 0o666);
        }
        mkdir(r, "/dev/shm", 0o1777);
        mkdir(r, "/tmp", 0o1777);
        let t = Target::simulated_live(r).unwrap();
        let got = walk(&t, &spec(r, &[Interest::WorldWritable])).unwrap();
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        let paths: Vec<&str> = got.value.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/dev/shm", "/dev/shm/seg", "/mnt/local/x", "/tmp", "/tmp/x"]
        );
        assert_eq!(
            got.value.skipped,
            [
                "/dev",
                "/mnt/nfs",
                "/mnt/ssh",
                "/proc",
                "/snap/core/1",
                "/sys"
            ]
        );
    }

    #[test]
    fn simulated_live_without_mount_table_stays_on_the_root_device() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        file(r, "/sys/x", 0o666);
        file(r, "/home/x", 0o666);
        let t = Target::simulated_live(r).unwrap();
        let got = walk(&t, &spec(r, &[Interest::WorldWritable])).unwrap();
        assert_eq!(got.diagnostics.len(), 1);
        assert!(got.diagnostics[0]
            .message
            .contains("mount table unavailable"));
        assert_eq!(
            summary(&got.value),
            [("/home/x", vec![Interest::WorldWritable])]
        );
        assert_eq!(got.value.skipped, ["/sys"]);
    }

    #[test]
    fn fstype_classification() {
        for skipped in [
            "proc",
            "nfs4",
            "cifs",
            "fuse.sshfs",
            "fuse.gvfsd-fuse",
            "squashfs",
        ] {
            assert!(is_skipped_fstype(skipped), "{skipped}");
        }
        for walked in [
            "ext4", "xfs", "btrfs", "tmpfs", "overlay", "vfat", "fuseblk",
        ] {
            assert!(!is_skipped_fstype(walked), "{walked}");
        }
    }

    #[test]
    fn deep_directories_are_not_descended() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let at_limit = "/d".repeat(MAX_DEPTH as usize);
        let beyond = format!("{at_limit}/d");
        file(r, &format!("{at_limit}/f"), 0o666);
        file(r, &format!("{beyond}/f"), 0o666);
        let t = Target::root(r).unwrap();
        let got = walk(&t, &spec(r, &[Interest::WorldWritable])).unwrap();
        let paths: Vec<&str> = got.value.entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, [format!("{at_limit}/f")]);
        assert_eq!(got.diagnostics.len(), 1);
        assert!(
            got.diagnostics[0]
                .message
                .starts_with("1 directory nested deeper than 256 levels"),
            "{:?}",
            got.diagnostics
        );
    }

    #[test]
    fn unreadable_directories_are_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        file(r, "/locked/inside", 0o666);
        file(r, "/open/x", 0o666);
        chmod(r, "/locked", 0o000);
        let t = Target::root(r).unwrap();
        let got = walk(&t, &spec(r, &[Interest::WorldWritable])).unwrap();
        chmod(r, "/locked", 0o755);
        if !is_root() {
            assert_eq!(got.value.unreadable, 1);
            assert_eq!(
                summary(&got.value),
                [("/open/x", vec![Interest::WorldWritable])]
            );
            assert_eq!(got.diagnostics.len(), 1);
            assert_eq!(got.diagnostics[0].file, "/");
            // What lies below is unknown: checks that need it are errors.
            assert!(got.diagnostics[0].incomplete);
            assert_eq!(
                got.diagnostics[0].message,
                "1 directory could not be read; whole-disk rules may miss files in them"
            );
        }
    }

    #[test]
    fn swapped_or_vanished_directories_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        file(r, "/real/x", 0o666);
        link(r, "/swapped", "/real");
        let real = fs::metadata(r.join("real")).unwrap();
        let target = Target::root(r).unwrap();
        let spec = spec(r, &[Interest::WorldWritable]);
        let ctx = Ctx {
            spec: &spec,
            want: Wants::of(&spec),
            host_prefix: target.root_dir().as_os_str().as_bytes().to_vec(),
            same_dev: None,
            pruned: HashMap::new(),
            dev_only_shm: false,
            slots: vec![Mutex::new(Local::default())],
        };
        let job = |rel: &str, ino: u64| DirJob {
            rel: rel.as_bytes().to_vec(),
            depth: 1,
            dev: real.dev(),
            ino,
        };
        let (ok, _) = list_dir(&ctx, &job("/real", real.ino()));
        assert_eq!((ok.unreadable, ok.entries.len()), (0, 1));
        // A symlink now where the directory was listed: not opened.
        let (swapped, _) = list_dir(&ctx, &job("/swapped", real.ino()));
        assert_eq!((swapped.unreadable, swapped.entries.len()), (1, 0));
        // Another directory than the one listed.
        let (other, _) = list_dir(&ctx, &job("/real", real.ino() + 1));
        assert_eq!((other.unreadable, other.entries.len()), (1, 0));
        let (gone, _) = list_dir(&ctx, &job("/gone", real.ino()));
        assert_eq!(gone.unreadable, 1);
    }

    /// Known accounts of the host, from /etc/passwd and /etc/group.
    fn host_ids(file: &str) -> HashSet<u32> {
        fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split(':').nth(2)?.parse().ok())
            .collect()
    }

    #[test]
    #[ignore = "walks the whole host; run by hand to time it"]
    fn time_walk_of_root() {
        let spec = WalkSpec {
            interests: Interest::ALL.into_iter().collect(),
            known_uids: host_ids("/etc/passwd"),
            known_gids: host_ids("/etc/group"),
        };
        let start = Instant::now();
        let got = walk(&Target::live(), &spec).unwrap();
        let elapsed = start.elapsed();
        let w = &got.value;
        println!(
            "walked /: scanned {} entries in {elapsed:?} on {} threads; {} recorded, {} unreadable",
            w.scanned,
            rayon::current_num_threads(),
            w.entries.len(),
            w.unreadable
        );
        for interest in Interest::ALL {
            println!("  {interest:?}: {}", w.matching(interest).count());
        }
        println!("  skipped: {:?}", w.skipped);
        for d in &got.diagnostics {
            println!("  {d}");
        }
    }
}
