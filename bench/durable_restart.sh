#!/usr/bin/env bash
# The restart time of a durable node by the number of keys it holds (docs/optimization.md,
# "Restart"). For each size: one durable node is filled with `drl bench --key-dist sequential`
# (N checks ask for N distinct keys; a day-long fixed window, so every key is written) until
# `drl status` says it holds N keys, then killed with kill -9. Its data dir is then started
# once per drl given, each on a fresh copy of the same bytes: wall time from exec to the port
# file (the node writes it once loaded and listening; the copy is in the page cache), CPU-s
# and peak RSS (VmHWM) at that moment, the keys `drl status` counts, and the data dir's bytes
# per key.
#
# Usage: bench/durable_restart.sh [DRL...]   (default build/bin/drl; the first one's node is
#        filled, so its snapshot and log are what every DRL loads)
# Env: SIZES ("1000000 6250000 10000000"), FSYNC (10ms), DATA (where the data dirs go; default /tmp),
#      START_TIMEOUT (1800 s per start), NODE_ARGS (more node flags), CLI (the drl that runs
#      `bench --key-dist sequential` and `status`; default the first DRL), FILLER (a
#      build/bin/durable_fill: fill in-process through the node's durable storage instead of
#      through `drl bench`, minutes faster on a busy host; the restarts still count the keys).
set -euo pipefail
drls=("$@")
[[ ${#drls[@]} -gt 0 ]] || drls=("${DRL:-build/bin/drl}")
cli=${CLI:-${drls[0]}}
read -r -a sizes <<<"${SIZES:-1000000 6250000 10000000}"
FSYNC=${FSYNC:-10ms}
read -r -a node_args <<<"${NODE_ARGS:---queue-target-ms 100 --default-timeout-ms 10000}"
work=$(mktemp -d "${DATA:-/tmp}/drl-restart-XXXXXX")
node_pid=""
bench_pid=""
stop_node() {
  if [[ -n "$node_pid" ]]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  node_pid=""
}
cleanup() {
  [[ -z "$bench_pid" ]] || kill "$bench_pid" 2>/dev/null || true
  stop_node
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

# start_node DRL DIR LOG: a durable node on DIR; sets node_pid, server, ready_s (exec to ready).
start_node() {
  local drl=$1 dir=$2 log=$3
  rm -f "$work/port"
  local t0
  t0=$(date +%s.%N)
  "$drl" node --listen 127.0.0.1:0 --id restart --port-file "$work/port" "${node_args[@]}" \
    --storage durable --data-dir "$dir" --fsync-interval "$FSYNC" 2>"$log" >/dev/null &
  node_pid=$!
  for _ in $(seq 1 $((${START_TIMEOUT:-1800} * 20))); do
    [[ -s "$work/port" ]] && break
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.05
  done
  [[ -s "$work/port" ]] || { echo "node did not start:"; cat "$log"; exit 1; }
  ready_s=$(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')")
  server="127.0.0.1:$(cat "$work/port")"
}

# The keys the node holds, or 0 when it did not answer.
keys_held() {
  "$cli" status --server "$server" --json 2>/dev/null |
    python3 -c "import json,sys; print(json.load(sys.stdin)['keys'])" 2>/dev/null || echo 0
}

printf '%-10s %-28s %9s %7s %8s %9s %10s %8s\n' keys drl held wall_s cpu_s rss_mib disk_mib B/key
for n in "${sizes[@]}"; do
  dir="$work/fill-$n"
  if [[ -n "${FILLER:-}" ]]; then
    # In-process fill through the node's durable storage (bench/durable_fill.cpp), then a
    # clean stop: the dir is the snapshot and log a node that decided N keys leaves.
    held=$("$FILLER" "$dir" "$n" restart | tail -1 | cut -d" " -f1)
  else
    start_node "${drls[0]}" "$dir" "$work/fill-$n.log"
    # One bench run (a fresh run would start again from key 0), stopped once the node holds N
    # keys; it asks for key 0, 1, 2, ... so it stops a few pipelines' worth after key N-1.
    "$cli" bench --servers "$server" --connections 50 --pipeline 16 --keys "$n" \
      --key-dist sequential --algorithm fixed_window --limit 1000000000 --window 1d \
      --duration 3h --json >/dev/null 2>&1 &
    bench_pid=$!
    # A node saturated by the fill answers status late or not at all: pause the bench to ask.
    held=0
    while ((held < n)) && kill -0 "$bench_pid" 2>/dev/null; do
      sleep 2
      kill -STOP "$bench_pid"
      held=$(keys_held)
      kill -CONT "$bench_pid"
    done
    kill -STOP "$bench_pid" 2>/dev/null || true
    held=$(keys_held)
    kill -CONT "$bench_pid" 2>/dev/null || true
    kill "$bench_pid" 2>/dev/null || true; wait "$bench_pid" 2>/dev/null || true
    ((held >= n)) || { echo "the fill stopped at $held keys of $n"; exit 1; }
    kill -9 "$node_pid"; wait "$node_pid" 2>/dev/null || true; node_pid=""
  fi
  bytes=$(du -sb "$dir" | cut -f1)
  echo "# $n keys: filled to $held keys; data dir: $(cd "$dir" && for f in snapshot-* log-*; do [[ -e $f ]] && printf '%s %s  ' "$f" "$(stat -c %s "$f")"; done)"
  for drl in "${drls[@]}"; do
    rm -rf "$dir.run"; cp -a "$dir" "$dir.run"
    start_node "$drl" "$dir.run" "$work/run-$n.log"
    read -r -a stat <"/proc/$node_pid/stat"
    cpu=$(python3 -c "import os; print(f'{(${stat[13]} + ${stat[14]}) / os.sysconf(\"SC_CLK_TCK\"):.1f}')")
    rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$node_pid/status")
    now_held=$(keys_held)
    stop_node
    printf '%-10s %-28s %9s %7s %8s %9s %10s %8s\n' "$n" "$drl" "$now_held" "$ready_s" "$cpu" "$rss" \
      "$((bytes >> 20))" "$((bytes / now_held))"
    grep "durable: loaded" "$work/run-$n.log" | sed 's/^.*durable: /#   /'
  done
  rm -rf "$dir" "$dir.run"
done
