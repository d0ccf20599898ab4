//! The one definition of "remote": whether a path written in a kustomization
//! names content kustomize would fetch (a git repository to clone, or an HTTP
//! URL to download), and the parsed form of a git reference.
//!
//! Every check in the crate asks [`is_remote`]. The rule is a superset of what
//! kustomize v5.5.0 (`api/internal/git/repospec.go`, `api/loader`) accepts, and
//! of the forms older releases accepted (`gh:`, `git@host/path`): a path that
//! any kustomize could fetch is remote, so it is refused (or, with
//! `--fetch-remote`, resolved through the allow-list), never handed to a
//! renderer that would clone it.
//!
//! Remote forms:
//! - any `scheme://` URL (`https`, `http`, `ssh`, `file`, `git`, …), and
//!   go-getter's forced protocol `git::…`;
//! - scp-like `user@host:path`, and `user@host.domain/path` (`git@host/path`);
//! - `github.com/org/repo…`, `github.com:org/repo…`, `gh:org/repo…`, and the
//!   other well-known forges written without a scheme (`gitlab.com/`,
//!   `bitbucket.org/`);
//! - Azure DevOps `…/_git/repo` paths;
//! - a query naming one of kustomize's clone parameters (`?ref=`, `?version=`,
//!   `?submodules=`, `?timeout=`, `?cache=`), whatever precedes it.
//!
//! Local: everything else, e.g. `../base`, `base`, `./x?y`, `a//b`, `/abs`
//! (an absolute path is refused elsewhere as leaving the repository).

mod fetch;
mod mount;
mod policy;

pub use fetch::{default_cache_dir, Fetched};
pub use mount::{root_of, FetchOptions, Mounted, Remotes, Resolved, MOUNT_PREFIX};
pub use policy::{Pin, RemotePolicy};

/// Why a remote reference is refused when remote bases are not fetched.
pub const NOT_FETCHED: &str = "remote content is never fetched (vendor it into the repository, or allow it under 'remote:' in .manifest-gate.yaml and pass --fetch-remote)";

/// Query parameters kustomize reads from a git reference.
const CLONE_PARAMS: [&str; 5] = ["ref", "version", "submodules", "timeout", "cache"];

/// Forges kustomize users write without a scheme.
const BARE_HOSTS: [&str; 5] = [
    "github.com/",
    "github.com:",
    "gitlab.com/",
    "bitbucket.org/",
    "gh:",
];

/// Whether `s`, a path from a kustomization (`resources`, `components`,
/// `bases`, patches, generator `files`/`envs`, `openapi.path`, …), names remote
/// content. The one function every check uses.
pub fn is_remote(s: &str) -> bool {
    let s = s.trim();
    if s.starts_with('/') {
        return false;
    }
    let (base, query) = match s.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (s, None),
    };
    if query.is_some_and(|q| {
        q.split('&').any(|kv| {
            let key = kv.split_once('=').map_or(kv, |(k, _)| k);
            CLONE_PARAMS.iter().any(|p| key.eq_ignore_ascii_case(p))
        })
    }) {
        return true;
    }
    let l = base.to_ascii_lowercase();
    l.starts_with("git::")
        || has_scheme(&l)
        || BARE_HOSTS.iter().any(|h| l.starts_with(h))
        || is_scp_like(&l)
        || l.contains("_git/")
}

/// `scheme://`, the scheme made of URL scheme characters (RFC 3986).
fn has_scheme(l: &str) -> bool {
    l.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    })
}

/// `user@host:path` (git's scp-like syntax), `git@host/path` or
/// `user@host.domain/path` (kustomize accepts all three).
fn is_scp_like(l: &str) -> bool {
    let Some((user, rest)) = l.split_once('@') else {
        return false;
    };
    if user.is_empty() || user.contains(['/', ':']) {
        return false;
    }
    match rest.find([':', '/']) {
        Some(i) if i > 0 => rest.as_bytes()[i] == b':' || user == "git" || rest[..i].contains('.'),
        _ => false,
    }
}

