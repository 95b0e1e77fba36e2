"""sessionwrap-ws bench client (asyncio, stdlib only), driven by bench/ws.sh.

  hold     open N idle sockets spread over the sessions in SESSIONS_FILE,
           report the server's RSS per connection, then for a few sessions
           the time from sending CLOSE on the control socket to the last close
           frame received, and the time for a SEND to reach every socket.
  echo     open N sockets to an echo endpoint (sessionwrap-ws with a handler,
           or websocketd), check one echo each, report the RSS of the server
           and of its children.
  twohost  per session, N sockets on host A's sessionwrap-ws, then a logout
           over HTTP on host B (another sessionwrap on the same ws_bus): the
           time from sending the logout to the last close frame on A.

Times are taken by the client: from just before the control command is sent
to the moment epoll reports the frame on the last socket.
"""
import argparse
import asyncio
import base64
import os
import selectors
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


def open_sync(addrs, cookies, host):
    """Blocking handshakes, pipelined in batches; the open sockets."""
    out = []
    for start in range(0, len(addrs), 200):
        batch = []
        for i in range(start, min(len(addrs), start + 200)):
            addr = addrs[i]
            if addr.startswith("unix:"):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(addr[5:])
            else:
                h, p = addr.rsplit(":", 1)
                s = socket.create_connection((h, int(p)))
            s.settimeout(30)
            key = base64.b64encode(os.urandom(16)).decode()
            s.sendall(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                       "Sec-WebSocket-Version: 13\r\nCookie: %s\r\n\r\n"
                       % (host, key, cookies[i])).encode())
            batch.append(s)
        for s in batch:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    raise RuntimeError("closed during the handshake")
                head += chunk
            if b" 101 " not in head.split(b"\r\n", 1)[0]:
                raise RuntimeError("refused: %r" % head.split(b"\r\n", 1)[0])
            out.append(s)
    return out


def control_sync(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(path)
    s.sendall(line.encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode().strip()


def timed(ctl, line, socks, opcode):
    """Send a control line; (reply, ms to the reply, ms to the last frame of
    `opcode` on every socket, codes seen). Arrival = the socket turned
    readable with that frame, measured with epoll: no event loop in between."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    t0 = time.perf_counter()
    reply = control_sync(ctl, line)
    t_reply = time.perf_counter()
    last, codes = last_frame(sel, len(socks), opcode, t0)
    return reply, (t_reply - t0) * 1000, (last - t0) * 1000, codes


def last_frame(sel, left, opcode, t0):
    """(arrival of the last frame of `opcode` on the `left` sockets
    registered in sel, close codes seen); sel is closed."""
    codes, last = set(), t0
    while left:
        events = sel.select(10)
        if not events:
            raise RuntimeError("timed out waiting for frames")
        t = time.perf_counter()
        for key, _ in events:
            data = key.fileobj.recv(256)
            if data and data[0] & 0x0f == opcode:
                if opcode == 8 and len(data) >= 4:
                    codes.add(struct.unpack("!H", data[2:4])[0])
                last = t
            sel.unregister(key.fileobj)
            left -= 1
    sel.close()
    return last, codes


def hold(args):
    sessions = [line.split() for line in open(args.sessions) if line.strip()]
    cookies = [sessions[i % len(sessions)][0] for i in range(args.n)]
    base = rss_kb(args.pid)
    t0 = time.monotonic()
    socks = open_sync([args.addr] * args.n, cookies, args.host)
    took = time.monotonic() - t0
    time.sleep(1)
    after = rss_kb(args.pid)
    held = control_sync(args.ctl, "COUNT")
    print("connections held:          %s (opened in %.1f s)" % (held[3:], took))
    print("server RSS:                %.1f MB before, %.1f MB with %d sockets"
          % (base / 1024, after / 1024, args.n))
    print("RSS per idle connection:   %.2f KB" % ((after - base) / args.n))
    by_session = {}
    for i, s in enumerate(socks):
        by_session.setdefault(i % len(sessions), []).append(s)

    group = by_session[0]
    reply, ms_reply, ms_last, _ = timed(args.ctl, "SEND %s bench" % sessions[0][1],
                                        group, 1)
    print("SEND to %d sockets:        %s, reply after %.2f ms, last text after %.2f ms"
          % (len(group), reply, ms_reply, ms_last))
    lat = []
    for idx in range(min(len(sessions), args.closes)):
        group = by_session[idx]
        reply, ms_reply, ms_last, codes = timed(
            args.ctl, "CLOSE %s" % sessions[idx][1], group, 8)
        lat.append(ms_last)
        print("CLOSE session of %d:       %s, reply after %.2f ms, last close frame "
              "after %.2f ms (codes %s)" % (len(group), reply, ms_reply, ms_last,
                                           sorted(codes)))
    if lat:
        print("CLOSE to last close frame: median %.2f ms, max %.2f ms over %d CLOSEs"
              % (statistics.median(lat), max(lat), len(lat)))
    print("STATS: " + control_sync(args.ctl, "STATS")[3:])
    for s in socks:
        s.close()


def http_get(base, path, cookie):
    """A blocking HTTP/1.0 GET; the status."""
    h, p = base.split("//", 1)[1].rsplit(":", 1)
    s = socket.create_connection((h, int(p)))
    s.settimeout(30)
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s:%s\r\nCookie: %s\r\n\r\n"
               % (path, h, p, cookie)).encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return int(data.split(b" ", 2)[1])


def twohost(args):
    """Per session: N sockets on host A, a logout over HTTP on host B, the
    time to the last close frame on A (the CLOSE crossed ws_bus)."""
    sessions = [line.split() for line in open(args.sessions) if line.strip()]
    lat, replies = [], []
    for idx in range(min(len(sessions), args.closes)):
        cookie = sessions[idx][0]
        socks = open_sync([args.addr] * args.n, [cookie] * args.n, args.host)
        time.sleep(0.2)
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_READ)
        t0 = time.perf_counter()
        status = http_get(args.logout_base, args.logout_path, cookie)
        t_reply = time.perf_counter()
        last, codes = last_frame(sel, len(socks), 8, t0)
        if status != 200 or codes != {4001}:
            raise RuntimeError("logout %d, close codes %s" % (status, sorted(codes)))
        lat.append((last - t0) * 1000)
        replies.append((t_reply - t0) * 1000)
        for s in socks:
            s.close()
    print("%-10s logout on B to the last of %d close frames on A: median %.2f ms, "
          "max %.2f ms over %d logouts (logout response: median %.2f ms)"
          % (args.label + ":", args.n, statistics.median(lat), max(lat), len(lat),
             statistics.median(replies)))


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
    ap.add_argument("mode", choices=("hold", "echo", "twohost"))
    ap.add_argument("--addr", required=True)
    ap.add_argument("--ctl")
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--sessions")
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--closes", type=int, default=10)
    ap.add_argument("--host", default="localhost")
    ap.add_argument("--label", default="sessionwrap-ws")
    ap.add_argument("--logout-base")
    ap.add_argument("--logout-path", default="/cgi-bin/logout.sh")
    args = ap.parse_args()
    if args.mode == "hold":
        hold(args)
    elif args.mode == "twohost":
        twohost(args)
    else:
        asyncio.run(echo(args))


if __name__ == "__main__":
    sys.exit(main())
