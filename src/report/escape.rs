//! The one place where repository-controlled strings (paths, resource names,
//! values, rule messages that quote them) are made inert for an output format.
//! Every renderer in this module's parent passes such strings through here.
//!
//! - [`text`]: terminals and CI logs. Control characters (newlines, carriage
//!   returns, escape sequences), Unicode line and paragraph separators and
//!   bidirectional overrides are shown as `\n`, `\u{1b}`, …, so a name can
//!   never start a new log line (`::error::` workflow commands) or recolour
//!   the terminal.
//! - [`md`]: Markdown prose and HTML (pull-request comments): [`text`], then
//!   HTML special characters as entities, Markdown punctuation
//!   backslash-escaped, and `@` followed by a word joiner so that no mention
//!   or team ping is created.
//! - [`md_code`]: an inline code span: [`text`], backticks replaced.
//! - [`html`]: text inside an HTML element (`<summary>`, `<code>`).
//! - [`github_data`], [`github_property`]: GitHub workflow commands
//!   (`::error file=…::message`), escaped as the runner unescapes them.
//! - [`xml`]: XML text and attribute values (JUnit); characters XML 1.0 cannot
//!   hold are shown as [`text`] shows them.

/// Escape for terminal and log output.
pub fn text(s: &str) -> String {
    if !s.chars().any(needs_text_escape) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_text_escape(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn needs_text_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// Escape for Markdown prose (also safe inside HTML blocks).
pub fn md(s: &str) -> String {
    html_like(s, true)
}

/// [`text`], then HTML entities and mention breaking; with `markdown`, also
/// Markdown punctuation backslash-escaped.
fn html_like(s: &str, markdown: bool) -> String {
    let t = text(s);
    let mut out = String::with_capacity(t.len() + 8);
    for c in t.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            // A word joiner keeps `@team` from becoming a mention.
            '@' => out.push_str("@\u{2060}"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' if markdown => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// An inline code span holding `s` (never more than one line).
pub fn md_code(s: &str) -> String {
    let t = text(s).replace('`', "'");
    // A code span that starts or ends with a space would be trimmed.
    format!("`{t}`")
}

/// Escape text placed inside an HTML element.
pub fn html(s: &str) -> String {
    html_like(s, false)
}

/// The message of a GitHub workflow command: `%`, CR and LF percent-encoded
/// (the runner decodes them, so a multi-line message stays one command), other
/// control and bidirectional characters shown as [`text`] shows them.
pub fn github_data(s: &str) -> String {
    github(s, false)
}

/// A property value of a GitHub workflow command (`file=`, `title=`):
/// [`github_data`], and `:` and `,` percent-encoded too.
pub fn github_property(s: &str) -> String {
    github(s, true)
}

fn github(s: &str, property: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c if needs_text_escape(c) => out.push_str(&text(c.encode_utf8(&mut [0; 4]))),
            c => out.push(c),
        }
    }
    out
}

/// Escape for XML 1.0 text and attribute values: the five special characters
/// as entities; control characters (tabs and newlines included, so that an
/// attribute keeps its value), `U+FFFE`/`U+FFFF` and bidirectional controls as
/// [`text`] shows them.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{fffe}' | '\u{ffff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c if needs_text_escape(c) => out.push_str(&text(c.encode_utf8(&mut [0; 4]))),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_never_emits_a_raw_newline() {
        assert_eq!(text("a\n::error::x"), "a\\n::error::x");
        assert_eq!(text("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(text("a\u{2028}b\rc"), "a\\u{2028}b\\rc");
        assert_eq!(text("plain/path-ü"), "plain/path-ü");
    }

    #[test]
    fn markdown_is_inert() {
        let m = md("x\n## ✅ passed <!-- @team");
        assert!(!m.contains('\n'));
        assert!(!m.contains("<!--"));
        assert!(!m.contains("@team"));
        assert!(
            m.contains("\\#\\# ✅ passed &lt;\\!-- @\u{2060}team"),
            "{m}"
        );
        assert_eq!(md_code("a`b\nc"), "`a'b\\nc`");
        assert_eq!(html("</code><b>"), "&lt;/code&gt;&lt;b&gt;");
    }

    #[test]
    fn github_commands_cannot_be_broken_out_of() {
        assert_eq!(github_data("50%\r\n::error::x"), "50%25%0D%0A::error::x");
        assert_eq!(github_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(github_data("\u{1b}[31m"), "\\u{1b}[31m");
    }

    #[test]
    fn xml_is_well_formed() {
        assert_eq!(
            xml("<a b=\"c\" d='e'>&\u{0}\u{ffff}\n"),
            "&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;\\u{0}\\u{ffff}\\n"
        );
    }
}
