//! SARIF 2.1.0 for `manifest-gate check --format sarif` (GitHub code scanning
//! and other SARIF consumers). One run; rule metadata comes from the texts of
//! `manifest-gate explain`; each finding is a result located at its source
//! file and line (repository-relative, under `%SRCROOT%`).

use crate::policy::{self, CheckOutcome, Severity, Side, Violation};
use serde_json::{json, Value};

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";
/// The schema URI written into `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

const CONFIG_EDIT_HELP: &str = "# config-edit\n\n**What it checks.** Whether the change edits the gate's own \
configuration file, `.manifest-gate.yaml`. The gate always judges a change with the configuration at base.\n\n\
**Why.** A change cannot loosen its own gate.\n\n**How to satisfy it.** Merge the configuration change on its \
own first, then the change it enables.\n";

/// Every rule id that can appear in a result, in order.
fn rule_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = policy::RULES.to_vec();
    ids.push("config-edit");
    ids
}

fn help_text(rule: &str) -> &'static str {
    policy::explain(rule).unwrap_or(CONFIG_EDIT_HELP)
}

/// The "What it checks." section of a rule's explanation (up to "Why."), as one line.
fn what_it_checks(md: &str) -> String {
    let start = md
        .find("**What it checks.**")
        .map(|i| i + "**What it checks.**".len());
    let Some(start) = start else {
        return String::new();
    };
    let rest = &md[start..];
    let end = rest.find("**Why.**").unwrap_or(rest.len());
    rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One line per rule.
fn short_description(id: &str) -> Option<&'static str> {
    Some(match id {
        "single-environment" => "A change may touch at most one environment, judged on the rendered manifests.",
        "unexpected-kind" => "A changed YAML file may hold only the kinds its name (or its `kinds:` entry) announces.",
        "promotion-order" => "An environment may receive only a change that the environment before it already shows.",
        "config-edit" => "The change edits the gate's own configuration, which is judged with the base version.",
        _ => return None,
    })
}

/// The first sentence of a paragraph.
fn first_sentence(s: &str) -> String {
    match s.find(". ") {
        Some(i) => s[..=i].to_string(),
        None => s.to_string(),
    }
}

/// `single-environment` → `SingleEnvironment`.
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn rule(id: &str) -> Value {
    let md = help_text(id);
    let full = what_it_checks(md);
    let plain: String = md.replace("**", "");
    json!({
        "id": id,
        "name": pascal(id),
        "shortDescription": { "text": short_description(id).map(str::to_string).unwrap_or_else(|| first_sentence(&full)) },
        "fullDescription": { "text": full },
        "help": { "text": plain, "markdown": md },
        "defaultConfiguration": {
            "level": if id == "config-edit" { "warning" } else { "error" }
        },
        "properties": { "tags": ["kubernetes", "kustomize", "gitops"] }
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Off => "none",
    }
}

fn result(v: &Violation, rule_index: usize) -> Value {
    let mut text = v.message.clone();
    if v.side == Side::Base {
        text.push_str(" (the location refers to the base revision)");
    }
    if !v.label.is_empty() {
        text.push_str(&format!(" ({})", v.label));
    }
    for n in &v.notes {
        text.push_str(&format!("\n{n}"));
    }
    if !v.help.is_empty() {
        text.push_str(&format!("\nhelp: {}", v.help));
    }
    let mut r = json!({
        "ruleId": v.rule,
        "ruleIndex": rule_index,
        "level": level(v.severity),
        "message": { "text": text },
    });
    if let Some(file) = v.pos.file.as_deref() {
        let mut phys = json!({
            "artifactLocation": { "uri": file, "uriBaseId": "%SRCROOT%" },
        });
        if v.pos.line > 0 {
            let mut region = json!({ "startLine": v.pos.line });
            if v.pos.col > 0 {
                region["startColumn"] = json!(v.pos.col);
            }
            phys["region"] = region;
        }
        r["locations"] = json!([{ "physicalLocation": phys }]);
        // Stable across runs: rule, file and message (not the line, which moves).
        r["partialFingerprints"] = json!({
            "manifestGate/v1": fingerprint(&format!("{}\0{file}\0{}", v.rule, v.message))
        });
    }
    r
}

/// A short hex digest.
fn fingerprint(s: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(s.as_bytes());
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The SARIF log as a JSON value.
pub fn sarif_value(o: &CheckOutcome) -> Value {
    let ids = rule_ids();
    let rules: Vec<Value> = ids.iter().map(|id| rule(id)).collect();
    let results: Vec<Value> = o
        .violations
        .iter()
        .filter(|v| v.severity != Severity::Off)
        .map(|v| {
            let idx = ids.iter().position(|r| *r == v.rule).unwrap_or(0);
            result(v, idx)
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {
                "driver": {
                    "name": "manifest-gate",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "The repository root." } }
            },
            "automationDetails": { "id": "manifest-gate/" },
            "results": results,
            "properties": {
                "base": o.base,
                "head": o.head,
                "passed": o.passed(),
                "configuration": o.config_source,
                "touchedEnvironments": o.touched_environments(),
                "unassignedOverlays": o.unassigned,
            }
        }]
    })
}

/// The SARIF log, pretty-printed and newline-terminated.
pub fn render_sarif(o: &CheckOutcome) -> String {
    let mut s = serde_json::to_string_pretty(&sarif_value(o)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Pos;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    #[test]
    fn rules_and_results() {
        let v = Violation::new(
            "unexpected-kind",
            Severity::Error,
            "role.yaml holds a Deployment".into(),
            &Pos::new(&Arc::from("apps/role.yaml"), 12, 1),
            Side::Head,
            "kind: Deployment".into(),
            "move it".into(),
        );
        let o = CheckOutcome {
            base: "main".into(),
            head: "HEAD".into(),
            config_source: "inferred".into(),
            touched: vec![],
            unassigned: vec![],
            violations: vec![v],
            diff: Value::Null,
            report: Default::default(),
            texts: BTreeMap::new(),
        };
        let s = sarif_value(&o);
        assert_eq!(s["version"], "2.1.0");
        let run = &s["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 4);
        assert_eq!(rules[0]["id"], "single-environment");
        assert!(rules[1]["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with("A changed YAML file"));
        assert!(rules[1]["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("(c) a file matching"));
        let r = &run["results"][0];
        assert_eq!(r["ruleId"], "unexpected-kind");
        assert_eq!(r["ruleIndex"], 1);
        assert_eq!(
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            12
        );
        assert_eq!(pascal("promotion-order"), "PromotionOrder");
    }
}
