//! Rule packs, ignore rules and `check --all`, through the binary.
//!
//! Every rule of `production-lessons` has a failing and a passing fixture in
//! `tests/data/packs/<rule>/{fail,pass}/{base,head}/` (the trees at the two
//! commits; the configuration selecting the pack is added to both). A failing
//! fixture's `expect` holds the `file:line` the diagnostic must point at.

mod common;

use common::{mg, TestRepo};
use serde_json::Value;
use std::path::Path;

const CONFIG: &str = "packs: [production-lessons]\n";

/// Every file under `dir` as (relative path, text), sorted.
fn tree(dir: &Path) -> Vec<(String, String)> {
    if !dir.exists() {
        return Vec::new();
    }
    let mut out: Vec<(String, String)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk fixture"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (
                rel.to_string_lossy().replace('\\', "/"),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A repository with the fixture's base and head trees as commits c0 and c1.
fn repo_of(case: &Path, config: &str) -> TestRepo {
    let base = tree(&case.join("base"));
    let head = tree(&case.join("head"));
    let mut c0: Vec<(&str, Option<&str>)> = vec![(".manifest-gate.yaml", Some(config))];
    c0.extend(base.iter().map(|(p, t)| (p.as_str(), Some(t.as_str()))));
    let mut c1: Vec<(&str, Option<&str>)> = head
        .iter()
        .map(|(p, t)| (p.as_str(), Some(t.as_str())))
        .collect();
    c1.extend(
        base.iter()
            .filter(|(p, _)| !head.iter().any(|(h, _)| h == p))
            .map(|(p, _)| (p.as_str(), None)),
    );
    TestRepo::build(&[&c0, &c1])
}

fn check_json(repo: &TestRepo, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["check", "--base", "c0", "--head", "c1", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = mg(&repo.path(), &args);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v, err)
}

fn violations<'a>(v: &'a Value, rule: &str) -> Vec<&'a Value> {
    v["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .filter(|d| d["rule"] == rule)
        .collect()
}

#[test]
fn every_production_lessons_rule_fails_and_passes_its_fixtures() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/packs");
    let pack = manifest_gate::policy::packs::pack("production-lessons").expect("pack");
    assert!(pack.rules.len() >= 11, "the pack holds the lessons");
    let mut wrong = Vec::new();
    for r in &pack.rules {
        let id = r.rule.id;
        let fail = data.join(id).join("fail");
        let pass = data.join(id).join("pass");
        assert!(
            fail.exists() && pass.exists(),
            "{id} has fail and pass fixtures"
        );

        let (code, v, err) = check_json(&repo_of(&fail, CONFIG), &[]);
        let found = violations(&v, id);
        assert!(
            !found.is_empty(),
            "{id}: the failing fixture fails it: {v}\n{err}"
        );
        let expect = std::fs::read_to_string(fail.join("expect")).expect("expect file");
        let at: Vec<String> = found
            .iter()
            .map(|d| format!("{}:{}", d["path"].as_str().unwrap_or("?"), d["line"]))
            .collect();
        if !at.contains(&expect.trim().to_string()) {
            wrong.push(format!(
                "{id}: points at {at:?}, expected {}",
                expect.trim()
            ));
        }
        let sev = found[0]["severity"].as_str().unwrap();
        assert_eq!(sev, r.rule.default_severity.as_str(), "{id}");
        assert_eq!(code, if sev == "error" { 1 } else { 0 }, "{id}: {err}");

        let (code, v, err) = check_json(&repo_of(&pass, CONFIG), &[]);
        assert!(code == 0 || code == 1, "{id} pass fixture decides: {err}");
        assert!(
            violations(&v, id).is_empty(),
            "{id}: the passing fixture passes it: {v}"
        );
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn pack_rules_run_only_when_selected_and_obey_severity_overrides() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/packs");
    let fail = data.join("cluster-admin-binding/fail");
    let (code, v, _) = check_json(&repo_of(&fail, "rules: {}\n"), &[]);
    assert_eq!(code, 0);
    assert!(violations(&v, "cluster-admin-binding").is_empty());
    let cfg = "packs: [production-lessons]\nrules:\n  cluster-admin-binding: warning\n";
    let (code, v, _) = check_json(&repo_of(&fail, cfg), &[]);
    assert_eq!(code, 0, "a warning does not fail");
    assert_eq!(
        violations(&v, "cluster-admin-binding")[0]["severity"],
        "warning"
    );
    let cfg = "packs: [production-lessons]\nrules:\n  cluster-admin-binding: off\n";
    let (_, v, _) = check_json(&repo_of(&fail, cfg), &[]);
    assert!(violations(&v, "cluster-admin-binding").is_empty());
}

