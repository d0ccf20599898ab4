//! `promotion-order`'s counterparts: which overlays (or GitOps deployments) of an
//! earlier environment are the *same app* as a changed one — the same path but for
//! the environment word, the same controller object name but for environment words,
//! or a resource rendered from the same source file — learnt once per check.

use crate::diff::{OverlayDiff, OverlayStatus};
use crate::model::Resource;
use crate::policy::config::cluster_key;
use crate::policy::RuleContext;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Where the counterparts of a changed overlay are.
pub(crate) enum Pairing {
    /// No earlier environment has any overlay: nothing to promote from.
    First,
    /// The nearest earlier environment with an overlay of the same app, those
    /// overlays (the path counterpart first), and the environments passed over
    /// (they have overlays, none of this app).
    Found {
        prev: String,
        cands: Vec<String>,
        skipped: Vec<String>,
    },
    /// No earlier environment has this app at base, but `prev` gets it (`cand`)
    /// in the same pull request.
    Fresh { prev: String, cand: String },
    /// Earlier environments have overlays, none of this app (these environments).
    None(Vec<String>),
}

/// The base overlays of every environment and what identifies their app, learnt
/// once per check (linear in the rendered resources, so 1,200 overlays stay fast).
pub(crate) struct Apps {
    /// Environment → its overlays at base.
    by_env: HashMap<String, Vec<String>>,
    /// Overlay → its path with the environment word replaced (`apps/x/overlays/*`).
    key: HashMap<String, String>,
    /// Overlay → its controller object's name with environment words replaced.
    app: HashMap<String, String>,
    /// Source file → the base overlays rendering a resource from it.
    origin: HashMap<String, Vec<String>>,
    /// Environment → its overlays new at head (none at base).
    fresh: HashMap<String, Vec<String>>,
    /// Source file → the new overlays rendering a resource from it at head.
    fresh_origin: HashMap<String, Vec<String>>,
}

/// Index the overlays `units` (with their resources) by environment and source file.
fn index<'a>(
    cx: &RuleContext,
    units: impl Iterator<Item = (&'a String, &'a Vec<Resource>)>,
    by_env: &mut HashMap<String, Vec<String>>,
    origin: &mut HashMap<String, Vec<String>>,
) {
    for (p, res) in units {
        let Some(env) = cx.env_of(p) else {
            continue;
        };
        by_env.entry(env.to_string()).or_default().push(p.clone());
        let mut files: Vec<&str> = res
            .iter()
            .filter_map(|r| r.origin.file.as_deref())
            .collect();
        files.sort_unstable();
        files.dedup();
        for f in files {
            origin.entry(f.to_string()).or_default().push(p.clone());
        }
    }
}

impl Apps {
    pub(crate) fn of(cx: &RuleContext) -> Apps {
        let mut a = Apps {
            by_env: HashMap::new(),
            key: HashMap::new(),
            app: HashMap::new(),
            origin: HashMap::new(),
            fresh: HashMap::new(),
            fresh_origin: HashMap::new(),
        };
        index(cx, cx.sides.base.iter(), &mut a.by_env, &mut a.origin);
        let fresh = cx
            .sides
            .head
            .iter()
            .filter(|(p, _)| !cx.sides.base.contains_key(*p));
        index(cx, fresh, &mut a.fresh, &mut a.fresh_origin);
        for o in &cx.diff.overlays {
            // An unrenderable unit is still its app's counterpart: judged against
            // it, nothing is shown (fail closed).
            if o.status == OverlayStatus::Unrenderable && !cx.sides.base.contains_key(&o.path) {
                if let Some(env) = cx.env_of(&o.path) {
                    a.by_env
                        .entry(env.to_string())
                        .or_default()
                        .push(o.path.clone());
                }
            }
            a.key.insert(o.path.clone(), unit_key(cx, &o.path));
            if let Some(d) = &o.deployment {
                a.app.insert(o.path.clone(), app_key(&d.app));
            }
        }
        a
    }

