use super::*;
use crate::kustomize::build::restrict::{restricted, LoadRestrictor};
use crate::source::EntryKind;
use std::collections::BTreeMap;

struct Mem(BTreeMap<String, Vec<u8>>);

impl Source for Mem {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        self.0
            .get(path)
            .map(|b| Arc::from(b.as_slice()))
            .ok_or_else(|| Error::msg(format!("'{path}' does not exist")))
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

fn mem(files: &[(&str, &[u8])]) -> Mem {
    Mem(files
        .iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect())
}

fn run_with(kust: &str, files: &[(&str, &[u8])], res: &mut Vec<Resource>) -> Result<Vec<String>> {
    let k = Kustomization::parse(kust, "app/kustomization.yaml")?;
    let mut inputs = Vec::new();
    let files = mem(files);
    // as the renderer reads: with kustomize's default load restrictor
    let src = restricted(&files, &k.dir, LoadRestrictor::RootOnly);
    run_generators(&k, &src, res, &mut inputs)?;
    Ok(inputs)
}

fn run(kust: &str, files: &[(&str, &[u8])]) -> Result<Vec<Resource>> {
    let mut res = Vec::new();
    run_with(kust, files, &mut res)?;
    Ok(res)
}

fn json(r: &Resource) -> serde_json::Value {
    r.node.to_json()
}

fn cm(data: serde_json::Value) -> Node {
    Node::from_json(
        &serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": data}),
    )
}

#[test]
fn hash_check_values() {
    assert_eq!(
        content_hash(&cm(serde_json::json!({"a": "1"}))),
        "h29d89cmmt"
    );
    assert_eq!(
        content_hash(&cm(serde_json::json!({"a": "2"}))),
        "6gtghh96k8"
    );
    // HTML characters are escaped as Go does (verified with kubectl kustomize)
    assert_eq!(
        content_hash(&cm(serde_json::json!({"c": "x<y&z"}))),
        "9ccdm86m8m"
    );
    let secret = Node::from_json(&serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "MQ=="}}));
    assert_eq!(content_hash(&secret), "25khgmg44c");
    let bin = Node::from_json(&serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bin"}, "binaryData": {"b.bin": "//4="}}));
    assert_eq!(content_hash(&bin), "9ghc4tgkt6");
    // the name, labels and annotations never change the hash
    let mut other = cm(serde_json::json!({"a": "1"}));
    other
        .get_mut("metadata")
        .unwrap()
        .set("name", Node::str("zzz", Pos::none()));
    other
        .get_mut("metadata")
        .unwrap()
        .set("labels", Node::from_json(&serde_json::json!({"x": "y"})));
    assert_eq!(content_hash(&other), "h29d89cmmt");
}

#[test]
fn generates_and_hashes_end_to_end() {
    let mut res = run(
        "configMapGenerator:\n- name: cm\n  literals:\n  - a=1\n",
        &[],
    )
    .unwrap();
    assert_eq!(res.len(), 1);
    assert_eq!(
        json(&res[0]),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}})
    );
    assert_eq!(
        res[0].meta.generated,
        Some(GeneratedBy {
            behavior: Behavior::Create,
            hash: true
        })
    );
    assert_eq!(res[0].origin.line, 2);
    assert_eq!(res[0].node.get_path(&["data", "a"]).unwrap().pos.line, 4);
    apply_hash_suffixes(&mut res).unwrap();
    assert_eq!(res[0].name(), "cm-h29d89cmmt");
    assert_eq!(res[0].meta.name_before_hash.as_deref(), Some("cm"));
    assert_eq!(res[0].meta.previous.len(), 1);
    assert_eq!(res[0].meta.previous[0].name, "cm");
}

