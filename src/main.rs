//! The `manifest-gate` command line: wires the stages together.

use clap::{Parser, Subcommand};
use manifest_gate::kustomize::{self, Mode, RenderOptions, Renderer};
use manifest_gate::source::{FsSource, GitSource, Source};
use manifest_gate::{Error, Result};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

/// mimalloc: the renderer allocates and frees many small nodes from several
/// threads; glibc's malloc spends a quarter of the run in allocation there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "manifest-gate",
    version,
    about = "Render Kustomize overlays natively, diff them between commits, and gate the change"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what `kustomize build DIR` prints, rendered natively.
    Render(RenderArgs),
    /// Render every overlay at two revisions and show the semantic diff of the rendered manifests.
    Diff(DiffArgs),
    /// The gate: fail when a change touches several environments, smuggles kinds, or skips promotion.
    Check(CheckArgs),
    /// Post (or update) the check verdict and the rendered diff as a pull/merge request comment.
    Comment(CommentArgs),
    /// List each overlay with its environment and how that was decided.
    Overlays(OverlaysArgs),
    /// Explain a rule: what it checks, why, and how to satisfy it.
    Explain {
        /// Rule id (single-environment, unexpected-kind, promotion-order).
        rule: String,
    },
}

/// Budgets for every render (each overlay at each revision).
#[derive(clap::Args, Clone)]
struct LimitArgs {
    /// Largest file read, in bytes (suffixes K, M, G, KiB, MiB, GiB accepted).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "16MiB")]
    max_file_bytes: u64,
    /// Most bytes one overlay's render may read, all files together.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "64MiB")]
    max_render_bytes: u64,
    /// Wall-clock budget per overlay (`500ms`, `30s`, `2m`; `0` for none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "120s")]
    timeout_per_overlay: std::time::Duration,
}

impl LimitArgs {
    fn options(&self) -> RenderOptions {
        let mut o = RenderOptions::default();
        o.limits.max_file_bytes = usize::try_from(self.max_file_bytes).unwrap_or(usize::MAX);
        o.max_render_bytes = self.max_render_bytes;
        o.timeout = if self.timeout_per_overlay.is_zero() {
            None
        } else {
            Some(self.timeout_per_overlay)
        };
        o
    }
}

fn parse_bytes(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a byte count (e.g. 1048576, 512K, 16MiB)"))?;
    let mul: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (use K, M or G)")),
    };
    n.checked_mul(mul)
        .ok_or_else(|| format!("'{s}' is too large"))
}

fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    use std::time::Duration;
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a duration (e.g. 500ms, 30s, 2m)"))?;
    Ok(match unit {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(format!("'{s}': unknown unit '{unit}' (use ms, s, m or h)")),
    })
}

#[derive(clap::Args)]
struct RevArgs {
    /// Base revision (the pull request's target).
    #[arg(long, value_name = "REV")]
    base: String,
    /// Head revision (the pull request's tip).
    #[arg(long, value_name = "REV")]
    head: String,
    /// Repository root. Default: the git work tree enclosing the current directory.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// native | kustomize | auto (native, falling back to an external kustomize where needed).
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    renderer: Mode,
    #[command(flatten)]
    limits: LimitArgs,
}

