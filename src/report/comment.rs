//! The pull-request comment: a hidden marker, the verdict (findings first),
//! then the Markdown diff, cut to the forge's size limit with a note (the
//! verdict is never cut). Repository-controlled strings go through
//! [`super::escape`].

use super::comment_diff::{self, capped};
use super::escape;
use crate::diagnostic::{Severity, Side};

use crate::policy::CheckOutcome;
use std::fmt::Write;

/// The hidden marker that identifies manifest-gate's comment.
pub const MARKER: &str = "<!-- manifest-gate -->";

fn md_escape(s: &str) -> String {
    escape::md(s)
}

fn code(s: &str) -> String {
    escape::md_code(s)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Overlays named per environment line before "and N more".
pub const ENV_LIST_CAP: usize = 5;
/// Notes shown per finding before "and N more".
pub const NOTES_CAP: usize = 12;
/// Longest note or source line shown, in characters.
const LINE_CAP: usize = 400;

/// `s` cut to `max` characters (whole characters), with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// The headline and revisions.
fn headline(o: &CheckOutcome, marker: &str) -> String {
    let mut s = String::new();
    let errors = o.count(Severity::Error);
    let warnings = o.count(Severity::Warning);
    let _ = writeln!(s, "{marker}");
    if o.passed() {
        let _ = writeln!(
            s,
            "## ✅ manifest-gate: passed ({warnings} warning{})\n",
            plural(warnings)
        );
    } else {
        let _ = writeln!(
            s,
            "## ❌ manifest-gate: failed — {errors} error{} ({}), {warnings} warning{}\n",
            plural(errors),
            o.failed_rules().join(", "),
            plural(warnings)
        );
    }
    let _ = writeln!(
        s,
        "{} → {} · configuration: {}\n",
        code(&o.base),
        code(&o.head),
        md_escape(&o.config_source)
    );
    s
}

/// One line per touched environment (overlay lists capped), the unassigned
/// overlays, and the summary line.
fn environments(o: &CheckOutcome) -> String {
    let mut s = String::new();
    if o.touched.is_empty() && !o.report.output_changes() {
        let _ = writeln!(
            s,
            "**Environments touched:** none (the rendered output does not change)\n"
        );
    } else if o.touched.is_empty() {
        let _ = writeln!(s, "**Environments touched:** none\n");
    } else {
        let _ = writeln!(s, "**Environments touched:**\n");
        for t in &o.touched {
            let n = t.overlays.len();
            let _ = writeln!(
                s,
                "- **{}**: {n} overlay{} — {}",
                md_escape(&t.env),
                plural(n),
                capped(&t.overlays, ENV_LIST_CAP)
            );
        }
        s.push('\n');
    }
    if !o.unassigned.is_empty() {
        let _ = writeln!(
            s,
            "**Unassigned overlays changed (not counted):** {}\n",
            capped(&o.unassigned, ENV_LIST_CAP)
        );
    }
    let _ = writeln!(s, "{}\n", md_escape(&o.report.summary_line()));
    for n in &o.notes {
        let _ = writeln!(s, "**Note:** {}\n", md_escape(n));
    }
    s
}

/// The source line a finding points at (Secret values already redacted).
fn source_line(o: &CheckOutcome, v: &crate::diagnostic::Diagnostic) -> Option<String> {
    let file = v.span.path.as_deref()?;
    let n = v.span.line as usize;
    let t = o.texts.get(&(v.span.side, file.to_string()))?;
    let line = t.lines().nth(n.checked_sub(1)?)?.trim();
    (!line.is_empty()).then(|| clip(line, LINE_CAP))
}

/// One finding: severity, rule, message, location with its source line,
/// notes (capped) and help.
fn finding(o: &CheckOutcome, v: &crate::diagnostic::Diagnostic) -> String {
    let mut s = String::new();
    let icon = match v.severity {
        Severity::Error => "❌",
        Severity::Note => "ℹ️",
        _ => "⚠️",
    };
    let _ = writeln!(
        s,
        "- {icon} **{}** {}: {}",
        v.severity.as_str(),
        code(v.rule),
        md_escape(&clip(&v.message, LINE_CAP))
    );
    if let Some(file) = v.span.path.as_deref() {
        let at = if v.span.line > 0 {
            format!("{file}:{}", v.span.line)
        } else {
            file.to_string()
        };
        let side = match v.span.side {
            Side::Base => " (base)",
            Side::Head => "",
            Side::Disk => " (--config)",
        };
        let _ = writeln!(
            s,
            "  - at {}{side}: {}",
            code(&at),
            md_escape(&clip(&v.label, LINE_CAP))
        );
        if let Some(line) = source_line(o, v) {
            let _ = writeln!(s, "    - {}", code(&line));
        }
    }
    for n in v.notes.iter().take(NOTES_CAP) {
        // Notes indented by two spaces nest under the previous one.
        let depth = (n.len() - n.trim_start().len()) / 2;
        let _ = writeln!(
            s,
            "{}  - {}",
            "  ".repeat(depth.min(4)),
            md_escape(&clip(n.trim_start(), LINE_CAP))
        );
    }
    if v.notes.len() > NOTES_CAP {
        let _ = writeln!(s, "  - … and {} more notes", v.notes.len() - NOTES_CAP);
    }
    if !v.help.is_empty() {
        let _ = writeln!(s, "  - **help:** {}", md_escape(&clip(&v.help, LINE_CAP)));
    }
    s
}

/// The verdict part of the comment, listing at most `max_findings` findings.
fn verdict(o: &CheckOutcome, marker: &str, max_findings: usize) -> String {
    let mut s = headline(o, marker);
    s.push_str(&environments(o));
    if !o.diagnostics.is_empty() {
        let _ = writeln!(s, "### Findings\n");
        for v in o.diagnostics.iter().take(max_findings) {
            s.push_str(&finding(o, v));
        }
        let more = o.diagnostics.len().saturating_sub(max_findings);
        if more > 0 {
            let _ = writeln!(
                s,
                "- … and {more} more finding{} (run `manifest-gate check` for all of them)",
                plural(more)
            );
        }
        s.push('\n');
        if !o.passed() {
            let _ = writeln!(
                s,
                "Run `manifest-gate explain <rule>` for what a rule checks and how to satisfy it.\n"
            );
        }
    }
    s
}

/// The comment (and job summary) of a run that could not decide: the marker,
/// a headline saying so, the cause and where it is, and what to do.
pub fn undecided_body(u: &super::Undecided<'_>) -> String {
    undecided_comment(u, None)
}

/// [`undecided_body`] with the marker of `key` (`--comment-key`).
pub fn undecided_comment(u: &super::Undecided<'_>, key: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", marker(key));
    let _ = writeln!(s, "## ⚠️ manifest-gate: could not decide\n");
    let _ = writeln!(s, "{} → {}\n", code(u.base), code(u.head));
    let _ = writeln!(
        s,
        "The gate did not judge this change, so it neither passes nor fails it (exit 2).\n"
    );
    if let Some(file) = u.file() {
        let at = if u.line() > 0 {
            format!("{file}:{}", u.line())
        } else {
            file.to_string()
        };
        let _ = writeln!(s, "**Where:** {}\n", code(&at));
    }
    let _ = writeln!(s, "**Why:** {}\n", md_escape(&u.cause()));
    let _ = writeln!(
        s,
        "Fix the cause (or exclude the overlay in `.manifest-gate.yaml` at the base) and push again; \
         `manifest-gate check` prints the same error locally."
    );
    s
}

/// How the comment is built: its size limit, the key of its marker, and the
/// file holding the full report, if any.
#[derive(Clone, Copy, Debug)]
pub struct CommentOptions<'a> {
    /// Most characters of the body.
    pub limit: usize,
    /// `--comment-key`: several gates in one repository keep one comment each.
    pub key: Option<&'a str>,
    /// The name of the full report (`--report-file`), which the comment points to
    /// when it has to cut.
    pub report_file: Option<&'a str>,
}

