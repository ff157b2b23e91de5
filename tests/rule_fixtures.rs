//! Every built-in rule passes on its `pass` fixtures and fails on its `fail`
//! fixtures. Fixtures live in `tests/fixtures/rules/*.yaml`: a mapping from
//! rule id to `pass` and `fail` cases (one case or a list), each a change to
//! the base tree of `tests/fixtures/base/` (see `tests/common/mod.rs`).
//!
//! Rules are read from `rules/` on disk, so editing a rule or a fixture needs
//! no rebuild; `builtin_matches_rules_on_disk` checks the embedded copy.
//! `POSTURE_RULE_FILES=ssh,audit` limits both tests to the rules of
//! `rules/*/ssh.yaml` and `rules/*/audit.yaml`, for quick iteration.

mod common;

use common::*;
use posture::engine::{evaluate_rule, summarize, Outcome};
use posture::facts::Facts;
use posture::target::Target;
use posture::yaml::{Node, NodeKind};
use rayon::prelude::*;
use std::collections::BTreeMap;

fn cases(node: Option<&Node>) -> Vec<&Node> {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items.iter().collect(),
        Some(_) => vec![node.unwrap()],
        None => Vec::new(),
    }
}

fn load_fixtures() -> BTreeMap<String, (Node, String)> {
    let dir = manifest_dir().join("tests/fixtures/rules");
    let mut out = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        let node = parse_spec(&text, &name);
        let NodeKind::Map(entries) = node.kind else {
            panic!("{name}: expected a mapping of rule ids")
        };
        for (k, v) in entries {
            let id = k.as_scalar().unwrap().text.clone();
            let at = format!("{name}:{}", k.line);
            assert!(
                out.insert(id.clone(), (v, at.clone())).is_none(),
                "{at}: duplicate fixtures for {id}"
            );
        }
    }
    out
}

#[test]
fn every_rule_passes_and_fails_on_its_fixtures() {
    if !is_root() {
        eprintln!("skipped: rule fixtures set file owners, which needs root");
        return;
    }
    let policies = rules_on_disk();
    let rules: BTreeMap<&str, _> = policies
        .iter()
        .flat_map(|p| &p.rules)
        .filter(|r| selected(r))
        .map(|r| (r.id.as_str(), r))
        .collect();
    let mut fixtures = load_fixtures();
    if std::env::var_os("POSTURE_RULE_FILES").is_some() {
        fixtures.retain(|id, _| rules.contains_key(id.as_str()));
    }
    let mut problems = Vec::new();
    for id in rules.keys() {
        match fixtures.get(*id) {
            None => problems.push(format!("{id}: no fixtures")),
            Some((node, at)) => {
                if cases(get(node, "pass")).is_empty() || cases(get(node, "fail")).is_empty() {
                    problems.push(format!("{at}: {id} needs both a pass and a fail case"));
                }
            }
        }
    }
    for (id, (_, at)) in &fixtures {
        if !rules.contains_key(id.as_str()) {
            problems.push(format!("{at}: fixtures for unknown rule {id}"));
        }
    }
    let mut work = Vec::new();
    for (id, (node, at)) in &fixtures {
        let Some(rule) = rules.get(id.as_str()) else {
            continue;
        };
        for (want, key) in [(Outcome::Pass, "pass"), (Outcome::Fail, "fail")] {
            for case in cases(get(node, key)) {
                work.push((id, at, *rule, want, key, case));
            }
        }
    }
    let checked = work.len();
    // Cases are independent trees: check them on every core.
    problems.extend(
        work.par_iter()
            .flat_map_iter(|(id, at, rule, want, key, case)| {
                let tree = build_tree(Some(case));
                let target = if is_live(case) {
                    Target::simulated_live(tree.path()).unwrap()
                } else {
                    Target::root(tree.path()).unwrap()
                };
                let facts = Facts::new(&target);
                let result = evaluate_rule(rule, &facts);
                let mut found = Vec::new();
                if result.outcome != *want {
                    found.push(format!(
                        "{at}: {id} {key} case (line {}) gave {} instead of {}: {}{}",
                        case.line,
                        result.outcome.as_str(),
                        want.as_str(),
                        result.reason.clone().unwrap_or_default(),
                        summarize(&result.evidence)
                    ));
                }
                if matches!(result.outcome, Outcome::Pass | Outcome::Fail)
                    && result.evidence.is_empty()
                {
                    found.push(format!("{at}: {id} {key} case gave no evidence"));
                }
                found
            })
            .collect::<Vec<_>>(),
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked >= 2 * rules.len());
}

