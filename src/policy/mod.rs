//! The gate: reads the gate configuration, assigns overlays to environments,
//! and judges a change between two revisions with three rules —
//! `single-environment`, `unexpected-kind` and `promotion-order`.
//!
//! Entry points: [`check`] computes a [`CheckOutcome`], [`render_check`] prints
//! it (text diagnostics via annotate-snippets, or JSON), [`list_overlays`]
//! shows how overlays map to environments, [`explain`] documents each rule.

pub mod config;
pub mod kinds;
pub mod promotion;
mod render;
pub mod repo;

use crate::diff::{ChangeAction, DiffReport, OverlayDiff, RenderedSides};
use crate::error::{Error, Result};
use crate::yaml::Pos;
pub use config::{Config, Severity, CONFIG_FILE, RULES};
pub use render::render_check;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Options of `manifest-gate check`.
#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// `--config FILE`: read the configuration from this file on disk instead of
    /// `.manifest-gate.yaml` at the base revision.
    pub config: Option<PathBuf>,
    /// Which renderer the diff uses (`--renderer`).
    pub mode: crate::kustomize::Mode,
    /// Budgets for every render.
    pub render: crate::kustomize::RenderOptions,
}

/// Output format of [`render_check`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Human-readable diagnostics.
    #[default]
    Text,
    /// `{"passed", "touched_environments", "violations", "diff"}`.
    Json,
}

/// Which revision (or file) a diagnostic position refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The base revision.
    Base,
    /// The head revision.
    Head,
    /// A file on disk (`--config`).
    Disk,
}

/// One finding.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Rule id (`single-environment`, …; `config-edit` for the configuration warning).
    pub rule: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One-line message.
    pub message: String,
    /// The offending source line.
    pub pos: Pos,
    /// The revision `pos` refers to.
    pub side: Side,
    /// Label on the marked line.
    pub label: String,
    /// Details, one per line.
    pub notes: Vec<String>,
    /// How to fix it.
    pub help: String,
}

impl Violation {
    /// A violation without notes.
    pub fn new(
        rule: &'static str,
        severity: Severity,
        message: String,
        pos: &Pos,
        side: Side,
        label: String,
        help: String,
    ) -> Violation {
        Violation {
            rule,
            severity,
            message,
            pos: pos.clone(),
            side,
            label,
            notes: Vec::new(),
            help,
        }
    }
    /// Add a note.
    pub fn with_note(mut self, note: String) -> Violation {
        self.notes.push(note);
        self
    }
}

/// An environment touched by the change.
#[derive(Clone, Debug)]
pub struct Touched {
    /// Environment name.
    pub env: String,
    /// Changed overlays of that environment.
    pub overlays: Vec<String>,
}

/// What [`check`] found.
#[derive(Clone, Debug)]
pub struct CheckOutcome {
    /// Base revision as given.
    pub base: String,
    /// Head revision as given.
    pub head: String,
    /// Where the configuration came from (`.manifest-gate.yaml at base`, a path, or `inferred`).
    pub config_source: String,
    /// Environments with at least one changed overlay, in promotion order.
    pub touched: Vec<Touched>,
    /// Changed overlays that match no environment (not counted).
    pub unassigned: Vec<String>,
    /// Findings (errors and warnings), in rule order.
    pub violations: Vec<Violation>,
    /// The diff, as JSON.
    pub diff: serde_json::Value,
    /// The diff itself (for reports that render it, e.g. the PR comment).
    pub report: crate::diff::DiffReport,
    /// Source texts for snippets: (side, path) -> text.
    pub texts: BTreeMap<(Side, String), String>,
}

impl CheckOutcome {
    /// True when no violation is at error level.
    pub fn passed(&self) -> bool {
        !self
            .violations
            .iter()
            .any(|v| v.severity == Severity::Error)
    }
    /// 0 when passed, 1 when a rule at error level failed.
    pub fn exit_code(&self) -> i32 {
        if self.passed() {
            0
        } else {
            1
        }
    }
    /// Names of the touched environments.
    pub fn touched_environments(&self) -> Vec<String> {
        self.touched.iter().map(|t| t.env.clone()).collect()
    }
}

