//! `vars:` (deprecated, common): collected per kustomization, resolved at the top
//! level after name references. (Owner: references work.)

use super::config::TransformerConfig;
use super::kustomization::Kustomization;
use crate::error::Result;
use crate::model::{ResId, Resource};
use crate::yaml::Pos;

/// A declared var.
#[derive(Clone, Debug)]
pub struct Var {
    /// `$(NAME)`.
    pub name: String,
    /// The object it reads (matched against any id).
    pub objref: ResId,
    /// Dotted field path, default `metadata.name`.
    pub fieldpath: String,
    /// Where it was declared.
    pub pos: Pos,
}

/// Read this kustomization's `vars:` (checked against the resources it can see).
pub fn collect(k: &Kustomization, res: &[Resource]) -> Result<Vec<Var>> {
    let _ = (k, res);
    Ok(Vec::new())
}

/// Substitute `$(VAR)` in the var-reference fields of every resource.
pub fn resolve(res: &mut [Resource], vars: &[Var], cfg: &TransformerConfig) -> Result<()> {
    let _ = (res, vars, cfg);
    Ok(())
}

/// `var 'X' already encountered` across the tree.
pub fn check_duplicates(all: &[Var]) -> Result<()> {
    let _ = all;
    Ok(())
}
