# SPDX-License-Identifier: MIT
"""The pg:// imperial monitor (issue 14): vassal configs are rows of a
PostgreSQL table; insert / update / delete spawn / reload / stop them,
LISTEN/NOTIFY makes the Emperor react at once (a rescan every emperor-freq
is the fallback), Emperors on different nodes split one table, a database
restart leaves running vassals alone, a broken row breaks only its
vassal. The configs reach the vassals over the Emperor's config socket.
A real server (pgserver.py) runs for the whole module."""
import json
import os
import time

import pytest

from conftest import free_port, get, get_json, read_stats, wait_for
from pgserver import fresh_db, pg, unavailable  # noqa: F401 (pg: fixture)
from test_emperor import PROBE, Emperor, emperors, osenv, port_closed, vassal_ini  # noqa: F401 (emperors: fixture)

why_not = unavailable()
pytestmark = pytest.mark.skipif(why_not is not None, reason=str(why_not))


@pytest.fixture
def db(pg):
    """A fresh database with the documented schema: (conninfo, sql)."""
    conninfo, name = fresh_db(pg, "t")
    return conninfo, (lambda text: pg.sql(text, db=name))


def q(s):
    return "'" + s.replace("'", "''") + "'"


def insert(sql, name, config, node="n1"):
    sql(f"INSERT INTO vassals (node, name, config) VALUES ({q(node)}, {q(name)}, {q(config)})")


def reloads(port):
    return osenv(port)["reloads"]


# ---- insert, update, delete ------------------------------------------------------------------


def test_insert_update_delete(db, emperors):
    """NOTIFY drives everything: emperor-freq is 60 s, far longer than the waits."""
    conninfo, sql = db
    p1, p2 = free_port(), free_port()
    e = emperors(f"pg://{conninfo} password=hunter2", "--emperor-pg-node", "n1", freq=60)
    e.wait_log("[emperor-pg] connected to")
    insert(sql, "app1", vassal_ini(p1))
    wait_for(lambda: reloads(p1) == "0", timeout=20, what="app1 spawned")
    assert e.vassal("app1")["monitor"] == f"pg://{conninfo} password=***"
    # the config came through the Emperor: the vassal names it emperor://app1
    assert "spawned vassal app1 " in e.log()

    # a new timestamp reloads it, with the new text
    sql(f"UPDATE vassals SET config = {q(vassal_ini(p2))}, ts = now() WHERE name = 'app1'")
    wait_for(lambda: reloads(p2) == "1", timeout=20, what="app1 reloaded on its new port")
    # the text alone changing (same ts) reloads it too
    sql(f"UPDATE vassals SET config = {q(vassal_ini(p2, 'env = MARK=2'))} WHERE name = 'app1'")
    wait_for(lambda: reloads(p2) == "2", timeout=20, what="app1 reloaded for a new text")

    # a JSON row next to it
    p3 = free_port()
    cfg = {"uwsgi": {"http-socket": f"127.0.0.1:{p3}", "wsgi-file": PROBE, "processes": 1}}
    insert(sql, "app2.json", json.dumps(cfg))
    wait_for(lambda: reloads(p3) == "0", timeout=20, what="JSON row spawned")

    # a deleted row stops its vassal; the other one keeps serving
    sql("DELETE FROM vassals WHERE name = 'app1'")
    wait_for(lambda: port_closed(p2), timeout=20, what="app1 stopped")
    e.wait_log("received message 0 from emperor")
    assert get(p3, "/osenv")[0] == 200
    # the vassal closes its socket before it exits and is reaped: the table follows
    wait_for(lambda: e.vassal("app1") is None, timeout=20, what="app1 gone from the Emperor's table")
    log = e.log()
    assert "hunter2" not in log
    assert "hunter2" not in json.dumps(e.stats())


def test_rescan_without_notify(pg, emperors):
    """No trigger on the table: the periodic rescan still finds every change."""
    name = f"nn{os.getpid()}"
    conninfo = pg.new_db(name, schema=pg_schema_without_trigger())
    p = free_port()
    e = emperors(f"pg://{conninfo}", "--emperor-pg-node", "n1", freq=1)
    e.wait_log("[emperor-pg] connected to")
    pg.sql(f"INSERT INTO vassals (node, name, config) VALUES ('n1', 'quiet', {q(vassal_ini(p))})", db=name)
    wait_for(lambda: reloads(p) == "0", timeout=20, what="found by a rescan")
    pg.sql("UPDATE vassals SET ts = now() WHERE name = 'quiet'", db=name)
    wait_for(lambda: reloads(p) == "1", timeout=20, what="reloaded by a rescan")
    pg.sql("DELETE FROM vassals", db=name)
    wait_for(lambda: port_closed(p), timeout=20, what="stopped by a rescan")


