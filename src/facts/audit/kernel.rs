//! The kernel's side of loading rules at boot, from Linux's
//! `kernel/auditfilter.c` (`audit_data_to_entry`, `audit_field_valid`,
//! `audit_compare_rule`, `audit_add_rule`/`audit_del_rule`),
//! `kernel/audit_watch.c` (`audit_to_watch`, `audit_get_nd`) and
//! `kernel/audit_tree.c` (`audit_make_tree`, `audit_add_tree_rule`): the
//! rules start empty; a rule the kernel refuses is an error for its line;
//! a rule equal to a loaded one is refused (`Rule exists`); `-e 2` locks
//! the configuration, after which every change is refused.

use super::auditctl::{Kernel, Refusal, Setting};
use super::rule::KRule;
use super::tables::*;
use crate::facts::Source;

/// What the kernel is told about the files it watches: whether a path
/// exists as a directory, or at all.
pub trait Files {
    /// `None`: it does not exist; `Some(true)`: a directory.
    fn kind(&self, path: &str) -> Result<Option<bool>, String>;
}

/// A rule in the kernel, with the line that put it there.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub rule: KRule,
    pub source: Source,
}

/// The kernel's audit state after a rules file was loaded.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Rules of every list, in the order the kernel keeps them (`-A`
    /// puts a rule first).
    pub rules: Vec<Loaded>,
    pub enabled: Option<u32>,
    pub failure: Option<u32>,
    pub backlog_limit: Option<u32>,
    pub rate_limit: Option<u32>,
    pub backlog_wait_time: Option<u32>,
    pub loginuid_immutable: bool,
}

/// The kernel model over a target's files.
pub struct Model<'f> {
    pub state: State,
    files: &'f dyn Files,
}

impl<'f> Model<'f> {
    pub fn new(files: &'f dyn Files) -> Self {
        Model {
            state: State::default(),
            files,
        }
    }

    fn locked(&self) -> bool {
        self.state.enabled == Some(2)
    }

    fn kind(&self, path: &str) -> Result<Option<bool>, Refusal> {
        self.files.kind(path).map_err(Refusal::Unknown)
    }

    /// `audit_data_to_entry` and what `audit_add_rule` checks before
    /// inserting.
    fn validate(&self, rule: &KRule) -> Result<(), Refusal> {
        let list = rule.flags & !FILTER_PREPEND;
        if !matches!(
            list,
            FILTER_USER | FILTER_TASK | FILTER_EXIT | FILTER_EXCLUDE | FILTER_FS
        ) {
            return Err(refused("Invalid argument: no such list"));
        }
        if rule.action != ACTION_ALWAYS && rule.action != ACTION_NEVER {
            return Err(refused("Invalid argument: bad action"));
        }
        if rule.fields.len() > MAX_FIELDS {
            return Err(refused("Invalid argument: too many fields"));
        }
        let mut path_like = 0;
        let mut keys = 0;
        let mut exes = 0;
        for f in &rule.fields {
            field_valid(list, f.field, f.op, f.num())?;
            match f.field {
                F_WATCH => {
                    path_like += 1;
                    let path = f.text().unwrap_or_default();
                    if !path.starts_with('/') || path.ends_with('/') || f.op != OP_EQ {
                        return Err(refused(format!("Invalid argument: path={path}")));
                    }
                    // A watch needs its parent directory (`audit_get_nd`).
                    let parent = match path.rsplit_once('/') {
                        Some(("", _)) | None => "/",
                        Some((p, _)) => p,
                    };
                    if self.kind(parent)? != Some(true) {
                        return Err(refused(format!(
                            "No such file or directory: the directory of {path} does not exist"
                        )));
                    }
                }
                F_DIR => {
                    path_like += 1;
                    let path = f.text().unwrap_or_default();
                    if !path.starts_with('/') || f.op != OP_EQ {
                        return Err(refused(format!("Invalid argument: dir={path}")));
                    }
                    if self.kind(path)?.is_none() {
                        return Err(refused(format!("No such file or directory: {path}")));
                    }
                }
                F_INODE => path_like += 1,
                F_FILTERKEY => keys += 1,
                F_EXE => {
                    exes += 1;
                    let path = f.text().unwrap_or_default();
                    if !path.starts_with('/') || path.ends_with('/') {
                        return Err(refused(format!("Invalid argument: exe={path}")));
                    }
                }
                _ => {}
            }
            if matches!(f.field, F_WATCH | F_DIR | F_INODE) && list != FILTER_EXIT {
                return Err(refused(
                    "Invalid argument: a path is only valid on the exit list",
                ));
            }
        }
        if path_like > 1 || keys > 1 || exes > 1 {
            return Err(refused(
                "Invalid argument: a rule holds at most one path, key and exe",
            ));
        }
        Ok(())
    }
}

