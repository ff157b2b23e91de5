//! Regular expressions of a policy: parsed and compiled when the policy
//! loads, so a syntax error and a pattern too large to compile are both
//! load errors with their position, never a scan-time surprise.
//!
//! Compiling is the costly part of loading a large policy (Unicode classes
//! such as `\w` and `\S` expand into big automata): the loader compiles the
//! patterns of each rule file in parallel, and the compiled form is shared
//! by every copy of the pattern.

use regex::{Regex, RegexBuilder};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// Compiled patterns larger than this are refused.
const SIZE_LIMIT: usize = 4 << 20;

#[derive(Clone)]
pub struct Pattern {
    source: String,
    case_insensitive: bool,
    compiled: Arc<OnceLock<Result<Regex, String>>>,
}

impl Pattern {
    /// Checks the syntax of `source`; the error is the parser's message.
    pub fn new(source: &str, case_insensitive: bool) -> Result<Pattern, String> {
        regex_syntax::ParserBuilder::new()
            .case_insensitive(case_insensitive)
            .build()
            .parse(source)
            .map_err(|e| e.to_string())?;
        Ok(Pattern {
            source: source.to_string(),
            case_insensitive,
            compiled: Arc::new(OnceLock::new()),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled regex, built once on first use.
    pub fn compiled(&self) -> Result<&Regex, String> {
        self.compiled
            .get_or_init(|| {
                RegexBuilder::new(&self.source)
                    .case_insensitive(self.case_insensitive)
                    .size_limit(SIZE_LIMIT)
                    .build()
                    .map_err(|e| {
                        let detail = e.to_string();
                        let last = detail.lines().last().unwrap_or("").trim().to_string();
                        format!(
                            "regular expression `{}` cannot be used: {last}",
                            self.source
                        )
                    })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Whether `text` matches; `false` if the pattern failed to compile,
    /// which [`Pattern::compiled`] reports to the check beforehand.
    pub fn is_match(&self, text: &str) -> bool {
        self.compiled().is_ok_and(|r| r.is_match(text))
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?}", self.source)?;
        if self.case_insensitive {
            f.write_str(", ignore case")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_and_size_errors() {
        assert!(Pattern::new("a(b", false)
            .unwrap_err()
            .contains("unclosed group"));
        let p = Pattern::new("(?i)^\\s*Protocol\\s", false).unwrap();
        assert!(p.is_match("  protocol 2"));
        let p = Pattern::new("root", true).unwrap();
        assert!(p.is_match("ROOT"));
        let huge = Pattern::new("\\w{1000}\\w{1000}\\w{1000}", false).unwrap();
        let copy = huge.clone();
        assert!(huge.compiled().unwrap_err().contains("cannot be used"));
        assert!(!huge.is_match("x"));
        // Copies share the compiled form.
        assert!(copy.compiled.get().is_some());
    }
}
