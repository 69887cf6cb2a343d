# SPDX-License-Identifier: MIT
"""uWSGI options finished for issue 19: map-socket (which workers accept on
which socket, sockets numbered in config order), static-cache-paths (resolved
static paths kept in a cache), an instance whose only services are a spooler
or mules (no socket), and cron-harakiri (a cron command's process group is
killed after N seconds, cron2's harakiri= overriding it)."""
import http.client
import json
import os
import pathlib
import shutil
import re
import signal
import socket
import struct
import tempfile

import pytest

from conftest import free_port, get, pid_alive, run_stockade, wait_for

FAST_CRON = {"STOCKADE_TEST_CRON_MINUTE_MS": "200"}

WID_APP = """\
import json, os, uwsgi
def application(environ, start_response):
    fds = {}
    for n in environ.get("QUERY_STRING", "").split(","):
        if n:
            try:
                fds[n] = os.readlink("/proc/self/fd/" + n)
            except OSError as e:
                fds[n] = str(e)
    body = json.dumps({"wid": uwsgi.worker_id(), "fds": fds}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
"""


# ---- map-socket ------------------------------------------------------------------------------


def ask(port, fds):
    status, body = get(port, "/?" + ",".join(str(f) for f in fds))
    assert status == 200
    return json.loads(body)


def test_map_socket_workers_and_config_order(tmp_path, instances):
    (tmp_path / "wid.py").write_text(WID_APP)
    a, b, c, d = (free_port() for _ in range(4))
    ini = tmp_path / "m.ini"
    # `socket` (HTTP by `protocol`) is socket 1 although Stockade binds the
    # http-sockets first: uWSGI numbers sockets in config order
    ini.write_text(f"[uwsgi]\nprotocol = http\nhttp-socket = 127.0.0.1:{a}\nsocket = 127.0.0.1:{b}\n"
                   f"http-socket = 127.0.0.1:{c}\nhttp-socket = 127.0.0.1:{d}\n"
                   f"master = true\nprocesses = 3\nwsgi-file = {tmp_path}/wid.py\n"
                   "map-socket = 0:1\nmap-socket = 1:2,3\n"
                   # two lines for socket 2: the last decides (uWSGI), so only worker 3
                   "map-socket = 2:2\nmap-socket = 2:3\n")
    inst = instances(str(ini), port=d)
    for p in (a, b, c):
        wait_for(lambda: get(p)[0] == 200, what=f"port {p} answers")
    log = inst.log()
    fd = {int(m.group(1)): int(m.group(2))
          for m in re.finditer(r"socket \d+ bound to 127\.0\.0\.1:(\d+) fd (\d+)", log)}
    fds = [fd[a], fd[b], fd[c], fd[d]]
    seen_b = set()
    for _ in range(12):
        r = ask(a, fds)
        # worker 1 holds sockets 0 and 3; 1 and 2 are closed (/dev/null in their place)
        assert r["wid"] == 1
        assert r["fds"][str(fd[a])].startswith("socket:")
        assert r["fds"][str(fd[b])] == "/dev/null"
        assert r["fds"][str(fd[c])] == "/dev/null"
        assert r["fds"][str(fd[d])].startswith("socket:")
        r = ask(b, fds)
        assert r["wid"] in (2, 3)
        seen_b.add(r["wid"])
        assert r["fds"][str(fd[a])] == "/dev/null"
        # socket 2 is worker 3's only: its last line overrode "2:2"
        assert r["fds"][str(fd[c])].startswith("socket:") == (r["wid"] == 3)
        assert r["wid"] == 3 or r["fds"][str(fd[c])] == "/dev/null"
        r = ask(c, fds)
        assert r["wid"] == 3
        assert r["fds"][str(fd[b])].startswith("socket:")
    # socket 3 is named by no line: every worker keeps it
    assert ask(d, fds)["wid"] in (1, 2, 3)
    for line in (f"mapped socket 1 (127.0.0.1:{b}) to worker 2", f"mapped socket 2 (127.0.0.1:{c}) to worker 3"):
        wait_for(lambda: line in inst.log(), what=line)
    assert f"mapped socket 2 (127.0.0.1:{c}) to worker 2" not in inst.log()


