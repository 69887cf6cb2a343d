# SPDX-License-Identifier: MIT
"""Signed subscriptions (issue 21): a router with subscriptions-sign-check
accepts a key's announces only when signed by the private key matching
<dir>/<key>.pem. Another tenant (another key pair), an unsigned announce
and a key without a .pem are dropped and logged with the peer; a captured
packet cannot be replayed, flipped from subscribe to unsubscribe (the
command is in the unsigned header), nor resurrect a removed node; a time
outside the tolerance is refused. uWSGI signs and checks the same packets:
a Debian uWSGI instance subscribes to Stockade's router and a Stockade
instance to uWSGI's router."""
import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import subprocess
import time

import pytest

from conftest import APPS, Instance, free_port, read_stats, run_stockade, wait_for
from test_router import by_host, site

PROBE = str(APPS / "probe.py")


@pytest.fixture
def keys(tmp_path):
    """Two tenants' key pairs; the router's directory holds a's public key as
    a.example.pem and c.example.pem."""
    d = tmp_path / "keys"
    (d / "pub").mkdir(parents=True)
    for t in ("a", "b"):
        subprocess.run(["openssl", "genrsa", "-out", str(d / f"{t}.key"), "2048"], check=True, capture_output=True)
    subprocess.run(["openssl", "rsa", "-in", str(d / "a.key"), "-pubout", "-out", str(d / "pub" / "a.example.pem")],
                   check=True, capture_output=True)
    shutil.copy(d / "pub" / "a.example.pem", d / "pub" / "c.example.pem")
    return d


def router(keys, *extra):
    port, sport, stats = free_port(), free_port(), free_port()
    r = Instance(["--http", f"127.0.0.1:{port}", "--http-subscription-server", f"127.0.0.1:{sport}",
                  "--subscriptions-sign-check", f"SHA256:{keys / 'pub'}", "--http-stats", f"127.0.0.1:{stats}",
                  "--master", *extra], port=port)
    r.sport, r.stats = sport, stats
    return r


def nodes_of(stats, key):
    keys = {k["key"]: k for k in read_stats(stats)["subscriptions"]}
    return {n["name"] for n in keys[key]["nodes"]} if key in keys else set()


def test_signed_accepted_other_tenant_unsigned_and_unknown_key_dropped(stockade_bin, keys):
    r = router(keys)
    server = f"127.0.0.1:{r.sport}"
    sites = []
    try:
        a = site("--subscribe2", f"server={server},key=a.example,sign=SHA256:{keys / 'a.key'}")
        sites.append(a)
        wait_for(lambda: f"new node: a.example => {a.addr}" in r.log(), what="signed subscription accepted")
        assert by_host(r.port, "a.example") == (200, a.worker)
        # tenant b signs for a's domain with its own key (subscribe-to's third item)
        b = site("--subscribe-to", f"{server}:a.example,0,SHA256:{keys / 'b.key'}")
        u = site("--subscribe-to", f"{server}:a.example")               # unsigned
        c = site("--subscribe2", f"server={server},key=nokey.example,sign=SHA256:{keys / 'b.key'}")
        sites += [b, u, c]
        wait_for(lambda: r.log().count("for key 'a.example': bad signature, dropped") >= 2, what="bad signature")
        wait_for(lambda: r.log().count("for key 'a.example': unsigned, dropped") >= 2, what="unsigned dropped")
        wait_for(lambda: "for key 'nokey.example': no public key" in r.log(), what="unknown key dropped")
        log = r.log()
        assert re.search(r"subscription from 127\.0\.0\.1:\d+ for key 'a\.example': bad signature", log)
        assert f"=> {b.addr}" not in log and f"=> {u.addr}" not in log and f"=> {c.addr}" not in log
        assert nodes_of(r.stats, "a.example") == {a.addr}
        assert {by_host(r.port, "a.example") for _ in range(6)} == {(200, a.worker)}
        assert by_host(r.port, "nokey.example")[0] == 404
        a.stop()                                   # a signed unsubscribe
        wait_for(lambda: f"a.example => removing node {a.addr}" in r.log(), what="signed unsubscribe")
        assert by_host(r.port, "a.example")[0] == 404
    finally:
        for s in sites:
            s.stop()
        r.stop()
    assert r.proc.returncode == 0


