//! The built-in checks of pack rules (`check: {name: …}`), for what a JSON
//! Schema over one resource cannot say.
//!
//! Over the change (modified resources, base and head side):
//! - `field-removed` (`fields`): a field present at base is gone at head;
//! - `value-changed` (`fields`, optional `from`, `to`): a field's value differs
//!   (presence counts), optionally only from / to the given values;
//! - `numeric-decrease` (`fields`): a number (or quantity) gets smaller.
//!
//! `fields` is a list of field paths, or a mapping of kind to field paths.
//!
//! Over workloads (pod specs read through k8s-openapi, added and modified):
//! `mutable-image`, `pull-always-mutable`, `exec-probe-short-timeout`
//! (`max-timeout-seconds`), `missing-requests`, `requests-above` (`cpu`,
//! `memory`: names of the pack's parameters), `hpa-replicas`.
//!
//! Others: `secret-not-generated` (a Secret with data no generator made), `deleted`
//! (the resource is removed).

use super::workload::{self, at, containers, digest_pinned, pod_spec, quantity, tag};
use super::{Finding, Target};
use crate::diagnostic::{Side, Span};
use crate::diff::{ChangeAction, FieldPath};
use crate::error::{Error, Result};
use crate::yaml::{Node, Value};
use std::collections::BTreeMap;

/// Field paths, for every kind or per kind.
#[derive(Debug, Default)]
pub(crate) struct Fields {
    all: Vec<FieldPath>,
    by_kind: BTreeMap<String, Vec<FieldPath>>,
}

impl Fields {
    fn of(&self, kind: &str) -> impl Iterator<Item = &FieldPath> {
        self.all
            .iter()
            .chain(self.by_kind.get(kind).into_iter().flatten())
    }
}

/// A test of one field at base and head.
type FieldTest<'a> = dyn Fn(&FieldPath, Option<&Node>, Option<&Node>) -> Option<Finding> + 'a;

/// One built-in check with its arguments.
#[derive(Debug)]
pub(crate) enum Check {
    FieldRemoved(Fields),
    ValueChanged {
        fields: Fields,
        from: Option<serde_json::Value>,
        to: Option<serde_json::Value>,
    },
    NumericDecrease(Fields),
    MutableImage,
    PullAlwaysMutable,
    ExecProbeTimeout(i32),
    MissingRequests,
    RequestsAbove {
        cpu: String,
        memory: String,
    },
    ReplicasUnderHpa,
    PlainSecret,
    Deleted,
}

fn field_list(n: &Node) -> Result<Vec<FieldPath>> {
    let items = n
        .as_seq()
        .ok_or_else(|| Error::at(&n.pos, "'fields' lists field paths"))?;
    items
        .iter()
        .map(|x| {
            let s = x
                .as_str()
                .ok_or_else(|| Error::at(&x.pos, "a field path is a string"))?;
            crate::diff::pattern::FieldPattern::parse(s)
                .map_err(|e| Error::at(&x.pos, e))?
                .literal()
                .ok_or_else(|| Error::at(&x.pos, format!("'{s}' must name one field (no globs)")))
        })
        .collect()
}

fn fields(c: &Node) -> Result<Fields> {
    let n = c
        .get("fields")
        .ok_or_else(|| Error::at(&c.pos, "this check needs 'fields'"))?;
    let mut f = Fields::default();
    match n.as_map() {
        Some(m) => {
            for (kind, v) in m {
                f.by_kind.insert(kind.clone(), field_list(v)?);
            }
        }
        None => f.all = field_list(n)?,
    }
    Ok(f)
}

