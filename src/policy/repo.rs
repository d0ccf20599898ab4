//! Git access for the gate: resolve revisions (with the fix when one is
//! missing), list and read files at a revision, and list the files changed
//! between two revisions.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// A resolved commit in an open repository.
pub struct Rev {
    /// The rev-spec as given.
    pub spec: String,
    /// The commit id.
    pub oid: git2::Oid,
}

/// Open the repository at `repo` (or a parent directory of it).
pub fn open(repo: &Path) -> Result<git2::Repository> {
    git2::Repository::discover(repo).map_err(|e| {
        Error::msg(format!(
            "'{}' is not a git repository ({}): pass the repository with --repo PATH",
            repo.display(),
            e.message()
        ))
    })
}

/// Resolve `spec` to a commit; a missing revision is an error that says how to fetch it.
pub fn resolve(repo: &git2::Repository, spec: &str, role: &str) -> Result<Rev> {
    let obj = match repo.revparse_single(spec) {
        Ok(o) => o,
        Err(e) => {
            return Err(Error::msg(missing_rev_message(
                repo,
                spec,
                role,
                e.message(),
            )))
        }
    };
    let commit = obj.peel_to_commit().map_err(|_| {
        Error::msg(format!(
            "{role} revision '{spec}' is a {}, not a commit: pass a commit, branch or tag",
            kind_name(&obj)
        ))
    })?;
    Ok(Rev {
        spec: spec.to_string(),
        oid: commit.id(),
    })
}

fn kind_name(obj: &git2::Object) -> &'static str {
    match obj.kind() {
        Some(git2::ObjectType::Tree) => "tree",
        Some(git2::ObjectType::Blob) => "blob",
        Some(git2::ObjectType::Tag) => "tag",
        _ => "object",
    }
}

fn missing_rev_message(repo: &git2::Repository, spec: &str, role: &str, cause: &str) -> String {
    let shallow = repo.is_shallow();
    let remote = repo
        .remotes()
        .ok()
        .and_then(|r| r.get(0).ok().flatten().map(|s| s.to_string()))
        .unwrap_or_else(|| "origin".to_string());
    // `HEAD~3` and friends: the history is too short (shallow clone).
    let relative = spec.contains('~') || spec.contains('^');
    let branch = spec.strip_prefix(&format!("{remote}/")).unwrap_or(spec);
    let fix = if relative && shallow {
        "deepen the clone: git fetch --deepen=50 (or check out with fetch-depth: 0)".to_string()
    } else if relative {
        format!("'{spec}' needs more history than this repository has: check the revision or fetch more history")
    } else if shallow {
        format!("fetch the {role}: git fetch --depth=50 {remote} {branch}")
    } else {
        format!("fetch the {role}: git fetch {remote} {branch}")
    };
    format!("{role} revision '{spec}' not found ({cause}); {fix}")
}

/// Every file (blob) path at a commit, repository-relative, with its blob id.
pub fn list_files(repo: &git2::Repository, rev: &Rev) -> Result<BTreeMap<String, git2::Oid>> {
    let commit = repo
        .find_commit(rev.oid)
        .map_err(|e| Error::msg(e.message().to_string()))?;
    let tree = commit
        .tree()
        .map_err(|e| Error::msg(e.message().to_string()))?;
    let mut out = BTreeMap::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            if let Ok(name) = entry.name() {
                out.insert(format!("{dir}{name}"), entry.id());
            }
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| Error::msg(e.message().to_string()))?;
    Ok(out)
}

/// Read a file at a commit as text; `None` when it does not exist.
pub fn read_text(repo: &git2::Repository, rev: &Rev, path: &str) -> Result<Option<String>> {
    let commit = repo
        .find_commit(rev.oid)
        .map_err(|e| Error::msg(e.message().to_string()))?;
    let tree = commit
        .tree()
        .map_err(|e| Error::msg(e.message().to_string()))?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(e) => e,
        Err(_) => return Ok(None),
    };
    let obj = entry
        .to_object(repo)
        .map_err(|e| Error::in_file(path, e.message().to_string()))?;
    let Some(blob) = obj.as_blob() else {
        return Ok(None);
    };
    crate::yaml::decode(blob.content(), path).map(Some)
}

/// A changed file between base and head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// Path at head (or at base when deleted).
    pub path: String,
    /// Whether the file existed at base (under this path).
    pub at_base: bool,
    /// Whether the file exists at head.
    pub at_head: bool,
}

/// Files that differ between `base` and `head`, by path.
pub fn changed_files(
    base: &BTreeMap<String, git2::Oid>,
    head: &BTreeMap<String, git2::Oid>,
) -> Vec<Changed> {
    let mut out = Vec::new();
    for (p, oid) in head {
        match base.get(p) {
            Some(b) if b == oid => {}
            Some(_) => out.push(Changed {
                path: p.clone(),
                at_base: true,
                at_head: true,
            }),
            None => out.push(Changed {
                path: p.clone(),
                at_base: false,
                at_head: true,
            }),
        }
    }
    for p in base.keys() {
        if !head.contains_key(p) {
            out.push(Changed {
                path: p.clone(),
                at_base: true,
                at_head: false,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}
