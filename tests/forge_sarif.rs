//! `manifest-gate check --format sarif`: the real binary on small repositories,
//! the output validated against a vendored minimal subset of the SARIF 2.1.0
//! schema (the required fields, types and enums of the parts we write) with a
//! small validator, plus direct checks of rules, results and locations.

mod common;

use common::TestRepo;
use serde_json::Value;
use std::process::Command;

/// A subset of https://json.schemastore.org/sarif-2.1.0.json: the required
/// properties, types, enums and minimums of every object manifest-gate writes.
const MINIMAL_SARIF_SCHEMA: &str = r##"{
  "type": "object",
  "required": ["version", "runs"],
  "properties": {
    "$schema": { "type": "string" },
    "version": { "enum": ["2.1.0"] },
    "runs": { "type": "array", "items": { "$ref": "#/definitions/run" } }
  },
  "definitions": {
    "run": {
      "type": "object",
      "required": ["tool"],
      "properties": {
        "tool": { "$ref": "#/definitions/tool" },
        "results": { "type": "array", "items": { "$ref": "#/definitions/result" } },
        "originalUriBaseIds": {
          "type": "object",
          "additionalProperties": { "$ref": "#/definitions/artifactLocation" }
        },
        "automationDetails": { "type": "object", "properties": { "id": { "type": "string" } } },
        "properties": { "type": "object" }
      }
    },
    "tool": {
      "type": "object",
      "required": ["driver"],
      "properties": { "driver": { "$ref": "#/definitions/toolComponent" } }
    },
    "toolComponent": {
      "type": "object",
      "required": ["name"],
      "properties": {
        "name": { "type": "string" },
        "semanticVersion": { "type": "string" },
        "rules": { "type": "array", "items": { "$ref": "#/definitions/reportingDescriptor" } }
      }
    },
    "reportingDescriptor": {
      "type": "object",
      "required": ["id"],
      "properties": {
        "id": { "type": "string" },
        "name": { "type": "string" },
        "shortDescription": { "$ref": "#/definitions/multiformatMessageString" },
        "fullDescription": { "$ref": "#/definitions/multiformatMessageString" },
        "help": { "$ref": "#/definitions/multiformatMessageString" },
        "defaultConfiguration": {
          "type": "object",
          "properties": { "level": { "enum": ["none", "note", "warning", "error"] } }
        },
        "properties": { "type": "object" }
      }
    },
    "multiformatMessageString": {
      "type": "object",
      "required": ["text"],
      "properties": { "text": { "type": "string" }, "markdown": { "type": "string" } }
    },
    "message": {
      "type": "object",
      "required": ["text"],
      "properties": { "text": { "type": "string" } }
    },
    "result": {
      "type": "object",
      "required": ["message"],
      "properties": {
        "ruleId": { "type": "string" },
        "ruleIndex": { "type": "integer", "minimum": -1 },
        "level": { "enum": ["none", "note", "warning", "error"] },
        "message": { "$ref": "#/definitions/message" },
        "locations": { "type": "array", "items": { "$ref": "#/definitions/location" } },
        "partialFingerprints": { "type": "object", "additionalProperties": { "type": "string" } }
      }
    },
    "location": {
      "type": "object",
      "properties": { "physicalLocation": { "$ref": "#/definitions/physicalLocation" } }
    },
    "physicalLocation": {
      "type": "object",
      "properties": {
        "artifactLocation": { "$ref": "#/definitions/artifactLocation" },
        "region": { "$ref": "#/definitions/region" }
      }
    },
    "artifactLocation": {
      "type": "object",
      "properties": {
        "uri": { "type": "string" },
        "uriBaseId": { "type": "string" },
        "description": { "$ref": "#/definitions/message" }
      }
    },
    "region": {
      "type": "object",
      "properties": {
        "startLine": { "type": "integer", "minimum": 1 },
        "startColumn": { "type": "integer", "minimum": 1 }
      }
    }
  }
}"##;

