"""Send HTTP requests to an ASGI application in-process, for tests of config.asgi."""

import asyncio

from a2wsgi import WSGIMiddleware
from django.db import connections


class BridgedApp:
    """An ASGI application in front of a2wsgi's bridge with one thread, closed after the test.

    The bridge's thread opens its own database connection, which would otherwise block
    dropping the test database.
    """

    def __init__(self, wrap, wsgi_application):
        self.bridge = WSGIMiddleware(wsgi_application, workers=1)
        self.app = wrap(self.bridge)

    def close(self):
        self.bridge.executor.submit(connections.close_all).result()
        self.bridge.executor.shutdown()


def send_requests(app, requests):
    """Send `requests` (method, target with query, {header: value}, body) to `app` on one event loop.

    Return (status, {lower-case header: value}, body) per request.
    """

    async def send_all():
        return [await _request(app, *request) for request in requests]

    return asyncio.run(send_all())


async def _request(app, method, target, headers, body=b""):
    path, _sep, query = target.partition("?")
    raw_headers = [(b"host", b"testserver")]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    if body:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "headers": raw_headers, "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    received = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        received.append(message)

    await app(scope, receive, send)
    start = next(message for message in received if message["type"] == "http.response.start")
    content = b"".join(message.get("body", b"") for message in received if message["type"] == "http.response.body")
    response_headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    return start["status"], response_headers, content
