//! Strategic-merge schema: which lists merge, and by which key.
//!
//! Built from the Kubernetes 1.21.2 OpenAPI document (the schema kustomize v5.5.0
//! carries) by `scripts/gen-openapi-table.py` into `data/openapi-merge.json`, and
//! keyed by the **exact** apiVersion+kind. Only fields that lead to a merge list are
//! kept: every other list is replaced when merging, which is also what happens to
//! every list of a kind without schema (CRDs, `extensions/v1beta1` Deployment, …).
//! CRD schemas can be registered at run time with [`register_crd`].

use crate::error::{Error, Result};
use crate::yaml::Node;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

/// What is known about one field (or one list's items).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Field {
    /// An object of this named type.
    #[serde(rename = "t", default)]
    pub type_name: Option<String>,
    /// A map whose values are described by this field (`additionalProperties`).
    #[serde(rename = "m", default)]
    pub map_values: Option<Box<Field>>,
    /// A list with this `x-kubernetes-patch-strategy` (only merge lists are listed).
    #[serde(rename = "l", default)]
    pub list_strategy: Option<String>,
    /// The list's `x-kubernetes-patch-merge-key` (absent for primitive merge lists).
    #[serde(rename = "k", default)]
    pub merge_key: Option<String>,
    /// The list's items.
    #[serde(rename = "i", default)]
    pub items: Option<Box<Field>>,
}

impl Field {
    fn object(type_name: &str) -> Field {
        Field {
            type_name: Some(type_name.to_string()),
            map_values: None,
            list_strategy: None,
            merge_key: None,
            items: None,
        }
    }
    /// True for a list whose patch strategy contains `merge`.
    pub fn is_merge_list(&self) -> bool {
        self.list_strategy
            .as_deref()
            .is_some_and(|s| s.split(',').any(|p| p.trim() == "merge"))
    }
}

/// How a list merges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListMerge {
    /// Replaced as a whole by the patch's list.
    Replace,
    /// Merged element by element on this key.
    Keyed(String),
    /// A list of scalars merged as a union.
    Primitive,
}

/// The whole table: root type per `"<apiVersion> <kind>"` and the types.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SchemaTable {
    gvks: HashMap<String, String>,
    types: HashMap<String, HashMap<String, Field>>,
}

const DATA: &str = include_str!("../../../data/openapi-merge.json");

/// Parse the built-in table now (see [`crate::kustomize::warm`]).
pub fn warm() {
    global();
}

fn global() -> &'static RwLock<Arc<SchemaTable>> {
    static TABLE: OnceLock<RwLock<Arc<SchemaTable>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let t: SchemaTable = serde_json::from_str(DATA).unwrap_or_default();
        RwLock::new(Arc::new(t))
    })
}

thread_local! {
    /// The schema of the render running on this thread, when a kustomization's
    /// `openapi: {path: ...}` replaced the built-in one.
    static RENDER_TABLE: std::cell::RefCell<Option<Arc<SchemaTable>>> =
        const { std::cell::RefCell::new(None) };
}

/// Set (or clear) the schema that replaces the built-in one for the render on
/// this thread (kustomize's `openapi.SetSchema` with a custom schema).
pub fn set_render_table(t: Option<Arc<SchemaTable>>) {
    RENDER_TABLE.with(|c| *c.borrow_mut() = t);
}

/// True when this thread's render has a custom schema.
pub fn has_render_table() -> bool {
    RENDER_TABLE.with(|c| c.borrow().is_some())
}

