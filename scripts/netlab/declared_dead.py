#!/usr/bin/env python3
"""Usage: declared_dead.py ID STATUS_JSON...  (scripts/netlab.sh, kill:I scenarios)

Exit 0 when every file holds a `drl status --json` answer in which member ID is no longer
alive or suspect (dead, left, or gone from the list): every node that answered has declared it
dead. Else 1."""
import json
import sys


def declared_dead(member, paths):
    for path in paths:
        try:
            s = json.load(open(path))
        except (OSError, ValueError):
            return False
        for m in s.get("members", []):
            if m.get("id") == member and m.get("state") in ("alive", "suspect"):
                return False
    return bool(paths)


if __name__ == "__main__":
    sys.exit(0 if declared_dead(sys.argv[1], sys.argv[2:]) else 1)
