//! The `manifest-gate` command line: wires the stages together.

use clap::{Parser, Subcommand};
use manifest_gate::gate;
use manifest_gate::kustomize::{self, LoadRestrictor, Mode, RenderOptions, Renderer};
use manifest_gate::report::{self, Format};
use manifest_gate::source::{revision, FsSource, GitSource, Source};
use manifest_gate::{Error, ErrorKind, Result};
use std::io::Write;
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
    /// Combine the shard files of `check --shard I/N` (every shard of one change) into
    /// one verdict: the same outputs and exit code as `check` unsharded.
    MergeReports(MergeArgs),
    /// Post (or update) the check verdict and the rendered diff as a pull/merge request comment.
    Comment(CommentArgs),
    /// List each overlay with its environment and how that was decided.
    Overlays(OverlaysArgs),
    /// Read the CI environment, choose base and head (the merge base), then run `check` on them.
    Ci(manifest_gate::ci::CiArgs),
    /// Git hooks: `hook install` writes a pre-push hook that judges every pushed ref.
    Hook(manifest_gate::hook::HookArgs),
    /// Explain a rule: what it checks, why, and how to satisfy it.
    Explain {
        /// Rule id (see `manifest-gate rules`).
        rule: String,
    },
    /// List the rules: id, default severity, summary.
    Rules {
        /// Output format (text or json).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
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
    /// Wall-clock budget of the whole run: discovery, every render and the
    /// external fallback's copies together (`0` for none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "30m")]
    timeout: std::time::Duration,
    /// Most bytes (keys and scalar text) one overlay's rendered output may hold,
    /// enforced while patches, replacements and vars run.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "32MiB")]
    max_output_bytes: u64,
    /// Most YAML nodes one overlay's rendered output may hold.
    #[arg(long, value_name = "N", default_value_t = 500_000)]
    max_output_nodes: u64,
    /// Address-space limit of the external kustomize/kubectl process (RLIMIT_AS).
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, default_value = "2GiB")]
    external_max_memory: u64,
}

