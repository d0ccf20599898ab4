//! `check --format json`: `{"decided", "passed", "touched_environments",
//! "unassigned_overlays", "violations", "diff", "notes"}` (`notes` only when the
//! mode changes the verdict, as `check --all` does); each violation is the
//! serialised [`crate::diagnostic::Diagnostic`] (rule, severity, message, path,
//! side, line, column, end_line, end_column, label, labels, notes, help).
//! A run that could not decide is `{"decided": false, "passed": false,
//! "cause", "kind", "path", "line", "base", "head"}`.

use super::Undecided;
use crate::diagnostic::Diagnostic;
use crate::diff::DiffReport;
use crate::policy::CheckOutcome;
use serde::Serialize;

#[derive(Serialize)]
struct Document<'a> {
    decided: bool,
    passed: bool,
    touched_environments: Vec<String>,
    unassigned_overlays: &'a [String],
    violations: &'a [Diagnostic],
    diff: &'a DiffReport,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

#[derive(Serialize)]
struct UndecidedDocument<'a> {
    decided: bool,
    passed: bool,
    cause: String,
    kind: String,
    path: Option<&'a str>,
    line: u32,
    base: &'a str,
    head: &'a str,
}

/// The JSON document (pretty-printed, newline-terminated).
pub fn render(o: &CheckOutcome) -> String {
    let doc = Document {
        decided: true,
        passed: o.passed(),
        touched_environments: o.touched_environments(),
        unassigned_overlays: &o.unassigned,
        violations: &o.diagnostics,
        diff: &o.report,
        notes: &o.notes,
    };
    super::to_json(&doc)
}

/// The JSON document of a run that could not decide.
pub fn render_undecided(u: &Undecided<'_>) -> String {
    super::to_json(&UndecidedDocument {
        decided: false,
        passed: false,
        cause: u.cause(),
        kind: u.kind(),
        path: u.file(),
        line: u.line(),
        base: u.base,
        head: u.head,
    })
}
