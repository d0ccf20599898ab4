//! Rule `unexpected-kind`: a YAML file holding a kind it should not hold —
//! by its name (a), by what it held at base (b), or by a `kinds` glob (c).

use super::config::Config;
use super::{Side, Violation};
use crate::yaml::{parse_stream, Node, ParseOptions};

/// Kind words in file names and the kinds each allows.
const FAMILIES: &[(&[&str], &[&str])] = &[
    (
        &["rbac"],
        &[
            "Role",
            "ClusterRole",
            "RoleBinding",
            "ClusterRoleBinding",
            "ServiceAccount",
        ],
    ),
    (&["role", "roles"], &["Role", "ClusterRole"]),
    (&["clusterrole", "clusterroles"], &["ClusterRole"]),
    (
        &["rolebinding", "rolebindings", "binding", "bindings"],
        &["RoleBinding", "ClusterRoleBinding"],
    ),
    (
        &["clusterrolebinding", "clusterrolebindings"],
        &["ClusterRoleBinding"],
    ),
    (
        &["serviceaccount", "serviceaccounts", "sa"],
        &["ServiceAccount"],
    ),
    (&["service", "services", "svc"], &["Service"]),
    (&["deployment", "deployments", "deploy"], &["Deployment"]),
    (&["statefulset", "statefulsets", "sts"], &["StatefulSet"]),
    (&["daemonset", "daemonsets", "ds"], &["DaemonSet"]),
    (&["configmap", "configmaps", "cm"], &["ConfigMap"]),
    (
        &["secret", "secrets"],
        &["Secret", "SealedSecret", "ExternalSecret"],
    ),
    (
        &["pvc", "persistentvolumeclaim", "persistentvolumeclaims"],
        &["PersistentVolumeClaim"],
    ),
    (
        &["pv", "persistentvolume", "persistentvolumes"],
        &["PersistentVolume"],
    ),
    (&["ingress", "ingresses"], &["Ingress"]),
    (&["namespace", "namespaces", "ns"], &["Namespace"]),
    (&["job", "jobs"], &["Job"]),
    (&["cronjob", "cronjobs"], &["CronJob"]),
    (
        &["hpa", "horizontalpodautoscaler"],
        &["HorizontalPodAutoscaler"],
    ),
    (&["pdb", "poddisruptionbudget"], &["PodDisruptionBudget"]),
    (
        &["networkpolicy", "networkpolicies", "netpol"],
        &["NetworkPolicy"],
    ),
    (
        &["crd", "crds", "customresourcedefinition"],
        &["CustomResourceDefinition"],
    ),
];

/// The kind family a file name announces: (the word, the kinds allowed).
pub fn name_family(path: &str) -> Option<(String, &'static [&'static str])> {
    let name = crate::source::file_name(path).to_ascii_lowercase();
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    if stem == "kustomization" {
        return None;
    }
    let words: Vec<&str> = stem
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    let joined: String = words.concat();
    let lookup = |w: &str| {
        FAMILIES
            .iter()
            .find(|(ws, _)| ws.contains(&w))
            .map(|(_, k)| *k)
    };
    if let Some(k) = lookup(&joined) {
        return Some((stem.to_string(), k));
    }
    for w in [words.last(), words.first()].into_iter().flatten() {
        if let Some(k) = lookup(w) {
            return Some((w.to_string(), k));
        }
    }
    None
}

/// Kinds in a YAML text: (kind, position of the `kind:` value), for documents that have one.
pub fn kinds_in(text: &str, path: &str) -> Option<Vec<(String, Node)>> {
    let docs = parse_stream(text, path, &ParseOptions::resource()).ok()?;
    Some(
        docs.into_iter()
            .filter_map(|d| {
                let k = d.get("kind")?.clone();
                let s = k.as_str()?.to_string();
                Some((s, k))
            })
            .collect(),
    )
}

