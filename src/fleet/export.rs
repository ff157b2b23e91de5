//! Flat rows for analytics engines: one row per (host, scan, rule), as
//! Parquet (DuckDB, Spark, ClickHouse, pandas) or NDJSON (OpenSearch and
//! Elasticsearch bulk loads, `jq`). The columns are documented in
//! `docs/fleet.md`; [`COLUMNS`] is their order.
//!
//! Reports are read in parallel like `posture aggregate`'s; the worker that
//! reads a report also encodes its rows (an Arrow batch or NDJSON lines),
//! and a single writer appends them through a bounded channel, so memory
//! holds a few reports and one row group, not the fleet. Row order follows reading order, which is not
//! fixed: sort in the query.

use super::read;
use super::{seen, Filters, Skipped, StrictError, Warning};
use crate::engine::{Evidence, Outcome};
use crate::policy::Severity;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, ListBuilder, StringBuilder, TimestampMillisecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use rayon::prelude::*;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex};

/// Rows per Parquet row group.
const BATCH_ROWS: usize = 65_536;

/// The columns, in order, with their meaning (also in `docs/fleet.md`).
pub const COLUMNS: [(&str, &str); 19] = [
    (
        "host",
        "the host: `target.hostname`, else `target.root`, else the file's path",
    ),
    ("tags", "the target's tags, a list"),
    ("os", "`target.os.id`: debian, ubuntu, rhel, ..."),
    ("scan_id", "the scan's UUID"),
    ("scanned_at", "when the scan started (UTC)"),
    (
        "score",
        "the report's score, 0 to 100, recomputed from its results",
    ),
    ("policy", "the policy id"),
    ("policy_version", "the policy's version"),
    ("section", "the rule's area (ssh, pam, ...)"),
    ("rule_id", "the rule id"),
    ("title", "the rule's title"),
    ("severity", "info, low, medium, high or critical"),
    ("outcome", "pass, fail, not_applicable, error or waived"),
    ("waived", "true when a waiver in force covers the failure"),
    (
        "waiver_expires",
        "the covering (or expired) waiver's last day, YYYY-MM-DD",
    ),
    (
        "references",
        "framework:id strings, e.g. nist-800-53:AC-6(2), a list",
    ),
    ("nist", "the NIST 800-53 control ids alone, a list"),
    ("reason", "why the rule is not_applicable or error"),
    ("evidence", "one line on what was found"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Apache Parquet, Snappy-compressed, one row group per 65,536 rows.
    Parquet,
    /// One JSON object per line.
    Ndjson,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Parquet => "parquet",
            ExportFormat::Ndjson => "ndjson",
        }
    }
}

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Exported {
    /// Reports written, duplicates, conflicts and recomputed summaries,
    /// counted as `posture aggregate` counts them.
    pub counts: super::seen::Counts,
    pub rows: usize,
    pub skipped: Vec<Skipped>,
    pub skipped_count: usize,
}

/// One flat row, borrowing from its report.
struct Row<'a> {
    host: &'a str,
    tags: &'a [String],
    os: &'a str,
    scan_id: &'a str,
    scanned_at: &'a str,
    scanned_at_ms: Option<i64>,
    score: f64,
    policy: &'a str,
    policy_version: &'a str,
    section: &'a str,
    rule_id: &'a str,
    title: &'a str,
    severity: &'static str,
    outcome: &'static str,
    waived: bool,
    waiver_expires: Option<&'a str>,
    references: Vec<String>,
    nist: &'a [String],
    reason: Option<&'a str>,
    evidence: String,
}

/// What export needs of a result: rule texts other than the title are
/// skipped, and strings borrow from the file's bytes where they can.
#[derive(Deserialize)]
struct ResultRow<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    title: Cow<'a, str>,
    severity: Severity,
    #[serde(borrow)]
    policy: Cow<'a, str>,
    #[serde(borrow, default)]
    section: Cow<'a, str>,
    #[serde(default)]
    references: BTreeMap<String, Vec<String>>,
    outcome: Outcome,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    evidence: Vec<Evidence>,
    #[serde(borrow, default)]
    waiver: Option<WaiverView<'a>>,
}

#[derive(Deserialize)]
struct WaiverView<'a> {
    #[serde(borrow, default)]
    expires: Option<Cow<'a, str>>,
}

/// A result without its references and evidence, for a report whose JSON
/// is too deep or has too many values to parse those (they allocate per
/// value): its other columns are still written.
#[derive(Deserialize)]
struct ResultLite<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    title: Cow<'a, str>,
    severity: Severity,
    #[serde(borrow)]
    policy: Cow<'a, str>,
    #[serde(borrow, default)]
    section: Cow<'a, str>,
    outcome: Outcome,
    #[serde(default)]
    reason: Option<String>,
    #[serde(borrow, default)]
    waiver: Option<WaiverView<'a>>,
}

