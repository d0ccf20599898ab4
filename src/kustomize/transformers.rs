//! Built-in transformers: namespace, namePrefix/nameSuffix, labels, commonLabels,
//! commonAnnotations, replicas, images. Each reads its own kustomization section,
//! validates it (errors name the kustomization line) and records provenance (the
//! kustomization line) on the values it writes.
//!
//! Behaviour follows kustomize v5.5.0 (see KUSTOMIZE-SEMANTICS §7–§9).

// The `&mut Vec<Resource>` signatures are the pipeline's shared contract.
#![allow(clippy::ptr_arg)]

use super::config::{merge_one, parse_specs, TransformerConfig};
use super::fieldspec::FieldSpec;
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

/// Visit the field `path` names in `node` (an object), as kustomize's field-spec
/// filter does: sequences on the way are walked element by element, null or
/// missing fields stop the walk unless `create` (then maps are created at `pos`
/// and a missing final field is created as null), a `[]` suffix marks a list that
/// is never created, and a non-null scalar met on the way is an error.
fn visit(
    node: &mut Node,
    path: &[String],
    create: bool,
    pos: &Pos,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    let id = ResId::of(node);
    walk(node, path, create, pos, f).map_err(|e| match e {
        Walk::Scalar(p) => Error::at(
            &p,
            format!(
                "considering field '{}' of object {id}: expected sequence or mapping node",
                path.join("/")
            ),
        ),
        Walk::Other(e) => e,
    })
}

enum Walk {
    Scalar(Pos),
    Other(Error),
}

