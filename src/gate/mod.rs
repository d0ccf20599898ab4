//! The pipeline driver: the one place that runs the stages in order.
//!
//! resolve the revisions ([`crate::source::revision`]) → load the
//! configuration → discover and render the overlays at both revisions and diff
//! them ([`crate::diff`]) → run the rules ([`crate::policy`]) → a
//! [`CheckOutcome`] that [`crate::report`] renders. No stage calls another
//! stage's entry point; each is called from here.

mod config;
pub mod progress;
mod render;
pub mod topology;

pub use config::load_config;
pub use render::{render_all, RenderFailure};

use crate::diff::shard::{Recorder, Replay, RunKey, Shard, ShardFile, Side};
use crate::diff::{self, DiffOptions, DiffReport, RenderFn, RenderedSides};
use crate::error::Result;
use crate::kustomize::remote::{FetchOptions, Mounted};
use crate::kustomize::{Mode, RenderOptions, Renderer};
use crate::policy::{self, CheckOutcome, LoadedConfig, OverlayInfo, RuleContext};
use crate::source::{revision, ChangedFile, GitSource, Revision, Source};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Options of the commands that compare two revisions.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--config FILE`: read the configuration from this file on disk instead of
    /// `.manifest-gate.yaml` at the base revision.
    pub config: Option<PathBuf>,
    /// Which renderer (`--renderer`).
    pub mode: Mode,
    /// Budgets for every render.
    pub render: RenderOptions,
    /// Render every overlay at both revisions (`--full`). Otherwise only the
    /// overlays the change reaches by static closure are rendered (both sides),
    /// with the base renders the rules compare them with ([`counterparts`]); an
    /// unreached overlay that does not render is then not seen (`--full` notes it).
    pub full: bool,
    /// `--timings`: where the run's time went, phase by phase, appended here.
    pub timings: Option<Timings>,
    /// Key for Secret value markers (`None`: random per run).
    pub secret_key: Option<Vec<u8>>,
    /// `--fetch-remote`, `--cache-dir`: fetch the remote bases the base
    /// configuration's `remote:` admits.
    pub fetch: FetchOptions,
    /// `check --all`: audit the whole head state (every rendered resource an
    /// addition); the rules that compare environments do not run.
    pub all: bool,
    /// `merge-reports`: serve every render from these shard files (`check
    /// --shard` of the same change) instead of rendering.
    pub from_shards: Vec<PathBuf>,
    /// Told as overlays render (`--verbose`, a terminal: [`progress::stderr`]).
    pub progress: Option<crate::progress::Progress>,
}

impl Options {
    /// The diff's options, with the run's remote bases under `cfg`'s `remote:`;
    /// `needs`: the base renders the later stages need besides the reached
    /// overlays (`None`: none, as for `diff`, which runs no rules).
    fn diff_options(
        &self,
        s: &Sides,
        cfg: &crate::policy::Config,
        needs: Option<diff::BaseNeeds>,
    ) -> Result<DiffOptions> {
        let max = self.render.limits.max_file_bytes as u64;
        Ok(DiffOptions {
            render: self.render.clone(),
            // One key per run: the diff, the deployments and the rules that
            // show resources (Rego input) mark the same Secret value alike.
            secret_key: Some(
                self.secret_key
                    .clone()
                    .unwrap_or_else(|| crate::diff::Masker::random().key().to_vec()),
            ),
            full: self.full,
            mode: self.mode,
            exclude: cfg.exclude_matcher.clone(),
            remotes: self.fetch.remotes(&cfg.remote, &s.root, max)?,
            base_needs: Some(needs.unwrap_or_else(|| {
                diff::BaseNeeds(std::sync::Arc::new(|_: &BTreeSet<String>, _: &[String]| {
                    Vec::new()
                }))
            })),
            progress: self.progress.clone(),
        })
    }
}

