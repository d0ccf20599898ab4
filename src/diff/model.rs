//! The diff data model: what changed in the rendered manifests between two
//! revisions, per overlay, per resource, per field.
//!
//! Everything here serialises to the stable JSON shape documented in
//! `docs/diff-json.md` (field names are part of the contract; new fields may be
//! added, existing ones are never renamed or removed). Optional fields are
//! omitted from JSON when empty.
//!
//! The rendered resources of both sides are kept beside the report in
//! [`RenderedSides`] (not serialised) for consumers such as the policy engine.

use crate::model::Resource;
use crate::yaml::Pos;
use serde::Serialize;
use std::collections::BTreeMap;

/// The whole diff between two revisions.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct DiffReport {
    /// The base revision as given (`main`, `HEAD~1`, a sha).
    pub base: String,
    /// The head revision as given.
    pub head: String,
    /// The base commit id (full sha), when resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_commit: Option<String>,
    /// The head commit id (full sha), when resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_commit: Option<String>,
    /// Every overlay (entry-point kustomization) found at either revision,
    /// sorted by path. Unchanged overlays are included with status `unchanged`.
    pub overlays: Vec<OverlayDiff>,
    /// How many overlays ended in each outcome (see [`DiffReport::summary`]).
    pub summary: super::outcome::Summary,
    /// What the configuration's `ignore:` rules dropped from the diff.
    #[serde(skip_serializing_if = "super::ignore::Ignored::is_empty")]
    pub ignored: super::ignore::Ignored,
}

/// What happened to an overlay as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OverlayStatus {
    /// Exists only at head: every resource is an addition.
    Added,
    /// Exists only at base: every resource is a removal.
    Removed,
    /// Renders differently.
    Modified,
    /// Renders the same (or its inputs did not change).
    Unchanged,
    /// Fails to render at base or head: see [`OverlayDiff::unrenderable`].
    Unrenderable,
    /// Matches an `exclude` glob of the configuration: not rendered, not judged.
    Excluded,
}

/// The diff of one overlay.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OverlayDiff {
    /// Directory of the kustomization, relative to the repository root, no
    /// trailing slash (`""` for the root).
    pub path: String,
    /// The environment this overlay deploys to, when known (derived from the
    /// path: the directory under `overlays/`, `envs/`, `environments/`, `clusters/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Added, removed, modified or unchanged.
    pub status: OverlayStatus,
    /// Whether the input closure of the overlay intersects the changed paths
    /// (false means the head side was not re-rendered).
    pub inputs_changed: bool,
    /// Resource changes, sorted by (group, kind, namespace, name).
    pub changes: Vec<ResourceChange>,
    /// Why the overlay does not render (status `unrenderable` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unrenderable: Option<super::outcome::Unrenderable>,
    /// When the unit is a GitOps deployment (a cluster's controller object building
    /// a directory), which one; `path` is then `<directory> @ <cluster>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<DeploymentRef>,
    /// Not rendered: the change cannot reach it (its kustomizations' static
    /// closure holds no changed path at either revision), so its output is the
    /// same at both sides (status `unchanged`). `--full` renders it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_rendered: bool,
}

/// The GitOps deployment an [`OverlayDiff`] is the diff of.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct DeploymentRef {
    /// The cluster (Flux cluster directory name, Argo CD destination).
    pub cluster: String,
    /// The app (the controller object's name).
    pub app: String,
    /// The directory built (repository-relative).
    pub dir: String,
    /// The controller object: kind and `namespace/name`.
    pub controller: String,
    /// Where the controller object is declared.
    pub at: Option<SourceRef>,
    /// How the cluster and the environment were decided.
    pub reason: String,
}

impl OverlayDiff {
    /// The directory the unit builds (the overlay path, or the deployment's directory).
    pub fn dir(&self) -> &str {
        match &self.deployment {
            Some(d) => &d.dir,
            None => &self.path,
        }
    }
}

impl OverlayDiff {
    /// Count of changes by action: (added, removed, modified).
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for ch in &self.changes {
            match ch.action {
                ChangeAction::Added => c.0 += 1,
                ChangeAction::Removed => c.1 += 1,
                ChangeAction::Modified => c.2 += 1,
            }
        }
        c
    }
}

