//! The last stage: publish the gate's verdict on the pull request.
//!
//! [`comment_body`] turns a [`CheckOutcome`] and the Markdown diff into one
//! comment (verdict first, then the diff, cut to the forge's size limit with a
//! note; the verdict is never cut). [`Target::from_env`] reads where to post from
//! the CI environment, and [`upsert`] finds the comment carrying [`MARKER`] and
//! updates it, or creates one. The network is used only here.
//!
//! Tokens are held privately in [`Target`], sent only in request headers, and
//! scrubbed from every error message.

mod github;
mod gitlab;
mod http;

use crate::error::{Error, Result};
use crate::policy::{CheckOutcome, Severity, Side};
use std::fmt::{self, Write};
use std::str::FromStr;

/// The hidden marker that identifies manifest-gate's comment.
pub const MARKER: &str = "<!-- manifest-gate -->";

/// GitHub's maximum comment body, in characters.
pub const GITHUB_LIMIT: usize = 65_536;

/// GitLab's maximum note body, in characters.
pub const GITLAB_LIMIT: usize = 1_000_000;

/// A code forge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forge {
    /// GitHub (REST API, issue comments on the pull request).
    GitHub,
    /// GitLab (REST API v4, merge request notes).
    GitLab,
}

impl Forge {
    /// The comment size limit, in characters.
    pub fn limit(self) -> usize {
        match self {
            Forge::GitHub => GITHUB_LIMIT,
            Forge::GitLab => GITLAB_LIMIT,
        }
    }
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Forge::GitHub => "GitHub",
            Forge::GitLab => "GitLab",
        }
    }
}

impl FromStr for Forge {
    type Err = Error;
    fn from_str(s: &str) -> Result<Forge> {
        match s.to_ascii_lowercase().as_str() {
            "github" => Ok(Forge::GitHub),
            "gitlab" => Ok(Forge::GitLab),
            _ => Err(Error::msg(format!(
                "unknown forge '{s}': expected github or gitlab"
            ))),
        }
    }
}

/// Where to post: the API, the repository or project, the pull/merge request
/// and the token.
#[derive(Clone)]
pub struct Target {
    /// Which forge.
    pub forge: Forge,
    /// API base URL, without a trailing slash.
    pub api: String,
    /// `owner/repo` (GitHub) or project id or path (GitLab).
    pub project: String,
    /// Pull request number (GitHub) or merge request iid (GitLab).
    pub number: u64,
    token: String,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("forge", &self.forge)
            .field("api", &self.api)
            .field("project", &self.project)
            .field("number", &self.number)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Target {
    /// A target from its parts.
    pub fn new(
        forge: Forge,
        api: &str,
        project: &str,
        number: u64,
        token: impl Into<String>,
    ) -> Target {
        Target {
            forge,
            api: api.trim_end_matches('/').to_string(),
            project: project.to_string(),
            number,
            token: token.into(),
        }
    }

    /// Read the target from the environment (`env` looks a variable up;
    /// empty values count as unset). `pr` (`--pr N`) overrides the number.
    ///
    /// GitHub: `GITHUB_API_URL` (default `https://api.github.com`),
    /// `GITHUB_REPOSITORY`, `GITHUB_TOKEN`, the number from `pr` or
    /// `GITHUB_EVENT_PATH`'s `pull_request.number`.
    /// GitLab: `CI_API_V4_URL`, `CI_PROJECT_ID`, `GITLAB_TOKEN`, the number from
    /// `pr` or `CI_MERGE_REQUEST_IID`.
    pub fn from_env(
        forge: Forge,
        pr: Option<u64>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Target> {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let need = |k: &str, why: &str| {
            get(k).ok_or_else(|| Error::msg(format!("{k} is not set ({why})")))
        };
        match forge {
            Forge::GitHub => {
                let api = get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into());
                let repo = need("GITHUB_REPOSITORY", "owner/repo of the pull request")?;
                if !repo.contains('/') {
                    return Err(Error::msg(format!(
                        "GITHUB_REPOSITORY '{repo}' is not of the form owner/repo"
                    )));
                }
                let number = match pr {
                    Some(n) => n,
                    None => {
                        let path = get("GITHUB_EVENT_PATH").ok_or_else(|| {
                            Error::msg(
                                "no pull request number: pass --pr N or run on a pull_request event (GITHUB_EVENT_PATH is not set)",
                            )
                        })?;
                        pr_from_event(&path)?
                    }
                };
                let token = need(
                    "GITHUB_TOKEN",
                    "a token allowed to write pull request comments",
                )?;
                Ok(Target::new(forge, &api, &repo, number, token))
            }
            Forge::GitLab => {
                let api = need("CI_API_V4_URL", "the GitLab API v4 URL")?;
                let project = need("CI_PROJECT_ID", "the project id")?;
                let number = match pr {
                    Some(n) => n,
                    None => {
                        let iid = need(
                            "CI_MERGE_REQUEST_IID",
                            "run in a merge request pipeline or pass --pr N",
                        )?;
                        iid.trim().parse().map_err(|_| {
                            Error::msg(format!("CI_MERGE_REQUEST_IID '{iid}' is not a number"))
                        })?
                    }
                };
                let token = need("GITLAB_TOKEN", "a token with the api scope")?;
                Ok(Target::new(forge, &api, &project, number, token))
            }
        }
    }

    /// `owner/repo#5` or `project 42 !7`.
    pub fn describe(&self) -> String {
        match self.forge {
            Forge::GitHub => format!("{}#{}", self.project, self.number),
            Forge::GitLab => format!("project {} !{}", self.project, self.number),
        }
    }

    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Remove the token from a message.
    pub(crate) fn scrub(&self, msg: &str) -> String {
        if self.token.is_empty() {
            msg.to_string()
        } else {
            msg.replace(&self.token, "***")
        }
    }
}

/// The pull request number in a GitHub event payload.
fn pr_from_event(path: &str) -> Result<u64> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::msg(format!("cannot read GITHUB_EVENT_PATH '{path}': {e}")))?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::msg(format!("GITHUB_EVENT_PATH '{path}': invalid JSON: {e}")))?;
    v.pointer("/pull_request/number")
        .or_else(|| v.pointer("/issue/number"))
        .or_else(|| v.pointer("/number"))
        .and_then(|n| n.as_u64())
        .ok_or_else(|| {
            Error::msg(format!(
                "GITHUB_EVENT_PATH '{path}' has no pull_request.number: not a pull request event (pass --pr N)"
            ))
        })
}

