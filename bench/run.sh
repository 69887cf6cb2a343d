#!/usr/bin/env bash
# Side-by-side hello-world benchmark: Stockade vs Debian's uWSGI (and gunicorn).
#
#   bench/run.sh                 (or `make bench`, which builds ./stockade first)
#
# Environment:
#   BENCH_SECONDS=10   length of each measured wrk run
#   BENCH_PIN=1        server on CPU 1 (taskset -c 1), wrk on CPU 0
#   BENCH_PORT=18080   first port; each server gets its own (PORT, PORT+1, ...)
#   BENCH_CONNS=32     wrk connections (-c); wrk always uses one thread (-t1)
#   BENCH_SERVERS="stockade uwsgi uwsgi-http11 gunicorn"   which servers to run
#   BENCH_KEEP=1       keep the work directory (wrk outputs, server logs)
#
# Each server runs alone (started, measured, stopped before the next one) with
# 2 worker processes and request logging off.  Per server: a 2 s warm-up, two
# keep-alive runs and one run with "Connection: close".  CPU per request is the
# utime+stime delta of the server's whole process tree (master + workers, from
# /proc/<pid>/stat) divided by the number of requests wrk completed.
# Builds nothing: ./stockade must exist.
set -eu

cd "$(dirname "$0")/.."

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
PIN=${BENCH_PIN:-0}
BASE_PORT=${BENCH_PORT:-18080}
CONNS=${BENCH_CONNS:-32}
SERVERS=${BENCH_SERVERS:-"stockade uwsgi uwsgi-http11 gunicorn"}
APP=bench/hello.py
CLK_TCK=$(getconf CLK_TCK)

die() { echo "run.sh: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
[ -x ./stockade ] || die "./stockade not found; run 'make' (or 'make bench')"
if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null || die "BENCH_PIN=1 needs taskset (util-linux)"
	[ "$(nproc --all)" -ge 2 ] || die "BENCH_PIN=1 needs at least 2 CPUs"
	SRV_PREFIX=(taskset -c 1)
	WRK_PREFIX=(taskset -c 0)
else
	SRV_PREFIX=()
	WRK_PREFIX=()
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stockade-bench.XXXXXX")
SERVER_PID=
FAILED=0

# --- process helpers --------------------------------------------------------

# descendants PID: PID and every process below it, one per line
descendants() {
	local p c
	for p in "$@"; do
		[ -d "/proc/$p" ] || continue
		echo "$p"
		for c in $(pgrep -P "$p" 2>/dev/null || true); do
			descendants "$c"
		done
	done
}

# cpu_ticks PID: utime+stime (clock ticks) summed over PID's process tree.
# Fields 14 and 15 of /proc/<pid>/stat; parsed after the last ')' because the
# command name (field 2) may contain spaces.
cpu_ticks() {
	local total=0 p stat rest
	for p in $(descendants "$1"); do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		rest=${stat##*) }
		# rest starts at field 3 (state): field 14 is word 12, field 15 word 13
		set -- $rest
		total=$((total + ${12} + ${13}))
	done
	echo "$total"
}

stop_server() {
	local pid=$1 procs i
	[ -n "$pid" ] || return 0
	procs=$(descendants "$pid")
	# SIGINT: immediate shutdown for Stockade, uWSGI (where SIGTERM means
	# reload) and gunicorn alike.
	kill -INT "$pid" 2>/dev/null || true
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	for p in $procs; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
	done
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	stop_server "$SERVER_PID"
	SERVER_PID=
	if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$rc" != 0 ] || [ "$FAILED" != 0 ]; then
		echo "(wrk outputs and server logs kept in $WORK)" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- servers ----------------------------------------------------------------

server_cmd() {	# name port -> CMD array
	local name=$1 port=$2
	case $name in
	stockade)
		CMD=(./stockade --http-socket "127.0.0.1:$port" --wsgi-file "$APP"
			--master --processes 2 --disable-logging) ;;
	uwsgi)
		CMD=(uwsgi --plugin python3 --http-socket "127.0.0.1:$port"
			--wsgi-file "$APP" --master --processes 2 --disable-logging) ;;
	uwsgi-http11)
		CMD=(uwsgi --plugin python3 --http11-socket "127.0.0.1:$port"
			--wsgi-file "$APP" --master --processes 2 --disable-logging) ;;
	gunicorn)
		CMD=(gunicorn -w 2 -b "127.0.0.1:$port" --chdir bench hello:application) ;;
	*) die "unknown server '$name'" ;;
	esac
}

