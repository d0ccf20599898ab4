//! The YAML layer: a position-keeping parser built on `saphyr-parser`'s event
//! stream, and an emitter that prints what `kustomize build` prints.
//!
//! Why saphyr: serde_yaml is deprecated and unmaintained; `saphyr-parser` is the
//! maintained pure-Rust successor of yaml-rust, passes the YAML test suite, and
//! gives a span for every event. We build our own tree from its events so that we
//! control what a hostile file can cost (alias expansion budget, nesting limit,
//! document count) and how plain scalars are typed (YAML 1.1 for kustomization
//! files as kustomize reads them, yaml.v3 rules for resources).

mod emit;
mod node;
mod parse;
pub mod wire;

pub use emit::{emit_docs, emit_node, format_float};
pub use node::{Map, Node, Pos, Value};
pub use parse::{decode, parse_stream, DupKeys, Limits, ParseOptions, Schema};
