//! Per-overlay outcomes: an overlay that fails to render is *unrenderable*
//! with its cause, and blocks the run only when the change reaches it (a
//! path of its static closure changed); overlays matching an `exclude` glob
//! are neither rendered nor judged. The counts of each outcome make the
//! summary line every output format prints.

use super::model::{DiffReport, OverlayDiff, OverlayStatus};
use crate::error::{Error, ErrorKind};
use crate::kustomize::closure::{closure, Closures};
use crate::source::Source;
use globset::GlobSet;
use serde::Serialize;
use std::collections::BTreeSet;

/// Why an overlay does not render.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Unrenderable {
    /// The revision it fails at: `base` or `head`.
    pub side: &'static str,
    /// The renderer's error: file, line and what is missing or refused.
    pub cause: String,
    /// The file the error names, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line in `file` (0 when unknown).
    pub line: u32,
    /// The kind of failure (`missing`, `remote`, `unsupported`, `budget`, …).
    pub kind: ErrorKind,
    /// Whether the change reaches the overlay: a path of its static closure
    /// (at base or head) changed. A reached unrenderable overlay makes the run
    /// undecidable (exit 2).
    pub reached: bool,
}

impl Unrenderable {
    /// From a render error at `side`.
    pub fn from_error(e: &Error, side: &'static str, reached: bool) -> Unrenderable {
        Unrenderable {
            side,
            cause: e.to_string(),
            file: e.pos.file.as_deref().map(str::to_string),
            line: e.pos.line,
            kind: e.kind,
            reached,
        }
    }
}

/// Whether the change (`changed`, resolved through symlinks; `None`: unknown)
/// reaches the overlay in `dir` at either revision.
pub fn reaches(
    base: &dyn Source,
    head: Option<&dyn Source>,
    dir: &str,
    changed: Option<&BTreeSet<String>>,
) -> bool {
    let Some(c) = changed else {
        return true;
    };
    closure(base, dir).reached_by(c) || head.is_some_and(|h| closure(h, dir).reached_by(c))
}

/// [`reaches`] over closure caches of both revisions (`head`: `None` when the
/// overlay is not at head), for deciding many overlays.
pub fn reaches_cached(
    base: &Closures,
    head: Option<&Closures>,
    dir: &str,
    changed: &BTreeSet<String>,
) -> bool {
    base.reaches(dir, changed) || head.is_some_and(|h| h.reaches(dir, changed))
}

