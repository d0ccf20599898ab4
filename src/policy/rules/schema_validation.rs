//! `schema-validation`: resources the change adds or modifies must satisfy the
//! Kubernetes schema of their kind (for `kubernetes-version`) or the schema of
//! their CustomResourceDefinition in the rendered output.

use super::Rule;
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::diff::{ChangeAction, OverlayDiff, ResourceChange};
use crate::error::Result;
use crate::model::Resource;
use crate::policy::schema::{crd::SchemaBudget, Finding, SchemaSource, Validators, Verdict};
use crate::policy::RuleContext;
use std::collections::{BTreeMap, BTreeSet};

/// The rule.
pub static RULE: Rule = Rule {
    id: "schema-validation",
    default_severity: Severity::Error,
    summary: "Added or modified resources must satisfy the schema of their kind (Kubernetes OpenAPI or their CRD).",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"
**What it checks.** Every resource the change adds or modifies, as rendered at head:
built-in kinds against the Kubernetes schema of `kubernetes-version` (configuration
key, default the newest embedded version; schemas for 1.25 to 1.37 are embedded),
custom resources against the `openAPIV3Schema` of their CustomResourceDefinition
found in the rendered output at head (matched by group, version and kind). Unknown
fields (as the API server's strict field validation rejects them), wrong types,
missing required fields, values outside an `enum` and the other schema keywords are
each reported at the source line that produced the value: the patch file and line
when a patch set it. On a modified resource, a violation already present at base is
not reported. A kind with no schema (no CRD in the repository, or an API version the
target Kubernetes does not serve) is reported once as *not validated*, a note that
never fails the check. Not checked: CEL rules (`x-kubernetes-validations`),
`format`s, and what only the API server knows (defaulting, admission).

**Why.** `kubectl apply` rejects these only at deploy time, after the merge: a
misspelt `imagePullPolicyy` or `replicas: "3"` set by an overlay patch breaks the
rollout of one environment, often the one nobody rendered by hand.

**How to satisfy it.** Fix the field the diagnostic points at (`kubectl explain
<kind>.<field>` shows the schema). For a custom resource, the schema is the CRD's in
the repository; if the CRD is installed from elsewhere, the resource is only noted
as not validated.

**Example.** An overlay patch that sets `imagePullPolicyy: Always` on a container
fails, pointing at that line of the patch file: `unknown field`. A patch that sets
`replicas: "3"` fails at its line: `wrong type: a string`, expected an integer.
"#;

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let changed = cx.changed_overlays();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let head_all = cx.sides.head.values().flatten();
    let mut v = Validators::new(
        cx.config.kubernetes_version,
        head_all,
        &SchemaBudget::default(),
    )?;
    let mut out = Vec::new();
    // One diagnostic per (line, field, finding); other overlays it shows in are noted.
    let mut seen: BTreeMap<(Span, String, String), usize> = BTreeMap::new();
    let mut noted: BTreeSet<(String, String)> = BTreeSet::new();
    for o in changed {
        for c in &o.changes {
            if c.action == ChangeAction::Removed {
                continue;
            }
            let Some(r) = cx.sides.head_resource(&o.path, c) else {
                continue;
            };
            match v.validate(r)? {
                Verdict::Checked(found, source) => {
                    let at_base = base_findings(cx, &mut v, o, c)?;
                    for f in found {
                        if at_base.contains(&(f.field.clone(), f.message.clone())) {
                            continue;
                        }
                        let d = diagnostic(r, o, &f, &source, c);
                        let key = (d.span.clone(), f.field.clone(), f.message.clone());
                        match seen.get(&key) {
                            Some(&i) => also_in(&mut out[i], &o.path),
                            None => {
                                seen.insert(key, out.len());
                                out.push(d);
                            }
                        }
                    }
                }
                Verdict::NoSchema(why) => {
                    let key = (r.api_version().to_string(), r.kind().to_string());
                    if noted.insert(key) {
                        out.push(not_validated(r, c, &why));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// (field, message) of the violations the base side of a modified resource already has.
fn base_findings(
    cx: &RuleContext,
    v: &mut Validators<'_>,
    o: &OverlayDiff,
    c: &ResourceChange,
) -> Result<BTreeSet<(String, String)>> {
    if c.action != ChangeAction::Modified {
        return Ok(BTreeSet::new());
    }
    let Some(base) = cx.sides.base_resource(&o.path, c) else {
        return Ok(BTreeSet::new());
    };
    Ok(match v.validate(base)? {
        Verdict::Checked(found, _) => found.into_iter().map(|f| (f.field, f.message)).collect(),
        Verdict::NoSchema(_) => BTreeSet::new(),
    })
}

fn who(r: &Resource) -> String {
    let ns = r.namespace();
    if ns.is_empty() {
        format!("{} {}", r.kind(), r.name())
    } else {
        format!("{} {ns}/{}", r.kind(), r.name())
    }
}

fn span_of(f_pos: &crate::yaml::Pos, r: &Resource, c: &ResourceChange) -> Span {
    if f_pos.file.is_some() {
        return Span::at(f_pos, Side::Head);
    }
    if r.origin.file.is_some() {
        return Span::at(&r.origin, Side::Head);
    }
    c.origin
        .as_ref()
        .map(|s| Span::at(&super::source_pos(s), Side::Head))
        .unwrap_or_else(Span::none)
}

fn diagnostic(
    r: &Resource,
    o: &OverlayDiff,
    f: &Finding,
    source: &SchemaSource,
    c: &ResourceChange,
) -> Diagnostic {
    let against = match source {
        SchemaSource::Builtin(ver) => format!(
            "validated against the Kubernetes {ver} schema of {} {}",
            r.api_version(),
            r.kind()
        ),
        SchemaSource::Crd { name, origin } => {
            format!("validated against CustomResourceDefinition '{name}' ({origin})")
        }
    };
    let field = if f.field.is_empty() {
        "(the object)"
    } else {
        &f.field
    };
    let help = match (&f.expected, f.message.as_str()) {
        (_, "unknown field") => {
            "fix the field's spelling or remove it: the API server rejects unknown fields"
                .to_string()
        }
        (Some(e), m) if m.starts_with("wrong type") => format!("write a value of type {e}"),
        (Some(e), _) => format!("the schema wants {e}"),
        (None, m) if m.starts_with("missing required") => "add the field".to_string(),
        (None, _) => format!("see `kubectl explain {}`", r.kind().to_ascii_lowercase()),
    };
    Diagnostic::new(
        RULE.id,
        format!("{}: {field}: {}", who(r), f.message),
        span_of(&f.pos, r, c),
    )
    .with_label(f.message.clone())
    .with_help(help)
    .with_note(against)
    .with_note(format!("in the rendered output of {}", o.path))
}

/// Note another overlay whose rendered output has the same finding (at most 10 named).
fn also_in(d: &mut Diagnostic, overlay: &str) {
    let named = d.notes.iter().filter(|n| n.starts_with("also in ")).count();
    match named {
        0..=9 => d
            .notes
            .push(format!("also in the rendered output of {overlay}")),
        10 => d.notes.push("also in other overlays".to_string()),
        _ => {}
    }
}

fn not_validated(r: &Resource, c: &ResourceChange, why: &str) -> Diagnostic {
    Diagnostic::new(
        RULE.id,
        format!("{} {} is not validated: {why}", r.api_version(), r.kind()),
        span_of(&r.origin, r, c),
    )
    .with_label("no schema for this kind")
    .with_help("add the CustomResourceDefinition to the repository to validate its resources; this note never fails the check")
    .with_note(format!("first seen on {}", who(r)))
    // A note: never a failure, whatever the rule's severity.
    .with_severity(Severity::Note)
}
