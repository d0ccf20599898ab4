//! Transformer configuration: kustomize's built-in field specs (carried in
//! `data/fieldspecs/`, v5.5.0 behaviour), merged with a kustomization's
//! `configurations` files.
//!
//! Both use one document format: a mapping whose keys (`namePrefix`, `nameSuffix`,
//! `namespace`, `commonLabels`, `labels`, `templateLabels`, `commonAnnotations`,
//! `images`, `replicas`, `varReference`) hold lists of field specs
//! (`{group, version, kind, path, create}`), and whose `nameReference` key holds
//! `{group, version, kind, fieldSpecs}` rules.

use super::fieldspec::{split_path, FieldSpec};
use crate::error::{Error, Result};
use crate::model::Gvk;
use crate::yaml::{parse_stream, Node, ParseOptions};

/// One `nameReference` rule: resources of `kind` (group/version) are referred to by
/// name from the fields `specs`.
#[derive(Clone, Debug, Default)]
pub struct NameRefRule {
    /// Referred-to group (empty = any).
    pub group: String,
    /// Referred-to version (empty = any).
    pub version: String,
    /// Referred-to kind.
    pub kind: String,
    /// Referring fields.
    pub specs: Vec<FieldSpec>,
}

impl NameRefRule {
    /// The referred-to group, version and kind.
    pub fn gvk(&self) -> Gvk {
        Gvk {
            group: self.group.clone(),
            version: self.version.clone(),
            kind: self.kind.clone(),
        }
    }
}

/// All field specs the built-in transformers use.
#[derive(Clone, Debug, Default)]
pub struct TransformerConfig {
    /// namePrefix fields.
    pub name_prefix: Vec<FieldSpec>,
    /// nameSuffix fields.
    pub name_suffix: Vec<FieldSpec>,
    /// namespace fields.
    pub namespace: Vec<FieldSpec>,
    /// commonLabels fields (selectors included).
    pub common_labels: Vec<FieldSpec>,
    /// Labels without selectors (templates included).
    pub template_labels: Vec<FieldSpec>,
    /// commonAnnotations fields.
    pub common_annotations: Vec<FieldSpec>,
    /// images fields.
    pub images: Vec<FieldSpec>,
    /// replicas fields.
    pub replicas: Vec<FieldSpec>,
    /// Name references.
    pub name_reference: Vec<NameRefRule>,
    /// Fields where `$(VAR)` is substituted.
    pub var_reference: Vec<FieldSpec>,
    /// Extra fields every `labels:` entry writes (the `labels` key of a
    /// configurations file; empty in the built-in configuration).
    pub labels: Vec<FieldSpec>,
}

/// The built-in configuration files, in kustomize's order.
const BUILTIN_FILES: [(&str, &str); 10] = [
    (
        "nameprefix.yaml",
        include_str!("../../data/fieldspecs/nameprefix.yaml"),
    ),
    (
        "namesuffix.yaml",
        include_str!("../../data/fieldspecs/namesuffix.yaml"),
    ),
    (
        "commonlabels.yaml",
        include_str!("../../data/fieldspecs/commonlabels.yaml"),
    ),
    (
        "templatelabels.yaml",
        include_str!("../../data/fieldspecs/templatelabels.yaml"),
    ),
    (
        "commonannotations.yaml",
        include_str!("../../data/fieldspecs/commonannotations.yaml"),
    ),
    (
        "namespace.yaml",
        include_str!("../../data/fieldspecs/namespace.yaml"),
    ),
    (
        "varreference.yaml",
        include_str!("../../data/fieldspecs/varreference.yaml"),
    ),
    (
        "namereference.yaml",
        include_str!("../../data/fieldspecs/namereference.yaml"),
    ),
    (
        "images.yaml",
        include_str!("../../data/fieldspecs/images.yaml"),
    ),
    (
        "replicas.yaml",
        include_str!("../../data/fieldspecs/replicas.yaml"),
    ),
];

const SPEC_KEYS: [&str; 5] = ["group", "version", "kind", "path", "create"];

