use super::*;

fn parse(t: &str) -> Result<Kustomization> {
    Kustomization::parse(t, "app/kustomization.yaml")
}
fn err(t: &str) -> Error {
    parse(t).expect_err("expected an error")
}

#[test]
fn parses_and_sets_dir() {
    let k = parse("resources:\n- a.yaml\nnamePrefix: p-\n").unwrap();
    assert_eq!(k.dir, "app");
    assert_eq!(k.file, "app/kustomization.yaml");
    assert_eq!(k.kind, KustKind::Kustomization);
    let r = k.strings("resources").unwrap();
    assert_eq!(r[0].0, "a.yaml");
    assert_eq!(r[0].1.line, 2);
    assert_eq!(k.string("namePrefix").unwrap().unwrap().0, "p-");
    let root = Kustomization::parse("namePrefix: x\n", "kustomization.yaml").unwrap();
    assert_eq!(root.dir, "");
}

#[test]
fn empty_files() {
    for t in [
        "",
        "# only a comment\n",
        "---\n---\n",
        "null\n",
        "namePrefix: \"\"\n",
        "kind: Foo\n",
        "bases: []\n",
        "imageTags: []\n",
        "---\n---\nnamePrefix: a\n",
        "apiVersion: v1\n",
    ] {
        assert_eq!(err(t).msg, "kustomization.yaml is empty", "{t:?}");
    }
    // metadata, empty lists and maps count as content
    assert!(parse("metadata: {name: x}\n").is_ok());
    assert!(parse("resources: []\n").is_ok());
    assert!(parse("commonLabels: {}\n").is_ok());
    // first document only
    let k = parse("# c\n---\nnamePrefix: a-\n---\nnameSuffix: b\n").unwrap();
    assert!(k.field("nameSuffix").is_none());
}

#[test]
fn unknown_fields_and_types() {
    let e = err("namePrefix: a\nfoo: 1\n");
    assert_eq!(e.msg, "invalid Kustomization: json: unknown field \"foo\"");
    assert_eq!(e.pos.line, 2);
    let e = err("configMapGenerator:\n- name: a\n  foo: 1\n");
    assert_eq!(e.msg, "invalid Kustomization: json: unknown field \"foo\"");
    assert_eq!(e.pos.line, 3);
    let e = err("namespace: y\n");
    assert_eq!(
        e.msg,
        "invalid Kustomization: json: cannot unmarshal bool into Go struct field Kustomization.namespace of type string"
    );
    assert_eq!(e.pos.line, 1);
    assert_eq!(
        err("commonLabels: {v: 1}\n").msg,
        "invalid Kustomization: json: cannot unmarshal number into Go struct field Kustomization.commonLabels of type string"
    );
    assert_eq!(
        err("resources: a\n").msg,
        "invalid Kustomization: json: cannot unmarshal string into Go struct field Kustomization.resources of type []string"
    );
    assert_eq!(
        err("configMapGenerator:\n- name: 1\n").msg,
        "invalid Kustomization: json: cannot unmarshal number into Go struct field ConfigMapArgs.configMapGenerator.name of type string"
    );
    assert_eq!(
        err("configMapGenerator:\n- name: a\n  options:\n    labels:\n      a: 1\n").msg,
        "invalid Kustomization: json: cannot unmarshal number into Go struct field GeneratorOptions.configMapGenerator.options.labels of type string"
    );
    assert_eq!(
        err("replicas:\n- name: a\n  count: 1.5\n").msg,
        "invalid Kustomization: json: cannot unmarshal number 1.5 into Go struct field Replica.replicas.count of type int64"
    );
    assert_eq!(
        err("patches:\n- target:\n    kind: 1\n").msg,
        "invalid Kustomization: json: cannot unmarshal number into Go struct field Selector.patches.target.kind of type string"
    );
    assert_eq!(
        err("configMapGenerator: {}\n").msg,
        "invalid Kustomization: json: cannot unmarshal object into Go struct field Kustomization.configMapGenerator of type []types.ConfigMapArgs"
    );
    assert_eq!(
        err("[]\n").msg,
        "invalid Kustomization: json: cannot unmarshal array into Go value of type types.Kustomization"
    );
    // yes/no/on/off are YAML 1.1 booleans
    assert!(parse("namePrefix: on\n").is_err());
    assert!(parse("namePrefix: 'on'\n").is_ok());
    // nulls are fine anywhere
    assert!(parse("namespace: ~\nresources: [a]\n").is_ok());
}

#[test]
fn case_insensitive_field_names() {
    let k = parse("NamePrefix: a-\n").unwrap();
    assert_eq!(k.string("namePrefix").unwrap().unwrap().0, "a-");
    // sorted order: "Resources" < "resources", so the lower-case one wins
    let k = parse("resources: [r.yaml]\nResources: []\n").unwrap();
    assert_eq!(k.strings("resources").unwrap().len(), 1);
    // repeated keys: the last wins
    let k = parse("namePrefix: a\nnamePrefix: b\n").unwrap();
    assert_eq!(k.string("namePrefix").unwrap().unwrap().0, "b");
}

