//! `manifest-gate overlays`: a table of overlays, environments and reasons.

use super::escape;
use crate::policy::{Config, OverlayInfo};

/// The table, headed by the configuration's origin and environment chain.
pub fn render(cfg: &Config, source: &str, list: &[OverlayInfo]) -> String {
    let rows: Vec<(String, String, String)> = list
        .iter()
        .map(|o| {
            (
                escape::text(&o.path),
                o.env
                    .as_deref()
                    .map(escape::text)
                    .unwrap_or_else(|| "(unassigned)".to_string()),
                escape::text(&o.reason),
            )
        })
        .collect();
    let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(7).max(7);
    let ew = list
        .iter()
        .filter_map(|o| o.env.as_ref().map(String::len))
        .max()
        .unwrap_or(11)
        .max(11);
    let mut out = format!("configuration: {}\n", escape::text(source));
    let chain: Vec<String> = cfg
        .environments
        .iter()
        .map(|e| match &e.after {
            Some(a) => format!("{} (after {a})", e.name),
            None => e.name.clone(),
        })
        .collect();
    out.push_str(&format!(
        "environments: {}\n\n",
        escape::text(&chain.join(", "))
    ));
    out.push_str(&format!(
        "{:<w$}  {:<ew$}  {}\n",
        "OVERLAY", "ENVIRONMENT", "DECIDED BY"
    ));
    for (path, env, reason) in &rows {
        out.push_str(&format!("{path:<w$}  {env:<ew$}  {reason}\n"));
    }
    if list.is_empty() {
        out.push_str("(no overlays found)\n");
    }
    out
}

/// The GitOps topology: cluster → controller object (file:line) → path →
/// environment, and how each was decided; then what was not followed. Empty
/// when the repository holds no controller object.
pub fn topology(t: &crate::topology::Topology) -> String {
    if t.deployments.is_empty() && t.notes.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\ndeployments (from the repository's GitOps controller objects):\n");
    let mut last_cluster: Option<&str> = None;
    for d in &t.deployments {
        if last_cluster != Some(d.cluster.as_str()) {
            out.push_str(&format!("cluster {}\n", escape::text(&d.cluster)));
            last_cluster = Some(&d.cluster);
        }
        let path = if d.path.is_empty() { "." } else { &d.path };
        let env = d.environment.as_deref().unwrap_or("(unassigned)");
        out.push_str(&format!(
            "  {} {} ({})\n    -> {}  environment: {}\n    decided by: {}\n",
            d.controller.kind.label(),
            escape::text(&d.controller.name),
            escape::text(&d.controller.at.to_string()),
            escape::text(path),
            escape::text(env),
            escape::text(&d.reason)
        ));
    }
    if t.deployments.is_empty() {
        out.push_str("  (none)\n");
    }
    if !t.notes.is_empty() {
        out.push_str("not followed:\n");
        for n in &t.notes {
            out.push_str(&format!(
                "  {}: {}\n",
                escape::text(&n.at.to_string()),
                escape::text(&n.msg)
            ));
        }
    }
    out
}
