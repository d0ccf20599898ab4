//! Issue 13.1: a change is judged against merge-base(base, head), so a stale
//! branch is not blamed for what landed on the target after it forked, and
//! `manifest-gate ci` picks base and head from the CI environment.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
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
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(root: &Path, files: &[(&str, &str)]) {
    for (p, t) in files {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
}

fn commit(root: &Path, files: &[(&str, &str)], msg: &str) -> String {
    write(root, files);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", msg]);
    git(root, &["rev-parse", "HEAD"])
}

fn cm(level: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  level: {level}\n")
}

const K: &str = "resources:\n- cm.yaml\n";

/// `main`: c0 (dev, preprod, prod overlays) then `prod` (a prod-only change).
/// `dev-only` forks at c0 and changes dev only; `incident` forks at c0 and
/// changes preprod and prod together.
struct Fixture {
    dir: tempfile::TempDir,
    c0: String,
    prod: String,
    dev_only: String,
    incident: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    let c0 = commit(
        root,
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
    git(root, &["checkout", "-q", "-b", "dev-only"]);
    let dev_only = commit(root, &[("overlays/dev/cm.yaml", &cm("debug"))], "dev");
    git(root, &["checkout", "-q", "-b", "incident", &c0]);
    let incident = commit(
        root,
        &[
            ("overlays/preprod/cm.yaml", &cm("trace")),
            ("overlays/prod/cm.yaml", &cm("trace")),
        ],
        "incident",
    );
    git(root, &["checkout", "-q", "main"]);
    let prod = commit(root, &[("overlays/prod/cm.yaml", &cm("warn"))], "prod");
    Fixture {
        dir,
        c0,
        prod,
        dev_only,
        incident,
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Run the binary in `dir` with only the CI variables given (none inherited).
fn mg(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut c = Command::new(env!("CARGO_BIN_EXE_manifest-gate"));
    c.args(args).current_dir(dir);
    for k in ["GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_EVENT_PATH", "CI"] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

#[test]
fn a_stale_dev_only_branch_passes() {
    let f = fixture();
    let root = f.dir.path();
    let o = mg(
        root,
        &["check", "--base", "main", "--head", "dev-only"],
        &[],
    );
    assert_eq!(o.code, 0, "judged against the merge base: dev only\n{o:?}");
    assert!(o.stderr.contains("merge-base"), "says why: {o:?}");
    assert!(o.stderr.contains(&f.c0[..12]), "{o:?}");
    // The old behaviour blames the branch for main's later prod change.
    let o = mg(
        root,
        &[
            "check",
            "--base",
            "main",
            "--head",
            "dev-only",
            "--base-exact",
        ],
        &[],
    );
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stdout.contains("prod"), "{o:?}");
    // diff shows only the branch's own change too.
    let o = mg(
        root,
        &[
            "diff", "--base", "main", "--head", "dev-only", "--format", "json",
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{o:?}");
    let j: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let paths: Vec<&str> = j["overlays"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["status"] != "unchanged")
        .map(|x| x["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["overlays/dev"], "{o:?}");
}

#[test]
fn the_incident_still_fails_against_the_merge_base() {
    let f = fixture();
    let o = mg(
        f.dir.path(),
        &["check", "--base", "main", "--head", "incident"],
        &[],
    );
    assert_eq!(o.code, 1, "{o:?}");
    assert!(o.stdout.contains("preprod") && o.stdout.contains("prod"));
}

#[test]
fn the_branch_merged_onto_a_prod_change_judges_only_its_own_change() {
    let f = fixture();
    let root = f.dir.path();
    // A merged-results pipeline: head is dev-only merged onto main's prod change.
    git(root, &["checkout", "-q", "--detach", &f.prod]);
    git(
        root,
        &["merge", "-q", "--no-ff", "-m", "merged result", "dev-only"],
    );
    let merged = git(root, &["rev-parse", "HEAD"]);
    let o = mg(root, &["check", "--base", &f.prod, "--head", &merged], &[]);
    assert_eq!(o.code, 0, "{o:?}");
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "merged_result"),
        ("CI_MERGE_REQUEST_IID", "4"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", f.c0.as_str()),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", f.prod.as_str()),
        ("CI_COMMIT_SHA", merged.as_str()),
    ];
    let o = mg(root, &["ci"], &env);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stderr.contains("merged_result"), "{o:?}");
    assert!(
        o.stderr.contains("CI_MERGE_REQUEST_TARGET_BRANCH_SHA"),
        "{o:?}"
    );
    // The incident merged the same way fails.
    git(root, &["checkout", "-q", "--detach", &f.prod]);
    git(
        root,
        &["merge", "-q", "-X", "theirs", "-m", "merged", "incident"],
    );
    let merged_incident = git(root, &["rev-parse", "HEAD"]);
    let mut env2 = env;
    env2[6] = ("CI_COMMIT_SHA", merged_incident.as_str());
    let o = mg(root, &["ci"], &env2);
    assert_eq!(o.code, 1, "{o:?}");
}

fn github_env(dir: &Path, event: &str, payload: serde_json::Value) -> Vec<(String, String)> {
    let path = dir.join(format!("{event}.json"));
    std::fs::write(&path, payload.to_string()).unwrap();
    vec![
        ("GITHUB_ACTIONS".into(), "true".into()),
        ("GITHUB_EVENT_NAME".into(), event.into()),
        ("GITHUB_EVENT_PATH".into(), path.to_str().unwrap().into()),
    ]
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[test]
fn ci_reads_a_github_pull_request_and_says_what_it_chose() {
    let f = fixture();
    let root = f.dir.path();
    let side = tempfile::tempdir().unwrap();
    let pr = |head: &str| serde_json::json!({"pull_request": {"number": 9, "base": {"sha": f.prod}, "head": {"sha": head}}});
    let env = github_env(side.path(), "pull_request", pr(&f.dev_only));
    let o = mg(root, &["ci"], &refs(&env));
    assert_eq!(o.code, 0, "{o:?}");
    assert!(o.stderr.contains("GitHub pull_request #9"), "{o:?}");
    assert!(o.stderr.contains("pull_request.base.sha"), "{o:?}");
    assert!(o.stderr.contains(&f.c0[..12]), "the merge base: {o:?}");
    let o = mg(root, &["ci", "--print"], &refs(&env));
    assert_eq!(
        o.stdout,
        format!("base={}\nhead={}\n", f.c0, f.dev_only),
        "{o:?}"
    );
    let env = github_env(side.path(), "pull_request", pr(&f.incident));
    let o = mg(root, &["ci", "--", "--format", "json"], &refs(&env));
    assert_eq!(o.code, 1, "{o:?}");
    assert!(serde_json::from_str::<serde_json::Value>(&o.stdout).is_ok());
    // pull_request_target is refused with the safe pattern, before anything runs.
    let env = github_env(side.path(), "pull_request_target", pr(&f.dev_only));
    let o = mg(root, &["ci"], &refs(&env));
    assert_eq!(o.code, 2, "{o:?}");
    assert!(o.stderr.contains("workflow_run"), "{o:?}");
    // push: before..after.
    let env = github_env(
        side.path(),
        "push",
        serde_json::json!({"before": f.c0, "after": f.incident, "ref": "refs/heads/incident"}),
    );
    assert_eq!(mg(root, &["ci"], &refs(&env)).code, 1);
}

#[test]
fn ci_deepens_a_shallow_clone_or_names_the_fetch() {
    let f = fixture();
    let work = tempfile::tempdir().unwrap();
    let clone = work.path().join("clone");
    let url = format!("file://{}", f.dir.path().display());
    git(
        work.path(),
        &[
            "clone",
            "-q",
            "--depth=1",
            "--branch",
            "dev-only",
            &url,
            clone.to_str().unwrap(),
        ],
    );
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "detached"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", f.prod.as_str()),
        ("CI_COMMIT_SHA", f.dev_only.as_str()),
    ];
    let o = mg(&clone, &["ci"], &env);
    assert_eq!(o.code, 2, "{o:?}");
    let err: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(err.len(), 1, "{o:?}");
    assert!(err[0].contains("git fetch "), "{o:?}");
    assert!(err[0].contains(&f.prod), "names the missing commit: {o:?}");
    let o = mg(&clone, &["ci", "--fetch"], &env);
    assert_eq!(o.code, 0, "{o:?}");
    assert!(
        o.stderr.contains("git fetch"),
        "says what it fetched: {o:?}"
    );
    assert!(o.stderr.contains(&f.c0[..12]), "{o:?}");
}

#[test]
fn unrelated_histories_are_refused_unless_base_exact() {
    let f = fixture();
    let root = f.dir.path();
    git(root, &["checkout", "-q", "--orphan", "other"]);
    let other = commit(root, &[("overlays/dev/cm.yaml", &cm("x"))], "other");
    let o = mg(root, &["check", "--base", &f.c0, "--head", &other], &[]);
    assert_eq!(o.code, 2, "{o:?}");
    assert!(o.stderr.contains("--base-exact"), "{o:?}");
    let o = mg(
        root,
        &["check", "--base", &f.c0, "--head", &other, "--base-exact"],
        &[],
    );
    assert!(o.code == 0 || o.code == 1, "{o:?}");
}

/// The README's GitLab `parallel:` flow: `ci -- --shard I/N` per job, then
/// `ci --command merge-reports -- FILES`: the verdict of `ci` unsharded.
#[test]
fn ci_runs_the_sharded_matrix_and_the_merge() {
    let f = fixture();
    let root = f.dir.path();
    git(root, &["checkout", "-q", "--detach", "incident"]);
    let head = git(root, &["rev-parse", "HEAD"]);
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "detached"),
        ("CI_MERGE_REQUEST_IID", "4"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", f.c0.as_str()),
        ("CI_COMMIT_SHA", head.as_str()),
    ];
    let whole = mg(root, &["ci"], &env);
    assert_eq!(whole.code, 1, "{whole:?}");
    let out = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let o = mg(root, &["ci", "--", "--shard", &shard], &env);
        assert_eq!(o.code, 0, "{o:?}");
        let p = out.path().join(format!("shard-{i}.json"));
        std::fs::write(&p, &o.stdout).unwrap();
        files.push(p.to_string_lossy().into_owned());
    }
    let mut args = vec!["ci", "--command", "merge-reports", "--"];
    args.extend(files.iter().map(String::as_str));
    let merged = mg(root, &args, &env);
    assert_eq!(merged.code, whole.code, "{merged:?}");
    assert_eq!(merged.stdout, whole.stdout, "{merged:?}");
    assert!(merged.stdout.contains("single-environment"), "{merged:?}");
}
