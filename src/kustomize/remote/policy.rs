//! The `remote:` section of `.manifest-gate.yaml`: which remote bases may be
//! fetched (with `--fetch-remote`) and how they must be pinned.
//!
//! ```yaml
//! remote:
//!   allow:                        # host[:port]/repository globs
//!     - github.com/kubernetes-sigs/kustomize
//!     - gitlab.example.com/platform/**
//!   pin: commit                   # commit (default): ?ref= must be a full commit id
//!                                 # tag: a full commit id or a tag name
//!   protocols: [https]            # https (default), http, git
//!   maxBytes: 64MiB               # per fetch, everything git writes
//!   timeout: 60s                  # per fetch
//! ```
//!
//! Everything is checked before any network access: a reference that matches
//! no `allow` glob, or is not pinned as `pin` requires, is refused naming the
//! kustomization line that holds it.

use super::RemoteRef;
use crate::error::{Error, ErrorKind, Result};
use crate::yaml::{Node, Pos, Value};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::time::Duration;

/// How a remote reference must be pinned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Pin {
    /// `?ref=` must be a full commit id (40 or 64 hex digits).
    #[default]
    Commit,
    /// `?ref=` may also name a tag (fetched as `refs/tags/<name>`; branches are refused).
    Tag,
}

/// The protocols a fetch may use. `ssh` (it would use the user's keys and
/// agent) and `file` (it reads outside the repository) are never allowed.
pub const PROTOCOLS: [&str; 3] = ["https", "http", "git"];

/// The default per-fetch byte budget (64 MiB).
pub const DEFAULT_MAX_FETCH_BYTES: u64 = 64 << 20;
/// The default per-fetch time budget.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(60);

/// The `remote:` configuration.
#[derive(Clone, Debug)]
pub struct RemotePolicy {
    /// `allow` globs as written, with their positions.
    pub allow: Vec<(String, Pos)>,
    matcher: Option<GlobSet>,
    /// The pin requirement.
    pub pin: Pin,
    /// Allowed protocols (subset of [`PROTOCOLS`]).
    pub protocols: Vec<String>,
    /// Most bytes one fetch may write.
    pub max_bytes: u64,
    /// Wall-clock budget of one fetch.
    pub timeout: Duration,
    /// Where the section is (`None`: no `remote:` section).
    pub pos: Pos,
}

impl Default for RemotePolicy {
    fn default() -> RemotePolicy {
        RemotePolicy {
            allow: Vec::new(),
            matcher: None,
            pin: Pin::Commit,
            protocols: vec!["https".to_string()],
            max_bytes: DEFAULT_MAX_FETCH_BYTES,
            timeout: DEFAULT_FETCH_TIMEOUT,
            pos: Pos::none(),
        }
    }
}

fn config_err(pos: &Pos, msg: impl Into<String>) -> Error {
    Error::at(pos, msg).kind(ErrorKind::Config)
}

fn strings(n: &Node, what: &str) -> Result<Vec<(String, Pos)>> {
    match &n.value {
        Value::Null => Ok(Vec::new()),
        Value::Str(s) => Ok(vec![(s.clone(), n.pos.clone())]),
        Value::Seq(items) => items
            .iter()
            .map(|x| {
                x.as_str()
                    .map(|s| (s.to_string(), x.pos.clone()))
                    .ok_or_else(|| config_err(&x.pos, format!("{what} entries must be strings")))
            })
            .collect(),
        _ => Err(config_err(
            &n.pos,
            format!("{what} must be a list of strings"),
        )),
    }
}

/// `64MiB`, `512K`, `1048576`.
fn parse_bytes(n: &Node) -> Result<u64> {
    let s = n.scalar_string().unwrap_or_default();
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mul: Option<u64> = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => Some(1),
        "k" | "kb" | "kib" => Some(1 << 10),
        "m" | "mb" | "mib" => Some(1 << 20),
        "g" | "gb" | "gib" => Some(1 << 30),
        _ => None,
    };
    num.parse::<u64>()
        .ok()
        .zip(mul)
        .and_then(|(n, m)| n.checked_mul(m))
        .filter(|&b| b > 0)
        .ok_or_else(|| {
            config_err(
                &n.pos,
                format!("'remote.maxBytes' is '{s}', not a byte count (e.g. 64MiB)"),
            )
        })
}

/// `500ms`, `30s`, `2m`.
fn parse_duration(n: &Node) -> Result<Duration> {
    let s = n.scalar_string().unwrap_or_default();
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let v = num.parse::<u64>().ok().filter(|&v| v > 0);
    let d = match (v, unit) {
        (Some(v), "ms") => Some(Duration::from_millis(v)),
        (Some(v), "" | "s") => Some(Duration::from_secs(v)),
        (Some(v), "m") => Some(Duration::from_secs(v.saturating_mul(60))),
        _ => None,
    };
    d.ok_or_else(|| {
        config_err(
            &n.pos,
            format!("'remote.timeout' is '{s}', not a duration (e.g. 500ms, 30s, 2m)"),
        )
    })
}

