//! SARIF 2.1.0 for `manifest-gate check --format sarif` (GitHub code scanning
//! and other SARIF consumers), through typed structs. One run; rule metadata
//! comes from the rule registry; each finding is a result located at its
//! source file and line (repository-relative, under `%SRCROOT%`).

use super::Undecided;
use crate::diagnostic::{Diagnostic, Severity, Side};
use crate::policy::rules::{self, Rule};
use crate::policy::CheckOutcome;
use serde::Serialize;
use std::collections::BTreeMap;

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";
/// The schema URI written into `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The top-level SARIF log.
#[derive(Serialize)]
pub struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    original_uri_base_ids: BTreeMap<&'static str, UriBase>,
    automation_details: Automation,
    results: Vec<SarifResult>,
    /// One invocation, whose notifications are the outcome notes
    /// (unrenderable overlays the change does not reach, excluded overlays).
    invocations: Vec<Invocation>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    semantic_version: &'static str,
    rules: Vec<RuleMeta>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleMeta {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    default_configuration: Level,
    properties: Tags,
}

#[derive(Serialize)]
struct Level {
    level: &'static str,
}

#[derive(Serialize)]
struct Tags {
    tags: [&'static str; 3],
}

#[derive(Serialize)]
struct UriBase {
    description: Text,
}

#[derive(Serialize)]
struct Automation {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: Physical,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties<'a> {
    decided: bool,
    base: &'a str,
    head: &'a str,
    passed: bool,
    configuration: &'a str,
    touched_environments: Vec<String>,
    unassigned_overlays: &'a [String],
    overlays: crate::diff::Summary,
}

/// The "What it checks." section of a rule's docs (up to "Why."), as one line.
fn what_it_checks(md: &str) -> String {
    const WHAT: &str = "**What it checks.**";
    let Some(start) = md.find(WHAT).map(|i| i + WHAT.len()) else {
        return String::new();
    };
    let rest = &md[start..];
    let end = rest.find("**Why.**").unwrap_or(rest.len());
    rest[..end].split_whitespace().collect::<Vec<_>>().join(" ")
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

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
        Severity::Off => "none",
    }
}

fn rule_meta(r: &Rule) -> RuleMeta {
    let md = r.explain();
    RuleMeta {
        id: r.id,
        name: pascal(r.id),
        short_description: Text {
            text: r.summary.to_string(),
        },
        full_description: Text {
            text: what_it_checks(r.docs),
        },
        help: Help {
            text: md.replace("**", ""),
            markdown: md,
        },
        default_configuration: Level {
            level: level(r.default_severity),
        },
        properties: Tags {
            tags: ["kubernetes", "kustomize", "gitops"],
        },
    }
}

/// A short hex digest.
fn fingerprint(s: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(s.as_bytes());
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A location in `file` (repository-relative); 0 means unknown.
fn location(file: &str, line: u32, column: u32, end_line: u32, end_column: u32) -> Location {
    let nz = |n: u32| (n > 0).then_some(n);
    let region = nz(line).map(|start_line| Region {
        start_line,
        start_column: nz(column),
        end_line: nz(end_line),
        end_column: nz(end_column),
    });
    Location {
        physical_location: Physical {
            artifact_location: Artifact {
                uri: file.to_string(),
                uri_base_id: "%SRCROOT%",
            },
            region,
        },
    }
}

fn result(d: &Diagnostic) -> SarifResult {
    let mut text = d.message.clone();
    if d.span.side == Side::Base {
        text.push_str(" (the location refers to the base revision)");
    }
    if !d.label.is_empty() {
        text.push_str(&format!(" ({})", d.label));
    }
    for n in &d.notes {
        text.push_str(&format!("\n{n}"));
    }
    if !d.help.is_empty() {
        text.push_str(&format!("\nhelp: {}", d.help));
    }
    let mut r = SarifResult {
        rule_id: d.rule,
        rule_index: rules::rank(d.rule),
        level: level(d.severity),
        message: Text { text },
        locations: Vec::new(),
        partial_fingerprints: BTreeMap::new(),
    };
    if let Some(file) = d.span.path.as_deref() {
        r.locations.push(location(
            file,
            d.span.line,
            d.span.column,
            d.span.end_line,
            d.span.end_column,
        ));
        // Stable across runs: rule, file and message (not the line, which moves).
        r.partial_fingerprints.insert(
            "manifestGate/v1",
            fingerprint(&format!("{}\0{file}\0{}", d.rule, d.message)),
        );
    }
    r
}

/// The outcome notes as SARIF notifications: the summary line, each
/// unrenderable overlay the change does not reach (with its cause) and the
/// excluded overlays.
fn notifications(o: &CheckOutcome) -> Vec<Notification> {
    use crate::diff::outcome::shown;
    let note = |text: String| Notification {
        level: "note",
        message: Text { text },
        locations: Vec::new(),
    };
    let r = &o.report;
    let mut out = vec![note(r.summary_line())];
    for (path, u) in r.unrenderable_notes() {
        out.push(note(format!(
            "{} does not render at {} and this change does not reach it (not judged): {}",
            shown(path),
            u.side,
            u.cause
        )));
    }
    let ex = r.excluded();
    if !ex.is_empty() {
        let list: Vec<&str> = ex.iter().map(|p| shown(p)).collect();
        out.push(note(format!(
            "excluded by the configuration (not rendered): {}",
            list.join(", ")
        )));
    }
    out
}

/// The one run of a log, around its results, invocation and properties.
fn log_of<'a>(
    results: Vec<SarifResult>,
    invocation: Invocation,
    properties: RunProperties<'a>,
) -> Log<'a> {
    let mut bases = BTreeMap::new();
    bases.insert(
        "%SRCROOT%",
        UriBase {
            description: Text {
                text: "The repository root.".into(),
            },
        },
    );
    Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "manifest-gate",
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: rules::all().iter().map(|r| rule_meta(r)).collect(),
                },
            },
            original_uri_base_ids: bases,
            automation_details: Automation {
                id: "manifest-gate/",
            },
            results,
            invocations: vec![invocation],
            properties,
        }],
    }
}

