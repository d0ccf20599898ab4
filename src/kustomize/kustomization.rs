//! The kustomization file: loading, validation, deprecated-field folding.
//!
//! kustomize reads a kustomization as YAML 1.1, converts it to JSON and decodes
//! it with Go's `encoding/json` into `types.Kustomization` with unknown fields
//! disallowed. We reproduce that decoder's checks (field names matched
//! case-insensitively, keys visited in sorted order, the first error wins, type
//! mismatches reported as Go does) on our position-keeping tree, then fold the
//! deprecated fields the way `FixKustomization` does, check emptiness and
//! finally `kind`/`apiVersion` (`EnforceFields`).

use crate::error::{Error, Result};
use crate::yaml::{parse_stream, Map, Node, ParseOptions, Pos, Value};

/// `Kustomization` or `Component`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KustKind {
    /// `kind: Kustomization` (or no kind).
    Kustomization,
    /// `kind: Component`.
    Component,
}

/// A parsed, validated kustomization file. Sections are kept as nodes (with
/// positions); each transformer reads and validates its own section.
#[derive(Clone, Debug)]
pub struct Kustomization {
    /// Repository-relative path of the file (`app/overlays/prod/kustomization.yaml`).
    pub file: String,
    /// Repository-relative directory (`app/overlays/prod`, `""` for the root).
    pub dir: String,
    /// Kustomization or Component.
    pub kind: KustKind,
    /// The whole document, validated, with deprecated fields folded in
    /// (`bases` appended to `resources`, `imageTags` to `images`, generator `env` to `envs`).
    pub node: Node,
}

/// The file names kustomize looks for, in order.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// `apiVersion` of a Kustomization.
pub const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `apiVersion` of a Component.
pub const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

// ---------------------------------------------------------------------------
// The schema of types.Kustomization (kustomize v5.5.0), as Go's JSON decoder sees it.

/// A Go type the decoder fills.
#[derive(Clone, Copy)]
enum Ty {
    /// `string` (or a named string type).
    Str,
    /// `bool`.
    Bool,
    /// An integer type, with its Go name.
    Int(&'static str),
    /// `interface{}`: anything.
    Any,
    /// A slice, with its Go type name.
    List(&'static Ty, &'static str),
    /// A `map[string]T`, with its Go type name.
    Map(&'static Ty, &'static str),
    /// A struct (or pointer to one).
    Struct(&'static St),
}

/// A Go struct: its short name (as error messages print it), its qualified
/// name, and its JSON fields (embedded structs flattened).
struct St {
    name: &'static str,
    go: &'static str,
    fields: &'static [(&'static str, Ty)],
}

const STR_LIST: Ty = Ty::List(&Ty::Str, "[]string");
const STR_MAP: Ty = Ty::Map(&Ty::Str, "map[string]string");

static KUSTOMIZATION: St = St {
    name: "Kustomization",
    go: "types.Kustomization",
    fields: &[
        ("kind", Ty::Str),
        ("apiVersion", Ty::Str),
        ("metadata", Ty::Struct(&OBJECT_META)),
        ("openapi", STR_MAP),
        ("namePrefix", Ty::Str),
        ("nameSuffix", Ty::Str),
        ("namespace", Ty::Str),
        ("commonLabels", STR_MAP),
        ("labels", Ty::List(&Ty::Struct(&LABEL), "[]types.Label")),
        ("commonAnnotations", STR_MAP),
        (
            "patchesStrategicMerge",
            Ty::List(&Ty::Str, "[]types.PatchStrategicMerge"),
        ),
        (
            "patchesJson6902",
            Ty::List(&Ty::Struct(&PATCH), "[]types.Patch"),
        ),
        ("patches", Ty::List(&Ty::Struct(&PATCH), "[]types.Patch")),
        ("images", Ty::List(&Ty::Struct(&IMAGE), "[]types.Image")),
        ("imageTags", Ty::List(&Ty::Struct(&IMAGE), "[]types.Image")),
        (
            "replacements",
            Ty::List(&Ty::Struct(&REPLACEMENT_FIELD), "[]types.ReplacementField"),
        ),
        (
            "replicas",
            Ty::List(&Ty::Struct(&REPLICA), "[]types.Replica"),
        ),
        ("vars", Ty::List(&Ty::Struct(&VAR), "[]types.Var")),
        ("sortOptions", Ty::Struct(&SORT_OPTIONS)),
        ("resources", STR_LIST),
        ("components", STR_LIST),
        ("crds", STR_LIST),
        ("bases", STR_LIST),
        (
            "configMapGenerator",
            Ty::List(&Ty::Struct(&CONFIG_MAP_ARGS), "[]types.ConfigMapArgs"),
        ),
        (
            "secretGenerator",
            Ty::List(&Ty::Struct(&SECRET_ARGS), "[]types.SecretArgs"),
        ),
        ("helmGlobals", Ty::Struct(&HELM_GLOBALS)),
        (
            "helmCharts",
            Ty::List(&Ty::Struct(&HELM_CHART), "[]types.HelmChart"),
        ),
        (
            "helmChartInflationGenerator",
            Ty::List(&Ty::Struct(&HELM_CHART_ARGS), "[]types.HelmChartArgs"),
        ),
        ("generatorOptions", Ty::Struct(&GENERATOR_OPTIONS)),
        ("configurations", STR_LIST),
        ("generators", STR_LIST),
        ("transformers", STR_LIST),
        ("validators", STR_LIST),
        ("buildMetadata", STR_LIST),
    ],
};

