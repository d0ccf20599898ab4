//! `replacements:` (inline and from files). (Owner: references work.)
//!
//! Each replacement reads one value from one source resource and writes it into
//! fields of the selected targets, in order. Written values carry the position
//! of the source field they were copied from.

use super::kustomization::Kustomization;
use crate::error::{Error, Result};
use crate::model::{Gvk, ResId, Resource};
use crate::source::{self, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Pos, Value};

/// Apply this kustomization's replacements.
pub fn replacements(
    k: &Kustomization,
    src: &dyn Source,
    res: &mut [Resource],
    inputs: &mut Vec<String>,
) -> Result<()> {
    let Some(list) = k.field("replacements") else {
        return Ok(());
    };
    let Some(items) = list.as_seq() else {
        return Err(Error::at(&list.pos, "'replacements' must be a list"));
    };
    let mut all = Vec::new();
    for item in items {
        let Some(m) = item.as_map() else {
            return Err(Error::at(&item.pos, "a replacement must be a mapping"));
        };
        for key in m.keys() {
            if !matches!(key.as_str(), "path" | "source" | "targets") {
                return Err(Error::at(
                    &item.pos,
                    format!("invalid Kustomization: json: unknown field \"{key}\""),
                ));
            }
        }
        match item.get("path").filter(|p| !p.is_null()) {
            Some(p) => {
                let Some(path) = p.as_str().filter(|s| !s.is_empty()) else {
                    return Err(Error::at(&p.pos, "replacement 'path' must be a string"));
                };
                if item.get("source").is_some_and(|n| !n.is_null())
                    || item
                        .get("targets")
                        .and_then(|n| n.as_seq())
                        .is_some_and(|s| !s.is_empty())
                {
                    return Err(Error::at(
                        &item.pos,
                        "cannot specify both path and inline replacement",
                    ));
                }
                let file = source::join(&k.dir, path).map_err(|e| e.or_at(&p.pos))?;
                let bytes = src.read(&file).map_err(|e| e.or_at(&p.pos))?;
                inputs.push(file.clone());
                let text = decode(&bytes, &file)?;
                let docs = parse_stream(&text, &file, &ParseOptions::kustomization())?;
                let Some(doc) = docs.into_iter().next() else {
                    return Err(Error::in_file(
                        &file,
                        "unsupported replacement type encountered within replacement path: invalid",
                    ));
                };
                match &doc.value {
                    Value::Seq(s) => {
                        for r in s {
                            all.push(Replacement::parse(r)?);
                        }
                    }
                    Value::Map(_) => all.push(Replacement::parse(&doc)?),
                    _ => {
                        return Err(Error::at(
                            &doc.pos,
                            format!(
                            "unsupported replacement type encountered within replacement path: {}",
                            doc.type_name()
                        ),
                        ))
                    }
                }
            }
            None => all.push(Replacement::parse(item)?),
        }
    }
    for r in &all {
        apply(r, res).map_err(|e| e.or_at(&r.pos))?;
    }
    Ok(())
}

/// `delimiter`/`index`/`create` options.
#[derive(Clone, Debug, Default)]
struct Options {
    delimiter: String,
    index: i64,
    create: bool,
}

/// An id selector plus label and annotation selectors.
#[derive(Clone, Debug, Default)]
struct Selector {
    id: ResId,
    labels: String,
    annotations: String,
}

#[derive(Clone, Debug)]
struct Target {
    select: Option<Selector>,
    reject: Vec<Selector>,
    field_paths: Vec<String>,
    options: Options,
}

#[derive(Clone, Debug)]
struct Replacement {
    source: Option<(ResId, String, Options)>,
    targets: Option<Vec<Target>>,
    pos: Pos,
}

fn str_field(n: &Node, key: &str) -> Result<String> {
    match n.get(key) {
        None => Ok(String::new()),
        Some(v) if v.is_null() => Ok(String::new()),
        Some(v) => match &v.value {
            Value::Str(s) => Ok(s.clone()),
            _ => Err(Error::at(
                &v.pos,
                format!(
                    "json: cannot unmarshal {} into Go struct field .{key} of type string",
                    v.type_name()
                ),
            )),
        },
    }
}

