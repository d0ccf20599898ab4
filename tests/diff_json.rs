//! The JSON format is a contract (docs/diff-json.md): parse it back and check
//! every documented field. Also snapshots the three formats of a hand-built
//! report (independent of the renderer).

use manifest_gate::diff::compare::diff_resources;
use manifest_gate::diff::{DiffReport, Masker, OverlayDiff, OverlayStatus};
use manifest_gate::model::Resource;
use manifest_gate::report::{render_json, render_report, render_text, Format};
use manifest_gate::yaml::{parse_stream, ParseOptions};
use serde_json::Value;

fn res(file: &str, yaml: &str) -> Vec<Resource> {
    parse_stream(yaml, file, &ParseOptions::resource())
        .unwrap()
        .into_iter()
        .map(|n| {
            let pos = n.pos.clone();
            Resource::new(n, pos)
        })
        .collect()
}

const OLD: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
      - name: agent
        image: agent:1
        env:
        - name: A
          value: a
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: conf-5t8g2c6m9h
  namespace: prod
data:
  app.conf: |
    a=1
    b=2
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: prod
stringData:
  password: hunter2
---
apiVersion: v1
kind: Service
metadata:
  name: old
  namespace: prod
";

const NEW: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
      - name: agent
        image: agent:2
        env:
        - name: A
          value: a
        - name: B
          value: b
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: conf-8k9d7f2b4c
  namespace: prod
data:
  app.conf: |
    a=1
    b=3
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: prod
stringData:
  password: swordfish
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: prod
";

fn report() -> DiffReport {
    let m = Masker::with_key(b"k");
    let changes = diff_resources(
        &res("apps/web/base.yaml", OLD),
        &res("apps/web/overlays/prod/all.yaml", NEW),
        &m,
    );
    DiffReport {
        base: "main".into(),
        head: "feature".into(),
        base_commit: None,
        head_commit: None,
        overlays: vec![
            OverlayDiff {
                path: "apps/web/overlays/prod".into(),
                environment: Some("prod".into()),
                status: OverlayStatus::Modified,
                inputs_changed: true,
                changes,
                unrenderable: None,
                deployment: None,
                not_rendered: false,
            },
            OverlayDiff {
                path: "apps/web/overlays/dev".into(),
                environment: Some("dev".into()),
                status: OverlayStatus::Unchanged,
                inputs_changed: false,
                changes: vec![],
                unrenderable: None,
                deployment: None,
                not_rendered: false,
            },
        ],
        summary: Default::default(),
        ignored: Default::default(),
    }
}

#[test]
fn json_shape_is_the_documented_one() {
    let text = render_json(&report());
    assert!(!text.contains("hunter2") && !text.contains("swordfish"));
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["base"], "main");
    assert_eq!(v["head"], "feature");
    let ovs = v["overlays"].as_array().unwrap();
    assert_eq!(ovs.len(), 2);
    let o = &ovs[0];
    assert_eq!(o["path"], "apps/web/overlays/prod");
    assert_eq!(o["environment"], "prod");
    assert_eq!(o["status"], "modified");
    assert_eq!(o["inputs_changed"], true);
    let changes = o["changes"].as_array().unwrap();
    let actions: Vec<(&str, &str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap(),
                c["kind"].as_str().unwrap(),
                c["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("modified", "ConfigMap", "conf-8k9d7f2b4c"),
            ("modified", "Secret", "creds"),
            ("removed", "Service", "old"),
            ("modified", "Deployment", "web"),
            ("added", "Ingress", "web"),
        ]
    );
    for c in changes {
        for key in [
            "action",
            "group",
            "version",
            "kind",
            "namespace",
            "name",
            "fields",
        ] {
            assert!(c.get(key).is_some(), "missing {key} in {c}");
        }
        assert!(c.get("yaml_diff").is_none());
    }
    let cm = &changes[0];
    assert_eq!(cm["old_name"], "conf-5t8g2c6m9h");
    assert_eq!(cm["origin"]["path"], "apps/web/overlays/prod/all.yaml");
    let text_field = cm["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "data[\"app.conf\"]")
        .unwrap();
    assert!(text_field["text_diff"].as_str().unwrap().contains("+b=3"));
    let secret = &changes[1];
    assert_eq!(secret["secret"], true);
    assert!(secret["fields"][0]["new"]
        .as_str()
        .unwrap()
        .starts_with("<secret sha256:"));
    let deploy = &changes[3];
    assert_eq!(deploy["group"], "apps");
    assert_eq!(deploy["version"], "v1");
    let f = &deploy["fields"][0];
    assert_eq!(f["path"], "spec.template.spec.containers[name=agent].image");
    assert_eq!(f["old"], "agent:1");
    assert_eq!(f["new"], "agent:2");
    assert_eq!(f["source"]["path"], "apps/web/overlays/prod/all.yaml");
    assert_eq!(f["source"]["line"], 11);
    let added = &deploy["fields"][1];
    assert_eq!(
        added["path"],
        "spec.template.spec.containers[name=agent].env[name=B]"
    );
    assert!(added.get("old").is_none());
    assert_eq!(added["new"], serde_json::json!({"name": "B", "value": "b"}));
    assert_eq!(ovs[1]["status"], "unchanged");
    assert_eq!(ovs[1]["changes"].as_array().unwrap().len(), 0);
}

#[test]
fn formats_snapshot() {
    let r = report();
    insta::assert_snapshot!("formats_text", render_text(&r, false));
    insta::assert_snapshot!("formats_markdown", render_report(&r, Format::Markdown));
    insta::assert_snapshot!("formats_json", render_json(&r));
    let coloured = render_text(&r, true);
    assert!(coloured.contains("\x1b[32m"));
    assert_eq!("json".parse::<Format>().unwrap(), Format::Json);
    assert!("yaml".parse::<Format>().is_err());
}
