//! Folded scalars as kustomize outputs them. kustomize reads resources (and
//! strategic-merge patches) with kyaml, which keeps each scalar's style, and
//! turns them into JSON by writing them out with yaml.v3 and reading that back.
//! yaml.v3's folded-scalar writer decides whether a line break needs an extra
//! empty line by looking at the start of the *whole value* instead of the next
//! line (`k := 0` in `yaml_emitter_write_folded_scalar`), so what it reads back
//! differs from what was written: a break before a more-indented line is
//! doubled, and in a value that starts with a blank, breaks between ordinary
//! lines fold into spaces. [`go_round_trip`] computes that value, so the native
//! renderer prints what kustomize prints (and what gets applied).

/// Chomping indicator the writer chooses (`yaml_emitter_write_block_scalar_hints`).
#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

fn chomp_of(value: &str) -> Chomp {
    let mut rev = value.chars().rev();
    match (rev.next(), rev.next()) {
        (Some('\n'), None) | (Some('\n'), Some('\n')) => Chomp::Keep,
        (Some('\n'), _) => Chomp::Clip,
        _ => Chomp::Strip,
    }
}

/// yaml.v3's `is_printable` (with `unicode` on, as kyaml's encoder sets it).
fn printable(c: char) -> bool {
    matches!(c, '\n' | '\t' | ' '..='~' | '\u{A0}'..='\u{D7FF}')
        || (('\u{E000}'..='\u{FFFD}').contains(&c) && c != '\u{FEFF}')
}

/// Whether yaml.v3 writes `value` as a block scalar at all (otherwise it falls
/// back to double quotes, which keep the value). Values holding a line break
/// other than `\n` are left alone too.
fn written_as_block(value: &str) -> bool {
    !value.is_empty()
        && !value.ends_with(' ')
        && !value.contains(" \n")
        && value.chars().all(printable)
}

/// The text yaml.v3 writes for a folded scalar holding `value`, without
/// indentation (lines are separated by `\n`; empty lines are empty).
fn write_folded(value: &str) -> String {
    // the bug: the check is made at the start of the value, once for all
    let extra = value
        .trim_start_matches('\n')
        .chars()
        .next()
        .is_some_and(|c| c != ' ' && c != '\t');
    let mut out = String::with_capacity(value.len() + value.len() / 8);
    let mut breaks = true;
    let mut leading_spaces = true;
    for c in value.chars() {
        if c == '\n' {
            if !breaks && !leading_spaces && extra {
                out.push('\n');
            }
            out.push('\n');
            breaks = true;
        } else {
            if breaks {
                leading_spaces = c == ' ' || c == '\t';
            }
            out.push(c);
            breaks = false;
        }
    }
    out
}

/// Read `text` (as [`write_folded`] writes it) as libyaml reads a folded block
/// scalar.
fn read_folded(text: &str, chomp: Chomp) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    let mut s = String::with_capacity(text.len());
    let mut leading_break = false;
    let mut trailing = 0usize;
    let mut leading_blank = false;
    let mut it = lines.into_iter().peekable();
    loop {
        while it.next_if(|l| l.is_empty()).is_some() {
            trailing += 1;
        }
        let Some(line) = it.next() else { break };
        let trailing_blank = line.starts_with([' ', '\t']);
        if leading_break && !leading_blank && !trailing_blank {
            if trailing == 0 {
                s.push(' ');
            }
        } else if leading_break {
            s.push('\n');
        }
        s.extend(std::iter::repeat_n('\n', trailing));
        trailing = 0;
        leading_blank = trailing_blank;
        s.push_str(line);
        leading_break = true;
    }
    if chomp != Chomp::Strip && leading_break {
        s.push('\n');
    }
    if chomp == Chomp::Keep {
        s.extend(std::iter::repeat_n('\n', trailing));
    }
    s
}

/// The value of a folded scalar after kustomize's write-and-read-back with
/// yaml.v3 (unchanged when yaml.v3 would not write it as a block scalar).
pub(super) fn go_round_trip(value: &str) -> Option<String> {
    if !written_as_block(value) {
        return None;
    }
    let back = read_folded(&write_folded(value), chomp_of(value));
    (back != value).then_some(back)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(v: &str) -> String {
        go_round_trip(v).unwrap_or_else(|| v.to_string())
    }

    #[test]
    fn as_yaml_v3_reads_back_what_it_wrote() {
        // recorded from kubectl kustomize (kustomize v5.5.0)
        assert_eq!(rt("x\n  y\nz"), "x\n\n  y\nz");
        assert_eq!(
            rt("folded text\n  more\n  again\nback\nafter\n"),
            "folded text\n\n  more\n  again\nback\nafter\n"
        );
        assert_eq!(rt("keep\n  more\n\n"), "keep\n\n  more\n\n");
        assert_eq!(rt("keep\n\n\n"), "keep\n\n\n\n");
        assert_eq!(rt("  starts blank\nx y\n"), "  starts blank\nx y\n");
        // ordinary folded text is unchanged
        for v in ["a b c\n", "a\nb\n", "a\n\nb", "\nlead\nx\n", "one"] {
            assert_eq!(rt(v), v, "{v:?}");
        }
        // in a value starting with a blank, ordinary breaks fold to spaces
        assert_eq!(rt("  a\nb\nc\n"), "  a\nb c\n");
        // written double-quoted, so unchanged: trailing space, space before a break
        for v in ["x\n  y ", "x \n  y", "x\n  \u{1F600}"] {
            assert_eq!(go_round_trip(v), None, "{v:?}");
        }
    }
}
