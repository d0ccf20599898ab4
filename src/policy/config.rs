//! `.manifest-gate.yaml`: environments in promotion order, rule severities and
//! kind constraints. Parsed with our position-keeping YAML parser so that every
//! configuration error names the line it comes from. Without a file,
//! environments are inferred from path segments with the usual names.

use crate::error::{Error, ErrorKind, Result};
use crate::yaml::{parse_stream, Node, ParseOptions, Pos, Value};
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use std::sync::Arc;

/// The configuration file name at the repository root.
pub const CONFIG_FILE: &str = ".manifest-gate.yaml";

pub use crate::diagnostic::Severity;

/// A string from the configuration with the position it was written at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The text.
    pub text: String,
    /// Where it is.
    pub pos: Pos,
}

/// One rule's configured severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleSetting {
    /// The rule id (from the registry).
    pub rule: &'static str,
    /// Its severity.
    pub severity: Severity,
}

/// One environment.
#[derive(Clone, Debug)]
pub struct EnvSpec {
    /// Its name (`prod`).
    pub name: String,
    /// Overlay globs with the position of each.
    pub overlays: Vec<Located>,
    /// The compiled globs (None for inferred environments).
    pub matcher: Option<GlobSet>,
    /// The environment that must show a change first.
    pub after: Option<String>,
    /// Where the environment is declared.
    pub pos: Pos,
    /// Path words that name this environment when inferring (`prod`, `production`, …).
    pub words: Vec<&'static str>,
}

/// `kinds:` entry: files matching `glob` may only hold `kinds`.
#[derive(Clone, Debug)]
pub struct KindRule {
    /// The glob as written.
    pub glob: String,
    /// Compiled.
    pub matcher: GlobMatcher,
    /// Allowed kinds.
    pub kinds: Vec<String>,
    /// Where the entry is.
    pub pos: Pos,
}

/// The gate's configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where it came from: `.manifest-gate.yaml` (at base), a disk path, or `None` when inferred.
    pub file: Option<String>,
    /// Environments in promotion order.
    pub environments: Vec<EnvSpec>,
    /// Whether environments were inferred from path names.
    pub inferred_envs: bool,
    /// Severity per rule, in registry ([`super::rules::all`]) order.
    pub rules: Vec<RuleSetting>,
    /// Kind constraints.
    pub kinds: Vec<KindRule>,
    /// `exclude:` globs with their positions: overlay directories (or their
    /// parents) that are not deployable, neither rendered nor judged.
    pub exclude: Vec<Located>,
    /// The compiled `exclude` globs (`None` when there are none).
    pub exclude_matcher: Option<GlobSet>,
    /// `remote:`: which remote bases `--fetch-remote` may fetch.
    pub remote: crate::kustomize::remote::RemotePolicy,
    /// `clusters:` cluster-name glob → environment, for GitOps controller topology.
    pub clusters: Vec<crate::topology::ClusterEnv>,
    /// `repositories:` URLs that are this repository (besides the checkout's remotes).
    pub repositories: Vec<String>,
    /// `kubernetes-version:` the Kubernetes minor version resources are validated
    /// for (one of [`super::schema::builtin::VERSIONS`]; default the newest).
    pub kubernetes_version: &'static str,
    /// `packs:` the rule packs that run, with their parameters.
    pub packs: Vec<super::packs::PackSelection>,
    /// `ignore:` resources and fields dropped from the diff before the rules run.
    pub ignore: Vec<crate::diff::ignore::IgnoreRule>,
    /// `policies:` globs (relative to the repository root) of the team's Rego
    /// policy files, read from the base revision (see [`super::rego`]).
    pub policies: Vec<Located>,
}

/// The built-in environment vocabulary (the topology's, [`crate::topology::VOCABULARY`]):
/// name, words, and the environment it follows.
pub const INFERRED: [(&str, &[&str], Option<&str>); 5] = {
    use crate::topology::VOCABULARY as V;
    [
        (V[0].0, V[0].1, None),
        (V[1].0, V[1].1, None),
        (V[2].0, V[2].1, Some(V[1].0)),
        (V[3].0, V[3].1, Some(V[2].0)),
        (V[4].0, V[4].1, Some(V[3].0)),
    ]
};

