//! The examples of `docs/policy-format.md` and `docs/report-format.md` are
//! part of the test suite, so the documentation cannot drift from the code.
//!
//! Fenced blocks are selected by their info string:
//!
//! - ```` ```yaml policy ````: a complete policy file; it must load (under the
//!   name `example.yaml`). With `fixture=NAME expect=ID:OUTCOME,...`, every
//!   rule is evaluated against the root filesystem `tests/fixtures/docs/NAME/`
//!   and must end with the outcome listed (every rule must be listed); the
//!   rule's id line must also say so to readers: `- id: x    # NAME: pass`. With
//!   `source=PATH`, the block must equal the file at PATH.
//! - ```` ```yaml check ````: the value of a rule's `check:` key; it is wrapped
//!   in a one-rule policy that must load. With `fixture=NAME expect=OUTCOME`
//!   it is evaluated too, and its first line must be `# NAME: OUTCOME`.
//! - ```` ```yaml file=DIR/NAME ````: one file of a policy directory; all the
//!   blocks of one DIR must load together as a policy directory.
//! - ```` ```yaml invalid ````: a policy that must be rejected; the next block
//!   must be ```` ```text ```` holding the diagnostics, one per line, exactly as
//!   `posture rules check example.yaml` prints them.
//! - ```` ```json report policy=PATH root=DIR ````: a JSON report that must
//!   equal `posture scan --root DIR --policy PATH --format json`, once the
//!   values that change from run to run are masked.
//!
//! Every other ```` ```yaml ```` block is an error: YAML in the docs is checked.
//! The reference must also mention every probe, parameter, field, operator,
//! modifier and key that `src/policy/load.rs` accepts.

#[path = "support/report_schema.rs"]
mod report_schema;

use posture::engine::evaluate_rule;
use posture::facts::Facts;
use posture::policy::{self, Policy};
use posture::scan::{self, Selector};
use posture::target::Target;
use regex::Regex;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const POLICY_DOC: &str = "docs/policy-format.md";
const REPORT_DOC: &str = "docs/report-format.md";
const FIXTURES: &str = "tests/fixtures/docs";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    let path = manifest_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fenced code block of a Markdown file.
#[derive(Debug, Clone)]
struct Block {
    /// `docs/x.md:LINE` of the opening fence.
    at: String,
    lang: String,
    /// Bare words of the info string after the language (`policy`, `check`).
    words: Vec<String>,
    /// `key=value` pairs of the info string.
    attrs: BTreeMap<String, String>,
    text: String,
}

impl Block {
    fn kind(&self) -> Option<&str> {
        self.words.first().map(String::as_str)
    }

    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.get(key).map(String::as_str)
    }
}

fn blocks(doc: &str, name: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut open: Option<(usize, String, Vec<String>)> = None;
    for (i, line) in doc.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((i + 1, info.trim().to_string(), Vec::new()));
                }
            }
            Some((start, info, body)) => {
                if line.trim_end() == "```" {
                    let mut tokens = info.split_whitespace();
                    let lang = tokens.next().unwrap_or("").to_string();
                    let mut words = Vec::new();
                    let mut attrs = BTreeMap::new();
                    for t in tokens {
                        match t.split_once('=') {
                            Some((k, v)) => {
                                attrs.insert(k.to_string(), v.to_string());
                            }
                            None => words.push(t.to_string()),
                        }
                    }
                    let mut text = body.join("\n");
                    text.push('\n');
                    out.push(Block {
                        at: format!("{name}:{start}"),
                        lang,
                        words,
                        attrs,
                        text,
                    });
                    open = None;
                } else {
                    body.push(line.to_string());
                }
            }
        }
    }
    assert!(open.is_none(), "{name}: a code block is not closed");
    out
}

/// Wraps the body of a `check:` key into a one-rule policy.
fn wrap_check(check: &str) -> String {
    let mut text = String::from(
        "policy:\n  id: docs\n  title: Documentation example\n  version: \"1\"\n\
         rules:\n  - id: example\n    title: Example\n    severity: medium\n    check:\n",
    );
    for line in check.lines() {
        if !line.is_empty() {
            text.push_str("      ");
            text.push_str(line);
        }
        text.push('\n');
    }
    text
}

