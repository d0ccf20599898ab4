use super::*;
use crate::kustomize::fieldspec::FieldSpec;
use crate::kustomize::replacements::tests::resources;

fn kust(text: &str) -> Kustomization {
    Kustomization::for_test(text)
}

fn cfg() -> TransformerConfig {
    let mut c = TransformerConfig::default();
    for (kind, path) in [
        ("Deployment", "spec/template/spec/containers/args"),
        ("Deployment", "spec/template/spec/containers/env/value"),
        ("", "metadata/annotations"),
    ] {
        let mut s = FieldSpec::new(path, false);
        s.kind = kind.into();
        c.var_reference.push(s);
    }
    c
}

const RES: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: svc
spec:
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
  annotations:
    x: "$(SVC)"
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: app
        image: $(SVC)
        args: ["$(SVC)", "$(PORT)", "a$(PORT)b", "$$(SVC)", "$(NOPE)", "$", "$(MAP)", "$(x"]
        env:
        - name: P
          value: $(PORT)
"#;

const VARS: &str = "vars:
- name: SVC
  objref: {kind: Service, name: svc, version: v1}
- name: PORT
  objref: {kind: Service, name: svc, apiVersion: v1}
  fieldref: {fieldPath: 'spec.ports[0].port'}
- name: MAP
  objref: {kind: Service, name: svc, apiVersion: v1}
  fieldref: {fieldPath: spec.ports}
";

#[test]
fn substitution_rules() {
    // Verified with kubectl kustomize v5.5.0 (args: svc, 80, a80b, $(SVC), $(NOPE), $; env value 80 unquoted).
    let mut res = resources(RES);
    let vars = collect(&kust(VARS), &res).unwrap();
    assert_eq!(vars.len(), 3);
    check_duplicates(&vars).unwrap();
    // A later rename (prefix in an overlay, hash) is followed.
    res[0].remember_id();
    res[0].set_name("p-svc", &Pos::none());
    resolve(&mut res, &vars, &cfg()).unwrap();
    let c = &res[1]
        .node
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0];
    let args: Vec<serde_json::Value> = c
        .get("args")
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .map(|n| n.to_json())
        .collect();
    assert_eq!(
        serde_json::Value::Array(args),
        serde_json::json!(["p-svc", 80, "a80b", "$(SVC)", "$(NOPE)", "$", "$(MAP)", "$(x"])
    );
    assert_eq!(
        c.get("env").unwrap().as_seq().unwrap()[0]
            .get("value")
            .unwrap()
            .as_i64(),
        Some(80)
    );
    // Not a var-reference field: left alone.
    assert_eq!(c.str_at(&["image"]), Some("$(SVC)"));
    assert_eq!(res[1].annotation("x"), Some("p-svc"));
    // Provenance: an exact `$(PORT)` takes the position of the source field.
    let v = c.get("env").unwrap().as_seq().unwrap()[0]
        .get("value")
        .unwrap();
    assert_eq!(v.pos.line, 7);
}

#[test]
fn var_needs_exact_gvk() {
    // kubectl: "var '{SVC Service.[noVer].[noGrp] {metadata.name}}' cannot be mapped to a field in the set of known resources"
    let mut res = resources(RES);
    let vars = collect(
        &kust("vars:\n- name: SVC\n  objref: {kind: Service, name: svc}\n"),
        &res,
    )
    .unwrap();
    let err = resolve(&mut res, &vars, &cfg()).unwrap_err();
    assert_eq!(
        err.msg,
        "var '{SVC Service.[noVer].[noGrp] {metadata.name}}' cannot be mapped to a field in the set of known resources"
    );
}

#[test]
fn ambiguity_duplicates_and_missing_fields() {
    let two = format!(
        "{RES}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n  namespace: other\n"
    );
    let res = resources(&two);
    let err = collect(
        &kust("vars:\n- name: SVC\n  objref: {kind: Service, name: svc, apiVersion: v1}\n"),
        &res,
    )
    .unwrap_err();
    assert!(err.msg.contains("found 2 resId matches for var"), "{err}");
    // A namespace in the objref disambiguates.
    let vars = collect(&kust("vars:\n- name: SVC\n  objref: {kind: Service, name: svc, apiVersion: v1, namespace: other}\n"), &res).unwrap();
    assert_eq!(vars[0].bound.as_ref().unwrap().namespace, "other");
    let mut all = vars.clone();
    all.extend(vars.clone());
    assert_eq!(
        check_duplicates(&all).unwrap_err().msg,
        "var 'SVC' already encountered"
    );
    let mut res = resources(RES);
    let vars = collect(&kust("vars:\n- name: SVC\n  objref: {kind: Service, name: svc, apiVersion: v1}\n  fieldref: {fieldPath: spec.nope}\n"), &res).unwrap();
    let err = resolve(&mut res, &vars, &cfg()).unwrap_err();
    assert!(
        err.msg.contains("not found in corresponding resource"),
        "{err}"
    );
}

#[test]
fn non_string_list_items_fail_when_vars_exist() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dep\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        args: [1, $(SVC)]\n";
    let mut res = resources(&format!("{RES}---\n{text}"));
    let vars = collect(&kust(VARS), &res).unwrap();
    assert!(resolve(&mut res, &vars, &cfg()).is_err());
    // Without vars nothing is checked.
    let mut res = resources(text);
    resolve(&mut res, &[], &cfg()).unwrap();
}

#[test]
fn expand_edge_cases() {
    let look = |n: &str| {
        if n == "A" {
            Some((Some(Value::Int(1)), "1".to_string()))
        } else {
            None
        }
    };
    let s = |x: &str| match expand(x, &look, &Pos::none()).unwrap().0 {
        Value::Str(s) => s,
        v => format!("{v:?}"),
    };
    assert_eq!(s("$(A)"), "Int(1)");
    assert_eq!(s("x$(A)y$(B)"), "x1y$(B)");
    assert_eq!(s("$$(A)"), "$(A)");
    assert_eq!(s("a$"), "a$");
    assert_eq!(s("$x$(A"), "$x$(A");
    assert_eq!(s("é$(A)é"), "é1é");
}
