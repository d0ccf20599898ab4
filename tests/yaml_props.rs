//! Property tests for the YAML layer: the parser never panics on any text, and
//! every tree the emitter prints parses back (as a resource file) to the same tree.

use manifest_gate::yaml::{emit_docs, parse_stream, Map, Node, ParseOptions, Pos, Value};
use proptest::prelude::*;

/// Equality ignoring positions, with NaN equal to NaN.
fn same(a: &[Node], b: &[Node]) -> bool {
    fn eq(a: &Node, b: &Node) -> bool {
        match (&a.value, &b.value) {
            (Value::Float(x), Value::Float(y)) if x.is_nan() && y.is_nan() => true,
            (Value::Seq(x), Value::Seq(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q))
            }
            (Value::Map(x), Value::Map(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| eq(v, w)))
            }
            _ => a == b,
        }
    }
    a.len() == b.len() && a.iter().zip(b).all(|(p, q)| eq(p, q))
}

fn node(v: Value) -> Node {
    Node::new(v, Pos::none())
}

/// Text that looks like YAML: indicators, quotes, breaks, indentation.
fn yamlish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\n".to_string()),
            Just("  ".to_string()),
            Just("- ".to_string()),
            Just(": ".to_string()),
            Just("---\n".to_string()),
            Just("...\n".to_string()),
            Just("? ".to_string()),
            Just("&a ".to_string()),
            Just("*a".to_string()),
            Just("!!str ".to_string()),
            Just("!t ".to_string()),
            Just("<<: ".to_string()),
            Just("|-\n".to_string()),
            Just(">\n".to_string()),
            Just("%YAML 1.2\n".to_string()),
            "[a-z0-9]{1,6}",
            r#"[\[\]{}",'#|>@`%\t .~-]"#,
            any::<char>().prop_map(String::from),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// Strings worth emitting: plain words, YAML-1.1 keywords, numbers-as-strings,
/// indicators, whitespace at the edges, line breaks, unicode and control characters.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 _./-]{0,20}",
        prop::sample::select(vec![
            "",
            " ",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "true",
            "null",
            "~",
            "NULL",
            "1",
            "0777",
            "0o17",
            "0x1F",
            "1e3",
            "1_000",
            ".inf",
            "-.Inf",
            ".nan",
            "12:30:00",
            "2001-12-14",
            "- a",
            "a: b",
            "a #b",
            "#c",
            "&x",
            "*x",
            "!t",
            "%p",
            "@a",
            "`b",
            "'",
            "\"",
            "\\",
            "---",
            "...",
            "? k",
            "[a]",
            "{a}",
            "a\nb",
            "a\n",
            "\n",
            " a",
            "a ",
            "\t",
            "a\tb",
            "\u{feff}",
            "\u{2028}",
            "é",
            "日本",
            "\u{1}",
            "\r\n",
            "a\n\nb\n",
        ])
        .prop_map(String::from),
        prop::collection::vec(
            prop_oneof![
                "[a-z]{1,8}",
                Just(" ".to_string()),
                Just("\n".to_string()),
                Just(": ".to_string()),
                Just("#".to_string()),
            ],
            0..30
        )
        .prop_map(|p| p.concat()),
        any::<String>(),
    ]
}

fn scalar() -> impl Strategy<Value = Node> {
    prop_oneof![
        Just(node(Value::Null)),
        any::<bool>().prop_map(|b| node(Value::Bool(b))),
        any::<i64>().prop_map(|i| node(Value::Int(i))),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| node(Value::Float(f))),
        tricky_string().prop_map(|s| node(Value::Str(s))),
    ]
}

