#!/usr/bin/python3
# Test handler for large sessions. Query: k=KEY&n=BYTES[&c=CHAR] sets KEY to
# BYTES copies of CHAR (default x); logout=1 logs out, login=USER logs in,
# regenerate=1 changes the id, in the same response and before the value is
# set. The body is JSON: user, new, the session's keys and the
# lengths of SESSION and HTTP_SESSION as the script got them.
import json
import os
import sys
import urllib.parse

q = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""))
out = sys.stdout
if "logout" in q:
    out.write("X-Session-Logout: 1\r\n")
if "login" in q:
    out.write("X-Session-Login: %s\r\n" % q["login"][0])
if "regenerate" in q:
    out.write("X-Session-Regenerate: 1\r\n")
if "k" in q:
    out.write("X-Session-Set: %s=%s\r\n" % (q["k"][0],
        q.get("c", ["x"])[0] * int(q["n"][0])))
out.write("Content-Type: application/json\r\n\r\n")
session = os.environ.get("SESSION", "")
json.dump({
    "user": os.environ.get("SESSION_USER", ""),
    "new": os.environ.get("SESSION_NEW", ""),
    "keys": sorted(json.loads(session or "{}")),
    "session": len(session),
    "form": len(os.environ.get("HTTP_SESSION", "")),
}, out, sort_keys=True)
out.write("\n")
