//! Test helpers: root filesystem trees built from YAML specs.
//!
//! The base tree is `tests/fixtures/base/*.yaml`. A spec describes a tree as data, because git keeps neither file modes
//! (beyond the executable bit) nor owners:
//!
//! ```yaml
//! files:
//!   /etc/passwd: "root:x:0:0:root:/root:/bin/bash\n"      # content, mode 0644
//!   /etc/shadow: {content: "...", mode: "0640", gid: 42}
//! dirs:
//!   /tmp: {mode: "1777"}
//! symlinks:
//!   /etc/systemd/system/multi-user.target.wants/ssh.service: /lib/systemd/system/ssh.service
//! append:
//!   /etc/ssh/sshd_config: "PermitRootLogin yes\n"          # added to a file of the base
//! remove: [/etc/issue.net]
//! live: true          # scan as a live host whose / is the tree (runtime facts from /proc)
//! rpm: [bind, openssh-server-8.7p1-38.el9]   # an rpm database with these packages
//! ```
#![allow(dead_code)]

mod rpm;

use posture::yaml::{self, Node, NodeKind};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn scalar(n: &Node) -> String {
    n.as_scalar().map(|s| s.text.clone()).unwrap_or_default()
}

fn entries(n: Option<&Node>) -> Vec<(String, &Node)> {
    match n.map(|n| &n.kind) {
        Some(NodeKind::Map(m)) => m.iter().map(|(k, v)| (scalar(k), v)).collect(),
        _ => Vec::new(),
    }
}

pub fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.kind {
        NodeKind::Map(m) => m.iter().find(|(k, _)| scalar(k) == key).map(|(_, v)| v),
        _ => None,
    }
}

pub fn parse_spec(text: &str, file: &str) -> Node {
    yaml::parse(text, file).unwrap_or_else(|e| panic!("{e}"))
}

fn host(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// Creates `p`'s directory, which must stay inside `root`: a link in a
/// copied tree must not lead a test to write on the host.
fn ensure_parent(root: &Path, p: &Path) {
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
        let inside = fs::canonicalize(parent)
            .unwrap()
            .starts_with(fs::canonicalize(root).unwrap());
        assert!(inside, "{} leads out of the tree", p.display());
    }
}

fn set_owner(p: &Path, spec: &Node) {
    let uid = get(spec, "uid").map(|n| scalar(n).parse::<u32>().unwrap());
    let gid = get(spec, "gid").map(|n| scalar(n).parse::<u32>().unwrap());
    if (uid.is_some() || gid.is_some()) && is_root() {
        std::os::unix::fs::lchown(p, uid, gid).unwrap();
    }
}

fn set_mode(p: &Path, spec: &Node, default: u32) {
    let mode = get(spec, "mode")
        .map(|n| u32::from_str_radix(&scalar(n), 8).unwrap())
        .unwrap_or(default);
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// Applies a spec to the tree at `root`.
pub fn apply(root: &Path, spec: &Node) {
    for (path, d) in entries(get(spec, "dirs")) {
        let p = host(root, &path);
        fs::create_dir_all(&p).unwrap();
        set_mode(&p, d, 0o755);
        set_owner(&p, d);
    }
    for path in get(spec, "remove").into_iter().flat_map(|n| match &n.kind {
        NodeKind::Seq(items) => items.iter().map(scalar).collect(),
        _ => vec![scalar(n)],
    }) {
        let p = host(root, &path);
        if p.is_dir() && !p.is_symlink() {
            fs::remove_dir_all(&p).unwrap();
        } else {
            let _ = fs::remove_file(&p);
        }
    }
    for (path, f) in entries(get(spec, "files")) {
        let p = host(root, &path);
        ensure_parent(root, &p);
        let _ = fs::remove_file(&p);
        let content = match &f.kind {
            NodeKind::Scalar(_) => scalar(f),
            _ => get(f, "content").map(scalar).unwrap_or_default(),
        };
        fs::write(&p, content).unwrap();
        set_mode(&p, f, 0o644);
        set_owner(&p, f);
    }
    for (path, text) in entries(get(spec, "append")) {
        let p = host(root, &path);
        let mut content = fs::read_to_string(&p).unwrap_or_default();
        content.push_str(&scalar(text));
        let mode = fs::metadata(&p)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o644);
        ensure_parent(root, &p);
        // A new file, not a write through the old one: the tree may be a
        // hard-linked copy whose files must stay untouched.
        let _ = fs::remove_file(&p);
        fs::write(&p, content).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
    }
    if let Some(NodeKind::Seq(items)) = get(spec, "rpm").map(|n| &n.kind) {
        let names: Vec<String> = items.iter().map(scalar).collect();
        rpm::write_database(root, &names);
    }
    for (path, target) in entries(get(spec, "symlinks")) {
        let p = host(root, &path);
        ensure_parent(root, &p);
        let _ = fs::remove_file(&p);
        symlink(scalar(target), &p).unwrap();
    }
}

pub fn is_live(spec: &Node) -> bool {
    get(spec, "live").is_some_and(|n| scalar(n) == "true")
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The base tree: a hardened Debian-like system that passes every rule,
/// described by the spec files of `tests/fixtures/base/`, applied in name
/// order. Parsed once per test process.
pub fn base_specs() -> &'static [Node] {
    static SPECS: std::sync::OnceLock<Vec<Node>> = std::sync::OnceLock::new();
    SPECS.get_or_init(|| {
        let dir = manifest_dir().join("tests/fixtures/base");
        let mut files: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| {
                parse_spec(
                    &fs::read_to_string(path).unwrap(),
                    &path.display().to_string(),
                )
            })
            .collect()
    })
}

/// A fresh tree in a temporary directory: the base, then `case` on top.
pub fn build_tree(case: Option<&Node>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for spec in base_specs() {
        apply(dir.path(), spec);
    }
    if let Some(case) = case {
        apply(dir.path(), case);
    }
    dir
}
