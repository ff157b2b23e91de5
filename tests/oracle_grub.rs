//! Differential test of the shell evaluator behind the `kernel_cmdline`
//! fact against real shells: generated /etc/default/grub and
//! /etc/default/grub.d/*.cfg sets (quotes, escapes, comments, `export`,
//! several assignments on a line, `$VAR` / `${VAR}` expansions and
//! `$GRUB_CMDLINE_LINUX` appends, plus constructs the evaluator must refuse)
//! are sourced exactly as grub-mkconfig sources them, by dash (Debian's
//! /bin/sh) and by bash in POSIX mode (RHEL's), and both variables are
//! printed. Where the evaluator claims a value, it must equal what both
//! shells print; where a case holds a construct the evaluator does not
//! follow (a command, a conditional, another `${...}` form), the evaluator
//! must say the value is unknown.
//!
//! Skipped when dash or bash is absent, unless POSTURE_REQUIRE_ORACLES=1.

use posture::facts::shell::{Shell, Var};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const CASES: u32 = 1000;

/// The names the generated files assign and read. The evaluator is told
/// they start unset, as they do in the oracle's empty environment.
const NAMES: &[&str] = &["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT", "A", "B"];

/// A piece of generated shell text and whether the evaluator must refuse it.
#[derive(Debug, Clone)]
struct Piece {
    text: String,
    refused: bool,
}

fn piece(text: impl Into<String>) -> Piece {
    Piece {
        text: text.into(),
        refused: false,
    }
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(NAMES).prop_map(str::to_string)
}

/// Characters as they may appear in a kernel command line and around it.
fn plain_char() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        'a', 'b', 'z', '0', '1', '_', '-', '.', ',', ':', '/', '=', '+', '@', '%', '#', '*', '?',
        '[', ']', '{', '}', '~', '^', '!',
    ])
}

fn plain() -> impl Strategy<Value = String> {
    prop::collection::vec(plain_char(), 1..6).prop_map(|c| c.into_iter().collect())
}

/// Text inside single quotes: anything but a single quote.
fn single_quoted() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a", " ", "pti=on", "\"", "$A", "\\", "`x`", "#", ";", "&", "|", "<", "(", "\n",
            "${B}", "~", "\t",
        ]),
        0..5,
    )
    .prop_map(|p| format!("'{}'", p.concat()))
}

/// Text inside double quotes, with escapes and expansions.
fn double_quoted() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        3 => plain(),
        1 => Just(" ".to_string()),
        1 => Just("\\\"".to_string()),
        1 => Just("\\\\".to_string()),
        1 => Just("\\$".to_string()),
        1 => Just("\\`".to_string()),
        1 => Just("\\a".to_string()),
        1 => Just("\\\n".to_string()),
        1 => Just("'".to_string()),
        1 => Just("\n".to_string()),
        1 => Just("$".to_string()),
        2 => name().prop_map(|n| format!("${n}")),
        2 => name().prop_map(|n| format!("${{{n}}}")),
        1 => name().prop_map(|n| format!("${n}x")),
    ];
    prop::collection::vec(part, 0..6).prop_map(|p| format!("\"{}\"", p.concat()))
}

/// One segment of a word outside quotes.
fn segment() -> impl Strategy<Value = Piece> {
    prop_oneof![
        4 => plain().prop_map(|p| piece(p.trim_start_matches(['#', '~']).to_string() + "x")),
        3 => single_quoted().prop_map(piece),
        4 => double_quoted().prop_map(piece),
        1 => prop::sample::select(vec!["\\ ", "\\\"", "\\'", "\\$", "\\\\", "\\a", "\\#", "\\;"]).prop_map(piece),
        2 => name().prop_map(|n| piece(format!("${n}"))),
        1 => name().prop_map(|n| piece(format!("${{{n}}}"))),
        // values the evaluator cannot know, which are no reason to refuse
        // the whole file
        1 => prop::sample::select(vec!["$(echo x)", "`echo y`", "~", "$1", "$(echo ')')"]).prop_map(piece),
    ]
}

fn word() -> impl Strategy<Value = Piece> {
    prop::collection::vec(segment(), 0..4).prop_map(|segs| Piece {
        text: segs.iter().map(|s| s.text.as_str()).collect(),
        refused: segs.iter().any(|s| s.refused),
    })
}

