use super::*;
use crate::yaml::{parse_stream, ParseOptions};

fn parse(text: &str) -> Vec<Node> {
    parse_stream(text, "test.yaml", &ParseOptions::resource())
        .expect("parse")
        .into_iter()
        .filter(|d| !matches!(d.value, Value::Null))
        .collect()
}

fn reemit(text: &str) -> String {
    let docs = parse(text);
    let refs: Vec<&Node> = docs.iter().collect();
    emit_docs(&refs)
}

#[track_caller]
fn check_fixed_point(expected: &str) {
    let got = reemit(expected);
    if got != expected {
        let diff = similar::TextDiff::from_lines(expected, got.as_str());
        panic!(
            "emit differs from kustomize output:\n{}",
            diff.unified_diff().header("kustomize", "emit")
        );
    }
}

#[test]
fn tricky_strings_fixed_point() {
    check_fixed_point(include_str!("testdata/tricky.out.yaml"));
}

#[test]
fn tricky_strings_from_input() {
    let expected = include_str!("testdata/tricky.out.yaml");
    let got = reemit(include_str!("testdata/tricky.in.yaml"));
    assert_eq!(got, expected);
}

#[test]
fn numbers_nesting_keys_fixed_point() {
    // A line separator is not a line break for YAML 1.2 readers, so the
    // single-quoted `ls` value does not read back as what kustomize printed.
    let expected = include_str!("testdata/nums.out.yaml");
    let expected: String = expected
        .lines()
        .filter(|l| !l.starts_with("  ls:"))
        .map(|l| format!("{l}\n"))
        .collect();
    check_fixed_point(&expected);
}

#[test]
fn numbers_nesting_keys_from_input() {
    let expected = include_str!("testdata/nums.out.yaml");
    let got = reemit(include_str!("testdata/nums.in.yaml"));
    assert_eq!(got, expected);
}

mod prop {
    use super::*;
    use crate::yaml::{Map, Pos};
    use proptest::prelude::*;

    const TRICKY: &[&str] = &[
        "",
        " ",
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Y",
        "true",
        "False",
        "null",
        "~",
        "012",
        "08",
        "0x1F",
        "0o17",
        "0b11",
        "1_000",
        "+5",
        "-1",
        "1e3",
        "1.5",
        ".5",
        ".inf",
        "-.inf",
        ".nan",
        "12:30",
        "1:20:30.5",
        "2024-01-01",
        "2024-1-2",
        "2024-01-01T10:00:00Z",
        "2024-01-01 10:00:00",
        "-",
        "- x",
        "-x",
        "---",
        "...",
        "? x",
        "?x",
        ": x",
        "a: b",
        "a:b",
        "a:",
        "a #b",
        "a#b",
        "#x",
        "&a",
        "*a",
        "!t",
        "|x",
        ">x",
        "'q'",
        "\"q\"",
        "%x",
        "@x",
        "`x",
        "{x",
        "[x]",
        ",x",
        " lead",
        "trail ",
        "a\tb",
        "a\nb",
        "a\nb\n",
        "a\nb\n\n",
        " a\nb",
        "\na",
        "\n",
        "\n\n",
        "a \nb",
        "a\r\nb",
        "smile 😀",
        "héllo",
        "a\u{a0}b",
        "a\u{1}b",
        "\u{feff}abc",
        "a\\b",
        "it's",
        "10.0.0.1",
        "1.2.3",
        "99999999999999999999",
    ];

