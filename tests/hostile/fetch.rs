//! `--fetch-remote` against a real `git daemon` started on loopback by the
//! test (skipped, with a note, when `git daemon` is not installed): a remote
//! base renders when allowed and pinned, is refused naming its line when not
//! listed or not pinned, is its own confinement root, stays within its fetch
//! budgets, and nothing touches the network without the flag.

use crate::servers::*;
use crate::util::*;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

macro_rules! daemon_or_skip {
    () => {
        match Daemon::start() {
            Some(d) => d,
            None => {
                eprintln!("skipped: `git daemon` is not available");
                return;
            }
        }
    };
}

const UPSTREAM: [(&str, &str); 2] = [
    ("base/kustomization.yaml", "resources:\n- cm.yaml\n"),
    (
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upstream\ndata:\n  from: remote\n",
    ),
];

fn config(sources: &[String], extra: &str) -> String {
    let allow: Vec<String> = sources.iter().map(|s| format!("    - {s}\n")).collect();
    format!(
        "remote:\n  allow:\n{}  protocols: [git]\n{extra}",
        allow.concat()
    )
}

fn overlay(url: &str) -> String {
    format!("resources:\n- {url}\nnamePrefix: app-\n")
}

fn cache(r: &Repo) -> PathBuf {
    r.outer.path().join("cache")
}

fn fetch_render(r: &Repo, dir: &str) -> Out {
    let c = cache(r);
    r.run(&[
        "render",
        dir,
        "--ref",
        "HEAD",
        "--renderer",
        "native",
        "--fetch-remote",
        "--cache-dir",
        c.to_str().unwrap(),
    ])
}

const RENDERED: &str =
    "apiVersion: v1\ndata:\n  from: remote\nkind: ConfigMap\nmetadata:\n  name: app-upstream\n";

