# SPDX-License-Identifier: MIT
"""Master lifecycle: privileges, reload by re-exec, harakiri, max-requests, stats, fifo."""
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import APPS, BIN, Instance, free_port, get, get_json, wait_for

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def start(*args, processes=2, wait=True):
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                     "--master", "--processes", str(processes), *args], port=port, wait=wait)
    return inst, port


def status_ids(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.split()
    return fields


@root_only
def test_privileges_really_dropped():
    nobody = pwd.getpwnam("nobody")
    inst, port = start("--uid", "nobody", "--gid", str(nobody.pw_gid), "--add-gid", "12345")
    try:
        worker = get_json(port, "/osenv")["pid"]
        for pid in (worker, inst.proc.pid):
            st = status_ids(pid)
            assert st["Uid"] == [str(nobody.pw_uid)] * 4, st["Uid"]
            assert st["Gid"] == [str(nobody.pw_gid)] * 4, st["Gid"]
            assert "12345" in st["Groups"] and "0" not in st["Groups"]
    finally:
        log = inst.stop()
    assert "privileges dropped" in log


@root_only
@pytest.mark.parametrize("args,message", [
    (["--uid", "0"], "cannot setuid() as non-root user"),
    (["--gid", "0"], "cannot setgid() as non-root user"),
    (["--chroot", "/"], "cannot chroot() as non-root user"),
    (["--jail", "/"], "jail options need root"),
])
def test_non_root_asking_for_privileges_is_an_error(args, message):
    """uWSGI silently ignores jails as non-root; stockade refuses with one line."""
    port = free_port()
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN,
                        "--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"), *args],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 1
    assert message in r.stderr


@root_only
def test_root_without_uid_warns():
    inst, port = start()
    log = inst.stop()
    assert "you are running stockade as root" in log


def test_sighup_reload_under_load_zero_failures(tmp_path):
    marker = tmp_path / "pre-jail.count"
    inst, port = start("--exec-pre-jail", f"echo x >> {marker}", "--worker-reload-mercy", "10")
    stop = threading.Event()
    counts = {"ok": 0, "failed": 0}
    errors = []

    def load():
        while not stop.is_set():
            try:
                status, _ = get(port, "/")
                if status == 200:
                    counts["ok"] += 1
                else:
                    counts["failed"] += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                counts["failed"] += 1
                errors.append(repr(e))

    threads = [threading.Thread(target=load) for _ in range(4)]
    try:
        first = get_json(port, "/osenv")
        assert first["reloads"] == "0"
        for t in threads:
            t.start()
        time.sleep(0.5)
        for expected in ("1", "2"):
            os.kill(inst.proc.pid, signal.SIGHUP)
            wait_for(lambda: get_json(port, "/osenv")["reloads"] == expected)
            time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join()
        assert counts["failed"] == 0, errors[:5]
        assert counts["ok"] > 50
        # the master kept its pid across the exec, the workers are new
        assert get_json(port, "/osenv")["ppid"] == inst.proc.pid
        # pre-jail hooks ran only on the first start
        assert marker.read_text() == "x\n"
    finally:
        stop.set()
        log = inst.stop()
    assert "...gracefully reloading..." in log
    assert log.count("reload: 1 listening sockets inherited") >= 2


def test_binary_path_copy_is_execed(tmp_path):
    copy = tmp_path / "stockade-copy"
    shutil.copy(BIN, copy)
    inst, port = start("--binary-path", str(copy), processes=1)
    try:
        assert os.readlink(f"/proc/{inst.proc.pid}/exe") != str(copy)
        os.kill(inst.proc.pid, signal.SIGHUP)
        wait_for(lambda: get_json(port, "/osenv")["reloads"] == "1")
        assert os.readlink(f"/proc/{inst.proc.pid}/exe") == str(copy)
    finally:
        inst.stop()


def test_exit_on_reload():
    inst, port = start("--exit-on-reload", processes=1)
    os.kill(inst.proc.pid, signal.SIGHUP)
    assert inst.proc.wait(timeout=15) == 0


def test_harakiri_kills_and_respawns():
    inst, port = start("--harakiri", "1", processes=1)
    try:
        with pytest.raises((http.client.HTTPException, OSError)):
            get(port, "/sleep?5", timeout=10)
        assert wait_for(lambda: get(port, "/")[0] == 200)
    finally:
        log = inst.stop()
    assert "*** HARAKIRI ON WORKER 1 (pid: " in log


