//! The external renderer: `kustomize build` or `kubectl kustomize` found on PATH,
//! run over a temporary copy of the tree at the revision, with the load
//! restrictor of the render options (`LoadRestrictionsNone` only when asked: the
//! copy holds nothing but the repository), never with plugins, exec or helm
//! enabled, and with an empty environment (only a scratch HOME: no PATH, so no
//! git and no helm either). Before it runs, every kustomization reachable from
//! the directory is checked ([`closure::collect`]): remote content, helm,
//! plugins and functions are refused, every path must stay inside the
//! repository (kustomize itself renders a directory base outside its root),
//! and every file it may read passes the native parser's budgets. Only those
//! files are copied. The child runs in its own process group under an
//! address-space limit and the per-overlay wall-clock budget; the copy is
//! removed on every exit path.

mod closure;

use super::build::Rendered;
use super::redact::{redact_secret_like, redact_values};
use super::RenderOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::model::Resource;
use crate::source::Source;
use crate::yaml::{decode, parse_stream, ParseOptions};
use closure::Closure;
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

/// The default address-space limit of the external renderer (`RLIMIT_AS`,
/// `--external-max-memory`): 2 GiB (the Go runtime alone reserves ~700 MiB).
pub const DEFAULT_MAX_MEMORY: u64 = 2 << 30;

const TMP_PREFIX: &str = "manifest-gate-";

/// The temporary copy: removed when dropped, on every exit path (errors,
/// timeouts, panics); copies left by a killed earlier run are swept at start.
struct TempTree(PathBuf);

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Remove copies whose process is gone (a run killed with SIGKILL cannot clean up).
fn sweep_stale() {
    let Ok(rd) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    // SAFETY: geteuid has no preconditions and cannot fail.
    let euid = unsafe { libc::geteuid() };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(TMP_PREFIX)
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let alive = Path::new(&format!("/proc/{pid}")).exists();
        let own = e.metadata().is_ok_and(|m| {
            use std::os::unix::fs::MetadataExt;
            m.uid() == euid
        });
        if !alive && own && e.path().join(".manifest-gate-copy").exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Write the checked files (and the directories of every kustomization) under `to`.
fn write_closure(c: &Closure, to: &Path) -> Result<()> {
    let io = |p: &Path, e: std::io::Error| Error::msg(format!("{}: {e}", p.display()));
    for d in &c.dirs {
        let p = to.join(d);
        std::fs::create_dir_all(&p).map_err(|e| io(&p, e))?;
    }
    for (f, bytes) in &c.files {
        let p = to.join(f);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
        }
        std::fs::write(&p, &bytes[..]).map_err(|e| io(&p, e))?;
    }
    Ok(())
}

/// Render `dir` with the external binary over a checked copy of `src`, with
/// the default options.
pub fn render(src: &dyn Source, dir: &str, bin: &External) -> Result<Rendered> {
    render_limited(src, dir, bin, &RenderOptions::default())
}

/// In the child, before exec: its own process group (killed as one), killed
/// when manifest-gate dies, and an address-space limit.
pub(crate) fn limit_child(cmd: &mut Command, max_memory: u64) {
    use std::os::unix::process::CommandExt;
    // SAFETY: only async-signal-safe calls (setpgid, prctl, setrlimit) run
    // between fork and exec; nothing allocates.
    unsafe {
        cmd.pre_exec(move || {
            libc::setpgid(0, 0);
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            let lim = libc::rlimit {
                rlim_cur: max_memory as libc::rlim_t,
                rlim_max: max_memory as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

pub(crate) fn kill_group(child: &mut std::process::Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: a plain syscall on the child's own process group.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Run `cmd` to completion, killing its process group once `timeout` has passed.
fn run_bounded(
    cmd: &mut Command,
    dir: &str,
    timeout: Option<std::time::Duration>,
    max_stdout: u64,
) -> Result<std::process::Output> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::msg(format!("running the external renderer: {e}")))?;
    // Bounded reads: the output is parsed under the file limit anyway.
    let pipe = |r: Option<Box<dyn Read + Send>>, cap: u64| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                let _ = r.take(cap).read_to_end(&mut buf);
            }
            buf
        })
    };
    let boxed = |r: Option<Box<dyn Read + Send>>| r;
    let out_t = pipe(
        boxed(
            child
                .stdout
                .take()
                .map(|r| Box::new(r) as Box<dyn Read + Send>),
        ),
        max_stdout,
    );
    let err_t = pipe(
        boxed(
            child
                .stderr
                .take()
                .map(|r| Box::new(r) as Box<dyn Read + Send>),
        ),
        1 << 20,
    );
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => {
                kill_group(&mut child);
                return Err(Error::msg(format!("running the external renderer: {e}")));
            }
        }
        if let Some(t) = timeout {
            if start.elapsed() > t {
                kill_group(&mut child);
                let shown = if dir.is_empty() { "." } else { dir };
                return Err(Error::in_file(
                    shown,
                    format!(
                        "rendering '{shown}' with the external kustomize exceeded its wall-clock budget of {} (--timeout-per-overlay)",
                        super::guard::show_duration(t)
                    ),
                )
                .kind(ErrorKind::Budget));
            }
        }
        if let Err(e) = super::guard::run_deadline_check(dir) {
            kill_group(&mut child);
            return Err(e);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Ok(std::process::Output {
        status,
        stdout: out_t.join().unwrap_or_default(),
        stderr: err_t.join().unwrap_or_default(),
    })
}

