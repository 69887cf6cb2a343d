# SPDX-License-Identifier: MIT
"""jail-rctl (issue 23, part 2): per-jail limits through the jail's cgroups
(v1 or cgroup2, whichever holds each controller on this host) and rlimits,
with real allocations, a fork bomb and descriptor hoarding inside a jail;
bad rules refused with file:line before anything exists; uWSGI's cgroup,
cgroup-opt and cgroup-dir-mode on a plain instance. Root only."""
import errno
import json
import os
import pathlib
import shutil
import time
import urllib.request

import pytest

from conftest import free_port, wait_port
from jailfs import Jailed, Rootfs, jail_cgroup, jail_name, jls_row, registry, run

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1)"),
    pytest.mark.skipif(not os.path.exists("/proc/self/ns/pid"), reason="needs namespaces"),
]

RCTLAPP = r'''
"""Pushes the jail's limits from the inside (tests/integration/test_rctl.py)."""
import json
import os
import resource
import signal
import time


def alloc(mb):
    chunks = []
    for _ in range(mb):
        b = bytearray(1 << 20)
        for i in range(0, len(b), 4096):
            b[i] = 1
        chunks.append(b)
    return {"allocated": mb}


def forkbomb(n):
    kids, err = [], None
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError as e:
            err = e.errno
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        kids.append(pid)
    for k in kids:
        os.kill(k, signal.SIGKILL)
    for k in kids:
        os.waitpid(k, 0)
    return {"forked": len(kids), "errno": err}


def hoard(n):
    fds, err = [], None
    for _ in range(n):
        try:
            fds.append(os.open("/dev/null", os.O_RDONLY))
        except OSError as e:
            err = e.errno
            break
    for fd in fds:
        os.close(fd)
    return {"opened": len(fds), "errno": err}


def application(environ, start_response):
    path, q = environ["PATH_INFO"], environ.get("QUERY_STRING", "")
    if path == "/alloc":
        body = alloc(int(q))
    elif path == "/fork":
        body = forkbomb(int(q))
    elif path == "/files":
        body = hoard(int(q))
    else:
        body = {"pid": os.getpid(),
                "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
                "as": resource.getrlimit(resource.RLIMIT_AS)}
    data = json.dumps(body).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(data)))])
    return [data]
'''


def get(port, path, timeout=60):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return json.loads(r.read())


def own_v1(controller):
    """This process's cgroup directory in the v1 hierarchy of controller, or None."""
    mnt = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fstype, _, opts = right.split()[:3]
            if fstype == "cgroup" and controller in opts.split(","):
                mnt = left.split()[4]
                break
    if mnt is None:
        return None
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctls, path = line.rstrip("\n").split(":", 2)
            if controller in ctls.split(","):
                return pathlib.Path(mnt + path.rstrip("/"))
    return None


def on_v2(controller):
    root = jail_cgroup("x")
    if root is None:
        return False
    return controller in (root.parent.parent / "cgroup.controllers").read_text().split()


def jail_dir(controller, name):
    """Where the jail's cgroup for controller lives (cgroup2 first, as stockade picks)."""
    if on_v2(controller):
        return jail_cgroup(name)
    base = own_v1(controller)
    return base / "stockade" / name if base else None


@pytest.fixture
def rootfs(tmp_path):
    r = Rootfs(tmp_path)
    (r.path / "app" / "rctlapp.py").write_text(RCTLAPP)
    return r


def start(rootfs, name, rules, extra=(), wait=True):
    port = free_port()
    args = ["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", "/app/rctlapp.py",
            "--master", "--processes", "1", "--jail", f"{rootfs.path} {name}.example {name}",
            *extra]
    for r in rules:
        args += ["--jail-rctl", r]
    return Jailed(args, rootfs=rootfs, port=port, wait=wait), port