/// What `manifest-gate explain RULE` prints.
pub fn explain(rule: &str) -> Option<&'static str> {
    match rule {
        "single-environment" => Some(include_str!("../../policies/rules/single-environment.md")),
        "unexpected-kind" => Some(include_str!("../../policies/rules/unexpected-kind.md")),
        "promotion-order" => Some(include_str!("../../policies/rules/promotion-order.md")),
        _ => None,
    }
}

/// The default configuration file, as documented.
pub const DEFAULT_CONFIG: &str = include_str!("../../policies/default.yaml");

/// Load the configuration: `--config FILE` from disk, else `.manifest-gate.yaml` at `base`, else inferred.
pub fn load_config(
    git: &git2::Repository,
    base: &repo::Rev,
    file: Option<&Path>,
) -> Result<(Config, String, Option<String>)> {
    if let Some(p) = file {
        let bytes = std::fs::read(p).map_err(|e| {
            Error::msg(format!(
                "cannot read configuration file '{}': {e}",
                p.display()
            ))
        })?;
        let shown = p.display().to_string();
        let text = crate::yaml::decode(&bytes, &shown)?;
        let cfg = Config::parse(&text, &shown)?;
        return Ok((cfg, format!("{shown} (from --config)"), Some(text)));
    }
    match repo::read_text(git, base, CONFIG_FILE)? {
        Some(text) => {
            let cfg = Config::parse(&text, CONFIG_FILE)?;
            Ok((
                cfg,
                format!("{CONFIG_FILE} at base {}", base.spec),
                Some(text),
            ))
        }
        None => Ok((
            Config::inferred(),
            "none (environments inferred from path names)".to_string(),
            None,
        )),
    }
}

/// Run the diff between two revisions (the diff stage's entry point).
fn run_diff(
    repo: &Path,
    base: &str,
    head: &str,
    opts: &CheckOptions,
) -> Result<(DiffReport, RenderedSides)> {
    let dopts = crate::diff::DiffOptions {
        mode: opts.mode,
        render: opts.render.clone(),
        ..Default::default()
    };
    crate::diff::diff_revisions(repo, base, head, &dopts)
}

/// Give every overlay of `report` the environment the configuration assigns it
/// (`None` for unassigned overlays).
pub fn set_environments(cfg: &Config, report: &mut crate::diff::DiffReport) {
    for o in &mut report.overlays {
        o.environment = cfg.assign(&o.path).env;
    }
}

/// Label the overlays of a diff with their environments, using the configuration
/// `manifest-gate check` would use (`.manifest-gate.yaml` at `base`, or `config`).
pub fn label_environments(
    repo: &Path,
    base: &str,
    config: Option<&Path>,
    report: &mut crate::diff::DiffReport,
) -> Result<()> {
    let git = repo::open(repo)?;
    let base_rev = repo::resolve(&git, base, "base")?;
    let (cfg, _, _) = load_config(&git, &base_rev, config)?;
    set_environments(&cfg, report);
    Ok(())
}

