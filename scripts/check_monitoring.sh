#!/usr/bin/env bash
# Checks deploy/monitoring/: every alerts/*.rules.yml with `promtool check rules`, every
# tests/*.test.yml with `promtool test rules` (each alert fires in a unit test), and every
# Grafana dashboard (grafana/*.json): valid JSON, unique panel ids, every panel with a query,
# and every drl_/process_ metric a query names listed in docs/operations.md's metrics table.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mon="$root/deploy/monitoring"
shopt -s nullglob
rules=("$mon"/alerts/*.rules.yml)
tests=("$mon"/tests/*.test.yml)
if ((${#rules[@]} == 0)); then
  echo "check_monitoring: no rule files in $mon/alerts" >&2
  exit 1
fi
promtool check rules "${rules[@]}"
# Each rule file needs a unit test file naming it.
for r in "${rules[@]}"; do
  name=$(basename "$r")
  if ! grep -lq "alerts/$name" "${tests[@]}" /dev/null; then
    echo "check_monitoring: no test in $mon/tests names alerts/$name" >&2
    exit 1
  fi
done
(cd "$mon/tests" && promtool test rules "${tests[@]##*/}")
# Each alert has a unit test that expects it to fire, a runbook annotation and a runbook
# section in docs/operations.md.
python3 - "$root" "${rules[@]}" <<'PY'
import re, sys
root, rule_files = sys.argv[1], sys.argv[2:]
runbooks = open(f"{root}/docs/operations.md").read()
tests = "".join(open(t).read() for t in __import__("glob").glob(f"{root}/deploy/monitoring/tests/*.test.yml"))
for path in rule_files:
    text = open(path).read()
    for name in re.findall(r"- alert: (\w+)", text):
        if f"### Runbook: {name}\n" not in runbooks:
            sys.exit(f"check_monitoring: {name} ({path}) has no '### Runbook: {name}' in docs/operations.md")
        if f'runbook: "docs/operations.md#runbook-{name.lower()}"' not in text:
            sys.exit(f"check_monitoring: {name} ({path}) has no runbook annotation")
        if not re.search(rf"alertname: {name}\n\s*exp_alerts:\n\s*- exp_labels", tests):
            sys.exit(f"check_monitoring: no unit test expects {name} to fire")
    print(f"{path}: every alert has a firing test and a runbook")
PY
python3 - "$root" "$mon"/grafana/*.json <<'PY'
import json, re, sys
root, dashboards = sys.argv[1], sys.argv[2:]
if not dashboards:
    sys.exit("check_monitoring: no dashboard in deploy/monitoring/grafana")
documented = open(f"{root}/docs/operations.md").read()
for path in dashboards:
    d = json.load(open(path))
    for key in ("title", "uid", "panels"):
        if key not in d:
            sys.exit(f"{path}: no '{key}'")
    ids = [p["id"] for p in d["panels"]]
    if len(ids) != len(set(ids)):
        sys.exit(f"{path}: duplicate panel ids")
    for p in d["panels"]:
        if not p.get("targets") or not all(t.get("expr") for t in p["targets"]):
            sys.exit(f"{path}: panel '{p.get('title')}' has no query")
        for t in p["targets"]:
            for m in set(re.findall(r"\b((?:drl|process)_[a-z_]+)", t["expr"])):
                base = re.sub(r"_(bucket|sum|count)$", "", m)
                if f"`{base}`" not in documented and f"`{m}`" not in documented:
                    sys.exit(f"{path}: panel '{p['title']}' uses {m}, not in docs/operations.md")
    print(f"{path}: {len(ids)} panels OK")
PY
