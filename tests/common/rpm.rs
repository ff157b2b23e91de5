//! Writes rpm's SQLite package database for fixtures: an independent writer
//! of the format `src/facts/rpm.rs` reads (index entries of tag, type,
//! offset and count, big-endian, then the data store).

use std::path::Path;

fn header(name: &str, version: &str, release: &str) -> Vec<u8> {
    // (tag, type STRING = 6, value): name, version, release, arch.
    let fields = [
        (1000u32, name),
        (1001, version),
        (1002, release),
        (1022, "x86_64"),
    ];
    let (mut index, mut store) = (Vec::new(), Vec::new());
    for (tag, value) in fields {
        for v in [tag, 6, store.len() as u32, 1] {
            index.extend_from_slice(&v.to_be_bytes());
        }
        store.extend_from_slice(value.as_bytes());
        store.push(0);
    }
    let mut blob = (fields.len() as u32).to_be_bytes().to_vec();
    blob.extend_from_slice(&(store.len() as u32).to_be_bytes());
    blob.extend(index);
    blob.extend(store);
    blob
}

/// Writes `/var/lib/rpm/rpmdb.sqlite` under `root` with these packages,
/// each `name` or `name-version-release`.
pub fn write_database(root: &Path, packages: &[String]) {
    let path = root.join("var/lib/rpm/rpmdb.sqlite");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&path);
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
    )
    .unwrap();
    for p in packages {
        let mut parts = p.rsplitn(3, '-');
        let (release, version, name) = match (parts.next(), parts.next(), parts.next()) {
            (Some(r), Some(v), Some(n)) => (r, v, n),
            _ => ("1.el9", "1.0", p.as_str()),
        };
        db.execute(
            "INSERT INTO Packages (blob) VALUES (?1)",
            [header(name, version, release)],
        )
        .unwrap();
    }
}
