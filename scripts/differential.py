#!/usr/bin/env python3
"""Differential test: render every kustomization under a directory natively and
with `kubectl kustomize`, and list the differences.

usage: scripts/differential.py ROOT [--bin target/release/manifest-gate] [-v] [--jobs N]

For each directory under ROOT holding a kustomization that is not a Component:
  - kustomize fails            -> "skip (kustomize fails offline)"
  - both succeed, same docs    -> "same"
  - otherwise                  -> "DIFF" with the first difference (-v)
Documents are compared parsed, in order. Exit code 1 when any kustomization that
kustomize renders differs natively.
"""
import argparse, concurrent.futures as cf, os, subprocess, sys
import yaml

ap = argparse.ArgumentParser()
ap.add_argument("root")
ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "manifest-gate"))
ap.add_argument("-v", action="store_true")
ap.add_argument("--jobs", type=int, default=4)
ap.add_argument("--kubectl", default="kubectl")
a = ap.parse_args()
root = os.path.abspath(a.root)
NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

def is_component(path):
    try:
        d = yaml.safe_load(open(path, encoding="utf-8", errors="replace"))
        return isinstance(d, dict) and d.get("kind") == "Component"
    except Exception:
        return False

dirs = []
for d, subs, files in os.walk(root):
    subs[:] = [s for s in subs if s != ".git"]
    for n in NAMES:
        if n in files:
            if not is_component(os.path.join(d, n)):
                dirs.append(d)
            break
dirs.sort()

def docs(text):
    return [x for x in yaml.safe_load_all(text) if x is not None]

def one(d):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent"}
    try:
        k = subprocess.run([a.kubectl, "kustomize", d], capture_output=True, text=True, timeout=60, env=env)
    except subprocess.TimeoutExpired:
        return d, "skip", "kustomize timed out"
    n = subprocess.run([a.bin, "render", d, "--repo", root], capture_output=True, text=True, timeout=60)
    if k.returncode != 0:
        if n.returncode == 0:
            return d, "skip", "kustomize fails offline; native rendered"
        return d, "skip", "both fail"
    if n.returncode != 0:
        return d, "DIFF", "native error: " + (n.stderr.strip().splitlines() or [""])[-1][:300]
    try:
        want, got = docs(k.stdout), docs(n.stdout)
    except yaml.YAMLError as e:
        return d, "DIFF", f"output not YAML: {e}"
    if want == got:
        return d, "same", ""
    why = f"{len(got)} docs vs {len(want)}"
    if a.v:
        for g, w in zip(got + [None] * len(want), want):
            if g != w:
                why += "\n  native:    " + yaml.safe_dump(g, sort_keys=True).replace("\n", "\n             ")[:3000]
                why += "\n  kustomize: " + yaml.safe_dump(w, sort_keys=True).replace("\n", "\n             ")[:3000]
                break
    return d, "DIFF", why

counts = {"same": 0, "DIFF": 0, "skip": 0}
with cf.ThreadPoolExecutor(a.jobs) as ex:
    for d, status, why in ex.map(one, dirs):
        counts[status] += 1
        rel = os.path.relpath(d, root)
        if status != "same":
            print(f"{status} {rel}: {why}")
print(f"{len(dirs)} kustomizations: {counts['same']} same, {counts['DIFF']} differ, {counts['skip']} skipped (kustomize cannot build them offline)")
sys.exit(1 if counts["DIFF"] else 0)
