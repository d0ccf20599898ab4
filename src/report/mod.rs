//! The output layer: every renderer of a diff report or a check outcome.
//!
//! One [`Format`] (parsed by clap) for every command. The diff renders as
//! `text` (terminals), `json` (stable, see `docs/diff-json.md`) or `markdown`
//! (pull-request comments); a check outcome additionally as `sarif`
//! ([`sarif`]), and its `markdown` is the pull-request comment
//! ([`comment`]), plus the CI formats `github` (workflow-command
//! annotations, [`github`]), `junit` ([`junit`]) and `gitlab` (Code Quality,
//! [`gitlab`]). A run that could not decide ([`Undecided`], exit 2) renders in
//! every format too, so that a report file is always valid. Repository-controlled
//! strings are escaped for the target format in one place, [`escape`].

mod check_json;
mod check_text;
pub mod comment;
mod comment_diff;
pub mod escape;
pub mod github;
pub mod gitlab;
pub mod junit;
mod markdown;
pub mod output;
pub mod overlays;
pub mod rules;
pub mod sarif;
mod text;

pub use crate::diagnostic::{Diagnostic, Label, Severity, Side, Span};

use crate::diff::DiffReport;
use crate::error::{Error, Result};
use crate::policy::CheckOutcome;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text (the diff coloured on a terminal unless `NO_COLOR` is set).
    #[default]
    Text,
    /// Stable JSON.
    Json,
    /// Markdown for pull-request comments.
    Markdown,
    /// SARIF 2.1.0 (check only).
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding (check only).
    Github,
    /// JUnit XML: one test case per rule per environment (check only).
    Junit,
    /// GitLab Code Quality JSON (check only).
    Gitlab,
}

impl Format {
    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Junit => "junit",
            Format::Gitlab => "gitlab",
        }
    }
    /// Whether the format describes findings (check only, not a diff).
    pub fn check_only(self) -> bool {
        matches!(
            self,
            Format::Sarif | Format::Github | Format::Junit | Format::Gitlab
        )
    }
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Format> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "markdown" | "md" => Ok(Format::Markdown),
            "sarif" => Ok(Format::Sarif),
            "github" => Ok(Format::Github),
            "junit" => Ok(Format::Junit),
            "gitlab" | "codequality" => Ok(Format::Gitlab),
            _ => Err(Error::msg(format!(
                "unknown format '{s}': expected text, json, markdown, sarif, github, junit or gitlab"
            ))),
        }
    }
}

/// Whether text output should be coloured: stdout is a terminal and `NO_COLOR`
/// is unset or empty.
pub fn color_enabled() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Render a diff report. Text is coloured when [`color_enabled`]. The check
/// formats describe findings, which a diff has none of: the JSON document is
/// printed (`diff` refuses them first, [`diff_format`]).
pub fn render_report(report: &DiffReport, format: Format) -> String {
    match format {
        Format::Text => text::render(report, color_enabled()),
        Format::Markdown => markdown::render(report),
        Format::Json | Format::Sarif | Format::Github | Format::Junit | Format::Gitlab => {
            render_json(report)
        }
    }
}

/// Whether `format` applies to a diff report (SARIF and the CI formats
/// describe findings).
pub fn diff_format(format: Format) -> Result<()> {
    if format.check_only() {
        return Err(Error::msg(format!(
            "--format {} describes findings: use it with `manifest-gate check`",
            format.name()
        )));
    }
    Ok(())
}

/// Text, with colour on or off.
pub fn render_text(report: &DiffReport, color: bool) -> String {
    text::render(report, color)
}

/// The diff JSON document (pretty-printed, newline-terminated).
pub fn render_json(report: &DiffReport) -> String {
    to_json(report)
}

/// Render the outcome of a check. Markdown is the pull-request comment,
/// without a size limit.
pub fn render_check(outcome: &CheckOutcome, format: Format) -> String {
    match format {
        Format::Text => check_text::render(outcome),
        Format::Json => check_json::render(outcome),
        Format::Sarif => sarif::render(outcome),
        Format::Markdown => comment::comment(outcome, &comment::CommentOptions::unlimited()),
        Format::Github => github::render(outcome),
        Format::Junit => junit::render(outcome),
        Format::Gitlab => gitlab::render(outcome),
    }
}

