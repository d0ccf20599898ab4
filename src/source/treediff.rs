//! The paths that differ between two git trees, found by walking both and
//! descending only into subtrees whose ids differ: a change to one file reads
//! the few trees on its path, where libgit2's tree-to-tree diff read every
//! tree of both revisions (as many objects as indexing a revision again).
//!
//! The result is libgit2's `diff_tree_to_tree` without options (tested equal
//! to it): a file whose content or mode changed is one entry present at both
//! sides; a path whose kind changed (file, symlink, submodule, directory) is a
//! deletion and an addition; the files of an added or deleted directory are
//! additions or deletions each. Paths that are not UTF-8 are an error.

use super::revision::ChangedFile;
use crate::error::{Error, ErrorKind, Result};
use git2::{Oid, Repository, Tree};
use std::collections::BTreeMap;

/// What a tree entry is, for comparing: its id and its class.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Item {
    id: Oid,
    mode: i32,
}

/// The kind of an entry: a changed kind is a deletion and an addition.
#[derive(PartialEq, Eq)]
enum Class {
    Tree,
    File,
    Link,
    Submodule,
}

impl Item {
    fn class(self) -> Class {
        match self.mode & 0o170000 {
            0o040000 => Class::Tree,
            0o120000 => Class::Link,
            0o160000 => Class::Submodule,
            _ => Class::File,
        }
    }
}

/// The entries of the tree `id`, by name.
fn entries(r: &Repository, id: Oid) -> Result<BTreeMap<Vec<u8>, Item>> {
    let t = r.find_tree(id).map_err(git)?;
    Ok(t.iter()
        .map(|e| {
            let item = Item {
                id: e.id(),
                mode: e.filemode(),
            };
            (e.name_bytes().to_vec(), item)
        })
        .collect())
}

/// A libgit2 failure as the run's error (the message as libgit2 gives it).
pub(crate) fn git(e: git2::Error) -> Error {
    Error::msg(e.message().to_string()).kind(ErrorKind::Git)
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        return name.to_vec();
    }
    let mut p = Vec::with_capacity(dir.len() + 1 + name.len());
    p.extend_from_slice(dir);
    p.push(b'/');
    p.extend_from_slice(name);
    p
}

/// One pending comparison: the entry at `path` at base and at head.
struct Pending {
    path: Vec<u8>,
    base: Option<Item>,
    head: Option<Item>,
}

