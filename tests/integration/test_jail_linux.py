# SPDX-License-Identifier: MIT
"""Linux jails (issue 6): a jail built from namespaces by the `jail`/`jail2`
options, seen from the inside (through a probe app served by the jailed
instance), its lifetime, the registry (--jls, --jail-remove, jail-attach)
and the error paths. Root only; every rootfs mount is made in a private
mount namespace of the test's launcher (see jailfs.py)."""
import ctypes
import os
import pathlib
import shutil
import signal
import time

import pytest

from conftest import BIN, free_port, get_json, wait_for
from jailfs import (Jailed, Rootfs, jail_cgroup, jail_name, jails, jls, jls_row, pid_alive, registry,  # noqa: F401
                    run, wait_gone)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1)"),
    pytest.mark.skipif(not os.path.exists("/proc/self/ns/pid"), reason="needs namespaces"),
]

CAP_SYS_ADMIN, CAP_NET_RAW, CAP_MKNOD, CAP_SYS_PTRACE, CAP_NET_ADMIN = 21, 13, 27, 19, 12
CAP_SETUID = 7


@pytest.fixture
def rootfs(tmp_path):
    return Rootfs(tmp_path)


def jail_args(rootfs, name, hostname="jailhost", *extra):
    return ["--jail", f"{rootfs.path} {hostname} {name}", *extra]


def has_cap(hexmask, cap):
    return bool(int(hexmask, 16) & (1 << cap))


def assert_no_trace(name, jidfile=None):
    assert not registry(name).exists(), f"registry entry {name} left behind"
    cg = jail_cgroup(name)
    if cg is not None:
        assert not cg.exists(), f"cgroup {cg} left behind"
    assert jls_row(name) is None
    if jidfile:
        assert not pathlib.Path(jidfile).exists()


# ---- inside the jail --------------------------------------------------------------------


@pytest.fixture
def host_shm():
    """A SysV shm segment on the host; its id."""
    libc = ctypes.CDLL(None, use_errno=True)
    shmid = libc.shmget(0, 4096, 0o1000 | 0o600)       # IPC_PRIVATE, IPC_CREAT
    assert shmid >= 0, os.strerror(ctypes.get_errno())
    yield shmid
    libc.shmctl(shmid, 0, None)                         # IPC_RMID


def test_inside_view(rootfs, jails, tmp_path, host_shm):
    name = jail_name()
    hostfile = tmp_path / "host-only"
    hostfile.write_text("x")
    j = jails(rootfs, *jail_args(rootfs, name, "inside.example"), name=name)
    info = get_json(j.port, f"/info?{hostfile}")
    assert info["hostname"] == "inside.example"
    assert rootfs.marker in info["root"], "/ is the rootfs"
    assert info["exists"] is False, "host files are invisible"
    assert info["comm1"] == "stockade-init", "PID 1 is the stub init"
    # only the jail's processes: init (1), master (2), one worker
    assert set(info["procs"]) == {"1", "2", str(info["pid"])}
    assert info["procs"]["2"] == os.path.basename(BIN)[:15], "the master keeps its name"
    assert info["ppid"] == 2
    assert info["status"]["NSpid"].split()[-1] == str(info["pid"])
    assert host_shm not in info["shm"], "a private IPC namespace"
    assert info["cwd"] == "/"
    assert jls_row(name)["hostname"] == "inside.example"
    assert j.proc.poll() is None


def test_jailed_root_is_restricted(rootfs, jails):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), name=name)
    st = get_json(j.port, "/info")["status"]
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"
    for cap in (CAP_SYS_ADMIN, CAP_NET_RAW, CAP_MKNOD, CAP_SYS_PTRACE, CAP_NET_ADMIN):
        assert not has_cap(st["CapEff"], cap), cap
        assert not has_cap(st["CapBnd"], cap), cap
    assert has_cap(st["CapEff"], CAP_SETUID), "jail root keeps what the uid drop needs"
    denied = get_json(j.port, "/privileged")
    for op in ("mount", "mknod", "raw_socket", "sethostname", "unshare_uts"):
        assert denied[op] != "ok", (op, denied)
    assert denied["mount"] == "Operation not permitted"
    assert denied["sethostname"] == "Operation not permitted"


