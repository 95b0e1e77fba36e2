"""A socket ends when its session ends, however it ends; attacked through
lighttpd's proxy (BASE) against sessionwrap-ws with a real store (STORE:
postgresql, memcached or cookie). Run by ws_session_end.sh, which sets
absolute_timeout = ABSOLUTE, ws_recheck_interval = RECHECK and
ws_max_per_ip = PER_IP.

Cases: the absolute timeout, the idle timeout of a session nobody refreshes
(and gc), a login as another user without a logout (and one refused as too
big, which must close nothing), a CLOSE that could not
be delivered at first, a revoke whose CLOSE never came (server stores), a
deleted row and a load held up by a table lock while other sockets ping
(postgresql), a reload (SIGHUP) restarting the loader threads, session-less
logouts that must send no CLOSE, a flood of CLOSEs for unknown ids that must
not evict a real one (cookie), and ws_max_per_ip."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import websockets  # noqa: E402
import ws_client  # noqa: E402
from ws_logout import RawClient, do_query, http_get, login, ws_open  # noqa: E402

STORE = os.environ["STORE"]
CTL = os.environ["WS_CTL"]
ABSOLUTE = float(os.environ["ABSOLUTE"])
RECHECK = float(os.environ["RECHECK"])
PER_IP = int(os.environ["PER_IP"])
SLOW = float(os.environ.get("SW_SLOW", "1"))	# valgrind: everything slower
NAME = "ws_session_end/" + STORE
CHECKS = ws_client.Checks(NAME)
log, check = CHECKS.log, CHECKS.check


def control(*lines):
    """Reply lines of commands sent on one control connection."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(CTL)
    s.sendall("".join(l + "\n" for l in lines).encode())
    f = s.makefile("rb")
    out = [f.readline().decode().rstrip("\n") for _ in lines]
    s.close()
    return out


def stats():
    import json
    reply = control("STATS")[0]
    assert reply.startswith("OK "), reply
    return json.loads(reply[3:])


class Ctl:
    """The control socket moved away for a while: CLOSEs cannot reach it."""

    def __enter__(self):
        os.rename(CTL, CTL + ".away")

    def __exit__(self, *exc):
        os.rename(CTL + ".away", CTL)


async def closed_within(ws, seconds):
    """(close code, seconds it took) or (None, seconds) if still open."""
    t0 = time.monotonic()
    try:
        while True:
            await asyncio.wait_for(ws.recv(), seconds - (time.monotonic() - t0))
    except websockets.exceptions.ConnectionClosed:
        return ws.close_code, time.monotonic() - t0
    except asyncio.TimeoutError:
        return None, time.monotonic() - t0


async def still_open(ws):
    try:
        pong = await ws.ping()
        await asyncio.wait_for(pong, 3 * SLOW)
        return True
    except Exception:
        return False


async def sw_ctl(*args):
    return await asyncio.to_thread(subprocess.run, [
        os.environ["SW_CTL"], "-c", os.environ["SW_CONF"]] + list(args),
        capture_output=True, text=True)


async def timeout_case(what, headers, ends_in):
    """A socket of a session that ends by itself `ends_in` s after its login."""
    t0 = time.monotonic()
    ws = await ws_open(await http_get_cookie(*headers))
    code, _ = await closed_within(ws, ends_in + RECHECK + 3 * SLOW)
    took = time.monotonic() - t0
    # Not early by more than two whole-second clocks can explain: the
    # stored login time and the store's own expiry (memcached's TTL clock)
    # each count in seconds.
    check(code == 4001 and took >= ends_in - 2.0,
          "%s: close %r %.1f s after the login (session ends after %.0f s)" %
          (what, code, took, ends_in))


async def case_login_other(tag):
    """A login as another user over the same cookie, no logout."""
    alice = await login("alice-" + tag)
    ws = await ws_open(alice)
    await asyncio.sleep(0.2)
    status, _ = await http_get(do_query("X-Session-Login: mallory-" + tag),
                               cookie=alice)
    check(status == 200, "login as another user: 200 (%d)" % status)
    code, took = await closed_within(ws, 1 * SLOW)
    check(code == 4001, "login as another user closes the old session's "
          "socket: %r after %.2f s" % (code, took))


