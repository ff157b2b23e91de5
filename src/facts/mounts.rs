//! Mounted filesystems (live) and configured ones (fstab and systemd mount
//! units), for rules such as "/tmp is a separate filesystem mounted nodev".

use crate::diag::Diagnostic;
use crate::facts::whole_lines;
use crate::facts::{Collected, FactError, FactResult, Source};
use crate::target::{FileText, FileType, Target, TargetError};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

const PROC_MOUNTS: &str = "/proc/self/mounts";
const FSTAB: &str = "/etc/fstab";

/// The systemd unit search path, highest precedence first. Units found in
/// the first two are the administrator's and override fstab; the others are
/// vendor units, which fstab's generated units override.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];
const ADMIN_UNIT_DIRS: usize = 2;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mount {
    pub device: String,
    pub mountpoint: String,
    pub fstype: String,
    pub options: Vec<String>,
    pub source: Source,
}

impl Mount {
    pub fn has_option(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }
}

/// Parses fstab(5) or /proc/self/mounts, which share the format: device,
/// mountpoint, type, options, then dump and pass numbers. fstab may omit
/// the last three; without options the entry has none (mount's defaults).
/// Swap entries are kept.
pub fn parse_mounts(text: &str, file: &str) -> (Vec<Mount>, Vec<Diagnostic>) {
    let mut mounts = Vec::new();
    let mut diags = crate::diag::Collector::default();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx.saturating_add(1)).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(device), Some(mountpoint), Some(fstype)) =
            (fields.first(), fields.get(1), fields.get(2))
        else {
            diags.push(
                Diagnostic::new(
                    file,
                    format!("expected at least device, mount point and type, found `{line}`"),
                )
                .at(line_no, None),
            );
            continue;
        };
        for (name, value) in [("dump", fields.get(4)), ("pass", fields.get(5))] {
            if let Some(value) = value {
                if value.parse::<u32>().is_err() {
                    diags.push(
                        Diagnostic::new(file, format!("{name} field `{value}` is not a number"))
                            .at(line_no, None),
                    );
                }
            }
        }
        if fields.len() > 6 {
            diags.push(
                Diagnostic::new(file, "more than six fields; the extra ones are ignored")
                    .at(line_no, None),
            );
        }
        mounts.push(Mount {
            device: unescape(device),
            mountpoint: unescape(mountpoint),
            fstype: unescape(fstype),
            options: fields.get(3).map(|o| split_options(o)).unwrap_or_default(),
            source: Source::line(file, line_no),
        });
    }
    (mounts, diags.finish())
}

/// What is mounted now (live only), one entry per mount point: where a
/// mount point was mounted over, only the topmost (last) mount is visible.
pub fn collect_runtime(target: &Target) -> FactResult<Vec<Mount>> {
    if !target.is_live() {
        return Err(FactError::RuntimeOnly {
            what: "mounted filesystems",
        });
    }
    read_proc_mounts(target)
}

fn read_proc_mounts(target: &Target) -> FactResult<Vec<Mount>> {
    let Some(text) = target.read_text(PROC_MOUNTS)? else {
        return Ok(Collected::new(
            Vec::new(),
            vec![Diagnostic::new(PROC_MOUNTS, "missing; is /proc mounted?")],
        ));
    };
    let (mounts, diags) = parse_file(&text);
    Ok(Collected::new(visible(mounts), diags))
}

/// The configured filesystems: /etc/fstab, plus systemd mount units that
/// are enabled or defined by the administrator (Debian's tmp.mount, for
/// one, is not in fstab). Where a unit and fstab configure the same mount
/// point, the one systemd uses wins: an administrator's unit in
/// /etc/systemd/system over fstab, fstab over a vendor unit.
pub fn collect_fstab(target: &Target) -> FactResult<Vec<Mount>> {
    let (mut mounts, mut diags) = match target.read_text(FSTAB)? {
        Some(text) => parse_file(&text),
        None => (Vec::new(), Vec::new()),
    };
    let units = mount_units(target)?;
    diags.extend(units.diagnostics);
    for (unit, admin) in units.value {
        let key = mountpoint_key(&unit.mountpoint);
        if admin {
            mounts.retain(|m| mountpoint_key(&m.mountpoint) != key);
            mounts.push(unit);
        } else if !mounts.iter().any(|m| mountpoint_key(&m.mountpoint) == key) {
            mounts.push(unit);
        }
    }
    Ok(Collected::new(mounts, diags))
}

