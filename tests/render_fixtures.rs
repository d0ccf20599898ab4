//! Every directory under `fixtures/render/` with an `expected.yaml` must render, with the
//! real binary, to exactly that text (recorded from `kubectl kustomize`, kustomize
//! v5.5.0). When `kubectl` is on PATH the same directory is also rendered live by it
//! and compared, so a fixture whose expectation went stale fails too.
//!
//! An `expected-none.yaml` is the same with no load restriction: native
//! `--load-restrictor none` against kubectl's `--load-restrictor LoadRestrictionsNone`
//! (how Flux builds).
//!
//! A directory with an `expected-error.txt` instead is one kustomize refuses: both
//! renderers must fail (native with exit 2), and each line of the file (a fragment
//! of kubectl's message; kubectl prints absolute paths, native repository-relative
//! ones) must appear in both error messages.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One way of rendering the fixtures: the file holding the expectation, and the
/// flags given to each renderer.
struct Mode {
    file: &'static str,
    native: &'static [&'static str],
    kubectl: &'static [&'static str],
}

const DEFAULT: Mode = Mode {
    file: "expected.yaml",
    native: &[],
    kubectl: &[],
};

const NO_RESTRICTION: Mode = Mode {
    file: "expected-none.yaml",
    native: &["--load-restrictor", "none"],
    kubectl: &["--load-restrictor", "LoadRestrictionsNone"],
};

fn fragments(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("expected-error.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn kubectl_present() -> bool {
    Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok()
}

fn fixtures_with(name: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/render");
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_name() == name {
            out.push(e.path().parent().unwrap().to_path_buf());
        }
    }
    assert!(
        !out.is_empty(),
        "no fixtures with {name} found under {}",
        root.display()
    );
    out
}

fn render(dir: &Path, flags: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["render", "--renderer", "native"])
        .args(flags)
        .arg(dir)
        .arg("--repo")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/render"))
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn kubectl(dir: &Path, flags: &[&str]) -> std::process::Output {
    Command::new("kubectl")
        .arg("kustomize")
        .args(flags)
        .arg(dir)
        .output()
        .unwrap()
}

fn native_matches(mode: &Mode) {
    let mut failures = Vec::new();
    for dir in fixtures_with(mode.file) {
        let want = std::fs::read_to_string(dir.join(mode.file)).unwrap();
        let (code, got, err) = render(&dir, mode.native);
        if code != Some(0) {
            failures.push(format!("{}: render failed: {err}", dir.display()));
        } else if got != want {
            let d = similar::TextDiff::from_lines(&want, &got);
            failures.push(format!(
                "{}: differs from {}:\n{}",
                dir.display(),
                mode.file,
                d.unified_diff().header("expected", "native")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn kubectl_matches(mode: &Mode) {
    if !kubectl_present() {
        eprintln!("skipped: kubectl not on PATH");
        return;
    }
    for dir in fixtures_with(mode.file) {
        let live = kubectl(&dir, mode.kubectl);
        assert!(
            live.status.success(),
            "kubectl kustomize {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&live.stderr)
        );
        let want = std::fs::read_to_string(dir.join(mode.file)).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&live.stdout),
            want,
            "{}: {} is stale",
            dir.display(),
            mode.file
        );
    }
}

#[test]
fn fixtures_render_exactly_as_kustomize() {
    native_matches(&DEFAULT);
}

#[test]
fn fixtures_match_live_kubectl_kustomize() {
    kubectl_matches(&DEFAULT);
}

#[test]
fn unrestricted_fixtures_render_exactly_as_kustomize_without_load_restriction() {
    native_matches(&NO_RESTRICTION);
}

#[test]
fn unrestricted_fixtures_match_live_kubectl_kustomize_without_load_restriction() {
    kubectl_matches(&NO_RESTRICTION);
}

#[test]
fn error_fixtures_fail_as_kustomize_does() {
    let mut failures = Vec::new();
    for dir in fixtures_with("expected-error.txt") {
        let (code, out, err) = render(&dir, &[]);
        if code != Some(2) {
            failures.push(format!(
                "{}: exit {code:?}, want 2; stdout:\n{out}",
                dir.display()
            ));
            continue;
        }
        if err.trim_end().lines().count() != 1 {
            failures.push(format!("{}: not one line: {err}", dir.display()));
        }
        for f in fragments(&dir) {
            if !err.contains(&f) {
                failures.push(format!("{}: error lacks {f:?}: {err}", dir.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn error_fixtures_match_live_kubectl_kustomize() {
    if !kubectl_present() {
        eprintln!("skipped: kubectl not on PATH");
        return;
    }
    for dir in fixtures_with("expected-error.txt") {
        let live = kubectl(&dir, &[]);
        assert!(
            !live.status.success(),
            "kubectl kustomize {} succeeded; expected-error.txt is stale",
            dir.display()
        );
        // klog quotes the message: err="… \"/path\" …"
        let err = String::from_utf8_lossy(&live.stderr).replace("\\\"", "\"");
        for f in fragments(&dir) {
            assert!(
                err.contains(&f),
                "{}: kubectl's error lacks {f:?}: {err}",
                dir.display()
            );
        }
    }
}
