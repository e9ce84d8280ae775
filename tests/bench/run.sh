#!/bin/sh
# run.sh - `make bench`: the ranking and quality modules' own benchmarks, then the service benchmark
# (tests/bench/bench.py) against a private PostgreSQL made for the run. Prints figures; asserts
# nothing about time.
set -eu
top=$(pwd)
build=$top/${BUILD:-build}
tmp=$(mktemp -d /tmp/prefd-bench.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	sh "$top/tools/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if [ -x "$build/bench/bench_rank" ]; then
	echo "== ranking module (tests/bench/bench_rank.c)"
	"$build/bench/bench_rank"
	echo
	echo "== ranking module at the public arena's size (3,000,000 votes, 250 models)"
	"$build/bench/bench_rank" 3000000 250
	echo
fi
if [ -x "$build/bench/bench_quality" ]; then
	echo "== quality module (tests/bench/bench_quality.c)"
	"$build/bench/bench_quality"
	echo
fi
if [ -x "$build/bench/bench_active" ]; then
	echo "== active sampling against coverage, simulated (tests/bench/bench_active.c)"
	"$build/bench/bench_active" 20
	echo
fi
echo "== service (tests/bench/bench.py)"
sh "$top/tools/pg.sh" start "$tmp/pg"
PREFD_TEST_PGDIR="$tmp/pg" PREFD_TEST_TMP="$tmp" PREFD_BIN="$build/prefd" PREFD_BUILD="$build" \
	python3 "$top/tests/bench/bench.py"
echo
echo "== rating loop and uploads (tests/bench/bench_loop.py)"
PREFD_TEST_PGDIR="$tmp/pg" PREFD_TEST_TMP="$tmp" PREFD_BIN="$build/prefd" PREFD_BUILD="$build" \
	python3 "$top/tests/bench/bench_loop.py"
