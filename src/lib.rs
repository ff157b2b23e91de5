//! posture: an endpoint security posture scanner.
//!
//! The flow is one way: a [`target::Target`] gives access to a host or a root
//! filesystem; [`facts::Facts`] turns what it finds into typed, lazily computed,
//! shared views; the [`engine`] evaluates [`policy::Policy`] rules against those
//! facts in parallel; the result is a [`report::Report`] that renderers turn
//! into text, after [`waiver`]s mark accepted failures. [`scan`] ties the
//! steps together.

pub mod diag;
pub mod diff;
pub mod engine;
pub mod facts;
pub mod fleet;
pub mod output;
pub mod policy;
pub mod report;
pub mod scan;
pub mod target;
pub mod waiver;
pub mod yaml;
