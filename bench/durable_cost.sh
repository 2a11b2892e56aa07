#!/usr/bin/env bash
# The cost of durability (docs/optimization.md, "Durable backend"): the same closed-loop
# `drl bench` against one node with --storage memory and one with --storage durable (same
# flags, same keys, rounds alternating), then the restart time of a durable node holding
# about KEYS_RESTART keys, and its bytes on disk per key.
# Every check is allowed on a day-long fixed window (limit 10^9), so every check changes its
# key and the durable node writes every one: the worst case for the log.
#
# Usage: bench/durable_cost.sh [path/to/drl]
# Env: ROUNDS (3), DURATION (10s), KEYS (100000), PIPELINE (16), CONNECTIONS (50),
#      FSYNC (10ms), KEYS_RESTART (1000000; 0 skips the restart part), FILL (20s: the load that
#      fills the restart node), DATA (a directory for the data dirs; default a temp dir: put it
#      on the disk you mean to measure), NODE_ARGS (more flags for both nodes; default a
#      generous overload controller, "--queue-target-ms 100 --default-timeout-ms 10000", so a
#      busy host's pauses are not turned into shed checks that would make the runs incomparable).
set -euo pipefail
DRL=${1:-${DRL:-build/bin/drl}}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
KEYS=${KEYS:-100000}
PIPELINE=${PIPELINE:-16}
CONNECTIONS=${CONNECTIONS:-50}
FSYNC=${FSYNC:-10ms}
KEYS_RESTART=${KEYS_RESTART:-1000000}
FILL=${FILL:-20s}
read -r -a node_args <<<"${NODE_ARGS:---queue-target-ms 100 --default-timeout-ms 10000}"
work=$(mktemp -d "${DATA:-/tmp}/drl-durable-cost-XXXXXX")
node_pid=""
stop_node() {
  if [[ -n "$node_pid" ]]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  node_pid=""
}
cleanup() { stop_node; [[ -n "${KEEP:-}" ]] || rm -rf "$work"; }
trap cleanup EXIT

# start_node NAME ARGS...: one node, its address in $server.
start_node() {
  local name=$1; shift
  rm -f "$work/port"
  "$DRL" node --listen 127.0.0.1:0 --id "$name" --port-file "$work/port" "${node_args[@]}" "$@" \
    2>"$work/$name.log" >/dev/null &
  node_pid=$!
  # A restarting node loads its data dir before it listens: minutes for 10 M keys on a busy
  # host. Wait while the process lives, up to START_TIMEOUT seconds (600).
  for _ in $(seq 1 $((${START_TIMEOUT:-600} * 20))); do
    [[ -s "$work/port" ]] && break
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.05
  done
  [[ -s "$work/port" ]] || { echo "node did not start:"; cat "$work/$name.log"; exit 1; }
  server="127.0.0.1:$(cat "$work/port")"
}

bench() {  # bench KEYS DURATION OUT
  "$DRL" bench --servers "$server" --connections "$CONNECTIONS" --pipeline "$PIPELINE" \
    --keys "$1" --algorithm fixed_window --limit 1000000000 --window 1d --duration "$2" \
    --json 2>/dev/null >"$3"
}

for r in $(seq 1 "$ROUNDS"); do
  for kind in memory durable; do
    args=(--storage "$kind")
    [[ $kind == durable ]] && args+=(--data-dir "$work/bench-$r" --fsync-interval "$FSYNC")
    start_node "$kind-$r" "${args[@]}"
    bench "$KEYS" "$DURATION" "$work/$kind-$r.json"
    stop_node
  done
done

python3 - "$work" "$ROUNDS" <<'PY'
import json, sys
work, rounds = sys.argv[1], int(sys.argv[2])
print(f"{'round':>5} {'memory checks/s':>16} {'p99 ms':>7} {'durable checks/s':>17} {'p99 ms':>7} {'ratio':>6}")
ratios = []
errors = 0
for r in range(1, rounds + 1):
    m = json.load(open(f"{work}/memory-{r}.json")); d = json.load(open(f"{work}/durable-{r}.json"))
    ratio = d["decided_per_sec"] / m["decided_per_sec"]; ratios.append(ratio)
    errors += m["errors"] + d["errors"] + m["denied"] + d["denied"]
    print(f"{r:>5} {m['decided_per_sec']:>16.0f} {m['p99_us'] / 1000:>7.2f} "
          f"{d['decided_per_sec']:>17.0f} {d['p99_us'] / 1000:>7.2f} {ratio:>6.2f}")
ratios.sort()
print(f"median durable/memory: {ratios[len(ratios)//2]:.2f}; errors + denials: {errors}")
PY

[[ "$KEYS_RESTART" == 0 ]] && exit 0
dir="$work/restart"
start_node restart --storage durable --data-dir "$dir" --fsync-interval "$FSYNC"
bench "$KEYS_RESTART" "$FILL" "$work/fill.json"
kill -9 "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=""
bytes=$(du -sb "$dir" | cut -f1)
start_node restart --storage durable --data-dir "$dir" --fsync-interval "$FSYNC"
# CPU seconds the node used to start (loading dominates): the wall time in the log line
# stretches with the host's load, this does not.
read -r -a stat <"/proc/$node_pid/stat"
cpu=$(python3 -c "import os; print((${stat[13]} + ${stat[14]}) / os.sysconf('SC_CLK_TCK'))")
stop_node
line=$(grep "durable: loaded" "$work/restart.log" | tail -1)
echo "restart after kill -9: ${line#*durable: }; ${cpu} CPU-s to start"
python3 - "$bytes" "$line" <<'PY'
import re, sys
bytes_, line = int(sys.argv[1]), sys.argv[2]
keys = int(re.search(r"loaded (\d+) keys", line).group(1))
print(f"data dir: {bytes_} bytes for {keys} keys = {bytes_ / max(keys, 1):.0f} bytes per key")
PY
for f in "$dir"/snapshot-*; do
  [[ -e "$f" ]] || continue
  echo "last snapshot: $(stat -c %s "$f") bytes ($(basename "$f")); the log since it holds the rest"
done