#[test]
fn daemonset_request_limit_is_a_pack_parameter() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/packs");
    let fail = data.join("daemonset-requests/fail");
    let cfg = "packs:\n  - pack: production-lessons\n    params: {daemonset-max-memory: 4Gi}\n";
    let (_, v, _) = check_json(&repo_of(&fail, cfg), &[]);
    assert!(violations(&v, "daemonset-requests").is_empty(), "{v}");
}

#[test]
fn configuration_errors_name_their_line() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/packs");
    let case = data.join("cluster-admin-binding/pass");
    for (cfg, want) in [
        (
            "rules: {}\npacks:\n  - production-lesons\n",
            ".manifest-gate.yaml:3: unknown pack 'production-lesons' (packs: production-lessons",
        ),
        (
            "ignore:\n  - kinds: [Deployment]\n    fields: [\"spec..replicas\"]\n",
            ".manifest-gate.yaml:3: bad field pattern",
        ),
        (
            "packs:\n  - pack: production-lessons\n    params: {daemonset-max-gpu: 1}\n",
            ".manifest-gate.yaml:3: pack 'production-lessons' has no parameter 'daemonset-max-gpu'",
        ),
    ] {
        let repo = repo_of(&case, cfg);
        let (code, _, err) = mg(&repo.path(), &["check", "--base", "c0", "--head", "c1"]);
        assert_eq!(code, 2, "{cfg}");
        assert!(err.contains(want), "{cfg}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    checksum/config: \"1\"\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27.2\n";

#[test]
fn ignored_fields_and_resources_are_counted_in_every_summary() {
    let cfg = "ignore:\n  - kinds: [Deployment]\n    fields: ['metadata.annotations[\"checksum/*\"]']\n  - kinds: [ConfigMap]\n    names: [\"generated-*\"]\n";
    let cm = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: generated-x\ndata:\n  v: \"{v}\"\n")
    };
    let k = "resources: [deploy.yaml, cm.yaml]\n";
    let (c1, c2) = (cm("1"), cm("2"));
    let d2 = DEPLOY.replace("checksum/config: \"1\"", "checksum/config: \"2\"");
    let repo = TestRepo::build(&[
        &[
            (".manifest-gate.yaml", Some(cfg)),
            ("apps/web/overlays/dev/kustomization.yaml", Some(k)),
            ("apps/web/overlays/dev/deploy.yaml", Some(DEPLOY)),
            ("apps/web/overlays/dev/cm.yaml", Some(&c1)),
        ],
        &[
            ("apps/web/overlays/dev/deploy.yaml", Some(&d2)),
            ("apps/web/overlays/dev/cm.yaml", Some(&c2)),
        ],
    ]);
    let (code, v, err) = check_json(&repo, &[]);
    assert_eq!(code, 0, "{err}");
    let ov = &v["diff"]["overlays"][0];
    assert!(ov["changes"].as_array().unwrap().is_empty(), "{ov}");
    assert_eq!(v["diff"]["summary"]["ignored"]["resources"], 2, "{v}");
    assert_eq!(v["diff"]["summary"]["ignored"]["fields"], 1, "{v}");
    let (_, text, _) = mg(&repo.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert!(
        text.contains("ignored by the configuration: 2 resource change(s), 1 field change(s)"),
        "{text}"
    );
    let (_, md, _) = mg(
        &repo.path(),
        &[
            "check", "--base", "c0", "--head", "c1", "--format", "markdown",
        ],
    );
    assert!(md.contains("ignored by the configuration: 2"), "{md}");
    let (_, diff, _) = mg(&repo.path(), &["diff", "--base", "c0", "--head", "c1"]);
    assert!(diff.contains("ignored by the configuration"), "{diff}");
    // A change beside the ignored field still shows.
    let d3 = d2.replace("replicas: 2", "replicas: 3");
    let mut repo = repo;
    repo.commit(&[("apps/web/overlays/dev/deploy.yaml", Some(&d3))]);
    let (_, out, _) = mg(
        &repo.path(),
        &["check", "--base", "c0", "--head", "c2", "--format", "json"],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let fields = &v["diff"]["overlays"][0]["changes"][0]["fields"];
    assert_eq!(fields.as_array().unwrap().len(), 1, "{fields}");
    assert_eq!(fields[0]["path"], "spec.replicas");
}

#[test]
fn check_all_audits_the_whole_head_state() {
    // The offending binding is old: the change only touches a ConfigMap in two environments.
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/packs");
    let rbac = std::fs::read_to_string(
        data.join("cluster-admin-binding/fail/head/apps/web/overlays/dev/rbac.yaml"),
    )
    .unwrap();
    let cm = |v: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: \"{v}\"\n")
    };
    let (a, b) = (cm("1"), cm("2"));
    let k = "resources: [rbac.yaml, cm.yaml]\n";
    let repo = TestRepo::build(&[
        &[
            (".manifest-gate.yaml", Some(CONFIG)),
            ("apps/web/overlays/dev/kustomization.yaml", Some(k)),
            ("apps/web/overlays/dev/rbac.yaml", Some(&rbac)),
            ("apps/web/overlays/dev/cm.yaml", Some(&a)),
            (
                "apps/web/overlays/prod/kustomization.yaml",
                Some("resources: [cm.yaml]\n"),
            ),
            ("apps/web/overlays/prod/cm.yaml", Some(&a)),
        ],
        &[
            ("apps/web/overlays/dev/cm.yaml", Some(&b)),
            ("apps/web/overlays/prod/cm.yaml", Some(&b)),
        ],
    ]);
    // The change alone: the binding is not touched; two environments at once is.
    let (_, v, _) = check_json(&repo, &[]);
    assert!(violations(&v, "cluster-admin-binding").is_empty());
    assert!(!violations(&v, "single-environment").is_empty(), "{v}");
    // The audit: every resource judged, the cross-environment rules off, and said so.
    let (code, v, err) = check_json(&repo, &["--all"]);
    assert_eq!(code, 1, "{err}");
    let found = violations(&v, "cluster-admin-binding");
    assert_eq!(found.len(), 1, "{v}");
    assert_eq!(found[0]["path"], "apps/web/overlays/dev/rbac.yaml");
    assert!(violations(&v, "single-environment").is_empty(), "{v}");
    assert!(violations(&v, "promotion-order").is_empty(), "{v}");
    let note = v["notes"][0].as_str().unwrap_or_default();
    assert!(
        note.contains("--all") && note.contains("single-environment"),
        "{v}"
    );
    let (_, text, _) = mg(
        &repo.path(),
        &["check", "--base", "c0", "--head", "c1", "--all"],
    );
    assert!(
        text.contains("note: audit of the whole head state (--all)"),
        "{text}"
    );
    assert!(text.contains("promotion-order"), "{text}");
}

