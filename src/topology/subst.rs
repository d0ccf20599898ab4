//! Flux `postBuild` variable substitution (fluxcd/pkg `envsubst`), applied to the
//! string values and keys of each rendered object so positions are kept.
//!
//! Only `${…}` expands (`$v` is left alone); `$$` is a literal `$`. Every default
//! operator (`-`, `=`, `:-`, `:=`, `+`, `:+`, `:?`, `?`) means "the argument when
//! the variable is empty or unset", as in Flux. `^^`/`,,` (upper/lower case) and
//! `^`/`,` (first letter) are supported; other operators are refused with the
//! variable named. An undefined variable without a default is an error (Flux's
//! strict substitution, on by default since kustomize-controller 1.9).

use crate::error::{Error, Result};
use crate::model::Resource;
use crate::yaml::{Map, Node, Value};
use std::collections::BTreeMap;

/// Longest text one substitution may produce (bounds attacker-controlled growth).
const MAX_OUT: usize = 4 << 20;

/// The label/annotation that turns substitution off for an object.
const DISABLE: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// Substitute `${…}` in `text` from `vars`; `mask` names variables whose values
/// are shown as `**SECRET**`.
pub fn substitute(
    text: &str,
    vars: &BTreeMap<String, String>,
    mask: &[String],
) -> std::result::Result<String, String> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut lit = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        if b.get(i + 1) == Some(&b'$') {
            out.push_str(&text[lit..i]);
            out.push('$');
            i += 2;
            lit = i;
            continue;
        }
        if b.get(i + 1) != Some(&b'{') {
            i += 1;
            continue;
        }
        let Some(end) = text[i + 2..].find('}').map(|e| i + 2 + e) else {
            return Err(format!("unterminated variable expression in '{text}'"));
        };
        out.push_str(&text[lit..i]);
        out.push_str(&expand(&text[i + 2..end], vars, mask)?);
        if out.len() > MAX_OUT {
            return Err("substitution output over 4 MiB".to_string());
        }
        i = end + 1;
        lit = i;
    }
    out.push_str(&text[lit..]);
    Ok(out)
}

fn expand(
    expr: &str,
    vars: &BTreeMap<String, String>,
    mask: &[String],
) -> std::result::Result<String, String> {
    let name_len = expr
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_alphabetic() || *c == '_' || (*i > 0 && c.is_ascii_digit())))
        .map(|(i, _)| i)
        .unwrap_or(expr.len());
    let (name, op) = expr.split_at(name_len);
    if name.is_empty() {
        return Err(format!("bad variable expression '${{{expr}}}'"));
    }
    let val = vars.get(name).map(|v| {
        if mask.iter().any(|m| m == name) {
            "**SECRET**".to_string()
        } else {
            v.clone()
        }
    });
    let empty = val.as_deref().is_none_or(str::is_empty);
    for d in [":-", ":=", ":+", ":?", "-", "=", "+", "?"] {
        if let Some(arg) = op.strip_prefix(d) {
            let arg = substitute(arg, vars, mask)?;
            return Ok(if empty { arg } else { val.unwrap_or_default() });
        }
    }
    let Some(v) = val else {
        return Err(format!(
            "variable '{name}' is not defined (Flux substitutes strictly; give a default with ${{{name}:=…}})"
        ));
    };
    Ok(match op {
        "" => v,
        "^^" => v.to_uppercase(),
        ",," => v.to_lowercase(),
        "^" | "," => {
            let mut c = v.chars();
            match c.next() {
                Some(f) if op == "^" => f.to_uppercase().chain(c).collect(),
                Some(f) => f.to_lowercase().chain(c).collect(),
                None => v,
            }
        }
        _ => {
            return Err(format!(
                "the operator in '${{{expr}}}' is not supported offline"
            ))
        }
    })
}

fn disabled(r: &Resource) -> bool {
    r.label(DISABLE) == Some("disabled") || r.annotation(DISABLE) == Some("disabled")
}

/// Substitute every string value and key of each object (objects labelled or
/// annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` are skipped).
pub fn substitute_resources(
    res: &mut [Resource],
    vars: &BTreeMap<String, String>,
    mask: &[String],
) -> Result<()> {
    for r in res.iter_mut() {
        if disabled(r) {
            continue;
        }
        let at = r.origin.clone();
        subst_node(&mut r.node, vars, mask, 0)
            .map_err(|e| Error::at(&at, format!("Flux postBuild substitution: {e}")))?;
    }
    Ok(())
}

fn subst_node(
    n: &mut Node,
    vars: &BTreeMap<String, String>,
    mask: &[String],
    depth: usize,
) -> std::result::Result<(), String> {
    if depth > 256 {
        return Err("object nested too deeply".to_string());
    }
    match &mut n.value {
        Value::Str(s) if s.contains('$') => {
            *s = substitute(s, vars, mask)?;
        }
        Value::Seq(items) => {
            for it in items {
                subst_node(it, vars, mask, depth + 1)?;
            }
        }
        Value::Map(m) => {
            let mut out = Map::default();
            for (k, mut v) in std::mem::take(m) {
                subst_node(&mut v, vars, mask, depth + 1)?;
                out.insert(substitute(&k, vars, mask)?, v);
            }
            *m = out;
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [("A", "x"), ("E", ""), ("S", "hunter2")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn flux_envsubst_semantics() {
        let v = vars();
        let s = |t: &str| substitute(t, &v, &["S".to_string()]);
        assert_eq!(s("a-${A}-b").unwrap(), "a-x-b");
        assert_eq!(s("$A stays").unwrap(), "$A stays");
        assert_eq!(s("$${A}").unwrap(), "${A}");
        assert_eq!(s("${E:=d}").unwrap(), "d");
        assert_eq!(s("${E-d}").unwrap(), "d");
        // Flux: `+` also means "use the argument when empty", unlike bash.
        assert_eq!(s("${A:+alt}").unwrap(), "x");
        assert_eq!(s("${MISSING:-fallback}").unwrap(), "fallback");
        assert_eq!(s("${A^^}").unwrap(), "X");
        assert_eq!(s("${S}").unwrap(), "**SECRET**");
        assert!(s("${MISSING}")
            .unwrap_err()
            .contains("'MISSING' is not defined"));
        assert!(s("${A").is_err());
        assert!(s("${A%x}").unwrap_err().contains("not supported"));
    }
}
