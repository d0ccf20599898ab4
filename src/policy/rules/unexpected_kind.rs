//! `unexpected-kind`: a YAML file holding a kind it should not hold — by its
//! name (a), by what it held at base (b), or by a `kinds` glob (c).

use super::Rule;
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::error::Result;
use crate::kustomize::kustomization::FILE_NAMES;
use crate::policy::config::{Config, CONFIG_FILE};
use crate::policy::RuleContext;
use crate::yaml::{parse_stream, Node, ParseOptions};
use std::collections::HashSet;

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
  `deployment.yml`, `rbac.yaml`, `cm.yaml`, `pvc.yaml`, `jobs-admin-crb.yaml`, …) must
  only hold documents of that kind family (`role.yaml` may hold Role and ClusterRole,
  `rbac.yaml` any RBAC kind, a binding file the roles it binds). The kind word or
  abbreviation (`crb`, `rb`, `cm`, `sa`, `pvc`, `hpa`, `pdb`, `svc`, `ns`, `sts`, …)
  must be a whole word of the name, and the last one wins. `kustomization.yaml`,
  files with no kind word in their name, and files that deliver an app (holding a
  HelmRelease, HelmRepository, OCIRepository, GitRepository, Flux Kustomization,
  Argo CD Application or ApplicationSet: `ingress-nginx.yaml`, `namespace-ci.yaml`)
  are not judged by name.
- (b) a file that existed at base must not gain a kind it did not hold at base (a new
  file is judged by (a) and (c) only; a file that delivered an app at base may change
  its delivery objects, as from HelmRepository to OCIRepository).
- (c) a file matching a `kinds:` glob in `.manifest-gate.yaml` must only hold the kinds
  listed for it.

Only Kubernetes objects count: kustomization files are not judged, a document needs
both `apiVersion` and `kind`, and a group that is Kubernetes' own or a GitOps
controller's unless an overlay renders the file (`.fluxschema.yml`, a Backstage
`catalog-info.yaml` are skipped). Each violation points at the offending document's
`kind:` line.

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
    // Files some overlay renders at head: their custom resources are Kubernetes objects.
    let rendered: HashSet<&str> = cx
        .sides
        .head
        .values()
        .flatten()
        .filter_map(|r| r.origin.file.as_deref())
        .collect();
    for c in cx.changed {
        let lower = c.path.to_ascii_lowercase();
        // A kustomization file is the build's configuration, not an object it
        // deploys (`kind: Component` replacing `kind: Kustomization` is no new kind).
        let kustomization = FILE_NAMES.contains(&crate::source::file_name(&c.path));
        if !c.at_head
            || !(lower.ends_with(".yaml") || lower.ends_with(".yml"))
            || c.path == CONFIG_FILE
            || kustomization
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
            File {
                path: &c.path,
                head: &head_text,
                base: base_text.as_deref(),
                rendered: rendered.contains(c.path.as_str()),
            },
            &mut out,
        );
    }
    Ok(out)
}

