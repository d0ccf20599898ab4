//! A flat, position-keeping encoding of [`Node`] trees for files that carry
//! rendered manifests between processes (the shard files of `check --shard`).
//!
//! A tree is written in pre-order as columns (one tag per node, its position,
//! and per-kind payload columns), so its JSON form is two levels deep however
//! deep the tree is, and decoding needs no recursion. File names are indices
//! into a table shared by every tree of one file ([`Files`]), so a path is
//! written once. Decoding checks every index, count and the nesting depth: a
//! damaged or hostile file is an error, never a panic or an unbounded cost.

use super::node::{Map, Node, Pos, Value};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The deepest tree [`decode`] accepts (the parser's own ceiling is 255).
pub const MAX_DEPTH: usize = 512;

/// The file-name table of one encoded file: index `i + 1` in a position is
/// `names[i]`; `0` is "no file".
#[derive(Clone, Debug, Default)]
pub struct Files {
    names: Vec<Arc<str>>,
    index: HashMap<Arc<str>, u32>,
}

impl Files {
    /// A table read back from a file.
    pub fn from_names(names: Vec<String>) -> Files {
        let names: Vec<Arc<str>> = names.into_iter().map(Arc::from).collect();
        Files {
            index: HashMap::new(),
            names,
        }
    }
    /// The names in index order (what is written).
    pub fn names(&self) -> Vec<String> {
        self.names.iter().map(|n| n.to_string()).collect()
    }
    fn intern(&mut self, f: &Arc<str>) -> u32 {
        if let Some(&i) = self.index.get(f) {
            return i;
        }
        self.names.push(f.clone());
        let i = self.names.len() as u32;
        self.index.insert(f.clone(), i);
        i
    }
    fn get(&self, i: u32) -> Result<Option<Arc<str>>, String> {
        match i {
            0 => Ok(None),
            i => self
                .names
                .get(i as usize - 1)
                .cloned()
                .map(Some)
                .ok_or_else(|| format!("file index {i} is not in the file table")),
        }
    }
    /// A position as `[file, line, col]`.
    pub fn pos(&mut self, p: &Pos) -> [u32; 3] {
        let f = p.file.as_ref().map_or(0, |f| self.intern(f));
        [f, p.line, p.col]
    }
    /// A position read back.
    pub fn unpos(&self, p: [u32; 3]) -> Result<Pos, String> {
        Ok(Pos {
            file: self.get(p[0])?,
            line: p[1],
            col: p[2],
        })
    }
}

/// One encoded tree.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// One tag per node, in pre-order: `n` null, `t`/`f` booleans, `i` integer,
    /// `d` other number, `s` string, `q` sequence, `m` mapping.
    pub t: String,
    /// Three numbers per node: file index, line, column.
    pub p: Vec<u32>,
    /// Strings in order: the value of `s`, the text of `d`, each mapping key.
    pub s: Vec<String>,
    /// The values of `i`.
    pub i: Vec<i64>,
    /// The lengths of `q` and `m`.
    pub c: Vec<u32>,
    /// `[node index, raw text]` for the nodes that keep their source text.
    pub r: Vec<(u32, String)>,
}

/// Encode `root` (file names into `files`).
pub fn encode(root: &Node, files: &mut Files) -> Tree {
    let mut t = Tree::default();
    let mut stack: Vec<&Node> = vec![root];
    while let Some(n) = stack.pop() {
        let idx = t.t.len() as u32;
        t.p.extend(files.pos(&n.pos));
        if let Some(raw) = &n.raw {
            t.r.push((idx, raw.to_string()));
        }
        match &n.value {
            Value::Null => t.t.push('n'),
            Value::Bool(true) => t.t.push('t'),
            Value::Bool(false) => t.t.push('f'),
            Value::Int(i) => {
                t.t.push('i');
                t.i.push(*i);
            }
            Value::Float(f) => {
                t.t.push('d');
                t.s.push(float_text(*f));
            }
            Value::Str(s) => {
                t.t.push('s');
                t.s.push(s.clone());
            }
            Value::Seq(items) => {
                t.t.push('q');
                t.c.push(items.len() as u32);
                stack.extend(items.iter().rev());
            }
            Value::Map(m) => {
                t.t.push('m');
                t.c.push(m.len() as u32);
                // Keys are written with the mapping, in order; the values follow in pre-order.
                t.s.extend(m.keys().cloned());
                stack.extend(m.values().rev());
            }
        }
    }
    t
}

