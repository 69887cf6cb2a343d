#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One HTTP router in front of N subscribed (jailed) vassals, all run by one
# Emperor (issue 21's hosting scenario): the router vassal has
# `http =` and a unix `http-subscription-server`; vassal i serves hello on
# 127.0.<10 + i/250>.<1 + i%250>:3031 (jailed: its jail address, jail-ip4)
# and announces itself with `subscribe-to = sub.sock:v<i>.example`.
#
#   bench/router_vassals.sh                 N = 100, jailed when root
#   RV_N=50 RV_JAILED=0 bench/router_vassals.sh
#
# Environment: RV_N=100  RV_JAILED=1 (root; the Linux jail backend)
#              RV_SECONDS=10  RV_CONNS=32 (wrk -t1)  STOCKADE_BIN=./stockade
#              RV_KEEP=1 (keep the work directory)
# Reports: seconds until every key answers through the router; req/s with
# wrk cycling the Host header over the N keys (keep-alive to the router;
# the router opens one uwsgi connection per request to a vassal); the
# router process's RSS after the run and the router vassal's master's;
# the load average. Loopback only; as root it runs in a private network
# namespace.
set -eu

cd "$(dirname "$0")/.."
REPO=$PWD
. bench/lib.sh
bench_private_netns "$@"

BIN=${STOCKADE_BIN:-$REPO/stockade}
N=${RV_N:-100}
JAILED=${RV_JAILED:-1}
[ "$(id -u)" = 0 ] || JAILED=0
SECS=${RV_SECONDS:-10}
CONNS=${RV_CONNS:-32}

die() { echo "router_vassals.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not found (set STOCKADE_BIN)"
command -v wrk >/dev/null || die "wrk not found"
[ "$JAILED" = 1 ] && bench_need_jails "$BIN" RV_JAILED=1

bench_workdir stockade-router-vassals "${RV_KEEP:-0}"

BIN="$BIN" WORK="$WORK" N="$N" JAILED="$JAILED" SECS="$SECS" CONNS="$CONNS" BENCH_DIR="$REPO/bench" python3 - <<'PYTHON'
import http.client, os, re, signal, socket, subprocess, sys, time, uuid

BIN, WORK = os.environ["BIN"], os.environ["WORK"]
sys.path.insert(0, os.environ["BENCH_DIR"])
from benchlib import rootfs_prologue  # noqa: E402
N, JAILED = int(os.environ["N"]), os.environ["JAILED"] == "1"
SECS, CONNS = int(os.environ["SECS"]), int(os.environ["CONNS"])
APP = os.path.join(WORK, "hello.py")
SUB = os.path.join(WORK, "sub.sock")
with open(APP, "w") as f:
    f.write('def application(environ, start_response):\n'
            '    body = b"Hello, World!"\n'
            '    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])\n'
            '    return [body]\n')
s = socket.socket()
s.bind(("127.0.0.1", 0))
PORT = s.getsockname()[1]
s.close()


def addr(i):
    return f"127.0.{10 + i // 250}.{1 + i % 250}"


def status(host):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
    try:
        c.request("GET", "/", headers={"Host": host, "Connection": "close"})
        return c.getresponse().status
    except OSError:
        return 0
    finally:
        c.close()


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


vdir = os.path.join(WORK, "vassals")
os.makedirs(vdir)
root = os.path.join(WORK, "root")
tag = uuid.uuid4().hex[:6]
with open(os.path.join(vdir, "router.ini"), "w") as f:
    f.write(f"[uwsgi]\nmaster = true\nhttp = 127.0.0.1:{PORT}\nhttp-subscription-server = {SUB}\n"
            "chmod-socket = 600\nhttp-keepalive = 1\nsubscription-tolerance = 60\n")
for i in range(N):
    lines = ["[uwsgi]", "master = true", f"socket = {addr(i)}:3031", f"wsgi-file = {APP}", "processes = 1",
             "disable-logging = true", f"subscribe-to = {SUB}:v{i}.example", "subscribe-freq = 10"]
    if JAILED:
        lines += [f"jail = {root} v{i}.bench r{tag}{i}", f"jail-ip4 = {addr(i)}"]
    with open(os.path.join(vdir, f"v{i:04d}.ini"), "w") as f:
        f.write("\n".join(lines) + "\n")
log = open(os.path.join(WORK, "emperor.log"), "w+")
argv = [BIN, "--emperor", vdir]
if JAILED:
    argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            rootfs_prologue(root, BIN, WORK) + 'exec "$@"', "sh", *argv]
env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
t0 = time.monotonic()
proc = subprocess.Popen(argv, stdout=log, stderr=log, env=env)
try:
    left = set(range(N))
    deadline = time.monotonic() + 120 + N
    while left and time.monotonic() < deadline:
        for i in sorted(left):
            if status(f"v{i}.example") == 200:
                left.discard(i)
        if left:
            time.sleep(0.2)
    up = time.monotonic() - t0
    if left:
        raise SystemExit(f"{len(left)} of {N} keys never answered through the router (log: {log.name})")
    log.seek(0)
    m = re.search(r"spawned uWSGI http 1 \(pid: (\d+)\)", log.read())
    if not m:
        raise SystemExit("router pid not in the log")
    router = int(m.group(1))
    lua = os.path.join(WORK, "hosts.lua")
    with open(lua, "w") as f:
        f.write(f"local i = 0\nrequest = function()\n  i = (i + 1) % {N}\n"
                '  return wrk.format("GET", "/", {Host = "v" .. i .. ".example"})\nend\n')
    subprocess.run(["wrk", "-t1", f"-c{CONNS}", "-d1s", "-s", lua, f"http://127.0.0.1:{PORT}/"],
                   capture_output=True, check=True)                       # warm-up
    out = subprocess.run(["wrk", "-t1", f"-c{CONNS}", f"-d{SECS}s", "-s", lua, f"http://127.0.0.1:{PORT}/"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"{N} {'jailed ' if JAILED else ''}vassals subscribed behind one router ({BIN}): "
          f"all keys routed after {up:.1f} s | {rps:,.0f} req/s (wrk -t1 -c{CONNS} -d{SECS}s, Host over "
          f"{N} keys{', %s non-2xx' % errors.group(1) if errors else ''}) | router process RSS "
          f"{rss_kib(router)} KiB | load average {load}", flush=True)
finally:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()         # never leave vassals (or jails) behind
            proc.wait()
PYTHON
