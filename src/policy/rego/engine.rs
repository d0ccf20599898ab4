//! The Rego worker: the child process that compiles the team's policies with
//! `regorus` and evaluates them over every changed resource.
//!
//! It reads one [`Request`] (JSON) on stdin and writes one JSON object per
//! line on stdout ([`Event`]): `policy` before it evaluates a policy file
//! (so the parent can name the file when it has to kill the worker), `found`
//! for each message, `error` (and stop) for a policy that fails to parse or
//! evaluate, `done` at the end. Each policy file is compiled once, in its own
//! engine, and evaluated for every input. The parent bounds the worker's
//! address space and wall-clock time; the engine's cooperative execution timer
//! ends most runaway policies earlier with a clean error.

use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::time::Duration;

/// One policy file: its repository path (as read from base) and text.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PolicyFile {
    /// Repository-relative path.
    pub path: String,
    /// Rego source.
    pub text: String,
}

/// What the worker evaluates.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    /// The policy files, in order.
    pub policies: Vec<PolicyFile>,
    /// One `input` document per changed resource.
    pub inputs: Vec<serde_json::Value>,
    /// The cooperative evaluation budget, in milliseconds, per policy file.
    pub timeout_ms: u64,
}

/// One line of the worker's output.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Evaluation of policy `policy` (index) starts.
    Policy(usize),
    /// A message of rule `rule` of policy `policy` for input `input`.
    Found {
        /// Policy index.
        policy: usize,
        /// Input index.
        input: usize,
        /// Rule name (`deny`, `warn`, `deny_no_admins`, …).
        rule: String,
        /// The message (a string, or the `msg` of an object).
        msg: String,
    },
    /// Policy `policy` failed to parse or evaluate (the worker stops).
    Error {
        /// Policy index.
        policy: usize,
        /// 1-based line, 0 when unknown.
        line: u32,
        /// What went wrong.
        message: String,
    },
    /// Every policy was evaluated for every input.
    Done,
}

/// The package every policy must declare (conftest's convention, renamed).
pub const PACKAGE: &str = "manifest_gate";

/// Longest message kept from a policy (characters).
const MAX_MSG_CHARS: usize = 1000;

/// Most messages one policy may produce for one input.
const MAX_MSGS_PER_INPUT: usize = 100;

/// The worker's entry point: read the request from stdin, write events to
/// stdout. Returns the process exit code.
pub fn worker_main() -> i32 {
    let mut buf = Vec::new();
    // The parent caps what it sends; this is a second bound.
    if std::io::stdin()
        .take(1 << 30)
        .read_to_end(&mut buf)
        .is_err()
    {
        return 3;
    }
    let req: Request = match serde_json::from_slice(&buf) {
        Ok(r) => r,
        Err(_) => return 3,
    };
    drop(buf);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut emit = |e: &Event| -> bool {
        let ok = serde_json::to_writer(&mut out, e).is_ok() && out.write_all(b"\n").is_ok();
        // Flushed per event: the parent names the file being evaluated when it
        // has to kill the worker.
        ok && out.flush().is_ok()
    };
    let timeout = Duration::from_millis(req.timeout_ms.max(1));
    if evaluate(&req.policies, &req.inputs, timeout, &mut emit).is_none() {
        return 3;
    }
    0
}

