//! `vars:` (deprecated, common): collected per kustomization, resolved at the top
//! level after name references. (Owner: references work.)
//!
//! A var is bound, when its kustomization is accumulated, to the one resource whose
//! current or previous id matches its objref (kustomize tags that resource); at the
//! top level its value is read from that resource's final state and substituted for
//! `$(NAME)` in the `varReference` fields (string scalars only).

use super::config::TransformerConfig;
use super::fieldspec::visit;
use super::kustomization::Kustomization;
use super::replacements::{gvk_string, lookup, parse_group_version, smarter_split};
use super::scope::is_cluster_scoped;
use crate::error::{Error, Result};
use crate::model::{Gvk, ResId, Resource};
use crate::yaml::{Node, Pos, Value};
use std::collections::HashSet;

/// A declared var.
#[derive(Clone, Debug)]
pub struct Var {
    /// `$(NAME)`.
    pub name: String,
    /// The object it reads (matched against any id).
    pub objref: ResId,
    /// Dotted field path, default `metadata.name`.
    pub fieldpath: String,
    /// Where it was declared.
    pub pos: Pos,
    /// The current id, when the var was declared, of the one resource its objref
    /// matched (None when nothing matched: resolving it then fails).
    pub bound: Option<ResId>,
}

impl Var {
    /// kustomize's `%v` rendering of a var: `{NAME Kind.version.group {fieldPath}}`.
    fn describe(&self) -> String {
        format!(
            "{{{} {} {{{}}}}}",
            self.name,
            gvk_string(&self.objref.gvk),
            self.fieldpath
        )
    }
}

fn str_field(n: &Node, key: &str) -> Result<String> {
    match n.get(key) {
        None => Ok(String::new()),
        Some(v) if v.is_null() => Ok(String::new()),
        Some(v) => match v.as_str() {
            Some(s) => Ok(s.to_string()),
            None => Err(Error::at(
                &v.pos,
                format!(
                    "var field '{key}' must be a string, not a {}",
                    v.type_name()
                ),
            )),
        },
    }
}

fn check_keys(n: &Node, what: &str, allowed: &[&str]) -> Result<()> {
    let Some(m) = n.as_map() else {
        return Err(Error::at(
            &n.pos,
            format!("{what} must be a mapping, not a {}", n.type_name()),
        ));
    };
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::at(
                &n.pos,
                format!("invalid Kustomization: json: unknown field \"{k}\""),
            ));
        }
    }
    Ok(())
}

fn parse_var(n: &Node) -> Result<Var> {
    check_keys(n, "a var", &["name", "objref", "fieldref"])?;
    let name = str_field(n, "name")?;
    let mut objref = ResId::default();
    if let Some(o) = n.get("objref").filter(|o| !o.is_null()) {
        check_keys(
            o,
            "objref",
            &[
                "apiVersion",
                "group",
                "version",
                "kind",
                "name",
                "namespace",
            ],
        )?;
        objref.gvk.group = str_field(o, "group")?;
        objref.gvk.version = str_field(o, "version")?;
        objref.gvk.kind = str_field(o, "kind")?;
        objref.name = str_field(o, "name")?;
        objref.namespace = str_field(o, "namespace")?;
        let api = str_field(o, "apiVersion")?;
        if !api.is_empty() {
            let parts: Vec<&str> = api.split('/').collect();
            match parts.len() {
                2 => {
                    objref.gvk.group = parts[0].to_string();
                    objref.gvk.version = parts[1].to_string();
                }
                1 => objref.gvk.version = parts[0].to_string(),
                _ => {}
            }
        }
    }
    let mut fieldpath = String::new();
    if let Some(f) = n.get("fieldref").filter(|f| !f.is_null()) {
        check_keys(f, "fieldref", &["fieldPath"])?;
        fieldpath = str_field(f, "fieldPath")?;
    }
    if fieldpath.is_empty() {
        fieldpath = "metadata.name".to_string();
    }
    Ok(Var {
        name,
        objref,
        fieldpath,
        pos: n.pos.clone(),
        bound: None,
    })
}

/// Effective namespace of an id whose kind's scope is known (current ids).
fn scoped_ns(id: &ResId) -> String {
    if is_cluster_scoped(&id.gvk) {
        "_non_namespaceable_".to_string()
    } else if id.namespace.is_empty() {
        "default".to_string()
    } else {
        id.namespace.clone()
    }
}

/// Effective namespace of an id built without scope knowledge (objrefs, previous ids).
fn literal_ns(ns: &str) -> &str {
    if ns.is_empty() {
        "default"
    } else {
        ns
    }
}

/// Current id (scope known) and previous ids (current group/version, previous kind).
fn ids_of(r: &Resource) -> Vec<(ResId, String)> {
    let cur = r.id();
    let (group, version) = parse_group_version(r.api_version());
    let mut out: Vec<(ResId, String)> = r
        .meta
        .previous
        .iter()
        .map(|p| {
            let id = ResId {
                gvk: Gvk {
                    group: group.clone(),
                    version: version.clone(),
                    kind: p.gvk.kind.clone(),
                },
                name: p.name.clone(),
                namespace: p.namespace.clone(),
            };
            let ns = literal_ns(&id.namespace).to_string();
            (id, ns)
        })
        .collect();
    let ns = scoped_ns(&cur);
    out.push((cur, ns));
    out
}