/// Judge the change from `base` to `head` in the repository at `repo`.
pub fn check(repo: &Path, base: &str, head: &str, opts: &CheckOptions) -> Result<CheckOutcome> {
    let git = repo::open(repo)?;
    let base_rev = repo::resolve(&git, base, "base")?;
    let head_rev = repo::resolve(&git, head, "head")?;
    let (cfg, config_source, cfg_text) = load_config(&git, &base_rev, opts.config.as_deref())?;
    let (mut report, sides) = run_diff(repo, base, head, opts)?;
    set_environments(&cfg, &mut report);

    let mut violations = Vec::new();
    let base_files = repo::list_files(&git, &base_rev)?;
    let head_files = repo::list_files(&git, &head_rev)?;
    let changed = repo::changed_files(&base_files, &head_files);

    // A change to the gate's own configuration: a warning naming the edit.
    if opts.config.is_none() {
        if let Some(c) = changed.iter().find(|c| c.path == CONFIG_FILE) {
            let head_text = repo::read_text(&git, &head_rev, CONFIG_FILE)?;
            let (line, what) = first_changed_line(cfg_text.as_deref(), head_text.as_deref());
            let side = if c.at_head { Side::Head } else { Side::Base };
            let pos = Pos {
                file: Some(Arc::from(CONFIG_FILE)),
                line,
                col: 1,
            };
            violations.push(Violation::new(
                "config-edit",
                Severity::Warning,
                format!("this change edits {CONFIG_FILE} ({what}); the gate judged it with the base version"),
                &pos,
                side,
                "edited here".to_string(),
                "a change cannot loosen its own gate: merge the configuration change on its own first".to_string(),
            ));
        }
    }

    // Environments of every overlay.
    let assign: BTreeMap<String, config::Assignment> = report
        .overlays
        .iter()
        .map(|o| (o.path.clone(), cfg.assign(&o.path)))
        .collect();
    let changed_overlays: Vec<&OverlayDiff> = report
        .overlays
        .iter()
        .filter(|o| !o.changes.is_empty())
        .collect();
    let mut touched: Vec<Touched> = Vec::new();
    let mut unassigned = Vec::new();
    for env in &cfg.environments {
        let ov: Vec<String> = changed_overlays
            .iter()
            .filter(|o| assign[&o.path].env.as_deref() == Some(env.name.as_str()))
            .map(|o| o.path.clone())
            .collect();
        if !ov.is_empty() {
            touched.push(Touched {
                env: env.name.clone(),
                overlays: ov,
            });
        }
    }
    for o in &changed_overlays {
        if assign[&o.path].env.is_none() {
            unassigned.push(o.path.clone());
        }
    }
    let changed_paths: BTreeSet<&str> = changed.iter().map(|c| c.path.as_str()).collect();

    // single-environment
    let sev = cfg.severity("single-environment");
    if sev != Severity::Off && touched.len() > 1 {
        violations.push(single_environment(&report, &touched, &changed_paths, sev));
    }

    // unexpected-kind
    let sev = cfg.severity("unexpected-kind");
    if sev != Severity::Off {
        for c in &changed {
            let lower = c.path.to_ascii_lowercase();
            if !c.at_head
                || !(lower.ends_with(".yaml") || lower.ends_with(".yml"))
                || c.path == CONFIG_FILE
            {
                continue;
            }
            let Some(head_text) = repo::read_text(&git, &head_rev, &c.path).ok().flatten() else {
                continue;
            };
            let base_text = if c.at_base {
                repo::read_text(&git, &base_rev, &c.path).ok().flatten()
            } else {
                None
            };
            kinds::check_file(
                &cfg,
                &c.path,
                &head_text,
                base_text.as_deref(),
                &mut violations,
            );
        }
    }

    // promotion-order
    let sev = cfg.severity("promotion-order");
    if sev != Severity::Off {
        let mut found = Vec::new();
        for o in &changed_overlays {
            let a = &assign[&o.path];
            let Some(env) = a.env.as_deref().and_then(|e| cfg.env(e)) else {
                continue;
            };
            // The nearest earlier environment that has overlays at base: an
            // environment of the chain with no overlay at all (an inferred `staging`
            // in a repository without one) is skipped, not demanded.
            let has_overlays = |name: &str| {
                sides.base.keys().any(|p| {
                    let a = assign.get(p).cloned().unwrap_or_else(|| cfg.assign(p));
                    a.env.as_deref() == Some(name)
                })
            };
            let mut prev = env.after.as_deref();
            let mut hops = 0;
            while let Some(p) = prev {
                if has_overlays(p) || hops > cfg.environments.len() {
                    break;
                }
                prev = cfg.env(p).and_then(|e| e.after.as_deref());
                hops += 1;
            }
            let Some(prev) = prev else {
                continue;
            };
            if let Some((cand, v)) =
                promotion_order(&cfg, &report, &sides, &assign, o, &env.name, prev, sev)
            {
                found.push((env.name.clone(), prev.to_string(), o.path.clone(), cand, v));
            }
        }
        // One violation per environment, listing each overlay and the fields its
        // predecessor is missing.
        let envs: Vec<String> = cfg
            .environments
            .iter()
            .map(|e| e.name.clone())
            .filter(|e| found.iter().any(|f| &f.0 == e))
            .collect();
        for env in envs {
            let group: Vec<_> = found.iter().filter(|f| f.0 == env).collect();
            let (_, prev, _, _, first) = group[0];
            let mut v = first.clone();
            v.message = format!(
                "{env} is changed before {prev}: {prev} does not show the same change at base"
            );
            v.label = format!("{prev} does not have this yet");
            v.notes.clear();
            for (_, _, path, cand, gv) in &group {
                let cand = cand.as_deref().unwrap_or("(no overlay)");
                v.notes
                    .push(format!("{path} (compared with {cand} at base):"));
                v.notes.extend(gv.notes.iter().map(|n| format!("  {n}")));
            }
            let cands: Vec<&str> = group.iter().filter_map(|g| g.3.as_deref()).collect();
            let mut cands_u: Vec<&str> = Vec::new();
            for c in cands {
                if !cands_u.contains(&c) {
                    cands_u.push(c);
                }
            }
            v.help = format!(
                "make the same change in {prev} first ({}), merge it, then promote it to {env}",
                cands_u.join(", ")
            );
            violations.push(v);
        }
    }

    // Texts for snippets.
    let mut texts = BTreeMap::new();
    for v in &violations {
        let Some(file) = v.pos.file.as_deref() else {
            continue;
        };
        let key = (v.side, file.to_string());
        if texts.contains_key(&key) {
            continue;
        }
        let text = match v.side {
            Side::Base => repo::read_text(&git, &base_rev, file).ok().flatten(),
            Side::Head => repo::read_text(&git, &head_rev, file).ok().flatten(),
            Side::Disk => cfg_text.clone(),
        };
        if let Some(t) = text {
            texts.insert(key, t);
        }
    }
    // Source lines of Secret values are never shown in a snippet.
    let secret_lines = secret_source_lines(&report);
    for ((_, file), text) in texts.iter_mut() {
        if let Some(lines) = secret_lines.get(file.as_str()) {
            *text = redact_lines(text, lines);
        }
    }
    violations.sort_by_key(|v| (rule_rank(v.rule), v.pos.clone()));
    let diff = serde_json::to_value(&report).unwrap_or(serde_json::Value::Null);
    Ok(CheckOutcome {
        base: base.to_string(),
        head: head.to_string(),
        config_source,
        touched,
        unassigned,
        violations,
        diff,
        report,
        texts,
    })
}

