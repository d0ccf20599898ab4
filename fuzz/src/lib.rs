//! Fuzz harness: the shared checks ([`harness`]) and the structured input of the
//! `render` target (a small tree of files built from kustomize fragments).

pub mod harness;
pub mod transform;

use arbitrary::Arbitrary;
pub use harness::*;

/// File paths a fuzzed tree may use.
pub const PATHS: &[&str] = &[
    "kustomization.yaml",
    "kustomization.yml",
    "Kustomization",
    "a.yaml",
    "p.yaml",
    "x",
    "base/kustomization.yaml",
    "base/a.yaml",
    "base/p.yaml",
    "base/x",
    "overlay/kustomization.yaml",
    "overlay/p.yaml",
    "comp/kustomization.yaml",
    "env.txt",
    "base/env.txt",
];

/// Whole kustomization documents.
pub const KUSTS: &[&str] = &[
    "resources:\n- a.yaml\n",
    "resources:\n- base\n- a.yaml\nnamePrefix: p-\nnameSuffix: -s\nnamespace: ns\n",
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ../base\npatches:\n- path: p.yaml\n",
    "kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\npatches:\n- patch: |-\n    - op: add\n      path: /metadata/labels/x\n      value: y\n  target:\n    kind: Deployment\n",
    "resources:\n- ../x\n- x\ncomponents:\n- comp\n- ../comp\n",
    "configMapGenerator:\n- name: cm\n  literals:\n  - a=b\n  - c=d\n  envs:\n  - env.txt\n  files:\n  - a.yaml\n  - k=p.yaml\nsecretGenerator:\n- name: s\n  literals:\n  - x=y\n  type: Opaque\ngeneratorOptions:\n  disableNameSuffixHash: false\n  labels:\n    g: h\n",
    "commonLabels:\n  app: a\ncommonAnnotations:\n  n: v\nlabels:\n- pairs:\n    l: v\n  includeSelectors: true\n  includeTemplates: true\n  fields:\n  - path: spec/x\n    kind: Deployment\n    create: true\n",
    "images:\n- name: nginx\n  newName: my/nginx\n  newTag: \"1.2\"\n- name: busybox\n  digest: sha256:abc\nreplicas:\n- name: d\n  count: 3\n",
    "patchesStrategicMerge:\n- p.yaml\n- |-\n  apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: d\n  spec:\n    replicas: 9\npatchesJson6902:\n- target:\n    group: apps\n    version: v1\n    kind: Deployment\n    name: d\n  path: p.yaml\n",
    "replacements:\n- source:\n    kind: ConfigMap\n    name: cm\n    fieldPath: data.a\n  targets:\n  - select:\n      kind: Deployment\n    fieldPaths:\n    - spec.template.spec.containers.[name=c].image\n    - metadata.annotations.x\n    options:\n      create: true\n      delimiter: \"/\"\n      index: 1\n",
    "vars:\n- name: V\n  objref:\n    kind: Service\n    name: svc\n    apiVersion: v1\n  fieldref:\n    fieldpath: metadata.name\nresources:\n- a.yaml\n",
    "sortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst:\n    - Namespace\n    orderLast:\n    - Deployment\n",
    "sortOptions:\n  order: fifo\nbuildMetadata: [originAnnotations, transformerAnnotations, managedByLabel]\n",
    "configurations:\n- p.yaml\ncrds:\n- x\nopenapi:\n  path: x\n",
    "transformers:\n- p.yaml\ngenerators:\n- x\nvalidators: []\n",
    "helmCharts:\n- name: c\n  repo: https://example.com\n",
    "bases:\n- base\nimageTags:\n- name: a\n  newTag: b\n",
    "patches:\n- path: p.yaml\n  target:\n    kind: Deployment\n    name: d.*\n    labelSelector: app=a\n    annotationSelector: n=v\n  options:\n    allowNameChange: true\n    allowKindChange: true\n",
    "namespace: other\nnamePrefix: q-\nresources:\n- base\n- a.yaml\n- https://github.com/x/y?ref=v1\n",
    "resources:\n- kustomization.yaml\n- .\n- ..\n- /etc/passwd\n- .git/config\n",
];