impl Check {
    /// Parse `check:`; `params` are the pack's parameters (for `requests-above`).
    pub(super) fn parse(c: &Node, params: &BTreeMap<String, f64>) -> Result<Check> {
        let name = c
            .get("name")
            .and_then(Node::as_str)
            .ok_or_else(|| Error::at(&c.pos, "'check' needs a 'name'"))?;
        let param = |key: &str| -> Result<String> {
            let p = c.get(key).and_then(Node::as_str).unwrap_or_default();
            if params.contains_key(p) {
                Ok(p.to_string())
            } else {
                Err(Error::at(
                    &c.pos,
                    format!("'{key}' must name a parameter of the pack"),
                ))
            }
        };
        Ok(match name {
            "field-removed" => Check::FieldRemoved(fields(c)?),
            "value-changed" => Check::ValueChanged {
                fields: fields(c)?,
                from: c.get("from").map(Node::to_json),
                to: c.get("to").map(Node::to_json),
            },
            "numeric-decrease" => Check::NumericDecrease(fields(c)?),
            "mutable-image" => Check::MutableImage,
            "pull-always-mutable" => Check::PullAlwaysMutable,
            "exec-probe-short-timeout" => Check::ExecProbeTimeout(
                c.get("max-timeout-seconds")
                    .and_then(Node::as_i64)
                    .and_then(|v| i32::try_from(v).ok())
                    .unwrap_or(1),
            ),
            "missing-requests" => Check::MissingRequests,
            "requests-above" => Check::RequestsAbove {
                cpu: param("cpu")?,
                memory: param("memory")?,
            },
            "hpa-replicas" => Check::ReplicasUnderHpa,
            "secret-not-generated" => Check::PlainSecret,
            "deleted" => Check::Deleted,
            other => return Err(Error::at(&c.pos, format!("unknown check '{other}'"))),
        })
    }

    /// The findings of this check on one change.
    pub(super) fn run(&self, t: &Target) -> Result<Vec<Finding>> {
        let c = t.change;
        if let Check::Deleted = self {
            return Ok(deleted(t).into_iter().collect());
        }
        if c.action == ChangeAction::Removed {
            return Ok(Vec::new());
        }
        let Some(head) = t.head else {
            return Ok(Vec::new());
        };
        let diff = |f: &FieldTest, fields: &Fields| {
            let Some(base) = t.base.filter(|_| c.action == ChangeAction::Modified) else {
                return Vec::new();
            };
            fields
                .of(&c.kind)
                .filter_map(|p| f(p, p.eval(&base.node), p.eval(&head.node)))
                .collect()
        };
        let shown = |n: &Node| -> String {
            if c.secret {
                "a masked value".to_string()
            } else {
                // Shown in a label: long values are cut.
                let s = n.to_json().to_string();
                match s.char_indices().nth(120) {
                    Some((i, _)) => format!("{}…", &s[..i]),
                    None => s,
                }
            }
        };
        Ok(match self {
            Check::FieldRemoved(fs) => diff(
                &|p, b, h| match (b, h) {
                    (Some(b), None) => Some(Finding {
                        span: Span::at(&b.pos, Side::Base),
                        label: format!("{p} is removed (it was {})", shown(b)),
                        note: None,
                    }),
                    _ => None,
                },
                fs,
            ),
            Check::ValueChanged { fields, from, to } => diff(
                &|p, b, h| {
                    let mut f = value_changed(p, b, h, from.as_ref(), to.as_ref(), &shown)?;
                    // The line that made the first changed value below the field
                    // (a patch, a transformer's entry), rather than the field's own.
                    if let Some((src, fc)) = c
                        .fields
                        .iter()
                        .filter(|fc| fc.path.0.starts_with(&p.0))
                        .find_map(|fc| fc.source.as_ref().map(|s| (s, fc)))
                    {
                        let side = if fc.new.is_some() {
                            Side::Head
                        } else {
                            Side::Base
                        };
                        f.span = Span::at(&crate::policy::rules::source_pos(src), side);
                    }
                    Some(f)
                },
                fields,
            ),
            Check::NumericDecrease(fs) => diff(
                &|p, b, h| {
                    let (b, h) = (b?, h?);
                    let (x, y) = (number(b)?, number(h)?);
                    (y < x).then(|| Finding {
                        span: Span::at(&h.pos, Side::Head),
                        label: format!("{p} decreases from {} to {}", shown(b), shown(h)),
                        note: None,
                    })
                },
                fs,
            ),
            Check::ReplicasUnderHpa => replicas_under_hpa(t, head)?,
            Check::PlainSecret => plain_secret(head),
            other => workload_check(other, t, head)?,
        })
    }
}

