# Not a CGI script: the aiohttp app that shares its session with
# sessionwrap in tests/integration/aiohttp_share.sh (run with Debian's
# python3-aiohttp, python3-aiohttp-session, python3-cryptography).
#
#   python3 aiohttp_app.py PORT KEYFILE [memcached PORT | redis PORT]
#
# Routes under /py/: login?user=U (what aiohttp_security's remember does:
# session["AIOHTTP_SECURITY"] = U), logout (session.invalidate()), count
# (session["n"] += 1), whoami; each answers the session as JSON.
import asyncio
import sys
import types

from aiohttp import web
from aiohttp_session import get_session, setup
from aiohttp_session.cookie_storage import EncryptedCookieStorage

USER_KEY = "AIOHTTP_SECURITY"


class Memcached:
    """The two calls MemcachedStorage makes (aiomcache's get and set)."""

    def __init__(self, port):
        self.port = port

    async def _call(self, line, data=None):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(line + b"\r\n" + (data + b"\r\n" if data is not None else b""))
        await writer.drain()
        head = await reader.readline()
        value = None
        if head.startswith(b"VALUE "):
            size = int(head.split()[3])
            value = (await reader.readexactly(size + 2))[:-2]
            await reader.readline()
        writer.close()
        return head, value

    async def get(self, key):
        _, value = await self._call(b"get " + key)
        return value

    async def set(self, key, value, exptime=0):
        head, _ = await self._call(b"set %s 0 %d %d" % (key, exptime, len(value)), value)
        return head.startswith(b"STORED")


class Redis:
    """The two calls RedisStorage makes (aioredis's get and set, RESP)."""

    __version__ = "2.0.0"

    def __init__(self, port):
        self.port = port

    async def _call(self, *args):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        writer.write(out)
        await writer.drain()
        head = await reader.readline()
        value = None
        if head.startswith(b"$") and head[1:2] != b"-":
            value = (await reader.readexactly(int(head[1:]) + 2))[:-2]
        writer.close()
        return head, value

    async def get(self, key):
        return (await self._call("GET", key))[1]

    async def set(self, key, value, ex=None):
        args = ["SET", key, value] + (["EX", ex] if ex else [])
        return (await self._call(*args))[0].startswith(b"+OK")


async def answer(request, session):
    return web.json_response({
        "user": session.get(USER_KEY),
        "n": session.get("n"),
        "new": session.new,
        "keys": sorted(session.keys()),
    })


async def login(request):
    session = await get_session(request)
    session[USER_KEY] = request.query["user"]
    return await answer(request, session)


async def logout(request):
    session = await get_session(request)
    session.invalidate()
    return await answer(request, session)


async def count(request):
    session = await get_session(request)
    session["n"] = int(session.get("n", 0)) + 1
    return await answer(request, session)


async def whoami(request):
    return await answer(request, await get_session(request))


def main():
    port, keyfile = int(sys.argv[1]), sys.argv[2]
    app = web.Application()
    if len(sys.argv) > 3 and sys.argv[3] == "memcached":
        # aiomcache is not in Debian: MemcachedStorage gets our client,
        # which is all it calls (it names aiomcache.Client in annotations).
        sys.modules["aiomcache"] = types.SimpleNamespace(Client=Memcached)
        from aiohttp_session.memcached_storage import MemcachedStorage
        storage = MemcachedStorage(Memcached(int(sys.argv[4])), max_age=3600)
    elif len(sys.argv) > 3:
        # Nor is aioredis: RedisStorage gets our client the same way.
        sys.modules["aioredis"] = types.SimpleNamespace(
            Redis=Redis, __version__=Redis.__version__)
        from aiohttp_session.redis_storage import RedisStorage
        storage = RedisStorage(Redis(int(sys.argv[4])), max_age=3600)
    else:
        key = open(keyfile).readline().strip()
        storage = EncryptedCookieStorage(key, max_age=3600)
    setup(app, storage)
    app.add_routes([web.get("/py/login", login), web.get("/py/logout", logout),
                    web.get("/py/count", count), web.get("/py/whoami", whoami)])
    web.run_app(app, host="127.0.0.1", port=port, print=None)


main()
