//! Ignore rules (`ignore:` of the configuration), applied to the diff before
//! any rule runs: an entry without `fields` drops whole resources of the
//! matching kinds and names from the diff; with `fields` it drops the matching
//! field changes (and the resource when no change is left). What was dropped
//! is counted in [`DiffReport::ignored`] and shown in every summary: never
//! silently.

use super::model::{ChangeAction, DiffReport, OverlayStatus, ResourceChange};
use super::pattern::FieldPattern;
use globset::GlobSet;
use serde::Serialize;

/// One `ignore:` entry.
#[derive(Clone, Debug, Default)]
pub struct IgnoreRule {
    /// Kinds it applies to (empty: every kind).
    pub kinds: Vec<String>,
    /// Resource name globs (`None`: every name).
    pub names: Option<GlobSet>,
    /// Field patterns (empty: the whole resource).
    pub fields: Vec<FieldPattern>,
    /// Where the entry is written (`file:line`), for messages.
    pub at: String,
}

/// What the ignore rules dropped from a diff.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Ignored {
    /// Whole resource changes dropped.
    pub resources: usize,
    /// Field changes dropped (of resources that stay, or that were left empty).
    pub fields: usize,
}

impl Ignored {
    /// Whether nothing was ignored.
    pub fn is_empty(&self) -> bool {
        self.resources == 0 && self.fields == 0
    }
}

impl IgnoreRule {
    fn applies(&self, c: &ResourceChange) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&c.kind))
            && self.names.as_ref().is_none_or(|n| {
                n.is_match(&c.name) || c.old_name.as_ref().is_some_and(|o| n.is_match(o))
            })
    }
}

/// Drop what `rules` ignore from every overlay of `report`; the counts are
/// added to `report.ignored` and the summary is recomputed.
pub fn apply(report: &mut DiffReport, rules: &[IgnoreRule]) {
    if rules.is_empty() {
        return;
    }
    let mut count = Ignored::default();
    for o in &mut report.overlays {
        let had = !o.changes.is_empty();
        o.changes.retain_mut(|c| keep(c, rules, &mut count));
        if had && o.changes.is_empty() && o.status == OverlayStatus::Modified {
            o.status = OverlayStatus::Unchanged;
        }
    }
    report.ignored.resources += count.resources;
    report.ignored.fields += count.fields;
    report.summary = report.summary();
}

/// Whether change `c` stays, after dropping its ignored fields.
fn keep(c: &mut ResourceChange, rules: &[IgnoreRule], count: &mut Ignored) -> bool {
    let applicable: Vec<&IgnoreRule> = rules.iter().filter(|r| r.applies(c)).collect();
    if applicable.iter().any(|r| r.fields.is_empty()) {
        count.resources += 1;
        return false;
    }
    if applicable.is_empty() || c.action != ChangeAction::Modified {
        return true;
    }
    let before = c.fields.len();
    c.fields.retain(|f| {
        !applicable
            .iter()
            .any(|r| r.fields.iter().any(|p| p.matches(&f.path)))
    });
    count.fields += before - c.fields.len();
    if c.fields.is_empty() {
        // Nothing of the resource changes but ignored fields.
        count.resources += 1;
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::model::{FieldChange, OverlayDiff};
    use crate::diff::path::{FieldPath, Step};

    fn change(kind: &str, name: &str, fields: &[&[&str]]) -> ResourceChange {
        ResourceChange {
            action: ChangeAction::Modified,
            group: String::new(),
            version: "v1".into(),
            kind: kind.into(),
            namespace: String::new(),
            name: name.into(),
            old_name: None,
            origin: None,
            secret: false,
            fields: fields
                .iter()
                .map(|p| FieldChange {
                    path: FieldPath(p.iter().map(|s| Step::Key(s.to_string())).collect()),
                    old: None,
                    new: Some(serde_json::json!(1)),
                    source: None,
                    text_diff: None,
                })
                .collect(),
            yaml_diff: String::new(),
        }
    }

    #[test]
    fn drops_fields_and_resources_and_counts_them() {
        let mut r = DiffReport {
            overlays: vec![OverlayDiff {
                path: "o".into(),
                environment: None,
                status: OverlayStatus::Modified,
                inputs_changed: true,
                changes: vec![
                    change(
                        "Deployment",
                        "web",
                        &[&["metadata", "annotations", "checksum/cfg"], &["spec", "x"]],
                    ),
                    change("MutatingWebhookConfiguration", "hook", &[&["caBundle"]]),
                    change("ConfigMap", "noise-1", &[&["data", "a"]]),
                ],
                unrenderable: None,
                deployment: None,
                not_rendered: false,
            }],
            ..Default::default()
        };
        let mut names = globset::GlobSetBuilder::new();
        names.add(globset::Glob::new("noise-*").unwrap());
        let rules = vec![
            IgnoreRule {
                fields: vec![
                    FieldPattern::parse("metadata.annotations[\"checksum/*\"]").unwrap(),
                    FieldPattern::parse("caBundle").unwrap(),
                ],
                ..Default::default()
            },
            IgnoreRule {
                kinds: vec!["ConfigMap".into()],
                names: Some(names.build().unwrap()),
                ..Default::default()
            },
        ];
        apply(&mut r, &rules);
        let left = &r.overlays[0].changes;
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].fields.len(), 1);
        assert_eq!(left[0].fields[0].path, "spec.x");
        assert_eq!(
            r.ignored,
            Ignored {
                resources: 2,
                fields: 2
            }
        );
    }
}
