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

from conftest import free_port, read_stats, wait_port
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


def gone(name):
    """No registry entry and no cgroup directory of the jail on any hierarchy."""
    dirs = [jail_dir(c, name) for c in ("memory", "pids", "cpu")] + [jail_cgroup(name)]
    return not registry(name).exists() and not any(d is not None and d.exists() for d in dirs)


def wait_log(j, text, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = j.log()
        if text in log:
            return log
        if j.proc.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in the log:\n{j.log()}")


def wait_pid_changed(port, old, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid = get(port, "/", timeout=10)["pid"]
            if pid != old:
                return pid
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError("the worker was never respawned")


def test_memoryuse_stops_the_jail_not_the_host(rootfs):
    """A jailed worker allocating past memoryuse is OOM-killed and respawned,
    the log says why; a jail beside it (no limit) allocates the same amount."""
    name, other = jail_name(), jail_name()
    sport = free_port()
    j, port = start(rootfs, name, ["memoryuse:deny=64M", "openfiles:deny=512"],
                    extra=["--stats", f"127.0.0.1:{sport}"])
    k = None
    try:
        k, kport = start(rootfs, other, [])
        mem = jail_dir("memory", name)
        limit = "memory.max" if on_v2("memory") else "memory.limit_in_bytes"
        assert (mem / limit).read_text().strip() == str(64 << 20)
        r = run(["--jls", "-v"])
        assert r.returncode == 0, r.stderr
        assert "        rctl memoryuse:deny=64M use=" in r.stdout, r.stdout
        row = jls_row(name)
        assert row["rctl"][0].startswith("memoryuse:deny=64M use=")
        # the stats server (in the jail) shows the limits and the current use
        stats = read_stats(sport)
        assert [r["rule"] for r in stats["rctl"]] == ["memoryuse:deny", "openfiles:deny"]
        assert stats["rctl"][0]["limit"] == 64 << 20 and 0 < stats["rctl"][0]["use"] < 64 << 20
        assert stats["rctl"][1] == {"rule": "openfiles:deny", "limit": 512, "use": None}
        before = get(port, "/")["pid"]
        assert get(port, "/alloc?16") == {"allocated": 16}     # under the limit: fine
        with pytest.raises(OSError):
            get(port, "/alloc?256")                            # the worker dies mid-request
        log = wait_log(j, "memoryuse limit 64M reached")
        wait_log(j, "worker 1 died (signal 9), respawning")
        assert wait_pid_changed(port, before) != before
        assert get(port, "/alloc?16") == {"allocated": 16}     # the new worker serves
        # the other jail and the host are untouched
        assert get(kport, "/alloc?256") == {"allocated": 256}
        assert "memoryuse limit" not in k.log()
        assert j.proc.poll() is None and k.proc.poll() is None
        assert "killed" in log
    finally:
        if k is not None:
            k.stop()
        j.stop()
    deadline = time.monotonic() + 30
    while not (gone(name) and gone(other)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(name) and gone(other), "cgroups or registry entries left behind"


def test_maxproc_stops_a_fork_bomb(rootfs):
    name = jail_name()
    j, port = start(rootfs, name, ["maxproc:deny=24", "pcpu:deny=50"])
    try:
        pids = jail_dir("pids", name)
        assert (pids / "pids.max").read_text().strip() == "24"
        cpu = jail_dir("cpu", name)
        if on_v2("cpu"):
            assert (cpu / "cpu.max").read_text().split() == ["50000", "100000"]
        else:
            assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "50000"
            assert (cpu / "cpu.cfs_period_us").read_text().strip() == "100000"
        r = get(port, "/fork?500")
        # init, master and worker count too: the bomb gets the rest of the 24
        assert 0 < r["forked"] < 24 and r["errno"] == errno.EAGAIN, r
        assert "maxproc:deny=24 use=" in run(["--jls", "-v"]).stdout
        # the jail lives on, and the host can still fork
        assert get(port, "/")["pid"] > 0
        assert run(["--version"]).returncode == 0
    finally:
        log = j.stop()
    assert "Traceback" not in log, log


def test_openfiles_and_vmemoryuse_are_rlimits(rootfs):
    name = jail_name()
    # an ASan build reserves terabytes of shadow memory: no RLIMIT_AS there
    asan = "ASAN_OPTIONS" in os.environ
    j, port = start(rootfs, name, ["openfiles:deny=128"] + ([] if asan else ["vmemoryuse:deny=2G"]))
    try:
        info = get(port, "/")
        assert info["nofile"] == [128, 128]
        if not asan:
            assert info["as"] == [2 << 30, 2 << 30]
        r = get(port, "/files?1000")
        assert 0 < r["opened"] < 128 and r["errno"] == errno.EMFILE, r
        assert get(port, "/")["pid"] == info["pid"]              # refused, not killed
    finally:
        j.stop()


def test_attach_joins_the_limits(rootfs):
    """A jail-attach'ed instance is held by the jail's limits too: its v1
    cgroups (joined after it entered the jail) and its rlimits."""
    name = jail_name()
    j, port = start(rootfs, name, ["maxproc:deny=64", "openfiles:deny=200"])
    a = None
    try:
        pids = jail_dir("pids", name)
        before = int((pids / "pids.current").read_text())
        aport = free_port()
        a = Jailed(["--jail-attach", name, "--http-socket", f"127.0.0.1:{aport}",
                    "--wsgi-file", "/app/rctlapp.py", "--master", "--processes", "1"], port=aport)
        info = get(aport, "/")
        assert info["nofile"] == [200, 200]
        assert int((pids / "pids.current").read_text()) >= before + 2, "master and worker counted"
        assert str(a.proc.pid) not in (pids / "cgroup.procs").read_text().split(), \
            "the attach monitor stays outside"
    finally:
        if a is not None:
            a.stop()
        j.stop()


BAD_RULES = [
    ("memoryuse:deny=64Q", "amount '64q' is not a number"),
    ("memoryuse=64M", "is not a rule of the form resource:action=amount"),
    ("diskspace:deny=1G", "unknown resource 'diskspace' (known: cputime"),
    ("readbps:deny=1M", "resource 'readbps' has no Linux equivalent (Linux jails know: memoryuse"),
    ("memoryuse:log=64M", "action 'log' is not available on Linux (only deny"),
    ("memoryuse:sigterm=64M", "action 'sigterm' is not available on Linux"),
    ("memoryuse:deny=64M/user", "'/user' is not supported"),
]


@pytest.mark.parametrize("rule,why", BAD_RULES)
def test_bad_rule_is_a_file_line_error(rootfs, tmp_path, rule, why):
    name = jail_name()
    ini = tmp_path / "bad.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = /app/rctlapp.py\n"
                   f"jail = {rootfs.path} {name}.example {name}\n"
                   f"jail-rctl = maxproc:deny=50\njail-rctl = {rule}\n")
    r = run(["--ini", str(ini)], rootfs=rootfs)
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if "jail-rctl" in l]
    assert len(lines) == 1 and lines[0].startswith(f"{ini}:6: jail-rctl: ") and why in lines[0], r.stderr
    assert gone(name), "a refused jail left a trace"


def test_rule_twice_and_without_jail(tmp_path):
    ini = tmp_path / "twice.ini"
    ini.write_text("[uwsgi]\nhttp-socket = 127.0.0.1:1\nwsgi-file = x.py\njail = /nonexistent\n"
                   "jail-rctl = memoryuse:deny=1G\njail-rctl = MemoryUse:deny=2G\n")
    r = run(["--ini", str(ini)])
    assert r.returncode != 0
    assert f"{ini}:6: jail-rctl: memoryuse:deny is given twice (also at {ini}:5)" in r.stderr
    ini.write_text("[uwsgi]\nhttp-socket = 127.0.0.1:1\nwsgi-file = x.py\njail-rctl = maxproc:deny=5\n")
    r = run(["--ini", str(ini)])
    assert r.returncode != 0 and f"{ini}:4: jail-rctl needs jail or jail2" in r.stderr


@pytest.mark.skipif(on_v2("memory") or own_v1("memory") is None, reason="v1 memory hierarchy only")
def test_failure_after_cgroups_exist_leaves_nothing(rootfs, tmp_path):
    """swapuse alone on a v1 memory hierarchy fails once the jail's memory
    cgroup exists: the error names the line and nothing stays behind."""
    name = jail_name()
    ini = tmp_path / "swap.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = /app/rctlapp.py\n"
                   f"jail = {rootfs.path} {name}.example {name}\n"
                   f"jail-rctl = maxproc:deny=50\njail-rctl = swapuse:deny=64M\n")
    r = run(["--ini", str(ini)], rootfs=rootfs)
    assert r.returncode != 0
    assert f"{ini}:6: jail-rctl: swapuse on a v1 memory hierarchy needs memoryuse too" in r.stderr
    assert gone(name), "a failed jail left a cgroup or registry entry"