/// `audit_field_valid`: which lists and operators each field allows.
fn field_valid(list: u32, field: u32, op: u32, value: Option<u32>) -> Result<(), Refusal> {
    let name = field_name(field);
    match field {
        F_MSGTYPE if list != FILTER_EXCLUDE && list != FILTER_USER => {
            return Err(refused(format!("Invalid argument: {name} on this list")))
        }
        F_FSTYPE if list != FILTER_FS => {
            return Err(refused(format!("Invalid argument: {name} on this list")))
        }
        _ => {}
    }
    if list == FILTER_FS && field != F_FSTYPE && field != F_FILTERKEY {
        return Err(refused(format!(
            "Invalid argument: {name} on the filesystem list"
        )));
    }
    let bit_op = op == OP_BIT_MASK || op == OP_BIT_TEST;
    match field {
        F_ARG0..=F_ARG3 | F_PERS | F_DEVMINOR => {}
        F_UID | F_EUID | F_SUID | F_FSUID | F_LOGINUID | F_OBJ_UID | F_GID | F_EGID | F_SGID
        | F_FSGID | F_OBJ_GID | F_PID | F_MSGTYPE | F_PPID | F_DEVMAJOR | F_EXIT | F_SUCCESS
        | F_INODE | F_SESSIONID | F_SUBJ_SEN | F_SUBJ_CLR | F_OBJ_LEV_LOW | F_OBJ_LEV_HIGH
        | F_SADDR_FAM => {
            if bit_op {
                return Err(refused(format!(
                    "Invalid argument: {name} takes no bit operator"
                )));
            }
        }
        F_SUBJ_USER | F_SUBJ_ROLE | F_SUBJ_TYPE | F_OBJ_USER | F_OBJ_ROLE | F_OBJ_TYPE
        | F_WATCH | F_DIR | F_FILTERKEY | F_ARCH | F_FSTYPE | F_PERM | F_FILETYPE
        | F_FIELD_COMPARE | F_EXE => {
            if op != OP_EQ && op != OP_NE {
                return Err(refused(format!(
                    "Invalid argument: {name} takes only = or !="
                )));
            }
        }
        _ => return Err(refused(format!("Invalid argument: unknown field {name}"))),
    }
    let v = value.unwrap_or(0);
    let bad = match field {
        F_PERM => v & !15 != 0,
        F_FILETYPE => v & !0o170000 != 0,
        F_FIELD_COMPARE => v > 25,
        // AF_MAX of current kernels.
        F_SADDR_FAM => v >= 46,
        _ => false,
    };
    if bad {
        return Err(refused(format!("Invalid argument: bad {name} value")));
    }
    Ok(())
}

/// `audit_compare_rule`: the same list, action, `-A` flag, fields (in
/// order) and system calls.
pub fn same_rule(a: &KRule, b: &KRule) -> bool {
    a.flags == b.flags && a.action == b.action && a.fields == b.fields && a.mask == b.mask
}

/// `key_match`: a rule matches `-D -k KEY` when one of its keys holds KEY.
fn key_matches(rule: &KRule, key: &str) -> bool {
    key.is_empty()
        || rule
            .fields_of(F_FILTERKEY)
            .filter_map(|f| f.text())
            .any(|k| k.contains(key))
}

impl Kernel for Model<'_> {
    fn set(&mut self, setting: Setting, value: u32) -> Result<(), Refusal> {
        if self.locked() {
            return Err(locked());
        }
        let slot = match setting {
            Setting::Enabled => &mut self.state.enabled,
            Setting::Failure => &mut self.state.failure,
            Setting::BacklogLimit => &mut self.state.backlog_limit,
            Setting::RateLimit => &mut self.state.rate_limit,
            Setting::BacklogWaitTime => &mut self.state.backlog_wait_time,
        };
        *slot = Some(value);
        Ok(())
    }

    fn loginuid_immutable(&mut self) -> Result<(), Refusal> {
        self.state.loginuid_immutable = true;
        Ok(())
    }

    fn delete_all(&mut self, key: &str) -> Result<(), Refusal> {
        let any = self.state.rules.iter().any(|l| key_matches(&l.rule, key));
        if any && self.locked() {
            return Err(locked());
        }
        self.state.rules.retain(|l| !key_matches(&l.rule, key));
        Ok(())
    }

    fn add(&mut self, rule: KRule, source: &Source) -> Result<(), Refusal> {
        if self.locked() {
            return Err(locked());
        }
        self.validate(&rule)?;
        if self.state.rules.iter().any(|l| same_rule(&l.rule, &rule)) {
            return Err(refused("Rule exists"));
        }
        let loaded = Loaded {
            rule,
            source: source.clone(),
        };
        if loaded.rule.prepend() {
            self.state.rules.insert(0, loaded);
        } else {
            self.state.rules.push(loaded);
        }
        Ok(())
    }

    fn delete(&mut self, rule: &KRule) -> Result<(), Refusal> {
        if self.locked() {
            return Err(locked());
        }
        match self
            .state
            .rules
            .iter()
            .position(|l| same_rule(&l.rule, rule))
        {
            Some(i) => {
                self.state.rules.remove(i);
                Ok(())
            }
            None => Err(refused("No rule matches")),
        }
    }

    fn other(&mut self, _what: &'static str) -> Result<(), Refusal> {
        Ok(())
    }
}

fn refused(why: impl Into<String>) -> Refusal {
    Refusal::Refused(why.into())
}

fn locked() -> Refusal {
    refused("Operation not permitted: the configuration is locked (-e 2)")
}
