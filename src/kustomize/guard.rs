//! Guards against hostile input: what is refused outright (remote content,
//! helm, plugins and KRM functions), path confinement of every path field of
//! a kustomization, and the per-render budgets (bytes read, wall clock).
//!
//! Refusals here are never "not supported by the native renderer": `auto` mode
//! must not fall back to the external renderer for them.

use super::kustomization::Kustomization;
use crate::error::{Error, ErrorKind, Result};
use crate::source::{self, EntryKind, Source};
use crate::yaml::{decode, parse_stream, Node, ParseOptions, Pos, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Whether a path names remote content: the one definition, in [`super::remote`].
pub use super::remote::is_remote;

/// Annotations that turn a resource into a KRM function kustomize could run.
const FUNCTION_ANNOTATIONS: [&str; 2] = ["config.kubernetes.io/function", "config.k8s.io/function"];

fn refuse(pos: &Pos, msg: String) -> Error {
    Error::at(pos, msg)
}

/// Fields that are refused whatever the renderer: remote content, helm, and
/// plugin or function configurations. `src` reads the files listed in
/// `generators`/`transformers`/`validators`.
pub fn check_refused(k: &Kustomization, src: &dyn Source) -> Result<()> {
    check_refused_with(k, src, false)
}

/// [`check_refused`], letting remote `resources`/`components`/`bases` entries
/// through when `remote_bases` is set (a resolver fetched the allowed ones).
pub fn check_refused_with(k: &Kustomization, src: &dyn Source, remote_bases: bool) -> Result<()> {
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
                    let base = matches!(field.as_str(), "resources" | "components" | "bases");
                    if let Some(s) = item.as_str().filter(|_| !(remote_bases && base)) {
                        if is_remote(s) {
                            return Err(refuse(
                                &item.pos,
                                format!(
                                    "'{field}' entry '{s}' is remote: {}",
                                    super::remote::NOT_FETCHED
                                ),
                            )
                            .kind(ErrorKind::Remote));
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
                        )
                        .kind(ErrorKind::Remote));
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
            )
            .kind(ErrorKind::Remote))
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
pub(crate) fn paths(k: &Kustomization) -> Vec<(String, String, Pos)> {
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
                    if item.as_str().is_some_and(|s| !s.contains('\n')) {
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
                if let Some(p) = v.get("path") {
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
/// (symlinks are resolved, and confined, when the files are read), and none
/// but a base (`resources`, `components`, `bases`: [`check_refused`]) may be
/// remote: a URL in a generator's `files:`, a patch `path:`… is refused here.
pub fn check_paths(k: &Kustomization) -> Result<()> {
    for (field, p, pos) in paths(k) {
        if is_remote(&p) {
            if matches!(field.as_str(), "resources" | "components" | "bases") {
                continue;
            }
            return Err(Error::at(
                &pos,
                format!("'{field}' entry '{p}' is remote: remote content is never fetched (vendor it into the repository)"),
            )
            .kind(ErrorKind::Remote));
        }
        source::join(&k.dir, &p)
            .map_err(|e| Error::at(&pos, format!("'{field}' entry '{p}': {}", e.msg)))?;
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
            )
            .kind(ErrorKind::Budget));
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
            )
            .kind(ErrorKind::Budget));
        }
        self.tick()
    }

    /// An error once the wall-clock budget (the overlay's or the run's) is spent.
    pub fn tick(&self) -> Result<()> {
        run_deadline_check(&self.dir)?;
        if let Some(t) = self.timeout {
            if self.start.elapsed() > t {
                let shown = if self.dir.is_empty() { "." } else { &self.dir };
                return Err(Error::in_file(
                    shown,
                    format!(
                        "rendering '{shown}' exceeded its wall-clock budget of {} (--timeout-per-overlay)",
                        show_duration(t)
                    ),
                )
                .kind(ErrorKind::Budget));
            }
        }
        Ok(())
    }
}

/// The run-wide wall-clock budget (`--timeout`): when it ends and how long it was.
static RUN_DEADLINE: std::sync::OnceLock<(Instant, Duration)> = std::sync::OnceLock::new();

/// Set the run-wide wall-clock budget, counted from now (once per process; the
/// CLI calls it before anything is read). Every render, the external
/// fallback's checked copy and overlay discovery stop when it is spent.
pub fn set_run_budget(budget: Duration) {
    if let Some(end) = Instant::now().checked_add(budget) {
        let _ = RUN_DEADLINE.set((end, budget));
    }
}

