//! Number formatting as the JSON round trip prints it (Go `strconv.FormatFloat`, integers).

/// Shortest round-trip decimal digits of a finite, non-zero `|f|` and the
/// decimal point position (`value = 0.d1d2... * 10^dp`).
pub(super) fn shortest_digits(f: f64, buf: &mut String) -> (usize, i32) {
    use std::fmt::Write;
    buf.clear();
    let _ = write!(buf, "{:e}", f.abs());
    let epos = buf.find('e').unwrap_or(buf.len());
    let exp: i32 = buf[epos + 1..].parse().unwrap_or(0);
    buf.truncate(epos);
    buf.retain(|c| c != '.');
    (buf.len(), exp + 1)
}

pub(super) fn push_go_float(out: &mut String, f: f64) {
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

pub(super) fn push_json_float(out: &mut String, f: f64) {
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

pub(super) struct Itoa {
    pub(super) buf: [u8; 24],
    pub(super) start: usize,
}

impl Itoa {
    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or("0")
    }
}

pub(super) fn itoa(v: i128) -> Itoa {
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
