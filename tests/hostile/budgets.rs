//! 2. Budgets: alias bombs, nesting, documents, file and render sizes, time.

use crate::util::*;

/// The CVE-2019-11253 payload (a billion laughs in 415 bytes).
pub const ALIAS_BOMB: &str = "apiVersion: v1\ndata:\n  a: &a [\"web\",\"web\",\"web\",\"web\",\"web\",\"web\",\"web\",\"web\",\"web\"]\n  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\nkind: ConfigMap\nmetadata:\n  name: yaml-bomb\n  namespace: default\n";

/// One anchor of ~35 KB referenced 3,000 times (a 47 KB file).
pub fn wide_anchor_scalar() -> String {
    let big = "x".repeat(35_000);
    let refs = vec!["*a"; 3000].join(",");
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n  a: &a {big}\n  b: [{refs}]\n")
}

/// One anchor of a mapping with ~1,500 keys referenced 3,000 times.
pub fn wide_anchor_map() -> String {
    let keys: Vec<String> = (0..1500).map(|i| format!("k{i}: {i}")).collect();
    let refs = vec!["*a"; 3000].join(",");
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n  a: &a {{{}}}\n  b: [{refs}]\n",
        keys.join(", ")
    )
}

fn repo_with(file: &str, body: &str) -> Repo {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", &format!("resources:\n- {file}\n")),
        (&format!("app/{file}"), body),
    ]);
    r
}

fn bounded(r: &Repo, what: &str) {
    let args = ["render", "app", "--ref", "HEAD"];
    if let Some((rss_kb, secs, code)) = measure(&r.root(), &args) {
        eprintln!("{what}: exit {code}, {secs:.3} s, peak RSS {} KiB", rss_kb);
        assert_eq!(code, 2, "{what}");
        assert!(
            secs < 10.0,
            "{what}: {secs} s (a hang guard; the sub-second figure is measured, not asserted)"
        );
        assert!(rss_kb < 100 * 1024, "{what}: {rss_kb} KiB");
    }
}

#[test]
fn alias_bomb_fails_fast_and_small() {
    assert!(ALIAS_BOMB.len() <= 450, "{}", ALIAS_BOMB.len());
    let r = repo_with("bomb.yaml", ALIAS_BOMB);
    let o = r.render_head("app");
    refused(&o, "app/bomb.yaml:", "alias expansion exceeds the budget");
    assert!(o.secs < 10.0, "{} s (hang guard)", o.secs);
    bounded(&r, "alias bomb (415 bytes)");
}

#[test]
fn alias_bomb_in_a_kustomization_file() {
    let mut r = Repo::new();
    let k = ALIAS_BOMB.replace("apiVersion: v1\n", "resources: []\nx-bomb:\n  ");
    r.files(&[("app/kustomization.yaml", &k)]);
    let o = r.render_head("app");
    assert_eq!(o.code, 2, "{o:#?}");
    assert!(!o.stderr.contains("panicked"));
    assert!(o.secs < 10.0, "hang guard");
}

#[test]
fn one_big_anchor_referenced_3000_times() {
    for (what, body) in [
        ("scalar anchor", wide_anchor_scalar()),
        ("mapping anchor", wide_anchor_map()),
    ] {
        assert!(body.len() < 48 * 1024, "{what}: {}", body.len());
        let r = repo_with("wide.yaml", &body);
        let o = r.render_head("app");
        refused(&o, "app/wide.yaml:", "alias expansion exceeds the budget");
        assert!(o.secs < 10.0, "{what}: {} s (hang guard)", o.secs);
        bounded(&r, &format!("47 KB file, {what} x3000"));
    }
}

#[test]
fn deep_nesting() {
    for body in [
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("a: {}1{}", "{a: ".repeat(50_000), "}".repeat(50_000)),
        format!("{}x\n", "- ".repeat(1000)),
    ] {
        let r = repo_with("deep.yaml", &body);
        let o = r.render_head("app");
        refused(&o, "app/deep.yaml:", "nesting deeper than");
    }
}

#[test]
fn too_many_documents() {
    let body = "---\n".repeat(20_000);
    let r = repo_with("docs.yaml", &body);
    let o = r.render_head("app");
    refused(&o, "app/docs.yaml:", "YAML documents in one file");
}

#[test]
fn file_size_cap_is_configurable() {
    let mut body = cm("big");
    body.push_str(&format!("  pad: {}\n", "p".repeat(5000)));
    let r = repo_with("big.yaml", &body);
    let o = r.run(&["render", "app", "--ref", "HEAD", "--max-file-bytes", "4096"]);
    refused(&o, "app/big.yaml", "limit of 4096 bytes");
    let o = r.render_disk("app");
    assert_eq!(o.code, 0, "{o:#?}");
    let o = r.run(&["render", "app", "--max-file-bytes", "4096"]);
    refused(&o, "app/big.yaml", "limit of 4096 bytes");
}

