//! `render --all`: every kustomization that is not a Component, written to
//! `OUT/<dir>.yaml`; a failing one gets one stderr line and exit 2, the others are
//! still written.

mod common;
use common::TestRepo;
use std::process::Command;

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n";

#[test]
fn renders_every_kustomization_and_reports_failures() {
    let repo = TestRepo::build(&[&[
        ("base/kustomization.yaml", Some("resources:\n- cm.yaml\n")),
        ("base/cm.yaml", Some(CM)),
        (
            "overlays/dev/kustomization.yaml",
            Some("resources:\n- ../../base\nnamePrefix: dev-\n"),
        ),
        (
            "overlays/prod/kustomization.yaml",
            Some("resources:\n- ../../base\n- missing.yaml\n"),
        ),
        (
            "components/c/kustomization.yaml",
            Some("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\n"),
        ),
    ]]);
    let out = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_manifest-gate");
    let o = Command::new(bin)
        .args(["render", "--all", "--ref", "HEAD", "--out"])
        .arg(out.path())
        .current_dir(repo.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(
        err.lines().count(),
        1,
        "one line per failing kustomization: {err}"
    );
    assert!(
        err.contains("overlays/prod") && err.contains("missing.yaml"),
        "{err}"
    );

    let dev = std::fs::read_to_string(out.path().join("overlays/dev.yaml")).unwrap();
    assert!(dev.contains("name: dev-cm"), "{dev}");
    let single = Command::new(bin)
        .args(["render", "overlays/dev", "--ref", "HEAD"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&single.stdout),
        dev,
        "--all writes what render prints"
    );
    assert!(out.path().join("base.yaml").exists());
    assert!(!out.path().join("overlays/prod.yaml").exists());
    assert!(
        !out.path().join("components/c.yaml").exists(),
        "Components are not rendered on their own"
    );
}
