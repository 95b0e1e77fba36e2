#!/usr/bin/python3
"""Login form: POST logs in (X-Session-Login), a button logs out.

Demo rule: any user name with the password "demo". A real script would check
a password database; sessionwrap only keeps who is logged in.
"""
import html
import os
import sys
import urllib.parse


def respond(headers, body=""):
    for h in headers:
        sys.stdout.write(h + "\r\n")
    sys.stdout.write("\r\n" + body)


def redirect(*extra):
    # 303 after POST, so a reload does not resend the form.
    respond(["Status: 303 See Other", "Location: login.py"] + list(extra))


def page(message=""):
    user = os.environ.get("SESSION_USER", "")
    if user:
        inner = """<p>Logged in as <b>%s</b>.</p>
<form method="post" action="login.py">
<input type="hidden" name="action" value="logout">
<button>Log out</button>
</form>""" % html.escape(user)
    else:
        inner = """<form method="post" action="login.py">
<input type="hidden" name="action" value="login">
<p><label>User <input name="user" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label>
(demo: <code>demo</code>)</p>
<button>Log in</button>
</form>"""
    body = """<!DOCTYPE html>
<html><head><title>Login</title></head>
<body>
<h1>Login</h1>
%s
%s
<p><a href="./">Back</a></p>
</body></html>
""" % ("<p><b>%s</b></p>" % html.escape(message) if message else "", inner)
    respond(["Content-Type: text/html; charset=utf-8", "Cache-Control: no-store"], body)


def main():
    if os.environ.get("REQUEST_METHOD") != "POST":
        page()
        return
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    form = urllib.parse.parse_qs(sys.stdin.read(min(length, 65536)))
    action = form.get("action", [""])[0]
    if action == "logout":
        redirect("X-Session-Logout: 1")
        return
    user = form.get("user", [""])[0].strip()
    password = form.get("password", [""])[0]
    # No CR/LF or control characters in a header value.
    if not user or len(user) > 64 or not user.isprintable() or password != "demo":
        page("Wrong user name or password.")
        return
    redirect("X-Session-Login: " + user)


main()
