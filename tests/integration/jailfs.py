# SPDX-License-Identifier: MIT
"""Throw-away jail roots for the Linux jail tests.

A rootfs is a directory under the test's tmp_path holding a marker file, an
`out/` directory the jail may write to, and `app/jailprobe.py` (a WSGI app
that reports what it sees from inside). The host's /usr (+ the merged-/usr
symlinks), a few /etc files, a tmpfs /tmp and the repository (at its own
path, so that the binary and tests/integration/apps resolve inside the
jail) are bind-mounted into it by a shell prologue that runs in a private
`unshare --mount` namespace in front of stockade: the host never sees
these mounts, and they vanish with the last process of that namespace.
"""
import json
import os
import pathlib
import shlex
import subprocess
import time
import uuid

import pytest

from conftest import BIN, ROOT, Instance, free_port

ETC_FILES = ["passwd", "group", "hosts", "nsswitch.conf", "ld.so.cache", "localtime", "host.conf"]

JAILPROBE = r'''
"""Reports the jail from the inside (written by tests/integration/jailfs.py)."""
import ctypes
import json
import os
import socket
import stat

libc = ctypes.CDLL(None, use_errno=True)


def _status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "NSpid"):
                out[k] = v.strip()
    return out


def _procs():
    procs = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/comm" % p) as f:
                    procs[p] = f.read().strip()
            except OSError:
                pass
    return procs


def _shm_ids():
    ids = []
    try:
        with open("/proc/sysvipc/shm") as f:
            next(f)
            for line in f:
                ids.append(int(line.split()[1]))
    except (OSError, StopIteration):
        pass
    return ids


def _call(fn):
    try:
        r = fn()
    except OSError as e:
        return e.strerror
    if isinstance(r, int) and r < 0:
        return os.strerror(ctypes.get_errno())
    return "ok"


def _raw():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.close()


def _mknod():
    os.mknod("/tmp/probe-null", 0o600 | stat.S_IFCHR, os.makedev(1, 3))


def _info(environ):
    q = environ.get("QUERY_STRING", "")
    return {
        "hostname": socket.gethostname(),
        "root": sorted(os.listdir("/")),
        "uid": os.getuid(),
        "gid": os.getgid(),
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "comm1": open("/proc/1/comm").read().strip(),
        "cmdline1": open("/proc/1/cmdline", "rb").read().split(b"\0")[0].decode(),
        "procs": _procs(),
        "status": _status(),
        "shm": _shm_ids(),
        "exists": os.path.exists(q) if q else None,
        "reloads": os.environ.get("UWSGI_RELOADS"),
        "cwd": os.getcwd(),
    }


def _privileged():
    return {
        "mount": _call(lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
        "mknod": _call(_mknod),
        "raw_socket": _call(_raw),
        "sethostname": _call(lambda: libc.sethostname(b"evil", 4)),
        "unshare_uts": _call(lambda: libc.unshare(0x04000000)),
    }


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/privileged":
        body = _privileged()
    else:
        body = _info(environ)
    data = json.dumps(body, sort_keys=True).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
'''


def jail_name():
    return "jt-" + uuid.uuid4().hex[:10]


def cgroup2_root():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, _, right = line.partition(" - ")
            if right.split()[0] == "cgroup2":
                return left.split()[4]
    return None


def jail_cgroup(name):
    root = cgroup2_root()
    return pathlib.Path(root, "stockade", name) if root else None


def registry(name):
    return pathlib.Path("/run/stockade/jails", name)


