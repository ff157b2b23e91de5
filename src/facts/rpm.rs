//! The rpm package database in its SQLite form (`rpmdb.sqlite`: RHEL 9,
//! Fedora, openSUSE). Each row of its `Packages` table is an rpm header: a
//! count of index entries, the size of a data store, 16-byte entries (tag,
//! type, offset, count, big-endian) and the store they point into.
//!
//! The file is read through the target like any other, then handed to SQLite
//! as a read-only in-memory database: SQLite never opens a file of the
//! scanned system, and a symlink or special file there is refused as
//! elsewhere.

use super::packages::Package;
use crate::diag::Diagnostic;
use crate::facts::Source;
use rusqlite::{Connection, OpenFlags};

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_ARCH: u32 = 1022;
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
/// Headers claiming more entries than this are corrupt (real ones hold a
/// few hundred).
const MAX_ENTRIES: usize = 1 << 16;

/// What posture reads of one header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
}

impl Header {
    /// `[epoch:]version-release`, as `rpm -q --qf '%{EVR}'` prints it.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let bytes = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

/// Decodes a header blob; `None` when it is malformed or lacks a name,
/// version or release.
pub fn parse_header(blob: &[u8]) -> Option<Header> {
    let entries = usize::try_from(be32(blob, 0)?).ok()?;
    let store_len = usize::try_from(be32(blob, 4)?).ok()?;
    if entries > MAX_ENTRIES {
        return None;
    }
    let store_at = 8 + entries * 16;
    let store = blob.get(store_at..store_at.checked_add(store_len)?)?;
    let (mut name, mut version, mut release, mut epoch, mut arch) = (None, None, None, None, None);
    for i in 0..entries {
        let at = 8 + i * 16;
        let (tag, kind) = (be32(blob, at)?, be32(blob, at + 4)?);
        let offset = usize::try_from(be32(blob, at + 8)?).ok()?;
        let string = || -> Option<String> {
            let rest = store.get(offset..)?;
            let end = rest.iter().position(|&b| b == 0)?;
            Some(String::from_utf8_lossy(&rest[..end]).into_owned())
        };
        match (tag, kind) {
            (TAG_NAME, TYPE_STRING) => name = string(),
            (TAG_VERSION, TYPE_STRING) => version = string(),
            (TAG_RELEASE, TYPE_STRING) => release = string(),
            (TAG_ARCH, TYPE_STRING) => arch = string(),
            (TAG_EPOCH, TYPE_INT32) => epoch = be32(store, offset),
            _ => {}
        }
    }
    Some(Header {
        name: name?,
        version: version?,
        release: release?,
        epoch,
        arch,
    })
}

/// The packages of an `rpmdb.sqlite` file's bytes, with a diagnostic for
/// each header that cannot be decoded; `Err` when SQLite cannot read it.
pub fn parse_sqlite(
    bytes: &[u8],
    path: &str,
) -> Result<(Vec<Package>, Vec<Diagnostic>), Diagnostic> {
    read_sqlite(bytes, path).map_err(|e| {
        Diagnostic::new(
            path,
            format!("cannot read the rpm database: {e}; rpm packages are not listed"),
        )
    })
}

fn read_sqlite(
    bytes: &[u8],
    path: &str,
) -> Result<(Vec<Package>, Vec<Diagnostic>), Box<dyn std::error::Error>> {
    // An in-memory database from the bytes: SQLite reads the copy, never
    // the target.
    let mut db = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    db.deserialize_read_exact("main", bytes, bytes.len(), true)?;
    let mut packages = Vec::new();
    let mut diags = Vec::new();
    let mut query = db.prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")?;
    let mut rows = query.query([])?;
    while let Some(row) = rows.next()? {
        let hnum: i64 = row.get(0)?;
        let blob: Vec<u8> = row.get(1)?;
        match parse_header(&blob) {
            Some(h) => packages.push(Package {
                version: h.evr(),
                arch: h.arch.filter(|a| a != "(none)"),
                manager: "rpm".to_string(),
                state: "installed".to_string(),
                source: Source {
                    file: path.to_string(),
                    line: None,
                },
                name: h.name,
            }),
            None => diags.push(Diagnostic::new(
                path,
                format!("package header {hnum} is malformed; it is skipped"),
            )),
        }
    }
    drop(rows);
    Ok((packages, diags))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A header blob with the given (tag, type, data) entries.
    pub(crate) fn header(entries: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut store = Vec::new();
        for (tag, kind, data) in entries {
            if *kind == TYPE_INT32 {
                while store.len() % 4 != 0 {
                    store.push(0);
                }
            }
            for v in [*tag, *kind, store.len() as u32, 1] {
                index.extend_from_slice(&v.to_be_bytes());
            }
            store.extend_from_slice(data);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(store.len() as u32).to_be_bytes());
        blob.extend(index);
        blob.extend(store);
        blob
    }

    fn s(text: &str) -> Vec<u8> {
        let mut v = text.as_bytes().to_vec();
        v.push(0);
        v
    }

    pub(crate) fn package(name: &str, version: &str, release: &str, epoch: Option<u32>) -> Vec<u8> {
        let mut e = vec![
            (TAG_NAME, TYPE_STRING, s(name)),
            (TAG_VERSION, TYPE_STRING, s(version)),
            (TAG_RELEASE, TYPE_STRING, s(release)),
            (TAG_ARCH, TYPE_STRING, s("x86_64")),
        ];
        if let Some(epoch) = epoch {
            e.push((TAG_EPOCH, TYPE_INT32, epoch.to_be_bytes().to_vec()));
        }
        header(&e)
    }

    /// The bytes of an rpmdb.sqlite holding these header blobs.
    pub(crate) fn database(blobs: &[Vec<u8>]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        for b in blobs {
            db.execute("INSERT INTO Packages (blob) VALUES (?1)", [b])
                .unwrap();
        }
        drop(db);
        std::fs::read(path).unwrap()
    }

    #[test]
    fn headers_decode_and_malformed_ones_are_skipped() {
        let h = parse_header(&package("openssh-server", "8.7p1", "38.el9", Some(1))).unwrap();
        assert_eq!(h.name, "openssh-server");
        assert_eq!(h.evr(), "1:8.7p1-38.el9");
        assert_eq!(h.arch.as_deref(), Some("x86_64"));
        let blob = package("bash", "5.1.8", "9.el9", None);
        assert_eq!(parse_header(&blob).unwrap().evr(), "5.1.8-9.el9");
        // Every truncation is refused, never a panic.
        for cut in 0..blob.len() {
            assert!(parse_header(&blob[..cut]).is_none(), "cut at {cut}");
        }
        assert!(parse_header(&[0xff; 64]).is_none());
    }

    #[test]
    fn sqlite_database_lists_packages() {
        let bytes = database(&[
            package("audit", "3.1.5", "1.el9", None),
            b"garbage".to_vec(),
            package("sudo", "1.9.5p2", "10.el9_3", None),
        ]);
        let (pkgs, diags) = parse_sqlite(&bytes, "/var/lib/rpm/rpmdb.sqlite").unwrap();
        let names: Vec<_> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            names,
            [("audit", "3.1.5-1.el9"), ("sudo", "1.9.5p2-10.el9_3")],
            "{diags:?}"
        );
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].message.contains("header 2 is malformed"));
        let err = parse_sqlite(b"SQLite format 3\0 but cut", "/x").unwrap_err();
        assert!(
            err.message.contains("cannot read the rpm database"),
            "{err:?}"
        );
    }
}
