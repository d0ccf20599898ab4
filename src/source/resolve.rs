//! Path resolution shared by both sources: walk a normalised path component by
//! component, following symlinks inside the tree only (relative to the link's
//! directory, recursively, with a loop limit).

use crate::error::{Error, ErrorKind, Result};

/// Maximum number of symlinks followed while resolving one path.
pub(crate) const MAX_LINK_HOPS: usize = 40;

/// What one physical (symlink-free) path names, without following it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Raw {
    Missing,
    File,
    Dir,
    Submodule,
    /// A symlink with its target text.
    Link(String),
    /// Something on disk that is neither a file, a directory nor a link (fifo, socket, device).
    Special,
}

/// The outcome of resolving a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// Nothing at that path (or a non-directory used as a directory).
    Missing,
    /// The physical path (no symlinks) and what it is (never `Link` or `Missing`).
    Found(String, Raw),
    /// The path goes through a submodule, at the given physical path.
    InSubmodule(String),
}

/// What a resolved path is, for `Source::entry` (`None` when missing).
pub(crate) fn entry_kind(p: &str, r: Resolved) -> Result<Option<super::EntryKind>> {
    use super::EntryKind;
    Ok(match r {
        Resolved::Missing => None,
        Resolved::Found(_, Raw::Dir) => Some(EntryKind::Dir),
        Resolved::Found(_, Raw::Submodule) => Some(EntryKind::Submodule),
        Resolved::Found(_, _) => Some(EntryKind::File),
        r @ Resolved::InSubmodule(_) => return Err(not_readable(p, &r)),
    })
}

/// The physical path of a resolved directory, for `Source::list`; an error naming
/// `d` when it is missing, a file, or not readable.
pub(crate) fn directory(d: &str, r: Resolved) -> Result<String> {
    match r {
        Resolved::Found(phys, Raw::Dir) => Ok(phys),
        Resolved::Missing => {
            Err(Error::in_file(d, format!("directory '{d}' does not exist"))
                .kind(ErrorKind::Missing))
        }
        Resolved::Found(_, Raw::File | Raw::Special) => Err(Error::in_file(
            d,
            format!("'{d}' is a file, not a directory"),
        )),
        r => Err(not_readable(d, &r)),
    }
}

/// Validate and normalise a caller-supplied path (it should already be normalised).
pub(crate) fn normalise(path: &str) -> Result<String> {
    let p = super::join("", path).map_err(|e| Error::in_file(path, e.msg))?;
    if p.split('/').any(|c| c == ".git") {
        return Err(Error::in_file(
            path,
            format!("path '{p}' is inside .git/, which is never read"),
        ));
    }
    Ok(p)
}

