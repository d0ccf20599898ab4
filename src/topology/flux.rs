//! Flux: Kustomizations sourced from this repository (its own `GitRepository`, or an
//! `ExternalArtifact` an `ArtifactGenerator` copies out of it), the cluster each
//! belongs to, and the overrides and build options each one applies.

use super::reach::{reach, Reach};
use super::scan::{Object, Objects};
use super::{
    BuildOptions, Controller, ControllerKind, Deployment, Flavor, Note, Overrides, Topology,
    TopologyOptions,
};
use crate::error::{Error, ErrorKind, Result};
use crate::source::{self, Source};
use crate::yaml::Node;
use std::collections::BTreeMap;

const KS: &str = "kustomize.toolkit.fluxcd.io";
const SRC: &str = "source.toolkit.fluxcd.io";
const GEN: &str = "source.extensions.fluxcd.io";
/// Most Flux Kustomizations followed in one tree (a bound on attacker data).
const MAX_KUSTOMIZATIONS: usize = 2_000;

/// Where a Kustomization's source puts `spec.path` in this repository.
enum Resolved {
    /// A repository directory.
    Path(String, String),
    /// Not from this repository, or not resolvable offline: why.
    Not(String),
    /// Needs the cluster of the declaring file first (an ExternalArtifact).
    Later,
}

/// One Flux Kustomization object and what is known of it so far.
struct Ks<'o> {
    obj: &'o Object,
    /// Repository directory it builds, and how that was decided.
    path: Option<(String, String)>,
    /// What that directory's build reaches (once the path is known).
    reach: Option<Reach>,
}

