# SPDX-License-Identifier: MIT
"""The server core through real sockets and real clients."""
import http.client
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import APPS, ROOT, Instance, free_port, get_json, wait_for, wait_port


def raw(port, data, read_until_close=True, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            if not read_until_close:
                break
        return b"".join(chunks)


def test_get_post_head(serve):
    s = serve()
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    c.request("GET", "/")
    r = c.getresponse()
    assert (r.status, r.read(), r.getheader("Content-Length")) == (200, b"Hello, World!", "13")
    c.request("POST", "/echo", body=b"x" * 1000)
    r = c.getresponse()
    assert json.loads(r.read())["len"] == 1000
    c.request("HEAD", "/")
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Content-Length") == "13" and r.read() == b""
    c.close()


def test_curl_and_streaming_is_chunked(serve):
    s = serve()
    out = subprocess.run(["curl", "-s", "-i", f"http://127.0.0.1:{s.port}/stream"],
                         capture_output=True, timeout=10).stdout
    head, body = out.split(b"\r\n\r\n", 1)
    assert b"Transfer-Encoding: chunked" in head
    assert body == b"".join(b"part%d\n" % i for i in range(5))
    out = subprocess.run(["curl", "-s", "--http1.0", f"http://127.0.0.1:{s.port}/stream"],
                         capture_output=True, timeout=10).stdout
    assert out == b"".join(b"part%d\n" % i for i in range(5))


def test_write_callable_and_file_wrapper(serve):
    s = serve()
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    c.request("GET", "/write")
    assert c.getresponse().read() == b"written;returned"
    c.request("GET", "/file")
    assert c.getresponse().read() == (APPS / "probe.py").read_bytes()
    c.close()


def test_keepalive_and_pipelining(serve):
    s = serve()
    req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    out = raw(s.port, req * 3 + last)
    assert out.count(b"HTTP/1.1 200 OK") == 4
    assert out.count(b"Hello, World!") == 4
    # HTTP/1.0 closes by default
    out = raw(s.port, b"GET / HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.0 200 OK") and out.endswith(b"Hello, World!")


def test_connections_after_close_mode_wait_in_the_loop(serve):
    """Close-mode connections are served without joining the event loop and
    then reused from a cache: connections after them that must wait (a head
    split in two, a second request later) are still woken and answered."""
    s = serve(processes=1)
    for i in range(20):   # more than the cache holds, each served at once
        out = raw(s.port, b"GET /environ?n=%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % i)
        assert out.startswith(b"HTTP/1.1 200 OK") and b'"QUERY_STRING": "n=%d"' % i in out
    for _ in range(2):   # the second round reuses connections that were in the loop
        conns = [socket.create_connection(("127.0.0.1", s.port), timeout=10) for _ in range(12)]
        try:
            for c in conns:
                c.sendall(b"GET / HTTP/1.1\r\nHo")
            time.sleep(0.2)
            for c in conns:
                c.sendall(b"st: x\r\n\r\n")
            for c in conns:
                assert c.recv(65536).startswith(b"HTTP/1.1 200 OK")
            time.sleep(0.2)   # idle keep-alive: the next request needs the loop
            for c in conns:
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            for c in conns:
                out = b""
                while True:
                    b = c.recv(65536)
                    if not b:
                        break
                    out += b
                assert out.startswith(b"HTTP/1.1 200 OK") and out.endswith(b"Hello, World!")
        finally:
            for c in conns:
                c.close()


def test_chunked_upload_and_input_terminated(serve):
    s = serve()
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    out = raw(s.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body)
    payload = json.loads(out.split(b"\r\n\r\n", 1)[1])
    assert payload == {"len": 11, "body": "hello world", "terminated": True}


def test_expect_100_continue(serve):
    s = serve()
    with socket.create_connection(("127.0.0.1", s.port), timeout=5) as sock:
        sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n"
                     b"Connection: close\r\n\r\n")
        interim = sock.recv(100)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"abcd")
        rest = b""
        while True:
            b = sock.recv(4096)
            if not b:
                break
            rest += b
    assert rest.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(rest.split(b"\r\n\r\n", 1)[1])["body"] == "abcd"


@pytest.mark.parametrize("request_bytes,status", [
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: a\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 + b"\r\n\r\n", 431),
], ids=["te-and-cl", "two-cl", "obs-fold", "space-in-name", "ctl-in-value", "head-too-large"])
def test_bad_requests(serve, request_bytes, status):
    s = serve()
    out = raw(s.port, request_bytes)
    assert out.startswith(b"HTTP/1.1 %d " % status), out[:80]
    # the worker survives and serves the next client
    assert raw(s.port, b"GET / HTTP/1.0\r\n\r\n").endswith(b"Hello, World!")


