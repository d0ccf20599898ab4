//! kustomize's load restrictor: which files a kustomization may read.
//!
//! `kustomize build` (and `kubectl kustomize`) default to
//! `LoadRestrictionsRootOnly`: every *file* a kustomization loads (a resource
//! file, a patch, a generator's `files:`/`envs:`, `configurations`, `crds`,
//! `openapi`, `replacements` paths) must be in or below that kustomization's own
//! directory. *Directories* outside it are allowed: a base or component at
//! `../base` is a new kustomization with its own root. Flux's kustomize-controller
//! builds with `LoadRestrictionsNone`. Either way, nothing is ever read outside
//! the repository (see [`crate::source::join`]).

use crate::error::{Error, ErrorKind, Result};
use crate::source::{Checked, ReadCheck, Source};

/// Which files a kustomization may load (kustomize's `--load-restrictor`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// `LoadRestrictionsRootOnly`, the default of `kustomize build`: a file must be
    /// in or below the directory of the kustomization that names it.
    #[default]
    RootOnly,
    /// `LoadRestrictionsNone` (what Flux's kustomize-controller uses): any file in
    /// the repository may be loaded.
    None,
}

/// Whether `path` (repository-relative, normalised) is in or below `root`.
fn within(root: &str, path: &str) -> bool {
    root.is_empty() || path == root || path.starts_with(&format!("{root}/"))
}

/// kustomize's refusal of a file outside the root, as its own message words it.
fn refusal(root: &str, path: &str) -> Error {
    let root = if root.is_empty() { "." } else { root };
    Error::msg(format!(
        "security; file '{path}' is not in or below '{root}'"
    ))
    .kind(ErrorKind::Confinement)
}

/// Refuse loading the file `path` from the kustomization in `root` when `rule`
/// does not allow it.
pub fn check(rule: LoadRestrictor, root: &str, path: &str) -> Result<()> {
    match rule {
        LoadRestrictor::None => Ok(()),
        LoadRestrictor::RootOnly if within(root, path) => Ok(()),
        LoadRestrictor::RootOnly => Err(refusal(root, path)),
    }
}

/// A source whose file reads obey a load restrictor for one kustomization root
/// (entries and listings are not restricted: they load nothing).
pub type Restricted<'a> = Checked<'a, RootRule<'a>>;

/// The load restrictor of one kustomization root, as a [`ReadCheck`].
pub struct RootRule<'a> {
    root: &'a str,
    rule: LoadRestrictor,
}

impl ReadCheck for RootRule<'_> {
    fn before(&self, path: &str) -> Result<()> {
        check(self.rule, self.root, path)
    }
}

/// Reads from `inner`, restricted by `rule` to the kustomization in `root`.
pub fn restricted<'a>(
    inner: &'a dyn Source,
    root: &'a str,
    rule: LoadRestrictor,
) -> Restricted<'a> {
    Checked {
        inner,
        check: RootRule { root, rule },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_only_allows_in_or_below_and_refuses_outside() {
        let r = LoadRestrictor::RootOnly;
        assert!(check(r, "app", "app/cm.yaml").is_ok());
        assert!(check(r, "app", "app/sub/cm.yaml").is_ok());
        assert!(check(r, "", "anything/cm.yaml").is_ok());
        let e = check(r, "app", "shared/cm.yaml").unwrap_err();
        assert!(e.is(ErrorKind::Confinement));
        assert_eq!(
            e.msg,
            "security; file 'shared/cm.yaml' is not in or below 'app'"
        );
        // a sibling whose name starts with the root's is outside it
        assert!(check(r, "app", "app2/cm.yaml").is_err());
        assert!(check(LoadRestrictor::None, "app", "shared/cm.yaml").is_ok());
    }

    fn render_fixture(dir: &str, rule: LoadRestrictor) -> Result<String> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/render");
        let src = crate::source::FsSource::new(root)?;
        let opts = crate::kustomize::RenderOptions {
            load_restrictor: rule,
            ..Default::default()
        };
        crate::kustomize::render(&src, dir, &opts).map(|r| r.to_yaml())
    }

    #[test]
    fn none_loads_files_outside_the_root_as_flux_does() {
        for dir in [
            "load-restrictor/file-resource",
            "load-restrictor/patch-file",
            "load-restrictor/generator-file",
        ] {
            let e = render_fixture(dir, LoadRestrictor::RootOnly).unwrap_err();
            assert!(e.is(ErrorKind::Confinement), "{dir}: {e}");
            render_fixture(dir, LoadRestrictor::None).unwrap_or_else(|e| panic!("{dir}: {e}"));
        }
        let out = render_fixture("load-restrictor/file-resource", LoadRestrictor::None).unwrap();
        assert!(
            out.contains("name: shared") && out.contains("name: local"),
            "{out}"
        );
        let out = render_fixture("load-restrictor/patch-file", LoadRestrictor::None).unwrap();
        assert!(out.contains("patched: \"yes\""), "{out}");
    }
}
