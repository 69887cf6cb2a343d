# SPDX-License-Identifier: MIT
"""HTTP router (issue 21): `http =` in front of the workers (an internal
uwsgi socket when none is given), http-to round-robin with a dead node
skipped and retried, keep-alive and auto-chunking, http-var, PROXY v1/v2,
a WebSocket echo tunnelled after the backend's 101, slowloris held by the
router (not by the single worker), bodies larger than the router's buffer,
chunked bodies de-chunked, respawn of a killed router, bad option values,
and the shared HTTP conformance corpus through the router."""
import base64
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import (APPS, ROOT, Instance, free_port, get_json, http_request, read_stats, run_stockade,
                      wait_for)

PROBE = str(APPS / "probe.py")


def router(*args, port=None, app=True, processes=1):
    port = port or free_port()
    argv = ["--http", f"127.0.0.1:{port}", "--master", *args]
    if app:
        argv += ["--wsgi-file", PROBE, "--processes", str(processes)]
    return Instance(argv, port=port)


def recv_until(s, pred, timeout=20):
    """Bytes from s until pred(data) holds or the peer closes (deadline: timeout)."""
    s.settimeout(timeout)
    data = b""
    while not pred(data):
        b = s.recv(65536)
        if not b:
            break
        data += b
    return data


def responses(data):
    """Count of complete HTTP responses (with Content-Length) in data."""
    n = 0
    while True:
        m = re.match(rb"HTTP/1\.[01] \d{3} [^\r]*\r\n(.*?)\r\n\r\n", data, re.S)
        if not m:
            return n
        cl = re.search(rb"(?i)content-length: *(\d+)", m.group(1))
        end = m.end() + (int(cl.group(1)) if cl else 0)
        if len(data) < end:
            return n
        n += 1
        data = data[end:]


# ---- the basics ----------------------------------------------------------------------------


def test_internal_socket_vars_and_stop(stockade_bin):
    inst = router("--http-var", "ROUTED_BY=stockade", processes=2)
    try:
        env = get_json(inst.port, "/environ?x=1")
        assert env["UWSGI_ROUTER"] == "http"
        assert env["ROUTED_BY"] == "stockade"
        assert env["REMOTE_ADDR"] == "127.0.0.1"
        assert env["REMOTE_PORT"].isdigit()
        assert env["QUERY_STRING"] == "x=1"
        assert env["SERVER_PORT"] == str(inst.port)
    finally:
        log = inst.stop()
    assert re.search(r"uwsgi socket 0 bound to 127\.0\.0\.1:\d+", log), log
    assert "spawned uWSGI http 1" in log
    assert re.search(r"http router 1 \(pid: \d+\) stopped", log), log
    assert inst.proc.returncode == 0


