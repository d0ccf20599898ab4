//! Built-in transformers: namespace, namePrefix/nameSuffix, labels, commonLabels,
//! commonAnnotations, replicas, images. Each reads its own kustomization section,
//! validates it (errors name the kustomization line) and records provenance (the
//! kustomization line) on the values it writes.
//!
//! Behaviour follows kustomize v5.5.0 (see KUSTOMIZE-SEMANTICS §7–§9).

// The `&mut Vec<Resource>` signatures are the pipeline's shared contract.
#![allow(clippy::ptr_arg)]

use super::config::{merge_one, parse_specs, TransformerConfig};
use super::fieldspec::{visit_strict as visit, FieldSpec};
use super::kustomization::Kustomization;
use super::scope::is_cluster_scoped;
use crate::error::{Error, Result};
use crate::model::{Gvk, ResId, Resource};
use crate::yaml::{Node, Pos, Value};

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// A resource kustomize leaves alone (null or an empty mapping).
fn is_empty(r: &Resource) -> bool {
    match &r.node.value {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// The current GVK of a resource.
fn gvk_of(r: &Resource) -> Gvk {
    Gvk::from_api_version(r.api_version(), r.kind())
}

/// Whether `sel` (empty parts = any) selects `gvk`.
fn selects(sel: &FieldSpec, gvk: &Gvk) -> bool {
    sel.matches(gvk)
}

/// Identity as kustomize compares it: exact GVK and name, effective namespace
/// (cluster-scoped kinds ignore it; `""` is `default`).
fn id_key(id: &ResId) -> (Gvk, String, String) {
    let ns = if is_cluster_scoped(&id.gvk) {
        "_non_namespaceable_".to_string()
    } else if id.namespace.is_empty() {
        "default".to_string()
    } else {
        id.namespace.clone()
    };
    (id.gvk.clone(), id.name.clone(), ns)
}
/// One `key: value` of a string map section, with the value's position.
struct Pair {
    key: String,
    value: String,
    pos: Pos,
}

/// Read a `map[string]string` section (values must be strings; null is `""`),
/// sorted by key as kustomize applies them.
fn string_map(n: Option<&Node>, what: &str) -> Result<Vec<Pair>> {
    let Some(n) = n.filter(|n| !n.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(map) = n.as_map() else {
        return Err(Error::at(
            &n.pos,
            format!(
                "'{what}' must be a mapping of strings, not a {}",
                n.type_name()
            ),
        ));
    };
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        let value = match &v.value {
            Value::Null => String::new(),
            Value::Str(s) => s.clone(),
            _ => {
                return Err(Error::at(
                    &v.pos,
                    format!(
                        "'{what}' value of '{k}' must be a string, not a {} (quote it)",
                        v.type_name()
                    ),
                ))
            }
        };
        let pos = if v.pos.is_none() {
            n.pos.clone()
        } else {
            v.pos.clone()
        };
        out.push(Pair {
            key: k.clone(),
            value,
            pos,
        });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// A string field of an entry (null / absent = `""`).
fn entry_string(entry: &Node, key: &str, what: &str) -> Result<(String, Pos)> {
    match entry.get(key) {
        None => Ok((String::new(), entry.pos.clone())),
        Some(v) => match &v.value {
            Value::Null => Ok((String::new(), v.pos.clone())),
            Value::Str(s) => Ok((s.clone(), v.pos.clone())),
            _ => Err(Error::at(
                &v.pos,
                format!(
                    "'{what}' field '{key}' must be a string, not a {}",
                    v.type_name()
                ),
            )),
        },
    }
}

/// A boolean field of an entry (null / absent = false).
fn entry_bool(entry: &Node, key: &str, what: &str) -> Result<bool> {
    match entry.get(key) {
        None => Ok(false),
        Some(v) => match &v.value {
            Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            _ => Err(Error::at(
                &v.pos,
                format!(
                    "'{what}' field '{key}' must be a boolean, not a {}",
                    v.type_name()
                ),
            )),
        },
    }
}

/// Reject keys of an entry not in `allowed`.
fn check_keys(entry: &Node, allowed: &[&str], what: &str) -> Result<()> {
    let Some(map) = entry.as_map() else {
        return Err(Error::at(
            &entry.pos,
            format!(
                "'{what}' entries must be mappings, not a {}",
                entry.type_name()
            ),
        ));
    };
    for (k, v) in map {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::at(
                &v.pos,
                format!("invalid Kustomization: unknown field \"{k}\" in a '{what}' entry"),
            ));
        }
    }
    Ok(())
}

/// The entries of a list section.
fn entries<'a>(k: &'a Kustomization, name: &str) -> Result<&'a [Node]> {
    match k.field(name) {
        None => Ok(&[]),
        Some(n) => match n.as_seq() {
            Some(s) => Ok(s.as_slice()),
            None => Err(Error::at(
                &n.pos,
                format!("'{name}' must be a list, not a {}", n.type_name()),
            )),
        },
    }
}

/// Set `key: value` (a string) in the mapping `node` (null becomes a mapping).
fn set_entry(node: &mut Node, key: &str, value: &str, pos: &Pos, what: &str) -> Result<()> {
    if node.is_null() {
        node.value = Value::Map(Default::default());
    }
    match node.as_map_mut() {
        Some(m) => {
            m.insert(key.to_string(), Node::str(value, pos.clone()));
            Ok(())
        }
        None => Err(Error::at(
            &node.pos,
            format!(
                "cannot set {what} '{key}': expected a mapping but found a {}",
                node.type_name()
            ),
        )),
    }
}

mod affix;
mod images;
mod labels;
mod namespace;
mod replicas;
#[cfg(test)]
mod tests;

pub use affix::*;
pub use images::*;
pub use labels::*;
pub use namespace::*;
pub use replicas::*;
