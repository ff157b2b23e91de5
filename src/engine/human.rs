//! Observed values written for people: what a technician reads in the
//! terminal, Markdown, CSV, SARIF and Heimdall, never JSON text with its
//! escaped quotes (`{"path":"/etc/shadow"}` reads `path=/etc/shadow`).

use serde_json::Value;

/// A value as evidence shows it: a string in double quotes (so `"no"` and
/// an empty string stay visible), numbers and booleans as written, a list
/// as `[a, b]`, a record as `key=value key=value`, and no value as
/// `not set`. The result is one line: line breaks and other control
/// characters in the value are written out (`\n`, `\u{1b}`), because the
/// value comes from the scanned host.
pub fn value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{}\"", one_line(s)),
        Value::Object(_) | Value::Array(_) => inner(v),
        Value::Null => "not set".to_string(),
        other => inner(other),
    }
}

/// Inside a list or record, a string goes unquoted unless it would be
/// ambiguous there: empty, or holding a space or a separator.
fn inner(v: &Value) -> String {
    match v {
        Value::Null => "-".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if s.is_empty()
                || s.contains([' ', ',', '[', ']', '{', '}', '=', '"'])
                || s.chars().any(char::is_control)
            {
                format!("\"{}\"", one_line(s))
            } else {
                one_line(s)
            }
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(inner).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => {
            let fields = map
                .iter()
                .map(|(k, v)| format!("{}={}", one_line(k), inner(v)))
                .collect::<Vec<_>>()
                .join(" ");
            fields
        }
    }
}

/// `text` on one line, its control characters written out.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_read_as_key_value_pairs_not_json() {
        let v = json!({"mountpoint": "/tmp", "fstype": "tmpfs", "options": ["defaults", "nodev"]});
        assert_eq!(
            value(&v),
            "mountpoint=/tmp fstype=tmpfs options=[defaults, nodev]"
        );
        assert_eq!(
            value(&json!({"path": "/etc/pam.d/common-password", "mode": "0644", "owner": ""})),
            "path=/etc/pam.d/common-password mode=0644 owner=\"\""
        );
    }

    #[test]
    fn scalars_lists_and_missing_values() {
        assert_eq!(value(&json!("0644")), "\"0644\"");
        assert_eq!(value(&json!("a\"b\\c")), "\"a\"b\\c\"");
        assert_eq!(value(&json!(99999)), "99999");
        assert_eq!(value(&json!(false)), "false");
        assert_eq!(value(&Value::Null), "not set");
        assert_eq!(value(&json!(["a b", "c"])), "[\"a b\", c]");
        assert_eq!(value(&json!([])), "[]");
    }

    #[test]
    fn host_text_cannot_break_the_line_or_reach_the_terminal() {
        assert_eq!(value(&json!("a\nb\u{1b}[31m")), "\"a\\nb\\u{1b}[31m\"");
        assert_eq!(value(&json!({"k\u{7}": "x\ny"})), "k\\u{7}=\"x\\ny\"");
    }
}
