use super::*;

fn p(s: &str) -> Vec<Node> {
    parse_stream(s, "f.yaml", &ParseOptions::resource()).unwrap()
}

#[test]
fn positions_and_types() {
    let d = p("a: 1\nb:\n  c: yes\n  d: '1'\n  e: 0777\n  f: 2001-12-14\n");
    assert_eq!(d.len(), 1);
    let n = &d[0];
    assert_eq!(n.get("a").unwrap().value, Value::Int(1));
    assert_eq!(n.get_path(&["b", "c"]).unwrap().as_str(), Some("yes"));
    assert_eq!(n.get_path(&["b", "d"]).unwrap().as_str(), Some("1"));
    assert_eq!(n.get_path(&["b", "e"]).unwrap().value, Value::Int(511));
    assert_eq!(
        n.get_path(&["b", "f"]).unwrap().as_str(),
        Some("2001-12-14T00:00:00Z")
    );
    assert_eq!(n.get_path(&["b", "c"]).unwrap().pos.line, 3);
    assert_eq!(n.get_path(&["b", "c"]).unwrap().pos.col, 6);
}

#[test]
fn block_scalar_at_unterminated_eof_has_no_final_newline() {
    let d = p("a: |\n  x\n  y");
    assert_eq!(d[0].get("a").unwrap().as_str(), Some("x\ny"));
    let d = p("a: |\n  x\n  y\n");
    assert_eq!(d[0].get("a").unwrap().as_str(), Some("x\ny\n"));
    let d = p("a: >\n  x\n  y\n# c");
    assert_eq!(d[0].get("a").unwrap().as_str(), Some("x y\n"));
    let d = p("b: 1\na: |+\n  x");
    assert_eq!(d[0].get("a").unwrap().as_str(), Some("x"));
}

#[test]
fn timestamps_as_go_parses_them() {
    let t = |s: &str| parse_timestamp(s);
    assert_eq!(t("2024-02-29").as_deref(), Some("2024-02-29T00:00:00Z"));
    assert_eq!(t("2024-1-01").as_deref(), Some("2024-01-01T00:00:00Z"));
    assert_eq!(t("2024-13-01"), None);
    assert_eq!(t("2023-02-29"), None);
    assert_eq!(t("2024-02-30"), None);
    assert_eq!(
        t("2001-12-14T21:59:43.10-05:00").as_deref(),
        Some("2001-12-14T21:59:43.1-05:00")
    );
    assert_eq!(
        t("2001-12-14t21:59:43.10Z").as_deref(),
        Some("2001-12-14T21:59:43.1Z")
    );
    assert_eq!(t("2001-12-14 21:59:43.10 -5"), None);
    assert_eq!(
        t("2001-12-14 1:2:3").as_deref(),
        Some("2001-12-14T01:02:03Z")
    );
}

#[test]
fn big_integers_and_raw_text() {
    let d = p("a: 18446744073709551615\nb: 0x1F\nc:\nd: ~\n");
    assert_eq!(
        d[0].get("a").unwrap().raw.as_deref().and_then(exact_uint),
        Some(u64::MAX)
    );
    assert_eq!(d[0].get("b").unwrap().raw.as_deref(), Some("0x1F"));
    assert!(d[0].get("c").unwrap().is_empty_null());
    assert!(!d[0].get("d").unwrap().is_empty_null());
}

#[test]
fn numbers_start_with_a_digit_sign_or_dot() {
    // Fuzz find: `_0` was read as the float 0.
    let d = p("a: _0\nb: _1.5\nc: 1_0\nd: -1_0\ne: .5\n");
    assert_eq!(d[0].get("a").unwrap().as_str(), Some("_0"));
    assert_eq!(d[0].get("b").unwrap().as_str(), Some("_1.5"));
    assert_eq!(d[0].get("c").unwrap().value, Value::Int(10));
    assert_eq!(d[0].get("d").unwrap().value, Value::Int(-10));
    assert_eq!(d[0].get("e").unwrap().value, Value::Float(0.5));
}