/// `kubectl kustomize` of the overlay with the upstream base vendored next to
/// it (`None` when kubectl is absent).
fn kubectl_render_vendored() -> Option<String> {
    let d = tempfile::tempdir().ok()?;
    for (p, t) in UPSTREAM {
        let f = d.path().join(p);
        std::fs::create_dir_all(f.parent()?).ok()?;
        std::fs::write(f, t).ok()?;
    }
    std::fs::create_dir_all(d.path().join("app")).ok()?;
    std::fs::write(d.path().join("app/kustomization.yaml"), overlay("../base")).ok()?;
    let out = Command::new("kubectl")
        .args(["kustomize", "app"])
        .current_dir(d.path())
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn an_allowed_pinned_remote_base_renders_then_comes_from_the_cache() {
    let d = daemon_or_skip!();
    let sha = d.publish("repo", &UPSTREAM, None);
    let mut r = Repo::new();
    r.files(&[
        (".manifest-gate.yaml", &config(&[d.source("repo")], "")),
        (
            "app/kustomization.yaml",
            &overlay(&d.url("repo", "base", &sha)),
        ),
    ]);
    let o = fetch_render(&r, "app");
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(o.stdout, RENDERED, "{o:#?}");
    // kubectl renders the same tree, vendored, to the same bytes.
    if let Some(k) = kubectl_render_vendored() {
        assert_eq!(k, RENDERED, "kubectl differs");
    }
    // Offline from now on: the pinned commit is in the content-addressed cache.
    drop(d);
    let o = fetch_render(&r, "app");
    assert_eq!(o.code, 0, "cache hit needs no network: {o:#?}");
    assert_eq!(o.stdout, RENDERED);
    let trees = std::fs::read_dir(cache(&r).join("trees")).unwrap().count();
    assert_eq!(trees, 1, "one cache entry per (url, commit)");
}

#[test]
fn a_base_not_listed_is_refused_naming_its_line_before_any_fetch() {
    let d = daemon_or_skip!();
    let sha = d.publish("repo", &UPSTREAM, None);
    d.publish("other", &UPSTREAM, None);
    let mut r = Repo::new();
    r.files(&[
        (".manifest-gate.yaml", &config(&[d.source("other")], "")),
        (
            "app/kustomization.yaml",
            &overlay(&d.url("repo", "base", &sha)),
        ),
    ]);
    let o = fetch_render(&r, "app");
    refused(
        &o,
        "app/kustomization.yaml:2",
        "matches no 'remote.allow' glob",
    );
    assert!(!cache(&r).join("trees").exists(), "nothing fetched");
    // No configuration at all: nothing is allowed.
    r.remove(".manifest-gate.yaml");
    r.commit();
    refused(
        &fetch_render(&r, "app"),
        "app/kustomization.yaml:2",
        "matches no",
    );
}

#[test]
fn unpinned_references_are_refused() {
    let d = daemon_or_skip!();
    let sha = d.publish("repo", &UPSTREAM, Some("v1.0.0"));
    let src = d.source("repo");
    let no_ref = format!("git://127.0.0.1:{}/org/repo.git//base", d.port);
    for (url, extra, cause) in [
        (no_ref.clone(), "", "is not pinned"),
        (no_ref, "  pin: tag\n", "is not pinned"),
        (d.url("repo", "base", "main"), "", "not a full commit id"),
        (d.url("repo", "base", "v1.0.0"), "", "not a full commit id"),
        (
            d.url("repo", "base", &sha[..12]),
            "",
            "not a full commit id",
        ),
        // pin: tag accepts tags only: a branch is not fetched as one.
        (
            d.url("repo", "base", "main"),
            "  pin: tag\n",
            "is not a tag",
        ),
    ] {
        let mut r = Repo::new();
        r.files(&[
            (
                ".manifest-gate.yaml",
                &config(std::slice::from_ref(&src), extra),
            ),
            ("app/kustomization.yaml", &overlay(&url)),
        ]);
        refused(&fetch_render(&r, "app"), "app/kustomization.yaml:2", cause);
    }
}

#[test]
fn a_tag_renders_when_tags_are_allowed() {
    let d = daemon_or_skip!();
    d.publish("repo", &UPSTREAM, Some("v1.0.0"));
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            &config(&[d.source("repo")], "  pin: tag\n"),
        ),
        (
            "app/kustomization.yaml",
            &overlay(&d.url("repo", "base", "v1.0.0")),
        ),
    ]);
    let o = fetch_render(&r, "app");
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(o.stdout, RENDERED);
}

#[test]
fn nothing_touches_the_network_without_the_flag() {
    let (l, port) = listener();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let url = format!("git://127.0.0.1:{port}/org/repo.git//base?ref={sha}");
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            &config(&[format!("127.0.0.1:{port}/org/repo")], ""),
        ),
        ("app/kustomization.yaml", &overlay(&url)),
    ]);
    for mode in ["native", "auto", "kustomize"] {
        let o = r.run(&["render", "app", "--ref", "HEAD", "--renderer", mode]);
        refused(&o, "app/kustomization.yaml:2", "is remote");
        assert!(o.stderr.contains("--fetch-remote"), "{o:#?}");
    }
    let base = r.commits[0].clone();
    r.files(&[(
        "app/kustomization.yaml",
        &format!("{}namespace: x\n", overlay(&url)),
    )]);
    let head = r.commits[1].clone();
    for cmd in ["diff", "check"] {
        let o = r.run(&[cmd, "--base", &base, "--head", &head]);
        assert_eq!(o.code, 2, "{cmd}: {o:#?}");
        assert!(o.stderr.contains("is remote"), "{cmd}: {o:#?}");
    }
    assert!(
        !connected(&l),
        "a connection was made without --fetch-remote"
    );
}

