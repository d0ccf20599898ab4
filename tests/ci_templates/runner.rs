//! The runners: action.yml's composite steps and the GitLab job's script, run
//! with bash as GitHub's and GitLab's runners would.

use super::fixture::{Fixture, ATTACK_MARK, ROOT, TOKEN};
use super::mock::Mock;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap();
    let docs = manifest_gate::yaml::parse_stream(
        &text,
        path,
        &manifest_gate::yaml::ParseOptions::resource(),
    )
    .unwrap();
    docs[0].to_json()
}

fn as_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Replace every `${{ path.to.value }}` by its value in `ctx`; anything but a
/// plain dotted path is refused (the runner would not know its meaning).
fn eval(s: &str, ctx: &Value) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${{") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find("}}").expect("closed expression") + i;
        let expr = rest[i + 3..j].trim();
        assert!(
            expr.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "expression the runner does not evaluate: {expr}"
        );
        let mut cur = ctx;
        let mut found = true;
        for part in expr.split('.') {
            match cur.get(part) {
                Some(v) => cur = v,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if found {
            out.push_str(&as_text(cur));
        }
        rest = &rest[j + 2..];
    }
    out.push_str(rest);
    out
}

fn parse_outputs(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut m = serde_json::Map::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            m.insert(k.to_string(), Value::String(v.to_string()));
        }
    }
    Value::Object(m)
}

/// What a run of the action produced.
pub struct ActionRun {
    pub code: i32,
    pub outputs: Value,
    pub log: String,
    /// The `with:` of each actions/cache step (evaluated).
    pub caches: Vec<Value>,
}

impl std::fmt::Debug for ActionRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\noutputs {}\n{}",
            self.code, self.outputs, self.log
        )
    }
}

/// The runner environment: a runner's directories around the workspace.
pub struct Runner {
    pub home: PathBuf,
    pub temp: PathBuf,
    pub mock: Mock,
    event_path: PathBuf,
}

