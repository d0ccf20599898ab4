//! GitHub: pull request comments are issue comments
//! (`/repos/{owner}/{repo}/issues/{number}/comments`).

use super::http::{Client, Response};
use super::{Existing, Identity, Target};
use crate::error::{Error, Result};
use serde_json::json;

const PER_PAGE: usize = 100;
const MAX_PAGES: usize = 100;

/// Every comment on the pull request, oldest first.
pub(crate) fn list(c: &Client, t: &Target) -> Result<Vec<Existing>> {
    let mut out = Vec::new();
    for page in 1..=MAX_PAGES {
        let url = format!(
            "{}/repos/{}/issues/{}/comments?per_page={PER_PAGE}&page={page}",
            t.api, t.project, t.number
        );
        let r = c.send("GET", &url, None)?;
        let v = r.json("listing comments")?;
        let items = v.as_array().ok_or_else(|| {
            Error::msg("GitHub API: listing comments: expected a JSON array".to_string())
        })?;
        for it in items {
            if let (Some(id), Some(body)) = (
                it.get("id").and_then(|x| x.as_u64()),
                it.get("body").and_then(|x| x.as_str()),
            ) {
                out.push(Existing {
                    id,
                    body: body.to_string(),
                    author: Identity {
                        id: it.pointer("/user/id").and_then(|x| x.as_u64()),
                        login: it
                            .pointer("/user/login")
                            .and_then(|x| x.as_str())
                            .map(str::to_string),
                    },
                });
            }
        }
        if items.len() < PER_PAGE {
            break;
        }
    }
    Ok(out)
}

/// The login GitHub Actions' `GITHUB_TOKEN` posts as: such an installation
/// token may not read `GET /user` (403), and its comments are this user's.
pub(crate) const ACTIONS_BOT: &str = "github-actions[bot]";

/// Who the token is: `GET /user`; an installation token refused there (403)
/// is [`ACTIONS_BOT`].
pub(crate) fn whoami(c: &Client, t: &Target) -> Result<Identity> {
    let (status, r) = c.send_status("GET", &format!("{}/user", t.api), None)?;
    match status {
        200..=299 => {
            let v = r.json("reading the token's user")?;
            let id = Identity {
                id: v.get("id").and_then(|x| x.as_u64()),
                login: v.get("login").and_then(|x| x.as_str()).map(str::to_string),
            };
            if id.id.is_none() && id.login.is_none() {
                return Err(Error::msg("GitHub API: GET /user: no id or login in the answer"));
            }
            Ok(id)
        }
        403 => Ok(Identity {
            id: None,
            login: Some(ACTIONS_BOT.to_string()),
        }),
        _ => Err(Error::msg(format!(
            "GitHub API: GET /user returned {status}: {} (cannot tell which comments are the gate's own)",
            super::http::api_message(&r.body)
        ))),
    }
}

fn id_of(r: &Response, what: &str) -> Result<u64> {
    r.json(what)?
        .get("id")
        .and_then(|x| x.as_u64())
        .ok_or_else(|| Error::msg(format!("GitHub API: {what}: no comment id in the answer")))
}

/// Create a comment; returns its id.
pub(crate) fn create(c: &Client, t: &Target, body: &str) -> Result<u64> {
    let url = format!("{}/repos/{}/issues/{}/comments", t.api, t.project, t.number);
    let r = c.send("POST", &url, Some(&json!({ "body": body })))?;
    id_of(&r, "creating the comment")
}

/// Replace the body of comment `id`.
pub(crate) fn update(c: &Client, t: &Target, id: u64, body: &str) -> Result<()> {
    let url = format!("{}/repos/{}/issues/comments/{id}", t.api, t.project);
    c.send("PATCH", &url, Some(&json!({ "body": body })))?;
    Ok(())
}
