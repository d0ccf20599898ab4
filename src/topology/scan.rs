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

/// Whether `bytes` may hold a document whose text does not show `needles`
/// literally: escapes (`"\x41"`), a byte-order mark or NULs of UTF-16/32 text.
fn maybe_hidden(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xef, 0xbb, 0xbf])
        || bytes.starts_with(&[0xfe, 0xff])
        || bytes.starts_with(&[0xff, 0xfe])
        || memchr::memchr2(b'\\', 0, bytes).is_some()
}

fn mentions(bytes: &[u8], needles: &[&[u8]]) -> bool {
    needles
        .iter()
        .any(|n| memchr::memmem::find(bytes, n).is_some())
        || maybe_hidden(bytes)
}

/// Whether a Flux Kustomization among `objs` reads variables from ConfigMaps or
/// Secrets (`spec.postBuild.substituteFrom`): only then are they looked for in
/// every file.
fn substitutes_from(objs: &[(usize, Object)]) -> bool {
    objs.iter().any(|(_, o)| {
        o.node
            .get_path(&["spec", "postBuild", "substituteFrom"])
            .is_some()
    })
}

/// Read every `.yaml`/`.yml` file that can hold a controller object (its text
/// names a controller API group, or could hide one) and keep the controller
/// objects, with the ConfigMaps and Secrets of every file when a Flux
/// Kustomization substitutes variables from them. The result is what parsing
/// every file would give, in file order.
pub fn scan(src: &dyn Source) -> Result<Objects> {
    let mut out = Objects::default();
    let files: Vec<String> = src
        .all_files()?
        .into_iter()
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        .collect();
    let mut found: Vec<(usize, Object)> = Vec::new();
    let mut rest: Vec<usize> = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let Ok(bytes) = src.read(file) else {
            continue;
        };
        if mentions(&bytes, &[b"fluxcd.io", b"argoproj.io"]) {
            read_objects(file, i, &bytes, true, &mut out.notes, &mut found)?;
        } else {
            rest.push(i);
        }
    }
    if substitutes_from(&found) {
        for i in rest {
            let Ok(bytes) = src.read(&files[i]) else {
                continue;
            };
            if mentions(&bytes, &[b"ConfigMap", b"Secret"]) {
                read_objects(&files[i], i, &bytes, false, &mut out.notes, &mut found)?;
            }
        }
        found.sort_by_key(|(i, _)| *i);
    }
    out.all = found.into_iter().map(|(_, o)| o).collect();
    Ok(out)
}

/// Parse `file` (the `i`th) and keep its controller objects, ConfigMaps and
/// Secrets; `mentions`: it names a controller group (a parse failure is then a note).
fn read_objects(
    file: &str,
    i: usize,
    bytes: &[u8],
    mentions: bool,
    notes: &mut Vec<Note>,
    found: &mut Vec<(usize, Object)>,
) -> Result<()> {
    let docs = decode(bytes, file).and_then(|t| parse_stream(&t, file, &ParseOptions::resource()));
    let docs = match docs {
        Ok(d) => d,
        Err(e) => {
            if mentions {
                notes.push(Note {
                    at: Pos::new(&file.into(), 0, 0),
                    msg: format!("not read for controller objects: {}", e.msg),
                });
            }
            return Ok(());
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
        if found.len() >= MAX_OBJECTS {
            return Err(crate::error::Error::msg(format!(
                "more than {MAX_OBJECTS} controller objects in the tree"
            ))
            .kind(crate::error::ErrorKind::Budget));
        }
        found.push((
            i,
            Object {
                file: file.to_string(),
                node,
            },
        ));
    }
    Ok(())
}
