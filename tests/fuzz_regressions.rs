//! Replays every saved fuzz crasher through the same checks the fuzz targets run
//! (`fuzz/src/harness.rs`): `fuzz/regressions/yaml/*` are raw inputs,
//! `fuzz/regressions/render/*/` are file trees (written by
//! `fuzz/src/bin/render_dump.rs`). The kustomization target has no saved
//! crasher yet: its seed corpus (`fuzz/corpus/kustomization/*`) is replayed.
//! Each folder must exist and hold at least one case, so a moved folder fails
//! the test instead of silently checking nothing.

#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn cases(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(folder);
    let rd = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e} (the cases moved?)", dir.display()));
    let mut out: Vec<PathBuf> = rd
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "{} holds no case", dir.display());
    out
}

#[test]
fn yaml_regressions() {
    for case in cases("regressions/yaml") {
        eprintln!("{}", case.display());
        harness::check_yaml(&std::fs::read(&case).expect("read case"));
    }
}

#[test]
fn kustomization_regressions() {
    for case in cases("corpus/kustomization") {
        eprintln!("{}", case.display());
        harness::check_kustomization(&std::fs::read(&case).expect("read case"));
    }
}

#[test]
fn render_regressions() {
    for case in cases("regressions/render") {
        eprintln!("{}", case.display());
        harness::check_render(&harness::read_tree(&case));
    }
}

#[test]
fn mem_source_behaves_like_a_tree() {
    use manifest_gate::source::{EntryKind, Source};
    let src = harness::MemSource::new([
        ("kustomization.yaml", "resources: [base]\n"),
        ("base/kustomization.yaml", "resources: [a.yaml]\n"),
        (
            "base/a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        ),
        ("../escape", "x"),
    ]);
    assert_eq!(src.entry("base").unwrap(), Some(EntryKind::Dir));
    assert_eq!(src.entry("base/a.yaml").unwrap(), Some(EntryKind::File));
    assert_eq!(src.entry("nope").unwrap(), None);
    assert_eq!(src.files.len(), 3);
    let r = manifest_gate::kustomize::render(&src, "", &Default::default()).expect("renders");
    assert_eq!(r.resources.len(), 1);
    harness::check_render(&src);
}
