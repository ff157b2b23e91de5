use super::*;
use crate::report::Report;

fn report() -> Report {
    Report::from_json(include_str!("../../tests/fixtures/reports/sample.json")).unwrap()
}

fn waivers(text: &str) -> Waivers {
    parse(text, "w.yaml").unwrap_or_else(|e| panic!("{e}"))
}

fn errors(text: &str) -> Vec<String> {
    match parse(text, "w.yaml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e.diagnostics.iter().map(|d| d.to_string()).collect(),
    }
}