impl<'a> From<ResultLite<'a>> for ResultRow<'a> {
    fn from(r: ResultLite<'a>) -> Self {
        ResultRow {
            id: r.id,
            title: r.title,
            severity: r.severity,
            policy: r.policy,
            section: r.section,
            references: BTreeMap::new(),
            outcome: r.outcome,
            reason: r.reason,
            evidence: Vec::new(),
            waiver: r.waiver,
        }
    }
}

read::result_view!(ResultLite);

/// A report's rows: with references and evidence when its JSON is within
/// the bounds of [`crate::report::read::check_shape`], else without them
/// and with the reason. Either way the same reports are read as
/// `posture aggregate` reads.
fn view(bytes: &[u8]) -> Result<(read::Read<'_, ResultRow<'_>>, Option<String>), String> {
    match crate::report::read::check_shape(bytes) {
        Ok(()) => read::report::<ResultRow>(bytes).map(|r| (r, None)),
        Err(why) => {
            read::report::<ResultLite>(bytes).map(|r| (r.map_results(ResultRow::from), Some(why)))
        }
    }
}

read::result_view!(ResultRow);

fn rows_of<'a>(
    read: &'a read::Read<'a, ResultRow<'a>>,
    host: &'a str,
    filters: &Filters,
) -> Vec<Row<'a>> {
    let report = &read.digest;
    let at_ms = millis(&report.scan.started_at);
    report
        .results
        .iter()
        .filter(|r| filters.keeps_rule(&r.id, r.severity))
        .map(|r| Row {
            host,
            tags: &report.target.tags,
            os: report.target.os.as_ref().map_or("", |o| &o.id),
            scan_id: &report.scan.id,
            scanned_at: &report.scan.started_at,
            scanned_at_ms: at_ms,
            score: read.score,
            policy: &r.policy,
            policy_version: report
                .policies
                .iter()
                .find(|p| p.id == r.policy)
                .map_or("", |p| &p.version),
            section: &r.section,
            rule_id: &r.id,
            title: &r.title,
            severity: r.severity.as_str(),
            outcome: r.outcome.as_str(),
            waived: r.outcome == Outcome::Waived,
            waiver_expires: r.waiver.as_ref().and_then(|w| w.expires.as_deref()),
            references: r
                .references
                .iter()
                .flat_map(|(f, ids)| ids.iter().map(move |id| format!("{f}:{id}")))
                .collect(),
            nist: r
                .references
                .get("nist-800-53")
                .map_or(&[][..], Vec::as_slice),
            reason: r.reason.as_deref(),
            evidence: if r.evidence.is_empty() {
                String::new()
            } else {
                crate::report::found(&r.evidence)
            },
        })
        .collect()
}

/// Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
fn millis(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20 || !t.ends_with('Z') || b[10] != b'T' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let ms = match t.get(19..t.len() - 1) {
        Some("") => 0,
        Some(frac) if frac.starts_with('.') && frac.len() > 1 => {
            let digits = &frac[1..frac.len().min(4)];
            digits.parse::<i64>().ok()? * 10i64.pow(3 - digits.len() as u32)
        }
        _ => return None,
    };
    if !crate::waiver::is_date(&t[..10]) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + s * 1000 + ms)
}

fn schema() -> Arc<Schema> {
    let list = || DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    let utf8 = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        utf8("host", false),
        Field::new("tags", list(), false),
        utf8("os", false),
        utf8("scan_id", false),
        Field::new(
            "scanned_at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
        Field::new("score", DataType::Float64, false),
        utf8("policy", false),
        utf8("policy_version", false),
        utf8("section", false),
        utf8("rule_id", false),
        utf8("title", false),
        utf8("severity", false),
        utf8("outcome", false),
        Field::new("waived", DataType::Boolean, false),
        utf8("waiver_expires", true),
        Field::new("references", list(), false),
        Field::new("nist", list(), false),
        utf8("reason", true),
        utf8("evidence", false),
    ]))
}

