# SPDX-License-Identifier: MIT
"""post-buffering probe: records when it starts (and whether the client's
marker existed then), hashes wsgi.input in small reads, lists the worker's
open deleted temp files."""
import hashlib
import json
import os

MARK = os.environ.get("PB_MARK", "")


def application(environ, start_response):
    started_after_mark = bool(MARK) and os.path.exists(MARK)
    if MARK:
        with open(MARK + ".started", "w") as f:
            f.write("1")
    tmpfiles = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if "stockade-body-" in target:
            tmpfiles.append(target)
    h = hashlib.sha256()
    n = 0
    inp = environ["wsgi.input"]
    while True:
        block = inp.read(65536)
        if not block:
            break
        h.update(block)
        n += len(block)
    body = json.dumps({"sha256": h.hexdigest(), "len": n, "after_mark": started_after_mark,
                       "tmpfiles": tmpfiles, "pid": os.getpid()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]
