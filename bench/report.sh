#!/usr/bin/env bash
# The side-by-side performance report: one run measures, on this machine,
#   - a bare request/response floor (PING on Redis, and PING on drl's RESP door),
#   - Redis 7 with a Lua token bucket (bench/redis_lua_token_bucket.lua),
#   - drl through its RESP front door (CL.THROTTLE), one node and a 3-node cluster,
#   - drl's native protocol through `drl bench`, single checks and batches of 64,
#   - drl as Envoy's rate limit service (gRPC ShouldRateLimit, `drl bench --protocol rls`)
#     against a gRPC floor measured in the same run (the same call in an unconfigured domain,
#     answered without a check: a no-op on the same server and client), 8 channels at 1 and 16
#     calls in flight each,
#   - drl's HTTP/JSON door (POST /v1/check, `drl bench --protocol http`) against a GET /healthz
#     floor measured in the same run, 8 keep-alive connections with one request in flight each
#     (HTTP/1.1 does not pipeline; reported as pipeline 1),
# at pipeline 1 and 16 with 50 connections (redis-benchmark is the one client of the first
# three), then the engine micro-benchmarks. Writes OUT/results.tsv (every run),
# OUT/report.md (medians) and, when gnuplot is installed, OUT/throughput.png and
# OUT/latency.png.
#
# The machine may be shared and noisy, so every case runs ROUNDS times, the cases of one
# round one after another (Redis, then drl), and the report gives each case's median and
# range over the rounds; ratios are taken between medians, and the key ratio (CL.THROTTLE
# against Redis + Lua at pipeline 16) is also given round by round.
#
# Usage: bench/report.sh [OUT_DIR] (default bench/results). Env: ROUNDS (default 3),
# REQUESTS (redis-benchmark requests per case at pipeline 1, default 300000; pipeline 16
# runs 4x as many, so that each run lasts seconds), DURATION (drl bench, default 5s), BUILD
# (default build), THREADS (I/O threads of each drl node, default 1: the client shares this
# machine's cores, and one thread measured faster than two on 2 cores; docs/optimization.md),
# MICRO=0 (skip the micro-benchmarks), EFFICIENCY=0 (skip the CPU-per-check table of
# bench/cluster_efficiency.sh). About 12 minutes with the defaults on 2 cores.
# Needs: a built tree (scripts/build.sh), redis-server and redis-tools.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/bench/results}
build=${BUILD:-$root/build}
rounds=${ROUNDS:-3}
requests=${REQUESTS:-300000}
duration=${DURATION:-5s}
threads=${THREADS:-1}
drl=$build/bin/drl
mkdir -p "$out"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

[ -x "$drl" ] || { echo "report: $drl not found; run scripts/build.sh first" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "report: redis-server missing (apt-get install redis-server redis-tools)" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "report: ROUNDS must be a positive integer, not '$rounds'" >&2; exit 2; }

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { # port: poll until something accepts on it (10 s at most)
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "report: nothing listening on port $1" >&2
  return 1
}

results=$out/results.tsv
# The machine is shared: say how busy it was when the run began.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average before the run: $load_before (node I/O threads: $threads, rounds: $rounds)"
printf 'case\tpipeline\tround\tops_per_sec\tp50_ms\tp99_ms\n' >"$results"
round=0
show_last() { tail -n 1 "$results" | awk -F'\t' '{ printf "  %s P=%s: %s/s p50 %s ms p99 %s ms\n", $1, $2, $4, $5, $6 }'; }

# redis-benchmark against a port: name port pipeline command...
rb() {
  local name=$1 port=$2 p=$3 n=$requests
  shift 3
  [ "$p" = 1 ] || n=$((requests * 4))
  redis-benchmark -p "$port" -n "$n" -c 50 -P "$p" -r 1000000 --csv "$@" 2>/dev/null |
    tail -n 1 | tr -d '"' | awk -F, -v n="$name" -v p="$p" -v r="$round" \
      '{ printf "%s\t%s\t%s\t%s\t%s\t%s\n", n, p, r, $2, $6, $8 }' >>"$results"
  show_last
}

