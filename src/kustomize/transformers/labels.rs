//! `labels:`, `commonLabels:` and `commonAnnotations:`.

use super::*;

/// `labels:` entries then `commonLabels:`.
pub fn labels(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    for entry in entries(k, "labels")? {
        check_keys(
            entry,
            &["pairs", "includeSelectors", "includeTemplates", "fields"],
            "labels",
        )?;
        let pairs = string_map(entry.get("pairs"), "labels.pairs")?;
        let selectors = entry_bool(entry, "includeSelectors", "labels")?;
        let templates = entry_bool(entry, "includeTemplates", "labels")?;
        let fields = match entry.get("fields") {
            Some(f) => parse_specs(f, "fields")?,
            None => Vec::new(),
        };
        let specs = label_entry_specs(fields, selectors, templates, cfg)
            .map_err(|e| e.or_at(&entry.pos))?;
        apply_map(res, &pairs, &specs, "label")?;
    }
    let common = string_map(k.field("commonLabels"), "commonLabels")?;
    apply_map(res, &common, &cfg.common_labels, "label")
}

/// The field specs one `labels:` entry writes.
pub fn label_entry_specs(
    fields: Vec<FieldSpec>,
    include_selectors: bool,
    include_templates: bool,
    cfg: &TransformerConfig,
) -> Result<Vec<FieldSpec>> {
    let conflict = |e: Error| e.context("failed to merge labels");
    let mut fss = fields;
    for s in &cfg.labels {
        merge_one(&mut fss, s, true).map_err(conflict)?;
    }
    if include_selectors {
        for s in &cfg.common_labels {
            merge_one(&mut fss, s, true).map_err(conflict)?;
        }
    } else {
        if include_templates {
            for s in &cfg.template_labels {
                merge_one(&mut fss, s, true)
                    .map_err(|e| e.context("failed to merge template fieldSpec"))?;
            }
        }
        merge_one(&mut fss, &FieldSpec::new("metadata/labels", true), true).map_err(conflict)?;
    }
    Ok(fss)
}

/// `commonAnnotations:`.
pub fn annotations(
    k: &Kustomization,
    res: &mut Vec<Resource>,
    cfg: &TransformerConfig,
) -> Result<()> {
    let pairs = string_map(k.field("commonAnnotations"), "commonAnnotations")?;
    apply_map(res, &pairs, &cfg.common_annotations, "annotation")
}

/// Write every pair into the mappings `specs` name, on every resource.
fn apply_map(res: &mut [Resource], pairs: &[Pair], specs: &[FieldSpec], what: &str) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    for r in res.iter_mut() {
        if is_empty(r) {
            continue;
        }
        let gvk = gvk_of(r);
        for p in pairs {
            for s in specs.iter().filter(|s| s.matches(&gvk)) {
                visit(
                    &mut r.node,
                    &s.path,
                    s.create,
                    &p.pos,
                    &mut |n: &mut Node| set_entry(n, &p.key, &p.value, &p.pos, what),
                )?;
            }
        }
    }
    Ok(())
}

/// Apply a label map with the given specs (for callers such as generators' options
/// or plugin configs).
pub fn apply_labels(
    res: &mut [Resource],
    pairs: &[(String, String, Pos)],
    specs: &[FieldSpec],
) -> Result<()> {
    let pairs: Vec<Pair> = pairs
        .iter()
        .map(|(k, v, p)| Pair {
            key: k.clone(),
            value: v.clone(),
            pos: p.clone(),
        })
        .collect();
    apply_map(res, &pairs, specs, "label")
}
