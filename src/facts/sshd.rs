//! OpenSSH server configuration, resolved the way sshd 9.x resolves it.
//!
//! The result mirrors what `sshd -T` would print without a connection spec:
//! the effective global settings (first value wins, a few keywords accumulate),
//! with OpenSSH's built-in defaults for what the files leave unset, and the
//! `Match` blocks kept apart so that rules can inspect conditional overrides.
//! Values are normalized like `sshd -T` does where that helps comparisons
//! (lowercase yes/no, times in seconds, canonical keyword names, algorithm
//! lists with a `+`, `-` or `^` prefix resolved against the default list).

use crate::diag::Diagnostic;
use crate::facts::Source;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where relative `Include` paths are anchored (SSHDIR in OpenSSH).
pub const SSH_DIR: &str = "/etc/ssh";

/// sshd aborts when includes nest deeper than this (SERVCONF_MAX_DEPTH).
const MAX_INCLUDE_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SshdConfig {
    /// Global settings: lowercase keyword -> effective value.
    pub global: BTreeMap<String, SshdValue>,
    /// `Match` blocks, in file order, kept apart from the global settings.
    pub match_blocks: Vec<MatchBlock>,
    /// Every file that was read, in read order (main file first, then includes).
    pub files: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SshdValue {
    pub value: String,
    /// None when the value is OpenSSH's built-in default.
    pub source: Option<Source>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchBlock {
    /// The criteria as written, e.g. `User alice Address 10.0.0.0/8`. A Match
    /// inside a file included from another Match block carries both criteria
    /// (Match criteria on one line are ANDed, which is what the nesting means).
    pub criteria: String,
    pub source: Source,
    pub settings: BTreeMap<String, SshdValue>,
}

/// At most this many files are read through `Include`, whatever the
/// nesting...
pub const MAX_INCLUDED_FILES: usize = 256;

/// ...and at most this many bytes of them in all; what is left out is an
/// incomplete diagnostic, so the sshd checks become errors.
pub const MAX_INCLUDED_BYTES: u64 = 16 * 1024 * 1024;

/// One file returned by the `read_glob` callback of [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedFile {
    pub path: String,
    /// The text, or why it could not be read.
    pub content: Result<String, String>,
}

impl SshdConfig {
    /// The effective global value of `keyword`, matched case-insensitively;
    /// deprecated aliases such as `ChallengeResponseAuthentication` find the
    /// setting under its current name.
    pub fn get(&self, keyword: &str) -> Option<&SshdValue> {
        self.global.get(&canonical_keyword(keyword))
    }
}

/// The name a keyword's settings are stored under, in [`SshdConfig::global`]
/// and in [`MatchBlock::settings`]: lowercase, with deprecated aliases mapped
/// to the current keyword (`ChallengeResponseAuthentication` ->
/// `kbdinteractiveauthentication`).
pub fn canonical_keyword(keyword: &str) -> String {
    canonical_name(&keyword.to_ascii_lowercase()).to_string()
}

/// Parses the main sshd_config and everything it includes.
///
/// `read_glob` receives an absolute path or glob pattern (as written in
/// Include, relative ones already made absolute under /etc/ssh/) and returns
/// the matching files sorted lexically (empty if none).
pub fn parse(
    main_path: &str,
    main_text: &str,
    read_glob: &mut dyn FnMut(&str) -> Vec<IncludedFile>,
) -> (SshdConfig, Vec<Diagnostic>) {
    let mut parser = Parser {
        read_glob,
        config: SshdConfig {
            global: BTreeMap::new(),
            match_blocks: Vec::new(),
            files: vec![main_path.to_string()],
        },
        diags: Vec::new(),
        subsystems: Vec::new(),
        too_deep: false,
        included_files: 0,
        included_bytes: 0,
        spent: false,
    };
    parser.parse_file(main_path, main_text, 0, &Scope::Global);
    let mut config = parser.config;
    // What `sshd -T` prints: the global settings after the Match pass of
    // a connection that meets only `Match all`.
    config.global = config.effective(&super::sshd_match::Connection::default());
    for (keyword, value) in DEFAULTS {
        config
            .global
            .entry((*keyword).to_string())
            .or_insert_with(|| SshdValue {
                value: (*value).to_string(),
                source: None,
            });
    }
    (config, parser.diags)
}

// ---------------------------------------------------------------------------
// Keyword knowledge (servconf.c, OpenSSH 9.x plus common distribution patches)
// ---------------------------------------------------------------------------

/// Every server keyword sshd accepts, including aliases and the deprecated
/// ones it still recognises. Anything else makes sshd refuse to start.
const KNOWN: &[&str] = &[
    "acceptenv",
    "addressfamily",
    "allowagentforwarding",
    "allowgroups",
    "allowstreamlocalforwarding",
    "allowtcpforwarding",
    "allowusers",
    "authenticationmethods",
    "authorizedkeyscommand",
    "authorizedkeyscommanduser",
    "authorizedkeysfile",
    "authorizedprincipalscommand",
    "authorizedprincipalscommanduser",
    "authorizedprincipalsfile",
    "banner",
    "casignaturealgorithms",
    "channeltimeout",
    "chrootdirectory",
    "ciphers",
    "clientalivecountmax",
    "clientaliveinterval",
    "compression",
    "denygroups",
    "denyusers",
    "disableforwarding",
    "exposeauthinfo",
    "fingerprinthash",
    "forcecommand",
    "gatewayports",
    "gssapiauthentication",
    "gssapicleanupcredentials",
    "gssapistrictacceptorcheck",
    "hostbasedacceptedalgorithms",
    "hostbasedauthentication",
    "hostbasedusesnamefrompacketonly",
    "hostcertificate",
    "hostkey",
    "hostkeyagent",
    "hostkeyalgorithms",
    "ignorerhosts",
    "ignoreuserknownhosts",
    "include",
    "ipqos",
    "kbdinteractiveauthentication",
    "kerberosauthentication",
    "kerberosgetafstoken",
    "kerberosorlocalpasswd",
    "kerberosticketcleanup",
    "kexalgorithms",
    "listenaddress",
    "logingracetime",
    "loglevel",
    "logverbose",
    "macs",
    "match",
    "maxauthtries",
    "maxsessions",
    "maxstartups",
    "modulifile",
    "passwordauthentication",
    "permitemptypasswords",
    "permitlisten",
    "permitopen",
    "permitrootlogin",
    "permittty",
    "permittunnel",
    "permituserenvironment",
    "permituserrc",
    "persourcemaxstartups",
    "persourcenetblocksize",
    "persourcepenalties",
    "persourcepenaltyexemptlist",
    "pidfile",
    "port",
    "printlastlog",
    "printmotd",
    "pubkeyacceptedalgorithms",
    "pubkeyauthentication",
    "pubkeyauthoptions",
    "rdomain",
    "refuseconnection",
    "rekeylimit",
    "requiredrsasize",
    "revokedkeys",
    "securitykeyprovider",
    "setenv",
    "sshdauthpath",
    "sshdsessionpath",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "strictmodes",
    "subsystem",
    "syslogfacility",
    "tcpkeepalive",
    "trustedusercakeys",
    "unusedconnectiontimeout",
    "usedns",
    "usepam",
    "versionaddendum",
    "x11displayoffset",
    "x11forwarding",
    "x11uselocalhost",
    "xauthlocation",
    // Debian / Red Hat GSSAPI key exchange patches and Debian's banner patch.
    "debianbanner",
    "gssapienablek5users",
    "gssapikexalgorithms",
    "gssapikeyexchange",
    "gssapistorecredentialsonrekey",
    "kerberosusekuserok",
];

/// Old spellings sshd maps onto a current keyword; they share its slot, so the
/// first of either spelling wins.
const ALIASES: &[(&str, &str)] = &[
    (
        "challengeresponseauthentication",
        "kbdinteractiveauthentication",
    ),
    ("skeyauthentication", "kbdinteractiveauthentication"),
    ("dsaauthentication", "pubkeyauthentication"),
    ("hostdsakey", "hostkey"),
    ("keepalive", "tcpkeepalive"),
    ("pubkeyacceptedkeytypes", "pubkeyacceptedalgorithms"),
    ("hostbasedacceptedkeytypes", "hostbasedacceptedalgorithms"),
];

/// Keywords sshd accepts but ignores (logging "Deprecated"/"Unsupported").
const DEPRECATED: &[&str] = &[
    "afstokenpassing",
    "authorizedkeysfile2",
    "checkmail",
    "keyregenerationinterval",
    "kerberostgtpassing",
    "pamauthenticationviakbdint",
    "protocol",
    "reversemappingcheck",
    "rhostsauthentication",
    "rhostsrsaauthentication",
    "rsaauthentication",
    "serverkeybits",
    "uselogin",
    "useprivilegeseparation",
    "verifyreversemapping",
];

/// Keywords allowed inside a Match block (SSHCFG_MATCH in servconf.c); any
/// other keyword there is fatal for sshd. Vendor-patch keywords are listed
/// too so that they never produce a false alarm.
const MATCH_ALLOWED: &[&str] = &[
    "acceptenv",
    "allowagentforwarding",
    "allowgroups",
    "allowstreamlocalforwarding",
    "allowtcpforwarding",
    "allowusers",
    "authenticationmethods",
    "authorizedkeyscommand",
    "authorizedkeyscommanduser",
    "authorizedkeysfile",
    "authorizedkeysfile2",
    "authorizedprincipalscommand",
    "authorizedprincipalscommanduser",
    "authorizedprincipalsfile",
    "banner",
    "casignaturealgorithms",
    "challengeresponseauthentication",
    "channeltimeout",
    "chrootdirectory",
    "clientalivecountmax",
    "clientaliveinterval",
    "denygroups",
    "denyusers",
    "disableforwarding",
    "exposeauthinfo",
    "forcecommand",
    "gatewayports",
    "gssapiauthentication",
    "gssapienablek5users",
    "hostbasedacceptedalgorithms",
    "hostbasedacceptedkeytypes",
    "hostbasedauthentication",
    "hostbasedusesnamefrompacketonly",
    "ignorerhosts",
    "include",
    "ipqos",
    "kbdinteractiveauthentication",
    "kerberosauthentication",
    "kerberosusekuserok",
    "loglevel",
    "logverbose",
    "match",
    "maxauthtries",
    "maxsessions",
    "passwordauthentication",
    "permitemptypasswords",
    "permitlisten",
    "permitopen",
    "permitrootlogin",
    "permittty",
    "permittunnel",
    "permituserrc",
    "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes",
    "pubkeyauthentication",
    "pubkeyauthoptions",
    "rdomain",
    "refuseconnection",
    "rekeylimit",
    "requiredrsasize",
    "revokedkeys",
    "rhostsrsaauthentication",
    "rsaauthentication",
    "setenv",
    "skeyauthentication",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "trustedusercakeys",
    "unusedconnectiontimeout",
    "x11displayoffset",
    "x11forwarding",
    "x11uselocalhost",
];

/// Keywords whose every line adds to a list rather than competing for one slot.
pub(crate) const ACCUMULATE: &[&str] = &[
    "acceptenv",
    "allowgroups",
    "allowusers",
    "denygroups",
    "denyusers",
    "hostcertificate",
    "hostkey",
    "listenaddress",
    "port",
    "subsystem",
];

/// Keywords servconf.c assigns unconditionally, so the last line wins.
pub(crate) const LAST_WINS: &[&str] = &[
    "fingerprinthash",
    "ipqos",
    "maxstartups",
    "persourcemaxstartups",
    "persourcenetblocksize",
    "streamlocalbindmask",
];

/// Keywords that take the rest of the line verbatim (a command line or banner
/// text), quotes and all, instead of a list of arguments.
const RAW: &[&str] = &[
    "authorizedkeyscommand",
    "authorizedprincipalscommand",
    "forcecommand",
    "versionaddendum",
];

/// Keywords that take several arguments on one line.
const MULTI_ARG: &[&str] = &[
    "acceptenv",
    "allowgroups",
    "allowusers",
    "authenticationmethods",
    "authorizedkeysfile",
    "channeltimeout",
    "denygroups",
    "denyusers",
    "include",
    "logverbose",
    "permitlisten",
    "permitopen",
    "persourcepenalties",
    "pubkeyauthoptions",
    "setenv",
    "subsystem",
];

/// Keywords that take one argument plus an optional second one.
const ONE_OR_TWO_ARGS: &[&str] = &["ipqos", "rekeylimit"];

const FLAGS: &[&str] = &[
    "allowagentforwarding",
    "disableforwarding",
    "exposeauthinfo",
    "gssapiauthentication",
    "gssapicleanupcredentials",
    "gssapikeyexchange",
    "gssapistorecredentialsonrekey",
    "gssapistrictacceptorcheck",
    "hostbasedauthentication",
    "hostbasedusesnamefrompacketonly",
    "ignoreuserknownhosts",
    "kbdinteractiveauthentication",
    "kerberosauthentication",
    "kerberosgetafstoken",
    "kerberosorlocalpasswd",
    "kerberosticketcleanup",
    "passwordauthentication",
    "permitemptypasswords",
    "permittty",
    "permituserrc",
    "printlastlog",
    "printmotd",
    "pubkeyauthentication",
    "streamlocalbindunlink",
    "strictmodes",
    "tcpkeepalive",
    "usedns",
    "usepam",
    "x11forwarding",
    "x11uselocalhost",
];

/// Enumerated keywords: (keyword, [(accepted spelling, what `sshd -T` shows)]).
const CHOICES: &[(&str, &[(&str, &str)])] = &[
    (
        "addressfamily",
        &[("any", "any"), ("inet", "inet"), ("inet6", "inet6")],
    ),
    (
        // `sshd -T` itself prints `without-password` for both spellings; the
        // modern name is used so that rules only need to know one.
        "permitrootlogin",
        &[
            ("yes", "yes"),
            ("no", "no"),
            ("prohibit-password", "prohibit-password"),
            ("without-password", "prohibit-password"),
            ("forced-commands-only", "forced-commands-only"),
        ],
    ),
    (
        "ignorerhosts",
        &[("yes", "yes"), ("no", "no"), ("shosts-only", "shosts-only")],
    ),
    (
        "compression",
        &[("yes", "yes"), ("delayed", "yes"), ("no", "no")],
    ),
    (
        "gatewayports",
        &[
            ("yes", "yes"),
            ("no", "no"),
            ("clientspecified", "clientspecified"),
        ],
    ),
    (
        "allowtcpforwarding",
        &[
            ("yes", "yes"),
            ("all", "yes"),
            ("no", "no"),
            ("local", "local"),
            ("remote", "remote"),
        ],
    ),
    (
        "allowstreamlocalforwarding",
        &[
            ("yes", "yes"),
            ("all", "yes"),
            ("no", "no"),
            ("local", "local"),
            ("remote", "remote"),
        ],
    ),
    (
        "permittunnel",
        &[
            ("yes", "yes"),
            ("no", "no"),
            ("point-to-point", "point-to-point"),
            ("ethernet", "ethernet"),
        ],
    ),
    (
        "loglevel",
        &[
            ("quiet", "QUIET"),
            ("fatal", "FATAL"),
            ("error", "ERROR"),
            ("info", "INFO"),
            ("verbose", "VERBOSE"),
            ("debug", "DEBUG"),
            ("debug1", "DEBUG"),
            ("debug2", "DEBUG2"),
            ("debug3", "DEBUG3"),
        ],
    ),
    (
        "syslogfacility",
        &[
            ("daemon", "DAEMON"),
            ("user", "USER"),
            ("auth", "AUTH"),
            ("authpriv", "AUTHPRIV"),
            ("local0", "LOCAL0"),
            ("local1", "LOCAL1"),
            ("local2", "LOCAL2"),
            ("local3", "LOCAL3"),
            ("local4", "LOCAL4"),
            ("local5", "LOCAL5"),
            ("local6", "LOCAL6"),
            ("local7", "LOCAL7"),
        ],
    ),
];

/// Keywords taking a time (`90`, `2m`, `1h30m`), shown in seconds by `sshd -T`.
const TIMES: &[&str] = &["clientaliveinterval", "logingracetime"];

/// Keywords taking a non-negative integer.
const INTEGERS: &[&str] = &[
    "clientalivecountmax",
    "maxauthtries",
    "maxsessions",
    "requiredrsasize",
    "x11displayoffset",
];

/// Match criteria sshd understands; `all` and `invalid-user` take no argument.
const MATCH_CRITERIA: &[&str] = &[
    "address",
    "group",
    "host",
    "localaddress",
    "localport",
    "rdomain",
    "user",
    "version",
];

const DEFAULT_CIPHERS: &str = "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,\
aes128-gcm@openssh.com,aes256-gcm@openssh.com";
const DEFAULT_MACS: &str = "umac-64-etm@openssh.com,umac-128-etm@openssh.com,\
hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,\
umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1";
/// Debian 12's security updates added the `sntrup761x25519-sha512` name
/// (OpenSSH 9.9's) in front of its `@openssh.com` spelling.
const DEFAULT_KEX: &str = "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,\
curve25519-sha256,\
curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,\
diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,\
diffie-hellman-group18-sha512,diffie-hellman-group14-sha256";
const DEFAULT_KEY_ALGORITHMS: &str = "ssh-ed25519-cert-v01@openssh.com,\
ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,\
ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,\
sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,\
rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,\
ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,\
rsa-sha2-512,rsa-sha2-256";
const DEFAULT_CA_ALGORITHMS: &str = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,\
ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,\
rsa-sha2-512,rsa-sha2-256";

/// Algorithm-list keywords and the built-in list that a `+`, `-` or `^`
/// prefix modifies (kex_assemble_names in OpenSSH).
const ALGORITHM_LISTS: &[(&str, &str)] = &[
    ("casignaturealgorithms", DEFAULT_CA_ALGORITHMS),
    ("ciphers", DEFAULT_CIPHERS),
    ("hostbasedacceptedalgorithms", DEFAULT_KEY_ALGORITHMS),
    ("hostkeyalgorithms", DEFAULT_KEY_ALGORITHMS),
    ("kexalgorithms", DEFAULT_KEX),
    ("macs", DEFAULT_MACS),
    ("pubkeyacceptedalgorithms", DEFAULT_KEY_ALGORITHMS),
];

/// Compiled-in defaults of OpenSSH 9.2 as built by Debian 12, in `sshd -T`
/// spelling. Debian's shipped sshd_config overrides some of them (UsePAM,
/// KbdInteractiveAuthentication, X11Forwarding, PrintMotd); those overrides
/// come from the file, not from here.
const DEFAULTS: &[(&str, &str)] = &[
    ("addressfamily", "any"),
    ("allowagentforwarding", "yes"),
    ("allowstreamlocalforwarding", "yes"),
    ("allowtcpforwarding", "yes"),
    ("authenticationmethods", "any"),
    (
        "authorizedkeysfile",
        ".ssh/authorized_keys .ssh/authorized_keys2",
    ),
    ("banner", "none"),
    ("casignaturealgorithms", DEFAULT_CA_ALGORITHMS),
    ("chrootdirectory", "none"),
    ("ciphers", DEFAULT_CIPHERS),
    ("clientalivecountmax", "3"),
    ("clientaliveinterval", "0"),
    ("compression", "yes"),
    ("disableforwarding", "no"),
    ("exposeauthinfo", "no"),
    ("fingerprinthash", "SHA256"),
    ("forcecommand", "none"),
    ("gatewayports", "no"),
    ("gssapiauthentication", "no"),
    ("hostbasedacceptedalgorithms", DEFAULT_KEY_ALGORITHMS),
    ("hostbasedauthentication", "no"),
    ("hostbasedusesnamefrompacketonly", "no"),
    (
        "hostkey",
        "/etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ed25519_key",
    ),
    ("hostkeyalgorithms", DEFAULT_KEY_ALGORITHMS),
    ("ignorerhosts", "yes"),
    ("ignoreuserknownhosts", "no"),
    ("kbdinteractiveauthentication", "yes"),
    ("kerberosauthentication", "no"),
    ("kexalgorithms", DEFAULT_KEX),
    ("logingracetime", "120"),
    ("loglevel", "INFO"),
    ("macs", DEFAULT_MACS),
    ("maxauthtries", "6"),
    ("maxsessions", "10"),
    ("maxstartups", "10:30:100"),
    ("passwordauthentication", "yes"),
    ("permitemptypasswords", "no"),
    ("permitlisten", "any"),
    ("permitopen", "any"),
    ("permitrootlogin", "prohibit-password"),
    ("permittty", "yes"),
    ("permittunnel", "no"),
    ("permituserenvironment", "no"),
    ("permituserrc", "yes"),
    ("persourcemaxstartups", "none"),
    ("persourcenetblocksize", "32:128"),
    ("pidfile", "/run/sshd.pid"),
    ("port", "22"),
    ("printlastlog", "yes"),
    ("printmotd", "yes"),
    ("pubkeyacceptedalgorithms", DEFAULT_KEY_ALGORITHMS),
    ("pubkeyauthentication", "yes"),
    ("pubkeyauthoptions", "none"),
    ("rekeylimit", "0 0"),
    ("requiredrsasize", "1024"),
    ("revokedkeys", "none"),
    ("streamlocalbindmask", "0177"),
    ("streamlocalbindunlink", "no"),
    ("strictmodes", "yes"),
    ("syslogfacility", "AUTH"),
    ("tcpkeepalive", "yes"),
    ("trustedusercakeys", "none"),
    ("usedns", "no"),
    ("usepam", "no"),
    ("x11displayoffset", "10"),
    ("x11forwarding", "no"),
    ("x11uselocalhost", "yes"),
    ("xauthlocation", "/usr/bin/xauth"),
];

fn canonical_name(lower: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .map_or(lower, |(_, canonical)| canonical)
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// Where settings currently go.
#[derive(Debug, Clone)]
enum Scope {
    Global,
    Match(MatchScope),
}

#[derive(Debug, Clone)]
struct MatchScope {
    criteria: String,
    source: Source,
    /// Index of the block in `match_blocks` that receives settings. After an
    /// included file has opened blocks of its own, this is no longer the last
    /// block; settings then go to a fresh continuation block (same criteria)
    /// so that the block list keeps sshd's evaluation order.
    index: usize,
}

struct Parser<'r> {
    read_glob: &'r mut dyn FnMut(&str) -> Vec<IncludedFile>,
    config: SshdConfig,
    diags: Vec<Diagnostic>,
    /// Subsystem names defined so far; sshd refuses a second definition.
    subsystems: Vec<String>,
    /// An Include went deeper than sshd allows. sshd stops there, and so
    /// do includes here: a file that includes itself twice would
    /// otherwise be read 2^16 times.
    too_deep: bool,
    /// Files and bytes read through `Include` so far. sshd caps only the
    /// depth, so a fan-out of files that include each other several times
    /// over would take forever; past [`MAX_INCLUDED_FILES`] or
    /// [`MAX_INCLUDED_BYTES`] no further Include is read.
    included_files: usize,
    included_bytes: u64,
    spent: bool,
}

impl Parser<'_> {
    /// Parses one file. `outer` is the scope at the Include line (Global for
    /// the main file); a Match opened in this file ends with the file.
    fn parse_file(&mut self, path: &str, text: &str, depth: usize, outer: &Scope) {
        let mut scope = outer.clone();
        for (index, raw) in text.lines().enumerate() {
            let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
            self.parse_line(path, line_no, raw, depth, outer, &mut scope);
        }
    }

    fn diag(&mut self, file: &str, line: u32, message: impl Into<String>) {
        self.diags
            .push(Diagnostic::new(file, message).at(line, None));
    }

    fn parse_line(
        &mut self,
        path: &str,
        line_no: u32,
        raw: &str,
        depth: usize,
        outer: &Scope,
        scope: &mut Scope,
    ) {
        let line = raw.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0c'));
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        let Some((keyword, rest)) = split_keyword(line) else {
            self.diag(path, line_no, format!("line `{line}` has no keyword"));
            return;
        };
        let lower = keyword.to_ascii_lowercase();
        // A bare `Match` still opens a (broken) block below, so that the lines
        // after it are not mistaken for unconditional settings.
        if rest.is_empty() && lower != "match" {
            self.diag(
                path,
                line_no,
                format!("no argument after keyword `{keyword}`"),
            );
            return;
        }
        let args = match split_args(rest) {
            Ok(args) => args,
            Err(message) => {
                self.diag(path, line_no, message);
                return;
            }
        };
        let source = Source::line(path, line_no);

        match lower.as_str() {
            "match" => {
                self.start_match(path, line_no, &args, source, outer, scope);
                return;
            }
            "include" => {
                self.include(path, line_no, &args, depth, scope);
                return;
            }
            _ => {}
        }

        let known = KNOWN.contains(&lower.as_str())
            || ALIASES.iter().any(|(alias, _)| *alias == lower)
            || DEPRECATED.contains(&lower.as_str());
        if !known {
            // sshd refuses to start on this, so it matters; the value is kept
            // anyway so the inventory shows what the file says.
            self.diag(path, line_no, format!("unknown sshd keyword `{keyword}`"));
            let value = args.join(" ");
            self.store(scope, &lower, value, source, Merge::First);
            return;
        }
        if DEPRECATED.contains(&lower.as_str()) {
            self.diag(
                path,
                line_no,
                format!("deprecated sshd keyword `{keyword}` is ignored by sshd"),
            );
        }
        // sshd checks this only on the lines its first pass skips, which
        // are those of every block but `Match all`: there, the line is
        // simply a global one.
        let mut global = Scope::Global;
        let mut scope = scope;
        if matches!(scope, Scope::Match(_)) && !MATCH_ALLOWED.contains(&lower.as_str()) {
            if !scope_is_match_all(scope) {
                self.diag(
                    path,
                    line_no,
                    format!("`{keyword}` is not allowed inside a Match block"),
                );
                return;
            }
            scope = &mut global;
        }

        let name = canonical_name(&lower).to_string();
        let value = if RAW.contains(&name.as_str()) {
            raw_value(&name, rest)
        } else {
            match check_args(&name, keyword, &args).and_then(|()| normalize(&name, keyword, &args))
            {
                Ok(value) => value,
                Err(message) => {
                    self.diag(path, line_no, message);
                    return;
                }
            }
        };

        if name == "subsystem" {
            let subsystem = args.first().cloned().unwrap_or_default();
            if self.subsystems.contains(&subsystem) {
                self.diag(
                    path,
                    line_no,
                    format!("Subsystem `{subsystem}` is already defined"),
                );
                return;
            }
            self.subsystems.push(subsystem);
        }

        let merge = if ACCUMULATE.contains(&name.as_str()) {
            Merge::Accumulate
        } else if LAST_WINS.contains(&name.as_str()) {
            Merge::Last
        } else {
            Merge::First
        };
        self.store(scope, &name, value, source, merge);
    }

    fn start_match(
        &mut self,
        path: &str,
        line_no: u32,
        args: &[String],
        source: Source,
        outer: &Scope,
        scope: &mut Scope,
    ) {
        match check_match_criteria(args) {
            // `Match all` opens a block like any other (one that every
            // connection meets, within the scope of its file), not a return
            // to the global settings: sshd applies its settings in the Match
            // pass, over the global ones, so `X no` then `Match all` and
            // `X yes` gives yes. [`parse`] folds such blocks into `global`.
            Ok(true) => {}
            Ok(false) => {}
            Err(message) => {
                // The block is still opened, so that its settings are not
                // mistaken for unconditional ones.
                self.diag(path, line_no, message);
            }
        }
        let own = args.join(" ");
        let criteria = match outer {
            Scope::Match(enclosing) if own.is_empty() => enclosing.criteria.clone(),
            Scope::Match(enclosing) => format!("{} {own}", enclosing.criteria),
            Scope::Global => own,
        };
        self.config.match_blocks.push(MatchBlock {
            criteria: criteria.clone(),
            source: source.clone(),
            settings: BTreeMap::new(),
        });
        *scope = Scope::Match(MatchScope {
            criteria,
            source,
            index: self.config.match_blocks.len() - 1,
        });
    }

    fn include(&mut self, path: &str, line_no: u32, args: &[String], depth: usize, scope: &Scope) {
        if args.is_empty() {
            self.diag(path, line_no, "Include needs at least one file name");
            return;
        }
        for arg in args {
            if self.too_deep || self.spent {
                return;
            }
            let pattern = if arg.starts_with('/') || arg.starts_with('~') {
                arg.clone()
            } else {
                format!("{SSH_DIR}/{arg}")
            };
            if depth >= MAX_INCLUDE_DEPTH {
                self.diag(
                    path,
                    line_no,
                    format!(
                        "Include `{pattern}` nests deeper than {MAX_INCLUDE_DEPTH} levels \
                         (include loop?); sshd refuses this configuration"
                    ),
                );
                self.too_deep = true;
                return;
            }
            let files = (self.read_glob)(&pattern);
            for file in files {
                if self.spent {
                    return;
                }
                let size = file.content.as_ref().map_or(0, |t| t.len() as u64);
                if self.included_files == MAX_INCLUDED_FILES
                    || self.included_bytes + size > MAX_INCLUDED_BYTES
                {
                    self.spent = true;
                    self.diags.push(
                        Diagnostic::incomplete(
                            path,
                            format!(
                                "Include `{pattern}`: the configuration includes more than \
                                 {MAX_INCLUDED_FILES} files or {} MiB; no further Include is read",
                                MAX_INCLUDED_BYTES >> 20
                            ),
                        )
                        .at(line_no, None),
                    );
                    return;
                }
                self.included_files += 1;
                self.included_bytes += size;
                if !self.config.files.contains(&file.path) {
                    self.config.files.push(file.path.clone());
                }
                match &file.content {
                    Ok(text) => self.parse_file(&file.path, text, depth + 1, scope),
                    Err(reason) => self.diags.push(
                        Diagnostic::incomplete(
                            path,
                            format!("cannot read included file `{}`: {reason}", file.path),
                        )
                        .at(line_no, None),
                    ),
                }
            }
        }
    }

    fn store(
        &mut self,
        scope: &mut Scope,
        name: &str,
        value: String,
        source: Source,
        merge: Merge,
    ) {
        let map = match scope {
            Scope::Global => &mut self.config.global,
            Scope::Match(block) => {
                if block.index + 1 != self.config.match_blocks.len() {
                    // The same Match line's block may already have been
                    // continued (e.g. by the included file that just ended).
                    let last_continues = self.config.match_blocks.last().is_some_and(|last| {
                        last.criteria == block.criteria && last.source == block.source
                    });
                    if !last_continues {
                        self.config.match_blocks.push(MatchBlock {
                            criteria: block.criteria.clone(),
                            source: block.source.clone(),
                            settings: BTreeMap::new(),
                        });
                    }
                    block.index = self.config.match_blocks.len() - 1;
                }
                match self.config.match_blocks.get_mut(block.index) {
                    Some(target) => &mut target.settings,
                    None => return,
                }
            }
        };
        match (merge, map.get_mut(name)) {
            (Merge::First, Some(_)) => {}
            (Merge::Accumulate, Some(existing)) => {
                existing.value.push(' ');
                existing.value.push_str(&value);
            }
            _ => {
                map.insert(
                    name.to_string(),
                    SshdValue {
                        value,
                        source: Some(source),
                    },
                );
            }
        }
    }
}

