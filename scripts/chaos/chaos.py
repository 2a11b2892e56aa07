#!/usr/bin/env python3
"""Chaos run for drl (scripts/chaos.sh is the entry point; --help lists the options).

Starts `drl cluster` (nodes with --enable-test-hooks), runs `drl bench --ledger` against every
node, and carries out a fault plan derived only from --seed: kill -9 + restart, SIGSTOP +
SIGCONT, and cutting a node off its peers. One fault at a time.

Cuts (--cut-method): as root with a working iptables, the kernel cuts them: each node listens on
its own loopback address (drl cluster --base-host; nodes send their peer traffic from it), and
DROP rules in a chain of this run's own (DRL-CHAOS-<pid>, hooked into INPUT) drop every packet,
TCP and UDP, between the victim's address and every other node's; the heal flushes the chain,
and the chain is removed at exit (also after an error, Ctrl-C or SIGTERM). Otherwise the node
is told to drop its peer traffic itself (the test-only admin request, `drl test-fault`). Meanwhile it polls `drl status --json` of every node (membership, ring)
and the nodes' RSS. At the end it prints a report and exits 1 if a bound is broken (or the
cluster never agreed again), 2 if the run itself failed.

Bounds (docs/design.md, "The consistency a user gets"): per key and fixed window, admissions
<= limit in steady state; each fault episode adds, to every window it may touch (from the
fault until one window after the cluster agrees again):
  kill / stop : rate x (delta + tau), twice (the crash or stall, then the return), with
                delta = 10 ms replication interval, tau = 200 ms fail-over timeout and
                rate = the key's decided checks per second in that window;
  cut         : limit (two sides each admit up to the limit) + rate x (delta + tau) for the heal.
(The allowances are those of the older fail-over after tau; the nodes now fail over only when
membership drops an owner, for about rate x delta: the allowances are looser than needed.)
A fail-over nobody injected (a node's fail-over count rises between two polls outside any
fault: its view dropped a member, e.g. one starved past SWIM's suspicion timeout) gets the
kill / stop allowance too, from one window before the previous poll to one window after, and
the report counts them.
"""
import argparse
import json
import math
import os
import random
import signal
import shutil
import subprocess
import sys
import threading
import time

DELTA_PLUS_TAU = 0.010 + 0.200
KINDS = ("kill", "stop", "cut")