/// Wall time per phase of a run, in order (`--timings`).
pub type Timings = std::sync::Arc<std::sync::Mutex<Vec<(&'static str, std::time::Duration)>>>;

/// Append the time since `*t` to `timings` under `phase`, and restart `*t`.
fn lap(timings: Option<&Timings>, phase: &'static str, t: &mut std::time::Instant) {
    if let Some(tm) = timings {
        if let Ok(mut v) = tm.lock() {
            v.push((phase, t.elapsed()));
        }
    }
    *t = std::time::Instant::now();
}

/// Where the renders of a run come from.
#[derive(Clone, Copy)]
enum Serve<'a> {
    /// The renderer.
    Render,
    /// The renderer for the overlays a shard owns, each recorded.
    Record(&'a Recorder),
    /// Shard files.
    Replay(&'a Replay),
}

impl Serve<'_> {
    /// The render functions of both sides.
    fn wrap<'a>(
        self,
        base: &'a RenderFn<'a>,
        head: &'a RenderFn<'a>,
    ) -> (Box<RenderFn<'a>>, Box<RenderFn<'a>>)
    where
        Self: 'a,
    {
        match self {
            Serve::Render => (Box::new(base), Box::new(head)),
            Serve::Record(r) => (r.wrap(Side::Base, base), r.wrap(Side::Head, head)),
            Serve::Replay(p) => (p.render_fn(Side::Base), p.render_fn(Side::Head)),
        }
    }
}

/// What every shard of a run and its merge must agree on.
fn run_key(s: &Sides, loaded: &LoadedConfig, opts: &Options) -> RunKey {
    use sha2::{Digest, Sha256};
    let r = &opts.render;
    // A `--config` file is part of the run; the base's own is fixed by the commit.
    let config = match (loaded.from_disk, &loaded.text) {
        (true, Some(t)) => t.as_bytes(),
        _ => &[],
    };
    let what = format!(
        "{}|{:?}|{:?}|{}|{}|{}|{}|{:?}|{}|{}|{}",
        env!("CARGO_PKG_VERSION"),
        opts.mode,
        r.limits,
        r.max_render_bytes,
        r.max_output_nodes,
        r.max_output_bytes,
        r.external_max_memory,
        r.load_restrictor,
        opts.full,
        opts.all,
        opts.fetch.fetch,
    );
    let mut h = Sha256::new();
    h.update(what.as_bytes());
    h.update(Sha256::digest(config));
    RunKey {
        base_commit: s.base_rev.id.clone(),
        head_commit: s.head_rev.id.clone(),
        fingerprint: format!("{:x}", h.finalize()),
    }
}

/// What the rules need rendered at base besides the overlays the change
/// reaches: the promotion counterparts ([`policy::promotion::counterparts`]),
/// knowing which overlays the controllers deploy where (`topo`).
fn counterparts(cfg: &crate::policy::Config, topo: &Topologies) -> diff::BaseNeeds {
    let mut deployed = policy::promotion::DeployedEnvs::new();
    for d in topo.base.deployments.iter().chain(&topo.head.deployments) {
        let envs = deployed.entry(d.path.clone()).or_default();
        if let Some(e) = &d.environment {
            if !envs.contains(e) {
                envs.push(e.clone());
            }
        }
    }
    let cfg = std::sync::Arc::new(cfg.clone());
    diff::BaseNeeds(std::sync::Arc::new(move |reached, all| {
        policy::promotion::counterparts(&cfg, &deployed, reached, all)
    }))
}

/// Build the embedded tables rendering and schema validation use, on a
/// thread of their own: reading the revisions and the topology scan run on
/// one core, so this costs no wall time (tens of milliseconds otherwise spent
/// at the first render and the first validation).
fn warm() {
    std::thread::spawn(|| {
        crate::kustomize::warm();
        crate::policy::schema::builtin::warm();
    });
}

/// The GitOps deployments at both revisions ([`topology::discover`]), found
/// once: the counterparts and the deployments' diff both need them.
pub(crate) struct Topologies {
    base: crate::topology::Topology,
    head: crate::topology::Topology,
}

impl Topologies {
    fn discover(s: &Sides, cfg: &crate::policy::Config) -> Result<Topologies> {
        Ok(Topologies {
            base: topology::discover(&s.base, cfg)?,
            head: topology::discover(&s.head, cfg)?,
        })
    }
}

/// Both revisions, resolved and opened.
struct Sides {
    root: PathBuf,
    base_rev: Revision,
    head_rev: Revision,
    base: GitSource,
    head: GitSource,
    changed: Vec<ChangedFile>,
}

