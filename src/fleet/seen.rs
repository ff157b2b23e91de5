//! When two files are the same report: the one rule `aggregate` and
//! `export` share.
//!
//! A scan id is a random UUID drawn for each scan, so two files with the
//! same scan id are copies of one report (a copy in another directory, a
//! gzipped copy), whichever host they name: a copy counts once. But
//! reports are not signed, and a hostile or edited report may reuse
//! another's scan id. If the scan id alone decided, such a report would
//! hide the genuine one, and which of the two survives would depend on the
//! order files are read in. So a copy must also agree on everything the
//! fleet views use of it: the [`Identity`] of a report is a SHA-256 over
//! its scan id, host name, root, start time, tags and every result's rule,
//! severity and outcome. Files with the same scan id and identity are one
//! report; a file with a scan id already read but another identity is a
//! *conflict*: it is counted as a report of its own and named in a
//! warning, so nothing is hidden and the counts do not depend on reading
//! order.

use super::read::{Digest, ResultView};
use sha2::{Digest as _, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// What makes two files the same report (128 bits of a SHA-256).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity([u8; 16]);

impl Identity {
    pub fn of<R: ResultView>(d: &Digest<'_, R>) -> Identity {
        let mut h = Sha256::new();
        // Each field length-prefixed, so that no two reports hash the
        // same bytes by moving text from one field to the next.
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        fn opt(s: Option<&str>) -> &[u8] {
            // A byte no UTF-8 text holds: absent differs from every string.
            s.map_or(&[0xff][..], str::as_bytes)
        }
        field(d.scan.id.as_bytes());
        field(opt(d.target.hostname.as_deref()));
        field(opt(d.target.root.as_deref()));
        field(d.scan.started_at.as_bytes());
        field(&(d.target.tags.len() as u64).to_le_bytes());
        for t in &d.target.tags {
            field(t.as_bytes());
        }
        field(&(d.results.len() as u64).to_le_bytes());
        for r in &d.results {
            field(r.id().as_bytes());
            field(r.severity().as_str().as_bytes());
            field(r.outcome().as_str().as_bytes());
        }
        Identity(short(h.finalize().as_slice()))
    }
}

fn short(sha: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    out.copy_from_slice(&sha[..16]);
    out
}

/// What [`Seen::admit`] decided about a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// The first file with this scan id: count it.
    New,
    /// The same report as one read before: skip it, count a duplicate.
    Duplicate,
    /// Another report with a scan id already read: count it too, and warn.
    Conflict,
}

/// The reports read so far, shared by the reading threads: 48 bytes per
/// report, whatever its scan id (keys are hashes).
#[derive(Default)]
pub struct Seen {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Scan id hash → identity of the first report read with it.
    first: HashMap<[u8; 16], Identity>,
    /// Further identities met under a scan id (conflicts only).
    more: HashSet<([u8; 16], Identity)>,
}

impl Seen {
    pub fn admit(&self, scan_id: &str, identity: Identity) -> Admit {
        let id = short(Sha256::digest(scan_id.as_bytes()).as_slice());
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        match inner.first.get(&id) {
            None => {
                inner.first.insert(id, identity);
                Admit::New
            }
            Some(first) if *first == identity => Admit::Duplicate,
            Some(_) => {
                if inner.more.insert((id, identity)) {
                    Admit::Conflict
                } else {
                    Admit::Duplicate
                }
            }
        }
    }
}

/// The warning for a conflicting report.
pub fn conflict_note(scan_id: &str) -> String {
    format!(
        "scan id {scan_id} was read before in a report with another host, time, tags or results; both are counted, as two reports (a scan id is unique to one scan: one of them was edited or copied from the other)"
    )
}

/// How many reports reading counted, and of what kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Reports counted (kept by the filters, each once).
    pub reports: usize,
    /// Files that held a report counted already.
    pub duplicates: usize,
    /// Reports counted although another report had their scan id.
    pub conflicts: usize,
    /// Reports counted whose stored summary disagreed with their results.
    pub recomputed: usize,
}

impl Counts {
    pub fn add(&mut self, other: Counts) {
        self.reports += other.reports;
        self.duplicates += other.duplicates;
        self.conflicts += other.conflicts;
        self.recomputed += other.recomputed;
    }
}

/// Whether the report read from `file` counts, for `aggregate` and
/// `export` alike: the filters keep it (by `host`, the report's host as
/// [`super::read::Read::host`] names it, and start time) and it is not a
/// copy of one counted before. Conflicts and recomputed summaries are
/// counted and told to `warn`.
pub fn admit<R>(
    read: &super::read::Read<'_, R>,
    host: &str,
    file: &std::path::Path,
    filters: &super::Filters,
    seen: &Seen,
    warn: &(dyn Fn(super::Warning) + Sync),
    counts: &mut Counts,
) -> bool {
    let d = &read.digest;
    if !filters.keeps_report(host, &d.scan.started_at) {
        return false;
    }
    let file = file.display().to_string();
    match seen.admit(&d.scan.id, read.identity) {
        Admit::Duplicate => {
            counts.duplicates += 1;
            return false;
        }
        Admit::Conflict => {
            counts.conflicts += 1;
            warn(super::Warning::Note {
                file: &file,
                note: &conflict_note(&d.scan.id),
            });
        }
        Admit::New => {}
    }
    if let Some(note) = &read.disagreement {
        counts.recomputed += 1;
        warn(super::Warning::Note { file: &file, note });
    }
    counts.reports += 1;
    true
}
