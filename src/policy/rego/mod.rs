//! Team policies in Rego over the rendered change (`policies:` in the
//! configuration), evaluated with the `regorus` crate.
//!
//! **Why regorus.** It is a Rego interpreter written in Rust, kept by
//! Microsoft, that passes most of OPA's conformance suite: the gate needs no
//! OPA binary and no Go toolchain, and the crate's features let us leave out
//! every builtin that could reach the network or the file system (`http`,
//! `net`, `opa-runtime` are not compiled in; `http.send` and `opa.runtime`
//! are unknown functions). It also offers a cooperative execution timer,
//! which ends most runaway policies with a clean error.
//!
//! **Where policies come from.** The globs are matched against the tree at the
//! *base* revision and the files are read through the source stage (confined to
//! the repository, size-capped), never from the pull request's checkout: a
//! change cannot edit the policies it is judged by.
//!
//! **Budgets.** A builtin such as `numbers.range(1, 1e9)` allocates before any
//! timer check can run, so the policies are evaluated in a child process (the
//! same binary, [`WORKER_ARG`]) under an address-space limit
//! ([`MAX_MEMORY`]) and a wall-clock deadline ([`TIMEOUT`]); it is killed
//! when either is spent and the run is "could not decide" (exit 2) naming the
//! policy file being evaluated. Each policy file is compiled once per run, in
//! its own engine, and evaluated once per changed resource.

mod engine;

pub use engine::{evaluate, rule_names, worker_main, Event, PolicyFile, Request, PACKAGE};

use crate::diagnostic::{Severity, Side, Span};
use crate::diff::{Masker, OverlayDiff, ResourceChange};
use crate::error::{Error, ErrorKind, Result};
use crate::policy::config::Located;
use crate::policy::RuleContext;
use crate::source::{EntryKind, Source};
use crate::yaml::Pos;
use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The first argument that makes `manifest-gate` run as the Rego worker.
pub const WORKER_ARG: &str = "__rego-worker";

/// Wall-clock budget of all policy evaluation in one run.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Address-space limit of the Rego worker, in bytes.
pub const MAX_MEMORY: u64 = 2 << 30;

/// Most bytes of one policy file.
pub const MAX_POLICY_BYTES: usize = 1 << 20;

/// Most policy files.
pub const MAX_POLICIES: usize = 100;

/// Most bytes of the worker's request (policies and inputs together).
const MAX_REQUEST_BYTES: usize = 256 << 20;

/// Most bytes read from the worker.
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// Most directory entries visited while expanding the globs.
const MAX_WALK_ENTRIES: usize = 20_000;

/// One message a policy produced for one changed resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The policy file (at base).
    pub policy: String,
    /// The rule (`deny`, `warn_replicas`, …).
    pub rule: String,
    /// `Error` for `deny*` rules, `Warning` for `warn*`.
    pub severity: Severity,
    /// The policy's message.
    pub message: String,
    /// The change's source line.
    pub span: Span,
    /// The resource (`Kind namespace/name`) and its overlay or deployment.
    pub resource: String,
    /// The overlay (or deployment unit) the resource belongs to.
    pub overlay: String,
}

/// Evaluate the configured policies over every changed resource of `cx`.
/// A policy that fails to parse or evaluate, or spends the budget, is an error
/// naming its file (and line when known).
pub fn findings(cx: &RuleContext) -> Result<Vec<Finding>> {
    if cx.config.policies.is_empty() {
        return Ok(Vec::new());
    }
    let policies = load(cx.base, &cx.config.policies)?;
    let masker = match &cx.secret_key {
        Some(k) => Masker::with_key(k),
        None => Masker::random(),
    };
    let mut inputs = Vec::new();
    let mut places = Vec::new();
    for o in cx.changed_overlays() {
        for c in &o.changes {
            inputs.push(input(cx, o, c, &masker));
            places.push((o, c));
        }
    }
    // Run even without changed resources: a broken policy is always exit 2.
    let events = run_worker(&policies, inputs)?;
    let mut out = Vec::new();
    for e in events {
        let Event::Found {
            policy,
            input,
            rule,
            msg,
        } = e
        else {
            continue;
        };
        let (Some(p), Some((o, c))) = (policies.get(policy), places.get(input)) else {
            continue;
        };
        out.push(Finding {
            policy: p.path.clone(),
            severity: if rule.starts_with("warn") {
                Severity::Warning
            } else {
                Severity::Error
            },
            rule,
            message: msg,
            span: change_span(c),
            resource: c.display_id(),
            overlay: o.path.clone(),
        });
    }
    Ok(out)
}

/// The changed files the `policies:` globs match (at either side): policy
/// files the change edits, adds or deletes, which do not apply to it.
pub fn edited(cx: &RuleContext) -> Vec<(String, Side)> {
    let mut b = globset::GlobSetBuilder::new();
    for g in &cx.config.policies {
        if let Ok(glob) = globset::GlobBuilder::new(&g.text)
            .literal_separator(true)
            .build()
        {
            b.add(glob);
        }
    }
    let Ok(set) = b.build() else {
        return Vec::new();
    };
    cx.changed
        .iter()
        .filter(|c| set.is_match(&c.path))
        .map(|c| {
            let side = if c.at_head { Side::Head } else { Side::Base };
            (c.path.clone(), side)
        })
        .collect()
}

