//! Argo CD topology: Applications and ApplicationSets assign overlays whose
//! directories carry no environment words to the environments of their destinations.

mod common;

use common::TestRepo;
use manifest_gate::source::GitSource;
use manifest_gate::topology::{discover, render_deployment, Topology, TopologyOptions};

const URL: &str = "https://github.com/example/gitops.git";

fn app(name: &str, path: &str, dest: &str, extra: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: git@github.com:example/gitops
    targetRevision: main
    path: {path}
{extra}  destination:
    name: {dest}
    namespace: shop
"
    )
}

const BASE: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      containers:
        - name: shop
          image: registry.example.com/shop:1.0
";

fn repo() -> TestRepo {
    let blue = app("shop-blue", "deploy/blue", "dev-cluster", "");
    let green = app(
        "shop-green",
        "deploy/green",
        "prod-cluster",
        "    kustomize:\n      namePrefix: green-\n      images:\n        - registry.example.com/shop:2.0\n      commonLabels:\n        tier: gold\n",
    );
    let set = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: cart
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - cluster: eu-dev
            overlay: alpha
          - cluster: eu-prd
            overlay: omega
  template:
    metadata:
      name: 'cart-{{cluster}}'
    spec:
      project: default
      source:
        repoURL: https://github.com/example/gitops
        path: 'cart/{{overlay}}'
      destination:
        name: '{{cluster}}'
        namespace: cart
";
    let gotpl = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: tools
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - matrix:
        generators:
          - git:
              repoURL: https://github.com/example/gitops
              revision: HEAD
              directories:
                - path: tools/*
                - path: tools/skip
                  exclude: true
          - list:
              elements:
                - env: development
                - env: production
  template:
    metadata:
      name: '{{.path.basename}}-{{.env}}'
    spec:
      source:
        repoURL: https://github.com/example/gitops
        path: '{{.path.path}}'
      destination:
        server: 'https://{{.env}}.k8s.example.com'
        namespace: tools
";
    let foreign = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ext, namespace: argocd}
spec:
  source: {repoURL: 'https://github.com/other/repo', path: x}
  destination: {name: prod-cluster}
";
    let mut r = TestRepo::build(&[&[
        ("argocd/shop-blue.yaml", Some(blue.as_str())),
        ("argocd/shop-green.yaml", Some(green.as_str())),
        ("argocd/cart.yaml", Some(set)),
        ("argocd/tools.yaml", Some(gotpl)),
        ("argocd/ext.yaml", Some(foreign)),
        (
            "shared/kustomization.yaml",
            Some("resources: [deploy.yaml]\n"),
        ),
        ("shared/deploy.yaml", Some(BASE)),
        (
            "deploy/blue/kustomization.yaml",
            Some("resources: [../../shared]\n"),
        ),
        (
            "deploy/green/kustomization.yaml",
            Some("resources: [../../shared]\n"),
        ),
        (
            "cart/alpha/kustomization.yaml",
            Some("resources: [../../shared]\nnameSuffix: -cart\n"),
        ),
        (
            "cart/omega/kustomization.yaml",
            Some("resources: [../../shared]\nnameSuffix: -cart\n"),
        ),
        (
            "tools/lint/kustomization.yaml",
            Some("resources: [cm.yaml]\n"),
        ),
        (
            "tools/lint/cm.yaml",
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lint}\n"),
        ),
        (
            "tools/skip/cm.yaml",
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: skip}\n"),
        ),
    ]]);
    let _ = &mut r;
    r
}

fn topo(r: &TestRepo) -> (GitSource, Topology) {
    let src = GitSource::open(&r.path(), "HEAD").unwrap();
    let opts = TopologyOptions {
        repo_urls: vec![URL.to_string()],
        ..TopologyOptions::default()
    };
    let t = discover(&src, &opts).unwrap();
    (src, t)
}

#[test]
fn destinations_assign_environments() {
    let r = repo();
    let (_, t) = topo(&r);
    let rows: Vec<(String, String, String, Option<String>)> = t
        .deployments
        .iter()
        .map(|d| {
            (
                d.cluster.clone(),
                d.app.clone(),
                d.path.clone(),
                d.environment.clone(),
            )
        })
        .collect();
    let row = |c: &str, a: &str, p: &str, e: &str| {
        (
            c.to_string(),
            a.to_string(),
            p.to_string(),
            Some(e.to_string()),
        )
    };
    assert_eq!(
        rows,
        vec![
            row("dev-cluster", "shop-blue", "deploy/blue", "dev"),
            row("eu-dev", "cart-eu-dev", "cart/alpha", "dev"),
            row("eu-prd", "cart-eu-prd", "cart/omega", "prod"),
            row(
                "https://development.k8s.example.com",
                "lint-development",
                "tools/lint",
                "dev"
            ),
            row(
                "https://production.k8s.example.com",
                "lint-production",
                "tools/lint",
                "prod"
            ),
            row("prod-cluster", "shop-green", "deploy/green", "prod"),
        ]
    );
    let gen = t
        .deployments
        .iter()
        .find(|d| d.app == "cart-eu-prd")
        .unwrap();
    assert_eq!(gen.controller.at.to_string(), "argocd/cart.yaml:1");
    assert!(
        gen.reason.contains("destination name 'eu-prd'"),
        "{}",
        gen.reason
    );
    assert!(t
        .notes
        .iter()
        .any(|n| n.msg.contains("'argocd/ext'") && n.msg.contains("not this repository")));
}

#[test]
fn kustomize_overrides_render_as_argo_edits_them() {
    let r = repo();
    let (src, t) = topo(&r);
    let green = t
        .deployments
        .iter()
        .find(|d| d.app == "shop-green")
        .unwrap();
    let out = render_deployment(&src, green, &Default::default()).unwrap();
    let d = &out.resources[0].node;
    assert_eq!(d.str_at(&["metadata", "name"]), Some("green-shop"));
    assert_eq!(d.str_at(&["metadata", "labels", "tier"]), Some("gold"));
    let image = d
        .get_path(&["spec", "template", "spec", "containers"])
        .and_then(|c| c.as_seq())
        .and_then(|c| c[0].get("image"))
        .unwrap();
    assert_eq!(image.as_str(), Some("registry.example.com/shop:2.0"));
    // The new tag's provenance is the Application's images line.
    assert_eq!(image.pos.file.as_deref(), Some("argocd/shop-green.yaml"));
    // The dev Application renders the base unchanged.
    let blue = t.deployments.iter().find(|d| d.app == "shop-blue").unwrap();
    let out = render_deployment(&src, blue, &Default::default()).unwrap();
    assert!(out
        .to_yaml()
        .contains("image: registry.example.com/shop:1.0"));
    assert!(out.inputs.contains("shared/deploy.yaml"));
}

#[test]
fn unknown_repository_is_not_followed() {
    let r = repo();
    let src = GitSource::open(&r.path(), "HEAD").unwrap();
    // Without this repository's URL nothing is "this repository".
    let t = discover(&src, &TopologyOptions::default()).unwrap();
    assert!(t.deployments.is_empty(), "{:#?}", t.deployments);
    assert!(t
        .notes
        .iter()
        .any(|n| n.msg.contains("not this repository")));
}
