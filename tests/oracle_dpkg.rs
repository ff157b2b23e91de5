//! posture's dpkg status parser against dpkg-query on generated status
//! files: which packages, in which state, architecture and version, and
//! whether a file dpkg refuses gets a diagnostic (and one it accepts none).

#[path = "support/oracle.rs"]
mod oracle;

use posture::facts::dpkg;
use posture::facts::packages::{parse_dpkg_status, Packages};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

const NAMES: [&str; 10] = [
    "telnetd",
    "nis",
    "libz1",
    "g++-12",
    "Foo.bar",
    "x",
    "rsh-server",
    "talk",
    "a0",
    "b.c",
];
const ARCHES: [&str; 4] = ["amd64", "i386", "all", ""];

#[derive(Debug, Clone)]
struct Stanza {
    fields: Vec<(String, String)>,
}

fn version() -> impl Strategy<Value = String> {
    let epoch = prop_oneof![
        4 => Just(String::new()),
        1 => Just("0:".to_string()),
        1 => Just("00:".to_string()),
        1 => Just("1:".to_string()),
        1 => Just("012:".to_string()),
    ];
    let upstream = prop_oneof![
        Just("1.0"),
        Just("2.30~rc1"),
        Just("9.2p1"),
        Just("0.17+2.4"),
        Just("1.0-1"),
        Just("3.0.15"),
        Just("1:2"),
    ];
    let revision = prop_oneof![
        Just(""),
        Just("-1"),
        Just("-2+deb12u2"),
        Just("-1~bpo11+1"),
        Just("-0"),
    ];
    (epoch, upstream, revision).prop_map(|(e, u, r)| format!("{e}{u}{r}"))
}

fn stanza() -> impl Strategy<Value = Stanza> {
    let status = (
        prop::sample::select(vec!["install", "hold", "deinstall", "purge", "unknown"]),
        prop::sample::select(vec!["ok", "ok", "ok", "reinstreq"]),
        prop::sample::select(dpkg::STATES.to_vec()),
    );
    (
        prop::sample::select(NAMES.to_vec()),
        prop::sample::select(ARCHES.to_vec()),
        prop::option::weighted(
            0.3,
            prop::sample::select(vec!["same", "foreign", "allowed"]),
        ),
        prop::option::weighted(0.97, status),
        prop::option::weighted(0.9, version()),
        any::<[bool; 8]>(),
        any::<u64>(),
    )
        .prop_map(|(name, arch, multiarch, status, version, flags, shuffle)| {
            let mut fields: Vec<(String, String)> = vec![("Package".into(), name.into())];
            if let Some((want, flag, state)) = status {
                fields.push(("Status".into(), format!("{want} {flag} {state}")));
                // Usually consistent, sometimes not (dpkg refuses those).
                let consistent = flags[0] || flags[1] || flags[6];
                let (pending, awaited) = match state {
                    "triggers-pending" => (consistent, !consistent && flags[7]),
                    "triggers-awaited" => (flags[7], consistent),
                    "half-installed" | "unpacked" | "half-configured" => {
                        (!consistent && flags[7], !consistent && !flags[7])
                    }
                    _ => (!consistent && flags[7], !consistent && !flags[7]),
                };
                if pending {
                    fields.push(("Triggers-Pending".into(), "/usr/share/man".into()));
                }
                if awaited {
                    fields.push(("Triggers-Awaited".into(), "man-db".into()));
                }
            }
            if !arch.is_empty() {
                fields.push(("Architecture".into(), arch.into()));
            }
            if let Some(m) = multiarch {
                fields.push(("Multi-Arch".into(), m.into()));
            }
            if let Some(v) = version {
                fields.push(("Version".into(), v));
            }
            if flags[2] {
                fields.push(("Essential".into(), "yes".into()));
            }
            fields.push(("Maintainer".into(), "Someone <a@b.c>".into()));
            if flags[3] {
                fields.push((
                    "Depends".into(),
                    "libc6 (>= 2.36),\n libssl3 (>= 3.0.0)".into(),
                ));
            }
            fields.push((
                "Description".into(),
                "a package\n Longer text.\n .\n More.".into(),
            ));
            if flags[4] {
                // Odd field order: a deterministic shuffle.
                let mut s = shuffle;
                for i in (1..fields.len()).rev() {
                    let j = (s % (i as u64 + 1)) as usize;
                    fields.swap(i, j);
                    s /= i as u64 + 1;
                }
            }
            if flags[5] {
                for (k, _) in fields.iter_mut() {
                    *k = if shuffle % 2 == 0 {
                        k.to_ascii_lowercase()
                    } else {
                        k.to_ascii_uppercase()
                    };
                }
            }
            Stanza { fields }
        })
}

