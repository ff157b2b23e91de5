//! Decoding policy files from the YAML tree, collecting every problem.

use super::*;
use crate::diag::Diagnostic;
use crate::yaml::{self, Node, NodeKind, Typed};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Everything wrong with one or more policy files.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", render(.diagnostics))]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Policy files larger than this are refused: no real policy comes close.
const MAX_POLICY_BYTES: u64 = 8 * 1024 * 1024;

pub fn load_file(path: &Path) -> Result<Policy, LoadError> {
    let text = read_policy_file(path)?;
    load_str(&text, &path.display().to_string())
}

/// The policies of a directory. A directory holding `policy.yaml` is one
/// policy whose rules may be spread over its other `*.yaml` files; otherwise
/// each `*.yaml` file and each such policy directory inside is a policy.
pub fn load_dir(dir: &Path) -> Result<Vec<Policy>, LoadError> {
    let name = dir.display().to_string();
    let io = |e: std::io::Error| LoadError {
        diagnostics: vec![Diagnostic::new(
            &name,
            format!("cannot read directory: {e}"),
        )],
    };
    if dir.join(POLICY_FILE).is_file() {
        let mut files = Vec::new();
        let mut diagnostics = Vec::new();
        for path in yaml_files(dir).map_err(io)? {
            match read_policy_file(&path) {
                Ok(text) => files.push((path.display().to_string(), text)),
                Err(e) => diagnostics.extend(e.diagnostics),
            }
        }
        if !diagnostics.is_empty() {
            return Err(LoadError { diagnostics });
        }
        return load_files(&name, &files).map(|p| vec![p]);
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut policies = Vec::new();
    let mut diagnostics = Vec::new();
    for path in entries {
        let loaded = if path.is_dir() {
            if !path.join(POLICY_FILE).is_file() {
                continue;
            }
            load_dir(&path)
        } else if is_yaml(&path) {
            load_file(&path).map(|p| vec![p])
        } else {
            continue;
        };
        match loaded {
            Ok(p) => policies.extend(p),
            Err(e) => diagnostics.extend(e.diagnostics),
        }
    }
    if policies.is_empty() && diagnostics.is_empty() {
        // A mistyped path must not become a scan of nothing that passes.
        diagnostics.push(Diagnostic::new(
            &name,
            format!("no policy here: no *.yaml file and no directory with a {POLICY_FILE}"),
        ));
    }
    if diagnostics.is_empty() {
        Ok(policies)
    } else {
        Err(LoadError { diagnostics })
    }
}

/// The file of a policy directory that holds the policy's metadata.
pub const POLICY_FILE: &str = "policy.yaml";

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

fn yaml_files(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && is_yaml(p))
        .collect();
    files.sort();
    Ok(files)
}

/// One policy from the files of a policy directory, given as (name, text):
/// the one named `policy.yaml` holds the metadata, the others `rules` only.
pub fn load_files(name: &str, files: &[(String, String)]) -> Result<Policy, LoadError> {
    let is_meta = |f: &str| Path::new(f).file_name().and_then(|n| n.to_str()) == Some(POLICY_FILE);
    let Some((meta_file, meta_text)) = files.iter().find(|(f, _)| is_meta(f)) else {
        return Err(LoadError {
            diagnostics: vec![Diagnostic::new(
                name,
                format!("a policy directory needs a {POLICY_FILE}"),
            )],
        });
    };
    let mut hasher = Sha256::new();
    let mut diagnostics = Vec::new();
    let mut cx = Cx {
        file: meta_file.clone(),
        diags: Vec::new(),
        patterns: Vec::new(),
    };
    let mut policy = match yaml::parse(meta_text, meta_file) {
        Ok(root) => cx.policy(&root, true),
        Err(d) => {
            diagnostics.push(d);
            None
        }
    };
    cx.compile_patterns();
    diagnostics.append(&mut cx.diags);
    for (file, text) in files {
        hasher.update(
            Path::new(file)
                .file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    let profiles = policy
        .as_ref()
        .map(|p| p.profiles.clone())
        .unwrap_or_default();
    // The rule files are independent: decode them in parallel, keep order.
    let decoded: Vec<(Vec<Rule>, Vec<Diagnostic>)> = files
        .par_iter()
        .filter(|(file, _)| !is_meta(file))
        .map(|(file, text)| {
            let mut cx = Cx {
                file: file.clone(),
                diags: Vec::new(),
                patterns: Vec::new(),
            };
            match yaml::parse(text, file) {
                Ok(root) => {
                    let rules = cx.rules_only(&root, &profiles);
                    cx.compile_patterns();
                    (rules, cx.diags)
                }
                Err(d) => (Vec::new(), vec![d]),
            }
        })
        .collect();
    for (rules, mut diags) in decoded {
        if let Some(p) = policy.as_mut() {
            p.rules.extend(rules);
        }
        diagnostics.append(&mut diags);
    }
    match policy {
        Some(mut p) if diagnostics.is_empty() => {
            p.file = name.to_string();
            p.digest = format!("sha256:{:x}", hasher.finalize());
            diagnostics.extend(check_together(std::slice::from_ref(&p)));
            if diagnostics.is_empty() {
                Ok(p)
            } else {
                Err(LoadError { diagnostics })
            }
        }
        _ => {
            diagnostics.sort();
            diagnostics.dedup();
            Err(LoadError { diagnostics })
        }
    }
}

fn read_policy_file(path: &Path) -> Result<String, LoadError> {
    let name = path.display().to_string();
    let fail = |m: String| LoadError {
        diagnostics: vec![Diagnostic::new(&name, m)],
    };
    let meta =
        std::fs::metadata(path).map_err(|e| fail(format!("cannot read policy file: {e}")))?;
    if !meta.is_file() {
        return Err(fail("not a regular file".into()));
    }
    if meta.len() > MAX_POLICY_BYTES {
        return Err(fail(format!(
            "policy file is {} bytes; the limit is {MAX_POLICY_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read policy file: {e}")))?;
    String::from_utf8(bytes).map_err(|_| fail("policy file is not valid UTF-8".into()))
}

pub fn load_str(text: &str, file: &str) -> Result<Policy, LoadError> {
    let root = yaml::parse(text, file).map_err(|d| LoadError {
        diagnostics: vec![d],
    })?;
    let mut cx = Cx {
        file: file.to_string(),
        diags: Vec::new(),
        patterns: Vec::new(),
    };
    let policy = cx.policy(&root, false);
    cx.compile_patterns();
    match policy {
        Some(mut p) if cx.diags.is_empty() => {
            p.digest = format!("sha256:{:x}", Sha256::digest(text.as_bytes()));
            Ok(p)
        }
        _ => {
            cx.diags.sort();
            cx.diags.dedup();
            Err(LoadError {
                diagnostics: cx.diags,
            })
        }
    }
}

struct Cx {
    file: String,
    diags: Vec<Diagnostic>,
    /// Every pattern read, with where it was written: compiled once the
    /// file is read (see [`Cx::compile_patterns`]).
    patterns: Vec<(Pattern, Diagnostic)>,
}

/// The entries of a mapping, with duplicate keys reported and every key
/// that nobody asked for reported as unknown.
struct Fields<'a> {
    entries: Vec<(&'a str, &'a Node, &'a Node)>,
    used: Vec<bool>,
    node: &'a Node,
}

impl<'a> Fields<'a> {
    fn take(&mut self, key: &str) -> Option<&'a Node> {
        let i = self.entries.iter().position(|(k, _, _)| *k == key)?;
        self.used[i] = true;
        Some(self.entries[i].2)
    }

    fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _, _)| *k == key)
    }

    fn keys(&self) -> impl Iterator<Item = (&'a str, &'a Node)> + '_ {
        self.entries.iter().map(|(k, n, _)| (*k, *n))
    }

    fn finish(self, cx: &mut Cx, context: &str, allowed: &[&str]) {
        for (i, (key, key_node, _)) in self.entries.iter().enumerate() {
            if !self.used[i] {
                let hint = match suggest(key, allowed) {
                    Some(s) => format!("; did you mean `{s}`?"),
                    None => format!("; expected one of: {}", allowed.join(", ")),
                };
                cx.err(key_node, format!("unknown key `{key}` in {context}{hint}"));
            }
        }
    }
}

