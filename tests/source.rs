//! Sources against real git repositories built in temporary directories.
use manifest_gate::source::{EntryKind, FsSource, GitSource, Source, DEFAULT_MAX_FILE_BYTES};
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "core.symlinks=true",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn symlink(root: &Path, rel: &str, target: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, p).unwrap();
}

const LFS: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

struct Fixture {
    dir: tempfile::TempDir,
    c1: String,
    c2: String,
}

impl Fixture {
    fn root(&self) -> &Path {
        self.dir.path()
    }
}

/// Two commits; the working tree differs from both.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(
        root,
        "base/kustomization.yaml",
        "resources: [cm.yaml] # v1\n",
    );
    write(root, "base/cm.yaml", "kind: ConfigMap\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "one"]);
    let c1 = git(root, &["rev-parse", "HEAD"]);
    git(root, &["tag", "-a", "v1", "-m", "v1"]);
    git(root, &["tag", "light", "HEAD"]);
    git(root, &["branch", "old"]);

    write(
        root,
        "base/kustomization.yaml",
        "resources: [cm.yaml] # v2\n",
    );
    symlink(root, "overlays/prod/base", "../../base");
    symlink(
        root,
        "overlays/prod/k.yaml",
        "../../base/kustomization.yaml",
    );
    symlink(root, "overlays/prod/chain.yaml", "k.yaml");
    write(
        root,
        "overlays/prod/kustomization.yaml",
        "resources: [base]\n",
    );
    symlink(root, "esc", "../outside.yaml");
    symlink(root, "abs", "/etc/passwd");
    symlink(root, "loop", "loop");
    symlink(root, "dangling", "nothing-here");
    write(root, "lfs.yaml", LFS);
    write(root, "big.yaml", &"x".repeat(2000));
    git(root, &["add", "-A"]);
    // A submodule entry (gitlink) pointing at some commit.
    git(
        root,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{c1},sub"),
        ],
    );
    git(root, &["commit", "-qm", "two"]);
    let c2 = git(root, &["rev-parse", "HEAD"]);

    // Uncommitted change in the working tree.
    write(
        root,
        "base/kustomization.yaml",
        "resources: [cm.yaml] # wt\n",
    );
    Fixture { dir, c1, c2 }
}

fn text(s: &dyn Source, p: &str) -> String {
    String::from_utf8(s.read(p).unwrap_or_else(|e| panic!("{p}: {e}")).to_vec()).unwrap()
}