static OBJECT_META: St = St {
    name: "ObjectMeta",
    go: "types.ObjectMeta",
    fields: &[
        ("name", Ty::Str),
        ("namespace", Ty::Str),
        ("labels", STR_MAP),
        ("annotations", STR_MAP),
    ],
};

static LABEL: St = St {
    name: "Label",
    go: "types.Label",
    fields: &[
        ("pairs", STR_MAP),
        ("includeSelectors", Ty::Bool),
        ("includeTemplates", Ty::Bool),
        (
            "fields",
            Ty::List(&Ty::Struct(&FIELD_SPEC), "[]types.FieldSpec"),
        ),
    ],
};

static FIELD_SPEC: St = St {
    name: "FieldSpec",
    go: "types.FieldSpec",
    fields: &[
        ("group", Ty::Str),
        ("version", Ty::Str),
        ("kind", Ty::Str),
        ("path", Ty::Str),
        ("create", Ty::Bool),
    ],
};

static SELECTOR: St = St {
    name: "Selector",
    go: "types.Selector",
    fields: &[
        ("group", Ty::Str),
        ("version", Ty::Str),
        ("kind", Ty::Str),
        ("name", Ty::Str),
        ("namespace", Ty::Str),
        ("annotationSelector", Ty::Str),
        ("labelSelector", Ty::Str),
    ],
};

static PATCH: St = St {
    name: "Patch",
    go: "types.Patch",
    fields: &[
        ("path", Ty::Str),
        ("patch", Ty::Str),
        ("target", Ty::Struct(&SELECTOR)),
        ("options", Ty::Map(&Ty::Bool, "map[string]bool")),
    ],
};

static IMAGE: St = St {
    name: "Image",
    go: "types.Image",
    fields: &[
        ("name", Ty::Str),
        ("newName", Ty::Str),
        ("tagSuffix", Ty::Str),
        ("newTag", Ty::Str),
        ("digest", Ty::Str),
    ],
};

static REPLICA: St = St {
    name: "Replica",
    go: "types.Replica",
    fields: &[("name", Ty::Str), ("count", Ty::Int("int64"))],
};

static FIELD_OPTIONS: St = St {
    name: "FieldOptions",
    go: "types.FieldOptions",
    fields: &[
        ("delimiter", Ty::Str),
        ("index", Ty::Int("int")),
        ("encoding", Ty::Str),
        ("create", Ty::Bool),
    ],
};

static SOURCE_SELECTOR: St = St {
    name: "SourceSelector",
    go: "types.SourceSelector",
    fields: &[
        ("group", Ty::Str),
        ("version", Ty::Str),
        ("kind", Ty::Str),
        ("name", Ty::Str),
        ("namespace", Ty::Str),
        ("fieldPath", Ty::Str),
        ("options", Ty::Struct(&FIELD_OPTIONS)),
    ],
};

static TARGET_SELECTOR: St = St {
    name: "TargetSelector",
    go: "types.TargetSelector",
    fields: &[
        ("select", Ty::Struct(&SELECTOR)),
        (
            "reject",
            Ty::List(&Ty::Struct(&SELECTOR), "[]*types.Selector"),
        ),
        ("fieldPaths", STR_LIST),
        ("options", Ty::Struct(&FIELD_OPTIONS)),
    ],
};

static REPLACEMENT_FIELD: St = St {
    name: "ReplacementField",
    go: "types.ReplacementField",
    fields: &[
        ("source", Ty::Struct(&SOURCE_SELECTOR)),
        (
            "targets",
            Ty::List(&Ty::Struct(&TARGET_SELECTOR), "[]*types.TargetSelector"),
        ),
        ("path", Ty::Str),
    ],
};

