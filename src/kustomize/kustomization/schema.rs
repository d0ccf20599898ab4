//! The schema of types.Kustomization (kustomize v5.5.0), as Go's JSON decoder sees it,
//! the type check against it and the folding of deprecated fields.

use super::*;

/// A Go type the decoder fills.
#[derive(Clone, Copy)]
pub(super) enum Ty {
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
pub(super) struct St {
    pub(super) name: &'static str,
    pub(super) go: &'static str,
    pub(super) fields: &'static [(&'static str, Ty)],
}

pub(super) const STR_LIST: Ty = Ty::List(&Ty::Str, "[]string");
pub(super) const STR_MAP: Ty = Ty::Map(&Ty::Str, "map[string]string");

pub(super) static KUSTOMIZATION: St = St {
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

pub(super) static OBJECT_META: St = St {
    name: "ObjectMeta",
    go: "types.ObjectMeta",
    fields: &[
        ("name", Ty::Str),
        ("namespace", Ty::Str),
        ("labels", STR_MAP),
        ("annotations", STR_MAP),
    ],
};

pub(super) static LABEL: St = St {
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

pub(super) static FIELD_SPEC: St = St {
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

pub(super) static SELECTOR: St = St {
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

pub(super) static PATCH: St = St {
    name: "Patch",
    go: "types.Patch",
    fields: &[
        ("path", Ty::Str),
        ("patch", Ty::Str),
        ("target", Ty::Struct(&SELECTOR)),
        ("options", Ty::Map(&Ty::Bool, "map[string]bool")),
    ],
};

pub(super) static IMAGE: St = St {
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

pub(super) static REPLICA: St = St {
    name: "Replica",
    go: "types.Replica",
    fields: &[("name", Ty::Str), ("count", Ty::Int("int64"))],
};

pub(super) static FIELD_OPTIONS: St = St {
    name: "FieldOptions",
    go: "types.FieldOptions",
    fields: &[
        ("delimiter", Ty::Str),
        ("index", Ty::Int("int")),
        ("encoding", Ty::Str),
        ("create", Ty::Bool),
    ],
};

pub(super) static SOURCE_SELECTOR: St = St {
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

pub(super) static TARGET_SELECTOR: St = St {
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

pub(super) static REPLACEMENT_FIELD: St = St {
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

pub(super) static VAR_TARGET: St = St {
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

pub(super) static FIELD_SELECTOR: St = St {
    name: "FieldSelector",
    go: "types.FieldSelector",
    fields: &[("fieldPath", Ty::Str)],
};

pub(super) static VAR: St = St {
    name: "Var",
    go: "types.Var",
    fields: &[
        ("name", Ty::Str),
        ("objref", Ty::Struct(&VAR_TARGET)),
        ("fieldref", Ty::Struct(&FIELD_SELECTOR)),
    ],
};

pub(super) static LEGACY_SORT_OPTIONS: St = St {
    name: "LegacySortOptions",
    go: "types.LegacySortOptions",
    fields: &[("orderFirst", STR_LIST), ("orderLast", STR_LIST)],
};

pub(super) static SORT_OPTIONS: St = St {
    name: "SortOptions",
    go: "types.SortOptions",
    fields: &[
        ("order", Ty::Str),
        ("legacySortOptions", Ty::Struct(&LEGACY_SORT_OPTIONS)),
    ],
};

pub(super) static GENERATOR_OPTIONS: St = St {
    name: "GeneratorOptions",
    go: "types.GeneratorOptions",
    fields: &[
        ("labels", STR_MAP),
        ("annotations", STR_MAP),
        ("disableNameSuffixHash", Ty::Bool),
        ("immutable", Ty::Bool),
    ],
};

pub(super) static CONFIG_MAP_ARGS: St = St {
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

pub(super) static SECRET_ARGS: St = St {
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

pub(super) static HELM_GLOBALS: St = St {
    name: "HelmGlobals",
    go: "types.HelmGlobals",
    fields: &[("chartHome", Ty::Str), ("configHome", Ty::Str)],
};

pub(super) const ANY_MAP: Ty = Ty::Map(&Ty::Any, "map[string]interface {}");

pub(super) static HELM_CHART: St = St {
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

pub(super) static HELM_CHART_ARGS: St = St {
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
pub(super) fn json_kind(n: &Node) -> String {
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
pub(super) fn fold_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Where the decoder is: the innermost struct and the field path from the top.
pub(super) struct Ctx<'a> {
    pub(super) st: &'static str,
    pub(super) path: &'a [&'static str],
}

pub(super) fn mismatch(n: &Node, ctx: &Ctx, go_ty: &str, got: String) -> Error {
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
pub(super) fn check(n: &mut Node, ty: &Ty, ctx: &Ctx) -> Result<()> {
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
pub(super) fn fold_list(m: &mut Map, from: &str, to: &str) {
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
pub(super) fn fold_env(entry: &mut Node) {
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
