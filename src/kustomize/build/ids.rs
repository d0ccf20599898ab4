//! Resource identity while accumulating: checks on loaded objects and the
//! id index that refuses a resource whose id is already registered.

use crate::error::{Error, Result};
use crate::model::Resource;
use crate::yaml::Node;
use std::collections::HashMap;

pub(super) fn check_resource(n: Node) -> Result<Resource> {
    let kind = n.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    if kind.is_empty() {
        return Err(Error::at(&n.pos, "missing kind in object"));
    }
    let name = n
        .get_path(&["metadata", "name"])
        .and_then(|k| k.scalar_string())
        .unwrap_or_default();
    if name.is_empty() {
        return Err(Error::at(
            &n.pos,
            format!("missing metadata.name in object of kind {kind}"),
        ));
    }
    let origin = n.pos.clone();
    Ok(Resource::new(n, origin))
}

pub(super) fn drop_empty(res: &mut Vec<Resource>) {
    res.retain(|r| r.node.as_map().map(|m| !m.is_empty()).unwrap_or(false));
}

/// Do two ids collide (same gvk and name, same effective namespace unless cluster-scoped)?
pub fn same_identity(a: &crate::model::ResId, b: &crate::model::ResId) -> bool {
    if a.gvk != b.gvk || a.name != b.name {
        return false;
    }
    crate::kustomize::scope::is_cluster_scoped(&a.gvk)
        || a.effective_namespace() == b.effective_namespace()
}

/// The identity [`same_identity`] compares: gvk, name, and the effective
/// namespace unless the kind is cluster-scoped.
pub(super) type IdKey = (crate::model::Gvk, String, String);

pub(super) fn id_key(id: crate::model::ResId) -> IdKey {
    let ns = if crate::kustomize::scope::is_cluster_scoped(&id.gvk) {
        String::new()
    } else if id.namespace.is_empty() {
        "default".to_string()
    } else {
        id.namespace
    };
    (id.gvk, id.name, ns)
}

/// The ids of an accumulator, for appending many resources in linear time.
/// Built on first use from the accumulator's current contents; valid as long as
/// the accumulator is only changed through [`IdIndex::append`].
#[derive(Default)]
pub struct IdIndex {
    ids: Option<HashMap<IdKey, usize>>,
}

impl IdIndex {
    /// [`append`], without rescanning `res`.
    pub fn append(&mut self, res: &mut Vec<Resource>, r: Resource) -> Result<()> {
        let ids = self.ids.get_or_insert_with(|| {
            let mut m = HashMap::with_capacity(res.len());
            for (i, x) in res.iter().enumerate() {
                m.entry(id_key(x.id())).or_insert(i);
            }
            m
        });
        let key = id_key(r.id());
        if let Some(&i) = ids.get(&key) {
            return Err(Error::at(
                &r.origin,
                format!(
                    "may not add resource with an already registered id: {} (also defined at {})",
                    r.id(),
                    res[i].origin
                ),
            ));
        }
        ids.insert(key, res.len());
        res.push(r);
        Ok(())
    }
}

/// Append a resource, refusing an id that is already registered.
pub fn append(res: &mut Vec<Resource>, r: Resource) -> Result<()> {
    let id = r.id();
    if let Some(existing) = res.iter().find(|x| same_identity(&x.id(), &id)) {
        return Err(Error::at(
            &r.origin,
            format!(
                "may not add resource with an already registered id: {id} (also defined at {})",
                existing.origin
            ),
        ));
    }
    res.push(r);
    Ok(())
}
