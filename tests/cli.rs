//! The command line: each command, its output and its exit codes.

#[path = "support/report_schema.rs"]
mod report_schema;
#[path = "support/tree.rs"]
mod tree;

use tree::tree;

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cli")
        .join(name)
}

fn scan(root: &Path) -> Command {
    let mut cmd = posture();
    cmd.arg("scan")
        .arg("--root")
        .arg(root)
        .arg("--policy")
        .arg(fixture("policy.yaml"));
    cmd
}

fn json_report(root: &Path, extra: &[&str]) -> serde_json::Value {
    let out = scan(root)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    report_schema::report_json(&out.stdout)
}

#[test]
fn help_documents_exit_codes() {
    posture()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("FAILED: a rule failed"))
        .stdout(predicate::str::contains("3  INCOMPLETE: nothing failed"));
    posture()
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--root"))
        .stdout(predicate::str::contains("--fail-on"))
        .stdout(predicate::str::contains("--waivers"));
    posture()
        .args(["diff", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "a rule that did not fail before fails now",
        ));
}

#[test]
fn clean_tree_exits_zero_with_summary() {
    let t = tree(true);
    scan(t.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("score 100.0/100"))
        .stdout(predicate::str::contains("failed, worst first").not());
}

#[test]
fn failed_rule_exits_one_and_shows_evidence_and_remediation() {
    let t = tree(false);
    // The summary names the rule and what was found, one line...
    scan(t.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("ssh-no-root"))
        .stdout(predicate::str::contains("found \"yes\", expected"));
    // ...--verbose and `explain` where it was found and how to fix it.
    for args in [&["--verbose"][..], &[]] {
        let mut cmd = if args.is_empty() {
            let mut c = posture();
            c.args(["explain", "ssh-no-root", "--root"])
                .arg(t.path())
                .arg("--policy")
                .arg(fixture("policy.yaml"));
            c
        } else {
            let mut c = scan(t.path());
            c.args(args);
            c
        };
        cmd.assert()
            .code(1)
            .stdout(predicate::str::contains("/etc/ssh/sshd_config:2"))
            .stdout(predicate::str::contains(
                "\nRemediation:\nSet PermitRootLogin no.",
            ));
    }
}

#[test]
fn json_report_has_schema_outcomes_and_evidence() {
    let t = tree(false);
    let r = json_report(t.path(), &[]);
    assert_eq!(r["schema_version"], posture::report::SCHEMA_VERSION);
    assert_eq!(r["target"]["kind"], "root");
    assert_eq!(r["target"]["hostname"], "box1");
    assert_eq!(r["target"]["os"]["id"], "debian");
    assert_eq!(r["policies"][0]["id"], "cli-test");
    assert!(r["policies"][0]["digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_eq!(r["summary"]["by_outcome"]["fail"], 1);
    assert_eq!(r["summary"]["by_outcome"]["pass"], 2);
    let results = r["results"].as_array().unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["ssh-no-root", "hostname-set", "no-telnet"],
        "policy order"
    );
    let ssh = &results[0];
    assert_eq!(ssh["outcome"], "fail");
    let ev = &ssh["evidence"][0];
    assert_eq!(ev["observed"][0]["value"], "yes");
    assert_eq!(ev["observed"][0]["source"]["file"], "/etc/ssh/sshd_config");
    assert_eq!(ev["observed"][0]["source"]["line"], 2);
    assert_eq!(ev["expected"], "equals \"no\"");
    // 100 × 1 (low) + 3 (medium) passed / (6 + 1 + 3) judged.
    assert_eq!(r["summary"]["score"], 40.0);
}

#[test]
fn reports_are_deterministic_apart_from_ids_and_times() {
    let t = tree(false);
    let strip = |mut r: serde_json::Value| {
        r["scan"] = serde_json::Value::Null;
        for res in r["results"].as_array_mut().unwrap() {
            res["duration_us"] = serde_json::Value::Null;
        }
        r
    };
    assert_eq!(
        strip(json_report(t.path(), &[])),
        strip(json_report(t.path(), &[]))
    );
}

#[test]
fn output_file_is_written_and_summary_printed() {
    let t = tree(false);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("report.json");
    scan(t.path())
        .args(["--format", "json", "--output"])
        .arg(&file)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("score "))
        .stderr(predicate::str::contains("report written to"));
    let r: serde_json::Value = report_schema::report_json(&fs::read(&file).unwrap());
    assert_eq!(r["schema_version"], posture::report::SCHEMA_VERSION);
    // No temporary file is left behind.
    assert_eq!(fs::read_dir(out.path()).unwrap().count(), 1);
}

