//! `check` in every CI format, through the binary, decided (exit 1) and
//! undecided (exit 2): SARIF validated against the SARIF 2.1.0 JSON schema
//! (vendored in tests/data/sarif-2.1.0.json, from the npm package
//! `@microsoft/jest-sarif` 1.0.0-beta.0, `lib/schemas/sarif-2.1.0-rtm.5.json`,
//! MIT; one edit: the two `language` patterns' stray `]` is escaped, `\\]`,
//! which means the same literal `]` but is a valid regex for the validator's
//! own check of the schema with formats on), JUnit parsed as XML with quick-xml, the GitLab Code Quality fields,
//! GitHub annotations with file and line and the job summary; `--output
//! FORMAT=PATH` writing several formats in one run, never through a symlink.

mod common;

use common::TestRepo;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const DEPLOY: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n";
const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n";

/// c0: a base and two overlays; c1: a base change and a prod-only ConfigMap
/// (fails single-environment and promotion-order); c2: prod names a missing
/// file (the gate cannot decide c1 → c2).
fn repo() -> TestRepo {
    TestRepo::build(&[
        &[
            (
                "base/kustomization.yaml",
                Some("resources: [deploy.yaml]\n"),
            ),
            ("base/deploy.yaml", Some(DEPLOY)),
            (
                "overlays/dev/kustomization.yaml",
                Some("resources: [../../base]\nnamePrefix: dev-\n"),
            ),
            (
                "overlays/prod/kustomization.yaml",
                Some("resources: [../../base]\nnamePrefix: prod-\n"),
            ),
        ],
        &[
            (
                "base/deploy.yaml",
                Some(&DEPLOY.replace("replicas: 1", "replicas: 2")),
            ),
            ("overlays/prod/cm.yaml", Some(CM)),
            (
                "overlays/prod/kustomization.yaml",
                Some("resources: [../../base, cm.yaml]\nnamePrefix: prod-\n"),
            ),
        ],
        &[(
            "overlays/prod/kustomization.yaml",
            Some("resources: [../../base, cm.yaml, missing.yaml]\nnamePrefix: prod-\n"),
        )],
    ])
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn check(repo: &TestRepo, base: &str, head: &str, args: &[&str], env: &[(&str, &Path)]) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_manifest-gate"));
    c.args(["check", "--base", base, "--head", head, "--repo"])
        .arg(repo.path())
        .args(args)
        .env_remove("GITHUB_STEP_SUMMARY")
        .current_dir(repo.path());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("manifest-gate runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `check --format FORMAT` from `base` to `head`, with the expected exit code.
fn format(repo: &TestRepo, base: &str, head: &str, f: &str, code: i32) -> String {
    let r = check(repo, base, head, &["--format", f], &[]);
    assert_eq!(r.code, code, "{f}: {}{}", r.stdout, r.stderr);
    r.stdout
}

fn sarif_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif-2.1.0.json"
    ))
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(doc: &str) -> Value {
    let v: Value = serde_json::from_str(doc).expect("SARIF is JSON");
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
    v
}

#[test]
fn the_schema_catches_an_invalid_log() {
    // The validator is not vacuous: a log without a driver name fails.
    let bad = serde_json::json!({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]});
    assert!(sarif_validator().iter_errors(&bad).next().is_some());
}

#[test]
fn sarif_is_valid_decided_and_undecided() {
    let r = repo();
    let v = assert_valid_sarif(&format(&r, "c0", "c1", "sarif", 1));
    let run = &v["runs"][0];
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert_eq!(run["results"].as_array().unwrap().len(), 2);

    let v = assert_valid_sarif(&format(&r, "c1", "c2", "sarif", 2));
    let run = &v["runs"][0];
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let n = &inv["toolExecutionNotifications"][0];
    assert_eq!(n["level"], "error");
    let text = n["message"]["text"].as_str().unwrap();
    assert!(
        text.contains("could not decide") && text.contains("missing.yaml"),
        "{text}"
    );
    assert_eq!(
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "overlays/prod/kustomization.yaml"
    );
    assert_eq!(run["results"].as_array().unwrap().len(), 0);
    assert_eq!(run["properties"]["decided"], false);
}

