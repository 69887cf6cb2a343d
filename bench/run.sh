#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Side-by-side benchmark: Stockade (unjailed and jailed) vs Debian's uWSGI
# (--http-socket, --http11-socket, --socket behind nginx), gunicorn, and
# nginx `return 200` / static file as the loopback ceiling.
#
#   bench/run.sh                 (or `make bench`, which builds ./stockade first)
#   BENCH_PIN=1 bench/run.sh     pinned mode
#
# Environment:
#   BENCH_SECONDS=10   length of each measured wrk run
#   BENCH_REPS         measured runs per (workload, server), averaged; default 2,
#                      1 when BENCH_SECONDS <= 2 (the quick mode: < 2 minutes)
#   BENCH_PIN=1        servers on CPU 1 (taskset -c 1), wrk on CPU 0
#   BENCH_PORT=18080   first port; each server start gets the next one
#   BENCH_CONNS=32     wrk connections (-c); wrk always uses one thread (-t1)
#   BENCH_SERVERS="nginx stockade stockade-jail stockade-log uwsgi uwsgi-http11 gunicorn nginx+stockade nginx+uwsgi"
#   BENCH_WORKLOADS="hello-ka hello-close 64k post-1m uwsgi_pass"
#   BENCH_STARTUP="stockade stockade-jail uwsgi"   start-up timings ("" = none)
#   BENCH_STARTUP_N=5  start-ups per server (the median is reported)
#   BENCH_NETNS=1      as root: re-run the whole bench in a private network and
#                      mount namespace (lo only; nothing else can reach it, and
#                      the jail rootfs mounts never show on the host)
#   BENCH_SYSCALLS=1   syscalls per request (bench/syscalls.sh; needs strace), 0 = skip
#   BENCH_EMPEROR_N="100 250"   the Emperor scale scenario (bench/emperor.sh) with
#                      these vassal counts ("" = skip)
#   BENCH_OUT=bench/results   where results-<mode>.tsv, report.md (+ report-<mode>.md),
#                      syscalls.tsv and emperor.tsv go (gitignored)
#   BENCH_KEEP=1       keep the work directory (wrk outputs, server logs)
#
# Workloads (each server runs alone: started, warmed up once, measured, stopped;
# hello-* share one start, 64k and post-1m share another):
#   hello-ka     bench/hello.py (13 bytes), keep-alive
#   hello-close  the same with "Connection: close" (one TCP connection per request)
#   64k          bench/payload.py GET: a 64 KiB body (nginx: a 64 KiB static file)
#   post-1m      bench/payload.py POST of 1 MiB (bench/post.lua), read fully by the
#                app (nginx: `return 200`, nginx discards the body)
#   (stockade-log: hello-ka only, with request logging on to a file: --logto)
#   uwsgi_pass   wrk -> nginx (keep-alive) -> uwsgi binary protocol -> stockade
#                --socket / uwsgi --socket, hello app; CPU and RSS are nginx's
#                plus the app server's
# The jailed Stockade ("stockade-jail") runs in a Linux jail with a shared-stack
# address: --jail <rootfs> benchhost --jail-ip4 127.0.5.1, http-socket on
# 127.0.5.1.  The rootfs is built like tests/integration/jailfs.py: /usr bound
# read-only, a few /etc files, a tmpfs /tmp, the repository at its own path.
#
# CPU per request is the utime+stime delta of the server's whole process tree
# (master + workers, from /proc/<pid>/stat) divided by the requests wrk
# completed, also split into user and system time.  RSS is the sum of VmRSS over that tree at the end of the run
# (shared pages count once per process).  Ratios: to uwsgi --http-socket (for
# uwsgi_pass: to nginx+uwsgi) and to nginx (for uwsgi_pass: nginx hello-ka) on
# the same workload; >1 is better for req/s, <1 is better for cpu.
# Builds nothing: ./stockade must exist.
set -eu

cd "$(dirname "$0")/.."
REPO=$PWD

