//! Markdown for pull-request comments: a summary table, then one collapsible
//! section per changed overlay with the changed fields and a YAML diff.

use super::{escape, short_json};
use crate::diff::{ChangeAction, DiffReport, FieldChange, OverlayStatus};
use std::collections::BTreeSet;
use std::fmt::Write;

/// Cap on the YAML diff of one overlay (GitHub comments hold 65536 characters).
const MAX_DIFF: usize = 12_000;

/// A table cell: pipes escaped (the content is already escaped for Markdown).
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A Markdown code span of a repository string.
pub(super) fn code(s: &str) -> String {
    escape::md_code(s)
}

/// A code fence longer than any backtick run in `body`.
pub(super) fn fence(body: &str) -> String {
    let mut f = "```".to_string();
    while body.contains(&f) {
        f.push('`');
    }
    f
}

/// The word for a resource change's action.
pub(super) fn action_word(a: ChangeAction) -> &'static str {
    match a {
        ChangeAction::Added => "added",
        ChangeAction::Removed => "removed",
        ChangeAction::Modified => "modified",
    }
}

/// One changed field as a list item: path, old → new (or added/removed), and the
/// source line that set it.
pub(super) fn field_line(f: &FieldChange) -> String {
    let src = f
        .source
        .as_ref()
        .map(|s| format!(" ← {}", code(&s.to_string())))
        .unwrap_or_default();
    let val = match (&f.old, &f.new) {
        (Some(_), Some(_)) if f.text_diff.is_some() => " (text changed)".to_string(),
        (Some(x), Some(y)) => format!(
            ": {} → {}",
            code(&short_json(x, 80)),
            code(&short_json(y, 80))
        ),
        (None, Some(y)) => format!(": added {}", code(&short_json(y, 80))),
        (Some(x), None) => format!(": removed {}", code(&short_json(x, 80))),
        (None, None) => String::new(),
    };
    format!("  - {}{val}{src}", code(&f.path.to_string()))
}

/// The summary line, then a note per unrenderable overlay the change does not
/// reach and the excluded overlays (repository strings escaped).
pub(crate) fn outcome_notes(r: &DiffReport) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "\n{}\n", cell(&r.summary_line()));
    for (path, u) in r.unrenderable_notes() {
        let _ = writeln!(
            o,
            "> [!NOTE]\n> {} does not render at {} and this change does not reach it (not judged): {}\n",
            code(crate::diff::outcome::shown(path)),
            u.side,
            code(&u.cause)
        );
    }
    let ex = r.excluded();
    if !ex.is_empty() {
        let list: Vec<String> = ex
            .iter()
            .map(|p| code(crate::diff::outcome::shown(p)))
            .collect();
        let _ = writeln!(
            o,
            "Excluded by the configuration (not rendered): {}\n",
            list.join(", ")
        );
    }
    o
}

/// Unrenderable overlays the change does not reach and excluded overlays,
/// each list capped (the comment's summary line is in its verdict).
pub(crate) fn outcome_notes_capped(r: &DiffReport) -> String {
    const CAP: usize = 10;
    let mut o = String::new();
    let notes = r.unrenderable_notes();
    for (path, u) in notes.iter().take(CAP) {
        let _ = writeln!(
            o,
            "\n> [!NOTE]\n> {} does not render at {} and this change does not reach it (not judged): {}",
            code(crate::diff::outcome::shown(path)),
            u.side,
            code(&u.cause)
        );
    }
    if notes.len() > CAP {
        let _ = writeln!(
            o,
            "\n… and {} more unrenderable overlays this change does not reach.",
            notes.len() - CAP
        );
    }
    let ex: Vec<String> = r
        .excluded()
        .iter()
        .map(|p| crate::diff::outcome::shown(p).to_string())
        .collect();
    if !ex.is_empty() {
        let _ = writeln!(
            o,
            "\nExcluded by the configuration (not rendered): {}",
            super::comment_diff::capped(&ex, CAP)
        );
    }
    o
}

/// Render the report as Markdown.
pub fn render(r: &DiffReport) -> String {
    let mut o = String::new();
    let changed: Vec<_> = r.overlays.iter().filter(|x| x.output_changed()).collect();
    let _ = writeln!(o, "### Rendered manifest diff\n");
    let _ = writeln!(o, "{} → {}\n", code(&r.base), code(&r.head));
    if changed.is_empty() {
        let _ = writeln!(o, "No rendered changes in {} overlays.", r.overlays.len());
        o.push_str(&outcome_notes(r));
        return o;
    }
    let envs: BTreeSet<&str> = changed
        .iter()
        .filter_map(|x| x.environment.as_deref())
        .collect();
    let resources: usize = changed.iter().map(|x| x.changes.len()).sum();
    let _ = writeln!(
        o,
        "**{}** environments, **{}** of {} overlays, **{}** resources changed.\n",
        envs.len(),
        changed.len(),
        r.overlays.len(),
        resources
    );
    let _ = writeln!(
        o,
        "| Environment | Overlay | Status | Added | Removed | Modified |"
    );
    let _ = writeln!(o, "|---|---|---|---:|---:|---:|");
    for ov in &changed {
        let (a, d, m) = ov.counts();
        let path = if ov.path.is_empty() { "." } else { &ov.path };
        let status = match ov.status {
            OverlayStatus::Added => "added",
            OverlayStatus::Removed => "removed",
            OverlayStatus::Modified => "modified",
            OverlayStatus::Unchanged => "unchanged",
            OverlayStatus::Unrenderable => "unrenderable",
            OverlayStatus::Excluded => "excluded",
        };
        let _ = writeln!(
            o,
            "| {} | {} | {status} | {a} | {d} | {m} |",
            cell(
                &ov.environment
                    .as_deref()
                    .map(escape::md)
                    .unwrap_or("—".into())
            ),
            cell(&code(path))
        );
    }
    for ov in &changed {
        let path = if ov.path.is_empty() { "." } else { &ov.path };
        let (a, d, m) = ov.counts();
        let env = ov
            .environment
            .as_deref()
            .map(|e| format!(" ({})", escape::html(e)))
            .unwrap_or_default();
        let path = escape::html(path);
        let _ = writeln!(o, "\n<details>\n<summary><code>{path}</code>{env}: {a} added, {d} removed, {m} modified</summary>\n");
        let mut diff = String::new();
        for ch in &ov.changes {
            let sign = match ch.action {
                ChangeAction::Added => "+",
                ChangeAction::Removed => "-",
                ChangeAction::Modified => "~",
            };
            let renamed = ch
                .old_name
                .as_deref()
                .map(|n| format!(" (was {})", code(n)))
                .unwrap_or_default();
            let word = action_word(ch.action);
            let _ = writeln!(o, "- {word} {}{renamed}", code(&ch.display_id()));
            for f in &ch.fields {
                let _ = writeln!(o, "{}", field_line(f));
            }
            if diff.len() < MAX_DIFF {
                let _ = writeln!(diff, "# {sign} {}", escape::text(&ch.display_id()));
                diff.push_str(&ch.yaml_diff);
                if diff.len() > MAX_DIFF {
                    let mut cut = MAX_DIFF;
                    while !diff.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    diff.truncate(cut);
                    diff.push_str("\n# … diff truncated\n");
                }
            }
        }
        let f = fence(&diff);
        let _ = writeln!(o, "\n{f}diff\n{diff}{f}\n\n</details>");
    }
    let unchanged = r.summary().unchanged;
    if unchanged > 0 {
        let _ = writeln!(o, "\n{unchanged} overlays unchanged.");
    }
    o.push_str(&outcome_notes(r));
    o
}
