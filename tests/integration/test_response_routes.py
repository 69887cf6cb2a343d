# SPDX-License-Identifier: MIT
"""response-route* rules (issue 21): run by the worker when the response
head is sent, on the app's answer, a static file or a route rule's answer:
headers added and removed, a status subject, log/donotlog, goto/continue,
and break/return replacing the app's response; the send and send-crnl
actions (raw bytes to the client)."""
import http.client
import socket

import pytest

from conftest import run_stockade, wait_for
from test_routes import request


def test_headers_status_log_goto(serve):
    inst = serve("--route", "^/both$ addheader:X-Req: 1",
                 "--route", "^/old$ redirect:/new",
                 "--response-route", "^/environ$ addheader:X-Resp: ${PATH_INFO} ${REQUEST_METHOD}",
                 "--response-route", "^/environ$ delheader:content-type",
                 "--response-route", "^/both$ delheader:X-Req",
                 "--response-route-status", "500 addheader:X-Failed: yes",
                 "--response-route-status", "302 addheader:X-Redirected: 1",
                 "--response-route-qs", "^quiet$ donotlog:",
                 "--response-route-qs", "^(lo)ud$ log:RESPONSE $1 ${PATH_INFO}",
                 "--response-route-if", "equal:${PATH_INFO};/jump goto:j",
                 "--response-route-host", "^stop\\.example$ last:",
                 "--response-route-run", "addheader:X-Not-Jumped: 1",
                 "--response-route-label", "j",
                 "--response-route-run", "addheader:X-End: 1", processes=1)
    status, h, body = request(inst.port, "/environ")
    assert status == 200 and h["x-resp"] == "/environ GET" and "content-type" not in h
    assert b'"PATH_INFO": "/environ"' in body                      # the app's body is untouched
    status, h, _ = request(inst.port, "/both")
    assert status == 200 and "x-req" not in h                      # a route addheader, removed after
    status, h, _ = request(inst.port, "/raise")                    # the app fails: 500
    assert status == 500 and h["x-failed"] == "yes"
    status, h, _ = request(inst.port, "/old")                      # a route rule's own answer
    assert status == 302 and h["location"] == "/new" and h["x-redirected"] == "1"
    status, h, _ = request(inst.port, "/jump")
    assert status == 200 and h["x-end"] == "1" and "x-not-jumped" not in h and "x-failed" not in h
    status, h, _ = request(inst.port, "/other", headers={"Host": "stop.example"})
    assert status == 200 and "x-end" not in h and "x-not-jumped" not in h    # last: no rule after
    status, h, _ = request(inst.port, "/other")
    assert h["x-not-jumped"] == "1" and h["x-end"] == "1"
    assert request(inst.port, "/environ?quiet")[0] == 200
    assert request(inst.port, "/environ?loud")[0] == 200
    # one worker logs in order: once the later request's line is there, the
    # earlier one would be too
    wait_for(lambda: "RESPONSE lo /environ" in inst.log() and "GET /environ?loud" in inst.log(),
             what="the log action and the request line")
    assert "GET /environ?quiet" not in inst.log()


def test_break_and_return_replace_the_response(serve):
    inst = serve("--response-route", "^/forbid$ break:403 Nope",
                 "--response-route", "^/stream$ return:404",
                 "--response-route", "^/drop$ break:",
                 "--response-route-status", "404 addheader:X-Never: 1", processes=1)
    status, h, body = request(inst.port, "/forbid")
    assert status == 403 and body == b"" and h["connection"] == "close"
    status, h, body = request(inst.port, "/stream")     # a generator body, discarded
    assert status == 404 and body == b"Not Found" and "x-never" not in h
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        request(inst.port, "/drop")                     # closed without a response, as uWSGI
    status, _, body = request(inst.port, "/")           # the worker goes on
    assert status == 200 and body == b"Hello, World!"


def test_bad_response_rule_is_file_line_error(tmp_path):
    cases = [
        ("response-route = ^/x$ redirect:/y", "cannot run once the app has answered"),
        ("response-route-run = setvar:A=b", "cannot run once the app has answered"),
        ("response-route-status = 99 addheader:X: y", "is not an HTTP status code"),
        ("response-route-run = goto:nowhere", "no response-route-label 'nowhere'"),
        ("response-route-status = 404", "has no action"),
    ]
    for rule, why in cases:
        ini = tmp_path / "bad.ini"
        ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:0\nmaster = true\nroute-label = nowhere\n{rule}\n")
        r = run_stockade("--ini", str(ini), "--wsgi-file", "/nonexistent.py")
        out = r.stdout + r.stderr
        assert r.returncode != 0 and f"{ini}:5" in out and why in out, (rule, out)


def raw_get(port, path, keepalive=False):
    """Every byte the server sends for one GET until it closes (deadline 20 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n{'' if keepalive else 'Connection: close'}\r\n\r\n".encode())
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                return data
            data += b


def test_send_and_send_crnl_write_raw_bytes(serve):
    inst = serve("--route", "^/raw$ send-crnl:HTTP/1.1 299 Raw",
                 "--route", "^/raw$ send-crnl:X-Path: ${PATH_INFO}",
                 "--route", "^/raw$ send-crnl:",
                 "--route", "^/raw$ send:raw ",
                 "--route", "^/raw$ send:body",
                 "--route", "^/raw$ break:",
                 "--route", "^/then-app$ send-crnl:X-Before: 1", processes=1)
    assert raw_get(inst.port, "/raw", keepalive=True) == b"HTTP/1.1 299 Raw\r\nX-Path: /raw\r\n\r\nraw body"
    # raw bytes, then the app's own response; the connection is not kept alive
    data = raw_get(inst.port, "/then-app", keepalive=True)
    assert data.startswith(b"X-Before: 1\r\nHTTP/1.1 200 OK\r\n") and data.endswith(b"Hello, World!")
    assert request(inst.port, "/")[0] == 200
