//! 4. Secrets: no output and no error message shows a Secret value, in clear or base64.

use crate::util::*;
use base64::Engine;

/// Every secret value used below (plaintext).
const VALUES: &[&str] = &[
    "hunter2-base-Pl41n",
    "swordfish-head-Pl41n",
    "string-data-base-9f8e",
    "string-data-head-7d6c",
    "literal-base-q1w2e3",
    "literal-head-r4t5y6",
    "applied-base-z9x8",
    "applied-head-c7v6",
    "generated-file-base-aa11",
    "generated-file-head-bb22",
];

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Assert no value (plain or base64, also without padding) occurs in `text`.
pub fn assert_no_secret(what: &str, text: &str) {
    for v in VALUES {
        assert!(
            !text.contains(v),
            "{what}: plaintext '{v}' leaked:\n{}",
            text.chars().take(3000).collect::<String>()
        );
        let e = b64(v);
        let e = e.trim_end_matches('=');
        assert!(
            !text.contains(e),
            "{what}: base64 of '{v}' leaked:\n{}",
            text.chars().take(3000).collect::<String>()
        );
    }
}

fn secret(name: &str, data: &str, string: &str, applied: &str) -> String {
    let applied_json = format!(
        "{{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{{\"name\":\"{name}\"}},\"data\":{{\"password\":\"{}\"}},\"stringData\":{{\"applied\":\"{applied}\"}}}}",
        b64(data)
    );
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{applied_json}'\ntype: Opaque\ndata:\n  password: {}\nstringData:\n  token: {string}\n",
        b64(data)
    )
}

fn kust(lit: &str) -> String {
    format!(
        "resources:\n- secret.yaml\nsecretGenerator:\n- name: gen\n  literals:\n  - api-key={lit}\n  files:\n  - cred.txt\n"
    )
}

fn secret_repo() -> Repo {
    let mut r = Repo::new();
    r.files(&[
        (
            ".manifest-gate.yaml",
            "environments:\n  dev: { overlays: [\"overlays/dev\"] }\n  prod: { overlays: [\"overlays/prod\"], after: dev }\n",
        ),
        ("base/kustomization.yaml", &kust("literal-base-q1w2e3")),
        (
            "base/secret.yaml",
            &secret("db", "hunter2-base-Pl41n", "string-data-base-9f8e", "applied-base-z9x8"),
        ),
        ("base/cred.txt", "generated-file-base-aa11\n"),
        ("overlays/dev/kustomization.yaml", "resources:\n- ../../base\n"),
        ("overlays/prod/kustomization.yaml", "resources:\n- ../../base\n"),
    ]);
    r.files(&[
        ("base/kustomization.yaml", &kust("literal-head-r4t5y6")),
        (
            "base/secret.yaml",
            &secret(
                "db",
                "swordfish-head-Pl41n",
                "string-data-head-7d6c",
                "applied-head-c7v6",
            ),
        ),
        ("base/cred.txt", "generated-file-head-bb22\n"),
        // prod gets a Secret the previous environment does not have
        (
            "overlays/prod/kustomization.yaml",
            "resources:\n- ../../base\n- extra.yaml\n",
        ),
        (
            "overlays/prod/extra.yaml",
            &secret(
                "extra",
                "hunter2-base-Pl41n",
                "string-data-head-7d6c",
                "applied-head-c7v6",
            ),
        ),
    ]);
    r
}

#[test]
fn no_output_format_shows_secret_values() {
    let r = secret_repo();
    let (b, h) = (r.commits[0].clone(), r.commits[1].clone());
    let mut seen_change = false;
    for args in [
        vec!["diff", "--format", "text"],
        vec!["diff", "--format", "json"],
        vec!["diff", "--format", "markdown"],
        vec!["diff", "--format", "text", "--full"],
        vec!["check", "--format", "text"],
        vec!["check", "--format", "json"],
        vec!["check", "--format", "sarif"],
        vec!["comment", "--forge", "github", "--dry-run"],
        vec!["comment", "--forge", "gitlab", "--dry-run"],
    ] {
        let mut a = args.clone();
        a.extend(["--base", &b, "--head", &h]);
        let o = r.run(&a);
        assert!(o.code == 0 || o.code == 1, "{args:?}: {o:#?}");
        assert!(!o.stderr.contains("panicked"));
        assert_no_secret(&format!("{args:?}"), &o.all());
        seen_change |= o.stdout.contains("password");
    }
    assert!(seen_change, "the diff should show which keys changed");
    // The render command prints manifests as kustomize does (values included):
    // it is the user's own request for the manifests, not a report.
}

