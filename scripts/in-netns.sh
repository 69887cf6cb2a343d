#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs a command in a fresh network namespace with only loopback up, so that
# tests can never send traffic off this machine. Needs root (CI runs as root);
# without it the command runs as is, and the tests only use 127.0.0.1.
set -eu
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 && [ -z "${STOCKADE_IN_NETNS:-}" ]; then
	export STOCKADE_IN_NETNS=1
	exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
exec "$@"
