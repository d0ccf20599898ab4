//! go-yaml v2 key order (sorter.go keyList.Less for two string keys).

use super::*;

pub(super) fn is_letter(c: u32) -> bool {
    if c < 0x80 {
        (c as u8).is_ascii_alphabetic()
    } else {
        char::from_u32(c).is_some_and(|ch| ch.is_alphabetic())
    }
}

pub(super) fn is_digit(c: u32) -> bool {
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
pub(super) fn is_unicode_nd(ch: char) -> bool {
    let c = ch as u32;
    (0..10).any(|k| {
        c >= k && (0..10).all(|j| char::from_u32(c - k + j).is_some_and(|x| x.is_numeric()))
    })
}

pub(super) fn key_less_units(a: &[u32], b: &[u32]) -> bool {
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
pub(super) fn sort_entries<'a>(v: &mut Vec<(&'a str, &'a Node)>) {
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

pub(super) fn merge_sort<'a>(v: &mut [(&'a str, &'a Node)], buf: &mut [(&'a str, &'a Node)]) {
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
