//! `promotion-order`: an environment may receive only a change that the
//! environment before it already shows at base.

use super::{source_pos, Rule};
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::diff::{ChangeAction, OverlayDiff, ResourceChange};
use crate::error::Result;
use crate::model::Resource;
use crate::policy::config::cluster_key;
use crate::policy::promotion::{self, find_resource, show, Norm};
use crate::policy::RuleContext;
use crate::yaml::Pos;
use std::collections::HashMap;

/// The rule.
pub static RULE: Rule = Rule {
    id: "promotion-order",
    default_severity: Severity::Error,
    summary:
        "An environment may receive only a change that the environment before it already shows.",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"
**What it checks.** A change to an environment declared `after: P` passes only if P
already shows the same change at base. For every changed field of every changed
resource, P's counterpart overlay at base must have that resource with the same new
value. The counterpart is the overlay whose path differs only by the environment
word (`blue-preprod` for `blue-prod`); when there is none, any overlay of P will do.
Resources are matched by kind and their name before prefixes, suffixes and hash
suffixes. Values that differ only by the environment's own name transformations
(namespace, name prefix/suffix, hash suffix) count as the same. Removals likewise: a
field or resource removed here must already be absent in P. The violation names
each field that P is missing, with both values.

**Why.** Promotion is the safety net: prod only receives what preprod has already
run. A change that lands in prod first (or in both at once) skips that net.

**How to satisfy it.** Make the change in P first, merge it, let it run, then
promote the same change to the next environment. Without a configuration file the
chain is dev -> test -> staging/preprod -> prod.

**Example.** With `prod: { after: preprod }`, setting `image: app:1.3` in
`overlays/prod` fails while `overlays/preprod` still renders `app:1.2` at base; it
passes once the preprod change has merged.
"#;

/// A field or resource the previous environment does not show yet.
struct Missing {
    message: String,
    pos: Pos,
    at_base: bool,
}

/// One overlay's finding: the environment, its predecessor, the overlay, the
/// candidate it was compared with, and the diagnostic.
struct Finding {
    env: String,
    prev: String,
    overlay: String,
    candidate: Option<String>,
    diag: Diagnostic,
}

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let cfg = cx.config;
    let mut found: Vec<Finding> = Vec::new();
    // The normalised base render of each candidate, learnt once: every
    // changed overlay of an environment is compared with the same candidates.
    let mut norms: HashMap<String, Norm> = HashMap::new();
    for o in cx.changed_overlays() {
        let Some(env) = cx.env_of(&o.path).and_then(|e| cfg.env(e)) else {
            continue;
        };
        let Some(prev) = previous_with_overlays(cx, env.after.as_deref()) else {
            continue;
        };
        if let Some((candidate, diag)) = judge_overlay(cx, o, &env.name, prev, &mut norms) {
            found.push(Finding {
                env: env.name.clone(),
                prev: prev.to_string(),
                overlay: o.path.clone(),
                candidate,
                diag,
            });
        }
    }
    Ok(group_by_environment(cx, found))
}

/// The nearest earlier environment that has overlays at base: an environment
/// of the chain with no overlay at all (an inferred `staging` in a repository
/// without one) is skipped, not demanded.
fn previous_with_overlays<'a>(cx: &'a RuleContext, after: Option<&'a str>) -> Option<&'a str> {
    let has_overlays = |name: &str| cx.sides.base.keys().any(|p| cx.env_of(p) == Some(name));
    let mut prev = after;
    let mut hops = 0;
    while let Some(p) = prev {
        if has_overlays(p) || hops > cx.config.environments.len() {
            break;
        }
        prev = cx.config.env(p).and_then(|e| e.after.as_deref());
        hops += 1;
    }
    prev
}

/// One diagnostic per environment, listing each overlay and the fields its
/// predecessor is missing.
fn group_by_environment(cx: &RuleContext, found: Vec<Finding>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for env in cx.config.environments.iter().map(|e| &e.name) {
        let group: Vec<&Finding> = found.iter().filter(|f| &f.env == env).collect();
        let Some(first) = group.first() else {
            continue;
        };
        let prev = &first.prev;
        let mut d = first.diag.clone();
        d.message =
            format!("{env} is changed before {prev}: {prev} does not show the same change at base");
        d.label = format!("{prev} does not have this yet");
        d.notes.clear();
        let mut cands: Vec<&str> = Vec::new();
        for f in &group {
            let cand = f.candidate.as_deref().unwrap_or("(no overlay)");
            d.notes
                .push(format!("{} (compared with {cand} at base):", f.overlay));
            d.notes
                .extend(f.diag.notes.iter().map(|n| format!("  {n}")));
            if let Some(c) = f.candidate.as_deref() {
                if !cands.contains(&c) {
                    cands.push(c);
                }
            }
        }
        d.help = format!(
            "make the same change in {prev} first ({}), merge it, then promote it to {env}",
            cands.join(", ")
        );
        out.push(d);
    }
    out
}

