# The checkers of tests/lib.sh (sourced by it): sanitizer reports and
# valgrind logs of the programs a test starts. POSIX sh; see lib.sh's top.

# sw_checkers_setup: sanitizer report files and SW_VALGRIND (see lib.sh's top).
sw_checkers_setup() {
	_sw_san=
	if [ -f "$top_builddir/Makefile" ] &&
	    grep -q '^SAN_CFLAGS = .*-fsanitize' "$top_builddir/Makefile"; then
		_sw_san=1
		mkdir -p "$T/san"
		chmod 777 "$T/san"
		# Defaults first, the caller's options next, our log path last.
		ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:log_path=$T/san/asan"
		UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}:log_path=$T/san/ubsan"
		export ASAN_OPTIONS UBSAN_OPTIONS
	fi
	if [ "${SW_VALGRIND:-0}" = 1 ]; then
		[ -z "$_sw_san" ] || fail "SW_VALGRIND=1 needs a build without --enable-asan"
		need_cmd valgrind
		mkdir -p "$T/vg"
		chmod 777 "$T/vg"
		_sw_grace=600
		# Error exit 99; only definite leaks count as errors. Scripts the
		# servers spawn run natively (no --trace-children).
		SW_WRAP="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --track-fds=yes --child-silent-after-fork=yes --num-callers=30 --log-file=$T/vg/%p.vg"
	fi
}

# sw_vg_check LOG...: fail unless each valgrind log ends with zero errors (a
# definite leak is an error) after a complete run. Prints what it found.
sw_vg_check() {
	_bad=0
	for _l in "$@"; do
		[ -f "$_l" ] || continue
		_sum=$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$_l" | tail -n 1)
		_def=$(sed -n 's/^==[0-9]*==  *definitely lost: \([0-9,]*\) bytes.*/\1/p' "$_l" | tail -n 1)
		_cmd=$(sed -n 's/^==[0-9]*== Command: //p' "$_l" | head -n 1 | cut -c1-100)
		if [ -z "$_sum" ]; then
			echo "$TEST_NAME: valgrind: $(basename "$_l"): no ERROR SUMMARY (killed before exit?): $_cmd" >&2
			_bad=1
		elif [ "$_sum" != 0 ] || { [ -n "$_def" ] && [ "$_def" != 0 ]; }; then
			echo "$TEST_NAME: valgrind: $(basename "$_l"): $_sum errors, ${_def:-0} bytes definitely lost: $_cmd" >&2
			cat "$_l" >&2
			_bad=1
		else
			echo "$TEST_NAME: valgrind: $(basename "$_l"): 0 errors, 0 bytes definitely lost: $_cmd" >&2
		fi
	done
	return $_bad
}

# sw_check_reports: after every server stopped, fail (return 1) on a
# sanitizer report or a bad valgrind log.
sw_check_reports() {
	_r=0
	if [ -n "$_sw_san" ]; then
		for _f in "$T"/san/*; do
			[ -s "$_f" ] || continue
			echo "$TEST_NAME: FAIL: sanitizer report $(basename "$_f"):" >&2
			cat "$_f" >&2
			_r=1
		done
		# Programs started with another environment (CGI under Apache,
		# bin-path under lighttpd) report to their server's error log.
		for _f in "$T"/*.log; do
			[ -f "$_f" ] || continue
			if grep -Eq '^==[0-9]+==ERROR: (Address|Leak)Sanitizer|: runtime error: ' "$_f"; then
				echo "$TEST_NAME: FAIL: sanitizer report in $(basename "$_f"):" >&2
				grep -E -A 30 '^==[0-9]+==ERROR: (Address|Leak)Sanitizer|: runtime error: ' "$_f" >&2
				_r=1
			fi
		done
	fi
	if [ "${SW_VALGRIND:-0}" = 1 ] && [ -d "$T/vg" ]; then
		sw_vg_check "$T"/vg/*.vg || _r=1
	fi
	return $_r
}
