//! A rule as auditctl hands it to the kernel (`struct audit_rule_data`):
//! the list and action, the system call bit mask, and the fields in the
//! order they were given.

use super::tables::{
    is_string_field, BITMASK_WORDS, FILTER_MASK, FILTER_PREPEND, F_FILTERKEY, KEY_SEPARATOR,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Num(u32),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// `AUDIT_*` field number.
    pub field: u32,
    /// `AUDIT_*` operator bits.
    pub op: u32,
    pub value: Value,
}

impl Field {
    pub fn num(&self) -> Option<u32> {
        match self.value {
            Value::Num(n) => Some(n),
            Value::Str(_) => None,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            Value::Num(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KRule {
    /// The list, with `AUDIT_FILTER_PREPEND` for `-A`.
    pub flags: u32,
    pub action: u32,
    pub mask: [u32; BITMASK_WORDS],
    pub fields: Vec<Field>,
}

impl Default for KRule {
    fn default() -> Self {
        KRule {
            flags: 0,
            action: 0,
            mask: [0; BITMASK_WORDS],
            fields: Vec::new(),
        }
    }
}

impl KRule {
    pub fn list(&self) -> u32 {
        self.flags & FILTER_MASK
    }

    pub fn prepend(&self) -> bool {
        self.flags & FILTER_PREPEND != 0
    }

    pub fn all_syscalls(&self) -> bool {
        self.mask.iter().all(|w| *w == u32::MAX)
    }

    pub fn set_all_syscalls(&mut self) {
        self.mask = [u32::MAX; BITMASK_WORDS];
    }

    pub fn has_syscall(&self, nr: u32) -> bool {
        let word = (nr / 32) as usize;
        word < BITMASK_WORDS && self.mask[word] & (1 << (nr % 32)) != 0
    }

    /// Syscall numbers set in the mask, lowest first.
    pub fn syscalls(&self) -> impl Iterator<Item = u32> + '_ {
        (0..(BITMASK_WORDS as u32 * 32)).filter(|nr| self.has_syscall(*nr))
    }

    pub fn fields_of(&self, field: u32) -> impl Iterator<Item = &Field> {
        self.fields.iter().filter(move |f| f.field == field)
    }

    /// The keys of the rule, in order (auditctl joins several with `\x01`).
    pub fn keys(&self) -> Vec<String> {
        self.fields_of(F_FILTERKEY)
            .filter_map(Field::text)
            .flat_map(|k| k.split(KEY_SEPARATOR))
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Whether the string fields of the rule are consistent with the field
    /// numbers (a string field holds text, any other a number).
    pub fn well_formed(&self) -> bool {
        self.fields
            .iter()
            .all(|f| is_string_field(f.field) == matches!(f.value, Value::Str(_)))
    }
}