impl TransformerConfig {
    /// kustomize's built-in configuration.
    pub fn builtin() -> &'static TransformerConfig {
        static CFG: std::sync::OnceLock<TransformerConfig> = std::sync::OnceLock::new();
        CFG.get_or_init(|| {
            let mut cfg = TransformerConfig::default();
            for (name, text) in BUILTIN_FILES {
                let file = format!("data/fieldspecs/{name}");
                let docs = parse_stream(text, &file, &ParseOptions::kustomization())
                    .expect("built-in field specs parse");
                for doc in &docs {
                    let part =
                        TransformerConfig::parse(doc).expect("built-in field specs are valid");
                    cfg.append(part);
                }
            }
            cfg.sort_fields();
            cfg
        })
    }

    /// Parse a `configurations` file (one document, already parsed). Unknown keys
    /// and wrongly typed values are errors naming the line.
    pub fn parse(node: &Node) -> Result<TransformerConfig> {
        let mut cfg = TransformerConfig::default();
        if node.is_null() {
            return Ok(cfg);
        }
        let Some(map) = node.as_map() else {
            return Err(Error::at(
                &node.pos,
                format!(
                    "transformer configuration must be a mapping, not a {}",
                    node.type_name()
                ),
            ));
        };
        for (key, value) in map {
            let list = match key.as_str() {
                "namePrefix" => &mut cfg.name_prefix,
                "nameSuffix" => &mut cfg.name_suffix,
                "namespace" => &mut cfg.namespace,
                "commonLabels" => &mut cfg.common_labels,
                "labels" => &mut cfg.labels,
                "templateLabels" => &mut cfg.template_labels,
                "commonAnnotations" => &mut cfg.common_annotations,
                "images" => &mut cfg.images,
                "replicas" => &mut cfg.replicas,
                "varReference" => &mut cfg.var_reference,
                "nameReference" => {
                    cfg.name_reference = parse_name_refs(value)?;
                    continue;
                }
                _ => {
                    return Err(Error::at(
                        &value.pos,
                        format!("invalid transformer configuration: unknown field \"{key}\""),
                    ))
                }
            };
            *list = parse_specs(value, key)?;
        }
        cfg.sort_fields();
        Ok(cfg)
    }

    /// The configuration one kustomization contributes: the built-ins merged with
    /// its `configurations` files (each already parsed, in order), as kustomize's
    /// `MakeTransformerConfig` does. The build then merges this into the
    /// accumulated configuration (starting empty, bases' configurations merged in
    /// first) with [`TransformerConfig::try_merge`]; kustomize fails there on
    /// conflicts such as a custom `images` spec with `create: false` sorting before
    /// a built-in one with `create: true` on the same path.
    pub fn with_configurations(files: &[TransformerConfig]) -> Result<TransformerConfig> {
        let mut cfg = TransformerConfig::builtin().clone();
        if files.is_empty() {
            return Ok(cfg);
        }
        let mut custom = TransformerConfig::default();
        for f in files {
            custom.try_merge(f)?;
        }
        cfg.try_merge(&custom)?;
        Ok(cfg)
    }

    /// Merge another configuration into this one (no duplicates). A spec that
    /// conflicts with an existing one (same path and kind, different `create`) is
    /// ignored; use [`TransformerConfig::try_merge`] to get an error instead.
    pub fn merge(&mut self, other: &TransformerConfig) {
        let _ = self.merge_impl(other, false);
    }

    /// Merge another configuration into this one, failing like kustomize on
    /// conflicting field specs (`failed to merge X fieldSpec: conflicting fieldspecs`).
    pub fn try_merge(&mut self, other: &TransformerConfig) -> Result<()> {
        self.merge_impl(other, true)
    }

    fn merge_impl(&mut self, other: &TransformerConfig, strict: bool) -> Result<()> {
        let lists: [(&mut Vec<FieldSpec>, &Vec<FieldSpec>, &str); 10] = [
            (&mut self.name_prefix, &other.name_prefix, "NamePrefix"),
            (&mut self.name_suffix, &other.name_suffix, "NameSuffix"),
            (&mut self.namespace, &other.namespace, "NameSpace"),
            (
                &mut self.common_annotations,
                &other.common_annotations,
                "CommonAnnotations",
            ),
            (
                &mut self.common_labels,
                &other.common_labels,
                "CommonLabels",
            ),
            (&mut self.labels, &other.labels, "Labels"),
            (
                &mut self.template_labels,
                &other.template_labels,
                "TemplateLabels",
            ),
            (
                &mut self.var_reference,
                &other.var_reference,
                "VarReference",
            ),
            (&mut self.images, &other.images, "Images"),
            (&mut self.replicas, &other.replicas, "Replicas"),
        ];
        for (mine, theirs, name) in lists {
            merge_specs(mine, theirs, strict)
                .map_err(|e| e.context(format!("failed to merge {name} fieldSpec")))?;
        }
        for rule in &other.name_reference {
            match self
                .name_reference
                .iter_mut()
                .find(|r| r.group == rule.group && r.version == rule.version && r.kind == rule.kind)
            {
                Some(existing) => merge_specs(&mut existing.specs, &rule.specs, strict)
                    .map_err(|e| e.context("failed to merge NameReference fieldSpec"))?,
                None => self.name_reference.push(rule.clone()),
            }
        }
        self.sort_fields();
        Ok(())
    }

    /// Append every list of `other` (no de-duplication; used for the built-ins,
    /// which kustomize reads as one document).
    fn append(&mut self, other: TransformerConfig) {
        self.name_prefix.extend(other.name_prefix);
        self.name_suffix.extend(other.name_suffix);
        self.namespace.extend(other.namespace);
        self.common_labels.extend(other.common_labels);
        self.template_labels.extend(other.template_labels);
        self.common_annotations.extend(other.common_annotations);
        self.images.extend(other.images);
        self.replicas.extend(other.replicas);
        self.name_reference.extend(other.name_reference);
        self.var_reference.extend(other.var_reference);
        self.labels.extend(other.labels);
    }

    /// Order every list by kind rank then `group_version_kind`, as kustomize does
    /// (stable, so equal keys keep file order).
    fn sort_fields(&mut self) {
        for list in [
            &mut self.name_prefix,
            &mut self.name_suffix,
            &mut self.namespace,
            &mut self.common_labels,
            &mut self.labels,
            &mut self.template_labels,
            &mut self.common_annotations,
            &mut self.var_reference,
            &mut self.images,
            &mut self.replicas,
        ] {
            // Each key computed once (it is a formatted string); stable.
            list.sort_by_cached_key(|a| gvk_sort_key(&a.group, &a.version, &a.kind));
        }
        self.name_reference
            .sort_by_cached_key(|a| gvk_sort_key(&a.group, &a.version, &a.kind));
    }
}

