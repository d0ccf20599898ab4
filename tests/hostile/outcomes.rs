//! Per-overlay outcomes (issue 11, items 1, 2, 5): one overlay that does not
//! render (a missing file) elsewhere in the repository does not stop the gate
//! from deciding on a change that does not reach it; it is a note in every
//! format. A change that reaches it is "could not decide" (exit 2) naming it
//! and its cause, unless the configuration excludes it.

use crate::util::*;

/// `overlays/dev`, `overlays/prod` (both on `base`) and `broken`, which names a
/// file that does not exist.
fn layout() -> Repo {
    let mut r = Repo::new();
    r.write("base/kustomization.yaml", "resources: [cm.yaml]\n")
        .write("base/cm.yaml", cm("base"))
        .write(
            "overlays/dev/kustomization.yaml",
            "resources: [../../base, dev.yaml]\n",
        )
        .write("overlays/dev/dev.yaml", cm("dev"))
        .write(
            "overlays/prod/kustomization.yaml",
            "resources: [../../base]\n",
        )
        .write(
            "broken/kustomization.yaml",
            "resources:\n- app.yaml\n- missing.yaml\n",
        )
        .write("broken/app.yaml", cm("broken"))
        .write("docs/README.md", "docs\n");
    r.commit();
    r
}

fn last_two(r: &Repo) -> (String, String) {
    let n = r.commits.len();
    (r.commits[n - 2].clone(), r.commits[n - 1].clone())
}

fn run_all(r: &Repo, b: &str, h: &str) -> Vec<(&'static str, Out)> {
    run_all_with(r, b, h, &[])
}

/// Every command and format, with `extra` flags after the revisions.
fn run_all_with(r: &Repo, b: &str, h: &str, extra: &[&str]) -> Vec<(&'static str, Out)> {
    let mut out = Vec::new();
    for (name, args) in [
        ("check text", vec!["check"]),
        ("check json", vec!["check", "--format", "json"]),
        ("check sarif", vec!["check", "--format", "sarif"]),
        ("check markdown", vec!["check", "--format", "markdown"]),
        ("diff text", vec!["diff"]),
        ("diff json", vec!["diff", "--format", "json"]),
        ("diff markdown", vec!["diff", "--format", "markdown"]),
        ("comment", vec!["comment", "--forge", "github", "--dry-run"]),
    ] {
        let mut a = args.clone();
        a.extend(["--base", b, "--head", h]);
        a.extend(extra);
        out.push((name, r.run(&a)));
    }
    out
}

/// Every format decides (exit 0 or 1). By default `broken` is not reached,
/// so it is not rendered and counted as such; with `--full` it is rendered
/// and noted with its cause.
fn assert_decided_with_note(r: &Repo, what: &str, expect_code: i32) {
    let (b, h) = last_two(r);
    let code_of = |name: &str| {
        if name.starts_with("diff") {
            0
        } else {
            expect_code
        }
    };
    for (name, o) in run_all(r, &b, &h) {
        assert!(!o.stderr.contains("panicked"), "{what}/{name}: {o:#?}");
        assert_eq!(o.code, code_of(name), "{what}/{name}: {o:#?}");
        assert!(
            !o.stdout.contains("missing.yaml"),
            "{what}/{name}: an overlay the change does not reach was rendered: {o:#?}"
        );
        if name.ends_with("json") {
            assert!(
                o.stdout.contains("\"not_rendered\": ")
                    && o.stdout.contains("\"unrenderable_unreached\": 0"),
                "{what}/{name}: {o:#?}"
            );
        } else {
            assert!(
                o.stdout
                    .contains("not reached by the change (not rendered)"),
                "{what}/{name}: no summary line: {o:#?}"
            );
        }
    }
    for (name, o) in run_all_with(r, &b, &h, &["--full"]) {
        assert!(
            !o.stderr.contains("panicked"),
            "{what}/{name} --full: {o:#?}"
        );
        assert_eq!(o.code, code_of(name), "{what}/{name} --full: {o:#?}");
        assert!(
            o.stdout.contains("broken"),
            "{what}/{name} --full: no note: {o:#?}"
        );
        assert!(
            o.stdout.contains("missing.yaml"),
            "{what}/{name} --full: the note has no cause: {o:#?}"
        );
        if !name.ends_with("json") {
            assert!(
                o.stdout
                    .contains("1 unrenderable not reached by the change"),
                "{what}/{name} --full: no summary line: {o:#?}"
            );
        } else {
            assert!(
                o.stdout.contains("\"unrenderable_unreached\": 1")
                    && o.stdout.contains("\"status\": \"unrenderable\"")
                    && o.stdout.contains("\"reached\": false"),
                "{what}/{name} --full: {o:#?}"
            );
        }
    }
}

#[test]
fn a_change_to_another_overlay_is_decided_with_a_note() {
    let mut r = layout();
    r.write("overlays/dev/dev.yaml", cm("dev2"));
    r.commit();
    assert_decided_with_note(&r, "dev change", 0);
    let (b, h) = last_two(&r);
    let o = r.run(&["check", "--base", &b, "--head", &h]);
    assert!(o.stdout.contains("dev: overlays/dev"), "{o:#?}");
}

#[test]
fn a_change_to_two_environments_still_fails_on_its_rules() {
    let mut r = layout();
    r.write("base/cm.yaml", cm("base2"));
    r.commit();
    assert_decided_with_note(&r, "base change", 1);
}

