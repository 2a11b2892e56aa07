#!/usr/bin/env python3
"""Load through one of a node's doors for the network lab (scripts/netlab.sh).

Each of --connections threads holds one connection to one of --servers (round robin; the
door's address of each node) and sends one check at a time, back to back, on a key k drawn
from --keys keys (seeded). Every door's keys admit exactly --burst checks in the run, so
every admission past that is an over-admission:

  resp  `CL.THROTTLE resp:<k> <burst-1> 1 <period>`: a bucket of --burst, one token per
        --period seconds (far longer than the run).
  http  POST /v1/check, {"key": "http:<k>", "limit": a token bucket of --burst tokens, one
        more per --period seconds}.
  grpc  Envoy's ShouldRateLimit in the domain "netlab", one descriptor (key, <k>); the node's
        --rls-config gives that rule --burst requests a day (a fixed window: keys are counted
        per window, the window told by the answer's duration_until_reset, so a run that
        crosses midnight UTC counts two windows). Needs python3-grpcio; the messages are
        written and read as protobuf wire bytes (envoy/service/ratelimit/v3/rls.proto).

A reply not read within --timeout seconds, a refused or broken connection, an error reply and
a check the door answered with an error code are errors (the thread then reconnects, to the
same node).

Writes one JSON line to --out: attempts, allowed, denied, errors by kind (with the first message
of each kind), p50/p99 latency (us) and the admissions per key.
"""
import argparse
import json
import random
import socket
import threading
import time

import http.client


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--door", choices=("resp", "http", "grpc"), default="resp")
    p.add_argument("--servers", required=True, help="HOST:PORT[,HOST:PORT...] (the door's ports)")
    p.add_argument("--connections", type=int, default=6)
    p.add_argument("--keys", type=int, default=100)
    p.add_argument("--burst", type=int, default=10, help="admissions per key in the run")
    p.add_argument("--period", type=int, default=3600, help="seconds per token (>> the run)")
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--timeout", type=float, default=2.0, help="seconds to wait for a reply")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="file for the JSON result")
    return p.parse_args()


class DoorError(Exception):
    """A check that got no decision: kind is what the report counts, str() the message."""

    def __init__(self, kind, message="", reconnect=False):
        super().__init__(message or kind)
        self.kind, self.reconnect = kind, reconnect


# --- RESP ---------------------------------------------------------------------------------

