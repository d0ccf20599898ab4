//! Patch targets (`target:`): anchored regexes on group, version, kind, name and
//! namespace (name and namespace match the original or the current id), plus
//! Kubernetes label and annotation selectors.

use crate::error::{Error, Result};
use crate::kustomize::scope::is_cluster_scoped;
use crate::model::{ResId, Resource};
use crate::yaml::{Node, Pos};
use regex::Regex;

/// A compiled `target:`.
#[derive(Clone, Debug)]
pub struct Target {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Option<Selector>,
    annotations: Option<Selector>,
    /// The target's `name` as written (legacy `patchesJson6902` requires it).
    pub name_text: String,
    /// Where the target was written.
    pub pos: Pos,
}

fn anchored(n: &Node, field: &str) -> Result<Option<Regex>> {
    let Some(v) = n.get(field).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let s = v.scalar_string().ok_or_else(|| {
        Error::at(
            &v.pos,
            format!("target {field} must be a string, not a {}", v.type_name()),
        )
    })?;
    if s.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{s})$"))
        .map(Some)
        .map_err(|e| Error::at(&v.pos, format!("invalid target {field} regex '{s}': {e}")))
}

/// Cluster-scoped kinds have no namespace to match.
const NOT_A_NAMESPACE: &str = "_non_namespaceable_";

fn effective_namespace(id: &ResId) -> &str {
    if is_cluster_scoped(&id.gvk) {
        NOT_A_NAMESPACE
    } else {
        id.effective_namespace()
    }
}

impl Target {
    /// Read a `target:` mapping.
    pub fn parse(n: &Node) -> Result<Target> {
        if !n.is_map() {
            return Err(Error::at(
                &n.pos,
                format!("target must be a mapping, not a {}", n.type_name()),
            ));
        }
        let sel = |field: &str| -> Result<Option<Selector>> {
            match n.get(field).filter(|v| !v.is_null()) {
                None => Ok(None),
                Some(v) => {
                    let s = v.as_str().ok_or_else(|| {
                        Error::at(&v.pos, format!("target {field} must be a string"))
                    })?;
                    Selector::parse(s).map(Some).map_err(|e| e.or_at(&v.pos))
                }
            }
        };
        Ok(Target {
            group: anchored(n, "group")?,
            version: anchored(n, "version")?,
            kind: anchored(n, "kind")?,
            name: anchored(n, "name")?,
            namespace: anchored(n, "namespace")?,
            labels: sel("labelSelector")?,
            annotations: sel("annotationSelector")?,
            name_text: n
                .get("name")
                .and_then(|v| v.scalar_string())
                .unwrap_or_default(),
            pos: n.pos.clone(),
        })
    }

    /// True when `r` is selected.
    pub fn matches(&self, r: &Resource) -> bool {
        let cur = r.id();
        let org = r.original_id();
        let m = |re: &Option<Regex>, s: &str| re.as_ref().is_none_or(|re| re.is_match(s));
        if self.namespace.is_some()
            && !m(&self.namespace, effective_namespace(&org))
            && !m(&self.namespace, effective_namespace(&cur))
        {
            return false;
        }
        if self.name.is_some() && !m(&self.name, &org.name) && !m(&self.name, &cur.name) {
            return false;
        }
        if !m(&self.group, &cur.gvk.group)
            || !m(&self.version, &cur.gvk.version)
            || !m(&self.kind, &cur.gvk.kind)
        {
            return false;
        }
        let meta = |field: &str, key: &str| -> Option<String> {
            r.node
                .get_path(&["metadata", field, key])
                .and_then(|v| v.scalar_string())
        };
        if let Some(s) = &self.labels {
            if !s.matches(|k| meta("labels", k)) {
                return false;
            }
        }
        if let Some(s) = &self.annotations {
            if !s.matches(|k| meta("annotations", k)) {
                return false;
            }
        }
        true
    }
}

/// A Kubernetes label selector (`a=b,c!=d,e in (x,y),f notin (z),g,!h`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selector {
    reqs: Vec<Req>,
}