/// When the run-wide budget ends, if one is set.
pub fn run_deadline() -> Option<Instant> {
    RUN_DEADLINE.get().map(|(end, _)| *end)
}

/// An error naming `what` once the run-wide budget is spent.
pub fn run_deadline_check(what: &str) -> Result<()> {
    if let Some((end, budget)) = RUN_DEADLINE.get() {
        if Instant::now() >= *end {
            let shown = if what.is_empty() { "." } else { what };
            return Err(Error::in_file(
                shown,
                format!(
                    "the run exceeded its wall-clock budget of {} (--timeout) while working on '{shown}'",
                    show_duration(*budget)
                ),
            )
            .kind(ErrorKind::Budget));
        }
    }
    Ok(())
}

/// The default most nodes one overlay's rendered tree may hold (`--max-output-nodes`).
pub const DEFAULT_MAX_OUTPUT_NODES: u64 = 500_000;
/// The default most bytes (keys and scalars) one overlay's rendered tree may hold
/// (`--max-output-bytes`).
pub const DEFAULT_MAX_OUTPUT_BYTES: u64 = 32 << 20;

/// The output budget of the render running on this thread: the size of the
/// rendered tree, charged while transformations run (a JSON6902 `copy`, a var
/// expansion, a replacement) so that amplification stops before it allocates.
#[derive(Debug, Clone)]
struct Meter {
    dir: String,
    max_nodes: u64,
    max_bytes: u64,
    nodes: u64,
    bytes: u64,
    /// What the kustomizations outside the one being accumulated hold (a base
    /// is accumulated into a fresh list while its parent's list waits).
    outer: (u64, u64),
}

thread_local! {
    static METER: std::cell::RefCell<Option<Meter>> = const { std::cell::RefCell::new(None) };
}

/// While alive, the output budget of one render on this thread (restores the
/// previous one when dropped, on every exit path).
pub struct OutputScope {
    previous: Option<Meter>,
}

impl OutputScope {
    /// Start metering the rendered tree of `dir`.
    pub fn new(dir: &str, max_nodes: u64, max_bytes: u64) -> OutputScope {
        let meter = Meter {
            dir: dir.to_string(),
            max_nodes,
            max_bytes,
            nodes: 0,
            bytes: 0,
            outer: (0, 0),
        };
        let previous = METER.with(|m| m.borrow_mut().replace(meter));
        OutputScope { previous }
    }
}

impl Drop for OutputScope {
    fn drop(&mut self) {
        let previous = self.previous.take();
        METER.with(|m| *m.borrow_mut() = previous);
    }
}

/// While alive, a base is being accumulated into a fresh list: everything
/// counted so far stays counted (see [`enter_base`]).
pub struct BaseScope {
    saved: Option<(u64, u64)>,
}

/// A base starts: what the meter counts now (its parent's resources and every
/// other one accumulated so far) becomes the floor the base's own measurements
/// are added to, until the returned scope is dropped.
pub fn enter_base() -> BaseScope {
    let saved = METER.with(|m| {
        m.borrow_mut().as_mut().map(|m| {
            let saved = m.outer;
            m.outer = (m.nodes, m.bytes);
            saved
        })
    });
    BaseScope { saved }
}

impl Drop for BaseScope {
    fn drop(&mut self) {
        if let Some(saved) = self.saved.take() {
            METER.with(|m| {
                if let Some(m) = m.borrow_mut().as_mut() {
                    m.outer = saved;
                }
            });
        }
    }
}

/// Nodes and bytes (keys and scalar text) of `n`, counting stops once either
/// passes its cap (so measuring a huge tree costs no more than the cap).
pub fn measure(n: &Node, cap_nodes: u64, cap_bytes: u64) -> (u64, u64) {
    let (mut nodes, mut bytes) = (0u64, 0u64);
    let mut stack = vec![n];
    while let Some(n) = stack.pop() {
        nodes += 1;
        match &n.value {
            Value::Str(s) => bytes += s.len() as u64,
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(m) => {
                for (k, v) in m {
                    bytes += k.len() as u64;
                    stack.push(v);
                }
            }
            _ => bytes += 8,
        }
        if nodes > cap_nodes || bytes > cap_bytes {
            break;
        }
    }
    (nodes, bytes)
}

fn over_budget(m: &Meter, what: &str) -> String {
    let shown = if m.dir.is_empty() { "." } else { &m.dir };
    let (flag, limit, unit) = if m.nodes > m.max_nodes {
        ("--max-output-nodes", m.max_nodes, "nodes")
    } else {
        ("--max-output-bytes", m.max_bytes, "bytes")
    };
    format!("rendering '{shown}' grows its output past {limit} {unit} ({flag}) at {what}")
}

