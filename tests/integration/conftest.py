# SPDX-License-Identifier: MIT
"""Shared fixtures: the real binary, free ports, a running instance."""
import fcntl
import http.client
import json
import os
import pathlib
import signal
import socket
import shutil
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("STOCKADE_BIN", str(ROOT / "stockade"))


@pytest.fixture(scope="session")
def stockade_bin():
    assert os.access(BIN, os.X_OK), f"build first: {BIN} missing"
    return BIN


def run_stockade(*args, env=None, timeout=20, cwd=None):
    """Runs the binary to completion (config commands, errors)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    if env:
        full_env.update(env)
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=cwd)


APPS = ROOT / "tests" / "integration" / "apps"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60.0):
    # a deadline, not a measurement: a busy machine (fuzzers beside the suite) has
    # taken over 15 s to start a jailed instance; a correct one answers far sooner
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"stockade exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} never opened")


class Instance:
    """A running stockade; stop() returns its log."""

    def __init__(self, args, port=None, env=None, wait=True):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
        full_env.update(env or {})
        self._start([BIN, *args], full_env, port, wait)

    def _start(self, argv, env, port, wait, **popen):
        self.port = port
        # a file, not a pipe: a busy server must never block on a full log pipe
        self.logfile = tempfile.TemporaryFile(mode="w+")
        # O_APPEND: the server and its children append; read_log() reads with pread
        fcntl.fcntl(self.logfile.fileno(), fcntl.F_SETFL,
                    fcntl.fcntl(self.logfile.fileno(), fcntl.F_GETFL) | os.O_APPEND)
        self.proc = subprocess.Popen(argv, stdout=self.logfile, stderr=self.logfile,
                                     text=True, env=env, **popen)
        self.proc.stderr = LogReader(self.logfile)
        if wait and port:
            try:
                wait_port(port, self.proc)
            except BaseException:
                self.stop()     # nobody else holds it: a failed start must not leak a server or jail
                raise

    def log(self):
        return read_log(self.logfile)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.log()


class LogReader:
    """proc.stderr stand-in: read() returns the whole log so far."""

    def __init__(self, f):
        self.f = f

    def read(self):
        return read_log(self.f)


def read_log(f):
    """The whole log file so far. pread, not seek + read: the server shares
    the file offset and its appends move it to the end at any moment."""
    parts, off = [], 0
    while True:
        b = os.pread(f.fileno(), 1 << 20, off)
        if not b:
            return b"".join(parts).decode(errors="replace")
        parts.append(b)
        off += len(b)


@pytest.fixture
def instances():
    """start(*args, env=, port=) runs an Instance; every one is stopped after the test."""
    started = []

    def start(*args, env=None, port=None):
        inst = Instance(list(args), port=port, env=env)
        started.append(inst)
        return inst

    yield start
    for inst in started:
        inst.stop()


@pytest.fixture
def serve(instances):
    def start(*args, app="probe.py", processes=2, extra_env=None):
        port = free_port()
        return instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / app),
                         "--master", "--processes", str(processes), *args, port=port, env=extra_env)

    return start


@pytest.fixture
def work():
    """A scratch directory every jailed or dropped process may write to."""
    d = tempfile.mkdtemp(prefix="stockade-test-")
    os.chmod(d, 0o777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def wait_for(pred, timeout=20.0, what="condition", step=0.05):
    """pred's first true value, polled every step s; transient socket, HTTP and
    parse errors (and a non-200 from get_json) count as 'not yet' and the last
    one is reported on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            v = pred()
            if v:
                return v
        except (OSError, http.client.HTTPException, ValueError, KeyError) as e:
            last = e
        time.sleep(step)
    raise AssertionError(f"{what} not met in {timeout}s (last error: {last!r})")


# ---- HTTP ------------------------------------------------------------------------------


class UnexpectedStatus(ValueError):
    """get_json's answer was not a 200 (a ValueError, so wait_for retries)."""


def http_request(port, path="/", method="GET", body=None, headers=None, timeout=10, host="127.0.0.1"):
    """(status, body) of one request on its own connection; headers as given."""
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def get(port, path="/", timeout=10, host="127.0.0.1"):
    """(status, body) of a GET with Connection: close."""
    return http_request(port, path, headers={"Connection": "close"}, timeout=timeout, host=host)


def get_json(port, path="/", method="GET", body=None, headers=None, timeout=10, host="127.0.0.1"):
    """The decoded JSON of a 200 answer (Connection: close); any other status
    raises UnexpectedStatus."""
    status, data = http_request(port, path, method, body, {"Connection": "close", **(headers or {})},
                                timeout, host)
    if status != 200:
        raise UnexpectedStatus(f"{method} {path}: {status} {data[:200]!r}")
    return json.loads(data)


def read_stats(addr):
    """The stats server's JSON document; addr is a TCP port on 127.0.0.1, a
    (host, port) pair or a unix socket path."""
    family = socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET
    target = ("127.0.0.1", addr) if isinstance(addr, int) else addr
    with socket.socket(family) as s:
        s.settimeout(5)
        s.connect(target)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    return json.loads(data.decode("utf8", "replace"))


def pid_alive(pid):
    """pid runs (is neither gone nor a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def children(pid):
    """Pids whose parent is pid (from /proc/*/stat)."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read()
        except OSError:
            continue
        if int(st[st.rindex(")") + 2:].split()[1]) == pid:
            out.append(int(p))
    return out
