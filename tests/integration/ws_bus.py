"""Two hosts, one store, one ws_bus (run by ws_bus.sh once per bus kind).

Each host is its own lighttpd + sessionwrap + sessionwrap-ws; a session made
on one host is good on the other. Checked, through the web servers:
- sessionwrap-ctl send on host B reaches the session's sockets on A and B;
- a logout on host B closes them on both hosts with 4001, another user's
  socket stays;
- forged bus messages (bad MAC, old timestamp, oversized, a replay) are
  ignored and logged, and a message sealed here with the derived key is
  applied (so the forged ones failed for the reason they were made for);
- the bus server restarted while sockets are open: a logout still closes
  them on both hosts;
- the bus down (ws_bus unreachable, store fine): a logout on B still answers
  200 and closes B's sockets (ws_control), and A closes its own once its
  subscription is back (re-check against the store).

Environment: BASE_A, BASE_B, CTL_A, CTL_B (control sockets), CONF_B, SW_CTL,
SECRET, CHANNEL, KIND, LOG_A, LOG_B (the helpers' logs), SWLOG_B, and shell commands PUBLISH (the message
in $MSG), BUS_RESTART, BUS_DOWN, BUS_UP.
"""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ws_client  # noqa: E402  (Checks, the control socket client)

NAME = "ws_bus(%s)" % os.environ.get("KIND", "?")
HOSTS = {"A": os.environ["BASE_A"], "B": os.environ["BASE_B"]}
CTLS = {"A": os.environ["CTL_A"], "B": os.environ["CTL_B"]}
CHECKS = ws_client.Checks(NAME)
log, check = CHECKS.log, CHECKS.check


def hostport(host):
    return HOSTS[host].split("//", 1)[1]


async def http_get(host, path, cookie=None):
    """(status, headers, body) of a GET through a host's web server."""
    h, p = hostport(host).rsplit(":", 1)
    r, w = await asyncio.open_connection(h, int(p))
    req = "GET %s HTTP/1.0\r\nHost: %s\r\n" % (path, hostport(host))
    if cookie:
        req += "Cookie: %s\r\n" % cookie
    w.write((req + "\r\n").encode())
    await w.drain()
    head = await r.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:] if ":" in l]
    body = await r.read()
    w.close()
    return int(lines[0].split()[1]), headers, body


def do_query(*headers):
    return "/cgi-bin/do.py?" + "&".join("h=" + urllib.parse.quote(h, safe="")
                                        for h in headers)


async def get_ok(host, path, cookie=None):
    """http_get, again while the store still reconnects (503) after a
    restart of the PostgreSQL server that is both bus and store."""
    for _ in range(100):
        status, headers, body = await http_get(host, path, cookie)
        if status != 503:
            break
        await asyncio.sleep(0.1)
    return status, headers, body


async def login(host, user):
    """(cookie, ws_id) of a new session of user, made on host."""
    status, headers, _ = await get_ok(host, do_query("X-Session-Login: " + user))
    cookie = None
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("sessionwrap="):
            cookie = value.split(";", 1)[0]
    assert cookie, "login %s on %s: no cookie (%d)" % (user, host, status)
    status, _, body = await get_ok(host, do_query(), cookie=cookie)
    assert status == 200, "session of %s on %s: %d" % (user, host, status)
    return cookie, json.loads(body)["SESSION_WS_ID"]


async def logout(host, cookie):
    status, _, _ = await http_get(host, do_query("X-Session-Logout: 1"), cookie=cookie)
    return status