#[test]
fn parse_errors_in_a_secret_do_not_echo_values() {
    let bad = [
        // unterminated quote
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: \"{}\n", b64("hunter2-base-Pl41n")),
        // bad indentation after a value
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: hunter2-base-Pl41n\n   bad: x\n".to_string(),
        // duplicate key
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: hunter2-base-Pl41n\n  token: swordfish-head-Pl41n\n".to_string(),
        // unknown tag on a value
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: !!weird hunter2-base-Pl41n\n".to_string(),
        // a flow mapping left open
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData: {token: hunter2-base-Pl41n, x\n".to_string(),
        // a value that is not valid UTF-8 next to a secret
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: hunter2-base-Pl41n\n  b: \u{0}\n".to_string(),
    ];
    for body in bad {
        let mut r = Repo::new();
        r.files(&[
            ("app/kustomization.yaml", "resources:\n- secret.yaml\n"),
            ("app/secret.yaml", &body),
        ]);
        let o = r.render_head("app");
        assert_eq!(o.code, 2, "{body}: {o:#?}");
        assert!(!o.stderr.contains("panicked"));
        assert!(o.stderr.contains("app/secret.yaml"), "{o:#?}");
        assert_no_secret(&body, &o.all());
    }
}

#[test]
fn patch_errors_against_a_secret_do_not_echo_values() {
    let s = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: hunter2-base-Pl41n\n";
    let patches = [
        // a JSON patch `test` that fails
        "patches:\n- target: {kind: Secret, name: s}\n  patch: |\n    - op: test\n      path: /stringData/token\n      value: swordfish-head-Pl41n\n",
        // replace under a scalar
        "patches:\n- target: {kind: Secret, name: s}\n  patch: |\n    - op: replace\n      path: /stringData/token/x\n      value: 1\n",
        // strategic merge with a type clash
        "patches:\n- patch: |\n    apiVersion: v1\n    kind: Secret\n    metadata:\n      name: s\n    stringData:\n      token:\n        nested: swordfish-head-Pl41n\n",
        // a replacement from a Secret into a field of the wrong type
        "replacements:\n- source: {kind: Secret, name: s, fieldPath: stringData.token}\n  targets:\n  - select: {kind: Secret, name: s}\n    fieldPaths: [metadata.name.x]\n",
        // a replacement from a Secret into an integer field
        "replacements:\n- source: {kind: Secret, name: s, fieldPath: stringData.token}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.replicas]\n",
        // a secretGenerator literal without a key
        "secretGenerator:\n- name: g\n  literals:\n  - =hunter2-base-Pl41n\n",
        "secretGenerator:\n- name: g\n  literals:\n  - hunter2-base-Pl41n\n",
        // a var from a Secret
        "vars:\n- name: V\n  objref: {kind: Secret, name: s, apiVersion: v1}\n  fieldref: {fieldpath: stringData.nope}\n",
    ];
    for p in patches {
        let mut r = Repo::new();
        r.files(&[
            (
                "app/kustomization.yaml",
                &format!("resources:\n- secret.yaml\n- deploy.yaml\n{p}"),
            ),
            ("app/secret.yaml", s),
            (
                "app/deploy.yaml",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  replicas: 1\n",
            ),
        ]);
        let o = r.render_head("app");
        assert!(!o.stderr.contains("panicked"), "{o:#?}");
        if o.code != 0 {
            assert_eq!(o.code, 2);
            assert_no_secret(p, &o.stderr);
        }
    }
}

/// A replacement from a Secret with `options.index` out of range names the
/// replacement, not the value (main printed `... out of bounds for value hunter2-...`).
#[test]
fn replacement_index_out_of_range_does_not_echo_the_secret() {
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            "resources: [secret.yaml, cm.yaml]\nreplacements:\n- source: {kind: Secret, name: s, fieldPath: stringData.token, options: {delimiter: '-', index: 9}}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.x]\n",
        ),
        (
            "app/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  token: hunter2-base-Pl41n\n",
        ),
        ("app/cm.yaml", &cm("c")),
    ]);
    let o = r.render_head("app");
    refused(&o, "app/", "options.index 9 is out of bounds");
    assert_no_secret("index out of range", &o.all());
}

