#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Emperor scale scenario: N vassals, each serving a hello app on its own
# address, started by one Emperor from one directory.
#
#   bench/emperor.sh                  N = 100 250 500, unjailed
#   EMPEROR_N="50 100" bench/emperor.sh
#   EMPEROR_JAILED=1 bench/emperor.sh  each vassal in its own jail (root; Linux
#                                      jail backend): own hostname, own address
#   EMPEROR_UWSGI=1 EMPEROR_JAILED=1 bench/emperor.sh
#                                      Debian uWSGI's Emperor with N unjailed
#                                      vassals first, then Stockade's: side by side
#
# Environment:
#   STOCKADE_BIN=./stockade   the binary (must have the Emperor wired in)
#   EMPEROR_N="100 250 500"   vassal counts, one run each
#   EMPEROR_JAILED=0|1
#   EMPEROR_IDLE=10           seconds over which idle CPU is measured
#   EMPEROR_PROCESSES=1       workers per vassal
#   EMPEROR_KEEP=1            keep the work directory (vassal files, log)
#   EMPEROR_UWSGI=0|1         also run `uwsgi --emperor` (python3 plugin, master,
#                             same app, same addresses, never jailed) before each
#                             Stockade run: its up time and PSS
#   EMPEROR_TSV=FILE          also append one tab-separated line per run to FILE
#                             (n jailed up_s rss_mib rss_kib_per_vassal pss_mib
#                             pss_kib_per_vassal emperor_rss_kib idle_cpu_emperor
#                             idle_cpu_tree notice_ms reload_ms stop_s buried)
#
# Per run it reports:
#   up        seconds from starting the Emperor until every vassal answered
#   rss/pss   total over the Emperor's process tree (MiB) and per vassal (KiB),
#             from /proc/<pid>/smaps_rollup; the Emperor's own RSS
#   idle cpu  the Emperor process alone, and the whole tree, in % of one CPU
#             over EMPEROR_IDLE seconds with nothing to do
#   notice    ms from rewriting one vassal file to the Emperor's "reload" log
#             line (inotify), and until that vassal answers from its new image
#   stop      seconds from SIGTERM to "The Emperor is buried."
# Vassal i listens on 127.0.<10 + i/250>.<1 + i%250>:8000 (jailed: that is its
# jail address too). Nothing here leaves the loopback interface.
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=${STOCKADE_BIN:-$PWD/stockade}
COUNTS=${EMPEROR_N:-"100 250 500"}
JAILED=${EMPEROR_JAILED:-0}
UWSGI=${EMPEROR_UWSGI:-0}
IDLE=${EMPEROR_IDLE:-10}
PROCS=${EMPEROR_PROCESSES:-1}

die() { echo "emperor.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not found (set STOCKADE_BIN)"
command -v python3 >/dev/null || die "python3 needed"
[ "$UWSGI" = 0 ] || command -v uwsgi >/dev/null || die "EMPEROR_UWSGI=1 needs uwsgi (Debian uwsgi-core + python3 plugin)"
[ "$JAILED" = 1 ] && bench_need_jails "$BIN" EMPEROR_JAILED=1

bench_workdir stockade-emperor-bench "${EMPEROR_KEEP:-0}"

TSV="${EMPEROR_TSV:-}" BIN="$BIN" WORK="$WORK" COUNTS="$COUNTS" JAILED="$JAILED" IDLE="$IDLE" PROCS="$PROCS" UWSGI="$UWSGI" \
	BENCH_DIR="$PWD/bench" python3 - <<'PYTHON'
import http.client, os, signal, subprocess, sys, time, uuid

BIN, WORK = os.environ["BIN"], os.environ["WORK"]
sys.path.insert(0, os.environ["BENCH_DIR"])
from benchlib import mem, rootfs_prologue, tree  # noqa: E402
JAILED = os.environ["JAILED"] == "1"
IDLE = float(os.environ["IDLE"])
PROCS = int(os.environ["PROCS"])
TICK = os.sysconf("SC_CLK_TCK")
APP = os.path.join(WORK, "hello.py")
with open(APP, "w") as f:
    f.write('import os\n'
            'def application(environ, start_response):\n'
            '    body = ("Hello, World! %s" % os.environ.get("UWSGI_RELOADS")).encode()\n'
            '    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])\n'
            '    return [body]\n')


def addr(i):
    return f"127.0.{10 + i // 250}.{1 + i % 250}"


def get(host, timeout=1.0):
    c = http.client.HTTPConnection(host, 8000, timeout=timeout)
    try:
        c.request("GET", "/", headers={"Connection": "close"})
        return c.getresponse().read().decode()
    finally:
        c.close()


def ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[11]) + int(rest[12])
    except OSError:
        return 0


def run(n):
    vdir = os.path.join(WORK, f"vassals-{n}")
    os.makedirs(vdir)
    root = os.path.join(WORK, "root")
    tag = uuid.uuid4().hex[:6]
    for i in range(n):
        lines = ["[uwsgi]", f"http-socket = {addr(i)}:8000", f"wsgi-file = {APP}", f"processes = {PROCS}",
                 "disable-logging = true"]
        if JAILED:
            lines += [f"jail = {root} v{i}.bench b{tag}{i}", f"jail-ip4 = {addr(i)}"]
        with open(os.path.join(vdir, f"v{i:04d}.ini"), "w") as f:
            f.write("\n".join(lines) + "\n")
    # a+ (O_APPEND): the Emperor shares this file description, and a seek(0)
    # here to read the log must not move where its next line is written
    log = open(os.path.join(WORK, f"emperor-{n}.log"), "a+")
    argv = [BIN, "--emperor", vdir]
    if JAILED:
        argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                rootfs_prologue(root, BIN, WORK) + 'exec "$@"', "sh", *argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=log, stderr=log, env=env)
    emperor = proc.pid      # unshare (no --fork) and sh exec: the same process
    try:
        measure(n, vdir, log, proc, emperor, t0)
    finally:
        if proc.poll() is None:
            proc.kill()     # never leave vassals (or jails) behind
            proc.wait()