async def case_login_refused(tag):
    """A login whose session is too big to save leaves the stored session,
    and so its socket, as they were (cookie store: over 4 KB)."""
    alice = await login("amy-" + tag)
    ws = await ws_open(alice)
    await asyncio.sleep(0.2)
    status, headers = await http_get(do_query(
        "X-Session-Login: bob-" + tag, "X-Session-Set: big=" + "x" * 4500),
        cookie=alice)
    check(status == 200 and not any(n.lower() == "set-cookie"
                                    for n, _ in headers),
          "refused login: 200 and no new cookie (%d)" % status)
    code, _ = await closed_within(ws, 1 * SLOW)
    check(code is None and await still_open(ws),
          "refused login leaves the old session's socket open (%r)" % code)
    await ws.close()


async def case_close_undelivered(tag):
    """Logout while the control socket cannot be reached; it comes back."""
    cookie = await login("carol-" + tag)
    ws = await ws_open(cookie)
    with Ctl():
        status, _ = await http_get(do_query("X-Session-Logout: 1"),
                                   cookie=cookie)
        check(status == 200, "logout with the helper unreachable: 200")
        await asyncio.sleep(0.5)
    code, took = await closed_within(ws, 4 * SLOW)
    check(code == 4001, "a CLOSE not delivered at first still closes the "
          "socket: %r, %.1f s after the control socket came back" %
          (code, took))


async def case_revoke_missed(tag):
    """revoke --user whose own CLOSE fails: the re-check must catch it."""
    user = "dave-" + tag
    ws = await ws_open(await login(user))
    with Ctl():
        ctl = await sw_ctl("revoke", "--user", user)
        check("1 session deleted" in ctl.stdout,
              "revoke deleted the session (%r %r)" % (ctl.stdout, ctl.stderr))
        code, took = await closed_within(ws, RECHECK + 3 * SLOW)
    check(code == 4001, "revoke without a CLOSE: socket closed by the "
          "re-check: %r after %.1f s" % (code, took))


async def case_row_deleted(tag):
    """The row goes behind sessionwrap's back (gc, an operator)."""
    user = "erin-" + tag
    ws = await ws_open(await login(user))
    psql(f"DELETE FROM sessionwrap_sessions WHERE username = '{user}'")
    code, took = await closed_within(ws, RECHECK + 3 * SLOW)
    check(code == 4001, "deleted row: socket closed by the re-check: %r "
          "after %.1f s" % (code, took))


def psql(sql, wait=True):
    cmd = os.environ["PSQL"].split() + ["-c", sql]
    if wait:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return None
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL)


async def case_slow_load(tag):
    """A load stuck behind a table lock must not stall other sockets."""
    bob = await ws_open(await login("bob-" + tag))
    env_cookie = await login("frank-" + tag)
    hold = 3.0		# below the store's 5 s answer timeout, which would 503
    locker = psql("BEGIN; LOCK TABLE sessionwrap_sessions IN ACCESS "
                  "EXCLUSIVE MODE; SELECT pg_sleep(%.1f); COMMIT;" % hold,
                  wait=False)
    await asyncio.sleep(0.5)
    t0 = time.monotonic()
    stuck = asyncio.ensure_future(RawClient().open(env_cookie))
    await asyncio.sleep(0.3)
    worst = 0.0
    for _ in range(5):
        t = time.monotonic()
        pong = await bob.ping()
        try:
            await asyncio.wait_for(pong, hold)
        except asyncio.TimeoutError:
            pass
        worst = max(worst, time.monotonic() - t)
        await asyncio.sleep(0.1)
    check(worst < 0.5 * SLOW, "pings answered while a load waits for "
          "PostgreSQL: worst %.0f ms" % (worst * 1000))
    check(not stuck.done(), "the stuck upgrade was still waiting (%.1f s)" %
          (time.monotonic() - t0))
    raw = await asyncio.wait_for(stuck, hold + 5 * SLOW)
    check(raw.status == 101, "the held-up upgrade completes once the lock "
          "is gone (%d)" % raw.status)
    raw.w.close()
    await asyncio.to_thread(locker.wait)
    await bob.close()


async def case_sessionless_logouts(tag):
    """Logouts without a session send no CLOSE."""
    before = stats()["closed_remembered"]
    for _ in range(30):
        status, _ = await http_get(do_query("X-Session-Logout: 1"))
    after = stats()["closed_remembered"]
    check(after <= before, "30 logouts without a session sent no CLOSE "
          "(closed_remembered %d -> %d)" % (before, after))


