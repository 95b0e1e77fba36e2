#!/usr/bin/env python3
"""Two requests on one kept FastCGI connection, idle in between.

usage: fcgi_keep.py SOCKET SCRIPT_FILENAME IDLE_SECONDS

Speaks FastCGI to sessionwrap's Unix socket directly, with FCGI_KEEP_CONN
(as nginx with fastcgi_keep_conn and an upstream keepalive pool does):
POSTs "hello", waits IDLE_SECONDS, POSTs "again" on the same connection.
Prints the body of each response, or "closed" when the connection ended
before END_REQUEST.
"""
import socket, struct, sys, time
path, script, idle = sys.argv[1], sys.argv[2], float(sys.argv[3])
def rec(t, body, rid=1):
    """One FastCGI record."""
    pad = (8 - len(body) % 8) % 8
    return struct.pack(">BBHHBx", 1, t, rid, len(body), pad) + body + b"\0" * pad
def nv(k, v):
    """One name-value pair (short lengths)."""
    k, v = k.encode(), v.encode()
    return bytes([len(k), len(v)]) + k + v
def request(s, body):
    """One request; the stdout body, or "closed"."""
    p = (nv("SCRIPT_FILENAME", script) + nv("REQUEST_METHOD", "POST") +
         nv("CONTENT_LENGTH", str(len(body))) + nv("SCRIPT_NAME", "/x"))
    s.sendall(rec(1, struct.pack(">HB5x", 1, 1)) + rec(4, p) + rec(4, b"") +
              rec(5, body) + rec(5, b""))
    data = b""
    while True:
        h = b""
        while len(h) < 8:
            b = s.recv(8 - len(h))
            if not b:
                return "closed"
            h += b
        _, t, _, n, pad = struct.unpack(">BBHHBx", h)
        c = b""
        while len(c) < n + pad:
            b = s.recv(n + pad - len(c))
            if not b:
                return "closed"
            c += b
        if t == 6:
            data += c[:n]
        if t == 3:
            return data.split(b"\r\n\r\n", 1)[-1].decode().strip()
s = socket.socket(socket.AF_UNIX)
s.connect(path)
print("first:", request(s, b"hello"))
time.sleep(idle)
print("after %.0f s idle:" % idle, request(s, b"again"))