def test_uid_drop_happens_inside(rootfs, jails):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), "--uid", "nobody", "--gid", "nogroup", name=name)
    info = get_json(j.port, "/info")
    assert info["uid"] == 65534
    assert int(info["status"]["CapEff"], 16) == 0
    assert info["status"]["NoNewPrivs"] == "1"


def test_sysvipc_inherit_shares_the_host_segments(rootfs, jails, host_shm):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), "--jail2", "allow.sysvipc", name=name)
    assert host_shm in get_json(j.port, "/info")["shm"]


def test_host_inherit_keeps_the_host_name(rootfs, jails):
    name = jail_name()
    j = jails(rootfs, "--jail2", f"path={rootfs.path}", "--jail2", f"name={name}", "--jail2", "host=inherit",
              name=name)
    assert get_json(j.port, "/info")["hostname"] == os.uname().nodename


def test_clone_fallback_without_clone3(rootfs, jails):
    """clone() + cgroup.procs while the child waits, when clone3 is missing."""
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name, "fallback"), name=name, env={"STOCKADE_NO_CLONE3": "1"})
    info = get_json(j.port, "/info")
    assert info["hostname"] == "fallback" and info["comm1"] == "stockade-init"
    cg = jail_cgroup(name)
    if cg is not None:
        init = jls_row(name)["pid"]
        assert str(init) in (cg / "cgroup.procs").read_text().split()
        with open(f"/proc/{init}/cgroup") as f:
            assert f.read().strip().endswith(f"/stockade/{name}")


# ---- lifetime ----------------------------------------------------------------------------


def test_jail_dies_with_its_last_process(rootfs, jails, tmp_path):
    name = jail_name()
    jidfile = tmp_path / "jid"
    j = jails(rootfs, *jail_args(rootfs, name), "--jidfile", str(jidfile), name=name)
    row = jls_row(name)
    assert row is not None and row["path"] == str(rootfs.path)
    assert jidfile.read_text() == f"{row['jid']}\n"
    cg = jail_cgroup(name)
    if cg is not None:
        assert cg.is_dir()
    log = j.stop()
    assert j.proc.returncode == 0, log
    assert "goodbye to stockade." in log
    assert wait_gone(row["pid"])
    assert_no_trace(name, jidfile)


def test_exit_status_of_the_master_is_the_monitors(rootfs, tmp_path):
    """A master failing inside (no app): the monitor exits with its status."""
    name = jail_name()
    r = run(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", "/app/missing.py",
             *jail_args(rootfs, name)], rootfs=rootfs)
    assert r.returncode == 22, r.stderr
    assert "no app loaded" in r.stderr
    assert_no_trace(name)


def test_persist_keeps_the_jail_until_removed(rootfs, jails, tmp_path):
    name = jail_name()
    jidfile = tmp_path / "jid"
    j = jails(rootfs, *jail_args(rootfs, name, "keeper"), "--jail2", "persist", "--jidfile", str(jidfile),
              name=name)
    row = jls_row(name)
    log = j.stop()
    assert j.proc.returncode == 0, log
    assert "persists without its master" in log
    # the jail outlives the instance: init still there, registry, cgroup, jidfile
    assert pid_alive(row["pid"])
    now = jls_row(name)   # one read: the age may tick between two
    assert now == {**row, "age_seconds": now["age_seconds"]}
    assert jidfile.read_text() == f"{row['jid']}\n"
    cg = jail_cgroup(name)
    if cg is not None:
        assert str(row["pid"]) in (cg / "cgroup.procs").read_text().split()
    r = run(["--jail-remove", name])
    assert r.returncode == 0, r.stderr
    assert f"jail {row['jid']} ({name}) removed" in r.stderr
    assert wait_gone(row["pid"])
    assert_no_trace(name, jidfile)


def test_jail_remove_by_jid_kills_a_running_jail(rootfs, jails):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), name=name)
    row = jls_row(name)
    r = run(["--jail-remove", str(row["jid"])])
    assert r.returncode == 0, r.stderr
    j.proc.wait(timeout=10)
    assert j.proc.returncode == 128 + signal.SIGKILL
    assert wait_gone(row["pid"])
    assert_no_trace(name)


