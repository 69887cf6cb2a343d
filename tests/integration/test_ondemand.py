# SPDX-License-Identifier: MIT
"""On-demand vassals: the Emperor holds each vassal's socket, spawns the
vassal (jail included) on the first connection and passes the socket; the
first requests are answered; a vassal that goes idle exits (die-on-idle),
leaves no process behind and its socket is watched again."""
import http.client
import json
import os
import shutil
import subprocess
import socket
import stat
import struct
import threading

import pytest

from conftest import APPS, BIN, Instance, children, free_port, get, read_stats, wait_for
from test_nginx import nginx  # noqa: F401  (the fixture)


def vassal_procs(emperor_pid):
    return children(emperor_pid)


def uwsgi_get(path, uri="/"):
    """(status line, body) of a GET in the uwsgi protocol over a unix socket."""
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": uri, "REQUEST_URI": uri, "QUERY_STRING": "",
           "SERVER_NAME": "t", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.0"}
    body = b"".join(struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode()
                    for k, v in env.items())
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(60)
        s.connect(str(path))
        s.sendall(struct.pack("<BHB", 0, len(body), 0) + body)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    head, _, rest = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), rest


def armed(log, name, sock):
    return log.count(f'{name} -> "on demand" mode, waiting for connections on socket "{sock}"')


@pytest.mark.parametrize("mode", ["extension", "exec"])
def test_first_requests_all_answered_idle_rearms(tmp_path, mode):
    vdir = tmp_path / "vassals"
    vdir.mkdir()
    port = free_port()
    (vdir / "site.ini").write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {APPS / 'gate.py'}\n"
                                   "processes = 2\nidle = 1\ndie-on-idle = true\n")
    if mode == "extension":
        (vdir / "site.ini.sock").write_text(f"127.0.0.1:{port}\nignored second line\n")
        opt = ["--emperor-on-demand-extension", ".sock"]
    else:
        script = tmp_path / "which.sh"
        script.write_text(f"#!/bin/sh\ncase \"$1\" in */site.ini) echo 127.0.0.1:{port} ;; esac\n")
        script.chmod(0o755)
        opt = ["--emperor-on-demand-exec", str(script)]
    em = Instance(["--emperor", str(vdir), *opt], wait=False)
    try:
        wait_for(lambda: armed(em.log(), "site.ini", f"127.0.0.1:{port}") == 1, timeout=30, what="socket held")
        assert vassal_procs(em.proc.pid) == []
        # the first connections, all at once: none is lost
        results = []
        threads = [threading.Thread(target=lambda: results.append(get(port, "/", timeout=60)))
                   for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        assert len(results) == 5 and all(s == 200 and b.startswith(b"pid ") for s, b in results)
        assert f"on-demand: connection on 127.0.0.1:{port}, spawning vassal site.ini" in em.log()
        # idle: the vassal goes, the socket is held again, no process is left
        wait_for(lambda: armed(em.log(), "site.ini", f"127.0.0.1:{port}") == 2, timeout=60, what="re-armed")
        assert "bringing back instance site.ini to on-demand mode" in em.log()
        wait_for(lambda: vassal_procs(em.proc.pid) == [], timeout=30, what="no vassal process")
        # and the next connection brings it back
        assert get(port, "/", timeout=60)[0] == 200
    finally:
        em.stop(timeout=60)


def test_directory_socket_mode_and_removal(tmp_path):
    vdir, sdir = tmp_path / "vassals", tmp_path / "sockets"
    vdir.mkdir()
    sdir.mkdir()
    # no socket line: the held socket (fd 0) is its uwsgi socket; vacuum must not remove it
    (vdir / "site.ini").write_text(f"[uwsgi]\nwsgi-file = {APPS / 'probe.py'}\nvacuum = true\n"
                                   "idle = 1\ndie-on-idle = true\n")
    stats = free_port()
    em = Instance(["--emperor", str(vdir), "--emperor-on-demand-directory", str(sdir), "--chmod-socket=660",
                   "--emperor-stats", f"127.0.0.1:{stats}"], wait=False)
    try:
        sock = sdir / "site.socket"
        wait_for(lambda: armed(em.log(), "site.ini", str(sock)) == 1, timeout=30, what="socket held")
        assert sock.exists() and vassal_procs(em.proc.pid) == []
        # the Emperor's chmod-socket opens the held socket to the web server
        assert stat.S_IMODE(sock.stat().st_mode) == 0o660
        v = wait_for(lambda: read_stats(stats))["vassals"][0]
        assert v["on_demand"] == str(sock) and v["status"] == "on-demand" and v["pid"] == 0
        for round_ in (1, 2):
            assert uwsgi_get(sock) == ("HTTP/1.0 200 OK", b"Hello, World!")
            assert f"uwsgi socket 0 inherited {sock} fd 0" in em.log()
            wait_for(lambda: armed(em.log(), "site.ini", str(sock)) == round_ + 1, timeout=60, what="re-armed")
            assert sock.exists()
        (vdir / "site.ini").unlink()
        wait_for(lambda: not sock.exists(), timeout=30, what="socket removed with its vassal")
    finally:
        em.stop()


def jails_supported():
    if os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists("/proc/self/ns/pid"):
        return False
    r = subprocess.run([BIN, "--jls"], capture_output=True, text=True, timeout=10)
    return r.returncode == 0


@pytest.mark.skipif(not jails_supported(), reason="needs root and a working jail backend (--jls)")
def test_jailed_vassal_through_nginx(tmp_path, nginx):  # noqa: F811
    from jailfs import Jailed, Rootfs, jail_name, jls_row, registry, run

    rootfs = Rootfs(tmp_path)
    vdir, sdir = tmp_path / "vassals", tmp_path / "sockets"
    vdir.mkdir()
    sdir.mkdir()
    name = jail_name()
    (vdir / "site.ini").write_text("\n".join([
        "[uwsgi]", f"jail = {rootfs.path} site.example {name}", f"wsgi-file = {rootfs.app}",
        "idle = 2", "die-on-idle = true", ""]))
    pidfile = tmp_path / "emperor.pid"
    sock = sdir / "site.socket"
    em = Jailed(["--emperor", str(vdir), "--emperor-on-demand-directory", str(sdir),
                 "--emperor-pidfile", str(pidfile)], rootfs=rootfs)
    try:
        wait_for(lambda: armed(em.log(), "site.ini", str(sock)) == 1, timeout=30, what="socket held")
        epid = int(pidfile.read_text())
        assert vassal_procs(epid) == [] and jls_row(name) is None
        port = nginx(f"include /etc/nginx/uwsgi_params; uwsgi_pass unix:{sock}; uwsgi_read_timeout 60s;")
        for round_ in (1, 2):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=90)
            c.request("GET", "/info")
            r = c.getresponse()
            body = r.read()
            c.close()
            assert r.status == 200, body
            info = json.loads(body)
            assert info["hostname"] == "site.example" and info["comm1"] == "stockade-init"
            assert jls_row(name) is not None
            # idle: the vassal exits, its jail goes, the socket is watched again
            wait_for(lambda: armed(em.log(), "site.ini", str(sock)) == round_ + 1, timeout=90,
                     what="back to on-demand")
            wait_for(lambda: vassal_procs(epid) == [] and jls_row(name) is None, timeout=60,
                     what="zero processes while idle")
    finally:
        em.stop(timeout=90)
        if registry(name).exists():
            run(["--jail-remove", name])
    assert not registry(name).exists()


