//! Verdicts precise enough to trust (issue 12, items 5–7), through the binary on
//! small git repositories without a configuration file: environment inference
//! from paths, `promotion-order` per field and per list element against the same
//! app's counterpart, and `unexpected-kind` by whole-word file names.

mod common;

use common::TestRepo;
use serde_json::Value;
use std::process::Command;

/// `check` of the last commit against the one before: (exit code, JSON, text output).
fn check(repo: &TestRepo) -> (i32, Value, String) {
    let n = repo.commits.len();
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
            .args(["check", "--base"])
            .arg(format!("c{}", n - 2))
            .arg("--head")
            .arg(format!("c{}", n - 1))
            .arg("--repo")
            .arg(repo.path())
            .args(extra)
            .output()
            .expect("manifest-gate runs")
    };
    let json = run(&["--format", "json"]);
    let stdout = String::from_utf8_lossy(&json.stdout);
    let v: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&json.stderr)));
    let text = run(&[]);
    let code = json.status.code().unwrap_or(-1);
    assert_eq!(
        text.status.code().unwrap_or(-1),
        code,
        "text and JSON agree"
    );
    (code, v, String::from_utf8_lossy(&text.stdout).to_string())
}

/// The diagnostics of one rule.
fn of_rule<'a>(v: &'a Value, rule: &str) -> Vec<&'a Value> {
    v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == rule)
        .collect()
}

