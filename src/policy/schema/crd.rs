//! CustomResourceDefinitions found in the rendered output: their
//! `openAPIV3Schema` per served version, turned into a JSON Schema (draft 4, the
//! dialect OpenAPI v3 schemas are written in) with the API server's semantics:
//! `nullable`, `x-kubernetes-int-or-string`, and unknown fields rejected unless
//! `x-kubernetes-preserve-unknown-fields` (kubectl's default field validation
//! is strict). A CRD is attacker data: its schema is measured against
//! [`SchemaBudget`] before anything compiles it.

use crate::error::{Error, ErrorKind, Result};
use crate::model::Resource;
use crate::yaml::Pos;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Limits on one CRD version's schema (a pull request may add any CRD).
#[derive(Clone, Copy, Debug)]
pub struct SchemaBudget {
    /// Schema nodes (objects, arrays and scalars) in one version's schema.
    pub max_nodes: usize,
    /// Nesting depth of the schema.
    pub max_depth: usize,
    /// Bytes of one `pattern`.
    pub max_pattern_bytes: usize,
}

impl Default for SchemaBudget {
    fn default() -> Self {
        SchemaBudget {
            max_nodes: 200_000,
            max_depth: 64,
            max_pattern_bytes: 4096,
        }
    }
}

/// One served version of a CRD: (group, version, kind) → its schema, measured and
/// converted only when a resource needs it ([`CrdSchema::prepare`]).
#[derive(Clone, Debug)]
pub struct CrdSchema<'a> {
    /// The custom resource's API group.
    pub group: String,
    /// The version.
    pub version: String,
    /// The kind.
    pub kind: String,
    /// The `openAPIV3Schema` as written, `None` when the version declares none.
    pub schema: Option<&'a crate::yaml::Node>,
    /// Where the CRD comes from (its document).
    pub origin: Pos,
    /// The CRD's `metadata.name`.
    pub name: String,
}

impl CrdSchema<'_> {
    /// The JSON Schema to compile: measured against `budget` (an error naming the
    /// CRD's file when over it), then converted. `None` without a schema.
    pub fn prepare(&self, budget: &SchemaBudget) -> Result<Option<Value>> {
        let Some(node) = self.schema else {
            return Ok(None);
        };
        let raw = node.to_json();
        measure(&raw, budget).map_err(|why| over_budget(&self.origin, &self.name, &why))?;
        Ok(Some(convert(&raw, true)))
    }
}

/// Every CRD version in `resources`, keyed by (group, version, kind); the first
/// CRD declaring a key wins. Nothing is compiled or measured here: a CRD no
/// changed resource uses costs nothing.
pub fn collect<'a>(
    resources: impl Iterator<Item = &'a Resource>,
    out: &mut BTreeMap<(String, String, String), CrdSchema<'a>>,
) {
    for r in resources {
        if r.kind() != "CustomResourceDefinition"
            || !r.api_version().starts_with("apiextensions.k8s.io/")
        {
            continue;
        }
        let spec = r.node.get("spec");
        let group = spec.and_then(|s| s.str_at(&["group"])).unwrap_or("");
        let kind = spec
            .and_then(|s| s.str_at(&["names", "kind"]))
            .unwrap_or("");
        if group.is_empty() || kind.is_empty() {
            continue;
        }
        let versions = spec
            .and_then(|s| s.get("versions"))
            .and_then(|v| v.as_seq());
        for v in versions.into_iter().flatten() {
            let Some(version) = v.str_at(&["name"]) else {
                continue;
            };
            let key = (group.to_string(), version.to_string(), kind.to_string());
            if out.contains_key(&key) {
                continue;
            }
            let schema = v
                .get_path(&["schema", "openAPIV3Schema"])
                .filter(|s| s.is_map());
            out.insert(
                key,
                CrdSchema {
                    group: group.to_string(),
                    version: version.to_string(),
                    kind: kind.to_string(),
                    schema,
                    origin: r.origin.clone(),
                    name: r.name().to_string(),
                },
            );
        }
    }
}

/// The error for a CRD whose schema is beyond the budget: exit 2, naming its file.
fn over_budget(origin: &Pos, name: &str, why: &str) -> Error {
    Error::at(
        origin,
        format!(
            "CustomResourceDefinition '{name}': its schema {why}; the gate cannot validate resources against it"
        ),
    )
    .kind(ErrorKind::Budget)
}

