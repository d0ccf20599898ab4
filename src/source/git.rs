//! A git revision, read straight from objects.
//!
//! The whole tree is walked once at open into an in-memory index (directory ->
//! entries with blob ids, kinds and symlink targets); blob contents are read on
//! demand through a mutex-guarded repository and cached by object id, so many
//! overlays reading the same files pay for each blob once. The index makes the
//! source `Send + Sync` for parallel rendering.
use super::resolve::{self, Raw, Resolved};
use super::{EntryKind, Source, DEFAULT_MAX_FILE_BYTES};
use crate::error::{Error, Result};
use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use std::collections::{BTreeMap, HashMap};

/// Directory → entries, with a fast non-cryptographic hash: path lookups are the
/// hot loop of closure computation, and the keys are tree paths, not a DoS
/// vector worth SipHash here (the tree's size is bounded when indexed).
type DirMap = HashMap<String, BTreeMap<String, GEntry>, foldhash::fast::RandomState>;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// One entry of a git tree, as indexed at open.
#[derive(Clone, Debug)]
enum GEntry {
    File(Oid),
    Dir,
    Submodule,
    Link(String),
}

/// A tree at a git revision.
pub struct GitSource {
    repo_path: PathBuf,
    commit: String,
    commit_oid: Oid,
    repo: Mutex<Repository>,
    /// Directory path ("" is the root) -> entries by name.
    dirs: DirMap,
    /// Blob contents by id; shared with the other revision's source when
    /// opened with [`GitSource::sharing_blobs_with`] (a blob unchanged between
    /// the revisions is inflated once).
    cache: Arc<RwLock<HashMap<Oid, Arc<[u8]>>>>,
    max_file_bytes: u64,
}

impl std::fmt::Debug for GitSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitSource")
            .field("repo_path", &self.repo_path)
            .field("commit", &self.commit)
            .finish()
    }
}

fn open_repo(repo: &Path) -> Result<Repository> {
    // Objects are not re-hashed on every read (git itself does not: packs are
    // verified when fetched); the hashing was a tenth of reading a revision.
    static UNVERIFIED: std::sync::Once = std::sync::Once::new();
    UNVERIFIED.call_once(|| git2::opts::strict_hash_verification(false));
    Repository::open(repo).map_err(|e| {
        Error::msg(format!(
            "cannot open git repository at '{}': {}",
            repo.display(),
            e.message()
        ))
    })
}

impl GitSource {
    /// Open `rev` (any rev-spec: branch, tag, sha, `HEAD~1`, ...) in the repository at `repo`.
    pub fn open(repo: &Path, rev: &str) -> Result<GitSource> {
        let r = open_repo(repo)?;
        let commit = super::revision::resolve_in(&r, repo, rev, "")?;
        GitSource::from_commit(r, repo, commit, rev)
    }

    /// Open exactly the commit `id` (full 40-hex sha) in the repository at `repo`.
    pub fn open_commit_id(repo: &Path, id: &str) -> Result<GitSource> {
        let r = open_repo(repo)?;
        if id.len() != 40 {
            return Err(Error::msg(format!(
                "'{id}' is not a full commit id (40 hex digits)"
            )));
        }
        let oid = Oid::from_str(id)
            .map_err(|_| Error::msg(format!("'{id}' is not a full commit id (40 hex digits)")))?;
        if r.find_commit(oid).is_err() {
            return Err(super::revision::unknown(&r, repo, id, ""));
        }
        GitSource::from_commit(r, repo, oid, id)
    }