fn err(r: manifest_gate::Result<impl std::fmt::Debug>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn reads_at_revisions_while_working_tree_differs() {
    let f = fixture();
    let head = GitSource::open(f.root(), "HEAD").unwrap();
    let prev = GitSource::open(f.root(), "HEAD~1").unwrap();
    let wt = FsSource::new(f.root()).unwrap();
    assert!(text(&head, "base/kustomization.yaml").contains("# v2"));
    assert!(text(&prev, "base/kustomization.yaml").contains("# v1"));
    assert!(text(&wt, "base/kustomization.yaml").contains("# wt"));
    assert_eq!(head.commit_id(), f.c2);
    assert_eq!(prev.commit_id(), f.c1);
    assert!(head
        .describe()
        .starts_with(&format!("revision {}", &f.c2[..12])));
    assert_eq!(wt.describe(), "working tree");
    // HEAD~1 has no overlays.
    assert_eq!(prev.entry("overlays").unwrap(), None);
    assert!(err(prev.read("overlays/prod/kustomization.yaml")).contains("does not exist"));
}

#[test]
fn branch_tag_sha_revs() {
    let f = fixture();
    for rev in [
        "old",
        "v1",
        "light",
        "refs/tags/v1",
        &f.c1,
        &f.c1[..10],
        "main~1",
        "main^",
    ] {
        let s = GitSource::open(f.root(), rev).unwrap_or_else(|e| panic!("{rev}: {e}"));
        assert_eq!(s.commit_id(), f.c1, "{rev}");
        assert!(text(&s, "base/kustomization.yaml").contains("# v1"));
    }
    let s = GitSource::open_commit_id(f.root(), &f.c2).unwrap();
    assert_eq!(s.commit_id(), f.c2);
    assert_eq!(s.commit_oid().to_string(), f.c2);
    assert!(err(GitSource::open_commit_id(f.root(), &f.c2[..12])).contains("not a full commit id"));
    assert!(err(GitSource::open_commit_id(f.root(), &"1".repeat(40))).contains("unknown revision"));
    // A tree is not a commit.
    let e = err(GitSource::open(f.root(), "HEAD^{tree}"));
    assert!(e.contains("not a commit"), "{e}");
}

#[test]
fn unknown_revision_is_one_line() {
    let f = fixture();
    let e = err(GitSource::open(f.root(), "no-such-branch"));
    assert!(e.contains("unknown revision 'no-such-branch'"), "{e}");
    assert!(!e.contains('\n'));
    let e = err(GitSource::open(f.root(), "HEAD~5"));
    assert!(e.contains("unknown revision 'HEAD~5'"), "{e}");
    let e = err(GitSource::open(&f.root().join("base"), "HEAD"));
    assert!(e.contains("cannot open git repository"), "{e}");
}

#[test]
fn shallow_clone_missing_commit() {
    let f = fixture();
    let dst = tempfile::tempdir().unwrap();
    let url = format!("file://{}", f.root().display());
    git(
        dst.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let sh = dst.path().join("shallow");
    let head = GitSource::open(&sh, "HEAD").unwrap();
    assert_eq!(head.commit_id(), f.c2);
    assert!(text(&head, "base/kustomization.yaml").contains("# v2"));

    let e = err(GitSource::open(&sh, "HEAD~1"));
    assert!(
        e.contains("missing from this shallow clone") && e.contains("git fetch --deepen=50 origin"),
        "{e}"
    );
    assert!(!e.contains('\n'));
    let e = err(GitSource::open(&sh, &f.c1));
    assert!(
        e.contains("shallow clone") && e.contains(&format!("git fetch --depth=1 origin {}", f.c1)),
        "{e}"
    );
    let e = err(GitSource::open_commit_id(&sh, &f.c1));
    assert!(e.contains("shallow clone"), "{e}");
}

fn check_symlinks(s: &dyn Source) {
    assert!(text(s, "overlays/prod/k.yaml").starts_with("resources: [cm.yaml]"));
    assert!(text(s, "overlays/prod/chain.yaml").starts_with("resources: [cm.yaml]"));
    // A directory reached through a symlink.
    assert_eq!(text(s, "overlays/prod/base/cm.yaml"), "kind: ConfigMap\n");
    assert_eq!(s.entry("overlays/prod/base").unwrap(), Some(EntryKind::Dir));
    assert_eq!(
        s.entry("overlays/prod/k.yaml").unwrap(),
        Some(EntryKind::File)
    );
    let names: Vec<_> = s
        .list("overlays/prod/base")
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["cm.yaml", "kustomization.yaml"]);
    assert_eq!(
        s.list("overlays/prod").unwrap(),
        vec![
            ("base".to_string(), EntryKind::Dir),
            ("chain.yaml".to_string(), EntryKind::File),
            ("k.yaml".to_string(), EntryKind::File),
            ("kustomization.yaml".to_string(), EntryKind::File),
        ]
    );

    let e = err(s.read("esc"));
    assert!(
        e.contains("symlink 'esc'") && e.contains("leaves the repository root"),
        "{e}"
    );
    assert!(s.entry("esc").is_err());
    let e = err(s.read("abs"));
    assert!(e.contains("symlink 'abs'") && e.contains("absolute"), "{e}");
    let e = err(s.read("loop"));
    assert!(e.contains("too many levels of symbolic links"), "{e}");
    assert_eq!(s.entry("dangling").unwrap(), None);
    assert!(err(s.read("dangling")).contains("does not exist"));
    // Bad links are not listed.
    let top: Vec<_> = s.list("").unwrap().into_iter().map(|(n, _)| n).collect();
    for bad in ["esc", "abs", "loop", "dangling", ".git"] {
        assert!(!top.contains(&bad.to_string()), "{bad} listed: {top:?}");
    }
    // Directories are not files; files are not directories.
    assert!(err(s.read("base")).contains("is a directory"));
    assert!(err(s.list("base/cm.yaml")).contains("not a directory"));
    assert!(err(s.list("nope")).contains("does not exist"));
    assert_eq!(s.entry("base/cm.yaml/x").unwrap(), None);
    // .git is never readable.
    assert!(err(s.read(".git/config")).contains(".git"));
    assert!(err(s.read(".git/HEAD")).contains(".git"));
    assert!(s.entry(".git").is_err());
    // Paths leaving the root are refused.
    assert!(s.read("../x").is_err());
    assert!(s.read("/etc/passwd").is_err());
}

#[test]
fn symlinks_git() {
    let f = fixture();
    check_symlinks(&GitSource::open(f.root(), "HEAD").unwrap());
}

#[test]
fn symlinks_fs() {
    let f = fixture();
    check_symlinks(&FsSource::new(f.root()).unwrap());
}

#[test]
fn submodule_and_lfs() {
    let f = fixture();
    let s = GitSource::open(f.root(), "HEAD").unwrap();
    assert_eq!(s.entry("sub").unwrap(), Some(EntryKind::Submodule));
    assert!(s
        .list("")
        .unwrap()
        .contains(&("sub".to_string(), EntryKind::Submodule)));
    let e = err(s.read("sub"));
    assert!(
        e.contains("'sub' is a git submodule, not renderable"),
        "{e}"
    );
    let e = err(s.read("sub/kustomization.yaml"));
    assert!(e.contains("git submodule, not renderable"), "{e}");
    let e = err(s.read("lfs.yaml"));
    assert!(
        e.contains("lfs.yaml") && e.contains("Git LFS pointer"),
        "{e}"
    );
    assert_eq!(s.entry("lfs.yaml").unwrap(), Some(EntryKind::File));

    let wt = FsSource::new(f.root()).unwrap();
    assert!(err(wt.read("lfs.yaml")).contains("Git LFS pointer"));
    // On disk, a directory holding .git is a submodule (or nested repository).
    write(
        f.root(),
        "vendored/.git",
        "gitdir: ../.git/modules/vendored\n",
    );
    write(f.root(), "vendored/kustomization.yaml", "resources: []\n");
    assert_eq!(wt.entry("vendored").unwrap(), Some(EntryKind::Submodule));
    assert!(err(wt.read("vendored/kustomization.yaml")).contains("submodule"));
    assert!(!wt
        .all_files()
        .unwrap()
        .iter()
        .any(|p| p.starts_with("vendored")));
}

#[test]
fn size_cap() {
    let f = fixture();
    assert_eq!(DEFAULT_MAX_FILE_BYTES, 16 * 1024 * 1024);
    let g = GitSource::open(f.root(), "HEAD")
        .unwrap()
        .with_max_file_bytes(1000);
    let e = err(g.read("big.yaml"));
    assert!(
        e.contains("big.yaml") && e.contains("2000 bytes") && e.contains("limit of 1000 bytes"),
        "{e}"
    );
    assert!(g.read("base/cm.yaml").is_ok());
    let w = FsSource::new(f.root()).unwrap().with_max_file_bytes(1000);
    let e = err(w.read("big.yaml"));
    assert!(
        e.contains("big.yaml") && e.contains("limit of 1000 bytes"),
        "{e}"
    );
    assert_eq!(
        GitSource::open(f.root(), "HEAD")
            .unwrap()
            .read("big.yaml")
            .unwrap()
            .len(),
        2000
    );
}

#[test]
fn all_files_git_and_fs_agree() {
    let f = fixture();
    let g = GitSource::open(f.root(), "HEAD").unwrap();
    let expected = [
        "base/cm.yaml",
        "base/kustomization.yaml",
        "big.yaml",
        "lfs.yaml",
        "overlays/prod/chain.yaml",
        "overlays/prod/k.yaml",
        "overlays/prod/kustomization.yaml",
    ];
    assert_eq!(g.all_files().unwrap(), expected);
    assert_eq!(
        FsSource::new(f.root()).unwrap().all_files().unwrap(),
        expected
    );
    let prev = GitSource::open(f.root(), "HEAD~1").unwrap();
    assert_eq!(
        prev.all_files().unwrap(),
        ["base/cm.yaml", "base/kustomization.yaml"]
    );
    assert_eq!(
        g.list("base").unwrap(),
        vec![
            ("cm.yaml".to_string(), EntryKind::File),
            ("kustomization.yaml".to_string(), EntryKind::File)
        ]
    );
    assert_eq!(g.entry("").unwrap(), Some(EntryKind::Dir));
    assert_eq!(g.entry("base/").unwrap(), Some(EntryKind::Dir));
}

#[test]
fn parallel_reads_share_one_source() {
    let f = fixture();
    let g = std::sync::Arc::new(GitSource::open(f.root(), "HEAD").unwrap());
    std::thread::scope(|sc| {
        for _ in 0..4 {
            let g = g.clone();
            sc.spawn(move || {
                for _ in 0..50 {
                    assert!(text(&*g, "overlays/prod/base/kustomization.yaml").contains("# v2"));
                    assert_eq!(text(&*g, "base/cm.yaml"), "kind: ConfigMap\n");
                }
            });
        }
    });
    // Cached reads hand out the same allocation.
    let a = g.read("base/cm.yaml").unwrap();
    let b = g.read("overlays/prod/base/cm.yaml").unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}