/// Kind words (and abbreviations) in file names and the kinds each allows. A
/// binding file may hold the roles it binds (`jobs-admin-crb.yaml`: a ClusterRole
/// and its ClusterRoleBinding).
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
    (&["role", "roles", "cr"], &["Role", "ClusterRole"]),
    (&["clusterrole", "clusterroles"], &["ClusterRole"]),
    (
        &["rolebinding", "rolebindings", "binding", "bindings", "rb"],
        &["RoleBinding", "ClusterRoleBinding", "Role", "ClusterRole"],
    ),
    (
        &["clusterrolebinding", "clusterrolebindings", "crb"],
        &["ClusterRoleBinding", "ClusterRole"],
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
    (&["ingress", "ingresses", "ing"], &["Ingress"]),
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

/// Kinds that deliver an app (a GitOps controller's objects, and the Namespace
/// they come with): a file holding one is named after what it deploys
/// (`ingress-nginx.yaml`, `namespace-ci.yaml`), so its name is no kind word.
const DELIVERY: &[&str] = &[
    "HelmRelease",
    "HelmRepository",
    "HelmChart",
    "OCIRepository",
    "GitRepository",
    "Bucket",
    "Kustomization",
    "ArtifactGenerator",
    "ExternalArtifact",
    "Application",
    "ApplicationSet",
    "AppProject",
];

/// At most this many trailing words of a file stem are looked at (a hostile
/// name with thousands of words costs nothing).
const MAX_NAME_WORDS: usize = 8;

/// The kind family a file name announces: (the word, the kinds allowed). A kind
/// word or abbreviation must be a whole word of the stem (or several words
/// joined: `service-account`); the last one wins (`jobs-admin-crb.yaml` is a
/// ClusterRoleBinding file, not a Job file).
pub fn name_family(path: &str) -> Option<(String, &'static [&'static str])> {
    let name = crate::source::file_name(path).to_ascii_lowercase();
    let stem = name
        .strip_suffix(".yaml")
        .or_else(|| name.strip_suffix(".yml"))?;
    if stem == "kustomization" {
        return None;
    }
    let all: Vec<&str> = stem
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    let words = &all[all.len().saturating_sub(MAX_NAME_WORDS)..];
    let lookup = |w: &str| {
        FAMILIES
            .iter()
            .find(|(ws, _)| ws.contains(&w))
            .map(|(_, k)| *k)
    };
    // The latest-ending run of words that is a kind word; at one end, the longest.
    for end in (1..=words.len()).rev() {
        for start in 0..end {
            let joined = words[start..end].concat();
            if let Some(k) = lookup(&joined) {
                return Some((words[start..end].join("-"), k));
            }
        }
    }
    None
}

/// API groups of Kubernetes itself and of the GitOps controllers the gate reads.
fn is_kubernetes_group(api_version: &str) -> bool {
    let Some((group, _)) = api_version.rsplit_once('/') else {
        return true; // the core group: `v1`
    };
    matches!(
        group,
        "apps" | "batch" | "policy" | "autoscaling" | "extensions" | "argoproj.io"
    ) || group.ends_with(".k8s.io")
        || group == "k8s.io"
        || group.ends_with(".toolkit.fluxcd.io")
        || group.ends_with(".extensions.fluxcd.io")
}

/// Kinds in a YAML text: (kind, position of the `kind:` value), for documents
/// that are Kubernetes objects: they have both `apiVersion` and `kind` (strings),
/// and their group is Kubernetes' or a GitOps controller's, or `rendered` says an
/// overlay renders the file (a custom resource). Other documents (`.fluxschema.yml`,
/// a Backstage `catalog-info.yaml`) are skipped. `None` when the text is not YAML:
/// such a file is not judged by this rule (Helm templates and other YAML-named
/// text are common), and a file an overlay renders fails the render itself.
pub fn kinds_in(text: &str, path: &str, rendered: bool) -> Option<Vec<(String, Node)>> {
    let docs = parse_stream(text, path, &ParseOptions::resource()).ok()?;
    Some(
        docs.into_iter()
            .filter_map(|d| {
                let api = d.get("apiVersion")?.as_str()?.to_string();
                let k = d.get("kind")?.clone();
                let s = k.as_str()?.to_string();
                (rendered || is_kubernetes_group(&api)).then_some((s, k))
            })
            .collect(),
    )
}

/// One changed YAML file to judge.
pub struct File<'a> {
    /// Repository-relative path.
    pub path: &'a str,
    /// Its text at head.
    pub head: &'a str,
    /// Its text at base, when it existed there.
    pub base: Option<&'a str>,
    /// Whether an overlay renders it at head.
    pub rendered: bool,
}

