//! Finding report files and reading the part of each that aggregation and
//! export need.
//!
//! Reports are read whole (gzip or plain, told apart by their first bytes)
//! within the bounds of [`crate::report::read`], and parsed into a view
//! ([`Digest`]) that borrows from the text: evidence, descriptions and
//! remediation are skipped without being allocated, which is most of a
//! report's bytes. A report's `summary` is not trusted: the score is
//! recomputed from its results.
//!
//! The digest's lists stop at their limits while parsing (see [`capped`]),
//! its strings borrow from the text, and what it skips allocates nothing,
//! so a digest costs no more memory than the bytes it was parsed from.
//! The pass that bounds the values of a whole report
//! ([`crate::report::read::check_shape`]) is left to the reader that keeps
//! evidence (export): it would double the time aggregation takes, and it
//! decides only what export reads of a report, never whether it counts.

use crate::engine::Outcome;
use crate::policy::Severity;
use crate::report::read::{check_results, check_version, summary_disagreement, MAX_RESULTS};
use crate::report::{summarize_outcomes, Summary};
use serde::Deserialize;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Directories deeper than this below a path given are not searched (a
/// bind mount of a directory inside itself never ends otherwise).
pub const MAX_DIR_DEPTH: usize = 32;

pub use crate::report::read::{MAX_IDENTITY_BYTES, MAX_ROOT_BYTES, MAX_TAGS};

/// Every report file under `paths`: files given by name whatever they are
/// called, and in directories (recursively, not following links, at most
/// [`MAX_DIR_DEPTH`] levels down) the files named `*.json` or `*.json.gz`.
/// Lazy and depth-first with one open directory per level, so memory holds
/// neither a listing of a directory of millions of files nor the queue of
/// its subdirectories; files come in directory order. Directories that
/// cannot be listed or are too deep come out as errors.
pub fn files(paths: &[PathBuf]) -> impl Iterator<Item = Result<PathBuf, (PathBuf, String)>> + '_ {
    let mut given = paths.iter();
    // The directories being listed, outermost first, each with its path.
    let mut open: Vec<(PathBuf, std::fs::ReadDir)> = Vec::new();
    std::iter::from_fn(move || loop {
        if let Some((dir, entries)) = open.last_mut() {
            let Some(entry) = entries.next() else {
                open.pop();
                continue;
            };
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let dir = dir.clone();
                    // A directory that fails mid-listing may fail forever.
                    open.pop();
                    return Some(Err((dir, format!("cannot list: {e}"))));
                }
            };
            let path = entry.path();
            let kind = match entry.file_type() {
                Ok(k) => k,
                Err(e) => return Some(Err((path, format!("cannot read: {e}")))),
            };
            if kind.is_dir() {
                if open.len() > MAX_DIR_DEPTH {
                    return Some(Err((
                        path,
                        format!(
                            "not searched: deeper than {MAX_DIR_DEPTH} directory levels below the path given"
                        ),
                    )));
                }
                match std::fs::read_dir(&path) {
                    Ok(e) => open.push((path, e)),
                    Err(e) => return Some(Err((path, format!("cannot list: {e}")))),
                }
            } else if kind.is_file() && is_report_name(&path) {
                return Some(Ok(path));
            }
            continue;
        }
        let path = given.next()?.clone();
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => match std::fs::read_dir(&path) {
                Ok(e) => open.push((path, e)),
                Err(e) => return Some(Err((path, format!("cannot list: {e}")))),
            },
            Ok(_) => return Some(Ok(path)),
            Err(e) => return Some(Err((path, format!("cannot read: {e}")))),
        }
    })
}

fn is_report_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".json") || name.ends_with(".json.gz")
}

/// The bytes of a report file, gunzipped when they start with gzip's magic;
/// see [`crate::report::read::bytes`].
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    crate::report::read::bytes(path)
}

/// What aggregation and export need of a report; `R` is the view of one
/// result.
#[derive(Debug, Deserialize)]
pub struct Digest<'a, R = ResultPart<'a>> {
    #[serde(borrow)]
    pub schema_version: Cow<'a, str>,
    #[serde(borrow)]
    pub scan: ScanPart<'a>,
    #[serde(borrow)]
    pub target: TargetPart<'a>,
    /// As stored; [`Read::score`] is what the results give.
    pub summary: Summary,
    #[serde(borrow, default, deserialize_with = "policies")]
    pub policies: Vec<PolicyPart<'a>>,
    #[serde(
        deserialize_with = "results",
        bound(deserialize = "R: Deserialize<'de>")
    )]
    pub results: Vec<R>,
}

/// A report names at most this many policies.
pub const MAX_POLICIES: usize = 1_000;

fn policies<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    capped(d, "policies", MAX_POLICIES)
}

fn results<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    capped(d, "results", MAX_RESULTS)
}

fn tags<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    capped(d, "tags", MAX_TAGS)
}

