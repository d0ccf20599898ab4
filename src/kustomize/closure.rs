//! The static closure of a kustomization: every repository path its
//! kustomization files name, followed recursively through local
//! kustomizations, with symlinks resolved. It is computed from the
//! kustomization files alone (no rendering), so it exists even for an overlay
//! that fails to render, and tells whether a change can reach that overlay.
//!
//! Parsing here is tolerant: a kustomization the renderer would reject still
//! contributes every path it names. An unreadable or unparsable file makes
//! the closure unknown (fail closed: every change reaches it). Remote entries
//! are collected, never followed.

use super::kustomization::FILE_NAMES;
use super::remote::is_remote;
use crate::source::{file_name, join, parent, EntryKind, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Value};
use std::collections::BTreeSet;

/// Most kustomization files one closure follows.
pub const MAX_KUSTOMIZATIONS: usize = 4096;
/// Most paths one closure records.
pub const MAX_PATHS: usize = 100_000;

/// The static closure of one kustomization directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Closure {
    /// Every path named (files, kustomization files, missing paths that
    /// would be read if created), with each symlink followed and its target.
    pub paths: BTreeSet<String>,
    /// Directories whose whole content is an input (helm chart homes).
    pub trees: BTreeSet<String>,
    /// Every kustomization directory followed (the overlay's own first).
    pub kustomizations: BTreeSet<String>,
    /// Remote references, as written.
    pub remote: Vec<String>,
    /// The closure is not fully known (a cap was hit, or a kustomization file
    /// cannot be read or parsed, so what it names is unknown): any change
    /// reaches it.
    pub unknown: bool,
}

impl Closure {
    /// Whether a change to `changed` (paths already resolved through
    /// symlinks at both revisions) reaches this closure: a changed path is in
    /// it or under one of its trees, or a kustomization file is added,
    /// removed or renamed in one of its kustomization directories.
    pub fn reached_by(&self, changed: &BTreeSet<String>) -> bool {
        if self.unknown {
            return !changed.is_empty();
        }
        changed.iter().any(|c| {
            self.paths.contains(c)
                || self.trees.iter().any(|t| under(c, t))
                || (FILE_NAMES.contains(&file_name(c)) && self.kustomizations.contains(parent(c)))
        })
    }
}

/// Whether `path` is `dir` or below it.
fn under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// What one kustomization directory adds to a closure: a function of the
/// directory alone, so it is computed once per source however many overlays
/// share it ([`Closures`]).
#[derive(Debug, Default)]
pub(crate) struct Step {
    /// The directory's own path with the links followed to it.
    trace: Vec<String>,
    /// Its symlink-free path.
    pub(crate) phys: String,
    /// Its kustomization file, when it has one.
    pub(crate) file: Option<String>,
    /// `kind: Component`.
    pub(crate) component: bool,
    /// The symlink-free path of every `resources`/`bases`/`components`/plugin
    /// entry (what makes another kustomization "referenced").
    pub(crate) refs: Vec<String>,
    /// Paths named (with their traces), in order.
    paths: Vec<String>,
    /// Directories read as a whole.
    trees: Vec<String>,
    /// Remote references, as written.
    remote: Vec<String>,
    /// Plugin configuration files read to find the paths they name (with
    /// their traces): besides the kustomization file, the only file contents
    /// the step depends on.
    configs: Vec<String>,
    /// Its kustomization file cannot be read or parsed, or a plugin configuration.
    unknown: bool,
    /// Kustomization directories to follow, in order.
    children: Vec<String>,
}

impl Step {
    /// Whether the change `changed` (resolved at both revisions) can make
    /// this step different at the other revision ([`Closures::reusing`]).
    fn altered_by(&self, d: &str, changed: &BTreeSet<String>) -> bool {
        self.trace
            .iter()
            .chain(&self.configs)
            .any(|p| changed.contains(p))
            || self.reached_by(d, changed)
    }

    /// Whether a change to `changed` reaches what this step names besides
    /// its own trace (the checks of [`Closure::reached_by`], for one step).
    fn reached_by(&self, d: &str, changed: &BTreeSet<String>) -> bool {
        self.unknown
            || self.paths.iter().any(|p| changed.contains(p))
            || changed.iter().any(|c| {
                self.trees.iter().any(|t| under(c, t))
                    || (FILE_NAMES.contains(&file_name(c))
                        && (parent(c) == d || parent(c) == self.phys))
            })
    }
}

