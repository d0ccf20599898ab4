//! Whole-section tests: loading, detection, targeting, errors, provenance.

use super::*;
use crate::kustomize::kustomization::KustKind;
use crate::source::EntryKind;
use std::collections::BTreeMap;
use std::sync::Arc;

struct Mem(BTreeMap<String, String>);

impl Source for Mem {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        self.0
            .get(path)
            .map(|s| Arc::from(s.as_bytes()))
            .ok_or_else(|| Error::in_file(path, "no such file"))
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        Ok(self.0.contains_key(path).then_some(EntryKind::File))
    }
    fn list(&self, _dir: &str) -> Result<Vec<(String, EntryKind)>> {
        Ok(Vec::new())
    }
    fn describe(&self) -> String {
        "memory".into()
    }
}

fn kust(text: &str) -> Kustomization {
    Kustomization::for_test(text)
}

fn resources(text: &str) -> Vec<Resource> {
    parse_stream(text, "app/r.yaml", &ParseOptions::resource())
        .unwrap()
        .into_iter()
        .map(|n| Resource::new(n, Pos::none()))
        .collect()
}

const RES: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: '1'}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: ns2, labels: {app: web}}\ndata: {x: '1'}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: x, image: x}, {name: y, image: y}]\n";

type Section = fn(&Kustomization, &dyn Source, &mut Vec<Resource>, &mut Vec<String>) -> Result<()>;

fn run_with(
    section: Section,
    kyaml: &str,
    files: &[(&str, &str)],
) -> Result<(Vec<Resource>, Vec<String>)> {
    let k = kust(kyaml);
    let src = Mem(files
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect());
    let mut res = resources(RES);
    let mut inputs = Vec::new();
    section(&k, &src, &mut res, &mut inputs)?;
    Ok((res, inputs))
}

fn run(kyaml: &str) -> Result<Vec<Resource>> {
    run_with(patches, kyaml, &[]).map(|r| r.0)
}

