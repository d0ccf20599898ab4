//! A small blocking JSON client over ureq (rustls, bundled web PKI roots: no
//! system libraries). Statuses are returned, not raised, so the caller can
//! name the API's own error message. Nothing here prints or formats the token.

use super::{Forge, Target};
use crate::error::{Error, Result};
use std::time::Duration;
use ureq::Agent;

/// A successful HTTP response's body text.
pub(crate) struct Response {
    pub body: String,
}

impl Response {
    /// The body as JSON.
    pub fn json(&self, what: &str) -> Result<serde_json::Value> {
        serde_json::from_str(&self.body)
            .map_err(|e| Error::msg(format!("{what}: the API answered with invalid JSON: {e}")))
    }
}

pub(crate) struct Client {
    agent: Agent,
    headers: Vec<(&'static str, String)>,
    forge: Forge,
}

impl Client {
    pub fn new(t: &Target) -> Result<Client> {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .user_agent(format!("manifest-gate/{}", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        if t.token().chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::msg(format!(
                "the {} token contains whitespace or control characters",
                t.forge.name()
            )));
        }
        let headers = match t.forge {
            Forge::GitHub => vec![
                ("Authorization", format!("Bearer {}", t.token())),
                ("Accept", "application/vnd.github+json".to_string()),
                ("X-GitHub-Api-Version", "2022-11-28".to_string()),
            ],
            Forge::GitLab => vec![
                ("PRIVATE-TOKEN", t.token().to_string()),
                ("Accept", "application/json".to_string()),
            ],
        };
        Ok(Client {
            agent,
            headers,
            forge: t.forge,
        })
    }

    /// Send a request; `body` is JSON for POST, PATCH and PUT.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response> {
        macro_rules! with_headers {
            ($rb:expr) => {{
                let mut rb = $rb;
                for (k, v) in &self.headers {
                    rb = rb.header(*k, v.as_str());
                }
                rb
            }};
        }
        let payload = body.map(|b| b.to_string()).unwrap_or_default();
        let result = match method {
            "GET" => with_headers!(self.agent.get(url)).call(),
            "POST" => with_headers!(self.agent.post(url))
                .content_type("application/json")
                .send(payload.as_str()),
            "PATCH" => with_headers!(self.agent.patch(url))
                .content_type("application/json")
                .send(payload.as_str()),
            "PUT" => with_headers!(self.agent.put(url))
                .content_type("application/json")
                .send(payload.as_str()),
            _ => return Err(Error::msg(format!("unsupported HTTP method {method}"))),
        };
        let what = format!("{} API: {method} {}", self.forge.name(), path_of(url));
        let mut resp = result.map_err(|e| Error::msg(format!("{what}: {e}")))?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(50 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| Error::msg(format!("{what}: reading the response: {e}")))?;
        let r = Response { body: text };
        if !(200..300).contains(&status) {
            return Err(Error::msg(format!(
                "{what} returned {status}: {}",
                api_message(&r.body)
            )));
        }
        Ok(r)
    }
}

/// The path and query of a URL (for messages).
fn path_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            rest.find('/').map(|j| &rest[j..]).unwrap_or("/")
        }
        None => url,
    }
}

/// The API's error message (`message` on GitHub, `message` or `error` on GitLab), shortened.
fn api_message(body: &str) -> String {
    let msg = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error"))
                .map(|m| match m {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
        })
        .unwrap_or_else(|| body.trim().to_string());
    let one_line = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > 300 {
        let s: String = one_line.chars().take(300).collect();
        format!("{s}…")
    } else if one_line.is_empty() {
        "(empty response)".to_string()
    } else {
        one_line
    }
}

/// Percent-encode a path segment (GitLab project paths like `group/app`).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(encode_segment("group/sub app"), "group%2Fsub%20app");
        assert_eq!(path_of("http://h:1/a/b?x=1"), "/a/b?x=1");
        assert_eq!(
            api_message(r#"{"message":"Bad credentials"}"#),
            "Bad credentials"
        );
        assert_eq!(api_message("oops\n"), "oops");
    }
}
