#!/usr/bin/env python3
"""Generate data/openapi-merge.json: the strategic-merge schema kustomize uses.

Reads the Kubernetes 1.21.2 OpenAPI document (gzipped JSON) and writes, for each
exact apiVersion+kind (x-kubernetes-group-version-kind), the root type, and for
each type only the fields that lead to a list with an x-kubernetes-patch-strategy
containing `merge` (anything else is replaced when merging, so it is left out).

Output format:
  {"gvks": {"<apiVersion> <kind>": "<type>"},
   "types": {"<type>": {"<field>": <field>}}}
  field = {"t": "<type>"}                          an object
        | {"m": <field>}                            map values (additionalProperties)
        | {"l": "<strategy>", "k": "<merge key>", "i": <field>}   a merge list
  ("k" absent for primitive merge lists, "i" absent for scalar items,
   "<strategy>" is the raw x-kubernetes-patch-strategy, e.g. "merge,retainKeys").

Usage: scripts/gen-openapi-table.py [INPUT.json.gz] [OUTPUT.json]
"""
import gzip
import json
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/openapi/kubernetes-openapi-v1.21.2.json.gz"
out = sys.argv[2] if len(sys.argv) > 2 else "data/openapi-merge.json"

with gzip.open(src, "rt") as f:
    doc = json.load(f)
defs = doc["definitions"]


def ref_name(schema):
    r = schema.get("$ref")
    if r and r.startswith("#/definitions/"):
        return r[len("#/definitions/"):]
    return None


types = {}
# type name -> True when the type (transitively) holds a merge list; None while being computed.
state = {}


def field_of(schema):
    """Compact description of a property schema, or None when it holds no merge list."""
    name = ref_name(schema)
    if name:
        return {"t": name} if visit(name) else None
    if schema.get("type") == "array":
        strategy = schema.get("x-kubernetes-patch-strategy", "")
        items = schema.get("items", {})
        if "merge" in strategy.split(","):
            f = {"l": strategy}
            if "x-kubernetes-patch-merge-key" in schema:
                f["k"] = schema["x-kubernetes-patch-merge-key"]
            inner = field_of(items)
            if inner is not None:
                f["i"] = inner
            return f
        return None  # replaced as a whole: nothing below matters
    if schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict):
        inner = field_of(schema["additionalProperties"])
        return {"m": inner} if inner is not None else None
    return None


def visit(name):
    if name in state:
        return state[name] is not False  # in progress counts as reachable (recursive types)
    state[name] = None
    d = defs.get(name, {})
    fields = {}
    for k, v in sorted(d.get("properties", {}).items()):
        f = field_of(v)
        if f is not None:
            fields[k] = f
    state[name] = bool(fields)
    if fields:
        types[name] = fields
    return bool(fields)


gvks = {}
for name, d in sorted(defs.items()):
    for g in d.get("x-kubernetes-group-version-kind", []):
        api = g["version"] if not g["group"] else g["group"] + "/" + g["version"]
        key = api + " " + g["kind"]
        if visit(name):
            gvks[key] = name
        else:
            gvks.setdefault(key, "")  # known kind without merge lists

# Drop types that turned out empty (recursion placeholders).
types = {k: v for k, v in types.items() if v}
with open(out, "w") as f:
    json.dump({"gvks": gvks, "types": dict(sorted(types.items()))}, f, separators=(",", ":"), sort_keys=True)
    f.write("\n")
print(f"{out}: {len(gvks)} kinds, {len(types)} types")
