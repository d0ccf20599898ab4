//! The pull-request comment at scale, through the binary: 1,200 overlays in
//! three environments share one base, and one change to that base changes all
//! of them the same way. The comment stays under the limit with every finding,
//! one line per environment, the identical change shown once with its 1,200
//! overlays collapsed and capped; under a small limit it is cut between whole
//! resources, names what it cut and points to the full report.

mod common;

use common::TestRepo;
use std::process::Command;

const OVERLAYS: usize = 1_200;
const ENVS: [&str; 3] = ["dev", "staging", "prod"];

fn settings(version: &str) -> String {
    let mut s =
        String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n");
    for i in 0..60 {
        s.push_str(&format!("  key{i:03}: \"värde-ü-✓-{version}-{i:03}\"\n"));
    }
    s
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1\n";

fn repo() -> TestRepo {
    let mut files: Vec<(String, String)> = vec![
        (
            "base/kustomization.yaml".into(),
            "resources: [deploy.yaml, settings.yaml]\n".into(),
        ),
        ("base/deploy.yaml".into(), DEPLOY.into()),
        ("base/settings.yaml".into(), settings("v1")),
    ];
    for i in 0..OVERLAYS {
        let env = ENVS[i % ENVS.len()];
        files.push((
            format!("overlays/{env}/svc-{i:04}/kustomization.yaml"),
            format!("resources: [../../../base]\nnamePrefix: svc-{i:04}-\n"),
        ));
    }
    let c0: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), Some(c.as_str())))
        .collect();
    let deploy = DEPLOY.replace("replicas: 1", "replicas: 3");
    let cm = settings("v2");
    TestRepo::build(&[
        &c0,
        &[
            ("base/deploy.yaml", Some(&deploy)),
            ("base/settings.yaml", Some(&cm)),
        ],
    ])
}

fn comment(repo: &TestRepo, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["comment", "--forge", "github", "--dry-run"])
        .args(["--base", "c0", "--head", "c1", "--repo"])
        .arg(repo.path())
        .args(extra)
        .output()
        .expect("manifest-gate runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every fence and `<details>` block the body opens is closed.
fn assert_balanced(body: &str) {
    let fences = body
        .lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count();
    assert_eq!(fences % 2, 0, "unbalanced fences");
    assert_eq!(
        body.matches("<details>").count(),
        body.matches("</details>").count(),
        "unbalanced <details>"
    );
}

#[test]
fn a_base_change_in_1200_overlays() {
    let r = repo();
    let out = tempfile::tempdir().unwrap();
    let full_path = out.path().join("comment-full.md");
    let full_arg = full_path.to_string_lossy().into_owned();
    let (code, body, err) = comment(&r, &["--report-file", &full_arg]);
    assert_eq!(code, 1, "{err}");
    // The full report has no limit, so it lists every finding: the comment
    // must list them all too.
    let full = std::fs::read_to_string(&full_path).unwrap();
    let findings = full.matches("- ❌ **error**").count();
    assert!(
        findings >= 2,
        "single-environment and promotion-order: {full}"
    );
    let n = body.chars().count();
    assert!(n <= 65_000, "{n} characters");
    assert!(body.starts_with("<!-- manifest-gate -->"));
    assert!(body.contains("❌ manifest-gate: failed"), "{body}");
    // Every finding, each once.
    assert_eq!(body.matches("- ❌ **error**").count(), findings, "{body}");
    assert!(!body.contains("more finding"));
    // One line per environment, its overlay list capped.
    for env in ENVS {
        let line = body
            .lines()
            .find(|l| l.starts_with(&format!("- **{env}**: 400 overlays — ")))
            .unwrap_or_else(|| panic!("no line for {env}: {body}"));
        assert!(line.ends_with("and 395 more"), "{line}");
    }
    // The identical change once, its overlays collapsed and capped.
    assert!(
        body.contains("#### The same change in 1200 overlays (dev, staging, prod)"),
        "{body}"
    );
    assert!(body.contains("<details><summary>1200 overlays</summary>"));
    assert!(body.contains("and 1150 more"), "{body}");
    assert_eq!(body.matches("spec.replicas").count(), 1, "{body}");
    assert!(body.contains("`1` → `3`"), "{body}");
    assert!(
        !body.contains("not shown to fit"),
        "nothing cut at 65,000: {body}"
    );
    assert_balanced(&body);

    // A small limit: cut at whole resources, naming what was cut, pointing to
    // the full report, which has everything.
    let (code, small, err) = comment(
        &r,
        &["--max-comment-chars", "15000", "--report-file", &full_arg],
    );
    assert_eq!(code, 1, "{err}");
    assert!(small.chars().count() <= 15_000, "{}", small.chars().count());
    assert_eq!(small.matches("- ❌ **error**").count(), findings, "{small}");
    assert!(
        small.contains("not shown to fit the 15000-character comment limit"),
        "{small}"
    );
    assert!(
        small.contains(
            "ConfigMap svc-0000-settings in overlays/dev/svc-0000 (and 1199 more overlays)"
        ),
        "{small}"
    );
    assert!(
        small.contains("The full report is `comment-full.md`"),
        "{small}"
    );
    assert_balanced(small.split("> **Note:**").next().unwrap());
    let full = std::fs::read_to_string(&full_path).unwrap();
    assert!(
        full.contains("key059"),
        "the full report has the whole diff"
    );
    assert!(!full.contains("not shown to fit"));
    assert!(full.contains("#### The same change in 1200 overlays"));
}
