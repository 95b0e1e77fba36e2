"""Start a service the way systemd would, from its unit files, without systemd.

    sd_activate.py SERVICE_FILE [SOCKET_FILE]

Reads ExecStart=, User=, Group=, UMask=, RuntimeDirectory=,
StandardInput= from the [Service] section, and with a socket unit its
ListenStream=, SocketUser=, SocketGroup=, SocketMode=, DirectoryMode= and
Accept=. Binds and listens on that socket itself, puts it on fd 0 for
StandardInput=socket (as systemd does for Accept=no), creates the runtime
directory under $SD_RUNTIME_DIR (standing for /run), drops to User=/Group=
when run as root, and execs ExecStart=. stdout and stderr stay ours (the
journal's place). Paths in the units must already point into the test's
directory; only the parts of systemd that sessionwrap's units use are here.
"""
import grp
import os
import pwd
import shlex
import socket
import sys


def parse(path):
    """{section: {key: [values]}}, with continuation lines joined."""
    sections, cur, pending = {}, None, ""
    for raw in open(path):
        line = raw.rstrip("\n")
        if pending:
            line, pending = pending + line, ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("[") and s.endswith("]"):
            cur = sections.setdefault(s[1:-1], {})
            continue
        k, _, v = s.partition("=")
        cur.setdefault(k.strip(), []).append(v.strip())
    return sections


def last(sec, key, default=None):
    v = sec.get(key)
    return v[-1] if v else default


def main():
    service = parse(sys.argv[1]).get("Service", {})
    sock = parse(sys.argv[2]).get("Socket", {}) if len(sys.argv) > 2 else None
    as_root = os.geteuid() == 0
    user = last(service, "User")
    group = last(service, "Group")
    uid = pwd.getpwnam(user).pw_uid if user and as_root else -1
    gid = grp.getgrnam(group).gr_gid if group and as_root else -1
    if uid != -1 and gid == -1:
        gid = pwd.getpwnam(user).pw_gid

    rtd = last(service, "RuntimeDirectory")
    if rtd:
        for d in rtd.split():
            path = os.path.join(os.environ["SD_RUNTIME_DIR"], d)
            os.makedirs(path, exist_ok=True)
            os.chmod(path, int(last(service, "RuntimeDirectoryMode", "0755"), 8))
            if as_root:
                os.chown(path, uid, gid)

    if sock is not None:
        if last(sock, "Accept", "no") not in ("no", "false", "0"):
            sys.exit("sd_activate: only Accept=no is emulated")
        path = last(sock, "ListenStream")
        if not path.startswith("/"):
            sys.exit("sd_activate: only a Unix ListenStream= path is emulated")
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        os.chmod(parent, int(last(sock, "DirectoryMode", "0755"), 8))
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        s.listen(128)
        os.chmod(path, int(last(sock, "SocketMode", "0666"), 8))
        if as_root:
            su = last(sock, "SocketUser")
            sg = last(sock, "SocketGroup")
            os.chown(path, pwd.getpwnam(su).pw_uid if su else -1,
                     grp.getgrnam(sg).gr_gid if sg else -1)
        if last(service, "StandardInput") != "socket":
            sys.exit("sd_activate: the service does not take StandardInput=socket")
        os.dup2(s.fileno(), 0)
        s.close()
        os.set_inheritable(0, True)
    else:
        fd = os.open("/dev/null", os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)

    argv = shlex.split(last(service, "ExecStart"))
    while argv[0][0] in "-@:+!":
        argv[0] = argv[0][1:]
    umask = last(service, "UMask")
    if umask:
        os.umask(int(umask, 8))
    if as_root and uid != -1:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    os.execv(argv[0], argv)


main()
