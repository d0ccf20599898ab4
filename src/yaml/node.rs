//! The YAML value model shared by every stage: a tree of [`Node`]s, each
//! carrying the source position ([`Pos`]) it came from. Positions are the
//! provenance of rendered fields: when a transformer writes a value it also
//! writes the position of the kustomization line or patch that caused it.

use indexmap::IndexMap;
use std::fmt;
use std::sync::Arc;

/// A position in a source file: repository-relative path, 1-based line and column.
/// `line == 0` means "unknown" (a value synthesised without a source line).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pos {
    /// Repository-relative path of the file, `None` when synthesised.
    pub file: Option<Arc<str>>,
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub col: u32,
}

impl Pos {
    /// A position in `file` at `line`:`col`.
    pub fn new(file: &Arc<str>, line: u32, col: u32) -> Pos {
        Pos {
            file: Some(file.clone()),
            line,
            col,
        }
    }
    /// The unknown position.
    pub fn none() -> Pos {
        Pos::default()
    }
    /// True when no file is known.
    pub fn is_none(&self) -> bool {
        self.file.is_none()
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) if self.line > 0 => write!(f, "{}:{}", file, self.line),
            Some(file) => write!(f, "{}", file),
            None => write!(f, "<generated>"),
        }
    }
}

/// An ordered mapping with string keys (Kubernetes objects only have string keys;
/// non-string YAML keys are converted to their canonical string form, as JSON does).
/// Mapping keys are hashed with foldhash (randomly seeded per map: keys are
/// attacker data), several times faster than SipHash on the short keys of
/// manifests; order is insertion order either way.
pub type Map = IndexMap<String, Node, foldhash::fast::RandomState>;

/// A YAML value.
#[derive(Clone, Debug)]
pub enum Value {
    /// `null`, `~` or empty.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in i64.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping.
    Map(Map),
}

/// A YAML value with the position it came from.
#[derive(Clone, Debug)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value was written.
    pub pos: Pos,
    /// The source text of a plain scalar whose value is not that text (null,
    /// boolean, number, timestamp): kustomize prints annotation values as this
    /// text, keeps `~` nulls but drops empty ones in a merge, and prints integers
    /// beyond i64 exactly. None for everything built in code.
    pub raw: Option<Arc<str>>,
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b,
            (Str(a), Str(b)) => a == b,
            (Seq(a), Seq(b)) => a == b,
            (Map(a), Map(b)) => a.len() == b.len() && a.iter().all(|(k, v)| b.get(k) == Some(v)),
            _ => false,
        }
    }
}

/// Equality ignores positions: two nodes are equal when their values are.
impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        self.value == other.value
    }
}

impl Node {
    /// A node with a value and a position.
    pub fn new(value: Value, pos: Pos) -> Node {
        Node {
            value,
            pos,
            raw: None,
        }
    }
    /// A null node with no position.
    pub fn null() -> Node {
        Node::new(Value::Null, Pos::none())
    }
    /// A string node.
    pub fn str(s: impl Into<String>, pos: Pos) -> Node {
        Node::new(Value::Str(s.into()), pos)
    }
    /// An empty mapping node.
    pub fn map(pos: Pos) -> Node {
        Node::new(Value::Map(Map::default()), pos)
    }
    /// An empty sequence node.
    pub fn seq(pos: Pos) -> Node {
        Node::new(Value::Seq(Vec::new()), pos)
    }

    /// The string, when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The mapping, when this is a mapping.
    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The mapping, mutably.
    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }
    /// The sequence, when this is a sequence.
    pub fn as_seq(&self) -> Option<&Vec<Node>> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }
    /// The sequence, mutably.
    pub fn as_seq_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }
    /// The boolean, when this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }
    /// The integer, when this is an integer (or a float with an integral value).
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }
    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }
    /// True for a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }
    /// True for a sequence.
    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }
    /// True for scalars (null, bool, numbers, strings).
    pub fn is_scalar(&self) -> bool {
        !self.is_map() && !self.is_seq()
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }
    /// The value under `key` of a mapping, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut().and_then(|m| m.get_mut(key))
    }
    /// Follow a path of mapping keys.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        let mut n = self;
        for k in path {
            n = n.get(k)?;
        }
        Some(n)
    }
    /// Follow a path of mapping keys, mutably.
    pub fn get_path_mut(&mut self, path: &[&str]) -> Option<&mut Node> {
        let mut n = self;
        for k in path {
            n = n.get_mut(k)?;
        }
        Some(n)
    }
    /// The string at a path of mapping keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.get_path(path).and_then(|n| n.as_str())
    }
    /// Set `key` in a mapping (turning a null node into a mapping first).
    /// Returns false when the node is neither a mapping nor null.
    pub fn set(&mut self, key: &str, value: Node) -> bool {
        if self.is_null() {
            self.value = Value::Map(Map::default());
        }
        match self.as_map_mut() {
            Some(m) => {
                m.insert(key.to_string(), value);
                true
            }
            None => false,
        }
    }
    /// The mapping under `key`, created (at `pos`) when missing or null.
    /// Returns None when the existing value is not a mapping.
    pub fn ensure_map(&mut self, key: &str, pos: &Pos) -> Option<&mut Node> {
        if self.is_null() {
            self.value = Value::Map(Map::default());
        }
        let m = self.as_map_mut()?;
        let entry = m
            .entry(key.to_string())
            .or_insert_with(|| Node::map(pos.clone()));
        if entry.is_null() {
            *entry = Node::map(pos.clone());
        }
        if entry.is_map() {
            Some(entry)
        } else {
            None
        }
    }
    /// Remove `key` from a mapping.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        self.as_map_mut().and_then(|m| m.shift_remove(key))
    }

    /// Build a node from JSON (positions unknown). Handy in tests and for JSON patches.
    pub fn from_json(v: &serde_json::Value) -> Node {
        Node::from_json_at(v, &Pos::none())
    }
    /// Build a node from JSON with every node at `pos`.
    pub fn from_json_at(v: &serde_json::Value, pos: &Pos) -> Node {
        use serde_json::Value as J;
        let value = match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::Seq(a.iter().map(|x| Node::from_json_at(x, pos)).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, x)| (k.clone(), Node::from_json_at(x, pos)))
                    .collect(),
            ),
        };
        Node::new(value, pos.clone())
    }
    /// Convert to JSON (positions dropped).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(s) => J::Array(s.iter().map(|n| n.to_json()).collect()),
            Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }
    /// Set the position of this node and every node below it (used when a
    /// transformer copies a value in: the copy's provenance is the transformer's line).
    pub fn set_pos_deep(&mut self, pos: &Pos) {
        self.pos = pos.clone();
        match &mut self.value {
            Value::Seq(s) => s.iter_mut().for_each(|n| n.set_pos_deep(pos)),
            Value::Map(m) => m.values_mut().for_each(|n| n.set_pos_deep(pos)),
            _ => {}
        }
    }
    /// A short human description of the value type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "sequence",
            Value::Map(_) => "mapping",
        }
    }
    /// True for a null written as nothing at all (`key:`), as opposed to `~`/`null`.
    pub fn is_empty_null(&self) -> bool {
        matches!(self.value, Value::Null) && self.raw.as_deref() == Some("")
    }
    /// The scalar as text (strings as is, numbers and booleans as YAML prints them).
    pub fn scalar_string(&self) -> Option<String> {
        match &self.value {
            Value::Null => Some(String::new()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(crate::yaml::format_float(*f)),
            Value::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}