fn suggest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .copied()
        .filter(|a| edit_distance(key, a) <= 2)
        .min_by_key(|a| edit_distance(key, a))
}

pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

const POLICY_KEYS: &[&str] = &["policy", "rules"];
const META_KEYS: &[&str] = &[
    "id",
    "title",
    "version",
    "description",
    "profiles",
    "default_profile",
];
const PROFILE_KEYS: &[&str] = &["description", "extends"];
const RULE_KEYS: &[&str] = &[
    "id",
    "title",
    "severity",
    "description",
    "rationale",
    "remediation",
    "references",
    "profiles",
    "applies_if",
    "check",
];
const COMBINATORS: &[&str] = &["all", "any", "none", "not"];
const COMMON_KEYS: &[&str] = &["where", "field", "match", "if_missing", "ignore_case"];
const VALUE_OPS: &[&str] = &[
    "equals",
    "not_equals",
    "in",
    "not_in",
    "matches",
    "not_matches",
    "lt",
    "le",
    "gt",
    "ge",
    "version_lt",
    "version_le",
    "version_gt",
    "version_ge",
    "contains",
    "not_contains",
    "mode_at_most",
    "mode_has",
    "contains_all",
    "contains_any",
    "subset_of",
];
const SET_OPS: &[&str] = &["exists", "count"];

/// The probes a check can use: the key that names it, the parameters it
/// takes, and the fields of the items it yields (`None`: items are plain
/// values; `Some(&[])`: any field, as for `fact`).
pub(crate) struct ProbeSpec {
    pub key: &'static str,
    pub params: &'static [&'static str],
    pub fields: Option<&'static [&'static str]>,
}

pub(crate) const PROBES: &[ProbeSpec] = &[
    ProbeSpec {
        key: "file",
        params: &["follow"],
        fields: Some(&[
            "path",
            "type",
            "mode",
            "uid",
            "gid",
            "owner",
            "group",
            "size",
            "link_target",
        ]),
    },
    ProbeSpec {
        key: "file_content",
        params: &["line"],
        fields: None,
    },
    ProbeSpec {
        key: "config",
        params: &["key", "section", "separator", "ignore_case_keys"],
        fields: None,
    },
    ProbeSpec {
        key: "sshd",
        params: &["include_match"],
        fields: None,
    },
    ProbeSpec {
        key: "sysctl",
        params: &["from", "fallback"],
        fields: None,
    },
    ProbeSpec {
        key: "package",
        params: &[],
        fields: Some(&["name", "version", "arch", "manager", "state"]),
    },
    ProbeSpec {
        key: "service",
        params: &[],
        fields: Some(&[
            "name",
            "state",
            "enabled",
            "active",
            "preset",
            "unit_file",
            "wanted_by",
            "aliases",
        ]),
    },
    ProbeSpec {
        key: "kernel_module",
        params: &[],
        fields: Some(&["name", "loaded", "blacklisted", "install", "disabled"]),
    },
    ProbeSpec {
        key: "mount",
        params: &["from", "fallback"],
        fields: Some(&["mountpoint", "device", "fstype", "options"]),
    },
    ProbeSpec {
        key: "user",
        params: &[],
        fields: Some(&[
            "name",
            "uid",
            "gid",
            "gecos",
            "home",
            "shell",
            "login_shell",
            "duplicate_uid",
            "duplicate_name",
            "group_exists",
            "home_exists",
            "home_mode",
            "home_uid",
            "home_gid",
            "home_owned",
            "password_state",
            "hash_algorithm",
            "last_change",
            "min_days",
            "max_days",
            "warn_days",
            "inactive_days",
            "expire_date",
        ]),
    },
    ProbeSpec {
        key: "group",
        params: &[],
        fields: Some(&[
            "name",
            "gid",
            "members",
            "duplicate_gid",
            "duplicate_name",
            "password_state",
            "admins",
        ]),
    },
    ProbeSpec {
        key: "listening",
        params: &[],
        fields: Some(&["protocol", "address", "port", "process"]),
    },
    ProbeSpec {
        key: "process",
        params: &[],
        fields: Some(&["pid", "name", "cmdline", "uid", "user"]),
    },
    ProbeSpec {
        key: "fact",
        params: &[],
        fields: Some(&[]),
    },
    ProbeSpec {
        key: "walk",
        params: &[],
        fields: Some(&["path", "type", "mode", "uid", "gid", "size"]),
    },
    ProbeSpec {
        key: "login_defs",
        params: &[],
        fields: None,
    },
    ProbeSpec {
        key: "kernel_param",
        params: &["from", "fallback", "as", "instances"],
        fields: None,
    },
    ProbeSpec {
        key: "audit_rule",
        params: &[],
        fields: Some(&[
            "list",
            "action",
            "prepend",
            "arch",
            "syscalls",
            "fields",
            "filters",
            "watch",
            "perms",
            "key",
            "keys",
            "text",
            "shadowed_by",
        ]),
    },
    ProbeSpec {
        key: "sudo_default",
        params: &["overrides"],
        fields: None,
    },
    ProbeSpec {
        key: "sudo_rule",
        params: &[],
        fields: Some(SUDO_RULE_FIELDS),
    },
];

/// The fields of a `sudo_rule` record.
pub(crate) const SUDO_RULE_FIELDS: &[&str] = &[
    "users",
    "all_users",
    "hosts",
    "runas_users",
    "runas_groups",
    "command",
    "negated",
    "alias",
    "nopasswd",
    "noexec",
    "intercept",
    "setenv",
    "log_input",
    "log_output",
    "mail",
    "follow",
    "cwd",
    "chroot",
    "timeout",
    "notbefore",
    "notafter",
    "role",
    "type",
];

impl Cx {
    fn err(&mut self, node: &Node, message: impl Into<String>) {
        self.diags.push(node.diag(&self.file, message));
    }

    /// Compiles the patterns read, in parallel: one whose compiled form
    /// exceeds the size limit is an error at its position.
    fn compile_patterns(&mut self) {
        let failed: Vec<Diagnostic> = std::mem::take(&mut self.patterns)
            .into_par_iter()
            .filter_map(|(pattern, at)| {
                pattern.compiled().err().map(|message| Diagnostic {
                    message: crate::diag::cut(message, crate::diag::MAX_MESSAGE),
                    ..at
                })
            })
            .collect();
        self.diags.extend(failed);
    }

    /// A pattern read at `node`, kept to be compiled with the others.
    fn keep(&mut self, pattern: Pattern, node: &Node) -> Pattern {
        self.patterns
            .push((pattern.clone(), node.diag(&self.file, String::new())));
        pattern
    }

    fn at(&self, node: &Node) -> String {
        format!("{}:{}", self.file, node.line)
    }