#[test]
fn check_all_fails_closed_on_an_overlay_the_head_cannot_render() {
    let repo = TestRepo::build(&[
        &[
            (".manifest-gate.yaml", Some(CONFIG)),
            (
                "apps/web/overlays/dev/kustomization.yaml",
                Some("resources: [cm.yaml]\n"),
            ),
            (
                "apps/web/overlays/dev/cm.yaml",
                Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"),
            ),
        ],
        &[(
            "apps/web/overlays/dev/kustomization.yaml",
            Some("resources: [cm.yaml, missing.yaml]\n"),
        )],
    ]);
    let (code, _, err) = mg(
        &repo.path(),
        &["check", "--base", "c0", "--head", "c1", "--all"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("does not render at head") && err.contains("missing.yaml"),
        "{err}"
    );
}

#[test]
fn rules_and_explain_list_pack_rules() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, text, _) = mg(here, &["rules"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("image-tag-pinned") && text.contains("prod-deletion"),
        "{text}"
    );
    let (code, text, err) = mg(here, &["explain", "immutable-field-change"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with("# immutable-field-change\n"), "{text}");
    assert!(text.contains("recreate"), "{text}");
}

#[test]
fn a_pack_diagnostic_reads_well_in_text() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/packs");
    let repo = repo_of(&data.join("immutable-field-change/fail"), CONFIG);
    let (code, text, err) = mg(&repo.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_pod_spec_of_the_wrong_shape_cannot_be_judged() {
    let bad = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    spec:\n      containers: oops\n";
    let repo = TestRepo::build(&[
        &[(".manifest-gate.yaml", Some(CONFIG))],
        &[
            (
                "apps/web/overlays/dev/kustomization.yaml",
                Some("resources: [d.yaml]\n"),
            ),
            ("apps/web/overlays/dev/d.yaml", Some(bad)),
        ],
    ]);
    let (code, _, err) = mg(&repo.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert_eq!(code, 2, "fails closed: {err}");
    assert!(err.contains("apps/web/overlays/dev/d.yaml:9"), "{err}");
    assert!(err.contains("cannot read the pod spec"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}