/// Static closures of one source, each directory's part computed once: for the
/// thousands of overlays of a monorepo sharing a few bases and components.
pub struct Closures<'a> {
    src: &'a dyn Source,
    steps: std::sync::RwLock<std::collections::HashMap<String, std::sync::Arc<Step>>>,
    /// The other revision's closures and the paths changed between the two,
    /// resolved at both ([`Closures::reusing`]).
    reuse: Option<(&'a Closures<'a>, &'a BTreeSet<String>)>,
}

impl<'a> Closures<'a> {
    /// An empty cache over `src`.
    pub fn new(src: &'a dyn Source) -> Closures<'a> {
        Closures {
            src,
            steps: Default::default(),
            reuse: None,
        }
    }

    /// An empty cache over `src` that takes each step from `other` (the
    /// other revision) unless the change `changed` (every changed path,
    /// resolved through symlinks at both revisions, as for
    /// [`Closures::reaches`]) can alter it: its directory's trace, a path it
    /// names or a plugin configuration it read changed, something changed
    /// under a tree it reads, or a kustomization file appeared or vanished
    /// in its directory. A step is a function of exactly those (the listing
    /// of its directory for kustomization file names, the kinds of the paths
    /// it names, the contents of its kustomization file and plugin
    /// configurations, the links along each path), so the reused step is the
    /// one reading `src` would give; this is the same reasoning that lets a
    /// change not reaching an overlay leave its render alone.
    pub fn reusing(
        src: &'a dyn Source,
        other: &'a Closures<'a>,
        changed: &'a BTreeSet<String>,
    ) -> Closures<'a> {
        Closures {
            reuse: Some((other, changed)),
            ..Closures::new(src)
        }
    }

    /// The source the closures are of.
    pub fn source(&self) -> &'a dyn Source {
        self.src
    }

    pub(crate) fn step(&self, d: &str) -> std::sync::Arc<Step> {
        use std::sync::PoisonError;
        if let Some(s) = self
            .steps
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(d)
        {
            return s.clone();
        }
        let s = match self.reuse {
            Some((other, changed)) => {
                let o = other.step(d);
                if o.altered_by(d, changed) {
                    std::sync::Arc::new(step(self.src, d))
                } else {
                    o
                }
            }
            None => std::sync::Arc::new(step(self.src, d)),
        };
        self.steps
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(d.to_string(), s.clone());
        s
    }

    /// Whether the change `changed` (resolved through symlinks) reaches the
    /// kustomization in `dir`: `self.closure(dir).reached_by(changed)`,
    /// without building the closure (each step is checked as it is followed).
    /// The path cap counts the paths of every step followed, so it is reached
    /// no later than the closure's (fail closed).
    pub fn reaches(&self, dir: &str, changed: &BTreeSet<String>) -> bool {
        if changed.is_empty() {
            return false;
        }
        let mut queue = vec![dir.to_string()];
        let mut seen_phys = BTreeSet::new();
        let mut kustomizations = BTreeSet::new();
        let mut paths = 0usize;
        while let Some(d) = queue.pop() {
            if kustomizations.len() >= MAX_KUSTOMIZATIONS || paths >= MAX_PATHS {
                return true;
            }
            let s = self.step(&d);
            if s.trace.iter().any(|p| changed.contains(p)) {
                return true;
            }
            paths += s.trace.len();
            if !seen_phys.insert(s.phys.clone()) {
                continue;
            }
            if s.reached_by(&d, changed) {
                return true;
            }
            paths += s.paths.len();
            kustomizations.insert(s.phys.clone());
            kustomizations.insert(d);
            queue.extend(s.children.iter().cloned());
        }
        false
    }

    /// The static closure of the kustomization in `dir`.
    pub fn closure(&self, dir: &str) -> Closure {
        let mut c = Closure::default();
        let mut queue = vec![dir.to_string()];
        let mut seen_phys = BTreeSet::new();
        while let Some(d) = queue.pop() {
            if c.kustomizations.len() >= MAX_KUSTOMIZATIONS || c.paths.len() >= MAX_PATHS {
                c.unknown = true;
                break;
            }
            let s = self.step(&d);
            c.paths.extend(s.trace.iter().cloned());
            if !seen_phys.insert(s.phys.clone()) {
                continue;
            }
            c.kustomizations.insert(d);
            c.kustomizations.insert(s.phys.clone());
            c.paths.extend(s.paths.iter().cloned());
            c.trees.extend(s.trees.iter().cloned());
            c.remote.extend(s.remote.iter().cloned());
            c.unknown |= s.unknown;
            queue.extend(s.children.iter().cloned());
        }
        c
    }
}

