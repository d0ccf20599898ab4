//! Name references: after renames (prefix, suffix, hash, patches), update every
//! field that refers to a renamed resource. Runs once at the top level.
//! (Owner: references work.)
//!
//! For every `nameReference` rule and every resource whose ORIGINAL gvk a rule's
//! field spec selects, the named field (a scalar name, a list of names, or maps
//! with `name`/`namespace`) is rewritten to the current name of the one resource
//! that used to carry that name (kustomize's `selectReferral`). An updated value
//! keeps the position of the field it was written in.

use super::config::{NameRefRule, TransformerConfig};
use super::fieldspec::{visit, FieldSpec};
use super::replacements::{id_string, parse_group_version};
use super::scope::is_cluster_scoped;
use crate::error::{Error, Result};
use crate::model::{Gvk, ResId, Resource};
use crate::yaml::{Node, Pos, Value};

/// kustomize's effective namespace of a resource id for cluster-scoped kinds.
const NOT_A_NAMESPACE: &str = "_non_namespaceable_";

/// What selection needs to know about one resource (ids do not change here).
struct Cand {
    cur: ResId,
    /// Previous ids (current group/version, previous kind, name, namespace).
    prev: Vec<ResId>,
    cluster_scoped: bool,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    /// Effective original namespace; None for cluster-scoped kinds.
    org_ns: Option<String>,
    /// Effective current namespace (`_non_namespaceable_` for cluster-scoped kinds).
    cur_ns: String,
}

fn effective_ns(ns: &str) -> String {
    if ns.is_empty() {
        "default".to_string()
    } else {
        ns.to_string()
    }
}

impl Cand {
    fn of(r: &Resource) -> Cand {
        let cur = r.id();
        let (group, version) = parse_group_version(r.api_version());
        let prev: Vec<ResId> = r
            .meta
            .previous
            .iter()
            .map(|p| ResId {
                gvk: Gvk {
                    group: group.clone(),
                    version: version.clone(),
                    kind: p.gvk.kind.clone(),
                },
                name: p.name.clone(),
                namespace: p.namespace.clone(),
            })
            .collect();
        let cluster_scoped = is_cluster_scoped(&cur.gvk);
        let org = prev.first().unwrap_or(&cur);
        let org_ns = if is_cluster_scoped(&org.gvk) || org.namespace == NOT_A_NAMESPACE {
            None
        } else {
            Some(effective_ns(&org.namespace))
        };
        let cur_ns = if cluster_scoped {
            NOT_A_NAMESPACE.to_string()
        } else {
            effective_ns(&cur.namespace)
        };
        Cand {
            cur,
            prev,
            cur_ns,
            cluster_scoped,
            prefixes: r.meta.prefixes.clone(),
            suffixes: r.meta.suffixes.clone(),
            org_ns,
        }
    }
    /// Effective current namespace (`_non_namespaceable_` for cluster-scoped kinds).
    fn cur_ns(&self) -> &str {
        &self.cur_ns
    }
}

fn gvk_selected(g: &Gvk, sel: &Gvk) -> bool {
    (sel.group.is_empty() || sel.group == g.group)
        && (sel.version.is_empty() || sel.version == g.version)
        && (sel.kind.is_empty() || sel.kind == g.kind)
}

/// kustomize's `SameEndingSubSlice`.
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() > b.len() { (b, a) } else { (a, b) };
    let diff = long.len() - short.len();
    if short.is_empty() {
        return diff == 0;
    }
    short.iter().enumerate().all(|(i, s)| &long[i + diff] == s)
}

fn affixes_equal(a: &Cand, b: &Cand, allow_empty: bool) -> bool {
    if allow_empty {
        let pe = a.prefixes.is_empty() || b.prefixes.is_empty();
        let se = a.suffixes.is_empty() || b.suffixes.is_empty();
        (pe || same_ending(&a.prefixes, &b.prefixes))
            && (se || same_ending(&a.suffixes, &b.suffixes))
    } else {
        same_ending(&a.prefixes, &b.prefixes) && same_ending(&a.suffixes, &b.suffixes)
    }
}