/// Every note of a diagnostic, one per line.
fn notes(d: &Value) -> String {
    d["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

const ROLE: &str = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules: []
";

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: debug-shell
spec:
  selector:
    matchLabels:
      app: debug-shell
  template:
    metadata:
      labels:
        app: debug-shell
    spec:
      containers:
        - name: shell
          image: busybox
";

/// One app with a base and a single (dev) overlay: a change in it touches one environment.
fn one_overlay(resources: &str) -> TestRepo {
    let base = format!("resources:\n{resources}");
    TestRepo::build(&[&[
        ("app/base/kustomization.yaml", Some(base.as_str())),
        ("app/base/role.yaml", Some(ROLE)),
        (
            "app/overlays/dev/kustomization.yaml",
            Some("resources:\n- ../../base\n"),
        ),
    ]])
}

#[test]
fn unexpected_kind_reads_whole_words_of_file_names() {
    let mut repo = one_overlay("- role.yaml\n");
    let crb = "apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: jobs-admin
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: jobs-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: jobs-admin
subjects:
  - kind: Group
    name: jobs
    apiGroup: rbac.authorization.k8s.io
";
    let ingress_nginx = "apiVersion: v1
kind: Namespace
metadata:
  name: ingress-nginx
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: ingress-nginx
  namespace: ingress-nginx
spec:
  url: https://kubernetes.github.io/ingress-nginx
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ingress-nginx
  namespace: ingress-nginx
spec:
  chart:
    spec:
      chart: ingress-nginx
";
    let namespace_ci = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ci
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/other/ci.git
    path: deploy
  destination:
    server: https://kubernetes.default.svc
    namespace: ci
";
    let backstage = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc
spec:
  type: service
";
    let schema = "type: object\nproperties:\n  kind:\n    type: string\n";
    repo.commit(&[
        (
            "app/base/kustomization.yaml",
            Some("resources:\n- role.yaml\n- jobs-admin-crb.yaml\n"),
        ),
        ("app/base/jobs-admin-crb.yaml", Some(crb)),
        ("infra/ingress-nginx.yaml", Some(ingress_nginx)),
        ("argo/namespace-ci.yaml", Some(namespace_ci)),
        ("catalog-info.yaml", Some(backstage)),
        ("app/base/svc.fluxschema.yml", Some(schema)),
    ]);
    let (code, v, out) = check(&repo);
    assert!(of_rule(&v, "unexpected-kind").is_empty(), "{out}");
    assert_eq!(code, 0, "{out}");

    // A Deployment in the binding file is still caught, named by its last word.
    let with_deploy = format!("{crb}---\n{DEPLOYMENT}");
    repo.commit(&[("app/base/jobs-admin-crb.yaml", Some(with_deploy.as_str()))]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    let uk = of_rule(&v, "unexpected-kind");
    assert!(
        uk.iter().any(|d| d["message"]
            .as_str()
            .unwrap()
            .contains("holds a Deployment, but its name says it holds ClusterRoleBinding")),
        "{out}"
    );
}

#[test]
fn a_deployment_appended_to_role_yaml_still_fails() {
    let mut repo = one_overlay("- role.yaml\n");
    let appended = format!("{ROLE}---\n{DEPLOYMENT}");
    repo.commit(&[("app/base/role.yaml", Some(appended.as_str()))]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    let uk = of_rule(&v, "unexpected-kind");
    assert!(!uk.is_empty(), "{out}");
    assert_eq!(uk[0]["path"], "app/base/role.yaml");
    assert_eq!(uk[0]["line"], 8, "the Deployment's kind line: {out}");
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  level: info\n";

/// An overlay of `app/base` setting the ConfigMap's `level`.
fn level_overlay(level: &str) -> String {
    format!("resources:\n- ../../app/base\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: app\n    data:\n      level: {level}\n")
}

fn touched(v: &Value) -> Vec<&str> {
    v["touched_environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect()
}

#[test]
fn the_outermost_environment_word_wins_and_a_tie_is_a_warning_not_a_guess() {
    let info = level_overlay("info");
    let debug = level_overlay("debug");
    let mut repo = TestRepo::build(&[&[
        (
            "app/base/kustomization.yaml",
            Some("resources:\n- cm.yaml\n"),
        ),
        ("app/base/cm.yaml", Some(CM)),
        // A staging cluster named lightwell-dev: staging, not dev.
        (
            "staging/lightwell-dev/kustomization.yaml",
            Some(info.as_str()),
        ),
        ("dev/web/kustomization.yaml", Some(info.as_str())),
        (
            "shared/prod-staging/kustomization.yaml",
            Some(info.as_str()),
        ),
    ]]);
    repo.commit(&[(
        "staging/lightwell-dev/kustomization.yaml",
        Some(debug.as_str()),
    )]);
    let (_, v, out) = check(&repo);
    assert_eq!(touched(&v), ["staging"], "{out}");
    assert!(of_rule(&v, "single-environment").is_empty(), "{out}");

    // Two environment words in one segment: a warning naming both, no environment.
    repo.commit(&[(
        "shared/prod-staging/kustomization.yaml",
        Some(debug.as_str()),
    )]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 0, "a warning does not fail: {out}");
    assert!(touched(&v).is_empty(), "never guessed: {out}");
    let w = of_rule(&v, "unassigned-change");
    assert_eq!(w.len(), 1, "{out}");
    assert_eq!(w[0]["severity"], "warning");
    let msg = w[0]["message"].as_str().unwrap();
    assert!(msg.contains("environment is ambiguous"), "{msg}");
    assert!(
        msg.contains("'prod' (prod) and 'staging' (staging)"),
        "names the conflicting words: {msg}"
    );
    assert!(
        out.contains("'prod' (prod) and 'staging' (staging)"),
        "{out}"
    );
}

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: web:1
          args: [--log=info]
";

/// An overlay of `web/base` whose container runs with `args`.
fn args_overlay(args: &[&str]) -> String {
    let list: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "resources:\n- ../base\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            args: [{}]\n",
        list.join(", ")
    )
}

#[test]
fn promotion_order_compares_scalar_lists_as_multisets() {
    let staging = args_overlay(&["--env=staging"]);
    let prod = args_overlay(&["--env=prod"]);
    let mut repo = TestRepo::build(&[&[
        (
            "web/base/kustomization.yaml",
            Some("resources:\n- deploy.yaml\n"),
        ),
        ("web/base/deploy.yaml", Some(WEB)),
        ("web/staging/kustomization.yaml", Some(staging.as_str())),
        ("web/prod/kustomization.yaml", Some(prod.as_str())),
    ]]);
    // prod first: staging's list does not have the new element.
    let prod_new = args_overlay(&["--env=prod", "--new-flag"]);
    repo.commit(&[("web/prod/kustomization.yaml", Some(prod_new.as_str()))]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    let po = of_rule(&v, "promotion-order");
    assert_eq!(po.len(), 1, "{out}");
    assert!(
        notes(po[0])
            .contains(r#"args: element "--new-flag" is added here but absent from web/staging"#),
        "{out}"
    );
    insta::assert_snapshot!("promotion_list_element_missing", out);

    // staging first (its own entry stays), then prod: each step passes.
    let mut repo = TestRepo::build(&[&[
        (
            "web/base/kustomization.yaml",
            Some("resources:\n- deploy.yaml\n"),
        ),
        ("web/base/deploy.yaml", Some(WEB)),
        ("web/staging/kustomization.yaml", Some(staging.as_str())),
        ("web/prod/kustomization.yaml", Some(prod.as_str())),
    ]]);
    let staging_new = args_overlay(&["--new-flag", "--env=staging"]);
    repo.commit(&[("web/staging/kustomization.yaml", Some(staging_new.as_str()))]);
    repo.commit(&[("web/prod/kustomization.yaml", Some(prod_new.as_str()))]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 0, "{out}");
    assert!(of_rule(&v, "promotion-order").is_empty(), "{out}");

    // Removing an element staging still has fails, naming it.
    repo.commit(&[("web/prod/kustomization.yaml", Some(prod.as_str()))]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    assert!(
        notes(of_rule(&v, "promotion-order")[0])
            .contains(r#"element "--new-flag" is removed here but still in web/staging"#),
        "{out}"
    );
}

/// A base ConfigMap `name` and an overlay of it at `level`, for app `app`.
fn app_files(app: &str, envs: &[(&str, &str)]) -> Vec<(String, String)> {
    let cm = CM.replace("name: app", &format!("name: {app}"));
    let mut out = vec![
        (
            format!("{app}/base/kustomization.yaml"),
            "resources:\n- cm.yaml\n".to_string(),
        ),
        (format!("{app}/base/cm.yaml"), cm),
    ];
    for (dir, level) in envs {
        out.push((
            format!("{app}/{dir}/kustomization.yaml"),
            format!("resources:\n- ../base\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: {app}\n    data:\n      level: {level}\n"),
        ));
    }
    out
}

fn build(files: &[(String, String)]) -> TestRepo {
    let c: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), Some(t.as_str())))
        .collect();
    TestRepo::build(&[&c])
}

/// Commit one changed file of `app_files`.
fn change(repo: &mut TestRepo, files: &[(String, String)], path: &str) {
    let (_, t) = files.iter().find(|(p, _)| p == path).unwrap();
    repo.commit(&[(path, Some(t.as_str()))]);
}

#[test]
fn promotion_order_compares_with_the_same_app_only() {
    let at_base: Vec<(String, String)> = [
        // An unrelated app with a staging overlay that never shows other apps' changes.
        app_files("shop", &[("staging", "info"), ("prod", "info")]),
        // No staging overlay: dev is the nearest earlier one of this app.
        app_files("cart", &[("dev", "info"), ("prod", "info")]),
        // No earlier overlay of this app at all.
        app_files("billing", &[("prod", "info")]),
        // The staging overlay's path differs, but it renders the same base.
        app_files("web", &[("staging-eu", "debug"), ("prod", "info")]),
    ]
    .concat();
    let debug = |app: &str, env: &str| app_files(app, &[(env, "debug")]);

    // billing: no counterpart anywhere is a note, not a failure.
    let mut repo = build(&at_base);
    change(
        &mut repo,
        &debug("billing", "prod"),
        "billing/prod/kustomization.yaml",
    );
    let (code, v, out) = check(&repo);
    assert_eq!(code, 0, "{out}");
    let po = of_rule(&v, "promotion-order");
    assert_eq!(po.len(), 1, "{out}");
    assert_eq!(po[0]["severity"], "note", "{out}");
    assert!(
        po[0]["message"]
            .as_str()
            .unwrap()
            .contains("no earlier environment"),
        "{out}"
    );
    assert!(notes(po[0]).contains("billing/prod"), "{out}");
    assert!(
        !out.contains("shop/staging"),
        "never an unrelated app: {out}"
    );
    insta::assert_snapshot!("promotion_note_for_a_new_app", out);

    // web: the staging overlay of the same base shows the change already.
    let mut repo = build(&at_base);
    change(
        &mut repo,
        &debug("web", "prod"),
        "web/prod/kustomization.yaml",
    );
    let (code, v, out) = check(&repo);
    assert_eq!(code, 0, "{out}");
    assert!(of_rule(&v, "promotion-order").is_empty(), "{out}");

    // cart: compared with its dev overlay, further back in the chain.
    let mut repo = build(&at_base);
    change(
        &mut repo,
        &debug("cart", "prod"),
        "cart/prod/kustomization.yaml",
    );
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    let po = of_rule(&v, "promotion-order");
    assert!(
        po[0]["message"]
            .as_str()
            .unwrap()
            .contains("prod is changed before dev"),
        "{out}"
    );
    let n = notes(po[0]);
    assert!(n.contains("compared with cart/dev"), "{out}");
    assert!(n.contains("staging has no overlay of this app"), "{out}");
    assert!(!out.contains("shop/staging"), "{out}");
}

#[test]
fn promotion_order_says_when_the_previous_environment_changes_in_the_same_pull_request() {
    let files = app_files("shop", &[("staging", "info"), ("prod", "info")]);
    let mut repo = build(&files);
    let both = app_files("shop", &[("staging", "debug"), ("prod", "debug")]);
    let c: Vec<(&str, Option<&str>)> = both[2..]
        .iter()
        .map(|(p, t)| (p.as_str(), Some(t.as_str())))
        .collect();
    repo.commit(&c);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "still an error: {out}");
    let po = of_rule(&v, "promotion-order");
    assert_eq!(po.len(), 1, "{out}");
    assert!(
        notes(po[0])
            .contains("staging gets this change in the same pull request; promote it there first"),
        "{out}"
    );

    // The app's staging overlay is new in the same pull request: not a preceding change either.
    let at_base = [
        app_files("shop", &[("staging", "info"), ("prod", "info")]),
        app_files("billing", &[("prod", "info")]),
    ]
    .concat();
    let mut repo = build(&at_base);
    let head = app_files("billing", &[("staging", "debug"), ("prod", "debug")]);
    let c: Vec<(&str, Option<&str>)> = head[2..]
        .iter()
        .map(|(p, t)| (p.as_str(), Some(t.as_str())))
        .collect();
    repo.commit(&c);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    let po = of_rule(&v, "promotion-order");
    assert_eq!(po.len(), 1, "{out}");
    assert_eq!(po[0]["severity"], "error", "{out}");
    let n = notes(po[0]);
    assert!(
        n.contains("billing/staging does not exist at base"),
        "{out}"
    );
    assert!(
        n.contains("staging gets this change in the same pull request"),
        "{out}"
    );
}

/// An Argo CD Application of this repository.
fn application(name: &str, path: &str, dest: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source:\n    repoURL: https://github.com/example/shop.git\n    path: {path}\n  destination: {{name: {dest}, namespace: shop}}\n"
    )
}

fn image_deploy(name: &str, image: &str) -> String {
    format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  template:\n    spec:\n      containers: [{{name: {name}, image: '{image}'}}]\n")
}

/// Applications whose directories share no words or files: `shop-staging` and
/// `shop-prod` are one app by their names; `api-staging` is another app.
fn argo_apps(staging_image: &str) -> TestRepo {
    let files = [
        (
            "argocd/shop-staging.yaml",
            application("shop-staging", "deploy/blue", "stg-1"),
        ),
        (
            "argocd/shop-prod.yaml",
            application("shop-prod", "deploy/green", "prd-1"),
        ),
        (
            "argocd/api-staging.yaml",
            application("api-staging", "api/x", "stg-1"),
        ),
        (
            "deploy/blue/kustomization.yaml",
            "resources: [deploy.yaml]\n".into(),
        ),
        (
            "deploy/blue/deploy.yaml",
            image_deploy("shop", staging_image),
        ),
        (
            "deploy/green/kustomization.yaml",
            "resources: [deploy.yaml]\n".into(),
        ),
        ("deploy/green/deploy.yaml", image_deploy("shop", "shop:1")),
        (
            "api/x/kustomization.yaml",
            "resources: [deploy.yaml]\n".into(),
        ),
        ("api/x/deploy.yaml", image_deploy("shop", "shop:1")),
    ];
    let c: Vec<(&str, Option<&str>)> = files.iter().map(|(p, t)| (*p, Some(t.as_str()))).collect();
    let repo = TestRepo::build(&[&c]);
    let st = Command::new("git")
        .args(["remote", "add", "origin", "https://github.com/example/shop"])
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(st.success());
    repo
}

#[test]
fn promotion_order_pairs_deployments_by_controller_name_modulo_environment_words() {
    let prod_new = image_deploy("shop", "shop:2");
    // staging's shop (deploy/blue) runs shop:2 already: prod may follow.
    let mut repo = argo_apps("shop:2");
    repo.commit(&[("deploy/green/deploy.yaml", Some(prod_new.as_str()))]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 0, "{out}");
    assert!(of_rule(&v, "promotion-order").is_empty(), "{out}");

    // It does not: compared with shop-staging's unit, never api-staging's.
    let mut repo = argo_apps("shop:1");
    repo.commit(&[("deploy/green/deploy.yaml", Some(prod_new.as_str()))]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    let n = notes(of_rule(&v, "promotion-order")[0]);
    assert!(n.contains("compared with deploy/blue @ stg-1"), "{out}");
    assert!(!out.contains("api/x"), "{out}");
}

#[test]
fn argo_destination_namespace_applies_to_resources_without_one() {
    let mut repo = argo_apps("shop:1");
    let prod_new = image_deploy("shop", "shop:2");
    let cr = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: shop-reader}\nrules: []\n";
    repo.commit(&[
        ("deploy/green/deploy.yaml", Some(prod_new.as_str())),
        ("deploy/green/cr.yaml", Some(cr)),
        (
            "deploy/green/kustomization.yaml",
            Some("resources: [deploy.yaml, cr.yaml]\n"),
        ),
    ]);
    let (_, v, out) = check(&repo);
    let unit = v["diff"]["overlays"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["path"] == "deploy/green @ prd-1")
        .unwrap_or_else(|| panic!("{out}"));
    let of_kind = |k: &str| {
        unit["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == k)
            .unwrap_or_else(|| panic!("{unit:#}"))
    };
    let deploy = of_kind("Deployment");
    assert_eq!(
        deploy["namespace"], "shop",
        "the destination namespace: {unit:#}"
    );
    // Cluster-scoped kinds get none.
    assert_eq!(of_kind("ClusterRole")["namespace"], "", "{unit:#}");
}

#[test]
fn configuration_files_are_not_kubernetes_objects() {
    // A kustomization file becoming a Component, the flux CLI's schema configuration
    // gaining its kind: no new kind in an existing file.
    let mut repo = one_overlay("- role.yaml\n");
    let k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n";
    repo.commit(&[
        ("app/components/extra/kustomization.yml", Some(k)),
        (
            ".fluxschema.yml",
            Some("validate:\n  skipMissingSchemas: true\n"),
        ),
    ]);
    let c = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: []\n";
    let schema = "apiVersion: schema.plugin.fluxcd.io/v1beta1\nkind: Config\nvalidate:\n  skipMissingSchemas: true\n";
    repo.commit(&[
        ("app/components/extra/kustomization.yml", Some(c)),
        (".fluxschema.yml", Some(schema)),
    ]);
    let (code, v, out) = check(&repo);
    assert!(of_rule(&v, "unexpected-kind").is_empty(), "{out}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_delivery_file_may_swap_its_source_but_not_gain_a_binding() {
    let helm = "apiVersion: v1\nkind: Namespace\nmetadata: {name: cert-manager}\n---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: cert-manager, namespace: cert-manager}\nspec: {url: https://charts.jetstack.io}\n";
    let mut repo = one_overlay("- role.yaml\n");
    repo.commit(&[("infra/cert-manager.yaml", Some(helm))]);
    let oci = helm.replace(
        "kind: HelmRepository\nmetadata: {name: cert-manager, namespace: cert-manager}\nspec: {url: https://charts.jetstack.io}",
        "kind: OCIRepository\nmetadata: {name: cert-manager, namespace: cert-manager}\nspec: {url: oci://quay.io/jetstack/charts/cert-manager}",
    );
    repo.commit(&[("infra/cert-manager.yaml", Some(oci.as_str()))]);
    let (code, v, out) = check(&repo);
    assert!(of_rule(&v, "unexpected-kind").is_empty(), "{out}");
    assert_eq!(code, 0, "{out}");
    // A binding appended to it is still a new kind in an existing file.
    let crb = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n";
    let more = format!("{oci}---\n{crb}");
    repo.commit(&[("infra/cert-manager.yaml", Some(more.as_str()))]);
    let (code, v, out) = check(&repo);
    assert_eq!(code, 1, "{out}");
    let uk = of_rule(&v, "unexpected-kind");
    assert!(
        uk[0]["message"]
            .as_str()
            .unwrap()
            .contains("now holds a ClusterRoleBinding"),
        "{out}"
    );
}
