//! Semantic diff of rendered manifests between two revisions.
//!
//! [`diff_sources`] discovers the overlays (entry-point kustomizations) in two
//! sources, renders them (in parallel; an overlay whose input closure does not
//! touch a changed path is rendered once and reported unchanged), and compares
//! the resources overlay by overlay ([`compare`]). The sources and the changed
//! paths come from the pipeline driver ([`crate::gate`]); this stage reads no
//! git and knows nothing of the gate's rules.

pub mod compare;
pub mod deployments;
pub mod display;
pub mod ignore;
pub mod model;
pub mod outcome;
pub mod path;
pub mod pattern;
pub mod shard;

pub use crate::kustomize::discover::{discover, discover_with, Discovery, KustInfo};
pub use compare::{strip_hash_suffix, Masker};
pub use model::{
    ChangeAction, DeploymentRef, DiffReport, FieldChange, OverlayDiff, OverlayStatus,
    RenderedSides, ResourceChange, SourceRef,
};
pub use outcome::{Summary, Unrenderable};
pub use path::{FieldPath, Step};

use crate::error::Result;
use crate::kustomize::closure::Closures;
use crate::kustomize::discover::Dirs;
use crate::kustomize::kustomization::FILE_NAMES;
use crate::kustomize::{Mode, RenderOptions, Rendered};
use crate::progress::Progress;
use crate::source::{file_name, parent, Source};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Options for [`diff_sources`].
#[derive(Clone, Debug, Default)]
pub struct DiffOptions {
    /// Options passed to the renderer.
    pub render: RenderOptions,
    /// Key for the Secret value markers. `None`: a random per-run key (markers
    /// then differ between runs but still differ exactly when a value changed).
    pub secret_key: Option<Vec<u8>>,
    /// Render every overlay at both revisions, even when its inputs did not change.
    pub full: bool,
    /// Native, external kustomize, or native with external fallback.
    pub mode: Mode,
    /// Overlay directories (or their parents) matching these globs are not
    /// rendered and are reported as excluded (`exclude:` of the configuration).
    pub exclude: Option<globset::GlobSet>,
    /// Remote bases to fetch (`--fetch-remote`); `None`: every one is refused.
    pub remotes: Option<std::sync::Arc<crate::kustomize::remote::Remotes>>,
    /// Render at base only the overlays the change reaches (by static closure)
    /// and those this asks for (`None`: render every overlay at base).
    pub base_needs: Option<BaseNeeds>,
    /// Told as each overlay renders (`None`: nobody listens).
    pub progress: Option<Progress>,
}

/// The base renders the later stages need besides the reached overlays (the
/// promotion counterparts): called once with the reached overlays (at base, and
/// those new at head) and every overlay at base (excluded ones left out);
/// returns the overlays to render at base too.
#[derive(Clone)]
pub struct BaseNeeds(pub std::sync::Arc<BaseNeedsFn>);

/// The function inside [`BaseNeeds`]: (reached, every overlay at base) to the
/// overlays to render at base too.
pub type BaseNeedsFn = dyn Fn(&BTreeSet<String>, &[String]) -> Vec<String> + Send + Sync;

impl std::fmt::Debug for BaseNeeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BaseNeeds")
    }
}

/// A renderer for one side: kustomization directory to resources.
pub type RenderFn<'a> = dyn Fn(&str) -> Result<Rendered> + Sync + 'a;

/// Whether a change to `changed` paths can affect a render that read `inputs`.
/// A new kustomization file next to one that was read counts too (it would be
/// ambiguous or take precedence). An empty input set is always affected.
pub fn affected(inputs: &BTreeSet<String>, changed: &BTreeSet<String>) -> bool {
    if inputs.is_empty() {
        return true;
    }
    if changed.iter().any(|c| inputs.contains(c)) {
        return true;
    }
    let dirs: BTreeSet<&str> = inputs.iter().map(|p| parent(p)).collect();
    changed
        .iter()
        .any(|c| FILE_NAMES.contains(&file_name(c)) && dirs.contains(parent(c)))
}

