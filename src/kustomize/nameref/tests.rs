use super::*;
use crate::kustomize::replacements::tests::{assert_same, resources};
use crate::yaml::{parse_stream, ParseOptions};

/// A subset of kustomize's namereference.yaml, in its format.
const RULES: &str = r#"
- kind: ConfigMap
  version: v1
  fieldSpecs:
  - path: spec/template/spec/containers/envFrom/configMapRef/name
    kind: Deployment
  - path: spec/template/spec/volumes/configMap/name
    kind: Deployment
  - path: rules/resourceNames
    kind: ClusterRole
- kind: Deployment
  fieldSpecs:
  - path: spec/scaleTargetRef/name
    kind: HorizontalPodAutoscaler
- kind: Service
  version: v1
  fieldSpecs:
  - path: webhooks/clientConfig/service
    kind: ValidatingWebhookConfiguration
    group: admissionregistration.k8s.io
- kind: Role
  group: rbac.authorization.k8s.io
  fieldSpecs:
  - path: roleRef/name
    kind: RoleBinding
    group: rbac.authorization.k8s.io
- kind: ClusterRole
  group: rbac.authorization.k8s.io
  fieldSpecs:
  - path: roleRef/name
    kind: RoleBinding
    group: rbac.authorization.k8s.io
  - path: roleRef/name
    kind: ClusterRoleBinding
    group: rbac.authorization.k8s.io
- kind: ServiceAccount
  version: v1
  fieldSpecs:
  - path: subjects
    kind: RoleBinding
    group: rbac.authorization.k8s.io
  - path: subjects
    kind: ClusterRoleBinding
    group: rbac.authorization.k8s.io
"#;

/// The scope table is filled by another branch; until it is merged, tests that
/// need cluster-scoped kinds are skipped.
/// The embedded cluster-scope table is there (the tests below depend on it).
fn assert_scope_table() {
    assert!(is_cluster_scoped(&Gvk::from_api_version(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
    )));
}

fn cfg() -> TransformerConfig {
    let doc = parse_stream(RULES, "rules.yaml", &ParseOptions::resource())
        .unwrap()
        .remove(0);
    let mut cfg = TransformerConfig::default();
    for r in doc.as_seq().unwrap() {
        let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        cfg.name_reference.push(NameRefRule {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
            specs: FieldSpec::list_from_node(r.get("fieldSpecs")).unwrap(),
        });
    }
    cfg
}

fn find<'a>(res: &'a mut [Resource], kind: &str, name: &str) -> &'a mut Resource {
    res.iter_mut()
        .find(|r| r.kind() == kind && r.name() == name)
        .unwrap()
}

/// What kustomize's namespace transformer does to ids (every namespaced resource).
fn set_ns(r: &mut Resource, ns: &str) {
    r.remember_id();
    if !is_cluster_scoped(&r.id().gvk) {
        r.set_namespace(ns, &Pos::none());
    }
}

fn prefix(r: &mut Resource, p: &str) {
    r.remember_id();
    let n = format!("{p}{}", r.name());
    r.set_name(&n, &Pos::none());
    r.meta.prefixes.push(p.trim_end_matches('-').to_string());
}

fn rename(r: &mut Resource, n: &str) {
    r.remember_id();
    r.set_name(n, &Pos::none());
}

const DEP: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  template:
    spec:
      containers:
      - name: c
        image: x
        envFrom:
        - configMapRef:
            name: cm
";

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n";

const RBAC: &str = "apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: r
rules:
- resources: [configmaps]
  resourceNames: [a-cm, unknown]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects:
- {kind: ServiceAccount, name: sa}
- {kind: ServiceAccount, name: sa, namespace: default}
- {kind: ServiceAccount, name: sa, namespace: whatever}
- {kind: User, name: sa}
";

/// Two bases (prefixes a- and b-, each a Deployment and a generated ConfigMap `cm`),
/// plus RBAC, under `namespace: target` and `namePrefix: p-`. Expected output from
/// kubectl kustomize v5.5.0 (see the module's test notes).
#[test]
fn prefixes_namespaces_rbac_and_lists() {
    assert_scope_table();
    let mut res = Vec::new();
    for (b, hash) in [("a", "h86gkk55b9"), ("b", "7dhtbt57df")] {
        let mut base = resources(&format!(
            "{DEP}---\n{}",
            CM.replace("k: v", &format!("k: {b}"))
        ));
        for r in base.iter_mut() {
            prefix(r, &format!("{b}-"));
        }
        let _ = hash;
        res.extend(base);
    }
    res.extend(resources(RBAC));
    for r in res.iter_mut() {
        set_ns(r, "target");
    }
    for r in res.iter_mut() {
        prefix(r, "p-");
    }
    rename(find(&mut res, "ConfigMap", "p-a-cm"), "p-a-cm-h86gkk55b9");
    rename(find(&mut res, "ConfigMap", "p-b-cm"), "p-b-cm-7dhtbt57df");
    fix_name_references(&mut res, &cfg()).unwrap();
    assert_same(
        &res,
        "apiVersion: v1
kind: ServiceAccount
metadata:
  name: p-sa
  namespace: target
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: p-r
  namespace: target
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: p-r
rules:
- resourceNames:
  - p-a-cm-h86gkk55b9
  - unknown
  resources:
  - configmaps
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: p-rb
  namespace: target
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: p-r
subjects:
- kind: ServiceAccount
  name: p-sa
  namespace: target
- kind: ServiceAccount
  name: p-sa
  namespace: target
- kind: ServiceAccount
  name: sa
  namespace: whatever
- kind: User
  name: p-sa
  namespace: target
---
apiVersion: v1
data:
  k: a
kind: ConfigMap
metadata:
  name: p-a-cm-h86gkk55b9
  namespace: target
---
apiVersion: v1
data:
  k: b
kind: ConfigMap
metadata:
  name: p-b-cm-7dhtbt57df
  namespace: target
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: p-a-dep
  namespace: target
spec:
  template:
    spec:
      containers:
      - envFrom:
        - configMapRef:
            name: p-a-cm-h86gkk55b9
        image: x
        name: c
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: p-b-dep
  namespace: target
spec:
  template:
    spec:
      containers:
      - envFrom:
        - configMapRef:
            name: p-b-cm-7dhtbt57df
        image: x
        name: c
",
    );
    // Provenance: the rewritten reference keeps the position it was written at.
    let dep = find(&mut res, "Deployment", "p-a-dep");
    let n = dep
        .node
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0]
        .get("envFrom")
        .unwrap()
        .as_seq()
        .unwrap()[0]
        .get_path(&["configMapRef", "name"])
        .unwrap();
    assert_eq!(n.pos.line, 13);
}