impl<'o> Ks<'o> {
    fn new(src: &dyn Source, obj: &'o Object, path: Option<(String, String)>) -> Ks<'o> {
        let reach = path.as_ref().map(|(p, _)| reach(src, p));
        Ks { obj, path, reach }
    }
    /// True when this Kustomization applies `file` (and is not the root sync
    /// applying its own file).
    fn applies(&self, file: &str) -> bool {
        self.reach
            .as_ref()
            .is_some_and(|r| r.holds(file) && !r.holds(&self.obj.file))
    }
}

/// Discover the Flux deployments of the tree.
pub fn discover(
    src: &dyn Source,
    objects: &Objects,
    opts: &TopologyOptions,
    topo: &mut Topology,
) -> Result<()> {
    let mut all: Vec<Ks> = Vec::new();
    for obj in objects.of(KS, "Kustomization") {
        let version = obj.api_version().split_once('/').map(|(_, v)| v);
        if !matches!(version, Some("v1" | "v1beta2" | "v1beta1")) {
            continue;
        }
        match resolve_git(obj, objects, opts) {
            Resolved::Path(p, why) => all.push(Ks::new(src, obj, Some((p, why)))),
            Resolved::Later => all.push(Ks::new(src, obj, None)),
            Resolved::Not(why) => topo.notes.push(Note {
                at: obj.pos(),
                msg: format!(
                    "Flux Kustomization '{}' not followed: {why}",
                    obj.qualified()
                ),
            }),
        }
    }
    if all.len() > MAX_KUSTOMIZATIONS {
        return Err(Error::msg(format!(
            "more than {MAX_KUSTOMIZATIONS} Flux Kustomizations in the tree"
        ))
        .kind(ErrorKind::Budget));
    }
    // ExternalArtifacts resolve against the ArtifactGenerator of the same cluster,
    // and a cluster is known from the Kustomizations already resolved: repeat
    // until nothing changes (a bounded number of rounds; what is left is noted).
    for _ in 0..16 {
        let mut changed = false;
        for i in 0..all.len() {
            if all[i].path.is_some() {
                continue;
            }
            let cluster = cluster_of(&all, &all[i].obj.file);
            match resolve_artifact(all[i].obj, objects, &all, &cluster, opts) {
                Resolved::Path(p, why) => {
                    all[i].reach = Some(reach(src, &p));
                    all[i].path = Some((p, why));
                    changed = true;
                }
                Resolved::Not(_) | Resolved::Later => {}
            }
        }
        if !changed {
            break;
        }
    }
    for ks in &all {
        push_deployments(src, ks, &all, objects, opts, topo)?;
    }
    Ok(())
}

/// The deployments of one Flux Kustomization (one per cluster applying it), or a
/// note saying why it is not followed.
fn push_deployments(
    src: &dyn Source,
    ks: &Ks,
    all: &[Ks],
    objects: &Objects,
    opts: &TopologyOptions,
    topo: &mut Topology,
) -> Result<()> {
    let Some((path, why)) = &ks.path else {
        let cluster = cluster_of(all, &ks.obj.file);
        let why = match resolve_artifact(ks.obj, objects, all, &cluster, opts) {
            Resolved::Not(w) => w,
            _ => "its ExternalArtifact is not generated from this repository".to_string(),
        };
        topo.notes.push(Note {
            at: ks.obj.pos(),
            msg: format!(
                "Flux Kustomization '{}' not followed: {why}",
                ks.obj.qualified()
            ),
        });
        return Ok(());
    };
    if src.entry(path)?.is_none() {
        topo.notes.push(Note {
            at: ks.obj.pos(),
            msg: format!(
                "Flux Kustomization '{}': path '{path}' does not exist in this revision",
                ks.obj.qualified()
            ),
        });
        return Ok(());
    }
    for field in ["patchesStrategicMerge", "patchesJson6902"] {
        if ks.obj.node.get_path(&["spec", field]).is_some() {
            topo.notes.push(Note {
                at: ks.obj.pos(),
                msg: format!(
                    "Flux Kustomization '{}': spec.{field} (v1beta2, removed in v1) is not applied in the render",
                    ks.obj.qualified()
                ),
            });
        }
    }
    for dir in cluster_dirs(all, &ks.obj.file) {
        let cluster = cluster_name(&dir);
        let (build, notes) = build_options(ks.obj, objects, &cluster, all);
        topo.notes.extend(notes);
        topo.deployments.push(Deployment {
            cluster: cluster.clone(),
            app: ks.obj.name().to_string(),
            path: path.clone(),
            controller: Controller {
                kind: ControllerKind::FluxKustomization,
                name: ks.obj.qualified(),
                at: ks.obj.pos(),
            },
            flavor: Flavor::Flux,
            overrides: overrides(&ks.obj.node),
            build,
            namespace: None,
            environment: None,
            reason: format!(
                "cluster '{cluster}' from the Kustomization tree {} applying the object; {why}",
                if dir.is_empty() { "." } else { dir.as_str() }
            ),
        });
    }
    Ok(())
}

/// `spec.path` as a repository directory (`./x/y` → `x/y`, `""` for the root).
fn spec_path(obj: &Object) -> std::result::Result<String, String> {
    let raw = obj.node.str_at(&["spec", "path"]).unwrap_or("");
    source::join("", raw).map_err(|e| format!("spec.path: {}", e.msg))
}

/// `(kind, name, namespace)` of `spec.sourceRef` (namespace defaulting to the object's).
fn source_ref(obj: &Object) -> (String, String, String) {
    let get = |k: &str| {
        obj.node
            .str_at(&["spec", "sourceRef", k])
            .unwrap_or("")
            .to_string()
    };
    let mut ns = get("namespace");
    if ns.is_empty() {
        ns = obj.namespace().to_string();
    }
    (get("kind"), get("name"), ns)
}

/// Whether the GitRepository `ns/name` is this repository, and why.
fn git_repo_is_ours(
    name: &str,
    ns: &str,
    objects: &Objects,
    opts: &TopologyOptions,
) -> std::result::Result<String, String> {
    let declared: Vec<&Object> = objects
        .of(SRC, "GitRepository")
        .filter(|g| g.name() == name && (g.namespace() == ns || g.namespace().is_empty()))
        .collect();
    let urls: Vec<&str> = declared
        .iter()
        .filter_map(|g| g.node.str_at(&["spec", "url"]))
        .collect();
    if let Some(g) = declared.iter().find(|g| {
        g.node
            .str_at(&["spec", "url"])
            .is_some_and(|u| super::env::is_this_repo(u, &opts.repo_urls))
    }) {
        let u = g.node.str_at(&["spec", "url"]).unwrap_or("");
        return match other_ref(g, opts) {
            Some(r) => Err(format!(
                "source GitRepository '{ns}/{name}' is this repository ({u}) at {r}, not at this revision's branch"
            )),
            None => Ok(format!(
                "source GitRepository '{ns}/{name}' has this repository's URL {u}"
            )),
        };
    }
    if name == "flux-system" {
        // `flux bootstrap`'s own sync source: the repository holding the cluster.
        if urls.is_empty() || opts.repo_urls.is_empty() {
            return Ok(format!(
                "source GitRepository '{ns}/{name}' is the cluster's own flux-system sync of this repository"
            ));
        }
        return Err(format!(
            "source GitRepository '{ns}/{name}' points at {}, not at this repository",
            urls[0]
        ));
    }
    match urls.first() {
        Some(u) => Err(format!(
            "source GitRepository '{ns}/{name}' points at {u}, not at this repository (add it to the configuration's repositories if it is)"
        )),
        None => Err(format!(
            "source GitRepository '{ns}/{name}' is not declared in this repository"
        )),
    }
}

/// The ref a GitRepository of this repository follows when it is not the branch
/// under review: a tag, semver range, commit or full ref, or a branch other than
/// the checkout's branches (`main`/`master` when none are known).
fn other_ref(g: &Object, opts: &TopologyOptions) -> Option<String> {
    let r = g.node.get_path(&["spec", "ref"])?;
    for k in ["commit", "name", "semver", "tag"] {
        if let Some(v) = r.str_at(&[k]) {
            return Some(format!("{k} '{v}'"));
        }
    }
    let b = r.str_at(&["branch"])?;
    let known = if opts.branches.is_empty() {
        ["main", "master"].contains(&b)
    } else {
        opts.branches.iter().any(|x| x == b)
    };
    (!known).then(|| format!("branch '{b}'"))
}

fn resolve_git(obj: &Object, objects: &Objects, opts: &TopologyOptions) -> Resolved {
    let (kind, name, ns) = source_ref(obj);
    match kind.as_str() {
        "GitRepository" => match git_repo_is_ours(&name, &ns, objects, opts) {
            Ok(why) => match spec_path(obj) {
                Ok(p) => Resolved::Path(p, why),
                Err(e) => Resolved::Not(e),
            },
            Err(why) => Resolved::Not(why),
        },
        "ExternalArtifact" => Resolved::Later,
        "" => Resolved::Not("no spec.sourceRef.kind".to_string()),
        other => Resolved::Not(format!(
            "its source is a {other} '{ns}/{name}', whose content is not in this repository"
        )),
    }
}

/// Resolve an ExternalArtifact-sourced Kustomization through the ArtifactGenerator
/// of its cluster that emits the artifact, inverting the copy operation covering
/// `spec.path`.
fn resolve_artifact(
    obj: &Object,
    objects: &Objects,
    all: &[Ks],
    cluster: &str,
    opts: &TopologyOptions,
) -> Resolved {
    let (kind, name, ns) = source_ref(obj);
    if kind != "ExternalArtifact" {
        return Resolved::Not(format!("source kind {kind}"));
    }
    let path = match spec_path(obj) {
        Ok(p) => p,
        Err(e) => return Resolved::Not(e),
    };
    let gens: Vec<&Object> = objects
        .of(GEN, "ArtifactGenerator")
        .filter(|g| g.namespace() == ns || g.namespace().is_empty())
        .filter(|g| in_cluster(all, &g.file, cluster))
        .filter(|g| artifact_of(g, &name).is_some())
        .collect();
    let Some(gen) = gens.first() else {
        return Resolved::Not(format!(
            "no ArtifactGenerator of cluster '{cluster}' emits the ExternalArtifact '{ns}/{name}'"
        ));
    };
    let art = artifact_of(gen, &name).expect("filtered");
    // Aliases of GitRepositories that are this repository (the cluster's flux-system sync).
    let mut aliases = Vec::new();
    for s in gen
        .node
        .get_path(&["spec", "sources"])
        .and_then(|s| s.as_seq())
        .into_iter()
        .flatten()
    {
        let (alias, k, n) = (
            s.str_at(&["alias"]).unwrap_or(""),
            s.str_at(&["kind"]).unwrap_or(""),
            s.str_at(&["name"]).unwrap_or(""),
        );
        let ours =
            k == "GitRepository" && git_repo_is_ours(n, gen.namespace(), objects, opts).is_ok();
        if ours && !alias.is_empty() {
            aliases.push(alias.to_string());
        }
    }
    let ops: Vec<&Node> = art
        .get("copy")
        .and_then(|c| c.as_seq())
        .into_iter()
        .flatten()
        .collect();
    // Later copy operations overwrite earlier ones: the last covering the path wins.
    for op in ops.iter().rev() {
        let (Some(from), Some(to)) = (op.str_at(&["from"]), op.str_at(&["to"])) else {
            continue;
        };
        match invert_copy(from, to, &path, &aliases) {
            Some(Ok(p)) => {
                return Resolved::Path(
                    p,
                    format!(
                        "source ExternalArtifact '{ns}/{name}' of the ArtifactGenerator '{}' ({}) copies '{from}' to '{to}'",
                        gen.qualified(),
                        gen.pos()
                    ),
                )
            }
            Some(Err(why)) => return Resolved::Not(why),
            None => {}
        }
    }
    Resolved::Not(format!(
        "no copy operation of the ArtifactGenerator '{}' for '{name}' covers the path '{path}' from this repository",
        gen.qualified()
    ))
}

fn artifact_of<'n>(gen: &'n Object, name: &str) -> Option<&'n Node> {
    gen.node
        .get_path(&["spec", "artifacts"])
        .and_then(|a| a.as_seq())?
        .iter()
        .find(|a| a.str_at(&["name"]) == Some(name))
}

