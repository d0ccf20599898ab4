//! 3. Nothing executes, nothing is fetched.

use crate::util::*;

const EXEC_FN: &str = "apiVersion: example.com/v1\nkind: Pwn\nmetadata:\n  name: pwn\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./pwn.sh\n";

fn exec_repo(field: &str) -> Repo {
    let mut r = Repo::new();
    let marker = r.outer.path().join("PWNED");
    let script = format!(
        "#!/bin/sh\ntouch {}\necho 'apiVersion: v1'\n",
        marker.display()
    );
    r.write("app/pwn.sh", script);
    std::fs::set_permissions(
        r.root().join("app/pwn.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    r.files(&[
        (
            "app/kustomization.yaml",
            &format!("resources:\n- cm.yaml\n{field}:\n- fn.yaml\n"),
        ),
        ("app/cm.yaml", &cm("a")),
        ("app/fn.yaml", EXEC_FN),
    ]);
    r
}

fn modes() -> [&'static [&'static str]; 3] {
    [&[], &["--renderer", "kustomize"], &["--renderer", "native"]]
}

fn render(r: &Repo, dir: &str, mode: &[&str]) -> Out {
    let mut args = vec!["render", dir, "--ref", "HEAD"];
    args.extend_from_slice(mode);
    r.run(&args)
}

#[test]
fn remote_resources_are_refused_in_every_mode() {
    for url in [
        "https://github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v5.5.0",
        "git@github.com:example/repo.git//base",
        "github.com/example/repo/base?ref=main",
        "http://127.0.0.1:9/x.yaml",
    ] {
        for field in ["resources", "components"] {
            let mut r = Repo::new();
            r.files(&[("app/kustomization.yaml", &format!("{field}:\n- {url}\n"))]);
            for mode in modes() {
                let o = render(&r, "app", mode);
                refused(&o, "app/kustomization.yaml:2", &format!("'{field}'"));
                assert!(o.stderr.contains("never fetched"), "{o:#?}");
                assert!(!o.stderr.contains("note:"), "no fallback: {o:#?}");
            }
        }
    }
}

#[test]
fn remote_base_deep_in_the_tree_is_refused_before_running_kustomize() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources:\n- ../base\n"),
        (
            "base/kustomization.yaml",
            "resources:\n- https://example.com/evil.yaml\n",
        ),
    ]);
    for mode in modes() {
        let o = render(&r, "app", mode);
        refused(&o, "base/kustomization.yaml:2", "'resources'");
    }
}

#[test]
fn helm_is_refused_in_every_mode() {
    for field in [
        "helmCharts:\n- name: x\n  repo: https://charts.example.com\n",
        "helmChartInflationGenerator:\n- chartName: x\n",
        "helmGlobals:\n  chartHome: charts\n",
    ] {
        let mut r = Repo::new();
        r.files(&[("app/kustomization.yaml", field)]);
        let name = field.split(':').next().unwrap();
        for mode in modes() {
            let o = render(&r, "app", mode);
            refused(&o, "app/kustomization.yaml:", &format!("'{name}'"));
        }
    }
}

#[test]
fn exec_functions_never_run() {
    for field in ["generators", "transformers", "validators"] {
        let r = exec_repo(field);
        for mode in modes() {
            let o = render(&r, "app", mode);
            assert_eq!(o.code, 2, "{field} {mode:?}: {o:#?}");
            assert!(o.stderr.contains(&format!("'{field}'")), "{o:#?}");
            assert!(!o.stderr.contains("panicked"));
            assert!(
                !r.outer.path().join("PWNED").exists(),
                "{field} {mode:?}: the function ran"
            );
        }
    }
}

#[test]
fn escaping_base_is_refused_before_running_kustomize() {
    let mut r = Repo::new();
    r.files(&[("app/kustomization.yaml", "resources:\n- ../../outside\n")]);
    let o = render(&r, "app", &["--renderer", "kustomize"]);
    refused(&o, "app/kustomization.yaml:2", "leaves the repository root");
    assert!(!o.all().contains(OUTSIDE_MARKER));
}

/// A fake `kustomize` that records its arguments and environment.
#[test]
fn external_renderer_gets_no_flags_and_an_empty_environment() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources:\n- cm.yaml\n"),
        ("app/cm.yaml", &cm("a")),
    ]);
    let bin = r.outer.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = r.outer.path().join("log");
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do echo \"arg=$a\" >> {log}; done\n/usr/bin/env >> {log}\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: fake\\n'\n",
        log = log.display()
    );
    std::fs::write(bin.join("kustomize"), script).unwrap();
    std::fs::set_permissions(
        bin.join("kustomize"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let o = mg_env(
        &r.root(),
        &["render", "app", "--ref", "HEAD", "--renderer", "kustomize"],
        &[
            ("PATH", &path),
            ("GITHUB_TOKEN", "ghp_SECRET_TOKEN_VALUE"),
            ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
        ],
    );
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("name: fake"));
    let log = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = log.lines().filter_map(|l| l.strip_prefix("arg=")).collect();
    assert_eq!(args.len(), 2, "{log}");
    assert_eq!(args[0], "build");
    assert!(args[1].ends_with("/app"), "{log}");
    let env: Vec<&str> = log
        .lines()
        .filter(|l| !l.starts_with("arg="))
        .filter_map(|l| l.split('=').next())
        .collect();
    for v in &env {
        assert!(
            ["HOME", "PWD", "SHLVL", "_", "OLDPWD"].contains(v),
            "unexpected variable {v} in {log}"
        );
    }
    assert!(!log.contains("SECRET"), "{log}");
    assert!(!log.contains("load-restrictor") && !log.contains("enable"));
}

#[test]
fn external_renderer_is_killed_at_the_wall_clock_budget() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources:\n- cm.yaml\n"),
        ("app/cm.yaml", &cm("a")),
    ]);
    let bin = r.outer.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("kustomize"), "#!/bin/sh\nexec /bin/sleep 30\n").unwrap();
    std::fs::set_permissions(
        bin.join("kustomize"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let o = mg_env(
        &r.root(),
        &[
            "render",
            "app",
            "--ref",
            "HEAD",
            "--renderer",
            "kustomize",
            "--timeout-per-overlay",
            "500ms",
        ],
        &[("PATH", &path)],
    );
    refused(&o, "app", "wall-clock budget of 500ms");
    assert!(o.secs < 10.0, "{} s", o.secs);
}
