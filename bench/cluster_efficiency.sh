#!/usr/bin/env bash
# What a check costs a cluster: the CPU time all drl nodes spend per million checks decided,
# for one node, 3 nodes with the smart client (each check sent to its key's owner) and
# 3 nodes with the clients spread over the nodes (2 of 3 checks forwarded), at the same
# open-loop rate, each against one node driven by the same client (1-smart for 3-smart, the
# plain bench for the others: on loopback a node's CPU includes waking its client's reader,
# so one client shape must not be compared with another), so the ratios to one node say
# what a check costs on any number of machines (checks per second on this one machine
# cannot: its cores are shared by every node and the generator). CPU time is utime + stime of every node process from /proc/PID/stat, read just
# before and just after the load; the generator is not counted. Each configuration starts
# afresh (empty stores, default 3 replicas); rounds run the configurations one after another
# in a rotating order, and the table gives medians with their ranges.
#
# Two regimes: RATE (default 100000 checks/s, coalesced: requests due on the same 100 us tick
# leave together, as a pipelining client sends its queue) and LOW_RATE (default 2000 checks/s,
# each request its own write and read). Keys: KEYS (default 1000000) drawn uniformly; the
# limit is generous (a token bucket of 10^9 per second), so every check is decided and stored.
#
# Usage: bench/cluster_efficiency.sh [OUT_DIR]   (default bench/results-efficiency)
# Env: ROUNDS (3), RATE, LOW_RATE, DURATION (seconds per run, 8), CONNECTIONS (16), THREADS
#      (I/O threads per node, 1), KEYS, BUILD (build), CONFIGS (default
#      "1 1-smart 3-smart 3-spread"; configurations: 1 (one node, the plain bench), 1-smart (one
#      node, the smart client: 3-smart's baseline), 3-smart, 3-spread, and 3-spread-sealed:
#      3-spread with a cluster key,
#      every gossip packet and peer frame sealed, to measure what the encryption costs),
#      NODE_ARGS (extra arguments for every node, e.g. "--queue-target-ms 10000" on a host so
#      busy that the nodes would shed load: shed checks are not decided, and a run that
#      decides fewer than 95% of its rate is marked INVALID).
# Writes OUT_DIR/results.tsv (one line per run) and OUT_DIR/report.md (the medians), and
# prints the report. A run counts only if the checks decided reached 95% of the rate (else it
# is marked INVALID and left out of the medians). A generator that fell behind its schedule
# (drl bench's own verdict) leaves the CPU figure valid but its latency not: the table's
# "generator behind" column counts such runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build}
drl=$build/bin/drl
out=${1:-$root/bench/results-efficiency}
rounds=${ROUNDS:-3}
rate=${RATE:-100000}
low_rate=${LOW_RATE:-2000}
duration=${DURATION:-8}
connections=${CONNECTIONS:-16}
threads=${THREADS:-1}
keys=${KEYS:-1000000}
configs=${CONFIGS:-"1 1-smart 3-smart 3-spread"}
[ -x "$drl" ] || { echo "cluster_efficiency: $drl not found (scripts/build.sh)" >&2; exit 2; }
for c in $configs; do
  case $c in 1|1-smart|3-smart|3-spread|3-spread-sealed) ;; *) echo "cluster_efficiency: unknown config $c" >&2; exit 2 ;; esac
done
mkdir -p "$out"
work=$(mktemp -d)
pids=()
stop_nodes() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() { stop_nodes; rm -rf "$work"; }
trap cleanup EXIT
ticks=$(getconf CLK_TCK)

# cpu_ticks PID...: utime + stime of the processes, summed (fields 14 and 15 of
# /proc/PID/stat, counted after the command name, which may hold spaces).
cpu_ticks() {
  local p sum=0 stat rest
  for p in "$@"; do
    stat=$(cat "/proc/$p/stat")
    rest=${stat##*) }
    read -r -a f <<<"$rest"
    sum=$((sum + f[11] + f[12]))
  done
  echo "$sum"
}

members() {
  "$drl" status --server "$1" --json 2>/dev/null |
    python3 -c 'import json,sys; m=json.load(sys.stdin)["members"]; print(len(m) if isinstance(m, list) else m)' \
      2>/dev/null || echo 0
}

# start_nodes N: N fresh nodes on free ports; sets servers (HOST:PORT list) and pids. The
# array config_args holds the configuration's own node arguments.
servers=()
config_args=()
openssl rand -hex 32 >"$work/cluster.key" 2>/dev/null ||
  python3 -c 'import secrets; print(secrets.token_hex(32))' >"$work/cluster.key"
start_nodes() {
  local n=$1 i join
  servers=()
  rm -rf "$work/nodes" && mkdir -p "$work/nodes"
  for ((i = 1; i <= n; i++)); do
    join=()
    ((i == 1)) || join=(--join "${servers[0]}")
    "$drl" node --listen 127.0.0.1:0 --port-file "$work/nodes/n$i.port" --id "n$i" \
      --threads "$threads" "${join[@]}" "${config_args[@]}" ${NODE_ARGS:-} >"$work/nodes/n$i.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 300); do [ -s "$work/nodes/n$i.port" ] && break; sleep 0.1; done
    [ -s "$work/nodes/n$i.port" ] || { echo "cluster_efficiency: n$i did not start" >&2; cat "$work/nodes/n$i.log" >&2; return 1; }
    servers+=("127.0.0.1:$(cat "$work/nodes/n$i.port")")
  done
  local s
  for s in "${servers[@]}"; do
    for _ in $(seq 300); do [ "$(members "$s")" -ge "$n" ] && break; sleep 0.2; done
    [ "$(members "$s")" -ge "$n" ] || { echo "cluster_efficiency: $s never saw $n members" >&2; return 1; }
  done
}

# run_one CONFIG RATE ROUND: one fresh cluster, one load; appends a line to results.tsv.
run_one() {
  local config=$1 r=$2 round=$3 n=1 load=(--coalesce)
  config_args=()
  case $config in
    1-smart) load=(--smart) ;;
    3-smart) n=3 load=(--smart) ;;
    3-spread) n=3 ;;
    3-spread-sealed) n=3 config_args=(--cluster-key-file "$work/cluster.key") ;;
  esac
  ((r == low_rate)) && [ "${load[0]}" = --coalesce ] && load=()
  start_nodes "$n" || { stop_nodes; return 1; }
  local all; all=$(IFS=,; echo "${servers[*]}")
  local before after line
  before=$(cpu_ticks "${pids[@]}")
  line=$("$drl" bench --servers "$all" --connections "$connections" --keys "$keys" \
    --algorithm token_bucket --limit 1000000000 --window 1s --rate "$r" \
    --duration "${duration}s" "${load[@]}" --json 2>"$work/bench.err" | tail -n 1) || true
  after=$(cpu_ticks "${pids[@]}")
  stop_nodes
  [ -n "$line" ] || { echo "cluster_efficiency: drl bench failed:" >&2; cat "$work/bench.err" >&2; return 1; }
  python3 - "$config" "$r" "$round" "$n" "$((after - before))" "$ticks" "$duration" "$line" >>"$out/results.tsv" <<'EOF'