/// Whether `id` (with effective namespace `ns`) matches the objref: exact gvk and
/// name, and the namespace too when the objref names one.
fn objref_matches(objref: &ResId, id: &ResId, ns: &str) -> bool {
    id.name == objref.name
        && id.gvk == objref.gvk
        && (objref.namespace.is_empty() || literal_ns(&objref.namespace) == ns)
}

/// Read this kustomization's `vars:` (checked against the resources it can see).
pub fn collect(k: &Kustomization, res: &[Resource]) -> Result<Vec<Var>> {
    let Some(list) = k.field("vars") else {
        return Ok(Vec::new());
    };
    let Some(items) = list.as_seq() else {
        return Err(Error::at(&list.pos, "'vars' must be a list"));
    };
    let mut out = Vec::new();
    for item in items {
        let mut v = parse_var(item)?;
        let matched: Vec<&Resource> = res
            .iter()
            .filter(|r| {
                ids_of(r)
                    .iter()
                    .any(|(id, ns)| objref_matches(&v.objref, id, ns))
            })
            .collect();
        if matched.len() > 1 {
            return Err(Error::at(
                &v.pos,
                format!(
                    "found {} resId matches for var {} (unable to disambiguate)",
                    matched.len(),
                    v.describe()
                ),
            ));
        }
        v.bound = matched.first().map(|r| r.id());
        out.push(v);
    }
    Ok(out)
}

/// Fail on a var name declared twice anywhere in the tree.
pub fn check_duplicates(all: &[Var]) -> Result<()> {
    let mut seen = HashSet::new();
    for v in all {
        if !seen.insert(v.name.as_str()) {
            return Err(Error::at(
                &v.pos,
                format!("var '{}' already encountered", v.name),
            ));
        }
    }
    Ok(())
}

/// A var's value, as kustomize reads it (`GetFieldValue`).
#[derive(Clone, Debug)]
enum VarValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Maps and lists are not substituted.
    Other,
}

impl VarValue {
    fn text(&self) -> Option<String> {
        match self {
            VarValue::Str(s) => Some(s.clone()),
            VarValue::Int(i) => Some(i.to_string()),
            VarValue::Float(f) => Some(f.to_string()),
            VarValue::Bool(b) => Some(b.to_string()),
            VarValue::Other => None,
        }
    }
    fn value(&self) -> Option<Value> {
        match self {
            VarValue::Str(s) => Some(Value::Str(s.clone())),
            VarValue::Int(i) => Some(Value::Int(*i)),
            VarValue::Float(f) => Some(Value::Float(*f)),
            VarValue::Bool(b) => Some(Value::Bool(*b)),
            VarValue::Other => None,
        }
    }
}

/// `ports[0]` → `ports`, `0` (kyaml's convertSliceIndex).
fn convert_slice_index(parts: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for p in parts {
        if let Some(body) = p.strip_suffix(']') {
            if let Some(open) = body.rfind('[') {
                let idx = &body[open + 1..];
                if !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) {
                    if open > 0 {
                        out.push(body[..open].to_string());
                    }
                    out.push(idx.to_string());
                    continue;
                }
            }
        }
        out.push(p);
    }
    out
}

fn read_value(v: &Var, r: &Resource) -> Result<(VarValue, Pos)> {
    let parts = convert_slice_index(smarter_split(&v.fieldpath));
    let not_found = || {
        Error::at(
            &v.pos,
            format!(
                "field specified in var '{}' not found in corresponding resource",
                v.describe()
            ),
        )
    };
    let node = match lookup(&r.node, &parts) {
        Ok(Some(n)) => n,
        _ => return Err(not_found()),
    };
    let val = match &node.value {
        Value::Str(s) => VarValue::Str(s.clone()),
        Value::Int(i) => VarValue::Int(*i),
        Value::Float(f) => VarValue::Float(*f),
        Value::Bool(b) => VarValue::Bool(*b),
        Value::Null => VarValue::Str(String::new()),
        Value::Map(_) | Value::Seq(_) => VarValue::Other,
    };
    Ok((val, node.pos.clone()))
}

