# SPDX-License-Identifier: MIT
"""nginx's uwsgi_pass (the real client of the binary protocol) and proxy_pass in front."""
import http.client
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import APPS, Instance, free_port, wait_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def nginx(tmp_path):
    if not os.path.exists(NGINX):
        pytest.skip("nginx not installed")
    procs = []

    def start(location_block):
        port = free_port()
        conf = tmp_path / "nginx.conf"
        user = "user root;" if os.getuid() == 0 else ""
        conf.write_text(f"""
{user}
worker_processes 1;
error_log stderr warn;
pid {tmp_path}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    uwsgi_temp_path {tmp_path}/uwsgi;
    fastcgi_temp_path {tmp_path}/fcgi;
    scgi_temp_path {tmp_path}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ {location_block} }}
    }}
}}
""")
        p = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(p)
        wait_port(port, p)
        return port

    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=10)


def test_uwsgi_pass(nginx, tmp_path):
    sock = tmp_path / "app.sock"
    inst = Instance(["--socket", str(sock), "--wsgi-file", str(APPS / "probe.py"), "--master",
                     "--processes", "2"], wait=False)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = nginx(f"include /etc/nginx/uwsgi_params; uwsgi_pass unix:{sock};")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("GET", "/")
        r = c.getresponse()
        assert (r.status, r.read()) == (200, b"Hello, World!")
        c.request("POST", "/echo?q=1", body=b"z" * 100000)
        r = c.getresponse()
        assert json.loads(r.read())["len"] == 100000
        c.request("GET", "/environ?q=1", headers={"X-Through": "nginx"})
        env = json.loads(c.getresponse().read())
        assert env["HTTP_X_THROUGH"] == "nginx" and env["QUERY_STRING"] == "q=1"
        assert env["REQUEST_METHOD"] == "GET" and env["PATH_INFO"] == "/environ"
        c.request("GET", "/stream")
        assert c.getresponse().read() == b"".join(b"part%d\n" % i for i in range(5))
        c.close()
    finally:
        inst.stop()


def test_proxy_pass(nginx):
    port = free_port()
    inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--wsgi-file", str(APPS / "probe.py"), "--master"],
                    port=port)
    try:
        front = nginx(f"proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_pass http://127.0.0.1:{port};")
        c = http.client.HTTPConnection("127.0.0.1", front, timeout=10)
        for _ in range(3):
            c.request("GET", "/stream")
            assert c.getresponse().read() == b"".join(b"part%d\n" % i for i in range(5))
        c.close()
    finally:
        inst.stop()
