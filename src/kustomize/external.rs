//! The external renderer: `kustomize build` or `kubectl kustomize` found on PATH,
//! run over a temporary copy of the tree at the revision. Never with
//! `--load-restrictor LoadRestrictionsNone`, never with plugins, exec or helm
//! enabled, and with an empty environment (only a scratch HOME: no PATH, so no
//! git and no helm either). Before it runs, every kustomization reachable from
//! the directory is checked ([`super::guard::precheck_tree`]): remote content,
//! helm, plugins and functions are refused, and every path must stay inside
//! the repository (kustomize itself renders a directory base outside its root).

use super::build::Rendered;
use crate::error::{Error, Result};
use crate::model::Resource;
use crate::source::{EntryKind, Source};
use crate::yaml::{decode, parse_stream, ParseOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Which external binary to run.
#[derive(Clone, Debug)]
pub enum External {
    /// `kustomize build DIR`.
    Kustomize(PathBuf),
    /// `kubectl kustomize DIR`.
    Kubectl(PathBuf),
}

/// Find `kustomize` or `kubectl` on PATH.
pub fn find() -> Option<External> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        let k = dir.join("kustomize");
        if k.is_file() {
            return Some(External::Kustomize(k));
        }
    }
    for dir in std::env::split_paths(&path) {
        let k = dir.join("kubectl");
        if k.is_file() {
            return Some(External::Kubectl(k));
        }
    }
    None
}

fn copy_tree(src: &dyn Source, dir: &str, to: &Path, budget: &mut u64) -> Result<()> {
    for (name, kind) in src.list(dir)? {
        let rel = if dir.is_empty() {
            name.clone()
        } else {
            format!("{dir}/{name}")
        };
        if rel == ".git" {
            continue;
        }
        let dest = to.join(&rel);
        match kind {
            EntryKind::Dir => {
                std::fs::create_dir_all(&dest)
                    .map_err(|e| Error::msg(format!("{}: {e}", dest.display())))?;
                copy_tree(src, &rel, to, budget)?;
            }
            EntryKind::File => {
                let bytes = match src.read(&rel) {
                    Ok(b) => b,
                    Err(_) => continue, // links leaving the root, LFS pointers: not copied
                };
                *budget = budget.saturating_sub(bytes.len() as u64);
                if *budget == 0 {
                    return Err(Error::msg(
                        "tree too large to copy for the external renderer (over 1 GiB)",
                    ));
                }
                std::fs::write(&dest, &bytes[..])
                    .map_err(|e| Error::msg(format!("{}: {e}", dest.display())))?;
            }
            EntryKind::Submodule => {}
        }
    }
    Ok(())
}

/// Render `dir` with the external binary over a temporary copy of `src`.
pub fn render(src: &dyn Source, dir: &str, bin: &External) -> Result<Rendered> {
    render_limited(src, dir, bin, None)
}

/// Run `cmd` to completion, killing it once `timeout` has passed.
fn run_bounded(
    cmd: &mut Command,
    dir: &str,
    timeout: Option<std::time::Duration>,
) -> Result<std::process::Output> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::msg(format!("running the external renderer: {e}")))?;
    let pipe = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out_t = pipe(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err_t = pipe(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => return Err(Error::msg(format!("running the external renderer: {e}"))),
        }
        if let Some(t) = timeout {
            if start.elapsed() > t {
                let _ = child.kill();
                let _ = child.wait();
                let shown = if dir.is_empty() { "." } else { dir };
                return Err(Error::in_file(
                    shown,
                    format!(
                        "rendering '{shown}' with the external kustomize exceeded its wall-clock budget of {} (--timeout-per-overlay)",
                        super::guard::show_duration(t)
                    ),
                ));
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Ok(std::process::Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    })
}

/// [`render`], killing the external binary once `timeout` has passed.
pub fn render_limited(
    src: &dyn Source,
    dir: &str,
    bin: &External,
    timeout: Option<std::time::Duration>,
) -> Result<Rendered> {
    super::guard::precheck_tree(src, dir)?;
    let tmp =
        std::env::temp_dir().join(format!("manifest-gate-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&tmp).map_err(|e| Error::msg(format!("{}: {e}", tmp.display())))?;
    let result = (|| {
        let mut budget: u64 = 1 << 30;
        copy_tree(src, "", &tmp, &mut budget)?;
        let target = tmp.join(dir);
        let home = tmp.join(".home");
        let _ = std::fs::create_dir_all(&home);
        let mut cmd = match bin {
            External::Kustomize(p) => {
                let mut c = Command::new(p);
                c.arg("build");
                c
            }
            External::Kubectl(p) => {
                let mut c = Command::new(p);
                c.arg("kustomize");
                c
            }
        };
        cmd.arg(&target)
            .current_dir(&tmp)
            .env_clear()
            .env("HOME", &home)
            .stdin(std::process::Stdio::null());
        let out = run_bounded(&mut cmd, dir, timeout)?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let tmp_s = tmp.to_string_lossy();
            let line = err.lines().last().unwrap_or("failed").replace(&*tmp_s, "");
            return Err(Error::in_file(dir, format!("external kustomize: {line}")));
        }
        let text = decode(&out.stdout, dir)?;
        let label = format!(
            "{}/<rendered by kustomize>",
            if dir.is_empty() { "." } else { dir }
        );
        let docs = parse_stream(&text, &label, &ParseOptions::resource())?;
        let resources = docs.into_iter().filter(|d| !d.is_null()).map(|d| {
            let pos = d.pos.clone();
            Resource::new(d, pos)
        });
        Ok(Rendered {
            resources: resources.collect(),
            inputs: Default::default(),
            opaque: true,
        })
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Whether a native error means "not implemented natively" (so `auto` falls back).
pub fn is_unsupported(e: &Error) -> bool {
    e.msg.contains("is not supported by the native renderer")
}
