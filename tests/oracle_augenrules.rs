//! posture's merging of /etc/audit/rules.d against augenrules itself.
//!
//! augenrules writes /etc/audit/audit.rules, so the test runs a copy of
//! the installed script whose two paths point into a temporary directory
//! (never the real /etc), without `--load`, on generated rules
//! directories: odd file names (version order, blanks, other suffixes,
//! hidden files, directories), control lines, comments, CRLF, files
//! without a final newline. The file it writes must equal posture's merge
//! line for line. It runs with each awk that is installed (mawk, gawk),
//! whose differences posture models. Skipped when augenrules is missing,
//! unless POSTURE_REQUIRE_ORACLES=1; POSTURE_ORACLE_CASES sets the number
//! of directories (default 300), POSTURE_ORACLE_SEED the generator's seed.

#[path = "support/oracle.rs"]
mod oracle;

use oracle::Gen;
use posture::facts::audit::augenrules::{listing, merge, Awk};
use std::path::{Path, PathBuf};
use std::process::Command;

const NAMES: &[&str] = &[
    "10-base-config.rules",
    "11-loginuid.rules",
    "50-scope.rules",
    "9-early.rules",
    "010-zero.rules",
    "100-late.rules",
    "99-finalize.rules",
    "audit.rules",
    "Z.rules",
    "a~.rules",
    "1.2.10.rules",
    "1.2.9.rules",
    "50-x.rules.bak",
    "50-x.rule",
    ".hidden.rules",
    "50 perm mod.rules",
    "perm",
    "mod.rules",
    "50",
    "README",
    "x.RULES",
    "a\tb.rules",
    "b.rules",
    "30-a.tar.rules",
    "30-a.rules",
    "30-A.rules",
    "-1.rules",
    "~x.rules",
];
const LINES: &[&str] = &[
    "-D",
    " -D",
    "-D ",
    "-D -k foo",
    "-Dss",
    "-b 8192",
    "-b 320",
    " -b 1",
    "-f 1",
    "-f 2",
    "\t-f 0",
    "-e 2",
    "-e 1",
    " -e 2",
    "ss-e 0",
    "-e2",
    "--backlog_wait_time 60000",
    "--loginuid-immutable",
    "-w /etc/passwd -p wa -k identity",
    "-a always,exit -F arch=b64 -S chmod -F auid>=1000 -F auid!=unset -k perm_mod",
    "# comment",
    " # comment",
    "\t# comment",
    "s# comment",
    "ss # x",
    "",
    "   ",
    "\t",
    "\r",
    "-w /etc/shadow -p wa\r",
    "-F x",
    "#",
    "-Dx",
    "-fail",
    "-bogus",
    "--b",
];

fn contents(g: &mut Gen) -> String {
    let mut text = String::new();
    for _ in 0..g.below(7) {
        text.push_str(g.pick(LINES));
        text.push('\n');
    }
    if g.below(4) == 0 {
        text.pop();
    }
    text
}

/// Runs augenrules with its two paths moved under `dir` and `awk` first on
/// its PATH; the file it writes.
fn run_augenrules(script: &str, dir: &Path, awk: &Path) -> String {
    let rules_d = dir.join("rules.d");
    let dest = dir.join("audit.rules");
    let copy = script
        .replace(
            "DestinationFile=/etc/audit/audit.rules",
            &format!("DestinationFile={}", dest.display()),
        )
        .replace(
            "SourceRulesDir=/etc/audit/rules.d",
            &format!("SourceRulesDir={}", rules_d.display()),
        );
    assert!(
        copy.contains(&dest.display().to_string()) && copy.contains(&rules_d.display().to_string())
    );
    let path = dir.join("augenrules");
    std::fs::write(&path, copy).unwrap();
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let link = bin.join("awk");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(awk, &link).unwrap();
    let sys_path = std::env::var("PATH").unwrap_or_default();
    let status = Command::new("sh")
        .arg(&path)
        .current_dir(dir)
        .env("PATH", format!("{}:{sys_path}", bin.display()))
        .output()
        .unwrap();
    assert!(status.status.code().is_some(), "augenrules died");
    std::fs::read_to_string(&dest).unwrap_or_default()
}

/// posture's merge of the same directory.
fn posture_merge(rules_d: &Path, awk: Awk) -> String {
    let names: Vec<String> = std::fs::read_dir(rules_d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let l = listing(&names);
    assert!(l.unknown.is_empty());
    let mut files = Vec::new();
    for name in &l.names {
        let p = rules_d.join(name);
        if p.is_file() {
            files.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            ));
        }
    }
    let mut out = String::new();
    for line in merge(&files, awk) {
        out.push_str(&line.text);
        out.push('\n');
    }
    out
}

#[test]
fn augenrules_merges_rules_d_as_posture_does() {
    let Some(augenrules) = oracle::find("augenrules") else {
        return oracle::skip("augenrules is not installed (Debian package auditd)");
    };
    let script = std::fs::read_to_string(&augenrules).unwrap();
    let awks: Vec<(PathBuf, Awk)> = [("mawk", Awk::Mawk), ("gawk", Awk::Gawk)]
        .into_iter()
        .filter_map(|(name, kind)| oracle::find(name).map(|p| (p, kind)))
        .collect();
    if awks.is_empty() {
        return oracle::skip("neither mawk nor gawk is installed");
    }
    let cases: usize = std::env::var("POSTURE_ORACLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let seed = std::env::var("POSTURE_ORACLE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xa0d1_7e5e_ed00_0002);
    let mut g = Gen(seed);
    let mut failures = Vec::new();
    let mut runs = 0;
    for case in 0..cases {
        let dir = tempfile::tempdir().unwrap();
        let rules_d = dir.path().join("rules.d");
        std::fs::create_dir(&rules_d).unwrap();
        let mut layout = Vec::new();
        for _ in 0..g.below(7) {
            let name = g.pick(NAMES);
            if rules_d.join(name).is_dir() {
                continue;
            }
            if g.below(12) == 0 && !rules_d.join(name).exists() {
                std::fs::create_dir_all(rules_d.join(name)).unwrap();
                layout.push(format!("{name}/"));
            } else {
                let text = contents(&mut g);
                std::fs::write(rules_d.join(name), &text).unwrap();
                layout.push(format!("{name}: {text:?}"));
            }
        }
        for (awk, kind) in &awks {
            runs += 1;
            let written = run_augenrules(&script, dir.path(), awk);
            let _ = std::fs::remove_file(dir.path().join("audit.rules"));
            // The first line is augenrules' header comment.
            let want = written
                .split_once('\n')
                .map_or("", |(_, rest)| rest)
                .to_string();
            let got = posture_merge(&rules_d, *kind);
            if want != got {
                failures.push(format!(
                    "case {case} ({kind:?}):\n{}\naugenrules: {want:?}\nposture:    {got:?}",
                    layout.join("\n")
                ));
            }
        }
    }
    println!("{cases} generated rules.d directories, {runs} augenrules runs compared");
    assert!(
        failures.is_empty(),
        "{} merges differ:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