#[test]
fn never_renamed_and_unknown_names_are_left_alone() {
    let mut res = resources(&format!("{DEP}---\n{CM}"));
    fix_name_references(&mut res, &cfg()).unwrap();
    assert_eq!(
        res[0].node.to_json(),
        resources(DEP)[0].node.to_json(),
        "no previous names: nothing changes"
    );
}

#[test]
fn other_namespace_is_not_a_candidate() {
    // cm lives in ns1, the Deployment in ns2: no update.
    let mut res = resources(&format!("{DEP}---\n{CM}"));
    set_ns(&mut res[0], "ns2");
    set_ns(&mut res[1], "ns1");
    rename(&mut res[1], "cm-x");
    fix_name_references(&mut res, &cfg()).unwrap();
    let c = &res[0]
        .node
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0];
    assert_eq!(
        c.get("envFrom").unwrap().as_seq().unwrap()[0].str_at(&["configMapRef", "name"]),
        Some("cm")
    );
}

#[test]
fn multiple_possible_referrals() {
    assert_scope_table();
    // Two generated `cm` in different namespaces, referenced by a cluster-scoped ClusterRole.
    let cr = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- resourceNames: [cm]\n";
    let mut res = resources(&format!("{CM}---\n{CM}---\n{cr}"));
    res[0].set_namespace("ns1", &Pos::none());
    res[1].set_namespace("ns2", &Pos::none());
    rename(&mut res[0], "cm-aaa");
    rename(&mut res[1], "cm-bbb");
    let c = cfg();
    let err = fix_name_references(&mut res, &c).unwrap_err();
    assert!(
        err.msg.contains("found multiple possible referrals"),
        "{err}"
    );
    // Same name in both namespaces: the first is taken.
    let mut res = resources(&format!("{CM}---\n{CM}---\n{cr}"));
    res[0].set_namespace("ns1", &Pos::none());
    res[1].set_namespace("ns2", &Pos::none());
    rename(&mut res[0], "cm-aaa");
    rename(&mut res[1], "cm-aaa");
    fix_name_references(&mut res, &c).unwrap();
    assert_eq!(
        res[2].node.get_path(&["rules"]).unwrap().as_seq().unwrap()[0]
            .get("resourceNames")
            .unwrap()
            .as_seq()
            .unwrap()[0]
            .as_str(),
        Some("cm-aaa")
    );
}

#[test]
fn role_ref_kind_decides() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: r
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb1
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
";
    let mut res = resources(text);
    rename(&mut res[0], "role-r");
    rename(&mut res[1], "cluster-r");
    fix_name_references(&mut res, &cfg()).unwrap();
    assert_eq!(res[2].node.str_at(&["roleRef", "name"]), Some("role-r"));
    assert_eq!(res[3].node.str_at(&["roleRef", "name"]), Some("cluster-r"));
}

#[test]
fn referrers_are_selected_by_original_kind_and_webhook_maps() {
    assert_scope_table();
    let text = "apiVersion: v1
kind: Service
metadata:
  name: svc
  namespace: sys
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vwc
webhooks:
- name: w
  clientConfig:
    service: {name: svc, namespace: sys}
- name: w2
  clientConfig:
    service: {name: svc, namespace: other}
";
    let mut res = resources(text);
    set_ns(&mut res[0], "prod");
    prefix(&mut res[0], "p-");
    fix_name_references(&mut res, &cfg()).unwrap();
    let w = res[1].node.get("webhooks").unwrap().as_seq().unwrap();
    assert_eq!(
        w[0].str_at(&["clientConfig", "service", "name"]),
        Some("p-svc")
    );
    assert_eq!(
        w[0].str_at(&["clientConfig", "service", "namespace"]),
        Some("prod")
    );
    assert_eq!(
        w[1].str_at(&["clientConfig", "service", "name"]),
        Some("svc")
    );
    assert_eq!(
        w[1].str_at(&["clientConfig", "service", "namespace"]),
        Some("other")
    );
}

#[test]
fn subjects_without_name_fail() {
    let text = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb\nsubjects:\n- {kind: ServiceAccount}\n";
    let mut res = resources(text);
    rename(&mut res[0], "x-sa");
    let err = fix_name_references(&mut res, &cfg()).unwrap_err();
    assert!(err.msg.contains("no 'name' field"), "{err}");
}
