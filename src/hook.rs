//! `manifest-gate hook`: a git pre-push hook that judges every pushed ref.
//!
//! `hook install` writes `<hooks dir>/pre-push`, a two-line script that runs
//! this binary (by absolute path, never through `PATH`) as `hook pre-push`.
//! Git passes the remote's name and URL as arguments and one line per pushed
//! ref on stdin: `<local ref> <local sha> <remote ref> <remote sha>`. Each ref
//! is judged as `check --base merge-base(<remote default branch>, <local sha>)
//! --head <local sha>`: the change the branch makes relative to where it forked
//! from the default branch, not relative to the previous push. Deletions
//! (local sha all zeros) are skipped; new branches (remote sha all zeros) and
//! tags are judged like any other ref. Under the pre-commit framework (no stdin
//! lines, `PRE_COMMIT_TO_REF` set) the one ref comes from its variables.

use crate::error::{Error, ErrorKind, Result};
use crate::source::merge_base::{is_zero_sha, Graph, MergeBase};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Arguments of `manifest-gate hook`.
#[derive(clap::Args, Debug)]
pub struct HookArgs {
    #[command(subcommand)]
    /// What to do.
    pub action: HookAction,
}

/// What `manifest-gate hook` does.
#[derive(clap::Subcommand, Debug)]
pub enum HookAction {
    /// Write the pre-push hook into this repository's hooks directory.
    Install {
        /// Repository (default: the one enclosing the current directory).
        #[arg(long)]
        repo: Option<PathBuf>,
        /// Replace an existing pre-push hook that manifest-gate did not write.
        #[arg(long)]
        force: bool,
        /// Arguments the hook passes to every `check` (after `--`, e.g. `-- --config gate.yaml`).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run as git's pre-push hook (git calls this; reads the pushed refs on stdin).
    PrePush {
        /// The remote's name (git's first argument).
        remote: Option<String>,
        /// The remote's URL (git's second argument; unused).
        url: Option<String>,
        /// Arguments for every `check` (after `--`).
        #[arg(last = true)]
        args: Vec<String>,
    },
}

/// The first line of every hook this command writes.
const MARK: &str = "# manifest-gate pre-push hook (written by `manifest-gate hook install`)";

/// Run `manifest-gate hook`.
pub fn run(a: HookArgs) -> Result<ExitCode> {
    match a.action {
        HookAction::Install { repo, force, args } => install(repo.as_deref(), force, &args),
        HookAction::PrePush { remote, args, .. } => {
            let stdin = std::io::stdin();
            let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
            pre_push(remote.as_deref(), &mut stdin.lock(), &env, &args)
        }
    }
}

fn io(what: &Path, e: std::io::Error) -> Error {
    Error::msg(format!("{}: {e}", what.display())).kind(ErrorKind::Io)
}

/// Quote a string for a POSIX shell.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn install(repo: Option<&Path>, force: bool, args: &[String]) -> Result<ExitCode> {
    let cwd = std::env::current_dir().map_err(|e| io(Path::new("."), e))?;
    let graph = Graph::discover(repo.unwrap_or(&cwd))?;
    let dir = graph.hooks_dir();
    let path = dir.join("pre-push");
    if let Ok(old) = std::fs::read_to_string(&path) {
        if !force && !old.contains(MARK) {
            return Err(Error::msg(format!(
                "'{}' exists and was not written by manifest-gate; merge it by hand or pass --force",
                path.display()
            ))
            .kind(ErrorKind::Config));
        }
    }
    let exe = std::env::current_exe().map_err(|e| io(Path::new("manifest-gate"), e))?;
    let exe = exe.to_str().ok_or_else(|| {
        Error::msg("the path of this binary is not UTF-8").kind(ErrorKind::Config)
    })?;
    let mut line = format!("exec {} hook pre-push \"$@\"", sh_quote(exe));
    if !args.is_empty() {
        line.push_str(" --");
        for a in args {
            line.push(' ');
            line.push_str(&sh_quote(a));
        }
    }
    let script =
        format!("#!/bin/sh\n{MARK}\n# Bypass deliberately, once: git push --no-verify\n{line}\n");
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    // Never write through a symlink someone left at the hook's path.
    if std::fs::symlink_metadata(&path).is_ok() {
        std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
    }
    std::fs::write(&path, script).map_err(|e| io(&path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| io(&path, e))?;
    }
    println!("manifest-gate: installed {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// One pushed ref.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Push {
    local_ref: String,
    local_sha: String,
    remote_ref: String,
}

fn parse_line(line: &str) -> Result<Push> {
    let f: Vec<&str> = line.split_whitespace().collect();
    if f.len() != 4 {
        return Err(Error::msg(format!(
            "unexpected pre-push input line (want 4 fields): {:?}",
            line.chars().take(200).collect::<String>()
        ))
        .kind(ErrorKind::Parse));
    }
    Ok(Push {
        local_ref: f[0].to_string(),
        local_sha: f[1].to_string(),
        remote_ref: f[2].to_string(),
    })
}

/// The pushed refs: git's stdin lines, else the pre-commit framework's variables.
fn pushes(input: &mut dyn BufRead, env: &dyn Fn(&str) -> Option<String>) -> Result<Vec<Push>> {
    let mut out = Vec::new();
    for line in input.lines().take(10_000) {
        let line = line.map_err(|e| io(Path::new("<stdin>"), e))?;
        if !line.trim().is_empty() {
            out.push(parse_line(&line)?);
        }
    }
    if out.is_empty() {
        if let Some(to) = env("PRE_COMMIT_TO_REF") {
            out.push(Push {
                local_ref: env("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|| to.clone()),
                local_sha: to,
                remote_ref: env("PRE_COMMIT_REMOTE_BRANCH").unwrap_or_else(|| "?".into()),
            });
        }
    }
    Ok(out)
}

fn pre_push(
    remote: Option<&str>,
    input: &mut dyn BufRead,
    env: &dyn Fn(&str) -> Option<String>,
    args: &[String],
) -> Result<ExitCode> {
    let cwd = std::env::current_dir().map_err(|e| io(Path::new("."), e))?;
    let graph = Graph::discover(&cwd)?;
    let remote = remote
        .map(str::to_string)
        .or_else(|| env("PRE_COMMIT_REMOTE_NAME"))
        .unwrap_or_else(|| "origin".into());
    let mut worst = 0u8;
    for p in pushes(input, env)? {
        let code = judge(&graph, &remote, &p, args)?;
        worst = worst.max(code);
    }
    if worst != 0 {
        eprintln!(
            "manifest-gate: push stopped ({}). To push anyway, deliberately: git push --no-verify",
            if worst == 1 {
                "the change fails the gate"
            } else {
                "the gate could not decide"
            }
        );
    }
    Ok(ExitCode::from(worst))
}

/// Judge one pushed ref; returns check's exit code (0 for skipped refs).
fn judge(graph: &Graph, remote: &str, p: &Push, args: &[String]) -> Result<u8> {
    let name = &p.remote_ref;
    if is_zero_sha(&p.local_sha) {
        eprintln!("manifest-gate: {name}: deleted, nothing to judge");
        return Ok(0);
    }
    if graph.names_non_commit(&p.local_sha) {
        eprintln!("manifest-gate: {name}: not a commit, nothing to judge");
        return Ok(0);
    }
    let Some(head) = graph.commit(&p.local_sha) else {
        return Err(Error::msg(format!(
            "{name}: pushed object {} is not in this repository",
            p.local_sha
        ))
        .kind(ErrorKind::Git));
    };
    let Some(default) = graph.remote_default_branch(remote) else {
        eprintln!(
            "manifest-gate: {name}: cannot find {remote}'s default branch; run `git fetch {remote}` and `git remote set-head {remote} --auto`"
        );
        return Ok(2);
    };
    let base = match graph.merge_base(&default, &head) {
        MergeBase::Found(b) => b,
        other => {
            eprintln!("manifest-gate: {name}: no merge base with {default} ({other:?})");
            return Ok(2);
        }
    };
    if base == head {
        eprintln!("manifest-gate: {name}: already in {default}, nothing new to judge");
        return Ok(0);
    }
    eprintln!(
        "manifest-gate: {name} ({}): checking {}..{} (merge base with {default})",
        p.local_ref,
        &base[..12.min(base.len())],
        &head[..12.min(head.len())]
    );
    let exe = std::env::current_exe().map_err(|e| io(Path::new("manifest-gate"), e))?;
    let status = Command::new(exe)
        .arg("check")
        .arg("--repo")
        .arg(graph.root())
        .args(["--base", &base, "--head", &head])
        .args(args)
        .stdin(std::process::Stdio::null())
        .status()
        .map_err(|e| io(Path::new("manifest-gate check"), e))?;
    Ok(status.code().unwrap_or(2).clamp(0, 2) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_git_and_pre_commit_input() {
        let z = "0".repeat(40);
        let input = format!("refs/heads/a {} refs/heads/a {z}\n\n", "1".repeat(40));
        let none = |_: &str| None;
        let p = pushes(&mut input.as_bytes(), &none).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].remote_ref, "refs/heads/a");
        assert!(pushes(&mut "one two\n".as_bytes(), &none).is_err());
        let env = |k: &str| match k {
            "PRE_COMMIT_TO_REF" => Some("abc".to_string()),
            "PRE_COMMIT_REMOTE_BRANCH" => Some("refs/heads/x".to_string()),
            _ => None,
        };
        let p = pushes(&mut "".as_bytes(), &env).unwrap();
        assert_eq!(p[0].local_sha, "abc");
        assert_eq!(p[0].remote_ref, "refs/heads/x");
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("a'b"), "'a'\\''b'");
    }
}
