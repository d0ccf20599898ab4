//! Redaction of secret values in messages: text that is passed through from
//! elsewhere (the external renderer's stderr) or shown as a snippet of a file
//! (a policy finding) must never carry a value that comes from a Secret, a
//! secretGenerator input (literals, files, env lines) or a Secret-like document.
//!
//! Two tools: [`redact_secret_like`] rewrites by shape (what looks like a
//! `KEY=value` literal or env line, a literal source, or a one-line Secret), and
//! [`redact_values`] removes every known secret value (plain and base64).

use base64::Engine;
use regex::Regex;
use std::sync::OnceLock;

/// What a redacted value is replaced by.
pub const REDACTED: &str = "<redacted>";

/// Keys of a Secret-like document whose values stay visible.
const CLEAR_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "type",
    "data",
    "stringData",
    "labels",
    "immutable",
];

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("valid regex"))
}

/// Whether `line` looks like (part of) a Secret: `kind: Secret` (any quoting,
/// flow or block) or a `data`/`stringData` flow mapping.
pub fn is_secret_like_line(line: &str) -> bool {
    static KIND: OnceLock<Regex> = OnceLock::new();
    let kind = re(
        &KIND,
        r#"(?i)["']?kind["']?\s*:\s*["']?[a-z]*secret[a-z]*["']?"#,
    );
    static DATA: OnceLock<Regex> = OnceLock::new();
    let data = re(&DATA, r#"["']?(stringData|data)["']?\s*:\s*\{"#);
    kind.is_match(line) || data.is_match(line)
}

/// In a Secret-like line (see [`is_secret_like_line`]), every `key: value`
/// whose key is not structural loses its value; other lines are unchanged.
/// For snippets of repository files (a one-line Secret in a flow mapping).
pub fn redact_secret_lines(text: &str) -> String {
    text.split('\n')
        .map(|l| {
            if is_secret_like_line(l) {
                redact_pairs(l)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn redact_pairs(l: &str) -> String {
    static PAIR: OnceLock<Regex> = OnceLock::new();
    let pair = re(
        &PAIR,
        r#"(["']?)([A-Za-z0-9_.\-]+)(["']?)\s*:\s*("[^"]*"?|'[^']*'?|[^\s,\{\}\[\]][^,\{\}\[\]]*)"#,
    );
    pair.replace_all(l, |c: &regex::Captures| {
        let key = &c[2];
        let value = c[4].trim();
        if CLEAR_KEYS.contains(&key) || value == REDACTED {
            c[0].to_string()
        } else {
            format!("{}{key}{}: {REDACTED}", &c[1], &c[3])
        }
    })
    .into_owned()
}

/// Rewrite by shape: in a Secret-like line every `key: value` whose key is not
/// structural loses its value; everywhere, `KEY=value` (a literal or env line)
/// loses its value, and the text of `literal source(s) ...` is dropped.
pub fn redact_secret_like(text: &str) -> String {
    static LITERAL: OnceLock<Regex> = OnceLock::new();
    let literal = re(
        &LITERAL,
        r"(?i)(literal sources?|file sources?:?|env(ironment)? (file|line)s?|invalid (literal|env)[a-z ]*?)\s*(\[[^\]]*\]|[^,;]*)",
    );
    static KV: OnceLock<Regex> = OnceLock::new();
    let kv = re(
        &KV,
        r#"([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*("[^"]*"|'[^']*'|[^\s,;\]\}"']+)"#,
    );
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut l = literal
            .replace_all(line, |c: &regex::Captures| format!("{} {REDACTED}", &c[1]))
            .into_owned();
        l = kv.replace_all(&l, format!("$1={REDACTED}")).into_owned();
        if is_secret_like_line(&l) {
            l = redact_pairs(&l);
        }
        out.push_str(&l);
    }
    out
}

/// Remove every occurrence of each value in `secrets` (and of its base64
/// encodings) from `text`. Values shorter than 3 bytes are left alone (they
/// would erase ordinary words; [`redact_secret_like`] covers their shapes).
pub fn redact_values(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    let mut all: Vec<String> = Vec::new();
    for s in secrets {
        let s = s.trim();
        if s.len() < 3 {
            continue;
        }
        let b = base64::engine::general_purpose::STANDARD.encode(s);
        all.push(b.trim_end_matches('=').to_string());
        all.push(s.to_string());
    }
    // longest first, so a value inside another is not left half-shown
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in all {
        if out.contains(&s) {
            out = out.replace(&s, REDACTED);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_env_lines_lose_their_values() {
        let e = "loading KV pairs: literal sources [api-key=hunter2 =s3cr3t]: invalid literal source =s3cr3t, expected key=value";
        let r = redact_secret_like(e);
        assert!(!r.contains("hunter2") && !r.contains("s3cr3t"), "{r}");
        assert!(r.contains("literal sources <redacted>"), "{r}");
        let r = redact_secret_like("line 3: DB_PASSWORD=swordfish is not valid");
        assert_eq!(r, "line 3: DB_PASSWORD=<redacted> is not valid");
    }

    #[test]
    fn one_line_secrets_keep_only_structure() {
        let r = redact_secret_like("kind: Secret\nstringData: {password: hunter2, token: abc}");
        assert!(!r.contains("hunter2") && !r.contains("abc"), "{r}");
        for l in [
            "{apiVersion: v1, kind: Secret, metadata: {name: db}, data: {password: aHVudGVyMg==}}",
            "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\"},\"stringData\":{\"password\":\"hunter2\"}}",
        ] {
            let r = redact_secret_like(l);
            assert!(!r.contains("hunter2") && !r.contains("aHVudGVyMg"), "{r}");
            assert!(r.contains("name") && r.contains("db"), "{r}");
            assert!(r.contains("password"), "{r}");
        }
        let plain = "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}";
        assert_eq!(redact_secret_like(plain), plain);
        let file = "a: FOO=bar\n{kind: Secret, metadata: {name: s}, stringData: {p: hunter2}}\n";
        assert_eq!(
            redact_secret_lines(file),
            "a: FOO=bar\n{kind: Secret, metadata: {name: s}, stringData: {p: <redacted>}}\n"
        );
    }

    #[test]
    fn known_values_and_their_base64_are_removed() {
        let s = vec!["hunter2".to_string(), "x".to_string()];
        let r = redact_values("a hunter2 b aHVudGVyMg c x", &s);
        assert_eq!(r, "a <redacted> b <redacted> c x");
    }
}
