#!/usr/bin/env python3
"""Generate data/k8s-schemas.json.gz: the Kubernetes JSON schemas the
`schema-validation` rule embeds (src/policy/schema/builtin.rs).

Source: the PyPI package `kubernetes-validate` (Apache-2.0, by Will Thames),
which bundles per-version JSON schemas converted from the Kubernetes OpenAPI
documents; we read its *strict* variant (`vX.Y.0-local-strict/_definitions.json`,
draft 2020-12), where objects the API server treats strictly carry
`additionalProperties: false` (the strict mode of kubernetes-json-schema /
kubeconform), so a misspelt field is an error.

    pip download --no-deps kubernetes-validate==1.37.0 -d /tmp/kv
    unzip -q /tmp/kv/kubernetes_validate-1.37.0-py3-none-any.whl -d /tmp/kv/x
    scripts/gen-k8s-schemas.py /tmp/kv/x/kubernetes_validate/kubernetes-json-schema

What is kept, to keep the binary small:
  - only definitions reachable (through `$ref`) from a definition that is a kind
    (has `x-kubernetes-group-version-kind`);
  - no `description`, no `x-kubernetes-*` annotations (validation ignores them);
  - every definition body is stored once in a pool shared by all versions
    (most definitions are identical from one minor version to the next).

Output format (gzip-compressed JSON, keys sorted so the output is reproducible):
  {"source": "...",
   "versions": {"1.37": {"kinds": {"<apiVersion> <kind>": "<definition>"},
                         "defs": {"<definition>": <pool index>}}},
   "pool": [<definition body>, ...]}
References inside a body stay `#/$defs/<definition>`.

Usage: scripts/gen-k8s-schemas.py SCHEMA_DIR [OUTPUT] [VERSIONS...]
"""
import gzip
import json
import os
import sys

PACKAGE = "kubernetes-validate 1.37.0 (PyPI, Apache-2.0)"
DEFAULT_VERSIONS = [f"1.{m}" for m in range(25, 38)]


def strip(node):
    """Drop documentation and Kubernetes annotations, recursively."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "description" or k.startswith("x-kubernetes-"):
                continue
            # `properties` keys are field names, not keywords: keep them all.
            if k == "properties" and isinstance(v, dict):
                out[k] = {name: strip(s) for name, s in v.items()}
            else:
                out[k] = strip(v)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def refs(node, acc):
    if isinstance(node, dict):
        r = node.get("$ref")
        if isinstance(r, str) and r.startswith("#/$defs/"):
            acc.add(r[len("#/$defs/"):])
        for v in node.values():
            refs(v, acc)
    elif isinstance(node, list):
        for v in node:
            refs(v, acc)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else "data/k8s-schemas.json.gz"
    versions = sys.argv[3:] or DEFAULT_VERSIONS
    pool, pool_index, result = [], {}, {}
    for ver in versions:
        path = os.path.join(src, f"v{ver}.0-local-strict", "_definitions.json")
        with open(path) as f:
            defs = json.load(f)["$defs"]
        kinds = {}
        for name, body in defs.items():
            for gvk in body.get("x-kubernetes-group-version-kind", []):
                api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
                key = f"{api} {gvk['kind']}"
                # A kind listed by several definitions (WatchEvent, DeleteOptions) is no
                # resource one renders: keep the first, deterministically by name.
                if key not in kinds or name < kinds[key]:
                    kinds[key] = name
        reach, todo = set(), list(set(kinds.values()))
        while todo:
            n = todo.pop()
            if n in reach or n not in defs:
                continue
            reach.add(n)
            acc = set()
            refs(defs[n], acc)
            todo.extend(acc - reach)
        table = {}
        for name in sorted(reach):
            body = json.dumps(strip(defs[name]), sort_keys=True, separators=(",", ":"))
            if body not in pool_index:
                pool_index[body] = len(pool)
                pool.append(body)
            table[name] = pool_index[body]
        result[ver] = {"kinds": dict(sorted(kinds.items())), "defs": table}
        print(f"{ver}: {len(kinds)} kinds, {len(reach)} definitions", file=sys.stderr)
    doc = (
        '{"source":' + json.dumps(PACKAGE)
        + ',"versions":' + json.dumps(result, sort_keys=True, separators=(",", ":"))
        + ',"pool":[' + ",".join(pool) + "]}"
    )
    raw = doc.encode()
    with open(out, "wb") as f:
        f.write(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"{len(pool)} distinct definitions, {len(raw)} bytes JSON, "
          f"{os.path.getsize(out)} bytes gzip -> {out}", file=sys.stderr)


main()
