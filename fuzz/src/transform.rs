//! The `transform` target's input: a byte string decoded into one overlay
//! whose resources are transformed by JSON6902 ops (copy/move/add...),
//! replacements (whole maps and delimited pieces, `create`), vars referenced
//! many times and strategic merge patches, rendered under small output
//! budgets. Shared by the fuzz target and the proptest stress test
//! (`tests/transform_stress.rs`, included by path: no dependency on `arbitrary`).
//!
//! Property ([`check_transform`]): render returns `Ok` or `Err`, never panics;
//! an `Ok` output is within the output budget (nodes and bytes), and an `Err`
//! that is a budget refusal names the budget flag.

use manifest_gate::kustomize::{guard, render, RenderOptions};
use manifest_gate::source::{EntryKind, Source};
use manifest_gate::{Error, Result};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Output budgets of the fuzzed renders (small, so amplification hits them fast).
pub const NODES: u64 = 20_000;
/// See [`NODES`].
pub const BYTES: u64 = 256 << 10;

/// A reader of choices from fuzzed bytes (zero once they run out).
pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    /// The next byte.
    pub fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    /// One of `list`.
    pub fn pick<'l>(&mut self, list: &[&'l str]) -> &'l str {
        list[self.u8() as usize % list.len()]
    }
    /// True once in `n` (on average).
    pub fn one_in(&mut self, n: u8) -> bool {
        self.u8().is_multiple_of(n)
    }
    /// A count below `n`.
    pub fn below(&mut self, n: u8) -> usize {
        (self.u8() % n) as usize
    }
}

const PATHS: &[&str] = &[
    "/data",
    "/data/a",
    "/data/b",
    "/data/c0",
    "/data/c1",
    "/metadata/labels",
    "/metadata/labels/x",
    "/spec",
    "/spec/template/spec/containers/0/args",
    "/spec/template/spec/containers/0/args/-",
    "/spec/template/spec/containers/0",
    "/stringData",
    "/stringData/k",
    "/",
    "",
    "/data/~1x",
    "/spec/replicas",
];
const OPS: &[&str] = &["add", "remove", "replace", "move", "copy", "test"];
const FIELDS: &[&str] = &[
    "data",
    "data.a",
    "data.b",
    "data.big",
    "metadata.name",
    "metadata.labels",
    "stringData.k",
    "spec",
    "spec.replicas",
    "\"spec.template.spec.containers.[name=c].image\"",
    "spec.template.spec.containers.0.args.0",
    "data.d0",
    "data.d1.x",
    "metadata.annotations.y",
];
const KINDS: &[&str] = &["ConfigMap", "Secret", "Deployment"];
const VALUES: &[&str] = &[
    "v",
    "a-b-c",
    "$(V)",
    "$(V)$(V)$(V)$(V)",
    "$(W)",
    "1",
    "true",
    "\"\"",
    "x.y.z",
    "$$(V)",
];

fn resources(b: &mut Bytes) -> String {
    let mut out = String::new();
    let big = "x".repeat(1 << (b.u8() % 12));
    for kind in KINDS {
        let data = (0..b.below(4))
            .map(|i| format!("  k{i}: {}\n", b.pick(VALUES)))
            .collect::<String>();
        let body = match *kind {
            "ConfigMap" => format!(
                "data:\n  a: {}\n  b: {}\n  big: {big}\n{data}",
                b.pick(VALUES),
                b.pick(VALUES)
            ),
            "Secret" => format!("stringData:\n  k: {}\n{data}", b.pick(VALUES)),
            _ => {
                let args = (0..1 + b.below(6))
                    .map(|_| format!("        - {:?}\n", b.pick(VALUES)))
                    .collect::<String>();
                format!("spec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: c\n        image: i\n        args:\n{args}")
            }
        };
        let api = if *kind == "Deployment" {
            "apps/v1"
        } else {
            "v1"
        };
        out.push_str(&format!(
            "---\napiVersion: {api}\nkind: {kind}\nmetadata:\n  name: r\n  labels: {{app: a}}\n  annotations: {{n: v}}\n{body}"
        ));
    }
    out
}

fn json_ops(b: &mut Bytes, target: &str) -> String {
    let data = if target == "Secret" {
        "/stringData"
    } else {
        "/data"
    };
    let mut out = String::new();
    for i in 0..b.below(24) {
        if !b.one_in(24) {
            // ops that apply to the ConfigMap or Secret target: growth
            let root = if b.one_in(2) {
                data
            } else {
                "/metadata/labels"
            };
            out.push_str(&match b.below(3) {
                0 => format!("- op: copy\n  from: {root}\n  path: {root}/c{i}\n"),
                1 => format!(
                    "- op: add\n  path: {root}/n{i}\n  value: {}\n",
                    b.pick(VALUES)
                ),
                _ => format!("- op: copy\n  from: /metadata\n  path: /metadata/labels/m{i}\n"),
            });
            continue;
        }
        let op = b.pick(OPS);
        out.push_str(&format!("- op: {op}\n  path: \"{}\"\n", b.pick(PATHS)));
        if matches!(op, "move" | "copy") {
            out.push_str(&format!("  from: \"{}\"\n", b.pick(PATHS)));
        }
        if matches!(op, "add" | "replace" | "test") {
            out.push_str(&format!("  value: {}\n", b.pick(VALUES)));
        }
    }
    out
}

