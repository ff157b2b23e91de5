//! Listening sockets of a live host, from the kernel's /proc/net tables.

use crate::diag::Diagnostic;
use crate::facts::whole_lines;
use crate::facts::{Collected, FactError, FactResult, Source};
use crate::target::Target;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The tables read, with the protocol name each gives its sockets.
const TABLES: &[(&str, &str)] = &[
    ("/proc/net/tcp", "tcp"),
    ("/proc/net/tcp6", "tcp6"),
    ("/proc/net/udp", "udp"),
    ("/proc/net/udp6", "udp6"),
];

/// TCP_LISTEN in the kernel's state numbering.
const TCP_LISTEN: u8 = 0x0A;
/// TCP_CLOSE, which an unconnected UDP socket reports.
const UDP_UNCONNECTED: u8 = 0x07;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Socket {
    /// `tcp`, `tcp6`, `udp` or `udp6`.
    pub protocol: String,
    /// The local address in its usual text form: `0.0.0.0`, `::`, `::1`.
    pub address: String,
    pub port: u16,
    pub inode: u64,
    pub uid: u32,
    /// The process owning the socket (its `comm`), when /proc/<pid>/fd
    /// could be read, which needs root for other users' processes. Among
    /// processes sharing a socket (a forking server) the lowest pid, usually
    /// the parent, is named.
    pub process: Option<String>,
    pub source: Source,
}

/// Parses one /proc/net/{tcp,tcp6,udp,udp6} table, keeping the listening
/// sockets: TCP in LISTEN state, and UDP sockets not connected to a peer.
pub fn parse_proc_net(text: &str, file: &str, protocol: &str) -> (Vec<Socket>, Vec<Diagnostic>) {
    let mut sockets = Vec::new();
    let mut diags = Vec::new();
    let is_tcp = protocol.starts_with("tcp");
    for (idx, line) in text.lines().enumerate() {
        let line_no = u32::try_from(idx.saturating_add(1)).unwrap_or(u32::MAX);
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.first() {
            None => continue,
            Some(&"sl") => continue,
            Some(_) => {}
        }
        let parsed = parse_row(&fields);
        let Some(row) = parsed else {
            diags.push(
                Diagnostic::new(
                    file,
                    format!("unexpected socket table row `{}`", line.trim()),
                )
                .at(line_no, None),
            );
            continue;
        };
        let listening = if is_tcp {
            row.state == TCP_LISTEN
        } else {
            row.state == UDP_UNCONNECTED && row.remote_unspecified
        };
        if listening {
            sockets.push(Socket {
                protocol: protocol.to_string(),
                address: row.address,
                port: row.port,
                inode: row.inode,
                uid: row.uid,
                process: None,
                source: Source::line(file, line_no),
            });
        }
    }
    (sockets, diags)
}

/// The listening sockets of a live host, sorted by protocol, port and
/// address. Missing tables (IPv6 disabled) are skipped.
pub fn collect(target: &Target) -> FactResult<Vec<Socket>> {
    if !target.is_live() {
        return Err(FactError::RuntimeOnly {
            what: "listening sockets",
        });
    }
    let mut collected = read_listening(target)?;
    attach_processes(target, &mut collected.value);
    Ok(collected)
}

/// [`collect`] without the liveness check and process names, so tests can
/// use a fixture tree.
fn read_listening(target: &Target) -> FactResult<Vec<Socket>> {
    let mut sockets = Vec::new();
    let mut diags = Vec::new();
    for (path, protocol) in TABLES {
        let Some(text) = target.read_text(path)? else {
            continue;
        };
        let body = whole_lines(&text, &mut diags);
        let (found, file_diags) = parse_proc_net(body, &text.path, protocol);
        sockets.extend(found);
        diags.extend(file_diags);
    }
    sockets.sort_by(|a, b| {
        (&a.protocol, a.port, &a.address, a.inode).cmp(&(&b.protocol, b.port, &b.address, b.inode))
    });
    Ok(Collected::new(sockets, diags))
}

