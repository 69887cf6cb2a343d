# SPDX-License-Identifier: MIT
"""Exercises the `uwsgi` module the way apps do: uwsgidecorators' @postfork and
@lock, uwsgi.atexit, the identity and control calls, user locks, log variables.
Each path answers JSON (see test_uwsgi_module.py)."""
import json
import os
import socket
import stat
import sys
import time

import uwsgi
from uwsgidecorators import lock, postfork

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from outfile import put  # noqa: E402

OUT = os.environ.get("UWSGI_API_OUT", "/tmp")
LOADED_IN = os.getpid()
WID_AT_LOAD = uwsgi.worker_id()
IMPORTED_BEFORE = "uwsgi_api_import" in sys.modules
forks = []


def mark(what):
    forks.append(what)
    put(os.path.join(OUT, f"{what}.{uwsgi.worker_id()}.{os.getpid()}"), "")


@postfork
def record_fork():
    mark("fork")


@postfork(2)
def only_worker_2():
    mark("only2")


def at_exit():
    with open(os.path.join(OUT, f"atexit.{os.getpid()}"), "w") as f:
        f.write(str(uwsgi.worker_id()))


uwsgi.atexit = at_exit


@lock
def locked_is_held():
    return uwsgi.is_locked()


def opt_json():
    def dec(v):
        if isinstance(v, bytes):
            return {"bytes": v.decode()}
        if isinstance(v, list):
            return [dec(x) for x in v]
        return v
    return {k: dec(v) for k, v in uwsgi.opt.items()}


def wait_file(path, deadline=30):
    end = time.monotonic() + deadline
    while not os.path.exists(path):
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def info(environ):
    fd = uwsgi.connection_fd()
    return {
        "opt": opt_json(),
        "numproc": uwsgi.numproc,
        "worker_id": uwsgi.worker_id(),
        "mule_id": uwsgi.mule_id(),
        "masterpid": uwsgi.masterpid(),
        "pid": os.getpid(),
        "loaded_in": LOADED_IN,
        "wid_at_load": WID_AT_LOAD,
        "imported_before": IMPORTED_BEFORE,
        "version": uwsgi.version.decode(),
        "hostname": uwsgi.hostname.decode(),
        "started_on": uwsgi.started_on,
        "total_requests": uwsgi.total_requests(),
        "request_id": uwsgi.request_id(),
        "fd_is_socket": stat.S_ISSOCK(os.fstat(fd).st_mode),
        "fd_peer_port": socket.socket(fileno=os.dup(fd)).getpeername()[1],
        "argv": sys.argv,
        "optimize": sys.flags.optimize,
        "file_wrapper": "wsgi.file_wrapper" in environ,
        "forks": forks,
        "SPOOL_OK": uwsgi.SPOOL_OK,
        "i_am_the_spooler": uwsgi.i_am_the_spooler(),
    }


def route(environ):
    path = environ["PATH_INFO"]
    parts = path.strip("/").split("/")
    if path == "/info":
        return info(environ)
    if path == "/workers":
        return [{"id": w["id"], "pid": w["pid"], "status": w["status"].decode(),
                 "requests": w["requests"]} for w in uwsgi.workers()]
    if parts[0] == "hold":          # /hold/N: take lock N until OUT/release.N exists
        n = int(parts[1])
        uwsgi.lock(n)
        put(os.path.join(OUT, f"held.{n}"), str(os.getpid()))
        released = wait_file(os.path.join(OUT, f"release.{n}"))
        uwsgi.unlock(n)
        # what another worker put in the cache meanwhile (None without one)
        shared = uwsgi.cache_get("shared") if uwsgi.opt.get("cache2") else None
        return {"released": released, "pid": os.getpid(),
                "shared": shared.decode() if shared else None}
    if parts[0] == "cache":         # /cache/OP/KEY[/VALUE]
        op, key = parts[1], parts[2]
        args = [key] + [int(p) if op in ("inc", "dec", "mul", "div") else p.encode()
                        for p in parts[3:]]
        r = getattr(uwsgi, "cache_" + op)(*args)
        if isinstance(r, bytes):
            r = r.decode()
        return {"r": r, "pid": os.getpid()}
    if path == "/cache-keys":
        return sorted(k.decode() for k in uwsgi.cache_keys())
    if path == "/cache-big":
        return {"set": uwsgi.cache_set("big", b"x" * 5000), "get": uwsgi.cache_get("big")}
    if parts[0] == "is_locked":
        return {"locked": uwsgi.is_locked(int(parts[1])), "pid": os.getpid()}
    if path == "/decorated-lock":
        return {"held_inside": locked_is_held(), "held_after": uwsgi.is_locked()}
    if path == "/bad-lock":
        try:
            uwsgi.lock(int(uwsgi.opt.get("locks", b"0")) + 1)
        except ValueError as e:
            return {"error": str(e)}
        return {"error": None}
    if path == "/logvar":
        uwsgi.set_logvar("who", "alice")
        uwsgi.set_logvar("who", "bob")      # replaces
        uwsgi.set_logvar("tag", "t1")
        return {"who": uwsgi.get_logvar("who").decode(), "none": uwsgi.get_logvar("nope")}
    if path == "/log":
        return {"ret": uwsgi.log("app says hello via uwsgi.log")}
    if path == "/procname":
        uwsgi.setprocname("renamed-wkr")
        with open(f"/proc/{os.getpid()}/comm") as f:
            return {"comm": f.read().strip()}
    if path == "/chunked":
        pieces = []
        while True:
            c = uwsgi.chunked_read()
            if not c:
                break
            pieces.append(c)
        return {"body": b"".join(pieces).decode(), "pieces": len(pieces)}
    if parts[0] == "refused":       # /refused/NAME
        try:
            getattr(uwsgi, parts[1])(1, 2)
        except NotImplementedError as e:
            return {"error": str(e)}
        return {"error": None}
    if path == "/reload":
        return {"ret": uwsgi.reload()}
    if path == "/stop":
        return {"ret": uwsgi.stop()}
    if path == "/assert":
        try:
            assert False, "asserts run"
        except AssertionError:
            return {"asserts": True}
        return {"asserts": False}
    return None


def application(environ, start_response):
    body = route(environ)
    if body is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such path\n"]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
