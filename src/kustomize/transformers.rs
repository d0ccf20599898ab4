//! Built-in transformers: namespace, namePrefix/nameSuffix, labels, commonLabels,
//! commonAnnotations, replicas, images. Each reads its own kustomization section
//! and records provenance (the kustomization line) on the values it writes.
//! (Owner: builtin-transformers work.)

use super::config::TransformerConfig;
use super::kustomization::Kustomization;
use crate::error::Result;
use crate::model::Resource;

/// `namespace:`.
pub fn namespace(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    let _ = (k, res, cfg);
    Ok(())
}
/// `namePrefix:` and `nameSuffix:` (prefix first, then suffix).
pub fn prefix_suffix(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    let _ = (k, res, cfg);
    Ok(())
}
/// `labels:` entries then `commonLabels:`.
pub fn labels(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    let _ = (k, res, cfg);
    Ok(())
}
/// `commonAnnotations:`.
pub fn annotations(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    let _ = (k, res, cfg);
    Ok(())
}
/// `replicas:`.
pub fn replicas(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    let _ = (k, res, cfg);
    Ok(())
}
/// `images:`.
pub fn images(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    let _ = (k, res, cfg);
    Ok(())
}
