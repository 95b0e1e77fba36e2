#!/usr/bin/python3
"""Login form: POST logs in (X-Session-Login), a button logs out.

Demo rule: any user name with the password "demo". A real script would check
a password database; sessionwrap only keeps who is logged in.
?next=PAGE (a page of this directory) is where a successful login goes.
"""
import html
import os
import re
import sys
import urllib.parse


def respond(headers, body=""):
    for h in headers:
        sys.stdout.write(h + "\r\n")
    sys.stdout.write("\r\n" + body)


def local_page(name):
    """name when it is a page of this directory (no open redirect), else None."""
    if name and re.fullmatch(r"[A-Za-z0-9_-]+\.(sh|py|html)", name):
        return name
    return None


def redirect(location, *extra):
    # 303 after POST, so a reload does not resend the form.
    respond(["Status: 303 See Other", "Location: " + location] + list(extra))


def page(message="", next_page=None):
    user = os.environ.get("SESSION_USER", "")
    if user:
        inner = """<p>Logged in as <b id="user">%s</b>.</p>
<form method="post" action="login.py">
<input type="hidden" name="action" value="logout">
<button id="logout">Log out</button>
</form>""" % html.escape(user)
    else:
        inner = """<form method="post" action="login.py">
<input type="hidden" name="action" value="login">
<input type="hidden" name="next" value="%s">
<p><label>User <input name="user" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label>
(demo: <code>demo</code>)</p>
<button id="login">Log in</button>
</form>""" % html.escape(next_page or "")
    body = """<!DOCTYPE html>
<html><head><title>Login</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="demo.css">
<link rel="icon" href="data:,">
</head>
<body>
<nav><a href="./">Home</a> <a href="counter.sh">Counter</a> <a href="live.sh">Live</a> <a href="login.py">Log in / out</a></nav>
<h1>Login</h1>
%s
%s
</body></html>
""" % ("<p><b>%s</b></p>" % html.escape(message) if message else "", inner)
    respond(["Content-Type: text/html; charset=utf-8", "Cache-Control: no-store"], body)


def main():
    query = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""))
    if os.environ.get("REQUEST_METHOD") != "POST":
        page(next_page=local_page(query.get("next", [""])[0]))
        return
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    form = urllib.parse.parse_qs(sys.stdin.read(min(length, 65536)))
    action = form.get("action", [""])[0]
    if action == "logout":
        redirect("login.py", "X-Session-Logout: 1")
        return
    next_page = local_page(form.get("next", [""])[0])
    user = form.get("user", [""])[0].strip()
    password = form.get("password", [""])[0]
    # No CR/LF or control characters in a header value.
    if not user or len(user) > 64 or not user.isprintable() or password != "demo":
        page("Wrong user name or password.", next_page)
        return
    redirect(next_page or "login.py", "X-Session-Login: " + user)


main()
