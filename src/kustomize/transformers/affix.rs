//! `namePrefix:` / `nameSuffix:`.

use super::*;

/// `namePrefix:` and `nameSuffix:` (prefix first, then suffix).
pub fn prefix_suffix(
    k: &Kustomization,
    res: &mut Vec<Resource>,
    cfg: &TransformerConfig,
) -> Result<()> {
    if let Some((p, pos)) = k.string("namePrefix")? {
        apply_affix(res, &p, true, &pos, &cfg.name_prefix)?;
    }
    if let Some((s, pos)) = k.string("nameSuffix")? {
        apply_affix(res, &s, false, &pos, &cfg.name_suffix)?;
    }
    Ok(())
}

/// Kinds whose names never get a prefix or suffix (judged by the original id).
fn skips_affix(id: &ResId) -> bool {
    id.gvk.kind == "CustomResourceDefinition"
        || id.gvk.kind == "Namespace"
        || (id.gvk.group == "apiregistration.k8s.io" && id.gvk.kind == "APIService")
}

/// Add `affix` as a prefix (`prefix`) or suffix to the fields `specs` name.
pub fn apply_affix(
    res: &mut [Resource],
    affix: &str,
    prefix: bool,
    pos: &Pos,
    specs: &[FieldSpec],
) -> Result<()> {
    if affix.is_empty() {
        return Ok(());
    }
    for r in res.iter_mut() {
        if is_empty(r) {
            continue;
        }
        let org = r.original_id();
        if skips_affix(&org) {
            continue;
        }
        for s in specs.iter().filter(|s| selects(s, &org.gvk)) {
            if s.path_string() == "metadata/name" {
                if prefix {
                    r.meta.prefixes.push(affix.to_string());
                } else {
                    r.meta.suffixes.push(affix.to_string());
                }
                r.remember_id();
            }
            let gvk = gvk_of(r);
            if !s.matches(&gvk) {
                continue;
            }
            visit(&mut r.node, &s.path, s.create, pos, &mut |n: &mut Node| {
                let Some(old) = n.scalar_string() else {
                    return Ok(());
                };
                let new = if prefix {
                    format!("{affix}{old}")
                } else {
                    format!("{old}{affix}")
                };
                *n = Node::str(new, pos.clone());
                Ok(())
            })?;
        }
    }
    Ok(())
}
