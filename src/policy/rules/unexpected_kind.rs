//! `unexpected-kind`: a YAML file holding a kind it should not hold — by its
//! name (a), by what it held at base (b), or by a `kinds` glob (c).

use super::Rule;
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::error::Result;
use crate::policy::config::{Config, CONFIG_FILE};
use crate::policy::RuleContext;
use crate::yaml::{parse_stream, Node, ParseOptions};

/// The rule.
pub static RULE: Rule = Rule {
    id: "unexpected-kind",
    default_severity: Severity::Error,
    summary:
        "A changed YAML file may hold only the kinds its name (or its `kinds:` entry) announces.",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"
**What it checks.** Every YAML file changed between base and head, read from git:

- (a) a file whose name says its kind (`role.yaml`, `checkout-service.yaml`,
  `deployment.yml`, `rbac.yaml`, `cm.yaml`, `pvc.yaml`, …) must only hold documents of
  that kind family (`role.yaml` may hold Role and ClusterRole, `rbac.yaml` any RBAC
  kind). `kustomization.yaml` and files with no kind word in their name are not
  judged by name.
- (b) a file that existed at base must not gain a kind it did not hold at base (a new
  file is judged by (a) and (c) only).
- (c) a file matching a `kinds:` glob in `.manifest-gate.yaml` must only hold the kinds
  listed for it.

Each violation points at the offending document's `kind:` line.

**Why.** Reviewers read file names. A Deployment hidden in `role.yaml`, or a
ClusterRoleBinding appended to an existing ConfigMap file, is how privilege and
workloads slip past review.

**How to satisfy it.** Put each kind in a file named for it (or a neutral name), or
rename the file to say what it holds. For (c), move the document out of the
constrained directory or add the kind to that `kinds:` entry in a separate change.

**Example.** A pull request that appends a `kind: Deployment` document to
`base/rbac/role.yaml` fails: the file's name says it holds Roles, and the
diagnostic points at the Deployment's `kind:` line.
"#;

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let mut out = Vec::new();
    for c in cx.changed {
        let lower = c.path.to_ascii_lowercase();
        if !c.at_head
            || !(lower.ends_with(".yaml") || lower.ends_with(".yml"))
            || c.path == CONFIG_FILE
        {
            continue;
        }
        let Some(head_text) = cx.text(Side::Head, &c.path)? else {
            continue;
        };
        let base_text = if c.at_base {
            cx.text(Side::Base, &c.path)?
        } else {
            None
        };
        check_file(
            cx.config,
            &c.path,
            &head_text,
            base_text.as_deref(),
            &mut out,
        );
    }
    Ok(out)
}

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

/// Kinds in a YAML text: (kind, position of the `kind:` value), for documents
/// that have one. `None` when the text is not YAML: such a file is not judged
/// by this rule (Helm templates and other YAML-named text are common), and a
/// file an overlay renders fails the render itself, naming its line.
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
    out: &mut Vec<Diagnostic>,
) {
    let Some(head_kinds) = kinds_in(head_text, path) else {
        return;
    };
    let base_kinds: Option<Vec<String>> = base_text
        .and_then(|t| kinds_in(t, path))
        .map(|v| v.into_iter().map(|(k, _)| k).collect());
    let family = name_family(path);
    let mut seen_new: Vec<String> = Vec::new();
    for (kind, node) in &head_kinds {
        // (a) the file name announces a kind family.
        if let Some((word, allowed)) = &family {
            let flat = kind.to_ascii_lowercase();
            let stem_flat: String = crate::source::file_name(path)
                .to_ascii_lowercase()
                .replace(['-', '_'], "");
            if !allowed.contains(&kind.as_str()) && !stem_flat.contains(&flat) {
                out.push(Diagnostic::new(
                    RULE.id,
                    format!("{path} holds a {kind}, but its name says it holds {}", allowed.join(" or ")),
                    Span::at(&node.pos, Side::Head),
                )
                .with_label(format!("a {kind} in a file named for '{word}'"))
                .with_help(format!(
                        "move this {kind} to a file named for its kind (e.g. {}.yaml), or rename the file if it really holds {kind}s",
                        kind.to_ascii_lowercase()
                    )));
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
                Diagnostic::new(
                    RULE.id,
                    format!("{path} holds a {kind}, but files matching '{}' may only hold {}", rule.glob, rule.kinds.join(", ")),
                    Span::at(&node.pos, Side::Head),
                )
                .with_label(format!("{kind} is not allowed here"))
                .with_help(format!("move this {kind} out of '{}', or add {kind} to that entry of the gate configuration", rule.glob))
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
                out.push(
                    Diagnostic::new(
                        RULE.id,
                        format!("{path} now holds a {kind}; at base it held only {held}"),
                        Span::at(&node.pos, Side::Head),
                    )
                    .with_label(format!("new kind {kind} in an existing file"))
                    .with_help(format!(
                        "put the {kind} in a file of its own, named for its kind"
                    )),
                );
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
        assert_eq!(out[0].span.line, 7);
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
        assert_eq!(out[0].span.line, 3);
    }
}
