//! The native Kustomize renderer: reads a kustomization tree from a [`Source`]
//! and produces what `kustomize build` produces, with provenance on every value.

pub mod build;
pub mod closure;
pub mod config;
pub mod discover;
pub mod external;
pub mod fieldspec;
pub mod generators;
pub mod guard;
pub mod kustomization;
pub mod nameref;
pub mod patch;
pub mod redact;
pub mod remote;
pub mod replacements;
pub mod scope;
pub mod sort;
pub mod transformers;
pub mod vars;

pub use build::{render, LoadRestrictor, RenderOptions, Rendered, Renderer};

use crate::error::{Error, Result};

/// Which renderer to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Native only: refuse what is not implemented natively.
    Native,
    /// External `kustomize build` / `kubectl kustomize` only.
    Kustomize,
    /// Native, falling back to the external binary only for kustomizations that need it.
    #[default]
    Auto,
}

/// Build the renderer's embedded tables now (the built-in field specs and
/// the strategic-merge schema): a caller about to render calls it on a spare
/// thread while it reads the repository, so the first render does not wait.
pub fn warm() {
    let _ = config::TransformerConfig::builtin();
    patch::schema::warm();
}

/// Render `dir` with the chosen renderer. In `auto` mode a fallback is announced on stderr.
/// The external renderer never receives a kustomization that references remote
/// content, not even with `--fetch-remote` (fetched bases are rendered natively).
pub fn render_with(renderer: &Renderer, dir: &str, mode: Mode) -> Result<Rendered> {
    render_with_mode(renderer, dir, mode).map_err(|mut e| {
        if renderer.fetches_remote() && e.is(crate::error::ErrorKind::Remote) {
            e.msg = e.msg.replace(
                remote::NOT_FETCHED,
                "with --fetch-remote, remote bases are rendered by the native renderer only (--renderer native or auto), never by an external kustomize",
            );
        }
        e
    })
}

fn render_with_mode(renderer: &Renderer, dir: &str, mode: Mode) -> Result<Rendered> {
    let external = || {
        external::find().ok_or_else(|| {
            Error::msg("no external renderer: neither 'kustomize' nor 'kubectl' is on PATH")
        })
    };
    match mode {
        Mode::Native => renderer.render(dir),
        Mode::Kustomize => {
            external::render_limited(renderer.source(), dir, &external()?, renderer.options())
        }
        Mode::Auto => match renderer.render(dir) {
            Err(e) if external::is_unsupported(&e) => {
                let bin = external().map_err(|_| e.clone())?;
                eprintln!(
                    "note: {}: {}; rendering it with the external kustomize instead",
                    if dir.is_empty() { "." } else { dir },
                    e
                );
                external::render_limited(renderer.source(), dir, &bin, renderer.options())
            }
            other => other,
        },
    }
}
