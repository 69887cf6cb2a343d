# SPDX-License-Identifier: MIT
"""Mules (test_uwsgi_module.py): @mulefunc calls run in a mule and write
OUT/mulefunc.NAME.MULEID; a program mule (apps/uwsgi_mule_prog.py) echoes
mule_get_msg() messages to OUT/prog.MSG. GET /call/NAME[/N] calls the
mulefunc (on mule N), GET /msg/N/TEXT sends TEXT to mule N."""
import json
import os
import sys

import uwsgi
from uwsgidecorators import mulefunc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from outfile import put  # noqa: E402

OUT = os.environ["UWSGI_API_OUT"]


@mulefunc
def record(name):
    put(os.path.join(OUT, f"mulefunc.{name}.{uwsgi.mule_id()}"), str(os.getpid()))


@mulefunc(2)
def record_on_2(name):
    record_plain(name)


def record_plain(name):
    put(os.path.join(OUT, f"mulefunc.{name}.{uwsgi.mule_id()}"), str(os.getpid()))


def application(environ, start_response):
    parts = environ["PATH_INFO"].strip("/").split("/")
    body = {}
    if parts[0] == "call":
        (record_on_2 if len(parts) > 2 else record)(parts[1])
    elif parts[0] == "msg":
        body["sent"] = uwsgi.mule_msg(parts[2].encode(), int(parts[1]))
    elif parts[0] == "get":
        try:
            uwsgi.mule_get_msg()
        except ValueError as e:
            body["error"] = str(e)
    body["mule_id"] = uwsgi.mule_id()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]
