//! Policies: rules as data, validated and compiled once at load.
//!
//! The format is documented in `docs/policy-format.md`; [`load`] turns YAML
//! text into these types and reports every problem with file, line and column.

pub mod catalog;
mod load;
mod pattern;
pub mod source;
pub mod summary;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub(crate) use load::edit_distance;
pub use load::{
    all_profiles, check_together, load_dir, load_file, load_files, load_str, parse_mode, LoadError,
    POLICY_FILE,
};
pub use pattern::Pattern;

/// A policy: metadata and the rules of one file.
#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    pub title: String,
    pub version: String,
    pub description: Option<String>,
    /// The file it was loaded from (`builtin:rules/x.yaml` for embedded ones).
    pub file: String,
    /// `sha256:` of the file's bytes, so a report names exactly what was applied.
    pub digest: String,
    /// Profile name → its declaration.
    pub profiles: BTreeMap<String, Profile>,
    /// The profile a scan uses when none is chosen; without one, a scan
    /// evaluates every rule.
    pub default_profile: Option<String>,
    pub rules: Vec<Rule>,
}

/// A named subset of a policy's rules. A profile that extends others also
/// holds their rules, so a stricter level lists only what it adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub description: String,
    pub extends: Vec<String>,
}

/// The profile name that selects every rule, whatever the policies declare.
pub const ALL_PROFILES: &str = "all";

/// `name` and every declared profile it extends, directly or not.
fn closure<'a>(profiles: &'a BTreeMap<String, Profile>, name: &str) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name.to_string()];
    while let Some(p) = todo.pop() {
        if let Some((key, decl)) = profiles.get_key_value(&p) {
            if seen.insert(key.as_str()) {
                todo.extend(decl.extends.iter().cloned());
            }
        }
    }
    seen
}

impl Policy {
    /// `name` and every profile it extends, directly or not.
    pub fn profile_closure(&self, name: &str) -> BTreeSet<&str> {
        closure(&self.profiles, name)
    }

    /// Whether `rule` is in profile `name` (directly or through `extends`).
    pub fn rule_in_profile(&self, rule: &Rule, name: &str) -> bool {
        let closure = self.profile_closure(name);
        rule.profiles.iter().any(|p| closure.contains(p.as_str()))
    }

