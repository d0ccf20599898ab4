#!/usr/bin/env bash
# Amplification and exhaustion cases of issue 9, each built as a git repository
# and rendered by the real binary: exit code, wall time and peak RSS
# (/usr/bin/time -v). Every case must exit 2 in well under a second and under
# 200 MB. Usage: benches/hostile.sh  (MANIFEST_GATE=path/to/binary; default:
# target/release/manifest-gate, else target/debug/manifest-gate).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${MANIFEST_GATE:-}
if [ -z "$bin" ]; then
  bin="$here/target/release/manifest-gate"
  [ -x "$bin" ] || bin="$here/target/debug/manifest-gate"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work" <<'PY'
import os, sys
w = sys.argv[1]
bomb = open(os.path.join(os.environ.get("HERE", "."), "/dev/null")).read() if False else None
def put(case, rel, text):
    p = os.path.join(w, case, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if isinstance(text, tuple):
        os.symlink(text[0], p)
    else:
        open(p, "w").write(text)
cm1k = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: " + "x" * 1000 + "\n"
j = "resources: [cm.yaml]\npatchesJson6902:\n- target: {version: v1, kind: ConfigMap, name: c}\n  path: p.yaml\n"
copies = "".join(f"- op: copy\n  from: /data\n  path: /data/c{i}\n" for i in range(21))
put("json6902-copy-x21", "app/kustomization.yaml", j)
put("json6902-copy-x21", "app/cm.yaml", cm1k)
put("json6902-copy-x21", "app/p.yaml", copies)
put("json6902-copy-1000-keys", "app/kustomization.yaml", j)
put("json6902-copy-1000-keys", "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n" + "".join(f"  k{i}: v\n" for i in range(1000)))
put("json6902-copy-1000-keys", "app/p.yaml", copies)
put("vars-1MiB-x500", "app/kustomization.yaml", "resources: [cm.yaml]\nvars:\n- name: BIG\n  objref: {kind: ConfigMap, name: c, apiVersion: v1}\n  fieldref: {fieldpath: data.big}\n")
put("vars-1MiB-x500", "app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  big: " + "x" * (1 << 20) + "\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: i\n    args:\n    - \"" + "$(BIG)" * 500 + "\"\n")
reps = "".join(f"- source: {{kind: ConfigMap, name: c, fieldPath: data}}\n  targets:\n  - select: {{kind: ConfigMap, name: c}}\n    fieldPaths: [data.d{i}]\n    options: {{create: true}}\n" for i in range(40))
put("replacements-doubling-x40", "app/kustomization.yaml", "resources: [cm.yaml]\nreplacements:\n" + reps)
put("replacements-doubling-x40", "app/cm.yaml", cm1k)
alias = "apiVersion: v1\ndata:\n  a: &a [\"web\",\"web\",\"web\",\"web\",\"web\",\"web\",\"web\",\"web\",\"web\"]\n" + "".join(f"  {c}: &{c} [{','.join(['*'+p]*9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + "kind: ConfigMap\nmetadata:\n  name: yaml-bomb\n"
put("fallback-alias-bomb+LabelTransformer", "app/kustomization.yaml", "resources: [bomb.yaml]\ntransformers: [labels.yaml]\n")
put("fallback-alias-bomb+LabelTransformer", "app/bomb.yaml", alias)
put("fallback-alias-bomb+LabelTransformer", "app/labels.yaml", "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: l\nlabels:\n  team: a\nfieldSpecs:\n- path: metadata/labels\n  create: true\n")
for i in range(18):
    put("external-copy-dag-18", f"l{i}/kustomization.yaml", "resources: [a, b]\n")
    put("external-copy-dag-18", f"l{i}/a", (f"../l{i+1}",))
    put("external-copy-dag-18", f"l{i}/b", (f"../l{i+1}",))
put("external-copy-dag-18", "l18/kustomization.yaml", "resources: [cm.yaml]\n")
put("external-copy-dag-18", "l18/cm.yaml", cm1k)
put("external-copy-dag-18", "app/kustomization.yaml", "resources: [../l0]\n")
PY

printf '| case | renderer | exit | wall s | peak RSS MB | error |\n| --- | --- | ---: | ---: | ---: | --- |\n'
for dir in "$work"/*/; do
  case=$(basename "$dir")
  (cd "$dir" && git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm c)
  mode=auto
  [[ $case == external-* ]] && mode=kustomize
  out=$( (cd "$dir" && TMPDIR="$work" /usr/bin/time -v "$bin" render app --ref HEAD --renderer "$mode" >/dev/null) 2>&1 || true)
  code=$(sed -n 's/.*Exit status: //p' <<<"$out")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' <<<"$out")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' <<<"$out" | awk -F: '{print $(NF-1)*60+$NF}')
  err=$(grep '^error: ' <<<"$out" | head -1 | cut -c1-140)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$case" "$mode" "${code:-?}" "$wall" "$((${rss:-0} / 1024))" "$err"
done
left=$(find "$work" -maxdepth 1 -name 'manifest-gate-*' | wc -l)
echo
echo "temporary copies left behind: $left"