/// Mount units that systemd would start or that the administrator defined:
/// units in /etc/systemd/system, and units pulled in through a `.wants` or
/// `.requires` directory. Each comes with whether its definition is the
/// administrator's (/etc or /run) rather than a vendor's. Masked units
/// (linked to /dev/null) are left out; drop-ins (`*.mount.d/`) are not read.
fn mount_units(target: &Target) -> FactResult<Vec<(Mount, bool)>> {
    let mut names = BTreeSet::new();
    let mut patterns = vec!["/etc/systemd/system/*.mount".to_string()];
    for dir in UNIT_DIRS {
        patterns.push(format!("{dir}/*.wants/*.mount"));
        patterns.push(format!("{dir}/*.requires/*.mount"));
    }
    for pattern in &patterns {
        for path in target.glob(pattern)? {
            if let Some((_, name)) = path.rsplit_once('/') {
                names.insert(name.to_string());
            }
        }
    }
    let mut units = Vec::new();
    let mut diags = Vec::new();
    for name in names {
        let Some((index, path)) = find_unit(target, &name)? else {
            continue;
        };
        if target.read_link(&path)?.as_deref() == Some("/dev/null") {
            continue;
        }
        let text = match target.read_text(&path) {
            Ok(Some(text)) => text,
            Ok(None) => {
                diags.push(Diagnostic::new(&path, "symlink to a missing file; ignored"));
                continue;
            }
            // A live host's /dev/null, reached through a chain of links.
            Err(TargetError::NotRegular { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let body = whole_lines(&text, &mut diags);
        let (unit, unit_diags) = parse_mount_unit(body, &text.path);
        diags.extend(unit_diags);
        if let Some(unit) = unit {
            units.push((unit, index < ADMIN_UNIT_DIRS));
        }
    }
    Ok(Collected::new(units, diags))
}

/// The definition systemd loads for a unit name: the first directory of the
/// search path that has an entry of that name.
fn find_unit(target: &Target, name: &str) -> Result<Option<(usize, String)>, FactError> {
    for (index, dir) in UNIT_DIRS.iter().enumerate() {
        let path = format!("{dir}/{name}");
        if let Some(meta) = target.metadata(&path, false)? {
            if matches!(meta.file_type, FileType::File | FileType::Symlink) {
                return Ok(Some((index, path)));
            }
        }
    }
    Ok(None)
}

/// Parses the `[Mount]` section of a systemd mount unit into an fstab-style
/// entry; `None` when it lacks `What=` or `Where=`. A missing `Type=` becomes
/// `auto`, as mount(8) then probes the type.
pub fn parse_mount_unit(text: &str, file: &str) -> (Option<Mount>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut in_mount = false;
    let mut what: Option<String> = None;
    let mut where_: Option<(String, u32)> = None;
    let mut fstype: Option<String> = None;
    let mut options: Vec<String> = Vec::new();
    for (line_no, line) in unit_lines(text) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') {
            match line.strip_suffix(']') {
                Some(section) => in_mount = section == "[Mount",
                None => diags.push(
                    Diagnostic::new(file, format!("unterminated section header `{line}`"))
                        .at(line_no, None),
                ),
            }
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            diags.push(
                Diagnostic::new(file, format!("expected `Key=value`, found `{line}`"))
                    .at(line_no, None),
            );
            continue;
        };
        if !in_mount {
            continue;
        }
        let value = value.trim();
        match key.trim() {
            "What" => what = Some(value.to_string()),
            "Where" => where_ = Some((value.to_string(), line_no)),
            "Type" => fstype = Some(value.to_string()),
            // Options= may be given several times; an empty one resets.
            "Options" if value.is_empty() => options.clear(),
            "Options" => options.extend(split_options(value)),
            _ => {}
        }
    }
    let (Some(what), Some((mountpoint, line_no))) = (what, where_) else {
        diags.push(Diagnostic::new(
            file,
            "mount unit without What= and Where= in [Mount]; ignored",
        ));
        return (None, diags);
    };
    let mountpoint = match mountpoint.trim_end_matches('/') {
        "" => "/".to_string(),
        trimmed => trimmed.to_string(),
    };
    let mount = Mount {
        device: what,
        mountpoint,
        fstype: match fstype {
            Some(t) if !t.is_empty() => t,
            _ => "auto".to_string(),
        },
        options,
        source: Source::line(file, line_no),
    };
    (Some(mount), diags)
}

/// Logical lines of a unit file with the number of the line each starts on:
/// a trailing backslash continues a line, as in systemd.
fn unit_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(u32, String)> = None;
    for (idx, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(idx.saturating_add(1)).unwrap_or(u32::MAX);
        let line = raw.trim();
        // Comment lines inside a continuation are dropped, as systemd does.
        if pending.is_some() && (line.starts_with('#') || line.starts_with(';')) {
            continue;
        }
        let (start, mut acc) = pending.take().unwrap_or((line_no, String::new()));
        match line.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                acc.push(' ');
                pending = Some((start, acc));
            }
            None => {
                acc.push_str(line);
                out.push((start, acc.trim().to_string()));
            }
        }
    }
    if let Some((start, acc)) = pending {
        out.push((start, acc.trim().to_string()));
    }
    out
}

