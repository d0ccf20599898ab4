//! Schema validation of rendered resources: built-in kinds against the embedded
//! Kubernetes schemas ([`builtin`]) for one `kubernetes-version`, custom
//! resources against the CRDs found in the rendered output ([`crd`]), with the
//! `jsonschema` crate. A validator is compiled once per (version, apiVersion,
//! kind) or per CRD version and cached in [`Validators`] for the run.
//!
//! Every finding carries the position of the node that produced the value (the
//! patch line when a patch set it), read from the rendered node's provenance.
//!
//! Hostile schemas: CRD schemas are measured before compiling
//! ([`crd::SchemaBudget`]); `pattern`s run on the `regex` engine (linear time,
//! no backtracking; RE2 semantics, like the API server) with compiled-size
//! limits; the time spent on one CRD's validator (compiling and validating) is
//! bounded by [`Validators::max_time`]; past it the run cannot decide (exit 2)
//! and names the CRD's file.

pub mod builtin;
pub mod crd;

use crate::error::{Error, ErrorKind, Result};
use crate::model::Resource;
use crate::yaml::{Node, Pos, Value};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{PatternOptions, Validator};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One schema violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The node that produced the offending value (or the object lacking a field).
    pub pos: Pos,
    /// The field, in the diff's notation (`spec.template.spec.containers[name=app].image`).
    pub field: String,
    /// What is wrong (no values: a Secret's values never reach a message).
    pub message: String,
    /// What the schema wants, when it says.
    pub expected: Option<String>,
}

/// Which schema a resource was validated against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaSource {
    /// The embedded Kubernetes schema of this version.
    Builtin(&'static str),
    /// A CRD in the rendered output: its name and where it is.
    Crd {
        /// `metadata.name` of the CRD.
        name: String,
        /// Its document.
        origin: Pos,
    },
}

/// The result of validating one resource.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Validated: the violations (empty when valid) and the schema used.
    Checked(Vec<Finding>, SchemaSource),
    /// No schema for this kind: why.
    NoSchema(String),
}

type CrdKey = (String, String, String);

/// A compiled validator and what it came from.
struct Compiled {
    validator: Option<Arc<Validator>>,
    source: SchemaSource,
}

/// The validators of one run, compiled on first use.
pub struct Validators<'a> {
    version: &'static str,
    crds: BTreeMap<CrdKey, crd::CrdSchema<'a>>,
    budget: crd::SchemaBudget,
    builtins: HashMap<(String, String), Option<Arc<Validator>>>,
    compiled: HashMap<CrdKey, Compiled>,
    spent: HashMap<CrdKey, Duration>,
    /// Time one CRD's validator may take, compiling and validating, over the run.
    pub max_time: Duration,
}

impl<'a> Validators<'a> {
    /// Validators for `version` (an embedded minor version, [`builtin::VERSIONS`])
    /// and the CRDs of `resources` (the rendered output at head), whose schemas
    /// are held to `budget` when a resource needs them.
    pub fn new(
        version: &'static str,
        resources: impl Iterator<Item = &'a Resource>,
        budget: &crd::SchemaBudget,
    ) -> Result<Validators<'a>> {
        let mut crds = BTreeMap::new();
        crd::collect(resources, &mut crds);
        Ok(Validators {
            version,
            crds,
            budget: *budget,
            builtins: HashMap::new(),
            compiled: HashMap::new(),
            spent: HashMap::new(),
            max_time: Duration::from_secs(10),
        })
    }

    /// The Kubernetes version built-in kinds are validated for.
    pub fn version(&self) -> &'static str {
        self.version
    }

    /// Validate one rendered resource.
    pub fn validate(&mut self, r: &Resource) -> Result<Verdict> {
        let (api, kind) = (r.api_version().to_string(), r.kind().to_string());
        let instance = r.node.to_json();
        if let Some(v) = self.builtin(&api, &kind)? {
            let found = findings(&v, &instance, &r.node);
            return Ok(Verdict::Checked(found, SchemaSource::Builtin(self.version)));
        }
        let gvk = crate::model::Gvk::from_api_version(&api, &kind);
        let key = (gvk.group, gvk.version, gvk.kind);
        let Some(c) = self.crds.get(&key) else {
            let why = if builtin::known_anywhere(&api, &kind) {
                format!("Kubernetes {} does not serve {api} {kind}", self.version)
            } else {
                format!("no CustomResourceDefinition for {api} {kind} in the rendered output")
            };
            return Ok(Verdict::NoSchema(why));
        };
        let started = Instant::now();
        if !self.compiled.contains_key(&key) {
            let validator = match c.prepare(&self.budget)? {
                Some(s) => Some(Arc::new(compile_crd(&s).map_err(|e| {
                    Error::at(
                        &c.origin,
                        format!(
                            "CustomResourceDefinition '{}': the schema of version {} does not compile: {e}",
                            c.name, c.version
                        ),
                    )
                })?)),
                None => None,
            };
            let source = SchemaSource::Crd {
                name: c.name.clone(),
                origin: c.origin.clone(),
            };
            self.compiled
                .insert(key.clone(), Compiled { validator, source });
        }
        let compiled = &self.compiled[&key];
        let Some(v) = compiled.validator.clone() else {
            return Ok(Verdict::NoSchema(format!(
                "CustomResourceDefinition '{}' declares no schema for version {}",
                c.name, c.version
            )));
        };
        let found = findings(&v, &instance, &r.node);
        let spent = self.spent.entry(key).or_default();
        *spent += started.elapsed();
        if *spent > self.max_time {
            return Err(Error::at(
                &c.origin,
                format!(
                    "CustomResourceDefinition '{}': validating against its schema took more than {}s (validation budget)",
                    c.name,
                    self.max_time.as_secs()
                ),
            )
            .kind(ErrorKind::Budget));
        }
        Ok(Verdict::Checked(found, compiled.source.clone()))
    }

    /// The built-in validator for `api kind` at this version, compiled once.
    fn builtin(&mut self, api: &str, kind: &str) -> Result<Option<Arc<Validator>>> {
        let key = (api.to_string(), kind.to_string());
        if let Some(v) = self.builtins.get(&key) {
            return Ok(v.clone());
        }
        let v = match builtin::schema_for(self.version, api, kind) {
            Some(schema) => Some(Arc::new(
                jsonschema::draft202012::options()
                    .with_pattern_options(patterns())
                    .should_validate_formats(false)
                    .build(&schema)
                    .map_err(|e| {
                        Error::msg(format!(
                            "the embedded Kubernetes {} schema of {api} {kind} does not compile: {e}",
                            self.version
                        ))
                    })?,
            )),
            None => None,
        };
        self.builtins.insert(key, v.clone());
        Ok(v)
    }
}

