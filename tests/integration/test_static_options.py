# SPDX-License-Identifier: MIT
"""add-header on app and static responses; offload-threads: a big static
file to a slow client does not hold the worker."""
import hashlib
import http.client
import os
import signal
import socket

import pytest

from conftest import APPS, Instance, free_port, read_stats, run_stockade, wait_for

PROBE = str(APPS / "probe.py")


def fetch(port, path, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path, headers={"Connection": "close"})
        r = c.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        c.close()


@pytest.fixture
def docroot(tmp_path):
    d = tmp_path / "www"
    d.mkdir()
    (d / "hello.txt").write_text("hello static\n")
    return d


def test_add_header_on_app_and_static_responses(docroot):
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", PROBE, "--master",
                     "--static-map", f"/s={docroot}",
                     "--add-header", "X-Frame-Options: DENY",
                     "--add-header", "Strict-Transport-Security:max-age=31536000",
                     "--add-header", "X-Frame-Options: SAMEORIGIN"], port=port)
    try:
        for path in ("/environ", "/s/hello.txt"):
            status, headers, body = fetch(port, path)
            assert status == 200, body
            # appended in order after the response's own, never merged (as uWSGI)
            assert [v for k, v in headers if k == "X-Frame-Options"] == ["DENY", "SAMEORIGIN"], headers
            assert ("Strict-Transport-Security", "max-age=31536000") in headers
        assert fetch(port, "/s/hello.txt")[2] == b"hello static\n"
    finally:
        inst.stop()


def test_add_header_without_colon_is_refused(tmp_path):
    ini = tmp_path / "app.ini"
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = {PROBE}\n"
                   "add-header = X-Broken\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode != 0
    assert f"{ini}:4" in r.stderr and "add-header" in r.stderr, r.stderr


def test_big_static_file_to_a_slow_client_does_not_hold_the_worker(docroot):
    big = docroot / "big.bin"
    with open(big, "wb") as f:
        f.truncate(256 * 1024 * 1024)
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", PROBE, "--master",
                     "--processes", "1", "--socket-timeout", "120", "--offload-threads", "1",
                     "--static-map", f"/s={docroot}"], port=port)
    slow = socket.socket()
    try:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", port))
        slow.sendall(b"GET /s/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        # the response has started (its head arrived), and the client reads no more
        wait_for(lambda: b"200 OK" in slow.recv(64, socket.MSG_PEEK), timeout=60,
                 what="big response started")
        # another client is served while the big file waits for the slow one
        # (deadline far below socket-timeout, the only other way out)
        status, _, body = fetch(port, "/s/hello.txt", timeout=30)
        assert status == 200 and body == b"hello static\n"
    finally:
        slow.close()
        inst.stop()



def offload_instance(docroot, *extra):
    port, sport = free_port(), free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", PROBE, "--master",
                     "--processes", "1", "--offload-threads", "2", "--stats", f"127.0.0.1:{sport}",
                     "--static-map", f"/s={docroot}", *extra], port=port)
    inst.sport = sport
    return inst, port


def offloaded(inst):
    return sum(c["offloaded_requests"] for w in read_stats(inst.sport)["workers"] for c in w["cores"])


@pytest.mark.parametrize("threads", ["1", "4"])
def test_offloaded_file_arrives_whole_and_is_counted(docroot, threads):
    data = os.urandom(3 * 1024 * 1024 + 17)
    (docroot / "rand.bin").write_bytes(data)
    inst, port = offload_instance(docroot, "--threads", threads)
    try:
        for _ in range(3):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/s/rand.bin")   # keep-alive asked: offloading closes after
            r = c.getresponse()
            assert r.status == 200
            assert hashlib.sha256(r.read()).digest() == hashlib.sha256(data).digest()
            c.close()
        # small files leave with the head, never offloaded
        assert fetch(port, "/s/hello.txt")[2] == b"hello static\n"
        wait_for(lambda: offloaded(inst) == 3, timeout=30, what="3 offloaded requests in stats")
    finally:
        inst.stop()