    fn fields<'a>(&mut self, node: &'a Node, what: &str) -> Option<Fields<'a>> {
        let NodeKind::Map(entries) = &node.kind else {
            self.err(
                node,
                format!("{what} must be a mapping, found {}", node.kind_name()),
            );
            return None;
        };
        let mut seen: HashMap<&str, u32> = HashMap::new();
        let mut out = Vec::new();
        for (k, v) in entries {
            let Some(key) = k.as_scalar().map(|s| s.text.as_str()) else {
                self.err(k, format!("keys in {what} must be plain strings"));
                continue;
            };
            if let Some(line) = seen.insert(key, k.line) {
                self.err(
                    k,
                    format!("duplicate key `{key}` in {what} (first at line {line})"),
                );
                continue;
            }
            out.push((key, k, v));
        }
        let used = vec![false; out.len()];
        Some(Fields {
            entries: out,
            used,
            node,
        })
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match node.as_scalar() {
            Some(s) if !node.is_null() => Some(s.text.clone()),
            _ => {
                self.err(
                    node,
                    format!("{what} must be a string, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    fn required(&mut self, f: &mut Fields, key: &str, what: &str) -> Option<String> {
        match f.take(key) {
            Some(n) => self.string(n, &format!("`{key}`")),
            None => {
                self.err(f.node, format!("{what} needs `{key}`"));
                None
            }
        }
    }

    fn optional(&mut self, f: &mut Fields, key: &str) -> Option<String> {
        f.take(key)
            .and_then(|n| self.string(n, &format!("`{key}`")))
    }

    fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.as_scalar().map(|s| s.typed()) {
            Some(Typed::Bool(b)) => Some(b),
            _ => {
                self.err(
                    node,
                    format!("{what} must be true or false, found {}", node.kind_name()),
                );
                None
            }
        }
    }

    fn string_list(&mut self, node: &Node, what: &str) -> Vec<String> {
        match &node.kind {
            NodeKind::Seq(items) => items.iter().filter_map(|i| self.string(i, what)).collect(),
            NodeKind::Scalar(_) => self.string(node, what).into_iter().collect(),
            NodeKind::Map(_) => {
                self.err(
                    node,
                    format!("{what} must be a list of strings, found a mapping"),
                );
                Vec::new()
            }
        }
    }

    /// A policy file; in a policy directory (`in_dir`) its rules may live in
    /// the other files instead.
    fn policy(&mut self, root: &Node, in_dir: bool) -> Option<Policy> {
        let mut top = self.fields(root, "a policy file")?;
        let meta_node = top.take("policy");
        let rules_node = top.take("rules");
        top.finish(self, "the policy file", POLICY_KEYS);

        let Some(meta_node) = meta_node else {
            self.err(
                root,
                "a policy file needs a `policy` section (id, title, version)",
            );
            return None;
        };
        let mut meta = self.fields(meta_node, "`policy`")?;
        let id = self.required(&mut meta, "id", "`policy`");
        let title = self.required(&mut meta, "title", "`policy`");
        let version = self.required(&mut meta, "version", "`policy`");
        let description = self.optional(&mut meta, "description");
        let profiles = match meta.take("profiles") {
            Some(node) => self.profiles(node),
            None => BTreeMap::new(),
        };
        let default_profile = meta.take("default_profile").and_then(|n| {
            let name = self.string(n, "`default_profile`")?;
            if !profiles.contains_key(&name) {
                self.err(
                    n,
                    format!(
                        "default profile `{name}` is not declared in `policy.profiles` (declared: {})",
                        declared(&profiles)
                    ),
                );
            }
            Some(name)
        });
        meta.finish(self, "`policy`", META_KEYS);
        if let Some(id) = &id {
            if !valid_id(id) {
                self.err(
                    meta_node,
                    format!("policy id `{id}` must be lowercase letters, digits, `-`, `_` or `.`"),
                );
            }
        }

        let rules = match rules_node {
            Some(node) => self.rule_list(node, &profiles),
            None if in_dir => Vec::new(),
            None => {
                self.err(root, "a policy file needs a `rules` list");
                Vec::new()
            }
        };
        Some(Policy {
            id: id?,
            title: title?,
            version: version?,
            description,
            file: self.file.clone(),
            digest: String::new(),
            profiles,
            default_profile,
            rules,
        })
    }

    /// `policy.profiles`: name → description, or name → `{description, extends}`.
    fn profiles(&mut self, node: &Node) -> BTreeMap<String, Profile> {
        let mut out = BTreeMap::new();
        let Some(mut pf) = self.fields(node, "`profiles`") else {
            return out;
        };
        let names: Vec<_> = pf.keys().map(|(k, n)| (k.to_string(), n.clone())).collect();
        let mut extends_at = Vec::new();
        for (name, key_node) in names {
            if !valid_id(&name) {
                self.err(
                    &key_node,
                    format!(
                        "profile name `{name}` must be lowercase letters, digits, `-`, `_` or `.`"
                    ),
                );
            } else if name == ALL_PROFILES {
                self.err(
                    &key_node,
                    format!("`{ALL_PROFILES}` is reserved: `--profile {ALL_PROFILES}` selects every rule"),
                );
            }
            let Some(value) = pf.take(&name) else {
                continue;
            };
            let profile = if let NodeKind::Map(_) = value.kind {
                let Some(mut f) = self.fields(value, "a profile") else {
                    continue;
                };
                let description = f
                    .take("description")
                    .and_then(|n| self.string(n, "a profile description"))
                    .unwrap_or_default();
                let extends = match f.take("extends") {
                    Some(n) => {
                        extends_at.push((name.clone(), n.clone()));
                        self.string_list(n, "a profile name")
                    }
                    None => Vec::new(),
                };
                f.finish(self, "a profile", PROFILE_KEYS);
                Profile {
                    description,
                    extends,
                }
            } else {
                Profile {
                    description: self
                        .string(value, "a profile description")
                        .unwrap_or_default(),
                    extends: Vec::new(),
                }
            };
            out.insert(name, profile);
        }
        for (name, node) in extends_at {
            for parent in &out[&name].extends {
                if !out.contains_key(parent) {
                    self.err(
                        &node,
                        format!(
                            "profile `{name}` extends `{parent}`, which is not declared (declared: {})",
                            declared(&out)
                        ),
                    );
                } else if closure(&out, parent).contains(name.as_str()) {
                    self.err(
                        &node,
                        format!("profile `{name}` extends `{parent}`, which extends `{name}`: profiles cannot extend in a cycle"),
                    );
                }
            }
        }
        out
    }

    /// A file of a policy directory other than `policy.yaml`: `rules` only.
    fn rules_only(&mut self, root: &Node, profiles: &BTreeMap<String, Profile>) -> Vec<Rule> {
        let Some(mut top) = self.fields(root, "a rules file") else {
            return Vec::new();
        };
        let rules = top.take("rules");
        if top.has("policy") {
            let key = top
                .keys()
                .find(|(k, _)| *k == "policy")
                .map(|(_, n)| n.clone());
            if let Some(n) = key {
                self.err(
                    &n,
                    format!("only {POLICY_FILE} of a policy directory has a `policy` section"),
                );
            }
            top.take("policy");
        }
        top.finish(self, "a rules file", &["rules"]);
        match rules {
            Some(node) => self.rule_list(node, profiles),
            None => {
                self.err(root, "a rules file needs a `rules` list");
                Vec::new()
            }
        }
    }

    fn rule_list(&mut self, node: &Node, profiles: &BTreeMap<String, Profile>) -> Vec<Rule> {
        let NodeKind::Seq(items) = &node.kind else {
            self.err(
                node,
                format!("`rules` must be a list, found {}", node.kind_name()),
            );
            return Vec::new();
        };
        let mut rules = Vec::new();
        let mut seen: HashMap<String, u32> = HashMap::new();
        for item in items {
            // Judged on the raw id, so a duplicate is reported even when
            // either rule has other problems.
            let id = match &item.kind {
                NodeKind::Map(entries) => entries
                    .iter()
                    .find(|(k, _)| k.as_scalar().is_some_and(|s| s.text == "id"))
                    .and_then(|(_, v)| v.as_scalar())
                    .map(|s| s.text.clone()),
                _ => None,
            };
            if let Some(id) = id {
                if let Some(line) = seen.insert(id.clone(), item.line) {
                    self.err(
                        item,
                        format!("duplicate rule id `{id}` (first at line {line})"),
                    );
                }
            }
            if let Some(rule) = self.rule(item, profiles) {
                rules.push(rule);
            }
        }
        rules
    }

    fn rule(&mut self, node: &Node, profiles: &BTreeMap<String, Profile>) -> Option<Rule> {
        let mut f = self.fields(node, "a rule")?;
        let id = self.required(&mut f, "id", "a rule");
        let title = self.required(&mut f, "title", "a rule");
        let severity = match f.take("severity") {
            Some(n) => match self.string(n, "`severity`") {
                Some(s) => match Severity::parse(&s) {
                    Some(sev) => Some(sev),
                    None => {
                        self.err(n, format!("unknown severity `{s}`; expected info, low, medium, high or critical"));
                        None
                    }
                },
                None => None,
            },
            None => {
                self.err(node, "a rule needs `severity`");
                None
            }
        };
        let description = self.optional(&mut f, "description").unwrap_or_default();
        let rationale = self.optional(&mut f, "rationale").unwrap_or_default();
        let remediation = self.optional(&mut f, "remediation").unwrap_or_default();
        let mut references = BTreeMap::new();
        if let Some(n) = f.take("references") {
            if let Some(mut rf) = self.fields(n, "`references`") {
                let keys: Vec<String> = rf.keys().map(|(k, _)| k.to_string()).collect();
                for key in keys {
                    if let Some(v) = rf.take(&key) {
                        let ids = self.string_list(v, "a reference id");
                        references.insert(key, ids);
                    }
                }
            }
        }
        let mut rule_profiles = Vec::new();
        if let Some(n) = f.take("profiles") {
            let items: Vec<&Node> = match &n.kind {
                NodeKind::Seq(items) => items.iter().collect(),
                _ => vec![n],
            };
            for item in items {
                if let Some(p) = self.string(item, "a profile name") {
                    if !profiles.contains_key(&p) {
                        self.err(
                            item,
                            format!(
                                "profile `{p}` is not declared in `policy.profiles` (declared: {})",
                                declared(profiles)
                            ),
                        );
                    }
                    rule_profiles.push(p);
                }
            }
        }
        let applies_if = f.take("applies_if").and_then(|n| self.check(n));
        let check = match f.take("check") {
            Some(n) => self.check(n),
            None => {
                self.err(node, "a rule needs `check`");
                None
            }
        };
        f.finish(self, "a rule", RULE_KEYS);
        if let Some(id) = &id {
            if id.len() > MAX_RULE_ID_BYTES {
                self.err(
                    node,
                    format!(
                        "rule id is {} bytes long; the limit is {MAX_RULE_ID_BYTES}",
                        id.len()
                    ),
                );
            } else if !valid_id(id) {
                self.err(
                    node,
                    format!("rule id `{id}` must be lowercase letters, digits, `-`, `_` or `.`"),
                );
            }
        }
        Some(Rule {
            id: id?,
            title: title?,
            severity: severity?,
            description,
            rationale,
            remediation,
            references,
            profiles: rule_profiles,
            applies_if,
            check: check?,
            location: self.at(node),
        })
    }

    fn check(&mut self, node: &Node) -> Option<Check> {
        let mut f = self.fields(node, "a check")?;
        let combinators: Vec<&str> = COMBINATORS.iter().copied().filter(|k| f.has(k)).collect();
        if let Some(first) = combinators.first() {
            let key = *first;
            let child = f.take(key)?;
            let others: Vec<String> = f
                .keys()
                .map(|(k, _)| k.to_string())
                .filter(|k| k != key)
                .collect();
            if !others.is_empty() {
                self.err(
                    node,
                    format!(
                        "`{key}` must be the only key of its check; also found: {}",
                        others.join(", ")
                    ),
                );
                return None;
            }
            if key == "not" {
                return self.check(child).map(|c| Check::Not(Box::new(c)));
            }
            let NodeKind::Seq(items) = &child.kind else {
                self.err(
                    child,
                    format!(
                        "`{key}` takes a list of checks, found {}",
                        child.kind_name()
                    ),
                );
                return None;
            };
            if items.is_empty() {
                self.err(child, format!("`{key}` needs at least one check"));
                return None;
            }
            let checks: Vec<Check> = items.iter().filter_map(|c| self.check(c)).collect();
            if checks.len() != items.len() {
                return None;
            }
            return Some(match key {
                "all" => Check::All(checks),
                "any" => Check::Any(checks),
                _ => Check::None(checks),
            });
        }

        let probe_keys: Vec<&ProbeSpec> = f
            .keys()
            .filter_map(|(k, _)| PROBES.iter().find(|p| p.key == k))
            .collect();
        let spec = match probe_keys.as_slice() {
            [one] => *one,
            [] => {
                let names: Vec<&str> = PROBES
                    .iter()
                    .map(|p| p.key)
                    .chain(COMBINATORS.iter().copied())
                    .collect();
                // A misspelt probe is the likely cause: point at it.
                let typo = f
                    .keys()
                    .find_map(|(k, n)| suggest(k, &names).map(|s| (k, n, s)));
                if let Some((key, key_node, s)) = typo {
                    let (key, key_node) = (key.to_string(), key_node.clone());
                    self.err(
                        &key_node,
                        format!("unknown probe `{key}`; did you mean `{s}`?"),
                    );
                    return None;
                }
                self.err(
                    node,
                    format!(
                        "a check needs a probe ({}) or a combinator (all, any, none, not)",
                        names[..PROBES.len()].join(", ")
                    ),
                );
                return None;
            }
            many => {
                let names: Vec<&str> = many.iter().map(|p| p.key).collect();
                self.err(
                    node,
                    format!(
                        "a check has one probe; found {}: use `all` to combine them",
                        names.join(", ")
                    ),
                );
                return None;
            }
        };
        let arg_node = f.take(spec.key)?;
        let probe = self.probe(spec, arg_node, &mut f);

        let filter = match f.take("where") {
            Some(n) => self.filter(n, spec),
            None => Vec::new(),
        };
        let field_given = f.has("field");
        let field = match f.take("field") {
            Some(n) => self
                .string(n, "`field`")
                .and_then(|name| self.check_field(n, spec, &name).then_some(name)),
            None => None,
        };
        let quantifier = match f.take("match") {
            Some(n) => match self.string(n, "`match`").as_deref() {
                Some("all") => Quantifier::All,
                Some("any") => Quantifier::Any,
                Some("none") => Quantifier::None,
                Some(other) => {
                    self.err(n, format!("`match` is all, any or none, not `{other}`"));
                    Quantifier::All
                }
                None => Quantifier::All,
            },
            None => Quantifier::All,
        };
        let if_missing = match f.take("if_missing") {
            Some(n) => match self.string(n, "`if_missing`").as_deref() {
                Some("fail") => IfMissing::Fail,
                Some("pass") => IfMissing::Pass,
                Some("not_applicable") => IfMissing::NotApplicable,
                Some(other) => {
                    self.err(
                        n,
                        format!("`if_missing` is fail, pass or not_applicable, not `{other}`"),
                    );
                    IfMissing::Fail
                }
                None => IfMissing::Fail,
            },
            None => IfMissing::Fail,
        };
        let ignore_case = match f.take("ignore_case") {
            Some(n) => self.bool(n, "`ignore_case`").unwrap_or(false),
            None => false,
        };

        let ops: Vec<(&str, &Node)> = VALUE_OPS
            .iter()
            .chain(SET_OPS)
            .filter_map(|k| f.take(k).map(|n| (*k, n)))
            .collect();
        let assertion = match ops.as_slice() {
            [(op, operand)] => self.assertion(op, operand, ignore_case),
            [] => {
                self.err(
                    node,
                    format!(
                        "a check needs one operator: exists, count, {}",
                        VALUE_OPS.join(", ")
                    ),
                );
                None
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(k, _)| *k).collect();
                self.err(
                    many[1].1,
                    format!(
                        "a check has one operator; found {}: use `all` to combine checks",
                        names.join(", ")
                    ),
                );
                None
            }
        };
        if let Some(Assertion::Value(_)) = &assertion {
            if !field_given && matches!(spec.fields, Some(f) if !f.is_empty()) {
                self.err(
                    node,
                    format!(
                        "`{}` yields records: name the `field` to compare ({})",
                        spec.key,
                        spec.fields.unwrap_or_default().join(", ")
                    ),
                );
            }
        }
        let mut allowed: Vec<&str> = vec![spec.key];
        allowed.extend(spec.params);
        allowed.extend(COMMON_KEYS);
        allowed.extend(VALUE_OPS);
        allowed.extend(SET_OPS);
        f.finish(self, &format!("a `{}` check", spec.key), &allowed);
        Some(Check::Probe(Box::new(ProbeCheck {
            probe: probe?,
            filter,
            field,
            quantifier,
            if_missing,
            assertion: assertion?,
            location: self.at(node),
        })))
    }

    fn check_field(&mut self, node: &Node, spec: &ProbeSpec, name: &str) -> bool {
        match spec.fields {
            None => {
                self.err(
                    node,
                    format!("`{}` yields plain values, which have no fields", spec.key),
                );
                false
            }
            Some([]) => true,
            Some(fields) if fields.contains(&name) => true,
            Some(fields) => {
                self.err(
                    node,
                    format!(
                        "`{}` items have no field `{name}`; fields: {}",
                        spec.key,
                        fields.join(", ")
                    ),
                );
                false
            }
        }
    }

    fn probe(&mut self, spec: &ProbeSpec, arg: &Node, f: &mut Fields) -> Option<Probe> {
        let what = format!("the `{}` probe's argument", spec.key);
        let view = |cx: &mut Cx, f: &mut Fields| -> (View, bool) {
            let from = match f.take("from") {
                Some(n) => match cx.string(n, "`from`").as_deref() {
                    Some("runtime") | None => View::Runtime,
                    Some("configured") => View::Configured,
                    Some(other) => {
                        cx.err(n, format!("`from` is runtime or configured, not `{other}`"));
                        View::Runtime
                    }
                },
                None => View::Runtime,
            };
            let fallback = match f.take("fallback") {
                Some(n) => match cx.string(n, "`fallback`").as_deref() {
                    Some("configured") => true,
                    Some(other) => {
                        cx.err(
                            n,
                            format!("`fallback` can only be `configured`, not `{other}`"),
                        );
                        false
                    }
                    None => false,
                },
                None => false,
            };
            (from, fallback)
        };
        Some(match spec.key {
            "file" => {
                let path = self.path_or_home(arg, &what)?;
                let follow = match f.take("follow") {
                    Some(n) => self.bool(n, "`follow`")?,
                    None => true,
                };
                Probe::File { path, follow }
            }
            "file_content" => {
                let path = self.path_or_home(arg, &what)?;
                let line = match f.take("line") {
                    Some(n) => Some(self.regex(n)?),
                    None => None,
                };
                Probe::FileContent { path, line }
            }
            "config" => {
                let path = self.path(arg, &what)?;
                let key = self.required(f, "key", "a `config` check");
                let section = self.optional(f, "section");
                let separator = match f.take("separator") {
                    Some(n) => match self.string(n, "`separator`").as_deref() {
                        Some("whitespace") => Separator::Whitespace,
                        Some("equals") => Separator::Equals,
                        Some("auto") | None => Separator::Auto,
                        Some(other) => {
                            self.err(
                                n,
                                format!("`separator` is whitespace, equals or auto, not `{other}`"),
                            );
                            Separator::Auto
                        }
                    },
                    None => Separator::Auto,
                };
                let ignore_case = match f.take("ignore_case_keys") {
                    Some(n) => self.bool(n, "`ignore_case_keys`")?,
                    None => false,
                };
                Probe::Config {
                    path,
                    key: key?,
                    section,
                    separator,
                    ignore_case,
                }
            }
            "sshd" => {
                let keyword = self.string(arg, &what)?;
                let include_match = match f.take("include_match") {
                    Some(n) => self.bool(n, "`include_match`")?,
                    None => false,
                };
                Probe::Sshd {
                    keyword: keyword.to_ascii_lowercase(),
                    include_match,
                }
            }
            "sysctl" => {
                let key = self.string(arg, &what)?;
                let (from, fallback) = view(self, f);
                Probe::Sysctl {
                    key,
                    from,
                    fallback,
                }
            }
            "mount" => {
                let mountpoint = self.path(arg, &what)?;
                let (from, fallback) = view(self, f);
                Probe::Mount {
                    mountpoint,
                    from,
                    fallback,
                }
            }
            "package" => Probe::Package {
                name: self.string(arg, &what)?,
            },
            "service" => Probe::Service {
                name: self.string(arg, &what)?,
            },
            "kernel_module" => Probe::KernelModule {
                name: self.string(arg, &what)?.replace('-', "_"),
            },
            "user" => Probe::User {
                name: self.glob(arg, &what)?,
            },
            "group" => Probe::Group {
                name: self.glob(arg, &what)?,
            },
            "process" => Probe::Process {
                name: self.glob(arg, &what)?,
            },
            "listening" => {
                let port = match arg.as_scalar().map(|s| s.typed()) {
                    Some(Typed::Str("*")) => None,
                    Some(Typed::Int(p)) if (0..=65535).contains(&p) => Some(p as u16),
                    _ => {
                        self.err(arg, "`listening` takes a port number (0-65535) or \"*\"");
                        return None;
                    }
                };
                Probe::Listening { port }
            }
            "walk" => {
                let kind = self.string(arg, &what)?;
                if !WALK_KINDS.contains(&kind.as_str()) {
                    let kinds = WALK_KINDS.join(", ");
                    self.err(
                        arg,
                        format!("`walk` looks for one of {kinds}, not `{kind}`"),
                    );
                    return None;
                }
                Probe::Walk { kind }
            }
            "login_defs" => Probe::LoginDefs {
                key: self.string(arg, &what)?,
            },
            "audit_rule" => {
                let list = self.string(arg, &what)?;
                let lists = crate::facts::audit::tables::LIST_NAMES;
                if list != "*" && !lists.contains(&list.as_str()) {
                    self.err(
                        arg,
                        format!(
                            "`audit_rule` takes a list ({}) or \"*\", not `{list}`",
                            lists.join(", ")
                        ),
                    );
                    return None;
                }
                Probe::AuditRule {
                    list: (list != "*").then_some(list),
                }
            }
            "sudo_default" => {
                let name = self.string(arg, &what)?;
                if crate::facts::sudoers::options::lookup(&name).is_none() {
                    let names: Vec<&str> = crate::facts::sudoers::options::OPTIONS
                        .iter()
                        .map(|o| o.name)
                        .collect();
                    let hint = suggest(&name, &names)
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    self.err(
                        arg,
                        format!("`{name}` is not a sudoers option (sudo 1.9.13){hint}"),
                    );
                    return None;
                }
                let overrides = match f.take("overrides") {
                    Some(n) => self.bool(n, "`overrides`")?,
                    None => true,
                };
                Probe::SudoDefault { name, overrides }
            }
            "sudo_rule" => Probe::SudoRule {
                command: self.glob(arg, &what)?,
            },
            "fact" => {
                let path = self.string(arg, &what)?;
                if path.split('.').any(str::is_empty) {
                    self.err(arg, format!("`{path}` is not a fact path like `os.family`"));
                    return None;
                }
                let name = path.split('.').next().unwrap_or_default();
                if !crate::facts::FACT_NAMES.contains(&name) {
                    let facts = crate::facts::FACT_NAMES.join(", ");
                    self.err(arg, format!("no fact named `{name}`; facts: {facts}"));
                    return None;
                }
                Probe::Fact { path }
            }
            "kernel_param" => {
                let name = self.string(arg, &what)?;
                if name.is_empty()
                    || name.contains(['=', '"'])
                    || name.contains(char::is_whitespace)
                {
                    self.err(
                        arg,
                        format!("`{name}` is not a kernel parameter name (no `=`, quote or space)"),
                    );
                    return None;
                }
                let (from, fallback) = view(self, f);
                let as_bool = match f.take("as") {
                    Some(n) => match self.string(n, "`as`").as_deref() {
                        Some("bool") => true,
                        Some(other) => {
                            self.err(n, format!("`as` can only be `bool`, not `{other}`"));
                            return None;
                        }
                        None => return None,
                    },
                    None => false,
                };
                let all = match f.take("instances") {
                    Some(n) => match self.string(n, "`instances`").as_deref() {
                        Some("last") => false,
                        Some("all") => true,
                        Some(other) => {
                            self.err(n, format!("`instances` is last or all, not `{other}`"));
                            return None;
                        }
                        None => return None,
                    },
                    None => false,
                };
                Probe::KernelParam {
                    name,
                    from,
                    fallback,
                    as_bool,
                    all,
                }
            }
            _ => return None,
        })
    }

    fn path(&mut self, node: &Node, what: &str) -> Option<String> {
        let path = self.string(node, what)?;
        if !path.starts_with('/') {
            self.err(
                node,
                format!("{what} must be an absolute path, not `{path}`"),
            );
            return None;
        }
        if crate::target::has_glob_chars(&path) {
            self.glob_ok(node, &path)?;
        }
        Some(path)
    }

    /// An absolute path, or `~/...`: the same path in every login home.
    fn path_or_home(&mut self, node: &Node, what: &str) -> Option<String> {
        match self.string(node, what)?.strip_prefix("~/") {
            Some(rest) if !rest.is_empty() && !rest.starts_with('/') => {
                let check = format!("/{rest}");
                if crate::target::has_glob_chars(&check) {
                    self.glob_ok(node, &check)?;
                }
                Some(format!("~/{rest}"))
            }
            _ if node.as_scalar().is_some_and(|s| !s.text.starts_with('/')) => {
                let text = &node.as_scalar()?.text;
                self.err(
                    node,
                    format!("{what} must be an absolute path or `~/PATH` (in every login home), not `{text}`"),
                );
                None
            }
            _ => self.path(node, what),
        }
    }

    fn glob(&mut self, node: &Node, what: &str) -> Option<String> {
        let pattern = self.string(node, what)?;
        self.glob_ok(node, &pattern)?;
        Some(pattern)
    }

    fn glob_ok(&mut self, node: &Node, pattern: &str) -> Option<()> {
        match globset::Glob::new(pattern) {
            Ok(_) => Some(()),
            Err(e) => {
                self.err(node, format!("invalid glob `{pattern}`: {}", e.kind()));
                None
            }
        }
    }

    fn regex(&mut self, node: &Node) -> Option<Pattern> {
        let pattern = self.string(node, "a regular expression")?;
        match Pattern::new(&pattern, false) {
            Ok(p) => Some(self.keep(p, node)),
            Err(e) => {
                let detail = e.lines().last().unwrap_or("").trim().to_string();
                self.err(
                    node,
                    format!("invalid regular expression `{pattern}`: {detail}"),
                );
                None
            }
        }
    }

    fn filter(&mut self, node: &Node, spec: &ProbeSpec) -> Vec<(String, Condition)> {
        let Some(mut f) = self.fields(node, "`where`") else {
            return Vec::new();
        };
        let keys: Vec<(String, Node)> = f.keys().map(|(k, n)| (k.to_string(), n.clone())).collect();
        let mut out = Vec::new();
        for (name, key_node) in keys {
            let Some(value) = f.take(&name) else { continue };
            if !self.check_field(&key_node, spec, &name) {
                continue;
            }
            let cond = match &value.kind {
                NodeKind::Map(_) => self.condition_map(value),
                _ => self.condition("equals", value, false),
            };
            if let Some(cond) = cond {
                out.push((name, cond));
            }
        }
        out
    }

    /// `{op: operand}` with an optional `ignore_case`, as in `where` and `count`.
    fn condition_map(&mut self, node: &Node) -> Option<Condition> {
        let mut f = self.fields(node, "a condition")?;
        let ignore_case = match f.take("ignore_case") {
            Some(n) => self.bool(n, "`ignore_case`").unwrap_or(false),
            None => false,
        };
        let ops: Vec<(&str, &Node)> = VALUE_OPS
            .iter()
            .filter_map(|k| f.take(k).map(|n| (*k, n)))
            .collect();
        let mut allowed = VALUE_OPS.to_vec();
        allowed.push("ignore_case");
        f.finish(self, "a condition", &allowed);
        match ops.as_slice() {
            [(op, operand)] => self.condition(op, operand, ignore_case),
            _ => {
                self.err(
                    node,
                    format!(
                        "a condition has exactly one operator ({})",
                        VALUE_OPS.join(", ")
                    ),
                );
                None
            }
        }
    }

    fn assertion(&mut self, op: &str, operand: &Node, ignore_case: bool) -> Option<Assertion> {
        match op {
            "exists" => self.bool(operand, "`exists`").map(Assertion::Exists),
            "count" => {
                let cond = match &operand.kind {
                    NodeKind::Map(_) => self.condition_map(operand)?,
                    _ => self.condition("equals", operand, false)?,
                };
                let numeric = matches!(
                    cond.op,
                    Op::Equals | Op::NotEquals | Op::Lt | Op::Le | Op::Gt | Op::Ge
                );
                if !numeric || !matches!(cond.operand, Literal::Number(..)) {
                    self.err(operand, "`count` takes a number or one of equals, not_equals, lt, le, gt, ge with a number");
                    return None;
                }
                Some(Assertion::Count(cond))
            }
            _ => self
                .condition(op, operand, ignore_case)
                .map(Assertion::Value),
        }
    }

    fn condition(&mut self, op: &str, node: &Node, ignore_case: bool) -> Option<Condition> {
        let operand = self.literal(node)?;
        let scalar = |cx: &mut Cx| -> Option<()> {
            if matches!(operand, Literal::List(_)) {
                cx.err(node, format!("`{op}` takes a single value, found a list"));
                return None;
            }
            Some(())
        };
        let op = match op {
            // A list operand compares with a list value, element by element.
            "equals" => Op::Equals,
            "not_equals" => Op::NotEquals,
            "contains" => {
                scalar(self)?;
                Op::Contains
            }
            "not_contains" => {
                scalar(self)?;
                Op::NotContains
            }
            "in" | "not_in" | "contains_all" | "contains_any" | "subset_of" => {
                if !matches!(operand, Literal::List(_)) {
                    self.err(
                        node,
                        format!("`{op}` takes a list of values, found {}", node.kind_name()),
                    );
                    return None;
                }
                match op {
                    "in" => Op::In,
                    "not_in" => Op::NotIn,
                    "contains_all" => Op::ContainsAll,
                    "contains_any" => Op::ContainsAny,
                    _ => Op::SubsetOf,
                }
            }
            "matches" | "not_matches" => {
                let re =
                    match Pattern::new(&self.string(node, "a regular expression")?, ignore_case) {
                        Ok(r) => self.keep(r, node),
                        Err(e) => {
                            let detail = e.lines().last().unwrap_or("").trim().to_string();
                            self.err(node, format!("invalid regular expression: {detail}"));
                            return None;
                        }
                    };
                if op == "matches" {
                    Op::Matches(re)
                } else {
                    Op::NotMatches(re)
                }
            }
            "lt" | "le" | "gt" | "ge" => {
                if !matches!(operand, Literal::Number(..)) {
                    self.err(
                        node,
                        format!("`{op}` takes a number, found {}", node.kind_name()),
                    );
                    return None;
                }
                match op {
                    "lt" => Op::Lt,
                    "le" => Op::Le,
                    "gt" => Op::Gt,
                    _ => Op::Ge,
                }
            }
            "version_lt" | "version_le" | "version_gt" | "version_ge" => {
                if matches!(operand, Literal::List(_) | Literal::Null | Literal::Bool(_)) {
                    self.err(node, format!("`{op}` takes a version such as \"1.2.3-1\""));
                    return None;
                }
                match op {
                    "version_lt" => Op::VersionLt,
                    "version_le" => Op::VersionLe,
                    "version_gt" => Op::VersionGt,
                    _ => Op::VersionGe,
                }
            }
            "mode_at_most" | "mode_has" => {
                let text = match &operand {
                    Literal::Number(_, t) | Literal::Str(t) => t.clone(),
                    _ => String::new(),
                };
                let Some(bits) = parse_mode(&text) else {
                    self.err(
                        node,
                        format!("`{op}` takes an octal mode such as \"0640\", not {operand}"),
                    );
                    return None;
                };
                if op == "mode_at_most" {
                    Op::ModeAtMost(bits)
                } else {
                    Op::ModeHas(bits)
                }
            }
            other => {
                self.err(node, format!("unknown operator `{other}`"));
                return None;
            }
        };
        Some(Condition {
            op,
            operand,
            ignore_case,
        })
    }

    fn literal(&mut self, node: &Node) -> Option<Literal> {
        Some(match &node.kind {
            NodeKind::Scalar(s) => match s.typed() {
                Typed::Null => Literal::Null,
                Typed::Bool(b) => Literal::Bool(b),
                Typed::Int(i) => Literal::Number(i as f64, s.text.clone()),
                Typed::Float(f) => Literal::Number(f, s.text.clone()),
                Typed::Str(t) => Literal::Str(t.to_string()),
            },
            NodeKind::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match self.literal(item)? {
                        Literal::List(_) => {
                            self.err(item, "lists of lists are not supported here");
                            return None;
                        }
                        l => out.push(l),
                    }
                }
                Literal::List(out)
            }
            NodeKind::Map(_) => {
                self.err(
                    node,
                    "expected a value or a list of values, found a mapping",
                );
                return None;
            }
        })
    }
}

