#!/bin/sh
# The man pages render without a single groff or man warning, name
# themselves right, and document what the programs' --help lists: every
# configuration key in sessionwrap.conf(5), every option of each program in
# its page, every sessionwrap-ctl command, every ws_* key and control
# command in sessionwrap-ws(8).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

sw_setup
need_cmd groff man
need_sessionwrap
MAN=$top_srcdir/man
PAGES="sessionwrap.8 sessionwrap-ctl.8 sessionwrap-ws.8 sessionwrap.conf.5 sessionwrap-login.8"

# unesc FILE: the page's source with the usual escapes undone, for grepping.
unesc() {
	sed -e 's/\\-/-/g' -e 's/\\%//g' -e 's/\\f[BIRP]//g' -e 's/\\(aq/'"'"'/g' "$1"
}

step "every page renders without warnings (groff -ww, man --warnings)"
for p in $PAGES; do
	f=$MAN/$p
	[ -f "$f" ] || fail "man/$p missing"
	groff -man -Tutf8 -ww -z "$f" > "$T/groff.out" 2>&1 ||
	    fail "groff failed on $p: $(cat "$T/groff.out")"
	[ ! -s "$T/groff.out" ] || fail "groff warns on $p: $(cat "$T/groff.out")"
	for w in 80 65; do
		MANWIDTH=$w LC_ALL=C.UTF-8 man --warnings -E UTF-8 -l "$f" \
		    > "$T/man.txt" 2> "$T/man.err" || fail "man -l $p failed: $(cat "$T/man.err")"
		[ ! -s "$T/man.err" ] || fail "man -l $p (width $w) warns: $(cat "$T/man.err")"
	done
	grep -q '^NAME' "$T/man.txt" && grep -q '^SEE ALSO' "$T/man.txt" ||
	    fail "$p: no NAME or SEE ALSO section"
	name=${p%.*}
	sect=${p##*.}
	head -n 1 "$f" | grep -qi "^\.TH $name $sect " || fail "$p: .TH does not say $name $sect: $(head -n 1 "$f")"
done

step "sessionwrap.conf(5) documents every key of sessionwrap --help"
"$SESSIONWRAP" --help > "$T/help"
keys=$(sed -n 's/^  --\([a-z_]*\) .*/\1/p' "$T/help")
[ "$(echo "$keys" | wc -l)" -gt 20 ] || fail "could not read the keys from sessionwrap --help"
for k in $keys; do
	grep -q "^\.B $k\$" "$MAN/sessionwrap.conf.5" ||
	    fail "key $k (sessionwrap --help) has no entry (.B $k) in sessionwrap.conf(5)"
done

step "options of each program in its page"
for prog in sessionwrap sessionwrap-ctl sessionwrap-ws; do
	[ -x "$top_builddir/src/$prog" ] || { log "$prog not built: its options not checked"; continue; }
	"$top_builddir/src/$prog" --help > "$T/help"
	unesc "$MAN/$prog.8" > "$T/page"
	# Options: the lines before the list of configuration keys.
	opts=$(sed '/^Configuration keys/q' "$T/help" | grep -o -- '^  -[-a-zA-Z]*\(, --[a-z-]*\)\{0,1\}' |
	    tr ',' '\n' | tr -d ' ')
	for o in $opts; do
		grep -q -- "$o" "$T/page" || fail "$prog --help lists $o; $prog.8 does not"
	done
done

step "every sessionwrap-ctl command in sessionwrap-ctl(8)"
"$SESSIONWRAP_CTL" --help > "$T/help"
unesc "$MAN/sessionwrap-ctl.8" > "$T/page"
cmds=$(sed -n '/^commands:/,$s/^  \([a-z][a-z-]*\) .*/\1/p' "$T/help")
[ -n "$cmds" ] || fail "could not read the commands from sessionwrap-ctl --help"
for c in $cmds; do
	grep -q "^\.BI\{0,1\} \"\{0,1\}$c\( \|\"\|\$\)" "$T/page" ||
	    fail "sessionwrap-ctl command $c has no entry in sessionwrap-ctl(8)"
done

step "sessionwrap-ws(8): every ws_* key and control command"
unesc "$MAN/sessionwrap-ws.8" > "$T/page"
for k in $(echo "$keys" | grep '^ws_'); do
	grep -q "^\.B $k\$" "$T/page" || fail "key $k has no entry in sessionwrap-ws(8)"
done
for c in CLOSE SEND COUNT STATS PING; do
	grep -q "^\.BR\{0,1\}I\{0,1\} $c\( \|\$\)" "$T/page" ||
	    fail "control command $c has no entry in sessionwrap-ws(8)"
done
pass
