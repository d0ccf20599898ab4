//! Field patterns: the text form of a [`FieldPath`] with globs, as written in
//! the configuration's `ignore:` entries and in rule packs
//! (`metadata.annotations["checksum/*"]`, `spec.caBundle`,
//! `spec.template.spec.containers[*].image`, `webhooks[name=x].clientConfig`).
//!
//! Parsed once (an error says what is wrong at which character); matched
//! against the diff's [`FieldPath`] step by step, never through its text.
//! A pattern matches a path when it matches the path's first steps: ignoring
//! `metadata.annotations` ignores every annotation below it.

use super::path::{FieldPath, Step};
use globset::{Glob, GlobMatcher};
use std::fmt;

/// One step of a pattern.
#[derive(Clone, Debug)]
enum PStep {
    /// A mapping key, possibly a glob (`checksum/*`).
    Key(Text),
    /// A list index.
    Index(usize),
    /// The list item whose `key` is `value` (a glob).
    Match(String, Text),
    /// `[*]`: any list item.
    AnyItem,
}

/// A literal or a glob, matched whole.
#[derive(Clone, Debug)]
struct Text {
    raw: String,
    glob: Option<GlobMatcher>,
}

impl Text {
    fn new(raw: String) -> Result<Text, String> {
        let glob = if raw.contains(['*', '?', '[', '{']) {
            Some(
                Glob::new(&raw)
                    .map_err(|e| format!("bad glob '{raw}': {}", e.kind()))?
                    .compile_matcher(),
            )
        } else {
            None
        };
        Ok(Text { raw, glob })
    }
    fn matches(&self, s: &str) -> bool {
        match &self.glob {
            Some(g) => g.is_match(s),
            None => self.raw == s,
        }
    }
}

/// A parsed field pattern.
#[derive(Clone, Debug)]
pub struct FieldPattern {
    text: String,
    steps: Vec<PStep>,
}

impl fmt::Display for FieldPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The longest pattern accepted (configuration text, not a path of the render).
const MAX_PATTERN: usize = 1024;

impl FieldPattern {
    /// Parse `text`. The error names what is wrong (the caller adds the line).
    pub fn parse(text: &str) -> Result<FieldPattern, String> {
        if text.is_empty() {
            return Err("an empty field pattern".to_string());
        }
        if text.len() > MAX_PATTERN {
            return Err(format!("a field pattern longer than {MAX_PATTERN} bytes"));
        }
        let b = text.as_bytes();
        let mut i = 0;
        let mut steps = Vec::new();
        while i < b.len() {
            if b[i] == b'[' {
                let (step, next) = bracket(text, i)?;
                steps.push(step);
                i = next;
                continue;
            }
            if b[i] == b'.' {
                if steps.is_empty() {
                    return Err(format!("a leading '.' in '{text}'"));
                }
                i += 1;
            } else if !steps.is_empty() {
                return Err(format!(
                    "expected '.' or '[' after ']' at character {} of '{text}'",
                    i + 1
                ));
            }
            let start = i;
            while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                i += 1;
            }
            if start == i {
                return Err(format!(
                    "an empty key at character {} of '{text}'",
                    start + 1
                ));
            }
            let key = &text[start..i];
            if key.contains([']', '"', '=']) {
                return Err(format!("'{key}' must be quoted: [\"{key}\"] (in '{text}')"));
            }
            steps.push(PStep::Key(Text::new(key.to_string())?));
        }
        Ok(FieldPattern {
            text: text.to_string(),
            steps,
        })
    }

    /// Whether the pattern matches `path` or a field above it.
    pub fn matches(&self, path: &FieldPath) -> bool {
        let p = path.steps();
        p.len() >= self.steps.len() && self.steps.iter().zip(p).all(|(s, q)| step_matches(s, q))
    }

    /// Whether the pattern matches exactly `path` (same depth).
    pub fn matches_exactly(&self, path: &FieldPath) -> bool {
        path.steps().len() == self.steps.len() && self.matches(path)
    }

    /// The pattern as a plain path, when it has no glob or wildcard.
    pub fn literal(&self) -> Option<FieldPath> {
        self.steps
            .iter()
            .map(|s| match s {
                PStep::Key(t) if t.glob.is_none() => Some(Step::Key(t.raw.clone())),
                PStep::Index(i) => Some(Step::Index(*i)),
                PStep::Match(k, t) if t.glob.is_none() => {
                    Some(Step::Match(k.clone(), t.raw.clone()))
                }
                _ => None,
            })
            .collect::<Option<Vec<Step>>>()
            .map(FieldPath)
    }
}