/// A block every connection meets: `Match all`, alone or nested only in
/// other `Match all` blocks.
fn scope_is_match_all(scope: &Scope) -> bool {
    match scope {
        Scope::Global => false,
        Scope::Match(block) => block
            .criteria
            .split_ascii_whitespace()
            .all(|word| word.eq_ignore_ascii_case("all")),
    }
}

#[derive(Debug, Clone, Copy)]
enum Merge {
    First,
    Accumulate,
    Last,
}

/// Splits off the keyword like OpenSSH's strdelim: it ends at whitespace or
/// `=`, and one `=` between keyword and value is allowed (`Key=value`,
/// `Key = value`). Returns None when the line has no keyword.
fn split_keyword(line: &str) -> Option<(&str, &str)> {
    let end = line.find([' ', '\t', '=']).unwrap_or(line.len());
    let keyword = &line[..end];
    if keyword.is_empty() {
        return None;
    }
    let mut rest = line[end..].trim_start_matches([' ', '\t']);
    let delimiter_was_equals = line[end..].starts_with('=');
    if delimiter_was_equals {
        rest = line[end + 1..].trim_start_matches([' ', '\t']);
    } else if let Some(after) = rest.strip_prefix('=') {
        rest = after.trim_start_matches([' ', '\t']);
    }
    Some((keyword, rest))
}

