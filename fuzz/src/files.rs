//! A set of files described by one input, for the targets that read more
//! than one file (sshd and sudoers includes, a whole root).
//!
//! The input is text records, each starting with a header line `@@ K PATH`:
//!
//! ```text
//! @@ f /etc/ssh/sshd_config
//! Include /etc/ssh/sshd_config.d/*.conf
//! @@ l /etc/passwd -> ../../outside/passwd
//! @@ d /etc/ssh/sshd_config.d
//! @@ p /etc/shadow
//! @@ s /etc/login.defs 4294967296
//! ```
//!
//! Kinds: `f` file (the lines up to the next header are its content), `l`
//! symlink, `d` directory, `p` FIFO, `s` sparse file of the given size, `c`
//! character device (/dev/zero), `u` a file that cannot be read, `r` a
//! file whose content is the body repeated (`@@ r /etc/passwd 100000`,
//! `$N` in the body standing for the repetition's number). A header
//! of a file or directory may end with ` #MODE` (octal, e.g. ` #0777`).
//! Text before the first header is the content of the default file. A
//! readable format lets the seed corpus be written by hand and from
//! fixtures.

/// At most this many entries: enough for includes of includes, and an
/// input stays cheap to build on disk.
pub const MAX_ENTRIES: usize = 64;

/// The bytes `r` entries of one input may make: past the target's read
/// limit (16 MiB), so that cut files are tried too.
pub const MAX_REPEAT_BYTES: usize = 24 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File(Vec<u8>),
    Link(String),
    Dir,
    Fifo,
    Sparse(u64),
    CharDevice,
    Unreadable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// As written: absolute or not, with `.` and `..` components kept.
    pub path: String,
    pub kind: Kind,
    /// Permission bits given with ` #MODE`.
    pub mode: Option<u32>,
}

const HEADER: &[u8] = b"@@ ";

/// The entries of `data`; text before the first header belongs to
/// `default_path`.
pub fn decode(data: &[u8], default_path: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut records = split(data).into_iter();
    if !data.starts_with(HEADER) {
        if let Some(first) = records.next() {
            out.push(Entry {
                path: default_path.to_string(),
                kind: Kind::File(first.to_vec()),
                mode: None,
            });
        }
    }
    let mut repeat_budget = MAX_REPEAT_BYTES;
    for record in records {
        if out.len() >= MAX_ENTRIES {
            break;
        }
        let record = record.strip_prefix(HEADER).unwrap_or(record);
        let (header, body) = match record.iter().position(|&b| b == b'\n') {
            Some(nl) => (&record[..nl], &record[nl + 1..]),
            None => (record, &[][..]),
        };
        let header = String::from_utf8_lossy(header);
        let mut chars = header.chars();
        let kind = chars.next();
        let rest = chars.as_str();
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        let (rest, mode) = match rest.rsplit_once(" #") {
            Some((path, mode)) if !mode.is_empty() && mode.len() <= 4 => {
                match u32::from_str_radix(mode, 8) {
                    Ok(m) => (path, Some(m)),
                    Err(_) => (rest, None),
                }
            }
            _ => (rest, None),
        };
        let (path, kind) = match kind.unwrap_or(' ') {
            'f' => (rest, Kind::File(body.to_vec())),
            'l' => match rest.split_once(" -> ") {
                Some((path, to)) => (path, Kind::Link(to.to_string())),
                None => continue,
            },
            'd' => (rest, Kind::Dir),
            'p' => (rest, Kind::Fifo),
            's' => {
                let (path, size) = rest.rsplit_once(' ').unwrap_or((rest, "0"));
                (path, Kind::Sparse(size.trim().parse().unwrap_or(0)))
            }
            'c' => (rest, Kind::CharDevice),
            'u' => (rest, Kind::Unreadable),
            'r' => {
                let (path, count) = rest.rsplit_once(' ').unwrap_or((rest, "1"));
                let count = count.trim().parse().unwrap_or(1);
                (path, Kind::File(repeat(body, count, &mut repeat_budget)))
            }
            _ => continue,
        };
        out.push(Entry {
            path: path.to_string(),
            kind,
            mode,
        });
    }
    out
}

/// `body` `count` times, `$N` replaced by 0, 1, ..., within `budget` bytes.
fn repeat(body: &[u8], count: u64, budget: &mut usize) -> Vec<u8> {
    let mut out = Vec::new();
    if body.is_empty() {
        return out;
    }
    for n in 0..count {
        let number = n.to_string();
        let mut i = 0;
        while i < body.len() {
            if body[i..].starts_with(b"$N") {
                out.extend_from_slice(number.as_bytes());
                i += 2;
            } else {
                out.push(body[i]);
                i += 1;
            }
        }
        if out.len() >= *budget {
            out.truncate(*budget);
            break;
        }
    }
    *budget -= out.len();
    out
}

/// `data` cut before each `\n@@ ` (the newline ends the previous record's
/// content) and at a leading `@@ `.
fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + 4 <= data.len() {
        if data[i] == b'\n' && &data[i + 1..i + 4] == HEADER {
            out.push(&data[start..=i]);
            start = i + 1;
            i += 4;
        } else {
            i += 1;
        }
    }
    out.push(&data[start..]);
    out
}

/// `path` made absolute with `.` and `..` resolved lexically (never above
/// `/`), as the in-memory file sets key their files.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: Kind, mode: Option<u32>) -> Entry {
        Entry {
            path: path.into(),
            kind,
            mode,
        }
    }

    #[test]
    fn decodes_records() {
        let data =
            b"A 1\n@@ f /x #0777\nB 2\n\n@@ l /y -> ../z\n@@ d /d\n@@ s /big 4096\n@@ q junk\n";
        assert_eq!(
            decode(data, "/main"),
            vec![
                entry("/main", Kind::File(b"A 1\n".to_vec()), None),
                entry("/x", Kind::File(b"B 2\n\n".to_vec()), Some(0o777)),
                entry("/y", Kind::Link("../z".into()), None),
                entry("/d", Kind::Dir, None),
                entry("/big", Kind::Sparse(4096), None),
            ]
        );
        assert_eq!(decode(b"@@ f /a", "/m")[0].path, "/a");
        assert_eq!(
            decode(b"@@ r /p 3\nu$N:x\n", "/m")[0].kind,
            Kind::File(b"u0:x\nu1:x\nu2:x\n".to_vec())
        );
        assert_eq!(normalize("a/../../b/./c/"), "/b/c");
    }
}