def test_keepalive_pipelining_and_auto_chunked(stockade_bin):
    inst = router("--http-keepalive", "--http-auto-chunked")
    try:
        with socket.create_connection(("127.0.0.1", inst.port)) as s:
            req = b"GET /pid HTTP/1.1\r\nHost: a\r\n\r\n"
            s.sendall(req * 3)     # pipelined: answered in order on one connection
            data = recv_until(s, lambda d: responses(d) == 3)
            assert responses(data) == 3, data
            assert b"Connection: close" not in data
            # no length from the app: chunked, and the connection stays open
            s.sendall(b"GET /stream HTTP/1.1\r\nHost: a\r\n\r\n")
            data = recv_until(s, lambda d: d.endswith(b"0\r\n\r\n"))
            assert b"Transfer-Encoding: chunked" in data
            assert b"part4\n" in data
            s.sendall(b"GET /pid HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            data = recv_until(s, lambda d: False)   # until the router closes
            assert responses(data) == 1 and b"Connection: close" in data
    finally:
        inst.stop()


def test_no_keepalive_by_default(stockade_bin):
    inst = router()
    try:
        with socket.create_connection(("127.0.0.1", inst.port)) as s:
            s.sendall(b"GET /pid HTTP/1.1\r\nHost: a\r\n\r\nGET /pid HTTP/1.1\r\nHost: a\r\n\r\n")
            data = recv_until(s, lambda d: False)
        assert responses(data) == 1 and b"Connection: close" in data
    finally:
        inst.stop()


def test_bodies_large_and_chunked(stockade_bin):
    inst = router()
    try:
        big = os.urandom(300 * 1024).hex().encode()[:300 * 1024]   # beyond the router's 64 KiB buffer
        st, body = http_request(inst.port, "/echo", "POST", big, {"Connection": "close"})
        assert st == 200 and json.loads(body)["len"] == len(big)
        with socket.create_connection(("127.0.0.1", inst.port)) as s:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            data = recv_until(s, lambda d: responses(d) == 1)
        got = json.loads(data.split(b"\r\n\r\n", 1)[1])
        assert got["body"] == "hello world"
        # a smuggling attempt is refused by the router, never forwarded
        with socket.create_connection(("127.0.0.1", inst.port)) as s:
            s.sendall(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /pid HTTP/1.1\r\n\r\n")
            data = recv_until(s, lambda d: False)
        assert data.startswith(b"HTTP/1.1 400 ") and responses(data) == 1
    finally:
        log = inst.stop()
    assert "invalid request (400)" in log


def test_router_respawned_after_kill(stockade_bin):
    inst = router()
    try:
        get_json(inst.port, "/pid")
        pid = int(re.search(r"spawned uWSGI http 1 \(pid: (\d+)\)", inst.log()).group(1))
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: "uWSGI http 1 (pid: %d) died (signal 9), respawning" % pid in inst.log(),
                 what="router respawn")
        assert get_json(inst.port, "/pid")["pid"] > 0
    finally:
        inst.stop()


def test_bad_options(stockade_bin):
    r = run_stockade("--http", "127.0.0.1:0", "--http-var", "NOEQUALS", "--wsgi-file", PROBE, "--master")
    assert r.returncode == 1 and "http-var: 'NOEQUALS' is not KEY=VALUE" in r.stderr
    r = run_stockade("--http", "127.0.0.1:0", "--http-modifier1", "300", "--wsgi-file", PROBE, "--master")
    assert r.returncode == 1 and "a modifier is 0-255" in r.stderr
    r = run_stockade("--http", "127.0.0.1:0", "--http-to", "=1", "--master")
    assert r.returncode == 1 and "http-to: bad address '=1'" in r.stderr


# ---- http-to: round-robin, dead nodes ------------------------------------------------------


def backend(port):
    return Instance(["--socket", f"127.0.0.1:{port}", "--wsgi-file", PROBE, "--master",
                     "--processes", "1"], port=port)


def test_http_to_round_robin_dead_node_retried(stockade_bin):
    p1, p2, dead = free_port(), free_port(), free_port()
    b1, b2 = backend(p1), backend(p2)
    inst = None
    try:
        inst = router("--http-to", f"127.0.0.1:{p1}", "--http-to", f"127.0.0.1:{dead}",
                      "--http-to", f"127.0.0.1:{p2}", "--http-gracetime", "1", app=False)
        pids = {get_json(inst.port, "/pid")["pid"] for _ in range(6)}
        assert len(pids) == 2, pids      # both live nodes, every request answered
        assert f"backend 127.0.0.1:{dead} unavailable" in inst.log()
        b2.stop()
        for _ in range(4):                # the node that died is skipped
            assert get_json(inst.port, "/pid")["pid"] in pids
        b1.stop()
        st, body = http_request(inst.port, "/pid", headers={"Connection": "close"})
        assert st == 502 and b"Bad Gateway" in body
        b2 = backend(p2)                  # back: tried again after http-gracetime
        wait_for(lambda: get_json(inst.port, "/pid")["pid"] not in pids, what="the node back in rotation")
    finally:
        for i in (inst, b1, b2):
            if i:
                i.stop()
    assert "spawned worker" not in inst.log()     # a router alone: no workers, no app


# ---- PROXY protocol ------------------------------------------------------------------------


def test_proxy_protocol_v1_v2(stockade_bin):
    inst = router("--http-enable-proxy-protocol")

    def environ(prefix):
        with socket.create_connection(("127.0.0.1", inst.port)) as s:
            s.sendall(prefix + b"GET /environ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            data = recv_until(s, lambda d: False)
        head, body = data.split(b"\r\n\r\n", 1)
        return head, body

    try:
        head, body = environ(b"PROXY TCP4 203.0.113.7 192.0.2.1 5555 80\r\n")
        env = json.loads(body)
        assert (env["REMOTE_ADDR"], env["REMOTE_PORT"]) == ("203.0.113.7", "5555")
        v2 = (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x21]) + struct.pack(">H", 36) +
              socket.inet_pton(socket.AF_INET6, "2001:db8::9") + socket.inet_pton(socket.AF_INET6, "2001:db8::1") +
              struct.pack(">HH", 4242, 443))
        env = json.loads(environ(v2)[1])
        assert (env["REMOTE_ADDR"], env["REMOTE_PORT"]) == ("2001:db8::9", "4242")
        env = json.loads(environ(b"")[1])          # optional, as in uWSGI
        assert env["REMOTE_ADDR"] == "127.0.0.1"
        head, _ = environ(b"PROXY TCP4 999.1.1.1 192.0.2.1 5555 80\r\n")
        assert head.startswith(b"HTTP/1.1 400 ")
    finally:
        log = inst.stop()
    assert "invalid PROXY protocol header" in log


