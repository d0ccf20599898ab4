//! Issue 9 items 8 and 9: names from the repository are inert in every output,
//! and a closed pipe ends the program quietly.

use crate::util::*;

fn cmv(name: &str, v: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: \"{v}\"\n")
}

/// A change to one overlay whose directory and resource names carry `spoof`.
fn repo_with_names(dir: &str, resource: &str) -> Repo {
    let mut r = Repo::new();
    let kust = format!("{dir}/kustomization.yaml");
    let cm = format!("{dir}/cm.yaml");
    r.files(&[
        (kust.as_str(), "resources: [cm.yaml]\n"),
        (cm.as_str(), &cmv(resource, "1")),
    ]);
    r.files(&[(cm.as_str(), &cmv(resource, "2"))]);
    r
}

/// No line of `out` may be a GitHub workflow command or start with the spoof.
fn no_injected_lines(out: &str) {
    for l in out.lines() {
        assert!(
            !l.starts_with("::"),
            "workflow command injected: {l:?}\n{out}"
        );
    }
    let verdicts = out
        .lines()
        .filter(|l| l.starts_with("PASSED") || l.starts_with("FAILED"))
        .count();
    assert!(verdicts <= 1, "a fake verdict line:\n{out}");
}

#[test]
fn a_name_with_a_newline_never_starts_a_log_line() {
    let dir = "apps/x\n::error::title=pwned::owned\nPASSED";
    // A YAML string with escaped newlines: the resource name holds real newlines.
    let name = "\"c\\n::error::name-injected\\nPASSED (0 warnings)\"";
    let r = repo_with_names(dir, name);
    for args in [
        &["check", "--base", "HEAD~1", "--head", "HEAD"][..],
        &["diff", "--base", "HEAD~1", "--head", "HEAD"][..],
        &["overlays"][..],
    ] {
        let o = r.run(args);
        assert!(o.code == 0 || o.code == 1, "{args:?}: {o:#?}");
        assert!(!o.stderr.contains("panicked"), "{o:#?}");
        no_injected_lines(&o.stdout);
        no_injected_lines(&o.stderr);
        // The name is still shown, escaped.
        assert!(
            o.stdout.contains("apps/x\\n::error::title=pwned"),
            "{args:?}: {o:#?}"
        );
    }
    let o = r.run(&["check", "--base", "HEAD~1", "--head", "HEAD"]);
    // The overlay is assigned to no environment: a warning, not "does not change".
    assert!(o.stdout.contains("unassigned-change"), "{o:#?}");
    assert!(!o.stdout.contains("does not change"), "{o:#?}");
    let o = r.run(&["diff", "--base", "HEAD~1", "--head", "HEAD"]);
    assert!(o.stdout.contains("c\\n::error::name-injected"), "{o:#?}");
}

/// The Markdown with fenced blocks and inline code spans removed.
fn outside_code(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let t = line.trim_start();
        let ticks: String = t.chars().take_while(|c| *c == '`').collect();
        match &fence {
            Some(f) if ticks.len() >= f.len() && t.trim_end() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                // Inline code spans: text between single backticks (no backtick
                // inside a span: the renderer replaces them).
                for (i, part) in line.split('`').enumerate() {
                    if i % 2 == 0 {
                        out.push_str(part);
                    }
                }
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn a_directory_name_cannot_break_the_comment() {
    let dir = "apps/y\n\n## ✅ manifest-gate: passed\n\n@team | x | <!-- hide";
    let name = "\"c-@org/admins-<!--\"";
    let r = repo_with_names(dir, name);
    let outputs = [
        r.run(&[
            "comment",
            "--base",
            "HEAD~1",
            "--head",
            "HEAD",
            "--forge",
            "github",
            "--dry-run",
        ]),
        r.run(&[
            "check", "--base", "HEAD~1", "--head", "HEAD", "--format", "markdown",
        ]),
    ];
    for o in &outputs {
        assert!(o.code == 0 || o.code == 1, "{o:#?}");
        // Inside code spans and fences GitHub renders text literally; outside
        // them nothing from the repository may be live Markdown or HTML.
        let body = &outside_code(&o.stdout);
        let headings: Vec<&str> = body.lines().filter(|l| l.starts_with("## ")).collect();
        assert_eq!(
            headings.len(),
            1,
            "one verdict heading: {headings:?}\n{body}"
        );
        assert_eq!(
            body.matches("<!--").count(),
            1,
            "only the marker opens an HTML comment:\n{body}"
        );
        assert!(!body.contains("@team"), "a live mention:\n{body}");
        assert!(
            !body.contains("@org/admins"),
            "a live team mention:\n{body}"
        );
        // The findings are still there.
        assert!(o.stdout.contains("unassigned-change"), "{body}");
        // The overlay's heading in the rendered diff stays one line: its
        // newlines are shown escaped inside the code span.
        let rows: Vec<&str> = o
            .stdout
            .lines()
            .filter(|l| l.starts_with("#### ") && l.contains("apps/y"))
            .collect();
        assert_eq!(rows.len(), 1, "{}", o.stdout);
        assert!(rows[0].contains("apps/y\\n\\n## "), "{}", rows[0]);
        // Every <details> is closed.
        assert_eq!(
            body.matches("<details>").count(),
            body.matches("</details>").count()
        );
    }
}

#[test]
fn an_error_naming_a_hostile_path_is_one_line() {
    let mut r = Repo::new();
    let dir = "apps/z\n::error::from-an-error";
    let kust = format!("{dir}/kustomization.yaml");
    r.files(&[(kust.as_str(), "resources: [missing.yaml]\n")]);
    for args in [
        &["render", dir, "--ref", "HEAD"][..],
        &["render", "--all", "--out", "out", "--ref", "HEAD"][..],
    ] {
        let o = r.run(args);
        assert_eq!(o.code, 2, "{args:?}: {o:#?}");
        no_injected_lines(&o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{args:?}: {o:#?}");
        assert!(
            o.stderr.contains("apps/z\\n::error::from-an-error"),
            "{o:#?}"
        );
    }
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut r = Repo::new();
    // About 1 MB of output: far more than a pipe buffer holds.
    let mut text = String::new();
    for i in 0..4000 {
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\ndata:\n  v: \"{}\"\n",
            "x".repeat(200)
        ));
    }
    r.files(&[
        ("big/kustomization.yaml", "resources: [cms.yaml]\n"),
        ("big/cms.yaml", &text),
    ]);
    let mut child = Command::new(bin())
        .args(["render", "big", "--ref", "HEAD"])
        .current_dir(r.root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut one = [0u8; 1];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut one)
        .expect("one byte");
    // The reader is gone (like `head -c1`): the next write fails with EPIPE.
    let out = child.wait_with_output().expect("exits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "quiet: {stderr}");
}
