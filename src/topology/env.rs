//! Environments from cluster and destination names, and repository URL matching.

use globset::Glob;

/// A configured assignment: clusters matching `pattern` (a glob) belong to `env`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterEnv {
    /// Cluster-name glob (`production`, `stone-prd-*`).
    pub pattern: String,
    /// The environment.
    pub env: String,
}

/// The built-in vocabulary: environment name and the words naming it. The one
/// list of environment words: path inference (`policy::config`) uses it too.
pub const VOCABULARY: [(&str, &[&str]); 5] = [
    ("sandbox", &["sandbox", "sbx"]),
    ("dev", &["dev", "development", "develop"]),
    ("test", &["test", "testing", "qa", "integration", "int"]),
    ("staging", &["staging", "stage", "stg", "preprod", "uat"]),
    ("prod", &["prod", "production", "prd"]),
];

/// The whole words of a name or path segment, lower case, split on `-`, `_`,
/// `.`, `/` and `:`; `pre-prod` is one word.
pub fn words(name: &str) -> Vec<String> {
    name.to_ascii_lowercase()
        .replace("pre-prod", "preprod")
        .replace("pre_prod", "preprod")
        .split(['-', '_', '.', '/', ':'])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The one environment guesser: the environments the whole words of `name` name,
/// in order, each once with the first word naming it: (environment, word).
/// `lookup` says which environment a word names. One entry decides; two or more
/// are ambiguous (see [`conflict`]) and never a guess.
pub fn environment_words<'v>(
    name: &str,
    lookup: impl Fn(&str) -> Option<&'v str>,
) -> Vec<(&'v str, String)> {
    let mut found: Vec<(&'v str, String)> = Vec::new();
    for w in words(name) {
        if let Some(env) = lookup(&w) {
            if !found.iter().any(|(e, _)| *e == env) {
                found.push((env, w));
            }
        }
    }
    found
}

/// The environment the built-in vocabulary gives a word.
pub fn vocabulary_env(word: &str) -> Option<&'static str> {
    VOCABULARY
        .iter()
        .find(|(_, ws)| ws.contains(&word))
        .map(|(e, _)| *e)
}

/// The conflicting words of an ambiguous name: `'prod' (prod) and 'staging' (staging)`.
pub fn conflict(found: &[(&str, String)]) -> String {
    let each: Vec<String> = found.iter().map(|(e, w)| format!("'{w}' ({e})")).collect();
    match each.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => each.join(""),
    }
}

/// The environment a cluster or destination name belongs to, and how that was decided.
/// A configured pattern wins (the first matching one); otherwise each whole word of
/// the name (split on `-`, `_`, `.`, `/`, `:`) is looked up, and two different
/// environment words make it ambiguous (no environment, never a guess).
pub fn environment_of(cluster: &str, configured: &[ClusterEnv]) -> (Option<String>, String) {
    for c in configured {
        let hit = Glob::new(&c.pattern)
            .map(|g| g.compile_matcher().is_match(cluster))
            .unwrap_or(false);
        if hit {
            return (
                Some(c.env.clone()),
                format!(
                    "environment '{}' from the configured cluster pattern '{}'",
                    c.env, c.pattern
                ),
            );
        }
    }
    let found = environment_words(cluster, vocabulary_env);
    match found.as_slice() {
        [] => (
            None,
            format!("no environment: the name '{cluster}' holds no environment word"),
        ),
        [(env, word)] => (
            Some(env.to_string()),
            format!("environment '{env}' from the word '{word}' in the name '{cluster}'"),
        ),
        many => (
            None,
            format!(
                "no environment: ambiguous: the name '{cluster}' has the words {} (not guessed; configure `clusters:`)",
                conflict(many)
            ),
        ),
    }
}

/// Normalise a git repository URL for comparison: case, scheme (`https`, `ssh`,
/// `git`, scp-style `git@host:owner/repo`), user, port, a trailing `.git` and `/`
/// are dropped, leaving `host/path`. `None` for something that is not a URL.
pub fn normalize_repo_url(url: &str) -> Option<String> {
    let u = url.trim().to_ascii_lowercase();
    if u.is_empty() {
        return None;
    }
    let rest = if let Some(i) = u.find("://") {
        &u[i + 3..]
    } else if let Some((host, path)) = u.split_once(':') {
        // scp-style: [user@]host:path (not a Windows drive or a bare path).
        if host.contains('/') || path.starts_with('/') && host.is_empty() {
            return None;
        }
        return normalize_repo_url(&format!("ssh://{host}/{path}"));
    } else {
        return None;
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host);
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("{host}/{path}"))
}

/// True when `url` is one of `ours` after normalisation.
pub fn is_this_repo(url: &str, ours: &[String]) -> bool {
    match normalize_repo_url(url) {
        Some(n) => ours
            .iter()
            .any(|o| normalize_repo_url(o).as_deref() == Some(n.as_str())),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_match_across_forms() {
        let ours = vec!["git@github.com:Org/Repo.git".to_string()];
        assert!(is_this_repo("https://github.com/org/repo", &ours));
        assert!(is_this_repo("ssh://git@github.com/org/repo.git/", &ours));
        assert!(is_this_repo("https://github.com:443/org/repo.git", &ours));
        assert!(!is_this_repo("https://github.com/org/other", &ours));
        assert!(!is_this_repo("https://gitlab.com/org/repo", &ours));
        assert!(!is_this_repo("./local", &ours));
    }

    #[test]
    fn cluster_names_give_environments() {
        let e = |c: &str| environment_of(c, &[]).0;
        assert_eq!(e("production").as_deref(), Some("prod"));
        assert_eq!(e("staging").as_deref(), Some("staging"));
        assert_eq!(e("eu-prd-1").as_deref(), Some("prod"));
        assert_eq!(e("pre-prod").as_deref(), Some("staging"));
        assert_eq!(e("https://dev.example.com").as_deref(), Some("dev"));
        assert_eq!(e("kind-local"), None);
        // Two environment words: ambiguous, never a guess.
        assert_eq!(e("dev-to-prod"), None);
        assert!(environment_of("prod-staging", &[])
            .1
            .contains("'prod' (prod) and 'staging' (staging)"));
        // Words are whole tokens: "product" is not "prod".
        assert_eq!(e("product-eu"), None);
        let cfg = [ClusterEnv {
            pattern: "stone-prd-*".into(),
            env: "prod".into(),
        }];
        assert_eq!(
            environment_of("stone-prd-eu1", &cfg).0.as_deref(),
            Some("prod")
        );
        assert!(environment_of("stone-prd-eu1", &cfg)
            .1
            .contains("configured"));
    }
}
