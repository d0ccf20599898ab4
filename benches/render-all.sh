#!/usr/bin/env bash
# Benchmark: render every kustomization of one or more repositories with
# `manifest-gate render --all` (one process per repository, parallel inside) and
# with `kubectl kustomize` (one process per kustomization, sequential), in the same
# run on the same machine. Prints, per repository and in total: the number of
# kustomizations, both wall times, the ratio, manifest-gate's peak RSS (from
# /usr/bin/time -v), how many each side rendered, and how many outputs are
# byte-identical (a cheap correctness check on top of the timing).
#
# usage: benches/render-all.sh REPO_DIR [REPO_DIR...]
# env:   MANIFEST_GATE  binary (default $CARGO_TARGET_DIR/release/manifest-gate,
#                       else target/release/manifest-gate)
#        KUBECTL        kubectl binary (default kubectl)
#        RENDERER       --renderer for manifest-gate (default native: never runs kubectl)
#        RUNS           manifest-gate runs per repository, the median is reported (default 3)
#        KEEP           directory to keep both sides' outputs in (default: a temp dir, removed)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MANIFEST_GATE:-${CARGO_TARGET_DIR:-$here/target}/release/manifest-gate}
kubectl=${KUBECTL:-kubectl}
renderer=${RENDERER:-native}
runs=${RUNS:-3}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release (or set MANIFEST_GATE)" >&2; exit 2; }
command -v "$kubectl" >/dev/null || { echo "kubectl not found: nothing to compare against" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 2; }
[ $# -ge 1 ] || { echo "usage: $0 REPO_DIR [REPO_DIR...]" >&2; exit 2; }

work=${KEEP:-$(mktemp -d)}
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"

now() { date +%s.%N; }
calc() { python3 -c "import sys; print(eval(sys.argv[1]))" "$1"; }

# Kustomization directories as `kubectl kustomize` sees them: a kustomization file
# (kustomization.yaml, .yml or Kustomization) whose kind is not Component; .git skipped.
list_dirs() {
  python3 - "$1" <<'PY'
import os, re, sys
root = sys.argv[1]
names = ("kustomization.yaml", "kustomization.yml", "Kustomization")
comp = re.compile(r'''^kind:\s*["']?Component["']?\s*(#.*)?$''', re.M)
out = []
for d, subs, files in os.walk(root):
    subs[:] = sorted(s for s in subs if s != ".git")
    for n in names:
        if n in files:
            try:
                text = open(os.path.join(d, n), encoding="utf-8", errors="replace").read()
            except OSError:
                text = ""
            if not comp.search(text):
                out.append(os.path.relpath(d, root))
            break
for d in sorted(out):
    print(d)
PY
}

printf '%-40s %5s %10s %10s %8s %8s %9s %9s %9s\n' repository kusts mg_s kubectl_s ratio peak_MB mg_ok kubectl_ok identical
tn=0; tm=0; tk=0; tpeak=0; tmok=0; tkok=0; tsame=0
for repo in "$@"; do
  repo=$(cd "$repo" && pwd)
  name=$(basename "$repo")
  mapfile -t dirs < <(list_dirs "$repo")
  n=${#dirs[@]}
  mg_out="$work/$name/mg"; k_out="$work/$name/kubectl"
  # Warm the page cache (both sides then read from memory).
  "$bin" render --all "$repo" --repo "$repo" --out "$work/warm" --renderer "$renderer" >/dev/null 2>&1 || true
  rm -rf "$work/warm"
  times=(); peak=0
  for ((i = 0; i < runs; i++)); do
    rm -rf "$mg_out"
    t0=$(now)
    /usr/bin/time -v -o "$work/time.txt" "$bin" render --all "$repo" --repo "$repo" \
      --out "$mg_out" --renderer "$renderer" >/dev/null 2>"$work/$name.mg.err" || true
    t1=$(now)
    times+=("$(calc "$t1 - $t0")")
    kb=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$work/time.txt")
    [ "$kb" -gt "$peak" ] && peak=$kb
  done
  m=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  mok=$(find "$mg_out" -name '*.yaml' 2>/dev/null | wc -l)
  mkdir -p "$k_out"
  kok=0; same=0
  t0=$(now)
  for d in "${dirs[@]}"; do
    f="$k_out/$(echo "$d" | tr / _).yaml"
    if "$kubectl" kustomize "$repo/$d" >"$f" 2>/dev/null; then kok=$((kok + 1)); else rm -f "$f"; fi
  done
  t1=$(now)
  k=$(calc "$t1 - $t0")
  for d in "${dirs[@]}"; do
    f="$k_out/$(echo "$d" | tr / _).yaml"
    g="$mg_out/$([ "$d" = . ] && echo _root || echo "$d").yaml"
    [ -f "$f" ] && [ -f "$g" ] && cmp -s "$f" "$g" && same=$((same + 1))
  done
  printf '%-40s %5d %10.3f %10.3f %7.1fx %8d %9d %9d %9d\n' "$name" "$n" "$m" "$k" "$(calc "$k / $m")" \
    "$((peak / 1024))" "$mok" "$kok" "$same"
  if grep -q . "$work/$name.mg.err"; then
    echo "  ($(grep -c '^error' "$work/$name.mg.err" || true) manifest-gate errors; first: $(grep -m1 '^error' "$work/$name.mg.err" | cut -c1-160))"
  fi
  tn=$((tn + n)); tm=$(calc "$tm + $m"); tk=$(calc "$tk + $k")
  [ "$peak" -gt "$tpeak" ] && tpeak=$peak
  tmok=$((tmok + mok)); tkok=$((tkok + kok)); tsame=$((tsame + same))
done
printf '%-40s %5d %10.3f %10.3f %7.1fx %8d %9d %9d %9d\n' TOTAL "$tn" "$tm" "$tk" "$(calc "$tk / $tm")" \
  "$((tpeak / 1024))" "$tmok" "$tkok" "$tsame"
echo "(mg_s: median of $runs runs of '$(basename "$bin") render --all --renderer $renderer'; kubectl_s: one" \
  "'kubectl kustomize' per kustomization, sequential; peak_MB: max RSS of manifest-gate; identical: byte-equal outputs)"
