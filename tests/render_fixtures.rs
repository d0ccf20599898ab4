//! Every directory under `fixtures/render/` with an `expected.yaml` renders, with the
//! real binary, to exactly that text (recorded from `kubectl kustomize`, kustomize
//! v5.5.0). When `kubectl` is on PATH the same directory is also rendered live by it
//! and compared, so a fixture whose expectation went stale fails too.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/render");
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_name() == "expected.yaml" {
            out.push(e.path().parent().unwrap().to_path_buf());
        }
    }
    assert!(
        !out.is_empty(),
        "no fixtures found under {}",
        root.display()
    );
    out
}

fn render(dir: &Path) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["render", "--renderer", "native"])
        .arg(dir)
        .arg("--repo")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/render"))
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn fixtures_render_exactly_as_kustomize() {
    let mut failures = Vec::new();
    for dir in fixture_dirs() {
        let want = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
        let (ok, got, err) = render(&dir);
        if !ok {
            failures.push(format!("{}: render failed: {err}", dir.display()));
        } else if got != want {
            let d = similar::TextDiff::from_lines(&want, &got);
            failures.push(format!(
                "{}: differs from expected.yaml:\n{}",
                dir.display(),
                d.unified_diff().header("expected", "native")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn fixtures_match_live_kubectl_kustomize() {
    if Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("skipped: kubectl not on PATH");
        return;
    }
    for dir in fixture_dirs() {
        let live = Command::new("kubectl")
            .arg("kustomize")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            live.status.success(),
            "kubectl kustomize {} failed",
            dir.display()
        );
        let want = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&live.stdout),
            want,
            "{}: expected.yaml is stale",
            dir.display()
        );
    }
}