impl Config {
    /// The configuration used when there is no file: inferred environments, default severities.
    pub fn inferred() -> Config {
        Config {
            file: None,
            environments: inferred_envs(),
            inferred_envs: true,
            rules: super::rules::all()
                .iter()
                .map(|r| RuleSetting {
                    rule: r.id,
                    severity: r.default_severity,
                })
                .collect(),
            kinds: Vec::new(),
            exclude: Vec::new(),
            exclude_matcher: None,
            remote: Default::default(),
            clusters: Vec::new(),
            repositories: Vec::new(),
            kubernetes_version: super::schema::builtin::DEFAULT_VERSION,
            packs: Vec::new(),
            ignore: Vec::new(),
            policies: Vec::new(),
        }
    }

    /// Severity of a rule.
    pub fn severity(&self, rule: &str) -> Severity {
        self.rules
            .iter()
            .find(|r| r.rule == rule)
            .map(|r| r.severity)
            .unwrap_or(Severity::Error)
    }

    /// An environment by name.
    pub fn env(&self, name: &str) -> Option<&EnvSpec> {
        self.environments.iter().find(|e| e.name == name)
    }

    /// Parse configuration text read from `file`. Every error is of kind
    /// [`ErrorKind::Config`] and names its line.
    pub fn parse(text: &str, file: &str) -> Result<Config> {
        Config::parse_inner(text, file).map_err(|e| e.kind(ErrorKind::Config))
    }

    fn parse_inner(text: &str, file: &str) -> Result<Config> {
        let docs = parse_stream(text, file, &ParseOptions::resource())?;
        let fpos = Pos {
            file: Some(Arc::from(file)),
            line: 1,
            col: 1,
        };
        let mut cfg = Config::inferred();
        cfg.file = Some(file.to_string());
        let root = match docs.as_slice() {
            [] => return Ok(cfg),
            [d] => d,
            [_, d, ..] => {
                return Err(Error::at(
                    &d.pos,
                    "the configuration must be a single YAML document",
                ))
            }
        };
        if root.is_null() {
            return Ok(cfg);
        }
        let map = expect_map(root, "the configuration must be a mapping")?;
        for (key, val) in map {
            let kpos = key_pos(text, file, key, &val.pos).unwrap_or_else(|| fpos.clone());
            match key.as_str() {
                "environments" => {
                    cfg.environments = parse_envs(text, file, val)?;
                    cfg.inferred_envs = cfg.environments.is_empty();
                    if cfg.inferred_envs {
                        cfg.environments = inferred_envs();
                    }
                }
                "rules" => parse_rules(text, file, val, &mut cfg)?,
                "kinds" => cfg.kinds = parse_kinds(text, file, val)?,
                "exclude" => {
                    cfg.exclude = string_list(val, "'exclude'")?;
                    cfg.exclude_matcher = Some(compile_set(&cfg.exclude, "exclude")?);
                }
                "policies" => {
                    cfg.policies = string_list(val, "'policies'")?;
                    for g in &cfg.policies {
                        compile_glob(&g.text, &g.pos)?;
                    }
                }
                "remote" => cfg.remote = crate::kustomize::remote::RemotePolicy::parse(val)?,
                "clusters" => cfg.clusters = parse_clusters(text, file, val)?,
                "repositories" => {
                    cfg.repositories = string_list(val, "'repositories'")?
                        .into_iter()
                        .map(|u| u.text)
                        .collect()
                }
                "kubernetes-version" => cfg.kubernetes_version = super::schema::builtin::from_config(val)?,
                "packs" => cfg.packs = super::packs::settings::parse_packs(val)?,
                "ignore" => cfg.ignore = super::packs::settings::parse_ignore(val)?,
                other => {
                    return Err(Error::at(
                        &kpos,
                        format!("unknown key '{other}' in the gate configuration (expected environments, rules, kinds, exclude, remote, clusters, repositories, kubernetes-version, packs, ignore or policies)"),
                    ))
                }
            }
        }
        for c in &cfg.clusters {
            if cfg.env(&c.env).is_none() {
                return Err(Error::at(
                    &fpos,
                    format!(
                        "cluster '{}' is assigned to '{}', which is not one of the environments",
                        c.pattern, c.env
                    ),
                ));
            }
        }
        Ok(cfg)
    }