fn fixture_target(name: &str) -> Target {
    let dir = manifest_dir().join(FIXTURES).join(name);
    Target::root(&dir).unwrap_or_else(|e| panic!("fixture {}: {e}", dir.display()))
}

/// Every rule's outcome, in policy order.
fn outcomes(policy: &Policy, fixture: &str) -> Vec<(String, String)> {
    let target = fixture_target(fixture);
    let facts = Facts::new(&target);
    policy
        .rules
        .iter()
        .map(|r| {
            let result = evaluate_rule(r, &facts);
            let mut got = result.outcome.as_str().to_string();
            if let Some(reason) = &result.reason {
                got.push_str(&format!(" ({reason})"));
            }
            (r.id.clone(), got)
        })
        .collect()
}

fn outcome_of(got: &str) -> &str {
    got.split(' ').next().unwrap_or(got)
}

fn load_errors(text: &str) -> Result<Policy, Vec<String>> {
    policy::load_str(text, "example.yaml")
        .map_err(|e| e.diagnostics.iter().map(ToString::to_string).collect())
}

#[derive(Default)]
struct Counts {
    policies: usize,
    fixture_policies: usize,
    checks: usize,
    fixture_checks: usize,
    invalid: usize,
    dir_files: usize,
    reports: usize,
    /// The expected diagnostics of every invalid example.
    invalid_messages: Vec<String>,
}

