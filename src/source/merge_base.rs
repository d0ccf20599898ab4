//! Commit-graph questions the CI and hook front ends ask: resolve a revision to
//! a commit, find the merge base of two commits, name a remote's default branch,
//! and tell whether the clone is shallow. Everything goes through git2 (this
//! module is in `source`, the only stage that opens repositories).

use crate::error::{Error, ErrorKind, Result};
use git2::{Oid, Repository};
use std::path::{Path, PathBuf};

/// An all-zero object id, as git prints for "no commit" (new or deleted refs).
pub fn is_zero_sha(sha: &str) -> bool {
    !sha.is_empty() && sha.bytes().all(|b| b == b'0')
}

/// A repository opened for commit-graph questions.
pub struct Graph {
    repo: Repository,
    root: PathBuf,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph").field("root", &self.root).finish()
    }
}

/// Why a merge base could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeBase {
    /// The merge base commit id.
    Found(String),
    /// A revision does not resolve to a commit here (missing from the clone).
    Missing(String),
    /// Both commits exist but no common ancestor is present (shallow history or unrelated).
    NoCommonAncestor,
}

impl Graph {
    /// Open the repository at (or enclosing) `root`.
    pub fn open(root: &Path) -> Result<Graph> {
        let repo = Repository::open(root).map_err(|e| {
            Error::msg(format!(
                "cannot open git repository at '{}': {}",
                root.display(),
                e.message()
            ))
            .kind(ErrorKind::Git)
        })?;
        Ok(Graph {
            repo,
            root: root.to_path_buf(),
        })
    }

    /// Discover the repository enclosing `dir` (used by the hook, which git runs at the work tree).
    pub fn discover(dir: &Path) -> Result<Graph> {
        let repo = Repository::discover(dir).map_err(|e| {
            Error::msg(format!(
                "'{}' is not inside a git repository: {}",
                dir.display(),
                e.message()
            ))
            .kind(ErrorKind::Git)
        })?;
        let root = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
        Ok(Graph { repo, root })
    }

    /// The work tree root (the git directory for a bare repository).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where git looks for hooks: `core.hooksPath` when set (relative to the
    /// work tree), else `<git dir>/hooks`.
    pub fn hooks_dir(&self) -> PathBuf {
        let configured = self
            .repo
            .config()
            .ok()
            .and_then(|c| c.get_path("core.hooksPath").ok());
        match configured {
            Some(p) if p.is_absolute() => p,
            Some(p) => self.root.join(p),
            None => self.repo.path().join("hooks"),
        }
    }

    /// Whether the clone is shallow.
    pub fn is_shallow(&self) -> bool {
        self.repo.is_shallow()
    }

    /// The full commit id `rev` names (tags are peeled), or `None` when it does not resolve.
    pub fn commit(&self, rev: &str) -> Option<String> {
        if rev.is_empty() || rev.starts_with('-') {
            return None;
        }
        let obj = self.repo.revparse_single(rev).ok()?;
        obj.peel_to_commit().ok().map(|c| c.id().to_string())
    }

    /// Whether `rev` names an object that is not a commit (a tag of a tree or blob).
    pub fn names_non_commit(&self, rev: &str) -> bool {
        match self.repo.revparse_single(rev) {
            Ok(obj) => obj.peel_to_commit().is_err(),
            Err(_) => false,
        }
    }

    /// The merge base of two revisions.
    pub fn merge_base(&self, a: &str, b: &str) -> MergeBase {
        let Some(ca) = self.commit(a) else {
            return MergeBase::Missing(a.to_string());
        };
        let Some(cb) = self.commit(b) else {
            return MergeBase::Missing(b.to_string());
        };
        let (Ok(oa), Ok(ob)) = (Oid::from_str(&ca), Oid::from_str(&cb)) else {
            return MergeBase::NoCommonAncestor;
        };
        match self.repo.merge_base(oa, ob) {
            Ok(oid) => MergeBase::Found(oid.to_string()),
            Err(_) => MergeBase::NoCommonAncestor,
        }
    }

