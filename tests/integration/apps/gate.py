# SPDX-License-Identifier: MIT
"""A WSGI app for load steps: /hold blocks until the file named by the query
string exists (a deadline of 60 s), anything else answers at once."""
import os
import time


def application(environ, start_response):
    if environ["PATH_INFO"] == "/hold":
        gate = environ.get("QUERY_STRING", "")
        deadline = time.monotonic() + 60
        while gate and not os.path.exists(gate) and time.monotonic() < deadline:
            time.sleep(0.02)
    body = ("pid %d\n" % os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
