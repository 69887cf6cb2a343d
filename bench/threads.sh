#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Threads (issue 20), side by side in one run: Stockade, Debian's uWSGI and
# gunicorn's gthread worker, each with 2 processes x 16 threads, wrk -c64:
#
#   wait20   bench/wait20.py (20 ms of waiting per request; limit 32/20 ms =
#            1,600 req/s), uWSGI on --http-socket as its users run it
#   cpu1ms   bench/cpu1ms.py (~1 ms of Python per request: GIL-bound)
#   hello    bench/hello.py keep-alive, threads = 16 and threads = 1 (uWSGI on
#            --http11-socket, its keep-alive socket): what threads cost per
#            request when there is nothing to wait for
#
# and the PSS of each server (master + workers, /proc/PID/smaps_rollup) after
# its wait20 run. CPU per request: utime+stime of the server's process tree
# (all threads) over the run, divided by the requests wrk counted; switches
# per request: the context switches of all its threads, likewise.
#
#   bench/threads.sh
#   THREADS_SECONDS=5 THREADS_SERVERS="stockade uwsgi" bench/threads.sh
#
# Environment:
#   THREADS_SERVERS="stockade uwsgi gunicorn"   (those installed; add
#                    stockade-old to run THREADS_OLD_BIN too, e.g. a build of
#                    main: git worktree add /tmp/old main && make -C /tmp/old stockade)
#   THREADS_SECONDS=10   each measured wrk run (after a 2 s warm-up)
#   THREADS_PORT=19580
#   BENCH_OUT=bench/results   threads.md goes there
#
# Needs: wrk, uwsgi-core + uwsgi-plugin-python3, and for gunicorn the Debian
# package python3-gunicorn (run with /usr/bin/python3 -m gunicorn):
#   apt-get install wrk uwsgi-core uwsgi-plugin-python3 python3-gunicorn
# Loopback only; as root it runs in a private network namespace.
set -eu

cd "$(dirname "$0")/.."
REPO=$PWD

if [ -z "${_BENCH_INNER:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
	unshare --net -- true 2>/dev/null; then
	export _BENCH_INNER=1
	exec unshare --net -- "$0" "$@"
fi
if [ -n "${_BENCH_INNER:-}" ]; then
	ip link set lo up
fi

SERVERS=${THREADS_SERVERS:-"stockade uwsgi gunicorn"}
SECS=${THREADS_SECONDS:-10}
PORT=${THREADS_PORT:-19580}
OUT=${BENCH_OUT:-bench/results}
CLK_TCK=$(getconf CLK_TCK)

die() { echo "threads.sh: $*" >&2; exit 1; }
command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
[ -x ./stockade ] || die "./stockade not found; run 'make'"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stockade-threads.XXXXXX")
SRV=
descendants() {
	local p c
	for p in "$@"; do
		[ -d "/proc/$p" ] || continue
		echo "$p"
		for c in $(pgrep -P "$p" 2>/dev/null || true); do descendants "$c"; done
	done
}
stop_server() {
	[ -n "$SRV" ] || return 0
	local procs
	procs=$(descendants "$SRV")
	kill -INT "$SRV" 2>/dev/null || true   # uWSGI: SIGTERM would reload
	for _ in $(seq 100); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
	# shellcheck disable=SC2086
	kill -KILL $procs 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
}
cleanup() {
	local rc=$?
	stop_server
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

available() {
	case $1 in
	stockade) return 0 ;;
	stockade-old) [ -x "${THREADS_OLD_BIN:-}" ] ;;
	uwsgi) command -v uwsgi >/dev/null && ls /usr/lib/uwsgi/plugins/python3*_plugin.so >/dev/null 2>&1 ;;
	gunicorn) /usr/bin/python3 -c "import gunicorn" 2>/dev/null ;;
	*) return 1 ;;
	esac
}

# start NAME APP THREADS [keepalive]
start() {
	local name=$1 app=$2 threads=$3 ka=${4:-} mod
	mod=$(basename "$app" .py)
	case $name in
	stockade|stockade-old)
		local bin=./stockade
		[ "$name" = stockade-old ] && bin=$THREADS_OLD_BIN
		"$bin" --http-socket "127.0.0.1:$PORT" --wsgi-file "$app" --master --processes 2 \
			--threads "$threads" --disable-logging >"$WORK/$name.log" 2>&1 & ;;
	uwsgi)
		local sock=--http-socket
		[ -n "$ka" ] && sock=--http11-socket
		uwsgi --plugin python3 "$sock" "127.0.0.1:$PORT" --wsgi-file "$app" --master \
			--processes 2 --threads "$threads" --disable-logging >"$WORK/$name.log" 2>&1 & ;;
	gunicorn)
		/usr/bin/python3 -m gunicorn -w 2 -k gthread --threads "$threads" -b "127.0.0.1:$PORT" \
			--chdir "$(dirname "$app")" "$mod:application" >"$WORK/$name.log" 2>&1 & ;;
	esac
	SRV=$!
	for _ in $(seq 200); do
		curl -fs -o /dev/null "http://127.0.0.1:$PORT/" && return 0
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.05
	done
	cat "$WORK/$name.log" >&2
	die "$name did not start"
}

