"""Find, report and end the processes a test run left behind.

  python3 tests/leftovers.py NAME --mark VAR=WORD [--dir DIR] [--grace S]

A process is the run's when its environment holds VAR with WORD among its
space-separated words, or (--dir) when its command line names DIR or its
working directory is inside DIR. This process and its parent are never
counted. Those still there after --grace seconds are listed on stderr as
"NAME: FAIL: process left behind: PID COMMAND", sent SIGTERM, then SIGKILL;
the exit status is 1 when there were any, else 0.
"""
import argparse
import os
import signal
import sys
import time


def ours(pid, var, word, d):
    """True when process pid belongs to the run."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            for e in f.read().split(b"\0"):
                if e.startswith(var + b"=") and word in e[len(var) + 1:].split():
                    return True
        if d is None:
            return False
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if d.encode() in f.read():
                return True
        cwd = os.readlink("/proc/%d/cwd" % pid)
        return cwd == d or cwd.startswith(d + "/")
    except OSError:
        return False


def left(var, word, d):
    """The run's processes still running: pid -> command line."""
    skip = (os.getpid(), os.getppid())
    out = {}
    for n in os.listdir("/proc"):
        if not n.isdigit() or int(n) in skip or not ours(int(n), var, word, d):
            continue
        try:
            with open("/proc/%s/cmdline" % n, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmd:
            out[int(n)] = cmd.strip()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--mark", required=True)
    ap.add_argument("--dir")
    ap.add_argument("--grace", type=float, default=0)
    args = ap.parse_args()
    var, word = (x.encode() for x in args.mark.split("=", 1))
    end = time.monotonic() + args.grace
    procs = left(var, word, args.dir)
    while procs and time.monotonic() < end:
        time.sleep(0.1)
        procs = left(var, word, args.dir)
    for pid, cmd in sorted(procs.items()):
        sys.stderr.write("%s: FAIL: process left behind: %d %s\n"
                         % (args.name, pid, cmd))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in procs:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        if procs:
            time.sleep(1)
    return 1 if procs else 0


if __name__ == "__main__":
    sys.exit(main())
