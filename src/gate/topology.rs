//! GitOps topology for the gate: deployments discovered at each revision (this
//! repository = the checkout's remotes and the configuration's `repositories:`),
//! environments named as the configuration names them, and the deployments'
//! diffs merged into the overlay diff as units of their own.

use crate::diff::deployments::{key, Key};
use crate::diff::{self, DiffOptions, DiffReport, RenderedSides};
use crate::error::Result;
use crate::policy::Config;
use crate::source::GitSource;
use crate::topology::{self, Deployment, Topology, TopologyOptions};
use std::collections::BTreeSet;

/// Discovery options from the configuration and the checkout.
pub fn options(src: &GitSource, cfg: &Config) -> TopologyOptions {
    let mut repo_urls = src.remote_urls();
    repo_urls.extend(cfg.repositories.iter().cloned());
    TopologyOptions {
        repo_urls,
        clusters: cfg.clusters.clone(),
        branches: src.branch_names(),
        argo_clusters: Vec::new(),
    }
}

/// The deployments at `src`, each environment mapped onto the configuration's
/// environment names (one the configuration does not know is unassigned, and
/// the reason says so).
pub fn discover(src: &GitSource, cfg: &Config) -> Result<Topology> {
    let mut t = topology::discover(src, &options(src, cfg))?;
    for d in &mut t.deployments {
        if let Some(e) = d.environment.take() {
            match cfg.environment_named(&e) {
                Some(name) => d.environment = Some(name),
                None => d.reason.push_str(&format!(
                    " ('{e}' is not a configured environment: unassigned)"
                )),
            }
        } else if !d.reason.contains("ambiguous") {
            // A cluster or destination without an environment word (`in-cluster`,
            // an API URL): the directory's own environment, when it names one.
            let a = cfg.assign(&d.path);
            if let Some(env) = a.env {
                d.reason
                    .push_str(&format!("; from the directory instead: {}", a.reason));
                d.environment = Some(env);
            }
        }
    }
    Ok(t)
}

/// True when the controller builds `d` exactly as kustomize builds its directory
/// (an Argo CD destination namespace fills in namespaces: not plain).
fn is_plain(d: &Deployment) -> bool {
    d.overrides.is_empty()
        && d.build.substitute.is_none()
        && !(d.flavor == topology::Flavor::Argo && d.namespace.is_some())
}

/// Deployments plain at both revisions whose directory is an overlay of the diff.
fn plain_keys(tb: &Topology, th: &Topology, report: &DiffReport) -> BTreeSet<Key> {
    let dirs: BTreeSet<&str> = report.overlays.iter().map(|o| o.path.as_str()).collect();
    let plain_at = |t: &Topology| -> BTreeSet<Key> {
        t.deployments
            .iter()
            .filter(|d| is_plain(d) && dirs.contains(d.path.as_str()))
            .map(key)
            .collect()
    };
    plain_at(tb).intersection(&plain_at(th)).cloned().collect()
}

/// `t` without the deployments keyed in `keys`.
fn without(t: &Topology, keys: &BTreeSet<Key>) -> Topology {
    Topology {
        deployments: t
            .deployments
            .iter()
            .filter(|d| !keys.contains(&key(d)))
            .cloned()
            .collect(),
        notes: Vec::new(),
    }
}

/// Replace, in `report`/`sides`, every overlay a controller object deploys (at
/// either revision) by its deployments, rendered as the controllers render them.
pub fn merge_deployments(
    base: &GitSource,
    head: &GitSource,
    (tb, th): (Topology, Topology),
    changed: Option<&BTreeSet<String>>,
    opts: &DiffOptions,
    report: &mut DiffReport,
    sides: &mut RenderedSides,
) -> Result<()> {
    if tb.deployments.is_empty() && th.deployments.is_empty() {
        return Ok(());
    }
    // A deployment the controller builds exactly as kustomize builds its overlay
    // (no controller edits, at both revisions) is that overlay's diff: not rendered again.
    let plain_keys = plain_keys(&tb, &th, report);
    let mut reused_units = Vec::new();
    let mut reused_sides = RenderedSides::default();
    for d in th
        .deployments
        .iter()
        .filter(|d| plain_keys.contains(&key(d)))
    {
        let Some(o) = report.overlays.iter().find(|o| o.path == d.path) else {
            continue;
        };
        let name = diff::deployments::unit_name(d);
        if let Some(r) = sides.base.get(&d.path) {
            reused_sides.base.insert(name.clone(), r.clone());
        }
        if let Some(r) = sides.head.get(&d.path) {
            reused_sides.head.insert(name.clone(), r.clone());
        }
        let mut u = o.clone();
        u.path = name;
        u.environment = d.environment.clone();
        u.deployment = Some(diff::deployments::reference(d));
        reused_units.push(u);
    }
    let (tb_rest, th_rest) = (without(&tb, &plain_keys), without(&th, &plain_keys));
    let (mut units, mut unit_sides) =
        diff::deployments::diff_deployments(base, head, &tb_rest, &th_rest, changed, opts)?;
    units.extend(reused_units);
    unit_sides.base.extend(reused_sides.base);
    unit_sides.head.extend(reused_sides.head);
    let deployed: BTreeSet<&str> = tb
        .deployments
        .iter()
        .chain(th.deployments.iter())
        .map(|d| d.path.as_str())
        .collect();
    report
        .overlays
        .retain(|o| !deployed.contains(o.path.as_str()));
    sides.base.retain(|k, _| !deployed.contains(k.as_str()));
    sides.head.retain(|k, _| !deployed.contains(k.as_str()));
    report.overlays.extend(units);
    report.overlays.sort_by(|a, b| a.path.cmp(&b.path));
    sides.base.extend(unit_sides.base);
    sides.head.extend(unit_sides.head);
    Ok(())
}