/// The inputs of a render as physical dependencies: every path read, each
/// symlink followed to reach it and its resolved target (see [`Source::trace`]).
pub fn resolved_inputs(src: &dyn Source, inputs: &BTreeSet<String>) -> BTreeSet<String> {
    inputs.iter().flat_map(|p| src.trace(p)).collect()
}

/// The changed paths with what they resolve to at both revisions: a changed
/// link counts at its own path and at its old and new targets.
pub fn resolved_changes(
    base: &dyn Source,
    head: &dyn Source,
    changed: &BTreeSet<String>,
) -> BTreeSet<String> {
    changed
        .iter()
        .flat_map(|p| base.trace(p).into_iter().chain(head.trace(p)))
        .collect()
}

/// The progress phases of the renders at each side.
const BASE: &str = "rendering overlays at base";
const HEAD: &str = "rendering overlays at head";

/// The render of each overlay of one side: its resources, or why it fails.
type Renders = BTreeMap<String, Result<Rendered>>;

/// Render `dirs` in parallel. Errors are kept as they are: the outcome names
/// the overlay and the side. Each render is an item of `phase` for `p`.
fn render_all(
    dirs: &[String],
    render: &RenderFn,
    p: Option<&Progress>,
    phase: &'static str,
) -> Renders {
    Progress::phase(p, phase, dirs.len(), |done| {
        let one = |d: &String| {
            let r = render(d);
            done();
            (d.clone(), r)
        };
        dirs.par_iter().map(one).collect()
    })
}