fn tree() -> impl Strategy<Value = Node> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| node(Value::Seq(v))),
            // Not the key `<<`: kubectl (go-yaml) emits it plain and reads it back as
            // a merge key, so no emitter round-trips it (ours refuses it on input).
            prop::collection::vec(
                (
                    tricky_string().prop_filter("not a merge key", |k| k != "<<"),
                    inner
                ),
                0..6,
            )
            .prop_map(|kv| {
                let mut m = Map::default();
                for (k, v) in kv {
                    m.insert(k, v);
                }
                node(Value::Map(m))
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = parse_stream(&s, "p.yaml", &ParseOptions::resource());
        let _ = parse_stream(&s, "p.yaml", &ParseOptions::kustomization());
    }

    #[test]
    fn yamlish_text_never_panics_and_round_trips(s in yamlish()) {
        // U+0085 (NEL) is folded as kustomize's JSON-to-YAML step folds it
        // (`fold_nel`, kubectl-exact): by design not a round trip.
        prop_assume!(!s.contains('\u{85}'));
        for opts in [ParseOptions::resource(), ParseOptions::kustomization()] {
            if let Ok(docs) = parse_stream(&s, "p.yaml", &opts) {
                let refs: Vec<&Node> = docs.iter().collect();
                let out = emit_docs(&refs);
                let again = parse_stream(&out, "e.yaml", &ParseOptions::resource());
                prop_assert!(again.is_ok(), "emitted text does not parse: {:?}\n{}", again, out);
                let again = again.unwrap();
                prop_assert!(same(&docs, &again), "input {:?}\nemitted:\n{}\nfirst: {:?}\nsecond: {:?}", s, out, docs, again);
            }
        }
    }

    #[test]
    fn generated_documents_round_trip(docs in prop::collection::vec(tree(), 1..3)) {
        // A top-level document that is a string of line breaks only, followed by
        // another document: written `|2+`, an empty line, then `---`, which the
        // parser (saphyr) refuses as a wrongly indented block scalar. Only a bare
        // scalar document takes that shape, and kustomize refuses one as a
        // resource too; the same value inside a resource round-trips
        // (`line_breaks_only_value_round_trips_before_another_document`).
        prop_assume!(!docs[..docs.len() - 1].iter().any(|d| {
            matches!(&d.value, Value::Str(t) if !t.is_empty() && t.chars().all(|c| c == '\n' || c == '\r'))
        }));
        let refs: Vec<&Node> = docs.iter().collect();
        let out = emit_docs(&refs);
        let again = parse_stream(&out, "e.yaml", &ParseOptions::resource());
        prop_assert!(again.is_ok(), "emitted text does not parse: {:?}\n{}", again, out);
        let again = again.unwrap();
        prop_assert_eq!(&docs, &again, "emitted:\n{}", out);
        let refs: Vec<&Node> = again.iter().collect();
        prop_assert_eq!(&out, &emit_docs(&refs));
    }
}

/// Fuzz find: U+2028 in a single-quoted scalar was printed raw and followed by
/// indentation (a line break to libyaml, content to saphyr), so it read back with
/// extra spaces. Strings with U+2028/U+2029 are now double-quoted.
#[test]
fn line_separators_round_trip() {
    for s in [
        "x\u{2028}y",
        "x\u{2029}y",
        "a\u{2028}\nb",
        "a\u{2028}b\n",
        // Not "\u{2028}x\n": in a literal block that separator starts a line at
        // column 0, which libyaml reads as an empty line and saphyr as the end
        // of the block (known limitation, see fuzz/src/harness.rs).
        "k\u{2028}  v",
        // Not "x\u{85}y": kustomize prints NEL raw and reads it back folded to a
        // space; we reproduce that (fixtures/render), so it does not round-trip.
        "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h i j k l m n o p q r s t u v w x y z\u{2028}b c",
    ] {
        let mut m = Map::default();
        m.insert(s.to_string(), node(Value::Str(s.to_string())));
        let doc = node(Value::Map(m));
        let out = emit_docs(&[&doc]);
        let again = parse_stream(&out, "e.yaml", &ParseOptions::resource()).expect("parses");
        assert_eq!(vec![doc], again, "{s:?} emitted as:\n{out}");
    }
}

/// A value of line breaks only, inside a resource followed by another one,
/// emits as kubectl emits it (`|2+` and an empty line) and parses back.
#[test]
fn line_breaks_only_value_round_trips_before_another_document() {
    let text = "a: \"\\n\"\nb: y\n---\nc: \"\\n\\n\"\n";
    let docs = parse_stream(text, "p.yaml", &ParseOptions::resource()).unwrap();
    let refs: Vec<&Node> = docs.iter().collect();
    let out = emit_docs(&refs);
    assert_eq!(out, "a: |2+\n\nb: \"y\"\n---\nc: |2+\n\n\n");
    let again = parse_stream(&out, "e.yaml", &ParseOptions::resource()).unwrap();
    assert_eq!(docs, again);
}