async def case_flood(tag):
    """A flood of CLOSEs for unknown ids must not evict a real one."""
    cookie = await login("grace-" + tag)
    ws = await ws_open(cookie)
    status, _ = await http_get(do_query("X-Session-Logout: 1"), cookie=cookie)
    code, _ = await closed_within(ws, 2 * SLOW)
    check(code == 4001, "logout closed the socket (%r)" % code)
    n = 100050

    def flood():
        s = socket.socket(socket.AF_UNIX)
        s.connect(CTL)
        f = s.makefile("rb")
        got = 0
        for k in range(0, n, 1000):
            s.sendall("".join("CLOSE flood%07d\n" % i
                              for i in range(k, min(n, k + 1000))).encode())
            for _ in range(k, min(n, k + 1000)):
                got += f.readline().startswith(b"OK")
        s.close()
        return got
    got = await asyncio.to_thread(flood)
    check(got == n, "%d CLOSEs of unknown ids answered OK (%d)" % (n, got))
    r = await RawClient().open(cookie)
    check(r.status == 401, "the logged-out cookie is still refused after "
          "the flood (%d)" % r.status)
    r.w.close()


async def case_per_ip(tag):
    """ws_max_per_ip: the (N+1)th socket from one address is refused."""
    cookie = await login("heidi-" + tag)
    await asyncio.sleep(0.3)
    have = stats()["connections"]
    socks = [await ws_open(cookie) for _ in range(PER_IP - have)]
    check(stats()["connections"] == PER_IP, "%d sockets open from 127.0.0.1"
          % PER_IP)
    r = await RawClient().open(cookie)
    check(r.status == 429, "socket %d from one address refused (%d)" %
          (PER_IP + 1, r.status))
    r.w.close()
    # A client's own X-Forwarded-For is not believed: the proxy's hop is.
    rd, wr = await asyncio.open_connection(*os.environ["HOSTPORT"].rsplit(":", 1))
    wr.write(("GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\nOrigin: %s\r\nCookie: %s\r\n"
              "X-Forwarded-For: 10.9.8.7\r\nForwarded: for=10.9.8.7\r\n\r\n"
              % (os.environ["HOSTPORT"], os.environ["BASE"], cookie)).encode())
    head = await rd.readuntil(b"\r\n\r\n")
    check(b" 429 " in head.split(b"\r\n")[0], "a forged X-Forwarded-For does "
          "not get around it (%r)" % head.split(b"\r\n")[0])
    wr.close()
    await socks.pop().close()
    for _ in range(int(30 * SLOW)):
        if stats()["connections"] < PER_IP:
            break
        await asyncio.sleep(0.1)
    w = await ws_open(cookie)
    check(w.open, "one closed: the next one is accepted")
    socks.append(w)
    for w in socks:
        await w.close()


async def main():
    tag = str(os.getpid())
    if STORE == "postgresql":
        await case_slow_load(tag)
    # A reload swaps the store under the loader threads: all below runs after.
    os.kill(int(os.environ["WS_PID"]), signal.SIGHUP)
    await asyncio.sleep(0.5 * SLOW)
    # Sessions that end by themselves, in the background meanwhile.
    absolute = asyncio.ensure_future(timeout_case(
        "absolute timeout", ["X-Session-Login: ivan-" + tag], ABSOLUTE))
    idle = asyncio.ensure_future(timeout_case(
        "idle timeout, not refreshed", ["X-Session-Login: judy-" + tag,
                                        "X-Session-Max-Age: 3"], 3))
    await asyncio.sleep(0.5 * SLOW)
    await case_login_other(tag)
    await case_close_undelivered(tag)
    await case_sessionless_logouts(tag)
    if STORE != "cookie":
        await case_revoke_missed(tag)
    if STORE == "postgresql":
        await case_row_deleted(tag)
        ctl = await sw_ctl("gc")
        check(ctl.returncode == 0, "gc ran (%r)" % ctl.stderr)
    if STORE == "cookie":
        await case_login_refused(tag)
        await case_flood(tag)
    await absolute
    await idle
    await case_per_ip(tag)


async def http_get_cookie(*headers):
    status, headers = await http_get(do_query(*headers))
    for name, value in headers:
        if name.lower() == "set-cookie" and value.startswith("sessionwrap="):
            return value.split(";", 1)[0]
    raise AssertionError("no cookie (status %d)" % status)


if __name__ == "__main__":
    CHECKS.run(main)