native() { # name servers pipeline batch
  local line
  line=$("$drl" bench --servers "$2" --connections 50 --pipeline "$3" --batch "$4" \
    --keys 1000000 --duration "$duration" --json 2>/dev/null | tail -n 1)
  python3 - "$1" "$3" "$round" "$line" >>"$results" <<'EOF'
import json, math, sys
r = json.loads(sys.argv[4])
# The work behind the figure: the distinct keys asked for, against what N uniform draws over
# K keys give (redis-benchmark's -r 1000000 asks for the same).
checks = r["allowed"] + r["denied"] + r["errors"]
expected = r["keys"] * (1 - math.exp(-checks / r["keys"]))
if r["distinct_keys"] < 0.9 * expected:
    sys.stderr.write("report: %s asked for %d distinct keys, expected ~%.0f\n"
                     % (sys.argv[1], r["distinct_keys"], expected))
print("%s\t%s\t%s\t%.0f\t%.3f\t%.3f" % (sys.argv[1], sys.argv[2], sys.argv[3],
      r["checks_per_sec"], r["p50_us"] / 1000, r["p99_us"] / 1000))
sys.stderr.write("  (%d checks over %d distinct keys of %d)\n"
                 % (checks, r["distinct_keys"], r["keys"]))
EOF
  show_last
}

rls() { # pipeline: two rows, the gRPC floor and ShouldRateLimit, from one `drl bench` run
  local line
  line=$("$drl" bench --protocol rls --servers "127.0.0.1:$grpc" --connections 8 \
    --pipeline "$1" --keys 1000000 --duration "$duration" --json 2>/dev/null | tail -n 1)
  python3 - "$1" "$round" "$line" >>"$results" <<'EOF'
import json, sys
r = json.loads(sys.argv[3])
for name, k in (("drl_grpc_noop_floor", "floor"), ("drl_rls_1node", "rls")):
    print("%s\t%s\t%s\t%.0f\t%.3f\t%.3f" % (name, sys.argv[1], sys.argv[2],
          r[k]["calls_per_sec"], r[k]["p50_us"] / 1000, r[k]["p99_us"] / 1000))
sys.stderr.write("  (rls / gRPC floor: %.2f; errors %d)\n" % (r["ratio_to_floor"], r["rls"]["errors"]))
EOF
  tail -n 2 "$results" | awk -F'\t' '{ printf "  %s P=%s: %s/s p50 %s ms p99 %s ms\n", $1, $2, $4, $5, $6 }'
}

http_door() { # two rows, the GET /healthz floor and POST /v1/check, from one `drl bench` run
  local line
  line=$("$drl" bench --protocol http --servers "127.0.0.1:$http" --connections 8 \
    --keys 1000000 --duration "$duration" --json 2>/dev/null | tail -n 1)
  python3 - "$round" "$line" >>"$results" <<'EOF'
import json, sys
r = json.loads(sys.argv[2])
for name, k, rate in (("drl_http_healthz_floor", "floor", "requests_per_sec"),
                      ("drl_http_1node", "http", "checks_per_sec")):
    print("%s\t1\t%s\t%.0f\t%.3f\t%.3f" % (name, sys.argv[1], r[k][rate],
          r[k]["p50_us"] / 1000, r[k]["p99_us"] / 1000))
sys.stderr.write("  (http / floor: %.2f; %d distinct keys; errors %d)\n"
                 % (r["ratio_to_floor"], r["http"]["distinct_keys"], r["http"]["errors"]))
EOF
  tail -n 2 "$results" | awk -F'\t' '{ printf "  %s P=%s: %s/s p50 %s ms p99 %s ms\n", $1, $2, $4, $5, $6 }'
}

echo "== starting Redis 7 and one drl node"
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)
port=$(free_port)
resp=$(free_port)
grpc=$(free_port)
http=$(free_port)
printf 'domain: bench\ndescriptors:\n  - key: key\n    rate_limit: {unit: minute, requests_per_unit: 100}\n' \
  >"$work/rls.yaml"
"$drl" node --listen "127.0.0.1:$port" --resp "127.0.0.1:$resp" --id solo --threads "$threads" \
  --grpc "127.0.0.1:$grpc" --rls-config "$work/rls.yaml" --http "127.0.0.1:$http" \
  >"$work/solo.log" 2>&1 &
