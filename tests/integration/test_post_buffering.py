# SPDX-License-Identifier: MIT
"""post-buffering: the body is read whole before the app runs (memory below
the limit, an unlinked temp file from it), wsgi.input reads it back."""
import hashlib
import json
import os
import socket
import time

import pytest

from conftest import APPS, Instance, free_port, wait_for

APP = str(APPS / "post_buffering.py")
MB = 1024 * 1024


def start(tmp_path, *extra):
    port = free_port()
    mark = str(tmp_path / "mark")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", APP, "--master",
                     # a busy machine may stall this client for seconds mid-body:
                     # socket-timeout far above that, not the behaviour tested
                     "--processes", "1", "--socket-timeout", "60", *extra], port=port,
                    env={"PB_MARK": mark, "TMPDIR": str(tmpdir)})
    return inst, port, mark, tmpdir


def read_response(s):
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def upload(port, body, mark, wait_app_first=False, chunked=False):
    """Sends body with the last byte held back until the mark file exists;
    wait_app_first: create it only once the app has started (the control)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        if chunked:
            head = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            s.sendall(head)
            for i in range(0, len(body) - 1, MB):
                part = body[i:min(i + MB, len(body) - 1)]
                s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            last = b"1\r\n" + body[-1:] + b"\r\n0\r\n\r\n"
        else:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                      % len(body))
            s.sendall(body[:-1])
            last = body[-1:]
        if wait_app_first:
            wait_for(lambda: os.path.exists(mark + ".started"), timeout=60, what="app started")
        with open(mark, "w") as f:
            f.write("1")
        s.sendall(last)
        status, data = read_response(s)
        assert status == 200, data[:300]
        return json.loads(data)
    finally:
        s.close()
        for p in (mark, mark + ".started"):
            if os.path.exists(p):
                os.unlink(p)


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


@pytest.mark.parametrize("threads", [1, 2])
def test_50mb_upload_buffered_to_a_temp_file(tmp_path, threads):
    inst, port, mark, tmpdir = start(tmp_path, "--post-buffering", "65536", "--threads", str(threads))
    try:
        # warm-up: the worker's pid and its memory before the upload
        first = upload(port, b"x" * 100, mark)
        assert first["len"] == 100 and first["after_mark"] and first["tmpfiles"] == []
        pid = first["pid"]
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")     # resets VmHWM: the peak below is this upload's
        body = os.urandom(50 * MB)
        try:
            r = upload(port, body, mark)
        except OSError:
            print(inst.log())
            raise
        assert r["len"] == len(body)
        assert r["sha256"] == hashlib.sha256(body).hexdigest()
        # the app started after the last byte was sent, not before
        assert r["after_mark"] is True
        # the body was in an unlinked file in $TMPDIR, not in memory
        assert len(r["tmpfiles"]) == 1, r["tmpfiles"]
        assert r["tmpfiles"][0].startswith(str(tmpdir) + "/stockade-body-")
        assert r["tmpfiles"][0].endswith("(deleted)")
        peak = vm(pid, "VmHWM")
        # ASan's shadow memory and quarantine add tens of MiB: the bound is for a normal build
        if "ASAN_OPTIONS" not in os.environ:
            assert peak < 40 * MB, f"worker peak RSS {peak >> 20} MiB for a 50 MiB body"
        assert os.listdir(tmpdir) == []
        # the temp file is closed after the request
        fds = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
        assert not [t for t in fds if "stockade-body-" in t]
    finally:
        log = inst.stop()
    assert "post-buffering:" not in log


def test_without_post_buffering_the_app_starts_before_the_body_ends(tmp_path):
    """The control: the same client sees the app start early without the option."""
    inst, port, mark, _ = start(tmp_path)
    try:
        body = os.urandom(2 * MB)
        r = upload(port, body, mark, wait_app_first=True)
        assert r["after_mark"] is False
        assert r["sha256"] == hashlib.sha256(body).hexdigest()
    finally:
        inst.stop()


def test_small_body_in_memory_and_chunked_spill(tmp_path):
    inst, port, mark, tmpdir = start(tmp_path, "--post-buffering", "1048576")
    try:
        small = os.urandom(200 * 1024)
        r = upload(port, small, mark)
        assert r["after_mark"] and r["tmpfiles"] == []
        assert r["sha256"] == hashlib.sha256(small).hexdigest()
        # chunked, below the limit: memory
        r = upload(port, small, mark, chunked=True)
        assert r["after_mark"] and r["tmpfiles"] == [] and r["len"] == len(small)
        assert r["sha256"] == hashlib.sha256(small).hexdigest()
        # chunked, past the limit: moved to a temp file on the way
        big = os.urandom(3 * MB + 17)
        r = upload(port, big, mark, chunked=True)
        assert r["after_mark"] and len(r["tmpfiles"]) == 1
        assert r["sha256"] == hashlib.sha256(big).hexdigest()
    finally:
        inst.stop()


def test_stalled_body_times_out_without_calling_the_app(tmp_path):
    inst, port, mark, _ = start(tmp_path, "--post-buffering", "4096",
                                "--request-body-timeout", "2", "--request-body-min-rate", "0")
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"y" * 5000)
        wait_for(lambda: "request body not complete" in inst.log(), timeout=60,
                 what="body timeout logged")
        s.close()
        assert not os.path.exists(mark + ".started"), "the app ran on a partial body"
        # the worker serves the next request
        r = upload(port, b"z" * 10, mark)
        assert r["len"] == 10
    finally:
        inst.stop()


def test_bad_value_is_refused(tmp_path):
    from conftest import run_stockade
    r = run_stockade("--http-socket", "127.0.0.1:1", "--wsgi-file", APP, "--post-buffering", "lots",
                     "--show-config")
    assert r.returncode != 0
    assert "post-buffering" in r.stderr


def test_limit_post_still_applies_while_buffering(tmp_path):
    from conftest import http_request
    inst, port, mark, tmpdir = start(tmp_path, "--post-buffering", "100", "--limit-post", "1000")
    try:
        status, _ = http_request(port, "/", "POST", b"q" * 5000, {"Connection": "close"})
        assert status == 413
        # chunked: the limit is found while buffering, before the app
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      b"Connection: close\r\n\r\n")
            s.sendall(b"bb8\r\n" + b"q" * 3000 + b"\r\n")
            try:
                s.sendall(b"bb8\r\n" + b"q" * 3000 + b"\r\n0\r\n\r\n")
            except OSError:
                pass    # the server may answer and close before it reads this
            status, _ = read_response(s)
        assert status == 413
        assert not os.path.exists(mark + ".started"), "the app ran on a body over limit-post"
        assert os.listdir(tmpdir) == []
    finally:
        inst.stop()
