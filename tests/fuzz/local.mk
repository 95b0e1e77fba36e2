# libFuzzer targets (included from the top Makefile.am).
#
# With --enable-fuzzing (clang only) the library sources are compiled a second
# time, into tests/fuzz/libswfuzz.a, with coverage instrumentation and ASan +
# UBSan (-fsanitize=fuzzer-no-link,address,undefined), and each target links
# its own .c against it with -fsanitize=fuzzer,address,undefined. The regular
# lib/libsessionwrap.a and the programs stay uninstrumented, and the fuzzing
# library tracks lib_libsessionwrap_a_SOURCES, so a new lib module is fuzzable
# without touching this file. src/ws-handshake.c and src/ws-command.c are
# pure parsers with no libevent dependency, so they are compiled in too.
# Targets of code outside that library (a store backend, sessionwrap-ws's
# frame scanner, the script resolver of src/script.c) #include the .c under
# test, compiled with the target's flags.

FUZZ_TARGETS = \
	fuzz_cgi_headers \
	fuzz_config \
	fuzz_cookie_header \
	fuzz_cookie_open \
	fuzz_gate_path \
	fuzz_login_form \
	fuzz_fcgi_records \
	fuzz_merge_patch \
	fuzz_script_path \
	fuzz_session_deserialize \
	fuzz_session_client \
	fuzz_utf8 \
	fuzz_ws_control \
	fuzz_ws_handshake \
	fuzz_wsbus_msg \
	fuzz_wsctl_reply
# Sharing sessions with Python apps.
FUZZ_TARGETS += fuzz_fernet
if HAVE_MEMCACHED
FUZZ_TARGETS += fuzz_mc_index fuzz_mc_value
endif
if HAVE_REDIS
FUZZ_TARGETS += fuzz_redis_value
endif
if HAVE_WEBSOCKET
FUZZ_TARGETS += fuzz_ws_frames
endif

# Seconds each target runs in `make fuzz-smoke`.
FUZZ_SECONDS = 30

EXTRA_DIST += tests/fuzz/smoke.sh tests/fuzz/README.md tests/fuzz/corpus \
	tests/fuzz/dict tests/fuzz/crashes-found

if ENABLE_FUZZING
noinst_LIBRARIES += tests/fuzz/libswfuzz.a
tests_fuzz_libswfuzz_a_SOURCES = $(lib_libsessionwrap_a_SOURCES) \
	src/ws-handshake.c src/ws-command.c src/ws.h
tests_fuzz_libswfuzz_a_CFLAGS = $(AM_CFLAGS) $(FUZZ_CFLAGS)

FUZZ_PROGS = \
	tests/fuzz/fuzz_cgi_headers \
	tests/fuzz/fuzz_config \
	tests/fuzz/fuzz_cookie_header \
	tests/fuzz/fuzz_cookie_open \
	tests/fuzz/fuzz_gate_path \
	tests/fuzz/fuzz_login_form \
	tests/fuzz/fuzz_fcgi_records \
	tests/fuzz/fuzz_merge_patch \
	tests/fuzz/fuzz_script_path \
	tests/fuzz/fuzz_session_deserialize \
	tests/fuzz/fuzz_session_client \
	tests/fuzz/fuzz_utf8 \
	tests/fuzz/fuzz_ws_control \
	tests/fuzz/fuzz_ws_handshake \
	tests/fuzz/fuzz_wsbus_msg \
	tests/fuzz/fuzz_wsctl_reply
FUZZ_PROGS += tests/fuzz/fuzz_fernet
if HAVE_MEMCACHED
FUZZ_PROGS += tests/fuzz/fuzz_mc_index tests/fuzz/fuzz_mc_value
endif
if HAVE_REDIS
FUZZ_PROGS += tests/fuzz/fuzz_redis_value
endif
if HAVE_WEBSOCKET
FUZZ_PROGS += tests/fuzz/fuzz_ws_frames
endif
# Built by `make` when fuzzing is on. The only noinst_PROGRAMS so far: if
# another block needs some, define it with '=' before this file's include
# and change the line below to '+='.
noinst_PROGRAMS = $(FUZZ_PROGS)

# Instrumented objects first; whatever they leave undefined (a server-side
# store backend) comes from the regular libraries.
FUZZ_LINKLIBS = tests/fuzz/libswfuzz.a $(COMMON_LDADD)
FUZZ_LINK = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
FUZZ_COMPILE = $(AM_CFLAGS) $(FUZZ_CFLAGS)

tests_fuzz_fuzz_cgi_headers_SOURCES = tests/fuzz/fuzz_cgi_headers.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_cgi_headers_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_cgi_headers_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_cgi_headers_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_config_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_config_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_cookie_header_SOURCES = tests/fuzz/fuzz_cookie_header.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_cookie_header_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_cookie_header_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_cookie_header_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_cookie_open_SOURCES = tests/fuzz/fuzz_cookie_open.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_cookie_store.h
tests_fuzz_fuzz_cookie_open_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_cookie_open_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_cookie_open_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_fernet_SOURCES = tests/fuzz/fuzz_fernet.c tests/fuzz/fuzz.h \
	tests/fuzz/fuzz_cookie_store.h
