# SPDX-License-Identifier: MIT
"""uWSGI process options: touch-chain-reload (and fifo 'c'), max-worker-lifetime."""
import os
import re
import threading

from conftest import APPS, Instance, children, free_port, get, get_json, wait_for


def start(tmp_path, *args, processes=3):
    version = tmp_path / "version.txt"
    if not version.exists():
        version.write_text("v1")
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "versioned.py"),
                     "--master", "--processes", str(processes), *args], port=port,
                    env={"STOCKADE_TEST_VERSION_FILE": str(version)})
    return inst, port, version


class Load:
    """Clients that open a connection per request (as nginx's uwsgi_pass)
    and count every failure."""

    def __init__(self, port, n=4):
        self.port = port
        self.stop = threading.Event()
        self.ok = 0
        self.errors = []
        self.versions = set()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run) for _ in range(n)]
        for t in self.threads:
            t.start()

    def run(self):
        while not self.stop.is_set():
            try:
                status, body = get(self.port, "/")
                with self.lock:
                    if status == 200:
                        self.ok += 1
                        self.versions.add(body)
                    else:
                        self.errors.append(status)
            except Exception as e:  # noqa: BLE001 - every failure counts
                with self.lock:
                    self.errors.append(repr(e))

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()


def worker_pids(inst, n):
    """The master's n worker processes, once that many run."""
    return set(wait_for(lambda: len(children(inst.proc.pid)) == n and children(inst.proc.pid),
                        what=f"{n} workers"))


def chain_order(log):
    """The chain's log lines, as (event, worker) pairs."""
    out = []
    for line in log.splitlines():
        m = re.search(r"chain next victim is worker (\d+)", line)
        if m:
            out.append(("victim", int(m.group(1))))
        m = re.search(r"worker (\d+) \(recycled\) exited, respawning", line)
        if m:
            out.append(("respawn", int(m.group(1))))
        if "chain reloading complete" in line:
            out.append(("complete", 0))
    return out


def test_touch_chain_reload_under_load_zero_failures(stockade_bin, tmp_path):
    trigger = tmp_path / "chain.trigger"
    trigger.write_text("")
    inst, port, version = start(tmp_path, "--lazy-apps", "--touch-chain-reload", str(trigger))
    load = None
    try:
        old = worker_pids(inst, 3)
        load = Load(port)
        wait_for(lambda: load.ok > 20, what="load running")
        version.write_text("v2")
        os.utime(trigger, ns=(0, 0))   # a different mtime, whatever the clock's resolution
        wait_for(lambda: "chain reloading complete" in inst.log(), timeout=60, what="chain complete")
        wait_for(lambda: load.ok > 0 and any(b'"v2"' in v for v in load.versions), what="v2 served")
        load.finish()
        assert load.errors == [], load.errors[:5]
        # every worker runs the new code in a new process
        new = worker_pids(inst, 3)
        assert not (new & old)
        assert {get_json(port, "/")["version"] for _ in range(30)} == {"v2"}
    finally:
        if load:
            load.finish()
        log = inst.stop()
    assert f"*** {trigger} has been touched: chain reload starting" in log
    # one worker at a time: each victim respawned before the next is chosen
    assert chain_order(log) == [("victim", 1), ("respawn", 1), ("victim", 2), ("respawn", 2),
                                ("victim", 3), ("respawn", 3), ("complete", 0)], log


def test_fifo_c_chain_reloads(stockade_bin, tmp_path):
    fifo = tmp_path / "master.fifo"
    inst, port, version = start(tmp_path, "--lazy-apps", "--master-fifo", str(fifo), processes=2)
    try:
        old = worker_pids(inst, 2)
        version.write_text("v2")
        with open(fifo, "w") as f:
            f.write("c")
        wait_for(lambda: "chain reloading complete" in inst.log(), timeout=60, what="chain complete")
        assert not (worker_pids(inst, 2) & old)
        assert get_json(port, "/")["version"] == "v2"
    finally:
        log = inst.stop()
    assert "fifo: chain reload starting" in log
    assert chain_order(log) == [("victim", 1), ("respawn", 1), ("victim", 2), ("respawn", 2),
                                ("complete", 0)], log