/// Whole resource documents (also used as patches).
pub const RESOURCES: &[&str] = &[
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels:\n    app: a\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: a\n  template:\n    metadata:\n      labels:\n        app: a\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.0\n        envFrom:\n        - configMapRef:\n            name: cm\n        - secretRef:\n            name: s\n        env:\n        - name: X\n          value: $(V)\n      volumes:\n      - name: v\n        configMap:\n          name: cm\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  selector:\n    app: a\n  ports:\n  - port: 80\n    targetPort: 8080\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\ndata:\n  a: b\n",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: rb\nroleRef:\n  kind: Role\n  name: r\n  apiGroup: rbac.authorization.k8s.io\nsubjects:\n- kind: ServiceAccount\n  name: sa\n  namespace: ns\n",
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: sa\n",
    "apiVersion: example.com/v1\nkind: Thing\nmetadata:\n  name: t\nspec:\n  x: 1.5\n  y: .nan\n  z: [1, 2, {a: b}]\n",
    "- op: replace\n  path: /spec/replicas\n  value: 3\n- op: remove\n  path: /metadata/labels\n- op: move\n  from: /spec\n  path: /x\n- op: test\n  path: /a~1b/0\n  value: null\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        $patch: delete\n      - name: n\n        image: x\n      $setElementOrder/containers:\n      - name: n\n",
    "apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: t\nprefix: z-\nfieldSpecs:\n- path: metadata/name\n",
    "namePrefix:\n- path: metadata/name\nnameReference:\n- kind: ConfigMap\n  fieldSpecs:\n  - path: spec/cm\n    kind: Thing\n",
    "a=b\nc\n# comment\nd=\"e\"\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\ntype: Opaque\nstringData:\n  k: v\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: &a p\n  labels: &l {x: y}\nspec:\n  <<: *l\n  n: *a\n",
];

/// Short pieces: keys, values, structure.
pub const BITS: &[&str] = &[
    "\n---\n",
    "---\n",
    "\n",
    "  ",
    "- ",
    ": ",
    "resources:\n",
    "- a.yaml\n",
    "- base\n",
    "- ../x\n",
    "- p.yaml\n",
    "- ../base\n",
    "- overlay\n",
    "- comp\n",
    "patches:\n",
    "- path: p.yaml\n",
    "components:\n",
    "namePrefix: ",
    "namespace: ",
    "kind: Component\n",
    "kind: Kustomization\n",
    "metadata:\n  name: ",
    "apiVersion: v1\nkind: ConfigMap\n",
    "apiVersion: apps/v1\nkind: Deployment\n",
    "spec:\n",
    "$patch: replace\n",
    "$patch: delete\n",
    "null\n",
    "~",
    "[]",
    "{}",
    "*a",
    "&a ",
    "!!str ",
    "\"",
    "'",
    "|\n",
    ">-\n",
    "${X}",
    "$(V)",
    "1e400",
    "0o17",
    "yes",
    "\t",
    "#",
    "?",
    "<<: ",
];

/// A piece of file content.
#[derive(Arbitrary, Debug, Clone)]
pub enum Frag {
    /// A whole kustomization.
    Kust(u8),
    /// A whole resource.
    Res(u8),
    /// A short piece.
    Bit(u8),
    /// A name-ish word.
    Word(u8),
    /// Raw fuzzed bytes.
    Raw(Vec<u8>),
    /// A fragment with each line indented.
    Indent(u8, Box<Frag>),
}

const WORDS: &[&str] = &[
    "a", "d", "cm", "s", "svc", "ns", "c", "x", "p-", "-s", "1", "true", "",
];

impl Frag {
    fn write(&self, out: &mut Vec<u8>, depth: usize) {
        let pick = |list: &[&str], i: u8| list[i as usize % list.len()].as_bytes().to_vec();
        match self {
            Frag::Kust(i) => out.extend(pick(KUSTS, *i)),
            Frag::Res(i) => out.extend(pick(RESOURCES, *i)),
            Frag::Bit(i) => out.extend(pick(BITS, *i)),
            Frag::Word(i) => out.extend(pick(WORDS, *i)),
            Frag::Raw(b) => out.extend(b.iter().take(256)),
            Frag::Indent(n, f) if depth < 4 => {
                let mut inner = Vec::new();
                f.write(&mut inner, depth + 1);
                let pad = vec![b' '; (*n % 7) as usize];
                for line in inner.split_inclusive(|b| *b == b'\n') {
                    out.extend(&pad);
                    out.extend(line);
                }
            }
            Frag::Indent(..) => {}
        }
    }
}

/// One file: a path from [`PATHS`] and content fragments.
#[derive(Arbitrary, Debug, Clone)]
pub struct FuzzFile {
    pub path: u8,
    pub content: Vec<Frag>,
}

/// The `render` target's input.
#[derive(Arbitrary, Debug, Clone)]
pub struct FuzzTree {
    pub files: Vec<FuzzFile>,
}

impl FuzzTree {
    /// The files, at most 8, each at most 16 fragments.
    pub fn files(&self) -> Vec<(String, Vec<u8>)> {
        self.files
            .iter()
            .take(8)
            .map(|f| {
                let mut content = Vec::new();
                for frag in f.content.iter().take(16) {
                    frag.write(&mut content, 0);
                }
                (PATHS[f.path as usize % PATHS.len()].to_string(), content)
            })
            .collect()
    }

    /// The tree as an in-memory source.
    pub fn source(&self) -> MemSource {
        MemSource::new(self.files())
    }
}