def resp_encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class RespReader:
    """Reads RESP2 replies from a socket (enough for CL.THROTTLE: arrays of integers, errors)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the node")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
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
                self.fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        raise ValueError(f"not RESP: {line[:40]!r}")


class RespDoor:
    def __init__(self, a, server):
        self.a, self.server, self.sock = a, server, None

    def connect(self):
        host, port = self.server.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=self.a.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = RespReader(self.sock)

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def check(self, k):
        """(allowed, counted key) or DoorError."""
        self.sock.sendall(resp_encode("CL.THROTTLE", f"resp:{k}", self.a.burst - 1, 1,
                                      self.a.period))
        r = self.reader.reply()
        if isinstance(r, RuntimeError):
            raise DoorError("reply: " + str(r).split(" ")[0], str(r))
        if isinstance(r, list) and len(r) == 5 and r[0] in (0, 1):
            return r[0] == 0, str(k)
        raise DoorError("reply: unexpected", repr(r)[:200], reconnect=True)


# --- HTTP ---------------------------------------------------------------------------------

class HttpDoor:
    def __init__(self, a, server):
        self.a, self.server, self.conn = a, server, None

    def connect(self):
        host, port = self.server.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=self.a.timeout)
        self.conn.connect()
        self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def check(self, k):
        body = json.dumps({"checks": [{"key": f"http:{k}", "limit": {
            "algorithm": "TOKEN_BUCKET", "limit": 1, "window_ms": self.a.period * 1000,
            "burst": self.a.burst}}]})
        self.conn.request("POST", "/v1/check", body, {"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            try:
                code = json.loads(data)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = str(resp.status)
            raise DoorError(f"status {resp.status} {code}", data.decode(errors="replace")[:200])
        result = json.loads(data)["results"][0]
        if result["code"] != "OK":
            raise DoorError("result: " + result["code"], result.get("message", ""))
        return result["allowed"], str(k)


# --- gRPC (Envoy's rate limit service) ----------------------------------------------------

def pb_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_bytes(field, data):
    return pb_varint(field << 3 | 2) + pb_varint(len(data)) + data


def pb_fields(data):
    """(field, wire type, value) of one message: ints for varints, bytes for the rest."""
    i = 0
    while i < len(data):
        key, i = pb_read_varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = pb_read_varint(data, i)
        elif wire == 2:
            n, i = pb_read_varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield field, wire, value


def pb_read_varint(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


RLS_METHOD = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit"
RLS_DOMAIN = "netlab"


def rls_request(k):
    # RateLimitRequest{domain = 1; descriptors = 2 {entries = 1 {key = 1; value = 2}}}
    entry = pb_bytes(1, b"key") + pb_bytes(2, str(k).encode())
    return pb_bytes(1, RLS_DOMAIN.encode()) + pb_bytes(2, pb_bytes(1, entry))


def rls_answer(data):
    """(overall_code, seconds until the first descriptor's window resets or None)."""
    overall, until = 0, None
    for field, _, value in pb_fields(data):
        if field == 1:  # overall_code: 1 OK, 2 OVER_LIMIT
            overall = value
        elif field == 2 and until is None:  # statuses[0]
            for f, _, v in pb_fields(value):
                if f == 4:  # duration_until_reset
                    until = sum(x for ff, _, x in pb_fields(v) if ff == 1)
    return overall, until


class GrpcDoor:
    def __init__(self, a, server):
        import grpc  # python3-grpcio: only this door needs it
        self.grpc, self.a, self.server, self.channel = grpc, a, server, None

    def connect(self):
        # A local subchannel pool: each thread its own TCP connection, as the other doors.
        self.channel = self.grpc.insecure_channel(
            self.server, options=[("grpc.use_local_subchannel_pool", 1)])
        self.call = self.channel.unary_unary(RLS_METHOD, request_serializer=None,
                                             response_deserializer=None)

    def close(self):
        if self.channel is not None:
            self.channel.close()
        self.channel = None

    def check(self, k):
        try:
            data = self.call(rls_request(k), timeout=self.a.timeout)
        except self.grpc.RpcError as e:
            code = e.code().name if hasattr(e, "code") else "UNKNOWN"
            # The channel reconnects by itself; a refused connect fails at once, so the caller
            # pauses as after any connect error.
            raise DoorError("grpc: " + code, str(e.details() if hasattr(e, "details") else e),
                            reconnect=code == "UNAVAILABLE")
        overall, until = rls_answer(data)
        if overall not in (1, 2):
            raise DoorError("grpc: overall_code %d" % overall)
        # Keys are counted per fixed window (its end, to the minute, from the answer).
        window = "" if until is None else "@%d" % (round((time.time() + until) / 60))
        return overall == 1, f"{k}{window}"


DOORS = {"resp": RespDoor, "http": HttpDoor, "grpc": GrpcDoor}


class Worker(threading.Thread):
    def __init__(self, a, server, seed, end):
        super().__init__(daemon=True)
        self.a, self.door, self.end = a, DOORS[a.door](a, server), end
        self.random = random.Random(seed)
        self.attempts = self.allowed = self.denied = 0
        self.errors = {}  # kind -> count
        self.samples = {}  # kind -> the first full message of that kind
        self.per_key = {}  # counted key -> admissions
        self.latency_us = []

    def error(self, kind, message=""):
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.samples.setdefault(kind, message or kind)

    def run(self):
        connected = False
        while time.monotonic() < self.end:
            if not connected:
                try:
                    self.door.connect()
                    connected = True
                except OSError as e:
                    self.attempts += 1
                    self.error("connect: " + type(e).__name__, str(e))
                    time.sleep(0.05)  # a refused connect returns at once: do not spin
                    continue
            k = self.random.randrange(self.a.keys)
            self.attempts += 1
            sent = time.perf_counter()
            try:
                allowed, counted = self.door.check(k)
            except socket.timeout:
                self.error("timeout")
                self.door.close()
                connected = False
                continue
            except DoorError as e:
                self.error(e.kind, str(e))
                if e.reconnect:
                    self.door.close()
                    connected = False
                    time.sleep(0.05)
                continue
            except (OSError, ValueError, http.client.HTTPException) as e:
                self.error("connection: " + type(e).__name__, str(e))
                self.door.close()
                connected = False
                continue
            self.latency_us.append((time.perf_counter() - sent) * 1e6)
            if allowed:
                self.allowed += 1
                self.per_key[counted] = self.per_key.get(counted, 0) + 1
            else:
                self.denied += 1
        self.door.close()


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
        "door": a.door, "seconds": round(seconds, 2), "limit": a.burst,
        "attempts": sum(w.attempts for w in workers),
        "allowed": sum(w.allowed for w in workers), "denied": sum(w.denied for w in workers),
        "errors": sum(errors.values()), "error_kinds": errors, "error_samples": samples,
        "p50_us": round(percentile(lat, 0.5), 1), "p99_us": round(percentile(lat, 0.99), 1),
        "admitted_per_key": dict(sorted(per_key.items())),
    }
    with open(a.out, "w") as f:
        f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
