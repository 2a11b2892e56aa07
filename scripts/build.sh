#!/usr/bin/env bash
# Configures and builds one build tree. Usage: scripts/build.sh [DIR] [cmake args...]
# DIR defaults to build/; the CLI lands in DIR/bin/drl. DRL_TARGETS="a b" builds only those.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
cd "$root"
jobs=${DRL_JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null; then
  # A compiler cache keyed on paths relative to the clone, so another clone reuses it.
  export CCACHE_BASEDIR="$root"
  # The tests' precompiled header (tests/CMakeLists.txt) is cacheable only with these.
  export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
  # With -g ccache hashes the working directory unless told not to: another clone would miss.
  export CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$dir" -G Ninja "${launcher[@]}" "$@" >/dev/null
# shellcheck disable=SC2086
cmake --build "$dir" -j "$jobs" ${DRL_TARGETS:+--target $DRL_TARGETS}
