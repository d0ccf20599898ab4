//! What the external renderer may read, collected and checked before it runs:
//! every kustomization reachable from the directory and every file one names,
//! each read once (charged to the render's byte and time budgets) and, when
//! kustomize parses it as YAML, parsed by the native parser under its limits
//! (size, alias expansion, nesting, documents). Inline patches are parsed too.
//! Only these files are copied for the external renderer, so it can read
//! nothing that was not checked.

use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::guard::{self, Budget};
use crate::kustomize::kustomization::{Kustomization, FILE_NAMES};
use crate::kustomize::RenderOptions;
use crate::source::{self, EntryKind, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Most kustomizations one external render may reach.
pub const MAX_KUSTOMIZATIONS: usize = 1_000;
/// Most files one external render may read (and the copy may hold).
pub const MAX_FILES: usize = 20_000;

/// The checked input of one external render: directories and files (with their
/// bytes) at their repository paths.
#[derive(Debug, Default)]
pub struct Closure {
    /// Every directory holding a reachable kustomization.
    pub dirs: BTreeSet<String>,
    /// Every file the external renderer may read.
    pub files: BTreeMap<String, Arc<[u8]>>,
    /// Every secret value among them (Secret documents, secretGenerator
    /// literals, files and env lines), to redact from what kustomize prints.
    pub secrets: Vec<String>,
}

/// Scalars of a Secret-like document, except its structure (kind, names...).
fn secret_scalars(n: &Node, top: bool, out: &mut Vec<String>) {
    match &n.value {
        Value::Map(m) => {
            for (k, v) in m {
                let structural = top && matches!(k.as_str(), "apiVersion" | "kind" | "type");
                if structural {
                    continue;
                }
                if top && k == "metadata" {
                    for (mk, mv) in v.as_map().into_iter().flatten() {
                        if !matches!(mk.as_str(), "name" | "namespace" | "labels") {
                            secret_scalars(mv, false, out);
                        }
                    }
                    continue;
                }
                secret_scalars(v, false, out);
            }
        }
        Value::Seq(items) => items.iter().for_each(|v| secret_scalars(v, false, out)),
        _ => {
            if let Some(s) = n.scalar_string() {
                use base64::Engine;
                if let Ok(b) = base64::engine::general_purpose::STANDARD.decode(s.trim()) {
                    out.extend(String::from_utf8(b).ok());
                }
                out.push(s);
            }
        }
    }
}

/// Lines of a generator input, and the value part of each `KEY=value` line.
fn input_values(text: &str, out: &mut Vec<String>) {
    out.push(text.to_string());
    for l in text.lines() {
        out.push(l.to_string());
        if let Some((k, v)) = l.split_once('=') {
            out.push(k.to_string());
            out.push(v.to_string());
        }
    }
}

/// Fields whose files kustomize parses as YAML (generator inputs are data).
fn parsed_as_yaml(field: &str) -> bool {
    !matches!(field, "configMapGenerator" | "secretGenerator")
}

/// Fields naming directories that hold kustomizations to follow.
fn follows_dirs(field: &str) -> bool {
    matches!(
        field,
        "resources" | "components" | "bases" | "generators" | "transformers" | "validators"
    )
}

fn too_many(dir: &str, what: &str, n: usize) -> Error {
    let shown = if dir.is_empty() { "." } else { dir };
    Error::in_file(
        shown,
        format!("rendering '{shown}' with the external kustomize reaches more than {n} {what}"),
    )
    .kind(ErrorKind::Budget)
}

struct Walk<'a> {
    src: &'a dyn Source,
    budget: &'a Budget,
    opts: ParseOptions,
    top: &'a str,
    out: Closure,
}

