//! Rule `promotion-order` helpers: name-transformation-insensitive
//! values, and resource matching by kind and base name.

use crate::model::Resource;
use crate::yaml::Node;
use serde_json::Value as J;
use std::collections::HashMap;

/// The name of a resource before prefixes, suffixes and hash suffixes.
pub fn base_name(r: &Resource) -> String {
    if let Some(first) = r.meta.previous.first() {
        return first.name.clone();
    }
    let mut name = r
        .meta
        .name_before_hash
        .clone()
        .unwrap_or_else(|| r.name().to_string());
    for p in r.meta.prefixes.iter() {
        if let Some(s) = name.strip_prefix(p.as_str()) {
            name = s.to_string();
        }
    }
    for s in r.meta.suffixes.iter() {
        if let Some(x) = name.strip_suffix(s.as_str()) {
            name = x.to_string();
        }
    }
    name
}

/// Find the resource of `kind` with base name `name`.
pub fn find_resource<'a>(list: &'a [Resource], kind: &str, name: &str) -> Option<&'a Resource> {
    list.iter()
        .find(|r| r.kind() == kind && base_name(r) == name)
}

/// An overlay's own name transformations, to compare values across environments.
#[derive(Clone, Debug, Default)]
pub struct Norm {
    names: HashMap<String, String>,
    namespaces: Vec<String>,
}

impl Norm {
    /// Learn the transformations from an overlay's rendered resources.
    pub fn of(resources: &[Resource]) -> Norm {
        let mut n = Norm::default();
        for r in resources {
            let b = base_name(r);
            if r.name() != b {
                n.names.insert(r.name().to_string(), b.clone());
            }
            if let Some(h) = &r.meta.name_before_hash {
                if *h != b {
                    n.names.insert(h.clone(), b.clone());
                }
            }
            let ns = r.namespace();
            if !ns.is_empty() && !n.namespaces.iter().any(|x| x == ns) {
                n.namespaces.push(ns.to_string());
            }
            if r.kind() == "Namespace"
                && !r.name().is_empty()
                && !n.namespaces.iter().any(|x| x == r.name())
            {
                n.namespaces.push(r.name().to_string());
            }
        }
        n.namespaces.sort_by_key(|s| std::cmp::Reverse(s.len()));
        n
    }

    /// A value with this overlay's names and namespaces replaced by neutral forms.
    pub fn apply(&self, v: &J) -> J {
        match v {
            J::String(s) => J::String(self.string(s)),
            J::Array(a) => J::Array(a.iter().map(|x| self.apply(x)).collect()),
            J::Object(o) => J::Object(o.iter().map(|(k, x)| (k.clone(), self.apply(x))).collect()),
            other => other.clone(),
        }
    }

    fn string(&self, s: &str) -> String {
        if let Some(b) = self.names.get(s) {
            return b.clone();
        }
        let mut out = s.to_string();
        for ns in &self.namespaces {
            out = replace_bounded(&out, ns, "$(NAMESPACE)");
        }
        out
    }
}

/// Replace `from` in `s` where it is not part of a longer name.
fn replace_bounded(s: &str, from: &str, to: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + from.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_none_or(|c| !is_name(c)) && after.is_none_or(|c| !is_name(c)) {
            out.push_str(to);
        } else {
            out.push_str(from);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Short display of a value for messages.
pub fn show(v: Option<&J>) -> String {
    match v {
        None => "absent".to_string(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 60 {
                let cut: String = s.chars().take(57).collect();
                format!("{cut}...")
            } else {
                s
            }
        }
    }
}

/// Leaves of an object outside `metadata` (path, value), for comparing added resources.
pub fn leaves(n: &Node) -> Vec<(String, J)> {
    fn walk(n: &Node, path: String, out: &mut Vec<(String, J)>) {
        match &n.value {
            crate::yaml::Value::Map(m) => {
                for (k, v) in m {
                    let key = if k.contains(['.', '[', ']', '=']) {
                        format!("[{}]", J::String(k.clone()))
                    } else {
                        k.clone()
                    };
                    let p = if path.is_empty() || key.starts_with('[') {
                        format!("{path}{key}")
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(v, p, out);
                }
            }
            crate::yaml::Value::Seq(s) => {
                for (i, v) in s.iter().enumerate() {
                    let key = v
                        .get("name")
                        .and_then(|x| x.as_str())
                        .map(|nm| format!("[name={nm}]"))
                        .unwrap_or_else(|| format!("[{i}]"));
                    walk(v, format!("{path}{key}"), out);
                }
            }
            _ => out.push((path, n.to_json())),
        }
    }
    let mut out = Vec::new();
    if let Some(m) = n.as_map() {
        for (k, v) in m {
            if k == "metadata" || k == "apiVersion" || k == "kind" {
                continue;
            }
            walk(v, k.clone(), &mut out);
        }
    }
    out
}

/// The base overlays `promotion-order` compares the `reached` overlays with:
/// for each environment a reached overlay is in, every overlay (of `all`) of
/// the environments before it in promotion order, up to the first of them
/// with an overlay in `rendered` (the rule skips environments without a
/// rendered overlay, as `previous_with_overlays` does). Lets the driver render
/// at base only these and the reached overlays.
pub fn counterparts(
    cfg: &crate::policy::Config,
    rendered: &std::collections::BTreeSet<String>,
    reached: &std::collections::BTreeSet<String>,
    all: &[String],
) -> Vec<String> {
    let envs: std::collections::BTreeSet<String> =
        reached.iter().filter_map(|p| cfg.assign(p).env).collect();
    if envs.is_empty() {
        return Vec::new();
    }
    let of_env: HashMap<&str, Option<String>> = all
        .iter()
        .map(|p| (p.as_str(), cfg.assign(p).env))
        .collect();
    let mut out = Vec::new();
    for e in &envs {
        let mut prev = cfg.env(e).and_then(|s| s.after.clone());
        let mut hops = 0;
        while let Some(p) = prev {
            let of_p: Vec<&str> = all
                .iter()
                .map(String::as_str)
                .filter(|o| of_env.get(o).and_then(|x| x.as_deref()) == Some(p.as_str()))
                .collect();
            out.extend(of_p.iter().map(|s| s.to_string()));
            if of_p.iter().any(|o| rendered.contains(*o)) || hops > cfg.environments.len() {
                break;
            }
            prev = cfg.env(&p).and_then(|s| s.after.clone());
            hops += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_replace() {
        assert_eq!(
            replace_bounded("a.shop-prod.svc", "shop-prod", "NS"),
            "a.NS.svc"
        );
        assert_eq!(
            replace_bounded("shop-production", "shop-prod", "NS"),
            "shop-production"
        );
    }
}