# --- private namespaces (root only) -------------------------------------------
. bench/lib.sh
bench_private_netns --mount "$@"

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
if [ -n "${BENCH_REPS:-}" ]; then REPS=$BENCH_REPS
elif [ "$SECONDS_PER_RUN" -le 2 ]; then REPS=1
else REPS=2; fi
WARMUP=2; [ "$SECONDS_PER_RUN" -le 2 ] && WARMUP=1
PIN=${BENCH_PIN:-0}
BASE_PORT=${BENCH_PORT:-18080}
CONNS=${BENCH_CONNS:-32}
SERVERS=${BENCH_SERVERS:-"nginx stockade stockade-jail stockade-log uwsgi uwsgi-http11 gunicorn nginx+stockade nginx+uwsgi"}
WORKLOADS=${BENCH_WORKLOADS:-"hello-ka hello-close 64k post-1m uwsgi_pass"}
STARTUP=${BENCH_STARTUP-"stockade stockade-jail uwsgi"}
STARTUP_N=${BENCH_STARTUP_N:-5}
OUT=${BENCH_OUT:-bench/results}
SYSCALLS=${BENCH_SYSCALLS:-1}
EMPEROR_COUNTS=${BENCH_EMPEROR_N-"100 250"}
JAIL_IP=127.0.5.1
CLK_TCK=$(getconf CLK_TCK)

die() { echo "run.sh: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
[ -x ./stockade ] || die "./stockade not found; run 'make' (or 'make bench')"
if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null || die "BENCH_PIN=1 needs taskset (util-linux)"
	[ "$(nproc --all)" -ge 2 ] || die "BENCH_PIN=1 needs at least 2 CPUs"
	SRV_PREFIX=(taskset -c 1)
	WRK_PREFIX=(taskset -c 0)
	MODE=pinned
else
	SRV_PREFIX=()
	WRK_PREFIX=()
	MODE=shared
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stockade-bench.XXXXXX")
chmod 755 "$WORK"
ROOTFS=
SERVER_PIDS=()
FAILED=0
FAILURES=()
fail() { FAILED=1; FAILURES+=("$*"); echo "-- FAILED: $*" >&2; }

# --- process helpers --------------------------------------------------------

# descendants PID...: each PID and every process below it, one per line
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

# cpu_ticks PID...: "utime stime" (clock ticks) summed over the process trees.
# Fields 14 and 15 of /proc/<pid>/stat; parsed after the last ')' because the
# command name (field 2) may contain spaces.
cpu_ticks() {
	local user=0 sys=0 p stat rest
	for p in $(descendants "$@"); do
		stat=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		rest=${stat##*) }
		# rest starts at field 3 (state): field 14 is word 12, field 15 word 13
		set -- $rest
		user=$((user + ${12}))
		sys=$((sys + ${13}))
	done
	echo "$user $sys"
}

# rss_kib PID...: VmRSS summed over the process trees
rss_kib() {
	local p
	for p in $(descendants "$@"); do
		cat "/proc/$p/status" 2>/dev/null || true
	done | awk '$1 == "VmRSS:" { t += $2 } END { print t + 0 }'
}

stop_pid() {
	local pid=$1 procs i p
	[ -n "$pid" ] || return 0
	procs=$(descendants "$pid")
	# SIGINT: immediate shutdown for Stockade, uWSGI (where SIGTERM means
	# reload), gunicorn and nginx (fast shutdown) alike.
	kill -INT "$pid" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	for p in $procs; do
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null || true
	done
	wait "$pid" 2>/dev/null || true
}

stop_servers() {
	local i
	# the front (nginx) first, then the backend
	for ((i = ${#SERVER_PIDS[@]} - 1; i >= 0; i--)); do
		stop_pid "${SERVER_PIDS[i]}"
	done
	SERVER_PIDS=()
}

cleanup() {
	local rc=$?
	stop_servers
	if [ -n "$ROOTFS" ]; then
		umount -R "$ROOTFS" 2>/dev/null || umount -R -l "$ROOTFS" 2>/dev/null || true
	fi
	if [ "${BENCH_KEEP:-0}" = 1 ] || [ "$rc" != 0 ] || [ "$FAILED" != 0 ]; then
		echo "(wrk outputs and server logs kept in $WORK)" >&2
	elif grep -q " $WORK/" /proc/self/mountinfo; then
		# never rm -r through a bind mount of the repository
		echo "(mounts left under $WORK: not removed)" >&2
	else
		rm -rf --one-file-system "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# --- jail rootfs (as tests/integration/jailfs.py) -----------------------------

JAIL_OK=0
JAIL_WHY="needs root and the private mount namespace (BENCH_NETNS=1)"
if [ -n "${_BENCH_INNER:-}" ]; then
	if ! ./stockade --jls >/dev/null 2>&1; then
		JAIL_WHY="the jail backend does not work here (./stockade --jls failed)"
	else
		ROOTFS=$WORK/root
		R=$ROOTFS
		mkdir -p "$R"/{usr,etc,tmp,proc,dev,app,out}
		for l in bin lib lib64 sbin; do
			[ -L "/$l" ] || [ -e "/$l" ] || continue
			ln -s "usr/$l" "$R/$l"
		done
		if (
			set -e
			mount --bind "$R" "$R"	# a mount point, so that umount -R takes it all
			mount --bind /usr "$R/usr"
			mount -o remount,bind,ro "$R/usr"
			mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
			for f in passwd group hosts nsswitch.conf ld.so.cache localtime host.conf; do
				[ -e "/etc/$f" ] || continue
				touch "$R/etc/$f"
				mount --bind "/etc/$f" "$R/etc/$f"
				mount -o remount,bind,ro "$R/etc/$f"
			done
			mkdir -p "$R$REPO"
			mount --bind "$REPO" "$R$REPO"
		) 2>"$WORK/rootfs.log"; then
			JAIL_OK=1
		else
			JAIL_WHY="rootfs mounts failed: $(head -1 "$WORK/rootfs.log")"
		fi
	fi
fi
JAIL_NAME=bench$$

# --- servers ----------------------------------------------------------------

# server_cmd NAME APP HOST PORT [PROTO] -> CMD array (PROTO: http | uwsgi)
server_cmd() {
	local name=$1 app=$2 host=$3 port=$4 proto=${5:-http}
	local sock=--http-socket
	[ "$proto" = uwsgi ] && sock=--socket
	case $name in
	stockade)
		CMD=(./stockade "$sock" "$host:$port" --wsgi-file "$REPO/$app"
			--master --processes 2 --disable-logging) ;;
	stockade-log)	# request logging on, to a file
		CMD=(./stockade "$sock" "$host:$port" --wsgi-file "$REPO/$app"
			--master --processes 2 --logto "$WORK/stockade-log.$port.log") ;;
	stockade-jail)
		CMD=(./stockade --jail "$ROOTFS benchhost $JAIL_NAME" --jail-ip4 "$JAIL_IP"
			"$sock" "$host:$port" --wsgi-file "$REPO/$app"
			--master --processes 2 --disable-logging) ;;
	uwsgi)
		[ "$proto" = http ] && sock=--http-socket
		CMD=(uwsgi --plugin python3 "$sock" "$host:$port"
			--wsgi-file "$app" --master --processes 2 --disable-logging) ;;
	uwsgi-http11)
		CMD=(uwsgi --plugin python3 --http11-socket "$host:$port"
			--wsgi-file "$app" --master --processes 2 --disable-logging) ;;
	gunicorn)
		local mod=${app#bench/}
		CMD=(gunicorn -w 2 -b "$host:$port" --chdir bench "${mod%.py}:application") ;;
	*) die "unknown server '$name'" ;;
	esac
}

