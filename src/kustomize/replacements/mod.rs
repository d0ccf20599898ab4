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

mod apply;
mod path;
mod select;

use apply::*;
pub(crate) use path::*;
pub(crate) use select::*;

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

#[cfg(test)]
pub(crate) mod tests;
