//! Writing reports to files: `check --output FORMAT=PATH` (repeatable) and the
//! GitHub job summary (`$GITHUB_STEP_SUMMARY`).
//!
//! A report file is often written inside the checkout of the change under
//! judgment, which may plant a symlink named like the report. So a file is
//! never written through a symlink: the report goes to a fresh temporary file
//! in the target's directory (created exclusively, `O_NOFOLLOW`) that is then
//! renamed over the target — an existing symlink there is replaced, its
//! target untouched — and a directory on the way that is a symlink (for a
//! relative path, any of its components; for an absolute one, the file's own
//! directory) is refused.

use super::{comment, Format, Verdict};
use crate::error::{Error, ErrorKind, Result};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Largest job summary written, in characters (GitHub accepts 1 MiB per step).
pub const STEP_SUMMARY_CHARS: usize = 250_000;

/// One `--output FORMAT=PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputSpec {
    /// The format written.
    pub format: Format,
    /// Where.
    pub path: PathBuf,
}

impl std::str::FromStr for OutputSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<OutputSpec> {
        let (f, p) = s.split_once('=').ok_or_else(|| {
            Error::msg(format!(
                "'{s}': expected FORMAT=PATH (e.g. sarif=manifest-gate.sarif)"
            ))
        })?;
        if p.is_empty() {
            return Err(Error::msg(format!("'{s}': the path is empty")));
        }
        Ok(OutputSpec {
            format: f.parse()?,
            path: PathBuf::from(p),
        })
    }
}

fn io_err(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::msg(format!("cannot {what} {}: {e}", path.display())).kind(ErrorKind::Io)
}

fn is_symlink(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
}

/// Refuse a directory on the way to `path` that is a symlink.
fn check_directories(path: &Path, dir: &Path) -> Result<()> {
    let refuse = |d: &Path| {
        Err(Error::msg(format!(
            "refusing to write {}: {} is a symlink",
            path.display(),
            d.display()
        ))
        .kind(ErrorKind::Confinement))
    };
    if path.is_absolute() {
        return if is_symlink(dir) { refuse(dir) } else { Ok(()) };
    }
    let mut prefix = PathBuf::new();
    for c in dir.components() {
        match c {
            Component::Normal(_) | Component::ParentDir => prefix.push(c.as_os_str()),
            _ => continue,
        }
        if is_symlink(&prefix) {
            return refuse(&prefix);
        }
    }
    Ok(())
}

/// Open a new file exclusively, never following a symlink.
fn create_new(p: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW).mode(0o644);
    }
    o.open(p)
}

/// Write `contents` to `path` without ever writing through a symlink: a
/// temporary file in the same directory, renamed over `path`.
pub fn write_file(path: &Path, contents: &str) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| Error::msg(format!("'{}' names no file", path.display())))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    check_directories(path, &dir)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.{nanos}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut f = create_new(&tmp).map_err(|e| io_err(path, "create a temporary file for", e))?;
    let written = f
        .write_all(contents.as_bytes())
        .and_then(|()| f.flush())
        .map_err(|e| io_err(path, "write", e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| io_err(path, "write", e)));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Append `contents` to the file at `path` (the runner's job summary file),
/// never through a symlink.
fn append(path: &Path, contents: &str) -> Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NOFOLLOW);
    }
    let mut f = o.open(path).map_err(|e| io_err(path, "open", e))?;
    f.write_all(contents.as_bytes())
        .map_err(|e| io_err(path, "append to", e))
}

/// The Markdown job summary of a verdict: the comment body, within
/// [`STEP_SUMMARY_CHARS`].
pub fn summary_markdown(v: &Verdict<'_>) -> String {
    match v {
        Verdict::Decided(o) => comment::comment(
            o,
            &comment::CommentOptions {
                limit: STEP_SUMMARY_CHARS,
                ..comment::CommentOptions::unlimited()
            },
        ),
        Verdict::Undecided(u) => comment::undecided_body(u),
    }
}

/// With `github` among the formats of a run, append the Markdown job summary
/// to the file `$GITHUB_STEP_SUMMARY` names (`summary_file`), when it is set.
pub fn step_summary(v: &Verdict<'_>, summary_file: Option<&Path>) -> Result<()> {
    match summary_file.filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => append(p, &format!("{}\n", summary_markdown(v))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parses() {
        let s: OutputSpec = "sarif=out/a.sarif".parse().unwrap();
        assert_eq!(s.format, Format::Sarif);
        assert_eq!(s.path, PathBuf::from("out/a.sarif"));
        assert!("sarif".parse::<OutputSpec>().is_err());
        assert!("nope=x".parse::<OutputSpec>().is_err());
        assert!("junit=".parse::<OutputSpec>().is_err());
    }
}
