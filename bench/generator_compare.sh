#!/usr/bin/env bash
# Two `drl bench` generators against the same node and the same 3-node cluster, alternating
# within each round, with Redis PING and Redis + Lua at pipeline 16 in the same rounds: how a
# change of the generator (issue 22: a key per check from 1 M instead of 64 bodies cycled per
# connection) moves the native figures. Prints one line per run: checks/s, p99 ms and the
# distinct keys asked for ("-" from a bench that does not report them).
# Usage: bench/generator_compare.sh OLD_DRL_BINARY. Env: NEW (default build/bin/drl, which
# also runs the nodes), ROUNDS (3), DURATION (5s). Needs redis-server and redis-tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
new=${NEW:-$root/build/bin/drl}
old=${1:?usage: bench/generator_compare.sh OLD_DRL_BINARY  (env NEW, ROUNDS, DURATION)}
rounds=${ROUNDS:-3}
dur=${DURATION:-5s}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf $work' EXIT
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
rport=$(free_port)
redis-server --port $rport --bind 127.0.0.1 --save '' --appendonly no >$work/redis.log 2>&1 & pids+=($!)
port=$(free_port)
$new node --listen 127.0.0.1:$port --id solo --threads 1 >$work/solo.log 2>&1 & solo=$!; pids+=($solo)
wait_port $rport; wait_port $port
sha=$(redis-cli -p $rport SCRIPT LOAD "$(cat $root/bench/redis_lua_token_bucket.lua)")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
rb() { redis-benchmark -p $rport -n 1200000 -c 50 -P 16 -r 1000000 --csv "$@" 2>/dev/null | tail -n1 | tr -d '"' | cut -d, -f2; }
nat() { # bin servers batch
  $1 bench --servers "$2" --connections 50 --pipeline 16 --batch "$3" --keys 1000000 --duration $dur --json 2>/dev/null | tail -n1 |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.0f %.2f %s" % (r["checks_per_sec"], r["p99_us"]/1000, r.get("distinct_keys","-")))'
}
for r in $(seq $rounds); do
  echo "round $r 1node ping $(rb PING)"
  echo "round $r 1node lua $(rb EVALSHA $sha 1 'key:__rand_int__' 100 0.1 1)"
  echo "round $r 1node old_native $(nat $old 127.0.0.1:$port 1)"
  echo "round $r 1node new_native $(nat $new 127.0.0.1:$port 1)"
  echo "round $r 1node old_batch64 $(nat $old 127.0.0.1:$port 64)"
  echo "round $r 1node new_batch64 $(nat $new 127.0.0.1:$port 64)"
done
echo "keys held by the node: $($new status --server 127.0.0.1:$port --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"])')"
kill $solo; wait $solo 2>/dev/null || true
base=$(free_port)
$new cluster --nodes 3 --base-port $base --dir $work/cluster --node-arg=--threads --node-arg=1 >$work/cluster.log 2>&1 & pids+=($!)
for i in 0 1 2; do wait_port $((base+i)); done
for _ in $(seq 100); do  # until the cluster has formed: every node lists 3 members
  n=$($new status --server 127.0.0.1:$base --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["members"]))' 2>/dev/null || echo 0)
  [ "$n" = 3 ] && break
  sleep 0.1
done
servers=127.0.0.1:$base,127.0.0.1:$((base+1)),127.0.0.1:$((base+2))
for r in $(seq $rounds); do
  echo "round $r 3nodes old_native $(nat $old $servers 1)"
  echo "round $r 3nodes new_native $(nat $new $servers 1)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