/// A status file, with now and then something dpkg refuses or tolerates.
fn status_file() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(stanza(), 0..7),
        prop::collection::vec(0u8..60, 7),
    )
        .prop_map(|(stanzas, quirks)| {
            let mut out = String::new();
            for (i, s) in stanzas.iter().enumerate() {
                let q = quirks[i];
                for (j, (k, v)) in s.fields.iter().enumerate() {
                    let sep = match q {
                        1 => ":",
                        2 => " :\t",
                        _ => ": ",
                    };
                    out.push_str(&format!("{k}{sep}{v}"));
                    if q == 3 && j == 0 {
                        out.push_str("  \t");
                    }
                    out.push('\n');
                    match (q, j) {
                        (4, 1) => out.push_str("# a comment\n"),
                        (5, 1) => out.push_str(" \n"),
                        (6, 0) => out.push_str("X: 1\n"),
                        (7, 0) => out.push_str("Status: install ok installed\n"),
                        (8, 1) => out.push_str("Bad line\n"),
                        _ => {}
                    }
                }
                out.push('\n');
                if q == 9 {
                    out.push('\n');
                }
            }
            if quirks[6] == 10 && out.ends_with("\n\n") {
                out.truncate(out.len() - 2);
            }
            out
        })
}

type Row = (String, String, String, String);

fn dpkg_query(admindir: &Path, args: &[&str]) -> (bool, Vec<Row>, String) {
    let out = Command::new("dpkg-query")
        .arg(format!("--admindir={}", admindir.display()))
        .args([
            "-W",
            "-f",
            "${Package}\\t${Architecture}\\t${db:Status-Status}\\t${Version}\\n",
        ])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].into(), f[1].into(), f[2].into(), f[3].into())
        })
        .collect();
    // Exit 1 is "no packages found matching" for some names; a database
    // dpkg refuses is an "error:" on stderr and exit 2.
    let refused = stderr.contains("error:");
    (!refused, rows, stderr)
}

#[test]
fn dpkg_status_agrees_with_dpkg_query() {
    if oracle::tool("dpkg-query").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let admin = dir.path();
    fs::create_dir_all(admin.join("info")).unwrap();
    fs::create_dir_all(admin.join("updates")).unwrap();
    fs::write(admin.join("available"), "").unwrap();
    let mut tally = oracle::Tally::default();
    for text in oracle::generate(status_file(), oracle::cases(1000), 1) {
        tally.cases += 1;
        fs::write(admin.join("status"), &text).unwrap();
        let (accepted, rows, stderr) = dpkg_query(admin, &[]);
        let (entries, diags) = dpkg::parse_status(&text, "status");
        let show = || format!("{text:?}\n    dpkg: {stderr}\n    posture: {diags:?}");
        if !accepted {
            tally.saw("files dpkg refuses");
            if diags.is_empty() {
                tally.disagree("dpkg refuses, posture has no diagnostic", show);
            }
            continue;
        }
        if !diags.is_empty() {
            tally.disagree("dpkg accepts, posture has a diagnostic", show);
        }
        tally.saw("files dpkg accepts");
        for row in &rows {
            tally.saw(&format!("state {}", row.2));
        }
        let want: BTreeSet<Row> = rows.into_iter().collect();
        let got: BTreeSet<Row> = entries
            .iter()
            .filter(|e| e.state != "not-installed")
            .map(|e| {
                (
                    e.name.clone(),
                    e.arch.clone(),
                    e.state.to_string(),
                    e.version.clone(),
                )
            })
            .collect();
        if want != got {
            tally.disagree("package list", || {
                format!("{text:?}\n    dpkg: {want:?}\n    posture: {got:?}")
            });
        }
        // `--show NAME` for every name, absent ones too, against what a
        // `package:` rule sees.
        // dpkg stores names in lower case and matches patterns as given.
        let lower: Vec<String> = NAMES.iter().map(|n| n.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        let (_, rows, _) = dpkg_query(admin, &lower);
        let (present, _) = parse_dpkg_status(&text, "status");
        let mut packages = present;
        packages.sort_by(|a, b| (&a.name, &a.arch).cmp(&(&b.name, &b.arch)));
        let packages = Packages {
            managers: vec!["dpkg".into()],
            unread: Vec::new(),
            packages,
        };
        for name in lower {
            let dpkg_present = rows.iter().any(|r| r.0 == name && dpkg::has_files(&r.2));
            if dpkg_present != packages.get(name).is_some() {
                tally.disagree("package present", || {
                    format!("{name} in {text:?}: dpkg {dpkg_present}")
                });
            }
        }
    }
    tally.finish("dpkg-query");
}