/// Judge one changed YAML file. `base_text` is the file at base when it existed there.
pub fn check_file(
    cfg: &Config,
    path: &str,
    head_text: &str,
    base_text: Option<&str>,
    out: &mut Vec<Violation>,
) {
    let Some(head_kinds) = kinds_in(head_text, path) else {
        return;
    };
    let base_kinds: Option<Vec<String>> = base_text
        .and_then(|t| kinds_in(t, path))
        .map(|v| v.into_iter().map(|(k, _)| k).collect());
    let family = name_family(path);
    let sev = cfg.severity("unexpected-kind");
    let mut seen_new: Vec<String> = Vec::new();
    for (kind, node) in &head_kinds {
        // (a) the file name announces a kind family.
        if let Some((word, allowed)) = &family {
            let flat = kind.to_ascii_lowercase();
            let stem_flat: String = crate::source::file_name(path)
                .to_ascii_lowercase()
                .replace(['-', '_'], "");
            if !allowed.contains(&kind.as_str()) && !stem_flat.contains(&flat) {
                out.push(Violation::new(
                    "unexpected-kind",
                    sev,
                    format!("{path} holds a {kind}, but its name says it holds {}", allowed.join(" or ")),
                    &node.pos,
                    Side::Head,
                    format!("a {kind} in a file named for '{word}'"),
                    format!(
                        "move this {kind} to a file named for its kind (e.g. {}.yaml), or rename the file if it really holds {kind}s",
                        kind.to_ascii_lowercase()
                    ),
                ));
                continue;
            }
        }
        // (c) a `kinds` glob constrains the file.
        if let Some(rule) = cfg
            .kinds
            .iter()
            .find(|r| r.matcher.is_match(path) && !r.kinds.contains(kind))
        {
            out.push(
                Violation::new(
                    "unexpected-kind",
                    sev,
                    format!("{path} holds a {kind}, but files matching '{}' may only hold {}", rule.glob, rule.kinds.join(", ")),
                    &node.pos,
                    Side::Head,
                    format!("{kind} is not allowed here"),
                    format!("move this {kind} out of '{}', or add {kind} to that entry of the gate configuration", rule.glob),
                )
                .with_note(format!("the constraint is declared at {}", rule.pos)),
            );
            continue;
        }
        // (b) an existing file gained a kind.
        if let Some(bk) = &base_kinds {
            if !bk.contains(kind) && !seen_new.contains(kind) {
                seen_new.push(kind.clone());
                let held = if bk.is_empty() {
                    "no kinds".to_string()
                } else {
                    dedup(bk).join(", ")
                };
                out.push(Violation::new(
                    "unexpected-kind",
                    sev,
                    format!("{path} now holds a {kind}; at base it held only {held}"),
                    &node.pos,
                    Side::Head,
                    format!("new kind {kind} in an existing file"),
                    format!("put the {kind} in a file of its own, named for its kind"),
                ));
            }
        }
    }
}

fn dedup(v: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in v {
        if !out.contains(k) {
            out.push(k.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_from_names() {
        assert_eq!(
            name_family("a/role.yaml").unwrap().1,
            &["Role", "ClusterRole"]
        );
        assert_eq!(
            name_family("a/checkout-service.yaml").unwrap().1,
            &["Service"]
        );
        assert_eq!(name_family("a/deployment.yml").unwrap().1, &["Deployment"]);
        assert_eq!(name_family("a/cm.yaml").unwrap().1, &["ConfigMap"]);
        assert_eq!(
            name_family("a/service-account.yaml").unwrap().1,
            &["ServiceAccount"]
        );
        assert!(name_family("a/kustomization.yaml").is_none());
        assert!(name_family("a/app.yaml").is_none());
        assert!(name_family("a/README.md").is_none());
    }

    #[test]
    fn judges_documents() {
        let cfg = Config::inferred();
        let mut out = Vec::new();
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n";
        check_file(&cfg, "x/role.yaml", text, None, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].pos.line, 7);
        assert!(out[0].message.contains("holds a Deployment"));
        out.clear();
        check_file(
            &cfg,
            "x/service-monitor.yaml",
            "kind: ServiceMonitor\n",
            None,
            &mut out,
        );
        assert!(out.is_empty());
        check_file(
            &cfg,
            "x/app.yaml",
            "kind: Service\n---\nkind: Deployment\n",
            Some("kind: Service\n"),
            &mut out,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].pos.line, 3);
    }
}
