# SPDX-License-Identifier: MIT
"""The seed's jail configurations (examples/jails/*.ini) run on Linux as written.

Only the site-specific words are replaced: the rootfs path, the interface (a veth
this test creates inside the suite's own network namespace), the address (a
198.18.0.0/15 one that exists only there), the user and the app. The if-os = linux
blocks provide the `ip addr replace` alias line that replaces FreeBSD's ifconfig.
"""
import os
import subprocess
import time

import pytest

from conftest import ROOT, get_json
from jailfs import Jailed, Rootfs, jls_row

EXAMPLES = ROOT / "examples" / "jails"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="jails need root"),
    # the test adds an interface and addresses: only ever in a namespace of our own
    pytest.mark.skipif(os.environ.get("STOCKADE_IN_NETNS") != "1",
                       reason="needs the suite's private network namespace (scripts/in-netns.sh)"),
]

IFACE = "stkseed0"


@pytest.fixture(scope="module")
def iface():
    subprocess.run(["ip", "link", "add", IFACE, "type", "veth", "peer", "name", IFACE + "p"], check=True)
    subprocess.run(["ip", "link", "set", IFACE, "up"], check=True)
    subprocess.run(["ip", "link", "set", IFACE + "p", "up"], check=True)
    yield IFACE
    subprocess.run(["ip", "link", "del", IFACE], check=False)


def localise(text, rootfs, addr):
    return (text.replace("/jails/001", str(rootfs.path))
                .replace("dev eth0", f"dev {IFACE}")
                .replace("192.168.0.40", addr)
                .replace("uid = kratos", "uid = nobody")
                .replace("gid = kratos", "gid = nogroup")
                .replace("myapp.wsgi", rootfs.app))


@pytest.mark.parametrize("example,n", [("01-jail.ini", 11), ("02-jail2.ini", 12), ("03-sysvipc.ini", 13),
                                       ("04-devfs-host.ini", 14), ("05-devfs-jail.ini", 15)])
def test_seed_example_runs_on_linux(tmp_path, iface, example, n):
    addr = f"198.18.7.{n}"
    rootfs = Rootfs(tmp_path)
    ini = tmp_path / example
    ini.write_text(localise((EXAMPLES / example).read_text(), rootfs, addr) + "disable-logging = true\n")
    j = Jailed(["--ini", str(ini)], rootfs=rootfs, wait=False)
    try:
        deadline = time.monotonic() + 20
        info = None
        while time.monotonic() < deadline and info is None:
            assert j.proc.poll() is None, j.log()
            try:
                info = get_json(8080, "/info", timeout=5, host=addr)
            except OSError:
                time.sleep(0.1)
        assert info is not None, j.log()
        assert info["hostname"] == "foobar"
        assert rootfs.marker in info["root"]
        if example != "03-sysvipc.ini":
            assert info["uid"] == 65534, "uid = kratos (here: nobody) is dropped to inside the jail"
    finally:
        log = j.stop()
    assert j.proc.returncode == 0, log

