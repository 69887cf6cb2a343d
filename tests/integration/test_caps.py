# SPDX-License-Identifier: MIT
"""Capability sets after the privilege drop (issue 24 §1), read from the
host's /proc/PID/status of every process of the instance: the master, the
workers, the forkpty router, a shell it spawned and a hook run as the user.
After a drop to an unprivileged uid all five sets (inheritable, permitted,
effective, bounding, ambient) are empty, jailed or not; a jailed instance
that stays root keeps exactly its allow.*-derived set, with nothing
inheritable or ambient. Root only."""
import os
import shutil
import socket

import pytest

from conftest import APPS, Instance, children, free_port, get_json, wait_for
from jailfs import Rootfs, jail_name, jails  # noqa: F401 (a fixture)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1)"),
]

SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
NOBODY = 65534
HOOK_MARK = "caps-of-the-hook:"
# the hook's own sets, on one log line
HOOK = f"sh -c 'printf \"{HOOK_MARK} \"; grep ^Cap /proc/self/status | tr \"\\n\\t\" \"  \"; echo'"


def status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
    except OSError:
        return None
    return out


def descendants(root):
    """Pids below root, root excluded."""
    found, todo = [], [root]
    while todo:
        kids = children(todo.pop())
        found += kids
        todo += kids
    return found


def processes_of(root, uid):
    """{pid: status} of root and the processes below it running as uid."""
    procs = {}
    for pid in [root, *descendants(root)]:
        st = status(pid)
        if st and int(st["Uid"].split()[0]) == uid:
            procs[pid] = st
    return procs


def hook_sets(log):
    for line in log.splitlines():
        # the log also shows the command itself: take the line of its output
        if HOOK_MARK + " CapInh:" in line:
            words = line.split(HOOK_MARK, 1)[1].split()
            return {words[i].rstrip(":"): words[i + 1] for i in range(0, len(words) - 1, 2)}
    return None


def open_shell(sock_path):
    """Connects to the raw forkpty router: a shell is spawned for us."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    s.sendall(b"echo shell-is-up\n")
    return s


def check_dropped(root, log, sock, expect_kinds):
    """Every process of the instance running as nobody has five empty sets."""
    shell = open_shell(sock)
    try:
        # master + 2 workers + router + the shell
        procs = wait_for(lambda: (lambda p: p if len(p) >= expect_kinds else None)(processes_of(root, NOBODY)),
                         what=f"{expect_kinds} processes running as nobody")
        for pid, st in procs.items():
            for key in SETS:
                assert int(st[key], 16) == 0, (pid, st["Name"], key, st[key])
        hook = hook_sets(log())
        assert hook is not None, "the as-user hook printed its sets"
        assert set(hook) == set(SETS), hook
        assert all(int(v, 16) == 0 for v in hook.values()), hook
    finally:
        shell.close()


def test_unjailed_drop_empties_every_set(tmp_path):
    port, sock = free_port(), str(tmp_path / "pty.sock")
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                     "--master", "--processes", "2", "--uid", "nobody", "--gid", "nogroup",
                     "--forkpty-router", sock, "--exec-as-user", HOOK], port=port)
    try:
        check_dropped(inst.proc.pid, inst.log, sock, 5)
    finally:
        inst.stop()


def start_jailed(jails, rootfs, *args):
    name = jail_name()
    return jails(rootfs, "--jail", f"{rootfs.path} capshost {name}", *args, name=name, processes=2)


def test_jailed_drop_empties_every_set(tmp_path, jails):
    rootfs = Rootfs(tmp_path)
    sock = str(tmp_path / "pty.sock")
    j = start_jailed(jails, rootfs, "--uid", "nobody", "--gid", "nogroup", "--forkpty-router", sock,
                     "--exec-as-user", HOOK)
    check_dropped(j.proc.pid, j.log, sock, 5)


def test_jailed_root_keeps_its_set_and_nothing_inheritable(tmp_path, jails):
    j = start_jailed(jails, Rootfs(tmp_path))
    st = get_json(j.port)["status"]
    assert int(st["CapEff"], 16) != 0, "jail root keeps its allow.*-derived set"
    assert st["CapPrm"] == st["CapEff"] == st["CapBnd"], st
    assert int(st["CapInh"], 16) == 0, st
    assert int(st["CapAmb"], 16) == 0, st
