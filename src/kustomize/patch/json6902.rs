//! JSON patch (RFC 6902) on a node tree, as evanphx/json-patch v4 applies it:
//! add, remove, replace, move, copy, test with RFC 6901 pointers. `replace` on a
//! missing map key adds it. Values come from the patch with their positions.

use crate::error::{Error, ErrorKind, Result};
use crate::yaml::{Node, Pos, Value};

/// One operation.
#[derive(Clone, Debug)]
pub struct Op {
    /// `add`, `remove`, …
    pub op: String,
    /// The target pointer.
    pub path: String,
    /// `from` for move and copy.
    pub from: Option<String>,
    /// `value` for add, replace and test.
    pub value: Option<Node>,
    /// Where the operation was written.
    pub pos: Pos,
}

/// Read a list of operations; None when `doc` is not a list of mappings
/// (so it cannot be a JSON patch).
pub fn ops_from_node(doc: &Node) -> Option<Vec<Op>> {
    let seq = doc.as_seq()?;
    let mut ops = Vec::new();
    for e in seq {
        let m = e.as_map()?;
        let s = |k: &str| {
            m.get(k)
                .and_then(|v| v.scalar_string().filter(|_| !v.is_null()))
        };
        ops.push(Op {
            op: s("op").unwrap_or_default(),
            path: s("path").unwrap_or_default(),
            from: s("from"),
            value: m.get("value").cloned(),
            pos: e.pos.clone(),
        });
    }
    Some(ops)
}

fn parse_pointer(p: &str, pos: &Pos) -> Result<Vec<String>> {
    if p.is_empty() {
        return Ok(Vec::new());
    }
    if !p.starts_with('/') {
        return Err(Error::at(
            pos,
            format!("invalid JSON pointer '{p}': it must start with '/'"),
        ));
    }
    Ok(p[1..]
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn index(tok: &str, len: usize, allow_end: bool) -> Option<usize> {
    if tok == "-" {
        return allow_end.then_some(len);
    }
    if tok.is_empty()
        || (tok.len() > 1 && tok.starts_with('0'))
        || !tok.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let i: usize = tok.parse().ok()?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if i > max || (!allow_end && len == 0) {
        return None;
    }
    Some(i)
}

fn get<'n>(doc: &'n Node, toks: &[String]) -> Option<&'n Node> {
    let mut n = doc;
    for t in toks {
        n = match &n.value {
            Value::Map(m) => m.get(t)?,
            Value::Seq(s) => s.get(index(t, s.len(), false)?)?,
            _ => return None,
        };
    }
    Some(n)
}

