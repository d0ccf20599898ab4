//! The gate's judgement: the configuration (`.manifest-gate.yaml`), the
//! environment of every overlay, and the rules of [`rules::RULES`] run over one
//! [`RuleContext`].
//!
//! This stage reads no git and renders nothing: the pipeline driver
//! ([`crate::gate`]) hands it the rendered diff, the changed files and the two
//! sources; [`evaluate`] returns the diagnostics, and [`CheckOutcome`] is what
//! the output layer ([`crate::report`]) prints.

pub mod config;
mod context;
mod counterpart;
pub mod packs;
pub mod promotion;
pub mod rego;
pub mod rules;
pub mod schema;
pub mod topology;

pub use crate::diagnostic::{Diagnostic, Label, Severity, Side, Span};
pub use config::{Config, CONFIG_FILE};
pub use context::{read_text, LoadedConfig, RuleContext, Touched};

use crate::diff::DiffReport;
use crate::error::Result;
use std::collections::{BTreeMap, BTreeSet};

/// The default configuration file, as documented.
pub const DEFAULT_CONFIG: &str = include_str!("../../policies/default.yaml");

/// What `manifest-gate explain RULE` prints, from the registry.
pub fn explain(rule: &str) -> Option<String> {
    rules::lookup(rule).map(rules::Rule::explain)
}

/// The source lines a snippet shows, by (side, path).
pub type Snippets = BTreeMap<(Side, String), String>;

/// What a check found: the input to every renderer.
#[derive(Clone, Debug, Default)]
pub struct CheckOutcome {
    /// Base revision as given.
    pub base: String,
    /// Head revision as given.
    pub head: String,
    /// Where the configuration came from (`.manifest-gate.yaml at base`, a path, or inferred).
    pub config_source: String,
    /// Environments with at least one changed overlay, in promotion order.
    pub touched: Vec<Touched>,
    /// Changed overlays that match no environment (not counted by the other rules).
    pub unassigned: Vec<String>,
    /// Findings (errors and warnings), in rule order.
    pub diagnostics: Vec<Diagnostic>,
    /// The rendered diff.
    pub report: DiffReport,
    /// Source texts for snippets, Secret value lines redacted.
    pub texts: Snippets,
    /// What the run's mode changes about the verdict (`check --all`), for every output.
    pub notes: Vec<String>,
}

impl CheckOutcome {
    /// True when no diagnostic is at error level.
    pub fn passed(&self) -> bool {
        !self
            .diagnostics
            .iter()
            .any(|v| v.severity == Severity::Error)
    }
    /// 0 when passed, 1 when a rule at error level failed.
    pub fn exit_code(&self) -> u8 {
        if self.passed() {
            0
        } else {
            1
        }
    }
    /// Names of the touched environments.
    pub fn touched_environments(&self) -> Vec<String> {
        self.touched.iter().map(|t| t.env.clone()).collect()
    }
    /// Number of diagnostics at `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
    /// The rules that failed at error level, in report order, each once.
    pub fn failed_rules(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for d in self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
        {
            if !out.contains(&d.rule) {
                out.push(d.rule);
            }
        }
        out
    }
}

/// Give every overlay of `report` the environment the configuration assigns it
/// (`None` for unassigned overlays).
/// GitOps deployments keep the environment their cluster or destination gave them.
pub fn set_environments(cfg: &Config, report: &mut DiffReport) {
    for o in report
        .overlays
        .iter_mut()
        .filter(|o| o.deployment.is_none())
    {
        o.environment = cfg.assign(&o.path).env;
    }
}