impl LimitArgs {
    fn options(&self) -> RenderOptions {
        if !self.timeout.is_zero() {
            manifest_gate::kustomize::guard::set_run_budget(self.timeout);
        }
        let mut o = RenderOptions::default();
        o.limits.max_file_bytes = usize::try_from(self.max_file_bytes).unwrap_or(usize::MAX);
        o.max_render_bytes = self.max_render_bytes;
        o.max_output_bytes = self.max_output_bytes;
        o.max_output_nodes = self.max_output_nodes;
        o.external_max_memory = self.external_max_memory;
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

/// Remote bases: fetched only when asked.
#[derive(clap::Args, Clone)]
struct FetchArgs {
    /// Fetch the remote bases that `remote:` in .manifest-gate.yaml allows (pinned, with the system git); without it nothing is fetched.
    #[arg(long)]
    fetch_remote: bool,
    /// Cache of fetched remote bases (default $XDG_CACHE_HOME/manifest-gate, else ~/.cache/manifest-gate).
    #[arg(long, value_name = "DIR")]
    cache_dir: Option<PathBuf>,
}

impl FetchArgs {
    fn options(&self) -> kustomize::remote::FetchOptions {
        kustomize::remote::FetchOptions {
            fetch: self.fetch_remote,
            cache_dir: self.cache_dir.clone(),
        }
    }
}

#[derive(clap::Args)]
struct RevArgs {
    /// Base revision (the pull request's target).
    #[arg(long, value_name = "REV")]
    base: String,
    /// Head revision (the pull request's tip).
    #[arg(long, value_name = "REV")]
    head: String,
    /// Compare with `--base` itself instead of merge-base(base, head), the default
    /// (which judges only the change the head introduces, as the forge's diff shows).
    #[arg(long)]
    base_exact: bool,
    /// Repository root. Default: the git work tree enclosing the current directory.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// native | kustomize | auto (native, falling back to an external kustomize where needed).
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    renderer: Mode,
    /// Render every overlay at both revisions, even those the change cannot reach
    /// (static closure of their kustomizations): the same verdict and diff, slower,
    /// and it also notes the overlays that do not render although the change does
    /// not reach them. By default only what the change reaches is rendered.
    #[arg(long)]
    full: bool,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    fetch: FetchArgs,
    /// Show progress on standard error even when it is not a terminal or `CI` is
    /// set (then as plain lines, one when each phase starts and ends).
    #[arg(long)]
    verbose: bool,
    /// Print where the run's time went (resolve and configuration, GitOps topology,
    /// discover and closure, render and diff, deployments, rules, output) on
    /// standard error.
    #[arg(long)]
    timings: bool,
}

#[derive(clap::Args)]
struct DiffArgs {
    #[command(flatten)]
    revs: RevArgs,
    /// Output format (text, json or markdown).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Configuration (for environment names) on disk instead of `.manifest-gate.yaml` at the base revision.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    revs: RevArgs,
    /// Output format on standard output: text, json, sarif, markdown (the pull-request
    /// comment), github (workflow-command annotations), junit or gitlab (Code Quality).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write FORMAT to PATH (repeatable: `--output sarif=gate.sarif --output junit=junit.xml`).
    /// Written even when the gate cannot decide; never through a symlink.
    #[arg(long, value_name = "FORMAT=PATH")]
    output: Vec<report::output::OutputSpec>,
    /// Read the configuration from this file on disk instead of `.manifest-gate.yaml` at the base revision.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Audit the whole state at `--head` (configuration from `--base`): every rendered
    /// resource is judged as an addition; single-environment and promotion-order do not run.
    #[arg(long)]
    all: bool,
    /// Render only shard I of N of the overlays (by a stable hash of their paths; a CI
    /// matrix runs 1/N ... N/N) and print the shard file (JSON) on standard output
    /// instead of a verdict; `merge-reports` judges the change from all N files.
    #[arg(long, value_name = "I/N", conflicts_with = "output")]
    shard: Option<manifest_gate::diff::shard::Shard>,
}

#[derive(clap::Args)]
struct MergeArgs {
    #[command(flatten)]
    check: CheckArgs,
    /// The shard files, one per shard `1/N` ... `N/N`, made by `check --shard` from
    /// the same --base, --head and options.
    #[arg(required = true, value_name = "SHARD_FILE")]
    shards: Vec<PathBuf>,
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
    /// Most characters of the comment (default 65000 for GitHub, 1000000 for GitLab).
    #[arg(long, value_name = "N")]
    max_comment_chars: Option<usize>,
    /// Also write the full report (the comment without a size limit) to PATH;
    /// a comment that has to cut points to it. Never written through a symlink.
    #[arg(long, value_name = "PATH")]
    report_file: Option<PathBuf>,
    /// Key of the sticky comment, for several gates in one repository (each
    /// keeps its own comment).
    #[arg(long, value_name = "KEY")]
    comment_key: Option<String>,
    /// Judge from the shard files of `check --shard` (repeat for each of 1/N ... N/N)
    /// instead of rendering, as `merge-reports` does.
    #[arg(long = "from-shard", value_name = "FILE")]
    from_shards: Vec<PathBuf>,
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
    /// root-only (kustomize build's default): a file a kustomization loads must be in
    /// or below its directory; none (as Flux builds): any file in the repository.
    /// kustomize's spellings LoadRestrictionsRootOnly / LoadRestrictionsNone are accepted.
    #[arg(long, value_name = "RULE", value_parser = parse_load_restrictor, default_value = "root-only")]
    load_restrictor: LoadRestrictor,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    fetch: FetchArgs,
    /// With --all: show progress on standard error even when it is not a terminal
    /// or `CI` is set (then as plain lines).
    #[arg(long)]
    verbose: bool,
}

fn parse_load_restrictor(s: &str) -> std::result::Result<LoadRestrictor, String> {
    match s {
        "root-only" | "LoadRestrictionsRootOnly" => Ok(LoadRestrictor::RootOnly),
        "none" | "LoadRestrictionsNone" => Ok(LoadRestrictor::None),
        _ => Err(format!("'{s}': use root-only or none")),
    }
}

fn main() -> ExitCode {
    manifest_gate::alloc::tune();
    // The Rego worker (a child of `check`, bounded in memory and time): not a
    // command of the user interface.
    if std::env::args_os().nth(1).as_deref()
        == Some(std::ffi::OsStr::new(
            manifest_gate::policy::rego::WORKER_ARG,
        ))
    {
        return ExitCode::from(manifest_gate::policy::rego::worker_main() as u8);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(a) => cmd_render(a),
        Command::Diff(a) => cmd_diff(a),
        Command::Check(a) => cmd_check(a, Vec::new()),
        Command::MergeReports(a) => cmd_merge(a),
        Command::Comment(a) => cmd_comment(a),
        Command::Overlays(a) => cmd_overlays(a),
        Command::Ci(a) => manifest_gate::ci::run(a),
        Command::Hook(a) => manifest_gate::hook::run(a),
        Command::Explain { rule } => cmd_explain(&rule),
        Command::Rules { format } => cmd_rules(format),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // Messages quote repository paths and names: never a raw newline.
            eprintln!("error: {}", report::escape::text(&e.to_string()));
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
            match revision::discover_root(&probe) {
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
    let mut opts = a.limits.options();
    opts.load_restrictor = a.load_restrictor;
    let remotes = render_remotes(src.as_ref(), &root, &a)?;
    if a.all {
        let out = a.out.ok_or_else(|| Error::msg("--all needs --out OUT"))?;
        let renderer = Renderer::new(src.as_ref(), opts).with_remotes(remotes);
        let progress = gate::progress::stderr(a.verbose);
        let failures = gate::render_all(
            src.as_ref(),
            &renderer,
            &rel,
            &out,
            a.renderer,
            progress.as_ref(),
        )?;
        for f in &failures {
            let dir = if f.dir.is_empty() { "." } else { &f.dir };
            let line = format!("{dir}: {}", f.error);
            eprintln!("error: {}", report::escape::text(&line));
        }
        return Ok(if failures.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        });
    }
    if a.dir.is_none() {
        return Err(Error::msg(
            "render needs a kustomization directory (or --all)",
        ));
    }
    let renderer = Renderer::new(src.as_ref(), opts).with_remotes(remotes);
    let rendered = kustomize::render_with(&renderer, &rel, a.renderer)?;
    emit(&rendered.to_yaml())?;
    Ok(ExitCode::SUCCESS)
}

/// With `--fetch-remote`, the remote bases that `remote:` of the rendered
/// tree's `.manifest-gate.yaml` admits.
fn render_remotes(
    src: &dyn Source,
    root: &Path,
    a: &RenderArgs,
) -> Result<Option<std::sync::Arc<kustomize::remote::Remotes>>> {
    use manifest_gate::policy::{Config, CONFIG_FILE};
    if !a.fetch.fetch_remote {
        return Ok(None);
    }
    let policy = match src.entry(CONFIG_FILE)? {
        Some(manifest_gate::source::EntryKind::File) => {
            let text = manifest_gate::yaml::decode(&src.read(CONFIG_FILE)?, CONFIG_FILE)?;
            Config::parse(&text, CONFIG_FILE)?.remote
        }
        _ => Default::default(),
    };
    a.fetch
        .options()
        .remotes(&policy, root, a.limits.max_file_bytes)
}

/// Write to stdout. A closed pipe (`manifest-gate render big | head -c1`) ends
/// the program quietly with exit 0, as ripgrep does; other write errors are errors.
fn emit(s: &str) -> Result<()> {
    emit_with(|out| out.write_all(s.as_bytes()))
}

/// Write to standard output with `write` (buffered), then flush: a closed
/// pipe (`| head`) ends the process with success, any other failure is an
/// I/O error.
fn emit_with(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            Err(Error::msg(format!("cannot write to standard output: {e}")).kind(ErrorKind::Io))
        }
    }
}

/// The repository root for commands that compare revisions.
fn repo_root(repo: Option<&Path>) -> Result<PathBuf> {
    match repo {
        Some(r) => absolute(r),
        None => {
            let cwd = absolute(Path::new("."))?;
            let root = revision::discover_root(&cwd).ok_or_else(|| {
                Error::msg(format!(
                    "'{}' is not inside a git repository (use --repo)",
                    cwd.display()
                ))
            })?;
            absolute(&root)
        }
    }
}

/// The base to judge against: merge-base(base, head) unless `--base-exact`.
fn judged_base(root: &Path, revs: &RevArgs) -> Result<String> {
    if revs.base_exact {
        return Ok(revs.base.clone());
    }
    let b = manifest_gate::source::merge_base::change_base(root, &revs.base, &revs.head)?;
    if let Some(note) = &b.note {
        eprintln!("{note}");
    }
    Ok(b.rev)
}

fn gate_options(revs: &RevArgs, config: Option<PathBuf>) -> gate::Options {
    gate::Options {
        config,
        mode: revs.renderer,
        render: revs.limits.options(),
        fetch: revs.fetch.options(),
        full: revs.full,
        progress: gate::progress::stderr(revs.verbose),
        ..Default::default()
    }
}

fn cmd_diff(a: DiffArgs) -> Result<ExitCode> {
    let timings = a.revs.timings.then(gate::Timings::default);
    let started = std::time::Instant::now();
    let root = repo_root(a.revs.repo.as_deref())?;
    let mut opts = gate_options(&a.revs, a.config);
    opts.timings = timings.clone();
    // Refuse a format that does not apply before the (slow) rendering.
    report::diff_format(a.format)?;
    let base = judged_base(&root, &a.revs)?;
    let rep = gate::diff(&root, &base, &a.revs.head, &opts);
    if let Ok(rep) = &rep {
        emit(&report::render_report(rep, a.format))?;
    }
    if let Some(tm) = &timings {
        print_timings(tm, started.elapsed());
    }
    rep?;
    Ok(ExitCode::SUCCESS)
}

/// `--timings`: each phase of the run on standard error, the rest (the outputs) last.
fn print_timings(tm: &gate::Timings, total: std::time::Duration) {
    let phases = tm.lock().map(|v| v.clone()).unwrap_or_default();
    let mut spent = std::time::Duration::ZERO;
    for (phase, d) in &phases {
        eprintln!("timings: {phase:<32} {:>9.3} s", d.as_secs_f64());
        spent += *d;
    }
    let rest = total.saturating_sub(spent);
    eprintln!("timings: {:<32} {:>9.3} s", "output", rest.as_secs_f64());
    eprintln!("timings: {:<32} {:>9.3} s", "total", total.as_secs_f64());
}

fn cmd_merge(a: MergeArgs) -> Result<ExitCode> {
    if a.check.shard.is_some() {
        return Err(Error::msg(
            "merge-reports combines shard files: --shard belongs to `check`",
        ));
    }
    cmd_check(a.check, a.shards)
}

/// `check --shard`: the shard file on standard output.
fn cmd_shard(a: &CheckArgs, shard: manifest_gate::diff::shard::Shard) -> Result<ExitCode> {
    if a.format != Format::Text {
        return Err(Error::msg(
            "check --shard prints the shard file; give --format to merge-reports",
        ));
    }
    let root = repo_root(a.revs.repo.as_deref())?;
    let mut opts = gate_options(&a.revs, a.config.clone());
    opts.all = a.all;
    let base = judged_base(&root, &a.revs)?;
    let file = gate::shard(&root, &base, &a.revs.head, &opts, shard)?;
    emit_with(|out| {
        serde_json::to_writer(&mut *out, &file).map_err(std::io::Error::from)?;
        out.write_all(b"\n")
    })?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_check(a: CheckArgs, from_shards: Vec<PathBuf>) -> Result<ExitCode> {
    if let Some(shard) = a.shard {
        return cmd_shard(&a, shard);
    }
    let timings = a.revs.timings.then(gate::Timings::default);
    let started = std::time::Instant::now();
    let checked = (|| {
        let root = repo_root(a.revs.repo.as_deref())?;
        let mut opts = gate_options(&a.revs, a.config.clone());
        opts.all = a.all;
        opts.timings = timings.clone();
        opts.from_shards = from_shards.clone();
        let base = judged_base(&root, &a.revs)?;
        gate::check(&root, &base, &a.revs.head, &opts)
    })();
    let verdict = match &checked {
        Ok(o) => report::Verdict::Decided(o),
        Err(e) => report::Verdict::Undecided(report::Undecided {
            base: &a.revs.base,
            head: &a.revs.head,
            error: e,
        }),
    };
    // Every file is written, decided or not; the first failure to write is
    // the run's error after the others were tried.
    let mut failed: Option<Error> = None;
    for spec in &a.output {
        let doc = report::render_verdict(&verdict, spec.format);
        if let Err(e) = report::output::write_file(&spec.path, &doc) {
            failed.get_or_insert(e);
        }
    }
    let github = a.format == Format::Github || a.output.iter().any(|o| o.format == Format::Github);
    if github {
        let file = std::env::var_os("GITHUB_STEP_SUMMARY").map(PathBuf::from);
        if let Err(e) = report::output::step_summary(&verdict, file.as_deref()) {
            failed.get_or_insert(e);
        }
    }
    // Undecided text is the `error:` line on standard error (below).
    if !(checked.is_err() && a.format == Format::Text) {
        emit(&report::render_verdict(&verdict, a.format))?;
    }
    if let Some(tm) = &timings {
        print_timings(tm, started.elapsed());
    }
    let outcome = checked?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(ExitCode::from(outcome.exit_code()))
}

fn cmd_comment(a: CommentArgs) -> Result<ExitCode> {
    use manifest_gate::forge;
    use manifest_gate::report::comment::CommentOptions;
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
    let timings = a.revs.timings.then(gate::Timings::default);
    let started = std::time::Instant::now();
    let checked = (|| {
        let root = repo_root(a.revs.repo.as_deref())?;
        let mut opts = gate_options(&a.revs, a.config.clone());
        opts.from_shards = a.from_shards.clone();
        opts.timings = timings.clone();
        let base = judged_base(&root, &a.revs)?;
        gate::check(&root, &base, &a.revs.head, &opts)
    })();
    let verdict = match &checked {
        Ok(o) => report::Verdict::Decided(o),
        Err(e) => report::Verdict::Undecided(report::Undecided {
            base: &a.revs.base,
            head: &a.revs.head,
            error: e,
        }),
    };
    let report_name = a
        .report_file
        .as_deref()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned());
    if let Some(path) = &a.report_file {
        let full = CommentOptions {
            key: a.comment_key.as_deref(),
            ..CommentOptions::unlimited()
        };
        report::output::write_file(path, &report::render_comment(&verdict, &full))?;
    }
    let opts = CommentOptions {
        limit: a.max_comment_chars.unwrap_or(kind.default_comment_chars()),
        key: a.comment_key.as_deref(),
        report_file: report_name.as_deref(),
    };
    let body = report::render_comment(&verdict, &opts);
    let said = match &checked {
        Ok(o) if o.passed() => "passed",
        Ok(_) => "failed",
        Err(_) => "could not decide",
    };
    match target {
        None => emit(&body)?,
        Some(t) => {
            let posted = forge::upsert(&t, &body)?;
            emit(&format!(
                "manifest-gate: {posted} on {} ({said})\n",
                t.describe()
            ))?;
        }
    }
    if let Some(tm) = &timings {
        print_timings(tm, started.elapsed());
    }
    // Could not decide: the comment says so, and the run exits 2 with the cause.
    let outcome = checked?;
    Ok(ExitCode::from(outcome.exit_code()))
}

fn cmd_overlays(a: OverlaysArgs) -> Result<ExitCode> {
    let root = repo_root(a.repo.as_deref())?;
    let (loaded, list, topo) = gate::overlays(&root, &a.rev, a.config.as_deref())?;
    let mut out = report::overlays::render(&loaded.config, &loaded.source, &list);
    out.push_str(&report::overlays::topology(&topo));
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn cmd_explain(rule: &str) -> Result<ExitCode> {
    match manifest_gate::policy::explain(rule) {
        Some(text) => {
            emit(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        None => Err(Error::msg(format!(
            "unknown rule '{}' (rules: {})",
            report::escape::text(rule),
            manifest_gate::policy::rules::ids().join(", ")
        ))
        .kind(ErrorKind::Config)),
    }
}

fn cmd_rules(format: Format) -> Result<ExitCode> {
    match format {
        Format::Text => emit(&report::rules::render_text())?,
        Format::Json => emit(&report::rules::render_json())?,
        other => {
            return Err(Error::msg(format!(
                "`rules` prints text or json, not {}",
                other.name()
            )))
        }
    }
    Ok(ExitCode::SUCCESS)
}
