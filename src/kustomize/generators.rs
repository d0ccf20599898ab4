//! configMapGenerator and secretGenerator. (Owner: kustomization/generators work.)
//!
//! Follows kustomize v5.5.0 (`api/kv/kv.go`, `api/internal/generators`,
//! `kyaml/yaml/datamap.go`, `api/resmap/reswrangler.go` `appendReplaceOrMerge`,
//! `api/hasher/hasher.go`). Every generated value carries the position of the
//! source that produced it: the literal's line, line 1 of a `files` file, the
//! env file's line.

use super::kustomization::Kustomization;
use crate::error::{Error, Result};
use crate::model::{Behavior, GeneratedBy, ResId, Resource};
use crate::source::{self, Source};
use crate::yaml::{Map, Node, Pos, Value};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// One key/value pair with the position of its source.
#[derive(Clone, Debug)]
struct Pair {
    key: String,
    value: Vec<u8>,
    pos: Pos,
}

/// The two generator kinds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GenKind {
    ConfigMap,
    Secret,
}

impl GenKind {
    fn kind(self) -> &'static str {
        match self {
            GenKind::ConfigMap => "ConfigMap",
            GenKind::Secret => "Secret",
        }
    }
}

/// Run this kustomization's generators (ConfigMaps first, then Secrets) and fold
/// their output into `res` according to each entry's `behavior`
/// (create/merge/replace, matched against any id of the existing resources).
/// Generated resources carry `meta.generated`. `inputs` receives every path read.
pub fn run_generators(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
) -> Result<()> {
    run_generators_with_origin(k, src, res, inputs, None)
}

/// [`run_generators`], recording `buildMetadata` origins: with `configured_in`
/// (the kustomization file's path relative to the top kustomization), each
/// generated resource gets kustomize's generator origin
/// (`configuredIn` + `configuredBy: {apiVersion: builtin, kind: ConfigMapGenerator}`).
pub fn run_generators_with_origin(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut Vec<Resource>,
    inputs: &mut Vec<String>,
    configured_in: Option<&str>,
) -> Result<()> {
    let global = k.field("generatorOptions");
    for (section, kind) in [
        ("configMapGenerator", GenKind::ConfigMap),
        ("secretGenerator", GenKind::Secret),
    ] {
        let Some(list) = k.field(section) else {
            continue;
        };
        let Some(entries) = list.as_seq() else {
            return Err(Error::at(&list.pos, format!("'{section}' must be a list")));
        };
        for entry in entries {
            if entry.is_null() {
                // Go decodes a null list element into an empty args struct.
                return Err(Error::at(&entry.pos, "a configmap must have a name"));
            }
            let (mut r, behavior) = generate(k, src, kind, entry, global, inputs)?;
            if let Some(ci) = configured_in {
                let by = match kind {
                    GenKind::ConfigMap => "ConfigMapGenerator",
                    GenKind::Secret => "SecretGenerator",
                };
                let ci = crate::yaml::emit_node(&Node::str(ci, Pos::none()));
                r.meta.origin_annotation = Some(format!(
                    "configuredIn: {}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {by}\n",
                    ci.trim_end_matches('\n')
                ));
            }
            absorb(res, r, behavior, &entry.pos)?;
        }
    }
    Ok(())
}

/// Top-level step: append the content hash to generated ConfigMaps/Secrets that
/// want one (recording the previous id so name references follow).
pub fn apply_hash_suffixes(res: &mut [Resource]) -> Result<()> {
    for r in res.iter_mut() {
        if !r.meta.generated.as_ref().is_some_and(|g| g.hash) {
            continue;
        }
        let h = content_hash(&r.node);
        let name = r.name().to_string();
        let pos = r
            .node
            .get_path(&["metadata", "name"])
            .map(|n| n.pos.clone())
            .unwrap_or_else(|| r.origin.clone());
        r.remember_id();
        r.set_name(&format!("{name}-{h}"), &pos);
        r.meta.name_before_hash = Some(name);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Building one resource.

fn str_field<'a>(entry: &'a Node, key: &str) -> Option<&'a Node> {
    entry.get(key).filter(|n| !n.is_null())
}

fn strings_of(entry: &Node, key: &str) -> Vec<(String, Pos)> {
    match entry.get(key).and_then(|n| n.as_seq()) {
        Some(seq) => seq
            .iter()
            .map(|x| (x.scalar_string().unwrap_or_default(), x.pos.clone()))
            .collect(),
        None => Vec::new(),
    }
}

/// Effective generator options: per-entry options win for labels and
/// annotations; `disableNameSuffixHash` and `immutable` are ORed.
struct Opts {
    labels: Map,
    annotations: Map,
    disable_hash: bool,
    immutable: Option<Pos>,
}

fn merge_options(local: Option<&Node>, global: Option<&Node>) -> Opts {
    let mut o = Opts {
        labels: Map::new(),
        annotations: Map::new(),
        disable_hash: false,
        immutable: None,
    };
    for opts in [local, global].into_iter().flatten() {
        for (field, dst) in [
            ("labels", &mut o.labels),
            ("annotations", &mut o.annotations),
        ] {
            if let Some(m) = opts.get(field).and_then(|n| n.as_map()) {
                for (k, v) in m {
                    if !dst.contains_key(k) {
                        let s = v.scalar_string().unwrap_or_default();
                        dst.insert(k.clone(), Node::str(s, v.pos.clone()));
                    }
                }
            }
        }
        if opts.get("disableNameSuffixHash").and_then(|n| n.as_bool()) == Some(true) {
            o.disable_hash = true;
        }
        if let Some(n) = opts.get("immutable").filter(|n| n.as_bool() == Some(true)) {
            if o.immutable.is_none() {
                o.immutable = Some(n.pos.clone());
            }
        }
    }
    o
}

