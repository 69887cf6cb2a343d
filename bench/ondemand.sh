#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# On-demand vassals at scale: N sites configured, each with its socket held
# by the Emperor (emperor-on-demand-directory) and no process until its
# first connection; sites exit after `idle` seconds (die-on-idle).
#
#   bench/ondemand.sh                    N = 2000, jailed when possible
#   ONDEMAND_N="500 2000" ONDEMAND_JAILED=0 bench/ondemand.sh
#
# Environment:
#   STOCKADE_BIN=./stockade   the binary
#   ONDEMAND_N="2000"         site counts, one run each
#   ONDEMAND_JAILED=1         each site in its own jail (root, Linux jail backend)
#   ONDEMAND_WAKE=20          sleeping sites woken, one after another
#   ONDEMAND_IDLE=3           the sites' idle = N (seconds)
#   ONDEMAND_KEEP=1           keep the work directory
#
# Per run it reports:
#   armed     seconds from starting the Emperor until all N sockets are held
#   emperor   RSS and PSS (KiB) of the Emperor's process tree with every site
#             asleep (the Emperor alone: no vassal runs), and its open fds
#   wake      ms from sending the first request (uwsgi protocol on the site's
#             unix socket) to the complete answer, for ONDEMAND_WAKE sleeping
#             sites one at a time: min / median / max (a spawn, a jail, a
#             Python start and the request)
#   asleep    seconds until every woken site had exited again (die-on-idle)
#             and the tree was the Emperor alone
# Nothing here leaves the machine: unix sockets only.
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=${STOCKADE_BIN:-$PWD/stockade}
COUNTS=${ONDEMAND_N:-2000}
JAILED=${ONDEMAND_JAILED:-1}
WAKE=${ONDEMAND_WAKE:-20}
IDLE=${ONDEMAND_IDLE:-3}

die() { echo "ondemand.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not found (set STOCKADE_BIN)"
command -v python3 >/dev/null || die "python3 needed"
[ "$JAILED" = 1 ] && bench_need_jails "$BIN" ONDEMAND_JAILED=1

bench_workdir stockade-ondemand-bench "${ONDEMAND_KEEP:-0}"

BIN="$BIN" WORK="$WORK" COUNTS="$COUNTS" JAILED="$JAILED" WAKE="$WAKE" IDLE="$IDLE" \
	BENCH_DIR="$PWD/bench" python3 - <<'PYTHON'
import os, random, signal, socket, struct, subprocess, sys, time, uuid

BIN, WORK = os.environ["BIN"], os.environ["WORK"]
sys.path.insert(0, os.environ["BENCH_DIR"])
from benchlib import mem, rootfs_prologue, tree  # noqa: E402
JAILED = os.environ["JAILED"] == "1"
WAKE, IDLE = int(os.environ["WAKE"]), int(os.environ["IDLE"])
APP = os.path.join(WORK, "hello.py")
with open(APP, "w") as f:
    f.write('def application(environ, start_response):\n'
            '    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])\n'
            '    return [b"Hello, World!"]\n')


def uwsgi_get(path, timeout=30):
    """One GET / in the uwsgi protocol (what nginx's uwsgi_pass sends); the answer."""
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "REQUEST_URI": "/", "QUERY_STRING": "",
           "SERVER_NAME": "bench", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.0", "HTTP_HOST": "bench"}
    body = b"".join(struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode()
                    for k, v in env.items())
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(struct.pack("<BHB", 0, len(body), 0) + body)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                return data
            data += b
    finally:
        s.close()


def log_count(log, text):
    log.seek(0)
    return log.read().count(text)


def run(n):
    vdir, sdir = os.path.join(WORK, f"vassals-{n}"), os.path.join(WORK, f"sockets-{n}")
    os.makedirs(vdir)
    os.makedirs(sdir)
    root = os.path.join(WORK, "root")
    tag = uuid.uuid4().hex[:6]
    for i in range(n):
        lines = ["[uwsgi]", f"wsgi-file = {APP}", "processes = 1", "disable-logging = true",
                 f"idle = {IDLE}", "die-on-idle = true"]
        if JAILED:
            lines += [f"jail = {root} s{i}.bench o{tag}{i}"]
        with open(os.path.join(vdir, f"s{i:04d}.ini"), "w") as f:
            f.write("\n".join(lines) + "\n")
    # a+ (O_APPEND): the Emperor shares this file description, and a seek(0)
    # here to read the log must not move where its next line is written
    log = open(os.path.join(WORK, f"emperor-{n}.log"), "a+")
    argv = [BIN, "--emperor", vdir, "--emperor-on-demand-directory", sdir]
    if JAILED:
        argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                rootfs_prologue(root, BIN, WORK) + 'exec "$@"', "sh", *argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=log, stderr=log, env=env)
    emperor = proc.pid      # unshare (no --fork) and sh exec: the same process
    try:
        measure(n, sdir, log, proc, emperor, t0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def measure(n, sdir, log, proc, emperor, t0):
    deadline = time.monotonic() + 120
    while log_count(log, '"on demand" mode, waiting for connections') < n:
        if time.monotonic() > deadline or proc.poll() is not None:
            raise SystemExit(f"N={n}: not all sockets held (log: {log.name})")
        time.sleep(0.05)
    armed = time.monotonic() - t0
    time.sleep(1)
    pids = tree(emperor)
    rss = pss = 0
    for p in pids:
        r, s = mem(p)
        rss += r
        pss += s
    fds = len(os.listdir(f"/proc/{emperor}/fd"))
    waits = []
    for i in random.sample(range(n), min(WAKE, n)):
        t = time.monotonic()
        answer = uwsgi_get(os.path.join(sdir, f"s{i:04d}.socket"))
        waits.append((time.monotonic() - t) * 1000)
        if b"Hello, World!" not in answer:
            raise SystemExit(f"site {i}: unexpected answer {answer[:200]!r} (log: {log.name})")
    t = time.monotonic()
    while tree(emperor) != [emperor] and time.monotonic() - t < 120:
        time.sleep(0.1)
    asleep = time.monotonic() - t
    left = len(tree(emperor)) - 1
    waits.sort()
    os.kill(emperor, signal.SIGTERM)
    proc.wait(timeout=120)
    print(f"N={n}{' jailed' if JAILED else ''}: armed {armed:.2f} s | emperor tree (all asleep, "
          f"{len(pids)} process) rss {rss} KiB, pss {pss} KiB, {fds} fds | wake ({len(waits)} sites) "
          f"min {waits[0]:.0f} ms, median {waits[len(waits) // 2]:.0f} ms, max {waits[-1]:.0f} ms | "
          f"asleep again after {asleep:.1f} s (idle = {IDLE})"
          f"{'' if left == 0 else f', {left} processes left!'}", flush=True)


print(f"stockade on-demand sites ({BIN}), {os.cpu_count()} CPUs")
for n in [int(x) for x in os.environ["COUNTS"].split()]:
    run(n)
PYTHON