/// Everything one referrer's field update needs.
struct Ctx<'a> {
    cands: &'a [Cand],
    /// Indexes of the resources this referrer could refer to.
    subset: Vec<usize>,
    referrer: &'a Cand,
    target: Gvk,
    /// `roleRef` kind/apiGroup restriction, when updating `roleRef/name`.
    role_ref: Option<Gvk>,
}

impl Ctx<'_> {
    /// kustomize's `selectReferral`: the index of the referral, or None.
    fn select(&self, old: &str, candidates: &[usize], same_ns_too: bool) -> Result<Option<usize>> {
        let c = self.cands;
        let r = self.referrer;
        let mut list: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| c[i].prev.iter().any(|id| id.name == old))
            .filter(|&i| {
                c[i].prev
                    .iter()
                    .any(|id| gvk_selected(&id.gvk, &self.target))
            })
            .filter(|&i| match &self.role_ref {
                Some(g) => c[i].prev.iter().any(|id| gvk_selected(&id.gvk, g)),
                None => true,
            })
            .filter(|&i| {
                r.cluster_scoped
                    || c[i].cluster_scoped
                    || c[i].cur.gvk.kind == "ServiceAccount"
                    || r.cur_ns() == c[i].cur_ns()
            })
            .collect();
        if list.len() == 1 {
            return Ok(Some(list[0]));
        }
        list.retain(|&i| affixes_equal(&c[i], r, true));
        if list.len() > 1 {
            list.retain(|&i| affixes_equal(&c[i], r, false));
        }
        match list.len() {
            0 => return Ok(None),
            1 => return Ok(Some(list[0])),
            _ => {}
        }
        let first = &c[list[0]].cur;
        let identical = list.iter().all(|&i| {
            c[i].cur.name == first.name && (!same_ns_too || c[i].cur.namespace == first.namespace)
        });
        if identical {
            return Ok(Some(list[0]));
        }
        let ids: Vec<String> = list.iter().map(|&i| id_string(&c[i].cur)).collect();
        Err(Error::msg(format!(
            "found multiple possible referrals: {} (referrer {})",
            ids.join(", "),
            id_string(&r.cur)
        )))
    }

    fn set_scalar(&self, node: &mut Node) -> Result<()> {
        let Some(old) = node.scalar_string() else {
            return Ok(());
        };
        let Some(i) = self.select(&old, &self.subset, false)? else {
            return Ok(());
        };
        let new = &self.cands[i].cur.name;
        if *new != old {
            node.value = Value::Str(new.clone());
        }
        Ok(())
    }

    fn set_mapping(&self, node: &mut Node) -> Result<()> {
        let Some(name_node) = node.get("name") else {
            return Err(Error::at(
                &node.pos,
                "path config error; no 'name' field in node",
            ));
        };
        let old = name_node.scalar_string().unwrap_or_default();
        let name_pos = name_node.pos.clone();
        let candidates: Vec<usize> = match node.get("namespace") {
            None => self.subset.clone(),
            Some(ns) => {
                let ns = ns.scalar_string().unwrap_or_default();
                let by_org: Vec<usize> = self
                    .subset
                    .iter()
                    .copied()
                    .filter(|&i| self.cands[i].org_ns.as_deref() == Some(ns.as_str()))
                    .collect();
                if !by_org.is_empty() {
                    by_org
                } else {
                    self.subset
                        .iter()
                        .copied()
                        .filter(|&i| self.cands[i].cur_ns() == ns)
                        .collect()
                }
            }
        };
        let Some(i) = self.select(&old, &candidates, true)? else {
            return Ok(());
        };
        let referral = &self.cands[i].cur;
        if referral.name == old && referral.namespace.is_empty() {
            return Ok(());
        }
        let Some(m) = node.as_map_mut() else {
            return Ok(());
        };
        match m.get_mut("name") {
            Some(n) => n.value = Value::Str(referral.name.clone()),
            None => {
                m.insert(
                    "name".into(),
                    Node::str(referral.name.clone(), name_pos.clone()),
                );
            }
        }
        if !referral.namespace.is_empty() {
            match m.get_mut("namespace") {
                Some(n) => n.value = Value::Str(referral.namespace.clone()),
                None => {
                    m.insert(
                        "namespace".into(),
                        Node::str(referral.namespace.clone(), name_pos),
                    );
                }
            }
        }
        Ok(())
    }

    fn set(&self, node: &mut Node) -> Result<()> {
        match &mut node.value {
            Value::Null => Ok(()),
            Value::Map(_) => self.set_mapping(node),
            Value::Seq(items) => {
                for item in items.iter_mut() {
                    match item.value {
                        Value::Null => {}
                        Value::Map(_) => self.set_mapping(item)?,
                        Value::Seq(_) => {
                            return Err(Error::at(
                                &item.pos,
                                "a name reference list item must be a string or a map",
                            ))
                        }
                        _ => self.set_scalar(item)?,
                    }
                }
                Ok(())
            }
            _ => self.set_scalar(node),
        }
    }
}