fn batch<'a>(rows: &'a [Row<'a>], schema: &Arc<Schema>) -> Result<RecordBatch, String> {
    let strings = |f: &dyn Fn(&'a Row<'a>) -> &'a str| -> ArrayRef {
        let mut b = StringBuilder::new();
        for r in rows {
            b.append_value(f(r));
        }
        Arc::new(b.finish())
    };
    let optional = |f: &dyn Fn(&'a Row<'a>) -> Option<&'a str>| -> ArrayRef {
        let mut b = StringBuilder::new();
        for r in rows {
            b.append_option(f(r));
        }
        Arc::new(b.finish())
    };
    let lists = |f: &dyn Fn(&'a Row<'a>) -> &'a [String]| -> ArrayRef {
        let mut b = ListBuilder::new(StringBuilder::new());
        for r in rows {
            for item in f(r) {
                b.values().append_value(item);
            }
            b.append(true);
        }
        Arc::new(b.finish())
    };
    let mut at = TimestampMillisecondBuilder::new().with_timezone("UTC");
    let mut score = Float64Builder::new();
    let mut waived = BooleanBuilder::new();
    for r in rows {
        at.append_option(r.scanned_at_ms);
        score.append_value(r.score);
        waived.append_value(r.waived);
    }
    let columns: Vec<ArrayRef> = vec![
        strings(&|r| r.host),
        lists(&|r| r.tags),
        strings(&|r| r.os),
        strings(&|r| r.scan_id),
        Arc::new(at.finish()),
        Arc::new(score.finish()),
        strings(&|r| r.policy),
        strings(&|r| r.policy_version),
        strings(&|r| r.section),
        strings(&|r| r.rule_id),
        strings(&|r| r.title),
        strings(&|r| r.severity),
        strings(&|r| r.outcome),
        Arc::new(waived.finish()),
        optional(&|r| r.waiver_expires),
        lists(&|r| &r.references),
        lists(&|r| r.nist),
        optional(&|r| r.reason),
        strings(&|r| &r.evidence),
    ];
    RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())
}

fn ndjson_line(r: &Row, bulk_index: Option<&str>, out: &mut Vec<u8>) {
    if let Some(index) = bulk_index {
        let action = serde_json::json!({
            "index": { "_index": index, "_id": format!("{}/{}", r.scan_id, r.rule_id) }
        });
        let _ = serde_json::to_writer(&mut *out, &action);
        out.push(b'\n');
    }
    let doc = serde_json::json!({
        "host": r.host,
        "tags": r.tags,
        "os": r.os,
        "scan_id": r.scan_id,
        "scanned_at": r.scanned_at,
        "score": r.score,
        "policy": r.policy,
        "policy_version": r.policy_version,
        "section": r.section,
        "rule_id": r.rule_id,
        "title": r.title,
        "severity": r.severity,
        "outcome": r.outcome,
        "waived": r.waived,
        "waiver_expires": r.waiver_expires,
        "references": r.references,
        "nist": r.nist,
        "reason": r.reason,
        "evidence": r.evidence,
    });
    let _ = serde_json::to_writer(&mut *out, &doc);
    out.push(b'\n');
}

/// One report's rows, encoded by the worker that read it.
enum Chunk {
    Batch(RecordBatch),
    Lines(Vec<u8>),
}

fn encode(
    rows: &[Row],
    format: ExportFormat,
    schema: &Arc<Schema>,
    bulk_index: Option<&str>,
) -> Result<Chunk, String> {
    Ok(match format {
        ExportFormat::Parquet => Chunk::Batch(batch(rows, schema)?),
        ExportFormat::Ndjson => {
            let mut buf = Vec::with_capacity(rows.len() * 1024);
            for r in rows {
                ndjson_line(r, bulk_index, &mut buf);
            }
            Chunk::Lines(buf)
        }
    })
}

/// The writer side: Parquet or NDJSON into the output.
enum Sink<W: Write + Send> {
    Parquet(Box<parquet::arrow::ArrowWriter<W>>),
    Ndjson(std::io::BufWriter<W>),
}

impl<W: Write + Send> Sink<W> {
    fn write(&mut self, chunk: Chunk) -> Result<(), String> {
        match (self, chunk) {
            (Sink::Parquet(w), Chunk::Batch(b)) => w
                .write(&b)
                .map_err(|e| format!("cannot write Parquet: {e}")),
            (Sink::Ndjson(w), Chunk::Lines(bytes)) => w
                .write_all(&bytes)
                .map_err(|e| format!("cannot write: {e}")),
            _ => Err("internal error: a chunk of the wrong format".into()),
        }
    }

    fn finish(self) -> Result<(), String> {
        match self {
            Sink::Parquet(w) => w
                .close()
                .map(|_| ())
                .map_err(|e| format!("cannot write Parquet: {e}")),
            Sink::Ndjson(mut w) => w.flush().map_err(|e| format!("cannot write: {e}")),
        }
    }
}

