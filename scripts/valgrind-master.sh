#!/bin/sh
# SPDX-License-Identifier: MIT
# valgrind on the master (make valgrind): one full request cycle, and one
# graceful reload. A reload re-execs the master in the same process, and
# valgrind checks leaks only at exit, so two runs: requests + SIGTERM (the
# first image), requests + SIGHUP + requests + SIGTERM (the re-executed
# image, which starts from inherited sockets; --trace-children follows the
# exec and its report replaces the first image's in the same log file).
# Workers and hook commands are
# not checked here (--child-silent-after-fork, --trace-children-skip).
# Fails when a run has "definitely lost" bytes outside CPython's own
# allocations (tests/valgrind.supp) or a memory error.
set -eu
cd "$(dirname "$0")/.."
BIN=${STOCKADE_BIN:-$PWD/stockade}
PY=${PYTHON:-/usr/bin/python3}
OUT=${VALGRIND_OUT:-build/valgrind}
rm -rf "$OUT" && mkdir -p "$OUT"

free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# GET path n times (Connection: close), or wait for the reload count
client() {
	"$PY" - "$@" <<'PYEOF'
import http.client, json, socket, sys, time
port, what = int(sys.argv[1]), sys.argv[2]
def get(path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", path, headers={"Connection": "close"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body
deadline = time.monotonic() + 120        # python starts slowly under valgrind
while True:
    try:
        status, body = get("/osenv")
        if what != "reloads" or json.loads(body)["reloads"] == sys.argv[3]:
            break
    except (OSError, http.client.HTTPException, ValueError):
        pass
    if time.monotonic() > deadline:
        sys.exit("valgrind-master: the server never answered (%s)" % what)
    time.sleep(0.2)
if what == "get":
    for _ in range(int(sys.argv[3])):
        status, _ = get("/")
        if status != 200:
            sys.exit("valgrind-master: status %d" % status)
PYEOF
}

run() {      # name, then what to do between start and SIGTERM
	name=$1
	shift
	port=$(free_port)
	PYTHONMALLOC=malloc valgrind --tool=memcheck --leak-check=full \
		--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite \
		--trace-children=yes --trace-children-skip='/bin/*,/usr/*,/sbin/*' \
		--child-silent-after-fork=yes --num-callers=30 \
		--suppressions=tests/valgrind.supp --log-file="$OUT/$name.log" \
		"$BIN" --http-socket "127.0.0.1:$port" --wsgi-file tests/integration/apps/probe.py \
		--master --processes 1 --worker-reload-mercy 30 >"$OUT/$name.out" 2>&1 &
	pid=$!
	"$@"
	kill -TERM "$pid"
	wait "$pid" || { echo "valgrind-master: $name: exit status $?" >&2; return 1; }
}

cycle() { client "$port" get 5; }
reload() {
	client "$port" get 5
	kill -HUP "$pid"
	client "$port" reloads 1
	client "$port" get 5
}

fail=0
run request-cycle cycle
run reload reload
for name in request-cycle reload; do
	log=$OUT/$name.log
	def=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -n 1 | tr -d ,)
	ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -n 1 | tr -d ,)
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -n 1 | tr -d ,)
	echo "valgrind-master: $name: definitely lost ${def:-0} bytes, indirectly lost ${ind:-0} bytes, ${errs:-?} errors ($log)"
	if [ -z "$errs" ] || [ "${def:-0}" != 0 ] || [ "$errs" != 0 ]; then
		fail=1
	fi
done
if [ $fail != 0 ]; then
	echo "valgrind-master: FAILED (see the logs above)" >&2
	exit 1
fi
echo "valgrind-master: OK"
