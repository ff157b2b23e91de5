//! Every parser is total: any input gives a value and diagnostics, never a
//! panic. Inputs are generated from a fixed seed, so a failure reproduces.

use posture::facts::*;

/// xorshift64*: small, deterministic, good enough to shake parsers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Fragments that mean something to at least one of the formats.
const PIECES: &[&str] = &[
    ":",
    "::",
    "\n",
    "\r\n",
    "\r",
    "#",
    " #",
    "=",
    " = ",
    " ",
    "\t",
    "[",
    "]",
    "[Install]",
    "[Mount]",
    "\"",
    "'",
    "\\",
    "\\\n",
    "0",
    "1",
    "-1",
    "99999999999999999999",
    "0A",
    "07",
    "00000000:0016",
    "root",
    "x",
    "$6$salt$hash",
    "!",
    "!!",
    "*",
    "é",
    "\u{0}",
    "\u{feff}",
    "Include ",
    "Match ",
    "User",
    "all",
    "PermitRootLogin",
    "yes",
    "no",
    "Package: ",
    "Status: install ok installed",
    "Version: ",
    "P:",
    "V:",
    "A:",
    "install ",
    "blacklist ",
    "/bin/false",
    "options",
    "WantedBy=",
    "Alias=",
    "Also=",
    "enable ",
    "disable ",
    "*.service",
    "net.ipv4.ip_forward",
    "/",
    "..",
    "\\040",
    "\\134",
    "defaults",
    "Uid:\t",
    "ID=",
    "ID_LIKE=",
    "${x}",
    "`",
    "a",
    "zz",
    "-",
    "_",
    "  ",
    "{",
    "}",
    "- ",
    "key: ",
    "&a",
    "*a",
    "!!str",
    "---",
    "...",
    "|",
    ">",
    "GRUB_CMDLINE_LINUX=",
    "$GRUB_CMDLINE_LINUX",
    "$(",
    ")",
    "--",
    "pti=on",
    "\u{a0}",
    "export ",
    "if ",
    "-a ",
    "-A ",
    "always,exit",
    "exit,never",
    "-F ",
    "arch=b64",
    "arch=b32",
    "-S ",
    "chmod,open",
    "-w ",
    "/etc/passwd",
    "-p wa",
    "-k ",
    "-e 2",
    "-b ",
    "-D",
    "-i",
    "auid>=1000",
    "auid!=unset",
    "exit=-EACCES",
    "-C euid!=uid",
    "--loginuid",
    "\\ ",
    "Defaults",
    "Defaults:",
    "ALL",
    "NOPASSWD:",
    "@include",
    "#includedir",
    "%h",
    "(",
    ")",
    ",",
    "sha256:",
    "^/a$",
    "User_Alias",
];

/// Serves the text as the main sudoers file; any include is missing.
struct OneFile<'a>(&'a str);

impl sudoers::Files for OneFile<'_> {
    fn read(&mut self, path: &str) -> Result<Option<sudoers::Text>, String> {
        Ok((path == "/etc/sudoers").then(|| sudoers::Text {
            text: self.0.to_string(),
            truncated: false,
        }))
    }

    fn stat(&mut self, _: &str) -> Result<Option<sudoers::Stat>, String> {
        Ok(None)
    }

    fn list(&mut self, _: &str) -> Result<Option<Vec<String>>, String> {
        Ok(None)
    }
}

