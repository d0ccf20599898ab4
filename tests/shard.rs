//! `check --shard I/N` and `merge-reports` (issue 15, item 5): a CI matrix
//! shares the renders, the merge gives the unsharded verdict in every format,
//! and the merge refuses (exit 2, naming the file) shard files that are
//! missing, repeated, made from another change or other options, or altered.

mod common;

use common::{assert_shards_agree, mg, TestRepo};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn cm(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
}

/// Six apps, each with a base and dev/prod overlays; the second commit
/// changes app0's base (dev and prod: two environments) and app3's dev overlay.
fn repo() -> TestRepo {
    let mut first: Vec<(String, String)> = Vec::new();
    for a in 0..6 {
        first.push((
            format!("app{a}/base/kustomization.yaml"),
            "resources: [cm.yaml]\n".into(),
        ));
        first.push((format!("app{a}/base/cm.yaml"), cm(&format!("app{a}"), "1")));
        for env in ["dev", "prod"] {
            first.push((
                format!("app{a}/overlays/{env}/kustomization.yaml"),
                format!("resources: [../../base, {env}.yaml]\n"),
            ));
            first.push((format!("app{a}/overlays/{env}/{env}.yaml"), cm(env, "1")));
        }
    }
    let c0: Vec<(&str, Option<&str>)> = first
        .iter()
        .map(|(p, c)| (p.as_str(), Some(c.as_str())))
        .collect();
    let (b, d) = (cm("app0", "2"), cm("dev", "2"));
    let c1: Vec<(&str, Option<&str>)> = vec![
        ("app0/base/cm.yaml", Some(b.as_str())),
        ("app3/overlays/dev/dev.yaml", Some(d.as_str())),
    ];
    TestRepo::build(&[&c0, &c1])
}

/// The shard files of `check --shard I/N` for every I (extra flags after).
fn shards(repo: &TestRepo, dir: &Path, n: u32, extra: &[&str]) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| {
            let shard = format!("{i}/{n}");
            let mut args = vec!["check", "--base", "c0", "--head", "c1", "--shard", &shard];
            args.extend(extra);
            let (code, out, err) = mg(&repo.path(), &args);
            assert_eq!(code, 0, "{err}");
            let f = dir.join(format!("s{i}.json"));
            std::fs::write(&f, out).unwrap();
            f
        })
        .collect()
}

fn merge(repo: &TestRepo, files: &[PathBuf], extra: &[&str]) -> (i32, String, String) {
    let mut args: Vec<String> = ["merge-reports", "--base", "c0", "--head", "c1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(files.iter().map(|f| f.to_string_lossy().into_owned()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    mg(&repo.path(), &refs)
}

#[test]
fn sharded_runs_give_the_unsharded_verdict() {
    let r = repo();
    assert_eq!(assert_shards_agree(&r.path(), "c0", "c1", &[]), 1);
    assert_eq!(assert_shards_agree(&r.path(), "c0", "c1", &["--full"]), 1);
    assert_eq!(assert_shards_agree(&r.path(), "c0", "c0", &[]), 0);
    assert_eq!(assert_shards_agree(&r.path(), "c0", "c1", &["--all"]), 0);
}

#[test]
fn every_shard_renders_only_its_own_overlays() {
    let r = repo();
    let d = tempfile::tempdir().unwrap();
    let files = shards(&r, d.path(), 3, &[]);
    let mut seen = std::collections::BTreeSet::new();
    for f in &files {
        let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        for e in v["renders"].as_array().unwrap() {
            let key = (
                e["side"].as_str().unwrap().to_string(),
                e["dir"].as_str().unwrap().to_string(),
            );
            assert!(seen.insert(key.clone()), "{key:?} rendered by two shards");
        }
    }
    // app0 dev and prod (base and head), app3 dev (base and head), and the
    // counterpart app3/overlays/... is none (dev is the first environment).
    assert!(
        seen.contains(&("head".into(), "app0/overlays/prod".into())),
        "{seen:?}"
    );
    assert!(
        seen.contains(&("head".into(), "app3/overlays/dev".into())),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|(_, d)| d.starts_with("app5")),
        "unreached app rendered: {seen:?}"
    );
}

#[test]
fn merge_reports_writes_every_format_and_the_comment() {
    let r = repo();
    let d = tempfile::tempdir().unwrap();
    let files = shards(&r, d.path(), 3, &[]);
    let sarif = d.path().join("gate.sarif");
    let out = format!("sarif={}", sarif.display());
    let (code, text, _) = merge(&r, &files, &["--output", &out]);
    assert_eq!(code, 1);
    assert!(text.contains("error[single-environment]"), "{text}");
    let (_, plain, _) = mg(&r.path(), &["check", "--base", "c0", "--head", "c1"]);
    assert_eq!(text, plain);
    let s: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(s["version"], "2.1.0");
    // The comment from the shards is the comment of the unsharded run.
    let mut args = vec![
        "comment",
        "--forge",
        "github",
        "--dry-run",
        "--base",
        "c0",
        "--head",
        "c1",
    ];
    let (c1, unsharded, _) = mg(&r.path(), &args);
    let flags: Vec<String> = files
        .iter()
        .flat_map(|f| ["--from-shard".to_string(), f.to_string_lossy().into_owned()])
        .collect();
    args.extend(flags.iter().map(String::as_str));
    let (c2, sharded, err) = mg(&r.path(), &args);
    assert_eq!(
        (c1, common::unkeyed(&unsharded)),
        (c2, common::unkeyed(&sharded)),
        "{err}"
    );
}