/// Diff the overlays of two sources. `changed`: the paths that differ between
/// them (`None`: unknown, render everything at both sides and treat every
/// unrenderable overlay as reached). `render_base` and `render_head` render a
/// directory of `base` and `head`. An overlay that fails to render is an
/// outcome (`unrenderable`), not an error: see [`DiffReport::undecided`].
pub fn diff_sources(
    base: &dyn Source,
    head: &dyn Source,
    changed: Option<&BTreeSet<String>>,
    render_base: &RenderFn,
    render_head: &RenderFn,
    opts: &DiffOptions,
) -> Result<(Vec<OverlayDiff>, RenderedSides)> {
    let masker = match &opts.secret_key {
        Some(k) => Masker::with_key(k),
        None => Masker::random(),
    };
    // One time budget for every walk of the run.
    let walk = crate::kustomize::discover::WalkLimits::default();
    // Discovery computes each kustomization's closure step, kept for deciding
    // reach; at head each step is taken from base unless the change can
    // alter it.
    let resolved = changed.map(|c| resolved_changes(base, head, c));
    let cb = Closures::new(base);
    let ch = match &resolved {
        Some(c) => Closures::reusing(head, &cb, c),
        None => Closures::new(head),
    };
    // The head walk is base's when only file contents changed.
    let dirs = Dirs::walk(base, &walk)?;
    let base_overlays = cb.discover_in(&dirs).overlays();
    let head_overlays = match changed {
        Some(c) if c.is_empty() => base_overlays.clone(),
        Some(c) if Dirs::same_at(base, head, c) => ch.discover_in(&dirs).overlays(),
        _ => ch.discover(&walk)?.overlays(),
    };
    let excluded = |o: &String| outcome::is_excluded(opts.exclude.as_ref(), o);
    let base_todo: Vec<String> = base_overlays
        .iter()
        .filter(|o| !excluded(o))
        .cloned()
        .collect();
    let changed = resolved.as_ref();
    let head_set: BTreeSet<&String> = head_overlays.iter().collect();
    let (base_r, unreached) = match (&opts.base_needs, changed) {
        (Some(needs), Some(c)) if !opts.full => {
            let at_base: BTreeSet<&String> = base_overlays.iter().collect();
            let new_at_head: Vec<&String> = head_overlays
                .iter()
                .filter(|o| !excluded(o) && !at_base.contains(o))
                .collect();
            let reach = Reach {
                base: &cb,
                head: &ch,
                in_head: &head_set,
                new_at_head: &new_at_head,
                changed: c,
                progress: opts.progress.as_ref(),
            };
            render_reached(&reach, &base_todo, needs, render_base)
        }
        _ => (
            render_all(&base_todo, render_base, opts.progress.as_ref(), BASE),
            BTreeSet::new(),
        ),
    };
    // Head renders: new overlays, and those whose inputs changed, compared
    // after resolving symlinks on both sides. An overlay that does not render
    // at base is not rendered at head.
    let to_render: Vec<String> = head_overlays
        .iter()
        .filter(|o| !excluded(o) && !unreached.contains(*o))
        .filter(|o| match (base_r.get(*o), changed) {
            (Some(Err(_)), _) => false,
            (Some(Ok(_)), _) if opts.full => true,
            (Some(Ok(b)), Some(c)) => b.opaque || affected(&resolved_inputs(base, &b.inputs), c),
            _ => true,
        })
        .cloned()
        .collect();
    let head_r = render_all(&to_render, render_head, opts.progress.as_ref(), HEAD);

    let all: BTreeSet<&String> = base_overlays.iter().chain(head_overlays.iter()).collect();
    let (mut base_r, mut head_r) = (base_r, head_r);
    let mut out = Vec::new();
    let mut sides = RenderedSides::default();
    for path in all {
        let in_head = head_set.contains(path);
        let mut od = OverlayDiff {
            path: path.clone(),
            // Set by the pipeline from the gate configuration (the one guesser).
            environment: None,
            status: OverlayStatus::Excluded,
            inputs_changed: false,
            changes: vec![],
            unrenderable: None,
            deployment: None,
            not_rendered: false,
        };
        if excluded(path) {
            out.push(od);
            continue;
        }
        if unreached.contains(path) {
            // The change cannot reach it (static closure at both sides): its
            // output is the same, and nothing later needs its render.
            od.status = OverlayStatus::Unchanged;
            od.not_rendered = true;
            out.push(od);
            continue;
        }
        // Renders are moved into `sides`, not copied (an overlay rendered once for
        // both sides is the one copy).
        let (b, hr) = match (
            base_r.remove(path).transpose(),
            head_r.remove(path).transpose(),
        ) {
            (Err(e), _) => {
                let h = in_head.then_some(head);
                let reached = outcome::reaches(base, h, path, changed);
                od.status = OverlayStatus::Unrenderable;
                od.unrenderable = Some(Unrenderable::from_error(&e, "base", reached));
                out.push(od);
                continue;
            }
            (Ok(_), Err(e)) => {
                od.status = OverlayStatus::Unrenderable;
                od.inputs_changed = true;
                od.unrenderable = Some(Unrenderable::from_error(&e, "head", true));
                out.push(od);
                continue;
            }
            (Ok(b), Ok(h)) => (b, h),
        };
        if let Some(od) = compare_overlay(od, b, hr, in_head, &masker, &mut sides) {
            out.push(od);
        }
    }
    Ok((out, sides))
}

/// `check --all`: turn a diff of the head state with itself into the audit of
/// that state, every rendered resource an addition (the base side empty). An
/// overlay that does not render is reached: an audit that could not see it
/// cannot pass it.
pub fn audit(overlays: &mut [OverlayDiff], sides: &mut RenderedSides, opts: &DiffOptions) {
    let masker = match &opts.secret_key {
        Some(k) => Masker::with_key(k),
        None => Masker::random(),
    };
    sides.base.clear();
    for o in overlays.iter_mut() {
        if let Some(u) = o.unrenderable.as_mut() {
            u.reached = true;
            u.side = "head"; // the audited state (rendered once, as both sides)
            continue;
        }
        let Some(head) = sides.head.get(&o.path) else {
            continue;
        };
        o.changes = compare::diff_resources(&[], head, &masker);
        o.inputs_changed = true;
        if o.status != OverlayStatus::Excluded {
            o.status = OverlayStatus::Added;
        }
    }
}

/// What decides which overlays a change reaches.
struct Reach<'a> {
    /// Closure steps at each revision.
    base: &'a Closures<'a>,
    head: &'a Closures<'a>,
    /// The overlays at head.
    in_head: &'a BTreeSet<&'a String>,
    /// The overlays new at head (always rendered at head; their counterparts are needed).
    new_at_head: &'a [&'a String],
    /// The changed paths, resolved through symlinks.
    changed: &'a BTreeSet<String>,
    /// Told as each overlay renders.
    progress: Option<&'a Progress>,
}

