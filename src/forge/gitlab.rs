//! GitLab: merge request notes
//! (`/projects/{id}/merge_requests/{iid}/notes`).

use super::http::{encode_segment, Client};
use super::{Existing, Identity, Target};
use crate::error::{Error, Result};
use serde_json::json;

const PER_PAGE: usize = 100;
const MAX_PAGES: usize = 100;

fn notes_url(t: &Target) -> String {
    format!(
        "{}/projects/{}/merge_requests/{}/notes",
        t.api,
        encode_segment(&t.project),
        t.number
    )
}

/// Every note on the merge request that a user wrote (system notes skipped), oldest first.
pub(crate) fn list(c: &Client, t: &Target) -> Result<Vec<Existing>> {
    let mut out = Vec::new();
    for page in 1..=MAX_PAGES {
        let url = format!(
            "{}?sort=asc&order_by=created_at&per_page={PER_PAGE}&page={page}",
            notes_url(t)
        );
        let r = c.send("GET", &url, None)?;
        let v = r.json("listing notes")?;
        let items = v.as_array().ok_or_else(|| {
            Error::msg("GitLab API: listing notes: expected a JSON array".to_string())
        })?;
        for it in items {
            if it.get("system").and_then(|x| x.as_bool()) == Some(true) {
                continue;
            }
            if let (Some(id), Some(body)) = (
                it.get("id").and_then(|x| x.as_u64()),
                it.get("body").and_then(|x| x.as_str()),
            ) {
                out.push(Existing {
                    id,
                    body: body.to_string(),
                    author: Identity {
                        id: it.pointer("/author/id").and_then(|x| x.as_u64()),
                        login: it
                            .pointer("/author/username")
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

/// Who the token is: `GET /user`.
pub(crate) fn whoami(c: &Client, t: &Target) -> Result<Identity> {
    let v = c
        .send("GET", &format!("{}/user", t.api), None)?
        .json("reading the token's user")?;
    let id = Identity {
        id: v.get("id").and_then(|x| x.as_u64()),
        login: v
            .get("username")
            .and_then(|x| x.as_str())
            .map(str::to_string),
    };
    if id.id.is_none() && id.login.is_none() {
        return Err(Error::msg(
            "GitLab API: GET /user: no id or username in the answer",
        ));
    }
    Ok(id)
}

/// Create a note; returns its id.
pub(crate) fn create(c: &Client, t: &Target, body: &str) -> Result<u64> {
    let r = c.send("POST", &notes_url(t), Some(&json!({ "body": body })))?;
    r.json("creating the note")?
        .get("id")
        .and_then(|x| x.as_u64())
        .ok_or_else(|| Error::msg("GitLab API: creating the note: no note id in the answer"))
}

/// Replace the body of note `id`.
pub(crate) fn update(c: &Client, t: &Target, id: u64, body: &str) -> Result<()> {
    let url = format!("{}/{id}", notes_url(t));
    c.send("PUT", &url, Some(&json!({ "body": body })))?;
    Ok(())
}
