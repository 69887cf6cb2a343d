# SPDX-License-Identifier: MIT
"""uWSGI's process and socket options (issue 19): chain reload, recycling by age
and memory, limits, process names, socket protocol/umask/defer-accept, chdir2,
harakiri-verbose, honour-stdin, disable-write-exception, memory-report."""
import os
import re
import threading

import pytest

from conftest import APPS, children, free_port, get, get_json, run_stockade, wait_for
from conftest import Instance as BaseInstance

SANITIZER_ERRORS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Instance(BaseInstance):
    """An instance whose log must hold no sanitizer report (make test-asan)."""

    def stop(self, *args, **kwargs):
        log = super().stop(*args, **kwargs)
        for bad in SANITIZER_ERRORS:
            assert bad not in log, log
        return log


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


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().split(b"\0")[0].decode().rstrip(" ")


def test_max_worker_lifetime_recycles_with_delta(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--max-worker-lifetime", "2", "--max-worker-lifetime-delta", "2",
                          processes=2)
    try:
        first = worker_pids(inst, 2)
        wait_for(lambda: "worker 2 lifetime reached" in inst.log(), timeout=60, what="worker 2 recycled")
        wait_for(lambda: len(set(children(inst.proc.pid)) - first) == 2, what="two new workers")
        assert get(port, "/")[0] == 200
    finally:
        log = inst.stop()
    # worker 1 may live 2 s, worker 2 4 s: worker 1 goes first
    assert log.index("worker 1 lifetime reached") < log.index("worker 2 lifetime reached")
    assert re.search(r"worker 1 lifetime reached, it was running for [3-9]\d* second\(s\)", log), log
    assert "worker 1 (recycled) exited, respawning" in log


def test_auto_procname_and_prefix_append(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--auto-procname", "--procname-prefix-spaced", "site1",
                          "--procname-append", " [py]", processes=2)
    try:
        workers = worker_pids(inst, 2)
        wait_for(lambda: all(cmdline(p).startswith("site1 uWSGI worker") for p in workers),
                 what="workers named")
        assert sorted(cmdline(p) for p in workers) == ["site1 uWSGI worker 1 [py]",
                                                     "site1 uWSGI worker 2 [py]"]
        assert cmdline(inst.proc.pid) == "site1 uWSGI master [py]"
        # the worker sees its own name too
        assert get_json(port, "/cmdline")["cmdline"].startswith("site1 uWSGI worker")
        with open(f"/proc/{inst.proc.pid}/comm") as f:
            assert f.read().strip() == "site1 uWSGI mas"   # the kernel keeps 15 bytes
    finally:
        inst.stop()


def test_procname_and_procname_master(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--procname", "myapp", "--procname-master", "myapp-master",
                          "--procname-prefix", "x-", processes=1)
    try:
        (worker,) = worker_pids(inst, 1)
        wait_for(lambda: cmdline(worker) == "x-myapp", what="worker named")
        assert cmdline(inst.proc.pid) == "x-myapp-master"
        # a reload execs the original command line, not the name
        os.kill(inst.proc.pid, 1)
        wait_for(lambda: "reload 1 of" in inst.log(), what="reloaded")
        wait_for(lambda: cmdline(inst.proc.pid) == "x-myapp-master", what="master renamed after reload")
        assert get(port, "/")[0] == 200
    finally:
        inst.stop()


def test_no_procname_keeps_the_command_line(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, processes=1)
    try:
        assert cmdline(inst.proc.pid) == stockade_bin
    finally:
        inst.stop()


@pytest.mark.skipif("ASAN_OPTIONS" in os.environ,
                    reason="AddressSanitizer maps terabytes of shadow memory: no RLIMIT_AS fits it")
