//! Comparing two lists of rendered resources: matching resources by identity
//! (hash suffixes ignored), then diffing fields semantically (map key order
//! ignored, keyed lists matched by merge key), with Secret values masked.

use super::display;
use super::model::{ChangeAction, FieldChange, ResourceChange, SourceRef};
use crate::model::Resource;
use crate::yaml::{Node, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Masks Secret values with a truncated keyed hash. The hash covers the run
/// key, the resource's identity (see [`Masker::scoped`]), the field path and
/// the value: a changed value changes its marker, and equal values in
/// different places (another Secret, another key) never share one, so a probe
/// Secret holding a guess cannot be compared with a real one.
#[derive(Clone, Debug)]
pub struct Masker {
    key: Vec<u8>,
    scope: String,
}

impl Masker {
    /// A masker with a fixed key (tests, reproducible output).
    pub fn with_key(key: &[u8]) -> Masker {
        Masker {
            key: key.to_vec(),
            scope: String::new(),
        }
    }
    /// A masker with a random per-process key.
    pub fn random() -> Masker {
        use std::hash::{BuildHasher, Hasher};
        let mut h = Sha256::new();
        for _ in 0..4 {
            let mut x = std::collections::hash_map::RandomState::new().build_hasher();
            x.write_u64(std::process::id() as u64);
            h.update(x.finish().to_le_bytes());
        }
        if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.update(t.as_nanos().to_le_bytes());
        }
        Masker {
            key: h.finalize().to_vec(),
            scope: String::new(),
        }
    }
    /// The key (to build the same masker elsewhere in the run).
    pub fn key(&self) -> &[u8] {
        &self.key
    }
    /// The same key, marking values of the resource `identity` (kind,
    /// namespace, name without its hash suffix: stable across revisions).
    pub fn scoped(&self, identity: &str) -> Masker {
        Masker {
            key: self.key.clone(),
            scope: identity.to_string(),
        }
    }
    /// The marker for the value `v` at field `path` of this masker's resource:
    /// `<secret sha256:xxxxxxxx>`.
    pub fn mark(&self, path: &str, v: &Node) -> String {
        let text = serde_json::to_string(&v.to_json()).unwrap_or_default();
        let mut inner = Sha256::new().chain_update(&self.key).chain_update([0u8]);
        // length-prefixed, so no two (scope, path, value) triples collide
        for part in [self.scope.as_bytes(), path.as_bytes(), text.as_bytes()] {
            inner.update((part.len() as u64).to_le_bytes());
            inner.update(part);
        }
        let inner = inner.finalize();
        let outer = Sha256::new()
            .chain_update(&self.key)
            .chain_update([1u8])
            .chain_update(inner)
            .finalize();
        let hex: String = outer.iter().take(4).map(|b| format!("{b:02x}")).collect();
        format!("<secret sha256:{hex}>")
    }
}

/// Is this resource a core/v1 Secret (whose values are masked)?
pub fn is_secret(r: &Resource) -> bool {
    r.kind() == "Secret" && !r.api_version().contains('/')
}

use super::path::{FieldPath, Step as Seg};

/// Whether a value at this path of a Secret is shown in clear.
fn secret_clear(segs: &[Seg]) -> bool {
    match segs.first() {
        Some(Seg::Key(k))
            if k == "apiVersion" || k == "kind" || k == "type" || k == "immutable" =>
        {
            true
        }
        Some(Seg::Key(k)) if k == "metadata" => {
            matches!(segs.get(1), Some(Seg::Key(k2)) if k2 == "name" || k2 == "namespace" || k2 == "labels")
        }
        _ => false,
    }
}

/// Replace every leaf not shown in clear by its marker (keys stay visible).
fn mask_node(n: &Node, segs: &mut Vec<Seg>, m: &Masker) -> Node {
    if secret_clear(segs) && !segs.is_empty() {
        return n.clone();
    }
    let value = match &n.value {
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, v)| {
                    segs.push(Seg::Key(k.clone()));
                    let x = mask_node(v, segs, m);
                    segs.pop();
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Seq(s) => Value::Seq(
            s.iter()
                .enumerate()
                .map(|(i, v)| {
                    segs.push(Seg::Index(i));
                    let x = mask_node(v, segs, m);
                    segs.pop();
                    x
                })
                .collect(),
        ),
        _ => Value::Str(m.mark(&FieldPath(segs.to_vec()).to_string(), n)),
    };
    Node::new(value, n.pos.clone())
}

