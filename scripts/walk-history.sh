#!/bin/bash
# Walk the last N first-parent commits of a repository and run `check` on each
# (commit^ .. commit), printing one tab-separated line per commit:
#   short-sha  exit-code  unrenderable-overlays-not-reached  first-error-line
# A commit was decided before per-overlay outcomes iff it exits 0/1 here and has
# no unrenderable overlay at all (one failing render used to abort the run).
#
# usage: scripts/walk-history.sh REPO N [manifest-gate binary]
set -u
repo=$1; n=$2; bin=${3:-manifest-gate}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$repo"
for c in $(git rev-list --first-parent -n "$n" HEAD); do
  p=$(git rev-parse -q --verify "$c^" 2>/dev/null) || continue
  timeout 300 "$bin" check --base "$p" --head "$c" --format json >"$tmp/out" 2>"$tmp/err"
  rc=$?
  unr=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1]))["diff"]["summary"]["unrenderable_unreached"])
except Exception: print("-")' "$tmp/out")
  err=$(grep '^error' "$tmp/err" | head -1 | cut -c1-220)
  printf '%s\t%s\t%s\t%s\n' "${c:0:10}" "$rc" "$unr" "$err"
done