#[test]
fn selection_by_rule_skip_and_profile() {
    let t = tree(false);
    let r = json_report(t.path(), &["--rule", "no-telnet"]);
    assert_eq!(r["summary"]["total"], 1);
    let r = json_report(t.path(), &["--skip-rule", "ssh-no-root"]);
    assert_eq!(r["summary"]["total"], 2);
    assert_eq!(r["summary"]["by_outcome"]["fail"], 0);
    let r = json_report(t.path(), &["--profile", "small"]);
    assert_eq!(r["summary"]["total"], 1);
    assert_eq!(r["selection"]["profile"], "small");
}

#[test]
fn default_profile_extends_and_all() {
    let t = tree(true);
    let ids = |extra: &[&str]| -> (Vec<String>, serde_json::Value) {
        let out = posture()
            .args(["scan", "--format", "json", "--root"])
            .arg(t.path())
            .arg("--policy")
            .arg(fixture("profiles.yaml"))
            .args(extra)
            .output()
            .unwrap();
        let r: serde_json::Value = report_schema::report_json(&out.stdout);
        let ids = r["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect();
        (ids, r["selection"]["profile"].clone())
    };
    // No --profile: the policy's default.
    let (got, profile) = ids(&[]);
    assert_eq!(got, ["hostname-set"]);
    assert_eq!(profile, "basic");
    // A profile holds the rules of the profiles it extends.
    let (got, _) = ids(&["--profile", "strict"]);
    assert_eq!(got, ["hostname-set", "no-telnet"]);
    let (got, _) = ids(&["--profile", "image"]);
    assert_eq!(got, ["hostname-set"]);
    // `all` is every rule, including rules in no profile.
    let (got, profile) = ids(&["--profile", "all"]);
    assert_eq!(got, ["hostname-set", "no-telnet", "unlisted"]);
    assert_eq!(profile, "all");
    // A rule named on its own runs even outside the default profile.
    let (got, profile) = ids(&["--rule", "no-telnet"]);
    assert_eq!(got, ["no-telnet"]);
    assert_eq!(
        profile,
        serde_json::Value::Null,
        "no profile selected these rules"
    );
    // Listing shows the whole catalogue; the summary counts extended profiles.
    let out = posture()
        .args(["rules", "list", "--summary", "--policy"])
        .arg(fixture("profiles.yaml"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("3 rules\n"), "{text}");
    assert!(
        text.contains(&format!("  {:<20}{:>5}\n", "strict", 2)),
        "{text}"
    );
    assert!(
        text.contains(&format!("  {:<20}{:>5}\n", "basic", 1)),
        "{text}"
    );
}

#[test]
fn builtin_policy_defaults_to_level1_server() {
    let t = tree(true);
    let out = posture()
        .args(["scan", "--format", "json", "--root"])
        .arg(t.path())
        .output()
        .unwrap();
    let r: serde_json::Value = report_schema::report_json(&out.stdout);
    assert_eq!(r["selection"]["profile"], "level1-server");
    for result in r["results"].as_array().unwrap() {
        let profiles = result["profiles"].as_array().unwrap();
        assert!(
            profiles.iter().any(|p| p == "level1-server"),
            "{} is not in level1-server: {profiles:?}",
            result["id"]
        );
    }
}

#[test]
fn bad_selection_is_a_usage_error() {
    let t = tree(true);
    scan(t.path())
        .args(["--rule", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rule id `nope`"));
    scan(t.path())
        .args(["--profile", "huge"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown profile `huge`; known profiles: small",
        ));
    posture()
        .args(["scan", "--format", "yaml"])
        .assert()
        .code(2);
    posture().args(["frobnicate"]).assert().code(2);
}

#[test]
fn missing_root_is_an_input_error() {
    posture()
        .args(["scan", "--root", "/nonexistent/posture-root"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot scan root filesystem /nonexistent/posture-root",
        ));
}

#[test]
fn bad_policy_reports_every_problem_with_position() {
    let t = tree(true);
    let assert = posture()
        .args(["scan", "--root"])
        .arg(t.path())
        .arg("--policy")
        .arg(fixture("bad-policy.yaml"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        err.contains("bad-policy.yaml:9:5: unknown key `chek` in a rule; did you mean `check`?"),
        "{err}"
    );
    assert!(
        err.contains("bad-policy.yaml:12:13: invalid regular expression"),
        "{err}"
    );
    assert!(
        err.contains("bad-policy.yaml:14:5: duplicate rule id `one`"),
        "{err}"
    );
    assert!(
        err.contains("bad-policy.yaml:16:15: unknown severity `severe`"),
        "{err}"
    );
    assert!(
        err.contains("bad-policy.yaml:19:11: `lt` takes a number"),
        "{err}"
    );
}

#[test]
fn rules_check_validates_and_exits_two_on_problems() {
    posture()
        .args(["rules", "check"])
        .arg(fixture("policy.yaml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok: 1 policies, 3 rules"));
    posture()
        .args(["rules", "check"])
        .arg(fixture("bad-policy.yaml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("5 problem(s) found"));
    posture()
        .args(["rules", "check", "/nonexistent.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "/nonexistent.yaml: cannot read policy file",
        ));
}

#[test]
fn rules_list_and_show() {
    posture()
        .args(["rules", "list", "--policy"])
        .arg(fixture("policy.yaml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("hostname-set"))
        .stdout(predicate::str::contains("3 rules"));
    posture()
        .args(["rules", "show", "ssh-no-root", "--policy"])
        .arg(fixture("policy.yaml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("Root cannot log in over SSH"))
        .stdout(predicate::str::contains("Remediation:"))
        .stdout(predicate::str::contains("policy.yaml:8"));
    posture()
        .args(["rules", "show", "nope", "--policy"])
        .arg(fixture("policy.yaml"))
        .assert()
        .code(2);
}

#[test]
fn rules_list_summary_counts_severity_profiles_and_references() {
    let out = posture()
        .args(["rules", "list", "--summary", "--policy"])
        .arg(fixture("policy.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("3 rules\n"), "{text}");
    let row = |name: &str, n: usize| format!("  {name:<20}{n:>5}\n");
    assert!(text.contains(&row("high", 1)), "{text}");
    assert!(text.contains(&row("medium", 1)), "{text}");
    assert!(text.contains(&row("small", 1)), "{text}");
    assert!(text.contains("with applies_if: 0 (0%)"), "{text}");
}

#[test]
fn builtin_policy_lists_and_combines() {
    posture()
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("ssh-root-login-disabled"));
    // The built-in policy plus another: both sets of rules.
    posture()
        .args(["rules", "list", "--policy", "builtin", "--policy"])
        .arg(fixture("policy.yaml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("ssh-root-login-disabled"))
        .stdout(predicate::str::contains("ssh-no-root"));
}

#[test]
fn inventory_of_a_root() {
    let t = tree(true);
    let out = posture()
        .args(["inventory", "--root"])
        .arg(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["os"]["id"], "debian");
    assert_eq!(inv["system"]["hostname"], "box1");
    assert_eq!(inv["target"]["kind"], "root");
    assert_eq!(inv["users"][0]["name"], "root");
    assert_eq!(inv["packages"]["packages"][0]["name"], "base-files");
    assert_eq!(inv["sshd"]["global"]["permitrootlogin"]["value"], "no");
    assert!(inv["processes"]["unavailable"]
        .as_str()
        .unwrap()
        .contains("live host"));
    assert!(inv["hardware"]["unavailable"].is_string());
}

#[test]
fn inventory_of_this_host() {
    let out = posture().arg("inventory").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let inv: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inv["target"]["kind"], "live");
    assert!(inv["hardware"]["cpu"]["logical_cores"].as_u64().unwrap() >= 1);
    assert!(inv["hardware"]["memory"]["total_bytes"].as_u64().unwrap() > 0);
    assert!(inv["system"]["kernel_release"].is_string());
    assert!(inv["processes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["pid"] == 1));
}

#[test]
fn scan_of_this_host_runs() {
    // Whatever this host's state, the built-in policy runs to a report.
    let out = posture()
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = report_schema::report_json(&out.stdout);
    assert_eq!(r["target"]["kind"], "live");
    assert!(r["summary"]["total"].as_u64().unwrap() >= 2);
}
