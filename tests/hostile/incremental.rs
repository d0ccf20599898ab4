//! Incremental rendering equals full rendering over randomised histories with
//! file symlinks, directory symlinks, retargeted links and links turned into
//! files (and back): for every pair of commits, the diff that re-renders only
//! the overlays whose inputs changed is the diff that re-renders everything,
//! unrenderable outcomes (dangling links, missing files) included.

use crate::util::*;
use manifest_gate::diff::DiffOptions;
use manifest_gate::gate::diff_revisions;
use manifest_gate::kustomize::Mode;
use proptest::prelude::*;

/// One step of a history.
#[derive(Clone, Debug)]
enum Op {
    /// Write a ConfigMap value into a regular file (replacing a link there).
    Value(usize, u8),
    /// Make a link point at one of its candidate targets (replacing a file there).
    Link(usize, usize),
    /// Delete a regular file (links to it dangle: an overlay becomes unrenderable).
    Remove(usize),
    /// A change no overlay reads.
    Docs(u8),
}

/// Regular files holding ConfigMaps.
const FILES: [&str; 4] = [
    "shared/a.yaml",
    "shared/b.yaml",
    "base/cm.yaml",
    "alt/cm.yaml",
];

/// Paths that are a link or a file, with their candidate link targets. A
/// directory link's file alternative is a real directory with its own base.
const LINKS: [(&str, &[&str]); 3] = [
    (
        "overlays/prod/deploy.yaml",
        &["../../shared/a.yaml", "../../shared/b.yaml"],
    ),
    ("overlays/prod/base", &["../../base", "../../alt"]),
    (
        "overlays/dev/cm.yaml",
        &["../../shared/b.yaml", "../../alt/cm.yaml"],
    ),
];

fn cm(name: &str, v: u8) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..FILES.len() + LINKS.len(), 0u8..3).prop_map(|(i, v)| Op::Value(i, v)),
        (0..LINKS.len(), 0usize..2).prop_map(|(i, t)| Op::Link(i, t)),
        (0..FILES.len()).prop_map(Op::Remove),
        (0u8..3).prop_map(Op::Docs),
    ]
}

fn clear(r: &Repo, rel: &str) {
    let p = r.root().join(rel);
    if p.is_symlink() || p.is_file() {
        std::fs::remove_file(p).unwrap();
    } else if p.is_dir() {
        std::fs::remove_dir_all(p).unwrap();
    }
}

fn apply(r: &Repo, op: &Op) {
    match *op {
        Op::Value(i, v) if i < FILES.len() => {
            r.write(FILES[i], cm(&format!("f{i}"), v));
        }
        Op::Value(i, v) => {
            let (path, _) = LINKS[i - FILES.len()];
            clear(r, path);
            if path.ends_with(".yaml") {
                r.write(path, cm(&format!("l{i}"), v));
            } else {
                r.write(
                    &format!("{path}/kustomization.yaml"),
                    "resources: [own.yaml]\n",
                );
                r.write(&format!("{path}/own.yaml"), cm("own", v));
            }
        }
        Op::Link(i, t) => {
            let (path, targets) = LINKS[i];
            clear(r, path);
            r.symlink(path, targets[t]);
        }
        Op::Remove(i) => clear(r, FILES[i]),
        Op::Docs(v) => {
            r.write("docs/README.md", format!("docs {v}\n"));
        }
    }
}

fn initial(r: &mut Repo) {
    for (i, f) in FILES.iter().enumerate() {
        r.write(f, cm(&format!("f{i}"), 0));
    }
    r.write("base/kustomization.yaml", "resources: [cm.yaml]\n")
        .write("alt/kustomization.yaml", "resources: [cm.yaml]\n")
        .write(
            "overlays/prod/kustomization.yaml",
            "resources: [deploy.yaml, base]\n",
        )
        .write("overlays/dev/kustomization.yaml", "resources: [cm.yaml]\n");
    for (i, (path, targets)) in LINKS.iter().enumerate() {
        r.symlink(path, targets[i % 2]);
    }
    r.commit();
}

/// The diff as JSON without the field that says which side was re-rendered
/// (it differs by design), or the error message.
fn diff(r: &Repo, base: &str, head: &str, full: bool) -> String {
    let opts = DiffOptions {
        secret_key: Some(b"fixed".to_vec()),
        full,
        mode: Mode::Native,
        ..Default::default()
    };
    match diff_revisions(&r.root(), base, head, &opts) {
        Ok((report, _)) => {
            let mut v = serde_json::to_value(&report).unwrap();
            for o in v["overlays"].as_array_mut().unwrap() {
                o.as_object_mut().unwrap().remove("inputs_changed");
            }
            serde_json::to_string_pretty(&v).unwrap()
        }
        Err(e) => format!("error: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_full(steps in prop::collection::vec(prop::collection::vec(op(), 1..4), 1..5)) {
        let mut r = Repo::new();
        initial(&mut r);
        for step in &steps {
            for op in step {
                apply(&r, op);
            }
            r.commit();
        }
        let c = r.commits.clone();
        let mut pairs: Vec<(usize, usize)> = (1..c.len()).map(|i| (i - 1, i)).collect();
        pairs.push((0, c.len() - 1));
        pairs.push((c.len() - 1, 0));
        for (a, b) in pairs {
            let inc = diff(&r, &c[a], &c[b], false);
            let full = diff(&r, &c[a], &c[b], true);
            prop_assert_eq!(&inc, &full, "commits {} -> {} of {:?}", a, b, steps);
        }
    }
}
