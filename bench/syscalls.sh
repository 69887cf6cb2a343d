#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Syscalls per request: `strace -c -f` attached to the one worker of each
# server while bench/fixedload.py sends a fixed number of requests, keep-alive
# and Connection: close. Part of `make bench` (bench/run.sh calls it);
# standalone:
#
#   bench/syscalls.sh
#   SYSCALLS_SERVERS="stockade nginx" SYSCALLS_N=20000 bench/syscalls.sh
#
# Environment:
#   SYSCALLS_SERVERS="stockade nginx uwsgi uwsgi-http11"   (those installed)
#   SYSCALLS_N=20000      keep-alive requests (close mode: a quarter of it)
#   SYSCALLS_CONNS=32     requests in flight (as wrk -c32)
#   SYSCALLS_PORT=19480   first port
#   BENCH_OUT=bench/results   syscalls.tsv and syscalls.md go there
#
# Every server runs with one worker (Stockade and uWSGI: --master --processes 1,
# nginx: worker_processes 1), so that the traced process sees every request.
# The count is everything the worker calls between the first and the last
# request, epoll_wait included, divided by the responses the client read.
# strace slows the worker down, which changes how many ready connections one
# epoll_wait returns: the epoll_wait share is the figure that moves between
# runs; the per-request read/writev/accept/close counts do not.
set -eu

cd "$(dirname "$0")/.."
REPO=$PWD

. bench/lib.sh
bench_private_netns "$@"

SERVERS=${SYSCALLS_SERVERS:-"stockade nginx uwsgi uwsgi-http11"}
N=${SYSCALLS_N:-20000}
CONNS=${SYSCALLS_CONNS:-32}
PORT=${SYSCALLS_PORT:-19480}
OUT=${BENCH_OUT:-bench/results}

die() { echo "syscalls.sh: $*" >&2; exit 1; }
command -v strace >/dev/null || die "strace not found (apt-get install strace)"
[ -x ./stockade ] || die "./stockade not found; run 'make'"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/stockade-syscalls.XXXXXX")
chmod 755 "$WORK"
SRV=
cleanup() {
	local rc=$?
	stop_server
	rm -rf "$WORK"
	exit "$rc"
}
stop_server() {
	[ -n "$SRV" ] || return 0
	kill -INT "$SRV" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.05; done
	pkill -KILL -P "$SRV" 2>/dev/null || true
	kill -KILL "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

available() {
	case $1 in
	stockade|stockade-log) return 0 ;;
	nginx) command -v nginx >/dev/null ;;
	uwsgi|uwsgi-http11)
		command -v uwsgi >/dev/null && ls /usr/lib/uwsgi/plugins/python3*_plugin.so >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

nginx_conf() {
	local dir=$WORK/nginx
	mkdir -p "$dir/tmp"
	{
		[ "$(id -u)" = 0 ] && echo "user root;"
		cat <<-EOF
		worker_processes 1;
		pid $dir/nginx.pid;
		error_log $dir/error.log warn;
		events { worker_connections 1024; }
		http {
		    access_log off;
		    keepalive_requests 10000000;
		    client_body_temp_path $dir/tmp/body;
		    proxy_temp_path $dir/tmp/proxy;
		    fastcgi_temp_path $dir/tmp/fastcgi;
		    uwsgi_temp_path $dir/tmp/uwsgi;
		    scgi_temp_path $dir/tmp/scgi;
		    server {
		        listen 127.0.0.1:$PORT;
		        location = / { return 200 "Hello, World!"; }
		    }
		}
		EOF
	} >"$dir/nginx.conf"
	echo "$dir/nginx.conf"
}

