//! `config-edit`: the change edits the gate's own configuration.

use super::Rule;
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::error::Result;
use crate::policy::config::CONFIG_FILE;
use crate::policy::RuleContext;

/// The rule.
pub static RULE: Rule = Rule {
    id: "config-edit",
    default_severity: Severity::Warning,
    summary:
        "The change edits the gate's own configuration, which is judged with the base version.",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"
**What it checks.** Whether the change edits the gate's own configuration file,
`.manifest-gate.yaml`. The gate always judges a change with the configuration at
base (or the file given with `--config`, in which case this rule does not apply).

**Why.** A change cannot loosen its own gate: a pull request that turns a rule off
or widens an environment's globs is judged by the rules it tries to remove, and the
reviewer is told that the gate's configuration changes.

**How to satisfy it.** Merge the configuration change on its own first, then the
change it enables.

**Example.** A pull request that sets `promotion-order: off` in
`.manifest-gate.yaml` and edits `overlays/prod` is still judged with
`promotion-order: error`, and gets a warning pointing at the edited line.
"#;

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    if cx.loaded.from_disk {
        return Ok(Vec::new());
    }
    let Some(c) = cx.changed.iter().find(|c| c.path == CONFIG_FILE) else {
        return Ok(Vec::new());
    };
    let head_text = cx.text(Side::Head, CONFIG_FILE)?;
    let (line, what) = first_changed_line(cx.loaded.text.as_deref(), head_text.as_deref());
    let side = if c.at_head { Side::Head } else { Side::Base };
    Ok(vec![Diagnostic::new(
        RULE.id,
        format!(
            "this change edits {CONFIG_FILE} ({what}); the gate judged it with the base version"
        ),
        Span::line(CONFIG_FILE, line, side),
    )
    .with_label("edited here")
    .with_help(
        "a change cannot loosen its own gate: merge the configuration change on its own first",
    )])
}

/// The first line where two texts differ, and a short description of the edit.
fn first_changed_line(base: Option<&str>, head: Option<&str>) -> (u32, String) {
    match (base, head) {
        (None, Some(_)) => (1, "added".to_string()),
        (Some(_), None) => (1, "deleted".to_string()),
        (Some(b), Some(h)) => {
            let bl: Vec<&str> = b.lines().collect();
            let hl: Vec<&str> = h.lines().collect();
            let i = (0..bl.len().max(hl.len()))
                .find(|&i| bl.get(i) != hl.get(i))
                .unwrap_or(0);
            let what = match (bl.get(i), hl.get(i)) {
                (Some(o), Some(n)) => format!("line {}: '{}' -> '{}'", i + 1, o.trim(), n.trim()),
                (None, Some(n)) => format!("line {} added: '{}'", i + 1, n.trim()),
                (Some(o), None) => format!("line {} removed: '{}'", i + 1, o.trim()),
                (None, None) => "changed".to_string(),
            };
            ((i + 1).min(hl.len().max(1)) as u32, what)
        }
        (None, None) => (1, "changed".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::first_changed_line;

    #[test]
    fn names_the_first_edit() {
        assert_eq!(first_changed_line(None, Some("a")), (1, "added".into()));
        assert_eq!(
            first_changed_line(Some("a\nb\n"), Some("a\nc\n")),
            (2, "line 2: 'b' -> 'c'".into())
        );
        assert_eq!(
            first_changed_line(Some("a\n"), Some("a\nz\n")),
            (2, "line 2 added: 'z'".into())
        );
    }
}
