//! The working tree on disk.
use super::{EntryKind, Source};
use crate::error::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// The working tree under a root directory.
pub struct FsSource {
    root: PathBuf,
}

impl FsSource {
    /// A source rooted at `root` (must be a directory).
    pub fn new(root: impl Into<PathBuf>) -> Result<FsSource> {
        let root = root.into();
        let root = root.canonicalize().map_err(|e| Error::msg(format!("{}: {e}", root.display())))?;
        Ok(FsSource { root })
    }
}

impl Source for FsSource {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        let p = self.root.join(path);
        std::fs::read(&p).map(Arc::from).map_err(|e| Error::in_file(path, e.to_string()))
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        let p = self.root.join(path);
        Ok(match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => Some(EntryKind::Dir),
            Ok(_) => Some(EntryKind::File),
            Err(_) => None,
        })
    }
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let mut out = Vec::new();
        let rd = std::fs::read_dir(self.root.join(dir)).map_err(|e| Error::in_file(dir, e.to_string()))?;
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let kind = if e.path().is_dir() { EntryKind::Dir } else { EntryKind::File };
            out.push((name, kind));
        }
        out.sort();
        Ok(out)
    }
    fn describe(&self) -> String {
        "working tree".into()
    }
}
