//! Semantic diff of rendered manifests between two revisions.
//!
//! [`diff_revisions`] discovers the overlays (entry-point kustomizations) at
//! both revisions, renders them (in parallel; an overlay whose input closure
//! does not touch a changed path is rendered once and reported unchanged),
//! and compares the resources overlay by overlay ([`compare`]).

pub mod compare;
pub mod discover;
pub mod display;
pub mod model;

pub use compare::{strip_hash_suffix, Masker};
pub use discover::{discover, environment_of, Discovery, KustInfo};
pub use model::{
    ChangeAction, DiffReport, FieldChange, OverlayDiff, OverlayStatus, RenderedSides,
    ResourceChange, SourceRef,
};

use crate::error::{Error, Result};
use crate::kustomize::kustomization::FILE_NAMES;
use crate::kustomize::{Mode, RenderOptions, Rendered, Renderer};
use crate::source::{file_name, parent, GitSource, Source};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Options for [`diff_revisions`].
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
}

/// A renderer for one side: kustomization directory to resources.
pub type RenderFn<'a> = dyn Fn(&str) -> Result<Rendered> + Sync + 'a;

fn git_err(e: git2::Error) -> Error {
    Error::msg(e.message().to_string())
}

/// Resolve a revision to a commit id; a missing one (a shallow clone) is an
/// error naming the `git fetch` to run, never an empty tree.
fn resolve(repo: &git2::Repository, rev: &str, role: &str) -> Result<git2::Oid> {
    crate::policy::repo::resolve(repo, rev, role).map(|r| r.oid)
}

/// The paths that differ between two commits (both sides of every delta).
pub fn changed_paths(repo: &Path, base: &str, head: &str) -> Result<BTreeSet<String>> {
    let r = git2::Repository::discover(repo).map_err(git_err)?;
    let a = r
        .find_commit(resolve(&r, base, "base")?)
        .and_then(|c| c.tree())
        .map_err(git_err)?;
    let b = r
        .find_commit(resolve(&r, head, "head")?)
        .and_then(|c| c.tree())
        .map_err(git_err)?;
    let d = r
        .diff_tree_to_tree(Some(&a), Some(&b), None)
        .map_err(git_err)?;
    let mut out = BTreeSet::new();
    for delta in d.deltas() {
        for f in [delta.old_file(), delta.new_file()] {
            if let Some(p) = f.path().and_then(|p| p.to_str()) {
                out.insert(p.to_string());
            }
        }
    }
    Ok(out)
}

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

/// Diff two revisions of the repository at `repo`.
pub fn diff_revisions(
    repo: &Path,
    base: &str,
    head: &str,
    opts: &DiffOptions,
) -> Result<(DiffReport, RenderedSides)> {
    let r = git2::Repository::discover(repo)
        .map_err(|e| Error::msg(format!("{}: {}", repo.display(), e.message())))?;
    let root = r
        .workdir()
        .or_else(|| r.path().parent())
        .unwrap_or(repo)
        .to_path_buf();
    let base_id = resolve(&r, base, "base")?.to_string();
    let head_id = resolve(&r, head, "head")?.to_string();
    let max = opts.render.limits.max_file_bytes as u64;
    let base_src = GitSource::open(&root, &base_id)?.with_max_file_bytes(max);
    let head_src = GitSource::open(&root, &head_id)?.with_max_file_bytes(max);
    let changed = if opts.full {
        None
    } else {
        Some(changed_paths(&root, &base_id, &head_id)?)
    };
    let base_renderer = Renderer::new(&base_src, opts.render.clone());
    let head_renderer =
        Renderer::new(&head_src, opts.render.clone()).sharing_parses_with(&base_renderer);
    let render_base = |dir: &str| crate::kustomize::render_with(&base_renderer, dir, opts.mode);
    let render_head = |dir: &str| crate::kustomize::render_with(&head_renderer, dir, opts.mode);
    let (overlays, sides) = diff_sources(
        &base_src,
        &head_src,
        changed.as_ref(),
        &render_base,
        &render_head,
        opts,
    )?;
    let report = DiffReport {
        base: base.to_string(),
        head: head.to_string(),
        base_commit: Some(base_id),
        head_commit: Some(head_id),
        overlays,
    };
    Ok((report, sides))
}

fn render_all(
    src: &dyn Source,
    dirs: &[String],
    render: &RenderFn,
    side: &str,
) -> Result<BTreeMap<String, Rendered>> {
    dirs.par_iter()
        .map(|d| {
            render(d).map(|r| (d.clone(), r)).map_err(|e| {
                let shown = if d.is_empty() { "." } else { d.as_str() };
                e.context(format!("overlay {shown} at {side} ({})", src.describe()))
            })
        })
        .collect()
}

/// Diff the overlays of two sources. `changed`: the paths that differ between
/// them (`None`: unknown, render everything at both sides). `render_base` and
/// `render_head` render a directory of `base` and `head`.
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
    let base_overlays = discover(base)?.overlays();
    let head_overlays = match changed {
        Some(c) if c.is_empty() => base_overlays.clone(),
        _ => discover(head)?.overlays(),
    };
    let base_r = render_all(base, &base_overlays, render_base, "base")?;
    // Head renders: new overlays, and those whose inputs changed.
    let head_set: BTreeSet<&String> = head_overlays.iter().collect();
    let to_render: Vec<String> = head_overlays
        .iter()
        .filter(|o| match (base_r.get(*o), changed) {
            (Some(b), Some(c)) => b.opaque || affected(&b.inputs, c),
            _ => true,
        })
        .cloned()
        .collect();
    let head_r = render_all(head, &to_render, render_head, "head")?;

    let all: BTreeSet<&String> = base_overlays.iter().chain(head_overlays.iter()).collect();
    let (mut base_r, mut head_r) = (base_r, head_r);
    let mut out = Vec::new();
    let mut sides = RenderedSides::default();
    for path in all {
        // Renders are moved into `sides`, not copied (an overlay rendered once for
        // both sides is the one copy).
        let b = base_r.remove(path);
        let hr = head_r.remove(path);
        let in_head = head_set.contains(path);
        let rerendered = hr.is_some();
        let h = if in_head {
            hr.as_ref().or(b.as_ref())
        } else {
            None
        };
        let (status, changes) = match (b.as_ref(), h) {
            (Some(b), Some(h)) => {
                let ch = if rerendered {
                    compare::diff_resources(&b.resources, &h.resources, &masker)
                } else {
                    vec![]
                };
                (
                    if ch.is_empty() {
                        OverlayStatus::Unchanged
                    } else {
                        OverlayStatus::Modified
                    },
                    ch,
                )
            }
            (None, Some(h)) => (
                OverlayStatus::Added,
                compare::diff_resources(&[], &h.resources, &masker),
            ),
            (Some(b), None) => (
                OverlayStatus::Removed,
                compare::diff_resources(&b.resources, &[], &masker),
            ),
            (None, None) => continue,
        };
        let head_res = match (in_head, hr) {
            (false, _) => None,
            (true, Some(h)) => Some(h.resources),
            (true, None) => b.as_ref().map(|b| b.resources.clone()),
        };
        if let Some(b) = b {
            sides.base.insert(path.clone(), b.resources);
        }
        if let Some(h) = head_res {
            sides.head.insert(path.clone(), h);
        }
        out.push(OverlayDiff {
            path: path.clone(),
            environment: environment_of(path),
            status,
            inputs_changed: rerendered,
            changes,
        });
    }
    Ok((out, sides))
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
        assert_eq!(ov[1].environment.as_deref(), Some("a"));
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
