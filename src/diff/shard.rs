//! Sharding a run across machines (`check --shard I/N`, `merge-reports`).
//!
//! Every shard runs the same selection as an unsharded run (the overlays the
//! change reaches and the promotion counterparts are decided from static
//! closures, which are cheap), but renders only the overlays it owns: overlay
//! `dir` belongs to shard `1 + fnv1a64(dir) mod N`, the same on every machine
//! and every run. A shard writes what it rendered ([`Recorder`]) to a shard
//! file: each render (resources with their source positions, inputs) or its
//! error, per side. `merge-reports` then runs the whole unsharded pipeline
//! with the renders served from the shard files ([`Replay`]): the same
//! selection, the same diff, the GitOps deployments, and every rule, the
//! cross-environment ones (single-environment, promotion-order) included, run
//! once over all overlays. A sharded verdict is therefore the unsharded one by
//! construction, and the merge refuses (exit 2) shard files that are missing,
//! duplicated, made from other commits or options, or that hold a render the
//! merge does not ask for or lack one it does.
//!
//! A shard file holds the rendered manifests, Secret data included as the
//! repository has it: keep it as a short-lived CI artifact.

use super::RenderFn;
use crate::error::{Error, ErrorKind, Result};
use crate::kustomize::Rendered;
use crate::model::{BuildMeta, Resource};
use crate::yaml::wire::{self, Files, Tree};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// The shard file format's version.
pub const FORMAT: u32 = 1;
/// The most shards of one run.
pub const MAX_SHARDS: u32 = 1024;
/// The largest shard file read back (2 GiB).
pub const MAX_FILE_BYTES: u64 = 2 << 30;
/// The most bytes of all the shard files of one merge together (4 GiB).
pub const MAX_TOTAL_BYTES: u64 = 4 << 30;

/// One shard of `count`: `index` in `1..=count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 1-based (as GitLab's `CI_NODE_INDEX`).
    pub index: u32,
    /// How many shards share the run.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Shard, String> {
        let bad = || format!("'{s}': use I/N with 1 <= I <= N <= {MAX_SHARDS} (for example 2/3)");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || index > count || count > MAX_SHARDS {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether this shard renders the overlay in `dir`.
    pub fn owns(&self, dir: &str) -> bool {
        owner(dir, self.count) == self.index
    }
}

/// The shard (1-based, of `count`) that renders the overlay in `dir`: FNV-1a
/// (64 bit) of the path, stable across machines, runs and versions.
pub fn owner(dir: &str, count: u32) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in dir.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    1 + (h % u64::from(count.max(1))) as u32
}

/// Which revision a render is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The pull request's target (merge-base).
    Base,
    /// The pull request's tip.
    Head,
}

/// What identifies the run a shard belongs to: the merge checks that every
/// shard file says the same as its own run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunKey {
    /// The base commit id (full sha).
    pub base_commit: String,
    /// The head commit id.
    pub head_commit: String,
    /// A digest of every option that changes what is rendered or asked for
    /// (renderer, budgets, `--full`, `--all`, `--config` contents, tool version).
    pub fingerprint: String,
}

/// One shard file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardFile {
    /// [`FORMAT`].
    pub manifest_gate_shard: u32,
    /// The version of manifest-gate that wrote it (the merge must be the same).
    pub tool: String,
    /// `I/N`.
    pub shard: String,
    /// The run.
    #[serde(flatten)]
    pub run: RunKey,
    /// Every render the shard made, sorted by (side, directory).
    pub renders: Vec<Entry>,
}

/// One render: its resources or its error.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Base or head.
    pub side: Side,
    /// The overlay directory.
    pub dir: String,
    /// The file names the positions of this entry index.
    pub files: Vec<String>,
    /// The render, when it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered: Option<WireRendered>,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WireError>,
}

/// A [`Rendered`] in a shard file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireRendered {
    /// The resources in output order.
    pub resources: Vec<WireResource>,
    /// Every repository path read.
    pub inputs: BTreeSet<String>,
    /// Rendered by an external binary (inputs unknown).
    pub opaque: bool,
}