server_available() {
	case $1 in
	stockade|stockade-log) return 0 ;;
	stockade-jail) [ "$JAIL_OK" = 1 ] ;;
	nginx) command -v nginx >/dev/null ;;
	uwsgi|uwsgi-http11)
		command -v uwsgi >/dev/null &&
			ls /usr/lib/uwsgi/plugins/python3*_plugin.so >/dev/null 2>&1 ;;
	gunicorn) command -v gunicorn >/dev/null ;;
	nginx+*) command -v nginx >/dev/null && server_available "${1#nginx+}" ;;
	*) return 1 ;;
	esac
}

# nginx_conf PORT [BACKEND_PORT] -> prints the path of a config file.
# Without a backend: `return 200` for GET /, a 64 KiB static file for /64k,
# `return 200` for POST /upload.  With one: everything to uwsgi_pass.
nginx_conf() {
	local port=$1 backend=${2:-} dir=$WORK/nginx-$1
	mkdir -p "$dir/tmp"
	[ -f "$WORK/64k.bin" ] || head -c 65536 /dev/zero | tr '\0' x >"$WORK/64k.bin"
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<-EOF
		worker_processes 2;
		pid $dir/nginx.pid;
		error_log $dir/error.log warn;
		events { worker_connections 4096; }
		http {
		    access_log off;
		    keepalive_requests 10000000;
		    sendfile on;
		    tcp_nopush on;
		    client_body_temp_path $dir/tmp/body;
		    proxy_temp_path $dir/tmp/proxy;
		    fastcgi_temp_path $dir/tmp/fastcgi;
		    uwsgi_temp_path $dir/tmp/uwsgi;
		    scgi_temp_path $dir/tmp/scgi;
		    default_type text/plain;
		    server {
		        listen 127.0.0.1:$port;
		EOF
		if [ -n "$backend" ]; then
			cat <<-EOF
			        location / {
			            include /etc/nginx/uwsgi_params;
			            uwsgi_pass 127.0.0.1:$backend;
			        }
			EOF
		else
			cat <<-EOF
			        location = / { return 200 "Hello, World!"; }
			        location = /64k { default_type application/octet-stream; alias $WORK/64k.bin; }
			        location = /upload { client_max_body_size 2m; return 200 "1048576"; }
			EOF
		fi
		echo "    }"
		echo "}"
	} >"$dir/nginx.conf"
	echo "$dir/nginx.conf"
}

wait_up() {	# host port pid -> 0 when the port accepts
	local i
	for i in $(seq 200); do
		kill -0 "$3" 2>/dev/null || return 1
		port_open "$1" "$2" && return 0
		sleep 0.05
	done
	return 1
}

# start NAME APP -> starts the server(s), sets SERVER_PIDS, HOST, PORT, LOG
start() {
	local name=$1 app=$2 conf bport
	PORT=$((PORT + 1))
	HOST=127.0.0.1
	LOG=$WORK/$name.$(basename "$app" .py).log
	: >"$LOG"
	case $name in
	nginx)
		conf=$(nginx_conf "$PORT")
		"${SRV_PREFIX[@]}" nginx -p "$WORK" -e "$WORK/nginx-$PORT/error.log" -c "$conf" \
			-g 'daemon off;' >>"$LOG" 2>&1 </dev/null &
		SERVER_PIDS=($!)
		;;
	nginx+*)
		bport=$PORT
		PORT=$((PORT + 1))
		server_cmd "${name#nginx+}" "$app" 127.0.0.1 "$bport" uwsgi
		"${SRV_PREFIX[@]}" "${CMD[@]}" >>"$LOG" 2>&1 </dev/null &
		SERVER_PIDS=($!)
		wait_up 127.0.0.1 "$bport" "${SERVER_PIDS[0]}" || return 1
		conf=$(nginx_conf "$PORT" "$bport")
		"${SRV_PREFIX[@]}" nginx -p "$WORK" -e "$WORK/nginx-$PORT/error.log" -c "$conf" \
			-g 'daemon off;' >>"$LOG" 2>&1 </dev/null &
		SERVER_PIDS+=($!)
		;;
	*)
		[ "$name" = stockade-jail ] && HOST=$JAIL_IP
		server_cmd "$name" "$app" "$HOST" "$PORT"
		"${SRV_PREFIX[@]}" "${CMD[@]}" >>"$LOG" 2>&1 </dev/null &
		SERVER_PIDS=($!)
		;;
	esac
	wait_up "$HOST" "$PORT" "${SERVER_PIDS[-1]}"
}