/// The repository directory a copy operation puts at artifact directory `path`:
/// `None` when the operation does not cover it, `Err` when it does in a way not
/// resolvable to one directory.
pub(super) fn invert_copy(
    from: &str,
    to: &str,
    path: &str,
    aliases: &[String],
) -> Option<std::result::Result<String, String>> {
    let from = from.strip_prefix('@')?;
    let (alias, rest) = from.split_once('/').unwrap_or((from, ""));
    if !aliases.iter().any(|a| a == alias) {
        return None;
    }
    let to = to.strip_prefix("@artifact")?.trim_start_matches('/');
    let to = to.trim_end_matches('/');
    // (repository directory copied, artifact directory it lands in)
    let (src_dir, dst_dir) = if let Some(prefix) =
        rest.strip_suffix("/**")
            .or(if rest == "**" { Some("") } else { None })
    {
        (prefix.to_string(), to.to_string())
    } else if rest.contains(['*', '?', '[']) {
        let under = |d: &str| path == d || path.starts_with(&format!("{d}/")) || d.is_empty();
        return under(to).then(|| {
            Err(format!(
                "the copy operation '@{from}' is a glob keeping match paths; not resolved to one directory"
            ))
        });
    } else if rest.is_empty() || rest.ends_with('/') {
        let d = rest.trim_end_matches('/');
        let dst = match source::file_name(d) {
            "" => to.to_string(),
            base if to.is_empty() => base.to_string(),
            base => format!("{to}/{base}"),
        };
        (d.to_string(), dst)
    } else {
        // A single file: it is part of a directory, never the directory itself.
        return None;
    };
    let rel = if dst_dir.is_empty() {
        path
    } else if path == dst_dir {
        ""
    } else {
        path.strip_prefix(&format!("{dst_dir}/"))?
    };
    let joined = match (src_dir.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (false, true) => src_dir,
        (false, false) => format!("{src_dir}/{rel}"),
    };
    Some(source::join("", &joined).map_err(|e| e.msg))
}

