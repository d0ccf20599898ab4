//! Replays every saved fuzz crasher through the same checks the fuzz targets run
//! (`fuzz/src/harness.rs`): `fuzz/regressions/yaml/*` and
//! `fuzz/regressions/kustomization/*` are raw inputs, `fuzz/regressions/render/*/`
//! are file trees (written by `fuzz/src/bin/render_dump.rs`).

#[path = "../fuzz/src/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn cases(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut out: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.expect("dir entry").path())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

#[test]
fn yaml_regressions() {
    for case in cases("yaml") {
        eprintln!("{}", case.display());
        harness::check_yaml(&std::fs::read(&case).expect("read case"));
    }
}

#[test]
fn kustomization_regressions() {
    for case in cases("kustomization") {
        eprintln!("{}", case.display());
        harness::check_kustomization(&std::fs::read(&case).expect("read case"));
    }
}

#[test]
fn render_regressions() {
    for case in cases("render") {
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
