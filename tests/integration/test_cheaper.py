# SPDX-License-Identifier: MIT
"""cheaper, idle and cheap mode: the workers follow the load between
`cheaper` and `processes`; an idle instance drops its workers (or exits)."""
import os
import re
import threading

import pytest

from conftest import APPS, Instance, free_port, get, run_stockade, wait_for, children


def workers(inst):
    return [p for p in children(inst.proc.pid)]


def count_in_log(inst, pattern):
    return len(re.findall(pattern, inst.log()))


def start(tmp_path, *opts, processes=4, wait=True):
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "gate.py"),
                     "--master", "--processes", str(processes), *opts], port=port, wait=wait)
    return inst, port


def hold(port, gate, n):
    """n requests that block in the app until gate exists; their threads."""
    threads = []
    for _ in range(n):
        t = threading.Thread(target=get, args=(port, f"/hold?{gate}"), kwargs={"timeout": 90}, daemon=True)
        t.start()
        threads.append(t)
    return threads


@pytest.mark.parametrize("algo", ["spare", "spare2", "busyness", "backlog"])
def test_workers_follow_a_load_step(tmp_path, algo):
    gate = tmp_path / "gate"
    opts = ["--cheaper", "1", "--cheaper-algo", algo, "--cheaper-overload", "1", "--cheaper-step", "2"]
    if algo == "spare2":
        opts += ["--cheaper-idle", "1"]
    if algo == "busyness":
        opts += ["--cheaper-busyness-multiplier", "1", "--cheaper-busyness-min", "20", "--cheaper-busyness-max", "30"]
    if algo == "backlog":
        opts += ["--listen", "64"]
    inst, port = start(tmp_path, *opts)
    try:
        wait_for(lambda: "cheaper: %s algorithm, 1 to 4 workers (1 at start" % algo in inst.log(), what="cheaper start")
        assert len(workers(inst)) == 1
        # the load step: more requests than workers, all stuck in the app
        threads = hold(port, gate, 8)
        wait_for(lambda: len(workers(inst)) == 4, timeout=60, what="scale up to processes")
        assert count_in_log(inst, r"spawned worker [234] ") >= 3
        gate.touch()
        for t in threads:
            t.join(90)
        assert not any(t.is_alive() for t in threads)
        wait_for(lambda: count_in_log(inst, r"worker \d cheaped") >= 3 and len(workers(inst)) == 1,
                 timeout=90, what="back down to cheaper")
        assert get(port, "/")[0] == 200
    finally:
        log = inst.stop()
    assert "Traceback" not in log


def test_rss_hard_limit_stops_workers(tmp_path):
    gate = tmp_path / "gate"
    inst, port = start(tmp_path, "--cheaper", "1", "--cheaper-initial", "3", "--cheaper-algo", "manual",
                       "--cheaper-rss-limit-soft", "1", "--cheaper-rss-limit-hard", "2")
    try:
        wait_for(lambda: "cheaper hard rss memory limit exceeded" in inst.log() and len(workers(inst)) == 1,
                 timeout=60, what="hard limit brings workers down")
        assert get(port, "/")[0] == 200
    finally:
        inst.stop()
    del gate


def test_bad_values_are_config_errors(tmp_path):
    ini = tmp_path / "a.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = {APPS / 'gate.py'}\n"
                   "processes = 2\ncheaper = 2\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode != 0
    assert f"{ini}:5: invalid cheaper value 2: must be lower than processes (2)" in r.stderr
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = {APPS / 'gate.py'}\n"
                   "processes = 2\ncheaper = 1\ncheaper-algo = nope\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode != 0
    assert f"{ini}:6: cheaper-algo: unknown algorithm 'nope'" in r.stderr


def test_idle_kills_workers_and_first_connection_respawns(tmp_path):
    inst, port = start(tmp_path, "--idle", "1", processes=2)
    try:
        assert get(port, "/")[0] == 200
        wait_for(lambda: "cheap mode enabled: waiting for socket connection" in inst.log(), timeout=30,
                 what="idle → cheap mode")
        wait_for(lambda: workers(inst) == [], timeout=30, what="no workers left")
        status, body = get(port, "/", timeout=30)
        assert status == 200 and body.startswith(b"pid ")
        assert "cheap mode: connection on fd" in inst.log()
        assert len(workers(inst)) == 2
        # and again: the instance goes back to cheap mode after the next idle period
        wait_for(lambda: inst.log().count("cheap mode enabled") == 2, timeout=30, what="idle again")
        assert inst.proc.poll() is None
    finally:
        inst.stop()


def test_cheap_spawns_nothing_until_the_first_connection(tmp_path):
    # no wait for the port: a probe connection would wake the workers
    inst, port = start(tmp_path, "--cheap", processes=2, wait=False)
    try:
        wait_for(lambda: "cheap mode enabled" in inst.log(), what="cheap mode")
        assert workers(inst) == []
        assert get(port, "/", timeout=30)[0] == 200
        assert len(workers(inst)) == 2
    finally:
        inst.stop()


def test_die_on_idle_exits(tmp_path):
    inst, port = start(tmp_path, "--idle", "1", "--die-on-idle", processes=1)
    try:
        assert get(port, "/")[0] == 200
        inst.proc.wait(timeout=60)
        assert inst.proc.returncode == 0
        assert "workers have been inactive for more than 1 seconds" in inst.log()
    finally:
        inst.stop()