#[derive(clap::Args)]
struct DiffArgs {
    #[command(flatten)]
    revs: RevArgs,
    /// Output format.
    #[arg(long, value_parser = ["text", "json", "markdown"], default_value = "text")]
    format: String,
    /// Render every overlay at both revisions, even those whose inputs did not change.
    #[arg(long)]
    full: bool,
    /// Configuration (for environment names) on disk instead of `.manifest-gate.yaml` at the base revision.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    revs: RevArgs,
    /// Output format.
    #[arg(long, value_parser = ["text", "json", "sarif"], default_value = "text")]
    format: String,
    /// Read the configuration from this file on disk instead of `.manifest-gate.yaml` at the base revision.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct CommentArgs {
    #[command(flatten)]
    revs: RevArgs,
    /// Where to post: github (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL)
    /// or gitlab (GITLAB_TOKEN, CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID).
    #[arg(long, value_parser = ["github", "gitlab"])]
    forge: String,
    /// Pull request number (GitHub) or merge request iid (GitLab); default from the CI environment.
    #[arg(long, value_name = "N")]
    pr: Option<u64>,
    /// Print the comment body instead of posting it (no token or network needed).
    #[arg(long)]
    dry_run: bool,
    /// Read the configuration from this file on disk instead of `.manifest-gate.yaml` at the base revision.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct OverlaysArgs {
    /// Revision to list (default HEAD).
    #[arg(long = "ref", value_name = "REV", default_value = "HEAD")]
    rev: String,
    /// Repository root. Default: the git work tree enclosing the current directory.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// Configuration file on disk instead of `.manifest-gate.yaml` at the revision.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
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
    #[command(flatten)]
    limits: LimitArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(a) => cmd_render(a),
        Command::Diff(a) => cmd_diff(a),
        Command::Check(a) => cmd_check(a),
        Command::Comment(a) => cmd_comment(a),
        Command::Overlays(a) => cmd_overlays(a),
        Command::Explain { rule } => cmd_explain(&rule),
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
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
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
            match git2::Repository::discover(&probe)
                .ok()
                .and_then(|r| r.workdir().map(Path::to_path_buf))
            {
                Some(w) => absolute(&w)?,
                None => absolute(Path::new("."))?,
            }
        }
    };
    let rel = dir_abs.strip_prefix(&root).map_err(|_| {
        Error::msg(format!(
            "'{}' is outside the repository root '{}'",
            dir_abs.display(),
            root.display()
        ))
    })?;
    let rel = rel.to_string_lossy().replace('\\', "/");
    Ok((root, rel))
}

fn open_source(root: &Path, rev: Option<&str>, max_file_bytes: u64) -> Result<Box<dyn Source>> {
    Ok(match rev {
        Some(rev) => Box::new(GitSource::open(root, rev)?.with_max_file_bytes(max_file_bytes)),
        None => Box::new(FsSource::new(root)?.with_max_file_bytes(max_file_bytes)),
    })
}

fn cmd_render(a: RenderArgs) -> Result<ExitCode> {
    let (root, rel) = locate(a.dir.as_deref(), a.repo.as_deref())?;
    let src = open_source(&root, a.rev.as_deref(), a.limits.max_file_bytes)?;
    let opts = a.limits.options();
    if a.all {
        let out = a.out.ok_or_else(|| Error::msg("--all needs --out OUT"))?;
        return render_all(src.as_ref(), &rel, &out, a.renderer, opts);
    }
    if a.dir.is_none() {
        return Err(Error::msg(
            "render needs a kustomization directory (or --all)",
        ));
    }
    let renderer = Renderer::new(src.as_ref(), opts);
    let rendered = kustomize::render_with(&renderer, &rel, a.renderer)?;
    print!("{}", rendered.to_yaml());
    Ok(ExitCode::SUCCESS)
}

