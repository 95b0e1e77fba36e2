#!/usr/bin/env python3
"""Slow request bodies against a web server on 127.0.0.1.

usage: slow_client.py PORT SLOW_PATH N NORMAL_PATH LIMIT [INTERVAL]

N clients each POST to SLOW_PATH a body announced as 1000 bytes but sent a
byte every INTERVAL s (default 2), until the server closes the connection; 0.5 s later one
normal GET of NORMAL_PATH. Prints one line per client: "slowI SECONDS
OUTCOME", SECONDS until the connection ended (OUTCOME: the HTTP status
received, "closed" when there was none, "held" when it was still open after
LIMIT s) and "normal SECONDS STATUS".
"""
import select
import socket
import sys
import threading
import time

port, slow_path, n, normal_path, limit = (int(sys.argv[1]), sys.argv[2],
                                          int(sys.argv[3]), sys.argv[4],
                                          float(sys.argv[5]))
interval = float(sys.argv[6]) if len(sys.argv) > 6 else 2
results = {}
t0 = time.monotonic()


def status_of(data):
    """The status code of an HTTP response's first line, or None."""
    line = data.split(b"\r\n", 1)[0].split()
    return line[1].decode() if len(line) > 1 else None


def slow(i):
    """Dribble the body until the connection ends, reading what comes."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Content-Type: application/octet-stream\r\n"
               "Content-Length: 1000\r\nConnection: close\r\n\r\n"
               % slow_path).encode())
    data = b""
    outcome = "held"
    while time.monotonic() - t0 < limit:
        try:
            s.sendall(b"x")
        except OSError:
            pass
        r, _, _ = select.select([s], [], [], interval)
        if r:
            try:
                b = s.recv(65536)
            except OSError:
                b = b""
            if b:
                data += b
                continue
            outcome = status_of(data) or "closed"
            break
    results["slow%d" % i] = (time.monotonic() - t0, outcome)
    s.close()


def normal():
    time.sleep(0.5)
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(limit)
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close"
               "\r\n\r\n" % normal_path).encode())
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except OSError:
        pass
    results["normal"] = (time.monotonic() - t0,
                         status_of(data) or "nothing")
    s.close()


threads = [threading.Thread(target=slow, args=(i,)) for i in range(n)]
threads.append(threading.Thread(target=normal))
for t in threads:
    t.start()
for t in threads:
    t.join()
for k in sorted(results):
    print("%s %.1f %s" % (k, results[k][0], results[k][1]))