#[test]
fn timestamps_need_a_valid_date() {
    // Fuzz find: `5000-01-00` became a timestamp string, kustomize keeps it.
    let d = p("a: 5000-01-00\nb: 2023-02-29\nc: 2024-02-29\nd: 2024-1-5\ne: 2024-13-01\n");
    let s = |k: &str| d[0].get(k).unwrap().as_str().unwrap().to_string();
    assert_eq!(s("a"), "5000-01-00");
    assert_eq!(s("b"), "2023-02-29");
    assert_eq!(s("c"), "2024-02-29T00:00:00Z");
    assert_eq!(s("d"), "2024-01-05T00:00:00Z");
    assert_eq!(s("e"), "2024-13-01");
}

#[test]
fn line_separators_are_breaks_as_in_libyaml() {
    // Fuzz find: kustomize prints U+2028 raw in single-quoted and literal
    // scalars, followed by indentation; libyaml reads that indentation away.
    let d = p("a: 'x\u{2028}    y'\nb: 'x\u{2028}\n    y'\nc: |\n  x\u{2028}  y\n  z\nd: \"x\\L  y\"\ne: 'p  \u{2029}  q'\nf:\n  g: >-\n    x\u{2028}     y\n");
    let s = |k: &str| d[0].get(k).unwrap().as_str().unwrap().to_string();
    assert_eq!(s("a"), "x\u{2028}y");
    assert_eq!(s("b"), "x\u{2028}\ny");
    assert_eq!(s("c"), "x\u{2028}y\nz\n");
    assert_eq!(s("d"), "x\u{2028}  y");
    assert_eq!(s("e"), "p\u{2029}q");
    assert_eq!(d[0].str_at(&["f", "g"]), Some("x\u{2028} y"));
}

#[test]
fn yaml11_booleans_in_kustomizations() {
    let d = parse_stream("namespace: y\n", "k.yaml", &ParseOptions::kustomization()).unwrap();
    assert_eq!(d[0].get("namespace").unwrap().value, Value::Bool(true));
}

