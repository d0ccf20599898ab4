//! The build pipeline: kustomize's `accumulateTarget` per kustomization, then the
//! top-level steps (hash suffixes, name references, vars, local-config, sort).

use super::config::TransformerConfig;
use super::guard::{self, Budget, Guarded};
use super::kustomization::{KustKind, Kustomization, FILE_NAMES};
use super::remote::{Mounted, Remotes, MOUNT_PREFIX};
use super::{generators, nameref, patch, replacements, sort, transformers, vars};
use crate::error::{Error, ErrorKind, Result};
use crate::model::Resource;
use crate::source::{self, EntryKind, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Pos, Value};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

mod ids;
mod metadata;
mod openapi;
mod remote_base;
pub(crate) mod restrict;

use ids::*;
pub use ids::{append, same_identity, IdIndex};
use metadata::*;
pub use metadata::{clean_join, normalize_annotations};
pub use restrict::LoadRestrictor;

/// Rendering options.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Parse limits for every file read (`max_file_bytes` is the per-file cap).
    pub limits: crate::yaml::Limits,
    /// Most bytes one render may read, all files together.
    pub max_render_bytes: u64,
    /// Wall-clock budget of one render (one overlay); `None`: unlimited.
    pub timeout: Option<std::time::Duration>,
    /// Most nodes of one overlay's rendered tree, enforced while transformations run.
    pub max_output_nodes: u64,
    /// Most bytes (keys and scalars) of one overlay's rendered tree.
    pub max_output_bytes: u64,
    /// Address-space limit (`RLIMIT_AS`) of the external renderer's process.
    pub external_max_memory: u64,
    /// Which files a kustomization may load: [`LoadRestrictor::RootOnly`] (the
    /// default, as `kustomize build`) or [`LoadRestrictor::None`] (as Flux builds).
    pub load_restrictor: LoadRestrictor,
}

/// The default per-render byte budget (64 MiB).
pub const DEFAULT_MAX_RENDER_BYTES: u64 = 64 << 20;
/// The default wall-clock budget per overlay.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The fields of the namespace, prefix/suffix, label and annotation steps.
const TRANSFORMER_KEYS: &[&str] = &[
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "commonLabels",
    "commonAnnotations",
];

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            limits: crate::yaml::Limits::default(),
            max_render_bytes: DEFAULT_MAX_RENDER_BYTES,
            timeout: Some(DEFAULT_TIMEOUT),
            max_output_nodes: guard::DEFAULT_MAX_OUTPUT_NODES,
            max_output_bytes: guard::DEFAULT_MAX_OUTPUT_BYTES,
            external_max_memory: crate::kustomize::external::DEFAULT_MAX_MEMORY,
            load_restrictor: LoadRestrictor::default(),
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
    /// `src` with the run's remote bases mounted in (see [`super::remote`]).
    view: Mounted<'s>,
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
    /// Inside a remote base: the `repo:`/`ref:` lines of its origin.
    origin_repo: Option<String>,
    /// A kustomization named the built-in OpenAPI version (`openapi: {version:}`),
    /// which, like a custom schema, later kustomizations do not replace.
    builtin_openapi: bool,
}

impl<'s> Renderer<'s> {
    /// A renderer reading from `src`.
    pub fn new(src: &'s dyn Source, opts: RenderOptions) -> Renderer<'s> {
        Renderer {
            src,
            view: Mounted {
                inner: src,
                remotes: None,
            },
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

    /// Render remote bases admitted by `remotes` (fetched once per run and
    /// read from the cache); `None` (the default) refuses every remote base.
    pub fn with_remotes(mut self, remotes: Option<Arc<Remotes>>) -> Renderer<'s> {
        self.view.remotes = remotes;
        self
    }

    /// Whether remote bases are fetched (`--fetch-remote`).
    pub fn fetches_remote(&self) -> bool {
        self.view.remotes.is_some()
    }

    /// The repository's source (without remote bases).
    pub fn source(&self) -> &dyn Source {
        self.src
    }

    /// The options renders use.
    pub fn options(&self) -> &RenderOptions {
        &self.opts
    }

    /// Use `k` for its file instead of reading and parsing that file: a GitOps
    /// controller's in-memory edit of a kustomization (Flux's and Argo CD's
    /// overrides), whose nodes keep the positions they came from. The file must
    /// still exist in the source (or a virtual overlay of it).
    pub fn preload_kustomization(&self, k: Kustomization) {
        self.kusts
            .lock()
            .expect("cache")
            .insert(k.file.clone(), Arc::new((0, Ok(k))));
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
        let guarded: Guarded = crate::source::Checked {
            inner: &self.view,
            check: &budget,
        };
        let mut acc = Acc {
            inputs: Vec::new(),
            chain: Vec::new(),
            vars: Vec::new(),
            r: self,
            src: &guarded,
            budget: &budget,
            origin: None,
            origin_repo: None,
            builtin_openapi: false,
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
        let _output =
            guard::OutputScope::new(&dir, self.opts.max_output_nodes, self.opts.max_output_bytes);
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
        guard::check_output_tree(res.iter().map(|r| &r.node), &k.file, "vars")?;
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
            // The closure is the repository's: remote bases are pinned by
            // the kustomization line that names them, which is an input.
            inputs: acc
                .inputs
                .into_iter()
                .filter(|p| !p.starts_with(MOUNT_PREFIX))
                .collect(),
            opaque: false,
        })
    }

    fn parsed(&self, path: &str) -> Parsed {
        if let Some(p) = self.files.lock().expect("cache").get(path) {
            return p.clone();
        }
        let mut size = 0;
        let result = self.view.read(path).and_then(|bytes| {
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
                            let mut o = ParseOptions::kyaml();
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
            )
            .kind(ErrorKind::Budget));
        }
        Ok(())
    }

