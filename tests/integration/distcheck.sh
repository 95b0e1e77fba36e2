#!/bin/sh
# `make distcheck` from the build tree: the tarball builds out of tree from a
# read-only source, passes the unit tests there, installs, uninstalls and
# cleans. The integration tests are left out of that inner run (they run in
# the outer one; this keeps it under a minute), but every file git tracks
# must be in the tarball, so none of them can be missing from EXTRA_DIST.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

# Not again inside the distcheck this test started (even under CI=true).
if [ -n "$SW_IN_DISTCHECK" ]; then
	echo "$TEST_NAME: SKIP: inside make distcheck" >&2
	exit 77
fi
sw_setup
need_cmd make tar
need_sessionwrap
[ -f "$top_builddir/Makefile" ] || skip "no Makefile in $top_builddir"

step "make distcheck (unit tests inside)"
start=$(date +%s)
# Not the outer make's variables: under `make check` MAKEFLAGS carries its
# TEST_LOGS, which would make the inner check run every test again.
SW_IN_DISTCHECK=1 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -C "$top_builddir" distcheck TESTS='$(UNIT_TESTS)' \
    > "$T/distcheck.log" 2>&1 ||
    fail "make distcheck failed: $(grep -n 'FAIL\|ERROR\|Error\|error:' "$T/distcheck.log" | tail -n 20)"
log "make distcheck took $(( $(date +%s) - start )) s"
tarball=$(sed -n 's/^\(.*\) archives ready for distribution: *$/\1/p' "$T/distcheck.log" | head -n 1).tar.gz
[ -f "$top_builddir/$tarball" ] || fail "no $tarball in $top_builddir after make distcheck"
tarball=$top_builddir/$tarball

step "every file git tracks is in the tarball"
if command -v git >/dev/null 2>&1 && git -C "$top_srcdir" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top_srcdir" ls-files | grep -v '^\.gitignore$' | sort > "$T/git.list"
	tar tzf "$tarball" | sed 's|^[^/]*/||' | sort > "$T/tar.list"
	missing=$(comm -23 "$T/git.list" "$T/tar.list")
	[ -z "$missing" ] || fail "tracked but not distributed (add to EXTRA_DIST): $(echo $missing)"
else
	log "not a git checkout: tarball contents not compared"
fi
pass
