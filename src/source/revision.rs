//! The one revision resolver: finding the repository, turning a rev-spec into
//! a commit (with a message naming the `git fetch` to run when the commit is
//! missing, e.g. from a shallow clone), and the paths that differ between two
//! commits. Every command that compares revisions goes through here; nothing
//! outside `source/` touches git2.

use crate::error::{Error, ErrorKind, Result};
use git2::{Oid, Repository};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A resolved commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    /// The rev-spec as given (`main`, `HEAD~1`, a sha).
    pub spec: String,
    /// The full hex commit id.
    pub id: String,
}

/// The repository enclosing `start`: its work tree (or, for a bare
/// repository, its git directory); `None` when `start` is in no repository.
pub fn discover_root(start: &Path) -> Option<PathBuf> {
    let r = Repository::discover(start).ok()?;
    Some(match r.workdir() {
        Some(w) => w.to_path_buf(),
        None => r.path().to_path_buf(),
    })
}

/// Open the repository at `root` or an enclosing directory.
fn open(root: &Path) -> Result<Repository> {
    Repository::discover(root).map_err(|e| {
        Error::msg(format!(
            "'{}' is not a git repository ({}): pass the repository with --repo PATH",
            root.display(),
            e.message()
        ))
        .kind(ErrorKind::Git)
    })
}

/// Resolve `spec` in the repository at `root`. `role` (`base`, `head`, or
/// empty) names the revision in messages.
pub fn resolve(root: &Path, spec: &str, role: &str) -> Result<Revision> {
    let r = open(root)?;
    let oid = resolve_in(&r, root, spec, role)?;
    Ok(Revision {
        spec: spec.to_string(),
        id: oid.to_string(),
    })
}

/// Resolve `spec` to a commit in an open repository.
pub(crate) fn resolve_in(r: &Repository, root: &Path, spec: &str, role: &str) -> Result<Oid> {
    let obj = match r.revparse_single(spec) {
        Ok(o) => o,
        Err(_) => return Err(unknown(r, root, spec, role)),
    };
    let kind = obj
        .kind()
        .map(|k| k.to_string())
        .unwrap_or_else(|| "object".into());
    match obj.peel_to_commit() {
        Ok(c) => Ok(c.id()),
        Err(e) if e.code() == git2::ErrorCode::NotFound && r.is_shallow() => {
            Err(unknown(r, root, spec, role))
        }
        Err(_) => Err(Error::msg(format!(
            "{}'{spec}' names a {kind}, not a commit: pass a commit, branch or tag",
            what(role)
        ))
        .kind(ErrorKind::Git)),
    }
}

fn what(role: &str) -> String {
    if role.is_empty() {
        "revision ".to_string()
    } else {
        format!("{role} revision ")
    }
}

fn looks_like_sha(rev: &str) -> bool {
    rev.len() >= 7 && rev.len() <= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The one-line error for a revision that cannot be resolved, with the fix.
pub(crate) fn unknown(r: &Repository, root: &Path, spec: &str, role: &str) -> Error {
    // The first remote's name, for the hint only; "origin" when there is none.
    let mut remote = "origin".to_string();
    if let Ok(rs) = r.remotes() {
        if let Some(Ok(Some(name))) = rs.iter().next() {
            remote = name.to_string();
        }
    }
    let relative = spec.contains('~') || spec.contains('^');
    let msg = if r.is_shallow() {
        let fix = if looks_like_sha(spec) {
            format!("`git fetch --depth=1 {remote} {spec}` (or `git fetch --unshallow {remote}` for full history)")
        } else if relative {
            format!("`git fetch --deepen=50 {remote}` (or `git fetch --unshallow {remote}` for full history)")
        } else {
            let branch = spec.strip_prefix(&format!("{remote}/")).unwrap_or(spec);
            format!("`git fetch --deepen=50 {remote}` or `git fetch --depth=50 {remote} {branch}` (or use a full clone, e.g. fetch-depth: 0 in CI)")
        };
        format!(
            "{}'{spec}' cannot be resolved: the commit is missing from this shallow clone ('{}'); fetch it with {fix}",
            what(role),
            root.display()
        )
    } else {
        let hint = if relative {
            "; the history is shorter than that revision needs".to_string()
        } else {
            let branch = spec.strip_prefix(&format!("{remote}/")).unwrap_or(spec);
            format!(" (if it exists upstream: `git fetch {remote} {branch}`)")
        };
        format!(
            "unknown {}'{spec}' in repository '{}'{hint}",
            what(role),
            root.display()
        )
    };
    Error::msg(msg).kind(ErrorKind::Git)
}

/// A file that differs between two commits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChangedFile {
    /// Path at head (at base when deleted).
    pub path: String,
    /// Whether the path exists at base.
    pub at_base: bool,
    /// Whether the path exists at head.
    pub at_head: bool,
}

/// Every path that differs between commits `base` and `head` (full ids), sorted.
pub fn changed_files(root: &Path, base: &str, head: &str) -> Result<Vec<ChangedFile>> {
    let r = open(root)?;
    let git = super::treediff::git;
    let tree = |id: &str| -> Result<git2::Tree<'_>> {
        let oid = resolve_in(&r, root, id, "")?;
        r.find_commit(oid).and_then(|c| c.tree()).map_err(git)
    };
    let (a, b) = (tree(base)?, tree(head)?);
    super::treediff::changed(&r, &a, &b)
}

/// [`changed_files`] as libgit2's tree-to-tree diff finds them: the oracle
/// [`super::treediff`] is tested against.
#[cfg(test)]
pub(crate) fn changed_by_libgit2(
    r: &Repository,
    a: &git2::Tree<'_>,
    b: &git2::Tree<'_>,
) -> Result<Vec<ChangedFile>> {
    let git = super::treediff::git;
    let d = r.diff_tree_to_tree(Some(a), Some(b), None).map_err(git)?;
    let mut out = Vec::new();
    for delta in d.deltas() {
        let (old, new) = (delta.old_file(), delta.new_file());
        let at_base = !old.id().is_zero();
        let at_head = !new.id().is_zero();
        let path = if at_head { new.path() } else { old.path() };
        let Some(path) = path else { continue };
        let path = path
            .to_str()
            .ok_or_else(|| super::treediff::not_utf8(&path.to_string_lossy()))?;
        out.push(ChangedFile {
            path: path.to_string(),
            at_base,
            at_head,
        });
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The set of changed paths (see [`changed_files`]).
pub fn changed_paths(files: &[ChangedFile]) -> BTreeSet<String> {
    files.iter().map(|c| c.path.clone()).collect()
}