fn walk(
    node: &mut Node,
    path: &[String],
    create: bool,
    pos: &Pos,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<(), Walk> {
    if path.is_empty() {
        return f(node).map_err(Walk::Other);
    }
    match &mut node.value {
        Value::Seq(items) => {
            for item in items.iter_mut() {
                walk(item, path, create, pos, f)?;
            }
            return Ok(());
        }
        Value::Map(_) => {}
        Value::Null => return Ok(()),
        _ => return Err(Walk::Scalar(node.pos.clone())),
    }
    let (seg, is_list) = match path[0].strip_suffix("[]") {
        Some(s) => (s, true),
        None => (path[0].as_str(), false),
    };
    let last = path.len() == 1;
    let map = node.as_map_mut().expect("checked");
    if !map.contains_key(seg) {
        if !create || is_list {
            return Ok(());
        }
        let child = if last {
            Node::new(Value::Null, pos.clone())
        } else {
            Node::map(pos.clone())
        };
        map.insert(seg.to_string(), child);
    }
    let child = map.get_mut(seg).expect("present");
    if child.is_null() {
        // A null field is missing unless it may be created.
        if !create || is_list {
            return Ok(());
        }
        if !last {
            *child = Node::map(pos.clone());
        }
    }
    walk(child, &path[1..], create, pos, f)
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

// ---------------------------------------------------------------------------
// namespace
// ---------------------------------------------------------------------------

/// Which (Cluster)RoleBinding subjects get the namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoleBindingSubjects {
    /// Subjects named `default` (any kind). The `namespace:` field's behaviour.
    #[default]
    DefaultOnly,
    /// Every ServiceAccount subject.
    AllServiceAccounts,
    /// None.
    None,
}

/// Options of the namespace transformer (only a `transformers:` plugin config sets them).
#[derive(Clone, Copy, Debug, Default)]
pub struct NamespaceOptions {
    /// Only fill empty namespaces.
    pub unset_only: bool,
    /// Role binding subjects to update.
    pub subjects: RoleBindingSubjects,
}

/// `namespace:`.
pub fn namespace(
    k: &Kustomization,
    res: &mut Vec<Resource>,
    cfg: &TransformerConfig,
) -> Result<()> {
    let Some((ns, pos)) = k.string("namespace")? else {
        return Ok(());
    };
    apply_namespace(res, &ns, &pos, &cfg.namespace, NamespaceOptions::default())
}

/// Set namespace `ns` (provenance `pos`) on `res` using the namespace field `specs`.
pub fn apply_namespace(
    res: &mut [Resource],
    ns: &str,
    pos: &Pos,
    specs: &[FieldSpec],
    opts: NamespaceOptions,
) -> Result<()> {
    if ns.is_empty() {
        return Ok(());
    }
    let mut set = |node: &mut Node| -> Result<()> {
        if !node.is_scalar() {
            return Err(Error::at(
                &node.pos,
                "namespace field specs must target scalar nodes",
            ));
        }
        if opts.unset_only && !node.scalar_string().unwrap_or_default().is_empty() {
            return Ok(());
        }
        *node = Node::str(ns, pos.clone());
        Ok(())
    };
    // How many resources currently carry each id (kept up to date as resources
    // move), so that the conflict check after each move is not a rescan.
    let mut counts: std::collections::HashMap<(Gvk, String, String), usize> =
        std::collections::HashMap::with_capacity(res.len());
    for r in res.iter() {
        *counts.entry(id_key(&r.id())).or_default() += 1;
    }
    for i in 0..res.len() {
        if is_empty(&res[i]) {
            continue;
        }
        let before = id_key(&res[i].id());
        if let Some(c) = counts.get_mut(&before) {
            *c -= 1;
        }
        res[i].remember_id();
        let r = &mut res[i];
        let api = r.api_version().to_string();
        let gvk = gvk_of(r);
        // metadata.namespace: every kind not certainly cluster-scoped.
        if !is_cluster_scoped(&gvk) {
            visit(
                &mut r.node,
                &["metadata".into(), "namespace".into()],
                true,
                pos,
                &mut set,
            )?;
        }
        let is_binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
        if is_binding {
            role_binding_subjects(&mut r.node, opts, &mut set)?;
        }
        for s in specs {
            let p = s.path_string();
            if p == "metadata/namespace" || (p == "metadata/name" && api != "v1") {
                continue;
            }
            if is_binding && s.path.first().map(|x| x.trim_end_matches("[]")) == Some("subjects") {
                continue;
            }
            if s.matches(&gvk) {
                visit(&mut r.node, &s.path, s.create, pos, &mut set).map_err(|e| {
                    e.context(format!("namespace transformation failed for {}", r.id()))
                })?;
            }
        }
        let cur = id_key(&res[i].id());
        let count = counts.entry(cur.clone()).or_default();
        *count += 1;
        if *count != 1 {
            let matches: Vec<ResId> = res
                .iter()
                .map(|x| x.id())
                .filter(|id| id_key(id) == cur)
                .collect();
            let ids: Vec<String> = matches.iter().map(|x| x.to_string()).collect();
            return Err(Error::at(
                pos,
                format!(
                    "namespace transformation produces ID conflict: [{}]",
                    ids.join(" ")
                ),
            ));
        }
    }
    Ok(())
}

fn role_binding_subjects(
    node: &mut Node,
    opts: NamespaceOptions,
    set: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    if opts.subjects == RoleBindingSubjects::None {
        return Ok(());
    }
    let Some(subjects) = node.get_mut("subjects") else {
        return Ok(());
    };
    if subjects.is_null() {
        return Ok(());
    }
    let Some(items) = subjects.as_seq_mut() else {
        return Err(Error::at(
            &subjects.pos,
            "role binding 'subjects' must be a list",
        ));
    };
    for subj in items.iter_mut() {
        if !subj.is_map() {
            continue;
        }
        let wanted = match opts.subjects {
            RoleBindingSubjects::DefaultOnly => subj.str_at(&["name"]) == Some("default"),
            RoleBindingSubjects::AllServiceAccounts => {
                subj.str_at(&["kind"]) == Some("ServiceAccount")
            }
            RoleBindingSubjects::None => false,
        };
        if wanted {
            let pos = subj.pos.clone();
            let m = subj.as_map_mut().expect("checked");
            let slot = m
                .entry("namespace".to_string())
                .or_insert_with(|| Node::new(Value::Null, pos));
            set(slot)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// namePrefix / nameSuffix
// ---------------------------------------------------------------------------

/// `namePrefix:` and `nameSuffix:` (prefix first, then suffix).
pub fn prefix_suffix(
    k: &Kustomization,
    res: &mut Vec<Resource>,
    cfg: &TransformerConfig,
) -> Result<()> {
    if let Some((p, pos)) = k.string("namePrefix")? {
        apply_affix(res, &p, true, &pos, &cfg.name_prefix)?;
    }
    if let Some((s, pos)) = k.string("nameSuffix")? {
        apply_affix(res, &s, false, &pos, &cfg.name_suffix)?;
    }
    Ok(())
}

/// Kinds whose names never get a prefix or suffix (judged by the original id).
fn skips_affix(id: &ResId) -> bool {
    id.gvk.kind == "CustomResourceDefinition"
        || id.gvk.kind == "Namespace"
        || (id.gvk.group == "apiregistration.k8s.io" && id.gvk.kind == "APIService")
}

/// Add `affix` as a prefix (`prefix`) or suffix to the fields `specs` name.
pub fn apply_affix(
    res: &mut [Resource],
    affix: &str,
    prefix: bool,
    pos: &Pos,
    specs: &[FieldSpec],
) -> Result<()> {
    if affix.is_empty() {
        return Ok(());
    }
    for r in res.iter_mut() {
        if is_empty(r) {
            continue;
        }
        let org = r.original_id();
        if skips_affix(&org) {
            continue;
        }
        for s in specs.iter().filter(|s| selects(s, &org.gvk)) {
            if s.path_string() == "metadata/name" {
                if prefix {
                    r.meta.prefixes.push(affix.to_string());
                } else {
                    r.meta.suffixes.push(affix.to_string());
                }
                r.remember_id();
            }
            let gvk = gvk_of(r);
            if !s.matches(&gvk) {
                continue;
            }
            visit(&mut r.node, &s.path, s.create, pos, &mut |n: &mut Node| {
                let Some(old) = n.scalar_string() else {
                    return Ok(());
                };
                let new = if prefix {
                    format!("{affix}{old}")
                } else {
                    format!("{old}{affix}")
                };
                *n = Node::str(new, pos.clone());
                Ok(())
            })?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// labels / commonLabels / commonAnnotations
// ---------------------------------------------------------------------------

/// `labels:` entries then `commonLabels:`.
pub fn labels(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    for entry in entries(k, "labels")? {
        check_keys(
            entry,
            &["pairs", "includeSelectors", "includeTemplates", "fields"],
            "labels",
        )?;
        let pairs = string_map(entry.get("pairs"), "labels.pairs")?;
        let selectors = entry_bool(entry, "includeSelectors", "labels")?;
        let templates = entry_bool(entry, "includeTemplates", "labels")?;
        let fields = match entry.get("fields") {
            Some(f) => parse_specs(f, "fields")?,
            None => Vec::new(),
        };
        let specs = label_entry_specs(fields, selectors, templates, cfg)
            .map_err(|e| e.or_at(&entry.pos))?;
        apply_map(res, &pairs, &specs, "label")?;
    }
    let common = string_map(k.field("commonLabels"), "commonLabels")?;
    apply_map(res, &common, &cfg.common_labels, "label")
}

/// The field specs one `labels:` entry writes.
pub fn label_entry_specs(
    fields: Vec<FieldSpec>,
    include_selectors: bool,
    include_templates: bool,
    cfg: &TransformerConfig,
) -> Result<Vec<FieldSpec>> {
    let conflict = |e: Error| e.context("failed to merge labels");
    let mut fss = fields;
    for s in &cfg.labels {
        merge_one(&mut fss, s, true).map_err(conflict)?;
    }
    if include_selectors {
        for s in &cfg.common_labels {
            merge_one(&mut fss, s, true).map_err(conflict)?;
        }
    } else {
        if include_templates {
            for s in &cfg.template_labels {
                merge_one(&mut fss, s, true)
                    .map_err(|e| e.context("failed to merge template fieldSpec"))?;
            }
        }
        merge_one(&mut fss, &FieldSpec::new("metadata/labels", true), true).map_err(conflict)?;
    }
    Ok(fss)
}

/// `commonAnnotations:`.
pub fn annotations(
    k: &Kustomization,
    res: &mut Vec<Resource>,
    cfg: &TransformerConfig,
) -> Result<()> {
    let pairs = string_map(k.field("commonAnnotations"), "commonAnnotations")?;
    apply_map(res, &pairs, &cfg.common_annotations, "annotation")
}

/// Write every pair into the mappings `specs` name, on every resource.
fn apply_map(res: &mut [Resource], pairs: &[Pair], specs: &[FieldSpec], what: &str) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    for r in res.iter_mut() {
        if is_empty(r) {
            continue;
        }
        let gvk = gvk_of(r);
        for p in pairs {
            for s in specs.iter().filter(|s| s.matches(&gvk)) {
                visit(
                    &mut r.node,
                    &s.path,
                    s.create,
                    &p.pos,
                    &mut |n: &mut Node| set_entry(n, &p.key, &p.value, &p.pos, what),
                )?;
            }
        }
    }
    Ok(())
}

/// Apply a label map with the given specs (for callers such as generators' options
/// or plugin configs).
pub fn apply_labels(
    res: &mut [Resource],
    pairs: &[(String, String, Pos)],
    specs: &[FieldSpec],
) -> Result<()> {
    let pairs: Vec<Pair> = pairs
        .iter()
        .map(|(k, v, p)| Pair {
            key: k.clone(),
            value: v.clone(),
            pos: p.clone(),
        })
        .collect();
    apply_map(res, &pairs, specs, "label")
}

// ---------------------------------------------------------------------------
// replicas
// ---------------------------------------------------------------------------

/// `replicas:`.
pub fn replicas(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    for entry in entries(k, "replicas")? {
        check_keys(entry, &["name", "count"], "replicas")?;
        let (name, name_pos) = entry_string(entry, "name", "replicas")?;
        let (count, count_pos) = match entry.get("count") {
            None => (0, entry.pos.clone()),
            Some(v) => match &v.value {
                Value::Null => (0, v.pos.clone()),
                Value::Int(i) => (*i, v.pos.clone()),
                _ => {
                    return Err(Error::at(
                        &v.pos,
                        format!(
                            "'replicas' field 'count' must be an integer, not a {}",
                            v.type_name()
                        ),
                    ))
                }
            },
        };
        let pos = if count_pos.is_none() {
            name_pos.clone()
        } else {
            count_pos
        };
        let mut found = false;
        for s in &cfg.replicas {
            for r in res.iter_mut() {
                if is_empty(r) {
                    continue;
                }
                let hit = r
                    .all_ids()
                    .iter()
                    .any(|id| id.name == name && s.matches(&id.gvk));
                if !hit {
                    continue;
                }
                found = true;
                if !s.matches(&gvk_of(r)) {
                    continue;
                }
                visit(&mut r.node, &s.path, s.create, &pos, &mut |n: &mut Node| {
                    *n = Node::new(Value::Int(count), pos.clone());
                    Ok(())
                })?;
            }
        }
        if !found {
            let gvks: Vec<String> = cfg
                .replicas
                .iter()
                .map(|s| {
                    let or = |x: &str, d: &str| {
                        if x.is_empty() {
                            d.to_string()
                        } else {
                            x.to_string()
                        }
                    };
                    format!(
                        "{}.{}.{}",
                        or(&s.kind, "[noKind]"),
                        or(&s.version, "[noVer]"),
                        or(&s.group, "[noGrp]")
                    )
                })
                .collect();
            return Err(Error::at(
                &name_pos,
                format!(
                    "resource with name {name} does not match a config with the following GVK [{}]",
                    gvks.join(" ")
                ),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// images
// ---------------------------------------------------------------------------

/// One `images:` entry.
#[derive(Clone, Debug, Default)]
pub struct ImageRule {
    /// Image name to match (inserted unescaped into a regex).
    pub name: String,
    /// Replacement name.
    pub new_name: String,
    /// Replacement tag.
    pub new_tag: String,
    /// Replacement digest.
    pub digest: String,
    /// Suffix appended to the tag.
    pub tag_suffix: String,
    /// Provenance of the values written.
    pub pos: Pos,
}

/// Compiled matcher for an image rule.
struct ImageMatcher<'a> {
    rule: &'a ImageRule,
    re: regex::Regex,
}

impl ImageMatcher<'_> {
    fn update(&self, n: &mut Node) -> Result<()> {
        let value = match &n.value {
            Value::Null => String::new(),
            Value::Map(_) | Value::Seq(_) => {
                return Err(Error::at(
                    &n.pos,
                    format!(
                        "wrong node kind: expected a scalar image but got a {}",
                        n.type_name()
                    ),
                ))
            }
            _ => n.scalar_string().unwrap_or_default(),
        };
        if !self.re.is_match(&value) {
            return Ok(());
        }
        let new = rewrite_image(&value, self.rule);
        *n = Node::str(new, self.rule.pos.clone());
        Ok(())
    }
}

/// Split an image reference into name, tag and digest the way kustomize does
/// (tag and digest are looked for only after the first `/`).
pub fn split_image(image: &str) -> (String, String, String) {
    let slash = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[slash..];
    let at = search.find('@');
    let colon = search.find(':');
    match (colon, at) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (c, Some(d)) if c.is_none() || d < c.unwrap_or(usize::MAX) => {
            let d = d + slash;
            (
                image[..d].to_string(),
                String::new(),
                image[d + 1..].to_string(),
            )
        }
        (Some(c), Some(d)) => {
            let (c, d) = (c + slash, d + slash);
            (
                image[..c].to_string(),
                image[c + 1..d].to_string(),
                image[d + 1..].to_string(),
            )
        }
        (Some(c), None) => {
            let c = c + slash;
            (
                image[..c].to_string(),
                image[c + 1..].to_string(),
                String::new(),
            )
        }
        (None, Some(_)) => unreachable!("handled above"),
    }
}

/// The new image reference for a matched `image`.
pub fn rewrite_image(image: &str, rule: &ImageRule) -> String {
    let (mut name, mut tag, mut digest) = split_image(image);
    if !rule.new_name.is_empty() {
        name = rule.new_name.clone();
    }
    if !rule.new_tag.is_empty() && !rule.digest.is_empty() {
        tag = rule.new_tag.clone();
        digest = rule.digest.clone();
    } else if !rule.new_tag.is_empty() {
        tag = rule.new_tag.clone();
        digest.clear();
    } else if !rule.digest.is_empty() {
        tag.clear();
        digest = rule.digest.clone();
    } else if !rule.tag_suffix.is_empty() {
        tag.push_str(&rule.tag_suffix);
        digest.clear();
    }
    if !tag.is_empty() {
        name.push(':');
        name.push_str(&tag);
    }
    if !digest.is_empty() {
        name.push('@');
        name.push_str(&digest);
    }
    name
}

/// Parse one `images:` entry.
pub fn parse_image_rule(entry: &Node) -> Result<ImageRule> {
    check_keys(
        entry,
        &["name", "newName", "newTag", "digest", "tagSuffix"],
        "images",
    )?;
    Ok(ImageRule {
        name: entry_string(entry, "name", "images")?.0,
        new_name: entry_string(entry, "newName", "images")?.0,
        new_tag: entry_string(entry, "newTag", "images")?.0,
        digest: entry_string(entry, "digest", "images")?.0,
        tag_suffix: entry_string(entry, "tagSuffix", "images")?.0,
        pos: entry.pos.clone(),
    })
}

/// `images:`.
pub fn images(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    for entry in entries(k, "images")? {
        let rule = parse_image_rule(entry)?;
        apply_image(res, &rule, &cfg.images)?;
    }
    Ok(())
}

/// Apply one image rule: the legacy pass over every `containers`/`initContainers`
/// list anywhere, then the field-spec pass (both skip CustomResourceDefinitions).
pub fn apply_image(res: &mut [Resource], rule: &ImageRule, specs: &[FieldSpec]) -> Result<()> {
    let pattern = format!(
        "^{}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$",
        rule.name
    );
    let re = regex::Regex::new(&pattern).map_err(|e| {
        Error::at(
            &rule.pos,
            format!("invalid image name '{}': {e}", rule.name),
        )
    })?;
    let m = ImageMatcher { rule, re };
    for r in res.iter_mut() {
        if is_empty(r) || r.kind() == "CustomResourceDefinition" {
            continue;
        }
        legacy_walk(&mut r.node, &m)?;
    }
    for r in res.iter_mut() {
        if is_empty(r) || r.kind() == "CustomResourceDefinition" {
            continue;
        }
        let gvk = gvk_of(r);
        for s in specs.iter().filter(|s| s.matches(&gvk)) {
            // Image fields are never created.
            visit(
                &mut r.node,
                &s.path,
                false,
                &rule.pos,
                &mut |n: &mut Node| m.update(n),
            )?;
        }
    }
    Ok(())
}

fn legacy_walk(node: &mut Node, m: &ImageMatcher) -> Result<()> {
    match &mut node.value {
        Value::Map(map) => {
            for (key, child) in map.iter_mut() {
                legacy_walk(child, m)?;
                if key == "containers" || key == "initContainers" {
                    if let Some(items) = child.as_seq_mut() {
                        for item in items.iter_mut() {
                            if item.is_null() {
                                continue;
                            }
                            if !item.is_map() {
                                return Err(Error::at(
                                    &item.pos,
                                    format!("wrong node kind: expected a mapping in '{key}' but got a {}", item.type_name()),
                                ));
                            }
                            if let Some(img) = item.get_mut("image") {
                                m.update(img)?;
                            }
                        }
                    }
                }
            }
        }
        Value::Seq(items) => {
            for item in items.iter_mut() {
                legacy_walk(item, m)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::kustomization::KustKind;
    use crate::yaml::{parse_stream, ParseOptions};

    const KFILE: &str = "app/kustomization.yaml";

    fn kust(text: &str) -> Kustomization {
        let node = parse_stream(text, KFILE, &ParseOptions::kustomization())
            .unwrap()
            .remove(0);
        Kustomization {
            file: KFILE.into(),
            dir: "app".into(),
            kind: KustKind::Kustomization,
            node,
        }
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
}
