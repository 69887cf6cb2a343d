# SPDX-License-Identifier: MIT
"""Internal routing (route* rules run by the workers): issue 21."""
import http.client

from conftest import run_stockade, wait_for


def request(port, path, headers=None):
    """(status, headers dict lower-cased, body) of one GET."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers={"Connection": "close", **(headers or {})})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def test_redirect_and_capture(serve):
    inst = serve("--route", "^/old/(.*)$ redirect:/new/$1",
                 "--route-uri", "^/perm redirect-301:http://example.invalid${REQUEST_URI}")
    status, h, _ = request(inst.port, "/old/a/b")
    assert status == 302 and h["location"] == "/new/a/b"
    status, h, _ = request(inst.port, "/perm?x=1")
    assert status == 301 and h["location"] == "http://example.invalid/perm?x=1"
    status, _, _ = request(inst.port, "/environ")
    assert status == 200


def test_rewrite_and_continue(serve):
    import json
    inst = serve("--route", "^/api/(.*)$ rewrite:/environ?from=$1",
                 "--route", "^/environ$ addheader:X-Seen: ${PATH_INFO}",
                 "--route", "^/last/.*$ rewrite-last:/environ",
                 "--route", "^/environ$ return:403")
    status, h, body = request(inst.port, "/api/v1?a=2")
    # rewrite goes on to the next rule (addheader); the 403 rule is reached too
    assert status == 403 and body == b"Forbidden"
    status, h, body = request(inst.port, "/last/x?q=1")
    env = json.loads(body)
    assert status == 200 and env["PATH_INFO"] == "/environ" and env["QUERY_STRING"] == "q=1"
    assert "x-seen" not in h


def test_rewrite_query_and_headers(serve):
    import json
    inst = serve("--route", "^/api/(.*)$ rewrite:/environ?from=$1",
                 "--route", "^/environ$ addheader:X-Seen: ${PATH_INFO}",
                 "--route", "^/environ$ delheader:Content-Type",
                 "--route", "^/environ$ continue",
                 "--route", "^/environ$ return:403")
    status, h, body = request(inst.port, "/api/v1?a=2")
    env = json.loads(body)
    assert status == 200
    assert env["PATH_INFO"] == "/environ" and env["QUERY_STRING"] == "from=v1&a=2"
    assert env["REQUEST_URI"] == "/api/v1?a=2"
    assert h["x-seen"] == "/environ" and "content-type" not in h


def test_break_with_status_host_and_conditions(serve):
    inst = serve("--route-host", "^blocked\\.example$ break:403 Go Away",
                 "--route-if", "startswith:${PATH_INFO};/admin return:401",
                 "--route-if-not", "equal:${REQUEST_METHOD};GET return:405",
                 "--route-if", "regexp:${HTTP_USER_AGENT};^wget/([0-9]+) redirect:/wget$1",
                 "--route-if", "contains:${HTTP_USER_AGENT};curl goto:ua",
                 "--route-run", "continue",
                 "--route-label", "ua",
                 "--route-run", "return:404")
    status, h, _ = request(inst.port, "/environ", {"Host": "blocked.example"})
    assert status == 403 and h["content-type"] == "text/plain"
    status, _, body = request(inst.port, "/admin/x")
    assert status == 401 and body == b"Unauthorized"
    status, _, _ = request(inst.port, "/environ", {"User-Agent": "curl/8"})
    assert status == 404
    status, h, _ = request(inst.port, "/environ", {"User-Agent": "wget/17"})
    assert status == 302 and h["location"] == "/wget17"
    status, _, _ = request(inst.port, "/environ", {"User-Agent": "firefox"})
    assert status == 200
    c = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=10)
    c.request("POST", "/environ", body=b"x", headers={"Connection": "close"})
    assert c.getresponse().status == 405
    c.close()


def test_log_and_donotlog(serve):
    inst = serve("--route-qs", "^quiet$ donotlog:",
                 "--route-qs", "^(lo)ud$ log:ROUTED ${PATH_INFO} $1", processes=1)
    assert request(inst.port, "/environ?quiet")[0] == 200
    assert request(inst.port, "/environ?loud")[0] == 200
    # one worker logs in order: once the later request's line is there, the
    # earlier one would be too
    wait_for(lambda: "ROUTED /environ lo" in inst.log() and "GET /environ?loud" in inst.log(),
             what="the log action and the request line")
    assert "GET /environ?quiet" not in inst.log()


def test_bad_rule_is_file_line_error(tmp_path):
    cases = [
        ("route = ^/x$ frobnicate:1", "unknown routing action 'frobnicate'"),
        ("route = ^/(?!x)$ return:404", "PCRE"),
        ("route = ^/x$", "has no action"),
        ("route-if = bogus:a;b return:404", "unknown routing condition 'bogus'"),
        ("route = ^/x$ goto:nowhere", "no route-label 'nowhere'"),
        ("route = ^/x$ return:999", "not an HTTP status"),
        ("route = ^/x($ return:404", "not a POSIX extended regex"),
        ("route = ^/(.*?)$ return:404", "PCRE syntax"),
        ("route = ^/x$ return", "needs an argument"),
    ]
    for rule, why in cases:
        ini = tmp_path / "bad.ini"
        ini.write_text(f"[uwsgi]\nhttp-socket = 127.0.0.1:0\nmaster = true\n\n{rule}\n")
        r = run_stockade("--ini", str(ini), "--wsgi-file", "/nonexistent.py")
        assert r.returncode != 0, rule
        out = r.stdout + r.stderr
        assert f"{ini}:5" in out and why in out, (rule, out)


def test_static(serve, tmp_path):
    (tmp_path / "page.html").write_text("<p>hi</p>")
    inst = serve("--route", f"^/files/(.*)$ static:{tmp_path}/$1")
    status, h, body = request(inst.port, "/files/page.html")
    assert status == 200 and body == b"<p>hi</p>" and h["content-type"].startswith("text/html")
    status, _, _ = request(inst.port, "/files/missing.html")
    assert status == 404
    assert request(inst.port, "/environ")[0] == 200


def test_threads_share_rules_not_state(serve):
    """Each thread's rewrite and addheader stay its own request's."""
    import json
    from concurrent.futures import ThreadPoolExecutor
    inst = serve("--threads", "4",
                 "--route", "^/t/([0-9]+)$ rewrite:/environ?n=$1",
                 "--route", "^/environ$ addheader:X-N: ${QUERY_STRING}", processes=1)

    def one(i):
        status, h, body = request(inst.port, f"/t/{i}")
        return i, status, h.get("x-n"), json.loads(body)["QUERY_STRING"]

    with ThreadPoolExecutor(8) as pool:
        for i, status, xn, qs in pool.map(one, range(200)):
            assert status == 200 and xn == f"n={i}" and qs == f"n={i}"


def test_rewrite_with_post_buffering(serve):
    """The body reaches the app through the routes' header wrapper, buffered."""
    import json
    inst = serve("--post-buffering", "4",
                 "--route", "^/e$ rewrite:/echo",
                 "--route", "^/echo$ addheader:X-R: yes")
    c = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=10)
    try:
        c.request("POST", "/e", body=b"x" * 5000, headers={"Connection": "close"})
        r = c.getresponse()
        body = json.loads(r.read())
        assert r.status == 200 and r.getheader("X-R") == "yes" and body["len"] == 5000
    finally:
        c.close()
