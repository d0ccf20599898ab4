use super::*;
use std::collections::HashMap;

const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const Z: &str = "0000000000000000000000000000000000000000";

fn github(event: &str, payload: serde_json::Value) -> (tempfile::TempDir, HashMap<String, String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("event.json");
    std::fs::write(&path, payload.to_string()).unwrap();
    let mut env = HashMap::new();
    env.insert("GITHUB_ACTIONS".to_string(), "true".to_string());
    env.insert("GITHUB_EVENT_NAME".to_string(), event.to_string());
    env.insert(
        "GITHUB_EVENT_PATH".to_string(),
        path.to_string_lossy().into_owned(),
    );
    env.insert("GITHUB_SHA".to_string(), B.to_string());
    (dir, env)
}

fn run(env: &HashMap<String, String>) -> Result<Choice> {
    detect(&|k: &str| env.get(k).cloned())
}

#[test]
fn pull_request_judges_the_tip_against_the_target() {
    let (_d, env) = github(
        "pull_request",
        serde_json::json!({"pull_request": {"number": 7, "base": {"sha": A}, "head": {"sha": B}}}),
    );
    let c = run(&env).unwrap();
    assert_eq!((c.base.as_str(), c.head.as_str()), (A, B));
    assert_eq!(c.event, "GitHub pull_request #7");
}

#[test]
fn pull_request_target_is_refused_with_the_safe_pattern() {
    let (_d, env) = github(
        "pull_request_target",
        serde_json::json!({"pull_request": {"base": {"sha": A}, "head": {"sha": B}}}),
    );
    let e = run(&env).unwrap_err();
    assert!(e.is(ErrorKind::Config));
    assert!(e.msg.contains("workflow_run"), "{e}");
}

#[test]
fn merge_group_and_push() {
    let (_d, env) = github(
        "merge_group",
        serde_json::json!({"merge_group": {"base_sha": A, "head_sha": B}}),
    );
    let c = run(&env).unwrap();
    assert_eq!((c.base.as_str(), c.head.as_str()), (A, B));

    let (_d, env) = github(
        "push",
        serde_json::json!({"before": A, "after": B, "ref": "refs/heads/x"}),
    );
    let c = run(&env).unwrap();
    assert_eq!((c.base.as_str(), c.head.as_str()), (A, B));

    // A new branch: judged against the default branch.
    let (_d, env) = github(
        "push",
        serde_json::json!({"before": Z, "after": B, "repository": {"default_branch": "main"}}),
    );
    let c = run(&env).unwrap();
    assert_eq!((c.base.as_str(), c.head.as_str()), ("origin/main", B));

    // A deletion: nothing to judge.
    let (_d, env) = github("push", serde_json::json!({"before": A, "after": Z}));
    assert!(run(&env).unwrap().nothing.is_some());
}

#[test]
fn workflow_dispatch_defaults_to_the_default_branch() {
    let (_d, env) = github(
        "workflow_dispatch",
        serde_json::json!({"inputs": {}, "repository": {"default_branch": "trunk"}}),
    );
    let c = run(&env).unwrap();
    assert_eq!((c.base.as_str(), c.head.as_str()), ("origin/trunk", B));
    let (_d, env) = github(
        "workflow_dispatch",
        serde_json::json!({"inputs": {"base": A, "head": B}}),
    );
    let c = run(&env).unwrap();
    assert_eq!((c.base.as_str(), c.head.as_str()), (A, B));
}

#[test]
fn payload_values_that_are_not_commits_are_refused() {
    for bad in ["--upload-pack=touch /tmp/x", "HEAD", "main", ""] {
        let (_d, env) = github(
            "pull_request",
            serde_json::json!({"pull_request": {"base": {"sha": bad}, "head": {"sha": B}}}),
        );
        let e = run(&env).unwrap_err();
        assert!(e.is(ErrorKind::Config), "{bad}: {e}");
    }
    let (_d, env) = github(
        "push",
        serde_json::json!({"before": Z, "after": B, "repository": {"default_branch": "--x"}}),
    );
    assert!(run(&env).is_err());
}

fn gitlab(vars: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.insert("GITLAB_CI".into(), "true".into());
    env.insert("CI_COMMIT_SHA".into(), B.into());
    env
}

#[test]
fn gitlab_pipelines() {
    let detached = gitlab(&[
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_EVENT_TYPE", "detached"),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", A),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", Z),
    ]);
    let c = run(&detached).unwrap();
    assert_eq!((c.base.as_str(), c.head.as_str()), (A, B));
    for kind in ["merged_result", "merge_train"] {
        let env = gitlab(&[
            ("CI_PIPELINE_SOURCE", "merge_request_event"),
            ("CI_MERGE_REQUEST_EVENT_TYPE", kind),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", Z),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", A),
        ]);
        let c = run(&env).unwrap();
        assert_eq!((c.base.as_str(), c.head.as_str()), (A, B), "{kind}");
        assert!(c.base_why.contains("TARGET_BRANCH_SHA"));
    }
    let no_diff_base = gitlab(&[
        ("CI_PIPELINE_SOURCE", "merge_request_event"),
        ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
    ]);
    assert_eq!(run(&no_diff_base).unwrap().base, "origin/main");
    let push = gitlab(&[("CI_PIPELINE_SOURCE", "push"), ("CI_COMMIT_BEFORE_SHA", A)]);
    assert_eq!(run(&push).unwrap().base, A);
    let new_branch = gitlab(&[
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BEFORE_SHA", Z),
        ("CI_DEFAULT_BRANCH", "main"),
    ]);
    assert_eq!(run(&new_branch).unwrap().base, "origin/main");
}

#[test]
fn no_ci_is_a_config_error() {
    let e = run(&HashMap::new()).unwrap_err();
    assert!(e.is(ErrorKind::Config));
}
