//! `manifest-gate ci`: read the CI environment, choose the base and head the
//! gate should judge, make sure both (and their merge base) are in the clone,
//! say which it chose and why, then run `check` (or `diff`, `comment`) on them.
//!
//! The head is always the change the pull request introduces and the base its
//! merge base with the target (what the forge's own diff shows), so a stale
//! branch is not blamed for what landed on the target after it forked.
//!
//! | CI | event | base candidate | head |
//! |---|---|---|---|
//! | GitHub | `pull_request` | `pull_request.base.sha` | `pull_request.head.sha` |
//! | GitHub | `pull_request_target` | refused (see [`PULL_REQUEST_TARGET`]) | |
//! | GitHub | `merge_group` | `merge_group.base_sha` | `merge_group.head_sha` |
//! | GitHub | `push` | `before` (default branch for a new branch) | `after` |
//! | GitHub | `workflow_dispatch` | `inputs.base`, else the default branch | `inputs.head`, else `GITHUB_SHA` |
//! | GitLab | MR, detached | `CI_MERGE_REQUEST_DIFF_BASE_SHA` | `CI_COMMIT_SHA` |
//! | GitLab | MR, merged results / merge train | `CI_MERGE_REQUEST_TARGET_BRANCH_SHA` | `CI_COMMIT_SHA` |
//! | GitLab | push | `CI_COMMIT_BEFORE_SHA` (default branch for a new branch) | `CI_COMMIT_SHA` |
//!
//! The base is then `merge-base(candidate, head)`.

use crate::error::{Error, ErrorKind, Result};
use crate::source::merge_base::{is_zero_sha, Graph, MergeBase};
use serde_json::Value;
use std::path::Path;

mod cli;
mod fetch;

pub use cli::{run, CiArgs};

pub use fetch::{ensure_merge_base, FetchPolicy};

/// Why `pull_request_target` is refused, with the safe pattern.
pub const PULL_REQUEST_TARGET: &str = "refusing to run on pull_request_target: that event runs with a write token and the base repository's secrets, so checking out and rendering the pull request there hands them to the pull request's author. Run the gate on `pull_request` (read-only token) and post the comment from a `workflow_run` workflow; see the README section \"Fork pull requests\"";

/// The base and head chosen from the CI environment, before the merge base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Which CI and event (`GitHub pull_request #12`).
    pub event: String,
    /// The base candidate (a revision; the merge base with `head` is taken later).
    pub base: String,
    /// Where the base candidate comes from.
    pub base_why: String,
    /// The head revision.
    pub head: String,
    /// Where the head comes from.
    pub head_why: String,
    /// Nothing to judge (a deleted branch): the reason.
    pub nothing: Option<String>,
}

impl Choice {
    fn new(event: String, base: (String, &str), head: (String, &str)) -> Choice {
        Choice {
            event,
            base: base.0,
            base_why: base.1.to_string(),
            head: head.0,
            head_why: head.1.to_string(),
            nothing: None,
        }
    }
}

fn config_err(msg: impl Into<String>) -> Error {
    Error::msg(msg).kind(ErrorKind::Config)
}

/// A string field of a JSON payload, by path.
fn field(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    match cur {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn need(v: &Value, path: &[&str], event: &str) -> Result<String> {
    let s = field(v, path).ok_or_else(|| {
        config_err(format!(
            "the {event} event payload has no '{}'",
            path.join(".")
        ))
    })?;
    check_sha(&s, &path.join("."))
}

/// A commit id from the environment: 40 (or 64) hex digits, nothing else.
fn check_sha(s: &str, what: &str) -> Result<String> {
    let ok = matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(config_err(format!(
            "{what} is not a commit id: {:?}",
            s.chars().take(80).collect::<String>()
        )))
    }
}

/// A branch name from the environment, as a remote-tracking revision (`origin/<name>`).
fn remote_branch(name: &str, what: &str) -> Result<String> {
    let ok = !name.is_empty()
        && !name.starts_with('-')
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
    if ok {
        Ok(format!("origin/{name}"))
    } else {
        Err(config_err(format!("{what} is not a plain branch name")))
    }
}

/// Choose base and head from the environment (`env` reads a variable; the
/// GitHub event payload is read from `GITHUB_EVENT_PATH`).
pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> Result<Choice> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    if var("GITHUB_ACTIONS").as_deref() == Some("true") {
        let name =
            var("GITHUB_EVENT_NAME").ok_or_else(|| config_err("GITHUB_EVENT_NAME is not set"))?;
        let path =
            var("GITHUB_EVENT_PATH").ok_or_else(|| config_err("GITHUB_EVENT_PATH is not set"))?;
        let text = read_payload(Path::new(&path))?;
        let payload: Value = serde_json::from_str(&text).map_err(|e| {
            Error::in_file(&path, format!("the event payload is not JSON: {e}"))
                .kind(ErrorKind::Parse)
        })?;
        return github(&name, &payload, &var);
    }
    if var("GITLAB_CI").as_deref() == Some("true") {
        return gitlab(&var);
    }
    Err(config_err(
        "no supported CI environment found (GITHUB_ACTIONS or GITLAB_CI); pass --base and --head",
    ))
}