class Sock:
    """A minimal RFC 6455 client: texts and the close frame, timed."""

    async def open(self, host, cookie):
        self.host = host
        h, p = hostport(host).rsplit(":", 1)
        self.r, self.w = await asyncio.open_connection(h, int(p))
        req, _ = ws_client.request_bytes(host=hostport(host), cookie=cookie,
                                         origin=HOSTS[host])
        self.w.write(req)
        await self.w.drain()
        head = await self.r.readuntil(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        assert self.status == 101, "upgrade on %s: %d" % (host, self.status)
        self.texts = asyncio.Queue()
        self.closed = asyncio.get_running_loop().create_future()
        self.task = asyncio.ensure_future(self.reader())
        return self

    async def reader(self):
        try:
            while True:
                op, payload = await ws_client.read_frame(self.r)
                if op == 1:
                    await self.texts.put(payload.decode())
                elif op == 9:
                    self.send(0xA, payload)
                elif op == 8:
                    t = time.monotonic()
                    self.send(0x8, payload[:2])
                    self.w.close()
                    self.closed.set_result((struct.unpack("!H", payload[:2])[0], t))
                    return
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            if not self.closed.done():
                self.closed.set_result((None, time.monotonic()))

    def send(self, op, body):
        self.w.write(ws_client.frame_bytes(op, body))

    def is_open(self):
        return not self.closed.done()


async def socks(cookie, per_host=2):
    return [await Sock().open(h, cookie) for h in ("A", "B") for _ in range(per_host)]


async def all_closed(ss, timeout):
    """The close codes of every socket, or None for those still open."""
    try:
        await asyncio.wait_for(asyncio.gather(*(s.closed for s in ss)), timeout)
    except asyncio.TimeoutError:
        pass
    return [s.closed.result()[0] if s.closed.done() else None for s in ss]


def bus_stats(host):
    reply = ws_client.control(CTLS[host], "STATS", 3)
    assert reply.startswith("OK "), reply
    return json.loads(reply[3:])["bus"]


async def wait_bus(pred, what, timeout=20):
    """Until pred(stats of A, stats of B) holds; False after timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if pred(bus_stats("A"), bus_stats("B")):
                return True
        except (OSError, AssertionError):
            pass
        await asyncio.sleep(0.1)
    return check(False, what)


def shell(cmd, **env):
    e = dict(os.environ)
    e.update(env)
    return subprocess.run(["sh", "-c", cmd], env=e, capture_output=True, text=True)


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def bus_key():
    """The bus key as lib/keyring.c and lib/wsbus_msg.c derive it."""
    secret = [l.strip() for l in open(os.environ["SECRET"]) if l.strip()][0]
    prk = hmac.new(b"sessionwrap", secret.encode(), hashlib.sha256).digest()
    sign = hmac.new(prk, b"sessionwrap sign v1\x01", hashlib.sha256).digest()
    return hmac.new(sign, b"sessionwrap ws_bus v1", hashlib.sha256).digest()


def seal(line, ts=None, key=None):
    body = "%d %s %s" % (int(time.time()) if ts is None else ts,
                         b64(os.urandom(16)), line)
    mac = hmac.new(key or bus_key(), (os.environ["CHANNEL"] + "\n" + body).encode(),
                   hashlib.sha256).digest()
    return "swb1 %s %s" % (b64(mac), body)


def publish(msg):
    return shell(os.environ["PUBLISH"], MSG=msg)


def log_has(host, text):
    with open(os.environ["LOG_" + host], errors="replace") as f:
        return text in f.read()


async def no_text(s, wait=0.3):
    try:
        t = await asyncio.wait_for(s.texts.get(), wait)
        return "got %r" % t
    except asyncio.TimeoutError:
        return None


async def phase_send_logout():
    alice, alice_ws = await login("B", "alice")
    bob, bob_ws = await login("A", "bob")
    mine = await socks(alice)
    other = await Sock().open("A", bob)
    await asyncio.sleep(0.2)

    r = subprocess.run([os.environ["SW_CTL"], "-c", os.environ["CONF_B"], "send",
                        alice_ws, "hello over the bus"], capture_output=True, text=True)
    check(r.returncode == 0 and "published on ws_bus" in r.stdout,
          "sessionwrap-ctl send on B: %r %r" % (r.stdout, r.stderr))
    for s in mine:
        try:
            t = await asyncio.wait_for(s.texts.get(), 3)
        except asyncio.TimeoutError:
            t = None
        check(t == "hello over the bus", "SEND reached a socket on host %s (%r)" % (s.host, t))
    check(await no_text(other) is None, "SEND did not reach another session")

    t0 = time.monotonic()
    check(await logout("B", alice) == 200, "logout on host B: 200")
    t1 = time.monotonic()
    codes = await all_closed(mine, 3)
    check(codes == [4001] * 4, "logout on B closed the sockets on A and B with 4001 (%r)" % codes)
    if all(c == 4001 for c in codes):
        last = max(s.closed.result()[1] for s in mine)
        log("last close frame %.1f ms after the logout response (%.1f ms after "
            "the request was sent)" % ((last - t1) * 1000, (last - t0) * 1000))
    check(other.is_open(), "another user's socket on A stays open")
    return bob_ws, other


async def phase_forged(bob_ws, other):
    before = [bus_stats(h)["rejected"] for h in ("A", "B")]
    cases = [
        ("bad MAC", seal("CLOSE %s" % bob_ws, key=os.urandom(32))),
        ("message outside the time window", seal("CLOSE %s" % bob_ws, ts=int(time.time()) - 120)),
        ("message outside the time window", seal("CLOSE %s" % bob_ws, ts=int(time.time()) + 120)),
        ("malformed message", "swb1 garbage CLOSE %s" % bob_ws),
        ("not CLOSE or SEND", seal("STATS")),
    ]
    for _, msg in cases:
        r = publish(msg)
        check(r.returncode == 0, "published a forged message (%s)" % r.stderr.strip())
    # Oversized: PostgreSQL itself refuses NOTIFY payloads of 8000 bytes.
    big = publish(seal("SEND %s %s" % (bob_ws, "x" * 9000)))
    if big.returncode == 0:
        cases.append(("oversized message", None))
    else:
        check("too long" in big.stderr, "the bus server refused the oversized "
              "message (%s)" % big.stderr.strip())
    good = seal("SEND %s sealed by the test" % bob_ws)
    check(publish(good).returncode == 0, "published a message sealed by the test")
    check(publish(good).returncode == 0, "published it again (a replay)")
    cases.append(("replayed message", None))
    try:
        t = await asyncio.wait_for(other.texts.get(), 3)
    except asyncio.TimeoutError:
        t = None
    check(t == "sealed by the test", "a message sealed with the derived key is applied (%r)" % t)
    check(await no_text(other, 0.5) is None, "the replay was not applied")
    check(other.is_open(), "no forged CLOSE closed the socket")
    await wait_bus(lambda a, b: a["rejected"] - before[0] >= len(cases) and
                   b["rejected"] - before[1] >= len(cases),
                   "both helpers counted every forged message as rejected", 5)
    for why, _ in cases:
        check(log_has("A", "ws_bus: message ignored: " + why) and
              log_has("B", "ws_bus: message ignored: " + why), "logged: " + why)


async def phase_restart():
    carol, _ = await login("A", "carol")
    mine = await socks(carol)
    before = [bus_stats(h)["reconnects"] for h in ("A", "B")]
    r = shell(os.environ["BUS_RESTART"])
    check(r.returncode == 0, "bus server restarted (%s)" % r.stderr.strip())
    await wait_bus(lambda a, b: a["up"] and b["up"] and a["reconnects"] > before[0]
                   and b["reconnects"] > before[1], "both helpers subscribed again")
    check(all(s.is_open() for s in mine), "sockets stayed open over the bus restart")
    status, _, _ = await get_ok("A", do_query("X-Session-Logout: 1"), cookie=carol)
    check(status == 200, "logout on A after the restart: 200 (%d)" % status)
    codes = await all_closed(mine, 3)
    check(codes == [4001] * 4, "after the bus restart a logout closes the sockets "
          "on both hosts (%r)" % codes)


async def phase_outage():
    dave, _ = await login("A", "dave")
    mine = await socks(dave)
    r = shell(os.environ["BUS_DOWN"])
    check(r.returncode == 0, "bus down (%s)" % r.stderr.strip())
    await wait_bus(lambda a, b: not a["up"] and not b["up"], "both helpers saw the bus go")
    t0 = time.monotonic()
    check(await logout("B", dave) == 200, "logout on B with the bus down: 200")
    check(time.monotonic() - t0 < 3, "the logout did not hang on the bus")
    on_b = [s for s in mine if s.host == "B"]
    on_a = [s for s in mine if s.host == "A"]
    codes = await all_closed(on_b, 3)
    check(codes == [4001] * 2, "host B closed its own sockets over ws_control (%r)" % codes)
    check(all(s.is_open() for s in on_a), "host A cannot know yet: its sockets are open")
    with open(os.environ["SWLOG_B"], errors="replace") as f:
        check("trying ws_control" in f.read(), "sessionwrap logged the bus failure")
    r = shell(os.environ["BUS_UP"])
    check(r.returncode == 0, "bus up again (%s)" % r.stderr.strip())
    codes = await all_closed(on_a, 15)
    check(codes == [4001] * 2, "host A closed them once subscribed again, after "
          "re-checking the store (%r)" % codes)


async def main():
    await wait_bus(lambda a, b: a["up"] and b["up"], "both helpers subscribed")
    bob_ws, other = await phase_send_logout()
    await phase_forged(bob_ws, other)
    await phase_restart()
    await phase_outage()


if __name__ == "__main__":
    CHECKS.run(main)