/// Compile and evaluate every policy for every input, reporting through
/// `emit` (which returns false when the output is closed). `None` when the
/// output closed before the end.
pub fn evaluate(
    policies: &[PolicyFile],
    inputs: &[serde_json::Value],
    timeout: Duration,
    emit: &mut dyn FnMut(&Event) -> bool,
) -> Option<()> {
    let send = |emit: &mut dyn FnMut(&Event) -> bool, e: Event| emit(&e).then_some(());
    for (pi, p) in policies.iter().enumerate() {
        send(emit, Event::Policy(pi))?;
        let fail = |line: u32, message: String| Event::Error {
            policy: pi,
            line,
            message,
        };
        let (mut engine, rules) = match compile(p, timeout) {
            Ok(x) => x,
            Err((line, message)) => return send(emit, fail(line, message)),
        };
        for (ii, input) in inputs.iter().enumerate() {
            let value = match regorus::Value::from_json_str(&input.to_string()) {
                Ok(v) => v,
                Err(e) => return send(emit, fail(0, format!("input {ii}: {e}"))),
            };
            engine.set_input(value);
            for rule in &rules {
                let msgs = match eval_messages(&mut engine, rule, &p.path) {
                    Ok(m) => m,
                    Err((line, message)) => {
                        return send(emit, fail(line, format!("rule '{rule}': {message}")));
                    }
                };
                for msg in msgs {
                    send(
                        emit,
                        Event::Found {
                            policy: pi,
                            input: ii,
                            rule: rule.clone(),
                            msg,
                        },
                    )?;
                }
            }
        }
    }
    send(emit, Event::Done)
}

/// One engine holding `p`, prepared, and the names of its `deny*`/`warn*` rules.
fn compile(
    p: &PolicyFile,
    timeout: Duration,
) -> std::result::Result<(regorus::Engine, Vec<String>), (u32, String)> {
    let mut engine = regorus::Engine::new();
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: timeout,
        check_interval: std::num::NonZeroU32::MIN,
    });
    // A builtin called with bad arguments is an error, not silently undefined.
    engine.set_strict_builtin_errors(true);
    let package = engine
        .add_policy(p.path.clone(), p.text.clone())
        .map_err(|e| located(&e, &p.path))?;
    if package != format!("data.{PACKAGE}") {
        let line = package_line(&p.text);
        return Err((
            line,
            format!(
                "the policy declares '{}', not 'package {PACKAGE}'",
                package.trim_start_matches("data.")
            ),
        ));
    }
    let rules = rule_names(&p.text);
    if rules.is_empty() {
        return Err((
            1,
            "the policy defines no 'deny' or 'warn' rule (deny, deny_<name>, warn, warn_<name>)"
                .to_string(),
        ));
    }
    // Type-check and prepare now, so an unknown function (`http.send`) is a
    // compile error even when no resource changed.
    engine.set_input(regorus::Value::new_object());
    for rule in &rules {
        if let Err(e) = engine.eval_rule(format!("data.{PACKAGE}.{rule}")) {
            return Err(located(&e, &p.path));
        }
    }
    Ok((engine, rules))
}

/// The messages of set rule `rule` for the engine's current input.
fn eval_messages(
    engine: &mut regorus::Engine,
    rule: &str,
    path: &str,
) -> std::result::Result<Vec<String>, (u32, String)> {
    let v = engine
        .eval_rule(format!("data.{PACKAGE}.{rule}"))
        .map_err(|e| located(&e, path))?;
    if v == regorus::Value::Undefined {
        return Ok(Vec::new());
    }
    let bad = |m: String| Err((0, m));
    let json: serde_json::Value = match v.to_json_str().map(|t| serde_json::from_str(&t)) {
        Ok(Ok(j)) => j,
        _ => return bad(format!("'{rule}' is not a set of messages")),
    };
    let items = match json {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Bool(false) | serde_json::Value::Null => Vec::new(),
        other => {
            return bad(format!(
                "'{rule}' must be a set of messages, not {}",
                type_name(&other)
            ))
        }
    };
    let mut out = Vec::new();
    for item in items.into_iter().take(MAX_MSGS_PER_INPUT) {
        let text = match item {
            serde_json::Value::String(s) => s,
            serde_json::Value::Object(ref o) => match o.get("msg") {
                Some(serde_json::Value::String(s)) => s.clone(),
                _ => return bad(format!("a '{rule}' object has no string 'msg'")),
            },
            other => other.to_string(),
        };
        out.push(text.chars().take(MAX_MSG_CHARS).collect());
    }
    Ok(out)
}