/// A parsed XML element.
#[derive(Debug, Default)]
struct Elem {
    name: String,
    attrs: BTreeMap<String, String>,
    text: String,
    children: Vec<Elem>,
}

impl Elem {
    fn all<'a>(&'a self, name: &str, out: &mut Vec<&'a Elem>) {
        if self.name == name {
            out.push(self);
        }
        for c in &self.children {
            c.all(name, out);
        }
    }
    fn find(&self, name: &str) -> Vec<&Elem> {
        let mut v = Vec::new();
        self.all(name, &mut v);
        v
    }
    fn attr(&self, k: &str) -> &str {
        self.attrs.get(k).map(String::as_str).unwrap_or("")
    }
}

/// Parse a whole document with quick-xml (any error fails the test).
fn parse_xml(doc: &str) -> Elem {
    use quick_xml::events::{BytesStart, Event};
    fn open(e: &BytesStart) -> Elem {
        let mut el = Elem {
            name: e.name().as_ref().to_string(),
            ..Default::default()
        };
        for a in e.attributes() {
            let a = a.expect("well-formed attribute");
            let k = a.key.as_ref().to_string();
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .expect("attribute value unescapes");
            assert!(
                el.attrs.insert(k, v.into_owned()).is_none(),
                "duplicate attribute"
            );
        }
        el
    }
    let mut reader = quick_xml::Reader::from_str(doc);
    let mut stack = vec![Elem::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(open(&e)),
            Event::Empty(e) => {
                let el = open(&e);
                stack.last_mut().unwrap().children.push(el);
            }
            Event::End(_) => {
                let el = stack.pop().unwrap();
                stack.last_mut().expect("balanced").children.push(el);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let s = match &*r.into_inner() {
                    "lt" => "<",
                    "gt" => ">",
                    "amp" => "&",
                    "quot" => "\"",
                    "apos" => "'",
                    other => panic!("unexpected entity {other}"),
                };
                stack.last_mut().unwrap().text.push_str(s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().unwrap()
}

#[test]
fn junit_has_one_case_per_rule_per_environment() {
    let r = repo();
    let doc = format(&r, "c0", "c1", "junit", 1);
    let root = parse_xml(&doc);
    assert_eq!(root.name, "testsuites");
    let suites = root.find("testsuite");
    let names: Vec<&str> = suites.iter().map(|s| s.attr("name")).collect();
    assert_eq!(
        names,
        [
            "manifest-gate: dev",
            "manifest-gate: prod",
            "manifest-gate: repository"
        ]
    );
    // The built-in rules (a pack rule is a case only where it found something).
    let rules: Vec<&str> = manifest_gate::policy::rules::RULES
        .iter()
        .map(|r| r.id)
        .collect();
    for s in &suites {
        let cases: Vec<&str> = s.find("testcase").iter().map(|c| c.attr("name")).collect();
        assert_eq!(cases, rules, "{}", s.attr("name"));
        assert_eq!(s.attr("tests"), rules.len().to_string());
    }
    // promotion-order fails in prod (its file is prod's), single-environment
    // in the repository suite (a shared base).
    let failed: Vec<(String, String)> = root
        .find("testcase")
        .into_iter()
        .filter(|c| !c.find("failure").is_empty())
        .map(|c| (c.attr("classname").to_string(), c.attr("name").to_string()))
        .collect();
    assert_eq!(
        failed,
        [
            ("manifest-gate.prod".into(), "promotion-order".into()),
            (
                "manifest-gate.repository".into(),
                "single-environment".into()
            )
        ]
    );
    assert_eq!(root.attr("failures"), "2");
    let f = root.find("failure");
    assert!(f[1].text.contains("dev -> prod"), "{}", f[1].text);

    let doc = format(&r, "c1", "c2", "junit", 2);
    let root = parse_xml(&doc);
    assert_eq!(root.attr("errors"), "1");
    let errors = root.find("error");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].attr("message").contains("missing.yaml"));
    assert!(errors[0].text.contains("could not decide"));
}

#[test]
fn junit_escapes_hostile_strings() {
    // A rule message quoting a file name with XML and control characters.
    let name = "overlays/dev/a\u{1}<b>&\"'-role.yaml";
    let mut r = repo();
    r.commit(&[(
        name,
        Some("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n"),
    )]);
    let doc = format(&r, "c2", "c3", "junit", 1);
    let root = parse_xml(&doc);
    assert!(!doc.contains('\u{1}'));
    let f = root.find("failure");
    assert!(!f.is_empty());
    assert!(
        root.find("testcase")
            .iter()
            .any(|c| c.attr("file").contains("<b>&\"'")),
        "{doc}"
    );
}

#[test]
fn gitlab_code_quality_fields() {
    let r = repo();
    let doc = format(&r, "c0", "c1", "gitlab", 1);
    let v: Value = serde_json::from_str(&doc).unwrap();
    let issues = v.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    let severities = ["info", "minor", "major", "critical", "blocker"];
    for i in issues {
        assert!(i["description"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(i["check_name"].is_string());
        let fp = i["fingerprint"].as_str().unwrap();
        assert!(
            fp.len() == 64 && fp.chars().all(|c| c.is_ascii_hexdigit()),
            "{fp}"
        );
        assert!(severities.contains(&i["severity"].as_str().unwrap()));
        assert!(i["location"]["path"].is_string());
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
    }
    assert_eq!(issues[0]["check_name"], "single-environment");
    assert_eq!(issues[0]["severity"], "critical");
    assert_eq!(issues[0]["location"]["path"], "base/deploy.yaml");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 6);
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    // Stable across runs.
    assert_eq!(doc, format(&r, "c0", "c1", "gitlab", 1));

    let v: Value = serde_json::from_str(&format(&r, "c1", "c2", "gitlab", 2)).unwrap();
    let issues = v.as_array().unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["severity"], "blocker");
    assert_eq!(
        issues[0]["location"]["path"],
        "overlays/prod/kustomization.yaml"
    );
    assert!(issues[0]["description"]
        .as_str()
        .unwrap()
        .contains("could not decide"));
}

#[test]
fn github_annotations_carry_file_and_line_and_write_the_job_summary() {
    let r = repo();
    let out = tempfile::tempdir().unwrap();
    let summary = out.path().join("summary.md");
    let run = check(
        &r,
        "c0",
        "c1",
        &["--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 2, "{}", run.stdout);
    assert!(
        errors[0].starts_with("::error file=base/deploy.yaml,line=6,col=1,title="),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].starts_with("::error file=overlays/prod/cm.yaml,line=1,"),
        "{}",
        errors[1]
    );
    // Every line is one workflow command.
    assert!(
        run.stdout.lines().all(|l| l.starts_with("::")),
        "{}",
        run.stdout
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("❌ manifest-gate: failed — 2 errors"), "{md}");

    let run = check(
        &r,
        "c1",
        "c2",
        &["--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stdout.starts_with(
            "::error file=overlays/prod/kustomization.yaml,line=1,title=manifest-gate could not decide::"
        ),
        "{}",
        run.stdout
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("❌ manifest-gate: failed"),
        "appended, not replaced"
    );
    assert!(md.contains("⚠️ manifest-gate: could not decide"), "{md}");
    assert!(run
        .stderr
        .starts_with("error: overlays/prod/kustomization.yaml:1: could not decide"));
}

#[test]
fn one_run_writes_several_formats_also_when_undecided() {
    let r = repo();
    let out = tempfile::tempdir().unwrap();
    let p = |n: &str| out.path().join(n);
    let spec = |f: &str, n: &str| format!("{f}={}", p(n).display());
    let args = [
        "--output".to_string(),
        spec("sarif", "gate.sarif"),
        "--output".into(),
        spec("junit", "junit.xml"),
        "--output".into(),
        spec("gitlab", "cq.json"),
        "--output".into(),
        spec("json", "check.json"),
        "--output".into(),
        spec("markdown", "comment.md"),
        "--output".into(),
        spec("text", "check.txt"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    for (base, head, code) in [("c0", "c1", 1), ("c1", "c2", 2)] {
        let run = check(&r, base, head, &args, &[]);
        assert_eq!(run.code, code, "{}", run.stderr);
        let read = |n: &str| std::fs::read_to_string(p(n)).unwrap();
        let sarif = assert_valid_sarif(&read("gate.sarif"));
        let junit = parse_xml(&read("junit.xml"));
        let cq: Value = serde_json::from_str(&read("cq.json")).unwrap();
        let json: Value = serde_json::from_str(&read("check.json")).unwrap();
        let md = read("comment.md");
        let txt = read("check.txt");
        let decided = code < 2;
        assert_eq!(json["decided"], decided);
        assert_eq!(
            sarif["runs"][0]["invocations"][0]["executionSuccessful"],
            decided
        );
        assert_eq!(junit.find("error").is_empty(), decided);
        assert!(cq.is_array());
        if decided {
            // Standard output is still the text report.
            assert!(run.stdout.contains("single-environment"), "{}", run.stdout);
            assert_eq!(txt, run.stdout);
            assert!(md.contains("manifest-gate: failed"));
        } else {
            assert!(run.stdout.is_empty(), "{}", run.stdout);
            assert_eq!(json["path"], "overlays/prod/kustomization.yaml");
            assert!(json["cause"].as_str().unwrap().contains("missing.yaml"));
            assert!(
                md.contains("could not decide") && md.contains("missing.yaml"),
                "{md}"
            );
            assert!(txt.starts_with("error: ") && txt.contains("missing.yaml"));
        }
    }
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
}

#[cfg(unix)]
#[test]
fn output_never_writes_through_a_symlink() {
    use std::os::unix::fs::symlink;
    let r = repo();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "keep me\n").unwrap();
    // A symlink planted in the checkout, named like the report.
    let planted = r.path().join("manifest-gate.sarif");
    symlink(&victim, &planted).unwrap();
    let run = check(
        &r,
        "c0",
        "c1",
        &["--output", "sarif=manifest-gate.sarif"],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me\n");
    let meta = std::fs::symlink_metadata(&planted).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link is replaced by the report"
    );
    assert_valid_sarif(&std::fs::read_to_string(&planted).unwrap());

    // A directory on the way that is a symlink is refused (exit 2, naming it).
    symlink(outside.path(), r.path().join("reports")).unwrap();
    let run = check(
        &r,
        "c0",
        "c1",
        &["--output", "junit=reports/junit.xml"],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("reports is a symlink"),
        "{}",
        run.stderr
    );
    assert!(!outside.path().join("junit.xml").exists());
    let left: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "only the victim is there");
}

#[test]
fn bad_output_specs_are_refused_before_rendering() {
    let r = repo();
    for spec in ["sarif", "nope=x.txt", "junit="] {
        let run = check(&r, "c0", "c1", &["--output", spec], &[]);
        assert_eq!(run.code, 2, "{spec}");
        assert!(
            run.stderr.contains(spec.split('=').next().unwrap()),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn snapshots() {
    let r = repo();
    for f in ["github", "junit", "gitlab", "markdown"] {
        insta::assert_snapshot!(format!("decided_{f}"), format(&r, "c0", "c1", f, 1));
    }
    for f in ["github", "junit", "gitlab", "json", "markdown"] {
        insta::assert_snapshot!(format!("undecided_{f}"), format(&r, "c1", "c2", f, 2));
    }
}
