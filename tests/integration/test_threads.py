# SPDX-License-Identifier: MIT
"""`threads = N` (issue 20): requests overlap inside one worker, the shared
parts (wsgi.input, wsgi.errors, file_wrapper, the request log, the stats)
hold under 64 concurrent clients, harakiri, max-requests, graceful reload,
lazy-apps, threads-stacksize and a jailed instance with threads."""
import hashlib
import http.client
import os
import random
import re
import shutil
import signal
import threading

import pytest

from conftest import APPS, Instance, free_port, get, get_json, read_stats, run_stockade, wait_for
from jailfs import Jailed, Rootfs, jail_name, registry, run

APP = str(APPS / "threads_app.py")
LINE = re.compile(r"^\[pid: (\d+)\|app: 0\|req: (\d+)/(\d+)\] .* \(1 switches on core (\d+)\)$")


def start(*args, processes=1, threads=4, stats=False):
    port = free_port()
    extra = []
    sport = None
    if stats:
        sport = free_port()
        extra = ["--stats", f"127.0.0.1:{sport}"]
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", APP, "--master",
                     "--processes", str(processes), "--threads", str(threads), *extra, *args], port=port)
    inst.sport = sport
    return inst, port


def concurrently(n, fn):
    """fn(i) in n threads at once; their results (an exception counts as one)."""
    out = [None] * n

    def run(i):
        try:
            out[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            out[i] = e

    ts = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def test_requests_overlap_in_one_worker():
    """Four requests wait for each other inside the app of one worker: they
    meet only if four threads serve them at once (without threads the first
    waits alone until its 30 s deadline)."""
    inst, port = start(threads=4, stats=True)
    try:
        got = concurrently(4, lambda i: get_json(port, "/barrier?4", timeout=60))
        assert all(isinstance(g, dict) and g["met"] for g in got), got
        assert len({g["pid"] for g in got}) == 1, "one worker"
        assert len({g["tid"] for g in got}) == 4, "four threads"
        assert get_json(port, "/who")["multithread"] is True
        doc = read_stats(inst.sport)
        cores = doc["workers"][0]["cores"]
        assert [c["id"] for c in cores] == [0, 1, 2, 3]
        for c in cores:
            for key in ("requests", "static_requests", "routed_requests", "offloaded_requests",
                        "write_errors", "read_errors", "in_request", "vars"):
                assert key in c, key
        assert sum(c["requests"] for c in cores) == doc["workers"][0]["requests"] == 5
        assert sum(1 for c in cores if c["requests"] > 0) >= 4, cores
    finally:
        log = inst.stop()
    served = {int(m.group(4)) for m in map(LINE.match, log.splitlines()) if m}
    assert served == {0, 1, 2, 3}, log[-3000:]


def test_one_thread_is_not_multithreaded():
    inst, port = start(threads=1)
    try:
        assert get_json(port, "/who")["multithread"] is False
    finally:
        inst.stop()


def test_64_clients_stress_input_errors_log_stats():
    inst, port = start(processes=2, threads=8, stats=True)
    file_body = open(APP, "rb").read()
    per_client = 10
    sent = [[] for _ in range(64)]

    def client(i):
        rnd = random.Random(i)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for k in range(per_client):
                kind = k % 3
                if kind == 0:
                    body = rnd.randbytes(rnd.randrange(0, 150_000))
                    conn.request("POST", "/echo", body=body)
                    r = conn.getresponse()
                    data = r.read()
                    sha = hashlib.sha256(body).hexdigest()
                    assert r.status == 200 and b'"sha": "%s"' % sha.encode() in data, data[:200]
                    sent[i].append(f"echo {sha} {len(body)}")
                elif kind == 1:
                    conn.request("GET", "/file")
                    r = conn.getresponse()
                    assert r.status == 200 and r.read() == file_body
                else:
                    conn.request("GET", "/")
                    r = conn.getresponse()
                    assert r.status == 200 and r.read() == b"Hello, World!"
        finally:
            conn.close()
        return True

    try:
        got = concurrently(64, client)
        assert all(g is True for g in got), [g for g in got if g is not True][:3]
        total = 64 * per_client
        doc = read_stats(inst.sport)
        assert sum(w["requests"] for w in doc["workers"]) == total
        for w in doc["workers"]:
            assert len(w["cores"]) == 8
            assert sum(c["requests"] for c in w["cores"]) == w["requests"]
            assert all(c["read_errors"] == 0 and c["write_errors"] == 0 for c in w["cores"])
    finally:
        log = inst.stop()
    lines = log.splitlines()
    # wsgi.errors: every line whole, one per echo
    echoes = sorted(line for line in lines if line.startswith("echo "))
    assert echoes == sorted(s for c in sent for s in c)
    # the request log: every line whole, in order within each thread
    reqs = [m for m in map(LINE.match, lines) if m]
    assert len(reqs) == total, [line for line in lines if not LINE.match(line)][:5]
    last = {}
    for m in reqs:
        key = (m.group(1), m.group(4))
        n = int(m.group(2))
        assert n > last.get(key, 0), f"lines of core {key} out of order"
        last[key] = n


def test_harakiri_with_threads_kills_the_worker_and_names_the_core():
    inst, port = start("--harakiri", "5", threads=4, stats=True)
    try:
        first = get_json(port, "/who")["pid"]
        result = {}
        t = threading.Thread(target=lambda: result.setdefault(
            "r", concurrently(1, lambda i: get(port, "/sleep?60", timeout=60))))
        t.start()
        wait_for(lambda: sum(c["in_request"] for c in read_stats(inst.sport)["workers"][0]["cores"]) == 1,
                 what="the stuck request")
        # while one thread is stuck, the others still serve
        assert get_json(port, "/who")["pid"] == first
        wait_for(lambda: "*** HARAKIRI ON WORKER 1 (pid: %d" % first in inst.log(), timeout=60, what="harakiri")
        t.join()
        assert isinstance(result["r"][0], (http.client.HTTPException, OSError)), result
        assert wait_for(lambda: get_json(port, "/who")["pid"] != first)
    finally:
        log = inst.stop()
    m = re.search(r"HARAKIRI triggered by worker 1 core (\d+) !!!", log)
    assert m and 0 <= int(m.group(1)) < 4, log[-2000:]


def test_max_requests_counts_every_thread():
    inst, port = start("--max-requests", "10", threads=4)
    try:
        def client(i):
            return [get_json(port, "/who")["pid"] for _ in range(8)]
        got = concurrently(4, client)
        assert all(isinstance(g, list) for g in got), got
        pids = [p for g in got for p in g]
        first = pids[0]
        # one worker, its four threads together: 10 requests, plus at most the
        # three other threads' requests already in flight when it stopped
        assert 10 <= pids.count(first) <= 13, pids
    finally:
        log = inst.stop()
    assert log.count("The work of process %d is done (max requests reached 10)" % first) == 1


def test_reload_under_load_with_threads_zero_failures():
    inst, port = start("--worker-reload-mercy", "20", processes=2, threads=4)
    stop = threading.Event()
    counts = {"ok": 0, "failed": 0}
    errors = []

    def load(i):
        path = "/sleep?0.05" if i % 2 else "/"
        while not stop.is_set():
            try:
                status, _ = get(port, path, timeout=30)
                counts["ok" if status == 200 else "failed"] += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                counts["failed"] += 1
                errors.append(repr(e))

    ts = [threading.Thread(target=load, args=(i,)) for i in range(12)]
    try:
        for t in ts:
            t.start()
        wait_for(lambda: counts["ok"] > 20, what="load running")
        for expected in ("1", "2"):
            os.kill(inst.proc.pid, signal.SIGHUP)
            wait_for(lambda: get_json(port, "/who")["reloads"] == expected, timeout=60, what="reload")
            before = counts["ok"]
            wait_for(lambda: counts["ok"] > before + 20, what="load after reload")
        stop.set()
        for t in ts:
            t.join()
        assert counts["failed"] == 0, errors[:5]
    finally:
        stop.set()
        log = inst.stop()
    assert "...gracefully reloading..." in log


def test_graceful_stop_waits_for_every_thread():
    inst, port = start(threads=4, stats=True)
    got = {}

    def slow(i):
        got[i] = get(port, "/sleep?2", timeout=60)

    ts = [threading.Thread(target=slow, args=(i,)) for i in range(3)]
    try:
        for t in ts:
            t.start()
        wait_for(lambda: sum(c["in_request"] for c in read_stats(inst.sport)["workers"][0]["cores"]) == 3,
                 what="three requests in flight")
        inst.proc.send_signal(signal.SIGTERM)
        for t in ts:
            t.join()
        assert inst.proc.wait(timeout=30) == 0
    finally:
        inst.stop()
    assert all(got.get(i, (None,))[0] == 200 for i in range(3)), got


def test_lazy_apps_with_threads():
    inst, port = start("--lazy-apps", threads=3)
    try:
        got = concurrently(3, lambda i: get_json(port, "/barrier?3", timeout=60))
        assert all(isinstance(g, dict) and g["met"] for g in got), got
    finally:
        inst.stop()


def test_threads_stacksize():
    inst, port = start("--threads-stacksize", "512", threads=2)
    try:
        got = concurrently(2, lambda i: get_json(port, "/barrier?2", timeout=60))
        assert all(isinstance(g, dict) and g["met"] for g in got), got
    finally:
        log = inst.stop()
    assert "threads stack size set to 512k" in log


def test_too_many_threads_names_file_and_line(tmp_path):
    ini = tmp_path / "t.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nthreads = 100000\nwsgi-file = {APP}\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode == 1
    assert f"{ini}:3: threads = 100000: at most 512 per worker" in r.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists("/proc/self/ns/pid"),
                    reason="a jail needs root, unshare(1) and namespaces")
