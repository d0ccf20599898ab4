//! Argo CD: Applications (single and multi-source) and the Applications that
//! ApplicationSets generate (list, clusters, git directories, git files, matrix,
//! merge), with their `source.kustomize` overrides and destinations.

use super::scan::{Object, Objects};
use super::template;
use super::{
    Controller, ControllerKind, Deployment, Flavor, Note, Overrides, Topology, TopologyOptions,
};
use crate::error::Result;
use crate::source::{self, Source};
use crate::yaml::{parse_stream, Node, ParseOptions};
use globset::GlobBuilder;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

const GROUP: &str = "argoproj.io";
/// Most Applications one ApplicationSet may generate (a bound on attacker data).
const MAX_GENERATED: usize = 5_000;

type Params = Map<String, Value>;

/// Discover the Argo CD deployments of the tree.
pub fn discover(
    src: &dyn Source,
    objects: &Objects,
    opts: &TopologyOptions,
    topo: &mut Topology,
) -> Result<()> {
    for app in objects.of(GROUP, "Application") {
        let ctl = Controller {
            kind: ControllerKind::ArgoApplication,
            name: app.qualified(),
            at: app.pos(),
        };
        application(src, &app.node, ctl, opts, topo)?;
    }
    for set in objects.of(GROUP, "ApplicationSet") {
        match expand(src, set, opts) {
            Ok(apps) => {
                for (name, node) in apps {
                    let ctl = Controller {
                        kind: ControllerKind::ArgoApplicationSet,
                        name: format!("{} → {name}", set.qualified()),
                        at: set.pos(),
                    };
                    application(src, &node, ctl, opts, topo)?;
                }
            }
            Err(why) => topo.notes.push(Note {
                at: set.pos(),
                msg: format!("ApplicationSet '{}' not expanded: {why}", set.qualified()),
            }),
        }
    }
    Ok(())
}

/// The deployments of one Application (one per source in this repository).
fn application(
    src: &dyn Source,
    app: &Node,
    ctl: Controller,
    opts: &TopologyOptions,
    topo: &mut Topology,
) -> Result<()> {
    let name = app.str_at(&["metadata", "name"]).unwrap_or("").to_string();
    let dest = |k: &str| {
        app.str_at(&["spec", "destination", k])
            .unwrap_or("")
            .to_string()
    };
    let (dname, server, dns) = (dest("name"), dest("server"), dest("namespace"));
    let cluster = if !dname.is_empty() {
        dname.clone()
    } else if !server.is_empty() {
        server.trim_end_matches('/').to_string()
    } else {
        "(no destination)".to_string()
    };
    let sources: Vec<&Node> = match app.get_path(&["spec", "sources"]).and_then(|s| s.as_seq()) {
        Some(s) if !s.is_empty() => s.iter().collect(),
        _ => app.get_path(&["spec", "source"]).into_iter().collect(),
    };
    let note = |topo: &mut Topology, msg: String| {
        topo.notes.push(Note {
            at: ctl.at.clone(),
            msg: format!("{} '{}': {msg}", ctl.kind.label(), ctl.name),
        })
    };
    for s in sources {
        let mut msgs = Vec::new();
        let path = source_path(src, s, opts, &mut msgs)?;
        for m in msgs {
            note(topo, m);
        }
        let Some(path) = path else {
            continue;
        };
        let how = if !dname.is_empty() {
            format!("destination name '{dname}'")
        } else {
            format!("destination server '{server}'")
        };
        topo.deployments.push(Deployment {
            cluster: cluster.clone(),
            app: name.clone(),
            path,
            controller: ctl.clone(),
            flavor: Flavor::Argo,
            overrides: s.get("kustomize").map(overrides).unwrap_or_default(),
            build: super::BuildOptions::default(),
            environment: None,
            reason: format!("cluster '{cluster}' from the {how}"),
            namespace: (!dns.is_empty()).then_some(dns.clone()),
        });
    }
    Ok(())
}

