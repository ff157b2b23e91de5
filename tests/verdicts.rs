//! A verdict never claims more than was checked: data that could not be
//! read makes the checks that need it errors, errors keep the gate from
//! passing, and a scan of nothing (no policy, no rule, no system) is a
//! usage error rather than a PASSED.

#[path = "support/report_schema.rs"]
mod report_schema;
#[path = "support/tree.rs"]
mod tree;

use assert_cmd::Command;
use posture::engine::{evaluate_rule, Outcome};
use posture::facts::Facts;
use posture::target::Target;
use predicates::prelude::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tree::tree;

fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

fn cli_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli/policy.yaml")
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// A one-rule policy with `check` (YAML indented by 6).
fn policy(dir: &Path, check: &str) -> PathBuf {
    let path = dir.join("policy.yaml");
    fs::write(
        &path,
        format!(
            "policy: {{id: t, title: T, version: '1'}}\nrules:\n  - id: r\n    title: R\n    severity: medium\n    check:\n{check}"
        ),
    )
    .unwrap();
    path
}

fn evaluate(target: &Target, check: &str) -> posture::engine::RuleResult {
    let text = format!(
        "policy: {{id: t, title: T, version: '1'}}\nrules:\n  - id: r\n    title: R\n    severity: low\n    check:\n{check}"
    );
    let policy = posture::policy::load_str(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    evaluate_rule(&policy.rules[0], &Facts::new(target))
}

#[test]
fn no_policy_or_no_rule_is_a_usage_error() {
    let t = tree(true);
    let empty = tempfile::tempdir().unwrap();
    posture()
        .args(["rules", "check"])
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no policy here"));
    posture()
        .args(["scan", "--root"])
        .arg(t.path())
        .arg("--policy")
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no policy here"))
        .stdout(predicate::str::contains("PASSED").not());
    posture()
        .args(["scan", "--root"])
        .arg(t.path())
        .arg("--policy")
        .arg(cli_policy())
        .args(["--rule", "no-telnet", "--skip-rule", "no-telnet"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rule selected"));
    let no_rules = empty.path().join("none.yaml");
    fs::write(
        &no_rules,
        "policy: {id: t, title: T, version: '1'}\nrules: []\n",
    )
    .unwrap();
    posture()
        .args(["rules", "check"])
        .arg(&no_rules)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no rules in"));
    posture()
        .args(["scan", "--root"])
        .arg(t.path())
        .arg("--policy")
        .arg(&no_rules)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("the policies hold no rules"));

    // A report of nothing is not re-rendered as a pass either.
    let out = posture()
        .args(["scan", "--format", "json", "--root"])
        .arg(t.path())
        .arg("--policy")
        .arg(cli_policy())
        .output()
        .unwrap();
    let mut report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["results"] = serde_json::json!([]);
    let saved = empty.path().join("r.json");
    fs::write(&saved, report.to_string()).unwrap();
    posture()
        .arg("report")
        .arg(&saved)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("holds no results"));
}

#[test]
fn a_pattern_too_large_to_compile_is_a_load_error_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = policy(
        dir.path(),
        "      file_content: /etc/hostname\n      matches: '\\w{1000}\\w{1000}\\w{1000}'\n",
    );
    posture()
        .args(["rules", "check"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "policy.yaml:8:16: regular expression",
        ))
        .stderr(predicate::str::contains("cannot be used"));
}

#[test]
fn a_root_without_an_operating_system_is_refused_before_scanning() {
    let empty = tempfile::tempdir().unwrap();
    for (root, why) in [
        (empty.path(), "it has no /etc"),
        (Path::new("/proc"), "it has no /etc"),
        (Path::new("/dev"), "it has no /etc"),
    ] {
        posture()
            .args(["scan", "--root"])
            .arg(root)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("holds no operating system"))
            .stderr(predicate::str::contains(why));
    }
    fs::create_dir(empty.path().join("etc")).unwrap();
    posture()
        .args(["inventory", "--root"])
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "neither /etc/os-release nor /usr/lib/os-release exists",
        ));
    // os-release under /usr/lib, linked from /etc as Debian does, is a system.
    write(empty.path(), "/usr/lib/os-release", "ID=debian\n");
    std::os::unix::fs::symlink("../usr/lib/os-release", empty.path().join("etc/os-release"))
        .unwrap();
    fs::write(
        empty.path().join("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\n",
    )
    .unwrap();
    posture()
        .args(["scan", "--root"])
        .arg(empty.path())
        .arg("--policy")
        .arg(cli_policy())
        .assert()
        .stderr(predicate::str::contains("operating system").not());
}