    fn kustomization(&self, file: &str) -> ParsedKust {
        if let Some(k) = self.kusts.lock().expect("cache").get(file) {
            return k.clone();
        }
        let mut size = 0;
        let result = self
            .view
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
        guard::check_refused_with(&k, self.src, self.r.view.remotes.is_some())?;
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
            )
            .kind(ErrorKind::Unsupported));
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
        let rule = self.r.opts.load_restrictor;
        let local = restrict::restricted(self.src, &k.dir, rule);
        let src: &dyn Source = &local;
        // 1. resources
        let mut ids = IdIndex::default();
        for (entry, pos) in k.strings("resources")? {
            let remote = self.remote_dir(&entry, &pos, "resources")?;
            let path = match &remote {
                Some(r) => r.dir.clone(),
                None => source::join(&k.dir, &entry).map_err(|e| e.or_at(&pos))?,
            };
            match src.entry(&path).map_err(|e| e.or_at(&pos))? {
                Some(EntryKind::File) => {
                    restrict::check(rule, &k.dir, &path).map_err(|mut e| {
                        // kustomize then tries the file as a base, which fails too.
                        e.msg = format!("accumulating resources from '{entry}': {}: must build at directory: '{path}': file is not directory", e.msg);
                        e.or_at(&pos)
                    })?;
                    let loaded = self.load_resources(&path).map_err(|e| e.or_at(&pos))?;
                    let origin = self.origin.as_ref().map(|o| {
                        format!(
                            "path: {}\n{}",
                            yaml_scalar(&clean_join(o, &entry)),
                            self.origin_repo.as_deref().unwrap_or("")
                        )
                    });
                    for mut r in loaded {
                        guard::charge_copy(&r.node, &pos, || format!("'{entry}'"))?;
                        r.meta.origin_annotation = origin.clone();
                        ids.append(res, r)?;
                    }
                }
                Some(EntryKind::Dir) => {
                    let mut sub = Vec::new();
                    let mut sub_cfg = TransformerConfig::default();
                    let saved = self.enter(&entry, remote.as_ref());
                    let base = guard::enter_base();
                    let r = self.accumulate(
                        &path,
                        &mut sub,
                        &mut sub_cfg,
                        KustKind::Kustomization,
                        &pos,
                    );
                    drop(base);
                    self.leave(saved);
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
            restrict::check(rule, &k.dir, &path).map_err(|e| e.or_at(&pos))?;
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
            restrict::check(rule, &k.dir, &path).map_err(|e| e.or_at(&pos))?;
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
        let before = res.len();
        generators::run_generators_with_origin(
            k,
            src,
            res,
            &mut self.inputs,
            gen_origin.as_deref(),
        )?;
        // Inside a remote base, a generated resource's origin names the repository too.
        if let Some(repo) = &self.origin_repo {
            for r in res.iter_mut().skip(before) {
                if let Some(o) = r.meta.origin_annotation.as_mut() {
                    if o.starts_with("configuredIn:") {
                        o.insert_str(0, repo);
                    }
                }
            }
        }
        // 4. components, on this accumulator
        for (entry, pos) in k.strings("components")? {
            let remote = self.remote_dir(&entry, &pos, "components")?;
            let path = match &remote {
                Some(r) => r.dir.clone(),
                None => source::join(&k.dir, &entry).map_err(|e| e.or_at(&pos))?,
            };
            match src.entry(&path)? {
                Some(EntryKind::Dir) => {
                    let saved = self.enter(&entry, remote.as_ref());
                    let r = self.accumulate(&path, res, cfg, KustKind::Component, &pos);
                    self.leave(saved);
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
        // The tree is measured again after each step that can grow it; a step
        // whose fields (`keys`) are all absent changed nothing, so the last
        // measurement stands (re-measuring every resource at every level of a
        // deep overlay was a tenth of `render --all`).
        let out = |res: &Vec<Resource>, step: &str, keys: &[&str]| {
            if !keys.is_empty() && keys.iter().all(|key| k.field(key).is_none()) {
                return Ok(());
            }
            guard::check_output_tree(res.iter().map(|r| &r.node), &k.file, step)
        };
        out(res, "its resources", &[])?;
        let budget = self.budget;
        budget.tick()?;
        let t_origin = self
            .origin
            .as_ref()
            .map(|o| clean_join(o, &kust_file_name(k)));
        let t_repo = self.origin_repo.clone();
        let note = |res: &mut Vec<Resource>, kind: &str, n: usize| {
            if let Some(o) = &t_origin {
                note_transformer(res, t_repo.as_deref(), o, kind, n);
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
        out(res, "'patches'", &["patchesStrategicMerge", "patches"])?;
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
        out(res, "labels and annotations", TRANSFORMER_KEYS)?;
        note(
            res,
            "AnnotationsTransformer",
            nonempty("commonAnnotations") as usize,
        );
        patch::patches_json6902(k, src, res, &mut self.inputs)?;
        drop_empty(res);
        note(res, "PatchJson6902Transformer", count("patchesJson6902"));
        out(res, "'patchesJson6902'", &["patchesJson6902"])?;
        transformers::replicas(k, res, cfg)?;
        note(res, "ReplicaCountTransformer", count("replicas"));
        transformers::images(k, res, cfg)?;
        note(res, "ImageTagTransformer", count("images"));
        replacements::replacements(k, src, res, &mut self.inputs)?;
        budget.tick()?;
        out(
            res,
            "'replacements'",
            &["replicas", "images", "replacements"],
        )?;
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