/// kustomize's `DoReplacements`: `$(NAME)` → value, `$$` → `$`, unknown kept.
/// Returns the new value and whether the whole input was one known var.
fn expand(input: &str, lookup: &Lookup, at: &Pos) -> Result<(Value, bool)> {
    let b = input.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < b.len() {
        if b[cursor] == b'$' && cursor + 1 < b.len() {
            out.extend_from_slice(&b[checkpoint..cursor]);
            let rest = &b[cursor + 1..];
            let advance;
            match rest[0] {
                b'$' => {
                    out.push(b'$');
                    advance = 1;
                }
                b'(' => match rest[1..].iter().position(|&c| c == b')') {
                    Some(p) => {
                        let name = &input[cursor + 2..cursor + 2 + p];
                        let whole = input.len() == p + 3;
                        match lookup(name) {
                            Some((value, text)) => {
                                if whole {
                                    if let Some(v) = value {
                                        return Ok((v, true));
                                    }
                                }
                                super::guard::charge_output(0, text.len() as u64, at, || {
                                    format!("the expansion of var '{name}'")
                                })?;
                                out.extend_from_slice(text.as_bytes());
                            }
                            None => {
                                out.extend_from_slice(b"$(");
                                out.extend_from_slice(name.as_bytes());
                                out.push(b')');
                            }
                        }
                        advance = p + 2;
                    }
                    None => {
                        out.extend_from_slice(b"$(");
                        advance = 1;
                    }
                },
                c => {
                    out.push(b'$');
                    out.push(c);
                    advance = 1;
                }
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < b.len() {
        out.extend_from_slice(&b[checkpoint..]);
    }
    Ok((
        Value::Str(String::from_utf8_lossy(&out).into_owned()),
        false,
    ))
}

/// The resource a var was bound to: one of its ids is the bound id (the hash
/// step's pre-hash name also counts).
fn find_bound<'r>(res: &'r [Resource], b: &ResId) -> Option<&'r Resource> {
    let bns = scoped_ns(b);
    let same = |id: &ResId, ns: &str, name: &str| {
        name == b.name
            && id.gvk.kind == b.gvk.kind
            && id.gvk.group == b.gvk.group
            && (ns == bns || literal_ns(&id.namespace) == literal_ns(&b.namespace))
    };
    res.iter()
        .find(|r| ids_of(r).iter().any(|(id, ns)| same(id, ns, &id.name)))
        .or_else(|| {
            res.iter().find(|r| {
                let Some(pre) = r.meta.name_before_hash.as_deref() else {
                    return false;
                };
                ids_of(r).iter().any(|(id, ns)| same(id, ns, pre))
            })
        })
}

/// Substitute `$(VAR)` in the var-reference fields of every resource.
pub fn resolve(res: &mut [Resource], vars: &[Var], cfg: &TransformerConfig) -> Result<()> {
    if vars.is_empty() {
        return Ok(());
    }
    let mut sorted: Vec<&Var> = vars.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut values: Vec<(String, VarValue, Pos)> = Vec::new();
    for v in sorted {
        let found = v.bound.as_ref().and_then(|b| find_bound(res, b));
        let Some(r) = found else {
            return Err(Error::at(
                &v.pos,
                format!(
                    "var '{}' cannot be mapped to a field in the set of known resources",
                    v.describe()
                ),
            ));
        };
        let (val, pos) = read_value(v, r)?;
        values.push((v.name.clone(), val, pos));
    }
    let find = |name: &str| -> Option<(Option<Value>, String, Pos)> {
        values
            .iter()
            .find(|(n, _, _)| n == name)
            .and_then(|(_, v, p)| Some((v.value(), v.text()?, p.clone())))
    };
    let lookup_fn = |name: &str| find(name).map(|(v, t, _)| (v, t));
    for r in res.iter_mut() {
        let gvk = r.id().gvk;
        for spec in cfg.var_reference.iter().filter(|s| s.matches(&gvk)) {
            visit(&mut r.node, &spec.path, false, &Pos::none(), &mut |n| {
                substitute(n, &lookup_fn, &find)
            })?;
        }
    }
    Ok(())
}

/// Var name → (typed value when primitive, text).
type Lookup<'a> = dyn Fn(&str) -> Option<(Option<Value>, String)> + 'a;

type Finder<'a> = dyn Fn(&str) -> Option<(Option<Value>, String, Pos)> + 'a;

fn substitute_str(n: &mut Node, lookup_fn: &Lookup, find: &Finder) -> Result<()> {
    let Value::Str(s) = &n.value else {
        return Ok(());
    };
    if !s.contains('$') {
        return Ok(());
    }
    let s = s.clone();
    let (new, whole) = expand(&s, lookup_fn, &n.pos)?;
    if whole {
        // The whole value came from the var's source field.
        let name = &s[2..s.len() - 1];
        if let Some((_, _, pos)) = find(name) {
            n.pos = pos;
        }
    }
    n.value = new;
    Ok(())
}

fn substitute(n: &mut Node, lookup_fn: &Lookup, find: &Finder) -> Result<()> {
    match &mut n.value {
        Value::Null => Ok(()),
        Value::Str(_) => substitute_str(n, lookup_fn, find),
        Value::Map(m) => {
            for v in m.values_mut() {
                substitute_str(v, lookup_fn, find)?;
            }
            Ok(())
        }
        Value::Seq(items) => {
            for it in items.iter_mut() {
                if !matches!(it.value, Value::Str(_)) {
                    return Err(Error::at(&it.pos, "invalid value type expect a string"));
                }
                substitute_str(it, lookup_fn, find)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