#[test]
fn an_unchecked_rule_makes_the_run_incomplete_unless_allowed() {
    let t = tree(true);
    // Everything passes but the package database, which is a directory.
    fs::remove_file(t.path().join("var/lib/dpkg/status")).unwrap();
    fs::create_dir(t.path().join("var/lib/dpkg/status")).unwrap();
    let scan = |extra: &[&str]| {
        let mut cmd = posture();
        cmd.args(["scan", "--root"])
            .arg(t.path())
            .arg("--policy")
            .arg(cli_policy())
            .args(extra);
        cmd
    };
    scan(&[]).assert().code(3).stdout(predicate::str::contains(
        "INCOMPLETE: 1 rule(s) could not be checked",
    ));
    let out = scan(&["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let r = report_schema::report_json(&out.stdout);
    assert_eq!(r["verdict"]["status"], "incomplete");
    assert_eq!(r["verdict"]["reasons"][0], "1 rule(s) could not be checked");
    assert_eq!(r["verdict"]["gate"]["fail_on"], "info");
    assert_eq!(r["results"][2]["outcome"], "error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("posture: INCOMPLETE"));
    // The error is a medium rule: a high threshold does not need it.
    scan(&["--fail-on", "high"]).assert().code(0);
    scan(&["--allow-errors"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "PASSED: 1 rule(s) could not be checked (allowed by --allow-errors)",
        ));
    // `posture report` judges a saved report again, under its own gate.
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("r.json");
    fs::write(&saved, &out.stdout).unwrap();
    for (format, needle) in [
        ("table", "INCOMPLETE"),
        ("markdown", "**INCOMPLETE: 1 rule(s) could not be checked**"),
        ("html", "<strong>INCOMPLETE</strong>"),
        (
            "junit",
            "name=\"verdict\" value=\"INCOMPLETE: 1 rule(s) could not be checked\"",
        ),
        ("sarif", "\"exitCode\": 3"),
    ] {
        posture()
            .arg("report")
            .arg(&saved)
            .args(["--format", format])
            .assert()
            .code(3)
            .stdout(predicate::str::contains(needle));
    }
    posture()
        .arg("report")
        .arg(&saved)
        .args(["--allow-errors", "--quiet"])
        .assert()
        .code(0);
}

#[test]
fn unreadable_accounts_make_home_checks_errors_not_passes() {
    let t = tree(true);
    // /etc/passwd that cannot be read (a directory stands for any read error).
    fs::remove_file(t.path().join("etc/passwd")).unwrap();
    fs::create_dir(t.path().join("etc/passwd")).unwrap();
    let target = Target::root(t.path()).unwrap();
    for check in [
        "      file: ~/.netrc\n      exists: false\n",
        "      file_content: ~/.rhosts\n      exists: false\n",
        "      file: ~/.ssh\n      field: mode\n      mode_at_most: '0700'\n",
    ] {
        let r = evaluate(&target, check);
        assert_eq!(r.outcome, Outcome::Error, "{check}: {:?}", r.reason);
        assert!(r.reason.unwrap().contains("/etc/passwd"));
    }
    // A file's owner name comes from passwd too.
    let r = evaluate(
        &target,
        "      file: /etc/hostname\n      field: owner\n      equals: root\n",
    );
    assert_eq!(r.outcome, Outcome::Error, "{:?}", r.reason);
}

#[test]
fn a_cut_file_never_passes_on_what_was_not_read() {
    let t = tree(true);
    let root = t.path();
    // The key that matters sits after the read limit.
    let mut defs = "# padding\n".repeat(200);
    defs.push_str("PASS_MAX_DAYS 99999\n");
    write(root, "/etc/login.defs", &defs);
    let mut passwd = String::from("root:x:0:0:root:/root:/bin/bash\n");
    passwd.push_str(&"# padding\n".repeat(200));
    passwd.push_str("toor:x:0:0::/root:/bin/sh\n");
    write(root, "/etc/passwd", &passwd);
    let target = Target::root(root).unwrap().with_read_cap(1024);

    // One effective value: whatever the cut part says could win.
    let r = evaluate(
        &target,
        "      config: /etc/login.defs\n      key: PASS_MAX_DAYS\n      if_missing: pass\n      le: 365\n",
    );
    assert_eq!(r.outcome, Outcome::Error, "{:?}", r.evidence);
    assert!(r.reason.unwrap().contains("read limit"));

    // A list: the second UID 0 account is past the cut, so "only root has
    // UID 0" cannot pass...
    let only_root =
        "      user: '*'\n      where: {uid: {equals: 0}}\n      field: name\n      equals: root\n";
    let r = evaluate(&target, only_root);
    assert_eq!(r.outcome, Outcome::Error, "{:?}", r.evidence);
    // ...but an offending item seen before the cut settles a failure.
    write(
        root,
        "/etc/passwd",
        &format!("nobody:x:0:0::/:/bin/sh\n{passwd}"),
    );
    let target = Target::root(root).unwrap().with_read_cap(1024);
    assert_eq!(evaluate(&target, only_root).outcome, Outcome::Fail);

    // An sshd include cut at the limit: the option may be set in the part
    // not read, and the first value wins, so no value can be trusted.
    write(
        root,
        "/etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n",
    );
    let mut dropin = "# padding\n".repeat(200);
    dropin.push_str("PermitRootLogin yes\n");
    write(root, "/etc/ssh/sshd_config.d/50-cloud.conf", &dropin);
    let r = evaluate(&target, "      sshd: PermitRootLogin\n      equals: 'no'\n");
    assert_eq!(r.outcome, Outcome::Error, "{:?}", r.evidence);
    assert!(r.reason.unwrap().contains("50-cloud.conf"));

    // The package database cut at the limit: a package listed after the
    // cut cannot be said to be absent...
    let mut status = String::new();
    for i in 0..40 {
        status.push_str(&format!(
            "Package: pkg{i}\nStatus: install ok installed\nVersion: 1.0\n\n"
        ));
    }
    status.push_str("Package: telnetd\nStatus: install ok installed\nVersion: 0.17\n");
    write(root, "/var/lib/dpkg/status", &status);
    let absent = "      package: telnetd\n      exists: false\n";
    assert_eq!(evaluate(&target, absent).outcome, Outcome::Error);
    // ...but one listed before it is surely there.
    let present = "      package: pkg1\n      exists: false\n";
    assert_eq!(evaluate(&target, present).outcome, Outcome::Fail);

    // Lines: a match seen settles `exists: true`; none seen settles nothing.
    let mut hosts = "127.0.0.1 localhost\n".to_string();
    hosts.push_str(&"# padding\n".repeat(200));
    write(root, "/etc/hosts", &hosts);
    let lines = |re: &str, exists: bool| {
        format!("      file_content: /etc/hosts\n      line: '{re}'\n      exists: {exists}\n")
    };
    assert_eq!(
        evaluate(&target, &lines("localhost", true)).outcome,
        Outcome::Pass
    );
    assert_eq!(
        evaluate(&target, &lines("evil", false)).outcome,
        Outcome::Error
    );
    assert_eq!(
        evaluate(&target, &lines("localhost", false)).outcome,
        Outcome::Fail
    );
}

#[test]
fn an_unprivileged_scan_errors_where_it_cannot_read() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: needs root to run the scan as another user");
        return;
    }
    let Ok(setpriv) = which("setpriv") else {
        eprintln!("skipped: setpriv (util-linux) is not installed");
        return;
    };
    let t = tree(true);
    let root = t.path();
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).unwrap();
    write(
        root,
        "/etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
    );
    fs::set_permissions(root.join("etc/passwd"), fs::Permissions::from_mode(0o600)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let path = policy(dir.path(), "      file: ~/.netrc\n      exists: false\n");
    let bin = assert_cmd::cargo::cargo_bin("posture");
    let out = std::process::Command::new(setpriv)
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(bin)
        .args(["scan", "--format", "json", "--root"])
        .arg(root)
        .arg("--policy")
        .arg(&path)
        .output()
        .unwrap();
    let r = report_schema::report_json(&out.stdout);
    assert_eq!(r["results"][0]["outcome"], "error", "{r}");
    assert!(r["results"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("/etc/passwd: permission denied"));
    assert_eq!(out.status.code(), Some(3));

    // The one filesystem walk cannot list a directory only root may read:
    // "no world-writable file" cannot pass, but one seen elsewhere fails.
    fs::create_dir(root.join("locked")).unwrap();
    fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o700)).unwrap();
    let walk = policy(
        dir.path(),
        "      walk: world_writable\n      exists: false\n",
    );
    let scan_walk = || {
        std::process::Command::new(which("setpriv").unwrap())
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(assert_cmd::cargo::cargo_bin("posture"))
            .args(["scan", "--format", "json", "--root"])
            .arg(root)
            .arg("--policy")
            .arg(&walk)
            .output()
            .unwrap()
    };
    let r = report_schema::report_json(&scan_walk().stdout);
    assert_eq!(r["results"][0]["outcome"], "error", "{r}");
    assert!(r["results"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("1 directory could not be read"));
    write(root, "/tmp/open", "x");
    fs::set_permissions(root.join("tmp/open"), fs::Permissions::from_mode(0o666)).unwrap();
    let r = report_schema::report_json(&scan_walk().stdout);
    assert_eq!(r["results"][0]["outcome"], "fail", "{r}");

    // A root it cannot even list is refused before scanning.
    fs::set_permissions(root, fs::Permissions::from_mode(0o700)).unwrap();
    let out = std::process::Command::new(which("setpriv").unwrap())
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(assert_cmd::cargo::cargo_bin("posture"))
        .args(["scan", "--root"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("permission denied"));
}

fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}
