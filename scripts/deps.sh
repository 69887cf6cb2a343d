#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages Stockade's build and tests need, only those missing.
# Idempotent; does nothing (but list what is missing) when not run as root.
set -eu
pkgs="gcc make clang pkg-config python3 python3-dev python3-pytest libcriterion-dev
libjansson-dev libssl-dev curl nginx-light python3-flask python3-django iproute2 util-linux procps libclang-rt-14-dev
libpq-dev postgresql uwsgi-core uwsgi-plugin-python3 python3-uwsgidecorators python3-psycopg2 valgrind systemd"
# systemd: for systemd-analyze (test_service verifies the unit file). Safe in a
# container: its maintainer scripts start nothing unless systemd is PID 1.
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run as root to install them)" >&2
	exit 0
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