tests_fuzz_fuzz_fernet_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_fernet_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_fernet_LDADD = $(FUZZ_LINKLIBS)
tests_fuzz_fuzz_fcgi_records_SOURCES = tests/fuzz/fuzz_fcgi_records.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_fcgi_records_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_fcgi_records_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_fcgi_records_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_merge_patch_SOURCES = tests/fuzz/fuzz_merge_patch.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_merge_patch_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_merge_patch_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_merge_patch_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_session_deserialize_SOURCES = tests/fuzz/fuzz_session_deserialize.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_session_deserialize_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_session_deserialize_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_session_deserialize_LDADD = $(FUZZ_LINKLIBS)

# lib/session_client.c: a client's address and User-Agent, the login record.
tests_fuzz_fuzz_session_client_SOURCES = tests/fuzz/fuzz_session_client.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_session_client_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_session_client_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_session_client_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_utf8_SOURCES = tests/fuzz/fuzz_utf8.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_utf8_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_utf8_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_utf8_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_ws_control_SOURCES = tests/fuzz/fuzz_ws_control.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_ws_control_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_ws_control_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_ws_control_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_ws_handshake_SOURCES = tests/fuzz/fuzz_ws_handshake.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_ws_handshake_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_ws_handshake_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_ws_handshake_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_wsbus_msg_SOURCES = tests/fuzz/fuzz_wsbus_msg.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_wsbus_msg_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_wsbus_msg_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_wsbus_msg_LDADD = $(FUZZ_LINKLIBS)

# The targets below #include the .c they test (static functions) and define
# its symbols themselves, so the library's copy is never linked in.

# lib/store_memcached.c: the stored form, and the per-user index (over an
# in-memory stand-in for libmemcached's calls).
tests_fuzz_fuzz_mc_value_SOURCES = tests/fuzz/fuzz_mc_value.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_mc_value_CFLAGS = $(FUZZ_COMPILE) $(LIBMEMCACHED_CFLAGS)
tests_fuzz_fuzz_mc_value_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_mc_value_LDADD = $(FUZZ_LINKLIBS)

tests_fuzz_fuzz_mc_index_SOURCES = tests/fuzz/fuzz_mc_index.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_mc_index_CFLAGS = $(FUZZ_COMPILE) $(LIBMEMCACHED_CFLAGS)
tests_fuzz_fuzz_mc_index_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_mc_index_LDADD = $(FUZZ_LINKLIBS)

# lib/store_redis_value.c and _admin.c: a session's hash fields and INFO
# text as the Redis server hands them back.
tests_fuzz_fuzz_redis_value_SOURCES = tests/fuzz/fuzz_redis_value.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_redis_value_CFLAGS = $(FUZZ_COMPILE) $(HIREDIS_CFLAGS)
tests_fuzz_fuzz_redis_value_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_redis_value_LDADD = $(FUZZ_LINKLIBS)

# lib/wsctl.c: replies of the control socket, over scripted socket calls.
tests_fuzz_fuzz_wsctl_reply_SOURCES = tests/fuzz/fuzz_wsctl_reply.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_wsctl_reply_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_wsctl_reply_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_wsctl_reply_LDADD = $(FUZZ_LINKLIBS)

# src/ws-conn.c: the frame scanner beside wslay, and dropping idle contexts
# (src/ws-upgrade.c, the upgrade path it starts, linked over the same stubs).
tests_fuzz_fuzz_ws_frames_SOURCES = tests/fuzz/fuzz_ws_frames.c tests/fuzz/fuzz.h \
	src/ws-upgrade.c
tests_fuzz_fuzz_ws_frames_CFLAGS = $(FUZZ_COMPILE) $(LIBEVENT_CFLAGS)
tests_fuzz_fuzz_ws_frames_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_ws_frames_LDADD = $(FUZZ_LINKLIBS) $(LIBEVENT_LIBS) $(WSLAY_LIBS)

# src/script.c: the fast script path resolver, against realpath(3).
tests_fuzz_fuzz_script_path_SOURCES = tests/fuzz/fuzz_script_path.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_script_path_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_script_path_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_script_path_LDADD = $(FUZZ_LINKLIBS)

# src/gate.c and src/csrf.c: the gate's path normaliser, next=, Origin.
tests_fuzz_fuzz_gate_path_SOURCES = tests/fuzz/fuzz_gate_path.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_gate_path_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_gate_path_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_gate_path_LDADD = $(FUZZ_LINKLIBS)

# src/login-form.c: sessionwrap-login's POST parser and `next` checker.
tests_fuzz_fuzz_login_form_SOURCES = tests/fuzz/fuzz_login_form.c tests/fuzz/fuzz.h
tests_fuzz_fuzz_login_form_CFLAGS = $(FUZZ_COMPILE)
tests_fuzz_fuzz_login_form_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_login_form_LDADD = $(FUZZ_LINKLIBS)

# Each target for FUZZ_SECONDS over its seed corpus (read-only; new inputs go
# to tests/fuzz/work/ in the build tree); fails on any crash, leak or timeout.
fuzz-smoke: $(FUZZ_PROGS)
	$(AM_V_at)$(SHELL) $(srcdir)/tests/fuzz/smoke.sh -s '$(FUZZ_SECONDS)' \
	    -S '$(srcdir)/tests/fuzz' -B tests/fuzz $(FUZZ_TARGETS)
else
fuzz-smoke:
	@echo "fuzz-smoke: configure with CC=clang --enable-fuzzing first" >&2; \
	exit 1
endif

.PHONY: fuzz-smoke
