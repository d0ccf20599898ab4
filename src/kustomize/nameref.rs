//! Name references: after renames (prefix, suffix, hash, patches), update every
//! field that refers to a renamed resource. Runs once at the top level.
//! (Owner: references work.)

use super::config::TransformerConfig;
use crate::error::Result;
use crate::model::Resource;

/// Fix every name reference.
pub fn fix_name_references(res: &mut [Resource], cfg: &TransformerConfig) -> Result<()> {
    let _ = (res, cfg);
    Ok(())
}
