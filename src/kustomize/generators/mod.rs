//! configMapGenerator and secretGenerator. (Owner: kustomization/generators work.)
//!
//! Follows kustomize v5.5.0 (`api/kv/kv.go`, `api/internal/generators`,
//! `kyaml/yaml/datamap.go`, `api/resmap/reswrangler.go` `appendReplaceOrMerge`,
//! `api/hasher/hasher.go`). Every generated value carries the position of the
//! source that produced it: the literal's line, line 1 of a `files` file, the
//! env file's line.

use super::kustomization::Kustomization;
use crate::error::{Error, Result};
use crate::model::{Behavior, GeneratedBy, ResId, Resource};
use crate::source::{self, Source};
use crate::yaml::{Map, Node, Pos, Value};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::Arc;

mod hash;
mod kv;
mod merge;
#[cfg(test)]
mod tests;

pub use hash::*;
pub use kv::*;
use merge::*;

/// One key/value pair with the position of its source.
#[derive(Clone, Debug)]
struct Pair {
    key: String,
    value: Vec<u8>,
    pos: Pos,
}

/// The two generator kinds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GenKind {
    ConfigMap,
    Secret,
}

impl GenKind {
    fn kind(self) -> &'static str {
        match self {
            GenKind::ConfigMap => "ConfigMap",
            GenKind::Secret => "Secret",
        }
    }
}

/// Run this kustomization's generators (ConfigMaps first, then Secrets) and fold
/// their output into `res` according to each entry's `behavior`
/// (create/merge/replace, matched against any id of the existing resources).
/// Generated resources carry `meta.generated`. `inputs` receives every path read.
pub fn run_generators(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
) -> Result<()> {
    run_generators_with_origin(k, src, res, inputs, None)
}

/// [`run_generators`], recording `buildMetadata` origins: with `configured_in`
/// (the kustomization file's path relative to the top kustomization), each
/// generated resource gets kustomize's generator origin
/// (`configuredIn` + `configuredBy: {apiVersion: builtin, kind: ConfigMapGenerator}`).
pub fn run_generators_with_origin(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
    configured_in: Option<&str>,
) -> Result<()> {
    let global = k.field("generatorOptions");
    for (section, kind) in [
        ("configMapGenerator", GenKind::ConfigMap),
        ("secretGenerator", GenKind::Secret),
    ] {
        let Some(list) = k.field(section) else {
            continue;
        };
        let Some(entries) = list.as_seq() else {
            return Err(Error::at(&list.pos, format!("'{section}' must be a list")));
        };
        for entry in entries {
            if entry.is_null() {
                // Go decodes a null list element into an empty args struct.
                return Err(Error::at(&entry.pos, "a configmap must have a name"));
            }
            let (mut r, behavior) = generate(k, src, kind, entry, global, inputs)?;
            if let Some(ci) = configured_in {
                let by = match kind {
                    GenKind::ConfigMap => "ConfigMapGenerator",
                    GenKind::Secret => "SecretGenerator",
                };
                let ci = crate::yaml::emit_node(&Node::str(ci, Pos::none()));
                r.meta.origin_annotation = Some(format!(
                    "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {by}\n",
                    ci.trim_end_matches('\n')
                ));
            }
            absorb(res, r, behavior, &entry.pos)?;
        }
    }
    Ok(())
}

/// Top-level step: append the content hash to generated ConfigMaps/Secrets that
/// want one (recording the previous id so name references follow).
pub fn apply_hash_suffixes(res: &mut [Resource]) -> Result<()> {
    for r in res.iter_mut() {
        if !r.meta.generated.as_ref().is_some_and(|g| g.hash) {
            continue;
        }
        let h = content_hash(&r.node);
        let name = r.name().to_string();
        let pos = r
            .node
            .get_path(&["metadata", "name"])
            .map(|n| n.pos.clone())
            .unwrap_or_else(|| r.origin.clone());
        r.remember_id();
        r.set_name(&format!("{name}-{h}"), &pos);
        r.meta.name_before_hash = Some(name);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Building one resource.

fn str_field<'a>(entry: &'a Node, key: &str) -> Option<&'a Node> {
    entry.get(key).filter(|n| !n.is_null())
}

fn strings_of(entry: &Node, key: &str) -> Vec<(String, Pos)> {
    match entry.get(key).and_then(|n| n.as_seq()) {
        Some(seq) => seq
            .iter()
            .map(|x| (x.scalar_string().unwrap_or_default(), x.pos.clone()))
            .collect(),
        None => Vec::new(),
    }
}

/// Effective generator options: per-entry options win for labels and
/// annotations; `disableNameSuffixHash` and `immutable` are ORed.
struct Opts {
    labels: Map,
    annotations: Map,
    disable_hash: bool,
    immutable: Option<Pos>,
}