    fn word() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "[a-zA-Z0-9 :#'\"\\-\\t\\n.,?!&*|>{}\\[\\]%@`éü😀\\\\]{0,12}",
        )
        .unwrap()
    }

    fn long_text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just("word".to_string()),
                Just("  ".to_string()),
                Just("x'y".to_string()),
                word()
            ],
            10..40,
        )
        .prop_map(|parts| parts.join(" "))
    }

    fn string() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => proptest::sample::select(TRICKY).prop_map(str::to_string),
            3 => word(),
            1 => long_text(),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::string::string_regex("[a-zA-Z][a-zA-Z0-9_.\\-]{0,10}").unwrap(),
            2 => string(),
            1 => long_text(),
        ]
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            (-1e30f64..1e30).prop_map(Value::Float),
            string().prop_map(Value::Str),
        ]
    }

    fn tree() -> impl Strategy<Value = Node> {
        let leaf = scalar().prop_map(|v| Node::new(v, Pos::none()));
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| Node::new(Value::Seq(v), Pos::none())),
                proptest::collection::vec((key(), inner), 0..6).prop_map(|kv| {
                    let m: Map = kv.into_iter().collect();
                    Node::new(Value::Map(m), Pos::none())
                }),
            ]
        })
    }

    fn doc() -> impl Strategy<Value = Node> {
        proptest::collection::vec((key(), tree()), 0..6).prop_map(|kv| {
            let m: Map = kv.into_iter().collect();
            Node::new(Value::Map(m), Pos::none())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn emit_then_parse_roundtrips(d in doc()) {
            let text = emit_docs(&[&d]);
            let back = parse_stream(&text, "prop.yaml", &ParseOptions::resource())
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
            prop_assert_eq!(back.len(), 1, "{}", text);
            prop_assert_eq!(&back[0], &d, "{}", text);
            // Emitting is idempotent.
            prop_assert_eq!(emit_docs(&[&back[0]]), text);
        }
    }
}

#[test]
fn key_order_unicode_folding_fixed_point() {
    check_fixed_point(include_str!("testdata/keys.out.yaml"));
}

#[test]
fn key_order_unicode_folding_from_input() {
    // kustomize sorts resources (Namespace first); the input order here is
    // ConfigMap, Thing, Namespace, so compare document by document.
    let expected = include_str!("testdata/keys.out.yaml");
    let docs = parse(include_str!("testdata/keys.in.yaml"));
    let mut want: Vec<&str> = expected.split("---\n").collect();
    want.sort();
    let mut got: Vec<String> = docs.iter().map(emit_node).collect();
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn key_order_matches_go_yaml_pairs() {
    let pairs = [
        ("-x", "1"),
        ("1", "A"),
        ("A", "Yes"),
        ("Yes", "a-b"),
        ("a-b", "a.b"),
        ("a.b", "a_b"),
        ("a_b", "a9"),
        ("a9", "a09"),
        ("a09", "a10"),
        ("a10", "aB"),
        ("A_", "Ab"),
        ("a  1", "a 1"),
        ("z", "é"),
    ];
    for (a, b) in pairs {
        assert!(key_less(a, b), "{a} < {b}");
        assert!(!key_less(b, a), "!({b} < {a})");
    }
}

#[test]
fn cyclic_key_order_is_independent_of_source_order() {
    let keys = ["v1beta1", "v2alpha1", "v10", "v1", "0a", "1a", "01"];
    let mut outs = Vec::new();
    for rot in 0..keys.len() {
        let mut m = crate::yaml::Map::default();
        for i in 0..keys.len() {
            m.insert(keys[(i + rot) % keys.len()].to_string(), Node::null());
        }
        outs.push(emit_node(&Node::new(
            Value::Map(m),
            crate::yaml::Pos::none(),
        )));
    }
    assert!(outs.windows(2).all(|w| w[0] == w[1]), "{outs:#?}");
}

#[test]
fn format_float_matches_go() {
    let cases = [
        (0.5, "0.5"),
        (1.0, "1"),
        (-0.0, "-0"),
        (1e21, "1e+21"),
        (1e20, "1e+20"),
        (123456.7, "123456.7"),
        (1234567.5, "1.2345675e+06"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (2.5e-10, "2.5e-10"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
        (f64::INFINITY, ".inf"),
        (f64::NEG_INFINITY, "-.inf"),
        (f64::NAN, ".nan"),
    ];
    for (f, want) in cases {
        assert_eq!(format_float(f), want, "{f:e}");
    }
}

#[test]
fn documents_and_empty_output() {
    assert_eq!(emit_docs(&[]), "");
    let a = parse("a: 1\n").remove(0);
    let b = parse("b: [x]\n").remove(0);
    assert_eq!(emit_docs(&[&a, &b]), "a: 1\n---\nb:\n- x\n");
    assert_eq!(
        emit_node(&Node::new(Value::Str("x".into()), crate::yaml::Pos::none())),
        "x\n"
    );
}

#[test]
fn multiline_and_special_strings_fixed_point() {
    check_fixed_point(include_str!("testdata/more.out.yaml"));
}

#[test]
fn multiline_and_special_strings_from_input() {
    let expected = include_str!("testdata/more.out.yaml");
    assert_eq!(reemit(include_str!("testdata/more.in.yaml")), expected);
}

#[test]
fn escapes_for_characters_kustomize_cannot_read() {
    // Not reachable through kustomize's reader, but printed as go-yaml v2 would.
    let s = |v: &str| emit_node(&Node::new(Value::Str(v.into()), crate::yaml::Pos::none()));
    assert_eq!(s("a\u{0}b"), "\"a\\0b\"\n");
    // U+0085 folds as a line break in kustomize's JSON-to-YAML step.
    assert_eq!(s("a\u{85}b"), "a b\n");
    assert_eq!(s("a \u{85}\u{85} b\u{85}"), "\"a\\nb \"\n");
    assert_eq!(s("a\u{7f}b"), "\"a\\x7Fb\"\n");
    assert_eq!(s("a\u{fffe}b"), "\"a\\uFFFEb\"\n");
    assert_eq!(s("😀"), "\"\\U0001F600\"\n");
}
