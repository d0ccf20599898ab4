//! Strategic merge as kustomize does it (kyaml `merge2`, not apimachinery):
//! maps merge recursively, scalars are replaced, `null` deletes, `$patch`
//! directives, merge-keyed lists (patch elements first, in patch order, then the
//! untouched target elements), primitive merge lists as a union, every other list
//! replaced. Values taken from the patch keep the patch's positions.

use super::schema::{Field, ListMerge, SchemaTable};
use crate::error::{Error, Result};
use crate::yaml::{Map, Node, Value};

const DIRECTIVE: &str = "$patch";

/// Merge `patch` into the object `target`. Returns false when the patch deletes
/// the whole object (`$patch: delete` at the top level).
pub fn merge_object(target: &mut Node, patch: &Node, table: &SchemaTable) -> Result<bool> {
    let api = |n: &Node| n.str_at(&["apiVersion"]).unwrap_or("").to_string();
    let kind = |n: &Node| n.str_at(&["kind"]).unwrap_or("").to_string();
    let root = table
        .root(&api(target), &kind(target))
        .or_else(|| table.root(&api(patch), &kind(patch)));
    let m = Merger { table };
    match m.walk(Some(target), patch, root.as_ref())? {
        None => Ok(false),
        Some(n) => {
            *target = n;
            Ok(true)
        }
    }
}

struct Merger<'a> {
    table: &'a SchemaTable,
}

