//! Field paths: kustomize's path splitting, kyaml's lookup and PathMatcher with creation.

use super::*;

/// kustomize's `PathSplitter`: split on `delim`, honouring `\` escapes and a leading delimiter.
pub(super) fn path_splitter(path: &str, delim: char) -> Vec<String> {
    let mut ps: Vec<&str> = path.split(delim).collect();
    if ps.len() > 1 && ps[0].is_empty() {
        ps.remove(0);
    }
    let mut res: Vec<String> = vec![ps[0].to_string()];
    for p in &ps[1..] {
        let last = res.last_mut().expect("non-empty");
        if last.ends_with('\\') {
            last.pop();
            last.push(delim);
            last.push_str(p);
        } else {
            res.push(p.to_string());
        }
    }
    res
}

/// kustomize's `SmarterPathSplitter`: like [`path_splitter`], keeping `[a.b=c]`
/// together and unwrapping `[a.b]` to a plain key.
pub(crate) fn smarter_split(path: &str) -> Vec<String> {
    let split = path_splitter(path, '.');
    let mut out = Vec::new();
    let mut i = 0;
    while i < split.len() {
        let elem = &split[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut parts = vec![elem.clone()];
            while i < split.len() - 1 {
                i += 1;
                parts.push(split[i].clone());
                if split[i].ends_with(']') {
                    break;
                }
            }
            let joined = parts.join(".");
            if joined.contains('=') {
                out.push(joined);
            } else {
                out.push(joined.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(elem.clone());
        }
        i += 1;
    }
    out
}

pub(super) fn is_list_index(p: &str) -> bool {
    p.starts_with('[') && p.ends_with(']')
}

pub(super) fn split_index(p: &str) -> Result<(String, String)> {
    let inner = p.strip_prefix('[').unwrap_or(p);
    let inner = inner.strip_suffix(']').unwrap_or(inner);
    match inner.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err(Error::msg(
            "list path element must contain fieldName=fieldValue for element to match",
        )),
    }
}

pub(super) fn kind_name(n: &Node) -> &'static str {
    match n.value {
        Value::Map(_) => "MappingNode",
        Value::Seq(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

/// kyaml's `PathGetter` without creation: follow `parts` (fields, `[k=v]` exact
/// matches, `[=v]`, indexes, `-` for the last element). `Ok(None)` when missing.
pub(crate) fn lookup<'a>(node: &'a Node, parts: &[String]) -> Result<Option<&'a Node>> {
    let mut cur = node;
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        if cur.is_null() {
            return Ok(None);
        }
        if let Ok(idx) = part.parse::<i64>() {
            if idx < 0 {
                return Err(Error::msg(format!("array index {idx} cannot be negative")));
            }
            let Some(seq) = cur.as_seq() else {
                return Err(Error::msg(format!(
                    "wrong node kind: expected SequenceNode but got {}",
                    kind_name(cur)
                )));
            };
            match seq.get(idx as usize) {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else if part == "-" {
            let Some(seq) = cur.as_seq() else {
                return Err(Error::msg(format!(
                    "wrong node kind: expected SequenceNode but got {}",
                    kind_name(cur)
                )));
            };
            match seq.last() {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else if part == "*" {
            return Err(Error::msg("wildcard is not supported in PathGetter"));
        } else if is_list_index(part) {
            let (k, v) = split_index(part)?;
            let Some(seq) = cur.as_seq() else {
                return Err(Error::msg(format!(
                    "wrong node kind: expected SequenceNode but got {}",
                    kind_name(cur)
                )));
            };
            let found = if k.is_empty() {
                seq.iter()
                    .find(|e| e.is_scalar() && e.scalar_string().as_deref() == Some(v.as_str()))
            } else {
                seq.iter().find(|e| {
                    e.get(&k)
                        .filter(|f| f.is_scalar())
                        .and_then(|f| f.scalar_string())
                        .as_deref()
                        == Some(v.as_str())
                })
            };
            match found {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        } else {
            let Some(m) = cur.as_map() else {
                return Err(Error::msg(format!(
                    "wrong node kind: expected MappingNode but got {}",
                    kind_name(cur)
                )));
            };
            match m.get(part) {
                Some(n) => cur = n,
                None => return Ok(None),
            }
        }
    }
    Ok(Some(cur))
}

/// Kind of node to create at the end of a path (the value's kind).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum CreateKind {
    Scalar,
    Map,
    Seq,
}

pub(super) fn create_kind_of(n: &Node) -> CreateKind {
    match n.value {
        Value::Map(_) => CreateKind::Map,
        Value::Seq(_) => CreateKind::Seq,
        _ => CreateKind::Scalar,
    }
}

pub(super) fn is_idx_number(p: &str) -> bool {
    p.parse::<i64>().is_ok_and(|i| i >= 0)
}

/// The node to create for the part before `next`.
pub(super) fn new_part(next: Option<&str>, create: CreateKind, pos: &Pos) -> Node {
    let kind = match next {
        None => create,
        Some(n) if is_list_index(n) || is_idx_number(n) => CreateKind::Seq,
        Some(_) => CreateKind::Map,
    };
    match kind {
        // A created scalar is untyped until written; null stands for it.
        CreateKind::Scalar => Node::new(Value::Null, pos.clone()),
        CreateKind::Map => Node::map(pos.clone()),
        CreateKind::Seq => Node::seq(pos.clone()),
    }
}

/// Type a plain scalar as yaml.v3 would (numbers, booleans, null; else a string).
pub(crate) fn retype_plain(text: &str) -> Value {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '_' | ':' | '~'))
        && !text.contains(": ");
    if !safe {
        return if text.is_empty() {
            Value::Null
        } else {
            Value::Str(text.to_string())
        };
    }
    match parse_stream(text, "", &ParseOptions::resource()) {
        Ok(mut docs) if docs.len() == 1 => {
            let v = docs.remove(0).value;
            match v {
                Value::Map(_) | Value::Seq(_) => Value::Str(text.to_string()),
                v => v,
            }
        }
        _ => Value::Str(text.to_string()),
    }
}

/// kyaml's `PathMatcher`: visit every node `parts` names (`*` for every element,
/// `[k=v]` unanchored regex matches, indexes), creating missing parts when `create`
/// is set. `f` receives the node and whether it was just created.
pub(super) fn path_match(
    node: &mut Node,
    parts: &[String],
    create: Option<CreateKind>,
    created: bool,
    pos: &Pos,
    f: &mut dyn FnMut(&mut Node, bool) -> Result<()>,
) -> Result<usize> {
    let Some(part) = parts.first() else {
        f(node, created)?;
        return Ok(1);
    };
    let next = parts.get(1).map(|s| s.as_str());
    let rest = &parts[1..];
    if is_idx_number(part) {
        let idx: usize = part.parse().unwrap_or(usize::MAX);
        if node.is_null() && create.is_some() {
            node.value = Value::Seq(Vec::new());
        }
        let Some(seq) = node.as_seq_mut() else {
            return Err(Error::msg(format!(
                "wrong node kind: expected SequenceNode but got {}",
                kind_name(node)
            )));
        };
        let mut new = false;
        if let Some(ck) = create {
            if seq.len() == idx {
                seq.push(new_part(next, ck, pos));
                new = true;
            }
        }
        let len = seq.len();
        let Some(elem) = seq.get_mut(idx) else {
            return Err(Error::msg(format!(
                "index {idx} specified but only {len} elements found"
            )));
        };
        return path_match(elem, rest, create, new, pos, f);
    }
    if is_list_index(part) {
        let (field, pat) = split_index(part)?;
        let re = regex::Regex::new(&pat)
            .map_err(|e| Error::msg(format!("error parsing regexp: {e}")))?;
        if node.is_null() && create.is_some() {
            node.value = Value::Seq(Vec::new());
        }
        let Some(seq) = node.as_seq_mut() else {
            return Err(Error::msg(format!(
                "wrong node kind: expected SequenceNode but got {}",
                kind_name(node)
            )));
        };
        let matches = |e: &Node| -> bool {
            let v = if field.is_empty() {
                Some(e)
            } else {
                e.get(&field)
            };
            match v {
                Some(v) if v.is_scalar() && !v.is_null() => {
                    re.is_match(v.scalar_string().unwrap_or_default().trim())
                }
                _ => false,
            }
        };
        let mut count = 0;
        let mut any = false;
        for elem in seq.iter_mut() {
            if !matches(elem) {
                continue;
            }
            any = true;
            count += path_match(elem, rest, create, false, pos, f)?;
        }
        if any || create.is_none() {
            return Ok(count);
        }
        let value = Node::new(retype_plain(&pat), pos.clone());
        let elem = if field.is_empty() {
            value
        } else {
            let mut m = Node::map(pos.clone());
            m.set(&field, value);
            m
        };
        let new_primitive = field.is_empty();
        seq.push(elem);
        let last = seq.last_mut().expect("pushed");
        if !matches(last) {
            return Ok(0);
        }
        return path_match(last, rest, create, new_primitive, pos, f);
    }
    if part == "*" {
        let Some(seq) = node.as_seq_mut() else {
            if node.is_null() {
                return Ok(0);
            }
            return Err(Error::msg(format!(
                "wrong node kind: expected SequenceNode but got {}",
                kind_name(node)
            )));
        };
        let mut count = 0;
        for elem in seq.iter_mut() {
            count += path_match(elem, rest, create, false, pos, f)?;
        }
        return Ok(count);
    }
    if node.is_null() {
        if create.is_none() {
            return Ok(0);
        }
        node.value = Value::Map(Default::default());
    }
    let Some(map) = node.as_map_mut() else {
        return Err(Error::msg(format!(
            "wrong node kind: expected MappingNode but got {}",
            kind_name(node)
        )));
    };
    let mut new = false;
    if !map.contains_key(part.as_str()) {
        let Some(ck) = create else { return Ok(0) };
        map.insert(part.clone(), new_part(next, ck, pos));
        new = true;
    }
    let child = map.get_mut(part.as_str()).expect("present");
    path_match(child, rest, create, new, pos, f)
}
