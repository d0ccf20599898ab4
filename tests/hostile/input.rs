//! 5b. Broken or unusual input: CRLF, BOM, UTF-16, invalid UTF-8, duplicate
//! keys, empty documents, List kinds.

use crate::util::*;

/// `kubectl kustomize` (v5.5.0) output for the CRLF tree below, recorded.
const CRLF_EXPECTED: &str = "apiVersion: v1\ndata:\n  X: \"1\"\n  \"Y\": hello\nkind: ConfigMap\nmetadata:\n  name: envs-b5fkmk686k\n---\napiVersion: v1\ndata:\n  app.properties: \"a=1\\r\\nb=two words\\r\\n\"\nkind: ConfigMap\nmetadata:\n  name: files-gmktdt6b9m\n---\napiVersion: v1\ndata:\n  k: v w\nkind: ConfigMap\nmetadata:\n  name: plain\n---\napiVersion: v1\ndata:\n  app.properties: YT0xDQpiPXR3byB3b3Jkcw0K\nkind: Secret\nmetadata:\n  name: sec-f748ckddh7\ntype: Opaque\n";

#[test]
fn crlf_files_render_as_kustomize_with_the_same_hashes() {
    let mut r = Repo::new();
    r.files(&[
        (
            "app/kustomization.yaml",
            "configMapGenerator:\r\n- name: files\r\n  files:\r\n  - app.properties\r\n- name: envs\r\n  envs:\r\n  - app.env\r\nsecretGenerator:\r\n- name: sec\r\n  files:\r\n  - app.properties\r\nresources:\r\n- cm.yaml\r\n",
        ),
        ("app/app.properties", "a=1\r\nb=two words\r\n"),
        ("app/app.env", "X=1\r\nY=hello\r\n# c\r\n"),
        (
            "app/cm.yaml",
            "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: plain\r\ndata:\r\n  k: \"v\r\n    w\"\r\n",
        ),
    ]);
    for o in [r.render_head("app"), r.render_disk("app")] {
        assert_eq!(o.code, 0, "{o:#?}");
        assert_eq!(o.stdout, CRLF_EXPECTED);
    }
}

const PLAIN: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: enc\ndata:\n  k: \"h\u{e9}llo\"\n";

fn render_file(bytes: &[u8]) -> Out {
    let mut r = Repo::new();
    r.write("app/kustomization.yaml", "resources:\n- cm.yaml\n")
        .write("app/cm.yaml", bytes);
    r.commit();
    r.render_head("app")
}

#[test]
fn bom_and_utf16_render_like_utf8() {
    let want = render_file(PLAIN.as_bytes());
    assert_eq!(want.code, 0, "{want:#?}");
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(PLAIN.as_bytes());
    let mut le = vec![0xFF, 0xFE];
    le.extend(PLAIN.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let mut be = vec![0xFE, 0xFF];
    be.extend(PLAIN.encode_utf16().flat_map(|u| u.to_be_bytes()));
    for bytes in [bom, le, be] {
        let o = render_file(&bytes);
        assert_eq!(o.code, 0, "{o:#?}");
        assert_eq!(o.stdout, want.stdout);
    }
    // A BOM on the kustomization file too.
    let mut r = Repo::new();
    r.write("app/kustomization.yaml", "\u{feff}resources:\n- cm.yaml\n")
        .write("app/cm.yaml", PLAIN);
    r.commit();
    let o = r.render_head("app");
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(o.stdout, want.stdout);
}

#[test]
fn invalid_utf8_is_an_error_with_the_line() {
    let mut bytes = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: ".to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28, b'\n']);
    let o = render_file(&bytes);
    refused(&o, "app/cm.yaml:6", "invalid UTF-8");
    // UTF-16 with an odd byte count
    let o = render_file(&[0xFF, 0xFE, b'a', 0, b'b']);
    refused(&o, "app/cm.yaml", "invalid UTF-16");
    // in a kustomization file
    let mut r = Repo::new();
    r.write("app/kustomization.yaml", b"resources:\n- \xff.yaml\n");
    r.commit();
    refused(
        &r.render_head("app"),
        "app/kustomization.yaml:2",
        "invalid UTF-8",
    );
}

#[test]
fn duplicate_keys_are_an_error() {
    let o = render_file(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\ndata:\n  a: 1\n  a: 2\n",
    );
    refused(&o, "app/cm.yaml:7", "mapping key \"a\" already defined");
}

#[test]
fn empty_documents_and_lists() {
    let o = render_file(
        b"---\n---\n\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: l1\n---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMapList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: l2\n---\n",
    );
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(
        o.stdout,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: l1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: l2\n"
    );
    // An empty file renders nothing.
    let o = render_file(b"");
    assert_eq!(o.code, 0, "{o:#?}");
    assert_eq!(o.stdout, "");
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let cases: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02".to_vec(),
        b"- a\n- b\n".to_vec(),
        b"just a string\n".to_vec(),
        b"{".to_vec(),
        b"kind: ConfigMap\n".to_vec(),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: [1]\n".to_vec(),
        b"apiVersion: v1\nkind: List\nitems: 3\n".to_vec(),
        b"apiVersion: v1\nkind: List\nitems: [1]\n".to_vec(),
        b"? [a, b]\n: c\n".to_vec(),
        b"*unknown\n".to_vec(),
        b"a: !!int notanumber\nkind: ConfigMap\n".to_vec(),
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  x: .inf\n".to_vec(),
    ];
    for bytes in cases {
        let o = render_file(&bytes);
        assert!(!o.stderr.contains("panicked"), "{bytes:?}: {o:#?}");
        assert!(o.code == 0 || o.code == 2, "{bytes:?}: {o:#?}");
        if o.code == 2 {
            let errs: Vec<&str> = o
                .stderr
                .lines()
                .filter(|l| l.starts_with("error: "))
                .collect();
            assert_eq!(errs.len(), 1, "{o:#?}");
            assert!(errs[0].contains("app/cm.yaml"), "{o:#?}");
        }
    }
}
