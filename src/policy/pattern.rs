//! Regular expressions of a policy: checked when the policy loads, compiled
//! when a check first needs them.
//!
//! Compiling is the costly part of loading a large policy (Unicode classes
//! such as `\w` and `\S` expand into big automata), and a scan evaluates only
//! the checks of its selected, applicable rules. Parsing at load still
//! reports every syntax error with its position; only a pattern whose
//! compiled form exceeds the size limit is reported late, as an `error`
//! outcome of the check that uses it.

use regex::{Regex, RegexBuilder};
use std::fmt;
use std::sync::OnceLock;

/// Compiled patterns larger than this are refused.
const SIZE_LIMIT: usize = 4 << 20;

pub struct Pattern {
    source: String,
    case_insensitive: bool,
    compiled: OnceLock<Result<Regex, String>>,
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
            compiled: OnceLock::new(),
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

impl Clone for Pattern {
    fn clone(&self) -> Self {
        Pattern {
            source: self.source.clone(),
            case_insensitive: self.case_insensitive,
            compiled: self.compiled.clone(),
        }
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
    fn syntax_errors_at_load_size_errors_at_use() {
        assert!(Pattern::new("a(b", false)
            .unwrap_err()
            .contains("unclosed group"));
        let p = Pattern::new("(?i)^\\s*Protocol\\s", false).unwrap();
        assert!(p.is_match("  protocol 2"));
        let p = Pattern::new("root", true).unwrap();
        assert!(p.is_match("ROOT"));
        let huge = Pattern::new("\\w{1000}\\w{1000}\\w{1000}", false).unwrap();
        assert!(huge.compiled().unwrap_err().contains("cannot be used"));
        assert!(!huge.is_match("x"));
    }
}
