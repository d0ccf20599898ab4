//! The emitter: prints documents exactly as `kustomize build` (v5.5.0) does.
//!
//! kustomize serialises every resource to JSON and converts that JSON to YAML
//! with `sigs.k8s.io/yaml`, i.e. go-yaml v2's encoder and its libyaml-derived
//! emitter (block style, indent 2, line width 80, unicode output). This module
//! reproduces the observable behaviour of that chain:
//!
//! - mapping keys are ordered by go-yaml v2's key sorter (letters after other
//!   characters, runs of digits compared as numbers);
//! - numbers go through the JSON round trip (integral floats become integers,
//!   other floats print as Go's `strconv.FormatFloat(f, 'g', -1, 64)`);
//! - strings that would read back as another type under go-yaml v2's YAML 1.1
//!   resolver are double-quoted; the emitter's scalar analysis then picks plain,
//!   single-quoted, double-quoted or literal style, and long scalars are folded
//!   at the emitter's best width exactly where libyaml folds them.
//!
//! Everything is written into one `String` with no per-node allocations apart
//! from the key ordering of each mapping.

use super::node::{Node, Value};

mod number;
mod order;
mod resolve;
mod scalar;

use number::*;
pub use order::*;
pub use resolve::*;
use scalar::*;

/// Print documents as `kustomize build` does: each document is a YAML mapping
/// (or any node) and documents are joined by `---\n`. No documents print nothing.
pub fn emit_docs(docs: &[&Node]) -> String {
    let mut out = String::with_capacity(docs.len() * 512);
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        emit_into(&mut out, d);
    }
    out
}

/// Print one document (terminated by a newline).
pub fn emit_node(n: &Node) -> String {
    let mut out = String::with_capacity(256);
    emit_into(&mut out, n);
    out
}

/// Append one document (terminated by a newline) to `out`.
pub fn emit_into(out: &mut String, n: &Node) {
    let mut e = Emitter {
        out,
        column: 0,
        indent: -1,
        whitespace: true,
        indention: true,
    };
    e.node(n, Ctx::default());
    // Document end: yaml_emitter_write_indent with indent 0.
    e.write_indent_to(0);
}

/// kustomize prints through JSON, and Go's JSON leaves U+0085 (NEL) raw; the
/// YAML 1.1 reader then takes it for a line break inside the double-quoted
/// JSON string and folds it: blanks around it vanish, one break becomes a
/// space, each further break a newline.
pub fn fold_nel(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\u{85}') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut ws = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            ' ' | '\t' => ws.push(c),
            '\u{85}' => {
                ws.clear();
                let mut extra = 0;
                while let Some(&n) = it.peek() {
                    match n {
                        ' ' | '\t' => {}
                        '\u{85}' => extra += 1,
                        _ => break,
                    }
                    it.next();
                }
                if extra == 0 {
                    out.push(' ');
                } else {
                    out.extend(std::iter::repeat_n('\n', extra));
                }
            }
            c => {
                out.push_str(&ws);
                ws.clear();
                out.push(c);
            }
        }
    }
    out.push_str(&ws);
    std::borrow::Cow::Owned(out)
}

/// Format a float as Go's `strconv.FormatFloat(f, 'g', -1, 64)` does, with
/// go-yaml v2's spellings of the non-finite values (`.inf`, `-.inf`, `.nan`).
pub fn format_float(f: f64) -> String {
    let mut s = String::new();
    push_go_float(&mut s, f);
    s
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: i32 = 2;
const SIMPLE_KEY_MAX: usize = 128;

struct Emitter<'o> {
    out: &'o mut String,
    column: usize,
    indent: i32,
    whitespace: bool,
    indention: bool,
}