/// Splits arguments like OpenSSH's argv_split: whitespace separates, `"` and
/// `'` quote (also mid-word), backslash escapes quotes, backslash and (outside
/// quotes) space, and a `#` at the start of a word ends the line.
fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        match chars.peek() {
            None | Some('#') => break,
            Some(_) => {}
        }
        let mut arg = String::new();
        let mut quote: Option<char> = None;
        while let Some(c) = chars.next() {
            match (c, quote) {
                ('\\', _) => match chars.peek().copied() {
                    Some(next @ ('\'' | '"' | '\\')) => {
                        arg.push(next);
                        chars.next();
                    }
                    Some(' ') if quote.is_none() => {
                        arg.push(' ');
                        chars.next();
                    }
                    _ => arg.push('\\'),
                },
                (' ' | '\t', None) => break,
                ('"' | '\'', None) => quote = Some(c),
                (_, Some(open)) if c == open => quote = None,
                _ => arg.push(c),
            }
        }
        if quote.is_some() {
            return Err("unterminated quote (sshd: invalid quotes)".to_string());
        }
        args.push(arg);
    }
    Ok(args)
}

/// Checks the argument count sshd expects for `name`.
fn check_args(name: &str, keyword: &str, args: &[String]) -> Result<(), String> {
    let deprecated = DEPRECATED.contains(&name);
    let (min, max) = if deprecated {
        (0, usize::MAX)
    } else if name == "subsystem" {
        (2, usize::MAX)
    } else if name == "listenaddress" {
        // `ListenAddress host[:port] [rdomain name]`
        (1, 3)
    } else if MULTI_ARG.contains(&name) {
        (1, usize::MAX)
    } else if ONE_OR_TWO_ARGS.contains(&name) {
        (1, 2)
    } else {
        (1, 1)
    };
    if args.len() < min {
        return Err(format!("missing argument for `{keyword}`"));
    }
    if args.len() > max || (name == "listenaddress" && args.len() == 2) {
        return Err(format!(
            "`{keyword}` has extra arguments at end of line: `{}`",
            args.join(" ")
        ));
    }
    if args.iter().any(String::is_empty) && !deprecated {
        return Err(format!("`{keyword}` has an empty argument"));
    }
    Ok(())
}

