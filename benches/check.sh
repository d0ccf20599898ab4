#!/usr/bin/env bash
# Benchmark: `manifest-gate check` for each typical change of the generated monorepo
# (benches/gen-monorepo.py: tags overlay, base, generator, component, each on top of
# the previous commit) against `kubectl kustomize` of every overlay the change reaches,
# at both revisions, in the same run on the same machine. Prints manifest-gate's median
# wall time and peak RSS (`/usr/bin/time -v`), the kubectl time, and the ratio.
#
# usage: benches/check.sh REPO [TAG...]            (default tags: overlay base generator component)
# env:   MANIFEST_GATE  binary (default $CARGO_TARGET_DIR/release/manifest-gate, else target/release/...)
#        KUBECTL        kubectl binary (default kubectl)
#        RENDERER       --renderer for manifest-gate (default native)
#        RUNS           manifest-gate runs per change, the median is reported (default 3)
#        SAMPLE         kubectl renders at most SAMPLE reached overlays per side and
#                       scales the time to all of them (default 40; 0 = render them all)
#        ARGS           extra arguments to `check` (e.g. "--shard 1/3")
#
# Reached overlays: an entry point (a kustomization no other one references, not
# reached through a directory symlink) whose
# static closure (the directories its `resources`/`components`/`patches`/generator
# paths name, recursively, symlinks resolved) holds a changed file.
#   benches/gen-monorepo.py /tmp/mono && benches/check.sh /tmp/mono
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MANIFEST_GATE:-${CARGO_TARGET_DIR:-$here/target}/release/manifest-gate}
kubectl=${KUBECTL:-kubectl}
renderer=${RENDERER:-native}
runs=${RUNS:-3}
sample=${SAMPLE:-40}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release (or set MANIFEST_GATE)" >&2; exit 2; }
command -v "$kubectl" >/dev/null || { echo "kubectl not found: nothing to compare against" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: $0 REPO [TAG...]" >&2; exit 2; }
repo=$(cd "$1" && pwd); shift
tags=("$@"); [ ${#tags[@]} -gt 0 ] || tags=(overlay base generator component)

work=$(mktemp -d)
cleanup() {
  for d in "$work"/side-*; do [ -d "$d" ] && git -C "$repo" worktree remove --force "$d" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
calc() { python3 -c "import sys; print(eval(sys.argv[1]))" "$1"; }

# Entry points of a checked-out tree whose static closure holds one of the changed files.
reached() { # dir changed-files-file
  python3 - "$1" "$2" <<'PY'
import os, sys, yaml
root, changed = os.path.realpath(sys.argv[1]), [l.strip() for l in open(sys.argv[2]) if l.strip()]
names = ("kustomization.yaml", "kustomization.yml", "Kustomization")
def kfile(d):
    for n in names:
        if os.path.isfile(os.path.join(d, n)):
            return os.path.join(d, n)
docs, refs = {}, set()
for d, subs, files in os.walk(root, followlinks=True):
    subs[:] = [s for s in subs if not s.startswith(".")]
    f = kfile(d)
    if f:
        try: doc = yaml.safe_load(open(f)) or {}
        except Exception: doc = {}
        docs[d] = doc if isinstance(doc, dict) else {}
        for sec in ("resources", "bases", "components"):
            for item in docs[d].get(sec) or []:
                if isinstance(item, str) and "://" not in item:
                    refs.add(os.path.realpath(os.path.join(d, item)))
def closure(d, seen):
    d = os.path.realpath(d)
    if d in seen: return
    seen.add(d)
    doc = docs.get(d) or {}
    for sec in ("resources", "bases", "components"):
        for item in doc.get(sec) or []:
            if isinstance(item, str) and "://" not in item:
                p = os.path.realpath(os.path.join(d, item))
                if os.path.isdir(p): closure(p, seen)
                else: seen.add(p)
ch = [os.path.realpath(os.path.join(root, c)) for c in changed]
for d in sorted(docs):
    if os.path.realpath(d) in refs or (docs[d].get("kind") == "Component"): continue
    # An overlay reached through a directory symlink is the overlay it links to
    # (manifest-gate renders it once): not a second kubectl render.
    if os.path.islink(d): continue
    dirs = set(); closure(d, dirs)
    if any(c in dirs or any(c.startswith(x + os.sep) for x in dirs) for c in ch):
        print(os.path.relpath(d, root))
PY
}

mg() { # base head: median wall time of RUNS runs, peak RSS MB, exit code
  local times=() peak=0 kb t0 t1 rc
  for ((i = 0; i < runs; i++)); do
    t0=$(now)
    rc=0
    # shellcheck disable=SC2086
    /usr/bin/time -v -o "$work/time.txt" "$bin" check --repo "$repo" --base "$1" --head "$2" --base-exact \
      --renderer "$renderer" ${ARGS:-} >"$work/mg.out" 2>"$work/mg.err" || rc=$?
    t1=$(now)
    [ "$rc" -le 1 ] || { echo "manifest-gate check could not decide:" >&2; cat "$work/mg.out" "$work/mg.err" >&2; exit 1; }
    times+=("$(calc "$t1 - $t0")")
    kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  echo "$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') $((peak / 1024)) $rc"
}

printf '%-10s %8s %10s %8s %12s %8s %5s  %s\n' change reached mg_s peak_MB kubectl_s ratio exit summary
for tag in "${tags[@]}"; do
  base=$(git -C "$repo" rev-parse "$tag~1^{commit}"); head=$(git -C "$repo" rev-parse "$tag^{commit}")
  git -C "$repo" diff --name-only "$base" "$head" >"$work/changed"
  "$bin" check --repo "$repo" --base "$base" --head "$head" --base-exact --renderer "$renderer" >/dev/null 2>&1 || true # warm
  read -r m peak rc < <(mg "$base" "$head")
  summary=$(grep -m1 '^overlays:' "$work/mg.out" || true)
  k=0; n=0
  for side in base head; do
    rev=$([ $side = base ] && echo "$base" || echo "$head")
    dir="$work/side-$side-$tag"
    git -C "$repo" worktree add -q --detach "$dir" "$rev"
    mapfile -t eps < <(reached "$dir" "$work/changed")
    n=${#eps[@]}
    todo=("${eps[@]}"); [ "$sample" -gt 0 ] && [ "$n" -gt "$sample" ] && todo=("${eps[@]:0:$sample}")
    t0=$(now)
    for d in "${todo[@]}"; do "$kubectl" kustomize "$dir/$d" >/dev/null; done
    t1=$(now)
    k=$(calc "$k + ($t1 - $t0) * $n / max(1, ${#todo[@]})")
    git -C "$repo" worktree remove --force "$dir"
  done
  printf '%-10s %8d %10.3f %8d %12.3f %7.1fx %5d  %s\n' "$tag" "$n" "$m" "$peak" "$k" "$(calc "$k / $m")" "$rc" "$summary"
done
echo "(manifest-gate: median of $runs runs, --renderer $renderer ${ARGS:-}; kubectl: one process per reached overlay and revision, sequential, sample $sample scaled)"
