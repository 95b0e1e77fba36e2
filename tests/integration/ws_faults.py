"""Fault checks of sessionwrap-ws through lighttpd, driven by faults_ws.sh.

  ws_faults.py restart SIGNAL   open sockets of two sessions, let the shell
                                stop the helper with SIGNAL and start it
                                again (files in $T: ws-ready, ws-closed,
                                ws-restarted), check every client saw the
                                close (1001 on TERM, EOF on KILL), then that
                                reconnecting works and SEND reaches them
  ws_faults.py flood            flood the control socket: thousands of
                                pipelined commands, many clients at once,
                                garbage and over-long lines; replies stay
                                right and a socket keeps receiving

Environment: BASE (http://127.0.0.1:PORT of lighttpd), WS_CTL (control
socket), T (temp dir). Stdlib only (ws_client.py).
"""
import http.client
import os
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ws_client  # noqa: E402

BASE = os.environ["BASE"]
HOSTPORT = BASE.split("//", 1)[1]
WS_CTL = os.environ["WS_CTL"]
T = os.environ["T"]
NAME = "ws_faults"
CHECKS = ws_client.Checks(NAME)
log, check, failures = CHECKS.log, CHECKS.check, CHECKS.failures


def login(user):
    """Log in through sessionwrap; (cookie 'name=value', SESSION_WS_ID)."""
    import json
    q = "/cgi-bin/do.py?h=" + urllib.parse.quote("X-Session-Login: " + user, safe="")
    c = http.client.HTTPConnection(HOSTPORT, timeout=10)
    c.request("GET", q)
    r = c.getresponse()
    r.read()
    cookie = None
    for name, value in r.getheaders():
        if name.lower() == "set-cookie" and value.startswith("sessionwrap="):
            cookie = value.split(";", 1)[0]
    c.close()
    if cookie is None:
        raise AssertionError("login %s: no cookie (status %d)" % (user, r.status))
    c = http.client.HTTPConnection(HOSTPORT, timeout=10)
    c.request("GET", "/cgi-bin/do.py", headers={"Cookie": cookie})
    r = c.getresponse()
    env = json.loads(r.read())
    c.close()
    return cookie, env["SESSION_WS_ID"]


def ws_open(cookie):
    """A raw WebSocket through lighttpd; raises unless it upgraded."""
    r = ws_client.Raw(HOSTPORT, path="/ws", host=HOSTPORT, origin=BASE,
                      cookie=cookie, timeout=10)
    if r.status != 101:
        raise AssertionError("upgrade answered %d" % r.status)
    return r


def wait_file(name, timeout=60):
    path = os.path.join(T, name)
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise AssertionError("timed out waiting for %s" % name)
        time.sleep(0.05)


def touch(name):
    with open(os.path.join(T, name), "w") as f:
        f.write("1\n")


def close_seen(r, timeout):
    """What the client saw when the helper went: 'close CODE', 'eof' or a failure."""
    r.sock.settimeout(timeout)
    try:
        while True:
            op, payload = r.recv_msg()
            if op == ws_client.CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                return "close %s" % code
    except ws_client.Closed:
        return "eof"
    except (ConnectionResetError, BrokenPipeError):
        return "eof"
    except socket.timeout:
        return "nothing within %.0f s" % timeout


def recv_text(r, timeout=5.0):
    r.sock.settimeout(timeout)
    while True:
        op, payload = r.recv_msg()
        if op == ws_client.TEXT:
            return payload.decode()
        if op == ws_client.CLOSE:
            raise AssertionError("closed while waiting for a message")


