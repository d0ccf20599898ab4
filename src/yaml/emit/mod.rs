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

// ---------------------------------------------------------------------------
// Numbers

/// Shortest round-trip decimal digits of a finite, non-zero `|f|` and the
/// decimal point position (`value = 0.d1d2... * 10^dp`).
fn shortest_digits(f: f64, buf: &mut String) -> (usize, i32) {
    use std::fmt::Write;
    buf.clear();
    let _ = write!(buf, "{:e}", f.abs());
    let epos = buf.find('e').unwrap_or(buf.len());
    let exp: i32 = buf[epos + 1..].parse().unwrap_or(0);
    buf.truncate(epos);
    buf.retain(|c| c != '.');
    (buf.len(), exp + 1)
}

fn push_go_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str(".nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { ".inf" } else { "-.inf" });
        return;
    }
    if f.is_sign_negative() {
        out.push('-');
    }
    if f == 0.0 {
        out.push('0');
        return;
    }
    let mut digits = String::with_capacity(24);
    let (nd, dp) = shortest_digits(f, &mut digits);
    let d = digits.as_bytes();
    let exp = dp - 1;
    if !(-4..6).contains(&exp) {
        // %e
        out.push(d[0] as char);
        if nd > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let x = exp.unsigned_abs();
        if x < 10 {
            out.push('0');
        }
        out.push_str(&x.to_string());
    } else {
        // %f with max(nd - dp, 0) fraction digits
        if dp > 0 {
            let ip = dp as usize;
            out.push_str(&digits[..ip.min(nd)]);
            for _ in nd..ip {
                out.push('0');
            }
        } else {
            out.push('0');
        }
        let frac = nd as i32 - dp;
        if frac > 0 {
            out.push('.');
            for i in 1..=frac {
                let j = dp + i - 1;
                out.push(if j >= 0 && (j as usize) < nd {
                    d[j as usize] as char
                } else {
                    '0'
                });
            }
        }
    }
}

fn push_json_float(out: &mut String, f: f64) {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 {
        if f.abs() < 9.0e15 {
            // Exactly representable integers: the JSON text is the integer itself.
            out.push_str(itoa((f as i64).into()).as_str());
            return;
        }
        // encoding/json prints 'f' format: shortest digits padded with zeros.
        let mut digits = String::with_capacity(24);
        let (nd, dp) = shortest_digits(f, &mut digits);
        if dp as usize >= nd {
            for _ in nd..dp as usize {
                digits.push('0');
            }
            if f < 0.0 {
                digits.insert(0, '-');
            }
            if let Ok(i) = digits.parse::<i64>() {
                out.push_str(&i.to_string());
                return;
            }
            if let Ok(u) = digits.parse::<u64>() {
                out.push_str(&u.to_string());
                return;
            }
        }
    }
    push_go_float(out, f);
}

struct Itoa {
    buf: [u8; 24],
    start: usize,
}

impl Itoa {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or("0")
    }
}

fn itoa(v: i128) -> Itoa {
    let mut buf = [0u8; 24];
    let mut i = buf.len();
    let neg = v < 0;
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    Itoa { buf, start: i }
}

// ---------------------------------------------------------------------------
// go-yaml v2 key order (sorter.go keyList.Less for two string keys)

fn is_letter(c: u32) -> bool {
    if c < 0x80 {
        (c as u8).is_ascii_alphabetic()
    } else {
        char::from_u32(c).is_some_and(|ch| ch.is_alphabetic())
    }
}

fn is_digit(c: u32) -> bool {
    if c < 0x80 {
        (c as u8).is_ascii_digit()
    } else {
        char::from_u32(c)
            .is_some_and(|ch| ch.is_numeric() && ch.to_digit(10).is_none() && is_unicode_nd(ch))
    }
}

/// Rough test for Unicode category Nd outside ASCII: characters whose
/// neighbours form a run of ten digits. We accept the common decimal digit
/// blocks (Arabic-Indic, Devanagari, fullwidth, ...) by checking that the
/// character is numeric and that the run `c - k .. c - k + 9` is all numeric.
fn is_unicode_nd(ch: char) -> bool {
    let c = ch as u32;
    (0..10).any(|k| {
        c >= k && (0..10).all(|j| char::from_u32(c - k + j).is_some_and(|x| x.is_numeric()))
    })
}

