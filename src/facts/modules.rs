//! Kernel modules: the modprobe.d configuration that keeps modules from
//! loading, the modules loaded now, and the modules a kernel ships.

use crate::diag::Diagnostic;
use crate::facts::sysctl::drop_in_files;
use crate::facts::whole_lines;
use crate::facts::{Collected, FactError, FactResult, Source};
use crate::target::{FileType, Target};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// kmod's configuration directories, highest precedence first.
const MODPROBE_DIRS: &[&str] = &[
    "/etc/modprobe.d",
    "/run/modprobe.d",
    "/usr/local/lib/modprobe.d",
    "/usr/lib/modprobe.d",
    "/lib/modprobe.d",
];

/// kmod reads `*.alias` files from the same directories as `*.conf`.
const MODPROBE_SUFFIXES: &[&str] = &[".conf", ".alias"];

const PROC_MODULES: &str = "/proc/modules";

const MODULE_SUFFIXES: &[&str] = &[".ko", ".ko.xz", ".ko.zst", ".ko.gz"];

/// Deeper than any real /lib/modules tree; stops a crafted one.
const MAX_MODULE_TREE_DEPTH: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ModprobeConfig {
    /// Module → where it is first blacklisted.
    pub blacklisted: BTreeMap<String, Source>,
    /// Module → install command and where it was set. When several files
    /// set one, the first read (in the order of `files`) wins, as kmod runs
    /// the first install command it finds.
    pub install: BTreeMap<String, (String, Source)>,
    /// Files in the order they are read.
    pub files: Vec<String>,
}

/// Parses one modprobe.d(5) file. Module names are normalized with `_` for
/// `-`, as kmod treats them as the same character.
pub fn parse_modprobe_conf(text: &str, file: &str) -> (ModprobeConfig, Vec<Diagnostic>) {
    let mut config = ModprobeConfig {
        files: vec![file.to_string()],
        ..ModprobeConfig::default()
    };
    let mut diags = crate::diag::Collector::default();
    for (line_no, line) in logical_lines(text) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (command, rest) = split_word(line);
        let (module, args) = split_word(rest);
        let bad = |message: String| Diagnostic::new(file, message).at(line_no, None);
        match command {
            "blacklist" if !module.is_empty() => {
                config
                    .blacklisted
                    .entry(normalize_module_name(module))
                    .or_insert_with(|| Source::line(file, line_no));
            }
            "install" if !module.is_empty() && !args.is_empty() => {
                config
                    .install
                    .entry(normalize_module_name(module))
                    .or_insert_with(|| (args.to_string(), Source::line(file, line_no)));
            }
            "alias" if !module.is_empty() && !split_word(args).0.is_empty() => {}
            "options" | "remove" | "softdep" | "weakdep"
                if !module.is_empty() && !args.is_empty() => {}
            "blacklist" | "install" | "alias" | "options" | "remove" | "softdep" | "weakdep" => {
                diags.push(bad(format!("`{command}` is missing arguments")));
            }
            "include" | "config" => {
                diags.push(bad(format!(
                    "`{command}` is deprecated and ignored by modprobe"
                )));
            }
            _ => diags.push(bad(format!("unknown command `{command}`"))),
        }
    }
    (config, diags.finish())
}

