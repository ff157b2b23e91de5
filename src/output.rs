//! Output files: the format a file name asks for, and writing a file so that
//! a reader never sees half of it and a report is not readable by others.
//!
//! [`OutputFile::prepare`] runs before any scanning, so that a path that
//! cannot be written fails in a second, not after the scan. The file is then
//! written beside its destination and renamed over it: a failed or
//! interrupted run leaves the previous file, or none. A new file gets mode
//! 0600 (a report maps a host's weaknesses); a replaced regular file keeps
//! its mode (and, for root, its owner and group). A symbolic link at the
//! path is refused: in a shared directory a planted link would redirect the
//! report onto another file. Links under `/dev` and `/proc`
//! (`-o /dev/stdout`), FIFOs and devices are written through instead.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::fleet::export::ExportFormat;
use crate::fleet::render::FleetFormat;
use crate::report::Format;

/// File extensions and the report format each one selects, in the order
/// error messages list them.
pub const REPORT_EXTENSIONS: &[(&str, Format)] = &[
    ("json", Format::Json),
    ("html", Format::Html),
    ("htm", Format::Html),
    ("sarif", Format::Sarif),
    ("xml", Format::Junit),
    ("md", Format::Markdown),
    ("csv", Format::Csv),
    ("txt", Format::Table),
];

/// The extensions of `posture aggregate -o`.
pub const FLEET_EXTENSIONS: &[(&str, FleetFormat)] = &[
    ("json", FleetFormat::Json),
    ("html", FleetFormat::Html),
    ("htm", FleetFormat::Html),
    ("md", FleetFormat::Markdown),
    ("csv", FleetFormat::Csv),
    ("txt", FleetFormat::Table),
];

/// The extensions of `posture export -o`.
pub const EXPORT_EXTENSIONS: &[(&str, ExportFormat)] = &[
    ("parquet", ExportFormat::Parquet),
    ("ndjson", ExportFormat::Ndjson),
    ("jsonl", ExportFormat::Ndjson),
];

/// The format that `path`'s extension (compared without case) selects in
/// `table`; the error names the accepted extensions.
pub fn format_from_extension<T: Copy>(path: &Path, table: &[(&str, T)]) -> Result<T, String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if let Some(found) = ext
        .as_deref()
        .and_then(|e| table.iter().find(|(name, _)| *name == e))
    {
        return Ok(found.1);
    }
    let accepted = table
        .iter()
        .map(|(e, _)| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(", ");
    let what = match &ext {
        Some(e) => format!("its extension `.{e}`"),
        None => "a name without extension".to_string(),
    };
    let mut msg = format!(
        "cannot tell the output format of `{}` from {what}; use one of {accepted}, or give --format",
        path.display()
    );
    if ext.as_deref() == Some("gz") {
        msg.push_str(
            " (posture does not compress what it writes: write the .json file, then gzip it; \
             aggregate and export read .json.gz)",
        );
    }
    Err(msg)
}

/// A checked output path, ready to be written.
#[derive(Debug)]
pub struct OutputFile {
    path: PathBuf,
    how: How,
}

#[derive(Debug)]
enum How {
    /// Written beside, then renamed over the path; `keep` is the regular
    /// file being replaced, whose mode and owner the new one takes.
    Replace {
        dir: PathBuf,
        keep: Option<Metadata>,
    },
    /// A FIFO, a device, or a link under /dev or /proc: opened and written.
    Through,
}

