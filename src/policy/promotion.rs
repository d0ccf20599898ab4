//! Rule `promotion-order` helpers: name-transformation-insensitive
//! values, and resource matching by kind and base name.

use crate::model::Resource;
use crate::yaml::Node;
use serde_json::Value as J;
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// A part of a change that the previous environment does not show: where (a
/// suffix of the changed field's path), the value here, and the value there.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    /// Path below the changed field (`""` for the field itself, `.key`, `[name=x]`).
    pub at: String,
    /// When the gap is one element of a scalar list: that element.
    pub element: Option<J>,
    /// What this overlay now has (`None`: removed).
    pub here: Option<J>,
    /// What the previous environment has (`None`: absent).
    pub there: Option<J>,
}

/// Nesting below a changed field that is compared part by part; deeper, a value
/// is compared whole (bounded work on hostile documents).
const MAX_DEPTH: usize = 32;

/// The parts of one field's change (`base` → `head` in this overlay) that `prev`
/// (the previous environment's value at base) does not show, compared per field
/// and per list element: maps key by key (only the keys that changed here), lists
/// of named maps by `name`, scalar lists as multisets (every element added here
/// must be in `prev` as often, every element removed here must be gone from it as
/// far; environment-specific elements elsewhere do not matter; a pure reordering
/// needs the same order). Empty when `prev` shows the whole change.
pub fn gaps(base: Option<&J>, head: Option<&J>, prev: Option<&J>) -> Vec<Gap> {
    let mut out = Vec::new();
    walk_gaps(String::new(), base, head, prev, 0, &mut out);
    out
}

fn walk_gaps(
    at: String,
    base: Option<&J>,
    head: Option<&J>,
    prev: Option<&J>,
    depth: usize,
    out: &mut Vec<Gap>,
) {
    if head == prev || depth > MAX_DEPTH {
        if head != prev {
            out.push(gap(at, head, prev));
        }
        return;
    }
    let gone = |v: Option<&J>| v.is_none_or(J::is_null);
    if let (Some(h), Some(p)) = (keyed(head), keyed(prev)) {
        if base.is_none() || keyed(base).is_some() {
            let b = keyed(base).unwrap_or_default();
            let keys: Vec<&String> = h
                .keys()
                .chain(b.keys().filter(|k| !h.contains_key(*k)))
                .collect();
            for k in keys {
                let (bv, hv) = (b.get(k).copied(), h.get(k).copied());
                if bv == hv {
                    continue;
                }
                walk_gaps(
                    format!("{at}{k}"),
                    bv,
                    hv,
                    p.get(k).copied(),
                    depth + 1,
                    out,
                );
            }
            return;
        }
    }
    if let (Some(h), Some(p)) = (scalars(head), scalars(prev)) {
        if let Some(b) = scalars(base).or_else(|| base.is_none().then(Vec::new)) {
            let (hc, bc, pc) = (counts(&h), counts(&b), counts(&p));
            let n = |c: &HashMap<String, usize>, k: &str| c.get(k).copied().unwrap_or(0);
            let mut changed = false;
            // Each distinct element once, in list order (head's, then base's).
            let mut seen: HashSet<String> = HashSet::new();
            for e in h.iter().chain(b.iter()) {
                let k = e.to_string();
                if !seen.insert(k.clone()) || n(&hc, &k) == n(&bc, &k) {
                    continue;
                }
                changed = true;
                if n(&hc, &k) > n(&bc, &k) {
                    // Added here: as often there.
                    if n(&pc, &k) < n(&hc, &k) {
                        out.push(element(&at, e, true));
                    }
                } else if n(&pc, &k) > n(&hc, &k) {
                    // Removed here: as far there.
                    out.push(element(&at, e, false));
                }
            }
            if !changed {
                // Only the order changed: the order must be the same there.
                out.push(gap(at, head, prev));
            }
            return;
        }
    }
    if gone(head) && gone(prev) {
        return;
    }
    out.push(gap(at, head, prev));
}

