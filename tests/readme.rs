//! The README is part of the product: the rule texts `explain` prints appear in it
//! verbatim, and `.ci/run` runs the test command it gives a newcomer.

const README: &str = include_str!("../README.md");

/// The `### \`id\`` headings of the README's `## Rules` section.
fn readme_rule_headings() -> Vec<String> {
    let section = README
        .split_once("\n## Rules\n")
        .expect("README has a Rules section")
        .1;
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter_map(|l| l.strip_prefix("### `")?.strip_suffix('`'))
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_rules_section_matches_the_registry() {
    // The whole registry: the built-in rules, then the rules of every embedded pack.
    let all = manifest_gate::policy::rules::all();
    let ids: Vec<String> = all.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(
        readme_rule_headings(),
        ids,
        "README rule headings != registry"
    );
    for rule in all {
        // The README shows the text under a `### `rule`` heading instead of `# rule`.
        let text = manifest_gate::policy::explain(rule.id).expect("rule exists");
        let body = text.split_once('\n').map(|x| x.1).unwrap_or(&text).trim();
        let expected = format!("### `{}`\n\n{body}\n", rule.id);
        assert!(
            README.contains(&expected),
            "README's rules section is out of date for {}",
            rule.id
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
