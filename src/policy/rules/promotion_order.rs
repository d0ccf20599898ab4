//! `promotion-order`: an environment may receive only a change that the
//! environment before it already shows at base.

use super::{source_pos, Rule};
use crate::diagnostic::{Diagnostic, Severity, Side, Span};
use crate::diff::{ChangeAction, OverlayDiff, ResourceChange};
use crate::error::Result;
use crate::model::Resource;
use crate::policy::counterpart::{Apps, Pairing};
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
already shows the same change at base. The change is compared per field and per list
element: for each map key that changes here, P's counterpart must have the new value;
lists of named items (containers, env) are compared item by item; scalar lists (`args`,
`command`, hosts) are multisets, so every element added here must already be in P's
list (and every element removed here gone from it), while environment-specific
elements elsewhere in the list do not matter.

The counterpart is an overlay of the *same app* in P: the overlay whose path differs
only by the environment word (`blue-preprod` for `blue-prod`; for GitOps deployments
the same directory in another cluster), a deployment whose controller object has the
same name but for environment words, or, when there is neither, an overlay rendering a
resource from the same source file as the changed one (the same base). When P has no overlay of that app, the
rule looks further back in the chain; when no earlier environment has one, it says so
in a note (a new app) and does not fail, unless an earlier environment gets an overlay
of that app in the same pull request (an error: not a preceding change). Resources are matched by kind and their name
before prefixes, suffixes and hash suffixes; values that differ only by the
environment's own name transformations (namespace, name prefix/suffix, hash suffix)
count as the same. Removals likewise: a field or resource removed here must already be
absent in P. The violation names each field that P is missing, with both values, and
says when P gets the same change in the same pull request (that is not a *preceding*
change: promote it there first).

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

/// One overlay's finding: the environment, the one it was compared with, the
/// overlay, the candidate it was compared with, and the diagnostic.
struct Finding {
    env: String,
    prev: String,
    overlay: String,
    candidate: Option<String>,
    diag: Diagnostic,
}

/// A changed overlay of `env` with no counterpart of its app in any earlier environment.
struct Unpaired {
    env: String,
    overlay: String,
    searched: Vec<String>,
    pos: Pos,
}

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let cfg = cx.config;
    let mut found: Vec<Finding> = Vec::new();
    let mut unpaired: Vec<Unpaired> = Vec::new();
    // The normalised base render of each candidate, learnt once: every
    // changed overlay of an environment is compared with the same candidates.
    let mut norms: HashMap<String, Norm> = HashMap::new();
    let mut apps: Option<Apps> = None;
    for o in cx.changed_overlays() {
        let Some(env) = cx.env_of(&o.path).and_then(|e| cfg.env(e)) else {
            continue;
        };
        if env.after.is_none() {
            continue;
        }
        let apps = apps.get_or_insert_with(|| Apps::of(cx));
        match apps.counterparts(cx, o, env.after.as_deref()) {
            Pairing::First => {}
            Pairing::Fresh { prev, cand } => found.push(fresh_finding(o, &env.name, prev, cand)),
            Pairing::None(searched) => unpaired.push(Unpaired {
                env: env.name.clone(),
                overlay: o.path.clone(),
                searched,
                pos: first_source(o),
            }),
            Pairing::Found {
                prev,
                cands,
                skipped,
            } => {
                if let Some((candidate, mut diag)) =
                    judge_overlay(cx, o, &env.name, &prev, &cands, &mut norms)
                {
                    for s in &skipped {
                        diag.notes.push(format!(
                            "{s} has no overlay of this app at base; compared with {prev}"
                        ));
                    }
                    found.push(Finding {
                        env: env.name.clone(),
                        prev,
                        overlay: o.path.clone(),
                        candidate,
                        diag,
                    });
                }
            }
        }
    }
    let mut out = group_by_environment(cx, found);
    out.extend(unpaired_notes(cx, &unpaired));
    Ok(out)
}

/// `o` changes while its app's overlay in `prev`, `cand`, is new in this pull request.
fn fresh_finding(o: &OverlayDiff, env: &str, prev: String, cand: String) -> Finding {
    let diag = Diagnostic::new(
        RULE.id,
        format!("{env} is changed before {prev}: {cand} does not exist at base"),
        Span::at(&first_source(o), Side::Head),
    )
    .with_note(format!("{cand} does not exist at base"))
    .with_note(format!(
        "{prev} gets this change in the same pull request; promote it there first"
    ));
    Finding {
        env: env.to_string(),
        prev,
        overlay: o.path.clone(),
        candidate: Some(cand),
        diag,
    }
}