@pytest.mark.parametrize("value,expect", [
    ("x", "map-socket: 'x' is not SOCKET:WORKER[,WORKER...]"),
    ("0:", "map-socket: '0:' is not SOCKET:WORKER[,WORKER...]"),
    ("0:1,3", "map-socket: invalid worker '3' (workers are 1..2)"),
    ("0:0", "map-socket: invalid worker '0' (workers are 1..2)"),
])
def test_map_socket_bad_lines_are_refused(tmp_path, value, expect):
    ini = tmp_path / "m.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nprocesses = 2\n"
                   f"wsgi-file = {tmp_path}/none.py\nmap-socket = {value}\n")
    r = run_stockade(str(ini))
    assert r.returncode != 0
    assert f"{ini}:5: {expect}" in r.stderr, r.stderr


# ---- static-cache-paths --------------------------------------------------------------------------


def test_static_cache_paths_keep_the_resolved_path(tmp_path, instances):
    root = tmp_path / "st"
    root.mkdir()
    (root / "v1.txt").write_text("one\n")
    (root / "v2.txt").write_text("two\n")
    os.symlink("v1.txt", root / "cur.txt")
    (tmp_path / "app.py").write_text(
        "import uwsgi\n"
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        f"    return [b'app ' + (uwsgi.cache_get('{root}/cur.txt', 'paths') or b'-')]\n")
    cached, plain = free_port(), free_port()
    common = ["--wsgi-file", str(tmp_path / "app.py"), "--master", "--processes", "2",
              "--static-map", f"/s={root}", "--cache2", "name=paths,items=16"]
    instances("--http-socket", f"127.0.0.1:{cached}", *common, "--static-cache-paths", "3600", port=cached)
    instances("--http-socket", f"127.0.0.1:{plain}", *common, port=plain)
    for p in (cached, plain):
        assert get(p, "/s/cur.txt") == (200, b"one\n")
    # the path is in the cache, shared by every worker and the app
    assert get(cached, "/") == (200, b"app " + str(root / "v1.txt").encode())
    assert get(plain, "/") == (200, b"app -")
    # the link switched: the cached real path is served, the plain instance follows
    os.symlink("v2.txt", root / "new.txt")
    os.replace(root / "new.txt", root / "cur.txt")
    for _ in range(6):  # whichever worker answers
        assert get(cached, "/s/cur.txt") == (200, b"one\n")
        assert get(plain, "/s/cur.txt") == (200, b"two\n")
    # the mapped name removed: still served from the cached path
    os.unlink(root / "cur.txt")
    assert get(cached, "/s/cur.txt") == (200, b"one\n")
    assert get(plain, "/s/cur.txt") == (200, b"app -")
    # only the path is cached: the file itself is read afresh
    (root / "v1.txt").write_text("one again\n")
    assert get(cached, "/s/cur.txt") == (200, b"one again\n")


def test_static_cache_paths_expire(tmp_path, instances):
    root = tmp_path / "st"
    root.mkdir()
    (root / "v1.txt").write_text("one\n")
    (root / "v2.txt").write_text("two\n")
    os.symlink("v1.txt", root / "cur.txt")
    (tmp_path / "app.py").write_text("def application(e, s):\n    s('200 OK', [])\n    return [b'app']\n")
    port = free_port()
    instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(tmp_path / "app.py"),
              "--static-map", f"/s={root}", "--cache", "8", "--static-cache-paths", "1", port=port)
    assert get(port, "/s/cur.txt") == (200, b"one\n")
    os.symlink("v2.txt", root / "new.txt")
    os.replace(root / "new.txt", root / "cur.txt")
    # after its second the entry is gone and the link is resolved again
    wait_for(lambda: get(port, "/s/cur.txt") == (200, b"two\n"), what="the cached path expired")


@pytest.mark.parametrize("args,expect", [
    ([], "command line: static-cache-paths needs a cache"),
    (["--cache2", "name=a,items=4", "--static-cache-paths-name", "b"],
     "command line: static-cache-paths-name: no cache named 'b'"),
])
def test_static_cache_paths_need_a_cache(tmp_path, args, expect):
    r = run_stockade("--http-socket", f"127.0.0.1:{free_port()}", "--static-map", f"/s={tmp_path}",
                     "--static-cache-paths", "60", *args)
    assert r.returncode != 0
    assert expect in r.stderr, r.stderr


# ---- an instance with no socket: a spooler or mules ------------------------------------------------


