//! Make sure the base candidate, the head and their merge base are in the
//! clone: CI checkouts are often shallow (`fetch-depth: 1`, `GIT_DEPTH: 20`).
//! With [`FetchPolicy::Fetch`] the clone is deepened step by step (a bounded
//! number of `git fetch` runs against `origin`); otherwise the error names the
//! exact `git fetch` to run.

use crate::error::{Error, ErrorKind, Result};
use crate::source::merge_base::{Graph, MergeBase};
use std::path::Path;
use std::process::{Command, Stdio};

/// Whether `manifest-gate ci` may run `git fetch` to complete a shallow clone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchPolicy {
    /// Never fetch: fail with the command to run.
    Never,
    /// Fetch missing commits and deepen until the merge base is present.
    Fetch,
}

/// Deepening steps, then `--unshallow`.
const DEEPEN: [u32; 4] = [50, 200, 1000, 5000];

/// The refspec argument for a revision: a sha as is, `origin/x` as branch `x`.
fn fetch_arg(rev: &str) -> String {
    match rev.strip_prefix("origin/") {
        Some(b) => format!("+refs/heads/{b}:refs/remotes/origin/{b}"),
        None => rev.to_string(),
    }
}

fn git_fetch(root: &Path, args: &[String]) -> Result<()> {
    eprintln!("manifest-gate ci: git fetch {}", args.join(" "));
    let status = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["fetch", "--no-tags", "--no-recurse-submodules", "--quiet"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .status()
        .map_err(|e| Error::msg(format!("cannot run git fetch: {e}")).kind(ErrorKind::Io))?;
    if status.success() {
        Ok(())
    } else {
        Err(
            Error::msg(format!("`git fetch {}` failed ({status})", args.join(" ")))
                .kind(ErrorKind::Git),
        )
    }
}

/// The merge base of `base` and `head`, fetching per `policy`.
pub fn ensure_merge_base(
    root: &Path,
    base: &str,
    head: &str,
    policy: FetchPolicy,
) -> Result<String> {
    let mut step = 0usize;
    loop {
        let graph = Graph::open(root)?;
        let shallow = graph.is_shallow();
        let depth = DEEPEN.get(step).copied();
        let args: Vec<String> = match graph.merge_base(base, head) {
            MergeBase::Found(mb) => return Ok(mb),
            MergeBase::Missing(_) => {
                let mut a = Vec::new();
                if shallow {
                    a.push(format!("--depth={}", depth.unwrap_or(DEEPEN[0])));
                }
                a.push("origin".into());
                for r in [base, head] {
                    if graph.commit(r).is_none() {
                        a.push(fetch_arg(r));
                    }
                }
                a
            }
            MergeBase::NoCommonAncestor if !shallow => {
                return Err(Error::msg(format!(
                    "'{base}' and '{head}' share no history: they cannot be compared as a change"
                ))
                .kind(ErrorKind::Git))
            }
            MergeBase::NoCommonAncestor => {
                let mut a = vec![match depth {
                    Some(d) => format!("--deepen={d}"),
                    None => "--unshallow".into(),
                }];
                a.push("origin".into());
                a.push(fetch_arg(base));
                a.push(fetch_arg(head));
                a
            }
        };
        if policy == FetchPolicy::Never || step > DEEPEN.len() {
            return Err(Error::msg(format!(
                "the merge base of '{base}' and '{head}' is not in this clone; run `git fetch {}` (or check out with full history, e.g. fetch-depth: 0), or pass --fetch",
                args.join(" ")
            ))
            .kind(ErrorKind::Git));
        }
        git_fetch(root, &args)?;
        step += 1;
    }
}