#[test]
fn default_file_cap_refuses_huge_files() {
    // 17 MiB of YAML comments: over the 16 MiB default.
    let mut body = cm("huge");
    let line = format!("# {}\n", "z".repeat(1022));
    body.push_str(&line.repeat(17 * 1024));
    let r = repo_with("huge.yaml", &body);
    let o = r.render_head("app");
    refused(&o, "app/huge.yaml", "over the limit");
}

#[test]
fn render_byte_budget() {
    let mut r = Repo::new();
    let pad = |n: &str| format!("{}  pad: {}\n", cm(n), "p".repeat(3000));
    r.files(&[
        ("app/kustomization.yaml", "resources:\n- a.yaml\n- b.yaml\n"),
        ("app/a.yaml", &pad("a")),
        ("app/b.yaml", &pad("b")),
    ]);
    let o = r.run(&[
        "render",
        "app",
        "--ref",
        "HEAD",
        "--max-render-bytes",
        "5000",
    ]);
    refused(&o, "app/b.yaml", "5000 bytes");
    let o = r.run(&[
        "render",
        "app",
        "--ref",
        "HEAD",
        "--max-render-bytes",
        "50000",
    ]);
    assert_eq!(o.code, 0, "{o:#?}");
}

#[test]
fn render_byte_budget_counts_generator_files() {
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            "configMapGenerator:\n- name: g\n  files:\n  - a.txt\n  - b.txt\n",
        ),
        ("app/a.txt", &"a".repeat(3000)),
        ("app/b.txt", &"b".repeat(3000)),
    ]);
    let o = r.run(&[
        "render",
        "app",
        "--ref",
        "HEAD",
        "--max-render-bytes",
        "5000",
    ]);
    refused(&o, "app/b.txt", "5000 bytes");
}

#[test]
fn wall_clock_budget_per_overlay() {
    let mut r = Repo::new();
    let many: String = (0..3000)
        .map(|i| format!("---\n{}", cm(&format!("c{i}"))))
        .collect();
    r.files(&[
        (
            "app/kustomization.yaml",
            "namePrefix: p-\nresources:\n- many.yaml\ncommonLabels:\n  a: b\n",
        ),
        ("app/many.yaml", &many),
    ]);
    let o = r.run(&[
        "render",
        "app",
        "--ref",
        "HEAD",
        "--timeout-per-overlay",
        "1ms",
    ]);
    refused(&o, "app", "wall-clock budget of 1ms");
    let o = r.run(&[
        "render",
        "app",
        "--ref",
        "HEAD",
        "--timeout-per-overlay",
        "60s",
    ]);
    assert_eq!(o.code, 0, "{o:#?}");
}

#[test]
fn budgets_apply_to_diff_and_check() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("app/cm.yaml", &cm("a")),
    ]);
    r.files(&[("app/cm.yaml", ALIAS_BOMB)]);
    let (b, h) = (r.commits[0].clone(), r.commits[1].clone());
    for cmd in ["diff", "check"] {
        let o = r.run(&[cmd, "--base", &b, "--head", &h]);
        refused(&o, "app/cm.yaml:", "alias expansion exceeds the budget");
        assert!(o.secs < 10.0, "hang guard");
        // The change reaches the overlay that is over the budget at base.
        let o = r.run(&[cmd, "--base", &b, "--head", &h, "--max-file-bytes", "10"]);
        refused(&o, "app/", "limit of 10 bytes");
        // Nothing changed: the base-side failure is a note, not a verdict.
        let o = r.run(&[
            cmd,
            "--base",
            &b,
            "--head",
            &b,
            "--max-file-bytes",
            "10",
            "--full",
        ]);
        assert_eq!(o.code, 0, "{o:#?}");
        assert!(
            o.stdout
                .contains("1 unrenderable not reached by the change")
                && o.stdout.contains("limit of 10 bytes"),
            "{o:#?}"
        );
    }
}

/// A ConfigMap `c` holding one 1 KB value.
fn cm_1k() -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: {}\n",
        "x".repeat(1000)
    )
}

/// A 1 KB JSON6902 patch of 21 `copy /data -> /data/cN` ops (each doubles the
/// tree: 2 GiB of output, an allocation abort before the output budget).
pub fn json6902_copy_bomb() -> Repo {
    let ops: String = (0..21)
        .map(|i| format!("- op: copy\n  from: /data\n  path: /data/c{i}\n"))
        .collect();
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            "resources: [cm.yaml]\npatchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: c}\n  path: p.yaml\n",
        ),
        ("app/cm.yaml", &cm_1k()),
        ("app/p.yaml", &ops),
    ]);
    r
}

/// `vars`: a 1 MiB value referenced 500 times in one container argument.
pub fn vars_bomb() -> Repo {
    let refs = "$(BIG)".repeat(500);
    let body = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  big: {}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n    args:\n    - \"{refs}\"\n",
        "x".repeat(1 << 20)
    );
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            "resources: [cm.yaml]\nvars:\n- name: BIG\n  objref: {kind: ConfigMap, name: c, apiVersion: v1}\n  fieldref: {fieldpath: data.big}\n",
        ),
        ("app/cm.yaml", &body),
    ]);
    r
}

