"""Load driver for stores_ha.sh: THREADS threads hammer counter.sh, each
request with the cookie of one of the sessions in COOKIES (a file, one per
line), until the file STOP exists. A 200 response "n=K" acknowledges that
session's counter reached K. Prints one JSON object: per session the number
of 200s and the highest acknowledged n, and the count of each status."""
import http.client
import json
import os
import re
import sys
import threading
import time

host, port = os.environ["BASE"].split("//", 1)[1].rsplit(":", 1)
cookies = [l.strip() for l in open(os.environ["COOKIES"]) if l.strip()]
stop = os.environ["STOP"]
threads = int(os.environ.get("THREADS", "8"))
lock = threading.Lock()
acked = {c: 0 for c in cookies}
high = {c: 0 for c in cookies}
codes = {}


def worker(k):
    i = k
    while not os.path.exists(stop):
        c = cookies[i % len(cookies)]
        i += threads
        try:
            h = http.client.HTTPConnection(host, int(port), timeout=30)
            h.request("GET", "/cgi-bin/counter.sh",
                      headers={"Cookie": "sessionwrap=" + c})
            r = h.getresponse()
            body = r.read().decode("utf-8", "replace")
            status = r.status
            h.close()
        except Exception:
            status, body = 0, ""
        with lock:
            codes[status] = codes.get(status, 0) + 1
            if status == 200:
                m = re.match(r"n=(\d+) ", body)
                if m is None:
                    codes["bad-body"] = codes.get("bad-body", 0) + 1
                    continue
                acked[c] += 1
                high[c] = max(high[c], int(m.group(1)))
        if status != 200:
            time.sleep(0.02)


ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
json.dump({"acked": acked, "high": high,
           "codes": {str(k): v for k, v in codes.items()}}, sys.stdout)
