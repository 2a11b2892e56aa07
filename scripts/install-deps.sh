#!/usr/bin/env bash
# Installs the Debian packages drl builds and tests with, only those that are missing.
# Idempotent: a second run installs nothing. Needs root (or sudo) on a Debian 12 machine.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libasio-dev libprotobuf-dev protobuf-compiler libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libabsl-dev libxxhash-dev libyaml-cpp-dev
  libsodium-dev libgrpc++-dev protobuf-compiler-grpc libcpp-httplib-dev
  clang clang-format clang-tidy libclang-rt-14-dev
  redis-server redis-tools libhiredis-dev python3 python3-redis python3-protobuf python3-xxhash
  iproute2 iptables procps gnuplot-nox faketime
  prometheus  # promtool, for scripts/check_monitoring.sh (Debian ships it only with the server)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