def test_pg_monitor_rows_on_demand(tmp_path):
    """A row's socket from emperor-on-demand-exec (given the row's name), or
    from the query's 6th column as uWSGI's pg plugin reads it."""
    from pgserver import PgServer, unavailable
    why = unavailable()
    if why is not None:
        pytest.skip(str(why))
    pg = PgServer()
    em = None
    try:
        db = f"od{os.getpid()}"
        conninfo = pg.new_db(db)
        ports = {"row1": free_port(), "row2": free_port()}
        for row, port in ports.items():
            pg.sql("INSERT INTO vassals (node, name, config) VALUES ('n1', '%s', "
                   f"'[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {APPS / 'gate.py'}\n"
                   "idle = 1\ndie-on-idle = true\n')" % row, db=db)
        script = tmp_path / "which.sh"
        script.write_text(f"#!/bin/sh\n[ \"$1\" = row1 ] && echo 127.0.0.1:{ports['row1']}\n")
        script.chmod(0o755)
        query = ("SELECT name, config, extract(epoch FROM ts), uid, gid, CASE WHEN name = 'row2' "
                 f"THEN '127.0.0.1:{ports['row2']}' ELSE '' END FROM vassals WHERE node = $1")
        em = Instance(["--emperor", f"pg://{conninfo};{query}", "--emperor-pg-node", "n1",
                       "--emperor-on-demand-exec", str(script)], wait=False)
        for row, port in ports.items():
            wait_for(lambda: armed(em.log(), row, f"127.0.0.1:{port}") == 1, timeout=30, what=f"{row}'s socket held")
        assert vassal_procs(em.proc.pid) == []
        for row, port in ports.items():
            status, body = get(port, "/", timeout=60)
            assert status == 200 and body.startswith(b"pid ")
            wait_for(lambda: armed(em.log(), row, f"127.0.0.1:{port}") == 2, timeout=60, what="re-armed")
        wait_for(lambda: vassal_procs(em.proc.pid) == [], timeout=30, what="no vassal process")
    finally:
        if em:
            em.stop(timeout=60)
        pg.destroy()
