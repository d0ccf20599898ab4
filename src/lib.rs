//! manifest-gate: render Kustomize overlays natively from git objects, diff the
//! rendered manifests between two commits, and gate the change.
//!
//! Stages, following the data: [`source`] → [`kustomize`] → [`diff`] → [`policy`]
//! → [`report`] → [`forge`]. Types that cross stages live in [`model`].

pub mod diff;
pub mod error;
pub mod forge;
pub mod kustomize;
pub mod model;
pub mod policy;
pub mod report;
pub mod source;
pub mod yaml;

pub use error::{Error, Result};
