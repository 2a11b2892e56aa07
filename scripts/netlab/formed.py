#!/usr/bin/env python3
"""Usage: formed.py N STATUS_JSON...  (scripts/netlab.sh)

Exit 0 when every file holds a `drl status --json` answer that lists exactly N members, all
alive, no hand-off pending, and all files name the same ring epoch; else 1."""
import json
import sys


def formed(n, paths):
    epochs = set()
    for path in paths:
        try:
            s = json.load(open(path))
        except (OSError, ValueError):
            return False
        alive = [m for m in s.get("members", []) if m.get("state") == "alive"]
        if len(alive) != n or len(s.get("members", [])) != n or s.get("handoff_pending", True):
            return False
        epochs.add(s.get("ring_epoch"))
    return len(epochs) == 1


if __name__ == "__main__":
    sys.exit(0 if formed(int(sys.argv[1]), sys.argv[2:]) else 1)
