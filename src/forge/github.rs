//! GitHub: pull request comments are issue comments
//! (`/repos/{owner}/{repo}/issues/{number}/comments`).

use super::http::{Client, Response};
use super::{Existing, Target};
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
                });
            }
        }
        if items.len() < PER_PAGE {
            break;
        }
    }
    Ok(out)
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