impl RemotePolicy {
    /// Parse the value of the `remote:` key.
    pub fn parse(n: &Node) -> Result<RemotePolicy> {
        let mut p = RemotePolicy {
            pos: n.pos.clone(),
            ..RemotePolicy::default()
        };
        if n.is_null() {
            return Ok(p);
        }
        let Some(map) = n.as_map() else {
            return Err(config_err(
                &n.pos,
                format!("'remote' must be a mapping (allow, pin, protocols, maxBytes, timeout), not a {}", n.type_name()),
            ));
        };
        for (key, v) in map {
            match key.as_str() {
                "allow" => p.allow = strings(v, "'remote.allow'")?,
                "pin" => {
                    p.pin = match v.as_str() {
                        Some("commit") => Pin::Commit,
                        Some("tag") => Pin::Tag,
                        _ => {
                            return Err(config_err(
                                &v.pos,
                                "'remote.pin' must be 'commit' (a full commit id) or 'tag' (a commit id or a tag)",
                            ))
                        }
                    }
                }
                "protocols" => {
                    p.protocols = Vec::new();
                    for (s, pos) in strings(v, "'remote.protocols'")? {
                        let l = s.to_ascii_lowercase();
                        if !PROTOCOLS.contains(&l.as_str()) {
                            return Err(config_err(&pos, format!("'remote.protocols' entry '{s}' is not allowed (https, http or git; ssh would use your keys, file reads outside the repository)")));
                        }
                        p.protocols.push(l);
                    }
                }
                "maxBytes" => p.max_bytes = parse_bytes(v)?,
                "timeout" => p.timeout = parse_duration(v)?,
                other => {
                    return Err(config_err(
                        &v.pos,
                        format!("unknown key '{other}' in 'remote' (expected allow, pin, protocols, maxBytes or timeout)"),
                    ))
                }
            }
        }
        let mut b = GlobSetBuilder::new();
        for (g, pos) in &p.allow {
            let glob = GlobBuilder::new(g.trim_end_matches('/'))
                .literal_separator(true)
                .build()
                .map_err(|e| {
                    config_err(
                        pos,
                        format!("bad glob '{g}' in 'remote.allow': {}", e.kind()),
                    )
                })?;
            b.add(glob);
        }
        p.matcher = Some(
            b.build()
                .map_err(|e| config_err(&p.pos, format!("bad 'remote.allow' globs: {e}")))?,
        );
        Ok(p)
    }

    /// Check `r`, written at `pos`, against the policy before any fetch:
    /// its protocol, its source against `allow`, and its pin.
    pub fn admit(&self, r: &RemoteRef, pos: &Pos) -> Result<()> {
        let refuse = |msg: String| Err(Error::at(pos, msg).kind(ErrorKind::Remote));
        let source = r.source();
        let listed = self.matcher.as_ref().is_some_and(|m| m.is_match(&source));
        if !listed {
            return refuse(format!(
                "remote base '{}' is not allowed: '{source}' matches no 'remote.allow' glob in .manifest-gate.yaml",
                r.shown()
            ));
        }
        if !self.protocols.contains(&r.protocol) {
            return refuse(format!(
                "remote base '{}' uses {}, which 'remote.protocols' does not allow ({})",
                r.shown(),
                r.protocol,
                self.protocols.join(", ")
            ));
        }
        if !r.user.is_empty() {
            return refuse(format!(
                "remote base at '{source}' carries a user name or credentials in its URL: they are never used (remove them)"
            ));
        }
        let Some(git_ref) = &r.git_ref else {
            return refuse(format!(
                "remote base '{}' is not pinned: add ?ref=<full commit id>",
                r.shown()
            ));
        };
        if is_commit_id(git_ref) {
            return Ok(());
        }
        match self.pin {
            Pin::Commit => refuse(format!(
                "remote base '{}' is not pinned to a commit: ref '{git_ref}' is not a full commit id ('remote.pin: commit')",
                r.shown()
            )),
            Pin::Tag if is_safe_ref_name(git_ref) => Ok(()),
            Pin::Tag => refuse(format!(
                "remote base '{}': ref '{git_ref}' is not a valid tag name",
                r.shown()
            )),
        }
    }
}

