//! `replacements:` (inline and from files). (Owner: references work.)

use super::kustomization::Kustomization;
use crate::error::Result;
use crate::model::Resource;
use crate::source::Source;

/// Apply this kustomization's replacements.
pub fn replacements(k: &Kustomization, src: &dyn Source, res: &mut [Resource], inputs: &mut Vec<String>) -> Result<()> {
    let _ = (k, src, res, inputs);
    Ok(())
}
