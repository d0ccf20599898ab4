//! `manifest-gate check` end to end: the real binary on git repositories shaped
//! like a platform team's (one service, base + components + seven overlays, the
//! gate configuration of `fixtures/example-platform`).

mod common;

use common::TestRepo;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/example-platform");
const S: &str = "services/checkout";

/// Every file of the example platform, as (path, content).
fn platform_files() -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new(FIXTURE), Path::new(FIXTURE), &mut out);
    out
}

fn platform() -> TestRepo {
    let files = platform_files();
    let commit: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), Some(c.as_str())))
        .collect();
    TestRepo::build(&[&commit])
}

/// The text of a fixture file with one substitution (which must apply).
fn edited(path: &str, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(Path::new(FIXTURE).join(path)).unwrap();
    assert!(text.contains(from), "{path} does not contain {from:?}");
    text.replacen(from, to, 1)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn gate(repo: &TestRepo, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(args)
        .arg("--repo")
        .arg(repo.path())
        .output()
        .expect("manifest-gate runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `check` between the last two commits, as JSON and as text.
fn check_last(repo: &TestRepo) -> (Run, Value, Run) {
    let n = repo.commits.len();
    let (base, head) = (format!("c{}", n - 2), format!("c{}", n - 1));
    let json = gate(
        repo,
        &[
            "check", "--base", &base, "--head", &head, "--format", "json",
        ],
    );
    assert!(
        json.code == 0 || json.code == 1,
        "check could not decide: {}{}",
        json.stdout,
        json.stderr
    );
    let v: Value = serde_json::from_str(&json.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", json.stdout));
    let text = gate(repo, &["check", "--base", &base, "--head", &head]);
    // Sharded across a CI matrix, the same verdict (issue 15).
    assert_eq!(
        common::assert_shards_agree(&repo.path(), &base, &head, &[]),
        json.code
    );
    assert_eq!(
        text.code, json.code,
        "text and json agree on the verdict: {}",
        text.stdout
    );
    (json, v, text)
}

fn rules(v: &Value) -> Vec<String> {
    let mut r: Vec<String> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["severity"] == "error")
        .map(|x| x["rule"].as_str().unwrap().to_string())
        .collect();
    r.dedup();
    r
}

fn touched(v: &Value) -> Vec<String> {
    v["touched_environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn preprod_and_prod_bundled_fail_both_rules() {
    let mut repo = platform();
    let p = format!("{S}/components/agent-prod-tuning/agent-settings.yaml");
    let text = edited(&p, "value: cluster", "value: 10.0.0.2");
    repo.commit(&[(p.as_str(), Some(text.as_str()))]);
    let (run, v, text) = check_last(&repo);
    assert_eq!(run.code, 1, "{}", text.stdout);
    assert_eq!(v["passed"], false);
    assert_eq!(touched(&v), ["preprod", "prod"]);
    assert_eq!(
        rules(&v),
        ["single-environment", "promotion-order"],
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("error[single-environment]"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("error[promotion-order]"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("AGENT_UPSTREAM"),
        "names the missing field: {}",
        text.stdout
    );
    assert!(v["diff"]["overlays"].is_array());
    insta::assert_snapshot!("bundled_preprod_prod", text.stdout);
}

#[test]
fn one_environment_per_commit_passes_every_step() {
    let mut repo = platform();
    let steps: [(&str, &[&str]); 4] = [
        ("dev", &["blue-dev", "green-dev"]),
        ("test", &["blue-test"]),
        ("preprod", &["blue-preprod"]),
        ("prod", &["blue-prod", "green-prod"]),
    ];
    for (env, overlays) in steps {
        let texts: Vec<(String, String)> = overlays
            .iter()
            .map(|o| {
                let p = format!("{S}/overlays/{o}/agent-patch.yaml");
                let t = edited(&p, "value: \"30\"", "value: \"10\"");
                (p, t)
            })
            .collect();
        let commit: Vec<(&str, Option<&str>)> = texts
            .iter()
            .map(|(p, t)| (p.as_str(), Some(t.as_str())))
            .collect();
        repo.commit(&commit);
        let (run, v, text) = check_last(&repo);
        assert_eq!(run.code, 0, "promoting to {env}: {}", text.stdout);
        assert_eq!(touched(&v), [env], "{}", text.stdout);
    }
}

#[test]
fn prod_before_preprod_fails_promotion_order_only() {
    let mut repo = platform();
    let texts: Vec<(String, String)> = ["blue-prod", "green-prod"]
        .iter()
        .map(|o| {
            let p = format!("{S}/overlays/{o}/agent-patch.yaml");
            let t = edited(&p, "value: \"30\"", "value: \"10\"");
            (p, t)
        })
        .collect();
    let commit: Vec<(&str, Option<&str>)> = texts
        .iter()
        .map(|(p, t)| (p.as_str(), Some(t.as_str())))
        .collect();
    repo.commit(&commit);
    let (run, v, text) = check_last(&repo);
    assert_eq!(run.code, 1);
    assert_eq!(touched(&v), ["prod"]);
    assert_eq!(rules(&v), ["promotion-order"], "{}", text.stdout);
    assert!(text.stdout.contains("AGENT_CACHE_TTL"), "{}", text.stdout);
    insta::assert_snapshot!("prod_before_preprod", text.stdout);
}

#[test]
fn one_line_base_change_touches_all_five_environments() {
    let mut repo = platform();
    let p = format!("{S}/base/deployment.yaml");
    let t = edited(
        &p,
        "terminationGracePeriodSeconds: 30",
        "terminationGracePeriodSeconds: 60",
    );
    repo.commit(&[(p.as_str(), Some(t.as_str()))]);
    let (run, v, text) = check_last(&repo);
    assert_eq!(run.code, 1);
    assert_eq!(touched(&v), ["sandbox", "dev", "test", "preprod", "prod"]);
    let single: Vec<&Value> = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["rule"] == "single-environment")
        .collect();
    assert_eq!(single.len(), 1);
    let msg = single[0]["message"].as_str().unwrap();
    for env in ["sandbox", "dev", "test", "preprod", "prod"] {
        assert!(msg.contains(env), "{msg}");
    }
    insta::assert_snapshot!("base_change_all_environments", text.stdout);
}

#[test]
fn refactor_that_renders_identically_passes() {
    let mut repo = platform();
    let k = format!("{S}/base/kustomization.yaml");
    let kt = edited(&k, "  - service.yaml", "  - checkout-service.yaml");
    let svc =
        std::fs::read_to_string(Path::new(FIXTURE).join(S).join("base/service.yaml")).unwrap();
    let old = format!("{S}/base/service.yaml");
    let new = format!("{S}/base/checkout-service.yaml");
    repo.commit(&[
        (k.as_str(), Some(kt.as_str())),
        (old.as_str(), None),
        (new.as_str(), Some(svc.as_str())),
    ]);
    let (run, v, text) = check_last(&repo);
    assert_eq!(run.code, 0, "{}", text.stdout);
    assert!(touched(&v).is_empty(), "{}", text.stdout);
    assert!(v["violations"].as_array().unwrap().is_empty());
    assert!(
        text.stdout.contains("environments touched: none"),
        "{}",
        text.stdout
    );
}

#[test]
fn deployment_in_new_role_yaml_is_unexpected_kind() {
    let mut repo = platform();
    let k = format!("{S}/overlays/sandbox/kustomization.yaml");
    let kt = edited(&k, "  - ../../base\n", "  - ../../base\n  - role.yaml\n");
    let role = "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: debug
rules: []
---
apiVersion: apps/v1
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
    let rp = format!("{S}/overlays/sandbox/role.yaml");
    repo.commit(&[(k.as_str(), Some(kt.as_str())), (rp.as_str(), Some(role))]);
    let (run, v, text) = check_last(&repo);
    assert_eq!(run.code, 1, "{}", text.stdout);
    assert_eq!(rules(&v), ["unexpected-kind"], "{}", text.stdout);
    let uk = &v["violations"][0];
    assert_eq!(uk["path"], rp.as_str());
    assert_eq!(
        uk["line"], 8,
        "points at the kind line of the Deployment document"
    );
    // The whole diagnostic model is in the JSON.
    assert_eq!(uk["column"], 7, "the column of the `kind:` value");
    assert_eq!(uk["side"], "head");
    assert!(uk["label"].as_str().unwrap().contains("Deployment"));
    assert!(uk["help"]
        .as_str()
        .unwrap()
        .starts_with("move this Deployment"));
    assert!(uk["notes"].is_array() && uk["labels"].is_array());
    insta::assert_snapshot!("deployment_in_role_yaml", text.stdout);
}

#[test]
fn config_edit_is_judged_with_the_base_version_and_warned() {
    let mut repo = platform();
    let c = ".manifest-gate.yaml";
    let ct = edited(c, "  promotion-order: error", "  promotion-order: off");
    let p = format!("{S}/overlays/blue-prod/agent-patch.yaml");
    let pt = edited(&p, "value: \"30\"", "value: \"10\"");
    repo.commit(&[(c, Some(ct.as_str())), (p.as_str(), Some(pt.as_str()))]);
    let (run, v, text) = check_last(&repo);
    assert_eq!(
        run.code, 1,
        "the base configuration still has promotion-order: {}",
        text.stdout
    );
    assert!(rules(&v).contains(&"promotion-order".to_string()));
    let warn = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "config-edit")
        .expect("warning");
    assert_eq!(warn["severity"], "warning");
    assert_eq!(warn["path"], ".manifest-gate.yaml");
    assert!(
        text.stdout.contains("promotion-order: off"),
        "names the edit: {}",
        text.stdout
    );
}

#[test]
fn missing_base_is_exit_2_with_the_fix() {
    let repo = platform();
    let r = gate(&repo, &["check", "--base", "origin/main", "--head", "HEAD"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("git fetch"), "{}", r.stderr);
}

#[test]
fn bad_config_is_exit_2_pointing_at_the_line() {
    let repo = platform();
    let cfg = repo.path().join("gate.yaml");
    std::fs::write(
        &cfg,
        "rules:\n  single-environment: error\n  promotion-order: sometimes\n",
    )
    .unwrap();
    let r = gate(
        &repo,
        &[
            "check",
            "--base",
            "c0",
            "--head",
            "c0",
            "--config",
            cfg.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("gate.yaml:3:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("bad severity 'sometimes'"),
        "{}",
        r.stderr
    );
}

#[test]
fn overlays_lists_environments_and_reasons() {
    let repo = platform();
    let r = gate(&repo, &["overlays"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    for (o, env) in [
        ("blue-prod", "prod"),
        ("green-prod", "prod"),
        ("blue-preprod", "preprod"),
        ("sandbox", "sandbox"),
    ] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{S}/overlays/{o} ")))
            .unwrap_or_else(|| panic!("{}", r.stdout));
        assert!(line.contains(env) && line.contains("matches"), "{line}");
    }
}

#[test]
fn explain_prints_each_rule() {
    for rule in ["single-environment", "unexpected-kind", "promotion-order"] {
        let out = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
            .args(["explain", rule])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("How to satisfy it"), "{text}");
    }
}