/// The current table: the render's custom schema, else the built-in kinds plus
/// registered CRDs.
pub fn table() -> Arc<SchemaTable> {
    if let Some(t) = RENDER_TABLE.with(|c| c.borrow().clone()) {
        return t;
    }
    match global().read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

impl SchemaTable {
    /// The root of `apiVersion`+`kind`, or None when the kind has no schema
    /// (or no merge lists at all, which merges the same way).
    pub fn root(&self, api_version: &str, kind: &str) -> Option<Field> {
        let t = self.gvks.get(&format!("{api_version} {kind}"))?;
        if t.is_empty() {
            return None;
        }
        Some(Field::object(t))
    }
    /// The schema of `key` below an object or map field.
    pub fn field<'a>(&'a self, parent: &'a Field, key: &str) -> Option<&'a Field> {
        if let Some(v) = &parent.map_values {
            return Some(v);
        }
        let t = parent.type_name.as_ref()?;
        self.types.get(t)?.get(key)
    }
    /// How a list field merges.
    pub fn list_merge(field: Option<&Field>) -> ListMerge {
        match field {
            Some(f) if f.is_merge_list() => match &f.merge_key {
                Some(k) => ListMerge::Keyed(k.clone()),
                None => ListMerge::Primitive,
            },
            _ => ListMerge::Replace,
        }
    }
    /// True when `apiVersion`+`kind` is known (built-in with a table entry or registered).
    pub fn knows(&self, api_version: &str, kind: &str) -> bool {
        self.gvks.contains_key(&format!("{api_version} {kind}"))
    }
}

/// How the list at `path` (field names from the object root; list items are
/// entered implicitly) of `apiVersion`+`kind` merges.
pub fn merge_key(api_version: &str, kind: &str, path: &[&str]) -> ListMerge {
    let t = table();
    let Some(root) = t.root(api_version, kind) else {
        return ListMerge::Replace;
    };
    let mut cur: Field = root;
    for (i, seg) in path.iter().enumerate() {
        let next = match t.field(&cur, seg) {
            Some(f) => f.clone(),
            None => return ListMerge::Replace,
        };
        if i + 1 == path.len() {
            return SchemaTable::list_merge(Some(&next));
        }
        cur = match next.items {
            Some(items) if next.list_strategy.is_some() => *items,
            _ => next,
        };
    }
    ListMerge::Replace
}

/// Register the merge keys of a CustomResourceDefinition (v1 `spec.versions[].schema.openAPIV3Schema`
/// or v1beta1 `spec.validation.openAPIV3Schema`): lists marked with
/// `x-kubernetes-patch-strategy: merge` and `x-kubernetes-patch-merge-key` then merge
/// by key in resources of that group and kind. Returns the number of versions registered.
pub fn register_crd(crd: &Node) -> Result<usize> {
    let group = crd.str_at(&["spec", "group"]).unwrap_or("");
    let Some(kind) = crd.str_at(&["spec", "names", "kind"]) else {
        return Err(Error::at(
            &crd.pos,
            "CustomResourceDefinition has no spec.names.kind",
        ));
    };
    let mut versions: Vec<(String, &Node)> = Vec::new();
    if let Some(vs) = crd.get_path(&["spec", "versions"]).and_then(|v| v.as_seq()) {
        for v in vs {
            let Some(name) = v.str_at(&["name"]) else {
                continue;
            };
            let schema = v
                .get_path(&["schema", "openAPIV3Schema"])
                .or_else(|| crd.get_path(&["spec", "validation", "openAPIV3Schema"]));
            if let Some(s) = schema {
                versions.push((name.to_string(), s));
            }
        }
    }
    if versions.is_empty() {
        if let (Some(v), Some(s)) = (
            crd.str_at(&["spec", "version"]),
            crd.get_path(&["spec", "validation", "openAPIV3Schema"]),
        ) {
            versions.push((v.to_string(), s));
        }
    }
    let mut lock = global().write().unwrap_or_else(|p| p.into_inner());
    let mut t: SchemaTable = (**lock).clone();
    let n = versions.len();
    for (version, schema) in versions {
        let api = if group.is_empty() {
            version.clone()
        } else {
            format!("{group}/{version}")
        };
        let root_name = format!("crd:{api}/{kind}");
        let mut counter = 0usize;
        let root = crd_field(schema, &root_name, &mut counter, &mut t.types);
        let name = root.and_then(|f| f.type_name).unwrap_or_default();
        t.gvks.insert(format!("{api} {kind}"), name);
    }
    *lock = Arc::new(t);
    Ok(n)
}

impl SchemaTable {
    /// A table from an OpenAPI (swagger 2) document as `openapi: {path: ...}`
    /// names it: `definitions` with `x-kubernetes-group-version-kind`, and
    /// `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` on lists.
    /// kustomize then uses it instead of the built-in schema.
    pub fn from_openapi(doc: &Node) -> Result<SchemaTable> {
        let Some(defs) = doc.get("definitions").and_then(|d| d.as_map()) else {
            return Err(Error::at(
                &doc.pos,
                "the OpenAPI schema has no 'definitions' mapping",
            ));
        };
        let mut t = SchemaTable::default();
        let mut counter = 0usize;
        for (name, def) in defs {
            let mut fields = HashMap::new();
            if let Some(props) = def.get("properties").and_then(|p| p.as_map()) {
                for (k, v) in props {
                    if let Some(f) = openapi_field(v, &mut counter, &mut t.types) {
                        fields.insert(k.clone(), f);
                    }
                }
            }
            t.types.insert(name.clone(), fields);
            if let Some(gvks) = def
                .get("x-kubernetes-group-version-kind")
                .and_then(|g| g.as_seq())
            {
                for g in gvks {
                    let group = g.str_at(&["group"]).unwrap_or("");
                    let version = g.str_at(&["version"]).unwrap_or("");
                    let kind = g.str_at(&["kind"]).unwrap_or("");
                    let api = if group.is_empty() {
                        version.to_string()
                    } else {
                        format!("{group}/{version}")
                    };
                    t.gvks.insert(format!("{api} {kind}"), name.clone());
                }
            }
        }
        Ok(t)
    }
}

fn openapi_field(
    s: &Node,
    counter: &mut usize,
    types: &mut HashMap<String, HashMap<String, Field>>,
) -> Option<Field> {
    if let Some(r) = s.get("$ref").and_then(|r| r.as_str()) {
        let name = r.strip_prefix("#/definitions/").unwrap_or(r);
        return Some(Field::object(name));
    }
    if let Some(props) = s.get("properties").and_then(|p| p.as_map()) {
        let mut fields = HashMap::new();
        for (k, v) in props {
            if let Some(f) = openapi_field(v, counter, types) {
                fields.insert(k.clone(), f);
            }
        }
        *counter += 1;
        let name = format!("openapi:inline#{counter}");
        types.insert(name.clone(), fields);
        return Some(Field::object(&name));
    }
    if s.str_at(&["type"]) == Some("array") {
        let items = s
            .get("items")
            .and_then(|i| openapi_field(i, counter, types));
        return Some(Field {
            type_name: None,
            map_values: None,
            list_strategy: s
                .str_at(&["x-kubernetes-patch-strategy"])
                .map(str::to_string),
            merge_key: s
                .str_at(&["x-kubernetes-patch-merge-key"])
                .map(str::to_string),
            items: items.map(Box::new),
        });
    }
    if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_map()) {
        let inner = openapi_field(ap, counter, types)?;
        return Some(Field {
            type_name: None,
            map_values: Some(Box::new(inner)),
            list_strategy: None,
            merge_key: None,
            items: None,
        });
    }
    None
}

