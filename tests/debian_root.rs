//! A real Debian root filesystem, made by debootstrap: every file parses
//! cleanly, the built-in policy runs to a report without errors, and the
//! cases of `tests/fixtures/debian-cases/*.yaml` (rules on the pristine
//! tree and on changed copies of it) give the outcomes a reader of the
//! components' documentation expects.
//!
//! The tree is taken from `POSTURE_DEBIAN_ROOT` (default
//! `/var/tmp/posture-debian12`; `.ci/run` creates it). Without it the
//! tests skip, saying so.

mod common;
#[path = "support/report_schema.rs"]
mod report_schema;

use assert_cmd::Command;
use common::{get, parse_spec};
use posture::engine::{evaluate_rule, summarize};
use posture::facts::Facts;
use posture::target::Target;
use posture::yaml::NodeKind;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

fn debian_root() -> Option<PathBuf> {
    let dir = std::env::var_os("POSTURE_DEBIAN_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/posture-debian12"));
    if dir.join("var/lib/dpkg/status").is_file() {
        // The tree itself, not a link to it: cases copy it.
        Some(std::fs::canonicalize(&dir).unwrap_or(dir))
    } else {
        eprintln!(
            "skipped: no debootstrap tree at {} (see .ci/run)",
            dir.display()
        );
        None
    }
}

fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(120));
    cmd
}

#[test]
fn inventory_of_a_debootstrap_tree() {
    let Some(root) = debian_root() else { return };
    let out = posture()
        .args(["inventory", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["os"]["id"], "debian");
    assert_eq!(inv["os"]["family"], "debian");
    assert!(
        inv["system"]["arch"].is_string(),
        "arch from dpkg or the shell's ELF header"
    );
    let packages = inv["packages"]["packages"].as_array().unwrap();
    assert!(packages.len() > 50, "{} packages", packages.len());
    for name in ["dpkg", "base-files", "login", "passwd"] {
        assert!(packages.iter().any(|p| p["name"] == name), "{name} missing");
    }
    let users = inv["users"].as_array().unwrap();
    let root_user = users.iter().find(|u| u["name"] == "root").unwrap();
    assert_eq!(root_user["uid"], 0);
    assert!(root_user["password_state"].is_string(), "shadow joined");
    assert!(inv["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["name"] == "shadow"));
    // Debian's shipped PASS_MAX_DAYS 99999, as useradd reads it.
    assert_eq!(inv["login_defs"]["effective"]["PASS_MAX_DAYS"], 99999);
    assert_eq!(inv["login_defs"]["effective"]["ENCRYPT_METHOD"], "SHA512");
    assert_eq!(
        inv["diagnostics"],
        serde_json::json!([]),
        "a stock Debian tree parses cleanly"
    );
}

#[test]
fn builtin_scan_of_a_debootstrap_tree() {
    let Some(root) = debian_root() else { return };
    // Every rule, not only the default profile's: none may be an error.
    let out = posture()
        .args(["scan", "--profile", "all", "--format", "json", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = report_schema::report_json(&out.stdout);
    let rules = posture::scan::builtin_policies()
        .unwrap()
        .iter()
        .map(|p| p.rules.len())
        .sum::<usize>();
    assert_eq!(r["summary"]["total"], rules);
    let errors: Vec<_> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["outcome"] == "error")
        .map(|x| format!("{}: {}", x["id"], x["reason"]))
        .collect();
    // Errors mean unreadable files; as root everything is readable.
    if rustix::process::geteuid().is_root() {
        assert!(errors.is_empty(), "{errors:#?}");
    }
    assert_eq!(r["target"]["os"]["id"], "debian");
}

/// Each case: a copy of the tree (hard links, so cheap; the case writes new
/// files instead of changing linked ones), the change, then one rule.
#[test]
fn held_out_cases_on_a_debootstrap_tree() {
    let Some(root) = debian_root() else { return };
    let policies = posture::scan::builtin_policies().unwrap();
    let rule = |id: &str| {
        policies
            .iter()
            .flat_map(|p| &p.rules)
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no rule {id}"))
    };
    let dir = common::manifest_dir().join("tests/fixtures/debian-cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in &files {
        let name = path.display().to_string();
        let node = parse_spec(&std::fs::read_to_string(path).unwrap(), &name);
        let NodeKind::Seq(items) = node.kind else {
            panic!("{name}: expected a list of cases")
        };
        for case in items {
            let text = |key: &str| {
                get(&case, key)
                    .and_then(|n| n.as_scalar())
                    .map(|s| s.text.clone())
                    .unwrap_or_else(|| panic!("{name}:{}: `{key}` is required", case.line))
            };
            cases.push((
                format!("{name}:{}", case.line),
                text("rule"),
                text("expect"),
                case,
            ));
        }
    }
    let scratch = tempfile::tempdir().unwrap();
    let problems: Vec<String> = cases
        .par_iter()
        .enumerate()
        .filter_map(|(i, (at, id, expect, case))| {
            let copy = scratch.path().join(i.to_string());
            hard_link_copy(&root, &copy);
            common::apply(&copy, case);
            let target = Target::root(&copy).unwrap();
            let result = evaluate_rule(rule(id), &Facts::new(&target));
            let _ = std::fs::remove_dir_all(&copy);
            (result.outcome.as_str() != expect).then(|| {
                format!(
                    "{at}: {id} gave {} instead of {expect}: {}{}",
                    result.outcome.as_str(),
                    result.reason.unwrap_or_default(),
                    summarize(&result.evidence)
                )
            })
        })
        .collect();
    assert!(
        problems.is_empty(),
        "{} of {} case(s) disagree:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
    eprintln!("{} held-out cases agree", cases.len());
}

/// `to` becomes a new directory tree whose files are hard links to
/// `from`'s: writing a case into it must replace files, never write
/// through them (`common::apply` does so).
fn hard_link_copy(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg("--link")
        .arg("--no-target-directory")
        .arg(from.join("."))
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success(), "cp -al {}", from.display());
    assert!(
        !std::fs::symlink_metadata(to).unwrap().is_symlink(),
        "{} is a link",
        to.display()
    );
}