fn replacements(b: &mut Bytes) -> String {
    let mut out = String::new();
    for i in 0..b.below(24) {
        if !b.one_in(12) {
            // a whole map or a value copied into a new field: doubling
            let (src, kind) = match b.below(3) {
                0 => ("data", "ConfigMap"),
                1 => ("stringData", "Secret"),
                _ => ("data.big", "ConfigMap"),
            };
            out.push_str(&format!(
                "- source: {{kind: {kind}, name: r, fieldPath: {src}}}\n  targets:\n  - select: {{kind: {}}}\n    fieldPaths: [{}.d{i}]\n    options: {{create: true}}\n",
                b.pick(&["ConfigMap", "Secret"]),
                b.pick(&["data", "metadata.annotations", "stringData"]),
            ));
            continue;
        }
        let opts = match b.below(4) {
            0 => format!("\n    options: {{create: {}}}", b.one_in(2)),
            1 => format!(
                "\n    options: {{delimiter: '-', index: {}}}",
                b.below(5) as i64 - 1
            ),
            _ => String::new(),
        };
        out.push_str(&format!(
            "- source: {{kind: {}, name: r, fieldPath: {}}}\n  targets:\n  - select: {{kind: {}}}\n    fieldPaths: [{}]{opts}\n",
            b.pick(KINDS),
            b.pick(FIELDS),
            b.pick(KINDS),
            b.pick(FIELDS)
        ));
    }
    out
}

/// The overlay's files, decoded from `data`.
pub fn case_files(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut b = Bytes(data);
    let res = resources(&mut b);
    let mut k = String::from("resources: [r.yaml]\n");
    let target = b.pick(&["ConfigMap", "Secret"]);
    let ops = json_ops(&mut b, target);
    if !ops.is_empty() {
        k.push_str(&format!(
            "patchesJson6902:\n- target: {{version: v1, kind: {target}, name: r}}\n  path: p.yaml\n"
        ));
    }
    let reps = replacements(&mut b);
    if !reps.is_empty() {
        k.push_str("replacements:\n");
        k.push_str(&reps);
    }
    if b.one_in(2) {
        k.push_str(&format!(
            "vars:\n- name: V\n  objref: {{kind: ConfigMap, name: r, apiVersion: v1}}\n  fieldref: {{fieldpath: {}}}\n",
            b.pick(&["data.big", "data.a", "metadata.name", "data"])
        ));
    }
    if b.one_in(3) {
        k.push_str("patches:\n- target: {kind: ConfigMap}\n  patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: r}\n    data: {s: t}\n");
    }
    vec![
        ("app/kustomization.yaml".to_string(), k.into_bytes()),
        ("app/r.yaml".to_string(), res.into_bytes()),
        ("app/p.yaml".to_string(), ops.into_bytes()),
    ]
}

/// A tree in memory.
pub struct Tree(pub BTreeMap<String, Arc<[u8]>>);

impl Source for Tree {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| Error::in_file(path, "no such file"))
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        if path.is_empty() || path == "app" {
            return Ok(Some(EntryKind::Dir));
        }
        Ok(self.0.contains_key(path).then_some(EntryKind::File))
    }
    fn list(&self, _dir: &str) -> Result<Vec<(String, EntryKind)>> {
        Ok(Vec::new())
    }
    fn describe(&self) -> String {
        "memory".to_string()
    }
}

/// How one case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Rendered, within the budget.
    Rendered,
    /// Refused by the output budget.
    OverBudget,
    /// Any other error (a bad op, a missing field...).
    Error,
}

/// The property (see the module documentation) for the case decoded from `data`.
pub fn check_transform(data: &[u8]) -> Outcome {
    let files = case_files(data);
    let tree = Tree(
        files
            .into_iter()
            .map(|(p, b)| (p, Arc::from(b.as_slice())))
            .collect(),
    );
    let opts = RenderOptions {
        max_output_nodes: NODES,
        max_output_bytes: BYTES,
        timeout: Some(std::time::Duration::from_secs(5)),
        ..RenderOptions::default()
    };
    let start = std::time::Instant::now();
    match render(&tree, "app", &opts) {
        Ok(r) => {
            let (mut nodes, mut bytes) = (0, 0);
            for res in &r.resources {
                let (n, b) = guard::measure(&res.node, u64::MAX, u64::MAX);
                nodes += n;
                bytes += b;
            }
            // Metadata added after the last check (build annotations) is small.
            assert!(
                nodes <= NODES + 64 * r.resources.len() as u64,
                "output of {nodes} nodes over the budget"
            );
            assert!(
                bytes <= BYTES + 4096 * r.resources.len() as u64,
                "output of {bytes} bytes over the budget"
            );
            assert!(
                start.elapsed().as_secs() < 10,
                "render took {:?}",
                start.elapsed()
            );
            Outcome::Rendered
        }
        Err(e) => {
            assert!(
                start.elapsed().as_secs() < 10,
                "render took {:?}",
                start.elapsed()
            );
            let msg = e.to_string();
            if std::env::var_os("TRANSFORM_DEBUG").is_some() {
                eprintln!("error: {msg}");
            }
            if msg.contains("grows its output") {
                assert!(msg.contains("--max-output-"), "{msg}");
                Outcome::OverBudget
            } else {
                Outcome::Error
            }
        }
    }
}
