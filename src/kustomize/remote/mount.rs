//! Remote bases as their own confinement roots, mounted into the renderer's
//! path space.
//!
//! With `--fetch-remote`, a remote `resources`/`components` entry admitted by
//! the [`RemotePolicy`] is fetched once per run ([`Remotes::resolve`]) and
//! its commit mounted at `.git/remote/<host[:port]>/<repo>@<commit>`: a path
//! no repository file can have (the repository's sources never read `.git/`).
//! [`Mounted`] routes reads under a mount to that commit's tree (read offline
//! by git2 from the cache), every other read to the repository. Symlinks are
//! resolved inside each tree; a kustomization inside a remote base may not
//! name a path outside that base, and one in the repository may not name a
//! path inside a mount ([`crate::source::join`] is the check).

use super::fetch::fetch;
use super::policy::RemotePolicy;
use super::RemoteRef;
use crate::error::{Error, ErrorKind, Result};
use crate::source::{EntryKind, GitSource, Source};
use crate::yaml::Pos;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

pub use crate::source::{mount_root as root_of, MOUNT_PREFIX};

/// A remote base, fetched and mounted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The directory holding its kustomization, in the renderer's path space.
    pub dir: String,
    /// That directory inside the repository (`""`: the root).
    pub subdir: String,
    /// The URL cloned (kustomize's `origin.repo`).
    pub repo: String,
    /// The ref as written (kustomize's `origin.ref`).
    pub git_ref: String,
}

/// The remote bases of one run: the policy, the cache, and what was fetched.
pub struct Remotes {
    policy: RemotePolicy,
    cache_dir: PathBuf,
    max_file_bytes: u64,
    /// Raw reference -> mounted directory (or the refusal), so each reference
    /// is checked and fetched once per run.
    resolved: Mutex<HashMap<String, Result<Resolved>>>,
    /// Mount root -> the fetched tree.
    mounts: RwLock<HashMap<String, Arc<GitSource>>>,
}

impl std::fmt::Debug for Remotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remotes")
            .field("cache_dir", &self.cache_dir)
            .finish()
    }
}

impl Remotes {
    /// Remote bases admitted by `policy`, fetched into `cache_dir`; files read
    /// from them are capped at `max_file_bytes` like the repository's.
    pub fn new(policy: RemotePolicy, cache_dir: PathBuf, max_file_bytes: u64) -> Remotes {
        Remotes {
            policy,
            cache_dir,
            max_file_bytes,
            resolved: Mutex::new(HashMap::new()),
            mounts: RwLock::new(HashMap::new()),
        }
    }

    /// The directory (in the renderer's path space) holding the kustomization
    /// `raw` names, written at `pos`: checked against the policy, fetched
    /// (once per run) and mounted. A refusal names `pos`.
    pub fn resolve(&self, raw: &str, pos: &Pos) -> Result<Resolved> {
        let key = raw.trim().to_string();
        let mut memo = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
        let result = match memo.get(&key) {
            Some(r) => r.clone(),
            None => {
                let r = self.resolve_once(&key);
                memo.insert(key, r.clone());
                r
            }
        };
        result.map_err(|e| Error {
            pos: pos.clone(),
            ..e
        })
    }

    fn resolve_once(&self, raw: &str) -> Result<Resolved> {
        let r = RemoteRef::parse(raw).ok_or_else(|| {
            Error::msg(format!(
                "remote reference '{raw}' is not a git repository reference: only pinned git repositories are fetched (vendor the file into the repository)"
            ))
            .kind(ErrorKind::Remote)
        })?;
        self.policy.admit(&r, &Pos::none())?;
        let fetched = fetch(&r, &self.policy, &self.cache_dir)?;
        let src = GitSource::open_commit_id(&fetched.git_dir, &fetched.commit)
            .map_err(|e| {
                Error::msg(format!("remote base '{raw}': {}", e.msg)).kind(ErrorKind::Remote)
            })?
            .with_max_file_bytes(self.max_file_bytes);
        let root = format!(
            "{MOUNT_PREFIX}{}/{}@{}",
            r.authority, r.repo, fetched.commit
        );
        self.mounts
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(root.clone(), Arc::new(src));
        let dir = if r.subdir.is_empty() {
            root
        } else {
            format!("{root}/{}", r.subdir)
        };
        Ok(Resolved {
            dir,
            subdir: r.subdir,
            repo: r.clone_url,
            git_ref: r.git_ref.unwrap_or_default(),
        })
    }

