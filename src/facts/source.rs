use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where an observed value came from: a file in the target and, when the value
/// sits on one line, that line (1-based). Shown to auditors as evidence.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
/// Where a value was read: a path on the target (inside the root for a
/// root filesystem) and the 1-based line.
pub struct Source {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

impl Source {
    pub fn file(file: impl Into<String>) -> Self {
        Source {
            file: file.into(),
            line: None,
        }
    }

    pub fn line(file: impl Into<String>, line: u32) -> Self {
        Source {
            file: file.into(),
            line: Some(line),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file),
            None => f.write_str(&self.file),
        }
    }
}