fn open_sides(repo: &Path, base: &str, head: &str, render: &RenderOptions) -> Result<Sides> {
    let root = revision::discover_root(repo).unwrap_or_else(|| repo.to_path_buf());
    let base_rev = revision::resolve(&root, base, "base")?;
    let head_rev = revision::resolve(&root, head, "head")?;
    let max = render.limits.max_file_bytes as u64;
    // Indexing a revision's tree is one thread's work (its own repository
    // handle): the two revisions and the tree diff are read side by side.
    let open = |id: &str| GitSource::open_commit_id(&root, id).map(|g| g.with_max_file_bytes(max));
    let (base_src, (head_src, changed)) = std::thread::scope(|sc| {
        let head = sc.spawn(|| open(&head_rev.id));
        let changed = sc.spawn(|| revision::changed_files(&root, &base_rev.id, &head_rev.id));
        let base = open(&base_rev.id);
        (base, (joined(head), joined(changed)))
    });
    let base_src = base_src?;
    let head_src = head_src?.sharing_blobs_with(&base_src);
    let changed = changed?;
    Ok(Sides {
        root,
        base_rev,
        head_rev,
        base: base_src,
        head: head_src,
        changed,
    })
}

/// The result of a scoped thread (its panic, re-raised).
fn joined<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Render and diff both sides. The changed paths are known even with `full`:
/// they decide which unrenderable overlays the change reaches.
fn run_diff(s: &Sides, opts: &DiffOptions, serve: Serve) -> Result<(DiffReport, RenderedSides)> {
    let changed: Option<BTreeSet<String>> = Some(revision::changed_paths(&s.changed));
    let base_renderer =
        Renderer::new(&s.base, opts.render.clone()).with_remotes(opts.remotes.clone());
    let head_renderer = Renderer::new(&s.head, opts.render.clone())
        .with_remotes(opts.remotes.clone())
        .sharing_parses_with(&base_renderer);
    let render_base = |dir: &str| crate::kustomize::render_with(&base_renderer, dir, opts.mode);
    let render_head = |dir: &str| crate::kustomize::render_with(&head_renderer, dir, opts.mode);
    let (render_base, render_head) = serve.wrap(&render_base, &render_head);
    let (overlays, sides) = diff::diff_sources(
        &s.base,
        &s.head,
        changed.as_ref(),
        &*render_base,
        &*render_head,
        opts,
    )?;
    let mut report = DiffReport {
        base: s.base_rev.spec.clone(),
        head: s.head_rev.spec.clone(),
        base_commit: Some(s.base_rev.id.clone()),
        head_commit: Some(s.head_rev.id.clone()),
        overlays,
        summary: Default::default(),
        ignored: Default::default(),
    };
    report.summary = report.summary();
    Ok((report, sides))
}

/// `check --all`: the head state diffed with itself (each overlay rendered
/// once), then every rendered resource an addition ([`diff::audit`]).
fn run_audit(s: &Sides, opts: &DiffOptions, serve: Serve) -> Result<(DiffReport, RenderedSides)> {
    let none = BTreeSet::new();
    let renderer = Renderer::new(&s.head, opts.render.clone()).with_remotes(opts.remotes.clone());
    let render = |dir: &str| crate::kustomize::render_with(&renderer, dir, opts.mode);
    let (render_once, render_again) = serve.wrap(&render, &render);
    let mut single = opts.clone();
    single.full = false;
    single.base_needs = None; // the head renders every overlay: an audit skips none
    let (mut overlays, mut sides) = diff::diff_sources(
        &s.head,
        &s.head,
        Some(&none),
        &*render_once,
        &*render_again,
        &single,
    )?;
    diff::audit(&mut overlays, &mut sides, opts);
    let mut report = DiffReport {
        base: s.head_rev.spec.clone(),
        head: s.head_rev.spec.clone(),
        base_commit: None,
        head_commit: Some(s.head_rev.id.clone()),
        overlays,
        summary: Default::default(),
        ignored: Default::default(),
    };
    report.summary = report.summary();
    Ok((report, sides))
}

/// What `check --all` says in its output: the mode, and the rules it does not run.
pub fn audit_note() -> String {
    let skipped: Vec<&str> = policy::rules::CROSS_ENVIRONMENT
        .iter()
        .map(|r| r.id)
        .collect();
    format!(
        "audit of the whole head state (--all): every rendered resource is treated as added; {} compare environments and do not run",
        skipped.join(" and ")
    )
}