def test_offload_thread_closes_a_stalled_client_after_socket_timeout(docroot):
    big = docroot / "big.bin"
    with open(big, "wb") as f:
        f.truncate(256 * 1024 * 1024)
    inst, port = offload_instance(docroot, "--socket-timeout", "1")
    slow = socket.socket()
    try:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", port))
        slow.sendall(b"GET /s/big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_for(lambda: "took no data" in inst.log(), timeout=60, what="stalled client closed")
        assert fetch(port, "/s/hello.txt")[2] == b"hello static\n"
    finally:
        slow.close()
        inst.stop()


def test_graceful_stop_waits_for_an_offloaded_file(docroot):
    data = os.urandom(8 * 1024 * 1024)
    (docroot / "rand.bin").write_bytes(data)
    inst, port = offload_instance(docroot, "--socket-timeout", "60", "--worker-reload-mercy", "300")
    slow = socket.socket()
    try:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", port))
        slow.sendall(b"GET /s/rand.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        wait_for(lambda: b"200 OK" in slow.recv(64, socket.MSG_PEEK), timeout=60,
                 what="big response started")
        wait_for(lambda: offloaded(inst) == 1, timeout=30, what="the file offloaded")
        inst.proc.send_signal(signal.SIGTERM)   # the worker stops while the file is in flight
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)   # now read it fast
        got = b""
        slow.settimeout(60)
        while True:
            b = slow.recv(1 << 20)
            if not b:
                break
            got += b
        assert got.split(b"\r\n\r\n", 1)[1] == data
    finally:
        slow.close()
        inst.stop()

def fetch_enc(port, path, accept):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        hdrs = {"Connection": "close"}
        if accept:
            hdrs["Accept-Encoding"] = accept
        c.request("GET", path, headers=hdrs)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def gz_tree(docroot):
    import gzip
    (docroot / "app.js").write_text("plain js\n")
    (docroot / "app.js.gz").write_bytes(gzip.compress(b"gzipped js\n"))
    (docroot / "app.css").write_text("plain css\n")
    (docroot / "app.css.gz").write_bytes(gzip.compress(b"gzipped css\n"))
    (docroot / "app.css.br").write_bytes(b"brotli css bytes")
    (docroot / "only.txt").write_text("no variant\n")


def test_static_gzip_all_serves_the_variant_the_client_accepts(docroot):
    import gzip
    gz_tree(docroot)
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", PROBE, "--master",
                     "--static-map", f"/s={docroot}", "--static-gzip-all"], port=port)
    try:
        status, h, body = fetch_enc(port, "/s/app.js", "gzip, deflate")
        assert status == 200 and h.get("Content-Encoding") == "gzip"
        assert gzip.decompress(body) == b"gzipped js\n"
        assert h["Content-Type"] in ("application/javascript", "text/javascript")
        # br is preferred when both exist and are accepted (as uWSGI)
        status, h, body = fetch_enc(port, "/s/app.css", "gzip, br")
        assert h.get("Content-Encoding") == "br" and body == b"brotli css bytes"
        assert h["Content-Type"] == "text/css"
        # no Accept-Encoding, or no variant: the file itself
        status, h, body = fetch_enc(port, "/s/app.js", None)
        assert "Content-Encoding" not in h and body == b"plain js\n"
        status, h, body = fetch_enc(port, "/s/only.txt", "gzip")
        assert "Content-Encoding" not in h and body == b"no variant\n"
    finally:
        inst.stop()


def test_static_gzip_ext_and_dir_select_files(docroot, tmp_path):
    gz_tree(docroot)
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", PROBE, "--master",
                     "--static-map", f"/s={docroot}", "--static-gzip-ext", ".css"], port=port)
    try:
        assert fetch_enc(port, "/s/app.css", "gzip")[1].get("Content-Encoding") == "gzip"
        assert "Content-Encoding" not in fetch_enc(port, "/s/app.js", "gzip")[1]
    finally:
        inst.stop()
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", PROBE, "--master",
                     "--static-map", f"/s={docroot}",
                     "--static-gzip-prefix", str(docroot.resolve() / "app.j")], port=port)
    try:
        assert fetch_enc(port, "/s/app.js", "gzip")[1].get("Content-Encoding") == "gzip"
        assert "Content-Encoding" not in fetch_enc(port, "/s/app.css", "gzip")[1]
    finally:
        inst.stop()


def test_check_static_serves_docroot_plus_path_info(docroot, tmp_path):
    ini = tmp_path / "app.ini"
    port = free_port()
    ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{port}\nwsgi-file = {PROBE}\nmaster = true\n"
                   f"static-check = {docroot}\n")
    inst = Instance(["--ini", str(ini)], port=port)
    try:
        status, _, body = fetch(port, "/hello.txt")
        assert status == 200 and body == b"hello static\n"
        # not a file there: the app answers
        status, _, body = fetch(port, "/environ")
        assert status == 200 and b"PATH_INFO" in body
        # confined to the directory, as a static-map
        assert b"root:" not in fetch(port, "/../../../../etc/passwd")[2]
    finally:
        inst.stop()
    bad = tmp_path / "bad.ini"
    bad.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:{free_port()}\nwsgi-file = {PROBE}\n"
                   f"check-static = {tmp_path}/missing\n")
    r = run_stockade("--ini", str(bad))
    assert r.returncode != 0 and f"{bad}:4" in r.stderr, r.stderr
