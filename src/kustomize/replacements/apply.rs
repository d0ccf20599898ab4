//! Applying one replacement: read the source value, write it into every selected target.

use super::*;

pub(super) fn apply(r: &Replacement, res: &mut [Resource]) -> Result<()> {
    let (Some((sel, fp, opts)), Some(targets)) = (&r.source, &r.targets) else {
        return Err(Error::at(
            &r.pos,
            "replacements must specify a source and at least one target",
        ));
    };
    let value = source_value(sel, fp, opts, res)?;
    for t in targets {
        let Some(select) = &t.select else {
            return Err(Error::at(&r.pos, "target must specify resources to select"));
        };
        let default_paths = vec!["metadata.name".to_string()];
        let paths = if t.field_paths.is_empty() {
            &default_paths
        } else {
            &t.field_paths
        };
        for target in res.iter_mut() {
            let ids = make_res_ids(target);
            if !matches_anno_and_label(target, select)? {
                continue;
            }
            let mut rejected = false;
            for rj in &t.reject {
                if rj.annotations.is_empty() && rj.labels.is_empty() {
                    continue;
                }
                if matches_anno_and_label(target, rj)? {
                    rejected = true;
                    break;
                }
            }
            if rejected {
                continue;
            }
            let reject_by_id = t
                .reject
                .iter()
                .filter(|rj| !id_is_empty(&rj.id))
                .any(|rj| ids.iter().any(|id| selected_by(id, &rj.id)));
            if reject_by_id || !ids.iter().any(|id| selected_by(id, &select.id)) {
                continue;
            }
            for p in paths {
                copy_to_target(target, p, &value, &t.options)?;
            }
        }
    }
    Ok(())
}

pub(super) fn source_value(
    sel: &ResId,
    fp: &str,
    opts: &Options,
    res: &[Resource],
) -> Result<Node> {
    let mut found: Option<&Resource> = None;
    let sel_string = || {
        let mut s = id_string(sel);
        if !fp.is_empty() {
            s.push(':');
            s.push_str(fp);
        }
        if !opts.delimiter.is_empty() || opts.create {
            s.push_str(&format!(
                ":{}({}), create={}",
                opts.delimiter, opts.index, opts.create
            ));
        }
        s
    };
    for r in res {
        if make_res_ids(r).iter().any(|id| selected_by(id, sel)) {
            if found.is_some() {
                return Err(Error::msg(format!(
                    "multiple matches for selector {}",
                    sel_string()
                )));
            }
            found = Some(r);
        }
    }
    let Some(src) = found else {
        return Err(Error::msg(format!("nothing selected by {}", sel_string())));
    };
    let fp = if fp.is_empty() { "metadata.name" } else { fp };
    let parts = smarter_split(fp);
    let node = lookup(&src.node, &parts)
        .map_err(|e| Error::msg(format!("error looking up replacement source: {}", e.msg)))?;
    let node = match node {
        Some(n) if !is_nil_or_empty(n) => n,
        _ => {
            return Err(Error::msg(format!(
                "fieldPath `{fp}` is missing for replacement source {}",
                id_string(sel)
            )))
        }
    };
    if opts.delimiter.is_empty() {
        return Ok(node.clone());
    }
    if !node.is_scalar() {
        return Err(Error::at(
            &node.pos,
            "delimiter option can only be used with scalar nodes",
        ));
    }
    let text = node.scalar_string().unwrap_or_default();
    let pieces: Vec<&str> = text.split(opts.delimiter.as_str()).collect();
    if opts.index < 0 || opts.index as usize >= pieces.len() {
        return Err(Error::at(
            &node.pos,
            // The value itself is never shown: it may come from a Secret.
            format!(
                "options.index {} is out of bounds for the source value ({} pieces split at {:?})",
                opts.index,
                pieces.len(),
                opts.delimiter
            ),
        ));
    }
    let piece = pieces[opts.index as usize];
    let value = match node.value {
        Value::Str(_) => Value::Str(piece.to_string()),
        _ => retype_plain(piece),
    };
    Ok(Node::new(value, node.pos.clone()))
}

pub(super) fn is_nil_or_empty(n: &Node) -> bool {
    match &n.value {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        Value::Seq(s) => s.is_empty(),
        _ => false,
    }
}