/// The Secret-masked copy of a resource's object (unchanged for other kinds).
pub fn masked_object(r: &Resource, m: &Masker) -> Node {
    if is_secret(r) {
        mask_node(&r.node, &mut Vec::new(), m)
    } else {
        r.node.clone()
    }
}

/// The identity a resource's Secret markers are keyed by: kind, namespace and
/// name without its hash suffix (stable across revisions).
fn mask_scope(r: &Resource) -> String {
    format!(
        "{}\n{}\n{}",
        r.kind(),
        r.namespace(),
        strip_hash_suffix(r.name())
    )
}

/// A resource's object with Secret values masked exactly as the diff masks
/// them (the same markers for the same run key).
pub fn masked_resource(r: &Resource, m: &Masker) -> Node {
    masked_object(r, &m.scoped(&mask_scope(r)))
}

/// Merge-key candidates for a list under `field` of a kind the OpenAPI table
/// does not know (custom resources), in order of preference: the names
/// built-in kinds use, so a CRD embedding a pod template diffs alike.
fn merge_keys(field: &str) -> &'static [&'static str] {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "secrets"
        | "webhooks" => &["name"],
        "volumeMounts" => &["mountPath", "name"],
        "volumeDevices" => &["devicePath"],
        "ports" => &["containerPort", "port", "name"],
        "conditions" => &["type"],
        "readinessGates" => &["conditionType"],
        "hostAliases" => &["ip"],
        "resourceClaims" => &["name"],
        _ => &[],
    }
}

fn key_value(n: &Node, key: &str) -> Option<String> {
    let v = n.get(key)?;
    if v.is_scalar() && !v.is_null() {
        v.scalar_string()
    } else {
        None
    }
}

/// The merge key candidates of the list at `segs` in a resource of `gvk`:
/// for a kind kustomize's OpenAPI table knows, the key it merges that list by
/// (the same knowledge strategic-merge patches use; none when the list is
/// replaced as a whole), else the name heuristics of [`merge_keys`].
fn key_candidates(gvk: Option<(&str, &str)>, segs: &[Seg]) -> Vec<String> {
    let field = match segs.last() {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    if let Some((av, kind)) = gvk {
        let table = crate::kustomize::patch::schema::table();
        if table.knows(av, kind) {
            let path: Vec<&str> = segs
                .iter()
                .filter_map(|s| match s {
                    Seg::Key(k) => Some(k.as_str()),
                    _ => None,
                })
                .collect();
            return match crate::kustomize::patch::merge_key(av, kind, &path) {
                crate::kustomize::patch::ListMerge::Keyed(k) => vec![k],
                _ => Vec::new(),
            };
        }
    }
    merge_keys(field).iter().map(|k| k.to_string()).collect()
}

/// The merge key usable for both lists: every item has it and values are unique.
fn pick_key(cands: Vec<String>, a: &[Node], b: &[Node]) -> Option<String> {
    'cands: for key in cands {
        for list in [a, b] {
            let mut seen = std::collections::HashSet::new();
            for item in list {
                match key_value(item, &key) {
                    Some(v) if seen.insert(v.clone()) => {}
                    _ => continue 'cands,
                }
            }
        }
        return Some(key);
    }
    None
}

struct Ctx<'a> {
    secret: bool,
    masker: &'a Masker,
    /// `apiVersion` and `kind` of the resource compared (merge keys).
    gvk: Option<(&'a str, &'a str)>,
}