/// Judge one changed YAML file.
pub fn check_file(cfg: &Config, file: File, out: &mut Vec<Diagnostic>) {
    let path = file.path;
    let Some(head_kinds) = kinds_in(file.head, path, file.rendered) else {
        return;
    };
    let base_kinds: Option<Vec<String>> = file
        .base
        .and_then(|t| kinds_in(t, path, file.rendered))
        .map(|v| v.into_iter().map(|(k, _)| k).collect());
    // A file delivering an app is named after the app, not after a kind.
    let delivers = head_kinds
        .iter()
        .any(|(k, _)| DELIVERY.contains(&k.as_str()));
    let family = if delivers { None } else { name_family(path) };
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
        // (b) an existing file gained a kind (a file delivering an app may swap its
        // delivery objects: a HelmRepository becoming an OCIRepository).
        if let Some(bk) = &base_kinds {
            let delivered = |k: &str| DELIVERY.contains(&k);
            let swap = delivered(kind) && bk.iter().any(|k| delivered(k));
            if !bk.contains(kind) && !seen_new.contains(kind) && !swap {
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

    fn judge(path: &str, head: &str, base: Option<&str>) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        let file = File {
            path,
            head,
            base,
            rendered: false,
        };
        check_file(&Config::inferred(), file, &mut out);
        out
    }

    #[test]
    fn families_from_names() {
        let fam = |p: &str| name_family(p).map(|(_, k)| k);
        assert_eq!(fam("a/role.yaml").unwrap(), &["Role", "ClusterRole"]);
        assert_eq!(fam("a/checkout-service.yaml").unwrap(), &["Service"]);
        assert_eq!(fam("a/deployment.yml").unwrap(), &["Deployment"]);
        assert_eq!(fam("a/cm.yaml").unwrap(), &["ConfigMap"]);
        assert_eq!(fam("a/service-account.yaml").unwrap(), &["ServiceAccount"]);
        // The last kind word wins.
        assert_eq!(
            fam("a/jobs-admin-crb.yaml").unwrap(),
            &["ClusterRoleBinding", "ClusterRole"]
        );
        assert_eq!(fam("a/web-hpa.yaml").unwrap(), &["HorizontalPodAutoscaler"]);
        // Whole words only.
        assert!(fam("a/samba.yaml").is_none());
        assert!(fam("a/kustomization.yaml").is_none());
        assert!(fam("a/app.yaml").is_none());
        assert!(fam("a/README.md").is_none());
    }

    #[test]
    fn judges_documents() {
        let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n";
        let out = judge("x/role.yaml", text, None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].span.line, 7);
        assert!(out[0].message.contains("holds a Deployment"));
        let sm = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n";
        assert!(judge("x/service-monitor.yaml", sm, None).is_empty());
        let out = judge(
            "x/app.yaml",
            "apiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: Deployment\n",
            Some("apiVersion: v1\nkind: Service\n"),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].span.line, 5);
    }

    #[test]
    fn delivery_files_and_foreign_documents_are_not_judged_by_name() {
        let bundle = "apiVersion: v1\nkind: Namespace\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n";
        assert!(judge("infra/ingress-nginx.yaml", bundle, None).is_empty());
        let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\n";
        assert!(judge("apps/namespace-ci.yaml", app, None).is_empty());
        // No apiVersion: not a Kubernetes object.
        assert!(judge("x/svc.yaml", "kind: Deployment\n", None).is_empty());
        let backstage = "apiVersion: backstage.io/v1alpha1\nkind: Component\n";
        assert!(judge("x/catalog-info.yaml", backstage, Some("kind: x\n")).is_empty());
        // The flux CLI's schema plugin configuration is no cluster object.
        let schema = "apiVersion: schema.plugin.fluxcd.io/v1beta1\nkind: Config\n";
        assert!(judge(".fluxschema.yml", schema, Some("# none\n")).is_empty());
        // A custom resource an overlay renders is judged.
        let mut out = Vec::new();
        let file = File {
            path: "x/svc.yaml",
            head: "apiVersion: example.com/v1\nkind: Widget\n",
            base: None,
            rendered: true,
        };
        check_file(&Config::inferred(), file, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
    }
}
