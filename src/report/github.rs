//! `check --format github`: GitHub Actions workflow commands. One
//! `::error` / `::warning` annotation per finding, carrying `file`, `line`,
//! `col` (and the end when known) and a `title` naming the rule, then
//! `::notice` lines for the summary and the outcome notes. Every value is
//! escaped as the runner unescapes it ([`escape::github_data`],
//! [`escape::github_property`]), so a repository string can neither end the
//! command nor start another. The Markdown job summary
//! (`$GITHUB_STEP_SUMMARY`) is written by [`super::output::step_summary`].

use super::{escape, Undecided};
use crate::diagnostic::{Diagnostic, Severity, Side};
use crate::diff::outcome::shown;
use crate::policy::CheckOutcome;
use std::fmt::Write;

/// One workflow command: `::{command} {properties}::{message}`.
fn command(command: &str, props: &[(&str, String)], message: &str) -> String {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape::github_property(v)))
        .collect();
    let sep = if props.is_empty() { "" } else { " " };
    format!(
        "::{command}{sep}{}::{}\n",
        props.join(","),
        escape::github_data(message)
    )
}

/// The location properties of a finding. A finding in the `--config` file on
/// disk has no repository file to point at.
fn location(d: &Diagnostic) -> Vec<(&'static str, String)> {
    let mut p = Vec::new();
    let Some(file) = d.span.path.as_deref().filter(|_| d.span.side != Side::Disk) else {
        return p;
    };
    p.push(("file", file.to_string()));
    let s = &d.span;
    if s.line > 0 {
        p.push(("line", s.line.to_string()));
        if s.end_line >= s.line {
            p.push(("endLine", s.end_line.to_string()));
        }
        // Columns only mean something on one line.
        if s.column > 0 && (s.end_line == 0 || s.end_line == s.line) {
            p.push(("col", s.column.to_string()));
            if s.end_column > s.column {
                p.push(("endColumn", s.end_column.to_string()));
            }
        }
    }
    p
}

/// The annotation's message: the finding, its label, notes and help, one per line.
fn message(d: &Diagnostic) -> String {
    let mut m = d.message.clone();
    match d.span.side {
        Side::Base => m.push_str(" (the location refers to the base revision)"),
        Side::Disk => {
            if let Some(p) = &d.span.path {
                let _ = write!(m, " (in the configuration file {p}:{})", d.span.line);
            }
        }
        Side::Head => {}
    }
    if !d.label.is_empty() {
        let _ = write!(m, "\n{}", d.label);
    }
    for n in &d.notes {
        let _ = write!(m, "\n{n}");
    }
    if !d.help.is_empty() {
        let _ = write!(m, "\nhelp: {}", d.help);
    }
    m
}

fn annotation(d: &Diagnostic) -> Option<String> {
    let level = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
        Severity::Off => return None,
    };
    let mut props = location(d);
    props.push(("title", format!("manifest-gate {}: {}", level, d.rule)));
    Some(command(level, &props, &message(d)))
}

/// The workflow commands for `o`.
pub fn render(o: &CheckOutcome) -> String {
    let mut s = String::new();
    for d in &o.diagnostics {
        if let Some(a) = annotation(d) {
            s.push_str(&a);
        }
    }
    let title = [("title", "manifest-gate".to_string())];
    let verdict = if o.passed() {
        format!(
            "passed ({} warning(s)); environments touched: {}",
            o.count(Severity::Warning),
            list_or_none(&o.touched_environments())
        )
    } else {
        format!(
            "failed: {} error(s) ({}), {} warning(s); environments touched: {}",
            o.count(Severity::Error),
            o.failed_rules().join(", "),
            o.count(Severity::Warning),
            list_or_none(&o.touched_environments())
        )
    };
    s.push_str(&command("notice", &title, &verdict));
    let r = &o.report;
    s.push_str(&command("notice", &title, &r.summary_line()));
    for (path, u) in r.unrenderable_notes() {
        let mut props = Vec::new();
        if let Some(f) = &u.file {
            props.push(("file", f.clone()));
            if u.line > 0 {
                props.push(("line", u.line.to_string()));
            }
        }
        props.push(("title", "manifest-gate: not judged".to_string()));
        let m = format!(
            "{} does not render at {} and this change does not reach it (not judged): {}",
            shown(path),
            u.side,
            u.cause
        );
        s.push_str(&command("notice", &props, &m));
    }
    let ex = r.excluded();
    if !ex.is_empty() {
        let list: Vec<&str> = ex.iter().map(|p| shown(p)).collect();
        let m = format!(
            "excluded by the configuration (not rendered): {}",
            list.join(", ")
        );
        s.push_str(&command("notice", &title, &m));
    }
    s
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// One `::error` annotation for a run that could not decide, at the file and
/// line the cause names when known.
pub fn render_undecided(u: &Undecided<'_>) -> String {
    let mut props = Vec::new();
    if let Some(f) = u.file() {
        props.push(("file", f.to_string()));
        if u.line() > 0 {
            props.push(("line", u.line().to_string()));
        }
    }
    props.push(("title", "manifest-gate could not decide".to_string()));
    command("error", &props, &u.cause())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;

    #[test]
    fn annotation_carries_file_line_and_escapes() {
        let d = Diagnostic::new(
            "unexpected-kind",
            "a,b: 100%\n::error::forged",
            Span::line("apps/x,y:z.yaml", 12, Side::Head),
        )
        .with_help("move it");
        let a = annotation(&d).unwrap();
        assert_eq!(
            a,
            "::error file=apps/x%2Cy%3Az.yaml,line=12,col=1,title=manifest-gate error%3A unexpected-kind::a,b: 100%25%0A::error::forged%0Ahelp: move it\n"
        );
        assert_eq!(a.matches('\n').count(), 1);
    }
}
