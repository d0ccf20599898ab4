#!/usr/bin/env python3
"""Regenerate the README's rule sections (`### `id`` up to the next `## `) from
`manifest-gate rules --format json` and `manifest-gate explain <id>`, the texts
tests/readme.rs checks. Usage: scripts/readme-rules.py [path/to/manifest-gate]"""
import json, re, subprocess, sys

bin = sys.argv[1] if len(sys.argv) > 1 else "target/release/manifest-gate"
rules = json.loads(subprocess.run([bin, "rules", "--format", "json"], check=True,
                                  capture_output=True, text=True).stdout)
ids = [r["id"] for r in (rules["rules"] if isinstance(rules, dict) else rules)]
body = ""
for i in ids:
    text = subprocess.run([bin, "explain", i], check=True, capture_output=True, text=True).stdout
    rest = text.split("\n", 1)[1].strip() if "\n" in text else text.strip()
    body += f"### `{i}`\n\n{rest}\n\n"
readme = open("README.md").read()
start = readme.index("\n### `", readme.index("\n## Rules\n")) + 1
end = readme.index("\n## ", start) + 1
open("README.md", "w").write(readme[:start] + body + readme[end:])
print(f"README: {len(ids)} rule sections")