fn get_mut<'n>(doc: &'n mut Node, toks: &[String]) -> Option<&'n mut Node> {
    let mut n = doc;
    for t in toks {
        n = match &mut n.value {
            Value::Map(m) => m.get_mut(t)?,
            Value::Seq(s) => {
                let i = index(t, s.len(), false)?;
                s.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(n)
}

fn add(doc: &mut Node, toks: &[String], value: Node, path: &str, pos: &Pos) -> Result<()> {
    let Some((last, parent)) = toks.split_last() else {
        *doc = value;
        return Ok(());
    };
    let missing = || {
        Error::at(
            pos,
            format!("add operation does not apply: doc is missing path: \"{path}\": missing value"),
        )
    };
    let p = get_mut(doc, parent).ok_or_else(missing)?;
    match &mut p.value {
        Value::Map(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Seq(s) => {
            let i = index(last, s.len(), true).ok_or_else(|| {
                Error::at(
                    pos,
                    format!("add operation does not apply: index out of range in \"{path}\""),
                )
            })?;
            s.insert(i, value);
            Ok(())
        }
        _ => Err(missing()),
    }
}

fn remove(doc: &mut Node, toks: &[String], path: &str, pos: &Pos) -> Result<Node> {
    let Some((last, parent)) = toks.split_last() else {
        return Err(Error::at(pos, "cannot remove the whole document"));
    };
    let missing = || {
        Error::at(pos, format!("error in remove for path: '{path}': Unable to remove nonexistent key: {last}: missing value"))
    };
    let p = get_mut(doc, parent).ok_or_else(missing)?;
    match &mut p.value {
        Value::Map(m) => m.shift_remove(last).ok_or_else(missing),
        Value::Seq(s) => {
            let i = index(last, s.len(), false).ok_or_else(missing)?;
            Ok(s.remove(i))
        }
        _ => Err(missing()),
    }
}

/// Apply operations in order.
pub fn apply(doc: &mut Node, ops: &[Op]) -> Result<()> {
    for op in ops {
        apply_one(doc, op)?;
    }
    Ok(())
}

fn apply_one(doc: &mut Node, op: &Op) -> Result<()> {
    let pos = &op.pos;
    let toks = parse_pointer(&op.path, pos)?;
    let value = || {
        op.value.clone().ok_or_else(|| {
            Error::at(
                pos,
                format!("{} operation has no value: \"{}\"", op.op, op.path),
            )
        })
    };
    if matches!(op.op.as_str(), "add" | "replace") {
        if let Some(v) = &op.value {
            super::super::guard::charge_copy(v, pos, || {
                format!("JSON patch '{}' {}", op.op, op.path)
            })?;
        }
    }
    match op.op.as_str() {
        "add" => add(doc, &toks, value()?, &op.path, pos),
        "remove" => remove(doc, &toks, &op.path, pos).map(|_| ()),
        "replace" => {
            let v = value()?;
            let Some((last, parent)) = toks.split_last() else {
                *doc = v;
                return Ok(());
            };
            let missing = || {
                Error::at(
                    pos,
                    format!(
                        "replace operation does not apply: doc is missing key: {}: missing value",
                        op.path
                    ),
                )
            };
            let p = get_mut(doc, parent).ok_or_else(missing)?;
            match &mut p.value {
                Value::Map(m) => {
                    m.insert(last.clone(), v);
                    Ok(())
                }
                Value::Seq(s) => {
                    let i = index(last, s.len(), false).ok_or_else(missing)?;
                    s[i] = v;
                    Ok(())
                }
                _ => Err(missing()),
            }
        }
        "move" | "copy" => {
            let from = op.from.clone().unwrap_or_default();
            let ftoks = parse_pointer(&from, pos)?;
            let v = if op.op == "move" {
                remove(doc, &ftoks, &from, pos).map_err(|_| {
                    Error::at(pos, format!("move operation does not apply: doc is missing from path: \"{from}\": missing value"))
                })?
            } else {
                let src = get(doc, &ftoks).ok_or_else(|| {
                    Error::at(pos, format!("copy operation does not apply: doc is missing from path: \"{from}\": missing value"))
                })?;
                super::super::guard::charge_copy(src, pos, || {
                    format!("JSON patch 'copy' {from} -> {}", op.path)
                })?;
                src.clone()
            };
            add(doc, &toks, v, &op.path, pos)
        }
        "test" => {
            let v = value()?;
            let ok = match get(doc, &toks) {
                Some(cur) => *cur == v,
                None => v.is_null(),
            };
            if ok {
                Ok(())
            } else {
                Err(Error::at(
                    pos,
                    format!("testing value {} failed: test failed", op.path),
                ))
            }
        }
        other => Err(Error::at(pos, format!("Unexpected kind: {other}"))),
    }
}

/// The prefix of the build annotations kustomize keeps on a resource while it
/// builds (`internal.config.kubernetes.io/previousNames`, …).
const BUILD_ANNOTATION_PREFIX: &str = "internal.config.kubernetes.io/";

/// Apply operations as kustomize's `patches:` (PatchTransformer) does: it
/// stores the resource's previous id in build annotations first, so while the
/// operations run `metadata.annotations` always exists (`add
/// /metadata/annotations/KEY` works on a resource without annotations; a
/// missing `metadata.labels` still fails). What those hidden annotations would
/// make visible (a `test`, `copy` or `move` reading the whole annotations, or a
/// build annotation itself) is refused as not supported natively.
pub fn apply_with_build_annotations(doc: &mut Node, ops: &[Op]) -> Result<()> {
    for op in ops {
        let reads = match op.op.as_str() {
            "test" => Some(op.path.as_str()),
            "copy" | "move" => op.from.as_deref(),
            _ => None,
        };
        for (ptr, read) in [(Some(op.path.as_str()), false), (reads, true)] {
            let Some(ptr) = ptr else { continue };
            let toks = parse_pointer(ptr, &op.pos)?;
            let whole = read
                && toks.len() <= 2
                && toks
                    .iter()
                    .zip(["metadata", "annotations"])
                    .all(|(t, w)| t == w);
            let build = toks.len() > 2
                && toks[..2] == ["metadata", "annotations"]
                && toks[2].starts_with(BUILD_ANNOTATION_PREFIX);
            if whole || build {
                return Err(Error::at(
                    &op.pos,
                    format!("JSON patch '{}' on '{ptr}' would see kustomize's internal build annotations: not supported by the native renderer (use --renderer kustomize)", op.op),
                )
                .kind(ErrorKind::Unsupported));
            }
        }
    }
    let pos = doc.pos.clone();
    let mut synthetic = false;
    if let Some(md) = doc.get_mut("metadata").filter(|m| m.is_map()) {
        if md.get("annotations").is_none_or(Node::is_null) {
            md.set(
                "annotations",
                Node::new(Value::Map(Default::default()), pos),
            );
            synthetic = true;
        }
    }
    apply(doc, ops)?;
    if synthetic {
        if let Some(md) = doc.get_mut("metadata") {
            if md
                .get("annotations")
                .and_then(Node::as_map)
                .is_some_and(|m| m.is_empty())
            {
                md.remove("annotations");
            }
        }
    }
    Ok(())
}

/// kustomize sends the object through JSON (float64 numbers) for a JSON patch:
/// integers beyond 2^53 lose precision.
pub fn json_round_numbers(n: &mut Node) {
    match &mut n.value {
        Value::Int(i) if i.unsigned_abs() > (1u64 << 53) => *i = (*i as f64) as i64,
        Value::Seq(s) => s.iter_mut().for_each(json_round_numbers),
        Value::Map(m) => m.values_mut().for_each(json_round_numbers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(doc: serde_json::Value, ops: serde_json::Value) -> Result<serde_json::Value> {
        let mut d = Node::from_json(&doc);
        let ops = ops_from_node(&Node::from_json(&ops)).unwrap();
        apply(&mut d, &ops)?;
        Ok(d.to_json())
    }

    #[test]
    fn ops() {
        let doc = json!({"a": {"b": 1, "c": [1, 2]}, "x~y": 1, "p/q": 2});
        assert_eq!(
            run(doc.clone(), json!([{"op": "add", "path": "/a/c/-", "value": 3}, {"op": "add", "path": "/a/c/0", "value": 0}])).unwrap(),
            json!({"a": {"b": 1, "c": [0, 1, 2, 3]}, "x~y": 1, "p/q": 2})
        );
        assert_eq!(
            run(doc.clone(), json!([{"op": "remove", "path": "/x~0y"}, {"op": "replace", "path": "/p~1q", "value": 5}])).unwrap(),
            json!({"a": {"b": 1, "c": [1, 2]}, "p/q": 5})
        );
        assert_eq!(
            run(
                doc.clone(),
                json!([{"op": "replace", "path": "/a/new", "value": 1}])
            )
            .unwrap()["a"]["new"],
            json!(1)
        );
        assert_eq!(
            run(doc.clone(), json!([{"op": "move", "from": "/a/b", "path": "/z"}, {"op": "copy", "from": "/a/c", "path": "/a/d"}, {"op": "test", "path": "/z", "value": 1}])).unwrap(),
            json!({"a": {"c": [1, 2], "d": [1, 2]}, "x~y": 1, "p/q": 2, "z": 1})
        );
    }

    #[test]
    fn errors() {
        let doc = json!({"data": {"x": "1"}});
        let e = |ops| run(doc.clone(), ops).unwrap_err().msg;
        assert_eq!(
            e(json!([{"op": "remove", "path": "/data/nope"}])),
            "error in remove for path: '/data/nope': Unable to remove nonexistent key: nope: missing value"
        );
        assert_eq!(
            e(json!([{"op": "add", "path": "/nope/x", "value": 1}])),
            "add operation does not apply: doc is missing path: \"/nope/x\": missing value"
        );
        assert_eq!(
            e(json!([{"op": "test", "path": "/data/x", "value": "2"}])),
            "testing value /data/x failed: test failed"
        );
        assert_eq!(
            e(json!([{"op": "foo", "path": "/data/x"}])),
            "Unexpected kind: foo"
        );
        assert!(run(
            json!({"a": [1]}),
            json!([{"op": "add", "path": "/a/5", "value": 1}])
        )
        .is_err());
        assert!(run(
            json!({"a": [1]}),
            json!([{"op": "replace", "path": "/a/1", "value": 1}])
        )
        .is_err());
    }

    fn run_patches(doc: serde_json::Value, ops: serde_json::Value) -> Result<serde_json::Value> {
        let mut d = Node::from_json(&doc);
        let ops = ops_from_node(&Node::from_json(&ops)).unwrap();
        apply_with_build_annotations(&mut d, &ops)?;
        Ok(d.to_json())
    }

    #[test]
    fn patches_see_annotations_even_when_absent() {
        let doc = json!({"metadata": {"name": "a"}, "spec": {"k": 1}});
        let add = json!([{"op": "add", "path": "/metadata/annotations/x", "value": "1"}]);
        assert_eq!(
            run_patches(doc.clone(), add.clone()).unwrap()["metadata"],
            json!({"name": "a", "annotations": {"x": "1"}})
        );
        // plain JSON 6902 (patchesJson6902) has no such map
        assert!(run(doc.clone(), add).is_err());
        // an untouched stand-in is not left behind
        let spec = json!([{"op": "add", "path": "/spec/j", "value": 2}]);
        assert_eq!(
            run_patches(doc.clone(), spec).unwrap()["metadata"],
            json!({"name": "a"})
        );
        // labels get no stand-in
        let labels = json!([{"op": "add", "path": "/metadata/labels/x", "value": "1"}]);
        assert!(run_patches(doc.clone(), labels).is_err());
        // what would show kustomize's hidden build annotations is not rendered natively
        for ops in [
            json!([{"op": "copy", "from": "/metadata/annotations", "path": "/spec/a"}]),
            json!([{"op": "move", "from": "/metadata", "path": "/spec/a"}]),
            json!([{"op": "test", "path": "/metadata/annotations", "value": {}}]),
            json!([{"op": "remove", "path": "/metadata/annotations/internal.config.kubernetes.io~1previousNames"}]),
        ] {
            let e = run_patches(doc.clone(), ops.clone()).unwrap_err();
            assert!(e.is(ErrorKind::Unsupported), "{ops}: {e}");
        }
    }

    #[test]
    fn big_ints_lose_precision() {
        let mut n = Node::from_json(&json!({"a": 9007199254740993i64, "b": 5}));
        json_round_numbers(&mut n);
        assert_eq!(n.to_json(), json!({"a": 9007199254740992i64, "b": 5}));
    }
}
