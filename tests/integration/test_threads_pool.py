# SPDX-License-Identifier: MIT
"""`threads = N` (issue 20): the threads of a worker share its keep-alive
connections, so a request is served by whichever thread is free, never
held up behind a slow request of another connection that some thread
accepted or served before."""
import http.client
import json
import select
from collections import defaultdict

from conftest import APPS, Instance, free_port, wait_for

APP = str(APPS / "threads_app.py")


def request(conn, path):
    conn.request("GET", path)
    r = conn.getresponse()
    return r.status, r.read()


def test_keep_alive_request_not_held_behind_a_slow_one(tmp_path):
    """One worker, two threads, four keep-alive connections: two of them
    were served by one thread (pigeonhole). One of those two blocks in the
    app until the test releases it; the other's next request must still be
    answered meanwhile (by the free thread). A worker whose threads own
    their connections leaves it waiting behind the blocked request."""
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", APP, "--master",
                     "--processes", "1", "--threads", "2", "--socket-timeout", "60"], port=port)
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(4)]
    released = False
    try:
        by_tid = defaultdict(list)
        for c in conns:
            status, body = request(c, "/who")
            assert status == 200
            by_tid[eval_json(body)["tid"]].append(c)
        shared = next(cs for cs in by_tid.values() if len(cs) >= 2)
        slow, other = shared[0], shared[1]
        flag = tmp_path / "inside"
        slow.request("GET", f"/block?{flag}")
        wait_for(lambda: flag.exists(), 30, "the slow request inside the app")
        # the slow request's thread is stuck: the other one answers
        other.sock.settimeout(30)
        status, body = request(other, "/")
        assert (status, body) == (200, b"Hello, World!")
        assert not answered(slow), "the slow request is still blocked"
        # more requests on every other connection, while it is stuck
        for c in conns:
            if c is not slow:
                assert request(c, "/") == (200, b"Hello, World!")
        release(port)
        released = True
        r = slow.getresponse()
        assert r.status == 200 and eval_json(r.read())["released"] is True
        # the connection that waited is served again
        assert request(slow, "/") == (200, b"Hello, World!")
    finally:
        if not released:
            release(port)
        for c in conns:
            c.close()
        inst.stop()


def test_many_keep_alive_connections_on_few_threads():
    """32 keep-alive connections on 2 threads, 5 requests each, interleaved:
    every request answered on its own connection, the stats count them all."""
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", APP, "--master",
                     "--processes", "1", "--threads", "2"], port=port)
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(32)]
    try:
        for _ in range(5):
            for c in conns:
                c.request("GET", "/")
            for c in conns:
                r = c.getresponse()
                assert (r.status, r.read()) == (200, b"Hello, World!")
    finally:
        for c in conns:
            c.close()
        log = inst.stop()
    assert log.count("GET / =>") == 160, log[-2000:]


def eval_json(body):
    return json.loads(body)


def answered(conn):
    """Bytes of a response are there to read (without waiting for them)."""
    r, _, _ = select.select([conn.sock], [], [], 0)
    return bool(r)


def release(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        assert request(c, "/release")[0] == 200
    finally:
        c.close()
