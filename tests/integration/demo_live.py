"""The demo's live page end to end over HTTP and a raw WebSocket: log in with
?next=live.sh, the counter greets the user, live.sh serves live.js, the
socket says "connected for N seconds" every second, logging out in another
request closes it with 4001, the old cookie's socket is refused, and live.sh
sends an anonymous visitor to log in. Stdlib only (ws_client.py).

    BASE=http://127.0.0.1:PORT python3 demo_live.py [USER]
"""
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ws_client  # noqa: E402

BASE = os.environ["BASE"]
HOSTPORT = BASE.split("//", 1)[1]
USER = sys.argv[1] if len(sys.argv) > 1 else "alice"
NAME = "demo_live"


def log(msg):
    print("%s: %s" % (NAME, msg), file=sys.stderr, flush=True)


def fail(msg):
    log("FAIL: " + msg)
    sys.exit(1)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


jar = CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def get(path, data=None):
    """(status, headers, body text); redirects are not followed."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        r = opener.open(BASE + path, body, timeout=30)
        return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def cookie():
    for c in jar:
        if c.name == "sessionwrap":
            return "sessionwrap=" + c.value
    return None


def ws_open(cookie_value):
    return ws_client.Raw(HOSTPORT, host=HOSTPORT, cookie=cookie_value, origin=BASE,
                         timeout=10)


status, headers, _ = get("/live.sh")
if status != 303 or headers.get("Location", "").split("/")[-1] != "login.py?next=live.sh":
    fail("anonymous live.sh: %s %s" % (status, headers.get("Location")))
status, _, body = get("/login.py?next=live.sh")
if 'name="next" value="live.sh"' not in body:
    fail("login form does not carry next=live.sh")
status, headers, _ = get("/login.py", {"action": "login", "user": USER,
                                       "password": "demo", "next": "live.sh"})
if status != 303 or not headers.get("Location", "").endswith("live.sh"):
    fail("login with next: %s %s" % (status, headers.get("Location")))
status, headers, _ = get("/login.py", {"action": "login", "user": USER,
                                       "password": "demo", "next": "//evil.example/"})
if status != 303 or headers.get("Location", "").endswith("evil.example/"):
    fail("login followed a foreign next: %s" % headers.get("Location"))
log("ok: login, next= only to local pages")

counts = []
for i in range(3):
    status, _, body = get("/counter.sh")
    m = re.search(r"Visit number (\d+)<", body)
    if status != 200 or not m or ('<b id="user">%s</b>' % USER) not in body:
        fail("counter page %d: %s %s" % (i, status, body[:300]))
    counts.append(int(m.group(1)))
if counts != [counts[0], counts[0] + 1, counts[0] + 2]:
    fail("counter does not count: %r" % counts)
log("ok: counter %r with the user name" % counts)

status, _, body = get("/live.sh")
if status != 200 or '<script src="live.js">' not in body or USER not in body:
    fail("live.sh: %s %s" % (status, body[:300]))
status, headers, js = get("/live.js")
if status != 200 or "javascript" not in headers.get("Content-Type", "") or "4001" not in js:
    fail("live.js: %s %s" % (status, headers.get("Content-Type")))

anon = ws_open(None)
if anon.status not in (401, 403):
    fail("a socket without a session was accepted (%d)" % anon.status)
anon.close()

logged_in = cookie()
socks = [ws_open(logged_in), ws_open(logged_in)]
for s in socks:
    if s.status != 101:
        fail("socket refused: %d %r" % (s.status, s.body))
t0 = time.monotonic()
lines = []
for _ in range(3):
    op, payload = socks[0].recv_msg()
    if op != ws_client.TEXT:
        fail("expected a text message, got opcode %d" % op)
    lines.append(payload.decode())
if lines[:2] != ["connected for 0 seconds", "connected for 1 second"] or \
        not re.fullmatch(r"connected for 2 seconds", lines[2]):
    fail("messages: %r" % lines)
log("ok: %r in %.1f s" % (lines, time.monotonic() - t0))

status, headers, _ = get("/login.py", {"action": "logout"})
if status != 303:
    fail("logout: %d" % status)
for i, s in enumerate(socks):
    code, reason = s.expect_close()
    if code != 4001:
        fail("socket %d closed with %r, not 4001" % (i, code))
    s.close()
log("ok: logout closed both sockets with 4001")

again = ws_open(logged_in)
if again.status not in (401, 403):
    fail("the logged-out cookie opened a socket again (%d)" % again.status)
again.close()
status, headers, _ = get("/live.sh")
if status != 303 or "login.py" not in headers.get("Location", ""):
    fail("live.sh after logout: %s %s" % (status, headers.get("Location")))
log("ok: after logout the socket is refused and live.sh asks for login")
