//! One pass over the tree's YAML files, keeping the GitOps controller objects.

use super::Note;
use crate::error::Result;
use crate::source::Source;
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Pos};

/// Most controller objects read from one tree (a bound on attacker data).
const MAX_OBJECTS: usize = 20_000;

/// A controller object and the file it is declared in.
#[derive(Clone, Debug)]
pub struct Object {
    /// Repository-relative file.
    pub file: String,
    /// The document.
    pub node: Node,
}

impl Object {
    /// `kind`.
    pub fn kind(&self) -> &str {
        self.node.str_at(&["kind"]).unwrap_or("")
    }
    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.node.str_at(&["apiVersion"]).unwrap_or("")
    }
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.node.str_at(&["metadata", "name"]).unwrap_or("")
    }
    /// `metadata.namespace` (empty when not set).
    pub fn namespace(&self) -> &str {
        self.node.str_at(&["metadata", "namespace"]).unwrap_or("")
    }
    /// `namespace/name`.
    pub fn qualified(&self) -> String {
        if self.namespace().is_empty() {
            self.name().to_string()
        } else {
            format!("{}/{}", self.namespace(), self.name())
        }
    }
    /// The declaration's position.
    pub fn pos(&self) -> Pos {
        self.node.pos.clone()
    }
    /// True for `group/*` objects of `kind`.
    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind() == kind
            && self
                .api_version()
                .split_once('/')
                .is_some_and(|(g, _)| g == group)
    }
}

/// The controller objects of a tree.
#[derive(Clone, Debug, Default)]
pub struct Objects {
    /// Objects in file order.
    pub all: Vec<Object>,
    /// Files that mention a controller API group but could not be read.
    pub notes: Vec<Note>,
}

impl Objects {
    /// Objects of `kind` in API `group`.
    pub fn of<'a>(&'a self, group: &'a str, kind: &'a str) -> impl Iterator<Item = &'a Object> {
        self.all.iter().filter(move |o| o.is(group, kind))
    }
}

const GROUPS: [&str; 5] = [
    "kustomize.toolkit.fluxcd.io",
    "source.toolkit.fluxcd.io",
    "source.extensions.fluxcd.io",
    "argoproj.io",
    "", // core ConfigMaps/Secrets for substituteFrom
];

/// Read every `.yaml`/`.yml` file and keep controller objects (and ConfigMaps and Secrets).
pub fn scan(src: &dyn Source) -> Result<Objects> {
    let mut out = Objects::default();
    for file in src.all_files()? {
        if !(file.ends_with(".yaml") || file.ends_with(".yml")) {
            continue;
        }
        let Ok(bytes) = src.read(&file) else {
            continue;
        };
        let mentions = memchr_str(&bytes, b"fluxcd.io") || memchr_str(&bytes, b"argoproj.io");
        let docs =
            decode(&bytes, &file).and_then(|t| parse_stream(&t, &file, &ParseOptions::resource()));
        let docs = match docs {
            Ok(d) => d,
            Err(e) => {
                if mentions {
                    out.notes.push(Note {
                        at: Pos::new(&file.as_str().into(), 0, 0),
                        msg: format!("not read for controller objects: {}", e.msg),
                    });
                }
                continue;
            }
        };
        for node in docs {
            let Some(api) = node.str_at(&["apiVersion"]) else {
                continue;
            };
            let group = api.split_once('/').map(|(g, _)| g).unwrap_or("");
            let kind = node.str_at(&["kind"]).unwrap_or("");
            let core = group.is_empty() && (kind == "ConfigMap" || kind == "Secret");
            if !(core || (!group.is_empty() && GROUPS.contains(&group))) {
                continue;
            }
            if out.all.len() >= MAX_OBJECTS {
                return Err(crate::error::Error::msg(format!(
                    "more than {MAX_OBJECTS} controller objects in the tree"
                ))
                .kind(crate::error::ErrorKind::Budget));
            }
            out.all.push(Object {
                file: file.clone(),
                node,
            });
        }
    }
    Ok(out)
}

fn memchr_str(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}