/// A remote git reference, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRef {
    /// The reference as written.
    pub raw: String,
    /// The transport git would use: `https`, `http`, `git`, `ssh` or `file`.
    pub protocol: String,
    /// The user (and password) written before the host; empty when none.
    pub user: String,
    /// Host name, lowercased, without user or port (`github.com`).
    pub host: String,
    /// Host and explicit port, lowercased (`github.com`, `127.0.0.1:9418`):
    /// what the allow-list globs match, with [`RemoteRef::repo`].
    pub authority: String,
    /// Repository path on the host, without `.git` (`org/repo`; Azure:
    /// `org/project/_git/repo`).
    pub repo: String,
    /// Directory inside the repository holding the kustomization (`""`: root).
    pub subdir: String,
    /// `?ref=` (or `?version=`); `None` when not given.
    pub git_ref: Option<String>,
    /// What `git fetch` is given (the repository URL as written, `.git`
    /// suffix kept or not, as kustomize clones it).
    pub clone_url: String,
}

impl RemoteRef {
    /// Parse a remote git reference (one for which [`is_remote`] holds).
    /// `None` for forms that are not git repositories (a plain HTTP file URL
    /// has no repository path) or that cannot be parsed.
    pub fn parse(raw: &str) -> Option<RemoteRef> {
        let s = raw.trim();
        if !is_remote(s) {
            return None;
        }
        let (base, query) = s.split_once('?').unwrap_or((s, ""));
        let git_ref = query_ref(query);
        let base = strip_prefix_ci(base, "git::").unwrap_or(base);
        let (scheme, user, host, path) = split_host(base)?;
        let authority = host.to_ascii_lowercase();
        let (repo, suffix, subdir) = split_repo(path)?;
        let name = authority
            .split(':')
            .next()
            .unwrap_or(&authority)
            .to_string();
        if name.is_empty() {
            return None;
        }
        let (protocol, clone_url) = match scheme.as_str() {
            "" if !user.is_empty() => ("ssh".to_string(), format!("{user}@{host}:{repo}{suffix}")),
            "" => (
                "https".to_string(),
                format!("https://{authority}/{repo}{suffix}"),
            ),
            _ => {
                let u = if user.is_empty() {
                    String::new()
                } else {
                    format!("{user}@")
                };
                (
                    scheme.clone(),
                    format!("{scheme}://{u}{host}/{repo}{suffix}"),
                )
            }
        };
        Some(RemoteRef {
            raw: raw.to_string(),
            protocol,
            user: user.clone(),
            host: name,
            authority,
            repo,
            subdir,
            git_ref,
            clone_url,
        })
    }

    /// The reference as written, with any user name or password replaced by
    /// `<user>`: what messages show.
    pub fn shown(&self) -> String {
        let raw = self.raw.trim();
        if self.user.is_empty() {
            raw.to_string()
        } else {
            raw.replacen(&format!("{}@", self.user), "<user>@", 1)
        }
    }

    /// `authority/repo` (`github.com/org/repo`), what the allow-list globs match.
    pub fn source(&self) -> String {
        format!("{}/{}", self.authority, self.repo)
    }
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    (s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)).then(|| &s[p.len()..])
}

/// `ref`, else `version`, from a query string.
fn query_ref(query: &str) -> Option<String> {
    let get = |key: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.to_string())
            .filter(|v| !v.is_empty())
    };
    get("ref").or_else(|| get("version"))
}