server_available() {
	case $1 in
	stockade) return 0 ;;
	uwsgi|uwsgi-http11)
		command -v uwsgi >/dev/null &&
			ls /usr/lib/uwsgi/plugins/python3*_plugin.so >/dev/null 2>&1 ;;
	gunicorn) command -v gunicorn >/dev/null ;;
	esac
}

# --- wrk output parsing -------------------------------------------------------

to_ms() {	# "123.45us" | "1.23ms" | "1.01s" | "2.00m" -> milliseconds
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n /= 1000; else if (u == "s") n *= 1000;
		else if (u == "m") n *= 60000;
		printf "%.3f", n }'
}

# parse_wrk FILE -> sets REQS RPS P50 P99 ERRS NON2XX
parse_wrk() {
	local f=$1
	REQS=$(awk '/ requests in /{print $1; exit}' "$f")
	RPS=$(awk '/^Requests\/sec:/{print $2; exit}' "$f")
	P50=$(to_ms "$(awk '$1=="50%"{print $2; exit}' "$f")")
	P99=$(to_ms "$(awk '$1=="99%"{print $2; exit}' "$f")")
	# connect/read/write/timeout
	ERRS=$(awk '/Socket errors:/{gsub(/,/,""); print $4 "/" $6 "/" $8 "/" $10; exit}' "$f")
	NON2XX=$(awk '/Non-2xx or 3xx responses:/{print $NF; exit}' "$f")
	REQS=${REQS:-0} RPS=${RPS:-0} ERRS=${ERRS:-0/0/0/0} NON2XX=${NON2XX:-0}
}

# --- main ---------------------------------------------------------------------

T0=$(date +%s)
mode="shared CPUs"
[ "$PIN" = 1 ] && mode="pinned: server CPU 1, wrk CPU 0"
echo "Stockade benchmark: hello world, ${SECONDS_PER_RUN}s runs, wrk -t1 -c$CONNS, 2 workers, $mode"
echo "  $(./stockade --version 2>&1 | head -1)"
command -v uwsgi >/dev/null && echo "  uWSGI $(uwsgi --version 2>&1)"
command -v gunicorn >/dev/null && echo "  $(gunicorn --version 2>&1)"
echo "  $(wrk --version 2>&1 | head -1 | sed 's/ Copyright.*//')"
echo "  $(nproc) CPUs, load average before start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

IGNORES_CLOSE=
RESULTS="$WORK/results.tsv"	# server run rps p50 p99 cpu_us_per_req reqs errs non2xx
: >"$RESULTS"
port=$BASE_PORT
for name in $SERVERS; do
	if ! server_available "$name"; then
		echo "-- $name: not installed, skipped" >&2
		continue
	fi
	port=$((port + 1))
	if port_open "$port"; then
		echo "-- $name: port $port already in use, skipped" >&2
		FAILED=1
		continue
	fi
	server_cmd "$name" "$port"
	log="$WORK/$name.log"
	echo "-- $name on 127.0.0.1:$port" >&2
	"${SRV_PREFIX[@]}" "${CMD[@]}" >"$log" 2>&1 </dev/null &
	SERVER_PID=$!

	up=0
	for i in $(seq 150); do
		kill -0 "$SERVER_PID" 2>/dev/null || break
		if port_open "$port"; then up=1; break; fi
		sleep 0.1
	done
	body=
	[ "$up" = 1 ] && body=$(curl -sS --max-time 5 "http://127.0.0.1:$port/" 2>&1 || true)
	if [ "$up" != 1 ] || [ "$body" != "Hello, World!" ]; then
		echo "-- $name: failed to start or wrong response (got: ${body:0:80})" >&2
		tail -n 20 "$log" | sed 's/^/   | /' >&2
		FAILED=1
		stop_server "$SERVER_PID"; SERVER_PID=
		continue
	fi

	# Does the server honour "Connection: close"?  (uWSGI 2.0 --http11-socket
	# does not: it keeps the connection open, so its "close" run is keep-alive.)
	close_run=close
	if curl -sv --max-time 5 -H 'Connection: close' "http://127.0.0.1:$port/" \
		"http://127.0.0.1:$port/" 2>&1 | grep -q 'Re-using existing connection'; then
		close_run='close*'
		IGNORES_CLOSE="$IGNORES_CLOSE $name"
	fi

	"${WRK_PREFIX[@]}" wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$port/" >"$WORK/$name.warmup" 2>&1
	for run in keepalive-1 keepalive-2 close; do
		hdr=()
		[ "$run" = close ] && hdr=(-H 'Connection: close')
		out="$WORK/$name.$run.wrk"
		c0=$(cpu_ticks "$SERVER_PID")
		"${WRK_PREFIX[@]}" wrk -t1 -c"$CONNS" -d"${SECONDS_PER_RUN}s" --latency \
			"${hdr[@]}" "http://127.0.0.1:$port/" >"$out" 2>&1 || true
		c1=$(cpu_ticks "$SERVER_PID")
		parse_wrk "$out"
		cpu=$(awk -v d=$((c1 - c0)) -v t="$CLK_TCK" -v r="$REQS" \
			'BEGIN { if (r > 0) printf "%.1f", d * 1e6 / t / r; else print "nan" }')
		label=$run; [ "$run" = close ] && label=$close_run
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$label" "$RPS" \
			"$P50" "$P99" "$cpu" "$REQS" "$ERRS" "$NON2XX" >>"$RESULTS"
		if [ "$REQS" = 0 ]; then
			echo "   $run: wrk reported no requests:" >&2
			sed 's/^/   | /' "$out" >&2
			FAILED=1
		fi
	done
	stop_server "$SERVER_PID"; SERVER_PID=
