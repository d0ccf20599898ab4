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
        panic!("emit differs from kustomize output:\n{}", diff.unified_diff().header("kustomize", "emit"));
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
    let expected: String = expected.lines().filter(|l| !l.starts_with("  ls:")).map(|l| format!("{l}\n")).collect();
    check_fixed_point(&expected);
}

#[test]
fn numbers_nesting_keys_from_input() {
    let expected = include_str!("testdata/nums.out.yaml");
    let got = reemit(include_str!("testdata/nums.in.yaml"));
    assert_eq!(got, expected);
}
