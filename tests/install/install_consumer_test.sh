#!/usr/bin/env bash
# Installs this build's client library into a temporary prefix (cmake --install), builds
# tests/install/consumer with find_package(drl CONFIG) and with pkg-config, and runs both
# against a node started from this build on a free port. Usage: install_consumer_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/drl-install.XXXXXX")
node_pid=""
cleanup() {
  if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
# Only what the client needs: drl's headers, its archives, its package files.
for dep in spdlog CLI11 yaml-cpp absl sodium benchmark; do
  if grep -rqi "$dep" "$work/prefix/lib/cmake/drl" "$work/prefix/lib/pkgconfig"; then
    echo "the installed package names $dep" >&2
    exit 1
  fi
done

cmake -S "$src/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/consumer" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" \
  c++ -O1 -o "$work/consumer_pc" "$src/consumer/main.cpp" \
  $(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs drl) \
  >"$work/pc.log" 2>&1 || { cat "$work/pc.log"; exit 1; }

"$build/bin/drl" node --listen 127.0.0.1:0 --port-file "$work/port" >"$work/node.log" 2>&1 &
node_pid=$!
for _ in $(seq 1 600); do  # poll for the bound port, up to 60 s on a busy machine
  [ -s "$work/port" ] && break
  kill -0 "$node_pid" 2>/dev/null || { cat "$work/node.log"; exit 1; }
  sleep 0.1
done
port=$(cat "$work/port")
"$work/consumer/drl_consumer" "127.0.0.1:$port" consumer:cmake
"$work/consumer_pc" "127.0.0.1:$port" consumer:pkg-config
echo "install_consumer_test: ok"
