//! The kustomization file: loading, validation, deprecated-field folding.
//!
//! kustomize reads a kustomization as YAML 1.1, converts it to JSON and decodes
//! it with Go's `encoding/json` into `types.Kustomization` with unknown fields
//! disallowed. We reproduce that decoder's checks (field names matched
//! case-insensitively, keys visited in sorted order, the first error wins, type
//! mismatches reported as Go does) on our position-keeping tree, then fold the
//! deprecated fields the way `FixKustomization` does, check emptiness and
//! finally `kind`/`apiVersion` (`EnforceFields`).

use crate::error::{Error, Result};
use crate::yaml::{parse_stream, Map, Node, ParseOptions, Pos, Value};

mod schema;
#[cfg(test)]
mod tests;

use schema::*;

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

/// `apiVersion` of a Kustomization.
pub const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `apiVersion` of a Component.
pub const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// Whether a kustomization value is Go's zero value for its field (absent
/// pointer, nil slice/map, empty string).
fn is_zero(key: &str, n: &Node) -> bool {
    match &n.value {
        Value::Null => true,
        Value::Str(s) => s.is_empty(),
        // FixKustomization always wipes helmChartInflationGenerator; only its
        // entries (converted to helmCharts) make the kustomization non-empty.
        Value::Seq(s) if key == "helmChartInflationGenerator" => s.is_empty(),
        _ => false,
    }
}

/// Whether a path names remote content: the one definition, in
/// [`crate::kustomize::remote`].
pub use crate::kustomize::remote::is_remote;

impl Kustomization {
    /// Parse and validate kustomization text read from `file`.
    pub fn parse(text: &str, file: &str) -> Result<Kustomization> {
        let docs = parse_stream(text, file, &ParseOptions::kustomization())?;
        let file_pos = Pos {
            file: Some(file.into()),
            line: 0,
            col: 0,
        };
        // go-yaml v2 decodes the first document only.
        let mut node = match docs.into_iter().next() {
            Some(n) if !n.is_null() => n,
            _ => return Err(Error::at(&file_pos, "kustomization.yaml is empty")),
        };
        if node.pos.is_none() {
            node.pos = file_pos.clone();
        }
        check(
            &mut node,
            &Ty::Struct(&KUSTOMIZATION),
            &Ctx {
                st: "Kustomization",
                path: &[],
            },
        )?;

        // FixKustomization: fold deprecated fields.
        if let Some(m) = node.as_map_mut() {
            fold_list(m, "bases", "resources");
            fold_list(m, "imageTags", "images");
            for gen in ["configMapGenerator", "secretGenerator"] {
                if let Some(seq) = m.get_mut(gen).and_then(|g| g.as_seq_mut()) {
                    seq.iter_mut().for_each(fold_env);
                }
            }
        }

        // CheckEmpty: everything but kind and apiVersion at its zero value.
        let empty = node
            .as_map()
            .map(|m| {
                m.iter()
                    .all(|(k, v)| k == "kind" || k == "apiVersion" || is_zero(k, v))
            })
            .unwrap_or(true);
        if empty {
            return Err(Error::at(&file_pos, "kustomization.yaml is empty"));
        }

        // EnforceFields.
        let kind_node = node.get("kind").filter(|n| !n.is_null());
        let kind_str = kind_node.and_then(|n| n.as_str()).unwrap_or("");
        let kind = match kind_str {
            "" | "Kustomization" => KustKind::Kustomization,
            "Component" => KustKind::Component,
            _ => {
                let pos = kind_node.map(|n| n.pos.clone()).unwrap_or(file_pos);
                return Err(Error::at(&pos, "kind should be Kustomization or Component"));
            }
        };
        let (kind_name, required) = match kind {
            KustKind::Kustomization => ("Kustomization", KUSTOMIZATION_VERSION),
            KustKind::Component => ("Component", COMPONENT_VERSION),
        };
        if let Some(av) = node.get("apiVersion").filter(|n| !n.is_null()) {
            let s = av.as_str().unwrap_or("");
            if !s.is_empty() && s != required {
                return Err(Error::at(
                    &av.pos,
                    format!("apiVersion for {kind_name} should be {required}"),
                ));
            }
        }
        Ok(Kustomization {
            file: file.to_string(),
            dir: crate::source::parent(file).to_string(),
            kind,
            node,
        })
    }

