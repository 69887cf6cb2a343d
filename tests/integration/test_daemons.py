# SPDX-License-Identifier: MIT
"""External processes the master supervises (issue 19): attach-daemon and its
variants (restart after a kill, stop and reload signals to the process group,
smart daemons that survive a reload, control daemons), cron jobs (uWSGI's -N
fields through the test-only cron clock STOCKADE_TEST_CRON_MINUTE_MS, unique-cron
never overlapping), both inside a Linux jail; and the instance whose only
service is a forkpty router or a daemon, which runs with no socket and no app."""
import os
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import BIN, free_port, get, pid_alive, run_stockade, wait_for

FAST_CRON = {"STOCKADE_TEST_CRON_MINUTE_MS": "200"}


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def lines(path):
    return read(path).split()


def ini(work, text, name="t.ini"):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("[uwsgi]\n" + text)
    return path


# ---- no socket -------------------------------------------------------------------------------


def raw_shell(path, cmd, tag):
    """One command through a raw forkpty router; its output between tags."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    try:
        s.sendall(f"echo \"<$(printf {tag})>\"; {cmd}; echo \"</$(printf {tag})>\"; exit\n".encode())
        buf = b""
        rx = re.compile(rb"<%s>\r?\n(.*?)</%s>" % (tag.encode(), tag.encode()), re.S)
        deadline = time.monotonic() + 10
        while not rx.search(buf):
            assert time.monotonic() < deadline, buf
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        m = rx.search(buf)
        assert m, buf
        return m.group(1).decode().replace("\r", "")
    finally:
        s.close()


def test_forkpty_router_alone_runs_without_socket_or_app(work, instances):
    sock = os.path.join(work, "pty.sock")
    inst = instances("--master", "--forkpty-router", sock)
    wait_for(lambda: "forkpty router ready" in inst.log(), what="router ready")
    assert raw_shell(sock, "echo hello-$((6*7))", "A").strip() == "hello-42"
    log = inst.stop()
    assert inst.proc.returncode == 0, log
    assert "spawned worker" not in log and "no app" not in log, log


def test_no_service_at_all_is_still_refused():
    res = run_stockade("--master")
    assert res.returncode != 0
    assert "socket option is missing" in res.stderr


def test_daemon_alone_runs_without_socket(work, instances):
    out = os.path.join(work, "out")
    inst = instances("--attach-daemon", f"echo $$ > {out}; exec sleep 600")
    wait_for(lambda: lines(out), what="daemon ran")
    log = inst.stop()
    assert inst.proc.returncode == 0, log


# ---- attach-daemon ---------------------------------------------------------------------------


def test_killed_daemon_is_restarted_and_stop_signals_its_group(work, instances):
    pids = os.path.join(work, "pids")
    got = os.path.join(work, "got")
    child = os.path.join(work, "child")
    # the shell traps the stop signal; its child (a sleep) is in the same group
    cmd = (f"echo $$ >> {pids}; trap 'echo term >> {got}; exit 0' TERM; "
           f"sleep 600 & echo $! >> {child}; wait")
    inst = instances("--master", "--attach-daemon", cmd)
    wait_for(lambda: len(lines(pids)) == 1 and lines(child), what="daemon started")
    first = int(lines(pids)[0])
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: len(lines(pids)) == 2, what="daemon respawned")
    second = int(lines(pids)[1])
    assert second != first
    assert "died (signal 9), respawning" in inst.log()
    # the killed shell's child is an orphan now, out of the daemon's new group
    orphan = int(lines(child)[0])
    wait_for(lambda: len(lines(child)) == 2, what="second child")
    sleeper = int(lines(child)[1])
    os.kill(orphan, signal.SIGKILL)
    log = inst.stop()
    assert inst.proc.returncode == 0, log
    assert lines(got) == ["term"], log
    # the whole process group got the signal: the shell's child too
    wait_for(lambda: not pid_alive(sleeper), what="daemon's child stopped")


def test_daemon2_stop_and_reload_signals(work, instances):
    got = os.path.join(work, "got")
    pids = os.path.join(work, "pids")
    cmd = (f"echo $$ >> {pids}; trap 'echo usr1 >> {got}; exit 0' USR1; "
           f"trap 'echo usr2 >> {got}; exit 0' USR2; trap '' TERM; while :; do sleep 0.1; done")
    path = ini(work, f"master = true\nattach-daemon2 = cmd={cmd.replace(',', chr(92) + ',')},"
                     "stopsignal=USR1,reloadsignal=SIGUSR2\n")
    inst = instances("--ini", path)
    wait_for(lambda: len(lines(pids)) == 1, what="daemon started")
    inst.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: len(lines(pids)) == 2, what="daemon respawned by the new image")
    assert lines(got) == ["usr2"]
    log = inst.stop()
    assert inst.proc.returncode == 0, log
    assert lines(got) == ["usr2", "usr1"], log


def test_smart_daemon_survives_reload_and_is_respawned_when_gone(work, instances):
    pidfile = os.path.join(work, "d.pid")
    runs = os.path.join(work, "runs")
    inst = instances("--master", "--smart-attach-daemon2", f"{pidfile} echo run >> {runs}; exec sleep 600")
    wait_for(lambda: read(pidfile).strip() and lines(runs), what="smart daemon started")
    pid = int(read(pidfile))
    assert pid_alive(pid)
    inst.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "found valid/active pidfile" in inst.log(), what="new image adopted the daemon")
    assert pid_alive(pid) and int(read(pidfile)) == pid
    assert len(lines(runs)) == 1
    os.kill(pid, signal.SIGKILL)
    # the pidfile is written before the command runs: wait for both
    wait_for(lambda: read(pidfile).strip() and int(read(pidfile)) != pid and len(lines(runs)) == 2,
             what="smart daemon respawned")
    new = int(read(pidfile))
    inst.stop()
    # uWSGI's rule: a smart daemon is not stopped with the instance
    assert pid_alive(new)
    os.kill(new, signal.SIGKILL)


def test_daemon2_touch_restarts_it_and_stdin_is_dev_null_unless_honoured(work, instances):
    pids = os.path.join(work, "pids")
    stdin = os.path.join(work, "stdin")
    touch = os.path.join(work, "restart-me")
    open(touch, "w").close()
    cmd = f"echo $$ >> {pids}; readlink /proc/self/fd/0 > {stdin}; exec sleep 600"
    path = ini(work, f"master = true\nattach-daemon2 = cmd={cmd},touch={touch}\n")
    inst = instances("--ini", path)
    wait_for(lambda: len(lines(pids)) == 1 and lines(stdin), what="daemon started")
    assert lines(stdin) == ["/dev/null"]
    wait_for(lambda: "spawned" in inst.log(), what="spawn logged")
    # the touch check runs every second: a new mtime restarts the daemon
    os.utime(touch, (1, 1))
    wait_for(lambda: len(lines(pids)) == 2, what="daemon restarted by touch")
    assert "has been touched... reloading daemon" in inst.log()
    inst.stop()
    os.unlink(stdin)
    # daemons-honour-stdin: the master's stdin (here a file of the test's), which the
    # master keeps only with honour-stdin (uWSGI remaps it to /dev/null at start otherwise)
    path = ini(work, f"master = true\nhonour-stdin = true\ndaemons-honour-stdin = true\nattach-daemon = {cmd}\n",
               name="h.ini")
    with open(touch) as f:
        proc = subprocess.Popen([BIN, "--ini", path], stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: lines(stdin), what="daemon with the master's stdin")
        assert lines(stdin) == [touch]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_cron2_harakiri_kills_a_long_run(work, instances):
    out = os.path.join(work, "out")
    path = ini(work, f"master = true\ncron2 = minute=-1,unique=1,harakiri=1 echo $$ >> {out}; exec sleep 600\n")
    inst = instances("--ini", path, env=FAST_CRON)
    wait_for(lambda: "harakiri" in inst.log(), what="the job killed after 1 s")
    first = int(lines(out)[0])
    wait_for(lambda: not pid_alive(first), what="the killed run reaped")
    # unique: the next run starts only after the killed one ended
    wait_for(lambda: len(lines(out)) >= 2, what="a second run")
    assert "killed by signal 9" in inst.log()
    inst.stop()


def test_control_daemon_death_stops_the_instance(work, instances):
    flag = os.path.join(work, "flag")
    inst = instances("--master", "--attach-control-daemon", f"while [ ! -e {flag} ]; do sleep 0.05; done")
    wait_for(lambda: "spawned" in inst.log(), what="control daemon started")
    open(flag, "w").close()
    wait_for(lambda: inst.proc.poll() is not None, what="instance stopped")
    assert inst.proc.returncode == 0, inst.log()
    assert "control daemon" in inst.log()


@pytest.mark.parametrize("value,expect", [
    ("cmd=true,ns_pid=1", "key 'ns_pid' is not supported"),
    ("cmd=true,bogus=1", "unknown key 'bogus'"),
    ("pidfile=/x", "you need to specify a 'cmd' key"),
    ("cmd=true,stopsignal=NOPE", "stopsignal: unknown signal 'NOPE'"),
])
def test_attach_daemon2_bad_keys_are_refused(work, value, expect):
    path = ini(work, f"attach-daemon2 = {value}\n")
    res = run_stockade("--ini", path)
    assert res.returncode != 0
    assert f"{path}:2: attach-daemon2: {expect}" in res.stderr, res.stderr


@pytest.mark.parametrize("opt,value,expect", [
    ("cron", "-1 -1 -1 -1", "expected MIN HOUR DAY MONTH WEEKDAY COMMAND"),
    ("cron", "61 -1 -1 -1 -1 true", "minute 61 never matches"),
    ("cron2", "minute=x true", "minute 'x' is not a number"),
    ("cron2", "legion=a true", "key 'legion' is not supported"),
    ("cron2", "minute=1", "no command"),
])
def test_bad_cron_lines_are_refused(work, opt, value, expect):
    path = ini(work, f"{opt} = {value}\n")
    res = run_stockade("--ini", path)
    assert res.returncode != 0
    assert f"{path}:2: {opt}: {expect}" in res.stderr, res.stderr


# ---- cron ------------------------------------------------------------------------------------


def test_cron_fields_follow_the_clock(work, instances):
    every = os.path.join(work, "every")
    third = os.path.join(work, "third")
    never = os.path.join(work, "never")
    path = ini(work, f"master = true\n"
                     f"cron2 = minute=-1 date +%s >> {every}\n"
                     f"cron = -3 -1 -1 -1 -1 echo x >> {third}\n"
                     # a month that is not now and never comes round in the test
                     f"cron = -1 -1 -1 {(time.localtime().tm_mon % 12) + 1} -1 echo x >> {never}\n")
    inst = instances("--ini", path, env=FAST_CRON)
    wait_for(lambda: len(lines(every)) >= 12, what="12 cron minutes")
    log = inst.stop()
    n_every, n_third = len(lines(every)), len(lines(third))
    # every third minute of the clock: a third of the runs, give or take one
    assert abs(n_third * 3 - n_every) <= 3, (n_every, n_third, log)
    assert not os.path.exists(never)


def test_unique_cron_never_overlaps_a_plain_cron_does(work, instances):
    uniq = os.path.join(work, "uniq")
    plain = os.path.join(work, "plain")
    # each run lasts several cron minutes (200 ms each)
    job = "echo start >> {0}; sleep 1; echo end >> {0}"
    path = ini(work, f"master = true\nunique-cron = -1 -1 -1 -1 -1 {job.format(uniq)}\n"
                     f"cron2 = minute=-1 {job.format(plain)}\n")
    inst = instances("--ini", path, env=FAST_CRON)
    wait_for(lambda: lines(uniq).count("end") >= 3, what="three unique runs")
    inst.stop()
    u = lines(uniq)
    # start/end strictly alternate: a run never began while the last ran
    for i, word in enumerate(u):
        assert word == ("start" if i % 2 == 0 else "end"), u
    p = lines(plain)
    assert "start start" in " ".join(p), p


# ---- inside a jail ---------------------------------------------------------------------------


def _jails_available():
    if os.geteuid() != 0 or not shutil.which("unshare") or not os.path.exists("/proc/self/ns/pid"):
        return False
    try:
        import jailfs  # noqa: F401
    except ImportError:
        return False
    return run_stockade("--jls").returncode == 0


jail_only = pytest.mark.skipif(not _jails_available(), reason="needs root, unshare(1), Linux jails")


@jail_only
def test_daemon_and_cron_run_inside_the_jail(tmp_path):
    from jailfs import Jailed, Rootfs, jail_name, registry, run
    rootfs = Rootfs(tmp_path)
    out = rootfs.path / "out"
    name = jail_name()
    port = free_port()
    j = Jailed(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", rootfs.app, "--master",
                "--processes", "1", "--jail", f"{rootfs.path} daemonjail.example {name}",
                "--attach-daemon", "echo $(hostname) $$ > /out/daemon; ls / > /out/root; exec sleep 600",
                "--cron2", "minute=-1 hostname >> /out/cron"],
               rootfs=rootfs, port=port, env=FAST_CRON)
    try:
        wait_for(lambda: lines(out / "daemon") and lines(out / "root"), what="daemon ran in the jail")
        host, pid = lines(out / "daemon")
        assert host == "daemonjail.example"
        assert rootfs.marker in lines(out / "root")
        # its own PID namespace: the daemon's pid there is small
        assert int(pid) < 50
        wait_for(lambda: len(lines(out / "cron")) >= 2, what="cron ran twice in the jail")
        assert set(lines(out / "cron")) == {"daemonjail.example"}
        assert get(port, "/")[0] == 200
    finally:
        log = j.stop()
        if registry(name).exists():
            run(["--jail-remove", name])
    assert j.proc.returncode == 0, log


@jail_only
def test_forkpty_router_attached_to_a_jail_without_socket(tmp_path, work):
    """The seed's way to get a terminal in a jail: `--jail-attach NAME
    --forkpty-router SOCK`, no socket and no app."""
    from jailfs import Jailed, Rootfs, jail_name, registry, run
    rootfs = Rootfs(tmp_path)
    name = jail_name()
    port = free_port()
    host = Jailed(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", rootfs.app, "--master",
                   "--processes", "1", "--jail", f"{rootfs.path} ptyonly.example {name}"],
                  rootfs=rootfs, port=port)
    sock = os.path.join(work, "www.sock")
    a = None
    try:
        a = Jailed(["--jail-attach", name, "--forkpty-router", sock])
        wait_for(lambda: "forkpty router ready" in a.log(), what="router ready")
        assert raw_shell(sock, "hostname", "H").strip() == "ptyonly.example"
        assert rootfs.marker in raw_shell(sock, "ls -1 /", "L").split()
        log = a.stop()
        assert a.proc.returncode == 0, log
        assert "spawned worker" not in log
    finally:
        if a:
            a.stop()
        host.stop()
        if registry(name).exists():
            run(["--jail-remove", name])
