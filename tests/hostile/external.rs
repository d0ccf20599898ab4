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
fn remote_files_are_refused_in_every_mode_and_never_fetched() {
    // kustomize's loader fetches any http(s) file path; a listener on loopback
    // sees whether anything tried.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/f.txt", listener.local_addr().unwrap());
    let res = "resources:\n- cm.yaml\n";
    for kust in [
        format!("configMapGenerator:\n- name: g\n  files:\n  - {url}\n"),
        format!("configMapGenerator:\n- name: g\n  files:\n  - key={url}\n"),
        format!("secretGenerator:\n- name: g\n  envs:\n  - {url}\n"),
        format!("configMapGenerator:\n- name: g\n  env: {url}\n"),
        format!("{res}patches:\n- path: {url}\n"),
        format!("{res}patchesStrategicMerge:\n- {url}\n"),
        format!("{res}patchesJson6902:\n- target: {{kind: ConfigMap, name: a}}\n  path: {url}\n"),
        format!("{res}replacements:\n- path: {url}\n"),
    ] {
        let mut r = Repo::new();
        r.files(&[("app/kustomization.yaml", &kust), ("app/cm.yaml", &cm("a"))]);
        for mode in modes() {
            let o = render(&r, "app", mode);
            refused(&o, "app/kustomization.yaml:", "is remote");
            assert!(o.stderr.contains("never fetched"), "{o:#?}");
            assert!(!o.stderr.contains("note:"), "no fallback: {o:#?}");
        }
        assert!(listener.accept().is_err(), "{kust}: something connected");
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

/// A fake `kustomize` first on PATH running `body` (sh); returns the PATH value.
fn fake_kustomize(r: &Repo, body: &str) -> String {
    let bin = r.outer.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("kustomize"), format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(
        bin.join("kustomize"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    format!("{}:/usr/bin:/bin", bin.display())
}

const LABELS: &str = "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels:\n  team: a\nfieldSpecs:\n- path: metadata/labels\n  create: true\n";

/// A `transformers:` builtin entry sends the overlay to the external renderer
/// in `auto` mode; the alias bomb it would read is refused before it runs.
#[test]
fn fallback_files_pass_the_native_parser_budgets_first() {
    let bomb = crate::budgets::ALIAS_BOMB;
    for (name, files) in [
        (
            "resource",
            vec![
                ("app/kustomization.yaml", "resources: [bomb.yaml]\ntransformers: [labels.yaml]\n".to_string()),
                ("app/bomb.yaml", bomb.to_string()),
            ],
        ),
        (
            "patch file in a base",
            vec![
                ("app/kustomization.yaml", "resources: [../base]\ntransformers: [labels.yaml]\n".to_string()),
                ("base/kustomization.yaml", "resources: [cm.yaml]\npatches:\n- path: bomb.yaml\n".to_string()),
                ("base/cm.yaml", cm("a")),
                ("base/bomb.yaml", bomb.to_string()),
            ],
        ),
        (
            "inline patch",
            vec![
                (
                    "app/kustomization.yaml",
                    format!(
                        "resources: [cm.yaml]\ntransformers: [labels.yaml]\npatches:\n- patch: |\n{}",
                        bomb.lines().map(|l| format!("    {l}\n")).collect::<String>()
                    ),
                ),
                ("app/cm.yaml", cm("a")),
            ],
        ),
    ] {
        let mut r = Repo::new();
        r.write("app/labels.yaml", LABELS);
        for (p, t) in &files {
            r.write(p, t);
        }
        r.commit();
        let ran = r.outer.path().join("RAN");
        let path = fake_kustomize(&r, &format!("touch {}\nexit 1", ran.display()));
        for mode in [&[][..], &["--renderer", "kustomize"][..]] {
            let mut args = vec!["render", "app", "--ref", "HEAD"];
            args.extend_from_slice(mode);
            let o = mg_env(&r.root(), &args, &[("PATH", &path)]);
            assert_eq!(o.code, 2, "{name} {mode:?}: {o:#?}");
            assert!(o.stderr.contains("alias expansion exceeds the budget"), "{name}: {o:#?}");
            assert!(!o.stderr.contains("panicked"));
            assert!(!ran.exists(), "{name} {mode:?}: the external renderer ran");
        }
    }
}

/// With the real kubectl: the 7.7 GB case of the issue exits 2 quickly and small.
#[test]
fn fallback_alias_bomb_with_kubectl_is_bounded() {
    if !kubectl_present() {
        return;
    }
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            "resources: [bomb.yaml]\ntransformers: [labels.yaml]\n",
        ),
        ("app/bomb.yaml", crate::budgets::ALIAS_BOMB),
        ("app/labels.yaml", LABELS),
    ]);
    let o = r.render_head("app");
    refused(&o, "app/bomb.yaml:", "alias expansion exceeds the budget");
    if let Some((rss, secs, code)) = measure(&r.root(), &["render", "app", "--ref", "HEAD"]) {
        eprintln!("fallback alias bomb: exit {code}, {secs:.3} s, peak RSS {rss} KiB");
        assert_eq!(code, 2);
        assert!(rss < 200 * 1024, "{rss} KiB");
    }
}

#[test]
fn external_renderer_runs_under_a_memory_limit_and_reads_only_checked_files() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("app/cm.yaml", &cm("a")),
        ("app/unreferenced.txt", "not for kustomize\n"),
        ("other/kustomization.yaml", "resources: []\n"),
    ]);
    let log = r.outer.path().join("log");
    let path = fake_kustomize(
        &r,
        &format!(
            "ulimit -v > {log}\n(cd \"$2/..\" && find . -type f | sort) >> {log}\nprintf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: fake\\n'",
            log = log.display()
        ),
    );
    for (flag, kib) in [(None, 2 << 20), (Some("1GiB"), 1 << 20)] {
        let mut args = vec!["render", "app", "--ref", "HEAD", "--renderer", "kustomize"];
        if let Some(f) = flag {
            args.extend(["--external-max-memory", f]);
        }
        let o = mg_env(&r.root(), &args, &[("PATH", &path)]);
        assert_eq!(o.code, 0, "{o:#?}");
        let text = std::fs::read_to_string(&log).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(kib.to_string().as_str()), "{text}");
        let files: Vec<&str> = lines.collect();
        assert!(files.contains(&"./app/cm.yaml"), "{text}");
        assert!(files.contains(&"./app/kustomization.yaml"), "{text}");
        assert!(
            !text.contains("unreferenced") && !text.contains("other/"),
            "{text}"
        );
    }
}