@pytest.mark.parametrize("how", ["module", "spooler-import"])
def test_spooler_only_instance_runs_tasks(tmp_path, instances, how):
    spool = tmp_path / "spool"
    out = tmp_path / "done"
    (tmp_path / "tasks.py").write_text(
        "import uwsgi\n"
        "def task(args):\n"
        f"    open({str(out)!r}, 'a').write(args[b'n'].decode() + '\\n')\n"
        "    return uwsgi.SPOOL_OK\n"
        "uwsgi.spooler = task\n"
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'']\n")
    # with an app (loaded by the master), or none at all: the spooler imports its function
    load = ["--module", "tasks"] if how == "module" else ["--spooler-import", str(tmp_path / "tasks.py")]
    inst = instances("--master", "--spooler", str(spool), "--spooler-frequency", "1",
                     "--pythonpath", str(tmp_path), *load)
    wait_for(lambda: "spooler" in inst.log() and "spawned" in inst.log(), what="the spooler started")
    assert "socket option is missing" not in inst.log()
    # a task written as uwsgi.spool() would: the spooler of this socketless instance runs it
    spool_task(spool, {b"n": b"7"})
    wait_for(lambda: out.exists() and out.read_text() == "7\n", what="the task ran")
    assert inst.proc.poll() is None


def spool_task(spool, args):
    """A spool file in uWSGI's format: a uwsgi packet (modifier1 17) of the args."""
    body = b"".join(len(k).to_bytes(2, "little") + k + len(v).to_bytes(2, "little") + v
                    for k, v in args.items())
    head = bytes([17]) + len(body).to_bytes(2, "little") + bytes([0])
    tmp = spool / ".tmp-task"
    tmp.write_bytes(head + body)
    os.rename(tmp, spool / "uwsgi_spoolfile_on_test_1")


def test_mule_only_instance_runs_its_mules(tmp_path, instances):
    out = tmp_path / "mule"
    (tmp_path / "prog.py").write_text(
        "import os, uwsgi\n"
        f"open({str(out)!r}, 'a').write('%d %d\\n' % (uwsgi.mule_id(), os.getpid()))\n"
        "import time\n"
        "while True:\n"
        "    time.sleep(60)\n")
    inst = instances("--master", f"--mule={tmp_path / 'prog.py'}", "--mules", "1")
    wait_for(lambda: out.exists() and out.read_text().count("\n") >= 1, what="the mule program ran")
    mule_id, pid = map(int, out.read_text().split()[:2])
    assert mule_id == 1 and pid_alive(pid)
    assert "socket option is missing" not in inst.log()
    # stopping the instance stops its mules
    inst.stop()
    assert inst.proc.returncode == 0, inst.log()
    wait_for(lambda: not pid_alive(pid), what="the mule stopped with the instance")


def test_no_service_at_all_is_still_refused():
    r = run_stockade("--master", "--module", "nothing")
    assert r.returncode != 0
    assert "The -s/--socket option is missing" in r.stderr


# ---- cron-harakiri ---------------------------------------------------------------------------


def test_cron_harakiri_kills_the_command_and_its_children(tmp_path, instances):
    # job 1 (cron2 harakiri=0) is checked before job 2 on each tick and started
    # first: had cron-harakiri applied to it, it would die on the tick that kills job 2
    keep, kill = tmp_path / "keep", tmp_path / "kill"
    ini = tmp_path / "c.ini"
    ini.write_text("[uwsgi]\nmaster = true\ncron-harakiri = 1\n"
                   f"cron2 = minute=-1,unique=1,harakiri=0 echo $$ > {keep}.tmp; mv {keep}.tmp {keep}; exec sleep 600\n"
                   f"unique-cron = -1 -1 -1 -1 -1 sleep 600 & echo $$ $! > {kill}.tmp; mv {kill}.tmp {kill}; wait\n")
    inst = instances(str(ini), env=FAST_CRON)
    wait_for(lambda: kill.exists() and keep.exists(), what="both jobs started")
    sh, child = map(int, kill.read_text().split())
    keeper = int(keep.read_text())
    wait_for(lambda: re.search(rf'\[cron\] command "sleep 600 &.*" \(pid {sh}\) ran 1 s: harakiri', inst.log()),
             what="cron-harakiri after 1 s")
    # the whole process group: the shell and the command it started
    wait_for(lambda: not pid_alive(sh) and not pid_alive(child), what="the job's group killed")
    assert pid_alive(keeper), inst.log()
    assert f"(pid {keeper}) ran" not in inst.log()


# ---- reaper, reload-on-exception, chmod ------------------------------------------------------------

