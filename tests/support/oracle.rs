//! Shared pieces of the differential tests (tests/oracle_*.rs): finding
//! the component's own tool, a reproducible case generator, and a tally
//! of disagreements by class.
#![allow(dead_code)]

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The tool, from PATH or the sbin directories; `None` (after printing
/// "skipped") when it is absent, unless POSTURE_REQUIRE_ORACLES=1.
pub fn tool(name: &str) -> Option<PathBuf> {
    let found = find(name);
    if found.is_none() {
        skip(&format!("{name} is not installed"));
    }
    found
}

/// The program `name` from PATH or the sbin directories, if installed.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|p| p.is_file());
    found
}

/// Says why the test checks nothing; with POSTURE_REQUIRE_ORACLES=1 that
/// is a failure.
pub fn skip(why: &str) {
    if std::env::var("POSTURE_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("oracle required but unavailable: {why}");
    }
    println!("skipped: {why}");
}

/// How many generated cases to run: `default`, or POSTURE_ORACLE_CASES.
pub fn cases(default: u32) -> u32 {
    std::env::var("POSTURE_ORACLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `count` values of `strategy`, the same ones on every run (a fixed seed:
/// a disagreement found in CI is found again on a laptop).
pub fn generate<S: Strategy>(strategy: S, count: u32, seed: u8) -> Vec<S::Value> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    (0..count)
        .map(|_| strategy.new_tree(&mut runner).unwrap().current())
        .collect()
}

/// Disagreements by class, with the first example of each.
#[derive(Default)]
pub struct Tally {
    pub cases: u32,
    classes: BTreeMap<String, (u32, String)>,
    coverage: BTreeMap<String, u32>,
}

impl Tally {
    /// Counts a kind of case, to show what the generated inputs covered.
    pub fn saw(&mut self, kind: &str) {
        *self.coverage.entry(kind.to_string()).or_default() += 1;
    }

    pub fn disagree(&mut self, class: &str, example: impl FnOnce() -> String) {
        let entry = self
            .classes
            .entry(class.to_string())
            .or_insert((0, String::new()));
        if entry.0 == 0 {
            entry.1 = example();
        }
        entry.0 += 1;
    }

    /// Prints the tally and fails if any case disagreed.
    pub fn finish(self, oracle: &str) {
        let total: u32 = self.classes.values().map(|(n, _)| n).sum();
        println!(
            "{oracle}: {} generated cases, {total} disagreements",
            self.cases
        );
        for (kind, n) in &self.coverage {
            println!("  covered {kind}: {n}");
        }
        for (class, (n, example)) in &self.classes {
            println!("  {class}: {n}\n    first: {example}");
        }
        assert_eq!(total, 0, "{oracle} disagrees with posture (see above)");
    }
}

/// A small deterministic generator (xorshift), so a failing case can be
/// replayed from its seed.
pub struct Gen(pub u64);

impl Gen {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}
