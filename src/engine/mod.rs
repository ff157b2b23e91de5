//! The engine: evaluates rules against facts, in parallel, with evidence.
//!
//! Outcomes combine as follows (documented in `docs/policy-format.md`):
//! - `all`: fail if any child fails; else error if any errors; else
//!   not_applicable if every child is; else pass.
//! - `any`: pass if any child passes; else error if any errors; else fail if
//!   any fails; else not_applicable.
//! - `none`: `not` of `any`.
//! - `not`: swaps pass and fail; keeps error and not_applicable.

pub mod compare;
pub mod human;
pub mod probe;

use crate::diag::cut;
use crate::facts::walk::Interest;
use crate::facts::{Facts, Source};
use crate::policy::{Assertion, Check, IfMissing, ProbeCheck, Quantifier, Rule};
use probe::{Gathered, Skip};
use rayon::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The host meets the rule.
    Pass,
    /// The host does not meet the rule.
    Fail,
    /// The rule's `applies_if` did not hold: the component it checks is absent.
    NotApplicable,
    /// The rule could not be checked (unreadable or malformed data); see `reason`.
    Error,
    /// The rule failed, and a waiver in force accepts that; see `waiver`.
    /// The engine never gives it: waivers are applied to the report.
    Waived,
}

impl Outcome {
    /// Every outcome, in the order reports list them.
    pub const ALL: [Outcome; 5] = [
        Outcome::Fail,
        Outcome::Error,
        Outcome::Waived,
        Outcome::Pass,
        Outcome::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotApplicable => "not_applicable",
            Outcome::Error => "error",
            Outcome::Waived => "waived",
        }
    }
}

/// At most this many observations are kept per check, offending ones first.
pub(crate) const MAX_OBSERVED: usize = 20;

/// Evidence keeps text of an observed value up to this many bytes...
const MAX_TEXT: usize = 1024;

/// ...and lists up to this many elements, so a check's evidence stays
/// within about MAX_OBSERVED × (MAX_TEXT × MAX_LIST) bytes however large
/// what it looked at.
const MAX_LIST: usize = 64;

/// A check's note (what it did not find, what it could not read) is cut
/// to this many bytes.
const MAX_NOTE: usize = 4096;

/// What one probe check saw and concluded: the auditor's view of a check.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Evidence {
    /// What was looked at, e.g. `sshd permitrootlogin` or `file /etc/shadow: mode`.
    pub subject: String,
    /// What was required, e.g. `equals "no"` or `every item: mode_at_most "0640"`.
    pub expected: String,
    /// The items observed, offending ones first, at most 20.
    pub observed: Vec<Observation>,
    /// How many items the probe observed in all (more than `observed` lists
    /// when the list was cut).
    pub observed_count: usize,
    /// The check's result: `pass`, `fail`, `not_applicable` or `error`.
    pub outcome: Outcome,
    /// Why nothing could be judged, or what was not found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
/// One item a check observed.
pub struct Observation {
    /// The value found (a string, number, boolean, list or record).
    pub value: Value,
    /// The file, and line when known, the value was read from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// How the value was arrived at, e.g. `OpenSSH default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Whether this item met the condition.
    pub matched: bool,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone)]
pub struct RuleResult {
    pub outcome: Outcome,
    /// For not_applicable and error: why.
    pub reason: Option<String>,
    pub evidence: Vec<Evidence>,
    pub duration: Duration,
}

