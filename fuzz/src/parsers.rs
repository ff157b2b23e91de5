//! Every one-file text parser. The first byte picks the parser (the letter
//! in [`PARSERS`], any other byte modulo their number), so the fuzzer
//! learns one format at a time; the rest of the input is the file.

use posture::facts::audit::{self, augenrules::Awk};
use posture::facts::{
    accounts, cmdline, dpkg, grub, keyvalue, login_defs, modules, mounts, net, os, packages,
    processes, services, shell, sshd_match, sysctl, Source,
};

const F: &str = "/fuzz";

/// The parsers by their selector letter.
pub const PARSERS: &[(u8, fn(&str))] = &[
    (b'a', accounts),
    (b'k', keyvalue),
    (b'l', login_defs),
    (b's', sysctl),
    (b'm', modprobe),
    (b'f', mounts),
    (b'u', systemd),
    (b'd', dpkg),
    (b'A', audit_rules),
    (b'g', grub_shell),
    (b'c', kernel_cmdline),
    (b'o', os_release),
    (b'n', proc_files),
    (b'y', yaml),
    (b'M', sshd_match),
    (b'b', grub_env),
];

pub fn run(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let parse = PARSERS
        .iter()
        .find(|(letter, _)| *letter == selector)
        .unwrap_or(&PARSERS[usize::from(selector) % PARSERS.len()])
        .1;
    parse(&crate::text(rest));
}

fn accounts(text: &str) {
    let _ = accounts::parse_passwd(text, F);
    let _ = accounts::parse_shadow(text, F);
    let _ = accounts::parse_group(text, F);
    let _ = accounts::parse_gshadow(text, F);
}

fn keyvalue(text: &str) {
    for separator in [
        keyvalue::Separator::Whitespace,
        keyvalue::Separator::Equals,
        keyvalue::Separator::Auto,
    ] {
        for case_insensitive_keys in [false, true] {
            let opts = keyvalue::KvOptions {
                separator,
                case_insensitive_keys,
            };
            let (entries, _) = keyvalue::parse(text, F, &opts);
            let _ = keyvalue::lookup(&entries, Some("Journal"), "Storage", case_insensitive_keys);
            let _ = keyvalue::lookup(&entries, None, "minlen", case_insensitive_keys);
        }
    }
}

fn login_defs(text: &str) {
    let defs = login_defs::parse(text);
    for key in [
        "PASS_MAX_DAYS",
        "PASS_MIN_DAYS",
        "UMASK",
        "ENCRYPT_METHOD",
        "SHA_CRYPT_MIN_ROUNDS",
        "UID_MIN",
        "NOT_A_KEY",
    ] {
        let _ = defs.effective(key);
    }
    for word in text.split_whitespace().take(8) {
        let _ = login_defs::strtol(word);
        let _ = defs.effective(word);
    }
}

fn sysctl(text: &str) {
    let _ = sysctl::parse_sysctl_conf(text, F);
    let _ = sysctl::parse_sysctl_entries(text, F);
    for line in text.lines().take(8) {
        let _ = sysctl::normalize_key(line);
    }
}

fn modprobe(text: &str) {
    let _ = modules::parse_modprobe_conf(text, F);
    let _ = modules::parse_proc_modules(text, F);
    for line in text.lines().take(8) {
        let _ = modules::install_disables(line);
    }
}

fn mounts(text: &str) {
    let (mounts, _) = mounts::parse_mounts(text, F);
    for m in &mounts {
        let _ = m.has_option("nodev");
    }
    let _ = mounts::parse_mount_unit(text, F);
}

fn systemd(text: &str) {
    let _ = services::parse_unit_file(text, F);
    let _ = services::parse_preset(text, F);
}

fn dpkg(text: &str) {
    let _ = dpkg::parse_status(text, F);
    let (pkgs, _) = packages::parse_dpkg_status(text, F);
    let _ = packages::parse_apk_installed(text, F);
    for p in pkgs.iter().take(4) {
        let _ = dpkg::parse_version(&p.version);
        let _ = packages::compare_versions(&p.version, "1:2.3-4~rc1");
    }
    let (a, b) = text.split_once('\n').unwrap_or((text, ""));
    let _ = dpkg::parse_version(a);
    let _ = packages::compare_versions(a, b);
}

/// A machine and accounts for the audit rules parser.
struct AuditHost;