impl OutputFile {
    /// Checks that `path` can be written: not a directory, not a symbolic
    /// link (outside /dev and /proc), in an existing directory where a file
    /// can be created (tried, then removed).
    pub fn prepare(path: &Path) -> Result<OutputFile, String> {
        let shown = path.display();
        let how = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                if !(path.starts_with("/dev") || path.starts_with("/proc")) {
                    let to = std::fs::read_link(path)
                        .map(|t| format!(" (to {})", t.display()))
                        .unwrap_or_default();
                    return Err(format!(
                        "{shown} is a symbolic link{to}; posture does not write through links \
                         (one planted in a shared directory would redirect the report): \
                         give the path of the file itself, or remove the link"
                    ));
                }
                match std::fs::metadata(path) {
                    Ok(m) if m.is_dir() => return Err(format!("{shown} is a directory")),
                    _ => How::Through,
                }
            }
            Ok(meta) if meta.is_dir() => {
                return Err(format!(
                    "{shown} is a directory; give a file name for the output"
                ))
            }
            Ok(meta) if meta.is_file() => How::Replace {
                dir: parent(path),
                keep: Some(meta),
            },
            Ok(_) => How::Through,
            // The directory's check below says what is wrong.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                How::Replace {
                    dir: parent(path),
                    keep: None,
                }
            }
            Err(e) => return Err(format!("cannot use {shown} as output: {e}")),
        };
        if let How::Replace { dir, .. } = &how {
            check_dir(path, dir)?;
        }
        Ok(OutputFile {
            path: path.to_path_buf(),
            how,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` as the whole file.
    pub fn write(&self, contents: &[u8]) -> io::Result<()> {
        let mut pending = self.create()?;
        pending.file().write_all(contents)?;
        pending.commit()
    }

    /// Starts writing: what is written to [`Pending::file`] appears at the
    /// path on [`Pending::commit`], and never if it is dropped first.
    pub fn create(&self) -> io::Result<Pending> {
        match &self.how {
            How::Through => Ok(Pending {
                file: OpenOptions::new().append(true).open(&self.path)?,
                tmp: None,
                dest: self.path.clone(),
            }),
            How::Replace { dir, keep } => {
                let (file, tmp) = temp_file(dir, &self.path)?;
                let pending = Pending {
                    file,
                    tmp: Some(tmp),
                    dest: self.path.clone(),
                };
                if let Some(meta) = keep {
                    // Root may give the file back to its owner; anyone else
                    // keeps what they can (their own groups), silently.
                    let _ = rustix::fs::fchown(
                        &pending.file,
                        Some(rustix::fs::Uid::from_raw(meta.uid())),
                        Some(rustix::fs::Gid::from_raw(meta.gid())),
                    );
                    pending
                        .file
                        .set_permissions(std::fs::Permissions::from_mode(meta.mode() & 0o777))?;
                }
                Ok(pending)
            }
        }
    }
}

/// A file being written; see [`OutputFile::create`].
#[derive(Debug)]
pub struct Pending {
    file: File,
    /// The temporary file, renamed over `dest` on commit, removed on drop.
    tmp: Option<PathBuf>,
    dest: PathBuf,
}

impl Pending {
    pub fn file(&mut self) -> &mut File {
        &mut self.file
    }

    /// Makes the written file appear at its path.
    pub fn commit(mut self) -> io::Result<()> {
        self.file.flush()?;
        if let Some(tmp) = self.tmp.take() {
            let done = self
                .file
                .sync_all()
                .and_then(|()| std::fs::rename(&tmp, &self.dest));
            if done.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            done?;
        }
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(tmp) = &self.tmp {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn check_dir(path: &Path, dir: &Path) -> Result<(), String> {
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(format!(
                "cannot write {}: {} is not a directory",
                path.display(),
                dir.display()
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(format!(
                "cannot write {}: directory {} does not exist",
                path.display(),
                dir.display()
            ))
        }
        Err(e) => {
            return Err(format!(
                "cannot write {}: {}: {e}",
                path.display(),
                dir.display()
            ))
        }
    }
    // Trying is the only test that knows about read-only mounts, ACLs and
    // full quotas.
    temp_file(dir, path)
        .and_then(|(_, tmp)| std::fs::remove_file(tmp))
        .map_err(|e| {
            format!(
                "cannot write {}: cannot create a file in {}: {e}",
                path.display(),
                dir.display()
            )
        })
}

/// A new file in `dir`, mode 0600, named after `dest`.
fn temp_file(dir: &Path, dest: &Path) -> io::Result<(File, PathBuf)> {
    let name = dest
        .file_name()
        .map_or("output".into(), |n| n.to_string_lossy());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    Ok((file, tmp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn extensions_select_formats() {
        for (name, format) in [
            ("r.json", Format::Json),
            ("R.JSON", Format::Json),
            ("out/r.html", Format::Html),
            ("r.htm", Format::Html),
            ("r.sarif", Format::Sarif),
            ("r.xml", Format::Junit),
            ("r.md", Format::Markdown),
            ("r.csv", Format::Csv),
            ("r.txt", Format::Table),
        ] {
            assert_eq!(
                format_from_extension(Path::new(name), REPORT_EXTENSIONS),
                Ok(format),
                "{name}"
            );
        }
        assert_eq!(
            format_from_extension(Path::new("f.jsonl"), EXPORT_EXTENSIONS),
            Ok(ExportFormat::Ndjson)
        );
    }

    #[test]
    fn unknown_extensions_name_the_accepted_ones() {
        let e = format_from_extension(Path::new("r.pdf"), REPORT_EXTENSIONS).unwrap_err();
        assert!(e.contains("`.pdf`"), "{e}");
        assert!(
            e.contains(".json, .html, .htm, .sarif, .xml, .md, .csv, .txt"),
            "{e}"
        );
        let e = format_from_extension(Path::new("report"), REPORT_EXTENSIONS).unwrap_err();
        assert!(e.contains("without extension"), "{e}");
        let e = format_from_extension(Path::new("r.json.gz"), REPORT_EXTENSIONS).unwrap_err();
        assert!(e.contains("gzip"), "{e}");
        assert!(format_from_extension(Path::new("r.xml"), FLEET_EXTENSIONS).is_err());
    }

    #[test]
    fn new_files_are_private_and_replaced_files_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.json");
        OutputFile::prepare(&new).unwrap().write(b"{}").unwrap();
        assert_eq!(std::fs::read(&new).unwrap(), b"{}");
        assert_eq!(mode(&new), 0o600);

        let old = dir.path().join("old.json");
        std::fs::write(&old, "old").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        OutputFile::prepare(&old).unwrap().write(b"new").unwrap();
        assert_eq!(std::fs::read(&old).unwrap(), b"new");
        assert_eq!(mode(&old), 0o644);
        // Nothing else is left in the directory: no temporary file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn an_abandoned_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        std::fs::write(&path, "old").unwrap();
        let out = OutputFile::prepare(&path).unwrap();
        let mut pending = out.create().unwrap();
        pending.file().write_all(b"half").unwrap();
        drop(pending);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn links_directories_and_missing_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = dir.path().join("link.json");
        symlink(&target, &link).unwrap();
        let e = OutputFile::prepare(&link).unwrap_err();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        // A dangling link too: it would create a file wherever it points.
        let dangling = dir.path().join("dangling.json");
        symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(OutputFile::prepare(&dangling).is_err());

        let e = OutputFile::prepare(dir.path()).unwrap_err();
        assert!(e.contains("is a directory"), "{e}");
        let e = OutputFile::prepare(&dir.path().join("no/such/r.json")).unwrap_err();
        assert!(e.contains("does not exist"), "{e}");
        let e = OutputFile::prepare(&target.join("r.json")).unwrap_err();
        assert!(e.contains("not a directory"), "{e}");
        // The checks leave nothing behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn an_unwritable_directory_is_refused() {
        // Not even root creates files in /proc.
        let e = OutputFile::prepare(Path::new("/proc/r.json")).unwrap_err();
        assert!(e.contains("cannot create a file in /proc"), "{e}");
        if rustix::process::geteuid().is_root() {
            eprintln!("skipped: root writes into any directory");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o500)).unwrap();
        let e = OutputFile::prepare(&dir.path().join("r.json")).unwrap_err();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(e.contains("cannot create a file in"), "{e}");
    }

    #[test]
    fn a_fifo_is_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let out = OutputFile::prepare(&fifo).unwrap();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        out.write(b"report").unwrap();
        assert_eq!(reader.join().unwrap(), b"report");
        let meta = std::fs::symlink_metadata(&fifo).unwrap();
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type()));
    }
}