fn check_keys(n: &Node, allowed: &[&str]) -> Result<()> {
    let Some(m) = n.as_map() else {
        return Err(Error::at(
            &n.pos,
            format!("expected a mapping, found a {}", n.type_name()),
        ));
    };
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::at(&n.pos, format!("json: unknown field \"{k}\"")));
        }
    }
    Ok(())
}

fn parse_id(n: &Node) -> Result<ResId> {
    Ok(ResId {
        gvk: Gvk {
            group: str_field(n, "group")?,
            version: str_field(n, "version")?,
            kind: str_field(n, "kind")?,
        },
        name: str_field(n, "name")?,
        namespace: str_field(n, "namespace")?,
    })
}

fn parse_options(n: Option<&Node>) -> Result<Options> {
    let Some(n) = n.filter(|n| !n.is_null()) else {
        return Ok(Options::default());
    };
    check_keys(n, &["delimiter", "index", "encoding", "create"])?;
    let index = match n.get("index") {
        None => 0,
        Some(v) if v.is_null() => 0,
        Some(v) => v
            .as_i64()
            .ok_or_else(|| Error::at(&v.pos, "replacement options.index must be an integer"))?,
    };
    let create = match n.get("create") {
        None => false,
        Some(v) if v.is_null() => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| Error::at(&v.pos, "replacement options.create must be a boolean"))?,
    };
    Ok(Options {
        delimiter: str_field(n, "delimiter")?,
        index,
        create,
    })
}

fn parse_selector(n: &Node) -> Result<Selector> {
    check_keys(
        n,
        &[
            "group",
            "version",
            "kind",
            "name",
            "namespace",
            "labelSelector",
            "annotationSelector",
        ],
    )?;
    Ok(Selector {
        id: parse_id(n)?,
        labels: str_field(n, "labelSelector")?,
        annotations: str_field(n, "annotationSelector")?,
    })
}

impl Replacement {
    fn parse(n: &Node) -> Result<Replacement> {
        check_keys(n, &["source", "targets", "path"])?;
        let source = match n.get("source").filter(|s| !s.is_null()) {
            None => None,
            Some(s) => {
                check_keys(
                    s,
                    &[
                        "group",
                        "version",
                        "kind",
                        "name",
                        "namespace",
                        "fieldPath",
                        "options",
                    ],
                )?;
                Some((
                    parse_id(s)?,
                    str_field(s, "fieldPath")?,
                    parse_options(s.get("options"))?,
                ))
            }
        };
        let targets =
            match n.get("targets").filter(|s| !s.is_null()) {
                None => None,
                Some(t) => {
                    let Some(seq) = t.as_seq() else {
                        return Err(Error::at(&t.pos, "replacement 'targets' must be a list"));
                    };
                    let mut out = Vec::new();
                    for t in seq {
                        check_keys(t, &["select", "reject", "fieldPaths", "options"])?;
                        let select = match t.get("select").filter(|s| !s.is_null()) {
                            Some(s) => Some(parse_selector(s)?),
                            None => None,
                        };
                        let mut reject = Vec::new();
                        if let Some(r) = t.get("reject").filter(|s| !s.is_null()) {
                            let Some(rs) = r.as_seq() else {
                                return Err(Error::at(
                                    &r.pos,
                                    "replacement target 'reject' must be a list",
                                ));
                            };
                            for x in rs {
                                reject.push(parse_selector(x)?);
                            }
                        }
                        let mut field_paths = Vec::new();
                        if let Some(f) = t.get("fieldPaths").filter(|s| !s.is_null()) {
                            let Some(fs) = f.as_seq() else {
                                return Err(Error::at(
                                    &f.pos,
                                    "replacement target 'fieldPaths' must be a list of strings",
                                ));
                            };
                            for x in fs {
                                match x.as_str() {
                                    Some(s) => field_paths.push(s.to_string()),
                                    None => return Err(Error::at(
                                        &x.pos,
                                        "replacement target 'fieldPaths' must be a list of strings",
                                    )),
                                }
                            }
                        }
                        out.push(Target {
                            select,
                            reject,
                            field_paths,
                            options: parse_options(t.get("options"))?,
                        });
                    }
                    Some(out)
                }
            };
        Ok(Replacement {
            source,
            targets,
            pos: n.pos.clone(),
        })
    }
}