def test_limit_post_413(serve):
    s = serve("--limit-post", "10")
    out = raw(s.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world")
    assert out.startswith(b"HTTP/1.1 413 ")
    out = raw(s.port, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"b\r\nhello world\r\n0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 413 ")
    payload = get_json(s.port, "/echo", "POST", body=b"0123456789")
    assert payload["len"] == 10


def test_environ(serve):
    s = serve()
    env = get_json(s.port, "/environ?a=1&b=%20", "POST", body=b"xy",
                   headers={"X-Custom-Header": "v1", "Content-Type": "text/plain"})
    assert env["REQUEST_METHOD"] == "POST"
    assert env["PATH_INFO"] == "/environ"
    assert env["QUERY_STRING"] == "a=1&b=%20"
    assert env["REQUEST_URI"] == "/environ?a=1&b=%20"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["SCRIPT_NAME"] == ""
    assert env["SERVER_PORT"] == str(s.port)
    assert env["SERVER_NAME"] == socket.gethostname()
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["CONTENT_LENGTH"] == "2" and env["CONTENT_TYPE"] == "text/plain"
    assert env["HTTP_X_CUSTOM_HEADER"] == "v1"
    assert env["wsgi.url_scheme"] == "http"
    assert env["wsgi.version"] == [1, 0]
    assert env["wsgi.multiprocess"] is True and env["wsgi.run_once"] is False
    assert env["wsgi.input_terminated"] is True


def test_remote_addr_from_accept(serve):
    """REMOTE_ADDR is formatted from accept()'s peer address: octets of one,
    two and three digits, zero and 255, each on a new connection."""
    s = serve()
    for src in ("127.0.0.1", "127.10.200.3", "127.255.0.99", "127.1.23.45"):
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10, source_address=(src, 0))
        c.request("GET", "/environ", headers={"Connection": "close"})
        r = c.getresponse()
        env = json.loads(r.read())
        c.close()
        assert r.status == 200 and env["REMOTE_ADDR"] == src


def test_percent_decoded_path(serve):
    s = serve()
    env = get_json(s.port, "/%65nviron")
    assert env["PATH_INFO"] == "/environ" and env["REQUEST_URI"] == "/%65nviron"


def test_wsgi_input_semantics(serve):
    s = serve()
    p = get_json(s.port, "/lines", "POST", body=b"one\ntwo\nthree")
    assert p == {"first": "one\n", "rest": ["two\n", "three"], "after_eof": ""}
    p = get_json(s.port, "/chunks", "POST", body=b"abcdefgh")
    assert p["sizes"] == [3, 3, 2]


def test_exception_gives_500_and_worker_survives(serve):
    s = serve("--processes", "1")
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    c.request("GET", "/raise")
    r = c.getresponse()
    assert r.status == 500
    r.read()
    c.close()
    p1 = get_json(s.port, "/pid")
    log = s.stop()
    assert "RuntimeError: boom from the probe app" in log
    assert "Traceback" in log


def test_bad_response_header_is_500(serve):
    s = serve()
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    c.request("GET", "/badheader")
    r = c.getresponse()
    assert r.status == 500 and r.getheader("Injected") is None
    c.close()


def test_killed_worker_is_respawned(serve):
    s = serve("--processes", "1")
    p = get_json(s.port, "/pid")
    os.kill(p["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    new = None
    while time.monotonic() < deadline:
        try:
            q = get_json(s.port, "/pid")
            if q["pid"] != p["pid"]:
                new = q["pid"]
                break
        except (OSError, http.client.HTTPException):
            time.sleep(0.05)
    assert new is not None
    log = s.stop()
    assert f"worker 1 died (signal 9), respawning" in log


def test_request_log_line(serve):
    s = serve()
    get_json(s.port, "/pid")
    log = s.stop()
    line = next(l for l in log.splitlines() if "GET /pid" in l)
    assert line.startswith("[pid: ") and "|app: 0|req: 1/1] 127.0.0.1 () {" in line
    assert "=> generated" in line and "(HTTP/1.1 200)" in line


def test_app_load_failure_exits_22(stockade_bin, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import nonexistent_module_xyz\n")
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(bad), "--master"], wait=False)
    assert inst.proc.wait(timeout=15) == 22
    err = inst.proc.stderr.read()
    assert "nonexistent_module_xyz" in err


def test_bad_socket_address_is_an_error(stockade_bin, tmp_path):
    ini = tmp_path / "s.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = example.com:80\nwsgi-file = {APPS / 'probe.py'}\n")
    inst = Instance(["--ini", str(ini)], wait=False)
    assert inst.proc.wait(timeout=15) == 1
    assert f"{ini}:2:" in inst.proc.stderr.read()