/// Patterns: the linear-time `regex` engine with bounded compiled sizes.
fn patterns() -> PatternOptions<jsonschema::Regex> {
    PatternOptions::regex()
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
}

fn compile_crd(schema: &serde_json::Value) -> std::result::Result<Validator, String> {
    jsonschema::draft4::options()
        .with_pattern_options(patterns())
        .should_validate_formats(false)
        .build(schema)
        .map_err(|e| e.masked().to_string())
}

/// Run a validator and turn its errors into findings located in `node`.
fn findings(v: &Validator, instance: &serde_json::Value, node: &Node) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for e in v.iter_errors(instance) {
        let segments: Vec<LocationSegment> = e.instance_path().iter().collect();
        let (target, field) = walk(node, &segments);
        let here = target.unwrap_or(node);
        let push = |out: &mut Vec<Finding>, f: Finding| {
            if !out.contains(&f) {
                out.push(f);
            }
        };
        match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for u in unexpected {
                    let child = here.get(u);
                    push(
                        &mut out,
                        Finding {
                            pos: child.map_or(&here.pos, |c| &c.pos).clone(),
                            field: join(&field, u),
                            message: "unknown field".into(),
                            expected: None,
                        },
                    );
                }
            }
            kind => push(
                &mut out,
                Finding {
                    pos: here.pos.clone(),
                    field: field.clone(),
                    message: describe(kind, here, &e),
                    expected: expected(kind),
                },
            ),
        }
    }
    out
}

/// The node at an instance path and the path in the diff's notation.
fn walk<'n>(node: &'n Node, segments: &[LocationSegment]) -> (Option<&'n Node>, String) {
    let mut cur = Some(node);
    let mut field = String::new();
    for s in segments {
        let key = match s {
            LocationSegment::Property(p) => p.to_string(),
            LocationSegment::Index(i) => i.to_string(),
        };
        match cur.map(|n| &n.value) {
            Some(Value::Seq(items)) => {
                let idx: usize = key.parse().unwrap_or(usize::MAX);
                let item = items.get(idx);
                match item.and_then(|i| i.str_at(&["name"])) {
                    Some(name) if !name.contains([']', '[', '=']) => {
                        field.push_str(&format!("[name={name}]"))
                    }
                    _ => field.push_str(&format!("[{key}]")),
                }
                cur = item;
            }
            Some(Value::Map(m)) => {
                field = join(&field, &key);
                cur = m.get(&key);
            }
            _ => {
                field = join(&field, &key);
                cur = None;
            }
        }
    }
    (cur, field)
}

/// `parent.key`, quoting keys the diff notation quotes.
fn join(parent: &str, key: &str) -> String {
    let k = if key.contains(['.', '[', ']', '=']) || key.is_empty() {
        format!("[{}]", serde_json::Value::from(key))
    } else {
        key.to_string()
    };
    match (parent.is_empty(), k.starts_with('[')) {
        (true, _) | (false, true) => format!("{parent}{k}"),
        (false, false) => format!("{parent}.{k}"),
    }
}

