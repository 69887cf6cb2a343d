# SPDX-License-Identifier: MIT
"""A real Flask app on the uwsgi module (issue 22), used the way Flask users
do through Debian's uwsgidecorators: a @postfork PostgreSQL connection per
worker (psycopg2; the server from pgserver.py), a view cached in cache2 across
workers, a @spool task, @timer and @cron jobs, a @mulefunc consumer; with
processes, with processes + threads, and inside a jail (the rootfs sees
/usr's Python packages and the PostgreSQL socket directory). App: apps/flask_uwsgi.py."""
import concurrent.futures
import os

import pytest

from conftest import APPS, Instance, children, free_port, get_json, wait_for
from pgserver import fresh_db, pg, unavailable  # noqa: F401 (pg: fixture)

why_not = unavailable()
try:
    import psycopg2  # noqa: F401 (the app needs it)
except ImportError:
    why_not = why_not or "python3-psycopg2 missing (scripts/deps.sh installs it)"
pytestmark = pytest.mark.skipif(why_not is not None, reason=str(why_not))


@pytest.fixture
def conninfo(pg):
    return fresh_db(pg, "flask", schema="CREATE TABLE notes (id integer PRIMARY KEY, note text);"
                                        "INSERT INTO notes VALUES (1, 'from postgres');")


def lines(path):
    try:
        return [tuple(map(int, ln.split())) for ln in path.read_text().splitlines()]
    except FileNotFoundError:
        return []


def start(tmp_path, pg, info, threads, jailed):
    """The instance, its out and spool directories as the test sees them, and
    the master's pid (None in a jail: its pids are the jail's namespace's)."""
    args = ["--wsgi-file", str(APPS / "flask_uwsgi.py"), "--master", "--processes", "2",
            "--threads", str(threads), "--mules", "1", "--spooler-frequency", "1",
            "--cache2", "name=flask,items=20,blocksize=256"]
    env = {"FLASK_PG": info, "STOCKADE_TEST_CRON_MINUTE_MS": "200"}
    port = free_port()
    if not jailed:
        out = tmp_path / "out"
        out.mkdir()
        inst = Instance(["--http-socket", f"127.0.0.1:{port}", *args, "--spooler", str(tmp_path / "spool")],
                        port=port, env={**env, "FLASK_OUT": str(out)})
        return inst, port, out, tmp_path / "spool", inst.proc.pid
    from jailfs import Jailed, Rootfs, jail_name
    rootfs = Rootfs(tmp_path)
    rootfs.binds.append(pg.dir)     # the server's unix socket
    name = jail_name()
    inst = Jailed(["--http-socket", f"127.0.0.1:{port}", *args, "--spooler", "/out/spool",
                   "--jail", f"{rootfs.path} jailhost {name}"],
                  rootfs=rootfs, port=port, env={**env, "FLASK_OUT": "/out"})
    inst.jail_name = name
    return inst, port, rootfs.path / "out", rootfs.path / "out" / "spool", None


CASES = [(1, False), (4, False), (1, True)]
can_jail = os.geteuid() == 0 and os.path.exists("/proc/self/ns/pid")


@pytest.mark.parametrize("threads,jailed", [
    pytest.param(t, j, marks=pytest.mark.skipif(j and not can_jail, reason="needs root and namespaces"))
    for t, j in CASES], ids=["processes", "threads", "jail"])
def test_flask_app_with_uwsgidecorators(tmp_path, pg, conninfo, threads, jailed):
    info, dbname = conninfo
    inst, port, out, spool_dir, master = start(tmp_path, pg, info, threads, jailed)
    try:
        # @postfork: one connection per worker, opened in the worker after the fork
        wait_for(lambda: all((out / f"postfork.{w}").exists() for w in (1, 2)), timeout=30,
                 what="@postfork in both workers")
        forks = {w: tuple(map(int, (out / f"postfork.{w}").read_text().split())) for w in (1, 2)}
        worker_pids = {pid for pid, _ in forks.values()}
        assert len(worker_pids) == 2
        if master is not None:
            assert worker_pids <= set(children(master)) and master not in worker_pids
        assert len({backend for _, backend in forks.values()}) == 2
        backends = {int(b) for b in pg.sql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{dbname}'").split()}
        assert {b for _, b in forks.values()} <= backends
        # the cached view: the first call computes, every later call (any worker) hits
        first = get_json(port, "/cached/k")
        assert first["from_cache"] is False and first["value"] == f"made by {first['pid']}"

        # processes * threads probes at once fill every worker: each answers from
        # its own connection and from the cache the first call filled
        n = 2 * threads
        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            futs = [ex.submit(get_json, port, f"/probe/k/{i}", timeout=90) for i in range(n)]
            wait_for(lambda: len(list(out.glob("held.*"))) == n, timeout=30, what=f"{n} probes held")
            (out / "release").write_text("")
            answers = [f.result() for f in futs]
        assert {a["worker_id"] for a in answers} == {1, 2}
        for a in answers:
            pid, backend = forks[a["worker_id"]]
            assert (a["pid"], a["db_owner"], a["backend"]) == (pid, pid, backend)
            assert a["note"] == "from postgres"
            assert (a["value"], a["from_cache"]) == (first["value"], True)

        # @spool: the task runs in the spooler process, not in a worker
        get_json(port, "/spool/report")
        wait_for(lambda: (out / "spooled.report").exists(), timeout=30, what="the spooled task")
        spid, is_spooler = (out / "spooled.report").read_text().split()
        assert is_spooler == "True" and int(spid) not in worker_pids
        wait_for(lambda: list(spool_dir.iterdir()) == [], timeout=30, what="the spool emptied")

        # @mulefunc: consumed by the mule
        get_json(port, "/mule/m1")
        wait_for(lambda: (out / "mule.m1").exists(), timeout=30, what="the mulefunc")
        mule_id, mpid = map(int, (out / "mule.m1").read_text().split())
        assert mule_id == 1 and mpid not in worker_pids
        if master is not None:
            assert mpid in children(master)

        # @timer(1) and @cron (a test-clock minute every 200 ms) fire again and again in a worker
        for what in ("timer", "cron"):
            wait_for(lambda: len(lines(out / what)) >= 2, timeout=30, what=f"@{what} twice")
            assert {w for w, m, _ in lines(out / what)} <= {1, 2}
        if jailed:      # /out exists only in the jail's root: the spooler made it there
            assert not os.path.exists("/out/spool")
    finally:
        inst.stop()
        if jailed:
            from jailfs import registry, run
            if registry(inst.jail_name).exists():
                run(["--jail-remove", inst.jail_name])
