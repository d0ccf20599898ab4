//! `check --format junit`: JUnit XML for CI test reports (GitLab's
//! `artifacts:reports:junit`, GitHub test-report actions, Jenkins).
//!
//! One `<testsuite>` per touched environment (in promotion order), named
//! `manifest-gate: <env>`, plus `manifest-gate: repository` for findings no
//! single environment owns (a shared base, the configuration) or when no
//! environment is touched. Each suite has one `<testcase>` per rule of the
//! registry: a `<failure>` holding every error-level finding of that rule in
//! that environment, warnings in `<system-out>`. A finding belongs to an
//! environment when its file lies in the directory of exactly one touched
//! environment's overlays. A run that could not decide is one suite with one
//! `<error>` test case naming the cause. Every value goes through
//! [`escape::xml`].

use super::{escape, Undecided};
use crate::diagnostic::{Diagnostic, Severity, Side};
use crate::policy::rules::{self, RULES};
use crate::policy::CheckOutcome;
use std::fmt::Write;

const HEADER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
/// The suite of findings no single environment owns.
const REPOSITORY: &str = "repository";

/// Whether `file` lies in the overlay directory `dir` (a GitOps deployment is
/// `<dir> @ <cluster>`).
fn inside(file: &str, dir: &str) -> bool {
    let dir = dir.split(" @ ").next().unwrap_or(dir);
    dir.is_empty() || file == dir || file.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The environment a finding belongs to, or [`REPOSITORY`].
fn owner<'a>(o: &'a CheckOutcome, d: &Diagnostic) -> &'a str {
    let Some(file) = d.span.path.as_deref() else {
        return REPOSITORY;
    };
    let owners: Vec<&str> = o
        .touched
        .iter()
        .filter(|t| t.overlays.iter().any(|dir| inside(file, dir)))
        .map(|t| t.env.as_str())
        .collect();
    match owners.as_slice() {
        [one] => one,
        _ => REPOSITORY,
    }
}

/// A finding as the body of a failure or a line of output.
fn describe(d: &Diagnostic) -> String {
    let mut s = format!("{} {}: {}", d.severity, d.rule, d.message);
    if d.span.path.is_some() {
        let side = match d.span.side {
            Side::Base => " (base)",
            Side::Head => "",
            Side::Disk => " (--config)",
        };
        let _ = write!(s, "\n  at {}{side}", d.span);
    }
    if !d.label.is_empty() {
        let _ = write!(s, ": {}", d.label);
    }
    for n in &d.notes {
        let _ = write!(s, "\n  {n}");
    }
    if !d.help.is_empty() {
        let _ = write!(s, "\n  help: {}", d.help);
    }
    s
}

/// XML text content: [`escape::xml`] line by line, newlines kept.
fn xml_text(s: &str) -> String {
    s.split('\n')
        .map(escape::xml)
        .collect::<Vec<_>>()
        .join("\n")
}

/// One test case: the rule in one suite.
fn testcase(out: &mut String, suite: &str, rule: &str, findings: &[&Diagnostic]) -> bool {
    let errors: Vec<&&Diagnostic> = findings
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let warnings: Vec<&&Diagnostic> = findings
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    let first = findings.iter().find(|d| d.span.path.is_some());
    let mut attrs = format!(
        "classname=\"manifest-gate.{}\" name=\"{}\"",
        escape::xml(suite),
        escape::xml(rule)
    );
    if let Some(d) = first {
        let _ = write!(attrs, " file=\"{}\"", escape::xml(&d.span.to_string()));
    }
    if errors.is_empty() && warnings.is_empty() {
        let _ = writeln!(out, "    <testcase {attrs}/>");
        return false;
    }
    let _ = writeln!(out, "    <testcase {attrs}>");
    if let Some(d) = errors.first() {
        let body: Vec<String> = errors.iter().map(|d| describe(d)).collect();
        let _ = writeln!(
            out,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            escape::xml(&d.message),
            escape::xml(rule),
            xml_text(&body.join("\n"))
        );
    }
    if !warnings.is_empty() {
        let body: Vec<String> = warnings.iter().map(|d| describe(d)).collect();
        let _ = writeln!(
            out,
            "      <system-out>{}</system-out>",
            xml_text(&body.join("\n"))
        );
    }
    let _ = writeln!(out, "    </testcase>");
    !errors.is_empty()
}

/// The JUnit document for `o`.
pub fn render(o: &CheckOutcome) -> String {
    let mut suites: Vec<&str> = o.touched.iter().map(|t| t.env.as_str()).collect();
    let findings: Vec<(&str, &Diagnostic)> = o
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Off)
        .map(|d| (owner(o, d), d))
        .collect();
    if suites.is_empty() || findings.iter().any(|(s, _)| *s == REPOSITORY) {
        suites.push(REPOSITORY);
    }
    // The built-in rules, and the pack rules that found something (a pack that
    // is not selected is not a passing test).
    let judged: Vec<&str> = RULES
        .iter()
        .map(|r| r.id)
        .chain(
            rules::all()
                .iter()
                .map(|r| r.id)
                .filter(|id| !RULES.iter().any(|r| r.id == *id))
                .filter(|id| findings.iter().any(|(_, d)| d.rule == *id)),
        )
        .collect();
    let mut body = String::new();
    let (mut tests, mut failures) = (0usize, 0usize);
    for suite in &suites {
        let mut cases = String::new();
        let mut failed = 0usize;
        for id in &judged {
            let mine: Vec<&Diagnostic> = findings
                .iter()
                .filter(|(s, d)| s == suite && d.rule == *id)
                .map(|(_, d)| *d)
                .collect();
            failed += usize::from(testcase(&mut cases, suite, id, &mine));
        }
        let _ = writeln!(
            body,
            "  <testsuite name=\"manifest-gate: {}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">\n{cases}  </testsuite>",
            escape::xml(suite),
            judged.len()
        );
        tests += judged.len();
        failures += failed;
    }
    format!(
        "{HEADER}<testsuites name=\"manifest-gate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">\n{body}</testsuites>\n"
    )
}

/// The JUnit document of a run that could not decide: one `<error>` case.
pub fn render_undecided(u: &Undecided<'_>) -> String {
    let file = match u.file() {
        Some(_) => format!(" file=\"{}\"", escape::xml(&u.error.pos.to_string())),
        None => String::new(),
    };
    format!(
        "{HEADER}<testsuites name=\"manifest-gate\" tests=\"1\" failures=\"0\" errors=\"1\">\n  \
         <testsuite name=\"manifest-gate\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    \
         <testcase classname=\"manifest-gate\" name=\"gate\"{file}>\n      \
         <error message=\"{}\" type=\"{}\">{}</error>\n    \
         </testcase>\n  </testsuite>\n</testsuites>\n",
        escape::xml(&u.headline()),
        escape::xml(&u.kind()),
        xml_text(&format!(
            "manifest-gate could not decide ({} → {}): {}",
            u.base,
            u.head,
            u.cause()
        ))
    )
}
