use super::*;
use crate::source::EntryKind;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An in-memory source for tests.
pub(crate) struct MemSource(pub BTreeMap<String, String>);

impl Source for MemSource {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        match self.0.get(path) {
            Some(s) => Ok(Arc::from(s.as_bytes())),
            None => Err(Error::msg(format!("no such file '{path}'"))),
        }
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        Ok(self.0.get(path).map(|_| EntryKind::File))
    }
    fn list(&self, _dir: &str) -> Result<Vec<(String, EntryKind)>> {
        Ok(Vec::new())
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

pub(crate) fn resources(text: &str) -> Vec<Resource> {
    parse_stream(text, "app/res.yaml", &ParseOptions::resource())
        .unwrap()
        .into_iter()
        .map(|n| {
            let pos = n.pos.clone();
            Resource::new(n, pos)
        })
        .collect()
}

fn kust(text: &str) -> Kustomization {
    Kustomization::for_test(text)
}

/// Compare with kubectl's output (documents matched by kind and name, JSON equality).
pub(crate) fn assert_same(res: &[Resource], expected: &str) {
    let exp = parse_stream(expected, "exp.yaml", &ParseOptions::resource()).unwrap();
    assert_eq!(res.len(), exp.len(), "number of resources");
    for e in exp {
        let kind = e.str_at(&["kind"]).unwrap();
        let name = e.str_at(&["metadata", "name"]).unwrap();
        let got = res
            .iter()
            .find(|r| r.kind() == kind && r.name() == name)
            .unwrap_or_else(|| panic!("no {kind}/{name}"));
        assert_eq!(got.node.to_json(), e.to_json(), "{kind}/{name}");
    }
}

fn run(res_text: &str, k_text: &str) -> Result<Vec<Resource>> {
    let mut res = resources(res_text);
    let k = kust(k_text);
    let src = MemSource(BTreeMap::new());
    replacements(&k, &src, &mut res, &mut Vec::new())?;
    Ok(res)
}

const RES: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  port: \"8080\"
  host: a.b.c
  nul:
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.0
        env:
        - name: X
          value: old
      - name: myapp
        image: foo:2
";

#[test]
fn create_regex_delimiter_and_lists() {
    // Verified with kubectl kustomize v5.5.0.
    let k = r#"
replacements:
- source: {kind: ConfigMap, name: cm, fieldPath: data.port}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.replicas, "spec.template.spec.containers.[name=app].env.[name=X].value", metadata.labels.newlbl, spec.template.spec.containers.0.ports.0.containerPort, "spec.template.spec.containers.[name=app].env.[name=Y].value"]
    options: {create: true}
- source: {kind: ConfigMap, name: cm, fieldPath: data.host, options: {delimiter: ".", index: 1}}
  targets:
  - select: {kind: Deployment}
    fieldPaths: ["spec.template.spec.containers.[name=app].image"]
    options: {delimiter: ":", index: 5}
  - select: {kind: ConfigMap}
    fieldPaths: [data.host]
- source: {kind: Deployment, fieldPath: spec.template.spec.containers}
  targets:
  - select: {kind: ConfigMap}
    fieldPaths: [data.list]
    options: {create: true}
"#;
    let res = run(RES, k).unwrap();
    assert_same(
        &res,
        r#"apiVersion: v1
data:
  host: b
  list:
  - env:
    - name: X
      value: "8080"
    - name: "Y"
      value: 8080
    image: nginx:1.0:b
    name: app
    ports:
    - containerPort: 8080
  - env:
    - name: X
      value: 8080
    - name: "Y"
      value: 8080
    image: foo:2:b
    name: myapp
  nul: null
  port: "8080"
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: apps/v1
kind: Deployment
metadata:
  labels:
    newlbl: 8080
  name: dep
spec:
  replicas: 8080
  template:
    spec:
      containers:
      - env:
        - name: X
          value: "8080"
        - name: "Y"
          value: 8080
        image: nginx:1.0:b
        name: app
        ports:
        - containerPort: 8080
      - env:
        - name: X
          value: 8080
        - name: "Y"
          value: 8080
        image: foo:2:b
        name: myapp
"#,
    );
    // Provenance: the replicas value came from the ConfigMap's data.port line.
    let dep = res.iter().find(|r| r.kind() == "Deployment").unwrap();
    let rep = dep.node.get_path(&["spec", "replicas"]).unwrap();
    assert_eq!(rep.pos.line, 6);
    assert_eq!(rep.pos.file.as_deref(), Some("app/res.yaml"));
}

