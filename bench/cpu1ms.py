# SPDX-License-Identifier: MIT
# bench/threads.sh: a CPU-bound app (about 1 ms of pure Python per request):
# threads contend for the GIL; the figure shows they do not collapse.
BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    n = 0
    for i in range(20000):
        n += i
    start_response("200 OK", HEADERS)
    return [BODY]
