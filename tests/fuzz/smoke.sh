#!/bin/sh
# Run each libFuzzer target for a bounded time over its seed corpus; exit 1
# on any crash, leak, timeout or broken property.
#
#	smoke.sh [-s SECONDS] [-S SRCDIR] [-B BUILDDIR] [TARGET...]
#
# SRCDIR is tests/fuzz in the source tree (seed corpora, dictionaries; only
# read), BUILDDIR tests/fuzz in the build tree (the binaries). New inputs go
# to BUILDDIR/work/TARGET, findings to BUILDDIR/artifacts/.
set -u

seconds=30
src=.
build=.
while getopts s:S:B: opt; do
	case $opt in
	s) seconds=$OPTARG ;;
	S) src=$OPTARG ;;
	B) build=$OPTARG ;;
	*) echo "usage: $0 [-s SECONDS] [-S SRCDIR] [-B BUILDDIR] [TARGET...]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case $seconds in
''|*[!0-9]*) echo "$0: -s wants whole seconds, not '$seconds'" >&2; exit 2 ;;
esac
if [ $# -eq 0 ]; then
	for f in "$build"/fuzz_*; do
		[ -x "$f" ] && [ -f "$f" ] && set -- "$@" "$(basename "$f")"
	done
fi
if [ $# -eq 0 ]; then
	echo "$0: no fuzz targets in $build (configure with --enable-fuzzing)" >&2
	exit 2
fi

: "${UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1}"
export UBSAN_OPTIONS

mkdir -p "$build/work" "$build/artifacts" || exit 2
fail=0
for t in "$@"; do
	bin=$build/$t
	corpus=$src/corpus/$t
	work=$build/work/$t
	log=$build/work/$t.log
	if [ ! -x "$bin" ]; then
		echo "FAIL: $t: $bin not built"
		fail=1
		continue
	fi
	mkdir -p "$work"
	set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=16384 -print_final_stats=1 \
	    -artifact_prefix="$build/artifacts/$t-"
	[ -f "$src/dict/$t.dict" ] && set -- "$@" -dict="$src/dict/$t.dict"
	[ -d "$corpus" ] || corpus=
	"$bin" "$@" "$work" ${corpus:+"$corpus"} >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "PASS: $t: ${runs:-?} runs in ${seconds}s"
	else
		echo "FAIL: $t (exit $rc); log $log; last lines:"
		tail -n 40 "$log" | sed 's/^/    /'
		ls "$build/artifacts/$t-"* 2>/dev/null | sed 's/^/    input: /'
		fail=1
	fi
done
if [ $fail -ne 0 ]; then
	echo "fuzz-smoke: failures. Reproduce with: $build/TARGET INPUT." \
	    "Triage, then keep the input in tests/fuzz/crashes-found/."
fi
exit $fail
