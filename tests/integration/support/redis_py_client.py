#!/usr/bin/python3
"""Drives a drl node's RESP port with redis-py (Debian's python3-redis), as an application
would: a connection pool that names its connections, a health check, INFO, CLIENT, a
pipeline of CL.THROTTLE. Prints "ok" and exits 0 when every expectation holds; any failure
raises. Usage: redis_py_client.py PORT (tests/integration/resp_test.cpp runs it)."""
import sys

import redis

port = int(sys.argv[1])
pool = redis.ConnectionPool(host="127.0.0.1", port=port, db=0, client_name="drl-pool",
                            health_check_interval=1, socket_timeout=20)
r = redis.Redis(connection_pool=pool)
assert r.ping() is True
assert r.client_getname() in ("drl-pool", b"drl-pool"), r.client_getname()
assert isinstance(r.client_id(), int)
info = r.client_info()  # parsed by redis-py, which needs Redis's integer fields
assert info["name"] == "drl-pool" and info["db"] == 0, info
server = r.info("server")
assert server["redis_version"] == "7.2.0", server
first = r.execute_command("CL.THROTTLE", "py:1", 1, 10, 60)
assert first[:4] == [0, 2, 1, -1] and first[4] in (6, 7), first
with r.pipeline(transaction=False) as p:
    for _ in range(4):
        p.execute_command("CL.THROTTLE", "py:2", 2, 1, 60)
    replies = p.execute()
assert [x[0] for x in replies] == [0, 0, 0, 1], replies
assert replies[3][3] in (59, 60), replies

# Two connections of one pool at once (the second is opened while the first is held).
a = pool.get_connection("PING")
b = pool.get_connection("PING")
a.send_command("CLIENT", "ID")
b.send_command("CLIENT", "ID")
ids = (a.read_response(), b.read_response())
assert ids[0] != ids[1], ids
pool.release(a)
pool.release(b)

try:
    r.execute_command("HELLO", 3)
    raise AssertionError("HELLO 3 was accepted")
except redis.exceptions.ResponseError as e:
    assert str(e).startswith("NOPROTO"), e
try:
    redis.Redis(host="127.0.0.1", port=port, db=1, socket_timeout=20).ping()
    raise AssertionError("SELECT 1 was accepted")
except redis.exceptions.RedisError as e:
    assert "DB index is out of range" in str(e), e
print("ok")