fn sorted(m: Map) -> Map {
    let mut v: Vec<(String, Node)> = m.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter().collect()
}

fn generate(
    k: &Kustomization,
    src: &dyn Source,
    kind: GenKind,
    entry: &Node,
    global: Option<&Node>,
    inputs: &mut Vec<String>,
) -> Result<(Resource, Behavior)> {
    let epos = entry.pos.clone();
    let name_node = str_field(entry, "name");
    let name = name_node.and_then(|n| n.as_str()).unwrap_or("");
    if name.is_empty() {
        return Err(Error::at(&epos, "a configmap must have a name"));
    }
    let behavior = match str_field(entry, "behavior").and_then(|n| n.as_str()) {
        Some("merge") => Behavior::Merge,
        Some("replace") => Behavior::Replace,
        _ => Behavior::Create,
    };
    let pairs = load_pairs(k, src, entry, name, inputs)?;
    let opts = merge_options(str_field(entry, "options"), global);

    let mut node = Node::map(epos.clone());
    node.set("apiVersion", Node::str("v1", epos.clone()));
    node.set("kind", Node::str(kind.kind(), epos.clone()));
    let mut md = Node::map(epos.clone());
    md.set(
        "name",
        Node::str(
            name,
            name_node.map(|n| n.pos.clone()).unwrap_or(epos.clone()),
        ),
    );
    if let Some(ns) =
        str_field(entry, "namespace").filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
    {
        md.set(
            "namespace",
            Node::str(ns.as_str().unwrap_or(""), ns.pos.clone()),
        );
    }
    if !opts.labels.is_empty() {
        md.set(
            "labels",
            Node::new(Value::Map(sorted(opts.labels)), epos.clone()),
        );
    }
    if !opts.annotations.is_empty() {
        md.set(
            "annotations",
            Node::new(Value::Map(sorted(opts.annotations)), epos.clone()),
        );
    }
    node.set("metadata", md);

    let mut pairs = pairs;
    pairs.sort_by(|a, b| a.key.cmp(&b.key));
    match kind {
        GenKind::ConfigMap => {
            let mut data = Map::new();
            let mut binary = Map::new();
            for p in pairs {
                match String::from_utf8(p.value) {
                    Ok(s) => {
                        data.insert(p.key, Node::str(s, p.pos));
                    }
                    Err(e) => {
                        binary.insert(p.key, Node::str(encode_base64(e.as_bytes()), p.pos));
                    }
                }
            }
            if !data.is_empty() {
                node.set("data", Node::new(Value::Map(data), epos.clone()));
            }
            if !binary.is_empty() {
                node.set("binaryData", Node::new(Value::Map(binary), epos.clone()));
            }
        }
        GenKind::Secret => {
            let ty = str_field(entry, "type").filter(|n| n.as_str().is_some_and(|s| !s.is_empty()));
            let ty_node = match ty {
                Some(n) => Node::str(n.as_str().unwrap_or(""), n.pos.clone()),
                None => Node::str("Opaque", epos.clone()),
            };
            node.set("type", ty_node);
            let mut data = Map::new();
            for p in pairs {
                data.insert(p.key, Node::str(encode_base64(&p.value), p.pos));
            }
            node.set("data", Node::new(Value::Map(data), epos.clone()));
        }
    }
    if let Some(ipos) = opts.immutable {
        node.set("immutable", Node::new(Value::Bool(true), ipos));
    }
    let mut r = Resource::new(node, epos);
    r.meta.generated = Some(GeneratedBy {
        behavior,
        hash: !opts.disable_hash,
    });
    Ok((r, behavior))
}

/// Read a file for a generator: relative to the kustomization directory and,
/// like kustomize's root-only loader, in or below it.
fn read_file(
    k: &Kustomization,
    src: &dyn Source,
    rel: &str,
    pos: &Pos,
    inputs: &mut Vec<String>,
) -> Result<(String, Vec<u8>)> {
    let path = source::join(&k.dir, rel).map_err(|e| e.or_at(pos))?;
    let inside = k.dir.is_empty() || path == k.dir || path.starts_with(&format!("{}/", k.dir));
    if !inside {
        let dir = if k.dir.is_empty() { "." } else { &k.dir };
        return Err(Error::at(
            pos,
            format!("security; file '{path}' is not in or below '{dir}'"),
        ));
    }
    inputs.push(path.clone());
    let bytes = src.read(&path).map_err(|e| e.or_at(pos))?;
    Ok((path, bytes.to_vec()))
}

/// Go's `path.Base`.
fn go_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    match t.rfind('/') {
        Some(i) => t[i + 1..].to_string(),
        None => t.to_string(),
    }
}

