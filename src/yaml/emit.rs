//! Emitter (placeholder; being written).
use super::Node;

/// Print documents as `kustomize build` does.
pub fn emit_docs(docs: &[&Node]) -> String {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&emit_node(d));
    }
    out
}

/// Print one document.
pub fn emit_node(n: &Node) -> String {
    format!("{}\n", n.to_json())
}

/// Format a float as Go's `strconv.FormatFloat(f, 'g', -1, 64)` does in go-yaml v2.
pub fn format_float(f: f64) -> String {
    format!("{f}")
}
