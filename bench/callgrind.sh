#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Instructions per request in user space (callgrind), the one figure that does
# not move with the machine's load: Stockade with one worker runs under
# `valgrind --tool=callgrind --trace-children=yes`, bench/fixedload.py sends
# SMALL requests, then the server is stopped (SIGTERM: the worker exits and
# callgrind writes its totals); a second run sends LARGE requests. The
# difference of the worker's two totals divided by LARGE - SMALL is the cost
# of one request, with start-up and shutdown cancelled out.
#
#   bench/callgrind.sh                   keep-alive and Connection: close
#   CALLGRIND_MODES=ka bench/callgrind.sh
#
# Environment:
#   STOCKADE_BIN=./stockade
#   CALLGRIND_MODES="ka close"
#   CALLGRIND_SMALL=200 CALLGRIND_LARGE=4200   requests per run
#   CALLGRIND_CONNS=32                         requests in flight (as wrk -c32)
#   CALLGRIND_KEEP=1    keep the callgrind.out files (printed at the end), e.g.
#                       for `callgrind_annotate --inclusive=yes FILE` to see
#                       which functions the instructions are spent in
# Loopback only; as root it runs in a private network namespace.
set -eu

cd "$(dirname "$0")/.."
REPO=$PWD

. bench/lib.sh
bench_private_netns "$@"

BIN=${STOCKADE_BIN:-$REPO/stockade}
MODES=${CALLGRIND_MODES:-"ka close"}
SMALL=${CALLGRIND_SMALL:-200}
LARGE=${CALLGRIND_LARGE:-4200}
CONNS=${CALLGRIND_CONNS:-32}

die() { echo "callgrind.sh: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "valgrind not found (apt-get install valgrind)"
[ -x "$BIN" ] || die "$BIN not found; run 'make'"
[ "$LARGE" -gt "$SMALL" ] || die "CALLGRIND_LARGE must be larger than CALLGRIND_SMALL"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stockade-callgrind.XXXXXX")
SRV=
cleanup() {
	[ -n "$SRV" ] && kill -KILL "$SRV" 2>/dev/null
	if [ "${CALLGRIND_KEEP:-0}" = 1 ]; then
		echo "callgrind files kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT


# run MODE N -> prints the worker's total instruction count (Ir)
run() {
	local mode=$1 n=$2 port dir=$WORK/$1.$2 master files
	port=$(free_port)
	mkdir -p "$dir"
	valgrind --tool=callgrind --trace-children=yes \
		--trace-children-skip='/bin/*,/usr/*,/sbin/*' \
		--callgrind-out-file="$dir/callgrind.out.%p" --log-file="$dir/valgrind.%p.log" \
		"$BIN" --http-socket "127.0.0.1:$port" --wsgi-file "$REPO/bench/hello.py" \
		--master --processes 1 --disable-logging --worker-reload-mercy 60 \
		>"$dir/server.log" 2>&1 </dev/null &
	SRV=$!
	master=$SRV
	# python starts slowly under valgrind: wait for the first 200 (one request
	# in every run, so it cancels out in the difference)
	python3 - "$port" <<-'PYEOF' || die "$mode $n: no answer (log: $dir/server.log)"
	import http.client, sys, time
	deadline = time.monotonic() + 300
	while True:
	    try:
	        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=120)
	        c.request("GET", "/", headers={"Connection": "close"})
	        if c.getresponse().status == 200:
	            break
	    except (OSError, http.client.HTTPException):
	        pass
	    if time.monotonic() > deadline:
	        sys.exit(1)
	    time.sleep(0.2)
	PYEOF
	python3 bench/fixedload.py 127.0.0.1 "$port" "$n" "$CONNS" "$mode" >/dev/null ||
		die "$mode $n: the load failed"
	kill -TERM "$SRV"
	wait "$SRV" || true
	SRV=
	# every file but the master's is a forked child: with one worker and no
	# other process (no router, no mules) that is the worker
	files=$(ls "$dir"/callgrind.out.* | grep -v "callgrind.out.$master\$" || true)
	[ "$(echo "$files" | grep -c .)" = 1 ] ||
		die "$mode $n: expected one worker profile, found: $files"
	awk '/^(summary|totals):/ { print $2; exit }' "$files"
}

echo "Instructions per request (callgrind, user space, one worker, bench/hello.py," \
	"$CONNS in flight; ($LARGE - $SMALL) requests)"
for mode in $MODES; do
	a=$(run "$mode" "$SMALL")
	b=$(run "$mode" "$LARGE")
	printf '%-6s %s instructions/request (%s - %s)\n' "$mode" \
		"$(( (b - a) / (LARGE - SMALL) ))" "$b" "$a"
done
