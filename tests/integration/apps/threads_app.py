# SPDX-License-Identifier: MIT
"""A WSGI app for the threads tests (test_threads.py): a barrier that only
opens when N requests are inside the app at once, a body echo that also
writes to wsgi.errors, a file_wrapper response, who served, and a request that blocks until
another releases it."""
import hashlib
import json
import os
import threading
import time

_cond = threading.Condition()
_inside = 0
_released = threading.Event()   # /block waits for /release


def _json(start_response, obj):
    body = json.dumps(obj, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _barrier(n, timeout):
    """True once n requests wait here together (each leaves when they met)."""
    global _inside
    with _cond:
        _inside += 1
        _cond.notify_all()
        met = _cond.wait_for(lambda: _inside >= n, timeout)
    # stay counted until every thread has seen the count (they leave together)
    time.sleep(0.2)
    with _cond:
        _inside -= 1
    return met


def application(environ, start_response):
    path = environ["PATH_INFO"]
    q = environ.get("QUERY_STRING", "")
    if path == "/barrier":
        met = _barrier(int(q or "2"), 30.0)
        return _json(start_response, {"met": met, "pid": os.getpid(), "tid": threading.get_ident()})
    if path == "/echo":
        body = environ["wsgi.input"].read()
        digest = hashlib.sha256(body).hexdigest()
        environ["wsgi.errors"].write("echo %s %d\n" % (digest, len(body)))
        return _json(start_response, {"len": len(body), "sha": digest})
    if path == "/file":
        start_response("200 OK", [("Content-Type", "text/x-python")])
        return environ["wsgi.file_wrapper"](open(__file__, "rb"))
    if path == "/sleep":
        time.sleep(float(q or "1"))
        return _json(start_response, {"slept": True})
    if path == "/block":
        # the test waits for the file: this thread is inside the app
        with open(q, "w"):
            pass
        return _json(start_response, {"released": _released.wait(60), "tid": threading.get_ident()})
    if path == "/release":
        _released.set()
        return _json(start_response, {"released": True})
    if path == "/who":
        return _json(start_response, {"pid": os.getpid(), "tid": threading.get_ident(),
                                      "multithread": environ["wsgi.multithread"],
                                      "reloads": os.environ.get("UWSGI_RELOADS")})
    body = b"Hello, World!"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
