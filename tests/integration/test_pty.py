# SPDX-License-Identifier: MIT
"""Forkpty router and pty client (issue 10): a shell on a pseudo-terminal per
connection, reached through `stockade --pty-uconnect` running on a real pty
(Python's pty module), or through plain sockets speaking the raw or the
uwsgi-framed protocol. Checks the shell's view (hostname, /), resizing,
Ctrl-C, signals, the end of a session from either side (no zombie, no
leaked pty or fd in the router), 20 concurrent sessions, the idle timeout,
the command option, and the same shell inside a Linux jail."""
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import socket
import stat
import struct
import tempfile
import termios
import time

import pytest

from conftest import APPS, BIN, Instance, children, free_port, wait_for

ANSWER_TIMEOUT = 10.0


# ---- helpers -----------------------------------------------------------------------------


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    env["PS1"] = "$ "
    return env


def frame(mod2, size=0, body=b""):
    """One uwsgi-framed message (modifier1 0, datasize little-endian)."""
    return bytes([0]) + struct.pack("<H", size) + bytes([mod2]) + body


def data(b):
    return frame(0, len(b), b)


def proc_state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()[0]


def ppid_of(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return None
    return int(st[st.rindex(")") + 2:].split()[1])


def wait_gone(pid, not_parents, timeout=10.0):
    """pid exited and nobody of ours (not_parents) holds it as a zombie; an
    orphan zombie waiting for init (or the test's subreaper) is not ours."""
    def gone():
        st = proc_state(pid)
        return st is None or (st == "Z" and ppid_of(pid) not in not_parents)
    wait_for(gone, timeout, f"pid {pid} gone (state {proc_state(pid)}, parent {ppid_of(pid)})")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def pty_fds(pid):
    """The router's fds on /dev/ptmx (pty masters)."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").endswith("ptmx"):
                n += 1
        except OSError:
            pass
    return n


class Router:
    """A running instance with a framed and a raw forkpty router."""

    def __init__(self, *extra, jail_wrap=None):
        self.dir = tempfile.mkdtemp(prefix="stockade-pty-")
        self.usock = os.path.join(self.dir, "u.sock")
        self.rsock = os.path.join(self.dir, "r.sock")
        self.port = free_port()
        args = ["--http-socket", f"127.0.0.1:{self.port}", "--wsgi-file", str(APPS / "probe.py"),
                "--master", "--processes", "1", "--forkpty-urouter", self.usock,
                "--forkpty-router", self.rsock, *extra]
        self.inst = Instance(args, port=self.port)
        wait_for(lambda: self.ready_pid() is not None, what="router ready")
        self.pid = self.ready_pid()

    def ready_pid(self):
        m = re.findall(r"forkpty router ready \(pid: (\d+)", self.inst.log())
        return int(m[-1]) if m else None

    def stop(self):
        log = self.inst.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return log


@pytest.fixture
def router():
    started = []

    def start(*extra):
        r = Router(*extra)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


class PtyClient:
    """`stockade --pty-uconnect` (or --pty-connect) on a real pseudo-terminal."""

    def __init__(self, addr, framed=True, rows=None, cols=None, argv0=BIN):
        pid, fd = pty.fork()
        if pid == 0:
            try:
                if rows:
                    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execve(argv0, [argv0, "--pty-uconnect" if framed else "--pty-connect", addr],
                          clean_env())
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.buf = b""
        self.status = None

    def send(self, b):
        os.write(self.fd, b)

    def read_some(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:          # EIO: the client exited and closed its terminal
            chunk = b""
        if not chunk:
            return None
        self.buf += chunk
        return True

    def expect(self, pattern, timeout=ANSWER_TIMEOUT):
        """Waits until pattern (bytes regex) appears in new output; returns the match."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0 or self.read_some(left) is None:
                raise AssertionError(f"{pattern!r} not seen; output: {self.buf[-2000:]!r}")

    def resize(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(self.pid, signal.SIGWINCH)

    def wait(self, timeout=ANSWER_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                return os.waitstatus_to_exitcode(status)
            self.read_some(0.05)
        raise AssertionError("client did not exit")

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait()
        os.close(self.fd)


@pytest.fixture
def clients():
    started = []

    def start(*a, **kw):
        c = PtyClient(*a, **kw)
        started.append(c)
        return c

    yield start
    for c in started:
        c.close()


def shell_line(c, cmd, tag):
    """Runs cmd in the remote shell; returns its output (between two tags,
    built by the shell so the echo of the command line never matches)."""
    c.send(f"echo \"<$(printf {tag})>\"; {cmd}; echo \"</$(printf {tag})>\"\r".encode())
    m = c.expect(rb"<%s>\r\n(.*?)</%s>" % (tag.encode(), tag.encode()))
    return m.group(1).decode()


def raw_connect(path, timeout=ANSWER_TIMEOUT):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(path)
    return s


def raw_expect(s, pattern, timeout=ANSWER_TIMEOUT):
    rx = re.compile(pattern, re.S)
    buf = b""
    deadline = time.monotonic() + timeout
    while True:
        m = rx.search(buf)
        if m:
            return m
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise AssertionError(f"{pattern!r} not seen; output: {buf[-2000:]!r}")
        if not chunk:
            raise AssertionError(f"EOF before {pattern!r}; output: {buf[-2000:]!r}")
        buf += chunk


def raw_eof(s, timeout=ANSWER_TIMEOUT):
    """Reads until the server closes; returns what came."""
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return buf
        if not chunk:
            return buf
        buf += chunk
    raise AssertionError(f"connection still open; output: {buf[-2000:]!r}")


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


def foreground_of(pid):
    """True when pid's process group is its terminal's foreground group."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return False
    fields = st[st.rindex(")") + 2:].split()
    return int(fields[2]) == int(fields[5]) > 0   # pgrp == tpgid


def baseline(r):
    return {"children": sorted(children(r.pid)), "fds": fd_count(r.pid), "ptys": pty_fds(r.pid)}


def assert_back_to(r, base, timeout=10.0):
    def same():
        return (sorted(children(r.pid)) == base["children"] and fd_count(r.pid) == base["fds"]
                and pty_fds(r.pid) == base["ptys"])
    try:
        wait_for(same, timeout, "router back to its baseline")
    except AssertionError:
        raise AssertionError(f"baseline {base}, now children={children(r.pid)} fds={fd_count(r.pid)} "
                             f"ptys={pty_fds(r.pid)}")


# ---- through the client on a real pty ------------------------------------------------------


def test_hostname_and_root(router, clients):
    r = router()
    c = clients(r.usock)
    assert shell_line(c, "hostname", "H") == socket.gethostname() + "\r\n"
    root = shell_line(c, "ls -1 /", "L").split()
    assert set(root) == set(os.listdir("/")) - {n for n in os.listdir("/") if n.startswith(".")}
    # the shell is a child of the router, on its own terminal
    tty = shell_line(c, "tty", "T").strip()
    assert tty.startswith("/dev/pts/"), tty


def test_initial_size_options_and_resize(router, clients):
    r = router("--forkptyrouter-rows", "30", "--forkptyrouter-cols", "90")
    c = clients(r.usock)            # its terminal is 0x0: the router's size stays
    assert shell_line(c, "stty size", "S").strip() == "30 90"
    c.resize(33, 101)
    wait_for(lambda: shell_line(c, "stty size", "S").strip() == "33 101", 5, "resize")
    c.resize(50, 132)
    wait_for(lambda: shell_line(c, "stty size", "S").strip() == "50 132", 5, "second resize")


def test_client_sends_its_size_at_start(router, clients):
    r = router()
    c = clients(r.usock, rows=41, cols=97)
    assert shell_line(c, "stty size", "S").strip() == "41 97"


def test_raw_client_has_the_default_size_and_no_resize(router, clients):
    r = router()
    c = clients(r.rsock, framed=False, rows=41, cols=97)
    assert shell_line(c, "stty size", "S").strip() == "24 80"
    c.resize(33, 101)
    time.sleep(0.3)
    assert shell_line(c, "stty size", "S").strip() == "24 80"


def test_ctrl_c_interrupts_sleep(router, clients):
    r = router()
    c = clients(r.usock)
    shell_line(c, "true", "READY")
    c.send(b"sleep 30\r")
    c.expect(rb"sleep 30\r\n")
    time.sleep(0.3)
    t0 = time.monotonic()
    c.send(b"\x03")                 # a data byte: the remote line discipline makes it SIGINT
    assert shell_line(c, "echo after", "C") == "after\r\n"
    assert time.monotonic() - t0 < 10, "sleep was not interrupted"


def test_exit_closes_the_connection_and_the_client_exits_0(router, clients):
    r = router()
    base = baseline(r)
    c = clients(r.usock)
    shell_line(c, "true", "READY")
    assert len(children(r.pid)) == len(base["children"]) + 1
    c.send(b"exit 3\r")
    assert c.wait() == 0
    assert_back_to(r, base)
    wait_for(lambda: "command exited" in r.inst.log(), 5, "logged")


def test_disconnect_hangs_up_the_child_and_frees_the_pty(router, clients):
    r = router()
    base = baseline(r)
    c = clients(r.usock)
    shell = int(shell_line(c, "echo $$", "P"))
    tty = shell_line(c, "tty", "T").strip()
    assert shell in children(r.pid)
    assert pty_fds(r.pid) == base["ptys"] + 1
    c.send(b"sleep 300\r")
    sleeper = wait_for(lambda: children(shell), 5, "sleep started")[0]
    os.kill(c.pid, signal.SIGKILL)  # the connection just drops
    c.wait()
    assert_back_to(r, base)
    for pid in (shell, sleeper):
        wait_gone(pid, (r.pid, shell))
    wait_for(lambda: not os.path.exists(tty), 5, f"{tty} released")
    assert r.inst.proc.poll() is None


def test_children_ignoring_sighup_are_killed(router):
    r = router()
    base = baseline(r)
    s = raw_connect(r.rsock)
    s.sendall(b"trap '' HUP; echo TRAP$((1+1)); sleep 300\n")
    raw_expect(s, rb"TRAP2")
    shell = wait_for(lambda: [p for p in children(r.pid) if p not in base["children"]], 5, "shell")[0]
    sleeper = wait_for(lambda: children(shell), 5, "sleep started")[0]
    # the hangup must find sleep exec'ed and in the terminal's foreground: in the
    # shell's fork/exec window its child may still die of the hangup at once
    wait_for(lambda: comm(sleeper) == "sleep" and foreground_of(sleeper), 5, "sleep in the foreground")
    t0 = time.monotonic()
    s.close()
    assert_back_to(r, base, timeout=15)
    assert time.monotonic() - t0 > 2, "SIGKILL comes after a grace period"
    wait_gone(sleeper, (r.pid, shell))
    wait_for(lambda: "ignored SIGHUP" in r.inst.log(), 5, "logged")


def test_client_restores_the_terminal(router, clients):
    r = router()
    c = clients(r.usock)
    # the client's own terminal is raw while connected: no local echo, no ISIG
    shell_line(c, "true", "READY")
    attrs = termios.tcgetattr(c.fd)
    assert not attrs[3] & termios.ICANON and not attrs[3] & termios.ECHO
    c.send(b"exit\r")
    assert c.wait() == 0
    attrs = termios.tcgetattr(c.fd)
    assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO


def test_client_restores_the_terminal_on_sigterm(router, clients):
    r = router()
    c = clients(r.usock)
    shell_line(c, "true", "READY")
    os.kill(c.pid, signal.SIGTERM)
    assert c.wait() == 128 + signal.SIGTERM
    attrs = termios.tcgetattr(c.fd)
    assert attrs[3] & termios.ICANON and attrs[3] & termios.ECHO


def test_client_connect_error(tmp_path):
    c = PtyClient(str(tmp_path / "nothing.sock"))
    try:
        assert c.wait() == 1
        assert b"connect" in c.buf
    finally:
        c.close()


# ---- the protocol, through plain sockets -------------------------------------------------------


def test_framed_rows_cols_and_unknown_modifiers(router):
    r = router()
    s = raw_connect(r.usock)
    s.sendall(frame(100, 42) + frame(101, 117) + frame(200) + frame(77, 5) + frame(0)
              + data(b"echo SZ:$(stty size):\n"))
    raw_expect(s, rb"SZ:42 117:")
    s.close()


def test_framed_split_messages(router):
    r = router()
    s = raw_connect(r.usock)
    stream = frame(100, 12) + frame(101, 34) + data(b"echo SPL$((3*3)):$(stty size)\n")
    for i in range(len(stream)):
        s.sendall(stream[i:i + 1])
        time.sleep(0.002)
    raw_expect(s, rb"SPL9:12 34")
    s.close()


def test_framed_signal_reaches_the_child(router):
    r = router()
    base = baseline(r)
    s = raw_connect(r.usock)
    s.sendall(data(b"echo UP$((1+1))\n"))
    raw_expect(s, rb"UP2")
    s.sendall(frame(signal.SIGKILL))     # to the shell: it dies, the session ends
    raw_eof(s)
    s.close()
    assert_back_to(r, base)


def test_framed_large_input(router):
    r = router()
    s = raw_connect(r.usock)
    # stty -icanon: no 4 KiB canonical line limit; 200 KiB through 64 KiB buffers
    # the payload goes only once the terminal is raw (RE''ADY: not matched by the echoed command line)
    s.sendall(data(b"stty -echo -icanon; echo RE''ADY; head -c 204800 | wc -c\n"))
    raw_expect(s, rb"READY")
    blob = b"x" * 65535
    payload = b"".join(data(blob) for _ in range(3)) + data(b"x" * (204800 - 3 * 65535))
    s.sendall(payload)
    raw_expect(s, rb"204800", timeout=20)
    s.close()


def test_twenty_concurrent_sessions(router):
    r = router()
    base = baseline(r)
    socks = [raw_connect(r.rsock) for _ in range(20)]
    for i, s in enumerate(socks):
        s.sendall(f"echo ID{i}:$(($$+0)):$((6*{i}))\n".encode())
    shells = set()
    for i, s in enumerate(socks):
        m = raw_expect(s, rb"ID%d:(\d+):%d" % (i, 6 * i))
        shells.add(int(m.group(1)))
    assert len(shells) == 20, "one shell each"
    assert len(children(r.pid)) == len(base["children"]) + 20
    assert pty_fds(r.pid) == base["ptys"] + 20
    assert shells <= set(children(r.pid))
    for s in socks:
        s.close()
    assert_back_to(r, base, timeout=15)


def test_twenty_concurrent_pty_clients(router, clients):
    r = router()
    cs = [clients(r.usock) for _ in range(20)]
    for i, c in enumerate(cs):
        assert shell_line(c, f"echo $((7*{i}))", f"N{i}") == f"{7 * i}\r\n"
    for c in cs:
        c.send(b"exit\r")
    for c in cs:
        assert c.wait() == 0


def test_idle_timeout(router):
    r = router("--forkptyrouter-timeout", "1")
    base = baseline(r)
    s = raw_connect(r.rsock)
    s.sendall(b"echo ALIVE$((2*2))\n")
    raw_expect(s, rb"ALIVE4")
    t0 = time.monotonic()
    raw_eof(s, timeout=30)          # it does close, and not at once
    assert time.monotonic() - t0 > 0.5
    s.close()
    wait_for(lambda: "idle timeout" in r.inst.log(), 5, "logged")
    assert_back_to(r, base)


def test_command_with_a_space_runs_through_sh(router):
    r = router("--forkptyrouter-command", "echo CMD$((5+5)); exit 0")
    s = raw_connect(r.rsock)
    out = raw_eof(s)
    assert b"CMD10" in out
    s.close()


def test_command_without_a_space_is_executed_directly(router):
    r = router("--forkpty-router-cmd", "/bin/pwd")
    out = raw_eof(raw_connect(r.rsock))
    assert out.strip() == os.getcwd().encode()


def test_command_that_cannot_run(router):
    r = router("--forkptyrouter-cmd", "/nonexistent/shell")
    out = raw_eof(raw_connect(r.rsock))
    assert b"cannot run the command" in out
    assert r.inst.proc.poll() is None


def test_chmod_socket_and_sockets_exist_before_workers(router):
    r = router("--chmod-socket=600")
    assert stat.S_IMODE(os.stat(r.usock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(r.rsock).st_mode) == 0o600
    log = r.inst.log()
    assert log.index("forkpty router (uwsgi) bound to") < log.index("spawned worker 1")


def test_router_stops_with_the_instance(router):
    r = router()
    s = raw_connect(r.rsock)
    s.sendall(b"echo X$((1+1))\n")
    raw_expect(s, rb"X2")
    shell = children(r.pid)[0]
    log = r.inst.stop()
    assert r.inst.proc.returncode == 0
    raw_eof(s)
    wait_gone(shell, (r.pid,))
    wait_gone(r.pid, ())
    assert "forkpty router (pid: %d) stopped" % r.pid in log


def test_router_is_respawned(router):
    r = router()
    old = r.pid
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: r.ready_pid() not in (None, old), 10, "router respawned")
    s = raw_connect(r.rsock)
    s.sendall(b"echo RE$((1+2))\n")
    raw_expect(s, rb"RE3")
    s.close()


def test_bad_addresses_are_refused(tmp_path):
    from conftest import run_stockade
    port = free_port()
    res = run_stockade("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                       "--forkpty-router", "=0")
    assert res.returncode != 0
    assert "shared socket" in res.stderr
    res = run_stockade("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                       "--forkpty-urouter", str(tmp_path / "u.sock"), "--forkptyrouter-rows", "70000")
    assert res.returncode != 0
    assert "forkptyrouter-rows" in res.stderr


def test_options_and_aliases_are_known():
    from conftest import run_stockade
    for name in ("forkpty-router", "forkptyrouter", "forkpty-urouter", "forkptyurouter",
                 "forkptyrouter-command", "forkptyrouter-cmd", "forkpty-router-command",
                 "forkpty-router-cmd", "forkptyrouter-rows", "forkptyrouter-cols",
                 "forkptyrouter-timeout", "pty-connect", "pty-uconnect"):
        res = run_stockade("--help-option", name)
        assert res.returncode == 0, (name, res.stderr)


# ---- inside a Linux jail ------------------------------------------------------------------------


def _jails_available():
    if os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists("/proc/self/ns/pid"):
        return False
    try:
        import jailfs  # noqa: F401
    except ImportError:
        return False
    from conftest import run_stockade
    return run_stockade("--jls").returncode == 0


@pytest.mark.skipif(not _jails_available(), reason="needs root, unshare(1), Linux jails (--jls) and jailfs.py")
def test_shell_runs_inside_the_jail(tmp_path, clients):
    from jailfs import Jailed, Rootfs, jail_name, registry, run
    rootfs = Rootfs(tmp_path)
    name = jail_name()
    sockdir = tempfile.mkdtemp(prefix="stockade-ptyj-")
    usock = os.path.join(sockdir, "u.sock")
    port = free_port()
    j = Jailed(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", rootfs.app, "--master",
                "--processes", "1", "--jail", f"{rootfs.path} ptyjail.example {name}",
                "--forkpty-urouter", usock], rootfs=rootfs, port=port)
    try:
        # bound on the host before the jail: the host path works
        wait_for(lambda: os.path.exists(usock), 10, "router socket on the host")
        c = clients(usock)
        assert shell_line(c, "hostname", "H").strip() == "ptyjail.example"
        root = shell_line(c, "ls -1 /", "L").split()
        assert rootfs.marker in root, root
        assert not os.path.exists(f"/{rootfs.marker}")
        # its own PID namespace: the shell sees the jail's processes only
        pids = shell_line(c, "ls -1 /proc | grep -c '^[0-9]'", "P").strip()
        assert int(pids) < 10, pids
        assert shell_line(c, "stty size", "S").strip() == "24 80"
        c.send(b"exit\r")
        assert c.wait() == 0
    finally:
        j.stop()
        if registry(name).exists():
            run(["--jail-remove", name])
        shutil.rmtree(sockdir, ignore_errors=True)