/// The directory an Application source deploys from this repository, or `None`
/// (with the reason in `msgs`) when it is not rendered offline.
fn source_path(
    src: &dyn Source,
    s: &Node,
    opts: &TopologyOptions,
    msgs: &mut Vec<String>,
) -> Result<Option<String>> {
    let url = s.str_at(&["repoURL"]).unwrap_or("");
    if !super::env::is_this_repo(url, &opts.repo_urls) {
        msgs.push(format!("source {url} is not this repository"));
        return Ok(None);
    }
    if s.get("chart").is_some() || s.get("helm").is_some() {
        msgs.push("Helm sources are not rendered offline".to_string());
        return Ok(None);
    }
    if s.get("plugin").is_some() {
        msgs.push("config management plugins are not run offline".to_string());
        return Ok(None);
    }
    if let Some(d) = s.get("directory") {
        if ["recurse", "include", "exclude", "jsonnet"]
            .iter()
            .any(|k| {
                d.get(k)
                    .is_some_and(|v| !v.is_null() && v.as_bool() != Some(false))
            })
        {
            msgs.push("directory options (recurse/include/exclude/jsonnet) are not applied: the top-level manifests are rendered".to_string(),
            );
        }
    }
    let Some(raw) = s.str_at(&["path"]) else {
        return Ok(None); // a `ref` source: values for others, not rendered itself
    };
    let path = match source::join("", raw) {
        Ok(p) => p,
        Err(e) => {
            msgs.push(format!("source path: {}", e.msg));
            return Ok(None);
        }
    };
    if src.entry(&path)?.is_none() {
        msgs.push(format!("path '{path}' does not exist in this revision"));
        return Ok(None);
    }
    let has = |n: &str| -> Result<bool> {
        let p = if path.is_empty() {
            n.to_string()
        } else {
            format!("{path}/{n}")
        };
        Ok(src.entry(&p)? == Some(crate::source::EntryKind::File))
    };
    let kustomize =
        has("kustomization.yaml")? || has("kustomization.yml")? || has("Kustomization")?;
    if !kustomize && has("Chart.yaml")? {
        msgs.push(format!(
            "path '{path}' is a Helm chart, not rendered offline"
        ));
        return Ok(None);
    }
    Ok(Some(path))
}

/// `source.kustomize` as overrides.
fn overrides(k: &Node) -> Overrides {
    let one = |key: &str| k.get(key).filter(|n| !n.is_null()).cloned();
    let seq = |key: &str| {
        k.get(key)
            .and_then(|n| n.as_seq())
            .cloned()
            .unwrap_or_default()
    };
    Overrides {
        namespace: one("namespace"),
        name_prefix: one("namePrefix"),
        name_suffix: one("nameSuffix"),
        patches: seq("patches"),
        images: seq("images"),
        components: seq("components"),
        common_labels: one("commonLabels"),
        common_annotations: one("commonAnnotations"),
        replicas: seq("replicas"),
        common_metadata: None,
    }
}

/// The Applications an ApplicationSet generates: (name, Application node).
fn expand(
    src: &dyn Source,
    set: &Object,
    opts: &TopologyOptions,
) -> std::result::Result<Vec<(String, Node)>, String> {
    let spec = set.node.get("spec").ok_or("no spec")?.to_json();
    let go = spec.get("goTemplate").and_then(Value::as_bool) == Some(true);
    let template = spec.get("template").cloned().ok_or("no template")?;
    let gens = spec
        .get("generators")
        .and_then(Value::as_array)
        .ok_or("no generators")?;
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for g in gens {
        let params = generate(src, g, opts, go, 0)?;
        let tpl = match g
            .as_object()
            .and_then(|m| m.values().find_map(|v| v.get("template")))
        {
            Some(t) => merge(&template, t),
            None => template.clone(),
        };
        for p in params {
            let app = template::render(&tpl, &p, go)?;
            let name = app
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if name.is_empty() {
                return Err("a generated Application has an empty name".into());
            }
            if !names.insert(name.clone()) {
                return Err(format!("two generated Applications are named '{name}'"));
            }
            let mut node = Node::from_json_at(&app, &set.pos());
            node.set(
                "metadata",
                node.get("metadata")
                    .cloned()
                    .unwrap_or_else(|| Node::map(set.pos())),
            );
            out.push((name, node));
            if out.len() > MAX_GENERATED {
                return Err(format!("more than {MAX_GENERATED} Applications"));
            }
        }
    }
    Ok(out)
}

/// JSON merge of a generator's `template` over the ApplicationSet's (generator fields win).
fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            let mut m = b.clone();
            for (k, v) in o {
                let merged = match m.get(k) {
                    Some(bv) => merge(bv, v),
                    None => v.clone(),
                };
                m.insert(k.clone(), merged);
            }
            Value::Object(m)
        }
        (_, o) => o.clone(),
    }
}

