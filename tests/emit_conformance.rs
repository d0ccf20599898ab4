//! Every `expected.yaml` of the shared kustomize conformance cases is real
//! `kustomize build` output: parsing it and emitting it again must give the
//! same bytes. Skipped (with a message) when `../shared` (beside the
//! repository) is absent.

use manifest_gate::yaml::{emit_docs, parse_stream, Node, ParseOptions, Value};
use std::path::Path;

/// The shared conformance cases, beside the repository.
fn cases_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/kustomize/cases")
}

#[test]
fn conformance_expected_outputs_are_fixed_points() {
    let dir = cases_dir();
    if !dir.is_dir() {
        eprintln!("skipping: {} not found", dir.display());
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("read cases")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in entries {
        let file = case.join("expected.yaml");
        let Ok(expected) = std::fs::read_to_string(&file) else {
            continue;
        };
        let name = case
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let docs = match parse_stream(
            &expected,
            &file.to_string_lossy(),
            &ParseOptions::resource(),
        ) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{name}: parse error: {e}"));
                continue;
            }
        };
        let docs: Vec<Node> = docs
            .into_iter()
            .filter(|d| !matches!(d.value, Value::Null))
            .collect();
        let refs: Vec<&Node> = docs.iter().collect();
        let got = emit_docs(&refs);
        checked += 1;
        if got != expected {
            let diff = similar::TextDiff::from_lines(expected.as_str(), got.as_str());
            failures.push(format!(
                "{name}:\n{}",
                diff.unified_diff()
                    .context_radius(2)
                    .header("kustomize", "emit")
            ));
        }
    }
    assert!(
        checked > 0,
        "no expected.yaml found under {}",
        dir.display()
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{checked} conformance outputs re-emitted identically");
}
