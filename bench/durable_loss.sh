#!/usr/bin/env bash
# What a kill -9 costs the durable backend (docs/optimization.md, "Durable backend"): one node
# under a closed-loop load on KEYS day-long keys is killed with SIGKILL in the middle of it,
# restarted on its data dir, and every key is peeked. Admissions the client saw minus the
# spend the restarted node remembers = the changes lost (never negative beyond the checks
# in flight at the kill, which the node may have decided without the client hearing).
#
# Usage: bench/durable_loss.sh [path/to/drl]
# Env: FSYNC (10ms), KEYS (200), BEFORE_KILL (3: seconds of load before the kill),
#      DATA (parent directory of the data dir, default /tmp).
set -euo pipefail
DRL=${1:-${DRL:-build/bin/drl}}
FSYNC=${FSYNC:-10ms}
KEYS=${KEYS:-200}
BEFORE_KILL=${BEFORE_KILL:-3}
LIMIT=1000000000
work=$(mktemp -d "${DATA:-/tmp}/drl-durable-loss-XXXXXX")
node_pid=""
bench_pid=""
cleanup() {
  for p in "$bench_pid" "$node_pid"; do
    if [[ -n "$p" ]]; then kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

start_node() {
  rm -f "$work/port"
  "$DRL" node --listen 127.0.0.1:0 --id loss --storage durable --data-dir "$work/data" \
    --fsync-interval "$FSYNC" --queue-target-ms 100 --default-timeout-ms 10000 \
    --port-file "$work/port" 2>>"$work/node.log" >/dev/null &
  node_pid=$!
  for _ in $(seq 1 600); do [[ -s "$work/port" ]] && break; sleep 0.05; done
  [[ -s "$work/port" ]] || { echo "node did not start:"; cat "$work/node.log"; exit 1; }
  server="127.0.0.1:$(cat "$work/port")"
}

start_node
"$DRL" bench --servers "$server" --connections 16 --pipeline 16 --keys "$KEYS" \
  --algorithm fixed_window --limit "$LIMIT" --window 1d --duration "$((BEFORE_KILL + 5))s" \
  --json 2>/dev/null >"$work/bench.json" &
bench_pid=$!
sleep "$BEFORE_KILL"
kill -9 "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=""
wait "$bench_pid" || true; bench_pid=""
start_node
spent=0
width=${#KEYS}
[[ $KEYS =~ ^10*$ ]] && width=$((width - 1))  # bench pads indexes to the width of KEYS - 1
for k in $(seq 0 $((KEYS - 1))); do
  remaining=$("$DRL" check --server "$server" "bench:$(printf "%0${width}d" "$k")" --limit "$LIMIT" --window 1d \
    --algorithm fixed_window --cost 0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["remaining"])')
  spent=$((spent + LIMIT - remaining))
done
python3 - "$work/bench.json" "$spent" "$FSYNC" <<'PY'
import json, sys
b = json.load(open(sys.argv[1])); spent = int(sys.argv[2])
allowed = b["allowed"]
print(f"fsync {sys.argv[3]}: the client saw {allowed} admissions; the restarted node remembers "
      f"{spent}; lost {allowed - spent} ({(allowed - spent) / max(b['checks_per_sec'], 1) * 1000:.1f} ms "
      f"of the load's {b['checks_per_sec']:.0f} checks/s)")
PY
