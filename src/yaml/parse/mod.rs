//! Event-driven tree builder with positions, budgets and kustomize's scalar typing.

use super::node::{Node, Pos, Value};
use crate::error::{Error, Result};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use std::collections::HashMap;
use std::sync::Arc;

mod flow;
mod folded;
mod resolve;
#[cfg(test)]
mod tests;

pub(crate) use resolve::*;

/// How plain scalars are typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// YAML 1.1 as go-yaml v2 reads it (kustomization files): `yes`/`no`/`on`/`off`/`y`/`n` are booleans.
    Yaml11,
    /// yaml.v3 as kustomize reads resources: 1.2 core booleans, 1.1 octal `0777`, timestamps.
    Resource,
}

/// What a repeated mapping key does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DupKeys {
    /// The last one wins (kustomization files).
    LastWins,
    /// An error naming the key and line (resources: kustomize fails at output).
    Error,
}

/// Resource limits for one file. Exceeding any is an error naming the file and the limit.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest file, in bytes.
    pub max_file_bytes: usize,
    /// Most nodes that alias expansion may add in one file.
    pub max_alias_nodes: usize,
    /// Most scalar bytes that alias expansion may add in one file (one large
    /// anchored scalar referenced many times is a bomb too).
    pub max_alias_bytes: usize,
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Most documents in one file.
    pub max_documents: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 16 << 20,
            max_alias_nodes: 200_000,
            max_alias_bytes: 4 << 20,
            max_depth: 128,
            max_documents: 10_000,
        }
    }
}

/// Options for [`parse_stream`].
#[derive(Clone, Copy, Debug)]
pub struct ParseOptions {
    /// Scalar typing.
    pub schema: Schema,
    /// Repeated keys.
    pub dup_keys: DupKeys,
    /// Limits.
    pub limits: Limits,
    /// Folded scalars (`>`) take the value kustomize prints: what yaml.v3 reads
    /// back after writing them (see [`ParseOptions::kyaml`]).
    pub go_folded: bool,
}

impl ParseOptions {
    /// Options for resource files.
    pub fn resource() -> ParseOptions {
        ParseOptions {
            schema: Schema::Resource,
            dup_keys: DupKeys::Error,
            limits: Limits::default(),
            go_folded: false,
        }
    }
    /// Options for what kustomize reads with kyaml and prints: resource files
    /// and strategic-merge patches. As [`ParseOptions::resource`], and a folded
    /// scalar holds what kustomize outputs for it (yaml.v3 writes it out and
    /// reads it back, which adds a line break before more-indented lines).
    pub fn kyaml() -> ParseOptions {
        ParseOptions {
            go_folded: true,
            ..ParseOptions::resource()
        }
    }
    /// Options for kustomization files.
    pub fn kustomization() -> ParseOptions {
        ParseOptions {
            schema: Schema::Yaml11,
            dup_keys: DupKeys::LastWins,
            limits: Limits::default(),
            go_folded: false,
        }
    }
}

/// Decode file bytes to text: UTF-8 (BOM stripped) or UTF-16 with a BOM.
/// Invalid UTF-8 is an error naming the file and the line.
pub fn decode(bytes: &[u8], file: &str) -> Result<String> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return decode(rest, file);
    }
    let utf16 = |le: bool, rest: &[u8]| -> Result<String> {
        if !rest.len().is_multiple_of(2) {
            return Err(Error::in_file(file, "invalid UTF-16: odd number of bytes"));
        }
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).map_err(|_| Error::in_file(file, "invalid UTF-16 text"))
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(true, rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(false, rest);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() as u32 + 1;
            Err(Error::at(
                &Pos { file: Some(file.into()), line, col: 0 },
                format!("invalid UTF-8 (byte offset {at}); YAML files must be UTF-8 or UTF-16 with a BOM"),
            ))
        }
    }
}

