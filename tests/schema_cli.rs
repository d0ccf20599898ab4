//! `schema-validation` and `deprecated-api` through the binary: findings at
//! the patch line that set the value, CRDs from the repository, kinds with no
//! schema noted once, removed API versions, and `kubernetes-version`.

mod common;

use common::{mg, TestRepo};
use serde_json::Value;

/// `check c0..c1` as JSON: (exit code, the violations, stderr).
fn check(repo: &TestRepo, base: &str, head: &str) -> (i32, Vec<Value>, String) {
    let (code, out, err) = mg(
        &repo.path(),
        &["check", "--base", base, "--head", head, "--format", "json"],
    );
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let list = v["violations"].as_array().cloned().unwrap_or_default();
    (code, list, err)
}

fn of_rule<'a>(v: &'a [Value], rule: &str) -> Vec<&'a Value> {
    v.iter().filter(|d| d["rule"] == rule).collect()
}

const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.27
";

const PATCH: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: \"3\"
  template:
    spec:
      containers:
      - name: app
        imagePullPolicyy: Always
";

fn base_repo() -> Vec<(&'static str, Option<&'static str>)> {
    vec![
        (
            "base/kustomization.yaml",
            Some("resources: [deployment.yaml]\n"),
        ),
        ("base/deployment.yaml", Some(DEPLOY)),
        (
            "overlays/dev/kustomization.yaml",
            Some("resources: [../../base]\n"),
        ),
    ]
}

#[test]
fn a_misspelt_field_and_a_wrong_type_set_in_a_patch_fail_at_the_patch_lines() {
    let repo = TestRepo::build(&[
        &base_repo(),
        &[
            (
                "overlays/dev/kustomization.yaml",
                Some("resources: [../../base]\npatches:\n- path: patch.yaml\n"),
            ),
            ("overlays/dev/patch.yaml", Some(PATCH)),
        ],
    ]);
    let (code, v, err) = check(&repo, "c0", "c1");
    assert_eq!(code, 1, "{v:?}{err}");
    let found = of_rule(&v, "schema-validation");
    assert_eq!(found.len(), 2, "{found:?}");
    let at = |line: u64| {
        found
            .iter()
            .find(|d| d["line"] == line)
            .unwrap_or_else(|| panic!("nothing at line {line}: {found:?}"))
    };
    let typo = at(11);
    assert_eq!(typo["path"], "overlays/dev/patch.yaml");
    assert_eq!(typo["severity"], "error");
    assert!(
        typo["message"]
            .as_str()
            .unwrap()
            .contains("spec.template.spec.containers[name=app].imagePullPolicyy: unknown field"),
        "{typo}"
    );
    let ty = at(6);
    assert_eq!(ty["path"], "overlays/dev/patch.yaml");
    assert!(
        ty["message"]
            .as_str()
            .unwrap()
            .contains("spec.replicas: wrong type: a string"),
        "{ty}"
    );
    assert!(ty["help"].as_str().unwrap().contains("integer"), "{ty}");
    // Text output names the file and line too.
    let (_, text, _) = mg(&repo.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert!(text.contains("error[schema-validation]"), "{text}");
    assert!(text.contains("overlays/dev/patch.yaml:11"), "{text}");
}

#[test]
fn a_schema_error_already_at_base_is_not_the_change() {
    let bad = DEPLOY.replace(
        "image: nginx:1.27",
        "image: nginx:1.27\n        imagePullPolicyy: Always",
    );
    let newer = bad.replace("nginx:1.27", "nginx:1.28");
    let repo = TestRepo::build(&[
        &[
            (
                "base/kustomization.yaml",
                Some("resources: [deployment.yaml]\n"),
            ),
            ("base/deployment.yaml", Some(&bad)),
            (
                "overlays/dev/kustomization.yaml",
                Some("resources: [../../base]\n"),
            ),
        ],
        &[("base/deployment.yaml", Some(&newer))],
    ]);
    let (code, v, err) = check(&repo, "c0", "c1");
    assert_eq!(code, 0, "{v:?}{err}");
    assert!(of_rule(&v, "schema-validation").is_empty(), "{v:?}");
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer}
              color: {type: string, enum: [red, blue]}
";

fn widget(spec: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n{spec}")
}

#[test]
fn a_custom_resource_is_validated_against_its_crd_in_the_repository() {
    let good = widget("  size: 2\n  color: red\n");
    let good2 = widget("  size: 3\n  color: blue\n");
    let bad = widget("  size: 3\n  colour: blue\n  color: green\n");
    let repo = TestRepo::build(&[
        &[
            (
                "base/kustomization.yaml",
                Some("resources: [crd.yaml, widget.yaml]\n"),
            ),
            ("base/crd.yaml", Some(CRD)),
            ("base/widget.yaml", Some(&good)),
            (
                "overlays/dev/kustomization.yaml",
                Some("resources: [../../base]\n"),
            ),
        ],
        &[("base/widget.yaml", Some(&good2))],
        &[("base/widget.yaml", Some(&bad))],
    ]);
    let (code, v, err) = check(&repo, "c0", "c1");
    assert_eq!(code, 0, "a valid change passes: {v:?}{err}");
    assert!(of_rule(&v, "schema-validation").is_empty(), "{v:?}");
    let (code, v, err) = check(&repo, "c1", "c2");
    assert_eq!(code, 1, "{v:?}{err}");
    let found = of_rule(&v, "schema-validation");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|d| d["path"] == "base/widget.yaml"));
    let unknown = found
        .iter()
        .find(|d| d["line"] == 7)
        .expect("colour at line 7");
    assert!(unknown["message"]
        .as_str()
        .unwrap()
        .contains("spec.colour: unknown field"));
    assert!(
        unknown["notes"][0]
            .as_str()
            .unwrap()
            .contains("widgets.example.com"),
        "{unknown}"
    );
    let enum_ = found
        .iter()
        .find(|d| d["line"] == 8)
        .expect("color at line 8");
    assert!(enum_["message"]
        .as_str()
        .unwrap()
        .contains("value not allowed"));
    assert!(
        enum_["help"].as_str().unwrap().contains("\"red\""),
        "{enum_}"
    );
}