def restart(sig):
    alice, alice_id = login("alice")
    bob, bob_id = login("bob")
    socks = [ws_open(alice) for _ in range(6)] + [ws_open(bob) for _ in range(4)]
    check(ws_client.control(WS_CTL, "COUNT " + alice_id) == "OK 6",
          "6 sockets of alice registered")
    touch("ws-ready")
    seen = [close_seen(r, 15) for r in socks]
    want = "close 1001" if sig == "TERM" else "eof"
    check(all(s == want for s in seen),
          "SIG%s: every client saw %s (%s)" % (sig, want, ", ".join(sorted(set(seen)))))
    for r in socks:
        r.close()
    touch("ws-closed")
    wait_file("ws-restarted")
    again = [ws_open(alice) for _ in range(3)] + [ws_open(bob)]
    check(ws_client.control(WS_CTL, "COUNT " + alice_id) == "OK 3",
          "after the restart: 3 sockets of alice registered")
    check(ws_client.control(WS_CTL, "SEND %s hello again" % alice_id) == "OK 3",
          "SEND to alice after the restart")
    got = [recv_text(r) for r in again[:3]]
    check(got == ["hello again"] * 3, "alice's new sockets got the message: %r" % got)
    check(ws_client.control(WS_CTL, "CLOSE " + bob_id) == "OK 1", "CLOSE bob")
    check(close_seen(again[3], 5) == "close 4001", "bob's socket closed with 4001")
    for r in again:
        r.close()