/// 40 replacements each copying `data` into `data.dN` (doubling per entry).
pub fn replacements_bomb() -> Repo {
    let reps: String = (0..40)
        .map(|i| format!("- source: {{kind: ConfigMap, name: c, fieldPath: data}}\n  targets:\n  - select: {{kind: ConfigMap, name: c}}\n    fieldPaths: [data.d{i}]\n    options: {{create: true}}\n"))
        .collect();
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            &format!("resources: [cm.yaml]\nreplacements:\n{reps}"),
        ),
        ("app/cm.yaml", &cm_1k()),
    ]);
    r
}

/// Exit 2 naming the file and the output budget, within the hang guard and
/// under 200 MB (peak RSS, when /usr/bin/time is there).
fn amplification_refused(r: &Repo, file: &str, what: &str) {
    let o = r.render_head("app");
    refused(&o, file, "--max-output-");
    assert!(o.stderr.contains("grows its output past"), "{what}: {o:#?}");
    assert!(o.secs < 10.0, "{what}: {} s (hang guard)", o.secs);
    if let Some((rss_kb, secs, code)) = measure(&r.root(), &["render", "app", "--ref", "HEAD"]) {
        eprintln!("{what}: exit {code}, {secs:.3} s, peak RSS {rss_kb} KiB");
        assert_eq!(code, 2, "{what}");
        assert!(rss_kb < 200 * 1024, "{what}: {rss_kb} KiB");
    }
}

#[test]
fn json6902_copy_amplification_is_bounded() {
    let r = json6902_copy_bomb();
    amplification_refused(&r, "app/p.yaml:", "json6902 copy x21");
    // The budget is a flag: a small one stops the third copy already.
    let o = r.run(&["render", "app", "--ref", "HEAD", "--max-output-bytes", "5K"]);
    refused(&o, "app/p.yaml:", "5120 bytes (--max-output-bytes)");
    assert!(o.stderr.contains("'copy' /data -> /data/c"), "{o:#?}");
}

#[test]
fn vars_amplification_is_bounded() {
    let r = vars_bomb();
    amplification_refused(&r, "app/cm.yaml:", "1 MiB var x500");
    assert!(r.render_head("app").stderr.contains("var 'BIG'"));
}

#[test]
fn replacements_amplification_is_bounded() {
    let r = replacements_bomb();
    amplification_refused(&r, "app/kustomization.yaml:", "replacements x40");
}

#[test]
fn output_budget_nodes_flag_and_diff_check() {
    let mut r = Repo::new();
    let many: String = (0..50)
        .map(|i| format!("---\n{}", cm(&format!("c{i}"))))
        .collect();
    r.files(&[
        ("app/kustomization.yaml", "resources: [many.yaml]\n"),
        ("app/many.yaml", &many),
    ]);
    let o = r.run(&["render", "app", "--ref", "HEAD"]);
    assert_eq!(o.code, 0, "{o:#?}");
    let o = r.run(&[
        "render",
        "app",
        "--ref",
        "HEAD",
        "--max-output-nodes",
        "100",
    ]);
    refused(&o, "app", "100 nodes (--max-output-nodes)");
    r.files(&[("app/many.yaml", &format!("{many}---\n{}", cm("one-more")))]);
    let (b, h) = (r.commits[0].clone(), r.commits[1].clone());
    for cmd in ["diff", "check"] {
        let o = r.run(&[cmd, "--base", &b, "--head", &h]);
        assert_eq!(o.code, if cmd == "diff" { 0 } else { o.code }, "{o:#?}");
        assert!(!o.stderr.contains("--max-output"), "{o:#?}");
        let o = r.run(&[cmd, "--base", &b, "--head", &h, "--max-output-bytes", "1K"]);
        refused(&o, "app", "1024 bytes (--max-output-bytes)");
    }
}

/// `--timeout` bounds the whole run (discovery, every overlay, the fallback's
/// copies): many cheap overlays that each fit their own budget still stop the
/// run, and a spent run budget is "could not decide", never a pass.
#[test]
fn wall_clock_budget_per_run() {
    let mut r = Repo::new();
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..40 {
        files.push((
            format!("apps/a{i}/kustomization.yaml"),
            "resources: [cm.yaml]\ncommonLabels:\n  a: b\n".into(),
        ));
        files.push((format!("apps/a{i}/cm.yaml"), cm(&format!("c{i}"))));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    r.files(&refs);
    r.files(&[("README.md", "docs only\n")]);
    let (b, h) = (r.commits[0].clone(), r.commits[1].clone());
    let o = r.run(&["check", "--base", &b, "--head", &h, "--timeout", "1ms"]);
    assert_eq!(o.code, 2, "{o:#?}");
    assert!(o.stderr.contains("(--timeout)"), "{o:#?}");
    let o = r.run(&["check", "--base", &b, "--head", &h, "--timeout", "10m"]);
    assert_eq!(o.code, 0, "{o:#?}");
}