FORK_APP = """\
import os
def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/fork":
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        # answer once the child is a zombie: only a waitpid() can remove it now
        while open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z":
            pass
        body = str(pid)
    elif path == "/boom":
        raise RuntimeError("boom")
    elif path == "/boom-late":
        def gen():
            yield b"part"
            raise RuntimeError("late boom")
        start_response("200 OK", [])
        return gen()
    else:
        body = str(os.getpid())
    start_response("200 OK", [])
    return [body.encode()]
"""


def zombie_or_gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


@pytest.mark.parametrize("reaper", [True, False])
def test_reaper_collects_a_workers_exited_children(tmp_path, instances, reaper):
    (tmp_path / "app.py").write_text(FORK_APP)
    port = free_port()
    instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(tmp_path / "app.py"),
              *(["--reaper"] if reaper else []), port=port)
    status, body = get(port, "/fork")
    child = int(body)
    if reaper:
        # collected after the request that made it
        wait_for(lambda: zombie_or_gone(child) == "gone", what="the zombie collected")
    else:
        assert get(port, "/")[0] == 200   # another request changes nothing
        assert zombie_or_gone(child) == "Z"


@pytest.mark.parametrize("path", ["/boom", "/boom-late"])
def test_reload_on_exception_respawns_the_worker(tmp_path, instances, path):
    (tmp_path / "app.py").write_text(FORK_APP)
    port, plain = free_port(), free_port()
    common = ["--wsgi-file", str(tmp_path / "app.py"), "--master", "--processes", "1"]
    inst = instances("--http-socket", f"127.0.0.1:{port}", *common, "--reload-on-exception", port=port)
    instances("--http-socket", f"127.0.0.1:{plain}", *common, port=plain)
    first = int(get(port, "/")[1])
    # the worker exits as soon as the exception is logged: no (complete) answer
    with pytest.raises(Exception):
        status, body = get(port, path)
        if status == 200 and body == b"part":
            raise ConnectionError("the body was cut")
    wait_for(lambda: "reload-on-exception: the app raised" in inst.log(), what="the exit logged")
    second = int(wait_for(lambda: get(port, "/")[1], what="a respawned worker"))
    assert second != first
    # without the option the worker lives on
    before = get(plain, "/")[1]
    try:
        get(plain, path)    # a 500, or a body cut after "part" (the headers were sent)
    except (OSError, http.client.HTTPException):
        pass
    assert get(plain, "/")[1] == before


def test_chmod_is_chmod_socket(tmp_path, instances):
    (tmp_path / "app.py").write_text(FORK_APP)
    sock = tmp_path / "s.sock"
    ini = tmp_path / "c.ini"
    ini.write_text(f"[uwsgi]\nsocket = {sock}\nchmod = 600\nwsgi-file = {tmp_path}/app.py\n")
    r = run_stockade("--show-config", str(ini))
    assert r.returncode == 0 and "chmod-socket = 600" in r.stdout, r.stderr
    instances(str(ini))
    wait_for(lambda: sock.exists(), what="the socket bound")
    assert os.stat(sock).st_mode & 0o777 == 0o600


def test_mule_reload_mercy_kills_a_mule_that_will_not_stop(tmp_path, instances):
    ready = tmp_path / "ready"
    (tmp_path / "stubborn.py").write_text(
        "import os, signal, time\n"
        "for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\n"
        "    signal.signal(s, signal.SIG_IGN)\n"
        f"open({str(ready)!r} + '.tmp', 'w').write(str(os.getpid()))\n"
        f"os.rename({str(ready)!r} + '.tmp', {str(ready)!r})\n"
        "while True:\n"
        "    time.sleep(60)\n")
    # the workers' mercy is far away: only mule-reload-mercy can end the stop soon
    inst = instances("--master", f"--mule={tmp_path / 'stubborn.py'}", "--worker-reload-mercy", "600",
                     "--mule-reload-mercy", "1")
    wait_for(lambda: ready.exists(), what="the mule ignores its signals")
    pid = int(ready.read_text())
    inst.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: inst.proc.poll() is not None, timeout=120, what="the instance stopped")
    assert f"mule 1 (pid: {pid}) did not stop within 1 s (mule-reload-mercy): NO MERCY" in inst.log()
    assert not pid_alive(pid)