def pipelined(n, lines):
    """Send n command lines on one connection without waiting; the replies."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(WS_CTL)
    data = "".join(l + "\n" for l in lines).encode()
    out = []
    buf = b""

    def reader():
        nonlocal buf
        try:
            while buf.count(b"\n") < n:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        except OSError:
            pass

    t = threading.Thread(target=reader)
    t.start()
    s.sendall(data)
    t.join(60)
    s.close()
    out = buf.decode("latin-1").split("\n")[:-1]
    return out


def flood():
    alice, alice_id = login("alice")
    watch = [ws_open(alice), ws_open(alice)]
    check(ws_client.control(WS_CTL, "COUNT " + alice_id) == "OK 2", "2 sockets of alice")

    # 1. Thousands of pipelined commands on one connection, answered in order.
    n = 6000
    kinds = []
    lines = []
    for i in range(n):
        k = i % 6
        kinds.append(k)
        if k == 0:
            lines.append("PING")
        elif k == 1:
            lines.append("COUNT " + alice_id)
        elif k == 2:
            lines.append("COUNT nosuchid%d" % i)
        elif k == 3:
            lines.append("BOGUS %d" % i)
        elif k == 4:
            lines.append("SEND nosuchid%d x" % i)
        else:
            lines.append("STATS")
    t0 = time.monotonic()
    replies = pipelined(n, lines)
    el = time.monotonic() - t0
    check(len(replies) == n, "%d pipelined commands: %d replies in %.2f s" % (n, len(replies), el))
    expect = {0: lambda r: r == "OK pong", 1: lambda r: r == "OK 2",
              2: lambda r: r == "OK 0", 3: lambda r: r.startswith("ERR "),
              4: lambda r: r == "OK 0", 5: lambda r: r.startswith("OK {")}
    bad = [(i, replies[i]) for i in range(min(n, len(replies))) if not expect[kinds[i]](replies[i])]
    check(not bad, "every reply right (first wrong: %r)" % (bad[:3],))

    # 2. Many clients at once, each with a few commands; beyond the helper's
    # client limit a connection may be refused, never answered wrongly.
    results = []
    lock = threading.Lock()

    def client(i):
        try:
            r = pipelined(20, ["PING", "COUNT " + alice_id] * 10)
            ok = r == ["OK pong", "OK 2"] * 10
            with lock:
                results.append("ok" if ok else ("short" if all(
                    x in ("OK pong", "OK 2") for x in r) else "wrong:%r" % r[:4]))
        except OSError as e:
            with lock:
                results.append("refused:%s" % e.__class__.__name__)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(300)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    wrong = [r for r in results if r.startswith("wrong")]
    nok = results.count("ok")
    log("300 concurrent clients: %d ok, %d refused or cut short" % (nok, len(results) - nok - len(wrong)))
    check(len(results) == 300, "every concurrent client finished")
    check(not wrong, "no wrong reply among concurrent clients (%r)" % wrong[:2])
    check(nok >= 64, "at least the helper's 64 concurrent clients served (%d)" % nok)

    # 3. Garbage: binary junk, NUL bytes, CR, empty lines, an over-long line.
    rnd = random.Random(1)
    junk = b"\n".join(bytes(rnd.randrange(256) for _ in range(100)) for _ in range(200)) + b"\n"
    for payload in (junk, b"\x00\x00PING\x00\n", b"\r\n\n\n", b"CLOSE\n", b"CLOSE \xff\xfe\n",
                    b"SEND " + alice_id.encode() + b"\n", b"COUNT " + b"a" * 5000 + b"\n"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(WS_CTL)
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            data = b""
        s.close()
        lines = data.decode("latin-1").split("\n")[:-1]
        want = payload.count(b"\n")
        check(len(lines) == want and
              all(l.startswith("ERR ") or l.startswith("OK ") for l in lines),
              "garbage %r...: %d reply lines for %d lines, all OK/ERR" % (payload[:12], len(lines), want))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(WS_CTL)
    try:
        s.sendall(b"PING " + b"x" * 200000)
        data = s.recv(65536)
    except OSError as e:
        data = ("<%s>" % e.__class__.__name__).encode()
    s.close()
    check(data.startswith(b"ERR line too long"), "over-long line refused: %r" % data[:40])

    # 4. Afterwards: the helper answers right and the sockets still receive.
    check(ws_client.control(WS_CTL, "PING") == "OK pong", "PING after the flood")
    check(ws_client.control(WS_CTL, "COUNT " + alice_id) == "OK 2", "COUNT after the flood")
    check(ws_client.control(WS_CTL, "SEND %s still here" % alice_id) == "OK 2", "SEND after the flood")
    got = [recv_text(r) for r in watch]
    check(got == ["still here"] * 2, "sockets opened before the flood still receive: %r" % got)

    # 5. Clients that connect and say nothing must not lock sessionwrap out:
    # a logout while 100 of them hold connections still closes the sockets.
    idle = []
    for _ in range(100):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(WS_CTL)
        except OSError:
            s.close()
            break
        idle.append(s)
    log("%d idle control clients connected" % len(idle))
    q = "/cgi-bin/do.py?h=" + urllib.parse.quote("X-Session-Logout: 1", safe="")
    c = http.client.HTTPConnection(HOSTPORT, timeout=10)
    c.request("GET", q, headers={"Cookie": alice})
    r = c.getresponse()
    r.read()
    c.close()
    check(r.status == 200, "logout while idle control clients wait: %d" % r.status)
    seen = [close_seen(w, 3) for w in watch]
    check(seen == ["close 4001"] * 2,
          "logout closed the sockets while %d idle control clients wait: %r" % (len(idle), seen))
    for s in idle:
        s.close()
    for r in watch:
        r.close()
    check(wait_reply("PING", "OK pong"), "PING once the idle clients left")


def wait_reply(line, want, timeout=5.0):
    """True when the control socket answers line with want within timeout."""
    end = time.monotonic() + timeout
    while True:
        try:
            if ws_client.control(WS_CTL, line) == want:
                return True
        except OSError:
            pass
        if time.monotonic() > end:
            return False
        time.sleep(0.1)


def main():
    try:
        if sys.argv[1] == "restart":
            restart(sys.argv[2])
        elif sys.argv[1] == "flood":
            flood()
        else:
            raise SystemExit("usage: ws_faults.py restart TERM|KILL | flood")
    except Exception as e:  # report, do not hide, the unexpected
        import traceback
        traceback.print_exc()
        failures.append("exception: %r" % e)
    if failures:
        log("FAIL: %d checks failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
