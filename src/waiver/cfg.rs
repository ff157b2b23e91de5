//! Decoding a waivers file, reporting every problem with its position.

use super::{RulePattern, Scope, Waiver, Waivers};
use crate::diag::Diagnostic;
use crate::yaml::{self, Node, NodeKind};
use globset::{GlobBuilder, GlobMatcher};
use std::collections::HashMap;
use std::path::Path;

/// Everything wrong with a waivers file.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", .diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

/// Waivers files larger than this are refused.
pub const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// A waivers file holds at most this many waivers.
pub const MAX_WAIVERS: usize = 10_000;

/// At most this many distinct globs (rule globs and host-name patterns) are
/// compiled per file: each costs about 10 KiB, and each rule glob one match
/// per evaluated rule. A plain rule id is not a glob and does not count.
pub const MAX_GLOBS: usize = 1_000;

/// `rule`, each host name and each tag are at most this long.
pub const MAX_PATTERN_BYTES: usize = 256;

/// `justification` and `approver` are at most this long: they are copied
/// onto every failure the waiver covers.
pub const MAX_TEXT_BYTES: usize = 4096;

/// A scope lists at most this many host names, and this many tags.
pub const MAX_SCOPE_ENTRIES: usize = 64;

pub fn load_file(path: &Path) -> Result<Waivers, LoadError> {
    let file = path.display().to_string();
    let fail = |m: String| LoadError {
        diagnostics: vec![Diagnostic::new(&file, m)],
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    if meta.len() > MAX_BYTES {
        return Err(fail(format!(
            "the file is {} bytes; a waivers file is at most {} MiB (docs/waivers.md)",
            meta.len(),
            MAX_BYTES >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| fail("not UTF-8 text".into()))?;
    parse(&text, &file)
}

pub fn parse(text: &str, file: &str) -> Result<Waivers, LoadError> {
    let root = yaml::parse(text, file).map_err(|d| LoadError {
        diagnostics: vec![d],
    })?;
    let mut cx = Cx {
        file: file.to_string(),
        diags: Vec::new(),
        globs: HashMap::new(),
        globs_refused: false,
    };
    let mut waivers = Vec::new();
    if let Some(mut top) = cx.fields(&root, "a waivers file", &["waivers"]) {
        match top.remove("waivers") {
            None => cx.err(&root, "a waivers file needs a `waivers` list"),
            Some(list) => match &list.kind {
                NodeKind::Seq(items) => {
                    if let Some(extra) = items.get(MAX_WAIVERS) {
                        cx.err(
                            extra,
                            format!(
                                "more than {MAX_WAIVERS} waivers; a waivers file holds at most {MAX_WAIVERS} (docs/waivers.md)"
                            ),
                        );
                    }
                    waivers.extend(
                        items
                            .iter()
                            .take(MAX_WAIVERS)
                            .filter_map(|item| cx.waiver(item)),
                    );
                }
                _ if list.is_null() => {}
                _ => cx.err(
                    list,
                    format!("`waivers` must be a list, found {}", list.kind_name()),
                ),
            },
        }
    }
    if cx.diags.is_empty() {
        Ok(Waivers {
            file: file.to_string(),
            waivers,
        })
    } else {
        Err(LoadError {
            diagnostics: cx.diags,
        })
    }
}

struct Cx {
    file: String,
    diags: Vec<Diagnostic>,
    /// Globs compiled so far, by pattern and case-insensitivity: a pattern
    /// written many times is compiled once.
    globs: HashMap<(String, bool), GlobMatcher>,
    /// The glob limit was reported (once).
    globs_refused: bool,
}

const WAIVER_KEYS: &[&str] = &["rule", "justification", "approver", "expires", "scope"];
const SCOPE_KEYS: &[&str] = &["hostnames", "tags"];

impl Cx {
    fn err(&mut self, node: &Node, message: impl Into<String>) {
        self.diags.push(node.diag(&self.file, message));
    }

    /// The entries of a mapping by key; duplicate and unknown keys are
    /// reported.
    fn fields<'a>(
        &mut self,
        node: &'a Node,
        what: &str,
        known: &[&str],
    ) -> Option<HashMap<&'a str, &'a Node>> {
        let NodeKind::Map(entries) = &node.kind else {
            if node.is_null() && what == "a waivers file" {
                return Some(HashMap::new());
            }
            self.err(
                node,
                format!("{what} must be a mapping, found {}", node.kind_name()),
            );
            return None;
        };
        let mut out: HashMap<&str, &Node> = HashMap::new();
        for (k, v) in entries {
            let Some(key) = k.as_scalar().map(|s| s.text.as_str()) else {
                self.err(k, format!("keys in {what} must be plain strings"));
                continue;
            };
            if !known.contains(&key) {
                self.err(
                    k,
                    format!(
                        "unknown key `{key}` in {what}; expected one of: {}",
                        known.join(", ")
                    ),
                );
                continue;
            }
            if let Some(first) = out.insert(key, v) {
                self.err(
                    k,
                    format!(
                        "duplicate key `{key}` in {what} (first at line {})",
                        first.line
                    ),
                );
            }
        }
        Some(out)
    }

    /// A non-empty string of at most `max` bytes.
    fn text(&mut self, node: &Node, key: &str, max: usize) -> Option<String> {
        match node.as_scalar() {
            Some(s) if !node.is_null() && s.text.len() > max => {
                self.err(
                    node,
                    format!("`{key}` is {} bytes long; the limit is {max}", s.text.len()),
                );
                None
            }
            Some(s) if !node.is_null() && !s.text.trim().is_empty() => Some(s.text.clone()),
            Some(_) if !node.is_null() => {
                self.err(node, format!("`{key}` must not be empty"));
                None
            }
            _ => {
                self.err(
                    node,
                    format!("`{key}` must be a string, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    /// A list of non-empty strings (or one), each with its node.
    fn strings<'a>(&mut self, node: &'a Node, key: &str) -> Vec<(String, &'a Node)> {
        let items: Vec<&'a Node> = match &node.kind {
            NodeKind::Seq(items) => items.iter().collect(),
            NodeKind::Scalar(_) => vec![node],
            NodeKind::Map(_) => {
                self.err(node, format!("`{key}` must be a list of strings"));
                return Vec::new();
            }
        };
        if let Some(extra) = items.get(MAX_SCOPE_ENTRIES) {
            self.err(
                extra,
                format!("more than {MAX_SCOPE_ENTRIES} `{key}`; a scope lists at most {MAX_SCOPE_ENTRIES}"),
            );
            return Vec::new();
        }
        items
            .into_iter()
            .filter_map(|n| self.text(n, key, MAX_PATTERN_BYTES).map(|t| (t, n)))
            .collect()
    }

    fn glob(&mut self, node: &Node, pattern: &str, case_insensitive: bool) -> Option<GlobMatcher> {
        let key = (pattern.to_string(), case_insensitive);
        if let Some(m) = self.globs.get(&key) {
            return Some(m.clone());
        }
        if self.globs.len() >= MAX_GLOBS {
            if !self.globs_refused {
                self.globs_refused = true;
                self.err(
                    node,
                    format!(
                        "more than {MAX_GLOBS} distinct globs (rule globs and host names); a waivers file holds at most {MAX_GLOBS} (docs/waivers.md)"
                    ),
                );
            }
            return None;
        }
        match GlobBuilder::new(pattern)
            .case_insensitive(case_insensitive)
            .build()
        {
            Ok(g) => {
                let m = g.compile_matcher();
                self.globs.insert(key, m.clone());
                Some(m)
            }
            Err(e) => {
                self.err(node, format!("invalid glob `{pattern}`: {}", e.kind()));
                None
            }
        }
    }

    fn waiver(&mut self, node: &Node) -> Option<Waiver> {
        let before = self.diags.len();
        let f = self.fields(node, "a waiver", WAIVER_KEYS)?;
        let required = |cx: &mut Cx, key: &str| match f.get(key) {
            Some(n) => {
                let max = match key {
                    "justification" | "approver" => MAX_TEXT_BYTES,
                    _ => MAX_PATTERN_BYTES,
                };
                cx.text(n, key, max).map(|t| (t, *n))
            }
            None => {
                cx.err(node, format!("a waiver needs `{key}`"));
                None
            }
        };
        let rule = required(self, "rule");
        let justification = required(self, "justification");
        let approver = required(self, "approver");
        let expires = required(self, "expires");
        let matcher = rule.as_ref().and_then(|(r, n)| {
            if is_plain_id(r) {
                Some(RulePattern::Id)
            } else {
                self.glob(n, r, false).map(RulePattern::Glob)
            }
        });
        let expires = match expires {
            Some((e, _)) if e == "never" => Some(None),
            Some((e, _)) if is_date(&e) => Some(Some(e)),
            Some((e, n)) => {
                self.err(
                    n,
                    format!("`expires` must be a date YYYY-MM-DD or `never`, found `{e}`"),
                );
                None
            }
            None => None,
        };
        let scope = match f.get("scope") {
            None => Scope::default(),
            Some(s) => self.scope(s)?,
        };
        if self.diags.len() > before {
            return None;
        }
        Some(Waiver {
            rule: rule?.0,
            matcher: matcher?,
            justification: justification?.0,
            approver: approver?.0,
            expires: expires?,
            scope,
            location: format!("{}:{}", self.file, node.line),
        })
    }

    fn scope(&mut self, node: &Node) -> Option<Scope> {
        let f = self.fields(node, "a waiver's scope", SCOPE_KEYS)?;
        if f.is_empty() {
            self.err(
                node,
                "a scope needs `hostnames` or `tags`; leave `scope` out to cover every host",
            );
            return None;
        }
        let mut scope = Scope::default();
        if let Some(n) = f.get("hostnames") {
            for (h, at) in self.strings(n, "hostnames") {
                // Host names are case-insensitive (RFC 4343).
                if let Some(m) = self.glob(at, &h, true) {
                    scope.hostnames.push((h, m));
                }
            }
        }
        if let Some(n) = f.get("tags") {
            scope.tags = self
                .strings(n, "tags")
                .into_iter()
                .map(|(t, _)| t)
                .collect();
        }
        Some(scope)
    }
}

/// Whether `pattern` has no glob syntax, so that it matches exactly the
/// rule id equal to it (globset treats every other character literally).
fn is_plain_id(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '[', ']', '{', '}', '\\'])
}

/// `YYYY-MM-DD`, a real calendar day.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}