def pg_schema_without_trigger():
    from pgserver import SCHEMA
    return SCHEMA.split("CREATE FUNCTION")[0]


def test_notify_is_needed_for_quick_reaction(pg, emperors):
    """The counter-proof of the NOTIFY test: without a trigger and with a
    60 s emperor-freq, a new row is not picked up within 5 s."""
    name = f"nq{os.getpid()}"
    conninfo = pg.new_db(name, schema=pg_schema_without_trigger())
    p = free_port()
    e = emperors(f"pg://{conninfo}", "--emperor-pg-node", "n1", freq=60)
    e.wait_log("[emperor-pg] connected to")
    pg.sql(f"INSERT INTO vassals (node, name, config) VALUES ('n1', 'late', {q(vassal_ini(p))})", db=name)
    time.sleep(5)
    assert "spawned vassal late" not in e.log()
    assert port_closed(p)


# ---- nodes, custom query ---------------------------------------------------------------------------


def test_two_emperors_split_one_table(db, emperors):
    conninfo, sql = db
    ports = {(n, i): free_port() for n in ("n1", "n2") for i in range(2)}
    for (node, i), port in ports.items():
        insert(sql, f"app{i}", vassal_ini(port), node=node)
    e1 = emperors(f"pg://{conninfo}", "--emperor-pg-node", "n1", freq=60)
    e2 = emperors(f"pg://{conninfo}", "--emperor-pg-node", "n2", freq=60)
    for port in ports.values():
        wait_for(lambda port=port: reloads(port) == "0", timeout=30, what=f"vassal on {port}")
    for e, node in ((e1, "n1"), (e2, "n2")):
        vs = e.stats()["vassals"]
        assert sorted(v["id"] for v in vs) == ["app0", "app1"]
        pids = {v["pid"] for v in vs}
        # each node serves its own rows
        assert {osenv(ports[(node, i)])["ppid"] for i in range(2)} == pids
    # a row moved from n1 to n2: n1 stops it, n2 starts it
    sql("UPDATE vassals SET node = 'n2', name = 'moved' WHERE node = 'n1' AND name = 'app1'")
    wait_for(lambda: e1.vassal("app1") is None and e2.vassal("moved") is not None, timeout=20, what="moved")
    wait_for(lambda: osenv(ports[("n1", 1)])["ppid"] == e2.vassal("moved")["pid"], timeout=30,
             what="the moved vassal served by n2")


def test_custom_query(db, emperors):
    """`pg://conninfo;query`: $1 is the node name; other columns as the default's."""
    conninfo, sql = db
    p1, p2 = free_port(), free_port()
    insert(sql, "web-a", vassal_ini(p1))
    insert(sql, "batch-b", vassal_ini(p2))
    query = "SELECT name, config, extract(epoch FROM ts) FROM vassals WHERE node = $1 AND name LIKE 'web-%'"
    e = emperors(f"pg://{conninfo};{query}", "--emperor-pg-node", "n1", freq=60)
    wait_for(lambda: reloads(p1) == "0", timeout=20, what="web-a spawned")
    assert [v["id"] for v in e.stats()["vassals"]] == ["web-a"]
    assert port_closed(p2)


# ---- failures --------------------------------------------------------------------------------------


def test_database_restart(pg, db, emperors):
    """Vassals keep serving while the database is down; the outage is logged
    once; a row inserted before the Emperor reconnects is picked up."""
    conninfo, sql = db
    p1, p2 = free_port(), free_port()
    insert(sql, "steady", vassal_ini(p1))
    e = emperors(f"pg://{conninfo}", "--emperor-pg-node", "n1", freq=60)
    wait_for(lambda: reloads(p1) == "0", timeout=20, what="steady spawned")
    master = e.vassal("steady")["pid"]
    pg.stop()
    try:
        e.wait_log("[emperor-pg] database unreachable")
        # several rescans and reconnection attempts later: still serving, untouched
        time.sleep(4)
        assert osenv(p1)["ppid"] == master and reloads(p1) == "0"
        assert e.log().count("database unreachable") == 1
    finally:
        pg.start()
    insert(sql, "newcomer", vassal_ini(p2))
    wait_for(lambda: reloads(p2) == "0", timeout=60, what="row inserted during the outage spawned")
    e.wait_log("[emperor-pg] database reachable again")
    assert osenv(p1)["ppid"] == master, "the steady vassal was not restarted"
    assert e.log().count("database unreachable") == 1


