# SPDX-License-Identifier: MIT
# Sourced by the bench scripts: the private network namespace every bench
# runs in (root only; loopback only, nothing leaves the machine) and small
# helpers. bench_private_netns "$@" re-executes the calling script inside a
# new network namespace (and mount namespace with --mount) once.

bench_private_netns() {
	local flags="--net"
	if [ "${1:-}" = --mount ]; then
		flags="--net --mount --propagation private"
		shift
	fi
	if [ -z "${_BENCH_INNER:-}" ] && [ "${BENCH_NETNS:-1}" = 1 ] && [ "$(id -u)" = 0 ] &&
		command -v unshare >/dev/null && command -v ip >/dev/null &&
		unshare $flags -- true 2>/dev/null; then
		export _BENCH_INNER=1
		exec unshare $flags -- "$0" "$@"
	fi
	if [ -n "${_BENCH_INNER:-}" ]; then
		ip link set lo up
	fi
}

# A free loopback TCP port.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_need_jails BIN WHAT: stop unless jailed runs can work here (root, the
# jail backend, unshare(1) for the rootfs launcher); WHAT names the setting.
bench_need_jails() {
	local me
	me=$(basename "$0")
	[ "$(id -u)" = 0 ] || { echo "$me: $2 needs root" >&2; exit 1; }
	"$1" --jls >/dev/null 2>&1 || { echo "$me: the jail backend does not work here ($1 --jls failed)" >&2; exit 1; }
	command -v unshare >/dev/null || { echo "$me: $2 needs unshare(1)" >&2; exit 1; }
}

# bench_workdir NAME KEEP: WORK= a new directory (mode 755: jailed vassals
# read it), removed at exit unless KEEP is 1.
bench_workdir() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	chmod 755 "$WORK"
	_BENCH_KEEP=$2
	trap '_bench_cleanup' EXIT
}

_bench_cleanup() {
	if [ "$_BENCH_KEEP" = 1 ]; then
		echo "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
