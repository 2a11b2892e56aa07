#!/usr/bin/env bash
# From a clean clone: installs what is missing, builds, and starts drl in the foreground.
# Ctrl-C stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/install-deps.sh"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo
echo "Starting one drl node on 127.0.0.1:7000 (Ctrl-C stops it). In another shell, try:"
echo "  build/bin/drl check --server 127.0.0.1:7000 user:42 --limit 10 --window 1s"
echo "  build/bin/drl status --server 127.0.0.1:7000"
echo "  build/bin/drl bench --servers 127.0.0.1:7000 --duration 5s"
exec build/bin/drl node --listen 127.0.0.1:7000 --metrics 127.0.0.1:9100