impl Ctx<'_> {
    fn shown(&self, n: &Node, segs: &[Seg]) -> serde_json::Value {
        if self.secret && !secret_clear(segs) {
            mask_node(n, &mut segs.to_vec(), self.masker).to_json()
        } else {
            n.to_json()
        }
    }
    fn change(
        &self,
        segs: &[Seg],
        old: Option<&Node>,
        new: Option<&Node>,
        out: &mut Vec<FieldChange>,
    ) {
        let masked = self.secret && !secret_clear(segs);
        let text_diff = match (old.and_then(|n| n.as_str()), new.and_then(|n| n.as_str())) {
            (o, n)
                if !masked
                    && (o.is_some_and(|s| s.contains('\n'))
                        || n.is_some_and(|s| s.contains('\n'))) =>
            {
                Some(line_diff(o.unwrap_or(""), n.unwrap_or("")))
            }
            _ => None,
        };
        let src = new.or(old).and_then(|n| SourceRef::from_pos(&n.pos));
        out.push(FieldChange {
            path: FieldPath(segs.to_vec()),
            old: old.map(|n| self.shown(n, segs)),
            new: new.map(|n| self.shown(n, segs)),
            source: src,
            text_diff,
        });
    }
}

/// A unified line diff of two texts (hunks only, no file header).
pub fn line_diff(old: &str, new: &str) -> String {
    let d = similar::TextDiff::from_lines(old, new);
    let mut s = String::new();
    for hunk in d.unified_diff().context_radius(3).iter_hunks() {
        s.push_str(&hunk.to_string());
    }
    if !s.ends_with('\n') && !s.is_empty() {
        s.push('\n');
    }
    s
}

fn diff_node(segs: &mut Vec<Seg>, old: &Node, new: &Node, ctx: &Ctx, out: &mut Vec<FieldChange>) {
    if old == new {
        return;
    }
    match (&old.value, &new.value) {
        (Value::Map(a), Value::Map(b)) => {
            for (k, ov) in a {
                segs.push(Seg::Key(k.clone()));
                match b.get(k) {
                    Some(nv) => diff_node(segs, ov, nv, ctx, out),
                    None => ctx.change(segs, Some(ov), None, out),
                }
                segs.pop();
            }
            for (k, nv) in b {
                if !a.contains_key(k) {
                    segs.push(Seg::Key(k.clone()));
                    ctx.change(segs, None, Some(nv), out);
                    segs.pop();
                }
            }
        }
        (Value::Seq(a), Value::Seq(b)) => {
            if let Some(key) = pick_key(key_candidates(ctx.gvk, segs), a, b) {
                let key = key.as_str();
                let bi: HashMap<String, &Node> = b
                    .iter()
                    .filter_map(|n| key_value(n, key).map(|v| (v, n)))
                    .collect();
                let ai: HashMap<String, &Node> = a
                    .iter()
                    .filter_map(|n| key_value(n, key).map(|v| (v, n)))
                    .collect();
                for item in a {
                    let kv = key_value(item, key).unwrap_or_default();
                    segs.push(Seg::Match(key.to_string(), kv.clone()));
                    match bi.get(&kv) {
                        Some(nv) => diff_node(segs, item, nv, ctx, out),
                        None => ctx.change(segs, Some(item), None, out),
                    }
                    segs.pop();
                }
                for item in b {
                    let kv = key_value(item, key).unwrap_or_default();
                    if !ai.contains_key(&kv) {
                        segs.push(Seg::Match(key.to_string(), kv));
                        ctx.change(segs, None, Some(item), out);
                        segs.pop();
                    }
                }
            } else if a.iter().chain(b.iter()).all(|n| n.is_scalar()) {
                // Lists of scalars (args, command, hosts) are one value.
                ctx.change(segs, Some(old), Some(new), out);
            } else {
                for i in 0..a.len().max(b.len()) {
                    segs.push(Seg::Index(i));
                    match (a.get(i), b.get(i)) {
                        (Some(x), Some(y)) => diff_node(segs, x, y, ctx, out),
                        (Some(x), None) => ctx.change(segs, Some(x), None, out),
                        (None, Some(y)) => ctx.change(segs, None, Some(y), out),
                        (None, None) => {}
                    }
                    segs.pop();
                }
            }
        }
        _ => ctx.change(segs, Some(old), Some(new), out),
    }
}

