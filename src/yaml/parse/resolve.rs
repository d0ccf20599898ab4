//! Plain scalar resolution: null/bool/int/float/timestamp under the YAML 1.1 / 1.2 schemas.

use super::*;

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

pub(super) fn parse_int(text: &str) -> Option<Value> {
    let v = int_literal(text)?;
    match i64::try_from(v) {
        Ok(i) => Some(Value::Int(i)),
        Err(_) => Some(Value::Float(v as f64)),
    }
}

pub(super) fn int_literal(text: &str) -> Option<i128> {
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

pub(super) fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let b = text.as_bytes();
    // A plain scalar starting with '.' goes to Go's ParseFloat as it is (not with
    // its underscores removed, as one starting with a digit or sign does), and
    // ParseFloat takes an underscore only between two digits (`._0`, `.0_` stay
    // strings; proptest find).
    if b.first() == Some(&b'.')
        && !(0..b.len()).filter(|&i| b[i] == b'_').all(|i| {
            i > 0 && b[i - 1].is_ascii_digit() && b.get(i + 1).is_some_and(u8::is_ascii_digit)
        })
    {
        return None;
    }
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
    // Go's ParseFloat fails (ErrRange) when the value overflows to infinity, and
    // yaml.v3 then keeps the scalar as a string (fuzz find: `.6e666`).
    text.replace('_', "")
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

/// yaml.v3 decodes plain timestamps to time.Time (only ones Go's `time.Parse`
/// accepts with its layouts `2006-1-2T15:4:5.999999999Z07:00` (also with `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`); JSON prints them RFC 3339
/// (nanoseconds, trailing zeros trimmed). Invalid dates stay strings.
pub(super) fn parse_timestamp(text: &str) -> Option<String> {
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