/// What [`upsert`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Posted {
    /// A new comment with this id.
    Created(u64),
    /// The existing comment with this id was updated.
    Updated(u64),
}

impl fmt::Display for Posted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Posted::Created(id) => write!(f, "created comment {id}"),
            Posted::Updated(id) => write!(f, "updated comment {id}"),
        }
    }
}

/// A comment already on the pull request.
#[derive(Clone, Debug)]
pub(crate) struct Existing {
    pub id: u64,
    pub body: String,
}

/// Update the comment carrying [`MARKER`], or create one.
pub fn upsert(target: &Target, body: &str) -> Result<Posted> {
    let client = http::Client::new(target)?;
    let run = || -> Result<Posted> {
        let existing = match target.forge {
            Forge::GitHub => github::list(&client, target)?,
            Forge::GitLab => gitlab::list(&client, target)?,
        };
        match existing.iter().find(|c| c.body.contains(MARKER)) {
            Some(c) => {
                match target.forge {
                    Forge::GitHub => github::update(&client, target, c.id, body)?,
                    Forge::GitLab => gitlab::update(&client, target, c.id, body)?,
                }
                Ok(Posted::Updated(c.id))
            }
            None => {
                let id = match target.forge {
                    Forge::GitHub => github::create(&client, target, body)?,
                    Forge::GitLab => gitlab::create(&client, target, body)?,
                };
                Ok(Posted::Created(id))
            }
        }
    };
    run().map_err(|e| Error::msg(target.scrub(&e.to_string())))
}

fn md_escape(s: &str) -> String {
    s.replace('<', "&lt;").replace('>', "&gt;")
}

