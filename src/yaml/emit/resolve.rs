//! go-yaml v2 resolver: would this plain text read back as something else? (quoting decisions)

/// True when `s`, written as a plain scalar, would not read back as the same
/// string under go-yaml v2 (it resolves to null, bool, int, float, timestamp),
/// or is a YAML 1.1 base-60 number, which go-yaml v2 quotes for compatibility.
pub fn needs_quotes(s: &str) -> bool {
    resolves_non_str(s) || is_base60_float(s)
}

pub(super) fn resolves_non_str(s: &str) -> bool {
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
pub(super) fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
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
pub(super) fn go_parse_int(s: &str, base: u32) -> Option<i64> {
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
pub(super) fn yaml_style_float(s: &str) -> bool {
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
pub(super) fn go_parse_float_ok(s: &str) -> bool {
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
pub(super) fn underscore_ok(s: &str) -> bool {
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
pub(super) fn is_base60_float(s: &str) -> bool {
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
pub(super) fn getnum(b: &[u8], i: &mut usize) -> Option<u32> {
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

pub(super) fn days_in(month: u32, year: u32) -> u32 {
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
pub(super) fn is_go_timestamp(s: &str) -> bool {
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
