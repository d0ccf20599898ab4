use super::*;
use crate::yaml::{parse_stream, ParseOptions};

const KFILE: &str = "app/kustomization.yaml";

fn kust(text: &str) -> Kustomization {
    Kustomization::for_test(text)
}

fn resources(text: &str) -> Vec<Resource> {
    parse_stream(text, "app/res.yaml", &ParseOptions::resource())
        .unwrap()
        .into_iter()
        .map(|n| {
            let pos = n.pos.clone();
            Resource::new(n, pos)
        })
        .collect()
}

fn cfg() -> &'static TransformerConfig {
    TransformerConfig::builtin()
}

fn at<'a>(r: &'a Resource, path: &[&str]) -> Option<&'a Node> {
    r.node.get_path(path)
}

fn s<'a>(r: &'a Resource, path: &[&str]) -> Option<&'a str> {
    r.node.str_at(path)
}

fn is_kust_line(n: &Node, line: u32) -> bool {
    n.pos.file.as_deref() == Some(KFILE) && n.pos.line == line
}

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.0\n      initContainers:\n      - name: i\n        image: busybox@sha256:abc\n";

#[test]
fn namespace_sets_renames_and_skips_cluster_scoped() {
    let text = format!(
        "{DEPLOY}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: old\n---\napiVersion: example.com/v1\nkind: Namespace\nmetadata:\n  name: foo\n---\n\
         apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: crb\n  namespace: zz\nsubjects:\n- name: default\n  kind: User\n- name: other\n  kind: ServiceAccount\n---\n\
         apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1.x\nspec:\n  group: x\n---\n\
         apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.b\nspec:\n  conversion:\n    webhook:\n      clientConfig:\n        service:\n          name: s\n"
    );
    let mut res = resources(&text);
    let k = kust("resources: [res.yaml]\nnamespace: tgt\n");
    namespace(&k, &mut res, cfg()).unwrap();
    assert_eq!(s(&res[0], &["metadata", "namespace"]), Some("tgt"));
    assert!(is_kust_line(
        at(&res[0], &["metadata", "namespace"]).unwrap(),
        2
    ));
    assert_eq!(res[0].meta.previous.len(), 1);
    assert_eq!(res[0].original_id().namespace, "");
    // v1 Namespace renamed, not namespaced.
    assert_eq!(s(&res[1], &["metadata", "name"]), Some("tgt"));
    assert!(at(&res[1], &["metadata", "namespace"]).is_none());
    assert_eq!(res[1].original_id().name, "old");
    // Other Namespace kinds are ordinary namespaced objects.
    assert_eq!(s(&res[2], &["metadata", "name"]), Some("foo"));
    assert_eq!(s(&res[2], &["metadata", "namespace"]), Some("tgt"));
    // ClusterRoleBinding: namespace untouched, `default` subject moved.
    assert_eq!(s(&res[3], &["metadata", "namespace"]), Some("zz"));
    let subj = at(&res[3], &["subjects"]).unwrap().as_seq().unwrap();
    assert_eq!(subj[0].str_at(&["namespace"]), Some("tgt"));
    assert!(subj[1].get("namespace").is_none());
    // APIService service namespace created; CRD webhook namespace not created.
    assert_eq!(s(&res[4], &["spec", "service", "namespace"]), Some("tgt"));
    assert!(at(&res[4], &["metadata", "namespace"]).is_none());
    assert!(at(
        &res[5],
        &[
            "spec",
            "conversion",
            "webhook",
            "clientConfig",
            "service",
            "namespace"
        ]
    )
    .is_none());
}

#[test]
fn namespace_conflict() {
    let mut res = resources(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: other\n",
    );
    let k = kust("namespace: other\n");
    let e = namespace(&k, &mut res, cfg()).unwrap_err();
    assert!(
        e.msg
            .contains("namespace transformation produces ID conflict"),
        "{e}"
    );
    assert_eq!(e.pos.line, 1);
}

#[test]
fn namespace_must_be_a_string() {
    let mut res = resources(DEPLOY);
    let e = namespace(&kust("namespace: y\n"), &mut res, cfg()).unwrap_err();
    assert_eq!(e.pos.line, 1);
}

