#!/usr/bin/env python3
"""Usage: report.py WORKDIR  (scripts/netlab.sh calls it at the end of a run)

Reads every scenario directory of a lab run (WORKDIR/<nodes>n-<scenario>/: meta.json, the
native door's `drl bench --ledger` JSON and ledger, the other doors' <door>.json of
scripts/netlab/door_load.py, each node's
`drl status --json` after the load) and prints one row per scenario and door:

  attempts/s (and the ratio to the clean scenario of the same size, same run), p99 latency,
  client-visible errors, admissions, admissions beyond the limit, keys over their limit (and the
  most one key admitted), and over the cluster: fail-overs / forwards, members seen alive;
  for a partition the seconds until one ring again after the heal; for a kill the seconds until
  the others declared the node dead, and until one ring again after its restart.

The bound per key: the limit; (sides) x limit for a partition; for a kill, the crash bound of
docs/design.md, the limit plus the key's admission rate x 2 delta (delta = 10 ms, the
replication interval; the rate taken as the door's attempts per second over its keys, rounded
up), plus 1 for the hand-off back to the restarted node ("Restart and join").

Exit 0: no scenario admitted beyond a limit and every scenario ran; 1: some key was
over-admitted or a node crashed; 2: a scenario's load or cluster failed to run."""
import glob
import json
import math
import os
import sys

DELTA_S = 0.010  # the replication interval (docs/design.md, "Replication")


def load_json(path, default=None):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text.splitlines()[-1]) if text else default
    except (OSError, ValueError, IndexError):
        return default


def native_door(d, limit):
    """Reads the ledger: per (key, window) admissions; the run's keys have one window each
    unless the run crossed the end of an epoch-aligned window."""
    res = load_json(os.path.join(d, "native.json"))
    if res is None:
        return None
    per_key = {}
    try:
        for line in open(os.path.join(d, "ledger.tsv")):
            f = line.rstrip("\n").split("\t")
            if f[0] == "A":
                per_key[(f[1], f[2])] = int(f[3])
    except OSError:
        return None
    attempts = res["allowed"] + res["denied"] + res["errors"]
    return dict(attempts=attempts, seconds=res["seconds"], p99_us=res["p99_us"],
                errors=res["errors"], allowed=res["allowed"], per_key=per_key, limit=limit)


def door_load_result(d, door):
    res = load_json(os.path.join(d, door + ".json"))
    if res is None:
        return None
    return dict(attempts=res["attempts"], seconds=res["seconds"], p99_us=res["p99_us"],
                errors=res["errors"], allowed=res["allowed"], limit=res["limit"],
                per_key=res["admitted_per_key"], error_kinds=res.get("error_kinds", {}))


def label(scenario):
    """cut:2>1 -> "cut n2->n1" (n2's packets to n1 dropped); others as they are."""
    if scenario.startswith("partition:"):
        left, right = scenario[10:].split("|")
        return "partition " + " ".join("n" + x for x in left.split(",")) + " | " + \
            " ".join("n" + x for x in right.split(","))
    if scenario.startswith("flap:"):
        a, b = scenario[5:].split("-")
        return f"flap n{a}-n{b}"
    if scenario.startswith("kill:"):
        return f"kill n{scenario[5:]}"
    if scenario.startswith("cut:"):
        a, b = scenario[4:].split(">")
        return f"cut n{a}->n{b}"
    return scenario


def cluster_counters(d):
    failovers = forwarded = 0
    alive_min, n = None, 0
    for path in sorted(glob.glob(os.path.join(d, "status-*.json"))):
        s = load_json(path)
        if not s:
            continue
        n += 1
        failovers += s["cluster"]["failovers"]
        forwarded += s["cluster"]["forwarded"]
        alive = sum(1 for m in s["members"] if m["state"] == "alive")
        alive_min = alive if alive_min is None else min(alive_min, alive)
    return failovers, forwarded, alive_min, n