class Rootfs:
    """A jail root under base; its mounts live only in the launcher's namespace."""

    def __init__(self, base):
        self.path = pathlib.Path(base) / "root"
        for d in ("usr", "etc", "tmp", "proc", "dev", "app", "out"):
            (self.path / d).mkdir(parents=True, exist_ok=True)
        os.chmod(self.path / "out", 0o777)
        for link in ("bin", "lib", "lib64", "sbin"):
            if os.path.lexists(f"/{link}") and not (self.path / link).is_symlink():
                os.symlink(f"usr/{link}", self.path / link)
        self.marker = "MARKER-" + uuid.uuid4().hex[:8]
        (self.path / self.marker).write_text("jail root\n")
        (self.path / "app" / "jailprobe.py").write_text(JAILPROBE)
        self.app = "/app/jailprobe.py"
        # the repository, and the binary's directory if it lives elsewhere
        self.binds = [str(ROOT)]
        bindir = str(pathlib.Path(BIN).resolve().parent)
        if not bindir.startswith(str(ROOT) + "/"):
            self.binds.append(bindir)

    def prologue(self):
        r = shlex.quote(str(self.path))
        lines = ["set -e", f"R={r}",
                 'mount --bind /usr "$R/usr"', 'mount -o remount,bind,ro "$R/usr"',
                 'mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"']
        for f in ETC_FILES:
            if os.path.exists(f"/etc/{f}"):
                lines += [f'touch "$R/etc/{f}"', f'mount --bind /etc/{f} "$R/etc/{f}"',
                          f'mount -o remount,bind,ro "$R/etc/{f}"']
        for b in self.binds:
            q = shlex.quote(b)
            lines += [f'mkdir -p "$R"{q}', f'mount --bind {q} "$R"{q}']
        return "\n".join(lines) + "\nset +e\n"

    def wrap(self, argv, mountinfo_dir=None):
        """argv run in a private mount namespace holding the rootfs mounts.
        With mountinfo_dir, the namespace's mountinfo is saved before and after
        the run (the command is then not exec'ed)."""
        script = self.prologue()
        if mountinfo_dir:
            m = shlex.quote(str(mountinfo_dir))
            script += (f'cat /proc/self/mountinfo > {m}/before\n"$@"\nrc=$?\n'
                       f'cat /proc/self/mountinfo > {m}/after\nexit $rc\n')
        else:
            script += 'exec "$@"\n'
        return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", *argv]


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    if "ASAN_OPTIONS" in env:
        # LeakSanitizer stops the world with ptrace, which the jail's seccomp
        # filter denies (allow.unprivileged_proc_debug=0): leaks are checked
        # by the rest of the suite, outside jails
        env["ASAN_OPTIONS"] += ":detect_leaks=0"
    env.update(extra or {})
    return env


class Jailed(Instance):
    """A stockade run (optionally inside a rootfs launcher); stop() returns its log."""

    def __init__(self, args, rootfs=None, port=None, env=None, wait=True, pass_fds=(), **popen):
        argv = [BIN, *args]
        if rootfs is not None:
            argv = rootfs.wrap(argv)
        self._start(argv, clean_env(env), port, wait, pass_fds=pass_fds, **popen)


def run(args, rootfs=None, mountinfo_dir=None, timeout=30, env=None):
    """Runs stockade to completion."""
    argv = [BIN, *args]
    if rootfs is not None:
        argv = rootfs.wrap(argv, mountinfo_dir)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=clean_env(env))


def jls():
    """--jls --json: one dict per running jail (jid, name, hostname, path, pid, ip4, ip6, params, ...)."""
    r = run(["--jls", "--json"])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def jls_row(name):
    for row in jls():
        if row["name"] == name:
            return row
    return None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pid, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False




@pytest.fixture
def jails():
    """Starts jailed instances (a test module imports this fixture); stops
    them and removes leftover jails at the end."""
    started = []

    def start(rootfs, *args, name=None, processes=1, wait=True, env=None):
        port = free_port()
        name = name or jail_name()
        j = Jailed(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", rootfs.app, "--master",
                    "--processes", str(processes), *args], rootfs=rootfs, port=port, wait=wait, env=env)
        j.name = name
        started.append(j)
        return j

    yield start
    for j in started:
        j.stop()
        if getattr(j, "name", None) and registry(j.name).exists():
            run(["--jail-remove", j.name])