/// The overlays of `prev` at base, the counterpart of `o` first.
fn candidates<'a>(cx: &'a RuleContext, o: &OverlayDiff, prev: &str) -> Vec<&'a String> {
    let key = |p: &str| match cx.assign.get(p) {
        Some(a) => cluster_key(p, a),
        None => cluster_key(p, &cx.config.assign(p)),
    };
    let own = key(&o.path);
    let mut cands: Vec<&String> = cx
        .sides
        .base
        .keys()
        .filter(|p| cx.env_of(p) == Some(prev))
        .collect();
    cands.sort_by_key(|p| key(p) != own);
    cands
}

fn first_source(o: &OverlayDiff) -> Pos {
    o.changes
        .iter()
        .flat_map(|c| {
            c.fields
                .iter()
                .filter_map(|f| f.source.as_ref())
                .chain(c.origin.as_ref())
        })
        .next()
        .map(source_pos)
        .unwrap_or_default()
}

/// Judge one changed overlay of `env` against the overlays of `prev` at base.
/// `None` when one of them already shows every change.
fn judge_overlay(
    cx: &RuleContext,
    o: &OverlayDiff,
    env: &str,
    prev: &str,
    norms: &mut HashMap<String, Norm>,
) -> Option<(Option<String>, Diagnostic)> {
    let cands = candidates(cx, o, prev);
    if cands.is_empty() {
        let d = Diagnostic::new(
            RULE.id,
            format!("{env} is changed, but {prev}, which must show the change first, has no overlay at base"),
            Span::at(&first_source(o), Side::Head),
        )
        .with_label(format!("changes {}", o.path))
        .with_note(format!("{prev} has no overlay at base"))
        .with_help(format!("add an overlay for {prev} and make the change there first"));
        return Some((None, d));
    }
    let head_res = cx.sides.head.get(&o.path).map(Vec::as_slice).unwrap_or(&[]);
    let head_norm = Norm::of(head_res);
    // Judge against each candidate; pass when one shows the change.
    let mut best: Option<(String, Vec<Missing>)> = None;
    for cand in &cands {
        let pres = &cx.sides.base[*cand];
        let pnorm: &Norm = norms
            .entry((*cand).clone())
            .or_insert_with(|| Norm::of(pres));
        let mut missing: Vec<Missing> = Vec::new();
        // The first candidate that misses something is the one reported, so
        // later candidates only need to know whether they miss anything: they
        // stop at the first difference (1,200 overlays stay linear-ish).
        let quick = best.is_some();
        for ch in &o.changes {
            let cmp = Compare {
                cx,
                overlay: &o.path,
                cand,
                pres,
                pnorm,
                head_norm: &head_norm,
                quick,
            };
            cmp.change(ch, &mut missing);
            if quick && !missing.is_empty() {
                break;
            }
        }
        if missing.is_empty() {
            return None;
        }
        if best.is_none() {
            best = Some(((*cand).clone(), missing));
        }
    }
    let (cand, missing) = best?;
    let (pos, at_base) = missing
        .first()
        .map(|m| (m.pos.clone(), m.at_base))
        .unwrap_or_default();
    let n = missing.len();
    let mut d = Diagnostic::new(
        RULE.id,
        format!(
            "{env} is changed before {prev}: {} does not show {} at base",
            o.path,
            if n == 1 {
                "this change".to_string()
            } else {
                format!("{n} of these changes")
            }
        ),
        Span::at(&pos, if at_base { Side::Base } else { Side::Head }),
    )
    .with_label(format!("{prev} ({cand}) does not have this yet"))
    .with_help(format!(
        "make the same change in {prev} first ({cand}), merge it, then promote it to {env}"
    ));
    d.notes = missing.iter().take(10).map(|m| m.message.clone()).collect();
    if n > 10 {
        d.notes.push(format!("... and {} more", n - 10));
    }
    Some((Some(cand), d))
}

/// Comparing one overlay's changes with one candidate overlay of the previous environment.
struct Compare<'a> {
    cx: &'a RuleContext<'a>,
    overlay: &'a str,
    cand: &'a str,
    pres: &'a [Resource],
    pnorm: &'a Norm,
    head_norm: &'a Norm,
    /// Stop at the first missing change (only whether anything is missing matters).
    quick: bool,
}

