#!/bin/sh
# run.sh - `make fuzz`: runs every libFuzzer target for a bounded time from its seed corpus.
#
#   sh tests/fuzz/run.sh BUILD_DIR SECONDS
#
# Each target starts from tests/fuzz/corpus/<target>/ (read only: what it finds goes to a
# working corpus under BUILD_DIR/fuzz/work/) and runs SECONDS seconds. A crash, a sanitizer
# report, a leak, a failed property, a timeout or running out of memory fails the run; the
# input that did it is kept as BUILD_DIR/fuzz/artifacts/<target>-crash-... and the log under
# BUILD_DIR/fuzz/logs/. One line per target reports the executions.
set -eu

build=${1:?build directory}
seconds=${2:-50}
top=$(pwd)
failed=0
mkdir -p "$build/fuzz/logs" "$build/fuzz/artifacts" "$build/fuzz/work"

for bin in "$build"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin" | sed 's/^fuzz_//')
	seeds=$top/tests/fuzz/corpus/$name
	work=$build/fuzz/work/$name
	log=$build/fuzz/logs/$name.log
	[ -d "$seeds" ] || { echo "fuzz: no seed corpus $seeds" >&2; exit 1; }
	mkdir -p "$work"
	# Leaks count as findings; -timeout catches inputs that hang (a parser looping).
	status=0
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$name-" \
		"$work" "$seeds" >"$log" 2>&1 || status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	corpus=$(ls "$work" | wc -l)
	if [ "$status" = 0 ]; then
		printf 'fuzz: %-9s %10s executions in %s s, %s seed inputs, %s in the working corpus, no finding\n' \
			"$name" "${runs:-?}" "$seconds" "$(ls "$seeds" | wc -l)" "$corpus"
	else
		failed=1
		printf 'fuzz: %-9s FINDING after %s executions (exit %s); log %s\n' "$name" "${runs:-?}" \
			"$status" "$log" >&2
		grep -E 'ERROR|property failed|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
	fi
done

[ "$failed" = 0 ] || { echo "fuzz: FAILED" >&2; exit 1; }
echo "fuzz: every target ran ${seconds} s without a finding"