def test_unix_socket_vacuum_and_uwsgi_protocol(stockade_bin, tmp_path):
    sock = tmp_path / "app.sock"
    inst = Instance(["--socket", str(sock), "--wsgi-file", str(APPS / "probe.py"), "--master",
                     "--vacuum", "--chmod-socket=660"], wait=False)
    deadline = time.monotonic() + 10
    while not sock.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert oct(sock.stat().st_mode & 0o777) == "0o660"

    def uwsgi_request(vars_, body=b""):
        block = b"".join(len(k).to_bytes(2, "little") + k + len(v).to_bytes(2, "little") + v
                         for k, v in vars_.items())
        pkt = bytes([0]) + len(block).to_bytes(2, "little") + bytes([0]) + block + body
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(sock))
            s.sendall(pkt)
            out = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        return out

    out = uwsgi_request({b"REQUEST_METHOD": b"POST", b"PATH_INFO": b"/echo", b"SERVER_PROTOCOL": b"HTTP/1.1",
                         b"CONTENT_LENGTH": b"5", b"QUERY_STRING": b""}, b"hello")
    assert out.split(b"\r\n", 1)[0].endswith(b"200 OK")
    assert json.loads(out.split(b"\r\n\r\n", 1)[1])["body"] == "hello"
    # a zero-length key: logged, connection closed, no response
    bad = bytes([0]) + (4).to_bytes(2, "little") + bytes([0]) + b"\x00\x00\x00\x00"
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(sock))
        s.sendall(bad)
        assert s.recv(100) == b""
    log = inst.stop()
    assert "invalid uwsgi packet" in log
    assert not sock.exists(), "vacuum must remove the unix socket"


def test_flask_app(serve):
    pytest.importorskip("flask")
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--module", "flaskapp:app", "--pythonpath", str(APPS),
                     "--master", "--processes", "2"], port=port)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/")
        assert c.getresponse().read() == b"flask says hi"
        c.request("POST", "/form", body="name=kratos", headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert c.getresponse().read() == b"name=kratos"
        boundary = "XyZ"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
                f"Content-Type: application/octet-stream\r\n\r\n").encode() + b"\x00" * 70000 + f"\r\n--{boundary}--\r\n".encode()
        c.request("POST", "/upload", body=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert c.getresponse().read() == b"a.bin:70000"
    finally:
        inst.stop()


def test_http_conformance_corpus(stockade_bin):
    runner = ROOT.parent / "shared" / "conformance" / "run-http-vectors.py"
    if not runner.exists():
        pytest.skip("../shared/conformance not present")
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(runner.parent / "echo_app.py"),
                     "--master", "--processes", "2", "--disable-logging"], port=port)
    try:
        r = subprocess.run(["/usr/bin/python3", str(runner), f"127.0.0.1:{port}"], capture_output=True,
                           text=True, timeout=300)
    finally:
        inst.stop()
    assert "341 passed, 0 failed" in r.stdout, r.stdout[-3000:]


def test_shared_socket_reference(stockade_bin):
    port = free_port()
    inst = Instance(["--shared-socket", f"127.0.0.1:{port}", "--http-socket", "=0", "--wsgi-file",
                     str(APPS / "probe.py"), "--master"], port=port)
    try:
        assert raw(port, b"GET / HTTP/1.0\r\n\r\n").endswith(b"Hello, World!")
    finally:
        inst.stop()
    bad = Instance(["--http-socket", "=3", "--wsgi-file", str(APPS / "probe.py")], wait=False)
    assert bad.proc.wait(timeout=10) == 1
    assert "there is no shared-socket number 3" in bad.proc.stderr.read()


def test_no_master_single_process_and_pidfile(stockade_bin, tmp_path):
    port = free_port()
    pidfile = tmp_path / "s.pid"
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"),
                     "--pidfile", str(pidfile), "--vacuum"], port=port)
    try:
        p = get_json(port, "/pid")
        assert p["pid"] == inst.proc.pid == int(pidfile.read_text())
    finally:
        inst.stop()
    assert inst.proc.returncode == 0
    assert not pidfile.exists()


def test_lazy_apps_load_per_worker(serve):
    s = serve("--lazy-apps")
    pids = set()
    for _ in range(20):
        p = get_json(s.port, "/pid")
        pids.add(p["pid"])
    log = s.stop()
    assert "spawned worker 2" in log


def test_respawn_storm_is_throttled(stockade_bin, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("raise SystemExit('cannot start')\n")
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(bad), "--master",
                     "--lazy-apps", "--processes", "1"], wait=False)
    # wait for the throttle itself, not for a guessed time (ASan and load slow respawns)
    wait_for(lambda: "respawn throttled" in inst.log(), timeout=60, what="the respawn throttle")
    log = inst.stop()
    assert "worker 1 exited with status 22, respawning" in log
    assert "respawn throttled" in log
    assert log.count("spawned worker 1") < 10


def test_logto(stockade_bin, tmp_path):
    port = free_port()
    logfile = tmp_path / "s.log"
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"), "--master",
                     "--logto", str(logfile)], port=port)
    try:
        get_json(port, "/pid")
    finally:
        inst.stop()
    assert "GET /pid" in logfile.read_text()