/// Parse a multi-document stream. Empty documents come back as null nodes.
pub fn parse_stream(text: &str, file: &str, opts: &ParseOptions) -> Result<Vec<Node>> {
    let file: Arc<str> = Arc::from(file);
    if text.len() > opts.limits.max_file_bytes {
        return Err(Error::at(
            &Pos::new(&file, 0, 0),
            format!(
                "file is {} bytes, over the limit of {} bytes",
                text.len(),
                opts.limits.max_file_bytes
            ),
        )
        .kind(crate::error::ErrorKind::Budget));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // YAML normalises line breaks in content to LF; the scanner does not accept
    // CRLF inside multi-line quoted scalars, so normalise first (columns and
    // lines are unchanged).
    let crlf;
    let text = if text.contains("\r\n") {
        crlf = text.replace("\r\n", "\n");
        crlf.as_str()
    } else {
        text
    };
    match parse_text(text, &file, opts) {
        Err(e) if e.msg.starts_with("malformed YAML: invalid indentation") => {
            // libyaml reads flow collections whatever their indentation
            let Some((fixed, shifted)) = flow::reindent(text) else {
                return Err(e);
            };
            let mut docs = parse_text(&fixed, &file, opts).map_err(|_| e)?;
            flow::unshift(&mut docs, &shifted);
            Ok(docs)
        }
        other => other,
    }
}

/// [`parse_stream`] of text already decoded and normalised.
fn parse_text(text: &str, file: &Arc<str>, opts: &ParseOptions) -> Result<Vec<Node>> {
    let mut b = Builder {
        file: file.clone(),
        opts: *opts,
        anchors: HashMap::new(),
        stack: Vec::new(),
        docs: Vec::new(),
        alias_nodes: 0,
        alias_bytes: 0,
        eof_unterminated: unterminated_last_line(text),
    };
    let mut seps = LineSeparators {
        text,
        active: text.contains(['\u{2028}', '\u{2029}']),
        cursor: (0, 0),
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Err(e)) => {
                let m = e.marker();
                let pos = Pos::new(file, m.line() as u32, m.col() as u32 + 1);
                if e.info() == "recursion limit exceeded" {
                    return Err(Error::at(
                        &pos,
                        format!(
                            "YAML nesting deeper than {} levels",
                            opts.limits.max_depth.min(255)
                        ),
                    ));
                }
                return Err(Error::at(&pos, format!("malformed YAML: {}", e.info())));
            }
            Some(Ok((ev, span))) => {
                if let Event::Scalar(v, ScalarStyle::Literal | ScalarStyle::Folded, ..) = &ev {
                    if seps.tab_indented(v, &span, opts.go_folded) {
                        let pos = Pos::new(file, span.start.line() as u32, 1);
                        return Err(Error::at(
                            &pos,
                            "malformed YAML: found a tab character where an indentation space is expected",
                        ));
                    }
                }
                let ev = seps.fix(ev, &span);
                if b.event(ev, span)? {
                    break;
                }
            }
        }
    }
    Ok(b.docs)
}

/// U+2028/U+2029 written raw are line breaks to libyaml (yaml.v3 reading
/// resources, and the go-yaml emitter that prints kustomize's output, which
/// writes them raw followed by indentation), but content to saphyr (YAML 1.2).
/// Single-quoted and block scalars holding one are re-read the libyaml way.
struct LineSeparators<'t> {
    text: &'t str,
    /// The text has a raw separator at all (otherwise nothing to do).
    active: bool,
    /// (char index, byte offset) of the last lookup: scalars arrive in order.
    cursor: (usize, usize),
}

fn is_sep(c: char) -> bool {
    c == '\u{2028}' || c == '\u{2029}'
}

fn is_yaml_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

