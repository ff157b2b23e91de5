//! posture's configured sysctl view against `systemd-analyze cat-config
//! --root=DIR sysctl.d` on generated trees: which files systemd-sysctl
//! reads and in which order (same-name overrides across /etc, /run,
//! /usr/local/lib, /usr/lib and /lib, masks, the `.conf` suffix, links),
//! and for each key the assignment that wins in that order (last one,
//! `-key` cancelling, keys written with `/`).

#[path = "support/oracle.rs"]
mod oracle;

use posture::facts::sysctl;
use posture::target::Target;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

const DIRS: [&str; 5] = [
    "/etc/sysctl.d",
    "/run/sysctl.d",
    "/usr/local/lib/sysctl.d",
    "/usr/lib/sysctl.d",
    "/lib/sysctl.d",
];
const NAMES: [&str; 7] = [
    "10-a.conf",
    "50-b.conf",
    "99-z.conf",
    "a.conf",
    "b.conf.bak",
    ".hidden.conf",
    "99-sysctl.conf",
];
/// (as written, dotted form)
const KEYS: [(&str, &str); 5] = [
    ("net.ipv4.ip_forward", "net.ipv4.ip_forward"),
    ("net/ipv4/ip_forward", "net.ipv4.ip_forward"),
    ("kernel.sysrq", "kernel.sysrq"),
    ("vm/swappiness", "vm.swappiness"),
    ("net.ipv4.conf.all.rp_filter", "net.ipv4.conf.all.rp_filter"),
];

fn line() -> impl Strategy<Value = String> {
    (0u8..10, 0usize..5, 0u8..4).prop_map(|(kind, k, v)| {
        let key = KEYS[k].0;
        match kind {
            0..=3 => format!("{key} = {v}"),
            4 => format!("{key}={v}"),
            5 => format!("-{key} = {v}"),
            6 => format!("-{key}"),
            7 => format!("  {key}\t=  {v}   {v} "),
            8 => "# comment".to_string(),
            _ => "; comment".to_string(),
        }
    })
}

#[derive(Debug, Clone)]
enum Entry {
    File(Vec<String>),
    Mask,
    /// A link to /etc/sysctl.conf, as Debian's 99-sysctl.conf is.
    SysctlConf,
    /// A link to a file of another name in another directory.
    Other(usize, usize),
}

/// Entries (directory, file name, what) and /etc/sysctl.conf's lines.
type Tree = (Vec<(usize, usize, Entry)>, Option<Vec<String>>);

fn tree() -> impl Strategy<Value = Tree> {
    let entry = prop_oneof![
        8 => prop::collection::vec(line(), 0..5).prop_map(Entry::File),
        1 => Just(Entry::Mask),
        1 => Just(Entry::SysctlConf),
        1 => (0usize..5, 0usize..7).prop_map(|(d, n)| Entry::Other(d, n)),
    ];
    (
        prop::collection::vec((0usize..5, 0usize..7, entry), 0..8),
        prop::option::weighted(0.7, prop::collection::vec(line(), 0..4)),
    )
}

fn build(root: &Path, entries: &[(usize, usize, Entry)], conf: &Option<Vec<String>>) -> String {
    let mut log = String::new();
    let host = |p: &str| {
        let h = root.join(p.trim_start_matches('/'));
        fs::create_dir_all(h.parent().unwrap()).unwrap();
        h
    };
    if let Some(lines) = conf {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        fs::write(host("/etc/sysctl.conf"), &text).unwrap();
        log.push_str(&format!("/etc/sysctl.conf: {text:?}\n"));
    }
    for (dir, name, entry) in entries {
        let path = format!("{}/{}", DIRS[*dir], NAMES[*name]);
        let h = host(&path);
        if h.symlink_metadata().is_ok() {
            continue;
        }
        match entry {
            Entry::File(lines) => {
                let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
                fs::write(&h, &text).unwrap();
                log.push_str(&format!("{path}: {text:?}\n"));
            }
            Entry::Mask => {
                symlink("/dev/null", &h).unwrap();
                log.push_str(&format!("{path} -> /dev/null\n"));
            }
            Entry::SysctlConf => {
                let up = "../".repeat(path.matches('/').count() - 1);
                let dest = format!("{up}etc/sysctl.conf");
                symlink(&dest, &h).unwrap();
                log.push_str(&format!("{path} -> {dest}\n"));
            }
            Entry::Other(d, n) => {
                // Relative, so that it resolves inside the root for
                // systemd-analyze too (it opens files through the host).
                if (d, n) == (dir, name) {
                    continue;
                }
                let up = "../".repeat(path.matches('/').count() - 1);
                let dest = format!("{up}{}/{}", DIRS[*d].trim_start_matches('/'), NAMES[*n]);
                symlink(&dest, &h).unwrap();
                log.push_str(&format!("{path} -> {dest}\n"));
            }
        }
    }
    log
}

