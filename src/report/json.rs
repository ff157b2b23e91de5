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

/// The JSON Schema (draft 2020-12) of the report, generated from the types
/// so it cannot drift from what `render` writes. `schema/report.schema.json`
/// is this text; a test keeps the file current.
pub fn schema() -> String {
    let mut schema = schemars::schema_for!(Report);
    schema.insert("x-schema-version".into(), super::SCHEMA_VERSION.into());
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
