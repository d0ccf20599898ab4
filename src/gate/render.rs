//! `manifest-gate render --all`: every kustomization under a directory,
//! rendered in parallel, each written to `OUT/<dir>.yaml` as soon as it is done.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::{self, Mode, Renderer};
use crate::progress::Progress;
use crate::source::Source;
use rayon::prelude::*;
use std::path::Path;

/// One kustomization that could not be rendered or written.
#[derive(Debug)]
pub struct RenderFailure {
    /// The kustomization directory (`""` for the root).
    pub dir: String,
    /// Why.
    pub error: Error,
}

/// Render every kustomization (not Components) under `under` into `out`; the
/// failures, in directory order (empty when all rendered). Each kustomization
/// rendered is an item of `progress`.
pub fn render_all(
    src: &dyn Source,
    renderer: &Renderer,
    under: &str,
    out: &Path,
    mode: Mode,
    progress: Option<&Progress>,
) -> Result<Vec<RenderFailure>> {
    let dirs = kustomize::discover::kustomization_dirs(src, under)?;
    let io = |p: &Path, e: std::io::Error| {
        Error::msg(format!("{}: {e}", p.display())).kind(ErrorKind::Io)
    };
    // Each result is written as soon as it is rendered, so that at most one
    // rendered overlay per thread is held in memory.
    let write = |dir: &str, text: String| -> Result<()> {
        let name = if dir.is_empty() { "_root" } else { dir };
        let path = out.join(format!("{name}.yaml"));
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| io(p, e))?;
        }
        std::fs::write(&path, text).map_err(|e| io(&path, e))
    };
    let phase = "rendering kustomizations";
    Ok(Progress::phase(progress, phase, dirs.len(), |done| {
        dirs.par_iter()
            .filter_map(|d| {
                let r = kustomize::render_with(renderer, &d.dir, mode)
                    .and_then(|r| write(&d.dir, r.to_yaml()));
                done();
                r.err().map(|error| RenderFailure {
                    dir: d.dir.clone(),
                    error,
                })
            })
            .collect()
    }))
}
