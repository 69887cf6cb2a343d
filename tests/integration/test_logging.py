# SPDX-License-Identifier: MIT
"""Request log and general log through the real binary: log-format variables,
JSON lines, encoders, X-Forwarded-For, disable-logging filters, log-date,
rotation (mv + SIGUSR2, master-fifo l/L, touch-logreopen) in the master and
every worker, and the stats document against what uwsgitop reads."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from conftest import APPS, BIN, Instance, free_port, read_stats, run_stockade, wait_for


def request(port, path, method="GET", body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    hdrs = {"Connection": "close", **(headers or {})}
    c.putrequest(method, path, skip_host="Host" in hdrs, skip_accept_encoding=True)
    if body is not None:
        hdrs["Content-Length"] = str(len(body))
    for k, v in hdrs.items():
        c.putheader(k, v)
    c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def start(tmp_path, *args, processes=2, logname="app.log"):
    port = free_port()
    log = tmp_path / logname
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                     "--master", "--processes", str(processes), "--logto", str(log), *args], port=port)
    return inst, port, log


def lines(path, pattern=None):
    if not path.exists():
        return []
    out = path.read_text(errors="replace").splitlines()
    return [line for line in out if pattern is None or re.search(pattern, line)]


def wait_lines(path, pattern, n):
    return wait_for(lambda: len(lines(path, pattern)) >= n and lines(path, pattern))


def test_log_format_renders_every_kind_of_variable(tmp_path):
    fmt = ("REQ method=%(method) uri=%(uri) proto=%(proto) status=%(status) addr=%(addr) user=%(user) "
           "host=%(host) uagent=%(uagent) referer=%(referer) cl=%(cl) rsize=%(rsize) hsize=%(hsize) "
           "size=%(size) headers=%(headers) pid=%(pid) wid=%(wid) vars=%(vars) pktsize=%(pktsize) "
           "time=%(time) tmsecs=%(tmsecs) msecs=%(msecs) micros=%(micros) secs=%(secs) "
           "ltime=[%(ltime)] id=%(var.HTTP_X_REQUEST_ID) none=%(var.HTTP_X_ABSENT) core=%(core)")
    inst, port, log = start(tmp_path, "--log-format", fmt)
    try:
        t0 = int(time.time())
        status, body = request(port, "/echo?x=1", "POST", b"0123456789",
                               {"User-Agent": "probe/1.0", "Referer": "http://r.example/",
                                "Host": "h.example", "X-Request-Id": "rid-42"})
        assert status == 200
        echoed = json.loads(body)
        assert echoed["len"] == 10
        line, = wait_lines(log, r"^REQ ", 1)
    finally:
        inst.stop()
    f = dict(kv.split("=", 1) for kv in re.findall(r"(\w+=(?:\[[^\]]*\]|\S+))", line))
    assert f["method"] == "POST" and f["uri"] == "/echo?x=1" and f["proto"] == "HTTP/1.1"
    assert f["status"] == "200" and f["addr"] == "127.0.0.1" and f["user"] == "-"
    assert f["host"] == "h.example" and f["uagent"] == "probe/1.0" and f["referer"] == "http://r.example/"
    assert f["cl"] == "10" and f["rsize"] == str(len(body))
    assert int(f["size"]) == int(f["rsize"]) + int(f["hsize"]) and int(f["hsize"]) > 0
    assert f["headers"] == "2"   # the app's Content-Type and Content-Length
    assert f["wid"] in ("1", "2") and int(f["pid"]) != inst.proc.pid
    assert int(f["vars"]) % 2 == 0 and int(f["pktsize"]) > 100
    assert t0 <= int(f["time"]) <= time.time() and int(f["tmsecs"]) // 1000 == int(f["time"])
    assert int(f["micros"]) // 1000 == int(f["msecs"]) and re.fullmatch(r"\d+\.\d{6}", f["secs"])
    assert re.fullmatch(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]", f["ltime"])
    assert f["id"] == "rid-42" and f["none"] == "-" and f["core"] == "0"


def test_default_line_matches_uwsgis_shape(tmp_path):
    inst, port, log = start(tmp_path, processes=1)
    try:
        request(port, "/")
        line, = wait_lines(log, r"=> generated", 1)
    finally:
        inst.stop()
    assert re.fullmatch(r"\[pid: \d+\|app: 0\|req: 1/1\] 127\.0\.0\.1 \(\) \{\d+ vars in \d+ bytes\} "
                        r"\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] GET / => generated 13 bytes in \d+ msecs "
                        r"\(HTTP/1\.1 200\) 2 headers in \d+ bytes \(1 switches on core 0\)", line), line


def test_unknown_variable_is_an_error_naming_file_and_line(tmp_path):
    ini = tmp_path / "app.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = {APPS / 'probe.py'}\n"
                   "log-format = %(addr) %(stauts)\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode != 0
    err = r.stdout + r.stderr
    assert f"{ini}:4" in err and "%(stauts)" in err and "did you mean %(status)" in err, err
    assert "bound to" not in err   # refused before anything started


def test_json_lines_parse_with_hostile_headers(tmp_path):
    inst, port, log = start(tmp_path, "--log-format-json")
    nasty = 'he said "hi" \\ back\tslash'
    try:
        request(port, "/a?b=\"c\"", headers={"User-Agent": nasty, "Referer": "caf\xe9".encode("utf-8")})
        # a byte that is not UTF-8 in a header value must not break the line
        request(port, "/", headers={"User-Agent": b"bad \xff byte"})
        request(port, "/raise")
        got = wait_lines(log, r"^\{", 3)
    finally:
        inst.stop()
    # two workers: lines may come in any order
    docs = {d["uri"]: d for d in (json.loads(line) for line in got)}
    first = docs['/a?b="c"']
    assert first["uagent"] == nasty and first["referer"] == "café"
    assert first["method"] == "GET" and first["status"] == 200
    assert isinstance(first["size"], int) and isinstance(first["micros"], int)
    assert first["addr"] == "127.0.0.1" and isinstance(first["pid"], int) and first["wid"] in (1, 2)
    assert docs["/"]["uagent"] == "bad \ufffd byte"
    assert docs["/raise"]["status"] == 500


def test_uwsgi_json_recipe_with_log_req_encoder(tmp_path):
    """The usual uWSGI JSON-logging config: log-format fields wrapped by the
    format encoder, then nl; with log-format-json the values are escaped."""
    inst, port, log = start(tmp_path, "--log-format", '"method":"%(method)","uri":"%(uri)","status":%(status),"ua":"%(uagent)"',
                            "--log-format-json",
                            "--log-req-encoder", 'format {"ts":${unix},"src":"stockade",${msg}}',
                            "--log-req-encoder", "nl",
                            "--log-req-encoder", "prefix REQ ")
    try:
        request(port, "/x", headers={"User-Agent": 'q"uote'})
        line, = wait_lines(log, r"^REQ ", 1)
    finally:
        inst.stop()
    doc = json.loads(line[len("REQ "):])
    assert doc["src"] == "stockade" and doc["method"] == "GET" and doc["uri"] == "/x"
    assert doc["status"] == 200 and doc["ua"] == 'q"uote' and abs(doc["ts"] - time.time()) < 60


def test_json_encoder_wraps_the_default_line(tmp_path):
    inst, port, log = start(tmp_path, "--log-req-encoder", 'json {"msg":"${msg}"}', "--log-req-encoder", "nl")
    try:
        request(port, '/q?"x"')
        line, = wait_lines(log, r'^\{"msg"', 1)
    finally:
        inst.stop()
    assert json.loads(line)["msg"].startswith("[pid: ")
    assert 'GET /q?"x" => generated' in json.loads(line)["msg"]


def test_log_x_forwarded_for(tmp_path):
    inst, port, log = start(tmp_path, "--log-x-forwarded-for", "--log-format", "A %(addr)")
    try:
        request(port, "/", headers={"X-Forwarded-For": "203.0.113.9"})
        request(port, "/")
        got = wait_lines(log, r"^A ", 2)
    finally:
        inst.stop()
    assert sorted(got) == ["A 127.0.0.1", "A 203.0.113.9"]


def test_disable_logging_keeps_what_filters_ask_for(tmp_path):
    inst, port, log = start(tmp_path, "--disable-logging", "--log-5xx", "--log-format", "R %(uri) %(status)")
    try:
        request(port, "/ok")
        request(port, "/raise")
        request(port, "/ok2")
        request(port, "/raise")
        wait_lines(log, r"^R ", 2)
    finally:
        inst.stop()
    assert lines(log, r"^R ") == ["R /raise 500", "R /raise 500"]


def test_log_date_prefixes_general_lines(tmp_path):
    inst, port, log = start(tmp_path, "--log-date=%Y-%m-%d@", processes=1)
    try:
        request(port, "/")
        wait_lines(log, r"generated", 1)
    finally:
        inst.stop()
    spawned = lines(log, r"spawned worker 1")
    assert spawned and re.match(r"\d{4}-\d\d-\d\d@ - spawned worker 1", spawned[0]), spawned
    # the request line is not prefixed (uWSGI writes it as is)
    assert lines(log, r"generated")[0].startswith("[pid: ")


# ---- rotation -------------------------------------------------------------------------


def holders(inst, path):
    """Processes of the instance that still have path open."""
    pids = [inst.proc.pid]
    children = subprocess.run(["pgrep", "-P", str(inst.proc.pid)], capture_output=True, text=True).stdout.split()
    pids += [int(p) for p in children]
    out = []
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                        out.append((pid, fd))
                except OSError:
                    pass
        except OSError:
            pass
    return out


def rotate_and_check(tmp_path, trigger, *args):
    inst, port, log = start(tmp_path, "--log-format", "R %(uri) %(wid)", *args)
    try:
        for i in range(20):
            request(port, f"/before{i}")
        wait_lines(log, r"^R /before", 20)
        old = tmp_path / "app.log.1"
        os.rename(log, old)
        trigger(inst)
        wait_for(lambda: "reopened" in log.read_text() if log.exists() else False)
        for i in range(20):
            request(port, f"/after{i}")
        wait_lines(log, r"^R /after", 20)
        # every process lets go of the old file (idle workers at their next loop turn)
        wait_for(lambda: holders(inst, old) == [])
        assert len(holders(inst, log)) >= 3 * 3   # master + 2 workers: log fd, 1 and 2
    finally:
        inst.stop()
    before, after = lines(old, r"^R "), lines(log, r"^R ")
    # two workers: a line is written after its response, so the order may vary
    assert sorted(l.split()[1] for l in before) == sorted(f"/before{i}" for i in range(20))
    assert sorted(l.split()[1] for l in after) == sorted(f"/after{i}" for i in range(20))
    return inst, log


def test_rotation_with_sigusr2(tmp_path):
    inst, log = rotate_and_check(tmp_path, lambda i: i.proc.send_signal(signal.SIGUSR2))
    assert "log reopen: " in log.read_text()


def test_rotation_with_master_fifo(tmp_path):
    fifo = tmp_path / "fifo"

    def send_l(inst):
        with open(fifo, "w") as f:
            f.write("l")
    rotate_and_check(tmp_path, send_l, "--master-fifo", str(fifo))


def test_master_fifo_L_renames_and_reopens(tmp_path):
    fifo = tmp_path / "fifo"
    backup = tmp_path / "rotated.log"
    inst, port, log = start(tmp_path, "--master-fifo", str(fifo), "--log-backupname", str(backup),
                            "--log-format", "R %(uri)")
    try:
        request(port, "/one")
        wait_lines(log, r"^R /one", 1)
        wait_for(lambda: fifo.exists())
        with open(fifo, "w") as f:
            f.write("L")
        wait_for(lambda: backup.exists() and log.exists() and "reopened" in log.read_text())
        request(port, "/two")
        wait_lines(log, r"^R /two", 1)
    finally:
        inst.stop()
    assert lines(backup, r"^R ") == ["R /one"] and lines(log, r"^R ") == ["R /two"]


def test_touch_logreopen(tmp_path):
    touch = tmp_path / "reopen.trigger"
    touch.write_text("")
    rotate_and_check(tmp_path, lambda i: os.utime(touch, (time.time() + 5, time.time() + 5)),
                     "--touch-logreopen", str(touch))


def test_sigusr2_without_a_log_file_is_harmless():
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                     "--master", "--processes", "2"], port=port)
    try:
        request(port, "/")
        inst.proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: "nothing to reopen" in inst.log())
        # workers ignore a SIGUSR2 sent to the whole group
        for child in subprocess.run(["pgrep", "-P", str(inst.proc.pid)], capture_output=True,
                                    text=True).stdout.split():
            os.kill(int(child), signal.SIGUSR2)
        time.sleep(0.2)
        assert request(port, "/")[0] == 200 and inst.proc.poll() is None
    finally:
        log = inst.stop()
    assert "died" not in log and "respawning" not in log


# ---- stats: what uwsgitop reads ------------------------------------------------------------


def try_read_stats(addr):
    try:
        return read_stats(addr)
    except OSError:
        return None   # the stats server starts with the master loop


def test_stats_have_every_key_uwsgitop_reads_with_its_type(tmp_path):
    """uwsgitop (xrmx/uwsgitop) is not packaged by Debian: this checks every
    key its main loop reads, and the arithmetic/format it applies to them."""
    sock = str(tmp_path / "stats.sock")
    inst, port, log = start(tmp_path, "--stats", sock)
    try:
        for _ in range(6):
            request(port, "/")
        dd = wait_for(lambda: try_read_stats(sock))
    finally:
        inst.stop()
    assert isinstance(dd["version"], str)
    assert isinstance(dd["listen_queue"], int) and isinstance(dd["cwd"], str)
    for k in ("uid", "gid", "pid"):
        assert isinstance(dd[k], int) and not isinstance(dd[k], bool)
    assert "vassals" not in dd   # uwsgitop would show the Emperor screen
    assert sum(w["requests"] for w in dd["workers"]) == 6
    for w in dd["workers"]:
        for k in ("id", "pid", "requests", "exceptions", "signals", "avg_rt", "rss", "vsz", "tx",
                  "respawn_count", "harakiri_count", "running_time", "last_spawn"):
            assert isinstance(w[k], int) and not isinstance(w[k], bool), k
        assert isinstance(w["status"], str) and w["status"] in ("idle", "busy", "cheap", "pause") or \
            w["status"].startswith("sig")
        assert w["last_spawn"] > 1_000_000_000   # fed to time.localtime()
        "%d\t%d\t%dms" % (w["pid"], w["requests"], w["avg_rt"] / 1000)   # uwsgitop's formats
        for core in w["cores"]:
            assert isinstance(core["id"], int) and isinstance(core["requests"], int)
            assert core["in_request"] in (0, 1)
    # the HTTP flavour uwsgitop fetches with urlopen
    sport = free_port()
    inst2, port2, _ = start(tmp_path, "--stats", f"127.0.0.1:{sport}", "--stats-http", logname="b.log")
    try:
        import urllib.error
        import urllib.request

        def fetch():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{sport}", timeout=10) as r:
                    return json.loads(r.read().decode("utf8", "ignore"))
            except urllib.error.URLError:
                return None   # the stats server starts with the master loop
        assert wait_for(fetch)["workers"]
    finally:
        inst2.stop()


def test_emperor_stats_have_what_uwsgitop_reads(tmp_path):
    """uwsgitop shows its Emperor screen when the document has 'vassals'."""
    vdir = tmp_path / "vassals"
    vdir.mkdir()
    vport = free_port()
    (vdir / "one.ini").write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{vport}\n"
                                  f"wsgi-file = {APPS / 'probe.py'}\nmaster = true\nprocesses = 1\n")
    sport = free_port()
    emperor = Instance(["--emperor", str(vdir), "--emperor-stats", f"127.0.0.1:{sport}"])
    try:
        dd = wait_for(lambda: (d := try_read_stats(("127.0.0.1", sport))) and d.get("vassals") and d)
    finally:
        emperor.stop()
    assert isinstance(dd["emperor_tyrant"], int) and "emperor" in dd
    assert "emperor: %s - tyrant: %d" % (dd["emperor"], dd["emperor_tyrant"])
    v, = dd["vassals"]
    assert isinstance(v["id"], str) and v["id"].startswith("one") and isinstance(v["pid"], int) and v["pid"] > 0


UWSGI = "/usr/bin/uwsgi-core"
have_uwsgi = os.path.exists(UWSGI) and any(
    p.startswith("python3") for p in (os.listdir("/usr/lib/uwsgi/plugins") if os.path.isdir("/usr/lib/uwsgi/plugins") else []))


def one_logged_request(argv, log, port, pattern):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: try_connect(port))
        status, _ = request(port, "/echo?x=1", "POST", b"0123456789",
                            {"User-Agent": "probe/1.0", "Referer": "http://r.example/", "Host": "h.example",
                             "X-Id": "id-7"})
        assert status == 200
        return wait_lines(log, pattern, 1)[0]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def try_connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not have_uwsgi, reason="Debian's uwsgi-core and uwsgi-plugin-python3 are not installed")
@pytest.mark.parametrize("fmt", [
    None,   # the default line
    "C method=%(method) uri=%(uri) proto=%(proto) status=%(status) addr=%(addr) user=%(user) "
    "host=%(host) uagent=%(uagent) referer=%(referer) cl=%(cl) rsize=%(rsize) headers=%(headers) "
    "vars=%(vars) pktsize=%(pktsize) id=%(var.HTTP_X_ID) none=%(var.NOPE) core=%(core) "
    "switches=%(switches) m1=%(modifier1) m2=%(modifier2) rerr=%(rerr) werr=%(werr) wid=%(wid)",
])
def test_same_request_line_as_uwsgi(tmp_path, fmt):
    """The same request through Debian's uWSGI and through Stockade: the
    variables that do not depend on timing or on the response head agree."""
    lines_ = {}
    for name in ("uwsgi", "stockade"):
        port = free_port()
        log = tmp_path / f"{name}.log"
        common = ["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                  "--master", "--processes", "1", "--logto", str(log)]
        if fmt:
            common += ["--log-format", fmt]
        argv = [UWSGI, "--plugin", "python3", *common] if name == "uwsgi" else [BIN, *common]
        lines_[name] = one_logged_request(argv, log, port, r"^C " if fmt else r"=> generated")

    def normalise(line):
        line = re.sub(r"\[pid: \d+", "[pid: P", line)
        line = re.sub(r"\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\]", "[DATE]", line)
        line = re.sub(r"in \d+ msecs", "in T msecs", line)
        return re.sub(r"headers in \d+ bytes", "headers in H bytes", line)   # Stockade adds its own headers
    assert normalise(lines_["stockade"]) == normalise(lines_["uwsgi"])


def test_req_logger_file_gets_the_request_lines_and_rotates_with_the_log(tmp_path):
    req = tmp_path / "access.log"
    inst, port, log = start(tmp_path, "--req-logger", f"file:{req}", "--log-format", "A %(uri)")
    try:
        request(port, "/first")
        wait_lines(req, r"^A /first", 1)
        os.rename(req, tmp_path / "access.log.1")
        os.rename(log, tmp_path / "app.log.1")
        inst.proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: log.exists() and req.exists())
        request(port, "/second")
        wait_lines(req, r"^A /second", 1)
        wait_for(lambda: holders(inst, tmp_path / "access.log.1") == [] and
                 holders(inst, tmp_path / "app.log.1") == [])
    finally:
        inst.stop()
    assert lines(tmp_path / "access.log.1") == ["A /first"] and lines(req) == ["A /second"]
    assert not lines(log, r"^A ") and not lines(tmp_path / "app.log.1", r"^A ")
    assert "spawned worker" in (tmp_path / "app.log.1").read_text()
    assert f"log reopen: {req} reopened" in log.read_text()


def test_req_logger_that_is_not_a_file_is_an_error(tmp_path):
    ini = tmp_path / "app.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = {APPS / 'probe.py'}\n"
                   "req-logger = socket:127.0.0.1:5140\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode != 0
    assert f"{ini}:4" in r.stderr + r.stdout and "file:PATH" in r.stderr + r.stdout


def test_uwsgi_protocol_request_logs_its_modifiers(tmp_path):
    port = free_port()
    log = tmp_path / "app.log"
    inst = Instance(["--socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"), "--master",
                     "--processes", "1", "--logto", str(log),
                     "--log-format", "U %(method) %(uri) %(status) m1=%(modifier1) m2=%(modifier2) %(var.X_CUSTOM)"],
                    port=port)
    env = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/u", "PATH_INFO": "/u", "QUERY_STRING": "",
           "SERVER_NAME": "x", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.0", "X_CUSTOM": "from-nginx"}
    block = b"".join(len(k).to_bytes(2, "little") + k.encode() + len(v).to_bytes(2, "little") + v.encode()
                     for k, v in env.items())
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(bytes([0]) + len(block).to_bytes(2, "little") + bytes([9]) + block)
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
        assert reply.startswith(b"HTTP/1.0 200")
        line, = wait_lines(log, r"^U ", 1)
    finally:
        inst.stop()
    assert line == "U GET /u 200 m1=0 m2=9 from-nginx"


@pytest.mark.skipif(os.geteuid() != 0, reason="builds a jail: needs root")
def test_reopen_inside_a_jail_is_refused_and_logging_goes_on(tmp_path):
    """After the jail, the logto path would name a file inside the jail's
    root: a reopen request keeps the host file opened at start-up."""
    from jailfs import Jailed, Rootfs, jail_name, registry, run
    rootfs = Rootfs(tmp_path)
    name = jail_name()
    port = free_port()
    hostlog = tmp_path / "host.log"
    j = Jailed(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", rootfs.app, "--master",
                "--processes", "1", "--logto", str(hostlog), "--jail", f"{rootfs.path} jailhost {name}",
                "--log-format", "J %(uri)"], rootfs=rootfs, port=port)
    try:
        request(port, "/one")
        wait_lines(hostlog, r"^J /one", 1)
        os.rename(hostlog, tmp_path / "host.log.1")
        j.proc.send_signal(signal.SIGUSR2)   # the monitor forwards it to the jailed master
        wait_for(lambda: "not reachable by name" in (tmp_path / "host.log.1").read_text())
        request(port, "/two")
        wait_lines(tmp_path / "host.log.1", r"^J /two", 1)
    finally:
        j.stop()
        if registry(name).exists():
            run(["--jail-remove", name])
    assert not hostlog.exists()
    assert not (rootfs.path / str(hostlog).lstrip("/")).exists(), "no log file created inside the jail"


def test_request_lines_are_batched_and_a_killed_worker_loses_none(tmp_path):
    """Request lines leave once per event-loop turn; the lines a worker had
    not written yet when harakiri killed it are written by the master. Two
    pipelined requests arrive in one read: the first is answered and its line
    is waiting in the batch when the second one hangs."""
    inst, port, log = start(tmp_path, "--harakiri", "2", processes=1)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
            s.sendall(b"GET /osenv?first HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /sleep?60 HTTP/1.1\r\nHost: x\r\n\r\n")
            first = s.recv(65536)
            assert first.startswith(b"HTTP/1.1 200"), first[:100]
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
        wait_for(lambda: "HARAKIRI ON WORKER" in log.read_text(errors="replace"))
        wait_lines(log, r"GET /osenv\?first => generated", 1)
        # the respawned worker batches too, and its lines still arrive
        for _ in range(3):
            assert request(port, "/osenv")[0] == 200
        wait_lines(log, r"GET /osenv => generated", 3)
    finally:
        inst.stop()
    text = log.read_text(errors="replace")
    assert len(re.findall(r"GET /osenv\?first => generated", text)) == 1, text[-2000:]
