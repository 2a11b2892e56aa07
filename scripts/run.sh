#!/usr/bin/env bash
# From a clean clone: installs what is missing, builds, and starts a 3-node drl cluster in the
# foreground.
# Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "Starting a 3-node drl cluster on 127.0.0.1:7000-7002 (Ctrl-C stops it). In another shell, try:"
echo "  build/bin/drl check --server 127.0.0.1:7001 user:42 --limit 10 --window 1s   # any node answers"
echo "  build/bin/drl status --server 127.0.0.1:7000 --json                         # members, ring share"
echo "  build/bin/drl bench --servers 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002 --duration 5s"
exec build/bin/drl cluster --nodes 3 --base-port 7000 --dir "${DRL_CLUSTER_DIR:-/tmp/drl-cluster}"