fn key_less_units(a: &[u32], b: &[u32]) -> bool {
    let n = a.len().min(b.len());
    for i in 0..n {
        if a[i] == b[i] {
            continue;
        }
        let al = is_letter(a[i]);
        let bl = is_letter(b[i]);
        if al && bl {
            return a[i] < b[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if a[i] == '0' as u32 || b[i] == '0' as u32 {
            let mut j = i;
            while j > 0 {
                j -= 1;
                if !is_digit(a[j]) {
                    break;
                }
                if a[j] != '0' as u32 {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < a.len() && is_digit(a[ai]) {
            an = an.wrapping_mul(10).wrapping_add(a[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && is_digit(b[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(b[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return a[i] < b[i];
    }
    a.len() < b.len()
}

/// go-yaml v2's order of two string mapping keys.
pub fn key_less(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        // Same algorithm on bytes without allocating.
        let (a, b) = (a.as_bytes(), b.as_bytes());
        let n = a.len().min(b.len());
        for i in 0..n {
            if a[i] == b[i] {
                continue;
            }
            let al = a[i].is_ascii_alphabetic();
            let bl = b[i].is_ascii_alphabetic();
            if al && bl {
                return a[i] < b[i];
            }
            if al || bl {
                return bl;
            }
            if !a[i].is_ascii_digit() && !b[i].is_ascii_digit() {
                return a[i] < b[i];
            }
            let (mut an, mut bn) = (0i64, 0i64);
            if a[i] == b'0' || b[i] == b'0' {
                let mut j = i;
                while j > 0 {
                    j -= 1;
                    if !a[j].is_ascii_digit() {
                        break;
                    }
                    if a[j] != b'0' {
                        an = 1;
                        bn = 1;
                        break;
                    }
                }
            }
            let mut ai = i;
            while ai < a.len() && a[ai].is_ascii_digit() {
                an = an.wrapping_mul(10).wrapping_add((a[ai] - b'0') as i64);
                ai += 1;
            }
            let mut bi = i;
            while bi < b.len() && b[bi].is_ascii_digit() {
                bn = bn.wrapping_mul(10).wrapping_add((b[bi] - b'0') as i64);
                bi += 1;
            }
            if an != bn {
                return an < bn;
            }
            if ai != bi {
                return ai < bi;
            }
            return a[i] < b[i];
        }
        return a.len() < b.len();
    }
    let au: Vec<u32> = a.chars().map(|c| c as u32).collect();
    let bu: Vec<u32> = b.chars().map(|c| c as u32).collect();
    key_less_units(&au, &bu)
}

/// Order mapping entries as go-yaml v2 does. Its comparator is not transitive
/// for some key sets (`v1beta1 < v2alpha1 < v10 < v1beta1`), and kustomize then
/// prints those keys in a random order (Go map iteration feeds the sort). We
/// stay deterministic and independent of the source order: sort bytewise first,
/// then run a stable merge sort with go-yaml's comparator, which never panics
/// whatever the comparator does.
fn sort_entries<'a>(v: &mut Vec<(&'a str, &'a Node)>) {
    let n = v.len();
    if n < 2 {
        return;
    }
    // Already in go-yaml order and bytewise order (common for keys without
    // digits or mixed case): nothing to do.
    if v.windows(2)
        .all(|w| w[0].0 < w[1].0 && !key_less(w[1].0, w[0].0))
    {
        return;
    }
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    if v.windows(2).all(|w| !key_less(w[1].0, w[0].0)) {
        return;
    }
    let mut buf = v.clone();
    merge_sort(v, &mut buf);
}

fn merge_sort<'a>(v: &mut [(&'a str, &'a Node)], buf: &mut [(&'a str, &'a Node)]) {
    let n = v.len();
    if n <= 16 {
        for i in 1..n {
            let mut j = i;
            while j > 0 && key_less(v[j].0, v[j - 1].0) {
                v.swap(j, j - 1);
                j -= 1;
            }
        }
        return;
    }
    let mid = n / 2;
    {
        let (l, r) = v.split_at_mut(mid);
        let (bl, br) = buf.split_at_mut(mid);
        merge_sort(l, bl);
        merge_sort(r, br);
    }
    buf[..n].copy_from_slice(v);
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if key_less(buf[j].0, buf[i].0) {
            v[k] = buf[j];
            j += 1;
        } else {
            v[k] = buf[i];
            i += 1;
        }
        k += 1;
    }
    while i < mid {
        v[k] = buf[i];
        i += 1;
        k += 1;
    }
    while j < n {
        v[k] = buf[j];
        j += 1;
        k += 1;
    }
}

// ---------------------------------------------------------------------------
// go-yaml v2 resolver: would this plain text read back as something else?

/// True when `s`, written as a plain scalar, would not read back as the same
/// string under go-yaml v2 (it resolves to null, bool, int, float, timestamp),
/// or is a YAML 1.1 base-60 number, which go-yaml v2 quotes for compatibility.
pub fn needs_quotes(s: &str) -> bool {
    resolves_non_str(s) || is_base60_float(s)
}

fn resolves_non_str(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&c0) = b.first() else {
        return true; // null
    };
    let hint = match c0 {
        b'+' | b'-' => b'S',
        b'0'..=b'9' => b'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => b'M',
        b'.' => b'.',
        _ => return false,
    };
    if matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "true"
            | "True"
            | "TRUE"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "false"
            | "False"
            | "FALSE"
            | "off"
            | "Off"
            | "OFF"
            | "~"
            | "null"
            | "Null"
            | "NULL"
            | ".nan"
            | ".NaN"
            | ".NAN"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
    ) {
        return true;
    }
    match hint {
        b'M' => false,
        b'.' => go_parse_float_ok(s),
        _ => {
            if hint == b'D' && is_go_timestamp(s) {
                return true;
            }
            let has_us = s.contains('_');
            let owned;
            let plain: &str = if has_us {
                owned = s.replace('_', "");
                &owned
            } else {
                s
            };
            if go_parse_int(plain, 0).is_some() || go_parse_uint(plain, 0).is_some() {
                return true;
            }
            if yaml_style_float(plain) && plain.parse::<f64>().is_ok_and(|f| f.is_finite()) {
                return true;
            }
            if let Some(rest) = plain.strip_prefix("0b") {
                if go_parse_int(rest, 2).is_some() || go_parse_uint(rest, 2).is_some() {
                    return true;
                }
            } else if let Some(rest) = plain.strip_prefix("-0b") {
                if !rest.starts_with(['+', '-']) && go_parse_int(rest, 2).is_some() {
                    return true;
                }
            }
            false
        }
    }
}

/// Go's `strconv.ParseUint(s, base, 64)` succeeds (underscores already removed).
fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (radix, digits) = if base == 0 {
        if b[0] == b'0' {
            if b.len() >= 3 && (b[1] | 0x20) == b'b' {
                (2, &s[2..])
            } else if b.len() >= 3 && (b[1] | 0x20) == b'o' {
                (8, &s[2..])
            } else if b.len() >= 3 && (b[1] | 0x20) == b'x' {
                (16, &s[2..])
            } else {
                (8, &s[1..])
            }
        } else {
            (10, s)
        }
    } else {
        (base, s)
    };
    let mut v: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix)?;
        v = v.checked_mul(radix as u64)?.checked_add(d as u64)?;
    }
    Some(v)
}

/// Go's `strconv.ParseInt(s, base, 64)` succeeds.
fn go_parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(body, base)?;
    if neg {
        if u > 1u64 << 63 {
            None
        } else {
            Some((u as i64).wrapping_neg())
        }
    } else if u > i64::MAX as u64 {
        None
    } else {
        Some(u as i64)
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let st = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - st
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` succeeds for a string starting with `.`
/// (decimal syntax with `_` separators between digits; overflow fails).
fn go_parse_float_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut saw_digits = false;
    let mut saw_dot = false;
    let mut underscores = false;
    while i < b.len() {
        match b[i] {
            b'_' => underscores = true,
            b'.' if !saw_dot => saw_dot = true,
            b'0'..=b'9' => saw_digits = true,
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return false;
    }
    if i < b.len() && (b[i] | 0x20) == b'e' {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if i >= b.len() || !b[i].is_ascii_digit() {
            return false;
        }
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            if b[i] == b'_' {
                underscores = true;
            }
            i += 1;
        }
    }
    if i != b.len() {
        return false;
    }
    if underscores && !underscore_ok(s) {
        return false;
    }
    let clean: String = s.chars().filter(|c| *c != '_').collect();
    clean.parse::<f64>().is_ok_and(|f| f.is_finite())
}

/// Go's `underscoreOK` for base-10 text.
fn underscore_ok(s: &str) -> bool {
    let mut saw = b'^';
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    for &c in b {
        if c.is_ascii_digit() {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&c) = b.first() else { return false };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !b.contains(&b':') {
        return false;
    }
    let mut i = 0;
    if b[0] == b'+' || b[0] == b'-' {
        i = 1;
    }
    if i >= b.len() || !b[i].is_ascii_digit() {
        return false;
    }
    i += 1;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
        i += 1;
    }
    // One or more `:[0-5]?[0-9]` groups (backtracking over the optional digit).
    let mut groups = 0;
    while i < b.len() && b[i] == b':' {
        let j = i + 1;
        if j + 1 < b.len() && (b'0'..=b'5').contains(&b[j]) && b[j + 1].is_ascii_digit() {
            // Prefer two digits; a following digit would fail both choices anyway.
            i = j + 2;
        } else if j < b.len() && b[j].is_ascii_digit() {
            i = j + 1;
        } else {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

/// Go `getnum(s, false)`: one or two digits, greedy.
fn getnum(b: &[u8], i: &mut usize) -> Option<u32> {
    if *i >= b.len() || !b[*i].is_ascii_digit() {
        return None;
    }
    let mut v = (b[*i] - b'0') as u32;
    *i += 1;
    if *i < b.len() && b[*i].is_ascii_digit() {
        v = v * 10 + (b[*i] - b'0') as u32;
        *i += 1;
    }
    Some(v)
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// True when go-yaml v2's `parseTimestamp` accepts `s` (Go `time.Parse` with the
/// layouts `2006-1-2T15:4:5.999999999Z07:00`, the same with `t`,
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`).
fn is_go_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let year = b[..4].iter().fold(0u32, |a, c| a * 10 + (c - b'0') as u32);
    let mut i = 5;
    let Some(month) = getnum(b, &mut i) else {
        return false;
    };
    if i >= b.len() || b[i] != b'-' {
        return false;
    }
    i += 1;
    let Some(day) = getnum(b, &mut i) else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    if i == b.len() {
        return true;
    }
    let zoned = match b[i] {
        b'T' | b't' => {
            i += 1;
            true
        }
        b' ' => {
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            false
        }
        _ => return false,
    };
    let Some(h) = getnum(b, &mut i) else {
        return false;
    };
    if h >= 24 || i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    let Some(m) = getnum(b, &mut i) else {
        return false;
    };
    if m >= 60 || i >= b.len() || b[i] != b':' {
        return false;
    }
    i += 1;
    let Some(sec) = getnum(b, &mut i) else {
        return false;
    };
    if sec >= 60 {
        return false;
    }
    if i + 1 < b.len() && (b[i] == b'.' || b[i] == b',') && b[i + 1].is_ascii_digit() {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if !zoned {
        return i == b.len();
    }
    if i < b.len() && b[i] == b'Z' {
        return i + 1 == b.len();
    }
    let rest = &b[i..];
    if rest.len() != 6 || rest[3] != b':' || !(rest[0] == b'+' || rest[0] == b'-') {
        return false;
    }
    let dd = |x: &[u8]| {
        x.iter()
            .all(u8::is_ascii_digit)
            .then(|| (x[0] - b'0') as u32 * 10 + (x[1] - b'0') as u32)
    };
    match (dd(&rest[1..3]), dd(&rest[4..6])) {
        (Some(hh), Some(mm)) => hh <= 24 && mm <= 60,
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// libyaml emitter (go-yaml v2 emitterc.go), block style only

#[derive(Clone, Copy, Default)]
struct Ctx {
    mapping: bool,
    simple_key: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[derive(Clone, Copy, Debug)]
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

#[inline]
fn at(v: &[u8], i: usize) -> u8 {
    v.get(i).copied().unwrap_or(0)
}

#[inline]
fn width(b: u8) -> usize {
    if b & 0x80 == 0 {
        1
    } else if b & 0xE0 == 0xC0 {
        2
    } else if b & 0xF0 == 0xE0 {
        3
    } else if b & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

#[inline]
fn is_printable(v: &[u8], i: usize) -> bool {
    let b = at(v, i);
    let b1 = at(v, i + 1);
    let b2 = at(v, i + 2);
    b == 0x0A
        || (0x20..=0x7E).contains(&b)
        || (b == 0xC2 && b1 >= 0xA0)
        || (b > 0xC2 && b < 0xED)
        || (b == 0xED && b1 < 0xA0)
        || b == 0xEE
        || (b == 0xEF && !(b1 == 0xBB && b2 == 0xBF) && !(b1 == 0xBF && (b2 == 0xBE || b2 == 0xBF)))
}

#[inline]
fn is_space(v: &[u8], i: usize) -> bool {
    at(v, i) == b' '
}

#[inline]
fn is_blank(v: &[u8], i: usize) -> bool {
    let b = at(v, i);
    b == b' ' || b == b'\t'
}

#[inline]
fn is_break(v: &[u8], i: usize) -> bool {
    let b = at(v, i);
    b == b'\r'
        || b == b'\n'
        || (b == 0xC2 && at(v, i + 1) == 0x85)
        || (b == 0xE2 && at(v, i + 1) == 0x80 && (at(v, i + 2) == 0xA8 || at(v, i + 2) == 0xA9))
}

#[inline]
fn is_blankz(v: &[u8], i: usize) -> bool {
    is_blank(v, i) || is_break(v, i) || at(v, i) == 0
}

fn analyze(value: &str) -> Analysis {
    let v = value.as_bytes();
    if v.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut block_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut previous_space = false;
    let mut previous_break = false;

    if v.len() >= 3 && (v.starts_with(b"---") || v.starts_with(b"...")) {
        block_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut i = 0;
    while i < v.len() {
        let w = width(v[i]);
        let followed_by_whitespace = i + w >= v.len() || is_blank(v, i + w);
        let c = v[i];
        if i == 0 {
            match c {
                b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                | b'\'' | b'"' | b'%' | b'@' | b'`' => block_indicators = true,
                b'?' | b':' | b'-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                b':' if followed_by_whitespace => block_indicators = true,
                b'#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(v, i) {
            special_characters = true;
        }
        if c == b' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + w == v.len() {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(v, i) {
            line_breaks = true;
            if i == 0 {
                leading_break = true;
            }
            if i + w == v.len() {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(v, i);
        i += w;
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks || block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// The style go-yaml v2's encoder asks for (`stringv`).
fn requested_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if needs_quotes(s) {
        Style::Double
    } else {
        Style::Plain
    }
}

/// yaml_emitter_select_scalar_style (block context, no tags).
fn select_style(req: Style, a: &Analysis, empty: bool, simple_key: bool) -> Style {
    let mut style = req;
    if simple_key && a.multiline {
        style = Style::Double;
    }
    if style == Style::Plain {
        if !a.block_plain_allowed {
            style = Style::Single;
        }
        if empty && simple_key {
            style = Style::Single;
        }
    }
    if style == Style::Single && !a.single_quoted_allowed {
        style = Style::Double;
    }
    if style == Style::Literal && (!a.block_allowed || simple_key) {
        style = Style::Double;
    }
    style
}

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
                self.write(s, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
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
