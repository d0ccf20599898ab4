//! Flux topology: which cluster deploys which path, and the render of a
//! deployment as kustomize-controller builds it. Fixture repositories follow
//! fluxcd/flux2-kustomize-helm-example in both its layouts (GitRepository at
//! a484a05, ArtifactGenerator/ExternalArtifact at its head).

mod common;
mod topology_common;

use common::TestRepo;
use manifest_gate::source::GitSource;
use manifest_gate::topology::{discover, render_deployment, Deployment, Topology, TopologyOptions};
use topology_common::{artifact_layout, git_layout};

fn topo(repo: &TestRepo) -> (GitSource, Topology) {
    let src = GitSource::open(&repo.path(), "HEAD").unwrap();
    let t = discover(&src, &TopologyOptions::default()).unwrap();
    (src, t)
}

fn find<'t>(t: &'t Topology, cluster: &str, app: &str) -> &'t Deployment {
    t.deployments
        .iter()
        .find(|d| d.cluster == cluster && d.app == app)
        .unwrap_or_else(|| panic!("no deployment {cluster}/{app} in {:#?}", t.deployments))
}

fn check_example(repo: &TestRepo) {
    let (src, t) = topo(repo);
    let listed: Vec<(String, String, String, Option<String>)> = t
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
        listed,
        vec![
            row("production", "apps", "apps/production", "prod"),
            row(
                "production",
                "infra-configs",
                "infrastructure/configs",
                "prod"
            ),
            row(
                "production",
                "infra-controllers",
                "infrastructure/controllers",
                "prod"
            ),
            row("staging", "apps", "apps/staging", "staging"),
            row(
                "staging",
                "infra-configs",
                "infrastructure/configs",
                "staging"
            ),
            row(
                "staging",
                "infra-controllers",
                "infrastructure/controllers",
                "staging"
            ),
        ]
    );
    // One overlay, two clusters: infrastructure/controllers is in both environments.
    let envs: Vec<_> = t
        .deploying("infrastructure/controllers")
        .filter_map(|d| d.environment.clone())
        .collect();
    assert_eq!(envs, ["prod", "staging"]);

    // The production-only patch in the Flux Kustomization is in production's render,
    // with the Kustomization's line as the provenance of the new value.
    let prod = render_deployment(
        &src,
        find(&t, "production", "infra-configs"),
        &Default::default(),
    )
    .unwrap();
    let issuer = &prod.resources[0].node;
    let server = issuer.get_path(&["spec", "acme", "server"]).unwrap();
    assert_eq!(
        server.as_str(),
        Some("https://acme-v02.api.letsencrypt.org/directory")
    );
    assert_eq!(
        server.pos.file.as_deref(),
        Some("clusters/production/infrastructure.yaml")
    );
    let staging = render_deployment(
        &src,
        find(&t, "staging", "infra-configs"),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(
        staging.resources[0]
            .node
            .str_at(&["spec", "acme", "server"]),
        Some("https://acme-staging-v02.api.letsencrypt.org/directory")
    );
    // The staging values are in the staging apps deployment only.
    let apps = render_deployment(&src, find(&t, "staging", "apps"), &Default::default()).unwrap();
    assert!(apps.to_yaml().contains("podinfo.staging"));
    assert!(apps.inputs.contains("apps/staging/values.yaml"));
    let apps =
        render_deployment(&src, find(&t, "production", "apps"), &Default::default()).unwrap();
    assert!(!apps.inputs.contains("apps/staging/values.yaml"));
}

#[test]
fn git_repository_layout() {
    let repo = git_layout();
    check_example(&repo);
    let (_, t) = topo(&repo);
    let d = find(&t, "production", "infra-controllers");
    assert!(d.reason.contains("flux-system sync"), "{}", d.reason);
    assert_eq!(
        d.controller.at.to_string(),
        "clusters/production/infrastructure.yaml:2"
    );
}

#[test]
fn artifact_generator_layout() {
    let repo = artifact_layout();
    check_example(&repo);
    let (_, t) = topo(&repo);
    let d = find(&t, "staging", "apps");
    assert!(
        d.reason
            .contains("copies '@monorepo/apps/staging/**' to '@artifact/staging/'"),
        "{}",
        d.reason
    );
}

#[test]
fn post_build_substitution_targets_and_generated_kustomization() {
    let repo = TestRepo::build(&[&[
        (
            "clusters/prod-eu/sync.yaml",
            Some(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: web, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./deploy/web
  targetNamespace: web-prod
  namePrefix: eu-
  images:
    - name: web
      newTag: \"2.0\"
  commonMetadata:
    labels: {team: blue}
  postBuild:
    substitute:
      region: eu-west-1
    substituteFrom:
      - kind: ConfigMap
        name: vars
      - kind: Secret
        name: creds
---
apiVersion: v1
kind: ConfigMap
metadata: {name: vars, namespace: flux-system}
data:
  replicas: \"3\"
  region: overridden-by-substitute
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: flux-system}
stringData:
  token: s3cr3t
",
            ),
        ),
        // No kustomization file: Flux generates one from the manifests (and skips non-Kubernetes YAML).
        (
            "deploy/web/deploy.yaml",
            Some(
                "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  template:
    metadata:
      annotations: {region: \"${region}\", token: \"${token}\", n: \"${replicas}\"}
    spec:
      containers: [{name: web, image: web:1.0}]
",
            ),
        ),
        ("deploy/web/values.schema.yaml", Some("type: object\n")),
        (
            "deploy/web/extra/cm.yaml",
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: \"$${literal}\"}\n"),
        ),
    ]]);
    let (src, t) = topo(&repo);
    let d = find(&t, "prod-eu", "web");
    assert_eq!(d.environment.as_deref(), Some("prod"));
    let out = render_deployment(&src, d, &Default::default()).unwrap();
    let y = out.to_yaml();
    assert_eq!(out.resources.len(), 2, "{y}");
    assert!(y.contains("name: eu-web"), "{y}");
    assert!(y.contains("namespace: web-prod"), "{y}");
    assert!(y.contains("image: web:2.0"), "{y}");
    assert!(y.contains("team: blue"), "{y}");
    assert!(y.contains("region: eu-west-1"), "{y}");
    assert!(y.contains("\"n\": \"3\""), "{y}");
    assert!(y.contains("a: ${literal}"), "{y}");
    // Secret values are masked, never shown.
    assert!(!y.contains("s3cr3t"), "{y}");
    assert!(
        y.contains("token: '**SECRET**'") || y.contains("token: \"**SECRET**\""),
        "{y}"
    );
}