def unix_get(addr):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(addr)
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize("value", ["true", "false"])
def test_abstract_socket(tmp_path, instances, value):
    (tmp_path / "app.py").write_text(FORK_APP)
    path = tmp_path / "abs.sock"
    ini = tmp_path / "a.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = {path}\nabstract-socket = {value}\nchmod-socket = 600\n"
                   f"vacuum = true\nwsgi-file = {tmp_path}/app.py\n")
    inst = instances(str(ini))
    wait_for(lambda: "bound to" in inst.log(), what="the socket bound")
    if value == "true":
        # the path is a name in the abstract namespace: no file is made
        assert f"bound to @{path} fd" in inst.log()
        assert unix_get("\0" + str(path)).split(b" ")[1] == b"200"
        assert not path.exists()
    else:
        # uWSGI's `abstract-socket = false` is no abstract socket
        assert unix_get(str(path)).split(b" ")[1] == b"200"
        assert os.stat(path).st_mode & 0o777 == 0o600


SNDTIMEO_APP = """\
import os, socket, struct, uwsgi
def application(environ, start_response):
    s = socket.socket(fileno=os.dup(uwsgi.connection_fd()))
    sec, usec = struct.unpack("ll", s.getsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, 16))
    s.close()   # the dup only
    start_response("200 OK", [])
    return [str(sec).encode()]
"""


@pytest.mark.parametrize("args,expect", [
    (["--socket-write-timeout=120"], b"120"),
    (["--so-send-timeout", "--master"], b"1"),     # uWSGI: no argument on the command line = 1
    ([], b"0"),
])
def test_socket_write_timeout_sets_sndtimeo(tmp_path, instances, args, expect):
    (tmp_path / "app.py").write_text(SNDTIMEO_APP)
    port = free_port()
    instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(tmp_path / "app.py"), *args, port=port)
    assert get(port, "/") == (200, expect)


GONE_APP = """\
import os, time
D = os.environ["GONE_DIR"]
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    def gen():
        sent = 0
        try:
            yield b"first"
            while not os.path.exists(D + "/closed"):
                time.sleep(0.01)
            for _ in range(300):     # 19 MiB: more than any socket buffer holds
                sent += 1
                yield b"y" * 65536
            open(D + "/done", "w").write(str(sent))
        finally:
            open(D + "/ended", "w").write(str(sent))
    return gen()
"""


@pytest.mark.parametrize("tolerance", [None, "1000"])
def test_write_errors_tolerance(tmp_path, instances, tolerance):
    (tmp_path / "app.py").write_text(GONE_APP)
    port = free_port()
    instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(tmp_path / "app.py"),
              *(["--write-errors-tolerance", tolerance] if tolerance else []),
              port=port, env={"GONE_DIR": str(tmp_path)})
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    got = b""
    while b"first" not in got:
        got += s.recv(65536)
    # a reset, not a FIN: the server's next writes fail at once
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    (tmp_path / "closed").write_text("")
    wait_for(lambda: (tmp_path / "ended").exists(), what="the response ended")
    if tolerance:
        # the app ran to its end, its chunks dropped after the failure
        assert (tmp_path / "done").read_text() == "300"
    else:
        # stopped at the first failed write (uWSGI's default: no tolerance)
        assert not (tmp_path / "done").exists()
        assert int((tmp_path / "ended").read_text()) < 300


def test_logto2_is_opened_after_the_privilege_drop(instances):
    # a directory the dropped user can reach (pytest's tmp_path is root-only)
    work = pathlib.Path(tempfile.mkdtemp(prefix="stockade-logto2-"))
    try:
        os.chmod(work, 0o777)
        (work / "app.py").write_text(FORK_APP)
        before, after = work / "before.log", work / "after.log"
        port = free_port()
        inst = instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(work / "app.py"),
                         "--uid", "nobody", "--gid", "nogroup", "--logto", str(before), "--logto2", str(after),
                         port=port)
        assert get(port, "/")[0] == 200
        wait_for(lambda: after.exists() and "GET /" in after.read_text(), what="the request logged to logto2")
        # logto is opened as root, logto2 as the user the instance drops to
        assert os.stat(before).st_uid == 0
        assert os.stat(after).st_uid == 65534
        assert "GET /" not in before.read_text()
        inst.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def uwsgi_tcp(port, vars_):
    block = b"".join(len(k).to_bytes(2, "little") + k + len(v).to_bytes(2, "little") + v
                     for k, v in vars_.items())
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(bytes([0]) + len(block).to_bytes(2, "little") + bytes([0]) + block)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