/// The field changes between two versions of one object.
pub fn diff_fields(old: &Node, new: &Node, secret: bool, masker: &Masker) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let gvk = new
        .str_at(&["apiVersion"])
        .zip(new.str_at(&["kind"]))
        .or_else(|| old.str_at(&["apiVersion"]).zip(old.str_at(&["kind"])));
    let ctx = Ctx {
        secret,
        masker,
        gvk,
    };
    diff_node(&mut Vec::new(), old, new, &ctx, &mut out);
    out
}

/// kustomize's hash alphabet (hex digits with vowels and look-alikes replaced).
const HASH_ALPHABET: &str = "2456789bcdfghkmt";

/// Strip a kustomize content-hash suffix (`-` + 10 chars of the hash alphabet).
pub fn strip_hash_suffix(name: &str) -> &str {
    if name.len() > 11 && name.is_char_boundary(name.len() - 11) {
        let (head, tail) = name.split_at(name.len() - 11);
        if tail.starts_with('-') && tail[1..].chars().all(|c| HASH_ALPHABET.contains(c)) {
            return head;
        }
    }
    name
}

/// The name used to match a resource across revisions.
fn match_name(r: &Resource) -> String {
    if let Some(n) = &r.meta.name_before_hash {
        return n.clone();
    }
    let kind = r.kind();
    if (kind == "ConfigMap" || kind == "Secret") && !r.api_version().contains('/')
        || r.meta.generated.is_some()
    {
        return strip_hash_suffix(r.name()).to_string();
    }
    r.name().to_string()
}

type Key = (String, String, String, String);

fn keyed(list: &[Resource]) -> BTreeMap<Key, &Resource> {
    let mut counts: HashMap<Key, usize> = HashMap::new();
    let base_key = |r: &Resource| {
        let id = r.id();
        (id.gvk.group, id.gvk.kind, id.namespace, match_name(r))
    };
    for r in list {
        *counts.entry(base_key(r)).or_default() += 1;
    }
    let mut out = BTreeMap::new();
    for r in list {
        let mut k = base_key(r);
        if counts[&k] > 1 {
            // Several resources share the stripped name: match by full name.
            k.3 = r.name().to_string();
        }
        out.insert(k, r);
    }
    out
}

fn change_for(
    action: ChangeAction,
    old: Option<&Resource>,
    new: Option<&Resource>,
    masker: &Masker,
) -> ResourceChange {
    let main = new.or(old).expect("one side");
    let id = main.id();
    let secret = is_secret(main);
    let scoped = masker.scoped(&mask_scope(main));
    let masker = &scoped;
    let old_name = match (old, new) {
        (Some(o), Some(n)) if o.name() != n.name() => Some(o.name().to_string()),
        _ => None,
    };
    let fields = match (old, new) {
        (Some(o), Some(n)) => diff_fields(&o.node, &n.node, secret, masker),
        _ => Vec::new(),
    };
    let old_y = old.map(|r| masked_object(r, masker));
    let new_y = new.map(|r| masked_object(r, masker));
    let yaml_diff = display::yaml_diff(old_y.as_ref(), new_y.as_ref());
    ResourceChange {
        action,
        group: id.gvk.group,
        version: id.gvk.version,
        kind: id.gvk.kind,
        namespace: id.namespace,
        name: id.name,
        old_name,
        origin: SourceRef::from_pos(&main.origin),
        secret,
        fields,
        yaml_diff,
    }
}

