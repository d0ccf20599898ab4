//! Incremental rendering sees through symlinks: a change to a link's target, to a
//! file reached through a directory link, or a retargeted link re-renders the
//! overlay, so `check` and `diff` see the change exactly as `diff --full` does.

use crate::util::*;

fn prod_cm(v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prod\ndata:\n  image: \"{v}\"\n")
}

/// `diff --format json` of the last two commits, incremental and full.
fn diffs(r: &Repo) -> (Out, Out) {
    let (b, h) = (&r.commits[r.commits.len() - 2], r.commits.last().unwrap());
    let args = [
        "diff",
        "--base",
        b.as_str(),
        "--head",
        h.as_str(),
        "--format",
        "json",
    ];
    let inc = r.run(&args);
    let mut full_args = args.to_vec();
    full_args.push("--full");
    (inc, r.run(&full_args))
}

fn assert_sees_change(r: &Repo, what: &str) {
    let (inc, full) = diffs(r);
    assert_eq!(full.code, 0, "{what}: {full:#?}");
    assert!(
        full.stdout.contains("\"modified\""),
        "{what}: full diff sees no change: {full:#?}"
    );
    // Markers are keyed per run, and `--full` re-renders everything: compare
    // without them.
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("sha256:") && !l.contains("\"inputs_changed\""))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(inc.code, 0, "{what}: {inc:#?}");
    assert_eq!(strip(&inc.stdout), strip(&full.stdout), "{what}");
    let (b, h) = (&r.commits[r.commits.len() - 2], r.commits.last().unwrap());
    let c = r.run(&["check", "--base", b, "--head", h]);
    assert!(
        c.stdout.contains("overlays/prod") && !c.stdout.contains("environments touched: none"),
        "{what}: check does not see the prod change: {c:#?}"
    );
}

fn base_layout(r: &mut Repo) {
    r.write("shared/prod-cm.yaml", prod_cm("v1"))
        .write("base/cm.yaml", cm("base"))
        .write("base/kustomization.yaml", "resources: [cm.yaml]\n")
        .write(
            "overlays/prod/kustomization.yaml",
            "resources:\n- cm.yaml\n- base\n",
        )
        .symlink("overlays/prod/cm.yaml", "../../shared/prod-cm.yaml")
        .symlink("overlays/prod/base", "../../base");
    r.commit();
}

#[test]
fn change_to_a_file_symlink_target_is_seen() {
    let mut r = Repo::new();
    base_layout(&mut r);
    r.write("shared/prod-cm.yaml", prod_cm("v2"));
    r.commit();
    assert_sees_change(&r, "file link target edited");
}

#[test]
fn change_through_a_directory_symlink_is_seen() {
    let mut r = Repo::new();
    base_layout(&mut r);
    r.write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\ndata:\n  k: changed\n",
    );
    r.commit();
    assert_sees_change(&r, "file under a directory link edited");
}

#[test]
fn retargeted_symlink_is_seen() {
    let mut r = Repo::new();
    base_layout(&mut r);
    r.write("shared/prod-cm-2.yaml", prod_cm("v9"));
    r.remove("overlays/prod/cm.yaml")
        .symlink("overlays/prod/cm.yaml", "../../shared/prod-cm-2.yaml");
    r.commit();
    assert_sees_change(&r, "file link retargeted");
}

#[test]
fn kustomization_added_behind_a_directory_link_is_seen() {
    // The directory link's target gains a patch through its kustomization.
    let mut r = Repo::new();
    base_layout(&mut r);
    r.write(
        "base/kustomization.yaml",
        "resources: [cm.yaml]\ncommonLabels: {tier: x}\n",
    );
    r.commit();
    assert_sees_change(&r, "kustomization behind a link edited");
}

/// Issue 9.4: a DAG of two directory links per level (each level links twice to
/// the next) doubles the paths per level. Discovery lists every physical
/// directory once, so `overlays`, `diff` and `check` finish quickly and find the
/// one overlay under its symlink-free path; `render --all` too.
#[test]
fn directory_symlink_dag_is_walked_once() {
    let mut r = Repo::new();
    let levels = 24;
    for i in 0..levels {
        r.write(&format!("l{i}/.keep"), "");
        if i + 1 < levels {
            for n in ["a", "b"] {
                r.symlink(&format!("l{i}/{n}"), &format!("../l{}", i + 1));
            }
        }
    }
    r.write(
        &format!("l{}/kustomization.yaml", levels - 1),
        "resources: [cm.yaml]\n",
    )
    .write(&format!("l{}/cm.yaml", levels - 1), cm("deep"));
    r.commit();
    r.write(&format!("l{}/cm.yaml", levels - 1), cm("deeper"));
    r.commit();
    let o = r.run(&["overlays"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(o.stdout.contains("l23 "), "{o:#?}");
    assert!(!o.stdout.contains("l0/a"), "aliases are not walked: {o:#?}");
    assert!(o.secs < 10.0, "{o:#?}");
    let (b, h) = (&r.commits[0], &r.commits[1]);
    let d = r.run(&["diff", "--base", b, "--head", h, "--format", "json"]);
    assert_eq!(d.code, 0, "{d:#?}");
    assert!(d.stdout.contains("\"path\": \"l23\""), "{d:#?}");
    assert!(d.secs < 10.0, "{d:#?}");
    let out = r.outer.path().join("out");
    let a = r.run(&["render", "--all", "--out", out.to_str().unwrap()]);
    assert_eq!(a.code, 0, "{a:#?}");
    assert!(out.join("l23.yaml").exists());
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "{a:#?}");
}
