//! Diagnostics: a problem found in some input, with where it was found.
//!
//! One type serves policy files, configuration files read from a target, and
//! reports, so every message the user sees has the same `file:line:column` shape.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// A problem in an input file. `line` and `column` are 1-based.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Diagnostic {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub message: String,
    /// The problem left part of the input unread (a file cut at the read
    /// limit, an included file that could not be read): checks that need
    /// what is missing are `error`, never `pass`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
}

/// The longest message a diagnostic keeps: one that quotes a hostile line
/// (16 MiB of NULs) is cut here, saying how much was cut.
pub const MAX_MESSAGE: usize = 1024;

/// The longest file name a diagnostic keeps (a path written in a hostile
/// `Include` line can be as long as the line).
pub const MAX_FILE: usize = 4096;

/// `text` cut to at most `max` bytes (at a character boundary), with a
/// note of how many bytes were cut.
pub fn cut(text: impl Into<String>, max: usize) -> String {
    let mut text = text.into();
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let dropped = text.len() - end;
        text.truncate(end);
        text.push_str(&format!("… ({dropped} more bytes cut)"));
    }
    text
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: cut(file, MAX_FILE),
            line: None,
            column: None,
            message: cut(message, MAX_MESSAGE),
            incomplete: false,
        }
    }

    /// A problem that left part of the input unread; see [`Diagnostic::incomplete`].
    pub fn incomplete(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            incomplete: true,
            ..Diagnostic::new(file, message)
        }
    }

    pub fn at(mut self, line: u32, column: Option<u32>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn smallest_keeps_the_same_whatever_the_order() {
        use super::*;
        let all: Vec<Diagnostic> = (0..MAX_KEPT + 50)
            .map(|i| Diagnostic::new(format!("/f{i:05}"), "bad"))
            .collect();
        let mut forward = Smallest::default();
        let mut backward = Smallest::default();
        for d in &all {
            forward.insert(d.clone());
        }
        // A kept one again is not counted twice.
        forward.insert(all[0].clone());
        for d in all.iter().rev() {
            backward.insert(d.clone());
        }
        let got = forward.to_vec();
        assert!(got == backward.to_vec());
        assert_eq!(got.len(), MAX_KEPT + 1);
        assert_eq!(got[0].file, "/f00000");
        assert_eq!(got[MAX_KEPT - 1].file, format!("/f{:05}", MAX_KEPT - 1));
        assert_eq!(
            got[MAX_KEPT].message,
            format!("50 more problem(s) not listed: a scan lists at most {MAX_KEPT}")
        );
    }

    use super::*;

    #[test]
    fn long_messages_and_names_are_cut_saying_how_much() {
        let line = "\0".repeat(16 << 20);
        let d = Diagnostic::new("/etc/x".repeat(2000), format!("bad line `{line}`"));
        assert!(d.message.len() < MAX_MESSAGE + 40, "{}", d.message.len());
        assert!(d.message.ends_with(&format!(
            "… ({} more bytes cut)",
            (16 << 20) + 11 - MAX_MESSAGE
        )));
        assert!(d.file.len() < MAX_FILE + 40);
        // Cut at a character boundary.
        assert_eq!(cut("ééé", 3), "é… (4 more bytes cut)");
        assert_eq!(cut("short", 10), "short");
    }

    #[test]
    fn at_most_a_hundred_diagnostics_per_file_and_a_count() {
        let mut c = Collector::default();
        for i in 0..1_000_000u32 {
            c.push(Diagnostic::new("/etc/passwd", "expected 7 fields").at(i + 1, None));
        }
        c.push(Diagnostic::new("/etc/group", "bad gid"));
        let out = c.finish();
        assert_eq!(out.len(), MAX_PER_FILE + 2);
        assert_eq!(
            out.last().unwrap().to_string(),
            "/etc/passwd: 999900 more problem(s) in this file not listed"
        );
        // A dropped incomplete diagnostic still marks the file incomplete.
        let mut c = Collector::default();
        for _ in 0..MAX_PER_FILE {
            c.push(Diagnostic::new("/x", "bad"));
        }
        c.push(Diagnostic::incomplete("/x", "cut"));
        let out = c.finish();
        assert!(out.iter().any(|d| d.incomplete));
        // Collecting again keeps the count.
        let again = capped(out.clone());
        assert_eq!(again, out);
    }
}

