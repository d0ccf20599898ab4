//! Zero-configuration gate: environments inferred from paths, and a promotion chain
//! with a gap (no staging overlay) skips the missing environment instead of
//! demanding a change in an environment the repository does not have.

mod common;
use common::TestRepo;
use std::process::Command;

const BASE: &str = "resources:\n- cm.yaml\n";
const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  level: info\n";

fn overlay(level: &str) -> String {
    format!("resources:\n- ../../base\npatches:\n- patch: |-\n    apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: app\n    data:\n      level: {level}\n")
}

fn check(repo: &TestRepo, base: &str, head: &str) -> (i32, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["check", "--base", base, "--head", head, "--repo"])
        .arg(repo.path())
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn promotion_skips_environments_the_repository_does_not_have() {
    let info = overlay("info");
    let debug = overlay("debug");
    let repo = TestRepo::build(&[
        &[
            ("app/base/kustomization.yaml", Some(BASE)),
            ("app/base/cm.yaml", Some(CM)),
            ("app/overlays/dev/kustomization.yaml", Some(&info)),
            ("app/overlays/prod/kustomization.yaml", Some(&info)),
        ],
        // prod first: dev (the nearest earlier environment that exists) lacks it.
        &[("app/overlays/prod/kustomization.yaml", Some(&debug))],
    ]);
    let (code, out) = check(&repo, "c0", "c1");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("promotion-order"), "{out}");
    assert!(out.contains("prod is changed before dev"), "{out}");
    assert!(out.contains("app/overlays/dev"), "{out}");
    assert!(
        !out.contains("()"),
        "no empty overlay list in the help: {out}"
    );

    // dev first, then prod: both steps pass.
    let mut repo2 = TestRepo::build(&[&[
        ("app/base/kustomization.yaml", Some(BASE)),
        ("app/base/cm.yaml", Some(CM)),
        ("app/overlays/dev/kustomization.yaml", Some(&info)),
        ("app/overlays/prod/kustomization.yaml", Some(&info)),
    ]]);
    repo2.commit(&[("app/overlays/dev/kustomization.yaml", Some(&debug))]);
    repo2.commit(&[("app/overlays/prod/kustomization.yaml", Some(&debug))]);
    let (c1, o1) = check(&repo2, "c0", "c1");
    assert_eq!(c1, 0, "{o1}");
    let (c2, o2) = check(&repo2, "c1", "c2");
    assert_eq!(c2, 0, "{o2}");
}
