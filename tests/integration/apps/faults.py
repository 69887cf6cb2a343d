# SPDX-License-Identifier: MIT
"""A WSGI app that misbehaves on request (tests/integration/test_faults.py):
big streamed responses, a request that never returns, a memory leak."""
import json
import os
import time

_leaked = []


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/big":
        # ?n = MiB streamed in 64 KiB pieces
        n = int(environ.get("QUERY_STRING") or "32")
        piece = b"x" * 65536
        start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                  ("Content-Length", str(n * 1024 * 1024))])
        return (piece for _ in range(n * 16))
    if path == "/forever":
        while True:
            time.sleep(1)
    if path == "/leak":
        # ?n = MiB kept alive for the life of the worker, touched so they count in RSS
        n = int(environ.get("QUERY_STRING") or "8")
        _leaked.append(bytearray(b"\x01" * (n * 1024 * 1024)))
    if path == "/echo":
        body = environ["wsgi.input"].read()
        out = json.dumps({"len": len(body)}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]
    if path == "/sleep":
        time.sleep(float(environ.get("QUERY_STRING") or "0.05"))
    out = json.dumps({"pid": os.getpid(), "reloads": os.environ.get("UWSGI_RELOADS"),
                      "leaked_mib": sum(len(b) for b in _leaked) >> 20}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]