import json, sys
config, rate, rnd, nodes, dt, hz, duration, line = sys.argv[1:]
b = json.loads(line)
checks = b["allowed"] + b["denied"]
cpu = int(dt) / int(hz)
valid = checks >= 0.95 * float(rate) * float(duration)
per_m = cpu / (checks / 1e6) if checks else float("nan")
schedule = "kept" if b.get("valid", True) else "behind"
print("\t".join(str(x) for x in [config, rate, rnd, nodes, checks, f"{cpu:.2f}", f"{per_m:.3f}",
      b["p50_us"], b["p99_us"], b["distinct_keys"], b["errors"], "ok" if valid else "INVALID",
      schedule]))
EOF
  tail -n 1 "$out/results.tsv" | awk -F'\t' '{printf "  %-9s %7s/s round %s: %s checks, %s cpu-s, %s cpu-s per M checks, p50 %s us, p99 %s us, %s keys, %s errors, %s, generator %s\n", $1, $2, $3, $5, $6, $7, $8, $9, $10, $11, $12, $13}'
}

printf 'config\trate\tround\tnodes\tchecks\tcpu_s\tcpu_s_per_m\tp50_us\tp99_us\tdistinct_keys\terrors\tvalid\tschedule\n' >"$out/results.tsv"
echo "cluster_efficiency: $drl; $rounds rounds; rates $rate and $low_rate/s; ${duration}s each;" \
  "$connections connections; $keys keys; $threads I/O thread(s) per node; load average $(cut -d' ' -f1-3 /proc/loadavg)"
read -r -a cfg <<<"$configs"
for ((round = 1; round <= rounds; round++)); do
  echo "== round $round of $rounds"
  for r in "$rate" "$low_rate"; do
    for ((k = 0; k < ${#cfg[@]}; k++)); do  # rotate the order each round
      run_one "${cfg[$(((k + round - 1) % ${#cfg[@]}))]}" "$r" "$round" || true
    done
  done
done

python3 - "$out/results.tsv" >"$out/report.md" <<'EOF'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")]
print("| rate | config | CPU-s per M checks (median, range) | x its baseline | p50 us | p99 us | checks (median) | distinct keys | valid runs | generator behind |")
print("|---|---|---|---|---|---|---|---|---|---|")
# Each configuration against one node driven by the same client: 3-smart against 1-smart
# (or 1 when 1-smart was not run), the others against 1.
BASELINE = {"1": "1", "1-smart": "1", "3-smart": "1-smart", "3-spread": "1", "3-spread-sealed": "1"}
for rate in dict.fromkeys(r["rate"] for r in rows):
    medians = {}
    for config in ["1", "1-smart", "3-smart", "3-spread", "3-spread-sealed"]:
        runs = [r for r in rows if r["rate"] == rate and r["config"] == config]
        ok = [r for r in runs if r["valid"] == "ok"]
        if not runs:
            continue
        if not ok:
            print(f"| {rate} | {config} | no valid run | | | | | | 0/{len(runs)} |")
            continue
        m = statistics.median(float(r["cpu_s_per_m"]) for r in ok)
        medians[config] = m
        lo = min(float(r["cpu_s_per_m"]) for r in ok)
        hi = max(float(r["cpu_s_per_m"]) for r in ok)
        base_name = BASELINE.get(config)
        if base_name == "1-smart" and base_name not in medians:
            base_name = "1"
        ratio = f"{m / medians[base_name]:.2f}x of {base_name}" if base_name in medians else "-"
        med = lambda f: statistics.median(float(r[f]) for r in ok)
        print(f"| {rate} | {config} | {m:.2f} ({lo:.2f}-{hi:.2f}) | {ratio} | {med('p50_us'):.0f} | "
              f"{med('p99_us'):.0f} | {med('checks'):.0f} | {med('distinct_keys'):.0f} | {len(ok)}/{len(runs)} | "
              f"{sum(r['schedule'] == 'behind' for r in ok)} |")
EOF
echo
cat "$out/report.md"