#[test]
fn undefined_variable_fails_and_foreign_sources_are_noted() {
    let repo = TestRepo::build(&[&[
        (
            "clusters/dev/app.yaml",
            Some(
                "apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: flux-system}
  path: ./app
  postBuild:
    substitute: {known: x}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: other, namespace: flux-system}
spec:
  sourceRef: {kind: GitRepository, name: other-repo}
  path: ./x
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: other-repo, namespace: flux-system}
spec:
  url: https://github.com/example/elsewhere
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: oci, namespace: flux-system}
spec:
  sourceRef: {kind: OCIRepository, name: manifests}
  path: ./
",
            ),
        ),
        ("app/kustomization.yaml", Some("resources: [cm.yaml]\n")),
        (
            "app/cm.yaml",
            Some(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {v: \"${unknown}\"}\n",
            ),
        ),
    ]]);
    let (src, t) = topo(&repo);
    assert_eq!(t.deployments.len(), 1);
    let e = render_deployment(&src, &t.deployments[0], &Default::default()).unwrap_err();
    assert!(e.to_string().contains("'unknown' is not defined"), "{e}");
    let notes: Vec<String> = t
        .notes
        .iter()
        .map(|n| format!("{}: {}", n.at, n.msg))
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("'flux-system/other'")
            && n.contains("https://github.com/example/elsewhere")),
        "{notes:#?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("OCIRepository")),
        "{notes:#?}"
    );
}

#[test]
fn shared_directory_applied_by_two_clusters_reaches_both() {
    // A child Kustomization declared in a shared directory that both clusters apply.
    let ks = |name: &str, path: &str| {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: {name}, namespace: flux-system}}\nspec:\n  sourceRef: {{kind: GitRepository, name: flux-system}}\n  path: {path}\n"
        )
    };
    let (a, b, c) = (
        ks("tenants", "./tenants"),
        ks("tenants", "./tenants"),
        ks("team-a", "./teams/a"),
    );
    let repo = TestRepo::build(&[&[
        ("clusters/stg/tenants.yaml", Some(a.as_str())),
        ("clusters/prd/tenants.yaml", Some(b.as_str())),
        ("tenants/team-a.yaml", Some(c.as_str())),
        ("teams/a/kustomization.yaml", Some("resources: [cm.yaml]\n")),
        (
            "teams/a/cm.yaml",
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"),
        ),
    ]]);
    let (_, t) = topo(&repo);
    let team: Vec<(&str, Option<&str>)> = t
        .deploying("teams/a")
        .map(|d| (d.cluster.as_str(), d.environment.as_deref()))
        .collect();
    assert_eq!(team, [("prd", Some("prod")), ("stg", Some("staging"))]);
}

#[test]
fn git_repository_of_this_repository_on_another_ref_is_not_this_revision() {
    let ks = |name: &str| {
        format!(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {{name: {name}, namespace: flux-system}}\nspec:\n  sourceRef: {{kind: GitRepository, name: {name}}}\n  path: ./app\n"
        )
    };
    let git = |name: &str, r: &str| {
        format!(
            "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {{name: {name}, namespace: flux-system}}\nspec:\n  url: https://github.com/example/fleet\n  ref: {{{r}}}\n"
        )
    };
    let mut text = String::new();
    for (n, r) in [
        ("on-main", "branch: main"),
        ("on-team", "branch: team"),
        ("on-tag", "tag: v1.0.0"),
    ] {
        text.push_str(&format!("---\n{}---\n{}", ks(n), git(n, r)));
    }
    let repo = TestRepo::build(&[&[
        ("clusters/prod/sync.yaml", Some(text.as_str())),
        ("app/kustomization.yaml", Some("resources: [cm.yaml]\n")),
        (
            "app/cm.yaml",
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        ),
    ]]);
    let src = GitSource::open(&repo.path(), "HEAD").unwrap();
    let opts = TopologyOptions {
        repo_urls: vec!["git@github.com:example/fleet.git".into()],
        ..TopologyOptions::default()
    };
    let t = discover(&src, &opts).unwrap();
    let apps: Vec<&str> = t.deployments.iter().map(|d| d.app.as_str()).collect();
    assert_eq!(apps, ["on-main"]);
    let notes: Vec<&str> = t.notes.iter().map(|n| n.msg.as_str()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("'flux-system/on-team'") && n.contains("branch 'team'")),
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("'flux-system/on-tag'") && n.contains("tag 'v1.0.0'")),
        "{notes:#?}"
    );
}
