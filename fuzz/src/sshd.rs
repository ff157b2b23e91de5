//! sshd_config with includes: a generated set of files in memory, the
//! first being the main file; `Include` globs match the set.

use crate::files::{self, Kind};
use posture::facts::sshd::{self, IncludedFile};
use posture::facts::sshd_match::Connection;
use std::collections::BTreeMap;

pub fn run(data: &[u8]) {
    let entries = files::decode(data, "/etc/ssh/sshd_config");
    let mut set: BTreeMap<String, Result<String, String>> = BTreeMap::new();
    let mut main = None;
    for e in &entries {
        let path = files::normalize(&e.path);
        let content = match &e.kind {
            Kind::File(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
            Kind::Unreadable | Kind::Fifo | Kind::CharDevice => Err("cannot read".to_string()),
            _ => continue,
        };
        if main.is_none() {
            if let Ok(text) = &content {
                main = Some((path.clone(), text.clone()));
            }
        }
        set.entry(path).or_insert(content);
    }
    let Some((main_path, main_text)) = main else {
        return;
    };
    let mut read_glob = |pattern: &str| -> Vec<IncludedFile> {
        let Ok(glob) = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
        else {
            return Vec::new();
        };
        let glob = glob.compile_matcher();
        set.iter()
            .filter(|(path, _)| glob.is_match(path.as_str()))
            .map(|(path, content)| IncludedFile {
                path: path.clone(),
                content: content.clone(),
            })
            .collect()
    };
    let (config, diags) = sshd::parse(&main_path, &main_text, &mut read_glob);
    for keyword in [
        "PermitRootLogin",
        "ChallengeResponseAuthentication",
        "Ciphers",
    ] {
        let _ = config.get(keyword);
    }
    for conn in connections() {
        let _ = config.effective(&conn);
    }
    let _ = serde_json::to_string(&config);
    for d in &diags {
        let _ = d.to_string();
    }
}

fn connections() -> Vec<Connection> {
    vec![
        Connection::default(),
        Connection {
            user: Some("root".into()),
            groups: Some(vec!["wheel".into(), "sftp".into()]),
            host: Some("bastion.example.com".into()),
            address: Some("10.1.2.3".into()),
            local_address: Some("192.168.0.1".into()),
            local_port: Some(22),
            rdomain: Some("vrf1".into()),
        },
        Connection {
            user: Some("alice".into()),
            groups: Some(Vec::new()),
            host: None,
            address: Some("2001:db8::1".into()),
            local_address: Some("::1".into()),
            local_port: Some(2222),
            rdomain: None,
        },
    ]
}
