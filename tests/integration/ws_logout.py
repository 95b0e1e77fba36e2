"""End to end through a web server: log in over HTTP, open two sockets with
python3-websockets and two with our own raw client through the proxy, log out
over HTTP, and see every socket of the session get close 4001 within 100 ms
of the logout response while another user's socket stays; then the old cookie
is refused. Run by ws_logout.sh with BASE=http://127.0.0.1:PORT."""
import asyncio
import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import time
import urllib.parse

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ws_client  # noqa: E402

BASE = os.environ["BASE"]
HOSTPORT = BASE.split("//", 1)[1]
HOST, PORT = HOSTPORT.rsplit(":", 1)
LIMIT_MS = float(os.environ.get("WS_CLOSE_LIMIT_MS", "100"))
NAME = "ws_logout"
CHECKS = ws_client.Checks(NAME)
log, check = CHECKS.log, CHECKS.check


async def http_get(path, cookie=None, body=False):
    """(status, headers list[, body]) of a GET through the web server."""
    r, w = await asyncio.open_connection(HOST, int(PORT))
    # HTTP/1.0 when the body is wanted: no chunked encoding to undo.
    req = "GET %s HTTP/1.%d\r\nHost: %s\r\nConnection: close\r\n" % (
        path, 0 if body else 1, HOSTPORT)
    if cookie:
        req += "Cookie: %s\r\n" % cookie
    w.write((req + "\r\n").encode())
    await w.drain()
    head = await r.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:] if ":" in l]
    data = await r.read() if body else None
    w.close()
    return (status, headers, data) if body else (status, headers)


def do_query(*headers):
    return "/cgi-bin/do.py?" + "&".join("h=" + urllib.parse.quote(h, safe="")
                                        for h in headers)


async def login(user):
    status, headers = await http_get(do_query("X-Session-Login: " + user))
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("sessionwrap="):
            return value.split(";", 1)[0]
    raise AssertionError("login %s: no cookie (status %d)" % (user, status))


class RawClient:
    """Our own minimal RFC 6455 client on asyncio streams."""

    async def open(self, cookie):
        self.r, self.w = await asyncio.open_connection(HOST, int(PORT))
        key = base64.b64encode(os.urandom(16)).decode()
        self.w.write(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                      "Sec-WebSocket-Version: 13\r\nOrigin: %s\r\nCookie: %s\r\n\r\n"
                      % (HOSTPORT, key, BASE, cookie)).encode())
        await self.w.drain()
        head = await self.r.readuntil(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1(
                key.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
            assert want in head, "bad Sec-WebSocket-Accept"
        return self

    async def frame(self):
        return await ws_client.read_frame(self.r)

    async def wait_close(self):
        """(code, arrival time) of the close frame."""
        while True:
            op, payload = await self.frame()
            if op == 8:
                t = time.monotonic()
                self.w.write(ws_client.frame_bytes(ws_client.CLOSE, payload[:2]))
                self.w.close()
                return struct.unpack("!H", payload[:2])[0], t


async def ws_open(cookie):
    return await websockets.connect(
        "ws://%s/ws" % HOSTPORT, origin=BASE, extra_headers={"Cookie": cookie},
        ping_interval=None, open_timeout=5)


async def ws_wait_close(ws):
    try:
        while True:
            await ws.recv()
    except websockets.exceptions.ConnectionClosed:
        return ws.close_code, time.monotonic()


async def main():
    alice = await login("alice")
    bob = await login("bob")
    lib = [await ws_open(alice) for _ in range(2)]
    raw = [await RawClient().open(alice) for _ in range(2)]
    check(all(r.status == 101 for r in raw), "raw client sockets open through the proxy")
    other = await ws_open(bob)
    waits = [asyncio.ensure_future(ws_wait_close(w)) for w in lib] + \
        [asyncio.ensure_future(r.wait_close()) for r in raw]
    await asyncio.sleep(0.2)

    t0 = time.monotonic()
    status, headers = await http_get(do_query("X-Session-Logout: 1"), cookie=alice)
    t1 = time.monotonic()
    check(status == 200, "logout over HTTP: 200 (%d)" % status)
    try:
        done = await asyncio.wait_for(asyncio.gather(*waits), 3)
    except asyncio.TimeoutError:
        check(False, "every socket of the session closed")
        return
    for who, (code, t) in zip(["websockets 1", "websockets 2", "raw 1", "raw 2"], done):
        check(code == 4001, "%s: close 4001 (got %r)" % (who, code))
    last = max(t for _, t in done)
    ms = (last - t1) * 1000
    check(ms < LIMIT_MS, "last close frame %.1f ms after the logout response "
          "(%.1f ms after the request was sent)" % (ms, (last - t0) * 1000))

    pong = await asyncio.wait_for(other.ping(), 3)
    await asyncio.wait_for(pong, 3)
    check(other.open, "another user's socket stays open")

    # The same by hand: sessionwrap-ctl close-ws with bob's SESSION_WS_ID.
    status, headers, body = await http_get(do_query(), cookie=bob, body=True)
    env = json.loads(body)
    wait_bob = asyncio.ensure_future(ws_wait_close(other))
    ctl = await asyncio.to_thread(subprocess.run, [
        os.environ["SW_CTL"], "-c", os.environ["SW_CONF"], "close-ws",
        env["SESSION_WS_ID"], "4002", "bye"], capture_output=True, text=True)
    check(ctl.returncode == 0 and "closed 1 " in ctl.stdout,
          "sessionwrap-ctl close-ws: %r %r" % (ctl.stdout, ctl.stderr))
    code, _ = await asyncio.wait_for(wait_bob, 3)
    check(code == 4002, "close-ws code 4002 reached the socket (got %r)" % code)
    check(other.close_reason == "bye", "close-ws reason (got %r)" % other.close_reason)

    try:
        w = await ws_open(alice)
        await w.close()
        check(False, "reconnect with the logged-out cookie refused")
    except websockets.exceptions.InvalidStatusCode as e:
        check(e.status_code in (401, 403), "websockets reconnect refused (%d)" % e.status_code)
    r = await RawClient().open(alice)
    check(r.status in (401, 403), "raw reconnect refused (%d)" % r.status)
    r.w.close()


if __name__ == "__main__":
    CHECKS.run(main)