/// The `input` document of one changed resource (see `docs/rego.md`).
fn input(
    cx: &RuleContext,
    o: &OverlayDiff,
    c: &ResourceChange,
    masker: &Masker,
) -> serde_json::Value {
    let side = |r: Option<&crate::model::Resource>| {
        r.map_or(serde_json::Value::Null, |r| {
            crate::diff::compare::masked_resource(r, masker).to_json()
        })
    };
    serde_json::json!({
        "environment": cx.env_of(&o.path),
        "overlay": o.path,
        "deployment": o.deployment.as_ref().map(|d| serde_json::json!({
            "cluster": d.cluster, "app": d.app, "dir": d.dir, "controller": d.controller,
        })),
        "change": c,
        "head": side(cx.sides.head_resource(&o.path, c)),
        "base": side(cx.sides.base_resource(&o.path, c)),
    })
}

/// Where a change's diagnostic points: the source of its first changed field
/// (modifications), else the resource's origin; removals at base.
fn change_span(c: &ResourceChange) -> Span {
    let side = if c.action == crate::diff::ChangeAction::Removed {
        Side::Base
    } else {
        Side::Head
    };
    let at = c
        .fields
        .iter()
        .find_map(|f| f.source.as_ref())
        .or(c.origin.as_ref());
    match at {
        Some(s) => Span::line(&s.path, s.line, side),
        None => Span::none(),
    }
}

/// The policy files the globs match at base, sorted, each read once through
/// the source (confined, size-capped). A glob that matches no file is an error.
pub fn load(base: &dyn Source, globs: &[Located]) -> Result<Vec<PolicyFile>> {
    let mut paths: Vec<String> = Vec::new();
    for g in globs {
        let matcher = globset::GlobBuilder::new(&g.text)
            .literal_separator(true)
            .build()
            .map_err(|e| Error::at(&g.pos, format!("bad glob '{}': {}", g.text, e.kind())))?
            .compile_matcher();
        let found = walk(
            base,
            literal_prefix(&g.text),
            &|p| matcher.is_match(p),
            &g.pos,
        )?;
        if found.is_empty() {
            return Err(Error::at(
                &g.pos,
                format!("policies glob '{}' matches no file at base", g.text),
            )
            .kind(ErrorKind::Config));
        }
        for p in found {
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
    }
    paths.sort();
    if paths.len() > MAX_POLICIES {
        return Err(Error::at(
            &globs[0].pos,
            format!(
                "the policies globs match {} files, more than {MAX_POLICIES}",
                paths.len()
            ),
        )
        .kind(ErrorKind::Budget));
    }
    paths
        .into_iter()
        .map(|path| {
            let bytes = base.read(&path)?;
            if bytes.len() > MAX_POLICY_BYTES {
                return Err(Error::in_file(
                    &path,
                    format!("policy file is larger than {MAX_POLICY_BYTES} bytes"),
                )
                .kind(ErrorKind::Budget));
            }
            let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                Error::in_file(&path, "policy file is not UTF-8").kind(ErrorKind::Parse)
            })?;
            Ok(PolicyFile { path, text })
        })
        .collect()
}

/// The directory part of a glob before its first wildcard segment.
fn literal_prefix(glob: &str) -> &str {
    let mut end = 0;
    for (i, seg) in glob.split('/').enumerate() {
        if seg.contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        let start = glob.split('/').take(i).map(|s| s.len() + 1).sum::<usize>();
        end = start + seg.len();
    }
    // The last literal segment may be the file itself.
    let prefix = &glob[..end];
    if prefix == glob {
        crate::source::parent(glob)
    } else {
        prefix
    }
}

