//! What a technician reads in the terminal: the default summary of a weak
//! Debian 12 host fits one screen at 80 columns, and `posture explain`
//! (like `scan --verbose`) prints remediation exactly as the policy wrote
//! it, so its commands paste as they are.
//!
//! The host is `tests/fixtures/docs/debian-host` (79 failures under the
//! default profile). The width is given with `COLUMNS`, which posture
//! reads when standard output is not a terminal.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The most lines the summary may take at 80 columns (issue 12).
const BUDGET: usize = 60;

fn posture() -> Command {
    let mut cmd = Command::cargo_bin("posture").unwrap();
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd.env_remove("NO_COLOR");
    cmd
}

fn host() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docs/debian-host")
}

/// The fixture's files are checked out by whoever runs the tests, and
/// several rules check that key files belong to root: only as root does the
/// host fail the way the snapshot says.
fn owned_by_root() -> bool {
    let owner =
        std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(host().join("etc/shadow")).unwrap());
    if owner != 0 {
        eprintln!("skipped: the debian-host fixture is not owned by root (check it out as root)");
    }
    owner == 0
}

fn stdout(cmd: &mut Command) -> (Option<i32>, String) {
    let out = cmd.output().unwrap();
    assert!(
        out.stderr.is_empty() || !String::from_utf8_lossy(&out.stderr).contains("error"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// The summary of a saved scan of the host, rendered at `columns`; the
/// report is made stable first (no timing, a fixed root path).
fn summary(dir: &Path, columns: u16) -> String {
    let json = dir.join("r.json");
    if !json.exists() {
        posture()
            .arg("scan")
            .arg("--root")
            .arg(host())
            .args(["--format", "json", "-o"])
            .arg(&json)
            .assert()
            .code(1);
        let mut r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        r["scan"]["duration_ms"] = 0.into();
        r["target"]["root"] = "/srv/debian-host".into();
        std::fs::write(&json, serde_json::to_string(&r).unwrap()).unwrap();
    }
    let (code, text) = stdout(
        posture()
            .arg("report")
            .arg(&json)
            .env("COLUMNS", columns.to_string()),
    );
    assert_eq!(code, Some(1));
    text
}

#[test]
fn default_summary_of_a_weak_debian_host_fits_one_screen() {
    if !owned_by_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let narrow = summary(dir.path(), 80);
    let lines: Vec<&str> = narrow.lines().collect();
    assert!(lines.len() <= BUDGET, "{} lines:\n{narrow}", lines.len());
    for l in &lines {
        assert!(l.chars().count() <= 80, "longer than 80 columns: {l}");
    }
    assert!(lines[0].starts_with("FAILED  score "), "{narrow}");
    assert!(lines.last().unwrap().starts_with("FAILED: "), "{narrow}");
    assert!(narrow.contains(" more (posture scan --verbose, or the HTML report)"));
    insta::assert_snapshot!("debian_host_80_columns", narrow);

    // Wider shows more of each line, never more lines.
    let wide = summary(dir.path(), 120);
    assert_eq!(wide.lines().count(), lines.len(), "{wide}");
    assert!(wide.lines().any(|l| l.chars().count() > 80));

    // The scan itself prints the same layout.
    let (code, scanned) = stdout(
        posture()
            .arg("scan")
            .arg("--root")
            .arg(host())
            .env("COLUMNS", "80"),
    );
    assert_eq!(code, Some(1));
    assert_eq!(scanned.lines().count(), lines.len(), "{scanned}");
}

#[test]
fn explain_tells_one_rule_with_its_check_and_pasteable_remediation() {
    if !owned_by_root() {
        return;
    }
    let (code, text) = stdout(
        posture()
            .args(["explain", "ssh-x11-forwarding-disabled", "--root"])
            .arg(host())
            .env("COLUMNS", "80"),
    );
    assert_eq!(
        code,
        Some(1),
        "the rule fails: exit 1, as a scan of it would"
    );
    insta::assert_snapshot!("explain_ssh_x11_forwarding", text);

    // `rules show` tells the same story without a scan.
    let (code, shown) = stdout(posture().args(["rules", "show", "ssh-x11-forwarding-disabled"]));
    assert_eq!(code, Some(0));
    let from_title = |t: &str| t[t.find("What it checks:").unwrap()..].to_string();
    assert_eq!(from_title(&shown), from_title(&text));
    assert!(shown.contains("\napplies_if:\n  package: openssh-server\n"));
    assert!(!shown.contains("Evidence:"));
}

#[test]
fn remediation_is_printed_byte_for_byte_at_80_columns() {
    let policies = posture::scan::builtin_policies().unwrap();
    let rule = |id: &str| {
        policies
            .iter()
            .flat_map(|p| &p.rules)
            .find(|r| r.id == id)
            .unwrap()
            .clone()
    };
    // Lines longer than 80 columns, indentation and shell pipes: what a
    // bordered, wrapped cell used to break.
    let firewall = rule("firewall-enabled");
    assert!(firewall.remediation.lines().any(|l| l.contains("  (")));
    for r in [firewall, rule("ssh-x11-forwarding-disabled")] {
        let mut expected = format!("\nRemediation:\n{}", r.remediation);
        if !expected.ends_with('\n') {
            expected.push('\n');
        }
        let (_, shown) = stdout(
            posture()
                .args(["rules", "show", &r.id])
                .env("COLUMNS", "80"),
        );
        assert!(shown.ends_with(&expected), "{}:\n{shown}", r.id);
        let (_, explained) = stdout(
            posture()
                .args(["explain", &r.id, "--root"])
                .arg(host())
                .env("COLUMNS", "80"),
        );
        assert!(explained.ends_with(&expected), "{}:\n{explained}", r.id);
    }
    // And in `scan --verbose`, for every failure of the host.
    let (_, verbose) = stdout(
        posture()
            .args(["scan", "--verbose", "--root"])
            .arg(host())
            .env("COLUMNS", "80"),
    );
    let mut told = 0;
    for r in policies.iter().flat_map(|p| &p.rules) {
        if verbose.contains(&format!("\n{} ({}): FAIL\n", r.id, r.severity)) {
            assert!(
                verbose.contains(&format!("\nRemediation:\n{}", r.remediation)),
                "{}",
                r.id
            );
            told += 1;
        }
    }
    assert!(told >= 70, "{told} failures told");
}

#[test]
fn a_terminal_of_no_size_gets_80_columns() {
    // `script` gives the command a terminal; `stty` makes it 0x0, as some
    // serial consoles and containers report.
    let bin = assert_cmd::cargo::cargo_bin("posture");
    let cmd = format!(
        "stty cols 0 rows 0; {} scan --root {}",
        bin.display(),
        host().display()
    );
    let Ok(out) = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
    else {
        eprintln!("skipped: util-linux `script` is not available");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().count() <= BUDGET, "{text}");
    assert!(
        text.lines().all(|l| l.trim_end().chars().count() <= 80),
        "{text}"
    );
}