    fn from_commit(r: Repository, repo: &Path, commit_oid: Oid, rev: &str) -> Result<GitSource> {
        let dirs = {
            let commit = r
                .find_commit(commit_oid)
                .map_err(|_| super::revision::unknown(&r, repo, rev, ""))?;
            let tree = commit.tree().map_err(|e| {
                Error::msg(format!(
                    "revision '{rev}': cannot read the commit's tree: {}",
                    e.message()
                ))
            })?;
            index_tree(&r, &tree, rev)?
        };
        Ok(GitSource {
            repo_path: repo.to_path_buf(),
            commit: commit_oid.to_string(),
            commit_oid,
            repo: Mutex::new(r),
            dirs,
            cache: Arc::default(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        })
    }

    /// Set the per-file size cap (default [`DEFAULT_MAX_FILE_BYTES`]).
    pub fn with_max_file_bytes(mut self, limit: u64) -> GitSource {
        self.max_file_bytes = limit;
        self
    }

    /// Share `other`'s blob cache: the two revisions of one run read most
    /// files at both sides, and equal ids are equal contents. The size cap is
    /// checked on every read, so sharing never lets a larger blob through.
    pub fn sharing_blobs_with(mut self, other: &GitSource) -> GitSource {
        self.cache = other.cache.clone();
        self
    }

    /// The full hex id of the commit.
    pub fn commit_id(&self) -> &str {
        &self.commit
    }

    /// The commit id as a git2 object id.
    pub fn commit_oid(&self) -> Oid {
        self.commit_oid
    }

    /// The repository path this source was opened from.
    pub fn repo_path(&self) -> &Path {
        &self.repo_path
    }

    /// The URLs of the repository's remotes (fetch URLs, in name order): what
    /// "this repository" is for GitOps objects naming a repository URL. Read
    /// from the local configuration only; nothing is fetched.
    pub fn remote_urls(&self) -> Vec<String> {
        let repo = self.repo.lock().expect("repo");
        let Ok(names) = repo.remotes() else {
            return Vec::new();
        };
        let mut out: Vec<String> = names
            .iter()
            .flatten()
            .flatten()
            .filter_map(|n| repo.find_remote(n).ok()?.url().ok().map(str::to_string))
            .collect();
        out.dedup();
        out
    }

    /// Branch names that plausibly are the branch under review: the checkout's
    /// current branch, each remote's default branch (`origin/HEAD`), `main` and
    /// `master`. Read locally; nothing is fetched.
    pub fn branch_names(&self) -> Vec<String> {
        let repo = self.repo.lock().expect("repo");
        let mut out = Vec::new();
        if let Ok(h) = repo.head() {
            if h.is_branch() {
                if let Ok(n) = h.shorthand() {
                    out.push(n.to_string());
                }
            }
        }
        if let Ok(names) = repo.remotes() {
            for r in names.iter().flatten().flatten() {
                let Ok(rf) = repo.find_reference(&format!("refs/remotes/{r}/HEAD")) else {
                    continue;
                };
                if let Some(t) = rf.symbolic_target().ok().flatten() {
                    let prefix = format!("refs/remotes/{r}/");
                    if let Some(b) = t.strip_prefix(&prefix) {
                        out.push(b.to_string());
                    }
                }
            }
        }
        out.extend(["main".to_string(), "master".to_string()]);
        out.sort();
        out.dedup();
        out
    }

    fn raw(&self, p: &str) -> Option<&GEntry> {
        self.dirs
            .get(super::parent(p))
            .and_then(|m| m.get(super::file_name(p)))
    }

    fn raw_kind(&self, c: &str) -> Raw {
        match self.raw(c) {
            None => Raw::Missing,
            Some(GEntry::File(_)) => Raw::File,
            Some(GEntry::Dir) => Raw::Dir,
            Some(GEntry::Submodule) => Raw::Submodule,
            Some(GEntry::Link(t)) => Raw::Link(t.clone()),
        }
    }

    fn resolve(&self, p: &str) -> Result<Resolved> {
        if let Some(k) = self.direct(p) {
            return Ok(Resolved::Found(p.to_string(), k));
        }
        resolve::resolve(p, |c| Ok(self.raw_kind(c)))
    }

    /// What `p` (normalised) is when it names an entry that is not a symlink:
    /// its parent is then a key of the index, which holds only directories
    /// reached without a symlink, so no component of `p` is a link and
    /// resolution is the one lookup. `None`: walk it component by component.
    fn direct(&self, p: &str) -> Option<Raw> {
        match self.raw(p)? {
            GEntry::File(_) => Some(Raw::File),
            GEntry::Dir => Some(Raw::Dir),
            GEntry::Submodule => Some(Raw::Submodule),
            GEntry::Link(_) => None,
        }
    }

    fn blob(&self, path: &str, oid: Oid) -> Result<Arc<[u8]>> {
        if let Some(d) = self
            .cache
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&oid)
        {
            if d.len() as u64 > self.max_file_bytes {
                return Err(resolve::too_large(
                    path,
                    d.len() as u64,
                    self.max_file_bytes,
                ));
            }
            return Ok(d.clone());
        }
        let data: Arc<[u8]> = {
            let repo = self.repo.lock().unwrap_or_else(PoisonError::into_inner);
            let missing = |e: git2::Error| {
                Error::in_file(
                    path,
                    format!(
                        "blob {oid} of '{path}' cannot be read from the object database ({}); \
                         a partial (--filter) clone lacks blobs: use a full clone",
                        e.message()
                    ),
                )
            };
            let odb = repo.odb().map_err(missing)?;
            let (size, _) = odb.read_header(oid).map_err(missing)?;
            if size as u64 > self.max_file_bytes {
                return Err(resolve::too_large(path, size as u64, self.max_file_bytes));
            }
            let obj = odb.read(oid).map_err(missing)?;
            Arc::from(obj.data())
        };
        self.cache
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(oid, data.clone());
        Ok(data)
    }