/// Namespaces of a RoleBinding's ServiceAccount subjects.
fn role_binding_namespaces(r: &Resource) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if r.kind() != "RoleBinding" {
        return Ok(out);
    }
    let Some(subjects) = r.node.get("subjects").and_then(|s| s.as_seq()) else {
        return Ok(out);
    };
    for s in subjects {
        let (Some(ns), Some(kind)) = (s.get("namespace"), s.get("kind")) else {
            continue;
        };
        if kind.as_str() == Some("ServiceAccount") {
            match ns.as_str() {
                Some(n) => out.push(n.to_string()),
                None => {
                    return Err(Error::at(
                        &ns.pos,
                        format!(
                            "Invalid Input: namespace is blank for resource \"{}\"",
                            id_string(&r.id())
                        ),
                    ))
                }
            }
        }
    }
    Ok(out)
}

/// The `roleRef` kind and apiGroup of a referrer (None when incomplete).
fn role_ref_gvk(r: &Resource) -> Option<Gvk> {
    let rr = r.node.get("roleRef")?;
    let group = rr.get("apiGroup")?.scalar_string()?;
    let kind = rr.get("kind")?.scalar_string()?;
    Some(Gvk {
        group,
        version: String::new(),
        kind,
    })
}

fn rule_gvk(rule: &NameRefRule) -> Gvk {
    Gvk {
        group: rule.group.clone(),
        version: rule.version.clone(),
        kind: rule.kind.clone(),
    }
}

/// Fix every name reference.
pub fn fix_name_references(res: &mut [Resource], cfg: &TransformerConfig) -> Result<()> {
    let cands: Vec<Cand> = res.iter().map(Cand::of).collect();
    for ri in 0..res.len() {
        let org = res[ri].original_id();
        let filters: Vec<(&NameRefRule, &FieldSpec)> = cfg
            .name_reference
            .iter()
            .flat_map(|rule| rule.specs.iter().map(move |s| (rule, s)))
            .filter(|(_, s)| s.matches(&org.gvk))
            .collect();
        if filters.is_empty() {
            continue;
        }
        let referrer = &cands[ri];
        let subset: Vec<usize> = if referrer.cluster_scoped {
            (0..cands.len()).collect()
        } else {
            let rb = role_binding_namespaces(&res[ri])?;
            let my_ns = referrer.cur_ns();
            (0..cands.len())
                .filter(|&i| {
                    cands[i].cluster_scoped
                        || cands[i].cur_ns() == my_ns
                        || rb.contains(&cands[i].cur.namespace)
                })
                .collect()
        };
        let role_ref = role_ref_gvk(&res[ri]);
        for (rule, spec) in filters {
            let path = spec.path_string();
            let ctx = Ctx {
                cands: &cands,
                subset: subset.clone(),
                referrer,
                target: rule_gvk(rule),
                role_ref: if path.ends_with("roleRef/name") {
                    role_ref.clone()
                } else {
                    None
                },
            };
            let cur = referrer.cur.clone();
            visit(
                &mut res[ri].node,
                &spec.path,
                false,
                &Pos::none(),
                &mut |n| {
                    ctx.set(n).map_err(|e| {
                        let pos = if e.pos.is_none() {
                            n.pos.clone()
                        } else {
                            e.pos.clone()
                        };
                        Error::at(
                            &pos,
                            format!(
                                "updating name reference in '{path}' field of '{}': {}",
                                id_string(&cur),
                                e.msg
                            ),
                        )
                    })
                },
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