/// The directories naming the clusters of an object declared in `file`: the
/// cluster directories of the Kustomizations whose builds apply the file
/// (followed up to Kustomizations no other one applies), else the file's own
/// directory (out of a `flux-system` directory). Several when a shared directory
/// is applied by several clusters.
fn cluster_dirs(all: &[Ks], file: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![(file.to_string(), 0usize)];
    while let Some((f, depth)) = todo.pop() {
        // Each file once: holders sharing a file do not multiply the walk.
        if !seen.insert(f.clone()) {
            continue;
        }
        let holders: Vec<&Ks> = all.iter().filter(|k| k.applies(&f)).collect();
        if holders.is_empty() || depth >= 16 {
            let mut d = source::parent(&f).to_string();
            if source::file_name(&d) == "flux-system" {
                d = source::parent(&d).to_string();
            }
            if !out.contains(&d) {
                out.push(d);
            }
            continue;
        }
        for k in holders {
            todo.push((k.obj.file.clone(), depth + 1));
        }
    }
    out.sort();
    out
}

/// True when an object declared in `file` belongs to `cluster`.
fn in_cluster(all: &[Ks], file: &str, cluster: &str) -> bool {
    cluster_dirs(all, file)
        .iter()
        .any(|d| cluster_name(d) == cluster)
}

