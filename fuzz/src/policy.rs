//! Policy loading: one YAML file (`load_str`), or several files of a
//! policy directory (`load_files`) when the input is a file set. A policy
//! that loads is then run, all its rules, against the docs' Debian tree:
//! a loader that accepts a check the engine cannot evaluate is a bug too.

use crate::files::{self, Kind};
use posture::policy::{self, Policy, ALL_PROFILES};
use posture::scan::{self, Selector};
use posture::target::Target;
use std::sync::OnceLock;

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let root = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/docs/debian-host"
        );
        Target::root(root).expect("the docs' Debian tree")
    })
}

pub fn run(data: &[u8]) {
    let loaded = if data.starts_with(b"@@ ") {
        let set: Vec<(String, String)> = files::decode(data, "/policy/main.yaml")
            .into_iter()
            .filter_map(|e| match e.kind {
                Kind::File(bytes) => Some((e.path, String::from_utf8_lossy(&bytes).into_owned())),
                _ => None,
            })
            .collect();
        policy::load_files("fuzz", &set)
    } else {
        policy::load_str(&crate::text(data), "fuzz.yaml")
    };
    match loaded {
        Ok(p) => evaluate(&p),
        Err(e) => {
            for d in &e.diagnostics {
                let _ = d.to_string();
            }
        }
    }
}

fn evaluate(p: &Policy) {
    let policies = std::slice::from_ref(p);
    let _ = policy::check_together(policies);
    let all: Vec<_> = p.rules.iter().map(|r| (p, r)).collect();
    let _ = policy::summary::summarize(all.iter().copied()).to_text();
    let _ = policy::catalog::markdown(&all);
    let selector = Selector {
        profile: Some(ALL_PROFILES.to_string()),
        ..Selector::default()
    };
    if let Ok((report, _facts)) = scan::run(target(), policies, &selector) {
        let _ = posture::report::json::render(&report);
    }
}