/// Parses a mounts file read from the target, dropping a line the read cap
/// cut in two.
fn parse_file(text: &FileText) -> (Vec<Mount>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let (mounts, parse_diags) = parse_mounts(whole_lines(text, &mut diags), &text.path);
    diags.extend(parse_diags);
    (mounts, diags)
}

/// Keeps, for each mount point, only its last mount, in mount order.
fn visible(mounts: Vec<Mount>) -> Vec<Mount> {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, m) in mounts.iter().enumerate() {
        last.insert(m.mountpoint.clone(), i);
    }
    mounts
        .into_iter()
        .enumerate()
        .filter(|(i, m)| last.get(&m.mountpoint) == Some(i))
        .map(|(_, m)| m)
        .collect()
}

/// `/tmp/` and `/tmp` are the same mount point.
fn mountpoint_key(mountpoint: &str) -> &str {
    match mountpoint.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    }
}

/// Splits a mount option string at commas, except inside double quotes,
/// where SELinux contexts carry commas (`context="u:r:t:s0:c1,c2"`).
fn split_options(options: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in options.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    out.push(current);
    out.iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .map(unescape)
        .collect()
}

/// Decodes the octal escapes the kernel and fstab use for characters that
/// would break the whitespace-separated format (`\040` space, `\011` tab,
/// `\012` newline, `\134` backslash). Anything else is kept as written.
fn unescape(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_string();
    }
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            if let Some(value) = bytes.get(i + 1..i + 4).and_then(octal_byte) {
                out.push(value);
                i += 4;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn octal_byte(digits: &[u8]) -> Option<u8> {
    let mut value: u32 = 0;
    for &d in digits {
        if !(b'0'..=b'7').contains(&d) {
            return None;
        }
        value = value * 8 + u32::from(d - b'0');
    }
    u8::try_from(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::{link, write};

    const FSTAB_TEXT: &str = "\
# /etc/fstab: static file system information.
#
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=1b2c-33 /               ext4    errors=remount-ro 0       1
/dev/sda2\tnone swap sw 0 0\r
tmpfs /tmp tmpfs defaults,nodev,nosuid,noexec
/dev/sdb1 /mnt/My\\040Disk vfat
";

    #[test]
    fn parse_fstab_with_optional_fields() {
        let (mounts, diags) = parse_mounts(FSTAB_TEXT, "/etc/fstab");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(mounts.len(), 4);
        assert_eq!(
            mounts[0],
            Mount {
                device: "UUID=1b2c-33".into(),
                mountpoint: "/".into(),
                fstype: "ext4".into(),
                options: vec!["errors=remount-ro".into()],
                source: Source::line("/etc/fstab", 4),
            }
        );
        assert_eq!(mounts[1].fstype, "swap");
        assert_eq!(mounts[1].mountpoint, "none");
        assert_eq!(mounts[2].options, ["defaults", "nodev", "nosuid", "noexec"]);
        assert!(mounts[2].has_option("nodev"));
        assert!(!mounts[2].has_option("ro"));
        assert_eq!(mounts[3].mountpoint, "/mnt/My Disk");
        assert!(mounts[3].options.is_empty());
        assert_eq!(mounts[3].source.line, Some(7));
    }

    #[test]
    fn parse_proc_mounts_sample() {
        let text = "\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
/dev/mapper/vg-root / ext4 rw,relatime 0 0
tmpfs /run/user/1000 tmpfs rw,nosuid,nodev,relatime,size=1620244k,mode=700,uid=1000,gid=1000 0 0
/dev/sdc1 /media/a\\011b\\012c\\134d vfat rw 0 0
/dev/sda1 /srv xfs rw,context=\"system_u:object_r:var_t:s0:c1,c2\",noatime 0 0
";
        let (mounts, diags) = parse_mounts(text, "/proc/self/mounts");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(mounts.len(), 5);
        assert_eq!(mounts[3].mountpoint, "/media/a\tb\nc\\d");
        assert_eq!(
            mounts[4].options,
            [
                "rw",
                "context=\"system_u:object_r:var_t:s0:c1,c2\"",
                "noatime"
            ]
        );
    }

    #[test]
    fn parse_reports_bad_lines() {
        let text = "/dev/sda1 /\n\n/dev/sda2 /home ext4 defaults x 2\n/dev/sda3 /var ext4 defaults 0 2 extra\n";
        let (mounts, diags) = parse_mounts(text, "/etc/fstab");
        assert_eq!(mounts.len(), 2);
        let lines: Vec<Option<u32>> = diags.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![Some(1), Some(3), Some(4)]);
    }

    #[test]
    fn unescape_edge_cases() {
        assert_eq!(unescape("a\\040b"), "a b");
        assert_eq!(unescape("trailing\\"), "trailing\\");
        assert_eq!(unescape("short\\04"), "short\\04");
        assert_eq!(unescape("not\\089octal"), "not\\089octal");
        assert_eq!(unescape("big\\777"), "big\\777");
        assert_eq!(unescape("\\303\\251"), "é");
        assert_eq!(unescape("é\\040ü"), "é ü");
    }

    #[test]
    fn parse_odd_input_does_not_panic() {
        for text in [
            "",
            "\\",
            "a b \\",
            "a b c \\77",
            "#",
            "\r\n\r\n",
            "a\u{0}b c d",
        ] {
            let _ = parse_mounts(text, "f");
        }
    }

    #[test]
    fn runtime_needs_a_live_target() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::root(dir.path()).unwrap();
        assert!(matches!(
            collect_runtime(&t),
            Err(FactError::RuntimeOnly { .. })
        ));
    }

    #[test]
    fn runtime_keeps_the_topmost_mount() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            PROC_MOUNTS,
            "/dev/sda1 / ext4 rw 0 0\n/dev/sda2 /tmp ext4 rw 0 0\nproc /proc proc rw 0 0\ntmpfs /tmp tmpfs rw,nodev 0 0\n",
        );
        let t = Target::root(dir.path()).unwrap();
        let got = read_proc_mounts(&t).unwrap();
        let points: Vec<(&str, &str)> = got
            .value
            .iter()
            .map(|m| (m.mountpoint.as_str(), m.fstype.as_str()))
            .collect();
        assert_eq!(
            points,
            vec![("/", "ext4"), ("/proc", "proc"), ("/tmp", "tmpfs")]
        );
        assert_eq!(got.value[2].source, Source::line(PROC_MOUNTS, 4));
    }

    #[test]
    fn fstab_missing_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::root(dir.path()).unwrap();
        let got = collect_fstab(&t).unwrap();
        assert!(got.value.is_empty());
        assert!(got.diagnostics.is_empty());
    }

    #[test]
    fn fstab_truncated_drops_the_partial_line() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            FSTAB,
            "/dev/sda1 / ext4 rw 0 1\n/dev/sda2 /home ext4 rw 0 2\n",
        );
        let t = Target::root(dir.path()).unwrap().with_read_cap(30);
        let got = collect_fstab(&t).unwrap();
        assert_eq!(got.value.len(), 1);
        assert_eq!(got.diagnostics.len(), 1);
        assert_eq!(got.diagnostics[0].file, FSTAB);
    }

    const TMP_MOUNT: &str = "\
[Unit]
Description=Temporary Directory /tmp
ConditionPathIsSymbolicLink=!/tmp