/// Charge `nodes` and `bytes` a transformation at `at` (`what`) is about to add
/// to the rendered tree; an error, before anything is allocated, when the
/// output budget is exceeded. Without a render on this thread: no limit.
pub fn charge_output(
    nodes: u64,
    bytes: u64,
    at: &Pos,
    what: impl FnOnce() -> String,
) -> Result<()> {
    METER.with(|m| {
        let mut m = m.borrow_mut();
        let Some(m) = m.as_mut() else {
            return Ok(());
        };
        m.nodes = m.nodes.saturating_add(nodes);
        m.bytes = m.bytes.saturating_add(bytes);
        if m.nodes > m.max_nodes || m.bytes > m.max_bytes {
            let msg = over_budget(m, &what());
            // Without a position the caller names the file (`or_at`).
            return Err(Error::at(at, msg).kind(ErrorKind::Budget));
        }
        Ok(())
    })
}

/// Charge a copy of `n` (see [`charge_output`]).
pub fn charge_copy(n: &Node, at: &Pos, what: impl FnOnce() -> String) -> Result<()> {
    let (cap_nodes, cap_bytes) = METER.with(|m| {
        m.borrow()
            .as_ref()
            .map_or((u64::MAX, u64::MAX), |m| (m.max_nodes, m.max_bytes))
    });
    if cap_nodes == u64::MAX {
        return Ok(());
    }
    let (nodes, bytes) = measure(n, cap_nodes, cap_bytes);
    charge_output(nodes, bytes, at, what)
}

/// Measure the whole accumulated tree `docs` again (after a transformer step of
/// `file`): the meter restarts from its true size, an error when over budget.
pub fn check_output_tree<'a>(
    docs: impl Iterator<Item = &'a Node>,
    file: &str,
    step: &str,
) -> Result<()> {
    let Some((cap_nodes, cap_bytes, (mut nodes, mut bytes))) = METER.with(|m| {
        m.borrow()
            .as_ref()
            .map(|m| (m.max_nodes, m.max_bytes, m.outer))
    }) else {
        return Ok(());
    };
    for d in docs {
        let (n, b) = measure(
            d,
            cap_nodes.saturating_sub(nodes),
            cap_bytes.saturating_sub(bytes),
        );
        nodes = nodes.saturating_add(n);
        bytes = bytes.saturating_add(b);
        if nodes > cap_nodes || bytes > cap_bytes {
            break;
        }
    }
    METER.with(|m| {
        let mut m = m.borrow_mut();
        let Some(m) = m.as_mut() else {
            return Ok(());
        };
        m.nodes = nodes;
        m.bytes = bytes;
        if nodes > m.max_nodes || bytes > m.max_bytes {
            return Err(Error::in_file(file, over_budget(m, step)).kind(ErrorKind::Budget));
        }
        Ok(())
    })
}

/// A source that charges every read to a [`Budget`].
pub type Guarded<'a> = crate::source::Checked<'a, &'a Budget>;

impl crate::source::ReadCheck for &Budget {
    fn before(&self, _path: &str) -> Result<()> {
        self.tick()
    }
    fn after(&self, path: &str, data: &[u8]) -> Result<()> {
        self.charge(path, data.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_files_are_refused_as_remote() {
        let ok = |text: &str| {
            let k = Kustomization::parse(text, "app/kustomization.yaml").unwrap();
            check_paths(&k)
        };
        for text in [
            "configMapGenerator:\n- name: g\n  files:\n  - k=https://example.com/a\n",
            "secretGenerator:\n- name: g\n  envs:\n  - http://example.com/e.env\n",
            "patches:\n- path: https://example.com/p.yaml\n",
            "patchesStrategicMerge:\n- https://example.com/p.yaml\n",
        ] {
            let e = ok(text).unwrap_err();
            assert!(e.is(ErrorKind::Remote), "{text}: {e}");
            assert_eq!(
                e.pos.line,
                if text.contains("files") || text.contains("envs") {
                    4
                } else {
                    2
                }
            );
        }
        // an inline patch mentioning a URL is no remote file
        ok("patchesStrategicMerge:\n- |\n  kind: A\n  metadata: {name: a}\n  url: https://example.com\n").unwrap();
        ok("configMapGenerator:\n- name: g\n  files:\n  - a.txt\n").unwrap();
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
