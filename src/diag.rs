//! Diagnostics: a problem found in some input, with where it was found.
//!
//! One type serves policy files, configuration files read from a target, and
//! reports, so every message the user sees has the same `file:line:column` shape.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
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

impl Diagnostic {
    pub fn new(file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
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
