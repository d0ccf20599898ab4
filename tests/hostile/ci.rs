//! 5a. CI edge cases: shallow clones, merge commits, renamed and deleted overlays.

use crate::util::*;

fn cmv(v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  v: \"{v}\"\n")
}

fn three_commits() -> Repo {
    let mut r = Repo::new();
    r.files(&[
        ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("base/cm.yaml", &cmv("1")),
        (
            "overlays/dev/kustomization.yaml",
            "resources: [../../base]\n",
        ),
    ]);
    r.files(&[("base/cm.yaml", &cmv("2"))]);
    r.files(&[("base/cm.yaml", &cmv("3"))]);
    r
}

#[test]
fn base_missing_from_a_shallow_clone_names_the_fetch() {
    let r = three_commits();
    let shallow = r.outer.path().join("shallow");
    git(
        r.outer.path(),
        &[
            "clone",
            "-q",
            "--depth=1",
            &format!("file://{}", r.root().display()),
            shallow.to_str().unwrap(),
        ],
    );
    let base = r.commits[0].clone();
    for cmd in ["diff", "check"] {
        let o = mg(&shallow, &[cmd, "--base", &base, "--head", "HEAD"]);
        assert_eq!(o.code, 2, "{o:#?}");
        assert!(!o.stderr.contains("panicked"));
        let errs: Vec<&str> = o
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(errs.len(), 1, "{o:#?}");
        assert!(errs[0].contains(&base), "{o:#?}");
        assert!(errs[0].contains("git fetch --depth="), "{o:#?}");
        assert!(errs[0].contains(&format!(" origin {base}")), "{o:#?}");
        assert!(
            o.stdout.is_empty(),
            "never a comparison against an empty tree: {o:#?}"
        );
        // A relative revision past the shallow boundary.
        let o = mg(&shallow, &[cmd, "--base", "HEAD~1", "--head", "HEAD"]);
        assert_eq!(o.code, 2, "{o:#?}");
        assert!(o.stderr.contains("git fetch --deepen="), "{o:#?}");
        assert!(o.stdout.is_empty());
    }
    // After the fetch the error says, the base is there; judging against the
    // merge base then needs the history between them, and the error says so.
    git(&shallow, &["fetch", "-q", "--depth=1", "origin", &base]);
    let o = mg(&shallow, &["diff", "--base", &base, "--head", "HEAD"]);
    assert_eq!(o.code, 2, "{o:#?}");
    assert!(o.stdout.is_empty(), "{o:#?}");
    assert!(o.stderr.contains("git fetch --deepen="), "{o:#?}");
    let o = mg(
        &shallow,
        &["diff", "--base", &base, "--head", "HEAD", "--base-exact"],
    );
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("overlays/dev"), "{o:#?}");
    // After the deepening the error names, the merge base is found.
    git(&shallow, &["fetch", "-q", "--deepen=200", "origin"]);
    let o = mg(&shallow, &["diff", "--base", &base, "--head", "HEAD"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("overlays/dev"), "{o:#?}");
}

#[test]
fn merge_commit_as_head() {
    let mut r = Repo::new();
    r.files(&[
        ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("base/cm.yaml", &cmv("1")),
        (
            "overlays/dev/kustomization.yaml",
            "resources: [../../base]\n",
        ),
    ]);
    let root = r.root();
    git(&root, &["checkout", "-q", "-b", "feature"]);
    r.files(&[("base/cm.yaml", &cmv("feature"))]);
    git(&root, &["checkout", "-q", "main"]);
    r.files(&[("other.txt", "x\n")]);
    git(&root, &["merge", "-q", "--no-ff", "-m", "merge", "feature"]);
    let merge = git(&root, &["rev-parse", "HEAD"]);
    let o = r.run(&[
        "diff",
        "--base",
        &r.commits[0],
        "--head",
        &merge,
        "--format",
        "json",
    ]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("feature"), "{o:#?}");
    let o = r.run(&["diff", "--base", "HEAD^1", "--head", "HEAD"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("overlays/dev"), "{o:#?}");
    let o = r.run(&["check", "--base", "HEAD^1", "--head", "HEAD"]);
    assert!(o.code == 0 || o.code == 1, "{o:#?}");
}

#[test]
fn overlays_renamed_or_deleted() {
    let mut r = Repo::new();
    r.files(&[
        ("base/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("base/cm.yaml", &cmv("1")),
        (
            "overlays/dev/kustomization.yaml",
            "resources: [../../base]\n",
        ),
        (
            "overlays/prod/kustomization.yaml",
            "resources: [../../base]\n",
        ),
    ]);
    // rename dev -> development
    r.remove("overlays/dev");
    r.write(
        "overlays/development/kustomization.yaml",
        "resources: [../../base]\n",
    );
    r.commit();
    // delete prod
    r.remove("overlays/prod");
    r.commit();
    let c = r.commits.clone();
    let o = r.run(&["diff", "--base", &c[0], "--head", &c[1], "--format", "json"]);
    assert_eq!(o.code, 0, "{o:#?}");
    let j: serde_json::Value = serde_json::from_str(&o.stdout).unwrap();
    let st: Vec<(String, String)> = j["overlays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["path"].as_str().unwrap().into(),
                x["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        st.contains(&("overlays/dev".into(), "removed".into())),
        "{st:?}"
    );
    assert!(
        st.contains(&("overlays/development".into(), "added".into())),
        "{st:?}"
    );
    let o = r.run(&["diff", "--base", &c[1], "--head", &c[2], "--format", "json"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("\"removed\""), "{o:#?}");
    for (b, h) in [(&c[0], &c[1]), (&c[1], &c[2]), (&c[0], &c[2])] {
        let o = r.run(&["check", "--base", b, "--head", h]);
        assert!(o.code == 0 || o.code == 1, "{o:#?}");
        assert!(!o.stderr.contains("panicked"));
    }
}

#[test]
fn unknown_revisions_are_errors() {
    let r = three_commits();
    for cmd in ["diff", "check"] {
        let o = r.run(&[cmd, "--base", "no-such-branch", "--head", "HEAD"]);
        assert_eq!(o.code, 2, "{o:#?}");
        assert!(o.stderr.contains("no-such-branch"));
        assert!(o.stdout.is_empty());
    }
}
