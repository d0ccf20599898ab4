//! The kustomization file: loading, validation, deprecated-field folding.
//! (Owner: kustomization/generators work. Stub signatures are the contract.)

use crate::error::{Error, Result};
use crate::yaml::{Node, Pos};

/// `Kustomization` or `Component`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KustKind {
    /// `kind: Kustomization` (or no kind).
    Kustomization,
    /// `kind: Component`.
    Component,
}

/// A parsed, validated kustomization file. Sections are kept as nodes (with
/// positions); each transformer reads and validates its own section.
#[derive(Clone, Debug)]
pub struct Kustomization {
    /// Repository-relative path of the file (`app/overlays/prod/kustomization.yaml`).
    pub file: String,
    /// Repository-relative directory (`app/overlays/prod`, `""` for the root).
    pub dir: String,
    /// Kustomization or Component.
    pub kind: KustKind,
    /// The whole document, validated, with deprecated fields folded in
    /// (`bases` appended to `resources`, `imageTags` to `images`, generator `env` to `envs`).
    pub node: Node,
}

/// The file names kustomize looks for, in order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

impl Kustomization {
    /// Parse and validate kustomization text read from `file`.
    pub fn parse(text: &str, file: &str) -> Result<Kustomization> {
        let _ = text;
        Err(Error::in_file(file, "not implemented"))
    }
    /// The first field the native renderer does not implement, with its position.
    pub fn unsupported(&self) -> Option<(String, Pos)> {
        None
    }
    /// A section, when present and not null.
    pub fn field(&self, name: &str) -> Option<&Node> {
        self.node.get(name).filter(|n| !n.is_null())
    }
    /// A list-of-strings section (`resources`, `components`, …) with positions.
    pub fn strings(&self, name: &str) -> Result<Vec<(String, Pos)>> {
        let Some(n) = self.field(name) else { return Ok(Vec::new()) };
        let Some(seq) = n.as_seq() else {
            return Err(Error::at(&n.pos, format!("'{name}' must be a list of strings")));
        };
        seq.iter()
            .map(|x| match x.as_str() {
                Some(s) => Ok((s.to_string(), x.pos.clone())),
                None => Err(Error::at(&x.pos, format!("'{name}' entries must be strings"))),
            })
            .collect()
    }
    /// A string section (`namespace`, `namePrefix`, …).
    pub fn string(&self, name: &str) -> Result<Option<(String, Pos)>> {
        match self.field(name) {
            None => Ok(None),
            Some(n) => match n.as_str() {
                Some(s) => Ok(Some((s.to_string(), n.pos.clone()))),
                None => Err(Error::at(&n.pos, format!("'{name}' must be a string, not a {}", n.type_name()))),
            },
        }
    }
}
