//! `deprecated-api`: a changed resource uses an API version that is deprecated,
//! or removed, in the target `kubernetes-version`. [`APIS`] is the data table
//! (the API versions Pluto reports, from the Kubernetes deprecation guide).

use super::Rule;
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::diff::ChangeAction;
use crate::error::Result;
use crate::policy::schema::builtin;
use crate::policy::RuleContext;
use std::collections::BTreeSet;

/// The rule. Its registry severity is `error`, which applies to *removed* APIs;
/// an API that is only deprecated is reported as a warning.
pub static RULE: Rule = Rule {
    id: "deprecated-api",
    default_severity: Severity::Error,
    summary: "Changed resources must not use an API version deprecated (warning) or removed (error) in the target Kubernetes version.",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"
**What it checks.** Every resource the change adds or modifies, as rendered at head,
against a table of deprecated and removed Kubernetes API versions (those Pluto
reports: `extensions/v1beta1`, `apps/v1beta1` and `apps/v1beta2`, `policy/v1beta1`
PodDisruptionBudget and PodSecurityPolicy, `batch/v1beta1` CronJob,
`autoscaling/v2beta1` and `v2beta2`, `networking.k8s.io/v1beta1` Ingress,
`flowcontrol.apiserver.k8s.io` betas, …) for the configured `kubernetes-version`. An
API version removed in that version is an error; one that is deprecated but still
served is a warning. The help names the replacement.

**Why.** The API server refuses a removed API version at apply time, and a cluster
upgrade past a deprecated one breaks every manifest that still uses it.

**How to satisfy it.** Move the resource to the replacement API version (and adapt
the fields that changed between versions).

**Example.** A new `extensions/v1beta1` Ingress fails: the API was removed in
Kubernetes 1.22; use `networking.k8s.io/v1`.
"#;

/// One deprecated API: (apiVersion, kinds (empty: all), deprecated in minor,
/// removed in minor, replacement apiVersion).
pub type Deprecation = (
    &'static str,
    &'static [&'static str],
    u32,
    u32,
    &'static str,
);

/// Deprecated and removed API versions of Kubernetes 1.x (minor numbers).
pub const APIS: &[Deprecation] = &[
    (
        "extensions/v1beta1",
        &["Deployment", "DaemonSet", "ReplicaSet"],
        8,
        16,
        "apps/v1",
    ),
    (
        "extensions/v1beta1",
        &["NetworkPolicy"],
        9,
        16,
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        &["PodSecurityPolicy"],
        10,
        16,
        "policy/v1beta1 (itself removed in 1.25: use Pod Security Admission)",
    ),
    (
        "extensions/v1beta1",
        &["Ingress"],
        14,
        22,
        "networking.k8s.io/v1",
    ),
    ("apps/v1beta1", &[], 9, 16, "apps/v1"),
    ("apps/v1beta2", &[], 9, 16, "apps/v1"),
    (
        "networking.k8s.io/v1beta1",
        &["Ingress", "IngressClass"],
        19,
        22,
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        &[],
        17,
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        &[],
        17,
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        16,
        22,
        "admissionregistration.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        &[],
        16,
        22,
        "apiextensions.k8s.io/v1",
    ),
    (
        "apiregistration.k8s.io/v1beta1",
        &[],
        19,
        22,
        "apiregistration.k8s.io/v1",
    ),
    (
        "certificates.k8s.io/v1beta1",
        &[],
        19,
        22,
        "certificates.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        &[],
        19,
        22,
        "coordination.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1alpha1",
        &[],
        14,
        17,
        "scheduling.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1beta1",
        &[],
        14,
        22,
        "scheduling.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
        19,
        22,
        "storage.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        &["CSIStorageCapacity"],
        24,
        27,
        "storage.k8s.io/v1",
    ),
    ("batch/v2alpha1", &["CronJob"], 8, 21, "batch/v1"),
    ("batch/v1beta1", &["CronJob"], 21, 25, "batch/v1"),
    (
        "policy/v1beta1",
        &["PodDisruptionBudget"],
        21,
        25,
        "policy/v1",
    ),
    (
        "policy/v1beta1",
        &["PodSecurityPolicy"],
        21,
        25,
        "none: use Pod Security Admission (namespace labels)",
    ),
    (
        "discovery.k8s.io/v1beta1",
        &["EndpointSlice"],
        21,
        25,
        "discovery.k8s.io/v1",
    ),
    (
        "events.k8s.io/v1beta1",
        &["Event"],
        22,
        25,
        "events.k8s.io/v1",
    ),
    (
        "node.k8s.io/v1beta1",
        &["RuntimeClass"],
        22,
        25,
        "node.k8s.io/v1",
    ),
    (
        "autoscaling/v2beta1",
        &["HorizontalPodAutoscaler"],
        22,
        25,
        "autoscaling/v2",
    ),
    (
        "autoscaling/v2beta2",
        &["HorizontalPodAutoscaler"],
        23,
        26,
        "autoscaling/v2",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        &["FlowSchema", "PriorityLevelConfiguration"],
        23,
        26,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        &["FlowSchema", "PriorityLevelConfiguration"],
        26,
        29,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        &["FlowSchema", "PriorityLevelConfiguration"],
        29,
        32,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// The table entry for `api kind`.
pub fn lookup(api: &str, kind: &str) -> Option<&'static Deprecation> {
    APIS.iter()
        .find(|(a, kinds, ..)| *a == api && (kinds.is_empty() || kinds.contains(&kind)))
}

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let target = builtin::minor(cx.config.kubernetes_version);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for o in cx.changed_overlays() {
        for c in &o.changes {
            if c.action == ChangeAction::Removed {
                continue;
            }
            let Some(r) = cx.sides.head_resource(&o.path, c) else {
                continue;
            };
            let (api, kind) = (r.api_version(), r.kind());
            let Some((_, _, deprecated, removed, replacement)) = lookup(api, kind) else {
                continue;
            };
            if target < *deprecated {
                continue;
            }
            let pos = r.node.get("apiVersion").map_or(&r.origin, |n| &n.pos);
            let span = Span::at(pos, Side::Head);
            if !seen.insert((span.clone(), r.name().to_string())) {
                continue;
            }
            let gone = target >= *removed;
            let state = if gone {
                format!("was removed in Kubernetes 1.{removed}")
            } else {
                format!("is deprecated since Kubernetes 1.{deprecated} and removed in 1.{removed}")
            };
            let d = Diagnostic::new(
                RULE.id,
                format!(
                    "{kind} {}: {api} {kind} {state} (target version {})",
                    r.name(),
                    cx.config.kubernetes_version
                ),
                span,
            )
            .with_label(if gone {
                "removed API version"
            } else {
                "deprecated API version"
            })
            .with_help(format!("use {replacement}"))
            .with_note(format!("in the rendered output of {}", o.path));
            out.push(if gone {
                d
            } else {
                d.with_severity(Severity::Warning)
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_consistent() {
        for (api, _, dep, rem, repl) in APIS {
            assert!(dep < rem, "{api}");
            assert!(!repl.is_empty(), "{api}");
        }
        assert_eq!(
            lookup("extensions/v1beta1", "Ingress").map(|d| d.3),
            Some(22)
        );
        assert_eq!(
            lookup("apps/v1beta2", "StatefulSet").map(|d| d.4),
            Some("apps/v1")
        );
        assert!(lookup("apps/v1", "Deployment").is_none());
        assert!(lookup("policy/v1beta1", "Eviction").is_none());
    }
}