/// A full commit id: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits.
pub fn is_commit_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A tag name git accepts and that cannot be read as an option or a refspec.
fn is_safe_ref_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with(['-', '.', '/'])
        && !s.ends_with(['.', '/'])
        && !s.contains("..")
        && !s.contains("//")
        && !s.ends_with(".lock")
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '+'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ParseOptions};

    fn policy(text: &str) -> Result<RemotePolicy> {
        let docs = parse_stream(text, "c.yaml", &ParseOptions::resource())?;
        RemotePolicy::parse(docs[0].get("remote").expect("remote"))
    }

    fn admit(p: &RemotePolicy, raw: &str) -> Result<()> {
        let r = RemoteRef::parse(raw).expect("parses");
        p.admit(&r, &Pos::none())
    }

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn allow_globs_pins_and_protocols() {
        let p =
            policy("remote:\n  allow: [github.com/org/*, 'gitlab.example.com/grp/**']\n").unwrap();
        assert_eq!(p.pin, Pin::Commit);
        admit(&p, &format!("https://github.com/org/repo//base?ref={SHA}")).unwrap();
        admit(&p, &format!("github.com/org/repo/base?ref={SHA}")).unwrap();
        admit(
            &p,
            &format!("https://gitlab.example.com/grp/a/b.git//x?ref={SHA}"),
        )
        .unwrap();
        let e = admit(&p, &format!("https://github.com/other/repo?ref={SHA}")).unwrap_err();
        assert!(e.msg.contains("matches no 'remote.allow'"), "{e}");
        assert_eq!(e.kind, ErrorKind::Remote);
        // `*` does not cross `/`: org/repo/sub is a subdirectory, org/a/b a different repo path.
        let e = admit(&p, &format!("https://github.com/org/a/b.git?ref={SHA}")).unwrap_err();
        assert!(e.msg.contains("matches no"), "{e}");
        let e = admit(&p, "https://github.com/org/repo//base").unwrap_err();
        assert!(e.msg.contains("not pinned"), "{e}");
        let e = admit(&p, "https://github.com/org/repo//base?ref=v1.2.3").unwrap_err();
        assert!(e.msg.contains("not a full commit id"), "{e}");
        let e = admit(
            &p,
            &format!("https://github.com/org/repo?ref={}", &SHA[..12]),
        )
        .unwrap_err();
        assert!(e.msg.contains("not a full commit id"), "{e}");
        let e = admit(&p, &format!("git@github.com:org/repo?ref={SHA}")).unwrap_err();
        assert!(e.msg.contains("uses ssh"), "{e}");
        let e = admit(
            &p,
            &format!("https://u:secret@github.com/org/repo?ref={SHA}"),
        )
        .unwrap_err();
        assert!(e.msg.contains("credentials"), "{e}");
        assert!(!e.msg.contains("secret"), "{e}");
        let e = admit(
            &p,
            &format!("https://u:secret@github.com/other/repo?ref={SHA}"),
        )
        .unwrap_err();
        assert!(
            e.msg.contains("https://<user>@github.com/other/repo"),
            "{e}"
        );
        let e = admit(&p, &format!("http://github.com/org/repo?ref={SHA}")).unwrap_err();
        assert!(e.msg.contains("uses http"), "{e}");
        // A port is part of the source.
        let e = admit(&p, &format!("https://github.com:8443/org/repo?ref={SHA}")).unwrap_err();
        assert!(e.msg.contains("github.com:8443/org/repo"), "{e}");
    }

    #[test]
    fn tag_pins() {
        let p =
            policy("remote:\n  allow: [h/o/r]\n  pin: tag\n  protocols: [git, https]\n").unwrap();
        admit(&p, "git://h/o/r?ref=v1.2.3").unwrap();
        admit(&p, &format!("https://h/o/r?ref={SHA}")).unwrap();
        for bad in [
            "-v1",
            "a..b",
            "x.lock",
            "a b",
            "refs/heads/../x",
            "v1:refs/x",
            "$(id)",
        ] {
            let raw = format!("git://h/o/r?ref={bad}");
            if let Some(r) = RemoteRef::parse(&raw) {
                assert!(p.admit(&r, &Pos::none()).is_err(), "{bad}");
            }
        }
    }

    #[test]
    fn config_errors() {
        for (text, want) in [
            ("remote: [a]\n", "must be a mapping"),
            ("remote:\n  pin: branch\n", "'remote.pin'"),
            ("remote:\n  protocols: [ssh]\n", "'ssh' is not allowed"),
            ("remote:\n  protocols: [file]\n", "'file' is not allowed"),
            ("remote:\n  allow: ['a/[']\n", "bad glob"),
            ("remote:\n  maxBytes: lots\n", "not a byte count"),
            ("remote:\n  timeout: 0\n", "not a duration"),
            ("remote:\n  fetch: true\n", "unknown key 'fetch'"),
        ] {
            let e = policy(text).unwrap_err();
            assert!(e.msg.contains(want), "{text}: {e}");
            assert_eq!(e.kind, ErrorKind::Config);
            assert!(e.pos.line >= 1, "{text}: {e}");
        }
        let p = policy("remote:\n  maxBytes: 1MiB\n  timeout: 500ms\n").unwrap();
        assert_eq!(p.max_bytes, 1 << 20);
        assert_eq!(p.timeout, Duration::from_millis(500));
        assert!(p.allow.is_empty());
    }
}