/// Every path that differs between the trees `a` (base) and `b` (head), sorted.
pub(crate) fn changed(r: &Repository, a: &Tree<'_>, b: &Tree<'_>) -> Result<Vec<ChangedFile>> {
    let tree = |t: &Tree<'_>| Item {
        id: t.id(),
        mode: 0o040000,
    };
    let mut out = Vec::new();
    // An explicit stack: a hostile tree may nest deeper than a thread's stack.
    let mut todo = vec![Pending {
        path: Vec::new(),
        base: Some(tree(a)),
        head: Some(tree(b)),
    }];
    while let Some(p) = todo.pop() {
        if p.base == p.head {
            continue;
        }
        let is_tree = |i: Option<Item>| i.is_some_and(|i| i.class() == Class::Tree);
        let (bt, ht) = (is_tree(p.base), is_tree(p.head));
        // Files (and links, submodules) at either side.
        let bf = p.base.filter(|_| !bt);
        let hf = p.head.filter(|_| !ht);
        match (bf, hf) {
            (Some(x), Some(y)) if x.class() == y.class() => emit(&mut out, &p.path, true, true)?,
            (x, y) => {
                if x.is_some() {
                    emit(&mut out, &p.path, true, false)?;
                }
                if y.is_some() {
                    emit(&mut out, &p.path, false, true)?;
                }
            }
        }
        if !bt && !ht {
            continue;
        }
        // A directory at one side or both: compare its entries.
        let side = |t: bool, i: Option<Item>| -> Result<BTreeMap<Vec<u8>, Item>> {
            match (t, i) {
                (true, Some(i)) => entries(r, i.id),
                _ => Ok(BTreeMap::new()),
            }
        };
        let (be, he) = (side(bt, p.base)?, side(ht, p.head)?);
        let mut names: Vec<&Vec<u8>> = be.keys().chain(he.keys()).collect();
        names.sort();
        names.dedup();
        for n in names {
            todo.push(Pending {
                path: join(&p.path, n),
                base: be.get(n).copied(),
                head: he.get(n).copied(),
            });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The error for a changed path that is not UTF-8 (`lossy`: as shown).
pub(crate) fn not_utf8(lossy: &str) -> Error {
    Error::msg(format!(
        "a changed path is not UTF-8: {}",
        lossy.escape_debug()
    ))
    .kind(ErrorKind::Git)
}

fn emit(out: &mut Vec<ChangedFile>, path: &[u8], at_base: bool, at_head: bool) -> Result<()> {
    let path = std::str::from_utf8(path).map_err(|_| not_utf8(&String::from_utf8_lossy(path)))?;
    out.push(ChangedFile {
        path: path.to_string(),
        at_base,
        at_head,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let o = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "core.symlinks=true",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    fn write(dir: &Path, p: &str, text: &str) {
        let f = dir.join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, text).unwrap();
    }

    fn commit(dir: &Path) -> Oid {
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "--allow-empty", "-m", "c"]);
        let r = Repository::open(dir).unwrap();
        let c = r.head().unwrap().peel_to_commit().unwrap();
        c.tree_id()
    }

    /// Every kind of change between two trees (content, mode, kind, a
    /// directory replaced by a file and back, added and removed directories,
    /// retargeted links, unchanged deep subtrees) gives libgit2's answer, in
    /// both directions; a changed non-UTF-8 name is an error for both.
    #[test]
    fn equals_libgit2_on_every_kind_of_change() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        git(p, &["init", "-q"]);
        write(p, "a.txt", "a\n");
        write(p, "d/x.txt", "x\n");
        write(p, "d/y/z.txt", "z\n");
        write(p, "deep/1/2/3/same.txt", "same\n");
        write(p, "deep/1/2/changed.txt", "v1\n");
        write(p, "run.sh", "echo\n");
        write(p, "file-then-link", "f\n");
        write(p, "gone/one.txt", "1\n");
        std::os::unix::fs::symlink("a.txt", p.join("link")).unwrap();
        let t1 = commit(p);
        write(p, "a.txt", "a2\n");
        std::fs::remove_dir_all(p.join("d")).unwrap();
        write(p, "d", "now a file\n");
        write(p, "deep/1/2/changed.txt", "v2\n");
        let mut perm = std::fs::metadata(p.join("run.sh")).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
        std::fs::set_permissions(p.join("run.sh"), perm).unwrap();
        std::fs::remove_file(p.join("file-then-link")).unwrap();
        std::os::unix::fs::symlink("run.sh", p.join("file-then-link")).unwrap();
        std::fs::remove_dir_all(p.join("gone")).unwrap();
        write(p, "new/dir/n.txt", "n\n");
        std::fs::remove_file(p.join("link")).unwrap();
        std::os::unix::fs::symlink("d", p.join("link")).unwrap();
        let t2 = commit(p);
        let name = std::ffi::OsStr::from_bytes(b"bad-\xff.txt");
        std::fs::write(p.join(name), "x").unwrap();
        let t3 = commit(p);

        let r = Repository::open(p).unwrap();
        let tree = |id| r.find_tree(id).unwrap();
        for (a, b) in [(t1, t2), (t2, t1), (t1, t1)] {
            let (a, b) = (tree(a), tree(b));
            let ours = changed(&r, &a, &b).unwrap();
            let theirs = super::super::revision::changed_by_libgit2(&r, &a, &b).unwrap();
            assert_eq!(ours, theirs);
        }
        let ours = changed(&r, &tree(t1), &tree(t2)).unwrap();
        assert!(ours.len() > 8, "{ours:?}");
        for (a, b) in [(t2, t3), (t3, t2)] {
            let (a, b) = (tree(a), tree(b));
            let e = changed(&r, &a, &b).unwrap_err();
            let o = super::super::revision::changed_by_libgit2(&r, &a, &b).unwrap_err();
            assert_eq!(e.msg, o.msg);
        }
    }
}
