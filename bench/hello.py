# SPDX-License-Identifier: MIT
# Hello-world WSGI app used by bench/run.sh (13-byte body, explicit Content-Length).
BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
