//! Guards against hostile input: what is refused outright (remote content,
//! helm, plugins and KRM functions), path confinement of every path field of
//! a kustomization, and the per-render budgets (bytes read, wall clock).
//!
//! Refusals here are never "not supported by the native renderer": `auto` mode
//! must not fall back to the external renderer for them.

use super::kustomization::{Kustomization, FILE_NAMES};
use crate::error::{Error, Result};
use crate::source::{self, EntryKind, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Pos, Value};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether a resource/component entry names remote content.
pub fn is_remote(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    l.contains("://")
        || l.starts_with("git@")
        || l.starts_with("github.com/")
        || l.starts_with("gitlab.com/")
        || l.starts_with("bitbucket.org/")
        || l.contains("?ref=")
        || l.contains("?version=")
        || l.contains(".git//")
}

/// Annotations that turn a resource into a KRM function kustomize could run.
const FUNCTION_ANNOTATIONS: [&str; 2] = ["config.kubernetes.io/function", "config.k8s.io/function"];

fn refuse(pos: &Pos, msg: String) -> Error {
    Error::at(pos, msg)
}

/// Fields that are refused whatever the renderer: remote content, helm, and
/// plugin or function configurations. `src` reads the files listed in
/// `generators`/`transformers`/`validators`.
pub fn check_refused(k: &Kustomization, src: &dyn Source) -> Result<()> {
    let Some(m) = k.node.as_map() else {
        return Ok(());
    };
    for (field, v) in m {
        if v.is_null() {
            continue;
        }
        match field.as_str() {
            "helmCharts" | "helmChartInflationGenerator" | "helmGlobals" => {
                let empty = match &v.value {
                    Value::Seq(s) => s.is_empty(),
                    Value::Map(m) => m.is_empty(),
                    _ => false,
                };
                if !empty {
                    return Err(refuse(
                        &v.pos,
                        format!("'{field}' is refused: helm is never run (render the chart and commit its output)"),
                    ));
                }
            }
            "resources" | "components" | "bases" | "crds" | "configurations" => {
                for item in v.as_seq().into_iter().flatten() {
                    if let Some(s) = item.as_str() {
                        if is_remote(s) {
                            return Err(refuse(
                                &item.pos,
                                format!("'{field}' entry '{s}' is remote: remote content is never fetched (vendor it into the repository)"),
                            ));
                        }
                    }
                }
            }
            "openapi" => {
                if let Some(p) = v.get("path") {
                    if p.as_str().is_some_and(is_remote) {
                        return Err(refuse(
                            &p.pos,
                            "'openapi' path is remote: remote content is never fetched".to_string(),
                        ));
                    }
                }
            }
            "generators" | "transformers" | "validators" => {
                for item in v.as_seq().into_iter().flatten() {
                    check_plugin_entry(k, field, item, src)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A `generators`/`transformers`/`validators` entry: remote, or a configuration
/// declaring a KRM function (exec or container), or a plugin that is not builtin.
fn check_plugin_entry(k: &Kustomization, field: &str, item: &Node, src: &dyn Source) -> Result<()> {
    let configs: Vec<Node> = match &item.value {
        Value::Str(s) if is_remote(s) => {
            return Err(refuse(
                &item.pos,
                format!("'{field}' entry '{s}' is remote: remote content is never fetched"),
            ))
        }
        Value::Str(s) if s.contains('\n') => {
            parse_stream(s, &k.file, &ParseOptions::resource()).map_err(|e| e.or_at(&item.pos))?
        }
        Value::Str(s) => {
            let path = source::join(&k.dir, s)
                .map_err(|e| Error::at(&item.pos, format!("'{field}' entry: {}", e.msg)))?;
            match src.entry(&path).map_err(|e| e.or_at(&item.pos))? {
                Some(EntryKind::File) => {
                    let text = decode(&src.read(&path)?, &path)?;
                    parse_stream(&text, &path, &ParseOptions::resource())?
                }
                _ => return Ok(()), // a directory or nothing: checked when loaded
            }
        }
        Value::Map(_) => vec![item.clone()],
        _ => return Ok(()),
    };
    for c in configs.iter().filter(|c| c.is_map()) {
        let annotations = c.get_path(&["metadata", "annotations"]);
        if let Some(a) = FUNCTION_ANNOTATIONS
            .iter()
            .find(|a| annotations.and_then(|m| m.get(a)).is_some())
        {
            return Err(refuse(
                &item.pos,
                format!("'{field}' entry declares a KRM function ({a}): exec and container functions are never run"),
            ));
        }
        let api = c.str_at(&["apiVersion"]).unwrap_or("");
        if api != "builtin" {
            let kind = c.str_at(&["kind"]).unwrap_or("");
            return Err(refuse(
                &item.pos,
                format!("'{field}' entry is a plugin (apiVersion '{api}', kind '{kind}'): only builtin plugins are rendered, external plugins are never run"),
            ));
        }
    }
    Ok(())
}

/// Every path a kustomization names, with the field it comes from.
fn paths(k: &Kustomization) -> Vec<(String, String, Pos)> {
    let mut out = Vec::new();
    let Some(m) = k.node.as_map() else {
        return out;
    };
    let mut push = |field: &str, n: &Node, strip_key: bool| {
        if let Some(s) = n.as_str() {
            let p = if strip_key {
                s.split_once('=').map(|(_, p)| p).unwrap_or(s)
            } else {
                s
            };
            out.push((field.to_string(), p.to_string(), n.pos.clone()));
        }
    };
    for (field, v) in m {
        match field.as_str() {
            "resources" | "components" | "bases" | "crds" | "configurations" | "generators"
            | "transformers" | "validators" => {
                for item in v.as_seq().into_iter().flatten() {
                    if item
                        .as_str()
                        .is_some_and(|s| !is_remote(s) && !s.contains('\n'))
                    {
                        push(field, item, false);
                    }
                }
            }
            "patchesStrategicMerge" => {
                for item in v.as_seq().into_iter().flatten() {
                    // inline patches are YAML text, not paths
                    if item
                        .as_str()
                        .is_some_and(|s| !s.contains('\n') && !s.contains(": "))
                    {
                        push(field, item, false);
                    }
                }
            }
            "patches" | "patchesJson6902" | "replacements" => {
                for item in v.as_seq().into_iter().flatten() {
                    if let Some(p) = item.get("path") {
                        push(field, p, false);
                    }
                }
            }
            "openapi" => {
                if let Some(p) = v.get("path").filter(|p| !p.as_str().is_some_and(is_remote)) {
                    push(field, p, false);
                }
            }
            "configMapGenerator" | "secretGenerator" => {
                for g in v.as_seq().into_iter().flatten() {
                    for (sub, strip) in [("files", true), ("envs", false)] {
                        for f in g.get(sub).and_then(|x| x.as_seq()).into_iter().flatten() {
                            push(field, f, strip);
                        }
                    }
                    if let Some(e) = g.get("env") {
                        push(field, e, false);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Every path field of `k` must stay inside the repository and out of `.git/`
/// (symlinks are resolved, and confined, when the files are read).
pub fn check_paths(k: &Kustomization) -> Result<()> {
    for (field, p, pos) in paths(k) {
        source::join(&k.dir, &p)
            .map_err(|e| Error::at(&pos, format!("'{field}' entry '{p}': {}", e.msg)))?;
    }
    Ok(())
}

/// Before running the external renderer: walk every kustomization reachable
/// from `dir` and apply [`check_refused`] and [`check_paths`], so that kustomize
/// is never asked to fetch, run, or read outside the repository (it renders a
/// directory base outside its root in its default mode).
pub fn precheck_tree(src: &dyn Source, dir: &str) -> Result<()> {
    let mut seen = HashSet::new();
    let mut stack = vec![dir.to_string()];
    while let Some(d) = stack.pop() {
        if !seen.insert(d.clone()) {
            continue;
        }
        if seen.len() > 100_000 {
            return Err(Error::in_file(
                dir,
                "more than 100000 kustomizations reachable",
            ));
        }
        let mut file = None;
        for name in FILE_NAMES {
            let p = if d.is_empty() {
                name.to_string()
            } else {
                format!("{d}/{name}")
            };
            if src.entry(&p)? == Some(EntryKind::File) {
                file = Some(p);
                break;
            }
        }
        let Some(file) = file else { continue };
        let text = decode(&src.read(&file)?, &file)?;
        let k = Kustomization::parse(&text, &file)?;
        check_refused(&k, src)?;
        check_paths(&k)?;
        for (field, p, pos) in paths(&k) {
            if !matches!(
                field.as_str(),
                "resources" | "components" | "bases" | "generators" | "transformers" | "validators"
            ) {
                continue;
            }
            let path = source::join(&k.dir, &p).map_err(|e| e.or_at(&pos))?;
            if src.entry(&path).map_err(|e| e.or_at(&pos))? == Some(EntryKind::Dir) {
                stack.push(path);
            }
        }
    }
    Ok(())
}

/// The per-render budget: bytes read and wall-clock time.
#[derive(Debug)]
pub struct Budget {
    dir: String,
    max_file_bytes: u64,
    max_render_bytes: u64,
    used: AtomicU64,
    start: Instant,
    timeout: Option<Duration>,
}

/// `1ms`, `250ms`, `30s`: how a duration is shown in messages.
pub fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms > 0 {
        format!("{ms}ms")
    } else {
        format!("{}us", d.as_micros())
    }
}

impl Budget {
    /// A budget for rendering `dir`.
    pub fn new(
        dir: &str,
        max_file_bytes: u64,
        max_render_bytes: u64,
        timeout: Option<Duration>,
    ) -> Budget {
        Budget {
            dir: dir.to_string(),
            max_file_bytes,
            max_render_bytes,
            used: AtomicU64::new(0),
            start: Instant::now(),
            timeout,
        }
    }

    /// Count `bytes` read from `path`; an error when a budget is exceeded.
    pub fn charge(&self, path: &str, bytes: u64) -> Result<()> {
        if bytes > self.max_file_bytes {
            return Err(Error::in_file(
                path,
                format!(
                    "'{path}' is {bytes} bytes, over the limit of {} bytes per file (--max-file-bytes)",
                    self.max_file_bytes
                ),
            ));
        }
        let total = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if total > self.max_render_bytes {
            return Err(Error::in_file(
                path,
                format!(
                    "rendering '{}' reads more than {} bytes (--max-render-bytes) when it reaches '{path}'",
                    if self.dir.is_empty() { "." } else { &self.dir },
                    self.max_render_bytes
                ),
            ));
        }
        self.tick()
    }

    /// An error once the wall-clock budget is spent.
    pub fn tick(&self) -> Result<()> {
        if let Some(t) = self.timeout {
            if self.start.elapsed() > t {
                let shown = if self.dir.is_empty() { "." } else { &self.dir };
                return Err(Error::in_file(
                    shown,
                    format!(
                        "rendering '{shown}' exceeded its wall-clock budget of {} (--timeout-per-overlay)",
                        show_duration(t)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A source that charges every read to a [`Budget`].
pub struct Guarded<'a> {
    /// The source read from.
    pub inner: &'a dyn Source,
    /// The budget charged.
    pub budget: &'a Budget,
}

impl Source for Guarded<'_> {
    fn read(&self, path: &str) -> Result<Arc<[u8]>> {
        self.budget.tick()?;
        let data = self.inner.read(path)?;
        self.budget.charge(path, data.len() as u64)?;
        Ok(data)
    }
    fn entry(&self, path: &str) -> Result<Option<EntryKind>> {
        self.inner.entry(path)
    }
    fn list(&self, dir: &str) -> Result<Vec<(String, EntryKind)>> {
        self.inner.list(dir)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn all_files(&self) -> Result<Vec<String>> {
        self.inner.all_files()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_detection() {
        for r in [
            "https://github.com/x/y//base?ref=v1",
            "git@github.com:x/y.git",
            "github.com/x/y/base?ref=main",
            "HTTP://example.com/x.yaml",
            "ssh://git@example.com/x.git",
        ] {
            assert!(is_remote(r), "{r}");
        }
        for l in ["../base", "deploy.yaml", "github.yaml", "a/b"] {
            assert!(!is_remote(l), "{l}");
        }
    }

    #[test]
    fn budget_limits() {
        let b = Budget::new("app", 100, 150, None);
        assert!(b.charge("a", 90).is_ok());
        assert!(b.charge("b", 101).unwrap_err().msg.contains("per file"));
        let e = b.charge("c", 90).unwrap_err();
        assert!(e.msg.contains("150 bytes"), "{e}");
        let t = Budget::new("app", 100, 150, Some(Duration::from_nanos(1)));
        std::thread::sleep(Duration::from_millis(2));
        assert!(t.tick().unwrap_err().msg.contains("wall-clock"));
    }
}
