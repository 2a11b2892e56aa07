#!/usr/bin/env bash
# What TLS costs a node: CPU-seconds of the node per million checks with TLS against without,
# in the same run, with the same generator. Two nodes of one build run side by side (1 I/O
# thread each), one plaintext and one with --tls-cert/--tls-key/--tls-ca (a throwaway CA made
# here with the openssl CLI); every round drives each in turn with `drl bench` (50
# connections, pipeline 16, one check per frame, 1 M keys; over TLS with --tls-ca). The
# node's CPU is utime + stime from /proc/PID/stat around each run (bench/cluster_efficiency.sh
# reads it the same way), divided by the checks answered (OVERLOADED answers included: on a
# busy host the node sheds, and a shed answer costs CPU too). Prints one line per run and the median TLS/plain ratio of CPU per
# check and of throughput over the rounds; the rounds alternate, so a busy machine slows both.
# Usage: bench/tls_cost.sh. Env: DRL (default build/bin/drl), ROUNDS (5), DURATION (5s),
# PIPELINE (16), BATCH (1), CONNECTIONS (50; fewer keeps the node from shedding, so both
# sides decide every check).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
drl=${DRL:-$root/build/bin/drl}
rounds=${ROUNDS:-5}
dur=${DURATION:-5s}
pipeline=${PIPELINE:-16}
batch=${BATCH:-1}
connections=${CONNECTIONS:-50}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf $work' EXIT
ticks=$(getconf CLK_TCK)

key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $key -keyout "$work/ca.key" -out "$work/ca.pem" -days 1 -subj /CN=bench-ca \
  -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req $key -keyout "$work/node.key" -out "$work/node.csr" -subj /CN=node 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$work/ext"
openssl x509 -req -in "$work/node.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -days 1 -extfile "$work/ext" -out "$work/node.pem" 2>/dev/null

start_node() { # name [flags...]; sets NAME_port and NAME_pid
  local name=$1
  shift
  "$drl" node --id "$name" --listen 127.0.0.1:0 --port-file "$work/$name.port" --threads 1 "$@" \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
  printf -v "${name}_pid" %s "$!"
  for _ in $(seq 400); do
    [ -s "$work/$name.port" ] && break
    sleep 0.05
  done
  [ -s "$work/$name.port" ] || { echo "tls_cost: $name did not start: $(tail -3 "$work/$name.log")" >&2; exit 2; }
  printf -v "${name}_port" %s "$(cat "$work/$name.port")"
}
start_node plain
start_node tls --tls-cert "$work/node.pem" --tls-key "$work/node.key" --tls-ca "$work/ca.pem"

cpu_ticks() { # PID -> utime + stime
  local stat rest
  stat=$(cat "/proc/$1/stat")
  rest=${stat##*) }
  read -r -a f <<<"$rest"
  echo $((f[11] + f[12]))
}

run() { # side -> "checks_per_sec cpu_s_per_million_checks"
  local port=${1}_port pid=${1}_pid tls=()
  [ "$1" = tls ] && tls=(--tls-ca "$work/ca.pem")
  local before after out
  before=$(cpu_ticks "${!pid}")
  out=$("$drl" bench --servers "127.0.0.1:${!port}" --connections "$connections" --pipeline "$pipeline" \
    --batch "$batch" --keys 1000000 --duration "$dur" --json "${tls[@]}" 2>/dev/null | tail -n1)
  after=$(cpu_ticks "${!pid}")
  python3 -c '
import json, sys
r = json.loads(sys.argv[1]); cpu = (int(sys.argv[3]) - int(sys.argv[2])) / int(sys.argv[4])
checks = r["allowed"] + r["denied"] + r["errors"]  # every answer (a shed one too) costs
print("%.0f %.3f %d" % (r["checks_per_sec"], cpu / checks * 1e6 if checks else float("nan"), r["errors"]))
' "$out" "$before" "$after" "$ticks"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $connections connections, pipeline $pipeline, batch $batch, $dur per run"
for r in $(seq "$rounds"); do
  for side in plain tls; do
    echo "round $r $side $(run $side)"
  done
done | tee "$work/runs"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/runs" <<'PY'
import collections, statistics, sys
v = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    _, r, side, rate, cpu, errors = line.split()
    v[side][r] = (float(rate), float(cpu))
for side in ("plain", "tls"):
    rates = [x[0] for x in v[side].values()]; cpus = [x[1] for x in v[side].values()]
    print("%-5s checks/s median %.0f; node CPU-s per million checks median %.3f (range %.3f-%.3f)"
          % (side, statistics.median(rates), statistics.median(cpus), min(cpus), max(cpus)))
rounds = sorted(set(v["plain"]) & set(v["tls"]))
cpu = [v["tls"][r][1] / v["plain"][r][1] for r in rounds]
rate = [v["tls"][r][0] / v["plain"][r][0] for r in rounds]
print("TLS/plain CPU per check: median %.2fx (range %.2f-%.2f); throughput: median %.2fx"
      % (statistics.median(cpu), min(cpu), max(cpu), statistics.median(rate)))
PY