/// The parameter sets of one generator.
fn generate(
    src: &dyn Source,
    g: &Value,
    opts: &TopologyOptions,
    go: bool,
    depth: usize,
) -> std::result::Result<Vec<Params>, String> {
    if depth > 4 {
        return Err("generators nested too deeply".into());
    }
    let obj = g.as_object().ok_or("a generator is not a mapping")?;
    let (kind, body) = obj
        .iter()
        .find(|(k, _)| *k != "selector")
        .ok_or("an empty generator")?;
    let sets = match kind.as_str() {
        "list" => body
            .get("elements")
            .and_then(Value::as_array)
            .ok_or("list generator without elements")?
            .iter()
            .map(|e| {
                let m = e
                    .as_object()
                    .cloned()
                    .ok_or("a list element is not a mapping")?;
                Ok(if go { m } else { flatten(&m) })
            })
            .collect::<std::result::Result<Vec<_>, String>>()?,
        "clusters" => opts
            .argo_clusters
            .iter()
            .map(|(n, s)| {
                let mut m = Params::new();
                m.insert("name".into(), Value::String(n.clone()));
                m.insert(
                    "nameNormalized".into(),
                    Value::String(template::normalize(n)),
                );
                m.insert("server".into(), Value::String(s.clone()));
                m
            })
            .collect(),
        "git" => git(src, body, opts, go)?,
        "matrix" | "merge" => {
            let children = body
                .get("generators")
                .and_then(Value::as_array)
                .ok_or(format!("{kind} generator without generators"))?;
            let sets: Vec<Vec<Params>> = children
                .iter()
                .map(|c| generate(src, c, opts, go, depth + 1))
                .collect::<std::result::Result<_, _>>()?;
            if kind == "matrix" {
                matrix(sets)?
            } else {
                let keys: Vec<String> = body
                    .get("mergeKeys")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|k| k.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                merge_sets(sets, &keys, go)
            }
        }
        other => {
            return Err(format!(
                "the {other} generator needs a cluster or a hosted API"
            ))
        }
    };
    if sets.len() > MAX_GENERATED {
        return Err(format!("more than {MAX_GENERATED} parameter sets"));
    }
    Ok(sets)
}

fn matrix(sets: Vec<Vec<Params>>) -> std::result::Result<Vec<Params>, String> {
    let [a, b] = <[Vec<Params>; 2]>::try_from(sets)
        .map_err(|_| "a matrix generator needs exactly two generators")?;
    if a.len().saturating_mul(b.len()) > MAX_GENERATED {
        return Err(format!("more than {MAX_GENERATED} parameter sets"));
    }
    let mut out = Vec::new();
    for x in &a {
        for y in &b {
            let mut m = y.clone();
            // The first child wins conflicts.
            for (k, v) in x {
                m.insert(k.clone(), v.clone());
            }
            out.push(m);
        }
    }
    Ok(out)
}

fn merge_sets(sets: Vec<Vec<Params>>, keys: &[String], go: bool) -> Vec<Params> {
    let mut it = sets.into_iter();
    let mut base = it.next().unwrap_or_default();
    let key_of = |m: &Params| -> Vec<String> {
        keys.iter()
            .map(|k| {
                let nested = go
                    .then(|| {
                        let mut parts = k.split('.');
                        let first = m.get(parts.next()?)?;
                        parts.try_fold(first, |cur, p| cur.get(p))
                    })
                    .flatten();
                nested
                    .or_else(|| m.get(k))
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            })
            .collect()
    };
    for later in it {
        for l in later {
            let k = key_of(&l);
            for b in base.iter_mut().filter(|b| key_of(b) == k) {
                for (f, v) in &l {
                    b.insert(f.clone(), v.clone());
                }
            }
        }
    }
    base
}

/// Flatten nested parameters into fasttemplate keys (`a.b`).
fn flatten(m: &Params) -> Params {
    let mut out = Params::new();
    fn walk(prefix: &str, v: &Value, out: &mut Params) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            Value::String(s) => {
                out.insert(prefix.to_string(), Value::String(s.clone()));
            }
            other => {
                out.insert(prefix.to_string(), Value::String(other.to_string()));
            }
        }
    }
    walk("", &Value::Object(m.clone()), &mut out);
    out
}

