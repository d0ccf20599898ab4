//! The GitOps controller topology as the rules see it: which environments the
//! deployments of an overlay belong to.

use crate::topology::Topology;

/// The environments the deployments building `path` belong to (sorted, distinct),
/// and the reason, or `None` when no controller object reaches `path`.
pub fn environments_of(t: &Topology, path: &str) -> Option<(Vec<String>, String)> {
    let ds: Vec<_> = t.deploying(path).collect();
    if ds.is_empty() {
        return None;
    }
    let mut envs: Vec<String> = ds.iter().filter_map(|d| d.environment.clone()).collect();
    envs.sort();
    envs.dedup();
    let by: Vec<String> = ds
        .iter()
        .map(|d| {
            format!(
                "{} '{}' ({}) in cluster '{}'",
                d.controller.kind.label(),
                d.controller.name,
                d.controller.at,
                d.cluster
            )
        })
        .collect();
    Some((envs, format!("deployed by {}", by.join("; "))))
}