/// The SARIF log.
pub fn log(o: &CheckOutcome) -> Log<'_> {
    let results = o
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Off)
        .map(result)
        .collect();
    let invocation = Invocation {
        execution_successful: true,
        tool_execution_notifications: notifications(o),
    };
    let properties = RunProperties {
        decided: true,
        base: &o.base,
        head: &o.head,
        passed: o.passed(),
        configuration: &o.config_source,
        touched_environments: o.touched_environments(),
        unassigned_overlays: &o.unassigned,
        overlays: o.report.summary(),
    };
    log_of(results, invocation, properties)
}

/// The SARIF log of a run that could not decide: no results, and one
/// invocation with `executionSuccessful: false` whose error notification
/// names the cause (located at the file it names, when known).
pub fn log_undecided<'a>(u: &Undecided<'a>) -> Log<'a> {
    let locations = u
        .file()
        .map(|f| vec![location(f, u.line(), 0, 0, 0)])
        .unwrap_or_default();
    let invocation = Invocation {
        execution_successful: false,
        tool_execution_notifications: vec![Notification {
            level: "error",
            message: Text {
                text: format!("manifest-gate could not decide: {}", u.cause()),
            },
            locations,
        }],
    };
    let properties = RunProperties {
        decided: false,
        base: u.base,
        head: u.head,
        passed: false,
        configuration: "",
        touched_environments: Vec::new(),
        unassigned_overlays: &[],
        overlays: Default::default(),
    };
    log_of(Vec::new(), invocation, properties)
}

/// The SARIF log of a run that could not decide, pretty-printed.
pub fn render_undecided(u: &Undecided<'_>) -> String {
    super::to_json(&log_undecided(u))
}

/// The SARIF log, pretty-printed and newline-terminated.
pub fn render(o: &CheckOutcome) -> String {
    super::to_json(&log(o))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;

    #[test]
    fn rules_and_results() {
        let d = Diagnostic::new(
            "unexpected-kind",
            "role.yaml holds a Deployment",
            Span::line("apps/role.yaml", 12, Side::Head),
        )
        .with_label("kind: Deployment")
        .with_help("move it");
        let o = CheckOutcome {
            base: "main".into(),
            head: "HEAD".into(),
            config_source: "inferred".into(),
            diagnostics: vec![d],
            ..Default::default()
        };
        let s = serde_json::to_value(log(&o)).unwrap();
        assert_eq!(s["version"], "2.1.0");
        let run = &s["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), rules::all().len());
        assert_eq!(rules[0]["id"], "single-environment");
        assert!(rules[1]["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with("A changed YAML file"));
        assert!(rules[1]["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("(c) a file matching"));
        assert_eq!(rules[3]["defaultConfiguration"]["level"], "warning");
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