fn code(s: &str) -> String {
    format!("`{}`", s.replace('`', "'"))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The verdict part of the comment, listing at most `max_findings` findings.
fn verdict(o: &CheckOutcome, max_findings: usize) -> String {
    let mut s = String::new();
    let errors = o
        .violations
        .iter()
        .filter(|v| v.severity == Severity::Error)
        .count();
    let warnings = o
        .violations
        .iter()
        .filter(|v| v.severity == Severity::Warning)
        .count();
    let _ = writeln!(s, "{MARKER}");
    if o.passed() {
        let _ = writeln!(
            s,
            "## ✅ manifest-gate: passed ({warnings} warning{})\n",
            plural(warnings)
        );
    } else {
        let mut rules: Vec<&str> = Vec::new();
        for v in o
            .violations
            .iter()
            .filter(|v| v.severity == Severity::Error)
        {
            if !rules.contains(&v.rule) {
                rules.push(v.rule);
            }
        }
        let _ = writeln!(
            s,
            "## ❌ manifest-gate: failed — {errors} error{} ({}), {warnings} warning{}\n",
            plural(errors),
            rules.join(", "),
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
    if o.touched.is_empty() {
        let _ = writeln!(
            s,
            "**Environments touched:** none (the rendered output does not change)\n"
        );
    } else {
        let _ = writeln!(s, "**Environments touched:**\n");
        for t in &o.touched {
            let ov: Vec<String> = t.overlays.iter().map(|p| code(p)).collect();
            let _ = writeln!(s, "- **{}**: {}", md_escape(&t.env), ov.join(", "));
        }
        s.push('\n');
    }
    if !o.unassigned.is_empty() {
        let ov: Vec<String> = o.unassigned.iter().map(|p| code(p)).collect();
        let _ = writeln!(
            s,
            "**Unassigned overlays changed (not counted):** {}\n",
            ov.join(", ")
        );
    }
    if !o.violations.is_empty() {
        let _ = writeln!(s, "### Findings\n");
        for v in o.violations.iter().take(max_findings) {
            let icon = if v.severity == Severity::Error {
                "❌"
            } else {
                "⚠️"
            };
            let _ = writeln!(
                s,
                "- {icon} **{}** {}: {}",
                v.severity.as_str(),
                code(v.rule),
                md_escape(&v.message)
            );
            if let Some(file) = v.pos.file.as_deref() {
                let at = if v.pos.line > 0 {
                    format!("{file}:{}", v.pos.line)
                } else {
                    file.to_string()
                };
                let side = match v.side {
                    Side::Base => " (base)",
                    Side::Head => "",
                    Side::Disk => " (--config)",
                };
                let _ = writeln!(s, "  - at {}{side}: {}", code(&at), md_escape(&v.label));
            }
            for n in &v.notes {
                // Notes indented by two spaces nest under the previous one.
                let depth = (n.len() - n.trim_start().len()) / 2;
                let _ = writeln!(
                    s,
                    "{}  - {}",
                    "  ".repeat(depth.min(4)),
                    md_escape(n.trim_start())
                );
            }
            if !v.help.is_empty() {
                let _ = writeln!(s, "  - **help:** {}", md_escape(&v.help));
            }
        }
        let more = o.violations.len().saturating_sub(max_findings);
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

/// Cut Markdown to at most `max` characters at a line boundary, closing an
/// open code fence and open `<details>` blocks.
fn cut_markdown(md: &str, max: usize) -> String {
    // Room for the closers appended below.
    const RESERVE: usize = 200;
    let budget = max.saturating_sub(RESERVE);
    let mut out = String::new();
    let mut used = 0usize;
    let mut fence: Option<String> = None;
    let mut details = 0usize;
    for line in md.split_inclusive('\n') {
        let n = line.chars().count();
        if used + n > budget {
            break;
        }
        out.push_str(line);
        used += n;
        let t = line.trim();
        let ticks: String = t.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(f) if ticks.len() >= f.len() && t.len() == ticks.len() => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                details += t.matches("<details>").count();
                details = details.saturating_sub(t.matches("</details>").count());
            }
        }
    }
    if !out.ends_with('\n') && !out.is_empty() {
        out.push('\n');
    }
    if let Some(f) = fence {
        out.push_str(&f);
        out.push('\n');
    }
    for _ in 0..details.min(10) {
        out.push_str("\n</details>\n");
    }
    out
}

/// The comment: marker, verdict, then the Markdown diff, within `limit`
/// characters. The diff is cut first (with a note saying so); findings are
/// dropped from the end only when the verdict alone would not fit.
pub fn comment_body(outcome: &CheckOutcome, diff_markdown: &str, limit: usize) -> String {
    const SEP: &str = "\n---\n\n";
    let mut n = outcome.violations.len();
    let mut head = verdict(outcome, n);
    // Leave room for a minimal diff note.
    while head.chars().count() + 600 > limit && n > 0 {
        n = n.saturating_sub((n / 4).max(1));
        head = verdict(outcome, n);
    }
    let full = format!("{head}{SEP}{diff_markdown}");
    if full.chars().count() <= limit {
        return full;
    }
    let note = format!(
        "\n> **Note:** the rendered diff was truncated to fit the {limit}-character comment limit. \
         Run `manifest-gate diff --base {} --head {}` for the whole diff.\n",
        outcome.base.replace('`', "'"),
        outcome.head.replace('`', "'")
    );
    let room = limit.saturating_sub(head.chars().count() + SEP.len() + note.chars().count());
    let cut = cut_markdown(diff_markdown, room);
    let mut body = format!("{head}{SEP}{cut}{note}");
    if body.chars().count() > limit {
        // Only with absurdly long revision names: keep the verdict.
        body = head.chars().take(limit).collect();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Touched, Violation};
    use crate::yaml::Pos;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    pub(crate) fn outcome(errors: usize) -> CheckOutcome {
        let violations = (0..errors)
            .map(|i| {
                Violation::new(
                    "single-environment",
                    Severity::Error,
                    format!("change touches <2> environments #{i}"),
                    &Pos::new(&Arc::from("base/deploy.yaml"), 7, 3),
                    Side::Head,
                    "changes every overlay".into(),
                    "split the change".into(),
                )
                .with_note("prod: overlays/prod".into())
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
            unassigned: vec![],
            violations,
            diff: serde_json::Value::Null,
            report: Default::default(),
            texts: BTreeMap::new(),
        }
    }

    #[test]
    fn body_has_marker_verdict_and_diff() {
        let b = comment_body(&outcome(1), "### Rendered manifest diff\n", GITHUB_LIMIT);
        assert!(b.starts_with(MARKER));
        assert!(b.contains("❌ manifest-gate: failed — 1 error (single-environment)"));
        assert!(b.contains("`base/deploy.yaml:7`"));
        assert!(b.contains("&lt;2&gt;"));
        assert!(b.contains("### Rendered manifest diff"));
        let p = comment_body(&outcome(0), "x\n", GITHUB_LIMIT);
        assert!(p.contains("✅ manifest-gate: passed (0 warnings)"));
    }

    #[test]
    fn long_diff_is_cut_never_the_verdict() {
        let mut diff = String::from(
            "### Rendered manifest diff\n\n<details>\n<summary>x</summary>\n\n```diff\n",
        );
        for i in 0..20_000 {
            diff.push_str(&format!("+  line {i}: ✓ value\n"));
        }
        diff.push_str("```\n\n</details>\n");
        let o = outcome(3);
        let b = comment_body(&o, &diff, GITHUB_LIMIT);
        assert!(b.chars().count() <= GITHUB_LIMIT, "{}", b.chars().count());
        assert!(b.contains("failed — 3 errors"));
        assert_eq!(b.matches("change touches").count(), 3);
        assert!(b.contains("the rendered diff was truncated"));
        // The fence and the details block are closed before the note.
        let before_note = b.split("> **Note:**").next().unwrap();
        assert_eq!(before_note.matches("```").count() % 2, 0);
        assert_eq!(
            before_note.matches("<details>").count(),
            before_note.matches("</details>").count()
        );
    }

    #[test]
    fn many_findings_fit() {
        let o = outcome(2000);
        let b = comment_body(&o, "diff\n", GITHUB_LIMIT);
        assert!(b.chars().count() <= GITHUB_LIMIT);
        assert!(b.contains("failed — 2000 errors"));
        assert!(b.contains("more findings"));
    }

    #[test]
    fn target_from_env() {
        let dir = tempfile::tempdir().unwrap();
        let ev = dir.path().join("event.json");
        std::fs::write(&ev, r#"{"pull_request":{"number":42}}"#).unwrap();
        let ev_s = ev.to_string_lossy().to_string();
        let env = |k: &str| match k {
            "GITHUB_REPOSITORY" => Some("o/r".to_string()),
            "GITHUB_EVENT_PATH" => Some(ev_s.clone()),
            "GITHUB_TOKEN" => Some("sekrit".to_string()),
            _ => None,
        };
        let t = Target::from_env(Forge::GitHub, None, env).unwrap();
        assert_eq!(t.api, "https://api.github.com");
        assert_eq!(t.number, 42);
        assert!(!format!("{t:?}").contains("sekrit"));
        let t = Target::from_env(Forge::GitHub, Some(7), env).unwrap();
        assert_eq!(t.number, 7);
        let e = Target::from_env(Forge::GitLab, None, env).unwrap_err();
        assert!(e.to_string().contains("CI_API_V4_URL"), "{e}");
        let gl = |k: &str| match k {
            "CI_API_V4_URL" => Some("https://gitlab.example/api/v4/".to_string()),
            "CI_PROJECT_ID" => Some("12".to_string()),
            "CI_MERGE_REQUEST_IID" => Some("3".to_string()),
            "GITLAB_TOKEN" => Some("glpat".to_string()),
            _ => None,
        };
        let t = Target::from_env(Forge::GitLab, None, gl).unwrap();
        assert_eq!(
            (t.api.as_str(), t.number),
            ("https://gitlab.example/api/v4", 3)
        );
        assert_eq!(t.describe(), "project 12 !3");
    }
}
