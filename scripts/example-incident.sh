#!/usr/bin/env bash
# Replays the DNS incident on the bundled example platform repository:
# one commit changes a single line of the DNS agent settings shared by the
# preprod and prod clusters. The source diff is one line; the rendered diff
# reaches two environments at once and skips the preprod soak, so the gate
# fails with single-environment and promotion-order.
#
# Usage: scripts/example-incident.sh [extra manifest-gate check args, e.g. --format json]
# Binary: $MANIFEST_GATE, else target/release/manifest-gate (cargo build --release).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${MANIFEST_GATE:-$root/target/release/manifest-gate}"
if [ ! -x "$bin" ]; then
  echo "manifest-gate binary not found at $bin: run 'cargo build --release' or set MANIFEST_GATE" >&2
  exit 2
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

work="$(mktemp -d "${TMPDIR:-/tmp}/manifest-gate-example.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp -R "$root/fixtures/example-platform/." "$work/"
cd "$work"

export GIT_AUTHOR_NAME="Platform Team" GIT_AUTHOR_EMAIL="platform@example.com"
export GIT_COMMITTER_NAME="Platform Team" GIT_COMMITTER_EMAIL="platform@example.com"
export GIT_AUTHOR_DATE="2024-03-01T10:00:00Z" GIT_COMMITTER_DATE="2024-03-01T10:00:00Z"
git init -q
git add -A
git commit -q -m "checkout: blue/green clusters, sandbox to prod"

# The incident: one line, in a component that preprod AND prod both include.
settings=services/checkout/components/agent-prod-tuning/agent-settings.yaml
sed 's/value: cluster$/value: 10.0.0.2/' "$settings" >"$settings.new" && mv "$settings.new" "$settings"
git commit -q -am "dns-agent: resolve through the new upstream 10.0.0.2"

echo "\$ git show --stat HEAD"
git --no-pager show --stat --format='%s' HEAD
echo
echo "\$ manifest-gate check --base HEAD~1 --head HEAD $*"
set +e
"$bin" check --base HEAD~1 --head HEAD "$@"
status=$?
set -e
echo
echo "(exit code $status: 0 pass, 1 a rule failed, 2 could not decide)"
exit "$status"