def test_reconnection_reconciles_what_changed_meanwhile(pg, emperors):
    """The Emperor's role loses its login and its session is ended: while it
    cannot connect, a row is inserted and another deleted (their NOTIFYs go
    nowhere, and emperor-freq is 60 s); the scan on reconnection does both."""
    name = f"rc{os.getpid()}"
    role = f"emperor_{os.getpid()}"
    conninfo = pg.new_db(name)
    sql = lambda text: pg.sql(text, db=name)  # noqa: E731
    sql(f"DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN; GRANT SELECT ON vassals TO {role};")
    p1, p2 = free_port(), free_port()
    insert(sql, "leaving", vassal_ini(p1))
    e = emperors(f"pg://{conninfo.replace('user=postgres', 'user=' + role)}", "--emperor-pg-node", "n1", freq=60)
    wait_for(lambda: reloads(p1) == "0", timeout=20, what="leaving spawned")
    sql(f"ALTER ROLE {role} NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}';")
    try:
        e.wait_log("[emperor-pg] database unreachable")
        insert(sql, "arriving", vassal_ini(p2))
        sql("DELETE FROM vassals WHERE name = 'leaving'")
        time.sleep(1.5)
        assert reloads(p1) == "0" and port_closed(p2), "nothing happens while the Emperor cannot read"
    finally:
        sql(f"ALTER ROLE {role} LOGIN")
    e.wait_log("[emperor-pg] database reachable again", timeout=40)
    wait_for(lambda: reloads(p2) == "0", timeout=20, what="arriving spawned after reconnection")
    wait_for(lambda: port_closed(p1), timeout=20, what="leaving stopped after reconnection")
    sql(f"ALTER ROLE {role} NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}';"
        f"DROP OWNED BY {role}; DROP ROLE {role};")


def test_broken_rows_break_only_themselves(db, emperors):
    conninfo, sql = db
    good = free_port()
    insert(sql, "good", vassal_ini(good))
    insert(sql, "broken", "[uwsgi]\nprocesses = 1\n[uwsgi\n")
    insert(sql, "../escape", vassal_ini(free_port()))
    insert(sql, "huge", "[uwsgi]\n" + "; padding\n" * 7000)
    sql("INSERT INTO vassals (node, name, config, ts) VALUES ('n1', 'oldtime', '[uwsgi]', 'epoch')")
    e = emperors(f"pg://{conninfo}", "--emperor-pg-node", "n1", freq=1)
    wait_for(lambda: reloads(good) == "0", timeout=20, what="the good vassal")
    # the broken text fails in its vassal, naming the row and line
    e.wait_log("emperor://broken:3: malformed section header '[uwsgi'")
    e.wait_log("name '../escape' refused")
    e.wait_log("vassal huge: config is 70008 bytes (at most 65535)")
    time.sleep(2.5)       # a few rescans: a refused row is logged once, not per scan
    log = e.log()
    assert log.count("name '../escape' refused") == 1
    assert log.count("vassal huge: config is") == 1
    ids = sorted(v["id"] for v in e.stats()["vassals"])
    assert ids == ["broken", "good", "oldtime"]
    assert osenv(good)["reloads"] == "0"
    # fixing the row fixes the vassal
    p = free_port()
    sql(f"UPDATE vassals SET config = {q(vassal_ini(p))}, ts = now() WHERE name = 'broken'")
    wait_for(lambda: reloads(p) == "0", timeout=30, what="the fixed vassal")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_tyrant_runs_rows_as_their_uid(db, emperors):
    """emperor-tyrant: the uid and gid columns say who runs the vassal;
    NULL ids refuse the row, 0 is refused as for a root-owned file."""
    import pwd
    from test_emperor import status_ids
    conninfo, sql = db
    nobody = pwd.getpwnam("nobody")
    port = free_port()
    sql(f"INSERT INTO vassals (node, name, config, uid, gid) VALUES "
        f"('n1', 'owned', {q(vassal_ini(port))}, {nobody.pw_uid}, {nobody.pw_gid}), "
        f"('n1', 'rootrow', {q(vassal_ini(free_port()))}, 0, 0), "
        f"('n1', 'noids', {q(vassal_ini(free_port()))}, NULL, NULL)")
    e = emperors(f"pg://{conninfo}", "--emperor-pg-node", "n1", "--emperor-tyrant", freq=60)
    j = wait_for(lambda: osenv(port), timeout=20, what="the owned vassal")
    for pid in (j["pid"], j["ppid"]):
        assert status_ids(pid)["Uid"] == [str(nobody.pw_uid)] * 4
        assert status_ids(pid)["Gid"] == [str(nobody.pw_gid)] * 4
    e.wait_log("[emperor-tyrant] invalid permissions for vassal rootrow")
    e.wait_log("vassal noids: tyrant mode needs numeric uid and gid columns")
    assert (e.vassal("owned")["uid"], e.vassal("owned")["gid"]) == (nobody.pw_uid, nobody.pw_gid)
    assert e.vassal("noids") is None


