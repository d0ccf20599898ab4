//! Rule packs: rules defined as data in `policies/packs/*.yaml` (embedded in
//! the binary), selected with `packs: [name]` in the configuration.
//!
//! Each pack rule is a registry rule like the built-in ones (`rules`,
//! `explain`, SARIF metadata, severity overrides, the README): its id, default
//! severity, summary and documentation come from the YAML, which is the only
//! place the id is spelled. A rule has a `match` (kinds, environments, path
//! globs over the overlay directory or the resource's source file) and a test:
//! either a JSON Schema the head resource must satisfy (`schema:`, validated
//! with the `jsonschema` crate) or a built-in check (`check:`, see
//! [`builtin`]) where a schema cannot say it: a field removed between base and
//! head, a value changed (from/to), a numeric decrease, and the workload
//! checks that read pod specs through k8s-openapi's typed structs.
//!
//! Rules run on what the change touches: added and modified resources (removed
//! ones for the deletion check). Under `check --all` every rendered resource is
//! an addition.

mod builtin;
mod load;
pub mod settings;
mod workload;

pub use settings::PackSelection;

use super::rules::Rule;
use super::RuleContext;
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::diff::{ChangeAction, OverlayDiff, ResourceChange};
use crate::error::Result;
use crate::model::Resource;
use globset::GlobSet;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The embedded packs: (file name, text).
const SOURCES: &[(&str, &str)] = &[(
    "policies/packs/production-lessons.yaml",
    include_str!("../../../policies/packs/production-lessons.yaml"),
)];

/// One pack.
#[derive(Debug)]
pub struct Pack {
    /// Its name (`production-lessons`), as selected in the configuration.
    pub name: String,
    /// One line: what the pack is for.
    pub summary: String,
    /// Parameters and their defaults (`daemonset-max-cpu: "1"`), as quantities.
    pub params: BTreeMap<String, f64>,
    /// Its rules, in file order.
    pub rules: Vec<PackRule>,
}

/// One data-defined rule.
pub struct PackRule {
    /// The registry entry (id, severity, summary, docs).
    pub rule: Rule,
    /// The pack it belongs to.
    pub pack: &'static str,
    /// The diagnostic's message.
    pub message: String,
    /// How to satisfy it (the diagnostic's help).
    pub help: String,
    /// Which resources it judges.
    pub scope: Scope,
    /// What it demands.
    pub(crate) test: Test,
}

impl std::fmt::Debug for PackRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackRule")
            .field("id", &self.rule.id)
            .finish()
    }
}

/// A pack rule's `match`.
#[derive(Debug, Default)]
pub struct Scope {
    /// Kinds (empty: every kind).
    pub kinds: Vec<String>,
    /// Environments (empty: every environment, and unassigned overlays).
    pub environments: Vec<String>,
    /// Globs over the overlay directory or the resource's source file.
    pub paths: Option<GlobSet>,
}

/// What a pack rule demands.
pub(crate) enum Test {
    /// The head resource satisfies this JSON Schema.
    Schema(Box<jsonschema::Validator>),
    /// A built-in check.
    Builtin(builtin::Check),
}

/// One finding of a test: where, and what is there.
pub(crate) struct Finding {
    pub span: Span,
    pub label: String,
    pub note: Option<String>,
}

/// Every embedded pack. The packs are part of the binary, so a malformed one is
/// a build defect: `packs_parse` in the tests loads every one.
pub static PACKS: LazyLock<Vec<Pack>> = LazyLock::new(|| {
    SOURCES
        .iter()
        .map(|(file, text)| {
            load::pack(text, file).unwrap_or_else(|e| panic!("embedded pack {file}: {e}"))
        })
        .collect()
});

/// A pack by name.
pub fn pack(name: &str) -> Option<&'static Pack> {
    PACKS.iter().find(|p| p.name == name)
}

/// The names of the embedded packs.
pub fn names() -> Vec<&'static str> {
    PACKS.iter().map(|p| p.name.as_str()).collect()
}

/// Every pack rule, in pack then file order.
pub fn rules() -> impl Iterator<Item = &'static PackRule> {
    PACKS.iter().flat_map(|p| p.rules.iter())
}

/// One resource change as a pack rule sees it.
pub(crate) struct Target<'a> {
    pub change: &'a ResourceChange,
    pub base: Option<&'a Resource>,
    pub head: Option<&'a Resource>,
    /// The HorizontalPodAutoscalers of the overlay at head.
    pub hpas: &'a [&'a Resource],
    /// The selection's parameters over the pack's defaults.
    pub params: &'a BTreeMap<String, f64>,
}

