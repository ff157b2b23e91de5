//! The bodies of posture's fuzz targets, one module per target.
//!
//! Each `fuzz_targets/NAME.rs` is `NAME::run(data)`; `tests/replay.rs`
//! runs the same functions over `corpus/NAME/*` and `regressions/NAME/*`
//! with the stable toolchain, so the targets build and run without
//! libFuzzer too. A target fails by panicking; libFuzzer's `-timeout` and
//! `-rss_limit_mb` bound the time and memory of one input.

pub mod files;
pub mod fleet;
pub mod parsers;
pub mod policy;
pub mod report;
pub mod rpm;
pub mod scan;
pub mod sshd;
pub mod sudoers;
pub mod waivers;

/// Every target, by the name of its directory in `corpus/`.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("parsers", parsers::run),
    ("sshd", sshd::run),
    ("sudoers", sudoers::run),
    ("policy", policy::run),
    ("waivers", waivers::run),
    ("report", report::run),
    ("fleet", fleet::run),
    ("rpm", rpm::run),
    ("scan", scan::run),
];

/// The input as text, invalid UTF-8 replaced: most parsers take `&str`,
/// and dropping inputs that are not UTF-8 would waste the fuzzer's work.
pub fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