/// Path parameters of a directory (`path`, `path.basename`, …).
fn path_params(dir: &str, go: bool) -> Params {
    let base = source::file_name(dir).to_string();
    let segs: Vec<Value> = dir.split('/').map(|s| Value::String(s.into())).collect();
    let mut m = Params::new();
    if go {
        let mut p = Params::new();
        p.insert("path".into(), Value::String(dir.into()));
        p.insert("basename".into(), Value::String(base.clone()));
        p.insert(
            "basenameNormalized".into(),
            Value::String(template::normalize(&base)),
        );
        p.insert("segments".into(), Value::Array(segs));
        m.insert("path".into(), Value::Object(p));
    } else {
        m.insert("path".into(), Value::String(dir.into()));
        m.insert("path.basename".into(), Value::String(base.clone()));
        m.insert(
            "path.basenameNormalized".into(),
            Value::String(template::normalize(&base)),
        );
        for (i, s) in segs.into_iter().enumerate() {
            m.insert(format!("path[{i}]"), s);
        }
    }
    m
}

fn glob(pattern: &str, separator: bool) -> std::result::Result<globset::GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(separator)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad pattern '{pattern}': {e}"))
}

/// The git generator: directories (Go `path.Match`, exclude wins) or files
/// (greedy `git ls-files` patterns), in this repository only.
fn git(
    src: &dyn Source,
    body: &Value,
    opts: &TopologyOptions,
    go: bool,
) -> std::result::Result<Vec<Params>, String> {
    let url = body.get("repoURL").and_then(Value::as_str).unwrap_or("");
    if !super::env::is_this_repo(url, &opts.repo_urls) {
        return Err(format!(
            "its git generator reads {url}, not this repository"
        ));
    }
    let files = src.all_files().map_err(|e| e.msg)?;
    let items = |k: &str| {
        body.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    if let Some(dirs) = body.get("directories").and_then(Value::as_array) {
        let mut all: BTreeSet<String> = BTreeSet::new();
        for f in &files {
            let mut d = source::parent(f);
            while !d.is_empty() && all.insert(d.to_string()) {
                d = source::parent(d);
            }
        }
        let (mut inc, mut exc) = (Vec::new(), Vec::new());
        for d in dirs {
            let p = d.get("path").and_then(Value::as_str).unwrap_or("");
            let m = glob(p, true)?;
            if d.get("exclude").and_then(Value::as_bool) == Some(true) {
                exc.push(m);
            } else {
                inc.push(m);
            }
        }
        for d in all
            .iter()
            .filter(|d| !d.split('/').any(|s| s.starts_with('.')))
        {
            if inc.iter().any(|m| m.is_match(d)) && !exc.iter().any(|m| m.is_match(d)) {
                out.push(path_params(d, go));
            }
        }
        return Ok(out);
    }
    let pats = items("files");
    if pats.is_empty() {
        return Err("a git generator without directories or files".into());
    }
    for p in pats {
        let pat = p.get("path").and_then(Value::as_str).unwrap_or("");
        let m = glob(pat, false)?;
        for f in files.iter().filter(|f| m.is_match(f)) {
            for obj in file_objects(src, f)? {
                let mut params = if go { obj } else { flatten(&obj) };
                let dir = source::parent(f);
                for (k, v) in path_params(dir, go) {
                    params.insert(k, v);
                }
                let name = Value::String(source::file_name(f).into());
                if go {
                    if let Some(Value::Object(pm)) = params.get_mut("path") {
                        pm.insert("filename".into(), name);
                    }
                } else {
                    params.insert("path.filename".into(), name);
                }
                out.push(params);
            }
        }
    }
    Ok(out)
}

/// The objects of a git-files generator file (an object or an array of them).
fn file_objects(src: &dyn Source, f: &str) -> std::result::Result<Vec<Params>, String> {
    let bytes = src.read(f).map_err(|e| e.msg)?;
    let text = crate::yaml::decode(&bytes, f).map_err(|e| e.msg)?;
    let docs = parse_stream(&text, f, &ParseOptions::resource()).map_err(|e| e.msg)?;
    let v = docs.first().map(Node::to_json).unwrap_or(Value::Null);
    match v {
        Value::Object(m) => Ok(vec![m]),
        Value::Array(a) => a
            .into_iter()
            .map(|e| {
                e.as_object()
                    .cloned()
                    .ok_or(format!("{f}: an element is not a mapping"))
            })
            .collect(),
        _ => Err(format!("{f} holds neither an object nor an array")),
    }
}