def measure(n, vdir, log, proc, emperor, t0):
    left = wait_up(n, time.monotonic() + 60 + n * 0.5)
    up = time.monotonic() - t0
    if left:
        print(f"N={n}: {len(left)} vassals never answered (log: {log.name})")
    time.sleep(2)       # let the masters settle (loyalty, accepting)

    pids = tree(emperor)
    rss = pss = 0
    for p in pids:
        r, s = mem(p)
        rss += r
        pss += s
    erss, _ = mem(emperor)

    t_e0, t_all0 = ticks(emperor), sum(ticks(p) for p in pids)
    time.sleep(IDLE)
    pids = tree(emperor)
    e_cpu = (ticks(emperor) - t_e0) / TICK / IDLE * 100
    all_cpu = (sum(ticks(p) for p in pids) - t_all0) / TICK / IDLE * 100

    target = os.path.join(vdir, f"v{n // 2:04d}.ini")
    with open(target, "a") as f:
        f.write("# touched\n")
    t1 = time.monotonic()
    notice = reload = None
    while time.monotonic() - t1 < 30 and reload is None:
        if notice is None:
            log.seek(0)
            if f"reload the uwsgi instance v{n // 2:04d}.ini" in log.read():
                notice = (time.monotonic() - t1) * 1000
        try:
            if get(addr(n // 2)).endswith(" 1"):
                reload = (time.monotonic() - t1) * 1000
        except OSError:
            pass
        time.sleep(0.002)

    t2 = time.monotonic()
    os.kill(emperor, signal.SIGTERM)
    proc.wait(timeout=120)
    stop = time.monotonic() - t2
    log.seek(0)
    buried = "The Emperor is buried." in log.read()
    print(f"N={n}{' jailed' if JAILED else ''}: up {up:.2f} s | rss {rss / 1024:.0f} MiB total, "
          f"{rss / n:.0f} KiB/vassal | pss {pss / 1024:.0f} MiB total, {pss / n:.0f} KiB/vassal | "
          f"emperor rss {erss} KiB | idle cpu emperor {e_cpu:.2f} %, tree {all_cpu:.2f} % | "
          f"notice {notice or float('nan'):.1f} ms, reloaded {reload or float('nan'):.0f} ms | "
          f"stop {stop:.2f} s{'' if buried else ' (not buried!)'}", flush=True)
    if os.environ["TSV"]:
        with open(os.environ["TSV"], "a") as f:
            f.write("\t".join(str(x) for x in (
                n, int(JAILED), f"{up:.2f}", f"{rss / 1024:.0f}", f"{rss / n:.0f}", f"{pss / 1024:.0f}",
                f"{pss / n:.0f}", erss, f"{e_cpu:.2f}", f"{all_cpu:.2f}", f"{notice or float('nan'):.1f}",
                f"{reload or float('nan'):.0f}", f"{stop:.2f}", int(buried))) + "\n")


def wait_up(n, deadline):
    left = set(range(n))
    while left and time.monotonic() < deadline:
        for i in sorted(left):
            try:
                if get(addr(i), timeout=0.5).startswith("Hello"):
                    left.discard(i)
            except OSError:
                pass
        if left:
            time.sleep(0.05)
    return left


def run_uwsgi(n):
    """Debian uWSGI's Emperor, N unjailed vassals (the reference): up and PSS."""
    vdir = os.path.join(WORK, f"uwsgi-vassals-{n}")
    os.makedirs(vdir)
    for i in range(n):
        with open(os.path.join(vdir, f"v{i:04d}.ini"), "w") as f:
            f.write("\n".join(["[uwsgi]", "plugin = python3", "master = true", f"http-socket = {addr(i)}:8000",
                               f"wsgi-file = {APP}", f"processes = {PROCS}", "disable-logging = true"]) + "\n")
    log = open(os.path.join(WORK, f"uwsgi-emperor-{n}.log"), "a+")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    t0 = time.monotonic()
    proc = subprocess.Popen(["uwsgi", "--emperor", vdir], stdout=log, stderr=log, env=env)
    try:
        left = wait_up(n, time.monotonic() + 60 + n * 0.5)
        up = time.monotonic() - t0
        time.sleep(2)
        pss = sum(mem(p)[1] for p in tree(proc.pid))
        print(f"N={n} uwsgi (unjailed): up {up:.2f} s | pss {pss / 1024:.0f} MiB total, {pss / n:.0f} KiB/vassal"
              f"{f' | {len(left)} never answered (log: {log.name})' if left else ''}", flush=True)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


print(f"stockade Emperor scale ({BIN}), {os.cpu_count()} CPUs, {PROCS} worker(s) per vassal")
for n in [int(x) for x in os.environ["COUNTS"].split()]:
    if os.environ["UWSGI"] == "1":
        run_uwsgi(n)
    run(n)
PYTHON
