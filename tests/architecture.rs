//! The dependency rule of ARCHITECTURE.md, checked on the source text: a stage
//! never imports a later one, only `src/source/` uses git2, and every rule id is
//! spelled once in the non-test code of `src/` (in its rule's file).

use std::path::{Path, PathBuf};

/// The non-test code of every `.rs` file under `src/`: comment lines dropped,
/// and everything from the first `#[cfg(test)]` on (test modules come last).
fn sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let e = e.expect("walk src/");
        let p: PathBuf = e.path().to_path_buf();
        if p.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let rel = p
            .strip_prefix(root.parent().unwrap())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.ends_with("/tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&p).expect("read source");
        let code: Vec<&str> = text
            .lines()
            .take_while(|l| l.trim() != "#[cfg(test)]")
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        out.push((rel, code.join("\n")));
    }
    assert!(out.len() > 50, "found the sources");
    out
}

#[test]
fn only_source_uses_git2() {
    for (file, code) in sources() {
        if file.starts_with("src/source/") {
            continue;
        }
        assert!(
            !code.contains("git2::") && !code.contains("use git2"),
            "{file} uses git2: only src/source/ may"
        );
    }
}

#[test]
fn no_stage_imports_a_later_one() {
    // Each stage, and the modules it must not name.
    let later: &[(&str, &[&str])] = &[
        (
            "src/source/",
            &["diff", "policy", "report", "forge", "gate", "kustomize"],
        ),
        (
            "src/kustomize/",
            &["diff", "policy", "report", "forge", "gate"],
        ),
        ("src/diff/", &["policy", "report", "forge", "gate"]),
        ("src/policy/", &["report", "forge", "gate"]),
        ("src/report/", &["forge", "gate"]),
        ("src/forge/", &["gate"]),
        ("src/diagnostic.rs", &["policy", "report", "forge", "gate"]),
    ];
    for (file, code) in sources() {
        for (stage, banned) in later {
            if !file.starts_with(stage) {
                continue;
            }
            for m in *banned {
                for pat in [
                    format!("crate::{m}::"),
                    format!("crate::{m}}}"),
                    format!("crate::{m};"),
                ] {
                    assert!(
                        !code.contains(&pat),
                        "{file} ({stage}) names the later stage `{m}`"
                    );
                }
            }
        }
    }
}

#[test]
fn every_rule_id_is_spelled_once() {
    let srcs = sources();
    for rule in manifest_gate::policy::rules::RULES {
        let lit = format!("\"{}\"", rule.id);
        let places: Vec<&str> = srcs
            .iter()
            .filter(|(_, code)| code.contains(&lit))
            .map(|(f, _)| f.as_str())
            .collect();
        let count: usize = srcs.iter().map(|(_, c)| c.matches(&lit).count()).sum();
        assert_eq!(count, 1, "{} is spelled in {places:?}", rule.id);
        assert!(
            places[0].starts_with("src/policy/rules/"),
            "{} is defined outside the registry folder: {places:?}",
            rule.id
        );
    }
    // Pack rule ids live in their pack file only.
    for rule in manifest_gate::policy::packs::rules() {
        let lit = format!("\"{}\"", rule.rule.id);
        let places: Vec<&str> = srcs
            .iter()
            .filter(|(_, code)| code.contains(&lit))
            .map(|(f, _)| f.as_str())
            .collect();
        assert!(
            places.is_empty(),
            "pack rule {} is spelled in {places:?}",
            rule.rule.id
        );
    }
}
