#!/usr/bin/env bash
# Two builds of the node, A/B, driven by the same generator: is a change of the node a
# regression? One node of OLD and one of NEW run side by side (1 I/O thread each); every round
# drives each in turn with the same work: `drl bench` of NEW (50 connections, pipeline 16,
# 1 M keys, one check per frame and batches of 64) and redis-benchmark's CL.THROTTLE on each
# node's RESP door (same connections, pipeline and key range). Prints one line per run and,
# at the end, the median NEW/OLD ratio per case with its range over the rounds; the rounds
# alternate OLD and NEW, so a busy machine slows both alike.
# Usage: bench/node_compare.sh OLD_DRL_BINARY. Env: NEW (default build/bin/drl), ROUNDS (5),
# DURATION (5s per native run), REQUESTS (1200000 per CL.THROTTLE run). Needs redis-tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
new=${NEW:-$root/build/bin/drl}
old=${1:?usage: bench/node_compare.sh OLD_DRL_BINARY  (env NEW, ROUNDS, DURATION, REQUESTS)}
rounds=${ROUNDS:-5}
dur=${DURATION:-5s}
requests=${REQUESTS:-1200000}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf $work' EXIT
start_node() { # name binary; sets NAME_port and NAME_resp
  $2 node --id "$1" --listen 127.0.0.1:0 --port-file "$work/$1.port" --resp 127.0.0.1:0 \
    --resp-port-file "$work/$1.resp" --threads 1 >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 400); do
    [ -s "$work/$1.port" ] && [ -s "$work/$1.resp" ] && break
    sleep 0.05
  done
  [ -s "$work/$1.port" ] || { echo "node_compare: $1 ($2) did not start: $(tail -3 "$work/$1.log")" >&2; exit 2; }
  printf -v "$1_port" %s "$(cat "$work/$1.port")"
  printf -v "$1_resp" %s "$(cat "$work/$1.resp")"
}
start_node old "$old"
start_node new "$new"
native() { # port batch -> checks/s distinct_keys
  $new bench --servers "127.0.0.1:$1" --connections 50 --pipeline 16 --batch "$2" --keys 1000000 \
    --duration "$dur" --json 2>/dev/null | tail -n1 |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f %s" % (r["checks_per_sec"], r.get("distinct_keys","-")))'
}
throttle() { # resp_port -> requests/s
  redis-benchmark -p "$1" -n "$requests" -c 50 -P 16 -r 1000000 --csv \
    CL.THROTTLE 'key:__rand_int__' 100 1000 60 1 2>"$work/throttle.err" | grep -v '^"test"' |
    tail -n1 | tr -d '"' | cut -d, -f2 | grep . || echo "- ($(head -c 120 "$work/throttle.err"))"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for side in old new; do
    port=${side}_port resp=${side}_resp
    echo "round $r $side native1 $(native ${!port} 1)"
    echo "round $r $side batch64 $(native ${!port} 64)"
    echo "round $r $side throttle $(throttle ${!resp})"
  done
done | tee "$work/runs"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/runs" <<'PY'
import collections, statistics, sys
v = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    _, r, side, case, rate, *_ = line.split()
    try:
        v[(case, r)][side] = float(rate)
    except ValueError:  # a failed run ("-"): its round has no ratio for this case
        pass
for case in ("native1", "batch64", "throttle"):
    ratios = [s["new"] / s["old"] for (c, _), s in v.items() if c == case and "new" in s and s.get("old")]
    if ratios:
        print(f"{case:9} new/old median {statistics.median(ratios):.2f} "
              f"(range {min(ratios):.2f}-{max(ratios):.2f}, {len(ratios)} rounds)")
PY