/// Split a `files` entry into key and path (`ParseFileSource`).
fn parse_file_source(s: &str) -> std::result::Result<(String, String), String> {
    let n = s.matches('=').count();
    if n == 0 {
        return Ok((go_base(s), s.to_string()));
    }
    if n == 1 && s.starts_with('=') {
        return Err(format!(
            "missing key name for file path {:?} in source {:?}",
            &s[1..],
            s
        ));
    }
    if n == 1 && s.ends_with('=') {
        return Err(format!(
            "missing file path for key name {:?} in source {:?}",
            &s[..s.len() - 1],
            s
        ));
    }
    if n > 1 {
        return Err(format!("source {s:?} key name or file path contains '='"));
    }
    let (k, p) = s.split_once('=').unwrap_or((s, ""));
    Ok((k.to_string(), p.to_string()))
}

/// Split a literal at the first `=`, stripping one pair of matching quotes from the value.
fn parse_literal(s: &str) -> std::result::Result<(String, String), String> {
    // The entry is not shown: it may hold a Secret value.
    let bad = || "invalid literal source, expected key=value (the value is not shown)".to_string();
    if s.starts_with('=') {
        return Err(bad());
    }
    let (k, v) = s.split_once('=').ok_or_else(bad)?;
    Ok((k.to_string(), remove_quotes(v).to_string()))
}

fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b[b.len() - 1] {
        return s;
    }
    if b[0] == b'"' || b[0] == b'\'' {
        return &s[1..s.len() - 1];
    }
    s
}

/// Go's `bufio.Scanner` default limit: longer lines stop the scan (silently, as kustomize ignores the error).
const MAX_LINE: usize = 64 * 1024 - 1;

/// Parse an env file (`keyValuesFromLines`). `file` names it for positions and errors.
fn parse_env(bytes: &[u8], file: &str) -> Result<Vec<Pair>> {
    let f: Arc<str> = Arc::from(file);
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut lineno: u32 = 0;
    while !rest.is_empty() {
        let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if line.len() > MAX_LINE {
            break;
        }
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        lineno += 1;
        let pos = Pos::new(&f, lineno, 1);
        let Ok(mut text) = std::str::from_utf8(line) else {
            return Err(Error::at(
                &pos,
                format!("line {lineno} has invalid utf8 bytes"),
            ));
        };
        if lineno == 1 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        let text = text.trim_start();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (key, value) = text.split_once('=').unwrap_or((text, ""));
        if key.is_empty() {
            continue;
        }
        out.push(Pair {
            key: key.to_string(),
            value: value.as_bytes().to_vec(),
            pos,
        });
    }
    Ok(out)
}

