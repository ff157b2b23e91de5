//! Fleet reading: the input is one report file's bytes (plain or gzip),
//! read by `posture aggregate` and `posture export` as it would be from a
//! directory of reports, twice (two hosts' copies), then rendered.

use posture::fleet::{self, export, render::FleetFormat, Filters};
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

const FORMATS: &[FleetFormat] = &[
    FleetFormat::Json,
    FleetFormat::Table,
    FleetFormat::Markdown,
    FleetFormat::Csv,
    FleetFormat::Html,
];

/// A directory of this process, for the report files.
fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
}

pub fn run(data: &[u8]) {
    let _ = fleet::read::digest(data);
    let dir = dir().path();
    let paths: Vec<PathBuf> = ["a.json", "b.json.gz"]
        .iter()
        .map(|n| dir.join(n))
        .collect();
    for p in &paths {
        let mut f = std::fs::File::create(p).expect("create a report file");
        f.write_all(data).expect("write a report file");
    }
    let quiet = |_: fleet::Warning| {};
    let filters = Filters::default();
    if let Ok(fleet) = fleet::aggregate(&[dir.to_path_buf()], &filters, false, &quiet) {
        for format in FORMATS {
            let _ = format.render(&fleet);
        }
    }
    let _ = fleet::aggregate(&paths[..1], &filters, true, &quiet);
    for format in [export::ExportFormat::Ndjson, export::ExportFormat::Parquet] {
        let mut out = Vec::new();
        let _ = export::export(
            &paths,
            &filters,
            format,
            Some("posture"),
            false,
            &mut out,
            &quiet,
        );
    }
}