/// The changes between the resources of one overlay at base and head, sorted
/// by (group, kind, namespace, name).
pub fn diff_resources(
    base: &[Resource],
    head: &[Resource],
    masker: &Masker,
) -> Vec<ResourceChange> {
    let a = keyed(base);
    let b = keyed(head);
    let mut out = Vec::new();
    for (k, o) in &a {
        match b.get(k) {
            Some(n) => {
                // Equal nodes (map key order aside) skip; keyed lists that
                // only differ in order give no field changes and skip too.
                if o.node != n.node {
                    let c = change_for(ChangeAction::Modified, Some(o), Some(n), masker);
                    if !c.fields.is_empty() {
                        out.push(c);
                    }
                }
            }
            None => out.push(change_for(ChangeAction::Removed, Some(o), None, masker)),
        }
    }
    for (k, n) in &b {
        if !a.contains_key(k) {
            out.push(change_for(ChangeAction::Added, None, Some(n), masker));
        }
    }
    out.sort_by(|x, y| {
        (&x.group, &x.kind, &x.namespace, &x.name).cmp(&(&y.group, &y.kind, &y.namespace, &y.name))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, ParseOptions};

    fn res(yaml: &str) -> Vec<Resource> {
        parse_stream(yaml, "f.yaml", &ParseOptions::resource())
            .unwrap()
            .into_iter()
            .filter(|n| !n.is_null())
            .map(|n| {
                let pos = n.pos.clone();
                Resource::new(n, pos)
            })
            .collect()
    }
    fn m() -> Masker {
        Masker::with_key(b"test")
    }

    const DEPLOY: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: agent
        image: agent:1
        env:
        - name: A
          value: a
        - name: B
          value: b
      - name: app
        image: app:1
";

    #[test]
    fn merge_keys_come_from_the_openapi_table_for_built_in_kinds() {
        // topologySpreadConstraints merge on topologyKey in the schema (no name
        // heuristic knows it): reordering them is no change, editing one is
        // shown under its key.
        let deploy = |a: &str, b: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      topologySpreadConstraints:\n      - topologyKey: {a}\n        maxSkew: 1\n      - topologyKey: {b}\n        maxSkew: 2\n"
            )
        };
        let old = deploy("zone", "host");
        let swapped = deploy("host", "zone")
            .replace("maxSkew: 1", "maxSkew: X")
            .replace("maxSkew: 2", "maxSkew: 1")
            .replace("maxSkew: X", "maxSkew: 2");
        assert!(diff_resources(&res(&old), &res(&swapped), &m()).is_empty());
        let edited = old.replace("maxSkew: 2", "maxSkew: 3");
        let ch = diff_resources(&res(&old), &res(&edited), &m());
        assert_eq!(
            ch[0].fields[0].path,
            "spec.template.spec.topologySpreadConstraints[topologyKey=host].maxSkew"
        );
        // A custom resource is not in the table: the name heuristics apply.
        let cr = |img: &str| {
            format!("apiVersion: example.com/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  containers:\n  - name: a\n    image: {img}\n")
        };
        let ch = diff_resources(&res(&cr("a:1")), &res(&cr("a:2")), &m());
        assert_eq!(ch[0].fields[0].path, "spec.containers[name=a].image");
    }

    #[test]
    fn keyed_lists_and_paths() {
        let new = DEPLOY.replace("agent:1", "agent:2");
        let ch = diff_resources(&res(DEPLOY), &res(&new), &m());
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].action, ChangeAction::Modified);
        assert_eq!(ch[0].fields.len(), 1);
        let f = &ch[0].fields[0];
        assert_eq!(f.path, "spec.template.spec.containers[name=agent].image");
        assert_eq!(f.old, Some(serde_json::json!("agent:1")));
        assert_eq!(f.new, Some(serde_json::json!("agent:2")));
        assert_eq!(
            f.source,
            Some(SourceRef {
                path: "f.yaml".into(),
                line: 10
            })
        );
    }

    #[test]
    fn reorder_is_no_change() {
        let new = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - image: app:1
        name: app
      - name: agent
        env:
        - {name: B, value: b}
        - {name: A, value: \"a\"}
        image: 'agent:1'
";
        assert!(diff_resources(&res(DEPLOY), &res(new), &m()).is_empty());
    }

    #[test]
    fn hash_suffix_matches() {
        assert_eq!(strip_hash_suffix("app-config-5t8g2c6m9h"), "app-config");
        assert_eq!(strip_hash_suffix("app-config"), "app-config");
        let a = res("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config-5t8g2c6m9h\ndata:\n  a: \"1\"\n");
        let b = res("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config-8k9d7f2b4c\ndata:\n  a: \"2\"\n");
        let ch = diff_resources(&a, &b, &m());
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].action, ChangeAction::Modified);
        assert_eq!(ch[0].old_name.as_deref(), Some("app-config-5t8g2c6m9h"));
        let paths: Vec<_> = ch[0].fields.iter().map(|f| f.path.to_string()).collect();
        assert_eq!(paths, ["metadata.name", "data.a"]);
    }

    #[test]
    fn secrets_are_masked() {
        let a = res("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"p\":\"aHVudGVyMg==\"}}'\ndata:\n  p: aHVudGVyMg==\nstringData:\n  q: hunter2\n");
        let b = res("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{\"data\":{\"p\":\"c3dvcmRmaXNo\"}}'\ndata:\n  p: c3dvcmRmaXNo\n  n: bmV3\nstringData:\n  q: swordfish\n");
        let ch = diff_resources(&a, &b, &m());
        let text = serde_json::to_string(&ch).unwrap() + &ch[0].yaml_diff;
        for s in ["aHVudGVyMg", "hunter2", "c3dvcmRmaXNo", "swordfish", "bmV3"] {
            assert!(!text.contains(s), "{s} leaked: {text}");
        }
        assert!(text.contains("<secret sha256:"));
        let f = &ch[0].fields;
        assert!(f.iter().any(|f| f.path == "data.p" && f.old != f.new));
        assert!(f.iter().any(|f| f.path == "data.n" && f.old.is_none()));
        assert!(f.iter().any(|f| f.path
            == "metadata.annotations[\"kubectl.kubernetes.io/last-applied-configuration\"]"));
    }

    #[test]
    fn markers_depend_on_resource_path_and_value() {
        let k = Masker::with_key(b"k");
        let v = Node::new(Value::Str("hunter2".into()), crate::yaml::Pos::none());
        let w = Node::new(Value::Str("hunter3".into()), crate::yaml::Pos::none());
        let a = k.scoped("Secret\n\ndb");
        let b = k.scoped("Secret\n\nprobe");
        assert_eq!(a.mark("data.p", &v), a.mark("data.p", &v));
        assert_ne!(a.mark("data.p", &v), a.mark("data.p", &w));
        assert_ne!(a.mark("data.p", &v), b.mark("data.p", &v));
        assert_ne!(a.mark("data.p", &v), a.mark("data.q", &v));
        // no ambiguity between where the scope ends and the path starts
        assert_ne!(k.scoped("ab").mark("c", &v), k.scoped("a").mark("bc", &v));
        assert_ne!(
            a.mark("data.p", &v),
            Masker::with_key(b"j")
                .scoped("Secret\n\ndb")
                .mark("data.p", &v)
        );
    }

    #[test]
    fn multiline_text_diff() {
        let a = res("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  app.conf: |\n    a=1\n    b=2\n    c=3\n");
        let b = res("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  app.conf: |\n    a=1\n    b=3\n    c=3\n");
        let ch = diff_resources(&a, &b, &m());
        let f = &ch[0].fields[0];
        assert_eq!(f.path, "data[\"app.conf\"]");
        let td = f.text_diff.as_deref().unwrap();
        assert!(td.contains("-b=2\n") && td.contains("+b=3\n"), "{td}");
    }

    #[test]
    fn added_removed_and_scalar_lists() {
        let a = res("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 80\n    targetPort: 8080\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gone\n");
        let b = res("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n  - port: 443\n  - port: 80\n    targetPort: 8081\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\n");
        let ch = diff_resources(&a, &b, &m());
        let acts: Vec<_> = ch.iter().map(|c| (c.action, c.name.as_str())).collect();
        assert_eq!(
            acts,
            [
                (ChangeAction::Removed, "gone"),
                (ChangeAction::Added, "new"),
                (ChangeAction::Modified, "s")
            ]
        );
        let paths: Vec<_> = ch[2].fields.iter().map(|f| f.path.to_string()).collect();
        assert_eq!(
            paths,
            ["spec.ports[port=80].targetPort", "spec.ports[port=443]"]
        );
    }
}