/// One note per environment listing its changed overlays that no earlier
/// environment has a counterpart for: the rule cannot judge them.
fn unpaired_notes(cx: &RuleContext, unpaired: &[Unpaired]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for env in cx.config.environments.iter().map(|e| &e.name) {
        let group: Vec<&Unpaired> = unpaired.iter().filter(|u| &u.env == env).collect();
        let Some(first) = group.first() else {
            continue;
        };
        let searched = first.searched.join(", ");
        let either = first.searched.join(" or ");
        let mut d = Diagnostic::new(
            RULE.id,
            format!("{env} changes an app that no earlier environment ({searched}) has: promotion order not checked"),
            Span::at(&first.pos, Side::Head),
        )
        .with_label(format!("no overlay of this app in {either}"))
        .with_help(format!(
            "expected for a new app; otherwise give the app's overlay in {either} the same path but for the environment word, so the gate pairs them"
        ));
        d.severity = Severity::Note;
        d.notes = group.iter().take(10).map(|u| u.overlay.clone()).collect();
        if group.len() > 10 {
            d.notes.push(format!("... and {} more", group.len() - 10));
        }
        out.push(d);
    }
    out
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

/// What `o`'s changes miss in the overlay `cand` rendered as `pres` (stopping at
/// the first when `quick`).
fn missing_in(
    cx: &RuleContext,
    o: &OverlayDiff,
    cand: &str,
    pres: &[Resource],
    pnorm: &Norm,
    norms: (&Norm, &Norm),
    quick: bool,
) -> Vec<Missing> {
    let mut missing: Vec<Missing> = Vec::new();
    for ch in &o.changes {
        let cmp = Compare {
            cx,
            overlay: &o.path,
            cand,
            pres,
            pnorm,
            head_norm: norms.1,
            base_norm: norms.0,
            quick,
        };
        cmp.change(ch, &mut missing);
        if quick && !missing.is_empty() {
            break;
        }
    }
    missing
}

/// Judge one changed overlay of `env` against `cands`, the overlays of its app in
/// `prev` at base. `None` when one of them already shows every change.
fn judge_overlay(
    cx: &RuleContext,
    o: &OverlayDiff,
    env: &str,
    prev: &str,
    cands: &[String],
    norms: &mut HashMap<String, Norm>,
) -> Option<(Option<String>, Diagnostic)> {
    let head_res = cx.sides.head.get(&o.path).map(Vec::as_slice).unwrap_or(&[]);
    let base_res = cx.sides.base.get(&o.path).map(Vec::as_slice).unwrap_or(&[]);
    let own = (&Norm::of(base_res), &Norm::of(head_res));
    // Judge against each candidate; pass when one shows the change.
    let mut best: Option<(String, Vec<Missing>)> = None;
    for cand in cands {
        let Some(pres) = cx.sides.base.get(cand) else {
            if best.is_none() {
                let m = Missing {
                    message: format!("{cand} does not render, so it cannot show this change"),
                    pos: first_source(o),
                    at_base: false,
                };
                best = Some((cand.clone(), vec![m]));
            }
            continue;
        };
        let pnorm: &Norm = norms.entry(cand.clone()).or_insert_with(|| Norm::of(pres));
        // The first candidate that misses something is the one reported, so
        // later candidates only need to know whether they miss anything: they
        // stop at the first difference (1,200 overlays stay linear-ish).
        let missing = missing_in(cx, o, cand, pres, pnorm, own, best.is_some());
        if missing.is_empty() {
            return None;
        }
        if best.is_none() {
            best = Some((cand.clone(), missing));
        }
    }
    let (cand, missing) = best?;
    // The same change arriving in `prev` with this pull request is not a preceding one.
    let same_pr =
        cx.sides.head.get(&cand).is_some_and(|hres| {
            missing_in(cx, o, &cand, hres, &Norm::of(hres), own, true).is_empty()
        });
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
    if same_pr {
        d.notes.push(format!(
            "{prev} gets this change in the same pull request; promote it there first"
        ));
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
    base_norm: &'a Norm,
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
        let br = br.unwrap_or(hr);
        for f in &ch.fields {
            if self.quick && !missing.is_empty() {
                return;
            }
            let fsrc = f
                .source
                .as_ref()
                .map(source_pos)
                .unwrap_or_else(|| src.clone());
            let norm = |n: &Norm, r: &Resource| f.path.eval(&r.node).map(|x| n.apply(&x.to_json()));
            let (bv, hv, pv) = (
                norm(self.base_norm, br),
                norm(self.head_norm, hr),
                norm(self.pnorm, pr),
            );
            for g in promotion::gaps(bv.as_ref(), hv.as_ref(), pv.as_ref()) {
                // The field itself shows its values as rendered.
                let whole = (g.at.is_empty() && g.element.is_none()).then(|| {
                    (
                        f.path.eval(&hr.node).map(|n| n.to_json()),
                        f.path.eval(&pr.node).map(|n| n.to_json()),
                    )
                });
                let message = gap_message(ch, &bn, cand, &f.path.to_string(), &g, whole);
                missing.push(Missing {
                    message,
                    pos: fsrc.clone(),
                    at_base: g.here.is_none(),
                });
                if self.quick {
                    return;
                }
            }
        }
    }
}

/// The message for one part of a field change that `cand` does not show; `whole`
/// carries the field's rendered values when the gap is the field itself.
fn gap_message(
    ch: &ResourceChange,
    bn: &str,
    cand: &str,
    field: &str,
    g: &promotion::Gap,
    whole: Option<(Option<serde_json::Value>, Option<serde_json::Value>)>,
) -> String {
    let path = format!("{field}{}", g.at);
    let element = g.element.as_ref().map(|e| show(Some(e)));
    let (here, there) = whole.unwrap_or_else(|| (g.here.clone(), g.there.clone()));
    let shown = |s: &str, v: Option<&serde_json::Value>| {
        if ch.secret {
            s.to_string()
        } else {
            show(v)
        }
    };
    let kind = &ch.kind;
    match (element, &g.here) {
        (Some(_), _) if ch.secret => {
            format!("{kind} {bn}: {path} is changed here but different in {cand}")
        }
        (Some(e), Some(_)) => {
            format!("{kind} {bn}: {path}: element {e} is added here but absent from {cand}")
        }
        (Some(e), None) => {
            format!("{kind} {bn}: {path}: element {e} is removed here but still in {cand}")
        }
        (None, None) => format!(
            "{kind} {bn}: {path} is removed here but still {} in {cand}",
            shown("set", there.as_ref())
        ),
        (None, Some(_)) => format!(
            "{kind} {bn}: {path} is {} here but {} in {cand}",
            shown("changed", here.as_ref()),
            shown("different", there.as_ref())
        ),
    }
}
