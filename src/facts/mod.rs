//! Facts: typed views of the scanned system, each computed at most once per scan.
//!
//! Each submodule owns one kind of fact: a total parser of the files it comes
//! from (bad content becomes a [`Diagnostic`], never a panic) and a `collect`
//! function that reads them through a [`Target`](crate::target::Target).

pub mod accounts;
pub mod audit;
pub mod cmdline;
pub mod dpkg;
pub mod grub;
pub mod hardware;
pub mod keyvalue;
pub mod login_defs;
pub mod modules;
pub mod mounts;
pub mod net;
pub mod os;
pub mod packages;
pub mod processes;
pub mod rpm;
pub mod services;
pub mod shell;
mod source;
pub mod sshd;
pub mod sshd_match;
mod store;
pub mod sudoers;
pub mod sysctl;
#[cfg(test)]
mod testutil;
pub mod unit_state;
pub mod walk;

use crate::diag::Diagnostic;
use crate::target::TargetError;

pub use source::Source;
pub use store::{fact_ref, incomplete, Facts, FACT_NAMES};

/// A fact's value with the problems met while parsing its files.
#[derive(Debug, Clone)]
pub struct Collected<T> {
    pub value: T,
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Collected<T> {
    pub fn new(value: T, diagnostics: Vec<Diagnostic>) -> Self {
        Collected { value, diagnostics }
    }
}

/// Why a fact has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactError {
    /// The fact exists only on a running host (processes, sockets, loaded
    /// modules, runtime sysctl); rules that need it are not applicable.
    #[error("{what} exists only on a live host")]
    RuntimeOnly { what: &'static str },
    /// A file the fact needs could not be read; rules that need it are errors.
    #[error(transparent)]
    Read(#[from] TargetError),
}

pub type FactResult<T> = Result<Collected<T>, FactError>;

/// The problem of a file cut by the read cap: what follows the cut is
/// unknown, so checks that need it are errors.
pub(crate) fn truncated(path: &str) -> Diagnostic {
    Diagnostic::incomplete(
        path,
        "file is larger than the read limit; only its beginning was read",
    )
}

/// The text of a file to parse, noting when the read cap cut it (the
/// target gives only whole lines of a cut file).
pub(crate) fn whole_lines<'a>(
    text: &'a crate::target::FileText,
    diags: &mut Vec<Diagnostic>,
) -> &'a str {
    if text.truncated {
        diags.push(truncated(&text.path));
    }
    &text.text
}

/// Lines with their 1-based numbers, without the `\r` of CRLF endings.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (u32, &str)> {
    text.split('\n').enumerate().map(|(idx, raw)| {
        let lineno = u32::try_from(idx + 1).unwrap_or(u32::MAX);
        (lineno, raw.strip_suffix('\r').unwrap_or(raw))
    })
}