fn read_payload(path: &Path) -> Result<String> {
    const MAX: u64 = 25 << 20;
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::msg(format!("GITHUB_EVENT_PATH '{}': {e}", path.display())).kind(ErrorKind::Io)
    })?;
    if meta.len() > MAX {
        return Err(Error::msg(format!(
            "GITHUB_EVENT_PATH '{}' is larger than 25 MiB",
            path.display()
        ))
        .kind(ErrorKind::Budget));
    }
    std::fs::read_to_string(path).map_err(|e| {
        Error::msg(format!("GITHUB_EVENT_PATH '{}': {e}", path.display())).kind(ErrorKind::Io)
    })
}

fn github(name: &str, p: &Value, var: &dyn Fn(&str) -> Option<String>) -> Result<Choice> {
    let default_branch = || -> Result<String> {
        let b = field(p, &["repository", "default_branch"])
            .ok_or_else(|| config_err("the event payload has no repository.default_branch"))?;
        remote_branch(&b, "repository.default_branch")
    };
    match name {
        "pull_request" => {
            let n = field(p, &["pull_request", "number"]).unwrap_or_else(|| "?".into());
            Ok(Choice::new(
                format!("GitHub pull_request #{n}"),
                (
                    need(p, &["pull_request", "base", "sha"], name)?,
                    "pull_request.base.sha, the target branch's tip",
                ),
                (
                    need(p, &["pull_request", "head", "sha"], name)?,
                    "pull_request.head.sha, the pull request's tip",
                ),
            ))
        }
        "pull_request_target" => Err(config_err(PULL_REQUEST_TARGET)),
        "merge_group" => Ok(Choice::new(
            "GitHub merge_group".into(),
            (
                need(p, &["merge_group", "base_sha"], name)?,
                "merge_group.base_sha, the target branch before the group",
            ),
            (
                need(p, &["merge_group", "head_sha"], name)?,
                "merge_group.head_sha, the merge queue commit",
            ),
        )),
        "push" => {
            let after = need(p, &["after"], name)?;
            let before = need(p, &["before"], name)?;
            let event = format!(
                "GitHub push to {}",
                field(p, &["ref"]).unwrap_or_else(|| "?".into())
            );
            if is_zero_sha(&after) {
                let mut c = Choice::new(event, (before, "before"), (after, "after"));
                c.nothing = Some("the push deletes the ref".into());
                return Ok(c);
            }
            if is_zero_sha(&before) {
                return Ok(Choice::new(
                    event,
                    (
                        default_branch()?,
                        "the default branch (the push creates a new ref)",
                    ),
                    (after, "after, the pushed commit"),
                ));
            }
            Ok(Choice::new(
                event,
                (before, "before, the ref's previous commit"),
                (after, "after, the pushed commit"),
            ))
        }
        "workflow_dispatch" => {
            let base = match field(p, &["inputs", "base"]) {
                Some(b) => (check_sha(&b, "inputs.base")?, "inputs.base"),
                None => (default_branch()?, "the default branch"),
            };
            let head = match field(p, &["inputs", "head"]) {
                Some(h) => (check_sha(&h, "inputs.head")?, "inputs.head"),
                None => (
                    check_sha(
                        &var("GITHUB_SHA").ok_or_else(|| config_err("GITHUB_SHA is not set"))?,
                        "GITHUB_SHA",
                    )?,
                    "GITHUB_SHA, the dispatched commit",
                ),
            };
            Ok(Choice::new("GitHub workflow_dispatch".into(), base, head))
        }
        other => Err(config_err(format!(
            "GitHub event '{}' is not supported (pull_request, merge_group, push, workflow_dispatch); pass --base and --head",
            other.chars().take(60).collect::<String>()
        ))),
    }
}

