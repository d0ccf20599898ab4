//! `single-environment`: a change may touch at most one environment.

use super::{source_pos, Rule};
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::diff::{ChangeAction, OverlayDiff};
use crate::error::Result;
use crate::policy::RuleContext;
use crate::yaml::Pos;
use std::collections::BTreeSet;

/// The rule.
pub static RULE: Rule = Rule {
    id: "single-environment",
    default_severity: Severity::Error,
    summary: "A change may touch at most one environment, judged on the rendered manifests.",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"
**What it checks.** The environments a change touches: every environment with at
least one overlay whose *rendered* output changes between base and head. More than
one touched environment is a violation. The report lists, per environment, the
overlays and resources that change and the source lines that caused it. Several
clusters of one environment (`blue-prod`, `green-prod`) count as one environment.
Overlays that match no environment are listed as unassigned and do not count.

**Why.** A change that reaches two environments at once cannot be proven in the
first before it lands in the second. The classic incident is a one-line edit in a
shared base or component that silently rolls out to preprod *and* prod in the same
merge: the rendered diff shows it, the source diff does not.

**How to satisfy it.** Split the change so each pull request changes one
environment, in promotion order. When a shared base or component must change, make
the new behaviour opt-in (a new component, a patch in one overlay), promote it one
environment at a time, then fold it back into the base in a change that renders
identically everywhere (a pure refactor touches no environment and passes).

**Example.** Raising `replicas` in `base/deployment.yaml`, shared by
`overlays/staging` and `overlays/prod`, touches two environments and fails; the
same edit as a patch in `overlays/staging` alone passes.
"#;

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    if cx.touched.len() < 2 {
        return Ok(Vec::new());
    }
    let changed = cx.changed_paths();
    let names: Vec<&str> = cx.touched.iter().map(|t| t.env.as_str()).collect();
    let mut notes = Vec::new();
    let mut first: Option<(Pos, bool)> = None;
    for t in &cx.touched {
        for path in &t.overlays {
            let Some(o) = cx.diff.overlays.iter().find(|o| &o.path == path) else {
                continue;
            };
            let res: Vec<String> = o.changes.iter().map(describe_change).collect();
            let mut srcs = change_sources(o, &changed);
            // Prefer the lines of files this change edits; fall back to every source.
            let in_changed = |p: &Pos| changed.contains(p.file.as_deref().unwrap_or(""));
            if srcs.iter().any(|(p, _)| in_changed(p)) {
                srcs.retain(|(p, _)| in_changed(p));
            }
            if first.is_none() {
                first = srcs.first().cloned();
            }
            let src_list: Vec<String> = srcs.iter().take(5).map(|(p, _)| p.to_string()).collect();
            let mut note = format!("{}: {path}: {}", t.env, res.join(", "));
            if !src_list.is_empty() {
                note.push_str(&format!("; from {}", src_list.join(", ")));
            }
            notes.push(note);
        }
    }
    let files: Vec<&str> = changed.iter().copied().take(5).collect();
    if !files.is_empty() {
        let more = if changed.len() > 5 {
            format!(" and {} more", changed.len() - 5)
        } else {
            String::new()
        };
        notes.push(format!("files changed: {}{more}", files.join(", ")));
    }
    let (pos, removal) = first.unwrap_or((Pos::none(), false));
    let side = if removal { Side::Base } else { Side::Head };
    let mut d = Diagnostic::new(
        RULE.id,
        format!(
            "this change touches {} environments: {}",
            cx.touched.len(),
            names.join(", ")
        ),
        Span::at(&pos, side),
    )
    .with_label(format!(
        "this line changes the rendered output of {}",
        names.join(" and ")
    ))
    .with_help(format!(
        "split the change: one environment per change, in promotion order ({})",
        names.join(" -> ")
    ));
    d.notes = notes;
    Ok(vec![d])
}

/// `Deployment app (2 fields)`.
fn describe_change(c: &crate::diff::ResourceChange) -> String {
    let what = match c.action {
        ChangeAction::Added => "added".to_string(),
        ChangeAction::Removed => "removed".to_string(),
        ChangeAction::Modified => format!(
            "{} field{}",
            c.fields.len(),
            if c.fields.len() == 1 { "" } else { "s" }
        ),
    };
    format!("{} {} ({what})", c.kind, c.name)
}

/// The source lines behind an overlay's changes (changed files first), each
/// with whether it is a removal (a line at base).
fn change_sources(o: &OverlayDiff, changed: &BTreeSet<&str>) -> Vec<(Pos, bool)> {
    let mut out: Vec<(Pos, bool)> = Vec::new();
    for ch in &o.changes {
        let mut refs: Vec<&crate::diff::SourceRef> =
            ch.fields.iter().filter_map(|f| f.source.as_ref()).collect();
        if refs.is_empty() {
            refs.extend(ch.origin.as_ref());
        }
        for r in refs {
            let p = source_pos(r);
            let removal = ch.action == ChangeAction::Removed;
            if !out.iter().any(|(x, _)| *x == p) {
                out.push((p, removal));
            }
        }
    }
    out.sort_by_key(|(p, _)| !changed.contains(p.file.as_deref().unwrap_or("")));
    out
}
