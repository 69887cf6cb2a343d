# SPDX-License-Identifier: MIT
"""uwsgi.spooler set by hand (test_uwsgi_module.py): a task with b"retry"
answers SPOOL_RETRY on its first run and SPOOL_OK on the next; each run
appends to OUT/runs.NAME. GET /spool/NAME[/retry] spools one, with a body."""
import json
import os

import uwsgi

OUT = os.environ["UWSGI_API_OUT"]


def spooler(task):
    name = task[b"name"].decode()
    path = os.path.join(OUT, f"runs.{name}")
    runs = open(path).read().split() if os.path.exists(path) else []
    runs.append(str(len(task.get("body", b""))))
    tmp = os.path.join(OUT, f".runs.{name}.tmp")
    with open(tmp, "w") as f:
        f.write(" ".join(runs))
    os.rename(tmp, path)
    if b"retry" in task and len(runs) == 1:
        return uwsgi.SPOOL_RETRY
    return uwsgi.SPOOL_OK


uwsgi.spooler = spooler


def application(environ, start_response):
    parts = environ["PATH_INFO"].strip("/").split("/")
    task = {b"name": parts[1].encode(), b"body": b"x" * 100000}
    if len(parts) > 2:
        task[b"retry"] = b"1"
    r = uwsgi.spool(task)
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"file": r.decode()}).encode()]