fn child(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Resolve `path` (already normalised) using `lookup`, which describes a
/// physical path without following it.
pub(crate) fn resolve(path: &str, lookup: impl FnMut(&str) -> Result<Raw>) -> Result<Resolved> {
    resolve_traced(path, lookup, &mut |_| {})
}

/// Every physical path resolving `path` depends on: each symlink followed (its
/// own path, whose target text may change) and the resolved physical path (or,
/// when resolution stops at a missing component, that component's path, whose
/// creation would change the outcome). `path` itself comes first. Errors
/// (loops, links leaving the root) end the trace where they occur.
pub(crate) fn trace(path: &str, lookup: impl FnMut(&str) -> Result<Raw>) -> Vec<String> {
    let mut out = vec![path.to_string()];
    let mut links = Vec::new();
    let end = resolve_traced(path, lookup, &mut |l| links.push(l.to_string()));
    out.extend(links);
    match end {
        Ok(Resolved::Found(p, _)) | Ok(Resolved::InSubmodule(p)) => out.push(p),
        Ok(Resolved::Missing) | Err(_) => {}
    }
    out.dedup();
    out
}

/// [`resolve`], calling `on_link` with the path of every symlink followed and
/// with the physical path of a missing component.
fn resolve_traced(
    path: &str,
    mut lookup: impl FnMut(&str) -> Result<Raw>,
    on_link: &mut dyn FnMut(&str),
) -> Result<Resolved> {
    // Remaining components, in reverse order (next one last).
    let mut stack: Vec<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut cur = String::new();
    let mut hops = 0usize;
    // The last link followed, for messages: (link path, target).
    let mut via: Option<(String, String)> = None;
    let link_err = |via: &Option<(String, String)>, what: &str| -> Error {
        match via {
            Some((l, t)) => Error::in_file(path, format!("symlink '{l}' -> '{t}' {what}")),
            None => Error::in_file(path, format!("path '{path}' {what}")),
        }
        .kind(ErrorKind::Confinement)
    };
    while let Some(comp) = stack.pop() {
        match comp.as_str() {
            "" | "." => continue,
            ".." => {
                if cur.is_empty() {
                    return Err(link_err(
                        &via,
                        "leaves the repository root; only links inside the repository are followed",
                    ));
                }
                cur = super::parent(&cur).to_string();
                continue;
            }
            ".git" => return Err(link_err(&via, "points into .git/, which is never read")),
            _ => {}
        }
        let candidate = child(&cur, &comp);
        match lookup(&candidate)? {
            Raw::Missing => {
                on_link(&candidate);
                return Ok(Resolved::Missing);
            }
            Raw::Dir => cur = candidate,
            Raw::Submodule => {
                return Ok(if stack.is_empty() {
                    Resolved::Found(candidate, Raw::Submodule)
                } else {
                    Resolved::InSubmodule(candidate)
                })
            }
            raw @ (Raw::File | Raw::Special) => {
                return Ok(if stack.is_empty() {
                    Resolved::Found(candidate, raw)
                } else {
                    on_link(&candidate);
                    Resolved::Missing
                });
            }
            Raw::Link(target) => {
                on_link(&candidate);
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return Err(Error::in_file(
                        path,
                        format!("too many levels of symbolic links (more than {MAX_LINK_HOPS}) at '{candidate}'"),
                    ));
                }
                via = Some((candidate.clone(), target.clone()));
                if target.is_empty() {
                    return Err(link_err(&via, "has an empty target"));
                }
                if target.starts_with('/')
                    || target.starts_with('\\')
                    || (target.len() > 1 && target.as_bytes()[1] == b':')
                {
                    return Err(link_err(
                        &via,
                        "is absolute; only relative links inside the repository are followed",
                    ));
                }
                // The target is relative to the link's directory, which is `cur`.
                for c in target.split('/').rev() {
                    stack.push(c.to_string());
                }
            }
        }
    }
    Ok(Resolved::Found(cur, Raw::Dir))
}

/// The error for reading something that is not a readable file.
pub(crate) fn not_readable(path: &str, r: &Resolved) -> Error {
    match r {
        Resolved::Missing => {
            Error::in_file(path, format!("file '{path}' does not exist")).kind(ErrorKind::Missing)
        }
        Resolved::InSubmodule(s) => Error::in_file(
            path,
            format!("'{path}' is inside '{s}', which is a git submodule, not renderable"),
        ),
        Resolved::Found(_, Raw::Dir) => {
            Error::in_file(path, format!("'{path}' is a directory, not a file"))
        }
        Resolved::Found(_, Raw::Submodule) => {
            Error::in_file(path, format!("'{path}' is a git submodule, not renderable"))
        }
        Resolved::Found(_, Raw::Special) => {
            Error::in_file(path, format!("'{path}' is not a regular file"))
        }
        Resolved::Found(_, _) => Error::in_file(path, format!("'{path}' cannot be read")),
    }
}

/// The marker a Git LFS pointer file starts with.
pub(crate) const LFS_MARKER: &[u8] = b"version https://git-lfs.github.com/spec/v1";