def test_threads_in_a_jail(tmp_path):
    """seccomp (clone3 refused, clone without namespace flags allowed) and the
    jail's limits let a jailed worker start its threads and serve with them."""
    rootfs = Rootfs(tmp_path)
    port, name = free_port(), jail_name()
    j = Jailed(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", APP, "--master", "--processes", "1",
                "--threads", "4", "--jail", f"{rootfs.path} jailhost {name}"], rootfs=rootfs, port=port)
    try:
        got = concurrently(4, lambda i: get_json(port, "/barrier?4", timeout=60))
        assert all(isinstance(g, dict) and g["met"] for g in got), got
        assert len({g["tid"] for g in got}) == 4
    finally:
        log = j.stop()
        if registry(name).exists():
            run(["--jail-remove", name])
    assert "cannot start thread" not in log


def test_threads_in_an_emperor_vassal(tmp_path):
    vdir = tmp_path / "vassals"
    vdir.mkdir()
    port = free_port()
    (vdir / "threaded.ini").write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {APP}\n"
                                       "master = true\nprocesses = 1\nthreads = 4\n")
    emperor = Instance(["--emperor", str(vdir)], wait=False)
    try:
        wait_for(lambda: get_json(port, "/who", timeout=5)["multithread"], timeout=60, what="the vassal")
        got = concurrently(4, lambda i: get_json(port, "/barrier?4", timeout=60))
        assert all(isinstance(g, dict) and g["met"] for g in got), got
        assert len({g["tid"] for g in got}) == 4
    finally:
        emperor.stop(timeout=40)
