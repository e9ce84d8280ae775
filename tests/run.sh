#!/bin/sh
# run.sh - `make test`: every suite, against a throwaway PostgreSQL made for this run.
#
#   sh tests/run.sh [all|unit|db|e2e|browser|cluster]
#
# Unit tests need no database. The database, end-to-end and browser suites share one private
# cluster in a temporary directory (each test makes its own database in it); it is stopped and
# removed at the end, its log kept in the temporary directory when something failed.
set -eu

suite=${1:-all}
top=$(pwd)
build=$top/${BUILD:-build}
tmp=$(mktemp -d /tmp/prefd-test.XXXXXX)
chmod 755 "$tmp"
pgdir=$tmp/pg
failed=0
started_pg=0

cleanup() {
	if [ "$started_pg" = 1 ]; then
		sh "$top/tools/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true
	fi
	if [ "$failed" = 0 ]; then
		rm -rf "$tmp"
	else
		echo "tests: logs kept in $tmp" >&2
	fi
}
trap cleanup EXIT
trap 'failed=1; exit 130' INT TERM

section() {
	printf '\n== %s\n' "$1"
}

need_pg() {
	[ "$started_pg" = 1 ] && return 0
	sh "$top/tools/pg.sh" start "$pgdir"
	started_pg=1
	export PREFD_TEST_PGDIR="$pgdir"
}

run_unit() {
	section "unit tests"
	for t in "$build"/tests/test_*; do
		[ -x "$t" ] || continue
		if ! "$t"; then
			echo "FAILED: $t" >&2
			failed=1
		fi
	done
}

run_db() {
	section "database tests"
	need_pg
	for t in "$build"/tests/dbtest_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		sh "$top/tools/pg.sh" createdb "$pgdir" "$name"
		if ! PREFD_TEST_DATABASE_URL=$(sh "$top/tools/pg.sh" url "$pgdir" "$name") "$t"; then
			echo "FAILED: $t" >&2
			failed=1
		fi
	done
}

run_e2e() {
	section "end-to-end tests"
	need_pg
	if ! PREFD_BIN="$build/prefd" PREFCTL_BIN="$build/prefctl" PREFD_TEST_TMP="$tmp" \
		python3 -m unittest discover -s "$top/tests/e2e" -p 'test_*.py' -t "$top/tests/e2e" -v; then
		failed=1
	fi
}

run_browser() {
	section "browser tests"
	if [ ! -f "$top/tests/e2e/browser/run.mjs" ]; then
		echo "(no browser tests in this tree)"
		return 0
	fi
	need_pg
	sh "$top/tools/node_deps.sh"
	# Screenshots go to the run's directory unless `make screenshots` asks for the README's.
	if ! PREFD_BIN="$build/prefd" PREFD_TEST_TMP="$tmp" \
		PREFD_SCREENSHOTS="${PREFD_SCREENSHOTS:-$tmp/screenshots}" \
		node "$top/tests/e2e/browser/run.mjs"; then
		failed=1
	fi
}

# The failover test makes its own cluster (pg_auto_failover, HAProxy): `make test-cluster`.
run_cluster() {
	section "cluster failover test"
	if ! PREFD_BUILD="$build" python3 -m unittest discover -s "$top/tests/cluster" -p 'test_*.py' \
		-t "$top/tests/cluster" -v; then
		failed=1
	fi
}

case "$suite" in
all) run_unit; run_db; run_e2e; run_browser ;;
unit) run_unit ;;
db) run_db ;;
e2e) run_e2e ;;
browser) run_browser ;;
cluster) run_cluster ;;
*) echo "usage: tests/run.sh all|unit|db|e2e|browser|cluster" >&2; exit 2 ;;
esac

if [ "$failed" = 0 ]; then
	section "all $suite tests passed"
else
	section "some $suite tests FAILED"
	exit 1
fi