/// A list of at most `max` items, refused as soon as one more starts,
/// before it is allocated.
fn capped<'de, D, T>(d: D, what: &'static str, max: usize) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Capped<T> {
        what: &'static str,
        max: usize,
        item: std::marker::PhantomData<T>,
    }
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Capped<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a list of at most {} {}", self.max, self.what)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(self.max));
            while let Some(item) = seq.next_element()? {
                if out.len() == self.max {
                    return Err(serde::de::Error::custom(format!(
                        "more than {} {}; the limit is {}",
                        self.max, self.what, self.max
                    )));
                }
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Capped {
        what,
        max,
        item: std::marker::PhantomData,
    })
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
    #[serde(default, deserialize_with = "tags")]
    pub tags: Vec<String>,
    #[serde(borrow, default)]
    pub os: Option<OsPart<'a>>,
}

#[derive(Debug, Deserialize)]
pub struct OsPart<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
}

#[derive(Debug, Deserialize)]
pub struct PolicyPart<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub version: Cow<'a, str>,
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

/// What every view of a result has: its rule, severity and outcome.
pub trait ResultView {
    fn id(&self) -> &str;
    fn severity(&self) -> Severity;
    fn outcome(&self) -> Outcome;
}

/// [`ResultView`] for result types with `id`, `severity` and `outcome`
/// fields.
macro_rules! result_view {
    ($($ty:ident),+) => {
        $(impl $crate::fleet::read::ResultView for $ty<'_> {
            fn id(&self) -> &str {
                &self.id
            }
            fn severity(&self) -> $crate::policy::Severity {
                self.severity
            }
            fn outcome(&self) -> $crate::engine::Outcome {
                self.outcome
            }
        })+
    };
}
pub(crate) use result_view;

result_view!(ResultPart);

/// A report read for aggregation or export.
#[derive(Debug)]
pub struct Read<'a, R = ResultPart<'a>> {
    pub digest: Digest<'a, R>,
    /// The score its results give (the stored one is not trusted).
    pub score: f64,
    /// What its stored summary says that its results do not, if anything.
    pub disagreement: Option<String>,
    /// What makes two files the same report; see [`super::seen`].
    pub identity: super::seen::Identity,
}

impl<'a, R> Read<'a, R> {
    /// The same report with each result viewed as `S`.
    pub fn map_results<S>(self, f: impl FnMut(R) -> S) -> Read<'a, S> {
        let d = self.digest;
        Read {
            digest: Digest {
                schema_version: d.schema_version,
                scan: d.scan,
                target: d.target,
                summary: d.summary,
                policies: d.policies,
                results: d.results.into_iter().map(f).collect(),
            },
            score: self.score,
            disagreement: self.disagreement,
            identity: self.identity,
        }
    }

    /// The host the report is of: its host name, else the root scanned,
    /// else the file it was read from.
    pub fn host(&self, path: &Path) -> String {
        let t = &self.digest.target;
        t.hostname
            .as_deref()
            .or(t.root.as_deref())
            .map(str::to_string)
            .unwrap_or_else(|| path.display().to_string())
    }
}

/// Parses a report's digest; the error says why the file is not one this
/// build can aggregate.
pub fn digest(bytes: &[u8]) -> Result<Read<'_>, String> {
    report(bytes)
}

/// Parses a report into a [`Read`] whose results are `R`, within the
/// bounds above, and recomputes its score. Views of `R` that allocate per
/// value (evidence) must check [`crate::report::read::check_shape`] first.
pub fn report<'a, R: Deserialize<'a> + ResultView>(bytes: &'a [u8]) -> Result<Read<'a, R>, String> {
    let digest: Digest<'a, R> = parse(bytes, |d: &Digest<'a, R>| &d.schema_version)?;
    check_results(digest.results.iter().map(|r| r.id()))
        .map_err(|e| format!("not a posture report: {e}"))?;
    check_identity(&digest)?;
    let summary = summarize_outcomes(digest.results.iter().map(|r| (r.severity(), r.outcome())));
    let disagreement = summary_disagreement(&digest.summary, &summary);
    let identity = super::seen::Identity::of(&digest);
    Ok(Read {
        score: summary.score,
        disagreement,
        identity,
        digest,
    })
}

fn check_identity<R>(d: &Digest<'_, R>) -> Result<(), String> {
    crate::report::read::check_identity(
        &d.scan.id,
        &d.scan.started_at,
        d.target.hostname.as_deref(),
        d.target.root.as_deref(),
        &d.target.tags,
    )
    .map_err(|e| format!("not a posture report: {e}"))
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
            check_version(version(&d)).map_err(aggregate_hint)?;
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
                check_version(&v).map_err(aggregate_hint)?;
            }
            Err(if e.is_syntax() || e.is_eof() {
                format!("not JSON: {e}")
            } else {
                format!("not a posture report: {e}")
            })
        }
    }
}

fn aggregate_hint(e: String) -> String {
    e.replace(
        "use the posture version that wrote it",
        "aggregate it with the posture version that wrote it",
    )
}
