//! `images:`: image name/tag/digest rewriting.

use super::*;

/// One `images:` entry.
#[derive(Clone, Debug, Default)]
pub struct ImageRule {
    /// Image name to match (inserted unescaped into a regex).
    pub name: String,
    /// Replacement name.
    pub new_name: String,
    /// Replacement tag.
    pub new_tag: String,
    /// Replacement digest.
    pub digest: String,
    /// Suffix appended to the tag.
    pub tag_suffix: String,
    /// Provenance of the values written.
    pub pos: Pos,
}

/// Compiled matcher for an image rule.
struct ImageMatcher<'a> {
    rule: &'a ImageRule,
    re: regex::Regex,
}

impl ImageMatcher<'_> {
    fn update(&self, n: &mut Node) -> Result<()> {
        let value = match &n.value {
            Value::Null => String::new(),
            Value::Map(_) | Value::Seq(_) => {
                return Err(Error::at(
                    &n.pos,
                    format!(
                        "wrong node kind: expected a scalar image but got a {}",
                        n.type_name()
                    ),
                ))
            }
            _ => n.scalar_string().unwrap_or_default(),
        };
        if !self.re.is_match(&value) {
            return Ok(());
        }
        let new = rewrite_image(&value, self.rule);
        *n = Node::str(new, self.rule.pos.clone());
        Ok(())
    }
}

/// Split an image reference into name, tag and digest the way kustomize does
/// (tag and digest are looked for only after the first `/`).
pub fn split_image(image: &str) -> (String, String, String) {
    let slash = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[slash..];
    let at = search.find('@');
    let colon = search.find(':');
    match (colon, at) {
        (None, None) => (image.to_string(), String::new(), String::new()),
        (c, Some(d)) if c.is_none() || d < c.unwrap_or(usize::MAX) => {
            let d = d + slash;
            (
                image[..d].to_string(),
                String::new(),
                image[d + 1..].to_string(),
            )
        }
        (Some(c), Some(d)) => {
            let (c, d) = (c + slash, d + slash);
            (
                image[..c].to_string(),
                image[c + 1..d].to_string(),
                image[d + 1..].to_string(),
            )
        }
        (Some(c), None) => {
            let c = c + slash;
            (
                image[..c].to_string(),
                image[c + 1..].to_string(),
                String::new(),
            )
        }
        (None, Some(_)) => unreachable!("handled above"),
    }
}

/// The new image reference for a matched `image`.
pub fn rewrite_image(image: &str, rule: &ImageRule) -> String {
    let (mut name, mut tag, mut digest) = split_image(image);
    if !rule.new_name.is_empty() {
        name = rule.new_name.clone();
    }
    if !rule.new_tag.is_empty() && !rule.digest.is_empty() {
        tag = rule.new_tag.clone();
        digest = rule.digest.clone();
    } else if !rule.new_tag.is_empty() {
        tag = rule.new_tag.clone();
        digest.clear();
    } else if !rule.digest.is_empty() {
        tag.clear();
        digest = rule.digest.clone();
    } else if !rule.tag_suffix.is_empty() {
        tag.push_str(&rule.tag_suffix);
        digest.clear();
    }
    if !tag.is_empty() {
        name.push(':');
        name.push_str(&tag);
    }
    if !digest.is_empty() {
        name.push('@');
        name.push_str(&digest);
    }
    name
}

/// Parse one `images:` entry.
pub fn parse_image_rule(entry: &Node) -> Result<ImageRule> {
    check_keys(
        entry,
        &["name", "newName", "newTag", "digest", "tagSuffix"],
        "images",
    )?;
    Ok(ImageRule {
        name: entry_string(entry, "name", "images")?.0,
        new_name: entry_string(entry, "newName", "images")?.0,
        new_tag: entry_string(entry, "newTag", "images")?.0,
        digest: entry_string(entry, "digest", "images")?.0,
        tag_suffix: entry_string(entry, "tagSuffix", "images")?.0,
        pos: entry.pos.clone(),
    })
}

/// `images:`.
pub fn images(k: &Kustomization, res: &mut Vec<Resource>, cfg: &TransformerConfig) -> Result<()> {
    for entry in entries(k, "images")? {
        let rule = parse_image_rule(entry)?;
        apply_image(res, &rule, &cfg.images)?;
    }
    Ok(())
}

/// Apply one image rule: the legacy pass over every `containers`/`initContainers`
/// list anywhere, then the field-spec pass (both skip CustomResourceDefinitions).
pub fn apply_image(res: &mut [Resource], rule: &ImageRule, specs: &[FieldSpec]) -> Result<()> {
    let pattern = format!(
        "^{}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$",
        rule.name
    );
    let re = regex::Regex::new(&pattern).map_err(|e| {
        Error::at(
            &rule.pos,
            format!("invalid image name '{}': {e}", rule.name),
        )
    })?;
    let m = ImageMatcher { rule, re };
    for r in res.iter_mut() {
        if is_empty(r) || r.kind() == "CustomResourceDefinition" {
            continue;
        }
        legacy_walk(&mut r.node, &m)?;
    }
    for r in res.iter_mut() {
        if is_empty(r) || r.kind() == "CustomResourceDefinition" {
            continue;
        }
        let gvk = gvk_of(r);
        for s in specs.iter().filter(|s| s.matches(&gvk)) {
            // Image fields are never created.
            visit(
                &mut r.node,
                &s.path,
                false,
                &rule.pos,
                &mut |n: &mut Node| m.update(n),
            )?;
        }
    }
    Ok(())
}

fn legacy_walk(node: &mut Node, m: &ImageMatcher) -> Result<()> {
    match &mut node.value {
        Value::Map(map) => {
            for (key, child) in map.iter_mut() {
                legacy_walk(child, m)?;
                if key == "containers" || key == "initContainers" {
                    if let Some(items) = child.as_seq_mut() {
                        for item in items.iter_mut() {
                            if item.is_null() {
                                continue;
                            }
                            if !item.is_map() {
                                return Err(Error::at(
                                    &item.pos,
                                    format!("wrong node kind: expected a mapping in '{key}' but got a {}", item.type_name()),
                                ));
                            }
                            if let Some(img) = item.get_mut("image") {
                                m.update(img)?;
                            }
                        }
                    }
                }
            }
        }
        Value::Seq(items) => {
            for item in items.iter_mut() {
                legacy_walk(item, m)?;
            }
        }
        _ => {}
    }
    Ok(())
}
