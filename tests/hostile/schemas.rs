//! Schemas: pathological CRD schemas in the pull request. `schema-validation`
//! compiles them only within a budget (nodes, depth, pattern size, no `$ref`),
//! runs `pattern` on a linear-time engine, and exits 2 naming the CRD's file
//! when a budget is exceeded or the schema does not compile.

use crate::util::*;

fn crd(schema_spec: &str) -> String {
    format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ws.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {{kind: W, plural: ws}}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n{schema_spec}"
    )
}

fn cr(spec: &str) -> String {
    format!("apiVersion: example.com/v1\nkind: W\nmetadata:\n  name: w\nspec:\n{spec}")
}

/// Base: an overlay with a ConfigMap; head: the CRD and a custom resource added.
fn pr(crd_text: &str, cr_text: &str) -> Repo {
    let mut r = Repo::new();
    r.files(&[
        ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("base/cm.yaml", &cm("c")),
        (
            "overlays/dev/kustomization.yaml",
            "resources: [../../base]\n",
        ),
    ]);
    r.files(&[
        (
            "base/kustomization.yaml",
            "resources: [cm.yaml, crd.yaml, w.yaml]\n",
        ),
        ("base/crd.yaml", crd_text),
        ("base/w.yaml", cr_text),
    ]);
    r
}

fn check(r: &Repo) -> Out {
    let base = r.commits[0].clone();
    let head = r.commits[1].clone();
    r.run(&["check", "--base", &base, "--head", &head])
}

/// `levels` nested object schemas at `indent`, a string at the bottom.
fn nested(levels: usize, indent: usize) -> String {
    let pad = " ".repeat(indent);
    if levels == 0 {
        return format!("{pad}type: string\n");
    }
    format!(
        "{pad}type: object\n{pad}properties:\n{pad}  x:\n{}",
        nested(levels - 1, indent + 4)
    )
}

#[test]
fn a_deeply_nested_crd_schema_is_refused_naming_the_crd() {
    let o = check(&pr(&crd(&nested(45, 12)), &cr("  x: {}\n")));
    refused(&o, "base/crd.yaml", "nests deeper than 64 levels");
}

#[test]
fn a_huge_crd_schema_is_refused_within_bounded_time() {
    let mut s = String::from("            type: object\n            properties:\n");
    for i in 0..110_000 {
        s.push_str(&format!("              f{i}: {{type: string}}\n"));
    }
    let o = check(&pr(&crd(&s), &cr("  f1: a\n")));
    eprintln!("huge schema ({} bytes): {:.2} s", s.len(), o.secs);
    refused(&o, "base/crd.yaml", "more than 200000 nodes");
    assert!(o.secs < 60.0, "{} s", o.secs);
}

#[test]
fn a_catastrophic_backtracking_pattern_runs_in_linear_time() {
    let s = "            type: object\n            properties:\n              s: {type: string, pattern: '^(a+)+$'}\n              t: {type: string, pattern: '^(a|aa)*$'}\n";
    let evil = "a".repeat(50_000) + "!";
    let o = check(&pr(&crd(s), &cr(&format!("  s: {evil}\n  t: {evil}\n"))));
    eprintln!("catastrophic patterns on 50 KB strings: {:.2} s", o.secs);
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(
        o.stdout
            .contains("spec.s: value does not match the schema's pattern"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("spec.t: value does not match"),
        "{}",
        o.stdout
    );
    assert!(!o.stdout.contains(&evil[..100]), "the value is not echoed");
    assert!(o.secs < 20.0, "{} s", o.secs);
}

#[test]
fn a_pattern_the_api_server_could_not_compile_is_refused_naming_the_crd() {
    // RE2 (the API server) has no look-around; neither has the engine used here.
    let s = "            type: object\n            properties:\n              s: {type: string, pattern: '^(?!admin).*$'}\n";
    let o = check(&pr(&crd(s), &cr("  s: x\n")));
    refused(&o, "base/crd.yaml", "does not compile");
}

#[test]
fn a_ref_in_a_crd_schema_is_refused() {
    let s = "            $ref: '#/properties/spec'\n";
    let o = check(&pr(&crd(s), &cr("  s: x\n")));
    refused(&o, "base/crd.yaml", "uses $ref");
}

#[test]
fn a_hostile_field_name_reaches_the_output_inert() {
    let s = "            type: object\n            properties:\n              s: {type: string}\n";
    let o = check(&pr(&crd(s), &cr("  \"\\e[2J\\e]8;;http://x\\a<b>x\": 1\n")));
    assert_eq!(o.code, 1, "{}", o.all());
    assert!(o.stdout.contains("unknown field"), "{}", o.stdout);
    assert!(
        !o.stdout.contains('\u{1b}') && !o.stdout.contains('\u{7}'),
        "{:?}",
        o.stdout
    );
}
