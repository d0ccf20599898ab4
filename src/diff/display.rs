//! A small deterministic YAML printer for showing resources in diffs, and the
//! line diff of two resources (the old side reordered like the new side first,
//! so key order never shows up as a change).

use crate::yaml::{Node, Value};

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return true;
    }
    if s.parse::<f64>().is_ok() || s.starts_with("0x") || s.starts_with("0o") {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        return true;
    }
    s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(|c| c.is_control())
}

fn scalar(n: &Node) -> String {
    match &n.value {
        Value::Str(s) if needs_quotes(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Str(s) => s.clone(),
        Value::Null => "null".into(),
        _ => n.scalar_string().unwrap_or_default(),
    }
}

fn key(k: &str) -> String {
    if needs_quotes(k) {
        serde_json::to_string(k).unwrap_or_default()
    } else {
        k.to_string()
    }
}

/// Block-literal text for a multi-line string, or None.
fn block(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n') || s.chars().any(|c| c.is_control() && c != '\n') || s.starts_with(' ') {
        return None;
    }
    let pad = " ".repeat(indent);
    let body = s.strip_suffix('\n');
    let (chomp, text) = match body {
        Some(b) if !b.ends_with('\n') => ("|", b),
        Some(_) => return None,
        None => ("|-", s),
    };
    let mut out = String::from(chomp);
    out.push('\n');
    for line in text.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
        out.push('\n');
    }
    Some(out)
}

/// Print a value after `key:` (or `- `) at `indent`.
fn emit_value(n: &Node, indent: usize, out: &mut String) {
    match &n.value {
        Value::Map(m) if m.is_empty() => out.push_str(" {}\n"),
        Value::Seq(s) if s.is_empty() => out.push_str(" []\n"),
        Value::Map(_) => {
            out.push('\n');
            emit_map(n, indent + 2, out);
        }
        Value::Seq(_) => {
            out.push('\n');
            emit_seq(n, indent, out);
        }
        Value::Str(s) => match block(s, indent + 2) {
            Some(b) => {
                out.push(' ');
                out.push_str(&b);
            }
            None => {
                out.push(' ');
                out.push_str(&scalar(n));
                out.push('\n');
            }
        },
        _ => {
            out.push(' ');
            out.push_str(&scalar(n));
            out.push('\n');
        }
    }
}

fn emit_map(n: &Node, indent: usize, out: &mut String) {
    let Some(m) = n.as_map() else { return };
    let pad = " ".repeat(indent);
    for (k, v) in m {
        out.push_str(&pad);
        out.push_str(&key(k));
        out.push(':');
        emit_value(v, indent, out);
    }
}

fn emit_seq(n: &Node, indent: usize, out: &mut String) {
    let Some(s) = n.as_seq() else { return };
    let pad = " ".repeat(indent);
    for item in s {
        out.push_str(&pad);
        out.push('-');
        match &item.value {
            Value::Map(m) if !m.is_empty() => {
                // First key on the dash line, the rest indented by two.
                let mut sub = String::new();
                emit_map(item, indent + 2, &mut sub);
                out.push(' ');
                out.push_str(&sub[indent + 2..]);
            }
            Value::Seq(s2) if !s2.is_empty() => {
                out.push('\n');
                emit_seq(item, indent + 2, out);
            }
            _ => emit_value(item, indent, out),
        }
    }
}

/// Print an object as block YAML.
pub fn to_yaml(n: &Node) -> String {
    let mut out = String::new();
    match &n.value {
        Value::Map(_) => emit_map(n, 0, &mut out),
        Value::Seq(_) => emit_seq(n, 0, &mut out),
        _ => {
            out.push_str(&scalar(n));
            out.push('\n');
        }
    }
    out
}

/// A copy of `old` with map keys (and `name`-keyed list items) in the order of `new`.
pub fn align(old: &Node, new: &Node) -> Node {
    let value = match (&old.value, &new.value) {
        (Value::Map(a), Value::Map(b)) => {
            let mut m = crate::yaml::Map::new();
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
    fn prints_block_yaml() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {}\ndata:\n  a: \"1\"\n  conf: |\n    x\n    y\nlist:\n- a: 1\n  b: [1, 2]\n- plain\n";
        let n = parse_stream(text, "f", &ParseOptions::resource())
            .unwrap()
            .remove(0);
        let y = to_yaml(&n);
        assert_eq!(
            y,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {}\ndata:\n  a: \"1\"\n  conf: |\n    x\n    y\nlist:\n- a: 1\n  b:\n  - 1\n  - 2\n- plain\n"
        );
        let again = parse_stream(&y, "f", &ParseOptions::resource())
            .unwrap()
            .remove(0);
        assert_eq!(again, n);
    }
}