    fn key_of<'s>(&'s self, cx: &RuleContext, p: &str) -> std::borrow::Cow<'s, str> {
        match self.key.get(p) {
            Some(k) => std::borrow::Cow::Borrowed(k.as_str()),
            None => std::borrow::Cow::Owned(unit_key(cx, p)),
        }
    }

    /// The overlays of `env` at base that are `o`'s app: the same path but for the
    /// environment word, or the same controller object name but for environment
    /// words; only when there is none, those rendering a resource from the same
    /// source file as one `o` changes (the same base).
    fn same_app(&self, cx: &RuleContext, o: &OverlayDiff, env: &str) -> Vec<String> {
        match self.by_env.get(env) {
            Some(units) => self.same_app_in(cx, o, units, &self.origin),
            None => Vec::new(),
        }
    }

    /// [`Apps::same_app`] among `units`, sharing source files by `origin`.
    fn same_app_in(
        &self,
        cx: &RuleContext,
        o: &OverlayDiff,
        units: &[String],
        origin: &HashMap<String, Vec<String>>,
    ) -> Vec<String> {
        let own = self.key_of(cx, &o.path);
        let own_app = self.app.get(&o.path);
        let mut by_path: Vec<String> = Vec::new();
        let mut by_name: Vec<String> = Vec::new();
        for u in units {
            if self.key_of(cx, u) == own {
                by_path.push(u.clone());
            } else if own_app.is_some() && self.app.get(u) == own_app {
                by_name.push(u.clone());
            }
        }
        let mut out = by_path;
        out.append(&mut by_name);
        if !out.is_empty() {
            return out;
        }
        // No path or name counterpart: the overlays sharing a source file with a change.
        let in_env: HashSet<&String> = units.iter().collect();
        let mut shared: BTreeSet<&String> = BTreeSet::new();
        for f in changed_origins(cx, o) {
            for u in origin.get(f).into_iter().flatten() {
                if in_env.contains(u) {
                    shared.insert(u);
                }
            }
        }
        shared.into_iter().cloned().collect()
    }

    /// Walk the promotion chain back from `after` to the nearest environment with
    /// an overlay of `o`'s app. Environments without any overlay are skipped.
    pub(crate) fn counterparts(
        &self,
        cx: &RuleContext,
        o: &OverlayDiff,
        after: Option<&str>,
    ) -> Pairing {
        let mut searched: Vec<String> = Vec::new();
        let mut prev = after;
        let mut hops = 0;
        while let Some(p) = prev {
            if hops > cx.config.environments.len() {
                break;
            }
            if self.by_env.get(p).is_some_and(|u| !u.is_empty()) {
                let cands = self.same_app(cx, o, p);
                if !cands.is_empty() {
                    return Pairing::Found {
                        prev: p.to_string(),
                        cands,
                        skipped: searched,
                    };
                }
                searched.push(p.to_string());
            }
            prev = cx.config.env(p).and_then(|e| e.after.as_deref());
            hops += 1;
        }
        if searched.is_empty() {
            return Pairing::First;
        }
        // No counterpart at base: one new in this pull request is not a preceding change.
        for p in &searched {
            let units = self.fresh.get(p).map(Vec::as_slice).unwrap_or_default();
            if let Some(c) = self.same_app_in(cx, o, units, &self.fresh_origin).first() {
                return Pairing::Fresh {
                    prev: p.clone(),
                    cand: c.clone(),
                };
            }
        }
        Pairing::None(searched)
    }
}

/// An overlay's path with its environment word replaced by `*`.
fn unit_key(cx: &RuleContext, p: &str) -> String {
    match cx.assign.get(p) {
        Some(a) => cluster_key(p, a),
        None => cluster_key(p, &cx.config.assign(p)),
    }
}

/// A controller object's name with its environment words replaced by `*`.
fn app_key(name: &str) -> String {
    crate::topology::env_words(name)
        .into_iter()
        .map(|w| {
            if crate::topology::vocabulary_env(&w).is_some() {
                "*".to_string()
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The source files of the resources `o` changes (at head; at base for removals).
fn changed_origins<'a>(cx: &'a RuleContext, o: &OverlayDiff) -> BTreeSet<&'a str> {
    let mut out = BTreeSet::new();
    for ch in &o.changes {
        for r in [
            cx.sides.head_resource(&o.path, ch),
            cx.sides.base_resource(&o.path, ch),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(f) = r.origin.file.as_deref() {
                out.insert(f);
            }
        }
    }
    out
}