/// A run of `check` that could not decide (exit 2): the revisions asked for
/// and the error that stopped it.
#[derive(Clone, Copy, Debug)]
pub struct Undecided<'a> {
    /// Base revision as given.
    pub base: &'a str,
    /// Head revision as given.
    pub head: &'a str,
    /// Why the gate could not decide.
    pub error: &'a Error,
}

impl Undecided<'_> {
    /// The one-line cause (with the file and line when the error names them).
    pub fn cause(&self) -> String {
        self.error.to_string()
    }
    /// The cause, saying that the gate could not decide (once).
    pub fn headline(&self) -> String {
        let c = self.cause();
        if c.contains("could not decide") {
            c
        } else {
            format!("could not decide: {c}")
        }
    }
    /// The repository file the error names, when known.
    pub fn file(&self) -> Option<&str> {
        self.error.pos.file.as_deref()
    }
    /// The line in [`Undecided::file`] (0 when unknown).
    pub fn line(&self) -> u32 {
        self.error.pos.line
    }
    /// The error's kind, as in the JSON (`missing`, `budget`, …).
    pub fn kind(&self) -> String {
        serde_json::to_value(self.error.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "other".into())
    }
}

/// What one run of `check` produced: an outcome, or why there is none.
#[derive(Clone, Copy, Debug)]
pub enum Verdict<'a> {
    /// The rules ran (exit 0 or 1).
    Decided(&'a CheckOutcome),
    /// The gate could not decide (exit 2).
    Undecided(Undecided<'a>),
}

/// Render a verdict in `format`. An undecided run is a valid document of the
/// format that says so and why (SARIF with `executionSuccessful: false`,
/// JUnit with an `<error>` test case, a Code Quality blocker, JSON with
/// `"decided": false`, Markdown saying the gate could not decide); text is the
/// `error:` line.
pub fn render_verdict(v: &Verdict<'_>, format: Format) -> String {
    let u = match v {
        Verdict::Decided(o) => return render_check(o, format),
        Verdict::Undecided(u) => u,
    };
    match format {
        Format::Text => format!("error: {}\n", escape::text(&u.cause())),
        Format::Json => check_json::render_undecided(u),
        Format::Sarif => sarif::render_undecided(u),
        Format::Markdown => comment::undecided_body(u),
        Format::Github => github::render_undecided(u),
        Format::Junit => junit::render_undecided(u),
        Format::Gitlab => gitlab::render_undecided(u),
    }
}

/// The pull-request comment for a verdict (also when the gate could not
/// decide), within `opts.limit` characters.
pub fn render_comment(v: &Verdict<'_>, opts: &comment::CommentOptions<'_>) -> String {
    match v {
        Verdict::Decided(o) => comment::comment(o, opts),
        Verdict::Undecided(u) => comment::undecided_comment(u, opts.key),
    }
}

/// Pretty JSON, newline-terminated. Serialising these plain structs cannot
/// fail; should it ever, the error is the document.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    let mut s = serde_json::to_string_pretty(v)
        .unwrap_or_else(|e| format!("{{\"error\":{:?}}}", e.to_string()));
    s.push('\n');
    s
}

/// The summary line, then a note per unrenderable overlay the change does not
/// reach and the excluded overlays, for text output (repository strings
/// escaped). Starts with an empty line.
pub fn outcome_notes_text(r: &DiffReport) -> String {
    use crate::diff::outcome::shown;
    let mut o = format!("\n{}\n", r.summary_line());
    for (path, u) in r.unrenderable_notes() {
        o.push_str(&format!(
            "note: {} does not render at {} and this change does not reach it (not judged): {}\n",
            escape::text(shown(path)),
            u.side,
            escape::text(&u.cause)
        ));
    }
    let ex = r.excluded();
    if !ex.is_empty() {
        let list: Vec<String> = ex.iter().map(|p| escape::text(shown(p))).collect();
        o.push_str(&format!(
            "excluded by the configuration (not rendered): {}\n",
            list.join(", ")
        ));
    }
    o
}

/// A JSON value shown compactly, long values shortened.
pub(crate) fn short_json(v: &serde_json::Value, max: usize) -> String {
    let s = serde_json::to_string(v).unwrap_or_default();
    if s.chars().count() > max {
        let cut: String = s.chars().take(max).collect();
        format!("{cut}…")
    } else {
        s
    }
}