#[test]
fn configmaps_before_secrets_and_secret_shape() {
    let res = run(
        "secretGenerator:\n- name: s\n  literals: [a=1]\n- name: t\n  type: kubernetes.io/tls\n  literals: [b=2]\nconfigMapGenerator:\n- name: c\n",
        &[],
    )
    .unwrap();
    let names: Vec<&str> = res.iter().map(|r| r.name()).collect();
    assert_eq!(names, ["c", "s", "t"]);
    // an empty ConfigMap has no data; a Secret always has data
    assert!(res[0].node.get("data").is_none());
    assert_eq!(
        json(&res[1]),
        serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "MQ=="}})
    );
    assert_eq!(res[2].node.str_at(&["type"]), Some("kubernetes.io/tls"));
    let mut res = res;
    apply_hash_suffixes(&mut res).unwrap();
    assert_eq!(res[1].name(), "s-25khgmg44c");
}

#[test]
fn literals() {
    let res = run(
        "configMapGenerator:\n- name: cm\n  literals:\n  - a=x=y\n  - b='q'\n  - c=\"q\"\n  - d='q\"\n  - e=\n  - f=\"\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        json(&res[0])["data"],
        serde_json::json!({"a": "x=y", "b": "q", "c": "q", "d": "'q\"", "e": "", "f": "\""})
    );
    let e = run(
        "configMapGenerator:\n- name: cm\n  literals:\n  - a=1\n  - =x\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(
        e.msg,
        "invalid literal source, expected key=value (the value is not shown)"
    );
    assert_eq!(e.pos.line, 5);
    let e = run(
        "configMapGenerator:\n- name: cm\n  literals:\n  - novalue\n",
        &[],
    )
    .unwrap_err();
    assert!(!e.msg.contains("novalue"));
}

#[test]
fn errors_name_and_repeats() {
    let e = run("configMapGenerator:\n- literals: [a=1]\n", &[]).unwrap_err();
    assert_eq!(e.msg, "a configmap must have a name");
    assert_eq!(e.pos.line, 2);
    let e = run("secretGenerator:\n- name: ''\n", &[]).unwrap_err();
    assert_eq!(e.msg, "a configmap must have a name");
    let e = run(
        "configMapGenerator:\n- name: cm\n  literals: [a=1]\n  files: [a]\n",
        &[("app/a", b"x")],
    )
    .unwrap_err();
    assert_eq!(e.msg, "configmap cm illegally repeats the key `a`");
    assert_eq!(e.pos.file.as_deref(), Some("app/a"));
}