/// Convert an inline OpenAPI v3 schema into table fields; None when nothing below merges.
fn crd_field(
    s: &Node,
    prefix: &str,
    counter: &mut usize,
    types: &mut HashMap<String, HashMap<String, Field>>,
) -> Option<Field> {
    if let Some(props) = s.get("properties").and_then(|p| p.as_map()) {
        let mut fields = HashMap::new();
        for (k, v) in props {
            if let Some(f) = crd_field(v, prefix, counter, types) {
                fields.insert(k.clone(), f);
            }
        }
        if fields.is_empty() {
            return None;
        }
        *counter += 1;
        let name = format!("{prefix}#{counter}");
        types.insert(name.clone(), fields);
        return Some(Field::object(&name));
    }
    if s.str_at(&["type"]) == Some("array") {
        let strategy = s.str_at(&["x-kubernetes-patch-strategy"]).unwrap_or("");
        if !strategy.split(',').any(|p| p.trim() == "merge") {
            return None;
        }
        let items = s
            .get("items")
            .and_then(|i| crd_field(i, prefix, counter, types));
        return Some(Field {
            type_name: None,
            map_values: None,
            list_strategy: Some(strategy.to_string()),
            merge_key: s
                .str_at(&["x-kubernetes-patch-merge-key"])
                .map(str::to_string),
            items: items.map(Box::new),
        });
    }
    if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_map()) {
        let inner = crd_field(ap, prefix, counter, types)?;
        return Some(Field {
            type_name: None,
            map_values: Some(Box::new(inner)),
            list_strategy: None,
            merge_key: None,
            items: None,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_merge_keys() {
        let k = |p: &[&str]| merge_key("apps/v1", "Deployment", p);
        assert_eq!(
            k(&["spec", "template", "spec", "containers"]),
            ListMerge::Keyed("name".into())
        );
        assert_eq!(
            k(&["spec", "template", "spec", "containers", "ports"]),
            ListMerge::Keyed("containerPort".into())
        );
        assert_eq!(
            k(&["spec", "template", "spec", "containers", "volumeMounts"]),
            ListMerge::Keyed("mountPath".into())
        );
        assert_eq!(
            k(&["spec", "template", "spec", "containers", "args"]),
            ListMerge::Replace
        );
        assert_eq!(
            k(&["spec", "template", "spec", "tolerations"]),
            ListMerge::Replace
        );
        assert_eq!(k(&["metadata", "finalizers"]), ListMerge::Primitive);
        assert_eq!(
            merge_key("v1", "Service", &["spec", "ports"]),
            ListMerge::Keyed("port".into())
        );
        // Exact apiVersion only: no schema for extensions/v1beta1 or apps/v1beta2 Deployments? v1beta2
        // exists in 1.21 only if listed; extensions/v1beta1 Deployment is gone.
        assert_eq!(
            merge_key(
                "extensions/v1beta1",
                "Deployment",
                &["spec", "template", "spec", "containers"]
            ),
            ListMerge::Replace
        );
        assert_eq!(
            merge_key("example.com/v1", "Foo", &["spec", "items"]),
            ListMerge::Replace
        );
    }

    #[test]
    fn crd_registration() {
        let crd: serde_json::Value = serde_json::json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.test.kpatch"},
            "spec": {"group": "test.kpatch", "names": {"kind": "Widget"},
              "versions": [{"name": "v1", "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "properties": {
                  "parts": {"type": "array", "x-kubernetes-patch-strategy": "merge",
                            "x-kubernetes-patch-merge-key": "id",
                            "items": {"type": "object", "properties": {"id": {"type": "string"}}}}}}}}}}]}
        });
        assert_eq!(register_crd(&Node::from_json(&crd)).unwrap(), 1);
        assert_eq!(
            merge_key("test.kpatch/v1", "Widget", &["spec", "parts"]),
            ListMerge::Keyed("id".into())
        );
        assert_eq!(
            merge_key("test.kpatch/v2", "Widget", &["spec", "parts"]),
            ListMerge::Replace
        );
    }
}