#[test]
fn with_the_flag_a_refused_reference_makes_no_connection() {
    let (l, port) = listener();
    let url = format!("git://127.0.0.1:{port}/org/repo.git//base?ref=main");
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            &config(&[format!("127.0.0.1:{port}/org/repo")], ""),
        ),
        ("app/kustomization.yaml", &overlay(&url)),
    ]);
    refused(
        &fetch_render(&r, "app"),
        "app/kustomization.yaml:2",
        "not a full commit id",
    );
    assert!(!connected(&l), "a refused reference was fetched");
}

#[test]
fn a_remote_base_is_its_own_confinement_root() {
    let d = daemon_or_skip!();
    let escape_dir = d.publish(
        "escape",
        &[("base/kustomization.yaml", "resources:\n- ../../../../app\n")],
        None,
    );
    let sibling = d.publish(
        "sibling",
        &[
            ("base/kustomization.yaml", "resources:\n- ../shared\n"),
            ("shared/kustomization.yaml", "resources:\n- cm.yaml\n"),
            ("shared/cm.yaml", &cm("shared")),
        ],
        None,
    );
    let mut r = Repo::new();
    let sources = [d.source("escape"), d.source("sibling")];
    r.files(&[
        (".manifest-gate.yaml", &config(&sources, "")),
        (
            "app/kustomization.yaml",
            &overlay(&d.url("escape", "base", &escape_dir)),
        ),
        (
            "ok/kustomization.yaml",
            &overlay(&d.url("sibling", "base", &sibling)),
        ),
        (
            "local/kustomization.yaml",
            "resources:\n- ../.git/remote/x@1/base\n",
        ),
    ]);
    let o = fetch_render(&r, "app");
    assert_eq!(o.code, 2, "{o:#?}");
    assert!(o.stderr.contains("a remote base is its own root"), "{o:#?}");
    assert!(o.stderr.contains("base/kustomization.yaml:2"), "{o:#?}");
    // Inside its own root, `..` is fine.
    let o = fetch_render(&r, "ok");
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("name: app-shared"), "{o:#?}");
    // The repository cannot name a mount.
    let o = fetch_render(&r, "local");
    refused(
        &o,
        "local/kustomization.yaml:2",
        "is inside .git/, which is never read",
    );
}

#[test]
fn a_symlink_in_a_remote_base_stays_inside_it() {
    let d = daemon_or_skip!();
    let work = d.base.path().join("work-link");
    std::fs::create_dir_all(work.join("base")).unwrap();
    std::fs::write(
        work.join("base/kustomization.yaml"),
        "resources:\n- cm.yaml\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        "../../../../../../../../etc/hostname",
        work.join("base/cm.yaml"),
    )
    .unwrap();
    git(&work, &["init", "-q"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "link"]);
    let sha = git(&work, &["rev-parse", "HEAD"]);
    let bare = d.base.path().join("org/link.git");
    std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
    git(
        d.base.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let mut r = Repo::new();
    r.files(&[
        (".manifest-gate.yaml", &config(&[d.source("link")], "")),
        (
            "app/kustomization.yaml",
            &overlay(&d.url("link", "base", &sha)),
        ),
    ]);
    let o = fetch_render(&r, "app");
    assert_eq!(o.code, 2, "{o:#?}");
    assert!(o.stderr.contains("cm.yaml"), "{o:#?}");
    assert!(o.stdout.is_empty());
}

#[test]
fn fetch_budgets_kill_the_fetch() {
    let d = daemon_or_skip!();
    // Incompressible content, larger than the byte budget.
    let mut noise = String::new();
    let mut x: u64 = 0x9e3779b97f4a7c15;
    while noise.len() < 400_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.push_str(&format!("{x:016x}"));
    }
    let big = [
        ("base/kustomization.yaml", "resources: []\n"),
        ("base/noise.txt", noise.as_str()),
    ];
    let sha = d.publish("big", &big, None);
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            &config(&[d.source("big")], "  maxBytes: 100K\n"),
        ),
        (
            "app/kustomization.yaml",
            &overlay(&d.url("big", "base", &sha)),
        ),
    ]);
    let o = fetch_render(&r, "app");
    refused(&o, "app/kustomization.yaml:2", "'remote.maxBytes'");
    let tmp = cache(&r).join("tmp");
    let left = std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "the partial fetch is removed");

    // A server that accepts and never answers: the time budget ends the fetch.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        if let Ok((mut s, _)) = silent.accept() {
            let mut b = [0u8; 64];
            let _ = s.read(&mut b);
            held.push(s);
            std::thread::sleep(Duration::from_secs(5));
        }
    });
    let url = format!("git://127.0.0.1:{port}/org/slow.git//base?ref={sha}");
    r.files(&[
        (
            ".manifest-gate.yaml",
            &config(
                &[format!("127.0.0.1:{port}/org/slow")],
                "  timeout: 700ms\n",
            ),
        ),
        ("app/kustomization.yaml", &overlay(&url)),
    ]);
    let o = fetch_render(&r, "app");
    refused(&o, "app/kustomization.yaml:2", "'remote.timeout'");
    assert!(o.secs < 4.0, "the fetch was not ended on time: {o:#?}");
    drop(hold);
}

