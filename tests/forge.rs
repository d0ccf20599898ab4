//! The PR comment bot against a local mock of the GitHub and GitLab APIs (a
//! std TcpListener thread on 127.0.0.1): create-then-update through the marker,
//! auth headers, pagination, size limits and token hygiene; then the real
//! binary end to end (`comment --forge github|gitlab`, `--dry-run`).

mod common;

use common::TestRepo;
use manifest_gate::forge::{self, Forge, Posted, Target, MARKER};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the mock received.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: String,
}

#[derive(Default)]
struct State {
    /// (id, body, system, author login)
    comments: Vec<(u64, String, bool, String)>,
    /// Answer the next N requests with 502 (retries).
    fail_next: usize,
    next_id: u64,
    requests: Vec<Req>,
}

/// A mock forge API on 127.0.0.1 (GitHub or GitLab routes).
struct Mock {
    url: String,
    state: Arc<Mutex<State>>,
}

impl Mock {
    fn start(forge: Forge, token: &'static str) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            ..Default::default()
        }));
        let st = state.clone();
        std::thread::spawn(move || {
            // Bounded: a test makes at most a few dozen requests.
            for stream in listener.incoming().take(500) {
                let Ok(stream) = stream else { continue };
                handle(stream, forge, token, &st);
            }
        });
        Mock { url, state }
    }
    fn seed(&self, body: &str, system: bool) -> u64 {
        self.seed_by(body, system, "alice")
    }
    fn seed_by(&self, body: &str, system: bool, author: &str) -> u64 {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        s.comments
            .push((id, body.to_string(), system, author.to_string()));
        id
    }
    fn comment(&self, id: u64) -> Option<String> {
        let s = self.state.lock().unwrap();
        s.comments.iter().find(|c| c.0 == id).map(|c| c.1.clone())
    }
    fn requests(&self) -> Vec<Req> {
        self.state.lock().unwrap().requests.clone()
    }
    fn marked(&self) -> Vec<(u64, String)> {
        self.state
            .lock()
            .unwrap()
            .comments
            .iter()
            .filter(|c| c.1.contains(MARKER) && !c.2)
            .map(|c| (c.0, c.1.clone()))
            .collect()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Req> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Req {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn respond(stream: &mut TcpStream, status: u16, body: &Value) {
    let text = body.to_string();
    let reason = match status {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        _ => "Other",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
}

fn redirect(stream: &mut TcpStream, location: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.flush();
}

fn query(path: &str, key: &str) -> Option<usize> {
    let q = path.split_once('?')?.1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
}

fn handle(mut stream: TcpStream, forge: Forge, token: &str, st: &Arc<Mutex<State>>) {
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    let mut s = st.lock().unwrap();
    s.requests.push(req.clone());
    if s.fail_next > 0 {
        s.fail_next -= 1;
        return respond(&mut stream, 502, &json!({"message": "Bad Gateway"}));
    }
    // Redirects: `/moved/…` to the same origin, `/elsewhere/…` to another
    // host name of the same server (a token sent there would be recorded).
    if let Some(rest) = req.path.strip_prefix("/moved") {
        return redirect(&mut stream, rest);
    }
    if let Some(rest) = req.path.strip_prefix("/elsewhere") {
        let port = stream.local_addr().unwrap().port();
        return redirect(
            &mut stream,
            &format!("http://localhost:{port}/stolen{rest}"),
        );
    }
    let authorized = match forge {
        Forge::GitHub => req.headers.get("authorization") == Some(&format!("Bearer {token}")),
        Forge::GitLab => req.headers.get("private-token").map(String::as_str) == Some(token),
    };
    if !authorized {
        // Echo the presented credential, as a careless server might.
        let shown = req
            .headers
            .get("authorization")
            .or_else(|| req.headers.get("private-token"))
            .cloned()
            .unwrap_or_default();
        return respond(
            &mut stream,
            401,
            &json!({ "message": format!("Bad credentials: {shown}") }),
        );
    }
    let (list_prefix, item_prefix) = match forge {
        Forge::GitHub => (
            "/repos/acme/gitops/issues/5/comments".to_string(),
            "/repos/acme/gitops/issues/comments/".to_string(),
        ),
        Forge::GitLab => (
            "/api/v4/projects/platform%2Fgitops/merge_requests/3/notes".to_string(),
            "/api/v4/projects/platform%2Fgitops/merge_requests/3/notes/".to_string(),
        ),
    };
    let path_only = req.path.split('?').next().unwrap().to_string();
    let body_of = |r: &Req| -> Option<String> {
        serde_json::from_str::<Value>(&r.body)
            .ok()?
            .get("body")?
            .as_str()
            .map(str::to_string)
    };
    let limit = forge.limit();
    // The token's user is gate-bot (id 7); every other author has another id.
    let user_id = |login: &str| {
        if login == BOT {
            7
        } else {
            900 + login.len() as u64
        }
    };
    match (req.method.as_str(), path_only.as_str()) {
        ("GET", "/user") if forge == Forge::GitHub => {
            respond(&mut stream, 200, &json!({"login": BOT, "id": 7}))
        }
        ("GET", "/api/v4/user") if forge == Forge::GitLab => {
            respond(&mut stream, 200, &json!({"username": BOT, "id": 7}))
        }
        ("GET", p) if p == list_prefix => {
            let per = query(&req.path, "per_page").unwrap_or(30);
            let page = query(&req.path, "page").unwrap_or(1);
            let items: Vec<Value> = s
                .comments
                .iter()
                .skip((page - 1) * per)
                .take(per)
                .map(|(id, body, system, login)| {
                    let who = json!({"login": login, "username": login, "id": user_id(login)});
                    json!({"id": id, "body": body, "system": system, "user": who, "author": who})
                })
                .collect();
            respond(&mut stream, 200, &Value::Array(items));
        }
        ("POST", p) if p == list_prefix => {
            let Some(body) = body_of(&req) else {
                return respond(&mut stream, 422, &json!({"message": "no body"}));
            };
            if body.chars().count() > limit {
                return respond(&mut stream, 422, &json!({"message": "body is too long"}));
            }
            s.next_id += 1;
            let id = s.next_id;
            s.comments.push((id, body.clone(), false, BOT.to_string()));
            respond(&mut stream, 201, &json!({"id": id, "body": body}));
        }
        (m, p)
            if p.starts_with(&item_prefix)
                && ((forge == Forge::GitHub && m == "PATCH")
                    || (forge == Forge::GitLab && m == "PUT")) =>
        {
            let id: u64 = p[item_prefix.len()..].parse().unwrap_or(0);
            let Some(body) = body_of(&req) else {
                return respond(&mut stream, 422, &json!({"message": "no body"}));
            };
            if body.chars().count() > limit {
                return respond(&mut stream, 422, &json!({"message": "body is too long"}));
            }
            match s.comments.iter_mut().find(|c| c.0 == id) {
                Some(c) => {
                    c.1 = body.clone();
                    respond(&mut stream, 200, &json!({"id": id, "body": body}));
                }
                None => respond(&mut stream, 404, &json!({"message": "Not Found"})),
            }
        }
        _ => respond(&mut stream, 404, &json!({"message": "Not Found"})),
    }
}

const GH_TOKEN: &str = "ghs_mockToken0123456789";
/// The login of the mock's token.
const BOT: &str = "gate-bot";
const GL_TOKEN: &str = "glpat-mockToken9876543210";

#[test]
fn github_create_then_update() {
    let mock = Mock::start(Forge::GitHub, GH_TOKEN);
    // 130 other comments: the marker comment lands on page 2.
    for i in 0..130 {
        mock.seed(&format!("LGTM {i}"), false);
    }
    let t = Target::new(
        Forge::GitHub,
        &format!("{}/", mock.url),
        "acme/gitops",
        5,
        GH_TOKEN,
    );
    let first = forge::upsert(&t, &format!("{MARKER}\nfirst")).unwrap();
    let Posted::Created(id) = first else {
        panic!("expected a new comment, got {first:?}")
    };
    let second = forge::upsert(&t, &format!("{MARKER}\nsecond")).unwrap();
    assert_eq!(second, Posted::Updated(id));
    assert_eq!(mock.marked(), vec![(id, format!("{MARKER}\nsecond"))]);

    let reqs = mock.requests();
    let summary: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        summary,
        vec![
            "GET /user",
            "GET /repos/acme/gitops/issues/5/comments?per_page=100&page=1",
            "GET /repos/acme/gitops/issues/5/comments?per_page=100&page=2",
            "POST /repos/acme/gitops/issues/5/comments",
            "GET /user",
            "GET /repos/acme/gitops/issues/5/comments?per_page=100&page=1",
            "GET /repos/acme/gitops/issues/5/comments?per_page=100&page=2",
            &format!("PATCH /repos/acme/gitops/issues/comments/{id}"),
        ]
    );
    for r in &reqs {
        assert_eq!(r.headers["authorization"], format!("Bearer {GH_TOKEN}"));
        assert_eq!(r.headers["accept"], "application/vnd.github+json");
        assert_eq!(r.headers["x-github-api-version"], "2022-11-28");
        assert!(r.headers["user-agent"].starts_with("manifest-gate/"));
        if r.method != "GET" {
            assert_eq!(r.headers["content-type"], "application/json");
        }
    }
}

#[test]
fn gitlab_create_then_update_skips_system_notes() {
    let mock = Mock::start(Forge::GitLab, GL_TOKEN);
    mock.seed("Looks good", false);
    // A system note quoting the marker must not be taken for ours.
    let sys = mock.seed(&format!("changed the description {MARKER}"), true);
    let t = Target::new(
        Forge::GitLab,
        &format!("{}/api/v4", mock.url),
        "platform/gitops",
        3,
        GL_TOKEN,
    );
    let Posted::Created(id) = forge::upsert(&t, &format!("{MARKER}\none")).unwrap() else {
        panic!("expected a new note")
    };
    assert_ne!(id, sys);
    assert_eq!(
        forge::upsert(&t, &format!("{MARKER}\ntwo")).unwrap(),
        Posted::Updated(id)
    );
    assert_eq!(mock.marked(), vec![(id, format!("{MARKER}\ntwo"))]);
    let reqs = mock.requests();
    let methods: Vec<&str> = reqs.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["GET", "GET", "POST", "GET", "GET", "PUT"]);
    assert_eq!(reqs[0].path, "/api/v4/user");
    assert!(reqs[1]
        .path
        .starts_with("/api/v4/projects/platform%2Fgitops/merge_requests/3/notes?"));
    assert_eq!(
        reqs[5].path,
        format!("/api/v4/projects/platform%2Fgitops/merge_requests/3/notes/{id}")
    );
    for r in &reqs {
        assert_eq!(r.headers["private-token"], GL_TOKEN);
        assert!(!r.headers.contains_key("authorization"));
    }
}

#[test]
fn errors_never_show_the_token() {
    let mock = Mock::start(Forge::GitHub, GH_TOKEN);
    let wrong = "ghs_wrongTokenABCDEF";
    let t = Target::new(Forge::GitHub, &mock.url, "acme/gitops", 5, wrong);
    let e = forge::upsert(&t, "x").unwrap_err().to_string();
    assert!(e.contains("401"), "{e}");
    assert!(e.contains("Bad credentials"), "{e}");
    assert!(!e.contains(wrong), "token leaked: {e}");
    assert!(!format!("{t:?}").contains(wrong));
    // Unreachable API: a one-line error, no token.
    let t = Target::new(Forge::GitLab, "http://127.0.0.1:1/api/v4", "1", 1, wrong);
    let e = forge::upsert(&t, "x").unwrap_err().to_string();
    assert!(e.starts_with("GitLab API: GET /api/v4/user"), "{e}");
    assert!(!e.contains(wrong));
}

#[test]
fn a_marker_comment_by_another_user_is_left_alone() {
    for forge in [Forge::GitHub, Forge::GitLab] {
        let (token, api, project, n) = match forge {
            Forge::GitHub => (GH_TOKEN, String::new(), "acme/gitops", 5),
            Forge::GitLab => (GL_TOKEN, "/api/v4".to_string(), "platform/gitops", 3),
        };
        let mock = Mock::start(forge, token);
        // An attacker's "passed" comment carrying the marker, before ours.
        let forged = format!("{MARKER}\n## ✅ manifest-gate: passed");
        let theirs = mock.seed_by(&forged, false, "mallory");
        let t = Target::new(forge, &format!("{}{api}", mock.url), project, n, token);
        let Posted::Created(ours) = forge::upsert(&t, &format!("{MARKER}\nfailed")).unwrap() else {
            panic!("{forge:?}: the forged comment must not be taken for ours")
        };
        assert_eq!(
            forge::upsert(&t, &format!("{MARKER}\nfailed again")).unwrap(),
            Posted::Updated(ours)
        );
        assert_eq!(mock.comment(theirs).unwrap(), forged, "{forge:?}");
        assert_eq!(
            mock.comment(ours).unwrap(),
            format!("{MARKER}\nfailed again")
        );
        // Another gate in the same repository keeps its own comment.
        let keyed = manifest_gate::report::comment::marker(Some("apps"));
        let Posted::Created(other) = forge::upsert(&t, &format!("{keyed}\napps")).unwrap() else {
            panic!("a keyed gate has its own comment")
        };
        assert_ne!(other, ours);
        assert_eq!(
            forge::upsert(&t, &format!("{keyed}\napps 2")).unwrap(),
            Posted::Updated(other)
        );
        assert_eq!(
            mock.comment(ours).unwrap(),
            format!("{MARKER}\nfailed again")
        );
    }
}

#[test]
fn retries_server_errors_and_never_follows_a_redirect_to_another_host() {
    let mock = Mock::start(Forge::GitHub, GH_TOKEN);
    mock.state.lock().unwrap().fail_next = 2;
    let t = Target::new(Forge::GitHub, &mock.url, "acme/gitops", 5, GH_TOKEN);
    assert!(matches!(
        forge::upsert(&t, &format!("{MARKER}\nx")).unwrap(),
        Posted::Created(_)
    ));
    let n = mock.requests().len();
    // Bounded: a server that keeps failing is given up on after 3 tries.
    mock.state.lock().unwrap().fail_next = 10;
    let e = forge::upsert(&t, &format!("{MARKER}\ny"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("502"), "{e}");
    assert_eq!(mock.requests().len(), n + 3);
    mock.state.lock().unwrap().fail_next = 0;

    // The same origin: followed.
    let t = Target::new(
        Forge::GitHub,
        &format!("{}/moved", mock.url),
        "acme/gitops",
        5,
        GH_TOKEN,
    );
    assert!(matches!(
        forge::upsert(&t, &format!("{MARKER}\nz")).unwrap(),
        Posted::Updated(_)
    ));
    // Another host: refused before any credential goes there.
    let t = Target::new(
        Forge::GitHub,
        &format!("{}/elsewhere", mock.url),
        "acme/gitops",
        5,
        GH_TOKEN,
    );
    let before = mock.requests().len();
    let e = forge::upsert(&t, &format!("{MARKER}\nw"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("another host"), "{e}");
    assert_eq!(mock.requests().len(), before + 1);
    assert!(!mock
        .requests()
        .iter()
        .any(|r| r.path.starts_with("/stolen")));
}

// ---------------------------------------------------------------------------
// The real binary.

const BASE_KUST: &str = "resources:\n- cm.yaml\n";
const OVERLAY_KUST: &str = "resources:\n- ../../base\n";

fn cm(value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: {value}\n"
    )
}

/// base + overlays/dev + overlays/prod; the second commit changes the base (both environments).
fn two_env_repo() -> TestRepo {
    let c0 = cm("slow");
    let c1 = cm("fast");
    TestRepo::build(&[
        &[
            ("base/kustomization.yaml", Some(BASE_KUST)),
            ("base/cm.yaml", Some(&c0)),
            ("overlays/dev/kustomization.yaml", Some(OVERLAY_KUST)),
            ("overlays/prod/kustomization.yaml", Some(OVERLAY_KUST)),
        ],
        &[("base/cm.yaml", Some(&c1))],
    ])
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(repo: &TestRepo, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_manifest-gate"));
    cmd.args(args).arg("--repo").arg(repo.path());
    for k in [
        "GITHUB_TOKEN",
        "GITHUB_REPOSITORY",
        "GITHUB_EVENT_PATH",
        "GITHUB_API_URL",
        "GITLAB_TOKEN",
        "CI_API_V4_URL",
        "CI_PROJECT_ID",
        "CI_MERGE_REQUEST_IID",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("manifest-gate runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn binary_github_comment_create_then_update() {
    let repo = two_env_repo();
    let mock = Mock::start(Forge::GitHub, GH_TOKEN);
    let event = repo.dir.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"action":"synchronize","pull_request":{"number":5}}"#,
    )
    .unwrap();
    let event = event.to_string_lossy().to_string();
    let env = [
        ("GITHUB_API_URL", mock.url.as_str()),
        ("GITHUB_REPOSITORY", "acme/gitops"),
        ("GITHUB_EVENT_PATH", event.as_str()),
        ("GITHUB_TOKEN", GH_TOKEN),
    ];
    let args = [
        "comment", "--base", "c0", "--head", "c1", "--forge", "github",
    ];
    let r = run(&repo, &args, &env);
    assert_eq!(r.code, 1, "the check fails: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("created comment"), "{}", r.stdout);
    assert!(r.stdout.contains("acme/gitops#5"), "{}", r.stdout);
    let marked = mock.marked();
    assert_eq!(marked.len(), 1);
    let body = &marked[0].1;
    assert!(body.starts_with(MARKER));
    assert!(body.contains("❌ manifest-gate: failed"), "{body}");
    assert!(body.contains("`single-environment`"), "{body}");
    assert!(body.contains("### Rendered manifest diff"), "{body}");
    assert!(body.contains("overlays/prod"), "{body}");

    let r = run(&repo, &args, &env);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains(&format!("updated comment {}", marked[0].0)),
        "{}",
        r.stdout
    );
    assert_eq!(mock.marked().len(), 1);
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains(GH_TOKEN));
    }

    // A wrong token: exit 2, one-line error, the token not shown.
    let bad = "ghs_notTheRightOne42";
    let env_bad = [
        ("GITHUB_API_URL", mock.url.as_str()),
        ("GITHUB_REPOSITORY", "acme/gitops"),
        ("GITHUB_EVENT_PATH", event.as_str()),
        ("GITHUB_TOKEN", bad),
    ];
    let r = run(&repo, &args, &env_bad);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("401"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(bad) && !r.stdout.contains(bad),
        "{}",
        r.stderr
    );
}

#[test]
fn binary_gitlab_comment_and_passing_check() {
    let repo = two_env_repo();
    let mock = Mock::start(Forge::GitLab, GL_TOKEN);
    let api = format!("{}/api/v4", mock.url);
    let env = [
        ("CI_API_V4_URL", api.as_str()),
        ("CI_PROJECT_ID", "platform/gitops"),
        ("CI_MERGE_REQUEST_IID", "3"),
        ("GITLAB_TOKEN", GL_TOKEN),
    ];
    // No change between c1 and c1: passes, exit 0.
    let r = run(
        &repo,
        &[
            "comment", "--base", "c1", "--head", "c1", "--forge", "gitlab",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("created comment"), "{}", r.stdout);
    let body = &mock.marked()[0].1;
    assert!(body.contains("✅ manifest-gate: passed"), "{body}");
    // Then the failing change updates the same note.
    let r = run(
        &repo,
        &[
            "comment", "--base", "c0", "--head", "c1", "--forge", "gitlab",
        ],
        &env,
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("updated comment"), "{}", r.stdout);
    let marked = mock.marked();
    assert_eq!(marked.len(), 1);
    assert!(marked[0].1.contains("❌ manifest-gate: failed"));
}

#[test]
fn binary_dry_run_and_missing_environment() {
    let repo = two_env_repo();
    let r = run(
        &repo,
        &[
            "comment",
            "--base",
            "c0",
            "--head",
            "c1",
            "--forge",
            "github",
            "--dry-run",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with(MARKER), "{}", r.stdout);
    assert!(r.stdout.contains("single-environment"));
    // Without the CI variables: exit 2 naming the missing one.
    let r = run(
        &repo,
        &[
            "comment", "--base", "c0", "--head", "c1", "--forge", "github",
        ],
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("GITHUB_REPOSITORY is not set"),
        "{}",
        r.stderr
    );
    let r = run(
        &repo,
        &[
            "comment", "--base", "c0", "--head", "c1", "--forge", "gitlab", "--pr", "3",
        ],
        &[
            ("CI_API_V4_URL", "http://127.0.0.1:1/api/v4"),
            ("CI_PROJECT_ID", "1"),
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("GITLAB_TOKEN is not set"), "{}", r.stderr);
}

#[test]
fn binary_truncates_a_huge_diff_for_github() {
    // Eight unassigned apps, each changing a ConfigMap of 600 lines: far more
    // than 65,536 characters of Markdown.
    let big = |v: &str| {
        let mut s =
            String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n");
        for i in 0..600 {
            s.push_str(&format!("  key{i:04}: value-{v}-{i:04}-padding-padding\n"));
        }
        s
    };
    let (b0, b1) = (big("old"), big("new"));
    let mut c0: Vec<(String, String)> = Vec::new();
    let mut c1: Vec<(String, String)> = Vec::new();
    for i in 0..8 {
        c0.push((
            format!("apps/a{i}/kustomization.yaml"),
            "resources:\n- cm.yaml\n".into(),
        ));
        c0.push((format!("apps/a{i}/cm.yaml"), b0.clone()));
        c1.push((format!("apps/a{i}/cm.yaml"), b1.clone()));
    }
    let as_commit = |v: &Vec<(String, String)>| -> Vec<(String, Option<String>)> {
        v.iter()
            .map(|(p, c)| (p.clone(), Some(c.clone())))
            .collect()
    };
    let (k0, k1) = (as_commit(&c0), as_commit(&c1));
    let r0: Vec<(&str, Option<&str>)> =
        k0.iter().map(|(p, c)| (p.as_str(), c.as_deref())).collect();
    let r1: Vec<(&str, Option<&str>)> =
        k1.iter().map(|(p, c)| (p.as_str(), c.as_deref())).collect();
    let repo = TestRepo::build(&[&r0, &r1]);

    let mock = Mock::start(Forge::GitHub, GH_TOKEN);
    let env = [
        ("GITHUB_API_URL", mock.url.as_str()),
        ("GITHUB_REPOSITORY", "acme/gitops"),
        ("GITHUB_TOKEN", GH_TOKEN),
    ];
    let r = run(
        &repo,
        &[
            "comment", "--base", "c0", "--head", "c1", "--forge", "github", "--pr", "5",
        ],
        &env,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let body = &mock.marked()[0].1;
    let n = body.chars().count();
    assert!(n <= forge::GITHUB_LIMIT && n > 50_000, "{n}");
    assert!(body.contains("✅ manifest-gate: passed"));
    assert!(
        body.contains("not shown to fit the 65000-character comment limit"),
        "{body}"
    );
    let before = body.split("> **Note:**").next().unwrap();
    assert_eq!(
        before.matches("<details>").count(),
        before.matches("</details>").count()
    );
    // Every fence opened is closed.
    let fences = before
        .lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count();
    assert_eq!(fences % 2, 0);
}