/// Validates and normalizes the value the way `sshd -T` would print it.
fn normalize(name: &str, keyword: &str, args: &[String]) -> Result<String, String> {
    let first = args.first().map(String::as_str).unwrap_or_default();
    if FLAGS.contains(&name) {
        return match first.to_ascii_lowercase().as_str() {
            value @ ("yes" | "no") => Ok(value.to_string()),
            _ => Err(format!("`{keyword}` must be yes or no, not `{first}`")),
        };
    }
    if let Some((_, choices)) = CHOICES.iter().find(|(choice, _)| *choice == name) {
        return choices
            .iter()
            .find(|(accepted, _)| accepted.eq_ignore_ascii_case(first))
            .map(|(_, shown)| (*shown).to_string())
            .ok_or_else(|| {
                let accepted: Vec<&str> = choices.iter().map(|(accepted, _)| *accepted).collect();
                format!(
                    "unsupported `{keyword}` value `{first}` (expected one of: {})",
                    accepted.join(", ")
                )
            });
    }
    if TIMES.contains(&name) {
        return parse_time(first)
            .map(|seconds| seconds.to_string())
            .ok_or_else(|| format!("invalid time value `{first}` for `{keyword}`"));
    }
    if INTEGERS.contains(&name) {
        return match first.parse::<u32>() {
            Ok(n) if n <= i32::MAX as u32 && first.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(n.to_string())
            }
            _ => Err(format!("invalid integer value `{first}` for `{keyword}`")),
        };
    }
    if name == "port" {
        let numeric = first.bytes().all(|b| b.is_ascii_digit());
        // Service names (`Port ssh`) are resolved by sshd at startup.
        return match (numeric, first.parse::<u32>()) {
            (true, Ok(port)) if (1..=65535).contains(&port) => Ok(port.to_string()),
            (false, _) => Ok(first.to_string()),
            _ => Err(format!("bad port number `{first}`")),
        };
    }
    if name == "maxstartups" {
        return parse_max_startups(first)
            .ok_or_else(|| format!("invalid `{keyword}` spec `{first}`"));
    }
    if let Some((_, default)) = ALGORITHM_LISTS.iter().find(|(list, _)| *list == name) {
        return resolve_algorithms(default, keyword, first);
    }
    Ok(args.join(" "))
}

/// Resolves an algorithm list against the built-in `default` list like
/// OpenSSH's kex_assemble_names: `+a,b` appends to the default, `^a,b` puts
/// the names first, `-pat,...` removes the default entries matching any of
/// the wildcard patterns; duplicates are dropped. A list without a prefix
/// replaces the default and is kept as written.
fn resolve_algorithms(default: &str, keyword: &str, list: &str) -> Result<String, String> {
    let (prefix, names) = match list.as_bytes().first() {
        Some(&prefix @ (b'+' | b'-' | b'^')) => (prefix, &list[1..]),
        _ => return Ok(list.to_string()),
    };
    let names: Vec<&str> = names.split(',').collect();
    if prefix != b'-' && names.iter().any(|name| name.is_empty()) {
        // sshd rejects the list ("Bad SSH2 ... spec") and refuses to start.
        return Err(format!(
            "bad `{keyword}` list `{list}`: empty algorithm name"
        ));
    }
    let defaults = default.split(',');
    let resolved = match prefix {
        b'-' => defaults
            .filter(|name| !matches_pattern_list(name, &names))
            .collect(),
        b'+' => without_duplicates(defaults.chain(names)),
        _ => without_duplicates(names.into_iter().chain(defaults)),
    };
    Ok(resolved.join(","))
}

fn without_duplicates<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut kept: Vec<&str> = Vec::new();
    for name in names {
        if !kept.contains(&name) {
            kept.push(name);
        }
    }
    kept
}

/// OpenSSH match_pattern_list (case-sensitive): true when `name` matches one
/// of the patterns and none of the `!`-negated ones.
pub(crate) fn matches_pattern_list(name: &str, patterns: &[&str]) -> bool {
    let mut positive = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if wildcard_match(name, negated) => return false,
            Some(_) => {}
            None => positive |= wildcard_match(name, pattern),
        }
    }
    positive
}

