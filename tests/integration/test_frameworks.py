# SPDX-License-Identifier: MIT
"""Real frameworks through the real binary: a Django project (CSRF-checked
form POST, multi-MB multipart upload with a checksum, StreamingHttpResponse,
collectstatic output served by Stockade's static-map) and Flask (streaming,
static-map in front), each directly over http-socket and behind nginx's
uwsgi_pass."""
import hashlib
import http.client
import json
import os
import re
import subprocess
import time

import pytest

from conftest import APPS, Instance, free_port
from test_nginx import nginx  # noqa: F401 (fixture)

PY = "/usr/bin/python3"   # Debian's interpreter: the one Stockade embeds


def django_available():
    return subprocess.run([PY, "-c", "import django"], capture_output=True).returncode == 0


def flask_available():
    return subprocess.run([PY, "-c", "import flask"], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """collectstatic into a fresh STATIC_ROOT, plus one larger file for sendfile."""
    if not django_available():
        pytest.skip("python3-django not installed")
    root = tmp_path_factory.mktemp("static")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="django_site.settings", DJANGO_STATIC_ROOT=str(root),
               PYTHONPATH=str(APPS))
    r = subprocess.run([PY, "-m", "django", "collectstatic", "--noinput"], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (root / "site" / "site.css").exists()
    (root / "site" / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return root


class Front:
    """Where the client talks: Stockade's http-socket, or nginx uwsgi_pass to its uwsgi socket."""

    def __init__(self, port, inst):
        self.port, self.inst = port, inst

    def conn(self, timeout=15):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)


@pytest.fixture(params=["http-socket", "nginx-uwsgi_pass"])
def front(request, tmp_path, nginx):  # noqa: F811
    started = []

    def start(*app_args):
        if request.param == "http-socket":
            port = free_port()
            inst = Instance(["--http-socket", f"127.0.0.1:{port}", "--master", "--processes", "2", *app_args],
                            port=port)
            started.append(inst)
            return Front(port, inst)
        sock = tmp_path / "app.sock"
        inst = Instance(["--socket", str(sock), "--master", "--processes", "2", *app_args], wait=False)
        started.append(inst)
        deadline = time.monotonic() + 20
        while not sock.exists():
            assert inst.proc.poll() is None, inst.log()
            assert time.monotonic() < deadline, "uwsgi socket never appeared"
            time.sleep(0.05)
        port = nginx(f"include /etc/nginx/uwsgi_params; uwsgi_buffering off; client_max_body_size 64m; "
                     f"uwsgi_pass unix:{sock};")
        return Front(port, inst)

    yield start
    for inst in started:
        inst.stop()


def django(front, static_root):
    return front("--module", "django_site.wsgi:application", "--pythonpath", str(APPS),
                 "--env", "DJANGO_SETTINGS_MODULE=django_site.settings",
                 "--static-map", f"/static={static_root}",
                 "--static-expires-uri", r"\.css$ 86400")


# ---- Django --------------------------------------------------------------------------

def test_django_form_post_with_csrf(front, static_root):
    f = django(front, static_root)
    c = f.conn()
    c.request("GET", "/form/")
    r = c.getresponse()
    html = r.read().decode()
    assert r.status == 200
    cookie = re.search(r"csrftoken=([^;]+)", r.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert cookie and token, (r.getheaders(), html)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={cookie.group(1)}"}
    c.request("POST", "/form/", body=f"csrfmiddlewaretoken={token.group(1)}&name=kratos", headers=form)
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"hello kratos")
    # without the token Django's CSRF middleware refuses it
    c.request("POST", "/form/", body="name=kratos", headers=form)
    r = c.getresponse()
    r.read()
    assert r.status == 403
    c.close()


def test_django_multipart_upload_checksum(front, static_root):
    f = django(front, static_root)
    data = os.urandom(5 * 1024 * 1024 + 123)
    boundary = "StockadeBoundary7MA4YWxk"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nfive megs\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    c = f.conn(timeout=60)
    # the view is not csrf_exempt: a real client would carry the token, so does this one
    c.request("GET", "/form/")
    r = c.getresponse()
    html = r.read().decode()
    cookie = re.search(r"csrftoken=([^;]+)", r.getheader("Set-Cookie")).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    c.request("POST", "/upload/", body=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": f"csrftoken={cookie}",
        "X-CSRFToken": token})
    r = c.getresponse()
    got = json.loads(r.read())
    assert r.status == 200, got
    assert got == {"name": "blob.bin", "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                   "on_disk": True, "note": "five megs"}
    c.close()


def test_django_streaming_response(front, static_root, tmp_path):
    f = django(front, static_root)
    gate = tmp_path / "gate"
    c = f.conn(timeout=15)
    c.request("GET", f"/stream/?gate={gate}")
    r = c.getresponse()
    assert r.status == 200
    # the view holds the rest back until the gate exists: this line can only
    # arrive now if Stockade (and nginx) pass chunks on as they come
    assert r.readline() == b"chunk 0\n"
    gate.write_text("go")
    assert r.read() == b"".join(b"chunk %d\n" % i for i in range(1, 5))
    c.close()


def test_django_static_files_by_static_map(front, static_root):
    f = django(front, static_root)
    css = (static_root / "site" / "site.css").read_bytes()
    c = f.conn()
    c.request("GET", "/static/site/site.css")
    r = c.getresponse()
    assert (r.status, r.read()) == (200, css)
    assert r.getheader("Content-Type") == "text/css"
    assert int(r.getheader("Content-Length")) == len(css)
    assert r.getheader("Cache-Control") == "max-age=86400" and r.getheader("Expires")
    modified = r.getheader("Last-Modified")
    assert modified.endswith(" GMT")
    c.request("GET", "/static/site/site.css", headers={"If-Modified-Since": modified})
    r = c.getresponse()
    assert (r.status, r.read()) == (304, b"")
    c.request("HEAD", "/static/site/app.js")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b""
    assert int(r.getheader("Content-Length")) == (static_root / "site" / "app.js").stat().st_size
    assert r.getheader("Expires") is None, "the expires regex names .css only"
    big = (static_root / "site" / "big.bin").read_bytes()
    c.request("GET", "/static/site/big.bin")
    r = c.getresponse()
    assert r.status == 200 and hashlib.sha256(r.read()).digest() == hashlib.sha256(big).digest()
    # a miss falls through to the app: Django (DEBUG off, no static view) answers 404
    c.request("GET", "/static/site/missing.css")
    r = c.getresponse()
    r.read()
    assert r.status == 404 and "text/html" in r.getheader("Content-Type")
    c.close()


# ---- Flask ---------------------------------------------------------------------------

def flask(front, assets):
    if not flask_available():
        pytest.skip("python3-flask not installed")
    return front("--module", "flaskapp:app", "--pythonpath", str(APPS), "--static-map", f"/assets={assets}",
                 "--static-index", "index.html")


def test_flask_streaming_and_static(front, tmp_path):
    assets = tmp_path / "assets"
    (assets / "docs").mkdir(parents=True)
    (assets / "docs" / "index.html").write_text("<h1>docs</h1>\n")
    f = flask(front, assets)
    gate = tmp_path / "gate"
    c = f.conn()
    c.request("GET", f"/stream?gate={gate}")
    r = c.getresponse()
    assert r.readline() == b"part 0\n"
    gate.write_text("go")
    assert r.read() == b"part 1\npart 2\npart 3\n"
    c.request("GET", "/assets/docs/")
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"<h1>docs</h1>\n")
    assert r.getheader("Content-Type") == "text/html"
    c.request("POST", "/form", body="name=atreus", headers={"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"name=atreus")
    c.close()