/// Names the owner of each socket by finding its inode among the
/// `socket:[inode]` links of /proc/<pid>/fd. Processes that cannot be read
/// (not root, or gone) are skipped: the name is an aid, not a fact rules
/// depend on.
fn attach_processes(target: &Target, sockets: &mut [Socket]) {
    let wanted: BTreeSet<u64> = sockets
        .iter()
        .filter(|s| s.inode != 0)
        .map(|s| s.inode)
        .collect();
    if wanted.is_empty() {
        return;
    }
    let Ok(Some(entries)) = target.read_dir("/proc") else {
        return;
    };
    let mut pids: Vec<u32> = entries
        .iter()
        .filter_map(|e| e.name.parse::<u32>().ok())
        .collect();
    pids.sort_unstable();
    let mut owners: HashMap<u64, String> = HashMap::new();
    for pid in pids {
        let Ok(Some(fds)) = target.read_dir(&format!("/proc/{pid}/fd")) else {
            continue;
        };
        let mut name: Option<Option<String>> = None;
        for fd in fds {
            let Ok(Some(link)) = target.read_link(&format!("/proc/{pid}/fd/{}", fd.name)) else {
                continue;
            };
            let Some(inode) = socket_inode(&link) else {
                continue;
            };
            if !wanted.contains(&inode) || owners.contains_key(&inode) {
                continue;
            }
            let name = name.get_or_insert_with(|| process_name(target, pid));
            if let Some(name) = name {
                owners.insert(inode, name.clone());
            }
        }
        if owners.len() == wanted.len() {
            break;
        }
    }
    for socket in sockets {
        socket.process = owners.get(&socket.inode).cloned();
    }
}

fn process_name(target: &Target, pid: u32) -> Option<String> {
    let text = target.read_text(&format!("/proc/{pid}/comm")).ok()??;
    let name = text.text.trim_end_matches('\n').to_string();
    (!name.is_empty()).then_some(name)
}

/// The inode of an fd link `socket:[12345]`.
fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

struct Row {
    address: String,
    port: u16,
    state: u8,
    remote_unspecified: bool,
    uid: u32,
    inode: u64,
}

/// The fields of a table row: `sl local remote st tx:rx tr:when retrnsmt
/// uid timeout inode ...`.
fn parse_row(fields: &[&str]) -> Option<Row> {
    let (address, port) = parse_endpoint(fields.get(1)?)?;
    let (_, remote_port) = parse_endpoint(fields.get(2)?)?;
    let remote_unspecified =
        remote_port == 0 && fields.get(2)?.split_once(':')?.0.bytes().all(|b| b == b'0');
    Some(Row {
        address,
        port,
        state: u8::from_str_radix(fields.get(3)?, 16).ok()?,
        remote_unspecified,
        uid: fields.get(7)?.parse().ok()?,
        inode: fields.get(9)?.parse().ok()?,
    })
}

