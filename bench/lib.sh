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
