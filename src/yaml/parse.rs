//! Event-driven tree builder with positions, budgets and kustomize's scalar typing.

use super::node::{Node, Pos, Value};
use crate::error::{Error, Result};
use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use std::collections::HashMap;
use std::sync::Arc;

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
}

impl ParseOptions {
    /// Options for resource files.
    pub fn resource() -> ParseOptions {
        ParseOptions {
            schema: Schema::Resource,
            dup_keys: DupKeys::Error,
            limits: Limits::default(),
        }
    }
    /// Options for kustomization files.
    pub fn kustomization() -> ParseOptions {
        ParseOptions {
            schema: Schema::Yaml11,
            dup_keys: DupKeys::LastWins,
            limits: Limits::default(),
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
        ));
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
                let pos = Pos::new(&file, m.line() as u32, m.col() as u32 + 1);
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
        explicit: Vec<String>,
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
                    ));
                }
                if self.alias_bytes > self.opts.limits.max_alias_bytes {
                    return Err(Error::at(
                        &pos,
                        format!(
                            "alias expansion exceeds the budget of {} bytes (a YAML alias bomb?)",
                            self.opts.limits.max_alias_bytes
                        ),
                    ));
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
                    explicit: Vec::new(),
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
                    explicit,
                    ..
                }) = self.stack.pop()
                {
                    self.apply_merges(&mut node, merges, &explicit)?;
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

    fn apply_merges(
        &mut self,
        node: &mut Node,
        merges: Vec<Node>,
        explicit: &[String],
    ) -> Result<()> {
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
                    if !explicit.contains(&k) && !m.contains_key(&k) {
                        m.insert(k, v);
                    }
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
                explicit,
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
                    if m.contains_key(&k) && self.opts.dup_keys == DupKeys::Error {
                        return Err(Error::at(
                            &kpos,
                            format!("mapping key \"{k}\" already defined"),
                        ));
                    }
                    explicit.push(k.clone());
                    m.insert(k, node);
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

/// Type a plain scalar.
pub(crate) fn resolve_plain(text: &str, schema: Schema) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if schema == Schema::Yaml11 {
        match text {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Value::Bool(true),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Value::Bool(false),
            _ => {}
        }
    }
    // go-yaml only tries numbers for plain scalars starting with a digit, a sign
    // or a dot (its resolve table): `_0` is a string.
    if text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        if let Some(v) = parse_int(text) {
            return v;
        }
        if let Some(f) = parse_float(text) {
            return Value::Float(f);
        }
    }
    if schema == Schema::Resource {
        if let Some(ts) = parse_timestamp(text) {
            return Value::Str(ts);
        }
    }
    Value::Str(text.to_string())
}

/// A plain integer literal beyond i64 that fits u64 (Go decodes it as uint64
/// and prints it exactly).
pub(crate) fn exact_uint(text: &str) -> Option<u64> {
    let v = int_literal(text)?;
    if v > i64::MAX as i128 {
        u64::try_from(v).ok()
    } else {
        None
    }
}

fn parse_int(text: &str) -> Option<Value> {
    let v = int_literal(text)?;
    match i64::try_from(v) {
        Ok(i) => Some(Value::Int(i)),
        Err(_) => Some(Value::Float(v as f64)),
    }
}