cpu_ticks() {
	local t=0 p stat rest
	for p in $(descendants "$SRV"); do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		rest=${stat##*) }
		# shellcheck disable=SC2086
		set -- $rest
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}

# context switches (voluntary + not) of every thread of the server's
# processes: a threaded server that hands each request to another thread
# pays about one per request
ctx_switches() {
	local p
	for p in $(descendants "$SRV"); do
		cat /proc/"$p"/task/*/status 2>/dev/null || true
	done | awk '/^(nonvoluntary_)?(voluntary_)?ctxt_switches:/ { t += $2 } END { print t + 0 }'
}

pss_mib() {
	local p
	for p in $(descendants "$SRV"); do
		cat "/proc/$p/smaps_rollup" 2>/dev/null || true
	done | awk '$1 == "Pss:" { t += $2 } END { printf "%.1f", t / 1024 }'
}

to_ms() {
	awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000; printf "%.1f", n }'
}

# run LABEL -> appends a row: label req/s p99 cpu-us/req errors
run() {
	local label=$1 out="$WORK/wrk.out" c0 c1 s0 s1 reqs rps p99 errs cpu csw
	wrk -t1 -c64 -d2s --timeout 10s "http://127.0.0.1:$PORT/" >/dev/null 2>&1 || true
	c0=$(cpu_ticks)
	s0=$(ctx_switches)
	wrk -t1 -c64 -d"${SECS}s" --timeout 10s --latency "http://127.0.0.1:$PORT/" >"$out" 2>&1 || true
	c1=$(cpu_ticks)
	s1=$(ctx_switches)
	reqs=$(awk '/ requests in /{print $1; exit}' "$out")
	rps=$(awk '/^Requests\/sec:/{printf "%.0f", $2; exit}' "$out")
	p99=$(to_ms "$(awk '$1=="99%"{print $2; exit}' "$out")")
	errs=$(awk '/Socket errors:|Non-2xx/{e = e $0 " "} END {print e}' "$out")
	cpu=$(awk -v d=$((c1 - c0)) -v t="$CLK_TCK" -v r="${reqs:-0}" \
		'BEGIN { if (r > 0) printf "%.0f", d * 1e6 / t / r; else print "nan" }')
	csw=$(awk -v d=$((s1 - s0)) -v r="${reqs:-0}" \
		'BEGIN { if (r > 0) printf "%.2f", d / r; else print "nan" }')
	ROW="| $label | ${rps:-0} | $p99 | $cpu | $csw |"
	[ -n "$errs" ] && ROW="$ROW errors: $errs"
	echo "$ROW"
}

RESULTS="$WORK/results.md"
{
	echo "bench/threads.sh: $(date -u +%F), $(nproc) CPUs, ${SECS} s per run, wrk -t1 -c64;"
	echo "processes = 2 everywhere. $(./stockade --version 2>&1 | head -1); uWSGI $(uwsgi --version 2>/dev/null || echo -);"
	echo "gunicorn $(/usr/bin/python3 -c 'import gunicorn; print(gunicorn.__version__)' 2>/dev/null || echo -)."
	echo
	echo "| server, workload | req/s | p99 ms | CPU µs/req | switches/req |"
	echo "|---|---:|---:|---:|---:|"
} >"$RESULTS"
PSS=()
for s in $SERVERS; do
	available "$s" || { echo "threads.sh: $s not installed, skipped" >&2; continue; }
	start "$s" bench/wait20.py 16
	run "$s, wait20, threads=16" >>"$RESULTS"
	PSS+=("| $s | $(pss_mib) |")
	stop_server
	start "$s" bench/cpu1ms.py 16
	run "$s, cpu1ms, threads=16" >>"$RESULTS"
	stop_server
	for t in 16 1; do
		start "$s" bench/hello.py "$t" ka
		run "$s, hello keep-alive, threads=$t" >>"$RESULTS"
		stop_server
	done
done
{
	echo
	echo "PSS after the wait20 run (master + workers, processes = 2, threads = 16):"
	echo
	echo "| server | PSS MiB |"
	echo "|---|---:|"
	printf '%s\n' "${PSS[@]}"
} >>"$RESULTS"
mkdir -p "$OUT"
cp "$RESULTS" "$OUT/threads.md"
cat "$RESULTS"