/// What happened to a resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeAction {
    /// Only at head.
    Added,
    /// Only at base.
    Removed,
    /// At both, with different content.
    Modified,
}

/// A position in the repository: path and 1-based line (0 when unknown).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceRef {
    /// Repository-relative file path.
    pub path: String,
    /// 1-based line, 0 when unknown.
    pub line: u32,
}

impl SourceRef {
    /// From a node position (`None` when the position has no file).
    pub fn from_pos(pos: &Pos) -> Option<SourceRef> {
        pos.file.as_ref().map(|f| SourceRef {
            path: f.to_string(),
            line: pos.line,
        })
    }
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}", self.path, self.line)
        } else {
            write!(f, "{}", self.path)
        }
    }
}

/// One resource added, removed or modified.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ResourceChange {
    /// Added, removed or modified.
    pub action: ChangeAction,
    /// API group (`""` for core).
    pub group: String,
    /// API version (of the head side when present, else the base side).
    pub version: String,
    /// Kind.
    pub kind: String,
    /// `metadata.namespace` (`""` when absent).
    pub namespace: String,
    /// `metadata.name` (head side when present).
    pub name: String,
    /// The base-side name when it differs (hash-suffix change of a generated
    /// ConfigMap/Secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_name: Option<String>,
    /// Where the resource comes from (head side when present).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<SourceRef>,
    /// Whether the resource is a Secret (its values are masked).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub secret: bool,
    /// Changed fields (only for `modified`), in document order.
    pub fields: Vec<FieldChange>,
    /// A unified diff of the resource's YAML (secrets masked): every line `+`
    /// for additions, `-` for removals. Used by the markdown report; not in JSON.
    #[serde(skip)]
    pub yaml_diff: String,
}

impl ResourceChange {
    /// `Kind namespace/name` for display.
    pub fn display_id(&self) -> String {
        let g = if self.group.is_empty() {
            String::new()
        } else {
            format!(".{}", self.group)
        };
        if self.namespace.is_empty() {
            format!("{}{} {}", self.kind, g, self.name)
        } else {
            format!("{}{} {}/{}", self.kind, g, self.namespace, self.name)
        }
    }
}

/// One changed field of a modified resource.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FieldChange {
    /// Field path: map keys joined by `.`, list items by merge key
    /// (`containers[name=agent]`) or index (`args[0]`); keys that contain
    /// `.`, `[`, `]` or `=` are quoted (`annotations["example.com/x"]`).
    pub path: super::path::FieldPath,
    /// Base value (absent when the field was added). Secret values are masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<serde_json::Value>,
    /// Head value (absent when the field was removed). Secret values are masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<serde_json::Value>,
    /// The source file and line that produced the new value (the old one for removals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// Unified line diff, for multi-line string values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_diff: Option<String>,
}

/// The rendered resources of both sides, per overlay path. An overlay that does
/// not exist on a side is absent from that side's map. An overlay whose inputs
/// did not change is rendered once and shared by both sides.
#[derive(Clone, Debug, Default)]
pub struct RenderedSides {
    /// Base side: overlay path -> resources in output order.
    pub base: BTreeMap<String, Vec<Resource>>,
    /// Head side: overlay path -> resources in output order.
    pub head: BTreeMap<String, Vec<Resource>>,
}

impl RenderedSides {
    /// The base-side resource a change refers to (`None` for additions).
    pub fn base_resource(&self, overlay: &str, change: &ResourceChange) -> Option<&Resource> {
        let name = change.old_name.as_deref().unwrap_or(&change.name);
        find(self.base.get(overlay)?, change, name)
    }
    /// The head-side resource a change refers to (`None` for removals).
    pub fn head_resource(&self, overlay: &str, change: &ResourceChange) -> Option<&Resource> {
        find(self.head.get(overlay)?, change, &change.name)
    }
}

fn find<'a>(list: &'a [Resource], change: &ResourceChange, name: &str) -> Option<&'a Resource> {
    list.iter().find(|r| {
        let id = r.id();
        id.gvk.group == change.group
            && id.gvk.kind == change.kind
            && id.namespace == change.namespace
            && id.name == name
    })
}