def test_jail_remove_unknown():
    r = run(["--jail-remove", "no-such-jail-here"])
    assert r.returncode == 1
    assert r.stderr.strip() == "jail-remove: jail 'no-such-jail-here' not found"
    r = run(["--jail-remove", "999998"])
    assert r.returncode == 1
    assert "jail 999998 not found" in r.stderr


def test_jls_lists_running_jails(rootfs, jails):
    a, b = jail_name(), jail_name()
    jails(rootfs, *jail_args(rootfs, a, "alpha.example"), name=a)
    jails(rootfs, "--jail", f"{rootfs.path} beta.example {b}", "--jail2", "jid=4242", name=b)
    rows = {r["name"]: r for r in jls()}
    assert rows[a]["hostname"] == "alpha.example" and rows[a]["path"] == str(rootfs.path)
    assert rows[b]["jid"] == 4242 and rows[b]["hostname"] == "beta.example"
    assert rows[a]["jid"] != 4242
    for r in (rows[a], rows[b]):
        assert pid_alive(r["pid"])
        with open(f"/proc/{r['pid']}/comm") as f:
            assert f.read().strip() == "stockade-init"
    jids = [r["jid"] for r in jls()]
    assert jids == sorted(jids)


def test_duplicate_name_is_refused(rootfs, jails):
    name = jail_name()
    jails(rootfs, *jail_args(rootfs, name), name=name)
    row = jls_row(name)
    r = run(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", rootfs.app, *jail_args(rootfs, name)],
            rootfs=rootfs)
    assert r.returncode == 1
    assert f"jail name '{name}' is already in use (jid {row['jid']})" in r.stderr
    now = jls_row(name)   # one read: the age may tick between two
    assert now == {**row, "age_seconds": now["age_seconds"]}, "the first jail is untouched"


def test_duplicate_jid_is_refused(rootfs, jails):
    name = jail_name()
    jails(rootfs, *jail_args(rootfs, name), "--jail2", "jid=4243", name=name)
    other = jail_name()
    r = run(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", rootfs.app,
             *jail_args(rootfs, other), "--jail2", "jid=4243"], rootfs=rootfs)
    assert r.returncode == 1
    assert f"jid 4243 is already in use (jail '{name}')" in r.stderr
    assert_no_trace(other)


def test_unnamed_jail_is_named_after_its_jid(rootfs, jails):
    j = jails(rootfs, "--jail", f"{rootfs.path} anon")
    row = next(r for r in jls() if r["hostname"] == "anon" and r["path"] == str(rootfs.path))
    assert row["name"] == str(row["jid"])
    j.name = row["name"]
    assert get_json(j.port, "/info")["hostname"] == "anon"


def test_reload_keeps_the_jail(rootfs, jails):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), name=name)
    before = jls_row(name)
    first = get_json(j.port, "/info")
    assert first["reloads"] == "0"
    j.proc.send_signal(signal.SIGHUP)       # to the monitor: forwarded to the master
    info = wait_for(lambda: _try_json(j.port, lambda i: i["reloads"] == "1"))
    assert info["ppid"] == 2, "the master re-executed in place, still PID 2"
    assert info["hostname"] == "jailhost" and info["comm1"] == "stockade-init"
    after = jls_row(name)
    assert (after["jid"], after["pid"]) == (before["jid"], before["pid"])
    assert "running in jail" not in j.log().split("reload 1 of")[-1], "no second jail"
    assert j.proc.poll() is None


def _try_json(port, pred):
    try:
        info = get_json(port, "/info", timeout=2)
    except (OSError, ValueError):
        return None
    return info if pred(info) else None


def test_signals_are_forwarded(rootfs, jails):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), name=name)
    j.proc.send_signal(signal.SIGINT)
    assert j.proc.wait(timeout=15) == 0
    assert "SIGINT/SIGTERM received" in j.log()
    assert_no_trace(name)