impl<'t> LineSeparators<'t> {
    fn fix<'e>(&mut self, ev: Event<'e>, span: &Span) -> Event<'e> {
        if !self.active {
            return ev;
        }
        match ev {
            Event::Scalar(value, style, anchor, tag)
                if value.contains(is_sep)
                    && matches!(
                        style,
                        ScalarStyle::SingleQuoted | ScalarStyle::Literal | ScalarStyle::Folded
                    ) =>
            {
                let fixed = if style == ScalarStyle::SingleQuoted {
                    let at = self.byte_offset(span.start.index());
                    single_quoted(&self.text[at..])
                } else {
                    // A block scalar's span starts at its first content
                    // character, after the block's indentation.
                    Some(strip_after_separators(&value, span.start.col()))
                };
                match fixed {
                    Some(v) => Event::Scalar(v.into(), style, anchor, tag),
                    None => Event::Scalar(value, style, anchor, tag),
                }
            }
            ev => ev,
        }
    }

    /// libyaml (so go-yaml, kustomize) refuses a block scalar whose indentation
    /// it must detect from a line that starts, after spaces, with a tab; saphyr
    /// reads the tab as content. With an indentation indicator (`|2`) it is
    /// content, but when kustomize writes the value out again (`round_trip`:
    /// kyaml) yaml.v3 gives a value starting with a tab no indicator, and fails
    /// reading it back.
    fn tab_indented(&mut self, value: &str, span: &Span, round_trip: bool) -> bool {
        if round_trip && value.starts_with('\t') {
            return true;
        }
        if !value.trim_start_matches('\n').starts_with('\t') {
            return false;
        }
        // the span starts at the first content character: the header is the
        // last line before it that is not blank
        let at = self.byte_offset(span.start.index());
        let before = &self.text[..at.min(self.text.len())];
        let header = before
            .rsplit('\n')
            .skip(1)
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let header = header.split(" #").next().unwrap_or("").trim_end();
        let indicator = header.rsplit([' ', '\t']).next().unwrap_or("");
        indicator.starts_with(['|', '>']) && !indicator.contains(|c: char| c.is_ascii_digit())
    }

    fn byte_offset(&mut self, char_index: usize) -> usize {
        let (mut ci, mut bi) = self.cursor;
        if char_index < ci {
            (ci, bi) = (0, 0);
        }
        for c in self.text[bi..].chars() {
            if ci == char_index {
                break;
            }
            ci += 1;
            bi += c.len_utf8();
        }
        self.cursor = (ci, bi);
        bi
    }
}

/// A single-quoted scalar (from its opening quote) decoded as libyaml does:
/// blanks around line breaks dropped, a `\n` break folded to a space, a
/// U+2028/U+2029 break kept.
fn single_quoted(raw: &str) -> Option<String> {
    let mut it = raw.chars().peekable();
    if it.next() != Some('\'') {
        return None;
    }
    let mut out = String::new();
    loop {
        loop {
            match *it.peek()? {
                '\'' => {
                    it.next();
                    if it.peek() == Some(&'\'') {
                        it.next();
                        out.push('\'');
                    } else {
                        return Some(out);
                    }
                }
                ' ' | '\t' => break,
                c if is_yaml_break(c) => break,
                c => {
                    out.push(c);
                    it.next();
                }
            }
        }
        let mut whitespace = String::new();
        let mut leading: Option<char> = None;
        let mut trailing = String::new();
        loop {
            match it.peek().copied() {
                Some(c @ (' ' | '\t')) => {
                    if leading.is_none() {
                        whitespace.push(c);
                    }
                    it.next();
                }
                Some(c) if is_yaml_break(c) => {
                    it.next();
                    let b = match c {
                        '\r' => {
                            if it.peek() == Some(&'\n') {
                                it.next();
                            }
                            '\n'
                        }
                        '\n' | '\u{85}' => '\n',
                        sep => sep,
                    };
                    if leading.is_none() {
                        leading = Some(b);
                    } else {
                        trailing.push(b);
                    }
                }
                _ => break,
            }
        }
        match leading {
            Some('\n') if trailing.is_empty() => out.push(' '),
            Some('\n') => out.push_str(&trailing),
            Some(b) => {
                out.push(b);
                out.push_str(&trailing);
            }
            None => out.push_str(&whitespace),
        }
    }
}

/// Drop up to `n` spaces after each U+2028/U+2029: the indentation libyaml
/// skips after a line break, which saphyr keeps as content.
fn strip_after_separators(value: &str, n: usize) -> String {
    let mut out = String::with_capacity(value.len());
    let mut skip = 0;
    for c in value.chars() {
        if skip > 0 && c == ' ' {
            skip -= 1;
            continue;
        }
        skip = 0;
        out.push(c);
        if is_sep(c) {
            skip = n;
        }
    }
    out
}

enum Frame {
    Seq {
        node: Node,
        anchor: usize,
    },
    Map {
        node: Node,
        anchor: usize,
        key: Option<(String, Pos)>,
        merges: Vec<Node>,
    },
}

