//! The build pipeline: kustomize's `accumulateTarget` per kustomization, then the
//! top-level steps (hash suffixes, name references, vars, local-config, sort).

use super::config::TransformerConfig;
use super::guard::{self, Budget, Guarded};
use super::kustomization::{KustKind, Kustomization, FILE_NAMES};
use super::{generators, nameref, patch, replacements, sort, transformers, vars};
use crate::error::{Error, Result};
use crate::model::Resource;
use crate::source::{self, EntryKind, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Pos, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// Rendering options.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Parse limits for every file read (`max_file_bytes` is the per-file cap).
    pub limits: crate::yaml::Limits,
    /// Most bytes one render may read, all files together.
    pub max_render_bytes: u64,
    /// Wall-clock budget of one render (one overlay); `None`: unlimited.
    pub timeout: Option<std::time::Duration>,
}

/// The default per-render byte budget (64 MiB).
pub const DEFAULT_MAX_RENDER_BYTES: u64 = 64 << 20;
/// The default wall-clock budget per overlay.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            limits: crate::yaml::Limits::default(),
            max_render_bytes: DEFAULT_MAX_RENDER_BYTES,
            timeout: Some(DEFAULT_TIMEOUT),
        }
    }
}

/// The result of rendering one kustomization.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    /// Resources in output order.
    pub resources: Vec<Resource>,
    /// Every repository path read (the input closure).
    pub inputs: BTreeSet<String>,
    /// True when the input closure is unknown (rendered by an external binary):
    /// any change in the tree may affect it.
    pub opaque: bool,
}

impl Rendered {
    /// The YAML stream `kustomize build` prints.
    pub fn to_yaml(&self) -> String {
        let docs: Vec<&Node> = self.resources.iter().map(|r| &r.node).collect();
        crate::yaml::emit_docs(&docs)
    }
}

/// Render the kustomization in `dir` (repository-relative).
pub fn render(src: &dyn Source, dir: &str, opts: &RenderOptions) -> Result<Rendered> {
    Renderer::new(src, opts.clone()).render(dir)
}

/// A parsed file and its size in bytes.
type Parsed = Arc<(u64, Result<Vec<Node>>)>;
/// A parsed kustomization file and its size in bytes.
type ParsedKust = Arc<(u64, Result<Kustomization>)>;

/// Parsed files shared between renderers of different trees (the two sides of a
/// diff): path -> (the bytes parsed, the result). An entry is used only when the
/// bytes read now are the same, so a file that differs between the trees is
/// parsed again, and one that does not is parsed once for both.
type SharedParses = Arc<Mutex<HashMap<String, (Arc<[u8]>, Parsed)>>>;

/// A renderer over one source that shares parsed files between renders
/// (a base used by 50 overlays is read and parsed once). `Sync`: render overlays in parallel.
pub struct Renderer<'s> {
    src: &'s dyn Source,
    opts: RenderOptions,
    files: Mutex<HashMap<String, Parsed>>,
    kusts: Mutex<HashMap<String, ParsedKust>>,
    shared: SharedParses,
}

struct Acc<'r> {
    inputs: Vec<String>,
    chain: Vec<String>,
    vars: Vec<vars::Var>,
    r: &'r Renderer<'r>,
    /// The source, charging every read to `budget`.
    src: &'r dyn Source,
    budget: &'r Budget,
    /// `buildMetadata` origin tracking: the current kustomization's directory
    /// relative to the top one (kustomize's `origin.path`); None when off.
    origin: Option<String>,
}

