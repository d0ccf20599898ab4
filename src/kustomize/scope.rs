//! Which kinds are cluster-scoped (kyaml's precomputed 1.21 list).
//! (Owner: builtin-transformers work.)

use crate::model::Gvk;

/// True when `gvk` is certainly cluster-scoped (exact apiVersion+kind in the list).
pub fn is_cluster_scoped(gvk: &Gvk) -> bool {
    matches!((gvk.group.as_str(), gvk.kind.as_str()), ("", "Namespace"))
}