fn assignment() -> impl Strategy<Value = Piece> {
    (name(), word()).prop_map(|(n, w)| Piece {
        text: format!("{n}={}", w.text),
        refused: w.refused,
    })
}

/// One line (or a few, with a continuation) of a file.
fn statement() -> impl Strategy<Value = Piece> {
    let assignments = (
        prop::bool::weighted(0.2),
        prop::collection::vec(assignment(), 1..4),
        prop::sample::select(vec![" ", " \\\n  ", "; ", "\t"]),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(export, assigns, sep, comment)| {
            let mut text = if export {
                "export ".to_string()
            } else {
                String::new()
            };
            text.push_str(
                &assigns
                    .iter()
                    .map(|a| a.text.as_str())
                    .collect::<Vec<_>>()
                    .join(sep),
            );
            if comment {
                text.push_str(" # GRUB_CMDLINE_LINUX=\"audit=0\"");
            }
            Piece {
                text,
                refused: assigns.iter().any(|a| a.refused),
            }
        });
    let append = (
        prop::sample::select(vec!["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"]),
        plain(),
    )
        .prop_map(|(n, p)| piece(format!("{n}=\"${n} {p}\"")));
    let refused = prop::sample::select(vec![
        "if true; then GRUB_CMDLINE_LINUX=x; fi",
        "echo hello >/dev/null",
        "A=${B:-dflt}",
        "B=1 true",
        "f() { A=1; }",
        "[ -e /nonexistent ] || A=2",
    ])
    .prop_map(|t| Piece {
        text: t.to_string(),
        refused: true,
    });
    prop_oneof![
        16 => assignments,
        8 => append,
        2 => Just(piece("# a comment with \"quotes\" and $VARS")),
        2 => Just(piece("")),
        2 => name().prop_map(|n| piece(format!("unset {n}"))),
        2 => name().prop_map(|n| piece(format!("export {n}"))),
        1 => refused,
    ]
}

fn file() -> impl Strategy<Value = Piece> {
    prop::collection::vec(statement(), 0..6).prop_map(|stmts| Piece {
        text: stmts.iter().map(|s| format!("{}\n", s.text)).collect(),
        refused: stmts.iter().any(|s| s.refused),
    })
}

/// /etc/default/grub (maybe absent) and up to three drop-ins.
fn config() -> impl Strategy<Value = (Option<Piece>, Vec<Piece>)> {
    (
        prop::option::weighted(0.8, file()),
        prop::collection::vec(file(), 0..4),
    )
}

/// How grub-mkconfig sources the files (/usr/sbin/grub-mkconfig), then the
/// two variables, NUL-terminated.
const DRIVER: &str = r#"set -e
sysconfdir="$1"
if test -f ${sysconfdir}/default/grub ; then
  . ${sysconfdir}/default/grub