/// Checks every YAML block of one document; returns what was found and the
/// problems, so that one run lists them all.
fn check_doc(name: &str, problems: &mut Vec<String>) -> Counts {
    let doc = read(name);
    let blocks = blocks(&doc, name);
    let mut counts = Counts::default();
    let mut dirs: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut i = 0;
    while i < blocks.len() {
        let b = &blocks[i];
        i += 1;
        match (b.lang.as_str(), b.kind()) {
            ("yaml", Some("policy")) => {
                counts.policies += 1;
                if let Some(path) = b.attr("source") {
                    if read(path) != b.text {
                        problems.push(format!("{}: block differs from {path}", b.at));
                    }
                }
                let policy = match load_errors(&b.text) {
                    Ok(p) => p,
                    Err(diags) => {
                        problems.push(format!("{}: policy does not load:\n  {}", b.at, diags.join("\n  ")));
                        continue;
                    }
                };
                match (b.attr("fixture"), b.attr("expect")) {
                    (None, None) => {}
                    (Some(fixture), Some(expect)) => {
                        counts.fixture_policies += 1;
                        let mut want: BTreeMap<&str, &str> = BTreeMap::new();
                        for pair in expect.split(',') {
                            let Some((id, outcome)) = pair.split_once(':') else {
                                problems.push(format!("{}: bad expect entry `{pair}`", b.at));
                                continue;
                            };
                            if want.insert(id, outcome).is_some() {
                                problems.push(format!("{}: `{id}` expected twice", b.at));
                            }
                        }
                        // The outcome is also visible to readers, as a comment.
                        for (id, outcome) in &want {
                            let comment = format!("- id: {id}    # {fixture}: {outcome}\n");
                            if !b.text.contains(&comment) {
                                problems.push(format!("{}: rule `{id}` needs the comment `# {fixture}: {outcome}` on its id line", b.at));
                            }
                        }
                        let got = outcomes(&policy, fixture);
                        for (id, outcome) in &got {
                            match want.remove(id.as_str()) {
                                None => problems.push(format!("{}: no expected outcome for rule `{id}` (got {outcome})", b.at)),
                                Some(w) if w != outcome_of(outcome) => problems.push(format!(
                                    "{}: rule `{id}` on {fixture}: expected {w}, got {outcome}",
                                    b.at
                                )),
                                Some(_) => {}
                            }
                        }
                        for id in want.keys() {
                            problems.push(format!("{}: expected outcome for unknown rule `{id}`", b.at));
                        }
                    }
                    _ => problems.push(format!("{}: `fixture` and `expect` go together", b.at)),
                }
            }
            ("yaml", Some("check")) => {
                counts.checks += 1;
                let policy = match load_errors(&wrap_check(&b.text)) {
                    Ok(p) => p,
                    Err(diags) => {
                        problems.push(format!("{}: check does not load (wrapped in a policy):\n  {}", b.at, diags.join("\n  ")));
                        continue;
                    }
                };
                match (b.attr("fixture"), b.attr("expect")) {
                    (None, None) => {}
                    (Some(fixture), Some(want)) => {
                        counts.fixture_checks += 1;
                        let comment = format!("# {fixture}: {want}");
                        if b.text.lines().next() != Some(comment.as_str()) {
                            problems.push(format!("{}: the first line must be the comment `{comment}`", b.at));
                        }
                        let got = outcomes(&policy, fixture);
                        let got = &got[0].1;
                        if outcome_of(got) != want {
                            problems.push(format!("{}: check on {fixture}: expected {want}, got {got}", b.at));
                        }
                    }
                    _ => problems.push(format!("{}: `fixture` and `expect` go together", b.at)),
                }
            }
            ("yaml", Some("invalid")) => {
                counts.invalid += 1;
                let Some(next) = blocks.get(i).filter(|n| n.lang == "text") else {
                    problems.push(format!("{}: an invalid example must be followed by a ```text block", b.at));
                    continue;
                };
                i += 1;
                let want: Vec<String> = next.text.lines().map(|l| l.trim_end().to_string()).filter(|l| !l.is_empty()).collect();
                counts.invalid_messages.extend(want.iter().cloned());
                match load_errors(&b.text) {
                    Ok(_) => problems.push(format!("{}: invalid example loads", b.at)),
                    Err(got) if got != want => problems.push(format!(
                        "{}: diagnostics differ\n  expected:\n    {}\n  got:\n    {}",
                        b.at,
                        want.join("\n    "),
                        got.join("\n    ")
                    )),
                    Err(_) => {}
                }
            }
            ("yaml", None) if b.attr("file").is_some() => {
                counts.dir_files += 1;
                let file = b.attr("file").unwrap_or_default();
                let Some((dir, _)) = file.rsplit_once('/') else {
                    problems.push(format!("{}: `file=` needs DIR/NAME", b.at));
                    continue;
                };
                dirs.entry(dir.to_string()).or_default().push((file.to_string(), b.text.clone()));
            }
            ("yaml" | "yml", _) => problems.push(format!(
                "{}: a YAML block must be marked `policy`, `check`, `invalid` or `file=DIR/NAME` (info string: `{} {}`)",
                b.at,
                b.lang,
                b.words.join(" ")
            )),
            ("json", Some("report")) => {
                counts.reports += 1;
                check_report(b, problems);
            }
            _ => {}
        }
    }
    for (dir, files) in &dirs {
        match policy::load_files(dir, files) {
            Ok(p) if p.rules.is_empty() => {
                problems.push(format!("{name}: policy directory {dir} has no rules"))
            }
            Ok(_) => {}
            Err(e) => problems.push(format!(
                "{name}: policy directory {dir} does not load:\n  {e}"
            )),
        }
    }
    counts
}

/// The values of a report that change from one run to the next.
fn mask(report: &mut Value) {
    let mut set = |ptr: &str| {
        if let Some(v) = report.pointer_mut(ptr) {
            *v = Value::String("<masked>".into());
        }
    };
    for ptr in [
        "/tool/version",
        "/scan/id",
        "/scan/started_at",
        "/scan/finished_at",
        "/scan/duration_ms",
        "/target/root",
    ] {
        set(ptr);
    }
    if let Some(results) = report.get_mut("results").and_then(Value::as_array_mut) {
        for r in results {
            if let Some(d) = r.get_mut("duration_us") {
                *d = Value::String("<masked>".into());
            }
        }
    }
}

