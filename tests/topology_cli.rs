//! `manifest-gate overlays` through the binary: the controllers' topology decides
//! environments, path inference (whole words, outermost wins, ambiguity is no
//! guess, bases/components are no environment) only for the rest.

mod common;
mod topology_common;

use common::TestRepo;
use std::process::Command;

fn overlays(repo: &TestRepo, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .arg("overlays")
        .args(extra)
        .arg("--repo")
        .arg(repo.path())
        .output()
        .expect("manifest-gate runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn row<'a>(out: &'a str, overlay: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{overlay} ")))
        .unwrap_or_else(|| panic!("no row for {overlay}:\n{out}"))
}

#[test]
fn flux_topology_decides_environments() {
    for repo in [
        topology_common::git_layout(),
        topology_common::artifact_layout(),
    ] {
        let (code, out, err) = overlays(&repo, &[]);
        assert_eq!(code, 0, "{out}{err}");
        let r = row(&out, "infrastructure/controllers");
        assert!(r.contains("prod, staging"), "{r}");
        assert!(
            r.contains("Flux Kustomization 'flux-system/infra-controllers' (clusters/production/infrastructure.yaml:2) in cluster 'production'"),
            "{r}"
        );
        let r = row(&out, "apps/staging");
        assert!(r.contains(" staging ") && !r.contains("prod"), "{r}");
        // The topology section: cluster -> controller object (file:line) -> path -> environment.
        assert!(out.contains("cluster production\n  Flux Kustomization flux-system/apps (clusters/production/apps.yaml:1)\n    -> apps/production  environment: prod\n"), "{out}");
    }
}

#[test]
fn configured_cluster_names_assign_environments() {
    let mut repo = topology_common::git_layout();
    let cfg = "environments:\n  pre:\n    overlays: [\"nothing/*\"]\n  live:\n    overlays: [\"nothing-either/*\"]\n    after: pre\nclusters:\n  \"stag*\": pre\n  production: live\n";
    repo.commit(&[(".manifest-gate.yaml", Some(cfg))]);
    let (code, out, err) = overlays(&repo, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let r = row(&out, "infrastructure/configs");
    assert!(r.contains("live, pre"), "{r}");
    assert!(
        out.contains("from the configured cluster pattern 'stag*'"),
        "{out}"
    );
    // A cluster assigned to an environment the configuration does not have is refused.
    repo.commit(&[(
        ".manifest-gate.yaml",
        Some("clusters:\n  production: nowhere\n"),
    )]);
    let (code, _, err) = overlays(&repo, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("'nowhere', which is not one of the environments"),
        "{err}"
    );
}

#[test]
fn path_inference_precision() {
    let k = "resources: [cm.yaml]\n";
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    let dirs = [
        "staging/lightwell-dev",
        "apps/web/prod-staging",
        "apps/product-catalog/overlays/eu",
        "components/integration",
        "apps/base/dev-tools",
        "apps/web/overlays/blue-prod",
    ];
    let files: Vec<(String, &str)> = dirs
        .iter()
        .flat_map(|d| {
            [
                (format!("{d}/kustomization.yaml"), k),
                (format!("{d}/cm.yaml"), cm),
            ]
        })
        .collect();
    let commit: Vec<(&str, Option<&str>)> =
        files.iter().map(|(p, t)| (p.as_str(), Some(*t))).collect();
    let repo = TestRepo::build(&[&commit]);
    let (code, out, err) = overlays(&repo, &[]);
    assert_eq!(code, 0, "{out}{err}");
    // The outermost environment word wins: a dev-named staging cluster is staging.
    assert!(
        row(&out, "staging/lightwell-dev").contains(" staging "),
        "{out}"
    );
    // Two environments in one segment: ambiguous, never a guess.
    let r = row(&out, "apps/web/prod-staging");
    assert!(r.contains("(unassigned)") && r.contains("ambiguous"), "{r}");
    // Whole words only: "product" is not "prod".
    assert!(
        row(&out, "apps/product-catalog/overlays/eu").contains("(unassigned)"),
        "{out}"
    );
    // Components and bases are not environments.
    let r = row(&out, "components/integration");
    assert!(
        r.contains("(unassigned)") && r.contains("not deployments"),
        "{r}"
    );
    assert!(
        row(&out, "apps/base/dev-tools").contains("(unassigned)"),
        "{out}"
    );
    assert!(
        row(&out, "apps/web/overlays/blue-prod").contains(" prod "),
        "{out}"
    );
}

#[test]
fn argo_destinations_through_the_checkout_remote() {
    let app = |name: &str, path: &str, dest: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source:\n    repoURL: https://github.com/example/gitops\n    path: {path}\n  destination: {{name: {dest}, namespace: web}}\n"
        )
    };
    let (a, b) = (
        app("web-a", "deploy/a", "dev-eu"),
        app("web-b", "deploy/b", "prd-eu"),
    );
    let repo = TestRepo::build(&[&[
        ("argocd/a.yaml", Some(a.as_str())),
        ("argocd/b.yaml", Some(b.as_str())),
        (
            "deploy/a/kustomization.yaml",
            Some("resources: [../../base]\n"),
        ),
        (
            "deploy/b/kustomization.yaml",
            Some("resources: [../../base]\n"),
        ),
        ("base/kustomization.yaml", Some("resources: [cm.yaml]\n")),
        (
            "base/cm.yaml",
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        ),
    ]]);
    // Without a remote naming the repository, the Applications are not followed.
    let (_, out, _) = overlays(&repo, &[]);
    assert!(row(&out, "deploy/a").contains("(unassigned)"), "{out}");
    assert!(out.contains("not this repository"), "{out}");
    let st = Command::new("git")
        .args([
            "remote",
            "add",
            "origin",
            "git@github.com:example/gitops.git",
        ])
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(st.success());
    let (code, out, err) = overlays(&repo, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(row(&out, "deploy/a").contains(" dev "), "{out}");
    assert!(row(&out, "deploy/b").contains(" prod "), "{out}");
    assert!(out.contains("cluster prd-eu\n  Argo CD Application argocd/web-b (argocd/b.yaml:1)\n    -> deploy/b  environment: prod\n"), "{out}");
}