# ---- WebSocket through the router ---------------------------------------------------------


def ws_frame(payload, mask=None):
    head = bytes([0x81])
    n = len(payload)
    assert n < 126
    if mask is None:
        return head + bytes([n]) + payload
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + bytes([0x80 | n]) + mask + masked


def ws_read(buf):
    """(payload, rest) of one frame in buf, or None if incomplete."""
    if len(buf) < 2:
        return None
    n, masked = buf[1] & 0x7f, buf[1] & 0x80
    start = 2 + (4 if masked else 0)
    if len(buf) < start + n:
        return None
    data = buf[start:start + n]
    if masked:
        mask = buf[2:6]
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    return data, buf[start + n:]


class WsBackend(threading.Thread):
    """A uwsgi-protocol backend that answers an Upgrade with 101 and echoes frames."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.vars = None

    def run(self):
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        with c:
            c.settimeout(30)
            buf = b""
            while len(buf) < 4 or len(buf) < 4 + struct.unpack("<H", buf[1:3])[0]:
                buf += c.recv(65536)
            size = struct.unpack("<H", buf[1:3])[0]
            block, buf = buf[4:4 + size], buf[4 + size:]
            v, i = {}, 0
            while i < len(block):
                kl = struct.unpack("<H", block[i:i + 2])[0]
                k = block[i + 2:i + 2 + kl]
                i += 2 + kl
                vl = struct.unpack("<H", block[i:i + 2])[0]
                v[k.decode()] = block[i + 2:i + 2 + vl].decode()
                i += 2 + vl
            self.vars = v
            accept = base64.b64encode(hashlib.sha1((v["HTTP_SEC_WEBSOCKET_KEY"] +
                                                    "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            while True:
                f = ws_read(buf)
                if f is None:
                    b = c.recv(65536)
                    if not b:
                        return
                    buf += b
                    continue
                payload, buf = f
                if payload == b"bye":
                    return
                c.sendall(ws_frame(b"echo:" + payload))


def test_websocket_echo(stockade_bin):
    be = WsBackend()
    be.start()
    inst = router("--http-to", f"127.0.0.1:{be.port}", app=False)
    try:
        key = base64.b64encode(os.urandom(16))
        with socket.create_connection(("127.0.0.1", inst.port)) as s:
            s.sendall(b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n\r\n")
            data = recv_until(s, lambda d: b"\r\n\r\n" in d)
            head, rest = data.split(b"\r\n\r\n", 1)
            assert head.startswith(b"HTTP/1.1 101 ")
            for word in (b"hello", b"world"):
                s.sendall(ws_frame(word, os.urandom(4)))
                rest = recv_until(s, lambda d: ws_read(d) is not None, timeout=20) if not ws_read(rest) else rest
                payload, rest = ws_read(rest)
                assert payload == b"echo:" + word
            s.sendall(ws_frame(b"bye", os.urandom(4)))
            assert recv_until(s, lambda d: False) == b""   # the backend closed: so does the router
        assert be.vars["HTTP_UPGRADE"] == "websocket" and be.vars["UWSGI_ROUTER"] == "http"
    finally:
        inst.stop()
        be.sock.close()


# ---- slow clients --------------------------------------------------------------------------


def test_slowloris_held_by_router(stockade_bin):
    # one worker: if the slow clients reached it, the normal request would wait behind them
    inst = router("--http-headers-timeout", "2", processes=1)
    slow = []
    try:
        for _ in range(40):
            s = socket.create_connection(("127.0.0.1", inst.port))
            s.sendall(b"GET /pid HTTP/1.1\r\nHost: a\r\n")
            slow.append(s)
        assert get_json(inst.port, "/pid")["pid"] > 0
        # trickling bytes does not renew the head deadline: every slow client is cut off
        deadline = time.monotonic() + 60
        closed = set()
        while len(closed) < len(slow) and time.monotonic() < deadline:
            for i, s in enumerate(slow):
                if i in closed:
                    continue
                try:
                    s.sendall(b"X")
                    s.settimeout(0.01)
                    d = s.recv(4096)
                    if not d or d.startswith(b"HTTP/1.1 408 "):
                        closed.add(i)
                except socket.timeout:
                    pass
                except OSError:
                    closed.add(i)
            time.sleep(0.2)
        assert len(closed) == len(slow)
    finally:
        for s in slow:
            s.close()
        log = inst.stop()
    assert "request head not received within 2 s" in log


# ---- the shared conformance corpus -----------------------------------------------------------


def test_conformance_corpus_through_router(stockade_bin):
    runner = next((p for p in (ROOT.parent / "shared", ROOT.parent.parent / "shared")
                   if (p / "conformance" / "run-http-vectors.py").exists()), None)
    if runner is None:
        pytest.skip("../shared/conformance not present")
    runner = runner / "conformance" / "run-http-vectors.py"
    port = free_port()
    inst = Instance(["--http", f"127.0.0.1:{port}", "--wsgi-file", str(runner.parent / "echo_app.py"),
                     "--master", "--processes", "2", "--disable-logging", "--http-keepalive"], port=port)
    try:
        r = subprocess.run(["/usr/bin/python3", str(runner), f"127.0.0.1:{port}"], capture_output=True,
                           text=True, timeout=300)
    finally:
        inst.stop()
    assert "341 passed, 0 failed" in r.stdout, r.stdout[-3000:]


# ---- subscriptions -----------------------------------------------------------------------------


def site(*how):
    """A one-worker instance with how (its subscribe options) and its worker's pid."""
    port = free_port()
    inst = Instance(["--socket", f"127.0.0.1:{port}", "--wsgi-file", PROBE, "--master", "--processes", "1",
                     "--subscribe-freq", "1", *how], port=port)
    inst.worker = int(wait_for(lambda: re.search(r"spawned worker 1 \(pid: (\d+)\)", inst.log()),
                               what="worker pid").group(1))
    inst.addr = f"127.0.0.1:{port}"
    return inst