/// The files cat-config shows, in order, with their lines; `None` when it
/// could not read one.
fn cat_config(root: &Path) -> Option<Vec<(String, Vec<String>)>> {
    let out = Command::new("systemd-analyze")
        .arg(format!("--root={}", root.display()))
        .args(["cat-config", "sysctl.d"])
        .output()
        .unwrap();
    let prefix = root.display().to_string();
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    for l in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(path) = l.strip_prefix("# ").and_then(|p| p.strip_prefix(&prefix)) {
            if path.starts_with('/') {
                files.push((path.to_string(), Vec::new()));
                continue;
            }
        }
        if let Some((_, lines)) = files.last_mut() {
            lines.push(l.to_string());
        }
    }
    out.status.success().then_some(files)
}

#[test]
fn sysctl_files_and_values_agree_with_systemd() {
    if oracle::tool("systemd-analyze").is_none() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let mut tally = oracle::Tally::default();
    for (entries, conf) in oracle::generate(tree(), oracle::cases(800), 5) {
        tally.cases += 1;
        let root = work.path().join("root");
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let log = build(&root, &entries, &conf);
        let target = Target::root(&root).unwrap();
        let collected = sysctl::collect_configured(&target).unwrap();
        let got = collected.value;
        let Some(shown) = cat_config(&root) else {
            tally.saw("trees systemd cannot read whole");
            // A dangling link (nothing to read) or a loop (a gap).
            if collected.diagnostics.is_empty() {
                tally.disagree(
                    "systemd cannot read a file, posture has no diagnostic",
                    || log.clone(),
                );
            }
            continue;
        };

        // A mask shows as a file with nothing in it; posture skips it. A
        // link to sysctl.conf is read as sysctl.conf.
        let host = |p: &str| root.join(p.trim_start_matches('/'));
        let is_mask =
            |p: &str| fs::canonicalize(host(p)).is_ok_and(|l| l == Path::new("/dev/null"));
        let sysctl_conf = fs::canonicalize(host("/etc/sysctl.conf")).ok();
        let mut shown: Vec<(String, Vec<String>)> = shown
            .into_iter()
            .filter(|(p, _)| !is_mask(p))
            .map(|(p, lines)| {
                if sysctl_conf.is_some() && fs::canonicalize(host(&p)).ok() == sysctl_conf {
                    ("/etc/sysctl.conf".to_string(), lines)
                } else {
                    (p, lines)
                }
            })
            .collect();
        // Without a link to it, systemd-sysctl never reads sysctl.conf;
        // procps applies it last, and posture does too (documented).
        if sysctl_conf.is_some() && !shown.iter().any(|(p, _)| p == "/etc/sysctl.conf") {
            let text = fs::read_to_string(host("/etc/sysctl.conf")).unwrap();
            shown.push((
                "/etc/sysctl.conf".to_string(),
                text.lines().map(str::to_string).collect(),
            ));
        }
        let want_files: Vec<&str> = shown.iter().map(|(p, _)| p.as_str()).collect();
        if want_files != got.files {
            tally.disagree("files", || {
                format!(
                    "{log}    systemd: {want_files:?}\n    posture: {:?}",
                    got.files
                )
            });
            continue;
        }
        tally.saw(&format!("files read: {}", want_files.len().min(4)));

        // The winning assignment of each key, in systemd's order.
        let mut want: BTreeMap<String, String> = BTreeMap::new();
        for (_, lines) in &shown {
            for l in lines {
                let l = l.trim();
                if l.is_empty() || l.starts_with(['#', ';']) {
                    continue;
                }
                let (key, value) = match l.split_once('=') {
                    Some((k, v)) => (k.trim(), Some(v)),
                    None => (l, None),
                };
                let key = key.trim_start_matches('-').trim();
                let Some((_, dotted)) = KEYS.iter().find(|(w, _)| *w == key) else {
                    continue;
                };
                match value {
                    Some(v) => {
                        want.insert(
                            dotted.to_string(),
                            v.split_whitespace().collect::<Vec<_>>().join(" "),
                        );
                    }
                    None => {
                        want.remove(*dotted);
                    }
                }
            }
        }
        let have: BTreeMap<String, String> = got
            .settings
            .iter()
            .map(|(k, s)| (k.clone(), s.value.clone()))
            .collect();
        tally.saw(&format!("keys set: {}", want.len().min(3)));
        if want != have {
            tally.disagree("values", || {
                format!("{log}    systemd order: {want:?}\n    posture: {have:?}")
            });
        }
    }
    tally.finish("systemd-analyze cat-config sysctl.d");
}
