#!/usr/bin/python3
# Test handler: emits the response headers named by h= query parameters
# (each "Name: value"), then dumps its environment as JSON.
# ?status=CODE sets the Status header.
import json
import os
import sys
import urllib.parse

q = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""), keep_blank_values=True)
out = sys.stdout
if "status" in q:
    out.write("Status: %s\r\n" % q["status"][0])
for h in q.get("h", []):
    out.write(h + "\r\n")
out.write("Content-Type: application/json\r\n\r\n")
json.dump(dict(os.environ), out, sort_keys=True)
out.write("\n")
