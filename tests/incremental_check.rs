//! `check` renders (at both sides) only the overlays the change
//! reaches (by static closure) and the promotion counterparts the rules
//! compare them with; this must not change the verdict or the diff. Over a generated history of typical
//! changes (one overlay, a base, a generator input, the shared Component, a
//! retargeted overlay symlink, a change no overlay reads, a promotion done in
//! order, a resource added to a base, an overlay added and removed), every pair of commits gets the same exit code, verdict, findings
//! and diff from `check` as from `check --full` (every overlay at both sides),
//! and from `check --shard I/N` for N = 1, 3, 7 combined by `merge-reports`.

mod common;
use common::TestRepo;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

const SERVICES: [&str; 2] = ["api", "web"];
const ENVS: [&str; 3] = ["dev", "staging", "prod"];
const CLUSTERS: [&str; 2] = ["eu", "us"];

fn base_files(svc: &str) -> Vec<(String, String)> {
    vec![
        (
            format!("apps/{svc}/base/kustomization.yaml"),
            format!("resources:\n- deployment.yaml\nconfigMapGenerator:\n- name: {svc}-config\n  files:\n  - app.properties\n"),
        ),
        (format!("apps/{svc}/base/app.properties"), "log.level=info\n".to_string()),
        (
            format!("apps/{svc}/base/deployment.yaml"),
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {svc}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: c\n        image: example/{svc}:1.0\n        envFrom:\n        - configMapRef:\n            name: {svc}-config\n"),
        ),
    ]
}

fn overlay(svc: &str, env: &str, cluster: &str, replicas: u32) -> (String, String) {
    (
        format!("apps/{svc}/overlays/{env}/{cluster}/kustomization.yaml"),
        format!("namespace: {svc}-{env}\nresources:\n- ../../../base\ncomponents:\n- ../../../../../components/policy\nreplicas:\n- name: {svc}\n  count: {replicas}\ncommonAnnotations:\n  cluster: {cluster}\n"),
    )
}

fn component(port: u32) -> Vec<(String, String)> {
    vec![
        (
            "components/policy/kustomization.yaml".into(),
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- np.yaml\n".into(),
        ),
        (
            "components/policy/np.yaml".into(),
            format!("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\nspec:\n  ingress:\n  - ports:\n    - port: {port}\n"),
        ),
    ]
}

fn commit(repo: &mut TestRepo, files: Vec<(String, String)>) {
    let refs: Vec<(&str, Option<&str>)> = files
        .iter()
        .map(|(p, s)| (p.as_str(), Some(s.as_str())))
        .collect();
    repo.commit(&refs);
}

/// Point `apps/web/overlays/prod/us` (a symlink) at `target`.
fn relink(repo: &mut TestRepo, target: &str) {
    let link = repo.path().join("apps/web/overlays/prod/us");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(target, &link).unwrap();
    repo.commit(&[]);
}

fn history() -> TestRepo {
    let mut repo = TestRepo::build(&[]);
    let mut files = component(8080);
    for svc in SERVICES {
        files.extend(base_files(svc));
        for env in ENVS {
            for cluster in CLUSTERS {
                if (svc, env, cluster) != ("web", "prod", "us") {
                    files.push(overlay(svc, env, cluster, 1));
                }
            }
        }
    }
    files.push(("README.md".into(), "platform\n".into()));
    commit(&mut repo, files);
    relink(&mut repo, "eu");
    // One overlay in prod, before staging (promotion-order fails).
    commit(&mut repo, vec![overlay("api", "prod", "eu", 3)]);
    // The same change in staging first, then prod (passes).
    commit(&mut repo, vec![overlay("web", "staging", "eu", 2)]);
    commit(&mut repo, vec![overlay("web", "prod", "eu", 2)]);
    // A base, a generator input, the Component.
    let mut b = base_files("web");
    b[2].1 = b[2]
        .1
        .replace("image: example/web:1.0", "image: example/web:1.1");
    commit(&mut repo, vec![b.remove(2)]);
    commit(
        &mut repo,
        vec![(
            "apps/api/base/app.properties".into(),
            "log.level=debug\n".into(),
        )],
    );
    commit(&mut repo, component(8443));
    // A change no overlay reads; a retargeted overlay link.
    commit(
        &mut repo,
        vec![("README.md".into(), "platform, v2\n".into())],
    );
    relink(&mut repo, "../staging/us");
    // A base gains a resource (its kustomization file and a new file), an
    // overlay is added, then removed: changes to what the kustomizations name.
    let svc =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n  - port: 80\n";
    let kust = "resources:\n- deployment.yaml\n- service.yaml\nconfigMapGenerator:\n- name: api-config\n  files:\n  - app.properties\n";
    commit(
        &mut repo,
        vec![
            ("apps/api/base/service.yaml".into(), svc.into()),
            ("apps/api/base/kustomization.yaml".into(), kust.into()),
        ],
    );
    commit(&mut repo, vec![overlay("api", "dev", "ap", 1)]);
    repo.commit(&[("apps/api/overlays/dev/ap/kustomization.yaml", None)]);
    repo
}