/// Most bytes read from the external renderer's stdout: four times the output
/// budget (YAML text has indentation and punctuation the budget does not count).
fn max_stdout(opts: &RenderOptions) -> u64 {
    opts.max_output_bytes.saturating_mul(4).min(1 << 30)
}

/// The one line shown when the external renderer fails: its last stderr line,
/// without the temporary path, with every secret-like value redacted; an
/// out-of-memory death is named as the memory budget.
fn failure_line(stderr: &[u8], tmp: &Path, c: &Closure, opts: &RenderOptions) -> String {
    let err = String::from_utf8_lossy(stderr);
    if err.contains("out of memory") || err.contains("cannot allocate memory") {
        return format!(
            "ran out of its memory limit of {} bytes (--external-max-memory)",
            opts.external_max_memory
        );
    }
    let tmp_s = tmp.to_string_lossy();
    let line = last_error_line(&err).replace(&*tmp_s, "");
    // klog's `E1202 ... run.go:72] "command failed" err="CAUSE"`: the cause alone.
    let line = match line.split_once(" err=\"") {
        Some((_, rest)) => rest.strip_suffix('"').unwrap_or(rest).replace("\\\"", "\""),
        None => line,
    };
    let line: String = line
        .chars()
        .filter(|c| !c.is_control())
        .take(2000)
        .collect();
    redact_values(&redact_secret_like(&line), &c.secrets)
}