fi
for x in ${sysconfdir}/default/grub.d/*.cfg ; do
  if [ -e "${x}" ]; then
    . "${x}"
  fi
done
printf '%s\0%s\0' "$GRUB_CMDLINE_LINUX" "$GRUB_CMDLINE_LINUX_DEFAULT"
"#;

fn run_shell(shell: &[&str], etc: &Path) -> Option<(String, String)> {
    let out = Command::new(shell[0])
        .args(&shell[1..])
        .arg("-c")
        .arg(DRIVER)
        .arg("driver")
        .arg(etc)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut parts = text.split('\0');
    Some((parts.next()?.to_string(), parts.next()?.to_string()))
}

fn available(program: &str) -> bool {
    Command::new(program)
        .args(["-c", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

#[derive(Default)]
struct Tally {
    cases: u32,
    compared: u32,
    unknown: u32,
    refused: u32,
    shells_differ: u32,
    shell_failed: u32,
    disagreements: BTreeMap<&'static str, u32>,
}

#[test]
fn grub_defaults_evaluate_as_dash_and_bash_source_them() {
    let shells: Vec<Vec<&str>> = vec![vec!["dash"], vec!["bash", "--posix"]];
    if !shells.iter().all(|s| available(s[0])) {
        assert!(
            std::env::var("POSTURE_REQUIRE_ORACLES").as_deref() != Ok("1"),
            "dash and bash are required (POSTURE_REQUIRE_ORACLES=1)"
        );
        eprintln!("skipped: dash or bash is not installed");
        return;
    }
    let tally = RefCell::new(Tally::default());
    // ORACLE_GRUB_CASES=N runs more cases, to hunt for disagreements.
    let cases = std::env::var("ORACLE_GRUB_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CASES);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&config(), |(main, dropins)| {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        std::fs::create_dir_all(etc.join("default/grub.d")).unwrap();
        let mut files: Vec<(String, String)> = Vec::new();
        if let Some(m) = &main {
            files.push(("/etc/default/grub".into(), m.text.clone()));
        }
        for (i, d) in dropins.iter().enumerate() {
            files.push((
                format!("/etc/default/grub.d/{:02}-gen.cfg", i * 10),
                d.text.clone(),
            ));
        }
        for (path, text) in &files {
            std::fs::write(dir.path().join(path.trim_start_matches('/')), text).unwrap();
        }
        let refused = main.iter().chain(&dropins).any(|p| p.refused);

        let mut sh = Shell::new(NAMES);
        for (i, (path, text)) in files.iter().enumerate() {
            sh.source(i as u16, path, text);
        }
        let ours = [
            sh.get("GRUB_CMDLINE_LINUX"),
            sh.get("GRUB_CMDLINE_LINUX_DEFAULT"),
        ];
        let mut t = tally.borrow_mut();
        t.cases += 1;

        if refused {
            t.refused += 1;
            if sh.lost().is_none() {
                *t.disagreements
                    .entry("a refused construct was evaluated")
                    .or_default() += 1;
                return Err(TestCaseError::fail(format!(
                    "the evaluator followed a construct it must refuse:\n{files:#?}"
                )));
            }
            return Ok(());
        }
        let oracle: Vec<Option<(String, String)>> =
            shells.iter().map(|s| run_shell(s, &etc)).collect();
        let known: Vec<Option<String>> = ours
            .iter()
            .map(|v| match v {
                Var::Set(t) => Some(t.text()),
                Var::Unset => Some(String::new()),
                Var::Unknown(_) => None,
            })
            .collect();
        if known.iter().any(Option::is_none) {
            t.unknown += 1;
        }
        if oracle.iter().any(Option::is_none) {
            t.shell_failed += 1;
            if known.iter().all(Option::is_some) {
                *t.disagreements
                    .entry("evaluated where a shell failed")
                    .or_default() += 1;
                return Err(TestCaseError::fail(format!(
                    "a shell failed on files the evaluator evaluated:\n{files:#?}"
                )));
            }
            return Ok(());
        }
        if oracle[0] != oracle[1] {
            t.shells_differ += 1;
            if std::env::var_os("ORACLE_GRUB_SHOW_DIFFER").is_some() {
                eprintln!("dash and bash differ: {oracle:?}\n{files:#?}");
            }
        }
        for (shell, got) in shells.iter().zip(&oracle) {
            let (linux, default) = got.clone().unwrap();
            for (what, ours, theirs) in [
                ("GRUB_CMDLINE_LINUX", &known[0], linux),
                ("GRUB_CMDLINE_LINUX_DEFAULT", &known[1], default),
            ] {
                if let Some(ours) = ours {
                    if *ours != theirs {
                        *t.disagreements.entry("value differs").or_default() += 1;
                        return Err(TestCaseError::fail(format!(
                            "{what}: evaluator {ours:?}, {} {theirs:?}\n{files:#?}",
                            shell[0]
                        )));
                    }
                }
            }
        }
        if known.iter().all(Option::is_some) {
            t.compared += 1;
        }
        Ok(())
    });
    let t = tally.into_inner();
    eprintln!(
        "oracle_grub: {} cases: {} evaluated and equal to dash and bash, {} with a value the evaluator cannot know, {} refused as expected, {} where a shell failed, {} where dash and bash differ; disagreements: {:?}",
        t.cases, t.compared, t.unknown, t.refused, t.shell_failed, t.shells_differ, t.disagreements
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}
