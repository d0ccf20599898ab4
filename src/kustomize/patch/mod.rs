//! Patches: `patchesStrategicMerge`, `patches` (strategic merge or JSON 6902,
//! with targets), `patchesJson6902`. Strategic merge follows kyaml merge2 with merge
//! keys from the Kubernetes 1.21 OpenAPI data (carried in `data/`).
//!
//! Provenance: values taken from a patch keep the patch's positions; inline patches
//! are positioned on the kustomization's lines.

pub mod json6902;
pub mod schema;
pub mod select;
pub mod smp;

pub use schema::{
    has_render_table, merge_key, register_crd, set_render_table, ListMerge, SchemaTable,
};
pub use select::{Selector, Target};

use super::kustomization::Kustomization;
use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::scope::is_cluster_scoped;
use crate::model::{ResId, Resource};
use crate::source::{self, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Pos, Value};
use json6902::Op;

/// Patch text with where it came from.
struct PatchText {
    text: String,
    /// File the positions refer to (the patch file, or the kustomization).
    file: String,
    /// For inline text: the position of the kustomization scalar.
    inline_at: Option<Pos>,
    /// What to call it in messages.
    pos: Pos,
}

impl PatchText {
    fn inline(node: &Node, k: &Kustomization) -> Result<PatchText> {
        let text = node
            .scalar_string()
            .filter(|_| !node.is_null())
            .ok_or_else(|| {
                Error::at(
                    &node.pos,
                    format!("patch must be a string, not a {}", node.type_name()),
                )
            })?;
        Ok(PatchText {
            text,
            file: k.file.clone(),
            inline_at: Some(node.pos.clone()),
            pos: node.pos.clone(),
        })
    }
    fn file(
        k: &Kustomization,
        src: &dyn Source,
        rel: &str,
        at: &Pos,
        inputs: &mut Vec<String>,
    ) -> Result<PatchText> {
        let path = source::join(&k.dir, rel).map_err(|e| e.or_at(at))?;
        let bytes = src.read(&path).map_err(|e| {
            if e.is(ErrorKind::Confinement) {
                e.context(format!("failed to get the patch file from path({rel})"))
                    .or_at(at)
            } else {
                e.or_at(at)
            }
        })?;
        inputs.push(path.clone());
        let text = decode(&bytes, &path)?;
        let pos = Pos {
            file: Some(path.as_str().into()),
            line: 0,
            col: 0,
        };
        Ok(PatchText {
            text,
            file: path,
            inline_at: None,
            pos,
        })
    }
    /// Parse as a YAML stream, positions mapped onto the kustomization for inline text.
    fn parse(&self) -> Result<Vec<Node>> {
        self.parse_with(&ParseOptions::kyaml())
    }
    /// Parse with the given scalar typing (JSON patches written in YAML go through
    /// sigs.k8s.io/yaml, i.e. YAML 1.1: `yes` is a boolean there).
    fn parse_with(&self, opts: &ParseOptions) -> Result<Vec<Node>> {
        let mut docs = parse_stream(&self.text, &self.file, opts)?;
        if let Some(at) = &self.inline_at {
            for d in &mut docs {
                relocate(d, at, self.text.contains('\n'));
            }
        }
        Ok(docs)
    }
}

/// Map positions inside inline text onto the kustomization: a multi-line (block)
/// scalar is positioned at its first content line, so text line `n` is
/// kustomization line `at.line + n - 1`; a one-line scalar puts everything on its own line.
fn relocate(n: &mut Node, at: &Pos, multi_line: bool) {
    if multi_line {
        n.pos = Pos {
            file: at.file.clone(),
            line: (at.line + n.pos.line).saturating_sub(1),
            col: n.pos.col,
        };
        match &mut n.value {
            Value::Seq(s) => s.iter_mut().for_each(|c| relocate(c, at, true)),
            Value::Map(m) => m.values_mut().for_each(|c| relocate(c, at, true)),
            _ => {}
        }
    } else {
        n.set_pos_deep(at);
    }
}

/// True when a parsed document is usable as a strategic-merge patch.
fn is_smp_doc(d: &Node) -> bool {
    d.is_map()
        && d.str_at(&["kind"]).is_some_and(|s| !s.is_empty())
        && d.str_at(&["metadata", "name"]).is_some()
}

