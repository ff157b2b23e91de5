//! Running processes of a live host, from /proc.

use crate::facts::{Collected, FactError, FactResult};
use crate::target::{FileText, Target, TargetError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Process {
    pub pid: u32,
    /// From /proc/<pid>/comm: at most 15 bytes, as the kernel keeps it.
    pub name: String,
    /// Arguments joined by spaces; empty for kernel threads and zombies.
    pub cmdline: String,
    /// Real uid, from the `Uid:` line of /proc/<pid>/status.
    pub uid: Option<u32>,
    /// Left `None` here: the caller joins uids with the account database.
    pub user: Option<String>,
}

/// The processes running now (live only), sorted by pid. Processes that
/// exit while being read are left out.
pub fn collect(target: &Target) -> FactResult<Vec<Process>> {
    if !target.is_live() {
        return Err(FactError::RuntimeOnly { what: "processes" });
    }
    read_processes(target)
}

fn read_processes(target: &Target) -> FactResult<Vec<Process>> {
    let Some(entries) = target.read_dir("/proc")? else {
        return Ok(Collected::new(Vec::new(), Vec::new()));
    };
    let mut processes: Vec<Process> = entries
        .iter()
        .filter_map(|e| e.name.parse::<u32>().ok())
        .filter_map(|pid| read_process(target, pid))
        .collect();
    processes.sort_by_key(|p| p.pid);
    Ok(Collected::new(processes, Vec::new()))
}

/// One process, or `None` if it is gone. A file that exists but cannot be
/// read (hidepid, permissions) only leaves its field empty.
fn read_process(target: &Target, pid: u32) -> Option<Process> {
    let comm = read_proc_file(target, pid, "comm")?;
    let cmdline = read_proc_file(target, pid, "cmdline")?;
    let status = read_proc_file(target, pid, "status")?;
    Some(Process {
        pid,
        name: comm
            .map(|t| t.text.trim_end_matches('\n').to_string())
            .unwrap_or_default(),
        cmdline: cmdline
            .map(|t| t.text.replace('\0', " ").trim().to_string())
            .unwrap_or_default(),
        uid: status.and_then(|t| parse_status_uid(&t.text)),
        user: None,
    })
}

/// `None` when the process is gone (the file is missing, or the kernel
/// says ESRCH mid-read); `Some(None)` when it exists but is unreadable.
fn read_proc_file(target: &Target, pid: u32, name: &str) -> Option<Option<FileText>> {
    match target.read_text(&format!("/proc/{pid}/{name}")) {
        Ok(Some(text)) => Some(Some(text)),
        Ok(None) => None,
        Err(TargetError::PermissionDenied { .. }) => Some(None),
        Err(_) => None,
    }
}

/// The real uid from /proc/<pid>/status (`Uid:\treal\teffective\tsaved\tfs`).
pub fn parse_status_uid(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::write;
    use std::fs;
    use std::path::Path;

    fn process(root: &Path, pid: u32, comm: &str, cmdline: &str, uid: u32) {
        write(root, &format!("/proc/{pid}/comm"), &format!("{comm}\n"));
        write(root, &format!("/proc/{pid}/cmdline"), cmdline);
        write(
            root,
            &format!("/proc/{pid}/status"),
            &format!("Name:\t{comm}\nUmask:\t0022\nState:\tS (sleeping)\nUid:\t{uid}\t0\t0\t0\nGid:\t0\t0\t0\t0\n"),
        );
    }

    #[test]
    fn status_uid() {
        assert_eq!(
            parse_status_uid("Name:\tsshd\nUid:\t1000\t0\t0\t0\n"),
            Some(1000)
        );
        assert_eq!(parse_status_uid("Uid: 0 0 0 0\r\n"), Some(0));
        assert_eq!(parse_status_uid("Name:\tx\n"), None);
        assert_eq!(parse_status_uid("Uid:\n"), None);
        assert_eq!(parse_status_uid("Uid:\tabc\t0\n"), None);
        assert_eq!(parse_status_uid("Uid:\t99999999999\n"), None);
        assert_eq!(parse_status_uid(""), None);
        assert_eq!(parse_status_uid("NoUid:\t5\n"), None);
    }

    #[test]
    fn collect_needs_a_live_target() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::root(dir.path()).unwrap();
        assert!(matches!(collect(&t), Err(FactError::RuntimeOnly { .. })));
    }

    #[test]
    fn reads_processes_sorted_by_pid() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        process(
            r,
            812,
            "sshd",
            "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
            0,
        );
        process(r, 1, "systemd", "/sbin/init\0splash\0", 0);
        process(r, 2, "kthreadd", "", 0);
        process(r, 1500, "bash", "-bash\0", 1000);
        // Gone between the directory listing and the reads.
        fs::create_dir_all(r.join("proc/4242")).unwrap();
        // Not processes.
        write(r, "/proc/uptime", "1.0 2.0\n");
        fs::create_dir_all(r.join("proc/sys")).unwrap();
        fs::create_dir_all(r.join("proc/self")).unwrap();

        let t = Target::root(r).unwrap();
        let got = read_processes(&t).unwrap();
        assert!(got.diagnostics.is_empty());
        let pids: Vec<u32> = got.value.iter().map(|p| p.pid).collect();
        assert_eq!(pids, vec![1, 2, 812, 1500]);
        assert_eq!(
            got.value[0],
            Process {
                pid: 1,
                name: "systemd".into(),
                cmdline: "/sbin/init splash".into(),
                uid: Some(0),
                user: None,
            }
        );
        assert_eq!(got.value[1].cmdline, "");
        assert_eq!(
            got.value[2].cmdline,
            "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"
        );
        assert_eq!(got.value[3].uid, Some(1000));
        assert_eq!(got.value[3].cmdline, "-bash");
    }

    #[test]
    fn no_proc_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::root(dir.path()).unwrap();
        assert!(read_processes(&t).unwrap().value.is_empty());
    }
}