def subscriber(sub, key, *extra, weight=None):
    how = (["--subscribe2", f"server={sub},key={key},weight={weight}"] if weight
           else ["--subscribe-to", f"{sub}:{key}"])
    return site(*how, *extra)


def by_host(port, host):
    st, body = http_request(port, "/pid", headers={"Host": host, "Connection": "close"})
    return st, (json.loads(body)["pid"] if st == 200 else body)


def test_subscriptions_host_weights_unsubscribe_death_expiry(stockade_bin, tmp_path):
    sub = str(tmp_path / "sub.sock")      # a unix datagram subscription server
    port, stats = free_port(), free_port()
    r = Instance(["--http", f"127.0.0.1:{port}", "--http-subscription-server", sub, "--chmod-socket=600",
                  "--subscription-tolerance", "3", "--http-stats", f"127.0.0.1:{stats}", "--master"], port=port)

    def nodes_of(key):
        keys = {k["key"]: k for k in read_stats(stats)["subscriptions"]}
        return {n["name"]: n for n in keys[key]["nodes"]} if key in keys else {}

    nodes = []
    try:
        assert oct(os.stat(sub).st_mode & 0o777) == "0o600"
        a1 = subscriber(sub, "a.example")
        a2 = subscriber(sub, "a.example", weight=3)
        b1 = subscriber(sub, "b.example")
        nodes += [a1, a2, b1]
        for n, key in ((a1, "a.example"), (a2, "a.example"), (b1, "b.example")):
            wait_for(lambda: f"new node: {key} => {n.addr}" in r.log(), what=f"{key} subscribed")
        assert {by_host(port, "b.example") for _ in range(3)} == {(200, b1.worker)}
        got = [by_host(port, "a.example")[1] for _ in range(40)]
        assert (got.count(a1.worker), got.count(a2.worker)) == (10, 30)     # weights 1 and 3
        n = nodes_of("a.example")          # http-stats, uWSGI's layout
        assert (n[a1.addr]["requests"], n[a2.addr]["requests"], n[a2.addr]["weight"]) == (10, 30, 3)
        st, body = by_host(port, "nobody.example")
        assert st == 404 and b"404 Not Found" in body
        a1.stop()                                     # unsubscribes on stop
        assert "unsubscribing from" in a1.log()
        wait_for(lambda: f"a.example => removing node {a1.addr}" in r.log(), what="unsubscribe")
        assert {by_host(port, "a.example") for _ in range(4)} == {(200, a2.worker)}
        a2.stop(signal.SIGKILL)                       # dies without a word: refused, then 503
        wait_for(lambda: by_host(port, "a.example")[0] == 503, what="503 for a dead key")
        n = nodes_of("a.example")[a2.addr]
        assert n["failcnt"] >= 1 and n["death_mark"] == 1
        wait_for(lambda: f"a.example => node {a2.addr} expired" in r.log(), what="expiry")
        assert by_host(port, "a.example")[0] == 404
        assert by_host(port, "b.example") == (200, b1.worker)   # refreshed: never expires
    finally:
        for n in nodes:
            n.stop()
        log = r.stop()
    assert f"node {a2.addr} of key a.example unavailable" in log