#[test]
fn prefix_and_suffix() {
    let text = format!(
        "{DEPLOY}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.b\n---\napiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: v1.x\n---\napiVersion: example.com/v1\nkind: APIService\nmetadata:\n  name: mine\n"
    );
    let mut res = resources(&text);
    let k = kust("namePrefix: p-\nnameSuffix: -s\n");
    prefix_suffix(&k, &mut res, cfg()).unwrap();
    assert_eq!(res[0].name(), "p-web-s");
    assert!(is_kust_line(at(&res[0], &["metadata", "name"]).unwrap(), 2));
    assert_eq!(res[0].meta.prefixes, ["p-"]);
    assert_eq!(res[0].meta.suffixes, ["-s"]);
    let names: Vec<&str> = res[0]
        .meta
        .previous
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(names, ["web", "p-web"]);
    assert_eq!(res[1].name(), "ns");
    assert_eq!(res[2].name(), "a.b");
    assert_eq!(res[3].name(), "v1.x");
    assert_eq!(res[4].name(), "p-mine-s");
    assert!(res[1].meta.previous.is_empty());
}

#[test]
fn common_labels_selectors_and_templates() {
    let text = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: ss\nspec:\n  volumeClaimTemplates:\n  - metadata:\n      name: v\n  template:\n    spec: {}\n---\n\
                apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports: []\n---\n\
                apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  template:\n    spec: {}\n---\n\
                apiVersion: example.com/v1\nkind: Deployment2\nmetadata:\n  name: crd\nspec: {}\n";
    let mut res = resources(text);
    let k = kust("commonLabels:\n  app: web\n  num: \"1\"\n");
    labels(&k, &mut res, cfg()).unwrap();
    let ss = &res[0];
    assert_eq!(s(ss, &["metadata", "labels", "app"]), Some("web"));
    assert_eq!(
        s(ss, &["spec", "selector", "matchLabels", "app"]),
        Some("web")
    );
    assert_eq!(
        s(ss, &["spec", "template", "metadata", "labels", "num"]),
        Some("1")
    );
    let vct = &at(ss, &["spec", "volumeClaimTemplates"])
        .unwrap()
        .as_seq()
        .unwrap()[0];
    assert_eq!(vct.str_at(&["metadata", "labels", "app"]), Some("web"));
    // Provenance: each value is the kustomization line of its key.
    assert!(is_kust_line(
        at(ss, &["metadata", "labels", "app"]).unwrap(),
        2
    ));
    assert!(is_kust_line(
        at(ss, &["spec", "selector", "matchLabels", "num"]).unwrap(),
        3
    ));
    assert_eq!(s(&res[1], &["spec", "selector", "app"]), Some("web"));
    // Job: template labels, no selector created.
    assert_eq!(
        s(&res[2], &["spec", "template", "metadata", "labels", "app"]),
        Some("web")
    );
    assert!(at(&res[2], &["spec", "selector"]).is_none());
    // Unknown kinds: metadata only.
    assert_eq!(s(&res[3], &["metadata", "labels", "app"]), Some("web"));
    assert_eq!(at(&res[3], &["spec"]).unwrap().as_map().unwrap().len(), 0);
}

#[test]
fn labels_entries() {
    let mut res = resources(DEPLOY);
    let k = kust(
        "labels:\n- pairs:\n    a: x\n- pairs:\n    b: yy\n  includeTemplates: true\n- pairs:\n    c: z\n  includeSelectors: true\n\
         - pairs:\n    d: w\n  fields:\n  - path: spec/extra/labels\n    kind: Deployment\n    create: true\n",
    );
    labels(&k, &mut res, cfg()).unwrap();
    let d = &res[0];
    assert_eq!(s(d, &["metadata", "labels", "a"]), Some("x"));
    assert!(at(d, &["spec", "template", "metadata", "labels", "a"]).is_none());
    assert!(at(d, &["spec", "selector", "matchLabels", "a"]).is_none());
    assert_eq!(
        s(d, &["spec", "template", "metadata", "labels", "b"]),
        Some("yy")
    );
    assert!(at(d, &["spec", "selector", "matchLabels", "b"]).is_none());
    assert_eq!(s(d, &["spec", "selector", "matchLabels", "c"]), Some("z"));
    assert_eq!(
        s(d, &["spec", "template", "metadata", "labels", "c"]),
        Some("z")
    );
    assert_eq!(s(d, &["spec", "extra", "labels", "d"]), Some("w"));
    assert_eq!(s(d, &["metadata", "labels", "d"]), Some("w"));
    assert!(is_kust_line(
        at(d, &["metadata", "labels", "b"]).unwrap(),
        5
    ));
}

