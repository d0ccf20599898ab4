//! The rendered diff of the pull-request comment, built to scale: overlays
//! (and GitOps deployments) whose change sets are the *same* — the same
//! resources from the same source lines, with the same field changes — are
//! shown once ("the same change in 120 overlays"), their list collapsed and
//! capped; each resource is one [`Block`] so that the comment is cut only
//! between whole resources, and what was cut can be named.

use super::escape;
use super::markdown::{action_word, code, fence, field_line};
use crate::diff::outcome::shown;
use crate::diff::{ChangeAction, DiffReport, OverlayDiff, ResourceChange};
use std::fmt::Write;

/// Names listed before "and N more" in the collapsed list of a group.
pub const GROUP_LIST_CAP: usize = 50;
/// Largest YAML diff shown for one resource, in characters (cut at a line).
pub const RESOURCE_DIFF_CHARS: usize = 6_000;
/// Field changes listed for one resource before "and N more".
pub const FIELDS_CAP: usize = 20;

/// A piece of the comment that is shown whole or not at all.
#[derive(Clone, Debug)]
pub struct Block {
    /// The Markdown (self-contained: every fence and `<details>` it opens closes).
    pub text: String,
    /// What it shows, for the list of what was cut (`None`: a heading).
    pub what: Option<String>,
}

/// Overlays with one change set, in report order.
struct Group<'a> {
    overlays: Vec<&'a OverlayDiff>,
}

/// What makes two overlays' changes "the same": per resource, the action,
/// group and kind, where it comes from (its source file and line, else its
/// name) and every field change with its values and source.
fn signature(o: &OverlayDiff) -> String {
    let mut s = String::new();
    for c in &o.changes {
        let from = match &c.origin {
            Some(r) => format!("{}:{}", r.path, r.line),
            None => format!("name={}/{}", c.namespace, c.name),
        };
        let _ = write!(
            s,
            "{:?}\u{0}{}\u{0}{}\u{0}{from}\u{1}",
            c.action, c.group, c.kind
        );
        if c.fields.is_empty() && c.action != ChangeAction::Modified {
            // An added or removed resource: its content, minus the lines
            // naming it (namePrefix and namespace differ per overlay).
            for l in c.yaml_diff.lines() {
                let t = l.trim_start_matches(['+', '-', ' ']);
                if !t.starts_with("name:") && !t.starts_with("namespace:") {
                    let _ = write!(s, "{t}\u{2}");
                }
            }
        }
        for f in &c.fields {
            let src = f
                .source
                .as_ref()
                .map(|r| format!("{}:{}", r.path, r.line))
                .unwrap_or_default();
            let _ = write!(
                s,
                "{}\u{0}{:?}\u{0}{:?}\u{0}{src}\u{1}",
                f.path, f.old, f.new
            );
        }
        s.push('\u{3}');
    }
    s
}

fn groups(r: &DiffReport) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = Default::default();
    for o in r.overlays.iter().filter(|o| o.output_changed()) {
        let sig = signature(o);
        match index.get(&sig) {
            Some(&i) => out[i].overlays.push(o),
            None => {
                index.insert(sig, out.len());
                out.push(Group { overlays: vec![o] });
            }
        }
    }
    out
}

