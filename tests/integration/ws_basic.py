"""sessionwrap-ws integration test: handshake, authentication, frames, control
socket, handlers, limits, keepalive, reload and shutdown, against the real
daemon on private Unix sockets. Run by ws_basic.sh, which prepares $T (secret,
sw.conf) and exports SESSIONWRAP and SESSIONWRAP_WS."""
import asyncio
import json
import os
import random
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ws_client import (BINARY, CLOSE, CONT, PING, PONG, TEXT, Closed, Raw,  # noqa: E402
                       cgi, control, cookie_of, wait_for)

T = os.environ["T"]
SESSIONWRAP = os.environ["SESSIONWRAP"]
SESSIONWRAP_WS = os.environ["SESSIONWRAP_WS"]
NAME = "ws_basic"
failures = []
servers = []


def log(msg):
    print("%s: %s" % (NAME, msg), file=sys.stderr, flush=True)


def check(cond, what):
    if cond:
        log("ok: " + what)
    else:
        log("FAIL: " + what)
        failures.append(what)
    return cond


class Server:
    """One sessionwrap-ws with its own sockets and log."""

    def __init__(self, name, conf, *args):
        self.name = name
        self.conf = conf
        self.sock = os.path.join(T, name + ".sock")
        self.addr = "unix:" + self.sock
        self.ctl = os.path.join(T, name + ".ctl")
        self.logpath = os.path.join(T, "ws-%s.log" % name)
        self.args = [SESSIONWRAP_WS, "-c", conf, "--listen", self.addr,
                     "--control", self.ctl, "--log_level=debug"] + list(args)
        self.start()

    def start(self):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log)
        servers.append(self)
        ok = wait_for(lambda: self.proc.poll() is not None or
                      (os.path.exists(self.ctl) and os.path.exists(self.sock)), 10)
        if self.proc.poll() is not None or not ok:
            raise RuntimeError("%s did not start: %s" % (self.name, self.tail()))

    def tail(self, n=20):
        try:
            with open(self.logpath, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def cmd(self, line):
        return control(self.ctl, line)

    def stats(self):
        reply = self.cmd("STATS")
        assert reply.startswith("OK "), reply
        return json.loads(reply[3:])

    def alive(self):
        return self.proc.poll() is None and self.cmd("PING") == "OK pong"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cleanup():
    for s in servers:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


# --- sessions through sessionwrap in CGI mode --------------------------------

CGI = os.path.join(T, "cgi")
SW_CONF = os.path.join(T, "sw.conf")


def write_script(name, body):
    path = os.path.join(CGI, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


def setup_scripts():
    os.makedirs(CGI, exist_ok=True)
    write_script("login.sh", 'printf "Content-Type: text/plain\\r\\n'
                 'X-Session-Login: %s\\r\\n\\r\\nok\\n" "$QUERY_STRING"\n')
    write_script("anon.sh", 'printf "Content-Type: text/plain\\r\\n'
                 'X-Session-Set: k=v\\r\\n\\r\\nok\\n"\n')
    write_script("whoami.sh", 'printf "Content-Type: text/plain\\r\\n\\r\\n'
                 '%s %s\\n" "$SESSION_WS_ID" "$SESSION_USER"\n')
    write_script("logout.sh", 'printf "Content-Type: text/plain\\r\\n'
                 'X-Session-Logout: 1\\r\\n\\r\\nbye\\n"\n')


def login(user, conf=SW_CONF):
    """A logged-in session: (Cookie header value, ws_id)."""
    headers, _ = cgi(SESSIONWRAP, conf, os.path.join(CGI, "login.sh"),
                     query=user)
    cookie = cookie_of(headers, "sessionwrap")
    assert cookie, "no cookie from login.sh: %r" % headers
    return cookie, ws_id_of(cookie, conf)


def anonymous():
    headers, _ = cgi(SESSIONWRAP, SW_CONF, os.path.join(CGI, "anon.sh"))
    cookie = cookie_of(headers, "sessionwrap")
    assert cookie, "no cookie from anon.sh: %r" % headers
    return cookie, ws_id_of(cookie)


def ws_id_of(cookie, conf=SW_CONF):
    headers, body = cgi(SESSIONWRAP, conf, os.path.join(CGI, "whoami.sh"),
                        cookie=cookie)
    ws_id = body.decode().split()[0]
    assert ws_id, "no ws_id for the cookie"
    return ws_id


HANDLER = """case "$QUERY_STRING" in
stubborn) trap '' TERM; exec 0</dev/null; while :; do sleep 1; done ;;
esac
printf 'env user=%s wsid=%s addr=%s query=%s id=%s cookie=%s session=%s\\n' \\
    "$SESSION_USER" "$SESSION_WS_ID" "$REMOTE_ADDR" "$QUERY_STRING" \\
    "${SESSION_ID:+set}" "$HTTP_COOKIE" "$SESSION"
echo "stderr line from the handler" >&2
while IFS= read -r line; do
	case "$line" in exit) exit 0 ;; esac
	printf 'echo: %s\\n' "$line"
done
"""


# --- the tests -------------------------------------------------------------

def test_handshake_errors(a, cookie):
    log("-- handshake errors")
    r = Raw(a.addr, cookie=cookie, key=False)
    check(r.status == 400, "missing Sec-WebSocket-Key: 400 (got %d)" % r.status)
    r = Raw(a.addr, cookie=cookie, key="c2hvcnQ=")
    check(r.status == 400, "short key: 400")
    r = Raw(a.addr, cookie=cookie, version="8")
    check(r.status == 400 and r.headers.get("sec-websocket-version") == "13",
          "wrong version: 400 with Sec-WebSocket-Version: 13")
    r = Raw(a.addr, cookie=cookie, upgrade=None)
    check(r.status == 400, "no Upgrade header: 400")
    r = Raw(a.addr, cookie=cookie, connection="keep-alive")
    check(r.status == 400, "Connection without upgrade: 400")
    r = Raw(a.addr, cookie=cookie, host=None)
    check(r.status == 400, "no Host: 400")
    r = Raw(a.addr, cookie=cookie, method="POST")
    check(r.status == 405 and r.headers.get("allow") == "GET", "POST: 405")
    r = Raw(a.addr, raw=b"HELLO\r\n\r\n")
    check(r.status == 400, "garbage request line: 400")
    r = Raw(a.addr, raw=b"GET / HTTP/1.1\nHost: x\n\n")
    check(r.status == 400, "bare LF: 400")
    big = ["X-Pad-%d: %s" % (i, "x" * 200) for i in range(50)]
    r = Raw(a.addr, cookie=cookie, extra=big)
    check(r.status == 431, "10 KB of headers: 431 (got %d)" % r.status)
    r = Raw(a.addr, raw=b"GET / HTTP/1.1\r\nHost: \x00\r\n\r\n")
    check(r.status == 400, "NUL byte: 400")
    r = Raw(a.addr, cookie=cookie)
    check(r.status == 101, "valid request: 101")
    r.close()

    # Slowloris: bytes trickle in, the deadline (1 s) is not reset by them.
    s = socket.socket(socket.AF_UNIX)
    s.connect(a.sock)
    t0 = time.monotonic()
    closed = False
    try:
        for c in b"GET /ws HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaa":
            s.send(bytes([c]))
            time.sleep(0.1)
    except OSError:
        closed = True
    if not closed:
        s.settimeout(3)
        try:
            closed = s.recv(100) == b""
        except OSError:
            closed = True
    elapsed = time.monotonic() - t0
    check(closed and elapsed < 3.5,
          "slow handshake dropped after ws_handshake_timeout (%.1f s)" % elapsed)
    s.close()


def test_auth(a, b, alice, anon):
    log("-- authentication")
    r = Raw(a.addr)
    check(r.status == 401, "no cookie: 401")
    r = Raw(a.addr, cookie="other=1; foo=bar")
    check(r.status == 401, "no session cookie among others: 401")
    bad = alice[0][:-3] + ("AAA" if not alice[0].endswith("AAA") else "BBB")
    r = Raw(a.addr, cookie=bad)
    check(r.status == 401, "tampered cookie: 401")
    r = Raw(a.addr, cookie="sessionwrap=garbage")
    check(r.status == 401, "garbage cookie: 401")
    r = Raw(a.addr, cookie=alice[0] + "; " + alice[0])
    check(r.status == 401, "session cookie sent twice: 401")
    r = Raw(a.addr, cookie=alice[0], origin="http://evil.example")
    check(r.status == 403, "cross-origin upgrade: 403")
    r = Raw(a.addr, cookie=alice[0], origin="null")
    check(r.status == 403, "Origin null: 403")
    r = Raw(a.addr, cookie=alice[0], origin="http://localhost")
    check(r.status == 101, "same-origin upgrade: 101")
    r.close()
    r = Raw(a.addr, cookie=anon[0])
    check(r.status == 101, "anonymous session without ws_require_login: 101")
    r.close()
    r = Raw(b.addr, cookie=alice[0], origin="https://app.example")
    check(r.status == 101, "allow-listed Origin: 101")
    r.close()
    r = Raw(b.addr, cookie=alice[0], origin="http://localhost")
    check(r.status == 403, "Origin not in ws_origins: 403")
    r = Raw(b.addr, cookie=anon[0], origin="https://app.example")
    check(r.status == 403, "ws_require_login with an anonymous session: 403")
    r = Raw(b.addr, cookie=alice[0])
    check(r.status == 101, "no Origin (not a browser): 101")
    r.close()


def test_frames(a, alice):
    log("-- frames (push-only helper)")
    c = alice[0]

    r = Raw(a.addr, cookie=c)
    r.send_frame(PING, b"abc")
    fin, op, payload = r.recv_frame()
    check(op == PONG and payload == b"abc", "masked ping: pong with its payload")
    r.send_text("ignored by a push-only socket")
    r.send_frame(PING, b"")
    fin, op, payload = r.recv_frame()
    check(op == PONG, "text on a push-only socket ignored, still open")
    r.send_close(1000, b"bye")
    code, _ = r.expect_close(answer=False)
    check(code == 1000, "client close 1000 echoed")
    r.expect_eof()
    r.close()

    cases = [
        ("unmasked frame", lambda r: r.send_text("x", mask=False), 1002),
        ("oversized message", lambda r: r.send_text("x" * 2000), 1009),
        ("oversized fragmented message", lambda r: (
            r.send_frame(TEXT, "x" * 600, fin=False),
            r.send_frame(CONT, "x" * 600)), 1009),
        ("frame header claiming 1 TB", lambda r: r.send_frame(
            BINARY, b"x" * 10, length=1 << 40), 1009),
        ("invalid UTF-8", lambda r: r.send_frame(TEXT, b"ok \xff\xfe"), 1007),
        ("invalid UTF-8 across fragments", lambda r: (
            r.send_frame(TEXT, b"caf\xc3", fin=False),
            r.send_frame(CONT, b"(")), 1007),
        ("reserved opcode 3", lambda r: r.send_frame(3, b"x"), 1002),
        ("RSV1 without an extension", lambda r: r.send_frame(TEXT, b"x", rsv=4), 1002),
        ("continuation without a start", lambda r: r.send_frame(CONT, b"x"), 1002),
        # Frame-level errors: wslay sends a close frame without a code.
        ("fragmented ping", lambda r: r.send_frame(PING, b"x", fin=False), None),
        ("close code 1005 on the wire", lambda r: r.send_close(1005), 1002),
        ("ping payload of 126 bytes", lambda r: r.send_frame(PING, b"x" * 126), None),
    ]
    for what, act, code in cases:
        r = Raw(a.addr, cookie=c)
        try:
            act(r)
            got, _ = r.expect_close()
            check(got == code or code is None and got in (None, 1002),
                  "%s: close %s (got %r)" % (what, code or "without code", got))
            r.expect_eof()
        except (Closed, OSError, AssertionError) as e:
            check(False, "%s: %r" % (what, e))
        r.close()
    # A valid fragmented message with a ping in the middle is fine.
    r = Raw(a.addr, cookie=c)
    r.send_frame(TEXT, "Hel", fin=False)
    r.send_frame(PING, b"mid")
    r.send_frame(CONT, "lo", fin=True)
    fin, op, payload = r.recv_frame()
    check(op == PONG and payload == b"mid", "ping between fragments answered")
    r.send_close()
    r.expect_close()
    r.close()
    check(a.alive(), "helper alive after protocol errors")


def test_abrupt(a, alice):
    log("-- abrupt disconnects")
    base = a.stats()["connections"]
    for i in range(10):
        s = socket.socket(socket.AF_UNIX)
        s.connect(a.sock)
        s.send(b"GET /ws HTTP/1.1\r\nHost: loc")
        s.close()
        r = Raw(a.addr, cookie=alice[0])
        r.close()
        r = Raw(a.addr, cookie=alice[0])
        r.sock.send(b"\x81\xfe\x10")        # half a frame header
        r.close()
        r = Raw(a.addr, cookie=alice[0])
        r.send_frame(TEXT, "x" * 100)
        r.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
        r.close()                          # reset
    # Random bytes as frames, and as requests: any answer, but no crash.
    rnd = random.Random(6455)
    for i in range(60):
        r = Raw(a.addr, cookie=alice[0])
        try:
            for _ in range(rnd.randint(1, 5)):
                r.sock.send(bytes(rnd.getrandbits(8)
                                  for _ in range(rnd.randint(1, 300))))
        except OSError:
            pass
        r.close()
        s = socket.socket(socket.AF_UNIX)
        s.connect(a.sock)
        try:
            s.send(b"GET / HTTP/1.1\r\n" + bytes(rnd.getrandbits(8)
                                                for _ in range(rnd.randint(1, 600))))
        except OSError:
            pass
        s.close()
    gone = wait_for(lambda: a.stats()["connections"] == base, 5)
    check(gone, "all abruptly dropped connections freed")
    check(a.alive(), "helper alive after abrupt disconnects")


def recv_text(r, timeout=2.0):
    r.sock.settimeout(timeout)
    op, payload = r.recv_msg()
    r.sock.settimeout(5)
    return op, payload


def test_control(a, alice, bob):
    log("-- control socket")
    mode = stat.S_IMODE(os.stat(a.ctl).st_mode)
    check(mode == 0o660, "control socket mode 0660 (got %o)" % mode)
    check(a.cmd("PING") == "OK pong", "PING")
    st = a.stats()
    check(all(k in st for k in ("connections", "open", "sessions", "handlers",
                                "accepted", "refused")), "STATS is JSON")
    check(a.cmd("COUNT " + alice[1]) == "OK 0", "COUNT of a session without sockets")
    a1 = Raw(a.addr, cookie=alice[0])
    a2 = Raw(a.addr, cookie=alice[0])
    b1 = Raw(a.addr, cookie=bob[0])
    check(a1.status == a2.status == b1.status == 101, "three sockets open")
    check(a.cmd("COUNT " + alice[1]) == "OK 2", "COUNT of alice: 2")
    check(a.cmd("COUNT") == "OK 3", "COUNT of everything: 3")
    check(a.cmd("SEND %s hello there \u00e9" % alice[1]) == "OK 2", "SEND to alice: OK 2")
    for r in (a1, a2):
        op, payload = recv_text(r)
        check(op == TEXT and payload.decode() == "hello there \u00e9",
              "pushed text received")
    b1.sock.settimeout(0.3)
    try:
        b1.recv_frame()
        check(False, "bob must not get alice's message")
    except socket.timeout:
        check(True, "bob got nothing")
    b1.sock.settimeout(5)
    check(a.cmd("SEND AAAAAAAAAAAAAAAAAAAAAAAA x") == "OK 0", "SEND to an unknown ws_id: OK 0")

    a3 = Raw(a.addr, cookie=alice[0])
    check(a3.status == 101, "third socket of alice (ws_max_per_session = 3)")
    a4 = Raw(a.addr, cookie=alice[0])
    check(a4.status == 429, "fourth socket of alice: 429 (got %d)" % a4.status)

    t0 = time.monotonic()
    reply = a.cmd("CLOSE " + alice[1])
    check(reply == "OK 3", "CLOSE alice: OK 3 (got %s)" % reply)
    for r in (a1, a2, a3):
        code, why = r.expect_close()
        check(code == 4001 and why == "session closed", "close 4001 'session closed'")
    ms = (time.monotonic() - t0) * 1000
    check(ms < 100, "all of alice's sockets closed within 100 ms (%.1f ms)" % ms)
    for r in (a1, a2, a3):
        r.expect_eof()
        r.close()
    r = Raw(a.addr, cookie=alice[0])
    check(r.status == 401, "reconnect with the closed ws_id: 401")
    check(a.cmd("COUNT " + alice[1]) == "OK 0", "COUNT after CLOSE: 0")
    check(a.cmd("CLOSE " + alice[1]) == "OK 0", "CLOSE again: OK 0")

    check(a.cmd("CLOSE %s 4100 logged out elsewhere" % bob[1]) == "OK 1",
          "CLOSE with code and reason")
    code, why = b1.expect_close()
    check(code == 4100 and why == "logged out elsewhere", "close 4100 with reason")
    b1.close()

    for line, what in (("FROB", "unknown command"), ("CLOSE a/b", "bad ws_id"),
                       ("CLOSE abc 1006", "reserved close code"),
                       ("CLOSE abc 4001 " + "x" * 124, "reason too long"),
                       ("SEND", "SEND without arguments"), ("PING x", "PING with argument"),
                       ("SEND abc " + "x" * 1100, "SEND longer than ws_max_message"),
                       ("", "empty line")):
        reply = a.cmd(line)
        check(reply.startswith("ERR "), "%s: %s" % (what, reply))
    # Several commands on one connection, one reply each.
    s = socket.socket(socket.AF_UNIX)
    s.connect(a.ctl)
    s.settimeout(5)
    s.sendall(b"PING\r\nCOUNT\nFROB\n")
    data = b""
    while data.count(b"\n") < 3:
        data += s.recv(1000)
    s.close()
    check(data.decode().split("\n")[:3] == ["OK pong", "OK 0", "ERR unknown command"],
          "three commands, three replies: %r" % data)
    check(a.alive(), "helper alive after control errors")


def test_logout(a, conf):
    log("-- logout through sessionwrap closes the sockets")
    carol = login("carol", conf)
    rs = [Raw(a.addr, cookie=carol[0]) for _ in range(2)]
    check(all(r.status == 101 for r in rs), "carol's two sockets open")
    t0 = time.monotonic()
    cgi(SESSIONWRAP, conf, os.path.join(CGI, "logout.sh"), cookie=carol[0])
    t1 = time.monotonic()
    for r in rs:
        try:
            code, _ = r.expect_close()
            check(code == 4001, "logout: close 4001")
        except (Closed, OSError, AssertionError) as e:
            check(False, "logout: close frame: %r" % e)
        r.close()
    ms = (time.monotonic() - t1) * 1000
    check(ms < 100, "sockets closed within 100 ms of the logout response "
          "(%.1f ms; whole request %.1f ms)" % (ms, (t1 - t0) * 1000))
    r = Raw(a.addr, cookie=carol[0])
    check(r.status == 401, "reconnect with the logged-out cookie refused (%d)" % r.status)


def test_handler(b, alice):
    log("-- per-connection handler")
    r = Raw(b.addr, cookie="theme=dark; " + alice[0] + "; lang=fr",
            path="/chat?room=1")
    check(r.status == 101, "handler socket open")
    op, env = recv_text(r, 5)
    env = env.decode()
    check(env.startswith("env user=alice wsid=%s " % alice[1]),
          "SESSION_USER and SESSION_WS_ID: %s" % env)
    check("query=room=1" in env and "id=set" in env and "addr=127.0.0.1" in env,
          "QUERY_STRING, SESSION_ID, REMOTE_ADDR")
    check("cookie=theme=dark; lang=fr " in env, "session cookie stripped from HTTP_COOKIE")
    check(env.rstrip().endswith("session={}"), "SESSION is the data as JSON")
    r.send_text("h\u00e9llo w\u00f6rld")
    op, payload = recv_text(r)
    check(op == TEXT and payload.decode() == "echo: h\u00e9llo w\u00f6rld", "echo")
    r.send_frame(TEXT, "Hel", fin=False)
    r.send_frame(PING, b"p")
    r.send_frame(CONT, "lo ", fin=False)
    r.send_frame(CONT, "World")
    fin, op, payload = r.recv_frame()
    check(op == PONG and payload == b"p", "pong between fragments")
    op, payload = recv_text(r)
    check(payload == b"echo: Hello World", "fragmented message as one line")
    for i in range(50):
        r.send_text("line %d" % i)
    got = [recv_text(r)[1].decode() for _ in range(50)]
    check(got == ["echo: line %d" % i for i in range(50)], "50 messages in order")
    r.send_text("exit")
    code, _ = r.expect_close()
    check(code == 1000, "handler exit: close 1000")
    r.close()

    r = Raw(b.addr, cookie=alice[0])
    recv_text(r, 5)
    r.send_frame(BINARY, b"\x00\x01")
    code, _ = r.expect_close()
    check(code == 1003, "binary to a line handler: close 1003")
    r.close()

    check(wait_for(lambda: b.stats()["handlers"] == 0, 5), "earlier handlers gone")
    before = 0
    r = Raw(b.addr, cookie=alice[0], path="/?stubborn")
    check(r.status == 101, "stubborn handler socket open")
    check(wait_for(lambda: b.stats()["handlers"] == 1, 3), "stubborn handler running")
    r.send_close()
    r.expect_close()
    r.close()
    t0 = time.monotonic()
    gone = wait_for(lambda: b.stats()["handlers"] == before, 8)
    check(gone, "handler ignoring stdin EOF and SIGTERM killed (%.1f s)"
          % (time.monotonic() - t0))
    with open(b.logpath, "rb") as f:
        check(b"stderr line from the handler" in f.read(), "handler stderr in the log")

    # A third-party client: Debian's python3-websockets.
    import websockets

    async def third_party():
        async with websockets.unix_connect(
                b.sock, "ws://localhost/ws",
                extra_headers={"Cookie": alice[0], "Origin": "https://app.example"},
                ping_interval=None) as ws:
            first = await asyncio.wait_for(ws.recv(), 5)
            await ws.send("from websockets")
            echo = await asyncio.wait_for(ws.recv(), 5)
            return first, echo
    first, echo = asyncio.run(third_party())
    check(first.startswith("env user=alice") and echo == "echo: from websockets",
          "python3-websockets client through the handler")


def test_idle(conf, alice):
    log("-- keepalive and idle timeout")
    c = Server("c", conf, "--ws_ping_interval=1", "--ws_idle_timeout=3")
    try:
        quiet = Raw(c.addr, cookie=alice[0])
        lively = Raw(c.addr, cookie=alice[0])
        seen = []

        def answer_pings():
            lively.sock.settimeout(8)
            try:
                while True:
                    fin, op, payload = lively.recv_frame()
                    seen.append(op)
                    if op != PING:
                        return
                    lively.send_frame(PONG, payload)
            except (OSError, Closed):
                pass
        th = threading.Thread(target=answer_pings, daemon=True)
        th.start()
        t0 = time.monotonic()
        fin, op, _ = quiet.recv_frame()
        check(op == PING and time.monotonic() - t0 < 2.5, "ping after ws_ping_interval")
        # Never answer: the next frame must be the idle close.
        while True:
            fin, op, payload = quiet.recv_frame()
            if op == CLOSE:
                break
        el = time.monotonic() - t0
        code = struct.unpack("!H", payload[:2])[0]
        check(code == 1001 and 2.5 < el < 5, "silent peer closed with 1001 after "
              "ws_idle_timeout (%.1f s)" % el)
        # The lively one answers its pings and stays.
        time.sleep(1)
        check(c.cmd("COUNT " + alice[1]) == "OK 1", "peer answering pings kept")
        check(len(seen) >= 3 and set(seen) == {PING},
              "only pings for a live peer (%r)" % seen)
        quiet.close()
        lively.sock.shutdown(socket.SHUT_RDWR)
        lively.close()
        th.join(2)
    finally:
        c.stop()
    check(c.proc.returncode == 0, "c stopped cleanly (rc %r)" % c.proc.returncode)


def test_reload(a, alice):
    log("-- SIGHUP reload")
    with open(a.conf) as f:
        orig = f.read()
    with open(a.conf, "a") as f:
        f.write("ws_origins = https://other.example\n")
    a.proc.send_signal(signal.SIGHUP)
    ok = wait_for(lambda: b"reloaded" in open(a.logpath, "rb").read(), 5)
    check(ok, "reload logged")
    r = Raw(a.addr, cookie=alice[0], origin="http://localhost")
    check(r.status == 403, "after reload: same host no longer allowed")
    r = Raw(a.addr, cookie=alice[0], origin="https://other.example")
    check(r.status == 101, "after reload: the new origin allowed")
    r.close()
    with open(a.conf, "a") as f:
        f.write("no_such_key = 1\n")
    a.proc.send_signal(signal.SIGHUP)
    ok = wait_for(lambda: b"reload failed" in open(a.logpath, "rb").read(), 5)
    check(ok and a.alive(), "bad configuration on reload: kept the old one")
    r = Raw(a.addr, cookie=alice[0], origin="https://other.example")
    check(r.status == 101, "old configuration still in force")
    r.close()
    with open(a.conf, "w") as f:
        f.write(orig)
    a.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)


def test_sigterm(a, dave):
    log("-- SIGTERM")
    rs = [Raw(a.addr, cookie=dave[0]) for _ in range(3)]
    check(all(r.status == 101 for r in rs), "three sockets before SIGTERM")
    a.proc.send_signal(signal.SIGTERM)
    for r in rs:
        try:
            code, why = r.expect_close()
            check(code == 1001, "SIGTERM: close 1001 (%s)" % why)
        except (Closed, OSError, AssertionError) as e:
            check(False, "SIGTERM: close frame: %r" % e)
        r.close()
    try:
        rc = a.proc.wait(5)
    except subprocess.TimeoutExpired:
        rc = None
    check(rc == 0, "exited 0 after SIGTERM (rc %r)" % rc)
    check(not os.path.exists(a.sock) and not os.path.exists(a.ctl),
          "sockets removed on exit")


def main():
    setup_scripts()
    with open(SW_CONF) as f:
        base = f.read()
    conf_a = os.path.join(T, "a.conf")
    conf_b = os.path.join(T, "b.conf")
    handler = write_script("handler.sh", HANDLER)
    with open(conf_a, "w") as f:
        f.write(base + "script_root = %s\nws_control = %s\n"
                % (CGI, os.path.join(T, "a.ctl")))
    with open(conf_b, "w") as f:
        f.write(base + "script_root = %s\n" % CGI)
    with open(SW_CONF, "a") as f:
        f.write("script_root = %s\n" % CGI)

    a = Server("a", conf_a, "--ws_max_message=1024", "--ws_max_per_session=3",
               "--ws_handshake_timeout=1")
    b = Server("b", conf_b, "--ws_handler=" + handler,
               "--ws_origins=https://app.example", "--ws_require_login=on")
    alice = login("alice")
    bob = login("bob")
    anon = anonymous()
    tests = [
        lambda: test_handshake_errors(a, alice[0]),
        lambda: test_auth(a, b, alice, anon),
        lambda: test_frames(a, alice),
        lambda: test_abrupt(a, alice),
        lambda: test_handler(b, alice),
        lambda: test_idle(conf_b, login("erin")),
        lambda: test_control(a, alice, bob),
        lambda: test_logout(a, conf_a),
        lambda: test_reload(a, login("frank")),
        lambda: test_sigterm(a, login("dave")),
    ]
    for t in tests:
        try:
            t()
        except Exception as e:  # one broken area must not hide the others
            import traceback
            traceback.print_exc()
            check(False, "exception: %r" % e)
    for s in (a, b):
        if s.proc.poll() is not None and s.proc.returncode not in (0, None):
            check(False, "%s exited with %d" % (s.name, s.proc.returncode))
    b.stop()
    check(b.proc.returncode == 0, "b stopped cleanly")
    if failures:
        log("%d failure(s):" % len(failures))
        for f in failures:
            log("  " + f)
        for s in (a, b):
            log("---- %s log tail ----\n%s" % (s.name, s.tail(30)))
        return 1
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        sys.exit(main())
    finally:
        cleanup()
