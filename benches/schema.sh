#!/usr/bin/env bash
# Benchmark: schema validation of every resource of a repository against rendering it.
#
# In a temporary clone, commits an empty tree as the base, so that `check --base
# EMPTY --head REV` sees every resource of every overlay as added and
# `schema-validation` validates all of them. Times (median of RUNS):
#   render   `render --all` of REV (every kustomization rendered, nothing judged)
#   off      `check` with schema-validation and deprecated-api off
#   on       `check` with both on (the default)
# (CPU seconds, user + system) validation = on - off, and prints validation / render and validation / off.
#
# usage: benches/schema.sh REPO [REV]   (REV default HEAD)
#        benches/gen-platform.py /tmp/platform && benches/schema.sh /tmp/platform HEAD~2
# env:   MANIFEST_GATE binary (default $CARGO_TARGET_DIR/release/manifest-gate), RUNS (3)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MANIFEST_GATE:-${CARGO_TARGET_DIR:-$here/target}/release/manifest-gate}
runs=${RUNS:-3}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release (or set MANIFEST_GATE)" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: $0 REPO [REV]" >&2; exit 2; }
rev=${2:-HEAD}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$1" "$work/repo"
cd "$work/repo"
head=$(git rev-parse "$rev")
empty=$(git -c user.name=bench -c user.email=bench@example.com commit-tree \
  "$(git hash-object -t tree /dev/null)" -m "empty base")
printf 'rules:\n  schema-validation: off\n  deprecated-api: off\n' > "$work/off.yaml"
printf 'rules: {}\n' > "$work/on.yaml"

median() { python3 -c "import sys; v=sorted(map(float, sys.argv[1:])); print(v[len(v)//2])" "$@"; }
# CPU seconds (user + system) of one run: the machine is shared, wall time is noisy.
timed() {
  /usr/bin/time -f "%U %S" -o "$work/time" "$@" > "$work/out" 2> "$work/err" \
    || [ $? -le 1 ] || { cat "$work/err" >&2; exit 2; }
  python3 -c "import sys; u, s = map(float, open(sys.argv[1]).read().split()[-2:]); print(u + s)" "$work/time"
}
run() {
  local ts=()
  for _ in $(seq "$runs"); do ts+=("$(timed "$@")"); done
  median "${ts[@]}"
}
git worktree add -q "$work/tree" "$head"
"$bin" render --all "$work/tree" --repo "$work/tree" --out "$work/rendered" >/dev/null 2>&1 || true
render=$(run "$bin" render --all "$work/tree" --repo "$work/tree" --out "$work/rendered")
overlays=$(find "$work/rendered" -type f | wc -l)
off=$(run "$bin" check --base-exact --base "$empty" --head "$head" --config "$work/off.yaml" --format json)
on=$(run "$bin" check --base-exact --base "$empty" --head "$head" --config "$work/on.yaml" --format json)
resources=$(find "$work/rendered" -type f -exec cat {} + | grep -c '^kind:' || true)
findings=$(python3 -c "import json,sys; v=json.load(open(sys.argv[1])); print(sum(1 for d in v['violations'] if d['rule']=='schema-validation'))" "$work/out")
python3 - "$render" "$off" "$on" "$overlays" "$resources" "$findings" <<'PY'
import sys
render, off, on = map(float, sys.argv[1:4])
val = max(on - off, 0.0)
print(f"rendered outputs: {sys.argv[4]}, resources: {sys.argv[5]}, schema-validation findings: {sys.argv[6]}")
print(f"CPU seconds (user + system), median of the runs")
print(f"render --all:              {render:.3f} s")
print(f"check, validation off:     {off:.3f} s")
print(f"check, validation on:      {on:.3f} s")
print(f"schema validation (on-off): {val:.3f} s = {val/render:.2f}x render --all, {val/off:.2f}x check")
PY
