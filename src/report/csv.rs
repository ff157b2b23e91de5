//! One row per result, for spreadsheets and ticket imports. Each row names
//! the host and scan, so files from many hosts can simply be concatenated
//! (minus their header lines).

use super::Report;
use crate::engine::summarize;

pub const HEADER: [&str; 18] = [
    "hostname",
    "scan_id",
    "started_at",
    "policy",
    "section",
    "rule_id",
    "title",
    "severity",
    "outcome",
    "reason",
    "evidence",
    "remediation",
    "references",
    "profiles",
    "waiver",
    "waiver_justification",
    "waiver_approver",
    "waiver_expires",
];

pub fn render(report: &Report) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail; errors would only come from I/O.
    let _ = w.write_record(HEADER);
    let host = report.target.hostname.as_deref().unwrap_or("");
    for r in &report.results {
        let references = r
            .references
            .iter()
            .map(|(framework, ids)| format!("{framework}:{}", ids.join(",")))
            .collect::<Vec<_>>()
            .join(" ");
        let waiver = r.waiver.as_ref();
        let _ = w.write_record([
            host,
            &report.scan.id,
            &report.scan.started_at,
            &r.policy,
            &r.section,
            &r.id,
            &r.title,
            r.severity.as_str(),
            r.outcome.as_str(),
            r.reason.as_deref().unwrap_or(""),
            &summarize(&r.evidence),
            r.remediation.trim(),
            &references,
            &r.profiles.join(" "),
            match waiver {
                Some(w) if w.expired => "expired",
                Some(_) => "waived",
                None => "",
            },
            waiver.map_or("", |w| w.justification.as_str()),
            waiver.map_or("", |w| w.approver.as_str()),
            waiver.map_or("", |w| w.expires.as_deref().unwrap_or("never")),
        ]);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(render(&sample()));
    }

    #[test]
    fn one_row_per_result_that_a_csv_reader_reads_back() {
        let r = sample();
        let text = render(&r);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), HEADER);
        let rows: Vec<csv::StringRecord> = reader.records().map(|x| x.unwrap()).collect();
        assert_eq!(rows.len(), r.results.len());
        for (row, result) in rows.iter().zip(&r.results) {
            assert_eq!(&row[5], result.id);
            assert_eq!(&row[8], result.outcome.as_str());
            assert_eq!(&row[0], "web01");
        }
        let expired = rows.iter().find(|x| &x[5] == "ssh-max-auth-tries").unwrap();
        assert_eq!((&expired[8], &expired[14]), ("fail", "expired"));
        let waived = rows
            .iter()
            .find(|x| &x[5] == "ssh-x11-forwarding-disabled")
            .unwrap();
        assert_eq!(
            (&waived[8], &waived[14], &waived[16]),
            ("waived", "waived", "jane.doe@example.com")
        );
        // Multi-line remediation stays in one field.
        assert!(rows.iter().any(|x| x[11].contains('\n')));
    }
}
