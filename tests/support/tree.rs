//! The small root filesystem the command-line tests scan with
//! `tests/fixtures/cli/policy.yaml`.

use std::fs;

/// A small root filesystem: sshd allows root logins unless `hardened`.
pub fn tree(hardened: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("etc/ssh")).unwrap();
    fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=12\nPRETTY_NAME=\"Debian 12\"\n",
    )
    .unwrap();
    fs::write(root.join("etc/hostname"), "box1\n").unwrap();
    fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
    let permit = if hardened { "no" } else { "yes" };
    fs::write(
        root.join("etc/ssh/sshd_config"),
        format!("# test\nPermitRootLogin {permit}\n"),
    )
    .unwrap();
    fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4\n",
    )
    .unwrap();
    dir
}