    /// The default branch of `remote` as a revision (`origin/main`): the target
    /// of `refs/remotes/<remote>/HEAD`, else `<remote>/main`, `<remote>/master`.
    pub fn remote_default_branch(&self, remote: &str) -> Option<String> {
        let head = format!("refs/remotes/{remote}/HEAD");
        if let Ok(r) = self.repo.find_reference(&head) {
            if let Ok(Some(target)) = r.symbolic_target() {
                if let Some(short) = target.strip_prefix("refs/remotes/") {
                    if self.commit(target).is_some() {
                        return Some(short.to_string());
                    }
                }
            }
        }
        ["main", "master"]
            .iter()
            .map(|b| format!("{remote}/{b}"))
            .find(|rev| self.commit(&format!("refs/remotes/{rev}")).is_some())
    }
}

/// The base a change is judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeBase {
    /// The revision to compare `head` with: the merge base, or `base` as given.
    pub rev: String,
    /// Set when the merge base differs from `base` (the target moved on): says so.
    pub note: Option<String>,
}

/// merge-base(`base`, `head`): what the forge's own pull request diff compares,
/// so that a branch is judged by its own change, not by what landed on the
/// target after it forked. A revision that does not resolve is passed through
/// unchanged (the source stage then reports it, with the `git fetch` to run);
/// commits without a common ancestor are refused (`--base-exact` compares the
/// trees as given).
pub fn change_base(root: &Path, base: &str, head: &str) -> Result<ChangeBase> {
    let as_given = ChangeBase {
        rev: base.to_string(),
        note: None,
    };
    let Ok(graph) = Graph::open(root) else {
        return Ok(as_given);
    };
    match graph.merge_base(base, head) {
        MergeBase::Missing(_) => Ok(as_given),
        // `base` is an ancestor of `head`: keep the name the user gave.
        MergeBase::Found(mb) if graph.commit(base).as_deref() == Some(mb.as_str()) => Ok(as_given),
        MergeBase::Found(mb) => {
            let short: String = mb.chars().take(12).collect();
            let note = format!(
                "note: judging '{head}' against merge-base('{base}', '{head}') = {short}: '{base}' moved on after the change forked (--base-exact compares with '{base}' itself)"
            );
            Ok(ChangeBase {
                rev: mb,
                note: Some(note),
            })
        }
        MergeBase::NoCommonAncestor if graph.is_shallow() => Err(Error::msg(format!(
            "'{base}' and '{head}' have no merge base in this shallow clone: run `git fetch --deepen=200 origin` (or check out with full history), or pass --base-exact"
        ))
        .kind(ErrorKind::Git)),
        MergeBase::NoCommonAncestor => Err(Error::msg(format!(
            "'{base}' and '{head}' share no history, so there is no change to judge; pass --base-exact to compare the two trees anyway"
        ))
        .kind(ErrorKind::Git)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_sha() {
        assert!(is_zero_sha("0000000000000000000000000000000000000000"));
        assert!(!is_zero_sha(""));
        assert!(!is_zero_sha("0000000000000000000000000000000000000001"));
    }

    #[test]
    fn merge_base_of_diverged_branches() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let sig = git2::Signature::now("t", "t@example.com").unwrap();
        let tree = {
            let mut idx = repo.index().unwrap();
            let id = idx.write_tree().unwrap();
            repo.find_tree(id).unwrap()
        };
        let root = repo.commit(None, &sig, &sig, "root", &tree, &[]).unwrap();
        let rc = repo.find_commit(root).unwrap();
        let a = repo.commit(None, &sig, &sig, "a", &tree, &[&rc]).unwrap();
        let b = repo.commit(None, &sig, &sig, "b", &tree, &[&rc]).unwrap();
        let g = Graph::open(dir.path()).unwrap();
        assert_eq!(
            g.merge_base(&a.to_string(), &b.to_string()),
            MergeBase::Found(root.to_string())
        );
        let missing = "1234567890123456789012345678901234567890";
        assert_eq!(
            g.merge_base(&a.to_string(), missing),
            MergeBase::Missing(missing.to_string())
        );
        assert_eq!(g.commit("--help"), None);
        assert!(!g.is_shallow());
        assert_eq!(g.hooks_dir(), repo.path().join("hooks"));
    }
}