/// Check a schema against the budget without recursion on the Rust stack
/// beyond `max_depth` levels.
fn measure(v: &Value, budget: &SchemaBudget) -> std::result::Result<(), String> {
    let mut nodes = 0usize;
    let mut stack: Vec<(&Value, usize)> = vec![(v, 1)];
    while let Some((n, depth)) = stack.pop() {
        nodes += 1;
        if nodes > budget.max_nodes {
            return Err(format!(
                "has more than {} nodes (validation budget)",
                budget.max_nodes
            ));
        }
        if depth > budget.max_depth {
            return Err(format!(
                "nests deeper than {} levels (validation budget)",
                budget.max_depth
            ));
        }
        match n {
            Value::Object(m) => {
                if let Some(p) = m.get("pattern").and_then(Value::as_str) {
                    if p.len() > budget.max_pattern_bytes {
                        return Err(format!(
                            "has a pattern longer than {} bytes (validation budget)",
                            budget.max_pattern_bytes
                        ));
                    }
                }
                if m.contains_key("$ref") {
                    return Err("uses $ref, which Kubernetes does not allow in a CRD schema".into());
                }
                stack.extend(m.values().map(|x| (x, depth + 1)));
            }
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, depth + 1))),
            _ => {}
        }
    }
    Ok(())
}

/// OpenAPI v3 (as a CRD writes it) → JSON Schema draft 4 with the API server's
/// field validation. `root`: the object's own `apiVersion`, `kind` and
/// `metadata` are always allowed (the server validates metadata itself).
fn convert(v: &Value, root: bool) -> Value {
    let Value::Object(m) = v else {
        return v.clone();
    };
    let mut out = Map::new();
    for (k, x) in m {
        match k.as_str() {
            "properties" | "patternProperties" | "definitions" => {
                let props = x
                    .as_object()
                    .map(|p| {
                        p.iter()
                            .map(|(name, s)| (name.clone(), convert(s, false)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(k.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" | "additionalItems" => {
                out.insert(k.clone(), convert(x, false));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = x
                    .as_array()
                    .map(|a| a.iter().map(|s| convert(s, false)).collect())
                    .unwrap_or_default();
                out.insert(k.clone(), Value::Array(list));
            }
            // Documentation and server-side annotations do not validate; `format`
            // is an annotation in the API server too (`int-or-string`, `date-time`).
            "description" | "example" | "externalDocs" | "default" | "format" | "title" => {}
            _ if k.starts_with("x-kubernetes-") => {}
            _ => {
                out.insert(k.clone(), x.clone());
            }
        }
    }
    let flag = |name: &str| m.get(name).and_then(Value::as_bool).unwrap_or(false);
    if flag("x-kubernetes-int-or-string") {
        out.remove("type");
        out.insert("type".into(), serde_json::json!(["integer", "string"]));
    }
    if flag("nullable") {
        if let Some(t) = out.get("type").cloned() {
            let mut types = match t {
                Value::Array(a) => a,
                other => vec![other],
            };
            types.push(Value::from("null"));
            out.insert("type".into(), Value::Array(types));
        }
    }
    out.remove("nullable");
    if flag("x-kubernetes-embedded-resource") {
        // An embedded object carries its own apiVersion/kind/metadata.
        add_object_meta(&mut out);
    }
    if root {
        add_object_meta(&mut out);
    }
    let is_object = out.get("type").and_then(Value::as_str) == Some("object");
    if is_object
        && !flag("x-kubernetes-preserve-unknown-fields")
        && !out.contains_key("additionalProperties")
        && out.contains_key("properties")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

fn add_object_meta(out: &mut Map<String, Value>) {
    let props = out
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(p) = props {
        for (name, schema) in [
            ("apiVersion", serde_json::json!({"type": "string"})),
            ("kind", serde_json::json!({"type": "string"})),
            ("metadata", serde_json::json!({"type": "object"})),
        ] {
            p.insert(name.to_string(), schema);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_openapi_semantics() {
        let s = json!({"type": "object", "properties": {
            "spec": {"type": "object", "description": "d", "properties": {
                "port": {"x-kubernetes-int-or-string": true},
                "note": {"type": "string", "nullable": true},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": {"a": {"type": "string"}}}}}}});
        let c = convert(&s, true);
        assert_eq!(c["additionalProperties"], json!(false));
        assert!(c["properties"]["metadata"].is_object());
        let spec = &c["properties"]["spec"];
        assert_eq!(spec["additionalProperties"], json!(false));
        assert!(spec.get("description").is_none());
        assert_eq!(
            spec["properties"]["port"]["type"],
            json!(["integer", "string"])
        );
        assert_eq!(
            spec["properties"]["note"]["type"],
            json!(["string", "null"])
        );
        assert!(spec["properties"]["free"]
            .get("additionalProperties")
            .is_none());
    }

    #[test]
    fn measures_against_the_budget() {
        let b = SchemaBudget::default();
        let mut deep = json!({"type": "string"});
        for _ in 0..100 {
            deep = json!({"type": "object", "properties": {"x": deep}});
        }
        assert!(measure(&deep, &b).unwrap_err().contains("deeper"));
        let wide = Value::Object(
            (0..300_000)
                .map(|i| (format!("f{i}"), Value::Null))
                .collect(),
        );
        assert!(measure(&wide, &b).unwrap_err().contains("nodes"));
        assert!(measure(&json!({"$ref": "#/x"}), &b).is_err());
        assert!(measure(&json!({"type": "object"}), &b).is_ok());
    }
}
