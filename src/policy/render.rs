//! Printing a [`CheckOutcome`]: diagnostics with source snippets
//! (annotate-snippets), or JSON.

use super::{CheckOutcome, Format, Severity, Violation};
use annotate_snippets::{AnnotationKind, Element, Group, Level, Origin, Renderer, Snippet};
use serde_json::json;

/// Render the outcome of a check.
pub fn render_check(outcome: &CheckOutcome, format: Format) -> String {
    match format {
        Format::Json => render_json(outcome),
        Format::Text => render_text(outcome),
    }
}

fn render_json(o: &CheckOutcome) -> String {
    let violations: Vec<serde_json::Value> = o
        .violations
        .iter()
        .map(|v| {
            json!({
                "rule": v.rule,
                "severity": v.severity.as_str(),
                "message": v.message,
                "path": v.pos.file.as_deref(),
                "line": v.pos.line,
            })
        })
        .collect();
    let out = json!({
        "passed": o.passed(),
        "touched_environments": o.touched_environments(),
        "violations": violations,
        "diff": o.diff,
    });
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
    s.push('\n');
    s
}

fn render_text(o: &CheckOutcome) -> String {
    let mut out = String::new();
    out.push_str(&format!("manifest-gate check {}..{}\n", o.base, o.head));
    out.push_str(&format!("configuration: {}\n", o.config_source));
    if o.touched.is_empty() {
        out.push_str("environments touched: none (the rendered output does not change)\n");
    } else {
        out.push_str("environments touched:\n");
        for t in &o.touched {
            out.push_str(&format!("  {}: {}\n", t.env, t.overlays.join(", ")));
        }
    }
    if !o.unassigned.is_empty() {
        out.push_str(&format!(
            "unassigned overlays changed (not counted): {}\n",
            o.unassigned.join(", ")
        ));
    }
    let renderer = Renderer::plain();
    for v in &o.violations {
        out.push('\n');
        out.push_str(&renderer.render(&report(o, v)).to_string());
        out.push('\n');
    }
    let errors = o
        .violations
        .iter()
        .filter(|v| v.severity == Severity::Error)
        .count();
    let warnings = o
        .violations
        .iter()
        .filter(|v| v.severity == Severity::Warning)
        .count();
    let mut rules: Vec<&str> = o
        .violations
        .iter()
        .filter(|v| v.severity == Severity::Error)
        .map(|v| v.rule)
        .collect();
    rules.dedup();
    out.push('\n');
    if o.passed() {
        out.push_str(&format!(
            "PASSED ({warnings} warning{})\n",
            plural(warnings)
        ));
    } else {
        out.push_str(&format!(
            "FAILED: {errors} error{} ({}), {warnings} warning{}\n",
            plural(errors),
            rules.join(", "),
            plural(warnings)
        ));
        out.push_str(
            "run `manifest-gate explain <rule>` for what a rule checks and how to satisfy it\n",
        );
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn report<'a>(o: &'a CheckOutcome, v: &'a Violation) -> Vec<Group<'a>> {
    let level = match v.severity {
        Severity::Error => Level::ERROR,
        _ => Level::WARNING,
    };
    let title = level.primary_title(v.message.as_str()).id(v.rule);
    let mut els: Vec<Element<'a>> = Vec::new();
    let file = v.pos.file.as_deref();
    let text = file.and_then(|f| o.texts.get(&(v.side, f.to_string())));
    match (file, text) {
        (Some(f), Some(t)) if v.pos.line > 0 && (v.pos.line as usize) <= t.lines().count() => {
            let line_no = v.pos.line as usize;
            let line = t.lines().nth(line_no - 1).unwrap_or("");
            let start = line.len() - line.trim_start().len();
            let end = line
                .trim_end()
                .len()
                .max(start + 1)
                .min(line.len().max(start));
            let (src, span) = if line.trim().is_empty() {
                (format!("{line} "), line.len()..line.len() + 1)
            } else {
                (line.to_string(), start..end)
            };
            els.push(
                Snippet::source(src)
                    .line_start(line_no)
                    .path(f)
                    .annotation(AnnotationKind::Primary.span(span).label(v.label.as_str()))
                    .into(),
            );
        }
        (Some(f), _) => {
            let mut origin = Origin::path(f);
            if v.pos.line > 0 {
                origin = origin.line(v.pos.line as usize);
            }
            els.push(origin.into());
            els.push(Level::NOTE.message(v.label.as_str()).into());
        }
        _ => {
            els.push(Level::NOTE.message(v.label.as_str()).into());
        }
    }
    for n in &v.notes {
        els.push(Level::NOTE.message(n.as_str()).into());
    }
    els.push(Level::HELP.message(v.help.as_str()).into());
    vec![Group::with_title(title).elements(els)]
}