solo_pid=$!
pids+=($solo_pid)
wait_port "$rport"
wait_port "$port"
wait_port "$resp"
wait_port "$grpc"
wait_port "$http"
sha=$(redis-cli -p "$rport" SCRIPT LOAD "$(cat "$root/bench/redis_lua_token_bucket.lua")")

for round in $(seq "$rounds"); do
  echo "== round $round of $rounds: Redis (PING floor, Lua token bucket), then drl, one node"
  for p in 1 16; do
    rb redis_ping "$rport" "$p" PING
    rb redis_lua_token_bucket "$rport" "$p" EVALSHA "$sha" 1 'key:__rand_int__' 100 0.1 1
    rb drl_resp_ping "$resp" "$p" PING
    rb drl_resp_throttle_1node "$resp" "$p" CL.THROTTLE 'key:__rand_int__' 100 100 60 1
    native drl_native_1node "127.0.0.1:$port" "$p" 1
    rls "$p"
  done
  native drl_native_batch64_1node "127.0.0.1:$port" 16 64
  http_door
done
kill "$solo_pid" 2>/dev/null || true

echo "== drl, 3-node cluster"
# `drl cluster` takes base, base+1 and base+2; only base was checked free, so try again on
# other ports when one of the three is taken.
start_cluster() {
  local attempt i ok pid
  for attempt in 1 2 3; do
    base=$(free_port)
    rm -rf "$work/cluster"
    "$drl" cluster --nodes 3 --base-port "$base" --dir "$work/cluster" \
      --node-arg=--resp --node-arg="127.0.0.1:0" --node-arg=--threads --node-arg="$threads" \
      >"$work/cluster.log" 2>&1 &
    pid=$!
    ok=1
    for i in 0 1 2; do wait_port $((base + i)) || { ok=0; break; }; done
    if ((ok)); then
      pids+=("$pid")
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "report: the cluster did not come up on ports $base-$((base + 2)) (attempt $attempt)" >&2
  done
  return 1
}
if start_cluster; then
  # The RESP doors bound port 0; each node logs the port it got.
  resp_ports=()
  for _ in $(seq 200); do
    mapfile -t resp_ports < <(grep -ho 'resp listening on [0-9.]*:[0-9]*' "$work"/cluster/n*.log 2>/dev/null | awk -F: '{print $NF}')
    ((${#resp_ports[@]} >= 3)) && break
    sleep 0.05
  done
  servers="127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))"
  for round in $(seq "$rounds"); do
    echo "== round $round of $rounds: 3-node cluster"
    for p in 1 16; do
      if ((${#resp_ports[@]} >= 1)); then
        rb drl_resp_throttle_3nodes "${resp_ports[0]}" "$p" CL.THROTTLE 'key:__rand_int__' 100 100 60 1
      fi
      native drl_native_3nodes "$servers" "$p" 1
    done
    native drl_native_batch64_3nodes "$servers" 16 64
  done
else
  echo "report: no 3-node cluster (see above); the report leaves its rows out" >&2
fi

echo "== engine micro-benchmarks (MICRO=0 skips them)"
for b in $([ "${MICRO:-1}" = 0 ] || echo limits_bench store_bench); do
  if [ -x "$build/bin/$b" ]; then
    "$build/bin/$b" --benchmark_min_time=0.2 --benchmark_format=console 2>/dev/null |
      tee "$out/$b.txt" | tail -n +1 >/dev/null
    echo "  $b -> $out/$b.txt"
  fi
done

python3 - "$results" "$out/report.md" "$out/medians.tsv" "$load_before" "$threads" "$rounds" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
cases = []
for r in rows:
    if (r["case"], r["pipeline"]) not in cases:
        cases.append((r["case"], r["pipeline"]))
def runs(c, p):
    return [r for r in rows if r["case"] == c and r["pipeline"] == p]
def median(c, p, field):
    v = [float(r[field]) for r in runs(c, p)]
    return statistics.median(v) if v else None
with open(sys.argv[2], "w") as f, open(sys.argv[3], "w") as m:
    f.write("Load average before the run: %s; drl node I/O threads: %s; %s rounds, medians "
            "(range in brackets).\n\n" % (sys.argv[4], sys.argv[5], sys.argv[6]))
    f.write("| case | pipeline | ops/s | p50 ms | p99 ms | vs Redis+Lua | vs PING floor |\n")
    f.write("| --- | --- | --- | --- | --- | --- | --- |\n")
    m.write("case\tpipeline\tops_per_sec\tp50_ms\tp99_ms\n")
    for c, p in cases:
        ops = [float(r["ops_per_sec"]) for r in runs(c, p)]
        v = median(c, p, "ops_per_sec")
        lua = median("redis_lua_token_bucket", p, "ops_per_sec")
        ping = median("redis_ping", p, "ops_per_sec")
        p50, p99 = median(c, p, "p50_ms"), median(c, p, "p99_ms")
        spread = " (%.0f-%.0f)" % (min(ops), max(ops)) if len(ops) > 1 else ""
        f.write("| %s | %s | %.0f%s | %.3f | %.3f | %s | %s |\n" % (c, p, v, spread, p50, p99,
                "%.2fx" % (v / lua) if lua else "-", "%.2fx" % (v / ping) if ping else "-"))
        m.write("%s\t%s\t%.0f\t%.3f\t%.3f\n" % (c, p, v, p50, p99))
    # The issue-7 target, round by round: CL.THROTTLE through RESP at pipeline 16 against
    # Redis + Lua and the Redis PING floor of the same round.
    by_round = {}
    for r in rows:
        if r["pipeline"] == "16":
            by_round.setdefault(r["round"], {})[r["case"]] = float(r["ops_per_sec"])
    f.write("\nRound by round, pipeline 16: drl CL.THROTTLE (one node) against the same round's "
            "Redis + Lua and Redis PING.\n\n| round | vs Redis+Lua | vs PING floor |\n"
            "| --- | --- | --- |\n")
    for k in sorted(by_round, key=int):
        d = by_round[k]
        t, lua, ping = (d.get("drl_resp_throttle_1node"), d.get("redis_lua_token_bucket"),
                        d.get("redis_ping"))
        if t and lua and ping:
            f.write("| %s | %.2fx | %.2fx |\n" % (k, t / lua, t / ping))
print(open(sys.argv[2]).read())
EOF

if command -v gnuplot >/dev/null; then
  awk -F'\t' 'NR > 1 { print $1 "/P" $2, $3, $4, $5 }' "$out/medians.tsv" >"$work/plot.dat"
  gnuplot <<EOF
set terminal png size 1100,600 noenhanced
set style data histograms
set logscale y
set bmargin 12
set rmargin 10
set style fill solid 0.8
set xtics rotate by -35
set grid ytics
set output "$out/throughput.png"
set title "Throughput (ops/s), 50 connections, this machine, median of $rounds rounds"
plot "$work/plot.dat" using 2:xtic(1) title "ops/s"
set output "$out/latency.png"
set title "Latency (ms), median of $rounds rounds"
plot "$work/plot.dat" using 3:xtic(1) title "p50", "" using 4 title "p99"
EOF
  echo "charts: $out/throughput.png $out/latency.png"
else
  echo "(install gnuplot-nox for the PNG charts)"
fi
# The CPU a check costs a cluster (bench/cluster_efficiency.sh), its own table after the
# others; EFFICIENCY=0 skips it (about 3 minutes a round).
if [ "${EFFICIENCY:-1}" != 0 ]; then
  echo "== CPU per check: 1 node (plain and smart client), 3 nodes smart, 3 nodes spread (bench/cluster_efficiency.sh)"
  if ROUNDS=$rounds BUILD=$build THREADS=$threads "$root/bench/cluster_efficiency.sh" \
      "$out/efficiency" >"$work/efficiency.log" 2>&1; then
    { echo; echo "CPU-seconds of all drl nodes per million checks, same open-loop rate:"; echo;
      cat "$out/efficiency/report.md"; } | tee -a "$out/report.md"
  else
    echo "report: cluster_efficiency.sh failed:" >&2
    tail -n 20 "$work/efficiency.log" >&2
  fi
fi
echo "results: $results (every run), $out/medians.tsv, report: $out/report.md"