fn int_literal(text: &str) -> Option<i128> {
    let (neg, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d)
    } else if body.len() > 1
        && body.starts_with('0')
        && body.bytes().all(|c| c.is_ascii_digit() || c == b'_')
    {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || digits.starts_with('_') {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() || !clean.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    match i128::from_str_radix(&clean, radix) {
        Ok(v) => Some(if neg { -v } else { v }),
        Err(_) => None,
    }
}

fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let b = text.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let start = i;
    let mut digits = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 || i == start {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let es = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == es {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    text.replace('_', "").parse::<f64>().ok()
}

/// yaml.v3 decodes plain timestamps to time.Time (only ones Go's `time.Parse`
/// accepts with its layouts `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`); JSON prints them RFC 3339
/// (nanoseconds, trailing zeros trimmed). Invalid dates stay strings.
fn parse_timestamp(text: &str) -> Option<String> {
    let b = text.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year: u32 = text[..4].parse().ok()?;
    let mut i = 5;
    // Go's getnum (not fixed width): one digit, or two when the second is a digit.
    let num = |i: &mut usize| -> Option<u32> {
        let d0 = *b.get(*i)?;
        if !d0.is_ascii_digit() {
            return None;
        }
        let mut v = (d0 - b'0') as u32;
        *i += 1;
        if let Some(d1) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            v = v * 10 + (d1 - b'0') as u32;
            *i += 1;
        }
        Some(v)
    };
    let month = num(&mut i)?;
    if b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let day = num(&mut i)?;
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if i == b.len() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let sep = b[i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    i += 1;
    let hour = num(&mut i)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let min = num(&mut i)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    let sec = num(&mut i)?;
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut frac = String::new();
    if matches!(b.get(i), Some(b'.') | Some(b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            if frac.len() < 9 {
                frac.push(*c as char);
            }
            i += 1;
        }
        while frac.ends_with('0') {
            frac.pop();
        }
    }
    let zone = if sep == b' ' {
        if i != b.len() {
            return None;
        }
        "Z".to_string()
    } else {
        let rest = &text[i..];
        if rest == "Z" {
            "Z".to_string()
        } else {
            let rb = rest.as_bytes();
            if rb.len() != 6
                || !matches!(rb[0], b'+' | b'-')
                || rb[3] != b':'
                || ![1, 2, 4, 5].iter().all(|&k| rb[k].is_ascii_digit())
            {
                return None;
            }
            let hh: u32 = rest[1..3].parse().ok()?;
            let mm: u32 = rest[4..6].parse().ok()?;
            if hh > 23 || mm > 59 {
                return None;
            }
            if hh == 0 && mm == 0 {
                "Z".to_string()
            } else {
                rest.to_string()
            }
        }
    };
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!("{date}T{hour:02}:{min:02}:{sec:02}{frac}{zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<Node> {
        parse_stream(s, "f.yaml", &ParseOptions::resource()).unwrap()
    }

    #[test]
    fn positions_and_types() {
        let d = p("a: 1\nb:\n  c: yes\n  d: '1'\n  e: 0777\n  f: 2001-12-14\n");
        assert_eq!(d.len(), 1);
        let n = &d[0];
        assert_eq!(n.get("a").unwrap().value, Value::Int(1));
        assert_eq!(n.get_path(&["b", "c"]).unwrap().as_str(), Some("yes"));
        assert_eq!(n.get_path(&["b", "d"]).unwrap().as_str(), Some("1"));
        assert_eq!(n.get_path(&["b", "e"]).unwrap().value, Value::Int(511));
        assert_eq!(
            n.get_path(&["b", "f"]).unwrap().as_str(),
            Some("2001-12-14T00:00:00Z")
        );
        assert_eq!(n.get_path(&["b", "c"]).unwrap().pos.line, 3);
        assert_eq!(n.get_path(&["b", "c"]).unwrap().pos.col, 6);
    }

    #[test]
    fn block_scalar_at_unterminated_eof_has_no_final_newline() {
        let d = p("a: |\n  x\n  y");
        assert_eq!(d[0].get("a").unwrap().as_str(), Some("x\ny"));
        let d = p("a: |\n  x\n  y\n");
        assert_eq!(d[0].get("a").unwrap().as_str(), Some("x\ny\n"));
        let d = p("a: >\n  x\n  y\n# c");
        assert_eq!(d[0].get("a").unwrap().as_str(), Some("x y\n"));
        let d = p("b: 1\na: |+\n  x");
        assert_eq!(d[0].get("a").unwrap().as_str(), Some("x"));
    }

    #[test]
    fn timestamps_as_go_parses_them() {
        let t = |s: &str| parse_timestamp(s);
        assert_eq!(t("2024-02-29").as_deref(), Some("2024-02-29T00:00:00Z"));
        assert_eq!(t("2024-1-01").as_deref(), Some("2024-01-01T00:00:00Z"));
        assert_eq!(t("2024-13-01"), None);
        assert_eq!(t("2023-02-29"), None);
        assert_eq!(t("2024-02-30"), None);
        assert_eq!(
            t("2001-12-14T21:59:43.10-05:00").as_deref(),
            Some("2001-12-14T21:59:43.1-05:00")
        );
        assert_eq!(
            t("2001-12-14t21:59:43.10Z").as_deref(),
            Some("2001-12-14T21:59:43.1Z")
        );
        assert_eq!(t("2001-12-14 21:59:43.10 -5"), None);
        assert_eq!(
            t("2001-12-14 1:2:3").as_deref(),
            Some("2001-12-14T01:02:03Z")
        );
    }

    #[test]
    fn big_integers_and_raw_text() {
        let d = p("a: 18446744073709551615\nb: 0x1F\nc:\nd: ~\n");
        assert_eq!(
            d[0].get("a").unwrap().raw.as_deref().and_then(exact_uint),
            Some(u64::MAX)
        );
        assert_eq!(d[0].get("b").unwrap().raw.as_deref(), Some("0x1F"));
        assert!(d[0].get("c").unwrap().is_empty_null());
        assert!(!d[0].get("d").unwrap().is_empty_null());
    }

    #[test]
    fn numbers_start_with_a_digit_sign_or_dot() {
        // Fuzz find: `_0` was read as the float 0.
        let d = p("a: _0\nb: _1.5\nc: 1_0\nd: -1_0\ne: .5\n");
        assert_eq!(d[0].get("a").unwrap().as_str(), Some("_0"));
        assert_eq!(d[0].get("b").unwrap().as_str(), Some("_1.5"));
        assert_eq!(d[0].get("c").unwrap().value, Value::Int(10));
        assert_eq!(d[0].get("d").unwrap().value, Value::Int(-10));
        assert_eq!(d[0].get("e").unwrap().value, Value::Float(0.5));
    }

    #[test]
    fn timestamps_need_a_valid_date() {
        // Fuzz find: `5000-01-00` became a timestamp string, kustomize keeps it.
        let d = p("a: 5000-01-00\nb: 2023-02-29\nc: 2024-02-29\nd: 2024-1-5\ne: 2024-13-01\n");
        let s = |k: &str| d[0].get(k).unwrap().as_str().unwrap().to_string();
        assert_eq!(s("a"), "5000-01-00");
        assert_eq!(s("b"), "2023-02-29");
        assert_eq!(s("c"), "2024-02-29T00:00:00Z");
        assert_eq!(s("d"), "2024-01-05T00:00:00Z");
        assert_eq!(s("e"), "2024-13-01");
    }

    #[test]
    fn line_separators_are_breaks_as_in_libyaml() {
        // Fuzz find: kustomize prints U+2028 raw in single-quoted and literal
        // scalars, followed by indentation; libyaml reads that indentation away.
        let d = p("a: 'x\u{2028}    y'\nb: 'x\u{2028}\n    y'\nc: |\n  x\u{2028}  y\n  z\nd: \"x\\L  y\"\ne: 'p  \u{2029}  q'\nf:\n  g: >-\n    x\u{2028}     y\n");
        let s = |k: &str| d[0].get(k).unwrap().as_str().unwrap().to_string();
        assert_eq!(s("a"), "x\u{2028}y");
        assert_eq!(s("b"), "x\u{2028}\ny");
        assert_eq!(s("c"), "x\u{2028}y\nz\n");
        assert_eq!(s("d"), "x\u{2028}  y");
        assert_eq!(s("e"), "p\u{2029}q");
        assert_eq!(d[0].str_at(&["f", "g"]), Some("x\u{2028} y"));
    }

    #[test]
    fn yaml11_booleans_in_kustomizations() {
        let d = parse_stream("namespace: y\n", "k.yaml", &ParseOptions::kustomization()).unwrap();
        assert_eq!(d[0].get("namespace").unwrap().value, Value::Bool(true));
    }

    #[test]
    fn merge_keys() {
        let d = p("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let m = d[0].get("m").unwrap();
        assert_eq!(m.get("x").unwrap().value, Value::Int(1));
        assert_eq!(m.get("y").unwrap().value, Value::Int(3));
    }

    #[test]
    fn alias_bomb_fails_fast() {
        let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
        let e = parse_stream(bomb, "bomb.yaml", &ParseOptions::resource()).unwrap_err();
        assert!(e.msg.contains("alias"), "{e}");
        assert_eq!(e.pos.file.as_deref(), Some("bomb.yaml"));
    }

    #[test]
    fn duplicate_keys() {
        let e = parse_stream("a: 1\na: 2\n", "f.yaml", &ParseOptions::resource()).unwrap_err();
        assert_eq!(e.pos.line, 2);
        let d = parse_stream("a: 1\na: 2\n", "k.yaml", &ParseOptions::kustomization()).unwrap();
        assert_eq!(d[0].get("a").unwrap().value, Value::Int(2));
    }

    #[test]
    fn multi_doc_and_empty() {
        let d = p("---\na: 1\n---\n# only a comment\n---\nb: 2\n");
        assert_eq!(d.iter().filter(|n| !n.is_null()).count(), 2);
    }

    #[test]
    fn malformed_has_line() {
        let e = parse_stream("a: 1\nb: [\n", "bad.yaml", &ParseOptions::resource()).unwrap_err();
        assert!(e.to_string().starts_with("bad.yaml:"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = "[".repeat(10_000);
        let e = parse_stream(&s, "deep.yaml", &ParseOptions::resource()).unwrap_err();
        assert!(
            e.msg.contains("nesting") || e.msg.contains("malformed"),
            "{e}"
        );
    }

    #[test]
    fn decode_bom_and_invalid() {
        assert_eq!(decode(b"\xEF\xBB\xBFa: 1", "f").unwrap(), "a: 1");
        assert_eq!(decode(b"\xFF\xFEa\x00", "f").unwrap(), "a");
        let e = decode(b"a: 1\nb: \xff\n", "bin.yaml").unwrap_err();
        assert_eq!(e.pos.line, 2);
    }
}
