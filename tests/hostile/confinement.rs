//! 1. Confinement: every path read resolves inside the repository root.

use crate::util::*;

fn base_repo(kust: &str) -> Repo {
    let mut r = Repo::new();
    r.files(&[("app/kustomization.yaml", kust), ("app/cm.yaml", &cm("a"))]);
    r
}

fn no_leak(o: &Out) {
    assert!(
        !o.all().contains(OUTSIDE_MARKER),
        "outside content leaked: {o:#?}"
    );
}

#[test]
fn directory_base_outside_the_repository() {
    // kustomize v5.5.0 renders this in its default mode.
    let r = base_repo("resources:\n- cm.yaml\n- ../../outside\n");
    for o in [r.render_head("app"), r.render_disk("app")] {
        refused(&o, "app/kustomization.yaml:3", "leaves the repository root");
        no_leak(&o);
    }
}

#[test]
fn resource_file_outside_the_repository() {
    let r = base_repo("resources:\n- ../../outside/cm.yaml\n");
    for o in [r.render_head("app"), r.render_disk("app")] {
        refused(&o, "app/kustomization.yaml:2", "leaves the repository root");
        no_leak(&o);
    }
}

#[test]
fn absolute_paths_are_refused() {
    let r = base_repo("resources:\n- /etc/passwd\n");
    for o in [r.render_head("app"), r.render_disk("app")] {
        refused(&o, "app/kustomization.yaml:2", "absolute path");
        assert!(!o.all().contains("root:x:0"));
    }
}

#[test]
fn git_directory_is_never_read() {
    // A generator reading .git/config: kustomize v5.5.0 renders it.
    for kust in [
        "configMapGenerator:\n- name: g\n  files:\n  - ../.git/config\n",
        "resources:\n- ../.git/config\n",
        "configMapGenerator:\n- name: g\n  envs:\n  - ../.git/HEAD\n",
    ] {
        let r = base_repo(kust);
        for o in [r.render_head("app"), r.render_disk("app")] {
            assert_eq!(o.code, 2, "{kust}: {o:#?}");
            refused(&o, "app/kustomization.yaml", ".git");
            assert!(!o.all().contains("repositoryformatversion"), "{o:#?}");
            assert!(!o.all().contains("refs/heads"), "{o:#?}");
        }
    }
}

#[test]
fn symlink_to_git_config_is_refused() {
    let mut r = Repo::new();
    r.write(
        "app/kustomization.yaml",
        "configMapGenerator:\n- name: g\n  files:\n  - cfg\n",
    )
    .symlink("app/cfg", "../.git/config");
    r.commit();
    for o in [r.render_head("app"), r.render_disk("app")] {
        refused(&o, "app/cfg", ".git");
        assert!(!o.all().contains("repositoryformatversion"));
    }
}

#[test]
fn symlink_leaving_the_repository_is_refused() {
    // CVE-2022-24348 / CVE-2022-24904 shape: a committed symlink pointing outside.
    let cases: &[(&str, &str, &str)] = &[
        (
            "resources:\n- cm.yaml\n",
            "app/cm.yaml",
            "../../outside/cm.yaml",
        ),
        ("resources:\n- base\n", "app/base", "../../outside"),
        ("resources:\n- cm.yaml\n", "app/cm.yaml", "/etc/passwd"),
        (
            "configMapGenerator:\n- name: g\n  files:\n  - s.txt\n",
            "app/s.txt",
            "../../outside/secret.txt",
        ),
    ];
    for (kust, link, target) in cases {
        let mut r = Repo::new();
        r.write("app/kustomization.yaml", kust)
            .symlink(link, target);
        r.commit();
        for o in [r.render_head("app"), r.render_disk("app")] {
            assert_eq!(o.code, 2, "{link} -> {target}: {o:#?}");
            refused(&o, "app/", "symlink");
            no_leak(&o);
            assert!(!o.all().contains("root:x:0"));
        }
    }
}

#[test]
fn symlink_inside_the_repository_is_followed() {
    let mut r = Repo::new();
    r.write("shared/cm.yaml", cm("shared"))
        .write("app/kustomization.yaml", "resources:\n- cm.yaml\n")
        .symlink("app/cm.yaml", "../shared/cm.yaml");
    r.commit();
    let o = r.render_head("app");
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("name: shared"));
}