fn step_matches(s: &PStep, q: &Step) -> bool {
    match (s, q) {
        (PStep::Key(t), Step::Key(k)) => t.matches(k),
        (PStep::Index(i), Step::Index(j)) => i == j,
        (PStep::Match(k, t), Step::Match(k2, v)) => k == k2 && t.matches(v),
        (PStep::AnyItem, Step::Index(_) | Step::Match(..)) => true,
        _ => false,
    }
}

/// One `[...]` step starting at byte `i`: `["quoted key"]`, `[3]`, `[*]`,
/// `[name=value]`, `[name="value"]`. Returns the step and the byte after `]`.
fn bracket(text: &str, i: usize) -> Result<(PStep, usize), String> {
    let rest = &text[i + 1..];
    let at = |what: &str| format!("{what} at character {} of '{text}'", i + 1);
    if rest.starts_with('"') {
        let (s, len) = json_string(rest).ok_or_else(|| at("an unterminated quoted key"))?;
        let after = &rest[len..];
        if !after.starts_with(']') {
            return Err(at("expected ']' after the quoted key"));
        }
        return Ok((PStep::Key(Text::new(s)?), i + 1 + len + 1));
    }
    let close = rest.find(']').ok_or_else(|| at("an unclosed '['"))?;
    let inner = &rest[..close];
    let next = i + 1 + close + 1;
    if inner == "*" {
        return Ok((PStep::AnyItem, next));
    }
    if let Ok(n) = inner.parse::<usize>() {
        return Ok((PStep::Index(n), next));
    }
    if let Some((k, v)) = inner.split_once('=') {
        if k.is_empty() {
            return Err(at("an empty merge key"));
        }
        let v = if v.starts_with('"') {
            // A quoted value may hold ']': re-read it from the text.
            let full = &rest[k.len() + 1..];
            let (s, len) = json_string(full).ok_or_else(|| at("an unterminated quoted value"))?;
            if !full[len..].starts_with(']') {
                return Err(at("expected ']' after the quoted value"));
            }
            return Ok((
                PStep::Match(k.to_string(), Text::new(s)?),
                i + 1 + k.len() + 1 + len + 1,
            ));
        } else {
            v.to_string()
        };
        return Ok((PStep::Match(k.to_string(), Text::new(v)?), next));
    }
    Err(at(&format!(
        "'[{inner}]' is not [N], [*], [key=value] or [\"key\"]"
    )))
}

/// A JSON string literal at the start of `s`: its value and its length in bytes.
fn json_string(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => {
                let v: String = serde_json::from_str(&s[..=i]).ok()?;
                return Some((v, i + 1));
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(steps: &[Step]) -> FieldPath {
        FieldPath(steps.to_vec())
    }
    fn k(s: &str) -> Step {
        Step::Key(s.into())
    }

    #[test]
    fn parses_and_matches() {
        let p = FieldPattern::parse("metadata.annotations[\"checksum/*\"]").unwrap();
        assert!(p.matches(&path(&[
            k("metadata"),
            k("annotations"),
            k("checksum/config")
        ])));
        assert!(!p.matches(&path(&[k("metadata"), k("annotations"), k("team")])));
        assert!(!p.matches(&path(&[k("metadata"), k("annotations")])));
        let p = FieldPattern::parse("spec.caBundle").unwrap();
        assert!(p.matches(&path(&[k("spec"), k("caBundle")])));
        assert!(p.literal().is_some());
        let p = FieldPattern::parse("webhooks[*].clientConfig.caBundle").unwrap();
        assert!(p.matches(&path(&[
            k("webhooks"),
            Step::Match("name".into(), "a.b".into()),
            k("clientConfig"),
            k("caBundle"),
        ])));
        assert!(p.literal().is_none());
        let p = FieldPattern::parse("spec.containers[name=app].image").unwrap();
        assert!(p.matches_exactly(&path(&[
            k("spec"),
            k("containers"),
            Step::Match("name".into(), "app".into()),
            k("image"),
        ])));
        let p = FieldPattern::parse("args[2]").unwrap();
        assert!(p.matches(&path(&[k("args"), Step::Index(2)])));
        let p = FieldPattern::parse("x[name=\"a]b\"].y").unwrap();
        assert!(p.matches(&path(&[
            k("x"),
            Step::Match("name".into(), "a]b".into()),
            k("y")
        ])));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "", "spec..x", "spec.", "a[", "a[\"x", "a[\"x\"", "a[foo]", "a[=x]", "a]b", "a[0]b",
            "a[\"{\"]",
        ] {
            assert!(FieldPattern::parse(bad).is_err(), "{bad} parses");
        }
    }
}
