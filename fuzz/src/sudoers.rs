//! sudoers with `@include`/`@includedir`: a generated set of files in
//! memory, the first (or text before any header) being /etc/sudoers.

use crate::files::{self, Kind};
use posture::facts::sudoers::{self, Files, ReadOptions, Stat, Text};
use posture::target::FileType;
use std::collections::BTreeMap;

const MAIN: &str = "/etc/sudoers";

struct Memory {
    files: BTreeMap<String, Kind>,
}

impl Memory {
    fn is_dir(&self, path: &str) -> bool {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        matches!(self.files.get(path), Some(Kind::Dir))
            || self
                .files
                .range(prefix.clone()..)
                .next()
                .is_some_and(|(p, _)| p.starts_with(&prefix))
    }
}

impl Files for Memory {
    fn read(&mut self, path: &str) -> Result<Option<Text>, String> {
        match self.files.get(&files::normalize(path)) {
            Some(Kind::File(bytes)) => Ok(Some(Text {
                text: String::from_utf8_lossy(bytes).into_owned(),
                // A file ending without a newline stands for one the read
                // limit cut.
                truncated: bytes.len() > 64 && !bytes.ends_with(b"\n"),
            })),
            Some(Kind::Unreadable) => Err("permission denied".into()),
            Some(_) => Err("not a regular file".into()),
            None => Ok(None),
        }
    }

    fn stat(&mut self, path: &str) -> Result<Option<Stat>, String> {
        let path = files::normalize(path);
        let file_type = match self.files.get(&path) {
            Some(Kind::File(_) | Kind::Sparse(_)) => FileType::File,
            Some(Kind::Fifo) => FileType::Fifo,
            Some(Kind::CharDevice) => FileType::CharDevice,
            Some(Kind::Unreadable) => return Err("permission denied".into()),
            _ if self.is_dir(&path) => FileType::Directory,
            _ => return Ok(None),
        };
        // Paths containing `insecure` are writable by others.
        let mode = if path.contains("insecure") {
            0o666
        } else if file_type == FileType::Directory {
            0o755
        } else {
            0o440
        };
        Ok(Some(Stat {
            file_type,
            uid: u32::from(path.contains("owned")) * 1000,
            gid: 0,
            mode,
        }))
    }

    fn list(&mut self, dir: &str) -> Result<Option<Vec<String>>, String> {
        let dir = files::normalize(dir);
        if !self.is_dir(&dir) {
            return Ok(None);
        }
        let prefix = if dir == "/" {
            dir.clone()
        } else {
            format!("{dir}/")
        };
        let mut names: Vec<String> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter_map(|(p, _)| p[prefix.len()..].split('/').next().map(str::to_string))
            .collect();
        names.dedup();
        Ok(Some(names))
    }
}

pub fn run(data: &[u8]) {
    let mut memory = Memory {
        files: BTreeMap::new(),
    };
    for e in files::decode(data, MAIN) {
        let path = files::normalize(&e.path);
        memory.files.entry(path).or_insert(e.kind);
    }
    let opts = ReadOptions {
        check_files: data.len() % 2 == 1,
        host: Some("web01".into()),
    };
    let Ok(Some(s)) = sudoers::read(MAIN, &mut memory, &opts) else {
        return;
    };
    let _ = s.value.rules();
    for name in [
        "use_pty",
        "logfile",
        "env_reset",
        "secure_path",
        "timestamp_timeout",
    ] {
        let _ = s.value.effective(name);
        let _ = s.value.overrides(name);
    }
    for d in &s.diagnostics {
        let _ = d.to_string();
    }
}