#[test]
fn files_sources() {
    let inputs = {
        let mut res = Vec::new();
        let i = run_with(
            "configMapGenerator:\n- name: cm\n  files:\n  - conf/app.properties\n  - other=conf/b.txt\n  - bin=conf/b.bin\n",
            &[("app/conf/app.properties", b"x=1\r\ny=2\r\n"), ("app/conf/b.txt", b"hello"), ("app/conf/b.bin", b"\xff\xfe")],
            &mut res,
        )
        .unwrap();
        let r = &res[0];
        // content verbatim, CRLF kept
        assert_eq!(
            r.node.str_at(&["data", "app.properties"]),
            Some("x=1\r\ny=2\r\n")
        );
        assert_eq!(r.node.str_at(&["data", "other"]), Some("hello"));
        assert_eq!(r.node.str_at(&["binaryData", "bin"]), Some("//4="));
        let p = &r.node.get_path(&["data", "other"]).unwrap().pos;
        assert_eq!((p.file.as_deref(), p.line), (Some("app/conf/b.txt"), 1));
        i
    };
    assert_eq!(
        inputs,
        [
            "app/conf/app.properties",
            "app/conf/b.txt",
            "app/conf/b.bin"
        ]
    );
    for (src, msg) in [
        (
            "=a",
            "missing key name for file path \"a\" in source \"=a\"",
        ),
        (
            "k=",
            "missing file path for key name \"k\" in source \"k=\"",
        ),
        (
            "a=b=c",
            "source \"a=b=c\" key name or file path contains '='",
        ),
    ] {
        let e = run(
            &format!("configMapGenerator:\n- name: cm\n  files:\n  - {src}\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.msg, msg);
        assert_eq!(e.pos.line, 4);
    }
    // missing file: error at the entry
    let e = run(
        "configMapGenerator:\n- name: cm\n  files:\n  - nope.txt\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(e.pos.line, 4);
    assert!(e.msg.contains("app/nope.txt"), "{}", e.msg);
    // outside the kustomization directory
    let e = run(
        "configMapGenerator:\n- name: cm\n  files:\n  - ../x.txt\n",
        &[("x.txt", b"x")],
    )
    .unwrap_err();
    assert_eq!(e.msg, "security; file 'x.txt' is not in or below 'app'");
    assert!(run(
        "configMapGenerator:\n- name: cm\n  files:\n  - ../../x.txt\n",
        &[]
    )
    .is_err());
}

#[test]
fn env_files() {
    let env = b"\xef\xbb\xbfA=1\r\n  B = x\n\n# comment\n   # indented comment\nC=\"q\"\nG=x # c\nH\nexport I=1\n=skipped\nJ=a=b\r\nK=last";
    let res = run(
        "configMapGenerator:\n- name: cm\n  envs: [e.env]\n",
        &[("app/e.env", env)],
    )
    .unwrap();
    assert_eq!(
        json(&res[0])["data"],
        serde_json::json!({"A": "1", "B ": " x", "C": "\"q\"", "G": "x # c", "H": "", "export I": "1", "J": "a=b", "K": "last"})
    );
    let p = &res[0].node.get_path(&["data", "C"]).unwrap().pos;
    assert_eq!((p.file.as_deref(), p.line), (Some("app/e.env"), 6));
    // deprecated env: folded, read after envs
    let res = run(
        "configMapGenerator:\n- name: cm\n  env: a.env\n  envs: [b.env]\n",
        &[("app/a.env", b"A=1\n"), ("app/b.env", b"B=2\n")],
    )
    .unwrap();
    assert_eq!(
        json(&res[0])["data"],
        serde_json::json!({"A": "1", "B": "2"})
    );
    // invalid UTF-8 line
    let e = run(
        "configMapGenerator:\n- name: cm\n  envs: [e.env]\n",
        &[("app/e.env", b"A=1\nB=\xff\n")],
    )
    .unwrap_err();
    assert_eq!(e.pos.line, 2);
    assert_eq!(e.pos.file.as_deref(), Some("app/e.env"));
    // a BOM after line 1 is part of the key
    let res = run(
        "configMapGenerator:\n- name: cm\n  envs: [e.env]\n",
        &[("app/e.env", "A=1\n\u{feff}B=2\n".as_bytes())],
    )
    .unwrap();
    assert!(res[0].node.get_path(&["data", "\u{feff}B"]).is_some());
    // a line over 64 KiB stops the scan silently
    let mut big = b"A=1\nB=".to_vec();
    big.extend(std::iter::repeat_n(b'x', 70_000));
    big.extend(b"\nC=3\n");
    let res = run(
        "configMapGenerator:\n- name: cm\n  envs: [e.env]\n",
        &[("app/e.env", &big)],
    )
    .unwrap();
    assert_eq!(json(&res[0])["data"], serde_json::json!({"A": "1"}));
    // env values in order envs, literals, files; a repeat across sources fails
    let e = run(
        "configMapGenerator:\n- name: cm\n  envs: [e.env]\n  literals: [A=2]\n",
        &[("app/e.env", b"A=1\n")],
    )
    .unwrap_err();
    assert_eq!(e.msg, "configmap cm illegally repeats the key `A`");
    assert_eq!(e.pos.line, 4);
}

#[test]
fn secret_base64_wrapping() {
    assert_eq!(encode_base64(b"1"), "MQ==");
    let long = vec![b'a'; 60]; // 80 base64 chars
    let enc = encode_base64(&long);
    let lines: Vec<&str> = enc.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].len(), 71);
    assert!(enc.ends_with('\n'));
    // 72 characters: two lines, each ending in a newline (verified with kubectl kustomize)
    let enc = encode_base64(&[b'b'; 52]);
    assert_eq!(
        enc,
        "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYg\n==\n"
    );
    // 68 characters: no newline
    assert!(!encode_base64(&[b'b'; 51]).ends_with('\n'));
    let mut res = run(
        &format!(
            "secretGenerator:\n- name: s\n  literals:\n  - a={}\n  - b={}\n",
            "b".repeat(52),
            "b".repeat(51)
        ),
        &[],
    )
    .unwrap();
    apply_hash_suffixes(&mut res).unwrap();
    assert_eq!(res[0].name(), "s-27m5c4926m");
}

#[test]
fn options_and_generator_options() {
    let res = run(
        "generatorOptions:\n  labels: {g: global, both: global}\n  annotations: {ga: x}\n  immutable: true\nconfigMapGenerator:\n- name: cm\n  literals: [a=1]\n  options:\n    labels: {both: local}\n    disableNameSuffixHash: true\n- name: cm2\n  literals: [a=1]\n  options:\n    disableNameSuffixHash: false\n",
        &[],
    )
    .unwrap();
    let r = json(&res[0]);
    assert_eq!(
        r["metadata"]["labels"],
        serde_json::json!({"g": "global", "both": "local"})
    );
    assert_eq!(r["metadata"]["annotations"], serde_json::json!({"ga": "x"}));
    assert_eq!(r["immutable"], serde_json::json!(true));
    assert!(!res[0].meta.generated.as_ref().unwrap().hash);
    assert!(res[1].meta.generated.as_ref().unwrap().hash);
    assert_eq!(res[0].node.get("immutable").unwrap().pos.line, 4);
    let res = run(
        "generatorOptions:\n  disableNameSuffixHash: true\nsecretGenerator:\n- name: s\n  options:\n    disableNameSuffixHash: false\n",
        &[],
    )
    .unwrap();
    assert!(!res[0].meta.generated.as_ref().unwrap().hash);
    assert!(res[0].node.get("immutable").is_none());
}

#[test]
fn namespace_in_args() {
    let res = run(
        "configMapGenerator:\n- name: cm\n  namespace: ns1\n  literals: [a=1]\n",
        &[],
    )
    .unwrap();
    assert_eq!(res[0].namespace(), "ns1");
}

fn base_cm() -> Vec<Resource> {
    run(
        "configMapGenerator:\n- name: cm\n  literals: [a=1, b=2]\n  options:\n    labels: {l: old, k: old}\n",
        &[],
    )
    .unwrap()
}

#[test]
fn create_conflicts_and_missing_targets() {
    let mut res = base_cm();
    let e = run_with(
        "configMapGenerator:\n- name: cm\n  literals: [z=1]\n",
        &[],
        &mut res,
    )
    .unwrap_err();
    assert!(
        e.msg.ends_with("exists; behavior must be merge or replace"),
        "{}",
        e.msg
    );
    assert!(e.msg.contains("Name:\"cm\""), "{}", e.msg);
    assert_eq!(e.pos.line, 2);
    // unknown behaviors act as create
    let mut res = base_cm();
    assert!(run_with(
        "configMapGenerator:\n- name: cm\n  behavior: bogus\n",
        &[],
        &mut res
    )
    .is_err());
    for b in ["merge", "replace"] {
        let e = run(
            &format!("configMapGenerator:\n- name: cm\n  behavior: {b}\n"),
            &[],
        )
        .unwrap_err();
        assert!(
            e.msg.ends_with("does not exist; cannot merge or replace"),
            "{}",
            e.msg
        );
    }
    // a different namespace is a different id; "" and default are the same
    let mut res = base_cm();
    run_with(
        "configMapGenerator:\n- name: cm\n  namespace: other\n",
        &[],
        &mut res,
    )
    .unwrap();
    assert_eq!(res.len(), 2);
    let mut res = base_cm();
    assert!(run_with(
        "configMapGenerator:\n- name: cm\n  namespace: default\n",
        &[],
        &mut res
    )
    .is_err());
}

#[test]
fn merge_semantics() {
    let mut res = base_cm();
    res[0].meta.prefixes.push("base-".into());
    res[0].remember_id();
    res[0].set_name("base-cm", &Pos::none());
    let mut extra = Resource::new(
        Node::from_json(
            &serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}}),
        ),
        Pos::none(),
    );
    extra.meta.prefixes.push("x".into());
    res.insert(0, extra);
    // matched by a previous name, merged in place
    run_with(
        "configMapGenerator:\n- name: cm\n  behavior: merge\n  literals: [b=3, c=4]\n  options:\n    labels: {l: new}\n",
        &[],
        &mut res,
    )
    .unwrap();
    assert_eq!(res.len(), 2);
    let r = &res[1];
    assert_eq!(r.name(), "base-cm");
    assert_eq!(
        json(r)["data"],
        serde_json::json!({"a": "1", "b": "3", "c": "4"})
    );
    assert_eq!(
        json(r)["metadata"]["labels"],
        serde_json::json!({"l": "new", "k": "old"})
    );
    assert_eq!(r.meta.prefixes, ["base-"]);
    assert_eq!(r.meta.previous.len(), 1);
    assert_eq!(
        r.meta.generated,
        Some(GeneratedBy {
            behavior: Behavior::Create,
            hash: true
        })
    );
    // provenance: the kept value keeps the base line, the new one the overlay line
    assert_eq!(r.node.get_path(&["data", "a"]).unwrap().pos.line, 3);
    assert_eq!(r.node.get_path(&["data", "c"]).unwrap().pos.line, 4);
    // merge keeps the old origin
    assert_eq!(r.origin.line, 2);
}