fn value_changed(
    p: &FieldPath,
    b: Option<&Node>,
    h: Option<&Node>,
    from: Option<&serde_json::Value>,
    to: Option<&serde_json::Value>,
    shown: &dyn Fn(&Node) -> String,
) -> Option<Finding> {
    if b == h || (b.is_none() && h.is_none()) {
        return None;
    }
    if from.is_some_and(|f| b.map(Node::to_json).as_ref() != Some(f)) {
        return None;
    }
    if to.is_some_and(|v| h.map(Node::to_json).as_ref() != Some(v)) {
        return None;
    }
    let what = |n: Option<&Node>| n.map_or("unset".to_string(), shown);
    let (span, side) = match (h, b) {
        (Some(h), _) => (h.pos.clone(), Side::Head),
        (None, Some(b)) => (b.pos.clone(), Side::Base),
        (None, None) => return None,
    };
    Some(Finding {
        span: Span::at(&span, side),
        label: format!("{p} changes from {} to {}", what(b), what(h)),
        note: None,
    })
}

fn number(n: &Node) -> Option<f64> {
    match &n.value {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => quantity(s),
        _ => None,
    }
}

fn deleted(t: &Target) -> Option<Finding> {
    if t.change.action != ChangeAction::Removed {
        return None;
    }
    let pos = match t.base.map(|b| b.origin.clone()).filter(|p| !p.is_none()) {
        Some(p) => p,
        None => t
            .change
            .origin
            .as_ref()
            .map(crate::policy::rules::source_pos)
            .unwrap_or_else(crate::yaml::Pos::none),
    };
    Some(Finding {
        span: Span::at(&pos, Side::Base),
        label: format!("{} is deleted", t.change.display_id()),
        note: None,
    })
}

fn plain_secret(head: &crate::model::Resource) -> Vec<Finding> {
    if head.meta.generated.is_some() {
        return Vec::new();
    }
    let data = ["data", "stringData"]
        .iter()
        .filter_map(|k| head.node.get(k))
        .find(|n| n.as_map().is_some_and(|m| !m.is_empty()));
    let Some(data) = data else {
        return Vec::new();
    };
    let pos = data
        .as_map()
        .and_then(|m| m.values().next())
        .map_or(&data.pos, |v| &v.pos);
    vec![Finding {
        span: Span::at(pos, Side::Head),
        label: "Secret data written in a manifest, not made by a generator".to_string(),
        note: None,
    }]
}

fn replicas_under_hpa(t: &Target, head: &crate::model::Resource) -> Result<Vec<Finding>> {
    let c = t.change;
    let hpa = t.hpas.iter().find(|r| {
        r.namespace() == c.namespace
            && r.node.str_at(&["spec", "scaleTargetRef", "kind"]) == Some(c.kind.as_str())
            && r.node.str_at(&["spec", "scaleTargetRef", "name"]) == Some(c.name.as_str())
    });
    let Some(hpa) = hpa else {
        return Ok(Vec::new());
    };
    let b = t
        .base
        .filter(|_| c.action == ChangeAction::Modified)
        .and_then(|b| b.node.get_path(&["spec", "replicas"]));
    let h = head.node.get_path(&["spec", "replicas"]);
    let note = Some(format!(
        "HorizontalPodAutoscaler {} scales it ({})",
        hpa.name(),
        crate::diff::SourceRef::from_pos(&hpa.origin)
            .map(|s| s.to_string())
            .unwrap_or_default()
    ));
    let finding = match (b, h) {
        (Some(b), None) => Finding {
            span: Span::at(&b.pos, Side::Base),
            label: "spec.replicas is removed: applying this resets the replica count".to_string(),
            note,
        },
        (b, Some(h)) if b != Some(h) => Finding {
            span: Span::at(&h.pos, Side::Head),
            label: "spec.replicas is set: applying this overrides the autoscaler".to_string(),
            note,
        },
        _ => return Ok(Vec::new()),
    };
    Ok(vec![finding])
}

