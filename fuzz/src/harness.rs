//! Checks shared by the fuzz targets (`fuzz/fuzz_targets/*`) and the regression
//! replay (`tests/fuzz_regressions.rs`, which includes this file by path), so a
//! saved crasher goes through exactly the code the fuzzer ran.
//!
//! Depends only on `manifest_gate` and `std`.

#![allow(dead_code)]

use manifest_gate::error::{Error, Result};
use manifest_gate::kustomize::kustomization::Kustomization;
use manifest_gate::kustomize::{render, RenderOptions};
use manifest_gate::source::{EntryKind, Source};
use manifest_gate::yaml::{decode, emit_docs, parse_stream, Node, ParseOptions, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Equality ignoring positions, with NaN equal to NaN (the tree's own
/// `PartialEq` follows IEEE, so a `.nan` would never equal itself).
pub fn same(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Float(x), Value::Float(y)) if x.is_nan() && y.is_nan() => true,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Known limitation, skipped by [`check_yaml`]: a multi-line string with U+2028
/// or U+2029 at the start of a line prints as a literal block whose line starts
/// with the separator at column 0. libyaml (kustomize) reads that as an empty
/// line, saphyr as content below the block's indentation, ending the block.
fn has_separator_at_line_start(n: &Node) -> bool {
    let bad = |s: &str| {
        s.contains('\n')
            && s.char_indices().any(|(i, c)| {
                (c == '\u{2028}' || c == '\u{2029}')
                    && s[..i]
                        .chars()
                        .next_back()
                        .is_none_or(|p| matches!(p, '\n' | '\u{2028}' | '\u{2029}'))
            })
    };
    match &n.value {
        Value::Str(s) => bad(s),
        Value::Seq(items) => items.iter().any(has_separator_at_line_start),
        Value::Map(m) => m
            .iter()
            .any(|(k, v)| bad(k) || has_separator_at_line_start(v)),
        _ => false,
    }
}

/// By design, U+0085 (NEL) does not round-trip: kustomize prints it raw and
/// reads it back folded to a space, and the emitter reproduces that.
fn has_nel(n: &Node) -> bool {
    match &n.value {
        Value::Str(s) => s.contains('\u{85}'),
        Value::Seq(items) => items.iter().any(has_nel),
        Value::Map(m) => m.iter().any(|(k, v)| k.contains('\u{85}') || has_nel(v)),
        _ => false,
    }
}

/// The YAML property: decoding and parsing never panic; whatever parses
/// (with either schema) emits to text that parses back, as a resource file, to
/// the same tree.
pub fn check_yaml(data: &[u8]) {
    let Ok(text) = decode(data, "fuzz.yaml") else {
        return;
    };
    for (name, opts) in [
        ("resource", ParseOptions::resource()),
        ("kustomization", ParseOptions::kustomization()),
    ] {
        let Ok(docs) = parse_stream(&text, "fuzz.yaml", &opts) else {
            continue;
        };
        if docs.iter().any(has_separator_at_line_start) || docs.iter().any(has_nel) {
            continue;
        }
        let refs: Vec<&Node> = docs.iter().collect();
        let out = emit_docs(&refs);
        if out.len() > opts.limits.max_file_bytes {
            // Alias expansion can legitimately blow a small file up past the size cap.
            continue;
        }
        let again = match parse_stream(&out, "emitted.yaml", &ParseOptions::resource()) {
            Ok(d) => d,
            Err(e) => panic!(
                "emitter output does not parse ({name} schema): {e}\ninput: {text:?}\nemitted:\n{out}"
            ),
        };
        let equal = docs.len() == again.len() && docs.iter().zip(&again).all(|(a, b)| same(a, b));
        assert!(
            equal,
            "round trip changed the tree ({name} schema)\ninput: {text:?}\nemitted:\n{out}\nfirst:  {docs:?}\nsecond: {again:?}"
        );
        // Emitting is a fixed point once the tree is canonical.
        let refs: Vec<&Node> = again.iter().collect();
        let out2 = emit_docs(&refs);
        assert_eq!(
            out, out2,
            "emitting the re-parsed tree printed something else ({name} schema)\ninput: {text:?}"
        );
    }
}

/// The kustomization property: parsing arbitrary text never panics.
pub fn check_kustomization(data: &[u8]) {
    let text = match decode(data, "kustomization.yaml") {
        Ok(t) => t,
        Err(_) => String::from_utf8_lossy(data).into_owned(),
    };
    let _ = Kustomization::parse(&text, "kustomization.yaml");
    let _ = Kustomization::parse(&text, "base/kustomization.yaml");
}

/// An in-memory tree of files. Directories are implied by file paths.
#[derive(Clone, Debug, Default)]
pub struct MemSource {
    pub files: BTreeMap<String, Arc<[u8]>>,
}

impl MemSource {
    /// A tree from `(path, bytes)` pairs; a later duplicate path wins.
    /// Paths that are not normalised repository paths are dropped.
    pub fn new<P: AsRef<str>, B: AsRef<[u8]>>(
        files: impl IntoIterator<Item = (P, B)>,
    ) -> MemSource {
        let mut m = BTreeMap::new();
        for (p, b) in files {
            let p = p.as_ref();
            if normalised(p) {
                m.insert(p.to_string(), Arc::from(b.as_ref()));
            }
        }
        // A path cannot be both a file and a directory.
        let dirs: BTreeSet<String> = m.keys().flat_map(|p| ancestors(p)).collect();
        m.retain(|p, _| !dirs.contains(p));
        MemSource { files: m }
    }
}

fn normalised(p: &str) -> bool {
    !p.is_empty() && p.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

fn ancestors(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = p;
    while let Some(i) = cur.rfind('/') {
        cur = &cur[..i];
        out.push(cur.to_string());
    }
    out
}

impl Source for MemSource {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        if path == ".git" || path.starts_with(".git/") {
            return Err(Error::in_file(path, "inside .git/"));
        }
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| Error::in_file(path, "no such file"))
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        if path.is_empty() {
            return Ok(Some(EntryKind::Dir));
        }
        if self.files.contains_key(path) {
            return Ok(Some(EntryKind::File));
        }
        let prefix = format!("{path}/");
        Ok(self
            .files
            .keys()
            .any(|k| k.starts_with(&prefix))
            .then_some(EntryKind::Dir))
    }
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out: BTreeMap<String, EntryKind> = BTreeMap::new();
        for k in self.files.keys() {
            if let Some(rest) = k.strip_prefix(&prefix) {
                match rest.find('/') {
                    Some(i) => out.insert(rest[..i].to_string(), EntryKind::Dir),
                    None => out.insert(rest.to_string(), EntryKind::File),
                };
            }
        }
        if out.is_empty() && !dir.is_empty() {
            return Err(Error::in_file(dir, "no such directory"));
        }
        Ok(out.into_iter().collect())
    }
    fn describe(&self) -> String {
        "memory".to_string()
    }
}

