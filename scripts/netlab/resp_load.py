#!/usr/bin/env python3
"""RESP load for the network lab (scripts/netlab.sh): CL.THROTTLE through every node's Redis port.

Each of --connections threads holds one connection to one of --servers (round robin) and sends
`CL.THROTTLE resp:<k> <burst-1> 1 <period>` back to back (one command in flight), k drawn from
--keys keys (seeded). With --period far longer than the run no token comes back during it, so
each key may admit exactly --burst checks in total: every admission past that is an
over-admission. A reply not read within --timeout seconds, a refused or broken connection and
a RESP error reply are errors (the thread then reconnects, to the same node).

Writes one JSON line to --out: attempts, allowed, denied, errors by kind (with the first message
of each kind), p50/p99 latency (us) and the admissions per key. Only the Python standard library is used.
"""
import argparse
import json
import random
import socket
import threading
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--servers", required=True, help="HOST:PORT[,HOST:PORT...] (RESP ports)")
    p.add_argument("--connections", type=int, default=6)
    p.add_argument("--keys", type=int, default=100)
    p.add_argument("--burst", type=int, default=10, help="admissions per key in the run")
    p.add_argument("--period", type=int, default=3600, help="seconds per token (>> the run)")
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for a reply")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--prefix", default="resp:", help="key prefix")
    p.add_argument("--out", required=True, help="file for the JSON result")
    return p.parse_args()


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class Reader:
    """Reads RESP2 replies from a socket (enough for CL.THROTTLE: arrays of integers, errors)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the node")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b":":
            return int(rest)
        if kind == b"-":
            return RuntimeError(rest.decode(errors="replace"))
        if kind == b"+":
            return rest.decode()
        if kind == b"*":
            return [self.reply() for _ in range(int(rest))]
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("connection closed by the node")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        raise ValueError(f"not RESP: {line[:40]!r}")


class Worker(threading.Thread):
    def __init__(self, a, server, seed, end):
        super().__init__(daemon=True)
        self.a, self.server, self.end = a, server, end
        self.random = random.Random(seed)
        self.attempts = self.allowed = self.denied = 0
        self.errors = {}  # kind -> count
        self.samples = {}  # kind -> the first full message of that kind
        self.per_key = {}  # key index -> admissions
        self.latency_us = []

    def error(self, kind, message=""):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.samples.setdefault(kind, message or kind)

    def connect(self):
        host, port = self.server.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=self.a.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s, Reader(s)

    def run(self):
        sock = reader = None
        while time.monotonic() < self.end:
            if sock is None:
                try:
                    sock, reader = self.connect()
                except OSError as e:
                    self.attempts += 1
                    self.error("connect: " + type(e).__name__)
                    time.sleep(0.05)  # a refused connect returns at once: do not spin
                    continue
            k = self.random.randrange(self.a.keys)
            cmd = encode("CL.THROTTLE", f"{self.a.prefix}{k}", self.a.burst - 1, 1, self.a.period)
            self.attempts += 1
            sent = time.perf_counter()
            try:
                sock.sendall(cmd)
                r = reader.reply()
            except socket.timeout:
                self.error("timeout")
                sock.close()
                sock = None
                continue
            except (OSError, ValueError) as e:
                self.error("connection: " + type(e).__name__)
                sock.close()
                sock = None
                continue
            self.latency_us.append((time.perf_counter() - sent) * 1e6)
            if isinstance(r, RuntimeError):
                self.error("reply: " + str(r).split(" ")[0], str(r))
            elif isinstance(r, list) and len(r) == 5 and r[0] == 0:
                self.allowed += 1
                self.per_key[k] = self.per_key.get(k, 0) + 1
            elif isinstance(r, list) and len(r) == 5 and r[0] == 1:
                self.denied += 1
            else:
                self.error("reply: unexpected")
        if sock is not None:
            sock.close()


def percentile(sorted_values, q):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    a = parse_args()
    servers = [s for s in a.servers.split(",") if s]
    start = time.monotonic()
    end = start + a.duration
    workers = [Worker(a, servers[i % len(servers)], a.seed * 1000003 + i, end)
               for i in range(a.connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    seconds = time.monotonic() - start
    per_key, errors, samples, lat = {}, {}, {}, []
    for w in workers:
        for k, n in w.per_key.items():
            per_key[k] = per_key.get(k, 0) + n
        for kind, n in w.errors.items():
            errors[kind] = errors.get(kind, 0) + n
            samples.setdefault(kind, w.samples[kind])
        lat += w.latency_us
    lat.sort()
    result = {
        "door": "resp", "seconds": round(seconds, 2), "limit": a.burst,
        "attempts": sum(w.attempts for w in workers),
        "allowed": sum(w.allowed for w in workers), "denied": sum(w.denied for w in workers),
        "errors": sum(errors.values()), "error_kinds": errors, "error_samples": samples,
        "p50_us": round(percentile(lat, 0.5), 1), "p99_us": round(percentile(lat, 0.99), 1),
        "admitted_per_key": {str(k): n for k, n in sorted(per_key.items())},
    }
    with open(a.out, "w") as f:
        f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