/// Run the rules and collect the snippets their diagnostics point at.
pub fn evaluate(cx: &RuleContext) -> Result<(Vec<Diagnostic>, Snippets)> {
    let diagnostics = rules::run(cx)?;
    let mut texts = Snippets::new();
    for d in &diagnostics {
        let Some(file) = d.span.path.as_deref() else {
            continue;
        };
        let key = (d.span.side, file.to_string());
        if texts.contains_key(&key) {
            continue;
        }
        if let Some(t) = cx.text(d.span.side, file)? {
            texts.insert(key, t);
        }
    }
    // Source lines of Secret values are never shown in a snippet.
    let secret_lines = secret_source_lines(cx.diff, cx.sides);
    for ((_, file), text) in texts.iter_mut() {
        if let Some(lines) = secret_lines.get(file.as_str()) {
            *text = redact_lines(text, lines);
        }
        // Secret-like lines no overlay renders (a one-line Secret in a flow mapping).
        *text = crate::kustomize::redact::redact_secret_lines(text);
    }
    Ok((diagnostics, texts))
}

/// (file -> lines) that produce a value of a Secret in the diff.
fn secret_source_lines<'a>(
    report: &'a DiffReport,
    sides: &'a crate::diff::RenderedSides,
) -> BTreeMap<&'a str, BTreeSet<u32>> {
    let mut out: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for o in &report.overlays {
        for c in o.changes.iter().filter(|c| c.secret) {
            // Every value line of the Secret at either side (an added Secret has
            // no field changes to name them).
            let both = [
                sides.base_resource(&o.path, c),
                sides.head_resource(&o.path, c),
            ];
            for r in both.into_iter().flatten() {
                for key in ["data", "stringData"] {
                    let Some(m) = r.node.get(key).and_then(crate::yaml::Node::as_map) else {
                        continue;
                    };
                    for v in m.values() {
                        if let Some(f) = v.pos.file.as_deref() {
                            out.entry(f).or_default().insert(v.pos.line);
                        }
                    }
                }
            }
            let srcs = c
                .fields
                .iter()
                .filter_map(|f| f.source.as_ref())
                .chain(c.origin.as_ref());
            for s in srcs {
                out.entry(s.path.as_str()).or_default().insert(s.line);
            }
        }
    }
    out
}

/// Replace the value part of the given (1-based) lines by `<redacted>`,
/// keeping the indentation and the key.
fn redact_lines(text: &str, lines: &BTreeSet<u32>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if !lines.contains(&(i as u32 + 1)) {
            out.push_str(line);
            continue;
        }
        let body = line.trim_end_matches(['\n', '\r']);
        let keep = match (body.find(": "), body.find('=')) {
            (Some(c), Some(e)) if e < c => e + 1,
            (Some(c), _) => c + 2,
            (None, Some(e)) => e + 1,
            (None, None) => body.len() - body.trim_start().len(),
        };
        out.push_str(&body[..keep]);
        out.push_str("<redacted>");
        out.push_str(&line[body.len()..]);
    }
    out
}

/// One overlay and how its environment was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlayInfo {
    /// Directory.
    pub path: String,
    /// Environment, None when unassigned.
    pub env: Option<String>,
    /// How that was decided.
    pub reason: String,
}

/// Every overlay in `dirs` with its environment: from the GitOps controllers'
/// topology for the overlays a controller object deploys, by path inference or
/// the configuration's globs for the rest.
pub fn overlay_table(
    cfg: &Config,
    dirs: Vec<String>,
    topo: &crate::topology::Topology,
) -> Vec<OverlayInfo> {
    dirs.into_iter()
        .map(|p| {
            if crate::diff::outcome::is_excluded(cfg.exclude_matcher.as_ref(), &p) {
                return OverlayInfo {
                    path: p,
                    env: None,
                    reason: "excluded by the configuration (not rendered)".to_string(),
                };
            }
            if let Some((envs, reason)) = topology::environments_of(topo, &p) {
                return OverlayInfo {
                    env: (!envs.is_empty()).then(|| envs.join(", ")),
                    path: p,
                    reason,
                };
            }
            let a = cfg.assign(&p);
            OverlayInfo {
                path: p,
                env: a.env,
                reason: a.reason,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_values_keeping_keys() {
        let lines: BTreeSet<u32> = [2, 3].into_iter().collect();
        assert_eq!(
            redact_lines("a: 1\n  password: hunter2\nTOKEN=abc\n", &lines),
            "a: 1\n  password: <redacted>\nTOKEN=<redacted>\n"
        );
    }
}