/// Render at base the overlays of `todo` that the change reaches at either
/// side by static closure, plus what `needs` asks for; the rest are returned
/// as unreached (identical at both sides, not rendered).
fn render_reached(
    r: &Reach,
    todo: &[String],
    needs: &BaseNeeds,
    render: &RenderFn,
) -> (Renders, BTreeSet<String>) {
    let reached: BTreeSet<String> = todo
        .par_iter()
        .filter(|o| {
            let h = r.in_head.contains(*o).then_some(r.head);
            outcome::reaches_cached(r.base, h, o, r.changed)
        })
        .cloned()
        .collect();
    let mut asking = reached.clone();
    asking.extend(r.new_at_head.iter().map(|s| s.to_string()));
    let todo_set: BTreeSet<&String> = todo.iter().collect();
    let mut first: BTreeSet<String> = reached;
    first.extend(
        (needs.0)(&asking, todo)
            .into_iter()
            .filter(|o| todo_set.contains(o)),
    );
    let first: Vec<String> = first.into_iter().collect();
    let done = render_all(&first, render, r.progress, BASE);
    let unreached = todo
        .iter()
        .filter(|o| !done.contains_key(*o))
        .cloned()
        .collect();
    (done, unreached)
}

/// The diff of one rendered overlay: `b` its base render (`None`: new at
/// head), `hr` its head render (`None`: not re-rendered, or removed when not
/// `in_head`). The renders are moved into `sides`.
fn compare_overlay(
    mut od: OverlayDiff,
    b: Option<Rendered>,
    hr: Option<Rendered>,
    in_head: bool,
    masker: &Masker,
    sides: &mut RenderedSides,
) -> Option<OverlayDiff> {
    let rerendered = hr.is_some();
    let h = if in_head {
        hr.as_ref().or(b.as_ref())
    } else {
        None
    };
    let (status, changes) = match (b.as_ref(), h) {
        (Some(b), Some(h)) => {
            let ch = if rerendered {
                compare::diff_resources(&b.resources, &h.resources, masker)
            } else {
                vec![]
            };
            let st = if ch.is_empty() {
                OverlayStatus::Unchanged
            } else {
                OverlayStatus::Modified
            };
            (st, ch)
        }
        (None, Some(h)) => (
            OverlayStatus::Added,
            compare::diff_resources(&[], &h.resources, masker),
        ),
        (Some(b), None) => (
            OverlayStatus::Removed,
            compare::diff_resources(&b.resources, &[], masker),
        ),
        (None, None) => return None,
    };
    let head_res = match (in_head, hr) {
        (false, _) => None,
        (true, Some(h)) => Some(h.resources),
        (true, None) => b.as_ref().map(|b| b.resources.clone()),
    };
    if let Some(b) = b {
        sides.base.insert(od.path.clone(), b.resources);
    }
    if let Some(h) = head_res {
        sides.head.insert(od.path.clone(), h);
    }
    od.status = status;
    od.inputs_changed = rerendered;
    od.changes = changes;
    Some(od)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Resource;
    use crate::source::FsSource;
    use crate::yaml::{decode, parse_stream, ParseOptions};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A stand-in renderer: every `*.yaml` file listed in `resources` (files
    /// only; directories recursively).
    fn fake_render(src: &dyn Source, dir: &str) -> Result<Rendered> {
        let mut out = Rendered::default();
        let kf = format!("{dir}/kustomization.yaml");
        out.inputs.insert(kf.clone());
        let text = decode(&src.read(&kf)?, &kf)?;
        let k = parse_stream(&text, &kf, &ParseOptions::kustomization())?.remove(0);
        for item in k
            .get("resources")
            .and_then(|n| n.as_seq())
            .cloned()
            .unwrap_or_default()
        {
            let p = crate::source::join(dir, item.as_str().unwrap())?;
            if p.ends_with(".yaml") {
                out.inputs.insert(p.clone());
                let text = decode(&src.read(&p)?, &p)?;
                for n in parse_stream(&text, &p, &ParseOptions::resource())? {
                    let pos = n.pos.clone();
                    out.resources.push(Resource::new(n, pos));
                }
            } else {
                let sub = fake_render(src, &p)?;
                out.inputs.extend(sub.inputs);
                out.resources.extend(sub.resources);
            }
        }
        Ok(out)
    }

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, s) in files {
            let f = d.path().join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, s).unwrap();
        }
        d
    }

    #[test]
    fn only_affected_overlays_are_rerendered() {
        let cm = |v: &str| {
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: \"{v}\"\n")
        };
        let common = [
            (
                "base/kustomization.yaml",
                "resources: [cm.yaml]\n".to_string(),
            ),
            (
                "overlays/a/kustomization.yaml",
                "resources: [../../base]\n".to_string(),
            ),
            (
                "overlays/b/kustomization.yaml",
                "resources: [x.yaml]\n".to_string(),
            ),
            (
                "overlays/b/x.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n".to_string(),
            ),
        ];
        let mut fa: Vec<(&str, String)> = common.to_vec();
        fa.push(("base/cm.yaml", cm("1")));
        fa.push(("gone/kustomization.yaml", "resources: [x.yaml]\n".into()));
        fa.push((
            "gone/x.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: g\n".into(),
        ));
        let mut fb: Vec<(&str, String)> = common.to_vec();
        fb.push(("base/cm.yaml", cm("2")));
        let a = tree(&fa.iter().map(|(p, s)| (*p, s.as_str())).collect::<Vec<_>>());
        let b = tree(&fb.iter().map(|(p, s)| (*p, s.as_str())).collect::<Vec<_>>());
        let (sa, sb) = (
            FsSource::new(a.path()).unwrap(),
            FsSource::new(b.path()).unwrap(),
        );
        let changed: BTreeSet<String> = ["base/cm.yaml", "gone/kustomization.yaml", "gone/x.yaml"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let count = AtomicUsize::new(0);
        let ra = |d: &str| {
            count.fetch_add(1, Ordering::SeqCst);
            fake_render(&sa, d)
        };
        let rb = |d: &str| {
            count.fetch_add(1, Ordering::SeqCst);
            fake_render(&sb, d)
        };
        let opts = DiffOptions {
            secret_key: Some(b"k".to_vec()),
            ..Default::default()
        };
        let (ov, sides) = diff_sources(&sa, &sb, Some(&changed), &ra, &rb, &opts).unwrap();
        let st: Vec<_> = ov
            .iter()
            .map(|o| (o.path.as_str(), o.status, o.inputs_changed))
            .collect();
        assert_eq!(
            st,
            [
                ("gone", OverlayStatus::Removed, false),
                ("overlays/a", OverlayStatus::Modified, true),
                ("overlays/b", OverlayStatus::Unchanged, false),
            ]
        );
        // base: 3 renders; head: only overlays/a.
        assert_eq!(count.load(Ordering::SeqCst), 4);
        assert_eq!(ov[1].changes[0].fields[0].path, "data.v");
        assert_eq!(
            ov[1].changes[0].fields[0].source,
            Some(SourceRef {
                path: "base/cm.yaml".into(),
                line: 6
            })
        );
        assert_eq!(
            ov[1].environment, None,
            "labelled later, by the configuration"
        );
        assert_eq!(sides.head["overlays/b"].len(), 1);
        assert!(!sides.head.contains_key("gone"));
    }

    #[test]
    fn affected_rules() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<BTreeSet<_>>();
        assert!(affected(
            &s(&["a/kustomization.yaml", "a/x.yaml"]),
            &s(&["a/x.yaml"])
        ));
        assert!(!affected(
            &s(&["a/kustomization.yaml", "a/x.yaml"]),
            &s(&["b/x.yaml"])
        ));
        assert!(affected(
            &s(&["a/kustomization.yaml"]),
            &s(&["a/kustomization.yml"])
        ));
        assert!(affected(&s(&[]), &s(&["b"])));
    }
}