#[test]
fn the_cache_must_be_outside_the_repository() {
    let mut r = Repo::new();
    r.files(&[("app/kustomization.yaml", "resources: []\n")]);
    let inside: PathBuf = r.root().join("cache");
    let o = r.run(&[
        "render",
        "app",
        "--fetch-remote",
        "--cache-dir",
        inside.to_str().unwrap(),
    ]);
    refused(&o, "", "is inside the repository");
    assert!(
        !Path::new(&inside).exists(),
        "nothing is created inside the repository"
    );
}

#[test]
fn diff_and_check_fetch_both_sides_with_the_base_configuration() {
    let d = daemon_or_skip!();
    let v1 = d.publish("repo", &UPSTREAM, None);
    let changed = UPSTREAM[1].1.replace("from: remote", "from: remote-v2");
    let v2 = d.publish(
        "repo2",
        &[UPSTREAM[0], ("base/cm.yaml", changed.as_str())],
        None,
    );
    let mut r = Repo::new();
    let sources = [d.source("repo"), d.source("repo2")];
    let base = r.files(&[
        (".manifest-gate.yaml", &config(&sources, "")),
        (
            "app/kustomization.yaml",
            &overlay(&d.url("repo", "base", &v1)),
        ),
    ]);
    let head = r.files(&[(
        "app/kustomization.yaml",
        &overlay(&d.url("repo2", "base", &v2)),
    )]);
    let c = cache(&r);
    let o = r.run(&[
        "diff",
        "--base",
        &base,
        "--head",
        &head,
        "--fetch-remote",
        "--cache-dir",
        c.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("remote-v2"), "{o:#?}");
    assert!(o.stdout.contains("app-upstream"), "{o:#?}");
    // The gate decides on it (provenance inside the fetched base is fine).
    for format in ["text", "json", "sarif", "markdown"] {
        let o = r.run(&[
            "check",
            "--base",
            &base,
            "--head",
            &head,
            "--format",
            format,
            "--fetch-remote",
            "--cache-dir",
            c.to_str().unwrap(),
        ]);
        assert!(o.code == 0 || o.code == 1, "{format}: {o:#?}");
        assert!(
            o.stdout.contains("app-upstream") || format == "sarif",
            "{format}: {o:#?}"
        );
    }
    // The head cannot widen the allow-list: the configuration is read at base.
    let evil = r.files(&[
        (
            ".manifest-gate.yaml",
            &config(&[d.source("repo"), d.source("repo2"), d.source("x")], ""),
        ),
        ("app/kustomization.yaml", &overlay(&d.url("x", "base", &v2))),
    ]);
    let o = r.run(&[
        "check",
        "--base",
        &base,
        "--head",
        &evil,
        "--fetch-remote",
        "--cache-dir",
        c.to_str().unwrap(),
    ]);
    assert_eq!(o.code, 2, "{o:#?}");
    assert!(o.stderr.contains("matches no 'remote.allow'"), "{o:#?}");
    assert!(o.stderr.contains("app/kustomization.yaml:2"), "{o:#?}");
}

#[test]
fn with_the_flag_the_external_renderer_still_never_sees_a_remote_base() {
    let (l, port) = listener();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let url = format!("git://127.0.0.1:{port}/org/repo.git//base?ref={sha}");
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            &config(&[format!("127.0.0.1:{port}/org/repo")], ""),
        ),
        ("app/kustomization.yaml", &overlay(&url)),
    ]);
    // Fake kubectl/kustomize recording any start.
    let bin_dir = r.outer.path().join("fakebin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let marker = r.outer.path().join("STARTED");
    for name in ["kubectl", "kustomize"] {
        let p = bin_dir.join(name);
        std::fs::write(
            &p,
            format!("#!/bin/sh\ntouch '{}'\nexit 1\n", marker.display()),
        )
        .unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let c = cache(&r);
    let o = mg_env(
        &r.root(),
        &[
            "render",
            "app",
            "--ref",
            "HEAD",
            "--renderer",
            "kustomize",
            "--fetch-remote",
            "--cache-dir",
            c.to_str().unwrap(),
        ],
        &[("PATH", &path)],
    );
    refused(
        &o,
        "app/kustomization.yaml:2",
        "rendered by the native renderer only",
    );
    assert!(!marker.exists(), "the external renderer was started");
    assert!(!connected(&l), "fetched for an external render");
}

#[test]
fn a_fetched_base_renders_as_kubectl_renders_it_remotely() {
    let d = daemon_or_skip!();
    let files = [
        (
            "base/kustomization.yaml",
            "resources:\n- ../shared\n- cm.yaml\nnamespace: up\nconfigMapGenerator:\n- name: gen\n  literals: [a=b]\n",
        ),
        ("base/cm.yaml", UPSTREAM[1].1),
        ("shared/kustomization.yaml", "resources:\n- svc.yaml\n"),
        (
            "shared/svc.yaml",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports:\n  - port: 80\n",
        ),
    ];
    let sha = d.publish("repo", &files, None);
    let top = "buildMetadata: [originAnnotations, transformerAnnotations]\nnamePrefix: app-\ncommonLabels:\n  team: a\n";
    let mut r = Repo::new();
    r.files(&[
        (".manifest-gate.yaml", &config(&[d.source("repo")], "")),
        (
            "app/kustomization.yaml",
            &format!("resources:\n- {}\n{top}", d.url("repo", "base", &sha)),
        ),
    ]);
    let o = fetch_render(&r, "app");
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("name: app-svc"), "{o:#?}");
    // kubectl clones the same commit itself (kustomize has no git:// support:
    // it is given the bare repository as a file:// URL).
    let bare = d.base.path().join("org/repo.git");
    let file_url = format!("file://{}", bare.display());
    let k = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(k.path().join("app")).unwrap();
    std::fs::write(
        k.path().join("app/kustomization.yaml"),
        format!("resources:\n- {file_url}//base?ref={sha}\n{top}"),
    )
    .unwrap();
    let Ok(out) = Command::new("kubectl")
        .args(["kustomize", "app"])
        .current_dir(k.path())
        .output()
    else {
        eprintln!("skipped the kubectl comparison: kubectl is not available");
        return;
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = String::from_utf8_lossy(&out.stdout).replace(
        &file_url,
        &format!("git://127.0.0.1:{}/org/repo.git", d.port),
    );
    assert_eq!(o.stdout, want);
}

#[test]
fn a_tag_is_fetched_once_per_run_and_a_commit_once_per_cache() {
    let d = daemon_or_skip!();
    let sha = d.publish("repo", &UPSTREAM, Some("v1.0.0"));
    let mut r = Repo::new();
    let tag = d.url("repo", "base", "v1.0.0");
    let base = r.files(&[
        (
            ".manifest-gate.yaml",
            &config(&[d.source("repo")], "  pin: tag\n"),
        ),
        ("a/kustomization.yaml", &overlay(&tag)),
        ("b/kustomization.yaml", &overlay(&tag)),
    ]);
    let head = r.files(&[
        (
            "a/kustomization.yaml",
            &format!("{}namespace: ns-a\n", overlay(&tag)),
        ),
        (
            "b/kustomization.yaml",
            &format!("{}namespace: ns-b\n", overlay(&tag)),
        ),
    ]);
    let c = cache(&r);
    let diff = |r: &Repo| {
        r.run(&[
            "diff",
            "--base",
            &base,
            "--head",
            &head,
            "--fetch-remote",
            "--cache-dir",
            c.to_str().unwrap(),
        ])
    };
    // Four renders of the tag (two overlays, two sides): one fetch.
    let o = diff(&r);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(
        o.stdout.contains("ns-a") && o.stdout.contains("ns-b"),
        "{o:#?}"
    );
    assert_eq!(d.fetches("repo"), 1);
    // The commit the tag named is in the cache: pinned to it, no fetch.
    r.files(&[(
        "c/kustomization.yaml",
        &overlay(&d.url("repo", "base", &sha)),
    )]);
    let o = fetch_render(&r, "c");
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(d.fetches("repo"), 1);
    // Next run: the tag (it may move) is fetched again, once.
    assert_eq!(diff(&r).code, 0);
    assert_eq!(d.fetches("repo"), 2);
}

#[test]
fn without_git_on_path_the_fetch_fails_cleanly() {
    let (_l, port) = listener();
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            &config(&[format!("127.0.0.1:{port}/org/repo")], ""),
        ),
        (
            "app/kustomization.yaml",
            &overlay(&format!(
                "git://127.0.0.1:{port}/org/repo.git//base?ref={sha}"
            )),
        ),
    ]);
    let empty = r.outer.path().join("empty-bin");
    std::fs::create_dir_all(&empty).unwrap();
    let c = cache(&r);
    let o = mg_env(
        &r.root(),
        &[
            "render",
            "app",
            "--ref",
            "HEAD",
            "--renderer",
            "native",
            "--fetch-remote",
            "--cache-dir",
            c.to_str().unwrap(),
        ],
        &[("PATH", empty.to_str().unwrap())],
    );
    refused(&o, "app/kustomization.yaml:2", "needs git on PATH");
}