/// Matches `*` (any run of characters) and `?` (one character), without
/// exponential backtracking.
pub(crate) fn wildcard_match(name: &str, pattern: &str) -> bool {
    let (name, pattern) = (name.as_bytes(), pattern.as_bytes());
    let (mut n, mut p) = (0, 0);
    // Position after the last `*` seen, and where in `name` it resumes.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some(b'*') => {
                p += 1;
                star = Some((p, n));
            }
            Some(&c) if c == b'?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((after_star, resume)) => {
                    p = after_star;
                    n = resume + 1;
                    star = Some((after_star, resume + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The verbatim rest of the line, as sshd keeps it for commands.
fn raw_value(name: &str, rest: &str) -> String {
    if name == "versionaddendum" {
        // VersionAddendum alone cuts a trailing comment off its raw text.
        return rest
            .split('#')
            .next()
            .unwrap_or_default()
            .trim_end()
            .to_string();
    }
    rest.to_string()
}

/// OpenSSH convtime: a sequence of numbers with optional s/m/h/d/w units.
fn parse_time(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let mut number: u64 = 0;
        let mut digits = 0;
        while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
            number = number.checked_mul(10)?.checked_add(u64::from(digit))?;
            digits += 1;
            chars.next();
        }
        if digits == 0 {
            return None;
        }
        let multiplier = match chars.peek().map(char::to_ascii_lowercase) {
            None => 1,
            Some(unit) => {
                chars.next();
                match unit {
                    's' => 1,
                    'm' => 60,
                    'h' => 3600,
                    'd' => 86_400,
                    'w' => 604_800,
                    _ => return None,
                }
            }
        };
        total = total.checked_add(number.checked_mul(multiplier)?)?;
    }
    // sshd stores times in an int.
    (total <= i32::MAX as u64).then_some(total)
}

/// `MaxStartups start:rate:full` or a single number (which means `n:30:n`).
fn parse_max_startups(text: &str) -> Option<String> {
    let numbers: Vec<u32> = text
        .split(':')
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        })
        .collect::<Option<_>>()?;
    match numbers[..] {
        [n] => Some(format!("{n}:30:{n}")),
        [start, rate, full] if start <= full && (1..=100).contains(&rate) => {
            Some(format!("{start}:{rate}:{full}"))
        }
        _ => None,
    }
}

