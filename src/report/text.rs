//! Terminal output.

use super::{escape, short_json};
use crate::diff::{ChangeAction, DiffReport, OverlayStatus};
use std::fmt::Write;

struct Paint(bool);

impl Paint {
    fn c(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn add(&self, s: &str) -> String {
        self.c("32", s)
    }
    fn del(&self, s: &str) -> String {
        self.c("31", s)
    }
    fn modi(&self, s: &str) -> String {
        self.c("33", s)
    }
    fn dim(&self, s: &str) -> String {
        self.c("2", s)
    }
    fn bold(&self, s: &str) -> String {
        self.c("1", s)
    }
}

fn short(sha: &Option<String>) -> String {
    sha.as_deref()
        .map(|s| format!(" ({})", &s[..s.len().min(12)]))
        .unwrap_or_default()
}

/// Render the report for a terminal.
pub fn render(r: &DiffReport, color: bool) -> String {
    let p = Paint(color);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{}",
        p.bold(&format!(
            "diff {}{} .. {}{}",
            escape::text(&r.base),
            short(&r.base_commit),
            escape::text(&r.head),
            short(&r.head_commit)
        ))
    );
    let changed: Vec<_> = r.overlays.iter().filter(|x| x.output_changed()).collect();
    let unchanged = r.summary().unchanged;
    if changed.is_empty() {
        let _ = writeln!(o, "no rendered changes ({} overlays)", r.overlays.len());
        o.push_str(&super::outcome_notes_text(r));
        return o;
    }
    let _ = writeln!(
        o,
        "{} of {} overlays changed",
        changed.len(),
        r.overlays.len()
    );
    for ov in changed {
        let (a, d, m) = ov.counts();
        let path = escape::text(if ov.path.is_empty() { "." } else { &ov.path });
        let env = ov
            .environment
            .as_deref()
            .map(|e| format!(" [{}]", escape::text(e)))
            .unwrap_or_default();
        let status = match ov.status {
            OverlayStatus::Added => p.add("added"),
            OverlayStatus::Removed => p.del("removed"),
            _ => p.modi("modified"),
        };
        let _ = writeln!(
            o,
            "\n{}{env}: {status} ({a} added, {d} removed, {m} modified)",
            p.bold(&path)
        );
        for ch in &ov.changes {
            let id = escape::text(&ch.display_id());
            let renamed = ch
                .old_name
                .as_deref()
                .map(|n| format!(" (was {})", escape::text(n)))
                .unwrap_or_default();
            let origin = ch
                .origin
                .as_ref()
                .map(|s| p.dim(&format!("  {}", escape::text(&s.to_string()))))
                .unwrap_or_default();
            let line = match ch.action {
                ChangeAction::Added => p.add(&format!("+ {id}")),
                ChangeAction::Removed => p.del(&format!("- {id}")),
                ChangeAction::Modified => p.modi(&format!("~ {id}{renamed}")),
            };
            let _ = writeln!(o, "  {line}{origin}");
            for f in &ch.fields {
                let src = f
                    .source
                    .as_ref()
                    .map(|s| p.dim(&format!("  ({})", escape::text(&s.to_string()))))
                    .unwrap_or_default();
                let body = match (&f.old, &f.new) {
                    (Some(_), Some(_)) if f.text_diff.is_some() => String::new(),
                    (Some(a), Some(b)) => format!(
                        ": {} -> {}",
                        p.del(&short_json(a, 120)),
                        p.add(&short_json(b, 120))
                    ),
                    (None, Some(b)) => format!(": {}", p.add(&format!("+ {}", short_json(b, 160)))),
                    (Some(a), None) => format!(": {}", p.del(&format!("- {}", short_json(a, 160)))),
                    (None, None) => String::new(),
                };
                let _ = writeln!(o, "      {}{body}{src}", escape::text(&f.path.to_string()));
                if let Some(td) = &f.text_diff {
                    for l in td.lines() {
                        let l = escape::text(l);
                        let l = l.as_str();
                        let l2 = if l.starts_with('+') {
                            p.add(l)
                        } else if l.starts_with('-') {
                            p.del(l)
                        } else if l.starts_with("@@") {
                            p.dim(l)
                        } else {
                            l.to_string()
                        };
                        let _ = writeln!(o, "        {l2}");
                    }
                }
            }
        }
    }
    if unchanged > 0 {
        let _ = writeln!(o, "\n{unchanged} overlays unchanged");
    }
    o.push_str(&super::outcome_notes_text(r));
    o
}
