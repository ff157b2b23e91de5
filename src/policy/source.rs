//! A rule's `check` and `applies_if` as written in its policy file, for
//! `posture explain` and `posture rules show`: the text the policy author
//! wrote (comments and all), not a rendering of the decoded check, so what
//! the technician reads is what they would edit.

/// The text of one rule's checks, each dedented so its key starts the line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleText {
    /// `file:line` of the rule.
    pub location: String,
    pub applies_if: Option<String>,
    pub check: Option<String>,
}

/// The keys of the rule that begins on 1-based `line` of `text` (the line
/// of its first key, `- id: ...`, as a rule's location names it).
pub fn extract(text: &str, line: u32) -> (Option<String>, Option<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = (line as usize).checked_sub(1).filter(|s| *s < lines.len()) else {
        return (None, None);
    };
    let indent = key_column(lines[start]);
    // The rule ends at the first line written left of its keys.
    let end = (start + 1..lines.len())
        .find(|&i| is_content(lines[i]) && leading(lines[i]) < indent)
        .unwrap_or(lines.len());
    let find = |key: &str| -> Option<String> {
        let at = (start..end).find(|&i| {
            let l = lines[i];
            let col = if i == start { indent } else { leading(l) };
            col == indent
                && l.get(col..).is_some_and(|rest| {
                    rest.strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                })
        })?;
        let mut stop = (at + 1..end)
            .find(|&i| is_content(lines[i]) && leading(lines[i]) <= indent)
            .unwrap_or(end);
        // Blank lines and comments between this key and the next belong
        // to neither.
        while stop > at + 1 && !is_content(lines[stop - 1]) {
            stop -= 1;
        }
        let mut out = String::new();
        for (n, l) in lines[at..stop].iter().enumerate() {
            let cut = if n == 0 {
                indent
            } else {
                indent.min(leading(l))
            };
            out.push_str(l.get(cut..).unwrap_or("").trim_end());
            out.push('\n');
        }
        Some(out)
    };
    (find("applies_if"), find("check"))
}

/// The column (0-based) of the first key on a line such as `  - id: x`.
fn key_column(line: &str) -> usize {
    let mut col = leading(line);
    while line[col..].starts_with("- ") || line[col..].starts_with("-\t") {
        col += 1;
        col += line[col..].len() - line[col..].trim_start().len();
    }
    col
}

fn leading(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Not blank and not only a comment.
fn is_content(line: &str) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "\
id: p
rules:
  - id: first
    title: First
    applies_if:
      package: openssh-server
      exists: true
    check:
      any:
        # either setting
        - sshd: X11Forwarding
          equals: \"no\"

        - sshd: DisableForwarding
          equals: \"yes\"
    remediation: |
      fix it

# the next area
  - id: second
    check: {sysctl: kernel.x, equals: 1}
";

    #[test]
    fn keys_come_as_written_with_comments_and_dedented() {
        let (applies_if, check) = extract(POLICY, 3);
        assert_eq!(
            applies_if.as_deref(),
            Some("applies_if:\n  package: openssh-server\n  exists: true\n")
        );
        assert_eq!(
            check.as_deref(),
            Some(
                "check:\n  any:\n    # either setting\n    - sshd: X11Forwarding\n      equals: \"no\"\n\n    - sshd: DisableForwarding\n      equals: \"yes\"\n"
            )
        );
    }

    #[test]
    fn a_rule_ends_where_the_next_begins() {
        assert_eq!(
            extract(POLICY, 20),
            (None, Some("check: {sysctl: kernel.x, equals: 1}\n".into()))
        );
        assert_eq!(extract(POLICY, 99), (None, None));
        assert_eq!(extract(POLICY, 0), (None, None));
    }

    #[test]
    fn a_rule_may_begin_with_its_check() {
        let text = "rules:\n- check:\n    file: /x\n    exists: true\n  id: y\n";
        assert_eq!(
            extract(text, 2).1.as_deref(),
            Some("check:\n  file: /x\n  exists: true\n")
        );
    }
}