fn check_report(b: &Block, problems: &mut Vec<String>) {
    let (Some(policy_path), Some(root)) = (b.attr("policy"), b.attr("root")) else {
        problems.push(format!(
            "{}: a report example needs policy=PATH and root=DIR",
            b.at
        ));
        return;
    };
    let mut documented: Value = match serde_json::from_str(&b.text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("{}: not JSON: {e}", b.at));
            return;
        }
    };
    // Relative paths, as on the command line run from the repository root
    // (which is where cargo runs integration tests).
    let policies = match policy::load_file(Path::new(policy_path)) {
        Ok(p) => vec![p],
        Err(e) => {
            problems.push(format!("{}: {policy_path} does not load:\n  {e}", b.at));
            return;
        }
    };
    let target = Target::root(root).unwrap_or_else(|e| panic!("{root}: {e}"));
    let (mut report, _facts) = scan::run(&target, &policies, &Selector::default()).expect("scan");
    // As `posture scan` does, under the default gate.
    report.judge(&posture::report::gate::Gate::default());
    let mut real: Value =
        report_schema::report_json(posture::report::json::render(&report).as_bytes());
    mask(&mut documented);
    mask(&mut real);
    let documented = serde_json::to_string_pretty(&documented).unwrap_or_default();
    let real = serde_json::to_string_pretty(&real).unwrap_or_default();
    if documented != real {
        problems.push(format!(
            "{}: the report example is not what `posture scan --root {root} --policy {policy_path} --format json` prints now \
             (volatile values aside); regenerate it. Current output (masked):\n{real}",
            b.at
        ));
    }
}

#[test]
fn doc_examples_load_and_evaluate_as_documented() {
    let mut problems = Vec::new();
    let counts = check_doc(POLICY_DOC, &mut problems);
    let report_counts = check_doc(REPORT_DOC, &mut problems);
    for (doc, c) in [(POLICY_DOC, &counts), (REPORT_DOC, &report_counts)] {
        eprintln!(
            "{doc}: {} policies ({} evaluated), {} checks ({} evaluated), {} invalid, {} directory files, {} reports",
            c.policies, c.fixture_policies, c.checks, c.fixture_checks, c.invalid, c.dir_files, c.reports
        );
    }

    // The reference keeps enough proven examples.
    let mut require = |ok: bool, what: &str| {
        if !ok {
            problems.push(format!("{POLICY_DOC}: {what}"));
        }
    };
    require(
        counts.policies >= 12,
        "needs at least 12 `yaml policy` examples",
    );
    require(
        counts.invalid >= 4,
        "needs at least 4 `yaml invalid` examples",
    );
    require(
        counts.fixture_policies >= 5,
        "needs at least 5 policy examples evaluated on a fixture",
    );
    require(counts.dir_files >= 2, "needs a policy directory example");
    for (needle, what) in [
        ("did you mean", "an unknown key with a suggestion"),
        ("invalid regular expression", "a bad regular expression"),
        ("duplicate rule id", "a duplicate rule id"),
        ("takes a number, found", "a wrong operand type"),
    ] {
        require(
            counts.invalid_messages.iter().any(|m| m.contains(needle)),
            &format!("needs an invalid example showing {what}"),
        );
    }
    require(
        report_counts.reports >= 1,
        "report-format.md needs a `json report` example",
    );

    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

/// The names in a `const NAME: ... = &[ ... ];` array of load.rs.
fn const_names(source: &str, name: &str) -> Vec<String> {
    let re = Regex::new(&format!(r"(?s)const {name}: [^=]*= &\[(.*?)\n?\];")).expect("regex");
    let body = re
        .captures(source)
        .unwrap_or_else(|| panic!("src/policy/load.rs has no const {name}"))
        .get(1)
        .map_or("", |m| m.as_str());
    quoted(body)
}

fn quoted(text: &str) -> Vec<String> {
    let re = Regex::new(r#""([^"]+)""#).expect("regex");
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// The text of a section: from its heading line to the next heading of the
/// same or a higher level.
fn section<'d>(doc: &'d str, heading: &str) -> &'d str {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let start = doc
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("{POLICY_DOC} has no heading `{heading}`"))
        + 1;
    let rest = &doc[start + heading.len()..];
    let mut end = rest.len();
    let mut offset = 0;
    let mut in_code = false;
    for line in rest.split_inclusive('\n') {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if !in_code && hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
            end = offset;
            break;
        }
        offset += line.len();
    }
    &doc[start..start + heading.len() + end]
}