[Mount]
What=tmpfs
Where=/tmp
Type=tmpfs
Options=mode=1777,strictatime,nosuid,nodev,size=50%%,nr_inodes=1m

[Install]
WantedBy=local-fs.target
";

    #[test]
    fn parse_tmp_mount_unit() {
        let (mount, diags) = parse_mount_unit(TMP_MOUNT, "/usr/lib/systemd/system/tmp.mount");
        assert!(diags.is_empty(), "{diags:?}");
        let mount = mount.unwrap();
        assert_eq!(mount.device, "tmpfs");
        assert_eq!(mount.mountpoint, "/tmp");
        assert_eq!(mount.fstype, "tmpfs");
        assert!(mount.has_option("nodev"));
        assert!(mount.has_option("nosuid"));
        assert!(!mount.has_option("noexec"));
        assert_eq!(
            mount.source,
            Source::line("/usr/lib/systemd/system/tmp.mount", 7)
        );
    }

    #[test]
    fn parse_mount_unit_continuation_reset_and_errors() {
        let text = "[Mount]\r\nWhat=/dev/sdb1\nWhere=/var/tmp/\nOptions=rw\nOptions=\nOptions=nodev,\\\n  noexec\nbad line\n[Install]\nWhere=/elsewhere\n";
        let (mount, diags) = parse_mount_unit(text, "u.mount");
        let mount = mount.unwrap();
        assert_eq!(mount.mountpoint, "/var/tmp");
        assert_eq!(mount.fstype, "auto");
        assert_eq!(mount.options, ["nodev", "noexec"]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(8));

        let (mount, diags) = parse_mount_unit("[Mount]\nWhere=/tmp\n", "u.mount");
        assert!(mount.is_none());
        assert_eq!(diags.len(), 1);
        let (mount, _) = parse_mount_unit("[Unit]\nWhat=x\nWhere=/x\n", "u.mount");
        assert!(mount.is_none(), "keys outside [Mount] do not count");
    }

    #[test]
    fn fstab_merges_mount_units_by_precedence() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(
            r,
            FSTAB,
            "/dev/sda1 / ext4 rw 0 1\n/dev/sda3 /var/tmp ext4 rw 0 2\n/dev/sda4 /home ext4 rw 0 2\n",
        );
        // Vendor tmp.mount, enabled from /etc: nothing in fstab for /tmp.
        write(r, "/usr/lib/systemd/system/tmp.mount", TMP_MOUNT);
        link(
            r,
            "/etc/systemd/system/local-fs.target.wants/tmp.mount",
            "/usr/lib/systemd/system/tmp.mount",
        );
        // Vendor unit for a mount point fstab has: fstab wins.
        write(
            r,
            "/usr/lib/systemd/system/var-tmp.mount",
            "[Mount]\nWhat=tmpfs\nWhere=/var/tmp\nType=tmpfs\n",
        );
        link(
            r,
            "/usr/lib/systemd/system/local-fs.target.wants/var-tmp.mount",
            "../var-tmp.mount",
        );
        // Administrator's unit for /home: overrides fstab.
        write(
            r,
            "/etc/systemd/system/home.mount",
            "[Mount]\nWhat=/dev/sdc1\nWhere=/home\nType=xfs\nOptions=nodev\n",
        );
        // Masked unit, although a vendor copy is enabled.
        write(
            r,
            "/usr/lib/systemd/system/srv.mount",
            "[Mount]\nWhat=tmpfs\nWhere=/srv\nType=tmpfs\n",
        );
        link(
            r,
            "/usr/lib/systemd/system/multi-user.target.wants/srv.mount",
            "../srv.mount",
        );
        link(r, "/etc/systemd/system/srv.mount", "/dev/null");
        // A vendor unit nobody enables is not configuration.
        write(
            r,
            "/usr/lib/systemd/system/opt.mount",
            "[Mount]\nWhat=tmpfs\nWhere=/opt\n",
        );

        let t = Target::root(r).unwrap();
        let got = collect_fstab(&t).unwrap();
        assert!(got.diagnostics.is_empty(), "{:?}", got.diagnostics);
        let summary: Vec<(&str, &str, &str)> = got
            .value
            .iter()
            .map(|m| {
                (
                    m.mountpoint.as_str(),
                    m.device.as_str(),
                    m.source.file.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("/", "/dev/sda1", "/etc/fstab"),
                ("/var/tmp", "/dev/sda3", "/etc/fstab"),
                ("/home", "/dev/sdc1", "/etc/systemd/system/home.mount"),
                ("/tmp", "tmpfs", "/usr/lib/systemd/system/tmp.mount"),
            ]
        );
    }
}