/// (file -> lines) that produce a value of a Secret in the diff.
fn secret_source_lines(report: &DiffReport) -> BTreeMap<&str, std::collections::BTreeSet<u32>> {
    let mut out: BTreeMap<&str, std::collections::BTreeSet<u32>> = BTreeMap::new();
    for o in &report.overlays {
        for c in o.changes.iter().filter(|c| c.secret) {
            let srcs = c
                .fields
                .iter()
                .filter_map(|f| f.source.as_ref())
                .chain(c.origin.as_ref());
            for s in srcs {
                out.entry(s.path.as_str()).or_default().insert(s.line);
            }
        }
    }
    out
}

/// Replace the value part of the given (1-based) lines by `<redacted>`,
/// keeping the indentation and the key.
fn redact_lines(text: &str, lines: &std::collections::BTreeSet<u32>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if !lines.contains(&(i as u32 + 1)) {
            out.push_str(line);
            continue;
        }
        let body = line.trim_end_matches(['\n', '\r']);
        let keep = match (body.find(": "), body.find('=')) {
            (Some(c), Some(e)) if e < c => e + 1,
            (Some(c), _) => c + 2,
            (None, Some(e)) => e + 1,
            (None, None) => body.len() - body.trim_start().len(),
        };
        out.push_str(&body[..keep]);
        out.push_str("<redacted>");
        out.push_str(&line[body.len()..]);
    }
    out
}

