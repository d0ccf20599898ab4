//! `replicas:`.

use super::*;

/// `replicas:`.
pub fn replicas(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    for entry in entries(k, "replicas")? {
        check_keys(entry, &["name", "count"], "replicas")?;
        let (name, name_pos) = entry_string(entry, "name", "replicas")?;
        let (count, count_pos) = match entry.get("count") {
            None => (0, entry.pos.clone()),
            Some(v) => match &v.value {
                Value::Null => (0, v.pos.clone()),
                Value::Int(i) => (*i, v.pos.clone()),
                _ => {
                    return Err(Error::at(
                        &v.pos,
                        format!(
                            "'replicas' field 'count' must be an integer, not a {}",
                            v.type_name()
                        ),
                    ))
                }
            },
        };
        let pos = if count_pos.is_none() {
            name_pos.clone()
        } else {
            count_pos
        };
        let mut found = false;
        for s in &cfg.replicas {
            for r in res.iter_mut() {
                if is_empty(r) {
                    continue;
                }
                let hit = r
                    .all_ids()
                    .iter()
                    .any(|id| id.name == name && s.matches(&id.gvk));
                if !hit {
                    continue;
                }
                found = true;
                if !s.matches(&gvk_of(r)) {
                    continue;
                }
                visit(&mut r.node, &s.path, s.create, &pos, &mut |n: &mut Node| {
                    *n = Node::new(Value::Int(count), pos.clone());
                    Ok(())
                })?;
            }
        }
        if !found {
            let gvks: Vec<String> = cfg
                .replicas
                .iter()
                .map(|s| {
                    let or = |x: &str, d: &str| {
                        if x.is_empty() {
                            d.to_string()
                        } else {
                            x.to_string()
                        }
                    };
                    format!(
                        "{}.{}.{}",
                        or(&s.kind, "[noKind]"),
                        or(&s.version, "[noVer]"),
                        or(&s.group, "[noGrp]")
                    )
                })
                .collect();
            return Err(Error::at(
                &name_pos,
                format!(
                    "resource with name {name} does not match a config with the following GVK [{}]",
                    gvks.join(" ")
                ),
            ));
        }
    }
    Ok(())
}