/// The effective modprobe configuration. Files follow the drop-in rules
/// of systemd and kmod (see [`drop_in_files`]): an /etc file masks the
/// same name in /usr/lib, and all are read in order of file name.
pub fn collect_config(target: &Target) -> FactResult<ModprobeConfig> {
    let (files, mut diags) = drop_in_files(target, MODPROBE_DIRS, MODPROBE_SUFFIXES)?;
    let mut config = ModprobeConfig::default();
    for path in files {
        let Some(text) = target.read_text(&path)? else {
            continue;
        };
        let body = whole_lines(&text, &mut diags);
        let (file_config, file_diags) = parse_modprobe_conf(body, &text.path);
        diags.extend(file_diags);
        for (module, source) in file_config.blacklisted {
            config.blacklisted.entry(module).or_insert(source);
        }
        for (module, install) in file_config.install {
            config.install.entry(module).or_insert(install);
        }
        config.files.push(path);
    }
    Ok(Collected::new(config, diags))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadedModule {
    pub name: String,
    pub size: u64,
    /// Modules that depend on this one.
    pub used_by: Vec<String>,
}

/// Parses /proc/modules: `name size refcount used_by state address`, where
/// `used_by` is `-` or a comma-terminated list. Kernels without module
/// unloading print only the first two fields meaningfully.
pub fn parse_proc_modules(text: &str, file: &str) -> (Vec<LoadedModule>, Vec<Diagnostic>) {
    let mut modules = Vec::new();
    let mut diags = Vec::new();
    for (idx, line) in text.lines().enumerate() {
        let line_no = u32::try_from(idx.saturating_add(1)).unwrap_or(u32::MAX);
        let mut fields = line.split_whitespace();
        let Some(name) = fields.next() else {
            continue;
        };
        let Some(size) = fields.next().and_then(|s| s.parse::<u64>().ok()) else {
            diags.push(
                Diagnostic::new(file, format!("expected `name size ...`, found `{line}`"))
                    .at(line_no, None),
            );
            continue;
        };
        let used_by = fields
            .nth(1)
            .unwrap_or("-")
            .split(',')
            // `[permanent]` and `[unsafe]` are flags, not modules.
            .filter(|m| !m.is_empty() && *m != "-" && !m.starts_with('['))
            .map(str::to_string)
            .collect();
        modules.push(LoadedModule {
            name: name.to_string(),
            size,
            used_by,
        });
    }
    (modules, diags)
}

/// The modules loaded now (live only). A kernel without module support has
/// no /proc/modules: nothing is loaded.
pub fn collect_loaded(target: &Target) -> FactResult<Vec<LoadedModule>> {
    if !target.is_live() {
        return Err(FactError::RuntimeOnly {
            what: "loaded kernel modules",
        });
    }
    read_loaded(target)
}

fn read_loaded(target: &Target) -> FactResult<Vec<LoadedModule>> {
    let Some(text) = target.read_text(PROC_MODULES)? else {
        return Ok(Collected::new(Vec::new(), Vec::new()));
    };
    let mut diags = Vec::new();
    let body = whole_lines(&text, &mut diags);
    let (modules, file_diags) = parse_proc_modules(body, &text.path);
    diags.extend(file_diags);
    Ok(Collected::new(modules, diags))
}

/// Whether an install command disables loading (e.g. "/bin/false", "/bin/true", "/usr/bin/false", "true", "false").
///
/// modprobe runs the command through `/bin/sh -c` instead of loading the
/// module, so any command that cannot load it counts: `true`, `false` or
/// `exit` (with an absolute path or arguments or not). A command with shell
/// syntax (`;`, `&&`, `$`, ...) could load the module after all, so it does
/// not count.
pub fn install_disables(command: &str) -> bool {
    let command = command.trim();
    if command.contains([';', '&', '|', '`', '$', '(', ')', '<', '>', '\n', '\\']) {
        return false;
    }
    let Some(program) = command.split_whitespace().next() else {
        return false;
    };
    if program == "exit" {
        return true;
    }
    let name = match program.rsplit_once('/') {
        Some((dir, name)) if program.starts_with('/') && !dir.is_empty() => name,
        Some(_) => return false,
        None => program,
    };
    matches!(name, "true" | "false")
}

/// modules available on disk for a kernel: names of *.ko, *.ko.xz, *.ko.zst, *.ko.gz files under /lib/modules/<release>/ (or /usr/lib/modules) — used to tell whether a filesystem module exists at all. Walk only that tree.
///
/// Names are normalized with `_` for `-`. Symlinked directories (`build`,
/// `source`) are not followed. An unknown release gives an empty set.
pub fn available_modules(
    target: &Target,
    kernel_release: &str,
) -> Result<BTreeSet<String>, FactError> {
    let mut found = BTreeSet::new();
    let Some(root) = modules_dir(target, kernel_release)? else {
        return Ok(found);
    };
    let mut pending = vec![(root, 0usize)];
    while let Some((dir, depth)) = pending.pop() {
        let Some(entries) = target.read_dir(&dir)? else {
            continue;
        };
        for entry in entries {
            match entry.file_type {
                FileType::Directory if depth < MAX_MODULE_TREE_DEPTH => {
                    pending.push((format!("{dir}/{}", entry.name), depth + 1));
                }
                FileType::File | FileType::Symlink => {
                    if let Some(name) = module_file_name(&entry.name) {
                        found.insert(name);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(found)
}

/// Modules compiled into a kernel, from `modules.builtin` in its modules
/// directory: they cannot be disabled by modprobe.d. Empty when the file is
/// missing.
pub fn builtin_modules(
    target: &Target,
    kernel_release: &str,
) -> Result<BTreeSet<String>, FactError> {
    let Some(root) = modules_dir(target, kernel_release)? else {
        return Ok(BTreeSet::new());
    };
    let Some(text) = target.read_text(&format!("{root}/modules.builtin"))? else {
        return Ok(BTreeSet::new());
    };
    Ok(text
        .text
        .lines()
        .filter_map(|line| line.trim().rsplit('/').next())
        .filter_map(module_file_name)
        .collect())
}

/// The modules directory of a release, or `None` if there is none or the
/// release is not a plain name (it comes from the scanned system and must
/// not climb out of /lib/modules).
fn modules_dir(target: &Target, release: &str) -> Result<Option<String>, FactError> {
    if release.is_empty() || release == "." || release == ".." || release.contains(['/', '\0']) {
        return Ok(None);
    }
    for base in ["/lib/modules", "/usr/lib/modules"] {
        let dir = format!("{base}/{release}");
        if let Some(meta) = target.metadata(&dir, true)? {
            if meta.file_type == FileType::Directory {
                return Ok(Some(dir));
            }
        }
    }
    Ok(None)
}

fn module_file_name(file: &str) -> Option<String> {
    MODULE_SUFFIXES
        .iter()
        .find_map(|suffix| file.strip_suffix(suffix))
        .filter(|name| !name.is_empty())
        .map(normalize_module_name)
}

/// `-` and `_` are the same in module names; kmod stores `_`. Inside a
/// `[...]` pattern a `-` is a range and stays, as in kmod.
fn normalize_module_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_brackets = false;
    for c in name.chars() {
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            '-' if !in_brackets => {
                out.push('_');
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// The first word of `s` and the rest, trimmed.
fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (s.get(..i).unwrap_or(s), s.get(i..).unwrap_or("").trim()),
        None => (s, ""),
    }
}

/// Lines joined where one ends with a backslash, as kmod does (the
/// backslash and line break vanish), each with the number of the line it
/// starts on.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx.saturating_add(1)).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (start, mut acc) = pending.take().unwrap_or((line_no, String::new()));
        match raw.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                pending = Some((start, acc));
            }
            None => {
                acc.push_str(raw);
                out.push((start, acc));
            }
        }
    }
    out.extend(pending);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::{link, write};

    #[test]
    fn parse_blacklist_and_install() {
        let text = "\
# CIS 1.1.1
install cramfs /bin/false
blacklist cramfs
install usb-storage   /bin/true \r
blacklist\tusb_storage
options snd-hda-intel power_save=1
alias net-pf-31 bluetooth
softdep nvidia pre: i2c_nvidia_gpu
remove foo /bin/true
install cramfs /sbin/modprobe --ignore-install cramfs
";
        let (config, diags) = parse_modprobe_conf(text, "/etc/modprobe.d/cis.conf");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config.files, ["/etc/modprobe.d/cis.conf"]);
        assert_eq!(
            config.install["cramfs"],
            (
                "/bin/false".to_string(),
                Source::line("/etc/modprobe.d/cis.conf", 2)
            ),
            "the first install command wins"
        );
        assert_eq!(config.install["usb_storage"].0, "/bin/true");
        assert_eq!(
            config.blacklisted.keys().collect::<Vec<_>>(),
            ["cramfs", "usb_storage"]
        );
        assert_eq!(config.blacklisted["usb_storage"].line, Some(5));
    }

    #[test]
    fn parse_continuation_lines() {
        let text = "install freevxfs /bin/\\\nfalse\nblacklist \\\r\n  hfs\nblacklist jffs2";
        let (config, diags) = parse_modprobe_conf(text, "f.conf");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config.install["freevxfs"].0, "/bin/false");
        assert_eq!(config.blacklisted["hfs"].line, Some(3));
        assert!(config.blacklisted.contains_key("jffs2"));
    }

    #[test]
    fn parse_reports_bad_lines() {
        let text = "blacklist\ninstall udf\nfrobnicate x\ninclude /etc/other\nalias x\n\n  # indented comment\ntrailing \\";
        let (config, diags) = parse_modprobe_conf(text, "f.conf");
        assert!(config.blacklisted.is_empty() && config.install.is_empty());
        let lines: Vec<Option<u32>> = diags.iter().map(|d| d.line).collect();
        assert_eq!(
            lines,
            vec![Some(1), Some(2), Some(3), Some(4), Some(5), Some(8)]
        );
    }

    #[test]
    fn module_names_are_normalized() {
        assert_eq!(normalize_module_name("usb-storage"), "usb_storage");
        assert_eq!(normalize_module_name("snd-[a-z]-x"), "snd_[a-z]_x");
        assert_eq!(normalize_module_name("a[b-"), "a[b-");
    }

    #[test]
    fn parse_odd_input_does_not_panic() {
        for text in [
            "",
            "\\",
            "\\\n\\",
            "é",
            "install é ü",
            "\u{0}",
            "blacklist \t",
        ] {
            let _ = parse_modprobe_conf(text, "f");
        }
    }

    #[test]
    fn collect_config_masks_and_orders() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            "/usr/lib/modprobe.d/50-vendor.conf",
            "install udf /sbin/modprobe --ignore-install udf\n",
        );
        write(
            r,
            "/lib/modprobe.d/10-early.conf",
            "install udf /bin/true\nblacklist hfs\n",
        );
        write(r, "/etc/modprobe.d/50-vendor.conf", "blacklist squashfs\n");
        write(
            r,
            "/usr/lib/modprobe.d/60-masked.conf",
            "blacklist masked\n",
        );
        link(r, "/etc/modprobe.d/60-masked.conf", "/dev/null");
        write(
            r,
            "/run/modprobe.d/70-run.alias",
            "blacklist from_alias_file\n",
        );
        write(r, "/etc/modprobe.d/README", "blacklist not_a_conf\n");
        write(
            r,
            "/etc/modprobe.d/90-cis.conf",
            "install udf /bin/false\nbogus\n",
        );

        let t = Target::root(r).unwrap();
        let got = collect_config(&t).unwrap();
        assert_eq!(
            got.value.files,
            [
                "/lib/modprobe.d/10-early.conf",
                "/etc/modprobe.d/50-vendor.conf",
                "/run/modprobe.d/70-run.alias",
                "/etc/modprobe.d/90-cis.conf",
            ]
        );
        assert_eq!(
            got.value.install["udf"],
            (
                "/bin/true".to_string(),
                Source::line("/lib/modprobe.d/10-early.conf", 1)
            )
        );
        assert_eq!(
            got.value.blacklisted.keys().collect::<Vec<_>>(),
            ["from_alias_file", "hfs", "squashfs"]
        );
        assert_eq!(got.diagnostics.len(), 1);
        assert_eq!(got.diagnostics[0].file, "/etc/modprobe.d/90-cis.conf");
        assert_eq!(got.diagnostics[0].line, Some(2));
    }

    #[test]
    fn parse_proc_modules_sample() {
        let text = "\
nf_tables 344064 1 nft_compat, Live 0x0000000000000000
nft_compat 20480 0 - Live 0x0000000000000000
snd 135168 3 snd_hda_codec,snd_hwdep,snd_pcm, Live 0xffffffffc0a00000
ext4 1048576 2 [permanent], Live 0x0
old 4096
garbage line here
";
        let (modules, diags) = parse_proc_modules(text, PROC_MODULES);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(6));
        assert_eq!(modules.len(), 5);
        assert_eq!(
            modules[0],
            LoadedModule {
                name: "nf_tables".into(),
                size: 344064,
                used_by: vec!["nft_compat".into()],
            }
        );
        assert!(modules[1].used_by.is_empty());
        assert_eq!(
            modules[2].used_by,
            ["snd_hda_codec", "snd_hwdep", "snd_pcm"]
        );
        assert!(modules[3].used_by.is_empty());
        assert_eq!(modules[4].size, 4096);
    }

    #[test]
    fn loaded_needs_a_live_target() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), PROC_MODULES, "udf 118784 0 - Live 0x0\n");
        let t = Target::root(dir.path()).unwrap();
        assert!(matches!(
            collect_loaded(&t),
            Err(FactError::RuntimeOnly { .. })
        ));
        let got = read_loaded(&t).unwrap();
        assert_eq!(got.value.len(), 1);
        assert_eq!(got.value[0].name, "udf");
    }

    #[test]
    fn loaded_without_proc_modules_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::root(dir.path()).unwrap();
        assert!(read_loaded(&t).unwrap().value.is_empty());
    }

    #[test]
    fn install_commands_that_disable() {
        for cmd in [
            "/bin/false",
            "/bin/true",
            "/usr/bin/false",
            "true",
            "false",
            "  /bin/true  ",
            "/bin/false cramfs",
            "exit 1",
        ] {
            assert!(install_disables(cmd), "{cmd}");
        }
        for cmd in [
            "",
            "/sbin/modprobe --ignore-install cramfs",
            "/bin/true; /sbin/modprobe --ignore-install cramfs",
            "/bin/false || /sbin/modprobe --ignore-install cramfs",
            "bin/true",
            "/bin/truex",
            "/bin/echo disabled",
            "/sbin/modprobe --ignore-install cramfs $CMDLINE_OPTS",
            "./true",
        ] {
            assert!(!install_disables(cmd), "{cmd}");
        }
    }

    #[test]
    fn available_modules_walks_the_release_tree() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        let base = "/usr/lib/modules/6.1.0-18-amd64";
        write(r, &format!("{base}/kernel/fs/udf/udf.ko.xz"), "");
        write(r, &format!("{base}/kernel/fs/cramfs/cramfs.ko"), "");
        write(
            r,
            &format!("{base}/kernel/drivers/usb/storage/usb-storage.ko.zst"),
            "",
        );
        write(r, &format!("{base}/updates/dkms/vboxdrv.ko.gz"), "");
        write(r, &format!("{base}/modules.dep"), "");
        write(r, &format!("{base}/kernel/fs/notes.ko.txt"), "");
        write(r, "/usr/src/linux/fs/hfs/hfs.ko", "");
        link(r, &format!("{base}/build"), "/usr/src/linux");
        write(r, "/usr/lib/modules/other/kernel/fs/jffs2.ko", "");
        link(r, "/lib", "usr/lib");
        write(
            r,
            &format!("{base}/modules.builtin"),
            "kernel/fs/ext4/ext4.ko\nkernel/crypto/crc32c_generic.ko\n\n",
        );

        let t = Target::root(r).unwrap();
        let got = available_modules(&t, "6.1.0-18-amd64").unwrap();
        assert_eq!(
            got.into_iter().collect::<Vec<_>>(),
            ["cramfs", "udf", "usb_storage", "vboxdrv"]
        );
        let builtin = builtin_modules(&t, "6.1.0-18-amd64").unwrap();
        assert_eq!(
            builtin.into_iter().collect::<Vec<_>>(),
            ["crc32c_generic", "ext4"]
        );
        assert!(available_modules(&t, "9.9.9").unwrap().is_empty());
        assert!(available_modules(&t, "../modules/other")
            .unwrap()
            .is_empty());
        assert!(available_modules(&t, "..").unwrap().is_empty());
        assert!(available_modules(&t, "").unwrap().is_empty());
        assert!(builtin_modules(&t, "9.9.9").unwrap().is_empty());
    }
}
