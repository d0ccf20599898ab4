//! Test helper: build a git repository from a list of commits.
//!
//! ```ignore
//! mod common;
//! let repo = common::TestRepo::build(&[
//!     &[("app/kustomization.yaml", Some("resources: [cm.yaml]\n")), ("app/cm.yaml", Some("..."))],
//!     &[("app/cm.yaml", Some("...changed...")), ("old.yaml", None)], // None deletes
//! ]);
//! let (base, head) = (&repo.commits[0], &repo.commits[1]);
//! ```
//! Files not mentioned in a commit carry over from the previous one. Each
//! commit is tagged `c0`, `c1`, … as well.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Run the binary in `dir` with `args`: (exit code, stdout, stderr).
pub fn mg(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("binary runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// One commit: (path, content) pairs; `None` deletes the path.
pub type Commit<'a> = &'a [(&'a str, Option<&'a str>)];

/// A temporary git repository with commits.
pub struct TestRepo {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// Commit ids, in order.
    pub commits: Vec<String>,
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(["-c", "init.defaultBranch=main", "-c", "core.autocrlf=false"])
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

impl TestRepo {
    /// Build a repository with one commit per entry.
    pub fn build(commits: &[Commit]) -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "-q"]);
        let mut repo = TestRepo {
            dir,
            commits: Vec::new(),
        };
        for c in commits {
            repo.commit(c);
        }
        repo
    }
    /// Add a commit; returns its id.
    pub fn commit(&mut self, files: Commit) -> String {
        let root = self.dir.path();
        for (path, content) in files {
            let p = root.join(path);
            match content {
                Some(text) => {
                    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                    std::fs::write(&p, text).unwrap();
                }
                None => {
                    if p.is_dir() {
                        std::fs::remove_dir_all(&p).unwrap();
                    } else if p.exists() {
                        std::fs::remove_file(&p).unwrap();
                    }
                }
            }
        }
        git(root, &["add", "-A"]);
        let n = self.commits.len();
        git(
            root,
            &[
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                &format!("commit {n}"),
            ],
        );
        let id = git(root, &["rev-parse", "HEAD"]);
        git(root, &["tag", &format!("c{n}")]);
        self.commits.push(id.clone());
        id
    }
    /// The repository root.
    pub fn path(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

/// `text` with every Secret value marker (`<secret sha256:...>`, keyed per run)
/// replaced by `<secret>`: two runs mark the same value differently.
pub fn unkeyed(text: &str) -> String {
    let re = regex::Regex::new(r"<secret sha256:[0-9a-f]+>").unwrap();
    re.replace_all(text, "<secret>").into_owned()
}

/// `check ARGS --base BASE --head HEAD --format json` unsharded and as shards
/// (`check --shard I/N` for every I, then `merge-reports`) for N = 1, 3, 7: the
/// same exit code and the same verdict every time. Returns the exit code.
pub fn assert_shards_agree(repo: &Path, base: &str, head: &str, args: &[&str]) -> i32 {
    let bin = env!("CARGO_BIN_EXE_manifest-gate");
    let revs = ["--base", base, "--head", head, "--format", "json"];
    let run = |sub: &str, extra: &[&str]| {
        let o = Command::new(bin)
            .arg(sub)
            .args(revs)
            .args(args)
            .args(extra)
            .arg("--repo")
            .arg(repo)
            .output()
            .expect("binary runs");
        (
            o.status.code().unwrap_or(-1),
            unkeyed(&String::from_utf8_lossy(&o.stdout)),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let whole = run("check", &[]);
    let dir = tempfile::tempdir().unwrap();
    for n in [1, 3, 7] {
        let mut files = Vec::new();
        for i in 1..=n {
            let o = Command::new(bin)
                .arg("check")
                .args(["--base", base, "--head", head])
                .args(args)
                .args(["--shard", &format!("{i}/{n}"), "--repo"])
                .arg(repo)
                .output()
                .expect("binary runs");
            assert_eq!(
                o.status.code(),
                Some(0),
                "shard {i}/{n}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let f = dir.path().join(format!("shard-{i}-of-{n}.json"));
            std::fs::write(&f, &o.stdout).unwrap();
            files.push(f.to_string_lossy().into_owned());
        }
        let refs: Vec<&str> = files.iter().map(String::as_str).collect();
        let merged = run("merge-reports", &refs);
        assert_eq!(
            merged.0, whole.0,
            "exit code, {n} shards, {base}..{head}: {}",
            merged.2
        );
        assert_eq!(merged.1, whole.1, "verdict, {n} shards, {base}..{head}");
    }
    whole.0
}