/// The checks that read the pod spec.
fn workload_check(
    check: &Check,
    t: &Target,
    head: &crate::model::Resource,
) -> Result<Vec<Finding>> {
    let Some((spec, node)) = pod_spec(&t.change.kind, &head.node)? else {
        return Ok(Vec::new());
    };
    let finding = |n: &Node, label: String| Finding {
        span: Span::at(&n.pos, Side::Head),
        label,
        note: None,
    };
    let mut out = Vec::new();
    if let Check::RequestsAbove { cpu, memory } = check {
        for (res, param) in [("cpu", cpu), ("memory", memory)] {
            let max = t.params.get(param).copied().unwrap_or(f64::INFINITY);
            out.extend(requests_above(&spec, node, res, max));
        }
        return Ok(out);
    }
    for (ct, cn) in containers(&spec, node) {
        let name = &ct.name;
        match check {
            Check::MutableImage => {
                let Some(img) = ct.image.as_deref() else {
                    continue;
                };
                if digest_pinned(img) {
                    continue;
                }
                match tag(img) {
                    None => out.push(finding(
                        at(cn, &["image"]),
                        format!("container '{name}' uses '{img}', which has no tag"),
                    )),
                    Some("latest") => out.push(finding(
                        at(cn, &["image"]),
                        format!("container '{name}' uses '{img}'"),
                    )),
                    Some(_) => {}
                }
            }
            Check::PullAlwaysMutable => {
                let img = ct.image.as_deref().unwrap_or("");
                if ct.image_pull_policy.as_deref() == Some("Always") && !digest_pinned(img) {
                    out.push(finding(
                        at(cn, &["imagePullPolicy"]),
                        format!("container '{name}' pulls '{img}' on every start by a tag, not a digest"),
                    ));
                }
            }
            Check::ExecProbeTimeout(max) => {
                let probes = [
                    ("livenessProbe", &ct.liveness_probe),
                    ("readinessProbe", &ct.readiness_probe),
                    ("startupProbe", &ct.startup_probe),
                ];
                for (key, p) in probes {
                    let Some(p) = p.as_ref().filter(|p| p.exec.is_some()) else {
                        continue;
                    };
                    let secs = p.timeout_seconds.unwrap_or(1);
                    if secs <= *max {
                        let set = if p.timeout_seconds.is_some() {
                            ""
                        } else {
                            " (unset: the default)"
                        };
                        out.push(finding(
                            at(cn, &[key, "timeoutSeconds"]),
                            format!(
                                "the exec {key} of container '{name}' times out after {secs}s{set}"
                            ),
                        ));
                    }
                }
            }
            Check::MissingRequests => {
                let req = ct.resources.as_ref().and_then(|r| r.requests.as_ref());
                let missing: Vec<&str> = ["cpu", "memory"]
                    .into_iter()
                    .filter(|k| !req.is_some_and(|r| r.contains_key(*k)))
                    .collect();
                if !missing.is_empty() {
                    out.push(finding(
                        at(cn, &["resources", "requests"]),
                        format!(
                            "container '{name}' requests no {}",
                            missing.join(" and no ")
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The pod's effective request of `res` (the containers' sum, or the largest
/// init container's when larger) above `max`: a finding at the largest request.
fn requests_above(
    spec: &k8s_openapi::api::core::v1::PodSpec,
    node: &Node,
    res: &str,
    max: f64,
) -> Option<Finding> {
    let req = |c: &k8s_openapi::api::core::v1::Container| {
        c.resources
            .as_ref()
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get(res))
            .and_then(|q| quantity(&q.0))
            .unwrap_or(0.0)
    };
    let all = workload::containers(spec, node);
    let init = spec.init_containers.as_ref().map_or(0, Vec::len);
    let sum: f64 = all[init..].iter().map(|(c, _)| req(c)).sum();
    let init_max = all[..init].iter().map(|(c, _)| req(c)).fold(0.0, f64::max);
    let total = sum.max(init_max);
    if total <= max {
        return None;
    }
    let (c, n) = all.iter().max_by(|a, b| req(a.0).total_cmp(&req(b.0)))?;
    Some(Finding {
        span: Span::at(&at(n, &["resources", "requests", res]).pos, Side::Head),
        label: format!(
            "the pod requests {} {res} on every node (container '{}' the most); the limit is {}",
            fmt_q(total, res),
            c.name,
            fmt_q(max, res)
        ),
        note: None,
    })
}

fn fmt_q(v: f64, res: &str) -> String {
    if res == "memory" {
        format!("{:.0}Mi", v / 1024f64.powi(2))
    } else {
        format!("{:.0}m", v * 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::compare::diff_resources;
    use crate::diff::Masker;
    use crate::model::Resource;
    use crate::yaml::{parse_stream, ParseOptions};

    fn res(yaml: &str, file: &str) -> Vec<Resource> {
        parse_stream(yaml, file, &ParseOptions::resource())
            .unwrap()
            .into_iter()
            .map(|n| {
                let pos = n.pos.clone();
                Resource::new(n, pos)
            })
            .collect()
    }

    /// The labels of `check` on the change from `base` to `head` (one resource each).
    fn labels(check: &str, base: &str, head: &str) -> Vec<String> {
        let node = parse_stream(check, "pack.yaml", &ParseOptions::resource()).unwrap();
        let c = Check::parse(&node[0], &BTreeMap::new()).unwrap();
        let (b, h) = (res(base, "base.yaml"), res(head, "head.yaml"));
        let changes = diff_resources(&b, &h, &Masker::with_key(b"k"));
        let params = BTreeMap::new();
        let mut out = Vec::new();
        for ch in &changes {
            let t = Target {
                change: ch,
                base: b.first(),
                head: h.first(),
                hpas: &[],
                params: &params,
            };
            for f in c.run(&t).unwrap() {
                out.push(format!(
                    "{}:{} {}",
                    f.span.path.unwrap_or_default(),
                    f.span.line,
                    f.label
                ));
            }
        }
        out
    }

    const D: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  strategy:\n    type: RollingUpdate\n";

    #[test]
    fn change_checks() {
        let fewer = D.replace("replicas: 3", "replicas: 2");
        let more = D.replace("replicas: 3", "replicas: 5");
        let gone = D.replace("  replicas: 3\n", "");
        let recreate = D.replace("RollingUpdate", "Recreate");
        let dec = "{name: numeric-decrease, fields: [spec.replicas]}";
        assert_eq!(
            labels(dec, D, &fewer),
            ["head.yaml:6 spec.replicas decreases from 3 to 2"]
        );
        assert!(labels(dec, D, &more).is_empty());
        let rem = "{name: field-removed, fields: {Deployment: [spec.replicas]}}";
        assert_eq!(
            labels(rem, D, &gone),
            ["base.yaml:6 spec.replicas is removed (it was 3)"]
        );
        assert!(labels(rem, D, &fewer).is_empty());
        let to = "{name: value-changed, fields: [spec.strategy.type], from: RollingUpdate, to: Recreate}";
        assert_eq!(
            labels(to, D, &recreate),
            ["head.yaml:8 spec.strategy.type changes from \"RollingUpdate\" to \"Recreate\""]
        );
        assert!(labels(to, &recreate, D).is_empty(), "only from -> to");
        let any = "{name: value-changed, fields: [spec.replicas]}";
        assert_eq!(labels(any, D, &gone).len(), 1, "removal is a change");
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "{name: nope}",
            "{name: field-removed}",
            "{name: field-removed, fields: [\"spec.x[*]\"]}",
            "{name: requests-above, cpu: x, memory: y}",
        ] {
            let node = parse_stream(bad, "pack.yaml", &ParseOptions::resource()).unwrap();
            assert!(Check::parse(&node[0], &BTreeMap::new()).is_err(), "{bad}");
        }
    }
}
