//! Bare repositories in the remote-base cache (`kustomize::remote`): created
//! empty for a fetch, then asked which commit a fetched ref names. The fetch
//! itself runs the system `git`; reading a fetched commit is [`GitSource`].
//!
//! [`GitSource`]: super::GitSource

use crate::error::{Error, ErrorKind, Result};
use std::path::Path;

/// Create an empty bare repository at `dir`.
pub fn init_bare(dir: &Path) -> Result<()> {
    git2::Repository::init_bare(dir).map(drop).map_err(|e| {
        Error::msg(format!(
            "cannot create a repository at '{}': {}",
            dir.display(),
            e.message()
        ))
        .kind(ErrorKind::Git)
    })
}

/// Whether the bare repository at `dir` holds the commit `id`.
pub fn has_commit(dir: &Path, id: &str) -> bool {
    let Ok(repo) = git2::Repository::open_bare(dir) else {
        return false;
    };
    git2::Oid::from_str(id).is_ok_and(|oid| repo.find_commit(oid).is_ok())
}

/// The commit the reference `name` of the bare repository at `dir` peels to.
pub fn ref_commit(dir: &Path, name: &str) -> Option<String> {
    let repo = git2::Repository::open_bare(dir).ok()?;
    let reference = repo.find_reference(name).ok()?;
    let commit = reference.peel_to_commit().ok()?;
    Some(commit.id().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_repository_holds_nothing() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path().join("r.git");
        init_bare(&r).unwrap();
        assert!(!has_commit(&r, "0123456789abcdef0123456789abcdef01234567"));
        assert!(!has_commit(d.path(), "nope"));
        assert_eq!(ref_commit(&r, "refs/heads/main"), None);
    }
}
