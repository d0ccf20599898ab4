//! The one diagnostic model: what a rule found, where, and how to fix it.
//!
//! Rules (in [`crate::policy`]) produce [`Diagnostic`]s; every renderer in
//! [`crate::report`] (text, JSON, SARIF, Markdown, and the CI formats) prints
//! the same values. The type lives here, below both stages, so that the policy
//! stage never imports the output layer; [`crate::report`] re-exports it.

use crate::yaml::Pos;
use serde::Serialize;
use std::fmt;

/// How a rule's diagnostics count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the check (exit 1).
    Error,
    /// Reported, does not fail.
    Warning,
    /// Information a rule adds when it cannot judge (never configured; kept by the
    /// runner whatever the rule's severity, unless the rule is off).
    Note,
    /// Not evaluated.
    Off,
}

impl Severity {
    /// `error`, `warning` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
            Severity::Off => "off",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which revision (or file) a span refers to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The base revision.
    Base,
    /// The head revision.
    #[default]
    Head,
    /// A file on disk (`--config`).
    Disk,
}

/// A place in a file at one revision. Lines and columns are 1-based; 0 means
/// unknown. `end_line`/`end_column` are 0 when the span is a single point.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Span {
    /// Repository-relative file (or the `--config` path); `None` when the
    /// finding has no location.
    pub path: Option<String>,
    /// The revision `path` is read at.
    pub side: Side,
    /// Start line.
    pub line: u32,
    /// Start column.
    pub column: u32,
    /// End line (inclusive), 0 when unknown.
    pub end_line: u32,
    /// End column (exclusive), 0 when unknown.
    pub end_column: u32,
}

impl Span {
    /// The span of a parser position at `side`.
    pub fn at(pos: &Pos, side: Side) -> Span {
        Span {
            path: pos.file.as_deref().map(str::to_string),
            side,
            line: pos.line,
            column: pos.col,
            end_line: 0,
            end_column: 0,
        }
    }
    /// A whole line of `path` at `side`.
    pub fn line(path: &str, line: u32, side: Side) -> Span {
        Span {
            path: Some(path.to_string()),
            side,
            line,
            column: 1,
            end_line: 0,
            end_column: 0,
        }
    }
    /// No location.
    pub fn none() -> Span {
        Span::default()
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.line) {
            (None, _) => f.write_str("<unknown>"),
            (Some(p), 0) => f.write_str(p),
            (Some(p), l) => write!(f, "{p}:{l}"),
        }
    }
}

/// A secondary location with its own message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there.
    pub message: String,
}

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule's id (from the registry, [`crate::policy::rules::RULES`]).
    pub rule: &'static str,
    /// The configured severity of the rule.
    pub severity: Severity,
    /// One-line message.
    pub message: String,
    /// The primary location (flattened in JSON: `path`, `side`, `line`, `column`, …).
    #[serde(flatten)]
    pub span: Span,
    /// The label on the primary location.
    pub label: String,
    /// Secondary locations.
    pub labels: Vec<Label>,
    /// Details, one per line; a note indented by two spaces belongs to the one before.
    pub notes: Vec<String>,
    /// How to fix it.
    pub help: String,
}

impl Diagnostic {
    /// A diagnostic of `rule` at `span`; the severity is set by the rule runner
    /// from the configuration.
    pub fn new(rule: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            rule,
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: String::new(),
        }
    }
    /// Set the primary label.
    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }
    /// Add a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }
    /// Set the help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = help.into();
        self
    }
    /// Add a secondary label.
    #[must_use]
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }
    /// Set the severity.
    #[must_use]
    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }
}