struct Builder {
    file: Arc<str>,
    opts: ParseOptions,
    anchors: HashMap<usize, (Node, (usize, usize))>,
    stack: Vec<Frame>,
    docs: Vec<Node>,
    alias_nodes: usize,
    alias_bytes: usize,
    /// The input's length in chars when its last line holds content but no line
    /// break: a block scalar ending there gets no final newline (go-yaml), while
    /// saphyr adds one.
    eof_unterminated: Option<usize>,
}

fn unterminated_last_line(text: &str) -> Option<usize> {
    let last = text.rsplit(['\n', '\r']).next().unwrap_or("");
    if last.trim().is_empty() {
        return None;
    }
    Some(text.chars().count())
}

/// Nodes and bytes (scalar text and keys) of a tree.
fn count_nodes(n: &Node) -> (usize, usize) {
    match &n.value {
        Value::Seq(s) => s
            .iter()
            .map(count_nodes)
            .fold((1, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| {
                let (n, b) = count_nodes(v);
                (n, b + k.len())
            })
            .fold((1, 0), |a, b| (a.0 + b.0, a.1 + b.1)),
        Value::Str(s) => (1, s.len()),
        _ => (1, 8),
    }
}

impl Builder {
    fn pos(&self, span: &Span) -> Pos {
        Pos::new(
            &self.file,
            span.start.line() as u32,
            span.start.col() as u32 + 1,
        )
    }

    /// Returns true at stream end.
    fn event(&mut self, ev: Event, span: Span) -> Result<bool> {
        match ev {
            Event::StreamEnd => return Ok(true),
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.anchors.clear();
                if self.docs.len() >= self.opts.limits.max_documents {
                    return Err(Error::at(
                        &self.pos(&span),
                        format!(
                            "more than {} YAML documents in one file",
                            self.opts.limits.max_documents
                        ),
                    ));
                }
                self.docs.push(Node::new(Value::Null, self.pos(&span)));
            }
            Event::Alias(id) => {
                let pos = self.pos(&span);
                let (size, bytes) = match self.anchors.get(&id) {
                    Some((_, s)) => *s,
                    None => return Err(Error::at(&pos, "alias of an unknown anchor")),
                };
                self.alias_nodes = self.alias_nodes.saturating_add(size);
                self.alias_bytes = self.alias_bytes.saturating_add(bytes);
                if self.alias_nodes > self.opts.limits.max_alias_nodes {
                    return Err(Error::at(
                        &pos,
                        format!(
                            "alias expansion exceeds the budget of {} nodes (a YAML alias bomb?)",
                            self.opts.limits.max_alias_nodes
                        ),
                    )
                    .kind(crate::error::ErrorKind::Budget));
                }
                if self.alias_bytes > self.opts.limits.max_alias_bytes {
                    return Err(Error::at(
                        &pos,
                        format!(
                            "alias expansion exceeds the budget of {} bytes (a YAML alias bomb?)",
                            self.opts.limits.max_alias_bytes
                        ),
                    )
                    .kind(crate::error::ErrorKind::Budget));
                }
                // Checked above: the clone is bounded by the budgets.
                let node = self.anchors[&id].0.clone();
                self.push_value(node, 0, true)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                let pos = self.pos(&span);
                let mut text = text;
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && self.eof_unterminated == Some(span.end.index())
                    && text.ends_with('\n')
                {
                    let mut t = text.into_owned();
                    t.pop();
                    text = t.into();
                }
                let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
                if style == ScalarStyle::Folded && self.opts.go_folded && !is_key {
                    if let Some(t) = folded::go_round_trip(&text) {
                        text = t.into();
                    }
                }
                let value = self.resolve(&text, style, tag.as_deref(), &pos)?;
                let mut node = Node::new(value, pos);
                if style == ScalarStyle::Plain {
                    let keep = match &node.value {
                        Value::Str(s) => s != text.as_ref(),
                        _ => true,
                    };
                    if keep {
                        node.raw = Some(Arc::from(text.as_ref()));
                    }
                }
                self.push_value(node, anchor, false)?;
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(&span)?;
                self.stack.push(Frame::Seq {
                    node: Node::seq(self.pos(&span)),
                    anchor,
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(&span)?;
                self.stack.push(Frame::Map {
                    node: Node::map(self.pos(&span)),
                    anchor,
                    key: None,
                    merges: Vec::new(),
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq { node, anchor }) = self.stack.pop() {
                    self.push_value(node, anchor, false)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    mut node,
                    anchor,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    self.apply_merges(&mut node, merges)?;
                    self.push_value(node, anchor, false)?;
                }
            }
        }
        Ok(false)
    }

    fn check_depth(&self, span: &Span) -> Result<()> {
        if self.stack.len() >= self.opts.limits.max_depth {
            return Err(Error::at(
                &self.pos(span),
                format!(
                    "YAML nesting deeper than {} levels",
                    self.opts.limits.max_depth
                ),
            ));
        }
        Ok(())
    }

    fn apply_merges(&mut self, node: &mut Node, merges: Vec<Node>) -> Result<()> {
        if merges.is_empty() {
            return Ok(());
        }
        let m = node.as_map_mut().expect("map frame");
        for src in merges {
            let sources: Vec<Node> = match src.value {
                Value::Map(_) => vec![src],
                Value::Seq(items) => items,
                _ => {
                    return Err(Error::at(
                        &src.pos,
                        "merge key '<<' needs a mapping or a list of mappings",
                    ))
                }
            };
            for s in sources {
                let pos = s.pos.clone();
                let Value::Map(sm) = s.value else {
                    return Err(Error::at(
                        &pos,
                        "merge key '<<' needs a mapping or a list of mappings",
                    ));
                };
                for (k, v) in sm {
                    // `m` holds the explicit keys and those of earlier
                    // sources (merges are applied at the end): both win.
                    m.entry(k).or_insert(v);
                }
            }
        }
        Ok(())
    }

    fn push_value(&mut self, node: Node, anchor: usize, _from_alias: bool) -> Result<()> {
        if anchor != 0 {
            let size = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        match self.stack.last_mut() {
            None => {
                if let Some(doc) = self.docs.last_mut() {
                    *doc = node;
                } else {
                    self.docs.push(node);
                }
            }
            Some(Frame::Seq { node: seq, .. }) => {
                seq.as_seq_mut().expect("seq frame").push(node);
            }
            Some(Frame::Map {
                node: map,
                key,
                merges,
                ..
            }) => match key.take() {
                None => {
                    let k = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Null => "null".to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Int(i) => i.to_string(),
                        Value::Float(f) => super::format_float(*f),
                        _ => return Err(Error::at(&node.pos, "mapping keys must be scalars")),
                    };
                    *key = Some((k, node.pos));
                }
                Some((k, kpos)) => {
                    if k == "<<" {
                        merges.push(node);
                        return Ok(());
                    }
                    let m = map.as_map_mut().expect("map frame");
                    match m.entry(k) {
                        indexmap::map::Entry::Occupied(o)
                            if self.opts.dup_keys == DupKeys::Error =>
                        {
                            return Err(Error::at(
                                &kpos,
                                format!("mapping key \"{}\" already defined", o.key()),
                            ));
                        }
                        indexmap::map::Entry::Occupied(mut o) => {
                            o.insert(node);
                        }
                        indexmap::map::Entry::Vacant(v) => {
                            v.insert(node);
                        }
                    }
                }
            },
        }
        Ok(())
    }

    fn resolve(
        &self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        pos: &Pos,
    ) -> Result<Value> {
        if let Some(t) = tag {
            let core = t.handle == "!!" || t.handle == "tag:yaml.org,2002:";
            if core {
                return match t.suffix.as_str() {
                    "str" | "binary" | "timestamp" => Ok(Value::Str(text.to_string())),
                    "null" => Ok(Value::Null),
                    "bool" | "int" | "float" => Ok(resolve_plain(text, self.opts.schema)),
                    other => Err(Error::at(pos, format!("unknown tag !!{other}"))),
                };
            }
            if t.handle == "!" && t.suffix.is_empty() {
                return Ok(Value::Str(text.to_string()));
            }
        }
        if style != ScalarStyle::Plain {
            return Ok(Value::Str(text.to_string()));
        }
        Ok(resolve_plain(text, self.opts.schema))
    }
}