#[test]
fn wildcard_reject_and_default_paths() {
    let k = r#"
replacements:
- source: {kind: ConfigMap, fieldPath: data.host}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.template.spec.containers.*.image]
  - select: {kind: ConfigMap}
    reject: [{name: cm}]
- source: {kind: Deployment, fieldPath: spec.replicas}
  targets:
  - select: {kind: Deployment}
    fieldPaths: [spec.template.spec.containers.0.name, spec.foo]
    options: {create: true}
"#;
    let res = run(RES, k).unwrap();
    let dep = res.iter().find(|r| r.kind() == "Deployment").unwrap();
    let c = dep
        .node
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap();
    assert_eq!(c[0].str_at(&["image"]), Some("a.b.c"));
    assert_eq!(c[1].str_at(&["image"]), Some("a.b.c"));
    // Existing string keeps its type; a created field is typed from the text.
    assert_eq!(c[0].str_at(&["name"]), Some("1"));
    assert_eq!(
        dep.node.get_path(&["spec", "foo"]).unwrap().as_i64(),
        Some(1)
    );
    let cm = res.iter().find(|r| r.kind() == "ConfigMap").unwrap();
    assert_eq!(cm.name(), "cm");
}

#[test]
fn map_into_scalar_gives_empty_string() {
    let k = "replacements:\n- source: {kind: ConfigMap, fieldPath: data}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.template.spec.containers.0.image]\n";
    let res = run(RES, k).unwrap();
    let dep = res.iter().find(|r| r.kind() == "Deployment").unwrap();
    assert_eq!(
        dep.node.str_at(&["spec", "template", "spec", "containers"]),
        None
    );
    let c = dep
        .node
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap();
    assert_eq!(c[0].str_at(&["image"]), Some(""));
}

#[test]
fn source_matches_previous_ids_and_names_default_to_metadata_name() {
    let mut res = resources(RES);
    // cm was renamed from old-cm.
    let old = res[0].id();
    let mut old_id = old.clone();
    old_id.name = "old".into();
    res[0].meta.previous.push(old_id);
    let k = kust("replacements:\n- source: {kind: ConfigMap, name: old}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [metadata.annotations.cm]\n    options: {create: true}\n");
    replacements(&k, &MemSource(BTreeMap::new()), &mut res, &mut Vec::new()).unwrap();
    assert_eq!(res[1].annotation("cm"), Some("cm"));
}

#[test]
fn errors() {
    let cases = [
        ("- source: {kind: ConfigMap, name: nope}\n  targets: [{select: {kind: Deployment}}]", "nothing selected by ConfigMap.[noVer].[noGrp]/nope.[noNs]"),
        ("- source: {version: v1}\n  targets: [{select: {kind: Deployment}}]", "multiple matches for selector"),
        ("- source: {kind: ConfigMap, fieldPath: data.zzz}\n  targets: [{select: {kind: Deployment}}]", "fieldPath `data.zzz` is missing for replacement source ConfigMap.[noVer].[noGrp]/[noName].[noNs]"),
        ("- source: {kind: ConfigMap, fieldPath: data.host, options: {delimiter: '.', index: 3}}\n  targets: [{select: {kind: Deployment}}]", "options.index 3 is out of bounds for the source value (3 pieces split at \".\")"),
        ("- source: {kind: ConfigMap, fieldPath: data.host}\n  targets: [{select: {kind: Deployment}, fieldPaths: [spec.foo.bar]}]", "unable to find field \"spec.foo.bar\" in replacement target"),
        ("- source: {kind: ConfigMap, fieldPath: data.host}\n  targets: [{select: {kind: Deployment}, fieldPaths: [spec.template.spec.containers.image]}]", "wrong node kind: expected MappingNode but got SequenceNode"),
        ("- source: {kind: ConfigMap, fieldPath: data.host}\n  targets: [{select: {kind: Deployment}, fieldPaths: ['spec.template.spec.containers[name=app].image']}]", "unable to find field"),
        ("- source: {kind: ConfigMap, fieldPath: data.host}\n  targets: [{select: {kind: ConfigMap}, fieldPaths: [data.nul]}]", "cannot decode the !!str source value as a !!null"),
        ("- source: {kind: ConfigMap, fieldPath: data.host}\n  targets: [{select: {kind: Deployment}, fieldPaths: [spec.replicas]}]", "as a !!int"),
        ("- source: {kind: ConfigMap, fieldPath: data.host}", "replacements must specify a source and at least one target"),
        ("- source: {kind: ConfigMap, fieldPath: data.host}\n  targets: [{fieldPaths: [a]}]", "target must specify resources to select"),
        ("- path: r.yaml\n  source: {kind: ConfigMap}", "cannot specify both path and inline replacement"),
        ("- source: {kind: ConfigMap, fieldPath: 'data.*'}\n  targets: [{select: {kind: Deployment}}]", "wildcard is not supported"),
    ];
    for (r, want) in cases {
        let err = run(RES, &format!("replacements:\n{r}\n")).unwrap_err();
        assert!(err.msg.contains(want), "{r}\n got: {err}\n want: {want}");
    }
}