impl TransformerConfig {
    /// The configuration a `crds:` file contributes (kustomize's
    /// `LoadConfigFromCRDs`): the file maps OpenAPI definition names to
    /// `{Schema, Dependencies}`; for every definition that looks like a Kubernetes
    /// type (`kind`, `apiVersion` and `metadata` properties), properties marked
    /// `x-kubernetes-annotation`, `x-kubernetes-label-selector`,
    /// `x-kubernetes-identity` or `x-kubernetes-object-ref-api-version` +
    /// `x-kubernetes-object-ref-kind` (+ `x-kubernetes-object-ref-name-key`) become
    /// commonAnnotations, commonLabels, namePrefix and nameReference field specs
    /// of that kind, following `$ref`s into other definitions.
    pub fn from_crd_definitions(doc: &Node) -> Result<TransformerConfig> {
        let mut cfg = TransformerConfig::default();
        if doc.is_null() {
            return Ok(cfg);
        }
        let Some(defs) = doc.as_map() else {
            return Err(Error::at(
                &doc.pos,
                "unable to parse open API definition: expected a mapping of definition names",
            ));
        };
        for (name, def) in defs {
            let Some(props) = def
                .get_path(&["Schema", "properties"])
                .and_then(|p| p.as_map())
            else {
                continue;
            };
            if !(props.contains_key("kind")
                && props.contains_key("apiVersion")
                && props.contains_key("metadata"))
            {
                continue;
            }
            let kind = name.rsplit('.').next().unwrap_or(name).to_string();
            let mut one = TransformerConfig::default();
            crd_props(&mut one, &kind, defs, name, &mut Vec::new(), 0)?;
            cfg.try_merge(&one)?;
        }
        Ok(cfg)
    }
}