/// A capped, comma-separated list of code spans: `a`, `b` and 3 more.
pub fn capped(items: &[String], cap: usize) -> String {
    let shown: Vec<String> = items.iter().take(cap).map(|s| code(s)).collect();
    let more = items.len().saturating_sub(cap);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// The first `max` characters of `s` at a line boundary (never inside a
/// character), and whether it was cut.
fn cut_lines(s: &str, max: usize) -> (String, bool) {
    let mut out = String::new();
    let mut n = 0;
    for line in s.split_inclusive('\n') {
        let c = line.chars().count();
        if n + c > max {
            return (out, true);
        }
        out.push_str(line);
        n += c;
    }
    (out, false)
}

/// One resource of a group's representative overlay.
fn resource_block(c: &ResourceChange, where_: &str) -> Block {
    let mut t = String::new();
    let renamed = c
        .old_name
        .as_deref()
        .map(|n| format!(" (was {})", code(n)))
        .unwrap_or_default();
    let _ = writeln!(
        t,
        "- {} {}{renamed}",
        action_word(c.action),
        code(&c.display_id())
    );
    for f in c.fields.iter().take(FIELDS_CAP) {
        let _ = writeln!(t, "{}", field_line(f));
    }
    if c.fields.len() > FIELDS_CAP {
        let _ = writeln!(t, "  - … and {} more fields", c.fields.len() - FIELDS_CAP);
    }
    if !c.yaml_diff.is_empty() {
        let (diff, cut) = cut_lines(&c.yaml_diff, RESOURCE_DIFF_CHARS);
        let mut diff = diff;
        if !diff.ends_with('\n') && !diff.is_empty() {
            diff.push('\n');
        }
        if cut {
            diff.push_str("# … diff cut (the full report has it)\n");
        }
        let f = fence(&diff);
        let _ = writeln!(
            t,
            "\n  <details><summary>YAML diff</summary>\n\n{f}diff\n{diff}{f}\n\n  </details>\n"
        );
    }
    Block {
        text: t,
        what: Some(format!("{} in {where_}", c.display_id())),
    }
}

/// The heading of a group: one overlay, or "the same change in N overlays"
/// with the list collapsed and capped.
fn group_heading(g: &Group, env_order: &[String]) -> Block {
    let first = g.overlays[0];
    let (a, d, m) = first.counts();
    let counts = format!("{a} added, {d} removed, {m} modified");
    let mut envs: Vec<&str> = Vec::new();
    for o in &g.overlays {
        let e = o.environment.as_deref().unwrap_or("unassigned");
        if !envs.contains(&e) {
            envs.push(e);
        }
    }
    // In promotion order; environments the order does not know last.
    envs.sort_by_key(|e| env_order.iter().position(|x| x == e).unwrap_or(usize::MAX));
    let envs: Vec<String> = envs.iter().map(|e| escape::md(e)).collect();
    let mut t = String::new();
    if g.overlays.len() == 1 {
        let _ = writeln!(
            t,
            "\n#### {} ({}): {counts}\n",
            code(shown(&first.path)),
            envs.join(", ")
        );
    } else {
        let names: Vec<String> = g
            .overlays
            .iter()
            .map(|o| shown(&o.path).to_string())
            .collect();
        let _ = writeln!(
            t,
            "\n#### The same change in {} overlays ({}): {counts} each\n",
            g.overlays.len(),
            envs.join(", ")
        );
        let _ = writeln!(
            t,
            "<details><summary>{} overlays</summary>\n\n{}\n\n</details>\n",
            g.overlays.len(),
            capped(&names, GROUP_LIST_CAP)
        );
        let _ = writeln!(t, "Shown for {}:\n", code(shown(&first.path)));
    }
    Block {
        text: t,
        what: None,
    }
}

/// The diff as blocks: a heading per group of identical change sets (its
/// environments in `env_order`, the promotion order), then one block per
/// resource of its first overlay.
pub fn blocks(r: &DiffReport, env_order: &[String]) -> Vec<Block> {
    let mut out = Vec::new();
    for g in groups(r) {
        out.push(group_heading(&g, env_order));
        let first = g.overlays[0];
        let where_ = if g.overlays.len() == 1 {
            shown(&first.path).to_string()
        } else {
            format!(
                "{} (and {} more overlays)",
                shown(&first.path),
                g.overlays.len() - 1
            )
        };
        for c in &first.changes {
            out.push(resource_block(c, &where_));
        }
    }
    out
}

/// Number of groups of identical change sets and of changed overlays.
pub fn group_counts(r: &DiffReport) -> (usize, usize) {
    let g = groups(r);
    (g.len(), g.iter().map(|g| g.overlays.len()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{OverlayStatus, SourceRef};

    fn added(name: &str, origin: &str) -> ResourceChange {
        ResourceChange {
            action: ChangeAction::Added,
            group: String::new(),
            version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: String::new(),
            name: name.into(),
            old_name: None,
            origin: Some(SourceRef {
                path: origin.into(),
                line: 1,
            }),
            secret: false,
            fields: Vec::new(),
            yaml_diff: format!("+kind: ConfigMap\n+metadata:\n+  name: {name}\n+data:\n+  a: b\n"),
        }
    }

    fn overlay(path: &str, env: &str, changes: Vec<ResourceChange>) -> OverlayDiff {
        OverlayDiff {
            path: path.into(),
            environment: Some(env.into()),
            status: OverlayStatus::Modified,
            inputs_changed: true,
            changes,
            unrenderable: None,
            deployment: None,
            not_rendered: false,
        }
    }

    #[test]
    fn identical_change_sets_are_one_group() {
        let r = DiffReport {
            overlays: vec![
                overlay("o/prod-a", "prod", vec![added("a-cm", "base/cm.yaml")]),
                overlay("o/dev-b", "dev", vec![added("b-cm", "base/cm.yaml")]),
                overlay("o/dev-c", "dev", vec![added("c-cm", "o/dev-c/cm.yaml")]),
            ],
            ..Default::default()
        };
        assert_eq!(group_counts(&r), (2, 3));
        let b = blocks(&r, &["dev".to_string(), "prod".to_string()]);
        assert_eq!(b.len(), 4, "{b:#?}");
        assert!(b[0].text.contains(
            "#### The same change in 2 overlays (dev, prod): 1 added, 0 removed, 0 modified each"
        ));
        assert!(b[0].text.contains("`o/prod-a`, `o/dev-b`"));
        assert_eq!(
            b[1].what.as_deref(),
            Some("ConfigMap a-cm in o/prod-a (and 1 more overlays)")
        );
        assert!(b[2].text.contains("#### `o/dev-c` (dev)"));
        // Every block closes what it opens.
        for x in &b {
            assert_eq!(
                x.text.matches("<details>").count(),
                x.text.matches("</details>").count()
            );
        }
    }

    #[test]
    fn lists_are_capped_and_cuts_keep_characters_whole() {
        let items: Vec<String> = (0..7).map(|i| format!("x{i}")).collect();
        assert_eq!(capped(&items, 2), "`x0`, `x1` and 5 more");
        let (cut, was) = cut_lines("ä\nöö\nü\n", 5);
        assert_eq!((cut.as_str(), was), ("ä\nöö\n", true));
    }
}
