//! `rego-policy`: the team's own Rego policies (`policies:` in the
//! configuration) over every changed resource; see [`crate::policy::rego`].

use super::Rule;
use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::error::Result;
use crate::policy::RuleContext;

/// The rule.
pub static RULE: Rule = Rule {
    id: "rego-policy",
    default_severity: Severity::Error,
    summary: "The team's Rego policies (`policies:`, read from base) allow every changed resource.",
    docs: DOCS,
    check,
};

const DOCS: &str = r#"
**What it checks.** Every Rego file matched by the `policies:` globs of the
configuration, read from the *base* revision, is evaluated once per changed
resource (added, removed or modified in the rendered output). Following
conftest's conventions, a policy declares `package manifest_gate` and rules
`deny` (or `deny_<name>`) and `warn` (or `warn_<name>`): sets of messages, each a
string or an object with a `msg`. `input` holds `environment`, `overlay`,
`change` (the resource's entry of the diff JSON: `action`, `group`, `version`,
`kind`, `namespace`, `name`, `fields[]` with `path`, `old`, `new`), and `head` and
`base` (the whole rendered resource at each side, Secret values masked; `null`
where it does not exist). Each `deny` message is an error at the change's source
line, each `warn` message a warning; the title names the policy file and rule.
A policy that fails to parse or evaluate, or spends its time or memory budget,
makes the run "could not decide" (exit 2) naming the file. See `docs/rego.md`.

**Why.** Teams have rules no built-in rule knows, and they are about the change,
not the state: "no new ClusterRoleBindings in sandbox", "no replica decrease in
prod". Policies are read from base, so a pull request cannot edit the policies
it is judged by.

**How to satisfy it.** Change the resource so the policy's rule no longer
fires, or change the policy in a pull request of its own first. A change that
edits, adds or deletes a file the globs match gets a warning: the edit applies
from the next pull request on.

**Example.** With `policies: ["gate-policy/*.rego"]` and
`gate-policy/rbac.rego`:

```rego
package manifest_gate

deny contains msg if {
  input.environment == "sandbox"
  input.change.action == "added"
  input.change.kind == "ClusterRoleBinding"
  msg := sprintf("no new ClusterRoleBindings in sandbox (%s)", [input.change.name])
}
```

a change adding a ClusterRoleBinding to `overlays/sandbox` fails with
`deny (gate-policy/rbac.rego): no new ClusterRoleBindings in sandbox (ops)`
at the binding's file and line; the same binding in `dev` passes.
"#;

fn check(cx: &RuleContext) -> Result<Vec<Diagnostic>> {
    let found = crate::policy::rego::findings(cx)?;
    let edits = crate::policy::rego::edited(cx)
        .into_iter()
        .map(|(path, side)| {
            Diagnostic::new(
                RULE.id,
                format!(
                    "this change edits the policy {path}; the gate judged it with the base version"
                ),
                Span::line(&path, 1, side),
            )
            .with_severity(Severity::Warning)
            .with_label("edited here")
            .with_help(
                "a change cannot loosen its own gate: merge the policy change on its own first",
            )
        });
    Ok(found
        .into_iter()
        .map(|f| {
            Diagnostic::new(
                RULE.id,
                format!("{} ({}): {}", f.rule, f.policy, f.message),
                f.span,
            )
            .with_severity(f.severity)
            .with_label(format!("{} in {}", f.resource, f.overlay))
            .with_note(format!("policy {}, rule {}", f.policy, f.rule))
            .with_help(
                "the policy is read from base: change the resource, or change the policy in a pull request of its own first",
            )
        })
        .chain(edits)
        .collect())
}
