//! Adding a generated resource: create / merge / replace against existing ones.

use super::*;

/// Go's `%#v` of a ResId, as kustomize prints it in generator errors.
pub(super) fn go_id(id: &ResId) -> String {
    format!(
        "resid.ResId{{Gvk:resid.Gvk{{Group:{:?}, Version:{:?}, Kind:{:?}, isClusterScoped:false}}, Name:{:?}, Namespace:{:?}}}",
        id.gvk.group, id.gvk.version, id.gvk.kind, id.name, id.namespace
    )
}

pub(super) fn same_id(a: &ResId, b: &ResId) -> bool {
    a.gvk == b.gvk && a.name == b.name && a.effective_namespace() == b.effective_namespace()
}

/// A string map section of an object, values as strings, keeping positions.
pub(super) fn string_map(node: &Node, path: &[&str]) -> Map {
    let mut out = Map::default();
    if let Some(m) = node.get_path(path).and_then(|n| n.as_map()) {
        for (k, v) in m {
            let s = v.scalar_string().unwrap_or_default();
            out.insert(k.clone(), Node::str(s, v.pos.clone()));
        }
    }
    out
}

/// `old` then `new` (new wins), keys sorted.
pub(super) fn union(old: Map, new: Map) -> Map {
    let mut m = old;
    for (k, v) in new {
        m.insert(k, v);
    }
    sorted(m)
}

pub(super) fn set_or_remove(node: &mut Node, path: &[&str], key: &str, m: Map, pos: &Pos) {
    let parent = if path.is_empty() {
        Some(&mut *node)
    } else {
        node.get_path_mut(path)
    };
    let Some(parent) = parent else { return };
    if m.is_empty() {
        parent.remove(key);
    } else {
        parent.set(key, Node::new(Value::Map(m), pos.clone()));
    }
}

pub(super) fn absorb(
    res: &mut Vec<Resource>,
    mut new: Resource,
    behavior: Behavior,
    pos: &Pos,
) -> Result<()> {
    let id = new.id();
    let matches: Vec<usize> = (0..res.len())
        .filter(|&i| res[i].all_ids().iter().any(|x| same_id(x, &id)))
        .collect();
    match matches.as_slice() {
        [] => match behavior {
            Behavior::Merge | Behavior::Replace => Err(Error::at(
                pos,
                format!("id {} does not exist; cannot merge or replace", go_id(&id)),
            )),
            Behavior::Create => {
                res.push(new);
                Ok(())
            }
        },
        [i] => {
            let i = *i;
            if behavior == Behavior::Create {
                return Err(Error::at(
                    pos,
                    format!(
                        "id {} exists; behavior must be merge or replace",
                        go_id(&id)
                    ),
                ));
            }
            let old = &res[i];
            let npos = new.origin.clone();
            // Labels and annotations: old, then new on top.
            let labels = union(
                string_map(&old.node, &["metadata", "labels"]),
                string_map(&new.node, &["metadata", "labels"]),
            );
            let annos = union(
                string_map(&old.node, &["metadata", "annotations"]),
                string_map(&new.node, &["metadata", "annotations"]),
            );
            set_or_remove(&mut new.node, &["metadata"], "labels", labels, &npos);
            set_or_remove(&mut new.node, &["metadata"], "annotations", annos, &npos);
            // Name and namespace stay the old ones.
            if let Some(md) = new.node.get_mut("metadata") {
                match old.node.get_path(&["metadata", "name"]) {
                    Some(n) => {
                        md.set("name", n.clone());
                    }
                    None => {
                        md.remove("name");
                    }
                }
                match old
                    .node
                    .get_path(&["metadata", "namespace"])
                    .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
                {
                    Some(n) => {
                        md.set("namespace", n.clone());
                    }
                    None => {
                        md.remove("namespace");
                    }
                }
            }
            if behavior == Behavior::Merge {
                let data = union(
                    string_map(&old.node, &["data"]),
                    string_map(&new.node, &["data"]),
                );
                let bin = union(
                    string_map(&old.node, &["binaryData"]),
                    string_map(&new.node, &["binaryData"]),
                );
                set_or_remove(&mut new.node, &[], "data", data, &npos);
                set_or_remove(&mut new.node, &[], "binaryData", bin, &npos);
                new.origin = old.origin.clone();
            }
            // Build bookkeeping comes from the old resource; the hash survives
            // only when both sides want one.
            let want_hash = new.meta.generated.as_ref().is_some_and(|g| g.hash);
            let old_gen = old.meta.generated.clone();
            new.meta.previous = old.meta.previous.clone();
            new.meta.prefixes = old.meta.prefixes.clone();
            new.meta.suffixes = old.meta.suffixes.clone();
            new.meta.name_before_hash = old.meta.name_before_hash.clone();
            // buildMetadata: merge keeps the old origin, replace the new one;
            // transformations recorded so far stay.
            if behavior == Behavior::Merge || new.meta.origin_annotation.is_none() {
                new.meta.origin_annotation = old.meta.origin_annotation.clone();
            }
            new.meta.transformations = old.meta.transformations.clone();
            new.meta.generated = Some(GeneratedBy {
                behavior: old_gen.as_ref().map(|g| g.behavior).unwrap_or_default(),
                hash: want_hash && old_gen.is_some_and(|g| g.hash),
            });
            res[i] = new;
            Ok(())
        }
        many => {
            let ids: Vec<String> = many.iter().map(|&i| res[i].id().to_string()).collect();
            Err(Error::at(
                pos,
                format!(
                    "found multiple objects [{}] that could accept merge of {}",
                    ids.join(" "),
                    id
                ),
            ))
        }
    }
}
