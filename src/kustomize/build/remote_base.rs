//! Remote bases inside the build: resolving a remote `resources`/`components`
//! entry to its mounted directory (see [`crate::kustomize::remote`]), and the
//! origin kustomize records for what a remote base holds.

use super::metadata::{clean_join, yaml_scalar};
use super::Acc;
use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::remote::{self, Resolved};
use crate::source::EntryKind;
use crate::yaml::Pos;

impl Acc<'_> {
    /// For a remote `entry` (written at `pos` in `field`): the mounted
    /// directory of the fetched base, or the refusal; `None` for a local entry.
    pub(super) fn remote_dir(
        &mut self,
        entry: &str,
        pos: &Pos,
        field: &str,
    ) -> Result<Option<Resolved>> {
        if !remote::is_remote(entry) {
            return Ok(None);
        }
        match &self.r.view.remotes {
            None => Err(Error::at(
                pos,
                format!(
                    "'{field}' entry '{entry}' is remote: {}",
                    remote::NOT_FETCHED
                ),
            )
            .kind(ErrorKind::Remote)),
            Some(remotes) => {
                let r = remotes.resolve(entry, pos)?;
                if self.src.entry(&r.dir).map_err(|e| e.or_at(pos))? != Some(EntryKind::Dir) {
                    return Err(Error::at(
                        pos,
                        format!(
                            "remote base '{entry}': no directory '{}' in the fetched commit",
                            r.dir
                        ),
                    )
                    .kind(ErrorKind::Missing));
                }
                Ok(Some(r))
            }
        }
    }

    /// Enter a base or component named by `entry`: kustomize's origin path
    /// of what it holds (relative to the remote repository's root for a
    /// remote base). Returns the saved state for [`Acc::leave`].
    pub(super) fn enter(
        &mut self,
        entry: &str,
        remote: Option<&Resolved>,
    ) -> (Option<String>, Option<String>) {
        let saved = (self.origin.clone(), self.origin_repo.clone());
        match remote {
            Some(r) => {
                self.origin = saved.0.as_ref().map(|_| r.subdir.clone());
                self.origin_repo = Some(format!(
                    "repo: {}\nref: {}\n",
                    yaml_scalar(&r.repo),
                    yaml_scalar(&r.git_ref)
                ));
            }
            None => self.origin = saved.0.as_ref().map(|o| clean_join(o, entry)),
        }
        saved
    }

    pub(super) fn leave(&mut self, saved: (Option<String>, Option<String>)) {
        (self.origin, self.origin_repo) = saved;
    }
}