fn merge_options(local: Option<&Node>, global: Option<&Node>) -> Opts {
    let mut o = Opts {
        labels: Map::default(),
        annotations: Map::default(),
        disable_hash: false,
        immutable: None,
    };
    for opts in [local, global].into_iter().flatten() {
        for (field, dst) in [
            ("labels", &mut o.labels),
            ("annotations", &mut o.annotations),
        ] {
            if let Some(m) = opts.get(field).and_then(|n| n.as_map()) {
                for (k, v) in m {
                    if !dst.contains_key(k) {
                        let s = v.scalar_string().unwrap_or_default();
                        dst.insert(k.clone(), Node::str(s, v.pos.clone()));
                    }
                }
            }
        }
        if opts.get("disableNameSuffixHash").and_then(|n| n.as_bool()) == Some(true) {
            o.disable_hash = true;
        }
        if let Some(n) = opts.get("immutable").filter(|n| n.as_bool() == Some(true)) {
            if o.immutable.is_none() {
                o.immutable = Some(n.pos.clone());
            }
        }
    }
    o
}

fn sorted(m: Map) -> Map {
    let mut v: Vec<(String, Node)> = m.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter().collect()
}

fn generate(
    k: &Kustomization,
    src: &dyn Source,
    kind: GenKind,
    entry: &Node,
    global: Option<&Node>,
    inputs: &mut Vec<String>,
) -> Result<(Resource, Behavior)> {
    let epos = entry.pos.clone();
    let name_node = str_field(entry, "name");
    let name = name_node.and_then(|n| n.as_str()).unwrap_or("");
    if name.is_empty() {
        return Err(Error::at(&epos, "a configmap must have a name"));
    }
    let behavior = match str_field(entry, "behavior").and_then(|n| n.as_str()) {
        Some("merge") => Behavior::Merge,
        Some("replace") => Behavior::Replace,
        _ => Behavior::Create,
    };
    let pairs = load_pairs(k, src, entry, name, inputs)?;
    let opts = merge_options(str_field(entry, "options"), global);

    let mut node = Node::map(epos.clone());
    node.set("apiVersion", Node::str("v1", epos.clone()));
    node.set("kind", Node::str(kind.kind(), epos.clone()));
    let mut md = Node::map(epos.clone());
    md.set(
        "name",
        Node::str(
            name,
            name_node.map(|n| n.pos.clone()).unwrap_or(epos.clone()),
        ),
    );
    if let Some(ns) =
        str_field(entry, "namespace").filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
    {
        md.set(
            "namespace",
            Node::str(ns.as_str().unwrap_or(""), ns.pos.clone()),
        );
    }
    if !opts.labels.is_empty() {
        md.set(
            "labels",
            Node::new(Value::Map(sorted(opts.labels)), epos.clone()),
        );
    }
    if !opts.annotations.is_empty() {
        md.set(
            "annotations",
            Node::new(Value::Map(sorted(opts.annotations)), epos.clone()),
        );
    }
    node.set("metadata", md);

    let mut pairs = pairs;
    pairs.sort_by(|a, b| a.key.cmp(&b.key));
    match kind {
        GenKind::ConfigMap => {
            let mut data = Map::default();
            let mut binary = Map::default();
            for p in pairs {
                match String::from_utf8(p.value) {
                    Ok(s) => {
                        data.insert(p.key, Node::str(s, p.pos));
                    }
                    Err(e) => {
                        binary.insert(p.key, Node::str(encode_base64(e.as_bytes()), p.pos));
                    }
                }
            }
            if !data.is_empty() {
                node.set("data", Node::new(Value::Map(data), epos.clone()));
            }
            if !binary.is_empty() {
                node.set("binaryData", Node::new(Value::Map(binary), epos.clone()));
            }
        }
        GenKind::Secret => {
            let ty = str_field(entry, "type").filter(|n| n.as_str().is_some_and(|s| !s.is_empty()));
            let ty_node = match ty {
                Some(n) => Node::str(n.as_str().unwrap_or(""), n.pos.clone()),
                None => Node::str("Opaque", epos.clone()),
            };
            node.set("type", ty_node);
            let mut data = Map::default();
            for p in pairs {
                data.insert(p.key, Node::str(encode_base64(&p.value), p.pos));
            }
            node.set("data", Node::new(Value::Map(data), epos.clone()));
        }
    }
    if let Some(ipos) = opts.immutable {
        node.set("immutable", Node::new(Value::Bool(true), ipos));
    }
    let mut r = Resource::new(node, epos);
    r.meta.generated = Some(GeneratedBy {
        behavior,
        hash: !opts.disable_hash,
    });
    Ok((r, behavior))
}
