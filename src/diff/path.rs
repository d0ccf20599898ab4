//! The typed field path shared by the diff and the rules: built by the diff as
//! it walks two resources, read by `promotion-order` step by step (no
//! format/parse round trip), and shown as text only by the output layer.

use crate::yaml::Node;
use serde::{Serialize, Serializer};
use std::fmt;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
    /// The list item whose `key` field is `value` (a merge key: `[name=agent]`).
    Match(String, String),
}

/// A path from a resource's root to one field.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(pub Vec<Step>);

impl FieldPath {
    /// The steps.
    pub fn steps(&self) -> &[Step] {
        &self.0
    }
    /// The node at this path in `node`, when present.
    pub fn eval<'a>(&self, node: &'a Node) -> Option<&'a Node> {
        let mut n = node;
        for s in &self.0 {
            n = match s {
                Step::Key(k) => n.get(k)?,
                Step::Index(i) => n.as_seq()?.get(*i)?,
                Step::Match(k, v) => n.as_seq()?.iter().find(|x| {
                    x.get(k).and_then(|y| y.scalar_string()).as_deref() == Some(v.as_str())
                })?,
            };
        }
        Some(n)
    }
}

fn plain_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

/// A JSON string literal (quoting never fails for a `str`).
fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// Map keys joined by `.`, list items by merge key (`containers[name=agent]`)
/// or index (`args[0]`); keys that are not plain are quoted
/// (`annotations["example.com/x"]`).
impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for step in &self.0 {
            match step {
                Step::Key(k) if plain_key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Step::Key(k) => write!(f, "[{}]", quoted(k))?,
                Step::Match(k, v) => {
                    let plain = !v.is_empty()
                        && v.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c));
                    if plain {
                        write!(f, "[{k}={v}]")?;
                    } else {
                        write!(f, "[{k}={}]", quoted(v))?;
                    }
                }
                Step::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

/// Serialised as its text form (the diff JSON's `path`).
impl Serialize for FieldPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl PartialEq<str> for FieldPath {
    fn eq(&self, other: &str) -> bool {
        self.to_string().as_str() == other
    }
}

impl PartialEq<&str> for FieldPath {
    fn eq(&self, other: &&str) -> bool {
        self.to_string().as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ParseOptions};

    #[test]
    fn shows_and_evaluates() {
        let p = FieldPath(vec![
            Step::Key("spec".into()),
            Step::Key("containers".into()),
            Step::Match("name".into(), "agent".into()),
            Step::Key("env".into()),
            Step::Index(0),
            Step::Key("value".into()),
        ]);
        assert_eq!(p.to_string(), "spec.containers[name=agent].env[0].value");
        let q = FieldPath(vec![
            Step::Key("metadata".into()),
            Step::Key("annotations".into()),
            Step::Key("example.com/x".into()),
        ]);
        assert_eq!(q.to_string(), "metadata.annotations[\"example.com/x\"]");
        let doc = parse_stream(
            "spec:\n  containers:\n  - name: agent\n    env:\n    - value: \"1\"\n",
            "d.yaml",
            &ParseOptions::resource(),
        )
        .unwrap()
        .remove(0);
        assert_eq!(p.eval(&doc).and_then(|n| n.as_str()), Some("1"));
        assert!(q.eval(&doc).is_none());
    }
}
