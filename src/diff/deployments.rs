//! Diff GitOps deployments between two revisions: each (cluster, controller
//! object, directory) rendered as its controller renders it at base and at head.
//!
//! A deployment is re-rendered at head when its render read a changed path, when
//! its controller object's file changed (a patch in a Flux Kustomization), or when
//! a file feeding its variables changed; otherwise it is reported unchanged.

use super::compare::{self, Masker};
use super::model::{DeploymentRef, OverlayDiff, OverlayStatus, RenderedSides, SourceRef};
use super::{affected, DiffOptions};
use crate::error::Result;
use crate::kustomize::Rendered;
use crate::source::Source;
use crate::topology::{render_deployment_with, Deployment, Topology};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// A deployment's identity across revisions.
pub type Key = (String, String, String, String);

/// A deployment's identity across revisions: (cluster, directory, controller kind, controller name).
pub fn key(d: &Deployment) -> Key {
    (
        d.cluster.clone(),
        d.path.clone(),
        d.controller.kind.label().to_string(),
        d.controller.name.clone(),
    )
}

/// The unit name shown for a deployment: `<directory> @ <cluster>`.
pub fn unit_name(d: &Deployment) -> String {
    let dir = if d.path.is_empty() { "." } else { &d.path };
    format!("{dir} @ {}", d.cluster)
}

/// The diff model's reference to a deployment.
pub fn reference(d: &Deployment) -> DeploymentRef {
    DeploymentRef {
        cluster: d.cluster.clone(),
        app: d.app.clone(),
        dir: d.path.clone(),
        controller: format!("{} {}", d.controller.kind.label(), d.controller.name),
        at: SourceRef::from_pos(&d.controller.at),
        reason: d.reason.clone(),
    }
}

/// Whether the controller's side of `d` changed: its object's file (a patch in
/// a Flux Kustomization) or a file feeding its variables.
fn controller_changed(d: &Deployment, c: &BTreeSet<String>) -> bool {
    d.controller
        .at
        .file
        .as_deref()
        .is_some_and(|f| c.contains(f))
        || d.build.inputs.iter().any(|f| c.contains(f))
}

/// Whether a head render is needed for `d`, given its base render.
fn needs_head(d: &Deployment, base: Option<&Rendered>, changed: Option<&BTreeSet<String>>) -> bool {
    let (Some(b), Some(c)) = (base, changed) else {
        return true;
    };
    b.opaque || controller_changed(d, c) || affected(&b.inputs, c)
}

/// Render each deployment; a failure is that deployment's outcome, not the run's.
fn render_each<'d>(
    src: &dyn Source,
    ds: &[&'d Deployment],
    opts: &DiffOptions,
    side: &str,
) -> Vec<(&'d Deployment, Result<Rendered>)> {
    ds.par_iter()
        .map(|d| {
            let r = render_deployment_with(src, d, &opts.render, opts.remotes.clone())
                .map_err(|e| e.context(format!("{} at {side} ({})", unit_name(d), src.describe())));
            (*d, r)
        })
        .collect()
}

/// Whether the change reaches a deployment that does not render at base: its
/// controller object's file, a file feeding its variables, or a path of its
/// directory's static closure (at either revision) changed.
fn reached(
    base: &dyn Source,
    head: &dyn Source,
    d: &Deployment,
    changed: Option<&BTreeSet<String>>,
) -> bool {
    let Some(c) = changed else {
        return true;
    };
    controller_changed(d, c) || super::outcome::reaches(base, Some(head), &d.path, changed)
}

/// An unrenderable deployment's entry in the diff.
fn unrenderable(
    d: &Deployment,
    e: &crate::error::Error,
    side: &'static str,
    reached: bool,
) -> OverlayDiff {
    OverlayDiff {
        path: unit_name(d),
        environment: d.environment.clone(),
        status: OverlayStatus::Unrenderable,
        inputs_changed: side == "head",
        changes: vec![],
        deployment: Some(reference(d)),
        not_rendered: false,
        unrenderable: Some(super::outcome::Unrenderable::from_error(e, side, reached)),
    }
}

