//! `namespace:`: sets metadata.namespace, renames (Cluster)RoleBinding subjects.

use super::*;

/// Which (Cluster)RoleBinding subjects get the namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoleBindingSubjects {
    /// Subjects named `default` (any kind). The `namespace:` field's behaviour.
    #[default]
    DefaultOnly,
    /// Every ServiceAccount subject.
    AllServiceAccounts,
    /// None.
    None,
}

/// Options of the namespace transformer (only a `transformers:` plugin config sets them).
#[derive(Clone, Copy, Debug, Default)]
pub struct NamespaceOptions {
    /// Only fill empty namespaces.
    pub unset_only: bool,
    /// Role binding subjects to update.
    pub subjects: RoleBindingSubjects,
}

/// `namespace:`.
pub fn namespace(
    k: &Kustomization,
    res: &mut Vec<Resource>,
    cfg: &TransformerConfig,
) -> Result<()> {
    let Some((ns, pos)) = k.string("namespace")? else {
        return Ok(());
    };
    apply_namespace(res, &ns, &pos, &cfg.namespace, NamespaceOptions::default())
}

/// Set namespace `ns` (provenance `pos`) on `res` using the namespace field `specs`.
pub fn apply_namespace(
    res: &mut [Resource],
    ns: &str,
    pos: &Pos,
    specs: &[FieldSpec],
    opts: NamespaceOptions,
) -> Result<()> {
    if ns.is_empty() {
        return Ok(());
    }
    let mut set = |node: &mut Node| -> Result<()> {
        if !node.is_scalar() {
            return Err(Error::at(
                &node.pos,
                "namespace field specs must target scalar nodes",
            ));
        }
        if opts.unset_only && !node.scalar_string().unwrap_or_default().is_empty() {
            return Ok(());
        }
        *node = Node::str(ns, pos.clone());
        Ok(())
    };
    // How many resources currently carry each id (kept up to date as resources
    // move), so that the conflict check after each move is not a rescan.
    let mut counts: std::collections::HashMap<(Gvk, String, String), usize> =
        std::collections::HashMap::with_capacity(res.len());
    for r in res.iter() {
        *counts.entry(id_key(&r.id())).or_default() += 1;
    }
    for i in 0..res.len() {
        if is_empty(&res[i]) {
            continue;
        }
        let before = id_key(&res[i].id());
        if let Some(c) = counts.get_mut(&before) {
            *c -= 1;
        }
        res[i].remember_id();
        let r = &mut res[i];
        let api = r.api_version().to_string();
        let gvk = gvk_of(r);
        // metadata.namespace: every kind not certainly cluster-scoped.
        if !is_cluster_scoped(&gvk) {
            visit(
                &mut r.node,
                &["metadata".into(), "namespace".into()],
                true,
                pos,
                &mut set,
            )?;
        }
        let is_binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
        if is_binding {
            role_binding_subjects(&mut r.node, opts, &mut set)?;
        }
        for s in specs {
            let p = s.path_string();
            if p == "metadata/namespace" || (p == "metadata/name" && api != "v1") {
                continue;
            }
            if is_binding && s.path.first().map(|x| x.trim_end_matches("[]")) == Some("subjects") {
                continue;
            }
            if s.matches(&gvk) {
                visit(&mut r.node, &s.path, s.create, pos, &mut set).map_err(|e| {
                    e.context(format!("namespace transformation failed for {}", r.id()))
                })?;
            }
        }
        let cur = id_key(&res[i].id());
        let count = counts.entry(cur.clone()).or_default();
        *count += 1;
        if *count != 1 {
            let matches: Vec<ResId> = res
                .iter()
                .map(|x| x.id())
                .filter(|id| id_key(id) == cur)
                .collect();
            let ids: Vec<String> = matches.iter().map(|x| x.to_string()).collect();
            return Err(Error::at(
                pos,
                format!(
                    "namespace transformation produces ID conflict: [{}]",
                    ids.join(" ")
                ),
            ));
        }
    }
    Ok(())
}

fn role_binding_subjects(
    node: &mut Node,
    opts: NamespaceOptions,
    set: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    if opts.subjects == RoleBindingSubjects::None {
        return Ok(());
    }
    let Some(subjects) = node.get_mut("subjects") else {
        return Ok(());
    };
    if subjects.is_null() {
        return Ok(());
    }
    let Some(items) = subjects.as_seq_mut() else {
        return Err(Error::at(
            &subjects.pos,
            "role binding 'subjects' must be a list",
        ));
    };
    for subj in items.iter_mut() {
        if !subj.is_map() {
            continue;
        }
        let wanted = match opts.subjects {
            RoleBindingSubjects::DefaultOnly => subj.str_at(&["name"]) == Some("default"),
            RoleBindingSubjects::AllServiceAccounts => {
                subj.str_at(&["kind"]) == Some("ServiceAccount")
            }
            RoleBindingSubjects::None => false,
        };
        if wanted {
            let pos = subj.pos.clone();
            let m = subj.as_map_mut().expect("checked");
            let slot = m
                .entry("namespace".to_string())
                .or_insert_with(|| Node::new(Value::Null, pos));
            set(slot)?;
        }
    }
    Ok(())
}
