//! Every JSON report and comparison the tests produce is checked against
//! the published schemas in `schema/`, so the schema is tested by use.

use std::sync::OnceLock;

fn validator(
    name: &str,
    cell: &'static OnceLock<jsonschema::Validator>,
) -> &'static jsonschema::Validator {
    cell.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schema")
            .join(name);
        let text = std::fs::read_to_string(&path).expect("schema file");
        let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
        jsonschema::validator_for(&schema).expect("schema compiles")
    })
}

fn check(
    name: &str,
    cell: &'static OnceLock<jsonschema::Validator>,
    bytes: &[u8],
) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(2000)])
        )
    });
    let errors: Vec<String> = validator(name, cell)
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "does not validate against schema/{name}:\n{}",
        errors.join("\n")
    );
    value
}

/// Parses a JSON report and asserts it validates against the schema.
#[allow(dead_code)]
pub fn report_json(bytes: &[u8]) -> serde_json::Value {
    static CELL: OnceLock<jsonschema::Validator> = OnceLock::new();
    check("report.schema.json", &CELL, bytes)
}

/// Parses a `posture diff --format json` output and asserts it validates.
#[allow(dead_code)]
pub fn diff_json(bytes: &[u8]) -> serde_json::Value {
    static CELL: OnceLock<jsonschema::Validator> = OnceLock::new();
    check("diff.schema.json", &CELL, bytes)
}

/// Parses a `posture aggregate --format json` output and asserts it validates.
#[allow(dead_code)]
pub fn fleet_json(bytes: &[u8]) -> serde_json::Value {
    static CELL: OnceLock<jsonschema::Validator> = OnceLock::new();
    check("fleet.schema.json", &CELL, bytes)
}
