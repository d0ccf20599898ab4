//! Finding kustomizations in a tree: the one walker used by overlay discovery
//! (`diff`, `check`, `overlays`) and by `render --all`.
//!
//! The walk is bounded whatever the tree: every physical directory (symlinks
//! resolved) is listed at most once, directories reachable without a symlink
//! are walked under that path first, the number of entries listed is capped
//! and the walk counts against a time budget (a deadline the caller may share
//! across every walk of one run).

use super::closure::{physical, Closures};
use crate::error::{Error, ErrorKind, Result};
use crate::source::{EntryKind, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// The default cap on directory entries listed by one walk.
pub const DEFAULT_MAX_WALK_ENTRIES: usize = 1_000_000;
/// The default time budget of the walks of one run.
pub const DEFAULT_WALK_BUDGET: Duration = Duration::from_secs(60);
/// Deepest directory walked (path components).
const MAX_DEPTH: usize = 64;

/// Bounds of a walk.
#[derive(Clone, Copy, Debug)]
pub struct WalkLimits {
    /// Most directory entries one walk lists.
    pub max_entries: usize,
    /// When the walk must stop (shared by every walk of a run); `None`: no limit.
    pub deadline: Option<Instant>,
}

impl Default for WalkLimits {
    /// The default cap, with a deadline [`DEFAULT_WALK_BUDGET`] from now.
    fn default() -> WalkLimits {
        WalkLimits::with_budget(DEFAULT_WALK_BUDGET)
    }
}

impl WalkLimits {
    /// The default entry cap and a deadline `budget` from now.
    pub fn with_budget(budget: Duration) -> WalkLimits {
        WalkLimits {
            max_entries: DEFAULT_MAX_WALK_ENTRIES,
            deadline: match (
                Instant::now().checked_add(budget),
                crate::kustomize::guard::run_deadline(),
            ) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// One kustomization found in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KustInfo {
    /// Repository-relative path of the kustomization file.
    pub file: String,
    /// `kind: Component`.
    pub component: bool,
    /// Directories it references (`resources`, `bases`, `components`),
    /// normalised and resolved through symlinks.
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

/// Hidden directories and `node_modules` are never walked.
fn skip_dir(name: &str) -> bool {
    name.starts_with('.') || name == "node_modules"
}

fn child(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Find every kustomization under the root of `src`, with the default limits.
pub fn discover(src: &dyn Source) -> Result<Discovery> {
    discover_with(src, &WalkLimits::default())
}

/// Find every kustomization under the root of `src` within `limits`.
pub fn discover_with(src: &dyn Source, limits: &WalkLimits) -> Result<Discovery> {
    Closures::new(src).discover(limits)
}

impl Closures<'_> {
    /// Find every kustomization of the source within `limits`, computing the
    /// closure step of each (so closures asked for later are not read again).
    pub fn discover(&self, limits: &WalkLimits) -> Result<Discovery> {
        Ok(self.discover_in(&Dirs::walk(self.source(), limits)?))
    }

    /// [`Closures::discover`] over the directories `dirs` of this source's
    /// tree (walked at this revision, or at another one with the same
    /// directories: [`Dirs::same_at`]).
    pub fn discover_in(&self, dirs: &Dirs) -> Discovery {
        use rayon::prelude::*;
        // Each kustomization is read and parsed on its own: in parallel.
        let found: BTreeMap<String, (String, KustInfo)> = dirs
            .0
            .par_iter()
            .filter_map(|(dir, phys)| {
                let s = self.step(dir);
                let info = KustInfo {
                    file: s.file.clone()?,
                    component: s.component,
                    // Unparsable files have no references (rendering reports their error).
                    refs: s.refs.clone(),
                    entry_point: false,
                };
                Some((dir.clone(), (phys.clone(), info)))
            })
            .collect();
        let referenced: BTreeSet<&String> =
            found.values().flat_map(|(_, k)| k.refs.iter()).collect();
        let entry: Vec<bool> = found
            .values()
            .map(|(phys, k)| !k.component && !referenced.contains(phys))
            .collect();
        let kustomizations = found
            .into_iter()
            .zip(entry)
            .map(|((dir, (_, mut k)), e)| {
                k.entry_point = e;
                (dir, k)
            })
            .collect();
        Discovery { kustomizations }
    }
}

/// Every directory of a tree with its physical path, each physical directory
/// once (under a symlink-free path when there is one), sorted: what discovery
/// walks.
#[derive(Clone, Debug)]
pub struct Dirs(Vec<(String, String)>);

impl Dirs {
    /// Walk the tree of `src` within `limits`.
    pub fn walk(src: &dyn Source, limits: &WalkLimits) -> Result<Dirs> {
        walk_dirs(src, limits).map(Dirs)
    }

    /// These directories (walked at `a`) are `b`'s too when every path of
    /// `changed` (the raw paths changed between the two, as git reports
    /// them) is a regular file, not a symlink, at both: then every listing
    /// has the same names and kinds and every link the same target, and
    /// the walk would find the same directories.
    pub fn same_at(a: &dyn Source, b: &dyn Source, changed: &BTreeSet<String>) -> bool {
        changed.iter().all(|p| {
            [a, b].iter().all(|s| {
                s.entry(p).ok().flatten() == Some(EntryKind::File) && s.trace(p) == [p.as_str()]
            })
        })
    }
}

/// Every directory of the tree with its physical path, each physical
/// directory once (under a symlink-free path when there is one), sorted.
fn walk_dirs(src: &dyn Source, limits: &WalkLimits) -> Result<Vec<(String, String)>> {
    let mut visited: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    // Directories reached without a symlink are walked before any reached through one.
    let mut direct = vec![String::new()];
    let mut linked: Vec<String> = Vec::new();
    let mut entries = 0usize;
    while let Some(dir) = direct.pop().or_else(|| linked.pop()) {
        if limits.deadline.is_some_and(|d| Instant::now() >= d) {
            crate::kustomize::guard::run_deadline_check(&dir)?;
            return Err(Error::in_file(
                if dir.is_empty() { "." } else { &dir },
                "overlay discovery ran out of its time budget (directory symlinks or a very large tree)",
            )
            .kind(ErrorKind::Budget));
        }
        let phys = physical(src, &dir);
        if !visited.insert(phys.clone()) {
            continue;
        }
        let list = src.list(&dir)?;
        entries += list.len();
        if entries > limits.max_entries {
            return Err(Error::in_file(
                if dir.is_empty() { "." } else { &dir },
                format!(
                    "overlay discovery listed more than {} directory entries",
                    limits.max_entries
                ),
            )
            .kind(ErrorKind::Budget));
        }
        for (name, kind) in list {
            let c = child(&dir, &name);
            if kind != EntryKind::Dir || skip_dir(&name) || c.split('/').count() > MAX_DEPTH {
                continue;
            }
            let cp = child(&phys, &name);
            if visited.contains(&cp) {
                continue;
            }
            // `cp` is the physical path unless `name` itself is a link.
            if c == cp && physical(src, &c) == c {
                direct.push(c);
            } else {
                linked.push(c);
            }
        }
        out.push((dir, phys));
    }
    out.sort();
    Ok(out)
}

/// A kustomization found in a tree.
#[derive(Clone, Debug)]
pub struct Found {
    /// Repository-relative directory.
    pub dir: String,
    /// Kustomization or Component.
    pub kind: super::kustomization::KustKind,
}

/// Every directory under `under` (repository-relative) holding a buildable
/// kustomization (not a Component), sorted. Unparseable kustomizations are
/// included so that rendering them reports the error.
pub fn kustomization_dirs(src: &dyn Source, under: &str) -> Result<Vec<Found>> {
    if !under.is_empty() {
        src.list(under)?; // a missing directory is an error, as before
    }
    let found = discover(src)?;
    Ok(found
        .kustomizations
        .into_iter()
        .filter(|(dir, k)| !k.component && inside(dir, under))
        .map(|(dir, _)| Found {
            dir,
            kind: super::kustomization::KustKind::Kustomization,
        })
        .collect())
}

fn inside(dir: &str, under: &str) -> bool {
    under.is_empty()
        || dir == under
        || (dir.len() > under.len()
            && dir.starts_with(under)
            && dir.as_bytes()[under.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FsSource;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, s) in files {
            let f = d.path().join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, s).unwrap();
        }
        d
    }

    #[test]
    fn finds_entry_points() {
        let d = tree(&[
            ("app/base/kustomization.yaml", "resources: [deploy.yaml]\n"),
            ("app/base/deploy.yaml", "kind: X\n"),
            (
                "app/overlays/prod/kustomization.yaml",
                "resources: [../../base]\ncomponents: [../../comp]\n",
            ),
            (
                "app/overlays/dev/kustomization.yml",
                "bases:\n- ../../base\n",
            ),
            ("app/comp/kustomization.yaml", "kind: Component\n"),
            ("other/Kustomization", "resources: []\n"),
            (".hidden/kustomization.yaml", "resources: []\n"),
        ]);
        let src = FsSource::new(d.path()).unwrap();
        let disc = discover(&src).unwrap();
        assert_eq!(
            disc.overlays(),
            ["app/overlays/dev", "app/overlays/prod", "other"]
        );
        assert!(disc.kustomizations["app/comp"].component);
        let dirs: Vec<String> = kustomization_dirs(&src, "app")
            .unwrap()
            .into_iter()
            .map(|f| f.dir)
            .collect();
        assert_eq!(dirs, ["app/base", "app/overlays/dev", "app/overlays/prod"]);
        assert!(kustomization_dirs(&src, "nope").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_base_reached_through_a_link_is_not_an_entry_point() {
        let d = tree(&[
            ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
            ("overlays/prod/kustomization.yaml", "resources: [base]\n"),
        ]);
        std::os::unix::fs::symlink("../../base", d.path().join("overlays/prod/base")).unwrap();
        let src = FsSource::new(d.path()).unwrap();
        let disc = discover(&src).unwrap();
        assert_eq!(disc.overlays(), ["overlays/prod"]);
        // The linked alias is not walked a second time.
        assert!(!disc.kustomizations.contains_key("overlays/prod/base"));
    }

    /// A DAG of two directory links per level: without a visited set the walk
    /// doubles per level (2^30 directories); with one it lists each directory once.
    #[cfg(unix)]
    #[test]
    fn symlink_dag_is_walked_once() {
        let d = tempfile::tempdir().unwrap();
        let levels = 30;
        for i in 0..levels {
            let dir = d.path().join(format!("l{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            if i + 1 < levels {
                for n in ["a", "b"] {
                    std::os::unix::fs::symlink(format!("../l{}", i + 1), dir.join(n)).unwrap();
                }
            }
        }
        std::fs::write(d.path().join("l29/kustomization.yaml"), "resources: []\n").unwrap();
        let src = FsSource::new(d.path()).unwrap();
        let t = Instant::now();
        let disc = discover(&src).unwrap();
        assert_eq!(disc.overlays(), ["l29"]);
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    }

    #[test]
    fn walk_limits_fail_closed() {
        let d = tree(&[("a/x", ""), ("a/y", ""), ("b/z", "")]);
        let src = FsSource::new(d.path()).unwrap();
        let small = WalkLimits {
            max_entries: 3,
            deadline: None,
        };
        let e = discover_with(&src, &small).unwrap_err();
        assert!(e.is(ErrorKind::Budget), "{e}");
        assert!(
            e.to_string().contains("more than 3 directory entries"),
            "{e}"
        );
        let past = WalkLimits {
            max_entries: 100,
            deadline: Some(Instant::now()),
        };
        let e = discover_with(&src, &past).unwrap_err();
        assert!(e.is(ErrorKind::Budget), "{e}");
        assert!(e.to_string().contains("time budget"), "{e}");
    }
}