    fn kind_of(&self, p: &str) -> Option<EntryKind> {
        match self.resolve(p) {
            Ok(Resolved::Found(_, Raw::Dir)) => Some(EntryKind::Dir),
            Ok(Resolved::Found(_, Raw::Submodule)) => Some(EntryKind::Submodule),
            Ok(Resolved::Found(_, _)) => Some(EntryKind::File),
            _ => None,
        }
    }
}

/// Walk the tree once into directory -> entries.
fn index_tree(r: &Repository, tree: &git2::Tree<'_>, rev: &str) -> Result<DirMap> {
    let mut dirs: DirMap = DirMap::default();
    dirs.insert(String::new(), BTreeMap::new());
    let mut err: Option<Error> = None;
    let walked = tree.walk(TreeWalkMode::PreOrder, |root, entry| {
        let dir = root.trim_end_matches('/');
        let Ok(name) = entry.name() else {
            return TreeWalkResult::Skip; // non-UTF-8 names cannot be referenced
        };
        let path = if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        };
        let e = match entry.kind() {
            Some(ObjectType::Tree) => {
                dirs.entry(path).or_default();
                GEntry::Dir
            }
            Some(ObjectType::Commit) => GEntry::Submodule,
            Some(ObjectType::Blob) if entry.filemode() == 0o120000 => match r.find_blob(entry.id())
            {
                Ok(b) => GEntry::Link(String::from_utf8_lossy(b.content()).into_owned()),
                Err(e) => {
                    err = Some(Error::in_file(
                        &path,
                        format!("cannot read symlink target: {}", e.message()),
                    ));
                    return TreeWalkResult::Abort;
                }
            },
            _ => GEntry::File(entry.id()),
        };
        dirs.entry(dir.to_string())
            .or_default()
            .insert(name.to_string(), e);
        TreeWalkResult::Ok
    });
    if let Some(e) = err {
        return Err(e);
    }
    walked.map_err(|e| {
        Error::msg(format!(
            "revision '{rev}': cannot read the tree: {}",
            e.message()
        ))
    })?;
    Ok(dirs)
}

impl Source for GitSource {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        let p = resolve::normalise(path)?;
        let r = self.resolve(&p)?;
        let oid = match &r {
            Resolved::Found(phys, Raw::File) => match self.raw(phys) {
                Some(GEntry::File(oid)) => *oid,
                _ => return Err(resolve::not_readable(&p, &r)),
            },
            _ => return Err(resolve::not_readable(&p, &r)),
        };
        let data = self.blob(&p, oid)?;
        resolve::check_lfs(&p, &data)?;
        Ok(data)
    }

    fn content_id(&self, path: &str) -> Option<[u8; 20]> {
        let p = resolve::normalise(path).ok()?;
        match self.resolve(&p).ok()? {
            Resolved::Found(phys, Raw::File) => match self.raw(&phys) {
                Some(GEntry::File(oid)) => oid.as_bytes().try_into().ok(),
                _ => None,
            },
            _ => None,
        }
    }

    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        let p = resolve::normalise(path)?;
        resolve::entry_kind(&p, self.resolve(&p)?)
    }

    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let d = resolve::normalise(dir)?;
        let phys = resolve::directory(&d, self.resolve(&d)?)?;
        let mut out = Vec::new();
        if let Some(entries) = self.dirs.get(&phys) {
            for (name, e) in entries {
                let kind = match e {
                    GEntry::File(_) => Some(EntryKind::File),
                    GEntry::Dir => Some(EntryKind::Dir),
                    GEntry::Submodule => Some(EntryKind::Submodule),
                    GEntry::Link(_) => {
                        let child = if phys.is_empty() {
                            name.clone()
                        } else {
                            format!("{phys}/{name}")
                        };
                        self.kind_of(&child)
                    }
                };
                if let Some(k) = kind {
                    out.push((name.clone(), k));
                }
            }
        }
        Ok(out)
    }

    fn describe(&self) -> String {
        format!("revision {}", &self.commit[..12.min(self.commit.len())])
    }

    fn trace(&self, path: &str) -> Vec<String> {
        match resolve::normalise(path) {
            Ok(p) if self.direct(&p).is_some() => vec![p],
            Ok(p) => resolve::trace(&p, |c| Ok(self.raw_kind(c))),
            Err(_) => vec![path.to_string()],
        }
    }

    fn all_files(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for (dir, entries) in &self.dirs {
            for (name, e) in entries {
                let path = if dir.is_empty() {
                    name.clone()
                } else {
                    format!("{dir}/{name}")
                };
                match e {
                    GEntry::File(_) => out.push(path),
                    GEntry::Link(_) if self.kind_of(&path) == Some(EntryKind::File) => {
                        out.push(path)
                    }
                    _ => {}
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_source_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<GitSource>();
    }
}
