#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTTP router side by side with Debian's uWSGI, in one run:
#   1. hello (bench/hello.py) through `http =` (router process + workers over
#      the uwsgi protocol) vs `uwsgi --plugin python3,http --http`, keep-alive
#      (http-keepalive on both) and Connection: close; wrk -t1 -c$CONNS;
#      req/s and the ratio stockade / uwsgi;
#   2. memory per idle keep-alive connection held by one router process:
#      $IDLE connections each make one request and stay open; the router's
#      VmRSS before and after, divided by $IDLE.
#
#   bench/router.sh
# Environment: ROUTER_SECONDS=10  ROUTER_CONNS=32  ROUTER_IDLE=10000
#              ROUTER_PROCESSES=2 (workers on both sides)  STOCKADE_BIN=./stockade
# Loopback only; as root it runs in a private network namespace.
set -eu

cd "$(dirname "$0")/.."
REPO=$PWD

. bench/lib.sh
bench_private_netns "$@"

BIN=${STOCKADE_BIN:-$REPO/stockade}
SECS=${ROUTER_SECONDS:-10}
CONNS=${ROUTER_CONNS:-32}
IDLE=${ROUTER_IDLE:-10000}
PROCS=${ROUTER_PROCESSES:-2}

die() { echo "router.sh: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk not found"
command -v uwsgi >/dev/null || die "Debian's uwsgi not found"
[ -x "$BIN" ] || die "$BIN not found; run 'make'"
ulimit -n $((IDLE + 1024)) 2>/dev/null || die "cannot raise the fd limit to $((IDLE + 1024))"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stockade-router.XXXXXX")
SRV=
cleanup() {
	[ -n "$SRV" ] && kill -INT "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT


wait_ok() {
	python3 - "$1" <<-'PYEOF' || die "no answer on port $1 (log: $2)"
	import http.client, sys, time
	deadline = time.monotonic() + 60
	while True:
	    try:
	        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=2)
	        c.request("GET", "/")
	        if c.getresponse().status == 200:
	            break
	    except OSError:
	        pass
	    if time.monotonic() > deadline:
	        sys.exit(1)
	    time.sleep(0.1)
	PYEOF
}

stop() {
	kill -INT "$SRV" 2>/dev/null || true   # SIGTERM reloads uWSGI
	wait "$SRV" 2>/dev/null || true
	SRV=
}

start() {   # start NAME PORT
	local name=$1 port=$2
	case $name in
	stockade)
		"$BIN" --http "127.0.0.1:$port" --wsgi-file "$REPO/bench/hello.py" --master \
			--processes "$PROCS" --disable-logging --http-keepalive >"$WORK/$name.log" 2>&1 </dev/null &
		;;
	uwsgi)
		uwsgi --plugin python3,http --http "127.0.0.1:$port" --wsgi-file "$REPO/bench/hello.py" \
			--master --processes "$PROCS" --disable-logging --http-keepalive=1 \
			>"$WORK/$name.log" 2>&1 </dev/null &
		;;
	esac
	SRV=$!
	wait_ok "$port" "$WORK/$name.log"
}

rps() {   # rps PORT [header]
	local out
	if [ -n "${2:-}" ]; then
		out=$(wrk -t1 -c"$CONNS" -d"${SECS}s" -H "$2" "http://127.0.0.1:$1/")
	else
		out=$(wrk -t1 -c"$CONNS" -d"${SECS}s" "http://127.0.0.1:$1/")
	fi
	echo "$out" | awk '/^Requests\/sec:/ { printf "%d", $2 }'
}

declare -A R
for name in stockade uwsgi; do
	port=$(free_port)
	start "$name" "$port"
	wrk -t1 -c"$CONNS" -d1s "http://127.0.0.1:$port/" >/dev/null   # warm-up
	R[$name-ka]=$(rps "$port")
	R[$name-close]=$(rps "$port" "Connection: close")
	stop
done
echo "hello through the HTTP router, wrk -t1 -c$CONNS -d${SECS}s, $PROCS workers each:"
printf "%-12s %12s %12s %8s\n" workload stockade uwsgi ratio
for w in ka close; do
	s=${R[stockade-$w]} u=${R[uwsgi-$w]}
	printf "%-12s %12s %12s %8s\n" "hello-$w" "$s" "$u" "$(awk -v a="$s" -v b="$u" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
done

# --- idle keep-alive connections ----------------------------------------------
port=$(free_port)
start stockade "$port"
rpid=$(sed -n 's/.*spawned uWSGI http 1 (pid: \([0-9]*\)).*/\1/p' "$WORK/stockade.log" | head -1)
[ -n "$rpid" ] || die "router pid not in the log"
python3 - "$port" "$IDLE" "$rpid" <<-'PYEOF'
import socket, sys, time
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

req = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
before = rss_kib()
socks = []
for i in range(n):        # one request each, answered; then the connection stays open, idle
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    s.settimeout(30)
    data = b""
    while not data.endswith(b"Hello, World!"):
        b = s.recv(4096)
        if not b:
            sys.exit("router.sh: a connection was closed")
        data += b
    socks.append(s)
time.sleep(1)
after = rss_kib()
print(f"idle keep-alive connections: {n} held by one router process: "
      f"RSS {before} KiB -> {after} KiB, {(after - before) * 1024 / n:.0f} bytes per connection")
PYEOF
stop