    /// The mounted tree `path` lies in, and the path inside it.
    fn locate(&self, path: &str) -> Option<(Arc<GitSource>, String)> {
        let root = root_of(path);
        if root.is_empty() {
            return None;
        }
        let src = self
            .mounts
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(root)
            .cloned()?;
        let rel = path[root.len()..].trim_start_matches('/').to_string();
        Some((src, rel))
    }
}

/// `--fetch-remote` and `--cache-dir`.
#[derive(Clone, Debug, Default)]
pub struct FetchOptions {
    /// Fetch admitted remote bases (never by default).
    pub fetch: bool,
    /// The cache directory; default [`super::default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
}

impl FetchOptions {
    /// The run's remote bases under `policy`, for the repository at
    /// `repo_root`: `None` without `--fetch-remote`. The cache directory is
    /// created, and must lie outside the repository.
    pub fn remotes(
        &self,
        policy: &RemotePolicy,
        repo_root: &Path,
        max_file_bytes: u64,
    ) -> Result<Option<Arc<Remotes>>> {
        if !self.fetch {
            return Ok(None);
        }
        let dir = match &self.cache_dir {
            Some(d) => d.clone(),
            None => super::default_cache_dir().ok_or_else(|| {
                Error::msg(
                    "--fetch-remote needs --cache-dir: neither XDG_CACHE_HOME nor HOME is set",
                )
                .kind(ErrorKind::Config)
            })?,
        };
        let io = |e: std::io::Error| {
            Error::msg(format!("cache directory '{}': {e}", dir.display())).kind(ErrorKind::Io)
        };
        let root = repo_root
            .canonicalize()
            .unwrap_or_else(|_| repo_root.to_path_buf());
        // Checked before anything is created: the nearest existing ancestor, resolved.
        let abs = std::path::absolute(&dir).map_err(io)?;
        let mut probe = abs.as_path();
        let mut rest = Vec::new();
        while !probe.exists() {
            match (probe.parent(), probe.file_name()) {
                (Some(p), Some(n)) => {
                    rest.push(n.to_os_string());
                    probe = p;
                }
                _ => break,
            }
        }
        let mut resolved = probe.canonicalize().map_err(io)?;
        for n in rest.iter().rev() {
            resolved.push(n);
        }
        if resolved.starts_with(&root) {
            return Err(Error::msg(format!(
                "the cache directory '{}' is inside the repository '{}': use --cache-dir outside it",
                resolved.display(),
                root.display()
            ))
            .kind(ErrorKind::Config));
        }
        std::fs::create_dir_all(&resolved).map_err(io)?;
        let dir = resolved.canonicalize().map_err(io)?;
        Ok(Some(Arc::new(Remotes::new(
            policy.clone(),
            dir,
            max_file_bytes,
        ))))
    }
}

/// The repository's source with the remote bases of a run mounted in.
pub struct Mounted<'a> {
    /// The repository.
    pub inner: &'a dyn Source,
    /// The remote bases (`None`: nothing is mounted; remote content is refused).
    pub remotes: Option<Arc<Remotes>>,
}

impl Mounted<'_> {
    fn route(&self, path: &str) -> Option<(Arc<GitSource>, String)> {
        self.remotes.as_ref().and_then(|r| r.locate(path))
    }
}

/// An error from a mounted tree, naming the path as the renderer knows it.
fn mounted_err(path: &str, e: Error) -> Error {
    let root = root_of(path);
    let mut msg = e.msg;
    if e.kind == ErrorKind::Confinement {
        msg = format!("{msg} (the remote base's root is '{root}')");
    }
    Error::in_file(path, msg).kind(e.kind)
}

impl Source for Mounted<'_> {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        match self.route(path) {
            Some((src, rel)) => src.read(&rel).map_err(|e| mounted_err(path, e)),
            None => self.inner.read(path),
        }
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        match self.route(path) {
            Some((src, rel)) => src.entry(&rel).map_err(|e| mounted_err(path, e)),
            None => self.inner.entry(path),
        }
    }
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        match self.route(dir) {
            Some((src, rel)) => src.list(&rel).map_err(|e| mounted_err(dir, e)),
            None => self.inner.list(dir),
        }
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn all_files(&self) -> Result<Vec<String>> {
        self.inner.all_files()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots() {
        let m = ".git/remote/github.com/org/repo@0123abcd";
        assert_eq!(root_of(m), m);
        assert_eq!(root_of(&format!("{m}/base/kustomization.yaml")), m);
        assert_eq!(root_of("app/kustomization.yaml"), "");
        assert_eq!(root_of(""), "");
        assert_eq!(root_of(".git/remote/x/y"), ".git/remote/x/y");
        assert_ne!(
            root_of(".git/remote/h/o/r@1/x"),
            root_of(".git/remote/h/o/r@2/x")
        );
    }
}