#[test]
fn replacements_from_path_files() {
    let mut files = BTreeMap::new();
    files.insert(
        "app/repl/one.yaml".to_string(),
        "source: {kind: ConfigMap, fieldPath: data.port}\ntargets:\n- select: {kind: Deployment}\n  fieldPaths: [spec.replicas]\n".to_string(),
    );
    files.insert(
        "app/repl/list.yaml".to_string(),
        "- source: {kind: ConfigMap, fieldPath: data.host}\n  targets:\n  - select: {name: cm}\n    fieldPaths: [data.port]\n".to_string(),
    );
    let mut res = resources(RES);
    let k = kust("replacements:\n- path: repl/one.yaml\n- path: repl/list.yaml\n");
    let mut inputs = Vec::new();
    replacements(&k, &MemSource(files), &mut res, &mut inputs).unwrap();
    assert_eq!(inputs, ["app/repl/one.yaml", "app/repl/list.yaml"]);
    assert_eq!(
        res[1]
            .node
            .get_path(&["spec", "replicas"])
            .unwrap()
            .as_i64(),
        Some(8080)
    );
    assert_eq!(res[0].node.str_at(&["data", "port"]), Some("a.b.c"));
    let rep = res[1].node.get_path(&["spec", "replicas"]).unwrap();
    assert_eq!(rep.pos.file.as_deref(), Some("app/res.yaml"));
    let k = kust("replacements:\n- path: ../../x.yaml\n");
    assert!(replacements(&k, &MemSource(BTreeMap::new()), &mut res, &mut Vec::new()).is_err());
}

#[test]
fn label_and_annotation_selectors() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: src\ndata:\n  v: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {app: web, tier: fe}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  labels: {app: db}\n  annotations: {skip: 'yes'}\n";
    let k = "replacements:\n- source: {name: src, fieldPath: data.v}\n  targets:\n  - select: {labelSelector: 'app in (web,db)'}\n    reject: [{annotationSelector: skip}]\n    fieldPaths: [data.v]\n    options: {create: true}\n";
    let res = run(text, k).unwrap();
    assert_eq!(res[1].node.str_at(&["data", "v"]), Some("x"));
    assert_eq!(res[2].node.get("data"), None);
    assert!(matches_selector(
        "app=web,tier!=be,!missing",
        res[1].node.get_path(&["metadata", "labels"])
    )
    .unwrap());
    assert!(!matches_selector(
        "app notin (web)",
        res[1].node.get_path(&["metadata", "labels"])
    )
    .unwrap());
    assert!(matches_selector("", None).unwrap());
}

#[test]
fn path_splitting() {
    assert_eq!(smarter_split("a.[name=x.y].b"), ["a", "[name=x.y]", "b"]);
    assert_eq!(
        smarter_split("metadata.annotations.[a.b/c]"),
        ["metadata", "annotations", "a.b/c"]
    );
    assert_eq!(smarter_split("a\\.b.c"), ["a.b", "c"]);
}