def test_subscription_bad_packets_logged(stockade_bin):
    port, sport = free_port(), free_port()
    r = Instance(["--http", f"127.0.0.1:{port}", "--http-subscription-server", f"127.0.0.1:{sport}", "--master"],
                 port=port)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"\xe0\x05\x00\x00abc", ("127.0.0.1", sport))
            s.sendto(b"\x00\x00\x00\x00", ("127.0.0.1", sport))
            kv = b"".join(struct.pack("<H", len(k)) + k + struct.pack("<H", len(v)) + v
                          for k, v in ((b"key", b"x.example"), (b"address", b"127.0.0.1:1"), (b"weight", b"-1")))
            s.sendto(bytes([224]) + struct.pack("<H", len(kv)) + b"\x00" + kv, ("127.0.0.1", sport))
        wait_for(lambda: r.log().count("subscription from 127.0.0.1:") >= 3, what="three bad packets logged")
        log = r.log()
        assert "not a subscription packet" in log and "bad weight" in log
        assert http_request(port, "/", headers={"Host": "x.example"})[0] == 404
    finally:
        r.stop()
    assert r.proc.returncode == 0


def test_emperor_router_and_vassals_end_to_end(stockade_bin, tmp_path):
    vdir = tmp_path / "vassals"
    vdir.mkdir()
    sub = tmp_path / "sub.sock"
    port = free_port()
    (vdir / "router.ini").write_text(f"[uwsgi]\nmaster = true\nhttp = 127.0.0.1:{port}\n"
                                     f"http-subscription-server = {sub}\nchmod-socket = 600\n")
    sites = {}
    for name in ("one", "two"):
        p = free_port()
        sites[name] = p
        (vdir / f"{name}.ini").write_text(
            f"[uwsgi]\nmaster = true\nsocket = 127.0.0.1:{p}\nwsgi-file = {PROBE}\nprocesses = 1\n"
            f"subscribe-to = {sub}:{name}.example\nsubscribe-freq = 1\n")
    e = Instance(["--emperor", str(vdir)], wait=False)
    try:
        pids = {}
        for name in sites:
            pids[name] = wait_for(lambda: by_host(port, f"{name}.example")[0] == 200 and
                                  by_host(port, f"{name}.example")[1], what=f"{name}.example routed", timeout=60)
        assert pids["one"] != pids["two"]
        assert by_host(port, "three.example")[0] == 404
        (vdir / "one.ini").unlink()          # the vassal stops and unsubscribes
        wait_for(lambda: by_host(port, "one.example")[0] == 404, what="one.example withdrawn", timeout=60)
        assert by_host(port, "two.example") == (200, pids["two"])
    finally:
        log = e.stop()
    assert "unsubscribing from" in log


