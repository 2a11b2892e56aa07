#!/usr/bin/env bash
# Configures and builds one build tree. Usage: scripts/build.sh [DIR] [cmake args...]
# DIR defaults to build/; the CLI lands in DIR/bin/drl. DRL_TARGETS="a b" builds only those.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
cd "$root"
jobs=${DRL_JOBS:-$(nproc)}
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
# shellcheck disable=SC2086
cmake --build "$dir" -j "$jobs" ${DRL_TARGETS:+--target $DRL_TARGETS}