/// Reads the reports under `paths` and writes their rows to `out`.
/// `bulk_index` (NDJSON only) puts an Elasticsearch/OpenSearch `_bulk`
/// action line before each row, with `_id` scan id and rule id so a reload
/// replaces rather than duplicates.
#[allow(clippy::too_many_arguments)]
pub fn export<W: Write + Send>(
    paths: &[PathBuf],
    filters: &Filters,
    format: ExportFormat,
    bulk_index: Option<&str>,
    strict: bool,
    out: W,
    warn: &(dyn Fn(Warning) + Sync),
) -> Result<Exported, ExportError> {
    let schema = schema();
    let mut sink = match format {
        ExportFormat::Parquet => {
            let props = parquet::file::properties::WriterProperties::builder()
                .set_compression(parquet::basic::Compression::SNAPPY)
                .set_max_row_group_row_count(Some(BATCH_ROWS))
                .build();
            let w = parquet::arrow::ArrowWriter::try_new(out, schema.clone(), Some(props))
                .map_err(|e| ExportError::Write(e.to_string()))?;
            Sink::Parquet(Box::new(w))
        }
        ExportFormat::Ndjson => Sink::Ndjson(std::io::BufWriter::with_capacity(1 << 20, out)),
    };
    let skipped = Mutex::new(Exported::default());
    // A report copied into two directories must not count twice in every
    // query: the same rule as `posture aggregate`'s.
    let seen = seen::Seen::default();
    // Workers encode each report's rows (the costly part, in parallel); the
    // writer only appends, and the Parquet writer cuts row groups.
    let (tx, rx) = mpsc::sync_channel::<(usize, Chunk)>(8);
    let result = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<usize, String> {
            let mut rows = 0;
            for (n, chunk) in rx {
                sink.write(chunk)?;
                rows += n;
            }
            sink.finish()?;
            Ok(rows)
        });
        let read = read::files(paths).par_bridge().try_for_each_with(
            tx,
            |tx, item| -> Result<(), ExportError> {
                let (path, bytes) = match item {
                    Ok(p) => {
                        let bytes = read::read(&p);
                        (p, bytes)
                    }
                    Err((p, reason)) => (p, Err(reason)),
                };
                let view = bytes.as_ref().map_err(Clone::clone).and_then(|b| view(b));
                match view {
                    Ok((report, unread)) => {
                        let host = report.host(&path);
                        let mut counts = seen::Counts::default();
                        let admitted =
                            seen::admit(&report, &host, &path, filters, &seen, warn, &mut counts);
                        skipped
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .counts
                            .add(counts);
                        if !admitted {
                            return Ok(());
                        }
                        if let Some(why) = unread {
                            warn(Warning::Note {
                                file: &path.display().to_string(),
                                note: &format!("references and evidence not exported: {why}"),
                            });
                        }
                        let rows = rows_of(&report, &host, filters);
                        let chunk = encode(&rows, format, &schema, bulk_index)
                            .map_err(ExportError::Write)?;
                        // The writer stopped (a write error): nothing more to do.
                        tx.send((rows.len(), chunk))
                            .map_err(|_| ExportError::Write("writer stopped".into()))
                    }
                    Err(reason) => {
                        let file = path.display().to_string();
                        if strict {
                            return Err(ExportError::Strict(StrictError { file, reason }));
                        }
                        warn(Warning::Skipped {
                            file: &file,
                            reason: &reason,
                        });
                        let mut s = skipped.lock().unwrap_or_else(|e| e.into_inner());
                        s.skipped_count += 1;
                        if s.skipped.len() < 1000 {
                            s.skipped.push(Skipped { file, reason });
                        }
                        Ok(())
                    }
                }
            },
        );
        let written = writer
            .join()
            .unwrap_or_else(|_| Err("the writer thread panicked".into()));
        match (read, written) {
            (Err(ExportError::Write(_)), Err(w)) | (Ok(()), Err(w)) => Err(ExportError::Write(w)),
            (Err(e), _) => Err(e),
            (Ok(()), Ok(rows)) => Ok(rows),
        }
    });
    let rows = result?;
    let mut done = skipped.into_inner().unwrap_or_else(|e| e.into_inner());
    done.rows = rows;
    Ok(done)
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Strict(StrictError),
    #[error("{0}")]
    Write(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_to_epoch_millis() {
        assert_eq!(millis("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(millis("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(millis("2026-11-23T09:30:45.123Z"), Some(1_795_426_245_123));
        assert_eq!(millis("2000-02-29T00:00:00.000Z"), Some(951_782_400_000));
        for bad in [
            "",
            "2026-11-23",
            "2026-11-23T09:30:45",
            "2026-02-30T00:00:00Z",
            "2026-11-23T25:00:00Z",
            "2026-11-23T09:30:45+01:00",
        ] {
            assert_eq!(millis(bad), None, "{bad}");
        }
    }
}
