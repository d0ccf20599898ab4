//! The configuration keys of this feature: `packs:` (which rule packs run, with
//! their parameters) and `ignore:` (noisy resources and fields dropped from the
//! diff before the rules run). Both are checked when the configuration loads;
//! every error names its line.

use crate::diff::ignore::IgnoreRule;
use crate::diff::pattern::FieldPattern;
use crate::error::{Error, Result};
use crate::yaml::{Node, Pos};
use std::collections::BTreeMap;

/// One selected pack: `production-lessons`, or
/// `{pack: production-lessons, params: {daemonset-max-cpu: "2"}}`.
#[derive(Clone, Debug)]
pub struct PackSelection {
    /// The pack's name (one of [`super::names`]).
    pub name: String,
    /// Parameter overrides, as quantities.
    pub params: BTreeMap<String, f64>,
    /// Where it is selected.
    pub pos: Pos,
}

fn unknown_pack(name: &str, pos: &Pos) -> Error {
    Error::at(
        pos,
        format!(
            "unknown pack '{name}' (packs: {})",
            super::names().join(", ")
        ),
    )
}

/// Parse `packs:`.
pub fn parse_packs(n: &Node) -> Result<Vec<PackSelection>> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    let items = n.as_seq().ok_or_else(|| {
        Error::at(
            &n.pos,
            format!(
                "'packs' must be a list of pack names, not a {}",
                n.type_name()
            ),
        )
    })?;
    let mut out = Vec::new();
    for it in items {
        let (name, params_node) = match (it.as_str(), it.as_map()) {
            (Some(s), _) => (s, None),
            (None, Some(m)) => {
                if let Some(k) = m.keys().find(|k| *k != "pack" && *k != "params") {
                    return Err(Error::at(
                        &it.pos,
                        format!("unknown key '{k}' in a pack selection (expected pack, params)"),
                    ));
                }
                let name = it
                    .get("pack")
                    .and_then(Node::as_str)
                    .ok_or_else(|| Error::at(&it.pos, "a pack selection needs 'pack: NAME'"))?;
                (name, it.get("params"))
            }
            _ => {
                return Err(Error::at(
                    &it.pos,
                    format!(
                        "a pack is a name or {{pack, params}}, not a {}",
                        it.type_name()
                    ),
                ))
            }
        };
        let pack = super::pack(name).ok_or_else(|| unknown_pack(name, &it.pos))?;
        let mut params = BTreeMap::new();
        if let Some(p) = params_node {
            let m = p
                .as_map()
                .ok_or_else(|| Error::at(&p.pos, "'params' must be a mapping"))?;
            for (k, v) in m {
                if !pack.params.contains_key(k) {
                    let known: Vec<&str> = pack.params.keys().map(String::as_str).collect();
                    return Err(Error::at(
                        &v.pos,
                        format!(
                            "pack '{name}' has no parameter '{k}' (parameters: {})",
                            known.join(", ")
                        ),
                    ));
                }
                let q = v
                    .scalar_string()
                    .and_then(|s| super::workload::quantity(&s))
                    .ok_or_else(|| {
                        Error::at(
                            &v.pos,
                            format!("parameter '{k}' must be a quantity (500m, 2, 1Gi)"),
                        )
                    })?;
                params.insert(k.clone(), q);
            }
        }
        out.push(PackSelection {
            name: name.to_string(),
            params,
            pos: it.pos.clone(),
        });
    }
    Ok(out)
}

fn strings(n: &Node, what: &str) -> Result<Vec<(String, Pos)>> {
    let items = n
        .as_seq()
        .ok_or_else(|| Error::at(&n.pos, format!("'{what}' must be a list of strings")))?;
    items
        .iter()
        .map(|x| {
            x.as_str()
                .map(|s| (s.to_string(), x.pos.clone()))
                .ok_or_else(|| Error::at(&x.pos, format!("'{what}' entries must be strings")))
        })
        .collect()
}

/// Parse `ignore:`: a list of `{kinds, names, fields}`.
pub fn parse_ignore(n: &Node) -> Result<Vec<IgnoreRule>> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    let items = n.as_seq().ok_or_else(|| {
        Error::at(
            &n.pos,
            "'ignore' must be a list of {kinds, names, fields} entries",
        )
    })?;
    let mut out = Vec::new();
    for it in items {
        let m = it.as_map().ok_or_else(|| {
            Error::at(
                &it.pos,
                "an 'ignore' entry is a mapping of kinds, names and fields",
            )
        })?;
        let mut rule = IgnoreRule {
            at: crate::diff::SourceRef::from_pos(&it.pos)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            ..Default::default()
        };
        for (k, v) in m {
            match k.as_str() {
                "kinds" => rule.kinds = strings(v, "kinds")?.into_iter().map(|(s, _)| s).collect(),
                "names" => {
                    let mut b = globset::GlobSetBuilder::new();
                    for (g, pos) in strings(v, "names")? {
                        b.add(globset::Glob::new(&g).map_err(|e| {
                            Error::at(&pos, format!("bad name glob '{g}': {}", e.kind()))
                        })?);
                    }
                    rule.names = Some(b.build().map_err(|e| Error::at(&v.pos, e.to_string()))?);
                }
                "fields" => {
                    for (f, pos) in strings(v, "fields")? {
                        rule.fields.push(FieldPattern::parse(&f).map_err(|e| {
                            Error::at(&pos, format!("bad field pattern: {e}"))
                        })?);
                    }
                }
                other => {
                    return Err(Error::at(&v.pos, format!("unknown key '{other}' in an 'ignore' entry (expected kinds, names, fields)")))
                }
            }
        }
        if rule.kinds.is_empty() && rule.names.is_none() && rule.fields.is_empty() {
            return Err(Error::at(
                &it.pos,
                "an empty 'ignore' entry would ignore every change",
            ));
        }
        out.push(rule);
    }
    Ok(out)
}
