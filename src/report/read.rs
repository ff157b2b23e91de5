//! Reading saved reports: every command that reads one (`report`, `diff`,
//! `aggregate`, `export`) goes through here, so every report meets the
//! same bounds.
//!
//! A report is untrusted input: it may come from a compromised host or be
//! edited by hand. Reading one therefore costs bounded time and memory
//! whatever it holds (the bounds are stated in `docs/report-format.md`):
//!
//! - the file is at most [`MAX_REPORT_BYTES`], checked on its size before
//!   any byte is read (a stream is cut one byte past the limit), and a
//!   gzip stream at most that much once inflated;
//! - the JSON is at most [`MAX_DEPTH`] levels deep and holds at most
//!   [`MAX_VALUES`] values, checked by one pass over the bytes before
//!   anything is allocated for them: parsing turns a 2-byte `[]` into a
//!   value of 80 bytes, so the byte limit alone does not bound memory;
//! - it has at most [`MAX_RESULTS`] results, with rule ids of at most
//!   [`MAX_RULE_ID_BYTES`], so that work per result (waivers, drift,
//!   comparisons) stays bounded too, and its identity (scan id, start
//!   time, host name, root, tags) is short ([`check_identity`]).
//!
//! The `summary` of a report is never trusted: it is recomputed from the
//! results, which every reader uses, and a stored summary that disagrees
//! is reported (see [`Loaded::notes`]).

use super::{summarize, Report, Summary, READABLE_MAJORS};
use crate::engine::Outcome;
use crate::policy::Severity;
use serde::Deserialize;
use std::io::Read;
use std::path::Path;

/// Reports larger than this are refused (a scan of every built-in rule is
/// about 1 MiB).
pub const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// JSON nested deeper than this is refused (a report is about 8 levels
/// deep).
pub const MAX_DEPTH: usize = 64;

/// JSON with more values than this is refused: each array, object, key,
/// string, number, boolean and null counts one. A scan of every built-in
/// rule has about 19,000; a report of this many values takes at most about
/// 350 MB parsed (measured with the costliest values, `{"":{}}`).
pub const MAX_VALUES: usize = 2 * 1024 * 1024;

/// Reports with more results than this are refused.
pub const MAX_RESULTS: usize = 50_000;

/// Rule ids longer than this are refused.
pub const MAX_RULE_ID_BYTES: usize = 256;

/// A report's scan id, start time, host name and each tag are at most this
/// long: they are matched by waiver scopes and filters, and kept per report
/// and per host by `posture aggregate`.
pub const MAX_IDENTITY_BYTES: usize = 1024;

/// A report's `target.root` is at most this long (`PATH_MAX`).
pub const MAX_ROOT_BYTES: usize = 4096;

/// A report has at most this many tags.
pub const MAX_TAGS: usize = 64;

/// A report read from JSON, with what the reader noticed on the way.
#[derive(Debug)]
pub struct Loaded {
    pub report: Report,
    /// Things the user should know, one sentence each: a stored summary
    /// that disagreed with the results (and was recomputed).
    pub notes: Vec<String>,
}

/// The bytes of a report: `path`, or standard input for `-`; a gzip
/// stream (told by its first bytes, whatever the name) is inflated.
/// Errors say why, without the file name.
pub fn bytes(path: &Path) -> Result<Vec<u8>, String> {
    let limit = MAX_REPORT_BYTES;
    let too_large = |size: String| {
        format!(
            "{size}; reports are at most {} MiB (docs/report-format.md)",
            limit >> 20
        )
    };
    let mut raw = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut raw)
            .map_err(|e| format!("cannot read: {e}"))?;
    } else {
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
        if meta.is_dir() {
            return Err("cannot read: is a directory".into());
        }
        // A regular file's size is known: refuse before reading. Pipes and
        // devices (`<(zcat ...)`, `/dev/stdin`) are read up to the limit.
        if meta.is_file() && meta.len() > limit {
            return Err(too_large(format!("the file is {} bytes", meta.len())));
        }
        raw.reserve(meta.len().min(limit) as usize + 1);
        file.take(limit + 1)
            .read_to_end(&mut raw)
            .map_err(|e| format!("cannot read: {e}"))?;
    }
    if raw.len() as u64 > limit {
        return Err(too_large(format!("more than {limit} bytes")));
    }
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    // Reports compress about 8:1.
    let mut out = Vec::with_capacity(raw.len().saturating_mul(8).min(limit as usize + 1));
    flate2::read::MultiGzDecoder::new(&raw[..])
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not a valid gzip file: {e}"))?;
    if out.len() as u64 > limit {
        return Err(too_large(format!("more than {limit} bytes once inflated")));
    }
    Ok(out)
}

