//! Issue 13.6: `manifest-gate hook install` writes a pre-push hook that judges
//! every pushed ref against its merge base with the remote's default branch,
//! run here through a real `git push`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git_out(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(["-c", "protocol.file.allow=always"])
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .output()
        .expect("git runs")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_out(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit(root: &Path, files: &[(&str, &str)], msg: &str) -> String {
    for (p, t) in files {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", msg]);
    git(root, &["rev-parse", "HEAD"])
}

fn cm(level: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  level: {level}\n")
}

const K: &str = "resources:\n- cm.yaml\n";

/// A bare `origin` with `main`, and a clone of it with the hook installed.
struct Setup {
    _dir: tempfile::TempDir,
    work: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    std::fs::create_dir(&seed).unwrap();
    git(&seed, &["init", "-q"]);
    commit(
        &seed,
        &[
            ("overlays/dev/kustomization.yaml", K),
            ("overlays/dev/cm.yaml", &cm("info")),
            ("overlays/preprod/kustomization.yaml", K),
            ("overlays/preprod/cm.yaml", &cm("info")),
            ("overlays/prod/kustomization.yaml", K),
            ("overlays/prod/cm.yaml", &cm("info")),
        ],
        "c0",
    );
    let bare = dir.path().join("origin.git");
    git(
        dir.path(),
        &["clone", "-q", "--bare", "seed", bare.to_str().unwrap()],
    );
    let work = dir.path().join("work");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            bare.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    let o = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["hook", "install"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    Setup { _dir: dir, work }
}

/// `git push ARGS`: (success, stderr).
fn push(work: &Path, args: &[&str]) -> (bool, String) {
    let mut a = vec!["push"];
    a.extend_from_slice(args);
    let o = git_out(work, &a);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn the_hook_is_written_and_names_the_bypass() {
    let s = setup();
    let hook = s.work.join(".git/hooks/pre-push");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.starts_with("#!/bin/sh\n"), "{text}");
    assert!(text.contains("--no-verify"), "{text}");
    assert!(text.contains(env!("CARGO_BIN_EXE_manifest-gate")), "{text}");
    // A foreign hook is not overwritten without --force.
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["hook", "install"])
        .current_dir(&s.work)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
}

#[test]
fn blocks_the_incident_on_a_branch_that_is_not_checked_out() {
    let s = setup();
    let w = &s.work;
    git(w, &["checkout", "-q", "-b", "incident"]);
    commit(
        w,
        &[
            ("overlays/preprod/cm.yaml", &cm("trace")),
            ("overlays/prod/cm.yaml", &cm("trace")),
        ],
        "incident",
    );
    git(w, &["checkout", "-q", "main"]);
    let (ok, err) = push(w, &["origin", "incident"]);
    assert!(!ok, "the incident must not be pushed: {err}");
    assert!(err.contains("refs/heads/incident"), "{err}");
    assert!(err.contains("--no-verify"), "says how to bypass: {err}");
    assert!(
        git(w, &["ls-remote", "origin", "incident"]).is_empty(),
        "nothing reached the remote"
    );
    // Deliberately bypassed, it goes through.
    let (ok, err) = push(w, &["--no-verify", "origin", "incident"]);
    assert!(ok, "{err}");
}

#[test]
fn a_dev_only_push_goes_through_and_later_pushes_are_judged_from_the_fork_point() {
    let s = setup();
    let w = &s.work;
    git(w, &["checkout", "-q", "-b", "dev-only"]);
    commit(w, &[("overlays/dev/cm.yaml", &cm("debug"))], "dev");
    let (ok, err) = push(w, &["-u", "origin", "dev-only"]);
    assert!(ok, "{err}");
    assert!(err.contains("merge base with origin/main"), "{err}");
    // A second push adding prod to the same branch: judged from the fork
    // point (dev + prod), not from the previous push (prod only).
    commit(w, &[("overlays/prod/cm.yaml", &cm("debug"))], "prod too");
    let (ok, err) = push(w, &[]);
    assert!(!ok, "dev and prod together: {err}");
}

#[test]
fn tags_deletions_and_several_refs() {
    let s = setup();
    let w = &s.work;
    git(w, &["branch", "dev-only"]);
    git(w, &["checkout", "-q", "dev-only"]);
    commit(w, &[("overlays/dev/cm.yaml", &cm("debug"))], "dev");
    git(w, &["checkout", "-q", "-b", "incident", "main"]);
    commit(
        w,
        &[
            ("overlays/preprod/cm.yaml", &cm("trace")),
            ("overlays/prod/cm.yaml", &cm("trace")),
        ],
        "incident",
    );
    git(w, &["checkout", "-q", "main"]);
    // A tag of a commit already on main: nothing new.
    git(w, &["tag", "-a", "-m", "v1", "v1", "main"]);
    let (ok, err) = push(w, &["origin", "v1"]);
    assert!(ok, "{err}");
    assert!(err.contains("refs/tags/v1"), "{err}");
    // A tag of the incident is judged like a branch.
    git(w, &["tag", "bad", "incident"]);
    let (ok, err) = push(w, &["origin", "bad"]);
    assert!(!ok, "{err}");
    // Several refs at once: one bad ref stops the push, each is named.
    let (ok, err) = push(w, &["origin", "dev-only", "incident"]);
    assert!(!ok, "{err}");
    assert!(
        err.contains("refs/heads/dev-only") && err.contains("refs/heads/incident"),
        "{err}"
    );
    // A deletion has nothing to judge.
    let (ok, err) = push(w, &["origin", "dev-only"]);
    assert!(ok, "{err}");
    let (ok, err) = push(w, &["origin", "--delete", "dev-only"]);
    assert!(ok, "{err}");
    assert!(err.contains("deleted"), "{err}");
    assert!(git(w, &["ls-remote", "origin", "dev-only"]).is_empty());
}

#[test]
fn under_pre_commit_the_ref_comes_from_its_variables() {
    let s = setup();
    let w = &s.work;
    git(w, &["checkout", "-q", "-b", "incident"]);
    let bad = commit(
        w,
        &[
            ("overlays/preprod/cm.yaml", &cm("trace")),
            ("overlays/prod/cm.yaml", &cm("trace")),
        ],
        "incident",
    );
    git(w, &["checkout", "-q", "main"]);
    let run = |to: &str| {
        Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
            .args(["hook", "pre-push"])
            .current_dir(w)
            .env("PRE_COMMIT_FROM_REF", "0".repeat(40))
            .env("PRE_COMMIT_TO_REF", to)
            .env("PRE_COMMIT_REMOTE_NAME", "origin")
            .env("PRE_COMMIT_REMOTE_BRANCH", "refs/heads/incident")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let o = run(&bad);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let main = git(w, &["rev-parse", "main"]);
    let o = run(&main);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
}
