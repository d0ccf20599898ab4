//! The line diff of two resources, printed by the kustomize-exact emitter (the
//! old side's name-keyed list items reordered like the new side's first, so
//! list order never shows up as a change; map keys are sorted by the emitter).

use crate::yaml::{Node, Value};

/// Print an object as block YAML, exactly as `kustomize build` prints it (the
/// one YAML printer, [`crate::yaml::emit_node`]): a diff shows the lines the
/// controller is handed.
pub fn to_yaml(n: &Node) -> String {
    crate::yaml::emit_node(n)
}

/// A copy of `old` with map keys (and `name`-keyed list items) in the order of `new`.
pub fn align(old: &Node, new: &Node) -> Node {
    let value = match (&old.value, &new.value) {
        (Value::Map(a), Value::Map(b)) => {
            let mut m = crate::yaml::Map::default();
            for (k, nv) in b {
                if let Some(ov) = a.get(k) {
                    m.insert(k.clone(), align(ov, nv));
                }
            }
            for (k, ov) in a {
                if !b.contains_key(k) {
                    m.insert(k.clone(), ov.clone());
                }
            }
            Value::Map(m)
        }
        (Value::Seq(a), Value::Seq(b)) => {
            let name = |n: &Node| n.get("name").and_then(|x| x.as_str()).map(str::to_string);
            let keyed = a.iter().all(|n| name(n).is_some()) && b.iter().all(|n| name(n).is_some());
            if keyed {
                let mut out = Vec::new();
                for nv in b {
                    if let Some(ov) = a.iter().find(|o| name(o) == name(nv)) {
                        out.push(align(ov, nv));
                    }
                }
                for ov in a {
                    if !b.iter().any(|nv| name(nv) == name(ov)) {
                        out.push(ov.clone());
                    }
                }
                Value::Seq(out)
            } else {
                Value::Seq(
                    a.iter()
                        .enumerate()
                        .map(|(i, ov)| b.get(i).map(|nv| align(ov, nv)).unwrap_or(ov.clone()))
                        .collect(),
                )
            }
        }
        _ => old.value.clone(),
    };
    Node::new(value, old.pos.clone())
}

/// The line diff of two (already masked) objects; either may be absent.
pub fn yaml_diff(old: Option<&Node>, new: Option<&Node>) -> String {
    match (old, new) {
        (Some(o), Some(n)) => {
            let a = to_yaml(&align(o, n));
            let b = to_yaml(n);
            super::compare::line_diff(&a, &b)
        }
        (Some(o), None) => to_yaml(o).lines().map(|l| format!("-{l}\n")).collect(),
        (None, Some(n)) => to_yaml(n).lines().map(|l| format!("+{l}\n")).collect(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ParseOptions};

    #[test]
    fn prints_resources_as_kustomize_build_does() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {}\ndata:\n  a: \"1\"\n  conf: |\n    x\n    y\nlist:\n- a: 1\n  b: [1, 2]\n- plain\n";
        let n = parse_stream(text, "f", &ParseOptions::resource())
            .unwrap()
            .remove(0);
        let y = to_yaml(&n);
        assert_eq!(
            y,
            "apiVersion: v1\ndata:\n  a: \"1\"\n  conf: |\n    x\n    y\nkind: ConfigMap\nlist:\n- a: 1\n  b:\n  - 1\n  - 2\n- plain\nmetadata:\n  labels: {}\n  name: c\n"
        );
        let again = parse_stream(&y, "f", &ParseOptions::resource())
            .unwrap()
            .remove(0);
        assert_eq!(again, n);
    }

    #[test]
    fn list_order_and_key_order_are_not_changes() {
        let parse = |t: &str| {
            parse_stream(t, "f", &ParseOptions::resource())
                .unwrap()
                .remove(0)
        };
        let old = parse("kind: X\nspec:\n  c:\n  - name: b\n    v: 1\n  - name: a\n    v: 1\n");
        let new = parse("spec:\n  c:\n  - name: a\n    v: 2\n  - name: b\n    v: 1\nkind: X\n");
        let d = yaml_diff(Some(&old), Some(&new));
        let changed: Vec<&str> = d.lines().filter(|l| l.starts_with(['+', '-'])).collect();
        assert_eq!(changed, ["-    v: 1", "+    v: 2"], "{d}");
    }
}
