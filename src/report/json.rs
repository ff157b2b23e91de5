//! The canonical JSON report.

use super::Report;

pub fn render(report: &Report) -> String {
    // Serializing plain data structures cannot fail; fall back to a minimal
    // object rather than panic if that ever changes.
    let mut s = serde_json::to_string_pretty(report)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialize report: {e}\"}}"));
    s.push('\n');
    s
}
