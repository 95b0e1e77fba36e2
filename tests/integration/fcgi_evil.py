#!/usr/bin/env python3
"""A broken or hostile FastCGI application for fcgi_upstream.sh: what it
answers is chosen by QUERY_STRING (see MODES); what it saw of aborted
requests goes to LOG, one line each.

    fcgi_evil.py SOCKET LOG
"""
import os
import socket
import struct
import sys
import threading
import time

SOCK, LOG = sys.argv[1], sys.argv[2]
log_lock = threading.Lock()


def log(line):
    with log_lock:
        with open(LOG, "a") as f:
            f.write(line + "\n")


def record(rtype, body=b"", rid=1, pad=None, version=1):
    if pad is None:
        pad = (8 - len(body) % 8) % 8
    return struct.pack(">BBHHBB", version, rtype, rid, len(body), pad, 0) + body + b"\0" * pad


def end(rid=1, proto=0, app=0):
    return record(3, struct.pack(">IB3x", app, proto), rid)


def out(data, rid=1):
    return record(6, data, rid)


HEAD = b"Content-Type: text/plain\r\n\r\n"


def read_exact(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            return None
        b += d
    return b


def read_record(c):
    h = read_exact(c, 8)
    if h is None:
        return None
    _, t, rid, clen, pad, _ = struct.unpack(">BBHHBB", h)
    body = read_exact(c, clen + pad)
    if body is None:
        return None
    return t, rid, body[:clen]


def params(data):
    p, i = {}, 0
    while i < len(data):
        lens = []
        for _ in range(2):
            n = data[i]
            if n & 0x80:
                n = struct.unpack(">I", data[i:i + 4])[0] & 0x7FFFFFFF
                i += 4
            else:
                i += 1
            lens.append(n)
        k = data[i:i + lens[0]]
        v = data[i + lens[0]:i + lens[0] + lens[1]]
        i += lens[0] + lens[1]
        p[k.decode()] = v.decode("latin-1")
    return p


def read_head(c):
    """BEGIN_REQUEST and PARAMS: (keep, params), or None at EOF."""
    r = read_record(c)
    if r is None or r[0] != 1:
        return None
    keep = r[2][2] & 1
    pdata = b""
    while True:
        r = read_record(c)
        if r is None:
            return None
        if r[0] == 4:
            if not r[2]:
                break
            pdata += r[2]
    return keep, params(pdata)


def read_stdin(c):
    n = 0
    while True:
        r = read_record(c)
        if r is None:
            return None
        if r[0] == 5:
            if not r[2]:
                return n
            n += len(r[2])


def hang(c):
    """Never answer; log what ends the wait: ABORT_REQUEST or the close."""
    while True:
        r = read_record(c)
        if r is None:
            log("hang: closed")
            return
        if r[0] == 2:
            log("hang: ABORT_REQUEST")


def serve(c):
    drop = False
    while True:
        h = read_head(c)
        if h is None:
            return
        if drop:
            # A kept connection the app dropped (a restart, an idle
            # timeout) before it read this request.
            log("okdrop: dropped the next request")
            return
        keep, p = h
        mode = p.get("QUERY_STRING", "")
        drop = mode == "okdrop"
        if mode == "hang":
            hang(c)
            return
        if mode == "endearly":
            c.sendall(out(HEAD + b"early\n") + out(b"") + end())
            return
        if read_stdin(c) is None:
            return
        if mode == "garbage":
            c.sendall(b"HTTP/1.0 200 OK\r\n\r\nnot fastcgi at all\n")
            return
        if mode == "badend":
            c.sendall(out(b"Content-Type: text/plain\r\n") + record(3, b"\0\0\0\0"))
            return
        if mode == "midrecord":
            c.sendall(out(HEAD + b"x" * 1000) +
                      struct.pack(">BBHHBB", 1, 6, 1, 65535, 0, 0) + b"y" * 10)
            return
        if mode == "midheader":
            c.sendall(out(HEAD + b"x" * 1000) + b"\1\6\0")
            return
        if mode == "silentclose":
            return
        if mode == "overloaded":
            c.sendall(end(proto=2))
            return
        if mode == "unknownrole":
            c.sendall(end(proto=3))
            return
        if mode == "stray":
            c.sendall(out(HEAD + b"ok\n") + out(b"") + end() + out(b"STRAY"))
        elif mode.startswith("trickle"):
            # trickleN holds its connection N seconds, never idle for long.
            c.sendall(out(HEAD))
            for _ in range(int(mode[7:] or 5) * 10 // 3):
                time.sleep(0.3)
                c.sendall(out(b"."))
            c.sendall(end())
        elif mode.startswith("slow"):
            time.sleep(0.2)
            c.sendall(out(HEAD + b"ok\n") + end())
        elif mode == "otherid":
            c.sendall(out(b"Status: 500\r\n\r\nWRONG", rid=2) + end(rid=2) +
                      out(HEAD + b"ok\n") + end())
        elif mode == "unknowntype":
            c.sendall(record(42, b"what") + record(10, b"\x01\x01ab", rid=0) +
                      record(11, b"\x2a" + b"\0" * 7, rid=0) + out(HEAD + b"ok\n") + end())
        elif mode == "bigrecords":
            c.sendall(out(HEAD) + b"".join(record(6, b"y" * 65535, pad=255)
                                            for _ in range(3)) + end())
        elif mode == "stderrflood":
            c.sendall(b"".join(record(7, b"e" * 60000) for _ in range(20)) +
                      out(HEAD + b"ok\n") + end())
        else:
            c.sendall(out(HEAD + b"ok\n") + out(b"") + end(app=3))
        if not keep:
            return


def conn(c):
    try:
        serve(c)
    except OSError:
        pass
    finally:
        c.close()


def main():
    try:
        os.unlink(SOCK)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(SOCK)
    os.chmod(SOCK, 0o666)
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=conn, args=(c,), daemon=True).start()


main()
