//! Patches: `patchesStrategicMerge`, `patches` (strategic merge or JSON 6902,
//! with targets), `patchesJson6902`. Strategic merge follows kyaml merge2 with merge
//! keys from the Kubernetes 1.21 OpenAPI data (carried in `data/`).
//! (Owner: patches work.)

use super::kustomization::Kustomization;
use crate::error::Result;
use crate::model::Resource;
use crate::source::Source;

/// `patchesStrategicMerge:`.
pub fn patches_strategic_merge(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
) -> Result<()> {
    let _ = (k, src, res, inputs);
    Ok(())
}
/// `patches:` (each entry in order).
pub fn patches(k: &Kustomization, src: &dyn Source, res: &mut Vec<Resource>, inputs: &mut Vec<String>) -> Result<()> {
    let _ = (k, src, res, inputs);
    Ok(())
}
/// `patchesJson6902:`.
pub fn patches_json6902(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
) -> Result<()> {
    let _ = (k, src, res, inputs);
    Ok(())
}
