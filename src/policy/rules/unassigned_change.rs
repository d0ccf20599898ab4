//! `unassigned-change`: a changed overlay that belongs to no environment.

use super::{source_pos, Rule};
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::diff::ChangeAction;
use crate::error::Result;
use crate::policy::RuleContext;

/// The rule.
pub static RULE: Rule = Rule {
    id: "unassigned-change",
    default_severity: Severity::Warning,
    summary:
        "A change to an overlay that matches no environment is reported, not silently uncounted.",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"
**What it checks.** Every overlay whose rendered output changes but that no
environment claims (no `overlays:` glob matches it, or, without a configuration, no
path segment names an environment, or two different environment words share the
outermost segment that has one, as in `prod-staging`: the warning names both words,
never a guess). Each such overlay gets one diagnostic listing
the resources that change. The other rules do not count these overlays.

**Why.** An overlay outside every environment is outside the gate: a new cluster
directory, a typo in a glob or an unusual path name would otherwise let a change
reach a cluster without any rule looking at it.

**How to satisfy it.** Add the overlay to an environment's `overlays:` globs in
`.manifest-gate.yaml` (in a change of its own), or name its directory after its
environment. Set the rule to `error` to make such changes fail.

**Example.** A change to `clusters/edge-1/kustomization.yaml` when the
configuration's globs only cover `clusters/*-prod` warns: `clusters/edge-1` is
assigned to no environment, and the warning lists the changed resources.
"#;

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let mut out = Vec::new();
    for path in &cx.unassigned {
        let Some(o) = cx.diff.overlays.iter().find(|o| &o.path == path) else {
            continue;
        };
        let shown = if path.is_empty() { "." } else { path.as_str() };
        let first = o.changes.iter().find_map(|c| {
            let src = c
                .fields
                .iter()
                .find_map(|f| f.source.as_ref())
                .or(c.origin.as_ref())?;
            Some((source_pos(src), c.action == ChangeAction::Removed))
        });
        let span = match &first {
            Some((pos, removal)) => Span::at(pos, if *removal { Side::Base } else { Side::Head }),
            None => Span::none(),
        };
        let reason = cx
            .assign
            .get(path)
            .map(|a| a.reason.as_str())
            .unwrap_or("not matched");
        let count = format!(
            "{} resource{}",
            o.changes.len(),
            if o.changes.len() == 1 { "" } else { "s" }
        );
        // An ambiguous name says which words conflict: the gate never guesses.
        let message = match reason.find("ambiguous: ").map(|i| &reason[i + 11..]) {
            Some(why) => {
                format!("overlay {shown} changes ({count}) but its environment is ambiguous: {why}")
            }
            None => format!("overlay {shown} changes ({count}) but is assigned to no environment"),
        };
        let mut d = Diagnostic::new(RULE.id, message, span)
        .with_label(format!("this line changes the rendered output of {shown}"))
        .with_help(
            "add the overlay to an environment's `overlays:` globs in .manifest-gate.yaml, or name its directory after its environment",
        );
        for c in o.changes.iter().take(10) {
            let what = match c.action {
                ChangeAction::Added => "added",
                ChangeAction::Removed => "removed",
                ChangeAction::Modified => "modified",
            };
            d.notes.push(format!("{what} {} {}", c.kind, c.name));
        }
        if o.changes.len() > 10 {
            d.notes
                .push(format!("... and {} more", o.changes.len() - 10));
        }
        d.notes
            .push(format!("assigned to no environment: {reason}"));
        out.push(d);
    }
    Ok(out)
}
