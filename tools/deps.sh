#!/bin/sh
# deps.sh - install the Debian packages prefd needs when they are missing.
#
#   sh tools/deps.sh build   compiler and libraries (run by the Makefile before compiling)
#   sh tools/deps.sh all     also PostgreSQL, Chromium, Node.js and the tools the tests use
#   sh tools/deps.sh fuzz    the compiler and libraries, and clang with libFuzzer (make fuzz)
#   sh tools/deps.sh cluster the build, PostgreSQL, pg_auto_failover and HAProxy (make cluster)
#
# Installs with apt-get as root (or through sudo); prints what is missing and fails otherwise.
set -eu

build_pkgs="gcc make pkg-config libc6-dev libevent-dev libpq-dev libjansson-dev libssl-dev
libcmark-dev libcurl4-openssl-dev"
run_pkgs="postgresql-15 postgresql-client-15 curl ca-certificates openssl"
test_pkgs="chromium procps fonts-wqy-microhei python3-numpy python3-scipy haproxy python3-yaml"
fuzz_pkgs="clang libclang-rt-14-dev"
cluster_pkgs="postgresql-15-auto-failover haproxy procps"

case "${1:-all}" in
build) want="$build_pkgs" ;;
all) want="$build_pkgs $run_pkgs $test_pkgs" ;;
fuzz) want="$build_pkgs $fuzz_pkgs" ;;
cluster) want="$build_pkgs $run_pkgs $cluster_pkgs" ;;
*) echo "usage: deps.sh build|all|fuzz|cluster" >&2; exit 2 ;;
esac

missing=""
# Tools that may come from elsewhere than Debian (pyenv, NodeSource) are checked as commands.
if [ "${1:-all}" = all ] || [ "${1:-all}" = cluster ]; then
	command -v python3 >/dev/null 2>&1 || missing="$missing python3"
fi
if [ "${1:-all}" = all ]; then
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps: not root and no sudo; install these packages first:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh image are empty; refresh them once per day at most.
stamp=/var/lib/apt/periodic/prefd-update-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
	$sudo apt-get update -qq
	$sudo mkdir -p /var/lib/apt/periodic && $sudo touch "$stamp"
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: installed" >&2