/// Checks a Match line; Ok(true) for `Match all`.
fn check_match_criteria(args: &[String]) -> Result<bool, String> {
    if args.is_empty() {
        return Err("Match needs at least one criterion".to_string());
    }
    let mut index = 0;
    while let Some(attribute) = args.get(index) {
        let lower = attribute.to_ascii_lowercase();
        if lower == "all" {
            if args.len() != 1 {
                return Err("`Match all` cannot be combined with other criteria".to_string());
            }
            return Ok(true);
        }
        if lower == "invalid-user" {
            index += 1;
            continue;
        }
        if !MATCH_CRITERIA.contains(&lower.as_str()) {
            return Err(format!("unsupported Match criterion `{attribute}`"));
        }
        if args.get(index + 1).is_none() {
            return Err(format!("missing value for Match criterion `{attribute}`"));
        }
        index += 2;
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake filesystem for Include: pattern -> files it expands to.
    struct FakeFs {
        globs: BTreeMap<String, Vec<IncludedFile>>,
        calls: Vec<String>,
    }

    impl FakeFs {
        fn new() -> Self {
            FakeFs {
                globs: BTreeMap::new(),
                calls: Vec::new(),
            }
        }

        fn with(mut self, pattern: &str, files: &[(&str, Result<&str, &str>)]) -> Self {
            let files = files
                .iter()
                .map(|(path, content)| IncludedFile {
                    path: (*path).to_string(),
                    content: content.map(str::to_string).map_err(str::to_string),
                })
                .collect();
            self.globs.insert(pattern.to_string(), files);
            self
        }

        fn parse(&mut self, text: &str) -> (SshdConfig, Vec<Diagnostic>) {
            let globs = &self.globs;
            let calls = &mut self.calls;
            let mut read = |pattern: &str| {
                calls.push(pattern.to_string());
                globs.get(pattern).cloned().unwrap_or_default()
            };
            parse("/etc/ssh/sshd_config", text, &mut read)
        }
    }

    fn parse_text(text: &str) -> (SshdConfig, Vec<Diagnostic>) {
        FakeFs::new().parse(text)
    }

    fn value<'a>(config: &'a SshdConfig, keyword: &str) -> &'a str {
        config
            .get(keyword)
            .map(|v| v.value.as_str())
            .unwrap_or("<unset>")
    }

    fn source_line(config: &SshdConfig, keyword: &str) -> Option<(String, Option<u32>)> {
        config
            .get(keyword)
            .and_then(|v| v.source.as_ref())
            .map(|s| (s.file.clone(), s.line))
    }

    const MAIN: &str = "/etc/ssh/sshd_config";

    #[test]
    fn empty_input_gives_defaults() {
        let (config, diags) = parse_text("");
        assert!(diags.is_empty());
        assert_eq!(config.files, vec![MAIN]);
        assert!(config.match_blocks.is_empty());
        assert_eq!(config.global.len(), DEFAULTS.len());
        for (keyword, expected) in DEFAULTS {
            let got = config.get(keyword).unwrap();
            assert_eq!(got.value, *expected);
            assert_eq!(got.source, None, "{keyword}");
        }
        assert_eq!(value(&config, "PermitRootLogin"), "prohibit-password");
        assert_eq!(value(&config, "port"), "22");
        assert!(value(&config, "ciphers").starts_with("chacha20-poly1305@openssh.com,"));
    }

    #[test]
    fn explicit_values_override_defaults_and_carry_their_line() {
        let (config, diags) = parse_text("# header\n\nPermitRootLogin no\nPort 2222\n");
        assert!(diags.is_empty());
        assert_eq!(value(&config, "permitrootlogin"), "no");
        assert_eq!(
            source_line(&config, "permitrootlogin"),
            Some((MAIN.into(), Some(3)))
        );
        assert_eq!(value(&config, "port"), "2222");
        assert_eq!(source_line(&config, "port"), Some((MAIN.into(), Some(4))));
        assert_eq!(config.get("passwordauthentication").unwrap().source, None);
    }

    #[test]
    fn keywords_are_case_insensitive() {
        let (config, diags) = parse_text("PASSWORDAUTHENTICATION No\nx11FORWARDING YES\n");
        assert!(diags.is_empty());
        assert!(config.global.contains_key("passwordauthentication"));
        assert_eq!(value(&config, "PasswordAuthentication"), "no");
        assert_eq!(value(&config, "X11Forwarding"), "yes");
    }

    #[test]
    fn equals_separator_forms() {
        let text = "MaxAuthTries=3\nMaxSessions = 4\nClientAliveCountMax= 2\nLoginGraceTime =30\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "maxauthtries"), "3");
        assert_eq!(value(&config, "maxsessions"), "4");
        assert_eq!(value(&config, "clientalivecountmax"), "2");
        assert_eq!(value(&config, "logingracetime"), "30");
    }

    #[test]
    fn first_value_wins_for_duplicates() {
        let (config, diags) =
            parse_text("PermitRootLogin no\nPermitRootLogin yes\npermitrootlogin=yes\n");
        assert!(diags.is_empty());
        assert_eq!(value(&config, "permitrootlogin"), "no");
        assert_eq!(
            source_line(&config, "permitrootlogin"),
            Some((MAIN.into(), Some(1)))
        );
    }

    #[test]
    fn accumulating_keywords_join_in_order() {
        let text = "AllowUsers alice bob\nPort 22\nAllowUsers carol\nPort 2222\nAcceptEnv LANG LC_*\nAcceptEnv TZ\nHostKey /k1\nHostKey /k2\nListenAddress 10.0.0.1\nListenAddress [::1]:22\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "allowusers"), "alice bob carol");
        assert_eq!(
            source_line(&config, "allowusers"),
            Some((MAIN.into(), Some(1)))
        );
        assert_eq!(value(&config, "port"), "22 2222");
        assert_eq!(value(&config, "acceptenv"), "LANG LC_* TZ");
        assert_eq!(value(&config, "hostkey"), "/k1 /k2");
        assert_eq!(value(&config, "listenaddress"), "10.0.0.1 [::1]:22");
    }

    #[test]
    fn last_value_wins_where_sshd_overwrites() {
        let (config, diags) = parse_text("MaxStartups 5:20:50\nMaxStartups 12\n");
        assert!(diags.is_empty());
        assert_eq!(value(&config, "maxstartups"), "12:30:12");
        assert_eq!(
            source_line(&config, "maxstartups"),
            Some((MAIN.into(), Some(2)))
        );
    }

    #[test]
    fn comments_full_line_and_trailing() {
        let text = "#PermitRootLogin yes\n   # indented\nPermitRootLogin no # trailing comment\nBanner /etc/issue#net\nAllowUsers alice #bob\nDenyUsers \"#quoted\"\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "permitrootlogin"), "no");
        assert_eq!(value(&config, "banner"), "/etc/issue#net");
        assert_eq!(value(&config, "allowusers"), "alice");
        assert_eq!(value(&config, "denyusers"), "#quoted");
    }

    #[test]
    fn crlf_line_endings() {
        let text = "PermitRootLogin no\r\nPasswordAuthentication no\r\n\r\n# c\r\nMatch User alice\r\n  X11Forwarding yes\r\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "permitrootlogin"), "no");
        assert_eq!(value(&config, "passwordauthentication"), "no");
        assert_eq!(config.match_blocks[0].criteria, "User alice");
        assert_eq!(
            config.match_blocks[0].settings["x11forwarding"].value,
            "yes"
        );
    }

    #[test]
    fn quoted_values() {
        let text = "Banner \"/etc/my banner\"\nAuthorizedKeysFile '.ssh/my keys' .ssh/k2\nChrootDirectory \"/srv/\"chroot\nDenyUsers a\\ b\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "banner"), "/etc/my banner");
        assert_eq!(value(&config, "authorizedkeysfile"), ".ssh/my keys .ssh/k2");
        assert_eq!(value(&config, "chrootdirectory"), "/srv/chroot");
        assert_eq!(value(&config, "denyusers"), "a b");
    }

    #[test]
    fn unterminated_quote_is_reported_and_skipped() {
        let (config, diags) = parse_text("Banner \"/etc/issue\nBanner /etc/other\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(1));
        assert!(diags[0].message.contains("quote"));
        assert_eq!(value(&config, "banner"), "/etc/other");
    }

    #[test]
    fn yes_no_normalization_and_aliases() {
        let text = "PermitRootLogin Without-Password\nCompression delayed\nAllowTcpForwarding ALL\nLogLevel verbose\nSyslogFacility authpriv\nChallengeResponseAuthentication no\nKbdInteractiveAuthentication yes\nGatewayPorts ClientSpecified\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "permitrootlogin"), "prohibit-password");
        assert_eq!(value(&config, "compression"), "yes");
        assert_eq!(value(&config, "allowtcpforwarding"), "yes");
        assert_eq!(value(&config, "loglevel"), "VERBOSE");
        assert_eq!(value(&config, "syslogfacility"), "AUTHPRIV");
        assert_eq!(value(&config, "gatewayports"), "clientspecified");
        // The alias and the real keyword share one slot: the first line wins.
        assert!(!config
            .global
            .contains_key("challengeresponseauthentication"));
        assert_eq!(value(&config, "kbdinteractiveauthentication"), "no");
        assert_eq!(value(&config, "ChallengeResponseAuthentication"), "no");
        assert_eq!(
            source_line(&config, "kbdinteractiveauthentication"),
            Some((MAIN.into(), Some(6)))
        );
    }

    #[test]
    fn invalid_values_are_reported_and_skipped() {
        let text = "PasswordAuthentication maybe\nPermitRootLogin sometimes\nMaxAuthTries many\nLoginGraceTime 2x\nPort 0\nPort 70000\nMaxStartups 10:0:100\nLogLevel LOUD\nPasswordAuthentication no\n";
        let (config, diags) = parse_text(text);
        let lines: Vec<_> = diags.iter().map(|d| d.line.unwrap()).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(diags.iter().all(|d| d.file == MAIN));
        // The first valid line becomes the effective value.
        assert_eq!(value(&config, "passwordauthentication"), "no");
        assert_eq!(
            source_line(&config, "passwordauthentication"),
            Some((MAIN.into(), Some(9)))
        );
        assert_eq!(config.get("permitrootlogin").unwrap().source, None);
        assert_eq!(value(&config, "port"), "22");
    }

    #[test]
    fn times_are_normalized_to_seconds() {
        let (config, diags) = parse_text("LoginGraceTime 1m\nClientAliveInterval 1h30M\n");
        assert!(diags.is_empty());
        assert_eq!(value(&config, "logingracetime"), "60");
        assert_eq!(value(&config, "clientaliveinterval"), "5400");
        assert_eq!(parse_time("90"), Some(90));
        assert_eq!(parse_time("1w1d1s"), Some(604_800 + 86_400 + 1));
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("m"), None);
        assert_eq!(parse_time("99999999999999999999"), None);
        assert_eq!(parse_time("9999999999"), None);
    }

    #[test]
    fn service_name_ports_are_accepted() {
        let (config, diags) = parse_text("Port ssh\n");
        assert!(diags.is_empty());
        assert_eq!(value(&config, "port"), "ssh");
    }

    #[test]
    fn missing_and_extra_arguments() {
        let text = "PermitRootLogin\nPasswordAuthentication no yes\nPort 22 23\nListenAddress 1.2.3.4 rdomain\nSubsystem sftp\nPort # only a comment\nRekeyLimit 1G 1h\nListenAddress 1.2.3.4 rdomain 3\n";
        let (config, diags) = parse_text(text);
        let lines: Vec<_> = diags.iter().map(|d| d.line.unwrap()).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5, 6]);
        assert!(diags[0].message.contains("no argument"));
        assert!(diags[1].message.contains("extra arguments"));
        assert!(diags[5].message.contains("missing argument"));
        assert_eq!(value(&config, "rekeylimit"), "1G 1h");
        assert_eq!(value(&config, "listenaddress"), "1.2.3.4 rdomain 3");
    }

    #[test]
    fn unknown_keywords_are_kept_and_reported() {
        let (config, diags) = parse_text("FooBar baz qux\nFooBar second\n");
        assert_eq!(diags.len(), 2);
        assert!(diags[0].message.contains("unknown sshd keyword `FooBar`"));
        assert_eq!(config.global["foobar"].value, "baz qux");
    }

    #[test]
    fn deprecated_keywords_are_reported() {
        let (config, diags) = parse_text("Protocol 2\nUsePrivilegeSeparation sandbox\n");
        assert_eq!(diags.len(), 2);
        assert!(diags[0].message.contains("deprecated"));
        assert_eq!(config.global["protocol"].value, "2");
    }

    #[test]
    fn raw_command_values_are_kept_verbatim() {
        let text = "ForceCommand /usr/bin/logger \"hi there\" # audit\nVersionAddendum  my server # note\nAuthorizedKeysCommand /usr/bin/keys %u\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty());
        assert_eq!(
            value(&config, "forcecommand"),
            "/usr/bin/logger \"hi there\" # audit"
        );
        assert_eq!(value(&config, "versionaddendum"), "my server");
        assert_eq!(value(&config, "authorizedkeyscommand"), "/usr/bin/keys %u");
    }

    #[test]
    fn match_blocks_are_separate_from_global() {
        let text = "PasswordAuthentication no\n\
                    Match User alice,bob Address 10.0.0.0/8\n\
                    \tPasswordAuthentication yes\n\
                    \tAllowTcpForwarding no\n\
                    \tPasswordAuthentication no\n\
                    Match Group admins\n\
                    \tPermitRootLogin yes\n\
                    Match all\n\
                    X11Forwarding yes\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "passwordauthentication"), "no");
        assert_eq!(value(&config, "x11forwarding"), "yes");
        assert_eq!(
            source_line(&config, "x11forwarding"),
            Some((MAIN.into(), Some(9)))
        );
        assert_eq!(config.get("permitrootlogin").unwrap().source, None);
        assert_eq!(config.match_blocks.len(), 3);
        assert_eq!(config.match_blocks[2].criteria, "all");
        let first = &config.match_blocks[0];
        assert_eq!(first.criteria, "User alice,bob Address 10.0.0.0/8");
        assert_eq!(first.source, Source::line(MAIN, 2));
        assert_eq!(first.settings["passwordauthentication"].value, "yes");
        assert_eq!(
            first.settings["passwordauthentication"].source,
            Some(Source::line(MAIN, 3))
        );
        assert_eq!(first.settings["allowtcpforwarding"].value, "no");
        assert_eq!(first.settings.len(), 2);
        let second = &config.match_blocks[1];
        assert_eq!(second.criteria, "Group admins");
        assert_eq!(second.settings["permitrootlogin"].value, "yes");
    }

    #[test]
    fn match_all_overrides_the_global_setting() {
        // Found by tests/oracle_sshd.rs: sshd applies `Match all` in its
        // Match pass, over the first global value.
        let text = "X11Forwarding no\nAllowUsers a\nMatch User bob\nX11Forwarding no\nMatch all\nX11Forwarding yes\nAllowUsers b\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "x11forwarding"), "yes");
        assert_eq!(
            source_line(&config, "x11forwarding"),
            Some((MAIN.into(), Some(6)))
        );
        assert_eq!(value(&config, "allowusers"), "b");
        let bob = crate::facts::sshd_match::Connection {
            user: Some("bob".into()),
            ..Default::default()
        };
        // bob's block comes first, so its value wins the Match pass.
        assert_eq!(config.effective(&bob)["x11forwarding"].value, "no");
    }

    #[test]
    fn global_keyword_under_match_all_is_global() {
        // Found by tests/oracle_sshd.rs: sshd accepts it there, as a
        // global line (first value wins).
        let (config, diags) = parse_text("Match all\nCiphers aes128-ctr\nCiphers aes256-ctr\nMatch User x\nMatch all\nUsePAM yes\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "ciphers"), "aes128-ctr");
        assert_eq!(value(&config, "usepam"), "yes");
        let (_, diags) = parse_text("Match User x\nCiphers aes128-ctr\n");
        assert_eq!(diags.len(), 1);
    }

    #[test]
    fn match_syntax_errors() {
        let text = "Match\nMatch Colour blue\nMatch User\nMatch all User x\nMatch User alice # trailing\n  Banner /b\nMatch invalid-user\n";
        let (config, diags) = parse_text(text);
        let lines: Vec<_> = diags.iter().map(|d| d.line.unwrap()).collect();
        assert_eq!(lines, vec![1, 2, 3, 4]);
        // Each bad Match still opens a block so nothing leaks into global.
        let criteria: Vec<_> = config
            .match_blocks
            .iter()
            .map(|b| b.criteria.as_str())
            .collect();
        assert_eq!(
            criteria,
            vec![
                "",
                "Colour blue",
                "User",
                "all User x",
                "User alice",
                "invalid-user"
            ]
        );
        assert_eq!(config.match_blocks[4].settings["banner"].value, "/b");
    }

    #[test]
    fn global_only_keyword_inside_match_is_reported() {
        let (config, diags) =
            parse_text("Match User bob\n  Port 2200\n  Ciphers aes256-ctr\n  Banner /b\n");
        assert_eq!(diags.len(), 2);
        assert!(diags[0]
            .message
            .contains("not allowed inside a Match block"));
        assert_eq!(config.match_blocks[0].settings.len(), 1);
        assert_eq!(value(&config, "port"), "22");
    }

    #[test]
    fn include_glob_in_lexical_order_with_relative_path() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/sshd_config.d/*.conf",
            &[
                (
                    "/etc/ssh/sshd_config.d/10-a.conf",
                    Ok("PasswordAuthentication no\nAllowUsers a\n"),
                ),
                (
                    "/etc/ssh/sshd_config.d/20-b.conf",
                    Ok("PasswordAuthentication yes\nPermitRootLogin no\nAllowUsers b\n"),
                ),
            ],
        );
        let text = "Include sshd_config.d/*.conf\nPermitRootLogin yes\nKbdInteractiveAuthentication no\nAllowUsers main\n";
        let (config, diags) = fs.parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(fs.calls, vec!["/etc/ssh/sshd_config.d/*.conf"]);
        assert_eq!(
            config.files,
            vec![
                MAIN,
                "/etc/ssh/sshd_config.d/10-a.conf",
                "/etc/ssh/sshd_config.d/20-b.conf"
            ]
        );
        // First value wins across files, in read order.
        assert_eq!(value(&config, "passwordauthentication"), "no");
        assert_eq!(
            source_line(&config, "passwordauthentication"),
            Some(("/etc/ssh/sshd_config.d/10-a.conf".into(), Some(1)))
        );
        assert_eq!(value(&config, "permitrootlogin"), "no");
        assert_eq!(
            source_line(&config, "permitrootlogin"),
            Some(("/etc/ssh/sshd_config.d/20-b.conf".into(), Some(2)))
        );
        assert_eq!(value(&config, "kbdinteractiveauthentication"), "no");
        assert_eq!(value(&config, "allowusers"), "a b main");
    }

    #[test]
    fn include_absolute_paths_and_several_arguments() {
        let mut fs = FakeFs::new()
            .with("/opt/one.conf", &[("/opt/one.conf", Ok("Banner /one\n"))])
            .with(
                "/etc/ssh/two.conf",
                &[("/etc/ssh/two.conf", Ok("MaxAuthTries 2\n"))],
            );
        let (config, diags) = fs.parse("Include /opt/one.conf two.conf\n");
        assert!(diags.is_empty());
        assert_eq!(fs.calls, vec!["/opt/one.conf", "/etc/ssh/two.conf"]);
        assert_eq!(value(&config, "banner"), "/one");
        assert_eq!(value(&config, "maxauthtries"), "2");
    }

    #[test]
    fn glob_matching_nothing_is_fine() {
        let mut fs = FakeFs::new();
        let (config, diags) = fs.parse("Include /etc/ssh/sshd_config.d/*.conf\n");
        assert!(diags.is_empty());
        assert_eq!(config.files, vec![MAIN]);
    }

    #[test]
    fn unreadable_include_is_reported() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/extra.conf",
            &[("/etc/ssh/extra.conf", Err("permission denied"))],
        );
        let (config, diags) = fs.parse("# x\nInclude extra.conf\nPort 2022\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].file, MAIN);
        assert_eq!(diags[0].line, Some(2));
        assert!(diags[0].message.contains("/etc/ssh/extra.conf"));
        assert!(diags[0].message.contains("permission denied"));
        assert_eq!(config.files, vec![MAIN, "/etc/ssh/extra.conf"]);
        assert_eq!(value(&config, "port"), "2022");
    }

    #[test]
    fn include_without_argument_is_reported() {
        let (_, diags) = parse_text("Include\nInclude # nothing\n");
        assert_eq!(diags.len(), 2);
    }

    #[test]
    fn diagnostics_in_included_files_name_that_file() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/inc.conf",
            &[("/etc/ssh/inc.conf", Ok("\nBogus 1\n"))],
        );
        let (_, diags) = fs.parse("Include inc.conf\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].file, "/etc/ssh/inc.conf");
        assert_eq!(diags[0].line, Some(2));
    }

    #[test]
    fn include_loop_stops_at_depth_limit() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/loop.conf",
            &[(
                "/etc/ssh/loop.conf",
                Ok("Include loop.conf\nAllowUsers x\n"),
            )],
        );
        let (config, diags) = fs.parse("Include loop.conf\n");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].message.contains("deeper than 16"));
        assert_eq!(diags[0].file, "/etc/ssh/loop.conf");
        assert_eq!(fs.calls.len(), MAX_INCLUDE_DEPTH);
        assert_eq!(config.files, vec![MAIN, "/etc/ssh/loop.conf"]);
        assert_eq!(
            value(&config, "allowusers").split(' ').count(),
            MAX_INCLUDE_DEPTH
        );
    }

    #[test]
    fn include_loop_with_branches_stops_at_the_first_too_deep_include() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/loop.conf",
            &[(
                "/etc/ssh/loop.conf",
                Ok("Include loop.conf loop.conf\nInclude loop.conf\n"),
            )],
        );
        let (_, diags) = fs.parse("Include loop.conf\n");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(fs.calls.len(), MAX_INCLUDE_DEPTH);
    }

    #[test]
    fn include_fan_out_stops_at_the_file_budget() {
        // Depth 8, each level including the next four times: 4^8 files
        // without the budget.
        let mut fs = FakeFs::new();
        for level in 0..8 {
            let name = format!("/etc/ssh/l{level}");
            let next = format!("l{} ", level + 1).repeat(4);
            fs = fs.with(
                &name,
                &[(&name, Ok(&format!("Include {next}\nAllowUsers u{level}\n")))],
            );
        }
        let (config, diags) = fs.parse("Include l0\n");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].incomplete);
        assert!(
            diags[0].message.contains("includes more than 256 files"),
            "{}",
            diags[0].message
        );
        // Each file read makes at most its four calls (the last level's
        // match nothing), and none after the budget is spent.
        assert!(
            fs.calls.len() <= 4 * (MAX_INCLUDED_FILES + 1),
            "{}",
            fs.calls.len()
        );
        assert_eq!(config.files.len(), 9);
    }

    #[test]
    fn include_bytes_stop_at_the_byte_budget() {
        let big = "# filler\n".repeat(1 << 20);
        let mut fs = FakeFs::new().with(
            "/etc/ssh/big.conf",
            &[("/etc/ssh/big.conf", Ok(big.as_str()))],
        );
        let (_, diags) = fs.parse("Include big.conf\nInclude big.conf\n");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].line, Some(2));
        assert!(
            diags[0].message.contains("or 16 MiB"),
            "{}",
            diags[0].message
        );
    }

    #[test]
    fn include_inside_match_applies_to_the_block() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/sftp.conf",
            &[(
                "/etc/ssh/sftp.conf",
                Ok("ForceCommand internal-sftp\nChrootDirectory /srv/%u\n"),
            )],
        );
        let text = "Match Group sftp\nInclude sftp.conf\nAllowTcpForwarding no\nMatch all\nPasswordAuthentication no\n";
        let (config, diags) = fs.parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(config.match_blocks.len(), 2);
        let block = &config.match_blocks[0];
        assert_eq!(block.criteria, "Group sftp");
        assert_eq!(block.settings["forcecommand"].value, "internal-sftp");
        assert_eq!(
            block.settings["chrootdirectory"].source,
            Some(Source::line("/etc/ssh/sftp.conf", 2))
        );
        assert_eq!(block.settings["allowtcpforwarding"].value, "no");
        assert_eq!(config.get("forcecommand").unwrap().source, None);
        assert_eq!(value(&config, "passwordauthentication"), "no");
    }

    #[test]
    fn match_in_included_file_ends_with_that_file() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/sshd_config.d/*.conf",
            &[(
                "/etc/ssh/sshd_config.d/50-m.conf",
                Ok("Match User carol\n  PasswordAuthentication yes\n"),
            )],
        );
        let text = "Include sshd_config.d/*.conf\nPasswordAuthentication no\n";
        let (config, diags) = fs.parse(text);
        assert!(diags.is_empty());
        assert_eq!(value(&config, "passwordauthentication"), "no");
        assert_eq!(
            source_line(&config, "passwordauthentication"),
            Some((MAIN.into(), Some(2)))
        );
        assert_eq!(config.match_blocks.len(), 1);
        assert_eq!(
            config.match_blocks[0].settings["passwordauthentication"].value,
            "yes"
        );
    }

    #[test]
    fn nested_match_in_included_file_under_match() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/inner.conf",
            &[(
                "/etc/ssh/inner.conf",
                Ok("Banner /inner-all\nMatch Address 10.0.0.0/8\nBanner /inner-net\nMatch all\nMaxSessions 2\n"),
            )],
        );
        let text = "Match User dave\nInclude inner.conf\nX11Forwarding yes\n";
        let (config, diags) = fs.parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        let blocks: Vec<_> = config
            .match_blocks
            .iter()
            .map(|b| {
                (
                    b.criteria.as_str(),
                    b.source.line,
                    b.settings.keys().cloned().collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            blocks,
            vec![
                ("User dave", Some(1), vec!["banner".to_string()]),
                (
                    "User dave Address 10.0.0.0/8",
                    Some(2),
                    vec!["banner".to_string()]
                ),
                // `Match all` in a file included under `Match User dave`
                // is a block for dave; after the include returns, settings
                // continue the enclosing block.
                ("User dave all", Some(4), vec!["maxsessions".to_string()]),
                ("User dave", Some(1), vec!["x11forwarding".to_string()]),
            ]
        );
        assert_eq!(config.match_blocks[1].source.file, "/etc/ssh/inner.conf");
        assert_eq!(value(&config, "x11forwarding"), "no");
    }

    #[test]
    fn duplicate_subsystem_is_reported() {
        let (config, diags) = parse_text("Subsystem sftp /usr/lib/openssh/sftp-server -l INFO\nSubsystem sftp internal-sftp\nSubsystem other /bin/o\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, Some(2));
        assert_eq!(
            value(&config, "subsystem"),
            "sftp /usr/lib/openssh/sftp-server -l INFO other /bin/o"
        );
    }

    #[test]
    fn debian_12_default_config() {
        let text = "Include /etc/ssh/sshd_config.d/*.conf\n\
                    KbdInteractiveAuthentication no\n\
                    UsePAM yes\n\
                    X11Forwarding yes\n\
                    PrintMotd no\n\
                    AcceptEnv LANG LC_*\n\
                    Subsystem\tsftp\t/usr/lib/openssh/sftp-server\n";
        let (config, diags) = parse_text(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(value(&config, "usepam"), "yes");
        assert_eq!(value(&config, "kbdinteractiveauthentication"), "no");
        assert_eq!(
            value(&config, "subsystem"),
            "sftp /usr/lib/openssh/sftp-server"
        );
        assert_eq!(value(&config, "permitrootlogin"), "prohibit-password");
        assert_eq!(config.get("permitrootlogin").unwrap().source, None);
    }

    #[test]
    fn odd_lines_do_not_panic() {
        let text = "=\n= value\n\"\n'\nPort=\nPort =\n\\\nBanner \\\nBanner é\u{0}\nMatch User ü\n\tPermitRootLogin Ñ\n\x0c\n";
        let (config, diags) = parse_text(text);
        assert!(!diags.is_empty());
        assert!(diags.iter().all(|d| d.line.is_some()));
        assert_eq!(config.match_blocks.len(), 1);
    }

    #[test]
    fn split_keyword_forms() {
        assert_eq!(split_keyword("Port 22"), Some(("Port", "22")));
        assert_eq!(split_keyword("Port=22"), Some(("Port", "22")));
        assert_eq!(split_keyword("Port = 22"), Some(("Port", "22")));
        assert_eq!(split_keyword("Port\t=\t22"), Some(("Port", "22")));
        assert_eq!(split_keyword("Port==22"), Some(("Port", "=22")));
        assert_eq!(split_keyword("Port"), Some(("Port", "")));
        assert_eq!(split_keyword("=22"), None);
    }

    #[test]
    fn split_args_like_openssh() {
        let ok = |s: &str| split_args(s).unwrap();
        assert_eq!(ok("a b\tc"), vec!["a", "b", "c"]);
        assert_eq!(ok("a #b c"), vec!["a"]);
        assert_eq!(ok("a#b"), vec!["a#b"]);
        assert_eq!(ok("\"a b\" 'c d'"), vec!["a b", "c d"]);
        assert_eq!(ok("x\"a b\"y"), vec!["xa by"]);
        assert_eq!(ok("\"it's\""), vec!["it's"]);
        assert_eq!(ok("a\\ b \\\"q\\\" \\x"), vec!["a b", "\"q\"", "\\x"]);
        assert_eq!(ok("\"\""), vec![""]);
        assert_eq!(ok("# all comment"), Vec::<String>::new());
        assert!(split_args("\"open").is_err());
        assert!(split_args("'open").is_err());
    }

    #[test]
    fn max_startups_forms() {
        assert_eq!(
            parse_max_startups("10:30:100").as_deref(),
            Some("10:30:100")
        );
        assert_eq!(parse_max_startups("7").as_deref(), Some("7:30:7"));
        assert_eq!(parse_max_startups("100:30:10"), None);
        assert_eq!(parse_max_startups("1:101:10"), None);
        assert_eq!(parse_max_startups("1:2"), None);
        assert_eq!(parse_max_startups("a"), None);
        assert_eq!(parse_max_startups(""), None);
    }

    #[test]
    fn mac_removal_patterns_resolve_against_the_default() {
        let (config, diags) = parse_text("# hardening\nMACs -hmac-sha1*,umac-64*\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            value(&config, "MACs"),
            "umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,\
             hmac-sha2-512-etm@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512"
        );
        assert_eq!(source_line(&config, "macs"), Some((MAIN.into(), Some(2))));
    }

    #[test]
    fn appended_cipher_follows_the_default() {
        let (config, diags) = parse_text("Ciphers +aes128-cbc\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            value(&config, "ciphers"),
            format!("{DEFAULT_CIPHERS},aes128-cbc")
        );
        // A name already in the default is not repeated.
        let (config, _) = parse_text("Ciphers +aes128-ctr,aes256-cbc,aes256-cbc\n");
        assert_eq!(
            value(&config, "ciphers"),
            format!("{DEFAULT_CIPHERS},aes256-cbc")
        );
    }

    #[test]
    fn caret_moves_algorithms_to_the_front() {
        let (config, diags) = parse_text("KexAlgorithms ^curve25519-sha256\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            value(&config, "kexalgorithms"),
            "curve25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,\
             curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,\
             ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,\
             diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,\
             diffie-hellman-group14-sha256"
        );
        let (config, _) = parse_text("KexAlgorithms ^diffie-hellman-group14-sha1\n");
        assert_eq!(
            value(&config, "kexalgorithms"),
            format!("diffie-hellman-group14-sha1,{DEFAULT_KEX}")
        );
    }

    #[test]
    fn modifier_in_included_file_and_match_block() {
        let mut fs = FakeFs::new().with(
            "/etc/ssh/sshd_config.d/*.conf",
            &[(
                "/etc/ssh/sshd_config.d/50-legacy.conf",
                Ok("PubkeyAcceptedKeyTypes +ssh-rsa\nMatch User old\n  CASignatureAlgorithms -rsa-sha2-*\n"),
            )],
        );
        let text = "Include sshd_config.d/*.conf\nPubkeyAcceptedAlgorithms ssh-ed25519\n";
        let (config, diags) = fs.parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            value(&config, "PubkeyAcceptedAlgorithms"),
            format!("{DEFAULT_KEY_ALGORITHMS},ssh-rsa")
        );
        assert_eq!(
            source_line(&config, "pubkeyacceptedalgorithms"),
            Some(("/etc/ssh/sshd_config.d/50-legacy.conf".into(), Some(1)))
        );
        let block = &config.match_blocks[0];
        assert_eq!(
            block.settings["casignaturealgorithms"].value,
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,\
             sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com"
        );
        assert_eq!(
            block.settings["casignaturealgorithms"].source,
            Some(Source::line("/etc/ssh/sshd_config.d/50-legacy.conf", 3))
        );
    }

    #[test]
    fn algorithm_list_edge_cases() {
        // Without a prefix the list replaces the default, as written.
        let (config, _) = parse_text("HostKeyAlgorithms ssh-ed25519,rsa-sha2-512\n");
        assert_eq!(
            value(&config, "hostkeyalgorithms"),
            "ssh-ed25519,rsa-sha2-512"
        );
        // `?` matches one character; `!` exempts names from the removal.
        let (config, _) = parse_text("HostbasedAcceptedAlgorithms -ecdsa-sha2-nistp???*,!*384*\n");
        assert_eq!(
            value(&config, "hostbasedacceptedalgorithms"),
            DEFAULT_KEY_ALGORITHMS
                .split(',')
                .filter(|n| !n.starts_with("ecdsa-sha2-nistp") || n.contains("384"))
                .collect::<Vec<_>>()
                .join(",")
        );
        // Removing names the default lacks changes nothing; `-` alone too.
        let (config, _) = parse_text("Ciphers -3des-cbc,aes128-cbc\n");
        assert_eq!(value(&config, "ciphers"), DEFAULT_CIPHERS);
        let (config, diags) = parse_text("MACs -\n");
        assert!(diags.is_empty());
        assert_eq!(value(&config, "macs"), DEFAULT_MACS);
        // sshd rejects an empty name after `+` or `^`.
        let (config, diags) = parse_text("Ciphers +\nMACs ^hmac-sha2-512,,x\n");
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert_eq!(config.get("ciphers").unwrap().source, None);
        assert_eq!(config.get("macs").unwrap().source, None);
    }

    #[test]
    fn wildcards_like_openssh() {
        assert!(wildcard_match("hmac-sha1", "hmac-sha1*"));
        assert!(wildcard_match("hmac-sha1-etm@openssh.com", "hmac-sha1*"));
        assert!(!wildcard_match("hmac-sha2-256", "hmac-sha1*"));
        assert!(wildcard_match("umac-64@openssh.com", "umac-??@*"));
        assert!(!wildcard_match("umac-128@openssh.com", "umac-??@*"));
        assert!(wildcard_match("abc", "*"));
        assert!(wildcard_match("", "*"));
        assert!(!wildcard_match("", "?"));
        assert!(wildcard_match("aXbXc", "a*b*c"));
        assert!(!wildcard_match("aXbXd", "a*b*c"));
        // No exponential blow-up on many stars.
        let name = "a".repeat(200);
        assert!(!wildcard_match(&name, &format!("{}b", "*a".repeat(50))));
    }

    #[test]
    fn canonical_keyword_maps_aliases() {
        assert_eq!(
            canonical_keyword("ChallengeResponseAuthentication"),
            "kbdinteractiveauthentication"
        );
        assert_eq!(
            canonical_keyword("PubkeyAcceptedKeyTypes"),
            "pubkeyacceptedalgorithms"
        );
        assert_eq!(canonical_keyword("PermitRootLogin"), "permitrootlogin");
        assert_eq!(canonical_keyword("NoSuchThing"), "nosuchthing");
        // Match blocks store settings under the canonical name, whichever
        // spelling the file used, so the alias finds them too.
        let (config, diags) =
            parse_text("Match User a\n  ChallengeResponseAuthentication yes\nMatch User b\n  KbdInteractiveAuthentication no\n");
        assert!(diags.is_empty(), "{diags:?}");
        let name = canonical_keyword("ChallengeResponseAuthentication");
        let found: Vec<_> = config
            .match_blocks
            .iter()
            .filter_map(|b| b.settings.get(&name).map(|v| v.value.as_str()))
            .collect();
        assert_eq!(found, vec!["yes", "no"]);
        assert_eq!(value(&config, "challengeresponseauthentication"), "yes");
    }

    #[test]
    fn serializes_to_json() {
        let (config, _) = parse_text("Port 2222\nMatch User a\n  Banner /b\n");
        let json = serde_json::to_value(&config).unwrap();
        assert_eq!(json["global"]["port"]["value"], "2222");
        assert_eq!(json["global"]["port"]["source"]["file"], MAIN);
        assert_eq!(json["global"]["port"]["source"]["line"], 1);
        assert!(json["global"]["usedns"]["source"].is_null());
        assert_eq!(json["match_blocks"][0]["criteria"], "User a");
        assert_eq!(json["match_blocks"][0]["settings"]["banner"]["value"], "/b");
        assert_eq!(json["files"][0], MAIN);
    }
}
