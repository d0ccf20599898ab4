//! Transformer configuration: kustomize's built-in field specs (carried in
//! `data/fieldspecs/`), merged with a kustomization's `configurations` files.
//! (Owner: builtin-transformers work.)

use super::fieldspec::FieldSpec;
use crate::error::Result;
use crate::yaml::Node;

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
}

impl TransformerConfig {
    /// kustomize's built-in configuration.
    pub fn builtin() -> &'static TransformerConfig {
        static CFG: std::sync::OnceLock<TransformerConfig> = std::sync::OnceLock::new();
        CFG.get_or_init(TransformerConfig::default)
    }
    /// Parse a `configurations` file.
    pub fn parse(node: &Node) -> Result<TransformerConfig> {
        let _ = node;
        Ok(TransformerConfig::default())
    }
    /// Merge another configuration into this one (no duplicates).
    pub fn merge(&mut self, other: &TransformerConfig) {
        let _ = other;
    }
}
