//! The rule registry. Each rule is one file in this folder that defines one
//! [`Rule`] value: its stable id, default severity, one-line summary, its
//! documentation (What it checks / Why / How to satisfy it / Example) and its
//! check function over one [`RuleContext`]. [`RULES`] lists them in report
//! order; configuration validation, `manifest-gate explain`, `manifest-gate
//! rules`, the SARIF rule metadata and the README test all read this table.
//!
//! Adding a rule: a new file here, one `mod` line and one entry in [`RULES`].

mod config_edit;
mod promotion_order;
mod rego_policy;
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
    &rego_policy::RULE,
];

/// A rule by id.
pub fn lookup(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// The ids, in report order.
pub fn ids() -> Vec<&'static str> {
    RULES.iter().map(|r| r.id).collect()
}

/// The position of a rule in [`RULES`] (report order).
pub fn rank(id: &str) -> usize {
    RULES.iter().position(|r| r.id == id).unwrap_or(RULES.len())
}

/// Run every rule that is not `off`, in registry order; each diagnostic gets
/// its rule's configured severity. Sorted by rule, then location.
pub fn run(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let mut out = Vec::new();
    for rule in RULES {
        let sev = cx.config.severity(rule.id);
        if sev == Severity::Off {
            continue;
        }
        for d in (rule.check)(cx)? {
            // A rule may report a diagnostic milder than its configured
            // severity (a Rego `warn`), never a stronger one.
            out.push(Diagnostic {
                rule: rule.id,
                severity: sev.max(d.severity),
                ..d
            });
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
        for r in RULES {
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