def test_unreachable_at_start_then_up(pg, emperors, tmp_path):
    """A database that is not there yet: the Emperor runs, retries, and
    spawns the rows once it can read them."""
    sock_dir = tmp_path / "nowhere"
    sock_dir.mkdir()
    e = emperors(f"pg://host={sock_dir} dbname=postgres user=postgres connect_timeout=2", freq=1)
    e.wait_log("[emperor-pg] database unreachable")
    assert e.proc.poll() is None
    assert e.stats()["vassals"] == []


def test_bad_conninfo_refused():
    from conftest import BIN
    import subprocess
    r = subprocess.run([BIN, "--emperor", "pg://password=topsecret nokey"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode == 1
    assert "emperor: pg://password=*** nokey" in r.stderr
    assert "topsecret" not in r.stderr


# ---- many jailed vassals ---------------------------------------------------------------------------


def jails_supported():
    from test_emperor import jails_supported as supported
    return supported()


def read_stats_slowly(port):
    """The first stats document looks up every vassal's jail: slow under ASan."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    return json.loads(data)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_200_jailed_vassals(pg, db, tmp_path):
    """200 rows, each vassal in its own jail with its own address
    (127.0.6.N / 127.0.7.N): all answer; stats name the jails; a row update
    reloads inside the jail; stopping the Emperor removes every jail."""
    if not jails_supported():
        pytest.skip("no working jail backend (--jls)")
    from jailfs import Jailed, Rootfs, jail_name, jls_row, registry, run

    conninfo, sql = db
    rootfs = Rootfs(tmp_path)
    tag = jail_name()[3:9]
    n = 200
    addr = {i: f"127.0.{6 + i // 200}.{1 + i % 200}" for i in range(n)}
    names = {i: f"pg{tag}{i}" for i in range(n)}
    rows = []
    for i in range(n):
        cfg = "\n".join(["[uwsgi]", f"jail = {rootfs.path} host{i}.example {names[i]}", f"jail-ip4 = {addr[i]}",
                         f"http-socket = {addr[i]}:8000", f"wsgi-file = {rootfs.app}", ""])
        rows.append(f"('n1', 'v{i:03d}', {q(cfg)})")
    sql("INSERT INTO vassals (node, name, config) VALUES " + ", ".join(rows))
    stats_port = free_port()
    t0 = time.monotonic()
    em = Jailed(["--emperor", f"pg://{conninfo}", "--emperor-pg-node", "n1", "--emperor-freq", "60",
                 "--emperor-stats", f"127.0.0.1:{stats_port}"], rootfs=rootfs)
    try:
        for i in range(n):
            info = wait_for(lambda i=i: get_json(8000, "/info", timeout=5, host=addr[i]), timeout=150,
                            what=f"jailed vassal {i}")
            assert info["hostname"] == f"host{i}.example"
        elapsed = time.monotonic() - t0
        print(f"\n200 jailed pg vassals answering after {elapsed:.1f} s")
        t1 = time.monotonic()
        s = read_stats_slowly(stats_port)
        print(f"first stats document (finds 200 jails) in {time.monotonic() - t1:.2f} s")
        by_id = {v["id"]: v for v in s["vassals"]}
        assert len(by_id) == n
        for i in range(n):
            v = by_id[f"v{i:03d}"]
            assert v["jail"] == names[i] and v["jid"] > 0, (v, em.log()[-3000:])
        # a row update reloads its vassal in its jail (the config comes over the socket)
        jid = by_id["v007"]["jid"]
        sql("UPDATE vassals SET ts = now() WHERE name = 'v007'")
        wait_for(lambda: get_json(8000, "/info", timeout=5, host=addr[7])["reloads"] == "1", timeout=60,
                 what="v007 reloaded")
        assert jls_row(names[7])["jid"] == jid
        sql("DELETE FROM vassals WHERE name = 'v008'")
        wait_for(lambda: jls_row(names[8]) is None, timeout=60, what="jail 8 removed")
    except AssertionError:
        print(em.log()[-5000:])
        raise
    finally:
        em.stop(timeout=180)
        for name in names.values():
            if registry(name).exists():
                run(["--jail-remove", name])
    for name in names.values():
        assert not registry(name).exists(), name
