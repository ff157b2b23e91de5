//! Scanning a hostile root filesystem: symlinks that try to escape, a FIFO,
//! a device, a symlink loop and a huge file. The scan must finish promptly,
//! read nothing outside the root, and report what it could not read as
//! `error`, never as a pass.

mod common;

#[path = "support/report_schema.rs"]
mod report_schema;

use assert_cmd::Command;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

fn hostile_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for d in ["etc/ssh", "usr/lib", "srv"] {
        fs::create_dir_all(r.join(d)).unwrap();
    }
    fs::write(r.join("usr/lib/os-release"), "ID=hostile\n").unwrap();
    // Climbs far above the root; must land on <root>/usr/lib/os-release.
    symlink(
        "../../../../../../../../usr/lib/os-release",
        r.join("etc/os-release"),
    )
    .unwrap();
    fs::write(r.join("srv/passwd"), "root:x:0:0:root:/root:/bin/inside\n").unwrap();
    // Absolute: means <root>/srv/passwd, never the host's file.
    symlink("/srv/passwd", r.join("etc/passwd")).unwrap();
    rustix::fs::mkfifoat(rustix::fs::CWD, r.join("etc/shadow"), 0o600.into()).unwrap();
    symlink("/etc/ssh/b", r.join("etc/ssh/sshd_config")).unwrap();
    symlink("/etc/ssh/sshd_config", r.join("etc/ssh/b")).unwrap();
    let huge = fs::File::create(r.join("etc/login.defs")).unwrap();
    huge.set_len(4 << 30).unwrap();
    symlink("/proc/self/status", r.join("etc/group")).unwrap();
    if common::is_root() {
        let dev = rustix::fs::FileType::CharacterDevice;
        rustix::fs::mknodat(
            rustix::fs::CWD,
            r.join("etc/hostname"),
            dev,
            0o644.into(),
            rustix::fs::makedev(1, 3),
        )
        .unwrap();
    } else {
        rustix::fs::mkfifoat(rustix::fs::CWD, r.join("etc/hostname"), 0o644.into()).unwrap();
    }
    dir
}

fn policy() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile/policy.yaml")
}

#[test]
fn hostile_tree_is_scanned_safely_and_honestly() {
    let tree = hostile_tree();
    let out = Command::cargo_bin("posture")
        .unwrap()
        .timeout(std::time::Duration::from_secs(60))
        .args(["scan", "--format", "json", "--root"])
        .arg(tree.path())
        .arg("--policy")
        .arg(policy())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report: serde_json::Value = report_schema::report_json(&out.stdout);
    let result = |id: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no result for {id}"))
            .clone()
    };
    let reason = |id: &str| result(id)["reason"].as_str().unwrap_or("").to_string();

    assert_eq!(result("os-from-inside-root")["outcome"], "pass");
    assert_eq!(result("passwd-absolute-link")["outcome"], "pass");

    assert_eq!(result("shadow-is-a-fifo")["outcome"], "error");
    assert!(
        reason("shadow-is-a-fifo").contains("/etc/shadow: is a fifo"),
        "{}",
        reason("shadow-is-a-fifo")
    );

    assert_eq!(result("sshd-loops")["outcome"], "error");
    assert!(reason("sshd-loops").contains("too many levels of symbolic links"));

    assert_eq!(result("hostname-is-a-device")["outcome"], "error");
    assert!(reason("hostname-is-a-device").contains("not a regular file"));

    // The host's /proc is not inside the root: /etc/group does not exist there.
    assert_eq!(result("group-escapes")["outcome"], "fail");

    // Only the start of the huge file is read: the key may sit after the
    // cut, so the rule cannot be judged.
    assert_eq!(result("huge-login-defs")["outcome"], "error");
    assert!(
        reason("huge-login-defs").contains("read limit"),
        "{}",
        reason("huge-login-defs")
    );
    let diags = report["diagnostics"].as_array().unwrap();
    assert!(
        diags.iter().any(|d| d["file"] == "/etc/login.defs"
            && d["message"].as_str().unwrap().contains("read limit")),
        "{diags:?}"
    );
    assert_eq!(report["summary"]["by_outcome"]["error"], 4);
}

#[test]
fn inventory_of_hostile_tree_does_not_block_or_escape() {
    let tree = hostile_tree();
    let out = Command::cargo_bin("posture")
        .unwrap()
        .timeout(std::time::Duration::from_secs(60))
        .args(["inventory", "--root"])
        .arg(tree.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["os"]["id"], "hostile");
    assert_eq!(inv["users"][0]["shell"], "/bin/inside");
    assert!(inv["sshd"]["error"]
        .as_str()
        .unwrap()
        .contains("symbolic links"));
}
