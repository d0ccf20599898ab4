//! Team policies in Rego (`policies:` in the configuration), through the binary:
//! deny and warn messages at the change's source line, policies read from base,
//! and every broken or runaway policy is exit 2 naming its file.

mod common;

use common::{mg, TestRepo};
use serde_json::Value;
use std::time::{Duration, Instant};

fn check_json(repo: &TestRepo, base: &str, head: &str) -> (i32, Value, String) {
    let (code, out, err) = mg(
        &repo.path(),
        &["check", "--base", base, "--head", head, "--format", "json"],
    );
    let v = serde_json::from_str(&out).unwrap_or(Value::Null);
    (code, v, err)
}

const CONFIG: &str = "policies: [\"gate-policy/*.rego\"]\n";

const NO_SANDBOX_CRB: &str = r#"package manifest_gate

deny contains msg if {
  input.environment == "sandbox"
  input.change.action == "added"
  input.change.kind == "ClusterRoleBinding"
  msg := sprintf("no new ClusterRoleBindings in sandbox (%s)", [input.change.name])
}
"#;

/// A harmless policy, so the glob matches a file when the tested one is absent.
const NOOP: &str = "package manifest_gate\n\nwarn contains \"never\" if false\n";

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: \"1\"\n";

const CRB: &str = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ops
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: ops
    namespace: ops
";

/// Base: the configuration, `policies` (path, text) and a sandbox and a dev overlay.
fn base(policies: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    let mut files: Vec<(String, Option<String>)> = vec![
        (".manifest-gate.yaml".into(), Some(CONFIG.into())),
        ("gate-policy/noop.rego".into(), Some(NOOP.into())),
    ];
    for (p, t) in policies {
        files.push((p.to_string(), Some(t.to_string())));
    }
    for env in ["sandbox", "dev"] {
        files.push((
            format!("apps/overlays/{env}/kustomization.yaml"),
            Some("resources: [cm.yaml]\n".into()),
        ));
        files.push((format!("apps/overlays/{env}/cm.yaml"), Some(CM.into())));
    }
    files
}

/// The files that add the binding to `env`'s overlay (three lines of comment first).
fn add_binding(env: &str) -> Vec<(String, Option<String>)> {
    vec![
        (
            format!("apps/overlays/{env}/kustomization.yaml"),
            Some("resources: [cm.yaml, crb.yaml]\n".into()),
        ),
        (
            format!("apps/overlays/{env}/crb.yaml"),
            Some(format!("# ops access\n# ticket 42\n---\n{CRB}")),
        ),
    ]
}

fn repo(commits: &[Vec<(String, Option<String>)>]) -> TestRepo {
    let owned: Vec<Vec<(&str, Option<&str>)>> = commits
        .iter()
        .map(|c| c.iter().map(|(p, t)| (p.as_str(), t.as_deref())).collect())
        .collect();
    let refs: Vec<&[(&str, Option<&str>)]> = owned.iter().map(|c| c.as_slice()).collect();
    TestRepo::build(&refs)
}

