# SPDX-License-Identifier: MIT
"""Service-manager integration: sd_notify over NOTIFY_SOCKET (a Python unix
datagram socket plays systemd), and the example service files."""
import os
import pathlib
import shutil
import signal
import socket
import struct
import subprocess
import time

import pytest

from conftest import APPS, BIN, ROOT, Instance, free_port, get_json

EXAMPLES = ROOT / "examples" / "service"


class FakeSystemd:
    """Receives notifications with the sender's credentials, as systemd does."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        addr = "\0" + path[1:] if path.startswith("@") else path
        self.sock.bind(addr)
        self.messages = []   # (pid, {key: value})

    def recv(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no notification in time; got so far: {self.messages}")
            self.sock.settimeout(left)
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
            pid = None
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", cdata[:12])[0]
            fields = dict(line.split("=", 1) for line in data.decode().splitlines() if "=" in line)
            self.messages.append((pid, fields))
            return pid, fields

    def wait_message(self, key, timeout=20.0):
        while True:
            pid, fields = self.recv(timeout)
            if key in fields:
                return pid, fields

    def close(self):
        self.sock.close()
        if not self.path.startswith("@") and os.path.exists(self.path):
            os.unlink(self.path)


@pytest.fixture
def fake_systemd(tmp_path):
    made = []

    def make(abstract=False):
        path = f"@stockade-test-notify-{os.getpid()}-{len(made)}" if abstract else str(tmp_path / "notify.sock")
        s = FakeSystemd(path)
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


def worker_pids(master):
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_master_ready_reload_stopping(fake_systemd):
    sd = fake_systemd()
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                     "--master", "--processes", "2"], port=port, env={"NOTIFY_SOCKET": sd.path})
    try:
        pid, f = sd.wait_message("READY")
        assert f["READY"] == "1"
        assert pid == inst.proc.pid, "systemd accepts only the main pid (NotifyAccess=main)"
        assert f["STATUS"].startswith("2 workers spawned")
        assert len(worker_pids(inst.proc.pid)) == 2
        env = get_json(port, "/osenv")
        assert env["pid"] != inst.proc.pid and env["notify_socket"] is None, "workers must not talk to systemd"

        # reload re-execs: RELOADING=1 from the old image, READY=1 from the new one (same pid)
        inst.proc.send_signal(signal.SIGHUP)
        pid, f = sd.wait_message("RELOADING")
        assert pid == inst.proc.pid
        pid, f = sd.wait_message("READY")
        assert pid == inst.proc.pid and "(reload 1)" in f["STATUS"]
        assert "reload 1 of" in inst.log()

        inst.proc.send_signal(signal.SIGTERM)
        pid, f = sd.wait_message("STOPPING")
        assert f["STOPPING"] == "1" and pid == inst.proc.pid
        assert inst.proc.wait(timeout=20) == 0
    finally:
        inst.stop()


def test_unreachable_socket_is_one_line_not_fatal(tmp_path):
    port = free_port()
    missing = str(tmp_path / "nobody-listens.sock")
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py")],
                    port=port, env={"NOTIFY_SOCKET": missing})
    log = inst.stop()
    assert f"NOTIFY_SOCKET {missing}: no notifications" in log
    assert log.count("NOTIFY_SOCKET") == 1


def test_emperor_ready_after_first_scan_abstract_socket(fake_systemd, tmp_path):
    sd = fake_systemd(abstract=True)
    vassals = tmp_path / "vassals"
    vassals.mkdir()
    ports = []
    for name in ("one", "two"):
        port = free_port()
        ports.append(port)
        (vassals / f"{name}.ini").write_text(
            f"[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {APPS / 'probe.py'}\nmaster = true\n"
            f"processes = 1\n")
    emp = Instance(["--emperor", str(vassals)], env={"NOTIFY_SOCKET": sd.path}, wait=False)
    try:
        pid, f = sd.wait_message("READY")
        assert pid == emp.proc.pid
        assert f["STATUS"] == "2 vassals"
        # vassals never inherit NOTIFY_SOCKET, and never notify themselves
        for port in ports:
            deadline = time.monotonic() + 20
            while True:
                try:
                    assert get_json(port, "/osenv")["notify_socket"] is None
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"vassal on {port} never answered"
                    time.sleep(0.05)
        emp.proc.send_signal(signal.SIGTERM)
        pid, f = sd.wait_message("STOPPING")
        assert pid == emp.proc.pid
        assert emp.proc.wait(timeout=60) == 0
        assert all(p == emp.proc.pid for p, _ in sd.messages), sd.messages
    finally:
        emp.stop(timeout=60)


def test_systemd_unit_verifies(tmp_path):
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze not installed")
    unit = (EXAMPLES / "stockade-emperor.service").read_text()
    assert "Type=notify" in unit
    # verify against the binary under test (the example names the installed path)
    unit = unit.replace("/usr/local/bin/stockade", BIN)
    path = tmp_path / "stockade-emperor.service"
    path.write_text(unit)
    r = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (r.stdout + r.stderr).splitlines() if "stockade-emperor.service" in line]
    assert r.returncode == 0 and not problems, r.stdout + r.stderr


def test_rc_script_is_rc_subr_shaped():
    text = (EXAMPLES / "stockade.rc").read_text()
    r = subprocess.run(["sh", "-n", str(EXAMPLES / "stockade.rc")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for needle in ('. /etc/rc.subr', 'name="stockade"', 'rcvar="stockade_enable"', 'command="',
                   'pidfile="', '--daemonize', '--pidfile', 'extra_commands="reload"', 'sig_reload="HUP"',
                   'run_rc_command "$1"'):
        assert needle in text, needle


def test_rc_script_runs_with_a_stub_rc_subr(tmp_path):
    """Runs the script's start path against a minimal rc.subr stand-in: the
    command line it would run must start a daemonized instance."""
    stub = tmp_path / "rc.subr"
    stub.write_text('load_rc_config() { :; }\n'
                    'run_rc_command() { echo "$command $command_args"; }\n')
    script = (EXAMPLES / "stockade.rc").read_text().replace("/etc/rc.subr", str(stub))
    rc = tmp_path / "stockade.rc"
    rc.write_text(script)
    port = free_port()
    ini = tmp_path / "app.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {APPS / 'probe.py'}\nmaster = true\n")
    env = dict(os.environ, stockade_config=str(ini), stockade_logfile=str(tmp_path / "s.log"),
               stockade_pidfile=str(tmp_path / "s.pid"))
    line = subprocess.run(["sh", str(rc), "start"], capture_output=True, text=True, env=env).stdout.strip()
    argv = line.split()
    assert argv[0] == "/usr/local/bin/stockade"
    argv[0] = BIN
    assert subprocess.run(argv, timeout=20).returncode == 0   # --daemonize: the parent returns
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (tmp_path / "s.pid").exists():
        time.sleep(0.05)
    pid = int((tmp_path / "s.pid").read_text())
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        os.kill(pid, signal.SIGHUP)   # what `service stockade reload` sends
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "reload 1 of" not in (tmp_path / "s.log").read_text():
            time.sleep(0.05)
        assert "reload 1 of" in (tmp_path / "s.log").read_text()
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
            time.sleep(0.05)
