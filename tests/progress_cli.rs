//! Progress on standard error (`--verbose`, a terminal) and `--timings`: never
//! on standard output, silent in a log unless asked. The tests run the binary
//! with standard error a pipe, so only the plain lines can show.

mod common;

use common::{mg, TestRepo};

fn cm(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
}

/// Two overlays on one base; the second commit changes the base (both reached).
fn repo() -> TestRepo {
    let (one, two) = (cm("app", "1"), cm("app", "2"));
    TestRepo::build(&[
        &[
            ("base/kustomization.yaml", Some("resources: [cm.yaml]\n")),
            ("base/cm.yaml", Some(&one)),
            (
                "overlays/dev/kustomization.yaml",
                Some("resources: [../../base]\nnamespace: dev\n"),
            ),
            (
                "overlays/prod/kustomization.yaml",
                Some("resources: [../../base]\nnamespace: prod\n"),
            ),
        ],
        &[("base/cm.yaml", Some(&two))],
    ])
}

fn run(r: &TestRepo, cmd: &str, extra: &[&str]) -> (i32, String, String) {
    let root = r.dir.path().to_str().unwrap().to_string();
    let mut args = vec![
        cmd,
        "--repo",
        &root,
        "--base",
        "c0",
        "--head",
        "c1",
        "--renderer",
        "native",
    ];
    args.extend_from_slice(extra);
    mg(r.dir.path(), &args)
}

#[test]
fn no_progress_in_a_log_unless_asked() {
    let r = repo();
    for cmd in ["diff", "check"] {
        for format in ["text", "json"] {
            let (code, out, err) = run(&r, cmd, &["--format", format]);
            assert!(code == 0 || code == 1, "{cmd}: {code}: {err}");
            assert!(!err.contains("progress:"), "{cmd} {format}: {err}");
            assert!(!err.contains("rendering"), "{cmd} {format}: {err}");
            assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
            assert!(!out.contains("progress:") && !out.contains('\x1b'));
        }
    }
}

#[test]
fn verbose_prints_a_few_plain_lines() {
    let r = repo();
    for cmd in ["diff", "check"] {
        let (code, out, err) = run(&r, cmd, &["--verbose"]);
        assert!(code == 0 || code == 1, "{cmd}: {code}: {err}");
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("progress: "))
            .collect();
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("progress: rendering overlays at base (2)")),
            "{cmd}: {err}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("progress: rendering overlays at base: 2/2 in ")),
            "{cmd}: {err}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("progress: rendering overlays at head: 2/2 in ")),
            "{cmd}: {err}"
        );
        // A start and an end line per phase, never one per overlay, never redrawn.
        assert_eq!(lines.len(), 4, "{cmd}: {err}");
        assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
        assert!(
            !out.contains("progress:"),
            "{cmd}: stdout has progress: {out}"
        );
    }
}

#[test]
fn comment_shows_progress_and_timings_when_asked() {
    let r = repo();
    let (code, out, err) = run(
        &r,
        "comment",
        &["--forge", "github", "--dry-run", "--verbose", "--timings"],
    );
    assert!(code == 0 || code == 1, "{code}: {err}");
    assert!(
        err.contains("progress: rendering overlays at head: 2/2 in "),
        "{err}"
    );
    assert!(err.contains("timings: rules"), "{err}");
    assert!(
        err.lines().any(|l| l.starts_with("timings: total ")),
        "{err}"
    );
    assert!(
        !out.contains("progress:") && !out.contains("timings:"),
        "{out}"
    );
    let (_, _, quiet) = run(&r, "comment", &["--forge", "github", "--dry-run"]);
    assert!(
        !quiet.contains("progress:") && !quiet.contains("timings:"),
        "{quiet}"
    );
}

#[test]
fn diff_timings_name_the_phases_and_the_json_stays_valid() {
    let r = repo();
    let (code, out, err) = run(&r, "diff", &["--format", "json", "--timings", "--verbose"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("stdout is one JSON document");
    assert!(doc["overlays"].is_array(), "{out}");
    let phases: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("timings: "))
        .map(|l| l.rsplitn(3, ' ').nth(2).unwrap_or("").trim_end())
        .collect();
    assert_eq!(
        phases,
        [
            "resolve and configuration",
            "GitOps topology",
            "discover and closure",
            "render and diff",
            "GitOps deployments",
            "output",
            "total",
        ],
        "{err}"
    );
    assert!(
        err.contains("progress: rendering overlays at base"),
        "{err}"
    );
}

#[test]
fn check_timings_split_the_diff() {
    let r = repo();
    let (_, out, err) = run(&r, "check", &["--format", "sarif", "--timings"]);
    serde_json::from_str::<serde_json::Value>(&out).expect("SARIF on stdout");
    for phase in ["discover and closure", "render and diff", "rules", "total"] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&format!("timings: {phase} "))),
            "{phase}: {err}"
        );
    }
    assert!(!err.contains("progress:"), "{err}");
}

#[test]
fn render_all_verbose() {
    let r = repo();
    let out = tempfile::tempdir().unwrap();
    let root = r.dir.path().to_str().unwrap();
    let dest = out.path().join("o");
    let dest = dest.to_str().unwrap();
    let args = [
        "render", "--all", "--repo", root, "--out", dest, "--ref", "c1",
    ];
    let (code, stdout, err) = mg(r.dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("progress:"), "{err}");
    let mut verbose = args.to_vec();
    verbose.push("--verbose");
    let (code, stdout2, err) = mg(r.dir.path(), &verbose);
    assert_eq!(code, 0, "{err}");
    // base and both overlays
    assert!(
        err.contains("progress: rendering kustomizations (3)"),
        "{err}"
    );
    assert!(
        err.contains("progress: rendering kustomizations: 3/3 in "),
        "{err}"
    );
    assert!(stdout.is_empty() && stdout2.is_empty());
}
