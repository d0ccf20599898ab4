#!/usr/bin/env bash
# Benchmark: `manifest-gate diff --base A --head B` against rendering every
# entry-point overlay at both revisions with `kubectl kustomize` (one process per
# overlay and revision, sequential; each revision checked out into a temporary
# worktree), in the same run on the same machine. Prints both times, the ratios and
# manifest-gate's peak RSS, for the default (incremental: head renders only the
# overlays whose inputs changed) and for `--full` (every overlay at both sides).
#
# usage: benches/diff.sh REPO [BASE [HEAD]]        (default BASE=HEAD~1 HEAD=HEAD)
# env:   MANIFEST_GATE  binary (default $CARGO_TARGET_DIR/release/manifest-gate, else target/release/...)
#        KUBECTL        kubectl binary (default kubectl)
#        RENDERER       --renderer for manifest-gate (default native)
#        RUNS           manifest-gate runs per mode, the median is reported (default 3)
#        ONE_LINE=1     work on a temporary clone of REPO and commit a one-line change on
#                       top of BASE (default HEAD): the tag of the first `image: name:tag`
#                       line in a YAML file gets `-bench` appended; then BASE..that commit.
#        PRUNE=1        (with ONE_LINE) first commit the removal of entry-point overlays
#                       that `kubectl kustomize` or manifest-gate cannot render at BASE
#                       (remote bases offline, upstream breakage): `diff` stops at the
#                       first overlay that fails to render, so such repos need it.
#
# A platform-shaped repository with 240 overlays: benches/gen-platform.py /tmp/platform
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MANIFEST_GATE:-${CARGO_TARGET_DIR:-$here/target}/release/manifest-gate}
kubectl=${KUBECTL:-kubectl}
renderer=${RENDERER:-native}
runs=${RUNS:-3}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release (or set MANIFEST_GATE)" >&2; exit 2; }
command -v "$kubectl" >/dev/null || { echo "kubectl not found: nothing to compare against" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: $0 REPO [BASE [HEAD]]" >&2; exit 2; }
repo=$(cd "$1" && pwd)
base=${2:-HEAD~1}
head=${3:-HEAD}

work=$(mktemp -d)
cleanup() {
  for d in "$work"/side-*; do [ -d "$d" ] && git -C "$repo" worktree remove --force "$d" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
calc() { python3 -c "import sys; print(eval(sys.argv[1]))" "$1"; }

# Entry-point overlays of a checked-out tree, as `manifest-gate diff` discovers them:
# a kustomization that is not a Component and that no other kustomization lists
# under resources, bases or components (hidden directories and node_modules skipped).
entry_points() {
  python3 - "$1" <<'PY'
import os, sys, yaml
root = sys.argv[1]
names = ("kustomization.yaml", "kustomization.yml", "Kustomization")
found, refs = {}, set()
for d, subs, files in os.walk(root):
    subs[:] = [s for s in subs if not s.startswith(".") and s != "node_modules"]
    rel = os.path.relpath(d, root)
    rel = "" if rel == "." else rel
    for n in names:
        if n in files:
            try:
                doc = yaml.safe_load(open(os.path.join(d, n), encoding="utf-8", errors="replace"))
            except Exception:
                doc = None
            doc = doc if isinstance(doc, dict) else {}
            found[rel] = doc.get("kind") == "Component"
            for sec in ("resources", "bases", "components"):
                for item in doc.get(sec) or []:
                    if not isinstance(item, str) or "://" in item or item.startswith(("git@", "github.com/")):
                        continue
                    p = os.path.normpath(os.path.join(rel, item))
                    refs.add("" if p == "." else p)
            break
for d in sorted(found):
    if not found[d] and d not in refs:
        print(d if d else ".")
PY
}

one_line_change() { # in $1: append -bench to the first image tag found; print what changed
  python3 - "$1" <<'PY'
import os, re, sys
root = sys.argv[1]
pat = re.compile(r'^(\s*(?:-\s*)?image:\s*["\']?[^\s"\'@]+:)([^\s"\'@]+)(["\']?\s*)$')
for d, subs, files in sorted(os.walk(root)):
    subs[:] = sorted(s for s in subs if not s.startswith("."))
    for f in sorted(files):
        if not f.endswith((".yaml", ".yml")):
            continue
        p = os.path.join(d, f)
        lines = open(p, encoding="utf-8", errors="replace").read().split("\n")
        for i, l in enumerate(lines):
            m = pat.match(l)
            if m:
                lines[i] = m.group(1) + m.group(2) + "-bench" + m.group(3)
                open(p, "w", encoding="utf-8").write("\n".join(lines))
                print(f"{os.path.relpath(p, root)}:{i + 1}: {l.strip()} -> {lines[i].strip()}")
                sys.exit(0)
sys.exit("no 'image: name:tag' line found")
PY
}

if [ -n "${ONE_LINE:-}${PRUNE:-}" ]; then
  clone="$work/clone"
  git clone -q "$repo" "$clone"
  git -C "$clone" checkout -q --detach "$(git -C "$repo" rev-parse "${2:-HEAD}^{commit}")"
  git -C "$clone" config user.email bench@example.com; git -C "$clone" config user.name bench
  repo=$clone
  if [ -n "${PRUNE:-}" ]; then
    # Removing an overlay can expose what it referenced as new entry points: repeat
    # until every entry point renders.
    pruned=0; declare -A checked=(); again=1
    while [ $again = 1 ]; do
      again=0
      while read -r d; do
        [ -n "${checked[$d]:-}" ] && continue
        checked[$d]=1
        if ! "$kubectl" kustomize "$repo/$d" >/dev/null 2>&1 \
          || ! "$bin" render "$repo/$d" --repo "$repo" --renderer "$renderer" >/dev/null 2>&1; then
          for n in kustomization.yaml kustomization.yml Kustomization; do
            if [ -f "$repo/$d/$n" ]; then git -C "$repo" rm -q "$d/$n"; fi
          done
          pruned=$((pruned + 1)); again=1
        fi
      done < <(entry_points "$repo")
    done
    git -C "$repo" commit -q --allow-empty -m "bench: drop overlays that do not render offline"
    echo "pruned $pruned entry-point overlays that do not render offline"
  fi
  base=$(git -C "$repo" rev-parse HEAD)
  echo "one-line change: $(one_line_change "$repo")"
  git -C "$repo" commit -q -am "bench: one-line change"
  head=$(git -C "$repo" rev-parse HEAD)
fi

base_id=$(git -C "$repo" rev-parse "$base^{commit}"); head_id=$(git -C "$repo" rev-parse "$head^{commit}")
changed=$(git -C "$repo" diff --name-only "$base_id" "$head_id" | wc -l)

mg() { # mode args...: median wall time of RUNS runs, peak RSS
  local times=() peak=0 kb t0 t1
  for ((i = 0; i < runs; i++)); do
    t0=$(now)
    /usr/bin/time -v -o "$work/time.txt" "$bin" diff --repo "$repo" --base "$base_id" --head "$head_id" \
      --renderer "$renderer" "$@" >"$work/mg.out" 2>"$work/mg.err" || { echo "manifest-gate diff failed:" >&2; cat "$work/mg.err" >&2; exit 1; }
    t1=$(now)
    times+=("$(calc "$t1 - $t0")")
    kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  echo "$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') $((peak / 1024))"
}
"$bin" diff --repo "$repo" --base "$base_id" --head "$head_id" --renderer "$renderer" >/dev/null 2>&1 || true # warm caches
read -r m_inc peak_inc < <(mg)
summary=$(head -2 "$work/mg.out" | tail -1)
read -r m_full peak_full < <(mg --full)

k_total=0; n_total=0; ok_total=0
for side in base head; do
  rev=$([ $side = base ] && echo "$base_id" || echo "$head_id")
  dir="$work/side-$side"
  git -C "$repo" worktree add -q --detach "$dir" "$rev"
  mapfile -t eps < <(entry_points "$dir")
  ok=0
  t0=$(now)
  for d in "${eps[@]}"; do "$kubectl" kustomize "$dir/$d" >/dev/null 2>&1 && ok=$((ok + 1)); done
  t1=$(now)
  k=$(calc "$t1 - $t0")
  printf 'kubectl kustomize at %-4s %s: %4d overlays (%d rendered) in %8.3fs\n' "$side" "${rev:0:12}" "${#eps[@]}" "$ok" "$k"
  k_total=$(calc "$k_total + $k"); n_total=$((n_total + ${#eps[@]})); ok_total=$((ok_total + ok))
done

echo "repository: $repo  base ${base_id:0:12}  head ${head_id:0:12}  ($changed changed paths)"
echo "manifest-gate: $summary"
printf '%-44s %10s %9s %8s\n' "" seconds ratio peak_MB
printf '%-44s %10.3f %9s %8s\n' "kubectl kustomize, $n_total overlay renders" "$k_total" "" ""
printf '%-44s %10.3f %8.1fx %8d\n' "manifest-gate diff (incremental)" "$m_inc" "$(calc "$k_total / $m_inc")" "$peak_inc"
printf '%-44s %10.3f %8.1fx %8d\n' "manifest-gate diff --full" "$m_full" "$(calc "$k_total / $m_full")" "$peak_full"
echo "(manifest-gate: median of $runs runs, --renderer $renderer; kubectl: one process per overlay and revision, sequential)"
