//! The README is part of the product: the rule texts `explain` prints appear in it
//! verbatim, and `.ci/run` runs the test command it gives a newcomer.

const README: &str = include_str!("../README.md");

#[test]
fn readme_rules_section_matches_explain() {
    for rule in ["single-environment", "unexpected-kind", "promotion-order"] {
        let text = manifest_gate::policy::explain(rule).expect("rule exists");
        // The README shows the text under a `### `rule`` heading instead of `# rule`.
        let body = text.split_once('\n').map(|x| x.1).unwrap_or(text).trim();
        assert!(
            README.contains(body),
            "README's rules section is out of date for {rule}"
        );
    }
}

#[test]
fn ci_runs_the_readme_test_command() {
    let ci = include_str!("../.ci/run");
    assert!(
        README.contains("cargo test --release"),
        "README lost its test command"
    );
    assert!(
        ci.contains("\ncargo test --release\n"),
        ".ci/run must run the README's test command"
    );
}
