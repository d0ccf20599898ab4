//! The native Kustomize renderer: reads a kustomization tree from a [`Source`]
//! and produces what `kustomize build` produces, with provenance on every value.

pub mod build;
pub mod config;
pub mod discover;
pub mod fieldspec;
pub mod generators;
pub mod kustomization;
pub mod nameref;
pub mod patch;
pub mod replacements;
pub mod scope;
pub mod sort;
pub mod transformers;
pub mod vars;

pub use build::{render, RenderOptions, Rendered};

#[allow(unused_imports)]
use crate::source::Source;
