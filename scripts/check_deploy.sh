#!/usr/bin/env bash
# Checks deploy/kubernetes/, the Helm chart deploy/helm/drl/ and the Dockerfile without a
# cluster or a container builder (docs/testing.md, "Deploy check"):
#   1. `helm lint --strict` the chart, and render it with its defaults and with other values;
#   2. scripts/deploy_check/validate.mjs on the manifests and every rendering: each object
#      against its API version's schema, no field its API type lacks, every `drl node` flag in
#      `drl node --help`, the ports, probes, Services, volumes and files wired together, and
#      the default rendering equal to the manifests; then the same on five copies broken on
#      purpose (a made-up flag, an unknown field, a wrong type, a Service port naming no
#      container port, manifests and chart apart), each of which must fail;
#   3. the ConfigMap's policies and RLS config loaded by a real `drl node`;
#   4. every library the binary loads belongs to a Debian package (the image installs those).
# Needs the tools scripts/install-deps.sh installs (DRL_DEPLOY_TOOLS) and build/bin/drl
# (DRL_BIN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DRL_DEPLOY_TOOLS=${DRL_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/drl/deploy-check}
drl=${DRL_BIN:-$root/build/bin/drl}
helm="$DRL_DEPLOY_TOOLS/bin/helm"
if [ ! -x "$helm" ] || [ ! -d "$DRL_DEPLOY_TOOLS/node_modules" ]; then
  echo "check_deploy: no tools in $DRL_DEPLOY_TOOLS: run scripts/install-deps.sh" >&2
  exit 1
fi
if [ ! -x "$drl" ]; then
  echo "check_deploy: no drl binary at $drl (scripts/build.sh, or set DRL_BIN)" >&2
  exit 1
fi
work=$(mktemp -d)
node_pid=""
cleanup() {
  if [ -n "$node_pid" ]; then kill "$node_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The chart.
chart=deploy/helm/drl
"$helm" lint --strict "$chart" >"$work/lint" 2>&1 || {
  cat "$work/lint" >&2
  exit 1
}
"$helm" template drl "$chart" >"$work/default.yaml"
"$helm" template drl "$chart" --set serviceMonitor.enabled=true >"$work/monitored.yaml"
"$helm" template edge "$chart" --set ipv6=true,replicaCount=1,storage.durable=false \
  --set resp.enabled=false,grpc.enabled=false,policies=,rlsConfig= \
  --set 'node.extraArgs={--on-memory-full=evict}' >"$work/minimal.yaml"
"$helm" template drl "$chart" --set tls.enabled=true,tls.clientAuth=true >"$work/tls.yaml"
grep -q -- '--tls-cert=/etc/drl/tls/tls.crt' "$work/tls.yaml" || {
  echo "check_deploy: tls.enabled=true renders no --tls-cert" >&2
  exit 1
}
grep -q 'kind: ServiceMonitor' "$work/monitored.yaml" || {
  echo "check_deploy: serviceMonitor.enabled=true renders no ServiceMonitor" >&2
  exit 1
}

# 2. Schema, fields, flags, wiring, agreement.
"$drl" node --help >"$work/help"
manifests=$(printf '%s,' deploy/kubernetes/*.yaml)
sets=("manifests=${manifests%,}" "default=$work/default.yaml"
  "monitored=$work/monitored.yaml" "minimal=$work/minimal.yaml" "tls=$work/tls.yaml")
mkdir "$work/config"
node scripts/deploy_check/validate.mjs --help-file "$work/help" --extract-config "$work/config" \
  "${sets[@]}"

# 3. The ConfigMap's files load in a real node (port 0: no fixed port).
"$drl" node --listen 127.0.0.1:0 --port-file "$work/port" --grpc 127.0.0.1:0 \
  --policies "$work/config/policies.yaml" --rls-config "$work/config/rls.yaml" \
  >"$work/node.out" 2>"$work/node.err" &
node_pid=$!
for _ in $(seq 1 200); do
  [ -s "$work/port" ] && break
  kill -0 "$node_pid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$work/port" ]; then
  echo "check_deploy: drl node did not start with the ConfigMap's files:" >&2
  cat "$work/node.err" >&2
  exit 1
fi
kill -TERM "$node_pid"
rc=0
wait "$node_pid" || rc=$?
node_pid=""
if [ "$rc" -ne 0 ] || grep -q -i -E '\[(error|critical)\]' "$work/node.err"; then
  echo "check_deploy: drl node with the ConfigMap's files: exit $rc" >&2
  cat "$work/node.err" >&2
  exit 1
fi
echo "check_deploy: the ConfigMap's policies.yaml and rls.yaml load in drl node"

# 4. The image's runtime packages.
packages=$(scripts/runtime-packages.sh "$drl")
echo "check_deploy: runtime packages: ${packages//$'\n'/ }"

echo "check_deploy: OK"