def test_max_requests_recycles():
    inst, port = start("--max-requests", "3", processes=1)
    try:
        pids = [get_json(port, "/osenv")["pid"] for _ in range(3)]
        assert len(set(pids)) == 1
        later = wait_for(lambda: get_json(port, "/osenv")["pid"])
        assert later != pids[0]
    finally:
        log = inst.stop()
    assert "The work of process %d is done (max requests reached 3). Seeya!" % pids[0] in log


def test_stats_server_json(tmp_path):
    stats = tmp_path / "stats.sock"
    inst, port = start("--stats", str(stats))
    try:
        for _ in range(5):
            get(port, "/")
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(stats))
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        doc = json.loads(data)
        assert doc["pid"] == inst.proc.pid
        assert len(doc["workers"]) == 2
        assert sum(w["requests"] for w in doc["workers"]) == 5
        for key in ("id", "pid", "accepting", "requests", "delta_requests", "exceptions", "harakiri_count",
                    "status", "rss", "vsz", "running_time", "last_spawn", "respawn_count", "tx", "avg_rt"):
            assert key in doc["workers"][0], key
        assert doc["sockets"][0]["name"] == f"127.0.0.1:{port}"
    finally:
        inst.stop()


def test_stats_http_tcp():
    sport = free_port()
    inst, port = start("--stats", f"127.0.0.1:{sport}", "--stats-http")
    try:
        get(port, "/")
        status, body = get(sport, "/")
        assert status == 200 and json.loads(body)["workers"]
    finally:
        inst.stop()


def test_touch_reload(tmp_path):
    touch = tmp_path / "reload.txt"
    touch.write_text("")
    inst, port = start("--touch-reload", str(touch), processes=1)
    try:
        assert get_json(port, "/osenv")["reloads"] == "0"
        time.sleep(0.05)
        os.utime(touch, (time.time() + 5, time.time() + 5))
        wait_for(lambda: get_json(port, "/osenv")["reloads"] == "1")
    finally:
        log = inst.stop()
    assert "has been touched" in log


def test_master_fifo(tmp_path):
    fifo = tmp_path / "master.fifo"
    inst, port = start("--master-fifo", str(fifo), processes=1)
    try:
        wait_for(fifo.exists)
        old = get_json(port, "/osenv")["pid"]
        with open(fifo, "w") as f:
            f.write("w")
        wait_for(lambda: get_json(port, "/osenv")["pid"] != old)
        with open(fifo, "w") as f:
            f.write("r")
        wait_for(lambda: get_json(port, "/osenv")["reloads"] == "1")
        with open(fifo, "w") as f:
            f.write("q")
        assert inst.proc.wait(timeout=15) == 0
    finally:
        inst.stop()


def test_sigterm_exits_cleanly_with_vacuum(tmp_path):
    sock = tmp_path / "s.sock"
    pidfile = tmp_path / "s.pid"
    inst = Instance(["--socket", str(sock), "--wsgi-file", str(APPS / "probe.py"), "--master",
                     "--vacuum", "--pidfile", str(pidfile)], wait=False)
    wait_for(sock.exists)
    assert int(pidfile.read_text()) == inst.proc.pid
    log = inst.stop(signal.SIGTERM)
    assert inst.proc.returncode == 0
    assert "goodbye to stockade." in log
    assert not sock.exists() and not pidfile.exists()


def test_sigquit_is_brutal_reload():
    inst, port = start(processes=1)
    try:
        os.kill(inst.proc.pid, signal.SIGQUIT)
        wait_for(lambda: get_json(port, "/osenv")["reloads"] == "1")
    finally:
        log = inst.stop()
    assert "...brutally reloading..." in log


def test_lazy_sighup_recycles_workers_only():
    inst, port = start("--lazy", processes=1)
    try:
        old = get_json(port, "/osenv")
        os.kill(inst.proc.pid, signal.SIGHUP)
        new = wait_for(lambda: (lambda d: d if d["pid"] != old["pid"] else None)(get_json(port, "/osenv")))
        assert new["reloads"] == "0"
    finally:
        inst.stop()


def test_no_master_sigterm_during_startup_is_not_lost(tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ntime.sleep(1.5)\n"
                    "def application(e, s):\n    s('200 OK', [])\n    return [b'ok']\n")
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(slow)], wait=False)
    # signals are set up before the socket is bound; the app is still loading then
    wait_for(lambda: "bound to" in inst.log(), what="the socket bound")
    inst.proc.send_signal(signal.SIGTERM)
    assert inst.proc.wait(timeout=10) == 0
