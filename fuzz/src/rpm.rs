//! The rpm header parser: the input is one header blob; an input starting
//! with `S` is split into several blobs at `\n--\n` and put in an
//! rpmdb.sqlite `Packages` table, read back as posture reads the file.

use posture::facts::rpm;
use rusqlite::Connection;

pub fn run(data: &[u8]) {
    match data.split_first() {
        Some((b'S', rest)) => sqlite(rest),
        _ => {
            if let Some(h) = rpm::parse_header(data) {
                let _ = h.evr();
            }
        }
    }
}

fn sqlite(data: &[u8]) {
    let Ok(db) = Connection::open_in_memory() else {
        return;
    };
    db.execute_batch(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)",
    )
    .expect("create the Packages table");
    for blob in split(data) {
        db.execute("INSERT INTO Packages (blob) VALUES (?1)", [blob])
            .expect("insert a header");
    }
    let bytes = db.serialize("main").expect("serialize the database");
    let _ = rpm::parse_sqlite(&bytes, "/var/lib/rpm/rpmdb.sqlite");
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    let sep = b"\n--\n";
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + sep.len() <= data.len() {
        if &data[i..i + sep.len()] == sep {
            out.push(&data[start..i]);
            i += sep.len();
            start = i;
        } else {
            i += 1;
        }
    }
    out.push(&data[start..]);
    out
}
