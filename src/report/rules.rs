//! `manifest-gate rules`: the registry as a table or JSON.

use crate::policy::rules::all;
use serde::Serialize;

#[derive(Serialize)]
struct Entry {
    id: &'static str,
    default_severity: crate::diagnostic::Severity,
    summary: &'static str,
}

/// One line per rule: id, default severity, summary.
pub fn render_text() -> String {
    let w = all().iter().map(|r| r.id.len()).max().unwrap_or(4);
    let mut out = String::new();
    for r in all() {
        out.push_str(&format!(
            "{:<w$}  {:<7}  {}\n",
            r.id,
            r.default_severity.as_str(),
            r.summary
        ));
    }
    out
}

/// `[{"id", "default_severity", "summary"}, …]`.
pub fn render_json() -> String {
    let list: Vec<Entry> = all()
        .iter()
        .map(|r| Entry {
            id: r.id,
            default_severity: r.default_severity,
            summary: r.summary,
        })
        .collect();
    super::to_json(&list)
}
