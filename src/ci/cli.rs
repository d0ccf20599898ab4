//! The `manifest-gate ci` subcommand: detect, resolve, explain, then run the
//! gate's own command on the chosen pair by re-executing this binary (never a
//! `manifest-gate` found on `PATH`).

use super::{detect, resolve, FetchPolicy};
use crate::error::{Error, ErrorKind, Result};
use std::path::PathBuf;
use std::process::{Command, ExitCode};

/// Arguments of `manifest-gate ci`.
#[derive(clap::Args, Debug)]
pub struct CiArgs {
    /// Repository root (default: the current directory).
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// Run `git fetch` against origin when the base, the head or their merge base
    /// is missing from a shallow clone (otherwise the error names the fetch to run).
    #[arg(long)]
    pub fetch: bool,
    /// Only print `base=<sha>` and `head=<sha>` lines (for `$GITHUB_OUTPUT`), run nothing.
    #[arg(long)]
    pub print: bool,
    /// Which command to run on the chosen pair.
    #[arg(long, value_parser = ["check", "diff", "comment", "merge-reports"], default_value = "check")]
    pub command: String,
    /// Further arguments for that command, after `--` (e.g. `-- --format sarif`).
    #[arg(last = true)]
    pub args: Vec<String>,
}

/// Run `manifest-gate ci`.
pub fn run(a: CiArgs) -> Result<ExitCode> {
    let env = |k: &str| std::env::var(k).ok();
    let choice = detect(&env)?;
    let root = match a.repo {
        Some(r) => r,
        None => std::env::current_dir()
            .map_err(|e| Error::msg(format!("current directory: {e}")).kind(ErrorKind::Io))?,
    };
    if let Some(why) = &choice.nothing {
        eprintln!(
            "manifest-gate ci: {}: nothing to judge ({why})",
            choice.event
        );
        return Ok(ExitCode::SUCCESS);
    }
    let policy = if a.fetch {
        FetchPolicy::Fetch
    } else {
        FetchPolicy::Never
    };
    let r = resolve(&root, &choice, policy)?;
    eprintln!("{}", r.explanation);
    if a.print {
        println!("base={}\nhead={}", r.base, r.head);
        return Ok(ExitCode::SUCCESS);
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::msg(format!("cannot locate this binary: {e}")).kind(ErrorKind::Io))?;
    let status = Command::new(exe)
        .arg(&a.command)
        .arg("--repo")
        .arg(&root)
        .args(["--base", &r.base, "--head", &r.head])
        .args(&a.args)
        .status()
        .map_err(|e| Error::msg(format!("cannot run {}: {e}", a.command)).kind(ErrorKind::Io))?;
    let code = status.code().unwrap_or(2).clamp(0, 255);
    Ok(ExitCode::from(code as u8))
}
