//! Overlay discovery: every buildable kustomization in a tree, and which of them
//! are entry points (not referenced by another kustomization).

use crate::error::Result;
use crate::kustomize::kustomization::FILE_NAMES;
use crate::source::{join, EntryKind, Source};
use crate::yaml::{decode, parse_stream, ParseOptions};
use std::collections::{BTreeMap, BTreeSet};

/// One kustomization found in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KustInfo {
    /// Repository-relative path of the kustomization file.
    pub file: String,
    /// `kind: Component`.
    pub component: bool,
    /// Directories it references (`resources`, `bases`, `components`), normalised.
    pub refs: Vec<String>,
    /// Buildable and not referenced by another kustomization.
    pub entry_point: bool,
}

/// Every kustomization of a tree, keyed by directory.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    /// Directory -> kustomization.
    pub kustomizations: BTreeMap<String, KustInfo>,
}

impl Discovery {
    /// The entry points (the overlays the gate renders), sorted.
    pub fn overlays(&self) -> Vec<String> {
        self.kustomizations
            .iter()
            .filter(|(_, k)| k.entry_point)
            .map(|(d, _)| d.clone())
            .collect()
    }
}

fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || name == "node_modules"
}

/// The references (`resources`, `bases`, `components`) of a kustomization text;
/// unparsable files have none (rendering reports their error).
fn read_refs(text: &str, file: &str, dir: &str) -> (bool, Vec<String>) {
    let Ok(docs) = parse_stream(text, file, &ParseOptions::kustomization()) else {
        return (false, vec![]);
    };
    let Some(doc) = docs.into_iter().next() else {
        return (false, vec![]);
    };
    let component = doc.str_at(&["kind"]) == Some("Component");
    let mut refs = Vec::new();
    for section in ["resources", "bases", "components"] {
        if let Some(seq) = doc.get(section).and_then(|n| n.as_seq()) {
            for item in seq {
                let Some(s) = item.as_str() else { continue };
                if s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/") {
                    continue;
                }
                if let Ok(p) = join(dir, s) {
                    refs.push(p);
                }
            }
        }
    }
    (component, refs)
}

/// Find every kustomization under the root of `src`.
pub fn discover(src: &dyn Source) -> Result<Discovery> {
    let mut found = BTreeMap::new();
    let mut stack = vec![String::new()];
    while let Some(dir) = stack.pop() {
        let entries = src.list(&dir)?;
        let mut kfile = None;
        for name in FILE_NAMES {
            if entries
                .iter()
                .any(|(n, k)| n == name && *k == EntryKind::File)
            {
                kfile = Some(name);
                break;
            }
        }
        for (name, kind) in &entries {
            if *kind == EntryKind::Dir && !skip_dir(name) {
                stack.push(if dir.is_empty() {
                    name.clone()
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
        if let Some(name) = kfile {
            let file = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            let bytes = src.read(&file)?;
            let (component, refs) = match decode(&bytes, &file) {
                Ok(text) => read_refs(&text, &file, &dir),
                Err(_) => (false, vec![]),
            };
            found.insert(
                dir.clone(),
                KustInfo {
                    file,
                    component,
                    refs,
                    entry_point: false,
                },
            );
        }
    }
    let referenced: BTreeSet<String> = found
        .values()
        .flat_map(|k| k.refs.iter().cloned())
        .collect();
    for (dir, k) in found.iter_mut() {
        k.entry_point = !k.component && !referenced.contains(dir);
    }
    Ok(Discovery {
        kustomizations: found,
    })
}

/// The environment an overlay deploys to, from its path: the directory after
/// `overlays/`, `envs/`, `environments/`, `env/`, `clusters/` or `stages/`.
pub fn environment_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    for (i, p) in parts.iter().enumerate() {
        if matches!(
            *p,
            "overlays" | "envs" | "environments" | "env" | "clusters" | "stages"
        ) {
            if let Some(next) = parts.get(i + 1) {
                return Some(next.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FsSource;

    #[test]
    fn finds_entry_points() {
        let d = tempfile::tempdir().unwrap();
        let w = |p: &str, s: &str| {
            let f = d.path().join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, s).unwrap();
        };
        w("app/base/kustomization.yaml", "resources: [deploy.yaml]\n");
        w("app/base/deploy.yaml", "kind: X\n");
        w(
            "app/overlays/prod/kustomization.yaml",
            "resources: [../../base]\ncomponents: [../../comp]\n",
        );
        w(
            "app/overlays/dev/kustomization.yml",
            "bases:\n- ../../base\n",
        );
        w("app/comp/kustomization.yaml", "kind: Component\n");
        w("other/Kustomization", "resources: []\n");
        let src = FsSource::new(d.path()).unwrap();
        let disc = discover(&src).unwrap();
        assert_eq!(
            disc.overlays(),
            ["app/overlays/dev", "app/overlays/prod", "other"]
        );
        assert!(disc.kustomizations["app/comp"].component);
        assert_eq!(environment_of("app/overlays/prod"), Some("prod".into()));
        assert_eq!(environment_of("other"), None);
    }
}
