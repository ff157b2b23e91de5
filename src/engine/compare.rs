//! How an observed value meets a condition written in a policy.
//!
//! Observed values are JSON values from facts; operands are [`Literal`]s.
//! Two values are equal as numbers when both read as numbers (`"1"` and `1`),
//! otherwise as text, so `equals: no` compares with the string `no`.

use crate::facts::packages::compare_versions;
use crate::policy::{parse_mode, Condition, Literal, Op};
use serde_json::Value;
use std::cmp::Ordering;

/// The text of a scalar value; list elements joined by single spaces.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(items.iter().filter_map(text).collect::<Vec<_>>().join(" ")),
        Value::Object(_) => Some(v.to_string()),
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        // Finite only, so `nan` and `inf` stay text.
        Value::String(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

fn literal_number(l: &Literal) -> Option<f64> {
    match l {
        Literal::Number(n, _) => Some(*n),
        Literal::Str(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

fn literal_text(l: &Literal) -> Option<String> {
    match l {
        Literal::Null => None,
        Literal::Bool(b) => Some(b.to_string()),
        Literal::Number(_, t) => Some(t.clone()),
        Literal::Str(s) => Some(s.clone()),
        Literal::List(_) => Some(l.to_string()),
    }
}

fn same_text(a: &str, b: &str, ignore_case: bool) -> bool {
    if ignore_case {
        a.to_lowercase() == b.to_lowercase()
    } else {
        a == b
    }
}

pub fn equals(observed: &Value, expected: &Literal, ignore_case: bool) -> bool {
    match expected {
        Literal::Null => observed.is_null(),
        Literal::List(items) => match observed {
            Value::Array(obs) => {
                obs.len() == items.len()
                    && obs
                        .iter()
                        .zip(items)
                        .all(|(o, e)| equals(o, e, ignore_case))
            }
            _ => false,
        },
        _ => {
            if let (Some(a), Some(b)) = (number(observed), literal_number(expected)) {
                return a == b;
            }
            match (text(observed), literal_text(expected)) {
                (Some(a), Some(b)) => same_text(&a, &b, ignore_case),
                _ => false,
            }
        }
    }
}

/// A file mode, from `"0644"` (octal text) or a number holding the bits.
fn mode(v: &Value) -> Option<u32> {
    match v {
        Value::String(s) => parse_mode(s.trim()),
        Value::Number(n) => n.as_u64().and_then(|m| u32::try_from(m).ok()),
        _ => None,
    }
}

pub fn holds(cond: &Condition, observed: &Value) -> bool {
    let ic = cond.ignore_case;
    let list = || match &cond.operand {
        Literal::List(items) => items.as_slice(),
        other => std::slice::from_ref(other),
    };
    let ordered =
        |want: fn(Ordering) -> bool| match (number(observed), literal_number(&cond.operand)) {
            (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(want),
            _ => false,
        };
    let version = |want: fn(Ordering) -> bool| match (text(observed), literal_text(&cond.operand)) {
        (Some(a), Some(b)) if !a.is_empty() => want(compare_versions(&a, &b)),
        _ => false,
    };
    let contains = || match observed {
        Value::Array(items) => items.iter().any(|i| equals(i, &cond.operand, ic)),
        _ => match (text(observed), literal_text(&cond.operand)) {
            (Some(a), Some(b)) if ic => a.to_lowercase().contains(&b.to_lowercase()),
            (Some(a), Some(b)) => a.contains(&b),
            _ => false,
        },
    };
    // A list's elements; any other value is a list of one, `null` none.
    let elements = || match observed {
        Value::Null => None,
        Value::Array(items) => Some(items.as_slice()),
        other => Some(std::slice::from_ref(other)),
    };
    let has = |els: &[Value], l: &Literal| els.iter().any(|e| equals(e, l, ic));
    match &cond.op {
        Op::ContainsAll => elements().is_some_and(|els| list().iter().all(|l| has(els, l))),
        Op::ContainsAny => elements().is_some_and(|els| list().iter().any(|l| has(els, l))),
        Op::SubsetOf => elements()
            .is_some_and(|els| els.iter().all(|e| list().iter().any(|l| equals(e, l, ic)))),
        Op::Equals => equals(observed, &cond.operand, ic),
        Op::NotEquals => !equals(observed, &cond.operand, ic),
        Op::In => list().iter().any(|l| equals(observed, l, ic)),
        Op::NotIn => !list().iter().any(|l| equals(observed, l, ic)),
        Op::Matches(re) => text(observed).is_some_and(|t| re.is_match(&t)),
        Op::NotMatches(re) => !text(observed).is_some_and(|t| re.is_match(&t)),
        Op::Lt => ordered(Ordering::is_lt),
        Op::Le => ordered(Ordering::is_le),
        Op::Gt => ordered(Ordering::is_gt),
        Op::Ge => ordered(Ordering::is_ge),
        Op::VersionLt => version(Ordering::is_lt),
        Op::VersionLe => version(Ordering::is_le),
        Op::VersionGt => version(Ordering::is_gt),
        Op::VersionGe => version(Ordering::is_ge),
        Op::Contains => contains(),
        Op::NotContains => !contains(),
        Op::ModeAtMost(bits) => mode(observed).is_some_and(|m| m & !bits == 0),
        Op::ModeHas(bits) => mode(observed).is_some_and(|m| m & bits == *bits),
    }
}

/// `count` compares a number of items.
pub fn count_holds(cond: &Condition, count: usize) -> bool {
    holds(cond, &Value::from(count as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(op: Op, operand: Literal) -> Condition {
        Condition {
            op,
            operand,
            ignore_case: false,
        }
    }
    fn s(v: &str) -> Literal {
        Literal::Str(v.into())
    }
    fn n(v: f64) -> Literal {
        Literal::Number(v, v.to_string())
    }

    #[test]
    fn equality_is_numeric_when_both_sides_are_numbers() {
        assert!(equals(&json!("1"), &n(1.0), false));
        assert!(equals(&json!(1), &s("1"), false));
        assert!(!equals(&json!("01x"), &n(1.0), false));
        assert!(equals(&json!("no"), &s("no"), false));
        assert!(!equals(&json!("No"), &s("no"), false));
        assert!(equals(&json!("No"), &s("no"), true));
        assert!(equals(&json!(false), &Literal::Bool(false), false));
        assert!(!equals(&json!(null), &s("no"), false));
    }

    #[test]
    fn lists_compare_element_by_element_and_nan_is_text() {
        assert!(equals(&json!([]), &Literal::List(vec![]), false));
        assert!(!equals(&json!(["a"]), &Literal::List(vec![]), false));
        assert!(equals(
            &json!(["a", "1"]),
            &Literal::List(vec![s("a"), n(1.0)]),
            false
        ));
        assert!(equals(&json!("nan"), &s("nan"), false));
        assert!(!equals(&json!("inf"), &s("infinity"), false));
    }

    #[test]
    fn ordering_needs_numbers() {
        assert!(holds(&cond(Op::Le, n(365.0)), &json!("90")));
        assert!(!holds(&cond(Op::Le, n(365.0)), &json!("99999")));
        assert!(!holds(&cond(Op::Le, n(365.0)), &json!("never")));
        assert!(!holds(&cond(Op::Gt, n(1.0)), &json!(null)));
    }

    #[test]
    fn modes() {
        let at_most = cond(Op::ModeAtMost(0o640), s("0640"));
        assert!(holds(&at_most, &json!("0640")));
        assert!(holds(&at_most, &json!("0600")));
        assert!(!holds(&at_most, &json!("0644")));
        assert!(!holds(&at_most, &json!("4640")));
        let sticky = cond(Op::ModeHas(0o1000), s("1000"));
        assert!(holds(&sticky, &json!("1777")));
        assert!(!holds(&sticky, &json!("0777")));
    }

    #[test]
    fn contains_lists_and_text() {
        let c = cond(Op::Contains, s("nodev"));
        assert!(holds(&c, &json!(["rw", "nodev", "nosuid"])));
        assert!(!holds(&c, &json!(["rw", "nosuid"])));
        assert!(holds(&c, &json!("rw,nodev")));
        assert!(holds(&cond(Op::NotContains, s("nodev")), &json!(["rw"])));
    }

    #[test]
    fn versions_follow_debian_ordering() {
        assert!(holds(
            &cond(Op::VersionGe, s("1:9.2p1-2")),
            &json!("1:9.2p1-2+deb12u3")
        ));
        assert!(holds(&cond(Op::VersionLt, s("2.0")), &json!("2.0~rc1")));
        assert!(!holds(&cond(Op::VersionGe, s("1.0")), &json!(null)));
    }

    #[test]
    fn list_set_operators() {
        let l = |items: &[&str]| Literal::List(items.iter().map(|i| s(i)).collect());
        let all = cond(Op::ContainsAll, l(&["w", "a"]));
        assert!(holds(&all, &json!(["r", "w", "a"])));
        assert!(!holds(&all, &json!(["w"])));
        assert!(holds(&all, &json!(["a", "w"])));
        assert!(!holds(&all, &json!(null)));
        assert!(holds(&cond(Op::ContainsAll, l(&[])), &json!([])));
        let any = cond(Op::ContainsAny, l(&["chmod", "all"]));
        assert!(holds(&any, &json!(["all"])));
        assert!(holds(&any, &json!(["fchmod", "chmod"])));
        assert!(!holds(&any, &json!(["fchmod"])));
        assert!(!holds(&any, &json!([])));
        assert!(holds(&any, &json!("chmod")));
        let sub = cond(Op::SubsetOf, l(&["auid>=1000", "auid!=unset"]));
        assert!(holds(&sub, &json!([])));
        assert!(holds(&sub, &json!(["auid!=unset"])));
        assert!(!holds(&sub, &json!(["auid>=1000", "success=1"])));
        assert!(!holds(&sub, &json!(null)));
        // Elements compare as `equals` does: numbers as numbers.
        assert!(holds(
            &cond(Op::SubsetOf, Literal::List(vec![n(1.0)])),
            &json!(["1", 1])
        ));
    }

    #[test]
    fn membership() {
        let c = cond(Op::In, Literal::List(vec![s("no"), s("prohibit-password")]));
        assert!(holds(&c, &json!("prohibit-password")));
        assert!(!holds(&c, &json!("yes")));
        let c = cond(
            Op::NotIn,
            Literal::List(vec![s("/bin/false"), s("/usr/sbin/nologin")]),
        );
        assert!(holds(&c, &json!("/bin/bash")));
    }
}