def parse_args():
    p = argparse.ArgumentParser(prog="chaos.sh", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", type=int, default=3, help="cluster size (default 3)")
    p.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    p.add_argument("--fault-interval", type=float, default=15,
                   help="seconds between fault starts (default 15)")
    p.add_argument("--fault-min", type=float, default=2, help="shortest fault, s (default 2)")
    p.add_argument("--fault-max", type=float, default=8, help="longest fault, s (default 8)")
    p.add_argument("--faults", default="kill,stop,cut", help="kinds to use (default all: %(default)s)")
    p.add_argument("--victims", default="", help="node ids faults may hit, e.g. n2,n3 (default all)")
    p.add_argument("--warmup", type=float, default=10, help="seconds before the first fault")
    p.add_argument("--seed", type=int, default=1, help="fault plan and key choice (default 1)")
    p.add_argument("--keys", type=int, default=20, help="distinct keys (default 20)")
    p.add_argument("--limit", type=int, default=10, help="admissions per window per key")
    p.add_argument("--window-ms", type=int, default=1000, help="fixed window length (default 1000)")
    p.add_argument("--rate", type=float, default=300, help="requests/s offered in total (1 check each)")
    p.add_argument("--connections", type=int, default=6, help="load clients (default 6)")
    p.add_argument("--base-port", type=int, default=0, help="first node's port (default: from seed)")
    p.add_argument("--dir", default="", help="work dir (default: a new /tmp/drl-chaos.*)")
    p.add_argument("--drl", default=os.environ.get("DRL_BIN", ""), help="the drl binary")
    p.add_argument("--poll-interval", type=float, default=0.5, help="status poll period, s")
    p.add_argument("--settle-timeout", type=float, default=60,
                   help="max seconds to wait for agreement after a fault (default 60)")
    p.add_argument("--cut-method", choices=("auto", "iptables", "admin"), default="auto",
                   help="how `cut` faults cut a node off: iptables rules (needs root), the "
                        "test-only admin request, or auto: iptables when root and iptables "
                        "works, else admin (default auto)")
    p.add_argument("--base-host", default="",
                   help="with iptables cuts, node i listens on base-host + i - 1 (default: "
                        "127.<base-port / 256>.<base-port %% 256>.1, so runs never share addresses)")
    p.add_argument("--plan-only", action="store_true", help="print the fault plan and exit")
    a = p.parse_args()
    a.kinds = [k for k in a.faults.split(",") if k]
    a.base_host_given = bool(a.base_host)
    if a.base_host:
        import ipaddress
        try:
            ipaddress.IPv4Address(a.base_host) + (a.nodes - 1)
        except ValueError as e:
            p.error(f"--base-host: {e}")
    bad = [k for k in a.kinds if k not in KINDS]
    if bad or not a.kinds and a.faults:
        p.error(f"--faults: unknown kind(s) {bad}; use kill, stop, cut")
    if a.nodes < 2 or a.fault_min <= 0 or a.fault_max < a.fault_min:
        p.error("need --nodes >= 2 and 0 < --fault-min <= --fault-max")
    if a.fault_interval < a.fault_max + 2:
        p.error("--fault-interval must exceed --fault-max by 2 s (one fault at a time)")
    return a


def make_plan(a):
    """The faults, from the seed alone: [(start_s, kind, node_id, length_s)]."""
    rng = random.Random(a.seed)
    ids = [f"n{i + 1}" for i in range(a.nodes)]
    victims = [v for v in a.victims.split(",") if v] or ids
    plan, t = [], a.warmup
    while a.kinds and t + a.fault_max < a.duration - 5:
        kind = a.kinds[int(rng.random() * len(a.kinds))]
        node = victims[int(rng.random() * len(victims))]
        length = round(a.fault_min + rng.random() * (a.fault_max - a.fault_min), 1)
        start = round(t + rng.random() * (a.fault_interval - length - 1), 1)
        plan.append((start, kind, node, length))
        t += a.fault_interval
    return plan


class Cluster:
    def __init__(self, a, workdir):
        self.a, self.dir = a, workdir
        self.proc = None
        self.nodes = {}  # id -> dict(address, argv, pid)

    def start(self):
        log = open(os.path.join(self.dir, "cluster.out"), "w")
        hosts = ["--base-host", self.a.base_host] if self.a.base_host else []
        self.proc = subprocess.Popen(
            [self.a.drl, "cluster", "--nodes", str(self.a.nodes), "--base-port",
             str(self.a.base_port), "--dir", self.dir, "--node-arg=--enable-test-hooks"] + hosts,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        path = os.path.join(self.dir, "nodes.json")
        if not poll(lambda: os.path.exists(path), 30):
            raise RuntimeError("drl cluster wrote no nodes.json; see " + self.dir)
        for n in json.load(open(path))["nodes"]:
            self.nodes[n["id"]] = n

    def addresses(self):
        return [n["address"] for n in self.nodes.values()]

    def restart(self, nid):
        n = self.nodes[nid]
        argv = list(n["argv"])
        if "--join" not in argv:  # the seed node restarts through any other node
            argv += ["--join", ",".join(m["address"] for k, m in self.nodes.items() if k != nid)]
        log = open(n["log"], "a")
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        n["pid"] = p.pid
        n["popen"] = p
        self.write_nodes()

    def write_nodes(self):
        path = os.path.join(self.dir, "nodes.json")
        nodes = [{k: v for k, v in n.items() if k != "popen"} for n in self.nodes.values()]
        with open(path + ".tmp", "w") as f:
            json.dump({"nodes": nodes}, f)
        os.replace(path + ".tmp", path)

    def stop(self):
        for n in self.nodes.values():  # a node left stopped would never exit
            try:
                os.kill(n["pid"], signal.SIGCONT)
            except OSError:
                pass
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for n in self.nodes.values():
            if "popen" in n:
                try:
                    n["popen"].wait(10)
                except subprocess.TimeoutExpired:
                    n["popen"].kill()


def port_free(port, host="127.0.0.1"):
    import socket
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def node_host(a, i):
    """The listen host of node i (from 0): 127.0.0.1, or base-host + i with --base-host."""
    if not a.base_host:
        return "127.0.0.1"
    import ipaddress
    return str(ipaddress.IPv4Address(a.base_host) + i)


def host_of(address):
    return address.rsplit(":", 1)[0]


IPTABLES = shutil.which("iptables") or next(
    (p for p in ("/usr/sbin/iptables", "/sbin/iptables") if os.access(p, os.X_OK)), None)


def iptables(*args):
    """Runs iptables -w (waits for another process's lock); (exit code, output)."""
    r = subprocess.run([IPTABLES, "-w"] + list(args), capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


def iptables_unavailable():
    """None when this run may cut with iptables, else why not."""
    if os.geteuid() != 0:
        return "not root"
    if not IPTABLES:
        return "iptables not found"
    code, out = iptables("-n", "-L", "INPUT")
    return None if code == 0 else f"iptables does not work here: {out}"


class FirewallCuts:
    """Cuts by the kernel: DROP rules in chain DRL-CHAOS-<pid>, hooked into INPUT.

    On loopback every packet crosses INPUT, so one hook cuts both directions, and silently (a
    DROP in OUTPUT would fail the sender's send() at once with EPERM, which no real partition
    does). Clients on 127.0.0.1 match no rule and keep reaching every node."""

    PREFIX = "DRL-CHAOS-"

    def __init__(self, cluster):
        self.cluster = cluster
        self.chain = f"{self.PREFIX}{os.getpid()}"
        self.created = self.hooked = False

    def describe(self):
        return (f"iptables (chain {self.chain} hooked into INPUT drops TCP and UDP between the "
                f"victim's address and every other node's)")

    def open(self):
        self.remove_stale()
        self.must("-N", self.chain)
        self.created = True
        self.must("-I", "INPUT", "-j", self.chain)
        self.hooked = True

    def must(self, *args):
        code, out = iptables(*args)
        if code != 0:
            raise RuntimeError(f"iptables {' '.join(args)}: {out}")

    def cut(self, nid):
        victim = host_of(self.cluster.nodes[nid]["address"])
        for other, n in self.cluster.nodes.items():
            if other == nid:
                continue
            peer = host_of(n["address"])
            self.must("-A", self.chain, "-s", victim, "-d", peer, "-j", "DROP")
            self.must("-A", self.chain, "-s", peer, "-d", victim, "-j", "DROP")

    def heal(self, nid):
        self.must("-F", self.chain)

    def close(self):
        """Unhooks and deletes the chain; safe to call twice and after a failed open()."""
        if self.hooked:
            while iptables("-D", "INPUT", "-j", self.chain)[0] == 0:
                pass
            self.hooked = False
        if self.created:
            iptables("-F", self.chain)
            iptables("-X", self.chain)
            self.created = False

    def remove_stale(self):
        """Deletes the chains of chaos runs that died without cleaning up (kill -9)."""
        _, rules = iptables("-S")
        for line in rules.splitlines():
            if not line.startswith("-N " + self.PREFIX):
                continue
            chain = line[3:]
            try:
                os.kill(int(chain[len(self.PREFIX):]), 0)
                continue  # its run is still going
            except ProcessLookupError:
                pass
            except (ValueError, PermissionError):
                continue
            while iptables("-D", "INPUT", "-j", chain)[0] == 0:
                pass
            iptables("-F", chain)
            iptables("-X", chain)
            print(f"chaos: removed the stale chain {chain}")


class AdminCuts:
    """Cuts by the node itself: the test-only admin request (drl test-fault)."""

    def __init__(self, a, cluster, why):
        self.a, self.cluster, self.why = a, cluster, why

    def describe(self):
        return f"the test-only admin request, drl test-fault ({self.why})"

    def open(self):
        pass

    def cut(self, nid):
        fault(self.a, self.cluster.nodes[nid]["address"], ["--drop", "*"])

    def heal(self, nid):
        fault(self.a, self.cluster.nodes[nid]["address"], ["--heal"])

    def close(self):
        pass


def poll(cond, timeout, every=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(every)
    return cond()


def status(drl, address):
    try:
        r = subprocess.run([drl, "status", "--server", address, "--json"], capture_output=True,
                           text=True, timeout=5)
        return json.loads(r.stdout) if r.returncode == 0 else None
    except (subprocess.TimeoutExpired, ValueError):
        return None


def rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class Watcher(threading.Thread):
    """Polls every node's status and RSS; keeps (t, per-node view) samples."""

    def __init__(self, a, cluster, t0):
        super().__init__(daemon=True)
        self.a, self.cluster, self.t0 = a, cluster, t0
        self.samples = []  # (t, {id: status or None})
        self.rss = []  # (t, id, pid, kb)
        self.down = set()  # ids killed or stopped now (not polled)
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            t = time.monotonic() - self.t0
            view = {}
            for nid, n in list(self.cluster.nodes.items()):
                if nid in self.down:
                    continue
                view[nid] = status(self.a.drl, n["address"])
                kb = rss_kb(n["pid"])
                if kb:
                    self.rss.append((t, nid, n["pid"], kb))
            self.samples.append((t, view))
            self.done.wait(self.a.poll_interval)


def agreed(view, expected):
    """Every expected node answers, sees exactly the expected members alive, same ring."""
    epochs = set()
    for nid in expected:
        s = view.get(nid)
        if not s or s["handoff_pending"]:
            return False
        alive = {m["id"] for m in s["members"] if m["state"] == "alive"}
        if alive != set(expected):
            return False
        epochs.add(s["ring_epoch"])
    return len(epochs) == 1


def all_mark_dead(view, victim, others):
    for nid in others:
        s = view.get(nid)
        if not s:
            return False
        if {m["id"]: m["state"] for m in s["members"]}.get(victim) != "dead":
            return False
    return True


def cut_method(a):
    """("iptables", None) or ("admin", why not iptables); exits 2 if iptables was demanded."""
    if a.cut_method == "admin":
        return "admin", "--cut-method admin"
    why = iptables_unavailable()
    if why is None:
        return "iptables", None
    if a.cut_method == "iptables":
        sys.exit(f"chaos: --cut-method iptables: {why}")
    return "admin", why


def run(a):
    method, why = ("admin", "plan only") if a.plan_only else cut_method(a)
    own_hosts = method == "iptables" or a.base_host
    if not a.base_port:  # below the kernel's ephemeral range; skip ports in use
        a.base_port = 10000 + (a.seed * 97) % 20000
        # Own addresses follow the base port, so concurrent runs never share (or cut) any.
        while True:
            if own_hosts and not a.base_host_given:
                a.base_host = f"127.{a.base_port >> 8}.{a.base_port & 255}.1"
            if all(port_free(a.base_port + i, node_host(a, i)) for i in range(a.nodes)):
                break
            a.base_port += a.nodes
    elif own_hosts and not a.base_host_given:
        a.base_host = f"127.{a.base_port >> 8}.{a.base_port & 255}.1"
    plan = make_plan(a)
    print(f"chaos: seed {a.seed}, {a.nodes} nodes on {node_host(a, 0)}:{a.base_port}.., "
          f"{a.duration:.0f} s of load, {a.keys} keys, limit {a.limit} per {a.window_ms} ms, "
          f"{a.rate:.0f} checks/s")
    print("fault plan (s after load starts: fault, node, length):")
    for start, kind, node, length in plan:
        print(f"  {start:7.1f}  {kind:4s} {node:4s} {length:.1f} s")
    if a.plan_only:
        return 0
    workdir = a.dir or subprocess.check_output(["mktemp", "-d", "/tmp/drl-chaos.XXXXXX"],
                                               text=True).strip()
    os.makedirs(workdir, exist_ok=True)
    print(f"chaos: work dir {workdir} (nodes.json, node logs, ledger.tsv, rss.tsv)", flush=True)
    ids = [f"n{i + 1}" for i in range(a.nodes)]
    cluster = Cluster(a, workdir)
    cuts = FirewallCuts(cluster) if method == "iptables" else AdminCuts(a, cluster, why)
    print(f"chaos: cuts by {cuts.describe()}", flush=True)
    watcher = bench = None
    try:
        cuts.open()
        cluster.start()
        if not poll(lambda: agreed({i: status(a.drl, cluster.nodes[i]["address"]) for i in ids},
                                   ids), 60, 0.5):
            print("chaos: the cluster never formed; logs in " + workdir)
            return 2
        ledger = os.path.join(workdir, "ledger.tsv")
        bench_out = open(os.path.join(workdir, "bench.json"), "w")
        bench = subprocess.Popen(
            [a.drl, "bench", "--servers", ",".join(cluster.addresses()), "--ledger", ledger,
             "--rate", str(a.rate), "--connections", str(a.connections), "--keys", str(a.keys),
             "--algorithm", "fixed_window", "--limit", str(a.limit),
             "--window", f"{a.window_ms}ms", "--duration", f"{int(a.duration)}s",
             "--seed", str(a.seed), "--timeout-ms", "2000", "--json"],
            stdout=bench_out, stderr=open(os.path.join(workdir, "bench.err"), "w"))
        t0 = time.monotonic()
        wall0 = time.time()
        watcher = Watcher(a, cluster, t0)
        watcher.start()
        events = []  # (t, kind, node, phase)
        for start, kind, node, length in plan:
            time.sleep(max(0, start - (time.monotonic() - t0)))
            pid = cluster.nodes[node]["pid"]
            events.append((time.monotonic() - t0, kind, node, "start"))
            if kind == "kill":
                watcher.down.add(node)
                os.kill(pid, signal.SIGKILL)
            elif kind == "stop":
                watcher.down.add(node)
                os.kill(pid, signal.SIGSTOP)
            else:
                cuts.cut(node)
            time.sleep(max(0, start + length - (time.monotonic() - t0)))
            if kind == "kill":
                cluster.restart(node)
            elif kind == "stop":
                os.kill(pid, signal.SIGCONT)
            else:
                cuts.heal(node)
            watcher.down.discard(node)
            events.append((time.monotonic() - t0, kind, node, "end"))
            print(f"  {events[-2][0]:7.1f}  {kind} {node} .. {events[-1][0]:.1f}", flush=True)
        bench.wait(timeout=a.duration + 120)
        # Let the last fault settle before judging agreement.
        poll(lambda: agreed(watcher.samples[-1][1], ids) if watcher.samples else False,
             a.settle_timeout, 0.5)
        time.sleep(2 * a.poll_interval)
    finally:
        cuts.close()  # first: a cut must never outlive the run
        if bench and bench.poll() is None:  # interrupted: the load stops with the run
            bench.kill()
            bench.wait()
        if watcher:
            watcher.done.set()
            watcher.join()
        cluster.stop()
    print(f"\ncuts: by {method}")
    return report(a, workdir, wall0, events, watcher, ids, bench.returncode)


def fault(a, address, args):
    r = subprocess.run([a.drl, "test-fault", "--server", address] + args, capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 0:
        print(f"chaos: test-fault {address} {args} failed: {r.stderr.strip()}")


def report(a, workdir, wall0, events, watcher, ids, bench_rc):
    W = a.window_ms / 1000.0
    samples = watcher.samples
    failures = []
    # Episodes: (start, end, kind, node, t_dead, t_agree)
    episodes = []
    starts = [e[0] for e in events[0::2]] + [float("inf")]
    for n, ((ts, kind, node, _), (te, _, _, _)) in enumerate(zip(events[0::2], events[1::2])):
        others = [i for i in ids if i != node]
        # Marked dead before this fault's next one began (a short stop may never be).
        t_dead = next((t for t, v in samples
                       if ts <= t < starts[n + 1] and all_mark_dead(v, node, others)), None)
        t_agree = next((t for t, v in samples if t >= te and agreed(v, ids)), None)
        episodes.append((ts, te, kind, node, t_dead, t_agree))
    print("\nfaults (s after load start): time to mark dead / to agree again after the end")
    for ts, te, kind, node, t_dead, t_agree in episodes:
        dead = f"dead after {t_dead - ts:5.2f} s" if t_dead else "not marked dead"
        agree = f"agreed {t_agree - te:5.2f} s after" if t_agree is not None else "NEVER agreed"
        print(f"  {ts:7.1f}  {kind:4s} {node:4s} {te - ts:4.1f} s: {dead}; {agree}")
        if t_agree is None:
            failures.append(f"{kind} {node} at {ts:.1f} s: the cluster never agreed again")

    # The ledger: admissions per (key, window), errors per second.
    windows, errors = {}, {}
    for line in open(os.path.join(workdir, "ledger.tsv")):
        f = line.rstrip("\n").split("\t")
        if f[0] == "A":
            windows[(f[1], int(f[2]))] = (int(f[3]), int(f[4]))
        elif f[0] == "E":
            errors[(int(f[1]), f[2])] = errors.get((int(f[1]), f[2]), 0) + int(f[3])
    bench = {}
    try:
        bench = json.loads(open(os.path.join(workdir, "bench.json")).read() or "{}")
    except ValueError:
        pass
    if bench_rc != 0:
        failures.append(f"drl bench exited with {bench_rc} (see {workdir}/bench.err)")

    # Influence of an episode, in wall-clock ms: from its start to one window after agreement.
    def wall_ms(t):
        return (wall0 + t) * 1000

    spans = []
    for ts, te, kind, node, t_dead, t_agree in episodes:
        end = (t_agree if t_agree is not None else a.duration + a.settle_timeout) + W
        spans.append((wall_ms(ts), wall_ms(end), kind))
    # Fail-overs nobody injected: a node whose fail-over count rose between two polls saw a
    # member leave its view (declared dead), which the bound counts as a fault.
    stalls, last = [], {}
    for t, view in samples:
        for nid, st in view.items():
            if not st:
                continue
            n = st["cluster"]["failovers"]  # restarts from 0 in a restarted process
            if nid in last and n > last[nid][1] and not any(
                    s <= wall_ms(t) <= e for s, e, _ in spans):
                stalls.append((wall_ms(last[nid][0]), wall_ms(t), "stall"))
            last[nid] = (t, n)
    spans += [(s - 1000 * W, e + 1000 * W, k) for s, e, k in stalls]
    worst, broken, affected, extra_total = None, [], 0, 0
    for (key, end_ms), (allowed, decided) in sorted(windows.items()):
        start_ms = end_ms - a.window_ms
        rate = decided / W
        allowance = a.limit
        hit = [k for s, e, k in spans if s < end_ms and e > start_ms]
        for k in hit:
            allowance += math.ceil(rate * DELTA_PLUS_TAU) * (1 if k == "cut" else 2)
            if k == "cut":
                allowance += a.limit
        affected += bool(hit)
        extra = allowed - a.limit
        extra_total += max(0, extra)
        if worst is None or extra > worst[0]:
            worst = (extra, key, end_ms, allowed, allowance, hit)
        if allowed > allowance:
            broken.append((key, end_ms, allowed, allowance, hit))
    total_err = sum(errors.values())
    by_code = {}
    for (_, code), n in errors.items():
        by_code[code] = by_code.get(code, 0) + n
    in_faults = sum(n for (sec, _), n in errors.items()
                    if any(s - 1000 <= sec * 1000 <= e for s, e, _ in spans))
    print(f"\nload: {bench.get('allowed', 0) + bench.get('denied', 0) + bench.get('errors', 0)} "
          f"checks over {bench.get('seconds', 0):.0f} s: allowed {bench.get('allowed', 0)}, "
          f"denied {bench.get('denied', 0)}, client-visible errors {total_err} "
          f"({', '.join(f'{c} {n}' for c, n in sorted(by_code.items())) or 'none'}; "
          f"{total_err - in_faults} outside fault episodes)")
    print(f"stalls: {len(stalls)} poll intervals outside injected faults where a node failed "
          f"over (its view dropped a member)")
    print(f"bound: {len(windows)} (key, window) pairs, {affected} touched by a fault; "
          f"admissions above the limit: {extra_total} in total")
    if worst:
        extra, key, end_ms, allowed, allowance, hit = worst
        print(f"  worst: {key} window ending {end_ms}: {allowed} admitted for limit {a.limit} "
              f"(allowance {allowance}{', during ' + '+'.join(hit) if hit else ', steady state'})")
    for key, end_ms, allowed, allowance, hit in broken[:20]:
        failures.append(f"BOUND BROKEN: {key} window ending {end_ms}: {allowed} admitted, "
                        f"allowance {allowance} ({'+'.join(hit) or 'steady state'})")

    # RSS: per process that lived through warm-up, growth from the end of warm-up to the end.
    print("\nmemory (RSS, per node process alive from warm-up to the end):")
    by_pid = {}
    for t, nid, pid, kb in watcher.rss:
        by_pid.setdefault((nid, pid), []).append((t, kb))
    t_last = max((t for t, _, _, _ in watcher.rss), default=0)
    for (nid, pid), series in sorted(by_pid.items()):
        after = [kb for t, kb in series if t >= a.warmup]
        if (series[0][0] > a.warmup or series[-1][0] < t_last - 10 * a.poll_interval
                or len(after) < 4):
            continue
        k = max(1, len(after) // 10)  # medians of the first and last tenths
        first, last = sorted(after[:k])[k // 2], sorted(after[-k:])[k // 2]
        print(f"  {nid} pid {pid}: {first / 1024:.1f} MiB after warm-up -> {last / 1024:.1f} MiB "
              f"at the end ({100.0 * (last - first) / first:+.1f}%), max "
              f"{max(kb for _, kb in series) / 1024:.1f} MiB")
    with open(os.path.join(workdir, "rss.tsv"), "w") as f:
        for t, nid, pid, kb in watcher.rss:
            f.write(f"{t:.1f}\t{nid}\t{pid}\t{kb}\n")

    print()
    for line in failures:
        print("chaos: " + line)
    print(f"chaos: {'FAILED' if failures else 'passed'} (seed {a.seed}; files in {workdir})")
    return 1 if failures else 0


def raise_on_sigterm(signo, frame):
    # Unwinds through run()'s finally, which removes the iptables chain and stops the nodes.
    raise KeyboardInterrupt(f"signal {signo}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, raise_on_sigterm)
    args = parse_args()
    if not args.drl and not args.plan_only:
        sys.exit("chaos: give --drl or set DRL_BIN")
    try:
        sys.exit(run(args))
    except (RuntimeError, KeyboardInterrupt) as e:  # cleaned up by run()'s finally
        print(f"chaos: run failed: {e or 'interrupted'}")
        sys.exit(2)
