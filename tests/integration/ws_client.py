"""A raw RFC 6455 client for sessionwrap-ws tests: every byte under the test's control.

Also: logins through sessionwrap in CGI mode and a control socket client.
Imported by ws_basic.py and the end-to-end test; stdlib only.
"""
import asyncio
import base64
import hashlib
import os
import socket
import struct
import subprocess
import sys
import time
import traceback

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

TEXT, BINARY, CLOSE, PING, PONG, CONT = 1, 2, 8, 9, 10, 0


class Checks:
    """A test's named log and its list of failed checks."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def log(self, msg):
        print("%s: %s" % (self.name, msg), file=sys.stderr, flush=True)

    def check(self, cond, what):
        self.log(("ok: " if cond else "FAIL: ") + what)
        if not cond:
            self.failures.append(what)
        return cond

    def run(self, main):
        """Run the coroutine function main; an exception is one more failed
        check. Exits 1 when any check failed, else 0."""
        try:
            asyncio.run(main())
        except Exception as e:
            traceback.print_exc()
            self.check(False, "exception: %r" % e)
        sys.exit(1 if self.failures else 0)


class Closed(Exception):
    """The server closed the TCP connection."""


def connect(addr, timeout=5.0):
    """A socket to 'unix:PATH' or 'HOST:PORT'."""
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout)
    s.settimeout(timeout)
    return s


def request_bytes(path="/ws", host="localhost", cookie=None, origin=None,
                  key=None, version="13", upgrade="websocket",
                  connection="Upgrade", method="GET", extra=()):
    """An upgrade request; None for a header leaves it out (key=None: random)."""
    if key is None:
        key = base64.b64encode(os.urandom(16)).decode()
    lines = ["%s %s HTTP/1.1" % (method, path)]
    for name, value in (("Host", host), ("Upgrade", upgrade),
                        ("Connection", connection), ("Sec-WebSocket-Key", key),
                        ("Sec-WebSocket-Version", version),
                        ("Origin", origin), ("Cookie", cookie)):
        if value is not None and value is not False:
            lines.append("%s: %s" % (name, value))
    lines.extend(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


def frame_bytes(opcode, payload=b"", fin=True, mask=True, rsv=0, length=None):
    """One frame as a client sends it; length= lies about the payload's."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    m = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, m | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, m | 126, n)
    else:
        head = struct.pack("!BBQ", b0, m | 127, n)
    if mask:
        k = os.urandom(4)
        head += k
        payload = bytes(c ^ k[i % 4] for i, c in enumerate(payload))
    return head + payload


async def read_frame(reader):
    """(opcode, payload) of the next frame on an asyncio stream."""
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
    return b0 & 0x0f, await reader.readexactly(n)


class Raw:
    """One connection: a handshake, then frames built and parsed by hand."""

    def __init__(self, addr, raw=None, timeout=5.0, **kw):
        self.sock = connect(addr, timeout)
        self.buf = b""
        if raw is None:
            raw, self.key = request_bytes(**kw)
        else:
            self.key = None
        self.sock.sendall(raw)
        self.status, self.reason, self.headers, self.body = self.read_response()

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def read_response(self):
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = b""
        if status != 101:
            n = int(headers.get("content-length", "0"))
            while len(self.buf) < n:
                self._recv()
            body, self.buf = self.buf[:n], self.buf[n:]
        else:
            want = base64.b64encode(hashlib.sha1(self.key.encode() + GUID)
                                    .digest()).decode()
            if headers.get("sec-websocket-accept") != want:
                raise AssertionError("bad Sec-WebSocket-Accept")
        return status, parts[2] if len(parts) > 2 else "", headers, body

    def send_frame(self, opcode, payload=b"", **kw):
        self.sock.sendall(frame_bytes(opcode, payload, **kw))

    def send_text(self, text, **kw):
        self.send_frame(TEXT, text, **kw)

    def send_close(self, code=1000, reason=b""):
        self.send_frame(CLOSE, struct.pack("!H", code) + reason)

    def recv_frame(self):
        """(fin, opcode, payload); server frames must not be masked."""
        while len(self.buf) < 2:
            self._recv()
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise AssertionError("server sent a masked frame")
        n, off = b1 & 0x7f, 2
        if n == 126:
            while len(self.buf) < 4:
                self._recv()
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            while len(self.buf) < 10:
                self._recv()
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        while len(self.buf) < off + n:
            self._recv()
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return bool(b0 & 0x80), b0 & 0x0f, payload

    def recv_msg(self, skip_ping=True):
        """The next data or close frame (pings answered with pongs)."""
        while True:
            fin, op, payload = self.recv_frame()
            if op == PING and skip_ping:
                self.send_frame(PONG, payload)
                continue
            return op, payload

    def expect_close(self, code=None, reason=None, answer=True):
        """Read up to the close frame; returns (code, reason)."""
        while True:
            op, payload = self.recv_msg()
            if op == CLOSE:
                break
        got = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        why = payload[2:].decode("utf-8") if len(payload) > 2 else ""
        if code is not None and got != code:
            raise AssertionError("close code %r, expected %r (%r)" % (got, code, why))
        if reason is not None and why != reason:
            raise AssertionError("close reason %r, expected %r" % (why, reason))
        if answer:
            try:
                self.send_frame(CLOSE, payload[:2])
            except OSError:
                pass
        return got, why

    def expect_eof(self, timeout=5.0):
        """The server ends the TCP connection."""
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return
        except ConnectionResetError:
            return

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def control(path, line, timeout=5.0):
    """One command on the control socket; the reply line."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(line.encode() + b"\n")
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode().rstrip("\r\n")


def cgi(sessionwrap, conf, script, cookie=None, query=""):
    """Run sessionwrap as a CGI program; (headers dict of lists, body)."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "REQUEST_METHOD": "GET", "GATEWAY_INTERFACE": "CGI/1.1",
           "SCRIPT_FILENAME": script, "SCRIPT_NAME": "/" + os.path.basename(script),
           "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "localhost",
           "SERVER_PORT": "80", "REMOTE_ADDR": "127.0.0.1",
           "QUERY_STRING": query, "SESSIONWRAP_CONF": conf}
    if cookie:
        env["HTTP_COOKIE"] = cookie
    # Under CGI (GATEWAY_INTERFACE set) sessionwrap reads no argv.
    out = subprocess.run([sessionwrap], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=30)
    head, _, body = out.stdout.partition(b"\r\n\r\n")
    if not _:
        head, _, body = out.stdout.partition(b"\n\n")
    headers = {}
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers, body


def cookie_of(headers, name):
    """'name=value' from the Set-Cookie headers, or None."""
    for v in headers.get("set-cookie", []):
        pair = v.split(";", 1)[0]
        if pair.startswith(name + "="):
            return pair
    return None


def wait_for(pred, timeout=5.0, step=0.02):
    """Poll pred until true; its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)