/// An octal permission mode (`0640`, `640`, `1777`), at most `07777`.
pub fn parse_mode(text: &str) -> Option<u32> {
    let digits = text.strip_prefix("0o").unwrap_or(text);
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    u32::from_str_radix(digits, 8).ok().filter(|m| *m <= 0o7777)
}

fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// A rule id is at most this long: what every report reader accepts.
pub const MAX_RULE_ID_BYTES: usize = crate::report::read::MAX_RULE_ID_BYTES;

/// The policies of one scan hold at most this many rules, so that each
/// report they give can be read again (`report`, `diff`, `aggregate`).
pub const MAX_RULES: usize = crate::report::read::MAX_RESULTS;

/// What must hold across every policy of a scan: rule ids are unique, and
/// there are at most [`MAX_RULES`] rules.
pub fn check_together(policies: &[Policy]) -> Vec<Diagnostic> {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let mut out = Vec::new();
    let count: usize = policies.iter().map(|p| p.rules.len()).sum();
    if count > MAX_RULES {
        let names: Vec<&str> = policies.iter().map(|p| p.file.as_str()).take(3).collect();
        out.push(Diagnostic::new(
            names.join(", "),
            format!("{count} rules; a scan evaluates at most {MAX_RULES}"),
        ));
        return out;
    }
    for rule in policies.iter().flat_map(|p| &p.rules) {
        if let Some(first) = seen.insert(&rule.id, &rule.location) {
            let (file, line) = split_location(&rule.location);
            let mut d = Diagnostic::new(
                file,
                format!("duplicate rule id `{}` (also defined at {first})", rule.id),
            );
            d.line = line;
            out.push(d);
        }
    }
    out
}

