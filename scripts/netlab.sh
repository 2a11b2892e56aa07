#!/usr/bin/env bash
# The network lab: drl nodes on a real (virtual) network with packet loss and one-way cuts.
#
# Builds, in network namespaces of its own (names drlnl<pid>-*; nothing in the root namespace
# changes): a bridge namespace holding br0, one namespace per node (n1..nN at 10.77.0.11..,
# each on its own veth to the bridge) and a client namespace (10.77.0.100). The addresses exist
# only inside these namespaces. Each node is `drl node --listen 0.0.0.0:7000 --advertise
# ADDR:7000 --resp ADDR:6379 --http ADDR:8080 --grpc ADDR:8081 --rls-config FILE --join
# dns+drl-peers:7000`: every node finds the others by name,
# through a hosts file naming drl-peers once per node (/etc/netns/<namespace>/hosts, which
# `ip netns exec` mounts over /etc/hosts; removed at exit). For each scenario the nodes start afresh (empty stores), the fault is set
# in the nodes' own iptables (INPUT of each node namespace), and the client namespace loads
# every node through every door of --doors at once, each door on keys of its own, with a
# burst and no refill during the run:
#   native: `drl bench --ledger` (failing-over clients, keys ledger:0..K-1, fixed window of one
#           hour, limit B: each key may admit B in the run);
#   resp:   scripts/netlab/door_load.py, `CL.THROTTLE resp:<k> B-1 1 3600` (burst B, one
#           token an hour);
#   http:   door_load.py, POST /v1/check on http:<k>, a token bucket of B, one token an hour;
#   grpc:   door_load.py, Envoy's ShouldRateLimit, domain netlab, descriptor (key, <k>), the
#           nodes' --rls-config giving it B a day (needs python3-grpcio).
# Faults (--scenarios, comma-separated):
#   clean        no fault (the baseline the others are compared with, same run, same size)
#   lossP        P% of the packets each node receives from each other node are dropped
#                (iptables -m statistic --mode random), e.g. loss10, loss30
#   cuts         every one-way cut between two nodes, one scenario each
#   cut:A>B      node nA's packets to nB are dropped (nB's to nA pass), e.g. cut:2>1
#   skew:I:OFF   node nI runs with its wall clock OFF seconds off (libfaketime; its monotonic
#                clock untouched), e.g. skew:2:+0.3, skew:3:-30; no packet is dropped
#   partition:S|T  a clean partition between the nodes of S and of T (every packet between the
#                sides dropped, both ways), e.g. partition:1,2|3, from a third of the run to two
#                thirds, then healed; reports the seconds from the heal until every node sees
#                every node alive on one ring (fails past 60 s). Each side runs its own ring
#                while apart (docs/design.md): the bound per key is (sides) x limit, not limit
#   flap:A-B     the link between nA and nB (both ways) down 3 s, up 3 s, for the whole run;
#                the bound per key stays the limit (the others relay probes: nobody dies)
#   kill:I       node nI is SIGKILLed a third into the run and restarted (same --id, same
#                address, empty store) at two thirds; reports the seconds until every other
#                node declared it dead and until all agree on one ring again after the
#                restart (fails past 60 s). The bound per key is the crash bound of
#                docs/design.md: the limit plus what the dead owner admitted in its last
#                replication intervals, taken here as the key's attempt rate x 2 delta (20 ms),
#                rounded up, plus 1 for the hand-off back to the restarted node (which
#                fetches its ranges before deciding: no second budget)
# Client traffic is never dropped unless --loss-scope all (then loss hits every packet a node
# receives, clients' too).
# Report (scripts/netlab/report.py): per scenario and door, attempts/s and its ratio to the clean
# run, p99, errors, admissions, admissions beyond the bound, keys over it; fail-overs and
# forwards of the cluster; members each node saw alive at the end; nodes that crashed; the time
# to agree again after a heal; for a kill, the seconds until the node was declared dead and
# until the ring agreed again after its restart.
# Exit 0: no key admitted beyond its bound and no crash; 1: over-admission or a crash; 2: the run
# failed (a heal not agreed within 60 s included); 77: the lab cannot run here (not root, no network namespaces, no iptables), saying why.
# Everything it created (namespaces, with their veths and iptables rules, and every process in
# them) is removed at exit, also after an error, Ctrl-C or SIGTERM; namespaces left by a run
# killed with -9 (its pid gone) are removed by the next run.
# Examples:
#   scripts/netlab.sh --quick                         # 3 nodes, every scenario, 10 s each
#   scripts/netlab.sh --nodes 3,5 --duration 60       # the full run
#   scripts/netlab.sh --nodes 3 --scenarios 'clean,loss10,cut:2>1' --duration 20   # quote the >
#   scripts/netlab.sh --nodes 3 --scenarios 'partition:1,2|3,flap:1-2' --duration 30
# The drl binary: $DRL_BIN, else build/bin/drl of this checkout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
drl=${DRL_BIN:-$root/build/bin/drl}
# Debian's Python (its packages: python3-grpcio), not a python3 found earlier on PATH.
python=${PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
here=$root/scripts/netlab

nodes_list=3 scenarios=clean,loss10,loss30,cuts duration=60 connections=4 keys=100 burst=10
timeout_ms=1000 doors=native,resp,http,grpc loss_scope=peers rto_min="" work="" seed=1 node_args=()
usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; cat <<EOF
Options:
  --nodes LIST         cluster sizes, e.g. 3 or 3,5 (default $nodes_list)
  --scenarios LIST     (default $scenarios)
  --duration S         seconds of load per scenario (default $duration)
  --quick              --duration 10
  --doors LIST         the doors loaded, of native,resp,http,grpc (default $doors)
  --connections N      load connections per door (default $connections; at least one per node)
  --keys N             keys per door (default $keys)
  --burst N            admissions each key may make in the run (default $burst)
  --timeout-ms MS      native checks' deadline (default $timeout_ms; the other doors use the node's)
  --loss-scope S       peers (default) or all
  --rto-min MS         TCP's minimum retransmission timeout on the lab's routes, every
                       namespace (ip route ... rto_min; default: the kernel's, 200 ms)
  --node-arg ARG       extra argument for every drl node (repeatable)
  --seed N             key choice (default $seed)
  --dir DIR            work dir (default a new /tmp/drl-netlab.*)
EOF
}
while (($#)); do
  case $1 in
    --nodes) nodes_list=$2; shift ;;
    --scenarios) scenarios=$2; shift ;;
    --duration) duration=$2; shift ;;
    --quick) duration=10 ;;
    --doors) doors=$2; shift ;;
    --connections) connections=$2; shift ;;
    --keys) keys=$2; shift ;;
    --burst) burst=$2; shift ;;
    --timeout-ms) timeout_ms=$2; shift ;;
    --loss-scope) loss_scope=$2; shift ;;
    --rto-min) rto_min=$2; shift ;;
    --node-arg) node_args+=("$2"); shift ;;
    --seed) seed=$2; shift ;;
    --dir) work=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "netlab: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $loss_scope in peers|all) ;; *) echo "netlab: --loss-scope peers or all" >&2; exit 2 ;; esac