/// Validate `v` against `schema` (type, required, properties, items, enum,
/// minimum, additionalProperties, local $ref); errors carry JSON pointers.
fn validate(root: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let target = root
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("bad $ref {r}"));
        return validate(root, target, v, at, errs);
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            _ => true,
        };
        if !ok {
            errs.push(format!("{at}: expected {t}, got {v}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errs.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let (Some(m), Some(n)) = (schema.get("minimum").and_then(Value::as_i64), v.as_i64()) {
        if n < m {
            errs.push(format!("{at}: {n} < minimum {m}"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let k = r.as_str().unwrap();
            if !obj.contains_key(k) {
                errs.push(format!("{at}: missing required '{k}'"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(root, s, val, &format!("{at}/{k}"), errs),
                None => {
                    if let Some(s) = schema.get("additionalProperties") {
                        validate(root, s, val, &format!("{at}/{k}"), errs);
                    }
                }
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(root, items, x, &format!("{at}/{i}"), errs);
        }
    }
}

fn assert_valid_sarif(v: &Value) {
    let schema: Value = serde_json::from_str(MINIMAL_SARIF_SCHEMA).unwrap();
    let mut errs = Vec::new();
    validate(&schema, &schema, v, "", &mut errs);
    assert!(errs.is_empty(), "invalid SARIF:\n{}", errs.join("\n"));
}

#[test]
fn validator_rejects_broken_sarif() {
    let bad: Value = serde_json::json!({
        "version": "2.0.0",
        "runs": [{ "tool": { "driver": {} }, "results": [{ "level": "fatal", "locations": [
            { "physicalLocation": { "region": { "startLine": 0 } } } ] }] }]
    });
    let schema: Value = serde_json::from_str(MINIMAL_SARIF_SCHEMA).unwrap();
    let mut errs = Vec::new();
    validate(&schema, &schema, &bad, "", &mut errs);
    let all = errs.join("\n");
    for want in [
        "/version",
        "/runs/0/tool/driver: missing required 'name'",
        "/runs/0/results/0: missing required 'message'",
        "/runs/0/results/0/level",
        "startLine: 0 < minimum 1",
    ] {
        assert!(all.contains(want), "{want} not in:\n{all}");
    }
}

fn check_sarif(repo: &TestRepo, base: &str, head: &str) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["check", "--base", base, "--head", head, "--format", "sarif"])
        .arg("--repo")
        .arg(repo.path())
        .output()
        .expect("manifest-gate runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: sneaky\nspec:\n  selector:\n    matchLabels: {app: x}\n  template:\n    metadata:\n      labels: {app: x}\n    spec:\n      containers:\n      - name: x\n        image: x\n";
const ROLE: &str =
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\nrules: []\n";

#[test]
fn sarif_for_a_failing_check() {
    let role_plus = format!("{ROLE}---\n{DEPLOY}");
    let repo = TestRepo::build(&[
        &[
            (
                "base/kustomization.yaml",
                Some("resources:\n- cm.yaml\n- role.yaml\n"),
            ),
            (
                "base/cm.yaml",
                Some(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  mode: slow\n",
                ),
            ),
            ("base/role.yaml", Some(ROLE)),
            (
                "overlays/dev/kustomization.yaml",
                Some("resources:\n- ../../base\n"),
            ),
            (
                "overlays/prod/kustomization.yaml",
                Some("resources:\n- ../../base\n"),
            ),
        ],
        &[
            (
                "base/cm.yaml",
                Some(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\ndata:\n  mode: fast\n",
                ),
            ),
            ("base/role.yaml", Some(&role_plus)),
        ],
    ]);
    let (code, v) = check_sarif(&repo, "c0", "c1");
    assert_eq!(code, 1, "{v}");
    assert_valid_sarif(&v);
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &v["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "manifest-gate");
    let rule_ids: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(rule_ids, manifest_gate::policy::rules::ids());
    assert_eq!(
        &rule_ids[..4],
        [
            "single-environment",
            "unexpected-kind",
            "promotion-order",
            "config-edit"
        ]
    );
    // Rule help is the text of `manifest-gate explain`.
    let explain = manifest_gate::policy::explain("unexpected-kind").unwrap();
    assert_eq!(driver["rules"][1]["help"]["markdown"], explain);

    let results = run["results"].as_array().unwrap();
    let by_rule = |id: &str| results.iter().find(|r| r["ruleId"] == id);
    let se = by_rule("single-environment").expect("single-environment result");
    assert_eq!(se["level"], "error");
    assert_eq!(se["ruleIndex"], 0);
    let loc = &se["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "base/cm.yaml");
    assert_eq!(loc["region"]["startLine"], 6);

    let uk = by_rule("unexpected-kind").expect("unexpected-kind result");
    assert_eq!(uk["ruleIndex"], 1);
    let loc = &uk["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "base/role.yaml");
    // The Deployment's `kind:` line in the head file.
    assert_eq!(loc["region"]["startLine"], 8);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(driver["rules"][idx]["id"], r["ruleId"]);
        assert!(r["partialFingerprints"]["manifestGate/v1"].is_string());
    }
    assert_eq!(run["properties"]["passed"], false);
}

#[test]
fn sarif_for_a_passing_check() {
    let repo = TestRepo::build(&[
        &[
            ("base/kustomization.yaml", Some("resources:\n- cm.yaml\n")),
            (
                "base/cm.yaml",
                Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n"),
            ),
            (
                "overlays/dev/kustomization.yaml",
                Some("resources:\n- ../../base\n"),
            ),
        ],
        &[("README.md", Some("docs only\n"))],
    ]);
    let (code, v) = check_sarif(&repo, "c0", "c1");
    assert_eq!(code, 0, "{v}");
    assert_valid_sarif(&v);
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 0);
    assert_eq!(v["runs"][0]["properties"]["passed"], true);
}
