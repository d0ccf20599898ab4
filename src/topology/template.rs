//! ApplicationSet templates: fasttemplate (`{{ key }}`, flat keys, unknown tags
//! left verbatim) and a bounded subset of goTemplate (`{{ .a.b }}`,
//! `{{ index .a.segments N }}`, pipes into `lower`, `upper`, `normalize`,
//! `default "x"`, `quote`); anything else is refused, never guessed.

use serde_json::{Map, Value};

/// Render every string (and map key) of `t` with `params`.
pub fn render(t: &Value, params: &Map<String, Value>, go: bool) -> Result<Value, String> {
    render_at(t, params, go, 0)
}

fn render_at(t: &Value, p: &Map<String, Value>, go: bool, depth: usize) -> Result<Value, String> {
    if depth > 128 {
        return Err("template nested too deeply".into());
    }
    Ok(match t {
        Value::String(s) => Value::String(render_str(s, p, go)?),
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|v| render_at(v, p, go, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(render_str(k, p, go)?, render_at(v, p, go, depth + 1)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// Render one string.
pub fn render_str(s: &str, p: &Map<String, Value>, go: bool) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        let Some(j) = rest[i + 2..].find("}}").map(|j| i + 2 + j) else {
            break;
        };
        out.push_str(&rest[..i]);
        let inner = &rest[i + 2..j];
        if go {
            out.push_str(&go_expr(inner.trim_matches('-').trim(), p)?);
        } else {
            match p.get(inner.trim()) {
                Some(v) => out.push_str(&scalar(v)),
                None => out.push_str(&rest[i..j + 2]),
            }
        }
        rest = &rest[j + 2..];
        if out.len() > 1 << 20 {
            return Err("template output over 1 MiB".into());
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn lookup<'v>(path: &str, p: &'v Map<String, Value>) -> Option<&'v Value> {
    let path = path.strip_prefix('.')?;
    if path.is_empty() {
        return None;
    }
    let mut parts = path.split('.');
    let mut cur = p.get(parts.next()?)?;
    for part in parts {
        cur = cur.as_object()?.get(part)?;
    }
    Some(cur)
}

fn go_expr(e: &str, p: &Map<String, Value>) -> Result<String, String> {
    let mut stages = e.split('|').map(str::trim);
    let first = stages.next().unwrap_or("");
    let words: Vec<&str> = first.split_whitespace().collect();
    let mut val: Option<String> = match words.as_slice() {
        [path] if path.starts_with('.') => lookup(path, p).map(scalar),
        [lit] if lit.starts_with('"') && lit.ends_with('"') && lit.len() >= 2 => {
            Some(lit[1..lit.len() - 1].to_string())
        }
        ["index", path, n] => {
            let n: usize = n
                .parse()
                .map_err(|_| format!("unsupported template '{{{{{e}}}}}'"))?;
            lookup(path, p)
                .and_then(|v| v.as_array())
                .and_then(|a| a.get(n))
                .map(scalar)
        }
        _ => return Err(format!("unsupported template expression '{{{{{e}}}}}'")),
    };
    for st in stages {
        let v = val.clone().unwrap_or_default();
        val = Some(match st.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["lower"] => v.to_lowercase(),
            ["upper"] => v.to_uppercase(),
            ["quote"] => format!("{v:?}"),
            ["normalize"] => normalize(&v),
            ["default", d] if d.starts_with('"') && d.ends_with('"') && d.len() >= 2 => {
                if v.is_empty() {
                    d[1..d.len() - 1].to_string()
                } else {
                    v
                }
            }
            _ => return Err(format!("unsupported template function in '{{{{{e}}}}}'")),
        });
    }
    // text/template's default missingkey: "<no value>".
    Ok(val.unwrap_or_else(|| "<no value>".to_string()))
}

/// Argo CD's `basenameNormalized`/`normalize`: lower case, `[^-a-z0-9.]` → `-`.
pub fn normalize(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_syntaxes() {
        let p =
            json!({"cluster": "prod", "path": {"basename": "web", "segments": ["apps", "web"]}})
                .as_object()
                .unwrap()
                .clone();
        let flat = json!({"cluster": "prod", "path.basename": "web"})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            render_str("{{cluster}}-{{ path.basename }}", &flat, false).unwrap(),
            "prod-web"
        );
        assert_eq!(
            render_str("{{unknown}}", &flat, false).unwrap(),
            "{{unknown}}"
        );
        assert_eq!(
            render_str("{{.cluster}}/{{ .path.basename | upper }}", &p, true).unwrap(),
            "prod/WEB"
        );
        assert_eq!(
            render_str("{{ index .path.segments 0 }}", &p, true).unwrap(),
            "apps"
        );
        assert_eq!(render_str("{{.nope}}", &p, true).unwrap(), "<no value>");
        assert!(render_str("{{ .cluster | sha256sum }}", &p, true).is_err());
        assert!(render_str("{{ range .x }}", &p, true).is_err());
    }
}
