//! GitOps controller objects are attacker data too: their paths stay inside the
//! repository, their generators are bounded, and a build the controller could not
//! do either is refused with one line naming the controller object.

use crate::util::*;

const KS: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: app, namespace: flux-system}\nspec:\n  sourceRef: {kind: GitRepository, name: flux-system}\n";

fn flux_repo(spec: &str) -> Repo {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("app/cm.yaml", &cm("a")),
    ]);
    let ks = format!("{KS}{spec}");
    r.files(&[("clusters/prod/app.yaml", &ks), ("app/cm.yaml", &cm("b"))]);
    r
}

fn no_leak(o: &Out) {
    assert!(
        !o.all().contains(OUTSIDE_MARKER),
        "outside content leaked: {o:#?}"
    );
}

#[test]
fn flux_path_outside_the_repository_is_not_followed() {
    let r = flux_repo("  path: ../../outside\n");
    let o = r.run(&["overlays"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("clusters/prod/app.yaml:1: Flux Kustomization 'flux-system/app' not followed: spec.path: path '../../outside'"), "{o:#?}");
    assert!(o.stdout.contains("leaves the repository root"), "{o:#?}");
    no_leak(&o);
    let o = r.run(&["check", "--base", "HEAD~1", "--head", "HEAD"]);
    assert!(!o.stderr.contains("panicked"), "{o:#?}");
    no_leak(&o);
}

#[test]
fn flux_patch_file_outside_the_repository_is_refused() {
    let r = flux_repo("  path: ./app\n  patches:\n    - path: ../../outside/cm.yaml\n");
    let o = r.run(&["check", "--base", "HEAD~1", "--head", "HEAD"]);
    refused(&o, "clusters/prod/app.yaml:8", "leaves the repository root");
    no_leak(&o);
}

#[test]
fn argo_path_outside_the_repository_is_not_followed() {
    let mut r = Repo::new();
    git(
        &r.root(),
        &["remote", "add", "origin", "https://example.com/r.git"],
    );
    let app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x, namespace: argocd}\nspec:\n  source: {repoURL: 'https://example.com/r', path: ../outside}\n  destination: {name: prod}\n";
    r.files(&[("apps/x.yaml", app)]);
    let o = r.run(&["overlays"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("leaves the repository root"), "{o:#?}");
    no_leak(&o);
}

#[test]
fn application_set_products_are_bounded() {
    let mut r = Repo::new();
    git(
        &r.root(),
        &["remote", "add", "origin", "https://example.com/r.git"],
    );
    let elems: String = (0..100)
        .map(|i| format!("          - {{x{i}: '{i}'}}\n"))
        .collect();
    let set = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {{name: bomb, namespace: argocd}}\nspec:\n  generators:\n  - matrix:\n      generators:\n      - list:\n          elements:\n{e}      - list:\n          elements:\n{e}  template:\n    metadata: {{name: 'a'}}\n    spec:\n      source: {{repoURL: 'https://example.com/r', path: app}}\n      destination: {{name: prod}}\n",
        e = elems.replace("          - ", "            - ")
    );
    r.files(&[
        ("apps/set.yaml", &set),
        ("app/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("app/cm.yaml", &cm("a")),
    ]);
    let o = r.run(&["overlays"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(
        o.stdout
            .contains("ApplicationSet 'argocd/bomb' not expanded: more than 5000"),
        "{o:#?}"
    );
    assert!(o.secs < 20.0, "{o:#?}");
}

#[test]
fn bad_substitution_is_one_line_naming_the_file() {
    let mut r = Repo::new();
    let ks = format!("{KS}  path: ./app\n  postBuild:\n    substitute: {{a: b}}\n");
    r.files(&[
        ("clusters/prod/app.yaml", ks.as_str()),
        ("app/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("app/cm.yaml", &cm("a")),
    ]);
    r.files(&[(
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: \"${a\"}\n",
    )]);
    let o = r.run(&["check", "--base", "HEAD~1", "--head", "HEAD"]);
    refused(&o, "app/cm.yaml", "unterminated variable expression");
}
