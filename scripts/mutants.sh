#!/usr/bin/env bash
# Mutation testing, on demand (not in CI): does the suite notice a one-line change of behaviour?
#
#   scripts/mutants.sh [REGEX]      run every mutant of scripts/mutants.list (or those whose
#                                   line matches REGEX, e.g. 'src/cluster/')
#
# Each line of the list is `file | exact text | replacement | ctest regex` (docs/testing.md,
# "Mutation testing"). The script works on a scratch copy of the committed tree (git archive
# HEAD into a temporary directory), never on this checkout, so an interrupted run (Ctrl-C,
# a kill) cannot leave a mutant behind; the copy and its build are deleted at exit. It builds
# the test programs the list needs once (the flags of scripts/test.sh, so the shared ccache
# hits), then for each mutant: replaces the text (which must occur exactly once in the file), rebuilds only the
# test programs behind the ctest regex (and bin/drl when an integration test is among them),
# runs those tests with a timeout, puts the file back, and reports
#   KILLED        a test failed (or timed out): the suite notices the change
#   SURVIVED      every test passed: a missing test, or an equivalent mutant (say which in
#                 docs/testing.md)
#   BUILD-FAILED  the mutant does not compile (not counted in the score)
#   BAD-LINE      the text is not in the file exactly once, or the regex selects no test
# and at the end the score: killed / (killed + survived). Exit 1 if any mutant survived or
# a line was bad.
#
# Environment: DRL_MUTANTS_LIST (another list), DRL_MUTANT_TIMEOUT (seconds per mutant's
# test run, default 900), DRL_JOBS (build jobs, default 2), DRL_MUTANTS_WORK (a directory
# that keeps the scratch copy and its build between runs, instead of a temporary one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
list=${DRL_MUTANTS_LIST:-$root/scripts/mutants.list}
filter=${1:-}
test_timeout=${DRL_MUTANT_TIMEOUT:-900}
export DRL_JOBS=${DRL_JOBS:-2}
[[ -f $list ]] || { echo "mutants: no list at $list" >&2; exit 2; }
list=$(cd "$(dirname "$list")" && pwd)/$(basename "$list")

if [[ -n ${DRL_MUTANTS_WORK:-} ]]; then
  # Kept between runs: its build is reused; the copy is brought up to HEAD file by file
  # (only files whose content differs are rewritten, so ninja rebuilds only what changed).
  work=$DRL_MUTANTS_WORK
  mkdir -p "$work"
  cleanup() { rm -rf "$work/fresh"; }
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/drl-mutants.XXXXXX")
  cleanup() { rm -rf "$work"; }
fi
trap cleanup EXIT
trap 'echo "mutants: interrupted" >&2; exit 130' INT TERM
src=$work/src
# Inside the copy, as build/ is in a clone: the same relative paths, so ccache hits.
build=$src/build
rm -rf "$work/fresh"
mkdir -p "$src" "$work/fresh"
git -C "$root" archive HEAD | tar -x -C "$work/fresh"
python3 - "$work/fresh" "$src" <<'PY'
import filecmp, os, shutil, sys
fresh, src = sys.argv[1:3]
for base, dirs, files in os.walk(fresh):
    rel = os.path.relpath(base, fresh)
    os.makedirs(os.path.join(src, rel), exist_ok=True)
    for f in files:
        a, b = os.path.join(base, f), os.path.join(src, rel, f)
        if not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False):
            shutil.copy(a, b)
for base, dirs, files in os.walk(src):
    rel = os.path.relpath(base, src)
    if rel == ".":
        dirs[:] = [d for d in dirs if d != "build"]
    for f in files:
        if not os.path.exists(os.path.join(fresh, rel, f)):
            os.remove(os.path.join(base, f))
PY
rm -rf "$work/fresh"
echo "mutants: scratch copy of $(git -C "$root" rev-parse --short HEAD) in $src"
cp "$list" "$work/mutants.list"  # the list may be edited while this runs
list=$work/mutants.list

build_targets() {  # build_targets "t1 t2" -> 0 when built
  DRL_TARGETS="$1" "$src/scripts/build.sh" "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" >"$work/build.log" 2>&1
}