/// Diff the deployments of `base` (topology `tb`) and `head` (topology `th`).
/// `changed`: the paths that differ (`None`: unknown, render everything at both
/// sides and treat every unrenderable deployment as reached).
pub fn diff_deployments(
    base: &dyn Source,
    head: &dyn Source,
    tb: &Topology,
    th: &Topology,
    changed: Option<&BTreeSet<String>>,
    opts: &DiffOptions,
) -> Result<(Vec<OverlayDiff>, RenderedSides)> {
    let masker = match &opts.secret_key {
        Some(k) => Masker::with_key(k),
        None => Masker::random(),
    };
    let bd: BTreeMap<Key, &Deployment> = tb.deployments.iter().map(|d| (key(d), d)).collect();
    let hd: BTreeMap<Key, &Deployment> = th.deployments.iter().map(|d| (key(d), d)).collect();
    let base_list: Vec<&Deployment> = bd.values().copied().collect();
    let mut out = Vec::new();
    let mut failed: BTreeSet<Key> = BTreeSet::new();
    let mut base_r: BTreeMap<Key, Rendered> = BTreeMap::new();
    for (d, r) in render_each(base, &base_list, opts, "base") {
        match r {
            Ok(r) => {
                base_r.insert(key(d), r);
            }
            Err(e) => {
                let hd_d = hd.get(&key(d)).copied().unwrap_or(d);
                out.push(unrenderable(
                    hd_d,
                    &e,
                    "base",
                    reached(base, head, hd_d, changed),
                ));
                failed.insert(key(d));
            }
        }
    }
    let to_render: Vec<&Deployment> = hd
        .iter()
        .filter(|(k, _)| !failed.contains(*k))
        // `--full` re-renders every deployment at head; the changed paths still
        // decide which unrenderable ones the change reaches.
        .filter(|(k, d)| opts.full || needs_head(d, base_r.get(*k), changed))
        .map(|(_, d)| *d)
        .collect();
    let mut head_r: BTreeMap<Key, Rendered> = BTreeMap::new();
    for (d, r) in render_each(head, &to_render, opts, "head") {
        match r {
            Ok(r) => {
                head_r.insert(key(d), r);
            }
            Err(e) => {
                out.push(unrenderable(d, &e, "head", true));
                failed.insert(key(d));
            }
        }
    }
    let keys: BTreeSet<&Key> = bd.keys().chain(hd.keys()).collect();
    let mut sides = RenderedSides::default();
    for k in keys {
        if failed.contains(k) {
            continue;
        }
        let d = hd
            .get(k)
            .or_else(|| bd.get(k))
            .copied()
            .expect("key from one side");
        let b = base_r.remove(k);
        let h = head_r.remove(k);
        let rerendered = h.is_some();
        let in_head = hd.contains_key(k);
        let (status, changes) = match (&b, in_head) {
            (Some(b), true) => match &h {
                Some(h) => {
                    let ch = compare::diff_resources(&b.resources, &h.resources, &masker);
                    let st = if ch.is_empty() {
                        OverlayStatus::Unchanged
                    } else {
                        OverlayStatus::Modified
                    };
                    (st, ch)
                }
                None => (OverlayStatus::Unchanged, vec![]),
            },
            (None, true) => (
                OverlayStatus::Added,
                compare::diff_resources(
                    &[],
                    &h.as_ref().map(|h| h.resources.clone()).unwrap_or_default(),
                    &masker,
                ),
            ),
            (Some(b), false) => (
                OverlayStatus::Removed,
                compare::diff_resources(&b.resources, &[], &masker),
            ),
            (None, false) => continue,
        };
        let name = unit_name(d);
        let head_res = match (in_head, h) {
            (false, _) => None,
            (true, Some(h)) => Some(h.resources),
            (true, None) => b.as_ref().map(|b| b.resources.clone()),
        };
        if let Some(b) = b {
            sides.base.insert(name.clone(), b.resources);
        }
        if let Some(h) = head_res {
            sides.head.insert(name.clone(), h);
        }
        out.push(OverlayDiff {
            path: name,
            environment: d.environment.clone(),
            status,
            inputs_changed: rerendered,
            changes,
            deployment: Some(reference(d)),
            not_rendered: false,
            unrenderable: None,
        });
    }
    Ok((out, sides))
}