// ---------------------------------------------------------------- ids

/// kustomize's `Gvk.String()`: `Kind.version.group` with placeholders.
pub(crate) fn gvk_string(g: &Gvk) -> String {
    let k = if g.kind.is_empty() {
        "[noKind]"
    } else {
        &g.kind
    };
    let v = if g.version.is_empty() {
        "[noVer]"
    } else {
        &g.version
    };
    let gr = if g.group.is_empty() {
        "[noGrp]"
    } else {
        &g.group
    };
    format!("{k}.{v}.{gr}")
}

/// kustomize's `ResId.String()`.
pub(crate) fn id_string(id: &ResId) -> String {
    let n = if id.name.is_empty() {
        "[noName]"
    } else {
        &id.name
    };
    let ns = if id.namespace.is_empty() {
        "[noNs]"
    } else {
        &id.namespace
    };
    format!("{}/{n}.{ns}", gvk_string(&id.gvk))
}

/// `""` and `default` are the same namespace (ids built without scope knowledge).
fn literal_ns(ns: &str) -> &str {
    if ns.is_empty() {
        "default"
    } else {
        ns
    }
}

/// The group and version of an apiVersion, split at the first `/` as kustomize does.
pub(crate) fn parse_group_version(api: &str) -> (String, String) {
    match api.split_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (String::new(), api.to_string()),
    }
}

/// Current and previous ids as kustomize's `MakeResIds` builds them: previous ids
/// take the current group and version.
pub(crate) fn make_res_ids(r: &Resource) -> Vec<ResId> {
    let (group, version) = parse_group_version(r.api_version());
    let mut out = vec![ResId {
        gvk: Gvk {
            group: group.clone(),
            version: version.clone(),
            kind: r.kind().to_string(),
        },
        name: r.name().to_string(),
        namespace: r.namespace().to_string(),
    }];
    for p in &r.meta.previous {
        out.push(ResId {
            gvk: Gvk {
                group: group.clone(),
                version: version.clone(),
                kind: p.gvk.kind.clone(),
            },
            name: p.name.clone(),
            namespace: p.namespace.clone(),
        });
    }
    out
}

/// Whether `id` is selected by `sel` (empty selector fields match anything).
fn selected_by(id: &ResId, sel: &ResId) -> bool {
    (sel.name.is_empty() || sel.name == id.name)
        && (sel.namespace.is_empty() || literal_ns(&sel.namespace) == literal_ns(&id.namespace))
        && (sel.gvk.group.is_empty() || sel.gvk.group == id.gvk.group)
        && (sel.gvk.version.is_empty() || sel.gvk.version == id.gvk.version)
        && (sel.gvk.kind.is_empty() || sel.gvk.kind == id.gvk.kind)
}

fn id_is_empty(id: &ResId) -> bool {
    id.name.is_empty()
        && id.namespace.is_empty()
        && id.gvk.group.is_empty()
        && id.gvk.version.is_empty()
        && id.gvk.kind.is_empty()
}

// ---------------------------------------------------------------- label selectors