/// What the filesystem walk must record for these rules: only what their
/// `walk` probes (in checks and `applies_if`) look for.
pub fn walk_interests(rules: &[&Rule]) -> BTreeSet<Interest> {
    fn visit(check: &Check, out: &mut BTreeSet<Interest>) {
        match check {
            Check::All(c) | Check::Any(c) | Check::None(c) => c.iter().for_each(|c| visit(c, out)),
            Check::Not(c) => visit(c, out),
            Check::Probe(p) => {
                if let crate::policy::Probe::Walk { kind } = &p.probe {
                    out.insert(probe::interest(kind));
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    for rule in rules {
        visit(&rule.check, &mut out);
        if let Some(c) = &rule.applies_if {
            visit(c, &mut out);
        }
    }
    out
}

/// Evaluates every rule, in parallel. Results come back in the order of `rules`.
pub fn evaluate(rules: &[&Rule], facts: &Facts) -> Vec<RuleResult> {
    rules.par_iter().map(|r| evaluate_rule(r, facts)).collect()
}

pub fn evaluate_rule(rule: &Rule, facts: &Facts) -> RuleResult {
    let start = Instant::now();
    let verdict = match &rule.applies_if {
        Some(cond) => {
            let v = eval(cond, facts);
            match v.outcome {
                // A condition is never waived; waivers apply to reports.
                Outcome::Pass | Outcome::Waived => eval(&rule.check, facts),
                Outcome::Fail => Verdict {
                    outcome: Outcome::NotApplicable,
                    reason: Some(format!("applies_if not met: {}", summarize(&v.evidence))),
                    evidence: Vec::new(),
                },
                Outcome::NotApplicable => Verdict {
                    outcome: Outcome::NotApplicable,
                    reason: v.reason,
                    evidence: Vec::new(),
                },
                Outcome::Error => Verdict {
                    outcome: Outcome::Error,
                    reason: v.reason.map(|r| format!("applies_if: {r}")),
                    evidence: v.evidence,
                },
            }
        }
        None => eval(&rule.check, facts),
    };
    RuleResult {
        outcome: verdict.outcome,
        reason: match verdict.outcome {
            Outcome::Pass | Outcome::Fail => None,
            _ => verdict.reason,
        },
        evidence: verdict.evidence,
        duration: start.elapsed(),
    }
}

/// One line per piece of evidence: `subject: observed (source); expected ...`.
pub fn summarize(evidence: &[Evidence]) -> String {
    evidence
        .iter()
        .map(|e| {
            let observed = if e.observed.is_empty() {
                e.note.clone().unwrap_or_else(|| "nothing observed".into())
            } else {
                e.observed
                    .iter()
                    .take(3)
                    .map(|o| {
                        let v = human::value(&o.value);
                        match (&o.source, &o.note) {
                            (Some(s), _) => format!("{v} at {s}"),
                            (None, Some(n)) => format!("{v} ({n})"),
                            (None, None) => v,
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("{}: {}; expected {}", e.subject, observed, e.expected)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn eval(check: &Check, facts: &Facts) -> Verdict {
    match check {
        Check::Probe(p) => eval_probe(p, facts),
        Check::Not(inner) => {
            let mut v = eval(inner, facts);
            v.outcome = match v.outcome {
                Outcome::Pass => Outcome::Fail,
                Outcome::Fail => Outcome::Pass,
                other => other,
            };
            v
        }
        Check::All(children) => combine(children, facts, |outcomes| {
            if outcomes.contains(&Outcome::Fail) {
                Outcome::Fail
            } else if outcomes.contains(&Outcome::Error) {
                Outcome::Error
            } else if outcomes.iter().all(|o| *o == Outcome::NotApplicable) {
                Outcome::NotApplicable
            } else {
                Outcome::Pass
            }
        }),
        Check::Any(children) => combine(children, facts, any),
        Check::None(children) => combine(children, facts, |outcomes| match any(outcomes) {
            Outcome::Pass => Outcome::Fail,
            Outcome::Fail => Outcome::Pass,
            other => other,
        }),
    }
}

fn any(outcomes: &[Outcome]) -> Outcome {
    if outcomes.contains(&Outcome::Pass) {
        Outcome::Pass
    } else if outcomes.contains(&Outcome::Error) {
        Outcome::Error
    } else if outcomes.contains(&Outcome::Fail) {
        Outcome::Fail
    } else {
        Outcome::NotApplicable
    }
}

/// Every child is evaluated, even when the result is already known, so the
/// evidence is complete and does not depend on evaluation order.
fn combine(children: &[Check], facts: &Facts, rule: impl Fn(&[Outcome]) -> Outcome) -> Verdict {
    let verdicts: Vec<Verdict> = children.iter().map(|c| eval(c, facts)).collect();
    let outcomes: Vec<Outcome> = verdicts.iter().map(|v| v.outcome).collect();
    let outcome = rule(&outcomes);
    let reason = verdicts
        .iter()
        .filter(|v| v.outcome == outcome)
        .filter_map(|v| v.reason.clone())
        .collect::<Vec<_>>();
    Verdict {
        outcome,
        reason: (!reason.is_empty()).then(|| reason.join("; ")),
        evidence: verdicts.into_iter().flat_map(|v| v.evidence).collect(),
    }
}

/// What a check looks at, as evidence names it: the probe, its `where`
/// conditions and its field (`users * where uid equals 0: name`).
pub fn subject(check: &ProbeCheck) -> String {
    let mut subject = probe::describe(&check.probe);
    if !check.filter.is_empty() {
        let conds: Vec<String> = check
            .filter
            .iter()
            .map(|(f, c)| format!("{f} {c}"))
            .collect();
        subject.push_str(&format!(" where {}", conds.join(" and ")));
    }
    if let Some(field) = &check.field {
        subject.push_str(&format!(": {field}"));
    }
    subject
}

fn eval_probe(check: &ProbeCheck, facts: &Facts) -> Verdict {
    let subject = subject(check);
    let expected = expectation(check);
    let skipped = |outcome: Outcome, reason: String| Verdict {
        outcome,
        reason: Some(reason.clone()),
        evidence: vec![Evidence {
            subject: subject.clone(),
            expected: expected.clone(),
            observed: Vec::new(),
            observed_count: 0,
            outcome,
            note: Some(reason),
        }],
    };
    // Patterns compile on first use; one too large to compile is an error.
    if let Some(Err(reason)) = check.patterns().map(|p| p.compiled()).find(Result::is_err) {
        return skipped(Outcome::Error, reason);
    }
    let gathered = match probe::gather(check, facts) {
        Ok(g) => g,
        Err(Skip::NotApplicable(r)) => return skipped(Outcome::NotApplicable, r),
        Err(Skip::Error(r)) => return skipped(Outcome::Error, r),
    };
    // The probe applied `where` and `field`, and judged each item, as the
    // items arrived.
    let Gathered {
        seen,
        matched,
        kept,
        notes,
        gaps,
        dropped,
        ..
    } = gathered;
    let observed_count = seen;

    let outcome = match &check.assertion {
        Assertion::Exists(want) => pass_if((seen == 0) != *want),
        Assertion::Count(cond) => pass_if(compare::count_holds(cond, seen)),
        Assertion::Value(_) if seen == 0 => match check.if_missing {
            IfMissing::Fail => Outcome::Fail,
            IfMissing::Pass => Outcome::Pass,
            IfMissing::NotApplicable => Outcome::NotApplicable,
        },
        Assertion::Value(_) => pass_if(match check.quantifier {
            Quantifier::All => matched == seen,
            Quantifier::Any => matched > 0,
            Quantifier::None => matched == 0,
        }),
    };

    // Input left unread may hold items that change the verdict: then it
    // is an error, whatever the items seen say.
    let incomplete = !gaps.is_empty() && !settled(check, outcome, observed_count);
    let outcome = if incomplete { Outcome::Error } else { outcome };
    let mut notes: Vec<String> = notes.into_iter().chain(gaps).collect();
    if dropped > 0 {
        notes.push(format!("and {dropped} more"));
    }
    let note = (!notes.is_empty()).then(|| cut(notes.join("; "), MAX_NOTE));

    // Offending items first: they are what an auditor needs to see. Each
    // value is cut to the size evidence keeps.
    let mut observed: Vec<Observation> = kept
        .into_iter()
        .map(|(item, met)| Observation {
            value: bounded(item.value),
            source: item.source,
            note: item.note.map(|n| cut(n, MAX_TEXT)),
            matched: met,
        })
        .collect();
    observed.sort_by_key(|o| !offending(check, o.matched));
    observed.truncate(MAX_OBSERVED);

    let reason = match outcome {
        Outcome::NotApplicable => Some(note.clone().unwrap_or_else(|| "nothing observed".into())),
        Outcome::Error => Some(format!(
            "{subject}: not all of the input could be read: {}",
            note.clone().unwrap_or_default()
        )),
        _ => None,
    };
    Verdict {
        outcome,
        reason,
        evidence: vec![Evidence {
            subject,
            expected,
            observed,
            observed_count,
            outcome,
            note,
        }],
    }
}

/// Whether an item is one an auditor needs to see first: one that breaks
/// the check (or, for `match: none`, one that meets the condition).
pub(crate) fn offending(check: &ProbeCheck, met: bool) -> bool {
    match (&check.assertion, check.quantifier) {
        (Assertion::Value(_), Quantifier::None) => met,
        (Assertion::Value(_), _) => !met,
        _ => false,
    }
}

/// Whether a verdict on the items seen holds whatever items the unread
/// input held: an offending item seen fails `all` and `none` (and
/// `exists: false`), a matching one passes `any` (and `exists: true`).
fn settled(check: &ProbeCheck, outcome: Outcome, seen: usize) -> bool {
    match (&check.assertion, outcome) {
        (Assertion::Exists(true), Outcome::Pass) | (Assertion::Exists(false), Outcome::Fail) => {
            true
        }
        (Assertion::Value(_), _) if seen == 0 => false,
        (Assertion::Value(_), Outcome::Fail) => {
            matches!(check.quantifier, Quantifier::All | Quantifier::None)
        }
        (Assertion::Value(_), Outcome::Pass) => check.quantifier == Quantifier::Any,
        _ => false,
    }
}

fn pass_if(ok: bool) -> Outcome {
    if ok {
        Outcome::Pass
    } else {
        Outcome::Fail
    }
}

/// An observed value cut to the size evidence keeps: text to
/// [`MAX_TEXT`] bytes, lists to [`MAX_LIST`] elements (then a last element
/// saying how many more there were), records field by field.
fn bounded(value: Value) -> Value {
    match value {
        Value::String(s) => Value::String(cut(s, MAX_TEXT)),
        Value::Array(items) => {
            let total = items.len();
            let mut out: Vec<Value> = items.into_iter().take(MAX_LIST).map(bounded).collect();
            if total > MAX_LIST {
                out.push(Value::String(format!("… {} more", total - MAX_LIST)));
            }
            Value::Array(out)
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (cut(k, MAX_TEXT), bounded(v)))
                .collect(),
        ),
        other => other,
    }
}

/// What a check requires, as evidence names it (`at least one: equals "no"`).
pub fn expectation(check: &ProbeCheck) -> String {
    match &check.assertion {
        Assertion::Exists(true) => "exists".into(),
        Assertion::Exists(false) => "does not exist".into(),
        Assertion::Count(c) => format!("count {c}"),
        Assertion::Value(c) => {
            let q = match check.quantifier {
                Quantifier::All => "",
                Quantifier::Any => "at least one: ",
                Quantifier::None => "none: ",
            };
            format!("{q}{c}")
        }
    }
}