fn rule_rank(rule: &str) -> usize {
    RULES
        .iter()
        .position(|r| *r == rule)
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// The first line where two texts differ, and a short description of the edit.
fn first_changed_line(base: Option<&str>, head: Option<&str>) -> (u32, String) {
    match (base, head) {
        (None, Some(_)) => (1, "added".to_string()),
        (Some(_), None) => (1, "deleted".to_string()),
        (Some(b), Some(h)) => {
            let bl: Vec<&str> = b.lines().collect();
            let hl: Vec<&str> = h.lines().collect();
            let i = (0..bl.len().max(hl.len()))
                .find(|&i| bl.get(i) != hl.get(i))
                .unwrap_or(0);
            let what = match (bl.get(i), hl.get(i)) {
                (Some(o), Some(n)) => format!("line {}: '{}' -> '{}'", i + 1, o.trim(), n.trim()),
                (None, Some(n)) => format!("line {} added: '{}'", i + 1, n.trim()),
                (Some(o), None) => format!("line {} removed: '{}'", i + 1, o.trim()),
                (None, None) => "changed".to_string(),
            };
            ((i + 1).min(hl.len().max(1)) as u32, what)
        }
        (None, None) => (1, "changed".to_string()),
    }
}

/// A source position from a diff source reference.
fn pos_of(s: &crate::diff::SourceRef) -> Pos {
    Pos {
        file: Some(Arc::from(s.path.as_str())),
        line: s.line,
        col: 1,
    }
}

/// The source lines behind an overlay's changes (changed files first).
fn change_sources(o: &OverlayDiff, changed: &BTreeSet<&str>) -> Vec<(Pos, bool)> {
    let mut out: Vec<(Pos, bool)> = Vec::new();
    for ch in &o.changes {
        let mut refs: Vec<&crate::diff::SourceRef> =
            ch.fields.iter().filter_map(|f| f.source.as_ref()).collect();
        if refs.is_empty() {
            refs.extend(ch.origin.as_ref());
        }
        for r in refs {
            let p = pos_of(r);
            let removal = ch.action == ChangeAction::Removed;
            if !out.iter().any(|(x, _)| *x == p) {
                out.push((p, removal));
            }
        }
    }
    out.sort_by_key(|(p, _)| !changed.contains(p.file.as_deref().unwrap_or("")));
    out
}

fn single_environment(
    report: &DiffReport,
    touched: &[Touched],
    changed: &BTreeSet<&str>,
    sev: Severity,
) -> Violation {
    let names: Vec<&str> = touched.iter().map(|t| t.env.as_str()).collect();
    let mut notes = Vec::new();
    let mut first: Option<(Pos, bool)> = None;
    for t in touched {
        for path in &t.overlays {
            let Some(o) = report.overlays.iter().find(|o| &o.path == path) else {
                continue;
            };
            let res: Vec<String> = o
                .changes
                .iter()
                .map(|c| {
                    let what = match c.action {
                        ChangeAction::Added => "added".to_string(),
                        ChangeAction::Removed => "removed".to_string(),
                        ChangeAction::Modified => {
                            format!(
                                "{} field{}",
                                c.fields.len(),
                                if c.fields.len() == 1 { "" } else { "s" }
                            )
                        }
                    };
                    format!("{} {} ({what})", c.kind, c.name)
                })
                .collect();
            let mut srcs = change_sources(o, changed);
            // Prefer the lines of files this change edits; fall back to every source.
            if srcs
                .iter()
                .any(|(p, _)| changed.contains(p.file.as_deref().unwrap_or("")))
            {
                srcs.retain(|(p, _)| changed.contains(p.file.as_deref().unwrap_or("")));
            }
            if first.is_none() {
                first = srcs.first().cloned();
            }
            let src_list: Vec<String> = srcs.iter().take(5).map(|(p, _)| p.to_string()).collect();
            let mut note = format!("{}: {path}: {}", t.env, res.join(", "));
            if !src_list.is_empty() {
                note.push_str(&format!("; from {}", src_list.join(", ")));
            }
            notes.push(note);
        }
    }
    let files: Vec<&str> = changed.iter().copied().take(5).collect();
    if !files.is_empty() {
        let more = if changed.len() > 5 {
            format!(" and {} more", changed.len() - 5)
        } else {
            String::new()
        };
        notes.push(format!("files changed: {}{more}", files.join(", ")));
    }
    let (pos, removal) = first.unwrap_or((Pos::none(), false));
    Violation {
        rule: "single-environment",
        severity: sev,
        message: format!(
            "this change touches {} environments: {}",
            touched.len(),
            names.join(", ")
        ),
        pos,
        side: if removal { Side::Base } else { Side::Head },
        label: format!(
            "this line changes the rendered output of {}",
            names.join(" and ")
        ),
        notes,
        help: format!(
            "split the change: one environment per change, in promotion order ({})",
            names.join(" -> ")
        ),
    }
}

/// A field P is missing: (message, source line, whether the line is at base).
type Missing = (String, Pos, bool);

#[allow(clippy::too_many_arguments)]
fn promotion_order(
    cfg: &Config,
    report: &DiffReport,
    sides: &RenderedSides,
    assign: &BTreeMap<String, config::Assignment>,
    o: &OverlayDiff,
    env: &str,
    prev: &str,
    sev: Severity,
) -> Option<(Option<String>, Violation)> {
    use promotion::{eval, find_resource, parse_path, show, Norm};
    // Overlays of the previous environment at base, counterpart first.
    let key = config::cluster_key(&o.path, &assign[&o.path]);
    let mut cands: Vec<&String> = sides
        .base
        .keys()
        .filter(|p| {
            let a = assign.get(*p).cloned().unwrap_or_else(|| cfg.assign(p));
            a.env.as_deref() == Some(prev)
        })
        .collect();
    cands.sort_by_key(|p| {
        let a = assign.get(*p).cloned().unwrap_or_else(|| cfg.assign(p));
        config::cluster_key(p, &a) != key
    });
    let head_res = sides.head.get(&o.path).map(Vec::as_slice).unwrap_or(&[]);
    let head_norm = Norm::of(head_res);
    let first_src = o
        .changes
        .iter()
        .flat_map(|c| {
            c.fields
                .iter()
                .filter_map(|f| f.source.as_ref())
                .chain(c.origin.as_ref())
        })
        .next()
        .map(pos_of)
        .unwrap_or_default();
    if cands.is_empty() {
        return Some((None, Violation {
            rule: "promotion-order",
            severity: sev,
            message: format!("{env} is changed, but {prev}, which must show the change first, has no overlay at base"),
            pos: first_src,
            side: Side::Head,
            label: format!("changes {}", o.path),
            notes: vec![format!("{prev} has no overlay at base")],
            help: format!("add an overlay for {prev} and make the change there first"),
        }));
    }
    // Judge against each candidate; pass when one shows the change.
    let mut best: Option<(String, Vec<Missing>)> = None;
    for cand in &cands {
        let pres = &sides.base[*cand];
        let pnorm = Norm::of(pres);
        let mut missing: Vec<Missing> = Vec::new();
        for ch in &o.changes {
            let src = ch
                .fields
                .iter()
                .find_map(|f| f.source.as_ref())
                .or(ch.origin.as_ref())
                .map(pos_of)
                .unwrap_or_default();
            match ch.action {
                ChangeAction::Removed => {
                    let Some(br) = sides.base_resource(&o.path, ch) else {
                        continue;
                    };
                    if find_resource(pres, &ch.kind, &promotion::base_name(br)).is_some() {
                        missing.push((
                            format!(
                                "{} {} is removed here but still present in {cand}",
                                ch.kind, ch.name
                            ),
                            src,
                            true,
                        ));
                    }
                }
                ChangeAction::Added => {
                    let Some(hr) = sides.head_resource(&o.path, ch) else {
                        continue;
                    };
                    let bn = promotion::base_name(hr);
                    match find_resource(pres, &ch.kind, &bn) {
                        None => missing.push((
                            format!("{} {bn} is added here but absent from {cand}", ch.kind),
                            src,
                            false,
                        )),
                        Some(pr) => {
                            let pl = promotion::leaves(&pr.node);
                            for (path, v) in promotion::leaves(&hr.node) {
                                let pv = pl
                                    .iter()
                                    .find(|(p, _)| *p == path)
                                    .map(|(_, x)| pnorm.apply(x));
                                if pv.as_ref() != Some(&head_norm.apply(&v)) {
                                    let (here, there) = if ch.secret {
                                        (
                                            "set".to_string(),
                                            if pv.is_some() { "different" } else { "absent" }
                                                .to_string(),
                                        )
                                    } else {
                                        (show(Some(&v)), show(pv.as_ref()))
                                    };
                                    missing.push((
                                        format!(
                                            "{} {bn}: {path} is {here} here but {there} in {cand}",
                                            ch.kind,
                                        ),
                                        src.clone(),
                                        false,
                                    ));
                                }
                            }
                        }
                    }
                }
                ChangeAction::Modified => {
                    let (Some(hr), br) = (
                        sides.head_resource(&o.path, ch),
                        sides.base_resource(&o.path, ch),
                    ) else {
                        continue;
                    };
                    let bn = promotion::base_name(br.unwrap_or(hr));
                    let Some(pr) = find_resource(pres, &ch.kind, &bn)
                        .or_else(|| find_resource(pres, &ch.kind, &promotion::base_name(hr)))
                    else {
                        missing.push((
                            format!("{} {bn} is changed here but absent from {cand}", ch.kind),
                            src,
                            false,
                        ));
                        continue;
                    };
                    for f in &ch.fields {
                        let steps = parse_path(&f.path);
                        let fsrc = f.source.as_ref().map(pos_of).unwrap_or_else(|| src.clone());
                        let hv = eval(&hr.node, &steps).map(|n| head_norm.apply(&n.to_json()));
                        let pv = eval(&pr.node, &steps).map(|n| pnorm.apply(&n.to_json()));
                        if hv != pv {
                            let shown_new = eval(&hr.node, &steps).map(|n| n.to_json());
                            let shown_p = eval(&pr.node, &steps).map(|n| n.to_json());
                            let msg = if hv.is_none() {
                                format!(
                                    "{} {bn}: {} is removed here but still {} in {cand}",
                                    ch.kind,
                                    f.path,
                                    if ch.secret {
                                        "set".to_string()
                                    } else {
                                        show(shown_p.as_ref())
                                    }
                                )
                            } else {
                                format!(
                                    "{} {bn}: {} is {} here but {} in {cand}",
                                    ch.kind,
                                    f.path,
                                    if ch.secret {
                                        "changed".to_string()
                                    } else {
                                        show(shown_new.as_ref())
                                    },
                                    if ch.secret {
                                        "different".to_string()
                                    } else {
                                        show(shown_p.as_ref())
                                    }
                                )
                            };
                            missing.push((msg, fsrc, hv.is_none()));
                        }
                    }
                }
            }
        }
        if missing.is_empty() {
            return None;
        }
        if best.is_none() {
            best = Some(((*cand).clone(), missing));
        }
    }
    let (cand, missing) = best?;
    let (pos, removal) = missing
        .first()
        .map(|(_, p, r)| (p.clone(), *r))
        .unwrap_or_default();
    let n = missing.len();
    let mut notes: Vec<String> = missing.iter().take(10).map(|(m, _, _)| m.clone()).collect();
    if n > 10 {
        notes.push(format!("... and {} more", n - 10));
    }
    let _ = report;
    Some((
        Some(cand.clone()),
        Violation {
            rule: "promotion-order",
            severity: sev,
            message: format!(
                "{env} is changed before {prev}: {} does not show {} at base",
                o.path,
                if n == 1 {
                    "this change".to_string()
                } else {
                    format!("{n} of these changes")
                }
            ),
            pos,
            side: if removal { Side::Base } else { Side::Head },
            label: format!("{prev} ({cand}) does not have this yet"),
            notes,
            help: format!(
                "make the same change in {prev} first ({cand}), merge it, then promote it to {env}"
            ),
        },
    ))
}

/// One overlay and how its environment was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlayInfo {
    /// Directory.
    pub path: String,
    /// Environment, None when unassigned.
    pub env: Option<String>,
    /// How that was decided.
    pub reason: String,
}

