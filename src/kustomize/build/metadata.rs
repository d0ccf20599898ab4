//! Build metadata and output normalisation: `buildMetadata` annotations,
//! local-config, annotation values, values JSON cannot carry.

use super::super::kustomization::Kustomization;
use crate::error::{Error, Result};
use crate::model::Resource;
use crate::yaml::{Node, Pos, Value};

pub(super) fn is_local_config(r: &Resource) -> bool {
    matches!(r.annotation("config.kubernetes.io/local-config"), Some(v) if v != "false")
}

/// Duplicate keys are caught at parse time; here: output-level checks.
pub(super) fn check_output(res: &[Resource]) -> Result<()> {
    for r in res {
        if let Some((f, pos)) = find_nonfinite(&r.node) {
            // Go's %v spelling.
            let go = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(Error::at(
                if pos.is_none() { &r.origin } else { &pos },
                format!("json: unsupported value: {go}"),
            ));
        }
    }
    Ok(())
}

/// The base name of a kustomization's file (`kustomization.yaml`, ...).
pub(super) fn kust_file_name(k: &Kustomization) -> String {
    k.file.rsplit('/').next().unwrap_or(&k.file).to_string()
}

/// Go's `filepath.Join(base, rel)`: joined and cleaned (`..` resolved against
/// preceding names, `.` dropped); "" when both are empty.
pub fn clean_join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined = if base.is_empty() {
        rel.to_string()
    } else if rel.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{rel}")
    };
    let absolute = joined.starts_with('/');
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(l) if *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let body = parts.join("/");
    if absolute {
        format!("/{body}")
    } else if body.is_empty() && !joined.is_empty() {
        ".".to_string()
    } else {
        body
    }
}

/// A string as a YAML plain or double-quoted scalar (as go-yaml prints it).
pub(super) fn yaml_scalar(s: &str) -> String {
    crate::yaml::emit_node(&Node::str(s, Pos::none()))
        .trim_end_matches('\n')
        .to_string()
}

/// A builtin plugin's origin: `configuredIn` + `configuredBy`.
pub(super) fn builtin_origin(configured_in: &str, kind: &str) -> String {
    format!(
        "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}\n",
        yaml_scalar(configured_in)
    )
}

/// kustomize's `AddTransformerAnnotation`, once per transformer instance: a
/// resource without an origin takes the transformer's; the others record it.
/// `repo`: the `repo:`/`ref:` lines of a transformer configured in a remote base.
pub(super) fn note_transformer(
    res: &mut [Resource],
    repo: Option<&str>,
    configured_in: &str,
    kind: &str,
    n: usize,
) {
    let o = format!(
        "{}{}",
        repo.unwrap_or(""),
        builtin_origin(configured_in, kind)
    );
    for _ in 0..n {
        for r in res.iter_mut() {
            if r.meta.origin_annotation.is_none() {
                r.meta.origin_annotation = Some(o.clone());
            } else {
                r.meta.transformations.push(o.clone());
            }
        }
    }
}

/// The managed-by label `buildMetadata: [managedByLabel]` adds.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kustomize-v5.5.0");

/// Top-level `buildMetadata`: the managed-by label, origin and transformation
/// annotations.
pub(super) fn build_metadata(k: &Kustomization, res: &mut [Resource]) -> Result<()> {
    let opts: Vec<String> = k
        .strings("buildMetadata")?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let pos = k
        .field("buildMetadata")
        .map(|n| n.pos.clone())
        .unwrap_or_else(Pos::none);
    let has = |o: &str| opts.iter().any(|x| x == o);
    for r in res.iter_mut() {
        if has("managedByLabel") {
            if let Some(md) = r.node.ensure_map("metadata", &pos) {
                if let Some(l) = md.ensure_map("labels", &pos) {
                    l.set(MANAGED_BY.0, Node::str(MANAGED_BY.1, pos.clone()));
                }
            }
        }
        let mut annos: Vec<(&str, String)> = Vec::new();
        if has("originAnnotations") {
            if let Some(o) = &r.meta.origin_annotation {
                annos.push(("config.kubernetes.io/origin", o.clone()));
            }
        }
        if has("transformerAnnotations") && !r.meta.transformations.is_empty() {
            let mut text = String::new();
            for t in &r.meta.transformations {
                for (i, line) in t.lines().enumerate() {
                    text.push_str(if i == 0 { "- " } else { "  " });
                    text.push_str(line);
                    text.push('\n');
                }
            }
            annos.push(("alpha.config.kubernetes.io/transformations", text));
        }
        for (key, value) in annos {
            if let Some(md) = r.node.ensure_map("metadata", &pos) {
                if let Some(a) = md.ensure_map("annotations", &pos) {
                    a.set(key, Node::str(value, pos.clone()));
                }
            }
        }
    }
    Ok(())
}

/// kustomize rewrites `metadata.annotations` at output: an empty (or null) field
/// is dropped and every value becomes a string (non-scalars become "").
pub fn normalize_annotations(node: &mut Node) {
    let Some(meta) = node.get_mut("metadata") else {
        return;
    };
    let drop = match meta.get_mut("annotations") {
        None => false,
        Some(a) => match &mut a.value {
            Value::Null => true,
            Value::Seq(s) => s.is_empty(),
            Value::Map(m) => {
                for v in m.values_mut() {
                    // The value's source text when it was a plain scalar of
                    // another type (`0x1F`, `1.50`, `~`, a date).
                    let s = match (&v.value, &v.raw) {
                        (Value::Seq(_) | Value::Map(_), _) => String::new(),
                        (_, Some(raw)) => raw.to_string(),
                        (Value::Str(_), None) => continue,
                        (Value::Null, None) => String::new(),
                        _ => v.scalar_string().unwrap_or_default(),
                    };
                    v.value = Value::Str(s);
                    v.raw = None;
                }
                m.is_empty()
            }
            _ => false,
        },
    };
    if drop {
        meta.remove("annotations");
    }
}

pub(super) fn find_nonfinite(n: &Node) -> Option<(f64, Pos)> {
    match &n.value {
        Value::Float(f) if !f.is_finite() => Some((*f, n.pos.clone())),
        Value::Seq(s) => s.iter().find_map(find_nonfinite),
        Value::Map(m) => m.values().find_map(find_nonfinite),
        _ => None,
    }
}
