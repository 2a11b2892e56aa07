#!/usr/bin/env bash
# Instructions per check of a whole cluster, counted by callgrind: every node of a cluster on
# loopback runs under callgrind, counting only while `drl bench` offers a fixed rate with its
# connections spread over all nodes (so with 3 nodes 2/3 of the checks are forwarded), and
# the figure is the sum of the nodes' instructions over the checks answered. Repeatable on a
# noisy machine where wall-clock ratios move by tens of percent; the kernel's share (a syscall
# is one instruction here) is not in it. Queueing limits are raised so that nothing is shed
# at callgrind's speed (~50x slower).
#
# Usage: bench/cluster_profile.sh [NODES] [RATE] [SECONDS]    (defaults: 3 2000 8)
# Env: BUILD (default build), SMART=1 (drl bench --smart: clients route to the owner; a
#      closed loop, since --smart has no fixed rate, so RATE is ignored),
#      ANNOTATE=1 (print the top functions of the first node, inclusive), KEEP=DIR (keep the
#      callgrind outputs there).
# Prints: "nodes=<n> rate=<r> checks=<n> instructions_per_check=<n>" and each node's share.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
nodes=${1:-3}
rate=${2:-2000}
seconds=${3:-8}
drl=$build/bin/drl
[ -x "$drl" ] || { echo "cluster_profile: $drl not found" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "cluster_profile: valgrind missing" >&2; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

servers=()
for i in $(seq 1 "$nodes"); do
  join=()
  [ "$i" -gt 1 ] && join=(--join "${servers[0]}")
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/n$i.cg" \
    "$drl" node --listen 127.0.0.1:0 --port-file "$work/n$i.port" --id "n$i" --threads 1 \
    --queue-target-ms 10000 --default-timeout-ms 60000 "${join[@]}" >"$work/n$i.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 600); do [ -s "$work/n$i.port" ] && break; sleep 0.1; done
  [ -s "$work/n$i.port" ] || { echo "cluster_profile: n$i did not start" >&2; cat "$work/n$i.log" >&2; exit 1; }
  servers+=("127.0.0.1:$(cat "$work/n$i.port")")
done

# Every node must see all the others before the load starts (gossip is slow under callgrind).
members() {
  "$drl" status --server "$1" --json 2>/dev/null |
    python3 -c 'import json,sys; m=json.load(sys.stdin)["members"]; print(len(m) if isinstance(m, list) else m)' \
      2>/dev/null || echo 0
}
for s in "${servers[@]}"; do
  for _ in $(seq 600); do [ "$(members "$s")" -ge "$nodes" ] && break; sleep 0.2; done
  [ "$(members "$s")" -ge "$nodes" ] || { echo "cluster_profile: $s never saw $nodes members" >&2; exit 1; }
done

for p in "${pids[@]}"; do callgrind_control -i on "$p" >/dev/null 2>&1; done
load=(--rate "$rate")
if [ "${SMART:-0}" = 1 ]; then
  load=(--smart)
  rate=closed-loop-smart
fi
all=$(IFS=,; echo "${servers[*]}")
line=$("$drl" bench --servers "$all" --connections $((3 * nodes)) --pipeline 4 --keys 10000 \
  --limit 1000000000 --duration "${seconds}s" "${load[@]}" --json 2>"$work/bench.err" | tail -n 1) ||
  { echo "cluster_profile: drl bench failed:" >&2; cat "$work/bench.err" >&2; exit 1; }
for p in "${pids[@]}"; do callgrind_control -i off "$p" >/dev/null 2>&1; done
for p in "${pids[@]}"; do kill -TERM "$p"; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

checks=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["allowed"]+r["denied"])' "$line")
[ "$checks" -gt 0 ] || { echo "cluster_profile: no check answered: $line" >&2; exit 1; }
sum=0
shares=""
for i in $(seq 1 "$nodes"); do
  t=$(callgrind_annotate "$work/n$i.cg" 2>/dev/null | awk '/PROGRAM TOTALS/ && !t { gsub(",", "", $1); t = $1 } END { print t + 0 }')
  sum=$((sum + t))
  shares="$shares n$i=$((t / checks))"
done
echo "nodes=$nodes rate=$rate checks=$checks instructions_per_check=$((sum / checks)) per node:$shares"
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$work"/*.cg "$KEEP"/; fi
if [ "${ANNOTATE:-0}" = 1 ]; then
  callgrind_annotate --inclusive=yes "$work/n1.cg" 2>/dev/null | sed -n '/PROGRAM TOTALS/,$p' | head -60
fi