/// Every overlay at `rev` with its environment (configuration from `rev`, or `config` from disk).
pub fn overlays(repo: &Path, rev: &str, config: Option<&Path>) -> Result<Vec<OverlayInfo>> {
    let git = repo::open(repo)?;
    let r = repo::resolve(&git, rev, "revision")?;
    let (cfg, _, _) = load_config(&git, &r, config)?;
    let root = git
        .workdir()
        .or_else(|| git.path().parent())
        .unwrap_or(repo)
        .to_path_buf();
    let src = crate::source::GitSource::open(&root, &r.oid.to_string())?;
    let found = crate::diff::discover::discover(&src)?;
    Ok(found
        .overlays()
        .into_iter()
        .map(|p| {
            let a = cfg.assign(&p);
            OverlayInfo {
                path: p,
                env: a.env,
                reason: a.reason,
            }
        })
        .collect())
}

/// `manifest-gate overlays`: a table of overlays, environments and reasons.
pub fn list_overlays(repo: &Path, rev: &str, config: Option<&Path>) -> Result<String> {
    let list = overlays(repo, rev, config)?;
    let git = repo::open(repo)?;
    let r = repo::resolve(&git, rev, "revision")?;
    let (cfg, source, _) = load_config(&git, &r, config)?;
    let w = list.iter().map(|o| o.path.len()).max().unwrap_or(7).max(7);
    let ew = list
        .iter()
        .filter_map(|o| o.env.as_ref().map(String::len))
        .max()
        .unwrap_or(11)
        .max(11);
    let mut out = format!("configuration: {source}\n");
    let chain: Vec<String> = cfg
        .environments
        .iter()
        .map(|e| match &e.after {
            Some(a) => format!("{} (after {a})", e.name),
            None => e.name.clone(),
        })
        .collect();
    out.push_str(&format!("environments: {}\n\n", chain.join(", ")));
    out.push_str(&format!(
        "{:<w$}  {:<ew$}  {}\n",
        "OVERLAY", "ENVIRONMENT", "DECIDED BY"
    ));
    for o in &list {
        let env = o.env.clone().unwrap_or_else(|| "(unassigned)".to_string());
        out.push_str(&format!("{:<w$}  {:<ew$}  {}\n", o.path, env, o.reason));
    }
    if list.is_empty() {
        out.push_str("(no overlays found)\n");
    }
    Ok(out)
}