/// `--renderer kustomize` (and `auto` fallback): kubectl's stderr line is
/// passed through with secretGenerator literals, file sources and env lines redacted.
#[test]
fn external_renderer_stderr_is_redacted() {
    if !kubectl_present() {
        return;
    }
    for (k, extra) in [
        (
            "secretGenerator:\n- name: s\n  literals:\n  - api-key=literal-base-q1w2e3\n  - hunter2-base-Pl41n\n",
            None,
        ),
        (
            "secretGenerator:\n- name: s\n  literals:\n  - =swordfish-head-Pl41n\n",
            None,
        ),
        (
            "secretGenerator:\n- name: s\n  files:\n  - string-data-base-9f8e=\n",
            None,
        ),
        (
            "resources: [s.yaml]\n",
            Some("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {token: \"generated-file-base-aa11\n  x: y\n"),
        ),
    ] {
        let mut r = Repo::new();
        r.write("app/kustomization.yaml", k);
        if let Some(s) = extra {
            r.write("app/s.yaml", s);
        }
        r.commit();
        let o = r.run(&["render", "app", "--ref", "HEAD", "--renderer", "kustomize"]);
        assert_eq!(o.code, 2, "{k}: {o:#?}");
        assert!(!o.stderr.contains("panicked"));
        assert_no_secret(k, &o.all());
    }
}

/// Every `<secret sha256:…>` marker in `text`.
fn markers(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("<secret sha256:") {
        let m = &rest[i..];
        let end = m.find('>').map_or(m.len(), |e| e + 1);
        out.push(m[..end].to_string());
        rest = &m[end..];
    }
    out
}

/// A probe Secret holding a guess cannot be compared with the real one: the
/// marker is keyed by the resource and the field path too (main gave the
/// prod `password` and the probe's `hunter2` the same marker).
#[test]
fn markers_are_not_a_dictionary() {
    let secret = |name: &str, key: &str, v: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\nstringData:\n  {key}: {v}\n"
        )
    };
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources: [db.yaml]\n"),
        (
            "app/db.yaml",
            &secret("db", "password", "hunter2-base-Pl41n"),
        ),
    ]);
    r.files(&[
        (
            "app/kustomization.yaml",
            "resources: [db.yaml, probe.yaml, other.yaml]\n",
        ),
        (
            "app/db.yaml",
            &secret("db", "password", "swordfish-head-Pl41n"),
        ),
        // the attacker's guesses: the new value, in another Secret and under another key
        (
            "app/probe.yaml",
            &secret("probe", "password", "swordfish-head-Pl41n"),
        ),
        (
            "app/other.yaml",
            &secret("db2", "token", "swordfish-head-Pl41n"),
        ),
    ]);
    let (b, h) = (r.commits[0].clone(), r.commits[1].clone());
    let o = r.run(&["diff", "--base", &b, "--head", &h, "--format", "markdown"]);
    assert_eq!(o.code, 0, "{o:#?}");
    assert_no_secret("markdown", &o.all());
    let line_marker = |needle: &str| -> Vec<String> {
        o.stdout
            .lines()
            .filter(|l| l.starts_with('+') && l.contains(needle))
            .flat_map(markers)
            .collect()
    };
    let all = markers(&o.stdout);
    assert!(all.len() >= 4, "{o:#?}");
    // the three `+` lines holding the same value: three different markers
    let plus: Vec<String> = ["password", "token"]
        .iter()
        .flat_map(|k| line_marker(k))
        .collect();
    let distinct: std::collections::BTreeSet<_> = plus.iter().collect();
    assert_eq!(plus.len(), 3, "{}", o.stdout);
    assert_eq!(
        distinct.len(),
        3,
        "equal values share a marker:\n{}",
        o.stdout
    );
    // a changed value still changes its marker
    let minus: Vec<String> = o
        .stdout
        .lines()
        .filter(|l| l.starts_with('-') && l.contains("password"))
        .flat_map(markers)
        .collect();
    assert_eq!(minus.len(), 1, "{}", o.stdout);
    assert!(!plus.contains(&minus[0]), "{}", o.stdout);
}

/// A one-line Secret in a changed file no overlay renders: the `unexpected-kind`
/// snippet shows its kind line, never its values (main showed the line whole).
#[test]
fn unexpected_kind_snippet_redacts_a_one_line_secret() {
    let mut r = Repo::new();
    r.files(&[
        ("app/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("app/cm.yaml", &cm("a")),
    ]);
    r.files(&[(
        "stray/deployment.yaml",
        "{apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {password: hunter2-base-Pl41n}, data: {token: aHVudGVyMi1iYXNlLVBsNDFu}}\n",
    )]);
    let (b, h) = (r.commits[0].clone(), r.commits[1].clone());
    let mut flagged = false;
    for args in [
        vec!["check", "--format", "text"],
        vec!["check", "--format", "json"],
        vec!["check", "--format", "sarif"],
        vec!["comment", "--forge", "github", "--dry-run"],
    ] {
        let mut a = args.clone();
        a.extend(["--base", &b, "--head", &h]);
        let o = r.run(&a);
        assert!(!o.stderr.contains("panicked"), "{o:#?}");
        assert_no_secret(&format!("{args:?}"), &o.all());
        flagged |= o.all().contains("unexpected-kind");
    }
    assert!(flagged, "the Secret in deployment.yaml should be flagged");
}