# check URL EXPECTED [curl args...] -> 0 when the body is EXPECTED (or its length, for #N)
check() {
	local url=$1 want=$2 got
	shift 2
	got=$(curl -sS --max-time 10 "$@" "$url" 2>&1 || true)
	if [ "${want:0:1}" = "#" ]; then
		[ "${#got}" = "${want:1}" ] && return 0
	else
		[ "$got" = "$want" ] && return 0
	fi
	echo "   expected ${want:0:40}, got (${#got} bytes) ${got:0:80}" >&2
	return 1
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

# measure NAME WORKLOAD URL [wrk args...] -> appends REPS lines to $RESULTS
measure() {
	local name=$1 wl=$2 url=$3 rep out c0 c1 cpu usr sys rss
	shift 3
	if [ "$WARMED" = 0 ]; then	# once per server start, with its first workload
		"${WRK_PREFIX[@]}" wrk -t1 -c"$CONNS" -d"${WARMUP}s" --timeout 10s "$@" "$url" \
			>"$WORK/$name.$wl.warmup" 2>&1 || true
		WARMED=1
	fi
	for rep in $(seq "$REPS"); do
		out="$WORK/$name.$wl.$rep.wrk"
		c0=($(cpu_ticks "${SERVER_PIDS[@]}"))
		"${WRK_PREFIX[@]}" wrk -t1 -c"$CONNS" -d"${SECONDS_PER_RUN}s" --timeout 10s --latency \
			"$@" "$url" >"$out" 2>&1 || true
		c1=($(cpu_ticks "${SERVER_PIDS[@]}"))
		rss=$(rss_kib "${SERVER_PIDS[@]}")
		parse_wrk "$out"
		per_req() { awk -v d="$1" -v t="$CLK_TCK" -v r="$REQS" \
			'BEGIN { if (r > 0) printf "%.1f", d * 1e6 / t / r; else print "nan" }'; }
		usr=$(per_req $((c1[0] - c0[0])))
		sys=$(per_req $((c1[1] - c0[1])))
		cpu=$(per_req $((c1[0] + c1[1] - c0[0] - c0[1])))
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" "$name" "$rep" "$RPS" \
			"$P50" "$P99" "$cpu" "$REQS" "$ERRS" "$NON2XX" "$rss" "$usr" "$sys" >>"$RESULTS"
		if [ "$REQS" = 0 ]; then
			sed 's/^/   | /' "$out" >&2
			fail "$name $wl: wrk reported no requests"
		fi
		if [ "$name" = stockade-log ]; then
			# the log is really written (one line a request); then emptied,
			# so that long runs do not fill the disk
			lines=$(cat "$WORK"/stockade-log.*.log | wc -l)
			[ "$lines" -ge "$REQS" ] || fail "stockade-log: $lines log lines for $REQS requests"
			for f in "$WORK"/stockade-log.*.log; do : >"$f"; done
		fi
	done
}

wants() { case " $WORKLOADS " in *" $1 "*) return 0 ;; esac; return 1; }