/// Fail ("could not decide", exit 2) when the change reaches an overlay that
/// does not render; the summary counts the final units (deployments included).
fn decided(report: &mut DiffReport) -> Result<()> {
    // Overlays that failed because the run's time ran out are not "unreached
    // notes": a spent run budget is always "could not decide".
    crate::kustomize::guard::run_deadline_check("")?;
    report.summary = report.summary();
    match report.undecided() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The GitOps deployments of both sides as diff units (see [`topology::merge_deployments`]).
fn with_deployments(
    s: &Sides,
    topo: Topologies,
    opts: &DiffOptions,
    report: &mut DiffReport,
    sides: &mut RenderedSides,
) -> Result<()> {
    // Known even with `--full` (which re-renders every deployment at head): they
    // decide which unrenderable deployments the change reaches, as for overlays.
    let changed: Option<BTreeSet<String>> = Some(revision::changed_paths(&s.changed));
    topology::merge_deployments(
        &s.base,
        &s.head,
        (topo.base, topo.head),
        changed.as_ref(),
        opts,
        report,
        sides,
    )
}

/// Diff two revisions of the repository at `repo`, overlays labelled with the
/// environments inferred from their paths (no configuration is read). Unrenderable
/// overlays are outcomes in the report ([`DiffReport::undecided`] says whether
/// the run is decidable).
pub fn diff_revisions(
    repo: &Path,
    base: &str,
    head: &str,
    opts: &DiffOptions,
) -> Result<(DiffReport, RenderedSides)> {
    let s = open_sides(repo, base, head, &opts.render)?;
    let (mut report, sides) = run_diff(&s, opts, Serve::Render)?;
    policy::set_environments(&policy::Config::inferred(), &mut report);
    Ok((report, sides))
}

/// `manifest-gate diff`: the rendered diff, overlays labelled with the
/// environments the configuration assigns.
pub fn diff(repo: &Path, base: &str, head: &str, opts: &Options) -> Result<DiffReport> {
    let (tm, mut t) = (opts.timings.as_ref(), std::time::Instant::now());
    std::thread::spawn(crate::kustomize::warm); // `diff` validates no schema
    let s = open_sides(repo, base, head, &opts.render)?;
    let loaded = load_config(&s.base, base, opts.config.as_deref())?;
    lap(tm, "resolve and configuration", &mut t);
    let topo = Topologies::discover(&s, &loaded.config)?;
    lap(tm, "GitOps topology", &mut t);
    let mut dopts = opts.diff_options(&s, &loaded.config, None)?;
    let split = progress::Split::watch(tm, &mut dopts.progress);
    let (mut report, mut sides) = run_diff(&s, &dopts, Serve::Render)?;
    split.lap(tm, &mut t);
    with_deployments(&s, topo, &dopts, &mut report, &mut sides)?;
    lap(tm, "GitOps deployments", &mut t);
    decided(&mut report)?;
    policy::set_environments(&loaded.config, &mut report);
    diff::ignore::apply(&mut report, &loaded.config.ignore);
    Ok(report)
}

/// A run up to the renders: both revisions, the configuration, the GitOps
/// topology and the diff's options (with the counterparts the rules need).
struct Prepared {
    s: Sides,
    loaded: LoadedConfig,
    topo: Option<Topologies>,
    dopts: DiffOptions,
}

fn prepare(repo: &Path, base: &str, head: &str, opts: &Options) -> Result<Prepared> {
    let (tm, mut t) = (opts.timings.as_ref(), std::time::Instant::now());
    let s = open_sides(repo, base, head, &opts.render)?;
    let loaded = load_config(&s.base, base, opts.config.as_deref())?;
    lap(tm, "resolve and configuration", &mut t);
    let topo = (!opts.all)
        .then(|| Topologies::discover(&s, &loaded.config))
        .transpose()?;
    lap(tm, "GitOps topology", &mut t);
    let needs = topo.as_ref().map(|t| counterparts(&loaded.config, t));
    let dopts = opts.diff_options(&s, &loaded.config, needs)?;
    Ok(Prepared {
        s,
        loaded,
        topo,
        dopts,
    })
}

/// `check --shard I/N`: render the part of the run `shard` owns and return
/// what it rendered, for `merge-reports` ([`crate::diff::shard`]).
pub fn shard(
    repo: &Path,
    base: &str,
    head: &str,
    opts: &Options,
    shard: Shard,
) -> Result<ShardFile> {
    std::thread::spawn(crate::kustomize::warm); // a shard renders, the merge validates
    let p = prepare(repo, base, head, opts)?;
    let rec = Recorder::new(shard);
    if opts.all {
        run_audit(&p.s, &p.dopts, Serve::Record(&rec))?;
    } else {
        run_diff(&p.s, &p.dopts, Serve::Record(&rec))?;
    }
    Ok(rec.finish(run_key(&p.s, &p.loaded, opts)))
}

/// `manifest-gate check`: judge the change from `base` to `head` (with
/// `opts.from_shards`, from the renders of `check --shard`: `merge-reports`).
pub fn check(repo: &Path, base: &str, head: &str, opts: &Options) -> Result<CheckOutcome> {
    let tm = opts.timings.as_ref();
    warm();
    let Prepared {
        s,
        loaded,
        topo,
        mut dopts,
    } = prepare(repo, base, head, opts)?;
    let mut t = std::time::Instant::now();
    let split = progress::Split::watch(tm, &mut dopts.progress);
    let replay = if opts.from_shards.is_empty() {
        None
    } else {
        Some(Replay::load(
            &opts.from_shards,
            &run_key(&s, &loaded, opts),
        )?)
    };
    let serve = replay.as_ref().map_or(Serve::Render, Serve::Replay);
    let (mut report, mut sides) = if opts.all {
        run_audit(&s, &dopts, serve)?
    } else {
        run_diff(&s, &dopts, serve)?
    };
    if let Some(r) = &replay {
        r.finish()?;
    }
    split.lap(tm, &mut t);
    if let Some(topo) = topo {
        with_deployments(&s, topo, &dopts, &mut report, &mut sides)?;
    }
    lap(tm, "GitOps deployments", &mut t);
    decided(&mut report)?;
    policy::set_environments(&loaded.config, &mut report);
    diff::ignore::apply(&mut report, &loaded.config.ignore);
    // The rules see the fetched remote bases too (snippets of their files).
    let mounted = |inner| Mounted {
        inner,
        remotes: dopts.remotes.clone(),
    };
    let (base_src, head_src) = (mounted(&s.base), mounted(&s.head));
    let mut cx = RuleContext::new(&loaded, &report, &sides, &s.changed, &base_src, &head_src)
        .with_secret_key(dopts.secret_key.clone());
    cx.audit = opts.all;
    let (diagnostics, texts) = policy::evaluate(&cx)?;
    lap(tm, "rules", &mut t);
    let (touched, unassigned) = (cx.touched.clone(), cx.unassigned.clone());
    drop(cx);
    drop((base_src, head_src));
    // Freeing both revisions' indexes, caches and repository handles takes a
    // few milliseconds nobody waits for: on a thread of its own.
    std::thread::spawn(move || drop((s, sides)));
    Ok(CheckOutcome {
        base: base.to_string(),
        head: head.to_string(),
        config_source: loaded.source,
        touched,
        unassigned,
        diagnostics,
        report,
        texts,
        notes: if opts.all {
            vec![audit_note()]
        } else {
            Vec::new()
        },
    })
}

/// `manifest-gate overlays`: every overlay at `rev` with its environment, and
/// the GitOps topology that decided the environments of deployed overlays.
pub fn overlays(
    repo: &Path,
    rev: &str,
    config: Option<&Path>,
) -> Result<(LoadedConfig, Vec<OverlayInfo>, crate::topology::Topology)> {
    let root = revision::discover_root(repo).unwrap_or_else(|| repo.to_path_buf());
    let r = revision::resolve(&root, rev, "")?;
    let src = GitSource::open_commit_id(&root, &r.id)?;
    let loaded = load_config(&src, rev, config)?;
    let dirs = diff::discover(&src as &dyn Source)?.overlays();
    let topo = topology::discover(&src, &loaded.config)?;
    let table = policy::overlay_table(&loaded.config, dirs, &topo);
    Ok((loaded, table, topo))
}
