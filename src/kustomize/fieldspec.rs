//! Field specs: which fields of which kinds a transformer touches, and the walker
//! that visits them. Paths are `/`-separated (`\/` escapes a slash); a sequence met
//! on the way is walked element by element; a `[]` suffix marks a list field (never
//! created); `create` creates missing maps and the final field.

use crate::error::{Error, Result};
use crate::model::{Gvk, ResId};
use crate::yaml::{Node, Pos, Value};

/// One field spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSpec {
    /// Group to match; empty matches any.
    pub group: String,
    /// Version to match; empty matches any.
    pub version: String,
    /// Kind to match; empty matches any.
    pub kind: String,
    /// Path segments.
    pub path: Vec<String>,
    /// Create missing fields.
    pub create: bool,
}

impl FieldSpec {
    /// Parse a `/` path (with `\/` escapes) into a spec matching any kind.
    pub fn new(path: &str, create: bool) -> FieldSpec {
        FieldSpec {
            path: split_path(path),
            create,
            ..Default::default()
        }
    }
    /// Parse one `{group, version, kind, path, create}` mapping.
    pub fn from_node(n: &Node) -> Result<FieldSpec> {
        let s = |k: &str| n.get(k).and_then(|v| v.scalar_string()).unwrap_or_default();
        let path = s("path");
        if path.is_empty() {
            return Err(crate::Error::at(&n.pos, "field spec without a path"));
        }
        Ok(FieldSpec {
            group: s("group"),
            version: s("version"),
            kind: s("kind"),
            path: split_path(&path),
            create: n.get("create").and_then(|v| v.as_bool()).unwrap_or(false),
        })
    }
    /// Parse a sequence of field specs (`None`/null gives an empty list).
    pub fn list_from_node(n: Option<&Node>) -> Result<Vec<FieldSpec>> {
        match n.and_then(|n| n.as_seq()) {
            Some(s) => s.iter().map(FieldSpec::from_node).collect(),
            None => Ok(Vec::new()),
        }
    }
    /// Whether the spec applies to a resource of this GVK.
    pub fn matches(&self, gvk: &Gvk) -> bool {
        (self.group.is_empty() || self.group == gvk.group)
            && (self.version.is_empty() || self.version == gvk.version)
            && (self.kind.is_empty() || self.kind == gvk.kind)
    }
    /// The path joined with `/`.
    pub fn path_string(&self) -> String {
        self.path.join("/")
    }
}

/// Split a field-spec path on unescaped `/`.
pub fn split_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'/') {
            cur.push('/');
            chars.next();
        } else if c == '/' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out.retain(|s| !s.is_empty());
    out
}

/// Visit every field `spec` names in `node`, calling `f` on each. With `create`,
/// missing maps are created on the way (positions `pos`) and a missing final field
/// is created as null before `f` sees it. Sequences on the way are walked element
/// by element. Lenient: a scalar on the way ends the walk silently, and a null
/// final field is passed to `f` even without `create`.
pub fn visit(
    node: &mut Node,
    path: &[String],
    create: bool,
    pos: &Pos,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    walk(node, path, create, false, pos, f).map_err(|e| match e {
        Walk::Scalar(p) => Error::at(&p, "unexpected scalar in a field path"),
        Walk::Other(e) => e,
    })
}

/// Visit the field `path` names in `node` (an object), exactly as kustomize's
/// field-spec filter does: sequences on the way are walked element by element,
/// null or missing fields stop the walk unless `create` (then maps are created at
/// `pos` and a missing final field is created as null), a `[]` suffix marks a list
/// that is never created, and a non-null scalar met on the way is an error.
pub fn visit_strict(
    node: &mut Node,
    path: &[String],
    create: bool,
    pos: &Pos,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    let id = ResId::of(node);
    walk(node, path, create, true, pos, f).map_err(|e| match e {
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

/// The walker behind [`visit`] (`strict` false) and [`visit_strict`].
fn walk(
    node: &mut Node,
    path: &[String],
    create: bool,
    strict: bool,
    pos: &Pos,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<(), Walk> {
    if path.is_empty() {
        return f(node).map_err(Walk::Other);
    }
    match &mut node.value {
        Value::Seq(items) => {
            for item in items.iter_mut() {
                walk(item, path, create, strict, pos, f)?;
            }
            return Ok(());
        }
        Value::Map(_) => {}
        Value::Null if create && !strict => node.value = Value::Map(Default::default()),
        Value::Null => return Ok(()),
        _ if strict => return Err(Walk::Scalar(node.pos.clone())),
        _ => return Ok(()),
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
        if strict {
            // A null field is missing unless it may be created.
            if !create || is_list {
                return Ok(());
            }
            if !last {
                *child = Node::map(pos.clone());
            }
        } else if !last {
            if !create {
                return Ok(());
            }
            *child = Node::map(pos.clone());
        }
    }
    walk(child, &path[1..], create, strict, pos, f)
}

/// Apply `f` to every field of `node` (an object of kind `gvk`) named by any matching spec.
pub fn visit_specs(
    node: &mut Node,
    gvk: &Gvk,
    specs: &[FieldSpec],
    pos: &Pos,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    for s in specs.iter().filter(|s| s.matches(gvk)) {
        visit(node, &s.path, s.create, pos, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ParseOptions};

    #[test]
    fn walks_sequences_and_creates() {
        let mut n = parse_stream(
            "spec:\n  containers:\n  - name: a\n    image: x\n  - name: b\n    image: y\n",
            "d.yaml",
            &ParseOptions::resource(),
        )
        .unwrap()
        .remove(0);
        let mut seen = vec![];
        visit(
            &mut n,
            &split_path("spec/containers[]/image"),
            false,
            &Pos::none(),
            &mut |v| {
                seen.push(v.as_str().unwrap().to_string());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(seen, ["x", "y"]);
        visit(
            &mut n,
            &split_path("metadata/labels"),
            true,
            &Pos::none(),
            &mut |v| {
                assert!(v.is_null());
                v.value = Value::Map(Default::default());
                Ok(())
            },
        )
        .unwrap();
        assert!(n.get_path(&["metadata", "labels"]).unwrap().is_map());
    }

    #[test]
    fn escaped_slash() {
        assert_eq!(
            split_path("metadata/annotations/a\\/b"),
            ["metadata", "annotations", "a/b"]
        );
    }
}