fn node_kind(n: &Node) -> &'static str {
    match n.value {
        Value::Map(_) => "MappingNode",
        Value::Seq(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

fn kind_error(dest: &Node, patch: &Node) -> Error {
    Error::at(
        &patch.pos,
        format!(
            "wrong node kind: expected {} but got {}: the patch cannot change the type of this field",
            node_kind(dest),
            node_kind(patch)
        ),
    )
}

/// The `$patch` directive of a map, validated.
fn directive(patch: &Node) -> Result<Option<&str>> {
    match patch.get(DIRECTIVE) {
        None => Ok(None),
        Some(d) => match d.as_str() {
            Some(s @ ("delete" | "replace" | "merge")) => Ok(Some(s)),
            _ => Err(Error::at(
                &d.pos,
                format!(
                    "unknown patch strategy '{}'",
                    d.scalar_string().unwrap_or_default()
                ),
            )),
        },
    }
}

fn without_directive(patch: &Node) -> Node {
    let mut p = patch.clone();
    p.remove(DIRECTIVE);
    p
}

fn key_of(n: &Node, key: &str) -> Option<String> {
    n.get(key)
        .filter(|v| !v.is_null())
        .and_then(|v| v.scalar_string())
}

impl<'a> Merger<'a> {
    /// Merge one value. `None` means the field is cleared.
    fn walk(&self, dest: Option<&Node>, patch: &Node, sch: Option<&Field>) -> Result<Option<Node>> {
        let dest = dest.filter(|d| !d.is_null());
        match &patch.value {
            Value::Null => Ok(None),
            Value::Map(pm) => {
                if let Some(d) = dest {
                    if !d.is_map() {
                        return Err(kind_error(d, patch));
                    }
                }
                match directive(patch)? {
                    Some("delete") => return Ok(None),
                    Some("replace") => return self.walk(None, &without_directive(patch), sch),
                    _ => {}
                }
                let mut out = match dest {
                    Some(d) => d.clone(),
                    None => Node::map(patch.pos.clone()),
                };
                let Some(om) = out.as_map_mut() else {
                    return Err(Error::at(&patch.pos, "internal: not a map"));
                };
                // kyaml walks the target's own fields too: there a null written
                // as nothing (`key:`) is dropped, `~`/`null` are kept.
                let own: Vec<String> = om
                    .keys()
                    .filter(|k| !pm.contains_key(k.as_str()))
                    .cloned()
                    .collect();
                for k in own {
                    let fs = sch.and_then(|s| self.table.field(s, &k));
                    if om.get(&k).is_some_and(|v| v.is_empty_null()) {
                        om.shift_remove(&k);
                    } else if let Some(v) = om.get_mut(&k) {
                        self.clean_untouched(v, fs);
                    }
                }
                for (k, pv) in pm {
                    if k == DIRECTIVE {
                        continue;
                    }
                    let fs = sch.and_then(|s| self.table.field(s, k));
                    match self.walk(om.get(k), pv, fs)? {
                        Some(v) => {
                            om.insert(k.clone(), v);
                        }
                        None => {
                            om.shift_remove(k);
                        }
                    }
                }
                Ok(Some(out))
            }
            Value::Seq(ps) => {
                if let Some(d) = dest {
                    if !d.is_seq() {
                        return Err(kind_error(d, patch));
                    }
                }
                match SchemaTable::list_merge(sch) {
                    ListMerge::Replace => Ok(Some(patch.clone())),
                    ListMerge::Primitive => {
                        let mut out: Vec<Node> = Vec::new();
                        for p in ps {
                            if !out.contains(p) {
                                out.push(p.clone());
                            }
                        }
                        if let Some(ds) = dest.and_then(|d| d.as_seq()) {
                            for d in ds {
                                if !out.contains(d) {
                                    out.push(d.clone());
                                }
                            }
                        }
                        let pos = dest
                            .map(|d| d.pos.clone())
                            .unwrap_or_else(|| patch.pos.clone());
                        Ok(Some(Node::new(Value::Seq(out), pos)))
                    }
                    ListMerge::Keyed(key) => {
                        let items = sch.and_then(|s| s.items.as_deref());
                        self.merge_keyed(dest, patch, ps, &key, items)
                    }
                }
            }
            _ => {
                if let Some(d) = dest {
                    if !d.is_scalar() {
                        return Err(kind_error(d, patch));
                    }
                }
                Ok(Some(patch.clone()))
            }
        }
    }

    /// A target value the patch does not mention, as kyaml's walker visits it:
    /// empty nulls are dropped from maps, recursively through maps and
    /// merge-keyed lists (other lists are kept as they are).
    fn clean_untouched(&self, n: &mut Node, sch: Option<&Field>) {
        match &mut n.value {
            Value::Map(m) => {
                m.retain(|_, v| !v.is_empty_null());
                for (k, v) in m.iter_mut() {
                    let fs = sch.and_then(|s| self.table.field(s, k));
                    self.clean_untouched(v, fs);
                }
            }
            Value::Seq(items) => {
                if let ListMerge::Keyed(_) = SchemaTable::list_merge(sch) {
                    let fs = sch.and_then(|s| s.items.as_deref());
                    for it in items.iter_mut() {
                        if it.is_map() {
                            self.clean_untouched(it, fs);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn merge_keyed(
        &self,
        dest: Option<&Node>,
        patch: &Node,
        ps: &[Node],
        key: &str,
        items: Option<&Field>,
    ) -> Result<Option<Node>> {
        // List-level directives: an element without the key holding only `$patch`.
        let mut replace = false;
        for p in ps {
            if p.is_map() && key_of(p, key).is_none() {
                match directive(p)? {
                    Some("delete") => return Ok(None),
                    Some("replace") => replace = true,
                    // An element without its key: kustomize then drops the target's elements.
                    _ => replace = true,
                }
            } else if !p.is_map() {
                replace = true;
            }
        }
        let dest_items: &[Node] = dest
            .and_then(|d| d.as_seq())
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        let mut out: Vec<Node> = Vec::new();
        if replace {
            // The patch's keyed elements only; a repeated key keeps its first place, last value.
            let mut by_key: Map = Map::default();
            for p in ps {
                let Some(k) = (if p.is_map() { key_of(p, key) } else { None }) else {
                    continue;
                };
                if matches!(directive(p)?, Some("delete")) {
                    continue;
                }
                if let Some(v) = self.walk(None, &without_directive(p), items)? {
                    by_key.insert(k, v);
                }
            }
            out.extend(by_key.into_values());
            return Ok(Some(Node::new(Value::Seq(out), patch.pos.clone())));
        }
        let mut seen: Vec<String> = Vec::new();
        for p in ps {
            let Some(k) = key_of(p, key) else { continue };
            if seen.contains(&k) {
                continue; // a repeated key: the first element wins
            }
            seen.push(k.clone());
            let d = dest_items
                .iter()
                .find(|d| key_of(d, key).as_deref() == Some(k.as_str()));
            let merged = match directive(p)? {
                Some("delete") => None,
                // kyaml keeps an existing element as it is; a new one is added without the directive.
                Some("replace") => match d {
                    Some(d) => Some(d.clone()),
                    None => self.walk(None, &without_directive(p), items)?,
                },
                _ => self.walk(d, p, items)?,
            };
            if let Some(mut m) = merged {
                if key_of(&m, key).is_none() {
                    if let Some(kv) = p.get(key) {
                        m.set(key, kv.clone());
                    }
                }
                out.push(m);
            }
        }
        for d in dest_items {
            match key_of(d, key) {
                Some(k) if seen.contains(&k) => {}
                _ => {
                    let mut d = d.clone();
                    self.clean_untouched(&mut d, items);
                    out.push(d);
                }
            }
        }
        let pos = dest
            .map(|d| d.pos.clone())
            .unwrap_or_else(|| patch.pos.clone());
        Ok(Some(Node::new(Value::Seq(out), pos)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::schema;
    use super::*;
    use crate::yaml::{parse_stream, ParseOptions};

    fn y(s: &str) -> Node {
        parse_stream(s, "t.yaml", &ParseOptions::resource())
            .unwrap()
            .remove(0)
    }
    fn merge(target: &str, patch: &str) -> Option<Node> {
        let mut t = y(target);
        let keep = merge_object(&mut t, &y(patch), &schema::table()).unwrap();
        keep.then_some(t)
    }
    fn merge_err(target: &str, patch: &str) -> String {
        let mut t = y(target);
        merge_object(&mut t, &y(patch), &schema::table())
            .unwrap_err()
            .msg
    }
    fn at<'n>(n: &'n Node, path: &[&str]) -> &'n Node {
        n.get_path(path)
            .unwrap_or_else(|| panic!("missing {path:?}"))
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, finalizers: [a, b]}\nspec:\n  containers:\n  - {name: x, image: x, args: [a, b], ports: [{containerPort: 80, name: h}]}\n  - {name: y, image: y}\n  - {name: z, image: z}\n  volumes: [{name: x}, {name: y}, {name: z}]\n";

    fn names(n: &Node, path: &[&str]) -> Vec<String> {
        at(n, path)
            .as_seq()
            .unwrap()
            .iter()
            .map(|e| e.str_at(&["name"]).unwrap_or("-").to_string())
            .collect()
    }

    #[test]
    fn maps_scalars_nulls() {
        let r = merge(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1', b: '2'}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, labels: {q: null, w: {}, e: []}}\ndata: {a: null, b: null, c: '3'}\nx: {a: null, b: 1, c: {d: null}}\n",
        )
        .unwrap();
        assert_eq!(at(&r, &["data"]).to_json(), serde_json::json!({"c": "3"}));
        assert_eq!(
            at(&r, &["metadata", "labels"]).to_json(),
            serde_json::json!({"w": {}, "e": []})
        );
        assert_eq!(
            at(&r, &["x"]).to_json(),
            serde_json::json!({"b": 1, "c": {}})
        );
        // deleting every key leaves an empty map
        let r = merge(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1'}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: null}\n",
        )
        .unwrap();
        assert_eq!(at(&r, &["data"]).to_json(), serde_json::json!({}));
    }

    #[test]
    fn keyed_list_order_and_nested() {
        let r = merge(
            POD,
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, finalizers: [c, a]}\nspec:\n  containers:\n  - {name: z, image: z2, args: [c]}\n  - {name: w, image: w, env: [{name: e, value: null}]}\n  - {name: x, ports: [{containerPort: 81}]}\n",
        )
        .unwrap();
        assert_eq!(names(&r, &["spec", "containers"]), ["z", "w", "x", "y"]);
        let c = at(&r, &["spec", "containers"]).as_seq().unwrap();
        assert_eq!(
            c[0].to_json(),
            serde_json::json!({"name": "z", "image": "z2", "args": ["c"]})
        );
        assert_eq!(
            c[1].get("env").unwrap().to_json(),
            serde_json::json!([{"name": "e"}])
        );
        assert_eq!(
            c[2].get("ports").unwrap().to_json(),
            serde_json::json!([{"containerPort": 81}, {"containerPort": 80, "name": "h"}])
        );
        assert_eq!(
            c[2].get("args").unwrap().to_json(),
            serde_json::json!(["a", "b"])
        );
        assert_eq!(
            at(&r, &["metadata", "finalizers"]).to_json(),
            serde_json::json!(["c", "a", "b"])
        );
    }

    #[test]
    fn list_directives() {
        let r = merge(
            POD,
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{$patch: replace}, {name: y, image: y2, foo: 1}, {name: x, foo: 1}, {name: y, image: y3}]\n  volumes: [{name: y, $patch: delete}, {name: q, $patch: delete}, {name: x, a: null, b: {c: null}}]\n",
        )
        .unwrap();
        assert_eq!(
            at(&r, &["spec", "containers"]).to_json(),
            serde_json::json!([{"name": "y", "image": "y3"}, {"name": "x", "foo": 1}])
        );
        assert_eq!(
            at(&r, &["spec", "volumes"]).to_json(),
            serde_json::json!([{"name": "x", "b": {}}, {"name": "z"}])
        );
        let r = merge(POD, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{$patch: delete}]\n")
            .unwrap();
        assert!(at(&r, &["spec"]).get("volumes").is_none());
    }

    #[test]
    fn keyless_element_and_duplicates() {
        let r = merge(
            POD,
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{image: nokey}]\n  volumes: [{name: y, a: 2}, {name: y, c: 3}]\n",
        )
        .unwrap();
        assert_eq!(
            at(&r, &["spec", "containers"]).to_json(),
            serde_json::json!([])
        );
        assert_eq!(
            at(&r, &["spec", "volumes"]).to_json(),
            serde_json::json!([{"name": "y", "a": 2}, {"name": "x"}, {"name": "z"}])
        );
        let r = merge(
            POD,
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{image: nokey}, {name: y, foo: 1}, {name: q}]\n",
        )
        .unwrap();
        assert_eq!(
            at(&r, &["spec", "containers"]).to_json(),
            serde_json::json!([{"name": "y", "foo": 1}, {"name": "q"}])
        );
    }

    #[test]
    fn element_replace_keeps_existing() {
        let r = merge(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: x}, {name: y, a: 1}]\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: y, $patch: replace, b: 2}, {name: c, $patch: replace}]\n",
        )
        .unwrap();
        assert_eq!(
            at(&r, &["spec", "imagePullSecrets"]).to_json(),
            serde_json::json!([{"name": "y", "a": 1}, {"name": "c"}, {"name": "x"}])
        );
    }

    #[test]
    fn map_directives_and_verbatim_keys() {
        let r = merge(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: x, image: x, configMap: {name: c}}]\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {$patch: replace, annotations: {z: z}}\n    spec:\n      $setElementOrder/containers: [{name: x}]\n      $retainKeys: [containers]\n      containers: [{name: x, configMap: {$patch: delete}}]\n",
        )
        .unwrap();
        assert_eq!(
            at(&r, &["spec", "template", "metadata"]).to_json(),
            serde_json::json!({"annotations": {"z": "z"}})
        );
        let spec = at(&r, &["spec", "template", "spec"]);
        assert_eq!(
            spec.get("$retainKeys").unwrap().to_json(),
            serde_json::json!(["containers"])
        );
        assert!(spec.get("$setElementOrder/containers").is_some());
        assert_eq!(
            spec.get("containers").unwrap().to_json(),
            serde_json::json!([{"name": "x", "image": "x"}])
        );
        // top-level delete
        assert!(merge(
            POD,
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n$patch: delete\n"
        )
        .is_none());
        assert_eq!(
            merge_err(
                POD,
                "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {$patch: foo}\n"
            ),
            "unknown patch strategy 'foo'"
        );
    }

    #[test]
    fn no_schema_replaces_lists_verbatim() {
        let d = "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: x, image: x}, {name: y, image: y}]\n";
        let r = merge(d, "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: y, image: y2, $patch: delete, q: null}]\n").unwrap();
        assert_eq!(
            at(&r, &["spec", "template", "spec", "containers"]).to_json(),
            serde_json::json!([{"name": "y", "image": "y2", "$patch": "delete", "q": null}])
        );
        // non-merge lists of a known kind are replaced too
        let r = merge(
            POD,
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  tolerations: [{key: b}]\n",
        )
        .unwrap();
        assert_eq!(
            at(&r, &["spec", "tolerations"]).to_json(),
            serde_json::json!([{"key": "b"}])
        );
    }

    #[test]
    fn kind_mismatch_errors() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: {b: c}, b: x}\n";
        assert!(merge_err(
            cm,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: [x]}\n"
        )
        .starts_with("wrong node kind: expected MappingNode but got SequenceNode"));
        assert!(merge_err(
            cm,
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {b: {c: d}}\n"
        )
        .starts_with("wrong node kind: expected ScalarNode but got MappingNode"));
    }

    #[test]
    fn positions_come_from_the_patch() {
        let mut t =
            y("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: '1'\n  b: '2'\n");
        let p = parse_stream(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  b: '3'\n  n: {x: y}\n",
            "p.yaml",
            &ParseOptions::resource(),
        )
        .unwrap()
        .remove(0);
        merge_object(&mut t, &p, &schema::table()).unwrap();
        let b = at(&t, &["data", "b"]);
        assert_eq!(b.pos.file.as_deref(), Some("p.yaml"));
        assert_eq!(b.pos.line, 5);
        assert_eq!(at(&t, &["data", "a"]).pos.file.as_deref(), Some("t.yaml"));
        assert_eq!(at(&t, &["data", "n", "x"]).pos.line, 6);
    }
}
