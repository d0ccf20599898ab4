//! The workspace: a GitOps repository checked out at the pull request's head,
//! optionally carrying every attack of issue 13.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub const TOKEN: &str = "ghs_test_token_0123456789";
pub const ATTACK_MARK: &str = "ATTACKER-CODE-RAN";
pub const STRICT: &str =
    "rules:\n  single-environment: error\n  unexpected-kind: error\n  promotion-order: error\n";
/// The pull request's own configuration, loosening its gate.
pub const LOOSE: &str =
    "rules:\n  single-environment: off\n  unexpected-kind: off\n  promotion-order: off\n";

pub fn tools_present() -> bool {
    let missing: Vec<&str> = ["bash", "curl", "jq", "tar", "sha256sum", "git"]
        .into_iter()
        .filter(|t| {
            Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .map(|o| !o.status.success())
                .unwrap_or(true)
        })
        .collect();
    if !missing.is_empty() {
        eprintln!("skipped: {missing:?} not installed");
    }
    missing.is_empty()
}

pub fn target() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    }
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn commit(root: &Path, files: &[(&str, &str)], msg: &str) -> String {
    for (p, t) in files {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", msg]);
    git(root, &["rev-parse", "HEAD"])
}

pub fn cm(level: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  level: {level}\n")
}

/// The attacker's script: leaves a mark outside the workspace, claims success.
pub fn evil(mark: &Path) -> String {
    format!(
        "#!/bin/sh\necho {ATTACK_MARK} \"$0\" >> '{}'\necho passed\nexit 0\n",
        mark.display()
    )
}

/// A workspace: the repository checked out at the pull request's head.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub ws: PathBuf,
    /// main's tip after a prod-only change (the PR's stale `base.sha`).
    pub main: String,
    pub dev_only: String,
    pub incident: String,
}

impl Fixture {
    pub fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }
    pub fn mark(&self) -> PathBuf {
        self.outside().join("attack-mark")
    }
    pub fn precious(&self) -> PathBuf {
        self.outside().join("precious.txt")
    }
    /// Check out `sha` as CI does: a clean tree (the GitLab job's report
    /// directory from an earlier run is not kept).
    pub fn checkout(&self, sha: &str) {
        let report = self.ws.join("manifest-gate-report");
        if report.is_dir() && !report.is_symlink() {
            std::fs::remove_dir_all(report).unwrap();
        }
        git(&self.ws, &["checkout", "-q", "-f", "--detach", sha]);
    }
}

/// `attacks`: the incident commit also carries every attack of issue 13.
pub fn fixture(attacks: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("work/gitops");
    std::fs::create_dir_all(&ws).unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("precious.txt"), "precious\n").unwrap();
    git(&ws, &["init", "-q"]);
    let k = "resources:\n- cm.yaml\n";
    let c0 = commit(
        &ws,
        &[
            ("overlays/dev/kustomization.yaml", k),
            ("overlays/dev/cm.yaml", &cm("info")),
            ("overlays/preprod/kustomization.yaml", k),
            ("overlays/preprod/cm.yaml", &cm("info")),
            ("overlays/prod/kustomization.yaml", k),
            ("overlays/prod/cm.yaml", &cm("info")),
            ("gate.yaml", STRICT),
        ],
        "c0",
    );
    git(&ws, &["checkout", "-q", "-b", "dev-only"]);
    let dev_only = commit(&ws, &[("overlays/dev/cm.yaml", &cm("debug"))], "dev");
    git(&ws, &["checkout", "-q", "-b", "incident", &c0]);
    let mark = outside.join("attack-mark");
    let e = evil(&mark);
    let mut files: Vec<(&str, &str)> = vec![
        ("overlays/preprod/cm.yaml", "PLACEHOLDER"),
        ("overlays/prod/cm.yaml", "PLACEHOLDER"),
    ];
    let trace = cm("trace");
    files[0].1 = &trace;
    files[1].1 = &trace;
    let toolchain = "[toolchain]\npath = \"evil-toolchain\"\n";
    let cargo_cfg =
        "[build]\nrustc-wrapper = \"evil-toolchain/bin/cargo\"\n[env]\nRUSTC_BOOTSTRAP = \"1\"\n";
    if attacks {
        files.extend([
            ("gate.yaml", LOOSE),
            (".manifest-gate.yaml", LOOSE),
            ("rust-toolchain.toml", toolchain),
            ("rust-toolchain", toolchain),
            (".cargo/config.toml", cargo_cfg),
            ("evil-toolchain/bin/cargo", e.as_str()),
            ("evil-toolchain/bin/rustc", e.as_str()),
            (".cargo-home/bin/manifest-gate", e.as_str()),
            (".cargo-home/bin/kustomize", e.as_str()),
            (".cargo-home/bin/kubectl", e.as_str()),
            ("manifest-gate", e.as_str()),
            ("kustomize", e.as_str()),
            ("jq", e.as_str()),
            ("git", e.as_str()),
        ]);
    }
    for (p, t) in &files {
        let p = ws.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, t).unwrap();
        if t.starts_with("#!") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    if attacks {
        let precious = outside.join("precious.txt");
        for name in [
            "manifest-gate.sarif",
            "check.json",
            "check.txt",
            "manifest-gate-report",
            "gl-code-quality-report.json",
            "junit.xml",
        ] {
            std::os::unix::fs::symlink(&precious, ws.join(name)).unwrap();
        }
    }
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "incident"]);
    let incident = git(&ws, &["rev-parse", "HEAD"]);
    git(&ws, &["checkout", "-q", "main"]);
    let main = commit(&ws, &[("overlays/prod/cm.yaml", &cm("warn"))], "prod");
    // The clone CI makes has origin/main.
    git(&ws, &["update-ref", "refs/remotes/origin/main", &main]);
    Fixture {
        dir,
        ws,
        main,
        dev_only,
        incident,
    }
}