/// (scheme, user, host[:port], path) of a reference without its query.
fn split_host(base: &str) -> Option<(String, String, String, &str)> {
    if let Some(rest) = strip_prefix_ci(base, "gh:") {
        return Some((String::new(), String::new(), "github.com".into(), rest));
    }
    for bare in [
        "github.com/",
        "github.com:",
        "gitlab.com/",
        "bitbucket.org/",
    ] {
        if let Some(rest) = strip_prefix_ci(base, bare) {
            let host = bare[..bare.len() - 1].to_string();
            return Some((String::new(), String::new(), host, rest));
        }
    }
    if let Some((scheme, rest)) = base.split_once("://") {
        let scheme = scheme.to_ascii_lowercase();
        let (auth, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, host) = match auth.rsplit_once('@') {
            Some((u, h)) => (u.to_string(), h.to_string()),
            None => (String::new(), auth.to_string()),
        };
        let host_ok = !host.is_empty()
            && !host.starts_with('-')
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        return host_ok.then_some((scheme, user, host, path));
    }
    let (user, rest) = base.split_once('@')?;
    let i = rest.find([':', '/'])?;
    Some((
        String::new(),
        user.to_string(),
        rest[..i].to_string(),
        &rest[i + 1..],
    ))
}

/// Split a repository path from the directory inside it: at `//`, else after
/// `_git/<repo>`, else after a `.git` segment suffix, else after `org/repo`.
fn split_repo(path: &str) -> Option<(String, &'static str, String)> {
    let path = path.trim_start_matches('/');
    let (repo, sub) = if let Some((r, s)) = path.split_once("//") {
        (r.to_string(), s.to_string())
    } else if let Some(i) = path.find("_git/") {
        let after = &path[i + 5..];
        let (name, sub) = after.split_once('/').unwrap_or((after, ""));
        (format!("{}{name}", &path[..i + 5]), sub.to_string())
    } else if let Some(i) = path
        .match_indices(".git")
        .map(|(i, _)| i)
        .find(|&i| path[i + 4..].is_empty() || path[i + 4..].starts_with('/'))
    {
        (path[..i + 4].to_string(), path[i + 4..].to_string())
    } else {
        let mut parts = path.splitn(3, '/');
        let org = parts.next().unwrap_or("");
        let name = parts.next().unwrap_or("");
        let sub = parts.next().unwrap_or("");
        if name.is_empty() {
            return None;
        }
        (format!("{org}/{name}"), sub.to_string())
    };
    let repo = repo.trim_end_matches('/');
    let suffix = if repo.ends_with(".git") { ".git" } else { "" };
    let repo = repo.strip_suffix(".git").unwrap_or(repo).to_string();
    let subdir = sub.trim_matches('/').to_string();
    let bad = |s: &str| s.split('/').any(|seg| seg == ".." || seg == ".");
    if repo.is_empty() || repo.starts_with('/') || repo.ends_with('/') || bad(&repo) || bad(&subdir)
    {
        return None;
    }
    if repo.split('/').any(str::is_empty) {
        return None;
    }
    if !repo
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '~'))
    {
        return None;
    }
    Some((repo, suffix, subdir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form() {
        let remote = [
            "https://github.com/org/repo//base?ref=v1",
            "HTTP://example.com/x.yaml",
            "https://raw.githubusercontent.com/o/r/main/cm.yaml",
            "ssh://git@example.com/org/repo.git",
            "file:///srv/git/repo.git",
            "git://example.com/org/repo",
            "git::https://example.com/org/repo.git//base",
            "GIT::git@example.com:org/repo",
            "git@github.com:org/repo.git",
            "git@gitlab.example.com/org/repo",
            "deploy@host.example:org/repo//x",
            "github.com/org/repo/base?ref=main",
            "github.com:org/repo",
            "GitHub.com/org/repo",
            "gitlab.com/org/repo",
            "bitbucket.org/org/repo",
            "gh:org/repo",
            "../base?ref=main",
            "base?submodules=false",
            "x?timeout=10s",
            "x?version=v2",
            "x?a=1&ref=v1",
            "x?cache=true",
            "dev.azure.com/org/proj/_git/repo",
            "https://dev.azure.com/org/proj/_git/repo//base?ref=main",
            "  https://example.com/x  ",
        ];
        for r in remote {
            assert!(is_remote(r), "{r} should be remote");
        }
        let local = [
            "../base",
            "base",
            "./x?y",
            "x?refs=1",
            "deploy.yaml",
            "github.yaml",
            "github.com",
            "a/b",
            "a//b",
            "my.git/base",
            "/abs/path",
            "team@x",
            "a/b@c:d",
            "c:d",
            "1http://x",
            "://x",
            "",
        ];
        for l in local {
            assert!(!is_remote(l), "{l} should be local");
        }
    }

    fn p(s: &str) -> (String, String, String, Option<String>, String) {
        let r = RemoteRef::parse(s).unwrap_or_else(|| panic!("{s} parses"));
        (r.host, r.repo, r.subdir, r.git_ref, r.clone_url)
    }

    #[test]
    fn parse_forms() {
        let v1 = Some("v1".to_string());
        assert_eq!(
            p("https://github.com/org/repo//base/x?ref=v1"),
            (
                "github.com".into(),
                "org/repo".into(),
                "base/x".into(),
                v1.clone(),
                "https://github.com/org/repo".into()
            )
        );
        assert_eq!(p("github.com/org/repo/base?ref=v1").2, "base");
        assert_eq!(
            p("github.com/org/repo/base?ref=v1").4,
            "https://github.com/org/repo"
        );
        assert_eq!(p("github.com:org/repo").1, "org/repo");
        assert_eq!(p("gh:org/repo/sub").2, "sub");
        let scp = p("git@example.com:org/repo.git/deploy?version=v1");
        assert_eq!(scp.0, "example.com");
        assert_eq!(scp.1, "org/repo");
        assert_eq!(scp.2, "deploy");
        assert_eq!(scp.3, v1);
        assert_eq!(scp.4, "git@example.com:org/repo.git");
        let forced = p("git::http://127.0.0.1:9418/a/b.git//c?ref=abc&submodules=false");
        assert_eq!(forced.0, "127.0.0.1");
        assert_eq!(forced.1, "a/b");
        assert_eq!(forced.2, "c");
        assert_eq!(forced.4, "http://127.0.0.1:9418/a/b.git");
        let az = p("https://dev.azure.com/org/proj/_git/repo/base?ref=main");
        assert_eq!(az.1, "org/proj/_git/repo");
        assert_eq!(az.2, "base");
        assert_eq!(az.4, "https://dev.azure.com/org/proj/_git/repo");
        assert_eq!(p("git://h/deep/group/repo.git//x").1, "deep/group/repo");
        assert_eq!(p("ssh://git@h:2222/o/r").4, "ssh://git@h:2222/o/r");
        assert_eq!(p("https://h/o/r").3, None);
        let r = RemoteRef::parse("git://127.0.0.1:9418/org/repo.git//base?ref=v1").unwrap();
        assert_eq!(r.protocol, "git");
        assert_eq!(r.authority, "127.0.0.1:9418");
        assert_eq!(r.source(), "127.0.0.1:9418/org/repo");
        assert_eq!(r.clone_url, "git://127.0.0.1:9418/org/repo.git");
        let protocol = |s: &str| RemoteRef::parse(s).unwrap().protocol;
        assert_eq!(protocol("git@github.com:o/r"), "ssh");
        assert_eq!(protocol("GIT::git@github.com:o/r"), "ssh");
        assert_eq!(protocol("github.com/o/r"), "https");
        assert_eq!(protocol("gh:o/r"), "https");
        assert_eq!(protocol("HTTP://h/o/r.git"), "http");
        assert_eq!(protocol("git::https://h/o/r"), "https");
    }

    /// The permutations of kustomize's `TestNewRepoSpecFromUrl_Permute`
    /// (api/internal/git/repospec_test.go): every one is remote, and parses
    /// to the same repository path, directory and ref kustomize extracts.
    #[test]
    fn kustomize_repospec_permutations() {
        let hosts = [
            ("gh:", "github.com"),
            ("GH:", "github.com"),
            ("gitHub.com/", "github.com"),
            ("github.com:", "github.com"),
            ("http://github.com/", "github.com"),
            ("https://github.com/", "github.com"),
            ("hTTps://github.com/", "github.com"),
            (
                "https://git-codecommit.us-east-2.amazonaws.com/",
                "git-codecommit.us-east-2.amazonaws.com",
            ),
            (
                "https://fabrikops2.visualstudio.com/",
                "fabrikops2.visualstudio.com",
            ),
            ("ssh://git.example.com:7999/", "git.example.com"),
            ("git::https://gitlab.com/", "gitlab.com"),
            ("git::http://git.example.com/", "git.example.com"),
            ("git::https://git.example.com/", "git.example.com"),
            ("git@github.com:", "github.com"),
            ("git@github.com/", "github.com"),
            ("git::git@github.com:", "github.com"),
            ("org-12345@github.com:", "github.com"),
            ("org-12345@github.com/", "github.com"),
        ];
        let mut n = 0;
        for (raw_host, host) in hosts {
            for repo in ["someOrg/someRepo", "kubernetes/website"] {
                for sub in ["README.md", "foo/krusty.txt", ""] {
                    for git_ref in ["group/version", "someBranch", "master", "v0.1.0", ""] {
                        let mut url = format!("{raw_host}{repo}");
                        if !sub.is_empty() {
                            url = format!("{url}/{sub}");
                        }
                        if !git_ref.is_empty() {
                            url = format!("{url}?ref={git_ref}");
                        }
                        assert!(is_remote(&url), "{url}");
                        let r = RemoteRef::parse(&url).unwrap_or_else(|| panic!("{url} parses"));
                        assert_eq!(r.host, host, "{url}");
                        assert_eq!(r.repo, repo, "{url}");
                        assert_eq!(r.subdir, sub, "{url}");
                        assert_eq!(r.git_ref.as_deref().unwrap_or(""), git_ref, "{url}");
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, 18 * 2 * 3 * 5);
        // kustomize's clone-spec cases.
        for (url, clone, sub, git_ref) in [
            ("https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo/somedir?ref=testbranch", "https://git-codecommit.us-east-2.amazonaws.com/someorg/somerepo", "somedir", "testbranch"),
            ("git@github.com:someorg/somerepo/somedir", "git@github.com:someorg/somerepo", "somedir", ""),
            ("git@gitlab2.sqtools.ru:10022/infra/kubernetes/thanos-base.git?ref=v0.1.0", "git@gitlab2.sqtools.ru:10022/infra/kubernetes/thanos-base.git", "", "v0.1.0"),
            ("git@bitbucket.org:company/project.git//path?ref=branch", "git@bitbucket.org:company/project.git", "path", "branch"),
            ("https://itfs.mycompany.com/collection/project/_git/somerepos/somedir?version=v1.0.0", "https://itfs.mycompany.com/collection/project/_git/somerepos", "somedir", "v1.0.0"),
            ("git::https://itfs.mycompany.com/collection/project/_git/somerepos", "https://itfs.mycompany.com/collection/project/_git/somerepos", "", ""),
            ("https://bitbucket.example.com/scm/project/repository.git", "https://bitbucket.example.com/scm/project/repository.git", "", ""),
            ("somerepos?version=master&ref=v1.0.0", "", "", "v1.0.0"),
        ] {
            assert!(is_remote(url), "{url}");
            if clone.is_empty() {
                continue; // a bare query on a local-looking path: remote, not fetchable
            }
            let r = RemoteRef::parse(url).unwrap_or_else(|| panic!("{url} parses"));
            assert_eq!(r.clone_url, clone, "{url}");
            assert_eq!(r.subdir, sub, "{url}");
            assert_eq!(r.git_ref.as_deref().unwrap_or(""), git_ref, "{url}");
        }
    }

    #[test]
    fn unparsable_remote() {
        for s in [
            "https://example.com/",
            "https://example.com/x",
            "https://h/o/r//../../etc",
            "https://h/../r",
            "../base?ref=main",
            "file:///srv/git/repo.git",
            "https://h/o/r;touch x",
            "https://h/o/$(id)",
            "https://-oProxyCommand=x/o/r",
        ] {
            assert!(is_remote(s));
            assert_eq!(RemoteRef::parse(s), None, "{s}");
        }
    }
}
