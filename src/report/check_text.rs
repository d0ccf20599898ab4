//! `check --format text`: diagnostics with source snippets (annotate-snippets).
//! Every repository-controlled string passes through [`escape::text`].

use super::escape;
use crate::diagnostic::{Diagnostic, Severity};
use crate::policy::CheckOutcome;
use annotate_snippets::{AnnotationKind, Element, Group, Level, Origin, Renderer, Snippet};

/// Render the outcome of a check for a terminal or a CI log.
pub fn render(o: &CheckOutcome) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "manifest-gate check {}..{}\n",
        escape::text(&o.base),
        escape::text(&o.head)
    ));
    out.push_str(&format!(
        "configuration: {}\n",
        escape::text(&o.config_source)
    ));
    for n in &o.notes {
        out.push_str(&format!("note: {}\n", escape::text(n)));
    }
    if o.touched.is_empty() {
        if !o.report.output_changes() {
            out.push_str("environments touched: none (the rendered output does not change)\n");
        } else {
            out.push_str("environments touched: none\n");
        }
    } else {
        out.push_str("environments touched:\n");
        for t in &o.touched {
            let ov: Vec<String> = t.overlays.iter().map(|p| escape::text(p)).collect();
            out.push_str(&format!("  {}: {}\n", escape::text(&t.env), ov.join(", ")));
        }
    }
    if !o.unassigned.is_empty() {
        let ov: Vec<String> = o.unassigned.iter().map(|p| escape::text(p)).collect();
        out.push_str(&format!(
            "unassigned overlays changed (not counted): {}\n",
            ov.join(", ")
        ));
    }
    out.push_str(&super::outcome_notes_text(&o.report));
    let renderer = Renderer::plain();
    for d in &o.diagnostics {
        let e = Escaped::of(d);
        out.push('\n');
        out.push_str(&renderer.render(&groups(o, d, &e)).to_string());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&summary(o));
    out
}

/// The last lines: `PASSED (…)` or `FAILED: …`.
pub fn summary(o: &CheckOutcome) -> String {
    let errors = o.count(Severity::Error);
    let warnings = o.count(Severity::Warning);
    if o.passed() {
        format!("PASSED ({warnings} warning{})\n", plural(warnings))
    } else {
        format!(
            "FAILED: {errors} error{} ({}), {warnings} warning{}\n\
             run `manifest-gate explain <rule>` for what a rule checks and how to satisfy it\n",
            plural(errors),
            o.failed_rules().join(", "),
            plural(warnings)
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The escaped strings of one diagnostic (annotate-snippets borrows them).
struct Escaped {
    message: String,
    label: String,
    path: Option<String>,
    notes: Vec<String>,
    help: String,
}

impl Escaped {
    fn of(d: &Diagnostic) -> Escaped {
        Escaped {
            message: escape::text(&d.message),
            label: escape::text(&d.label),
            path: d.span.path.as_deref().map(escape::text),
            notes: d.notes.iter().map(|n| escape::text(n)).collect(),
            help: escape::text(&d.help),
        }
    }
}

/// The source line a diagnostic points at, escaped, with the span to mark.
fn snippet_line(o: &CheckOutcome, d: &Diagnostic) -> Option<(String, std::ops::Range<usize>)> {
    let file = d.span.path.as_deref()?;
    let t = o.texts.get(&(d.span.side, file.to_string()))?;
    let line_no = d.span.line as usize;
    if line_no == 0 {
        return None;
    }
    let line = escape::text(t.lines().nth(line_no - 1)?);
    let start = line.len() - line.trim_start().len();
    let end = line
        .trim_end()
        .len()
        .max(start + 1)
        .min(line.len().max(start));
    Some(if line.trim().is_empty() {
        let n = line.len();
        (format!("{line} "), n..n + 1)
    } else {
        (line, start..end)
    })
}

fn groups<'a>(o: &CheckOutcome, d: &'a Diagnostic, e: &'a Escaped) -> Vec<Group<'a>> {
    let level = match d.severity {
        Severity::Error => Level::ERROR,
        Severity::Note => Level::NOTE,
        _ => Level::WARNING,
    };
    let title = level.primary_title(e.message.as_str()).id(d.rule);
    let mut els: Vec<Element<'a>> = Vec::new();
    match (e.path.as_deref(), snippet_line(o, d)) {
        (Some(f), Some((src, span))) => {
            els.push(
                Snippet::source(src)
                    .line_start(d.span.line as usize)
                    .path(f)
                    .annotation(AnnotationKind::Primary.span(span).label(e.label.as_str()))
                    .into(),
            );
        }
        (Some(f), None) => {
            let mut origin = Origin::path(f);
            if d.span.line > 0 {
                origin = origin.line(d.span.line as usize);
            }
            els.push(origin.into());
            els.push(Level::NOTE.message(e.label.as_str()).into());
        }
        _ => els.push(Level::NOTE.message(e.label.as_str()).into()),
    }
    for n in &e.notes {
        els.push(Level::NOTE.message(n.as_str()).into());
    }
    els.push(Level::HELP.message(e.help.as_str()).into());
    vec![Group::with_title(title).elements(els)]
}
