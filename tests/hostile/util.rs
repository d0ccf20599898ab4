//! Helpers: build git repositories with hostile content, run the real binary,
//! and assert on the outcome.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The result of one run of the binary.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

fn cut(s: &str) -> String {
    if s.len() > 1500 {
        let mut i = 1500;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        format!("{}... ({} bytes)", &s[..i], s.len())
    } else {
        s.to_string()
    }
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Out")
            .field("code", &self.code)
            .field("stdout", &cut(&self.stdout))
            .field("stderr", &cut(&self.stderr))
            .field("secs", &self.secs)
            .finish()
    }
}

impl Out {
    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_manifest-gate")
}

/// Run the binary in `dir`.
pub fn mg(dir: &Path, args: &[&str]) -> Out {
    mg_env(dir, args, &[])
}

/// Run the binary in `dir` with extra environment variables.
pub fn mg_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let start = Instant::now();
    let mut c = Command::new(bin());
    c.args(args).current_dir(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("binary runs");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        secs: start.elapsed().as_secs_f64(),
    }
}

/// Assert a refusal: exit 2, no panic, exactly one `error: ` line naming `file`
/// (and its line when given) and containing `cause`.
pub fn refused(o: &Out, file: &str, cause: &str) {
    assert_eq!(o.code, 2, "expected exit 2, got {}: {o:#?}", o.code);
    assert!(!o.stderr.contains("panicked"), "panic: {}", o.stderr);
    let errs: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errs.len(), 1, "one error line expected: {}", o.stderr);
    let e = errs[0];
    assert!(e.contains(file), "error does not name '{file}': {e}");
    assert!(e.contains(cause), "error does not say '{cause}': {e}");
    assert!(
        o.stdout.is_empty(),
        "nothing on stdout when refused: {}",
        o.stdout
    );
}

/// A refusal of `check` in a file format (json, sarif, markdown, …): as
/// [`refused`], but standard output is the format's own "could not decide"
/// document, which names `file` and `cause` too.
pub fn refused_with_report(o: &Out, file: &str, cause: &str) {
    let bare = Out {
        code: o.code,
        stdout: String::new(),
        stderr: o.stderr.clone(),
        secs: o.secs,
    };
    refused(&bare, file, cause);
    assert!(
        o.stdout.contains("could not decide")
            && o.stdout.contains(file)
            && o.stdout.contains(cause),
        "the report says the gate could not decide, naming '{file}' and '{cause}': {}",
        o.stdout
    );
}

/// Run git in `dir`.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "core.autocrlf=false",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A repository at `<outer>/repo`, with `<outer>` holding files outside it.
pub struct Repo {
    pub outer: tempfile::TempDir,
    pub commits: Vec<String>,
}

pub const OUTSIDE_MARKER: &str = "OUTSIDE-THE-REPOSITORY-c0ffee";

impl Repo {
    /// A new repository with files outside it (`<outer>/outside/...`) that a hostile
    /// change may try to read: a kustomization base, a resource, a text file.
    pub fn new() -> Repo {
        let outer = tempfile::tempdir().expect("tempdir");
        let r = Repo {
            outer,
            commits: Vec::new(),
        };
        std::fs::create_dir_all(r.root()).unwrap();
        git(&r.root(), &["init", "-q"]);
        let cm = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\ndata:\n  stolen: {OUTSIDE_MARKER}\n"
        );
        r.outside("outside/cm.yaml", &cm);
        r.outside("outside/kustomization.yaml", "resources: [cm.yaml]\n");
        r.outside("outside/secret.txt", &format!("{OUTSIDE_MARKER}\n"));
        r.outside("outside/env.txt", &format!("K={OUTSIDE_MARKER}\n"));
        r
    }
    /// Write a file outside the repository (relative to the outer directory).
    pub fn outside(&self, rel: &str, text: &str) {
        let p = self.outer.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    pub fn root(&self) -> PathBuf {
        self.outer.path().join("repo")
    }
    /// Write a file in the work tree (not committed yet).
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Self {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }
    /// Create a symlink in the work tree.
    pub fn symlink(&self, rel: &str, target: &str) -> &Self {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, p).unwrap();
        self
    }
    /// Remove a path from the work tree.
    pub fn remove(&self, rel: &str) -> &Self {
        let p = self.root().join(rel);
        if p.is_dir() && !p.is_symlink() {
            std::fs::remove_dir_all(p).unwrap();
        } else {
            std::fs::remove_file(p).unwrap();
        }
        self
    }
    /// Commit everything; returns the id.
    pub fn commit(&mut self) -> String {
        let root = self.root();
        git(&root, &["add", "-A"]);
        let n = self.commits.len();
        git(
            &root,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("commit {n}"),
            ],
        );
        let id = git(&root, &["rev-parse", "HEAD"]);
        self.commits.push(id.clone());
        id
    }
    /// Write files and commit.
    pub fn files(&mut self, files: &[(&str, &str)]) -> String {
        for (p, t) in files {
            self.write(p, t);
        }
        self.commit()
    }
    /// Run the binary at the repository root.
    pub fn run(&self, args: &[&str]) -> Out {
        mg(&self.root(), args)
    }
    /// `render DIR --ref HEAD` (the committed tree).
    pub fn render_head(&self, dir: &str) -> Out {
        self.run(&["render", dir, "--ref", "HEAD"])
    }
    /// `render DIR` (the working tree).
    pub fn render_disk(&self, dir: &str) -> Out {
        self.run(&["render", dir])
    }
}

/// A small ConfigMap.
pub fn cm(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n")
}

/// Peak RSS in KiB and wall seconds of a run, via /usr/bin/time -v (None when unavailable).
pub fn measure(dir: &Path, args: &[&str]) -> Option<(u64, f64, i32)> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let start = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    let secs = start.elapsed().as_secs_f64();
    let err = String::from_utf8_lossy(&out.stderr);
    let rss = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))?
        .trim()
        .parse()
        .ok()?;
    let code = err
        .lines()
        .find_map(|l| l.trim().strip_prefix("Exit status:"))
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(-1);
    Some((rss, secs, code))
}

/// Whether `kubectl` runs here; when not, says that the calling test is skipped.
pub fn kubectl_present() -> bool {
    let ok = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok();
    if !ok {
        eprintln!("kubectl absent: skipped");
    }
    ok
}
