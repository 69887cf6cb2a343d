# SPDX-License-Identifier: MIT
"""uWSGI signals (issue 22): uwsgidecorators' @timer, @rbtimer, @cron, @filemon and
@signal on top of register_signal/add_timer/add_rb_timer/add_cron/add_file_monitor/signal, delivered by the master
(timers) or by the raising process to workers and mules; handlers run in the
target process. App: apps/uwsgi_signals.py (each handler appends a line to a
file; tests wait for those lines)."""
import threading

import pytest

from conftest import APPS, Instance, children, free_port, get_json, wait_for


@pytest.fixture(params=[[], ["--threads", "2"]], ids=["processes", "threads"])
def inst(tmp_path, request):
    port = free_port()
    i = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "uwsgi_signals.py"),
                  "--master", "--processes", "2", "--mules", "2",
                  "--spooler", str(tmp_path / "spool"), *request.param],
                 port=port, env={"UWSGI_SIGNALS_OUT": str(tmp_path),
                                 # a minute every 200 ms for @cron
                                 "STOCKADE_TEST_CRON_MINUTE_MS": "200"})
    i.out = tmp_path
    yield i
    i.stop()


def lines(path):
    try:
        return [tuple(map(int, ln.split())) for ln in path.read_text().splitlines()]
    except FileNotFoundError:
        return []


def test_timer_fires_in_a_worker(inst):
    wait_for(lambda: len(lines(inst.out / "timer")) >= 2, what="@timer(1) fired twice")
    for wid, mid, pid in lines(inst.out / "timer"):
        assert wid in (1, 2) and mid == 0 and pid in children(inst.proc.pid)
    assert "[uwsgi-signal] signum" in inst.log()


def test_ms_timer_fires_in_worker2(inst):
    wait_for(lambda: len(lines(inst.out / "ms_timer")) >= 2, what="add_ms_timer(300) fired twice")
    assert {w for w, _, _ in lines(inst.out / "ms_timer")} == {2}


def test_rbtimer_fires_in_a_mule(inst):
    wait_for(lambda: lines(inst.out / "mule_timer"), what="@rbtimer(target=mule) fired")
    wid, mid, pid = lines(inst.out / "mule_timer")[0]
    assert wid == 0 and mid in (1, 2) and pid in children(inst.proc.pid)


def test_cron_fires_each_minute_in_mule2(inst):
    # on the test clock: a "minute" every 200 ms, so the every-minute cron fires again
    wait_for(lambda: len(lines(inst.out / "cron")) >= 3, what="@cron fired three times")
    assert {(w, m) for w, m, _ in lines(inst.out / "cron")} == {(0, 2)}
    assert "[uwsgi-cron] routing signal" in inst.log()


def test_filemon_on_a_touched_file(inst):
    wait_for(lambda: "[uwsgi-fsmon] watching" in inst.log(), what="the monitor armed")
    (inst.out / "watched").write_text("one\n")        # created
    wait_for(lambda: len(lines(inst.out / "filemon")) >= 1, what="@filemon on creation")
    with open(inst.out / "watched", "a") as f:        # modified
        f.write("two\n")
    wait_for(lambda: len(lines(inst.out / "filemon")) >= 2, what="@filemon on a change")
    assert {(w > 0, m) for w, m, _ in lines(inst.out / "filemon")} == {(True, 0)}
    assert "has been modified" in inst.log()


def test_signal_from_a_request_reaches_every_worker(inst):
    port = inst.port
    assert get_json(port, "/registered")["registered"] == [True, True, False]
    get_json(port, "/raise17")
    f = inst.out / "workers.17"
    wait_for(lambda: sorted(w for w, _, _ in lines(f)) == [1, 2], what="signal 17 in both workers")
    get_json(port, "/raise18")
    wait_for(lambda: lines(inst.out / "mule1"), what="signal 18 in mule 1")
    assert [(w, m) for w, m, _ in lines(inst.out / "mule1")] == [(0, 1)]
    get_json(port, "/raise21")
    wait_for(lambda: sorted(w for w, _, _ in lines(inst.out / "active")) == [1, 2],
             what="signal 21 in both (active) workers")
    get_json(port, "/raise19")
    wait_for(lambda: lines(inst.out / "spooler"), what="signal 19 in the spooler")
    (w, m, pid), = lines(inst.out / "spooler")
    assert (w, m) == (0, 0) and pid in children(inst.proc.pid)


def test_signal_wait_returns_once_the_signal_is_handled(inst):
    result = {}

    def waiter():
        result["r"] = get_json(inst.port, "/wait22", timeout=60)
    t = threading.Thread(target=waiter)
    t.start()
    try:
        # raise 22 (to every worker) until the waiting request returns: the
        # waiter may not be waiting yet when the first one is handled
        def done():
            if not t.is_alive():
                return True
            get_json(inst.port, "/raise22")
            t.join(0.5)
            return not t.is_alive()
        wait_for(done, what="signal_wait(22) returned")
    finally:
        t.join(60)
    assert result["r"]["wait"] == "" and result["r"]["received"] == 22
    assert lines(inst.out / "waited")


def test_registration_after_fork_is_refused(inst):
    assert get_json(inst.port, "/late")["late"] == "unable to register signal"
    wait_for(lambda: "only the master can register signal handlers" in inst.log(),
             what="the refusal logged")