impl Walk<'_> {
    /// Read `path` once, charged to the budget; YAML-parse it when `yaml`.
    fn file(&mut self, path: &str, yaml: bool) -> Result<()> {
        if self.out.files.contains_key(path) {
            return Ok(());
        }
        if self.out.files.len() >= MAX_FILES {
            return Err(too_many(self.top, "files", MAX_FILES));
        }
        self.budget.tick()?;
        let bytes = self.src.read(path)?;
        self.budget.charge(path, bytes.len() as u64)?;
        if yaml {
            let text = decode(&bytes, path)?;
            for d in parse_stream(&text, path, &self.opts)? {
                if d.str_at(&["kind"]).is_some_and(|k| k.contains("Secret")) {
                    secret_scalars(&d, true, &mut self.out.secrets);
                }
            }
        }
        self.out.files.insert(path.to_string(), bytes);
        Ok(())
    }

    /// Inline patches: YAML text kustomize parses, held in the kustomization.
    fn inline_patches(&self, k: &Kustomization) -> Result<()> {
        let mut texts: Vec<&Node> = Vec::new();
        for field in ["patches", "patchesJson6902"] {
            for item in k
                .field(field)
                .and_then(|v| v.as_seq())
                .into_iter()
                .flatten()
            {
                texts.extend(item.get("patch").filter(|p| p.as_str().is_some()));
            }
        }
        let psm = k.field("patchesStrategicMerge").and_then(|v| v.as_seq());
        for item in psm.into_iter().flatten() {
            if item
                .as_str()
                .is_some_and(|s| s.contains('\n') || s.contains(": "))
            {
                texts.push(item);
            }
        }
        for n in texts {
            if let Value::Str(s) = &n.value {
                self.budget.tick()?;
                parse_stream(s, &k.file, &self.opts).map_err(|e| e.or_at(&n.pos))?;
            }
        }
        Ok(())
    }

    /// secretGenerator literals and file sources: whole, and their parts.
    fn generator_literals(&mut self, k: &Kustomization) {
        let gens = k.field("secretGenerator").and_then(|v| v.as_seq());
        for g in gens.into_iter().flatten() {
            let lits = g.get("literals").and_then(|l| l.as_seq());
            let files = g.get("files").and_then(|l| l.as_seq());
            for l in lits
                .into_iter()
                .flatten()
                .chain(files.into_iter().flatten())
            {
                if let Some(s) = l.scalar_string() {
                    input_values(&s, &mut self.out.secrets);
                }
            }
        }
    }

    /// One kustomization directory: its file(s), then everything it names.
    fn dir(&mut self, d: &str, stack: &mut Vec<String>) -> Result<()> {
        let mut found = Vec::new();
        for name in FILE_NAMES {
            let p = if d.is_empty() {
                name.to_string()
            } else {
                format!("{d}/{name}")
            };
            if self.src.entry(&p)? == Some(EntryKind::File) {
                found.push(p);
            }
        }
        // kustomize refuses a directory with several; copying them all keeps that.
        for p in &found {
            self.file(p, false)?;
        }
        let Some(file) = found.first() else {
            return Ok(());
        };
        let text = decode(&self.out.files[file], file)?;
        let k = Kustomization::parse(&text, file)?;
        guard::check_refused(&k, self.src)?;
        guard::check_paths(&k)?;
        self.inline_patches(&k)?;
        self.generator_literals(&k);
        for (field, p, pos) in guard::paths(&k) {
            let path = source::join(&k.dir, &p).map_err(|e| e.or_at(&pos))?;
            match self.src.entry(&path).map_err(|e| e.or_at(&pos))? {
                Some(EntryKind::File) => {
                    self.file(&path, parsed_as_yaml(&field))
                        .map_err(|e| e.or_at(&pos))?;
                    if field == "secretGenerator" {
                        let text = String::from_utf8_lossy(&self.out.files[&path]).into_owned();
                        input_values(&text, &mut self.out.secrets);
                    }
                }
                Some(EntryKind::Dir) if follows_dirs(&field) => stack.push(path.clone()),
                _ => {} // kustomize reports what is missing
            }
            if is_plugin_field(&field) {
                let mut seen = BTreeSet::new();
                self.plugin_inputs(&k.dir, &path, &mut seen)?;
            }
        }
        Ok(())
    }

    /// The inputs of builtin generator and transformer configurations reached
    /// through `entry` (a configuration file, or a kustomization whose
    /// resources are configurations): kustomize resolves their `envs`,
    /// `files`, `env` and `path` against the kustomization *using* them
    /// (`user`), not against the directory holding the configuration.
    fn plugin_inputs(
        &mut self,
        user: &str,
        entry: &str,
        seen: &mut BTreeSet<String>,
    ) -> Result<()> {
        if !seen.insert(entry.to_string()) || seen.len() > MAX_KUSTOMIZATIONS {
            return Ok(());
        }
        let docs = match self.src.entry(entry)? {
            Some(EntryKind::File) => {
                self.file(entry, true)?;
                let text = decode(&self.out.files[entry], entry)?;
                parse_stream(&text, entry, &self.opts)?
            }
            Some(EntryKind::Dir) => {
                for name in FILE_NAMES {
                    let p = source::join(entry, name)?;
                    if self.src.entry(&p)? != Some(EntryKind::File) {
                        continue;
                    }
                    self.file(&p, false)?;
                    let k = Kustomization::parse(&decode(&self.out.files[&p], &p)?, &p)?;
                    let res = k.field("resources").and_then(|v| v.as_seq());
                    for n in res.into_iter().flatten() {
                        let Some(r) = n.as_str() else { continue };
                        let child = source::join(&k.dir, r).map_err(|e| e.or_at(&n.pos))?;
                        self.plugin_inputs(user, &child, seen)?;
                    }
                    break;
                }
                return Ok(());
            }
            _ => return Ok(()),
        };
        for doc in &docs {
            let secret = doc.str_at(&["kind"]).is_some_and(|k| k.contains("Secret"));
            for rel in plugin_input_paths(doc) {
                let Ok(path) = source::join(user, &rel) else {
                    continue; // kustomize refuses it; the copy holds nothing more
                };
                if self.src.entry(&path)? == Some(EntryKind::File) {
                    self.file(&path, false)?;
                    if secret {
                        let text = String::from_utf8_lossy(&self.out.files[&path]).into_owned();
                        input_values(&text, &mut self.out.secrets);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Fields whose entries may be builtin plugin configurations.
fn is_plugin_field(field: &str) -> bool {
    matches!(field, "generators" | "transformers" | "validators")
}

/// The paths a builtin plugin configuration reads: generator `envs`, `env`
/// and `files` (`key=path` or `path`), and a transformer's `path`.
fn plugin_input_paths(doc: &Node) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["envs", "files"] {
        for item in doc
            .get(field)
            .and_then(|v| v.as_seq())
            .into_iter()
            .flatten()
        {
            if let Some(s) = item.as_str() {
                let p = s.split_once('=').map_or(s, |(_, p)| p);
                out.push(p.to_string());
            }
        }
    }
    for field in ["env", "path"] {
        if let Some(s) = doc.get(field).and_then(|v| v.as_str()) {
            out.push(s.to_string());
        }
    }
    out
}

/// Walk every kustomization reachable from `dir` and check every file the
/// external renderer may read (see the module documentation).
pub fn collect(
    src: &dyn Source,
    dir: &str,
    opts: &RenderOptions,
    budget: &Budget,
) -> Result<Closure> {
    let mut parse = ParseOptions::resource();
    parse.limits = opts.limits;
    let mut w = Walk {
        src,
        budget,
        opts: parse,
        top: dir,
        out: Closure::default(),
    };
    let mut stack = vec![dir.to_string()];
    while let Some(d) = stack.pop() {
        if w.out.dirs.contains(&d) {
            continue;
        }
        if w.out.dirs.len() >= MAX_KUSTOMIZATIONS {
            return Err(too_many(dir, "kustomizations", MAX_KUSTOMIZATIONS));
        }
        budget.tick()?;
        w.out.dirs.insert(d.clone());
        w.dir(&d, &mut stack)?;
    }
    Ok(w.out)
}
