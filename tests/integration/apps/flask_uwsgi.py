# SPDX-License-Identifier: MIT
"""A Flask app using the uwsgi module the way Flask users do, through Debian's
uwsgidecorators (test_uwsgi_flask.py): @postfork opens one PostgreSQL
connection per worker (psycopg2, conninfo in FLASK_PG), /probe reads the DB
through it and the "flask" cache2, @spool writes a file, @timer and @cron
append lines, @mulefunc runs in a mule. Every event is a file in FLASK_OUT,
written whole, so the test waits for files, never for time."""
import os
import time

import psycopg2
import uwsgi
from flask import Flask, jsonify
from uwsgidecorators import cron, mulefunc, postfork, spool, timer

OUT = os.environ["FLASK_OUT"]
PG = os.environ["FLASK_PG"]

app = Flask(__name__)
application = app
db = None          # this worker's connection, made after the fork
db_owner = None    # the pid that opened it


def put(name, text):
    tmp = os.path.join(OUT, f".{name}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(OUT, name))


def mark(name):
    with open(os.path.join(OUT, name), "a") as f:
        f.write(f"{uwsgi.worker_id()} {uwsgi.mule_id()} {os.getpid()}\n")


@postfork
def connect():
    global db, db_owner
    if uwsgi.worker_id() == 0:     # mules and spoolers need no connection
        return
    db = psycopg2.connect(PG)
    db.autocommit = True
    db_owner = os.getpid()
    put(f"postfork.{uwsgi.worker_id()}", f"{os.getpid()} {db.get_backend_pid()}")


@spool
def write_report(args):
    put(f"spooled.{args['name']}", f"{os.getpid()} {uwsgi.i_am_the_spooler() is not None}")


@timer(1)
def every_second(num):
    mark("timer")


@cron(-1, -1, -1, -1, -1)
def every_minute(num):
    mark("cron")


@mulefunc
def in_a_mule(name):
    put(f"mule.{name}", f"{uwsgi.mule_id()} {os.getpid()}")


def cached(key):
    """The value of key in cache2 "flask", computed (and stored) on a miss."""
    hit = uwsgi.cache_get(key, "flask")
    if hit is not None:
        return hit.decode(), True
    value = f"made by {os.getpid()}"
    uwsgi.cache_set(key, value.encode(), 0, "flask")
    return value, False


@app.route("/cached/<key>")
def cached_view(key):
    value, hit = cached(key)
    return jsonify(value=value, from_cache=hit, pid=os.getpid(), worker_id=uwsgi.worker_id())


@app.route("/probe/<key>/<int:n>")
def probe(key, n):
    """Held until OUT/release exists, so that n concurrent probes fill every
    thread of every worker; then answers from the DB and the cache."""
    put(f"held.{os.getpid()}.{n}", "")
    end = time.monotonic() + 60
    while not os.path.exists(os.path.join(OUT, "release")) and time.monotonic() < end:
        time.sleep(0.02)
    with db.cursor() as cur:
        cur.execute("SELECT pg_backend_pid(), (SELECT note FROM notes WHERE id = 1)")
        backend, note = cur.fetchone()
    value, hit = cached(key)
    return jsonify(pid=os.getpid(), worker_id=uwsgi.worker_id(), db_owner=db_owner,
                   backend=backend, note=note, value=value, from_cache=hit)


@app.route("/spool/<name>")
def spool_view(name):
    return jsonify(file=write_report.spool(name=name.encode()).decode())


@app.route("/mule/<name>")
def mule_view(name):
    in_a_mule(name)
    return jsonify(queued=True)
