//! Render a [`Deployment`] as its controller does: the path's kustomization (or the
//! one Flux generates for a plain directory) edited in memory with the
//! controller's overrides, whose nodes keep the controller object's positions,
//! then Flux's post-build steps (`postBuild` substitution, `commonMetadata`).

use super::{subst, Deployment, Flavor, Overrides};
use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::kustomization::{Kustomization, FILE_NAMES};
use crate::kustomize::remote::Remotes;
use crate::kustomize::{RenderOptions, Rendered, Renderer};
use crate::model::Resource;
use crate::source::{self, EntryKind, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Pos, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Most manifests a generated kustomization lists.
const MAX_GENERATED: usize = 10_000;

/// Render `d` from `src` (remote bases refused).
pub fn render_deployment(
    src: &dyn Source,
    d: &Deployment,
    opts: &RenderOptions,
) -> Result<Rendered> {
    render_deployment_with(src, d, opts, None)
}

/// Render `d` from `src`, with the run's fetched remote bases (`--fetch-remote`).
pub fn render_deployment_with(
    src: &dyn Source,
    d: &Deployment,
    opts: &RenderOptions,
    remotes: Option<Arc<Remotes>>,
) -> Result<Rendered> {
    let found = FILE_NAMES
        .iter()
        .map(|n| join_file(&d.path, n))
        .find(|p| matches!(src.entry(p), Ok(Some(EntryKind::File))));
    let (file, text, virt) = match found {
        Some(f) => {
            let bytes = src.read(&f)?;
            (f.clone(), decode(&bytes, &f)?, None)
        }
        None => {
            let f = join_file(&d.path, "kustomization.yaml");
            let text = generate(src, &d.path, d.flavor)?;
            (f.clone(), text.clone(), Some((f, text)))
        }
    };
    let mut k = Kustomization::parse(&text, &file)?;
    apply_overrides(&mut k.node, &d.overrides, d.flavor, &d.controller.at)?;
    let vsrc = Virtual {
        inner: src,
        files: virt
            .into_iter()
            .map(|(p, t)| (p, Arc::from(t.into_bytes())))
            .collect(),
    };
    let mut opts = opts.clone();
    if d.build.load_restriction_none {
        // Flux builds with `--load-restrictor LoadRestrictionsNone`.
        opts.load_restrictor = crate::kustomize::LoadRestrictor::None;
    }
    let renderer = Renderer::new(&vsrc, opts).with_remotes(remotes);
    renderer.preload_kustomization(k);
    let mut out = renderer.render(&d.path).map_err(|e| {
        e.context(format!(
            "{} '{}' ({}) building '{}'",
            d.controller.kind.label(),
            d.controller.name,
            d.controller.at,
            if d.path.is_empty() { "." } else { &d.path }
        ))
    })?;
    if let Some(vars) = &d.build.substitute {
        subst::substitute_resources(&mut out.resources, vars, &d.build.secret_vars)?;
    }
    if let Some(meta) = &d.overrides.common_metadata {
        common_metadata(&mut out.resources, meta);
    }
    if d.flavor == Flavor::Argo {
        if let Some(ns) = d.namespace.as_deref().filter(|n| !n.is_empty()) {
            destination_namespace(&mut out.resources, ns, &d.controller.at);
        }
    }
    Ok(out)
}

/// Argo CD's `destination.namespace`: the namespace of every namespaced resource
/// that has none after the build (`source.kustomize.namespace`, applied by the
/// build, beats it). Cluster-scoped kinds stay without one.
fn destination_namespace(resources: &mut [Resource], ns: &str, at: &Pos) {
    for r in resources {
        let gvk = r.id().gvk;
        if r.namespace().is_empty() && !crate::kustomize::scope::is_cluster_scoped(&gvk) {
            r.set_namespace(ns, at);
        }
    }
}

fn join_file(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The kustomization Flux writes for a directory without one: every `.yaml`/`.yml`
/// file holding Kubernetes objects, walked lexically; a subdirectory holding a
/// kustomization file is listed as a directory and not entered. Argo CD reads a
/// plain directory's top-level manifests the same way (without recursion).
fn generate(src: &dyn Source, dir: &str, flavor: Flavor) -> Result<String> {
    let mut found: Vec<String> = Vec::new();
    let mut todo = vec![dir.to_string()];
    while let Some(d) = todo.pop() {
        let mut subdirs = Vec::new();
        for (name, kind) in src.list(&d)? {
            let path = join_file(&d, &name);
            match kind {
                EntryKind::File
                    if (name.ends_with(".yaml") || name.ends_with(".yml"))
                        && is_manifest(src, &path) =>
                {
                    found.push(path);
                }
                EntryKind::Dir if flavor == Flavor::Flux && !name.starts_with('.') => {
                    let has_k = FILE_NAMES.iter().any(|n| {
                        matches!(src.entry(&join_file(&path, n)), Ok(Some(EntryKind::File)))
                    });
                    if has_k {
                        found.push(path);
                    } else if depth_ok(&path) {
                        subdirs.push(path);
                    }
                }
                _ => {}
            }
            if found.len() > MAX_GENERATED {
                return Err(Error::in_file(
                    dir,
                    format!("more than {MAX_GENERATED} manifests under '{dir}'"),
                )
                .kind(ErrorKind::Budget));
            }
        }
        todo.extend(subdirs.into_iter().rev());
    }
    found.sort();
    let mut text =
        String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    if found.is_empty() {
        text.push_str("namespace: _placeholder\n");
        return Ok(text);
    }
    text.push_str("resources:\n");
    for f in found {
        let rel = f.strip_prefix(dir).unwrap_or(&f).trim_start_matches('/');
        text.push_str(&format!(
            "- {}\n",
            serde_json::Value::String(format!("./{rel}"))
        ));
    }
    Ok(text)
}

fn depth_ok(path: &str) -> bool {
    path.split('/').count() < 64
}

/// True when every document of the file has `apiVersion` and `kind`.
fn is_manifest(src: &dyn Source, path: &str) -> bool {
    let Ok(bytes) = src.read(path) else {
        return false;
    };
    let docs = decode(&bytes, path).and_then(|t| parse_stream(&t, path, &ParseOptions::resource()));
    match docs {
        Ok(d) => {
            let docs: Vec<&Node> = d.iter().filter(|n| !n.is_null()).collect();
            !docs.is_empty()
                && docs
                    .iter()
                    .all(|n| n.str_at(&["apiVersion"]).is_some() && n.str_at(&["kind"]).is_some())
        }
        Err(_) => false,
    }
}

/// Edit the kustomization the way the controller does.
fn apply_overrides(k: &mut Node, o: &Overrides, flavor: Flavor, at: &Pos) -> Result<()> {
    if !k.is_map() {
        return Err(Error::at(at, "the kustomization is not a mapping"));
    }
    for (key, v) in [
        ("namePrefix", &o.name_prefix),
        ("nameSuffix", &o.name_suffix),
        ("namespace", &o.namespace),
    ] {
        if let Some(v) = v {
            k.set(key, v.clone());
        }
    }
    for img in &o.images {
        let img = match flavor {
            Flavor::Argo => argo_image(img)?,
            Flavor::Flux => img.clone(),
        };
        merge_by_name(k, "images", img, at);
    }
    for r in &o.replicas {
        merge_by_name(k, "replicas", r.clone(), at);
    }
    for (key, v) in [
        ("commonLabels", &o.common_labels),
        ("commonAnnotations", &o.common_annotations),
    ] {
        if let Some(Value::Map(m)) = v.as_ref().map(|n| &n.value) {
            let pos = v.as_ref().map(|n| n.pos.clone()).unwrap_or_default();
            if let Some(Value::Map(dst)) = k.ensure_map(key, &pos).map(|n| &mut n.value) {
                for (mk, mv) in m {
                    dst.insert(mk.clone(), mv.clone());
                }
            }
        }
    }
    for (key, items) in [("patches", &o.patches), ("components", &o.components)] {
        if items.is_empty() {
            continue;
        }
        let mut seq = k
            .get(key)
            .and_then(|s| s.as_seq())
            .cloned()
            .unwrap_or_default();
        seq.extend(items.iter().cloned());
        let mut n = Node::seq(items[0].pos.clone());
        n.value = Value::Seq(seq);
        k.set(key, n);
    }
    Ok(())
}

/// Merge an `images`/`replicas` entry by `name`: fields of `entry` replace the
/// existing entry's (`newTag` and `digest` as a pair), or it is appended.
fn merge_by_name(k: &mut Node, key: &str, entry: Node, at: &Pos) {
    let name = entry.str_at(&["name"]).unwrap_or("").to_string();
    if k.get(key).and_then(|s| s.as_seq()).is_none() {
        k.set(key, Node::seq(at.clone()));
    }
    let Some(seq) = k.get_mut(key).and_then(|s| s.as_seq_mut()) else {
        return;
    };
    match seq
        .iter_mut()
        .find(|e| e.str_at(&["name"]) == Some(name.as_str()))
    {
        Some(existing) => {
            let tagged = entry.get("newTag").is_some() || entry.get("digest").is_some();
            if tagged {
                existing.remove("newTag");
                existing.remove("digest");
            }
            if let Some(m) = entry.as_map() {
                for (f, v) in m {
                    existing.set(f, v.clone());
                }
            }
        }
        None => seq.push(entry),
    }
}

/// Argo CD's `kustomize.images` entry (`[old=]new[:tag|@digest]`) as a
/// kustomization `images` entry.
fn argo_image(n: &Node) -> Result<Node> {
    let s = n
        .as_str()
        .ok_or_else(|| Error::at(&n.pos, "kustomize.images entries must be strings"))?;
    let (old, new) = match s.split_once('=') {
        Some((o, rest)) => (Some(o), rest),
        None => (None, s),
    };
    let (img, digest) = match new.split_once('@') {
        Some((i, d)) => (i, Some(d)),
        None => (new, None),
    };
    // A tag is after the last ':' not followed by '/' (a registry port is not a tag).
    let (img, tag) = match img.rfind(':') {
        Some(i) if !img[i + 1..].contains('/') => (&img[..i], Some(&img[i + 1..])),
        _ => (img, None),
    };
    let name = old.unwrap_or(img);
    if name.is_empty() {
        return Err(Error::at(
            &n.pos,
            format!("bad kustomize.images entry '{s}'"),
        ));
    }
    let mut m = Node::map(n.pos.clone());
    m.set("name", Node::str(name, n.pos.clone()));
    if img != name {
        m.set("newName", Node::str(img, n.pos.clone()));
    }
    if let Some(t) = tag {
        m.set("newTag", Node::str(t, n.pos.clone()));
    }
    if let Some(d) = digest {
        m.set("digest", Node::str(d, n.pos.clone()));
    }
    Ok(m)
}

/// Flux `commonMetadata`: labels and annotations set on every object (overwriting).
fn common_metadata(res: &mut [Resource], meta: &Node) {
    for r in res.iter_mut() {
        for key in ["labels", "annotations"] {
            let Some(m) = meta.get(key).and_then(|m| m.as_map()) else {
                continue;
            };
            let pos = meta.pos.clone();
            let Some(md) = r.node.ensure_map("metadata", &pos) else {
                continue;
            };
            if let Some(Value::Map(dst)) = md.ensure_map(key, &pos).map(|n| &mut n.value) {
                for (k, v) in m {
                    let mut v = v.clone();
                    if let Some(s) = v.scalar_string() {
                        v.value = Value::Str(s);
                    }
                    dst.insert(k.clone(), v);
                }
            }
        }
    }
}

/// A source with a few generated files laid over it.
struct Virtual<'s> {
    inner: &'s dyn Source,
    files: HashMap<String, Arc<[u8]>>,
}

impl Source for Virtual<'_> {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        match self.files.get(path) {
            Some(b) => Ok(b.clone()),
            None => self.inner.read(path),
        }
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        if self.files.contains_key(path) {
            return Ok(Some(EntryKind::File));
        }
        self.inner.entry(path)
    }
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let mut out = self.inner.list(dir)?;
        for p in self.files.keys() {
            if source::parent(p) == dir {
                let name = source::file_name(p).to_string();
                if !out.iter().any(|(n, _)| *n == name) {
                    out.push((name, EntryKind::File));
                }
            }
        }
        out.sort();
        Ok(out)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}
