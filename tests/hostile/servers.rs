//! Servers the fetch tests start on loopback: a `git daemon`, a minimal HTTP
//! server in front of `git http-backend`, and a bare listener that records
//! whether anything connected.

use crate::util::git;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `git daemon` serving `<base>/org/*.git` on 127.0.0.1.
pub struct Daemon {
    child: Child,
    pub port: u16,
    pub base: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Daemon {
    /// Start a daemon; `None` when `git daemon` is unavailable.
    pub fn start() -> Option<Daemon> {
        let mut base = tempfile::tempdir().expect("tempdir");
        for _ in 0..5 {
            let port = free_port();
            let child = Command::new("git")
                .arg("daemon")
                .arg("--reuseaddr")
                .arg("--export-all")
                .arg("--informative-errors")
                .arg("--verbose")
                .arg("--log-destination=stderr")
                .arg("--listen=127.0.0.1")
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base.path().display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(
                    std::fs::File::create(base.path().join("daemon.log"))
                        .map(Stdio::from)
                        .unwrap_or_else(|_| Stdio::null()),
                )
                .spawn()
                .ok()?;
            let mut d = Daemon { child, port, base };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(10) {
                if let Ok(Some(_)) = d.child.try_wait() {
                    break; // exited: port taken, or no daemon
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Some(d);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = d.child.kill();
            let _ = d.child.wait();
            base = std::mem::replace(&mut d.base, tempfile::tempdir().expect("tempdir"));
        }
        None
    }

    /// Publish a repository `org/<name>.git` with `files`; returns its commit.
    pub fn publish(&self, name: &str, files: &[(&str, &str)], tag: Option<&str>) -> String {
        let work = self.base.path().join(format!("work-{name}"));
        std::fs::create_dir_all(&work).unwrap();
        git(&work, &["init", "-q"]);
        for (p, t) in files {
            let f = work.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, t).unwrap();
        }
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-q", "--allow-empty", "-m", "publish"]);
        if let Some(t) = tag {
            git(&work, &["tag", "-f", t]);
        }
        let bare = self.base.path().join("org").join(format!("{name}.git"));
        let _ = std::fs::remove_dir_all(&bare);
        std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
        git(
            self.base.path(),
            &[
                "clone",
                "-q",
                "--bare",
                work.to_str().unwrap(),
                bare.to_str().unwrap(),
            ],
        );
        git(&work, &["rev-parse", "HEAD"])
    }

    pub fn url(&self, name: &str, sub: &str, git_ref: &str) -> String {
        format!(
            "git://127.0.0.1:{}/org/{name}.git//{sub}?ref={git_ref}",
            self.port
        )
    }

    /// How many fetches the daemon served for `org/<name>.git`.
    pub fn fetches(&self, name: &str) -> usize {
        let log = std::fs::read_to_string(self.base.path().join("daemon.log")).unwrap_or_default();
        let want = format!("upload-pack for '/org/{name}.git'");
        log.lines().filter(|l| l.contains(&want)).count()
    }

    pub fn source(&self, name: &str) -> String {
        format!("127.0.0.1:{}/org/{name}", self.port)
    }
}

/// A listener that records whether anything connected.
pub fn listener() -> (TcpListener, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    l.set_nonblocking(true).unwrap();
    (l, port)
}

pub fn connected(l: &TcpListener) -> bool {
    l.accept().is_ok()
}

/// A minimal HTTP server running `git http-backend` (CGI) for each request,
/// serving `root`; with `redirect_to`, every request is answered with a 302
/// to that base URL instead.
pub fn http_backend(root: PathBuf, redirect_to: Option<String>) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let root = root.clone();
            let redirect_to = redirect_to.clone();
            std::thread::spawn(move || {
                let _ = serve_one(s, &root, redirect_to.as_deref());
            });
        }
    });
    port
}

fn serve_one(mut s: TcpStream, root: &Path, redirect_to: Option<&str>) -> std::io::Result<()> {
    use std::io::{BufRead, BufReader, Write};
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h)?;
        let h = h.trim_end().to_string();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if let Some(to) = redirect_to {
        let resp = format!("HTTP/1.1 302 Found\r\nLocation: {to}{target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return s.write_all(resp.as_bytes());
    }
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut c = Command::new("git");
    c.arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", len.to_string())
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("GIT_PROTOCOL", header("git-protocol").unwrap_or_default())
        .env(
            "HTTP_CONTENT_ENCODING",
            header("content-encoding").unwrap_or_default(),
        )
        .env("REMOTE_ADDR", "127.0.0.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = c.spawn()?;
    child.stdin.take().unwrap().write_all(&body)?;
    let out = child.wait_with_output()?;
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| {
            out.stdout
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, 2))
        });
    let Some((i, n)) = split else {
        return s.write_all(b"HTTP/1.1 500 Bad\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    };
    let head = String::from_utf8_lossy(&out.stdout[..i]).to_string();
    let rest = &out.stdout[i + n..];
    let mut status = "200 OK".to_string();
    let mut resp = String::new();
    for h in head.lines() {
        match h.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
            Some(_) => resp.push_str(&format!("{h}\r\n")),
            None => {}
        }
    }
    s.write_all(
        format!(
            "HTTP/1.1 {status}\r\n{resp}Content-Length: {}\r\nConnection: close\r\n\r\n",
            rest.len()
        )
        .as_bytes(),
    )?;
    s.write_all(rest)
}