def packet(keyfile, key, addr, unix, cmd=0, sign=True, extra=()):
    """A subscription packet as uWSGI builds it: the vars, "unix", then
    "sign" over the vars before it (openssl's PKCS#1 v1.5 SHA-256)."""
    kv = lambda k, v: struct.pack("<H", len(k)) + k + struct.pack("<H", len(v)) + v  # noqa: E731
    body = b"".join(kv(k, v) for k, v in ((b"key", key.encode()), (b"address", addr.encode()),
                                          (b"modifier1", b"0"), (b"modifier2", b"0"), (b"weight", b"1"),
                                          (b"unix", str(unix).encode())))
    if sign:
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(keyfile)], input=body,
                             capture_output=True, check=True).stdout
        body += kv(b"sign", sig)
    body += b"".join(kv(k, v) for k, v in extra)
    return bytes([224]) + struct.pack("<H", len(body)) + bytes([cmd]) + body


def test_replayed_flipped_and_old_packets_dropped(stockade_bin, keys):
    r = router(keys)
    ak = keys / "a.key"

    def send(p):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(p, ("127.0.0.1", r.sport))

    def dropped(what, n):
        wait_for(lambda: r.log().count(what) >= n, what=f"{n} x '{what}'")

    replay = "replayed or out-of-order packet"
    try:
        now = int(time.time())
        p1 = packet(ak, "c.example", "127.0.0.1:1", now)
        send(p1)
        wait_for(lambda: "new node: c.example => 127.0.0.1:1" in r.log(), what="crafted signed packet accepted")
        send(p1)                                            # the same packet again
        dropped(replay, 1)
        send(p1[:3] + b"\x01" + p1[4:])                     # its header flipped to unsubscribe
        dropped(replay, 2)
        assert nodes_of(r.stats, "c.example") == {"127.0.0.1:1"}
        assert by_host(r.port, "c.example")[0] == 503     # still there (nothing listens on port 1)
        send(packet(ak, "c.example", "127.0.0.1:2", now - 90000))   # older than the tolerance (1 day)
        send(packet(ak, "c.example", "127.0.0.1:3", now + 90000))   # from the far future
        dropped("timestamp outside subscriptions-sign-check-tolerance", 2)
        send(packet(ak, "c.example", "127.0.0.1:4", now, extra=((b"weight", b"9"),)))   # a var after sign
        dropped("sign is not the last var", 1)
        send(packet(ak, "c.example", "127.0.0.1:5", now, sign=False))
        dropped("for key 'c.example': unsigned, dropped", 1)
        send(packet(ak, "c.example", "127.0.0.1:1", now + 1, cmd=1))   # a genuine unsubscribe
        wait_for(lambda: "c.example => removing node 127.0.0.1:1" in r.log(), what="signed unsubscribe")
        assert by_host(r.port, "c.example")[0] == 404
        send(p1)                                            # the old subscribe cannot bring it back
        dropped(replay, 3)
        assert by_host(r.port, "c.example")[0] == 404 and nodes_of(r.stats, "c.example") == set()
        send(packet(ak, "c.example", "127.0.0.1:1", now + 2))   # a newer one does
        wait_for(lambda: r.log().count("new node: c.example => 127.0.0.1:1") == 2, what="new announce accepted")
        # a key cut by a NUL: its signature checks against c.example_8080.pem
        # (another tenant's key for c.example:8080), its table key would be c.example
        shutil.copy(keys / "pub" / "a.example.pem", keys / "pub" / "c.example_8080.pem")
        send(packet(ak, "c.example\x008080", "127.0.0.1:6", now + 3))
        dropped("control character in key", 1)
        log = r.log()
        for port in (2, 3, 4, 5, 6):
            assert f"=> 127.0.0.1:{port}" not in log
    finally:
        r.stop()
    assert r.proc.returncode == 0


def test_bad_sign_options(stockade_bin, keys, tmp_path):
    r = run_stockade("--http", "127.0.0.1:0", "--http-subscription-server", "127.0.0.1:0",
                     "--subscriptions-sign-check", f"NOSUCHDIGEST:{keys}", "--master")
    assert r.returncode == 1 and "unknown digest algorithm 'NOSUCHDIGEST'" in r.stderr
    r = run_stockade("--http", "127.0.0.1:0", "--http-subscription-server", "127.0.0.1:0",
                     "--subscriptions-sign-check", f"SHA256:{tmp_path}/nowhere", "--master")
    assert r.returncode == 1 and "No such file or directory" in r.stderr
    r = run_stockade("--http", "127.0.0.1:0", "--http-subscription-server", "127.0.0.1:0",
                     "--subscriptions-sign-check", str(keys), "--master")
    assert r.returncode == 1 and "expected DIGEST:PATH" in r.stderr
    ini = tmp_path / "site.ini"
    ini.write_text(f"[uwsgi]\nmaster = true\nsocket = 127.0.0.1:0\nwsgi-file = {PROBE}\n"
                   f"subscribe2 = server=127.0.0.1:1,key=a.example,sign=SHA256:{keys / 'pub' / 'a.example.pem'}\n")
    r = run_stockade("--ini", str(ini))
    assert r.returncode == 1 and f"{ini}:5: subscribe2" in r.stderr and "not a PEM private key" in r.stderr


