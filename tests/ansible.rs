//! `contrib/ansible/scan.yml` run for real by ansible-playbook against this
//! host (`-i localhost, -c local`): the role copies the test build of posture
//! to a temporary directory, scans, fetches the report and removes the
//! directory; the second play aggregates the reports into fleet.html and
//! fleet.json.
//!
//! ansible-playbook is `$POSTURE_ANSIBLE_PLAYBOOK`, else the virtualenv that
//! `.ci/run` makes at `tests/consumers/.venv` (ansible-core pinned in
//! `tests/consumers/requirements.txt`), else the one on the PATH. When none
//! is there the test skips with a message, unless
//! `POSTURE_REQUIRE_CONSUMERS=1`, where it fails (as in tests/consumers.rs).

#[path = "support/report_schema.rs"]
mod report_schema;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the playbook may take (it takes a few seconds).
const TIMEOUT: Duration = Duration::from_secs(300);

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn required() -> bool {
    std::env::var("POSTURE_REQUIRE_CONSUMERS").is_ok_and(|v| v == "1")
}

/// Skips (returns None) or, when consumers are required, fails.
fn unavailable<T>(what: &str) -> Option<T> {
    assert!(
        !required(),
        "{what} is not available but POSTURE_REQUIRE_CONSUMERS=1; run .ci/run or install it"
    );
    eprintln!("skipped: {what} is not available (see tests/ansible.rs)");
    None
}

fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn ansible_playbook() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("POSTURE_ANSIBLE_PLAYBOOK") {
        let path = PathBuf::from(path);
        assert!(
            executable(&path),
            "POSTURE_ANSIBLE_PLAYBOOK={} is not an executable file",
            path.display()
        );
        return Some(path);
    }
    let venv = manifest().join("tests/consumers/.venv/bin/ansible-playbook");
    if executable(&venv) {
        return Some(venv);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("ansible-playbook"))
        .find(|p| executable(p))
        .or_else(|| unavailable("ansible-playbook (tests/consumers/.venv or the PATH)"))
}

/// Runs `cmd` with its output in files under `dir`; kills it after `TIMEOUT`.
/// Returns whether it succeeded, and its output.
fn run(mut cmd: Command, dir: &Path) -> (bool, String) {
    let (out, err) = (dir.join("stdout"), dir.join("stderr"));
    cmd.stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let mut child = cmd.spawn().expect("ansible-playbook starts");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let text = format!(
        "{}{}",
        std::fs::read_to_string(&out).unwrap_or_default(),
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    match status {
        Some(s) => (s.success(), text),
        None => (false, format!("timed out after {TIMEOUT:?}\n{text}")),
    }
}

fn read_json(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn playbook_scans_localhost_and_aggregates() {
    let Some(playbook) = ansible_playbook() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = |name: &str| {
        let d = tmp.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let reports = tmp.path().join("reports");
    // Where the role makes its temporary directory on the host: empty after.
    let host_tmp = dir("host-tmp");
    // No ansible.cfg of this machine's (/etc/ansible, ~/.ansible.cfg) applies.
    let config = tmp.path().join("ansible.cfg");
    std::fs::write(&config, "").unwrap();

    let mut cmd = Command::new(&playbook);
    cmd.current_dir(manifest())
        .args(["-i", "localhost,", "-c", "local"])
        .arg(manifest().join("contrib/ansible/scan.yml"))
        .arg("-e")
        .arg(format!("posture_binary={}", env!("CARGO_BIN_EXE_posture")))
        .arg("-e")
        .arg(format!("posture_reports_dir={}", reports.display()))
        .arg("-e")
        .arg(format!("posture_remote_tmp={}", host_tmp.display()))
        .args([
            "-e",
            "posture_profile=level1-server",
            "-e",
            "posture_hosts=localhost",
            // Root or not, no sudo: rules root alone could check say `error`.
            "-e",
            "posture_become=false",
            "-e",
            r#"{"posture_tags": ["ansible-test"]}"#,
            // The Python that runs ansible runs the modules too.
            "-e",
            "ansible_python_interpreter={{ ansible_playbook_python }}",
        ])
        .env("ANSIBLE_CONFIG", &config)
        .env("ANSIBLE_HOME", dir("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", dir("ansible-local"))
        .env("ANSIBLE_REMOTE_TEMP", dir("ansible-remote"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env_remove("ANSIBLE_STDOUT_CALLBACK");
    let started = Instant::now();
    let (ok, output) = run(cmd, tmp.path());
    assert!(ok, "{} failed:\n{output}", playbook.display());
    eprintln!("ansible-playbook took {:?}", started.elapsed());

    // The host's report, fetched to <reports>/localhost/<stamp>.json.
    let fetched: Vec<PathBuf> = std::fs::read_dir(reports.join("localhost"))
        .expect("reports/localhost")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert_eq!(fetched[0].extension().unwrap(), "json");
    let report = report_schema::report_json(&read_json(&fetched[0]));
    assert!(
        report["schema_version"].as_str().unwrap().starts_with("2."),
        "{}",
        report["schema_version"]
    );
    assert!(!report["results"].as_array().unwrap().is_empty());
    assert_eq!(report["target"]["kind"], "live");
    assert_eq!(
        report["target"]["tags"],
        serde_json::json!(["ansible-test"])
    );

    // The fleet summary, from the hosts' directories only (not fleet.json).
    let fleet = report_schema::fleet_json(&read_json(&reports.join("fleet.json")));
    assert_eq!(fleet["summary"]["hosts"], 1, "{}", fleet["summary"]);
    assert_eq!(fleet["summary"]["reports"], 1, "{}", fleet["summary"]);
    assert_eq!(fleet["summary"]["skipped"], 0, "{}", fleet["summary"]);
    let html = std::fs::read_to_string(reports.join("fleet.html")).unwrap();
    assert!(html.contains("<html"), "fleet.html is not a page");
    assert!(
        output.contains("1 host(s), 1 report(s)"),
        "no table summary in the output:\n{output}"
    );

    // The host keeps nothing: the temporary directory is gone.
    let left: Vec<_> = std::fs::read_dir(&host_tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "left on the host: {left:?}");
}