static VAR_TARGET: St = St {
    name: "Target",
    go: "types.Target",
    fields: &[
        ("apiVersion", Ty::Str),
        ("group", Ty::Str),
        ("version", Ty::Str),
        ("kind", Ty::Str),
        ("name", Ty::Str),
        ("namespace", Ty::Str),
    ],
};

static FIELD_SELECTOR: St = St {
    name: "FieldSelector",
    go: "types.FieldSelector",
    fields: &[("fieldPath", Ty::Str)],
};

static VAR: St = St {
    name: "Var",
    go: "types.Var",
    fields: &[
        ("name", Ty::Str),
        ("objref", Ty::Struct(&VAR_TARGET)),
        ("fieldref", Ty::Struct(&FIELD_SELECTOR)),
    ],
};

static LEGACY_SORT_OPTIONS: St = St {
    name: "LegacySortOptions",
    go: "types.LegacySortOptions",
    fields: &[("orderFirst", STR_LIST), ("orderLast", STR_LIST)],
};

static SORT_OPTIONS: St = St {
    name: "SortOptions",
    go: "types.SortOptions",
    fields: &[
        ("order", Ty::Str),
        ("legacySortOptions", Ty::Struct(&LEGACY_SORT_OPTIONS)),
    ],
};

static GENERATOR_OPTIONS: St = St {
    name: "GeneratorOptions",
    go: "types.GeneratorOptions",
    fields: &[
        ("labels", STR_MAP),
        ("annotations", STR_MAP),
        ("disableNameSuffixHash", Ty::Bool),
        ("immutable", Ty::Bool),
    ],
};

static CONFIG_MAP_ARGS: St = St {
    name: "ConfigMapArgs",
    go: "types.ConfigMapArgs",
    fields: &[
        ("namespace", Ty::Str),
        ("name", Ty::Str),
        ("behavior", Ty::Str),
        ("literals", STR_LIST),
        ("files", STR_LIST),
        ("envs", STR_LIST),
        ("env", Ty::Str),
        ("options", Ty::Struct(&GENERATOR_OPTIONS)),
    ],
};

static SECRET_ARGS: St = St {
    name: "SecretArgs",
    go: "types.SecretArgs",
    fields: &[
        ("namespace", Ty::Str),
        ("name", Ty::Str),
        ("behavior", Ty::Str),
        ("literals", STR_LIST),
        ("files", STR_LIST),
        ("envs", STR_LIST),
        ("env", Ty::Str),
        ("options", Ty::Struct(&GENERATOR_OPTIONS)),
        ("type", Ty::Str),
    ],
};

static HELM_GLOBALS: St = St {
    name: "HelmGlobals",
    go: "types.HelmGlobals",
    fields: &[("chartHome", Ty::Str), ("configHome", Ty::Str)],
};

const ANY_MAP: Ty = Ty::Map(&Ty::Any, "map[string]interface {}");

static HELM_CHART: St = St {
    name: "HelmChart",
    go: "types.HelmChart",
    fields: &[
        ("name", Ty::Str),
        ("version", Ty::Str),
        ("repo", Ty::Str),
        ("releaseName", Ty::Str),
        ("namespace", Ty::Str),
        ("additionalValuesFiles", STR_LIST),
        ("valuesFile", Ty::Str),
        ("valuesInline", ANY_MAP),
        ("valuesMerge", Ty::Str),
        ("includeCRDs", Ty::Bool),
        ("skipHooks", Ty::Bool),
        ("apiVersions", STR_LIST),
        ("kubeVersion", Ty::Str),
        ("nameTemplate", Ty::Str),
        ("skipTests", Ty::Bool),
        ("debug", Ty::Bool),
    ],
};

static HELM_CHART_ARGS: St = St {
    name: "HelmChartArgs",
    go: "types.HelmChartArgs",
    fields: &[
        ("chartName", Ty::Str),
        ("chartVersion", Ty::Str),
        ("chartRepoUrl", Ty::Str),
        ("chartHome", Ty::Str),
        ("chartRepoName", Ty::Str),
        ("helmBin", Ty::Str),
        ("helmHome", Ty::Str),
        ("values", Ty::Str),
        ("valuesLocal", ANY_MAP),
        ("valuesMerge", Ty::Str),
        ("releaseName", Ty::Str),
        ("releaseNamespace", Ty::Str),
        ("extraArgs", STR_LIST),
    ],
};