def main():
    work = sys.argv[1]
    dirs = sorted((load_json(os.path.join(d, "meta.json"), {}).get("order", 0), d)
                  for d in glob.glob(os.path.join(work, "*n-*")) if os.path.isdir(d))
    rows, clean_rate, status = [], {}, 0
    for _, d in dirs:
        meta = load_json(os.path.join(d, "meta.json"), {})
        name = label(meta.get("scenario", os.path.basename(d)))
        nodes = meta.get("nodes", 0)
        fo, fw, alive_min, answered = cluster_counters(d)
        crashed = meta.get("crashed", [])
        if crashed:
            status = max(status, 1)
        if meta.get("failure"):
            status = 2
            rows.append((nodes, name, "-", None, meta["failure"]))
            continue
        for door in meta.get("doors", "native,resp").split(","):
            r = native_door(d, meta.get("limit", 10)) if door == "native" else \
                door_load_result(d, door)
            if r is None:
                status = 2
                rows.append((nodes, name, door, None, "no result (see " + d + ")"))
                continue
            rate = r["attempts"] / r["seconds"] if r["seconds"] else 0
            if name == "clean":
                clean_rate[(nodes, door)] = rate
            # The design's bound: the limit, or (sides) x limit while a partition splits the ring.
            bound = r["limit"] * meta.get("bound_factor", 1)
            kill = load_json(os.path.join(d, "kill.json"), {})
            if kill:
                # The crash bound: what the dead owner admitted after its last replica batch
                # (the key's rate x 2 delta, as the simulator's test allows), and one more for
                # the hand-off back to the restarted node (design.md, "Restart and join").
                per_key_rate = rate / max(1, meta.get("keys", len(r["per_key"])))
                bound = r["limit"] + math.ceil(per_key_rate * 2 * DELTA_S) + 1
            over = {k: n - bound for k, n in r["per_key"].items() if n > bound}
            if over:
                status = max(status, 1)
            rows.append((nodes, name, door, dict(
                rate=rate, p99_ms=r["p99_us"] / 1000, errors=r["errors"], allowed=r["allowed"],
                over=sum(over.values()), keys_over=len(over),
                max_key=max(r["per_key"].values(), default=0), limit=r["limit"], bound=bound,
                heal=load_json(os.path.join(d, "heal.json"), {}).get("heal_s",
                                                                     kill.get("agreed_s")),
                dead=kill.get("dead_s"),
                counters=f"{fo} / {fw}", alive=f"{alive_min}/{nodes}" if answered else "-",
                crashed=",".join(crashed) or "-"), None))
    head = ("nodes", "scenario", "door", "attempts/s", "x clean", "p99 ms", "errors", "admitted",
            "over bound", "keys over", "max/key", "failovers / forwards", "alive", "crashed",
            "declared dead", "agreed again")
    out = [head]
    for nodes, name, door, r, why in rows:
        if r is None:
            out.append((str(nodes), name, door, "FAILED: " + why) + ("",) * (len(head) - 4))
            continue
        base = clean_rate.get((nodes, door))
        out.append((str(nodes), name, door, f"{r['rate']:.0f}",
                    f"{r['rate'] / base:.2f}" if base else "-", f"{r['p99_ms']:.1f}",
                    str(r["errors"]), str(r["allowed"]), str(r["over"]), str(r["keys_over"]),
                    f"{r['max_key']} for {r['limit']}" +
                    (f" (bound {r['bound']})" if r["bound"] != r["limit"] else ""),
                    r["counters"], r["alive"], r["crashed"],
                    "-" if r["dead"] is None else f"{r['dead']:.1f} s",
                    "-" if r["heal"] is None else f"{r['heal']:.1f} s"))
    widths = [max(len(row[i]) for row in out if not row[3].startswith("FAILED") or i < 3)
              for i in range(len(head))]
    for row in out:
        if row[3].startswith("FAILED"):
            print("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
        else:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print({0: "netlab: no key admitted beyond its bound",
           1: "netlab: OVER-ADMISSION (or a crashed node): see the rows above",
           2: "netlab: a scenario FAILED to run: see the rows above"}[status])
    return status


if __name__ == "__main__":
    sys.exit(main())