/// A [`Resource`] in a shard file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireResource {
    /// The object.
    pub node: Tree,
    /// Where its document starts.
    pub origin: [u32; 3],
    /// Renderer bookkeeping.
    pub meta: BuildMeta,
}

/// An [`Error`] in a shard file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireError {
    /// Its kind.
    pub kind: ErrorKind,
    /// Its position.
    pub pos: [u32; 3],
    /// Its message.
    pub msg: String,
}

fn entry(side: Side, dir: &str, r: &Result<Rendered>) -> Entry {
    let mut files = Files::default();
    let (rendered, error) = match r {
        Ok(r) => (
            Some(WireRendered {
                resources: r
                    .resources
                    .iter()
                    .map(|res| WireResource {
                        node: wire::encode(&res.node, &mut files),
                        origin: files.pos(&res.origin),
                        meta: res.meta.clone(),
                    })
                    .collect(),
                inputs: r.inputs.clone(),
                opaque: r.opaque,
            }),
            None,
        ),
        Err(e) => (
            None,
            Some(WireError {
                kind: e.kind,
                pos: files.pos(&e.pos),
                msg: e.msg.clone(),
            }),
        ),
    };
    Entry {
        side,
        dir: dir.to_string(),
        files: files.names(),
        rendered,
        error,
    }
}

fn unentry(e: Entry) -> std::result::Result<Result<Rendered>, String> {
    let files = Files::from_names(e.files);
    match (e.rendered, e.error) {
        (Some(r), None) => {
            let mut resources = Vec::with_capacity(r.resources.len());
            for w in r.resources {
                let node = wire::decode(&w.node, &files)?;
                let mut res = Resource::new(node, files.unpos(w.origin)?);
                res.meta = w.meta;
                resources.push(res);
            }
            Ok(Ok(Rendered {
                resources,
                inputs: r.inputs,
                opaque: r.opaque,
            }))
        }
        (None, Some(w)) => Ok(Err(Error {
            kind: w.kind,
            pos: files.unpos(w.pos)?,
            msg: w.msg,
        })),
        _ => Err("an entry must hold a render or an error".into()),
    }
}

/// What a shard renders an overlay it does not own with: an error nothing
/// reads (the shard's own diff is not an output).
fn not_owned(dir: &str, shard: Shard) -> Error {
    Error::msg(format!(
        "{dir}: rendered by shard {} of {}, not this one",
        owner(dir, shard.count),
        shard.count
    ))
}

/// Records the renders of one shard's run.
pub struct Recorder {
    shard: Shard,
    entries: Mutex<Vec<Entry>>,
}

impl Recorder {
    /// A recorder for `shard`.
    pub fn new(shard: Shard) -> Recorder {
        Recorder {
            shard,
            entries: Mutex::new(Vec::new()),
        }
    }
    /// `inner` for the overlays this shard owns (each result recorded), an
    /// error for the others.
    pub fn wrap<'a>(&'a self, side: Side, inner: &'a RenderFn<'a>) -> Box<RenderFn<'a>> {
        Box::new(move |dir: &str| {
            if !self.shard.owns(dir) {
                return Err(not_owned(dir, self.shard));
            }
            let r = inner(dir);
            let e = entry(side, dir, &r);
            if let Ok(mut v) = self.entries.lock() {
                v.push(e);
            }
            r
        })
    }
    /// The shard file of the run `run`.
    pub fn finish(self, run: RunKey) -> ShardFile {
        let mut renders = self.entries.into_inner().unwrap_or_default();
        renders.sort_by(|a, b| (a.side, &a.dir).cmp(&(b.side, &b.dir)));
        ShardFile {
            manifest_gate_shard: FORMAT,
            tool: env!("CARGO_PKG_VERSION").to_string(),
            shard: self.shard.to_string(),
            run,
            renders,
        }
    }
}