# --- main ---------------------------------------------------------------------

T0=$(date +%s)
mkdir -p "$OUT"
RESULTS="$WORK/results.tsv"	# workload server rep rps p50 p99 cpu reqs errs non2xx rss_kib usr sys
: >"$RESULTS"
STARTUPS="$WORK/startup.tsv"	# server median min max n
: >"$STARTUPS"
NOTES="$WORK/notes"
: >"$NOTES"
PORT=$BASE_PORT
head -c 1048576 /dev/zero | tr '\0' x >"$WORK/1m.bin"

modetxt="shared CPUs"
[ "$PIN" = 1 ] && modetxt="pinned: servers on CPU 1, wrk on CPU 0"
HEADER="$WORK/header"
{
	echo "Stockade benchmark ($MODE): ${SECONDS_PER_RUN}s runs x $REPS, wrk -t1 -c$CONNS, 2 workers, $modetxt"
	echo "  $(./stockade --version 2>&1 | head -1)"
	command -v uwsgi >/dev/null && echo "  uWSGI $(uwsgi --version 2>&1)"
	command -v gunicorn >/dev/null && echo "  $(gunicorn --version 2>&1)"
	command -v nginx >/dev/null && echo "  $(nginx -v 2>&1)"
	echo "  $(wrk --version 2>&1 | head -1 | sed 's/ Copyright.*//')"
	echo "  $(uname -sr), $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), load average before start: $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ -n "${_BENCH_INNER:-}" ]; then echo "  in a private network namespace (lo only)"; fi
} >"$HEADER"
cat "$HEADER"
echo
if [ "$JAIL_OK" != 1 ]; then
	case " $SERVERS $STARTUP " in *" stockade-jail "*)
		echo "-- stockade-jail: skipped: $JAIL_WHY" >&2
		echo "stockade-jail skipped: $JAIL_WHY" >>"$NOTES" ;;
	esac
fi