    /// The configured environment a topology environment (from the built-in
    /// vocabulary: `prod`, `staging`, …) or a configured cluster environment is:
    /// the environment of that name, else the one whose name means it (`production`).
    pub fn environment_named(&self, env: &str) -> Option<String> {
        if let Some(e) = self.env(env) {
            return Some(e.name.clone());
        }
        self.environments
            .iter()
            .find(|e| crate::topology::environment_of(&e.name, &[]).0.as_deref() == Some(env))
            .map(|e| e.name.clone())
    }
}

fn inferred_envs() -> Vec<EnvSpec> {
    INFERRED
        .iter()
        .map(|(name, words, after)| EnvSpec {
            name: name.to_string(),
            overlays: Vec::new(),
            matcher: None,
            after: after.map(str::to_string),
            pos: Pos::none(),
            words: words.to_vec(),
        })
        .collect()
}

/// The line of `key:` at or above the value's line (map keys carry no position of their own).
fn key_pos(text: &str, file: &str, key: &str, val: &Pos) -> Option<Pos> {
    let lines: Vec<&str> = text.lines().collect();
    let start = (val.line as usize).min(lines.len());
    for i in (0..start).rev() {
        let l = lines[i];
        for pat in [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
        ] {
            if let Some(c) = l.find(&pat) {
                let before = &l[..c];
                if before
                    .trim_start_matches([' ', '-', '{', ','])
                    .trim()
                    .is_empty()
                    || before.ends_with(['{', ' ', ','])
                {
                    return Some(Pos {
                        file: Some(Arc::from(file)),
                        line: i as u32 + 1,
                        col: c as u32 + 1,
                    });
                }
            }
        }
    }
    None
}

fn at_key(text: &str, file: &str, key: &str, val: &Node) -> Pos {
    key_pos(text, file, key, &val.pos).unwrap_or_else(|| val.pos.clone())
}

fn string_list(n: &Node, what: &str) -> Result<Vec<Located>> {
    let located = |text: &str, pos: &Pos| Located {
        text: text.to_string(),
        pos: pos.clone(),
    };
    match &n.value {
        Value::Str(s) => Ok(vec![located(s, &n.pos)]),
        Value::Seq(items) => items
            .iter()
            .map(|x| match x.as_str() {
                Some(s) => Ok(located(s, &x.pos)),
                None => Err(Error::at(
                    &x.pos,
                    format!("{what} entries must be strings, not a {}", x.type_name()),
                )),
            })
            .collect(),
        _ => Err(Error::at(
            &n.pos,
            format!("{what} must be a list of strings, not a {}", n.type_name()),
        )),
    }
}

fn compile_glob(pattern: &str, pos: &Pos) -> Result<Glob> {
    GlobBuilder::new(pattern.trim_end_matches('/'))
        .literal_separator(true)
        .build()
        .map_err(|e| Error::at(pos, format!("bad glob '{pattern}': {}", e.kind())))
}

fn compile_set(globs: &[Located], what: &str) -> Result<GlobSet> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(compile_glob(&g.text, &g.pos)?);
    }
    b.build()
        .map_err(|e| Error::msg(format!("bad {what} globs: {e}")).kind(ErrorKind::Config))
}