# The test programs behind a ctest regex, read from the test sources (tests/<layer>/X_test.cpp
# is the program <layer>_X_test; gtest names its tests Suite.Test), so nothing has to be
# built to know them, and only the programs the list needs are built.
programs_for() {
  python3 - "$src/tests" "$1" <<'PY'
import glob, os, re, sys
tests, regex = sys.argv[1], re.compile(sys.argv[2])
out = set()
for path in glob.glob(os.path.join(tests, "*", "*_test.cpp")):
    layer = os.path.basename(os.path.dirname(path))
    text = open(path, encoding="utf-8", errors="replace").read()
    names = re.findall(r"^TEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)", text, re.M)
    if any(regex.search(f"{suite}.{test}") for suite, test in names):
        out.add(f"{layer}_{os.path.splitext(os.path.basename(path))[0]}")
print(" ".join(sorted(out)))
PY
}

regex_of() { printf '%s' "$1" | sed 's/ | /\x1f/g' | cut -d $'\x1f' -f4; }

needed=""
while IFS= read -r line || [[ -n $line ]]; do
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  [[ -n $filter && ! $line =~ $filter ]] && continue
  needed="$needed $(programs_for "$(regex_of "$line")")"
done <"$list"
needed=$(tr ' ' '\n' <<<"$needed" | sed '/^$/d' | sort -u | tr '\n' ' ')
[[ $needed == *integration_* ]] && needed="$needed drl"
echo "mutants: building the scratch copy once ($needed)"
if ! build_targets "$needed"; then
  tail -30 "$work/build.log" >&2
  echo "mutants: the unmutated tree does not build" >&2
  exit 2
fi

# Replaces the one occurrence of $2 by $3 in file $1; fails if it is not there exactly once.
apply_mutant() {
  python3 - "$1" "$2" "$3" <<'EOF'
import sys
path, old, new = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
if text.count(old) != 1:
    sys.exit(f"found {text.count(old)} times")
open(path, "w", encoding="utf-8").write(text.replace(old, new))
EOF
}

total=0 killed=0 survived=0 build_failed=0 bad=0
survivors=()
n_lines=$(grep -cvE '^\s*(#|$)' "$list" || true)
while IFS= read -r line || [[ -n $line ]]; do
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  [[ -n $filter && ! $line =~ $filter ]] && continue
  total=$((total + 1))
  # Split on " | " (a C++ "||" or "|=" never contains it).
  IFS=$'\x1f' read -r file old new regex < <(printf '%s\n' "$line" | sed 's/ | /\x1f/g')
  desc="$file: '$old' -> '$new'"
  start=$SECONDS
  if [[ ! -f $src/$file ]] || [[ -z ${regex:-} ]]; then
    echo "[$total/$n_lines] BAD-LINE      $desc (no such file or no regex)"
    bad=$((bad + 1))
    continue
  fi
  programs=$(programs_for "$regex")
  if [[ -z $programs ]]; then
    echo "[$total/$n_lines] BAD-LINE      $desc (regex '$regex' selects no test)"
    bad=$((bad + 1))
    continue
  fi
  [[ $programs == *integration_* ]] && programs="$programs drl"
  cp -p "$src/$file" "$work/original"
  if ! why=$(apply_mutant "$src/$file" "$old" "$new" 2>&1); then
    echo "[$total/$n_lines] BAD-LINE      $desc (text $why)"
    bad=$((bad + 1))
    continue
  fi
  verdict=""
  if ! build_targets "$programs"; then
    verdict="BUILD-FAILED"
    build_failed=$((build_failed + 1))
  else
    set +e
    timeout --kill-after=30 "$test_timeout" ctest --test-dir "$build" -R "$regex" \
      --stop-on-failure --no-tests=error --timeout "$test_timeout" >"$work/test.log" 2>&1
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
      verdict="SURVIVED"
      survived=$((survived + 1))
      survivors+=("$desc [$regex]")
    else
      verdict="KILLED"
      killed=$((killed + 1))
      # ctest marks a test it stopped "***Timeout"; 124 is the whole run's timeout.
      if [[ $rc -eq 124 ]] || grep -q '\*\*\*Timeout' "$work/test.log"; then
        desc="$desc (timeout)"
      fi
    fi
  fi
  # Back to the original (its old mtime makes ninja rebuild it, from ccache).
  cp "$work/original" "$src/$file"
  touch "$src/$file"
  printf '[%d/%d] %-13s %s (%ds)\n' "$total" "$n_lines" "$verdict" "$desc" $((SECONDS - start))
done <"$list"

scored=$((killed + survived))
echo
echo "mutants: $total run: $killed killed, $survived survived, $build_failed did not build, $bad bad lines"
if [[ $scored -gt 0 ]]; then
  echo "score: $killed/$scored killed ($((100 * killed / scored))%)"
fi
for s in "${survivors[@]+"${survivors[@]}"}"; do echo "survived: $s"; done
[[ $survived -eq 0 && $bad -eq 0 ]]
