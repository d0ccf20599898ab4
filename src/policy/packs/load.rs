//! Reading one pack file: `pack`, `summary`, `params`, `rules` (each with `id`,
//! `severity`, `summary`, `message`, `help`, `match`, `docs`, and `schema` or
//! `check`). Every error names the pack file and line.

use super::builtin::Check;
use super::{Pack, PackRule, Scope, Test};
use crate::diagnostic::Severity;
use crate::error::{Error, Result};
use crate::policy::rules::Rule;
use crate::yaml::{parse_stream, Node, ParseOptions};
use std::collections::BTreeMap;

/// A string that lives as long as the program (the registry's fields are `&'static str`;
/// packs are loaded once).
fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn str_field<'a>(n: &'a Node, key: &str, what: &str) -> Result<&'a str> {
    n.get(key)
        .and_then(Node::as_str)
        .ok_or_else(|| Error::at(&n.pos, format!("{what} needs a string '{key}'")))
}

fn str_list(n: Option<&Node>) -> Result<Vec<String>> {
    let Some(n) = n else {
        return Ok(Vec::new());
    };
    let items = n
        .as_seq()
        .ok_or_else(|| Error::at(&n.pos, "expected a list of strings"))?;
    items
        .iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .ok_or_else(|| Error::at(&x.pos, "expected a string"))
        })
        .collect()
}

/// Parse a pack file.
pub(super) fn pack(text: &str, file: &str) -> Result<Pack> {
    let docs = parse_stream(text, file, &ParseOptions::resource())?;
    let root = docs
        .first()
        .filter(|d| d.is_map())
        .ok_or_else(|| Error::in_file(file, "a pack is one mapping"))?;
    let name = leak(str_field(root, "pack", "a pack")?);
    let mut params = BTreeMap::new();
    if let Some(m) = root.get("params").and_then(Node::as_map) {
        for (k, v) in m {
            let q = v
                .scalar_string()
                .and_then(|s| super::workload::quantity(&s))
                .ok_or_else(|| Error::at(&v.pos, format!("param '{k}' must be a quantity")))?;
            params.insert(k.clone(), q);
        }
    }
    let mut rules = Vec::new();
    for r in root
        .get("rules")
        .and_then(Node::as_seq)
        .ok_or_else(|| Error::at(&root.pos, "a pack needs 'rules'"))?
    {
        rules.push(rule(r, name, &params)?);
    }
    Ok(Pack {
        name: name.to_string(),
        summary: str_field(root, "summary", "a pack")?.to_string(),
        params,
        rules,
    })
}

fn rule(r: &Node, pack: &'static str, params: &BTreeMap<String, f64>) -> Result<PackRule> {
    let id = leak(str_field(r, "id", "a pack rule")?);
    let what = format!("pack rule '{id}'");
    let default_severity = match str_field(r, "severity", &what)? {
        "error" => Severity::Error,
        "warning" => Severity::Warning,
        other => return Err(Error::at(&r.pos, format!("{what}: bad severity '{other}'"))),
    };
    let m = r.get("match");
    let paths = str_list(m.and_then(|m| m.get("paths")))?;
    let scope = Scope {
        kinds: str_list(m.and_then(|m| m.get("kinds")))?,
        environments: str_list(m.and_then(|m| m.get("environments")))?,
        paths: if paths.is_empty() {
            None
        } else {
            let mut b = globset::GlobSetBuilder::new();
            for p in &paths {
                b.add(globset::Glob::new(p).map_err(|e| Error::at(&r.pos, e.to_string()))?);
            }
            Some(b.build().map_err(|e| Error::at(&r.pos, e.to_string()))?)
        },
    };
    let test = match (r.get("schema"), r.get("check")) {
        (Some(s), None) => Test::Schema(Box::new(
            jsonschema::validator_for(&s.to_json())
                .map_err(|e| Error::at(&s.pos, format!("{what}: bad schema: {e}")))?,
        )),
        (None, Some(c)) => Test::Builtin(Check::parse(c, params)?),
        _ => {
            return Err(Error::at(
                &r.pos,
                format!("{what} needs exactly one of 'schema' and 'check'"),
            ))
        }
    };
    let docs = leak(str_field(r, "docs", &what)?);
    Ok(PackRule {
        rule: Rule {
            id,
            default_severity,
            summary: leak(str_field(r, "summary", &what)?),
            docs,
            check: super::run,
        },
        pack,
        message: str_field(r, "message", &what)?.to_string(),
        help: r
            .get("help")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string(),
        scope,
        test,
    })
}