@pytest.mark.skipif(not shutil.which("uwsgi"), reason="Debian's uwsgi is not installed")
def test_uwsgi_interoperates_both_ways(stockade_bin, keys):
    r = router(keys)
    uport = free_port()
    u = subprocess.Popen(["uwsgi", "--socket", f"127.0.0.1:{uport}", "--master", "--subscribe-freq", "1",
                          "--subscribe2", f"server=127.0.0.1:{r.sport},key=a.example,sign=SHA256:{keys / 'a.key'}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hport, husport = free_port(), free_port()
    ulog = keys / "uwsgi-router.log"
    ur = subprocess.Popen(["uwsgi", "--plugin", "corerouter,http", "--http", f"127.0.0.1:{hport}",
                           "--http-subscription-server", f"127.0.0.1:{husport}", "--master",
                           "--subscriptions-sign-check", f"SHA256:{keys / 'pub'}", "--logto", str(ulog)])
    sites = []
    try:
        # uWSGI signs, Stockade checks
        wait_for(lambda: f"new node: a.example => 127.0.0.1:{uport}" in r.log(), what="uWSGI's signed announce")
        # Stockade signs, uWSGI checks (and drops the other tenant's announce)
        a = site("--subscribe2", f"server=127.0.0.1:{husport},key=a.example,sign=SHA256:{keys / 'a.key'}")
        b = site("--subscribe2", f"server=127.0.0.1:{husport},key=a.example,sign=SHA256:{keys / 'b.key'}")
        sites += [a, b]
        wait_for(lambda: ulog.exists() and f"a.example => new node: {a.addr}" in ulog.read_text(),
                 what="uWSGI router accepted Stockade's signed announce")
        wait_for(lambda: a.log().count("subscribing to") >= 1 and b.log().count("subscribing to") >= 1,
                 what="both announced")
        assert wait_for(lambda: by_host(hport, "a.example") == (200, a.worker), what="routed by uWSGI")
        assert b.addr not in ulog.read_text()
    finally:
        for s in sites:
            s.stop()
        for p in (u, ur):
            p.send_signal(2)        # SIGINT: uWSGI's SIGTERM is a reload
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        r.stop()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to send as other uids")
def test_skip_uid_trusts_unix_socket_credentials(stockade_bin, keys):
    d = tempfile.mkdtemp(prefix="stockade-subcred-")
    os.chmod(d, 0o755)
    sub = os.path.join(d, "sub.sock")
    port = free_port()
    r = Instance(["--http", f"127.0.0.1:{port}", "--http-subscription-server", sub, "--chmod-socket=666",
                  "--subscriptions-sign-check", f"SHA256:{keys / 'pub'}", "--subscriptions-use-credentials",
                  "--subscriptions-sign-skip-uid", "65534", "--master"], port=port)
    send = ("import socket, sys; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); "
            "s.sendto(bytes.fromhex(sys.argv[2]), sys.argv[1])")

    def send_as(uid, p):
        subprocess.run([sys.executable, "-c", send, sub, p.hex()], user=uid, check=True, timeout=20)

    try:
        send_as(65533, packet(None, "a.example", "127.0.0.1:2", 0, sign=False))    # not listed: checked
        wait_for(lambda: "for key 'a.example': unsigned, dropped" in r.log(), what="unsigned from uid 65533")
        send_as(65534, packet(None, "a.example", "127.0.0.1:1", 0, sign=False))    # listed: trusted
        wait_for(lambda: "new node: a.example => 127.0.0.1:1" in r.log(), what="trusted uid's announce")
        send_as(65534, packet(None, "a.example", "127.0.0.1:1", 0, sign=False))    # no replay check either
        send_as(65534, packet(None, "a.example", "127.0.0.1:1", 0, cmd=1, sign=False))
        wait_for(lambda: "a.example => removing node 127.0.0.1:1" in r.log(), what="trusted unsubscribe")
        assert "=> 127.0.0.1:2" not in r.log() and "replayed" not in r.log()
    finally:
        r.stop()
        shutil.rmtree(d, ignore_errors=True)
    r = run_stockade("--http", "127.0.0.1:0", "--http-subscription-server", "127.0.0.1:0",
                     "--subscriptions-sign-check", f"SHA256:{keys / 'pub'}", "--subscriptions-sign-skip-uid", "www",
                     "--master")
    assert r.returncode == 1 and "subscriptions-sign-skip-uid: 'www' is not a uid" in r.stderr
