//! A mock on 127.0.0.1: the release download (tarball + SHA256SUMS) and the
//! GitHub and GitLab comment APIs.

use super::fixture::{target, TOKEN};
use serde_json::{json, Value};
use sha2::Digest;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: BTreeMap<String, String>,
}

#[derive(Default)]
struct State {
    files: BTreeMap<String, Vec<u8>>,
    /// (id, author login, body)
    comments: Vec<(u64, String, String)>,
    next: u64,
    requests: Vec<Req>,
}

pub struct Mock {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Mock {
    pub fn start() -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            next: 100,
            ..Default::default()
        }));
        let st = state.clone();
        std::thread::spawn(move || {
            for s in listener.incoming().take(400).flatten() {
                handle(s, &st);
            }
        });
        Mock { url, state }
    }
    pub fn serve(&self, path: &str, bytes: Vec<u8>) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(path.to_string(), bytes);
    }
    pub fn comments(&self) -> Vec<(u64, String, String)> {
        self.state.lock().unwrap().comments.clone()
    }
    pub fn requests(&self) -> Vec<Req> {
        self.state.lock().unwrap().requests.clone()
    }
    /// Serve `tag`'s release of this build: the tarball and SHA256SUMS
    /// (`corrupt`: a checksum that does not match).
    pub fn release(&self, repo: &str, tag: &str, corrupt: bool) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            env!("CARGO_BIN_EXE_manifest-gate"),
            dir.path().join("manifest-gate"),
        )
        .unwrap();
        let asset = format!("manifest-gate-{}.tar.gz", target());
        let tgz = dir.path().join(&asset);
        let st = Command::new("tar")
            .arg("-C")
            .arg(dir.path())
            .arg("-czf")
            .arg(&tgz)
            .arg("manifest-gate")
            .status()
            .unwrap();
        assert!(st.success());
        let bytes = std::fs::read(&tgz).unwrap();
        let mut sum = format!("{:x}", sha2::Sha256::digest(&bytes));
        if corrupt {
            sum = "0".repeat(64);
        }
        let base = format!("/{repo}/releases/download/{tag}");
        self.serve(&format!("{base}/{asset}"), bytes);
        self.serve(
            &format!("{base}/SHA256SUMS"),
            format!("{sum}  {asset}\n{}  other.tar.gz\n", "1".repeat(64)).into_bytes(),
        );
    }
}

fn read_req(stream: &mut TcpStream) -> Option<(Req, String)> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut it = line.split_whitespace();
    let method = it.next()?.to_string();
    let path = it.next()?.to_string();
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
    let mut body = vec![0; len.min(4 << 20)];
    r.read_exact(&mut body).ok()?;
    Some((
        Req {
            method,
            path,
            headers,
        },
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

fn send(stream: &mut TcpStream, status: u16, ctype: &str, body: &[u8]) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

fn handle(mut stream: TcpStream, st: &Arc<Mutex<State>>) {
    let Some((req, body)) = read_req(&mut stream) else {
        return;
    };
    let mut s = st.lock().unwrap();
    s.requests.push(req.clone());
    let path = req.path.split('?').next().unwrap_or("").to_string();
    if let Some(bytes) = s.files.get(&path) {
        let b = bytes.clone();
        return send(&mut stream, 200, "application/octet-stream", &b);
    }
    if path.contains("/releases/download/") {
        return send(&mut stream, 404, "text/plain", b"Not Found");
    }
    let authed = req.headers.get("authorization") == Some(&format!("Bearer {TOKEN}"))
        || req.headers.get("private-token").map(String::as_str) == Some(TOKEN);
    if !authed {
        return send(
            &mut stream,
            401,
            "application/json",
            b"{\"message\":\"no\"}",
        );
    }
    let text = |b: &str| -> Option<String> {
        serde_json::from_str::<Value>(b).ok()?["body"]
            .as_str()
            .map(str::to_string)
    };
    let list = |s: &State, gitlab: bool| -> Value {
        Value::Array(
            s.comments
                .iter()
                .map(|(id, login, body)| {
                    if gitlab {
                        json!({"id": id, "body": body, "system": false, "author": {"username": login, "id": 7}})
                    } else {
                        json!({"id": id, "body": body, "user": {"login": login, "id": 7}})
                    }
                })
                .collect(),
        )
    };
    let gh_list = "/api/repos/acme/gitops/issues/5/comments";
    let gh_item = "/api/repos/acme/gitops/issues/comments/";
    let gl_list = "/api/v4/projects/42/merge_requests/3/notes";
    let (status, out) = match (req.method.as_str(), path.as_str()) {
        ("GET", "/api/user") => (200, json!({"login": "github-actions[bot]", "id": 7})),
        ("GET", "/api/v4/user") => (200, json!({"username": "gate-bot", "id": 7})),
        ("GET", p) if p == gh_list => (200, list(&s, false)),
        ("GET", p) if p == gl_list => (200, list(&s, true)),
        ("POST", p) if p == gh_list || p == gl_list => {
            s.next += 1;
            let id = s.next;
            let who = if p == gh_list {
                "github-actions[bot]"
            } else {
                "gate-bot"
            };
            s.comments
                .push((id, who.into(), text(&body).unwrap_or_default()));
            (201, json!({"id": id}))
        }
        ("PATCH", p) | ("PUT", p) if p.starts_with(gh_item) || p.starts_with(gl_list) => {
            let id: u64 = p.rsplit('/').next().unwrap().parse().unwrap_or(0);
            match s.comments.iter_mut().find(|c| c.0 == id) {
                Some(c) => {
                    c.2 = text(&body).unwrap_or_default();
                    (200, json!({"id": id}))
                }
                None => (404, json!({"message": "not found"})),
            }
        }
        _ => (404, json!({"message": "not found"})),
    };
    send(
        &mut stream,
        status,
        "application/json",
        out.to_string().as_bytes(),
    );
}
