//! The content hash suffix of generated ConfigMaps and Secrets (kustomize `api/hasher`).

use super::*;

/// Go's `strconv.FormatFloat(f, 'g'-like JSON form)` as `encoding/json` prints float64.
pub(super) fn go_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    let a = f.abs();
    if a == 0.0 || (1e-6..1e21).contains(&a) {
        return format!("{f}");
    }
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Go's `encoding/json` string encoding (HTML-safe).
pub(super) fn go_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// JSON as Go re-marshals a decoded `interface{}` (numbers through float64, keys sorted).
pub(super) fn go_json(n: &Node, out: &mut String) {
    match &n.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&go_float(*i as f64)),
        Value::Float(f) => out.push_str(&go_float(*f)),
        Value::Str(s) => go_json_str(s, out),
        Value::Seq(s) => {
            out.push('[');
            for (i, x) in s.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_str(k, out);
                out.push(':');
                go_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

/// The hasher's view of one field: a map as a map, a scalar as its text, absent as `""`.
pub(super) enum HVal<'a> {
    Absent,
    Map(&'a Node),
    Other(&'a Node),
}

pub(super) fn hval<'a>(node: &'a Node, key: &str) -> HVal<'a> {
    match node.get(key) {
        None => HVal::Absent,
        Some(n) if n.is_null() => HVal::Absent,
        Some(n) if n.is_map() => HVal::Map(n),
        Some(n) => HVal::Other(n),
    }
}

pub(super) fn push_hval(v: &HVal, out: &mut String) {
    match v {
        HVal::Absent => out.push_str("\"\""),
        HVal::Map(n) => go_json(n, out),
        // A sequence fails to decode into a map: Go marshals the nil map as null.
        HVal::Other(n) if n.is_seq() => out.push_str("null"),
        HVal::Other(n) => go_json_str(&n.scalar_string().unwrap_or_default(), out),
    }
}

/// The content hash kustomize appends to generated names (`<name>-<hash>`).
pub fn content_hash(node: &Node) -> String {
    let mut s = String::new();
    match node.str_at(&["kind"]) {
        Some("ConfigMap") => {
            s.push('{');
            if let HVal::Map(b) = hval(node, "binaryData") {
                s.push_str("\"binaryData\":");
                go_json(b, &mut s);
                s.push(',');
            }
            s.push_str("\"data\":");
            push_hval(&hval(node, "data"), &mut s);
            s.push_str(",\"kind\":\"ConfigMap\",\"name\":\"\"}");
        }
        Some("Secret") => {
            s.push_str("{\"data\":");
            push_hval(&hval(node, "data"), &mut s);
            s.push_str(",\"kind\":\"Secret\",\"name\":\"\"");
            if let HVal::Map(b) = hval(node, "stringData") {
                s.push_str(",\"stringData\":");
                go_json(b, &mut s);
            }
            s.push_str(",\"type\":");
            push_hval(&hval(node, "type"), &mut s);
            s.push('}');
        }
        _ => go_json(node, &mut s),
    }
    let digest = Sha256::digest(s.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}