/// Evaluate every rule of the selected packs over the change. Diagnostics carry
/// their pack rule's id; the registry runner sets the configured severity. (This
/// is the `check` of every pack rule's registry entry: pack rules are evaluated
/// together, once.)
pub fn run(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for sel in &cx.config.packs {
        let Some(pack) = pack(&sel.name) else {
            continue;
        };
        let mut params = pack.params.clone();
        params.extend(sel.params.iter().map(|(k, v)| (k.clone(), *v)));
        for rule in &pack.rules {
            if cx.config.severity(rule.rule.id) == Severity::Off {
                continue;
            }
            for d in run_rule(cx, rule, &params)? {
                let key = (
                    d.span.path.clone(),
                    d.span.line,
                    d.span.column,
                    d.label.clone(),
                );
                if seen.insert((rule.rule.id, key)) {
                    out.push(d);
                }
            }
        }
    }
    Ok(out)
}

fn run_rule(
    cx: &RuleContext,
    rule: &PackRule,
    params: &BTreeMap<String, f64>,
) -> Result<Vec<Diagnostic>> {
    let mut out = Vec::new();
    for o in cx.changed_overlays() {
        let env = cx.env_of(&o.path);
        // An environment matches by name, or by the name it means (`production` is prod).
        let means = |e: &str, x: &str| {
            e == x || crate::topology::environment_of(e, &[]).0.as_deref() == Some(x)
        };
        if !rule.scope.environments.is_empty()
            && !env.is_some_and(|e| rule.scope.environments.iter().any(|x| means(e, x)))
        {
            continue;
        }
        let head_all = cx.sides.head.get(&o.path).map_or(&[][..], Vec::as_slice);
        let hpas: Vec<&Resource> = head_all
            .iter()
            .filter(|r| r.kind() == "HorizontalPodAutoscaler")
            .collect();
        for c in &o.changes {
            if !in_scope(&rule.scope, o, c) {
                continue;
            }
            let t = Target {
                change: c,
                base: cx.sides.base_resource(&o.path, c),
                head: cx.sides.head_resource(&o.path, c),
                hpas: &hpas,
                params,
            };
            for f in evaluate(&rule.test, &t)? {
                let mut d = Diagnostic::new(rule.rule.id, rule.message.clone(), f.span)
                    .with_label(f.label)
                    .with_note(format!(
                        "{} in {} (pack {})",
                        c.display_id(),
                        o.path,
                        rule.pack
                    ));
                if let Some(n) = f.note {
                    d = d.with_note(n);
                }
                if !rule.help.is_empty() {
                    d = d.with_help(rule.help.clone());
                }
                out.push(d);
            }
        }
    }
    Ok(out)
}

fn in_scope(s: &Scope, o: &OverlayDiff, c: &ResourceChange) -> bool {
    if !s.kinds.is_empty() && !s.kinds.contains(&c.kind) {
        return false;
    }
    match &s.paths {
        None => true,
        Some(g) => {
            g.is_match(o.dir()) || c.origin.as_ref().is_some_and(|src| g.is_match(&src.path))
        }
    }
}

fn evaluate(test: &Test, t: &Target) -> Result<Vec<Finding>> {
    match test {
        Test::Schema(v) => Ok(schema_findings(v, t)),
        Test::Builtin(c) => c.run(t),
    }
}

/// A schema rule judges the head resource of an addition or modification.
fn schema_findings(v: &jsonschema::Validator, t: &Target) -> Vec<Finding> {
    let Some(head) = t.head.filter(|_| t.change.action != ChangeAction::Removed) else {
        return Vec::new();
    };
    let json = head.node.to_json();
    let mut out = Vec::new();
    for e in v.iter_errors(&json).take(20) {
        let mut node = &head.node;
        let mut shown = Vec::new();
        for seg in e.instance_path().iter() {
            let next = match &seg {
                jsonschema::paths::LocationSegment::Property(k) => {
                    shown.push(k.to_string());
                    node.get(k)
                }
                jsonschema::paths::LocationSegment::Index(i) => {
                    shown.push(format!("[{i}]"));
                    node.as_seq().and_then(|s| s.get(*i))
                }
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        let at = if shown.is_empty() {
            "the resource".to_string()
        } else {
            shown.join(".").replace(".[", "[")
        };
        out.push(Finding {
            span: Span::at(&node.pos, Side::Head),
            label: format!("{at} does not satisfy the rule's schema"),
            // The value itself is masked: it may be a Secret's.
            note: Some(format!("schema: {}", e.masked())),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_parse() {
        assert!(names().contains(&"production-lessons"));
        for r in rules() {
            assert!(r.rule.docs.contains("**What it checks.**"), "{}", r.rule.id);
            assert!(!r.message.is_empty(), "{}", r.rule.id);
        }
    }
}
