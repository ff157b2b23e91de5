//! Bounded work on any input: hostile roots that once hung, exhausted
//! memory or bloated the report now finish, with a report of bounded size
//! and a diagnostic naming what was cut. Each root is generated here; none
//! is committed. (The bounds themselves are documented in README.md.)

#[path = "support/report_schema.rs"]
mod report_schema;

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn write(root: &Path, path: &str, text: &[u8]) {
    let p = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// A root with an OS, accounts and an sshd, to which each case adds.
fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "/etc/os-release", b"ID=debian\nVERSION_ID=12\n");
    write(r, "/etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n");
    write(r, "/etc/group", b"root:x:0:\n");
    write(
        r,
        "/var/lib/dpkg/status",
        b"Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2\n",
    );
    dir
}

/// Scans `root` with `rules` of the built-in policy (all of them when
/// empty); the report as JSON, and its size in bytes. A hang fails the
/// test through the command's timeout rather than stalling the suite.
fn scan(root: &Path, rules: &[&str]) -> (serde_json::Value, usize) {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(120))
        .args(["scan", "--format", "json", "--profile", "all", "--root"])
        .arg(root);
    for r in rules {
        cmd.args(["--rule", r]);
    }
    let out = cmd.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (report_schema::report_json(&out.stdout), out.stdout.len())
}

fn result<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

fn diagnostics(report: &serde_json::Value) -> String {
    report["diagnostics"].to_string()
}

#[test]
fn sshd_include_fan_out_stops_at_the_file_budget() {
    let t = root();
    let r = t.path();
    // Each file includes itself three times: sshd refuses at the first
    // Include nested too deep, and so does the parser, early.
    write(
        r,
        "/etc/ssh/sshd_config",
        b"Include /etc/ssh/sshd_config /etc/ssh/sshd_config /etc/ssh/sshd_config\nPermitRootLogin no\n",
    );
    let (report, size) = scan(r, &["ssh-root-login-disabled"]);
    assert!(diagnostics(&report).contains("nests deeper than"));
    assert!(size < 256 * 1024, "report of {size} bytes");

    // Ten files that each include ten files that each include ten more:
    // 1,111 files within three levels.
    write(
        r,
        "/etc/ssh/sshd_config",
        b"Include /etc/ssh/a/*.conf\nPermitRootLogin no\n",
    );
    for i in 0..10 {
        write(
            r,
            &format!("/etc/ssh/a/{i}.conf"),
            b"Include /etc/ssh/b/*.conf\n",
        );
        write(
            r,
            &format!("/etc/ssh/b/{i}.conf"),
            b"Include /etc/ssh/c/*.conf\n",
        );
        write(r, &format!("/etc/ssh/c/{i}.conf"), b"MaxAuthTries 4\n");
    }
    let (report, size) = scan(r, &["ssh-root-login-disabled"]);
    let ssh = result(&report, "ssh-root-login-disabled");
    assert_eq!(ssh["outcome"], "error", "{ssh}");
    assert!(
        ssh["reason"]
            .as_str()
            .unwrap()
            .contains("includes more than 256 files"),
        "{ssh}"
    );
    assert!(size < 256 * 1024, "report of {size} bytes");
}

#[test]
fn included_bytes_are_budgeted_too() {
    let t = root();
    let r = t.path();
    let mut config = String::new();
    for i in 0..40 {
        // Sparse 4 GiB files: only their beginning is ever read.
        let path = r.join(format!("etc/ssh/big{i}.conf"));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::File::create(&path).unwrap().set_len(4 << 30).unwrap();
        config.push_str(&format!("Include /etc/ssh/big{i}.conf\n"));
    }
    config.push_str("PermitRootLogin no\n");
    write(r, "/etc/ssh/sshd_config", config.as_bytes());
    let (report, size) = scan(r, &["ssh-root-login-disabled"]);
    assert_eq!(
        result(&report, "ssh-root-login-disabled")["outcome"],
        "error"
    );
    assert!(size < 256 * 1024, "report of {size} bytes");
}

#[test]
fn globs_that_multiply_are_refused() {
    let t = root();
    let r = t.path();
    for i in 0..40 {
        fs::create_dir_all(r.join(format!("d{i:02}"))).unwrap();
    }
    write(r, "/x", b"PermitRootLogin yes\n");
    write(
        r,
        "/etc/ssh/sshd_config",
        b"Include /*/../*/../*/../*/../x\nPermitRootLogin no\n",
    );
    let (report, _) = scan(r, &["ssh-root-login-disabled"]);
    let ssh = result(&report, "ssh-root-login-disabled");
    assert_eq!(ssh["outcome"], "error", "{ssh}");
    assert!(
        ssh["reason"]
            .as_str()
            .unwrap()
            .contains("matches more than 10000 paths"),
        "{ssh}"
    );
}