fn parse_envs(text: &str, file: &str, n: &Node) -> Result<Vec<EnvSpec>> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    let map = expect_map(n, "'environments' must be a mapping of environment names")?;
    let mut envs: Vec<EnvSpec> = Vec::new();
    for (name, spec) in map {
        let pos = at_key(text, file, name, spec);
        let mut env = EnvSpec {
            name: name.clone(),
            overlays: Vec::new(),
            matcher: None,
            after: None,
            pos: pos.clone(),
            words: Vec::new(),
        };
        let mut after_pos = pos.clone();
        let fields = expect_map(
            spec,
            &format!(
                "environment '{name}' must be a mapping with 'overlays' (and optionally 'after')"
            ),
        )?;
        for (k, v) in fields {
            match k.as_str() {
                "overlays" => env.overlays = string_list(v, &format!("'overlays' of environment '{name}'"))?,
                "after" => match v.as_str() {
                    Some(s) => {
                        env.after = Some(s.to_string());
                        after_pos = v.pos.clone();
                    }
                    None => {
                        return Err(Error::at(&v.pos, format!("'after' of environment '{name}' must be an environment name")))
                    }
                },
                other => {
                    return Err(Error::at(
                        &at_key(text, file, other, v),
                        format!("unknown key '{other}' in environment '{name}' (expected overlays or after)"),
                    ))
                }
            }
        }
        if env.overlays.is_empty() {
            return Err(Error::at(
                &pos,
                format!("environment '{name}' has no 'overlays' globs"),
            ));
        }
        let mut b = GlobSetBuilder::new();
        for g in &env.overlays {
            b.add(compile_glob(&g.text, &g.pos)?);
        }
        env.matcher = Some(
            b.build()
                .map_err(|e| Error::at(&pos, format!("bad overlay globs: {e}")))?,
        );
        if let Some(a) = &env.after {
            if a == name {
                return Err(Error::at(
                    &after_pos,
                    format!("environment '{name}' cannot come after itself"),
                ));
            }
            if !map.contains_key(a) {
                let known: Vec<&str> = map.keys().map(String::as_str).collect();
                return Err(Error::at(
                    &after_pos,
                    format!(
                        "environment '{name}' comes after unknown environment '{a}' (known: {})",
                        known.join(", ")
                    ),
                ));
            }
        }
        envs.push(env);
    }
    // Reject cycles in `after`.
    for e in &envs {
        let mut seen = vec![e.name.as_str()];
        let mut cur = e.after.as_deref();
        while let Some(c) = cur {
            if seen.contains(&c) {
                return Err(Error::at(
                    &e.pos,
                    format!(
                        "environment '{}' is part of an 'after' cycle: {} -> {c}",
                        e.name,
                        seen.join(" -> ")
                    ),
                ));
            }
            seen.push(c);
            cur = envs
                .iter()
                .find(|x| x.name == c)
                .and_then(|x| x.after.as_deref());
        }
    }
    Ok(envs)
}

fn parse_rules(text: &str, file: &str, n: &Node, cfg: &mut Config) -> Result<()> {
    if n.is_null() {
        return Ok(());
    }
    let map = expect_map(n, "'rules' must be a mapping of rule: severity")?;
    for (rule, v) in map {
        let Some(slot) = cfg.rules.iter_mut().find(|r| r.rule == rule) else {
            return Err(Error::at(
                &at_key(text, file, rule, v),
                format!(
                    "unknown rule '{rule}' (rules: {})",
                    super::rules::ids().join(", ")
                ),
            ));
        };
        let sev = match &v.value {
            Value::Str(s) if s == "error" => Severity::Error,
            Value::Str(s) if s == "warning" || s == "warn" => Severity::Warning,
            Value::Str(s) if s == "off" => Severity::Off,
            Value::Bool(false) => Severity::Off,
            _ => {
                let shown = v
                    .scalar_string()
                    .unwrap_or_else(|| v.type_name().to_string());
                return Err(Error::at(
                    &v.pos,
                    format!(
                        "bad severity '{shown}' for rule '{rule}' (expected error, warning or off)"
                    ),
                ));
            }
        };
        slot.severity = sev;
    }
    Ok(())
}

fn parse_kinds(text: &str, file: &str, n: &Node) -> Result<Vec<KindRule>> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    let map = expect_map(n, "'kinds' must be a mapping of file glob: [kinds]")?;
    let mut out = Vec::new();
    for (glob, v) in map {
        let pos = at_key(text, file, glob, v);
        let kinds = string_list(v, &format!("kinds allowed in '{glob}'"))?;
        let matcher = compile_glob(glob, &pos)?.compile_matcher();
        out.push(KindRule {
            glob: glob.clone(),
            matcher,
            kinds: kinds.into_iter().map(|k| k.text).collect(),
            pos,
        });
    }
    Ok(out)
}

