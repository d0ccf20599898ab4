//! Every form of remote reference kustomize accepts is refused by our guard
//! before any renderer runs: the external renderer is never started (a fake
//! `kubectl`/`kustomize` on PATH records any start), in every renderer mode.

use crate::util::*;
use std::path::Path;

/// Every remote form, as a `resources:` entry.
const FORMS: [&str; 15] = [
    "https://github.com/org/repo//base?ref=v1",
    "http://127.0.0.1:9/x.yaml",
    "ssh://git@127.0.0.1:9/org/repo.git",
    "file:///tmp/repo.git",
    "git::https://127.0.0.1:9/org/repo.git//base",
    "git@127.0.0.1:org/repo.git",
    "deploy@127.0.0.1:org/repo//base",
    "org-12345@github.com/org/repo",
    "github.com/org/repo/base?ref=main",
    "github.com:org/repo",
    "gh:org/repo",
    "../base?ref=main",
    "base?submodules=false",
    "base?timeout=1s",
    "dev.azure.com/org/proj/_git/repo",
];

/// A directory with fake `kubectl` and `kustomize` that touch `marker`.
fn fake_renderers(dir: &Path, marker: &Path) -> String {
    for name in ["kubectl", "kustomize"] {
        let p = dir.join(name);
        std::fs::write(
            &p,
            format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn check(r: &Repo, dir: &str, file_line: &str, field: &str) {
    let bin_dir = r.outer.path().join("fakebin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let marker = r.outer.path().join("STARTED");
    let path = fake_renderers(&bin_dir, &marker);
    for mode in ["kustomize", "auto", "native"] {
        let o = mg_env(
            &r.root(),
            &["render", dir, "--ref", "HEAD", "--renderer", mode],
            &[("PATH", &path)],
        );
        refused(&o, file_line, &format!("'{field}'"));
        assert!(o.stderr.contains("is remote"), "{mode}: {o:#?}");
        assert!(
            !marker.exists(),
            "{mode}: the external renderer was started: {o:#?}"
        );
    }
}

#[test]
fn no_remote_form_reaches_the_external_renderer() {
    for url in FORMS {
        for field in ["resources", "components"] {
            let mut r = Repo::new();
            r.files(&[
                ("app/kustomization.yaml", &format!("{field}:\n- {url}\n")),
                ("base/kustomization.yaml", "resources: []\n"),
            ]);
            check(&r, "app", "app/kustomization.yaml:2", field);
        }
    }
}

#[test]
fn a_remote_base_deep_in_the_tree_is_refused_before_kubectl() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources:\n- ../mid\n"),
        (
            "mid/kustomization.yaml",
            "resources:\n- cm.yaml\n- git@127.0.0.1:org/repo\n",
        ),
        ("mid/cm.yaml", &cm("a")),
    ]);
    check(&r, "app", "mid/kustomization.yaml:3", "resources");
}

#[test]
fn a_url_in_generator_files_is_remote() {
    for (field, gen) in [
        (
            "configMapGenerator",
            "files:\n  - https://127.0.0.1:9/app.properties",
        ),
        (
            "configMapGenerator",
            "files:\n  - key=http://127.0.0.1:9/app.properties",
        ),
        ("secretGenerator", "envs:\n  - https://127.0.0.1:9/.env"),
    ] {
        let mut r = Repo::new();
        r.files(&[(
            "app/kustomization.yaml",
            &format!("{field}:\n- name: g\n  {gen}\n"),
        )]);
        check(&r, "app", "app/kustomization.yaml:4", field);
    }
}

#[test]
fn a_url_as_patch_path_is_remote() {
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            "resources:\n- cm.yaml\npatches:\n- path: https://127.0.0.1:9/p.yaml\n",
        ),
        ("app/cm.yaml", &cm("a")),
    ]);
    check(&r, "app", "app/kustomization.yaml:4", "patches");
}