/// All pairs of one entry: envs, then literals, then files; keys must be unique.
fn load_pairs(
    k: &Kustomization,
    src: &dyn Source,
    entry: &Node,
    name: &str,
    inputs: &mut Vec<String>,
) -> Result<Vec<Pair>> {
    let mut all: Vec<Pair> = Vec::new();
    for (rel, pos) in strings_of(entry, "envs") {
        let (path, bytes) = read_file(k, src, &rel, &pos, inputs)?;
        all.extend(parse_env(&bytes, &path)?);
    }
    for (lit, pos) in strings_of(entry, "literals") {
        let (key, value) = parse_literal(&lit).map_err(|m| Error::at(&pos, m))?;
        all.push(Pair {
            key,
            value: value.into_bytes(),
            pos,
        });
    }
    for (s, pos) in strings_of(entry, "files") {
        let (key, rel) = parse_file_source(&s).map_err(|m| Error::at(&pos, m))?;
        let (path, bytes) = read_file(k, src, &rel, &pos, inputs)?;
        let f: Arc<str> = Arc::from(path.as_str());
        all.push(Pair {
            key,
            value: bytes,
            pos: Pos::new(&f, 1, 1),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for p in &all {
        if !seen.insert(p.key.as_str()) {
            return Err(Error::at(
                &p.pos,
                format!("configmap {name} illegally repeats the key `{}`", p.key),
            ));
        }
    }
    Ok(all)
}

/// kustomize's base64 for generated values: standard encoding, wrapped at 70
/// characters, every line ending in `\n` once the text reaches 70 characters.
pub fn encode_base64(b: &[u8]) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(b);
    if enc.len() < 70 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / 70 + 1);
    for chunk in enc.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------
// create / merge / replace

/// Go's `%#v` of a ResId, as kustomize prints it in generator errors.
fn go_id(id: &ResId) -> String {
    format!(
        "resid.ResId{{Gvk:resid.Gvk{{Group:{:?}, Version:{:?}, Kind:{:?}, isClusterScoped:false}}, Name:{:?}, Namespace:{:?}}}",
        id.gvk.group, id.gvk.version, id.gvk.kind, id.name, id.namespace
    )
}

fn same_id(a: &ResId, b: &ResId) -> bool {
    a.gvk == b.gvk && a.name == b.name && a.effective_namespace() == b.effective_namespace()
}

/// A string map section of an object, values as strings, keeping positions.
fn string_map(node: &Node, path: &[&str]) -> Map {
    let mut out = Map::new();
    if let Some(m) = node.get_path(path).and_then(|n| n.as_map()) {
        for (k, v) in m {
            let s = v.scalar_string().unwrap_or_default();
            out.insert(k.clone(), Node::str(s, v.pos.clone()));
        }
    }
    out
}

/// `old` then `new` (new wins), keys sorted.
fn union(old: Map, new: Map) -> Map {
    let mut m = old;
    for (k, v) in new {
        m.insert(k, v);
    }
    sorted(m)
}

fn set_or_remove(node: &mut Node, path: &[&str], key: &str, m: Map, pos: &Pos) {
    let parent = if path.is_empty() {
        Some(&mut *node)
    } else {
        node.get_path_mut(path)
    };
    let Some(parent) = parent else { return };
    if m.is_empty() {
        parent.remove(key);
    } else {
        parent.set(key, Node::new(Value::Map(m), pos.clone()));
    }
}

fn absorb(res: &mut Vec<Resource>, mut new: Resource, behavior: Behavior, pos: &Pos) -> Result<()> {
    let id = new.id();
    let matches: Vec<usize> = (0..res.len())
        .filter(|&i| res[i].all_ids().iter().any(|x| same_id(x, &id)))
        .collect();
    match matches.as_slice() {
        [] => match behavior {
            Behavior::Merge | Behavior::Replace => Err(Error::at(
                pos,
                format!("id {} does not exist; cannot merge or replace", go_id(&id)),
            )),
            Behavior::Create => {
                res.push(new);
                Ok(())
            }
        },
        [i] => {
            let i = *i;
            if behavior == Behavior::Create {
                return Err(Error::at(
                    pos,
                    format!(
                        "id {} exists; behavior must be merge or replace",
                        go_id(&id)
                    ),
                ));
            }
            let old = &res[i];
            let npos = new.origin.clone();
            // Labels and annotations: old, then new on top.
            let labels = union(
                string_map(&old.node, &["metadata", "labels"]),
                string_map(&new.node, &["metadata", "labels"]),
            );
            let annos = union(
                string_map(&old.node, &["metadata", "annotations"]),
                string_map(&new.node, &["metadata", "annotations"]),
            );
            set_or_remove(&mut new.node, &["metadata"], "labels", labels, &npos);
            set_or_remove(&mut new.node, &["metadata"], "annotations", annos, &npos);
            // Name and namespace stay the old ones.
            if let Some(md) = new.node.get_mut("metadata") {
                match old.node.get_path(&["metadata", "name"]) {
                    Some(n) => {
                        md.set("name", n.clone());
                    }
                    None => {
                        md.remove("name");
                    }
                }
                match old
                    .node
                    .get_path(&["metadata", "namespace"])
                    .filter(|n| n.as_str().is_some_and(|s| !s.is_empty()))
                {
                    Some(n) => {
                        md.set("namespace", n.clone());
                    }
                    None => {
                        md.remove("namespace");
                    }
                }
            }
            if behavior == Behavior::Merge {
                let data = union(
                    string_map(&old.node, &["data"]),
                    string_map(&new.node, &["data"]),
                );
                let bin = union(
                    string_map(&old.node, &["binaryData"]),
                    string_map(&new.node, &["binaryData"]),
                );
                set_or_remove(&mut new.node, &[], "data", data, &npos);
                set_or_remove(&mut new.node, &[], "binaryData", bin, &npos);
                new.origin = old.origin.clone();
            }
            // Build bookkeeping comes from the old resource; the hash survives
            // only when both sides want one.
            let want_hash = new.meta.generated.as_ref().is_some_and(|g| g.hash);
            let old_gen = old.meta.generated.clone();
            new.meta.previous = old.meta.previous.clone();
            new.meta.prefixes = old.meta.prefixes.clone();
            new.meta.suffixes = old.meta.suffixes.clone();
            new.meta.name_before_hash = old.meta.name_before_hash.clone();
            // buildMetadata: merge keeps the old origin, replace the new one;
            // transformations recorded so far stay.
            if behavior == Behavior::Merge || new.meta.origin_annotation.is_none() {
                new.meta.origin_annotation = old.meta.origin_annotation.clone();
            }
            new.meta.transformations = old.meta.transformations.clone();
            new.meta.generated = Some(GeneratedBy {
                behavior: old_gen.as_ref().map(|g| g.behavior).unwrap_or_default(),
                hash: want_hash && old_gen.is_some_and(|g| g.hash),
            });
            res[i] = new;
            Ok(())
        }
        many => {
            let ids: Vec<String> = many.iter().map(|&i| res[i].id().to_string()).collect();
            Err(Error::at(
                pos,
                format!(
                    "found multiple objects [{}] that could accept merge of {}",
                    ids.join(" "),
                    id
                ),
            ))
        }
    }
}

// ---------------------------------------------------------------------------
// Content hash

/// Go's `strconv.FormatFloat(f, 'g'-like JSON form)` as `encoding/json` prints float64.
fn go_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    let a = f.abs();
    if a == 0.0 || (1e-6..1e21).contains(&a) {
        return format!("{f}");
    }
    let s = format!("{f:e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// Go's `encoding/json` string encoding (HTML-safe).
fn go_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// JSON as Go re-marshals a decoded `interface{}` (numbers through float64, keys sorted).
fn go_json(n: &Node, out: &mut String) {
    match &n.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&go_float(*i as f64)),
        Value::Float(f) => out.push_str(&go_float(*f)),
        Value::Str(s) => go_json_str(s, out),
        Value::Seq(s) => {
            out.push('[');
            for (i, x) in s.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(x, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_str(k, out);
                out.push(':');
                go_json(&m[k], out);
            }
            out.push('}');
        }
    }
}

/// The hasher's view of one field: a map as a map, a scalar as its text, absent as `""`.
enum HVal<'a> {
    Absent,
    Map(&'a Node),
    Other(&'a Node),
}

fn hval<'a>(node: &'a Node, key: &str) -> HVal<'a> {
    match node.get(key) {
        None => HVal::Absent,
        Some(n) if n.is_null() => HVal::Absent,
        Some(n) if n.is_map() => HVal::Map(n),
        Some(n) => HVal::Other(n),
    }
}