/// Checks that `bytes` nest at most [`MAX_DEPTH`] deep and hold at most
/// [`MAX_VALUES`] values, in one pass that allocates nothing. It does not
/// validate the JSON (the parser does that next): it only bounds what
/// parsing may allocate.
pub fn check_shape(bytes: &[u8]) -> Result<(), String> {
    let (mut depth, mut values) = (0usize, 0usize);
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        match bytes[i] {
            b'"' => {
                values += 1;
                i += 1;
                // To the closing quote, stepping over escapes.
                while i < n {
                    match bytes[i] {
                        b'"' => break,
                        b'\\' => i += 2,
                        _ => i += 1,
                    }
                }
            }
            b'[' | b'{' => {
                values += 1;
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!(
                        "JSON nested deeper than {MAX_DEPTH} levels at {}; a posture report is about 8 levels deep",
                        position(bytes, i)
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' | b't' | b'f' | b'n' => {
                values += 1;
                while i + 1 < n
                    && matches!(bytes[i + 1], b'0'..=b'9' | b'a'..=b'z' | b'.' | b'+' | b'-' | b'E')
                {
                    i += 1;
                }
            }
            _ => {}
        }
        if values > MAX_VALUES {
            return Err(format!(
                "more than {MAX_VALUES} JSON values (at {}); a report of every built-in rule has about 19,000",
                position(bytes, i.min(n.saturating_sub(1)))
            ));
        }
        i += 1;
    }
    Ok(())
}

/// `line L column C` of byte `at`, as the JSON parser words positions.
fn position(bytes: &[u8], at: usize) -> String {
    let before = &bytes[..at.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = before.len()
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    format!("line {line} column {column}")
}

/// Checks the number of results and the length of their rule ids.
pub fn check_results<'a>(ids: impl ExactSizeIterator<Item = &'a str>) -> Result<(), String> {
    if ids.len() > MAX_RESULTS {
        return Err(format!(
            "{} results; reports hold at most {MAX_RESULTS}",
            ids.len()
        ));
    }
    for (i, id) in ids.enumerate() {
        if id.len() > MAX_RULE_ID_BYTES {
            return Err(format!(
                "results[{i}].id is {} bytes long; rule ids are at most {MAX_RULE_ID_BYTES}",
                id.len()
            ));
        }
    }
    Ok(())
}

/// Checks the lengths of what identifies a report and its target.
pub fn check_identity(
    scan_id: &str,
    started_at: &str,
    hostname: Option<&str>,
    root: Option<&str>,
    tags: &[String],
) -> Result<(), String> {
    if tags.len() > MAX_TAGS {
        return Err(format!(
            "more than {MAX_TAGS} tags; the limit is {MAX_TAGS}"
        ));
    }
    let fields = [
        ("scan.id", Some(scan_id), MAX_IDENTITY_BYTES),
        ("scan.started_at", Some(started_at), MAX_IDENTITY_BYTES),
        ("target.hostname", hostname, MAX_IDENTITY_BYTES),
        ("target.root", root, MAX_ROOT_BYTES),
    ];
    let tags = tags
        .iter()
        .map(|t| ("target.tags[]", Some(t.as_str()), MAX_IDENTITY_BYTES));
    for (name, value, max) in fields.into_iter().chain(tags) {
        if let Some(v) = value.filter(|v| v.len() > max) {
            return Err(format!(
                "{name} is {} bytes long; the limit is {max}",
                v.len()
            ));
        }
    }
    Ok(())
}

