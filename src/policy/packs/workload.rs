//! Pod specs of workloads, read through k8s-openapi's typed structs (the
//! logic), with the position-keeping node beside them (the diagnostics'
//! lines); image references; resource quantities.

use crate::error::{Error, Result};
use crate::yaml::Node;
use k8s_openapi::api::core::v1::{Container, PodSpec};

/// Where a kind keeps its pod spec.
pub(super) fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

/// A workload's pod spec: the typed struct and its node. `None` when the kind has
/// none or the resource does not set it; an error (the gate cannot judge it)
/// when it does not have the shape of a pod spec.
pub(super) fn pod_spec<'a>(kind: &str, node: &'a Node) -> Result<Option<(PodSpec, &'a Node)>> {
    let Some(path) = pod_spec_path(kind) else {
        return Ok(None);
    };
    let Some(n) = node.get_path(path) else {
        return Ok(None);
    };
    let spec: PodSpec = serde_json::from_value(n.to_json()).map_err(|e| {
        Error::at(
            &n.pos,
            format!("cannot read the pod spec of this {kind}: {e}"),
        )
    })?;
    Ok(Some((spec, n)))
}

/// Every container of a pod spec (init containers first, then containers), with
/// its node.
pub(super) fn containers<'a>(spec: &'a PodSpec, node: &'a Node) -> Vec<(&'a Container, &'a Node)> {
    let mut out = Vec::new();
    let list = |key: &str| node.get(key).and_then(Node::as_seq);
    if let (Some(cs), Some(ns)) = (&spec.init_containers, list("initContainers")) {
        out.extend(cs.iter().zip(ns.iter()));
    }
    if let Some(ns) = list("containers") {
        out.extend(spec.containers.iter().zip(ns.iter()));
    }
    out
}

/// The node of `key` in a container (or the container's node).
pub(super) fn at<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
    let mut n = node;
    for k in path {
        match n.get(k) {
            Some(x) => n = x,
            None => break,
        }
    }
    n
}

/// Whether an image reference is pinned by digest.
pub(super) fn digest_pinned(image: &str) -> bool {
    image.contains('@')
}

/// The tag of an image reference (`None` when untagged).
pub(super) fn tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.rsplit_once(':').map(|(_, t)| t)
}

/// A Kubernetes quantity as a number (`500m` is 0.5, `1Gi` is 2^30).
pub(crate) fn quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        _ => {
            let e: i32 = suffix.strip_prefix(['e', 'E'])?.parse().ok()?;
            10f64.powi(e)
        }
    };
    let v = n * mult;
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_quantities() {
        assert_eq!(tag("nginx"), None);
        assert_eq!(tag("nginx:1.25"), Some("1.25"));
        assert_eq!(tag("registry:5000/team/app"), None);
        assert_eq!(tag("registry:5000/team/app:latest"), Some("latest"));
        assert!(digest_pinned("app@sha256:abc"));
        assert_eq!(quantity("500m"), Some(0.5));
        assert_eq!(quantity("1Gi"), Some(1073741824.0));
        assert_eq!(quantity("2"), Some(2.0));
        assert_eq!(quantity("1e3"), Some(1000.0));
        assert_eq!(quantity("lots"), None);
        assert_eq!(quantity("1Xi"), None);
    }
}