fn push_hval(v: &HVal, out: &mut String) {
    match v {
        HVal::Absent => out.push_str("\"\""),
        HVal::Map(n) => go_json(n, out),
        // A sequence fails to decode into a map: Go marshals the nil map as null.
        HVal::Other(n) if n.is_seq() => out.push_str("null"),
        HVal::Other(n) => go_json_str(&n.scalar_string().unwrap_or_default(), out),
    }
}

/// The content hash kustomize appends to generated names (`<name>-<hash>`).
pub fn content_hash(node: &Node) -> String {
    let mut s = String::new();
    match node.str_at(&["kind"]) {
        Some("ConfigMap") => {
            s.push('{');
            if let HVal::Map(b) = hval(node, "binaryData") {
                s.push_str("\"binaryData\":");
                go_json(b, &mut s);
                s.push(',');
            }
            s.push_str("\"data\":");
            push_hval(&hval(node, "data"), &mut s);
            s.push_str(",\"kind\":\"ConfigMap\",\"name\":\"\"}");
        }
        Some("Secret") => {
            s.push_str("{\"data\":");
            push_hval(&hval(node, "data"), &mut s);
            s.push_str(",\"kind\":\"Secret\",\"name\":\"\"");
            if let HVal::Map(b) = hval(node, "stringData") {
                s.push_str(",\"stringData\":");
                go_json(b, &mut s);
            }
            s.push_str(",\"type\":");
            push_hval(&hval(node, "type"), &mut s);
            s.push('}');
        }
        _ => go_json(node, &mut s),
    }
    let digest = Sha256::digest(s.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::EntryKind;
    use std::collections::BTreeMap;

    struct Mem(BTreeMap<String, Vec<u8>>);

    impl Source for Mem {
        fn read(&self, path: &str) -> Result<Arc<[u8]>> {
            self.0
                .get(path)
                .map(|b| Arc::from(b.as_slice()))
                .ok_or_else(|| Error::msg(format!("'{path}' does not exist")))
        }
        fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
            Ok(self.0.contains_key(path).then_some(EntryKind::File))
        }
        fn list(&self, _dir: &str) -> Result<Vec<(String, EntryKind)>> {
            Ok(Vec::new())
        }
        fn describe(&self) -> String {
            "memory".into()
        }
    }

    fn mem(files: &[(&str, &[u8])]) -> Mem {
        Mem(files
            .iter()
            .map(|(p, b)| (p.to_string(), b.to_vec()))
            .collect())
    }

    fn run_with(
        kust: &str,
        files: &[(&str, &[u8])],
        res: &mut Vec<Resource>,
    ) -> Result<Vec<String>> {
        let k = Kustomization::parse(kust, "app/kustomization.yaml")?;
        let mut inputs = Vec::new();
        run_generators(&k, &mem(files), res, &mut inputs)?;
        Ok(inputs)
    }

    fn run(kust: &str, files: &[(&str, &[u8])]) -> Result<Vec<Resource>> {
        let mut res = Vec::new();
        run_with(kust, files, &mut res)?;
        Ok(res)
    }

    fn json(r: &Resource) -> serde_json::Value {
        r.node.to_json()
    }

    fn cm(data: serde_json::Value) -> Node {
        Node::from_json(
            &serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": data}),
        )
    }

    #[test]
    fn hash_check_values() {
        assert_eq!(
            content_hash(&cm(serde_json::json!({"a": "1"}))),
            "h29d89cmmt"
        );
        assert_eq!(
            content_hash(&cm(serde_json::json!({"a": "2"}))),
            "6gtghh96k8"
        );
        // HTML characters are escaped as Go does (verified with kubectl kustomize)
        assert_eq!(
            content_hash(&cm(serde_json::json!({"c": "x<y&z"}))),
            "9ccdm86m8m"
        );
        let secret = Node::from_json(&serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "MQ=="}}));
        assert_eq!(content_hash(&secret), "25khgmg44c");
        let bin = Node::from_json(&serde_json::json!({
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bin"}, "binaryData": {"b.bin": "//4="}}));
        assert_eq!(content_hash(&bin), "9ghc4tgkt6");
        // the name, labels and annotations never change the hash
        let mut other = cm(serde_json::json!({"a": "1"}));
        other
            .get_mut("metadata")
            .unwrap()
            .set("name", Node::str("zzz", Pos::none()));
        other
            .get_mut("metadata")
            .unwrap()
            .set("labels", Node::from_json(&serde_json::json!({"x": "y"})));
        assert_eq!(content_hash(&other), "h29d89cmmt");
    }

    #[test]
    fn generates_and_hashes_end_to_end() {
        let mut res = run(
            "configMapGenerator:\n- name: cm\n  literals:\n  - a=1\n",
            &[],
        )
        .unwrap();
        assert_eq!(res.len(), 1);
        assert_eq!(
            json(&res[0]),
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "1"}})
        );
        assert_eq!(
            res[0].meta.generated,
            Some(GeneratedBy {
                behavior: Behavior::Create,
                hash: true
            })
        );
        assert_eq!(res[0].origin.line, 2);
        assert_eq!(res[0].node.get_path(&["data", "a"]).unwrap().pos.line, 4);
        apply_hash_suffixes(&mut res).unwrap();
        assert_eq!(res[0].name(), "cm-h29d89cmmt");
        assert_eq!(res[0].meta.name_before_hash.as_deref(), Some("cm"));
        assert_eq!(res[0].meta.previous.len(), 1);
        assert_eq!(res[0].meta.previous[0].name, "cm");
    }

    #[test]
    fn configmaps_before_secrets_and_secret_shape() {
        let res = run(
            "secretGenerator:\n- name: s\n  literals: [a=1]\n- name: t\n  type: kubernetes.io/tls\n  literals: [b=2]\nconfigMapGenerator:\n- name: c\n",
            &[],
        )
        .unwrap();
        let names: Vec<&str> = res.iter().map(|r| r.name()).collect();
        assert_eq!(names, ["c", "s", "t"]);
        // an empty ConfigMap has no data; a Secret always has data
        assert!(res[0].node.get("data").is_none());
        assert_eq!(
            json(&res[1]),
            serde_json::json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"a": "MQ=="}})
        );
        assert_eq!(res[2].node.str_at(&["type"]), Some("kubernetes.io/tls"));
        let mut res = res;
        apply_hash_suffixes(&mut res).unwrap();
        assert_eq!(res[1].name(), "s-25khgmg44c");
    }

    #[test]
    fn literals() {
        let res = run(
            "configMapGenerator:\n- name: cm\n  literals:\n  - a=x=y\n  - b='q'\n  - c=\"q\"\n  - d='q\"\n  - e=\n  - f=\"\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            json(&res[0])["data"],
            serde_json::json!({"a": "x=y", "b": "q", "c": "q", "d": "'q\"", "e": "", "f": "\""})
        );
        let e = run(
            "configMapGenerator:\n- name: cm\n  literals:\n  - a=1\n  - =x\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(
            e.msg,
            "invalid literal source, expected key=value (the value is not shown)"
        );
        assert_eq!(e.pos.line, 5);
        let e = run(
            "configMapGenerator:\n- name: cm\n  literals:\n  - novalue\n",
            &[],
        )
        .unwrap_err();
        assert!(!e.msg.contains("novalue"));
    }

    #[test]
    fn errors_name_and_repeats() {
        let e = run("configMapGenerator:\n- literals: [a=1]\n", &[]).unwrap_err();
        assert_eq!(e.msg, "a configmap must have a name");
        assert_eq!(e.pos.line, 2);
        let e = run("secretGenerator:\n- name: ''\n", &[]).unwrap_err();
        assert_eq!(e.msg, "a configmap must have a name");
        let e = run(
            "configMapGenerator:\n- name: cm\n  literals: [a=1]\n  files: [a]\n",
            &[("app/a", b"x")],
        )
        .unwrap_err();
        assert_eq!(e.msg, "configmap cm illegally repeats the key `a`");
        assert_eq!(e.pos.file.as_deref(), Some("app/a"));
    }

    #[test]
    fn files_sources() {
        let inputs = {
            let mut res = Vec::new();
            let i = run_with(
                "configMapGenerator:\n- name: cm\n  files:\n  - conf/app.properties\n  - other=conf/b.txt\n  - bin=conf/b.bin\n",
                &[("app/conf/app.properties", b"x=1\r\ny=2\r\n"), ("app/conf/b.txt", b"hello"), ("app/conf/b.bin", b"\xff\xfe")],
                &mut res,
            )
            .unwrap();
            let r = &res[0];
            // content verbatim, CRLF kept
            assert_eq!(
                r.node.str_at(&["data", "app.properties"]),
                Some("x=1\r\ny=2\r\n")
            );
            assert_eq!(r.node.str_at(&["data", "other"]), Some("hello"));
            assert_eq!(r.node.str_at(&["binaryData", "bin"]), Some("//4="));
            let p = &r.node.get_path(&["data", "other"]).unwrap().pos;
            assert_eq!((p.file.as_deref(), p.line), (Some("app/conf/b.txt"), 1));
            i
        };
        assert_eq!(
            inputs,
            [
                "app/conf/app.properties",
                "app/conf/b.txt",
                "app/conf/b.bin"
            ]
        );
        for (src, msg) in [
            (
                "=a",
                "missing key name for file path \"a\" in source \"=a\"",
            ),
            (
                "k=",
                "missing file path for key name \"k\" in source \"k=\"",
            ),
            (
                "a=b=c",
                "source \"a=b=c\" key name or file path contains '='",
            ),
        ] {
            let e = run(
                &format!("configMapGenerator:\n- name: cm\n  files:\n  - {src}\n"),
                &[],
            )
            .unwrap_err();
            assert_eq!(e.msg, msg);
            assert_eq!(e.pos.line, 4);
        }
        // missing file: error at the entry
        let e = run(
            "configMapGenerator:\n- name: cm\n  files:\n  - nope.txt\n",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.pos.line, 4);
        assert!(e.msg.contains("app/nope.txt"), "{}", e.msg);
        // outside the kustomization directory
        let e = run(
            "configMapGenerator:\n- name: cm\n  files:\n  - ../x.txt\n",
            &[("x.txt", b"x")],
        )
        .unwrap_err();
        assert_eq!(e.msg, "security; file 'x.txt' is not in or below 'app'");
        assert!(run(
            "configMapGenerator:\n- name: cm\n  files:\n  - ../../x.txt\n",
            &[]
        )
        .is_err());
    }

    #[test]
    fn env_files() {
        let env = b"\xef\xbb\xbfA=1\r\n  B = x\n\n# comment\n   # indented comment\nC=\"q\"\nG=x # c\nH\nexport I=1\n=skipped\nJ=a=b\r\nK=last";
        let res = run(
            "configMapGenerator:\n- name: cm\n  envs: [e.env]\n",
            &[("app/e.env", env)],
        )
        .unwrap();
        assert_eq!(
            json(&res[0])["data"],
            serde_json::json!({"A": "1", "B ": " x", "C": "\"q\"", "G": "x # c", "H": "", "export I": "1", "J": "a=b", "K": "last"})
        );
        let p = &res[0].node.get_path(&["data", "C"]).unwrap().pos;
        assert_eq!((p.file.as_deref(), p.line), (Some("app/e.env"), 6));
        // deprecated env: folded, read after envs
        let res = run(
            "configMapGenerator:\n- name: cm\n  env: a.env\n  envs: [b.env]\n",
            &[("app/a.env", b"A=1\n"), ("app/b.env", b"B=2\n")],
        )
        .unwrap();
        assert_eq!(
            json(&res[0])["data"],
            serde_json::json!({"A": "1", "B": "2"})
        );
        // invalid UTF-8 line
        let e = run(
            "configMapGenerator:\n- name: cm\n  envs: [e.env]\n",
            &[("app/e.env", b"A=1\nB=\xff\n")],
        )
        .unwrap_err();
        assert_eq!(e.pos.line, 2);
        assert_eq!(e.pos.file.as_deref(), Some("app/e.env"));
        // a BOM after line 1 is part of the key
        let res = run(
            "configMapGenerator:\n- name: cm\n  envs: [e.env]\n",
            &[("app/e.env", "A=1\n\u{feff}B=2\n".as_bytes())],
        )
        .unwrap();
        assert!(res[0].node.get_path(&["data", "\u{feff}B"]).is_some());
        // a line over 64 KiB stops the scan silently
        let mut big = b"A=1\nB=".to_vec();
        big.extend(std::iter::repeat_n(b'x', 70_000));
        big.extend(b"\nC=3\n");
        let res = run(
            "configMapGenerator:\n- name: cm\n  envs: [e.env]\n",
            &[("app/e.env", &big)],
        )
        .unwrap();
        assert_eq!(json(&res[0])["data"], serde_json::json!({"A": "1"}));
        // env values in order envs, literals, files; a repeat across sources fails
        let e = run(
            "configMapGenerator:\n- name: cm\n  envs: [e.env]\n  literals: [A=2]\n",
            &[("app/e.env", b"A=1\n")],
        )
        .unwrap_err();
        assert_eq!(e.msg, "configmap cm illegally repeats the key `A`");
        assert_eq!(e.pos.line, 4);
    }

    #[test]
    fn secret_base64_wrapping() {
        assert_eq!(encode_base64(b"1"), "MQ==");
        let long = vec![b'a'; 60]; // 80 base64 chars
        let enc = encode_base64(&long);
        let lines: Vec<&str> = enc.split_inclusive('\n').collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 71);
        assert!(enc.ends_with('\n'));
        // 72 characters: two lines, each ending in a newline (verified with kubectl kustomize)
        let enc = encode_base64(&[b'b'; 52]);
        assert_eq!(
            enc,
            "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYg\n==\n"
        );
        // 68 characters: no newline
        assert!(!encode_base64(&[b'b'; 51]).ends_with('\n'));
        let mut res = run(
            &format!(
                "secretGenerator:\n- name: s\n  literals:\n  - a={}\n  - b={}\n",
                "b".repeat(52),
                "b".repeat(51)
            ),
            &[],
        )
        .unwrap();
        apply_hash_suffixes(&mut res).unwrap();
        assert_eq!(res[0].name(), "s-27m5c4926m");
    }

    #[test]
    fn options_and_generator_options() {
        let res = run(
            "generatorOptions:\n  labels: {g: global, both: global}\n  annotations: {ga: x}\n  immutable: true\nconfigMapGenerator:\n- name: cm\n  literals: [a=1]\n  options:\n    labels: {both: local}\n    disableNameSuffixHash: true\n- name: cm2\n  literals: [a=1]\n  options:\n    disableNameSuffixHash: false\n",
            &[],
        )
        .unwrap();
        let r = json(&res[0]);
        assert_eq!(
            r["metadata"]["labels"],
            serde_json::json!({"g": "global", "both": "local"})
        );
        assert_eq!(r["metadata"]["annotations"], serde_json::json!({"ga": "x"}));
        assert_eq!(r["immutable"], serde_json::json!(true));
        assert!(!res[0].meta.generated.as_ref().unwrap().hash);
        assert!(res[1].meta.generated.as_ref().unwrap().hash);
        assert_eq!(res[0].node.get("immutable").unwrap().pos.line, 4);
        let res = run(
            "generatorOptions:\n  disableNameSuffixHash: true\nsecretGenerator:\n- name: s\n  options:\n    disableNameSuffixHash: false\n",
            &[],
        )
        .unwrap();
        assert!(!res[0].meta.generated.as_ref().unwrap().hash);
        assert!(res[0].node.get("immutable").is_none());
    }

    #[test]
    fn namespace_in_args() {
        let res = run(
            "configMapGenerator:\n- name: cm\n  namespace: ns1\n  literals: [a=1]\n",
            &[],
        )
        .unwrap();
        assert_eq!(res[0].namespace(), "ns1");
    }

    fn base_cm() -> Vec<Resource> {
        run(
            "configMapGenerator:\n- name: cm\n  literals: [a=1, b=2]\n  options:\n    labels: {l: old, k: old}\n",
            &[],
        )
        .unwrap()
    }

    #[test]
    fn create_conflicts_and_missing_targets() {
        let mut res = base_cm();
        let e = run_with(
            "configMapGenerator:\n- name: cm\n  literals: [z=1]\n",
            &[],
            &mut res,
        )
        .unwrap_err();
        assert!(
            e.msg.ends_with("exists; behavior must be merge or replace"),
            "{}",
            e.msg
        );
        assert!(e.msg.contains("Name:\"cm\""), "{}", e.msg);
        assert_eq!(e.pos.line, 2);
        // unknown behaviors act as create
        let mut res = base_cm();
        assert!(run_with(
            "configMapGenerator:\n- name: cm\n  behavior: bogus\n",
            &[],
            &mut res
        )
        .is_err());
        for b in ["merge", "replace"] {
            let e = run(
                &format!("configMapGenerator:\n- name: cm\n  behavior: {b}\n"),
                &[],
            )
            .unwrap_err();
            assert!(
                e.msg.ends_with("does not exist; cannot merge or replace"),
                "{}",
                e.msg
            );
        }
        // a different namespace is a different id; "" and default are the same
        let mut res = base_cm();
        run_with(
            "configMapGenerator:\n- name: cm\n  namespace: other\n",
            &[],
            &mut res,
        )
        .unwrap();
        assert_eq!(res.len(), 2);
        let mut res = base_cm();
        assert!(run_with(
            "configMapGenerator:\n- name: cm\n  namespace: default\n",
            &[],
            &mut res
        )
        .is_err());
    }

    #[test]
    fn merge_semantics() {
        let mut res = base_cm();
        res[0].meta.prefixes.push("base-".into());
        res[0].remember_id();
        res[0].set_name("base-cm", &Pos::none());
        let mut extra = Resource::new(
            Node::from_json(
                &serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}}),
            ),
            Pos::none(),
        );
        extra.meta.prefixes.push("x".into());
        res.insert(0, extra);
        // matched by a previous name, merged in place
        run_with(
            "configMapGenerator:\n- name: cm\n  behavior: merge\n  literals: [b=3, c=4]\n  options:\n    labels: {l: new}\n",
            &[],
            &mut res,
        )
        .unwrap();
        assert_eq!(res.len(), 2);
        let r = &res[1];
        assert_eq!(r.name(), "base-cm");
        assert_eq!(
            json(r)["data"],
            serde_json::json!({"a": "1", "b": "3", "c": "4"})
        );
        assert_eq!(
            json(r)["metadata"]["labels"],
            serde_json::json!({"l": "new", "k": "old"})
        );
        assert_eq!(r.meta.prefixes, ["base-"]);
        assert_eq!(r.meta.previous.len(), 1);
        assert_eq!(
            r.meta.generated,
            Some(GeneratedBy {
                behavior: Behavior::Create,
                hash: true
            })
        );
        // provenance: the kept value keeps the base line, the new one the overlay line
        assert_eq!(r.node.get_path(&["data", "a"]).unwrap().pos.line, 3);
        assert_eq!(r.node.get_path(&["data", "c"]).unwrap().pos.line, 4);
        // merge keeps the old origin
        assert_eq!(r.origin.line, 2);
    }

    #[test]
    fn replace_semantics_and_hash_survival() {
        let mut res = base_cm();
        run_with(
            "configMapGenerator:\n- name: cm\n  behavior: replace\n  literals: [z=9]\n  options:\n    disableNameSuffixHash: true\n",
            &[],
            &mut res,
        )
        .unwrap();
        let r = &res[0];
        assert_eq!(json(r)["data"], serde_json::json!({"z": "9"}));
        assert_eq!(
            json(r)["metadata"]["labels"],
            serde_json::json!({"l": "old", "k": "old"})
        );
        assert!(!r.meta.generated.as_ref().unwrap().hash);

        // merging into a plain (non-generated) ConfigMap: strings, no hash, old namespace
        let plain = Resource::new(
            Node::from_json(&serde_json::json!({
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "finalizers": ["x"]},
                "data": {"a": 1, "b": null}, "binaryData": {"x": "AA=="}, "immutable": true})),
            Pos::none(),
        );
        let mut res = vec![plain];
        run_with(
            "configMapGenerator:\n- name: cm\n  namespace: default\n  behavior: merge\n  literals: [z=1]\n",
            &[],
            &mut res,
        )
        .unwrap();
        assert_eq!(
            json(&res[0]),
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"},
                "data": {"a": "1", "b": "", "z": "1"}, "binaryData": {"x": "AA=="}})
        );
        assert!(!res[0].meta.generated.as_ref().unwrap().hash);
        apply_hash_suffixes(&mut res).unwrap();
        assert_eq!(res[0].name(), "cm");
    }

    #[test]
    fn go_number_formatting() {
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(1e-7), "1e-07");
        assert_eq!(go_float(123456789.0), "123456789");
        let mut s = String::new();
        go_json_str("a\"b\\\u{1}\u{2028}>", &mut s);
        assert_eq!(s, "\"a\\\"b\\\\\\u0001\\u2028\\u003e\"");
    }
}