/// Checks a report's schema version: a major version this build reads.
pub fn check_version(version: &str) -> Result<(), String> {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u64>().ok());
    if major.is_some_and(|m| READABLE_MAJORS.contains(&m)) {
        return Ok(());
    }
    let known: Vec<String> = READABLE_MAJORS.iter().map(|m| format!("{m}.x")).collect();
    Err(format!(
        "report schema version {version} is not supported: this posture reads {}; use the posture version that wrote it",
        known.join(" and ")
    ))
}

/// Parses a JSON report within the bounds above, recomputes its summary
/// from its results and completes fields older versions lack. Errors name
/// the line and column where they can.
pub fn parse(text: &str) -> Result<Loaded, String> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<String>,
    }
    check_shape(text.as_bytes()).map_err(|e| format!("not a posture report: {e}"))?;
    let v: Version = serde_json::from_str(text).map_err(|e| format!("not a JSON report: {e}"))?;
    let Some(version) = v.schema_version else {
        return Err("not a posture report: no `schema_version`".into());
    };
    check_version(&version)?;
    let mut report: Report =
        serde_json::from_str(text).map_err(|e| format!("malformed report: {e}"))?;
    check_results(report.results.iter().map(|r| r.id.as_str()))
        .and_then(|()| {
            check_identity(
                &report.scan.id,
                &report.scan.started_at,
                report.target.hostname.as_deref(),
                report.target.root.as_deref(),
                &report.target.tags,
            )
        })
        .map_err(|e| format!("not a posture report: {e}"))?;
    for w in &mut report.waivers {
        // Reports before 2.2 listed every matched rule and had no count.
        w.rules_count = w.rules_count.max(w.rules.len());
    }
    let summary = summarize(&report.results);
    let notes = summary_disagreement(&report.summary, &summary)
        .into_iter()
        .collect();
    report.summary = summary;
    Ok(Loaded { report, notes })
}

/// Reads the report at `path` (`-`: standard input). Errors start with
/// the file name.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let name = path.display();
    let bytes = bytes(path).map_err(|e| format!("{name}: {e}"))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name}: not a JSON report: invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        )
    })?;
    parse(&text).map_err(|e| format!("{name}: {e}"))
}

/// What a stored summary says that its results do not, as one sentence;
/// `None` when they agree. Outcomes and severities a summary leaves out
/// count as zero (1.x summaries have no `waived`).
pub fn summary_disagreement(stored: &Summary, computed: &Summary) -> Option<String> {
    let count = |s: &Summary, o: Outcome| s.by_outcome.get(&o).copied().unwrap_or(0);
    let cell = |s: &Summary, sev: Severity, o: Outcome| {
        s.by_severity
            .get(&sev)
            .and_then(|m| m.get(&o))
            .copied()
            .unwrap_or(0)
    };
    let mut differences = Vec::new();
    if stored.total != computed.total {
        differences.push(format!("{} rules, not {}", computed.total, stored.total));
    }
    for o in Outcome::ALL {
        let (s, c) = (count(stored, o), count(computed, o));
        if s != c {
            differences.push(format!("{c} {}, not {s}", o.as_str()));
        }
    }
    if stored.score.to_bits() != computed.score.to_bits() {
        differences.push(format!(
            "score {:.1}, not {:.1}",
            computed.score, stored.score
        ));
    }
    let by_severity_differs = Severity::ALL.iter().any(|sev| {
        Outcome::ALL
            .iter()
            .any(|o| cell(stored, *sev, *o) != cell(computed, *sev, *o))
    });
    if by_severity_differs && differences.is_empty() {
        differences.push("other counts by severity".into());
    }
    (!differences.is_empty()).then(|| {
        format!(
            "the stored summary disagrees with the results, which give {}; the summary was recomputed from the results",
            differences.join(", ")
        )
    })
}

#[cfg(test)]
mod tests;