#[test]
fn a_policy_denies_a_sandbox_binding_at_its_file_and_line_and_dev_passes() {
    let r = repo(&[
        base(&[("gate-policy/rbac.rego", NO_SANDBOX_CRB)]),
        add_binding("sandbox"),
    ]);
    let (code, v, err) = check_json(&r, "c0", "c1");
    assert_eq!(code, 1, "{v}{err}");
    let d = &v["violations"][0];
    assert_eq!(d["rule"], "rego-policy", "{v}");
    assert_eq!(d["severity"], "error");
    assert_eq!(
        d["message"],
        "deny (gate-policy/rbac.rego): no new ClusterRoleBindings in sandbox (ops)"
    );
    assert_eq!(d["path"], "apps/overlays/sandbox/crb.yaml");
    assert_eq!(
        d["line"], 4,
        "the document's first line, after the comments"
    );
    assert_eq!(d["notes"][0], "policy gate-policy/rbac.rego, rule deny");
    assert_eq!(v["violations"].as_array().unwrap().len(), 1, "{v}");
    // The text report shows the same, and SARIF names the registry rule.
    let (_, text, _) = mg(&r.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert!(
        text.contains("error[rego-policy]: deny (gate-policy/rbac.rego)"),
        "{text}"
    );
    assert!(text.contains("apps/overlays/sandbox/crb.yaml:4"), "{text}");
    let (_, sarif, _) = mg(
        &r.path(),
        &["check", "--base", "c0", "--head", "c1", "--format", "sarif"],
    );
    let s: Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
    let result = &s["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "rego-policy", "{sarif}");
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains("gate-policy/rbac.rego"));

    // The same binding in dev passes.
    let r = repo(&[
        base(&[("gate-policy/rbac.rego", NO_SANDBOX_CRB)]),
        add_binding("dev"),
    ]);
    let (code, v, err) = check_json(&r, "c0", "c1");
    assert_eq!(code, 0, "{v}{err}");
    assert_eq!(v["violations"], serde_json::json!([]), "{v}");
}

#[test]
fn a_policy_edited_in_the_pull_request_does_not_apply_to_it() {
    // Head adds the deny and the binding: the deny is not at base, not applied.
    let mut head = add_binding("sandbox");
    head.push(("gate-policy/rbac.rego".into(), Some(NO_SANDBOX_CRB.into())));
    let r = repo(&[base(&[]), head]);
    let (code, v, err) = check_json(&r, "c0", "c1");
    assert_eq!(code, 0, "the head's new policy is not applied: {v}{err}");
    let d = &v["violations"][0];
    assert_eq!(d["severity"], "warning", "{v}");
    assert_eq!(
        d["message"],
        "this change edits the policy gate-policy/rbac.rego; the gate judged it with the base version"
    );

    // Head deletes the deny and adds the binding: the base policy still applies.
    let mut head = add_binding("sandbox");
    head.push(("gate-policy/rbac.rego".into(), None));
    let r = repo(&[base(&[("gate-policy/rbac.rego", NO_SANDBOX_CRB)]), head]);
    let (code, v, err) = check_json(&r, "c0", "c1");
    assert_eq!(code, 1, "the base policy applies: {v}{err}");
    let msgs: Vec<&str> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("no new ClusterRoleBindings")),
        "{msgs:?}"
    );

    // Head rewrites the deny into a no-op: still applied.
    let mut head = add_binding("sandbox");
    head.push(("gate-policy/rbac.rego".into(), Some(NOOP.into())));
    let r = repo(&[base(&[("gate-policy/rbac.rego", NO_SANDBOX_CRB)]), head]);
    let (code, v, err) = check_json(&r, "c0", "c1");
    assert_eq!(code, 1, "{v}{err}");
}

fn undecided(policy: &str) -> (i32, String, Duration) {
    let r = repo(&[
        base(&[("gate-policy/bad.rego", policy)]),
        add_binding("sandbox"),
    ]);
    let t = Instant::now();
    let (code, out, err) = mg(&r.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "one clear line: {err}{out}");
    (code, err, t.elapsed())
}

#[test]
fn a_policy_that_does_not_parse_is_exit_2_naming_its_file_and_line() {
    let (code, err, _) = undecided(
        "package manifest_gate\n\ndeny contains msg if {\n  msg := sprintf(\"x\", [\n}\n",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: gate-policy/bad.rego:"), "{err}");
    let line: u32 = err["error: gate-policy/bad.rego:".len()..]
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("a line number");
    assert!((4..=5).contains(&line), "{err}");
    // Another package than manifest_gate is refused, at the package line.
    let (code, err, _) = undecided("package other\n\ndeny contains \"x\" if true\n");
    assert_eq!(code, 2);
    assert!(err.contains("gate-policy/bad.rego:1:"), "{err}");
    assert!(err.contains("package manifest_gate"), "{err}");
}

#[test]
fn a_runaway_policy_is_exit_2_within_the_budget() {
    // Allocates a billion-element array in one builtin call: the worker's
    // address-space limit stops it.
    let (code, err, spent) = undecided(
        "package manifest_gate\n\ndeny contains \"boom\" if {\n  count([x | some x in numbers.range(1, 1e9)]) > 0\n}\n",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("gate-policy/bad.rego"), "{err}");
    assert!(err.contains("memory budget"), "{err}");
    assert!(spent < Duration::from_secs(20), "{spent:?}");
    // 25 million iterations: the execution timer stops it.
    let (code, err, spent) = undecided(
        "package manifest_gate\n\ndeny contains \"loop\" if {\n  count({x | some i in numbers.range(1, 5000); some j in numbers.range(1, 5000); x := i * j}) > 0\n}\n",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("gate-policy/bad.rego"), "{err}");
    assert!(err.contains("time budget"), "{err}");
    assert!(spent < Duration::from_secs(20), "{spent:?}");
}

#[test]
fn policies_cannot_reach_the_network_or_the_runtime() {
    for call in [
        "http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1:9/\"})",
        "opa.runtime()",
    ] {
        let policy = format!(
            "package manifest_gate\n\ndeny contains msg if {{\n  r := {call}\n  msg := sprintf(\"%v\", [r])\n}}\n"
        );
        let (code, err, _) = undecided(&policy);
        assert_eq!(code, 2, "{call}: {err}");
        assert!(err.contains("gate-policy/bad.rego:4"), "{err}");
        assert!(err.contains("could not find function"), "{err}");
    }
}

#[test]
fn warn_is_a_warning_and_secret_values_are_masked_as_in_the_diff() {
    let secret = |v: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {v}\n"
        )
    };
    let policy = r#"package manifest_gate

