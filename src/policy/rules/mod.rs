//! The rule registry. Each rule is one file in this folder that defines one
//! [`Rule`] value: its stable id, default severity, one-line summary, its
//! documentation (What it checks / Why / How to satisfy it / Example) and its
//! check function over one [`RuleContext`]. [`RULES`] lists them in report
//! order; configuration validation, `manifest-gate explain`, `manifest-gate
//! rules`, the SARIF rule metadata and the README test all read this table.
//!
//! Adding a rule: a new file here, one `mod` line and one entry in [`RULES`].

mod config_edit;
mod deprecated_api;
mod promotion_order;
mod rego_policy;
mod schema_validation;
mod single_environment;
mod unassigned_change;
mod unexpected_kind;

pub use unexpected_kind::{kinds_in, name_family};

use super::RuleContext;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Result;

/// One rule of the gate.
pub struct Rule {
    /// Stable kebab-case id, used in the configuration, in output and by `explain`.
    pub id: &'static str,
    /// Severity when the configuration does not set one.
    pub default_severity: Severity,
    /// One line: what the rule demands.
    pub summary: &'static str,
    /// Markdown documentation without the title: `**What it checks.**`,
    /// `**Why.**`, `**How to satisfy it.**`, `**Example.**` paragraphs.
    pub docs: &'static str,
    /// The check. Diagnostics come back with any severity; the runner sets the
    /// configured one. An error means the gate cannot decide (exit 2).
    pub check: fn(&RuleContext) -> Result<Vec<Diagnostic>>,
}

impl Rule {
    /// What `manifest-gate explain ID` prints: `# id`, a blank line, the docs.
    pub fn explain(&self) -> String {
        format!("# {}\n\n{}\n", self.id, self.docs.trim())
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule").field("id", &self.id).finish()
    }
}

/// Every rule, in report order.
pub static RULES: &[&Rule] = &[
    &single_environment::RULE,
    &unexpected_kind::RULE,
    &promotion_order::RULE,
    &config_edit::RULE,
    &unassigned_change::RULE,
    &schema_validation::RULE,
    &deprecated_api::RULE,
    &rego_policy::RULE,
];

/// The rules that compare environments with each other: they do not run
/// when `check --all` audits the whole head state.
pub static CROSS_ENVIRONMENT: &[&Rule] = &[&single_environment::RULE, &promotion_order::RULE];

/// The whole registry: the built-in [`RULES`], then the rules of every embedded
/// pack ([`crate::policy::packs`]), which are data (their ids live in the pack
/// files). A pack rule's `check` evaluates the selected packs together.
pub fn all() -> &'static [&'static Rule] {
    static ALL: std::sync::LazyLock<Vec<&'static Rule>> = std::sync::LazyLock::new(|| {
        RULES
            .iter()
            .copied()
            .chain(crate::policy::packs::rules().map(|p| &p.rule))
            .collect()
    });
    &ALL
}

/// A rule by id.
pub fn lookup(id: &str) -> Option<&'static Rule> {
    all().iter().copied().find(|r| r.id == id)
}

/// The ids, in report order.
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|r| r.id).collect()
}

/// The position of a rule in [`all`] (report order).
pub fn rank(id: &str) -> usize {
    all().iter().position(|r| r.id == id).unwrap_or(all().len())
}

/// Run every rule that is not `off`, in registry order (the pack rules of the
/// selected packs together); each diagnostic gets its rule's configured
/// severity, except that a diagnostic the rule marked as a note or a warning
/// (`with_severity`: what it could not judge, a deprecation) is never more than
/// that. Under `check --all` ([`RuleContext::audit`]) the [`CROSS_ENVIRONMENT`]
/// rules do not run. Sorted by rule, then location.
pub fn run(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let mut out = Vec::new();
    for rule in RULES {
        let sev = cx.config.severity(rule.id);
        let skipped = cx.audit && CROSS_ENVIRONMENT.iter().any(|r| r.id == rule.id);
        if sev == Severity::Off || skipped {
            continue;
        }
        for d in (rule.check)(cx)? {
            // Error < Warning < Note: a note stays a note (the rule could not judge,
            // it did not find), a finding the rule marked as a warning stays one.
            let severity = sev.max(d.severity);
            out.push(Diagnostic {
                rule: rule.id,
                severity,
                ..d
            });
        }
    }
    for d in crate::policy::packs::run(cx)? {
        let sev = cx.config.severity(d.rule);
        if sev != Severity::Off {
            out.push(Diagnostic { severity: sev, ..d });
        }
    }
    out.sort_by(|a, b| {
        (rank(a.rule), &a.span.path, a.span.line, a.span.column).cmp(&(
            rank(b.rule),
            &b.span.path,
            b.span.line,
            b.span.column,
        ))
    });
    Ok(out)
}

/// The position a diff source reference points at (column 1).
pub(crate) fn source_pos(s: &crate::diff::SourceRef) -> crate::yaml::Pos {
    crate::yaml::Pos {
        file: Some(std::sync::Arc::from(s.path.as_str())),
        line: s.line,
        col: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for r in all() {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(
                r.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{} is not kebab-case",
                r.id
            );
            for section in [
                "**What it checks.**",
                "**Why.**",
                "**How to satisfy it.**",
                "**Example.**",
            ] {
                assert!(r.docs.contains(section), "{} lacks {section}", r.id);
            }
            assert!(!r.summary.contains('\n'), "{}: summary is one line", r.id);
            assert_ne!(r.default_severity, Severity::Off, "{}", r.id);
        }
        assert_eq!(
            lookup("promotion-order").map(|r| r.id),
            Some("promotion-order")
        );
        assert!(lookup("nope").is_none());
    }
}