fn render_all(
    src: &dyn Source,
    under: &str,
    out: &Path,
    mode: Mode,
    opts: RenderOptions,
) -> Result<ExitCode> {
    use rayon::prelude::*;
    let dirs = kustomize::discover::kustomization_dirs(src, under)?;
    let renderer = Renderer::new(src, opts);
    // Each result is written as soon as it is rendered, so that at most one
    // rendered overlay per thread is held in memory.
    let write = |dir: &str, text: String| -> Result<()> {
        let name = if dir.is_empty() { "_root" } else { dir };
        let path = out.join(format!("{name}.yaml"));
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::msg(format!("{}: {e}", p.display())))?;
        }
        std::fs::write(&path, text).map_err(|e| Error::msg(format!("{}: {e}", path.display())))
    };
    let errors: Vec<(String, Error)> = dirs
        .par_iter()
        .filter_map(|d| {
            let r = kustomize::render_with(&renderer, &d.dir, mode)
                .and_then(|r| write(&d.dir, r.to_yaml()));
            r.err().map(|e| (d.dir.clone(), e))
        })
        .collect();
    for (dir, e) in &errors {
        eprintln!("error: {}: {e}", if dir.is_empty() { "." } else { dir });
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The repository root for commands that compare revisions.
fn repo_root(repo: Option<&Path>) -> Result<PathBuf> {
    match repo {
        Some(r) => absolute(r),
        None => {
            let cwd = absolute(Path::new("."))?;
            let r = git2::Repository::discover(&cwd).map_err(|_| {
                Error::msg(format!(
                    "'{}' is not inside a git repository (use --repo)",
                    cwd.display()
                ))
            })?;
            match r.workdir() {
                Some(w) => absolute(w),
                None => Ok(r.path().to_path_buf()),
            }
        }
    }
}

fn cmd_diff(a: DiffArgs) -> Result<ExitCode> {
    use manifest_gate::{diff, report};
    let root = repo_root(a.revs.repo.as_deref())?;
    let opts = diff::DiffOptions {
        full: a.full,
        mode: a.revs.renderer,
        render: a.revs.limits.options(),
        ..Default::default()
    };
    let (mut rep, _) = diff::diff_revisions(&root, &a.revs.base, &a.revs.head, &opts)?;
    manifest_gate::policy::label_environments(&root, &a.revs.base, a.config.as_deref(), &mut rep)?;
    let format = match a.format.as_str() {
        "json" => report::Format::Json,
        "markdown" => report::Format::Markdown,
        _ => report::Format::Text,
    };
    print!("{}", report::render_report(&rep, format));
    Ok(ExitCode::SUCCESS)
}

fn cmd_check(a: CheckArgs) -> Result<ExitCode> {
    use manifest_gate::policy;
    let root = repo_root(a.revs.repo.as_deref())?;
    let opts = policy::CheckOptions {
        config: a.config,
        mode: a.revs.renderer,
        render: a.revs.limits.options(),
    };
    let outcome = policy::check(&root, &a.revs.base, &a.revs.head, &opts)?;
    if a.format == "sarif" {
        print!("{}", manifest_gate::report::sarif::render_sarif(&outcome));
        return Ok(ExitCode::from(outcome.exit_code() as u8));
    }
    let format = if a.format == "json" {
        policy::Format::Json
    } else {
        policy::Format::Text
    };
    print!("{}", policy::render_check(&outcome, format));
    Ok(ExitCode::from(outcome.exit_code() as u8))
}

fn cmd_comment(a: CommentArgs) -> Result<ExitCode> {
    use manifest_gate::{forge, policy, report};
    let kind: forge::Forge = a.forge.parse()?;
    // Resolve where to post before the (slow) rendering, so a missing
    // variable fails fast.
    let target = if a.dry_run {
        None
    } else {
        Some(forge::Target::from_env(kind, a.pr, |k| {
            std::env::var(k).ok()
        })?)
    };
    let root = repo_root(a.revs.repo.as_deref())?;
    let opts = policy::CheckOptions {
        config: a.config,
        mode: a.revs.renderer,
        render: a.revs.limits.options(),
    };
    let outcome = policy::check(&root, &a.revs.base, &a.revs.head, &opts)?;
    let md = report::render_report(&outcome.report, report::Format::Markdown);
    let body = forge::comment_body(&outcome, &md, kind.limit());
    match target {
        None => print!("{body}"),
        Some(t) => {
            let posted = forge::upsert(&t, &body)?;
            println!(
                "manifest-gate: {posted} on {} ({})",
                t.describe(),
                if outcome.passed() { "passed" } else { "failed" }
            );
        }
    }
    Ok(ExitCode::from(outcome.exit_code() as u8))
}

fn cmd_overlays(a: OverlaysArgs) -> Result<ExitCode> {
    let root = repo_root(a.repo.as_deref())?;
    print!(
        "{}",
        manifest_gate::policy::list_overlays(&root, &a.rev, a.config.as_deref())?
    );
    Ok(ExitCode::SUCCESS)
}

fn cmd_explain(rule: &str) -> Result<ExitCode> {
    match manifest_gate::policy::explain(rule) {
        Some(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        None => Err(Error::msg(format!(
            "unknown rule '{rule}' (rules: single-environment, unexpected-kind, promotion-order)"
        ))),
    }
}