# ---- uWSGI's cgroup options on a plain instance ------------------------------------------

@pytest.fixture
def v1_memory_cgroup():
    base = own_v1("memory")
    if base is None or on_v2("memory"):
        pytest.skip("needs the memory controller on a v1 hierarchy")
    path = base / f"stockade-test-{os.getpid()}-{time.monotonic_ns()}"
    yield path
    if path.exists():
        # move anything left back to our own cgroup, then remove it
        for pid in (path / "cgroup.procs").read_text().split():
            try:
                (base / "cgroup.procs").write_text(pid)
            except OSError:
                pass
        path.rmdir()


def test_cgroup_options_plain_instance(serve, v1_memory_cgroup):
    cg = v1_memory_cgroup
    inst = serve("--cgroup", str(cg), "--cgroup-opt", "memory.limit_in_bytes=134217728",
                 "--cgroup-opt", "memory.swappiness:0", "--cgroup-dir-mode", "0750")
    try:
        assert (cg.stat().st_mode & 0o7777) == 0o750
        assert (cg / "memory.limit_in_bytes").read_text().strip() == str(128 << 20)
        assert (cg / "memory.swappiness").read_text().strip() == "0"
        procs = set(int(p) for p in (cg / "cgroup.procs").read_text().split())
        assert inst.proc.pid in procs
        with urllib.request.urlopen(f"http://127.0.0.1:{inst.port}/", timeout=60) as r:
            assert r.status == 200
        log = inst.log()
        assert f"created Linux cgroup {cg} with mode 750" in log
        assert f"assigned process {inst.proc.pid} to cgroup {cg}" in log
    finally:
        inst.stop()