impl Emitter<'_> {
    #[inline]
    fn put(&mut self, c: u8) {
        self.out.push(c as char);
        self.column += 1;
    }

    #[inline]
    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// Copy one character of `s` at byte `*i`.
    #[inline]
    fn write(&mut self, s: &str, i: &mut usize) {
        let w = width(s.as_bytes()[*i]);
        let end = (*i + w).min(s.len());
        self.out.push_str(&s[*i..end]);
        self.column += 1;
        *i = end;
    }

    #[inline]
    fn write_break(&mut self, s: &str, i: &mut usize) {
        if s.as_bytes()[*i] == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(s, i);
            self.column = 0;
        }
    }

    fn write_indent_to(&mut self, indent: i32) {
        let indent = indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(b' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    #[inline]
    fn write_indent(&mut self) {
        self.write_indent_to(self.indent);
    }

    #[inline]
    fn write_indicator(
        &mut self,
        ind: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        self.out.push_str(ind);
        self.column += ind.chars().count();
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn node(&mut self, n: &Node, ctx: Ctx) {
        match &n.value {
            Value::Null => self.plain_atom("null"),
            Value::Bool(b) => self.plain_atom(if *b { "true" } else { "false" }),
            Value::Int(i) => self.plain_atom(itoa((*i).into()).as_str()),
            Value::Float(f) => {
                // Integers between i64::MAX and u64::MAX stay exact (Go decodes
                // them as uint64).
                if let Some(u) = n.raw.as_deref().and_then(crate::yaml::parse::exact_uint) {
                    self.plain_atom(&u.to_string());
                    return;
                }
                let mut s = String::with_capacity(24);
                push_json_float(&mut s, *f);
                self.plain_atom(&s);
            }
            Value::Str(s) => {
                let s = fold_nel(s);
                let a = analyze(&s);
                self.scalar(&s, &a, ctx);
            }
            Value::Seq(items) if items.is_empty() => {
                self.write_indicator("[", true, true, false);
                self.write_indicator("]", false, false, false);
            }
            Value::Map(m) if m.is_empty() => {
                self.write_indicator("{", true, true, false);
                self.write_indicator("}", false, false, false);
            }
            Value::Seq(items) => {
                let saved = self.indent;
                let indentless = ctx.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(
                        item,
                        Ctx {
                            mapping: false,
                            simple_key: false,
                        },
                    );
                }
                self.indent = saved;
            }
            Value::Map(m) => {
                let saved = self.indent;
                self.increase_indent(false, false);
                let mut entries: Vec<(&str, &Node)> =
                    m.iter().map(|(k, v)| (k.as_str(), v)).collect();
                sort_entries(&mut entries);
                for (k, v) in entries {
                    self.write_indent();
                    let k = fold_nel(k);
                    let k: &str = &k;
                    let a = analyze(k);
                    if k.len() <= SIMPLE_KEY_MAX && !a.multiline {
                        self.scalar(
                            k,
                            &a,
                            Ctx {
                                mapping: true,
                                simple_key: true,
                            },
                        );
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.scalar(
                            k,
                            &a,
                            Ctx {
                                mapping: true,
                                simple_key: false,
                            },
                        );
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(
                        v,
                        Ctx {
                            mapping: true,
                            simple_key: false,
                        },
                    );
                }
                self.indent = saved;
            }
        }
    }

    /// A plain scalar without spaces or breaks (numbers, booleans, null).
    fn plain_atom(&mut self, s: &str) {
        if !self.whitespace {
            self.put(b' ');
        }
        self.out.push_str(s);
        self.column += s.len();
        self.whitespace = false;
        self.indention = false;
    }

    fn scalar(&mut self, s: &str, a: &Analysis, ctx: Ctx) {
        let style = select_style(requested_style(s), a, s.is_empty(), ctx.simple_key);
        let saved = self.indent;
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::Single => self.write_single(s, allow_breaks),
            Style::Double => self.write_double(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
        self.indent = saved;
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        let v = s.as_bytes();
        if !self.whitespace {
            self.put(b' ');
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < v.len() {
            if v[i] == b' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !is_space(v, i + 1) {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write_run(s, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    /// Copy the character at byte `*i` and the ASCII characters after it up to
    /// the next space, line break or non-ASCII byte (one column each).
    #[inline]
    fn write_run(&mut self, s: &str, i: &mut usize) {
        let v = s.as_bytes();
        if v[*i] >= 0x80 {
            self.write(s, i);
            return;
        }
        let start = *i;
        let mut end = start + 1;
        while end < v.len() && v[end] < 0x80 && !matches!(v[end], b' ' | b'\n' | b'\r') {
            end += 1;
        }
        self.out.push_str(&s[start..end]);
        self.column += end - start;
        *i = end;
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        let v = s.as_bytes();
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < v.len() {
            if v[i] == b' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < v.len() - 1
                    && !is_space(v, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else if is_break(v, i) {
                if !breaks && v[i] == b'\n' {
                    self.put_break();
                }
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if v[i] == b'\'' {
                    self.put(b'\'');
                }
                self.write(s, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        let v = s.as_bytes();
        // libyaml's is_bom looks at the start of the value, not at the position.
        let bom = v.starts_with(&[0xEF, 0xBB, 0xBF]);
        let mut spaces = false;
        self.write_indicator("\"", true, false, false);
        let mut i = 0;
        while i < v.len() {
            let c = v[i];
            if bom || !is_printable(v, i) || is_break(v, i) || c == b'"' || c == b'\\' {
                let w = width(c);
                let ch = s[i..].chars().next().map(|c| c as u32).unwrap_or(0);
                i += w;
                self.put(b'\\');
                match ch {
                    0x00 => self.put(b'0'),
                    0x07 => self.put(b'a'),
                    0x08 => self.put(b'b'),
                    0x09 => self.put(b't'),
                    0x0A => self.put(b'n'),
                    0x0B => self.put(b'v'),
                    0x0C => self.put(b'f'),
                    0x0D => self.put(b'r'),
                    0x1B => self.put(b'e'),
                    0x22 => self.put(b'"'),
                    0x5C => self.put(b'\\'),
                    0x85 => self.put(b'N'),
                    0xA0 => self.put(b'_'),
                    0x2028 => self.put(b'L'),
                    0x2029 => self.put(b'P'),
                    _ => {
                        let (letter, n) = if ch <= 0xFF {
                            (b'x', 2)
                        } else if ch <= 0xFFFF {
                            (b'u', 4)
                        } else {
                            (b'U', 8)
                        };
                        self.put(letter);
                        for k in (0..n).rev() {
                            let d = ((ch >> (k * 4)) & 0xF) as u8;
                            self.put(if d < 10 { b'0' + d } else { b'A' + d - 10 });
                        }
                    }
                }
                spaces = false;
            } else if c == b' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < v.len() - 1 {
                    self.write_indent();
                    if is_space(v, i + 1) {
                        self.put(b'\\');
                    }
                    i += 1;
                } else {
                    self.write(s, &mut i);
                }
                spaces = true;
            } else {
                self.write(s, &mut i);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str) {
        let v = s.as_bytes();
        self.write_indicator("|", true, false, false);
        // Block scalar hints.
        if is_space(v, 0) || is_break(v, 0) {
            self.write_indicator("2", false, false, false);
        }
        let chomp = if v.is_empty() {
            Some("-")
        } else {
            let mut i = v.len() - 1;
            while i > 0 && v[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(v, i) {
                Some("-")
            } else if i == 0 {
                Some("+")
            } else {
                i -= 1;
                while i > 0 && v[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                if is_break(v, i) {
                    Some("+")
                } else {
                    None
                }
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < v.len() {
            if is_break(v, i) {
                self.write_break(s, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write(s, &mut i);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests;
