# SPDX-License-Identifier: MIT
"""Hook phases in one real run, in the documented order, and their failures."""
import os
import pathlib
import pwd
import shutil
import tempfile
import signal
import time

import pytest

from conftest import APPS, Instance, free_port, wait_for

PHASES = ["asap", "pre-jail", "in-jail", "as-root", "as-user", "pre-app", "post-app", "master-start",
          "post-fork", "accepting", "accepting1", "accepting-once", "accepting1-once"]


def wait_file(path, text, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


@pytest.mark.skipif(os.geteuid() != 0, reason="as-root/as-user need root")
def test_all_phases_in_order(tmp_path):
    log = tmp_path / "phases"
    ini = tmp_path / "h.ini"
    lines = ["[uwsgi]", f"http-socket = 127.0.0.1:{free_port()}", f"wsgi-file = {APPS / 'probe.py'}",
             "master = true", "processes = 1"]
    for ph in PHASES:
        lines.append(f"hook-{ph} = appendn:{log} {ph}")
    lines.append(f"exec-as-user-atexit = echo as-user-atexit >> {log}")
    ini.write_text("\n".join(lines) + "\n")
    inst = Instance(["--ini", str(ini)], wait=False)
    wait_file(log, "accepting1-once")
    inst.stop(signal.SIGTERM)
    assert inst.proc.returncode == 0
    assert log.read_text().split() == PHASES + ["as-user-atexit"]


def test_family_order_inside_a_phase(tmp_path):
    log = tmp_path / "order"
    inst = Instance(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", str(APPS / "probe.py"),
                     "--exec-asap", f"echo exec1 >> {log}", "--hook-asap", f"appendn:{log} hook1",
                     "--exec-asap", f"echo exec2 >> {log}", "--hook-asap", f"appendn:{log} hook2",
                     "--exit-on-reload"], wait=False)
    wait_file(log, "exec2")
    inst.stop()
    assert log.read_text().split() == ["hook1", "hook2", "exec1", "exec2"]


@pytest.mark.parametrize("cmd,why", [("exit 3", "exited with status 3"), ("kill -9 $$", "killed by signal 9")])
def test_failing_pre_jail_stops_the_start(tmp_path, cmd, why):
    sock = tmp_path / "never.sock"
    ini = tmp_path / "f.ini"
    ini.write_text(f"[uwsgi]\nsocket = {sock}\nwsgi-file = {APPS / 'probe.py'}\nexec-pre-jail = {cmd}\n")
    inst = Instance(["--ini", str(ini)], wait=False)
    assert inst.proc.wait(timeout=10) == 1
    log = inst.log()
    assert f'exec-pre-jail "{cmd}" ({ini}:4) {why}' in log
    assert not sock.exists(), "nothing may be bound after a failed pre-jail hook"


def test_unknown_action_is_a_config_error_before_anything_runs(tmp_path):
    marker = tmp_path / "ran"
    ini = tmp_path / "u.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = x.py\n"
                   f"exec-asap = touch {marker}\nhook-as-user-atexit = frobnicate:x\n")
    inst = Instance(["--ini", str(ini)], wait=False)
    assert inst.proc.wait(timeout=10) == 1
    assert f"{ini}:5:" in inst.log() and "frobnicate" in inst.log()
    assert not marker.exists()


def test_private_hook_not_logged(tmp_path):
    inst = Instance(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", str(APPS / "probe.py"),
                     "--hook-asap", "!putenv:SECRET=hunter2", "--exit-on-reload"], wait=False)
    wait_for(lambda: "PRIVATE HOOK" in inst.log(), what="the private hook ran")
    log = inst.stop()
    assert "hunter2" not in log


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_as_user_hooks_run_as_the_dropped_uid(tmp_path):
    nobody = pwd.getpwnam("nobody")
    shared = pathlib.Path(tempfile.mkdtemp(prefix="stockade-asuser-"))
    shared.chmod(0o777)  # pytest's tmp_path is not reachable for nobody
    out = shared / "ids"
    inst = Instance(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", str(APPS / "probe.py"),
                     "--uid", "nobody", "--exec-as-user", f"id -u > {out}", "--exec-as-root", f"id -u > {out}.root"],
                    wait=False)
    wait_file(out, "\n")
    inst.stop()
    assert out.read_text().strip() == str(nobody.pw_uid)
    assert (shared / "ids.root").read_text().strip() == "0"
    shutil.rmtree(shared)