impl Compare<'_> {
    fn change(&self, ch: &ResourceChange, missing: &mut Vec<Missing>) {
        let src = ch
            .fields
            .iter()
            .find_map(|f| f.source.as_ref())
            .or(ch.origin.as_ref())
            .map(source_pos)
            .unwrap_or_default();
        let miss = |message: String, pos: &Pos, at_base: bool| Missing {
            message,
            pos: pos.clone(),
            at_base,
        };
        let (cand, sides) = (self.cand, self.cx.sides);
        match ch.action {
            ChangeAction::Removed => {
                let Some(br) = sides.base_resource(self.overlay, ch) else {
                    return;
                };
                if find_resource(self.pres, &ch.kind, &promotion::base_name(br)).is_some() {
                    missing.push(miss(
                        format!(
                            "{} {} is removed here but still present in {cand}",
                            ch.kind, ch.name
                        ),
                        &src,
                        true,
                    ));
                }
            }
            ChangeAction::Added => {
                let Some(hr) = sides.head_resource(self.overlay, ch) else {
                    return;
                };
                let bn = promotion::base_name(hr);
                match find_resource(self.pres, &ch.kind, &bn) {
                    None => missing.push(miss(
                        format!("{} {bn} is added here but absent from {cand}", ch.kind),
                        &src,
                        false,
                    )),
                    Some(pr) => self.added(ch, hr, pr, &bn, &src, missing),
                }
            }
            ChangeAction::Modified => self.modified(ch, &src, missing),
        }
    }

    fn added(
        &self,
        ch: &ResourceChange,
        hr: &Resource,
        pr: &Resource,
        bn: &str,
        src: &Pos,
        missing: &mut Vec<Missing>,
    ) {
        let cand = self.cand;
        let pl = promotion::leaves(&pr.node);
        for (path, v) in promotion::leaves(&hr.node) {
            if self.quick && !missing.is_empty() {
                return;
            }
            let pv = pl
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, x)| self.pnorm.apply(x));
            if pv.as_ref() != Some(&self.head_norm.apply(&v)) {
                let (here, there) = if ch.secret {
                    (
                        "set".to_string(),
                        if pv.is_some() { "different" } else { "absent" }.to_string(),
                    )
                } else {
                    (show(Some(&v)), show(pv.as_ref()))
                };
                missing.push(Missing {
                    message: format!(
                        "{} {bn}: {path} is {here} here but {there} in {cand}",
                        ch.kind
                    ),
                    pos: src.clone(),
                    at_base: false,
                });
            }
        }
    }

    fn modified(&self, ch: &ResourceChange, src: &Pos, missing: &mut Vec<Missing>) {
        let (cand, sides) = (self.cand, self.cx.sides);
        let (Some(hr), br) = (
            sides.head_resource(self.overlay, ch),
            sides.base_resource(self.overlay, ch),
        ) else {
            return;
        };
        let bn = promotion::base_name(br.unwrap_or(hr));
        let Some(pr) = find_resource(self.pres, &ch.kind, &bn)
            .or_else(|| find_resource(self.pres, &ch.kind, &promotion::base_name(hr)))
        else {
            missing.push(Missing {
                message: format!("{} {bn} is changed here but absent from {cand}", ch.kind),
                pos: src.clone(),
                at_base: false,
            });
            return;
        };
        for f in &ch.fields {
            if self.quick && !missing.is_empty() {
                return;
            }
            let fsrc = f
                .source
                .as_ref()
                .map(source_pos)
                .unwrap_or_else(|| src.clone());
            let hv = f
                .path
                .eval(&hr.node)
                .map(|n| self.head_norm.apply(&n.to_json()));
            let pv = f
                .path
                .eval(&pr.node)
                .map(|n| self.pnorm.apply(&n.to_json()));
            if hv == pv {
                continue;
            }
            let shown_new = f.path.eval(&hr.node).map(|n| n.to_json());
            let shown_p = f.path.eval(&pr.node).map(|n| n.to_json());
            let secret = |s: &str, v: Option<&serde_json::Value>| {
                if ch.secret {
                    s.to_string()
                } else {
                    show(v)
                }
            };
            let message = if hv.is_none() {
                format!(
                    "{} {bn}: {} is removed here but still {} in {cand}",
                    ch.kind,
                    f.path,
                    secret("set", shown_p.as_ref())
                )
            } else {
                format!(
                    "{} {bn}: {} is {} here but {} in {cand}",
                    ch.kind,
                    f.path,
                    secret("changed", shown_new.as_ref()),
                    secret("different", shown_p.as_ref())
                )
            };
            missing.push(Missing {
                message,
                pos: fsrc,
                at_base: hv.is_none(),
            });
        }
    }
}