done

echo
awk -F'\t' '
BEGIN {
	printf "%-13s %-12s %10s %9s %9s %10s %9s %7s %s\n",
		"server", "run", "req/s", "p50 ms", "p99 ms", "cpu us/req", "requests", "non2xx", "sock err c/r/w/t"
	printf "%-13s %-12s %10s %9s %9s %10s %9s %7s %s\n",
		"------", "---", "-----", "------", "------", "----------", "--------", "------", "----------------"
}
{
	printf "%-13s %-12s %10.0f %9.3f %9.3f %10s %9d %7d %s\n", $1, $2, $3, $4, $5, $6, $7, $9, $8
	split($8, e, "/"); if ($1 == "uwsgi" && e[2] > 0) uclose = 1
	if (e[1] + e[3] + e[4] > 0 || ($1 != "uwsgi" && e[2] > 0)) odd = 1
	kind = ($2 ~ /^close/) ? "close" : "keepalive"
	if (!(($1) in seen)) { seen[$1] = 1; order[++n] = $1 }
	rps[$1, kind] += $3; cpu[$1, kind] += $6; cnt[$1, kind]++
}
END {
	if (uclose) {
		print "(wrk counts a server-side close as a read error: uWSGI --http-socket closes every"
		print " connection after the response without sending Connection: close, so its read"
		print " errors are ~ its request count and do not mean failed requests)"
	}
	if (odd) print "NOTE: unexpected socket errors above"
	if (!(("uwsgi", "keepalive") in cnt)) { print "\n(no uWSGI baseline: ratios skipped)"; exit }
	printf "\nratios vs uwsgi --http-socket (keep-alive = mean of the two runs; >1 req/s and <1 cpu are better)\n"
	printf "%-13s %14s %14s %14s %14s\n", "server", "ka req/s", "ka cpu/req", "close req/s", "close cpu/req"
	for (i = 1; i <= n; i++) {
		s = order[i]; line = sprintf("%-13s", s)
		for (k = 1; k <= 2; k++) {
			kind = (k == 1) ? "keepalive" : "close"
			if (cnt[s, kind] && cnt["uwsgi", kind] && rps["uwsgi", kind] > 0 && cpu["uwsgi", kind] > 0) {
				r = (rps[s, kind] / cnt[s, kind]) / (rps["uwsgi", kind] / cnt["uwsgi", kind])
				c = (cpu[s, kind] / cnt[s, kind]) / (cpu["uwsgi", kind] / cnt["uwsgi", kind])
				line = line sprintf(" %13.2fx %13.2fx", r, c)
			} else line = line sprintf(" %14s %14s", "-", "-")
		}
		print line
	}
}' "$RESULTS"

[ -z "$IGNORES_CLOSE" ] || echo "close* =${IGNORES_CLOSE}: ignores the request's 'Connection: close' and keeps the connection open, so this run is really keep-alive"
echo
echo "total time: $(( $(date +%s) - T0 ))s"
[ "$FAILED" = 0 ] || { echo "run.sh: some servers failed (see messages above)" >&2; exit 1; }
