//! `manifest-gate check` on GitOps repositories, through the binary: the unit
//! judged is the deployment (cluster, controller object, directory), rendered as
//! the controller renders it, in the environment of its cluster or destination.

mod common;
mod topology_common;

use common::TestRepo;
use serde_json::Value;
use std::process::Command;

fn check(repo: &TestRepo) -> (i32, Value) {
    let n = repo.commits.len();
    let out = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["check", "--format", "json", "--base"])
        .arg(format!("c{}", n - 2))
        .arg("--head")
        .arg(format!("c{}", n - 1))
        .arg("--repo")
        .arg(repo.path())
        .output()
        .expect("manifest-gate runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    let code = out.status.code().unwrap_or(-1);
    // Sharded across a CI matrix, the same verdict (issue 15).
    let (b, h) = (format!("c{}", n - 2), format!("c{}", n - 1));
    assert_eq!(common::assert_shards_agree(&repo.path(), &b, &h, &[]), code);
    (code, v)
}

fn touched(v: &Value) -> Vec<String> {
    v["touched_environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect()
}

fn rules(v: &Value) -> Vec<String> {
    v["violations"]
        .as_array()
        .unwrap()
        .iter()
        // Not the subject here: schema-validation's "not validated" notes on the
        // controllers' kinds (HelmRelease, …), whose CRDs these fixtures do not hold.
        .filter(|d| !(d["rule"] == "schema-validation" && d["severity"] == "note"))
        .map(|d| d["rule"].as_str().unwrap().to_string())
        .collect()
}

/// Changed units: (path, environment).
fn changed_units(v: &Value) -> Vec<(String, String)> {
    v["diff"]["overlays"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| !o["changes"].as_array().unwrap().is_empty())
        .map(|o| {
            (
                o["path"].as_str().unwrap().to_string(),
                o["environment"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn edit(repo: &mut TestRepo, path: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(repo.path().join(path)).unwrap();
    assert!(text.contains(from), "{path} has no '{from}'");
    let new = text.replace(from, to);
    repo.commit(&[(path, Some(new.as_str()))]);
}

#[test]
fn flux_example_acceptance() {
    for layout in [
        topology_common::git_layout,
        topology_common::artifact_layout,
    ] {
        // A chart bump under infrastructure/controllers reaches staging and production.
        let mut repo = layout();
        edit(
            &mut repo,
            "infrastructure/controllers/cert-manager.yaml",
            "version: 1.x",
            "version: 1.17.x",
        );
        let (code, v) = check(&repo);
        assert_eq!(code, 1, "{v:#}");
        assert_eq!(touched(&v), ["staging", "prod"], "{v:#}");
        assert!(
            rules(&v).contains(&"single-environment".to_string()),
            "{v:#}"
        );
        assert_eq!(
            changed_units(&v),
            [
                (
                    "infrastructure/controllers @ production".to_string(),
                    "prod".to_string()
                ),
                (
                    "infrastructure/controllers @ staging".to_string(),
                    "staging".to_string()
                ),
            ]
        );

        // The ACME server patch inside the production Flux Kustomization: production only,
        // the ClusterIssuer's field attributed to the Kustomization's line.
        let mut repo = layout();
        edit(
            &mut repo,
            "clusters/production/infrastructure.yaml",
            "https://acme-v02.api.letsencrypt.org/directory",
            "https://acme.example.org/directory",
        );
        let (_, v) = check(&repo);
        assert_eq!(touched(&v), ["prod"], "{v:#}");
        assert!(
            !rules(&v).contains(&"single-environment".to_string()),
            "{v:#}"
        );
        let unit = v["diff"]["overlays"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["path"] == "infrastructure/configs @ production")
            .unwrap();
        let change = &unit["changes"][0];
        assert_eq!(change["kind"], "ClusterIssuer");
        assert_eq!(change["fields"][0]["path"], "spec.acme.server");
        assert_eq!(
            change["fields"][0]["new"],
            "https://acme.example.org/directory"
        );
        assert_eq!(
            change["fields"][0]["source"]["path"],
            "clusters/production/infrastructure.yaml"
        );
        assert_eq!(
            unit["deployment"]["controller"],
            "Flux Kustomization flux-system/infra-configs"
        );

        // A staging values change touches staging only.
        let mut repo = layout();
        edit(
            &mut repo,
            "apps/staging/values.yaml",
            "podinfo.staging",
            "podinfo2.staging",
        );
        let (code, v) = check(&repo);
        assert_eq!(touched(&v), ["staging"], "{v:#}");
        assert_eq!(code, 0, "{v:#}");
    }
}

fn argo_repo() -> TestRepo {
    let app = |name: &str, path: &str, dest: &str, extra: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source:\n    repoURL: https://github.com/example/shop.git\n    path: {path}\n{extra}  destination: {{name: {dest}, namespace: shop}}\n"
        )
    };
    let blue = app("shop-blue", "deploy/blue", "dev-1", "");
    let green = app(
        "shop-green",
        "deploy/green",
        "prd-1",
        "    kustomize:\n      images:\n        - registry.example.com/shop:1.0\n",
    );
    let set = "apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: cart, namespace: argocd}
spec:
  generators:
    - list:
        elements:
          - {cluster: dev-1, overlay: alpha}
          - {cluster: prd-1, overlay: omega}
  template:
    metadata: {name: 'cart-{{cluster}}'}
    spec:
      source: {repoURL: 'https://github.com/example/shop', path: 'cart/{{overlay}}'}
      destination: {name: '{{cluster}}', namespace: cart}
";
    let base = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers: [{name: shop, image: registry.example.com/shop:1.0}]\n";
    let repo = TestRepo::build(&[&[
        ("argocd/blue.yaml", Some(blue.as_str())),
        ("argocd/green.yaml", Some(green.as_str())),
        ("argocd/cart.yaml", Some(set)),
        (
            "shared/kustomization.yaml",
            Some("resources: [deploy.yaml]\n"),
        ),
        ("shared/deploy.yaml", Some(base)),
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
    ]]);
    let st = Command::new("git")
        .args(["remote", "add", "origin", "https://github.com/example/shop"])
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(st.success());
    repo
}

#[test]
fn argo_acceptance() {
    // A shared-base change reaches dev and prod through Applications and the ApplicationSet.
    let mut repo = argo_repo();
    edit(
        &mut repo,
        "shared/deploy.yaml",
        "replicas: 1",
        "replicas: 2",
    );
    let (code, v) = check(&repo);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(touched(&v), ["dev", "prod"], "{v:#}");
    assert!(
        rules(&v).contains(&"single-environment".to_string()),
        "{v:#}"
    );
    assert_eq!(
        changed_units(&v),
        [
            ("cart/alpha @ dev-1".to_string(), "dev".to_string()),
            ("cart/omega @ prd-1".to_string(), "prod".to_string()),
            ("deploy/blue @ dev-1".to_string(), "dev".to_string()),
            ("deploy/green @ prd-1".to_string(), "prod".to_string()),
        ]
    );

    // An images override in the prod Application: a prod change showing the new image.
    let mut repo = argo_repo();
    edit(
        &mut repo,
        "argocd/green.yaml",
        "registry.example.com/shop:1.0",
        "registry.example.com/shop:2.0",
    );
    let (_, v) = check(&repo);
    assert_eq!(touched(&v), ["prod"], "{v:#}");
    assert_eq!(
        changed_units(&v),
        [("deploy/green @ prd-1".to_string(), "prod".to_string())]
    );
    let unit = &v["diff"]["overlays"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["path"] == "deploy/green @ prd-1")
        .unwrap()["changes"][0];
    let field = &unit["fields"][0];
    assert_eq!(field["new"], "registry.example.com/shop:2.0", "{unit:#}");
    assert_eq!(field["source"]["path"], "argocd/green.yaml", "{unit:#}");
}

/// A deployment that does not render (a missing file) is that deployment's
/// outcome: a change elsewhere is decided with it noted, a change it reaches
/// is "could not decide" naming it.
#[test]
fn unrenderable_deployment_is_isolated() {
    let mut repo = topology_common::git_layout();
    // Staging's controller substitutes variables: its deployment is rendered on
    // its own (not the overlay's diff reused).
    edit(
        &mut repo,
        "clusters/staging/apps.yaml",
        "  prune: true\n",
        "  prune: true\n  postBuild:\n    substitute: {cluster: staging}\n",
    );
    edit(
        &mut repo,
        "apps/staging/kustomization.yaml",
        "resources: [../base/podinfo]",
        "resources: [../base/podinfo, missing.yaml]",
    );
    edit(
        &mut repo,
        "apps/production/values.yaml",
        "podinfo.production",
        "podinfo.prod.example",
    );
    let (code, v) = check(&repo);
    // Decided: prod-only, judged by promotion-order (staging never showed it).
    assert_eq!(code, 1, "{v:#}");
    // `--full` renders more, but the change still does not reach staging: the same verdict.
    let n = repo.commits.len();
    let full = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["check", "--full", "--format", "json", "--base"])
        .args([
            format!("c{}", n - 2),
            "--head".into(),
            format!("c{}", n - 1),
        ])
        .arg("--repo")
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        full.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    assert_eq!(touched(&v), ["prod"], "{v:#}");
    assert_eq!(rules(&v), ["promotion-order"], "{v:#}");
    let staging = v["diff"]["overlays"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["path"] == "apps/staging @ staging")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(staging["status"], "unrenderable", "{staging:#}");
    assert_eq!(staging["unrenderable"]["reached"], false, "{staging:#}");
    assert!(
        staging["unrenderable"]["cause"]
            .as_str()
            .unwrap()
            .contains("missing.yaml"),
        "{staging:#}"
    );

    edit(
        &mut repo,
        "apps/staging/values.yaml",
        "podinfo.staging",
        "podinfo.stg.example",
    );
    let n = repo.commits.len();
    let out = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["check", "--base"])
        .arg(format!("c{}", n - 2))
        .arg("--head")
        .arg(format!("c{}", n - 1))
        .arg("--repo")
        .arg(repo.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("apps/staging @ staging"), "{err}");
}