/// The temporary copy is removed when the child fails, when it is killed at the
/// budget, and when it succeeds.
#[test]
fn temporary_copy_is_removed_on_every_exit_path() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("app/cm.yaml", &cm("a")),
    ]);
    let tmp = r.outer.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let tmp_s = tmp.to_string_lossy().into_owned();
    for (what, body, code) in [
        (
            "success",
            "printf 'apiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n  name: x\\n'",
            0,
        ),
        ("failure", "echo 'Error: boom' >&2\nexit 1", 2),
        ("timeout", "exec /bin/sleep 30", 2),
    ] {
        let path = fake_kustomize(&r, body);
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
                "700ms",
            ],
            &[("PATH", &path), ("TMPDIR", &tmp_s)],
        );
        assert_eq!(o.code, code, "{what}: {o:#?}");
        let left: Vec<_> = std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "{what}: left behind {left:?}");
    }
    // A copy left by a run that was killed (its process is gone) is swept.
    let stale = tmp.join("manifest-gate-999999999-0");
    std::fs::create_dir_all(stale.join("app")).unwrap();
    std::fs::write(stale.join(".manifest-gate-copy"), "").unwrap();
    let path = fake_kustomize(&r, "exit 1");
    let o = mg_env(
        &r.root(),
        &["render", "app", "--ref", "HEAD", "--renderer", "kustomize"],
        &[("PATH", &path), ("TMPDIR", &tmp_s)],
    );
    assert_eq!(o.code, 2, "{o:#?}");
    assert!(!stale.exists(), "stale copy not swept");
}

/// Directory links, two per level, 18 levels: without a bound the copy walks
/// 2^18 directories (18.7 s and 40,798 directories left behind on main).
#[test]
fn external_copy_walk_is_bounded() {
    let mut r = Repo::new();
    for i in 0..18 {
        r.write(&format!("l{i}/kustomization.yaml"), "resources: [a, b]\n");
        r.symlink(&format!("l{i}/a"), &format!("../l{}", i + 1));
        r.symlink(&format!("l{i}/b"), &format!("../l{}", i + 1));
    }
    r.write("l18/kustomization.yaml", "resources: [cm.yaml]\n");
    r.write("l18/cm.yaml", cm("a"));
    r.write("app/kustomization.yaml", "resources: [../l0]\n");
    r.commit();
    let tmp = r.outer.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let path = fake_kustomize(&r, "exit 1");
    let o = mg_env(
        &r.root(),
        &["render", "app", "--ref", "HEAD", "--renderer", "kustomize"],
        &[("PATH", &path), ("TMPDIR", &tmp.to_string_lossy())],
    );
    refused(&o, "app", "more than 1000 kustomizations");
    assert!(o.secs < 10.0, "{} s (hang guard)", o.secs);
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "copy left behind"
    );
}

/// A builtin generator reached through `generators:` reads its `envs` (and a
/// SecretGenerator its inputs) relative to the kustomization *using* it; the
/// checked copy must hold those files, and their secret values stay redacted.
#[test]
fn fallback_copies_generator_inputs_relative_to_the_using_kustomization() {
    if !kubectl_present() {
        return;
    }
    let mut r = Repo::new();
    r.files(&[
        ("gen/kustomization.yaml", "resources:\n- cfg/general.yaml\n"),
        (
            "gen/cfg/general.yaml",
            "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: general\nenvs:\n- configuration/general\n",
        ),
        ("gen/configuration/general", "FROM=generator-dir\n"),
        ("app/kustomization.yaml", "generators:\n- ../gen\n"),
        ("app/configuration/general", "FROM=using-kustomization\n"),
    ]);
    let o = r.render_head("app");
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("FROM: using-kustomization"), "{o:#?}");
    assert!(!o.stdout.contains("generator-dir"), "{o:#?}");
}