/// The static closure of the kustomization in `dir` (one directory's closure;
/// use [`Closures`] for many).
pub fn closure(src: &dyn Source, dir: &str) -> Closure {
    Closures::new(src).closure(dir)
}

/// What the kustomization in `d` adds to a closure.
fn step(src: &dyn Source, d: &str) -> Step {
    let mut s = Step {
        trace: src.trace(d),
        phys: physical(src, d),
        ..Step::default()
    };
    let add = |s: &mut Step, p: &str| s.paths.extend(src.trace(p));
    let Some(file) = kustomization_file(src, d) else {
        // Every name a kustomization file could take, so creating one reaches.
        for n in FILE_NAMES {
            add(&mut s, &child(d, n));
        }
        return s;
    };
    add(&mut s, &file);
    s.file = Some(file.clone());
    let Some(doc) = read_doc(src, &file) else {
        s.unknown = true;
        return s;
    };
    s.component = doc.str_at(&["kind"]) == Some("Component");
    let mut refs = references(&doc, d);
    refs.extend(plugin_config_refs(src, &doc, d, &mut s));
    for r in refs {
        match r {
            Ref::Remote(x) => s.remote.push(x),
            Ref::Tree(p) => {
                add(&mut s, &p);
                s.trees.push(physical(src, &p));
                s.trees.push(p);
            }
            Ref::File(p) => add(&mut s, &p),
            Ref::Any(p) => {
                add(&mut s, &p);
                s.refs.push(physical(src, &p));
                match src.entry(&p).ok().flatten() {
                    Some(EntryKind::Dir) => s.children.push(p),
                    // Missing: creating it, as a file or as a kustomization, reaches.
                    None => s.trees.push(p),
                    Some(_) => {}
                }
            }
        }
    }
    s
}

/// The paths named inside plugin configurations (`generators`,
/// `transformers`, `validators`: files, or inline YAML): a PatchTransformer's
/// `path`, a generator's `files`/`envs`, a ReplacementTransformer's
/// `replacements[].path`, … all relative to the kustomization directory. An
/// unreadable or unparsable configuration file makes the closure unknown.
fn plugin_config_refs(src: &dyn Source, doc: &Node, dir: &str, c: &mut Step) -> Vec<Ref> {
    let mut configs: Vec<Node> = Vec::new();
    for section in PLUGIN_SECTIONS {
        for s in strings(doc.get(section)) {
            let parsed = if s.contains('\n') {
                parse_stream(s, dir, &ParseOptions::resource()).ok()
            } else {
                let Ok(p) = join(dir, s.trim()) else { continue };
                if is_remote(s) || src.entry(&p).ok().flatten() != Some(EntryKind::File) {
                    continue; // remote, a directory (followed as a kustomization) or missing
                }
                c.configs.extend(src.trace(&p));
                src.read(&p)
                    .ok()
                    .and_then(|b| decode(&b, &p).ok())
                    .and_then(|t| parse_stream(&t, &p, &ParseOptions::resource()).ok())
            };
            match parsed {
                Some(docs) => configs.extend(docs),
                None => c.unknown = true,
            }
        }
        for item in seq(doc.get(section)).filter(|n| n.is_map()) {
            configs.push(item.clone());
        }
    }
    let mut out = Vec::new();
    for cfg in &configs {
        // A plugin configuration names files with the kustomization's own
        // fields (`path`, `paths`, `files`, `envs`, `env`, `replacements`).
        if let Some(p) = cfg.get("path").and_then(Node::as_str) {
            out.extend(file_ref(p, dir));
        }
        for p in strings(cfg.get("paths")) {
            out.extend(file_ref(p, dir));
        }
        if cfg.is_map() {
            // Generators list their inputs at the top level; wrap them so the
            // generator rules of `references` apply.
            let gen = Node::new(Value::Seq(vec![cfg.clone()]), cfg.pos.clone());
            let mut wrapper = Node::map(cfg.pos.clone());
            wrapper.set("configMapGenerator", gen);
            if let Some(r) = cfg.get("replacements") {
                wrapper.set("replacements", r.clone());
            }
            out.extend(references(&wrapper, dir));
        }
    }
    out
}

