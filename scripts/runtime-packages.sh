#!/usr/bin/env bash
# Prints the Debian packages holding the shared libraries a binary loads, one per line: what
# the container image installs beside the drl binary (Dockerfile), and what
# scripts/check_deploy.sh checks resolves. Fails when a library belongs to no package.
# Usage: scripts/runtime-packages.sh build/bin/drl
set -euo pipefail
bin=${1:?usage: runtime-packages.sh BINARY}
libs=$(ldd "$bin" | awk '/=> \// {print $3} /=> not found/ {print "missing:" $1}')
for lib in $libs; do
  case $lib in missing:*)
    echo "runtime-packages: $bin needs ${lib#missing:}, which is not installed" >&2
    exit 1
    ;;
  esac
  # The path ldd prints, or the file it links to (merged /usr: dpkg knows one of them).
  if ! owner=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$(realpath "$lib")" 2>/dev/null); then
    echo "runtime-packages: $lib (needed by $bin) belongs to no Debian package" >&2
    exit 1
  fi
  echo "${owner%%:*}"
done | sort -u
