# SPDX-License-Identifier: MIT
"""An app that reports the version read at import (STOCKADE_TEST_VERSION_FILE)
and its pid: a chain reload with lazy-apps loads the new version."""
import json
import os

with open(os.environ["STOCKADE_TEST_VERSION_FILE"]) as f:
    VERSION = f.read().strip()


def application(environ, start_response):
    if environ["PATH_INFO"] == "/alloc":
        # limit-as: a big allocation must fail with MemoryError, not kill the worker
        try:
            block = bytearray(int(environ.get("QUERY_STRING") or "0"))
            result = {"allocated": len(block)}
        except MemoryError:
            result = {"memory_error": True}
    elif environ["PATH_INFO"] == "/stdin":
        import sys
        result = {"stdin": sys.stdin.readline()}
    elif environ["PATH_INFO"] == "/sleep":
        import time
        time.sleep(60)
        result = {}
    elif environ["PATH_INFO"] == "/writes":
        # write() until the client (gone) makes it fail; the outcome goes
        # to the file named by the query string
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        outcome = "no exception"
        try:
            for _ in range(4000):
                write(b"x" * 65536)
        except OSError as e:
            outcome = "raised " + type(e).__name__
        with open(environ["QUERY_STRING"], "w") as f:
            f.write(outcome)
        return []
    elif environ["PATH_INFO"] == "/cmdline":
        with open("/proc/self/cmdline", "rb") as f:
            result = {"cmdline": f.read().decode("latin-1")}
    else:
        result = {"version": VERSION, "pid": os.getpid()}
    body = json.dumps(result).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
