# SPDX-License-Identifier: MIT
"""`stockade --jls` reads like FreeBSD's jls(8): the default columns, -v and
--json, for two throw-away jails with addresses. Root only."""
import json
import os
import random
import shutil
import time

import pytest

from conftest import free_port
from jailfs import Jailed, Rootfs, jail_name, registry, run

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1)"),
    pytest.mark.skipif(not os.path.exists("/proc/self/ns/pid"), reason="needs namespaces"),
]


def wait_row(name, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = run(["--jls", "--json"])
        assert r.returncode == 0, r.stderr
        for row in json.loads(r.stdout):
            if row["name"] == name:
                return row
        time.sleep(0.1)
    raise AssertionError(f"jail {name} never listed")


@pytest.fixture
def two_jails(tmp_path):
    rootfs = Rootfs(tmp_path)
    net = random.randrange(10, 250)       # 127.<net>.9.x: other tests use 127.0.x.y
    specs = [
        (jail_name(), "alpha.example", [f"127.{net}.9.1", f"127.{net}.9.2"]),
        (jail_name(), "beta.example", [f"127.{net}.9.3"]),
    ]
    started = []
    try:
        for name, host, addrs in specs:
            args = ["--http-socket", f"{addrs[0]}:{free_port()}", "--wsgi-file", rootfs.app,
                    "--jail", f"{rootfs.path} {host} {name}"]
            for a in addrs:
                args += ["--jail-ip4", a]
            started.append(Jailed(args, rootfs=rootfs, wait=False))
        rows = [wait_row(name) for name, _, _ in specs]
        yield rootfs, specs, rows
    finally:
        for j in started:
            j.stop()
        for name, _, _ in specs:
            if registry(name).exists():
                run(["--jail-remove", name])


def test_default_columns(two_jails):
    rootfs, specs, rows = two_jails
    r = run(["--jls"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "   JID  IP Address      Hostname                      Path"
    for (name, host, addrs), row in zip(specs, rows):
        # jls: JID right-aligned in 6, the first address in 15, hostname in 29, path
        want = f"{row['jid']:>6}  {addrs[0]:<15} {host:<29} {str(rootfs.path)[:74]}"
        assert want in lines, f"{want!r} not in:\n{r.stdout}"
    assert not any(name in r.stdout for name, _, _ in specs), "names are for -v only"


def test_verbose(two_jails):
    rootfs, specs, rows = two_jails
    r = run(["--jls", "-v"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:4] == ["   JID  Hostname                      Path",
                         "        Name                          State",
                         "        PID",
                         "        IP Address(es)"]
    for (name, host, addrs), row in zip(specs, rows):
        first = f"{row['jid']:>6}  {host:<29} {str(rootfs.path)[:74]}"
        i = lines.index(first)
        assert lines[i + 1] == f"        {name:<29} ACTIVE"
        assert lines[i + 2] == f"        {row['pid']}"
        assert lines[i + 3:i + 3 + len(addrs)] == [f"        {a}" for a in addrs]


def test_json(two_jails):
    rootfs, specs, rows = two_jails
    r = run(["--jls", "--json"])
    assert r.returncode == 0, r.stderr
    by_name = {row["name"]: row for row in json.loads(r.stdout)}
    for name, host, addrs in specs:
        row = by_name[name]
        assert row["hostname"] == host and row["path"] == str(rootfs.path)
        assert row["ip4"] == addrs and row["ip6"] == []
        assert row["state"] == "ACTIVE" and row["cpusetid"] is None
        assert isinstance(row["pid"], int) and os.path.exists(f"/proc/{row['pid']}")
        assert row["age_seconds"] >= 0
        p = row["params"]
        assert p["name"] == name and p["jid"] == str(row["jid"]) and p["host.hostname"] == host
        assert p["ip4.addr"] == ",".join(addrs)
    # the flags combine in any order, and stay out of the config reader
    r2 = run(["--jls", "--json", "-v"])
    assert r2.returncode == 0 and json.loads(r2.stdout)
