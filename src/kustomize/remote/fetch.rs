//! Fetching one pinned remote base into the cache, with the system `git`.
//!
//! Why the system `git` and not git2: this crate builds git2 without network
//! support (`default-features = false`: no https, no ssh, no OpenSSL or
//! libssh2 linked into a tool that is offline by default). The system `git`
//! speaks every transport kustomize uses, and can be confined from the command
//! line: only the protocols `remote.protocols` allows (`protocol.allow=never`
//! plus `GIT_ALLOW_PROTOCOL`), no credential helper, no askpass, no terminal
//! prompt, no system or global configuration, an empty `HOME` (no `.netrc`, no
//! `~/.gitconfig`, no `~/.ssh`), no redirects, no hooks, objects checked with
//! fsck, a shallow (`--depth=1`) fetch of exactly the pinned commit or tag.
//! The child runs in its own process group and is killed, with everything it
//! started, when it exceeds the time budget or writes more than the byte
//! budget. Once fetched, the tree is read offline by git2 from the cache.
//!
//! The cache is content-addressed: `<cache>/trees/<sha256(url, commit)>.git`
//! is a bare repository holding that commit. A reference pinned to a commit id
//! already in the cache is used without any network access; a tag is fetched
//! (once per run) because a tag can move.

use super::policy::{is_commit_id, RemotePolicy};
use super::RemoteRef;
use crate::error::{Error, ErrorKind, Result};
use crate::source::bare;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The ref a fetch writes the pinned commit (or tag) to.
const PIN_REF: &str = "refs/manifest-gate/pin";

/// A commit fetched into the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The full commit id.
    pub commit: String,
    /// The bare repository holding it.
    pub git_dir: PathBuf,
}