fn find<'r>(res: &'r [Resource], name: &str) -> &'r Resource {
    res.iter()
        .find(|r| r.name() == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn smp_without_target_by_id() {
    let res = run("patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    data: {y: '2'}\n").unwrap();
    assert_eq!(
        find(&res, "a").node.get("data").unwrap().to_json(),
        serde_json::json!({"x": "1", "y": "2"})
    );
    // namespace default matches no namespace; the restored namespace stays absent
    let res = run("patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a, namespace: default}\n    data: {y: '2'}\n").unwrap();
    assert_eq!(find(&res, "a").namespace(), "");
    assert!(find(&res, "a").node.get_path(&["data", "y"]).is_some());
}

#[test]
fn smp_no_match_errors() {
    let e = run("patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: zz}\n    data: {y: '2'}\n").unwrap_err();
    assert_eq!(
        e.msg,
        "no resource matches strategic merge patch \"ConfigMap.v1.[noGrp]/zz.[noNs]\": no matches for Id ConfigMap.v1.[noGrp]/zz.[noNs]; failed to find unique target for patch ConfigMap.v1.[noGrp]/zz.[noNs]"
    );
    assert_eq!(e.pos.file.as_deref(), Some("app/kustomization.yaml"));
    // a different apiVersion or namespace never matches
    assert!(run(
        "patches:\n- patch: |-\n    apiVersion: v2\n    kind: ConfigMap\n    metadata: {name: a}\n"
    )
    .is_err());
    assert!(run(
        "patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: b}\n"
    )
    .is_err());
    let e = run_with(
        patches_strategic_merge,
        "patchesStrategicMerge:\n- |-\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b, namespace: x}\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.msg,
        "no matches for Id ConfigMap.v1.[noGrp]/b.x; failed to find unique target for patch ConfigMap.v1.[noGrp]/b.x"
    );
}

#[test]
fn smp_matches_previous_ids() {
    let k = kust("patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    data: {y: '2'}\n");
    let mut res = resources(RES);
    res[0].remember_id();
    res[0].set_name("p-a", &Pos::none());
    patches(&k, &Mem(BTreeMap::new()), &mut res, &mut Vec::new()).unwrap();
    assert!(find(&res, "p-a").node.get_path(&["data", "y"]).is_some());
}

#[test]
fn smp_with_target_ignores_patch_identity() {
    let res = run("patches:\n- target: {kind: ConfigMap}\n  patch: |-\n    apiVersion: v9\n    kind: Secret\n    metadata: {name: whatever, namespace: elsewhere}\n    data: {z: '3'}\n").unwrap();
    for n in ["a", "b"] {
        let r = find(&res, n);
        assert_eq!(r.kind(), "ConfigMap");
        assert_eq!(r.api_version(), "v1");
        assert!(r.node.get_path(&["data", "z"]).is_some());
    }
    assert_eq!(find(&res, "b").namespace(), "ns2");
    assert_eq!(find(&res, "a").namespace(), "");
    // label selector
    let res = run("patches:\n- target: {labelSelector: 'app in (web)'}\n  patch: |-\n    kind: X\n    metadata: {name: x}\n    data: {z: '3'}\n").unwrap();
    assert!(find(&res, "b").node.get_path(&["data", "z"]).is_some());
    assert!(find(&res, "a").node.get_path(&["data", "z"]).is_none());
    // nothing selected: no-op
    run("patches:\n- target: {kind: Nope}\n  patch: |-\n    kind: X\n    metadata: {name: x}\n")
        .unwrap();
}

#[test]
fn smp_delete_resource_and_name_change() {
    let res = run("patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    $patch: delete\n").unwrap();
    assert_eq!(res.len(), 2);
    let res = run("patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    data: {y: '1'}\n").unwrap();
    assert_eq!(find(&res, "a").meta.previous.len(), 0);
    // without allowNameChange the name is restored
    let res = run("patches:\n- target: {name: a}\n  patch: |-\n    kind: ConfigMap\n    metadata: {name: renamed}\n").unwrap();
    assert_eq!(res[0].name(), "a");
    let res = run("patches:\n- target: {name: a}\n  options: {allowNameChange: true}\n  patch: |-\n    kind: ConfigMap\n    metadata: {name: renamed}\n").unwrap();
    assert_eq!(res[0].name(), "renamed");
    assert_eq!(res[0].original_id().name, "a");
    let res = run("patches:\n- target: {name: a}\n  options: {allowKindChange: true}\n  patch: |-\n    kind: Secret\n    metadata: {name: a}\n").unwrap();
    assert_eq!(res[0].kind(), "Secret");
}

#[test]
fn json_patches() {
    let res = run("patches:\n- target: {kind: ConfigMap, name: a}\n  patch: |-\n    - op: replace\n      path: /metadata/name\n      value: a2\n    - op: add\n      path: /data/y\n      value: '2'\n").unwrap();
    let r = find(&res, "a2");
    assert_eq!(r.original_id().name, "a");
    assert_eq!(r.node.get_path(&["data", "y"]).unwrap().pos.line, 9);
    // JSON ops written in YAML are read as YAML 1.1
    let res = run("patches:\n- target: {name: a}\n  patch: |-\n    - op: add\n      path: /data/b\n      value: yes\n").unwrap();
    assert_eq!(
        find(&res, "a")
            .node
            .get_path(&["data", "b"])
            .unwrap()
            .as_bool(),
        Some(true)
    );
    // JSON text
    let res = run("patches:\n- target: {name: a}\n  patch: '[{\"op\": \"add\", \"path\": \"/data/j\", \"value\": 1}]'\n").unwrap();
    assert!(find(&res, "a").node.get_path(&["data", "j"]).is_some());
    let e = run("patches:\n- patch: |-\n    - op: add\n      path: /data/z\n      value: q\n")
        .unwrap_err();
    assert_eq!(e.msg, "must specify a target for JSON patch");
    // target matching nothing
    run("patches:\n- target: {name: none}\n  patch: |-\n    - op: remove\n      path: /nope\n")
        .unwrap();
}

#[test]
fn detection_errors() {
    let e = run("patches:\n- patch: '[]'\n").unwrap_err();
    assert!(
        e.msg
            .contains("illegally qualifies as both an SM and JSON patch"),
        "{}",
        e.msg
    );
    let e = run("patches:\n- patch: |-\n    op: add\n    path: /data/z\n").unwrap_err();
    assert!(
        e.msg.starts_with("unable to parse SM or JSON patch"),
        "{}",
        e.msg
    );
    let e = run("patches:\n- target: {name: a}\n  patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    data: {y: '2'}\n").unwrap_err();
    assert!(
        e.msg.starts_with("unable to parse SM or JSON patch"),
        "{}",
        e.msg
    );
    let e = run("patches:\n- patch: ''\n").unwrap_err();
    assert!(
        e.msg.contains("must specify one of patch and path"),
        "{}",
        e.msg
    );
    let e = run("patches:\n- {patch: x, path: y}\n").unwrap_err();
    assert!(e.msg.contains("can't be set at the same time"), "{}", e.msg);
}

#[test]
fn files_and_inputs() {
    let (res, inputs) = run_with(
        patches,
        "patches:\n- path: p/patch.yaml\n- path: ../shared/ops.yaml\n  target: {name: b}\n",
        &[
            (
                "app/p/patch.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  q: '9'\n",
            ),
            (
                "shared/ops.yaml",
                "- op: add\n  path: /data/o\n  value: v\n",
            ),
        ],
    )
    .unwrap();
    assert_eq!(inputs, ["app/p/patch.yaml", "shared/ops.yaml"]);
    let q = find(&res, "a").node.get_path(&["data", "q"]).unwrap();
    assert_eq!(
        (q.pos.file.as_deref(), q.pos.line),
        (Some("app/p/patch.yaml"), 6)
    );
    let o = find(&res, "b").node.get_path(&["data", "o"]).unwrap();
    assert_eq!(
        (o.pos.file.as_deref(), o.pos.line),
        (Some("shared/ops.yaml"), 3)
    );
    let e = run_with(patches, "patches:\n- path: missing.yaml\n", &[]).unwrap_err();
    assert!(e.msg.contains("no such file"));
}

#[test]
fn inline_positions_are_kustomization_lines() {
    let (res, _) = run_with(
        patches,
        "patches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n    data:\n      y: '2'\n",
        &[],
    )
    .unwrap();
    let y = find(&res, "a").node.get_path(&["data", "y"]).unwrap();
    assert_eq!(
        (y.pos.file.as_deref(), y.pos.line),
        (Some("app/kustomization.yaml"), 7)
    );
}

#[test]
fn legacy_sections() {
    let (res, inputs) = run_with(
        patches_strategic_merge,
        "patchesStrategicMerge:\n- p.yaml\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d}\n  spec:\n    template:\n      spec:\n        containers: [{name: y, image: y2}]\n",
        &[("app/p.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {p: '1'}\n")],
    )
    .unwrap();
    assert_eq!(inputs, ["app/p.yaml"]);
    assert!(find(&res, "a").node.get_path(&["data", "p"]).is_some());
    let c = find(&res, "d")
        .node
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap();
    assert_eq!(
        c.to_json(),
        serde_json::json!([{"name": "y", "image": "y2"}, {"name": "x", "image": "x"}])
    );

    let (res, _) = run_with(
        patches_json6902,
        "patchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: a}\n  patch: |-\n    - op: replace\n      path: /metadata/name\n      value: a3\n",
        &[],
    )
    .unwrap();
    assert_eq!(find(&res, "a3").meta.previous.len(), 0);
    let e = run_with(
        patches_json6902,
        "patchesJson6902:\n- target: {version: v1, kind: ConfigMap}\n  patch: '[]'\n",
        &[],
    )
    .unwrap_err();
    assert!(e.msg.contains("must specify the target name"));
}

/// Single-level conformance cases that only use resources files and patches
/// (skipped when the shared conformance tree is absent).
#[test]
fn conformance_single_level_patch_cases() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/conformance/kustomize/cases");
    if !root.exists() {
        eprintln!("skipping: {} not found", root.display());
        return;
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for case in names {
        let target = std::fs::read_to_string(case.join("target"))
            .unwrap_or_default()
            .trim()
            .to_string();
        let dir = if target == "." {
            String::new()
        } else {
            target.clone()
        };
        let inp = case.join("in");
        let kfile = if dir.is_empty() {
            "kustomization.yaml".to_string()
        } else {
            format!("{dir}/kustomization.yaml")
        };
        let Ok(ktext) = std::fs::read_to_string(inp.join(&kfile)) else {
            continue;
        };
        let node = parse_stream(&ktext, &kfile, &ParseOptions::kustomization())
            .unwrap()
            .remove(0);
        let Some(m) = node.as_map() else { continue };
        let allowed = [
            "resources",
            "patches",
            "patchesStrategicMerge",
            "patchesJson6902",
            "apiVersion",
            "kind",
        ];
        // name references are another stage's work
        if case.ends_with("gvknpatch__TestNameReferenceAfterGvknChange") {
            continue;
        }
        if !m.keys().any(|k| k.starts_with("patches"))
            || m.keys().any(|k| !allowed.contains(&k.as_str()))
        {
            continue;
        }
        let src = crate::source::FsSource::new(&inp).unwrap();
        let k = Kustomization {
            file: kfile.clone(),
            dir: dir.clone(),
            kind: KustKind::Kustomization,
            node: node.clone(),
        };
        let mut res = Vec::new();
        let mut only_files = true;
        for (r, _) in k.strings("resources").unwrap() {
            let p = crate::source::join(&dir, &r).unwrap();
            if src.entry(&p).unwrap() != Some(EntryKind::File) {
                only_files = false;
                break;
            }
            let text = decode(&src.read(&p).unwrap(), &p).unwrap();
            for d in parse_stream(&text, &p, &ParseOptions::resource()).unwrap() {
                if !d.is_null() {
                    res.push(Resource::new(d, Pos::none()));
                }
            }
        }
        if !only_files {
            continue;
        }
        checked += 1;
        let mut inputs = Vec::new();
        let out = patches_strategic_merge(&k, &src, &mut res, &mut inputs)
            .and_then(|_| patches(&k, &src, &mut res, &mut inputs))
            .and_then(|_| patches_json6902(&k, &src, &mut res, &mut inputs));
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let expect_err = case.join("expect-error").exists();
        match (out, expect_err) {
            (Err(_), true) => {}
            (Err(e), false) => failures.push(format!("{name}: unexpected error {e}")),
            (Ok(()), true) => failures.push(format!("{name}: expected an error")),
            (Ok(()), false) => {
                let exp = std::fs::read_to_string(case.join("expected.yaml")).unwrap();
                let want: Vec<Node> = parse_stream(&exp, "e", &ParseOptions::resource())
                    .unwrap()
                    .into_iter()
                    .filter(|d| !d.is_null())
                    .collect();
                let mut got: Vec<Node> = res.iter().map(|r| r.node.clone()).collect();
                let mut missing = Vec::new();
                for w in want {
                    match got.iter().position(|g| *g == w) {
                        Some(i) => {
                            got.remove(i);
                        }
                        None => missing.push(w.to_json().to_string()),
                    }
                }
                if !missing.is_empty() || !got.is_empty() {
                    let extra: Vec<String> = got.iter().map(|g| g.to_json().to_string()).collect();
                    failures.push(format!(
                        "{name}:\n  missing {missing:?}\n  unexpected {extra:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{checked} checked, failures:\n{}",
        failures.join("\n")
    );
    assert!(checked > 5, "only {checked} cases checked");
}
