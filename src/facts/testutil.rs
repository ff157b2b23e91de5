//! Building small root trees for the collectors' tests.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

/// Writes `text` at `path` inside `root`, creating directories on the way.
pub fn write(root: &Path, path: &str, text: &str) {
    let host = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(host.parent().unwrap()).unwrap();
    fs::write(host, text).unwrap();
}

/// Makes `path` inside `root` a symlink to `to` (written as given).
pub fn link(root: &Path, path: &str, to: &str) {
    let host = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(host.parent().unwrap()).unwrap();
    symlink(to, host).unwrap();
}