/// The default cache directory: `$XDG_CACHE_HOME/manifest-gate`, else
/// `$HOME/.cache/manifest-gate`; `None` when neither is set (absolute).
pub fn default_cache_dir() -> Option<PathBuf> {
    let abs = |v: &str| {
        std::env::var_os(v)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    abs("XDG_CACHE_HOME")
        .or_else(|| abs("HOME").map(|h| h.join(".cache")))
        .map(|c| c.join("manifest-gate"))
}

/// Environment variables passed through to `git` (proxies and CA
/// certificates); everything else is cleared.
const PASS_ENV: [&str; 9] = [
    "PATH",
    "http_proxy",
    "https_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "no_proxy",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

fn io_err(what: &str, p: &Path, e: std::io::Error) -> Error {
    Error::msg(format!("{what} '{}': {e}", p.display())).kind(ErrorKind::Io)
}

fn remote_err(r: &RemoteRef, msg: impl std::fmt::Display) -> Error {
    Error::msg(format!("fetching remote base '{}': {msg}", r.shown())).kind(ErrorKind::Remote)
}

/// The cache entry for `commit` of `url`.
fn entry_dir(cache: &Path, url: &str, commit: &str) -> PathBuf {
    let mut h = Sha256::new();
    h.update(url.as_bytes());
    h.update(b"\n");
    h.update(commit.as_bytes());
    let key: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    cache.join("trees").join(format!("{key}.git"))
}

/// Whether the bare repository at `dir` holds `commit`.
fn holds(dir: &Path, commit: &str) -> bool {
    bare::has_commit(dir, commit)
}

/// A fresh directory under `<cache>/tmp`.
fn temp_dir(cache: &Path) -> Result<PathBuf> {
    static N: AtomicU64 = AtomicU64::new(0);
    let base = cache.join("tmp");
    std::fs::create_dir_all(&base)
        .map_err(|e| io_err("cannot create cache directory", &base, e))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let d = base.join(format!(
        "{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&d).map_err(|e| io_err("cannot create cache directory", &d, e))?;
    Ok(d)
}

/// Removes a directory on drop (every exit path, including kills).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Bytes under `dir` (not following symlinks), stopping past `limit`.
fn dir_bytes(dir: &Path, limit: u64) -> u64 {
    let mut total = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = e.metadata() else { continue };
            // Every entry costs at least a block: many empty files count too.
            total = total.saturating_add(m.len().max(512));
            if m.is_dir() {
                stack.push(e.path());
            }
            if total > limit {
                return total;
            }
        }
    }
    total
}

/// Fetch the commit `r` pins (admitted by `policy`) into `cache`.
pub(super) fn fetch(r: &RemoteRef, policy: &RemotePolicy, cache: &Path) -> Result<Fetched> {
    let git_ref = r
        .git_ref
        .as_deref()
        .ok_or_else(|| remote_err(r, "not pinned"))?;
    let pinned = is_commit_id(git_ref).then_some(git_ref);
    if let Some(commit) = pinned {
        let dir = entry_dir(cache, &r.clone_url, commit);
        if holds(&dir, commit) {
            return Ok(Fetched {
                commit: commit.to_string(),
                git_dir: dir,
            });
        }
    }
    if r.clone_url.starts_with('-') {
        return Err(remote_err(r, "the URL cannot start with '-'"));
    }
    let work = temp_dir(cache)?;
    let _cleanup = RemoveOnDrop(work.clone());
    let git_dir = work.join("repo.git");
    let home = work.join("home");
    std::fs::create_dir(&home).map_err(|e| io_err("cannot create", &home, e))?;
    bare::init_bare(&git_dir).map_err(|e| remote_err(r, e.msg))?;
    let refspec = match pinned {
        Some(c) => format!("+{c}:{PIN_REF}"),
        None => format!("+refs/tags/{git_ref}:{PIN_REF}"),
    };
    run_git(r, policy, &git_dir, &home, &refspec, &work).map_err(|e| {
        if pinned.is_none() && e.msg.contains("couldn't find remote ref") {
            remote_err(r, format!("'{git_ref}' is not a tag of {}", r.clone_url))
        } else {
            e
        }
    })?;
    let commit = bare::ref_commit(&git_dir, PIN_REF).ok_or_else(|| match pinned {
        Some(c) => remote_err(r, format!("the server did not send commit {c}")),
        None => remote_err(r, format!("'{git_ref}' is not a tag of {}", r.clone_url)),
    })?;
    if pinned.is_some_and(|c| c != commit) {
        return Err(remote_err(
            r,
            format!("the server sent commit {commit}, not the pinned one"),
        ));
    }
    let used = dir_bytes(&git_dir, policy.max_bytes);
    if used > policy.max_bytes {
        return Err(over_budget(r, policy));
    }
    let dest = entry_dir(cache, &r.clone_url, &commit);
    if !holds(&dest, &commit) {
        let parent = dest.parent().unwrap_or(cache);
        std::fs::create_dir_all(parent).map_err(|e| io_err("cannot create", parent, e))?;
        let _ = std::fs::remove_dir_all(&dest);
        if std::fs::rename(&git_dir, &dest).is_err() && !holds(&dest, &commit) {
            return Err(remote_err(
                r,
                format!("cannot store it in '{}'", dest.display()),
            ));
        }
    }
    Ok(Fetched {
        commit,
        git_dir: dest,
    })
}

fn over_budget(r: &RemoteRef, policy: &RemotePolicy) -> Error {
    Error::msg(format!(
        "fetching remote base '{}' writes more than {} bytes ('remote.maxBytes')",
        r.shown(),
        policy.max_bytes
    ))
    .kind(ErrorKind::Budget)
}

/// The confined `git fetch` command.
fn git_command(
    policy: &RemotePolicy,
    git_dir: &Path,
    home: &Path,
    url: &str,
    refspec: &str,
) -> Command {
    let mut c = Command::new("git");
    c.env_clear();
    for v in PASS_ENV {
        if let Some(x) = std::env::var_os(v) {
            c.env(v, x);
        }
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ALLOW_PROTOCOL", policy.protocols.join(":"))
        .env("LC_ALL", "C");
    let mut cfg: Vec<String> = vec![
        "protocol.allow=never".into(),
        "credential.helper=".into(),
        "core.askPass=".into(),
        "http.followRedirects=false".into(),
        "core.hooksPath=/dev/null".into(),
        "transfer.fsckObjects=true".into(),
        "gc.auto=0".into(),
        "maintenance.auto=false".into(),
        "protocol.version=2".into(),
        "submodule.recurse=false".into(),
    ];
    cfg.extend(
        policy
            .protocols
            .iter()
            .map(|p| format!("protocol.{p}.allow=always")),
    );
    for kv in cfg {
        c.arg("-c").arg(kv);
    }
    c.arg("--git-dir")
        .arg(git_dir)
        .args([
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-recurse-submodules",
            "--no-write-fetch-head",
            "--depth=1",
            "--",
            url,
            refspec,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    own_process_group(&mut c);
    c
}

/// Run the child in its own process group, so that a kill reaches everything
/// it starts (`git-remote-http`, `index-pack`, …).
#[cfg(unix)]
fn own_process_group(c: &mut Command) {
    use std::os::unix::process::CommandExt;
    c.process_group(0);
}

#[cfg(not(unix))]
fn own_process_group(_: &mut Command) {}

/// Kill the child and everything in its process group, then reap it.
fn kill_tree(child: &mut std::process::Child) {
    #[cfg(unix)]
    // SAFETY: kill(2) on the child's own process group (spawned with
    // process_group(0), its pgid is its pid); no memory is involved.
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Run the fetch under the time and byte budgets.
fn run_git(
    r: &RemoteRef,
    policy: &RemotePolicy,
    git_dir: &Path,
    home: &Path,
    refspec: &str,
    work: &Path,
) -> Result<()> {
    let mut child = git_command(policy, git_dir, home, &r.clone_url, refspec)
        .spawn()
        .map_err(|e| {
            remote_err(
                r,
                format!("cannot run git (--fetch-remote needs git on PATH): {e}"),
            )
        })?;
    let mut stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.take(64 << 10).read_to_end(&mut buf);
        }
        buf
    });
    let start = Instant::now();
    let kill = kill_tree;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) => {}
            Err(e) => {
                kill(&mut child);
                return Err(remote_err(r, e));
            }
        }
        if start.elapsed() > policy.timeout {
            kill(&mut child);
            return Err(Error::msg(format!(
                "fetching remote base '{}' took longer than {} ('remote.timeout')",
                r.shown(),
                crate::kustomize::guard::show_duration(policy.timeout)
            ))
            .kind(ErrorKind::Budget));
        }
        if dir_bytes(work, policy.max_bytes) > policy.max_bytes {
            kill(&mut child);
            return Err(over_budget(r, policy));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let err = reader.join().unwrap_or_default();
    if status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&err);
    let last = text
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("git fetch failed");
    let shown: String = last.chars().filter(|c| !c.is_control()).take(300).collect();
    Err(remote_err(r, format!("git: {shown}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_depend_on_url_and_commit() {
        let c = Path::new("/c");
        let a = entry_dir(c, "https://h/o/r", "a");
        assert_ne!(a, entry_dir(c, "https://h/o/r2", "a"));
        assert_ne!(a, entry_dir(c, "https://h/o/r", "b"));
        assert_eq!(a, entry_dir(c, "https://h/o/r", "a"));
        assert!(a.starts_with("/c/trees"));
    }

    #[test]
    fn a_missing_cache_entry_is_not_held() {
        let d = tempfile::tempdir().unwrap();
        assert!(!holds(d.path(), "0123456789abcdef0123456789abcdef01234567"));
    }
}