impl CommentOptions<'_> {
    /// No limit, the plain marker, no report file.
    pub fn unlimited() -> CommentOptions<'static> {
        CommentOptions {
            limit: usize::MAX,
            key: None,
            report_file: None,
        }
    }
}

/// The hidden marker of the comment: [`MARKER`], or with a key
/// `<!-- manifest-gate key=KEY -->` (the key reduced to `[A-Za-z0-9._-]`).
pub fn marker(key: Option<&str>) -> String {
    match key {
        None => MARKER.to_string(),
        Some(k) => {
            let k: String = k
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .take(64)
                .collect();
            format!("<!-- manifest-gate key={k} -->")
        }
    }
}

/// What was left out, named: how many resources, and a capped list.
fn cut_note(cut: &[String], limit: usize, o: &CheckOutcome, report_file: Option<&str>) -> String {
    let mut s = format!(
        "\n> **Note:** {} resource change{} not shown to fit the {limit}-character comment limit: {}.",
        cut.len(),
        plural(cut.len()),
        capped(cut, 8)
    );
    match report_file {
        Some(f) => {
            let _ = write!(
                s,
                " The full report is {} (with the CI job's artifacts).",
                code(f)
            );
        }
        None => {
            let _ = write!(
                s,
                " Run `manifest-gate diff --base {} --head {}` for the whole diff.",
                escape::text(&o.base).replace('`', "'"),
                escape::text(&o.head).replace('`', "'")
            );
        }
    }
    s.push('\n');
    s
}