/// Files under `dir` (at most [`MAX_WALK_ENTRIES`] entries, depth 32) that `keep` accepts.
fn walk(
    src: &dyn Source,
    dir: &str,
    keep: &dyn Fn(&str) -> bool,
    pos: &Pos,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.is_empty() && src.entry(dir)? != Some(EntryKind::Dir) {
        return Ok(out);
    }
    let mut seen = 0usize;
    let mut dirs = vec![dir.to_string()];
    while let Some(d) = dirs.pop() {
        for (name, kind) in src.list(&d)? {
            seen += 1;
            if seen > MAX_WALK_ENTRIES {
                return Err(Error::at(
                    pos,
                    format!(
                        "expanding the policies globs visits more than {MAX_WALK_ENTRIES} entries"
                    ),
                )
                .kind(ErrorKind::Budget));
            }
            let path = if d.is_empty() {
                name
            } else {
                format!("{d}/{name}")
            };
            match kind {
                EntryKind::File if keep(&path) => out.push(path),
                EntryKind::Dir if path.split('/').count() < 32 => dirs.push(path),
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Run the worker over `inputs`; its events, or the error that stopped it.
fn run_worker(policies: &[PolicyFile], inputs: Vec<serde_json::Value>) -> Result<Vec<Event>> {
    let req = Request {
        policies: policies.to_vec(),
        inputs,
        timeout_ms: (TIMEOUT / 2).as_millis() as u64,
    };
    let body = serde_json::to_vec(&req).map_err(|e| Error::msg(format!("policy input: {e}")))?;
    if body.len() > MAX_REQUEST_BYTES {
        return Err(Error::in_file(
            &policies[0].path,
            format!(
                "the policy input of this change is {} bytes, more than {MAX_REQUEST_BYTES}",
                body.len()
            ),
        )
        .kind(ErrorKind::Budget));
    }
    let exe = std::env::current_exe()
        .map_err(|e| Error::msg(format!("cannot start the Rego worker: {e}")))?;
    let mut cmd = Command::new(exe);
    cmd.arg(WORKER_ARG)
        .env_clear()
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    crate::kustomize::external::limit_child(&mut cmd, MAX_MEMORY);
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::msg(format!("cannot start the Rego worker: {e}")))?;
    let mut stdin = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(w) = stdin.as_mut() {
            let _ = w.write_all(&body);
        }
    });
    let stdout = child.stdout.take();
    let reader = std::thread::spawn(move || read_events(stdout));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > TIMEOUT => break None,
            Ok(None) => {}
            Err(_) => break None,
        }
        if crate::kustomize::guard::run_deadline_check("").is_err() {
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if status.is_none() {
        crate::kustomize::external::kill_group(&mut child);
    }
    let _ = writer.join();
    let events = reader.join().unwrap_or_default();
    verdict(policies, status, events, start.elapsed())
}

/// Every complete event line the worker wrote (bounded).
fn read_events(stdout: Option<std::process::ChildStdout>) -> Vec<Event> {
    let Some(out) = stdout else {
        return Vec::new();
    };
    let mut r = std::io::BufReader::new(out.take(MAX_RESPONSE_BYTES));
    let mut events = Vec::new();
    let mut line = Vec::new();
    while matches!(r.read_until(b'\n', &mut line), Ok(n) if n > 0) {
        if line.ends_with(b"\n") {
            if let Ok(e) = serde_json::from_slice::<Event>(&line) {
                events.push(e);
            }
        }
        line.clear();
    }
    events
}

/// The worker's events when it finished, else the error naming the policy
/// file it was evaluating.
fn verdict(
    policies: &[PolicyFile],
    status: Option<std::process::ExitStatus>,
    events: Vec<Event>,
    spent: Duration,
) -> Result<Vec<Event>> {
    let current = events
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Policy(i) => Some(*i),
            _ => None,
        })
        .and_then(|i| policies.get(i))
        .map_or(policies[0].path.as_str(), |p| p.path.as_str());
    if let Some(Event::Error {
        policy,
        line,
        message,
    }) = events.iter().find(|e| matches!(e, Event::Error { .. }))
    {
        let file = policies.get(*policy).map_or(current, |p| p.path.as_str());
        let pos = Pos {
            file: Some(Arc::from(file)),
            line: *line,
            col: 0,
        };
        if message.contains("exceeded time limit") {
            return Err(Error::at(
                &pos,
                format!(
                    "policy evaluation exceeded its time budget of {}s",
                    (TIMEOUT / 2).as_secs()
                ),
            )
            .kind(ErrorKind::Budget));
        }
        return Err(Error::at(&pos, format!("policy failed: {message}")).kind(ErrorKind::Parse));
    }
    if status.is_some_and(|s| s.success()) && events.last() == Some(&Event::Done) {
        return Ok(events);
    }
    let why = match status {
        None => format!(
            "policy evaluation exceeded its wall-clock budget of {}s (stopped after {:.1}s)",
            TIMEOUT.as_secs(),
            spent.as_secs_f64()
        ),
        Some(s) if s.success() => format!(
            "policy evaluation stopped: its messages exceed {} MiB",
            MAX_RESPONSE_BYTES >> 20
        ),
        Some(_) => format!(
            "policy evaluation stopped: it exceeded its memory budget of {} MiB or crashed",
            MAX_MEMORY >> 20
        ),
    };
    Err(Error::in_file(current, why).kind(ErrorKind::Budget))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefixes() {
        assert_eq!(literal_prefix("gate-policy/*.rego"), "gate-policy");
        assert_eq!(literal_prefix("a/b/**/*.rego"), "a/b");
        assert_eq!(literal_prefix("*.rego"), "");
        assert_eq!(literal_prefix("gate-policy/one.rego"), "gate-policy");
        assert_eq!(literal_prefix("one.rego"), "");
    }

    #[test]
    fn a_killed_worker_names_the_file_it_was_evaluating() {
        let p = |n: &str| PolicyFile {
            path: n.into(),
            text: String::new(),
        };
        let ps = [p("a.rego"), p("b.rego")];
        let e = verdict(&ps, None, vec![Event::Policy(0), Event::Policy(1)], TIMEOUT).unwrap_err();
        assert!(e.to_string().starts_with("b.rego: "), "{e}");
        assert!(e.is(ErrorKind::Budget));
    }
}
