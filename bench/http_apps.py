"""Trivial applications for bench/http_layer.py: one Redis GET and a fixed JSON body.

Both do the same work, so the difference between them is the HTTP server's own cost.
"""

import os

import redis
import redis.asyncio

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
BODY = b'{"id": 1, "name": "x"}' * 40
HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]

_client = redis.Redis.from_url(REDIS_URL)
_async_client = None


def wsgi(environ, start_response):
    _client.get("bench:http-layer")
    start_response("200 OK", HEADERS)
    return [BODY]


async def asgi(scope, receive, send):
    global _async_client
    if scope["type"] != "http":
        return
    if _async_client is None:
        # Created on the worker's loop, which its connections belong to.
        _async_client = redis.asyncio.Redis.from_url(REDIS_URL)
    await _async_client.get("bench:http-layer")
    headers = [(name.lower().encode(), value.encode()) for name, value in HEADERS]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})