fn split_location(loc: &str) -> (&str, Option<u32>) {
    match loc.rsplit_once(':') {
        Some((file, line)) => (file, line.parse().ok()),
        None => (loc, None),
    }
}

fn declared(profiles: &BTreeMap<String, Profile>) -> String {
    if profiles.is_empty() {
        "none".to_string()
    } else {
        profiles
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every profile named in `policies`.
pub fn all_profiles(policies: &[Policy]) -> BTreeSet<&str> {
    policies
        .iter()
        .flat_map(|p| p.profiles.keys().map(String::as_str))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(rules: &str) -> String {
        format!("policy:\n  id: t\n  title: T\n  version: '1'\nrules:\n{rules}")
    }

    fn errors(text: &str) -> Vec<String> {
        match load_str(text, "p.yaml") {
            Ok(_) => Vec::new(),
            Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
        }
    }

    fn only_check(text: &str) -> ProbeCheck {
        let p = load_str(text, "p.yaml").unwrap_or_else(|e| panic!("{e}"));
        match p.rules[0].check.clone() {
            Check::Probe(p) => *p,
            other => panic!("not a probe: {other:?}"),
        }
    }

    #[test]
    fn unquoted_no_is_the_string_no() {
        let c = only_check(&policy(
            "  - id: r\n    title: R\n    severity: low\n    check:\n      sshd: PermitRootLogin\n      equals: no\n",
        ));
        let Assertion::Value(cond) = c.assertion else {
            panic!()
        };
        assert_eq!(cond.operand, Literal::Str("no".into()));
        assert!(crate::engine::compare::holds(
            &cond,
            &serde_json::json!("no")
        ));
        assert!(!crate::engine::compare::holds(
            &cond,
            &serde_json::json!(false)
        ));
    }

    #[test]
    fn modes_keep_their_octal_text() {
        let c = only_check(&policy(
            "  - id: r\n    title: R\n    severity: low\n    check:\n      file: /etc/shadow\n      field: mode\n      mode_at_most: 0640\n",
        ));
        assert!(matches!(
            c.assertion,
            Assertion::Value(Condition {
                op: Op::ModeAtMost(0o640),
                ..
            })
        ));
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let errs = errors(&policy(concat!(
            "  - id: Bad_Id\n    title: R\n    severity: low\n    check:\n      file: relative/path\n      exists: true\n",
            "  - id: r2\n    title: R\n    severity: urgent\n    check:\n      sysctl: a.b\n      equals: 1\n      equls: 2\n",
            "  - id: r3\n    title: R\n    severity: low\n    check:\n      package: x\n      sysctl: y\n      exists: true\n",
            "  - id: r4\n    title: R\n    severity: low\n    check:\n      user: '*'\n      field: colour\n      equals: red\n",
        )));
        assert_eq!(
            errs,
            [
                "p.yaml:6:5: rule id `Bad_Id` must be lowercase letters, digits, `-`, `_` or `.`",
                "p.yaml:10:13: the `file` probe's argument must be an absolute path or `~/PATH` (in every login home), not `relative/path`",
                "p.yaml:14:15: unknown severity `urgent`; expected info, low, medium, high or critical",
                "p.yaml:18:7: unknown key `equls` in a `sysctl` check; did you mean `equals`?",
                "p.yaml:23:7: a check has one probe; found package, sysctl: use `all` to combine them",
                "p.yaml:31:14: `user` items have no field `colour`; fields: name, uid, gid, gecos, home, shell, login_shell, duplicate_uid, duplicate_name, group_exists, home_exists, home_mode, home_uid, home_gid, home_owned, password_state, hash_algorithm, last_change, min_days, max_days, warn_days, inactive_days, expire_date",
            ]
        );
    }

    #[test]
    fn a_scan_holds_at_most_max_rules() {
        let one = load_str(
            &policy("  - id: r\n    title: R\n    severity: low\n    check: {file: /etc/passwd, exists: true}\n"),
            "p.yaml",
        )
        .unwrap();
        let mut big = one.clone();
        big.rules = (0..MAX_RULES)
            .map(|i| {
                let mut r = one.rules[0].clone();
                r.id = format!("r{i}");
                r
            })
            .collect();
        assert!(check_together(std::slice::from_ref(&big)).is_empty());
        let got = check_together(&[big, one]);
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].message,
            format!(
                "{} rules; a scan evaluates at most {MAX_RULES}",
                MAX_RULES + 1
            )
        );
    }

    #[test]
    fn duplicate_keys_and_profiles_are_checked() {
        let errs = errors(&policy(
            "  - id: r\n    title: R\n    title: S\n    severity: low\n    profiles: [nope]\n    check: {fact: os.id, equals: debian}\n",
        ));
        assert_eq!(
            errs,
            [
                "p.yaml:8:5: duplicate key `title` in a rule (first at line 7)",
                "p.yaml:10:16: profile `nope` is not declared in `policy.profiles` (declared: none)",
            ]
        );
    }

    #[test]
    fn profiles_extend_and_default() {
        let meta = |profiles: &str| {
            format!(
                "policy:\n  id: t\n  title: T\n  version: '1'\n{profiles}rules:\n  - id: r\n    title: R\n    severity: low\n    profiles: [a]\n    check: {{fact: os.id, equals: debian}}\n"
            )
        };
        let p = load_str(
            &meta("  profiles:\n    a: A\n    b: {description: B, extends: [a]}\n    c: {extends: [b]}\n  default_profile: a\n"),
            "p.yaml",
        )
        .unwrap();
        assert_eq!(p.default_profile.as_deref(), Some("a"));
        assert_eq!(p.profiles_of(&p.rules[0]), ["a", "b", "c"]);
        assert_eq!(
            p.profile_closure("c").into_iter().collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(
            errors(&meta("  profiles:\n    a: A\n    b: {extends: [x]}\n  default_profile: z\n")),
            [
                "p.yaml:7:18: profile `b` extends `x`, which is not declared (declared: a, b)",
                "p.yaml:8:20: default profile `z` is not declared in `policy.profiles` (declared: a, b)",
            ]
        );
        assert_eq!(
            errors(&meta("  profiles:\n    a: {extends: [b]}\n    b: {extends: [a]}\n    all: everything\n    c: {extend: [a]}\n")),
            [
                "p.yaml:6:18: profile `a` extends `b`, which extends `a`: profiles cannot extend in a cycle",
                "p.yaml:7:18: profile `b` extends `a`, which extends `b`: profiles cannot extend in a cycle",
                "p.yaml:8:5: `all` is reserved: `--profile all` selects every rule",
                "p.yaml:9:9: unknown key `extend` in a profile; did you mean `extends`?",
            ]
        );
    }

    #[test]
    fn operands_are_typed() {
        let rule = |op: &str| {
            policy(&format!(
                "  - id: r\n    title: R\n    severity: low\n    check:\n      fact: os.version_id\n      {op}\n"
            ))
        };
        assert_eq!(
            errors(&rule("in: debian")),
            ["p.yaml:11:11: `in` takes a list of values, found a string"]
        );
        assert_eq!(
            errors(&rule("contains: [a, b]")),
            ["p.yaml:11:17: `contains` takes a single value, found a list"]
        );
        assert!(errors(&rule("equals: []")).is_empty());
        assert_eq!(
            errors(&rule("mode_at_most: '0999'")),
            ["p.yaml:11:21: `mode_at_most` takes an octal mode such as \"0640\", not \"0999\""]
        );
        assert_eq!(errors(&rule("count: {matches: x}")), ["p.yaml:11:14: `count` takes a number or one of equals, not_equals, lt, le, gt, ge with a number"]);
        assert!(errors(&rule("version_ge: '1.2'")).is_empty());
        assert!(errors(&rule("count: {ge: 1}")).is_empty());
    }

    #[test]
    fn combinators_nest_and_stand_alone() {
        let ok = policy(
            "  - id: r\n    title: R\n    severity: low\n    check:\n      any:\n        - not: {package: a, exists: true}\n        - none: [{package: b, exists: true}]\n",
        );
        assert!(errors(&ok).is_empty());
        let bad = policy("  - id: r\n    title: R\n    severity: low\n    check:\n      all: []\n");
        assert_eq!(
            errors(&bad),
            ["p.yaml:10:12: `all` needs at least one check"]
        );
        let bad = policy(
            "  - id: r\n    title: R\n    severity: low\n    check:\n      all: [{package: a, exists: true}]\n      field: x\n",
        );
        assert_eq!(
            errors(&bad),
            ["p.yaml:10:7: `all` must be the only key of its check; also found: field"]
        );
    }

    #[test]
    fn missing_sections_and_wrong_shapes() {
        assert_eq!(
            errors("rules: []\n"),
            ["p.yaml:1:1: a policy file needs a `policy` section (id, title, version)"]
        );
        assert_eq!(
            errors("- a\n- b\n"),
            ["p.yaml:1:1: a policy file must be a mapping, found a list"]
        );
        let e = errors("policy: {id: t, title: T, version: '1'}\nrules: {}\n");
        assert_eq!(e, ["p.yaml:2:8: `rules` must be a list, found a mapping"]);
    }

    #[test]
    fn facts_and_probes_are_checked_by_name() {
        let rule = |check: &str| {
            policy(&format!(
                "  - id: r\n    title: R\n    severity: low\n    check:\n{check}"
            ))
        };
        let e = errors(&rule("      fact: osx.id\n      equals: x\n"));
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("p.yaml:10:13: no fact named `osx`; facts: target, os,"),
            "{e:?}"
        );
        assert_eq!(
            errors(&rule("      sshdd: PermitRootLogin\n      equals: x\n")),
            ["p.yaml:10:7: unknown probe `sshdd`; did you mean `sshd`?"]
        );
    }

    #[test]
    fn parse_mode_bounds() {
        assert_eq!(parse_mode("0640"), Some(0o640));
        assert_eq!(parse_mode("1777"), Some(0o1777));
        assert_eq!(parse_mode("0o600"), Some(0o600));
        assert_eq!(parse_mode("17777"), None);
        assert_eq!(parse_mode("8"), None);
        assert_eq!(parse_mode(""), None);
    }
}
