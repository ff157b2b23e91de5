//! Waiver files: parsed, then applied to the sample report and judged, as
//! `posture report --waivers` does.

use posture::report::{gate::Gate, Report};
use std::sync::OnceLock;

/// The sample report, parsed once.
pub fn sample() -> &'static Report {
    static SAMPLE: OnceLock<Report> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        Report::from_json(include_str!("../../tests/fixtures/reports/sample.json"))
            .expect("the sample report")
    })
}

pub fn run(data: &[u8]) {
    let waivers = match posture::waiver::parse(&crate::text(data), "waivers.yaml") {
        Ok(w) => w,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for w in &waivers.waivers {
        let _ = w.matches_rule("ssh-permit-root-login");
        let _ = w.scope.matches(Some("web01"), &["prod".to_string()]);
        let _ = w.is_expired("2026-01-01");
    }
    let mut report = sample().clone();
    posture::waiver::apply(&mut report, &waivers);
    let _ = report.judge(&Gate::default());
    let _ = report.waiver_warnings().count();
    let _ = report.expired_waivers().count();
    let _ = posture::report::json::render(&report);
}