[[ $duration =~ ^[0-9]+$ && $duration -ge 1 ]] || { echo "netlab: --duration: whole seconds" >&2; exit 2; }
[[ -z $rto_min || $rto_min =~ ^[0-9]+$ ]] || { echo "netlab: --rto-min: whole milliseconds" >&2; exit 2; }
for door in ${doors//,/ }; do
  case $door in native|resp|http|grpc) ;; *) echo "netlab: --doors: native, resp, http, grpc" >&2; exit 2 ;; esac
done

skip() { echo "netlab: SKIPPED: $*" >&2; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces and iptables)"
for tool in ip iptables "$python"; do
  command -v "$tool" >/dev/null || skip "$tool not found (scripts/install-deps.sh installs it)"
done
[ -x "$drl" ] || { echo "netlab: no drl binary at $drl (build it, or set DRL_BIN)" >&2; exit 2; }
if [[ ,$doors, == *,grpc,* ]] && ! "$python" -c 'import grpc' 2>/dev/null; then
  skip "the grpc door's load needs python3-grpcio (scripts/install-deps.sh installs it; or --doors without grpc)"
fi

tag=drlnl$$
lab_namespaces=()  # every namespace this run created, removed by cleanup
node_pids=()       # index i: pid of node n<i> (0: none)
driver_pid=0       # a flap:A-B scenario's link driver (a subshell of this script)
driver_stop=""     # the file that stops it

