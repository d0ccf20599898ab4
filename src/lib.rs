//! manifest-gate: render Kustomize overlays natively from git objects, diff the
//! rendered manifests between two commits, and gate the change.
//!
//! Stages, following the data: [`source`] → [`kustomize`] → [`diff`] → [`policy`]
//! → [`report`] → [`forge`]; [`gate`] drives them in that order. A stage never
//! imports a later one. Types that cross stages live in [`model`],
//! [`diagnostic`] and [`error`]; a stage reports its progress through [`progress`].
//! See ARCHITECTURE.md.

pub mod alloc;
pub mod ci;
pub mod diagnostic;
pub mod diff;
pub mod error;
pub mod forge;
pub mod gate;
pub mod hook;
pub mod kustomize;
pub mod model;
pub mod policy;
pub mod progress;
pub mod report;
pub mod source;
pub mod topology;
pub mod yaml;

pub use error::{Error, ErrorKind, Result};
