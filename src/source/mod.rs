//! Sources: a tree of files to render from. Two implementations share one trait:
//! a git revision read straight from objects ([`GitSource`]) and the working
//! tree on disk ([`FsSource`]). Paths are repository-relative, `/`-separated and
//! normalised (no `.`, `..`, or leading `/`); the root is `""`. Nothing outside
//! the repository root is ever read, and `.git/` is never readable.

use crate::error::{Error, Result};
use std::sync::Arc;

pub mod bare;
mod fs;
mod git;
pub mod merge_base;
mod resolve;
pub mod revision;
mod treediff;

pub use fs::FsSource;
pub use git::GitSource;
pub use revision::{ChangedFile, Revision};

/// The default per-file size cap (16 MiB): larger files are refused before reading.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// What a path names (after following symlinks inside the tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A git submodule (not renderable).
    Submodule,
}

/// A tree of files at one revision (or the working tree).
pub trait Source: Send + Sync {
    /// Read a file. Symlinks are followed inside the tree; a link leaving the
    /// root, a missing file, a directory, a submodule, or a path in `.git/` is an error
    /// naming the path.
    fn read(&self, path: &str) -> Result<Arc<[u8]>>;
    /// What `path` is, or `None` when it does not exist.
    fn entry(&self, path: &str) -> Result<Option<EntryKind>>;
    /// The entries of a directory: names (not paths) with their kinds, sorted by name.
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>>;
    /// A short description for messages: `working tree` or `revision <sha>`.
    fn describe(&self) -> String;
    /// Every repository path the meaning of `path` depends on: `path` itself,
    /// each symlink followed while resolving it (link paths, whose targets may
    /// be retargeted) and the resolved physical path (a change to a link's
    /// target shows there). A missing path names the missing physical entry.
    /// The default, for sources without links, is `path` alone.
    fn trace(&self, path: &str) -> Vec<String> {
        vec![path.to_string()]
    }
    /// An id of the content `read(path)` returns, equal exactly when the bytes
    /// are (a git blob id), so that what is derived from a file is computed once
    /// across revisions. `None` when the source has no such id (the working tree).
    fn content_id(&self, _path: &str) -> Option<[u8; 20]> {
        None
    }
    /// Every file path in the tree (repository-relative, sorted). Symlinks that
    /// resolve to a file inside the tree are listed under their own path;
    /// directories reached through symlinks are not descended into; submodules
    /// and `.git/` are skipped.
    fn all_files(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut dirs = vec![String::new()];
        while let Some(dir) = dirs.pop() {
            for (name, kind) in self.list(&dir)? {
                let path = if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                };
                match kind {
                    EntryKind::File => out.push(path),
                    // Bound the depth: list() follows symlinks, which may loop.
                    EntryKind::Dir if path.split('/').count() < 64 => dirs.push(path),
                    EntryKind::Dir => {}
                    EntryKind::Submodule => {}
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// A check run around every file read of a wrapped source: confinement (a
/// load restrictor), budgets. Entries and listings load nothing and are not
/// checked.
pub trait ReadCheck: Send + Sync {
    /// Before `path` is read: an error refuses the read.
    fn before(&self, _path: &str) -> Result<()> {
        Ok(())
    }
    /// After `path` was read as `data`: an error refuses what was read.
    fn after(&self, _path: &str, _data: &[u8]) -> Result<()> {
        Ok(())
    }
}

/// `inner` with a [`ReadCheck`] around every read; everything else (entries,
/// listings, symlink traces, descriptions) is forwarded unchanged, so a
/// wrapper never hides a link from the incremental diff.
pub struct Checked<'a, C> {
    /// The source read from.
    pub inner: &'a dyn Source,
    /// The check run around each read.
    pub check: C,
}

impl<C: ReadCheck> Source for Checked<'_, C> {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        self.check.before(path)?;
        let data = self.inner.read(path)?;
        self.check.after(path, &data)?;
        Ok(data)
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        self.inner.entry(path)
    }
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        self.inner.list(dir)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn trace(&self, path: &str) -> Vec<String> {
        self.inner.trace(path)
    }
    fn all_files(&self) -> Result<Vec<String>> {
        self.inner.all_files()
    }
}

/// Join a relative path onto a repository-relative directory and normalise it.
/// Absolute paths and paths leaving the repository root are errors.
pub fn join(dir: &str, rel: &str) -> Result<String> {
    if rel.starts_with('/') || rel.starts_with('\\') || (rel.len() > 1 && rel.as_bytes()[1] == b':')
    {
        return Err(Error::msg(format!(
            "absolute path '{rel}' is not allowed: paths must be relative to the kustomization"
        )));
    }
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(Error::msg(format!(
                        "path '{rel}' (from '{}') leaves the repository root",
                        if dir.is_empty() { "." } else { dir }
                    ))
                    .kind(crate::error::ErrorKind::Confinement));
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    let root = mount_root(dir);
    if !root.is_empty() && mount_root(&joined) != root {
        return Err(Error::msg(format!(
            "path '{rel}' (from '{dir}') leaves the remote base's root '{root}': a remote base is its own root"
        ))
        .kind(crate::error::ErrorKind::Confinement));
    }
    if root.is_empty() && (joined == ".git" || joined.starts_with(".git/")) {
        return Err(Error::msg(format!(
            "path '{joined}' is inside .git/, which is never read"
        )));
    }
    Ok(joined)
}

/// Where the renderer mounts fetched remote bases (`kustomize::remote`): a
/// path no repository file can have, since `.git/` is never read.
pub const MOUNT_PREFIX: &str = ".git/remote/";

/// The confinement root `path` lies in: the mount root
/// (`.git/remote/<host>/<repo>@<commit>`) for a path inside a remote base,
/// `""` for a repository path. [`join`] never leaves the root of its `dir`.
pub fn mount_root(path: &str) -> &str {
    let Some(rest) = path.strip_prefix(MOUNT_PREFIX) else {
        return "";
    };
    let mut end = MOUNT_PREFIX.len();
    for seg in rest.split('/') {
        end += seg.len();
        if seg.contains('@') {
            return &path[..end];
        }
        end += 1;
    }
    path
}

/// The parent directory of a repository-relative path (`""` for top-level entries).
pub fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[..i],
        None => "",
    }
}

/// The last component of a path.
pub fn file_name(path: &str) -> &str {
    match path.rfind('/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalises_and_confines() {
        assert_eq!(join("a/b", "../c/./d.yaml").unwrap(), "a/c/d.yaml");
        assert_eq!(join("", "x").unwrap(), "x");
        assert!(join("a", "../../x").is_err());
        assert!(join("a", "/etc/passwd").is_err());
        assert!(join("", ".git/config").is_err());
    }
}