fn gap(at: String, here: Option<&J>, there: Option<&J>) -> Gap {
    Gap {
        at,
        element: None,
        here: here.cloned(),
        there: there.cloned(),
    }
}

/// A scalar list's element `e` added here (`added`) or removed here, not so there.
fn element(at: &str, e: &J, added: bool) -> Gap {
    Gap {
        at: at.to_string(),
        element: Some(e.clone()),
        here: added.then(|| e.clone()),
        there: (!added).then(|| e.clone()),
    }
}

/// A map (keys as path steps `.key`), or a list whose items are maps with
/// distinct `name`s (steps `[name=x]`); `None` for anything else.
fn keyed(v: Option<&J>) -> Option<BTreeMap<String, &J>> {
    match v? {
        J::Object(o) => Some(
            o.iter()
                .map(|(k, x)| {
                    let step = if k.contains(['.', '[', ']', '=']) {
                        format!("[{}]", J::String(k.clone()))
                    } else {
                        format!(".{k}")
                    };
                    (step, x)
                })
                .collect(),
        ),
        J::Array(a) => {
            let mut m = BTreeMap::new();
            for x in a {
                let name = x.get("name")?.as_str()?;
                if m.insert(format!("[name={name}]"), x).is_some() {
                    return None;
                }
            }
            Some(m)
        }
        _ => None,
    }
}

/// The items of a list of scalars; `None` for anything else.
fn scalars(v: Option<&J>) -> Option<Vec<&J>> {
    match v? {
        J::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            Some(a.iter().collect())
        }
        _ => None,
    }
}

/// How often each element (by its JSON text) occurs: linear, whatever the list's length.
fn counts(list: &[&J]) -> HashMap<String, usize> {
    let mut c: HashMap<String, usize> = HashMap::new();
    for e in list {
        *c.entry(e.to_string()).or_default() += 1;
    }
    c
}

/// What [`counterparts`] knows of the controller: overlay directory → the
/// environments GitOps deployments of it deploy to (at either revision).
pub type DeployedEnvs = HashMap<String, Vec<String>>;

