//! The last stage: publish the gate's verdict on the pull request.
//!
//! The comment body is rendered by the output layer
//! ([`crate::report::comment::comment`]); this stage only posts it.
//! [`Target::from_env`] reads where to post from the CI environment, and
//! [`upsert`] finds the comment carrying the body's marker ([`MARKER`], or a
//! keyed one) *written by the token's own user* (`GET /user`) and updates it,
//! or creates one: a comment by anyone else carrying the marker is never
//! edited. The network is used only here.
//!
//! Tokens are held privately in [`Target`], sent only in request headers, and
//! scrubbed from every error message.

mod github;
mod gitlab;
mod http;

use crate::error::{Error, Result};
use std::fmt;

pub use crate::report::comment::MARKER;
use std::str::FromStr;

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
    /// The default `--max-comment-chars`: 65,000 on GitHub (a margin below its
    /// limit), 1,000,000 on GitLab.
    pub fn default_comment_chars(self) -> usize {
        match self {
            Forge::GitHub => 65_000,
            Forge::GitLab => 1_000_000,
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

/// A user of the forge: numeric id and login, as far as known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    pub id: Option<u64>,
    pub login: Option<String>,
}

impl Identity {
    /// The same user: equal ids when both are known, else equal logins.
    fn is(&self, other: &Identity) -> bool {
        match (self.id, other.id) {
            (Some(a), Some(b)) => a == b,
            _ => match (&self.login, &other.login) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            },
        }
    }
}

/// A comment already on the pull request.
#[derive(Clone, Debug)]
pub(crate) struct Existing {
    pub id: u64,
    pub body: String,
    pub author: Identity,
}

/// The marker a body starts with (a keyed `<!-- manifest-gate key=… -->` or
/// [`MARKER`]).
fn marker_of(body: &str) -> &str {
    body.lines()
        .next()
        .filter(|l| l.starts_with("<!-- manifest-gate") && l.ends_with("-->"))
        .unwrap_or(MARKER)
}

/// Update the token's own comment carrying the body's marker, or create one.
/// Comments by other users are never edited, whatever they carry.
pub fn upsert(target: &Target, body: &str) -> Result<Posted> {
    let client = http::Client::new(target)?;
    let marker = marker_of(body);
    let run = || -> Result<Posted> {
        let me = match target.forge {
            Forge::GitHub => github::whoami(&client, target)?,
            Forge::GitLab => gitlab::whoami(&client, target)?,
        };
        let existing = match target.forge {
            Forge::GitHub => github::list(&client, target)?,
            Forge::GitLab => gitlab::list(&client, target)?,
        };
        let own = existing
            .iter()
            .find(|c| c.author.is(&me) && c.body.lines().any(|l| l.trim() == marker));
        match own {
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

#[cfg(test)]
mod tests {
    use super::*;

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