/// Whether an overlay directory is excluded: `globs` match it or one of its
/// parent directories.
pub fn is_excluded(globs: Option<&GlobSet>, dir: &str) -> bool {
    let Some(g) = globs else {
        return false;
    };
    let mut d = dir;
    loop {
        if !d.is_empty() && g.is_match(d) {
            return true;
        }
        match d.rfind('/') {
            Some(i) => d = &d[..i],
            None => return false,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How many overlays ended in each outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Rendered at every revision it exists at.
    pub rendered: usize,
    /// Rendered, with a different output (added, removed or modified).
    pub changed: usize,
    /// Rendered, with the same output.
    pub unchanged: usize,
    /// Not rendered: the change cannot reach them (counted in `unchanged` too).
    #[serde(skip_serializing_if = "is_zero")]
    pub not_rendered: usize,
    /// Unrenderable, and not reached by the change (a note).
    pub unrenderable_unreached: usize,
    /// Unrenderable and reached by the change (the run is undecided).
    pub unrenderable_reached: usize,
    /// Matching an `exclude` glob.
    pub excluded: usize,
    /// What the configuration's `ignore:` rules dropped from the diff.
    #[serde(skip_serializing_if = "super::ignore::Ignored::is_empty")]
    pub ignored: super::ignore::Ignored,
}

impl OverlayDiff {
    /// Whether the rendered output of the overlay changes (added, removed or modified).
    pub fn output_changed(&self) -> bool {
        matches!(
            self.status,
            OverlayStatus::Added | OverlayStatus::Removed | OverlayStatus::Modified
        )
    }
}

impl DiffReport {
    /// The count of each outcome.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            ignored: self.ignored,
            ..Summary::default()
        };
        for o in &self.overlays {
            match (o.status, &o.unrenderable) {
                (OverlayStatus::Excluded, _) => s.excluded += 1,
                (OverlayStatus::Unrenderable, Some(u)) if u.reached => s.unrenderable_reached += 1,
                (OverlayStatus::Unrenderable, _) => s.unrenderable_unreached += 1,
                (OverlayStatus::Unchanged, _) if o.not_rendered => {
                    s.not_rendered += 1;
                    s.unchanged += 1;
                }
                (OverlayStatus::Unchanged, _) => {
                    s.rendered += 1;
                    s.unchanged += 1;
                }
                _ => {
                    s.rendered += 1;
                    s.changed += 1;
                }
            }
        }
        s
    }

    /// One line counting every outcome:
    /// `overlays: 3 rendered (1 changed, 2 unchanged), 1 unrenderable not reached by the change, 1 excluded`,
    /// with `, 40 not reached by the change (not rendered)` after the first part
    /// when some were not rendered.
    pub fn summary_line(&self) -> String {
        let s = self.summary();
        let mut line = format!(
            "overlays: {} rendered ({} changed, {} unchanged)",
            s.rendered,
            s.changed,
            s.unchanged - s.not_rendered
        );
        if s.not_rendered > 0 {
            line.push_str(&format!(
                ", {} not reached by the change (not rendered)",
                s.not_rendered
            ));
        }
        if s.unrenderable_reached > 0 {
            line.push_str(&format!(
                ", {} unrenderable and reached by the change",
                s.unrenderable_reached
            ));
        }
        if s.unrenderable_unreached > 0 || s.not_rendered == 0 {
            line.push_str(&format!(
                ", {} unrenderable not reached by the change",
                s.unrenderable_unreached
            ));
        }
        line.push_str(&format!(", {} excluded", s.excluded));
        if !s.ignored.is_empty() {
            line.push_str(&format!(
                "; ignored by the configuration: {} resource change(s), {} field change(s)",
                s.ignored.resources, s.ignored.fields
            ));
        }
        line
    }

    /// The unrenderable overlays the change does not reach: `(path, outcome)`.
    pub fn unrenderable_notes(&self) -> Vec<(&str, &Unrenderable)> {
        self.overlays
            .iter()
            .filter_map(|o| o.unrenderable.as_ref().map(|u| (o.path.as_str(), u)))
            .filter(|(_, u)| !u.reached)
            .collect()
    }

    /// The excluded overlays.
    pub fn excluded(&self) -> Vec<&str> {
        self.overlays
            .iter()
            .filter(|o| o.status == OverlayStatus::Excluded)
            .map(|o| o.path.as_str())
            .collect()
    }

    /// Whether any rendered overlay's output changes.
    pub fn output_changes(&self) -> bool {
        self.summary().changed > 0
    }

    /// The error that makes the run undecidable, when the change reaches an
    /// unrenderable overlay: it names every such overlay and the first one's
    /// cause (its kind is the cause's kind).
    pub fn undecided(&self) -> Option<Error> {
        let reached: Vec<(&str, &Unrenderable)> = self
            .overlays
            .iter()
            .filter_map(|o| o.unrenderable.as_ref().map(|u| (o.path.as_str(), u)))
            .filter(|(_, u)| u.reached)
            .collect();
        let (path, first) = reached.first()?;
        let others = if reached.len() > 1 {
            let rest: Vec<&str> = reached[1..].iter().map(|(p, _)| shown(p)).collect();
            format!(" (also unrenderable and reached: {})", rest.join(", "))
        } else {
            String::new()
        };
        // The error is located at the file the cause names (the one line
        // names it first), the cause then without that prefix.
        let pos = crate::yaml::Pos {
            file: first.file.as_deref().map(Into::into),
            line: first.line,
            col: 0,
        };
        let prefix = format!("{pos}: ");
        let cause = match first.file {
            Some(_) => first.cause.strip_prefix(&prefix).unwrap_or(&first.cause),
            None => &first.cause,
        };
        let msg = format!(
            "could not decide: overlay {} does not render at {} and the change reaches it: {cause}{others}",
            shown(path),
            first.side,
        );
        let e = if pos.is_none() {
            Error::msg(msg)
        } else {
            Error::at(&pos, msg)
        };
        Some(e.kind(first.kind))
    }
}

/// An overlay path for messages (`.` for the root).
pub fn shown(path: &str) -> &str {
    if path.is_empty() {
        "."
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use globset::{Glob, GlobSetBuilder};

    #[test]
    fn exclusion_matches_dir_or_parent() {
        let mut b = GlobSetBuilder::new();
        b.add(Glob::new("templates").unwrap());
        b.add(Glob::new("test/*/data").unwrap());
        let g = b.build().unwrap();
        assert!(is_excluded(Some(&g), "templates"));
        assert!(is_excluded(Some(&g), "templates/x/y"));
        assert!(is_excluded(Some(&g), "test/a/data/k"));
        assert!(!is_excluded(Some(&g), "overlays/templates2"));
        assert!(!is_excluded(Some(&g), ""));
        assert!(!is_excluded(None, "templates"));
    }
}