/// The base overlays `promotion-order` may compare the `reached` overlays with,
/// so that the driver renders at base only these and the reached overlays and
/// the rule sees what it sees when everything is rendered. For each reached
/// overlay (`reached`: at base or new at head) and each environment it deploys
/// to, walk the promotion chain back: an environment with no overlay in `all`
/// is passed over; one with overlays of the same app (the same path but for the
/// environment word: [`cluster_key`](crate::policy::config::cluster_key)) ends
/// the walk with those; one without asks for all its overlays (the rule then
/// looks for overlays sharing a source file, which needs their renders) and the
/// walk goes on. `deployed`: the overlays GitOps deployments build, with their
/// environments; every overlay deployed to an environment walked is asked for
/// too (a deployment's counterpart is found by controller object name, known
/// only after rendering). Per overlay, so the union over shards of a sharded
/// run asks for the same as one run.
pub fn counterparts(
    cfg: &crate::policy::Config,
    deployed: &DeployedEnvs,
    reached: &std::collections::BTreeSet<String>,
    all: &[String],
) -> Vec<String> {
    use crate::policy::config::cluster_key;
    // Environment → its overlays at base, each with its same-app key.
    let mut by_env: HashMap<String, Vec<(&str, String)>> = HashMap::new();
    for p in all {
        let a = cfg.assign(p);
        if let Some(e) = a.env.clone() {
            by_env.entry(e).or_default().push((p, cluster_key(p, &a)));
        }
    }
    let mut deployed_to: HashMap<&str, Vec<&str>> = HashMap::new();
    for (p, envs) in deployed {
        for e in envs {
            deployed_to.entry(e.as_str()).or_default().push(p.as_str());
        }
    }
    let mut out: std::collections::BTreeSet<String> = Default::default();
    for r in reached {
        let a = cfg.assign(r);
        let key = cluster_key(r, &a);
        let mut envs: Vec<String> = a.env.into_iter().collect();
        envs.extend(deployed.get(r).into_iter().flatten().cloned());
        for e in envs {
            let mut prev = cfg.env(&e).and_then(|s| s.after.clone());
            let mut hops = 0;
            while let Some(p) = prev {
                if hops > cfg.environments.len() {
                    break;
                }
                out.extend(
                    deployed_to
                        .get(p.as_str())
                        .into_iter()
                        .flatten()
                        .map(|s| s.to_string()),
                );
                let units = by_env.get(&p).map(Vec::as_slice).unwrap_or_default();
                let same: Vec<&str> = units
                    .iter()
                    .filter(|(_, k)| *k == key)
                    .map(|(u, _)| *u)
                    .collect();
                if !same.is_empty() {
                    out.extend(same.into_iter().map(str::to_string));
                    break;
                }
                out.extend(units.iter().map(|(u, _)| u.to_string()));
                prev = cfg.env(&p).and_then(|s| s.after.clone());
                hops += 1;
            }
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn j(s: &str) -> J {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn scalar_lists_are_multisets() {
        let b = j(r#"["--env=prod"]"#);
        let h = j(r#"["--env=prod", "--new-flag"]"#);
        let p = j(r#"["--new-flag", "--env=staging"]"#);
        assert!(gaps(Some(&b), Some(&h), Some(&p)).is_empty());
        let p_old = j(r#"["--env=staging"]"#);
        let g = gaps(Some(&b), Some(&h), Some(&p_old));
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].at, "");
        assert_eq!(g[0].element, Some(j(r#""--new-flag""#)));
        // A removal must have happened there too.
        let g = gaps(Some(&h), Some(&b), Some(&p));
        assert_eq!(g[0].here, None);
        assert_eq!(g[0].there, Some(j(r#""--new-flag""#)));
        // One of two equal elements removed: the removal must have happened there too.
        let two = j(r#"["-v", "-v"]"#);
        let one = j(r#"["-v"]"#);
        assert_eq!(gaps(Some(&two), Some(&one), Some(&two)).len(), 1);
        assert!(gaps(Some(&two), Some(&one), Some(&one)).is_empty());
        // A pure reordering needs the same order.
        let r = j(r#"["--new-flag", "--env=prod"]"#);
        assert_eq!(gaps(Some(&h), Some(&r), Some(&p)).len(), 1);
    }

    #[test]
    fn long_lists_cost_linear_time() {
        let list = |n: usize, extra: &str| {
            let mut v: Vec<J> = (0..n).map(|i| J::String(format!("--a{i}"))).collect();
            v.push(J::String(extra.to_string()));
            J::Array(v)
        };
        let (b, h, p) = (list(200_000, "x"), list(200_000, "y"), list(200_000, "x"));
        let t = std::time::Instant::now();
        let g = gaps(Some(&b), Some(&h), Some(&p));
        assert_eq!(
            g.len(),
            2,
            "y is added here, x removed here but still there"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn maps_and_named_lists_compare_only_what_changed() {
        let b = j(r#"{"image": "a:1", "env": [{"name": "ENV", "value": "prod"}]}"#);
        let h = j(r#"{"image": "a:2", "env": [{"name": "ENV", "value": "prod"}]}"#);
        let p = j(r#"{"image": "a:2", "env": [{"name": "ENV", "value": "staging"}]}"#);
        assert!(gaps(Some(&b), Some(&h), Some(&p)).is_empty());
        let p1 = j(r#"{"image": "a:1", "env": [{"name": "ENV", "value": "staging"}]}"#);
        let g = gaps(Some(&b), Some(&h), Some(&p1));
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].at, ".image");
        // A new key: every part of it must be there.
        let h2 = j(
            r#"{"image": "a:1", "env": [{"name": "ENV", "value": "prod"}, {"name": "X", "value": "1"}]}"#,
        );
        let g = gaps(Some(&b), Some(&h2), Some(&p1));
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].at, ".env[name=X]");
        assert!(gaps(None, Some(&j("3")), Some(&j("3"))).is_empty());
        assert_eq!(gaps(Some(&j("2")), Some(&j("3")), None).len(), 1);
    }

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