fn gitlab(var: &dyn Fn(&str) -> Option<String>) -> Result<Choice> {
    let sha = |k: &str| -> Result<String> {
        let v = var(k).ok_or_else(|| config_err(format!("{k} is not set")))?;
        check_sha(&v, k)
    };
    let head = sha("CI_COMMIT_SHA")?;
    let source = var("CI_PIPELINE_SOURCE").unwrap_or_default();
    if source == "merge_request_event" {
        let iid = var("CI_MERGE_REQUEST_IID").unwrap_or_else(|| "?".into());
        let kind = var("CI_MERGE_REQUEST_EVENT_TYPE").unwrap_or_else(|| "detached".into());
        let event = format!("GitLab merge request !{iid} ({kind} pipeline)");
        if kind == "merged_result" || kind == "merge_train" {
            return Ok(Choice::new(
                event,
                (
                    sha("CI_MERGE_REQUEST_TARGET_BRANCH_SHA")?,
                    "CI_MERGE_REQUEST_TARGET_BRANCH_SHA, the target branch the result was merged onto",
                ),
                (head, "CI_COMMIT_SHA, the merged result"),
            ));
        }
        let base = match var("CI_MERGE_REQUEST_DIFF_BASE_SHA") {
            Some(b) => (
                check_sha(&b, "CI_MERGE_REQUEST_DIFF_BASE_SHA")?,
                "CI_MERGE_REQUEST_DIFF_BASE_SHA, the merge request's diff base",
            ),
            None => (
                remote_branch(
                    &var("CI_MERGE_REQUEST_TARGET_BRANCH_NAME").ok_or_else(|| {
                        config_err("neither CI_MERGE_REQUEST_DIFF_BASE_SHA nor CI_MERGE_REQUEST_TARGET_BRANCH_NAME is set")
                    })?,
                    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
                )?,
                "the target branch (CI_MERGE_REQUEST_TARGET_BRANCH_NAME)",
            ),
        };
        return Ok(Choice::new(
            event,
            base,
            (head, "CI_COMMIT_SHA, the merge request's tip"),
        ));
    }
    let event = format!(
        "GitLab {} pipeline on {}",
        if source.is_empty() { "push" } else { &source },
        var("CI_COMMIT_REF_NAME").unwrap_or_else(|| "?".into())
    );
    match var("CI_COMMIT_BEFORE_SHA") {
        Some(b) if !is_zero_sha(&b) => Ok(Choice::new(
            event,
            (
                check_sha(&b, "CI_COMMIT_BEFORE_SHA")?,
                "CI_COMMIT_BEFORE_SHA, the branch's previous commit",
            ),
            (head, "CI_COMMIT_SHA"),
        )),
        _ => Ok(Choice::new(
            event,
            (
                remote_branch(
                    &var("CI_DEFAULT_BRANCH")
                        .ok_or_else(|| config_err("CI_DEFAULT_BRANCH is not set"))?,
                    "CI_DEFAULT_BRANCH",
                )?,
                "the default branch (no previous commit on this branch)",
            ),
            (head, "CI_COMMIT_SHA"),
        )),
    }
}

/// The resolved pair the gate judges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// merge-base(base candidate, head).
    pub base: String,
    /// The head commit.
    pub head: String,
    /// One paragraph saying which was chosen and why.
    pub explanation: String,
}

/// Resolve a choice to commits in the clone at `root`, fetching per `policy`.
pub fn resolve(root: &Path, choice: &Choice, policy: FetchPolicy) -> Result<Resolved> {
    let mb = ensure_merge_base(root, &choice.base, &choice.head, policy)?;
    let graph = Graph::open(root)?;
    let head = graph.commit(&choice.head).ok_or_else(|| {
        Error::msg(format!("head '{}' is not a commit", choice.head)).kind(ErrorKind::Git)
    })?;
    let short = |s: &str| s.chars().take(12).collect::<String>();
    let explanation = format!(
        "manifest-gate ci: {}\n  head {} ({})\n  base {} = merge-base({} [{}], head)",
        choice.event,
        short(&head),
        choice.head_why,
        short(&mb),
        choice.base,
        choice.base_why
    );
    Ok(Resolved {
        base: mb,
        head,
        explanation,
    })
}

/// merge-base(base, head) in the clone, without fetching (the resolver default of
/// `check`, `diff` and `comment`; `--base-exact` skips it).
pub fn merge_base_of(root: &Path, base: &str, head: &str) -> Result<String> {
    match Graph::open(root)?.merge_base(base, head) {
        MergeBase::Found(s) => Ok(s),
        MergeBase::Missing(r) => {
            Err(Error::msg(format!("revision '{r}' is not in the clone")).kind(ErrorKind::Git))
        }
        MergeBase::NoCommonAncestor => Err(Error::msg(format!(
            "'{base}' and '{head}' share no history in this clone (shallow? `git fetch --unshallow origin`), or pass --base-exact"
        ))
        .kind(ErrorKind::Git)),
    }
}

#[cfg(test)]
mod tests;