fn random_text(rng: &mut Rng) -> String {
    let len = (rng.next() % 60) as usize;
    (0..len).map(|_| rng.pick(PIECES)).collect()
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

fn all_parsers(text: &str) {
    let f = "fuzz";
    let files = vec![("/etc/audit/rules.d/a.rules".to_string(), text.to_string())];
    for awk in [audit::augenrules::Awk::Mawk, audit::augenrules::Awk::Gawk] {
        let lines = audit::augenrules::merge(&files, awk);
        let mut rules = audit::AuditRules::default();
        audit::evaluate(&lines, &AuditHost, &AuditHost, &mut rules, &mut Vec::new());
    }
    let _ = audit::augenrules::listing(&[text.to_string()]);
    let _ = accounts::parse_passwd(text, f);
    let _ = accounts::parse_shadow(text, f);
    let _ = accounts::parse_group(text, f);
    let _ = accounts::parse_gshadow(text, f);
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
            let (entries, _) = keyvalue::parse(text, f, &opts);
            let _ = keyvalue::lookup(&entries, Some("Journal"), "Storage", case_insensitive_keys);
        }
    }
    let mut depth = 0;
    let mut include = |pattern: &str| {
        depth += 1;
        vec![sshd::IncludedFile {
            path: format!("/etc/ssh/{pattern}{depth}"),
            content: if depth < 4 {
                Ok(text.to_string())
            } else {
                Err("unreadable".into())
            },
        }]
    };
    let (cfg, _) = sshd::parse("/etc/ssh/sshd_config", text, &mut include);
    let _ = cfg.get("permitrootlogin");
    let conn = posture::facts::sshd_match::Connection {
        user: Some(text.to_string()),
        groups: Some(vec![text.to_string()]),
        host: Some(text.to_string()),
        address: Some(text.to_string()),
        local_address: Some(text.to_string()),
        local_port: Some(22),
        rdomain: Some(text.to_string()),
    };
    let _ = cfg.effective(&conn);
    let _ = posture::facts::sshd_match::criteria_match(text, &conn);
    let _ = posture::facts::dpkg::parse_version(text);
    let _ = os::parse_os_release(text, f);
    let _ = packages::parse_dpkg_status(text, f);
    let _ = packages::parse_apk_installed(text, f);
    let _ = packages::compare_versions(text, "1:2.3-4~rc1");
    let _ = services::parse_unit_file(text, f);
    let _ = services::parse_preset(text, f);
    let _ = sysctl::parse_sysctl_conf(text, f);
    let _ = sysctl::normalize_key(text);
    let _ = mounts::parse_mounts(text, f);
    let _ = mounts::parse_mount_unit(text, f);
    let _ = modules::parse_modprobe_conf(text, f);
    let _ = modules::parse_proc_modules(text, f);
    let _ = modules::install_disables(text);
    for proto in ["tcp", "tcp6", "udp", "udp6"] {
        let _ = net::parse_proc_net(text, f, proto);
    }
    let _ = processes::parse_status_uid(text);
    let mut shell = shell::Shell::new(&["GRUB_CMDLINE_LINUX"]);
    shell.source(0, f, text);
    if let shell::Var::Set(v) = shell.get("GRUB_CMDLINE_LINUX") {
        if let Ok(args) = grub::script_args(&v) {
            let line = grub::loader_cmdline(&args);
            let _ = cmdline::parse_kernel(&line, &|_| Source::file(f));
        }
        let _ = grub::expand_bls_variables(&v, &|_| Some(v.clone()));
    }
    let (params, _) = cmdline::parse_text(f, text);
    for p in &params {
        let _ = cmdline::kstrtobool(p.value.as_deref().unwrap_or(""));
    }
    let _ = grub::parse_env(text);
    let _ = grub::bls_options(text, 0);
    let opts = sudoers::ReadOptions::default();
    if let Ok(Some(s)) = sudoers::read("/etc/sudoers", &mut OneFile(text), &opts) {
        let _ = s.value.rules();
        let _ = s.value.overrides("use_pty");
    }
    let _ = posture::yaml::parse(text, f);
    let _ = posture::policy::load_str(text, f);
    let _ = posture::waiver::parse(text, f);
    let _ = posture::report::Report::from_json(text);
}

#[test]
fn parsers_never_panic_on_generated_input() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let text = random_text(&mut rng);
        all_parsers(&text);
    }
}

#[test]
fn parsers_never_panic_on_cut_real_files() {
    // Real-looking files cut at every byte: truncation is what a read cap does.
    let samples = [
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:A,,,:/home/alice:/bin/sh\n",
        "root:$y$j9T$s$h:19700:0:99999:7:::\n",
        "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\nMatch User bob\n  X11Forwarding yes\n",
        "Package: a\nStatus: install ok installed\nVersion: 1:2.3-4\nArchitecture: amd64\n\n",
        "[Unit]\nDescription=x\n[Install]\nWantedBy=multi-user.target\nAlias=y.service\n",
        "net.ipv4.ip_forward = 0\n-kernel.x=1\n",
        "UUID=abc / ext4 defaults,nodev 0 1\n/dev/x /tmp\\040dir tmpfs rw 0 0\n",
        "install cramfs /bin/false\nblacklist cramfs\n",
        "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX a=\\\"b c\\\" 'd'\" # x\nexport B=`x` C=$(y)\n",
        "BOOT_IMAGE=/vmlinuz \"a=b c\" d=\"e f\" -- init\n",
        "-D\n-b 8192\n-a always,exit -F arch=b64 -S chmod,fchmod -F auid>=1000 -F auid!=unset -k perm_mod\n-w /etc/passwd -p wa -k identity\n-e 2\n",
        "  sl  local_address rem_address   st\n   0: 00000000:0016 00000000:0000 0A 0 0 0 0 0 12345\n",
        "policy:\n  id: x\n  title: t\n  version: '1'\nrules:\n  - id: r\n    title: t\n    severity: low\n    check: {fact: os.id, equals: x}\n",
        "waivers:\n  - rule: ssh-*\n    justification: j\n    approver: a\n    expires: 2027-02-28\n    scope: {hostnames: [web*], tags: [x]}\n",
    ];
    // And a whole report, cut at every 97th byte.
    let report = include_str!("fixtures/reports/sample.json");
    for cut in (0..report.len()).step_by(97) {
        if report.is_char_boundary(cut) {
            assert!(posture::report::Report::from_json(&report[..cut]).is_err());
        }
    }
    for s in samples {
        for cut in 0..=s.len() {
            if s.is_char_boundary(cut) {
                all_parsers(&s[..cut]);
            }
        }
    }
}