/// `f` as text that parses back to the same bits (`NaN`, `inf` and `-inf` included).
fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else {
        format!("{f:?}")
    }
}

/// A collection being filled while decoding.
enum Open {
    Seq(Node, Vec<Node>, u32),
    Map(Node, Map, Vec<String>, u32),
}

impl Open {
    fn remaining(&self) -> u32 {
        match self {
            Open::Seq(_, _, n) | Open::Map(_, _, _, n) => *n,
        }
    }
    fn push(&mut self, child: Node) {
        match self {
            Open::Seq(_, v, n) => {
                v.push(child);
                *n -= 1;
            }
            Open::Map(_, m, keys, n) => {
                let k = keys.pop().unwrap_or_default();
                m.insert(k, child);
                *n -= 1;
            }
        }
    }
    fn close(self) -> Node {
        match self {
            Open::Seq(mut n, v, _) => {
                n.value = Value::Seq(v);
                n
            }
            Open::Map(mut n, m, _, _) => {
                n.value = Value::Map(m);
                n
            }
        }
    }
}

/// Column cursors.
struct Cursor<'a> {
    t: &'a Tree,
    s: usize,
    i: usize,
    c: usize,
    r: usize,
}

impl Cursor<'_> {
    fn string(&mut self) -> Result<String, String> {
        let v = self
            .t
            .s
            .get(self.s)
            .cloned()
            .ok_or("the string column ends early")?;
        self.s += 1;
        Ok(v)
    }
    fn int(&mut self) -> Result<i64, String> {
        let v = *self
            .t
            .i
            .get(self.i)
            .ok_or("the integer column ends early")?;
        self.i += 1;
        Ok(v)
    }
    fn count(&mut self, left: usize) -> Result<u32, String> {
        let v = *self.t.c.get(self.c).ok_or("the length column ends early")?;
        self.c += 1;
        // Every element is a node of its own: more than the tags left is a lie.
        if v as usize > left {
            return Err(format!("a collection of {v} items with {left} nodes left"));
        }
        Ok(v)
    }
    fn raw(&mut self, idx: usize) -> Option<Arc<str>> {
        match self.t.r.get(self.r) {
            Some((i, text)) if *i as usize == idx => {
                self.r += 1;
                Some(Arc::from(text.as_str()))
            }
            _ => None,
        }
    }
}

/// Decode one tree (positions from `files`). Every column must be used up
/// exactly and the tree must not be deeper than [`MAX_DEPTH`].
pub fn decode(t: &Tree, files: &Files) -> Result<Node, String> {
    let tags = t.t.as_bytes();
    if tags.is_empty() {
        return Err("an empty tree".into());
    }
    if t.p.len() != tags.len() * 3 {
        return Err("the position column does not match the tags".into());
    }
    let mut cur = Cursor {
        t,
        s: 0,
        i: 0,
        c: 0,
        r: 0,
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    for (idx, tag) in tags.iter().enumerate() {
        if root.is_some() {
            return Err("nodes after the end of the tree".into());
        }
        let pos = files.unpos([t.p[idx * 3], t.p[idx * 3 + 1], t.p[idx * 3 + 2]])?;
        let raw = cur.raw(idx);
        let left = tags.len() - idx - 1;
        let leaf = |value| Node { value, pos, raw };
        let done = match tag {
            b'n' => leaf(Value::Null),
            b't' => leaf(Value::Bool(true)),
            b'f' => leaf(Value::Bool(false)),
            b'i' => leaf(Value::Int(cur.int()?)),
            b'd' => {
                let text = cur.string()?;
                leaf(Value::Float(
                    text.parse()
                        .map_err(|_| format!("'{text}' is not a number"))?,
                ))
            }
            b's' => leaf(Value::Str(cur.string()?)),
            b'q' | b'm' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("nested deeper than {MAX_DEPTH}"));
                }
                let n = cur.count(left)?;
                let node = leaf(Value::Null);
                let open = if *tag == b'q' {
                    Open::Seq(node, Vec::with_capacity(n as usize), n)
                } else {
                    let mut keys = Vec::with_capacity(n as usize);
                    for _ in 0..n {
                        keys.push(cur.string()?);
                    }
                    keys.reverse();
                    Open::Map(
                        node,
                        Map::with_capacity_and_hasher(n as usize, Default::default()),
                        keys,
                        n,
                    )
                };
                stack.push(open);
                // An empty collection is complete at once.
                match close_finished(&mut stack) {
                    Some(n) => n,
                    None => continue,
                }
            }
            other => return Err(format!("unknown tag '{}'", *other as char)),
        };
        match stack.last_mut() {
            None => root = Some(done),
            Some(parent) => {
                parent.push(done);
                if let Some(n) = close_finished(&mut stack) {
                    root = Some(n);
                }
            }
        }
    }
    let root = root.ok_or("the tree ends inside a collection")?;
    if cur.s != t.s.len() || cur.i != t.i.len() || cur.c != t.c.len() || cur.r != t.r.len() {
        return Err("columns hold values no node uses".into());
    }
    Ok(root)
}