def test_cgroup_options_existing_dir_and_errors(tmp_path, serve, v1_memory_cgroup):
    cg = v1_memory_cgroup
    cg.mkdir(mode=0o700)
    inst = serve("--cgroup", str(cg), "--cgroup-dir-mode", "755")
    try:
        assert (cg.stat().st_mode & 0o7777) == 0o755
        assert f"using Linux cgroup {cg} with mode 755" in inst.log()
    finally:
        inst.stop()
    ini = tmp_path / "cg.ini"
    for line, why in [(f"cgroup-opt = memory.no_such_file=1", "cgroup-opt: no cgroup given has a file 'memory.no_such_file'"),
                      ("cgroup-opt = novalue", "cgroup-opt: 'novalue' is not key=value"),
                      ("cgroup-opt = ../x=1", "cgroup-opt: '../x=1' is not key=value"),
                      ("cgroup-dir-mode = 0799", "cgroup-dir-mode: '0799' is not an octal mode")]:
        ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = x.py\n"
                       f"cgroup = {cg}\n{line}\n")
        r = run(["--ini", str(ini)])
        assert r.returncode != 0 and f"{ini}:5: {why}" in r.stderr, (line, r.stderr)
    # a plain directory is no cgroup (uWSGI would write "tasks" into it as a file)
    plain = tmp_path / "plain"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = x.py\ncgroup = {plain}\n")
    r = run(["--ini", str(ini)])
    assert r.returncode != 0 and f"{ini}:4: cgroup: cannot move process" in r.stderr, r.stderr
    assert "not a cgroup directory (no cgroup.procs or tasks)" in r.stderr
    assert not (plain / "tasks").exists()