/// Whether `POSTURE_RULE_FILES` (when set) selects the rule's file.
fn selected(rule: &posture::policy::Rule) -> bool {
    let Ok(files) = std::env::var("POSTURE_RULE_FILES") else {
        return true;
    };
    files
        .split(',')
        .any(|f| rule.location.contains(&format!("/{}.yaml:", f.trim())))
}

/// The policies of `rules/`, as `builtin_policies` embeds them.
fn rules_on_disk() -> Vec<posture::policy::Policy> {
    let policies =
        posture::policy::load_dir(&manifest_dir().join("rules")).unwrap_or_else(|e| panic!("{e}"));
    let dups = posture::policy::check_together(&policies);
    assert!(dups.is_empty(), "{dups:?}");
    policies
}

#[test]
fn builtin_matches_rules_on_disk() {
    let embedded = posture::scan::builtin_policies().unwrap();
    let disk = rules_on_disk();
    let root = format!("{}/", manifest_dir().display());
    let rules = |ps: &[posture::policy::Policy]| -> Vec<String> {
        ps.iter()
            .flat_map(|p| &p.rules)
            .map(|r| {
                let line = r.location.rsplit_once(':').map(|(_, l)| l.to_string());
                format!("{} {line:?} {:?} {:?}", r.id, r.check, r.applies_if)
                    .replace("builtin:", "")
                    .replace(&root, "")
            })
            .collect()
    };
    let (embedded, disk) = (rules(&embedded), rules(&disk));
    let differ = embedded.iter().zip(&disk).find(|(a, b)| a != b);
    assert!(
        embedded.len() == disk.len() && differ.is_none(),
        "the embedded rules differ from rules/ (rebuild): {differ:#?}"
    );
}

#[test]
fn base_tree_passes_every_rule() {
    if !is_root() {
        eprintln!("skipped: the base tree sets file owners, which needs root");
        return;
    }
    let policies = rules_on_disk();
    let tree = build_tree(None);
    let target = Target::root(tree.path()).unwrap();
    let facts = Facts::new(&target);
    let rules: Vec<_> = policies
        .iter()
        .flat_map(|p| &p.rules)
        .filter(|r| selected(r))
        .collect();
    // In parallel, as a scan does.
    let results = posture::engine::evaluate(&rules, &facts);
    let mut problems = Vec::new();
    for (rule, r) in rules.iter().zip(results) {
        if matches!(r.outcome, Outcome::Fail | Outcome::Error) {
            problems.push(format!(
                "{}: {} {}{}",
                rule.id,
                r.outcome.as_str(),
                r.reason.unwrap_or_default(),
                summarize(&r.evidence)
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the base tree should pass every rule:\n{}",
        problems.join("\n")
    );
    assert!(
        facts.diagnostics().is_empty(),
        "base tree files should parse cleanly: {:?}",
        facts.diagnostics()
    );
    // Many rules share each fact, yet each was computed once.
    let mut names: Vec<String> = facts.timings().into_iter().map(|(n, _)| n).collect();
    let computed = names.len();
    names.sort();
    names.dedup();
    assert_eq!(
        names.len(),
        computed,
        "a fact was computed twice: {names:?}"
    );
    if std::env::var_os("POSTURE_RULE_FILES").is_none() {
        assert!(names.contains(&"packages".to_string()));
    }
}

/// journald runs only where systemd is the init system: on a root
/// filesystem without systemd (no package, no /lib/systemd/systemd) every
/// journald rule is not applicable, whatever journald.conf or leftover unit
/// files say. The fixture test above only checks pass and fail cases.
#[test]
fn journald_rules_do_not_apply_without_systemd() {
    let case = parse_spec(
        "remove: [/lib/systemd/systemd]\nfiles:\n  /var/lib/dpkg/status: \"Package: rsyslog\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: 8.2302.0-1\\n\\nPackage: auditd\\nStatus: install ok installed\\nArchitecture: amd64\\nVersion: 1:3.0.9-1\\n\"\n",
        "no-systemd",
    );
    let tree = build_tree(Some(&case));
    let target = Target::root(tree.path()).unwrap();
    let facts = Facts::new(&target);
    let policies = rules_on_disk();
    let journald: Vec<_> = policies
        .iter()
        .flat_map(|p| &p.rules)
        .filter(|r| r.id.starts_with("journald-"))
        .collect();
    assert!(journald.len() >= 7, "{}", journald.len());
    let wrong: Vec<String> = journald
        .iter()
        .map(|r| (r, evaluate_rule(r, &facts)))
        .filter(|(_, res)| res.outcome != Outcome::NotApplicable)
        .map(|(r, res)| {
            format!(
                "{}: {} ({})",
                r.id,
                res.outcome.as_str(),
                summarize(&res.evidence)
            )
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "journald rules without systemd:\n{}",
        wrong.join("\n")
    );
}