#[derive(Clone, Debug, PartialEq)]
enum Req {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
    Gt(String, i64),
    Lt(String, i64),
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

impl Selector {
    /// Parse selector text.
    pub fn parse(text: &str) -> Result<Selector> {
        let bad = |why: &str| Error::msg(format!("invalid selector '{text}': {why}"));
        // Split on commas outside parentheses.
        let mut parts = Vec::new();
        let (mut depth, mut start) = (0i32, 0usize);
        for (i, c) in text.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&text[start..]);
        let mut reqs = Vec::new();
        for p in parts {
            let p = p.trim();
            if p.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err(bad("empty requirement"));
            }
            let set = |rest: &str| -> Result<Vec<String>> {
                let rest = rest.trim();
                let inner = rest
                    .strip_prefix('(')
                    .and_then(|r| r.strip_suffix(')'))
                    .ok_or_else(|| bad("expected a parenthesised value list"))?;
                Ok(inner
                    .split(',')
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect())
            };
            let req = if let Some(k) = p.strip_prefix('!') {
                Req::NotExists(k.trim().to_string())
            } else if let Some((k, v)) = p.split_once("!=") {
                Req::NotIn(k.trim().to_string(), vec![v.trim().to_string()])
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                Req::In(k.trim().to_string(), vec![v.trim().to_string()])
            } else if let Some((k, v)) = p.split_once('>') {
                Req::Gt(
                    k.trim().to_string(),
                    v.trim().parse().map_err(|_| bad("'>' needs an integer"))?,
                )
            } else if let Some((k, v)) = p.split_once('<') {
                Req::Lt(
                    k.trim().to_string(),
                    v.trim().parse().map_err(|_| bad("'<' needs an integer"))?,
                )
            } else if let Some(i) = p.find(" notin ").or_else(|| p.find(" notin(")) {
                Req::NotIn(p[..i].trim().to_string(), set(&p[i + 6..])?)
            } else if let Some(i) = p.find(" in ").or_else(|| p.find(" in(")) {
                Req::In(p[..i].trim().to_string(), set(&p[i + 3..])?)
            } else {
                Req::Exists(p.to_string())
            };
            let key = match &req {
                Req::In(k, _)
                | Req::NotIn(k, _)
                | Req::Exists(k)
                | Req::NotExists(k)
                | Req::Gt(k, _)
                | Req::Lt(k, _) => k,
            };
            if !valid_key(key) {
                return Err(bad(&format!("invalid key '{key}'")));
            }
            reqs.push(req);
        }
        Ok(Selector { reqs })
    }

    /// True when every requirement holds; `get` reads a label (or annotation).
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.reqs.iter().all(|r| match r {
            Req::In(k, vs) => get(k).is_some_and(|v| vs.contains(&v)),
            Req::NotIn(k, vs) => get(k).is_none_or(|v| !vs.contains(&v)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
            Req::Gt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v > *n),
            Req::Lt(k, n) => get(k)
                .and_then(|v| v.parse::<i64>().ok())
                .is_some_and(|v| v < *n),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn sel(s: &str, labels: &[(&str, &str)]) -> bool {
        let m: HashMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Selector::parse(s).unwrap().matches(|k| m.get(k).cloned())
    }

    #[test]
    fn selectors() {
        assert!(sel("app=web", &[("app", "web")]));
        assert!(sel("app==web,tier", &[("app", "web"), ("tier", "x")]));
        assert!(!sel("app=web,tier", &[("app", "web")]));
        assert!(sel("app!=web", &[]));
        assert!(!sel("app!=web", &[("app", "web")]));
        assert!(sel("app in (a, web)", &[("app", "web")]));
        assert!(!sel("app notin (a,web)", &[("app", "web")]));
        assert!(sel("app notin (a,web)", &[]));
        assert!(sel("!app", &[]));
        assert!(!sel("!app", &[("app", "x")]));
        assert!(sel("", &[]));
        assert!(Selector::parse("a=b,,c").is_err());
    }

    fn res(yaml: &str) -> Resource {
        let n = crate::yaml::parse_stream(yaml, "r.yaml", &crate::yaml::ParseOptions::resource())
            .unwrap()
            .remove(0);
        Resource::new(n, Pos::none())
    }

    fn target(json: serde_json::Value) -> Target {
        Target::parse(&Node::from_json(&json)).unwrap()
    }

    #[test]
    fn targets() {
        let mut r = res(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, labels: {app: web}}\n",
        );
        assert!(target(serde_json::json!({"kind": "Deployment"})).matches(&r));
        assert!(!target(serde_json::json!({"kind": "Deploy"})).matches(&r));
        assert!(
            target(serde_json::json!({"kind": "Deploy.*", "group": "apps", "version": "v1"}))
                .matches(&r)
        );
        assert!(!target(serde_json::json!({"group": "app"})).matches(&r));
        assert!(target(serde_json::json!({"namespace": "default"})).matches(&r));
        assert!(target(serde_json::json!({"labelSelector": "app in (web)"})).matches(&r));
        assert!(!target(serde_json::json!({"annotationSelector": "app"})).matches(&r));
        // original or current name
        r.remember_id();
        r.set_name("p-web", &Pos::none());
        r.set_namespace("prod", &Pos::none());
        assert!(target(serde_json::json!({"name": "web"})).matches(&r));
        assert!(target(serde_json::json!({"name": "p-web", "namespace": "prod"})).matches(&r));
        assert!(target(serde_json::json!({"namespace": "default"})).matches(&r));
        assert!(!target(serde_json::json!({"name": "other"})).matches(&r));
    }
}
