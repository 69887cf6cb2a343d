# SPDX-License-Identifier: MIT
"""uWSGI signals (issue 22) through uwsgidecorators, registered at load time in
the master: each handler appends "<what> <worker_id> <mule_id> <pid>" to a file
in UWSGI_SIGNALS_OUT, so the test waits for lines, never for time."""
import json
import os

import uwsgi
from uwsgidecorators import cron, filemon, rbtimer, signal, timer

OUT = os.environ["UWSGI_SIGNALS_OUT"]


def mark(what):
    with open(os.path.join(OUT, what), "a") as f:
        f.write(f"{uwsgi.worker_id()} {uwsgi.mule_id()} {os.getpid()}\n")


@timer(1)
def every_second(num):
    mark("timer")


@rbtimer(1, target="mule")
def in_a_mule(num):
    mark("mule_timer")


@cron(-1, -1, -1, -1, -1, target="mule2")
def every_minute(num):
    mark("cron")


@filemon(os.path.join(OUT, "watched"), target="worker")
def watched_changed(num):
    mark("filemon")


@signal(20, target="worker2")
def ms_timer(num):
    mark("ms_timer")


uwsgi.add_ms_timer(20, 300)


@signal(17, target="workers")
def to_all_workers(num):
    mark(f"workers.{num}")


@signal(21, target="active-workers")
def to_active_workers(num):
    mark("active")


@signal(22, target="workers")
def waited_for(num):
    mark("waited")


@signal(18, target="mule1")
def to_mule1(num):
    mark("mule1")


@signal(19, target="spooler")
def to_the_spooler(num):
    mark("spooler")


def after_fork_registration():
    try:
        uwsgi.register_signal(30, "workers", to_all_workers)
    except ValueError as e:
        return str(e)
    return "registered"


def application(environ, start_response):
    path = environ["PATH_INFO"]
    body = {"worker_id": uwsgi.worker_id()}
    if path == "/raise17":
        uwsgi.signal(17)
    elif path == "/raise18":
        uwsgi.signal(18)
    elif path == "/raise21":
        uwsgi.signal(21)
    elif path == "/wait22":
        body["wait"] = uwsgi.signal_wait(22).decode()
        body["received"] = uwsgi.signal_received()
    elif path == "/raise22":
        uwsgi.signal(22)
    elif path == "/raise19":
        uwsgi.signal(19)
    elif path == "/late":
        body["late"] = after_fork_registration()
    elif path == "/registered":
        body["registered"] = [uwsgi.signal_registered(n) for n in (17, 18, 99)]
    out = json.dumps(body).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [out]
