//! The `manifest-gate` command line: wires the stages together.

use clap::{Parser, Subcommand};
use manifest_gate::kustomize::{self, Mode, RenderOptions, Renderer};
use manifest_gate::source::{FsSource, GitSource, Source};
use manifest_gate::{Error, Result};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "manifest-gate", version, about = "Render Kustomize overlays natively, diff them between commits, and gate the change")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what `kustomize build DIR` prints, rendered natively.
    Render(RenderArgs),
}

#[derive(clap::Args)]
struct RenderArgs {
    /// The kustomization directory (with --all: the directory to search, default the repository root).
    dir: Option<PathBuf>,
    /// Repository root; reads never leave it. Default: the git work tree enclosing DIR, else the current directory.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Read the tree at this git revision (branch, tag, sha, HEAD~1) instead of the working tree.
    #[arg(long = "ref", value_name = "REV")]
    rev: Option<String>,
    /// Render every kustomization under DIR that is not a Component, in parallel.
    #[arg(long)]
    all: bool,
    /// With --all: write each result to OUT/<directory relative to the repository root>.yaml.
    #[arg(long, value_name = "OUT")]
    out: Option<PathBuf>,
    /// native: refuse what is not implemented natively; kustomize: run an external kustomize;
    /// auto: native, falling back to an external kustomize only where needed.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    renderer: Mode,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(a) => cmd_render(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Lexically normalise an absolute path (no filesystem access).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c.as_os_str()),
        }
    }
    out
}

fn absolute(p: &Path) -> Result<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| Error::msg(format!("current directory: {e}")))?;
    let abs = if p.is_absolute() { p.to_path_buf() } else { cwd.join(p) };
    Ok(match abs.canonicalize() {
        Ok(c) => c,
        Err(_) => normalize(&abs),
    })
}

/// Resolve the repository root and DIR relative to it.
fn locate(dir: Option<&Path>, repo: Option<&Path>) -> Result<(PathBuf, String)> {
    let dir_abs = absolute(dir.unwrap_or(Path::new(".")))?;
    let root = match repo {
        Some(r) => absolute(r)?,
        None => {
            let mut probe = dir_abs.clone();
            while !probe.exists() {
                if !probe.pop() {
                    break;
                }
            }
            match git2::Repository::discover(&probe).ok().and_then(|r| r.workdir().map(Path::to_path_buf)) {
                Some(w) => absolute(&w)?,
                None => absolute(Path::new("."))?,
            }
        }
    };
    let rel = dir_abs.strip_prefix(&root).map_err(|_| {
        Error::msg(format!("'{}' is outside the repository root '{}'", dir_abs.display(), root.display()))
    })?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok((root, rel))
}

fn open_source(root: &Path, rev: Option<&str>) -> Result<Box<dyn Source>> {
    Ok(match rev {
        Some(rev) => Box::new(GitSource::open(root, rev)?),
        None => Box::new(FsSource::new(root)?),
    })
}

fn cmd_render(a: RenderArgs) -> Result<ExitCode> {
    let (root, rel) = locate(a.dir.as_deref(), a.repo.as_deref())?;
    let src = open_source(&root, a.rev.as_deref())?;
    if a.all {
        let out = a.out.ok_or_else(|| Error::msg("--all needs --out OUT"))?;
        return render_all(src.as_ref(), &rel, &out, a.renderer);
    }
    if a.dir.is_none() {
        return Err(Error::msg("render needs a kustomization directory (or --all)"));
    }
    let renderer = Renderer::new(src.as_ref(), RenderOptions::default());
    let rendered = kustomize::render_with(&renderer, &rel, a.renderer)?;
    print!("{}", rendered.to_yaml());
    Ok(ExitCode::SUCCESS)
}

fn render_all(src: &dyn Source, under: &str, out: &Path, mode: Mode) -> Result<ExitCode> {
    use rayon::prelude::*;
    let dirs = kustomize::discover::kustomization_dirs(src, under)?;
    let renderer = Renderer::new(src, RenderOptions::default());
    let results: Vec<(String, Result<String>)> = dirs
        .par_iter()
        .map(|d| (d.dir.clone(), kustomize::render_with(&renderer, &d.dir, mode).map(|r| r.to_yaml())))
        .collect();
    let mut failed = 0;
    for (dir, r) in results {
        match r {
            Ok(text) => {
                let name = if dir.is_empty() { "_root".to_string() } else { dir.clone() };
                let path = out.join(format!("{name}.yaml"));
                if let Some(p) = path.parent() {
                    std::fs::create_dir_all(p).map_err(|e| Error::msg(format!("{}: {e}", p.display())))?;
                }
                std::fs::write(&path, text).map_err(|e| Error::msg(format!("{}: {e}", path.display())))?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("error: {}: {e}", if dir.is_empty() { "." } else { &dir });
            }
        }
    }
    Ok(if failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}