impl Runner {
    pub fn new(f: &Fixture) -> Runner {
        let base = f.dir.path().join("runner");
        let home = base.join("home");
        let temp = base.join("_temp");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&temp).unwrap();
        Runner {
            home,
            temp,
            mock: Mock::start(),
            event_path: base.join("event.json"),
        }
    }

    /// PATH as a careless workflow leaves it: the checkout's directories first.
    pub fn path(&self, ws: &Path) -> String {
        format!(
            "{}:{}:.::{}",
            ws.join(".cargo-home/bin").display(),
            ws.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    /// Run action.yml's steps for a `pull_request` with `head` and `with`.
    pub fn action(
        &self,
        f: &Fixture,
        head: &str,
        action_ref: &str,
        with: &[(&str, &str)],
    ) -> ActionRun {
        let action = yaml("action.yml");
        let payload = json!({
            "action": "synchronize",
            "number": 5,
            "pull_request": {"number": 5, "base": {"sha": f.main, "ref": "main"}, "head": {"sha": head, "ref": "feature"}},
            "repository": {"full_name": "acme/gitops", "default_branch": "main"}
        });
        std::fs::write(&self.event_path, payload.to_string()).unwrap();
        let mut inputs = serde_json::Map::new();
        let github = json!({
            "token": TOKEN,
            "action_repository": "acme/manifest-gate",
            "action_ref": action_ref,
            "server_url": self.mock.url,
            "event": payload,
            "action_path": ROOT,
        });
        let mut ctx =
            json!({"github": github, "inputs": {}, "steps": {}, "runner": {"temp": self.temp}});
        for (k, spec) in action["inputs"].as_object().unwrap() {
            inputs.insert(
                k.clone(),
                Value::String(eval(&as_text(&spec["default"]), &ctx)),
            );
        }
        for (k, v) in with {
            assert!(inputs.contains_key(*k), "action.yml has no input {k}");
            inputs.insert(k.to_string(), Value::String(v.to_string()));
        }
        ctx["inputs"] = Value::Object(inputs);
        let mut log = String::new();
        let mut code = 0;
        let mut caches = Vec::new();
        for (n, step) in action["runs"]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            if let Some(uses) = step["uses"].as_str() {
                // Only the cache of the action's own build; run as a cache miss
                // (a hit is the build directory left by an earlier run).
                assert!(uses.starts_with("actions/cache@"), "unexpected step {uses}");
                let with: serde_json::Map<String, Value> = step["with"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(eval(&as_text(v), &ctx))))
                    .collect();
                caches.push(Value::Object(with));
                continue;
            }
            assert_eq!(step["shell"], "bash");
            let script = self.temp.join(format!("step{n}.sh"));
            std::fs::write(&script, eval(step["run"].as_str().unwrap(), &ctx)).unwrap();
            let out_file = self.temp.join(format!("output{n}"));
            std::fs::write(&out_file, "").unwrap();
            let mut c = Command::new("bash");
            c.args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script)
                .current_dir(&f.ws)
                .env_clear()
                .env("PATH", self.path(&f.ws))
                .env("HOME", &self.home)
                .env("RUNNER_TEMP", &self.temp)
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_WORKSPACE", &f.ws)
                .env("GITHUB_OUTPUT", &out_file)
                .env("GITHUB_STEP_SUMMARY", self.temp.join("step-summary.md"))
                .env("GITHUB_ACTION_PATH", ROOT)
                .env("GITHUB_EVENT_NAME", "pull_request")
                .env("GITHUB_EVENT_PATH", &self.event_path)
                .env("GITHUB_REPOSITORY", "acme/gitops")
                .env("GITHUB_SERVER_URL", &self.mock.url)
                .env("GITHUB_API_URL", format!("{}/api", self.mock.url))
                .env("GITHUB_SHA", head);
            if let Some(env) = step["env"].as_object() {
                for (k, v) in env {
                    c.env(k, eval(&as_text(v), &ctx));
                }
            }
            let o = c.output().unwrap();
            log.push_str(&format!(
                "--- step {n} {} (exit {:?})\n{}{}",
                as_text(&step["name"]),
                o.status.code(),
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ));
            if let Some(id) = step["id"].as_str() {
                ctx["steps"][id] = json!({"outputs": parse_outputs(&out_file)});
            }
            if !o.status.success() {
                code = o.status.code().unwrap_or(-1);
                break;
            }
        }
        let mut outputs = serde_json::Map::new();
        for (k, spec) in action["outputs"].as_object().unwrap() {
            outputs.insert(
                k.clone(),
                Value::String(eval(&as_text(&spec["value"]), &ctx)),
            );
        }
        ActionRun {
            code,
            outputs: Value::Object(outputs),
            log,
            caches,
        }
    }

    /// Run the GitLab job's before_script + script for a merge request.
    pub fn gitlab(&self, f: &Fixture, head: &str, vars: &[(&str, &str)]) -> ActionRun {
        let t = yaml("ci/gitlab/manifest-gate.gitlab-ci.yml");
        let job = &t["manifest-gate"];
        assert_eq!(
            job["cache"],
            json!([]),
            "no cache the merge request can write"
        );
        let mut script = String::from("set -eo pipefail\n");
        for part in ["before_script", "script"] {
            for line in job[part].as_array().unwrap() {
                script.push_str(line.as_str().unwrap());
                script.push('\n');
            }
        }
        let file = self.temp.join("job.sh");
        std::fs::write(&file, script).unwrap();
        let tmp = self.temp.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut c = Command::new("bash");
        c.arg(&file)
            .current_dir(&f.ws)
            .env_clear()
            .env("PATH", self.path(&f.ws))
            .env("HOME", &self.home)
            .env("TMPDIR", &tmp)
            .env("GITLAB_CI", "true")
            .env("CI", "true")
            .env("CI_PROJECT_DIR", &f.ws)
            .env("CI_PIPELINE_SOURCE", "merge_request_event")
            .env("CI_MERGE_REQUEST_EVENT_TYPE", "detached")
            .env("CI_MERGE_REQUEST_IID", "3")
            .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", &f.main)
            .env("CI_COMMIT_SHA", head)
            .env("CI_PROJECT_ID", "42")
            .env("CI_API_V4_URL", format!("{}/api/v4", self.mock.url))
            .env("GITLAB_TOKEN", TOKEN);
        for (k, v) in job["variables"].as_object().unwrap() {
            c.env(k, as_text(v));
        }
        c.env(
            "MANIFEST_GATE_RELEASE_URL",
            format!(
                "{}/manifest-gate/manifest-gate/releases/download",
                self.mock.url
            ),
        );
        for (k, v) in vars {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        ActionRun {
            code: o.status.code().unwrap_or(-1),
            outputs: json!({}),
            caches: Vec::new(),
            log: format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        }
    }
}

pub fn out<'a>(r: &'a ActionRun, k: &str) -> &'a str {
    r.outputs[k].as_str().unwrap_or("")
}

/// Nothing the attacker planted ran, and nothing outside was written.
pub fn untouched(f: &Fixture, r: &ActionRun) {
    let mark = std::fs::read_to_string(f.mark()).unwrap_or_default();
    assert!(mark.is_empty(), "attacker code ran: {mark}\n{r:?}");
    assert_eq!(
        std::fs::read_to_string(f.precious()).unwrap(),
        "precious\n",
        "a file outside the workspace was written through a symlink: {r:?}"
    );
    assert!(!r.log.contains(ATTACK_MARK), "{r:?}");
    assert!(
        !r.log.contains(TOKEN),
        "the token leaked into the log: {r:?}"
    );
}