fn file_ref(p: &str, dir: &str) -> Option<Ref> {
    if is_remote(p) {
        return Some(Ref::Remote(p.to_string()));
    }
    join(dir, p.trim()).ok().map(Ref::File)
}

/// The symlink-free path of `path` (itself when it does not resolve).
pub(crate) fn physical(src: &dyn Source, path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    match src.entry(path) {
        Ok(Some(_)) => src.trace(path).pop().unwrap_or_else(|| path.to_string()),
        _ => path.to_string(),
    }
}

fn child(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The kustomization file of `dir` (the first name kustomize looks for).
pub(crate) fn kustomization_file(src: &dyn Source, dir: &str) -> Option<String> {
    FILE_NAMES
        .iter()
        .map(|n| child(dir, n))
        .find(|f| src.entry(f).ok().flatten() == Some(EntryKind::File))
}

/// The first document of a kustomization file, parsed without validation;
/// `None` when it cannot be read or parsed. Not kept: a step is computed
/// once per directory and revision (and the other revision reuses it), so a
/// cache of the documents would only hold memory (and cost page faults).
pub(crate) fn read_doc(src: &dyn Source, file: &str) -> Option<Node> {
    let bytes = src.read(file).ok()?;
    let text = decode(&bytes, file).ok()?;
    parse_stream(&text, file, &ParseOptions::kustomization())
        .ok()?
        .into_iter()
        .next()
}

/// One path a kustomization names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ref {
    /// A file or a kustomization directory (`resources`, `bases`, `components`,
    /// plugin entries).
    Any(String),
    /// A file.
    File(String),
    /// A directory read as a whole.
    Tree(String),
    /// A remote reference, as written.
    Remote(String),
}

/// Sections listing kustomizations or files.
const ANY_SECTIONS: [&str; 3] = ["resources", "bases", "components"];
/// Sections listing plugin configurations: file or directory paths, or inline YAML.
const PLUGIN_SECTIONS: [&str; 3] = ["generators", "transformers", "validators"];
/// Sections listing file paths.
const FILE_SECTIONS: [&str; 2] = ["crds", "configurations"];

/// Every path a kustomization document in `dir` names.
pub(crate) fn references(doc: &Node, dir: &str) -> Vec<Ref> {
    let mut out = Vec::new();
    let mut push = |s: &str, make: fn(String) -> Ref| {
        let s = s.trim();
        if s.is_empty() {
            return;
        }
        if is_remote(s) {
            out.push(Ref::Remote(s.to_string()));
        } else if let Ok(p) = join(dir, s) {
            out.push(make(p));
        }
    };
    for section in ANY_SECTIONS {
        for s in strings(doc.get(section)) {
            push(s, Ref::Any);
        }
    }
    for section in PLUGIN_SECTIONS {
        for s in strings(doc.get(section)).filter(|s| !s.contains('\n')) {
            push(s, Ref::Any);
        }
    }
    for section in FILE_SECTIONS {
        for s in strings(doc.get(section)) {
            push(s, Ref::File);
        }
    }
    // patchesStrategicMerge: file paths or inline patches.
    for s in strings(doc.get("patchesStrategicMerge")).filter(|s| !s.contains('\n')) {
        push(s, Ref::File);
    }
    for section in ["patches", "patchesJson6902", "replacements"] {
        for item in seq(doc.get(section)) {
            if let Some(s) = item.get("path").and_then(Node::as_str) {
                push(s, Ref::File);
            }
        }
    }
    for section in ["configMapGenerator", "secretGenerator"] {
        for item in seq(doc.get(section)) {
            for s in strings(item.get("files")) {
                // `key=path` or `path`.
                let path = s.split_once('=').map_or(s, |(_, p)| p);
                push(path, Ref::File);
            }
            for s in strings(item.get("envs")) {
                push(s, Ref::File);
            }
            if let Some(s) = item.get("env").and_then(Node::as_str) {
                push(s, Ref::File);
            }
        }
    }
    if let Some(s) = doc
        .get("openapi")
        .and_then(|o| o.get("path"))
        .and_then(Node::as_str)
    {
        push(s, Ref::File);
    }
    helm_refs(doc, &mut push);
    out
}