fn crd_props(
    cfg: &mut TransformerConfig,
    kind: &str,
    defs: &crate::yaml::Map,
    type_name: &str,
    path: &mut Vec<String>,
    depth: usize,
) -> Result<()> {
    if depth > 64 {
        return Ok(());
    }
    let Some(props) = defs
        .get(type_name)
        .and_then(|d| d.get_path(&["Schema", "properties"]))
        .and_then(|p| p.as_map())
    else {
        return Ok(());
    };
    let ext = |p: &Node, key: &str| p.get(key).and_then(|v| v.as_str()).map(str::to_string);
    for (prop, p) in props {
        path.push(prop.clone());
        let spec = |path: &[String]| FieldSpec {
            group: String::new(),
            version: String::new(),
            kind: kind.to_string(),
            path: path.to_vec(),
            create: false,
        };
        if ext(p, "x-kubernetes-annotation").is_some() {
            merge_one(&mut cfg.common_annotations, &spec(path), true)?;
        }
        if ext(p, "x-kubernetes-label-selector").is_some() {
            merge_one(&mut cfg.common_labels, &spec(path), true)?;
        }
        if ext(p, "x-kubernetes-identity").is_some() {
            merge_one(&mut cfg.name_prefix, &spec(path), true)?;
        }
        if let (Some(version), Some(ref_kind)) = (
            ext(p, "x-kubernetes-object-ref-api-version"),
            ext(p, "x-kubernetes-object-ref-kind"),
        ) {
            let key = ext(p, "x-kubernetes-object-ref-name-key").unwrap_or_else(|| "name".into());
            let mut full = path.clone();
            full.push(key);
            let rule = NameRefRule {
                group: String::new(),
                version,
                kind: ref_kind,
                specs: vec![spec(&full)],
            };
            let mut other = TransformerConfig::default();
            other.name_reference.push(rule);
            cfg.try_merge(&other)?;
        }
        if let Some(r) = p.get("$ref").and_then(|r| r.as_str()) {
            crd_props(cfg, kind, defs, r, path, depth + 1)?;
        }
        path.pop();
    }
    Ok(())
}

/// kustomize's `Gvk.IsLessThan` key: the legacy kind rank, then `group_version_kind`
/// with `~G`/`~V`/`~K` for empty parts.
fn gvk_sort_key(group: &str, version: &str, kind: &str) -> (i32, String) {
    use super::sort::{gvk_key_string, FIRST, LAST};
    let rank = if let Some(i) = FIRST.iter().position(|k| *k == kind) {
        i as i32 - FIRST.len() as i32
    } else if let Some(i) = LAST.iter().position(|k| *k == kind) {
        1 + i as i32
    } else {
        0
    };
    (rank, gvk_key_string(group, version, kind))
}

/// Merge `theirs` into `mine`: a spec whose path equals an existing spec's path
/// and whose (possibly empty) group/version/kind select it is a duplicate; a
/// duplicate with a different `create` is a conflict.
fn merge_specs(mine: &mut Vec<FieldSpec>, theirs: &[FieldSpec], strict: bool) -> Result<()> {
    for x in theirs {
        merge_one(mine, x, strict)?;
    }
    Ok(())
}

/// Merge one spec (kustomize `FsSlice.MergeOne`).
pub fn merge_one(list: &mut Vec<FieldSpec>, x: &FieldSpec, strict: bool) -> Result<()> {
    let dup = list.iter().position(|s| {
        s.path == x.path
            && (x.group.is_empty() || x.group == s.group)
            && (x.version.is_empty() || x.version == s.version)
            && (x.kind.is_empty() || x.kind == s.kind)
    });
    match dup {
        Some(i) => {
            if strict && list[i].create != x.create {
                return Err(Error::msg("conflicting fieldspecs"));
            }
        }
        None => list.push(x.clone()),
    }
    Ok(())
}