fn describe(kind: &ValidationErrorKind, here: &Node, e: &jsonschema::ValidationError) -> String {
    let actual = here.type_name();
    match kind {
        ValidationErrorKind::Type { .. } => format!("wrong type: a {actual}"),
        ValidationErrorKind::Required { property } => format!(
            "missing required field '{}'",
            property.as_str().unwrap_or("?")
        ),
        ValidationErrorKind::Enum { .. } => "value not allowed".into(),
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            format!("a {actual} matches none of the forms the schema allows")
        }
        ValidationErrorKind::Pattern { .. } => "value does not match the schema's pattern".into(),
        _ => format!("{} (schema keyword '{}')", masked(e), kind.keyword()),
    }
}

/// The error's message without the instance value (Secret values stay out).
fn masked(e: &jsonschema::ValidationError) -> String {
    e.masked_with("the value").to_string()
}

fn expected(kind: &ValidationErrorKind) -> Option<String> {
    match kind {
        ValidationErrorKind::Type { kind } => {
            let names: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
            };
            let names: Vec<String> = names.into_iter().filter(|n| n != "null").collect();
            Some(names.join(" or "))
        }
        ValidationErrorKind::Enum { options } => {
            let list: Vec<String> = options
                .as_array()
                .map(|a| a.iter().take(20).map(|o| o.to_string()).collect())
                .unwrap_or_default();
            Some(format!("one of {}", list.join(", ")))
        }
        ValidationErrorKind::Pattern { pattern } if pattern.len() <= 200 => {
            Some(format!("a match of /{pattern}/"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ParseOptions};

    fn resource(text: &str) -> Resource {
        let docs = parse_stream(text, "x/deploy.yaml", &ParseOptions::resource()).unwrap();
        let n = docs.into_iter().next().unwrap();
        let pos = n.pos.clone();
        Resource::new(n, pos)
    }

    #[test]
    fn finds_unknown_fields_wrong_types_and_missing_fields_at_their_lines() {
        let r = resource(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: \"3\"\n  selector:\n    matchLabels: {app: web}\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        imagePullPolicyy: Always\n      - image: x\n",
        );
        let mut v = Validators::new("1.37", std::iter::empty(), &Default::default()).unwrap();
        let Verdict::Checked(f, SchemaSource::Builtin("1.37")) = v.validate(&r).unwrap() else {
            panic!("not validated")
        };
        let at = |field: &str| {
            f.iter()
                .find(|x| x.field == field)
                .map(|x| (x.pos.line, x.message.clone()))
        };
        assert_eq!(
            at("spec.template.spec.containers[name=app].imagePullPolicyy"),
            Some((14, "unknown field".into()))
        );
        assert_eq!(at("spec.replicas").map(|x| x.0), Some(6));
        assert!(
            f.iter()
                .any(|x| x.message == "missing required field 'name'"),
            "{f:?}"
        );
        assert_eq!(f.len(), 3, "{f:?}");
    }

    #[test]
    fn unknown_kinds_are_not_validated() {
        let r = resource("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
        let mut v = Validators::new("1.37", std::iter::empty(), &Default::default()).unwrap();
        assert!(matches!(v.validate(&r).unwrap(), Verdict::NoSchema(_)));
    }

    #[test]
    fn a_crd_no_resource_uses_costs_nothing_even_over_budget() {
        let mut s = String::from("        type: object\n        properties:\n");
        for i in 0..50 {
            s.push_str(&format!("          f{i}: {{type: string}}\n"));
        }
        let crd = resource(&format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ws.example.com\nspec:\n  group: example.com\n  names: {{kind: W}}\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n{s}"
        ));
        let tight = crd::SchemaBudget {
            max_nodes: 20,
            ..Default::default()
        };
        let mut v = Validators::new("1.37", [&crd].into_iter(), &tight).unwrap();
        let cm = resource("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
        assert!(matches!(v.validate(&cm).unwrap(), Verdict::Checked(f, _) if f.is_empty()));
        let w = resource("apiVersion: example.com/v1\nkind: W\nmetadata:\n  name: w\n");
        let e = v.validate(&w).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Budget);
        assert!(e.to_string().starts_with("x/deploy.yaml:1: CustomResourceDefinition 'ws.example.com': its schema has more than 20 nodes"), "{e}");
    }

    #[test]
    fn catastrophic_patterns_run_in_linear_time() {
        let crd = resource(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ws.example.com\nspec:\n  group: example.com\n  names: {kind: W}\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            properties:\n              s: {type: string, pattern: '^(a+)+$'}\n",
        );
        let long = "a".repeat(5000) + "!";
        let cr = resource(&format!(
            "apiVersion: example.com/v1\nkind: W\nmetadata:\n  name: w\nspec:\n  s: {long}\n"
        ));
        let mut v = Validators::new("1.37", [&crd].into_iter(), &Default::default()).unwrap();
        let t = Instant::now();
        let Verdict::Checked(f, SchemaSource::Crd { .. }) = v.validate(&cr).unwrap() else {
            panic!("not validated")
        };
        assert!(t.elapsed() < Duration::from_secs(2));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].field, "spec.s");
    }
}
