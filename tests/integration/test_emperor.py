# SPDX-License-Identifier: MIT
"""The Emperor (issue 9): vassal files in a directory or glob, spawned as
`stockade --ini <file>` with the one-byte protocol on UWSGI_EMPEROR_FD;
reload on change, stop on removal, respawn, throttling and blacklist,
exile, tyrant mode, stats, signals, hooks, and many vassals at once."""
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import APPS, BIN, Instance, free_port, get_json, pid_alive, read_stats, wait_for

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
PROBE = str(APPS / "probe.py")
STAMP = re.compile(r"^\w{3} \w{3} [ \d]\d (\d\d):(\d\d):(\d\d)\.(\d{3}) \d{4} - ")


# ---- helpers -------------------------------------------------------------------------


def osenv(port, host="127.0.0.1"):
    return get_json(port, "/osenv", timeout=5, host=host)


def port_closed(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return False
    except OSError:
        return True


def vassal_ini(port, *extra, app=PROBE, processes=1):
    lines = ["[uwsgi]", f"http-socket = 127.0.0.1:{port}", f"wsgi-file = {app}",
             f"processes = {processes}", *extra]
    return "\n".join(lines) + "\n"


def spawn_times(log, name):
    """Seconds-of-day of each '[emperor] spawned vassal <name>' line."""
    out = []
    for line in log.splitlines():
        if f"[emperor] spawned vassal {name} " in line:
            m = STAMP.match(line)
            assert m, line
            h, mi, s, ms = (int(x) for x in m.groups())
            out.append(h * 3600 + mi * 60 + s + ms / 1000)
    return out


def bump(path, text=None):
    """Changes a vassal file (content and mtime)."""
    text = path.read_text() if text is None else text
    path.write_text(text + f"# changed {time.monotonic()}\n")


def respawned(e, name, port, old_master):
    """The vassal answers from a new master. The old master's orphaned
    workers may still answer for a moment, and a first respawn may find the
    port still held by them (bind fails, the vassal is respawned again)."""
    v = e.vassal(name)
    j = osenv(port)
    return j if v and v["pid"] not in (0, old_master) and j["ppid"] == v["pid"] else None


class Emperor(Instance):
    """A running Emperor (its log as conftest's Instance keeps it)."""

    def __init__(self, vassals, *args, freq=None):
        self.stats_port = free_port()
        argv = ["--emperor", str(vassals), "--emperor-stats", f"127.0.0.1:{self.stats_port}", *args]
        if freq:
            argv += ["--emperor-freq", str(freq)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
        self._start([BIN, *argv], env, None, False)
        wait_for(lambda: not port_closed(self.stats_port), what="emperor stats socket")

    def stats(self):
        return read_stats(self.stats_port)

    def vassal(self, name):
        for v in self.stats()["vassals"]:
            if v["id"] == name:
                return v
        return None

    def wait_log(self, text, timeout=20.0, count=1):
        return wait_for(lambda: self.log().count(text) >= count, timeout, what=f"log line {text!r}")

    def stop(self, sig=signal.SIGTERM, timeout=40):
        return super().stop(sig, timeout)


@pytest.fixture
def emperors():
    started = []

    def start(vassals, *args, **kw):
        e = Emperor(vassals, *args, **kw)
        started.append(e)
        return e

    yield start
    for e in started:
        log = e.stop()
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            assert bad not in log, log


@pytest.fixture
def vdir(tmp_path):
    d = tmp_path / "vassals"
    d.mkdir()
    return d


# ---- spawn, reload, stop -----------------------------------------------------------------


def test_spawn_reload_stop(vdir, emperors):
    port = free_port()
    f = vdir / "app.ini"
    f.write_text(vassal_ini(port, processes=2))
    e = emperors(vdir, freq=60)     # a long rescan period: changes are noticed by notification
    first = wait_for(lambda: osenv(port), what="vassal answering")
    assert first["reloads"] == "0"
    master = first["ppid"]
    workers = {first["pid"]}
    v = e.vassal("app.ini")
    assert v["pid"] == master and v["monitor"] == str(vdir)
    wait_for(lambda: e.vassal("app.ini")["ready"] == 1)

    bump(f)
    # the rescan period is 60 s: seeing the change well before it proves the
    # notification (a wait with a deadline, not a timing measurement)
    e.wait_log("[emperor] reload the uwsgi instance app.ini", timeout=30)
    after = wait_for(lambda: (lambda j: j if j["reloads"] == "1" else None)(osenv(port)), what="reloaded vassal")
    assert after["ppid"] == master, "a reload re-execs the same master"
    assert after["pid"] not in workers, "with new workers"
    assert e.vassal("app.ini")["respawns"] == 1
    assert "received message 1 from emperor" in e.log()

    f.unlink()
    e.wait_log("[emperor] stop the uwsgi instance app.ini", timeout=30)
    wait_for(lambda: not pid_alive(master), what="vassal gone")
    assert port_closed(port)
    assert "received message 0 from emperor" in e.log()
    # logged once the Emperor has reaped it, which may follow the exit
    e.wait_log("[emperor] removed uwsgi instance app.ini")
    wait_for(lambda: e.stats()["vassals"] == [])


def test_new_file_noticed_quickly(vdir, emperors):
    e = emperors(vdir, freq=60)
    wait_for(lambda: e.stats() is not None, what="the Emperor's loop")   # watching by now
    port = free_port()
    (vdir / "late.ini").write_text(vassal_ini(port))
    # the rescan period is 60 s: a spawn well before it comes from inotify
    # (a wait with a deadline, not a timing measurement)
    e.wait_log("[emperor] spawned vassal late.ini", timeout=30)
    wait_for(lambda: osenv(port))


def test_rescan_finds_what_notification_missed(tmp_path, emperors):
    """A glob whose directory part has a wildcard is not watched: the
    periodic rescan (emperor-freq) finds its files."""
    (tmp_path / "a").mkdir()
    port = free_port()
    e = emperors(f"{tmp_path}/*/*.ini", freq=1)
    (tmp_path / "a" / "x.ini").write_text(vassal_ini(port))
    wait_for(lambda: osenv(port), timeout=10)
    wait_for(lambda: e.vassal(f"{tmp_path}/a/x.ini")["status"] == "running", timeout=10, what="running")


def test_glob_monitor_and_json_vassals(tmp_path, emperors):
    d = tmp_path / "g"
    d.mkdir()
    p1, p2 = free_port(), free_port()
    (d / "one.ini").write_text(vassal_ini(p1))
    (d / "two.json").write_text(json.dumps({"uwsgi": {"http-socket": f"127.0.0.1:{p2}", "wsgi-file": PROBE}}))
    (d / "ignored.txt").write_text("not a vassal\n")
    (d / ".hidden.ini").write_text(vassal_ini(free_port()))
    e = emperors(f"{d}/*")
    wait_for(lambda: osenv(p1) and osenv(p2))
    ids = sorted(v["id"] for v in e.stats()["vassals"])
    assert ids == [f"{d}/one.ini", f"{d}/two.json"]


def test_vassals_set_include_inherit(vdir, tmp_path, emperors):
    port = free_port()
    inc = tmp_path / "more.ini"
    inc.write_text("[uwsgi]\nprocesses = 3\n")
    (vdir / "bare.ini").write_text(f"[uwsgi]\nwsgi-file = {PROBE}\n")
    emperors(vdir, "--vassals-set", f"http-socket=127.0.0.1:{port}", "--vassals-include", str(inc))
    master = wait_for(lambda: osenv(port))["ppid"]
    with open(f"/proc/{master}/cmdline", "rb") as fh:
        argv = fh.read().split(b"\0")[:-1]
    assert argv[1:] == [b"--set", f"http-socket=127.0.0.1:{port}".encode(), b"--ini", str(vdir / "bare.ini").encode(),
                        b"--include", str(inc).encode()]

    def workers():
        with open(f"/proc/{master}/task/{master}/children") as fh:
            return len(fh.read().split())
    wait_for(lambda: workers() == 3, what="three workers")


# ---- crash loops, exile --------------------------------------------------------------------


def test_crash_loop_is_throttled_and_others_keep_running(vdir, emperors):
    good = free_port()
    (vdir / "good.ini").write_text(vassal_ini(good))
    (vdir / "bad.ini").write_text("[uwsgi]\nstrict = true\nbogus-option = 1\n")
    e = emperors(vdir, "--emperor-throttle", "200", "--emperor-max-throttle", "1500")
    wait_for(lambda: osenv(good))
    wait_for(lambda: len(spawn_times(e.log(), "bad.ini")) >= 6, timeout=30, what="six attempts")
    times = spawn_times(e.log(), "bad.ini")
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(g >= 0.18 for g in gaps), gaps
    assert gaps[-1] >= 2 * gaps[0], f"the throttle grows: {gaps}"
    log = e.log()
    assert "bad.ini:3: [strict] unknown config key 'bogus-option'" in log, "the vassal's own error"
    assert "[emperor] unloyal bad behaving vassal found: bad.ini throttling it..." in log
    assert "[emperor] vassal bad.ini is throttled: next spawn in" in log
    bl = {b["id"]: b for b in e.stats()["blacklist"]}
    assert "bad.ini" in bl and bl["bad.ini"]["attempt"] >= 2 and bl["bad.ini"]["throttle_level"] >= 200
    # the healthy vassal never noticed
    assert spawn_times(log, "good.ini") and len(spawn_times(log, "good.ini")) == 1
    assert osenv(good)["reloads"] == "0"
    # fixing the file lifts the blacklist at once
    port = free_port()
    (vdir / "bad.ini").write_text(vassal_ini(port))
    wait_for(lambda: osenv(port), timeout=10)


def test_loyal_vassal_leaves_blacklist(vdir, emperors):
    port = free_port()
    (vdir / "v.ini").write_text(vassal_ini(port))
    e = emperors(vdir)
    wait_for(lambda: osenv(port))
    wait_for(lambda: e.vassal("v.ini")["loyal"] == 1, what="loyalty")
    assert e.vassal("v.ini")["last_loyal"] > 0
    assert "[emperor] vassal v.ini is now loyal" in e.log()
    assert "announcing my loyalty to the Emperor..." in e.log()


def test_exile_is_not_respawned(vdir, emperors):
    f = vdir / "exile.ini"
    f.write_text("[uwsgi]\nexit = 26\n")
    e = emperors(vdir, "--emperor-throttle", "100")
    e.wait_log("is exiled (status 26)")
    time.sleep(1.5)
    assert len(spawn_times(e.log(), "exile.ini")) == 1
    assert e.vassal("exile.ini")["status"] == "idle"
    f.write_text("[uwsgi]\nexit = 26\n# touched\n")
    wait_for(lambda: len(spawn_times(e.log(), "exile.ini")) == 2, timeout=5, what="a changed file spawns again")


def test_unexpected_death_respawns(vdir, emperors):
    port = free_port()
    (vdir / "d.ini").write_text(vassal_ini(port))
    e = emperors(vdir, "--emperor-throttle", "100")
    master = wait_for(lambda: osenv(port))["ppid"]
    os.kill(master, signal.SIGKILL)
    e.wait_log("killed by signal 9, respawning")
    new = wait_for(lambda: respawned(e, "d.ini", port, master), what="new vassal answering")
    assert new["reloads"] == "0", "a new vassal, not a reload"
    assert e.vassal("d.ini")["respawns"] >= 1


def test_stuck_vassal_is_cursed(vdir, emperors):
    """A vassal that ignores the stop message is SIGKILLed after
    emperor-curse-tolerance."""
    port = free_port()
    f = vdir / "stuck.ini"
    # SIGSTOP-ped master: it cannot read the stop message
    f.write_text(vassal_ini(port))
    e = emperors(vdir, "--emperor-curse-tolerance", "1")
    master = wait_for(lambda: osenv(port))["ppid"]
    os.kill(master, signal.SIGSTOP)
    f.unlink()
    e.wait_log("[emperor] curse the uwsgi instance stuck.ini", timeout=10)
    wait_for(lambda: not pid_alive(master), what="cursed vassal killed")
    e.wait_log("[emperor] removed uwsgi instance stuck.ini")


# ---- the Emperor's end -----------------------------------------------------------------------


def test_emperor_sigkill_vassals_stop_by_themselves(vdir, emperors):
    ports = [free_port() for _ in range(3)]
    for i, p in enumerate(ports):
        (vdir / f"v{i}.ini").write_text(vassal_ini(p, processes=2))
    e = emperors(vdir)
    masters = [wait_for(lambda p=p: osenv(p))["ppid"] for p in ports]
    e.proc.kill()
    e.proc.wait()
    for m in masters:
        wait_for(lambda m=m: not pid_alive(m), timeout=15, what=f"vassal {m} gone")
    for p in ports:
        assert port_closed(p)
    log = e.log()
    assert log.count("lost connection with my emperor !!!") == 3


def test_signals(vdir, emperors):
    ports = [free_port(), free_port()]
    for i, p in enumerate(ports):
        (vdir / f"s{i}.ini").write_text(vassal_ini(p))
    e = emperors(vdir)
    masters = [wait_for(lambda p=p: osenv(p))["ppid"] for p in ports]
    e.proc.send_signal(signal.SIGHUP)
    for p in ports:
        wait_for(lambda p=p: osenv(p)["reloads"] == "1", what="SIGHUP reload")
    e.proc.send_signal(signal.SIGUSR1)
    e.wait_log("vassal instance s1.ini (last modified")
    e.proc.send_signal(signal.SIGTERM)
    assert e.proc.wait(timeout=30) == 0
    log = e.log()
    assert "[emperor] *** RAGNAROK EVOKED ***" in log
    assert "The Emperor is buried." in log
    for m in masters:
        assert not pid_alive(m)


def test_ragnarok_no_mercy(vdir, emperors):
    port = free_port()
    (vdir / "frozen.ini").write_text(vassal_ini(port))
    e = emperors(vdir, "--reload-mercy", "1")
    master = wait_for(lambda: osenv(port))["ppid"]
    os.kill(master, signal.SIGSTOP)
    e.proc.send_signal(signal.SIGTERM)
    assert e.proc.wait(timeout=20) == 0
    assert "[emperor] NO MERCY for vassal frozen.ini !!!" in e.log()
    wait_for(lambda: not pid_alive(master))


def test_stats_and_pidfile(vdir, tmp_path, emperors):
    port = free_port()
    pidfile = tmp_path / "emperor.pid"
    (vdir / "st.ini").write_text(vassal_ini(port))
    e = emperors(vdir, "--emperor-pidfile", str(pidfile))
    wait_for(lambda: osenv(port))
    wait_for(lambda: e.vassal("st.ini")["accepting"] == 1, what="accepting")
    s = e.stats()
    assert int(pidfile.read_text()) == e.proc.pid == s["pid"]
    for key in ("version", "pid", "uid", "gid", "cwd", "emperor", "emperor_tyrant", "throttle_level",
                "vassals", "blacklist"):
        assert key in s, key
    assert s["emperor"] == [str(vdir)]
    v = s["vassals"][0]
    for key in ("id", "pid", "born", "last_mod", "loyal", "ready", "accepting", "respawns", "jid", "jail",
                "cursed", "last_heartbeat", "first_run", "last_run", "uid", "gid", "monitor"):
        assert key in v, key
    assert v["ready"] == 1 and v["accepting"] == 1 and v["cursed"] == 0
    assert v["jid"] == 0 and v["jail"] == ""
    assert v["last_mod"] == int(os.stat(vdir / "st.ini").st_mtime)


def test_heartbeat(vdir, emperors):
    port = free_port()
    (vdir / "hb.ini").write_text(vassal_ini(port, "heartbeat = 1"))
    e = emperors(vdir, "--emperor-required-heartbeat", "2", freq=1)
    master = wait_for(lambda: osenv(port))["ppid"]
    wait_for(lambda: e.vassal("hb.ini")["last_heartbeat"] > 0, what="heartbeat")
    os.kill(master, signal.SIGSTOP)
    e.wait_log("[emperor] vassal hb.ini sent no heartbeat in last 2 seconds, brutally respawning it...")
    wait_for(lambda: respawned(e, "hb.ini", port, master), what="new vassal answering")


def test_hooks(vdir, tmp_path, emperors):
    out = tmp_path / "hooks.out"
    port = free_port()
    f = vdir / "h.ini"
    f.write_text(vassal_ini(port, f"exec-emperor-reload = echo vassal-reload >> {out}",
                            f"exec-emperor-stop = echo vassal-stop >> {out}"))
    e = emperors(vdir, "--exec-emperor-start", f"echo emperor-start >> {out}",
                 "--exec-as-vassal", f"echo as-vassal >> {out}",
                 "--exec-as-emperor", f'echo "as-emperor $UWSGI_VASSAL_CONFIG $UWSGI_VASSAL_PID" >> {out}')
    master = wait_for(lambda: osenv(port))["ppid"]
    bump(f)
    wait_for(lambda: osenv(port)["reloads"] == "1")
    f.unlink()
    wait_for(lambda: not pid_alive(master))
    lines = out.read_text().splitlines()
    # as-vassal (the child) and as-emperor (the parent) run concurrently
    assert lines[0] == "emperor-start" and lines[3:] == ["vassal-reload", "vassal-stop"], lines
    assert sorted(lines[1:3]) == sorted(["as-vassal", f"as-emperor h.ini {master}"]), lines


def test_emperor_lost_hook(vdir, tmp_path, emperors):
    out = tmp_path / "lost.out"
    port = free_port()
    (vdir / "l.ini").write_text(vassal_ini(port, f"exec-emperor-lost = echo lost >> {out}"))
    e = emperors(vdir)
    master = wait_for(lambda: osenv(port))["ppid"]
    e.proc.kill()
    wait_for(lambda: not pid_alive(master))
    assert out.read_text() == "lost\n"


def test_bad_monitor_refused(tmp_path):
    r = subprocess.run([BIN, "--emperor", "mongodb://x"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1
    assert "unknown imperial monitor 'mongodb'" in r.stderr
    r = subprocess.run([BIN, "--emperor", f"{tmp_path}/nonexistent/"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "not a directory" in r.stderr


# ---- tyrant ----------------------------------------------------------------------------------


@pytest.fixture
def public_dir():
    """A vassal directory other users can enter (tmp_path is root-only)."""
    d = tempfile.mkdtemp(prefix="stockade-emperor-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def status_ids(pid):
    with open(f"/proc/{pid}/status") as f:
        return {k: v.split() for k, _, v in (line.partition(":") for line in f)}


@root_only
def test_tyrant_runs_vassal_as_file_owner(public_dir, emperors):
    nobody = pwd.getpwnam("nobody")
    port = free_port()
    f = os.path.join(public_dir, "t.ini")
    with open(f, "w") as fh:
        fh.write(vassal_ini(port))
    os.chown(f, nobody.pw_uid, nobody.pw_gid)
    rootfile = os.path.join(public_dir, "root.ini")
    with open(rootfile, "w") as fh:
        fh.write(vassal_ini(free_port()))
    e = emperors(public_dir, "--emperor-tyrant")
    j = wait_for(lambda: osenv(port))
    for pid in (j["pid"], j["ppid"]):
        st = status_ids(pid)
        assert st["Uid"] == [str(nobody.pw_uid)] * 4
        assert st["Gid"] == [str(nobody.pw_gid)] * 4
    e.wait_log("[emperor-tyrant] invalid permissions for vassal root.ini")
    v = e.vassal("t.ini")
    assert (v["uid"], v["gid"]) == (nobody.pw_uid, nobody.pw_gid)
    assert e.stats()["emperor_tyrant"] == 1
    # an owner change stops the vassal and starts it again as the new owner
    os.chown(f, 0, 0)
    e.wait_log("!!! permissions of file t.ini changed. stopping the instance... !!!")
    e.wait_log("[emperor-tyrant] invalid permissions for vassal t.ini", count=1)
    wait_for(lambda: port_closed(port))


@root_only
@pytest.mark.parametrize("line,message", [
    ("exec-as-root = true", "as-root hooks are not allowed in a tyrant vassal"),
    ("uid = 0", "uid '0' is not the owner of the vassal file"),
    ("pidfile = /etc/evil.pid", "option 'pidfile' is not allowed in a tyrant vassal"),
    ("jail-remove = somebody", "option 'jail-remove' is not allowed in a tyrant vassal"),
])
def test_tyrant_jail_policy(public_dir, emperors, line, message):
    nobody = pwd.getpwnam("nobody")
    f = os.path.join(public_dir, "p.ini")
    with open(f, "w") as fh:
        fh.write(vassal_ini(free_port(), line))
    os.chown(f, nobody.pw_uid, nobody.pw_gid)
    e = emperors(public_dir, "--emperor-tyrant", "--emperor-tyrant-jail")
    e.wait_log(f"[emperor-tyrant] {message}")


@root_only
def test_tyrant_jail_reads_config_as_owner(public_dir, emperors, tmp_path):
    """The vassal starts as root but reads its files as their owner."""
    nobody = pwd.getpwnam("nobody")
    secret = tmp_path / "secret"          # tmp_path: root only
    secret.write_text("x = 1\n")
    f = os.path.join(public_dir, "r.ini")
    with open(f, "w") as fh:
        fh.write(vassal_ini(free_port(), f"include = {secret}.ini"))
    os.rename(secret, f"{secret}.ini")
    os.chown(f, nobody.pw_uid, nobody.pw_gid)
    e = emperors(public_dir, "--emperor-tyrant", "--emperor-tyrant-jail")
    e.wait_log("Permission denied")
    e.wait_log("exited with status 1")   # logged once the Emperor reaps it, after the error line


@root_only
def test_tyrant_jail_unjailed_vassal_drops_to_owner(public_dir, emperors):
    nobody = pwd.getpwnam("nobody")
    port = free_port()
    f = os.path.join(public_dir, "u.ini")
    with open(f, "w") as fh:
        fh.write(vassal_ini(port, "uid = nobody"))
    os.chown(f, nobody.pw_uid, nobody.pw_gid)
    emperors(public_dir, "--emperor-tyrant", "--emperor-tyrant-jail")
    j = wait_for(lambda: osenv(port))
    for pid in (j["pid"], j["ppid"]):
        assert status_ids(pid)["Uid"] == [str(nobody.pw_uid)] * 4
        assert status_ids(pid)["Groups"] == []


# ---- many vassals ------------------------------------------------------------------------------


def test_fifty_vassals(vdir, emperors):
    ports = [free_port() for _ in range(50)]
    for i, p in enumerate(ports):
        (vdir / f"v{i:02d}.ini").write_text(vassal_ini(p))
    t0 = time.monotonic()
    e = emperors(vdir)
    for p in ports:
        wait_for(lambda p=p: osenv(p), timeout=60, what=f"vassal on {p}")
    elapsed = time.monotonic() - t0
    # a vassal serves before the Emperor has read its "ready" byte: wait for that too
    s = wait_for(lambda: (d := e.stats()) and len(d["vassals"]) == 50
                 and all(v["status"] == "running" for v in d["vassals"]) and d,
                 timeout=30, what="50 vassals running in the stats")
    assert len({v["pid"] for v in s["vassals"]}) == 50
    assert elapsed < 60
    e.proc.send_signal(signal.SIGTERM)
    assert e.proc.wait(timeout=60) == 0
    for p in ports:
        assert port_closed(p)


def jails_supported():
    if os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists("/proc/self/ns/pid"):
        return False
    r = subprocess.run([BIN, "--jls"], capture_output=True, text=True, timeout=10)
    return r.returncode == 0


@pytest.mark.skipif(not jails_supported(), reason="needs root and a working jail backend (--jls)")
def test_fifty_jailed_vassals(tmp_path):
    """Each vassal in its own jail: own hostname, own address (127.0.5.N),
    all answering; stats name the jails; stopping the Emperor removes them."""
    from jailfs import Jailed, Rootfs, jail_name, jls_row, registry, run

    rootfs = Rootfs(tmp_path)
    vdir = tmp_path / "vassals"
    vdir.mkdir()
    rootfs.binds.append(str(vdir))      # a reload re-reads the vassal file inside the jail
    tag = jail_name()[3:9]
    names = {}
    for i in range(1, 51):
        name = f"em{tag}{i}"
        names[i] = name
        (vdir / f"j{i:02d}.ini").write_text("\n".join([
            "[uwsgi]", f"jail = {rootfs.path} host{i}.example {name}", f"jail-ip4 = 127.0.5.{i}",
            f"http-socket = 127.0.5.{i}:8000", f"wsgi-file = {rootfs.app}", ""]))
    stats_port = free_port()
    em = Jailed(["--emperor", str(vdir), "--emperor-stats", f"127.0.0.1:{stats_port}"], rootfs=rootfs)
    try:
        for i in range(1, 51):
            info = wait_for(lambda i=i: get_json(8000, "/info", timeout=5, host=f"127.0.5.{i}"), timeout=90,
                            what=f"jailed vassal {i}")
            assert info["hostname"] == f"host{i}.example"
            assert info["comm1"] == "stockade-init"
        s = wait_for(lambda: read_stats(stats_port), timeout=10)
        by_id = {v["id"]: v for v in s["vassals"]}
        for i in range(1, 51):
            v = by_id[f"j{i:02d}.ini"]
            assert v["jail"] == names[i] and v["jid"] > 0, v
        assert jls_row(names[7])["hostname"] == "host7.example"
        # a reload keeps the jail
        jid7 = by_id["j07.ini"]["jid"]
        bump(vdir / "j07.ini")
        wait_for(lambda: get_json(8000, "/info", timeout=5, host="127.0.5.7")["reloads"] == "1", timeout=30)
        assert jls_row(names[7])["jid"] == jid7
        # a stop destroys it
        (vdir / "j08.ini").unlink()
        wait_for(lambda: jls_row(names[8]) is None, timeout=30, what="jail 8 removed")
        assert not registry(names[8]).exists()
    finally:
        em.stop(timeout=90)
        for name in names.values():
            if registry(name).exists():
                run(["--jail-remove", name])
    for name in names.values():
        assert not registry(name).exists(), name