/// Close every collection on top of `stack` that has all its items; the root
/// when the whole tree is complete.
fn close_finished(stack: &mut Vec<Open>) -> Option<Node> {
    while stack.last().is_some_and(|o| o.remaining() == 0) {
        let node = stack.pop().map(Open::close)?;
        match stack.last_mut() {
            Some(parent) => parent.push(node),
            None => return Some(node),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ParseOptions};

    fn same(a: &Node, b: &Node) -> bool {
        // NaN is not equal to itself: compare floats by their bits.
        let value = match (&a.value, &b.value) {
            (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
            (Value::Seq(x), Value::Seq(y)) => x.len() == y.len(),
            (Value::Map(x), Value::Map(y)) => x.len() == y.len(),
            (x, y) => x == y,
        };
        value && a.pos == b.pos && a.raw == b.raw && children_same(a, b)
    }

    fn children_same(a: &Node, b: &Node) -> bool {
        match (&a.value, &b.value) {
            (Value::Seq(x), Value::Seq(y)) => x.iter().zip(y).all(|(a, b)| same(a, b)),
            (Value::Map(x), Value::Map(y)) => x
                .iter()
                .zip(y)
                .all(|((ka, a), (kb, b))| ka == kb && same(a, b)),
            _ => true,
        }
    }

    #[test]
    fn round_trips_values_positions_and_raw_text() {
        let text =
            "a: 1\nb: [x, 2.5, .nan, -.inf, true, ~, 0x1F]\nc: {}\nd: []\ne:\n  f: {g: [[]]}\n";
        for n in parse_stream(text, "f.yaml", &ParseOptions::resource()).unwrap() {
            let mut files = Files::default();
            let t = encode(&n, &mut files);
            let json = serde_json::to_string(&t).unwrap();
            let back: Tree = serde_json::from_str(&json).unwrap();
            let files = Files::from_names(files.names());
            let d = decode(&back, &files).unwrap();
            assert!(same(&n, &d), "{n:?}\n{d:?}");
        }
    }

    #[test]
    fn damaged_trees_are_errors() {
        let n = &parse_stream("a: [1, {b: c}]\n", "f.yaml", &ParseOptions::resource()).unwrap()[0];
        let mut files = Files::default();
        let t = encode(n, &mut files);
        let files = Files::from_names(files.names());
        let mut cut = t.clone();
        cut.t.pop();
        cut.p.truncate(cut.p.len() - 3);
        assert!(decode(&cut, &files).is_err());
        let mut lie = t.clone();
        lie.c[0] = u32::MAX;
        assert!(decode(&lie, &files).unwrap_err().contains("items"));
        let mut bad_file = t.clone();
        bad_file.p[0] = 9;
        assert!(decode(&bad_file, &Files::default()).is_err());
        let mut extra = t.clone();
        extra.s.push("x".into());
        assert!(decode(&extra, &files).is_err());
        let deep = Tree {
            t: "q".repeat(MAX_DEPTH + 2),
            p: vec![0; (MAX_DEPTH + 2) * 3],
            c: vec![1; MAX_DEPTH + 2],
            ..Tree::default()
        };
        assert!(decode(&deep, &files).unwrap_err().contains("deeper"));
    }
}