fn type_name(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The names of the rules the gate reads: `deny`, `warn`, `deny_<name>`,
/// `warn_<name>` (conftest's prefixes), each once, in file order.
pub fn rule_names(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let ok = ["deny", "warn"]
            .iter()
            .any(|p| name == *p || (name.starts_with(p) && name[p.len()..].starts_with('_')));
        if ok && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

fn package_line(text: &str) -> u32 {
    text.lines()
        .position(|l| l.trim_start().starts_with("package "))
        .map_or(1, |i| i as u32 + 1)
}

/// The line an engine error points at in `path` (0 when it names none), and
/// the error text, on one line.
fn located(e: &dyn std::fmt::Display, path: &str) -> (u32, String) {
    let text = format!("{e:#}");
    let mut line = 0;
    let pat = format!("{path}:");
    if let Some(i) = text.find(&pat) {
        let digits: String = text[i + pat.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        line = digits.parse().unwrap_or(0);
    }
    let summary = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("error:"))
        .map(|l| l.trim_start_matches("error:").trim().to_string())
        .unwrap_or_else(|| text.lines().next().unwrap_or("").trim().to_string());
    (line, summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(text: &str, inputs: Vec<serde_json::Value>) -> Vec<Event> {
        let p = PolicyFile {
            path: "p/policy.rego".into(),
            text: text.into(),
        };
        let mut events = Vec::new();
        let mut emit = |e: &Event| {
            events.push(serde_json::from_str(&serde_json::to_string(e).unwrap()).unwrap());
            true
        };
        evaluate(&[p], &inputs, Duration::from_secs(5), &mut emit).expect("output open");
        events
    }

    #[test]
    fn deny_and_warn_messages_per_input() {
        let text = "package manifest_gate\n\ndeny contains msg if {\n  input.change.kind == \"ClusterRoleBinding\"\n  msg := sprintf(\"no %s\", [input.change.name])\n}\n\nwarn contains {\"msg\": \"look\"} if input.environment == \"prod\"\n";
        let ev = run(
            text,
            vec![
                json!({"environment": "prod", "change": {"kind": "ClusterRoleBinding", "name": "x"}}),
                json!({"environment": "dev", "change": {"kind": "Deployment", "name": "y"}}),
            ],
        );
        assert_eq!(
            ev,
            vec![
                Event::Policy(0),
                Event::Found {
                    policy: 0,
                    input: 0,
                    rule: "deny".into(),
                    msg: "no x".into()
                },
                Event::Found {
                    policy: 0,
                    input: 0,
                    rule: "warn".into(),
                    msg: "look".into()
                },
                Event::Done
            ]
        );
    }

    #[test]
    fn parse_errors_name_the_line() {
        let ev = run(
            "package manifest_gate\n\ndeny contains msg if {\n  msg := \n",
            vec![],
        );
        match &ev[1] {
            Event::Error { line, .. } => assert!(*line >= 4, "{ev:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn network_and_runtime_builtins_are_absent() {
        for call in [
            "http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1/\"})",
            "opa.runtime()",
        ] {
            let text = format!("package manifest_gate\n\ndeny contains msg if {{\n  r := {call}\n  msg := sprintf(\"%v\", [r])\n}}\n");
            let ev = run(&text, vec![json!({})]);
            assert!(
                matches!(&ev[1], Event::Error { message, .. } if message.contains("http.send") || message.contains("opa.runtime") || message.contains("unknown") || message.contains("undefined")),
                "{call}: {ev:?}"
            );
        }
    }

    #[test]
    fn another_package_is_refused() {
        let ev = run("package other\n\ndeny contains \"x\" if true\n", vec![]);
        assert!(
            matches!(&ev[1], Event::Error { line: 1, message, .. } if message.contains("package manifest_gate")),
            "{ev:?}"
        );
    }

    #[test]
    fn rule_names_follow_conftest_prefixes() {
        assert_eq!(
            rule_names("deny contains x if true\ndeny_admins[x] { true }\n  deny_indented := 1\ndenyall := 1\nwarn contains y if true\ndeny contains z if true\n"),
            vec!["deny", "deny_admins", "warn"]
        );
    }
}