@pytest.mark.parametrize("no_default", [True, False])
def test_no_default_app(tmp_path, instances, no_default):
    (tmp_path / "main.py").write_text(
        "def application(e, s):\n    s('200 OK', [])\n    return [b'main']\n")
    (tmp_path / "two.py").write_text(
        "def application(e, s):\n    s('200 OK', [])\n    return [b'two']\n")
    port = free_port()
    inst = instances("--socket", f"127.0.0.1:{port}", "--wsgi-file", str(tmp_path / "main.py"),
                     "--mount", f"/two={tmp_path / 'two.py'}",
                     *(["--no-default-app"] if no_default else []), port=port)
    base = {b"REQUEST_METHOD": b"GET", b"PATH_INFO": b"/x", b"SERVER_PROTOCOL": b"HTTP/1.1",
            b"QUERY_STRING": b""}
    # the wsgi-file app's mountpoint is "": no SCRIPT_NAME or an empty one finds it
    assert uwsgi_tcp(port, base) == (200, b"main")
    assert uwsgi_tcp(port, {**base, b"SCRIPT_NAME": b""}) == (200, b"main")
    assert uwsgi_tcp(port, {**base, b"SCRIPT_NAME": b"/two"}) == (200, b"two")
    other = uwsgi_tcp(port, {**base, b"SCRIPT_NAME": b"/three"})
    if no_default:
        assert other == (500, b"Internal Server Error")
        assert "--- no python application found, check your startup logs for errors ---" in inst.log()
    else:
        assert other == (200, b"main")    # the default app


def test_eval_and_pymodule_alias(tmp_path, instances):
    (tmp_path / "settings_local.py").write_text("NAME = 'local settings'\n")
    port = free_port()
    ini = tmp_path / "e.ini"
    # the corpus's pattern: the app built by code in the config, a module mapped to a file
    ini.write_text(
        "[uwsgi]\n"
        f"http-socket = 127.0.0.1:{port}\n"
        f"pymodule-alias = settings_local={tmp_path}/settings_local.py\n"
        "pymodule-alias = jsonalias=json\n"
        "pymodule-alias = no-equals-sign\n"
        "eval = import settings_local, jsonalias; application = lambda e, s: "
        "(s('200 OK', []), [jsonalias.dumps([settings_local.NAME, __name__]).encode()])[1]\n")
    inst = instances(str(ini), port=port)
    assert get(port, "/") == (200, b'["local settings", "uwsgi_eval_config"]')
    log = inst.log()
    assert f'mapped virtual pymodule "settings_local" to real pymodule "{tmp_path}/settings_local.py"' in log
    assert "invalid pymodule-alias syntax: 'no-equals-sign'" in log


def test_pymodule_alias_that_fails_stops_the_start(tmp_path):
    r = run_stockade("--http-socket", f"127.0.0.1:{free_port()}", "--eval", "application = None",
                     "--pymodule-alias", "x=no_such_module_here")
    assert r.returncode != 0
    assert "pymodule-alias x=no_such_module_here" in r.stderr and "ModuleNotFoundError" in r.stderr


ENV_APP = """\
prev = []
def application(environ, start_response):
    # holy: the environ of the last request is another dict, still whole
    # (uWSGI's cheat reuses one dict and clears it after each request)
    seen = prev[0].get("PATH_INFO", "cleared") if prev else "none"
    same = bool(prev) and prev[0] is environ
    prev[:] = [environ]
    start_response("200 OK", [])
    return [("%s %s" % (seen, same)).encode()]
"""


def test_wsgi_env_behaviour_holy_is_already_so(tmp_path, instances):
    (tmp_path / "app.py").write_text(ENV_APP)
    port = free_port()
    instances("--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(tmp_path / "app.py"),
              "--wsgi-env-behavior", "holy", port=port)
    assert get(port, "/a") == (200, b"none False")
    assert get(port, "/b") == (200, b"/a False")
    r = run_stockade("--help-option", "wsgi-env-behaviour")
    assert "holy: already so" in r.stdout


@pytest.mark.parametrize("value,expect", [
    ("cheat", "wsgi-env-behaviour 'cheat' is not supported by Stockade"),
    ("bogus", "wsgi-env-behaviour 'bogus': uWSGI knows 'holy' and 'cheat'"),
])
def test_wsgi_env_behaviour_other_values_refused(tmp_path, value, expect):
    ini = tmp_path / "w.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = {tmp_path}/x.py\n"
                   f"wsgi-env-behaviour = {value}\n")
    r = run_stockade(str(ini))
    assert r.returncode != 0
    assert f"{ini}:4: {expect}" in r.stderr, r.stderr