/// Exit code and the JSON verdict of `check --full` when `full`, else of
/// `check` (which renders only the overlays the change reaches).
fn check(repo: &TestRepo, base: &str, head: &str, full: bool) -> (i32, Value) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manifest-gate"));
    cmd.args([
        "check",
        "--base-exact",
        "--renderer",
        "native",
        "--format",
        "json",
    ])
    .args(["--base", base, "--head", head, "--repo"])
    .arg(repo.path());
    if full {
        cmd.arg("--full");
    }
    let o = cmd.output().unwrap();
    let mut v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    // Which side was re-rendered differs by design.
    if let Some(ovs) = v
        .pointer_mut("/diff/overlays")
        .and_then(Value::as_array_mut)
    {
        for o in ovs {
            let o = o.as_object_mut().unwrap();
            o.remove("inputs_changed");
            // Not rendered (unreached) is by design the incremental run's own word for
            // an overlay `--full` renders and finds unchanged.
            o.remove("not_rendered");
        }
    }
    // The counts: an unreached overlay is "not rendered" instead of "rendered".
    if let Some(s) = v
        .pointer_mut("/diff/summary")
        .and_then(Value::as_object_mut)
    {
        let nr = s
            .remove("not_rendered")
            .and_then(|n| n.as_u64())
            .unwrap_or(0);
        if let Some(r) = s.get_mut("rendered") {
            *r = Value::from(r.as_u64().unwrap_or(0) + nr);
        }
    }
    (o.status.code().unwrap_or(-1), v)
}

/// The overlays `manifest-gate overlays` lists at `rev` (discovery from
/// scratch, without the other revision's closure steps that `check` reuses).
fn listed(repo: &TestRepo, rev: &str) -> BTreeSet<String> {
    let o = Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
        .args(["overlays", "--ref", rev, "--repo"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    text.lines()
        .skip_while(|l| !l.starts_with("OVERLAY"))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The overlays of a `check` report except those with status `not`.
fn reported(v: &Value, not: &str) -> BTreeSet<String> {
    v.pointer("/diff/overlays")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .filter(|o| o["status"] != not)
        .map(|o| o["path"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn incremental_check_equals_full_over_a_history() {
    let repo = history();
    let c = repo.commits.clone();
    let mut pairs: Vec<(usize, usize)> = (1..c.len()).map(|i| (i - 1, i)).collect();
    pairs.push((0, c.len() - 1));
    pairs.push((c.len() - 1, 0));
    let mut exits = Vec::new();
    for (a, b) in pairs {
        let inc = check(&repo, &c[a], &c[b], false);
        let full = check(&repo, &c[a], &c[b], true);
        assert_eq!(inc.0, full.0, "exit code, commits {a} -> {b}");
        assert_eq!(inc.1, full.1, "verdict and diff, commits {a} -> {b}");
        // The overlays both sides have are those a fresh discovery finds
        // (head reuses base's closure steps where the change cannot alter them).
        assert_eq!(
            reported(&inc.1, "removed"),
            listed(&repo, &c[b]),
            "head, {a} -> {b}"
        );
        assert_eq!(
            reported(&inc.1, "added"),
            listed(&repo, &c[a]),
            "base, {a} -> {b}"
        );
        // Sharded (n = 1, 3, 7, then merge-reports): the same again.
        let native = ["--base-exact", "--renderer", "native"];
        assert_eq!(
            common::assert_shards_agree(&repo.path(), &c[a], &c[b], &native),
            inc.0
        );
        exits.push(inc.0);
    }
    // The history exercises both verdicts (a test that cannot fail proves nothing).
    assert!(exits.contains(&0) && exits.contains(&1), "{exits:?}");
}

#[test]
fn timings_name_each_phase_on_stderr_and_leave_stdout_alone() {
    let repo = history();
    let (a, b) = (&repo.commits[1], &repo.commits[2]);
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_manifest-gate"))
            .args([
                "check",
                "--base-exact",
                "--renderer",
                "native",
                "--format",
                "json",
            ])
            .args(["--base", a, "--head", b, "--repo"])
            .arg(repo.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let (plain, timed) = (run(&[]), run(&["--timings"]));
    let json = |o: &std::process::Output| -> Value { serde_json::from_slice(&o.stdout).unwrap() };
    assert_eq!(json(&plain), json(&timed));
    assert_eq!(plain.status.code(), timed.status.code());
    let err = String::from_utf8_lossy(&timed.stderr);
    for phase in [
        "resolve",
        "discover and closure",
        "render and diff",
        "rules",
        "output",
        "total",
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("timings: ") && l.contains(phase)),
            "{phase}: {err}"
        );
    }
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("timings:"));
}