# alive PID: the process runs (a process that exited is a zombie until waited for: not alive).
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$state" ] && [ "$state" != Z ]
}

# Removes namespaces named drlnl<pid>-* whose run is gone (killed with -9), with their processes.
remove_stale() {
  local ns pid
  for ns in $(ip netns list | awk '{print $1}' | grep -E '^drlnl[0-9]+-' || true); do
    pid=${ns#drlnl}; pid=${pid%%-*}
    alive "$pid" && continue
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    if ip netns del "$ns" 2>/dev/null; then echo "netlab: removed the stale namespace $ns"; fi
    rm -rf "/etc/netns/$ns"
  done
}

cleanup() {
  set +e
  local ns
  if ((driver_pid)); then
    touch "$driver_stop"
    kill -TERM "$driver_pid" 2>/dev/null
    wait "$driver_pid" 2>/dev/null
    driver_pid=0
  fi
  for ns in "${lab_namespaces[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
  done
  for ns in "${lab_namespaces[@]}"; do
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  lab_namespaces=()
}
trap cleanup EXIT
trap 'echo "netlab: interrupted" >&2; exit 130' INT
trap 'echo "netlab: terminated" >&2; exit 143' TERM

new_ns() { ip netns add "$1"; lab_namespaces+=("$1"); ip -n "$1" link set lo up; }

# hosts_file NS N: NS resolves drl-peers to every node's address (dns+ seeds) and nI to node I.
hosts_file() {
  local i
  mkdir -p "/etc/netns/$1"
  {
    echo "127.0.0.1 localhost"
    for ((i = 1; i <= $2; i++)); do echo "$(node_addr "$i") drl-peers"; done
    for ((i = 1; i <= $2; i++)); do echo "$(node_addr "$i") n$i"; done
  } >"/etc/netns/$1/hosts"
}

# Probe: namespaces, a veth, iptables inside a namespace.
remove_stale
if ! { new_ns "$tag-probe" && ip -n "$tag-probe" link add name probe0 type veth peer name probe1 &&
       ip netns exec "$tag-probe" iptables -w -S INPUT >/dev/null; } 2>/dev/null; then
  skip "network namespaces, veth or iptables do not work here"
fi
ip netns del "$tag-probe"; lab_namespaces=()

node_addr() { echo "10.77.0.$((10 + $1))"; }
door_port() { case $1 in native) echo 7000 ;; resp) echo 6379 ;; http) echo 8080 ;; grpc) echo 8081 ;; esac; }
faketime_lib=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1}
skew_node=0 skew_offset=""  # set per scenario by skew:I:OFF
client_ns=$tag-c

# lab_up N: the bridge, N node namespaces and the client namespace.
lab_up() {
  local n=$1 i
  new_ns "$tag-br"
  ip -n "$tag-br" link add name br0 type bridge
  ip -n "$tag-br" link set br0 up
  attach() {  # attach NS PORT ADDR
    new_ns "$1"
    ip -n "$tag-br" link add name "$2" type veth peer name eth0 netns "$1"
    ip -n "$tag-br" link set "$2" master br0 up
    ip -n "$1" addr add "$3/24" dev eth0
    ip -n "$1" link set eth0 up
    if [ -n "$rto_min" ]; then
      ip -n "$1" route replace 10.77.0.0/24 dev eth0 proto kernel scope link src "$3" \
        rto_min "${rto_min}ms"
    fi
  }
  for ((i = 1; i <= n; i++)); do
    attach "$tag-n$i" "p$i" "$(node_addr "$i")"
    hosts_file "$tag-n$i" "$n"
  done
  attach "$client_ns" pc 10.77.0.100
  hosts_file "$client_ns" "$n"
}

in_client() { ip netns exec "$client_ns" "$@"; }

status_to() {  # status_to I FILE
  in_client "$drl" status --server "$(node_addr "$1"):7000" --json >"$2" 2>/dev/null
}