/// Strategic-merge documents, or None when the text is not one.
fn as_smp(docs: &Result<Vec<Node>>) -> Option<Vec<Node>> {
    let docs = docs.as_ref().ok()?;
    let mut out = Vec::new();
    for d in docs {
        match &d.value {
            Value::Null => {}
            Value::Seq(s) if s.is_empty() => {}
            _ if is_smp_doc(d) => out.push(d.clone()),
            _ => return None,
        }
    }
    Some(out)
}

/// JSON 6902 operations, or None when the text is not a list of operations.
fn as_json(text: &PatchText, docs: &Result<Vec<Node>>) -> Option<Vec<Op>> {
    let trimmed = text.text.trim();
    if trimmed.starts_with('[') {
        let v: serde_json::Value = serde_json::from_str(trimmed).ok()?;
        // Prefer the YAML reading (it has positions) when it says the same.
        if let Ok(d) = docs {
            if d.len() == 1 && d[0].to_json() == v {
                return json6902::ops_from_node(&d[0]);
            }
        }
        return json6902::ops_from_node(&Node::from_json_at(&v, &text.pos));
    }
    let _ = docs;
    let d = text.parse_with(&ParseOptions::kustomization()).ok()?;
    let real: Vec<&Node> = d.iter().filter(|n| !n.is_null()).collect();
    match real.as_slice() {
        [] => Some(Vec::new()),
        [one] => json6902::ops_from_node(one),
        _ => None,
    }
}

/// The effective namespace for id matching (cluster-scoped kinds have none).
fn ns_key(id: &ResId) -> &str {
    if is_cluster_scoped(&id.gvk) {
        ""
    } else {
        id.effective_namespace()
    }
}

fn same_id(a: &ResId, b: &ResId) -> bool {
    a.gvk == b.gvk && a.name == b.name && ns_key(a) == ns_key(b)
}

/// The one resource any of whose ids is `id`.
fn find_unique(res: &[Resource], id: &ResId, pos: &Pos) -> Result<usize> {
    let hits: Vec<usize> = res
        .iter()
        .enumerate()
        .filter(|(_, r)| r.all_ids().iter().any(|x| same_id(x, id)))
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::at(
            pos,
            format!("no matches for Id {id}; failed to find unique target for patch {id}"),
        )),
        _ => Err(Error::at(
            pos,
            format!("multiple matches for Id {id}; failed to find unique target for patch {id}"),
        )),
    }
}

#[derive(Clone, Copy, Default)]
struct SmOptions {
    allow_name_change: bool,
    allow_kind_change: bool,
}

/// Apply one strategic-merge document to `res[i]` (kustomize's `ApplySmPatch`).
/// Returns false when the resource was deleted.
fn apply_smp(r: &mut Resource, patch: &Node, opts: SmOptions) -> Result<bool> {
    let mut patch = patch.clone();
    // The patch takes the resource's apiVersion (it never changes the group/version).
    if let Some(av) = r.node.get("apiVersion").cloned() {
        patch.set("apiVersion", av);
    }
    let kind = r.node.get("kind").cloned();
    let name = r.node.get_path(&["metadata", "name"]).cloned();
    let ns = r.node.get_path(&["metadata", "namespace"]).cloned();
    if opts.allow_name_change || opts.allow_kind_change {
        r.remember_id();
    }
    let table = schema::table();
    if !smp::merge_object(&mut r.node, &patch, &table)? {
        return Ok(false);
    }
    if r.node.as_map().is_some_and(|m| m.is_empty()) {
        return Ok(false);
    }
    if !opts.allow_kind_change {
        if let Some(k) = kind {
            r.node.set("kind", k);
        }
    }
    let pos = patch.pos.clone();
    if let Some(md) = r.node.ensure_map("metadata", &pos) {
        if !opts.allow_name_change {
            if let Some(n) = name {
                md.set("name", n);
            }
        }
        match ns {
            Some(n) => {
                md.set("namespace", n);
            }
            None => {
                md.remove("namespace");
            }
        }
    }
    Ok(true)
}