    /// The profiles `rule` belongs to, directly or because a profile
    /// extends one of the rule's.
    pub fn profiles_of(&self, rule: &Rule) -> Vec<&str> {
        self.profiles
            .keys()
            .filter(|p| self.rule_in_profile(rule, p))
            .map(String::as_str)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub rationale: String,
    pub remediation: String,
    /// Framework (`cis`, `nist-800-53`, `anssi`, `stig`, ...) → its ids.
    pub references: BTreeMap<String, Vec<String>>,
    pub profiles: Vec<String>,
    /// The rule is `not_applicable` unless this check passes.
    pub applies_if: Option<Check>,
    pub check: Check,
    /// Where the rule is defined: `file:line`.
    pub location: String,
}

impl Rule {
    /// The area of the policy the rule belongs to: its file's name without
    /// `.yaml` (`ssh` for `builtin:rules/linux-baseline/ssh.yaml:12`).
    pub fn area(&self) -> &str {
        let location = self.location.as_str();
        let file = location.rsplit_once(':').map_or(location, |(f, _)| f);
        let name = file.rsplit('/').next().unwrap_or(file);
        name.strip_suffix(".yaml")
            .or_else(|| name.strip_suffix(".yml"))
            .unwrap_or(name)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
/// How much a failure of the rule matters; weights the score.
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The weight of a rule of this severity in the score.
    pub fn weight(self) -> u32 {
        match self {
            Severity::Info => 0,
            Severity::Low => 1,
            Severity::Medium => 3,
            Severity::High => 6,
            Severity::Critical => 10,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check: probes combined with `all`, `any`, `none` and `not`.
#[derive(Debug, Clone)]
pub enum Check {
    All(Vec<Check>),
    Any(Vec<Check>),
    None(Vec<Check>),
    Not(Box<Check>),
    Probe(Box<ProbeCheck>),
}

impl ProbeCheck {
    /// The regular expressions the check uses: its probe's `line`, its
    /// `where` conditions and its assertion.
    pub fn patterns(&self) -> impl Iterator<Item = &Pattern> {
        let line = match &self.probe {
            Probe::FileContent { line, .. } => line.as_ref(),
            _ => None,
        };
        fn op_pattern(c: &Condition) -> Option<&Pattern> {
            match &c.op {
                Op::Matches(p) | Op::NotMatches(p) => Some(p),
                _ => None,
            }
        }
        let assertion = match &self.assertion {
            Assertion::Count(c) | Assertion::Value(c) => op_pattern(c),
            Assertion::Exists(_) => None,
        };
        line.into_iter()
            .chain(self.filter.iter().filter_map(|(_, c)| op_pattern(c)))
            .chain(assertion)
    }
}

/// One probe and one assertion about what it observed.
#[derive(Debug, Clone)]
pub struct ProbeCheck {
    pub probe: Probe,
    /// `where`: only items whose fields meet every condition are kept.
    pub filter: Vec<(String, Condition)>,
    /// `field`: the part of each item the assertion looks at.
    pub field: Option<String>,
    pub quantifier: Quantifier,
    pub if_missing: IfMissing,
    pub assertion: Assertion,
    /// `file:line` of the check, for messages.
    pub location: String,
}

#[derive(Debug, Clone)]
pub enum Probe {
    File {
        path: String,
        follow: bool,
    },
    FileContent {
        path: String,
        line: Option<Pattern>,
    },
    Config {
        path: String,
        key: String,
        section: Option<String>,
        separator: Separator,
        ignore_case: bool,
    },
    Sshd {
        keyword: String,
        include_match: bool,
    },
    Sysctl {
        key: String,
        from: View,
        fallback: bool,
    },
    Package {
        name: String,
    },
    Service {
        name: String,
    },
    KernelModule {
        name: String,
    },
    Mount {
        mountpoint: String,
        from: View,
        fallback: bool,
    },
    User {
        name: String,
    },
    Group {
        name: String,
    },
    Listening {
        port: Option<u16>,
    },
    Process {
        name: String,
    },
    Fact {
        path: String,
    },
    /// Entries of the scan's one filesystem walk that have a property: one
    /// of [`WALK_KINDS`].
    Walk {
        kind: String,
    },
    /// The value shadow's tools use for a login.defs name.
    LoginDefs {
        key: String,
    },
    /// A kernel command line parameter, one item per command line.
    KernelParam {
        name: String,
        from: View,
        fallback: bool,
        /// `as: bool`: values as kstrtobool reads them.
        as_bool: bool,
        /// `instances: all`: every value in order, not only the last.
        all: bool,
    },
    /// Audit rules the kernel would hold, one record each; `list` is one
    /// list (`exit`, ...) or `None` for all.
    AuditRule {
        list: Option<String>,
    },
    /// The value a sudoers option has: the global one (last global
    /// Defaults, or sudo's built-in value), then, with `overrides`, the
    /// one of each host, user, runas or command binding that sets it.
    SudoDefault {
        name: String,
        overrides: bool,
    },
    /// The commands of the sudoers user specifications whose command
    /// matches a glob, aliases expanded.
    SudoRule {
        command: String,
    },
}

/// What the `walk` probe can look for.
pub const WALK_KINDS: &[&str] = &[
    "world_writable",
    "world_writable_no_sticky",
    "unowned",
    "ungrouped",
    "setuid",
    "setgid",
];

/// Where a value that exists both at run time and in configuration is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Runtime,
    Configured,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    Whitespace,
    Equals,
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    All,
    Any,
    None,
}

/// What a value assertion gives when the probe observed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMissing {
    Fail,
    Pass,
    NotApplicable,
}

#[derive(Debug, Clone)]
pub enum Assertion {
    /// `exists: true|false`: whether the probe observed anything.
    Exists(bool),
    /// `count`: how many items the probe observed.
    Count(Condition),
    /// Any other operator: about each item's value.
    Value(Condition),
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub op: Op,
    pub operand: Literal,
    pub ignore_case: bool,
}

#[derive(Debug, Clone)]
pub enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    Matches(Pattern),
    NotMatches(Pattern),
    Lt,
    Le,
    Gt,
    Ge,
    VersionLt,
    VersionLe,
    VersionGt,
    VersionGe,
    Contains,
    NotContains,
    ModeAtMost(u32),
    ModeHas(u32),
    /// A list value holds every operand.
    ContainsAll,
    /// A list value holds at least one operand.
    ContainsAny,
    /// Every element of a list value is one of the operands.
    SubsetOf,
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Equals => "equals",
            Op::NotEquals => "not_equals",
            Op::In => "in",
            Op::NotIn => "not_in",
            Op::Matches(_) => "matches",
            Op::NotMatches(_) => "not_matches",
            Op::Lt => "lt",
            Op::Le => "le",
            Op::Gt => "gt",
            Op::Ge => "ge",
            Op::VersionLt => "version_lt",
            Op::VersionLe => "version_le",
            Op::VersionGt => "version_gt",
            Op::VersionGe => "version_ge",
            Op::Contains => "contains",
            Op::NotContains => "not_contains",
            Op::ModeAtMost(_) => "mode_at_most",
            Op::ModeHas(_) => "mode_has",
            Op::ContainsAll => "contains_all",
            Op::ContainsAny => "contains_any",
            Op::SubsetOf => "subset_of",
        }
    }
}

/// A value written in a policy file. Scalars keep their source text, so
/// `0640` stays `0640` for mode comparisons and `no` is the string `no`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Number(f64, String),
    Str(String),
    List(Vec<Literal>),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number(_, text) => f.write_str(text),
            Literal::Str(s) => write!(f, "{s:?}"),
            Literal::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.op.name(), self.operand)?;
        if self.ignore_case {
            f.write_str(" (ignoring case)")?;
        }
        Ok(())
    }
}

impl Policy {
    /// The rule with `id`, if this policy has it.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}
