//! Issue 13.7: `action.yml` and the GitLab template, run as a user's CI runs
//! them. A small runner evaluates the composite action's steps (inputs,
//! `${{ }}` expressions, step outputs through `$GITHUB_OUTPUT`) with a recorded
//! `pull_request` payload and `GITHUB_*` variables, and the GitLab job's
//! `before_script` + `script` with GitLab's variables; a mock on loopback
//! serves the release (tarball + SHA256SUMS) and the comment API. The pull
//! request's checkout carries the attacks of issue 13 (`rust-toolchain.toml`,
//! `.cargo/config.toml`, `.cargo-home/bin/*`, symlinks named like outputs, the
//! checkout on `PATH`); the verdict must not change and nothing outside the
//! workspace may be touched. Needs bash, curl, jq, tar and sha256sum: skips
//! (with a message) where one is missing.

mod fixture;
mod mock;
mod runner;

use fixture::{fixture, tools_present, ROOT};
use runner::{out, untouched, Runner};
use serde_json::Value;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- GitHub

#[test]
fn action_release_binary_gates_a_pull_request_and_comments_once() {
    if !tools_present() {
        return;
    }
    let f = fixture(false);
    let r = Runner::new(&f);
    r.mock.release("acme/manifest-gate", "v9.9.9", false);
    f.checkout(&f.dev_only);
    let run = r.action(&f, &f.dev_only, "v9.9.9", &[]);
    assert_eq!(run.code, 0, "a stale dev-only branch passes: {run:?}");
    assert!(run.log.contains("installed the release binary"), "{run:?}");
    assert_eq!(out(&run, "exit-code"), "0", "{run:?}");
    assert_eq!(out(&run, "passed"), "true", "{run:?}");
    assert_eq!(out(&run, "touched-environments"), "dev", "{run:?}");
    let report = PathBuf::from(out(&run, "report-dir"));
    assert!(report.starts_with(&r.temp), "{run:?}");
    assert!(report.join("check.json").is_file());
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(report.join("manifest-gate.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let url = out(&run, "comment-url").to_string();
    assert!(
        url.starts_with(&format!("{}/acme/gitops/pull/5#issuecomment-", r.mock.url)),
        "{run:?}"
    );
    // The incident fails; the gate's comment is updated, not duplicated.
    f.checkout(&f.incident);
    let run = r.action(&f, &f.incident, "v9.9.9", &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(out(&run, "exit-code"), "1");
    assert_eq!(out(&run, "passed"), "false");
    assert_eq!(out(&run, "touched-environments"), "staging,prod", "{run:?}");
    // The native reports of one run: annotations with file and line on the
    // log, JUnit in report-dir, the Markdown job summary.
    assert!(run.log.contains("::error file="), "{run:?}");
    let report = PathBuf::from(out(&run, "report-dir"));
    assert!(std::fs::read_to_string(report.join("junit.xml"))
        .unwrap()
        .contains("<failure"));
    let summary = std::fs::read_to_string(r.temp.join("step-summary.md")).unwrap();
    assert!(summary.contains("manifest-gate: failed"), "{summary}");
    let ours: Vec<_> = r
        .mock
        .comments()
        .into_iter()
        .filter(|c| c.1 != "mallory")
        .collect();
    assert_eq!(ours.len(), 1, "{:?}", r.mock.comments());
    assert_eq!(out(&run, "comment-url"), url, "the same comment, updated");
    assert!(
        ours[0].2.contains("prod"),
        "updated with the new verdict: {}",
        ours[0].2
    );
    // comment: false (the fork pattern): the body is left in report-dir, nothing posted.
    let before = r.mock.comments();
    let run = r.action(&f, &f.incident, "v9.9.9", &[("comment", "false")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(r.mock.comments(), before);
    let report = PathBuf::from(out(&run, "report-dir"));
    let body = std::fs::read_to_string(report.join("comment.md")).unwrap();
    assert!(body.contains("<!-- manifest-gate"), "{body}");
    assert_eq!(
        std::fs::read_to_string(report.join("pr-number")).unwrap(),
        "5\n"
    );
    assert_eq!(out(&run, "comment-url"), "");
    // The token only ever went to the mock's API, never to the release download.
    for q in r.mock.requests() {
        if q.path.contains("/releases/download/") {
            assert!(!q.headers.contains_key("authorization"), "{q:?}");
        }
    }
}

#[test]
fn action_attacks_leave_the_verdict_unchanged() {
    if !tools_present() {
        return;
    }
    let f = fixture(true);
    let r = Runner::new(&f);
    r.mock.release("acme/manifest-gate", "v9.9.9", false);
    f.checkout(&f.incident);
    assert!(f.ws.join("rust-toolchain.toml").is_file());
    let run = r.action(&f, &f.incident, "v9.9.9", &[("fail-on", "error")]);
    assert_eq!(run.code, 1, "the incident still fails: {run:?}");
    assert_eq!(out(&run, "passed"), "false");
    untouched(&f, &run);
    assert!(std::fs::symlink_metadata(f.ws.join("manifest-gate.sarif"))
        .unwrap()
        .file_type()
        .is_symlink());
    // The configuration is read from the base commit, never the PR's own copy.
    let run = r.action(&f, &f.incident, "v9.9.9", &[("config", "gate.yaml")]);
    assert_eq!(run.code, 1, "{run:?}");
    untouched(&f, &run);
    let inside = f.ws.join("gate.yaml");
    let run = r.action(
        &f,
        &f.incident,
        "v9.9.9",
        &[("config", inside.to_str().unwrap())],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.log.contains("inside the pull request's checkout"),
        "{run:?}"
    );
    // An external kustomize is never taken from the checkout, even when asked for.
    let run = r.action(
        &f,
        &f.incident,
        "v9.9.9",
        &[("args", "--renderer kustomize")],
    );
    assert_ne!(out(&run, "exit-code"), "0", "{run:?}");
    untouched(&f, &run);
}

/// A trusted `cargo` in the runner's $HOME that records how it was run and
/// "builds" by copying this test's binary.
fn fake_cargo(home: &Path, record: &Path) {
    let bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\n{{ echo \"cwd=$(pwd)\"; echo \"CARGO_HOME=$CARGO_HOME\"; echo \"RUSTUP_HOME=$RUSTUP_HOME\"; echo \"RUSTUP_TOOLCHAIN=$RUSTUP_TOOLCHAIN\"; echo \"args=$*\"; }} > '{}'\nmkdir -p \"$CARGO_TARGET_DIR/release\"\ncp '{}' \"$CARGO_TARGET_DIR/release/manifest-gate\"\n",
        record.display(),
        env!("CARGO_BIN_EXE_manifest-gate")
    );
    let p = bin.join("cargo");
    std::fs::write(&p, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn action_builds_its_own_source_outside_the_workspace_when_no_release_fits() {
    if !tools_present() {
        return;
    }
    let f = fixture(true);
    let r = Runner::new(&f);
    let record = f.dir.path().join("cargo-record");
    fake_cargo(&r.home, &record);
    f.checkout(&f.incident);
    // A branch ref has no release: build.
    let run = r.action(&f, &f.incident, "main", &[]);
    assert_eq!(run.code, 1, "{run:?}");
    untouched(&f, &run);
    let rec = std::fs::read_to_string(&record).expect("the trusted cargo ran");
    let get = |k: &str| {
        rec.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or("")
            .to_string()
    };
    for k in ["cwd", "CARGO_HOME", "RUSTUP_HOME"] {
        let v = get(k);
        assert!(!v.is_empty(), "{k} unset: {rec}");
        assert!(
            !Path::new(&v).starts_with(&f.ws),
            "{k}={v} is inside the workspace"
        );
    }
    assert_eq!(get("RUSTUP_TOOLCHAIN"), "stable", "{rec}");
    assert!(
        get("args").contains(&format!("--manifest-path {ROOT}/Cargo.toml")),
        "{rec}"
    );
    // The build directory is what the cache step saves, keyed by the source.
    assert_eq!(run.caches.len(), 1, "{run:?}");
    let key = run.caches[0]["key"].as_str().unwrap();
    assert!(
        key.starts_with("manifest-gate-build-") && key.len() > 60,
        "{key}"
    );
    let cached = PathBuf::from(run.caches[0]["path"].as_str().unwrap());
    assert!(cached.starts_with(&r.temp), "{cached:?}");
    assert!(cached.join("bin/manifest-gate").is_file());
    // A cache hit (the directory restored): no build.
    std::fs::remove_file(&record).unwrap();
    let run = r.action(&f, &f.incident, "main", &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.log.contains("using the cached build"), "{run:?}");
    assert!(!record.exists(), "{run:?}");
    std::fs::remove_dir_all(&cached).unwrap();
    // A release whose checksum does not match fails closed: no fallback build.
    r.mock.release("acme/manifest-gate", "v9.9.8", true);
    let run = r.action(&f, &f.incident, "v9.9.8", &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.log.contains("checksum mismatch"), "{run:?}");
    assert!(!record.exists(), "never falls back to a build: {run:?}");
    // A release without an asset for this platform builds.
    r.mock.serve(
        "/acme/manifest-gate/releases/download/v9.9.7/SHA256SUMS",
        b"".to_vec(),
    );
    let run = r.action(&f, &f.incident, "v9.9.7", &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(record.exists(), "{run:?}");
}

// ---------------------------------------------------------------- GitLab

#[test]
fn gitlab_template_gates_reports_and_posts_the_note_despite_attacks() {
    if !tools_present() {
        return;
    }
    let f = fixture(true);
    let r = Runner::new(&f);
    r.mock
        .release("manifest-gate/manifest-gate", "v0.1.0", false);
    f.checkout(&f.incident);
    let run = r.gitlab(&f, &f.incident, &[]);
    assert_eq!(run.code, 1, "the incident fails: {}", run.log);
    untouched(&f, &run);
    let report = f.ws.join("manifest-gate-report");
    assert!(!std::fs::symlink_metadata(&report)
        .unwrap()
        .file_type()
        .is_symlink());
    let cq: Value =
        serde_json::from_slice(&std::fs::read(report.join("gl-code-quality-report.json")).unwrap())
            .unwrap();
    let first = &cq.as_array().unwrap()[0];
    for k in ["description", "check_name", "fingerprint", "severity"] {
        assert!(first[k].is_string(), "{k}: {cq}");
    }
    assert!(first["location"]["path"].is_string(), "{cq}");
    assert!(first["location"]["lines"]["begin"].is_u64(), "{cq}");
    let junit = std::fs::read_to_string(report.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<testsuite name=\"manifest-gate: "),
        "{junit}"
    );
    assert!(junit.contains("<failure"), "{junit}");
    let notes = r.mock.comments();
    assert_eq!(notes.len(), 1, "{notes:?}\n{}", run.log);
    // A second run updates the note.
    let run = r.gitlab(&f, &f.incident, &[]);
    assert_eq!(run.code, 1);
    assert_eq!(r.mock.comments().len(), 1);
    // The PR's own gate.yaml is not the configuration.
    let run = r.gitlab(&f, &f.incident, &[("MANIFEST_GATE_CONFIG", "gate.yaml")]);
    assert_eq!(run.code, 1, "{}", run.log);
    untouched(&f, &run);
    // A dev-only merge request passes.
    f.checkout(&f.dev_only);
    let run = r.gitlab(&f, &f.dev_only, &[]);
    assert_eq!(run.code, 0, "{}", run.log);
    // A pinned checksum that does not match stops before anything runs.
    let run = r.gitlab(
        &f,
        &f.dev_only,
        &[("MANIFEST_GATE_SHA256", &"a".repeat(64))],
    );
    assert_eq!(run.code, 2, "{}", run.log);
    assert!(run.log.contains("checksum mismatch"), "{}", run.log);
}
