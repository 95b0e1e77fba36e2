"""sessionwrap-ws bench client (asyncio, stdlib only), driven by bench/ws.sh.

  hold     open N idle sockets spread over the sessions in SESSIONS_FILE,
           report the server's RSS per connection, then for a few sessions
           the time from sending CLOSE on the control socket to the last close
           frame received, and the time for a SEND to reach every socket.
  echo     open N sockets to an echo endpoint (sessionwrap-ws with a handler,
           or websocketd), check one echo each, report the RSS of the server
           and of its children.

Client-side times are upper bounds: they include this client's own event loop.
"""
import argparse
import asyncio
import base64
import os
import socket
import statistics
import struct
import sys
import time


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def children_rss_kb(pid):
    """RSS of every descendant of pid."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    total, n, todo = 0, 0, list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        try:
            total += rss_kb(p)
            n += 1
        except OSError:
            pass
        todo.extend(kids.get(p, []))
    return total, n


class Conn:
    """One raw client socket: handshake, then frames."""

    def __init__(self):
        self.closed_at = None
        self.close_code = None
        self.texts = []
        self.text_event = None

    async def open(self, addr, cookie, host="localhost"):
        if addr.startswith("unix:"):
            self.r, self.w = await asyncio.open_unix_connection(addr[5:])
        else:
            h, p = addr.rsplit(":", 1)
            self.r, self.w = await asyncio.open_connection(h, int(p))
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n" % (host, key))
        if cookie:
            req += "Cookie: %s\r\n" % cookie
        self.w.write((req + "\r\n").encode())
        await self.w.drain()
        head = await self.r.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise RuntimeError("refused: %r" % head.split(b"\r\n", 1)[0])
        return self

    def send(self, op, payload=b""):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | op]) + (bytes([0x80 | n]) if n < 126 else
                                     bytes([0x80 | 126]) + struct.pack("!H", n))
        self.w.write(head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload)))

    async def run(self):
        """Read frames until close: answer pings, keep texts, time the close."""
        try:
            while True:
                b0, b1 = await self.r.readexactly(2)
                n = b1 & 0x7f
                if n == 126:
                    n = struct.unpack("!H", await self.r.readexactly(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", await self.r.readexactly(8))[0]
                payload = await self.r.readexactly(n) if n else b""
                op = b0 & 0x0f
                if op == 9:
                    self.send(10, payload)
                elif op == 1:
                    self.texts.append((time.monotonic(), payload))
                    if self.text_event:
                        self.text_event()
                elif op == 8:
                    self.closed_at = time.monotonic()
                    self.close_code = struct.unpack("!H", payload[:2])[0] if n >= 2 else None
                    self.send(8, payload[:2])
                    self.w.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            if self.closed_at is None:
                self.closed_at = time.monotonic()


async def control(path, line):
    r, w = await asyncio.open_unix_connection(path)
    w.write(line.encode() + b"\n")
    await w.drain()
    reply = await r.readline()
    w.close()
    return reply.decode().strip()


async def open_many(addr, cookies, n, batch, host):
    conns, t0 = [], time.monotonic()
    for start in range(0, n, batch):
        group = [Conn().open(addr, cookies[i % len(cookies)], host)
                 for i in range(start, min(n, start + batch))]
        conns.extend(await asyncio.gather(*group))
    return conns, time.monotonic() - t0


async def hold(args):
    sessions = [line.split() for line in open(args.sessions) if line.strip()]
    cookies = [s[0] for s in sessions]
    base = rss_kb(args.pid)
    conns, took = await open_many(args.addr, cookies, args.n, args.batch, args.host)
    tasks = [asyncio.ensure_future(c.run()) for c in conns]
    await asyncio.sleep(1)
    after = rss_kb(args.pid)
    stats = await control(args.ctl, "STATS")
    held = await control(args.ctl, "COUNT")
    print("connections held:        %s (opened in %.1f s)" % (held[3:], took))
    print("server RSS:              %.1f MB before, %.1f MB with %d sockets"
          % (base / 1024, after / 1024, args.n))
    print("RSS per idle connection: %.2f KB" % ((after - base) / args.n))

    by_session = {}
    for i, c in enumerate(conns):
        by_session.setdefault(i % len(cookies), []).append(c)

    # SEND fan-out to one session.
    idx = 0
    group = by_session[idx]
    pending = [len(group)]
    done = asyncio.get_running_loop().create_future()

    def arrived():
        pending[0] -= 1
        if pending[0] == 0 and not done.done():
            done.set_result(time.monotonic())
    for c in group:
        c.text_event = arrived
    t0 = time.monotonic()
    reply = await control(args.ctl, "SEND %s bench" % sessions[idx][1])
    t_last = await asyncio.wait_for(done, 10)
    print("SEND to %d sockets:      %s, last text after %.2f ms"
          % (len(group), reply, (t_last - t0) * 1000))

    lat = []
    for idx in range(1, min(len(sessions), args.closes + 1)):
        group = by_session[idx]
        t0 = time.monotonic()
        reply = await control(args.ctl, "CLOSE %s" % sessions[idx][1])
        t_reply = time.monotonic()
        await asyncio.wait_for(asyncio.gather(*[tasks[conns.index(c)] for c in group]), 10)
        last = max(c.closed_at for c in group)
        codes = {c.close_code for c in group}
        lat.append((last - t0) * 1000)
        print("CLOSE session of %d:     %s in %.2f ms, last close frame after %.2f ms "
              "(codes %s)" % (len(group), reply, (t_reply - t0) * 1000, lat[-1],
                              sorted(codes, key=str)))
    if lat:
        print("CLOSE to last close frame: median %.2f ms, max %.2f ms over %d sessions"
              % (statistics.median(lat), max(lat), len(lat)))
    print("STATS: " + stats[3:])
    for c in conns:
        c.w.close()
    await asyncio.sleep(0.5)


async def echo(args):
    base = rss_kb(args.pid)
    cookies = [line.split()[0] for line in open(args.sessions)] if args.sessions else [None]
    conns, took = await open_many(args.addr, cookies, args.n, args.batch, args.host)
    tasks = [asyncio.ensure_future(c.run()) for c in conns]
    t0 = time.monotonic()
    for c in conns:
        c.send(1, b"ping me")
    ok = 0
    end = time.monotonic() + 30
    while time.monotonic() < end:
        ok = sum(1 for c in conns if any(p.endswith(b"ping me") for _, p in c.texts))
        if ok == len(conns):
            break
        await asyncio.sleep(0.05)
    took_echo = time.monotonic() - t0
    await asyncio.sleep(1)
    after = rss_kb(args.pid)
    kids, nkids = children_rss_kb(args.pid)
    print("%-14s %d sockets in %.1f s, %d/%d echoed in %.2f s" %
          (args.label + ":", args.n, took, ok, args.n, took_echo))
    print("%-14s server RSS %.1f MB (%.2f KB per connection), %d handler processes "
          "%.1f MB (%.0f KB each)" % (
              "", after / 1024, (after - base) / args.n, nkids, kids / 1024,
              kids / max(nkids, 1)))
    for c in conns:
        c.w.close()
    await asyncio.sleep(0.5)
    for t in tasks:
        t.cancel()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("hold", "echo"))
    ap.add_argument("--addr", required=True)
    ap.add_argument("--ctl")
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--sessions")
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--closes", type=int, default=10)
    ap.add_argument("--host", default="localhost")
    ap.add_argument("--label", default="sessionwrap-ws")
    args = ap.parse_args()
    asyncio.run(hold(args) if args.mode == "hold" else echo(args))


if __name__ == "__main__":
    sys.exit(main())