#[test]
fn every_path_field_is_confined() {
    let fields = [
        "configMapGenerator:\n- name: g\n  files:\n  - ../../outside/secret.txt\n",
        "configMapGenerator:\n- name: g\n  envs:\n  - ../../outside/env.txt\n",
        "secretGenerator:\n- name: g\n  files:\n  - k=../../outside/secret.txt\n",
        "secretGenerator:\n- name: g\n  envs:\n  - ../../outside/env.txt\n",
        "resources: [cm.yaml]\npatches:\n- path: ../../outside/cm.yaml\n",
        "resources: [cm.yaml]\npatchesStrategicMerge:\n- ../../outside/cm.yaml\n",
        "resources: [cm.yaml]\npatchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: a}\n  path: ../../outside/cm.yaml\n",
        "resources: [cm.yaml]\ncomponents:\n- ../../outside\n",
        "resources: [cm.yaml]\nreplacements:\n- path: ../../outside/cm.yaml\n",
        "resources: [cm.yaml]\nconfigurations:\n- ../../outside/cm.yaml\n",
        "resources: [cm.yaml]\nopenapi:\n  path: ../../outside/cm.yaml\n",
        "resources: [cm.yaml]\ncrds:\n- ../../outside/cm.yaml\n",
    ];
    for kust in fields {
        let r = base_repo(kust);
        for o in [r.render_head("app"), r.render_disk("app")] {
            assert_eq!(o.code, 2, "{kust}: {o:#?}");
            refused(&o, "app/kustomization.yaml:", "leaves the repository root");
            no_leak(&o);
        }
    }
}

#[test]
fn no_load_restriction_still_never_leaves_the_repository() {
    // `--load-restrictor none` lifts kustomize's root-only rule, not the repository
    // root: in every renderer (the external one gets LoadRestrictionsNone).
    let external = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok();
    let mut modes = vec!["native", "auto"];
    if external {
        modes.push("kustomize");
    }
    for kust in [
        "resources:\n- ../../outside/cm.yaml\n",
        "configMapGenerator:\n- name: g\n  files:\n  - ../../outside/secret.txt\n",
        "resources: [cm.yaml]\npatches:\n- path: ../../outside/cm.yaml\n",
    ] {
        let r = base_repo(kust);
        for mode in &modes {
            let o = r.run(&[
                "render",
                "app",
                "--ref",
                "HEAD",
                "--load-restrictor",
                "none",
                "--renderer",
                mode,
            ]);
            refused(&o, "app/kustomization.yaml:", "leaves the repository root");
            no_leak(&o);
        }
    }
    // Inside the repository, a file outside the kustomization's root loads.
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            "resources:\n- ../shared/cm.yaml\n",
        ),
        ("shared/cm.yaml", &cm("shared")),
    ]);
    for mode in &modes {
        let args = ["render", "app", "--ref", "HEAD", "--renderer", mode];
        let o = r.run(&args);
        // the external renderer names the overlay, not the file
        refused(&o, "app", "is not in or below");
        let o = r.run(&[&args[..], &["--load-restrictor", "none"]].concat());
        assert_eq!(o.code, 0, "{mode}: {o:#?}");
        assert!(o.stdout.contains("name: shared"), "{mode}: {o:#?}");
    }
}

#[test]
fn submodules_are_not_renderable() {
    let mut r = Repo::new();
    // An embedded repository is committed as a gitlink (a submodule entry).
    let sub = r.root().join("sub");
    std::fs::create_dir_all(&sub).unwrap();
    git(&sub, &["init", "-q"]);
    std::fs::write(sub.join("kustomization.yaml"), "resources: [cm.yaml]\n").unwrap();
    std::fs::write(sub.join("cm.yaml"), cm("sub")).unwrap();
    git(&sub, &["add", "-A"]);
    git(&sub, &["commit", "-q", "-m", "sub"]);
    r.files(&[
        ("app/kustomization.yaml", "resources:\n- ../sub\n"),
        ("app2/kustomization.yaml", "resources:\n- ../sub/cm.yaml\n"),
    ]);
    let o = r.render_head("app");
    refused(&o, "app/kustomization.yaml:2", "submodule");
    let o = r.render_head("app2");
    refused(&o, "sub/cm.yaml", "submodule");
}

#[test]
fn lfs_pointers_are_not_parsed() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources:\n- big.yaml\n"),
        (
            "app/big.yaml",
            "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
        ),
    ]);
    let o = r.render_head("app");
    refused(&o, "app/big.yaml", "Git LFS pointer");
}

#[test]
fn diff_and_check_refuse_escapes_too() {
    let mut r = base_repo("resources:\n- cm.yaml\n");
    r.files(&[(
        "app/kustomization.yaml",
        "resources:\n- cm.yaml\n- ../../outside\n",
    )]);
    let (b, h) = (r.commits[0].clone(), r.commits[1].clone());
    for cmd in ["diff", "check"] {
        let o = r.run(&[cmd, "--base", &b, "--head", &h]);
        refused(&o, "app/kustomization.yaml:3", "leaves the repository root");
        no_leak(&o);
    }
}
