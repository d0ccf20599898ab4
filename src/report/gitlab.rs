//! `check --format gitlab`: a GitLab Code Quality report
//! (`artifacts:reports:codequality`), a JSON array of issues with
//! `description`, `check_name`, `fingerprint`, `severity` and
//! `location.path` / `location.lines.begin`.
//!
//! Severities: an error-level finding is `critical`, a warning `minor`, a run
//! that could not decide one `blocker`. The fingerprint is the SHA-256 of the
//! rule, the file, the message (which names the resource and field) and the
//! label — not the line, so an issue keeps its identity when lines move; two
//! findings with the same text get distinct fingerprints by occurrence. A
//! finding without a repository file (or in the `--config` file on disk) is
//! located at `.manifest-gate.yaml`, line 1.

use super::{escape, Undecided};
use crate::diagnostic::{Diagnostic, Severity, Side};
use crate::policy::{CheckOutcome, CONFIG_FILE};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

fn sha256_hex(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn location(path: Option<&str>, line: u32) -> Location {
    match path {
        Some(p) => Location {
            path: p.to_string(),
            lines: Lines { begin: line.max(1) },
        },
        None => Location {
            path: CONFIG_FILE.to_string(),
            lines: Lines { begin: 1 },
        },
    }
}

fn description(d: &Diagnostic) -> String {
    let mut s = d.message.clone();
    if d.span.side == Side::Base {
        s.push_str(" (the location refers to the base revision)");
    }
    if !d.label.is_empty() {
        s.push_str(&format!(" ({})", d.label));
    }
    if !d.help.is_empty() {
        s.push_str(&format!(" help: {}", d.help));
    }
    // One line, no control characters.
    escape::text(&s)
}

/// The Code Quality report for `o`.
pub fn render(o: &CheckOutcome) -> String {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let issues: Vec<Issue> = o
        .diagnostics
        .iter()
        .filter_map(|d| {
            let severity = match d.severity {
                Severity::Error => "critical",
                Severity::Warning => "minor",
                Severity::Note => "info",
                Severity::Off => return None,
            };
            let path = d.span.path.as_deref().filter(|_| d.span.side != Side::Disk);
            let base = sha256_hex(&[d.rule, path.unwrap_or(""), &d.message, &d.label]);
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let fingerprint = if *n == 1 {
                base
            } else {
                sha256_hex(&[&base, &n.to_string()])
            };
            Some(Issue {
                description: description(d),
                check_name: d.rule.to_string(),
                fingerprint,
                severity,
                location: location(path, if path.is_some() { d.span.line } else { 1 }),
            })
        })
        .collect();
    super::to_json(&issues)
}

/// The report of a run that could not decide: one `blocker` naming the cause,
/// at the file it names when known.
pub fn render_undecided(u: &Undecided<'_>) -> String {
    let issue = Issue {
        description: escape::text(&format!("manifest-gate {}", u.headline())),
        check_name: "manifest-gate/undecided".into(),
        fingerprint: sha256_hex(&["manifest-gate/undecided", u.file().unwrap_or("")]),
        severity: "blocker",
        location: location(u.file(), u.line()),
    };
    super::to_json(&[issue])
}
