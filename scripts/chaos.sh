#!/usr/bin/env bash
# Chaos run: an N-node `drl cluster` under load while nodes are killed (-9) and restarted,
# paused (SIGSTOP/SIGCONT) and cut off their peers, following a plan derived only from --seed.
# Cuts: run as root (with a working iptables) and the kernel cuts links: each node listens on,
# and sends its peer traffic from, its own loopback address (drl cluster --base-host), and DROP
# rules in a chain of this run's own (DRL-CHAOS-<pid>, hooked into INPUT) drop TCP and UDP
# between the victim and every other node until the heal; the chain is removed at exit, also
# after an error, Ctrl-C or SIGTERM. Otherwise the victim drops its peer traffic itself on the
# test-only admin request (drl test-fault). --cut-method auto|iptables|admin; the run prints
# which it uses. Prints the plan, then a report (requests, client-visible
# errors, admissions per key and window against the published bound, time to mark each
# faulty node dead and to agree again, RSS of each node). Exit 0: every bound held; 1: a bound
# broke or the cluster never agreed again; 2: the run itself failed.
# The logic lives in scripts/chaos/chaos.py; `scripts/chaos.sh --help` lists every option.
# Examples:
#   scripts/chaos.sh --nodes 3 --duration 120 --seed 7
#   scripts/chaos.sh --duration 1800 --fault-interval 30 --seed 1   # the 30-minute soak
# The drl binary: --drl PATH, else $DRL_BIN, else build/bin/drl of this checkout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${DRL_BIN:-}" ]; then export DRL_BIN="$root/build/bin/drl"; fi
exec python3 "$root/scripts/chaos/chaos.py" "$@"