    /// The first field the native renderer does not implement, with its position:
    /// plugins (`helmCharts`, `helmChartInflationGenerator`, `helmGlobals`,
    /// `generators`, `transformers`, `validators`), an `openapi` schema fetched
    /// from a URL, and remote `resources`/`components`. The renderer refuses with
    /// `<file>:<line>: '<field>' is not supported by the native renderer (use --renderer kustomize)`.
    pub fn unsupported(&self) -> Option<(String, Pos)> {
        let m = self.node.as_map()?;
        let mut found: Vec<(String, Pos)> = Vec::new();
        for (k, v) in m {
            if v.is_null() {
                continue;
            }
            let nonempty = match &v.value {
                Value::Seq(s) => !s.is_empty(),
                Value::Map(m) => !m.is_empty(),
                Value::Str(s) => !s.is_empty(),
                _ => true,
            };
            match k.as_str() {
                "helmCharts"
                | "helmChartInflationGenerator"
                | "generators"
                | "transformers"
                | "validators"
                    if nonempty =>
                {
                    found.push((k.clone(), v.pos.clone()))
                }
                "helmGlobals" if nonempty => found.push((k.clone(), v.pos.clone())),
                "openapi" => {
                    if let Some(p) = v.get("path").and_then(|p| p.as_str()) {
                        if is_remote(p) {
                            let pos = v
                                .get("path")
                                .map(|p| p.pos.clone())
                                .unwrap_or(v.pos.clone());
                            found.push((k.clone(), pos));
                        }
                    }
                }
                _ => {}
            }
        }
        found.into_iter().min_by_key(|(_, p)| (p.line, p.col))
    }

    /// A section, when present and not null.
    pub fn field(&self, name: &str) -> Option<&Node> {
        self.node.get(name).filter(|n| !n.is_null())
    }
    /// A list-of-strings section (`resources`, `components`, …) with positions.
    pub fn strings(&self, name: &str) -> Result<Vec<(String, Pos)>> {
        let Some(n) = self.field(name) else {
            return Ok(Vec::new());
        };
        let Some(seq) = n.as_seq() else {
            return Err(Error::at(
                &n.pos,
                format!("'{name}' must be a list of strings"),
            ));
        };
        seq.iter()
            .map(|x| match x.as_str() {
                Some(s) => Ok((s.to_string(), x.pos.clone())),
                None => Err(Error::at(
                    &x.pos,
                    format!("'{name}' entries must be strings"),
                )),
            })
            .collect()
    }
    /// A string section (`namespace`, `namePrefix`, …).
    pub fn string(&self, name: &str) -> Result<Option<(String, Pos)>> {
        match self.field(name) {
            None => Ok(None),
            Some(n) => match n.as_str() {
                Some(s) => Ok(Some((s.to_string(), n.pos.clone()))),
                None => Err(Error::at(
                    &n.pos,
                    format!("'{name}' must be a string, not a {}", n.type_name()),
                )),
            },
        }
    }
}

#[cfg(test)]
impl Kustomization {
    /// `app/kustomization.yaml` holding `text`, parsed but not validated: unit
    /// tests of one section use it to build just the section they exercise.
    pub(crate) fn for_test(text: &str) -> Kustomization {
        let file = "app/kustomization.yaml";
        let node =
            crate::yaml::parse_stream(text, file, &crate::yaml::ParseOptions::kustomization())
                .expect("test kustomization parses")
                .remove(0);
        Kustomization {
            file: file.into(),
            dir: "app".into(),
            kind: KustKind::Kustomization,
            node,
        }
    }
}