for name in $SERVERS; do
	if ! server_available "$name"; then
		[ "$name" = stockade-jail ] || echo "-- $name: not installed, skipped" >&2
		continue
	fi
	case $name in
	nginx+*) apps="bench/hello.py" ;;
	*) apps="bench/hello.py bench/payload.py" ;;
	esac
	for app in $apps; do
		# which workloads does this (server, app) pair run?
		wls=
		case $name:$app in
		nginx+*) wants uwsgi_pass && wls="uwsgi_pass" ;;
		stockade-log:bench/hello.py) wants hello-ka && wls="hello-ka" ;;
		stockade-log:*) ;;
		*:bench/hello.py)
			for w in hello-ka hello-close; do wants "$w" && wls="$wls $w"; done ;;
		*:bench/payload.py)
			for w in 64k post-1m; do wants "$w" && wls="$wls $w"; done ;;
		esac
		[ -n "$wls" ] || continue
		if ! start "$name" "$app"; then
			tail -n 20 "$LOG" | sed 's/^/   | /' >&2
			fail "$name ($app): did not start"
			stop_servers
			continue
		fi
		base="http://$HOST:$PORT"
		WARMED=0
		echo "-- [$(( $(date +%s) - T0 ))s] $name ($app) on $HOST:$PORT:$wls" >&2
		for wl in $wls; do
			case $wl in
			hello-ka|uwsgi_pass)
				check "$base/" "Hello, World!" || { fail "$name $wl: wrong response"; continue; }
				measure "$name" "$wl" "$base/" ;;
			hello-close)
				check "$base/" "Hello, World!" -H 'Connection: close' ||
					{ fail "$name $wl: wrong response"; continue; }
				# Does the server honour "Connection: close"?  (uWSGI 2.0
				# --http11-socket does not: its "close" run is keep-alive.)
				label=$name
				if curl -sv --max-time 5 -H 'Connection: close' "$base/" "$base/" 2>&1 |
					grep -q 'Re-using existing connection'; then
					label="$name*"
					echo "$name* ignores the request's 'Connection: close' and keeps the connection open: its hello-close run is really keep-alive" >>"$NOTES"
				fi
				measure "$label" "$wl" "$base/" -H 'Connection: close' ;;
			64k)
				check "$base/64k" "#65536" || { fail "$name $wl: wrong response"; continue; }
				measure "$name" "$wl" "$base/64k" ;;
			post-1m)
				check "$base/upload" "1048576" --data-binary "@$WORK/1m.bin" \
					-H 'Content-Type: application/octet-stream' -H 'Expect:' 2>/dev/null ||
					{ fail "$name $wl: wrong response"; continue; }
				measure "$name" "$wl" "$base/upload" -s bench/post.lua ;;
			esac
		done
		stop_servers
	done
done

# --- start-up: exec to first 200 ------------------------------------------------