#[test]
fn a_docs_only_change_is_decided_with_a_note() {
    let mut r = layout();
    r.write("docs/README.md", "more docs\n");
    r.commit();
    assert_decided_with_note(&r, "docs change", 0);
    let (b, h) = last_two(&r);
    let o = r.run(&["check", "--base", &b, "--head", &h]);
    assert!(
        o.stdout
            .contains("none (the rendered output does not change)"),
        "{o:#?}"
    );
}

#[test]
fn a_change_the_unrenderable_overlay_reads_is_undecided() {
    let mut r = layout();
    r.write("broken/app.yaml", cm("broken2"));
    r.commit();
    let (b, h) = last_two(&r);
    for (name, o) in run_all(&r, &b, &h) {
        // `check` in a file format prints that format's undecided document,
        // and the comment says that the gate could not decide.
        if (name.starts_with("check ") && name != "check text") || name == "comment" {
            refused_with_report(&o, "broken", "missing.yaml");
        } else {
            refused(&o, "broken", "missing.yaml");
        }
        assert!(
            o.stderr
                .contains("could not decide: overlay broken does not render at base"),
            "{name}: {o:#?}"
        );
    }
    // Creating the missing file reaches it too (the head renders, the base does not).
    r.write("broken/missing.yaml", cm("found"));
    r.commit();
    let (b, h) = last_two(&r);
    let o = r.run(&["check", "--base", &b, "--head", &h]);
    refused(&o, "broken", "missing.yaml");
}

#[test]
fn a_change_that_breaks_an_overlay_is_undecided() {
    let mut r = layout();
    r.remove("overlays/dev/dev.yaml");
    r.commit();
    let (b, h) = last_two(&r);
    let o = r.run(&["check", "--base", &b, "--head", &h]);
    refused(&o, "overlays/dev", "dev.yaml");
    assert!(o.stderr.contains("does not render at head"), "{o:#?}");
}

#[test]
fn excluded_overlays_are_reported_and_not_judged() {
    let mut r = layout();
    r.write(".manifest-gate.yaml", "exclude: [broken]\n");
    r.commit();
    r.write("broken/app.yaml", cm("broken2"));
    r.commit();
    let (b, h) = last_two(&r);
    for (name, o) in run_all_with(&r, &b, &h, &["--full"]) {
        assert_eq!(o.code, 0, "{name}: {o:#?}");
        assert!(o.stdout.contains("broken"), "{name}: {o:#?}");
        if name.ends_with("json") {
            assert!(
                o.stdout.contains("\"status\": \"excluded\"")
                    && o.stdout.contains("\"excluded\": 1"),
                "{name}: {o:#?}"
            );
        } else {
            assert!(
                o.stdout
                    .contains("0 unrenderable not reached by the change, 1 excluded"),
                "{name}: {o:#?}"
            );
        }
    }
    let o = r.run(&["overlays"]);
    assert!(
        o.stdout
            .lines()
            .any(|l| l.starts_with("broken ") && l.contains("excluded by the configuration")),
        "{o:#?}"
    );
    // The exclusion is read from base: adding it in the same change does not count.
    let mut r = layout();
    r.write(".manifest-gate.yaml", "exclude: [broken]\n")
        .write("broken/app.yaml", cm("broken2"));
    r.commit();
    let (b, h) = last_two(&r);
    let o = r.run(&["check", "--base", &b, "--head", &h]);
    refused(&o, "broken", "missing.yaml");
}

#[test]
fn a_changed_unassigned_overlay_is_not_called_unchanged() {
    let mut r = layout();
    r.write("tools/kustomization.yaml", "resources: [t.yaml]\n")
        .write("tools/t.yaml", cm("t"));
    r.commit();
    r.write("tools/t.yaml", cm("t2"));
    r.commit();
    let (b, h) = last_two(&r);
    for args in [
        vec!["check"],
        vec!["comment", "--forge", "github", "--dry-run"],
    ] {
        let mut a = args.clone();
        a.extend(["--base", b.as_str(), "--head", h.as_str()]);
        let o = r.run(&a);
        assert_eq!(o.code, 0, "{o:#?}");
        assert!(!o.stdout.contains("does not change"), "{o:#?}");
        assert!(o.stdout.contains("unassigned"), "{o:#?}");
        assert!(o.stdout.contains("1 changed"), "{o:#?}");
    }
}

#[test]
fn a_remote_base_elsewhere_is_a_note_until_reached() {
    let mut r = layout();
    r.write(
        "remote/kustomization.yaml",
        "resources:\n- https://github.com/example/repo//base?ref=v1\n- local.yaml\n",
    )
    .write("remote/local.yaml", cm("local"));
    r.commit();
    r.write("docs/README.md", "more docs\n");
    r.commit();
    let (b, h) = last_two(&r);
    let o = r.run(&["check", "--base", &b, "--head", &h, "--format", "json"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(
        !o.stdout.contains("\"kind\": \"remote\""),
        "an overlay the change does not reach was rendered: {o:#?}"
    );
    let o = r.run(&[
        "check", "--base", &b, "--head", &h, "--format", "json", "--full",
    ]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert!(
        o.stdout.contains("\"unrenderable_unreached\": 2")
            && o.stdout.contains("\"kind\": \"remote\""),
        "{o:#?}"
    );
    r.write("remote/local.yaml", cm("local2"));
    r.commit();
    let (b, h) = last_two(&r);
    let o = r.run(&["check", "--base", &b, "--head", &h]);
    refused(&o, "remote/kustomization.yaml", "remote");
    assert!(
        o.stderr.contains("overlay remote does not render"),
        "{o:#?}"
    );
}