/// Apply a document to every selected resource (dropping deleted ones).
fn apply_smp_to(
    res: &mut Vec<Resource>,
    selected: &[usize],
    patch: &Node,
    opts: SmOptions,
) -> Result<()> {
    let mut gone = Vec::new();
    for &i in selected {
        super::guard::charge_copy(patch, &patch.pos, || "a strategic merge patch".to_string())?;
        if !apply_smp(&mut res[i], patch, opts).map_err(|e| e.or_at(&patch.pos))? {
            gone.push(i);
        }
    }
    for i in gone.into_iter().rev() {
        res.remove(i);
    }
    Ok(())
}

/// Apply a target-less document to the one resource it names.
fn apply_smp_by_id(
    res: &mut Vec<Resource>,
    patch: &Node,
    opts: SmOptions,
    legacy: bool,
) -> Result<()> {
    let id = ResId::of(patch);
    let i = find_unique(res, &id, &patch.pos).map_err(|e| {
        if legacy {
            e
        } else {
            let msg = format!(
                "no resource matches strategic merge patch \"{id}\": {}",
                e.msg
            );
            Error { msg, ..e }
        }
    })?;
    apply_smp_to(res, &[i], patch, opts)
}

fn selected(res: &[Resource], t: &Target) -> Vec<usize> {
    res.iter()
        .enumerate()
        .filter(|(_, r)| t.matches(r))
        .map(|(i, _)| i)
        .collect()
}

fn apply_json(res: &mut [Resource], idx: &[usize], ops: &[Op], remember: bool) -> Result<()> {
    for &i in idx {
        let r = &mut res[i];
        json6902::json_round_numbers(&mut r.node);
        if remember {
            // `patches:` (kustomize's PatchTransformer), not `patchesJson6902:`
            r.remember_id();
            json6902::apply_with_build_annotations(&mut r.node, ops)?;
        } else {
            json6902::apply(&mut r.node, ops)?;
        }
    }
    Ok(())
}

/// `patchesStrategicMerge:`.
pub fn patches_strategic_merge(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
) -> Result<()> {
    let Some(list) = k.field("patchesStrategicMerge") else {
        return Ok(());
    };
    let Some(entries) = list.as_seq() else {
        return Err(Error::at(
            &list.pos,
            "'patchesStrategicMerge' must be a list of paths or inline patches",
        ));
    };
    let mut docs = Vec::new();
    for e in entries {
        let Some(s) = e.as_str() else {
            return Err(Error::at(
                &e.pos,
                "'patchesStrategicMerge' entries must be strings",
            ));
        };
        // Like kustomize, first try the entry itself as inline YAML resources.
        let inline = PatchText::inline(e, k)?;
        let is_inline = inline.parse().is_ok_and(|d| {
            d.iter().any(|n| !n.is_null()) && d.iter().all(|n| n.is_null() || n.is_map())
        });
        let pt = if is_inline {
            inline
        } else {
            PatchText::file(k, src, s.trim(), &e.pos, inputs)?
        };
        for d in pt.parse()? {
            if d.is_null() {
                continue;
            }
            if !d.is_map() {
                return Err(Error::at(
                    &d.pos,
                    format!(
                        "a strategic merge patch must be a mapping, not a {}",
                        d.type_name()
                    ),
                ));
            }
            if d.str_at(&["kind"]).unwrap_or("").is_empty() {
                return Err(Error::at(&d.pos, "missing kind in strategic merge patch"));
            }
            if d.str_at(&["metadata", "name"]).is_none() {
                return Err(Error::at(
                    &d.pos,
                    "missing metadata.name in strategic merge patch",
                ));
            }
            docs.push(d);
        }
    }
    for d in &docs {
        apply_smp_by_id(res, d, SmOptions::default(), true)?;
    }
    Ok(())
}

/// Read `path:` or `patch:` of an entry.
fn entry_text(
    k: &Kustomization,
    src: &dyn Source,
    e: &Node,
    section: &str,
    inputs: &mut Vec<String>,
) -> Result<PatchText> {
    let path = e
        .get("path")
        .filter(|n| !n.is_null() && n.as_str() != Some(""));
    let patch = e
        .get("patch")
        .filter(|n| !n.is_null() && n.as_str() != Some(""));
    match (path, patch) {
        (Some(_), Some(_)) => Err(Error::at(
            &e.pos,
            format!("{section} entry: patch and path can't be set at the same time"),
        )),
        (None, None) => Err(Error::at(
            &e.pos,
            format!("{section} entry: must specify one of patch and path"),
        )),
        (Some(p), None) => {
            let rel = p.as_str().ok_or_else(|| {
                Error::at(
                    &p.pos,
                    format!("{section} path must be a string, not a {}", p.type_name()),
                )
            })?;
            PatchText::file(k, src, rel, &p.pos, inputs)
        }
        (None, Some(p)) => PatchText::inline(p, k),
    }
}