/// The JSON type name Go's decoder prints for a value.
fn json_kind(n: &Node) -> String {
    match &n.value {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Int(_) | Value::Float(_) => "number".into(),
        Value::Str(_) => "string".into(),
        Value::Seq(_) => "array".into(),
        Value::Map(_) => "object".into(),
    }
}

/// Go's `strings.EqualFold` for the ASCII field names used here.
fn fold_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Where the decoder is: the innermost struct and the field path from the top.
struct Ctx<'a> {
    st: &'static str,
    path: &'a [&'static str],
}

fn mismatch(n: &Node, ctx: &Ctx, go_ty: &str, got: String) -> Error {
    let msg = if ctx.path.is_empty() {
        format!("invalid Kustomization: json: cannot unmarshal {got} into Go value of type {go_ty}")
    } else {
        format!(
            "invalid Kustomization: json: cannot unmarshal {got} into Go struct field {}.{} of type {go_ty}",
            ctx.st,
            ctx.path.join(".")
        )
    };
    Error::at(&n.pos, msg)
}

/// Check `n` against `ty` and canonicalise struct field names in place
/// (Go matches JSON keys to fields case-insensitively; of several keys naming
/// one field, the last in sorted order wins).
fn check(n: &mut Node, ty: &Ty, ctx: &Ctx) -> Result<()> {
    if n.is_null() {
        return Ok(());
    }
    match ty {
        Ty::Any => Ok(()),
        Ty::Str => match n.value {
            Value::Str(_) => Ok(()),
            _ => Err(mismatch(n, ctx, "string", json_kind(n))),
        },
        Ty::Bool => match n.value {
            Value::Bool(_) => Ok(()),
            _ => Err(mismatch(n, ctx, "bool", json_kind(n))),
        },
        Ty::Int(go) => match n.value {
            Value::Int(_) => Ok(()),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => {
                n.value = Value::Int(f as i64);
                Ok(())
            }
            Value::Float(f) => Err(mismatch(
                n,
                ctx,
                go,
                format!("number {}", crate::yaml::format_float(f)),
            )),
            _ => Err(mismatch(n, ctx, go, json_kind(n))),
        },
        Ty::List(elem, go) => {
            let got = json_kind(n);
            let Some(seq) = n.as_seq_mut() else {
                return Err(mismatch(n, ctx, go, got));
            };
            for x in seq.iter_mut() {
                check(x, elem, ctx)?;
            }
            Ok(())
        }
        Ty::Map(elem, go) => {
            let got = json_kind(n);
            let Some(m) = n.as_map_mut() else {
                return Err(mismatch(n, ctx, go, got));
            };
            let mut keys: Vec<String> = m.keys().cloned().collect();
            keys.sort();
            for k in keys {
                if let Some(x) = m.get_mut(&k) {
                    check(x, elem, ctx)?;
                }
            }
            Ok(())
        }
        Ty::Struct(st) => {
            let got = json_kind(n);
            let pos = n.pos.clone();
            let Some(m) = n.as_map_mut() else {
                return Err(mismatch(n, ctx, st.go, got));
            };
            // Resolve every key to a field, in sorted order (the order Go sees).
            let mut keys: Vec<String> = m.keys().cloned().collect();
            keys.sort();
            let mut winner: Vec<(String, &'static str)> = Vec::new();
            for k in &keys {
                let field = st
                    .fields
                    .iter()
                    .find(|(f, _)| f == k)
                    .or_else(|| st.fields.iter().find(|(f, _)| fold_eq(f, k)));
                let Some((fname, fty)) = field else {
                    let at = m.get(k).map(|x| x.pos.clone()).unwrap_or(pos.clone());
                    return Err(Error::at(
                        &at,
                        format!("invalid Kustomization: json: unknown field \"{k}\""),
                    ));
                };
                let mut path: Vec<&'static str> = ctx.path.to_vec();
                path.push(fname);
                let inner = Ctx {
                    st: st.name,
                    path: &path,
                };
                if let Some(x) = m.get_mut(k) {
                    check(x, fty, &inner)?;
                }
                winner.retain(|(_, f)| f != fname);
                winner.push((k.clone(), fname));
            }
            // Rebuild in document order with canonical names, dropping losers.
            let old = std::mem::take(m);
            for (k, v) in old {
                if let Some((_, fname)) = winner.iter().find(|(wk, _)| *wk == k) {
                    m.insert(fname.to_string(), v);
                }
            }
            Ok(())
        }
    }
}

/// Append the list under `from` to the list under `to` (Go's `append(to, from...)`),
/// removing `from`. Like Go, an empty `from` appended to a missing `to` leaves nothing.
fn fold_list(m: &mut Map, from: &str, to: &str) {
    let Some(src) = m.shift_remove(from) else {
        return;
    };
    let items = match src.value {
        Value::Seq(items) => items,
        _ => Vec::new(),
    };
    if items.is_empty() {
        return;
    }
    match m.get_mut(to) {
        Some(dst) if dst.is_seq() => {
            if let Some(s) = dst.as_seq_mut() {
                s.extend(items);
            }
        }
        _ => {
            m.insert(to.to_string(), Node::new(Value::Seq(items), src.pos));
        }
    }
}

/// Fold a generator entry's `env` into its `envs`.
fn fold_env(entry: &mut Node) {
    let Some(m) = entry.as_map_mut() else { return };
    let Some(env) = m.shift_remove("env") else {
        return;
    };
    match env.as_str() {
        Some(s) if !s.is_empty() => {}
        _ => return,
    }
    match m.get_mut("envs") {
        Some(dst) if dst.is_seq() => {
            if let Some(s) = dst.as_seq_mut() {
                s.push(env);
            }
        }
        _ => {
            let pos = env.pos.clone();
            m.insert("envs".to_string(), Node::new(Value::Seq(vec![env]), pos));
        }
    }
}

/// Whether a kustomization value is Go's zero value for its field (absent
/// pointer, nil slice/map, empty string).
fn is_zero(key: &str, n: &Node) -> bool {
    match &n.value {
        Value::Null => true,
        Value::Str(s) => s.is_empty(),
        // FixKustomization always wipes helmChartInflationGenerator; only its
        // entries (converted to helmCharts) make the kustomization non-empty.
        Value::Seq(s) if key == "helmChartInflationGenerator" => s.is_empty(),
        _ => false,
    }
}

/// A `resources`/`components` entry naming a remote target (git or HTTP URL).
pub fn is_remote(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    lower.contains("://")
        || lower.starts_with("git@")
        || lower.starts_with("git::")
        || lower.starts_with("github.com/")
        || lower.starts_with("gitlab.com/")
        || lower.starts_with("bitbucket.org/")
        || lower.contains("?ref=")
        || lower.contains("&ref=")
        || lower.contains("?version=")
        || lower.contains("?submodules=")
        || lower.contains("?timeout=")
}

impl Kustomization {
    /// Parse and validate kustomization text read from `file`.
    pub fn parse(text: &str, file: &str) -> Result<Kustomization> {
        let docs = parse_stream(text, file, &ParseOptions::kustomization())?;
        let file_pos = Pos {
            file: Some(file.into()),
            line: 0,
            col: 0,
        };
        // go-yaml v2 decodes the first document only.
        let mut node = match docs.into_iter().next() {
            Some(n) if !n.is_null() => n,
            _ => return Err(Error::at(&file_pos, "kustomization.yaml is empty")),
        };
        if node.pos.is_none() {
            node.pos = file_pos.clone();
        }
        check(
            &mut node,
            &Ty::Struct(&KUSTOMIZATION),
            &Ctx {
                st: "Kustomization",
                path: &[],
            },
        )?;

        // FixKustomization: fold deprecated fields.
        if let Some(m) = node.as_map_mut() {
            fold_list(m, "bases", "resources");
            fold_list(m, "imageTags", "images");
            for gen in ["configMapGenerator", "secretGenerator"] {
                if let Some(seq) = m.get_mut(gen).and_then(|g| g.as_seq_mut()) {
                    seq.iter_mut().for_each(fold_env);
                }
            }
        }

        // CheckEmpty: everything but kind and apiVersion at its zero value.
        let empty = node
            .as_map()
            .map(|m| {
                m.iter()
                    .all(|(k, v)| k == "kind" || k == "apiVersion" || is_zero(k, v))
            })
            .unwrap_or(true);
        if empty {
            return Err(Error::at(&file_pos, "kustomization.yaml is empty"));
        }

        // EnforceFields.
        let kind_node = node.get("kind").filter(|n| !n.is_null());
        let kind_str = kind_node.and_then(|n| n.as_str()).unwrap_or("");
        let kind = match kind_str {
            "" | "Kustomization" => KustKind::Kustomization,
            "Component" => KustKind::Component,
            _ => {
                let pos = kind_node.map(|n| n.pos.clone()).unwrap_or(file_pos);
                return Err(Error::at(&pos, "kind should be Kustomization or Component"));
            }
        };
        let (kind_name, required) = match kind {
            KustKind::Kustomization => ("Kustomization", KUSTOMIZATION_VERSION),
            KustKind::Component => ("Component", COMPONENT_VERSION),
        };
        if let Some(av) = node.get("apiVersion").filter(|n| !n.is_null()) {
            let s = av.as_str().unwrap_or("");
            if !s.is_empty() && s != required {
                return Err(Error::at(
                    &av.pos,
                    format!("apiVersion for {kind_name} should be {required}"),
                ));
            }
        }
        Ok(Kustomization {
            file: file.to_string(),
            dir: crate::source::parent(file).to_string(),
            kind,
            node,
        })
    }

    /// The first field the native renderer does not implement, with its position:
    /// plugins (`helmCharts`, `helmChartInflationGenerator`, `helmGlobals`,
    /// `generators`, `transformers`, `validators`), an `openapi` schema fetched
    /// from a URL, and remote `resources`/`components`. The renderer refuses with
    /// `<file>:<line>: '<field>' is not supported by the native renderer (use --renderer kustomize)`.
    pub fn unsupported(&self) -> Option<(String, Pos)> {
        let m = self.node.as_map()?;
        let mut found: Vec<(String, Pos)> = Vec::new();
        for (k, v) in m {
            if v.is_null() {
                continue;
            }
            let nonempty = match &v.value {
                Value::Seq(s) => !s.is_empty(),
                Value::Map(m) => !m.is_empty(),
                Value::Str(s) => !s.is_empty(),
                _ => true,
            };
            match k.as_str() {
                "helmCharts"
                | "helmChartInflationGenerator"
                | "generators"
                | "transformers"
                | "validators"
                    if nonempty =>
                {
                    found.push((k.clone(), v.pos.clone()))
                }
                "helmGlobals" if nonempty => found.push((k.clone(), v.pos.clone())),
                "openapi" => {
                    if let Some(p) = v.get("path").and_then(|p| p.as_str()) {
                        let l = p.to_ascii_lowercase();
                        if l.starts_with("http://") || l.starts_with("https://") {
                            let pos = v
                                .get("path")
                                .map(|p| p.pos.clone())
                                .unwrap_or(v.pos.clone());
                            found.push((k.clone(), pos));
                        }
                    }
                }
                "resources" | "components" => {
                    if let Some(seq) = v.as_seq() {
                        if let Some(x) = seq.iter().find(|x| x.as_str().is_some_and(is_remote)) {
                            found.push((k.clone(), x.pos.clone()));
                        }
                    }
                }
                _ => {}
            }
        }
        found.into_iter().min_by_key(|(_, p)| (p.line, p.col))
    }

    /// A section, when present and not null.
    pub fn field(&self, name: &str) -> Option<&Node> {
        self.node.get(name).filter(|n| !n.is_null())
    }
    /// A list-of-strings section (`resources`, `components`, …) with positions.
    pub fn strings(&self, name: &str) -> Result<Vec<(String, Pos)>> {
        let Some(n) = self.field(name) else {
            return Ok(Vec::new());
        };
        let Some(seq) = n.as_seq() else {
            return Err(Error::at(
                &n.pos,
                format!("'{name}' must be a list of strings"),
            ));
        };
        seq.iter()
            .map(|x| match x.as_str() {
                Some(s) => Ok((s.to_string(), x.pos.clone())),
                None => Err(Error::at(
                    &x.pos,
                    format!("'{name}' entries must be strings"),
                )),
            })
            .collect()
    }
    /// A string section (`namespace`, `namePrefix`, …).
    pub fn string(&self, name: &str) -> Result<Option<(String, Pos)>> {
        match self.field(name) {
            None => Ok(None),
            Some(n) => match n.as_str() {
                Some(s) => Ok(Some((s.to_string(), n.pos.clone()))),
                None => Err(Error::at(
                    &n.pos,
                    format!("'{name}' must be a string, not a {}", n.type_name()),
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Kustomization> {
        Kustomization::parse(t, "app/kustomization.yaml")
    }
    fn err(t: &str) -> Error {
        parse(t).expect_err("expected an error")
    }

    #[test]
    fn parses_and_sets_dir() {
        let k = parse("resources:\n- a.yaml\nnamePrefix: p-\n").unwrap();
        assert_eq!(k.dir, "app");
        assert_eq!(k.file, "app/kustomization.yaml");
        assert_eq!(k.kind, KustKind::Kustomization);
        let r = k.strings("resources").unwrap();
        assert_eq!(r[0].0, "a.yaml");
        assert_eq!(r[0].1.line, 2);
        assert_eq!(k.string("namePrefix").unwrap().unwrap().0, "p-");
        let root = Kustomization::parse("namePrefix: x\n", "kustomization.yaml").unwrap();
        assert_eq!(root.dir, "");
    }

    #[test]
    fn empty_files() {
        for t in [
            "",
            "# only a comment\n",
            "---\n---\n",
            "null\n",
            "namePrefix: \"\"\n",
            "kind: Foo\n",
            "bases: []\n",
            "imageTags: []\n",
            "---\n---\nnamePrefix: a\n",
            "apiVersion: v1\n",
        ] {
            assert_eq!(err(t).msg, "kustomization.yaml is empty", "{t:?}");
        }
        // metadata, empty lists and maps count as content
        assert!(parse("metadata: {name: x}\n").is_ok());
        assert!(parse("resources: []\n").is_ok());
        assert!(parse("commonLabels: {}\n").is_ok());
        // first document only
        let k = parse("# c\n---\nnamePrefix: a-\n---\nnameSuffix: b\n").unwrap();
        assert!(k.field("nameSuffix").is_none());
    }

    #[test]
    fn unknown_fields_and_types() {
        let e = err("namePrefix: a\nfoo: 1\n");
        assert_eq!(e.msg, "invalid Kustomization: json: unknown field \"foo\"");
        assert_eq!(e.pos.line, 2);
        let e = err("configMapGenerator:\n- name: a\n  foo: 1\n");
        assert_eq!(e.msg, "invalid Kustomization: json: unknown field \"foo\"");
        assert_eq!(e.pos.line, 3);
        let e = err("namespace: y\n");
        assert_eq!(
            e.msg,
            "invalid Kustomization: json: cannot unmarshal bool into Go struct field Kustomization.namespace of type string"
        );
        assert_eq!(e.pos.line, 1);
        assert_eq!(
            err("commonLabels: {v: 1}\n").msg,
            "invalid Kustomization: json: cannot unmarshal number into Go struct field Kustomization.commonLabels of type string"
        );
        assert_eq!(
            err("resources: a\n").msg,
            "invalid Kustomization: json: cannot unmarshal string into Go struct field Kustomization.resources of type []string"
        );
        assert_eq!(
            err("configMapGenerator:\n- name: 1\n").msg,
            "invalid Kustomization: json: cannot unmarshal number into Go struct field ConfigMapArgs.configMapGenerator.name of type string"
        );
        assert_eq!(
            err("configMapGenerator:\n- name: a\n  options:\n    labels:\n      a: 1\n").msg,
            "invalid Kustomization: json: cannot unmarshal number into Go struct field GeneratorOptions.configMapGenerator.options.labels of type string"
        );
        assert_eq!(
            err("replicas:\n- name: a\n  count: 1.5\n").msg,
            "invalid Kustomization: json: cannot unmarshal number 1.5 into Go struct field Replica.replicas.count of type int64"
        );
        assert_eq!(
            err("patches:\n- target:\n    kind: 1\n").msg,
            "invalid Kustomization: json: cannot unmarshal number into Go struct field Selector.patches.target.kind of type string"
        );
        assert_eq!(
            err("configMapGenerator: {}\n").msg,
            "invalid Kustomization: json: cannot unmarshal object into Go struct field Kustomization.configMapGenerator of type []types.ConfigMapArgs"
        );
        assert_eq!(
            err("[]\n").msg,
            "invalid Kustomization: json: cannot unmarshal array into Go value of type types.Kustomization"
        );
        // yes/no/on/off are YAML 1.1 booleans
        assert!(parse("namePrefix: on\n").is_err());
        assert!(parse("namePrefix: 'on'\n").is_ok());
        // nulls are fine anywhere
        assert!(parse("namespace: ~\nresources: [a]\n").is_ok());
    }

    #[test]
    fn case_insensitive_field_names() {
        let k = parse("NamePrefix: a-\n").unwrap();
        assert_eq!(k.string("namePrefix").unwrap().unwrap().0, "a-");
        // sorted order: "Resources" < "resources", so the lower-case one wins
        let k = parse("resources: [r.yaml]\nResources: []\n").unwrap();
        assert_eq!(k.strings("resources").unwrap().len(), 1);
        // repeated keys: the last wins
        let k = parse("namePrefix: a\nnamePrefix: b\n").unwrap();
        assert_eq!(k.string("namePrefix").unwrap().unwrap().0, "b");
    }

    #[test]
    fn kind_and_api_version() {
        let e = err("kind: Foo\nnamePrefix: a\n");
        assert_eq!(e.msg, "kind should be Kustomization or Component");
        assert_eq!(e.pos.line, 1);
        let e =
            err("kind: Component\napiVersion: kustomize.config.k8s.io/v1beta1\nnamePrefix: a\n");
        assert_eq!(
            e.msg,
            "apiVersion for Component should be kustomize.config.k8s.io/v1alpha1"
        );
        assert_eq!(e.pos.line, 2);
        let e = err("apiVersion: v1\nnamePrefix: a\n");
        assert_eq!(
            e.msg,
            "apiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1"
        );
        let k = parse("kind: Component\nnamePrefix: a\n").unwrap();
        assert_eq!(k.kind, KustKind::Component);
        let k =
            parse("kind: Component\napiVersion: kustomize.config.k8s.io/v1alpha1\nnamePrefix: a\n")
                .unwrap();
        assert_eq!(k.kind, KustKind::Component);
        let k = parse(
            "kind: Kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\nnamePrefix: a\n",
        )
        .unwrap();
        assert_eq!(k.kind, KustKind::Kustomization);
        assert!(parse("kind: 1\nnamePrefix: a\n").is_err());
    }

    #[test]
    fn deprecated_fields_fold() {
        let k = parse("bases:\n- ../base\nresources:\n- a.yaml\n").unwrap();
        let r: Vec<String> = k
            .strings("resources")
            .unwrap()
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(r, ["a.yaml", "../base"]);
        assert!(k.field("bases").is_none());
        let k = parse("bases:\n- ../base\n").unwrap();
        let r = k.strings("resources").unwrap();
        assert_eq!(r[0].0, "../base");
        assert_eq!(r[0].1.line, 2);
        let k = parse("imageTags:\n- name: a\n  newTag: b\nimages:\n- name: c\n").unwrap();
        let imgs = k.field("images").unwrap().as_seq().unwrap();
        assert_eq!(imgs.len(), 2);
        assert_eq!(imgs[1].str_at(&["name"]), Some("a"));
        let k = parse("configMapGenerator:\n- name: a\n  env: x.env\n  envs: [y.env]\nsecretGenerator:\n- name: s\n  env: z.env\n").unwrap();
        let cm = &k.field("configMapGenerator").unwrap().as_seq().unwrap()[0];
        let envs: Vec<&str> = cm
            .get("envs")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert_eq!(envs, ["y.env", "x.env"]);
        assert!(cm.get("env").is_none());
        let s = &k.field("secretGenerator").unwrap().as_seq().unwrap()[0];
        assert_eq!(
            s.get("envs").unwrap().as_seq().unwrap()[0].as_str(),
            Some("z.env")
        );
        // kept as is
        let k = parse("patchesStrategicMerge: [p.yaml]\ncommonLabels: {a: b}\nvars: []\n").unwrap();
        assert!(k.field("patchesStrategicMerge").is_some());
        assert!(k.field("commonLabels").is_some());
    }

    #[test]
    fn unsupported_fields() {
        let k = parse("resources:\n- a.yaml\n").unwrap();
        assert_eq!(k.unsupported(), None);
        let k = parse("resources:\n- a.yaml\nhelmCharts:\n- name: x\n").unwrap();
        let (f, p) = k.unsupported().unwrap();
        assert_eq!(f, "helmCharts");
        assert_eq!(p.line, 4);
        let k = parse("transformers: [t.yaml]\ngenerators: [g.yaml]\n").unwrap();
        assert_eq!(k.unsupported().unwrap().0, "transformers");
        let k = parse("resources:\n- a.yaml\n- https://github.com/x/y//base?ref=v1\n").unwrap();
        let (f, p) = k.unsupported().unwrap();
        assert_eq!(f, "resources");
        assert_eq!(p.line, 3);
        let k = parse("components:\n- git@github.com:x/y.git\n").unwrap();
        assert_eq!(k.unsupported().unwrap().0, "components");
        let k = parse("resources:\n- github.com/x/y/base?ref=main\n").unwrap();
        assert_eq!(k.unsupported().unwrap().0, "resources");
        let k = parse("openapi:\n  path: https://example.com/schema.json\n").unwrap();
        assert_eq!(k.unsupported().unwrap().0, "openapi");
        let k = parse("openapi:\n  path: schema.json\n").unwrap();
        assert_eq!(k.unsupported(), None);
        let k = parse("helmChartInflationGenerator:\n- chartName: x\n").unwrap();
        assert_eq!(k.unsupported().unwrap().0, "helmChartInflationGenerator");
        let k = parse("validators: []\nnamePrefix: a\n").unwrap();
        assert_eq!(k.unsupported(), None);
        let k = parse("helmGlobals:\n  chartHome: x\n").unwrap();
        assert_eq!(k.unsupported().unwrap().0, "helmGlobals");
    }
}
