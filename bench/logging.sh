#!/bin/bash
# SPDX-License-Identifier: MIT
# The request log's cost: server CPU (utime+stime of the master and its
# workers, /proc/<pid>/stat) per request under `wrk -t1 -c16`, with
# disable-logging, with the default line to a logto file, and with
# log-format-json; the median of REPS runs each. Loopback only.
#   bench/logging.sh [SECONDS=5] [REPS=3]
set -eu
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-5}
REPS=${2:-3}
BIN=${STOCKADE_BIN:-./stockade}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
TCK=$(getconf CLK_TCK)

tree_ticks() {   # utime+stime of a process and its children
	local t=0 p f
	for p in "$1" $(pgrep -P "$1"); do
		read -r -a f < "/proc/$p/stat" || continue
		t=$((t + f[13] + f[14]))
	done
	echo "$t"
}

one_run() {   # args: stockade options; prints µs of server CPU per request
	local port=$((30000 + RANDOM % 5000)) pid c0 c1 out req
	rm -f "$TMP/app.log"
	"$BIN" --http-socket "127.0.0.1:$port" --wsgi-file bench/hello.py --master --processes 2 \
		"$@" >/dev/null 2>"$TMP/err" &
	pid=$!
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
	wrk -t1 -c16 -d1 "http://127.0.0.1:$port/" >/dev/null
	c0=$(tree_ticks "$pid")
	out=$(wrk -t1 -c16 -d"$SECONDS_PER_RUN" "http://127.0.0.1:$port/")
	c1=$(tree_ticks "$pid")
	kill "$pid"
	wait "$pid" || true
	req=$(echo "$out" | awk '/requests in/ {print $1}')
	python3 -c "print(f'{($c1 - $c0) * 1e6 / $TCK / $req:.2f}')"
}

median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for mode in disable-logging default json; do
	case $mode in
	disable-logging) opts=(--disable-logging) ;;
	default) opts=(--logto "$TMP/app.log") ;;
	json) opts=(--logto "$TMP/app.log" --log-format-json) ;;
	esac
	runs=""
	for _ in $(seq "$REPS"); do runs="$runs $(one_run "${opts[@]}")"; done
	printf '%-16s %s us/request (runs:%s)\n' "$mode" "$(echo $runs | median)" "$runs"
done
