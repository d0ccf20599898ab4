//! Flow collections without indentation. libyaml (go-yaml, so kustomize and
//! kubectl) applies no indentation rule inside `[…]`/`{…}`: a closing `]` at its
//! key's column, or continuation lines at column 0, are read. saphyr follows the
//! YAML spec (flow content more indented than the enclosing block) and reports
//! "invalid indentation". When it does, the text is re-read with every line that
//! starts inside a flow collection shifted right just enough (leading blanks of
//! such a line are never content: flow scalars fold them away), and the
//! columns of the resulting nodes are shifted back.

use super::super::node::{Node, Value};
use std::collections::HashMap;

/// Where a line starts.
#[derive(Default)]
struct Scan {
    /// Open flow collections.
    depth: usize,
    /// Inside a quoted scalar opened by this character.
    quote: Option<char>,
    /// Inside a block scalar whose header line has this indentation.
    block_scalar: Option<usize>,
    /// Indentation the block around the open flow collection needs (its key's
    /// column + 1).
    need: usize,
    /// At the start of a node (a quote or bracket here opens one).
    node_start: bool,
}

impl Scan {
    /// Advance over one line (without its line break).
    fn line(&mut self, line: &[char]) {
        let indent = line.iter().take_while(|c| **c == ' ').count();
        if self.depth == 0 && self.quote.is_none() {
            self.node_start = true;
        }
        // the column of the last block node begun on this line
        let mut block_col = indent;
        let mut j = 0;
        while j < line.len() {
            let c = line[j];
            let next = line.get(j + 1).copied();
            let blank_next = next.is_none_or(|n| n == ' ' || n == '\t');
            if let Some(q) = self.quote {
                match (q, c) {
                    ('\'', '\'') if next == Some('\'') => j += 1,
                    ('"', '\\') => j += 1,
                    (q, c) if q == c => self.quote = None,
                    _ => {}
                }
                j += 1;
                continue;
            }
            let flow = self.depth > 0;
            match c {
                ' ' | '\t' => {}
                '#' if j == 0 || line[j - 1] == ' ' || line[j - 1] == '\t' => return,
                '\'' | '"' if self.node_start => {
                    if !flow {
                        block_col = j;
                    }
                    self.quote = Some(c);
                    self.node_start = false;
                }
                '[' | '{' if flow || self.node_start => {
                    if !flow {
                        self.need = block_col + 1;
                    }
                    self.depth += 1;
                    self.node_start = true;
                }
                ']' | '}' if flow => {
                    self.depth -= 1;
                    self.node_start = false;
                }
                ',' if flow => self.node_start = true,
                '|' | '>' if !flow && self.node_start => {
                    self.block_scalar = Some(indent);
                    return;
                }
                '-' | '?' | ':' if blank_next || (flow && next.is_some_and(is_flow_indicator)) => {
                    if !flow && c != ':' {
                        block_col = j;
                    }
                    self.node_start = true;
                }
                '&' | '!' if self.node_start => {
                    // an anchor or tag: the node starts after it
                    while j + 1 < line.len() && line[j + 1] != ' ' && line[j + 1] != '\t' {
                        j += 1;
                    }
                }
                _ => {
                    if !flow && self.node_start {
                        block_col = j;
                    }
                    self.node_start = false;
                }
            }
            j += 1;
        }
    }
}

fn is_flow_indicator(c: char) -> bool {
    matches!(c, ',' | '[' | ']' | '{' | '}')
}

/// The text with each line that starts inside a flow collection indented
/// enough for saphyr, and the number of spaces added per (1-based) line; None
/// when no line needs it, or the result would be more than twice as large.
pub(super) fn reindent(text: &str) -> Option<(String, HashMap<u32, u32>)> {
    let budget = text.len().saturating_mul(2).saturating_add(1 << 16);
    let mut out = String::with_capacity(text.len() + 256);
    let mut shifted = HashMap::new();
    let mut scan = Scan::default();
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let body = raw.trim_end_matches(['\n', '\r']);
        let chars: Vec<char> = body.chars().collect();
        let indent = chars.iter().take_while(|c| **c == ' ').count();
        let blank = chars.iter().all(|c| *c == ' ' || *c == '\t');
        if let Some(n) = scan.block_scalar {
            if blank || indent > n {
                out.push_str(raw);
                continue;
            }
            scan.block_scalar = None;
        }
        if scan.depth > 0 && !blank && indent < scan.need {
            if body.starts_with("---") || body.starts_with("...") {
                return None; // a document marker: an error for libyaml too
            }
            let add = scan.need - indent;
            shifted.insert(u32::try_from(i + 1).ok()?, u32::try_from(add).ok()?);
            out.extend(std::iter::repeat_n(' ', add));
        }
        scan.line(&chars);
        out.push_str(raw);
        if out.len() > budget {
            return None;
        }
    }
    (!shifted.is_empty()).then_some((out, shifted))
}

/// Undo [`reindent`]'s shift in the columns of `nodes`.
pub(super) fn unshift(nodes: &mut [Node], shifted: &HashMap<u32, u32>) {
    let mut stack: Vec<&mut Node> = nodes.iter_mut().collect();
    while let Some(n) = stack.pop() {
        if let Some(add) = shifted.get(&n.pos.line) {
            n.pos.col = n.pos.col.saturating_sub(*add).max(1);
        }
        match &mut n.value {
            Value::Seq(s) => stack.extend(s.iter_mut()),
            Value::Map(m) => stack.extend(m.values_mut()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lines_inside_flow_collections_are_shifted() {
        let text = "a:\n  b: [\n    1,\n  ]\n  c: x[\n  d: |\n    [\n  ]\n";
        let (out, shifted) = reindent(text).unwrap();
        assert_eq!(
            out,
            "a:\n  b: [\n    1,\n   ]\n  c: x[\n  d: |\n    [\n  ]\n"
        );
        assert_eq!(shifted, HashMap::from([(4, 1)]));
        // quotes and comments do not open collections
        assert!(reindent("a: '['\nb: \"[\" # [\nc: d\n").is_none());
        // a compact mapping in a sequence: its key's column counts
        let (out, _) = reindent("- k: {a: 1,\n  b: 2\n  }\n").unwrap();
        assert_eq!(out, "- k: {a: 1,\n   b: 2\n   }\n");
        assert!(reindent("a: [\n---\n]\n").is_none());
    }
}