/// The merge fails closed with one line naming what is wrong.
fn refused(o: &(i32, String, String), what: &str) {
    assert_eq!(o.0, 2, "{o:#?}");
    assert!(
        o.2.starts_with("error: ") && o.2.contains(what),
        "{what}: {o:#?}"
    );
    assert_eq!(o.2.trim_end().lines().count(), 1, "{o:#?}");
    assert!(!o.2.contains("panicked"), "{o:#?}");
}

#[test]
fn the_merge_refuses_incomplete_or_foreign_shards() {
    let r = repo();
    let d = tempfile::tempdir().unwrap();
    let files = shards(&r, d.path(), 3, &[]);
    refused(&merge(&r, &files[..2], &[]), "no shard file for shard 3/3");
    let twice = vec![files[0].clone(), files[0].clone(), files[1].clone()];
    refused(&merge(&r, &twice, &[]), "given twice");
    // Made for another head.
    let o = mg(
        &r.path(),
        &[
            "merge-reports",
            "--base",
            "c0",
            "--head",
            "c0",
            files[0].to_str().unwrap(),
            files[1].to_str().unwrap(),
            files[2].to_str().unwrap(),
        ],
    );
    refused(&o, "made for other commits or other options");
    // Made with other options.
    let full = tempfile::tempdir().unwrap();
    let full_files = shards(&r, full.path(), 3, &["--full"]);
    refused(&merge(&r, &full_files, &[]), "other options");
    // Another shard count mixed in.
    let two = tempfile::tempdir().unwrap();
    let two_files = shards(&r, two.path(), 2, &[]);
    let mixed = vec![files[0].clone(), two_files[1].clone(), files[2].clone()];
    refused(&merge(&r, &mixed, &[]), "shard count");
}

/// An edit of a shard file's JSON.
type Edit = dyn Fn(&mut Value);

/// Rewrite shard file `f` through `edit` on its JSON.
fn tamper(f: &Path, edit: impl FnOnce(&mut Value)) {
    let mut v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(f, serde_json::to_vec(&v).unwrap()).unwrap();
}

/// The index of a shard file that holds at least one render.
fn busy(files: &[PathBuf]) -> usize {
    files
        .iter()
        .position(|f| {
            let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            !v["renders"].as_array().unwrap().is_empty()
        })
        .unwrap()
}

#[test]
fn the_merge_refuses_altered_shard_files() {
    let r = repo();
    let cases: Vec<(&str, Box<Edit>)> = vec![
        (
            "hold no render",
            Box::new(|v| v["renders"].as_array_mut().unwrap().truncate(0)),
        ),
        (
            "the string column ends early",
            Box::new(|v| {
                v["renders"][0]["rendered"]["resources"][0]["node"]["s"]
                    .as_array_mut()
                    .unwrap()
                    .truncate(1)
            }),
        ),
        (
            "not a shard file",
            Box::new(|v| v["renders"][0]["extra"] = 1.into()),
        ),
        (
            "file index",
            Box::new(|v| v["renders"][0]["files"] = Value::Array(vec![])),
        ),
        (
            "written by manifest-gate",
            Box::new(|v| v["tool"] = "0.0.0\u{1b}[31m".into()),
        ),
    ];
    for (what, edit) in cases {
        let d = tempfile::tempdir().unwrap();
        let files = shards(&r, d.path(), 3, &[]);
        let i = busy(&files);
        tamper(&files[i], edit);
        let o = merge(&r, &files, &[]);
        refused(&o, what);
        assert!(!o.2.contains('\u{1b}'), "escaped: {o:#?}");
        if what != "hold no render" {
            assert!(
                o.2.contains(&files[i].display().to_string()),
                "names the file: {o:#?}"
            );
        }
    }
    // One shard's renders in another's file.
    let d = tempfile::tempdir().unwrap();
    let files = shards(&r, d.path(), 3, &[]);
    let i = busy(&files);
    let other = (i + 1) % 3;
    let v: Value = serde_json::from_slice(&std::fs::read(&files[i]).unwrap()).unwrap();
    tamper(&files[other], |w| w["renders"] = v["renders"].clone());
    let o = merge(&r, &files, &[]);
    refused(&o, "does not own");
    assert!(o.2.contains(&files[other].display().to_string()), "{o:#?}");
    // Not JSON at all, and no file.
    let d = tempfile::tempdir().unwrap();
    let mut files = shards(&r, d.path(), 3, &[]);
    std::fs::write(&files[1], b"{\"manifest_gate_shard\": 1, ").unwrap();
    refused(&merge(&r, &files, &[]), "not a shard file");
    files[1] = d.path().join("absent.json");
    refused(&merge(&r, &files, &[]), "absent.json");
}

#[test]
fn shard_flags_are_checked() {
    let r = repo();
    let o = mg(
        &r.path(),
        &["check", "--base", "c0", "--head", "c1", "--shard", "4/3"],
    );
    assert_eq!(o.0, 2, "{o:#?}");
    let o = mg(
        &r.path(),
        &[
            "check", "--base", "c0", "--head", "c1", "--shard", "1/3", "--format", "json",
        ],
    );
    refused(&o, "give --format to merge-reports");
}
