//! posture's modprobe.d reading against `modprobe --showconfig` on
//! generated configuration trees: which files count (`.conf`, same-name
//! overrides across the directories, masks), and the blacklist and
//! install commands in effect (dashes and underscores, continuation lines,
//! odd spacing, bad lines). modprobe is given posture's directories, in
//! posture's order, with `-C`; what the kernel command line adds is
//! subtracted.

#[path = "support/oracle.rs"]
mod oracle;

use posture::facts::modules;
use posture::target::Target;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Command;

const DIRS: [&str; 5] = [
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
];
const NAMES: [&str; 7] = [
    "00-a.conf",
    "50-b.conf",
    "a.conf",
    "z.alias",
    "x.txt",
    ".hidden.conf",
    "b.conf",
];
const MODULES: [&str; 6] = [
    "usb-storage",
    "usb_storage",
    "cramfs",
    "udf",
    "sq-fs",
    "dccp",
];
const COMMANDS: [&str; 5] = [
    "/bin/false",
    "/bin/true",
    "/sbin/modprobe --ignore-install udf",
    "true",
    "echo hi; exit 1",
];

fn line() -> impl Strategy<Value = String> {
    (0u8..16, 0usize..6, 0usize..5, 0u8..4).prop_map(|(kind, m, c, sp)| {
        let module = MODULES[m];
        let cmd = COMMANDS[c];
        let sep = [" ", "\t", "  ", " \t "][sp as usize];
        match kind {
            0..=3 => format!("blacklist{sep}{module}"),
            4..=6 => format!("install{sep}{module}{sep}{cmd}"),
            7 => format!("install {module} {cmd} \\\n  --more"),
            8 => format!("options {module} x=1 y=2"),
            9 => format!("alias foo {module}"),
            10 => format!("remove {module} /bin/true"),
            11 => format!("softdep {module} pre: other"),
            12 => "# a comment".to_string(),
            13 => format!("{sep}blacklist {module}{sep}"),
            14 => "blacklist".to_string(),
            _ => format!("bogus {module}"),
        }
    })
}

#[derive(Debug, Clone)]
enum Entry {
    File(Vec<String>, bool),
    Mask,
}

fn tree() -> impl Strategy<Value = Vec<(usize, usize, Entry)>> {
    let entry = prop_oneof![
        8 => (prop::collection::vec(line(), 0..6), any::<bool>())
            .prop_map(|(lines, crlf)| Entry::File(lines, crlf)),
        1 => Just(Entry::Mask),
    ];
    prop::collection::vec((0usize..5, 0usize..7, entry), 0..8)
}

fn build(root: &Path, entries: &[(usize, usize, Entry)]) -> String {
    let mut log = String::new();
    for (dir, name, entry) in entries {
        let path = format!("{}/{}", DIRS[*dir], NAMES[*name]);
        let host = root.join(path.trim_start_matches('/'));
        fs::create_dir_all(host.parent().unwrap()).unwrap();
        if host.symlink_metadata().is_ok() {
            continue;
        }
        match entry {
            Entry::File(lines, crlf) => {
                let eol = if *crlf { "\r\n" } else { "\n" };
                let text: String = lines.iter().map(|l| format!("{l}{eol}")).collect();
                fs::write(&host, &text).unwrap();
                log.push_str(&format!("{path}: {text:?}\n"));
            }
            Entry::Mask => {
                symlink("/dev/null", &host).unwrap();
                log.push_str(&format!("{path} -> /dev/null\n"));
            }
        }
    }
    log
}

/// `--showconfig` with `-C` for each directory: the lines before the index
/// dump.
fn showconfig(root: &Path) -> Option<Vec<String>> {
    let mut cmd = Command::new("modprobe");
    for dir in DIRS {
        cmd.arg("-C").arg(root.join(dir.trim_start_matches('/')));
    }
    let out = cmd.arg("--showconfig").output().ok()?;
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .take_while(|l| !l.starts_with("# End of configuration files"))
            .map(str::to_string)
            .collect(),
    )
}

#[test]
fn modprobe_config_agrees_with_modprobe_showconfig() {
    if oracle::tool("modprobe").is_none() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let empty = work.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    // The kernel command line's modprobe.* settings, in every output.
    let baseline: BTreeSet<String> = showconfig(&empty).unwrap().into_iter().collect();
    let mut tally = oracle::Tally::default();
    for entries in oracle::generate(tree(), oracle::cases(800), 4) {
        tally.cases += 1;
        let root = work.path().join("root");
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        let log = build(&root, &entries);
        let lines: Vec<String> = showconfig(&root)
            .unwrap()
            .into_iter()
            .filter(|l| !baseline.contains(l))
            .collect();
        let mut blacklisted = BTreeSet::new();
        let mut install = BTreeMap::new();
        for l in &lines {
            if let Some(m) = l.strip_prefix("blacklist ") {
                blacklisted.insert(m.to_string());
            } else if let Some(rest) = l.strip_prefix("install ") {
                // kmod keeps the white space after the first separator
                // (`install m  cmd` runs " cmd"); sh -c ignores it, and
                // posture trims it.
                let (m, c) = rest.split_once(' ').unwrap_or((rest, ""));
                install.entry(m.to_string()).or_insert(c.trim().to_string());
            }
        }
        let target = Target::root(&root).unwrap();
        let config = modules::collect_config(&target).unwrap().value;
        let got_blacklisted: BTreeSet<String> = config.blacklisted.keys().cloned().collect();
        let got_install: BTreeMap<String, String> = config
            .install
            .iter()
            .map(|(m, (c, _))| (m.clone(), c.clone()))
            .collect();
        tally.saw(&format!(
            "blacklisted modules: {}",
            blacklisted.len().min(3)
        ));
        tally.saw(&format!("install commands: {}", install.len().min(3)));
        if blacklisted != got_blacklisted {
            tally.disagree("blacklist", || {
                format!("{log}    modprobe: {blacklisted:?}\n    posture: {got_blacklisted:?}")
            });
        }
        if install != got_install {
            tally.disagree("install", || {
                format!("{log}    modprobe: {install:?}\n    posture: {got_install:?}")
            });
        }
    }
    tally.finish("modprobe --showconfig");
}