#[test]
fn replace_semantics_and_hash_survival() {
    let mut res = base_cm();
    run_with(
        "configMapGenerator:\n- name: cm\n  behavior: replace\n  literals: [z=9]\n  options:\n    disableNameSuffixHash: true\n",
        &[],
        &mut res,
    )
    .unwrap();
    let r = &res[0];
    assert_eq!(json(r)["data"], serde_json::json!({"z": "9"}));
    assert_eq!(
        json(r)["metadata"]["labels"],
        serde_json::json!({"l": "old", "k": "old"})
    );
    assert!(!r.meta.generated.as_ref().unwrap().hash);

    // merging into a plain (non-generated) ConfigMap: strings, no hash, old namespace
    let plain = Resource::new(
        Node::from_json(&serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "finalizers": ["x"]},
            "data": {"a": 1, "b": null}, "binaryData": {"x": "AA=="}, "immutable": true})),
        Pos::none(),
    );
    let mut res = vec![plain];
    run_with(
        "configMapGenerator:\n- name: cm\n  namespace: default\n  behavior: merge\n  literals: [z=1]\n",
        &[],
        &mut res,
    )
    .unwrap();
    assert_eq!(
        json(&res[0]),
        serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
            "data": {"a": "1", "b": "", "z": "1"}, "binaryData": {"x": "AA=="}})
    );
    assert!(!res[0].meta.generated.as_ref().unwrap().hash);
    apply_hash_suffixes(&mut res).unwrap();
    assert_eq!(res[0].name(), "cm");
}

#[test]
fn go_number_formatting() {
    assert_eq!(go_float(1.0), "1");
    assert_eq!(go_float(1.5), "1.5");
    assert_eq!(go_float(1e21), "1e+21");
    assert_eq!(go_float(1e-7), "1e-07");
    assert_eq!(go_float(123456789.0), "123456789");
    let mut s = String::new();
    go_json_str("a\"b\\\u{1}\u{2028}>", &mut s);
    assert_eq!(s, "\"a\\\"b\\\\\\u0001\\u2028\\u003e\"");
}
