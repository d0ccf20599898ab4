//! The working tree on disk, with the same semantics as a git revision:
//! symlinks are followed inside the root only, `.git` is never read, nested
//! repositories (directories containing `.git`) are submodules, and files over
//! the size cap are refused before reading.
use super::resolve::{self, Raw, Resolved};
use super::{EntryKind, Source, DEFAULT_MAX_FILE_BYTES};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};

/// The working tree under a root directory. What each path names (file,
/// directory, link) is looked up once and remembered: a render sees the tree as
/// it was when first looked at, and resolving the many paths a render reads does
/// not repeat the same `lstat` calls.
#[derive(Debug)]
pub struct FsSource {
    root: PathBuf,
    max_file_bytes: u64,
    lookups: RwLock<HashMap<String, Raw>>,
}

impl FsSource {
    /// A source rooted at `root` (must be a directory).
    pub fn new(root: impl Into<PathBuf>) -> Result<FsSource> {
        let root = root.into();
        let canon = root
            .canonicalize()
            .map_err(|e| Error::msg(format!("{}: {e}", root.display())))?;
        if !canon.is_dir() {
            return Err(Error::msg(format!("{}: not a directory", root.display())));
        }
        Ok(FsSource {
            root: canon,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            lookups: RwLock::new(HashMap::new()),
        })
    }

    /// Set the per-file size cap (default [`DEFAULT_MAX_FILE_BYTES`]).
    pub fn with_max_file_bytes(mut self, limit: u64) -> FsSource {
        self.max_file_bytes = limit;
        self
    }

    /// The canonical root directory.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    /// Describe one physical (symlink-free) path without following it (cached).
    fn lookup(&self, p: &str) -> Result<Raw> {
        if let Some(r) = self
            .lookups
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(p)
        {
            return Ok(r.clone());
        }
        let r = self.lookup_uncached(p)?;
        self.lookups
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(p.to_string(), r.clone());
        Ok(r)
    }

    fn lookup_uncached(&self, p: &str) -> Result<Raw> {
        let full = self.root.join(p);
        let m = match std::fs::symlink_metadata(&full) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Raw::Missing),
            // ENOTDIR: a file used as a directory.
            Err(e) if e.raw_os_error() == Some(20) => return Ok(Raw::Missing),
            Err(e) => return Err(Error::in_file(p, e.to_string())),
        };
        let ft = m.file_type();
        Ok(if ft.is_symlink() {
            let t = std::fs::read_link(&full)
                .map_err(|e| Error::in_file(p, format!("cannot read symlink: {e}")))?;
            match t.to_str() {
                Some(s) => Raw::Link(s.to_string()),
                None => return Err(Error::in_file(p, "symlink target is not valid UTF-8")),
            }
        } else if ft.is_dir() {
            if !p.is_empty() && std::fs::symlink_metadata(full.join(".git")).is_ok() {
                Raw::Submodule
            } else {
                Raw::Dir
            }
        } else if ft.is_file() {
            Raw::File
        } else {
            Raw::Special
        })
    }

    fn resolve(&self, p: &str) -> Result<Resolved> {
        resolve::resolve(p, |c| self.lookup(c))
    }

    fn kind_of_link(&self, p: &str) -> Option<EntryKind> {
        match self.resolve(p) {
            Ok(Resolved::Found(_, Raw::Dir)) => Some(EntryKind::Dir),
            Ok(Resolved::Found(_, Raw::Submodule)) => Some(EntryKind::Submodule),
            Ok(Resolved::Found(_, Raw::File)) => Some(EntryKind::File),
            _ => None,
        }
    }

    /// Names in a physical directory, sorted, without `.git`.
    fn names(&self, phys: &str) -> Result<Vec<String>> {
        let rd = std::fs::read_dir(self.root.join(phys))
            .map_err(|e| Error::in_file(phys, e.to_string()))?;
        let mut names = Vec::new();
        for e in rd {
            let e = e.map_err(|e| Error::in_file(phys, e.to_string()))?;
            // Names that are not UTF-8 cannot be referenced from a kustomization.
            if let Some(n) = e.file_name().to_str() {
                if n != ".git" {
                    names.push(n.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }
}

fn child(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

impl Source for FsSource {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        let p = resolve::normalise(path)?;
        let r = self.resolve(&p)?;
        let phys = match &r {
            Resolved::Found(phys, Raw::File) => phys.clone(),
            _ => return Err(resolve::not_readable(&p, &r)),
        };
        let full = self.root.join(&phys);
        // Belt and braces against a tree changing under us: the file must still be inside the root.
        let canon = full
            .canonicalize()
            .map_err(|e| Error::in_file(&p, e.to_string()))?;
        if !canon.starts_with(&self.root) {
            return Err(Error::in_file(
                &p,
                format!("'{p}' resolves outside the repository root"),
            ));
        }
        let f = std::fs::File::open(&canon).map_err(|e| Error::in_file(&p, e.to_string()))?;
        let len = f
            .metadata()
            .map_err(|e| Error::in_file(&p, e.to_string()))?
            .len();
        if len > self.max_file_bytes {
            return Err(resolve::too_large(&p, len, self.max_file_bytes));
        }
        let mut buf = Vec::with_capacity(len as usize);
        f.take(self.max_file_bytes + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::in_file(&p, e.to_string()))?;
        if buf.len() as u64 > self.max_file_bytes {
            return Err(resolve::too_large(
                &p,
                buf.len() as u64,
                self.max_file_bytes,
            ));
        }
        resolve::check_lfs(&p, &buf)?;
        Ok(Arc::from(buf))
    }

    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        let p = resolve::normalise(path)?;
        resolve::entry_kind(&p, self.resolve(&p)?)
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let d = resolve::normalise(dir)?;
        let phys = resolve::directory(&d, self.resolve(&d)?)?;
        let mut out = Vec::new();
        for name in self.names(&phys)? {
            let c = child(&phys, &name);
            let kind = match self.lookup(&c)? {
                Raw::Missing => None,
                Raw::File | Raw::Special => Some(EntryKind::File),
                Raw::Dir => Some(EntryKind::Dir),
                Raw::Submodule => Some(EntryKind::Submodule),
                Raw::Link(_) => self.kind_of_link(&c),
            };
            if let Some(k) = kind {
                out.push((name, k));
            }
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        "working tree".into()
    }

    fn trace(&self, path: &str) -> Vec<String> {
        match resolve::normalise(path) {
            Ok(p) => resolve::trace(&p, |c| self.lookup(c)),
            Err(_) => vec![path.to_string()],
        }
    }

    fn all_files(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let mut stack = vec![String::new()];
        while let Some(dir) = stack.pop() {
            for name in self.names(&dir)? {
                let c = child(&dir, &name);
                match self.lookup(&c)? {
                    Raw::File => out.push(c),
                    Raw::Dir => stack.push(c),
                    Raw::Link(_) if self.kind_of_link(&c) == Some(EntryKind::File) => out.push(c),
                    _ => {}
                }
            }
        }
        out.sort();
        Ok(out)
    }
}
