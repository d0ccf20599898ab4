#!/usr/bin/env bash
# Benchmark: render every kustomization of a repository with `manifest-gate render --all`
# (one process, parallel) and with `kubectl kustomize` (one process per kustomization),
# in the same run on the same machine; print both times, the ratio and peak memory.
#
# usage: benches/render-all.sh REPO_DIR [REPO_DIR...]
# env:   MANIFEST_GATE (default target/release/manifest-gate), KUBECTL (default kubectl)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MANIFEST_GATE:-$here/target/release/manifest-gate}
kubectl=${KUBECTL:-kubectl}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v "$kubectl" >/dev/null || { echo "kubectl not found: nothing to compare against" >&2; exit 2; }

now() { date +%s.%N; }
peak_kb() { # run a command, print its peak RSS in kB (from /proc via python)
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

total_n=0; total_k=0; total_m=0
for repo in "$@"; do
  repo=$(cd "$repo" && pwd)
  mapfile -t dirs < <(find "$repo" -path '*/.git' -prune -o \( -name kustomization.yaml -o -name kustomization.yml -o -name Kustomization \) -print \
      | xargs -r grep -L -E '^kind:[[:space:]]*Component' | xargs -r -n1 dirname | sort -u)
  out=$(mktemp -d)
  t0=$(now)
  "$bin" render --all "$repo" --repo "$repo" --out "$out" --renderer native 2>/dev/null || true
  t1=$(now)
  for d in "${dirs[@]}"; do "$kubectl" kustomize "$d" >/dev/null 2>&1 || true; done
  t2=$(now)
  mem=$(peak_kb "$bin" render --all "$repo" --repo "$repo" --out "$out" --renderer native)
  rm -rf "$out"
  m=$(echo "$t1 - $t0" | bc -l); k=$(echo "$t2 - $t1" | bc -l)
  printf '%-50s %4d kustomizations  manifest-gate %7.3fs  kubectl %8.3fs  ratio %6.1fx  peak %d MB\n' \
    "$(basename "$repo")" "${#dirs[@]}" "$m" "$k" "$(echo "$k / $m" | bc -l)" "$((mem / 1024))"
  total_n=$((total_n + ${#dirs[@]})); total_m=$(echo "$total_m + $m" | bc -l); total_k=$(echo "$total_k + $k" | bc -l)
done
printf '%-50s %4d kustomizations  manifest-gate %7.3fs  kubectl %8.3fs  ratio %6.1fx\n' \
  "TOTAL" "$total_n" "$total_m" "$total_k" "$(echo "$total_k / $total_m" | bc -l)"
