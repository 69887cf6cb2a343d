# SPDX-License-Identifier: MIT
"""A WSGI app that exercises the server: routes by PATH_INFO."""
import json
import os


def _json(start_response, obj, status="200 OK"):
    body = json.dumps(obj, sort_keys=True).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/environ":
        env = {k: v for k, v in environ.items() if isinstance(v, (str, int, bool, tuple))}
        env["wsgi.input"] = type(environ["wsgi.input"]).__name__
        env["wsgi.errors"] = type(environ["wsgi.errors"]).__name__
        return _json(start_response, env)
    if path == "/echo":
        body = environ["wsgi.input"].read()
        return _json(start_response, {"len": len(body), "body": body.decode("latin-1"),
                                      "terminated": environ.get("wsgi.input_terminated")})
    if path == "/lines":
        inp = environ["wsgi.input"]
        first = inp.readline()
        rest = [line for line in inp]
        again = inp.read()
        return _json(start_response, {"first": first.decode(), "rest": [r.decode() for r in rest],
                                      "after_eof": again.decode()})
    if path == "/chunks":
        inp = environ["wsgi.input"]
        sizes = []
        while True:
            b = inp.read(3)
            if not b:
                break
            sizes.append(len(b))
        return _json(start_response, {"sizes": sizes})
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (("part%d\n" % i).encode() for i in range(5))
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written;")
        return [b"returned"]
    if path == "/raise":
        raise RuntimeError("boom from the probe app")
    if path == "/osenv":
        return _json(start_response, {"reloads": os.environ.get("UWSGI_RELOADS"), "pid": os.getpid(),
                                      "ppid": os.getppid(), "notify_socket": os.environ.get("NOTIFY_SOCKET")})
    if path == "/sleep":
        import time
        time.sleep(float(environ.get("QUERY_STRING") or "1"))
        return _json(start_response, {"slept": True})
    if path == "/pid":
        return _json(start_response, {"pid": os.getpid()})
    if path == "/file":
        f = open(__file__, "rb")
        start_response("200 OK", [("Content-Type", "text/x-python")])
        return environ["wsgi.file_wrapper"](f)
    if path == "/badheader":
        start_response("200 OK", [("X-Bad", "a\r\nInjected: 1")])
        return [b"no"]
    body = b"Hello, World!"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