pub(super) fn copy_to_target(
    target: &mut Resource,
    fp: &str,
    value: &Node,
    opts: &Options,
) -> Result<()> {
    let create = if opts.create {
        Some(create_kind_of(value))
    } else {
        None
    };
    let parts: Vec<String> = smarter_split(fp)
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let base = if opts.create {
        format!("unable to find or create field \"{fp}\" in replacement target")
    } else {
        format!("unable to find field \"{fp}\" in replacement target")
    };
    let mut set_err: Option<Error> = None;
    let mut over_budget: Option<Error> = None;
    let pos = value.pos.clone();
    let walked = path_match(
        &mut target.node,
        &parts,
        create,
        false,
        &pos,
        &mut |t, created| {
            // Charged before the copy; no position, so that the error names
            // the replacement (the caller's), not where the value was read.
            if let Err(e) = crate::kustomize::guard::charge_copy(value, &Pos::none(), || {
                format!("a replacement into '{fp}'")
            }) {
                over_budget = Some(e);
                return Err(Error::msg(""));
            }
            set_field_value(t, created, value, opts).map_err(|e| {
                set_err = Some(e);
                Error::msg("")
            })
        },
    );
    if let Some(e) = over_budget {
        return Err(e);
    }
    if let Some(e) = set_err {
        return Err(e.or_at(&pos));
    }
    match walked {
        Err(e) => Err(Error::at(&pos, format!("{base}: {}", e.msg))),
        Ok(0) => Err(Error::at(&pos, base)),
        Ok(_) => Ok(()),
    }
}

pub(super) fn set_field_value(
    target: &mut Node,
    created: bool,
    value: &Node,
    opts: &Options,
) -> Result<()> {
    let mut value = value.clone();
    if !opts.delimiter.is_empty() {
        if !target.is_scalar() {
            return Err(Error::at(
                &value.pos,
                "delimiter option can only be used with scalar nodes",
            ));
        }
        let cur = if created {
            String::new()
        } else {
            target.scalar_string().unwrap_or_default()
        };
        let cur = if target.is_null() && !created {
            String::new()
        } else {
            cur
        };
        let mut tv: Vec<String> = cur
            .split(opts.delimiter.as_str())
            .map(str::to_string)
            .collect();
        let v = if value.is_scalar() {
            value.scalar_string().unwrap_or_default()
        } else {
            String::new()
        };
        if opts.index < 0 {
            tv.insert(0, v);
        } else if opts.index as usize >= tv.len() {
            tv.push(v);
        } else {
            tv[opts.index as usize] = v;
        }
        let joined = tv.join(&opts.delimiter);
        value = Node::new(Value::Str(joined), value.pos.clone());
    }
    if target.is_scalar() {
        let text = if value.is_scalar() {
            value.scalar_string().unwrap_or_default()
        } else {
            String::new()
        };
        let new = if created {
            retype_plain(&text)
        } else {
            keep_tag(&target.value, &text)?
        };
        target.value = new;
        target.pos = value.pos.clone();
    } else {
        *target = value;
    }
    Ok(())
}

/// Write `text` into a scalar that keeps its type (kyaml keeps the node's tag).
pub(super) fn keep_tag(old: &Value, text: &str) -> Result<Value> {
    let mismatch = |tag: &str| {
        let got = match retype_plain(text) {
            Value::Int(_) => "!!int",
            Value::Float(_) => "!!float",
            Value::Bool(_) => "!!bool",
            Value::Null => "!!null",
            _ => "!!str",
        };
        // The value is not shown: it may come from a Secret.
        Error::msg(format!("cannot decode the {got} source value as a {tag}"))
    };
    Ok(match old {
        Value::Str(_) => Value::Str(text.to_string()),
        Value::Int(_) => match retype_plain(text) {
            v @ Value::Int(_) => v,
            _ => return Err(mismatch("!!int")),
        },
        Value::Float(_) => match retype_plain(text) {
            Value::Int(i) => Value::Float(i as f64),
            v @ Value::Float(_) => v,
            _ => return Err(mismatch("!!float")),
        },
        Value::Bool(_) => match retype_plain(text) {
            v @ Value::Bool(_) => v,
            _ => return Err(mismatch("!!bool")),
        },
        Value::Null => match retype_plain(text) {
            Value::Null => Value::Null,
            _ => return Err(mismatch("!!null")),
        },
        Value::Map(_) | Value::Seq(_) => Value::Str(text.to_string()),
    })
}