#[test]
fn reference_mentions_everything_the_loader_accepts() {
    let source = read("src/policy/load.rs");
    let doc = read(POLICY_DOC);
    let mut missing = Vec::new();
    fn need(missing: &mut Vec<String>, text: &str, where_: &str, name: &str) {
        if !text.contains(&format!("`{name}`")) {
            missing.push(format!("`{name}` in {where_}"));
        }
    }

    let probes_src = Regex::new(r"(?s)const PROBES: &\[ProbeSpec\] = &\[(.*?)\n\];")
        .expect("regex")
        .captures(&source)
        .expect("src/policy/load.rs has no PROBES")
        .get(1)
        .map_or("", |m| m.as_str())
        .to_string();
    let spec = Regex::new(
        r#"(?s)ProbeSpec \{\s*key: "([a-z_]+)",\s*params: &\[(.*?)\],\s*fields: (None|Some\(&\[(.*?)\]\)),\s*\}"#,
    )
    .expect("regex");
    let mut probes = 0;
    for c in spec.captures_iter(&probes_src) {
        probes += 1;
        let key = &c[1];
        let heading = format!("### `{key}`");
        if !doc.contains(&format!("\n{heading}\n")) {
            missing.push(format!("a section `{heading}`"));
            continue;
        }
        let text = section(&doc, &heading);
        let where_ = format!("section {heading}");
        for param in quoted(&c[2]) {
            need(&mut missing, text, &where_, &param);
        }
        for field in quoted(c.get(4).map_or("", |m| m.as_str())) {
            need(&mut missing, text, &where_, &field);
        }
        let probes_section = section(&doc, "## Probes");
        need(&mut missing, probes_section, "the probe table", key);
    }
    assert!(
        probes >= 14,
        "parsed only {probes} probes from src/policy/load.rs"
    );

    let operators = section(&doc, "## Operators");
    for op in const_names(&source, "VALUE_OPS")
        .iter()
        .chain(&const_names(&source, "SET_OPS"))
    {
        need(&mut missing, operators, "section ## Operators", op);
    }
    let checks = section(&doc, "## Checks");
    for c in const_names(&source, "COMBINATORS") {
        need(&mut missing, checks, "section ## Checks", &c);
    }
    let modifiers = section(&doc, "## Modifiers");
    for m in const_names(&source, "COMMON_KEYS") {
        need(&mut missing, modifiers, "section ## Modifiers", &m);
    }
    let rules = section(&doc, "## Rules");
    for k in const_names(&source, "RULE_KEYS") {
        need(&mut missing, rules, "section ## Rules", &k);
    }
    let meta = section(&doc, "## Policy metadata");
    for k in const_names(&source, "META_KEYS") {
        need(&mut missing, meta, "section ## Policy metadata", &k);
    }
    let files = section(&doc, "## Files and directories");
    for k in const_names(&source, "POLICY_KEYS") {
        need(&mut missing, files, "section ## Files and directories", &k);
    }
    let facts_listed = section(&doc, "### `fact`");
    for name in posture::facts::FACT_NAMES {
        need(&mut missing, facts_listed, "section ### `fact`", name);
    }

    let known: BTreeSet<&str> = ["info", "low", "medium", "high", "critical"].into();
    for sev in posture::policy::Severity::ALL {
        assert!(
            known.contains(sev.as_str()),
            "severity {sev} is not documented in this test's list"
        );
        need(&mut missing, rules, "section ## Rules", sev.as_str());
    }
    assert!(
        missing.is_empty(),
        "{POLICY_DOC} does not mention:\n  {}",
        missing.join("\n  ")
    );
}

/// `docs/rules.md` is generated from the built-in rules; regenerate it with
/// `cargo run -- rules list --format markdown > docs/rules.md` (or run this
/// test with `POSTURE_BLESS=1`).
#[test]
fn rules_catalogue_is_current() {
    let policies = posture::scan::builtin_policies().unwrap();
    let selector = posture::scan::Selector {
        profile: Some(posture::policy::ALL_PROFILES.to_string()),
        ..Default::default()
    };
    let selected = selector.select(&policies).unwrap();
    let generated = posture::policy::catalog::markdown(&selected);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    if std::env::var_os("POSTURE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/rules.md is out of date: run `cargo run -- rules list --format markdown > docs/rules.md`"
    );
}