/// `clusters:`: a mapping of cluster-name glob → environment name.
fn parse_clusters(text: &str, file: &str, n: &Node) -> Result<Vec<crate::topology::ClusterEnv>> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    let map = expect_map(
        n,
        "'clusters' must be a mapping of cluster name (or glob): environment",
    )?;
    let mut out = Vec::new();
    for (pattern, v) in map {
        let pos = at_key(text, file, pattern, v);
        compile_glob(pattern, &pos)?;
        let Some(env) = v.as_str().filter(|e| !e.is_empty()) else {
            return Err(Error::at(
                &pos,
                format!("the environment of cluster '{pattern}' must be a name"),
            ));
        };
        out.push(crate::topology::ClusterEnv {
            pattern: pattern.clone(),
            env: env.to_string(),
        });
    }
    Ok(out)
}

/// How an overlay's environment was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// The environment, or None when unassigned.
    pub env: Option<String>,
    /// The reason, for `manifest-gate overlays` and messages.
    pub reason: String,
    /// The path segment that names the environment (for counterpart matching).
    pub segment: Option<Segment>,
}

/// One segment of an overlay path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Its index among the `/`-separated segments.
    pub index: usize,
    /// Its text.
    pub text: String,
}

/// Split a path segment into words (`blue-prod` -> `blue`, `prod`); `pre-prod` is one word.
fn words(segment: &str) -> Vec<String> {
    crate::topology::env_words(segment)
}

/// Path segments that name something that is not a deployment (a shared base, a
/// kustomize component): an overlay under one is no environment's.
const NOT_DEPLOYMENTS: [&str; 5] = ["base", "bases", "_base", "components", "component"];

/// What path inference found.
enum Inferred {
    /// The environment, the segment naming it, and the word in that segment.
    Env {
        env: String,
        segment: Segment,
        word: String,
    },
    /// No environment, and why (ambiguous, or a base/component directory).
    Not(String),
}

/// Find the inferred environment of a path: an environment word must be a whole
/// word of a segment; the outermost segment holding one wins (`staging/lightwell-dev`
/// is staging); two different environments in that segment make it ambiguous,
/// never a guess; a path through `base`/`components` is not a deployment.
fn infer(cfg: &Config, dir: &str) -> Option<Inferred> {
    let segs: Vec<&str> = dir.split('/').collect();
    if let Some(seg) = segs
        .iter()
        .find(|s| NOT_DEPLOYMENTS.contains(&s.to_ascii_lowercase().as_str()))
    {
        return Some(Inferred::Not(format!(
            "'{seg}' holds shared bases or components, not deployments"
        )));
    }
    for (i, seg) in segs.iter().enumerate() {
        let found = crate::topology::environment_words(seg, |w| {
            cfg.environments
                .iter()
                .find(|e| e.words.contains(&w))
                .map(|e| e.name.as_str())
        });
        match found.as_slice() {
            [] => {}
            [(env, word)] => {
                return Some(Inferred::Env {
                    env: env.to_string(),
                    segment: Segment {
                        index: i,
                        text: seg.to_string(),
                    },
                    word: word.clone(),
                })
            }
            many => {
                return Some(Inferred::Not(format!(
                    "ambiguous: path segment '{seg}' has the words {} (not guessed; configure the environments)",
                    crate::topology::conflict(many)
                )));
            }
        }
    }
    None
}