def test_monitor_killed_takes_the_jail_down(rootfs, jails):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), name=name)
    row = jls_row(name)
    j.proc.kill()
    j.proc.wait()
    assert wait_gone(row["pid"]), "init dies with its monitor (not persist)"
    assert jls_row(name) is None, "the stale entry is collected"


# ---- attach ------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["name", "jid"])
def test_attach_joins_a_running_jail(rootfs, jails, by):
    name = jail_name()
    host = jails(rootfs, *jail_args(rootfs, name, "attached.example"), "--jail2", "persist", name=name)
    row = jls_row(name)
    host_info = get_json(host.port, "/info")
    port = free_port()
    target = name if by == "name" else str(row["jid"])
    a = Jailed(["--jail-attach", target, "--http-socket", f"127.0.0.1:{port}", "--wsgi-file", rootfs.app,
                "--master", "--processes", "1"], port=port)
    try:
        info = get_json(port, "/info")
        assert info["hostname"] == "attached.example"
        assert rootfs.marker in info["root"]
        assert info["comm1"] == "stockade-init"
        assert info["status"]["NSpid"].split()[-1] == str(info["pid"])
        assert host_info["pid"] != info["pid"] and str(host_info["pid"]) in info["procs"], "one PID namespace"
        assert info["status"]["NoNewPrivs"] == "1"
        assert info["status"]["CapBnd"] == host_info["status"]["CapBnd"], "the jail's privileges re-applied"
        assert info["status"]["CapEff"] == host_info["status"]["CapEff"]
        cg = jail_cgroup(name)
        if cg is not None:
            assert str(a.proc.pid) not in (cg / "cgroup.procs").read_text().split(), \
                "the attach monitor left the jail's cgroup"
        assert f"attaching to jail {target}" in a.log()
        assert f"--- running in jail {row['jid']} {name} ---" in a.log()
    finally:
        log = a.stop()
    assert a.proc.returncode == 0, log
    assert jls_row(name)["pid"] == row["pid"], "the jail is still there"


def test_attach_keeps_a_nonpersistent_jail_alive(rootfs, jails):
    name = jail_name()
    host = jails(rootfs, *jail_args(rootfs, name), name=name)
    row = jls_row(name)
    port = free_port()
    a = Jailed(["--jail-attach", name, "--http-socket", f"127.0.0.1:{port}", "--wsgi-file", rootfs.app,
                "--master", "--processes", "1"], port=port)
    try:
        host.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: "goodbye to stockade." in host.log())
        time.sleep(0.3)
        assert host.proc.poll() is None, "the monitor waits for the jail"
        assert pid_alive(row["pid"]), "init waits for the attached process"
        assert get_json(port, "/info")["comm1"] == "stockade-init"
    finally:
        a.stop()
    assert host.proc.wait(timeout=15) == 0
    assert wait_gone(row["pid"])
    assert_no_trace(name)


def test_attach_unknown_jail():
    r = run(["--jail-attach", "no-such-jail-x", "--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file",
             "/nonexistent.py"])
    assert r.returncode == 1
    assert "jail-attach: jail 'no-such-jail-x' not found" in r.stderr


# ---- errors leave nothing behind ---------------------------------------------------------


def mountinfo():
    with open("/proc/self/mountinfo") as f:
        return f.read()


def test_missing_rootfs(tmp_path):
    name = jail_name()
    before = mountinfo()
    r = run(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", "/x.py",
             "--jail", f"{tmp_path}/nonexistent host {name}"])
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == f"jail: rootfs {tmp_path}/nonexistent: No such file or directory"
    assert mountinfo() == before
    assert_no_trace(name)