/// Directories the render target builds from.
pub const RENDER_DIRS: [&str; 3] = ["", "overlay", "base"];

/// The render property: rendering any tree returns `Ok` or `Err`, never panics;
/// a successful render can be printed and the printout parses again.
pub fn check_render(src: &MemSource) {
    for dir in RENDER_DIRS {
        if src.entry(dir).ok().flatten() != Some(EntryKind::Dir) {
            continue;
        }
        if let Ok(r) = render(src, dir, &RenderOptions::default()) {
            let out = r.to_yaml();
            if let Err(e) = parse_stream(&out, "rendered.yaml", &ParseOptions::resource()) {
                panic!("rendered output of '{dir}' does not parse: {e}\n{out}");
            }
        }
    }
}

/// Read a regression case directory (`fuzz/regressions/render/<case>/`) into a tree.
pub fn read_tree(root: &std::path::Path) -> MemSource {
    fn walk(root: &std::path::Path, rel: &str, out: &mut Vec<(String, Vec<u8>)>) {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(rel)
        };
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .expect("read regression dir")
            .map(|e| e.expect("dir entry"))
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type().expect("file type").is_dir() {
                walk(root, &path, out);
            } else {
                out.push((path, std::fs::read(e.path()).expect("read regression file")));
            }
        }
    }
    let mut files = Vec::new();
    walk(root, "", &mut files);
    MemSource::new(files)
}

/// Write a tree as real files under `root` (the inverse of [`read_tree`]).
pub fn write_tree(src: &MemSource, root: &std::path::Path) {
    for (path, bytes) in &src.files {
        let p = root.join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create regression dir");
        }
        std::fs::write(&p, &bytes[..]).expect("write regression file");
    }
}