/// Serves renders from shard files, in place of the renderer.
pub struct Replay {
    count: u32,
    /// (side, dir) -> (the file it came from, the entry); removed when served.
    entries: Mutex<HashMap<(Side, String), (usize, Entry)>>,
    paths: Vec<PathBuf>,
    /// The first thing that went wrong while serving (the merge then fails).
    failed: Mutex<Option<Error>>,
}

fn file_error(path: &Path, msg: impl std::fmt::Display) -> Error {
    Error::msg(format!("shard file {}: {msg}", path.display())).kind(ErrorKind::Config)
}

/// Read one shard file within [`MAX_FILE_BYTES`] and what is left of
/// [`MAX_TOTAL_BYTES`] (`left`, reduced by its size).
fn read_shard(path: &Path, left: &mut u64) -> Result<ShardFile> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|e| file_error(path, e))?;
    let limit = MAX_FILE_BYTES.min(*left);
    let mut bytes = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| file_error(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(file_error(
            path,
            format!(
                "larger than the limit of {MAX_FILE_BYTES} bytes per file and {MAX_TOTAL_BYTES} bytes for all"
            ),
        ));
    }
    *left -= bytes.len() as u64;
    serde_json::from_slice(&bytes).map_err(|e| file_error(path, format!("not a shard file: {e}")))
}

impl Replay {
    /// Read `paths`, one per shard of the same run: every shard `1..=N` exactly
    /// once, each made by this version for `run`, each holding only overlays
    /// it owns.
    pub fn load(paths: &[PathBuf], run: &RunKey) -> Result<Replay> {
        let mut count = None;
        let mut seen = BTreeSet::new();
        let mut entries = HashMap::new();
        let mut left = MAX_TOTAL_BYTES;
        for (i, path) in paths.iter().enumerate() {
            if paths[..i].contains(path) {
                return Err(file_error(path, "is given twice"));
            }
            let f = read_shard(path, &mut left)?;
            if f.manifest_gate_shard != FORMAT || f.tool != env!("CARGO_PKG_VERSION") {
                return Err(file_error(
                    path,
                    format!(
                        "written by manifest-gate {} (format {}); this is {} (format {FORMAT}): run every shard and the merge with one version",
                        f.tool.escape_debug(),
                        f.manifest_gate_shard,
                        env!("CARGO_PKG_VERSION")
                    ),
                ));
            }
            let shard: Shard = f.shard.parse().map_err(|e| file_error(path, e))?;
            if f.run != *run {
                return Err(file_error(
                    path,
                    "made for other commits or other options than this merge (the same --base, --head, --renderer, budgets, --full, --all and --config are needed)",
                ));
            }
            if *count.get_or_insert(shard.count) != shard.count {
                return Err(file_error(
                    path,
                    "its shard count differs from the other files'",
                ));
            }
            if !seen.insert(shard.index) {
                return Err(file_error(path, format!("shard {shard} is given twice")));
            }
            for e in f.renders {
                if !shard.owns(&e.dir) {
                    return Err(file_error(
                        path,
                        format!(
                            "holds {} which shard {shard} does not own",
                            e.dir.escape_debug()
                        ),
                    ));
                }
                let key = (e.side, e.dir.clone());
                if entries.insert(key, (i, e)).is_some() {
                    return Err(file_error(path, "holds one render twice"));
                }
            }
        }
        let count = count.ok_or_else(|| Error::msg("merge-reports needs the shard files"))?;
        let missing: Vec<String> = (1..=count)
            .filter(|i| !seen.contains(i))
            .map(|i| format!("{i}/{count}"))
            .collect();
        if !missing.is_empty() {
            return Err(Error::msg(format!(
                "merge-reports: no shard file for shard {} (every shard of the run is needed)",
                missing.join(", ")
            ))
            .kind(ErrorKind::Config));
        }
        Ok(Replay {
            count,
            entries: Mutex::new(entries),
            paths: paths.to_vec(),
            failed: Mutex::new(None),
        })
    }

