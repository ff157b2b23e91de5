//! Evidence names the file and line a compared value came from, and probes
//! find what they should in small trees.

use posture::engine::{evaluate_rule, Outcome};
use posture::facts::Facts;
use posture::target::Target;
use std::fs;

fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
    dir
}

fn run(dir: &tempfile::TempDir, check: &str) -> posture::engine::RuleResult {
    let text = format!(
        "policy: {{id: t, title: T, version: '1'}}\nrules:\n  - id: r\n    title: R\n    severity: low\n    check:\n{check}"
    );
    let policy = posture::policy::load_str(&text, "t.yaml").unwrap_or_else(|e| panic!("{e}"));
    let target = Target::root(dir.path()).unwrap();
    let facts = Facts::new(&target);
    evaluate_rule(&policy.rules[0], &facts)
}

#[test]
fn shadow_fields_cite_the_shadow_file() {
    let t = tree(&[
        (
            "/etc/passwd",
            "root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n",
        ),
        (
            "/etc/shadow",
            "bob:$6$s$h:19000:0:99999:7:::\nroot:$6$s$h:19000:1:90:7:::\n",
        ),
    ]);
    let r = run(
        &t,
        "      user: '*'\n      field: max_days\n      le: 365\n",
    );
    assert_eq!(r.outcome, Outcome::Fail);
    let bad = &r.evidence[0].observed[0];
    assert_eq!(bad.value, serde_json::json!(99999));
    let src = bad.source.as_ref().unwrap();
    assert_eq!((src.file.as_str(), src.line), ("/etc/shadow", Some(1)));
    // A passwd field cites passwd.
    let r = run(
        &t,
        "      user: bob\n      field: shell\n      equals: /bin/sh\n",
    );
    let src = r.evidence[0].observed[0].source.clone().unwrap();
    assert_eq!((src.file.as_str(), src.line), ("/etc/passwd", Some(2)));
}

#[test]
fn mount_points_match_with_or_without_a_trailing_slash() {
    let t = tree(&[("/etc/fstab", "tmpfs /var/tmp/ tmpfs nodev,nosuid 0 0\n")]);
    let r = run(&t, "      mount: /var/tmp\n      from: configured\n      field: options\n      contains: nodev\n");
    assert_eq!(r.outcome, Outcome::Pass, "{:?}", r.evidence);
}

#[test]
fn brace_patterns_are_globs() {
    let t = tree(&[
        ("/var/log/auth.log", "x\n"),
        ("/var/log/syslog", "y\n"),
        ("/var/log/other", "z\n"),
    ]);
    let r = run(
        &t,
        "      file: '/var/log/{auth.log,syslog}'\n      count: 2\n",
    );
    assert_eq!(r.outcome, Outcome::Pass, "{:?}", r.evidence);
}

#[test]
fn walk_finds_files_by_property_and_records_only_what_rules_need() {
    use std::os::unix::fs::PermissionsExt;
    let t = tree(&[
        ("/usr/bin/passwd", "x"),
        ("/usr/bin/odd", "y"),
        ("/srv/open", "z"),
    ]);
    let set = |p: &str, mode: u32| {
        fs::set_permissions(t.path().join(p), fs::Permissions::from_mode(mode)).unwrap();
    };
    set("usr/bin/passwd", 0o4755);
    set("usr/bin/odd", 0o4755);
    set("srv/open", 0o666);
    let r = run(
        &t,
        "      walk: setuid\n      field: path\n      in: [/usr/bin/passwd]\n",
    );
    assert_eq!(r.outcome, Outcome::Fail);
    let ev = &r.evidence[0];
    assert_eq!(ev.observed_count, 2);
    assert_eq!(
        ev.observed[0].value,
        serde_json::json!("/usr/bin/odd"),
        "offending first"
    );
    assert_eq!(ev.observed[0].source.as_ref().unwrap().file, "/usr/bin/odd");

    // A scan whose only walk rule looks for setuid files records nothing else.
    let policy = posture::policy::load_str(
        "policy: {id: t, title: T, version: '1'}\nrules:\n  - id: r\n    title: R\n    severity: low\n    check: {walk: setuid, exists: false}\n",
        "t.yaml",
    )
    .unwrap();
    let target = Target::root(t.path()).unwrap();
    let (report, facts) =
        posture::scan::run(&target, std::slice::from_ref(&policy), &Default::default()).unwrap();
    assert_eq!(report.results[0].outcome, Outcome::Fail);
    let walk = posture::facts::fact_ref(facts.walk()).unwrap();
    assert_eq!(walk.entries.len(), 2, "{:?}", walk.entries);
    assert!(walk.entries.iter().all(|e| e.path != "/srv/open"));
}
