//! Data types that cross stages: a rendered resource, its identity and its origin.

use crate::yaml::{Node, Pos};
use std::fmt;

pub use crate::yaml::Pos as Origin;

/// Group, version and kind.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Gvk {
    /// API group, empty for the core group.
    pub group: String,
    /// API version.
    pub version: String,
    /// Kind.
    pub kind: String,
}

impl Gvk {
    /// Split an `apiVersion` (`apps/v1`, `v1`) and a kind.
    pub fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        Gvk {
            group,
            version,
            kind: kind.to_string(),
        }
    }
    /// The `apiVersion` string.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Resource identity: group, version, kind, namespace and name.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct ResId {
    /// Group, version, kind.
    pub gvk: Gvk,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace` as written (empty when absent).
    pub namespace: String,
}

impl ResId {
    /// Read the id of an object.
    pub fn of(node: &Node) -> ResId {
        let api = node.str_at(&["apiVersion"]).unwrap_or("");
        let kind = node.str_at(&["kind"]).unwrap_or("");
        ResId {
            gvk: Gvk::from_api_version(api, kind),
            name: node.str_at(&["metadata", "name"]).unwrap_or("").to_string(),
            namespace: node
                .str_at(&["metadata", "namespace"])
                .unwrap_or("")
                .to_string(),
        }
    }
    /// The namespace with `""` read as `default`.
    pub fn effective_namespace(&self) -> &str {
        if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        }
    }
}

impl fmt::Display for ResId {
    /// kustomize's notation: `Kind.version.group/name.namespace`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = if self.gvk.group.is_empty() {
            "[noGrp]"
        } else {
            &self.gvk.group
        };
        let v = if self.gvk.version.is_empty() {
            "[noVer]"
        } else {
            &self.gvk.version
        };
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        write!(f, "{}.{}.{}/{}.{}", self.gvk.kind, v, g, self.name, ns)
    }
}

/// How a generated ConfigMap/Secret combines with one of the same id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Behavior {
    /// Must not exist yet.
    #[default]
    Create,
    /// Merge data into the existing one.
    Merge,
    /// Replace the existing one's data.
    Replace,
}

/// What a generator recorded on the resource it made.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GeneratedBy {
    /// `behavior` of the generator entry.
    pub behavior: Behavior,
    /// Whether a content-hash suffix is to be appended at the top level.
    pub hash: bool,
}

/// Renderer bookkeeping kept beside the object (kustomize keeps these in
/// internal annotations; we keep them out of the object).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct BuildMeta {
    /// Ids this resource had before, oldest first; the first is the original id.
    pub previous: Vec<ResId>,
    /// Name prefixes applied, innermost first.
    pub prefixes: Vec<String>,
    /// Name suffixes applied, innermost first.
    pub suffixes: Vec<String>,
    /// Set on generated ConfigMaps/Secrets.
    pub generated: Option<GeneratedBy>,
    /// The name before the hash suffix was added (set by the hash step).
    pub name_before_hash: Option<String>,
    /// `buildMetadata`: the `config.kubernetes.io/origin` annotation value
    /// (set only when the top kustomization tracks origins).
    pub origin_annotation: Option<String>,
    /// `buildMetadata`: entries of `alpha.config.kubernetes.io/transformations`,
    /// each one origin mapping as YAML text.
    pub transformations: Vec<String>,
}

/// One Kubernetes object as the renderer sees it.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The object (a mapping). Every node keeps the position it came from.
    pub node: Node,
    /// Where the object's document starts (resource file, generator entry, …).
    pub origin: Pos,
    /// Renderer bookkeeping.
    pub meta: BuildMeta,
}

impl Resource {
    /// Wrap an object read from `origin`.
    pub fn new(node: Node, origin: Pos) -> Resource {
        Resource {
            node,
            origin,
            meta: BuildMeta::default(),
        }
    }
    /// The current id.
    pub fn id(&self) -> ResId {
        ResId::of(&self.node)
    }
    /// The original id (before any rename or namespace change).
    pub fn original_id(&self) -> ResId {
        self.meta
            .previous
            .first()
            .cloned()
            .unwrap_or_else(|| self.id())
    }
    /// Every id this resource has had, the current one last.
    pub fn all_ids(&self) -> Vec<ResId> {
        let mut v = self.meta.previous.clone();
        v.push(self.id());
        v
    }
    /// Record the current id as a previous id (call before renaming / moving).
    pub fn remember_id(&mut self) {
        let id = self.id();
        self.meta.previous.push(id);
    }
    /// `kind`.
    pub fn kind(&self) -> &str {
        self.node.str_at(&["kind"]).unwrap_or("")
    }
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.node.str_at(&["metadata", "name"]).unwrap_or("")
    }
    /// `metadata.namespace` (empty when absent).
    pub fn namespace(&self) -> &str {
        self.node.str_at(&["metadata", "namespace"]).unwrap_or("")
    }
    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.node.str_at(&["apiVersion"]).unwrap_or("")
    }
    /// Set `metadata.name`, provenance `pos`.
    pub fn set_name(&mut self, name: &str, pos: &Pos) {
        if let Some(md) = self.node.ensure_map("metadata", pos) {
            md.set("name", Node::str(name, pos.clone()));
        }
    }
    /// Set `metadata.namespace`, provenance `pos`.
    pub fn set_namespace(&mut self, ns: &str, pos: &Pos) {
        if let Some(md) = self.node.ensure_map("metadata", pos) {
            md.set("namespace", Node::str(ns, pos.clone()));
        }
    }
    /// A label value.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.node
            .get_path(&["metadata", "labels", key])
            .and_then(|n| n.as_str())
    }
    /// An annotation value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.node
            .get_path(&["metadata", "annotations", key])
            .and_then(|n| n.as_str())
    }
}
