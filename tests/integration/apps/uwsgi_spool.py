# SPDX-License-Identifier: MIT
"""A spooled task through uwsgidecorators' @spool (test_uwsgi_module.py): each
run of task NAME writes OUT/started.NAME.PID, waits while OUT/block.NAME
exists, then appends a line to OUT/done.NAME. GET /spool/NAME spools it."""
import json
import os
import sys
import time

import uwsgi
from uwsgidecorators import spool

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from outfile import put  # noqa: E402

OUT = os.environ["UWSGI_API_OUT"]


@spool
def slow_task(args):
    name = args["name"]
    # written whole before it appears (the test reads it as soon as it exists)
    tmp = os.path.join(OUT, f".tmp.{os.getpid()}")
    with open(tmp, "w") as f:
        f.write(str(uwsgi.i_am_the_spooler()))
    os.rename(tmp, os.path.join(OUT, f"started.{name}.{os.getpid()}"))
    end = time.monotonic() + 120
    while os.path.exists(os.path.join(OUT, f"block.{name}")) and time.monotonic() < end:
        time.sleep(0.02)
    put(os.path.join(OUT, f"done.{name}"), f"{os.getpid()}\n", "a")


def application(environ, start_response):
    parts = environ["PATH_INFO"].strip("/").split("/")
    if parts[0] == "spool":
        r = slow_task.spool(name=parts[1].encode())
        body = {"file": r.decode()}
    elif parts[0] == "raw":       # uwsgi.spool() with a str key: refused as in uWSGI
        try:
            uwsgi.spool({"k": b"v"})
            body = {"error": None}
        except ValueError as e:
            body = {"error": str(e)}
    elif parts[0] == "count":     # a counter in the cache shared by the workers
        uwsgi.cache_inc("n", 1, 0, "jc")
        body = {"n": uwsgi.cache_num("n", "jc"), "pid": os.getpid()}
    else:
        body = {"spoolers": [s.decode() for s in uwsgi.spoolers]}
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
