//! `manifest-gate render` as a user runs it: from git objects at a revision,
//! from the working tree, and on broken input (exit 2, one line naming the file).

mod common;
use common::TestRepo;
use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

const KUST: &str = "resources:\n- cm.yaml\nnamePrefix: p-\n";
const CM1: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: one\n";
const CM2: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  v: two\n";

#[test]
fn ref_renders_an_earlier_commit_without_touching_the_working_tree() {
    let repo = TestRepo::build(&[
        &[
            ("app/kustomization.yaml", Some(KUST)),
            ("app/cm.yaml", Some(CM1)),
        ],
        &[("app/cm.yaml", Some(CM2))],
    ]);
    let root = repo.path();
    // An uncommitted edit in the working tree.
    std::fs::write(root.join("app/cm.yaml"), CM1.replace("one", "dirty")).unwrap();
    let status_before = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&root)
        .output()
        .unwrap();

    let old = run(&root, &["render", "app", "--ref", "HEAD~1"]);
    assert!(
        old.status.success(),
        "{}",
        String::from_utf8_lossy(&old.stderr)
    );
    let old = String::from_utf8(old.stdout).unwrap();
    assert!(
        old.contains("v: one") && old.contains("name: p-cm"),
        "{old}"
    );

    let head = String::from_utf8(run(&root, &["render", "app", "--ref", "HEAD"]).stdout).unwrap();
    assert!(head.contains("v: two"), "{head}");
    let wt = String::from_utf8(run(&root, &["render", "app"]).stdout).unwrap();
    assert!(wt.contains("v: dirty"), "{wt}");

    // From a subdirectory, with a relative path, the repository root is found by git.
    let sub =
        String::from_utf8(run(&root.join("app"), &["render", ".", "--ref", "c0"]).stdout).unwrap();
    assert_eq!(sub, old);

    let status_after = Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert_eq!(
        status_before.stdout, status_after.stdout,
        "render --ref must not touch the working tree"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("app/cm.yaml")).unwrap(),
        CM1.replace("one", "dirty")
    );
}

/// (name, files, text expected in the one-line error)
type Case = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
);

/// Each broken input: exit code 2, no panic, one line on stderr naming the file.
#[test]
fn broken_input_fails_with_one_line_naming_the_file() {
    let bomb = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";
    let cases: Vec<Case> = vec![
        (
            "malformed",
            vec![
                ("k/kustomization.yaml", "resources: [a.yaml]\n"),
                ("k/a.yaml", "kind: ConfigMap\nmetadata: {name: [\n"),
            ],
            "k/a.yaml",
        ),
        (
            "missing",
            vec![("k/kustomization.yaml", "resources:\n- nothere.yaml\n")],
            "k/kustomization.yaml:2",
        ),
        (
            "cycle",
            vec![
                ("k/kustomization.yaml", "resources:\n- ../j\n"),
                ("j/kustomization.yaml", "resources:\n- ../k\n"),
            ],
            "cycle",
        ),
        (
            "escape",
            vec![("k/kustomization.yaml", "resources:\n- ../../outside.yaml\n")],
            "k/kustomization.yaml:2",
        ),
        (
            "absolute",
            vec![("k/kustomization.yaml", "resources:\n- /etc/passwd\n")],
            "k/kustomization.yaml:2",
        ),
        (
            "bomb",
            vec![
                ("k/kustomization.yaml", "resources: [b.yaml]\n"),
                ("k/b.yaml", bomb),
            ],
            "k/b.yaml",
        ),
        (
            "no-kustomization",
            vec![("k/x.yaml", "a: 1\n")],
            "unable to find one of",
        ),
    ];
    for (name, files, needle) in cases {
        let commit: Vec<(&str, Option<&str>)> = files.iter().map(|(p, c)| (*p, Some(*c))).collect();
        let repo = TestRepo::build(&[&commit]);
        for args in [vec!["render", "k"], vec!["render", "k", "--ref", "HEAD"]] {
            let o = run(&repo.path(), &args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{name} {args:?}: {err}");
            assert!(!err.contains("panicked"), "{name}: {err}");
            assert_eq!(
                err.trim_end().lines().count(),
                1,
                "{name}: one line expected: {err}"
            );
            assert!(
                err.contains(needle),
                "{name} {args:?}: expected '{needle}' in: {err}"
            );
            assert!(o.stdout.is_empty(), "{name}: nothing rendered");
        }
    }
}