def test_rootfs_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("")
    r = run(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", "/x.py", "--jail", str(f)])
    assert r.returncode == 1
    assert f"jail: rootfs {f}: Not a directory" in r.stderr


@pytest.mark.parametrize("param,message", [
    ("osrelease=13.2-RELEASE", "jail2: 'osrelease' has no Linux equivalent"),
    ("allow.quotas", "jail2: 'allow.quotas' has no Linux equivalent"),
    ("linux=new", "jail2: 'linux' has no Linux equivalent"),
    ("allow.mount", "jail2: 'allow.mount' needs a user namespace (not supported yet)"),
    ("allow.mount.tmpfs=1", "jail2: 'allow.mount.tmpfs' needs a user namespace (not supported yet)"),
    ("allow.set_hostname=1", "jail2: 'allow.set_hostname' needs a user namespace (not supported yet)"),
])
def test_refused_parameters(tmp_path, param, message):
    name = jail_name()
    ini = tmp_path / "j.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = /x.py\n"
                   f"jail2 = path={tmp_path}\njail2 = name={name}\njail2 = {param}\n")
    before = mountinfo()
    r = run(["--ini", str(ini)])
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == f"{ini}:6: {message}"
    assert mountinfo() == before
    assert_no_trace(name)


@pytest.mark.parametrize("param", ["allow.extattr=0", "allow.quotas=0", "noallow.nfsd", "allow.set_hostname=0",
                                   "allow.mount=0"])
def test_zero_of_a_missing_privilege_is_accepted(rootfs, jails, param):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), "--jail2", param, name=name)
    assert get_json(j.port, "/info")["comm1"] == "stockade-init"


def test_sysv_modes_cannot_be_mixed(tmp_path):
    ini = tmp_path / "j.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = /x.py\n"
                   f"jail2 = path={tmp_path}\njail2 = sysvshm=inherit\njail2 = sysvsem=new\n")
    r = run(["--ini", str(ini)])
    assert r.returncode == 1
    assert f"{ini}:5: jail2: sysvmsg/sysvsem/sysvshm mix 'new' and 'inherit'" in r.stderr


def test_warnings_for_approximations(rootfs, jails):
    name = jail_name()
    j = jails(rootfs, *jail_args(rootfs, name), "--jail2", "enforce_statfs=0", "--jail2", "devfs_ruleset=0",
              name=name)
    log = j.log()
    assert "enforce_statfs=0 is not possible in a mount namespace" in log
    assert "devfs_ruleset=0: a Linux jail always gets the minimal /dev of ruleset 4" in log


def test_failing_post_jail_hook_leaves_nothing(rootfs, tmp_path):
    name = jail_name()
    jidfile = tmp_path / "jid"
    mi = tmp_path / "mi"
    mi.mkdir()
    r = run(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", rootfs.app,
             *jail_args(rootfs, name), "--jidfile", str(jidfile), "--exec-post-jail", "exit 3"],
            rootfs=rootfs, mountinfo_dir=mi)
    assert r.returncode == 1, r.stderr
    assert "exited with status 3" in r.stderr
    assert (mi / "before").read_text() == (mi / "after").read_text(), "no mount in the launcher's namespace"
    assert_no_trace(name, jidfile)


def test_post_jail_hooks_run_inside_as_restricted_root(rootfs, tmp_path):
    name = jail_name()
    r = run(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", rootfs.app, *jail_args(rootfs, name),
             "--exec-post-jail", "hostname > /out/host; cat /proc/1/comm > /out/init; "
             "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status > /out/status; exit 4"], rootfs=rootfs)
    assert r.returncode == 1
    out = rootfs.path / "out"
    assert (out / "host").read_text() == "jailhost\n"
    assert (out / "init").read_text() == "stockade-init\n"
    status = dict(line.split(":\t") for line in (out / "status").read_text().splitlines())
    assert status["NoNewPrivs"] == "1"
    assert not has_cap(status["CapEff"], CAP_SYS_ADMIN)
    assert_no_trace(name)


def test_failure_inside_before_ready_is_reported_once(tmp_path):
    """A rootfs whose /proc is a symlink: init refuses it; the monitor prints
    the reason and removes the jail."""
    root = tmp_path / "bad"
    root.mkdir()
    os.symlink("/etc", root / "proc")
    name = jail_name()
    before = mountinfo()
    r = run(["--http-socket", f"127.0.0.1:{free_port()}", "--wsgi-file", "/x.py",
             "--jail", f"{root} h {name}"])
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == f"jail: rootfs {root}: /proc: Too many levels of symbolic links"
    assert mountinfo() == before
    assert_no_trace(name)