/// A cluster's name from its directory.
fn cluster_name(dir: &str) -> String {
    match source::file_name(dir) {
        "" => "(repository root)".to_string(),
        n => n.to_string(),
    }
}

/// The (first) cluster name of an object declared in `file`.
fn cluster_of(all: &[Ks], file: &str) -> String {
    cluster_dirs(all, file)
        .first()
        .map(|d| cluster_name(d))
        .unwrap_or_default()
}

/// The Flux overrides of a Kustomization object.
fn overrides(node: &Node) -> Overrides {
    let spec = |k: &str| {
        node.get_path(&["spec", k])
            .filter(|n| !n.is_null())
            .cloned()
    };
    let seq = |k: &str| {
        node.get_path(&["spec", k])
            .and_then(|n| n.as_seq())
            .cloned()
            .unwrap_or_default()
    };
    Overrides {
        namespace: spec("targetNamespace"),
        name_prefix: spec("namePrefix"),
        name_suffix: spec("nameSuffix"),
        patches: seq("patches"),
        images: seq("images"),
        components: seq("components"),
        common_metadata: spec("commonMetadata"),
        ..Overrides::default()
    }
}

/// Flux build options: no load restriction, and `postBuild` variables from the
/// inline `substitute` over `substituteFrom` ConfigMaps/Secrets of the same
/// cluster and namespace found in the repository.
fn build_options(
    obj: &Object,
    objects: &Objects,
    cluster: &str,
    all: &[Ks],
) -> (BuildOptions, Vec<Note>) {
    let mut b = BuildOptions {
        load_restriction_none: true,
        ..BuildOptions::default()
    };
    let mut notes = Vec::new();
    let Some(post) = obj.node.get_path(&["spec", "postBuild"]) else {
        return (b, notes);
    };
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    let mut unresolved = Vec::new();
    for from in post
        .get("substituteFrom")
        .and_then(|s| s.as_seq())
        .into_iter()
        .flatten()
    {
        let kind = from.str_at(&["kind"]).unwrap_or("");
        let name = from.str_at(&["name"]).unwrap_or("");
        let optional = from.get("optional").and_then(|o| o.as_bool()) == Some(true);
        let found = objects
            .all
            .iter()
            .filter(|o| o.kind() == kind && o.api_version() == "v1" && o.name() == name)
            .filter(|o| o.namespace() == obj.namespace() || o.namespace().is_empty())
            .find(|o| in_cluster(all, &o.file, cluster));
        match found {
            Some(o) => {
                b.inputs.push(o.file.clone());
                for (k, v) in data_of(o) {
                    if kind == "Secret" {
                        b.secret_vars.push(k.clone());
                    } else {
                        b.secret_vars.retain(|s| *s != k);
                    }
                    vars.insert(k, v);
                }
            }
            None if optional => {}
            None => unresolved.push(format!("{kind} '{}/{name}'", obj.namespace())),
        }
    }
    if let Some(m) = post.get("substitute").and_then(|s| s.as_map()) {
        for (k, v) in m {
            b.secret_vars.retain(|s| s != k);
            vars.insert(k.clone(), v.scalar_string().unwrap_or_default());
        }
    }
    if !unresolved.is_empty() {
        notes.push(Note {
            at: obj.pos(),
            msg: format!(
                "Flux Kustomization '{}': postBuild.substituteFrom {} not in this repository; variables left unsubstituted",
                obj.qualified(),
                unresolved.join(", ")
            ),
        });
        return (b, notes);
    }
    if !vars.is_empty() {
        b.substitute = Some(vars);
    }
    (b, notes)
}

