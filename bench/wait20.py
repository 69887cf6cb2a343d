# SPDX-License-Identifier: MIT
# bench/threads.sh: an app that waits 20 ms per request (a database or
# another service), the case threads are for. 13-byte body.
import time

BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    time.sleep(0.02)
    start_response("200 OK", HEADERS)
    return [BODY]