#[test]
fn labels_validation() {
    let mut res = resources(DEPLOY);
    let e = labels(&kust("commonLabels:\n  v: 1\n"), &mut res, cfg()).unwrap_err();
    assert_eq!(e.pos.line, 2);
    let e = labels(
        &kust("labels:\n- pairs: {a: b}\n  bogus: true\n"),
        &mut res,
        cfg(),
    )
    .unwrap_err();
    assert_eq!(e.pos.line, 3);
    let e = labels(
        &kust("labels:\n- pairs: {a: b}\n  includeSelectors: 3\n"),
        &mut res,
        cfg(),
    )
    .unwrap_err();
    assert_eq!(e.pos.line, 3);
    // A null value is the empty string.
    labels(&kust("commonLabels:\n  a:\n"), &mut res, cfg()).unwrap();
    assert_eq!(s(&res[0], &["metadata", "labels", "a"]), Some(""));
}

#[test]
fn scalar_on_the_way_is_an_error_null_is_missing() {
    let mut res = resources(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: s\nspec:\n  template:\n    spec:\n      affinity: 3\n",
    );
    let e = labels(&kust("commonLabels: {a: b}\n"), &mut res, cfg()).unwrap_err();
    assert!(e.msg.contains("expected sequence or mapping node"), "{e}");
    assert_eq!(e.pos.line, 8);
    let mut res = resources(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: s\nspec:\n  selector:\n    matchLabels:\n  template:\n    metadata:\n      labels: null\n",
    );
    labels(&kust("commonLabels: {a: b}\n"), &mut res, cfg()).unwrap();
    assert!(at(&res[0], &["spec", "selector", "matchLabels"])
        .unwrap()
        .is_null());
    assert_eq!(
        s(&res[0], &["spec", "template", "metadata", "labels", "a"]),
        Some("b")
    );
}

#[test]
fn common_annotations() {
    let text = format!(
        "{DEPLOY}---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: cj\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec: {{}}\n"
    );
    let mut res = resources(&text);
    let k = kust("commonAnnotations:\n  note: hi\n");
    annotations(&k, &mut res, cfg()).unwrap();
    assert_eq!(s(&res[0], &["metadata", "annotations", "note"]), Some("hi"));
    assert_eq!(
        s(
            &res[0],
            &["spec", "template", "metadata", "annotations", "note"]
        ),
        Some("hi")
    );
    assert!(at(&res[0], &["spec", "selector"]).is_none());
    assert_eq!(
        s(
            &res[1],
            &["spec", "jobTemplate", "metadata", "annotations", "note"]
        ),
        Some("hi")
    );
    assert_eq!(
        s(
            &res[1],
            &[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "metadata",
                "annotations",
                "note"
            ]
        ),
        Some("hi")
    );
    assert!(is_kust_line(
        at(&res[1], &["metadata", "annotations", "note"]).unwrap(),
        2
    ));
}

#[test]
fn replicas_by_any_name_and_group() {
    let text = format!(
        "{DEPLOY}---\napiVersion: example.com/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
    );
    let mut res = resources(&text);
    // Rename the first one: the old name still matches.
    res[0].remember_id();
    res[0].set_name("p-web", &Pos::none());
    let k = kust("replicas:\n- name: web\n  count: 3\n");
    replicas(&k, &mut res, cfg()).unwrap();
    let r = at(&res[0], &["spec", "replicas"]).unwrap();
    assert_eq!(r.as_i64(), Some(3));
    assert!(is_kust_line(r, 3));
    assert_eq!(
        at(&res[1], &["spec", "replicas"]).unwrap().as_i64(),
        Some(3)
    );
    assert!(at(&res[2], &["spec"]).is_none());
    let e = replicas(
        &kust("replicas:\n- name: zz\n  count: 2\n"),
        &mut res,
        cfg(),
    )
    .unwrap_err();
    assert_eq!(
        e.msg,
        "resource with name zz does not match a config with the following GVK [Deployment.[noVer].[noGrp] StatefulSet.[noVer].[noGrp] ReplicaSet.[noVer].[noGrp] ReplicationController.[noVer].[noGrp]]"
    );
    let e = replicas(
        &kust("replicas:\n- name: web\n  count: \"3\"\n"),
        &mut res,
        cfg(),
    )
    .unwrap_err();
    assert_eq!(e.pos.line, 3);
}