#[test]
fn a_hundred_thousand_accounts_are_read_up_to_the_cap() {
    let t = root();
    let r = t.path();
    let mut passwd = String::from("root:x:0:0:root:/root:/bin/bash\n");
    let mut shadow = String::from("root:*:19700:1:365:7:30::\n");
    for i in 0..100_000 {
        passwd.push_str(&format!(
            "user{i}:x:{}:{}:User {i},,,:/home/user{i}:/bin/bash\n",
            10_000 + i,
            10_000 + i
        ));
        shadow.push_str(&format!("user{i}:$6$salt$hash:19700:0:99999:7:::\n"));
    }
    write(r, "/etc/passwd", passwd.as_bytes());
    write(r, "/etc/shadow", shadow.as_bytes());
    let (report, size) = scan(
        r,
        &[
            "user-no-netrc-files",
            "password-max-age",
            "account-root-only-uid-0",
            "user-no-duplicate-uids",
        ],
    );
    assert!(
        diagnostics(&report).contains("more than 65536 entries; the rest are not read"),
        "{}",
        diagnostics(&report)
    );
    // Failures seen among the accounts read still count...
    assert_eq!(result(&report, "password-max-age")["outcome"], "fail");
    // ...but no pass is claimed over the accounts not read.
    for id in [
        "user-no-netrc-files",
        "account-root-only-uid-0",
        "user-no-duplicate-uids",
    ] {
        assert_eq!(result(&report, id)["outcome"], "error", "{id}");
    }
    // Evidence is cut to its 20 observations, not 100,000.
    let evidence = &result(&report, "password-max-age")["evidence"][0];
    assert_eq!(evidence["observed"].as_array().unwrap().len(), 20);
    assert!(size < 512 * 1024, "report of {size} bytes");
}

#[test]
fn a_huge_line_is_quoted_cut() {
    let t = root();
    let r = t.path();
    let mut line = vec![0u8; (16 << 20) - 1];
    line.push(b'\n');
    write(r, "/etc/fstab", &line);
    let (report, size) = scan(r, &["mount-tmp-separate"]);
    let diags = report["diagnostics"].as_array().unwrap();
    let d = diags.iter().find(|d| d["file"] == "/etc/fstab").unwrap();
    assert!(
        d["message"].as_str().unwrap().contains("more bytes cut"),
        "{d}"
    );
    assert!(size < 256 * 1024, "report of {size} bytes");
}

#[test]
fn a_million_bad_lines_give_a_hundred_diagnostics_and_a_count() {
    let t = root();
    let r = t.path();
    write(r, "/etc/fstab", "x\n".repeat(1_000_000).as_bytes());
    let (report, size) = scan(r, &["mount-tmp-separate"]);
    let fstab: Vec<_> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"] == "/etc/fstab")
        .collect();
    assert_eq!(fstab.len(), 101, "{fstab:?}");
    assert_eq!(
        fstab.last().unwrap()["message"],
        "999900 more problem(s) in this file not listed"
    );
    assert!(size < 256 * 1024, "report of {size} bytes");
}

#[test]
fn a_long_host_name_is_not_copied_into_the_report() {
    let t = root();
    let r = t.path();
    write(r, "/etc/hostname", &[b'h'; 100_000]);
    let (report, size) = scan(r, &["ssh-root-login-disabled"]);
    assert!(
        report["target"]["hostname"].is_null(),
        "{}",
        report["target"]
    );
    let diags = diagnostics(&report);
    assert!(diags.contains("/etc/hostname"), "{diags}");
    assert!(diags.contains("100000 bytes long"), "{diags}");
    assert!(size < 64 * 1024, "report of {size} bytes");
}

#[test]
fn tags_are_bounded_like_the_readers_bound_them() {
    let t = root();
    let scan = |tags: &[String]| {
        let mut cmd = Command::cargo_bin("posture").unwrap();
        cmd.args([
            "scan",
            "--format",
            "json",
            "--rule",
            "ssh-root-login-disabled",
        ])
        .arg("--root")
        .arg(t.path());
        for tag in tags {
            cmd.args(["--tag", tag]);
        }
        cmd.output().unwrap()
    };
    let long = scan(&["x".repeat(1025)]);
    assert_eq!(long.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&long.stderr).contains("at most 1024 bytes"));
    let many: Vec<String> = (0..65).map(|i| format!("t{i}")).collect();
    let out = scan(&many);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("65 --tag options"));
    // At the limits the report is written, and posture reads it again.
    let mut most: Vec<String> = (0..63).map(|i| format!("t{i}")).collect();
    most.push("y".repeat(1024));
    let out = scan(&most);
    assert!(matches!(out.status.code(), Some(0 | 1 | 3)));
    let saved = t.path().join("report.json");
    fs::write(&saved, &out.stdout).unwrap();
    let again = Command::cargo_bin("posture")
        .unwrap()
        .args(["report", "--format", "json"])
        .arg(&saved)
        .output()
        .unwrap();
    assert!(
        matches!(again.status.code(), Some(0 | 1 | 3)),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let read = report_schema::report_json(&again.stdout);
    assert_eq!(read["target"]["tags"].as_array().unwrap().len(), 64);
}

#[test]
fn rule_ids_are_bounded_like_the_readers_bound_them() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.yaml");
    let id = "a".repeat(257);
    fs::write(
        &policy,
        format!(
            "policy: {{id: p, title: P, version: '1'}}\nrules:\n  - id: {id}\n    title: T\n    severity: low\n    check: {{file: /etc/passwd, exists: true}}\n"
        ),
    )
    .unwrap();
    let out = Command::cargo_bin("posture")
        .unwrap()
        .args(["rules", "check"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("p.yaml:3:"), "{err}");
    assert!(
        err.contains("rule id is 257 bytes long; the limit is 256"),
        "{err}"
    );
}

#[test]
fn problems_in_many_files_are_listed_up_to_the_scan_limit() {
    let t = root();
    let r = t.path();
    for i in 0..3000 {
        write(
            r,
            &format!("/etc/sysctl.d/{i:04}.conf"),
            b"this is not an assignment\n",
        );
    }
    let (report, size) = scan(r, &[]);
    let diags = report["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 2001, "{}", diags.len());
    assert_eq!(diags[0]["file"], "/etc/sysctl.d/0000.conf");
    let last = &diags[2000];
    assert_eq!(last["file"], "*");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .ends_with("more problem(s) not listed: a scan lists at most 2000"),
        "{last}"
    );
    assert!(size < 4 << 20, "report of {size} bytes");
}
