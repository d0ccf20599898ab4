//! Finding kustomizations in a tree.

use super::kustomization::{KustKind, Kustomization, FILE_NAMES};
use crate::error::Result;
use crate::source::{file_name, parent, Source};
use crate::yaml::decode;

/// A kustomization found in a tree.
#[derive(Clone, Debug)]
pub struct Found {
    /// Repository-relative directory.
    pub dir: String,
    /// Kustomization or Component.
    pub kind: KustKind,
}

/// Every directory under `under` (repository-relative) holding a buildable
/// kustomization (not a Component), sorted. Unparseable kustomizations are
/// included so that rendering them reports the error. One pass over
/// [`Source::all_files`] (no per-directory listing).
pub fn kustomization_dirs(src: &dyn Source, under: &str) -> Result<Vec<Found>> {
    if !under.is_empty() {
        src.list(under)?; // a missing directory is an error, as before
    }
    let mut out: Vec<Found> = Vec::new();
    for file in src.all_files()? {
        if !FILE_NAMES.contains(&file_name(&file)) {
            continue;
        }
        let dir = parent(&file);
        let inside = under.is_empty()
            || dir == under
            || (dir.len() > under.len()
                && dir.starts_with(under)
                && dir.as_bytes()[under.len()] == b'/');
        if !inside || dir.split('/').count() > 64 {
            continue;
        }
        // Several kustomization files in one directory: the first (by name) decides
        // the kind; rendering reports the ambiguity.
        if out.last().is_some_and(|f| f.dir == dir) {
            continue;
        }
        let kind = src
            .read(&file)
            .and_then(|b| decode(&b, &file))
            .and_then(|t| Kustomization::parse(&t, &file))
            .map(|k| k.kind)
            .unwrap_or(KustKind::Kustomization);
        out.push(Found {
            dir: dir.to_string(),
            kind,
        });
    }
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    out.dedup_by(|a, b| a.dir == b.dir);
    out.retain(|f| f.kind == KustKind::Kustomization);
    Ok(out)
}