#[test]
fn image_split_and_rewrite() {
    assert_eq!(split_image("nginx"), ("nginx".into(), "".into(), "".into()));
    assert_eq!(
        split_image("nginx:1"),
        ("nginx".into(), "1".into(), "".into())
    );
    assert_eq!(
        split_image("a/b@sha256:x"),
        ("a/b".into(), "".into(), "sha256:x".into())
    );
    assert_eq!(
        split_image("localhost:5000/app:2.0"),
        ("localhost:5000/app".into(), "2.0".into(), "".into())
    );
    assert_eq!(
        split_image("m:5@sha256:d"),
        ("m".into(), "5".into(), "sha256:d".into())
    );
    let rule = |f: &dyn Fn(&mut ImageRule)| {
        let mut r = ImageRule::default();
        f(&mut r);
        r
    };
    assert_eq!(
        rewrite_image(
            "busybox@sha256:abc",
            &rule(&|r| r.new_tag = "latest".into())
        ),
        "busybox:latest"
    );
    assert_eq!(
        rewrite_image(
            "mysql:5@sha256:def",
            &rule(&|r| r.new_name = "mariadb".into())
        ),
        "mariadb:5@sha256:def"
    );
    assert_eq!(
        rewrite_image("a:1", &rule(&|r| r.digest = "sha256:x".into())),
        "a@sha256:x"
    );
    assert_eq!(
        rewrite_image(
            "a:1",
            &rule(&|r| {
                r.new_tag = "2".into();
                r.digest = "sha256:x".into()
            })
        ),
        "a:2@sha256:x"
    );
    assert_eq!(
        rewrite_image("a:1@sha256:y", &rule(&|r| r.tag_suffix = "-s".into())),
        "a:1-s"
    );
}

#[test]
fn images_both_passes() {
    let text = format!(
        "{DEPLOY}---\napiVersion: example.com/v1\nkind: Foo\nmetadata:\n  name: f\nspec:\n  deep:\n    containers:\n    - image: nginx\n---\n\
         apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.b\nspec:\n  containers:\n  - image: nginx\n---\n\
         apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - image: docker.io/nginx\n  - image: nginxy\n  - image: redis:6\n"
    );
    let mut res = resources(&text);
    let k = kust(
        "images:\n- name: nginx\n  newName: reg/nginx\n  newTag: \"1.2\"\n- name: busybox\n  newTag: latest\n- name: redis\n  tagSuffix: -alpine\n",
    );
    images(&k, &mut res, cfg()).unwrap();
    let c = |r: &Resource, path: &[&str], i: usize| {
        at(r, path).unwrap().as_seq().unwrap()[i]
            .str_at(&["image"])
            .unwrap()
            .to_string()
    };
    assert_eq!(
        c(&res[0], &["spec", "template", "spec", "containers"], 0),
        "reg/nginx:1.2"
    );
    assert_eq!(
        c(&res[0], &["spec", "template", "spec", "initContainers"], 0),
        "busybox:latest"
    );
    let img = &at(&res[0], &["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0];
    assert!(is_kust_line(img.get("image").unwrap(), 2));
    assert_eq!(
        c(&res[1], &["spec", "deep", "containers"], 0),
        "reg/nginx:1.2"
    );
    assert_eq!(c(&res[2], &["spec", "containers"], 0), "nginx");
    assert_eq!(c(&res[3], &["spec", "containers"], 0), "docker.io/nginx");
    assert_eq!(c(&res[3], &["spec", "containers"], 1), "nginxy");
    // The legacy and field-spec passes both apply the suffix.
    assert_eq!(
        c(&res[3], &["spec", "containers"], 2),
        "redis:6-alpine-alpine"
    );
}

#[test]
fn images_errors() {
    let mut res = resources(
        "apiVersion: x/v1\nkind: Foo\nmetadata:\n  name: f\nspec:\n  containers: [\"nginx\"]\n",
    );
    let e = images(
        &kust("images:\n- name: redis\n  newTag: x\n"),
        &mut res,
        cfg(),
    )
    .unwrap_err();
    assert_eq!(e.pos.line, 6);
    let e = images(
        &kust("images:\n- name: redis\n  newTag: 1.2\n"),
        &mut res,
        cfg(),
    )
    .unwrap_err();
    assert_eq!(e.pos.line, 3);
    assert_eq!(e.pos.file.as_deref(), Some(KFILE));
}