/// Records one named path with how it is read.
type Push<'a> = dyn FnMut(&str, fn(String) -> Ref) + 'a;

/// Helm inputs: values files and the chart home (read as a whole).
fn helm_refs(doc: &Node, push: &mut Push) {
    let charts: Vec<&Node> = seq(doc.get("helmCharts"))
        .chain(seq(doc.get("helmChartInflationGenerator")))
        .collect();
    for item in &charts {
        if let Some(s) = item.get("valuesFile").and_then(Node::as_str) {
            push(s, Ref::File);
        }
        for s in strings(item.get("additionalValuesFiles")) {
            push(s, Ref::File);
        }
        if let Some(s) = item.get("chartHome").and_then(Node::as_str) {
            push(s, Ref::Tree);
        }
    }
    let home = doc
        .get("helmGlobals")
        .and_then(|g| g.get("chartHome"))
        .and_then(Node::as_str);
    match home {
        Some(h) => push(h, Ref::Tree),
        None if !charts.is_empty() => push("charts", Ref::Tree),
        None => {}
    }
}

fn seq(n: Option<&Node>) -> impl Iterator<Item = &Node> {
    n.and_then(Node::as_seq).into_iter().flatten()
}

/// The string entries of a sequence (a lone string counts as one entry).
fn strings(n: Option<&Node>) -> Box<dyn Iterator<Item = &str> + '_> {
    match n.map(|n| &n.value) {
        Some(Value::Str(s)) => Box::new(std::iter::once(s.as_str())),
        _ => Box::new(seq(n).filter_map(Node::as_str)),
    }
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

    fn set(v: &[&str]) -> BTreeSet<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_section_is_followed() {
        let d = tree(&[
            (
                "o/kustomization.yaml",
                "resources: [../base, r.yaml, https://example.com/x.yaml]\n\
                 components: [../comp]\n\
                 patches: [{path: p.yaml}, {patch: 'inline'}]\n\
                 patchesStrategicMerge: [psm.yaml]\n\
                 patchesJson6902: [{path: j.yaml, target: {kind: X}}]\n\
                 configMapGenerator: [{name: c, files: [k=f.txt, g.txt], envs: [e.env], env: old.env}]\n\
                 secretGenerator: [{name: s, files: [s.txt]}]\n\
                 replacements: [{path: repl.yaml}]\n\
                 configurations: [conf.yaml]\n\
                 crds: [crd.json]\n\
                 openapi: {path: schema.json}\n\
                 generators: [gen]\n\
                 transformers: [t.yaml, \"inline: x\\nkind: Y\\n\"]\n\
                 helmCharts: [{name: c, valuesFile: v.yaml, additionalValuesFiles: [v2.yaml]}]\n\
                 unknownField: 1\n",
            ),
            ("base/kustomization.yml", "resources: [cm.yaml]\n"),
            ("comp/Kustomization", "kind: Component\n"),
            ("o/gen/kustomization.yaml", "resources: [g.yaml]\n"),
        ]);
        let src = FsSource::new(d.path()).unwrap();
        let c = closure(&src, "o");
        for p in [
            "o/kustomization.yaml",
            "base/kustomization.yml",
            "base/cm.yaml",
            "comp/Kustomization",
            "o/r.yaml",
            "o/p.yaml",
            "o/psm.yaml",
            "o/j.yaml",
            "o/f.txt",
            "o/g.txt",
            "o/e.env",
            "o/old.env",
            "o/s.txt",
            "o/repl.yaml",
            "o/conf.yaml",
            "o/crd.json",
            "o/schema.json",
            "o/gen/kustomization.yaml",
            "o/gen/g.yaml",
            "o/t.yaml",
            "o/v.yaml",
            "o/v2.yaml",
        ] {
            assert!(c.paths.contains(p), "{p} missing from {:?}", c.paths);
        }
        assert_eq!(c.remote, ["https://example.com/x.yaml"]);
        assert!(c.trees.contains("o/charts"));
        assert!(c.reached_by(&set(&["o/charts/c/values.yaml"])));
        assert!(c.reached_by(&set(&["o/missing-before.yaml", "o/r.yaml"])));
        assert!(c.reached_by(&set(&["base/kustomization.yaml"])));
        assert!(!c.reached_by(&set(&["docs/README.md", "other/x.yaml"])));
        assert!(!c.reached_by(&set(&["o/unrelated.yaml"])));
    }

    #[test]
    fn unparsable_and_missing_kustomizations() {
        let d = tree(&[
            ("a/kustomization.yaml", "resources: [../b, ../c]\n"),
            ("b/kustomization.yaml", "resources: [\n"),
            ("c/x.yaml", "kind: X\n"),
        ]);
        let src = FsSource::new(d.path()).unwrap();
        let c = closure(&src, "a");
        assert!(c.paths.contains("b/kustomization.yaml"));
        // b cannot be parsed: what it names is unknown, any change reaches a.
        assert!(c.unknown);
        assert!(c.reached_by(&set(&["docs/x.md"])));
        assert!(!c.reached_by(&set(&[])));
        let c = closure(&src, "c");
        assert!(!c.unknown);
        // c has no kustomization: creating one reaches it.
        assert!(c.reached_by(&set(&["c/kustomization.yaml"])));
        assert!(c.reached_by(&set(&["c/Kustomization"])));
        assert!(!c.reached_by(&set(&["c/x.yaml"])));
        // A missing base: creating it reaches.
        let d = tree(&[("a/kustomization.yaml", "resources: [../gone]\n")]);
        let src = FsSource::new(d.path()).unwrap();
        let c = closure(&src, "a");
        assert!(c.reached_by(&set(&["gone/kustomization.yaml"])));
        assert!(c.reached_by(&set(&["gone"])));
        assert!(!c.reached_by(&set(&["gone2/kustomization.yaml"])));
    }

    #[test]
    fn plugin_configurations_name_files() {
        let d = tree(&[
            (
                "o/kustomization.yaml",
                "transformers:\n- t.yaml\n- |\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata: {name: i}\n  path: inline-patch.yaml\n\
                 generators: [g.yaml]\n",
            ),
            (
                "o/t.yaml",
                "apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: p}\npath: patch.yaml\n---\n\
                 apiVersion: builtin\nkind: ReplacementTransformer\nmetadata: {name: r}\nreplacements: [{path: r.yaml}]\n",
            ),
            (
                "o/g.yaml",
                "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata: {name: g}\nfiles: [k=f.txt]\nenvs: [e.env]\n",
            ),
        ]);
        let src = FsSource::new(d.path()).unwrap();
        let c = closure(&src, "o");
        for p in [
            "o/t.yaml",
            "o/patch.yaml",
            "o/inline-patch.yaml",
            "o/r.yaml",
            "o/g.yaml",
            "o/f.txt",
            "o/e.env",
        ] {
            assert!(c.paths.contains(p), "{p} missing from {:?}", c.paths);
        }
        assert!(!c.unknown);
        std::fs::write(d.path().join("o/t.yaml"), "a: [\n").unwrap();
        assert!(closure(&src, "o").unknown);
    }

    #[test]
    fn cycles_terminate() {
        let d = tree(&[
            ("a/kustomization.yaml", "resources: [../b]\n"),
            ("b/kustomization.yaml", "resources: [../a]\n"),
        ]);
        let src = FsSource::new(d.path()).unwrap();
        let c = closure(&src, "a");
        assert_eq!(c.kustomizations, set(&["a", "b"]));
        assert!(!c.unknown);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_resolved() {
        let d = tree(&[
            ("shared/prod-deploy.yaml", "kind: X\n"),
            ("base/kustomization.yaml", "resources: [b.yaml]\n"),
            (
                "overlays/prod/kustomization.yaml",
                "resources: [deploy.yaml, base]\n",
            ),
        ]);
        std::os::unix::fs::symlink(
            "../../shared/prod-deploy.yaml",
            d.path().join("overlays/prod/deploy.yaml"),
        )
        .unwrap();
        std::os::unix::fs::symlink("../../base", d.path().join("overlays/prod/base")).unwrap();
        let src = FsSource::new(d.path()).unwrap();
        let c = closure(&src, "overlays/prod");
        assert!(c.reached_by(&set(&["shared/prod-deploy.yaml"])));
        assert!(c.reached_by(&set(&["base/b.yaml"])));
        assert!(c.reached_by(&set(&["overlays/prod/base"])));
        assert!(!c.reached_by(&set(&["shared/other.yaml"])));
    }

    /// `Closures::reaches` answers what building the closure and asking
    /// `reached_by` answers, for every kustomization and every single-path
    /// change of a tree with shared bases, a component, a plugin
    /// configuration, a helm chart home, a missing reference and a cycle.
    #[test]
    fn reaches_agrees_with_the_closure() {
        let d = tree(&[
            (
                "a/kustomization.yaml",
                "resources: [../base, r.yaml]\ncomponents: [../comp]\n",
            ),
            (
                "b/kustomization.yaml",
                "resources: [../base, gone.yaml]\ntransformers: [t.yaml]\n",
            ),
            ("b/t.yaml", "kind: PatchTransformer\npath: p.yaml\n"),
            ("h/kustomization.yaml", "helmCharts: [{name: c}]\n"),
            ("h/charts/c/values.yaml", "x: 1\n"),
            ("base/kustomization.yaml", "resources: [cm.yaml, ../loop]\n"),
            ("loop/kustomization.yaml", "resources: [../base]\n"),
            ("comp/kustomization.yaml", "kind: Component\n"),
            ("a/r.yaml", ""),
            ("base/cm.yaml", ""),
        ]);
        let src = FsSource::new(d.path()).unwrap();
        let all = Closures::new(&src);
        let dirs = ["a", "b", "h", "base", "loop", "comp", "nokust"];
        let mut paths: Vec<String> = dirs.iter().flat_map(|d| closure(&src, d).paths).collect();
        paths.extend(["h/charts/c/new.yaml", "a/kustomization.yml", "x/y.yaml"].map(String::from));
        for dir in dirs {
            let c = closure(&src, dir);
            for p in &paths {
                let changed = set(&[p]);
                assert_eq!(
                    all.reaches(dir, &changed),
                    c.reached_by(&changed),
                    "{dir} by {p}"
                );
            }
            assert!(!all.reaches(dir, &BTreeSet::new()));
        }
    }

    /// Steps taken from the other revision are re-read where the change can
    /// alter them (a plugin configuration they read, their kustomization
    /// file, a path they name appearing) and shared otherwise; each step of
    /// the reusing cache equals a fresh read of its own revision.
    #[test]
    fn reused_steps_are_re_read_where_the_change_alters_them() {
        let kust = "resources: [../base]\ntransformers: [t.yaml]\n";
        let before = tree(&[
            ("o/kustomization.yaml", kust),
            ("o/t.yaml", "kind: PatchTransformer\npath: p1.yaml\n"),
            ("base/kustomization.yaml", "resources: [cm.yaml, extra]\n"),
            ("other/kustomization.yaml", "resources: [../base]\n"),
        ]);
        let after = tree(&[
            (
                "o/kustomization.yaml",
                "resources: [../base, new.yaml]\ntransformers: [t.yaml]\n",
            ),
            ("o/t.yaml", "kind: PatchTransformer\npath: p2.yaml\n"),
            ("base/kustomization.yaml", "resources: [cm.yaml, extra]\n"),
            ("base/extra/kustomization.yaml", "resources: [x.yaml]\n"),
            ("other/kustomization.yaml", "resources: [../base]\n"),
        ]);
        let (a, b) = (
            FsSource::new(before.path()).unwrap(),
            FsSource::new(after.path()).unwrap(),
        );
        let changed = set(&[
            "o/t.yaml",
            "o/kustomization.yaml",
            "base/extra/kustomization.yaml",
        ]);
        let ca = Closures::new(&a);
        let cb = Closures::reusing(&b, &ca, &changed);
        let fresh = Closures::new(&b);
        for d in ["o", "base", "base/extra", "other", "missing"] {
            let (reused, read) = (cb.step(d), fresh.step(d));
            assert_eq!(
                (
                    &reused.paths,
                    &reused.children,
                    &reused.refs,
                    &reused.trees,
                    &reused.configs
                ),
                (
                    &read.paths,
                    &read.children,
                    &read.refs,
                    &read.trees,
                    &read.configs
                ),
                "{d}"
            );
        }
        assert!(cb.reaches("o", &set(&["o/p2.yaml"])));
        assert!(!ca.reaches("o", &set(&["o/p2.yaml"])));
        assert!(cb.reaches("other", &set(&["base/extra/x.yaml"])));
        // Unaltered steps are the other revision's own.
        assert!(std::sync::Arc::ptr_eq(&ca.step("other"), &cb.step("other")));
        // base names `extra`, which became a kustomization: re-read.
        assert!(!std::sync::Arc::ptr_eq(&ca.step("base"), &cb.step("base")));
    }
}
