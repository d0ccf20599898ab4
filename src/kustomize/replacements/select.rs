//! Resource ids and label selectors as kustomize prints and matches them.

use super::*;

/// kustomize's `Gvk.String()`: `Kind.version.group` with placeholders.
pub(crate) fn gvk_string(g: &Gvk) -> String {
    let k = if g.kind.is_empty() {
        "[noKind]"
    } else {
        &g.kind
    };
    let v = if g.version.is_empty() {
        "[noVer]"
    } else {
        &g.version
    };
    let gr = if g.group.is_empty() {
        "[noGrp]"
    } else {
        &g.group
    };
    format!("{k}.{v}.{gr}")
}

/// kustomize's `ResId.String()`.
pub(crate) fn id_string(id: &ResId) -> String {
    let n = if id.name.is_empty() {
        "[noName]"
    } else {
        &id.name
    };
    let ns = if id.namespace.is_empty() {
        "[noNs]"
    } else {
        &id.namespace
    };
    format!("{}/{n}.{ns}", gvk_string(&id.gvk))
}

/// `""` and `default` are the same namespace (ids built without scope knowledge).
pub(super) fn literal_ns(ns: &str) -> &str {
    if ns.is_empty() {
        "default"
    } else {
        ns
    }
}

/// The group and version of an apiVersion, split at the first `/` as kustomize does.
pub(crate) fn parse_group_version(api: &str) -> (String, String) {
    match api.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api.to_string()),
    }
}

/// Current and previous ids as kustomize's `MakeResIds` builds them: previous ids
/// take the current group and version.
pub(crate) fn make_res_ids(r: &Resource) -> Vec<ResId> {
    let (group, version) = parse_group_version(r.api_version());
    let mut out = vec![ResId {
        gvk: Gvk {
            group: group.clone(),
            version: version.clone(),
            kind: r.kind().to_string(),
        },
        name: r.name().to_string(),
        namespace: r.namespace().to_string(),
    }];
    for p in &r.meta.previous {
        out.push(ResId {
            gvk: Gvk {
                group: group.clone(),
                version: version.clone(),
                kind: p.gvk.kind.clone(),
            },
            name: p.name.clone(),
            namespace: p.namespace.clone(),
        });
    }
    out
}

/// Whether `id` is selected by `sel` (empty selector fields match anything).
pub(super) fn selected_by(id: &ResId, sel: &ResId) -> bool {
    (sel.name.is_empty() || sel.name == id.name)
        && (sel.namespace.is_empty() || literal_ns(&sel.namespace) == literal_ns(&id.namespace))
        && (sel.gvk.group.is_empty() || sel.gvk.group == id.gvk.group)
        && (sel.gvk.version.is_empty() || sel.gvk.version == id.gvk.version)
        && (sel.gvk.kind.is_empty() || sel.gvk.kind == id.gvk.kind)
}

pub(super) fn id_is_empty(id: &ResId) -> bool {
    id.name.is_empty()
        && id.namespace.is_empty()
        && id.gvk.group.is_empty()
        && id.gvk.version.is_empty()
        && id.gvk.kind.is_empty()
}

// ---------------------------------------------------------------- label selectors

/// Match a Kubernetes label selector string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`)
/// against a map of labels. The empty selector matches everything.
pub(crate) fn matches_selector(sel: &str, labels: Option<&Node>) -> Result<bool> {
    let get = |k: &str| {
        labels
            .and_then(|l| l.get(k))
            .and_then(|v| v.scalar_string())
    };
    for req in split_requirements(sel) {
        let req = req.trim();
        if req.is_empty() {
            continue;
        }
        let ok = if let Some(key) = req.strip_prefix('!') {
            get(key.trim()).is_none()
        } else if let Some((k, v)) = req.split_once("!=") {
            get(k.trim()).as_deref() != Some(v.trim())
        } else if let Some((k, v)) = req.split_once("==") {
            get(k.trim()).as_deref() == Some(v.trim())
        } else if let Some((k, v)) = req.split_once('=') {
            get(k.trim()).as_deref() == Some(v.trim())
        } else if let Some((k, set, neg)) = set_requirement(req) {
            let have = get(&k);
            let inset = have.as_ref().is_some_and(|h| set.iter().any(|s| s == h));
            if neg {
                !inset
            } else {
                inset
            }
        } else if req.contains(char::is_whitespace) || req.contains('(') {
            return Err(Error::msg(format!(
                "unable to parse requirement: invalid label selector '{sel}'"
            )));
        } else {
            get(req).is_some()
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

pub(super) fn split_requirements(sel: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in sel.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

pub(super) fn set_requirement(req: &str) -> Option<(String, Vec<String>, bool)> {
    let open = req.find('(')?;
    let close = req.rfind(')')?;
    let head = req[..open].trim();
    let (key, neg) = if let Some(k) = head.strip_suffix("notin") {
        (k.trim(), true)
    } else if let Some(k) = head.strip_suffix("in") {
        (k.trim(), false)
    } else {
        return None;
    };
    let set = req[open + 1..close]
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some((key.to_string(), set, neg))
}

pub(super) fn matches_anno_and_label(r: &Resource, s: &Selector) -> Result<bool> {
    let md = r.node.get("metadata");
    Ok(
        matches_selector(&s.annotations, md.and_then(|m| m.get("annotations")))?
            && matches_selector(&s.labels, md.and_then(|m| m.get("labels")))?,
    )
}
