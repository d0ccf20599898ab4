//! Finding kustomizations in a tree.

use super::kustomization::{KustKind, Kustomization, FILE_NAMES};
use crate::error::Result;
use crate::source::{EntryKind, Source};
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
/// included so that rendering them reports the error.
pub fn kustomization_dirs(src: &dyn Source, under: &str) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    walk(src, under, &mut out, 0)?;
    out.retain(|f| f.kind == KustKind::Kustomization);
    out.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(out)
}

fn walk(src: &dyn Source, dir: &str, out: &mut Vec<Found>, depth: usize) -> Result<()> {
    if depth > 64 {
        return Ok(());
    }
    let entries = src.list(dir)?;
    for (name, kind) in &entries {
        if *kind == EntryKind::File && FILE_NAMES.contains(&name.as_str()) {
            let file = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            let k = src
                .read(&file)
                .and_then(|b| decode(&b, &file))
                .and_then(|t| Kustomization::parse(&t, &file))
                .map(|k| k.kind)
                .unwrap_or(KustKind::Kustomization);
            out.push(Found {
                dir: dir.to_string(),
                kind: k,
            });
            break;
        }
    }
    for (name, kind) in entries {
        if kind == EntryKind::Dir && name != ".git" {
            let sub = if dir.is_empty() {
                name
            } else {
                format!("{dir}/{name}")
            };
            walk(src, &sub, out, depth + 1)?;
        }
    }
    Ok(())
}
