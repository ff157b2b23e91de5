//! Facts: typed views of the scanned system, each computed at most once per scan.
//!
//! Each submodule owns one kind of fact: a total parser of the files it comes
//! from (bad content becomes a [`Diagnostic`], never a panic) and a `collect`
//! function that reads them through a [`Target`](crate::target::Target).

pub mod accounts;
pub mod hardware;
pub mod keyvalue;
pub mod modules;
pub mod mounts;
pub mod net;
pub mod os;
pub mod packages;
pub mod processes;
pub mod services;
mod source;
pub mod sshd;
mod store;
pub mod sysctl;
#[cfg(test)]
mod testutil;

use crate::diag::Diagnostic;
use crate::target::TargetError;

pub use source::Source;
pub use store::{fact_ref, Facts, FACT_NAMES};

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
