#!/usr/bin/env bash
# Overload, measured honestly (docs/optimization.md, "Overload"): one node whose deciding is
# made slow on purpose (test hook --test-decide-delay-us, so its capacity is far below what
# the generator can offer on the same machine), its peak found with a closed loop, then an
# open loop (`drl bench --rate`) at 0.5x, 1x, 2x and 5x of that peak. Prints one row per
# load: decided checks/s, shed (OVERLOADED) count, p50/p99/p99.9 of answered (decided)
# checks, and whether the generator kept its schedule (a run where it did not is INVALID).
#
# Usage: bench/overload.sh [path/to/drl]
# Env: DELAY_US (per decided request, default 50), DURATION (per run, default 5s),
#      CONNECTIONS (default 8), NODE_THREADS (default 1), GEN_THREADS (default 1),
#      TIMEOUT_MS (deadline sent with each request, default 100), MULTIPLES ("0.5 1 2 5"),
#      NODE_ARGS (more flags for the node, e.g. "--queue-target-ms 2"),
#      NODE_CPUS / GEN_CPUS (taskset CPU lists, e.g. 1 and 0: the node and the generator each
#      on its own core, as on separate machines; default: unpinned).
set -euo pipefail
DRL=${1:-${DRL:-build/bin/drl}}
DELAY_US=${DELAY_US:-50}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-8}
NODE_THREADS=${NODE_THREADS:-1}
GEN_THREADS=${GEN_THREADS:-1}
TIMEOUT_MS=${TIMEOUT_MS:-100}
MULTIPLES=${MULTIPLES:-0.5 1 2 5}
read -r -a node_args <<<"${NODE_ARGS:-}"
node_pin=(); gen_pin=()
[[ -n "${NODE_CPUS:-}" ]] && node_pin=(taskset -c "$NODE_CPUS")
[[ -n "${GEN_CPUS:-}" ]] && gen_pin=(taskset -c "$GEN_CPUS")

work=$(mktemp -d)
node_pid=""
cleanup() {
  if [[ -n "$node_pid" ]]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"${node_pin[@]}" "$DRL" node --listen 127.0.0.1:0 --threads "$NODE_THREADS" --enable-test-hooks \
  --test-decide-delay-us "$DELAY_US" --port-file "$work/port" "${node_args[@]}" 2>"$work/node.log" >/dev/null &
node_pid=$!
for _ in $(seq 1 200); do [[ -s "$work/port" ]] && break; sleep 0.05; done
[[ -s "$work/port" ]] || { echo "node did not start:"; cat "$work/node.log"; exit 1; }
server="127.0.0.1:$(cat "$work/port")"

common=(--servers "$server" --connections "$CONNECTIONS" --threads "$GEN_THREADS" --batch 1
        --keys 100000 --limit 1000000000 --duration "$DURATION" --timeout-ms "$TIMEOUT_MS" --json)
echo "node: $server, --threads $NODE_THREADS, --test-decide-delay-us $DELAY_US ${NODE_ARGS:-}" >&2
"${gen_pin[@]}" "$DRL" bench "${common[@]}" --pipeline 4 2>/dev/null >"$work/peak.json"
peak=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["decided_per_sec"]))' "$work/peak.json")
echo "closed-loop peak: $peak decided checks/s" >&2

for m in $MULTIPLES; do
  rate=$(python3 -c "print(int($peak * $m))")
  "${gen_pin[@]}" "$DRL" bench "${common[@]}" --rate "$rate" 2>/dev/null >"$work/open_$m.json" || true
done

python3 - "$work" "$peak" $MULTIPLES <<'PY'
import json, sys
work, peak, multiples = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
p = json.load(open(f"{work}/peak.json"))
print(f"| load | offered req/s | sent req/s | decided checks/s (% of peak) | shed | p50 ms | p99 ms | p99.9 ms | unanswered | generator |")
print(f"|---|---|---|---|---|---|---|---|---|---|")
print(f"| peak (closed loop) | - | - | {p['decided_per_sec']:.0f} (100%) | {p['overloaded']} | "
      f"{p['p50_us']/1000:.2f} | {p['p99_us']/1000:.2f} | {p['p999_us']/1000:.2f} | - | - |")
for m in multiples:
    r = json.load(open(f"{work}/open_{m}.json"))
    ok = "ok" if r.get("valid") else f"INVALID (send lag p99 {r.get('send_lag_p99_us', 0):.0f} us)"
    print(f"| {m}x | {r['offered_per_sec']:.0f} | {r['sent_per_sec']:.0f} | "
          f"{r['decided_per_sec']:.0f} ({100*r['decided_per_sec']/peak:.0f}%) | {r['overloaded']} | "
          f"{r['p50_us']/1000:.2f} | {r['p99_us']/1000:.2f} | {r['p999_us']/1000:.2f} | "
          f"{r['unanswered']} | {ok} |")
PY
