//! What a build directory reaches, without rendering: the kustomization files and
//! `resources`/`bases`/`components` entries followed from it (files, and whole
//! trees for directories Flux generates a kustomization for). Used to decide
//! which Flux Kustomization applies the file a controller object is declared in.

use crate::kustomize::kustomization::{is_remote, FILE_NAMES};
use crate::source::{self, EntryKind, Source};
use crate::yaml::{decode, parse_stream, ParseOptions};
use std::collections::BTreeSet;

/// Most directories followed from one build directory.
const MAX_DIRS: usize = 10_000;

/// Files and trees a build reaches.
#[derive(Clone, Debug, Default)]
pub struct Reach {
    files: BTreeSet<String>,
    trees: Vec<String>,
}

impl Reach {
    /// True when the build reads `file`.
    pub fn holds(&self, file: &str) -> bool {
        self.files.contains(file)
            || self.trees.iter().any(|t| {
                t.is_empty()
                    || (file.starts_with(t.as_str()) && file.as_bytes().get(t.len()) == Some(&b'/'))
            })
    }
}

/// Follow `dir`'s kustomization (or the tree, when it has none).
pub fn reach(src: &dyn Source, dir: &str) -> Reach {
    let mut out = Reach::default();
    let mut seen = BTreeSet::new();
    let mut todo = vec![dir.to_string()];
    while let Some(d) = todo.pop() {
        if !seen.insert(d.clone()) {
            continue;
        }
        if seen.len() > MAX_DIRS {
            // Over-approximate rather than stop short: the whole starting tree.
            out.trees.push(dir.to_string());
            break;
        }
        let kfile = FILE_NAMES
            .iter()
            .map(|n| {
                if d.is_empty() {
                    n.to_string()
                } else {
                    format!("{d}/{n}")
                }
            })
            .find(|p| matches!(src.entry(p), Ok(Some(EntryKind::File))));
        let Some(kfile) = kfile else {
            out.trees.push(d);
            continue;
        };
        let entries = src
            .read(&kfile)
            .ok()
            .and_then(|b| decode(&b, &kfile).ok())
            .and_then(|t| parse_stream(&t, &kfile, &ParseOptions::kustomization()).ok())
            .and_then(|docs| docs.into_iter().next());
        out.files.insert(kfile);
        let Some(k) = entries else {
            out.trees.push(d);
            continue;
        };
        for key in ["resources", "bases", "components"] {
            for e in k.get(key).and_then(|s| s.as_seq()).into_iter().flatten() {
                let Some(s) = e.as_str() else { continue };
                if is_remote(s) {
                    continue;
                }
                let Ok(p) = source::join(&d, s) else { continue };
                match src.entry(&p) {
                    Ok(Some(EntryKind::Dir)) => todo.push(p),
                    Ok(Some(EntryKind::File)) => {
                        out.files.insert(p);
                    }
                    _ => {}
                }
            }
        }
    }
    out
}