# start NAME -> SRV (the server's pid), WORKER (the pid to trace)
start() {
	local name=$1 log=$WORK/$1.log
	PORT=$((PORT + 1))
	case $name in
	stockade)
		./stockade --http-socket "127.0.0.1:$PORT" --wsgi-file "$REPO/bench/hello.py" \
			--master --processes 1 --disable-logging >"$log" 2>&1 </dev/null & ;;
	stockade-log)	# request logging on, the default line to a file
		./stockade --http-socket "127.0.0.1:$PORT" --wsgi-file "$REPO/bench/hello.py" \
			--master --processes 1 --logto "$WORK/requests.log" >"$log" 2>&1 </dev/null & ;;
	uwsgi)
		uwsgi --plugin python3 --http-socket "127.0.0.1:$PORT" --wsgi-file bench/hello.py \
			--master --processes 1 --disable-logging >"$log" 2>&1 </dev/null & ;;
	uwsgi-http11)
		uwsgi --plugin python3 --http11-socket "127.0.0.1:$PORT" --wsgi-file bench/hello.py \
			--master --processes 1 --disable-logging >"$log" 2>&1 </dev/null & ;;
	nginx)
		nginx -p "$WORK" -e "$WORK/nginx/error.log" -c "$(nginx_conf)" -g 'daemon off;' \
			>"$log" 2>&1 </dev/null & ;;
	esac
	SRV=$!
	WORKER=
	for _ in $(seq 200); do
		if [ "$name" = nginx ]; then
			WORKER=$(pgrep -P "$SRV" -f 'worker process' | head -1 || true)
		else
			WORKER=$(pgrep -P "$SRV" | head -1 || true)
		fi
		[ -n "$WORKER" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.05
	done
	tail -n 5 "$log" | sed 's/^/   | /' >&2
	return 1
}

# count NAME MODE REQUESTS -> one TSV line: server mode requests calls/req breakdown
count() {
	local name=$1 mode=$2 n=$3 st=$WORK/$1.$2.strace got
	# warm up (the app imported, the buffers allocated), then trace
	python3 bench/fixedload.py 127.0.0.1 "$PORT" 200 4 "$mode" >/dev/null
	strace -c -f -p "$WORKER" -o "$st" 2>/dev/null &
	local tracer=$!
	sleep 0.5	# attached
	if ! got=$(python3 bench/fixedload.py 127.0.0.1 "$PORT" "$n" "$CONNS" "$mode"); then
		kill -INT "$tracer" 2>/dev/null; wait "$tracer" 2>/dev/null || true
		echo "-- $name $mode: the load failed" >&2
		return 1
	fi
	kill -INT "$tracer"
	wait "$tracer" 2>/dev/null || true
	# strace -c: "% time  seconds  usecs/call  calls  [errors]  syscall"
	awk -v s="$name" -v m="$mode" -v n="$got" '
		$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { calls[$NF] = $4; order[++k] = $NF; t += $4 }
		END {
			b = ""
			for (i = 1; i <= k; i++) {
				c = calls[order[i]] / n
				if (c >= 0.005) b = b sprintf("%s%s %.2f", b == "" ? "" : ", ", order[i], c)
			}
			if (t == 0) { print "syscalls.sh: strace saw no calls from " s "\047s worker" > "/dev/stderr"; exit 1 }
			printf "%s\t%s\t%d\t%.2f\t%s\n", s, m, n, t / n, b
		}' "$st"
}

mkdir -p "$OUT"
TSV=$WORK/syscalls.tsv
: >"$TSV"
for name in $SERVERS; do
	if ! available "$name"; then
		echo "-- syscalls $name: not installed, skipped" >&2
		continue
	fi
	if ! start "$name"; then
		echo "-- syscalls $name: did not start" >&2
		stop_server
		continue
	fi
	count "$name" ka "$N" >>"$TSV" || true
	# uWSGI 2.0 --http11-socket ignores "Connection: close": no close mode
	[ "$name" = uwsgi-http11 ] || count "$name" close $((N / 4)) >>"$TSV" || true
	stop_server
done

{
	echo "| server | mode | requests | syscalls/req | per request (>= 0.005) |"
	echo "|---|---|--:|--:|---|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$TSV"
	echo
	echo "strace -c -f on the single worker, bench/fixedload.py with $CONNS requests in flight;"
	echo "ka: keep-alive connections reused, close: a new connection per request (Connection: close)."
	echo "uwsgi --http-socket closes every connection, so its ka row is close mode too."
} >"$WORK/syscalls.md"
cp "$TSV" "$OUT/syscalls.tsv"
cp "$WORK/syscalls.md" "$OUT/syscalls.md"
echo "Syscalls per request (strace -c -f on one worker):"
column -t -s $'\t' "$TSV"