/// [`render`] under `opts`: the per-overlay wall-clock budget covers checking,
/// copying and the child; the child also gets an address-space limit.
pub fn render_limited(
    src: &dyn Source,
    dir: &str,
    bin: &External,
    opts: &RenderOptions,
) -> Result<Rendered> {
    let budget = super::guard::Budget::new(
        dir,
        opts.limits.max_file_bytes as u64,
        opts.max_render_bytes,
        opts.timeout,
    );
    let started = std::time::Instant::now();
    // Every reachable kustomization passes check_refused and check_paths
    // there, and every file it names is read.
    let closure = closure::collect(src, dir, opts, &budget)?;
    sweep_stale();
    let tmp = TempTree(std::env::temp_dir().join(format!(
        "{TMP_PREFIX}{}-{}",
        std::process::id(),
        unique()
    )));
    std::fs::create_dir_all(&tmp.0).map_err(|e| Error::msg(format!("{}: {e}", tmp.0.display())))?;
    let _ = std::fs::write(tmp.0.join(".manifest-gate-copy"), b"");
    write_closure(&closure, &tmp.0)?;
    budget.tick()?;
    let target = tmp.0.join(dir);
    let home = tmp.0.join(".home");
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
    if opts.load_restrictor == super::LoadRestrictor::None {
        cmd.arg("--load-restrictor").arg("LoadRestrictionsNone");
    }
    cmd.arg(&target)
        .current_dir(&tmp.0)
        .env_clear()
        .env("HOME", &home)
        .stdin(std::process::Stdio::null());
    limit_child(&mut cmd, opts.external_max_memory);
    let left = opts.timeout.map(|t| t.saturating_sub(started.elapsed()));
    let cap = max_stdout(opts);
    let out = run_bounded(&mut cmd, dir, left.map(|l| l.max(std::time::Duration::from_millis(1))), cap)
        .map_err(|e| match (opts.timeout, e.kind) {
            // the message names the whole per-overlay budget
            (Some(t), ErrorKind::Budget) => Error::in_file(
                if dir.is_empty() { "." } else { dir },
                format!(
                    "rendering '{}' with the external kustomize exceeded its wall-clock budget of {} (--timeout-per-overlay)",
                    if dir.is_empty() { "." } else { dir },
                    super::guard::show_duration(t)
                ),
            )
            .kind(ErrorKind::Budget),
            _ => e,
        })?;
    if !out.status.success() {
        let line = failure_line(&out.stderr, &tmp.0, &closure, opts);
        return Err(Error::in_file(dir, format!("external kustomize: {line}")));
    }
    let shown = if dir.is_empty() { "." } else { dir };
    if out.stdout.len() as u64 >= cap {
        return Err(Error::in_file(
            shown,
            format!("rendering '{shown}' with the external kustomize prints more than {cap} bytes (4 x --max-output-bytes)"),
        )
        .kind(ErrorKind::Budget));
    }
    let text = decode(&out.stdout, dir)?;
    let label = format!(
        "{}/<rendered by kustomize>",
        if dir.is_empty() { "." } else { dir }
    );
    let mut po = ParseOptions::resource();
    po.limits = opts.limits;
    po.limits.max_file_bytes = usize::try_from(cap).unwrap_or(usize::MAX);
    let docs = parse_stream(&text, &label, &po)?;
    let (mut nodes, mut bytes) = (0u64, 0u64);
    for d in &docs {
        let (n, b) = super::guard::measure(d, opts.max_output_nodes, opts.max_output_bytes);
        nodes += n;
        bytes += b;
    }
    if nodes > opts.max_output_nodes || bytes > opts.max_output_bytes {
        return Err(Error::in_file(
            shown,
            format!(
                "rendering '{shown}' with the external kustomize grows its output past {} nodes or {} bytes (--max-output-nodes, --max-output-bytes)",
                opts.max_output_nodes, opts.max_output_bytes
            ),
        )
        .kind(ErrorKind::Budget));
    }
    let resources = docs.into_iter().filter(|d| !d.is_null()).map(|d| {
        let pos = d.pos.clone();
        Resource::new(d, pos)
    });
    Ok(Rendered {
        resources: resources.collect(),
        inputs: Default::default(),
        opaque: true,
    })
}

/// The one line that says why kustomize failed: its last line, or, when klog
/// wrote the error over several lines (`err=<` … ` >`), those lines joined.
fn last_error_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    if let Some(i) = lines.iter().rposition(|l| l.trim_end().ends_with("err=<")) {
        let body: Vec<&str> = lines[i + 1..]
            .iter()
            .map(|l| l.trim())
            .take_while(|l| *l != ">")
            .filter(|l| !l.is_empty())
            .collect();
        if !body.is_empty() {
            return body.join(" ");
        }
    }
    let last = lines.iter().rev().find(|l| !l.trim().is_empty());
    last.map_or_else(|| "failed".to_string(), |l| l.trim().to_string())
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Whether a native error means "not implemented natively" (so `auto` falls back).
pub fn is_unsupported(e: &Error) -> bool {
    e.is(crate::error::ErrorKind::Unsupported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_line_joins_klogs_multi_line_errors() {
        let multi = "E1202 20:17:59.111800 14626 run.go:72] \"command failed\" err=<\n\ttrouble configuring builtin PatchTransformer with config: `\n\tpath: ../p.yaml\n\t`: failed to get the patch file\n >\n";
        assert_eq!(
            last_error_line(multi),
            "trouble configuring builtin PatchTransformer with config: ` path: ../p.yaml `: failed to get the patch file"
        );
        let one =
            "# Warning: deprecated\nE1202 run.go:72] \"command failed\" err=\"no such file\"\n";
        assert_eq!(
            last_error_line(one),
            "E1202 run.go:72] \"command failed\" err=\"no such file\""
        );
        assert_eq!(last_error_line(""), "failed");
    }
}
