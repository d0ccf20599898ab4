//! What every rule sees: the diff, the configuration, the environments and the
//! sources at both revisions, built once per check.

use super::config::{Assignment, Config};
use crate::diagnostic::Side;
use crate::diff::{DiffReport, OverlayDiff, RenderedSides};
use crate::error::Result;
use crate::source::{ChangedFile, EntryKind, Source};
use std::collections::{BTreeMap, BTreeSet};

/// An environment touched by the change.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Touched {
    /// Environment name.
    pub env: String,
    /// Changed overlays of that environment.
    pub overlays: Vec<String>,
}

/// The gate's configuration as loaded for one check.
#[derive(Clone, Debug)]
pub struct LoadedConfig {
    /// The parsed configuration.
    pub config: Config,
    /// Where it came from, for the report (`.manifest-gate.yaml at base main`, …).
    pub source: String,
    /// Its text, when there is a file.
    pub text: Option<String>,
    /// Whether it was read from disk (`--config FILE`) rather than the base revision.
    pub from_disk: bool,
}

/// The input of every rule.
pub struct RuleContext<'a> {
    /// The configuration (from base, or `--config`).
    pub config: &'a Config,
    /// The configuration's text and origin.
    pub loaded: &'a LoadedConfig,
    /// The rendered diff, overlays labelled with their environments.
    pub diff: &'a DiffReport,
    /// The rendered resources at both revisions.
    pub sides: &'a RenderedSides,
    /// Files that differ between base and head.
    pub changed: &'a [ChangedFile],
    /// The tree at base.
    pub base: &'a dyn Source,
    /// The tree at head.
    pub head: &'a dyn Source,
    /// The environment of every overlay (both revisions).
    pub assign: BTreeMap<String, Assignment>,
    /// Environments with at least one changed overlay, in promotion order.
    pub touched: Vec<Touched>,
    /// Changed overlays that match no environment.
    pub unassigned: Vec<String>,
    /// `check --all`: the diff is the whole head state (every resource added);
    /// rules that compare environments do not run.
    pub audit: bool,
    /// The run's key for Secret value markers (`None`: a random one), so that
    /// rules showing resources mask them as the diff does.
    pub secret_key: Option<Vec<u8>>,
}

impl<'a> RuleContext<'a> {
    /// Assign every overlay an environment and collect the touched ones.
    pub fn new(
        loaded: &'a LoadedConfig,
        diff: &'a DiffReport,
        sides: &'a RenderedSides,
        changed: &'a [ChangedFile],
        base: &'a dyn Source,
        head: &'a dyn Source,
    ) -> RuleContext<'a> {
        let config = &loaded.config;
        let mut assign: BTreeMap<String, Assignment> = BTreeMap::new();
        // GitOps deployments: the environment their cluster or destination gave them.
        for o in &diff.overlays {
            if let Some(d) = &o.deployment {
                assign.insert(
                    o.path.clone(),
                    Assignment {
                        env: o.environment.clone(),
                        reason: d.reason.clone(),
                        // The environment segment of the directory, for counterparts.
                        segment: config.assign(&d.dir).segment,
                    },
                );
            }
        }
        for p in diff
            .overlays
            .iter()
            .map(|o| &o.path)
            .chain(sides.base.keys())
            .chain(sides.head.keys())
        {
            if !assign.contains_key(p) {
                assign.insert(p.clone(), config.assign(p));
            }
        }
        let changed_ov: Vec<&OverlayDiff> = diff
            .overlays
            .iter()
            .filter(|o| !o.changes.is_empty())
            .collect();
        let env_of = |p: &str| assign.get(p).and_then(|a| a.env.clone());
        let mut touched = Vec::new();
        for env in &config.environments {
            let overlays: Vec<String> = changed_ov
                .iter()
                .filter(|o| env_of(&o.path).as_deref() == Some(env.name.as_str()))
                .map(|o| o.path.clone())
                .collect();
            if !overlays.is_empty() {
                touched.push(Touched {
                    env: env.name.clone(),
                    overlays,
                });
            }
        }
        let unassigned = changed_ov
            .iter()
            .filter(|o| env_of(&o.path).is_none())
            .map(|o| o.path.clone())
            .collect();
        RuleContext {
            config,
            loaded,
            diff,
            sides,
            changed,
            base,
            head,
            assign,
            touched,
            unassigned,
            audit: false,
            secret_key: None,
        }
    }

    /// The same context with the run's Secret marker key.
    #[must_use]
    pub fn with_secret_key(mut self, key: Option<Vec<u8>>) -> RuleContext<'a> {
        self.secret_key = key;
        self
    }

    /// Overlays whose rendered output changes.
    pub fn changed_overlays(&self) -> Vec<&'a OverlayDiff> {
        self.diff
            .overlays
            .iter()
            .filter(|o| !o.changes.is_empty())
            .collect()
    }

    /// The changed file paths.
    pub fn changed_paths(&self) -> BTreeSet<&'a str> {
        self.changed.iter().map(|c| c.path.as_str()).collect()
    }

    /// The environment an overlay is assigned to.
    pub fn env_of(&self, overlay: &str) -> Option<&str> {
        self.assign.get(overlay).and_then(|a| a.env.as_deref())
    }

    /// A file's text at one side; `None` when it does not exist (or is not a
    /// file). Reads obey the source's confinement and size cap.
    pub fn text(&self, side: Side, path: &str) -> Result<Option<String>> {
        let src = match side {
            Side::Base => self.base,
            Side::Head => self.head,
            Side::Disk => {
                return Ok(if self.loaded.from_disk {
                    self.loaded.text.clone()
                } else {
                    None
                })
            }
        };
        read_text(src, path)
    }
}

/// A file's text from a source; `None` when it does not exist or is not a file.
pub fn read_text(src: &dyn Source, path: &str) -> Result<Option<String>> {
    match src.entry(path)? {
        Some(EntryKind::File) => Ok(Some(crate::yaml::decode(&src.read(path)?, path)?)),
        _ => Ok(None),
    }
}