#[test]
fn kind_and_api_version() {
    let e = err("kind: Foo\nnamePrefix: a\n");
    assert_eq!(e.msg, "kind should be Kustomization or Component");
    assert_eq!(e.pos.line, 1);
    let e = err("kind: Component\napiVersion: kustomize.config.k8s.io/v1beta1\nnamePrefix: a\n");
    assert_eq!(
        e.msg,
        "apiVersion for Component should be kustomize.config.k8s.io/v1alpha1"
    );
    assert_eq!(e.pos.line, 2);
    let e = err("apiVersion: v1\nnamePrefix: a\n");
    assert_eq!(
        e.msg,
        "apiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1"
    );
    let k = parse("kind: Component\nnamePrefix: a\n").unwrap();
    assert_eq!(k.kind, KustKind::Component);
    let k = parse("kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\nnamePrefix: a\n")
        .unwrap();
    assert_eq!(k.kind, KustKind::Component);
    let k =
        parse("kind: Kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\nnamePrefix: a\n")
            .unwrap();
    assert_eq!(k.kind, KustKind::Kustomization);
    assert!(parse("kind: 1\nnamePrefix: a\n").is_err());
}

#[test]
fn deprecated_fields_fold() {
    let k = parse("bases:\n- ../base\nresources:\n- a.yaml\n").unwrap();
    let r: Vec<String> = k
        .strings("resources")
        .unwrap()
        .into_iter()
        .map(|x| x.0)
        .collect();
    assert_eq!(r, ["a.yaml", "../base"]);
    assert!(k.field("bases").is_none());
    let k = parse("bases:\n- ../base\n").unwrap();
    let r = k.strings("resources").unwrap();
    assert_eq!(r[0].0, "../base");
    assert_eq!(r[0].1.line, 2);
    let k = parse("imageTags:\n- name: a\n  newTag: b\nimages:\n- name: c\n").unwrap();
    let imgs = k.field("images").unwrap().as_seq().unwrap();
    assert_eq!(imgs.len(), 2);
    assert_eq!(imgs[1].str_at(&["name"]), Some("a"));
    let k = parse("configMapGenerator:\n- name: a\n  env: x.env\n  envs: [y.env]\nsecretGenerator:\n- name: s\n  env: z.env\n").unwrap();
    let cm = &k.field("configMapGenerator").unwrap().as_seq().unwrap()[0];
    let envs: Vec<&str> = cm
        .get("envs")
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(envs, ["y.env", "x.env"]);
    assert!(cm.get("env").is_none());
    let s = &k.field("secretGenerator").unwrap().as_seq().unwrap()[0];
    assert_eq!(
        s.get("envs").unwrap().as_seq().unwrap()[0].as_str(),
        Some("z.env")
    );
    // kept as is
    let k = parse("patchesStrategicMerge: [p.yaml]\ncommonLabels: {a: b}\nvars: []\n").unwrap();
    assert!(k.field("patchesStrategicMerge").is_some());
    assert!(k.field("commonLabels").is_some());
}

#[test]
fn unsupported_fields() {
    let k = parse("resources:\n- a.yaml\n").unwrap();
    assert_eq!(k.unsupported(), None);
    let k = parse("resources:\n- a.yaml\nhelmCharts:\n- name: x\n").unwrap();
    let (f, p) = k.unsupported().unwrap();
    assert_eq!(f, "helmCharts");
    assert_eq!(p.line, 4);
    let k = parse("transformers: [t.yaml]\ngenerators: [g.yaml]\n").unwrap();
    assert_eq!(k.unsupported().unwrap().0, "transformers");
    // Remote bases are not "unsupported" (no fallback): refused by the guard,
    // or fetched with --fetch-remote.
    let k = parse("resources:\n- a.yaml\n- https://github.com/x/y//base?ref=v1\n").unwrap();
    assert_eq!(k.unsupported(), None);
    let k = parse("components:\n- git@github.com:x/y.git\n").unwrap();
    assert_eq!(k.unsupported(), None);
    let k = parse("openapi:\n  path: https://example.com/schema.json\n").unwrap();
    assert_eq!(k.unsupported().unwrap().0, "openapi");
    let k = parse("openapi:\n  path: schema.json\n").unwrap();
    assert_eq!(k.unsupported(), None);
    let k = parse("helmChartInflationGenerator:\n- chartName: x\n").unwrap();
    assert_eq!(k.unsupported().unwrap().0, "helmChartInflationGenerator");
    let k = parse("validators: []\nnamePrefix: a\n").unwrap();
    assert_eq!(k.unsupported(), None);
    let k = parse("helmGlobals:\n  chartHome: x\n").unwrap();
    assert_eq!(k.unsupported().unwrap().0, "helmGlobals");
}