impl<'s> Renderer<'s> {
    /// A renderer reading from `src`.
    pub fn new(src: &'s dyn Source, opts: RenderOptions) -> Renderer<'s> {
        Renderer {
            src,
            opts,
            files: Mutex::new(HashMap::new()),
            kusts: Mutex::new(HashMap::new()),
            shared: SharedParses::default(),
        }
    }

    /// Share parsed files with `other` (a renderer of another revision of the same
    /// repository, with the same options): files whose bytes are equal in both
    /// trees are parsed once.
    pub fn sharing_parses_with(mut self, other: &Renderer<'_>) -> Renderer<'s> {
        self.shared = other.shared.clone();
        self
    }

    /// The source read from.
    pub fn source(&self) -> &dyn Source {
        self.src
    }

    /// The options renders use.
    pub fn options(&self) -> &RenderOptions {
        &self.opts
    }

    /// Render the kustomization in `dir`.
    pub fn render(&self, dir: &str) -> Result<Rendered> {
        let dir = source::join("", dir)?;
        let budget = Budget::new(
            &dir,
            self.opts.limits.max_file_bytes as u64,
            self.opts.max_render_bytes,
            self.opts.timeout,
        );
        let guarded = Guarded {
            inner: self.src,
            budget: &budget,
        };
        let mut acc = Acc {
            inputs: Vec::new(),
            chain: Vec::new(),
            vars: Vec::new(),
            r: self,
            src: &guarded,
            budget: &budget,
            origin: None,
        };
        // A custom `openapi` schema lasts for this render only.
        struct ResetSchema;
        impl Drop for ResetSchema {
            fn drop(&mut self) {
                patch::set_render_table(None);
            }
        }
        patch::set_render_table(None);
        let _reset = ResetSchema;
        let mut res = Vec::new();
        // The accumulator's configuration starts empty: each kustomization merges
        // in its bases' configurations, then its own (built-ins + `configurations`).
        let mut cfg = TransformerConfig::default();
        let k = acc.accumulate(
            &dir,
            &mut res,
            &mut cfg,
            KustKind::Kustomization,
            &Pos::none(),
        )?;
        // Top-level steps.
        generators::apply_hash_suffixes(&mut res)?;
        budget.tick()?;
        nameref::fix_name_references(&mut res, &cfg)?;
        budget.tick()?;
        vars::check_duplicates(&acc.vars)?;
        vars::resolve(&mut res, &acc.vars, &cfg)?;
        res.retain(|r| !is_local_config(r));
        sort::sort(&k, &mut res)?;
        check_output(&res)?;
        budget.tick()?;
        build_metadata(&k, &mut res)?;
        for r in &mut res {
            normalize_annotations(&mut r.node);
        }
        Ok(Rendered {
            resources: res,
            inputs: acc.inputs.into_iter().collect(),
            opaque: false,
        })
    }

    fn parsed(&self, path: &str) -> Parsed {
        if let Some(p) = self.files.lock().expect("cache").get(path) {
            return p.clone();
        }
        let mut size = 0;
        let result = self.src.read(path).and_then(|bytes| {
            size = bytes.len() as u64;
            self.check_size(path, size)?;
            Ok(bytes)
        });
        let p = match result {
            Err(e) => Arc::new((size, Err(e))),
            Ok(bytes) => {
                // Only renderers that share (see `sharing_parses_with`) keep the bytes.
                let sharing = Arc::strong_count(&self.shared) > 1;
                let known = self
                    .shared
                    .lock()
                    .expect("cache")
                    .get(path)
                    .filter(|(b, _)| Arc::ptr_eq(b, &bytes) || b[..] == bytes[..])
                    .map(|(_, p)| p.clone());
                match known {
                    Some(p) => p,
                    None => {
                        let result = decode(&bytes, path).and_then(|text| {
                            let mut o = ParseOptions::resource();
                            o.limits = self.opts.limits;
                            parse_stream(&text, path, &o)
                        });
                        let p = Arc::new((size, result));
                        if sharing {
                            self.shared
                                .lock()
                                .expect("cache")
                                .insert(path.to_string(), (bytes, p.clone()));
                        }
                        p
                    }
                }
            }
        };
        self.files
            .lock()
            .expect("cache")
            .insert(path.to_string(), p.clone());
        p
    }

    fn check_size(&self, path: &str, size: u64) -> Result<()> {
        let max = self.opts.limits.max_file_bytes as u64;
        if size > max {
            return Err(Error::in_file(
                path,
                format!("'{path}' is {size} bytes, over the limit of {max} bytes per file (--max-file-bytes)"),
            ));
        }
        Ok(())
    }

    fn kustomization(&self, file: &str) -> ParsedKust {
        if let Some(k) = self.kusts.lock().expect("cache").get(file) {
            return k.clone();
        }
        let mut size = 0;
        let result = self
            .src
            .read(file)
            .and_then(|bytes| {
                size = bytes.len() as u64;
                self.check_size(file, size)?;
                decode(&bytes, file)
            })
            .and_then(|text| Kustomization::parse(&text, file));
        let k = Arc::new((size, result));
        self.kusts
            .lock()
            .expect("cache")
            .insert(file.to_string(), k.clone());
        k
    }
}

fn is_local_config(r: &Resource) -> bool {
    matches!(r.annotation("config.kubernetes.io/local-config"), Some(v) if v != "false")
}

/// Duplicate keys are caught at parse time; here: output-level checks.
fn check_output(res: &[Resource]) -> Result<()> {
    for r in res {
        if let Some((f, pos)) = find_nonfinite(&r.node) {
            // Go's %v spelling.
            let go = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            return Err(Error::at(
                if pos.is_none() { &r.origin } else { &pos },
                format!("json: unsupported value: {go}"),
            ));
        }
    }
    Ok(())
}

/// The base name of a kustomization's file (`kustomization.yaml`, ...).
fn kust_file_name(k: &Kustomization) -> String {
    k.file.rsplit('/').next().unwrap_or(&k.file).to_string()
}

/// Go's `filepath.Join(base, rel)`: joined and cleaned (`..` resolved against
/// preceding names, `.` dropped); "" when both are empty.
pub fn clean_join(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined = if base.is_empty() {
        rel.to_string()
    } else if rel.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{rel}")
    };
    let absolute = joined.starts_with('/');
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if matches!(parts.last(), Some(l) if *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let body = parts.join("/");
    if absolute {
        format!("/{body}")
    } else if body.is_empty() && !joined.is_empty() {
        ".".to_string()
    } else {
        body
    }
}

/// A string as a YAML plain or double-quoted scalar (as go-yaml prints it).
fn yaml_scalar(s: &str) -> String {
    crate::yaml::emit_node(&Node::str(s, Pos::none()))
        .trim_end_matches('\n')
        .to_string()
}

/// A builtin plugin's origin: `configuredIn` + `configuredBy`.
fn builtin_origin(configured_in: &str, kind: &str) -> String {
    format!(
        "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}\n",
        yaml_scalar(configured_in)
    )
}

/// kustomize's `AddTransformerAnnotation`, once per transformer instance: a
/// resource without an origin takes the transformer's; the others record it.
fn note_transformer(res: &mut [Resource], configured_in: &str, kind: &str, n: usize) {
    let o = builtin_origin(configured_in, kind);
    for _ in 0..n {
        for r in res.iter_mut() {
            if r.meta.origin_annotation.is_none() {
                r.meta.origin_annotation = Some(o.clone());
            } else {
                r.meta.transformations.push(o.clone());
            }
        }
    }
}

/// The managed-by label `buildMetadata: [managedByLabel]` adds.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kustomize-v5.5.0");

/// Top-level `buildMetadata`: the managed-by label, origin and transformation
/// annotations.
fn build_metadata(k: &Kustomization, res: &mut [Resource]) -> Result<()> {
    let opts: Vec<String> = k
        .strings("buildMetadata")?
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    let pos = k
        .field("buildMetadata")
        .map(|n| n.pos.clone())
        .unwrap_or_else(Pos::none);
    let has = |o: &str| opts.iter().any(|x| x == o);
    for r in res.iter_mut() {
        if has("managedByLabel") {
            if let Some(md) = r.node.ensure_map("metadata", &pos) {
                if let Some(l) = md.ensure_map("labels", &pos) {
                    l.set(MANAGED_BY.0, Node::str(MANAGED_BY.1, pos.clone()));
                }
            }
        }
        let mut annos: Vec<(&str, String)> = Vec::new();
        if has("originAnnotations") {
            if let Some(o) = &r.meta.origin_annotation {
                annos.push(("config.kubernetes.io/origin", o.clone()));
            }
        }
        if has("transformerAnnotations") && !r.meta.transformations.is_empty() {
            let mut text = String::new();
            for t in &r.meta.transformations {
                for (i, line) in t.lines().enumerate() {
                    text.push_str(if i == 0 { "- " } else { "  " });
                    text.push_str(line);
                    text.push('\n');
                }
            }
            annos.push(("alpha.config.kubernetes.io/transformations", text));
        }
        for (key, value) in annos {
            if let Some(md) = r.node.ensure_map("metadata", &pos) {
                if let Some(a) = md.ensure_map("annotations", &pos) {
                    a.set(key, Node::str(value, pos.clone()));
                }
            }
        }
    }
    Ok(())
}

/// kustomize rewrites `metadata.annotations` at output: an empty (or null) field
/// is dropped and every value becomes a string (non-scalars become "").
pub fn normalize_annotations(node: &mut Node) {
    let Some(meta) = node.get_mut("metadata") else {
        return;
    };
    let drop = match meta.get_mut("annotations") {
        None => false,
        Some(a) => match &mut a.value {
            Value::Null => true,
            Value::Seq(s) => s.is_empty(),
            Value::Map(m) => {
                for v in m.values_mut() {
                    // The value's source text when it was a plain scalar of
                    // another type (`0x1F`, `1.50`, `~`, a date).
                    let s = match (&v.value, &v.raw) {
                        (Value::Seq(_) | Value::Map(_), _) => String::new(),
                        (_, Some(raw)) => raw.to_string(),
                        (Value::Str(_), None) => continue,
                        (Value::Null, None) => String::new(),
                        _ => v.scalar_string().unwrap_or_default(),
                    };
                    v.value = Value::Str(s);
                    v.raw = None;
                }
                m.is_empty()
            }
            _ => false,
        },
    };
    if drop {
        meta.remove("annotations");
    }
}

fn find_nonfinite(n: &Node) -> Option<(f64, Pos)> {
    match &n.value {
        Value::Float(f) if !f.is_finite() => Some((*f, n.pos.clone())),
        Value::Seq(s) => s.iter().find_map(find_nonfinite),
        Value::Map(m) => m.values().find_map(find_nonfinite),
        _ => None,
    }
}

impl<'r> Acc<'r> {
    fn find_kustomization_file(&mut self, dir: &str, at: &Pos) -> Result<String> {
        let src = self.src;
        let mut found = Vec::new();
        for name in FILE_NAMES {
            let p = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            if src.entry(&p)? == Some(EntryKind::File) {
                found.push(p);
            }
        }
        let shown = if dir.is_empty() { "." } else { dir };
        match found.len() {
            0 => Err(Error::at(
                at,
                format!(
                    "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{shown}'"
                ),
            )),
            1 => Ok(found.remove(0)),
            _ => Err(Error::at(
                at,
                format!("found multiple kustomization files in directory '{shown}': {}", found.join(", ")),
            )),
        }
    }

    /// `openapi: {path: FILE}`: a custom schema replacing the built-in one for
    /// strategic merges, set by the top kustomization, else by the first
    /// kustomization met that has one (kustomize's `openapi.SetSchema`).
    fn custom_openapi(&mut self, k: &Kustomization) -> Result<()> {
        let Some(o) = k.field("openapi") else {
            return Ok(());
        };
        let Some(pnode) = o.get("path").filter(|p| !p.is_null()) else {
            return Ok(());
        };
        if o.get("version").is_some_and(|v| !v.is_null()) {
            return Err(Error::at(
                &o.pos,
                "builtin version and custom schema provided, cannot use both",
            ));
        }
        if !self.chain.is_empty() && patch::has_render_table() {
            return Ok(());
        }
        let entry = pnode.scalar_string().unwrap_or_default();
        let path = source::join(&k.dir, &entry).map_err(|e| e.or_at(&pnode.pos))?;
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
        let t = patch::SchemaTable::from_openapi(doc).map_err(|e| e.or_at(&pnode.pos))?;
        patch::set_render_table(Some(Arc::new(t)));
        Ok(())
    }

    /// kustomize's accumulateTarget: `res` is the accumulator (shared with
    /// components, fresh for bases).
    fn accumulate(
        &mut self,
        dir: &str,
        res: &mut Vec<Resource>,
        cfg: &mut TransformerConfig,
        expect: KustKind,
        at: &Pos,
    ) -> Result<Kustomization> {
        // Cycle detection: a candidate root that equals or contains a visited root.
        for visited in &self.chain {
            let contains =
                dir.is_empty() || visited == dir || visited.starts_with(&format!("{dir}/"));
            if contains {
                return Err(Error::at(
                    at,
                    format!(
                        "cycle detected: candidate root '{}' contains visited root '{}'",
                        if dir.is_empty() { "." } else { dir },
                        if visited.is_empty() { "." } else { visited }
                    ),
                ));
            }
        }
        self.budget.tick()?;
        let file = self.find_kustomization_file(dir, at)?;
        self.inputs.push(file.clone());
        let cached = self.r.kustomization(&file);
        let k = match &cached.1 {
            Ok(k) => k.clone(),
            Err(e) => return Err(e.clone()),
        };
        self.budget.charge(&file, cached.0)?;
        // Refused whatever the renderer (no fallback): remote content, helm,
        // plugins and functions; every path field confined to the repository.
        guard::check_refused(&k, self.src)?;
        guard::check_paths(&k)?;
        match (expect, k.kind) {
            (KustKind::Kustomization, KustKind::Component) => {
                return Err(Error::at(
                    at,
                    format!("'{file}': expected kind != 'Component' for path '{dir}'"),
                ))
            }
            (KustKind::Component, KustKind::Kustomization) => {
                return Err(Error::at(
                    at,
                    format!(
                    "'{file}': expected kind 'Component' for path '{dir}' but got 'Kustomization'"
                ),
                ))
            }
            _ => {}
        }
        if let Some((field, pos)) = k.unsupported() {
            return Err(Error::at(
                &pos,
                format!(
                    "'{field}' is not supported by the native renderer (use --renderer kustomize)"
                ),
            ));
        }
        if self.chain.is_empty() && !k.strings("buildMetadata")?.is_empty() {
            self.origin = Some(String::new());
        }
        self.custom_openapi(&k)?;
        self.chain.push(dir.to_string());
        let result = self.accumulate_body(&k, res, cfg);
        self.chain.pop();
        result?;
        Ok(k)
    }

    fn accumulate_body(
        &mut self,
        k: &Kustomization,
        res: &mut Vec<Resource>,
        cfg: &mut TransformerConfig,
    ) -> Result<()> {
        let src = self.src;
        // 1. resources
        let mut ids = IdIndex::default();
        for (entry, pos) in k.strings("resources")? {
            if guard::is_remote(&entry) {
                return Err(Error::at(
                    &pos,
                    format!("'resources' entry '{entry}' is remote: remote content is never fetched (vendor it into the repository)"),
                ));
            }
            let path = source::join(&k.dir, &entry).map_err(|e| e.or_at(&pos))?;
            match src.entry(&path).map_err(|e| e.or_at(&pos))? {
                Some(EntryKind::File) => {
                    let loaded = self.load_resources(&path).map_err(|e| e.or_at(&pos))?;
                    let origin = self
                        .origin
                        .as_ref()
                        .map(|o| format!("path: {}\n", yaml_scalar(&clean_join(o, &entry))));
                    for mut r in loaded {
                        r.meta.origin_annotation = origin.clone();
                        ids.append(res, r)?;
                    }
                }
                Some(EntryKind::Dir) => {
                    let mut sub = Vec::new();
                    let mut sub_cfg = TransformerConfig::default();
                    let saved = self.origin.clone();
                    self.origin = saved.as_ref().map(|o| clean_join(o, &entry));
                    let r = self.accumulate(
                        &path,
                        &mut sub,
                        &mut sub_cfg,
                        KustKind::Kustomization,
                        &pos,
                    );
                    self.origin = saved;
                    r?;
                    cfg.try_merge(&sub_cfg).map_err(|e| {
                        e.or_at(&pos)
                            .context(format!("recursed merging from path '{path}'"))
                    })?;
                    for r in sub {
                        ids.append(res, r)?;
                    }
                }
                Some(EntryKind::Submodule) => {
                    return Err(Error::at(
                        &pos,
                        format!("'{path}' is a git submodule, which cannot be rendered"),
                    ))
                }
                None => {
                    return Err(Error::at(
                        &pos,
                        format!("resource '{entry}' not found (no file or directory '{path}')"),
                    ))
                }
            }
        }
        // 2. configurations: the built-ins merged with this kustomization's files,
        // then merged into the accumulated configuration (kustomize fails there on
        // conflicting field specs).
        let mut files = Vec::new();
        let mut first_pos = None;
        for (entry, pos) in k.strings("configurations")? {
            let path = source::join(&k.dir, &entry).map_err(|e| e.or_at(&pos))?;
            self.inputs.push(path.clone());
            first_pos.get_or_insert(pos.clone());
            let parsed = self.r.parsed(&path);
            let docs = match &parsed.1 {
                Ok(d) => d,
                Err(e) => return Err(e.clone().or_at(&pos)),
            };
            self.budget
                .charge(&path, parsed.0)
                .map_err(|e| e.or_at(&pos))?;
            let mut one = TransformerConfig::default();
            for d in docs.iter().filter(|d| !d.is_null()) {
                one.try_merge(&TransformerConfig::parse(d)?)
                    .map_err(|e| e.or_at(&pos))?;
            }
            files.push(one);
        }
        let at = first_pos.unwrap_or_else(|| k.node.pos.clone());
        let own = TransformerConfig::with_configurations(&files).map_err(|e| e.or_at(&at))?;
        cfg.try_merge(&own)
            .map_err(|e| e.or_at(&at).context("merging config"))?;
        // crds: OpenAPI definitions whose annotated properties add field specs.
        let mut crd_cfg = TransformerConfig::default();
        for (entry, pos) in k.strings("crds")? {
            let path = source::join(&k.dir, &entry).map_err(|e| e.or_at(&pos))?;
            self.inputs.push(path.clone());
            let parsed = self.r.parsed(&path);
            let docs = match &parsed.1 {
                Ok(d) => d,
                Err(e) => return Err(e.clone().or_at(&pos)),
            };
            self.budget
                .charge(&path, parsed.0)
                .map_err(|e| e.or_at(&pos))?;
            for d in docs.iter().filter(|d| !d.is_null()) {
                let one = TransformerConfig::from_crd_definitions(d).map_err(|e| {
                    e.or_at(&pos).context(format!(
                        "unable to parse open API definition from '{entry}'"
                    ))
                })?;
                crd_cfg
                    .try_merge(&one)
                    .map_err(|e| e.or_at(&pos).context("loading CRDs"))?;
            }
        }
        cfg.try_merge(&crd_cfg)
            .map_err(|e| e.or_at(&at).context("merging CRDs"))?;
        // 3. generators
        let gen_origin = self
            .origin
            .as_ref()
            .map(|o| clean_join(o, &kust_file_name(k)));
        generators::run_generators_with_origin(
            k,
            src,
            res,
            &mut self.inputs,
            gen_origin.as_deref(),
        )?;
        // 4. components, on this accumulator
        for (entry, pos) in k.strings("components")? {
            if guard::is_remote(&entry) {
                return Err(Error::at(
                    &pos,
                    format!("'components' entry '{entry}' is remote: remote content is never fetched (vendor it into the repository)"),
                ));
            }
            let path = source::join(&k.dir, &entry).map_err(|e| e.or_at(&pos))?;
            match src.entry(&path)? {
                Some(EntryKind::Dir) => {
                    let saved = self.origin.clone();
                    self.origin = saved.as_ref().map(|o| clean_join(o, &entry));
                    let r = self.accumulate(&path, res, cfg, KustKind::Component, &pos);
                    self.origin = saved;
                    r?;
                }
                _ => {
                    return Err(Error::at(
                        &pos,
                        format!("component '{entry}' is not a directory ('{path}')"),
                    ))
                }
            }
        }
        // 5. builtin transformers, in kustomize's fixed order
        let budget = self.budget;
        budget.tick()?;
        let t_origin = self
            .origin
            .as_ref()
            .map(|o| clean_join(o, &kust_file_name(k)));
        let note = |res: &mut Vec<Resource>, kind: &str, n: usize| {
            if let Some(o) = &t_origin {
                note_transformer(res, o, kind, n);
            }
        };
        let count = |key: &str| k.field(key).and_then(|n| n.as_seq()).map_or(0, |s| s.len());
        let nonempty = |key: &str| match k.field(key).map(|n| &n.value) {
            None | Some(Value::Null) => false,
            Some(Value::Str(s)) => !s.is_empty(),
            Some(Value::Seq(s)) => !s.is_empty(),
            Some(Value::Map(m)) => !m.is_empty(),
            Some(_) => true,
        };
        patch::patches_strategic_merge(k, src, res, &mut self.inputs)?;
        drop_empty(res);
        note(
            res,
            "PatchStrategicMergeTransformer",
            nonempty("patchesStrategicMerge") as usize,
        );
        patch::patches(k, src, res, &mut self.inputs)?;
        drop_empty(res);
        budget.tick()?;
        note(res, "PatchTransformer", count("patches"));
        transformers::namespace(k, res, cfg)?;
        note(res, "NamespaceTransformer", nonempty("namespace") as usize);
        transformers::prefix_suffix(k, res, cfg)?;
        note(res, "PrefixTransformer", nonempty("namePrefix") as usize);
        note(res, "SuffixTransformer", nonempty("nameSuffix") as usize);
        transformers::labels(k, res, cfg)?;
        let labels = if nonempty("labels") || nonempty("commonLabels") {
            count("labels") + 1
        } else {
            0
        };
        note(res, "LabelTransformer", labels);
        transformers::annotations(k, res, cfg)?;
        budget.tick()?;
        note(
            res,
            "AnnotationsTransformer",
            nonempty("commonAnnotations") as usize,
        );
        patch::patches_json6902(k, src, res, &mut self.inputs)?;
        drop_empty(res);
        note(res, "PatchJson6902Transformer", count("patchesJson6902"));
        transformers::replicas(k, res, cfg)?;
        note(res, "ReplicaCountTransformer", count("replicas"));
        transformers::images(k, res, cfg)?;
        note(res, "ImageTagTransformer", count("images"));
        replacements::replacements(k, src, res, &mut self.inputs)?;
        budget.tick()?;
        note(
            res,
            "ReplacementTransformer",
            nonempty("replacements") as usize,
        );
        // 6. vars
        let vs = vars::collect(k, res)?;
        self.vars.extend(vs);
        Ok(())
    }

    /// Read a resource file: multi-document, `*List` kinds expanded, kind and name required.
    fn load_resources(&mut self, path: &str) -> Result<Vec<Resource>> {
        self.inputs.push(path.to_string());
        let parsed = self.r.parsed(path);
        let docs = match &parsed.1 {
            Ok(d) => d,
            Err(e) => return Err(e.clone()),
        };
        self.budget.charge(path, parsed.0)?;
        let mut out = Vec::new();
        for d in docs {
            if d.is_null() {
                continue;
            }
            if !d.is_map() {
                return Err(Error::at(
                    &d.pos,
                    format!("a resource must be a mapping, not a {}", d.type_name()),
                ));
            }
            let kind = d.str_at(&["kind"]).unwrap_or("");
            if kind.ends_with("List") && d.get("items").is_some() {
                let items = d.get("items").expect("items");
                match &items.value {
                    Value::Null => {}
                    Value::Seq(s) => {
                        for it in s {
                            if !it.is_map() {
                                return Err(Error::at(&it.pos, "List items must be mappings"));
                            }
                            out.push(check_resource(it.clone())?);
                        }
                    }
                    _ => return Err(Error::at(&items.pos, "List 'items' must be a sequence")),
                }
                continue;
            }
            out.push(check_resource(d.clone())?);
        }
        Ok(out)
    }
}

fn check_resource(n: Node) -> Result<Resource> {
    let kind = n.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    if kind.is_empty() {
        return Err(Error::at(&n.pos, "missing kind in object"));
    }
    let name = n
        .get_path(&["metadata", "name"])
        .and_then(|k| k.scalar_string())
        .unwrap_or_default();
    if name.is_empty() {
        return Err(Error::at(
            &n.pos,
            format!("missing metadata.name in object of kind {kind}"),
        ));
    }
    let origin = n.pos.clone();
    Ok(Resource::new(n, origin))
}

fn drop_empty(res: &mut Vec<Resource>) {
    res.retain(|r| r.node.as_map().map(|m| !m.is_empty()).unwrap_or(false));
}

/// Do two ids collide (same gvk and name, same effective namespace unless cluster-scoped)?
pub fn same_identity(a: &crate::model::ResId, b: &crate::model::ResId) -> bool {
    if a.gvk != b.gvk || a.name != b.name {
        return false;
    }
    super::scope::is_cluster_scoped(&a.gvk) || a.effective_namespace() == b.effective_namespace()
}

/// The identity [`same_identity`] compares: gvk, name, and the effective
/// namespace unless the kind is cluster-scoped.
type IdKey = (crate::model::Gvk, String, String);

fn id_key(id: crate::model::ResId) -> IdKey {
    let ns = if super::scope::is_cluster_scoped(&id.gvk) {
        String::new()
    } else if id.namespace.is_empty() {
        "default".to_string()
    } else {
        id.namespace
    };
    (id.gvk, id.name, ns)
}

/// The ids of an accumulator, for appending many resources in linear time.
/// Built on first use from the accumulator's current contents; valid as long as
/// the accumulator is only changed through [`IdIndex::append`].
#[derive(Default)]
pub struct IdIndex {
    ids: Option<HashMap<IdKey, usize>>,
}

impl IdIndex {
    /// [`append`], without rescanning `res`.
    pub fn append(&mut self, res: &mut Vec<Resource>, r: Resource) -> Result<()> {
        let ids = self.ids.get_or_insert_with(|| {
            let mut m = HashMap::with_capacity(res.len());
            for (i, x) in res.iter().enumerate() {
                m.entry(id_key(x.id())).or_insert(i);
            }
            m
        });
        let key = id_key(r.id());
        if let Some(&i) = ids.get(&key) {
            return Err(Error::at(
                &r.origin,
                format!(
                    "may not add resource with an already registered id: {} (also defined at {})",
                    r.id(),
                    res[i].origin
                ),
            ));
        }
        ids.insert(key, res.len());
        res.push(r);
        Ok(())
    }
}

/// Append a resource, refusing an id that is already registered.
pub fn append(res: &mut Vec<Resource>, r: Resource) -> Result<()> {
    let id = r.id();
    if let Some(existing) = res.iter().find(|x| same_identity(&x.id(), &id)) {
        return Err(Error::at(
            &r.origin,
            format!(
                "may not add resource with an already registered id: {id} (also defined at {})",
                existing.origin
            ),
        ));
    }
    res.push(r);
    Ok(())
}