/// Parse a list of field specs under `key`.
pub fn parse_specs(value: &Node, key: &str) -> Result<Vec<FieldSpec>> {
    if value.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = value.as_seq() else {
        return Err(Error::at(
            &value.pos,
            format!(
                "'{key}' must be a list of field specs, not a {}",
                value.type_name()
            ),
        ));
    };
    items.iter().map(|n| parse_spec(n, key)).collect()
}

/// Parse one `{group, version, kind, path, create}` field spec strictly.
pub fn parse_spec(n: &Node, key: &str) -> Result<FieldSpec> {
    let Some(map) = n.as_map() else {
        return Err(Error::at(
            &n.pos,
            format!("'{key}' entries must be mappings, not a {}", n.type_name()),
        ));
    };
    let mut spec = FieldSpec::default();
    for (k, v) in map {
        if !SPEC_KEYS.contains(&k.as_str()) {
            return Err(Error::at(
                &v.pos,
                format!("unknown field \"{k}\" in a '{key}' field spec"),
            ));
        }
        if k == "create" {
            spec.create = match &v.value {
                crate::yaml::Value::Null => false,
                crate::yaml::Value::Bool(b) => *b,
                _ => {
                    return Err(Error::at(
                        &v.pos,
                        format!("'create' must be a boolean, not a {}", v.type_name()),
                    ))
                }
            };
            continue;
        }
        let s = match &v.value {
            crate::yaml::Value::Null => String::new(),
            crate::yaml::Value::Str(s) => s.clone(),
            _ => {
                return Err(Error::at(
                    &v.pos,
                    format!("'{k}' must be a string, not a {}", v.type_name()),
                ))
            }
        };
        match k.as_str() {
            "group" => spec.group = s,
            "version" => spec.version = s,
            "kind" => spec.kind = s,
            _ => spec.path = split_path(&s),
        }
    }
    Ok(spec)
}

