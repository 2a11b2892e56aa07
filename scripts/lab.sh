#!/usr/bin/env bash
# The network lab under its short name: everything is scripts/netlab.sh (same options, same
# exit codes; `scripts/lab.sh --help` prints its help).
exec "$(dirname "$0")/netlab.sh" "$@"
