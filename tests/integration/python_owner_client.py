#!/usr/bin/python3
"""A drl client in Python written from docs/protocol.md and proto/drl/client.proto alone (no
drl code): frames, checks, the ring request, and routing each check to its key's owner.

Usage: python_owner_client.py PB2_DIR HOST:PORT [CHECKS]
  PB2_DIR   a directory holding client_pb2.py (protoc --python_out of proto/drl/client.proto)
  HOST:PORT any node of the cluster (the seed)
  CHECKS    how many checks to send (default 300)

It asks the seed for the ring, sends every check on a connection to its key's owner, and
counts the checks whose result says they were decided by a node other than the one the
client chose (a forward). A check answered OVERLOADED (not decided) is sent again after its
retry_after_ms, with jitter, as the doc says. It also reads every member's status before and
after, so the cluster's own counters confirm it. Prints one line of JSON; exits 0 when every
check was decided by the owner the client chose, no node forwarded any, and each node's
`checks` (received) equals its `checks_decided` plus what it shed; 1 otherwise. Needs Debian's python3-protobuf and python3-xxhash.
"""
import bisect
import json
import random
import socket
import struct
import sys
import time

import xxhash

sys.path.insert(0, sys.argv[1])
import client_pb2 as pb  # noqa: E402


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def placement_key(check):
    """The bytes of "A key's owner", step 1."""
    if check.HasField("limit"):
        lim = check.limit
        return (b"i" + bytes([lim.algorithm, lim.calendar]) + varint(lim.limit) +
                varint(lim.window_ms * 1_000_000) + varint(lim.burst) + check.key)
    return b"p" + check.policy.encode() + b"\0" + check.key


class Connection:
    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.sock = socket.create_connection((host.strip("[]"), int(port)), timeout=20)
        self.next_id = 1

    def call(self, request):
        request.id = self.next_id
        self.next_id += 1
        payload = request.SerializeToString()
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)
        size = struct.unpack(">I", self.read(4))[0]
        response = pb.Response()
        response.ParseFromString(self.read(size))
        assert response.id == request.id, (response.id, request.id)
        return response

    def read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the node closed the connection")
            data += chunk
        return data


class Ring:
    def __init__(self, answer):
        self.epoch = answer.epoch
        self.members = [(m.id, m.address) for m in answer.members]
        self.hashes = list(answer.token_hashes)
        self.owners = list(answer.token_members)

    def owner(self, key_hash):
        """"A key's owner", step 3: the first token at or above the hash, else the first."""
        i = bisect.bisect_left(self.hashes, key_hash)
        return self.members[self.owners[i if i < len(self.hashes) else 0]]


class OwnerClient:
    def __init__(self, seed):
        self.seed = seed
        self.connections = {}
        self.ring = None
        self.refreshes = 0
        self.shed = {}  # owner id -> checks it answered OVERLOADED (received, not decided)
        self.refresh()

    def connection(self, address):
        if address not in self.connections:
            self.connections[address] = Connection(address)
        return self.connections[address]

    def refresh(self):
        request = pb.Request()
        request.ring.known_epoch = self.ring.epoch if self.ring else 0
        answer = self.connection(self.seed).call(request).ring
        if not answer.unchanged:
            self.ring = Ring(answer)
        self.refreshes += 1

    def check(self, check):
        """Sends one check to its owner; returns (result, decided by, owner id chosen)."""
        for _ in range(10):
            owner_id, address = self.ring.owner(xxhash.xxh3_64_intdigest(placement_key(check)))
            request = pb.Request()
            request.check.checks.append(check)
            response = self.connection(address).call(request)
            # "When to refresh": every response carries the node's ring epoch.
            if response.ring_epoch != self.ring.epoch:
                self.refresh()
            result = response.check.results[0]
            # OVERLOADED: not decided; wait retry_after_ms with jitter, and try again.
            if result.code != pb.OVERLOADED:
                break
            self.shed[owner_id] = self.shed.get(owner_id, 0) + 1
            time.sleep(result.retry_after_ms * (1 + random.random()) / 1000)
        decided_by = result.decided_by or response.check.decided_by
        return result, decided_by, owner_id

    def status(self, address):
        request = pb.Request()
        request.status.SetInParent()
        return self.connection(address).call(request).status


def main():
    pb2_dir, seed = sys.argv[1], sys.argv[2]
    total = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    client = OwnerClient(seed)
    members = list(client.ring.members)
    before = {mid: client.status(addr) for mid, addr in members}
    off_owner = 0
    allowed = 0
    for i in range(total):
        check = pb.Check(key=b"py-user:%d" % i)
        if i % 2:
            check.limit.algorithm = pb.TOKEN_BUCKET
            check.limit.limit = 10
            check.limit.window_ms = 60000
        else:
            check.limit.algorithm = pb.FIXED_WINDOW
            check.limit.limit = 5
            check.limit.calendar = pb.CALENDAR_DAY
        result, decided_by, owner = client.check(check)
        assert result.code == pb.OK, result
        allowed += result.allowed
        off_owner += decided_by != owner
    after = {mid: client.status(addr) for mid, addr in members}
    forwarded = sum(after[m].forwarded - before[m].forwarded for m, _ in members)
    received = {m: after[m].checks - before[m].checks for m, _ in members}
    decided = {m: after[m].checks_decided - before[m].checks_decided for m, _ in members}
    report = {"checks": total, "allowed": allowed, "decided_off_owner": off_owner,
              "forwarded": forwarded, "received": received, "decided": decided,
              "members": len(members), "ring_refreshes": client.refreshes,
              "shed": client.shed}
    print(json.dumps(report, sort_keys=True))
    ok = (off_owner == 0 and forwarded == 0 and sum(decided.values()) == total and
          allowed == total and
          all(received[m] == decided[m] + client.shed.get(m, 0) for m, _ in members))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
