#!/bin/sh
# `make install DESTDIR=...` from the build tree installs the programs and
# every man page where the configured prefix says, the installed programs
# run, and `make uninstall` removes all of it again.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd make
need_sessionwrap
[ -f "$top_builddir/Makefile" ] || skip "no Makefile in $top_builddir"
ROOT=$T/root
# What configure chose (prefix, bindir, mandir), as make install sees it.
# Not the outer make's variables (make check runs this test).
unset MAKEFLAGS MFLAGS MAKELEVEL
eval "$(make -s -C "$top_builddir" --no-print-directory -f Makefile -f - print-dirs <<'MK'
print-dirs:
	@echo "prefix='$(prefix)' bindir='$(bindir)' mandir='$(mandir)' libexecdir='$(libexecdir)' ws='$(filter %sessionwrap-ws,$(bin_PROGRAMS))'"
MK
)"
[ -n "$bindir" ] && [ -n "$mandir" ] || fail "could not read bindir and mandir from the Makefile"

step "make install DESTDIR=$ROOT"
make -s -C "$top_builddir" install DESTDIR="$ROOT" > "$T/install.log" 2>&1 ||
    fail "make install failed: $(tail -n 20 "$T/install.log")"

progs="sessionwrap sessionwrap-ctl"
pages="man8/sessionwrap.8 man8/sessionwrap-ctl.8 man5/sessionwrap.conf.5"
if [ -n "$ws" ]; then
	progs="$progs sessionwrap-ws"
	pages="$pages man8/sessionwrap-ws.8"
fi
for p in $progs; do
	[ -x "$ROOT$bindir/$p" ] || fail "$bindir/$p not installed"
	v=$("$ROOT$bindir/$p" --version) || fail "installed $p --version failed"
	log "installed: $v"
done
for m in $pages; do
	[ -f "$ROOT$mandir/$m" ] || fail "$mandir/$m not installed"
	cmp -s "$ROOT$mandir/$m" "$top_srcdir/man/$(basename "$m")" || fail "$mandir/$m differs from man/"
done
# The login form, a CGI program beside the others' helpers.
login=$libexecdir/sessionwrap/sessionwrap-login
[ -x "$ROOT$login" ] || fail "$login not installed"
[ -f "$ROOT$mandir/man8/sessionwrap-login.8" ] || fail "sessionwrap-login.8 not installed"
: > "$T/empty.conf"
REQUEST_METHOD=GET SW_LOGIN_CONF=$T/empty.conf "$ROOT$login" > "$T/login.out" 2>&1 ||
    fail "installed sessionwrap-login failed: $(cat "$T/login.out")"
grep -q '^Status: 200' "$T/login.out" && grep -q '<form method="post"' "$T/login.out" ||
    fail "installed sessionwrap-login does not show its form: $(head -c 300 "$T/login.out")"
find "$ROOT" -type f | sed "s|^$ROOT||" | sort > "$T/files"
log "installed files: $(tr '\n' ' ' < "$T/files")"
n=$(wc -l < "$T/files")
want=$(( $(echo $progs | wc -w) + $(echo $pages | wc -w) + 2 ))
[ "$n" = "$want" ] || fail "expected $want installed files, got $n: $(cat "$T/files")"

step "make uninstall leaves no file behind"
make -s -C "$top_builddir" uninstall DESTDIR="$ROOT" > "$T/uninstall.log" 2>&1 ||
    fail "make uninstall failed: $(tail -n 20 "$T/uninstall.log")"
left=$(find "$ROOT" -type f)
[ -z "$left" ] || fail "left after make uninstall: $left"
pass