/// Match a Kubernetes label selector string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`)
/// against a map of labels. The empty selector matches everything.
pub(crate) fn matches_selector(sel: &str, labels: Option<&Node>) -> Result<bool> {
    let get = |k: &str| {
        labels
            .and_then(|l| l.get(k))
            .and_then(|v| v.scalar_string())
    };
    for req in split_requirements(sel) {
        let req = req.trim();
        if req.is_empty() {
            continue;
        }
        let ok = if let Some(key) = req.strip_prefix('!') {
            get(key.trim()).is_none()
        } else if let Some((k, v)) = req.split_once("!=") {
            get(k.trim()).as_deref() != Some(v.trim())
        } else if let Some((k, v)) = req.split_once("==") {
            get(k.trim()).as_deref() == Some(v.trim())
        } else if let Some((k, v)) = req.split_once('=') {
            get(k.trim()).as_deref() == Some(v.trim())
        } else if let Some((k, set, neg)) = set_requirement(req) {
            let have = get(&k);
            let inset = have.as_ref().is_some_and(|h| set.iter().any(|s| s == h));
            if neg {
                !inset
            } else {
                inset
            }
        } else if req.contains(char::is_whitespace) || req.contains('(') {
            return Err(Error::msg(format!(
                "unable to parse requirement: invalid label selector '{sel}'"
            )));
        } else {
            get(req).is_some()
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn split_requirements(sel: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0;
    for c in sel.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out
}

fn set_requirement(req: &str) -> Option<(String, Vec<String>, bool)> {
    let open = req.find('(')?;
    let close = req.rfind(')')?;
    let head = req[..open].trim();
    let (key, neg) = if let Some(k) = head.strip_suffix("notin") {
        (k.trim(), true)
    } else if let Some(k) = head.strip_suffix("in") {
        (k.trim(), false)
    } else {
        return None;
    };
    let set = req[open + 1..close]
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    Some((key.to_string(), set, neg))
}

fn matches_anno_and_label(r: &Resource, s: &Selector) -> Result<bool> {
    let md = r.node.get("metadata");
    Ok(
        matches_selector(&s.annotations, md.and_then(|m| m.get("annotations")))?
            && matches_selector(&s.labels, md.and_then(|m| m.get("labels")))?,
    )
}

// ---------------------------------------------------------------- paths

/// kustomize's `PathSplitter`: split on `delim`, honouring `\` escapes and a leading delimiter.
fn path_splitter(path: &str, delim: char) -> Vec<String> {
    let mut ps: Vec<&str> = path.split(delim).collect();
    if ps.len() > 1 && ps[0].is_empty() {
        ps.remove(0);
    }
    let mut res: Vec<String> = vec![ps[0].to_string()];
    for p in &ps[1..] {
        let last = res.last_mut().expect("non-empty");
        if last.ends_with('\\') {
            last.pop();
            last.push(delim);
            last.push_str(p);
        } else {
            res.push(p.to_string());
        }
    }
    res
}

/// kustomize's `SmarterPathSplitter`: like [`path_splitter`], keeping `[a.b=c]`
/// together and unwrapping `[a.b]` to a plain key.
pub(crate) fn smarter_split(path: &str) -> Vec<String> {
    let split = path_splitter(path, '.');
    let mut out = Vec::new();
    let mut i = 0;
    while i < split.len() {
        let elem = &split[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut parts = vec![elem.clone()];
            while i < split.len() - 1 {
                i += 1;
                parts.push(split[i].clone());
                if split[i].ends_with(']') {
                    break;
                }
            }
            let joined = parts.join(".");
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

fn is_list_index(p: &str) -> bool {
    p.starts_with('[') && p.ends_with(']')
}

fn split_index(p: &str) -> Result<(String, String)> {
    let inner = p.strip_prefix('[').unwrap_or(p);
    let inner = inner.strip_suffix(']').unwrap_or(inner);
    match inner.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err(Error::msg(
            "list path element must contain fieldName=fieldValue for element to match",
        )),
    }
}

fn kind_name(n: &Node) -> &'static str {
    match n.value {
        Value::Map(_) => "MappingNode",
        Value::Seq(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

/// kyaml's `PathGetter` without creation: follow `parts` (fields, `[k=v]` exact
/// matches, `[=v]`, indexes, `-` for the last element). `Ok(None)` when missing.
pub(crate) fn lookup<'a>(node: &'a Node, parts: &[String]) -> Result<Option<&'a Node>> {
    let mut cur = node;
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        if cur.is_null() {
            return Ok(None);
        }
        if let Ok(idx) = part.parse::<i64>() {
            if idx < 0 {
                return Err(Error::msg(format!("array index {idx} cannot be negative")));
            }
            let Some(seq) = cur.as_seq() else {
                return Err(Error::msg(format!(
                    "wrong node kind: expected SequenceNode but got {}",
                    kind_name(cur)
                )));
            };
            match seq.get(idx as usize) {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else if part == "-" {
            let Some(seq) = cur.as_seq() else {
                return Err(Error::msg(format!(
                    "wrong node kind: expected SequenceNode but got {}",
                    kind_name(cur)
                )));
            };
            match seq.last() {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else if part == "*" {
            return Err(Error::msg("wildcard is not supported in PathGetter"));
        } else if is_list_index(part) {
            let (k, v) = split_index(part)?;
            let Some(seq) = cur.as_seq() else {
                return Err(Error::msg(format!(
                    "wrong node kind: expected SequenceNode but got {}",
                    kind_name(cur)
                )));
            };
            let found = if k.is_empty() {
                seq.iter()
                    .find(|e| e.is_scalar() && e.scalar_string().as_deref() == Some(v.as_str()))
            } else {
                seq.iter().find(|e| {
                    e.get(&k)
                        .filter(|f| f.is_scalar())
                        .and_then(|f| f.scalar_string())
                        .as_deref()
                        == Some(v.as_str())
                })
            };
            match found {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else {
            let Some(m) = cur.as_map() else {
                return Err(Error::msg(format!(
                    "wrong node kind: expected MappingNode but got {}",
                    kind_name(cur)
                )));
            };
            match m.get(part) {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        }
    }
    Ok(Some(cur))
}

/// Kind of node to create at the end of a path (the value's kind).
#[derive(Clone, Copy, PartialEq, Eq)]
enum CreateKind {
    Scalar,
    Map,
    Seq,
}

fn create_kind_of(n: &Node) -> CreateKind {
    match n.value {
        Value::Map(_) => CreateKind::Map,
        Value::Seq(_) => CreateKind::Seq,
        _ => CreateKind::Scalar,
    }
}

fn is_idx_number(p: &str) -> bool {
    p.parse::<i64>().is_ok_and(|i| i >= 0)
}

/// The node to create for the part before `next`.
fn new_part(next: Option<&str>, create: CreateKind, pos: &Pos) -> Node {
    let kind = match next {
        None => create,
        Some(n) if is_list_index(n) || is_idx_number(n) => CreateKind::Seq,
        Some(_) => CreateKind::Map,
    };
    match kind {
        // A created scalar is untyped until written; null stands for it.
        CreateKind::Scalar => Node::new(Value::Null, pos.clone()),
        CreateKind::Map => Node::map(pos.clone()),
        CreateKind::Seq => Node::seq(pos.clone()),
    }
}

/// Type a plain scalar as yaml.v3 would (numbers, booleans, null; else a string).
pub(crate) fn retype_plain(text: &str) -> Value {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_' | ':' | '~'))
        && !text.contains(": ");
    if !safe {
        return if text.is_empty() {
            Value::Null
        } else {
            Value::Str(text.to_string())
        };
    }
    match parse_stream(text, "", &ParseOptions::resource()) {
        Ok(mut docs) if docs.len() == 1 => {
            let v = docs.remove(0).value;
            match v {
                Value::Map(_) | Value::Seq(_) => Value::Str(text.to_string()),
                v => v,
            }
        }
        _ => Value::Str(text.to_string()),
    }
}

/// kyaml's `PathMatcher`: visit every node `parts` names (`*` for every element,
/// `[k=v]` unanchored regex matches, indexes), creating missing parts when `create`
/// is set. `f` receives the node and whether it was just created.
fn path_match(
    node: &mut Node,
    parts: &[String],
    create: Option<CreateKind>,
    created: bool,
    pos: &Pos,
    f: &mut dyn FnMut(&mut Node, bool) -> Result<()>,
) -> Result<usize> {
    let Some(part) = parts.first() else {
        f(node, created)?;
        return Ok(1);
    };
    let next = parts.get(1).map(|s| s.as_str());
    let rest = &parts[1..];
    if is_idx_number(part) {
        let idx: usize = part.parse().unwrap_or(usize::MAX);
        if node.is_null() && create.is_some() {
            node.value = Value::Seq(Vec::new());
        }
        let Some(seq) = node.as_seq_mut() else {
            return Err(Error::msg(format!(
                "wrong node kind: expected SequenceNode but got {}",
                kind_name(node)
            )));
        };
        let mut new = false;
        if let Some(ck) = create {
            if seq.len() == idx {
                seq.push(new_part(next, ck, pos));
                new = true;
            }
        }
        let len = seq.len();
        let Some(elem) = seq.get_mut(idx) else {
            return Err(Error::msg(format!(
                "index {idx} specified but only {len} elements found"
            )));
        };
        return path_match(elem, rest, create, new, pos, f);
    }
    if is_list_index(part) {
        let (field, pat) = split_index(part)?;
        let re = regex::Regex::new(&pat)
            .map_err(|e| Error::msg(format!("error parsing regexp: {e}")))?;
        if node.is_null() && create.is_some() {
            node.value = Value::Seq(Vec::new());
        }
        let Some(seq) = node.as_seq_mut() else {
            return Err(Error::msg(format!(
                "wrong node kind: expected SequenceNode but got {}",
                kind_name(node)
            )));
        };
        let matches = |e: &Node| -> bool {
            let v = if field.is_empty() {
                Some(e)
            } else {
                e.get(&field)
            };
            match v {
                Some(v) if v.is_scalar() && !v.is_null() => {
                    re.is_match(v.scalar_string().unwrap_or_default().trim())
                }
                _ => false,
            }
        };
        let mut count = 0;
        let mut any = false;
        for elem in seq.iter_mut() {
            if !matches(elem) {
                continue;
            }
            any = true;
            count += path_match(elem, rest, create, false, pos, f)?;
        }
        if any || create.is_none() {
            return Ok(count);
        }
        let value = Node::new(retype_plain(&pat), pos.clone());
        let elem = if field.is_empty() {
            value
        } else {
            let mut m = Node::map(pos.clone());
            m.set(&field, value);
            m
        };
        let new_primitive = field.is_empty();
        seq.push(elem);
        let last = seq.last_mut().expect("pushed");
        if !matches(last) {
            return Ok(0);
        }
        return path_match(last, rest, create, new_primitive, pos, f);
    }
    if part == "*" {
        let Some(seq) = node.as_seq_mut() else {
            if node.is_null() {
                return Ok(0);
            }
            return Err(Error::msg(format!(
                "wrong node kind: expected SequenceNode but got {}",
                kind_name(node)
            )));
        };
        let mut count = 0;
        for elem in seq.iter_mut() {
            count += path_match(elem, rest, create, false, pos, f)?;
        }
        return Ok(count);
    }
    if node.is_null() {
        if create.is_none() {
            return Ok(0);
        }
        node.value = Value::Map(Default::default());
    }
    let Some(map) = node.as_map_mut() else {
        return Err(Error::msg(format!(
            "wrong node kind: expected MappingNode but got {}",
            kind_name(node)
        )));
    };
    let mut new = false;
    if !map.contains_key(part.as_str()) {
        let Some(ck) = create else { return Ok(0) };
        map.insert(part.clone(), new_part(next, ck, pos));
        new = true;
    }
    let child = map.get_mut(part.as_str()).expect("present");
    path_match(child, rest, create, new, pos, f)
}

// ---------------------------------------------------------------- apply

fn apply(r: &Replacement, res: &mut [Resource]) -> Result<()> {
    let (Some((sel, fp, opts)), Some(targets)) = (&r.source, &r.targets) else {
        return Err(Error::at(
            &r.pos,
            "replacements must specify a source and at least one target",
        ));
    };
    let value = source_value(sel, fp, opts, res)?;
    for t in targets {
        let Some(select) = &t.select else {
            return Err(Error::at(&r.pos, "target must specify resources to select"));
        };
        let default_paths = vec!["metadata.name".to_string()];
        let paths = if t.field_paths.is_empty() {
            &default_paths
        } else {
            &t.field_paths
        };
        for target in res.iter_mut() {
            let ids = make_res_ids(target);
            if !matches_anno_and_label(target, select)? {
                continue;
            }
            let mut rejected = false;
            for rj in &t.reject {
                if rj.annotations.is_empty() && rj.labels.is_empty() {
                    continue;
                }
                if matches_anno_and_label(target, rj)? {
                    rejected = true;
                    break;
                }
            }
            if rejected {
                continue;
            }
            let reject_by_id = t
                .reject
                .iter()
                .filter(|rj| !id_is_empty(&rj.id))
                .any(|rj| ids.iter().any(|id| selected_by(id, &rj.id)));
            if reject_by_id || !ids.iter().any(|id| selected_by(id, &select.id)) {
                continue;
            }
            for p in paths {
                copy_to_target(target, p, &value, &t.options)?;
            }
        }
    }
    Ok(())
}

fn source_value(sel: &ResId, fp: &str, opts: &Options, res: &[Resource]) -> Result<Node> {
    let mut found: Option<&Resource> = None;
    let sel_string = || {
        let mut s = id_string(sel);
        if !fp.is_empty() {
            s.push(':');
            s.push_str(fp);
        }
        if !opts.delimiter.is_empty() || opts.create {
            s.push_str(&format!(
                ":{}({}), create={}",
                opts.delimiter, opts.index, opts.create
            ));
        }
        s
    };
    for r in res {
        if make_res_ids(r).iter().any(|id| selected_by(id, sel)) {
            if found.is_some() {
                return Err(Error::msg(format!(
                    "multiple matches for selector {}",
                    sel_string()
                )));
            }
            found = Some(r);
        }
    }
    let Some(src) = found else {
        return Err(Error::msg(format!("nothing selected by {}", sel_string())));
    };
    let fp = if fp.is_empty() { "metadata.name" } else { fp };
    let parts = smarter_split(fp);
    let node = lookup(&src.node, &parts)
        .map_err(|e| Error::msg(format!("error looking up replacement source: {}", e.msg)))?;
    let node = match node {
        Some(n) if !is_nil_or_empty(n) => n,
        _ => {
            return Err(Error::msg(format!(
                "fieldPath `{fp}` is missing for replacement source {}",
                id_string(sel)
            )))
        }
    };
    if opts.delimiter.is_empty() {
        return Ok(node.clone());
    }
    if !node.is_scalar() {
        return Err(Error::at(
            &node.pos,
            "delimiter option can only be used with scalar nodes",
        ));
    }
    let text = node.scalar_string().unwrap_or_default();
    let pieces: Vec<&str> = text.split(opts.delimiter.as_str()).collect();
    if opts.index < 0 || opts.index as usize >= pieces.len() {
        return Err(Error::at(
            &node.pos,
            format!(
                "options.index {} is out of bounds for value {text}",
                opts.index
            ),
        ));
    }
    let piece = pieces[opts.index as usize];
    let value = match node.value {
        Value::Str(_) => Value::Str(piece.to_string()),
        _ => retype_plain(piece),
    };
    Ok(Node::new(value, node.pos.clone()))
}

fn is_nil_or_empty(n: &Node) -> bool {
    match &n.value {
        Value::Null => true,
        Value::Map(m) => m.is_empty(),
        Value::Seq(s) => s.is_empty(),
        _ => false,
    }
}

fn copy_to_target(target: &mut Resource, fp: &str, value: &Node, opts: &Options) -> Result<()> {
    let create = if opts.create {
        Some(create_kind_of(value))
    } else {
        None
    };
    let parts: Vec<String> = smarter_split(fp)
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    let base = if opts.create {
        format!("unable to find or create field \"{fp}\" in replacement target")
    } else {
        format!("unable to find field \"{fp}\" in replacement target")
    };
    let mut set_err: Option<Error> = None;
    let pos = value.pos.clone();
    let walked = path_match(
        &mut target.node,
        &parts,
        create,
        false,
        &pos,
        &mut |t, created| {
            set_field_value(t, created, value, opts).map_err(|e| {
                set_err = Some(e);
                Error::msg("")
            })
        },
    );
    if let Some(e) = set_err {
        return Err(e.or_at(&pos));
    }
    match walked {
        Err(e) => Err(Error::at(&pos, format!("{base}: {}", e.msg))),
        Ok(0) => Err(Error::at(&pos, base)),
        Ok(_) => Ok(()),
    }
}

fn set_field_value(target: &mut Node, created: bool, value: &Node, opts: &Options) -> Result<()> {
    let mut value = value.clone();
    if !opts.delimiter.is_empty() {
        if !target.is_scalar() {
            return Err(Error::at(
                &value.pos,
                "delimiter option can only be used with scalar nodes",
            ));
        }
        let cur = if created {
            String::new()
        } else {
            target.scalar_string().unwrap_or_default()
        };
        let cur = if target.is_null() && !created {
            String::new()
        } else {
            cur
        };
        let mut tv: Vec<String> = cur
            .split(opts.delimiter.as_str())
            .map(str::to_string)
            .collect();
        let v = if value.is_scalar() {
            value.scalar_string().unwrap_or_default()
        } else {
            String::new()
        };
        if opts.index < 0 {
            tv.insert(0, v);
        } else if opts.index as usize >= tv.len() {
            tv.push(v);
        } else {
            tv[opts.index as usize] = v;
        }
        let joined = tv.join(&opts.delimiter);
        value = Node::new(Value::Str(joined), value.pos.clone());
    }
    if target.is_scalar() {
        let text = if value.is_scalar() {
            value.scalar_string().unwrap_or_default()
        } else {
            String::new()
        };
        let new = if created {
            retype_plain(&text)
        } else {
            keep_tag(&target.value, &text)?
        };
        target.value = new;
        target.pos = value.pos.clone();
    } else {
        *target = value;
    }
    Ok(())
}

/// Write `text` into a scalar that keeps its type (kyaml keeps the node's tag).
fn keep_tag(old: &Value, text: &str) -> Result<Value> {
    let mismatch = |tag: &str| {
        let got = match retype_plain(text) {
            Value::Int(_) => "!!int",
            Value::Float(_) => "!!float",
            Value::Bool(_) => "!!bool",
            Value::Null => "!!null",
            _ => "!!str",
        };
        // The value is not shown: it may come from a Secret.
        Error::msg(format!("cannot decode the {got} source value as a {tag}"))
    };
    Ok(match old {
        Value::Str(_) => Value::Str(text.to_string()),
        Value::Int(_) => match retype_plain(text) {
            v @ Value::Int(_) => v,
            _ => return Err(mismatch("!!int")),
        },
        Value::Float(_) => match retype_plain(text) {
            Value::Int(i) => Value::Float(i as f64),
            v @ Value::Float(_) => v,
            _ => return Err(mismatch("!!float")),
        },
        Value::Bool(_) => match retype_plain(text) {
            v @ Value::Bool(_) => v,
            _ => return Err(mismatch("!!bool")),
        },
        Value::Null => match retype_plain(text) {
            Value::Null => Value::Null,
            _ => return Err(mismatch("!!null")),
        },
        Value::Map(_) | Value::Seq(_) => Value::Str(text.to_string()),
    })
}

#[cfg(test)]
pub(crate) mod tests;
