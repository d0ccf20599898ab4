//! Unit tests of the gate configuration parser (`config.rs`).
use super::*;

const SAMPLE: &str = r#"environments:            # in promotion order
  sandbox: { overlays: ["services/*/overlays/sandbox"] }
  dev:     { overlays: ["services/*/overlays/*-dev"] }
  test:    { overlays: ["services/*/overlays/*-test"], after: dev }
  preprod: { overlays: ["services/*/overlays/*-preprod"], after: test }
  prod:    { overlays: ["services/*/overlays/*-prod"], after: preprod }
rules:
  single-environment: error
  unexpected-kind: error
  promotion-order: error
kinds:
  "**/rbac/*.yaml": [Role, RoleBinding, ClusterRole, ClusterRoleBinding, ServiceAccount]
"#;

#[test]
fn parses_exclude() {
    let c = Config::parse("exclude: [templates, \"test/*/data\"]\n", "c.yaml").unwrap();
    assert_eq!(c.exclude.len(), 2);
    let m = c.exclude_matcher.as_ref().unwrap();
    assert!(m.is_match("templates"));
    assert!(m.is_match("test/a/data"));
    assert!(!m.is_match("test/a/b/data"));
    assert!(err("exclude: [\"x/{a\"]\n").starts_with("c.yaml:1: bad glob"));
    assert!(err("exclude: {a: 1}\n").contains("'exclude' must be a list of strings"));
}

#[test]
fn parses_sample() {
    let c = Config::parse(SAMPLE, ".manifest-gate.yaml").unwrap();
    assert_eq!(c.environments.len(), 5);
    assert_eq!(c.env("prod").unwrap().after.as_deref(), Some("preprod"));
    assert_eq!(
        c.assign("services/app/overlays/blue-prod").env.as_deref(),
        Some("prod")
    );
    assert_eq!(
        c.assign("services/app/overlays/blue-preprod")
            .env
            .as_deref(),
        Some("preprod")
    );
    assert_eq!(
        c.assign("services/app/overlays/sandbox").env.as_deref(),
        Some("sandbox")
    );
    assert_eq!(c.assign("services/app/overlays/other").env, None);
    assert!(c.kinds[0]
        .matcher
        .is_match("services/app/base/rbac/role.yaml"));
    let a = c.assign("services/app/overlays/blue-prod");
    let b = c.assign("services/app/overlays/blue-preprod");
    assert_eq!(
        cluster_key("services/app/overlays/blue-prod", &a),
        cluster_key("services/app/overlays/blue-preprod", &b)
    );
}

fn err(text: &str) -> String {
    Config::parse(text, "c.yaml").unwrap_err().to_string()
}

#[test]
fn errors_point_at_lines() {
    assert_eq!(err("rules:\n  single-environment: fatal\n"), "c.yaml:2: bad severity 'fatal' for rule 'single-environment' (expected error, warning or off)");
    assert_eq!(
        err("rules:\n  nope: error\n"),
        format!(
            "c.yaml:2: unknown rule 'nope' (rules: {})",
            super::super::rules::ids().join(", ")
        )
    );
    assert!(err("foo: 1\n")
            .starts_with("c.yaml:1: unknown key 'foo' in the gate configuration (expected environments, rules, kinds, exclude, remote, clusters, repositories, kubernetes-version, packs, ignore or policies)"));
    assert_eq!(
        err("kubernetes-version: 1.3\n"),
        "c.yaml:1: unknown kubernetes-version '1.3' (schemas are embedded for 1.25 to 1.37)"
    );
    assert_eq!(
        Config::parse("kubernetes-version: 1.30\n", "c.yaml")
            .unwrap()
            .kubernetes_version,
        "1.30"
    );
    assert_eq!(
        Config::parse("kubernetes-version: v1.26.3\n", "c.yaml")
            .unwrap()
            .kubernetes_version,
        "1.26"
    );
    assert_eq!(
        err("policies: [\"ok/*.rego\", \"bad/[.rego\"]\n"),
        "c.yaml:1: bad glob 'bad/[.rego': unclosed character class; missing ']'"
    );
    assert_eq!(
        Config::parse("policies: [\"gate-policy/*.rego\"]\n", "c.yaml")
            .unwrap()
            .policies[0]
            .text,
        "gate-policy/*.rego"
    );
    assert!(
        err("environments:\n  prod:\n    overlays: [a]\n    after: staging\n")
            .starts_with("c.yaml:4: environment 'prod' comes after unknown environment 'staging'")
    );
    assert!(
        err("environments:\n  prod:\n    overlays: [\"a/[\"]\n").starts_with("c.yaml:3: bad glob")
    );
    assert!(
        err("environments:\n  prod:\n    overlays: [a]\n    colour: red\n")
            .starts_with("c.yaml:4: unknown key 'colour'")
    );
    assert!(err("kinds:\n  \"x/{a\": [Role]\n").starts_with("c.yaml:2: bad glob"));
    let c = Config::parse("rules:\n  promotion-order: off\n", "c.yaml").unwrap();
    assert_eq!(c.severity("promotion-order"), Severity::Off);
}

#[test]
fn infers_environments() {
    let c = Config::inferred();
    let env = |d: &str| c.assign(d).env;
    assert_eq!(env("apps/x/overlays/blue-prod").as_deref(), Some("prod"));
    assert_eq!(env("apps/x/overlays/prod-eu").as_deref(), Some("prod"));
    assert_eq!(env("apps/x/overlays/pre-prod").as_deref(), Some("staging"));
    assert_eq!(env("apps/x/overlays/qa").as_deref(), Some("test"));
    assert_eq!(env("apps/x/overlays/development").as_deref(), Some("dev"));
    assert_eq!(env("apps/x/overlays/sandbox").as_deref(), Some("sandbox"));
    assert_eq!(env("apps/x/overlays/local"), None);
    assert_eq!(env("clusters/production/x").as_deref(), Some("prod"));
    // Whole words only; the outermost environment word wins.
    assert_eq!(env("staging/lightwell-dev").as_deref(), Some("staging"));
    assert_eq!(env("apps/product-catalog/overlays/x"), None);
    assert_eq!(env("apps/x/overlays/eu-prod-1").as_deref(), Some("prod"));
    // Two environments in one segment: ambiguous, never a guess.
    assert_eq!(env("apps/x/prod-staging"), None);
    assert!(c.assign("apps/x/prod-staging").reason.contains("ambiguous"));
    // Bases and components are not deployments.
    assert_eq!(env("components/integration"), None);
    assert_eq!(env("apps/base/dev-tools"), None);
    let a = c.assign("apps/x/overlays/green-prod");
    assert_eq!(
        cluster_key("apps/x/overlays/green-prod", &a),
        "apps/x/overlays/green-*"
    );
}
