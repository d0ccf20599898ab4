//! Output formats for diff reports: `text` (terminals), `json` (stable, see
//! `docs/diff-json.md`) and `markdown` (pull-request comments).

mod markdown;
pub mod sarif;
mod text;

use crate::diff::DiffReport;
use std::str::FromStr;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// Human-readable text (coloured on a terminal unless `NO_COLOR` is set).
    #[default]
    Text,
    /// Stable JSON.
    Json,
    /// Markdown for pull-request comments.
    Markdown,
}

impl FromStr for Format {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Format> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "markdown" | "md" => Ok(Format::Markdown),
            _ => Err(crate::Error::msg(format!(
                "unknown format '{s}': expected text, json or markdown"
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

/// Render a report. Text is coloured when [`color_enabled`].
pub fn render_report(report: &DiffReport, format: Format) -> String {
    match format {
        Format::Text => text::render(report, color_enabled()),
        Format::Json => render_json(report),
        Format::Markdown => markdown::render(report),
    }
}

/// Text, with colour on or off.
pub fn render_text(report: &DiffReport, color: bool) -> String {
    text::render(report, color)
}

/// The JSON document (pretty-printed, newline-terminated).
pub fn render_json(report: &DiffReport) -> String {
    let mut s =
        serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
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