impl audit::auditctl::Host for AuditHost {
    fn machine(&self) -> Option<audit::tables::Machine> {
        Some(audit::tables::Machine::X86_64)
    }
    fn uid(&self, name: &str) -> Result<Option<u32>, String> {
        Ok((name == "root").then_some(0))
    }
    fn gid(&self, name: &str) -> Result<Option<u32>, String> {
        Ok((name == "root").then_some(0))
    }
    fn is_dir(&self, path: &str) -> Result<bool, String> {
        Ok(path == "/etc")
    }
}

impl audit::kernel::Files for AuditHost {
    fn kind(&self, path: &str) -> Result<Option<bool>, String> {
        Ok(matches!(path, "/" | "/etc").then_some(true))
    }
}

/// rules.d files: the text split at lines `##FILE name`, merged as
/// augenrules does with either awk, then loaded as auditctl does.
fn audit_rules(text: &str) {
    let mut files: Vec<(String, String)> = Vec::new();
    let mut name = "/etc/audit/rules.d/audit.rules".to_string();
    let mut body = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(next) = line.strip_prefix("##FILE ") {
            files.push((std::mem::take(&mut name), std::mem::take(&mut body)));
            name = format!("/etc/audit/rules.d/{}", next.trim_end());
        } else {
            body.push_str(line);
        }
    }
    files.push((name, body));
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let _ = audit::augenrules::listing(&names);
    let mawk = audit::augenrules::merge(&files, Awk::Mawk);
    let gawk = audit::augenrules::merge(&files, Awk::Gawk);
    let mut rules = audit::AuditRules::default();
    audit::evaluate(&mawk, &AuditHost, &AuditHost, &mut rules, &mut Vec::new());
    let mut rules = audit::AuditRules::default();
    audit::undecided(
        &AuditHost,
        &AuditHost,
        &mut rules,
        &mut Vec::new(),
        &mawk,
        &gawk,
    );
}

/// /etc/default/grub as GRUB's shell scripts source it, then the command
/// line it gives the kernel.
fn grub_shell(text: &str) {
    let mut sh = shell::Shell::new(&["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT"]);
    sh.source(0, F, text);
    let _ = sh.lost();
    for name in ["GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT", "x"] {
        if let shell::Var::Set(v) = sh.get(name) {
            if let Ok(args) = grub::script_args(&v) {
                let line = grub::loader_cmdline(&args);
                let _ = cmdline::parse_kernel(&line, &|_| Source::file(F));
            }
            let _ = grub::expand_bls_variables(&v, &|_| Some(v.clone()));
        }
    }
}

fn kernel_cmdline(text: &str) {
    let (params, init_args) = cmdline::parse_text(F, text);
    let line = cmdline::Cmdline {
        config: "running kernel".into(),
        file: F.into(),
        params,
        init_args,
    };
    for p in line.params.iter().take(8) {
        let _ = cmdline::kstrtobool(p.value.as_deref().unwrap_or(""));
        for (all, as_bool) in [(false, false), (false, true), (true, false), (true, true)] {
            let _ = cmdline::param_value(&line, &p.name, all, as_bool);
        }
    }
    let _ = cmdline::last_bool(&line, "audit");
}

fn grub_env(text: &str) {
    let _ = grub::parse_env(text);
    let _ = grub::bls_options(text, 0);
}

fn os_release(text: &str) {
    let _ = os::parse_os_release(text, F);
}

fn proc_files(text: &str) {
    for proto in ["tcp", "tcp6", "udp", "udp6"] {
        let _ = net::parse_proc_net(text, F, proto);
    }
    let _ = processes::parse_status_uid(text);
}

fn yaml(text: &str) {
    let _ = posture::yaml::parse(text, F);
}

/// A Match line (the first line) against a connection whose fields are the
/// next lines.
fn sshd_match(text: &str) {
    let mut lines = text.lines();
    let criteria = lines.next().unwrap_or("");
    let mut field = || lines.next().map(str::to_string);
    let conn = sshd_match::Connection {
        user: field(),
        groups: field().map(|g| g.split(',').map(str::to_string).collect()),
        host: field(),
        address: field(),
        local_address: field(),
        local_port: field().and_then(|p| p.parse().ok()),
        rdomain: field(),
    };
    let _ = sshd_match::criteria_match(criteria, &conn);
}