#[test]
fn over_http_a_base_renders_and_a_redirect_is_not_followed() {
    let Some(d) = Daemon::start() else {
        eprintln!("skipped: `git daemon` is not available");
        return;
    };
    let sha = d.publish("repo", &UPSTREAM, None);
    let root = d.base.path().to_path_buf();
    let port = http_backend(root.clone(), None);
    let url = format!("http://127.0.0.1:{port}/org/repo.git//base?ref={sha}");
    let http_config = |src: &str| format!("remote:\n  allow: [{src}]\n  protocols: [http]\n");
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            &http_config(&format!("127.0.0.1:{port}/org/repo")),
        ),
        ("app/kustomization.yaml", &overlay(&url)),
    ]);
    let o = fetch_render(&r, "app");
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(o.stdout, RENDERED);
    // An allowed server redirecting elsewhere: not followed, nothing reaches the target.
    let (target, target_port) = listener();
    let redirecting = http_backend(root, Some(format!("http://127.0.0.1:{target_port}")));
    let url = format!("http://127.0.0.1:{redirecting}/org/repo.git//base?ref={sha}");
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            &http_config(&format!("127.0.0.1:{redirecting}/org/repo")),
        ),
        ("app/kustomization.yaml", &overlay(&url)),
    ]);
    let o = fetch_render(&r, "app");
    refused(&o, "app/kustomization.yaml:2", "returned error: 302");
    assert!(!connected(&target), "the redirect was followed");
}
