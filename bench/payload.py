# SPDX-License-Identifier: MIT
# Payload WSGI app used by bench/run.sh (the same file for every server).
#   GET  (any path)  -> 64 KiB body, one bytes object, explicit Content-Length
#   POST (any path)  -> reads wsgi.input fully (CONTENT_LENGTH bytes, 64 KiB at
#                       a time) and answers with the number of bytes read
BIG = b"x" * 65536
BIG_HEADERS = [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(BIG)))]
CHUNK = 65536


def application(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        left = int(environ.get("CONTENT_LENGTH") or 0)
        inp = environ["wsgi.input"]
        n = 0
        while left > 0:
            data = inp.read(min(CHUNK, left))
            if not data:
                break
            n += len(data)
            left -= len(data)
        body = str(n).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    start_response("200 OK", BIG_HEADERS)
    return [BIG]