# poll_until SECONDS CMD...: runs CMD every 0.2 s until it succeeds or the time is up.
poll_until() {
  local end=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < end)) || return 1
    sleep 0.2
  done
}

start_node() {  # start_node I DIR [LOG]
  local i=$1 addr; addr=$(node_addr "$1")
  local log=${3:-$2/n$1.log}
  local args=(node --listen 0.0.0.0:7000 --advertise "$addr:7000" --id "n$i"
              --resp "$addr:6379" --http "$addr:8080" --grpc "$addr:8081"
              --rls-config "$work/rls.yaml" --join dns+drl-peers:7000 "${node_args[@]}")
  local clock=()  # skew:I:OFF shifts this node's wall clock only
  if ((i == skew_node)); then
    # An ASan build refuses a preloaded library ahead of its runtime unless told not to.
    clock=(env LD_PRELOAD="$faketime_lib" FAKETIME="$skew_offset" FAKETIME_DONT_FAKE_MONOTONIC=1
           ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
  fi
  ip netns exec "$tag-n$i" "${clock[@]}" "$drl" "${args[@]}" >"$log" 2>&1 &
  node_pids[i]=$!
}

formed() {  # formed N DIR
  local i files=()
  for ((i = 1; i <= $1; i++)); do
    status_to "$i" "$2/form-n$i.json" || return 1
    files+=("$2/form-n$i.json")
  done
  "$python" "$here/formed.py" "$1" "${files[@]}"
}

stop_nodes() {
  local pid
  for pid in "${node_pids[@]}"; do ((pid)) && kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${node_pids[@]}"; do
    ((pid)) || continue
    local end=$((SECONDS + 15))
    while alive "$pid" && ((SECONDS < end)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  node_pids=()
}

# set_fault N FAULT: clean | lossP | cut:A>B, in the nodes' INPUT chains.
set_fault() {
  local n=$1 fault=$2 i j
  case $fault in
    clean) ;;
    loss*)
      local p; p=$(awk -v p="${fault#loss}" 'BEGIN { printf "%.4f", p / 100 }')
      for ((i = 1; i <= n; i++)); do
        if [ "$loss_scope" = all ]; then
          ip netns exec "$tag-n$i" iptables -w -A INPUT -m statistic --mode random \
            --probability "$p" -j DROP
          continue
        fi
        for ((j = 1; j <= n; j++)); do
          ((i == j)) && continue
          ip netns exec "$tag-n$i" iptables -w -A INPUT -s "$(node_addr "$j")" \
            -m statistic --mode random --probability "$p" -j DROP
        done
      done ;;
    cut:*)
      local spec=${fault#cut:} a b
      a=${spec%%>*}; b=${spec##*>}
      ip netns exec "$tag-n$b" iptables -w -A INPUT -s "$(node_addr "$a")" -j DROP ;;
  esac
}

clear_fault() {
  local i
  for ((i = 1; i <= $1; i++)); do ip netns exec "$tag-n$i" iptables -w -F INPUT; done
}

# link_cut A B on|off: every packet between nA and nB dropped (both ways), or passing again.
link_cut() {
  local op=-A
  [ "$3" = on ] || op=-D
  ip netns exec "$tag-n$1" iptables -w "$op" INPUT -s "$(node_addr "$2")" -j DROP
  ip netns exec "$tag-n$2" iptables -w "$op" INPUT -s "$(node_addr "$1")" -j DROP
}

# partition_sides "S|T": prints the nodes of S, a newline, the nodes of T (space-separated).
partition_sides() {
  local spec=${1#partition:}
  echo "${spec%%|*}" | tr , ' '
  echo "${spec##*|}" | tr , ' '
}

# partition_run N FAULT DIR: apart from a third of the run to two thirds, then healed; writes
# DIR/heal.json with the seconds until every node saw every node alive on one ring again.
partition_run() {
  local n=$1 dir=$3 a b left right
  { read -r left; read -r right; } < <(partition_sides "$2")
  sleep $((duration / 3))
  for a in $left; do for b in $right; do link_cut "$a" "$b" on; done; done
  echo "netlab: $(date +%T) partition $left | $right"
  sleep $((duration / 3))
  for a in $left; do for b in $right; do link_cut "$a" "$b" off; done; done
  local healed; healed=$(date +%s.%N)
  echo "netlab: $(date +%T) healed"
  if poll_until 60 formed "$n" "$dir"; then
    awk -v a="$healed" -v b="$(date +%s.%N)" 'BEGIN { printf "{\"heal_s\":%.1f}\n", b - a }' \
      >"$dir/heal.json"
    echo "netlab: agreed again $(cut -d: -f2 "$dir/heal.json" | tr -d '}') s after the heal"
  else
    echo '{"heal_s":null}' >"$dir/heal.json"
  fi
}

# others_declared_dead N I DIR: every node but nI lists nI as neither alive nor suspect.
others_declared_dead() {
  local j files=()
  for ((j = 1; j <= $1; j++)); do
    ((j == $2)) && continue
    status_to "$j" "$3/dead-n$j.json" || return 1
    files+=("$3/dead-n$j.json")
  done
  "$python" "$here/declared_dead.py" "n$2" "${files[@]}"
}

# kill_run N FAULT DIR: SIGKILLs nI a third into the run and restarts it at two thirds; writes
# DIR/kill.json with the seconds from the kill until every other node declared nI dead, and
# from the restart until every node saw every node alive on one ring again.
kill_run() {
  local n=$1 i=${2#kill:} dir=$3 began=$SECONDS
  sleep $((duration / 3))
  local victim=${node_pids[i]}
  kill -KILL "$victim" 2>/dev/null || true
  wait "$victim" 2>/dev/null || true
  local killed; killed=$(date +%s.%N)
  echo "netlab: $(date +%T) killed n$i"
  local dead=null
  if poll_until 30 others_declared_dead "$n" "$i" "$dir"; then
    dead=$(awk -v a="$killed" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    echo "netlab: n$i declared dead by every other node $dead s after the kill"
  fi
  local rest=$((2 * duration / 3 - (SECONDS - began)))
  ((rest <= 0)) || sleep "$rest"
  start_node "$i" "$dir" "$dir/n$i-restarted.log"
  local restarted; restarted=$(date +%s.%N)
  echo "netlab: $(date +%T) restarted n$i"
  local agreed=null
  if poll_until 60 formed "$n" "$dir"; then
    agreed=$(awk -v a="$restarted" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    echo "netlab: one ring again $agreed s after the restart"
  fi
  printf '{"dead_s":%s,"agreed_s":%s}\n' "$dead" "$agreed" >"$dir/kill.json"
}

# flap_run A-B STOP: the link between nA and nB down 3 s, up 3 s, until the file STOP exists
# (then left up).
flap_run() {
  local spec=${1#flap:} a b
  a=${spec%%-*}; b=${spec##*-}
  while [ ! -e "$2" ]; do
    link_cut "$a" "$b" on
    sleep 3
    link_cut "$a" "$b" off
    [ ! -e "$2" ] || break
    sleep 3
  done
}

# The scenario list split at its commas, except those inside partition:S|T (1,2|3).
scenario_items() {
  local piece items=()
  for piece in ${scenarios//,/ }; do
    if [[ $piece =~ ^[0-9]+(\|[0-9]+)?$ && ${#items[@]} -gt 0 &&
          ${items[-1]} == partition:* ]]; then
      items[-1]+=",$piece"
    else
      items+=("$piece")
    fi
  done
  printf '%s\n' "${items[@]}"
}

# Expands the scenario list for N nodes, one fault per line.
expand_scenarios() {
  local n=$1 s a b
  for s in $(scenario_items); do
    case $s in
      clean) echo clean ;;
      loss[0-9]*) [[ ${s#loss} =~ ^[0-9]+$ && ${s#loss} -le 100 ]] || {
          echo "netlab: bad scenario $s (lossP, P a whole percent)" >&2; return 2; }
        echo "$s" ;;
      cuts) for ((a = 1; a <= n; a++)); do for ((b = 1; b <= n; b++)); do
              if ((a != b)); then echo "cut:$a>$b"; fi; done; done ;;
      cut:*) [[ $s =~ ^cut:([0-9]+)\>([0-9]+)$ ]] && ((BASH_REMATCH[1] != BASH_REMATCH[2] &&
             BASH_REMATCH[1] >= 1 && BASH_REMATCH[2] >= 1 && BASH_REMATCH[1] <= n &&
             BASH_REMATCH[2] <= n)) || {
          echo "netlab: bad scenario $s for $n nodes (cut:A>B, 1 <= A != B <= $n)" >&2; return 2; }
        echo "$s" ;;
      partition:*) local sides left right x seen=" "
        [[ $s =~ ^partition:[0-9]+(,[0-9]+)*\|[0-9]+(,[0-9]+)*$ ]] || {
          echo "netlab: bad scenario $s (partition:S|T, e.g. partition:1,2|3)" >&2; return 2; }
        sides=$(partition_sides "$s"); left=$(head -1 <<<"$sides"); right=$(tail -1 <<<"$sides")
        for x in $left $right; do
          ((x >= 1 && x <= n)) && [[ $seen != *" $x "* ]] || {
            echo "netlab: bad scenario $s for $n nodes (each node 1..$n on one side at most)" >&2
            return 2; }
          seen+="$x "
        done
        echo "$s" ;;
      flap:*) [[ $s =~ ^flap:([0-9]+)-([0-9]+)$ ]] && ((BASH_REMATCH[1] != BASH_REMATCH[2] &&
             BASH_REMATCH[1] >= 1 && BASH_REMATCH[2] >= 1 && BASH_REMATCH[1] <= n &&
             BASH_REMATCH[2] <= n)) || {
          echo "netlab: bad scenario $s for $n nodes (flap:A-B, 1 <= A != B <= $n)" >&2; return 2; }
        echo "$s" ;;
      kill:*) [[ $s =~ ^kill:([0-9]+)$ ]] && ((BASH_REMATCH[1] >= 1 && BASH_REMATCH[1] <= n)) || {
          echo "netlab: bad scenario $s for $n nodes (kill:I, 1 <= I <= $n)" >&2; return 2; }
        echo "$s" ;;
      skew:*) [[ $s =~ ^skew:([0-9]+):[+-][0-9]+(\.[0-9]+)?$ ]] &&
             ((BASH_REMATCH[1] >= 1 && BASH_REMATCH[1] <= n)) || {
          echo "netlab: bad scenario $s for $n nodes (skew:I:OFF, e.g. skew:2:+0.3)" >&2; return 2; }
        [ -r "$faketime_lib" ] || {
          echo "netlab: $s needs libfaketime ($faketime_lib; scripts/install-deps.sh)" >&2; return 2; }
        echo "$s" ;;
      *) echo "netlab: unknown scenario $s (see --help)" >&2; return 2 ;;
    esac
  done
}

order=0
run_scenario() {  # run_scenario N FAULT
  local n=$1 fault=$2 i failure="" crashed=()
  order=$((order + 1))
  local name=${fault//[:>|,]/-} bound_factor=1
  [[ $fault != partition:* ]] || bound_factor=2  # each side runs its own ring while apart
  local dir; dir=$work/$(printf '%dn-%02d-%s' "$n" "$order" "$name")
  mkdir -p "$dir"
  echo "netlab: $n nodes, $fault, ${duration}s of load ($dir)"
  skew_node=0 skew_offset=""
  if [[ $fault == skew:* ]]; then
    skew_node=$(cut -d: -f2 <<<"$fault") skew_offset=$(cut -d: -f3 <<<"$fault")
  fi
  start_node 1 "$dir"
  poll_until 60 status_to 1 "$dir/form-n1.json" || failure="n1 never answered"
  if [ -z "$failure" ]; then
    for ((i = 2; i <= n; i++)); do start_node "$i" "$dir"; done
    poll_until 90 formed "$n" "$dir" || failure="the cluster never formed (all alive, one ring)"
  fi
  if [ -z "$failure" ]; then
    set_fault "$n" "$fault"
    local servers="" conns=$connections door pid loads=()
    ((conns >= n)) || conns=$n  # every node gets clients of each door
    for door in ${doors//,/ }; do
      servers=""
      for ((i = 1; i <= n; i++)); do servers+="${servers:+,}$(node_addr "$i"):$(door_port "$door")"; done
      if [ "$door" = native ]; then
        in_client "$drl" bench --ledger "$dir/ledger.tsv" --servers "$servers" \
          --connections "$conns" --keys "$keys" --algorithm fixed_window --limit "$burst" \
          --window 1h --duration "${duration}s" --timeout-ms "$timeout_ms" --seed "$seed" --json \
          >"$dir/native.json" 2>"$dir/native.err" &
      else
        in_client "$python" "$here/door_load.py" --door "$door" --servers "$servers" \
          --connections "$conns" --keys "$keys" --burst "$burst" --duration "$duration" \
          --timeout 3 --seed "$seed" --out "$dir/$door.json" 2>"$dir/$door.err" &
      fi
      loads+=($!)
    done
    case $fault in
      partition:*) partition_run "$n" "$fault" "$dir" ;;
      kill:*) kill_run "$n" "$fault" "$dir" ;;
      flap:*) driver_stop=$dir/flap.stop; flap_run "$fault" "$driver_stop" & driver_pid=$! ;;
    esac
    for pid in "${loads[@]}"; do wait "$pid" || true; done
    if ((driver_pid)); then
      touch "$driver_stop"
      wait "$driver_pid" 2>/dev/null || true
      driver_pid=0
    fi
    for ((i = 1; i <= n; i++)); do
      if alive "${node_pids[i]}"; then
        status_to "$i" "$dir/status-n$i.json" || true
      else
        crashed+=("n$i")
      fi
    done
    clear_fault "$n"
  fi
  stop_nodes
  if [ -f "$dir/heal.json" ] && grep -q null "$dir/heal.json" && [ -z "$failure" ]; then
    failure="the nodes did not agree again within 60 s of the heal"
  fi
  if [ -f "$dir/kill.json" ] && grep -q null "$dir/kill.json" && [ -z "$failure" ]; then
    failure="the killed node was not declared dead within 30 s, or the ring did not agree again within 60 s of its restart"
  fi
  printf '{"order":%d,"nodes":%d,"scenario":"%s","duration_s":%d,"limit":%d,"keys":%d,"bound_factor":%d,"loss_scope":"%s","rto_min_ms":"%s","doors":"%s",%s"crashed":[%s]}\n' \
    "$order" "$n" "$fault" "$duration" "$burst" "$keys" "$bound_factor" "$loss_scope" "${rto_min:-kernel}" "$doors" \
    "${failure:+\"failure\":\"$failure\",}" \
    "$(for c in "${crashed[@]}"; do printf '"%s",' "$c"; done | sed 's/,$//')" >"$dir/meta.json"
  [ -z "$failure" ] || echo "netlab: FAILED: $failure (logs in $dir)" >&2
}

if [ -z "$work" ]; then work=$(mktemp -d /tmp/drl-netlab.XXXXXX); fi
mkdir -p "$work"
rm -rf "$work"/[0-9]*n-[0-9]*  # a previous run's scenarios in a reused --dir
# The grpc door's rule: B a day per descriptor value (a fixed window, as envoyproxy/ratelimit).
printf 'domain: netlab\ndescriptors:\n  - key: key\n    rate_limit:\n      unit: day\n      requests_per_unit: %d\n' \
  "$burst" >"$work/rls.yaml"
rto_note=${rto_min:+; TCP rto_min $rto_min ms}
echo "netlab: drl $drl; work dir $work; loss scope $loss_scope; $keys keys per door," \
  "burst $burst, no refill; doors $doors; $connections connections per door (at least one per node)$rto_note"
for n in ${nodes_list//,/ }; do
  [[ $n =~ ^[0-9]+$ && $n -ge 2 && $n -le 9 ]] || { echo "netlab: --nodes: 2..9" >&2; exit 2; }
  faults=$(expand_scenarios "$n") || exit 2
  lab_up "$n"
  for fault in $faults; do run_scenario "$n" "$fault"; done
  cleanup
done
echo
"$python" "$here/report.py" "$work" | tee "$work/report.txt"
exit "${PIPESTATUS[0]}"