/// A ConfigMap's `data` or a Secret's decoded `data` and `stringData`, newlines stripped.
fn data_of(o: &Object) -> Vec<(String, String)> {
    use base64::Engine;
    let mut out = Vec::new();
    let strip = |s: &str| s.replace(['\n', '\r'], "");
    if let Some(m) = o.node.get("data").and_then(|d| d.as_map()) {
        for (k, v) in m {
            let s = v.scalar_string().unwrap_or_default();
            let s = if o.kind() == "Secret" {
                match base64::engine::general_purpose::STANDARD.decode(s.trim()) {
                    Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                    Err(_) => continue,
                }
            } else {
                s
            };
            out.push((k.clone(), strip(&s)));
        }
    }
    if let Some(m) = o.node.get("stringData").and_then(|d| d.as_map()) {
        for (k, v) in m {
            out.push((k.clone(), strip(&v.scalar_string().unwrap_or_default())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::invert_copy;

    #[test]
    fn copy_operations_invert_to_repository_directories() {
        let a = vec!["mono".to_string()];
        let inv = |from: &str, to: &str, path: &str| invert_copy(from, to, path, &a);
        // `dir/**` copies the directory's contents into `to`.
        assert_eq!(
            inv("@mono/infrastructure/**", "@artifact/", "controllers"),
            Some(Ok("infrastructure/controllers".into()))
        );
        assert_eq!(
            inv("@mono/apps/prod/**", "@artifact/prod/", "prod"),
            Some(Ok("apps/prod".into()))
        );
        assert_eq!(inv("@mono/apps/prod/**", "@artifact/prod/", "base"), None);
        // A directory without a glob lands under its own name.
        assert_eq!(
            inv("@mono/cfg/", "@artifact/x/", "x/cfg/a"),
            Some(Ok("cfg/a".into()))
        );
        // Another alias (not this repository) is not inverted.
        assert_eq!(inv("@other/apps/**", "@artifact/", "apps"), None);
        // Globs keeping match paths are not guessed.
        assert!(matches!(
            inv("@mono/configs/*.yaml", "@artifact/apps/", "apps"),
            Some(Err(_))
        ));
        // A single file is part of a directory, never the directory.
        assert_eq!(inv("@mono/a.yaml", "@artifact/", ""), None);
        // Escapes are refused.
        assert!(matches!(
            inv("@mono/../../x/**", "@artifact/", "y"),
            Some(Err(_))
        ));
    }
}