/// Refuse Git LFS pointer files.
pub(crate) fn check_lfs(path: &str, data: &[u8]) -> Result<()> {
    if data.starts_with(LFS_MARKER) {
        return Err(Error::in_file(
            path,
            format!(
                "'{path}' is a Git LFS pointer file, not the file's content; it cannot be rendered"
            ),
        ));
    }
    Ok(())
}

/// The error for a file over the size cap.
pub(crate) fn too_large(path: &str, size: u64, limit: u64) -> Error {
    Error::in_file(
        path,
        format!("'{path}' is {size} bytes, over the limit of {limit} bytes per file"),
    )
    .kind(ErrorKind::Budget)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn tree(entries: &[(&str, Raw)]) -> HashMap<String, Raw> {
        entries
            .iter()
            .map(|(p, r)| (p.to_string(), r.clone()))
            .collect()
    }

    fn run(t: &HashMap<String, Raw>, p: &str) -> Result<Resolved> {
        resolve(p, |c| Ok(t.get(c).cloned().unwrap_or(Raw::Missing)))
    }

    #[test]
    fn trace_names_every_link_and_the_target() {
        let t = tree(&[
            ("a", Raw::Dir),
            ("a/f", Raw::File),
            ("b", Raw::Dir),
            ("b/d", Raw::Link("../a".into())),
            ("b/l", Raw::Link("d/f".into())),
        ]);
        let tr = |p: &str| trace(p, |c| Ok(t.get(c).cloned().unwrap_or(Raw::Missing)));
        assert_eq!(tr("b/l"), ["b/l", "b/d", "a/f"]);
        assert_eq!(tr("b/d/f"), ["b/d/f", "b/d", "a/f"]);
        assert_eq!(tr("a/f"), ["a/f"]);
        // A missing file through a link: its physical place is recorded.
        assert_eq!(tr("b/d/new"), ["b/d/new", "b/d", "a/new"]);
    }

    #[test]
    fn follows_links_inside_tree() {
        let t = tree(&[
            ("a", Raw::Dir),
            ("a/f", Raw::File),
            ("b", Raw::Dir),
            ("b/l", Raw::Link("../a/f".into())),
            ("b/d", Raw::Link("../a".into())),
            ("b/chain", Raw::Link("l".into())),
            ("loop1", Raw::Link("loop2".into())),
            ("loop2", Raw::Link("loop1".into())),
            ("esc", Raw::Link("../x".into())),
            ("abs", Raw::Link("/etc".into())),
            ("s", Raw::Submodule),
        ]);
        assert_eq!(
            run(&t, "b/l").unwrap(),
            Resolved::Found("a/f".into(), Raw::File)
        );
        assert_eq!(
            run(&t, "b/chain").unwrap(),
            Resolved::Found("a/f".into(), Raw::File)
        );
        assert_eq!(
            run(&t, "b/d/f").unwrap(),
            Resolved::Found("a/f".into(), Raw::File)
        );
        assert_eq!(
            run(&t, "b/d").unwrap(),
            Resolved::Found("a".into(), Raw::Dir)
        );
        assert_eq!(run(&t, "").unwrap(), Resolved::Found("".into(), Raw::Dir));
        assert_eq!(run(&t, "a/f/x").unwrap(), Resolved::Missing);
        assert_eq!(run(&t, "nope").unwrap(), Resolved::Missing);
        assert_eq!(run(&t, "s/x").unwrap(), Resolved::InSubmodule("s".into()));
        assert!(run(&t, "loop1")
            .unwrap_err()
            .msg
            .contains("too many levels"));
        let e = run(&t, "esc").unwrap_err();
        assert!(
            e.msg.contains("symlink 'esc'") && e.msg.contains("leaves the repository root"),
            "{e}"
        );
        let e = run(&t, "abs/passwd").unwrap_err();
        assert!(
            e.msg.contains("symlink 'abs'") && e.msg.contains("absolute"),
            "{e}"
        );
    }
}
