//! `openapi:` in a kustomization, as kustomize's `openapi.SetSchema`: the top
//! kustomization always sets the schema; a base or component only while none is
//! set yet (no custom schema, no built-in version named). A custom schema file
//! is read in any case.

use super::{restrict, Acc};
use crate::error::{Error, Result};
use crate::kustomize::kustomization::Kustomization;
use crate::kustomize::patch;
use crate::source;
use crate::yaml::Node;

use std::sync::Arc;

/// The only Kubernetes OpenAPI version kustomize v5.5.0 has built in (its
/// `kubernetesapi` package), whose merge keys and scopes the native renderer uses.
pub const BUILTIN_OPENAPI_VERSION: &str = "v1.21.2";

impl Acc<'_> {
    /// `openapi: {path: FILE}` (a custom schema replacing the built-in one for
    /// strategic merges) or `openapi: {version: V}` (a built-in one).
    pub(super) fn custom_openapi(&mut self, k: &Kustomization) -> Result<()> {
        let Some(o) = k.field("openapi") else {
            return Ok(());
        };
        let version = o.get("version").filter(|v| !v.is_null());
        let custom = match o.get("path").filter(|p| !p.is_null()) {
            Some(pnode) => Some((self.openapi_file(k, pnode)?, pnode.pos.clone())),
            None => None,
        };
        let set = patch::has_render_table() || self.builtin_openapi;
        if !self.chain.is_empty() && set {
            return Ok(());
        }
        if let Some((doc, at)) = custom {
            if version.is_some() {
                return Err(Error::at(
                    &o.pos,
                    "builtin version and custom schema provided, cannot use both",
                ));
            }
            let t = patch::SchemaTable::from_openapi(&doc).map_err(|e| e.or_at(&at))?;
            patch::set_render_table(Some(Arc::new(t)));
            return Ok(());
        }
        let Some(v) = version else { return Ok(()) };
        match v.scalar_string().unwrap_or_default().as_str() {
            "" => Ok(()),
            BUILTIN_OPENAPI_VERSION => {
                self.builtin_openapi = true;
                Ok(())
            }
            _ => Err(Error::at(
                &v.pos,
                "the specified OpenAPI version is not built in",
            )),
        }
    }

    /// Read the schema document at `openapi.path`.
    fn openapi_file(&mut self, k: &Kustomization, pnode: &Node) -> Result<Node> {
        let entry = pnode.scalar_string().unwrap_or_default();
        let path = source::join(&k.dir, &entry).map_err(|e| e.or_at(&pnode.pos))?;
        restrict::check(self.r.opts.load_restrictor, &k.dir, &path)
            .map_err(|e| e.or_at(&pnode.pos))?;
        self.inputs.push(path.clone());
        let parsed = self.r.parsed(&path);
        let docs = match &parsed.1 {
            Ok(d) => d,
            Err(e) => return Err(e.clone().or_at(&pnode.pos)),
        };
        self.budget
            .charge(&path, parsed.0)
            .map_err(|e| e.or_at(&pnode.pos))?;
        let doc = docs.iter().find(|d| !d.is_null()).ok_or_else(|| {
            Error::at(&pnode.pos, format!("the OpenAPI schema '{entry}' is empty"))
        })?;
        Ok(doc.clone())
    }
}