    fn fail(&self, e: Error) -> Error {
        if let Ok(mut f) = self.failed.lock() {
            f.get_or_insert(e.clone());
        }
        e
    }

    fn serve(&self, side: Side, dir: &str) -> Result<Rendered> {
        let taken = self
            .entries
            .lock()
            .ok()
            .and_then(|mut m| m.remove(&(side, dir.to_string())));
        let Some((i, e)) = taken else {
            return Err(self.fail(Error::msg(format!(
                "the shard files hold no render of {} at {} (shard {} of {}): they were not made from this change",
                dir.escape_debug(),
                if side == Side::Base { "base" } else { "head" },
                owner(dir, self.count),
                self.count
            )).kind(ErrorKind::Config)));
        };
        unentry(e).map_err(|m| self.fail(file_error(&self.paths[i], m)))?
    }

    /// The renderer of `side`: renders served from the shard files.
    pub fn render_fn(&self, side: Side) -> Box<RenderFn<'_>> {
        Box::new(move |dir: &str| self.serve(side, dir))
    }

    /// After the run: an error when a render was missing or damaged, or when a
    /// shard file holds renders the run did not ask for.
    pub fn finish(&self) -> Result<()> {
        if let Some(e) = self.failed.lock().ok().and_then(|f| f.clone()) {
            return Err(e);
        }
        let m = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let left = m.len();
        if let Some((i, e)) = m.values().min_by(|a, b| a.1.dir.cmp(&b.1.dir)) {
            let (i, e) = (*i, &e.dir);
            return Err(file_error(
                &self.paths[i],
                format!(
                    "holds {left} render(s) this merge does not ask for (the first: {}): the shards were made from another change or with other options",
                    e.escape_debug()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_own_every_overlay_once() {
        assert_eq!(
            "2/3".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 3 }
        );
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/2000"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        let dirs: Vec<String> = (0..500)
            .map(|i| format!("apps/a{i}/overlays/prod"))
            .collect();
        for n in [1, 3, 7] {
            let mut per = vec![0; n as usize];
            for d in &dirs {
                let owners: Vec<u32> = (1..=n)
                    .filter(|&i| Shard { index: i, count: n }.owns(d))
                    .collect();
                assert_eq!(owners.len(), 1);
                per[owners[0] as usize - 1] += 1;
            }
            // Spread: no shard gets more than twice its share.
            assert!(
                per.iter().all(|&c| c <= 2 * 500 / n as usize + 1),
                "{per:?}"
            );
        }
        // Stable: the same path always has the same owner.
        assert_eq!(
            owner("apps/a1/overlays/prod", 7),
            owner("apps/a1/overlays/prod", 7)
        );
        assert_eq!(owner("", 3), 1 + (0xcbf2_9ce4_8422_2325u64 % 3) as u32);
    }

    #[test]
    fn entries_round_trip() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  n: 0x1F\n";
        let nodes =
            crate::yaml::parse_stream(text, "a/cm.yaml", &crate::yaml::ParseOptions::resource())
                .unwrap();
        let mut r = Rendered::default();
        for n in nodes {
            let pos = n.pos.clone();
            r.resources.push(Resource::new(n, pos));
        }
        r.inputs.insert("a/cm.yaml".into());
        let e = entry(Side::Head, "a", &Ok(r.clone()));
        let json = serde_json::to_string(&e).unwrap();
        let back = unentry(serde_json::from_str(&json).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(back.resources.len(), 1);
        assert_eq!(back.resources[0].node, r.resources[0].node);
        assert_eq!(back.resources[0].origin, r.resources[0].origin);
        assert_eq!(back.inputs, r.inputs);
        let err = Error::in_file("a/x.yaml", "missing").kind(ErrorKind::Missing);
        let e = entry(Side::Base, "a", &Err(err.clone()));
        let json = serde_json::to_string(&e).unwrap();
        let back = unentry(serde_json::from_str(&json).unwrap()).unwrap();
        assert_eq!(back.unwrap_err(), err);
    }
}
