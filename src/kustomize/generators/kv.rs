//! Generator sources: `literals`, `files` and `envs` parsing and reading (kustomize `api/kv`).

use super::*;

/// Read a file for a generator, relative to the kustomization directory (`src`
/// applies the load restrictor: in or below that directory by default).
pub(super) fn read_file(
    k: &Kustomization,
    src: &dyn Source,
    rel: &str,
    pos: &Pos,
    inputs: &mut Vec<String>,
) -> Result<(String, Vec<u8>)> {
    let path = source::join(&k.dir, rel).map_err(|e| e.or_at(pos))?;
    inputs.push(path.clone());
    let bytes = src.read(&path).map_err(|e| e.or_at(pos))?;
    Ok((path, bytes.to_vec()))
}

/// Go's `path.Base`.
pub(super) fn go_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    match t.rfind('/') {
        Some(i) => t[i + 1..].to_string(),
        None => t.to_string(),
    }
}

/// Split a `files` entry into key and path (`ParseFileSource`).
pub(super) fn parse_file_source(s: &str) -> std::result::Result<(String, String), String> {
    let n = s.matches('=').count();
    if n == 0 {
        return Ok((go_base(s), s.to_string()));
    }
    if n == 1 && s.starts_with('=') {
        return Err(format!(
            "missing key name for file path {:?} in source {:?}",
            &s[1..],
            s
        ));
    }
    if n == 1 && s.ends_with('=') {
        return Err(format!(
            "missing file path for key name {:?} in source {:?}",
            &s[..s.len() - 1],
            s
        ));
    }
    if n > 1 {
        return Err(format!("source {s:?} key name or file path contains '='"));
    }
    let (k, p) = s.split_once('=').unwrap_or((s, ""));
    Ok((k.to_string(), p.to_string()))
}

/// Split a literal at the first `=`, stripping one pair of matching quotes from the value.
pub(super) fn parse_literal(s: &str) -> std::result::Result<(String, String), String> {
    // The entry is not shown: it may hold a Secret value.
    let bad = || "invalid literal source, expected key=value (the value is not shown)".to_string();
    if s.starts_with('=') {
        return Err(bad());
    }
    let (k, v) = s.split_once('=').ok_or_else(bad)?;
    Ok((k.to_string(), remove_quotes(v).to_string()))
}

pub(super) fn remove_quotes(s: &str) -> &str {
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b[b.len() - 1] {
        return s;
    }
    if b[0] == b'"' || b[0] == b'\'' {
        return &s[1..s.len() - 1];
    }
    s
}

/// Go's `bufio.Scanner` default limit: longer lines stop the scan (silently, as kustomize ignores the error).
pub(super) const MAX_LINE: usize = 64 * 1024 - 1;

/// Parse an env file (`keyValuesFromLines`). `file` names it for positions and errors.
pub(super) fn parse_env(bytes: &[u8], file: &str) -> Result<Vec<Pair>> {
    let f: Arc<str> = Arc::from(file);
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut lineno: u32 = 0;
    while !rest.is_empty() {
        let (mut line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if line.len() > MAX_LINE {
            break;
        }
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        lineno += 1;
        let pos = Pos::new(&f, lineno, 1);
        let Ok(mut text) = std::str::from_utf8(line) else {
            return Err(Error::at(
                &pos,
                format!("line {lineno} has invalid utf8 bytes"),
            ));
        };
        if lineno == 1 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        let text = text.trim_start();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (key, value) = text.split_once('=').unwrap_or((text, ""));
        if key.is_empty() {
            continue;
        }
        out.push(Pair {
            key: key.to_string(),
            value: value.as_bytes().to_vec(),
            pos,
        });
    }
    Ok(out)
}

/// All pairs of one entry: envs, then literals, then files; keys must be unique.
pub(super) fn load_pairs(
    k: &Kustomization,
    src: &dyn Source,
    entry: &Node,
    name: &str,
    inputs: &mut Vec<String>,
) -> Result<Vec<Pair>> {
    let mut all: Vec<Pair> = Vec::new();
    for (rel, pos) in strings_of(entry, "envs") {
        let (path, bytes) = read_file(k, src, &rel, &pos, inputs)?;
        all.extend(parse_env(&bytes, &path)?);
    }
    for (lit, pos) in strings_of(entry, "literals") {
        let (key, value) = parse_literal(&lit).map_err(|m| Error::at(&pos, m))?;
        all.push(Pair {
            key,
            value: value.into_bytes(),
            pos,
        });
    }
    for (s, pos) in strings_of(entry, "files") {
        let (key, rel) = parse_file_source(&s).map_err(|m| Error::at(&pos, m))?;
        let (path, bytes) = read_file(k, src, &rel, &pos, inputs)?;
        let f: Arc<str> = Arc::from(path.as_str());
        all.push(Pair {
            key,
            value: bytes,
            pos: Pos::new(&f, 1, 1),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for p in &all {
        if !seen.insert(p.key.as_str()) {
            return Err(Error::at(
                &p.pos,
                format!("configmap {name} illegally repeats the key `{}`", p.key),
            ));
        }
    }
    Ok(all)
}

/// kustomize's base64 for generated values: standard encoding, wrapped at 70
/// characters, every line ending in `\n` once the text reaches 70 characters.
pub fn encode_base64(b: &[u8]) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(b);
    if enc.len() < 70 {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / 70 + 1);
    for chunk in enc.as_bytes().chunks(70) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or(""));
        out.push('\n');
    }
    out
}