/// At most this many diagnostics are kept per file; the rest are counted
/// in one last diagnostic, so a file of a million malformed lines costs a
/// hundred messages, not a million.
pub const MAX_PER_FILE: usize = 100;

/// Collects diagnostics, keeping at most [`MAX_PER_FILE`] per file.
#[derive(Debug, Default)]
pub struct Collector {
    kept: Vec<Diagnostic>,
    /// Per file: how many kept, how many dropped.
    counts: std::collections::HashMap<String, (usize, usize)>,
}

/// The message that counts what a [`Collector`] left out of a file.
const LEFT_OUT: &str = " more problem(s) in this file not listed";

impl Collector {
    pub fn push(&mut self, d: Diagnostic) {
        let (kept, dropped) = self.counts.entry(d.file.clone()).or_default();
        // A count from an earlier collector adds to this one's count, so
        // collecting twice loses nothing.
        if let Some(n) = d
            .message
            .strip_suffix(LEFT_OUT)
            .and_then(|n| n.parse::<usize>().ok())
        {
            *dropped += n;
            return;
        }
        if *kept < MAX_PER_FILE {
            *kept += 1;
            self.kept.push(d);
        } else {
            *dropped += 1;
            // What is left out may say that part of the file was not read.
            if d.incomplete {
                if let Some(first) = self.kept.iter_mut().find(|k| k.file == d.file) {
                    first.incomplete = true;
                }
            }
        }
    }

    pub fn extend(&mut self, diags: impl IntoIterator<Item = Diagnostic>) {
        for d in diags {
            self.push(d);
        }
    }

    /// The diagnostics kept, then one per file that had more.
    pub fn finish(self) -> Vec<Diagnostic> {
        let mut out = self.kept;
        let mut over: Vec<(String, usize)> = self
            .counts
            .into_iter()
            .filter(|(_, (_, dropped))| *dropped > 0)
            .map(|(file, (_, dropped))| (file, dropped))
            .collect();
        over.sort();
        for (file, dropped) in over {
            out.push(Diagnostic::new(file, format!("{dropped}{LEFT_OUT}")));
        }
        out
    }
}

/// At most this many diagnostics are kept for one scan, whatever the
/// number of files that have problems.
pub const MAX_KEPT: usize = 2000;

/// The [`MAX_KEPT`] first diagnostics in their sort order, whatever the
/// order they come in (so a report does not depend on which thread ran
/// first), and a count of the rest.
#[derive(Debug, Default)]
pub struct Smallest {
    set: BTreeSet<Diagnostic>,
    dropped: usize,
    dropped_incomplete: bool,
}

impl Smallest {
    pub fn insert(&mut self, d: Diagnostic) {
        if self.set.len() == MAX_KEPT && self.set.last().is_some_and(|last| d >= *last) {
            if !self.set.contains(&d) {
                self.dropped += 1;
                self.dropped_incomplete |= d.incomplete;
            }
            return;
        }
        if self.set.insert(d) && self.set.len() > MAX_KEPT {
            if let Some(last) = self.set.pop_last() {
                self.dropped += 1;
                self.dropped_incomplete |= last.incomplete;
            }
        }
    }

    /// The diagnostics kept, sorted, at most [`MAX_PER_FILE`] per file,
    /// then one that counts those left out.
    pub fn to_vec(&self) -> Vec<Diagnostic> {
        let mut out = capped(self.set.iter().cloned().collect());
        if self.dropped > 0 {
            let mut d = Diagnostic::new(
                "*",
                format!(
                    "{} more problem(s) not listed: a scan lists at most {MAX_KEPT}",
                    self.dropped
                ),
            );
            d.incomplete = self.dropped_incomplete;
            out.push(d);
        }
        out
    }
}

/// `diags` with at most [`MAX_PER_FILE`] per file (see [`Collector`]).
pub fn capped(diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut c = Collector::default();
    c.extend(diags);
    c.finish()
}