def test_limit_as_makes_a_big_allocation_fail(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--limit-as", "512", processes=1)
    try:
        assert get_json(port, "/alloc?1000000")["allocated"] == 1000000
        assert get_json(port, "/alloc?2000000000") == {"memory_error": True}
        (worker,) = worker_pids(inst, 1)
        with open(f"/proc/{worker}/limits") as f:
            line = next(ln for ln in f if ln.startswith("Max address space"))
        assert line.split()[3:5] == [str(512 << 20)] * 2
    finally:
        log = inst.stop()
    assert "limiting address space of processes to 512 MiB" in log


def test_max_fd_sets_the_open_files_limit(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--max-fd", "777", processes=1)
    try:
        (worker,) = worker_pids(inst, 1)
        with open(f"/proc/{worker}/limits") as f:
            line = next(ln for ln in f if ln.startswith("Max open files"))
        assert line.split()[3:5] == ["777", "777"]
        assert get(port, "/")[0] == 200
    finally:
        log = inst.stop()
    assert "detected max file descriptor number: 777" in log


def test_evil_reload_on_rss_kills_a_fat_worker(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--evil-reload-on-rss", "1", processes=1)
    try:
        # any Python worker is over 1 MiB: killed at the first tick, respawned
        wait_for(lambda: "*** EVIL RELOAD ON WORKER 1 RSS:" in inst.log(), timeout=30, what="evil reload")
        wait_for(lambda: "worker 1 (recycled) exited, respawning" in inst.log(), what="respawn")
    finally:
        log = inst.stop()
    assert "died (signal" not in log


def test_reload_on_as_recycles_gracefully(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--reload-on-as", "1", processes=1)
    try:
        wait_for(lambda: re.search(r"worker 1 \(pid: \d+\) address space \d+ MiB \(reload-on-as 1\): "
                                   "recycling", inst.log()), timeout=30, what="reload-on-as")
        wait_for(lambda: "worker 1 (recycled) exited, respawning" in inst.log(), what="respawn")
    finally:
        inst.stop()


# ---- socket options -------------------------------------------------------------------

def test_http11_socket_keeps_connections_alive(stockade_bin, tmp_path):
    import http.client
    port = free_port()
    version = tmp_path / "version.txt"
    version.write_text("v1")
    inst = Instance(["--http11-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "versioned.py")],
                    port=port, env={"STOCKADE_TEST_VERSION_FILE": str(version)})
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/")
        r = c.getresponse()
        assert r.status == 200 and r.version == 11
        r.read()
        sock = c.sock
        c.request("GET", "/")   # the same connection
        r = c.getresponse()
        assert r.status == 200 and c.sock is sock
        r.read()
        c.close()
    finally:
        log = inst.stop()
    assert f"http socket 0 bound to 127.0.0.1:{port}" in log


def test_protocol_http_on_socket(stockade_bin, tmp_path):
    port = free_port()
    version = tmp_path / "version.txt"
    version.write_text("v1")
    ini = tmp_path / "p.ini"
    ini.write_text(f"[uwsgi]\nsocket = 127.0.0.1:{port}\nprotocol = http\n"
                   f"wsgi-file = {APPS / 'versioned.py'}\n")
    inst = Instance(["--ini", str(ini)], port=port, env={"STOCKADE_TEST_VERSION_FILE": str(version)})
    try:
        assert get_json(port, "/")["version"] == "v1"
    finally:
        log = inst.stop()
    assert f"http socket 0 bound to 127.0.0.1:{port}" in log


def test_socket_protocol_leaves_uwsgi_socket_alone(stockade_bin, tmp_path):
    """socket-protocol is the protocol of `socket`; `uwsgi-socket` says uwsgi itself."""
    port, port2 = free_port(), free_port()
    version = tmp_path / "version.txt"
    version.write_text("v1")
    inst = Instance(["--socket", f"127.0.0.1:{port}", "--uwsgi-socket", f"127.0.0.1:{port2}",
                     "--socket-protocol", "http11", "--wsgi-file", str(APPS / "versioned.py")],
                    port=port, env={"STOCKADE_TEST_VERSION_FILE": str(version)})
    try:
        assert get_json(port, "/")["version"] == "v1"
    finally:
        log = inst.stop()
    assert f"http socket 0 bound to 127.0.0.1:{port}" in log
    assert f"uwsgi socket 1 bound to 127.0.0.1:{port2}" in log


def test_unsupported_protocol_is_refused(stockade_bin, tmp_path):
    ini = tmp_path / "p.ini"
    ini.write_text(f"[uwsgi]\nsocket = 127.0.0.1:{free_port()}\nprotocol = fastcgi\n"
                   f"wsgi-file = {APPS / 'probe.py'}\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode == 1
    assert f"{ini}:3: protocol 'fastcgi' is not supported by Stockade (it serves uwsgi, http, http11)" \
        in r.stderr


def test_umask_sets_the_unix_socket_mode(stockade_bin, tmp_path):
    import socket as sk
    import stat
    path = tmp_path / "app.sock"
    inst = Instance(["--http-socket", str(path), "--umask", "002", "--wsgi-file", str(APPS / "probe.py"),
                     "--pidfile", str(tmp_path / "app.pid")], wait=False)
    try:
        wait_for(lambda: path.exists() and "bound to" in inst.log(), what="socket bound")
        assert stat.S_IMODE(path.stat().st_mode) == 0o775
        # the pidfile is created under the umask too
        wait_for(lambda: (tmp_path / "app.pid").exists(), what="pidfile")
        assert stat.S_IMODE((tmp_path / "app.pid").stat().st_mode) & 0o002 == 0
        with sk.socket(sk.AF_UNIX) as s:
            s.connect(str(path))
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.0 200")
    finally:
        inst.stop()


def test_without_umask_a_unix_socket_stays_owner_only(stockade_bin, tmp_path):
    import stat
    path = tmp_path / "app.sock"
    inst = Instance(["--http-socket", str(path), "--wsgi-file", str(APPS / "probe.py")], wait=False)
    try:
        wait_for(lambda: path.exists() and "bound to" in inst.log(), what="socket bound")
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    finally:
        inst.stop()


def test_bad_umask_is_refused(stockade_bin):
    r = run_stockade("--http-socket", f"127.0.0.1:{free_port()}", "--umask", "9x",
                     "--wsgi-file", str(APPS / "probe.py"))
    assert r.returncode == 1
    assert r.stderr.strip().endswith("command line: invalid umask '9x' (octal, as 022)")


def test_chdir2_after_the_app_is_loaded(stockade_bin, tmp_path):
    there = tmp_path / "there"
    there.mkdir()
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                     "--chdir2", str(there), "--master"], port=port)
    try:
        (worker,) = worker_pids(inst, 1)
        assert os.readlink(f"/proc/{worker}/cwd") == str(there)
        assert os.readlink(f"/proc/{inst.proc.pid}/cwd") != str(there)   # the master stays
    finally:
        log = inst.stop()
    assert f"chdir() to {there}" in log


def _server_side_states(port):
    """TCP states (hex, as /proc/net/tcp) of the server side of connections to port."""
    states = []
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, st = fields[1], fields[2], fields[3]
            if int(local.split(":")[1], 16) == port and remote != "00000000:0000":
                states.append(st)
    return states


def test_no_defer_accept(stockade_bin):
    """With TCP_DEFER_ACCEPT (the default) the server side of a connection
    that sent nothing stays SYN_RECV (no worker woken); no-defer-accept
    establishes it at once. Either way a request is served."""
    import socket as sk
    for extra, state in (([], "03"), (["--no-defer-accept"], "01")):
        port = free_port()
        inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                         "--socket-timeout", "30", *extra], port=port)
        try:
            # wait_port's probe connection is gone before this one: one entry
            wait_for(lambda: _server_side_states(port) == [], what="probe connection closed")
            with sk.create_connection(("127.0.0.1", port)) as s:
                wait_for(lambda: _server_side_states(port) == [state], what=f"state {state}")
                s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                assert s.recv(100).startswith(b"HTTP/1.0 200")
        finally:
            inst.stop()


# ---- the rest -------------------------------------------------------------------------

def test_harakiri_verbose_logs_the_syscall(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--harakiri", "1", "--harakiri-verbose", processes=1)
    try:
        try:
            get(port, "/sleep", timeout=30)
        except Exception:  # noqa: BLE001 - the connection dies with the worker
            pass
        wait_for(lambda: "HARAKIRI: -- wchan>" in inst.log(), timeout=30, what="verbose harakiri")
    finally:
        log = inst.stop()
    lines = log.splitlines()
    at = next(i for i, ln in enumerate(lines) if "*** HARAKIRI ON WORKER 1" in ln)
    # the syscall line: number and arguments of the call the worker sleeps in
    assert re.search(r"HARAKIRI: -- syscall> \d+ 0x", lines[at + 1]), lines[at:at + 3]
    assert "HARAKIRI: -- wchan> " in lines[at + 2]


def test_without_harakiri_verbose_nothing_more(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--harakiri", "1", processes=1)
    try:
        try:
            get(port, "/sleep", timeout=30)
        except Exception:  # noqa: BLE001
            pass
        wait_for(lambda: "HARAKIRI ON WORKER 1" in inst.log(), timeout=30, what="harakiri")
    finally:
        log = inst.stop()
    assert "HARAKIRI: --" not in log


def _start_with_stdin(tmp_path, *args):
    import subprocess
    import tempfile
    version = tmp_path / "version.txt"
    version.write_text("v1")
    port = free_port()
    logf = tempfile.TemporaryFile(mode="w+")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    env["STOCKADE_TEST_VERSION_FILE"] = str(version)
    proc = subprocess.Popen([stockade_bin_path(), "--http-socket", f"127.0.0.1:{port}", "--wsgi-file",
                             str(APPS / "versioned.py"), *args], stdin=subprocess.PIPE,
                            stdout=logf, stderr=logf, env=env)
    proc.stdin.write(b"from the pipe\n")
    proc.stdin.flush()
    return proc, port


def stockade_bin_path():
    from conftest import BIN
    return BIN


def test_honour_stdin(stockade_bin, tmp_path):
    from conftest import wait_port
    for extra, expected in (([], ""), (["--honour-stdin"], "from the pipe\n")):
        proc, port = _start_with_stdin(tmp_path, *extra)
        try:
            wait_port(port, proc)
            assert get_json(port, "/stdin")["stdin"] == expected
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def test_disable_write_exception(stockade_bin, tmp_path):
    import socket as sk
    import struct
    for extra, expected in (([], "raised OSError"), (["--disable-write-exception"], "no exception")):
        inst, port, _ = start(tmp_path, *extra, processes=1)
        outcome = tmp_path / f"outcome{len(extra)}"
        try:
            s = sk.create_connection(("127.0.0.1", port))
            s.sendall(f"GET /writes?{outcome} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert s.recv(100).startswith(b"HTTP/1.1 200")
            s.setsockopt(sk.SOL_SOCKET, sk.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()   # a reset: the app's next writes fail
            wait_for(outcome.exists, timeout=30, what="the app's outcome")
            wait_for(lambda: outcome.read_text() != "", what="outcome written")
            assert outcome.read_text() == expected
            assert get(port, "/")[0] == 200
        finally:
            inst.stop()


def test_memory_report_request_line(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, "--memory-report", processes=1)
    try:
        (worker,) = worker_pids(inst, 1)
        assert get(port, "/")[0] == 200
        wait_for(lambda: "GET / =>" in inst.log(), what="request line")
        with open(f"/proc/{worker}/statm") as f:
            pages = int(f.read().split()[0])
    finally:
        log = inst.stop()
    line = next(ln for ln in log.splitlines() if "GET / =>" in ln)
    # uWSGI 2.0's line, as Debian's uwsgi prints it with memory-report = true
    m = re.match(r"\{address space usage: (\d+) bytes/(\d+)MB\} \{rss usage: (\d+) bytes/(\d+)MB\} "
                 r"\[pid: \d+\|app: 0\|req: 1/1\] ", line)
    assert m, line
    vsz, vsz_mb, rss, rss_mb = map(int, m.groups())
    assert vsz_mb == vsz >> 20 and rss_mb == rss >> 20 and 0 < rss < vsz
    # measured by the worker for this request: the size it had then
    assert abs(vsz - pages * os.sysconf("SC_PAGE_SIZE")) < 64 << 20


def test_without_memory_report_the_line_is_plain(stockade_bin, tmp_path):
    inst, port, _ = start(tmp_path, processes=1)
    try:
        assert get(port, "/")[0] == 200
        wait_for(lambda: "GET / =>" in inst.log(), what="request line")
    finally:
        log = inst.stop()
    line = next(ln for ln in log.splitlines() if "GET / =>" in ln)
    assert line.startswith("[pid: ")
