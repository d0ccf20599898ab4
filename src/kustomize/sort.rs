//! Output order: kustomize's legacy order (default), `fifo`, or a custom
//! `legacySortOptions` order.

use super::kustomization::Kustomization;
use crate::error::{Error, Result};
use crate::model::{Gvk, Resource};
use std::cmp::Ordering;

/// Kinds the legacy order puts first, in this order.
pub(super) const FIRST: [&str; 22] = [
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];
/// Kinds the legacy order puts last, in this order.
pub(super) const LAST: [&str; 2] = [
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

fn gvk_string(g: &Gvk) -> String {
    gvk_key_string(&g.group, &g.version, &g.kind)
}

/// `group_version_kind` with `~G`/`~V`/`~K` for empty parts (kustomize's sort key text).
pub(super) fn gvk_key_string(group: &str, version: &str, kind: &str) -> String {
    let part = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}_{}_{}",
        part(group, "~G"),
        part(version, "~V"),
        part(kind, "~K")
    )
}

/// Sort by the kustomization's `sortOptions` (legacy by default).
pub fn sort(k: &Kustomization, res: &mut [Resource]) -> Result<()> {
    let mut first: Vec<String> = FIRST.iter().map(|s| s.to_string()).collect();
    let mut last: Vec<String> = LAST.iter().map(|s| s.to_string()).collect();
    if let Some(so) = k.field("sortOptions") {
        let order = so.get("order").and_then(|o| o.as_str()).unwrap_or("");
        match order {
            "fifo" => {
                if so.get("legacySortOptions").is_some() {
                    return Err(Error::at(
                        &so.pos,
                        "sortOptions: legacySortOptions cannot be set with order fifo",
                    ));
                }
                return Ok(());
            }
            "legacy" => {
                if let Some(l) = so.get("legacySortOptions") {
                    let list = |key: &str| -> Vec<String> {
                        l.get(key)
                            .and_then(|x| x.as_seq())
                            .map(|s| {
                                s.iter()
                                    .filter_map(|x| x.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default()
                    };
                    first = list("orderFirst");
                    last = list("orderLast");
                }
            }
            _ => {
                return Err(Error::at(
                    &so.pos,
                    "sortOptions: the field 'order' must be one of 'legacy' or 'fifo'",
                ))
            }
        }
    }
    let rank = |kind: &str| -> i64 {
        if let Some(i) = first.iter().position(|k| k == kind) {
            return i as i64 - first.len() as i64 - 1;
        }
        if let Some(i) = last.iter().position(|k| k == kind) {
            return i as i64 + 1;
        }
        0
    };
    let mut keyed: Vec<(i64, String, String, usize)> = res
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let id = r.id();
            let ns = if id.namespace.is_empty() {
                "~X".to_string()
            } else {
                id.namespace.clone()
            };
            (
                rank(&id.gvk.kind),
                gvk_string(&id.gvk),
                format!("{}|{}", ns, id.name),
                i,
            )
        })
        .collect();
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0).then_with(|| {
            if a.1 != b.1 {
                // Two Namespace kinds where one group is empty compare reversed.
                let (ga, gb) = (&a.1, &b.1);
                if ga.ends_with("_Namespace")
                    && gb.ends_with("_Namespace")
                    && (ga.starts_with("~G") || gb.starts_with("~G"))
                {
                    return gb.cmp(ga);
                }
                return ga.cmp(gb);
            }
            let c = a.2.cmp(&b.2);
            if c == Ordering::Equal {
                a.3.cmp(&b.3)
            } else {
                c
            }
        })
    });
    let order: Vec<usize> = keyed.iter().map(|k| k.3).collect();
    let mut taken: Vec<Option<Resource>> = res
        .iter_mut()
        .map(|r| Some(std::mem::replace(r, dummy())))
        .collect();
    for (slot, i) in order.into_iter().enumerate() {
        res[slot] = taken[i].take().expect("each index once");
    }
    Ok(())
}

fn dummy() -> Resource {
    Resource::new(crate::yaml::Node::null(), crate::yaml::Pos::none())
}