warn contains {"msg": sprintf("%s now %s", [input.change.name, input.head.stringData.password])} if {
  input.change.kind == "Secret"
  input.base.stringData.password != input.head.stringData.password
}
"#;
    let mut b = base(&[("gate-policy/secrets.rego", policy)]);
    b.push((
        "apps/overlays/dev/kustomization.yaml".into(),
        Some("resources: [cm.yaml, secret.yaml]\n".into()),
    ));
    b.push((
        "apps/overlays/dev/secret.yaml".into(),
        Some(secret("hunter2")),
    ));
    let r = repo(&[
        b,
        vec![(
            "apps/overlays/dev/secret.yaml".into(),
            Some(secret("correct-horse")),
        )],
    ]);
    let (code, v, err) = check_json(&r, "c0", "c1");
    assert_eq!(code, 0, "a warning passes: {v}{err}");
    let d = &v["violations"][0];
    assert_eq!(d["severity"], "warning", "{v}");
    assert_eq!(d["path"], "apps/overlays/dev/secret.yaml");
    assert_eq!(d["line"], 6, "the changed field's line");
    let text = v.to_string();
    assert!(
        !text.contains("hunter2") && !text.contains("correct-horse"),
        "{text}"
    );
    let change = &v["diff"]["overlays"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["path"] == "apps/overlays/dev")
        .unwrap()["changes"][0];
    let marker = change["fields"][0]["new"].as_str().unwrap();
    assert!(marker.starts_with("<secret sha256:"), "{change}");
    assert_eq!(
        d["message"],
        format!("warn (gate-policy/secrets.rego): db now {marker}"),
        "the same marker as the diff"
    );
}

#[test]
fn a_policies_glob_that_matches_nothing_at_base_is_exit_2() {
    let mut b = base(&[]);
    b[0].1 = Some("policies: [\"gate-policy/*.rego\", \"team/*.rego\"]\n".into());
    let r = repo(&[b, add_binding("sandbox")]);
    let (code, out, err) = mg(&r.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains(".manifest-gate.yaml:1"), "{err}");
    assert!(
        err.contains("'team/*.rego' matches no file at base"),
        "{err}"
    );
}

#[test]
fn the_configured_severity_caps_deny_and_off_skips_the_policies() {
    for (setting, code) in [("warning", 0), ("error", 1)] {
        let mut b = base(&[("gate-policy/rbac.rego", NO_SANDBOX_CRB)]);
        b[0].1 = Some(format!("{CONFIG}rules:\n  rego-policy: {setting}\n"));
        let r = repo(&[b, add_binding("sandbox")]);
        let (got, v, err) = check_json(&r, "c0", "c1");
        assert_eq!(got, code, "{setting}: {v}{err}");
        assert_eq!(v["violations"][0]["severity"], setting, "{v}");
    }
    // Off: not evaluated at all, so even a policy that does not parse passes.
    let mut b = base(&[(
        "gate-policy/bad.rego",
        "package manifest_gate\ndeny contains {\n",
    )]);
    b[0].1 = Some(format!("{CONFIG}rules:\n  rego-policy: off\n"));
    let r = repo(&[b, add_binding("sandbox")]);
    let (code, v, err) = check_json(&r, "c0", "c1");
    assert_eq!(code, 0, "{v}{err}");
    assert_eq!(v["violations"], serde_json::json!([]), "{v}");
}
