#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Single start-up, jailed vs unjailed, side by side: exec of the server to
# its first complete answer, N alternated runs of each, median and p90.
#
#   bench/jailstart.sh                  N = 21
#   JAILSTART_N=51 JAILSTART_SERVERS="stockade stockade-jail" bench/jailstart.sh
#
# Environment:
#   STOCKADE_BIN=./stockade   the binary
#   JAILSTART_N=21            runs of each server (alternated: jailed, unjailed, uwsgi, ...)
#   JAILSTART_SERVERS="stockade stockade-jail uwsgi"
#                             uwsgi: Debian's uWSGI (python3 plugin), the reference
#   JAILSTART_KEEP=1          keep the work directory
#
# Each server gets a hello app, --master --processes 1, a uwsgi-protocol unix
# socket; the client connects every 1 ms until the socket is there, sends a
# uwsgi-protocol GET (what nginx's uwsgi_pass sends) and reads the complete
# answer. The time is from Popen to the answer's end: exec, config, the jail
# (namespaces, cgroup, BPF, registry, stub init, mounts, seccomp), Python,
# the app's import, the worker's fork and the request. Then SIGINT, and the
# next run waits for the previous one to be gone (jail name free again).
#
# Jailed: `jail = <rootfs> bench <name>` with a rootfs like bench/ondemand.sh's
# (/usr read-only, /etc files, the binary's and the work directory bound),
# no network parameters (the host's stack is shared). Runs as root in a
# private mount namespace (re-executed through unshare), loopback only.
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh
bench_private_netns --mount "$@"

BIN=${STOCKADE_BIN:-$PWD/stockade}
N=${JAILSTART_N:-21}
SERVERS=${JAILSTART_SERVERS:-"stockade stockade-jail uwsgi"}

die() { echo "jailstart.sh: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not found (set STOCKADE_BIN)"
BIN=$(realpath "$BIN")
case " $SERVERS " in *" stockade-jail "*)
	[ "$(id -u)" = 0 ] || die "stockade-jail needs root"
	[ -n "${_BENCH_INNER:-}" ] || die "stockade-jail needs the private mount namespace (unshare)"
	"$BIN" --jls >/dev/null 2>&1 || die "the jail backend does not work here ($BIN --jls failed)"
esac
case " $SERVERS " in *" uwsgi "*)
	command -v uwsgi >/dev/null || { echo "jailstart.sh: uwsgi not installed, skipped" >&2
		SERVERS=$(echo " $SERVERS " | sed 's/ uwsgi / /'); }
esac

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stockade-jailstart.XXXXXX")
chmod 755 "$WORK"
cleanup() {
	umount -R "$WORK/root" 2>/dev/null || true
	[ "${JAILSTART_KEEP:-0}" = 1 ] && echo "work directory kept: $WORK" && return
	rm -rf "$WORK"
}
trap cleanup EXIT

R=$WORK/root
case " $SERVERS " in *" stockade-jail "*)
	mkdir -p "$R"/{usr,etc,tmp,proc,dev}
	for l in bin lib lib64 sbin; do
		[ -L "/$l" ] || [ -e "/$l" ] || continue
		ln -s "usr/$l" "$R/$l"
	done
	mount --bind "$R" "$R"
	mount --bind /usr "$R/usr"
	mount -o remount,bind,ro "$R/usr"
	mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
	for f in passwd group hosts nsswitch.conf ld.so.cache localtime; do
		[ -e "/etc/$f" ] || continue
		touch "$R/etc/$f"
		mount --bind "/etc/$f" "$R/etc/$f"
	done
	for d in "$(dirname "$BIN")" "$WORK"; do
		mkdir -p "$R$d"
		mount --bind "$d" "$R$d"
	done
esac

echo "jailed vs unjailed start-up ($BIN), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
BIN="$BIN" WORK="$WORK" N="$N" SERVERS="$SERVERS" python3 - <<'PYTHON'
import os, signal, socket, struct, subprocess, time

BIN, WORK, N = os.environ["BIN"], os.environ["WORK"], int(os.environ["N"])
SERVERS = os.environ["SERVERS"].split()
APP = os.path.join(WORK, "hello.py")
with open(APP, "w") as f:
    f.write('def application(environ, start_response):\n'
            '    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])\n'
            '    return [b"Hello, World!"]\n')
ENV = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "REQUEST_URI": "/", "QUERY_STRING": "",
       "SERVER_NAME": "bench", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.0", "HTTP_HOST": "bench"}
BODY = b"".join(struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v)) + v.encode()
                for k, v in ENV.items())
REQ = struct.pack("<BHB", 0, len(BODY), 0) + BODY


def cmd(name, sock, i):
    common = ["--socket", sock, "--wsgi-file", APP, "--master", "--processes", "1", "--disable-logging"]
    if name == "stockade":
        return [BIN, *common]
    if name == "stockade-jail":
        return [BIN, "--jail", f"{WORK}/root bench js{os.getpid()}x{i}", *common]
    return ["uwsgi", "--plugin", "python3", *common]


def once(name, i):
    sock = os.path.join(WORK, f"{name}.sock")
    try:
        os.unlink(sock)
    except FileNotFoundError:
        pass
    log = open(os.path.join(WORK, f"{name}.log"), "a")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UWSGI_", "STOCKADE_"))}
    t0 = time.monotonic()
    p = subprocess.Popen(cmd(name, sock, i), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    ms = None
    try:
        while time.monotonic() - t0 < 30 and p.poll() is None:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(sock)
            except OSError:
                s.close()
                time.sleep(0.001)
                continue
            s.settimeout(30)
            s.sendall(REQ)
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            s.close()
            if b"Hello, World!" in data:
                ms = (time.monotonic() - t0) * 1000
            break
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()
    if ms is None:
        raise SystemExit(f"{name}: no answer (log: {log.name})")
    return ms


times = {n: [] for n in SERVERS}
for i in range(N):
    for n in SERVERS:
        times[n].append(once(n, i))


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]


base = pct(times["stockade"], 0.5) if "stockade" in times else None
for n in SERVERS:
    v = times[n]
    med = pct(v, 0.5)
    extra = f" | {med - base:+.1f} ms over stockade" if base is not None and n != "stockade" else ""
    print(f"{n:14s} runs {len(v)} | median {med:.1f} ms | p90 {pct(v, 0.9):.1f} ms | "
          f"min {min(v):.1f} ms | max {max(v):.1f} ms{extra}", flush=True)
PYTHON
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
