//! The rule registry seen from the command line: `rules`, `explain`, and the
//! `unassigned-change` rule end to end.

mod common;

use common::{mg, TestRepo};
use serde_json::Value;

#[test]
fn rules_lists_the_registry_and_each_rule_explains() {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = mg(here, &["rules", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, manifest_gate::policy::rules::ids());
    for r in v.as_array().unwrap() {
        let id = r["id"].as_str().unwrap();
        assert!(["error", "warning"].contains(&r["default_severity"].as_str().unwrap()));
        assert!(!r["summary"].as_str().unwrap().is_empty());
        let (code, text, err) = mg(here, &["explain", id]);
        assert_eq!(code, 0, "explain {id}: {err}");
        assert!(text.starts_with(&format!("# {id}\n")), "{text}");
        assert!(text.contains("**Example.**"), "{text}");
    }
    assert!(ids.contains(&"config-edit") && ids.contains(&"unassigned-change"));
    let (code, text, _) = mg(here, &["rules"]);
    assert_eq!(code, 0);
    assert_eq!(text.lines().count(), ids.len());
    assert!(text.contains("config-edit") && text.contains("warning"));
    let (code, _, err) = mg(here, &["explain", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("unassigned-change"), "lists the rules: {err}");
}

fn cm(v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: \"{v}\"\n")
}

#[test]
fn unassigned_change_warns_by_default_and_can_fail() {
    let (a, b) = (cm("1"), cm("2"));
    let repo = TestRepo::build(&[
        &[
            ("edge/kustomization.yaml", Some("resources: [cm.yaml]\n")),
            ("edge/cm.yaml", Some(&a)),
        ],
        &[("edge/cm.yaml", Some(&b))],
        &[(
            ".manifest-gate.yaml",
            Some("rules:\n  unassigned-change: error\n"),
        )],
        &[("edge/cm.yaml", Some(&a))],
    ]);
    let (code, out, err) = mg(
        &repo.path(),
        &["check", "--base", "c0", "--head", "c1", "--format", "json"],
    );
    assert_eq!(code, 0, "a warning by default: {out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let d = &v["violations"][0];
    assert_eq!(d["rule"], "unassigned-change");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["path"], "edge/cm.yaml");
    assert!(
        d["notes"][0].as_str().unwrap().contains("ConfigMap c"),
        "{d}"
    );
    assert_eq!(v["unassigned_overlays"][0], "edge");
    let (_, text, _) = mg(&repo.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert!(!text.contains("does not change"), "{text}");
    assert!(text.contains("unassigned overlays changed"), "{text}");
    // Configured as an error (at base c2), the same kind of change fails.
    let (code, out, err) = mg(&repo.path(), &["check", "--base", "c2", "--head", "c3"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("error[unassigned-change]"), "{out}");
}