for name in $STARTUP; do
	if ! server_available "$name"; then
		[ "$name" = stockade-jail ] || echo "-- start-up $name: not installed, skipped" >&2
		continue
	fi
	PORT=$((PORT + 1))
	HOST=127.0.0.1
	[ "$name" = stockade-jail ] && HOST=$JAIL_IP
	server_cmd "$name" bench/hello.py "$HOST" "$PORT"
	: >"$WORK/startup.$name.ms"
	for i in $(seq "$STARTUP_N"); do
		if ! "${SRV_PREFIX[@]}" python3 bench/startup.py "$HOST" "$PORT" "$WORK/startup.$name.log" \
			-- "${CMD[@]}" >>"$WORK/startup.$name.ms"; then
			tail -n 20 "$WORK/startup.$name.log" | sed 's/^/   | /' >&2
			fail "start-up $name: no 200 within 20 s"
			break
		fi
	done
	sort -n "$WORK/startup.$name.ms" | awk -v s="$name" '
		{ v[NR] = $1 }
		END { if (NR) printf "%s\t%.1f\t%.1f\t%.1f\t%d\n", s,
			(NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[1], v[NR], NR }' >>"$STARTUPS"
	echo "-- [$(( $(date +%s) - T0 ))s] start-up $name: $(tr '\n' ' ' <"$WORK/startup.$name.ms")ms" >&2
done

# --- syscalls per request, Emperor scale ----------------------------------------

SYSCALLS_MD=$WORK/syscalls.md
EMPEROR_TXT=$WORK/emperor.txt
: >"$SYSCALLS_MD"
: >"$EMPEROR_TXT"
if [ "$SYSCALLS" = 1 ]; then
	if ! command -v strace >/dev/null; then
		echo "-- syscalls: strace not installed, skipped" >&2
	elif BENCH_OUT=$WORK/syscalls SYSCALLS_PORT=$((PORT + 100)) bench/syscalls.sh >"$WORK/syscalls.log" 2>&1; then
		cp "$WORK/syscalls/syscalls.md" "$SYSCALLS_MD"
		cp "$WORK/syscalls/syscalls.tsv" "$OUT/syscalls.tsv"
		echo "-- [$(( $(date +%s) - T0 ))s] syscalls per request measured" >&2
	else
		tail -n 20 "$WORK/syscalls.log" | sed 's/^/   | /' >&2
		fail "bench/syscalls.sh failed"
	fi
fi
if [ -n "$EMPEROR_COUNTS" ]; then
	: >"$WORK/emperor.tsv"
	if EMPEROR_N="$EMPEROR_COUNTS" EMPEROR_TSV="$WORK/emperor.tsv" EMPEROR_IDLE=5 \
		"${SRV_PREFIX[@]}" bench/emperor.sh >"$EMPEROR_TXT" 2>&1; then
		cp "$WORK/emperor.tsv" "$OUT/emperor.tsv"
		echo "-- [$(( $(date +%s) - T0 ))s] Emperor scale: $EMPEROR_COUNTS vassals" >&2
	else
		tail -n 20 "$EMPEROR_TXT" | sed 's/^/   | /' >&2
		fail "bench/emperor.sh failed"
	fi
fi

# --- report -------------------------------------------------------------------

# report FMT (text | md): the results table, ratios included, then start-up
report() {
	awk -F'\t' -v fmt="$1" -v wls="$WORKLOADS" -v notes="$NOTES" -v startups="$STARTUPS" '
	function cell(i, v) { return (fmt == "md") ? v " | " : sprintf("%" w[i] "s ", v) }
	function row(a,   i, s) {
		s = (fmt == "md") ? "| " : ""
		for (i = 1; i <= ncol; i++) s = s cell(i, a[i])
		sub(/ +$/, "", s)
		print s
	}
	function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f", a / b) : "-" }
	BEGIN {
		ncol = split("workload|server|req/s|p50 ms|p99 ms|cpu us/req|usr/sys us|RSS MiB|errors|xuWSGI req/s|xuWSGI cpu|xnginx req/s|xnginx cpu", hdr, "|")
		split("-12|-15|9|7|7|10|10|7|22|12|10|12|10", w, "|")
		nw = split(wls, worder, " ")
	}
	{
		k = $1 SUBSEP $2
		if (!(k in n)) { if (!($1 in ns)) ns[$1] = 0; ord[$1, ++ns[$1]] = $2 }
		n[k]++; rps[k] += $4; p50[k] += $5; p99[k] += $6; cpu[k] += $7; usr[k] += $12; sys[k] += $13
		split($9, e, "/"); ec[k] += e[1]; er[k] += e[2]; ew[k] += e[3]; et[k] += e[4]; nx[k] += $10
		if ($11 > rss[k]) rss[k] = $11
	}
	END {
		if (fmt == "md") {
			s = "|"; t = "|"
			for (i = 1; i <= ncol; i++) { s = s " " hdr[i] " |"; t = t (i <= 2 || i == 9 ? "---|" : "--:|") }
			print s; print t
		} else {
			row(hdr)
		}
		for (j = 1; j <= nw; j++) {
			wl = worder[j]
			if (!(wl in ns)) continue
			ku = (wl == "uwsgi_pass") ? wl SUBSEP "nginx+uwsgi" : wl SUBSEP "uwsgi"
			kn = (wl == "uwsgi_pass") ? "hello-ka" SUBSEP "nginx" : wl SUBSEP "nginx"
			ur = (ku in n) ? rps[ku] / n[ku] : 0; uc = (ku in n) ? cpu[ku] / n[ku] : 0
			nr = (kn in n) ? rps[kn] / n[kn] : 0; nc = (kn in n) ? cpu[kn] / n[kn] : 0
			for (i = 1; i <= ns[wl]; i++) {
				s = ord[wl, i]; k = wl SUBSEP s
				r = rps[k] / n[k]; c = cpu[k] / n[k]
				err = ""
				if (nx[k]) err = err " non2xx " nx[k]
				if (ec[k]) err = err " connect " ec[k]
				if (er[k]) err = err " read " er[k]
				if (ew[k]) err = err " write " ew[k]
				if (et[k]) err = err " timeout " et[k]
				sub(/^ /, "", err); if (err == "") err = "0"
				a[1] = wl; a[2] = s; a[3] = sprintf("%.0f", r)
				a[4] = sprintf("%.3f", p50[k] / n[k]); a[5] = sprintf("%.3f", p99[k] / n[k])
				a[6] = sprintf("%.1f", c); a[7] = sprintf("%.1f/%.1f", usr[k] / n[k], sys[k] / n[k])
				a[8] = sprintf("%.1f", rss[k] / 1024); a[9] = err
				a[10] = ratio(r, ur); a[11] = ratio(c, uc); a[12] = ratio(r, nr); a[13] = ratio(c, nc)
				row(a)
			}
		}
		print ""
		print "req/s, p50, p99, cpu: mean of the runs (usr/sys: the cpu split into user and system time);"
		print "RSS: VmRSS summed over the server tree (max of the runs);"
		print "errors: wrk non-2xx responses and socket errors, summed over the runs."
		print "Ratios: to uwsgi --http-socket (uwsgi_pass: to nginx+uwsgi) and to nginx (uwsgi_pass: nginx hello-ka)"
		print "on the same workload; >1 is better for req/s, <1 is better for cpu."
		print "uwsgi_pass rows: cpu and RSS are nginx + the app server. nginx post-1m: `return 200`, body discarded."
		print "uwsgi --http-socket closes every connection after its response without a Connection: close header:"
		print "wrk counts those closes as read errors (keep-alive runs included), they are not failed requests."
		print "stockade-log: request logging on (the default uWSGI-style line) to a file (--logto), hello-ka only."
		while ((getline line < notes) > 0) if (!seen[line]++) print line
		nst = 0
		while ((getline line < startups) > 0) { split(line, f, "\t"); st[++nst] = line }
		if (nst) {
			print ""
			if (fmt == "md") { print "| start-up (exec to first 200) | median ms | min ms | max ms | runs |"; print "|---|--:|--:|--:|--:|" }
			else printf "%-30s %10s %8s %8s %5s\n", "start-up (exec to first 200)", "median ms", "min ms", "max ms", "runs"
			for (i = 1; i <= nst; i++) {
				split(st[i], f, "\t")
				if (fmt == "md") printf "| %s | %s | %s | %s | %s |\n", f[1], f[2], f[3], f[4], f[5]
				else printf "%-30s %10s %8s %8s %5s\n", f[1], f[2], f[3], f[4], f[5]
			}
		}
	}' "$RESULTS"
}

echo
report text
if [ -s "$SYSCALLS_MD" ]; then
	echo
	cat "$SYSCALLS_MD"
fi
if [ -s "$EMPEROR_TXT" ]; then
	echo
	cat "$EMPEROR_TXT"
fi
ELAPSED=$(( $(date +%s) - T0 ))
echo
echo "total time: ${ELAPSED}s"

cp "$RESULTS" "$OUT/results-$MODE.tsv"
cp "$STARTUPS" "$OUT/startup-$MODE.tsv"
{
	echo "# Stockade benchmark, $MODE mode"
	echo
	echo '```'
	cat "$HEADER"
	echo '```'
	echo
	report md
	if [ -s "$SYSCALLS_MD" ]; then
		echo
		echo "## Syscalls per request"
		echo
		cat "$SYSCALLS_MD"
	fi
	if [ -s "$EMPEROR_TXT" ]; then
		echo
		echo "## Emperor scale (bench/emperor.sh)"
		echo
		echo '```'
		cat "$EMPEROR_TXT"
		echo '```'
	fi
	echo
	echo "total time: ${ELAPSED}s"
	if [ "$FAILED" != 0 ]; then
		echo
		echo "**Failures:**"
		for f in "${FAILURES[@]}"; do echo "- $f"; done
	fi
} >"$OUT/report-$MODE.md"
cp "$OUT/report-$MODE.md" "$OUT/report.md"
echo "report: $OUT/report.md (also $OUT/report-$MODE.md, results-$MODE.tsv)"

if [ "$FAILED" != 0 ]; then
	echo "run.sh: failures:" >&2
	for f in "${FAILURES[@]}"; do echo "  $f" >&2; done
	exit 1
fi