#[test]
fn a_kind_without_schema_is_noted_once_and_never_fails() {
    let gadget = |n: &str| {
        format!("apiVersion: example.org/v1\nkind: Gadget\nmetadata:\n  name: {n}\nspec:\n  anything: [1]\n")
    };
    let (a, b) = (gadget("a"), gadget("b"));
    let repo = TestRepo::build(&[
        &base_repo(),
        &[
            (
                "base/kustomization.yaml",
                Some("resources: [deployment.yaml, a.yaml, b.yaml]\n"),
            ),
            ("base/a.yaml", Some(&a)),
            ("base/b.yaml", Some(&b)),
        ],
    ]);
    let (code, v, err) = check(&repo, "c0", "c1");
    assert_eq!(code, 0, "{v:?}{err}");
    let notes = of_rule(&v, "schema-validation");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["severity"], "note");
    assert!(
        notes[0]["message"]
            .as_str()
            .unwrap()
            .contains("example.org/v1 Gadget is not validated"),
        "{notes:?}"
    );
}

#[test]
fn a_removed_extensions_v1beta1_ingress_is_flagged_with_its_replacement() {
    let ing = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  backend:\n    serviceName: web\n    servicePort: 80\n";
    let repo = TestRepo::build(&[
        &base_repo(),
        &[
            (
                "base/kustomization.yaml",
                Some("resources: [deployment.yaml, ingress.yaml]\n"),
            ),
            ("base/ingress.yaml", Some(ing)),
        ],
    ]);
    let (code, v, err) = check(&repo, "c0", "c1");
    assert_eq!(code, 1, "{v:?}{err}");
    let d = of_rule(&v, "deprecated-api");
    assert_eq!(d.len(), 1, "{v:?}");
    assert_eq!(d[0]["severity"], "error");
    assert_eq!(d[0]["path"], "base/ingress.yaml");
    assert_eq!(d[0]["line"], 1);
    assert!(
        d[0]["message"]
            .as_str()
            .unwrap()
            .contains("removed in Kubernetes 1.22"),
        "{d:?}"
    );
    assert!(d[0]["help"]
        .as_str()
        .unwrap()
        .contains("networking.k8s.io/v1"));
    // No schema for it at 1.37: noted, not failed by schema-validation.
    let s = of_rule(&v, "schema-validation");
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(s[0]["severity"], "note");
}

#[test]
fn a_deprecated_but_served_api_is_a_warning_for_the_configured_version() {
    let fs = "apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: f\nspec:\n  priorityLevelConfiguration:\n    name: global-default\n";
    let repo = TestRepo::build(&[
        &[
            (".manifest-gate.yaml", Some("kubernetes-version: 1.30\n")),
            (
                "base/kustomization.yaml",
                Some("resources: [deployment.yaml]\n"),
            ),
            ("base/deployment.yaml", Some(DEPLOY)),
            (
                "overlays/dev/kustomization.yaml",
                Some("resources: [../../base]\n"),
            ),
        ],
        &[
            (
                "base/kustomization.yaml",
                Some("resources: [deployment.yaml, flow.yaml]\n"),
            ),
            ("base/flow.yaml", Some(fs)),
        ],
    ]);
    let (code, v, err) = check(&repo, "c0", "c1");
    assert_eq!(code, 0, "{v:?}{err}");
    let d = of_rule(&v, "deprecated-api");
    assert_eq!(d.len(), 1, "{v:?}");
    assert_eq!(d[0]["severity"], "warning");
    assert!(d[0]["message"]
        .as_str()
        .unwrap()
        .contains("target version 1.30"));
    assert!(
        of_rule(&v, "schema-validation").is_empty(),
        "1.30 serves v1beta3 and the FlowSchema is valid: {v:?}"
    );
}

#[test]
fn an_unknown_kubernetes_version_is_a_config_error_at_its_line() {
    let repo = TestRepo::build(&[
        &[
            (
                ".manifest-gate.yaml",
                Some("rules:\n  config-edit: warning\nkubernetes-version: \"1.99\"\n"),
            ),
            (
                "base/kustomization.yaml",
                Some("resources: [deployment.yaml]\n"),
            ),
            ("base/deployment.yaml", Some(DEPLOY)),
            (
                "overlays/dev/kustomization.yaml",
                Some("resources: [../../base]\n"),
            ),
        ],
        &[(
            "base/deployment.yaml",
            Some(&DEPLOY.replace("1.27", "1.28")),
        )],
    ]);
    let (code, out, err) = mg(&repo.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(".manifest-gate.yaml:3"), "{err}");
    assert!(err.contains("unknown kubernetes-version '1.99'"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}