fn options(e: &Node) -> Result<SmOptions> {
    let mut o = SmOptions::default();
    let Some(opts) = e.get("options").filter(|n| !n.is_null()) else {
        return Ok(o);
    };
    let Some(m) = opts.as_map() else {
        return Err(Error::at(&opts.pos, "patch options must be a mapping"));
    };
    for (key, v) in m {
        let b = v.as_bool().ok_or_else(|| {
            Error::at(
                &v.pos,
                format!("patch option '{key}' must be true or false"),
            )
        })?;
        match key.as_str() {
            "allowNameChange" => o.allow_name_change = b,
            "allowKindChange" => o.allow_kind_change = b,
            _ => {}
        }
    }
    Ok(o)
}

fn entries<'k>(k: &'k Kustomization, section: &str) -> Result<&'k [Node]> {
    let Some(list) = k.field(section) else {
        return Ok(&[]);
    };
    let Some(entries) = list.as_seq() else {
        return Err(Error::at(&list.pos, format!("'{section}' must be a list")));
    };
    for e in entries {
        if !e.is_map() {
            return Err(Error::at(
                &e.pos,
                format!(
                    "'{section}' entries must be mappings, not a {}",
                    e.type_name()
                ),
            ));
        }
    }
    Ok(entries)
}

/// `patches:` (each entry in order).
pub fn patches(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
) -> Result<()> {
    for e in entries(k, "patches")? {
        let text = entry_text(k, src, e, "patches", inputs)?;
        let target = match e.get("target").filter(|t| !t.is_null()) {
            Some(t) => Some(Target::parse(t)?),
            None => None,
        };
        let opts = options(e)?;
        let docs = text.parse();
        let sm = as_smp(&docs);
        let json = as_json(&text, &docs);
        match (sm, json) {
            (Some(_), Some(_)) => {
                return Err(Error::at(
                    &text.pos,
                    "patch illegally qualifies as both an SM and JSON patch",
                ));
            }
            (None, None) => {
                let why = match docs {
                    Err(e) => format!(": {}", e.msg),
                    Ok(_) => String::new(),
                };
                return Err(Error::at(
                    &text.pos,
                    format!("unable to parse SM or JSON patch{why}"),
                ));
            }
            (Some(docs), None) => match &target {
                None => {
                    for d in &docs {
                        apply_smp_by_id(res, d, opts, false)?;
                    }
                }
                Some(t) => {
                    if docs.len() > 1 {
                        return Err(Error::at(
                            &text.pos,
                            "Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field",
                        ));
                    }
                    for d in &docs {
                        let idx = selected(res, t);
                        apply_smp_to(res, &idx, d, opts)?;
                    }
                }
            },
            (None, Some(ops)) => {
                let Some(t) = &target else {
                    return Err(Error::at(&text.pos, "must specify a target for JSON patch"));
                };
                let idx = selected(res, t);
                apply_json(res, &idx, &ops, true)?;
            }
        }
    }
    Ok(())
}

/// `patchesJson6902:`.
#[allow(clippy::ptr_arg)] // the signature is the shared contract
pub fn patches_json6902(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
) -> Result<()> {
    for e in entries(k, "patchesJson6902")? {
        let Some(tn) = e.get("target").filter(|t| !t.is_null()) else {
            return Err(Error::at(
                &e.pos,
                "patchesJson6902 entry: must specify a target",
            ));
        };
        let t = Target::parse(tn)?;
        if t.name_text.is_empty() {
            return Err(Error::at(
                &tn.pos,
                "patchesJson6902 entry: must specify the target name",
            ));
        }
        let text = entry_text(k, src, e, "patchesJson6902", inputs)?;
        let docs = text.parse();
        let Some(ops) = as_json(&text, &docs) else {
            let why = match docs {
                Err(e) => e.msg,
                Ok(_) => "expected a list of operations".to_string(),
            };
            return Err(Error::at(&text.pos, format!("invalid JSON patch: {why}")));
        };
        let idx = selected(res, &t);
        apply_json(res, &idx, &ops, false)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