#[test]
fn merge_keys() {
    let d = p("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
    let m = d[0].get("m").unwrap();
    assert_eq!(m.get("x").unwrap().value, Value::Int(1));
    assert_eq!(m.get("y").unwrap().value, Value::Int(3));
}

#[test]
fn alias_bomb_fails_fast() {
    let bomb = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    let e = parse_stream(bomb, "bomb.yaml", &ParseOptions::resource()).unwrap_err();
    assert!(e.msg.contains("alias"), "{e}");
    assert_eq!(e.pos.file.as_deref(), Some("bomb.yaml"));
}

#[test]
fn duplicate_keys() {
    let e = parse_stream("a: 1\na: 2\n", "f.yaml", &ParseOptions::resource()).unwrap_err();
    assert_eq!(e.pos.line, 2);
    let d = parse_stream("a: 1\na: 2\n", "k.yaml", &ParseOptions::kustomization()).unwrap();
    assert_eq!(d[0].get("a").unwrap().value, Value::Int(2));
}

#[test]
fn multi_doc_and_empty() {
    let d = p("---\na: 1\n---\n# only a comment\n---\nb: 2\n");
    assert_eq!(d.iter().filter(|n| !n.is_null()).count(), 2);
}

#[test]
fn malformed_has_line() {
    let e = parse_stream("a: 1\nb: [\n", "bad.yaml", &ParseOptions::resource()).unwrap_err();
    assert!(e.to_string().starts_with("bad.yaml:"), "{e}");
}

#[test]
fn deep_nesting_is_refused() {
    let s = "[".repeat(10_000);
    let e = parse_stream(&s, "deep.yaml", &ParseOptions::resource()).unwrap_err();
    assert!(
        e.msg.contains("nesting") || e.msg.contains("malformed"),
        "{e}"
    );
}

#[test]
fn decode_bom_and_invalid() {
    assert_eq!(decode(b"\xEF\xBB\xBFa: 1", "f").unwrap(), "a: 1");
    assert_eq!(decode(b"\xFF\xFEa\x00", "f").unwrap(), "a");
    let e = decode(b"a: 1\nb: \xff\n", "bin.yaml").unwrap_err();
    assert_eq!(e.pos.line, 2);
}

#[test]
fn overflowing_floats_stay_strings() {
    // Fuzz find: yaml.v3 keeps a float literal that overflows as a string; reading it
    // as +Inf made the emitter's plain output parse back differently.
    let d = p("a: 1e999\nb: -2.5e400\nc: 1e300\nd: .inf\n");
    assert_eq!(d[0].get("a").unwrap().as_str(), Some("1e999"));
    assert_eq!(d[0].get("b").unwrap().as_str(), Some("-2.5e400"));
    assert_eq!(d[0].get("c").unwrap().value, Value::Float(1e300));
    assert_eq!(d[0].get("d").unwrap().value, Value::Float(f64::INFINITY));
}

#[test]
fn a_leading_dot_keeps_its_underscores_as_go_parse_float_does() {
    // Proptest find: `._0` was read as the float 0 (kubectl keeps `._0` and `.0_`
    // as strings, reads `.0_0` and `-._0` as 0 and `1_0.5` as 10.5).
    let d = p("a: ._0\nb: .0_\nc: .0_0\nd: -._0\ne: 1_0.5\n");
    assert_eq!(d[0].get("a").unwrap().as_str(), Some("._0"));
    assert_eq!(d[0].get("b").unwrap().as_str(), Some(".0_"));
    assert_eq!(d[0].get("c").unwrap().value, Value::Float(0.0));
    assert_eq!(d[0].get("d").unwrap().value, Value::Float(-0.0));
    assert_eq!(d[0].get("e").unwrap().value, Value::Float(10.5));
}

#[test]
fn flow_collections_read_whatever_their_indentation_as_libyaml() {
    let d = p("a:\n  b: [\n  1,\n2\n  ]\n  c: {x: 1,\ny: 2}\n");
    let b = d[0].get_path(&["a", "b"]).unwrap().as_seq().unwrap();
    assert_eq!(
        b.iter().map(|n| n.value.clone()).collect::<Vec<_>>(),
        [Value::Int(1), Value::Int(2)]
    );
    // positions are those of the file as written
    assert_eq!((b[0].pos.line, b[0].pos.col), (3, 3));
    assert_eq!((b[1].pos.line, b[1].pos.col), (4, 1));
    let y = d[0].get_path(&["a", "c", "y"]).unwrap();
    assert_eq!(
        (y.value.clone(), y.pos.line, y.pos.col),
        (Value::Int(2), 7, 4)
    );
    // other bad indentation is still refused, with the original error
    let e = parse_stream(
        "a:\n    b: 1\n  c: 2\n",
        "f.yaml",
        &ParseOptions::resource(),
    )
    .unwrap_err();
    assert!(e.msg.contains("malformed YAML"), "{e}");
    assert_eq!(e.pos.line, 3);
}

#[test]
fn block_scalars_indented_by_a_tab_are_refused_as_libyaml_does() {
    let k = |s: &str| parse_stream(s, "k.yaml", &ParseOptions::kustomization());
    let r = |s: &str| parse_stream(s, "r.yaml", &ParseOptions::kyaml());
    for s in [
        "a: |\n  \tx\n",
        "a: >-  # c\n\n  \tx\nb: 1\n",
        "- |\n   \t\n   x\n",
    ] {
        let e = k(s).unwrap_err();
        assert!(e.msg.contains("found a tab character"), "{s:?}: {e}");
    }
    // an indicator makes the tab content when read...
    let d = k("a: |1\n  \tx\n").unwrap();
    assert_eq!(d[0].get("a").unwrap().as_str(), Some(" \tx\n"));
    let d = k("a: |2\n  \tx\n").unwrap();
    assert_eq!(d[0].get("a").unwrap().as_str(), Some("\tx\n"));
    // ...but kustomize cannot write a value starting with a tab back out
    assert!(r("a: |2\n  \tx\n").is_err());
    assert_eq!(
        r("a: |2\n\n  \tx\n").unwrap()[0].get("a").unwrap().as_str(),
        Some("\n\tx\n")
    );
    // a tab after content, and tabs in quoted scalars, are fine
    assert!(r("a: |\n  x\n  \ty\nb: \"\\tz\"\n").is_ok());
}
