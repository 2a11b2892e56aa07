#!/usr/bin/env bash
# Fuzzes every decoder of untrusted bytes (fuzz/<name>_fuzz.cpp) for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [--merge] [--only NAME]
#   SECONDS_PER_TARGET  default 30; targets run one after the other
#   --merge             add the new inputs that raise coverage to fuzz/corpus/<name>/ (commit them)
#   --only NAME         fuzz one target (client_frame, peer, gossip, gossip_keyed, policy, ...)
# Builds build-fuzz/ with clang, libFuzzer, ASan and UBSan. Each target runs on a copy of its
# committed corpus (build-fuzz/fuzz-work/<name>/). Exits non-zero if any target crashed, and
# prints where the crashing input was written (build-fuzz/fuzz-crashes/<name>/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=30
merge=0
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --merge) merge=1 ;;
    --only) only=$2; shift ;;
    [0-9]*) seconds=$1 ;;
    *) echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [--merge] [--only NAME]" >&2; exit 2 ;;
  esac
  shift
done

dir=build-fuzz
targets=()
for src in fuzz/*_fuzz.cpp; do
  name=$(basename "$src" _fuzz.cpp)
  if [ -z "$only" ] || [ "$only" = "$name" ]; then targets+=("$name"); fi
done
if [ ${#targets[@]} -eq 0 ]; then echo "no fuzz target named '$only'" >&2; exit 2; fi

launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DDRL_BUILD_FUZZERS=ON -DDRL_SANITIZE="address;undefined" -DDRL_BUILD_TESTS=OFF \
  -DDRL_BUILD_BENCH=OFF -DDRL_BUILD_CLI=OFF >/dev/null
cmake --build "$dir" -j "${DRL_JOBS:-$(nproc)}" --target "${targets[@]/%/_fuzz}"

failed=0
printf '%-14s %10s %8s %8s %s\n' target execs/s cov corpus result
for name in "${targets[@]}"; do
  work=$dir/fuzz-work/$name
  crashes=$dir/fuzz-crashes/$name
  log=$dir/fuzz-logs/$name.log
  rm -rf "$work"
  mkdir -p "$work" "$crashes" "$(dirname "$log")"
  cp -r "fuzz/corpus/$name/." "$work/"
  result=ok
  # -timeout: one input running over 10 s is a hang, reported like a crash.
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$dir/bin/${name}_fuzz" "$work" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1; then
    result="CRASH: $(grep -o "Test unit written to .*" "$log" | sed 's/Test unit written to //' |
      tail -1) (log: $log)"
    failed=1
  fi
  execs=$(grep -o 'average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)
  printf '%-14s %10s %8s %8s %s\n' "$name" "${execs:-?}" "${cov:-?}" \
    "$(find "$work" -type f | wc -l)" "$result"
  if [ "$result" != ok ]; then
    grep -E '^(==[0-9]+==|SUMMARY|    #[0-9]+ )|oracle failed' "$log" | head -25 >&2 || true
  elif [ "$merge" = 1 ]; then
    "$dir/bin/${name}_fuzz" -merge=1 "fuzz/corpus/$name" "$work" >>"$log" 2>&1
  fi
done
if [ "$failed" = 1 ]; then
  echo "fuzzing found a crash: copy the input into fuzz/corpus/<name>/ (it then replays in" \
    "every build via tests/fuzz_replay) and reproduce with build-fuzz/bin/<name>_fuzz <file>" >&2
  exit 1
fi
