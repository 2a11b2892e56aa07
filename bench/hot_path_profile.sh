#!/usr/bin/env bash
# Instructions per check on the node's hot path, counted by callgrind: repeatable on a noisy,
# shared machine where wall-clock rates move by 20% between runs. Counts user-space
# instructions of the whole node process (every thread) while the load runs; the kernel's
# share (a syscall is one instruction here) is not in it. The node runs ~50x slower under
# callgrind, so its read batches are as deep as the pipelines allow (and its deadline is
# raised to 60 s so that nothing is shed): the figure is the steady-state cost of a check,
# not of an idle node's first one.
#
# Usage: bench/hot_path_profile.sh CASE [SECONDS]
#   CASE: native (drl bench, 50 connections, pipeline 16, one check per request),
#         batch64 (the same, 64 checks per request), resp (redis-benchmark CL.THROTTLE,
#         50 connections, pipeline 16), resp_ping (redis-benchmark PING, per command).
# Env: BUILD (default build), NODE_ARGS (extra `drl node` flags, e.g. "--threads 1"),
#      ANNOTATE=1 (print the top functions by instructions), KEEP=FILE (keep the callgrind output).
# Prints: "<case> session_instructions_per_check=<n> instructions_per_check=<n> checks=<n>":
# the first counts the request path only (see below), the second the whole process.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
case_name=${1:?usage: bench/hot_path_profile.sh native|batch64|resp|resp_ping [SECONDS]}
seconds=${2:-8}
drl=$build/bin/drl
[ -x "$drl" ] || { echo "profile: $drl not found" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "profile: valgrind missing" >&2; exit 2; }
work=$(mktemp -d)
node_pid=
cleanup() {
  [ -n "$node_pid" ] && kill "$node_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# shellcheck disable=SC2086
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.out" \
  "$drl" node --listen 127.0.0.1:0 --resp 127.0.0.1:0 --port-file "$work/port" \
  --resp-port-file "$work/resp" --default-timeout-ms 60000 ${NODE_ARGS:-} >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "profile: the node did not start" >&2; cat "$work/node.log" >&2; exit 1; }
port=$(cat "$work/port")
resp=$(cat "$work/resp")
callgrind_control -i on "$node_pid" >/dev/null
case $case_name in
  native | batch64)
    batch=1
    [ "$case_name" = batch64 ] && batch=64
    line=$("$drl" bench --servers "127.0.0.1:$port" --connections 50 --pipeline 16 --batch "$batch" \
      --keys 1000000 --duration "${seconds}s" --json 2>/dev/null | tail -n 1)
    checks=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["allowed"]+r["denied"]+r["errors"])' "$line")
    ;;
  resp | resp_ping)
    # redis-benchmark counts requests, not time: a few thousand per second under callgrind.
    checks=$((seconds * 3000))
    cmd=(CL.THROTTLE 'key:__rand_int__' 100 100 60 1)
    [ "$case_name" = resp_ping ] && cmd=(PING)
    redis-benchmark -p "$resp" -n "$checks" -c 50 -P 16 -r 1000000 -q "${cmd[@]}" >/dev/null 2>&1
    ;;
  *)
    echo "profile: unknown case '$case_name'" >&2
    exit 2
    ;;
esac
callgrind_control -i off "$node_pid" >/dev/null
kill -TERM "$node_pid"
wait "$node_pid" 2>/dev/null || true
node_pid=
total=$(callgrind_annotate "$work/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ && !t { gsub(",", "", $1); t = $1 } END { print t }')
# The request path alone: the sessions' input handling (read -> parse -> decide -> encode),
# without the timer-driven background (expiry, cluster ticks), which runs by wall-clock time
# and so weighs ~50x more per check under callgrind than at full speed.
session=$(callgrind_annotate --inclusive=yes "$work/cg.out" 2>/dev/null |
  awk '/Session::process_input\(\) \[/ { gsub(",", "", $1); s += $1 } END { print s + 0 }')
echo "$case_name session_instructions_per_check=$((session / checks)) instructions_per_check=$((total / checks)) checks=$checks"
[ -n "${KEEP:-}" ] && cp "$work/cg.out" "$KEEP"
if [ "${ANNOTATE:-0}" = 1 ]; then
  callgrind_annotate --inclusive=no "$work/cg.out" 2>/dev/null | sed -n '/PROGRAM TOTALS/,$p' | head -45
fi
