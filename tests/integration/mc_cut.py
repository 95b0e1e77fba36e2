#!/usr/bin/python3
# A TCP proxy in front of memcached (binary protocol) that stages an outage
# at one precise moment: while the file ARM exists, a connection that sends
# an ADD (a new session being stored) is cut before the command reaches
# memcached; every other command (get, the cas that dooms an id, delete)
# passes. Each cut is counted in the file ARM.cuts.
#   mc_cut.py LISTEN_PORT MEMCACHED_PORT ARM
import os
import socket
import sys
import threading

ADD_OPCODES = (0x02, 0x12)	# ADD, ADDQ


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def close(*socks):
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def upstream_to_client(up, client):
    try:
        while True:
            data = up.recv(65536)
            if not data:
                break
            client.sendall(data)
    except OSError:
        pass
    close(up, client)


def client_to_upstream(client, up, arm):
    try:
        while True:
            hdr = recv_exact(client, 24)
            if hdr is None:
                break
            body = recv_exact(client, int.from_bytes(hdr[8:12], "big"))
            if body is None:
                break
            if hdr[0] == 0x80 and hdr[1] in ADD_OPCODES and os.path.exists(arm):
                with open(arm + ".cuts", "a") as f:
                    f.write("cut\n")
                break
            up.sendall(hdr + body)
    except OSError:
        pass
    close(client, up)


def main():
    port, mc_port, arm = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    while True:
        client, _ = ls.accept()
        try:
            up = socket.create_connection(("127.0.0.1", mc_port))
        except OSError:
            client.close()
            continue
        for target, args in ((client_to_upstream, (client, up, arm)),
                             (upstream_to_client, (up, client))):
            threading.Thread(target=target, args=args, daemon=True).start()


main()