/// Parse the `nameReference` list.
fn parse_name_refs(value: &Node) -> Result<Vec<NameRefRule>> {
    if value.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = value.as_seq() else {
        return Err(Error::at(
            &value.pos,
            format!(
                "'nameReference' must be a list, not a {}",
                value.type_name()
            ),
        ));
    };
    let mut out = Vec::new();
    for n in items {
        let Some(map) = n.as_map() else {
            return Err(Error::at(
                &n.pos,
                format!(
                    "'nameReference' entries must be mappings, not a {}",
                    n.type_name()
                ),
            ));
        };
        let mut rule = NameRefRule::default();
        for (k, v) in map {
            let text = || -> Result<String> {
                match &v.value {
                    crate::yaml::Value::Null => Ok(String::new()),
                    crate::yaml::Value::Str(s) => Ok(s.clone()),
                    _ => Err(Error::at(
                        &v.pos,
                        format!("'{k}' must be a string, not a {}", v.type_name()),
                    )),
                }
            };
            match k.as_str() {
                "group" => rule.group = text()?,
                "version" => rule.version = text()?,
                "kind" => rule.kind = text()?,
                "fieldSpecs" => rule.specs = parse_specs(v, "fieldSpecs")?,
                _ => {
                    return Err(Error::at(
                        &v.pos,
                        format!("unknown field \"{k}\" in a 'nameReference' entry"),
                    ))
                }
            }
        }
        out.push(rule);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Node {
        parse_stream(text, "cfg.yaml", &ParseOptions::kustomization())
            .unwrap()
            .remove(0)
    }

    fn has(list: &[FieldSpec], kind: &str, path: &str, create: bool) -> bool {
        list.iter()
            .any(|s| s.kind == kind && s.path_string() == path && s.create == create)
    }

    #[test]
    fn builtin_has_every_section() {
        let c = TransformerConfig::builtin();
        assert_eq!(c.name_prefix.len(), 1);
        assert_eq!(c.name_suffix.len(), 1);
        assert!(has(&c.namespace, "Namespace", "metadata/name", true));
        assert!(has(&c.common_labels, "", "metadata/labels", true));
        assert!(has(&c.common_labels, "Service", "spec/selector", true));
        assert!(has(
            &c.common_labels,
            "Job",
            "spec/selector/matchLabels",
            false
        ));
        // v5.5.0: volumeClaimTemplates labels are metadata labels.
        assert!(has(
            &c.common_labels,
            "StatefulSet",
            "spec/volumeClaimTemplates[]/metadata/labels",
            true
        ));
        assert!(has(
            &c.template_labels,
            "StatefulSet",
            "spec/volumeClaimTemplates[]/metadata/labels",
            true
        ));
        assert!(!has(&c.template_labels, "Service", "spec/selector", true));
        assert!(has(
            &c.common_annotations,
            "CronJob",
            "spec/jobTemplate/metadata/annotations",
            true
        ));
        assert_eq!(c.images.len(), 4);
        assert!(c
            .images
            .iter()
            .all(|s| !s.path_string().contains("volumes")));
        assert_eq!(c.replicas.len(), 4);
        assert!(c.labels.is_empty());
        assert!(c.var_reference.len() > 40);
        let cm = c
            .name_reference
            .iter()
            .find(|r| r.kind == "ConfigMap")
            .unwrap();
        assert_eq!(cm.version, "v1");
        assert!(has(&cm.specs, "Pod", "spec/volumes/configMap/name", false));
        assert!(c.name_reference.iter().any(|r| r.kind == "ServiceAccount"));
        // Sorted by kind rank: Namespace-ranked kinds first.
        assert_eq!(c.common_labels[0].kind, "Service");
    }

    #[test]
    fn parse_and_merge() {
        let n = doc(
            "commonLabels:\n- path: spec/foo/labels\n  kind: Foo\n  create: true\n\
             nameReference:\n- kind: ConfigMap\n  version: v1\n  fieldSpecs:\n  - path: spec/cm\n    kind: Foo\n\
             - kind: Bar\n  fieldSpecs:\n  - path: spec/bar\n",
        );
        let extra = TransformerConfig::parse(&n).unwrap();
        assert_eq!(extra.common_labels.len(), 1);
        let mut c = TransformerConfig::builtin().clone();
        let before = c.common_labels.len();
        c.try_merge(&extra).unwrap();
        c.try_merge(&extra).unwrap();
        assert_eq!(c.common_labels.len(), before + 1);
        let cm = c
            .name_reference
            .iter()
            .find(|r| r.kind == "ConfigMap")
            .unwrap();
        assert!(has(&cm.specs, "Foo", "spec/cm", false));
        assert_eq!(
            c.name_reference.iter().filter(|r| r.kind == "Bar").count(),
            1
        );
    }

    #[test]
    fn conflicts_and_duplicates() {
        let mut c = TransformerConfig::default();
        let a = TransformerConfig::parse(&doc("namePrefix:\n- path: metadata/name\n  kind: X\n"))
            .unwrap();
        c.try_merge(&a).unwrap();
        // A kind-less spec with the same path selects the existing one: duplicate.
        let b = TransformerConfig::parse(&doc("namePrefix:\n- path: metadata/name\n")).unwrap();
        c.try_merge(&b).unwrap();
        assert_eq!(c.name_prefix.len(), 1);
        let d =
            TransformerConfig::parse(&doc("namePrefix:\n- path: metadata/name\n  create: true\n"))
                .unwrap();
        let e = c.clone().try_merge(&d).unwrap_err();
        assert!(e.msg.contains("conflicting fieldspecs"), "{e}");
        c.merge(&d);
        assert_eq!(c.name_prefix.len(), 1);
    }

    #[test]
    fn errors_have_positions() {
        let e = TransformerConfig::parse(&doc("namePrefix:\n- path: a\n  bogus: 1\n")).unwrap_err();
        assert_eq!(e.pos.line, 3);
        assert!(e.msg.contains("bogus"));
        let e = TransformerConfig::parse(&doc("foo: []\n")).unwrap_err();
        assert!(e.msg.contains("unknown field \"foo\""));
        assert_eq!(e.pos.line, 1);
        let e = TransformerConfig::parse(&doc("images: x\n")).unwrap_err();
        assert!(e.msg.contains("list"));
        let e = TransformerConfig::parse(&doc("images:\n- path: a\n  create: 3\n")).unwrap_err();
        assert_eq!(e.pos.line, 3);
    }
}
