//! Reading a JSON report (`posture report`, `posture diff`), then every
//! renderer, the gate, and a diff against the sample report.

use posture::diff::Diff;
use posture::report::{gate::Gate, Format, Report};

const FORMATS: &[Format] = &[
    Format::Table,
    Format::Json,
    Format::Markdown,
    Format::Csv,
    Format::Html,
    Format::Junit,
    Format::Sarif,
    Format::Ohdf,
];

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut report) = Report::from_json(text) else {
        return;
    };
    let _ = report.judge(&Gate::default());
    for format in FORMATS {
        let _ = format.render(&report);
    }
    let sample = crate::waivers::sample();
    for diff in [Diff::new(sample, &report), Diff::new(&report, sample)] {
        let _ = diff.regressed();
        let _ = diff.to_json();
        let _ = diff.to_text();
        let _ = diff.to_markdown();
    }
}
