//! A small blocking JSON client over ureq (rustls, bundled web PKI roots: no
//! system libraries). Statuses are returned, not raised, so the caller can
//! name the API's own error message. Nothing here prints or formats the token.
//!
//! A request is retried on 429 and 5xx answers and on transport failures, at
//! most [`TRIES`] times with exponential backoff (honouring `Retry-After` up
//! to [`MAX_BACKOFF`]). Redirects are followed only to the same origin
//! (scheme, host and port): the credential headers are never sent to another
//! host.

use super::{Forge, Target};
use crate::error::{Error, Result};
use std::time::Duration;
use ureq::Agent;

/// Most attempts of one request.
pub const TRIES: u32 = 3;
/// Longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Most same-origin redirects followed for one request.
const MAX_REDIRECTS: usize = 3;

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
            .max_redirects(0)
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

    /// Send a request; `body` is JSON for POST, PATCH and PUT. A non-2xx
    /// answer is an error naming the API's message.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response> {
        let (status, r) = self.send_status(method, url, body)?;
        if !(200..300).contains(&status) {
            let what = format!("{} API: {method} {}", self.forge.name(), path_of(url));
            return Err(Error::msg(format!(
                "{what} returned {status}: {}",
                api_message(&r.body)
            )));
        }
        Ok(r)
    }

    /// Send a request and return the final status with the body, after the
    /// retries and the same-origin redirects.
    pub fn send_status(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, Response)> {
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let (status, location, r) = self.with_retries(method, &url, body)?;
            if !(300..400).contains(&status) {
                return Ok((status, r));
            }
            let what = format!("{} API: {method} {}", self.forge.name(), path_of(&url));
            let Some(next) = location.and_then(|l| resolve(&url, &l)) else {
                return Err(Error::msg(format!(
                    "{what} returned {status} without a usable Location"
                )));
            };
            if origin(&next) != origin(&url) {
                return Err(Error::msg(format!(
                    "{what} redirects to another host ({}): not followed, the token is never sent there",
                    origin(&next).unwrap_or("?")
                )));
            }
            url = next;
        }
        Err(Error::msg(format!(
            "{} API: {method} {}: more than {MAX_REDIRECTS} redirects",
            self.forge.name(),
            path_of(&url)
        )))
    }

    /// One request, retried on 429, 5xx and transport errors: (status, Location, body).
    fn with_retries(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, Option<String>, Response)> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= TRIES;
            match self.once(method, url, body) {
                Ok((status, _, _, retry_after)) if !last && (status == 429 || status >= 500) => {
                    std::thread::sleep(backoff(attempt, retry_after));
                }
                Ok((status, location, r, _)) => return Ok((status, location, r)),
                Err(_) if !last => std::thread::sleep(backoff(attempt, None)),
                Err(e) => return Err(e),
            }
        }
    }

    /// One attempt: (status, Location, body, Retry-After seconds).
    fn once(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, Option<String>, Response, Option<u64>)> {
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
        let header = |k: &str| {
            resp.headers()
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let location = header("location");
        let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
        let text = resp
            .body_mut()
            .with_config()
            .limit(50 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| Error::msg(format!("{what}: reading the response: {e}")))?;
        Ok((status, location, Response { body: text }, retry_after))
    }
}

/// The wait before attempt `attempt + 1`: `Retry-After` when given, else
/// 0.5 s, 1 s, …; never more than [`MAX_BACKOFF`].
fn backoff(attempt: u32, retry_after: Option<u64>) -> Duration {
    let d = match retry_after {
        Some(s) => Duration::from_secs(s),
        None => Duration::from_millis(500u64.saturating_mul(1 << attempt.min(10)) / 2),
    };
    d.min(MAX_BACKOFF)
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Option<&str> {
    let i = url.find("://")? + 3;
    let end = url[i..].find(['/', '?', '#']).map_or(url.len(), |j| i + j);
    Some(&url[..end])
}

/// `location` resolved against `base` (absolute, or an absolute path).
fn resolve(base: &str, location: &str) -> Option<String> {
    if location.contains("://") {
        Some(location.to_string())
    } else if location.starts_with("//") {
        let scheme = &base[..base.find("://")?];
        Some(format!("{scheme}:{location}"))
    } else if location.starts_with('/') {
        Some(format!("{}{location}", origin(base)?))
    } else {
        None
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
pub(crate) fn api_message(body: &str) -> String {
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
        assert_eq!(origin("https://h:8/a?b"), Some("https://h:8"));
        assert_eq!(origin("http://h"), Some("http://h"));
        assert_eq!(
            resolve("http://h:1/a/b", "/c").as_deref(),
            Some("http://h:1/c")
        );
        assert_eq!(
            resolve("https://h/a", "//evil/x").as_deref(),
            Some("https://evil/x")
        );
        assert_eq!(resolve("https://h/a", "c"), None);
        assert_eq!(backoff(1, None), Duration::from_millis(500));
        assert_eq!(backoff(2, None), Duration::from_millis(1000));
        assert_eq!(backoff(1, Some(3600)), MAX_BACKOFF);
    }
}