/// The rendered diff: grouped identical change sets, whole resources within
/// `room` characters; the resources that do not fit are named in the note.
fn diff_section(o: &CheckOutcome, room: usize, opts: &CommentOptions) -> String {
    let r = &o.report;
    let mut s = String::from("### Rendered manifest diff\n\n");
    let (groups, overlays) = comment_diff::group_counts(r);
    if overlays == 0 {
        let _ = writeln!(s, "No rendered changes in {} overlays.", r.overlays.len());
        return s;
    }
    let resources: usize = r
        .overlays
        .iter()
        .filter(|x| x.output_changed())
        .map(|x| x.changes.len())
        .sum();
    let _ = writeln!(
        s,
        "**{overlays}** overlay{} changed ({resources} resource changes), **{groups}** distinct change set{}.",
        plural(overlays),
        plural(groups)
    );
    // Room for the note naming what was cut.
    const NOTE_RESERVE: usize = 4_000;
    let budget = room.saturating_sub(NOTE_RESERVE);
    let mut used = s.chars().count();
    let mut cut: Vec<String> = Vec::new();
    for b in comment_diff::blocks(r, &o.touched_environments()) {
        let n = b.text.chars().count();
        if cut.is_empty() && used + n <= budget {
            s.push_str(&b.text);
            used += n;
        } else if let Some(w) = b.what {
            cut.push(w);
        }
    }
    if !cut.is_empty() {
        s.push_str(&cut_note(&cut, opts.limit, o, opts.report_file));
    }
    s
}

/// The comment: marker, verdict (one line per environment, every finding with
/// its source line), then the rendered diff grouped by identical change sets,
/// within `opts.limit` characters. The diff is cut first, at whole resources,
/// naming what was cut; findings are dropped from the end only when the
/// verdict alone would not fit.
pub fn comment(outcome: &CheckOutcome, opts: &CommentOptions) -> String {
    const SEP: &str = "\n---\n\n";
    let limit = opts.limit;
    let marker = marker(opts.key);
    let mut n = outcome.diagnostics.len();
    let mut head = verdict(outcome, &marker, n);
    // Leave room for a minimal diff section.
    while head.chars().count().saturating_add(6_000) > limit && n > 0 {
        n = n.saturating_sub((n / 4).max(1));
        head = verdict(outcome, &marker, n);
    }
    let room = limit.saturating_sub(head.chars().count() + SEP.len());
    let mut body = format!("{head}{SEP}{}", diff_section(outcome, room, opts));
    let notes = super::markdown::outcome_notes_capped(&outcome.report);
    if body.chars().count().saturating_add(notes.chars().count()) <= limit {
        body.push_str(&notes);
    }
    if body.chars().count() > limit {
        // Only with absurd limits: the verdict alone, cut at a line.
        let mut out = String::new();
        for line in head.split_inclusive('\n') {
            if out.chars().count() + line.chars().count() > limit {
                break;
            }
            out.push_str(line);
        }
        body = out;
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, Span};
    use crate::policy::Touched;

    const GITHUB_LIMIT: usize = 65_536;

    pub(crate) fn outcome(errors: usize) -> CheckOutcome {
        let diagnostics = (0..errors)
            .map(|i| {
                Diagnostic::new(
                    "single-environment",
                    format!("change touches <2> environments #{i}"),
                    Span::line("base/deploy.yaml", 7, Side::Head),
                )
                .with_label("changes every overlay")
                .with_help("split the change")
                .with_note("prod: overlays/prod")
            })
            .collect();
        CheckOutcome {
            base: "main".into(),
            head: "HEAD".into(),
            config_source: "inferred".into(),
            touched: vec![Touched {
                env: "prod".into(),
                overlays: vec!["overlays/prod".into()],
            }],
            diagnostics,
            ..Default::default()
        }
    }

    fn opts(limit: usize) -> CommentOptions<'static> {
        CommentOptions {
            limit,
            key: None,
            report_file: None,
        }
    }

    #[test]
    fn body_has_marker_verdict_and_diff() {
        let b = comment(&outcome(1), &opts(GITHUB_LIMIT));
        assert!(b.starts_with(MARKER));
        assert!(b.contains("❌ manifest-gate: failed — 1 error (single-environment)"));
        assert!(b.contains("`base/deploy.yaml:7`"));
        assert!(b.contains("&lt;2&gt;"));
        assert!(b.contains("### Rendered manifest diff"));
        assert!(b.contains("- **prod**: 1 overlay — `overlays/prod`"), "{b}");
        let p = comment(&outcome(0), &opts(GITHUB_LIMIT));
        assert!(p.contains("✅ manifest-gate: passed (0 warnings)"));
    }

    #[test]
    fn keyed_marker_is_inert() {
        assert_eq!(
            marker(Some("infra -->x")),
            "<!-- manifest-gate key=infra--x -->"
        );
        let o = CommentOptions {
            key: Some("apps"),
            ..opts(GITHUB_LIMIT)
        };
        assert!(comment(&outcome(0), &o).starts_with("<!-- manifest-gate key=apps -->"));
    }

    #[test]
    fn many_findings_fit() {
        let o = outcome(2000);
        let b = comment(&o, &opts(GITHUB_LIMIT));
        assert!(b.chars().count() <= GITHUB_LIMIT);
        assert!(b.contains("failed — 2000 errors"));
        assert!(b.contains("more findings"));
    }

    #[test]
    fn an_absurd_limit_keeps_whole_lines() {
        let b = comment(&outcome(3), &opts(100));
        assert!(b.chars().count() <= 100, "{b}");
        assert!(b.ends_with('\n'));
    }
}