/// Decodes `ADDR:PORT`. The kernel prints each 32-bit word of the address
/// as a number in host byte order, so the word's native-endian bytes are the
/// address bytes in network order; the port is printed as a number.
fn parse_endpoint(field: &str) -> Option<(String, u16)> {
    let (addr, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    if !addr.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = Vec::with_capacity(16);
    let mut rest = addr;
    while !rest.is_empty() {
        let (word, tail) = (rest.get(..8)?, rest.get(8..)?);
        bytes.extend_from_slice(&u32::from_str_radix(word, 16).ok()?.to_ne_bytes());
        rest = tail;
    }
    let address = match bytes.len() {
        4 => Ipv4Addr::from(<[u8; 4]>::try_from(bytes.as_slice()).ok()?).to_string(),
        16 => Ipv6Addr::from(<[u8; 16]>::try_from(bytes.as_slice()).ok()?).to_string(),
        _ => return None,
    };
    Some((address, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::testutil::{link, write};
    use std::fs;

    // Captured on x86_64 (little-endian): the words read reversed.
    const TCP: &str = "\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23456 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19873 1 0000000000000000 100 0 0 10 0
   2: 0F02000A:0016 0202000A:C8E4 01 00000000:00000000 02:0009FCFA 00000000     0        0 41020 4 0000000000000000 20 4 29 10 -1
   3: 3500007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 18001 1 0000000000000000 100 0 0 10 0
";

    const TCP6: &str = "\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0277 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 23457 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19875 1 0000000000000000 100 0 0 10 0
   2: 000080FE00000000FF0D56020FB0A3FE:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 52000 1 0000000000000000 100 0 0 10 0
   3: 0000000000000000FFFF00000100007F:0CEA 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 52001 1 0000000000000000 100 0 0 10 0
";

    const UDP: &str = "\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  355: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 19712 2 0000000000000000 0
  700: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 18000 2 0000000000000000 0
  812: 0F02000A:A1B2 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 61000 2 0000000000000000 0
";

    #[cfg(target_endian = "little")]
    #[test]
    fn parse_tcp_keeps_listening_sockets() {
        let (sockets, diags) = parse_proc_net(TCP, "/proc/net/tcp", "tcp");
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<(&str, u16, u32, u64)> = sockets
            .iter()
            .map(|s| (s.address.as_str(), s.port, s.uid, s.inode))
            .collect();
        assert_eq!(
            got,
            vec![
                ("127.0.0.1", 631, 0, 23456),
                ("0.0.0.0", 22, 0, 19873),
                ("127.0.0.53", 53, 101, 18001),
            ]
        );
        assert_eq!(sockets[0].protocol, "tcp");
        assert_eq!(sockets[0].source, Source::line("/proc/net/tcp", 2));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn parse_tcp6_addresses() {
        let (sockets, diags) = parse_proc_net(TCP6, "/proc/net/tcp6", "tcp6");
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<(&str, u16)> = sockets
            .iter()
            .map(|s| (s.address.as_str(), s.port))
            .collect();
        assert_eq!(
            got,
            vec![
                ("::1", 631),
                ("::", 22),
                ("fe80::256:dff:fea3:b00f", 8080),
                ("::ffff:127.0.0.1", 3306),
            ]
        );
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn parse_udp_keeps_unconnected_sockets() {
        let (sockets, diags) = parse_proc_net(UDP, "/proc/net/udp", "udp");
        assert!(diags.is_empty(), "{diags:?}");
        let got: Vec<(&str, u16)> = sockets
            .iter()
            .map(|s| (s.address.as_str(), s.port))
            .collect();
        assert_eq!(got, vec![("0.0.0.0", 68), ("127.0.0.53", 53)]);
    }

    #[test]
    fn udp_in_close_state_with_a_peer_is_not_listening() {
        let text = "0: 00000000:0044 0100007F:0000 07 0:0 0:0 0 0 0 7 2\n\
                    1: 00000000:0045 00000000:0035 07 0:0 0:0 0 0 0 8 2\n";
        let (sockets, diags) = parse_proc_net(text, "u", "udp");
        assert!(diags.is_empty(), "{diags:?}");
        assert!(sockets.is_empty());
    }

    #[test]
    fn parse_reports_bad_rows() {
        let text = "\
  sl  local_address rem_address   st
   0: 0100007F 00000000:0000 0A 0:0 0:0 0 0 0 1
   1: 0100007F:XYZ 00000000:0000 0A 0:0 0:0 0 0 0 1
   2: 0100007:0016 00000000:0000 0A 0:0 0:0 0 0 0 1
   3: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 uid 0 1
   4: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0

   5: 0100007F0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1
   6: +100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 1
   7: 0100007F:0016 00000000:0000 0A 0:0 0:0 0 0 0 9\r
";
        let (sockets, diags) = parse_proc_net(text, "t", "tcp");
        let lines: Vec<Option<u32>> = diags.iter().map(|d| d.line).collect();
        assert_eq!(
            lines,
            vec![
                Some(2),
                Some(3),
                Some(4),
                Some(5),
                Some(6),
                Some(8),
                Some(9)
            ]
        );
        assert_eq!(sockets.len(), 1);
        assert_eq!(sockets[0].inode, 9);
    }

    #[test]
    fn parse_odd_input_does_not_panic() {
        for text in [
            "",
            "sl",
            "0:",
            "0: :",
            "0: é:é é:é",
            "0: 0000000é:0 0:0 0A a b c d e f",
        ] {
            let _ = parse_proc_net(text, "f", "tcp6");
        }
    }

    #[test]
    fn collect_needs_a_live_target() {
        let dir = tempfile::tempdir().unwrap();
        let t = Target::root(dir.path()).unwrap();
        assert!(matches!(collect(&t), Err(FactError::RuntimeOnly { .. })));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn read_listening_sorts_and_names_owners() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        write(r, "/proc/net/tcp", TCP);
        write(r, "/proc/net/udp", UDP);
        // No tcp6/udp6: IPv6 disabled.
        write(r, "/proc/812/comm", "sshd\n");
        link(r, "/proc/812/fd/3", "socket:[19873]");
        link(r, "/proc/812/fd/0", "/dev/null");
        write(r, "/proc/900/comm", "sshd-worker\n");
        link(r, "/proc/900/fd/3", "socket:[19873]");
        write(r, "/proc/77/comm", "cupsd\n");
        link(r, "/proc/77/fd/7", "socket:[23456]");
        fs::create_dir_all(r.join("proc/self")).unwrap();

        let t = Target::root(r).unwrap();
        let mut got = read_listening(&t).unwrap();
        assert!(got.diagnostics.is_empty());
        attach_processes(&t, &mut got.value);
        let summary: Vec<(&str, u16, &str, Option<&str>)> = got
            .value
            .iter()
            .map(|s| {
                (
                    s.protocol.as_str(),
                    s.port,
                    s.address.as_str(),
                    s.process.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("tcp", 22, "0.0.0.0", Some("sshd")),
                ("tcp", 53, "127.0.0.53", None),
                ("tcp", 631, "127.0.0.1", Some("cupsd")),
                ("udp", 53, "127.0.0.53", None),
                ("udp", 68, "0.0.0.0", None),
            ]
        );
    }

    #[test]
    fn socket_inode_links() {
        assert_eq!(socket_inode("socket:[23456]"), Some(23456));
        assert_eq!(socket_inode("pipe:[23456]"), None);
        assert_eq!(socket_inode("socket:[]"), None);
        assert_eq!(socket_inode("socket:[12"), None);
    }
}