@pytest.mark.skipif(os.geteuid() != 0 or not __import__("shutil").which("unshare"), reason="needs root")
def test_jailed_vassal_subscribes_from_inside_its_jail(stockade_bin, tmp_path):
    from jailfs import Jailed, Rootfs, jail_name, registry
    sub = tmp_path / "sub.sock"            # on the host, outside the jail's root
    port = free_port()
    r = Instance(["--http", f"127.0.0.1:{port}", "--http-subscription-server", str(sub), "--master"], port=port)
    rootfs = Rootfs(tmp_path / "jail")
    name = jail_name()
    jport = free_port()
    j = Jailed(["--jail", f"{rootfs.path} jailedsite {name}", "--http-socket", f"127.0.0.1:{jport}",
                "--socket", "/out/app.sock", "--wsgi-file", rootfs.app, "--master", "--processes", "1",
                "--subscribe-to", f"{sub}:jail.example", "--subscribe-freq", "1"], rootfs=rootfs, port=jport)
    try:
        host_path = f"{rootfs.path}/out/app.sock"     # the jail's socket, by its host-side path
        wait_for(lambda: f"new node: jail.example => {host_path}" in r.log(), what="jailed subscription")
        st, body = http_request(port, "/", headers={"Host": "jail.example", "Connection": "close"})
        assert st == 200 and json.loads(body)["hostname"] == "jailedsite"
    finally:
        j.stop()
        if registry(name).exists():
            run_stockade("--jail-remove", name)
        log = r.stop()
    assert f"jail.example => removing node {host_path}" in log


# ---- fastrouter (uwsgi-protocol clients) ------------------------------------------------------


def uwsgi_packet(env, body=b""):
    kv = b"".join(struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode()
                  for k, v in env.items())
    return bytes([0]) + struct.pack("<H", len(kv)) + b"\x00" + kv + body


def test_fastrouter_subscription_and_static(stockade_bin):
    fport, sport, stats = free_port(), free_port(), free_port()
    r = Instance(["--fastrouter", f"127.0.0.1:{fport}", "--fastrouter-subscription-server", f"127.0.0.1:{sport}",
                  "--fastrouter-stats", f"127.0.0.1:{stats}", "--fastrouter-timeout", "30", "--master"], port=fport)
    site = subscriber(f"127.0.0.1:{sport}", "fr.example")

    def ask(env, body=b""):
        with socket.create_connection(("127.0.0.1", fport)) as s:
            s.sendall(uwsgi_packet(env, body))
            return recv_until(s, lambda d: False)

    base = {"REQUEST_METHOD": "POST", "PATH_INFO": "/echo", "QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_NAME": "ignored", "CONTENT_LENGTH": "5"}
    try:
        wait_for(lambda: f"new node: fr.example => {site.addr}" in r.log(), what="fastrouter subscription")
        out = ask({**base, "HTTP_HOST": "fr.example"}, b"hello")
        assert out.split(b"\r\n", 1)[0].endswith(b"200 OK"), out
        assert json.loads(out.split(b"\r\n\r\n", 1)[1])["body"] == "hello"
        # UWSGI_FASTROUTER_KEY wins over HTTP_HOST, as in uWSGI
        out = ask({**base, "HTTP_HOST": "other", "UWSGI_FASTROUTER_KEY": "fr.example"}, b"world")
        assert json.loads(out.split(b"\r\n\r\n", 1)[1])["body"] == "world"
        assert ask({**base, "HTTP_HOST": "nobody.example"}, b"hello") == b""   # closed, no HTTP page
        with socket.create_connection(("127.0.0.1", fport)) as s:
            s.sendall(b"\x00\x04\x00\x00\x00\x00\x00\x00")                    # a zero-length key
            assert recv_until(s, lambda d: False) == b""
        keys = {k["key"]: k for k in read_stats(stats)["subscriptions"]}
        assert keys["fr.example"]["nodes"][0]["requests"] == 2
    finally:
        site.stop()
        log = r.stop()
    assert "fastrouter: 127.0.0.1:" in log and "invalid uwsgi packet" in log
    assert "spawned worker" not in log