impl Config {
    /// Decide the environment of an overlay directory.
    pub fn assign(&self, dir: &str) -> Assignment {
        if self.inferred_envs {
            return match infer(self, dir) {
                Some(Inferred::Env { env, segment, word }) => Assignment {
                    reason: format!("path segment '{}' has the word '{word}'", segment.text),
                    env: Some(env),
                    segment: Some(segment),
                },
                Some(Inferred::Not(reason)) => Assignment {
                    env: None,
                    reason,
                    segment: None,
                },
                None => Assignment {
                    env: None,
                    reason: "no path segment names an environment".to_string(),
                    segment: None,
                },
            };
        }
        let file = self.file.as_deref().unwrap_or(CONFIG_FILE);
        let matched: Vec<&EnvSpec> = self
            .environments
            .iter()
            .filter(|e| e.matcher.as_ref().is_some_and(|m| m.is_match(dir)))
            .collect();
        let Some(env) = matched.first() else {
            return Assignment {
                env: None,
                reason: format!("matches no overlay glob in {file}"),
                segment: None,
            };
        };
        let glob = env
            .overlays
            .iter()
            .find(|g| {
                compile_glob(&g.text, &g.pos)
                    .map(|g| g.compile_matcher().is_match(dir))
                    .unwrap_or(false)
            })
            .map(|g| format!("'{}' ({file}:{})", g.text, g.pos.line))
            .unwrap_or_default();
        let mut reason = format!("matches {glob}");
        if matched.len() > 1 {
            let others: Vec<&str> = matched[1..].iter().map(|e| e.name.as_str()).collect();
            reason.push_str(&format!(
                "; also matches {} (first listed wins)",
                others.join(", ")
            ));
        }
        Assignment {
            env: Some(env.name.clone()),
            reason,
            segment: env_segment(self, &env.name, dir),
        }
    }
}

/// The segment of `dir` that names environment `env` (for counterpart matching under a config):
/// the deepest segment containing the environment's name or one of the inferred words as a word.
fn env_segment(cfg: &Config, env: &str, dir: &str) -> Option<Segment> {
    let segs: Vec<&str> = dir.split('/').collect();
    let inferred = cfg
        .environments
        .iter()
        .position(|e| e.name == env)
        .and_then(|_| {
            INFERRED
                .iter()
                .find(|(n, ws, _)| *n == env || ws.contains(&env))
                .map(|(_, ws, _)| *ws)
        });
    for (i, seg) in segs.iter().enumerate().rev() {
        let ws = words(seg);
        if ws
            .iter()
            .any(|w| w == env || inferred.is_some_and(|iw| iw.contains(&w.as_str())))
        {
            return Some(Segment {
                index: i,
                text: seg.to_string(),
            });
        }
    }
    // Fall back to the last segment.
    segs.last().map(|s| Segment {
        index: segs.len() - 1,
        text: s.to_string(),
    })
}

/// The cluster key of an overlay: its path with the environment word removed from the
/// segment that names the environment (`blue-prod` and `blue-preprod` share `blue-*`).
pub fn cluster_key(dir: &str, a: &Assignment) -> String {
    // A GitOps deployment unit (`<dir> @ <cluster>`): the same directory in
    // another cluster is its counterpart.
    let dir = dir.split_once(" @ ").map_or(dir, |(d, _)| d);
    let Some(Segment {
        index: i,
        text: seg,
    }) = &a.segment
    else {
        return dir.to_string();
    };
    let mut segs: Vec<String> = dir.split('/').map(str::to_string).collect();
    let all: Vec<&str> = INFERRED
        .iter()
        .flat_map(|(n, ws, _)| ws.iter().copied().chain([*n]))
        .collect();
    let ws: Vec<String> = words(seg)
        .into_iter()
        .map(|w| {
            if all.contains(&w.as_str()) || Some(&w) == a.env.as_ref() {
                "*".into()
            } else {
                w
            }
        })
        .collect();
    if *i < segs.len() {
        segs[*i] = ws.join("-");
    }
    segs.join("/")
}

/// `n` as a mapping, or an error at `n` saying what it must be (`what`) and
/// what it is.
fn expect_map<'a>(n: &'a Node, what: &str) -> Result<&'a crate::yaml::Map> {
    n.as_map()
        .ok_or_else(|| Error::at(&n.pos, format!("{what}, not a {}", n.type_name())))
}

#[cfg(test)]
#[path = "config/tests.rs"]
mod tests;
