//! Semantic diff of rendered manifests between two revisions.

pub mod model;

pub use model::{ChangeAction, DiffReport, FieldChange, OverlayDiff, OverlayStatus, RenderedSides, ResourceChange, SourceRef};
