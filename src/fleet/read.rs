//! Finding report files and reading the part of each that aggregation needs.
//!
//! Reports are read whole (gzip or plain, told apart by their first bytes)
//! and parsed into a [`Digest`] that borrows from the text: evidence,
//! descriptions and remediation are skipped without being allocated, which
//! is most of a report's bytes.

use crate::engine::Outcome;
use crate::policy::Severity;
use crate::report::READABLE_MAJORS;
use serde::Deserialize;
use std::borrow::Cow;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files larger than this are not reports (a full scan is about 1 MiB).
const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// Every report file under `paths`: files given by name whatever they are
/// called, and in directories (recursively, not following links) the files
/// named `*.json` or `*.json.gz`. Lazy, so a tree of millions of reports
/// is never listed in memory; unreadable directories come out as errors.
pub fn files(paths: &[PathBuf]) -> impl Iterator<Item = Result<PathBuf, (PathBuf, String)>> + '_ {
    let mut given = paths.iter();
    let mut dirs: Vec<PathBuf> = Vec::new();
    // The report files of the directory listed last, in name order.
    let mut pending = std::collections::VecDeque::new();
    std::iter::from_fn(move || loop {
        if let Some(file) = pending.pop_front() {
            return Some(Ok(file));
        }
        if let Some(dir) = dirs.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => return Some(Err((dir, format!("cannot list: {e}")))),
            };
            let mut files = Vec::new();
            for entry in entries.flatten() {
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    dirs.push(entry.path());
                } else if kind.is_file() && is_report_name(&entry.path()) {
                    files.push(entry.path());
                }
            }
            files.sort();
            pending.extend(files);
            continue;
        }
        let path = given.next()?.clone();
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => dirs.push(path),
            Ok(_) => return Some(Ok(path)),
            Err(e) => return Some(Err((path, format!("cannot read: {e}")))),
        }
    })
}

fn is_report_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".json") || name.ends_with(".json.gz")
}

/// The bytes of a report file, gunzipped when they start with gzip's magic.
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let size = file.metadata().map_or(0, |m| m.len()).min(MAX_REPORT_BYTES);
    let mut raw = Vec::with_capacity(size as usize + 1);
    file.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| format!("cannot read: {e}"))?;
    if raw.len() as u64 > MAX_REPORT_BYTES {
        return Err(format!("larger than {} MiB", MAX_REPORT_BYTES >> 20));
    }
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    // Reports compress about 8:1.
    let mut out = Vec::with_capacity(raw.len().saturating_mul(8));
    flate2::read::MultiGzDecoder::new(&raw[..])
        .take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not a valid gzip file: {e}"))?;
    if out.len() as u64 > MAX_REPORT_BYTES {
        return Err(format!(
            "larger than {} MiB uncompressed",
            MAX_REPORT_BYTES >> 20
        ));
    }
    Ok(out)
}

/// What aggregation needs of a report.
#[derive(Debug, Deserialize)]
pub struct Digest<'a> {
    #[serde(borrow)]
    pub schema_version: Cow<'a, str>,
    #[serde(borrow)]
    pub scan: ScanPart<'a>,
    #[serde(borrow)]
    pub target: TargetPart<'a>,
    pub summary: SummaryPart,
    #[serde(borrow)]
    pub results: Vec<ResultPart<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct ScanPart<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub started_at: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
pub struct TargetPart<'a> {
    #[serde(borrow)]
    pub hostname: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub root: Option<Cow<'a, str>>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct SummaryPart {
    pub score: f64,
}

#[derive(Debug, Deserialize)]
pub struct ResultPart<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub title: Cow<'a, str>,
    pub severity: Severity,
    pub outcome: Outcome,
}

/// Parses a report's digest; the error says why the file is not one this
/// build can aggregate.
pub fn digest(bytes: &[u8]) -> Result<Digest<'_>, String> {
    parse(bytes, |d: &Digest| &d.schema_version)
}

/// Parses a report into `T`, a view that borrows from `bytes`, and checks
/// its schema version (read by `version`).
pub fn parse<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    version: impl Fn(&T) -> &str,
) -> Result<T, String> {
    // Validating UTF-8 up front (vectorized) lets the parser skip the
    // check inside every string it passes over.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("not JSON: invalid UTF-8 at byte {}", e.valid_up_to()))?;
    match serde_json::from_str::<T>(text) {
        Ok(d) => {
            check_version(version(&d))?;
            Ok(d)
        }
        Err(e) => {
            // A report of another major version may fail to parse for
            // that reason: say so rather than "missing field".
            #[derive(Deserialize)]
            struct Version<'a> {
                #[serde(borrow)]
                schema_version: Option<Cow<'a, str>>,
            }
            if let Ok(Version {
                schema_version: Some(v),
            }) = serde_json::from_str::<Version>(text)
            {
                check_version(&v)?;
            }
            Err(if e.is_syntax() || e.is_eof() {
                format!("not JSON: {e}")
            } else {
                format!("not a posture report: {e}")
            })
        }
    }
}

fn check_version(version: &str) -> Result<(), String> {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u64>().ok());
    if major.is_some_and(|m| READABLE_MAJORS.contains(&m)) {
        Ok(())
    } else {
        Err(format!(
            "report schema version {version} is not supported (this posture reads {}); aggregate it with the posture version that wrote it",
            READABLE_MAJORS.map(|m| format!("{m}.x")).join(" and ")
        ))
    }
}
